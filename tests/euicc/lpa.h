// A minimal LPA for the software eUICC: the ES9+ client over either
// transport of smdpd, and the download sequence between it and the eUICC.
// euicc_cli's `download` command is a thin wrapper over it.
//
//   ASSIGN_OR_RETURN(auto client, CreateEs9Client(
//       {.smdp = "localhost:8443", .ca_file = "smdp-data/pki/nist/ci.pem"}));
//   ASSIGN_OR_RETURN(DownloadResult result,
//       DownloadProfile(*euicc, *client,
//                       {.smdp_address = "localhost", .matching_id = "AC-1"},
//                       [](absl::string_view line) { std::cout << line; }));
//   // result.iccid installed
//
// The sequence (SGP.22 3.1.3): GetEUICCChallenge and EUICCInfo1 →
// ES9+.InitiateAuthentication → ES10b.AuthenticateServer →
// ES9+.AuthenticateClient → ES10b.PrepareDownload →
// ES9+.GetBoundProfilePackage → ES10b.LoadBoundProfilePackage →
// ES9+.HandleNotification (the ProfileInstallationResult). As an LPA does, an
// eUICC error answer to AuthenticateServer or PrepareDownload is still sent
// to the SM-DP+ (AuthenticateClient / GetBoundProfilePackage), so that it
// ends the session, and a failed installation's result is still notified.
//
// The ES9+ client is also the transport of tests/e2e's step-by-step
// Download (end-to-end tests, //bench:loadgen): `plaintext` reaches their
// in-process gRPC server, `strict` checks the server's answers to the letter.
//
// Thread-safety: an Es9Client is not thread-safe (the HTTPS one owns one
// keep-alive connection); use one per thread. Different clients may run on
// different threads at once.
#ifndef SMDP_TESTS_EUICC_LPA_H_
#define SMDP_TESTS_EUICC_LPA_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "api/es9plus.pb.h"
#include "tests/euicc/software_euicc.h"

namespace smdp::euicc {

// One way to reach an SM-DP+'s ES9+ functions. Transport failures (no
// connection, TLS, HTTP status other than 200/204, a gRPC error status, an
// answer that is not the function's JSON) are Unavailable; GSMA refusals are
// normal answers whose header says "Failed". With Es9ClientOptions::strict,
// an answer that breaks the binding is DataLoss.
class Es9Client {
 public:
  virtual ~Es9Client() = default;
  [[nodiscard]] virtual absl::StatusOr<es9plus::InitiateAuthenticationResponse>
  InitiateAuthentication(const es9plus::InitiateAuthenticationRequest& r) = 0;
  [[nodiscard]] virtual absl::StatusOr<es9plus::AuthenticateClientResponse>
  AuthenticateClient(const es9plus::AuthenticateClientRequest& r) = 0;
  [[nodiscard]] virtual absl::StatusOr<es9plus::GetBoundProfilePackageResponse>
  GetBoundProfilePackage(const es9plus::GetBoundProfilePackageRequest& r) = 0;
  // The HTTPS binding answers an accepted notification with 204 and no
  // body: an empty response (no header).
  [[nodiscard]] virtual absl::StatusOr<es9plus::HandleNotificationResponse>
  HandleNotification(const es9plus::HandleNotificationRequest& r) = 0;
  [[nodiscard]] virtual absl::StatusOr<es9plus::CancelSessionResponse>
  CancelSession(const es9plus::CancelSessionRequest& r) = 0;
};

enum class Es9Transport {
  // The GSMA HTTPS binding: JSON (protobuf JSON names of api/es9plus.proto)
  // POSTed to https://<smdp>/gsma/rsp2/es9plus/<function> with
  // X-Admin-Protocol, by smdp/http's GsmaHttpClient.
  kHttps,
  // smdp.es9plus.Es9Plus over gRPC, with TLS unless `plaintext`.
  kGrpc,
};

struct Es9ClientOptions {
  // "host:port" ("[v6]:port"); without a port, 443.
  std::string smdp;
  Es9Transport transport = Es9Transport::kHttps;
  // PEM trust anchor(s). HTTPS: the CI that issued CERT.DP.TLS (dev:
  // smdp-data/pki/nist/ci.pem). gRPC: the CA of smdpd's gRPC certificate
  // (dev: smdp-data/pki/grpc/ca.pem). Required, except with `plaintext`.
  std::string ca_file;
  // An optional client certificate (PEM) and key; both or neither.
  std::string client_cert_file;
  std::string client_key_file;
  // gRPC only: no TLS, for a test server on the loopback (tests/e2e's
  // DownloadWorld). `ca_file` and the client certificate must be unset.
  bool plaintext = false;
  // HTTPS only: checks the answers to the letter, as a conformance test
  // does. A field the API does not define is an error (the server must send
  // nothing else), a 204 must have no body, and handleNotification must
  // answer 204 (a 200 only with a refusal). These are DataLoss. An LPA in
  // the field is lenient (the default): it ignores unknown fields, as newer
  // servers may add some, and takes any 200/204 answer.
  bool strict = false;
  // Longest a call may take (the gRPC deadline; over HTTPS, writing the
  // request and reading the answer) before it is a failure.
  absl::Duration call_timeout = absl::Seconds(60);
  // HTTPS only: the name CERT.DP.TLS must carry when `smdp` is an address
  // (e.g. "testsmdpplus1.example.com" at 127.0.0.1); empty: smdp's host.
  std::string tls_server_name;
  // HTTPS only: check CERT.DP.TLS at this time instead of now (tests with
  // the SGP.26 certificates, which expire).
  std::optional<absl::Time> tls_verify_time;
};

// A client for `options` (files are loaded now: InvalidArgument or NotFound
// naming a bad one; InvalidArgument for options that do not go together).
[[nodiscard]] absl::StatusOr<std::unique_ptr<Es9Client>> CreateEs9Client(
    const Es9ClientOptions& options);

// The host part of "host:port", "[v6]:port" or "host".
std::string HostOf(absl::string_view smdp);

struct DownloadOptions {
  // The SM-DP+ address the LPA expects (InitiateAuthentication's
  // smdpAddress; the eUICC's serverAddress must equal it).
  std::string smdp_address;
  // ctxParams1's matchingId (the activation code's); none when unset.
  std::optional<std::string> matching_id;
  // The confirmation code, when the order needs one.
  std::optional<std::string> confirmation_code;
};

struct DownloadResult {
  // The installed profile's ICCID, as digits.
  std::string iccid;
  // The profile the eUICC decrypted (the 86 plaintexts).
  std::string profile;
};

// Runs the sequence of the file comment, calling `progress` with one line
// (no newline) per step. Errors name the step: a "Failed" answer is
// FailedPrecondition ("initiateAuthentication: Failed 8.8.1/3.8 ..."), an
// eUICC refusal or failed installation carries the eUICC's status, and a
// transport failure Unavailable. The eUICC's state changes as on a card
// (sessions, installed ICCIDs); the caller saves it.
[[nodiscard]] absl::StatusOr<DownloadResult> DownloadProfile(
    SoftwareEuicc& euicc, Es9Client& client, const DownloadOptions& options,
    const std::function<void(absl::string_view)>& progress);

// ICCID bytes as EF.ICCID codes them (nibbles swapped, F padding) → digits.
std::string IccidDigits(absl::string_view iccid);

}  // namespace smdp::euicc

#endif  // SMDP_TESTS_EUICC_LPA_H_
