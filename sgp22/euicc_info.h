// What an eUICC says about itself: EUICCInfo1 (sent with
// ES9+.InitiateAuthentication) and EUICCInfo2 (inside euiccSigned1), and
// what the device says: DeviceInfo (inside ctxParams1).
//
//   ASSIGN_OR_RETURN(EuiccInfo1 info1, EuiccInfo1::Decode(euicc_info1_der));
//   for (const std::string& ski : info1.euicc_ci_pkid_list_for_signing) ...
//
// SGP.22 v2.x fields are named after v2.x; v3 renamed a few (noted at each)
// and added optional ones, decoded here when present. Fields of later
// versions are skipped. See types.h for what Encode()/Decode() guarantee.
#ifndef SMDP_SGP22_EUICC_INFO_H_
#define SMDP_SGP22_EUICC_INFO_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "sgp22/der.h"
#include "sgp22/types.h"

namespace smdp::sgp22 {

// EUICCInfo1 ::= [32] SEQUENCE, tag BF20.
struct EuiccInfo1 {
  // [2] svn (v3: lowestSvn): the SGP.22 version the eUICC supports.
  VersionType svn;
  // [9] CI key ids (SubjectKeyIdentifier) the eUICC verifies with.
  std::vector<std::string> euicc_ci_pkid_list_for_verification;
  // [10] CI key ids the eUICC signs with.
  std::vector<std::string> euicc_ci_pkid_list_for_signing;
  // v3, in any order after the fields above:
  // [19] highestSvn.
  std::optional<VersionType> highest_svn;
  // [17] euiccCiPKIdListForSigningV3.
  std::optional<std::vector<std::string>> euicc_ci_pkid_list_for_signing_v3;
  // [8] euiccRspCapability (RspCapabilityBit numbers).
  std::optional<der::BitString> euicc_rsp_capability;

  std::string Encode() const;
  [[nodiscard]] static absl::StatusOr<EuiccInfo1> Decode(absl::string_view der);

  friend bool operator==(const EuiccInfo1&, const EuiccInfo1&) = default;
};

// CertificationDataObject ::= SEQUENCE (in EUICCInfo2 [12]).
struct CertificationDataObject {
  std::string platform_label;      // [0] UTF8String
  std::string discovery_base_url;  // [1] UTF8String

  friend bool operator==(const CertificationDataObject&,
                         const CertificationDataObject&) = default;
};

// The free resources the eUICC reports in EUICCInfo2.extCardResource
// (ETSI TS 102 226 8.2.1.7.2): TLVs 81, 82, 83. Absent ones stay nullopt.
struct ExtCardResource {
  std::optional<uint64_t> installed_applications;    // tag 81
  std::optional<uint64_t> free_non_volatile_memory;  // tag 82, bytes
  std::optional<uint64_t> free_volatile_memory;      // tag 83, bytes

  // Parses the contents of extCardResource. Unknown tags are skipped; values
  // are unsigned big-endian of 1..8 bytes.
  [[nodiscard]] static absl::StatusOr<ExtCardResource> Parse(
      absl::string_view ext_card_resource);
  // The contents (81, 82, 83 TLVs for the values present).
  std::string Encode() const;

  friend bool operator==(const ExtCardResource&,
                         const ExtCardResource&) = default;
};

// EUICCInfo2 ::= [34] SEQUENCE, tag BF22.
struct EuiccInfo2 {
  // [1] profileVersion (v3: baseProfilePackageVersion): SIMalliance/TCA
  // profile package version.
  VersionType profile_version;
  // [2] svn (v3: lowestSvn).
  VersionType svn;
  // [3] euiccFirmwareVer.
  VersionType euicc_firmware_ver;
  // [4] extCardResource, as received (see ExtCardResource::Parse).
  std::string ext_card_resource;
  // [5] uiccCapability.
  der::BitString uicc_capability;
  // [6] javacardVersion (v2.1+: ts102241Version).
  std::optional<VersionType> ts102241_version;
  // [7] globalplatformVersion.
  std::optional<VersionType> globalplatform_version;
  // [8] rspCapability (v3: euiccRspCapability); RspCapabilityBit numbers.
  der::BitString rsp_capability;
  // [9], [10] CI key ids for verification and for signing.
  std::vector<std::string> euicc_ci_pkid_list_for_verification;
  std::vector<std::string> euicc_ci_pkid_list_for_signing;
  // [11] euiccCategory: other(0), basicEuicc(1), mediumEuicc(2),
  // contactlessEuicc(3).
  std::optional<int64_t> euicc_category;
  // [25] forbiddenProfilePolicyRules (tag 99); PprId bit numbers.
  std::optional<der::BitString> forbidden_profile_policy_rules;
  // ppVersion (universal OCTET STRING 04): Protection Profile version.
  VersionType pp_version;
  // sasAcreditationNumber (universal UTF8String 0C), at most 64 bytes.
  std::string sas_accreditation_number;
  // [12] certificationDataObject.
  std::optional<CertificationDataObject> certification_data_object;

  // v3 / SGP.32 fields, after the ones above:
  std::optional<der::BitString> tre_properties;      // [13]
  std::optional<std::string> tre_product_reference;  // [14] UTF8String
  // [15] additionalEuiccProfilePackageVersions.
  std::optional<std::vector<VersionType>> additional_profile_package_versions;
  std::optional<int64_t> lpa_mode;  // [16] lpaMode (SGP.32: ipaMode)
  // [17] euiccCiPKIdListForSigningV3.
  std::optional<std::vector<std::string>> euicc_ci_pkid_list_for_signing_v3;
  std::optional<std::string> additional_euicc_info;  // [18] OCTET STRING
  std::optional<VersionType> highest_svn;            // [19]
  // [20] iotSpecificInfo (SGP.32), whole TLV as received.
  std::optional<std::string> iot_specific_info;

  // Set by Decode(): the optional informational fields that were present
  // but whose contents did not parse (ts102241Version, euiccCategory,
  // forbiddenProfilePolicyRules, certificationDataObject, the v3 fields...);
  // each is read as absent. The eUICC signed the bytes as received, so this
  // is no reason to refuse them: a check that needs such a field treats it
  // as unknown. Encode() ignores it.
  std::vector<std::string> unparsed_fields;

  std::string Encode() const;
  [[nodiscard]] static absl::StatusOr<EuiccInfo2> Decode(absl::string_view der);

  friend bool operator==(const EuiccInfo2&, const EuiccInfo2&) = default;
};

// DeviceCapabilities ::= SEQUENCE of optional fields, one per radio
// technology or feature, each [n] implicit. Kept as a list of what the
// device sent, because the meaning of tag numbers changed across versions
// ([8] was rspRpmSupportedVersion in v2.0, nrEpcSupportedRelease since
// v2.1) and devices send values of other sizes than VersionType.
struct DeviceCapabilities {
  // Well-known tag numbers (v2.2+ names).
  static constexpr uint32_t kGsmSupportedRelease = 0;
  static constexpr uint32_t kUtranSupportedRelease = 1;
  static constexpr uint32_t kCdma2000OnexSupportedRelease = 2;
  static constexpr uint32_t kCdma2000HrpdSupportedRelease = 3;
  static constexpr uint32_t kCdma2000EhrpdSupportedRelease = 4;
  static constexpr uint32_t kEutranEpcSupportedRelease = 5;
  static constexpr uint32_t kContactlessSupportedRelease = 6;
  static constexpr uint32_t kRspCrlSupportedVersion = 7;
  static constexpr uint32_t kNrEpcSupportedRelease = 8;
  static constexpr uint32_t kNr5gcSupportedRelease = 9;
  static constexpr uint32_t kEutran5gcSupportedRelease = 10;
  static constexpr uint32_t kLpaSvn = 11;  // v3

  struct Entry {
    der::Tag tag = 0;   // e.g. 0x85 for [5]
    std::string value;  // contents as received
    friend bool operator==(const Entry&, const Entry&) = default;
  };
  // In increasing tag-number order (Decode enforces it).
  std::vector<Entry> entries;

  // The contents of the primitive [number] entry, or nullptr.
  const std::string* Find(uint32_t number) const;
  // Sets primitive [number] to `value`, keeping the order.
  void Set(uint32_t number, std::string value);

  friend bool operator==(const DeviceCapabilities&,
                         const DeviceCapabilities&) = default;
};

// DeviceInfo ::= SEQUENCE (in ctxParamsForCommonAuthentication).
struct DeviceInfo {
  // [0] tac: 4 bytes (SGP.22 v2.0 declared Octet8; both sizes accepted).
  std::string tac;
  // [1] deviceCapabilities.
  DeviceCapabilities device_capabilities;
  // [2] imei: 8 bytes.
  std::optional<std::string> imei;

  // Set by Decode(): informational fields present but unparsable (an imei
  // that is not 8 bytes), read as absent; see EuiccInfo2::unparsed_fields.
  std::vector<std::string> unparsed_fields;

  friend bool operator==(const DeviceInfo&, const DeviceInfo&) = default;
};

}  // namespace smdp::sgp22

#endif  // SMDP_SGP22_EUICC_INFO_H_
