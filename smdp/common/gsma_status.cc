#include "smdp/common/gsma_status.h"

#include <array>
#include <cstddef>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"

namespace smdp {
namespace {

using Code = absl::StatusCode;

// Indexed by GsmaError; the order must follow the enum (checked below and
// by the unit test).
constexpr GsmaCode kTable[] = {
    // ---- ES9+ ----
    {"InvalidSmdpAddress", "8.8.1", "3.8", "SM-DP+ Address - Refused",
     Code::kInvalidArgument},
    {"UnsupportedCiKey", "8.8.2", "3.1",
     "Security configuration - Unsupported: none of the proposed CI Public "
     "Key Identifiers is supported by the SM-DP+",
     Code::kFailedPrecondition},
    {"UnsupportedSvn", "8.8.3", "3.1",
     "Specification Version Number - Unsupported", Code::kFailedPrecondition},
    {"NoDpAuthCertificate", "8.8.4", "3.7",
     "Certificate - Unavailable: the SM-DP+ has no CERT.DPauth chaining to a "
     "CI the eUICC can verify",
     Code::kFailedPrecondition},
    {"EumCertificateInvalid", "8.1.2", "6.1",
     "EUM Certificate - Verification failed", Code::kUnauthenticated},
    {"EumCertificateExpired", "8.1.2", "6.3", "EUM Certificate - Expired",
     Code::kUnauthenticated},
    {"EuiccCertificateInvalid", "8.1.3", "6.1",
     "eUICC Certificate - Verification failed", Code::kUnauthenticated},
    {"EuiccCertificateExpired", "8.1.3", "6.3", "eUICC Certificate - Expired",
     Code::kUnauthenticated},
    {"EuiccSignatureInvalid", "8.1", "6.1", "eUICC - Verification failed",
     Code::kUnauthenticated},
    {"UnknownCiKey", "8.11.1", "3.9", "CI Public Key - Unknown",
     Code::kUnauthenticated},
    {"UnknownTransactionId", "8.10.1", "3.9", "TransactionId - Unknown",
     Code::kNotFound},
    {"EidRefused", "8.1.1", "3.8", "EID - Refused", Code::kPermissionDenied},
    {"MatchingIdRefused", "8.2.6", "3.8", "Matching ID - Refused",
     Code::kPermissionDenied},
    {"ProfileNotReleased", "8.2", "1.2",
     "Profile - Not allowed: the profile has not been released",
     Code::kFailedPrecondition},
    {"NoEligibleProfile", "8.2.5", "4.3",
     "Profile Type - Stopped on warning: no eligible profile for this eUICC "
     "and device",
     Code::kFailedPrecondition},
    {"ConfirmationCodeMissing", "8.2.7", "2.2",
     "Confirmation Code - Mandatory element missing", Code::kInvalidArgument},
    {"ConfirmationCodeRefused", "8.2.7", "3.8", "Confirmation Code - Refused",
     Code::kPermissionDenied},
    {"ConfirmationCodeRetriesExceeded", "8.2.7", "6.4",
     "Confirmation Code - Maximum number of retries exceeded",
     Code::kResourceExhausted},
    {"DownloadOrderExpired", "8.8.5", "4.10",
     "Download order - Time to live expired", Code::kFailedPrecondition},
    {"DownloadRetriesExceeded", "8.8.5", "6.4",
     "Download order - Maximum number of retries exceeded",
     Code::kResourceExhausted},
    {"BppUnavailable", "8.2", "3.7",
     "BPP - Unavailable: the profile cannot be bound again",
     Code::kFailedPrecondition},
    {"InvalidSmdpOid", "8.8", "3.10", "SM-DP+ - Invalid association (OID)",
     Code::kInvalidArgument},
    // ---- ES2+ ----
    {"EidMissing", "8.1.1", "2.2", "EID - Mandatory element missing",
     Code::kInvalidArgument},
    {"EidAlreadyBound", "8.1.1", "3.1",
     "EID - Unsupported: another EID is already bound to the profile",
     Code::kFailedPrecondition},
    {"EidMismatch", "8.1.1", "3.10",
     "EID - Invalid association: not the EID of the order",
     Code::kFailedPrecondition},
    {"IccidNotAllowed", "8.2.1", "1.2", "Profile ICCID - Not allowed",
     Code::kPermissionDenied},
    {"IccidUnavailable", "8.2.1", "3.3", "Profile ICCID - Already in use",
     Code::kFailedPrecondition},
    {"ProfileNotReleasable", "8.2.1", "3.5",
     "Profile ICCID - Invalid transition: not possible in the profile's "
     "state",
     Code::kFailedPrecondition},
    {"IccidUnknown", "8.2.1", "3.9", "Profile ICCID - Unknown",
     Code::kNotFound},
    {"ProfileTypeNotAllowed", "8.2.5", "1.2", "Profile Type - Not allowed",
     Code::kPermissionDenied},
    {"ProfileTypeUnavailable", "8.2.5", "3.7",
     "Profile Type - Unavailable: no more profiles of this type",
     Code::kFailedPrecondition},
    {"ProfileTypeMismatch", "8.2.5", "3.8",
     "Profile Type - Refused: the type does not match the ICCID",
     Code::kInvalidArgument},
    {"ProfileTypeUnknown", "8.2.5", "3.9", "Profile Type - Unknown",
     Code::kNotFound},
    {"MatchingIdAlreadyBound", "8.2.6", "3.1",
     "Matching ID - Unsupported: another matching ID is already bound",
     Code::kFailedPrecondition},
    {"MatchingIdConflict", "8.2.6", "3.3", "Matching ID - Already in use",
     Code::kAlreadyExists},
    {"MatchingIdMismatch", "8.2.6", "3.10",
     "Matching ID - Invalid association: not the matchingId of the order",
     Code::kFailedPrecondition},
    {"SmdsExecutionError", "8.9", "4.2", "SM-DS - Execution error",
     Code::kUnavailable},
    {"SmdsInaccessible", "8.9", "5.1", "SM-DS - Inaccessible",
     Code::kUnavailable},
    // ---- Generic ----
    {"MalformedRequest", "1.6", "2.1",
     "Function - Invalid: an input is not in the expected format",
     Code::kInvalidArgument},
    {"MandatoryElementMissing", "1.6", "2.2",
     "Function - Mandatory element missing", Code::kInvalidArgument},
    {"ConditionalElementMissing", "1.6", "2.3",
     "Function - Conditional element missing", Code::kInvalidArgument},
    {"FunctionRequesterUnknown", "1.1", "1.1", "Function requester - Unknown",
     Code::kUnauthenticated},
    {"FunctionRequesterNotAllowed", "1.1", "1.2",
     "Function requester - Not allowed", Code::kPermissionDenied},
};

constexpr size_t kCount = sizeof(kTable) / sizeof(kTable[0]);
static_assert(static_cast<size_t>(GsmaError::kFunctionRequesterNotAllowed) +
                      1 ==
                  kCount,
              "kTable must have one entry per GsmaError, in enum order");

constexpr std::array<GsmaError, kCount> MakeAll() {
  std::array<GsmaError, kCount> all{};
  for (size_t i = 0; i < kCount; ++i) all[i] = static_cast<GsmaError>(i);
  return all;
}
constexpr std::array<GsmaError, kCount> kAll = MakeAll();

}  // namespace

const GsmaCode& GetGsmaCode(GsmaError error) {
  const size_t index = static_cast<size_t>(error);
  // An out-of-range value can only come from a cast; answer the most generic
  // verification failure rather than read past the table.
  return index < kCount
             ? kTable[index]
             : kTable[static_cast<size_t>(GsmaError::kEuiccSignatureInvalid)];
}

absl::Span<const GsmaError> AllGsmaErrors() { return kAll; }

std::optional<GsmaError> FindGsmaError(absl::string_view subject_code,
                                       absl::string_view reason_code) {
  for (size_t i = 0; i < kCount; ++i) {
    if (kTable[i].subject_code == subject_code &&
        kTable[i].reason_code == reason_code) {
      return static_cast<GsmaError>(i);
    }
  }
  return std::nullopt;
}

std::string GsmaErrorToString(GsmaError error) {
  const GsmaCode& code = GetGsmaCode(error);
  return absl::StrCat(code.subject_code, "/", code.reason_code, " ",
                      code.description);
}

absl::Status GsmaErrorStatus(GsmaError error, absl::StatusCode code,
                             absl::string_view message) {
  if (code == absl::StatusCode::kOk) code = absl::StatusCode::kInternal;
  return AttachGsmaError(absl::Status(code, message), error);
}

absl::Status GsmaErrorStatus(GsmaError error, absl::string_view message) {
  return GsmaErrorStatus(error, GetGsmaCode(error).status_code, message);
}

absl::Status AttachGsmaError(absl::Status status, GsmaError error) {
  if (status.ok()) return status;
  const GsmaCode& code = GetGsmaCode(error);
  status.SetPayload(
      kGsmaErrorPayloadUrl,
      absl::Cord(absl::StrCat(code.subject_code, "/", code.reason_code)));
  return status;
}

std::optional<GsmaError> GetGsmaError(const absl::Status& status) {
  if (status.ok()) return std::nullopt;
  auto payload = status.GetPayload(kGsmaErrorPayloadUrl);
  if (!payload.has_value()) return std::nullopt;
  const std::string text(*payload);
  const size_t slash = text.find('/');
  if (slash == std::string::npos) return std::nullopt;
  return FindGsmaError(absl::string_view(text).substr(0, slash),
                       absl::string_view(text).substr(slash + 1));
}

}  // namespace smdp
