// The download handshake after authentication (SGP.22 3.1.3): the profile
// metadata and smdpSigned2 the SM-DP+ sends with AuthenticateClient, the
// PrepareDownloadRequest the LPA builds from them for the eUICC, and the
// PrepareDownloadResponse the eUICC answers (sent to
// ES9+.GetBoundProfilePackage).
//
//   // GetBoundProfilePackage, server side:
//   ASSIGN_OR_RETURN(auto response, PrepareDownloadResponse::Decode(der));
//   if (auto* ok = std::get_if<PrepareDownloadResponseOk>(&response.result)) {
//     // verify ok->euicc_signature2 over
//     //   ok->euicc_signed2.der || EncodeSignatureTlv(smdp_signature2)
//     const std::string& otpk = ok->euicc_signed2.value.euicc_otpk;
//   }
//
// See types.h for what Encode()/Decode() guarantee.
#ifndef SMDP_SGP22_DOWNLOAD_H_
#define SMDP_SGP22_DOWNLOAD_H_

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "sgp22/der.h"
#include "sgp22/types.h"

namespace smdp::sgp22 {

// NotificationConfigurationInformation ::= SEQUENCE.
struct NotificationConfigurationInformation {
  // [0] profileManagementOperation: NotificationEvent bits.
  der::BitString profile_management_operation;
  // [1] notificationAddress: FQDN to send the notification to.
  std::string notification_address;

  friend bool operator==(const NotificationConfigurationInformation&,
                         const NotificationConfigurationInformation&) = default;
};

// OperatorId ::= SEQUENCE (profileOwner).
struct OperatorId {
  std::string mcc_mnc;              // [0] 3 bytes, as in 3GPP TS 24.008
  std::optional<std::string> gid1;  // [1]
  std::optional<std::string> gid2;  // [2]

  friend bool operator==(const OperatorId&, const OperatorId&) = default;
};

// StoreMetadataRequest ::= [37] SEQUENCE, tag BF25: the profile metadata
// (ES9+ profileMetadata; the eUICC receives it inside the BPP).
struct StoreMetadataRequest {
  std::string iccid;                  // 5A, 10 bytes (EF.ICCID coding)
  std::string service_provider_name;  // [17] 91, UTF8String, <= 32 bytes
  std::string profile_name;           // [18] 92, UTF8String, <= 64 bytes
  std::optional<IconType> icon_type;  // [19] 93
  std::optional<std::string> icon;    // [20] 94, <= 1024 bytes
  // [21] 95. DEFAULT operational in v2.1+: leave unset for operational
  // profiles so the DER stays canonical; an explicit value is kept.
  std::optional<ProfileClass> profile_class;
  // [22] B6.
  std::optional<std::vector<NotificationConfigurationInformation>>
      notification_configuration_info;
  std::optional<OperatorId> profile_owner;  // [23] B7
  // [25] 99: PprId bit numbers.
  std::optional<der::BitString> profile_policy_rules;
  // Fields of later versions (v3 serviceSpecificDataStoredInEuicc [34],
  // ...), whole TLVs in the order received; Encode() writes them back after
  // the fields above, so operator metadata passes through unchanged.
  std::vector<std::string> extensions;

  std::string Encode() const;
  [[nodiscard]] static absl::StatusOr<StoreMetadataRequest> Decode(
      absl::string_view der);

  friend bool operator==(const StoreMetadataRequest&,
                         const StoreMetadataRequest&) = default;
};

// SmdpSigned2 ::= SEQUENCE (tag 30), signed with SK.DPpb.
struct SmdpSigned2 {
  std::string transaction_id;     // [0] 1..16 bytes
  bool cc_required_flag = false;  // BOOLEAN
  // 5F49: otPK.EUICC.ECKA the BPP was already bound to (retries).
  std::optional<std::string> bpp_euicc_otpk;

  std::string Encode() const;
  [[nodiscard]] static absl::StatusOr<SmdpSigned2> Decode(
      absl::string_view der);

  friend bool operator==(const SmdpSigned2&, const SmdpSigned2&) = default;
};

// PrepareDownloadRequest ::= [33] SEQUENCE, tag BF21 (ES10b, LPA to eUICC).
struct PrepareDownloadRequest {
  SignedPart<SmdpSigned2> smdp_signed2;
  std::string smdp_signature2;         // 5F37, 64 bytes r||s
  std::optional<std::string> hash_cc;  // 04, 32 bytes
  std::string smdp_certificate;        // CERT.DPpb, whole DER

  std::string Encode() const;
  [[nodiscard]] static absl::StatusOr<PrepareDownloadRequest> Decode(
      absl::string_view der);

  friend bool operator==(const PrepareDownloadRequest&,
                         const PrepareDownloadRequest&) = default;
};

// EUICCSigned2 ::= SEQUENCE (tag 30), signed by the eUICC.
struct EuiccSigned2 {
  std::string transaction_id;          // [0] 1..16 bytes
  std::string euicc_otpk;              // 5F49: otPK.EUICC.ECKA (04||X||Y)
  std::optional<std::string> hash_cc;  // 04, 32 bytes

  std::string Encode() const;
  [[nodiscard]] static absl::StatusOr<EuiccSigned2> Decode(
      absl::string_view der);

  friend bool operator==(const EuiccSigned2&, const EuiccSigned2&) = default;
};

// PrepareDownloadResponseOk ::= SEQUENCE ([0], tag A0).
struct PrepareDownloadResponseOk {
  SignedPart<EuiccSigned2> euicc_signed2;
  // 5F37, 64 bytes r||s over euicc_signed2.der || 5F37 40 smdpSignature2.
  std::string euicc_signature2;

  friend bool operator==(const PrepareDownloadResponseOk&,
                         const PrepareDownloadResponseOk&) = default;
};

// PrepareDownloadResponseError ::= SEQUENCE ([1], tag A1).
struct PrepareDownloadResponseError {
  std::string transaction_id;  // [0]
  DownloadErrorCode download_error_code = DownloadErrorCode::kUndefinedError;

  friend bool operator==(const PrepareDownloadResponseError&,
                         const PrepareDownloadResponseError&) = default;
};

// PrepareDownloadResponse ::= [33] CHOICE, tag BF21.
struct PrepareDownloadResponse {
  std::variant<PrepareDownloadResponseOk, PrepareDownloadResponseError> result;

  std::string Encode() const;
  [[nodiscard]] static absl::StatusOr<PrepareDownloadResponse> Decode(
      absl::string_view der);

  friend bool operator==(const PrepareDownloadResponse&,
                         const PrepareDownloadResponse&) = default;
};

}  // namespace smdp::sgp22

#endif  // SMDP_SGP22_DOWNLOAD_H_
