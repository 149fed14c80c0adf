#include "smdp/download/bpp_builder.h"

#include <openssl/crypto.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "smdp/bsp/bsp_encoder.h"
#include "smdp/bsp/bsp_format.h"
#include "smdp/bsp/bsp_keys.h"
#include "smdp/rsp/der.h"
#include "smdp/rsp/types.h"
#include "util/status_macros.h"

namespace smdp::download {
namespace {

namespace der = ::smdp::rsp::der;

constexpr der::Tag kBpp = 0xBF36;
constexpr der::Tag kFirstSequenceOf87 = 0xA0;
constexpr der::Tag kSequenceOf88 = 0xA1;
constexpr der::Tag kSecondSequenceOf87 = 0xA2;
constexpr der::Tag kSequenceOf86 = 0xA3;

// Wipes a secret string when it goes out of scope.
class Wiped {
 public:
  explicit Wiped(std::string& s) : s_(s) {}
  ~Wiped() { OPENSSL_cleanse(s_.data(), s_.size()); }

 private:
  std::string& s_;
};

absl::Status RequestError(absl::string_view field, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("BindingRequest.", field, ": ", what));
}

}  // namespace

absl::StatusOr<std::string> EidBytes(absl::string_view eid) {
  if (eid.size() == 16) return std::string(eid);
  if (eid.size() != 32) {
    return absl::InvalidArgumentError(
        "EID must be 16 bytes or 32 decimal digits");
  }
  std::string out(16, '\0');
  for (size_t i = 0; i < 32; ++i) {
    if (!absl::ascii_isdigit(eid[i])) {
      return absl::InvalidArgumentError("EID must be 32 decimal digits");
    }
    out[i / 2] = static_cast<char>(out[i / 2] |
                                   ((eid[i] - '0') << (i % 2 == 0 ? 4 : 0)));
  }
  return out;
}

BoundProfilePackageBuilder::BoundProfilePackageBuilder(
    hsm::CryptoProvider& provider, BppBuilderOptions options)
    : provider_(provider), options_(std::move(options)) {
  rsp::ConfigureIsdpRequest configure;
  if (!options_.smdp_oid.empty()) {
    auto oid = der::Oid::FromString(options_.smdp_oid);
    if (oid.ok()) configure.dp_proprietary_data = rsp::DpProprietaryData{*oid};
  }
  configure_isdp_ = configure.Encode();
}

absl::StatusOr<BoundPackage> BoundProfilePackageBuilder::Build(
    const BindingRequest& request, const ProfileToBind& profile) const {
  if (request.transaction_id.empty() ||
      request.transaction_id.size() > rsp::kMaxTransactionIdSize) {
    return RequestError("transaction_id", "must be 1 to 16 bytes");
  }
  if (request.dppb_key == nullptr) return RequestError("dppb_key", "missing");
  if (request.euicc_otpk.size() != hsm::kUncompressedPointSize ||
      request.euicc_otpk[0] != 0x04) {
    return RequestError("euicc_otpk",
                        "not an uncompressed point (65 bytes, 04||X||Y)");
  }
  if (options_.host_id.empty() || options_.host_id.size() > 16) {
    return absl::FailedPreconditionError("host_id must be 1 to 16 bytes");
  }
  if (profile.protected_profile() == nullptr && profile.plain().empty()) {
    return RequestError("profile", "empty");
  }
  auto eid = EidBytes(request.eid);
  if (!eid.ok()) return RequestError("eid", eid.status().message());

  // Session keys: ECKA with a fresh one-time key, then the X9.63 KDF.
  const hsm::SigningKey& dppb = *request.dppb_key;
  ASSIGN_OR_RETURN(auto one_time, provider_.GenerateAgreementKey(dppb.curve()));
  auto shared = one_time->Derive(request.euicc_otpk);
  if (!shared.ok()) {
    return RequestError("euicc_otpk", shared.status().message());
  }
  Wiped wipe_shared(*shared);
  ASSIGN_OR_RETURN(bsp::BspKeys keys,
                   bsp::DeriveSessionKeys(*shared, options_.host_id, *eid));

  // InitialiseSecureChannelRequest, signed over its fields || 5F49 otPK.EUICC.
  rsp::InitialiseSecureChannelRequest iscr;
  iscr.transaction_id = request.transaction_id;
  iscr.control_ref_template.host_id = options_.host_id;
  iscr.smdp_otpk = one_time->public_point();
  std::string signed_data = iscr.SignedFields();
  signed_data += der::EncodeTlv(rsp::tags::kOtpk, request.euicc_otpk);
  ASSIGN_OR_RETURN(iscr.smdp_sign, dppb.Sign(signed_data));
  std::string iscr_der = iscr.Encode();

  // The protected sequences, in the order the eUICC checks them.
  ASSIGN_OR_RETURN(bsp::BspEncoder encoder, bsp::BspEncoder::Create(keys));
  std::string seq87a, seq88, seq87b, seq86;
  RETURN_IF_ERROR(encoder.AppendEncryptedSegments(bsp::kTagEncryptedCommand,
                                                  configure_isdp_, &seq87a));
  RETURN_IF_ERROR(encoder.AppendMacOnlySegments(
      bsp::kTagMacOnly, request.metadata.Encode(), &seq88));
  const bsp::ProtectedProfile* ppp = profile.protected_profile();
  if (ppp != nullptr) {
    RETURN_IF_ERROR(encoder.AppendReplaceSessionKeys(ppp->ppk, &seq87b));
  } else {
    seq86.reserve(bsp::EncryptedSegmentsSize(profile.plain().size()));
    RETURN_IF_ERROR(encoder.AppendEncryptedSegments(bsp::kTagProfileSegment,
                                                    profile.plain(), &seq86));
  }
  absl::string_view segments86 = ppp != nullptr ? ppp->segments : seq86;

  // BF36 with precomputed lengths: every segment is copied exactly once.
  size_t body = iscr_der.size() +
                der::TlvSize(kFirstSequenceOf87, seq87a.size()) +
                der::TlvSize(kSequenceOf88, seq88.size()) +
                der::TlvSize(kSequenceOf86, segments86.size());
  if (ppp != nullptr) {
    body += der::TlvSize(kSecondSequenceOf87, seq87b.size());
  }
  der::Writer w(body + 8);
  w.AddHeader(kBpp, body);
  w.AddRaw(iscr_der);
  w.Add(kFirstSequenceOf87, seq87a);
  w.Add(kSequenceOf88, seq88);
  if (ppp != nullptr) w.Add(kSecondSequenceOf87, seq87b);
  w.Add(kSequenceOf86, segments86);
  return BoundPackage{std::move(w).Finish(), one_time->public_point()};
}

}  // namespace smdp::download
