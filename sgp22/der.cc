#include "sgp22/der.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"

namespace smdp::sgp22::der {
namespace {

uint8_t Byte(absl::string_view s, size_t i) {
  return static_cast<uint8_t>(s[i]);
}

absl::Status Invalid(absl::string_view message) {
  return absl::InvalidArgumentError(message);
}

// Parses the identifier at the front of `in`; on success sets `*tag` and
// `*size`.
absl::Status ParseIdentifier(absl::string_view in, Tag* tag, size_t* size) {
  if (in.empty()) return Invalid("DER: truncated (no tag)");
  const uint8_t first = Byte(in, 0);
  if ((first & 0x1F) != 0x1F) {
    *tag = first;
    *size = 1;
    return absl::OkStatus();
  }
  // High-tag-number form: base-128 digits, continuation bit 0x80.
  uint32_t number = 0;
  Tag value = first;
  size_t i = 1;
  for (;; ++i) {
    if (i >= in.size()) return Invalid("DER: truncated tag");
    if (i >= 4) return Invalid("DER: tag longer than 4 bytes");
    const uint8_t b = Byte(in, i);
    if (i == 1 && b == 0x80) {
      return Invalid("DER: tag number not minimally encoded");
    }
    number = (number << 7) | (b & 0x7F);
    value = (value << 8) | b;
    if ((b & 0x80) == 0) break;
  }
  if (number < 31) {
    return Invalid("DER: high-tag-number form used for a tag number below 31");
  }
  *tag = value;
  *size = i + 1;
  return absl::OkStatus();
}

// Parses the length at the front of `in`.
absl::Status ParseLength(absl::string_view in, size_t* length, size_t* size) {
  if (in.empty()) return Invalid("DER: truncated (no length)");
  const uint8_t first = Byte(in, 0);
  if (first < 0x80) {
    *length = first;
    *size = 1;
    return absl::OkStatus();
  }
  if (first == 0x80) return Invalid("DER: indefinite length");
  const size_t n = first & 0x7F;
  if (n > 4) return Invalid("DER: length field longer than 4 bytes");
  if (in.size() < 1 + n) return Invalid("DER: truncated length");
  if (Byte(in, 1) == 0) return Invalid("DER: length has a leading zero byte");
  uint64_t value = 0;
  for (size_t i = 0; i < n; ++i) value = (value << 8) | Byte(in, 1 + i);
  if (value < 0x80)
    return Invalid("DER: long form used for a length below 128");
  *length = static_cast<size_t>(value);
  *size = 1 + n;
  return absl::OkStatus();
}

// DER rules for the contents of universal primitive types.
absl::Status CheckUniversal(const Tlv& tlv) {
  const uint32_t number = TagNumber(tlv.tag);
  const bool constructed = tlv.constructed();
  switch (number) {
    case 0:
      return Invalid("DER: universal tag 0 (end-of-contents) not allowed");
    case 16:  // SEQUENCE
    case 17:  // SET
      if (!constructed) return Invalid("DER: primitive SEQUENCE or SET");
      return absl::OkStatus();
    case 8:   // EXTERNAL
    case 11:  // EMBEDDED PDV
    case 29:  // CHARACTER STRING
      return absl::OkStatus();
    default:
      break;
  }
  if (constructed) {
    return Invalid(
        absl::StrCat("DER: constructed encoding of universal type ", number));
  }
  switch (number) {
    case 1:
      return DecodeBoolean(tlv.value).status();
    case 2:
    case 10:
      return CheckIntegerContents(tlv.value).status();
    case 3:
      return BitString::Decode(tlv.value).status();
    case 5:
      if (!tlv.value.empty()) return Invalid("DER: NULL with contents");
      return absl::OkStatus();
    case 6:
      return Oid::FromContents(tlv.value).status();
    default:
      return absl::OkStatus();
  }
}

}  // namespace

size_t TagSize(Tag tag) {
  if (tag > 0xFFFFFF) return 4;
  if (tag > 0xFFFF) return 3;
  if (tag > 0xFF) return 2;
  return 1;
}

namespace {
uint8_t FirstTagByte(Tag tag) {
  return static_cast<uint8_t>(tag >> (8 * (TagSize(tag) - 1)));
}
}  // namespace

TagClass TagClassOf(Tag tag) {
  return static_cast<TagClass>(FirstTagByte(tag) & 0xC0);
}

bool IsConstructed(Tag tag) { return (FirstTagByte(tag) & 0x20) != 0; }

uint32_t TagNumber(Tag tag) {
  const size_t size = TagSize(tag);
  if (size == 1) return tag & 0x1F;
  uint32_t number = 0;
  for (size_t i = size - 1; i-- > 0;) {
    number = (number << 7) | ((tag >> (8 * i)) & 0x7F);
  }
  return number;
}

std::string TagToString(Tag tag) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (size_t i = TagSize(tag); i-- > 0;) {
    const uint8_t b = static_cast<uint8_t>(tag >> (8 * i));
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0xF]);
  }
  return out;
}

absl::StatusOr<Tlv> ParseTlv(absl::string_view* input) {
  const absl::string_view in = *input;
  Tlv tlv;
  size_t tag_size = 0;
  if (absl::Status s = ParseIdentifier(in, &tlv.tag, &tag_size); !s.ok()) {
    return s;
  }
  size_t length = 0;
  size_t length_size = 0;
  if (absl::Status s = ParseLength(in.substr(tag_size), &length, &length_size);
      !s.ok()) {
    return s;
  }
  const size_t header = tag_size + length_size;
  if (length > in.size() - header) {
    return Invalid(absl::StrCat("DER: length ", length, " of tag ",
                                TagToString(tlv.tag), " exceeds the ",
                                in.size() - header, " bytes left"));
  }
  tlv.value = in.substr(header, length);
  tlv.raw = in.substr(0, header + length);
  input->remove_prefix(header + length);
  return tlv;
}

absl::Status ValidateDer(absl::string_view input, int max_depth) {
  // stack[d] holds what is left to parse at nesting level d+1.
  std::array<absl::string_view, 64> stack;
  if (max_depth < 1) return Invalid("DER: depth limit below 1");
  if (max_depth > static_cast<int>(stack.size())) {
    max_depth = static_cast<int>(stack.size());
  }
  int top = 0;
  stack[0] = input;
  while (top >= 0) {
    if (stack[top].empty()) {
      --top;
      continue;
    }
    absl::StatusOr<Tlv> tlv = ParseTlv(&stack[top]);
    if (!tlv.ok()) return tlv.status();
    if (TagClassOf(tlv->tag) == TagClass::kUniversal) {
      if (absl::Status s = CheckUniversal(*tlv); !s.ok()) return s;
    }
    if (tlv->constructed() && !tlv->value.empty()) {
      if (top + 1 >= max_depth) {
        return Invalid(
            absl::StrCat("DER: nested deeper than ", max_depth, " levels"));
      }
      stack[++top] = tlv->value;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Tlv> ParseSingleTlv(absl::string_view input, int max_depth) {
  absl::string_view rest = input;
  absl::StatusOr<Tlv> tlv = ParseTlv(&rest);
  if (!tlv.ok()) return tlv.status();
  if (!rest.empty()) {
    return Invalid(absl::StrCat("DER: ", rest.size(),
                                " trailing bytes after the structure"));
  }
  if (absl::Status s = ValidateDer(input, max_depth); !s.ok()) return s;
  return tlv;
}

absl::StatusOr<Tlv> ParseSingleTlv(absl::string_view input, Tag tag,
                                   absl::string_view what, int max_depth) {
  absl::StatusOr<Tlv> tlv = ParseSingleTlv(input, max_depth);
  if (!tlv.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": ", tlv.status().message()));
  }
  if (tlv->tag != tag) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": expected tag ",
                                                   TagToString(tag), ", got ",
                                                   TagToString(tlv->tag)));
  }
  return tlv;
}

// ---------------------------------------------------------------------------
// Reader

Reader::Reader(absl::string_view contents, int depth, absl::string_view what)
    : rest_(contents), depth_(depth), what_(what) {}

void Reader::Remember(Tag tag) {
  if (known_count_ < known_.size()) known_[known_count_++] = tag;
}

absl::Status Reader::FieldError(absl::string_view field,
                                absl::string_view message) const {
  if (field.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(what_, ": ", message));
  }
  return absl::InvalidArgumentError(
      absl::StrCat(what_, ".", field, ": ", message));
}

absl::StatusOr<Reader> Reader::Child(const Tlv& tlv,
                                     absl::string_view what) const {
  if (!tlv.constructed()) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": tag ", TagToString(tlv.tag), " is not constructed"));
  }
  if (depth_ + 1 >= kMaxDepth) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": nested deeper than ", kMaxDepth, " levels"));
  }
  return Reader(tlv.value, depth_ + 1, what);
}

bool Reader::NextIs(Tag tag) const {
  absl::string_view copy = rest_;
  absl::StatusOr<Tlv> tlv = ParseTlv(&copy);
  return tlv.ok() && tlv->tag == tag;
}

absl::StatusOr<Tag> Reader::PeekTag() const {
  absl::string_view copy = rest_;
  absl::StatusOr<Tlv> tlv = ParseTlv(&copy);
  if (!tlv.ok()) return FieldError("", tlv.status().message());
  return tlv->tag;
}

absl::StatusOr<Tlv> Reader::Next() {
  if (rest_.empty()) return FieldError("", "unexpected end of contents");
  absl::StatusOr<Tlv> tlv = ParseTlv(&rest_);
  if (!tlv.ok()) return FieldError("", tlv.status().message());
  return tlv;
}

absl::StatusOr<Tlv> Reader::Next(Tag tag, absl::string_view field) {
  Remember(tag);
  if (rest_.empty()) return FieldError(field, "mandatory field missing");
  absl::string_view copy = rest_;
  absl::StatusOr<Tlv> tlv = ParseTlv(&copy);
  if (!tlv.ok()) return FieldError(field, tlv.status().message());
  if (tlv->tag != tag) {
    return FieldError(
        field, absl::StrCat("mandatory field missing: expected tag ",
                            TagToString(tag), ", got ", TagToString(tlv->tag)));
  }
  rest_ = copy;
  return tlv;
}

absl::StatusOr<std::optional<Tlv>> Reader::Optional(Tag tag) {
  Remember(tag);
  if (rest_.empty()) return std::optional<Tlv>();
  absl::string_view copy = rest_;
  absl::StatusOr<Tlv> tlv = ParseTlv(&copy);
  if (!tlv.ok()) return FieldError("", tlv.status().message());
  if (tlv->tag != tag) return std::optional<Tlv>();
  rest_ = copy;
  return std::optional<Tlv>(*tlv);
}

absl::StatusOr<Reader> Reader::Enter(Tag tag, absl::string_view field) {
  absl::StatusOr<Tlv> tlv = Next(tag, field);
  if (!tlv.ok()) return tlv.status();
  return Child(*tlv, field);
}

absl::Status Reader::Finish() const {
  if (rest_.empty()) return absl::OkStatus();
  absl::string_view copy = rest_;
  absl::StatusOr<Tlv> tlv = ParseTlv(&copy);
  if (!tlv.ok()) return FieldError("", tlv.status().message());
  return FieldError(
      "", absl::StrCat("unexpected field with tag ", TagToString(tlv->tag)));
}

absl::StatusOr<std::vector<Tlv>> Reader::FinishExtensible() {
  std::vector<Tlv> skipped;
  while (!rest_.empty()) {
    absl::StatusOr<Tlv> tlv = ParseTlv(&rest_);
    if (!tlv.ok()) return FieldError("", tlv.status().message());
    if (std::find(known_.begin(), known_.begin() + known_count_, tlv->tag) !=
        known_.begin() + known_count_) {
      return FieldError("",
                        absl::StrCat("field with tag ", TagToString(tlv->tag),
                                     " repeated or out of order"));
    }
    skipped.push_back(*tlv);
  }
  return skipped;
}

// ---------------------------------------------------------------------------
// Writer

void AppendTag(Tag tag, std::string* out) {
  for (size_t i = TagSize(tag); i-- > 0;) {
    out->push_back(static_cast<char>(tag >> (8 * i)));
  }
}

size_t LengthSize(size_t length) {
  if (length < 0x80) return 1;
  size_t n = 0;
  for (size_t l = length; l != 0; l >>= 8) ++n;
  return 1 + n;
}

void AppendLength(size_t length, std::string* out) {
  if (length < 0x80) {
    out->push_back(static_cast<char>(length));
    return;
  }
  const size_t n = LengthSize(length) - 1;
  out->push_back(static_cast<char>(0x80 | n));
  for (size_t i = n; i-- > 0;) {
    out->push_back(static_cast<char>(length >> (8 * i)));
  }
}

size_t TlvSize(Tag tag, size_t content_length) {
  return TagSize(tag) + LengthSize(content_length) + content_length;
}

std::string EncodeTlv(Tag tag, absl::string_view value) {
  std::string out;
  out.reserve(TlvSize(tag, value.size()));
  AppendTag(tag, &out);
  AppendLength(value.size(), &out);
  out.append(value.data(), value.size());
  return out;
}

Writer& Writer::Add(Tag tag, absl::string_view value) {
  AppendTag(tag, &out_);
  AppendLength(value.size(), &out_);
  out_.append(value.data(), value.size());
  return *this;
}

Writer& Writer::AddRaw(absl::string_view der) {
  out_.append(der.data(), der.size());
  return *this;
}

Writer& Writer::AddHeader(Tag tag, size_t length) {
  AppendTag(tag, &out_);
  AppendLength(length, &out_);
  return *this;
}

Writer& Writer::AddInteger(int64_t value, Tag tag) {
  return Add(tag, EncodeIntegerContents(value));
}

Writer& Writer::AddBoolean(bool value, Tag tag) {
  return Add(
      tag, value ? absl::string_view("\xFF", 1) : absl::string_view("\x00", 1));
}

Writer& Writer::Begin(Tag tag) {
  AppendTag(tag, &out_);
  open_.push_back(out_.size());
  out_.push_back('\0');  // length placeholder, fixed by End()
  return *this;
}

Writer& Writer::End() {
  if (open_.empty()) return *this;
  const size_t at = open_.back();
  open_.pop_back();
  const size_t length = out_.size() - at - 1;
  if (length < 0x80) {
    out_[at] = static_cast<char>(length);
    return *this;
  }
  std::string header;
  AppendLength(length, &header);
  // One placeholder byte is there; insert the others in front of the
  // contents.
  out_.insert(at + 1, header.size() - 1, '\0');
  std::memcpy(&out_[at], header.data(), header.size());
  return *this;
}

std::string Writer::Finish() && {
  while (!open_.empty()) End();
  return std::move(out_);
}

// ---------------------------------------------------------------------------
// Universal types

std::string EncodeIntegerContents(int64_t value) {
  std::string out;
  // Big-endian two's complement, then drop redundant leading bytes.
  uint64_t u = static_cast<uint64_t>(value);
  char bytes[8];
  for (int i = 7; i >= 0; --i) {
    bytes[i] = static_cast<char>(u & 0xFF);
    u >>= 8;
  }
  int start = 0;
  while (start < 7) {
    const uint8_t b = static_cast<uint8_t>(bytes[start]);
    const uint8_t next = static_cast<uint8_t>(bytes[start + 1]);
    if ((b == 0x00 && (next & 0x80) == 0) || (b == 0xFF && (next & 0x80))) {
      ++start;
    } else {
      break;
    }
  }
  out.assign(bytes + start, 8 - start);
  return out;
}

absl::StatusOr<absl::string_view> CheckIntegerContents(
    absl::string_view contents) {
  if (contents.empty()) return Invalid("DER: empty INTEGER");
  if (contents.size() > 1) {
    const uint8_t b0 = Byte(contents, 0);
    const uint8_t b1 = Byte(contents, 1);
    if ((b0 == 0x00 && (b1 & 0x80) == 0) || (b0 == 0xFF && (b1 & 0x80))) {
      return Invalid("DER: INTEGER not minimally encoded");
    }
  }
  return contents;
}

absl::StatusOr<int64_t> DecodeInteger(absl::string_view contents) {
  absl::StatusOr<absl::string_view> checked = CheckIntegerContents(contents);
  if (!checked.ok()) return checked.status();
  if (contents.size() > 8) return Invalid("DER: INTEGER does not fit 64 bits");
  uint64_t u = (Byte(contents, 0) & 0x80) ? ~uint64_t{0} : 0;
  for (size_t i = 0; i < contents.size(); ++i) {
    u = (u << 8) | Byte(contents, i);
  }
  return static_cast<int64_t>(u);
}

absl::StatusOr<int64_t> DecodeNonNegativeInteger(absl::string_view contents) {
  absl::StatusOr<int64_t> v = DecodeInteger(contents);
  if (!v.ok()) return v.status();
  if (*v < 0) return Invalid("DER: negative INTEGER where none is allowed");
  return v;
}

absl::StatusOr<bool> DecodeBoolean(absl::string_view contents) {
  if (contents.size() != 1) return Invalid("DER: BOOLEAN is not one byte");
  const uint8_t b = Byte(contents, 0);
  if (b == 0x00) return false;
  if (b == 0xFF) return true;
  return Invalid("DER: BOOLEAN is neither 00 nor FF");
}

absl::Status ValidateUtf8(absl::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const uint8_t b = Byte(text, i);
    if (b < 0x80) {
      ++i;
      continue;
    }
    size_t n;
    uint32_t cp;
    if ((b & 0xE0) == 0xC0) {
      n = 1;
      cp = b & 0x1F;
    } else if ((b & 0xF0) == 0xE0) {
      n = 2;
      cp = b & 0x0F;
    } else if ((b & 0xF8) == 0xF0) {
      n = 3;
      cp = b & 0x07;
    } else {
      return Invalid("invalid UTF-8 lead byte");
    }
    if (i + n >= text.size()) return Invalid("truncated UTF-8 sequence");
    for (size_t k = 1; k <= n; ++k) {
      const uint8_t c = Byte(text, i + k);
      if ((c & 0xC0) != 0x80) return Invalid("invalid UTF-8 continuation byte");
      cp = (cp << 6) | (c & 0x3F);
    }
    static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n]) return Invalid("overlong UTF-8 sequence");
    if (cp > 0x10FFFF) return Invalid("UTF-8 code point above U+10FFFF");
    if (cp >= 0xD800 && cp <= 0xDFFF) return Invalid("UTF-8 surrogate");
    i += n + 1;
  }
  return absl::OkStatus();
}

namespace {

// Parses `n` decimal digits of `s` at `pos`.
bool Digits(absl::string_view s, size_t pos, size_t n, int* out) {
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    const char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

absl::StatusOr<absl::Time> DecodeTime(absl::string_view s, size_t year_digits) {
  const size_t expected = year_digits + 10 + 1;
  if (s.size() != expected || s.back() != 'Z') {
    return Invalid("DER: time is not in the form YYMMDDHHMMSSZ");
  }
  int year, month, day, hour, minute, second;
  size_t p = 0;
  if (!Digits(s, p, year_digits, &year) ||
      !Digits(s, p += year_digits, 2, &month) || !Digits(s, p += 2, 2, &day) ||
      !Digits(s, p += 2, 2, &hour) || !Digits(s, p += 2, 2, &minute) ||
      !Digits(s, p += 2, 2, &second)) {
    return Invalid("DER: time has non-digit characters");
  }
  if (year_digits == 2) year += year < 50 ? 2000 : 1900;
  const absl::CivilSecond civil(year, month, day, hour, minute, second);
  if (civil.year() != year || civil.month() != month || civil.day() != day ||
      civil.hour() != hour || civil.minute() != minute ||
      civil.second() != second) {
    return Invalid("DER: time is not a valid date");
  }
  return absl::FromCivil(civil, absl::UTCTimeZone());
}

}  // namespace

absl::StatusOr<absl::Time> DecodeUtcTime(absl::string_view contents) {
  return DecodeTime(contents, 2);
}

absl::StatusOr<absl::Time> DecodeGeneralizedTime(absl::string_view contents) {
  return DecodeTime(contents, 4);
}

// ---------------------------------------------------------------------------
// BitString

BitString BitString::FromBits(std::initializer_list<size_t> bits) {
  BitString b;
  for (size_t bit : bits) b.Set(bit);
  return b;
}

absl::StatusOr<BitString> BitString::Decode(absl::string_view contents) {
  if (contents.empty()) return Invalid("DER: BIT STRING without contents");
  const uint8_t unused = Byte(contents, 0);
  if (unused > 7)
    return Invalid("DER: BIT STRING with more than 7 unused bits");
  if (contents.size() == 1 && unused != 0) {
    return Invalid("DER: empty BIT STRING with unused bits");
  }
  if (unused != 0) {
    const uint8_t last = Byte(contents, contents.size() - 1);
    if ((last & ((1u << unused) - 1)) != 0) {
      return Invalid("DER: BIT STRING unused bits are not zero");
    }
  }
  BitString b;
  b.bytes_.assign(contents.data() + 1, contents.size() - 1);
  b.unused_bits_ = unused;
  return b;
}

BitString BitString::FromBytes(std::string bytes, int unused_bits) {
  BitString b;
  b.bytes_ = std::move(bytes);
  b.unused_bits_ = b.bytes_.empty() ? 0 : (unused_bits & 7);
  if (b.unused_bits_ != 0) {
    b.bytes_.back() = static_cast<char>(static_cast<uint8_t>(b.bytes_.back()) &
                                        ~((1u << b.unused_bits_) - 1));
  }
  return b;
}

bool BitString::Get(size_t index) const {
  if (index >= size()) return false;
  return (static_cast<uint8_t>(bytes_[index / 8]) >> (7 - index % 8)) & 1;
}

void BitString::Set(size_t index, bool value) {
  if (index >= size()) {
    if (!value) return;
    bytes_.resize(index / 8 + 1, '\0');
    unused_bits_ = static_cast<int>(7 - index % 8);
  }
  const uint8_t mask = static_cast<uint8_t>(1u << (7 - index % 8));
  uint8_t& byte = reinterpret_cast<uint8_t&>(bytes_[index / 8]);
  byte = value ? (byte | mask) : (byte & ~mask);
  TrimTrailingZeros();
}

void BitString::TrimTrailingZeros() {
  while (!bytes_.empty() && bytes_.back() == '\0') bytes_.pop_back();
  if (bytes_.empty()) {
    unused_bits_ = 0;
    return;
  }
  const uint8_t last = static_cast<uint8_t>(bytes_.back());
  int trailing = 0;
  while (((last >> trailing) & 1) == 0) ++trailing;
  unused_bits_ = trailing;
}

std::string BitString::Encode() const {
  std::string out;
  out.reserve(1 + bytes_.size());
  out.push_back(static_cast<char>(unused_bits_));
  out.append(bytes_);
  return out;
}

// ---------------------------------------------------------------------------
// Oid

namespace {

void AppendBase128(uint64_t v, std::string* out) {
  char buf[10];
  int n = 0;
  do {
    buf[n++] = static_cast<char>(v & 0x7F);
    v >>= 7;
  } while (v != 0);
  while (n-- > 0) out->push_back(static_cast<char>(buf[n] | (n ? 0x80 : 0)));
}

}  // namespace

absl::StatusOr<Oid> Oid::FromString(absl::string_view dotted) {
  std::vector<absl::string_view> parts = absl::StrSplit(dotted, '.');
  if (parts.size() < 2) return Invalid("OID needs at least two arcs");
  std::vector<uint64_t> arcs;
  arcs.reserve(parts.size());
  for (absl::string_view p : parts) {
    uint64_t v;
    if (p.empty() || (p.size() > 1 && p[0] == '0') ||
        p.find_first_not_of("0123456789") != absl::string_view::npos ||
        !absl::SimpleAtoi(p, &v)) {
      return Invalid(absl::StrCat("OID arc \"", p, "\" is not a number"));
    }
    arcs.push_back(v);
  }
  if (arcs[0] > 2) return Invalid("OID first arc above 2");
  if (arcs[0] < 2 && arcs[1] >= 40) return Invalid("OID second arc above 39");
  if (arcs[1] > std::numeric_limits<uint64_t>::max() - 80) {
    return Invalid("OID second arc too large");
  }
  std::string contents;
  AppendBase128(arcs[0] * 40 + arcs[1], &contents);
  for (size_t i = 2; i < arcs.size(); ++i) AppendBase128(arcs[i], &contents);
  return Oid(std::move(contents));
}

absl::StatusOr<Oid> Oid::FromContents(absl::string_view contents) {
  if (contents.empty()) return Invalid("DER: empty OBJECT IDENTIFIER");
  bool at_start = true;
  size_t digits = 0;  // base-128 digits of the current arc so far
  uint8_t lead = 0;   // first digit of the current arc
  for (size_t i = 0; i < contents.size(); ++i) {
    const uint8_t b = Byte(contents, i);
    if (at_start) {
      if (b == 0x80) {
        return Invalid("DER: OBJECT IDENTIFIER arc not minimally encoded");
      }
      lead = b & 0x7F;
      digits = 0;
    }
    ++digits;
    // 64 bits take at most 10 digits, the first of them holding one bit.
    if (digits > 10 || (digits == 10 && lead > 1)) {
      return Invalid("DER: OBJECT IDENTIFIER arc above 2^64");
    }
    at_start = (b & 0x80) == 0;
  }
  if (!at_start) return Invalid("DER: truncated OBJECT IDENTIFIER");
  return Oid(std::string(contents));
}

std::string Oid::ToString() const {
  std::string out;
  uint64_t v = 0;
  bool first = true;
  for (char c : contents_) {
    const uint8_t b = static_cast<uint8_t>(c);
    v = (v << 7) | (b & 0x7F);
    if (b & 0x80) continue;
    if (first) {
      const uint64_t a = v < 40 ? 0 : (v < 80 ? 1 : 2);
      absl::StrAppend(&out, a, ".", v - 40 * a);
      first = false;
    } else {
      absl::StrAppend(&out, ".", v);
    }
    v = 0;
  }
  return out;
}

}  // namespace smdp::sgp22::der
