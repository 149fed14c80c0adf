#include "profiles/saip/internal/der_edit.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "sgp22/der.h"
#include "util/status_macros.h"

namespace smdp::profiles::saip::internal {
namespace {

namespace der = ::smdp::sgp22::der;

size_t End(const DerEdit& e) { return e.offset + e.length; }

class Editor {
 public:
  Editor(absl::string_view input, const std::vector<DerEdit>& edits)
      : in_(input), edits_(edits) {}

  // Appends the TLVs in [begin, end) of the input to `*out`, edited.
  absl::Status EmitSequence(size_t begin, size_t end, std::string* out) {
    size_t pos = begin;
    while (pos < end) {
      if (next_ < edits_.size() && edits_[next_].offset == pos) {
        // Whole TLVs replaced.
        const DerEdit& e = edits_[next_];
        size_t p = pos;
        while (p < End(e)) {
          if (p >= end) return Bad(e, "spans the end of its enclosing TLV");
          ASSIGN_OR_RETURN(der::Tlv tlv, ParseAt(p, end));
          p += tlv.raw.size();
        }
        if (p != End(e)) return Bad(e, "ends inside a TLV");
        out->append(e.bytes);
        pos = p;
        ++next_;
        continue;
      }
      ASSIGN_OR_RETURN(der::Tlv tlv, ParseAt(pos, end));
      const size_t tlv_end = pos + tlv.raw.size();
      if (next_ >= edits_.size() || edits_[next_].offset >= tlv_end) {
        out->append(tlv.raw.data(), tlv.raw.size());
        pos = tlv_end;
        continue;
      }
      const size_t value_begin = tlv_end - tlv.value.size();
      if (edits_[next_].offset < value_begin) {
        return Bad(edits_[next_], "cuts a TLV header");
      }
      std::string value;
      if (tlv.constructed()) {
        RETURN_IF_ERROR(EmitSequence(value_begin, tlv_end, &value));
      } else {
        size_t v = value_begin;
        while (next_ < edits_.size() && edits_[next_].offset < tlv_end) {
          const DerEdit& e = edits_[next_];
          if (End(e) > tlv_end) return Bad(e, "spans the end of a value");
          value.append(in_.data() + v, e.offset - v);
          value.append(e.bytes);
          v = End(e);
          ++next_;
        }
        value.append(in_.data() + v, tlv_end - v);
      }
      der::AppendTag(tlv.tag, out);
      der::AppendLength(value.size(), out);
      out->append(value);
      // The rebuilt contents may hold the new secrets (keys, PINs).
      OPENSSL_cleanse(value.data(), value.size());
      pos = tlv_end;
    }
    return absl::OkStatus();
  }

  bool AllUsed() const { return next_ == edits_.size(); }

 private:
  absl::StatusOr<der::Tlv> ParseAt(size_t pos, size_t end) const {
    absl::string_view rest = in_.substr(pos, end - pos);
    return der::ParseTlv(&rest);
  }

  static absl::Status Bad(const DerEdit& e, absl::string_view why) {
    return absl::InternalError(absl::StrCat("DER edit at offset ", e.offset,
                                            " (", e.length, " bytes) ", why));
  }

  absl::string_view in_;
  const std::vector<DerEdit>& edits_;
  size_t next_ = 0;
};

}  // namespace

absl::StatusOr<std::string> ApplyDerEdits(absl::string_view der,
                                          std::vector<DerEdit>* edit_list) {
  std::vector<DerEdit>& edits = *edit_list;
  std::sort(edits.begin(), edits.end(), [](const DerEdit& a, const DerEdit& b) {
    return a.offset < b.offset;
  });
  size_t growth = 0;
  for (size_t i = 0; i < edits.size(); ++i) {
    const DerEdit& e = edits[i];
    if (e.length == 0 || End(e) > der.size() ||
        (i + 1 < edits.size() && End(e) > edits[i + 1].offset)) {
      return absl::InternalError(
          absl::StrCat("DER edit at offset ", e.offset, " (", e.length,
                       " bytes): empty, out of range or overlapping"));
    }
    if (e.bytes.size() > e.length) growth += e.bytes.size() - e.length;
  }
  std::string out;
  // Each re-encoded length grows by at most 4 bytes per level.
  out.reserve(der.size() + growth + 64);
  Editor editor(der, edits);
  RETURN_IF_ERROR(editor.EmitSequence(0, der.size(), &out));
  if (!editor.AllUsed()) {
    return absl::InternalError("DER edit beyond the last TLV");
  }
  return out;
}

}  // namespace smdp::profiles::saip::internal
