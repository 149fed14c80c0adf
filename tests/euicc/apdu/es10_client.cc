#include "tests/euicc/apdu/es10_client.h"

#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "sgp22/der.h"
#include "sgp22/types.h"
#include "tests/euicc/apdu/apdu.h"
#include "util/status_macros.h"

namespace smdp::euicc::apdu {
namespace {

namespace der = ::smdp::sgp22::der;

absl::Status SwError(absl::string_view what, uint16_t sw) {
  return absl::FailedPreconditionError(
      absl::StrFormat("%s: SW %04X", what, sw));
}

}  // namespace

absl::StatusOr<std::vector<std::string>> SplitBoundProfilePackage(
    absl::string_view bpp_der) {
  ASSIGN_OR_RETURN(der::Tlv bpp, der::ParseSingleTlv(
                                     bpp_der, sgp22::tags::kBoundProfilePackage,
                                     "BoundProfilePackage"));
  std::vector<std::string> pieces;
  der::Reader r(bpp.value, 1, "BoundProfilePackage");
  while (!r.AtEnd()) {
    ASSIGN_OR_RETURN(der::Tlv field, r.Next());
    if (field.tag == sgp22::tags::kInitialiseSecureChannel) {
      pieces.push_back(std::string(bpp.raw.substr(0, bpp.header_size())));
      pieces.back().append(field.raw.data(), field.raw.size());
    } else if (field.tag == 0xA1 || field.tag == 0xA3) {
      pieces.push_back(std::string(field.raw.substr(0, field.header_size())));
      der::Reader children(field.value, 2);
      while (!children.AtEnd()) {
        ASSIGN_OR_RETURN(der::Tlv child, children.Next());
        pieces.push_back(std::string(child.raw));
      }
    } else {
      pieces.push_back(std::string(field.raw));
    }
  }
  return pieces;
}

std::string Es10Client::Transmit(absl::string_view command_apdu) {
  std::string response = card_.Transmit(command_apdu);
  exchanged_.emplace_back(std::string(command_apdu), response);
  return response;
}

absl::Status Es10Client::Open() {
  const std::string opened =
      Transmit(absl::string_view("\x00\x70\x00\x00\x01", 5));
  if (StatusWord(opened) != kSwOk || ResponseData(opened).size() != 1) {
    return SwError("MANAGE CHANNEL", StatusWord(opened));
  }
  channel_ = static_cast<uint8_t>(opened[0]);
  CommandApdu select{.cla = ClaForChannel(0x00, channel_),
                     .ins = kInsSelect,
                     .p1 = 0x04,
                     .p2 = 0x00,
                     .data = std::string(kIsdRAid)};
  const uint16_t sw = StatusWord(Transmit(select.Encode()));
  if (sw != kSwOk && (sw >> 8) != 0x61) return SwError("SELECT", sw);
  return absl::OkStatus();
}

absl::Status Es10Client::Close() {
  CommandApdu close{.cla = 0x00,
                    .ins = kInsManageChannel,
                    .p1 = 0x80,
                    .p2 = static_cast<uint8_t>(channel_)};
  const uint16_t sw = StatusWord(Transmit(close.Encode()));
  if (sw != kSwOk) return SwError("MANAGE CHANNEL close", sw);
  channel_ = 0;
  return absl::OkStatus();
}

absl::StatusOr<std::string> Es10Client::Command(absl::string_view der) {
  std::string out;
  size_t offset = 0;
  int block = 0;
  do {
    const size_t n = std::min(mss_, der.size() - offset);
    const bool last = offset + n == der.size();
    CommandApdu store{.cla = ClaForChannel(0x80, channel_),
                      .ins = kInsStoreData,
                      .p1 = static_cast<uint8_t>(last ? 0x91 : 0x11),
                      .p2 = static_cast<uint8_t>(block),
                      .data = std::string(der.substr(offset, n))};
    offset += n;
    ++block;
    std::string response = Transmit(store.Encode());
    while (true) {
      absl::StrAppend(&out, ResponseData(response));
      const uint16_t sw = StatusWord(response);
      if ((sw >> 8) == 0x61) {
        ++get_responses_;
        CommandApdu get{.cla = ClaForChannel(0x80, channel_),
                        .ins = kInsGetResponse,
                        .le = (sw & 0xFF) == 0 ? 256 : (sw & 0xFF)};
        response = Transmit(get.Encode());
        continue;
      }
      if ((sw >> 8) != 0x90) {
        return SwError(absl::StrFormat("STORE DATA block %d", block - 1), sw);
      }
      break;
    }
  } while (offset < der.size());
  return out;
}

absl::StatusOr<std::string> Es10Client::LoadBoundProfilePackage(
    absl::string_view bpp_der) {
  ASSIGN_OR_RETURN(std::vector<std::string> pieces,
                   SplitBoundProfilePackage(bpp_der));
  std::string answer;
  for (const std::string& piece : pieces) {
    ASSIGN_OR_RETURN(std::string out, Command(piece));
    if (!out.empty()) answer = std::move(out);
  }
  return answer;
}

}  // namespace smdp::euicc::apdu
