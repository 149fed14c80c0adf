#include "profiles/saip/coding.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace smdp::profiles::saip {
namespace {

uint8_t Byte(absl::string_view s, size_t i) {
  return static_cast<uint8_t>(s[i]);
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Nibbles of `digits` padded with 0xF to 2 * `size`, high nibble first in
// each byte (swapped = false) or low nibble first (swapped = true).
std::string PackBcd(absl::string_view digits, size_t size, bool swapped) {
  std::string out(size, '\xFF');
  for (size_t i = 0; i < digits.size(); ++i) {
    const uint8_t nibble = static_cast<uint8_t>(digits[i] - '0');
    const bool high = ((i % 2) == 0) != swapped;
    uint8_t b = Byte(out, i / 2);
    b = high ? static_cast<uint8_t>((b & 0x0F) | (nibble << 4))
             : static_cast<uint8_t>((b & 0xF0) | nibble);
    out[i / 2] = static_cast<char>(b);
  }
  return out;
}

// The digits of BCD `bytes` read high nibble first (or swapped), stopping
// at the first F; everything after it must be F. `what` names the field.
absl::StatusOr<std::string> UnpackBcd(absl::string_view bytes, bool swapped,
                                      absl::string_view what) {
  std::string digits;
  bool padding = false;
  for (size_t i = 0; i < bytes.size() * 2; ++i) {
    const bool high = ((i % 2) == 0) != swapped;
    const uint8_t b = Byte(bytes, i / 2);
    const uint8_t nibble = high ? (b >> 4) : (b & 0x0F);
    if (nibble == 0x0F) {
      padding = true;
      continue;
    }
    if (padding || nibble > 9) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": not BCD digits followed by F padding"));
    }
    digits.push_back(static_cast<char>('0' + nibble));
  }
  return digits;
}

absl::Status CheckIccid(absl::string_view iccid) {
  if (!IsDigits(iccid) || iccid.size() < 19 || iccid.size() > 20) {
    return absl::InvalidArgumentError(absl::StrCat(
        "ICCID must be 19 or 20 digits, got '", absl::CHexEscape(iccid), "'"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> CheckDecodedIccid(absl::StatusOr<std::string> s) {
  if (!s.ok()) return s;
  if (s->size() < 19) {
    return absl::InvalidArgumentError(
        absl::StrCat("ICCID: ", s->size(), " digits, expected 19 or 20"));
  }
  return s;
}

}  // namespace

bool IsDigits(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

int LuhnCheckDigit(absl::string_view digits) {
  // From the right: double every digit at an even distance from the
  // (missing) check digit.
  int sum = 0;
  bool twice = true;
  for (size_t i = digits.size(); i > 0; --i) {
    int d = digits[i - 1] - '0';
    if (twice) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    twice = !twice;
  }
  return (10 - sum % 10) % 10;
}

bool HasValidLuhn(absl::string_view digits) {
  if (digits.size() < 2 || !IsDigits(digits)) return false;
  return LuhnCheckDigit(digits.substr(0, digits.size() - 1)) ==
         digits.back() - '0';
}

absl::StatusOr<std::string> EncodeIccidHeader(absl::string_view iccid) {
  if (absl::Status s = CheckIccid(iccid); !s.ok()) return s;
  return PackBcd(iccid, kIccidSize, /*swapped=*/false);
}

absl::StatusOr<std::string> EncodeIccidFile(absl::string_view iccid) {
  if (absl::Status s = CheckIccid(iccid); !s.ok()) return s;
  return PackBcd(iccid, kIccidSize, /*swapped=*/true);
}

absl::StatusOr<std::string> DecodeIccidHeader(absl::string_view bytes) {
  if (bytes.size() != kIccidSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("ICCID: ", bytes.size(), " bytes, expected 10"));
  }
  return CheckDecodedIccid(UnpackBcd(bytes, /*swapped=*/false, "ICCID"));
}

absl::StatusOr<std::string> DecodeIccidFile(absl::string_view bytes) {
  if (bytes.size() != kIccidSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("EF.ICCID: ", bytes.size(), " bytes, expected 10"));
  }
  return CheckDecodedIccid(UnpackBcd(bytes, /*swapped=*/true, "EF.ICCID"));
}

absl::StatusOr<std::string> EncodeImsiFile(absl::string_view imsi) {
  if (!IsDigits(imsi) || imsi.size() < 6 || imsi.size() > 15) {
    return absl::InvalidArgumentError(absl::StrCat(
        "IMSI must be 6 to 15 digits, got '", absl::CHexEscape(imsi), "'"));
  }
  // The parity nibble comes first, as if it were a digit: pack
  // "<parity><digits>" swapped, then put the parity in place.
  const bool odd = imsi.size() % 2 == 1;
  std::string nibbles(1, '0');
  nibbles.append(imsi.data(), imsi.size());
  std::string packed = PackBcd(nibbles, kImsiFileSize - 1, /*swapped=*/true);
  packed[0] = static_cast<char>((Byte(packed, 0) & 0xF0) | (odd ? 0x9 : 0x1));
  std::string out(1, static_cast<char>((imsi.size() + 2) / 2));
  out += packed;
  return out;
}

absl::StatusOr<std::string> DecodeImsiFile(absl::string_view bytes) {
  if (bytes.empty()) return absl::InvalidArgumentError("EF.IMSI: empty");
  const size_t length = Byte(bytes, 0);
  if (length < 1 || length > 8 || length + 1 > bytes.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("EF.IMSI: bad length byte ", length));
  }
  const uint8_t first = Byte(bytes, 1);
  const uint8_t parity = first & 0x0F;
  if ((parity & 0x7) != 0x1) {
    return absl::InvalidArgumentError("EF.IMSI: identity type is not IMSI");
  }
  std::string digits;
  if ((first >> 4) > 9) {
    return absl::InvalidArgumentError("EF.IMSI: not BCD");
  }
  digits.push_back(static_cast<char>('0' + (first >> 4)));
  auto rest =
      UnpackBcd(bytes.substr(2, length - 1), /*swapped=*/true, "EF.IMSI");
  if (!rest.ok()) return rest.status();
  digits += *rest;
  const bool odd = (parity & 0x8) != 0;
  if ((digits.size() % 2 == 1) != odd || digits.size() < 6 ||
      (digits.size() + 2) / 2 != length) {
    return absl::InvalidArgumentError(
        "EF.IMSI: length and parity do not match the digits");
  }
  return digits;
}

absl::StatusOr<std::string> EncodeCodeValue(absl::string_view digits,
                                            size_t min_digits) {
  if (!IsDigits(digits) || digits.size() < min_digits ||
      digits.size() > kCodeValueSize) {
    // Never echo the value: it is a secret.
    return absl::InvalidArgumentError(
        absl::StrCat("code must be ", min_digits, " to 8 digits (got ",
                     digits.size(), " characters)"));
  }
  std::string out(digits.data(), digits.size());
  out.resize(kCodeValueSize, '\xFF');
  return out;
}

absl::StatusOr<std::string> DecodeCodeValue(absl::string_view bytes) {
  if (bytes.size() != kCodeValueSize) {
    return absl::InvalidArgumentError("code value is not 8 bytes");
  }
  size_t n = 0;
  while (n < bytes.size() && bytes[n] >= '0' && bytes[n] <= '9') ++n;
  for (size_t i = n; i < bytes.size(); ++i) {
    if (Byte(bytes, i) != 0xFF) {
      return absl::InvalidArgumentError(
          "code value is not ASCII digits with FF padding");
    }
  }
  if (n == 0) return absl::InvalidArgumentError("code value has no digits");
  return std::string(bytes.substr(0, n));
}

absl::StatusOr<std::string> EncodeAdmValue(absl::string_view text) {
  if (text.size() == 8 && IsDigits(text)) return std::string(text);
  if (text.size() == 16) {
    std::string out(8, '\0');
    for (size_t i = 0; i < 8; ++i) {
      const int hi = HexValue(text[2 * i]);
      const int lo = HexValue(text[2 * i + 1]);
      if (hi < 0 || lo < 0) {
        return absl::InvalidArgumentError(
            "ADM must be 8 digits or 16 hex digits");
      }
      out[i] = static_cast<char>((hi << 4) | lo);
    }
    return out;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("ADM must be 8 digits or 16 hex digits (got ", text.size(),
                   " characters)"));
}

absl::StatusOr<std::string> EncodeAccForImsi(absl::string_view imsi) {
  if (!IsDigits(imsi)) {
    return absl::InvalidArgumentError("IMSI must be digits");
  }
  const int access_class = imsi.back() - '0';
  const uint16_t mask = static_cast<uint16_t>(1u << access_class);
  std::string out(2, '\0');
  out[0] = static_cast<char>(mask >> 8);
  out[1] = static_cast<char>(mask & 0xFF);
  return out;
}

absl::StatusOr<std::string> EncodeMsisdnRecord(absl::string_view msisdn,
                                               size_t record_length) {
  const bool international = !msisdn.empty() && msisdn[0] == '+';
  absl::string_view digits = international ? msisdn.substr(1) : msisdn;
  if (!IsDigits(digits) || digits.size() > kMaxMsisdnDigits) {
    return absl::InvalidArgumentError(
        absl::StrCat("MSISDN must be '+' (optional) and 1 to 20 digits, got '",
                     absl::CHexEscape(msisdn), "'"));
  }
  if (record_length < kMsisdnRecordTail || record_length > 255) {
    return absl::InvalidArgumentError(absl::StrCat(
        "EF.MSISDN record length ", record_length, " is not 14..255"));
  }
  std::string out(record_length - kMsisdnRecordTail, '\xFF');
  out.push_back(static_cast<char>((digits.size() + 1) / 2 + 1));
  out.push_back(international ? '\x91' : '\x81');
  out += PackBcd(digits, 10, /*swapped=*/true);
  out.push_back('\xFF');  // capability/configuration2 record identifier
  out.push_back('\xFF');  // extension5 record identifier
  return out;
}

absl::StatusOr<std::string> DecodeMsisdnRecord(absl::string_view record) {
  if (record.size() < kMsisdnRecordTail) {
    return absl::InvalidArgumentError("EF.MSISDN record shorter than 14");
  }
  absl::string_view tail = record.substr(record.size() - kMsisdnRecordTail);
  if (Byte(tail, 0) == 0xFF) return std::string();
  const size_t length = Byte(tail, 0);
  if (length < 2 || length > 11) {
    return absl::InvalidArgumentError("EF.MSISDN: bad number length");
  }
  auto digits =
      UnpackBcd(tail.substr(2, length - 1), /*swapped=*/true, "EF.MSISDN");
  if (!digits.ok()) return digits.status();
  const bool international = (Byte(tail, 1) & 0x70) == 0x10;
  return international ? absl::StrCat("+", *digits) : *digits;
}

}  // namespace smdp::profiles::saip
