#include "tests/euicc/apdu/apdu.h"

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace smdp::euicc::apdu {

absl::StatusOr<CommandApdu> CommandApdu::Parse(absl::string_view bytes) {
  if (bytes.size() < 4) {
    return absl::InvalidArgumentError(
        absl::StrCat("APDU of ", bytes.size(), " bytes: fewer than 4"));
  }
  CommandApdu c;
  c.cla = static_cast<uint8_t>(bytes[0]);
  c.ins = static_cast<uint8_t>(bytes[1]);
  c.p1 = static_cast<uint8_t>(bytes[2]);
  c.p2 = static_cast<uint8_t>(bytes[3]);
  const absl::string_view body = bytes.substr(4);
  if (body.empty()) return c;  // case 1
  const size_t b5 = static_cast<uint8_t>(body[0]);
  if (body.size() == 1) {  // case 2
    c.le = b5 == 0 ? 256 : b5;
    return c;
  }
  if (b5 == 0) {
    return absl::InvalidArgumentError("APDU: extended length is not supported");
  }
  if (body.size() == 1 + b5) {  // case 3
    c.data = std::string(body.substr(1));
    return c;
  }
  if (body.size() == 2 + b5) {  // case 4
    c.data = std::string(body.substr(1, b5));
    const size_t le = static_cast<uint8_t>(body.back());
    c.le = le == 0 ? 256 : le;
    return c;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("APDU: Lc ", b5, " does not match the ", body.size() - 1,
                   " bytes after it"));
}

std::string CommandApdu::Encode() const {
  std::string out;
  out.push_back(static_cast<char>(cla));
  out.push_back(static_cast<char>(ins));
  out.push_back(static_cast<char>(p1));
  out.push_back(static_cast<char>(p2));
  if (!data.empty()) {
    out.push_back(static_cast<char>(data.size()));
    out += data;
  }
  if (le) out.push_back(static_cast<char>(*le == 256 ? 0 : *le));
  return out;
}

int ChannelOfCla(uint8_t cla) {
  if (cla == 0xFF) return -1;
  if ((cla & 0x40) == 0) return cla & 0x03;
  return 4 + (cla & 0x0F);
}

uint8_t ClaForChannel(uint8_t base, int channel) {
  if (channel < 4) return static_cast<uint8_t>(base | channel);
  return static_cast<uint8_t>(base | 0x40 | ((channel - 4) & 0x0F));
}

std::string Response(absl::string_view data, uint16_t sw) {
  std::string out(data);
  out.push_back(static_cast<char>(sw >> 8));
  out.push_back(static_cast<char>(sw & 0xFF));
  return out;
}

uint16_t StatusWord(absl::string_view response) {
  if (response.size() < 2) return 0;
  return static_cast<uint16_t>(
      (static_cast<uint8_t>(response[response.size() - 2]) << 8) |
      static_cast<uint8_t>(response.back()));
}

absl::string_view ResponseData(absl::string_view response) {
  if (response.size() < 2) return {};
  return response.substr(0, response.size() - 2);
}

}  // namespace smdp::euicc::apdu
