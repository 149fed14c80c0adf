// Types shared by the SGP.22 messages: sizes, the tags SGP.22 uses, version
// numbers, signed parts, and the enumerations of error codes and reasons.
//
// The messages themselves are in euicc_info.h, authentication.h, download.h,
// bpp.h and notification.h. Each message struct has
//
//   std::string Encode() const;                       // its DER
//   static absl::StatusOr<T> Decode(absl::string_view der);
//
// Decode() refuses anything that is not strict DER (see der.h), a wrong tag,
// a missing mandatory field (the error names it: "EUICCInfo2.svn: mandatory
// field missing"), a size outside the ASN.1 constraint, or trailing bytes. It
// skips fields added by later versions of SGP.22 (EXTENSIBILITY IMPLIED).
// Encode() writes the fields as they are, without checking constraints.
//
// Signed data: where a signature covers a structure, the containing struct
// holds it as a SignedPart<T>, with the decoded value and the exact bytes as
// received. Verify signatures over `der`, never over a re-encoding:
//
//   ASSIGN_OR_RETURN(auto response, AuthenticateServerResponse::Decode(in));
//   auto* ok = std::get_if<AuthenticateResponseOk>(&response.result);
//   verify(ok->euicc_signed1.der, ok->euicc_signature1, euicc_public_key);
//   const EuiccSigned1& signed1 = ok->euicc_signed1.value;
//
// Signatures inside these structures are plain r||s (BSI TR-03111), 64
// bytes; the decoders refuse any other size.
#ifndef SMDP_SGP22_TYPES_H_
#define SMDP_SGP22_TYPES_H_

#include <compare>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "sgp22/der.h"

namespace smdp::sgp22 {

// Size of a plain r||s ECDSA signature on a 256-bit curve.
inline constexpr size_t kSignatureSize = 64;
// euiccChallenge and serverChallenge (Octet16).
inline constexpr size_t kChallengeSize = 16;
// TransactionId ::= OCTET STRING (SIZE(1..16)).
inline constexpr size_t kMaxTransactionIdSize = 16;
// Iccid ::= [APPLICATION 26] OCTET STRING (SIZE(10)).
inline constexpr size_t kIccidSize = 10;
// hashCc (Octet32): SHA-256(SHA-256(CC) || transactionId).
inline constexpr size_t kHashCcSize = 32;
// SubjectKeyIdentifier of a CI key: SHA-1, 20 bytes.
inline constexpr size_t kSubjectKeyIdentifierSize = 20;

// The tags of the SGP.22 structures.
namespace tags {
inline constexpr der::Tag kAid = 0x4F;                // [APPLICATION 15]
inline constexpr der::Tag kIccid = 0x5A;              // [APPLICATION 26]
inline constexpr der::Tag kSignature = 0x5F37;        // [APPLICATION 55]
inline constexpr der::Tag kOtpk = 0x5F49;             // [APPLICATION 73]
inline constexpr der::Tag kGpCertificate = 0x7F21;    // GP CERT (unused)
inline constexpr der::Tag kEuiccInfo1 = 0xBF20;       // [32]
inline constexpr der::Tag kPrepareDownload = 0xBF21;  // [33]
inline constexpr der::Tag kEuiccInfo2 = 0xBF22;       // [34]
inline constexpr der::Tag kInitialiseSecureChannel = 0xBF23;        // [35]
inline constexpr der::Tag kConfigureIsdp = 0xBF24;                  // [36]
inline constexpr der::Tag kStoreMetadata = 0xBF25;                  // [37]
inline constexpr der::Tag kReplaceSessionKeys = 0xBF26;             // [38]
inline constexpr der::Tag kProfileInstallationResultData = 0xBF27;  // [39]
inline constexpr der::Tag kNotificationMetadata = 0xBF2F;           // [47]
inline constexpr der::Tag kBoundProfilePackage = 0xBF36;            // [54]
inline constexpr der::Tag kProfileInstallationResult = 0xBF37;      // [55]
inline constexpr der::Tag kAuthenticateServer = 0xBF38;             // [56]
inline constexpr der::Tag kCancelSession = 0xBF41;                  // [65]
// BPP segment TLVs and their wrappers.
inline constexpr der::Tag kSegment86 = 0x86;
inline constexpr der::Tag kSegment87 = 0x87;
inline constexpr der::Tag kSegment88 = 0x88;
}  // namespace tags

// VersionType ::= OCTET STRING (SIZE(3)): major, minor, revision, e.g.
// 02 02 00 for v2.2.0.
struct VersionType {
  uint8_t major = 0;
  uint8_t minor = 0;
  uint8_t revision = 0;

  // The 3 bytes.
  std::string Encode() const;
  // From exactly 3 bytes.
  [[nodiscard]] static absl::StatusOr<VersionType> FromBytes(
      absl::string_view bytes);
  // "2.2.0".
  std::string ToString() const;

  friend auto operator<=>(const VersionType&, const VersionType&) = default;
};

// A structure covered by a signature: its decoded value and its complete
// DER (tag and length included) exactly as received, or as encoded by Make().
// `der` is what goes on the wire and what a signature covers; `value` is
// its decoding. Build one with Make() so the two agree.
template <typename T>
struct SignedPart {
  T value;
  std::string der;

  static SignedPart Make(T value) {
    std::string der = value.Encode();
    return SignedPart{std::move(value), std::move(der)};
  }
  // Decodes `der` as T and keeps the bytes.
  [[nodiscard]] static absl::StatusOr<SignedPart> Decode(
      absl::string_view der) {
    absl::StatusOr<T> value = T::Decode(der);
    if (!value.ok()) return value.status();
    return SignedPart{*std::move(value), std::string(der)};
  }

  friend bool operator==(const SignedPart&, const SignedPart&) = default;
};

// `5F37 40 <r||s>`: a signature as the ES9+ JSON fields serverSignature1 and
// smdpSignature2 carry it (base64 of this TLV), and as it follows a signed
// part in the data an SGP.22 signature covers.
std::string EncodeSignatureTlv(absl::string_view r_s);
// The 64 bytes of r||s from a `5F37` TLV; refuses other tags and sizes.
[[nodiscard]] absl::StatusOr<std::string> DecodeSignatureTlv(
    absl::string_view der);

// `04 14 <ski>`: a SubjectKeyIdentifier as the ES9+ JSON field
// euiccCiPKIdToBeUsed carries it.
std::string EncodeSubjectKeyIdentifierTlv(absl::string_view ski);
// The key identifier from an `04` TLV (1..255 bytes; CI key ids are 20).
[[nodiscard]] absl::StatusOr<std::string> DecodeSubjectKeyIdentifierTlv(
    absl::string_view der);

// ---------------------------------------------------------------------------
// Enumerations. Each is an INTEGER in the ASN.1; values this code does not
// name (a newer sender's) decode unchanged, and ToString() prints them as a
// number.

// AuthenticateErrorCode (ES10b.AuthenticateServer failure).
enum class AuthenticateErrorCode : int64_t {
  kInvalidCertificate = 1,
  kInvalidSignature = 2,
  kUnsupportedCurve = 3,
  kNoSessionContext = 4,
  kInvalidOid = 5,
  kEuiccChallengeMismatch = 6,
  kCiPkUnknown = 7,
  kUndefinedError = 127,
};

// DownloadErrorCode (ES10b.PrepareDownload failure).
enum class DownloadErrorCode : int64_t {
  kInvalidCertificate = 1,
  kInvalidSignature = 2,
  kUnsupportedCurve = 3,
  kNoSessionContext = 4,
  kInvalidTransactionId = 5,
  kUndefinedError = 127,
};

// CancelSessionReason.
enum class CancelSessionReason : int64_t {
  kEndUserRejection = 0,
  kPostponed = 1,
  kTimeout = 2,
  kPprNotAllowed = 3,
  kMetadataMismatch = 4,
  kLoadBppExecutionError = 5,
  kUndefinedReason = 127,
};

// cancelSessionResponseError of CancelSessionResponse.
enum class CancelSessionError : int64_t {
  kInvalidTransactionId = 5,
  kUndefinedError = 127,
};

// BppCommandId: the BPP command that failed, in ErrorResult.
enum class BppCommandId : int64_t {
  kInitialiseSecureChannel = 0,
  kConfigureIsdp = 1,
  kStoreMetadata = 2,
  kStoreMetadata2 = 3,
  kReplaceSessionKeys = 4,
  kLoadProfileElements = 5,
};

// ErrorReason of a failed profile installation, in ErrorResult.
enum class ErrorReason : int64_t {
  kIncorrectInputValues = 1,
  kInvalidSignature = 2,
  kInvalidTransactionId = 3,
  kUnsupportedCrtValues = 4,
  kUnsupportedRemoteOperationType = 5,
  kUnsupportedProfileClass = 6,
  kScp03tStructureError = 7,
  kScp03tSecurityError = 8,
  kInstallFailedDueToIccidAlreadyExistsOnEuicc = 9,
  kInstallFailedDueToInsufficientMemoryForProfile = 10,
  kInstallFailedDueToInterruption = 11,
  kInstallFailedDueToPeProcessingError = 12,
  // v2.0 named it installFailedDueToIccidMismatch.
  kInstallFailedDueToDataMismatch = 13,
  kTestProfileInstallFailedDueToInvalidNaaKey = 14,
  kPprNotAllowed = 15,
  kInstallFailedDueToUnknownError = 127,
};

// ProfileClass.
enum class ProfileClass : int64_t {
  kTest = 0,
  kProvisioning = 1,
  kOperational = 2,
};

// IconType.
enum class IconType : int64_t {
  kJpg = 0,
  kPng = 1,
};

// Bit numbers of NotificationEvent (a BIT STRING).
enum class NotificationEvent : size_t {
  kInstall = 0,
  kEnable = 1,
  kDisable = 2,
  kDelete = 3,
};

// Bit numbers of PprIds (profilePolicyRules, forbiddenProfilePolicyRules).
enum class PprId : size_t {
  kPprUpdateControl = 0,
  kPpr1 = 1,  // disabling of this profile is not allowed
  kPpr2 = 2,  // deletion of this profile is not allowed
};

// Bit numbers of RspCapability (EUICCInfo2.rspCapability, v3
// euiccRspCapability).
enum class RspCapabilityBit : size_t {
  kAdditionalProfile = 0,
  kCrlSupport = 1,
  kRpmSupport = 2,
  kTestProfileSupport = 3,
  kDeviceInfoExtensibilitySupport = 4,
  kServiceSpecificDataSupport = 5,
};

// Names as in the ASN.1 ("invalidSignature"), or the number for values this
// code does not know.
std::string ToString(AuthenticateErrorCode code);
std::string ToString(DownloadErrorCode code);
std::string ToString(CancelSessionReason reason);
std::string ToString(CancelSessionError error);
std::string ToString(BppCommandId id);
std::string ToString(ErrorReason reason);
std::string ToString(ProfileClass profile_class);

}  // namespace smdp::sgp22

#endif  // SMDP_SGP22_TYPES_H_
