#include "smdp/download/bpp_builder.h"

#include <openssl/crypto.h>

#include <memory>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "sgp22/bsp/bsp_encoder.h"
#include "sgp22/bsp/bsp_format.h"
#include "sgp22/bsp/bsp_keys.h"
#include "sgp22/der.h"
#include "sgp22/types.h"
#include "util/status_macros.h"

namespace smdp::download {
namespace {

namespace der = ::smdp::sgp22::der;

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

bool IsUncompressedPoint(absl::string_view point) {
  return point.size() == hsm::kUncompressedPointSize && point[0] == 0x04;
}

// The associated data of a sealed ShS: a label, then the context (ICCID),
// the EID and both one-time public keys, each with a 2-byte length.
std::string KeptAgreementAd(absl::string_view context, absl::string_view eid,
                            absl::string_view euicc_otpk,
                            absl::string_view smdp_otpk) {
  std::string ad = "smdp/download KeptAgreement v1";
  for (absl::string_view part : {context, eid, euicc_otpk, smdp_otpk}) {
    ad.push_back(static_cast<char>((part.size() >> 8) & 0xFF));
    ad.push_back(static_cast<char>(part.size() & 0xFF));
    ad.append(part.data(), part.size());
  }
  return ad;
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
  sgp22::ConfigureIsdpRequest configure;
  if (!options_.smdp_oid.empty()) {
    auto oid = der::Oid::FromString(options_.smdp_oid);
    if (oid.ok())
      configure.dp_proprietary_data = sgp22::DpProprietaryData{*oid};
  }
  configure_isdp_ = configure.Encode();
}

absl::StatusOr<BoundPackage> BoundProfilePackageBuilder::Build(
    const BindingRequest& request, const ProfileToBind& profile) const {
  if (request.transaction_id.empty() ||
      request.transaction_id.size() > sgp22::kMaxTransactionIdSize) {
    return RequestError("transaction_id", "must be 1 to 16 bytes");
  }
  if (request.dppb_key == nullptr) return RequestError("dppb_key", "missing");
  if (!IsUncompressedPoint(request.euicc_otpk)) {
    return RequestError("euicc_otpk",
                        "not an uncompressed point (65 bytes, 04||X||Y)");
  }
  if (request.reuse != nullptr) {
    if (request.kek == nullptr) {
      return RequestError("kek", "missing (needed to open `reuse`)");
    }
    if (!IsUncompressedPoint(request.reuse->smdp_otpk)) {
      return RequestError("reuse.smdp_otpk",
                          "not an uncompressed point (65 bytes, 04||X||Y)");
    }
  }
  if (options_.host_id.empty() || options_.host_id.size() > 16) {
    return absl::FailedPreconditionError("host_id must be 1 to 16 bytes");
  }
  if (profile.protected_profile() == nullptr && profile.plain().empty()) {
    return RequestError("profile", "empty");
  }
  auto eid = EidBytes(request.eid);
  if (!eid.ok()) return RequestError("eid", eid.status().message());

  // Session keys: ECKA with a fresh one-time key (or the kept agreement of
  // an earlier binding), then the X9.63 KDF.
  const hsm::SigningKey& dppb = *request.dppb_key;
  std::string shared;
  Wiped wipe_shared(shared);
  std::string smdp_otpk;
  if (request.reuse != nullptr) {
    smdp_otpk = request.reuse->smdp_otpk;
    absl::StatusOr<std::string> opened =
        request.kek->Open(request.reuse->sealed_shared_secret,
                          KeptAgreementAd(request.kept_context, *eid,
                                          request.euicc_otpk, smdp_otpk));
    if (absl::IsDataLoss(opened.status())) {
      return absl::DataLossError(
          absl::StrCat("BindingRequest.reuse: the kept agreement does not "
                       "open for this binding: ",
                       opened.status().message()));
    }
    if (!opened.ok()) return opened.status();
    shared = *std::move(opened);
    if (shared.size() != bsp::kSharedSecretSize) {
      return absl::DataLossError(
          "BindingRequest.reuse: the kept agreement has a wrong size");
    }
  } else {
    ASSIGN_OR_RETURN(std::unique_ptr<hsm::AgreementKey> one_time,
                     provider_.GenerateAgreementKey(dppb.curve()));
    absl::StatusOr<std::string> derived = one_time->Derive(request.euicc_otpk);
    if (!derived.ok()) {
      return RequestError("euicc_otpk", derived.status().message());
    }
    shared = *std::move(derived);
    smdp_otpk = one_time->public_point();
  }
  ASSIGN_OR_RETURN(bsp::BspKeys keys,
                   bsp::DeriveSessionKeys(shared, options_.host_id, *eid));
  std::optional<KeptAgreement> kept;
  if (request.reuse != nullptr) {
    kept = *request.reuse;
  } else if (request.kek != nullptr) {
    kept.emplace();
    kept->smdp_otpk = smdp_otpk;
    ASSIGN_OR_RETURN(
        kept->sealed_shared_secret,
        request.kek->Seal(shared,
                          KeptAgreementAd(request.kept_context, *eid,
                                          request.euicc_otpk, smdp_otpk)));
  }

  // InitialiseSecureChannelRequest, signed over its fields || 5F49 otPK.EUICC.
  sgp22::InitialiseSecureChannelRequest iscr;
  iscr.transaction_id = request.transaction_id;
  iscr.control_ref_template.host_id = options_.host_id;
  iscr.smdp_otpk = smdp_otpk;
  std::string signed_data = iscr.SignedFields();
  signed_data += der::EncodeTlv(sgp22::tags::kOtpk, request.euicc_otpk);
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
  return BoundPackage{std::move(w).Finish(), std::move(smdp_otpk),
                      std::move(kept)};
}

}  // namespace smdp::download
