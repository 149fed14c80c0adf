#include "tests/euicc/software_euicc.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include <algorithm>
#include <memory>
#include <utility>
#include <variant>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "sgp22/der.h"
#include "tests/euicc/internal/certificate_check.h"
#include "tests/euicc/internal/euicc_crypto.h"
#include "tests/euicc/internal/sgp22_decode.h"
#include "tests/euicc/internal/sgp22_encode.h"
#include "util/ssl_ptr.h"
#include "util/status_macros.h"

namespace smdp::euicc {
namespace {

using internal::CertificateFailure;
using internal::TrustedCi;

constexpr size_t kChallengeSize = 16;
// ControlRefTemplate keyType AES and keyLen 16 (GlobalPlatform), and
// RemoteOpId installBoundProfilePackage(1): the only values SGP.22 allows.
constexpr uint8_t kKeyTypeAes = 0x88;
constexpr uint8_t kKeyLength16 = 0x10;
constexpr int64_t kRemoteOpIdInstallBpp = 1;

// A successful EUICCResponse: one PEStatus with status ok(0).
constexpr absl::string_view kSimaResponseOk(
    "\x30\x07\x30\x05\x30\x03\x80\x01\x00", 9);

std::string Hex(absl::string_view bytes) {
  return absl::AsciiStrToUpper(absl::BytesToHexString(bytes));
}

// Changes the last byte of `s` (a transactionId, a challenge, a point).
std::string Altered(std::string s) {
  if (s.empty()) return std::string(1, '\x01');
  s.back() = static_cast<char>(s.back() ^ 0x01);
  return s;
}

// Flips one bit in the middle of a signature.
std::string FlipBit(std::string s) {
  if (!s.empty()) s[s.size() / 2] = static_cast<char>(s[s.size() / 2] ^ 0x10);
  return s;
}

bool IsDigits(absl::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return absl::ascii_isdigit(c); });
}

// The subject serialNumber of a certificate (the EID of an eUICC's).
std::string SubjectSerialNumber(const X509& cert) {
  const X509_NAME* name = X509_get_subject_name(&cert);
  const int index = X509_NAME_get_index_by_NID(name, NID_serialNumber, -1);
  if (index < 0) return "";
  const ASN1_STRING* data =
      X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(data)),
                     static_cast<size_t>(ASN1_STRING_length(data)));
}

// The free non-volatile memory EUICCInfo2 reports, if any.
std::optional<uint64_t> FreeMemory(const sgp22::EuiccInfo2& info) {
  absl::StatusOr<sgp22::ExtCardResource> r =
      sgp22::ExtCardResource::Parse(info.ext_card_resource);
  if (!r.ok()) return std::nullopt;
  return r->free_non_volatile_memory;
}

// The ErrorReason for a failure to open a BSP TLV.
sgp22::ErrorReason ReasonForBspError(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kDataLoss:
      return sgp22::ErrorReason::kScp03tSecurityError;
    case absl::StatusCode::kInternal:
      return sgp22::ErrorReason::kInstallFailedDueToUnknownError;
    default:
      return sgp22::ErrorReason::kScp03tStructureError;
  }
}

absl::Status Prefixed(absl::string_view prefix, const absl::Status& status) {
  return absl::Status(status.code(), absl::StrCat(prefix, status.message()));
}

// A signature as a TLV [APPLICATION 55] (5F37): how smdpSignature2 and
// euiccSignature1 enter the data the other side signs.
std::string SignatureTlv(absl::string_view signature) {
  return sgp22::der::EncodeTlv(sgp22::der::ApplicationTag(55), signature);
}

// The decoded commands in the types LoadBppResult reports (the public
// interface predates the eUICC's own decoders); the eUICC acts on its own
// decoding only.
sgp22::ConfigureIsdpRequest ToReported(
    const internal::ConfigureIsdpRequest& in) {
  sgp22::ConfigureIsdpRequest out;
  if (in.dp_proprietary_data) {
    out.dp_proprietary_data =
        sgp22::DpProprietaryData{in.dp_proprietary_data->dp_oid,
                                 in.dp_proprietary_data->additional_data};
  }
  return out;
}

sgp22::StoreMetadataRequest ToReported(
    const internal::StoreMetadataRequest& in) {
  sgp22::StoreMetadataRequest out;
  out.iccid = in.iccid;
  out.service_provider_name = in.service_provider_name;
  out.profile_name = in.profile_name;
  if (in.icon_type) out.icon_type = static_cast<sgp22::IconType>(*in.icon_type);
  out.icon = in.icon;
  if (in.profile_class) {
    out.profile_class = static_cast<sgp22::ProfileClass>(*in.profile_class);
  }
  if (in.notification_configuration_info) {
    auto& list = out.notification_configuration_info.emplace();
    for (const internal::NotificationConfiguration& n :
         *in.notification_configuration_info) {
      list.push_back(sgp22::NotificationConfigurationInformation{
          n.profile_management_operation, n.notification_address});
    }
  }
  if (in.profile_owner) {
    out.profile_owner =
        sgp22::OperatorId{in.profile_owner->mcc_mnc, in.profile_owner->gid1,
                          in.profile_owner->gid2};
  }
  out.profile_policy_rules = in.profile_policy_rules;
  out.extensions = in.extensions;
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------

RandomSource OpenSslRandomSource() {
  return [](size_t n) -> absl::StatusOr<std::string> {
    std::string out(n, '\0');
    if (n > 0 && RAND_bytes(reinterpret_cast<unsigned char*>(out.data()),
                            static_cast<int>(n)) != 1) {
      return OpensslError(absl::StatusCode::kInternal, "RAND_bytes");
    }
    return out;
  };
}

RandomSource DeterministicRandomSource(uint64_t seed) {
  auto counter = std::make_shared<uint64_t>(0);
  return [seed, counter](size_t n) -> absl::StatusOr<std::string> {
    std::string out;
    while (out.size() < n) {
      std::string block;
      for (int i = 7; i >= 0; --i)
        block.push_back(static_cast<char>(seed >> (8 * i)));
      const uint64_t c = (*counter)++;
      for (int i = 7; i >= 0; --i)
        block.push_back(static_cast<char>(c >> (8 * i)));
      ASSIGN_OR_RETURN(std::string digest, internal::Sha256(block));
      out += digest;
    }
    out.resize(n);
    return out;
  };
}

Clock FixedClock(absl::Time now) {
  return [now] { return now; };
}

sgp22::EuiccInfo2 DefaultEuiccInfo2() {
  sgp22::EuiccInfo2 info;
  info.profile_version = {2, 3, 1};
  info.svn = {2, 2, 2};
  info.euicc_firmware_ver = {1, 0, 0};
  sgp22::ExtCardResource resource;
  resource.installed_applications = 0;
  resource.free_non_volatile_memory = 256 * 1024;
  resource.free_volatile_memory = 16 * 1024;
  info.ext_card_resource = resource.Encode();
  // usimSupport, isimSupport, akaMilenage, akaTuak128, akaTuak256, javacard,
  // multipleUsimSupport, multipleIsimSupport.
  info.uicc_capability =
      sgp22::der::BitString::FromBits({1, 2, 4, 6, 7, 14, 16, 17});
  info.ts102241_version = sgp22::VersionType{15, 1, 0};
  info.globalplatform_version = sgp22::VersionType{2, 3, 0};
  info.rsp_capability = sgp22::der::BitString::FromBits(
      {static_cast<size_t>(sgp22::RspCapabilityBit::kAdditionalProfile),
       static_cast<size_t>(sgp22::RspCapabilityBit::kTestProfileSupport)});
  info.euicc_category = 2;  // mediumEuicc
  info.pp_version = {0, 0, 1};
  info.sas_accreditation_number = "SMDP-TEST-EUICC-01";
  return info;
}

sgp22::CtxParams1 MakeCtxParams1(std::optional<std::string> matching_id) {
  sgp22::CtxParamsForCommonAuthentication common;
  common.matching_id = std::move(matching_id);
  common.device_info.tac = std::string("\x35\x29\x06\x11", 4);
  const std::string release15("\x0F\x00\x00", 3);
  using Caps = sgp22::DeviceCapabilities;
  common.device_info.device_capabilities.Set(Caps::kGsmSupportedRelease,
                                             release15);
  common.device_info.device_capabilities.Set(Caps::kUtranSupportedRelease,
                                             release15);
  common.device_info.device_capabilities.Set(Caps::kEutranEpcSupportedRelease,
                                             release15);
  common.device_info.device_capabilities.Set(Caps::kNr5gcSupportedRelease,
                                             release15);
  sgp22::CtxParams1 params;
  params.common_authentication = std::move(common);
  return params;
}

// ---------------------------------------------------------------------------

struct SoftwareEuicc::Impl {
  // The open RSP session, from AuthenticateServer to the end of the BPP.
  struct Session {
    std::string transaction_id;
    std::string server_address;
    std::string euicc_signature1;  // as sent (smdpSignature2 covers it)
    std::string ci_key_id;
    std::string dpauth_smdp_oid;
    // Set by PrepareDownload.
    bool prepared = false;
    std::string dppb_certificate;
    EvpPkeyPtr dppb_key;
    std::string dppb_smdp_oid;
  };

  EvpPkeyPtr euicc_key;
  std::vector<TrustedCi> cis;
  std::vector<int> supported_nids;
  sgp22::EuiccInfo2 info2;  // with the CI lists filled in
  Clock clock;
  RandomSource random;

  std::optional<std::string> challenge;
  std::string last_challenge;
  std::optional<Session> session;
  std::string previous_transaction_id;
  // otPK/otSK.EUICC.ECKA, kept until a profile is installed.
  EvpPkeyPtr otk;
  std::string otk_public;
  int otk_nid = 0;
  int64_t next_seq_number = 1;
  int next_isdp = 0x1000;

  absl::Time Now() const { return clock ? clock() : absl::Now(); }

  // The trusted CI with key id `key_id` that is also in the verification
  // list, or nullptr.
  const TrustedCi* FindCi(absl::string_view key_id) const {
    const auto& list = info2.euicc_ci_pkid_list_for_verification;
    if (std::find(list.begin(), list.end(), key_id) == list.end()) {
      return nullptr;
    }
    for (const TrustedCi& ci : cis) {
      if (ci.key_id == key_id) return &ci;
    }
    return nullptr;
  }

  // Ends the open session, remembering its transactionId.
  void EndSession() {
    if (session) previous_transaction_id = session->transaction_id;
    session.reset();
  }

  // The transactionId the faults make of `real`.
  std::string SignedTransactionId(const std::string& real, bool wrong,
                                  const EuiccFaults& faults) const {
    if (faults.replay_previous_transaction_id &&
        !previous_transaction_id.empty()) {
      return previous_transaction_id;
    }
    return wrong ? Altered(real) : real;
  }
};

SoftwareEuicc::SoftwareEuicc(SoftwareEuiccConfig config,
                             std::unique_ptr<Impl> impl)
    : config_(std::move(config)), impl_(std::move(impl)) {}

SoftwareEuicc::~SoftwareEuicc() = default;

absl::StatusOr<std::unique_ptr<SoftwareEuicc>> SoftwareEuicc::Create(
    SoftwareEuiccConfig config) {
  auto impl = std::make_unique<Impl>();
  absl::StatusOr<X509Ptr> euicc_cert =
      internal::ParseCertificate(config.euicc_certificate);
  if (!euicc_cert.ok()) {
    return Prefixed("SoftwareEuiccConfig.euicc_certificate: ",
                    euicc_cert.status());
  }
  absl::StatusOr<X509Ptr> eum_cert =
      internal::ParseCertificate(config.eum_certificate);
  if (!eum_cert.ok()) {
    return Prefixed("SoftwareEuiccConfig.eum_certificate: ", eum_cert.status());
  }
  absl::StatusOr<EvpPkeyPtr> key =
      internal::PrivateKeyFromPem(config.euicc_private_key_pem);
  if (!key.ok()) {
    return Prefixed("SoftwareEuiccConfig.euicc_private_key_pem: ",
                    key.status());
  }
  if (EVP_PKEY_eq(X509_get0_pubkey(euicc_cert->get()), key->get()) != 1) {
    DrainOpensslErrors();
    return absl::InvalidArgumentError(
        "SoftwareEuiccConfig.euicc_private_key_pem: not the key of "
        "euicc_certificate");
  }
  impl->euicc_key = *std::move(key);

  if (config.eid.empty()) config.eid = SubjectSerialNumber(**euicc_cert);
  if (config.eid.size() != 32 || !IsDigits(config.eid)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "SoftwareEuiccConfig.eid: \"", config.eid,
        "\" is not 32 digits (and the eUICC certificate names none)"));
  }

  if (config.ci_certificates.empty()) {
    return absl::InvalidArgumentError(
        "SoftwareEuiccConfig.ci_certificates: at least one CI is required");
  }
  for (size_t i = 0; i < config.ci_certificates.size(); ++i) {
    absl::StatusOr<TrustedCi> ci =
        TrustedCi::FromDer(config.ci_certificates[i]);
    if (!ci.ok()) {
      return Prefixed(
          absl::StrCat("SoftwareEuiccConfig.ci_certificates[", i, "]: "),
          ci.status());
    }
    impl->cis.push_back(*std::move(ci));
  }
  if (config.supports_nist_p256) {
    impl->supported_nids.push_back(NID_X9_62_prime256v1);
  }
  if (config.supports_brainpool_p256r1) {
    impl->supported_nids.push_back(NID_brainpoolP256r1);
  }

  impl->info2 = config.euicc_info2;
  if (config.ci_pkid_list_for_verification) {
    impl->info2.euicc_ci_pkid_list_for_verification =
        *config.ci_pkid_list_for_verification;
  } else {
    impl->info2.euicc_ci_pkid_list_for_verification.clear();
    for (const TrustedCi& ci : impl->cis) {
      impl->info2.euicc_ci_pkid_list_for_verification.push_back(ci.key_id);
    }
  }
  if (config.ci_pkid_list_for_signing) {
    impl->info2.euicc_ci_pkid_list_for_signing =
        *config.ci_pkid_list_for_signing;
  } else {
    const std::string eum_ci = internal::AuthorityKeyId(**eum_cert);
    if (eum_ci.empty()) {
      return absl::InvalidArgumentError(
          "SoftwareEuiccConfig.eum_certificate: no authorityKeyIdentifier "
          "(set ci_pkid_list_for_signing)");
    }
    impl->info2.euicc_ci_pkid_list_for_signing = {eum_ci};
  }
  impl->clock = config.clock;
  impl->random = config.random ? config.random : OpenSslRandomSource();

  std::string eid = config.eid;
  std::unique_ptr<SoftwareEuicc> euicc(
      new SoftwareEuicc(std::move(config), std::move(impl)));
  euicc->eid_ = std::move(eid);
  return euicc;
}

// ---- ES10b ----

absl::StatusOr<std::string> SoftwareEuicc::GetEuiccChallenge() {
  std::string challenge;
  if (config_.faults.repeat_euicc_challenge && !impl_->last_challenge.empty()) {
    challenge = impl_->last_challenge;
  } else {
    ASSIGN_OR_RETURN(challenge, impl_->random(kChallengeSize));
    if (challenge.size() != kChallengeSize) {
      return absl::InternalError("random source returned a wrong size");
    }
  }
  impl_->last_challenge = challenge;
  impl_->challenge = challenge;
  return challenge;
}

std::string SoftwareEuicc::GetEuiccInfo1() const {
  sgp22::EuiccInfo1 info1;
  info1.svn = impl_->info2.svn;
  info1.euicc_ci_pkid_list_for_verification =
      impl_->info2.euicc_ci_pkid_list_for_verification;
  info1.euicc_ci_pkid_list_for_signing =
      impl_->info2.euicc_ci_pkid_list_for_signing;
  return info1.Encode();
}

std::string SoftwareEuicc::GetEuiccInfo2() const {
  return impl_->info2.Encode();
}

AuthenticateServerAnswer SoftwareEuicc::AuthenticateServer(
    absl::string_view request_der) {
  AuthenticateServerAnswer answer;
  absl::StatusOr<internal::AuthenticateServerRequest> request =
      internal::DecodeAuthenticateServerRequest(request_der);
  if (!request.ok()) {
    answer.status = request.status();
    return answer;
  }
  const internal::ServerSigned1& signed1 = request->server_signed1;
  auto fail = [&](sgp22::AuthenticateErrorCode code, absl::Status status) {
    answer.error_code = code;
    answer.status = Prefixed(
        absl::StrCat("AuthenticateServer: ", sgp22::ToString(code), ": "),
        status);
    answer.der = internal::EncodeAuthenticateResponseError(
        signed1.transaction_id, static_cast<int64_t>(code));
    return answer;
  };

  // A new authentication ends any open session, and the challenge is good
  // for one AuthenticateServer, whatever its outcome.
  impl_->EndSession();
  std::optional<std::string> challenge = std::move(impl_->challenge);
  impl_->challenge.reset();
  if (!challenge) {
    return fail(sgp22::AuthenticateErrorCode::kNoSessionContext,
                absl::FailedPreconditionError(
                    "no euiccChallenge pending (GetEuiccChallenge first)"));
  }
  const TrustedCi* ci = impl_->FindCi(request->euicc_ci_pkid_to_be_used);
  if (ci == nullptr) {
    return fail(
        sgp22::AuthenticateErrorCode::kCiPkUnknown,
        absl::NotFoundError(absl::StrCat(
            "euiccCiPKIdToBeUsed ", Hex(request->euicc_ci_pkid_to_be_used),
            " is not a CI this eUICC verifies with")));
  }
  CertificateFailure failure = CertificateFailure::kNone;
  absl::StatusOr<internal::ServerCertificate> dpauth =
      internal::CheckServerCertificate(request->server_certificate, *ci,
                                       internal::kPolicyDpAuth, impl_->Now(),
                                       impl_->supported_nids, &failure);
  if (!dpauth.ok()) {
    const std::string why =
        absl::StrCat("CERT.DPauth: ", dpauth.status().message());
    switch (failure) {
      case CertificateFailure::kUnsupportedCurve:
        return fail(sgp22::AuthenticateErrorCode::kUnsupportedCurve,
                    absl::UnimplementedError(why));
      case CertificateFailure::kInvalidOid:
        return fail(sgp22::AuthenticateErrorCode::kInvalidOid,
                    absl::PermissionDeniedError(why));
      default:
        return fail(sgp22::AuthenticateErrorCode::kInvalidCertificate,
                    absl::PermissionDeniedError(why));
    }
  }
  if (absl::Status s = internal::VerifyPlain(*dpauth->public_key,
                                             request->server_signed1.der,
                                             request->server_signature1);
      !s.ok()) {
    return fail(sgp22::AuthenticateErrorCode::kInvalidSignature,
                absl::UnauthenticatedError(absl::StrCat(
                    "serverSignature1 over serverSigned1: ", s.message())));
  }
  if (signed1.euicc_challenge != *challenge) {
    return fail(
        sgp22::AuthenticateErrorCode::kEuiccChallengeMismatch,
        absl::PermissionDeniedError(absl::StrCat(
            "serverSigned1.euiccChallenge ", Hex(signed1.euicc_challenge),
            " is not the challenge ", Hex(*challenge))));
  }

  const EuiccFaults& faults = config_.faults;
  // ctxParams1 goes back as received; EUICCInfo2 is the eUICC's own.
  const std::string euicc_signed1 = internal::EncodeEuiccSigned1(
      impl_->SignedTransactionId(signed1.transaction_id,
                                 faults.wrong_transaction_id_in_signed1,
                                 faults),
      signed1.server_address,
      faults.wrong_server_challenge ? Altered(signed1.server_challenge)
                                    : signed1.server_challenge,
      impl_->info2.Encode(), request->ctx_params1);
  absl::StatusOr<std::string> signature =
      internal::SignPlain(*impl_->euicc_key, euicc_signed1);
  if (!signature.ok()) {
    answer.status = signature.status();
    return answer;
  }
  if (faults.bad_euicc_signature1) *signature = FlipBit(*std::move(signature));

  Impl::Session session;
  session.transaction_id = signed1.transaction_id;
  session.server_address = signed1.server_address;
  session.euicc_signature1 = *signature;
  session.ci_key_id = ci->key_id;
  session.dpauth_smdp_oid = dpauth->smdp_oid;
  impl_->session = std::move(session);

  answer.der = internal::EncodeAuthenticateResponseOk(euicc_signed1, *signature,
                                                      config_.euicc_certificate,
                                                      config_.eum_certificate);
  answer.status = absl::OkStatus();
  return answer;
}

AuthenticateServerAnswer SoftwareEuicc::AuthenticateServer(
    const InitiateAuthenticationFields& fields,
    const sgp22::CtxParams1& ctx_params1, absl::string_view smdp_address) {
  AuthenticateServerAnswer answer;
  absl::StatusOr<internal::ServerSigned1> signed1 =
      internal::DecodeServerSigned1(fields.server_signed1);
  absl::StatusOr<std::string> signature =
      internal::DecodeSignatureTlv(fields.server_signature1);
  absl::StatusOr<std::string> ci =
      internal::DecodeSubjectKeyIdentifierTlv(fields.euicc_ci_pkid_to_be_used);
  for (const absl::Status& s :
       {signed1.status(), signature.status(), ci.status()}) {
    if (!s.ok()) {
      answer.status = Prefixed("InitiateAuthentication answer: ", s);
      return answer;
    }
  }
  if (!smdp_address.empty() &&
      !absl::EqualsIgnoreCase(signed1->server_address, smdp_address)) {
    answer.status = absl::PermissionDeniedError(absl::StrCat(
        "serverSigned1.serverAddress \"", signed1->server_address,
        "\" is not the SM-DP+ address \"", smdp_address, "\" (LPA check)"));
    return answer;
  }
  // The LPA forwards the fields as they came: serverSigned1, the signature
  // and the key id as TLVs, the certificate whole; ctxParams1 is its own.
  sgp22::der::Writer w;
  w.Constructed(sgp22::der::ContextTag(56, true), [&](sgp22::der::Writer& w) {
    w.AddRaw(fields.server_signed1);
    w.AddRaw(fields.server_signature1);
    w.AddRaw(fields.euicc_ci_pkid_to_be_used);
    w.AddRaw(fields.server_certificate);
    w.AddRaw(ctx_params1.Encode());
  });
  return AuthenticateServer(std::move(w).Finish());
}

PrepareDownloadAnswer SoftwareEuicc::PrepareDownload(
    absl::string_view request_der) {
  PrepareDownloadAnswer answer;
  absl::StatusOr<internal::PrepareDownloadRequest> request =
      internal::DecodePrepareDownloadRequest(request_der);
  if (!request.ok()) {
    answer.status = request.status();
    return answer;
  }
  const internal::SmdpSigned2& signed2 = request->smdp_signed2;
  auto fail = [&](sgp22::DownloadErrorCode code, absl::Status status) {
    answer.error_code = code;
    answer.status = Prefixed(
        absl::StrCat("PrepareDownload: ", sgp22::ToString(code), ": "), status);
    answer.der = internal::EncodePrepareDownloadResponseError(
        signed2.transaction_id, static_cast<int64_t>(code));
    return answer;
  };
  if (!impl_->session) {
    return fail(
        sgp22::DownloadErrorCode::kNoSessionContext,
        absl::FailedPreconditionError("no session (AuthenticateServer first)"));
  }
  Impl::Session& session = *impl_->session;

  // CERT.DPpb: to a trusted CI, same SM-DP+ as CERT.DPauth.
  absl::StatusOr<X509Ptr> parsed =
      internal::ParseCertificate(request->smdp_certificate);
  if (!parsed.ok()) {
    return fail(sgp22::DownloadErrorCode::kInvalidCertificate,
                absl::PermissionDeniedError(
                    absl::StrCat("CERT.DPpb: ", parsed.status().message())));
  }
  const TrustedCi* ci = impl_->FindCi(internal::AuthorityKeyId(**parsed));
  if (ci == nullptr) {
    return fail(sgp22::DownloadErrorCode::kInvalidCertificate,
                absl::PermissionDeniedError(
                    "CERT.DPpb: not issued by a CI this eUICC verifies with"));
  }
  CertificateFailure failure = CertificateFailure::kNone;
  absl::StatusOr<internal::ServerCertificate> dppb =
      internal::CheckServerCertificate(request->smdp_certificate, *ci,
                                       internal::kPolicyDpPb, impl_->Now(),
                                       impl_->supported_nids, &failure);
  if (!dppb.ok()) {
    const std::string why =
        absl::StrCat("CERT.DPpb: ", dppb.status().message());
    if (failure == CertificateFailure::kUnsupportedCurve) {
      return fail(sgp22::DownloadErrorCode::kUnsupportedCurve,
                  absl::UnimplementedError(why));
    }
    return fail(sgp22::DownloadErrorCode::kInvalidCertificate,
                absl::PermissionDeniedError(why));
  }
  if (dppb->smdp_oid != session.dpauth_smdp_oid) {
    return fail(sgp22::DownloadErrorCode::kInvalidCertificate,
                absl::PermissionDeniedError(absl::StrCat(
                    "CERT.DPpb: SM-DP+ OID ", dppb->smdp_oid,
                    " is not CERT.DPauth's ", session.dpauth_smdp_oid)));
  }

  // smdpSignature2 over smdpSigned2 || 5F37 40 euiccSignature1.
  std::string signed_data = request->smdp_signed2.der;
  signed_data += SignatureTlv(session.euicc_signature1);
  if (absl::Status s = internal::VerifyPlain(*dppb->public_key, signed_data,
                                             request->smdp_signature2);
      !s.ok()) {
    return fail(sgp22::DownloadErrorCode::kInvalidSignature,
                absl::UnauthenticatedError(absl::StrCat(
                    "smdpSignature2 over smdpSigned2 || euiccSignature1: ",
                    s.message())));
  }
  if (signed2.transaction_id != session.transaction_id) {
    return fail(sgp22::DownloadErrorCode::kInvalidTransactionId,
                absl::InvalidArgumentError(absl::StrCat(
                    "smdpSigned2.transactionId ", Hex(signed2.transaction_id),
                    " is not the session's ", Hex(session.transaction_id))));
  }
  const EuiccFaults& faults = config_.faults;
  if (signed2.cc_required_flag && !request->hash_cc && !faults.omit_hash_cc) {
    return fail(sgp22::DownloadErrorCode::kUndefinedError,
                absl::FailedPreconditionError(
                    "ccRequiredFlag is set but the request has no hashCc"));
  }

  // otPK/otSK.EUICC.ECKA: the kept pair for a retry, or a new one.
  const bool reuse = signed2.bpp_euicc_otpk && impl_->otk != nullptr &&
                     impl_->otk_nid == dppb->curve_nid &&
                     *signed2.bpp_euicc_otpk == impl_->otk_public;
  if (!reuse) {
    absl::StatusOr<EvpPkeyPtr> otk =
        internal::GenerateKey(dppb->curve_nid, impl_->random);
    absl::StatusOr<std::string> point =
        otk.ok() ? internal::PublicPoint(**otk) : otk.status();
    if (!point.ok()) {
      answer.status = point.status();
      return answer;
    }
    impl_->otk = *std::move(otk);
    impl_->otk_public = *std::move(point);
    impl_->otk_nid = dppb->curve_nid;
  }

  std::optional<std::string> hash_cc;
  if (request->hash_cc && !faults.omit_hash_cc) {
    hash_cc =
        faults.wrong_hash_cc ? Altered(*request->hash_cc) : *request->hash_cc;
  }
  const std::string euicc_signed2 = internal::EncodeEuiccSigned2(
      impl_->SignedTransactionId(session.transaction_id,
                                 faults.wrong_transaction_id_in_signed2,
                                 faults),
      faults.corrupt_euicc_otpk ? Altered(impl_->otk_public)
                                : impl_->otk_public,
      hash_cc);
  absl::StatusOr<std::string> signature = internal::SignPlain(
      *impl_->euicc_key,
      absl::StrCat(euicc_signed2, SignatureTlv(request->smdp_signature2)));
  if (!signature.ok()) {
    answer.status = signature.status();
    return answer;
  }
  if (faults.bad_euicc_signature2) *signature = FlipBit(*std::move(signature));

  session.prepared = true;
  session.dppb_certificate = request->smdp_certificate;
  session.dppb_key = std::move(dppb->public_key);
  session.dppb_smdp_oid = dppb->smdp_oid;

  answer.der =
      internal::EncodePrepareDownloadResponseOk(euicc_signed2, *signature);
  answer.status = absl::OkStatus();
  return answer;
}

PrepareDownloadAnswer SoftwareEuicc::PrepareDownload(
    const AuthenticateClientFields& fields,
    const std::optional<std::string>& confirmation_code) {
  PrepareDownloadAnswer answer;
  absl::StatusOr<internal::SmdpSigned2> signed2 =
      internal::DecodeSmdpSigned2(fields.smdp_signed2);
  absl::StatusOr<std::string> signature =
      internal::DecodeSignatureTlv(fields.smdp_signature2);
  for (const absl::Status& s : {signed2.status(), signature.status()}) {
    if (!s.ok()) {
      answer.status = Prefixed("AuthenticateClient answer: ", s);
      return answer;
    }
  }
  std::optional<std::string> hash_cc;
  if (signed2->cc_required_flag && confirmation_code) {
    absl::StatusOr<std::string> inner = internal::Sha256(*confirmation_code);
    absl::StatusOr<std::string> hash =
        inner.ok()
            ? internal::Sha256(absl::StrCat(*inner, signed2->transaction_id))
            : inner.status();
    if (!hash.ok()) {
      answer.status = hash.status();
      return answer;
    }
    hash_cc = *std::move(hash);
  }
  // The LPA forwards smdpSigned2, the signature TLV and the certificate as
  // they came.
  sgp22::der::Writer w;
  w.Constructed(sgp22::der::ContextTag(33, true), [&](sgp22::der::Writer& w) {
    w.AddRaw(fields.smdp_signed2);
    w.AddRaw(fields.smdp_signature2);
    if (hash_cc) w.Add(sgp22::der::kOctetString, *hash_cc);
    w.AddRaw(fields.smdp_certificate);
  });
  return PrepareDownload(std::move(w).Finish());
}

// ---- the BPP ----

absl::StatusOr<LoadBppResult> SoftwareEuicc::LoadBoundProfilePackage(
    absl::string_view bpp_der) {
  if (!impl_->session || !impl_->session->prepared || impl_->otk == nullptr) {
    return absl::FailedPreconditionError(
        "LoadBoundProfilePackage: no prepared session (PrepareDownload "
        "first)");
  }
  absl::StatusOr<internal::BoundProfilePackage> bpp =
      internal::DecodeBoundProfilePackage(bpp_der);
  if (!bpp.ok()) return Prefixed("LoadBoundProfilePackage: ", bpp.status());

  // From here on the session ends, whatever happens.
  Impl::Session session = *std::move(impl_->session);
  impl_->EndSession();
  impl_->previous_transaction_id = session.transaction_id;

  LoadBppResult result;
  std::optional<sgp22::ErrorResult> error;
  auto step_failed = [&](sgp22::BppCommandId command, sgp22::ErrorReason reason,
                         const absl::Status& status) {
    error = sgp22::ErrorResult{command, reason, std::nullopt};
    result.status = Prefixed(
        absl::StrCat("LoadBoundProfilePackage: ", sgp22::ToString(command),
                     ": ", sgp22::ToString(reason), ": "),
        status);
  };
  // Runs the steps; returns at the first failure (recorded by step_failed).
  [&] {
    using sgp22::BppCommandId;
    using sgp22::ErrorReason;
    // InitialiseSecureChannel.
    const internal::InitialiseSecureChannelRequest& iscr =
        bpp->initialise_secure_channel;
    constexpr BppCommandId kIsc = BppCommandId::kInitialiseSecureChannel;
    if (iscr.remote_op_id != kRemoteOpIdInstallBpp) {
      return step_failed(kIsc, ErrorReason::kUnsupportedRemoteOperationType,
                         absl::InvalidArgumentError(
                             absl::StrCat("remoteOpId ", iscr.remote_op_id)));
    }
    if (iscr.key_type != kKeyTypeAes || iscr.key_len != kKeyLength16) {
      return step_failed(kIsc, ErrorReason::kUnsupportedCrtValues,
                         absl::InvalidArgumentError(absl::StrCat(
                             "keyType ", absl::Hex(iscr.key_type), " keyLen ",
                             absl::Hex(iscr.key_len), " (want 88, 10)")));
    }
    if (iscr.transaction_id != session.transaction_id) {
      return step_failed(
          kIsc, ErrorReason::kInvalidTransactionId,
          absl::InvalidArgumentError(absl::StrCat(
              "transactionId ", Hex(iscr.transaction_id),
              " is not the session's ", Hex(session.transaction_id))));
    }
    std::string smdp_signed = iscr.signed_fields;
    smdp_signed += sgp22::der::EncodeTlv(sgp22::der::ApplicationTag(73),
                                         impl_->otk_public);
    if (absl::Status s = internal::VerifyPlain(*session.dppb_key, smdp_signed,
                                               iscr.smdp_sign);
        !s.ok()) {
      return step_failed(kIsc, ErrorReason::kInvalidSignature,
                         absl::UnauthenticatedError(absl::StrCat(
                             "smdpSign with CERT.DPpb: ", s.message())));
    }
    absl::StatusOr<EvpPkeyPtr> smdp_otpk =
        internal::PublicKeyFromPoint(impl_->otk_nid, iscr.smdp_otpk);
    if (!smdp_otpk.ok()) {
      return step_failed(kIsc, ErrorReason::kIncorrectInputValues,
                         Prefixed("smdpOtpk: ", smdp_otpk.status()));
    }
    absl::StatusOr<std::string> shs = internal::Ecdh(*impl_->otk, **smdp_otpk);
    absl::StatusOr<internal::SessionKeys> keys =
        shs.ok() ? internal::DeriveSessionKeys(*shs, iscr.host_id, eid_bytes())
                 : shs.status();
    if (shs.ok()) OPENSSL_cleanse(shs->data(), shs->size());
    absl::StatusOr<internal::SegmentOpener> opener =
        keys.ok() ? internal::SegmentOpener::Create(keys->enc, keys->mac,
                                                    keys->initial_mcv)
                  : keys.status();
    if (!opener.ok()) {
      return step_failed(kIsc, ErrorReason::kInstallFailedDueToUnknownError,
                         opener.status());
    }

    // Opens a sequence of TLVs; the plaintexts concatenated.
    auto open_all = [&](internal::SegmentOpener& o,
                        const std::vector<std::string>& segments, uint8_t tag,
                        bool encrypted, BppCommandId command,
                        absl::string_view what) -> std::optional<std::string> {
      if (segments.empty()) {
        step_failed(
            command, ErrorReason::kScp03tStructureError,
            absl::InvalidArgumentError(absl::StrCat(what, ": no segment")));
        return std::nullopt;
      }
      std::string out;
      for (const std::string& segment : segments) {
        absl::StatusOr<std::string> plain = o.Open(segment, tag, encrypted);
        if (!plain.ok()) {
          step_failed(command, ReasonForBspError(plain.status()),
                      Prefixed(absl::StrCat(what, ": "), plain.status()));
          return std::nullopt;
        }
        out += *plain;
      }
      return out;
    };

    // ConfigureISDP.
    std::optional<std::string> configure =
        open_all(*opener, bpp->first_sequence_of_87, 0x87, true,
                 BppCommandId::kConfigureIsdp, "firstSequenceOf87");
    if (!configure) return;
    absl::StatusOr<internal::ConfigureIsdpRequest> configure_isdp =
        internal::DecodeConfigureIsdpRequest(*configure);
    if (!configure_isdp.ok()) {
      return step_failed(BppCommandId::kConfigureIsdp,
                         ErrorReason::kIncorrectInputValues,
                         configure_isdp.status());
    }
    result.configure_isdp = ToReported(*configure_isdp);

    // StoreMetadata.
    std::optional<std::string> metadata_der =
        open_all(*opener, bpp->sequence_of_88, 0x88, false,
                 BppCommandId::kStoreMetadata, "sequenceOf88");
    if (!metadata_der) return;
    absl::StatusOr<internal::StoreMetadataRequest> metadata =
        internal::DecodeStoreMetadataRequest(*metadata_der);
    if (!metadata.ok()) {
      return step_failed(BppCommandId::kStoreMetadata,
                         ErrorReason::kIncorrectInputValues, metadata.status());
    }
    result.iccid = metadata->iccid;
    result.metadata = ToReported(*metadata);
    if (std::find(installed_iccids_.begin(), installed_iccids_.end(),
                  result.iccid) != installed_iccids_.end()) {
      return step_failed(
          BppCommandId::kStoreMetadata,
          ErrorReason::kInstallFailedDueToIccidAlreadyExistsOnEuicc,
          absl::AlreadyExistsError(absl::StrCat("ICCID ", Hex(result.iccid),
                                                " is already installed")));
    }
    const auto& forbidden = impl_->info2.forbidden_profile_policy_rules;
    const auto& pprs = metadata->profile_policy_rules;
    if (forbidden && pprs) {
      for (size_t bit = 0; bit < pprs->size(); ++bit) {
        if (pprs->Get(bit) && forbidden->Get(bit)) {
          return step_failed(
              BppCommandId::kStoreMetadata, ErrorReason::kPprNotAllowed,
              absl::PermissionDeniedError(absl::StrCat(
                  "PPR bit ", bit, " is in forbiddenProfilePolicyRules")));
        }
      }
    }

    // ReplaceSessionKeys.
    internal::SegmentOpener* profile_opener = &*opener;
    std::optional<internal::SegmentOpener> ppk_opener;
    if (bpp->second_sequence_of_87) {
      std::optional<std::string> replace =
          open_all(*opener, *bpp->second_sequence_of_87, 0x87, true,
                   BppCommandId::kReplaceSessionKeys, "secondSequenceOf87");
      if (!replace) return;
      absl::StatusOr<internal::ReplaceSessionKeysRequest> ppk =
          internal::DecodeReplaceSessionKeysRequest(*replace);
      OPENSSL_cleanse(replace->data(), replace->size());
      absl::StatusOr<internal::SegmentOpener> made =
          ppk.ok()
              ? internal::SegmentOpener::Create(ppk->ppk_enc, ppk->ppk_cmac,
                                                ppk->initial_mac_chaining_value)
              : ppk.status();
      if (!made.ok()) {
        return step_failed(BppCommandId::kReplaceSessionKeys,
                           ErrorReason::kIncorrectInputValues, made.status());
      }
      ppk_opener = *std::move(made);
      profile_opener = &*ppk_opener;
      result.used_ppk = true;
    }

    // LoadProfileElements.
    if (bpp->sequence_of_86.empty()) {
      return step_failed(
          BppCommandId::kLoadProfileElements,
          ErrorReason::kScp03tStructureError,
          absl::InvalidArgumentError("sequenceOf86: no segment"));
    }
    const std::optional<uint64_t> free_memory = FreeMemory(impl_->info2);
    for (const std::string& segment : bpp->sequence_of_86) {
      absl::StatusOr<std::string> plain =
          profile_opener->Open(segment, 0x86, true);
      if (!plain.ok()) {
        return step_failed(BppCommandId::kLoadProfileElements,
                           ReasonForBspError(plain.status()),
                           Prefixed("sequenceOf86: ", plain.status()));
      }
      result.profile += *plain;
      ++result.profile_segments;
      if (free_memory && result.profile.size() > *free_memory) {
        return step_failed(
            BppCommandId::kLoadProfileElements,
            ErrorReason::kInstallFailedDueToInsufficientMemoryForProfile,
            absl::ResourceExhaustedError(
                absl::StrCat("profile exceeds the ", *free_memory,
                             " bytes of free non-volatile memory")));
      }
    }
  }();

  // The ProfileInstallationResult.
  internal::ProfileInstallationResultFields data;
  data.transaction_id = session.transaction_id;
  data.seq_number = impl_->next_seq_number++;
  data.notification_address = session.server_address;
  if (!result.iccid.empty()) data.iccid = result.iccid;
  absl::StatusOr<sgp22::der::Oid> oid =
      sgp22::der::Oid::FromString(session.dppb_smdp_oid);
  if (oid.ok()) data.smdp_oid = *std::move(oid);
  if (error) {
    data.final_result = internal::PirError{
        static_cast<int64_t>(error->bpp_command_id),
        static_cast<int64_t>(error->error_reason), error->sima_response};
    result.error = error;
  } else {
    const int n = impl_->next_isdp++;
    result.isdp_aid = config_.isdp_aid_prefix;
    result.isdp_aid.push_back(static_cast<char>(n >> 8));
    result.isdp_aid.push_back(static_cast<char>(n));
    data.final_result =
        internal::PirSuccess{result.isdp_aid, std::string(kSimaResponseOk)};
    result.status = absl::OkStatus();
    installed_iccids_.push_back(result.iccid);
    impl_->otk.reset();
    impl_->otk_public.clear();
    impl_->otk_nid = 0;
  }
  const std::string data_der =
      internal::EncodeProfileInstallationResultData(data);
  ASSIGN_OR_RETURN(std::string signature,
                   internal::SignPlain(*impl_->euicc_key, data_der));
  if (config_.faults.bad_pir_signature)
    signature = FlipBit(std::move(signature));
  result.profile_installation_result =
      internal::EncodeProfileInstallationResult(data_der, signature);
  return result;
}

CancelSessionAnswer SoftwareEuicc::CancelSession(
    absl::string_view transaction_id, sgp22::CancelSessionReason reason) {
  CancelSessionAnswer answer;
  if (!impl_->session || impl_->session->transaction_id != transaction_id) {
    answer.error_code = sgp22::CancelSessionError::kInvalidTransactionId;
    answer.status = absl::InvalidArgumentError(absl::StrCat(
        "CancelSession: invalidTransactionId: ", Hex(transaction_id),
        " is not the open session's"));
    answer.der = internal::EncodeCancelSessionResponseError(
        static_cast<int64_t>(*answer.error_code));
    return answer;
  }
  absl::StatusOr<sgp22::der::Oid> oid =
      sgp22::der::Oid::FromString(impl_->session->dpauth_smdp_oid);
  if (!oid.ok()) {
    answer.status = oid.status();
    return answer;
  }
  const std::string signed_part = internal::EncodeEuiccCancelSessionSigned(
      impl_->session->transaction_id, *oid, static_cast<int64_t>(reason));
  absl::StatusOr<std::string> signature =
      internal::SignPlain(*impl_->euicc_key, signed_part);
  if (!signature.ok()) {
    answer.status = signature.status();
    return answer;
  }
  if (config_.faults.bad_cancel_session_signature) {
    *signature = FlipBit(*std::move(signature));
  }
  impl_->EndSession();
  answer.der = internal::EncodeCancelSessionResponseOk(signed_part, *signature);
  answer.status = absl::OkStatus();
  return answer;
}

// ---- inspection and state ----

std::string SoftwareEuicc::eid_bytes() const {
  return absl::HexStringToBytes(eid_);
}

const std::string& SoftwareEuicc::euicc_certificate() const {
  return config_.euicc_certificate;
}

const std::string& SoftwareEuicc::eum_certificate() const {
  return config_.eum_certificate;
}

std::string SoftwareEuicc::transaction_id() const {
  return impl_->session ? impl_->session->transaction_id : "";
}

std::optional<std::string> SoftwareEuicc::kept_euicc_otpk() const {
  if (impl_->otk == nullptr) return std::nullopt;
  return impl_->otk_public;
}

void SoftwareEuicc::set_clock(Clock clock) {
  config_.clock = clock;
  impl_->clock = std::move(clock);
}

// State text: one `key=value` per line, values in hex.
std::string SoftwareEuicc::SaveState() const {
  std::string out = "# software eUICC state (test data: holds a private key)\n";
  auto put = [&](absl::string_view key, absl::string_view value) {
    absl::StrAppend(&out, key, "=", absl::BytesToHexString(value), "\n");
  };
  if (impl_->challenge) put("challenge", *impl_->challenge);
  put("last_challenge", impl_->last_challenge);
  put("previous_transaction_id", impl_->previous_transaction_id);
  put("next_seq_number", absl::StrCat(impl_->next_seq_number));
  put("next_isdp", absl::StrCat(impl_->next_isdp));
  for (const std::string& iccid : installed_iccids_) put("installed", iccid);
  if (impl_->otk != nullptr) {
    absl::StatusOr<std::string> scalar = internal::PrivateScalar(*impl_->otk);
    if (scalar.ok()) {
      put("otk_curve", OBJ_nid2sn(impl_->otk_nid));
      put("otk_scalar", *scalar);
    }
  }
  if (impl_->session) {
    const Impl::Session& s = *impl_->session;
    put("session.transaction_id", s.transaction_id);
    put("session.server_address", s.server_address);
    put("session.euicc_signature1", s.euicc_signature1);
    put("session.ci_key_id", s.ci_key_id);
    put("session.dpauth_smdp_oid", s.dpauth_smdp_oid);
    if (s.prepared) {
      put("session.dppb_certificate", s.dppb_certificate);
      put("session.dppb_smdp_oid", s.dppb_smdp_oid);
    }
  }
  return out;
}

absl::Status SoftwareEuicc::RestoreState(absl::string_view text) {
  auto fresh = std::make_unique<Impl>();
  std::optional<Impl::Session> session;
  std::vector<std::string> installed;
  std::string otk_curve, otk_scalar;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(line, absl::MaxSplits('=', 1));
    const absl::string_view key = kv.first;
    const absl::string_view hex = kv.second;
    if (hex.size() % 2 != 0 || !std::all_of(hex.begin(), hex.end(), [](char c) {
          return absl::ascii_isxdigit(c);
        })) {
      return absl::InvalidArgumentError(
          absl::StrCat("eUICC state: bad value for ", key));
    }
    const std::string value = absl::HexStringToBytes(hex);
    auto number = [&](auto* out) -> absl::Status {
      if (!absl::SimpleAtoi(value, out)) {
        return absl::InvalidArgumentError(
            absl::StrCat("eUICC state: ", key, " is not a number"));
      }
      return absl::OkStatus();
    };
    if (absl::StartsWith(key, "session.") && !session) session.emplace();
    if (key == "challenge") {
      fresh->challenge = value;
    } else if (key == "last_challenge") {
      fresh->last_challenge = value;
    } else if (key == "previous_transaction_id") {
      fresh->previous_transaction_id = value;
    } else if (key == "next_seq_number") {
      RETURN_IF_ERROR(number(&fresh->next_seq_number));
    } else if (key == "next_isdp") {
      RETURN_IF_ERROR(number(&fresh->next_isdp));
    } else if (key == "installed") {
      installed.push_back(value);
    } else if (key == "otk_curve") {
      otk_curve = value;
    } else if (key == "otk_scalar") {
      otk_scalar = value;
    } else if (key == "session.transaction_id") {
      session->transaction_id = value;
    } else if (key == "session.server_address") {
      session->server_address = value;
    } else if (key == "session.euicc_signature1") {
      session->euicc_signature1 = value;
    } else if (key == "session.ci_key_id") {
      session->ci_key_id = value;
    } else if (key == "session.dpauth_smdp_oid") {
      session->dpauth_smdp_oid = value;
    } else if (key == "session.dppb_certificate") {
      session->dppb_certificate = value;
    } else if (key == "session.dppb_smdp_oid") {
      session->dppb_smdp_oid = value;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("eUICC state: unknown key ", key));
    }
  }
  if (!otk_scalar.empty()) {
    const int nid = OBJ_sn2nid(otk_curve.c_str());
    ASSIGN_OR_RETURN(fresh->otk,
                     internal::KeyFromPrivateScalar(nid, otk_scalar));
    ASSIGN_OR_RETURN(fresh->otk_public, internal::PublicPoint(*fresh->otk));
    fresh->otk_nid = nid;
  }
  if (session && !session->dppb_certificate.empty()) {
    ASSIGN_OR_RETURN(X509Ptr cert,
                     internal::ParseCertificate(session->dppb_certificate));
    session->dppb_key.reset(X509_get_pubkey(cert.get()));
    if (session->dppb_key == nullptr) {
      return OpensslError(absl::StatusCode::kInvalidArgument,
                          "eUICC state: CERT.DPpb key");
    }
    session->prepared = true;
  }
  // Keep what the configuration made.
  impl_->challenge = std::move(fresh->challenge);
  impl_->last_challenge = std::move(fresh->last_challenge);
  impl_->previous_transaction_id = std::move(fresh->previous_transaction_id);
  impl_->next_seq_number = fresh->next_seq_number;
  impl_->next_isdp = fresh->next_isdp;
  impl_->otk = std::move(fresh->otk);
  impl_->otk_public = std::move(fresh->otk_public);
  impl_->otk_nid = fresh->otk_nid;
  impl_->session = std::move(session);
  installed_iccids_ = std::move(installed);
  return absl::OkStatus();
}

}  // namespace smdp::euicc
