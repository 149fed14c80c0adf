#include "sgp22/download.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "sgp22/internal/codec.h"
#include "util/status_macros.h"

namespace smdp::sgp22 {
namespace {

using der::ContextTag;

absl::StatusOr<NotificationConfigurationInformation> ReadNotificationConfig(
    der::Reader& r) {
  NotificationConfigurationInformation v;
  ASSIGN_OR_RETURN(
      v.profile_management_operation,
      internal::ReadBits(r, ContextTag(0), "profileManagementOperation"));
  ASSIGN_OR_RETURN(v.notification_address,
                   internal::ReadUtf8(r, ContextTag(1), "notificationAddress"));
  RETURN_IF_ERROR(r.FinishExtensible().status());
  return v;
}

absl::StatusOr<OperatorId> ReadOperatorId(der::Reader& r) {
  OperatorId v;
  ASSIGN_OR_RETURN(v.mcc_mnc,
                   internal::ReadOctets(r, ContextTag(0), "mccMnc", 3, 3));
  ASSIGN_OR_RETURN(v.gid1,
                   internal::ReadOptionalOctets(r, ContextTag(1), "gid1"));
  ASSIGN_OR_RETURN(v.gid2,
                   internal::ReadOptionalOctets(r, ContextTag(2), "gid2"));
  RETURN_IF_ERROR(r.FinishExtensible().status());
  return v;
}

absl::StatusOr<StoreMetadataRequest> ReadStoreMetadataRequest(der::Reader& r) {
  StoreMetadataRequest v;
  ASSIGN_OR_RETURN(v.iccid, internal::ReadOctets(r, tags::kIccid, "iccid",
                                                 kIccidSize, kIccidSize));
  ASSIGN_OR_RETURN(
      v.service_provider_name,
      internal::ReadUtf8(r, ContextTag(17), "serviceProviderName", 32));
  ASSIGN_OR_RETURN(v.profile_name,
                   internal::ReadUtf8(r, ContextTag(18), "profileName", 64));
  ASSIGN_OR_RETURN(
      std::optional<int64_t> icon_type,
      internal::ReadOptionalInteger(r, ContextTag(19), "iconType"));
  if (icon_type) v.icon_type = static_cast<IconType>(*icon_type);
  ASSIGN_OR_RETURN(
      v.icon, internal::ReadOptionalOctets(r, ContextTag(20), "icon", 0, 1024));
  ASSIGN_OR_RETURN(
      std::optional<int64_t> profile_class,
      internal::ReadOptionalInteger(r, ContextTag(21), "profileClass"));
  if (profile_class)
    v.profile_class = static_cast<ProfileClass>(*profile_class);
  ASSIGN_OR_RETURN(std::optional<der::Tlv> nci,
                   r.Optional(ContextTag(22, true)));
  if (nci) {
    ASSIGN_OR_RETURN(der::Reader list,
                     r.Child(*nci, "notificationConfigurationInfo"));
    std::vector<NotificationConfigurationInformation> infos;
    while (!list.AtEnd()) {
      ASSIGN_OR_RETURN(
          der::Tlv item,
          list.Next(der::kSequence, "NotificationConfigurationInformation"));
      ASSIGN_OR_RETURN(
          der::Reader c,
          list.Child(item, "NotificationConfigurationInformation"));
      ASSIGN_OR_RETURN(NotificationConfigurationInformation info,
                       ReadNotificationConfig(c));
      infos.push_back(std::move(info));
    }
    v.notification_configuration_info = std::move(infos);
  }
  ASSIGN_OR_RETURN(std::optional<der::Tlv> owner,
                   r.Optional(ContextTag(23, true)));
  if (owner) {
    ASSIGN_OR_RETURN(der::Reader c, r.Child(*owner, "profileOwner"));
    ASSIGN_OR_RETURN(v.profile_owner, ReadOperatorId(c));
  }
  ASSIGN_OR_RETURN(
      v.profile_policy_rules,
      internal::ReadOptionalBits(r, ContextTag(25), "profilePolicyRules"));
  ASSIGN_OR_RETURN(std::vector<der::Tlv> extensions, r.FinishExtensible());
  for (const der::Tlv& t : extensions) v.extensions.emplace_back(t.raw);
  return v;
}

absl::StatusOr<SmdpSigned2> ReadSmdpSigned2(der::Reader& r) {
  SmdpSigned2 v;
  ASSIGN_OR_RETURN(v.transaction_id, internal::ReadTransactionId(
                                         r, ContextTag(0), "transactionId"));
  ASSIGN_OR_RETURN(v.cc_required_flag,
                   internal::ReadBoolean(r, der::kBoolean, "ccRequiredFlag"));
  ASSIGN_OR_RETURN(v.bpp_euicc_otpk, internal::ReadOptionalOctets(
                                         r, tags::kOtpk, "bppEuiccOtpk", 1));
  RETURN_IF_ERROR(r.FinishExtensible().status());
  return v;
}

void WriteSmdpSigned2(const SmdpSigned2& v, der::Writer& w) {
  w.Constructed(der::kSequence, [&](der::Writer& w) {
    w.Add(ContextTag(0), v.transaction_id);
    w.AddBoolean(v.cc_required_flag);
    if (v.bpp_euicc_otpk) w.Add(tags::kOtpk, *v.bpp_euicc_otpk);
  });
}

absl::StatusOr<PrepareDownloadRequest> ReadPrepareDownloadRequest(
    der::Reader& r) {
  PrepareDownloadRequest v;
  ASSIGN_OR_RETURN(v.smdp_signed2, internal::ReadSignedPart<SmdpSigned2>(
                                       r, der::kSequence, "smdpSigned2",
                                       "SmdpSigned2", ReadSmdpSigned2));
  ASSIGN_OR_RETURN(v.smdp_signature2,
                   internal::ReadSignature(r, "smdpSignature2"));
  ASSIGN_OR_RETURN(v.hash_cc,
                   internal::ReadOptionalOctets(r, der::kOctetString, "hashCc",
                                                kHashCcSize, kHashCcSize));
  ASSIGN_OR_RETURN(v.smdp_certificate,
                   internal::ReadCertificate(r, "smdpCertificate"));
  RETURN_IF_ERROR(r.FinishExtensible().status());
  return v;
}

absl::StatusOr<EuiccSigned2> ReadEuiccSigned2(der::Reader& r) {
  EuiccSigned2 v;
  ASSIGN_OR_RETURN(v.transaction_id, internal::ReadTransactionId(
                                         r, ContextTag(0), "transactionId"));
  ASSIGN_OR_RETURN(v.euicc_otpk,
                   internal::ReadOctets(r, tags::kOtpk, "euiccOtpk", 1));
  ASSIGN_OR_RETURN(v.hash_cc,
                   internal::ReadOptionalOctets(r, der::kOctetString, "hashCc",
                                                kHashCcSize, kHashCcSize));
  RETURN_IF_ERROR(r.FinishExtensible().status());
  return v;
}

void WriteEuiccSigned2(const EuiccSigned2& v, der::Writer& w) {
  w.Constructed(der::kSequence, [&](der::Writer& w) {
    w.Add(ContextTag(0), v.transaction_id);
    w.Add(tags::kOtpk, v.euicc_otpk);
    if (v.hash_cc) w.Add(der::kOctetString, *v.hash_cc);
  });
}

absl::StatusOr<PrepareDownloadResponse> ReadPrepareDownloadResponse(
    der::Reader& r) {
  ASSIGN_OR_RETURN(der::Tag tag, r.PeekTag());
  PrepareDownloadResponse v;
  if (tag == ContextTag(0, true)) {
    ASSIGN_OR_RETURN(der::Reader c, r.Enter(tag, "downloadResponseOk"));
    PrepareDownloadResponseOk ok;
    ASSIGN_OR_RETURN(ok.euicc_signed2, internal::ReadSignedPart<EuiccSigned2>(
                                           c, der::kSequence, "euiccSigned2",
                                           "EUICCSigned2", ReadEuiccSigned2));
    ASSIGN_OR_RETURN(ok.euicc_signature2,
                     internal::ReadSignature(c, "euiccSignature2"));
    RETURN_IF_ERROR(c.FinishExtensible().status());
    v.result = std::move(ok);
  } else if (tag == ContextTag(1, true)) {
    ASSIGN_OR_RETURN(der::Reader c, r.Enter(tag, "downloadResponseError"));
    PrepareDownloadResponseError error;
    ASSIGN_OR_RETURN(
        error.transaction_id,
        internal::ReadTransactionId(c, ContextTag(0), "transactionId"));
    ASSIGN_OR_RETURN(int64_t code, internal::ReadInteger(c, der::kInteger,
                                                         "downloadErrorCode"));
    error.download_error_code = static_cast<DownloadErrorCode>(code);
    RETURN_IF_ERROR(c.FinishExtensible().status());
    v.result = std::move(error);
  } else {
    return r.FieldError(
        "", absl::StrCat("unknown CHOICE alternative ", der::TagToString(tag)));
  }
  RETURN_IF_ERROR(r.Finish());
  return v;
}

}  // namespace

// --- StoreMetadataRequest -----------------------------------------------

std::string StoreMetadataRequest::Encode() const {
  der::Writer w;
  w.Constructed(tags::kStoreMetadata, [&](der::Writer& w) {
    w.Add(tags::kIccid, iccid);
    w.Add(ContextTag(17), service_provider_name);
    w.Add(ContextTag(18), profile_name);
    if (icon_type)
      w.AddInteger(static_cast<int64_t>(*icon_type), ContextTag(19));
    if (icon) w.Add(ContextTag(20), *icon);
    if (profile_class) {
      w.AddInteger(static_cast<int64_t>(*profile_class), ContextTag(21));
    }
    if (notification_configuration_info) {
      w.Constructed(ContextTag(22, true), [&](der::Writer& w) {
        for (const NotificationConfigurationInformation& info :
             *notification_configuration_info) {
          w.Constructed(der::kSequence, [&](der::Writer& w) {
            w.Add(ContextTag(0), info.profile_management_operation.Encode());
            w.Add(ContextTag(1), info.notification_address);
          });
        }
      });
    }
    if (profile_owner) {
      w.Constructed(ContextTag(23, true), [&](der::Writer& w) {
        w.Add(ContextTag(0), profile_owner->mcc_mnc);
        if (profile_owner->gid1) w.Add(ContextTag(1), *profile_owner->gid1);
        if (profile_owner->gid2) w.Add(ContextTag(2), *profile_owner->gid2);
      });
    }
    if (profile_policy_rules) {
      w.Add(ContextTag(25), profile_policy_rules->Encode());
    }
    for (const std::string& e : extensions) w.AddRaw(e);
  });
  return std::move(w).Finish();
}

absl::StatusOr<StoreMetadataRequest> StoreMetadataRequest::Decode(
    absl::string_view der) {
  return internal::DecodeMessage<StoreMetadataRequest>(
      der, tags::kStoreMetadata, "StoreMetadataRequest",
      ReadStoreMetadataRequest);
}

// --- SmdpSigned2 --------------------------------------------------------

std::string SmdpSigned2::Encode() const {
  der::Writer w;
  WriteSmdpSigned2(*this, w);
  return std::move(w).Finish();
}

absl::StatusOr<SmdpSigned2> SmdpSigned2::Decode(absl::string_view der) {
  return internal::DecodeMessage<SmdpSigned2>(der, der::kSequence,
                                              "SmdpSigned2", ReadSmdpSigned2);
}

// --- PrepareDownloadRequest ---------------------------------------------

std::string PrepareDownloadRequest::Encode() const {
  der::Writer w;
  w.Constructed(tags::kPrepareDownload, [&](der::Writer& w) {
    w.AddRaw(smdp_signed2.der);
    w.Add(tags::kSignature, smdp_signature2);
    if (hash_cc) w.Add(der::kOctetString, *hash_cc);
    w.AddRaw(smdp_certificate);
  });
  return std::move(w).Finish();
}

absl::StatusOr<PrepareDownloadRequest> PrepareDownloadRequest::Decode(
    absl::string_view der) {
  return internal::DecodeMessage<PrepareDownloadRequest>(
      der, tags::kPrepareDownload, "PrepareDownloadRequest",
      ReadPrepareDownloadRequest);
}

// --- EuiccSigned2 -------------------------------------------------------

std::string EuiccSigned2::Encode() const {
  der::Writer w;
  WriteEuiccSigned2(*this, w);
  return std::move(w).Finish();
}

absl::StatusOr<EuiccSigned2> EuiccSigned2::Decode(absl::string_view der) {
  return internal::DecodeMessage<EuiccSigned2>(
      der, der::kSequence, "EUICCSigned2", ReadEuiccSigned2);
}

// --- PrepareDownloadResponse --------------------------------------------

std::string PrepareDownloadResponse::Encode() const {
  der::Writer w;
  w.Constructed(tags::kPrepareDownload, [&](der::Writer& w) {
    if (const auto* ok = std::get_if<PrepareDownloadResponseOk>(&result)) {
      w.Constructed(ContextTag(0, true), [&](der::Writer& w) {
        w.AddRaw(ok->euicc_signed2.der);
        w.Add(tags::kSignature, ok->euicc_signature2);
      });
    } else {
      const auto& error = std::get<PrepareDownloadResponseError>(result);
      w.Constructed(ContextTag(1, true), [&](der::Writer& w) {
        w.Add(ContextTag(0), error.transaction_id);
        w.AddInteger(static_cast<int64_t>(error.download_error_code));
      });
    }
  });
  return std::move(w).Finish();
}

absl::StatusOr<PrepareDownloadResponse> PrepareDownloadResponse::Decode(
    absl::string_view der) {
  return internal::DecodeMessage<PrepareDownloadResponse>(
      der, tags::kPrepareDownload, "PrepareDownloadResponse",
      ReadPrepareDownloadResponse);
}

}  // namespace smdp::sgp22
