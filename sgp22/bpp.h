// The Bound Profile Package (SGP.22 2.5.4 and 5.5) and the commands it
// carries: InitialiseSecureChannelRequest in clear, ConfigureISDPRequest,
// StoreMetadataRequest and ReplaceSessionKeysRequest inside the protected
// segments (the segments themselves are made and opened by the BSP code,
// which uses Encode()/Decode() of those commands for their plaintext).
//
//   BoundProfilePackage bpp;
//   bpp.initialise_secure_channel = iscr;      // signed with SK.DPpb
//   bpp.first_sequence_of_87 = {configure_isdp_segment};
//   bpp.sequence_of_88 = metadata_segments;
//   bpp.sequence_of_86 = profile_segments;
//   std::string der = bpp.Encode();            // BF36 ...
//
// Segments are whole TLVs (86/87/88, length, data, MAC), opaque here.
// See types.h for what Encode()/Decode() guarantee.
#ifndef SMDP_SGP22_BPP_H_
#define SMDP_SGP22_BPP_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "sgp22/der.h"
#include "sgp22/types.h"

namespace smdp::sgp22 {

// Key type AES in ControlRefTemplate.keyType (GlobalPlatform).
inline constexpr uint8_t kKeyTypeAes = 0x88;
// Key length 16 in ControlRefTemplate.keyLen.
inline constexpr uint8_t kKeyLength16 = 0x10;
// RemoteOpId installBoundProfilePackage.
inline constexpr int64_t kRemoteOpIdInstallBpp = 1;

// ControlRefTemplate ::= SEQUENCE, [6] IMPLICIT in the request (tag A6).
struct ControlRefTemplate {
  uint8_t key_type = kKeyTypeAes;  // [0] Octet1 (80)
  uint8_t key_len = kKeyLength16;  // [1] Octet1 (81)
  std::string host_id;             // [4] 1..16 bytes (84)

  friend bool operator==(const ControlRefTemplate&,
                         const ControlRefTemplate&) = default;
};

// InitialiseSecureChannelRequest ::= [35] SEQUENCE, tag BF23.
struct InitialiseSecureChannelRequest {
  int64_t remote_op_id = kRemoteOpIdInstallBpp;  // [2] INTEGER (82)
  std::string transaction_id;                    // [0] 1..16 bytes (80)
  ControlRefTemplate control_ref_template;       // [6] (A6)
  std::string smdp_otpk;                         // 5F49: otPK.DP.ECKA
  // 5F37, 64 bytes r||s over SignedFields() || 5F49 L euiccOtpk.
  std::string smdp_sign;

  // Set by Decode(): the received bytes of remoteOpId through smdpOtpk,
  // i.e. what smdpSign covers before the appended `5F49 euiccOtpk` TLV.
  // Encode() ignores it.
  std::string received_signed_fields;

  // remoteOpId, transactionId, controlRefTemplate and smdpOtpk as DER, the
  // first part of what smdpSign covers (SGP.22 5.5.2): the signer appends
  // der::EncodeTlv(tags::kOtpk, euicc_otpk) to it.
  std::string SignedFields() const;

  std::string Encode() const;
  [[nodiscard]] static absl::StatusOr<InitialiseSecureChannelRequest> Decode(
      absl::string_view der);

  friend bool operator==(const InitialiseSecureChannelRequest&,
                         const InitialiseSecureChannelRequest&) = default;
};

// DpProprietaryData ::= SEQUENCE ([24] in ConfigureISDPRequest, tag B8).
struct DpProprietaryData {
  // [0] (80): OID of the SM-DP+ that created the profile. RSPDefinitions has
  // AUTOMATIC TAGS and dpOid is the only component, so it is context tag 0,
  // not a universal OBJECT IDENTIFIER (06).
  der::Oid dp_oid;
  // Further data objects the SM-DP+ may add after dpOid: whole TLVs, written
  // as they are and kept as received (Decode() refuses a repeated [0]).
  std::string additional_data;

  friend bool operator==(const DpProprietaryData&,
                         const DpProprietaryData&) = default;
};

// ConfigureISDPRequest ::= [36] SEQUENCE, tag BF24.
struct ConfigureIsdpRequest {
  std::optional<DpProprietaryData> dp_proprietary_data;

  std::string Encode() const;
  [[nodiscard]] static absl::StatusOr<ConfigureIsdpRequest> Decode(
      absl::string_view der);

  friend bool operator==(const ConfigureIsdpRequest&,
                         const ConfigureIsdpRequest&) = default;
};

// ReplaceSessionKeysRequest ::= [38] SEQUENCE, tag BF26.
struct ReplaceSessionKeysRequest {
  std::string initial_mac_chaining_value;  // [0] (80)
  std::string ppk_enc;                     // [1] (81) PPK-ENC
  std::string ppk_cmac;                    // [2] (82) PPK-MAC

  std::string Encode() const;
  [[nodiscard]] static absl::StatusOr<ReplaceSessionKeysRequest> Decode(
      absl::string_view der);

  friend bool operator==(const ReplaceSessionKeysRequest&,
                         const ReplaceSessionKeysRequest&) = default;
};

// BoundProfilePackage ::= [54] SEQUENCE, tag BF36.
struct BoundProfilePackage {
  InitialiseSecureChannelRequest initialise_secure_channel;  // BF23
  // [0] A0: 87 segments (ConfigureISDP).
  std::vector<std::string> first_sequence_of_87;
  // [1] A1: 88 segments (StoreMetadata).
  std::vector<std::string> sequence_of_88;
  // [2] A2: 87 segments (ReplaceSessionKeys), only with a PPK.
  std::optional<std::vector<std::string>> second_sequence_of_87;
  // [3] A3: 86 segments (the profile elements).
  std::vector<std::string> sequence_of_86;

  // Writes the sizes first, then copies each segment once.
  std::string Encode() const;
  [[nodiscard]] static absl::StatusOr<BoundProfilePackage> Decode(
      absl::string_view der);

  friend bool operator==(const BoundProfilePackage&,
                         const BoundProfilePackage&) = default;
};

}  // namespace smdp::sgp22

#endif  // SMDP_SGP22_BPP_H_
