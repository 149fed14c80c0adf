// MiniSmdp: a hand-made SM-DP+ side for the software eUICC's own tests.
//
// It produces the server's messages with the sgp22 structs, signs them
// with keys held by an hsm CryptoProvider, and builds the BPP with sgp22/bsp's
// BspEncoder (the server's code: fine on this side of the test). It checks
// what the eUICC sends back (euiccSignature1/2 with the key of CERT.EUICC,
// transactionId, serverChallenge, hashCc, the PIR signature) with hsm's
// independent test verifier. It is not the real server: no store, one
// session at a time, no certificate checks of the eUICC's chain.
//
//   ASSIGN_OR_RETURN(MiniSmdpIdentity id, Sgp26Identity(*provider, dir,
//   curve)); MiniSmdp smdp(std::move(id), *provider); ASSIGN_OR_RETURN(auto
//   init, smdp.InitiateAuthentication(challenge)); auto auth =
//   euicc->AuthenticateServer(init, MakeCtxParams1("AC-1"),
//                                         smdp.address());
//   ASSIGN_OR_RETURN(auto client, smdp.AuthenticateClient(auth.der));
//   auto prep = euicc->PrepareDownload(client, std::nullopt);
//   ASSIGN_OR_RETURN(std::string bpp, smdp.GetBoundProfilePackage(
//       prep.der, {.profile = profile}));
//
// Not thread-safe.
#ifndef SMDP_TESTS_MINI_SMDP_MINI_SMDP_H_
#define SMDP_TESTS_MINI_SMDP_MINI_SMDP_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "hsm/crypto_provider.h"
#include "sgp22/bpp.h"
#include "sgp22/download.h"
#include "sgp22/notification.h"
#include "smdp/pki/dev_pki.h"
#include "tests/euicc/software_euicc.h"

namespace smdp::euicc::testing {

// The SM-DP+ certificates and keys a MiniSmdp uses.
struct MiniSmdpIdentity {
  hsm::Curve curve = hsm::Curve::kNistP256;
  std::string address = "testsmdpplus1.example.com";
  // euiccCiPKIdToBeUsed: the key id of the CI that issued CERT.DPauth.
  std::string ci_key_id;
  std::string dpauth_certificate;  // DER
  std::shared_ptr<hsm::SigningKey> dpauth_key;
  std::string dppb_certificate;  // DER
  std::shared_ptr<hsm::SigningKey> dppb_key;
};

// The SGP.26 SM-DP+ on `curve` (keys imported into `provider` under labels
// made unique per call).
[[nodiscard]] absl::StatusOr<MiniSmdpIdentity> Sgp26Identity(
    hsm::CryptoProvider& provider, absl::string_view sgp26_dir,
    hsm::Curve curve);

// The dev PKI's SM-DP+ on one curve (keys already in `provider`).
[[nodiscard]] absl::StatusOr<MiniSmdpIdentity> DevPkiIdentity(
    hsm::CryptoProvider& provider, const pki::DevPki& pki, hsm::Curve curve);

// The subjectKeyIdentifier of a DER certificate.
[[nodiscard]] absl::StatusOr<std::string> KeyIdOf(absl::string_view cert_der);

// What to bind in GetBoundProfilePackage.
struct BppOptions {
  std::string profile;  // the unprotected profile package bytes
  // Protect the profile with a PPK (ProtectProfile) and send
  // ReplaceSessionKeys, instead of encrypting it with the session keys.
  bool use_ppk = false;
  // Defaults: SampleMetadata(), an empty ConfigureISDP.
  std::optional<sgp22::StoreMetadataRequest> metadata;
  sgp22::ConfigureIsdpRequest configure_isdp;
  // When set, these bytes are sent as the ConfigureISDPRequest instead of
  // configure_isdp.Encode(): a server that gets the tagging wrong.
  std::optional<std::string> configure_isdp_der;
  std::string host_id = "\x80\x80\x80\x80\x80\x80\x80\x80";
};

// Profile metadata with ICCID 98001032547698103214 (EF.ICCID coding).
sgp22::StoreMetadataRequest SampleMetadata();

class MiniSmdp {
 public:
  MiniSmdp(MiniSmdpIdentity identity, hsm::CryptoProvider& provider);

  const std::string& address() const { return identity_.address; }
  const MiniSmdpIdentity& identity() const { return identity_; }
  MiniSmdpIdentity& mutable_identity() { return identity_; }
  // The current transactionId (set by InitiateAuthentication).
  const std::string& transaction_id() const { return transaction_id_; }

  // A new session: transactionId and serverChallenge, serverSigned1 signed
  // with SK.DPauth. `server_address` overrides the address it signs.
  [[nodiscard]] absl::StatusOr<InitiateAuthenticationFields>
  InitiateAuthentication(absl::string_view euicc_challenge,
                         std::optional<std::string> server_address = {});

  // Signs any ServerSigned1 with SK.DPauth: the fields for the eUICC.
  [[nodiscard]] absl::StatusOr<InitiateAuthenticationFields> SignServerSigned1(
      const sgp22::ServerSigned1& signed1);

  // Checks the AuthenticateServerResponse (ok alternative, euiccSignature1
  // with CERT.EUICC's key, transactionId, serverChallenge) and answers
  // smdpSigned2 signed with SK.DPpb. `confirmation_code` sets
  // ccRequiredFlag; `bpp_euicc_otpk` is sent for a retry.
  [[nodiscard]] absl::StatusOr<AuthenticateClientFields> AuthenticateClient(
      absl::string_view authenticate_server_response,
      std::optional<std::string> confirmation_code = {},
      std::optional<std::string> bpp_euicc_otpk = {});

  // Signs any SmdpSigned2 with SK.DPpb (over it || 5F37 40 euiccSignature1
  // of the session).
  [[nodiscard]] absl::StatusOr<AuthenticateClientFields> SignSmdpSigned2(
      const sgp22::SmdpSigned2& signed2);

  // Checks the PrepareDownloadResponse (euiccSignature2, transactionId,
  // hashCc) and binds `options.profile` to its euiccOtpk: the BPP DER.
  [[nodiscard]] absl::StatusOr<std::string> GetBoundProfilePackage(
      absl::string_view prepare_download_response, const BppOptions& options);

  // The BPP parts for a custom BPP: after GetBoundProfilePackage, the
  // decoded package it returned.
  const sgp22::BoundProfilePackage& last_bpp() const { return last_bpp_; }
  // Re-signs `iscr` (after a test changed it) with SK.DPpb over its fields
  // and the session's euiccOtpk.
  [[nodiscard]] absl::Status ResignInitialiseSecureChannel(
      sgp22::InitialiseSecureChannelRequest& iscr) const;

  // Verifies a ProfileInstallationResult with the session's eUICC key and
  // returns its data.
  [[nodiscard]] absl::StatusOr<sgp22::ProfileInstallationResultData>
  HandleNotification(absl::string_view pir_der) const;

  // Verifies a CancelSessionResponse (ok) with the session's eUICC key.
  [[nodiscard]] absl::StatusOr<sgp22::EuiccCancelSessionSigned> CancelSession(
      absl::string_view response_der) const;

 private:
  // Verifies r||s over `message` with the session's CERT.EUICC key.
  [[nodiscard]] absl::Status VerifyEuicc(absl::string_view message,
                                         absl::string_view signature,
                                         absl::string_view what) const;

  MiniSmdpIdentity identity_;
  hsm::CryptoProvider& provider_;
  std::string transaction_id_;
  std::string server_challenge_;
  std::string euicc_challenge_;
  std::string euicc_signature1_;
  std::string smdp_signature2_;
  std::optional<std::string> confirmation_code_;
  hsm::Curve euicc_curve_ = hsm::Curve::kNistP256;
  std::string euicc_point_;
  std::string eid_bytes_;
  std::string euicc_otpk_;
  sgp22::BoundProfilePackage last_bpp_;
};

}  // namespace smdp::euicc::testing

#endif  // SMDP_TESTS_MINI_SMDP_MINI_SMDP_H_
