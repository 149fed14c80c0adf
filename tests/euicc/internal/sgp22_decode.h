// The software eUICC's own decoders for what it receives from the SM-DP+
// (through the LPA), written from the SGP.22 v2 ASN.1 module RSPDefinitions
// and sharing no message code with the server's sgp22 (only the generic
// DER TLV primitives of sgp22/der.h): a tagging mistake that is
// symmetric in the server's encoder and decoder, such as the dpOid of
// ConfigureISDP sent with the universal tag 06 where AUTOMATIC TAGS make it
// [0] (80), then fails a download instead of passing every test.
//
//   ASSIGN_OR_RETURN(BoundProfilePackage bpp, DecodeBoundProfilePackage(der));
//   ... open bpp.first_sequence_of_87 ...
//   ASSIGN_OR_RETURN(ConfigureIsdpRequest c, DecodeConfigureIsdpRequest(pt));
//
// The rules, checked by every decoder:
//   * strict DER (definite minimal lengths, minimal integers, BOOLEAN 00/FF,
//     ...) over the whole input, which is exactly one TLV with the
//     message's tag: no trailing bytes;
//   * every component with exactly the tag the module gives it. Where AUTOMATIC
//     TAGS apply (no component of the SEQUENCE or CHOICE has a tag of its own)
//     the components are [0], [1], ... IMPLICIT; otherwise untagged components
//     keep their universal tag;
//   * the SIZE constraints of the module (TransactionId 1..16, Octet16,
//     Octet32, Iccid 10, UTF8String lengths) and valid UTF-8;
//   * the module declares EXTENSIBILITY IMPLIED, i.e. every SEQUENCE ends
//     with an implicit extension marker: unknown TLVs after the last known
//     component are skipped, but a known tag out of order or repeated is
//     refused (DpProprietaryData says so in prose: "additional data objects
//     defined by the SM-DP+ MAY follow dpOid").
//
// Signed parts keep the bytes as received, since the signatures are over
// them. Errors are InvalidArgument "<structure>.<field>: ...". All functions
// are pure.
#ifndef SMDP_TESTS_EUICC_INTERNAL_SGP22_DECODE_H_
#define SMDP_TESTS_EUICC_INTERNAL_SGP22_DECODE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "sgp22/der.h"

namespace smdp::euicc::internal {

// ---- ES10b.AuthenticateServer ----

// ServerSigned1 ::= SEQUENCE (30) { transactionId [0], euiccChallenge [1],
// serverAddress [3], serverChallenge [4] }.
struct ServerSigned1 {
  std::string der;  // the whole TLV as received: serverSignature1 covers it
  std::string transaction_id;    // 1..16 bytes
  std::string euicc_challenge;   // 16 bytes
  std::string server_address;    // UTF-8
  std::string server_challenge;  // 16 bytes
};

// AuthenticateServerRequest ::= [56] SEQUENCE (BF38).
struct AuthenticateServerRequest {
  ServerSigned1 server_signed1;
  std::string server_signature1;         // 5F37 contents
  std::string euicc_ci_pkid_to_be_used;  // SubjectKeyIdentifier (04) contents
  std::string server_certificate;        // Certificate (30), whole TLV
  // CtxParams1 (a CHOICE, A0 ctxParamsForCommonAuthentication), whole TLV as
  // received: the eUICC copies it into euiccSigned1 unchanged.
  std::string ctx_params1;
};

[[nodiscard]] absl::StatusOr<ServerSigned1> DecodeServerSigned1(
    absl::string_view der);
[[nodiscard]] absl::StatusOr<AuthenticateServerRequest>
DecodeAuthenticateServerRequest(absl::string_view der);

// A standalone signature TLV [APPLICATION 55] OCTET STRING (5F37), as ES9+
// carries serverSignature1 and smdpSignature2: its contents.
[[nodiscard]] absl::StatusOr<std::string> DecodeSignatureTlv(
    absl::string_view der);
// A standalone SubjectKeyIdentifier (04), as ES9+ carries
// euiccCiPKIdToBeUsed: its contents.
[[nodiscard]] absl::StatusOr<std::string> DecodeSubjectKeyIdentifierTlv(
    absl::string_view der);

// ---- ES10b.PrepareDownload ----

// SmdpSigned2 ::= SEQUENCE (30) { transactionId [0], ccRequiredFlag BOOLEAN
// (01), bppEuiccOtpk [APPLICATION 73] OPTIONAL (5F49) }: one component is
// tagged, so ccRequiredFlag keeps its universal tag.
struct SmdpSigned2 {
  std::string der;  // as received: smdpSignature2 covers it
  std::string transaction_id;
  bool cc_required_flag = false;
  std::optional<std::string> bpp_euicc_otpk;
};

// PrepareDownloadRequest ::= [33] SEQUENCE (BF21).
struct PrepareDownloadRequest {
  SmdpSigned2 smdp_signed2;
  std::string smdp_signature2;         // 5F37 contents
  std::optional<std::string> hash_cc;  // Octet32 (04)
  std::string smdp_certificate;        // Certificate (30), whole TLV
};

[[nodiscard]] absl::StatusOr<SmdpSigned2> DecodeSmdpSigned2(
    absl::string_view der);
[[nodiscard]] absl::StatusOr<PrepareDownloadRequest>
DecodePrepareDownloadRequest(absl::string_view der);

// ---- the Bound Profile Package ----

// InitialiseSecureChannelRequest ::= [35] SEQUENCE (BF23) { remoteOpId
// [2] INTEGER (82), transactionId [0] (80), controlRefTemplate [6] IMPLICIT
// ControlRefTemplate (A6 { keyType [0] Octet1, keyLen [1] Octet1, hostId [4]
// OctetTo16 }), smdpOtpk 5F49, smdpSign 5F37 }.
struct InitialiseSecureChannelRequest {
  int64_t remote_op_id = 0;
  std::string transaction_id;
  uint8_t key_type = 0;
  uint8_t key_len = 0;
  std::string host_id;
  std::string smdp_otpk;
  std::string smdp_sign;
  // The received bytes of remoteOpId through smdpOtpk: what smdpSign covers
  // before the eUICC's 5F49 euiccOtpk is appended (SGP.22 5.5.2).
  std::string signed_fields;
};

// BoundProfilePackage ::= [54] SEQUENCE (BF36) { BF23, firstSequenceOf87
// [0] SEQUENCE OF [7] (A0 {87...}), sequenceOf88 [1] (A1 {88...}),
// secondSequenceOf87 [2] OPTIONAL (A2 {87...}), sequenceOf86 [3] (A3
// {86...}) }. Segments are whole TLVs, opaque here (the BSP opens them).
struct BoundProfilePackage {
  InitialiseSecureChannelRequest initialise_secure_channel;
  std::vector<std::string> first_sequence_of_87;
  std::vector<std::string> sequence_of_88;
  std::optional<std::vector<std::string>> second_sequence_of_87;
  std::vector<std::string> sequence_of_86;
};

[[nodiscard]] absl::StatusOr<InitialiseSecureChannelRequest>
DecodeInitialiseSecureChannelRequest(absl::string_view der);
[[nodiscard]] absl::StatusOr<BoundProfilePackage> DecodeBoundProfilePackage(
    absl::string_view der);

// ---- the commands inside the BPP ----

// DpProprietaryData ::= SEQUENCE { dpOid OBJECT IDENTIFIER }: its only
// component is untagged, so AUTOMATIC TAGS make dpOid [0] (80), never 06.
// At most 128 bytes with its tag and length.
struct DpProprietaryData {
  sgp22::der::Oid dp_oid;
  std::string additional_data;  // TLVs after dpOid, as received
};

// ConfigureISDPRequest ::= [36] SEQUENCE (BF24) { dpProprietaryData [24]
// OPTIONAL (B8) }.
struct ConfigureIsdpRequest {
  std::optional<DpProprietaryData> dp_proprietary_data;
};

// ReplaceSessionKeysRequest ::= [38] SEQUENCE (BF26) { initialMacChainingValue
// (80), ppkEnc (81), ppkCmac (82) } (automatic tags).
struct ReplaceSessionKeysRequest {
  std::string initial_mac_chaining_value;
  std::string ppk_enc;
  std::string ppk_cmac;
};

// NotificationConfigurationInformation ::= SEQUENCE {
// profileManagementOperation NotificationEvent (80), notificationAddress
// UTF8String (81) }.
struct NotificationConfiguration {
  sgp22::der::BitString profile_management_operation;
  std::string notification_address;
};

// OperatorID ::= SEQUENCE { mccMnc (80, 3 bytes), gid1 (81) OPTIONAL, gid2
// (82) OPTIONAL }.
struct OperatorId {
  std::string mcc_mnc;
  std::optional<std::string> gid1;
  std::optional<std::string> gid2;
};

// StoreMetadataRequest ::= [37] SEQUENCE (BF25), as the 88 segments carry
// it and as ES9+ sends profileMetadata.
struct StoreMetadataRequest {
  std::string iccid;                     // 5A, 10 bytes
  std::string service_provider_name;     // 91, <= 32 bytes
  std::string profile_name;              // 92, <= 64 bytes
  std::optional<int64_t> icon_type;      // 93: jpg(0), png(1)
  std::optional<std::string> icon;       // 94, <= 1024 bytes, only with 93
  std::optional<int64_t> profile_class;  // 95: test(0) .. operational(2)
  std::optional<std::vector<NotificationConfiguration>>
      notification_configuration_info;                        // B6
  std::optional<OperatorId> profile_owner;                    // B7
  std::optional<sgp22::der::BitString> profile_policy_rules;  // 99, PprIds
  std::vector<std::string> extensions;  // later fields, whole TLVs
};

[[nodiscard]] absl::StatusOr<ConfigureIsdpRequest> DecodeConfigureIsdpRequest(
    absl::string_view der);
[[nodiscard]] absl::StatusOr<ReplaceSessionKeysRequest>
DecodeReplaceSessionKeysRequest(absl::string_view der);
[[nodiscard]] absl::StatusOr<StoreMetadataRequest> DecodeStoreMetadataRequest(
    absl::string_view der);

}  // namespace smdp::euicc::internal

#endif  // SMDP_TESTS_EUICC_INTERNAL_SGP22_DECODE_H_
