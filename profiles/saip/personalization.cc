#include "profiles/saip/personalization.h"

#include <openssl/crypto.h>

#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "profiles/saip/coding.h"
#include "profiles/saip/internal/der_edit.h"
#include "sgp22/der.h"
#include "util/status_macros.h"

namespace smdp::profiles::saip {
namespace {

namespace der = ::smdp::sgp22::der;
using internal::DerEdit;

constexpr der::Tag kHeaderIccidTag = der::ContextTag(3);
constexpr der::Tag kKeyTag = der::ContextTag(2);
constexpr der::Tag kOpcTag = der::ContextTag(3);
constexpr der::Tag kCodeValueTag = der::ContextTag(1);
constexpr der::Tag kFillFileOffset = der::ContextTag(2);
constexpr der::Tag kFillFileContent = der::ContextTag(3);

absl::Status Prefix(absl::string_view field, const absl::Status& s) {
  if (s.ok()) return s;
  return absl::Status(s.code(), absl::StrCat(field, ": ", s.message()));
}

absl::Status Missing(absl::string_view field, absl::string_view where) {
  return absl::FailedPreconditionError(absl::StrCat(
      field, " is given but the template has no ", where, " to write it to"));
}

// Replaces the value TLV at `loc` with `tag` || length || `value`.
DerEdit ValueEdit(const ValueLocation& loc, der::Tag tag,
                  absl::string_view value) {
  return DerEdit{loc.tlv.offset, loc.tlv.length, der::EncodeTlv(tag, value)};
}

// The File at `loc` with its fill elements replaced by one fillFileContent
// holding `content`; its other elements (Fcp, doNotCreate) stay in order.
absl::StatusOr<DerEdit> FileEdit(absl::string_view upp, const FileLocation& loc,
                                 absl::string_view content) {
  absl::string_view raw = loc.file.In(upp);
  ASSIGN_OR_RETURN(der::Tlv file, der::ParseTlv(&raw));
  std::string body;
  body.reserve(file.value.size() + content.size() + 8);
  absl::string_view rest = file.value;
  while (!rest.empty()) {
    ASSIGN_OR_RETURN(der::Tlv e, der::ParseTlv(&rest));
    if (e.tag == kFillFileOffset || e.tag == kFillFileContent) continue;
    body.append(e.raw.data(), e.raw.size());
  }
  body += der::EncodeTlv(kFillFileContent, content);
  std::string out = der::EncodeTlv(file.tag, body);
  WipeSecret(&body);
  return DerEdit{loc.file.offset, loc.file.length, std::move(out)};
}

absl::Status AddCodeEdits(const std::vector<CodeLocation>& codes,
                          uint32_t key_reference, absl::string_view value,
                          absl::string_view field, absl::string_view where,
                          std::vector<DerEdit>* edits) {
  bool found = false;
  for (const CodeLocation& code : codes) {
    if (code.key_reference != key_reference) continue;
    edits->push_back(ValueEdit(code.value, kCodeValueTag, value));
    found = true;
  }
  if (!found) return Missing(field, where);
  return absl::OkStatus();
}

absl::Status CheckKeySize(absl::string_view value, absl::string_view field) {
  if (value.size() != 16 && value.size() != 32) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, " must be 16 or 32 bytes (got ", value.size(), ")"));
  }
  return absl::OkStatus();
}

// Wipes the secret bytes of the edits (the new values) when it goes away.
struct EditsWiper {
  std::vector<DerEdit>* edits;
  ~EditsWiper() {
    for (DerEdit& e : *edits) WipeSecret(&e.bytes);
  }
};

}  // namespace

void WipeSecret(std::string* s) {
  s->resize(s->capacity());  // the tail is zero-filled, never reallocated
  OPENSSL_cleanse(s->data(), s->size());
  s->clear();
}

SubscriberData::~SubscriberData() {
  for (std::string* s : {&ki, &opc, &pin1, &pin2, &puk1, &puk2, &adm1}) {
    WipeSecret(s);
  }
}

absl::StatusOr<Template> Template::Create(std::string upp,
                                          PersonalizationOptions options,
                                          const DecodeOptions& decode_options) {
  ASSIGN_OR_RETURN(ProfilePackage package,
                   DecodeProfilePackage(upp, decode_options));
  if (package.ef_iccid.empty()) {
    return absl::FailedPreconditionError(
        "template: no EF.ICCID (PE-MF ef-iccid) to personalise");
  }
  if (package.ef_imsi.empty()) {
    return absl::FailedPreconditionError(
        "template: no EF.IMSI (PE-USIM ef-imsi) to personalise");
  }
  if (package.algorithms.empty()) {
    return absl::FailedPreconditionError(
        "template: no akaParameter with an algoParameter (Ki, OPc)");
  }
  return Template(std::move(upp), std::move(package), options);
}

absl::StatusOr<std::string> Template::Personalize(
    const SubscriberData& d) const {
  const ProfilePackage& p = package_;
  std::vector<DerEdit> edits;
  EditsWiper wiper{&edits};

  // ICCID: header (plain BCD) and EF.ICCID (swapped).
  auto header_iccid = EncodeIccidHeader(d.iccid);
  RETURN_IF_ERROR(Prefix("ICCID", header_iccid.status()));
  edits.push_back(ValueEdit(p.header.iccid, kHeaderIccidTag, *header_iccid));
  ASSIGN_OR_RETURN(std::string ef_iccid, EncodeIccidFile(d.iccid));
  for (const FileLocation& f : p.ef_iccid) {
    ASSIGN_OR_RETURN(DerEdit e, FileEdit(upp_, f, ef_iccid));
    edits.push_back(std::move(e));
  }

  // IMSI, and EF.ACC.
  auto ef_imsi = EncodeImsiFile(d.imsi);
  RETURN_IF_ERROR(Prefix("IMSI", ef_imsi.status()));
  for (const FileLocation& f : p.ef_imsi) {
    ASSIGN_OR_RETURN(DerEdit e, FileEdit(upp_, f, *ef_imsi));
    edits.push_back(std::move(e));
  }
  std::string acc = d.acc;
  if (acc.empty() && options_.derive_acc_from_imsi) {
    ASSIGN_OR_RETURN(acc, EncodeAccForImsi(d.imsi));
  }
  if (!acc.empty()) {
    if (acc.size() != kAccSize) {
      return absl::InvalidArgumentError("ACC must be 2 bytes");
    }
    if (p.ef_acc.empty()) return Missing("ACC", "EF.ACC");
    for (const FileLocation& f : p.ef_acc) {
      ASSIGN_OR_RETURN(DerEdit e, FileEdit(upp_, f, acc));
      edits.push_back(std::move(e));
    }
  }

  // Ki and OPc in every algoParameter.
  RETURN_IF_ERROR(CheckKeySize(d.ki, "Ki"));
  RETURN_IF_ERROR(CheckKeySize(d.opc, "OPc"));
  for (const AlgorithmLocation& a : p.algorithms) {
    edits.push_back(ValueEdit(a.key, kKeyTag, d.ki));
    edits.push_back(ValueEdit(a.opc, kOpcTag, d.opc));
  }

  // PINs, ADM1 and PUKs.
  struct Code {
    const std::string& value;
    size_t min_digits;
    uint32_t key_reference;
    const char* name;
    bool puk;
  };
  const Code codes[] = {
      {d.pin1, 4, kKeyRefPin1, "PIN1", false},
      {d.pin2, 4, kKeyRefPin2, "PIN2", false},
      {d.puk1, 8, kKeyRefPuk1, "PUK1", true},
      {d.puk2, 8, kKeyRefPuk2, "PUK2", true},
  };
  for (const Code& c : codes) {
    if (c.value.empty()) continue;
    auto value = EncodeCodeValue(c.value, c.min_digits);
    RETURN_IF_ERROR(Prefix(c.name, value.status()));
    absl::Status s =
        c.puk ? AddCodeEdits(p.puks, c.key_reference, *value, c.name,
                             "PUKConfiguration with that keyReference", &edits)
              : AddCodeEdits(p.pins, c.key_reference, *value, c.name,
                             "PINConfiguration with that keyReference", &edits);
    std::string wipe = *std::move(value);
    WipeSecret(&wipe);
    RETURN_IF_ERROR(s);
  }
  if (!d.adm1.empty()) {
    if (d.adm1.size() != kCodeValueSize) {
      return absl::InvalidArgumentError("ADM1 value must be 8 bytes");
    }
    RETURN_IF_ERROR(AddCodeEdits(p.pins, kKeyRefAdm1, d.adm1, "ADM1",
                                 "PINConfiguration adm1 (0x0A)", &edits));
  }

  // MSISDN into the first record of EF.MSISDN.
  if (!d.msisdn.empty()) {
    if (p.ef_msisdn.empty()) return Missing("MSISDN", "EF.MSISDN");
    for (const FileLocation& f : p.ef_msisdn) {
      if (f.record_length == 0) {
        return absl::FailedPreconditionError(
            "MSISDN: the template's EF.MSISDN has no fileDescriptor giving "
            "its record length");
      }
      if (f.fill_elements > 1 ||
          (f.fill_elements == 1 && !f.content.has_value())) {
        return absl::FailedPreconditionError(
            "MSISDN: the template's EF.MSISDN content uses fillFileOffset; "
            "not supported");
      }
      auto record = EncodeMsisdnRecord(d.msisdn, f.record_length);
      RETURN_IF_ERROR(Prefix("MSISDN", record.status()));
      std::string content = *std::move(record);
      if (f.content.has_value() && f.content->value.length > content.size()) {
        // Keep the template's further records.
        absl::string_view old = f.content->value.In(upp_);
        absl::string_view tail = old.substr(content.size());
        content.append(tail.data(), tail.size());
      }
      ASSIGN_OR_RETURN(DerEdit e, FileEdit(upp_, f, content));
      edits.push_back(std::move(e));
    }
  }

  return internal::ApplyDerEdits(upp_, &edits);
}

absl::StatusOr<SubscriberData> ReadSubscriberData(absl::string_view upp,
                                                  const ProfilePackage& p) {
  if (upp.size() != p.size) {
    return absl::InvalidArgumentError("package size does not match");
  }
  SubscriberData d;
  ASSIGN_OR_RETURN(d.iccid, DecodeIccidHeader(p.header.iccid.value.In(upp)));
  for (const FileLocation& f : p.ef_iccid) {
    if (!f.content.has_value()) continue;
    auto ef = DecodeIccidFile(f.content->value.In(upp));
    RETURN_IF_ERROR(Prefix("EF.ICCID", ef.status()));
    if (*ef != d.iccid) {
      return absl::FailedPreconditionError(absl::StrCat(
          "EF.ICCID ", *ef, " differs from the header ICCID ", d.iccid));
    }
  }
  for (const FileLocation& f : p.ef_imsi) {
    if (!f.content.has_value()) continue;
    ASSIGN_OR_RETURN(d.imsi, DecodeImsiFile(f.content->value.In(upp)));
    break;
  }
  for (const FileLocation& f : p.ef_acc) {
    if (!f.content.has_value()) continue;
    d.acc = std::string(f.content->value.In(upp));
    break;
  }
  for (const FileLocation& f : p.ef_msisdn) {
    if (!f.content.has_value() || f.record_length == 0 ||
        f.content->value.length < f.record_length) {
      continue;
    }
    ASSIGN_OR_RETURN(d.msisdn,
                     DecodeMsisdnRecord(
                         f.content->value.In(upp).substr(0, f.record_length)));
    break;
  }
  if (!p.algorithms.empty()) {
    d.ki = std::string(p.algorithms[0].key.value.In(upp));
    d.opc = std::string(p.algorithms[0].opc.value.In(upp));
  }
  auto first_code = [&](const std::vector<CodeLocation>& codes, uint32_t ref,
                        std::string* out, bool raw) -> absl::Status {
    for (const CodeLocation& c : codes) {
      if (c.key_reference != ref) continue;
      absl::string_view value = c.value.value.In(upp);
      if (raw) {
        *out = std::string(value);
      } else {
        ASSIGN_OR_RETURN(*out, DecodeCodeValue(value));
      }
      return absl::OkStatus();
    }
    return absl::OkStatus();
  };
  RETURN_IF_ERROR(
      Prefix("PIN1", first_code(p.pins, kKeyRefPin1, &d.pin1, false)));
  RETURN_IF_ERROR(
      Prefix("PIN2", first_code(p.pins, kKeyRefPin2, &d.pin2, false)));
  RETURN_IF_ERROR(first_code(p.pins, kKeyRefAdm1, &d.adm1, true));
  RETURN_IF_ERROR(
      Prefix("PUK1", first_code(p.puks, kKeyRefPuk1, &d.puk1, false)));
  RETURN_IF_ERROR(
      Prefix("PUK2", first_code(p.puks, kKeyRefPuk2, &d.puk2, false)));
  return d;
}

}  // namespace smdp::profiles::saip
