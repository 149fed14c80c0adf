// Es10Client: the LPA's side of the APDU interface, as lpac drives a card
// (lpac euicc/euicc.c, es10b.c): one STORE DATA sequence per ES10 command,
// split into blocks of at most `mss` bytes (P1 11 then 91, P2 the block
// number), 61xx answers fetched with GET RESPONSE (80 C0 00 00 xx), and the
// BoundProfilePackage sent as the sequence of pieces SGP.22 2.5.5 lays down
// (SplitBoundProfilePackage). For tests of EuiccApduCard.
//
//   EuiccApduCard card(*euicc);
//   Es10Client lpa(card);
//   ASSERT_OK(lpa.Open());                                 // channel + SELECT
//   ASSERT_OK_AND_ASSIGN(std::string eid, lpa.Command(kGetEidRequest));
//   ASSERT_OK_AND_ASSIGN(std::string pir, lpa.LoadBoundProfilePackage(bpp));
#ifndef SMDP_TESTS_EUICC_APDU_ES10_CLIENT_H_
#define SMDP_TESTS_EUICC_APDU_ES10_CLIENT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tests/euicc/apdu/euicc_apdu_card.h"

namespace smdp::euicc::apdu {

// The pieces an LPA sends a BPP (BF36 DER) in: BF36 header + BF23, A0, A1
// header, each 88, A2 (when present), A3 header, each 86.
[[nodiscard]] absl::StatusOr<std::vector<std::string>> SplitBoundProfilePackage(
    absl::string_view bpp_der);

class Es10Client {
 public:
  // `card` must outlive the client. `mss`: the largest STORE DATA block
  // (lpac: 120 by default, LPAC_CUSTOM_ES10X_MSS 6..255).
  explicit Es10Client(EuiccApduCard& card, size_t mss = 120)
      : card_(card), mss_(mss) {}

  // MANAGE CHANNEL open and SELECT ISD-R on the new channel.
  [[nodiscard]] absl::Status Open();
  // MANAGE CHANNEL close.
  [[nodiscard]] absl::Status Close();
  int channel() const { return channel_; }

  // One ES10 command: its STORE DATA sequence and the GET RESPONSEs. The
  // response data (empty for an intermediate BPP piece). Any status word
  // but 9000 / 61xx is an error naming it (Status::message() "SW 6A88").
  [[nodiscard]] absl::StatusOr<std::string> Command(absl::string_view der);

  // Every piece of `bpp_der` as its own Command(); the answer to the last
  // piece that answered anything (the ProfileInstallationResult).
  [[nodiscard]] absl::StatusOr<std::string> LoadBoundProfilePackage(
      absl::string_view bpp_der);

  // One APDU, as is; the response APDU.
  std::string Transmit(absl::string_view command_apdu);

  // Every APDU exchanged so far: command, response.
  const std::vector<std::pair<std::string, std::string>>& exchanged() const {
    return exchanged_;
  }
  // The number of GET RESPONSE commands sent so far.
  int get_responses() const { return get_responses_; }

 private:
  EuiccApduCard& card_;
  size_t mss_;
  int channel_ = 0;
  int get_responses_ = 0;
  std::vector<std::pair<std::string, std::string>> exchanged_;
};

}  // namespace smdp::euicc::apdu

#endif  // SMDP_TESTS_EUICC_APDU_ES10_CLIENT_H_
