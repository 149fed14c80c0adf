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
// serve the next step (synced, except the InitiateAuthentication one: a
// crash then only makes the LPA start again). Profile state changes are
// compare-and-set transitions of the store with their audit entry and operator
// callback (HandleDownloadProgressInfo notification point) in the same commit:
//   AuthenticateClient      RELEASED (or DOWNLOADED, for a retry) -> RELEASED,
//                           download_attempts + 1, EID bound; point 1
//   GetBoundProfilePackage  RELEASED -> DOWNLOADED; point 3
//                           wrong hashCc: cc_attempts + 1; when exhausted
//                           -> ERROR, point 2
//   HandleNotification      DOWNLOADED -> INSTALLED (success) or ERROR; point 4
//   CancelSession           postponed / timeout: back to RELEASED; any other
//                           reason: ERROR; point 3 (4 after the BPP was sent);
//                           cancelSessionResponseError after the BPP: ERROR
//
// Retries with the same one-time keys (SGP.22 3.1.3, 5.6.2, 5.7.5): every
// binding keeps its key agreement, sealed with the KEK, in the session
// (SessionRecord.extra, session_state.proto; bpp_builder.h KeptAgreement).
// When AuthenticateClient is a retry by the same EID and the session that
// held the profile bound a BPP (BPP_SENT, profile DOWNLOADED with no
// installation result) or offered an earlier binding (AUTHENTICATED) and
// has not expired, smdpSigned2 carries that binding's otPK.EUICC.ECKA as
// bppEuiccOtpk and the new session takes the binding over. If the eUICC's
// euiccSigned2.euiccOtpk equals it, GetBoundProfilePackage binds again with
// the same otPK.DP.ECKA and session keys (ISCR re-signed for the new
// transactionId), so an eUICC that kept otSK.EUICC.ECKA installs it; a new
// otPK gets fresh one-time keys. Everything is in the store: any node can
// serve any step. The audit entries say which (retry of, offered, reused,
// fresh). The kept agreement is dropped with the installation result.
//
// Decisions (where SGP.22 leaves a choice; see the .cc for details):
//   - A retry (the profile is DOWNLOADED for the same EID, no installation
//     result yet) is counted as a download attempt and bound again; with
//     allow_rebinding = false it is 8.2/3.7.
//   - What is kept is the ECDH shared secret ShS, not otSK.DP.ECKA: the
//     CryptoProvider never exports a private key (in an HSM otSK.DP.ECKA is
//     a non-extractable session object), and ShS with the same hostId and
//     EID gives the same session keys. It is sealed (AES-GCM, associated
//     data: ICCID, EID and both one-time public keys), never logged; it
//     lives as long as its session (notification_ttl after the BPP). A kept
//     agreement that does not open (another KEK) is logged and the retry
//     bound afresh: the eUICC accepts any otPK.DP.ECKA.
//   - The same session asking GetBoundProfilePackage again (the LPA lost the
//     answer) is bound again with the same one-time keys too.
//   - reuse_one_time_keys = false turns all of this off (no Seal per
//     binding, never bppEuiccOtpk).
//   - A request field that is missing is 1.6/2.2, one without its format
//     (DER that does not decode, a challenge that is not 16 bytes) 1.6/2.1
//     (SGP.22 5.2.6 common codes); 8.1/6.1 "eUICC - Verification failed" is
//     for signatures and certificates that do not verify. A transactionId
//     that is not 1..16 bytes of hex is 8.10.1/3.9 (unknown).
//   - An informational field used only for eligibility (EUICCInfo2
//     extCardResource) that does not parse counts as unknown: its check is
//     skipped and counted (unparsed_eligibility_fields()), never refused.
//   - An empty matchingId selects the order placed for the EID without a
//     matchingId; none is 8.1.1/3.8 (EID refused).
//   - A wrong confirmation code counts an attempt and keeps the session (the
//     LPA may ask again with the same transactionId); the last one allowed
//     ends the order.
//   - CancelSession with reason postponed or timeout keeps the session's
//     one-time key agreement for the retry (session stage CANCELLED until
//     notification_ttl); other reasons end the order and drop it. A
//     cancelSessionResponseError (the eUICC has no session) after the BPP
//     records a failed installation (ERROR, point 4); before it, the profile
//     is given back. The eUICC's signed ProfileInstallationResult, when it
//     comes, still decides: a success installs an ERROR profile its session
//     holds.
//
// Thread-safety: every method may be called from many threads at once. The
// service holds references to the store, the KEK, the provider; they must
// outlive it.
#ifndef SMDP_SMDP_DOWNLOAD_DOWNLOAD_SERVICE_H_
#define SMDP_SMDP_DOWNLOAD_DOWNLOAD_SERVICE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "api/es9plus.pb.h"
#include "hsm/crypto_provider.h"
#include "profiles/profile_store.h"
#include "sgp22/notification.h"
#include "smdp/auth/ci_trust_store.h"
#include "smdp/auth/euicc_certificate_verifier.h"
#include "smdp/common/function_status.h"
#include "smdp/download/bpp_builder.h"
#include "smdp/download/session_state.pb.h"
#include "smdp/auth/smdp_identity.h"

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
  // Whether every binding keeps its one-time key agreement (sealed with the
  // KEK, one Seal per binding) so that a retry offers the previous
  // otPK.EUICC.ECKA in smdpSigned2.bppEuiccOtpk and, when the eUICC answers
  // it, binds again with the same one-time keys. False: nothing is kept,
  // bppEuiccOtpk is never sent, every binding has fresh one-time keys.
  bool reuse_one_time_keys = true;
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

  // How many informational fields of EUICCInfo2 (extCardResource,
  // forbiddenProfilePolicyRules, the version and v3 fields) and DeviceInfo
  // (imei) did not parse since start-up: each counted as unknown, a check
  // that needs it skipped (logged at info level), never a refusal.
  uint64_t unparsed_eligibility_fields() const {
    return unparsed_eligibility_fields_.load(std::memory_order_relaxed);
  }

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

  // The one-time key agreement a retry of `record`'s order by `eid` (in
  // session `tid`, of `identity`) may reuse: that of the session holding
  // the profile, when it bound a BPP (or offered an earlier binding) to the
  // same EID on the same curve and has not expired. nullopt: none.
  absl::StatusOr<std::optional<KeptBinding>> RetryBinding(
      const store::ProfileRecord& record, absl::string_view eid,
      const Identity& identity, absl::string_view tid, absl::Time now);

  // The steps; a GsmaError status becomes a Failed header in the public
  // wrappers.
  absl::Status DoInitiate(const es9plus::InitiateAuthenticationRequest& request,
                          es9plus::InitiateAuthenticationResponse& response);
  absl::Status DoAuthenticate(const es9plus::AuthenticateClientRequest& request,
                              es9plus::AuthenticateClientResponse& response);
  absl::Status DoGetBpp(const es9plus::GetBoundProfilePackageRequest& request,
                        es9plus::GetBoundProfilePackageResponse& response);
  // A wrong hashCc in `session` for `record`: counts it and answers
  // 8.2.7/3.8, or at the limit ends the order and answers 8.2.7/6.4.
  absl::Status RefuseConfirmationCode(store::ProfileRecord record,
                                      const store::SessionRecord& session,
                                      absl::Time now);
  absl::Status DoNotification(
      const es9plus::HandleNotificationRequest& request);
  absl::Status DoCancel(const es9plus::CancelSessionRequest& request);
  // CancelSession answered by the eUICC with an error (it has no session).
  absl::Status EndAfterEuiccCancelError(const store::SessionRecord& session,
                                        sgp22::CancelSessionError error,
                                        absl::Time now);

  const DownloadServiceOptions options_;
  const std::vector<Identity> identities_;
  const std::shared_ptr<const auth::CiTrustStore> trust_store_;
  const auth::EuiccCertificateVerifier verifier_;
  profiles::ProfileStore& store_;
  const hsm::SecretKey& kek_;
  hsm::CryptoProvider& provider_;
  const BoundProfilePackageBuilder builder_;
  std::atomic<uint64_t> unparsed_eligibility_fields_{0};
};

// Kept here for callers of this header (function_status.h has them).
using ::smdp::FillResponseHeader;
using ::smdp::kExecutedSuccess;
using ::smdp::kFailed;

}  // namespace smdp::download

#endif  // SMDP_SMDP_DOWNLOAD_DOWNLOAD_SERVICE_H_
