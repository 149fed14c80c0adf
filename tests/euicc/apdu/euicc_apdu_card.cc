#include "tests/euicc/apdu/euicc_apdu_card.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "sgp22/der.h"
#include "sgp22/download.h"
#include "sgp22/notification.h"
#include "sgp22/types.h"

namespace smdp::euicc::apdu {
namespace {

namespace der = ::smdp::sgp22::der;

// ES10 command tags.
constexpr der::Tag kGetEuiccChallenge = 0xBF2E;
constexpr der::Tag kGetEuiccInfo1 = 0xBF20;
constexpr der::Tag kGetEuiccInfo2 = 0xBF22;
constexpr der::Tag kAuthenticateServer = 0xBF38;
constexpr der::Tag kPrepareDownload = 0xBF21;
constexpr der::Tag kCancelSession = 0xBF41;
constexpr der::Tag kGetEuiccData = 0xBF3E;
constexpr der::Tag kConfiguredAddresses = 0xBF3C;
constexpr der::Tag kSetDefaultDpAddress = 0xBF3F;
constexpr der::Tag kGetRat = 0xBF43;
constexpr der::Tag kListNotification = 0xBF28;
constexpr der::Tag kRetrieveNotificationsList = 0xBF2B;
constexpr der::Tag kNotificationSent = 0xBF30;
constexpr der::Tag kProfileInfoList = 0xBF2D;
constexpr der::Tag kSetNickname = 0xBF29;

// ProfileInfo and its fields.
constexpr der::Tag kProfileInfo = 0xE3;
constexpr der::Tag kProfileState = 0x9F70;
constexpr der::Tag kNickname = 0x90;
constexpr der::Tag kServiceProviderName = 0x91;
constexpr der::Tag kProfileName = 0x92;
constexpr der::Tag kIconType = 0x93;
constexpr der::Tag kIcon = 0x94;
constexpr der::Tag kProfileClass = 0x95;
constexpr der::Tag kProfilePolicyRules = 0x99;
constexpr der::Tag kTagList = 0x5C;

// The header of a TLV whose contents may not all be there yet.
struct Header {
  der::Tag tag = 0;
  size_t header_size = 0;
  size_t length = 0;
};

// Parses a BER/DER TLV header (tag of up to 4 bytes, definite length of up
// to 4 bytes) at the front of `in`.
std::optional<Header> ParseHeader(absl::string_view in) {
  Header h;
  size_t i = 0;
  if (in.empty()) return std::nullopt;
  h.tag = static_cast<uint8_t>(in[i++]);
  if ((h.tag & 0x1F) == 0x1F) {
    do {
      if (i >= in.size() || i >= 4) return std::nullopt;
      h.tag = (h.tag << 8) | static_cast<uint8_t>(in[i]);
    } while (static_cast<uint8_t>(in[i++]) & 0x80);
  }
  if (i >= in.size()) return std::nullopt;
  const uint8_t first = static_cast<uint8_t>(in[i++]);
  if (first < 0x80) {
    h.length = first;
  } else {
    const size_t n = first & 0x7F;
    if (n == 0 || n > 4 || i + n > in.size()) return std::nullopt;
    for (size_t k = 0; k < n; ++k) {
      h.length = (h.length << 8) | static_cast<uint8_t>(in[i++]);
    }
  }
  h.header_size = i;
  return h;
}

std::string Hex(absl::string_view bytes) {
  return absl::AsciiStrToUpper(absl::BytesToHexString(bytes));
}

// The BF2F NotificationMetadata inside a PendingNotification, as stored.
absl::StatusOr<absl::string_view> MetadataOf(absl::string_view pending) {
  absl::StatusOr<der::Tlv> top = der::ParseSingleTlv(pending);
  if (!top.ok()) return top.status();
  der::Reader r(top->value, 1, "PendingNotification");
  if (top->tag == sgp22::tags::kProfileInstallationResult) {
    absl::StatusOr<der::Reader> data =
        r.Enter(sgp22::tags::kProfileInstallationResultData,
                "profileInstallationResultData");
    if (!data.ok()) return data.status();
    while (!data->AtEnd()) {
      absl::StatusOr<der::Tlv> field = data->Next();
      if (!field.ok()) return field.status();
      if (field->tag == sgp22::tags::kNotificationMetadata) return field->raw;
    }
  } else if (top->tag == der::kSequence) {
    absl::StatusOr<der::Tlv> field =
        r.Next(sgp22::tags::kNotificationMetadata, "tbsOtherNotification");
    if (!field.ok()) return field.status();
    return field->raw;
  }
  return absl::InvalidArgumentError("PendingNotification: no metadata");
}

// The tags listed in a tagList (5C) value.
std::vector<der::Tag> ParseTagList(absl::string_view list) {
  std::vector<der::Tag> tags;
  size_t i = 0;
  while (i < list.size()) {
    der::Tag tag = static_cast<uint8_t>(list[i++]);
    if ((tag & 0x1F) == 0x1F) {
      while (i < list.size()) {
        const uint8_t b = static_cast<uint8_t>(list[i++]);
        tag = (tag << 8) | b;
        if ((b & 0x80) == 0) break;
      }
    }
    tags.push_back(tag);
  }
  return tags;
}

// The children of a constructed TLV's contents; empty on a parse error.
std::vector<der::Tlv> Children(absl::string_view contents) {
  std::vector<der::Tlv> out;
  der::Reader r(contents, 1);
  while (!r.AtEnd()) {
    absl::StatusOr<der::Tlv> tlv = r.Next();
    if (!tlv.ok()) return {};
    out.push_back(*tlv);
  }
  return out;
}

// The contents of field `tag` of ProfileInfo `info` (E3 DER), or nullopt.
std::optional<std::string> ProfileField(absl::string_view info, der::Tag tag) {
  absl::StatusOr<der::Tlv> top = der::ParseSingleTlv(info);
  if (!top.ok()) return std::nullopt;
  for (const der::Tlv& field : Children(top->value)) {
    if (field.tag == tag) return std::string(field.value);
  }
  return std::nullopt;
}

// A ProfileInfo (E3) for a profile just installed.
std::string MakeProfileInfo(const LoadBppResult& result) {
  der::Writer w;
  w.Constructed(kProfileInfo, [&](der::Writer& w) {
    w.Add(sgp22::tags::kIccid, result.iccid);
    w.Add(sgp22::tags::kAid, result.isdp_aid);
    w.AddInteger(0, kProfileState);  // disabled
    if (result.metadata) {
      const sgp22::StoreMetadataRequest& m = *result.metadata;
      w.Add(kServiceProviderName, m.service_provider_name);
      w.Add(kProfileName, m.profile_name);
      if (m.icon_type)
        w.AddInteger(static_cast<int64_t>(*m.icon_type), kIconType);
      if (m.icon) w.Add(kIcon, *m.icon);
      w.AddInteger(static_cast<int64_t>(m.profile_class.value_or(
                       sgp22::ProfileClass::kOperational)),
                   kProfileClass);
      if (m.profile_policy_rules) {
        w.Add(kProfilePolicyRules, m.profile_policy_rules->Encode());
      }
    }
  });
  return std::move(w).Finish();
}

// True for the tags that start the pieces of a BPP after its first one.
bool IsBppPieceTag(uint8_t tag) {
  switch (tag) {
    case 0xA0:
    case 0xA1:
    case 0xA2:
    case 0xA3:
    case 0x86:
    case 0x87:
    case 0x88:
      return true;
    default:
      return false;
  }
}

}  // namespace

EuiccApduCard::EuiccApduCard(SoftwareEuicc& euicc, EuiccApduCardOptions options)
    : euicc_(euicc), options_(std::move(options)) {
  options_.logical_channels = std::clamp(options_.logical_channels, 1, 20);
  Reset();
}

void EuiccApduCard::Reset() {
  channels_.assign(options_.logical_channels, Channel{});
  channels_[0].open = true;
  bpp_.reset();
  bpp_size_ = 0;
}

void EuiccApduCard::Log(absl::string_view line) const {
  if (options_.log) options_.log(line);
}

std::string EuiccApduCard::Transmit(absl::string_view command_apdu) {
  absl::StatusOr<CommandApdu> c = CommandApdu::Parse(command_apdu);
  if (!c.ok()) {
    Log(absl::StrCat("APDU ", Hex(command_apdu), ": ", c.status().message()));
    return Response("", kSwWrongLength);
  }
  const int index = ChannelOfCla(c->cla);
  if (index < 0) return Response("", kSwClaNotSupported);
  if (index >= static_cast<int>(channels_.size()) || !channels_[index].open) {
    return Response("", kSwLogicalChannelNotSupported);
  }
  Channel& channel = channels_[index];
  if (c->ins != kInsGetResponse) channel.pending.clear();
  return Dispatch(*c, channel, index);
}

std::string EuiccApduCard::Dispatch(const CommandApdu& c, Channel& channel,
                                    int index) {
  switch (c.ins) {
    case kInsManageChannel:
      if (IsProprietaryCla(c.cla)) return Response("", kSwClaNotSupported);
      return ManageChannel(c, index);
    case kInsSelect:
      if (IsProprietaryCla(c.cla)) return Response("", kSwClaNotSupported);
      return Select(c, channel);
    case kInsGetResponse:
      return GetResponse(c, channel);
    case kInsStoreData:
      if (!IsProprietaryCla(c.cla)) return Response("", kSwClaNotSupported);
      return StoreData(c, channel);
    case kInsTerminalCapability:
      if (!IsProprietaryCla(c.cla)) return Response("", kSwClaNotSupported);
      return Response("", kSwOk);
    default:
      Log(absl::StrFormat("APDU INS %02X: not supported", c.ins));
      return Response("", kSwInsNotSupported);
  }
}

std::string EuiccApduCard::ManageChannel(const CommandApdu& c, int index) {
  if (c.p1 == 0x00) {  // open
    int wanted = c.p2;
    if (wanted == 0) {
      for (int i = 1; i < static_cast<int>(channels_.size()); ++i) {
        if (!channels_[i].open) {
          wanted = i;
          break;
        }
      }
      if (wanted == 0) return Response("", kSwFunctionNotSupported);
    } else if (wanted >= static_cast<int>(channels_.size()) ||
               channels_[wanted].open) {
      return Response("", kSwIncorrectP1P2);
    }
    channels_[wanted] = Channel{};
    channels_[wanted].open = true;
    // The new channel inherits the selection of the one it was opened from
    // (ISO/IEC 7816-4 7.1.2).
    channels_[wanted].isd_r_selected = channels_[index].isd_r_selected;
    Log(absl::StrCat("MANAGE CHANNEL: opened channel ", wanted));
    if (c.p2 != 0) return Response("", kSwOk);
    return Response(std::string(1, static_cast<char>(wanted)), kSwOk);
  }
  if (c.p1 == 0x80) {  // close
    const int which = c.p2 == 0 ? index : c.p2;
    if (which == 0) return Response("", kSwIncorrectP1P2);
    if (which >= static_cast<int>(channels_.size()) || !channels_[which].open) {
      return Response("", kSwLogicalChannelNotSupported);
    }
    channels_[which] = Channel{};
    Log(absl::StrCat("MANAGE CHANNEL: closed channel ", which));
    return Response("", kSwOk);
  }
  return Response("", kSwIncorrectP1P2);
}

std::string EuiccApduCard::Select(const CommandApdu& c, Channel& channel) {
  if (c.p1 != 0x04) return Response("", kSwIncorrectP1P2);
  // A partial AID (a prefix of at least 5 bytes) selects too.
  if (c.data.size() < 5 || !absl::StartsWith(options_.isd_r_aid, c.data)) {
    Log(absl::StrCat("SELECT ", Hex(c.data), ": not found"));
    return Response("", kSwFileNotFound);
  }
  channel.isd_r_selected = true;
  channel.in_sequence = false;
  channel.command.clear();
  if ((c.p2 & 0x0C) == 0x0C) return Response("", kSwOk);
  // FCI: the AID and the largest command data field (FF).
  der::Writer w;
  w.Constructed(0x6F, [&](der::Writer& w) {
    w.Add(0x84, options_.isd_r_aid);
    w.Constructed(0xA5, [](der::Writer& w) { w.Add(0x9F65, "\xFF"); });
  });
  return Deliver(std::move(w).Finish(), c.le, channel);
}

std::string EuiccApduCard::GetResponse(const CommandApdu& c, Channel& channel) {
  if (c.p1 != 0 || c.p2 != 0) return Response("", kSwIncorrectP1P2);
  if (channel.pending.empty()) return Response("", kSwConditionsNotSatisfied);
  std::string pending = std::move(channel.pending);
  channel.pending.clear();
  return Deliver(std::move(pending), c.le.value_or(256), channel);
}

std::string EuiccApduCard::Deliver(std::string data, std::optional<size_t> le,
                                   Channel& channel) {
  if (data.empty()) return Response("", kSwOk);
  size_t now = 0;
  if (le) now = std::min(*le, data.size());
  std::string out = data.substr(0, now);
  channel.pending = data.substr(now);
  if (channel.pending.empty()) return Response(out, kSwOk);
  const size_t more = std::min<size_t>(channel.pending.size(), 256);
  return Response(out, static_cast<uint16_t>(kSwMoreDataBase | (more & 0xFF)));
}

std::string EuiccApduCard::StoreData(const CommandApdu& c, Channel& channel) {
  if (!channel.isd_r_selected) {
    Log("STORE DATA: the ISD-R is not selected");
    return Response("", kSwConditionsNotSatisfied);
  }
  if ((c.p1 & 0x7F) != 0x11) {
    channel.in_sequence = false;
    channel.command.clear();
    return Response("", kSwIncorrectP1P2);
  }
  if (c.p2 == 0) {
    channel.in_sequence = true;
    channel.next_block = 0;
    channel.command.clear();
  }
  if (!channel.in_sequence || c.p2 != channel.next_block) {
    Log(absl::StrCat("STORE DATA: block ", c.p2, " out of order"));
    channel.in_sequence = false;
    channel.command.clear();
    return Response("", kSwIncorrectP1P2);
  }
  if (channel.command.size() + c.data.size() > options_.max_command_size) {
    channel.in_sequence = false;
    channel.command.clear();
    Log("STORE DATA: command too large");
    return Response("", kSwIncorrectData);
  }
  channel.command += c.data;
  ++channel.next_block;
  if ((c.p1 & 0x80) == 0) return Response("", kSwOk);
  const std::string command = std::move(channel.command);
  channel.command.clear();
  channel.in_sequence = false;
  Es10Answer answer = RunEs10(command);
  if (answer.sw != kSwOk) return Response("", answer.sw);
  return Deliver(std::move(answer.data), c.le, channel);
}

EuiccApduCard::Es10Answer EuiccApduCard::RunEs10(absl::string_view command) {
  if (bpp_) {
    if (!command.empty() && IsBppPieceTag(static_cast<uint8_t>(command[0]))) {
      return BppPiece(command);
    }
    Log("ES10: BPP abandoned");
    bpp_.reset();
  }
  std::optional<Header> header = ParseHeader(command);
  if (!header) {
    Log(absl::StrCat("ES10 ", Hex(command.substr(0, 8)), ": not a TLV"));
    return {"", kSwIncorrectData};
  }
  if (header->tag == sgp22::tags::kBoundProfilePackage) {
    const size_t total = header->header_size + header->length;
    if (total > options_.max_bpp_size || command.size() > total) {
      Log("ES10 BF36: too large or trailing bytes");
      return {"", kSwIncorrectData};
    }
    bpp_ = std::string(command);
    bpp_size_ = total;
    if (bpp_->size() == total) return LoadBpp();
    Log(absl::StrCat("ES10 BF36: ", bpp_->size(), " of ", total, " bytes"));
    return {"", kSwOk};
  }
  absl::StatusOr<der::Tlv> tlv = der::ParseSingleTlv(command);
  if (!tlv.ok()) {
    Log(absl::StrCat("ES10 ", der::TagToString(header->tag), ": ",
                     tlv.status().message()));
    return {"", kSwIncorrectData};
  }
  Es10Answer answer;
  switch (tlv->tag) {
    case kGetEuiccChallenge:
      answer = GetEuiccChallenge();
      break;
    case kGetEuiccInfo1:
      answer = {euicc_.GetEuiccInfo1(), kSwOk};
      break;
    case kGetEuiccInfo2:
      answer = {euicc_.GetEuiccInfo2(), kSwOk};
      break;
    case kAuthenticateServer:
      answer = AuthenticateServer(command);
      break;
    case kPrepareDownload:
      answer = PrepareDownload(command);
      break;
    case kCancelSession:
      answer = CancelSession(tlv->value);
      break;
    case kGetEuiccData:
      answer = GetEuiccData(tlv->value);
      break;
    case kConfiguredAddresses:
      answer = ConfiguredAddresses();
      break;
    case kSetDefaultDpAddress:
      answer = SetDefaultDpAddress(tlv->value);
      break;
    case kGetRat:
      answer = {der::EncodeTlv(kGetRat, der::EncodeTlv(0xA0, "")), kSwOk};
      break;
    case kListNotification:
      answer = ListNotification(tlv->value);
      break;
    case kRetrieveNotificationsList:
      answer = RetrieveNotificationsList(tlv->value);
      break;
    case kNotificationSent:
      answer = RemoveNotification(tlv->value);
      break;
    case kProfileInfoList:
      answer = ProfileInfoList(tlv->value);
      break;
    case kSetNickname:
      answer = SetNickname(tlv->value);
      break;
    default:
      Log(absl::StrCat("ES10 ", der::TagToString(tlv->tag), ": unknown"));
      return {"", kSwReferencedDataNotFound};
  }
  ++state_version_;
  Log(absl::StrFormat("ES10 %s: %04X, %d bytes", der::TagToString(tlv->tag),
                      answer.sw, answer.data.size()));
  return answer;
}

EuiccApduCard::Es10Answer EuiccApduCard::BppPiece(absl::string_view piece) {
  // Each piece is a whole TLV, or the header alone of the constructed A1 or
  // A3 whose TLVs follow as pieces of their own.
  std::optional<Header> h = ParseHeader(piece);
  const bool whole = h && piece.size() == h->header_size + h->length;
  const bool header_only =
      h && piece.size() == h->header_size && (h->tag == 0xA1 || h->tag == 0xA3);
  if (!whole && !header_only) {
    Log("ES10 BF36: a piece that is neither a TLV nor an A1/A3 header");
    bpp_.reset();
    return {"", kSwIncorrectData};
  }
  if (bpp_->size() + piece.size() > bpp_size_) {
    Log("ES10 BF36: more bytes than its length");
    bpp_.reset();
    return {"", kSwIncorrectData};
  }
  bpp_->append(piece.data(), piece.size());
  if (bpp_->size() < bpp_size_) return {"", kSwOk};
  return LoadBpp();
}

EuiccApduCard::Es10Answer EuiccApduCard::LoadBpp() {
  const std::string bpp = std::move(*bpp_);
  bpp_.reset();
  ++state_version_;
  absl::StatusOr<LoadBppResult> result = euicc_.LoadBoundProfilePackage(bpp);
  if (!result.ok()) {
    Log(absl::StrCat("ES10 BF36: ", result.status().ToString()));
    return {"", result.status().code() == absl::StatusCode::kFailedPrecondition
                    ? kSwConditionsNotSatisfied
                    : kSwIncorrectData};
  }
  Log(absl::StrCat("ES10 BF36: ", bpp.size(), " bytes, ",
                   result->status.ok() ? "installed ICCID " + Hex(result->iccid)
                                       : result->status.ToString()));
  const std::string& pir = result->profile_installation_result;
  absl::StatusOr<sgp22::ProfileInstallationResult> decoded =
      sgp22::ProfileInstallationResult::Decode(pir);
  if (decoded.ok()) {
    notifications_.push_back(
        {decoded->data.value.notification_metadata.seq_number, pir});
  }
  if (result->status.ok()) profile_infos_.push_back(MakeProfileInfo(*result));
  return {pir, kSwOk};
}

EuiccApduCard::Es10Answer EuiccApduCard::GetEuiccChallenge() {
  absl::StatusOr<std::string> challenge = euicc_.GetEuiccChallenge();
  if (!challenge.ok()) return {"", kSwUnknown};
  return {der::EncodeTlv(kGetEuiccChallenge, der::EncodeTlv(0x80, *challenge)),
          kSwOk};
}

EuiccApduCard::Es10Answer EuiccApduCard::AuthenticateServer(
    absl::string_view der) {
  AuthenticateServerAnswer answer = euicc_.AuthenticateServer(der);
  if (!answer.ok()) Log(absl::StrCat("ES10 BF38: ", answer.status.ToString()));
  if (answer.der.empty()) return {"", kSwIncorrectData};
  return {answer.der, kSwOk};
}

EuiccApduCard::Es10Answer EuiccApduCard::PrepareDownload(
    absl::string_view der) {
  PrepareDownloadAnswer answer = euicc_.PrepareDownload(der);
  if (!answer.ok()) Log(absl::StrCat("ES10 BF21: ", answer.status.ToString()));
  if (answer.der.empty()) return {"", kSwIncorrectData};
  return {answer.der, kSwOk};
}

EuiccApduCard::Es10Answer EuiccApduCard::CancelSession(
    absl::string_view value) {
  der::Reader r(value, 1, "CancelSessionRequest");
  absl::StatusOr<der::Tlv> tid = r.Next(0x80, "transactionId");
  absl::StatusOr<der::Tlv> reason =
      tid.ok() ? r.Next(0x81, "reason") : tid.status();
  absl::StatusOr<int64_t> code =
      reason.ok() ? der::DecodeInteger(reason->value) : reason.status();
  if (!code.ok()) {
    Log(absl::StrCat("ES10 BF41: ", code.status().message()));
    return {"", kSwIncorrectData};
  }
  CancelSessionAnswer answer = euicc_.CancelSession(
      tid->value, static_cast<sgp22::CancelSessionReason>(*code));
  if (!answer.ok()) Log(absl::StrCat("ES10 BF41: ", answer.status.ToString()));
  if (answer.der.empty()) return {"", kSwUnknown};
  return {answer.der, kSwOk};
}

EuiccApduCard::Es10Answer EuiccApduCard::GetEuiccData(absl::string_view value) {
  // GetEuiccDataRequest { tagList 5C }: SGP.22 v2 knows one tag, 5A (EID).
  der::Reader r(value, 1, "GetEuiccDataRequest");
  absl::StatusOr<der::Tlv> tag_list = r.Next(kTagList, "tagList");
  if (!tag_list.ok()) return {"", kSwIncorrectData};
  der::Writer w;
  w.Constructed(kGetEuiccData, [&](der::Writer& w) {
    for (der::Tag tag : ParseTagList(tag_list->value)) {
      if (tag == sgp22::tags::kIccid)
        w.Add(sgp22::tags::kIccid, euicc_.eid_bytes());
    }
  });
  return {std::move(w).Finish(), kSwOk};
}

EuiccApduCard::Es10Answer EuiccApduCard::ConfiguredAddresses() {
  const std::string dp =
      default_dp_address_.value_or(options_.default_dp_address);
  der::Writer w;
  w.Constructed(kConfiguredAddresses, [&](der::Writer& w) {
    if (!dp.empty()) w.Add(0x80, dp);
    w.Add(0x81, options_.root_ds_address);
  });
  return {std::move(w).Finish(), kSwOk};
}

EuiccApduCard::Es10Answer EuiccApduCard::SetDefaultDpAddress(
    absl::string_view value) {
  der::Reader r(value, 1, "SetDefaultDpAddressRequest");
  absl::StatusOr<der::Tlv> address = r.Next(0x80, "defaultDpAddress");
  if (!address.ok()) return {"", kSwIncorrectData};
  default_dp_address_ = std::string(address->value);
  // setDefaultDpAddressResult ok(0).
  der::Writer w;
  w.Constructed(kSetDefaultDpAddress,
                [](der::Writer& w) { w.AddInteger(0, 0x80); });
  return {std::move(w).Finish(), kSwOk};
}

EuiccApduCard::Es10Answer EuiccApduCard::ListNotification(
    absl::string_view value) {
  // ListNotificationRequest { profileManagementOperation [1] OPTIONAL }.
  std::optional<der::BitString> filter;
  der::Reader r(value, 1, "ListNotificationRequest");
  absl::StatusOr<std::optional<der::Tlv>> op = r.Optional(0x81);
  if (!op.ok()) return {"", kSwIncorrectData};
  if (*op) {
    absl::StatusOr<der::BitString> bits = der::BitString::Decode((*op)->value);
    if (!bits.ok()) return {"", kSwIncorrectData};
    filter = *bits;
  }
  der::Writer w;
  w.Constructed(kListNotification, [&](der::Writer& w) {
    w.Constructed(0xA0, [&](der::Writer& w) {
      for (const Notification& n : notifications_) {
        absl::StatusOr<absl::string_view> metadata = MetadataOf(n.der);
        if (!metadata.ok()) continue;
        if (filter) {
          absl::StatusOr<sgp22::NotificationMetadata> m =
              sgp22::NotificationMetadata::Decode(*metadata);
          if (!m.ok()) continue;
          bool match = false;
          for (size_t bit = 0; bit < filter->size(); ++bit) {
            match |=
                filter->Get(bit) && m->profile_management_operation.Get(bit);
          }
          if (!match) continue;
        }
        w.AddRaw(*metadata);
      }
    });
  });
  return {std::move(w).Finish(), kSwOk};
}

EuiccApduCard::Es10Answer EuiccApduCard::RetrieveNotificationsList(
    absl::string_view value) {
  // RetrieveNotificationsListRequest { searchCriteria [0] CHOICE {
  //   seqNumber [0], profileManagementOperation [1] } OPTIONAL }.
  std::optional<int64_t> seq;
  std::optional<der::BitString> filter;
  der::Reader r(value, 1, "RetrieveNotificationsListRequest");
  absl::StatusOr<std::optional<der::Tlv>> criteria = r.Optional(0xA0);
  if (!criteria.ok()) return {"", kSwIncorrectData};
  if (*criteria) {
    absl::StatusOr<der::Tlv> choice = der::ParseSingleTlv((*criteria)->value);
    if (!choice.ok()) return {"", kSwIncorrectData};
    if (choice->tag == 0x80) {
      absl::StatusOr<int64_t> n = der::DecodeInteger(choice->value);
      if (!n.ok()) return {"", kSwIncorrectData};
      seq = *n;
    } else if (choice->tag == 0x81) {
      absl::StatusOr<der::BitString> bits =
          der::BitString::Decode(choice->value);
      if (!bits.ok()) return {"", kSwIncorrectData};
      filter = *bits;
    } else {
      return {"", kSwIncorrectData};
    }
  }
  der::Writer w;
  w.Constructed(kRetrieveNotificationsList, [&](der::Writer& w) {
    w.Constructed(0xA0, [&](der::Writer& w) {
      for (const Notification& n : notifications_) {
        if (seq && n.seq_number != *seq) continue;
        if (filter) {
          absl::StatusOr<absl::string_view> raw = MetadataOf(n.der);
          absl::StatusOr<sgp22::NotificationMetadata> m =
              raw.ok()
                  ? sgp22::NotificationMetadata::Decode(*raw)
                  : absl::StatusOr<sgp22::NotificationMetadata>(raw.status());
          if (!m.ok()) continue;
          bool match = false;
          for (size_t bit = 0; bit < filter->size(); ++bit) {
            match |=
                filter->Get(bit) && m->profile_management_operation.Get(bit);
          }
          if (!match) continue;
        }
        w.AddRaw(n.der);
      }
    });
  });
  return {std::move(w).Finish(), kSwOk};
}

EuiccApduCard::Es10Answer EuiccApduCard::RemoveNotification(
    absl::string_view value) {
  der::Reader r(value, 1, "NotificationSentRequest");
  absl::StatusOr<der::Tlv> seq = r.Next(0x80, "seqNumber");
  absl::StatusOr<int64_t> n =
      seq.ok() ? der::DecodeInteger(seq->value) : seq.status();
  if (!n.ok()) return {"", kSwIncorrectData};
  auto it =
      std::find_if(notifications_.begin(), notifications_.end(),
                   [&](const Notification& x) { return x.seq_number == *n; });
  // deleteNotificationStatus: ok(0), nothingToDelete(1).
  int64_t status = 1;
  if (it != notifications_.end()) {
    notifications_.erase(it);
    status = 0;
  }
  der::Writer w;
  w.Constructed(kNotificationSent,
                [&](der::Writer& w) { w.AddInteger(status, 0x80); });
  return {std::move(w).Finish(), kSwOk};
}

EuiccApduCard::Es10Answer EuiccApduCard::ProfileInfoList(
    absl::string_view value) {
  // ProfileInfoListRequest { searchCriteria [0] CHOICE { isdpAid 4F,
  //   iccid 5A, profileClass [21] } OPTIONAL, tagList 5C OPTIONAL }.
  std::optional<der::Tlv> criterion;
  std::optional<std::vector<der::Tag>> tag_list;
  der::Reader r(value, 1, "ProfileInfoListRequest");
  absl::StatusOr<std::optional<der::Tlv>> criteria = r.Optional(0xA0);
  absl::StatusOr<std::optional<der::Tlv>> tags =
      criteria.ok() ? r.Optional(kTagList) : criteria.status();
  if (!tags.ok()) return {"", kSwIncorrectData};
  if (*criteria) {
    absl::StatusOr<der::Tlv> choice = der::ParseSingleTlv((*criteria)->value);
    if (!choice.ok()) return {"", kSwIncorrectData};
    criterion = *choice;
  }
  if (*tags) tag_list = ParseTagList((*tags)->value);

  // Profiles installed by the SoftwareEuicc without this card (euicc_cli
  // load-bpp) are listed with their ICCID only.
  std::vector<std::string> infos = profile_infos_;
  for (const std::string& iccid : euicc_.installed_iccids()) {
    const bool known =
        std::any_of(profile_infos_.begin(), profile_infos_.end(),
                    [&](const std::string& i) {
                      return ProfileField(i, sgp22::tags::kIccid) == iccid;
                    });
    if (known) continue;
    der::Writer w;
    w.Constructed(kProfileInfo, [&](der::Writer& w) {
      w.Add(sgp22::tags::kIccid, iccid);
      w.AddInteger(0, kProfileState);
    });
    infos.push_back(std::move(w).Finish());
  }

  der::Writer w;
  w.Constructed(kProfileInfoList, [&](der::Writer& w) {
    w.Constructed(0xA0, [&](der::Writer& w) {
      for (const std::string& info : infos) {
        if (criterion) {
          std::optional<std::string> field = ProfileField(info, criterion->tag);
          if (criterion->tag == kProfileClass && !field) {
            field = std::string(
                1, static_cast<char>(sgp22::ProfileClass::kOperational));
          }
          if (field != criterion->value) continue;
        }
        if (!tag_list) {
          w.AddRaw(info);
          continue;
        }
        absl::StatusOr<der::Tlv> top = der::ParseSingleTlv(info);
        if (!top.ok()) continue;
        w.Constructed(kProfileInfo, [&](der::Writer& w) {
          for (const der::Tlv& field : Children(top->value)) {
            if (std::find(tag_list->begin(), tag_list->end(), field.tag) !=
                tag_list->end()) {
              w.AddRaw(field.raw);
            }
          }
        });
      }
    });
  });
  return {std::move(w).Finish(), kSwOk};
}

EuiccApduCard::Es10Answer EuiccApduCard::SetNickname(absl::string_view value) {
  der::Reader r(value, 1, "SetNicknameRequest");
  absl::StatusOr<der::Tlv> iccid = r.Next(sgp22::tags::kIccid, "iccid");
  absl::StatusOr<der::Tlv> nickname =
      iccid.ok() ? r.Next(kNickname, "profileNickname") : iccid.status();
  if (!nickname.ok()) return {"", kSwIncorrectData};
  // setNicknameResult: ok(0), iccidNotFound(1).
  int64_t result = 1;
  for (std::string& info : profile_infos_) {
    if (ProfileField(info, sgp22::tags::kIccid) != iccid->value) continue;
    absl::StatusOr<der::Tlv> top = der::ParseSingleTlv(info);
    if (!top.ok()) continue;
    der::Writer w;
    w.Constructed(kProfileInfo, [&](der::Writer& w) {
      for (const der::Tlv& field : Children(top->value)) {
        if (field.tag == kNickname) continue;
        w.AddRaw(field.raw);
        if (field.tag == kProfileState && !nickname->value.empty()) {
          w.Add(kNickname, nickname->value);
        }
      }
    });
    info = std::move(w).Finish();
    result = 0;
    break;
  }
  der::Writer w;
  w.Constructed(kSetNickname,
                [&](der::Writer& w) { w.AddInteger(result, 0x80); });
  return {std::move(w).Finish(), kSwOk};
}

// State text: `key=hex` lines, like SoftwareEuicc::SaveState().
std::string EuiccApduCard::SaveState() const {
  std::string out = "# eUICC APDU card state\n";
  if (default_dp_address_) {
    absl::StrAppend(&out, "default_dp_address=",
                    absl::BytesToHexString(*default_dp_address_), "\n");
  }
  for (const std::string& info : profile_infos_) {
    absl::StrAppend(&out, "profile=", absl::BytesToHexString(info), "\n");
  }
  for (const Notification& n : notifications_) {
    absl::StrAppend(&out, "notification=", absl::BytesToHexString(n.der), "\n");
  }
  return out;
}

absl::Status EuiccApduCard::RestoreState(absl::string_view text) {
  std::optional<std::string> dp;
  std::vector<std::string> infos;
  std::vector<Notification> notifications;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(line, absl::MaxSplits('=', 1));
    const absl::string_view hex = kv.second;
    if (hex.size() % 2 != 0 || !std::all_of(hex.begin(), hex.end(), [](char c) {
          return absl::ascii_isxdigit(c);
        })) {
      return absl::InvalidArgumentError(
          absl::StrCat("card state: bad value for ", kv.first));
    }
    std::string value = absl::HexStringToBytes(hex);
    if (kv.first == "default_dp_address") {
      dp = std::move(value);
    } else if (kv.first == "profile") {
      absl::StatusOr<der::Tlv> tlv =
          der::ParseSingleTlv(value, kProfileInfo, "ProfileInfo");
      if (!tlv.ok()) return tlv.status();
      infos.push_back(std::move(value));
    } else if (kv.first == "notification") {
      absl::StatusOr<sgp22::PendingNotification> n =
          sgp22::PendingNotification::Decode(value);
      if (!n.ok()) return n.status();
      int64_t seq = 0;
      if (const auto* pir =
              std::get_if<sgp22::ProfileInstallationResult>(&n->notification)) {
        seq = pir->data.value.notification_metadata.seq_number;
      } else {
        seq = std::get<sgp22::OtherSignedNotification>(n->notification)
                  .tbs_other_notification.value.seq_number;
      }
      notifications.push_back({seq, std::move(value)});
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("card state: unknown key ", kv.first));
    }
  }
  default_dp_address_ = std::move(dp);
  profile_infos_ = std::move(infos);
  notifications_ = std::move(notifications);
  return absl::OkStatus();
}

}  // namespace smdp::euicc::apdu
