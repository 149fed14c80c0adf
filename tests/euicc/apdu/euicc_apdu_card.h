// EuiccApduCard: a SoftwareEuicc behind the APDU interface a real eUICC
// has, so that an unmodified LPA (lpac, through its "stdio" APDU driver; see
// euicc_stdio_main.cc) can drive it.
//
// What it answers (ISO/IEC 7816-4, GlobalPlatform, SGP.22 5.7):
//   MANAGE CHANNEL  00 70 00 00 [01]  opens a logical channel (1..3 by
//                   default): answers the channel number;
//                   00 70 80 cc       closes channel cc.
//   SELECT          0c A4 04 p2 Lc AID  selects the ISD-R by its AID
//                   (A0000005591010FFFFFFFF8900000100) on channel c; the FCI
//                   follows unless P2 is 0C. Any other AID: 6A82.
//   STORE DATA      8c E2 11|91 nn Lc data  an ES10 command, in blocks
//                   numbered nn = 00, 01, ... (P1 11: more blocks, 91: the
//                   last one). Intermediate blocks answer 9000; the last
//                   one runs the command. Block 00 always starts a new
//                   command (so one command has at most 256 blocks).
//   GET RESPONSE    0c|8c C0 00 00 Le  the next Le bytes of a long answer.
//   TERMINAL CAPABILITY 80 AA ...      accepted and ignored (9000).
// Answers longer than what the command's Le allows (or any answer to a
// command without Le, as STORE DATA is) are fetched with GET RESPONSE:
// 61xx says xx more bytes are there (00: 256 or more).
//
// The ES10 commands, by the tag of the reassembled command:
//   BF2E GetEuiccChallenge  BF20 GetEuiccInfo1   BF22 GetEuiccInfo2
//   BF38 AuthenticateServer BF21 PrepareDownload BF41 CancelSession
//   BF36 LoadBoundProfilePackage: in the STORE DATA sequences SGP.22 2.5.5
//        prescribes (and lpac sends): BF36 header + BF23, A0 (all 87s),
//        A1 header, each 88, A2 (if any), A3 header, each 86. Each piece
//        answers 9000 until the BPP is complete; the last one answers the
//        ProfileInstallationResult (BF37). The whole BF36 in one sequence
//        works too. Any other command in between abandons the BPP.
//   BF3E GetEuiccData (EID)   BF3C EuiccConfiguredAddresses
//   BF3F SetDefaultDpAddress  BF43 GetRAT (an empty table)
//   BF28 ListNotification     BF2B RetrieveNotificationsList
//   BF30 RemoveNotificationFromList (NotificationSent)
//   BF2D ProfileInfoList      BF29 SetNickname
// Every ProfileInstallationResult is kept as a pending notification until
// the LPA removes it; every installed profile is listed (disabled: this
// card enables nothing).
//
// Status words: 6700 an APDU that does not parse, 6E00 a wrong CLA (FF, an
// interindustry CLA on STORE DATA, a proprietary one on SELECT or MANAGE
// CHANNEL), 6D00 an unknown INS, 6881 a channel that is not open, 6A86
// wrong P1/P2 (STORE DATA P1 other than 11/91, a block out of order), 6985
// STORE DATA before the ISD-R is selected or GET RESPONSE with nothing to
// get, 6A82 SELECT of another AID, 6A80 an ES10 command that is not DER (or
// that the eUICC cannot parse), 6A88 an ES10 tag it does not know, 6A81 no
// free channel.
//
// Thread-compatible, like the SoftwareEuicc it drives (which must outlive
// it).
#ifndef SMDP_TESTS_EUICC_APDU_EUICC_APDU_CARD_H_
#define SMDP_TESTS_EUICC_APDU_EUICC_APDU_CARD_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "tests/euicc/apdu/apdu.h"
#include "tests/euicc/software_euicc.h"

namespace smdp::euicc::apdu {

struct EuiccApduCardOptions {
  // The AID SELECT accepts.
  std::string isd_r_aid = std::string(kIsdRAid);
  // Channels 0 (basic, always open) to logical_channels - 1.
  int logical_channels = 4;
  // Largest ES10 command one STORE DATA sequence may carry, and largest BPP.
  size_t max_command_size = 256 * 1024;
  size_t max_bpp_size = 4 * 1024 * 1024;
  // EuiccConfiguredAddresses (the default SM-DP+ address changes with
  // SetDefaultDpAddress and is then kept in the card state).
  std::string default_dp_address;
  std::string root_ds_address = "testrootsmds.example.com";
  // Called with one line per ES10 command and per refused APDU (for a log);
  // may be null.
  std::function<void(absl::string_view)> log;
};

class EuiccApduCard {
 public:
  // `euicc` must outlive the card.
  explicit EuiccApduCard(SoftwareEuicc& euicc,
                         EuiccApduCardOptions options = {});

  EuiccApduCard(const EuiccApduCard&) = delete;
  EuiccApduCard& operator=(const EuiccApduCard&) = delete;

  // One command APDU in, the response APDU (data || SW1 SW2) out. Never
  // fails: errors are status words.
  std::string Transmit(absl::string_view command_apdu);

  // A power cycle: closes the logical channels and forgets partial STORE
  // DATA sequences, a partial BPP and pending GET RESPONSE data. Installed
  // profiles and notifications stay (and the SoftwareEuicc's state, which
  // is its own).
  void Reset();

  // Incremented after every ES10 command that may have changed the state
  // of the card or of the SoftwareEuicc (not for the intermediate pieces
  // of a BPP): the cue to persist both.
  uint64_t state_version() const { return state_version_; }

  // The card's own persistent state (installed profiles' ProfileInfo,
  // pending notifications, the default SM-DP+ address) as text, and back.
  // RestoreState() refuses text it cannot read and then changes nothing.
  std::string SaveState() const;
  [[nodiscard]] absl::Status RestoreState(absl::string_view text);

  // A pending notification: its sequence number and PendingNotification
  // DER (a ProfileInstallationResult BF37 or an OtherSignedNotification).
  struct Notification {
    int64_t seq_number = 0;
    std::string der;
  };
  const std::vector<Notification>& notifications() const {
    return notifications_;
  }
  // The ProfileInfo (E3) of every profile installed through this card.
  const std::vector<std::string>& profile_infos() const {
    return profile_infos_;
  }

 private:
  struct Channel {
    bool open = false;
    bool isd_r_selected = false;
    // STORE DATA reassembly.
    bool in_sequence = false;
    int next_block = 0;
    std::string command;
    // Response bytes still to fetch with GET RESPONSE.
    std::string pending;
  };
  struct Es10Answer {
    std::string data;
    uint16_t sw = kSwOk;
  };

  std::string Dispatch(const CommandApdu& c, Channel& channel, int index);
  std::string ManageChannel(const CommandApdu& c, int index);
  std::string Select(const CommandApdu& c, Channel& channel);
  std::string GetResponse(const CommandApdu& c, Channel& channel);
  std::string StoreData(const CommandApdu& c, Channel& channel);
  // Answers `data` to a command whose Le is `le`: directly when it fits,
  // otherwise (and always without Le) with 61xx.
  std::string Deliver(std::string data, std::optional<size_t> le,
                      Channel& channel);

  Es10Answer RunEs10(absl::string_view command);
  Es10Answer BppPiece(absl::string_view piece);
  Es10Answer LoadBpp();
  Es10Answer GetEuiccChallenge();
  Es10Answer AuthenticateServer(absl::string_view der);
  Es10Answer PrepareDownload(absl::string_view der);
  Es10Answer CancelSession(absl::string_view value);
  Es10Answer GetEuiccData(absl::string_view value);
  Es10Answer ConfiguredAddresses();
  Es10Answer SetDefaultDpAddress(absl::string_view value);
  Es10Answer ListNotification(absl::string_view value);
  Es10Answer RetrieveNotificationsList(absl::string_view value);
  Es10Answer RemoveNotification(absl::string_view value);
  Es10Answer ProfileInfoList(absl::string_view value);
  Es10Answer SetNickname(absl::string_view value);

  void Log(absl::string_view line) const;

  SoftwareEuicc& euicc_;
  EuiccApduCardOptions options_;
  std::vector<Channel> channels_;
  // The BPP being received: the bytes so far and the total size.
  std::optional<std::string> bpp_;
  size_t bpp_size_ = 0;
  uint64_t state_version_ = 0;
  // Persistent.
  std::vector<Notification> notifications_;
  std::vector<std::string> profile_infos_;
  std::optional<std::string> default_dp_address_;
};

}  // namespace smdp::euicc::apdu

#endif  // SMDP_TESTS_EUICC_APDU_EUICC_APDU_CARD_H_
