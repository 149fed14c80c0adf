// BoundProfilePackageBuilder: binds a profile to one eUICC's download
// session (SGP.22 3.1.3, 5.5), producing the BoundProfilePackage (BF36) that
// GetBoundProfilePackage returns.
//
//   BoundProfilePackageBuilder builder(provider, {.host_id = "SMDP-HOST"});
//   ASSIGN_OR_RETURN(BoundPackage bound,
//                    builder.Build({.transaction_id = tid,
//                                   .eid = eid_bytes,
//                                   .euicc_otpk = euicc_otpk,
//                                   .dppb_key = identity.dppb_key.get(),
//                                   .metadata = metadata},
//                                  ProfileToBind::Protected(ppp)));
//
// Per binding it makes the one-time key pair otPK/otSK.DP.ECKA on the
// curve of the DPpb key, derives the session keys (ECDH, X9.63 KDF), signs
// InitialiseSecureChannelRequest with SK.DPpb through the CryptoProvider,
// and protects ConfigureISDP (87), StoreMetadata (88) and the profile (86).
//
// Retries (SGP.22 smdpSigned2.bppEuiccOtpk): with a KEK in the request the
// builder also returns the binding's key agreement, sealed (KeptAgreement);
// a later Build() for the same otPK.EUICC.ECKA given it as `reuse` binds
// with the same one-time keys, so the same session keys: an eUICC that kept
// otSK.EUICC.ECKA from the first attempt can install it.
// A profile pre-protected with a PPK (bsp::ProtectProfile) is not touched
// again: binding adds ReplaceSessionKeys (87) and copies its segments, so its
// cost does not depend on the profile's size apart from that copy.
//
// Thread-safety: Build() may run concurrently from many threads. The builder
// holds a reference to the provider, which must outlive it.
#ifndef SMDP_SMDP_DOWNLOAD_BPP_BUILDER_H_
#define SMDP_SMDP_DOWNLOAD_BPP_BUILDER_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "hsm/crypto_provider.h"
#include "sgp22/bpp.h"
#include "sgp22/bsp/profile_protection.h"
#include "sgp22/download.h"

namespace smdp::download {

// The profile to bind: the unprotected profile package (a sequence of
// ProfileElement TLVs), or a Protected Profile Package made at import.
class ProfileToBind {
 public:
  // `profile` must outlive the Build() call.
  static ProfileToBind Plain(absl::string_view profile) {
    return ProfileToBind(profile, nullptr);
  }
  // `ppp` must outlive the Build() call.
  static ProfileToBind Protected(const bsp::ProtectedProfile& ppp) {
    return ProfileToBind({}, &ppp);
  }

  absl::string_view plain() const { return plain_; }
  const bsp::ProtectedProfile* protected_profile() const { return ppp_; }

 private:
  ProfileToBind(absl::string_view plain, const bsp::ProtectedProfile* ppp)
      : plain_(plain), ppp_(ppp) {}
  absl::string_view plain_;
  const bsp::ProtectedProfile* ppp_;
};

struct BppBuilderOptions {
  // hostId of the ControlRefTemplate (tag 84) and the KDF's shared info:
  // 1 to 16 bytes identifying the SM-DP+. Default: "SMDP-PLUS".
  std::string host_id = "SMDP-PLUS";
  // The SM-DP+ OID put in ConfigureISDPRequest.dpProprietaryData.dpOid.
  // Empty (the default): no dpProprietaryData.
  std::string smdp_oid;
};

// The one-time key agreement of a binding, kept so that a retry can bind
// again with the same one-time keys (see the file comment).
//
// otSK.DP.ECKA itself never leaves the CryptoProvider (in an HSM it is a
// non-extractable session object, gone after the binding), so what is kept
// is its only use: the ECDH shared secret ShS with otPK.EUICC.ECKA, from
// which the session keys follow (the KDF with hostId and EID). ShS is
// sealed with the KEK (hsm::SecretKey::Seal, AES-256-GCM); the associated
// data binds it to the request's `kept_context` (the ICCID), the EID and
// both one-time public keys, so it opens for nothing else. Store it as is;
// never log it.
struct KeptAgreement {
  // otPK.DP.ECKA, 65 bytes (public).
  std::string smdp_otpk;
  // ShS sealed under the KEK (nonce || ciphertext || tag).
  std::string sealed_shared_secret;

  friend bool operator==(const KeptAgreement&, const KeptAgreement&) = default;
};

// One binding: the download session's values.
struct BindingRequest {
  // The session's transactionId, 1 to 16 bytes.
  std::string transaction_id;
  // The EID: 16 bytes (as in tag 5A) or 32 decimal digits.
  std::string eid;
  // otPK.EUICC.ECKA from PrepareDownloadResponse: an uncompressed point on
  // the DPpb key's curve.
  std::string euicc_otpk;
  // SK.DPpb. Not owned; must outlive the Build() call.
  const hsm::SigningKey* dppb_key = nullptr;
  // The profile's metadata, sent as StoreMetadataRequest (MAC-only 88).
  sgp22::StoreMetadataRequest metadata;
  // The KEK that seals the key agreement into BoundPackage::kept (and opens
  // `reuse`). Null: nothing is kept. Not owned; must outlive Build().
  const hsm::SecretKey* kek = nullptr;
  // What the kept agreement is bound to besides the EID and the one-time
  // keys: the ICCID. Must be the same for a `reuse`.
  std::string kept_context;
  // Bind with the one-time keys of an earlier binding instead of fresh ones.
  // It must have been kept for this `euicc_otpk`, `eid` and `kept_context`
  // under `kek`; otherwise Build() fails with DataLoss (the caller may then
  // bind afresh: the eUICC accepts any otPK.DP.ECKA). Not owned.
  const KeptAgreement* reuse = nullptr;
};

// The result of a binding.
struct BoundPackage {
  // BoundProfilePackage, DER (BF36 ...).
  std::string der;
  // otPK.DP.ECKA used (65 bytes).
  std::string smdp_otpk;
  // With a `kek` in the request: the key agreement, to give a later Build()
  // as `reuse` (for a reuse, the same as given).
  std::optional<KeptAgreement> kept;
};

class BoundProfilePackageBuilder {
 public:
  BoundProfilePackageBuilder(hsm::CryptoProvider& provider,
                             BppBuilderOptions options = {});

  // Binds `profile` to the session. InvalidArgument for a malformed request
  // (naming the field); DataLoss when `reuse` does not open (another KEK,
  // ICCID, EID or otPK.EUICC.ECKA, or tampered); errors of the provider pass
  // through.
  [[nodiscard]] absl::StatusOr<BoundPackage> Build(
      const BindingRequest& request, const ProfileToBind& profile) const;

 private:
  hsm::CryptoProvider& provider_;
  const BppBuilderOptions options_;
  std::string configure_isdp_;  // ConfigureISDPRequest DER, the same always.
};

// The 16-byte EID from 16 bytes or 32 decimal digits. InvalidArgument else.
[[nodiscard]] absl::StatusOr<std::string> EidBytes(absl::string_view eid);

}  // namespace smdp::download

#endif  // SMDP_SMDP_DOWNLOAD_BPP_BUILDER_H_
