#include "sgp22/types.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace smdp::sgp22 {

std::string VersionType::Encode() const {
  return std::string{static_cast<char>(major), static_cast<char>(minor),
                     static_cast<char>(revision)};
}

absl::StatusOr<VersionType> VersionType::FromBytes(absl::string_view bytes) {
  if (bytes.size() != 3) {
    return absl::InvalidArgumentError(
        absl::StrCat("VersionType is 3 bytes, got ", bytes.size()));
  }
  return VersionType{static_cast<uint8_t>(bytes[0]),
                     static_cast<uint8_t>(bytes[1]),
                     static_cast<uint8_t>(bytes[2])};
}

std::string VersionType::ToString() const {
  return absl::StrCat(major, ".", minor, ".", revision);
}

std::string EncodeSignatureTlv(absl::string_view r_s) {
  return der::EncodeTlv(tags::kSignature, r_s);
}

absl::StatusOr<std::string> DecodeSignatureTlv(absl::string_view der) {
  absl::StatusOr<der::Tlv> tlv =
      der::ParseSingleTlv(der, tags::kSignature, "signature");
  if (!tlv.ok()) return tlv.status();
  if (tlv->value.size() != kSignatureSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("signature: must be ", kSignatureSize,
                     " bytes (r||s), got ", tlv->value.size()));
  }
  return std::string(tlv->value);
}

std::string EncodeSubjectKeyIdentifierTlv(absl::string_view ski) {
  return der::EncodeTlv(der::kOctetString, ski);
}

absl::StatusOr<std::string> DecodeSubjectKeyIdentifierTlv(
    absl::string_view der) {
  absl::StatusOr<der::Tlv> tlv =
      der::ParseSingleTlv(der, der::kOctetString, "SubjectKeyIdentifier");
  if (!tlv.ok()) return tlv.status();
  if (tlv->value.empty() || tlv->value.size() > 255) {
    return absl::InvalidArgumentError(absl::StrCat(
        "SubjectKeyIdentifier: must be 1..255 bytes, got ", tlv->value.size()));
  }
  return std::string(tlv->value);
}

namespace {

template <typename E>
std::string Name(E value,
                 std::initializer_list<std::pair<E, const char*>> names) {
  for (const auto& [v, name] : names) {
    if (v == value) return name;
  }
  return absl::StrCat("unknown(", static_cast<int64_t>(value), ")");
}

}  // namespace

std::string ToString(AuthenticateErrorCode code) {
  using E = AuthenticateErrorCode;
  return Name(code, {{E::kInvalidCertificate, "invalidCertificate"},
                     {E::kInvalidSignature, "invalidSignature"},
                     {E::kUnsupportedCurve, "unsupportedCurve"},
                     {E::kNoSessionContext, "noSessionContext"},
                     {E::kInvalidOid, "invalidOid"},
                     {E::kEuiccChallengeMismatch, "euiccChallengeMismatch"},
                     {E::kCiPkUnknown, "ciPKUnknown"},
                     {E::kUndefinedError, "undefinedError"}});
}

std::string ToString(DownloadErrorCode code) {
  using E = DownloadErrorCode;
  return Name(code, {{E::kInvalidCertificate, "invalidCertificate"},
                     {E::kInvalidSignature, "invalidSignature"},
                     {E::kUnsupportedCurve, "unsupportedCurve"},
                     {E::kNoSessionContext, "noSessionContext"},
                     {E::kInvalidTransactionId, "invalidTransactionId"},
                     {E::kUndefinedError, "undefinedError"}});
}

std::string ToString(CancelSessionReason reason) {
  using E = CancelSessionReason;
  return Name(reason, {{E::kEndUserRejection, "endUserRejection"},
                       {E::kPostponed, "postponed"},
                       {E::kTimeout, "timeout"},
                       {E::kPprNotAllowed, "pprNotAllowed"},
                       {E::kMetadataMismatch, "metadataMismatch"},
                       {E::kLoadBppExecutionError, "loadBppExecutionError"},
                       {E::kUndefinedReason, "undefinedReason"}});
}

std::string ToString(CancelSessionError error) {
  using E = CancelSessionError;
  return Name(error, {{E::kInvalidTransactionId, "invalidTransactionId"},
                      {E::kUndefinedError, "undefinedError"}});
}

std::string ToString(BppCommandId id) {
  using E = BppCommandId;
  return Name(id, {{E::kInitialiseSecureChannel, "initialiseSecureChannel"},
                   {E::kConfigureIsdp, "configureISDP"},
                   {E::kStoreMetadata, "storeMetadata"},
                   {E::kStoreMetadata2, "storeMetadata2"},
                   {E::kReplaceSessionKeys, "replaceSessionKeys"},
                   {E::kLoadProfileElements, "loadProfileElements"}});
}

std::string ToString(ErrorReason reason) {
  using E = ErrorReason;
  return Name(
      reason,
      {{E::kIncorrectInputValues, "incorrectInputValues"},
       {E::kInvalidSignature, "invalidSignature"},
       {E::kInvalidTransactionId, "invalidTransactionId"},
       {E::kUnsupportedCrtValues, "unsupportedCrtValues"},
       {E::kUnsupportedRemoteOperationType, "unsupportedRemoteOperationType"},
       {E::kUnsupportedProfileClass, "unsupportedProfileClass"},
       {E::kScp03tStructureError, "scp03tStructureError"},
       {E::kScp03tSecurityError, "scp03tSecurityError"},
       {E::kInstallFailedDueToIccidAlreadyExistsOnEuicc,
        "installFailedDueToIccidAlreadyExistsOnEuicc"},
       {E::kInstallFailedDueToInsufficientMemoryForProfile,
        "installFailedDueToInsufficientMemoryForProfile"},
       {E::kInstallFailedDueToInterruption, "installFailedDueToInterruption"},
       {E::kInstallFailedDueToPeProcessingError,
        "installFailedDueToPEProcessingError"},
       {E::kInstallFailedDueToDataMismatch, "installFailedDueToDataMismatch"},
       {E::kTestProfileInstallFailedDueToInvalidNaaKey,
        "testProfileInstallFailedDueToInvalidNaaKey"},
       {E::kPprNotAllowed, "pprNotAllowed"},
       {E::kInstallFailedDueToUnknownError, "installFailedDueToUnknownError"}});
}

std::string ToString(ProfileClass profile_class) {
  using E = ProfileClass;
  return Name(profile_class, {{E::kTest, "test"},
                              {E::kProvisioning, "provisioning"},
                              {E::kOperational, "operational"}});
}

}  // namespace smdp::sgp22
