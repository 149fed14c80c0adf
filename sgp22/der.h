// A strict DER (ITU-T X.690) TLV codec for the SGP.22 messages and for the
// X.509 certificates of the RSP PKI.
//
// Reading works on absl::string_view and never copies: every Tlv gives its
// tag, its contents (`value`) and its complete encoding as received (`raw`),
// so a signature can be verified over exactly the bytes that came in.
//
//   ASSIGN_OR_RETURN(der::Tlv info1, der::ParseSingleTlv(input));  // whole
//   tree der::Reader r(info1.value, /*depth=*/1, "EUICCInfo1");
//   ASSIGN_OR_RETURN(der::Tlv svn, r.Next(der::ContextTag(2), "svn"));
//   ASSIGN_OR_RETURN(der::Reader list, r.Enter(der::ContextTag(9, true),
//                                               "euiccCiPKIdListForVerification"));
//   ...
//   RETURN_IF_ERROR(r.FinishExtensible());  // skips later extension fields
//
// Writing builds the TLVs with minimal lengths:
//
//   der::Writer w;
//   w.Constructed(0xBF20, [&](der::Writer& w) {
//     w.Add(der::ContextTag(2), "\x02\x02\x00");
//     ...
//   });
//   std::string bytes = std::move(w).Finish();
//
// Tagging: an IMPLICIT [n] field is the same contents under another tag,
// w.Add(ContextTag(n), contents) or w.AddInteger(v, ContextTag(n)); an
// EXPLICIT [n] field wraps the whole inner TLV, w.Add(ContextTag(n, true),
// inner_tlv) or w.Constructed(ContextTag(n, true), ...). ENUMERATED is
// AddInteger(v, kEnumerated) and DecodeInteger().
//
// What "strict" means here (every rule is checked on every TLV):
//   * identifiers of at most 4 bytes; the high-tag-number form only for tag
//     numbers >= 31 and without leading 0x80 continuation bytes;
//   * definite lengths only (0x80, the indefinite form, is refused), in the
//     shortest form (0x81 only for 128..255, no leading zero byte, at most
//     4 length bytes), never longer than the input that is left;
//   * a structure that is parsed as a whole has no trailing bytes, and the
//     contents of every constructed TLV are exactly a sequence of TLVs;
//   * at most kMaxDepth levels of nesting, checked without recursion;
//   * universal types: SEQUENCE/SET constructed, all others primitive;
//     BOOLEAN is 00 or FF, INTEGER/ENUMERATED minimal, NULL empty, BIT STRING
//     with 0..7 unused bits that are zero, OBJECT IDENTIFIER minimal.
//
// Everything here is a pure function of its input; Reader and Writer are
// small values, not thread-safe, meant for one thread at a time.
#ifndef SMDP_SGP22_DER_H_
#define SMDP_SGP22_DER_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace smdp::sgp22::der {

// Deepest nesting a parsed structure may have: a TLV inside 15 constructed
// TLVs is accepted, one more level is refused. SGP.22 messages including
// their X.509 certificates stay below 10.
inline constexpr int kMaxDepth = 16;

// The four tag classes, as the top two bits of the first identifier byte.
enum class TagClass : uint8_t {
  kUniversal = 0x00,
  kApplication = 0x40,
  kContextSpecific = 0x80,
  kPrivate = 0xC0,
};

// A tag (identifier) as its DER bytes read as a big-endian number, the way
// SGP.22 writes them: 0x30 is SEQUENCE, 0x5A [APPLICATION 26], 0x80 [0]
// primitive, 0xA0 [0] constructed, 0xBF22 [34] constructed, 0x5F37
// [APPLICATION 55]. At most 4 bytes, so tag numbers below 2^21.
using Tag = uint32_t;

// Largest tag number a 4-byte identifier can carry.
inline constexpr uint32_t kMaxTagNumber = (1u << 21) - 1;

// The identifier of tag `number` in `cls`, constructed or primitive.
// Precondition: number <= kMaxTagNumber.
constexpr Tag MakeTag(TagClass cls, bool constructed, uint32_t number) {
  const uint32_t first =
      static_cast<uint32_t>(cls) | (constructed ? 0x20u : 0u);
  if (number < 31) return first | number;
  if (number < (1u << 7)) return ((first | 0x1F) << 8) | number;
  if (number < (1u << 14)) {
    return ((first | 0x1F) << 16) | ((0x80 | (number >> 7)) << 8) |
           (number & 0x7F);
  }
  return ((first | 0x1F) << 24) | ((0x80 | (number >> 14)) << 16) |
         ((0x80 | ((number >> 7) & 0x7F)) << 8) | (number & 0x7F);
}

// [number] in the context-specific class: ContextTag(0) == 0x80,
// ContextTag(2, true) == 0xA2, ContextTag(34, true) == 0xBF22.
constexpr Tag ContextTag(uint32_t number, bool constructed = false) {
  return MakeTag(TagClass::kContextSpecific, constructed, number);
}

// [APPLICATION number]: ApplicationTag(26) == 0x5A, ApplicationTag(55) ==
// 0x5F37, ApplicationTag(33, true) == 0x7F21.
constexpr Tag ApplicationTag(uint32_t number, bool constructed = false) {
  return MakeTag(TagClass::kApplication, constructed, number);
}

// [PRIVATE number].
constexpr Tag PrivateTag(uint32_t number, bool constructed = false) {
  return MakeTag(TagClass::kPrivate, constructed, number);
}

// Universal tags.
inline constexpr Tag kBoolean = 0x01;
inline constexpr Tag kInteger = 0x02;
inline constexpr Tag kBitString = 0x03;
inline constexpr Tag kOctetString = 0x04;
inline constexpr Tag kNull = 0x05;
inline constexpr Tag kObjectIdentifier = 0x06;
inline constexpr Tag kEnumerated = 0x0A;
inline constexpr Tag kUtf8String = 0x0C;
inline constexpr Tag kPrintableString = 0x13;
inline constexpr Tag kIa5String = 0x16;
inline constexpr Tag kUtcTime = 0x17;
inline constexpr Tag kGeneralizedTime = 0x18;
inline constexpr Tag kSequence = 0x30;
inline constexpr Tag kSet = 0x31;

// Number of identifier bytes of `tag` (1..4).
size_t TagSize(Tag tag);
// The class of `tag`.
TagClass TagClassOf(Tag tag);
// True when `tag` has the constructed bit.
bool IsConstructed(Tag tag);
// The tag number of `tag` (e.g. 34 for 0xBF22).
uint32_t TagNumber(Tag tag);
// `tag` in hex as SGP.22 writes it: "BF22", "5A", "80".
std::string TagToString(Tag tag);

// One TLV as found in the input. Both views point into the caller's buffer
// and live as long as it does.
struct Tlv {
  Tag tag = 0;
  // The contents octets.
  absl::string_view value;
  // Identifier, length and contents, exactly as received.
  absl::string_view raw;

  bool constructed() const { return IsConstructed(tag); }
  size_t header_size() const { return raw.size() - value.size(); }
};

// Parses the header of the TLV at the front of `*input`, checks its contents
// fit, and advances `*input` past the whole TLV. Does not look inside the
// contents (see ValidateDer). InvalidArgument on any header rule broken or
// on truncated input; `*input` is unchanged on error.
[[nodiscard]] absl::StatusOr<Tlv> ParseTlv(absl::string_view* input);

// Checks that `input` is a sequence of zero or more DER TLVs, descending into
// every constructed one (whose contents must be TLVs, exactly), at most
// `max_depth` levels deep, with the universal-type rules above. Iterative:
// hostile nesting costs no stack.
[[nodiscard]] absl::Status ValidateDer(absl::string_view input,
                                       int max_depth = kMaxDepth);

// Parses `input` as exactly one TLV and validates the whole tree under it
// (ValidateDer). Trailing bytes are an error.
[[nodiscard]] absl::StatusOr<Tlv> ParseSingleTlv(absl::string_view input,
                                                 int max_depth = kMaxDepth);

// Like ParseSingleTlv, and the tag must be `tag`; `what` names the structure
// in errors ("EUICCInfo1: expected tag BF20, got BF22").
[[nodiscard]] absl::StatusOr<Tlv> ParseSingleTlv(absl::string_view input,
                                                 Tag tag,
                                                 absl::string_view what,
                                                 int max_depth = kMaxDepth);

// Reads the TLVs inside one constructed TLV (or a top-level run of TLVs), in
// order, with errors that name the structure and field.
//
// Extensibility: SGP.22 declares EXTENSIBILITY IMPLIED, so a newer sender
// may append fields this code does not know. Every tag passed to Next() or
// Optional() is remembered as "known"; FinishExtensible() then skips the
// remaining TLVs but refuses one whose tag is known (a field out of order or
// repeated), while Finish() refuses any remaining TLV.
//
// A Reader does not re-validate the contents it hands out; decode a whole
// message with ParseSingleTlv() first (the typed decoders do).
class Reader {
 public:
  // Reads `contents`, which sits at nesting `depth` (0 for a top-level
  // buffer, 1 for the contents of a top-level TLV). `what` names the
  // structure in error messages and must outlive the Reader.
  explicit Reader(absl::string_view contents, int depth = 0,
                  absl::string_view what = "");

  // A Reader over the contents of constructed `tlv`, one level deeper.
  // InvalidArgument when `tlv` is primitive or the depth limit is reached.
  [[nodiscard]] absl::StatusOr<Reader> Child(const Tlv& tlv,
                                             absl::string_view what) const;

  bool AtEnd() const { return rest_.empty(); }
  absl::string_view remaining() const { return rest_; }
  int depth() const { return depth_; }
  absl::string_view what() const { return what_; }

  // True when a next TLV exists, its header parses, and its tag is `tag`.
  bool NextIs(Tag tag) const;
  // The tag of the next TLV. InvalidArgument at the end or on a bad header.
  [[nodiscard]] absl::StatusOr<Tag> PeekTag() const;

  // The next TLV, whatever its tag.
  [[nodiscard]] absl::StatusOr<Tlv> Next();
  // The next TLV, which must have `tag`: mandatory field `field`.
  [[nodiscard]] absl::StatusOr<Tlv> Next(Tag tag, absl::string_view field);
  // The next TLV if it has `tag` (OPTIONAL field), std::nullopt otherwise.
  [[nodiscard]] absl::StatusOr<std::optional<Tlv>> Optional(Tag tag);
  // Next(tag, field) followed by Child(): enters a mandatory constructed
  // field.
  [[nodiscard]] absl::StatusOr<Reader> Enter(Tag tag, absl::string_view field);

  // OK when no TLV is left; otherwise names the unexpected tag.
  [[nodiscard]] absl::Status Finish() const;
  // Skips the remaining TLVs (extension fields this code does not know);
  // InvalidArgument if one of them has a tag read or tried before (out of
  // order or duplicated) or is malformed. Returns the skipped TLVs.
  [[nodiscard]] absl::StatusOr<std::vector<Tlv>> FinishExtensible();

  // An InvalidArgument status "<what>.<field>: <message>".
  absl::Status FieldError(absl::string_view field,
                          absl::string_view message) const;

 private:
  absl::string_view rest_;
  int depth_;
  absl::string_view what_;
  void Remember(Tag tag);

  // Tags asked for so far; the SGP.22 structures have fewer than 32 fields
  // (further ones would only weaken the out-of-order check).
  std::array<Tag, 32> known_{};
  size_t known_count_ = 0;
};

// Builds DER. Primitive TLVs are appended with their final length; a
// constructed TLV is opened with Begin() and closed with End(), which writes
// its length and moves the contents only when the length needs more than one
// byte (or use AddHeader() with a precomputed length to avoid any move).
class Writer {
 public:
  Writer() = default;
  // Reserves room for `capacity` bytes up front.
  explicit Writer(size_t capacity) { out_.reserve(capacity); }

  void Reserve(size_t capacity) { out_.reserve(capacity); }

  // Appends tag, minimal length and `value`.
  Writer& Add(Tag tag, absl::string_view value);
  // Appends already-encoded DER (whole TLVs) as is: received signed parts,
  // certificates, segments.
  Writer& AddRaw(absl::string_view der);
  // Appends only the tag and the length of a TLV whose `length` contents
  // bytes the caller appends next (with AddRaw or more TLVs).
  Writer& AddHeader(Tag tag, size_t length);

  // INTEGER (or an implicitly tagged one) holding `value`, minimal.
  Writer& AddInteger(int64_t value, Tag tag = kInteger);
  // BOOLEAN: FF for true, 00 for false.
  Writer& AddBoolean(bool value, Tag tag = kBoolean);

  // Opens a constructed TLV with `tag` (which should have the constructed
  // bit). Must be matched by End().
  Writer& Begin(Tag tag);
  // Closes the innermost open constructed TLV. No-op when none is open.
  Writer& End();
  // Begin(tag), body(*this), End().
  template <typename Body>
  Writer& Constructed(Tag tag, Body&& body) {
    Begin(tag);
    std::forward<Body>(body)(*this);
    return End();
  }

  // The bytes written so far (open constructed TLVs have a placeholder
  // length).
  const std::string& bytes() const { return out_; }
  size_t size() const { return out_.size(); }

  // Closes any constructed TLV still open and returns the encoding.
  std::string Finish() &&;

 private:
  std::string out_;
  std::vector<size_t> open_;  // offset of each open TLV's length byte
};

// ---------------------------------------------------------------------------
// Encoding and decoding of the contents of universal types.

// Appends the identifier bytes of `tag`.
void AppendTag(Tag tag, std::string* out);
// Appends a DER length (short form below 128, else 0x81..0x84 + bytes).
void AppendLength(size_t length, std::string* out);
// Size of the DER length encoding of `length` (1..5 bytes).
size_t LengthSize(size_t length);
// Size of a whole TLV with `tag` and `content_length` bytes of contents.
size_t TlvSize(Tag tag, size_t content_length);
// One TLV: tag, length, `value`.
std::string EncodeTlv(Tag tag, absl::string_view value);

// The minimal two's-complement contents of INTEGER `value`.
std::string EncodeIntegerContents(int64_t value);
// Checks INTEGER contents are non-empty and minimal (no redundant leading
// 00 or FF byte); returns them unchanged. For integers of any size (X.509
// serial numbers).
[[nodiscard]] absl::StatusOr<absl::string_view> CheckIntegerContents(
    absl::string_view contents);
// INTEGER contents as int64_t; strict minimal form, at most 8 bytes.
[[nodiscard]] absl::StatusOr<int64_t> DecodeInteger(absl::string_view contents);
// DecodeInteger() that also refuses negative values.
[[nodiscard]] absl::StatusOr<int64_t> DecodeNonNegativeInteger(
    absl::string_view contents);
// BOOLEAN contents: exactly one byte, 00 (false) or FF (true).
[[nodiscard]] absl::StatusOr<bool> DecodeBoolean(absl::string_view contents);
// OK when `text` is well-formed UTF-8 (no overlong forms, surrogates or code
// points above U+10FFFF).
[[nodiscard]] absl::Status ValidateUtf8(absl::string_view text);

// X.509 times (RFC 5280 4.1.2.5): UTCTime "YYMMDDHHMMSSZ" (years 1950..2049)
// and GeneralizedTime "YYYYMMDDHHMMSSZ", both in UTC, nothing else.
[[nodiscard]] absl::StatusOr<absl::Time> DecodeUtcTime(
    absl::string_view contents);
[[nodiscard]] absl::StatusOr<absl::Time> DecodeGeneralizedTime(
    absl::string_view contents);

// A BIT STRING value: its bytes and the number of unused bits in the last
// byte. Bit 0 is the most significant bit of the first byte, the numbering
// of ASN.1 named bits (e.g. RspCapability, PprIds).
class BitString {
 public:
  BitString() = default;

  // A named-bit value with the listed bits set, in the DER form for named
  // bit lists (no trailing zero bits): FromBits({0, 2}) is 03 02 05 A0.
  static BitString FromBits(std::initializer_list<size_t> bits);
  // The value of BIT STRING contents (leading unused-bits byte included).
  // Strict: 0..7 unused bits, none when empty, unused bits zero.
  [[nodiscard]] static absl::StatusOr<BitString> Decode(
      absl::string_view contents);
  // Raw bytes and unused-bit count; unused bits are cleared. Precondition:
  // unused_bits <= 7, and 0 when `bytes` is empty.
  static BitString FromBytes(std::string bytes, int unused_bits);

  // Whether bit `index` is set; bits beyond the end read as 0.
  bool Get(size_t index) const;
  // Sets bit `index` to `value`, growing the string as needed, then removes
  // trailing zero bits (named-bit DER form).
  void Set(size_t index, bool value = true);

  // Number of bits (8 * bytes - unused bits).
  size_t size() const { return bytes_.size() * 8 - unused_bits_; }
  bool empty() const { return bytes_.empty(); }
  const std::string& bytes() const { return bytes_; }
  int unused_bits() const { return unused_bits_; }

  // The contents: unused-bits byte followed by the bytes.
  std::string Encode() const;

  friend bool operator==(const BitString& a, const BitString& b) {
    return a.unused_bits_ == b.unused_bits_ && a.bytes_ == b.bytes_;
  }
  friend bool operator!=(const BitString& a, const BitString& b) {
    return !(a == b);
  }

 private:
  void TrimTrailingZeros();

  std::string bytes_;
  int unused_bits_ = 0;
};

// An OBJECT IDENTIFIER, held as its DER contents, so it is always valid.
class Oid {
 public:
  Oid() = default;

  // From dotted text, e.g. "2.23.146.1.2.1.3". Needs at least two arcs, the
  // first 0..2, the second below 40 unless the first is 2.
  [[nodiscard]] static absl::StatusOr<Oid> FromString(absl::string_view dotted);
  // From DER contents (no tag or length). Strict: non-empty, minimal
  // base-128 arcs, each below 2^64, last byte complete.
  [[nodiscard]] static absl::StatusOr<Oid> FromContents(
      absl::string_view contents);

  // The dotted text, e.g. "1.3.6.1.4.1.31746".
  std::string ToString() const;
  // The DER contents (empty for a default-constructed Oid).
  const std::string& contents() const { return contents_; }
  bool empty() const { return contents_.empty(); }

  friend bool operator==(const Oid& a, const Oid& b) {
    return a.contents_ == b.contents_;
  }
  friend bool operator!=(const Oid& a, const Oid& b) { return !(a == b); }

 private:
  explicit Oid(std::string contents) : contents_(std::move(contents)) {}
  std::string contents_;
};

}  // namespace smdp::sgp22::der

#endif  // SMDP_SGP22_DER_H_
