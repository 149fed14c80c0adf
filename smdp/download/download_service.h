// DownloadService: the ES9+ functions of the SM-DP+ (SGP.22 5.6), the
// transport-independent core that the gRPC service and the GSMA HTTP/JSON
// binding both call.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<DownloadService> service,
//                    DownloadService::Create(options, {nist, brp}, trust,
//                                            store, kek, provider));
//   ASSIGN_OR_RETURN(es9plus::InitiateAuthenticationResponse answer,
//                    service->InitiateAuthentication(request));
//   // answer.header().function_execution_status().status() is
//   // "Executed-Success" or "Failed" with the GSMA subject/reason codes.
//
// Errors: every check of SGP.22 fails as an answer with status "Failed"
// and statusCodeData from the one table in smdp/common/gsma_status.h (the
// StatusOr is OK). A non-OK StatusOr is a failure of the server itself (the
// store, the HSM): the transport answers it as an internal error.
//
// State: sessions live in the ProfileStore (SessionRecord by
// transactionId), written at every step, so any node sharing the store can
// serve the next step. Profile state changes are compare-and-set
// transitions of the store with their audit entry and operator callback
// (HandleDownloadProgressInfo notification point) in the same commit:
//   AuthenticateClient      RELEASED (or DOWNLOADED, for a retry) -> RELEASED,
//                           download_attempts + 1, EID bound; point 1
//   GetBoundProfilePackage  RELEASED -> DOWNLOADED; point 3
//                           wrong hashCc: cc_attempts + 1; when exhausted
//                           -> ERROR, point 2
//   HandleNotification      DOWNLOADED -> INSTALLED (success) or ERROR; point 4
//   CancelSession           postponed / timeout: back to RELEASED; any other
//                           reason: ERROR; point 3 (4 after the BPP was sent)
//
// Decisions (where SGP.22 leaves a choice; see the .cc for details):
//   - A retry (the profile is DOWNLOADED for the same EID, no installation
//     result yet) gets a new binding with fresh one-time keys, counted as a
//     download attempt; smdpSigned2 never carries bppEuiccOtpk (the builder
//     does not keep otSK.DP.ECKA). With allow_rebinding = false such a retry
//     is 8.2/3.7.
//   - Malformed eUICC data (DER that does not decode, a wrong-size
//     challenge) is 8.1/6.1 "eUICC - Verification failed": nothing the
//     eUICC sent can be verified; a transactionId that is not 1..16 bytes of
//     hex is 8.10.1/3.9.
//
// Thread-safety: every method may be called from many threads at once. The
// service holds references to the store, the KEK, the provider; they must
// outlive it.
#ifndef SMDP_SMDP_DOWNLOAD_DOWNLOAD_SERVICE_H_
#define SMDP_SMDP_DOWNLOAD_DOWNLOAD_SERVICE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "api/es9plus.pb.h"
#include "hsm/crypto_provider.h"
#include "profiles/profile_store.h"
#include "smdp/common/function_status.h"
#include "smdp/auth/ci_trust_store.h"
#include "smdp/auth/euicc_certificate_verifier.h"
#include "smdp/download/bpp_builder.h"
#include "smdp/server/identity.h"

namespace smdp::download {

// Options of DownloadService. Every field but the address and OID has a
// default.
struct DownloadServiceOptions {
  // The SM-DP+ address (FQDN) InitiateAuthentication must name
  // (case-insensitively) and serverSigned1 carries. Required.
  std::string smdp_address;
  // The SM-DP+ OID (dotted) of CERT.DPauth, checked in CancelSession and
  // ProfileInstallationResult, and put in ConfigureISDP. Required.
  std::string smdp_oid;
  // hostId of the BPP (1..16 bytes).
  std::string host_id = "SMDP-PLUS";
  // How long a session may wait for its next step (InitiateAuthentication
  // -> AuthenticateClient -> GetBoundProfilePackage). SGP.22 leaves it to
  // the SM-DP+; LPAs finish a step in seconds.
  absl::Duration session_ttl = absl::Minutes(5);
  // How long a session is kept after the BPP was sent, for the
  // ProfileInstallationResult (which carries no certificate: it is verified
  // with the session's eUICC certificate) and its duplicates.
  absl::Duration notification_ttl = absl::Hours(24 * 7);
  // AuthenticateClient calls allowed per order (each one that passes the
  // checks counts); the next is 8.8.5/6.4.
  uint32_t max_download_attempts = 3;
  // Wrong confirmation codes allowed per order; the last wrong one is
  // 8.2.7/6.4 and ends the order (profile ERROR, callback point 2).
  uint32_t max_cc_attempts = 3;
  // Whether a DOWNLOADED profile (BPP sent, no result) may be bound again to
  // the same EID. False: 8.2/3.7.
  bool allow_rebinding = true;
  // The clock; null: absl::Now.
  std::function<absl::Time()> clock;
};

// The ES9+ functions. See the file comment.
class DownloadService {
 public:
  // Checks the options and the identities (each CERT.DPauth must chain to a
  // CI of `trust_store`; that CI is the identity's euiccCiPKId). At least one
  // identity. InvalidArgument / FailedPrecondition naming the problem.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<DownloadService>> Create(
      DownloadServiceOptions options, std::vector<SmdpIdentity> identities,
      std::shared_ptr<const auth::CiTrustStore> trust_store,
      profiles::ProfileStore& store, const hsm::SecretKey& kek,
      hsm::CryptoProvider& provider);

  DownloadService(const DownloadService&) = delete;
  DownloadService& operator=(const DownloadService&) = delete;

  [[nodiscard]] absl::StatusOr<es9plus::InitiateAuthenticationResponse>
  InitiateAuthentication(const es9plus::InitiateAuthenticationRequest& request);
  [[nodiscard]] absl::StatusOr<es9plus::AuthenticateClientResponse>
  AuthenticateClient(const es9plus::AuthenticateClientRequest& request);
  [[nodiscard]] absl::StatusOr<es9plus::GetBoundProfilePackageResponse>
  GetBoundProfilePackage(const es9plus::GetBoundProfilePackageRequest& request);
  [[nodiscard]] absl::StatusOr<es9plus::HandleNotificationResponse>
  HandleNotification(const es9plus::HandleNotificationRequest& request);
  [[nodiscard]] absl::StatusOr<es9plus::CancelSessionResponse> CancelSession(
      const es9plus::CancelSessionRequest& request);

  // Deletes up to `limit` sessions that expired, giving back the profiles
  // they held: an authenticated session's profile stays RELEASED (its hold
  // is cleared), a DOWNLOADED profile whose result never came goes back to
  // RELEASED for a retry. Returns the number of sessions deleted. Run it
  // periodically (e.g. every minute) on one or more nodes.
  [[nodiscard]] absl::StatusOr<size_t> CleanUpExpiredSessions(size_t limit);

 private:
  struct Identity {
    SmdpIdentity identity;
    std::string ci_key_id;  // the CI that issued CERT.DPauth
  };

  DownloadService(DownloadServiceOptions options,
                  std::vector<Identity> identities,
                  std::shared_ptr<const auth::CiTrustStore> trust_store,
                  profiles::ProfileStore& store, const hsm::SecretKey& kek,
                  hsm::CryptoProvider& provider);

  absl::Time Now() const;
  const Identity* FindIdentity(absl::string_view name) const;

  // The steps; a GsmaError status becomes a Failed header in the public
  // wrappers.
  absl::Status DoInitiate(const es9plus::InitiateAuthenticationRequest& request,
                          es9plus::InitiateAuthenticationResponse& response);
  absl::Status DoAuthenticate(const es9plus::AuthenticateClientRequest& request,
                              es9plus::AuthenticateClientResponse& response);
  absl::Status DoGetBpp(const es9plus::GetBoundProfilePackageRequest& request,
                        es9plus::GetBoundProfilePackageResponse& response);
  absl::Status DoNotification(
      const es9plus::HandleNotificationRequest& request);
  absl::Status DoCancel(const es9plus::CancelSessionRequest& request);

  const DownloadServiceOptions options_;
  const std::vector<Identity> identities_;
  const std::shared_ptr<const auth::CiTrustStore> trust_store_;
  const auth::EuiccCertificateVerifier verifier_;
  profiles::ProfileStore& store_;
  const hsm::SecretKey& kek_;
  hsm::CryptoProvider& provider_;
  const BoundProfilePackageBuilder builder_;
};

// Kept here for callers of this header (function_status.h has them).
using ::smdp::FillResponseHeader;
using ::smdp::kExecutedSuccess;
using ::smdp::kFailed;

}  // namespace smdp::download

#endif  // SMDP_SMDP_DOWNLOAD_DOWNLOAD_SERVICE_H_
