// What the eUICC reports back: notifications (ES9+.HandleNotification:
// ProfileInstallationResult or another signed notification) and the signed
// answer to a cancelled session (ES9+.CancelSession).
//
//   ASSIGN_OR_RETURN(PendingNotification n, PendingNotification::Decode(der));
//   if (auto* pir = std::get_if<ProfileInstallationResult>(&n.notification)) {
//     // verify pir->euicc_sign_pir over pir->data.der with the eUICC key
//     // kept from the session (a ProfileInstallationResult carries no
//     // certificate)
//     bool ok = std::holds_alternative<SuccessResult>(
//         pir->data.value.final_result);
//   }
//
// See types.h for what Encode()/Decode() guarantee.
#ifndef SMDP_SGP22_NOTIFICATION_H_
#define SMDP_SGP22_NOTIFICATION_H_

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "sgp22/der.h"
#include "sgp22/types.h"

namespace smdp::sgp22 {

// NotificationMetadata ::= [47] SEQUENCE, tag BF2F.
struct NotificationMetadata {
  int64_t seq_number = 0;  // [0] INTEGER
  // [1] profileManagementOperation: NotificationEvent bits, one set.
  der::BitString profile_management_operation;
  std::string notification_address;  // UTF8String (0C): FQDN
  std::optional<std::string> iccid;  // 5A, 10 bytes

  // The single NotificationEvent set in profile_management_operation, or
  // nullopt when none or several bits are set.
  std::optional<NotificationEvent> Event() const;

  std::string Encode() const;
  [[nodiscard]] static absl::StatusOr<NotificationMetadata> Decode(
      absl::string_view der);

  friend bool operator==(const NotificationMetadata&,
                         const NotificationMetadata&) = default;
};

// SuccessResult ::= SEQUENCE ([0] of finalResult, tag A0).
struct SuccessResult {
  std::string aid;            // 4F, 5..16 bytes: AID of the ISD-P
  std::string sima_response;  // 04: EUICCResponse(s)

  friend bool operator==(const SuccessResult&, const SuccessResult&) = default;
};

// ErrorResult ::= SEQUENCE ([1] of finalResult, tag A1).
struct ErrorResult {
  BppCommandId bpp_command_id = BppCommandId::kInitialiseSecureChannel;  // [0]
  ErrorReason error_reason =
      ErrorReason::kInstallFailedDueToUnknownError;  // [1]
  std::optional<std::string> sima_response;          // [2]

  friend bool operator==(const ErrorResult&, const ErrorResult&) = default;
};

// ProfileInstallationResultData ::= [39] SEQUENCE, tag BF27.
struct ProfileInstallationResultData {
  std::string transaction_id;                  // [0] 1..16 bytes
  NotificationMetadata notification_metadata;  // [47] BF2F
  // OBJECT IDENTIFIER (06): the SM-DP+ OID; mandatory since v2.1, optional
  // in v2.0, so accepted as absent.
  std::optional<der::Oid> smdp_oid;
  // [2] finalResult CHOICE (tag A2).
  std::variant<SuccessResult, ErrorResult> final_result;

  std::string Encode() const;
  [[nodiscard]] static absl::StatusOr<ProfileInstallationResultData> Decode(
      absl::string_view der);

  friend bool operator==(const ProfileInstallationResultData&,
                         const ProfileInstallationResultData&) = default;
};

// ProfileInstallationResult ::= [55] SEQUENCE, tag BF37.
struct ProfileInstallationResult {
  SignedPart<ProfileInstallationResultData> data;
  std::string euicc_sign_pir;  // 5F37, 64 bytes r||s over data.der

  std::string Encode() const;
  [[nodiscard]] static absl::StatusOr<ProfileInstallationResult> Decode(
      absl::string_view der);

  friend bool operator==(const ProfileInstallationResult&,
                         const ProfileInstallationResult&) = default;
};

// OtherSignedNotification ::= SEQUENCE (tag 30): enable, disable, delete.
struct OtherSignedNotification {
  SignedPart<NotificationMetadata> tbs_other_notification;
  // 5F37, 64 bytes r||s over tbs_other_notification.der.
  std::string euicc_notification_signature;
  std::string euicc_certificate;  // CERT.EUICC, whole DER
  std::string eum_certificate;    // CERT.EUM (v3: nextCertInChain)
  // v3 otherCertsInChain [1] (tag A1).
  std::vector<std::string> other_certs_in_chain;

  std::string Encode() const;
  [[nodiscard]] static absl::StatusOr<OtherSignedNotification> Decode(
      absl::string_view der);

  friend bool operator==(const OtherSignedNotification&,
                         const OtherSignedNotification&) = default;
};

// PendingNotification ::= CHOICE { BF37 | 30 }: the pendingNotification of
// ES9+.HandleNotification.
struct PendingNotification {
  std::variant<ProfileInstallationResult, OtherSignedNotification> notification;

  std::string Encode() const;
  [[nodiscard]] static absl::StatusOr<PendingNotification> Decode(
      absl::string_view der);

  friend bool operator==(const PendingNotification&,
                         const PendingNotification&) = default;
};

// EuiccCancelSessionSigned ::= SEQUENCE (tag 30), signed by the eUICC.
struct EuiccCancelSessionSigned {
  std::string transaction_id;  // [0] 1..16 bytes
  der::Oid smdp_oid;           // [1] the SM-DP+ OID of CERT.DPauth
  CancelSessionReason reason = CancelSessionReason::kUndefinedReason;  // [2]

  std::string Encode() const;
  [[nodiscard]] static absl::StatusOr<EuiccCancelSessionSigned> Decode(
      absl::string_view der);

  friend bool operator==(const EuiccCancelSessionSigned&,
                         const EuiccCancelSessionSigned&) = default;
};

// CancelSessionResponseOk ::= SEQUENCE ([0], tag A0).
struct CancelSessionResponseOk {
  SignedPart<EuiccCancelSessionSigned> euicc_cancel_session_signed;
  // 5F37, 64 bytes r||s over euicc_cancel_session_signed.der.
  std::string euicc_cancel_session_signature;

  friend bool operator==(const CancelSessionResponseOk&,
                         const CancelSessionResponseOk&) = default;
};

// CancelSessionResponse ::= [65] CHOICE, tag BF41; the error alternative is
// an INTEGER [1] (tag 81).
struct CancelSessionResponse {
  std::variant<CancelSessionResponseOk, CancelSessionError> result;

  std::string Encode() const;
  [[nodiscard]] static absl::StatusOr<CancelSessionResponse> Decode(
      absl::string_view der);

  friend bool operator==(const CancelSessionResponse&,
                         const CancelSessionResponse&) = default;
};

}  // namespace smdp::sgp22

#endif  // SMDP_SGP22_NOTIFICATION_H_
