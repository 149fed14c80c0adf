#include "tests/mini_smdp/mini_smdp.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <utility>
#include <variant>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "hsm/internal/test_util.h"
#include "sgp22/authentication.h"
#include "sgp22/bsp/bsp_encoder.h"
#include "sgp22/bsp/bsp_format.h"
#include "sgp22/bsp/bsp_keys.h"
#include "sgp22/bsp/profile_protection.h"
#include "sgp22/der.h"
#include "smdp/pki/certificate_builder.h"
#include "tests/euicc/euicc_testing.h"
#include "util/file_util.h"
#include "util/ssl_ptr.h"
#include "util/status_macros.h"

namespace smdp::euicc::testing {
namespace {

// Splits concatenated TLVs into one string each.
absl::StatusOr<std::vector<std::string>> SplitTlvs(absl::string_view tlvs) {
  std::vector<std::string> out;
  while (!tlvs.empty()) {
    ASSIGN_OR_RETURN(sgp22::der::Tlv tlv, sgp22::der::ParseTlv(&tlvs));
    out.emplace_back(tlv.raw);
  }
  return out;
}

std::string SerialNumberOf(const X509& cert) {
  const X509_NAME* name = X509_get_subject_name(&cert);
  const int index = X509_NAME_get_index_by_NID(name, NID_serialNumber, -1);
  if (index < 0) return "";
  const ASN1_STRING* data =
      X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(data)),
                     static_cast<size_t>(ASN1_STRING_length(data)));
}

std::atomic<int> label_counter{0};

}  // namespace

absl::StatusOr<std::string> KeyIdOf(absl::string_view cert_der) {
  ASSIGN_OR_RETURN(X509Ptr cert, pki::ParseCertificateDer(cert_der));
  const ASN1_OCTET_STRING* ski = X509_get0_subject_key_id(cert.get());
  if (ski == nullptr) return absl::InvalidArgumentError("no subjectKeyId");
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(ski)),
                     static_cast<size_t>(ASN1_STRING_length(ski)));
}

absl::StatusOr<MiniSmdpIdentity> Sgp26Identity(hsm::CryptoProvider& provider,
                                               absl::string_view sgp26_dir,
                                               hsm::Curve curve) {
  ASSIGN_OR_RETURN(Sgp26Smdp files, LoadSgp26Smdp(sgp26_dir, curve));
  MiniSmdpIdentity id;
  id.curve = curve;
  id.address = std::string(kSgp26SmdpAddress);
  ASSIGN_OR_RETURN(id.ci_key_id, KeyIdOf(files.ci_certificate));
  const int n = label_counter++;
  auto import = [&](absl::string_view role, const std::string& pem)
      -> absl::StatusOr<std::unique_ptr<hsm::SigningKey>> {
    const std::string label = absl::StrCat("sgp26-", role, "-", n);
    absl::StatusOr<std::unique_ptr<hsm::SigningKey>> key =
        provider.ImportSigningKey(label, pem);
    if (!key.ok()) {
      return absl::Status(key.status().code(),
                          absl::StrCat("importing SGP.26 ", role, " key as ",
                                       label, ": ", key.status().message()));
    }
    return key;
  };
  id.dpauth_certificate = files.dpauth_certificate;
  ASSIGN_OR_RETURN(id.dpauth_key,
                   import("dpauth", files.dpauth_private_key_pem));
  id.dppb_certificate = files.dppb_certificate;
  ASSIGN_OR_RETURN(id.dppb_key, import("dppb", files.dppb_private_key_pem));
  return id;
}

absl::StatusOr<MiniSmdpIdentity> DevPkiIdentity(hsm::CryptoProvider& provider,
                                                const pki::DevPki& pki,
                                                hsm::Curve curve) {
  const pki::DevPkiCurve& c = pki.ForCurve(curve);
  MiniSmdpIdentity id;
  id.curve = curve;
  id.address = pki.smdp_address;
  ASSIGN_OR_RETURN(std::string ci, ReadFile(c.ci.der));
  ASSIGN_OR_RETURN(id.ci_key_id, KeyIdOf(ci));
  ASSIGN_OR_RETURN(id.dpauth_certificate, ReadFile(c.dpauth.der));
  ASSIGN_OR_RETURN(id.dpauth_key, provider.LoadSigningKey(c.dpauth_key));
  ASSIGN_OR_RETURN(id.dppb_certificate, ReadFile(c.dppb.der));
  ASSIGN_OR_RETURN(id.dppb_key, provider.LoadSigningKey(c.dppb_key));
  return id;
}

sgp22::StoreMetadataRequest SampleMetadata() {
  sgp22::StoreMetadataRequest metadata;
  metadata.iccid = absl::HexStringToBytes("98001032547698103214");
  metadata.service_provider_name = "SMDP Test";
  metadata.profile_name = "Software eUICC test profile";
  return metadata;
}

MiniSmdp::MiniSmdp(MiniSmdpIdentity identity, hsm::CryptoProvider& provider)
    : identity_(std::move(identity)), provider_(provider) {}

absl::StatusOr<InitiateAuthenticationFields> MiniSmdp::InitiateAuthentication(
    absl::string_view euicc_challenge,
    std::optional<std::string> server_address) {
  ASSIGN_OR_RETURN(transaction_id_, provider_.RandomBytes(16));
  ASSIGN_OR_RETURN(server_challenge_, provider_.RandomBytes(16));
  euicc_challenge_ = std::string(euicc_challenge);
  sgp22::ServerSigned1 signed1;
  signed1.transaction_id = transaction_id_;
  signed1.euicc_challenge = euicc_challenge_;
  signed1.server_address = server_address.value_or(identity_.address);
  signed1.server_challenge = server_challenge_;
  return SignServerSigned1(signed1);
}

absl::StatusOr<InitiateAuthenticationFields> MiniSmdp::SignServerSigned1(
    const sgp22::ServerSigned1& signed1) {
  auto part = sgp22::SignedPart<sgp22::ServerSigned1>::Make(signed1);
  ASSIGN_OR_RETURN(std::string signature, identity_.dpauth_key->Sign(part.der));
  InitiateAuthenticationFields fields;
  fields.server_signed1 = part.der;
  fields.server_signature1 = sgp22::EncodeSignatureTlv(signature);
  fields.euicc_ci_pkid_to_be_used =
      sgp22::EncodeSubjectKeyIdentifierTlv(identity_.ci_key_id);
  fields.server_certificate = identity_.dpauth_certificate;
  return fields;
}

absl::Status MiniSmdp::VerifyEuicc(absl::string_view message,
                                   absl::string_view signature,
                                   absl::string_view what) const {
  const bool ok = hsm::testing::VerifyPlainSignature(euicc_curve_, euicc_point_,
                                                     message, signature);
  // A failed verification can leave errors on the thread's OpenSSL queue,
  // which upsets later PEM decoding (see euicc_crypto.cc PrivateKeyFromPem).
  ERR_clear_error();
  if (!ok) {
    return absl::UnauthenticatedError(
        absl::StrCat(what, " does not verify with CERT.EUICC"));
  }
  return absl::OkStatus();
}

absl::StatusOr<AuthenticateClientFields> MiniSmdp::AuthenticateClient(
    absl::string_view authenticate_server_response,
    std::optional<std::string> confirmation_code,
    std::optional<std::string> bpp_euicc_otpk) {
  ASSIGN_OR_RETURN(
      sgp22::AuthenticateServerResponse response,
      sgp22::AuthenticateServerResponse::Decode(authenticate_server_response));
  const auto* ok = std::get_if<sgp22::AuthenticateResponseOk>(&response.result);
  if (ok == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(
        "AuthenticateServerResponse is an error: ",
        sgp22::ToString(
            std::get<sgp22::AuthenticateResponseError>(response.result)
                .authenticate_error_code)));
  }
  ASSIGN_OR_RETURN(X509Ptr cert,
                   pki::ParseCertificateDer(ok->euicc_certificate));
  ASSIGN_OR_RETURN(pki::SubjectPublicKey key,
                   pki::SubjectPublicKeyFromEvp(*X509_get0_pubkey(cert.get())));
  euicc_curve_ = key.curve;
  euicc_point_ = key.point;
  eid_bytes_ = absl::HexStringToBytes(SerialNumberOf(*cert));
  RETURN_IF_ERROR(VerifyEuicc(ok->euicc_signed1.der, ok->euicc_signature1,
                              "euiccSignature1"));
  const sgp22::EuiccSigned1& signed1 = ok->euicc_signed1.value;
  if (signed1.transaction_id != transaction_id_) {
    return absl::InvalidArgumentError("euiccSigned1.transactionId is wrong");
  }
  if (signed1.server_challenge != server_challenge_) {
    return absl::InvalidArgumentError("euiccSigned1.serverChallenge is wrong");
  }
  euicc_signature1_ = ok->euicc_signature1;
  confirmation_code_ = std::move(confirmation_code);
  sgp22::SmdpSigned2 signed2;
  signed2.transaction_id = transaction_id_;
  signed2.cc_required_flag = confirmation_code_.has_value();
  signed2.bpp_euicc_otpk = std::move(bpp_euicc_otpk);
  return SignSmdpSigned2(signed2);
}

absl::StatusOr<AuthenticateClientFields> MiniSmdp::SignSmdpSigned2(
    const sgp22::SmdpSigned2& signed2) {
  auto part = sgp22::SignedPart<sgp22::SmdpSigned2>::Make(signed2);
  ASSIGN_OR_RETURN(
      smdp_signature2_,
      identity_.dppb_key->Sign(absl::StrCat(
          part.der, sgp22::EncodeSignatureTlv(euicc_signature1_))));
  AuthenticateClientFields fields;
  fields.smdp_signed2 = part.der;
  fields.smdp_signature2 = sgp22::EncodeSignatureTlv(smdp_signature2_);
  fields.smdp_certificate = identity_.dppb_certificate;
  return fields;
}

absl::Status MiniSmdp::ResignInitialiseSecureChannel(
    sgp22::InitialiseSecureChannelRequest& iscr) const {
  ASSIGN_OR_RETURN(
      iscr.smdp_sign,
      identity_.dppb_key->Sign(absl::StrCat(
          iscr.SignedFields(),
          sgp22::der::EncodeTlv(sgp22::tags::kOtpk, euicc_otpk_))));
  return absl::OkStatus();
}

absl::StatusOr<std::string> MiniSmdp::GetBoundProfilePackage(
    absl::string_view prepare_download_response, const BppOptions& options) {
  ASSIGN_OR_RETURN(
      sgp22::PrepareDownloadResponse response,
      sgp22::PrepareDownloadResponse::Decode(prepare_download_response));
  const auto* ok =
      std::get_if<sgp22::PrepareDownloadResponseOk>(&response.result);
  if (ok == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(
        "PrepareDownloadResponse is an error: ",
        sgp22::ToString(
            std::get<sgp22::PrepareDownloadResponseError>(response.result)
                .download_error_code)));
  }
  RETURN_IF_ERROR(
      VerifyEuicc(absl::StrCat(ok->euicc_signed2.der,
                               sgp22::EncodeSignatureTlv(smdp_signature2_)),
                  ok->euicc_signature2, "euiccSignature2"));
  const sgp22::EuiccSigned2& signed2 = ok->euicc_signed2.value;
  if (signed2.transaction_id != transaction_id_) {
    return absl::InvalidArgumentError("euiccSigned2.transactionId is wrong");
  }
  if (confirmation_code_) {
    // hashCc = SHA-256(SHA-256(CC) || transactionId), computed here with
    // plain EVP as any server would.
    unsigned char inner[32], outer[32];
    EVP_Digest(confirmation_code_->data(), confirmation_code_->size(), inner,
               nullptr, EVP_sha256(), nullptr);
    std::string data(reinterpret_cast<const char*>(inner), sizeof(inner));
    data += transaction_id_;
    EVP_Digest(data.data(), data.size(), outer, nullptr, EVP_sha256(), nullptr);
    if (!signed2.hash_cc ||
        *signed2.hash_cc !=
            std::string(reinterpret_cast<const char*>(outer), sizeof(outer))) {
      return absl::PermissionDeniedError("hashCc missing or wrong");
    }
  }
  euicc_otpk_ = signed2.euicc_otpk;

  // InitialiseSecureChannel and the session keys.
  ASSIGN_OR_RETURN(std::unique_ptr<hsm::AgreementKey> otk,
                   provider_.GenerateAgreementKey(identity_.curve));
  sgp22::InitialiseSecureChannelRequest iscr;
  iscr.transaction_id = transaction_id_;
  iscr.control_ref_template.host_id = options.host_id;
  iscr.smdp_otpk = otk->public_point();
  RETURN_IF_ERROR(ResignInitialiseSecureChannel(iscr));
  ASSIGN_OR_RETURN(std::string shs, otk->Derive(euicc_otpk_));
  ASSIGN_OR_RETURN(bsp::BspKeys keys,
                   bsp::DeriveSessionKeys(shs, options.host_id, eid_bytes_));
  ASSIGN_OR_RETURN(bsp::BspEncoder encoder, bsp::BspEncoder::Create(keys));

  sgp22::BoundProfilePackage bpp;
  bpp.initialise_secure_channel = std::move(iscr);
  ASSIGN_OR_RETURN(
      bpp.first_sequence_of_87,
      encoder.SegmentAndEncrypt(bsp::kTagEncryptedCommand,
                                options.configure_isdp_der.value_or(
                                    options.configure_isdp.Encode())));
  ASSIGN_OR_RETURN(bpp.sequence_of_88,
                   encoder.SegmentAndMac(
                       bsp::kTagMacOnly,
                       options.metadata.value_or(SampleMetadata()).Encode()));
  if (options.use_ppk) {
    ASSIGN_OR_RETURN(bsp::ProtectedProfile ppp,
                     bsp::ProtectProfile(options.profile));
    std::string replace;
    RETURN_IF_ERROR(encoder.AppendReplaceSessionKeys(ppp.ppk, &replace));
    bpp.second_sequence_of_87 = std::vector<std::string>{std::move(replace)};
    ASSIGN_OR_RETURN(bpp.sequence_of_86, SplitTlvs(ppp.segments));
  } else {
    ASSIGN_OR_RETURN(
        bpp.sequence_of_86,
        encoder.SegmentAndEncrypt(bsp::kTagProfileSegment, options.profile));
  }
  last_bpp_ = bpp;
  return bpp.Encode();
}

absl::StatusOr<sgp22::ProfileInstallationResultData>
MiniSmdp::HandleNotification(absl::string_view pir_der) const {
  ASSIGN_OR_RETURN(sgp22::ProfileInstallationResult pir,
                   sgp22::ProfileInstallationResult::Decode(pir_der));
  RETURN_IF_ERROR(
      VerifyEuicc(pir.data.der, pir.euicc_sign_pir, "euiccSignPIR"));
  return pir.data.value;
}

absl::StatusOr<sgp22::EuiccCancelSessionSigned> MiniSmdp::CancelSession(
    absl::string_view response_der) const {
  ASSIGN_OR_RETURN(sgp22::CancelSessionResponse response,
                   sgp22::CancelSessionResponse::Decode(response_der));
  const auto* ok =
      std::get_if<sgp22::CancelSessionResponseOk>(&response.result);
  if (ok == nullptr) {
    return absl::FailedPreconditionError("CancelSessionResponse is an error");
  }
  RETURN_IF_ERROR(VerifyEuicc(ok->euicc_cancel_session_signed.der,
                              ok->euicc_cancel_session_signature,
                              "euiccCancelSessionSignature"));
  return ok->euicc_cancel_session_signed.value;
}

}  // namespace smdp::euicc::testing
