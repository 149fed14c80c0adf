// The software eUICC's state directory, in the format euicc_cli keeps it
// (so `euicc_cli --state=DIR init ...` prepares a card for
// euicc_apdu_stdio), plus the APDU card's own file:
//
//   DIR/euicc.der      CERT.EUICC          DIR/euicc.key.pem  SK.EUICC
//   DIR/eum.der        CERT.EUM            DIR/eid.txt        the EID
//   DIR/ci-N.der       trusted CIs         DIR/state.txt      SaveState()
//   DIR/card.txt       EuiccApduCard::SaveState(): installed profiles'
//                      ProfileInfo, pending notifications (written here
//                      only; euicc_cli ignores it)
#ifndef SMDP_TESTS_EUICC_APDU_STATE_DIR_H_
#define SMDP_TESTS_EUICC_APDU_STATE_DIR_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tests/euicc/apdu/euicc_apdu_card.h"
#include "tests/euicc/software_euicc.h"

namespace smdp::euicc::apdu {

// Makes the eUICC kept in `dir` and restores its state.txt. `now` fixes
// its clock (default: the real time). FailedPrecondition when `dir` holds
// no eUICC.
[[nodiscard]] absl::StatusOr<std::unique_ptr<SoftwareEuicc>> LoadEuiccFromDir(
    const std::string& dir, std::optional<absl::Time> now = std::nullopt);

// Writes DIR/state.txt.
[[nodiscard]] absl::Status SaveEuiccToDir(const std::string& dir,
                                          const SoftwareEuicc& euicc);

// Restores DIR/card.txt into `card` (nothing to do when it is absent), and
// writes it.
[[nodiscard]] absl::Status LoadCardFromDir(const std::string& dir,
                                           EuiccApduCard& card);
[[nodiscard]] absl::Status SaveCardToDir(const std::string& dir,
                                         const EuiccApduCard& card);

}  // namespace smdp::euicc::apdu

#endif  // SMDP_TESTS_EUICC_APDU_STATE_DIR_H_
