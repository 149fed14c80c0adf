// The GSMA function execution errors of ES9+ and ES2+ (SGP.22 subject and
// reason codes), kept in one table, and their attachment to absl::Status.
//
// Lower layers (auth, download, order) fail with an ordinary absl::Status
// that carries a GsmaError as a payload; the ES9+/ES2+ edge reads it back and
// answers `functionExecutionStatus` with the subject and reason codes from
// the table. A status without a GsmaError is an internal failure of the
// server, not something to explain to the caller with a GSMA code.
//
//   // In smdp/auth:
//   return GsmaErrorStatus(GsmaError::kEuiccCertificateExpired,
//                          "eUICC certificate expired at 2024-01-01");
//   // At the edge:
//   if (std::optional<GsmaError> e = GetGsmaError(status)) {
//     const GsmaCode& code = GetGsmaCode(*e);
//     // statusCodeData{subjectCode: code.subject_code,
//     //                reasonCode: code.reason_code, message: ...}
//   }
//
// The subject codes name what failed (8.1.3 "eUICC Certificate"), the
// reason codes why (6.3 "Expired"). Reason codes used here: 1.2 not allowed,
// 2.2 mandatory element missing, 3.1 unsupported, 3.3 already in use, 3.5
// invalid transition, 3.7 unavailable, 3.8 refused, 3.9 unknown, 3.10
// invalid association, 4.2 execution error, 4.3 stopped on warning, 4.10
// time to live expired, 5.1 inaccessible, 6.1 verification failed, 6.3
// expired, 6.4 maximum number of retries exceeded.
//
// Generic codes (SGP.22 "common status codes"): subject 1.1 function
// requester, 1.6 function; reason 1.1 unknown, 1.2 not allowed, 2.1 invalid,
// 2.2 mandatory element missing, 2.3 conditional element missing.
//
// Where SGP.22 and open implementations disagree, the table follows
// ../shared/DESIGN.md ("Error answers"). Notably, an EID outside the EUM's
// permitted range is kEuiccCertificateInvalid (8.1.3/6.1), as SGP.22 v2.x
// words it ("eUICC Certificate - Verification failed"); osmo-smdpp answers
// 8.1.4/6.1, which is in no SGP.22 table.
//
// Thread-safety: everything here is a pure function or immutable data.
#ifndef SMDP_SMDP_COMMON_GSMA_STATUS_H_
#define SMDP_SMDP_COMMON_GSMA_STATUS_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace smdp {

// One GSMA function execution error: one condition, one subject/reason pair
// (no two entries share a pair). The comment of each gives the codes.
enum class GsmaError {
  // ---- ES9+ (and the eUICC-facing checks behind it) ----
  kInvalidSmdpAddress,       // 8.8.1 / 3.8  InitiateAuthentication
  kUnsupportedCiKey,         // 8.8.2 / 3.1  no usable euiccCiPKId for signing
  kUnsupportedSvn,           // 8.8.3 / 3.1  specification version number
  kNoDpAuthCertificate,      // 8.8.4 / 3.7  no CERT.DPauth for the eUICC's CIs
  kEumCertificateInvalid,    // 8.1.2 / 6.1
  kEumCertificateExpired,    // 8.1.2 / 6.3
  kEuiccCertificateInvalid,  // 8.1.3 / 6.1  includes an EID out of range
  kEuiccCertificateExpired,  // 8.1.3 / 6.3
  kEuiccSignatureInvalid,    // 8.1 / 6.1    euiccSignature1/2, notifications
  kUnknownCiKey,             // 8.11.1 / 3.9 the chain's CI is not trusted
  kUnknownTransactionId,     // 8.10.1 / 3.9
  kEidRefused,               // 8.1.1 / 3.8  order bound to another EID
  kMatchingIdRefused,        // 8.2.6 / 3.8
  kProfileNotReleased,       // 8.2 / 1.2
  kNoEligibleProfile,        // 8.2.5 / 4.3
  kConfirmationCodeMissing,  // 8.2.7 / 2.2
  kConfirmationCodeRefused,  // 8.2.7 / 3.8
  kConfirmationCodeRetriesExceeded,  // 8.2.7 / 6.4
  kDownloadOrderExpired,             // 8.8.5 / 4.10
  kDownloadRetriesExceeded,          // 8.8.5 / 6.4
  kBppUnavailable,                   // 8.2 / 3.7 no new binding possible
  kInvalidSmdpOid,                   // 8.8 / 3.10 CancelSession smdpOid
  // ---- ES2+ ----
  kEidMissing,              // 8.1.1 / 2.2
  kEidAlreadyBound,         // 8.1.1 / 3.1  another EID already bound
  kEidMismatch,             // 8.1.1 / 3.10 EID not the order's (Confirm,
                            //              CancelOrder)
  kIccidNotAllowed,         // 8.2.1 / 1.2
  kIccidUnavailable,        // 8.2.1 / 3.3  ICCID not available
  kProfileNotReleasable,    // 8.2.1 / 3.5  invalid transition (state)
  kIccidUnknown,            // 8.2.1 / 3.9
  kProfileTypeNotAllowed,   // 8.2.5 / 1.2
  kProfileTypeUnavailable,  // 8.2.5 / 3.7  no more profiles of this type
  kProfileTypeMismatch,     // 8.2.5 / 3.8  type does not match the ICCID
  kProfileTypeUnknown,      // 8.2.5 / 3.9
  kMatchingIdAlreadyBound,  // 8.2.6 / 3.1  another matchingId bound
  kMatchingIdConflict,      // 8.2.6 / 3.3  matchingId already in use
  kMatchingIdMismatch,      // 8.2.6 / 3.10 matchingId not the order's
  kSmdsExecutionError,      // 8.9 / 4.2
  kSmdsInaccessible,        // 8.9 / 5.1
  // ---- Generic (SGP.22 common status codes) ----
  // An input is invalid: a body that is not a JSON object, or a field of the
  // wrong format (the message names it). 1.6 "Function", 2.1 "Invalid".
  kMalformedRequest,  // 1.6 / 2.1
  // A mandatory input is missing (the message names it).
  kMandatoryElementMissing,  // 1.6 / 2.2
  // A conditional input is missing (e.g. neither iccid nor profileType).
  kConditionalElementMissing,  // 1.6 / 2.3
  // The caller is not known (no or unknown client certificate, requester
  // identifier).
  kFunctionRequesterUnknown,  // 1.1 / 1.1
  // The caller is known but may not call this function.
  kFunctionRequesterNotAllowed,  // 1.1 / 1.2
};

// The table entry of a GsmaError.
struct GsmaCode {
  // The enumerator's name without the leading 'k' ("EuiccCertificateExpired").
  absl::string_view name;
  // "8.1.3", as statusCodeData.subjectCode carries it.
  absl::string_view subject_code;
  // "6.3", as statusCodeData.reasonCode carries it.
  absl::string_view reason_code;
  // The SGP.22 wording, "<subject> - <reason>" ("eUICC Certificate -
  // Expired"), usable as statusCodeData.message.
  absl::string_view description;
  // The absl::StatusCode GsmaErrorStatus(error, message) uses.
  absl::StatusCode status_code;
};

// The table entry of `error`.
const GsmaCode& GetGsmaCode(GsmaError error);

// Every GsmaError, in declaration order.
absl::Span<const GsmaError> AllGsmaErrors();

// The GsmaError with this subject and reason code, if any.
std::optional<GsmaError> FindGsmaError(absl::string_view subject_code,
                                       absl::string_view reason_code);

// "8.1.3/6.3 eUICC Certificate - Expired".
std::string GsmaErrorToString(GsmaError error);

// The payload type URL under which a GsmaError is attached to a status. Its
// value is "<subject>/<reason>" ("8.1.3/6.3").
inline constexpr absl::string_view kGsmaErrorPayloadUrl =
    "type.smdp.dev/smdp.GsmaError";

// A status with `code` and `message` that carries `error`. `code` must not
// be kOk (kInternal is used instead).
[[nodiscard]] absl::Status GsmaErrorStatus(GsmaError error,
                                           absl::StatusCode code,
                                           absl::string_view message);

// Same, with the table's status code for `error`.
[[nodiscard]] absl::Status GsmaErrorStatus(GsmaError error,
                                           absl::string_view message);

// `status` with `error` attached (replacing any GsmaError it had). An OK
// status stays OK and carries nothing.
[[nodiscard]] absl::Status AttachGsmaError(absl::Status status,
                                           GsmaError error);

// The GsmaError `status` carries; nullopt when it carries none (or an OK
// status, or a payload that names no table entry).
std::optional<GsmaError> GetGsmaError(const absl::Status& status);

}  // namespace smdp

#endif  // SMDP_SMDP_COMMON_GSMA_STATUS_H_
