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
// A profile pre-protected with a PPK (bsp::ProtectProfile) is not touched
// again: binding adds ReplaceSessionKeys (87) and copies its segments, so its
// cost does not depend on the profile's size apart from that copy.
//
// Thread-safety: Build() may run concurrently from many threads. The builder
// holds a reference to the provider, which must outlive it.
#ifndef SMDP_SMDP_DOWNLOAD_BPP_BUILDER_H_
#define SMDP_SMDP_DOWNLOAD_BPP_BUILDER_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "hsm/crypto_provider.h"
#include "smdp/bsp/profile_protection.h"
#include "smdp/rsp/bpp.h"
#include "smdp/rsp/download.h"

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
  rsp::StoreMetadataRequest metadata;
};

// The result of a binding.
struct BoundPackage {
  // BoundProfilePackage, DER (BF36 ...).
  std::string der;
  // otPK.DP.ECKA used (65 bytes); a retry of the same session with the same
  // otPK.EUICC may hand out the same package again.
  std::string smdp_otpk;
};

class BoundProfilePackageBuilder {
 public:
  BoundProfilePackageBuilder(hsm::CryptoProvider& provider,
                             BppBuilderOptions options = {});

  // Binds `profile` to the session. InvalidArgument for a malformed request
  // (naming the field); errors of the provider pass through.
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
