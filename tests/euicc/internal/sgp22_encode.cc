#include "tests/euicc/internal/sgp22_encode.h"

#include <utility>

#include "tests/euicc/internal/sgp22_tags.h"

namespace smdp::euicc::internal {
namespace {

namespace der = ::smdp::sgp22::der;
using der::ContextTag;

using tags::kAid;
using tags::kIccid;
using tags::kNotificationMetadata;
using tags::kOtpk;
using tags::kPirData;
using tags::kProfileInstallationResult;
using tags::kSignature;
constexpr der::Tag kAuthenticateServerResponse = tags::kAuthenticateServer;
constexpr der::Tag kPrepareDownloadResponse = tags::kPrepareDownload;
constexpr der::Tag kCancelSessionResponse = tags::kCancelSession;
// NotificationEvent bit notificationInstall(0).
constexpr size_t kNotificationInstall = 0;

// A response CHOICE `tag` { [alternative] SEQUENCE { `body` ; 5F37 sig } }.
std::string SignedAlternative(der::Tag tag, absl::string_view signed_der,
                              absl::string_view signature) {
  der::Writer w;
  w.Constructed(tag, [&](der::Writer& w) {
    w.Constructed(ContextTag(0, true), [&](der::Writer& w) {
      w.AddRaw(signed_der);
      w.Add(kSignature, signature);
    });
  });
  return std::move(w).Finish();
}

// `tag` { A1 { 80 transactionId, 02 code } }.
std::string ErrorAlternative(der::Tag tag, absl::string_view transaction_id,
                             int64_t code) {
  der::Writer w;
  w.Constructed(tag, [&](der::Writer& w) {
    w.Constructed(ContextTag(1, true), [&](der::Writer& w) {
      w.Add(ContextTag(0), transaction_id);
      w.AddInteger(code, der::kInteger);
    });
  });
  return std::move(w).Finish();
}

}  // namespace

std::string EncodeEuiccSigned1(absl::string_view transaction_id,
                               absl::string_view server_address,
                               absl::string_view server_challenge,
                               absl::string_view euicc_info2_der,
                               absl::string_view ctx_params1_der) {
  der::Writer w;
  w.Constructed(der::kSequence, [&](der::Writer& w) {
    w.Add(ContextTag(0), transaction_id);
    w.Add(ContextTag(3), server_address);
    w.Add(ContextTag(4), server_challenge);
    w.AddRaw(euicc_info2_der);
    w.AddRaw(ctx_params1_der);
  });
  return std::move(w).Finish();
}

std::string EncodeAuthenticateResponseOk(absl::string_view euicc_signed1_der,
                                         absl::string_view euicc_signature1,
                                         absl::string_view euicc_certificate,
                                         absl::string_view eum_certificate) {
  der::Writer w;
  w.Constructed(kAuthenticateServerResponse, [&](der::Writer& w) {
    w.Constructed(ContextTag(0, true), [&](der::Writer& w) {
      w.AddRaw(euicc_signed1_der);
      w.Add(kSignature, euicc_signature1);
      w.AddRaw(euicc_certificate);
      w.AddRaw(eum_certificate);
    });
  });
  return std::move(w).Finish();
}

std::string EncodeAuthenticateResponseError(absl::string_view transaction_id,
                                            int64_t code) {
  return ErrorAlternative(kAuthenticateServerResponse, transaction_id, code);
}

std::string EncodeEuiccSigned2(absl::string_view transaction_id,
                               absl::string_view euicc_otpk,
                               const std::optional<std::string>& hash_cc) {
  der::Writer w;
  w.Constructed(der::kSequence, [&](der::Writer& w) {
    w.Add(ContextTag(0), transaction_id);
    w.Add(kOtpk, euicc_otpk);
    if (hash_cc) w.Add(der::kOctetString, *hash_cc);
  });
  return std::move(w).Finish();
}

std::string EncodePrepareDownloadResponseOk(
    absl::string_view euicc_signed2_der, absl::string_view euicc_signature2) {
  return SignedAlternative(kPrepareDownloadResponse, euicc_signed2_der,
                           euicc_signature2);
}

std::string EncodePrepareDownloadResponseError(absl::string_view transaction_id,
                                               int64_t code) {
  return ErrorAlternative(kPrepareDownloadResponse, transaction_id, code);
}

std::string EncodeEuiccCancelSessionSigned(absl::string_view transaction_id,
                                           const sgp22::der::Oid& smdp_oid,
                                           int64_t reason) {
  der::Writer w;
  w.Constructed(der::kSequence, [&](der::Writer& w) {
    w.Add(ContextTag(0), transaction_id);
    w.Add(ContextTag(1), smdp_oid.contents());
    w.AddInteger(reason, ContextTag(2));
  });
  return std::move(w).Finish();
}

std::string EncodeCancelSessionResponseOk(absl::string_view signed_der,
                                          absl::string_view signature) {
  return SignedAlternative(kCancelSessionResponse, signed_der, signature);
}

std::string EncodeCancelSessionResponseError(int64_t code) {
  der::Writer w;
  w.Constructed(kCancelSessionResponse,
                [&](der::Writer& w) { w.AddInteger(code, ContextTag(1)); });
  return std::move(w).Finish();
}

std::string EncodeProfileInstallationResultData(
    const ProfileInstallationResultFields& fields) {
  der::Writer w;
  w.Constructed(kPirData, [&](der::Writer& w) {
    w.Add(ContextTag(0), fields.transaction_id);
    w.Constructed(kNotificationMetadata, [&](der::Writer& w) {
      w.AddInteger(fields.seq_number, ContextTag(0));
      w.Add(ContextTag(1),
            der::BitString::FromBits({kNotificationInstall}).Encode());
      w.Add(der::kUtf8String, fields.notification_address);
      if (fields.iccid) w.Add(kIccid, *fields.iccid);
    });
    if (fields.smdp_oid) {
      w.Add(der::kObjectIdentifier, fields.smdp_oid->contents());
    }
    w.Constructed(ContextTag(2, true), [&](der::Writer& w) {
      if (const auto* ok = std::get_if<PirSuccess>(&fields.final_result)) {
        w.Constructed(ContextTag(0, true), [&](der::Writer& w) {
          w.Add(kAid, ok->aid);
          w.Add(der::kOctetString, ok->sima_response);
        });
      } else {
        const auto& error = std::get<PirError>(fields.final_result);
        w.Constructed(ContextTag(1, true), [&](der::Writer& w) {
          w.AddInteger(error.bpp_command_id, ContextTag(0));
          w.AddInteger(error.error_reason, ContextTag(1));
          if (error.sima_response) w.Add(ContextTag(2), *error.sima_response);
        });
      }
    });
  });
  return std::move(w).Finish();
}

std::string EncodeProfileInstallationResult(absl::string_view data_der,
                                            absl::string_view signature) {
  der::Writer w;
  w.Constructed(kProfileInstallationResult, [&](der::Writer& w) {
    w.AddRaw(data_der);
    w.Add(kSignature, signature);
  });
  return std::move(w).Finish();
}

}  // namespace smdp::euicc::internal
