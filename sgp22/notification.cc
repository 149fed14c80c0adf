#include "sgp22/notification.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "sgp22/internal/codec.h"
#include "util/status_macros.h"

namespace smdp::sgp22 {
namespace {

using der::ContextTag;

absl::StatusOr<SuccessResult> ReadSuccessResult(der::Reader& r) {
  SuccessResult v;
  ASSIGN_OR_RETURN(v.aid, internal::ReadOctets(r, tags::kAid, "aid", 5, 16));
  ASSIGN_OR_RETURN(v.sima_response,
                   internal::ReadOctets(r, der::kOctetString, "simaResponse"));
  RETURN_IF_ERROR(r.FinishExtensible().status());
  return v;
}

absl::StatusOr<ErrorResult> ReadErrorResult(der::Reader& r) {
  ErrorResult v;
  ASSIGN_OR_RETURN(int64_t command,
                   internal::ReadInteger(r, ContextTag(0), "bppCommandId"));
  v.bpp_command_id = static_cast<BppCommandId>(command);
  ASSIGN_OR_RETURN(int64_t reason,
                   internal::ReadInteger(r, ContextTag(1), "errorReason"));
  v.error_reason = static_cast<ErrorReason>(reason);
  ASSIGN_OR_RETURN(v.sima_response, internal::ReadOptionalOctets(
                                        r, ContextTag(2), "simaResponse"));
  RETURN_IF_ERROR(r.FinishExtensible().status());
  return v;
}

absl::StatusOr<ProfileInstallationResultData> ReadResultData(der::Reader& r) {
  ProfileInstallationResultData v;
  ASSIGN_OR_RETURN(v.transaction_id, internal::ReadTransactionId(
                                         r, ContextTag(0), "transactionId"));
  ASSIGN_OR_RETURN(der::Tlv metadata,
                   r.Next(tags::kNotificationMetadata, "notificationMetadata"));
  ASSIGN_OR_RETURN(der::Reader mr, r.Child(metadata, "NotificationMetadata"));
  ASSIGN_OR_RETURN(v.notification_metadata,
                   internal::ReadNotificationMetadata(mr));
  ASSIGN_OR_RETURN(v.smdp_oid, internal::ReadOptionalOid(
                                   r, der::kObjectIdentifier, "smdpOid"));
  ASSIGN_OR_RETURN(der::Reader fr, r.Enter(ContextTag(2, true), "finalResult"));
  ASSIGN_OR_RETURN(der::Tag tag, fr.PeekTag());
  if (tag == ContextTag(0, true)) {
    ASSIGN_OR_RETURN(der::Reader c, fr.Enter(tag, "successResult"));
    ASSIGN_OR_RETURN(v.final_result, ReadSuccessResult(c));
  } else if (tag == ContextTag(1, true)) {
    ASSIGN_OR_RETURN(der::Reader c, fr.Enter(tag, "errorResult"));
    ASSIGN_OR_RETURN(v.final_result, ReadErrorResult(c));
  } else {
    return fr.FieldError(
        "", absl::StrCat("unknown CHOICE alternative ", der::TagToString(tag)));
  }
  RETURN_IF_ERROR(fr.Finish());
  RETURN_IF_ERROR(r.FinishExtensible().status());
  return v;
}

void WriteResultData(const ProfileInstallationResultData& v, der::Writer& w) {
  w.Constructed(tags::kProfileInstallationResultData, [&](der::Writer& w) {
    w.Add(ContextTag(0), v.transaction_id);
    internal::WriteNotificationMetadata(v.notification_metadata, w);
    if (v.smdp_oid) w.Add(der::kObjectIdentifier, v.smdp_oid->contents());
    w.Constructed(ContextTag(2, true), [&](der::Writer& w) {
      if (const auto* ok = std::get_if<SuccessResult>(&v.final_result)) {
        w.Constructed(ContextTag(0, true), [&](der::Writer& w) {
          w.Add(tags::kAid, ok->aid);
          w.Add(der::kOctetString, ok->sima_response);
        });
      } else {
        const auto& error = std::get<ErrorResult>(v.final_result);
        w.Constructed(ContextTag(1, true), [&](der::Writer& w) {
          w.AddInteger(static_cast<int64_t>(error.bpp_command_id),
                       ContextTag(0));
          w.AddInteger(static_cast<int64_t>(error.error_reason), ContextTag(1));
          if (error.sima_response) w.Add(ContextTag(2), *error.sima_response);
        });
      }
    });
  });
}

absl::StatusOr<ProfileInstallationResult> ReadProfileInstallationResult(
    der::Reader& r) {
  ProfileInstallationResult v;
  ASSIGN_OR_RETURN(v.data,
                   internal::ReadSignedPart<ProfileInstallationResultData>(
                       r, tags::kProfileInstallationResultData,
                       "profileInstallationResultData",
                       "ProfileInstallationResultData", ReadResultData));
  ASSIGN_OR_RETURN(v.euicc_sign_pir,
                   internal::ReadSignature(r, "euiccSignPIR"));
  RETURN_IF_ERROR(r.FinishExtensible().status());
  return v;
}

void WriteProfileInstallationResult(const ProfileInstallationResult& v,
                                    der::Writer& w) {
  w.Constructed(tags::kProfileInstallationResult, [&](der::Writer& w) {
    w.AddRaw(v.data.der);
    w.Add(tags::kSignature, v.euicc_sign_pir);
  });
}

absl::StatusOr<OtherSignedNotification> ReadOtherSignedNotification(
    der::Reader& r) {
  OtherSignedNotification v;
  ASSIGN_OR_RETURN(
      v.tbs_other_notification,
      internal::ReadSignedPart<NotificationMetadata>(
          r, tags::kNotificationMetadata, "tbsOtherNotification",
          "NotificationMetadata", internal::ReadNotificationMetadata));
  ASSIGN_OR_RETURN(v.euicc_notification_signature,
                   internal::ReadSignature(r, "euiccNotificationSignature"));
  ASSIGN_OR_RETURN(v.euicc_certificate,
                   internal::ReadCertificate(r, "euiccCertificate"));
  ASSIGN_OR_RETURN(v.eum_certificate,
                   internal::ReadCertificate(r, "eumCertificate"));
  ASSIGN_OR_RETURN(v.other_certs_in_chain,
                   internal::ReadOptionalCertificates(r, ContextTag(1, true),
                                                      "otherCertsInChain"));
  RETURN_IF_ERROR(r.FinishExtensible().status());
  return v;
}

void WriteOtherSignedNotification(const OtherSignedNotification& v,
                                  der::Writer& w) {
  w.Constructed(der::kSequence, [&](der::Writer& w) {
    w.AddRaw(v.tbs_other_notification.der);
    w.Add(tags::kSignature, v.euicc_notification_signature);
    w.AddRaw(v.euicc_certificate);
    w.AddRaw(v.eum_certificate);
    if (!v.other_certs_in_chain.empty()) {
      w.Constructed(ContextTag(1, true), [&](der::Writer& w) {
        for (const std::string& c : v.other_certs_in_chain) w.AddRaw(c);
      });
    }
  });
}

absl::StatusOr<EuiccCancelSessionSigned> ReadCancelSessionSigned(
    der::Reader& r) {
  EuiccCancelSessionSigned v;
  ASSIGN_OR_RETURN(v.transaction_id, internal::ReadTransactionId(
                                         r, ContextTag(0), "transactionId"));
  ASSIGN_OR_RETURN(v.smdp_oid, internal::ReadOid(r, ContextTag(1), "smdpOid"));
  ASSIGN_OR_RETURN(int64_t reason,
                   internal::ReadInteger(r, ContextTag(2), "reason"));
  v.reason = static_cast<CancelSessionReason>(reason);
  RETURN_IF_ERROR(r.FinishExtensible().status());
  return v;
}

void WriteCancelSessionSigned(const EuiccCancelSessionSigned& v,
                              der::Writer& w) {
  w.Constructed(der::kSequence, [&](der::Writer& w) {
    w.Add(ContextTag(0), v.transaction_id);
    w.Add(ContextTag(1), v.smdp_oid.contents());
    w.AddInteger(static_cast<int64_t>(v.reason), ContextTag(2));
  });
}

absl::StatusOr<CancelSessionResponse> ReadCancelSessionResponse(
    der::Reader& r) {
  ASSIGN_OR_RETURN(der::Tag tag, r.PeekTag());
  CancelSessionResponse v;
  if (tag == ContextTag(0, true)) {
    ASSIGN_OR_RETURN(der::Reader c, r.Enter(tag, "cancelSessionResponseOk"));
    CancelSessionResponseOk ok;
    ASSIGN_OR_RETURN(ok.euicc_cancel_session_signed,
                     internal::ReadSignedPart<EuiccCancelSessionSigned>(
                         c, der::kSequence, "euiccCancelSessionSigned",
                         "EuiccCancelSessionSigned", ReadCancelSessionSigned));
    ASSIGN_OR_RETURN(ok.euicc_cancel_session_signature,
                     internal::ReadSignature(c, "euiccCancelSessionSignature"));
    RETURN_IF_ERROR(c.FinishExtensible().status());
    v.result = std::move(ok);
  } else if (tag == ContextTag(1)) {
    ASSIGN_OR_RETURN(int64_t code, internal::ReadInteger(
                                       r, tag, "cancelSessionResponseError"));
    v.result = static_cast<CancelSessionError>(code);
  } else {
    return r.FieldError(
        "", absl::StrCat("unknown CHOICE alternative ", der::TagToString(tag)));
  }
  RETURN_IF_ERROR(r.Finish());
  return v;
}

}  // namespace

namespace internal {

absl::StatusOr<NotificationMetadata> ReadNotificationMetadata(der::Reader& r) {
  NotificationMetadata v;
  ASSIGN_OR_RETURN(v.seq_number, ReadInteger(r, ContextTag(0), "seqNumber"));
  ASSIGN_OR_RETURN(v.profile_management_operation,
                   ReadBits(r, ContextTag(1), "profileManagementOperation"));
  ASSIGN_OR_RETURN(v.notification_address,
                   ReadUtf8(r, der::kUtf8String, "notificationAddress"));
  ASSIGN_OR_RETURN(v.iccid, ReadOptionalOctets(r, tags::kIccid, "iccid",
                                               kIccidSize, kIccidSize));
  RETURN_IF_ERROR(r.FinishExtensible().status());
  return v;
}

void WriteNotificationMetadata(const NotificationMetadata& v, der::Writer& w) {
  w.Constructed(tags::kNotificationMetadata, [&](der::Writer& w) {
    w.AddInteger(v.seq_number, ContextTag(0));
    w.Add(ContextTag(1), v.profile_management_operation.Encode());
    w.Add(der::kUtf8String, v.notification_address);
    if (v.iccid) w.Add(tags::kIccid, *v.iccid);
  });
}

}  // namespace internal

// --- NotificationMetadata -----------------------------------------------

std::optional<NotificationEvent> NotificationMetadata::Event() const {
  std::optional<NotificationEvent> event;
  for (size_t bit = 0; bit < profile_management_operation.size(); ++bit) {
    if (!profile_management_operation.Get(bit)) continue;
    if (event) return std::nullopt;
    event = static_cast<NotificationEvent>(bit);
  }
  return event;
}

std::string NotificationMetadata::Encode() const {
  der::Writer w;
  internal::WriteNotificationMetadata(*this, w);
  return std::move(w).Finish();
}

absl::StatusOr<NotificationMetadata> NotificationMetadata::Decode(
    absl::string_view der) {
  return internal::DecodeMessage<NotificationMetadata>(
      der, tags::kNotificationMetadata, "NotificationMetadata",
      internal::ReadNotificationMetadata);
}

// --- ProfileInstallationResultData / ProfileInstallationResult ----------

std::string ProfileInstallationResultData::Encode() const {
  der::Writer w;
  WriteResultData(*this, w);
  return std::move(w).Finish();
}

absl::StatusOr<ProfileInstallationResultData>
ProfileInstallationResultData::Decode(absl::string_view der) {
  return internal::DecodeMessage<ProfileInstallationResultData>(
      der, tags::kProfileInstallationResultData,
      "ProfileInstallationResultData", ReadResultData);
}

std::string ProfileInstallationResult::Encode() const {
  der::Writer w;
  WriteProfileInstallationResult(*this, w);
  return std::move(w).Finish();
}

absl::StatusOr<ProfileInstallationResult> ProfileInstallationResult::Decode(
    absl::string_view der) {
  return internal::DecodeMessage<ProfileInstallationResult>(
      der, tags::kProfileInstallationResult, "ProfileInstallationResult",
      ReadProfileInstallationResult);
}

// --- OtherSignedNotification --------------------------------------------

std::string OtherSignedNotification::Encode() const {
  der::Writer w;
  WriteOtherSignedNotification(*this, w);
  return std::move(w).Finish();
}

absl::StatusOr<OtherSignedNotification> OtherSignedNotification::Decode(
    absl::string_view der) {
  return internal::DecodeMessage<OtherSignedNotification>(
      der, der::kSequence, "OtherSignedNotification",
      ReadOtherSignedNotification);
}

// --- PendingNotification ------------------------------------------------

std::string PendingNotification::Encode() const {
  der::Writer w;
  if (const auto* pir = std::get_if<ProfileInstallationResult>(&notification)) {
    WriteProfileInstallationResult(*pir, w);
  } else {
    WriteOtherSignedNotification(
        std::get<OtherSignedNotification>(notification), w);
  }
  return std::move(w).Finish();
}

absl::StatusOr<PendingNotification> PendingNotification::Decode(
    absl::string_view der) {
  ASSIGN_OR_RETURN(der::Tlv tlv, der::ParseSingleTlv(der));
  PendingNotification v;
  if (tlv.tag == tags::kProfileInstallationResult) {
    der::Reader r(tlv.value, 1, "ProfileInstallationResult");
    ASSIGN_OR_RETURN(v.notification, ReadProfileInstallationResult(r));
  } else if (tlv.tag == der::kSequence) {
    der::Reader r(tlv.value, 1, "OtherSignedNotification");
    ASSIGN_OR_RETURN(v.notification, ReadOtherSignedNotification(r));
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("PendingNotification: expected tag BF37 or 30, got ",
                     der::TagToString(tlv.tag)));
  }
  return v;
}

// --- CancelSessionResponse ----------------------------------------------

std::string EuiccCancelSessionSigned::Encode() const {
  der::Writer w;
  WriteCancelSessionSigned(*this, w);
  return std::move(w).Finish();
}

absl::StatusOr<EuiccCancelSessionSigned> EuiccCancelSessionSigned::Decode(
    absl::string_view der) {
  return internal::DecodeMessage<EuiccCancelSessionSigned>(
      der, der::kSequence, "EuiccCancelSessionSigned", ReadCancelSessionSigned);
}

std::string CancelSessionResponse::Encode() const {
  der::Writer w;
  w.Constructed(tags::kCancelSession, [&](der::Writer& w) {
    if (const auto* ok = std::get_if<CancelSessionResponseOk>(&result)) {
      w.Constructed(ContextTag(0, true), [&](der::Writer& w) {
        w.AddRaw(ok->euicc_cancel_session_signed.der);
        w.Add(tags::kSignature, ok->euicc_cancel_session_signature);
      });
    } else {
      w.AddInteger(static_cast<int64_t>(std::get<CancelSessionError>(result)),
                   ContextTag(1));
    }
  });
  return std::move(w).Finish();
}

absl::StatusOr<CancelSessionResponse> CancelSessionResponse::Decode(
    absl::string_view der) {
  return internal::DecodeMessage<CancelSessionResponse>(
      der, tags::kCancelSession, "CancelSessionResponse",
      ReadCancelSessionResponse);
}

}  // namespace smdp::sgp22
