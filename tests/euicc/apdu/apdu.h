// ISO/IEC 7816-4 short APDUs as an eUICC on a terminal sees them: command
// parsing (cases 1 to 4), the logical channel coded in CLA, and the status
// words the software eUICC card (euicc_apdu_card.h) answers with.
//
//   ASSIGN_OR_RETURN(CommandApdu c, CommandApdu::Parse(bytes));
//   if (c.ins == kInsStoreData) { ... c.data ... }
//   std::string r = Response(data, kSwOk);  // data || 90 00
//
// Extended-length APDUs are not supported (an ES10 LPA never sends them:
// it chains STORE DATA instead).
#ifndef SMDP_TESTS_EUICC_APDU_APDU_H_
#define SMDP_TESTS_EUICC_APDU_APDU_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace smdp::euicc::apdu {

// Status words (SW1 SW2 as one number).
inline constexpr uint16_t kSwOk = 0x9000;
// 61xx: xx more bytes (00: 256 or more) for GET RESPONSE.
inline constexpr uint16_t kSwMoreDataBase = 0x6100;
inline constexpr uint16_t kSwWrongLength = 0x6700;
inline constexpr uint16_t kSwLogicalChannelNotSupported = 0x6881;
inline constexpr uint16_t kSwConditionsNotSatisfied = 0x6985;
inline constexpr uint16_t kSwIncorrectData = 0x6A80;
inline constexpr uint16_t kSwFunctionNotSupported = 0x6A81;
inline constexpr uint16_t kSwFileNotFound = 0x6A82;
inline constexpr uint16_t kSwIncorrectP1P2 = 0x6A86;
inline constexpr uint16_t kSwReferencedDataNotFound = 0x6A88;
inline constexpr uint16_t kSwInsNotSupported = 0x6D00;
inline constexpr uint16_t kSwClaNotSupported = 0x6E00;
inline constexpr uint16_t kSwUnknown = 0x6F00;

// Instructions.
inline constexpr uint8_t kInsManageChannel = 0x70;
inline constexpr uint8_t kInsSelect = 0xA4;
inline constexpr uint8_t kInsGetResponse = 0xC0;
inline constexpr uint8_t kInsStoreData = 0xE2;
inline constexpr uint8_t kInsTerminalCapability = 0xAA;

// The AID of the ISD-R (SGP.02/SGP.22).
inline constexpr absl::string_view kIsdRAid(
    "\xA0\x00\x00\x05\x59\x10\x10\xFF\xFF\xFF\xFF\x89\x00\x00\x01\x00", 16);

// A parsed short command APDU.
struct CommandApdu {
  uint8_t cla = 0;
  uint8_t ins = 0;
  uint8_t p1 = 0;
  uint8_t p2 = 0;
  // Nc bytes of command data (empty for cases 1 and 2).
  std::string data;
  // Ne: the expected response length for cases 2 and 4 (Le 00 is 256);
  // nullopt for cases 1 and 3.
  std::optional<size_t> le;

  // Parses a short APDU: 4 bytes (case 1), 5 (case 2), 5 + Lc (case 3),
  // 5 + Lc + 1 (case 4). InvalidArgument for anything else (fewer than 4
  // bytes, a length that matches no case, extended length).
  [[nodiscard]] static absl::StatusOr<CommandApdu> Parse(
      absl::string_view bytes);

  // The short encoding. Precondition: data.size() <= 255, le <= 256.
  std::string Encode() const;
};

// The logical channel a CLA byte addresses: bits 1-2 for the first
// interindustry (and proprietary 0x80..0x83) coding, 4 + bits 1-4 for the
// further coding (0x40..0x7F, 0xC0..0xFF). -1 for CLA FF (invalid).
int ChannelOfCla(uint8_t cla);

// True when `cla` is in the proprietary class (bit 8 set, as GlobalPlatform
// STORE DATA uses it), false for the interindustry class.
inline bool IsProprietaryCla(uint8_t cla) { return (cla & 0x80) != 0; }

// `base` (0x00 or 0x80) with `channel` (0..19) coded in.
uint8_t ClaForChannel(uint8_t base, int channel);

// `data` followed by the status word.
std::string Response(absl::string_view data, uint16_t sw);
// The status word of a response APDU (its last two bytes); 0 when shorter.
uint16_t StatusWord(absl::string_view response);
// The data part of a response APDU (all but the last two bytes).
absl::string_view ResponseData(absl::string_view response);

}  // namespace smdp::euicc::apdu

#endif  // SMDP_TESTS_EUICC_APDU_APDU_H_
