// SoftwareEuicc: the eUICC's side of an SGP.22 profile download, in
// software, for tests of the SM-DP+.
//
// It does for real what an eUICC does (ES10b as an LPA drives it, ES8+ as
// the BPP carries it): verifies CERT.DPauth and CERT.DPpb up to a CI it
// trusts, verifies serverSignature1, smdpSignature2 and smdpSign, signs
// euiccSigned1/2 and the ProfileInstallationResult with SK.EUICC, makes the
// one-time key pair, derives the BSP session keys, checks every MAC of the
// BPP and decrypts it back to the profile. All of its cryptography is its
// own (tests/euicc/internal/, plain OpenSSL): it shares no code with the
// server's sgp22/bsp, smdp/auth or hsm/, so a bug that is symmetric on both
// sides cannot hide. Likewise it decodes every message it receives and
// encodes every message it sends with its own strict SGP.22 codec
// (internal/sgp22_decode.h, internal/sgp22_encode.h, written from the ASN.1
// module over sgp22's DER primitives only); the sgp22 types below are
// only the shape of this interface.
//
//   SoftwareEuiccConfig config;
//   config.euicc_certificate = ...;       // CERT.EUICC (DER)
//   config.euicc_private_key_pem = ...;   // SK.EUICC
//   config.eum_certificate = ...;         // CERT.EUM (DER)
//   config.ci_certificates = {ci_der};    // the CIs it trusts
//   ASSIGN_OR_RETURN(auto euicc, SoftwareEuicc::Create(std::move(config)));
//
//   ASSIGN_OR_RETURN(std::string challenge, euicc->GetEuiccChallenge());
//   std::string info1 = euicc->GetEuiccInfo1();
//   // ... ES9+.InitiateAuthentication(challenge, info1, address) ...
//   AuthenticateServerAnswer auth = euicc->AuthenticateServer(
//       initiate_auth_fields, ctx_params1, "smdp.example.com");
//   if (!auth.ok()) return auth.status;  // auth.der has the error answer
//   // ... ES9+.AuthenticateClient(transactionId, auth.der) ...
//   PrepareDownloadAnswer prep = euicc->PrepareDownload(
//       authenticate_client_fields, /*confirmation_code=*/std::nullopt);
//   // ... ES9+.GetBoundProfilePackage(transactionId, prep.der) ...
//   ASSIGN_OR_RETURN(LoadBppResult result,
//                    euicc->LoadBoundProfilePackage(bpp_der));
//   // result.profile == the profile the server bound; result.status says
//   // why not otherwise. ES9+.HandleNotification(
//   //     result.profile_installation_result).
//
// Forms of the inputs: every certificate is DER; signatures travel as the
// ES9+ JSON binding carries them (the `5F37 40 r||s` TLV) in the *Fields
// structs, and inside the ES10b request DER as usual; euiccCiPKIdToBeUsed is
// the `04 14 <key id>` TLV of the JSON binding.
//
// Errors: an ES10b function that fails the way an eUICC fails answers with
// its error alternative (Es10bAnswer::der holds it, error_code names the
// code) and a status saying why; a request that does not even parse has no
// DER answer (InvalidArgument). LoadBoundProfilePackage reports a failed
// step inside the signed ProfileInstallationResult (ErrorResult) and in
// LoadBppResult::status. The status code follows the error code:
//   noSessionContext, undefinedError            FailedPrecondition
//   ciPKUnknown                                 NotFound
//   invalidCertificate, invalidOid,
//   euiccChallengeMismatch                      PermissionDenied
//   unsupportedCurve                            Unimplemented
//   invalidSignature                            Unauthenticated
//   invalidTransactionId                        InvalidArgument
//   a BPP MAC mismatch (scp03tSecurityError)    DataLoss
//   another malformed BPP TLV                   InvalidArgument
//   ICCID already installed / PPR forbidden /
//   profile larger than the free memory         AlreadyExists /
//                                               PermissionDenied /
//                                               ResourceExhausted
//
// Fault injection: EuiccFaults makes the eUICC misbehave on purpose (bad
// signatures, a corrupt one-time key, wrong transaction ids, ...) so that
// the server's checks can be tested; see euicc_testing.h for bad
// certificates and tampered BPPs.
//
// Thread-safety: thread-compatible. An eUICC holds one session at a time, so
// use one instance per simulated card, from one thread at a time (a load
// generator makes one eUICC per concurrent download). The clock and random
// source callbacks run on the calling thread, during the calls that need
// them.
#ifndef SMDP_TESTS_EUICC_SOFTWARE_EUICC_H_
#define SMDP_TESTS_EUICC_SOFTWARE_EUICC_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "sgp22/authentication.h"
#include "sgp22/bpp.h"
#include "sgp22/download.h"
#include "sgp22/euicc_info.h"
#include "sgp22/notification.h"
#include "sgp22/types.h"

namespace smdp::euicc {

// Returns `n` random bytes: euiccChallenge and the one-time private keys
// are drawn from it. (ECDSA signing nonces come from OpenSSL.)
using RandomSource = std::function<absl::StatusOr<std::string>(size_t n)>;
// The eUICC's clock: certificate validity is checked at this time.
using Clock = std::function<absl::Time()>;

// OpenSSL's DRBG.
RandomSource OpenSslRandomSource();
// A reproducible stream of bytes from `seed` (SHA-256 in counter mode): the
// same seed gives the same challenges and one-time keys. Not secret, for
// tests only.
RandomSource DeterministicRandomSource(uint64_t seed);
// A clock that always answers `now`.
Clock FixedClock(absl::Time now);

// Misbehaviours on demand, for tests of the server's checks. All off by
// default; each one changes only what its comment says.
struct EuiccFaults {
  // euiccSignature1 / euiccSignature2 / euiccSignPIR /
  // euiccCancelSessionSignature has one bit flipped after signing.
  bool bad_euicc_signature1 = false;
  bool bad_euicc_signature2 = false;
  bool bad_pir_signature = false;
  bool bad_cancel_session_signature = false;
  // euiccSigned2.euiccOtpk is a point off the curve (its last byte changed);
  // euiccSignature2 is computed over it, so only the point is wrong.
  bool corrupt_euicc_otpk = false;
  // euiccSigned1 (resp. euiccSigned2) carries a transactionId the server
  // did not issue (the real one with its last byte changed), correctly
  // signed.
  bool wrong_transaction_id_in_signed1 = false;
  bool wrong_transaction_id_in_signed2 = false;
  // euiccSigned1 and euiccSigned2 carry the transactionId of the previous
  // session instead of the current one (a replay), when there was one.
  bool replay_previous_transaction_id = false;
  // euiccSigned1.serverChallenge is not the server's (last byte changed).
  bool wrong_server_challenge = false;
  // GetEuiccChallenge() answers the previous challenge again.
  bool repeat_euicc_challenge = false;
  // PrepareDownload sends no hashCc even when ccRequiredFlag is set (the
  // eUICC would otherwise refuse with undefinedError).
  bool omit_hash_cc = false;
  // hashCc is computed over a wrong confirmation code.
  bool wrong_hash_cc = false;
};

// An EUICCInfo2 with sensible values for a v2.2.2 consumer eUICC: svn
// 2.2.2, profileVersion 2.3.1, firmware 1.0.0, 256 KB free non-volatile and
// 16 KB free volatile memory, USIM/ISIM/Milenage/TUAK/Java Card capability,
// TS 102 241 15.1.0, GlobalPlatform 2.3.0, rspCapability additionalProfile
// and testProfileSupport, mediumEuicc, ppVersion 0.0.1, an SAS accreditation
// number; no forbiddenProfilePolicyRules. The CI lists are left empty (the
// eUICC fills them in).
sgp22::EuiccInfo2 DefaultEuiccInfo2();

// What a SoftwareEuicc is made from. Every field has a default but the
// certificates and the key.
struct SoftwareEuiccConfig {
  // The EID, 32 digits. Empty (the default): the serialNumber of the
  // eUICC certificate's subject.
  std::string eid;
  // CERT.EUICC.ECDSA, DER. Required.
  std::string euicc_certificate;
  // SK.EUICC.ECDSA: PEM (PKCS#8 or "EC PRIVATE KEY"). Required; must be the
  // key of euicc_certificate.
  std::string euicc_private_key_pem;
  // CERT.EUM.ECDSA, DER. Required.
  std::string eum_certificate;
  // The CI certificates (DER) the eUICC verifies SM-DP+ certificates with.
  // At least one. Their subjectKeyIdentifiers make
  // euiccCiPKIdListForVerification.
  std::vector<std::string> ci_certificates;
  // Overrides of the two CI lists EUICCInfo1/2 report. Unset:
  // ForVerification = the key ids of ci_certificates, ForSigning = the
  // authorityKeyIdentifier of eum_certificate (the CI of the eUICC's own
  // chain).
  std::optional<std::vector<std::string>> ci_pkid_list_for_verification;
  std::optional<std::vector<std::string>> ci_pkid_list_for_signing;
  // The rest of EUICCInfo2 (its CI lists are replaced as above). Also its
  // free non-volatile memory (extCardResource tag 82) limits the profile
  // size LoadBoundProfilePackage accepts, and its
  // forbiddenProfilePolicyRules the PPRs.
  sgp22::EuiccInfo2 euicc_info2 = DefaultEuiccInfo2();
  // The curves the eUICC supports for SM-DP+ certificates and one-time keys.
  bool supports_nist_p256 = true;
  bool supports_brainpool_p256r1 = true;
  // The ISD-P AIDs given to installed profiles are this 14-byte prefix
  // followed by a 2-byte counter starting at 0x1000.
  std::string isdp_aid_prefix = std::string(
      "\xA0\x00\x00\x05\x59\x10\x10\xFF\xFF\xFF\xFF\x89\x00\x00", 14);
  // The clock; null (the default): absl::Now.
  Clock clock;
  // The random source; null (the default): OpenSslRandomSource().
  RandomSource random;
  // Faults to inject; none by default.
  EuiccFaults faults;
};

// ctxParams1 as an LPA sends it: ctxParamsForCommonAuthentication with
// `matching_id` (absent when nullopt) and a DeviceInfo of a test device
// (TAC 35290611, LTE/5G releases 15.0.0, no IMEI).
sgp22::CtxParams1 MakeCtxParams1(std::optional<std::string> matching_id);

// The answer of an ES10b function that has an error alternative.
template <typename ErrorCode>
struct Es10bAnswer {
  // The response DER (BF38, BF21, BF41): the ok or the error alternative.
  // Empty when the request did not parse (a card answers with a status word
  // only) or the LPA part of a call refused before asking the eUICC.
  std::string der;
  // OK for the ok alternative; otherwise why it failed.
  absl::Status status;
  // The error alternative's code, when `der` holds one.
  std::optional<ErrorCode> error_code;

  bool ok() const { return status.ok(); }
};

using AuthenticateServerAnswer = Es10bAnswer<sgp22::AuthenticateErrorCode>;
using PrepareDownloadAnswer = Es10bAnswer<sgp22::DownloadErrorCode>;
using CancelSessionAnswer = Es10bAnswer<sgp22::CancelSessionError>;

// The fields of an ES9+.InitiateAuthentication answer, decoded from base64,
// as an LPA passes them on.
struct InitiateAuthenticationFields {
  std::string server_signed1;            // ServerSigned1 DER (30 ...)
  std::string server_signature1;         // 5F37 40 r||s
  std::string euicc_ci_pkid_to_be_used;  // 04 14 <CI key id>
  std::string server_certificate;        // CERT.DPauth DER
};

// The fields of an ES9+.AuthenticateClient answer the eUICC needs.
struct AuthenticateClientFields {
  std::string smdp_signed2;      // SmdpSigned2 DER (30 ...)
  std::string smdp_signature2;   // 5F37 40 r||s
  std::string smdp_certificate;  // CERT.DPpb DER
};

// What LoadBoundProfilePackage did.
struct LoadBppResult {
  // OK when the profile was installed; otherwise why not (the same failure
  // the ErrorResult in profile_installation_result reports).
  absl::Status status;
  // ProfileInstallationResult (BF37), signed with SK.EUICC: the
  // pendingNotification for ES9+.HandleNotification.
  std::string profile_installation_result;
  // The finalResult's ErrorResult when status is not OK.
  std::optional<sgp22::ErrorResult> error;
  // The decrypted profile: the 86 plaintexts concatenated (up to the
  // failure, if any).
  std::string profile;
  // The decoded commands, once they were opened.
  std::optional<sgp22::ConfigureIsdpRequest> configure_isdp;
  std::optional<sgp22::StoreMetadataRequest> metadata;
  // The ICCID (10 bytes, EF.ICCID coding) from the metadata; empty before.
  std::string iccid;
  // The ISD-P AID given to the profile (SuccessResult.aid); empty on error.
  std::string isdp_aid;
  // True when the BPP switched to a PPK with ReplaceSessionKeys.
  bool used_ppk = false;
  // Number of 86 segments opened.
  size_t profile_segments = 0;
};

// A software eUICC. See the file comment.
class SoftwareEuicc {
 public:
  // Checks the configuration and makes an eUICC with no session.
  // InvalidArgument naming the field when a certificate or the key does not
  // parse, the key does not match the certificate, the EID is not 32 digits,
  // or no CI is given. The eUICC's own chain is not verified (tests make
  // eUICCs with bad chains on purpose).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<SoftwareEuicc>> Create(
      SoftwareEuiccConfig config);

  ~SoftwareEuicc();
  SoftwareEuicc(const SoftwareEuicc&) = delete;
  SoftwareEuicc& operator=(const SoftwareEuicc&) = delete;

  // ---- ES10b / ES10c as an LPA drives them ----

  // ES10b.GetEUICCChallenge: 16 fresh random bytes, remembered for
  // AuthenticateServer (a new call replaces the old challenge).
  [[nodiscard]] absl::StatusOr<std::string> GetEuiccChallenge();

  // ES10b.GetEUICCInfo: EUICCInfo1 (BF20) and EUICCInfo2 (BF22), DER.
  std::string GetEuiccInfo1() const;
  std::string GetEuiccInfo2() const;

  // ES10b.AuthenticateServer with an AuthenticateServerRequest (BF38 DER).
  // Checks, in this order: a challenge is pending (noSessionContext); the
  // CI named by euiccCiPKIdToBeUsed is trusted (ciPKUnknown); CERT.DPauth
  // chains to it and is valid now (invalidCertificate), on a supported
  // curve (unsupportedCurve), with the DPauth policy (invalidOid);
  // serverSignature1 verifies over serverSigned1 as received
  // (invalidSignature); serverSigned1.euiccChallenge is the pending
  // challenge (euiccChallengeMismatch). Then answers euiccSigned1
  // {transactionId, serverAddress, serverChallenge, euiccInfo2, ctxParams1},
  // euiccSignature1, CERT.EUICC and CERT.EUM, and opens the session. Any
  // session open before ends, and the challenge is used up, either way.
  [[nodiscard]] AuthenticateServerAnswer AuthenticateServer(
      absl::string_view request_der);

  // The same from the fields of ES9+.InitiateAuthentication, with the LPA's
  // part first: builds the request with `ctx_params1`; when `smdp_address`
  // is not empty, refuses (no DER, PermissionDenied) a serverAddress that
  // differs from it (case-insensitively), as an LPA does before calling the
  // eUICC.
  [[nodiscard]] AuthenticateServerAnswer AuthenticateServer(
      const InitiateAuthenticationFields& fields,
      const sgp22::CtxParams1& ctx_params1, absl::string_view smdp_address);

  // ES10b.PrepareDownload with a PrepareDownloadRequest (BF21 DER). Checks:
  // a session authenticated by AuthenticateServer (noSessionContext);
  // CERT.DPpb chains to a trusted CI, is valid now, has the DPpb policy and
  // the same SM-DP+ OID as CERT.DPauth (invalidCertificate), on a supported
  // curve (unsupportedCurve); smdpSignature2 verifies over smdpSigned2 ||
  // 5F37 40 euiccSignature1 (invalidSignature); smdpSigned2.transactionId is
  // the session's (invalidTransactionId); hashCc is present when
  // ccRequiredFlag is set (undefinedError). Makes otPK/otSK.EUICC.ECKA on
  // CERT.DPpb's curve, or reuses the kept pair when bppEuiccOtpk names it,
  // and answers euiccSigned2 {transactionId, euiccOtpk, hashCc?} signed
  // together with 5F37 40 smdpSignature2.
  [[nodiscard]] PrepareDownloadAnswer PrepareDownload(
      absl::string_view request_der);

  // The same from the fields of ES9+.AuthenticateClient; the LPA's part
  // computes hashCc = SHA-256(SHA-256(code) || transactionId) when
  // ccRequiredFlag is set and a `confirmation_code` is given.
  [[nodiscard]] PrepareDownloadAnswer PrepareDownload(
      const AuthenticateClientFields& fields,
      const std::optional<std::string>& confirmation_code);

  // ES8+ through ES10b.LoadBoundProfilePackage, the whole BPP (BF36 DER) at
  // once: InitialiseSecureChannel (transactionId, remoteOpId 1, keyType 88,
  // keyLen 10, smdpSign with CERT.DPpb over the signed fields || 5F49
  // euiccOtpk), ECDH and the KDF, then every 87 (ConfigureISDP), 88
  // (StoreMetadata), the optional A2 87 (ReplaceSessionKeys: PPK, counter
  // back to 1) and 86 TLV in order: MAC chain, decryption, padding. Checks
  // the ICCID is not installed yet, the PPRs are not forbidden and the
  // profile fits the free memory. Ends the session and signs the
  // ProfileInstallationResult either way; on success remembers the ICCID
  // and forgets the one-time key.
  //
  // ErrorResult codes: a MAC mismatch is scp03tSecurityError, a malformed
  // TLV or missing sequence scp03tStructureError, a command that does not
  // decode incorrectInputValues; InitialiseSecureChannel uses
  // invalidTransactionId, unsupportedRemoteOperationType,
  // unsupportedCrtValues and invalidSignature.
  //
  // Returns FailedPrecondition (and no result) without a prepared session,
  // InvalidArgument when `bpp_der` is not a BoundProfilePackage (the session
  // then stays open).
  [[nodiscard]] absl::StatusOr<LoadBppResult> LoadBoundProfilePackage(
      absl::string_view bpp_der);

  // ES10b.CancelSession: answers the signed EuiccCancelSessionSigned
  // {transactionId, smdpOid of CERT.DPauth, reason} (BF41), or
  // invalidTransactionId when `transaction_id` is not the session's, and
  // ends the session.
  [[nodiscard]] CancelSessionAnswer CancelSession(
      absl::string_view transaction_id, sgp22::CancelSessionReason reason);

  // ---- inspection and control ----

  // The EID: 32 digits, and as the 16 bytes the KDF uses.
  const std::string& eid() const { return eid_; }
  std::string eid_bytes() const;
  const std::string& euicc_certificate() const;
  const std::string& eum_certificate() const;
  // The transactionId of the open session; empty when there is none.
  std::string transaction_id() const;
  // The one-time public key kept for a retry (otPK.EUICC.ECKA), if any.
  std::optional<std::string> kept_euicc_otpk() const;
  // ICCIDs of the profiles installed so far, in order.
  const std::vector<std::string>& installed_iccids() const {
    return installed_iccids_;
  }

  void set_faults(const EuiccFaults& faults) { config_.faults = faults; }
  const EuiccFaults& faults() const { return config_.faults; }
  void set_clock(Clock clock);

  // The mutable state (pending challenge, session, one-time key, installed
  // ICCIDs, notification counter) as text, and back, so a command-line
  // eUICC can live across processes. The text holds the one-time private
  // key: test data only. RestoreState() refuses text it cannot read.
  std::string SaveState() const;
  [[nodiscard]] absl::Status RestoreState(absl::string_view text);

 private:
  struct Impl;
  explicit SoftwareEuicc(SoftwareEuiccConfig config,
                         std::unique_ptr<Impl> impl);

  SoftwareEuiccConfig config_;
  std::string eid_;
  std::vector<std::string> installed_iccids_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace smdp::euicc

#endif  // SMDP_TESTS_EUICC_SOFTWARE_EUICC_H_
