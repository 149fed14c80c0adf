// The LPA's side of an ES9+ profile download, for end-to-end tests and the
// load generator: a Download that drives one SoftwareEuicc through the whole
// exchange with an SM-DP+, step by step, timing each step. The SM-DP+ is
// reached by tests/euicc/lpa.h's Es9Client (either transport; the tests
// create it with Es9ClientOptions::strict, see DownloadWorld::NewClient).
//
//   ASSIGN_OR_RETURN(std::unique_ptr<Es9Client> client,
//                    euicc::CreateEs9Client({.smdp = "localhost:8443",
//                                            .ca_file = ci_pem,
//                                            .strict = true}));
//   Download download(*client, *euicc, "localhost", "MATCHING-ID-1");
//   RETURN_IF_ERROR(download.Run());
//   download.result().loaded->profile;   // the decrypted profile
//   download.result().step_time[...];    // wall time of each step
//
// A Download can also be run a step at a time (Step(), RunThrough()), so a
// test can look at the server between two steps, or a load test can start
// many sessions before it finishes any of them.
//
// Errors: a transport failure (connection, TLS, HTTP status other than the
// binding's 200/204, a gRPC error, a bad answer) is the client's status
// (tests/euicc/lpa.h); an ES9+ answer
// other than "Executed-Success" (a GSMA refusal: "Failed" with
// subject/reason codes) is FailedPrecondition naming the function and the
// codes; an eUICC refusal is the SoftwareEuicc's status (the ES10b error,
// or a failed LoadBoundProfilePackage). Every error is prefixed with the
// step's name.
//
// Thread-safety: a Download is used by one thread at a time, as is its
// Es9Client. Different clients and downloads may run on different threads
// at once.
#ifndef SMDP_TESTS_E2E_DOWNLOAD_CLIENT_H_
#define SMDP_TESTS_E2E_DOWNLOAD_CLIENT_H_

#include <array>
#include <cstddef>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "api/es9plus.pb.h"
#include "tests/euicc/lpa.h"
#include "tests/euicc/software_euicc.h"

namespace smdp::e2e {

// The ES9+ client and its transports are the LPA's (tests/euicc/lpa.h).
using ::smdp::euicc::Es9Client;
using ::smdp::euicc::Es9Transport;

// The steps of a download, in order: the LPA alternates between the eUICC
// (ES10b) and the SM-DP+ (ES9+).
enum class DownloadStep {
  kGetChallenge,             // ES10b GetEUICCChallenge + GetEUICCInfo1
  kInitiateAuthentication,   // ES9+
  kAuthenticateServer,       // ES10b
  kAuthenticateClient,       // ES9+
  kPrepareDownload,          // ES10b
  kGetBoundProfilePackage,   // ES9+
  kLoadBoundProfilePackage,  // ES10b (ES8+ inside)
  kHandleNotification,       // ES9+ (the ProfileInstallationResult)
};
inline constexpr size_t kDownloadSteps = 8;

// "initiateAuthentication", "AuthenticateServer", ...: ES9+ functions as
// the GSMA binding spells them, ES10b ones capitalised.
absl::string_view StepName(DownloadStep step);
// True for the steps that call the SM-DP+.
bool IsServerStep(DownloadStep step);

// What a download did so far.
struct DownloadResult {
  // The transactionId (hex) from InitiateAuthentication.
  std::string transaction_id;
  // Wall time of each step that ran (zero for the others).
  std::array<absl::Duration, kDownloadSteps> step_time{};
  // What LoadBoundProfilePackage produced (the decrypted profile, its
  // ICCID, the ProfileInstallationResult), once that step ran.
  std::optional<euicc::LoadBppResult> loaded;

  // Sum of step_time.
  absl::Duration total() const;
};

// One download by one eUICC. See the file comment.
class Download {
 public:
  // `client` and `euicc` must outlive the Download. `matching_id`: the
  // order's matchingId (nullopt: none, the default SM-DP+ case);
  // `confirmation_code` is given to PrepareDownload when the SM-DP+ asks.
  Download(Es9Client& client, euicc::SoftwareEuicc& euicc,
           std::string smdp_address, std::optional<std::string> matching_id,
           std::optional<std::string> confirmation_code = std::nullopt);

  Download(const Download&) = delete;
  Download& operator=(const Download&) = delete;

  // Runs the next step. After an error the download is over: this and
  // every later call return that error.
  [[nodiscard]] absl::Status Step();
  // Runs steps up to and including `last` (nothing if it already ran).
  [[nodiscard]] absl::Status RunThrough(DownloadStep last);
  // Runs every remaining step.
  [[nodiscard]] absl::Status Run() {
    return RunThrough(DownloadStep::kHandleNotification);
  }

  // The step Step() runs next; nullopt when all ran or one failed.
  std::optional<DownloadStep> next_step() const;
  bool done() const { return !next_step().has_value(); }
  // OK, or the error that ended the download.
  const absl::Status& status() const { return status_; }
  const DownloadResult& result() const { return result_; }

  // Uses another client for the next steps (e.g. a new connection).
  void set_client(Es9Client& client) { client_ = &client; }

 private:
  absl::Status RunStep(DownloadStep step);

  Es9Client* client_;
  euicc::SoftwareEuicc& euicc_;
  const std::string smdp_address_;
  const std::optional<std::string> matching_id_;
  const std::optional<std::string> confirmation_code_;
  size_t next_ = 0;
  absl::Status status_;
  DownloadResult result_;

  // Carried from one step to the next.
  std::string challenge_;
  std::string info1_;
  es9plus::InitiateAuthenticationResponse initiated_;
  std::string authenticate_server_response_;
  es9plus::AuthenticateClientResponse authenticated_;
  std::string prepare_download_response_;
  std::string bpp_;
};

// Runs a whole download: Download(...).Run(), and its result.
[[nodiscard]] absl::StatusOr<DownloadResult> RunDownload(
    Es9Client& client, euicc::SoftwareEuicc& euicc,
    const std::string& smdp_address,
    const std::optional<std::string>& matching_id);

}  // namespace smdp::e2e

#endif  // SMDP_TESTS_E2E_DOWNLOAD_CLIENT_H_
