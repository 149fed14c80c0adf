// Encodings of the subscriber values inside a SAIP profile package (TCA
// eUICC Profile Package: Interoperable Format, with the file contents of
// ETSI TS 102 221 and 3GPP TS 31.102).
//
//   ASSIGN_OR_RETURN(std::string header_iccid, EncodeIccidHeader(iccid));
//   ASSIGN_OR_RETURN(std::string ef_iccid, EncodeIccidFile(iccid));
//   ASSIGN_OR_RETURN(std::string ef_imsi, EncodeImsiFile(imsi));
//
// The ICCID is written twice, in two codings (checked against the public
// GSMA TS.48 test profiles):
//   * ProfileHeader.iccid: the digits as plain BCD, first digit in the high
//     nibble, padded with F to 10 bytes: "8949449999999990171" is
//     89 49 44 99 99 99 99 90 17 1F;
//   * EF.ICCID (2FE2): the same nibbles swapped in each byte
//     (98 94 44 99 99 99 99 09 71 F1).
//
// Every function is a pure function of its input: thread-safe.
#ifndef SMDP_PROFILES_SAIP_CODING_H_
#define SMDP_PROFILES_SAIP_CODING_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace smdp::profiles::saip {

// Size of ProfileHeader.iccid and of EF.ICCID.
inline constexpr size_t kIccidSize = 10;
// Size of EF.IMSI: a length byte and 8 bytes of BCD (TS 31.102 4.2.2).
inline constexpr size_t kImsiFileSize = 9;
// Size of PINConfiguration.pinValue and PUKConfiguration.pukValue.
inline constexpr size_t kCodeValueSize = 8;
// Size of EF.ACC.
inline constexpr size_t kAccSize = 2;
// The fixed part at the end of an EF.MSISDN record (TS 31.102 4.2.26):
// length, TON/NPI, 10 bytes of dialling number, CCP2 and EXT5 identifiers.
inline constexpr size_t kMsisdnRecordTail = 14;
// Most digits the 10-byte dialling number of EF.MSISDN holds.
inline constexpr size_t kMaxMsisdnDigits = 20;

// True when `s` is non-empty and only '0'..'9'.
bool IsDigits(absl::string_view s);

// The Luhn check digit (0..9) of `digits` (the payload, without a check
// digit). Precondition: IsDigits(digits).
int LuhnCheckDigit(absl::string_view digits);

// True when the last digit of `digits` is the Luhn check digit of the ones
// before it. False for fewer than two digits or a non-digit.
bool HasValidLuhn(absl::string_view digits);

// An ICCID of 19 or 20 digits as ProfileHeader.iccid (plain BCD, F-padded).
// InvalidArgument otherwise.
[[nodiscard]] absl::StatusOr<std::string> EncodeIccidHeader(
    absl::string_view iccid);
// An ICCID of 19 or 20 digits as the content of EF.ICCID (swapped BCD).
[[nodiscard]] absl::StatusOr<std::string> EncodeIccidFile(
    absl::string_view iccid);
// The digits of a 10-byte ProfileHeader.iccid / EF.ICCID. Strict: digits
// only, then F padding only (an ICCID of 19 or 20 digits).
[[nodiscard]] absl::StatusOr<std::string> DecodeIccidHeader(
    absl::string_view bytes);
[[nodiscard]] absl::StatusOr<std::string> DecodeIccidFile(
    absl::string_view bytes);

// An IMSI of 6..15 digits as the 9-byte content of EF.IMSI: length byte
// (bytes that follow: (digits + 1) rounded up / 2), the first digit in the
// high nibble of the next byte over the parity nibble (9 odd, 1 even),
// then swapped BCD, F-padded to 9 bytes. "001010123456063" is
// 08 09 10 10 10 32 54 06 36.
[[nodiscard]] absl::StatusOr<std::string> EncodeImsiFile(
    absl::string_view imsi);
// The IMSI in an EF.IMSI content (at least the bytes its length byte
// names). Strict: parity nibble matches the digit count.
[[nodiscard]] absl::StatusOr<std::string> DecodeImsiFile(
    absl::string_view bytes);

// A PIN or PUK of `min_digits`..8 digits as pinValue / pukValue: the ASCII
// digits, padded with FF to 8 bytes (ETSI TS 102 221 9.5.1).
[[nodiscard]] absl::StatusOr<std::string> EncodeCodeValue(
    absl::string_view digits, size_t min_digits);
// The digits of a pinValue / pukValue: ASCII digits then FF padding.
// InvalidArgument for anything else (e.g. a binary ADM value).
[[nodiscard]] absl::StatusOr<std::string> DecodeCodeValue(
    absl::string_view bytes);

// An ADM code as its 8-byte pinValue: 8 decimal digits are ASCII-coded like
// a PIN; 16 hex digits are the 8 raw bytes (the two forms SIM vendors give
// ADM keys in). InvalidArgument otherwise.
[[nodiscard]] absl::StatusOr<std::string> EncodeAdmValue(
    absl::string_view text);

// EF.ACC for an IMSI: the access class is the IMSI's last digit (the usual
// allocation, 3GPP TS 22.011 4.2), as the 2-byte bit mask 1 << class.
[[nodiscard]] absl::StatusOr<std::string> EncodeAccForImsi(
    absl::string_view imsi);

// An MSISDN ("+" optional, then 1..20 digits) as one EF.MSISDN record of
// `record_length` bytes (at least 14): alpha identifier FF.., BCD length,
// TON/NPI (91 international when the number starts with '+', else 81),
// swapped BCD F-padded to 10 bytes, CCP2 FF, EXT5 FF.
[[nodiscard]] absl::StatusOr<std::string> EncodeMsisdnRecord(
    absl::string_view msisdn, size_t record_length);
// The number in an EF.MSISDN record ("+" prefixed for TON international);
// empty for an unused record (length byte FF).
[[nodiscard]] absl::StatusOr<std::string> DecodeMsisdnRecord(
    absl::string_view record);

}  // namespace smdp::profiles::saip

#endif  // SMDP_PROFILES_SAIP_CODING_H_
