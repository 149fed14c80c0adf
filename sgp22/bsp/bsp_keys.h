// BSP keys: the three AES-128 values that protect a Bound Profile Package,
// and the two ways to get them.
//
// A BspKeys holds S-ENC, S-MAC and the initial MAC chaining value. The same
// shape serves two purposes (SGP.22 2.5.3, 2.6.4):
//   * session keys, derived per download from the ECDH shared secret
//     between otSK.DP.ECKA and otPK.EUICC.ECKA (DeriveSessionKeys), and
//   * a Profile Protection Key (PPK-ENC, PPK-MAC, initial MAC chaining value),
//     drawn at random once per profile (GenerateProfileProtectionKeys) and
//     carried to the eUICC in ReplaceSessionKeysRequest.
//
//   ASSIGN_OR_RETURN(BspKeys keys,
//                    DeriveSessionKeys(shared_secret, host_id, eid_bytes));
//   ASSIGN_OR_RETURN(BspEncoder encoder, BspEncoder::Create(keys));
//
// Every BspKeys wipes its bytes (OPENSSL_cleanse) when destroyed, copies
// included. Keep copies few and short-lived; never log one.
#ifndef SMDP_SGP22_BSP_BSP_KEYS_H_
#define SMDP_SGP22_BSP_BSP_KEYS_H_

#include <array>
#include <cstddef>
#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace smdp::bsp {

// Size of each key and of the MAC chaining value (AES-128).
inline constexpr size_t kBspKeySize = 16;
// Size of the ECDH shared secret ShS (the x-coordinate on a 256-bit curve).
inline constexpr size_t kSharedSecretSize = 32;
// Size of an EID in binary form (32 BCD digits).
inline constexpr size_t kEidSize = 16;
// keyType of the BSP keys (control reference template tag 80): AES.
inline constexpr uint8_t kKeyTypeAes = 0x88;
// keyLength of the BSP keys (tag 81): 16 bytes.
inline constexpr uint8_t kKeyLengthAes128 = 0x10;

// The keys of one BSP instance. Plain data; destroying it wipes it.
struct BspKeys {
  using Key = std::array<uint8_t, kBspKeySize>;

  BspKeys() = default;
  BspKeys(const BspKeys&) = default;
  BspKeys& operator=(const BspKeys&) = default;
  ~BspKeys();

  // Builds keys from three 16-byte strings. InvalidArgument on a wrong size.
  [[nodiscard]] static absl::StatusOr<BspKeys> FromBytes(
      absl::string_view enc, absl::string_view mac,
      absl::string_view initial_mac_chaining_value);

  // Views of the bytes (valid while this object lives).
  absl::string_view enc_bytes() const;
  absl::string_view mac_bytes() const;
  absl::string_view initial_mac_chaining_value_bytes() const;

  Key enc{};                         // S-ENC or PPK-ENC (AES-128-CBC)
  Key mac{};                         // S-MAC or PPK-MAC (AES-CMAC)
  Key initial_mac_chaining_value{};  // the first MAC chaining value
};

// The session keys of one download (SGP.22 2.6.4.2, GlobalPlatform Card
// Specification Amd F): the X9.63 KDF with SHA-256 over the shared secret
// `shared_secret` (32 bytes), with the shared info
//   88 || 10 || len(host_id) || host_id || 10 || eid
// (len in BER definite form, i.e. one byte below 128). The 48 output bytes
// are, in order, the initial MAC chaining value, S-ENC and S-MAC.
//
// `host_id` must be byte-identical to the value sent in tag 84 of
// InitialiseSecureChannelRequest (1..127 bytes); `eid` is the 16-byte EID.
// InvalidArgument on wrong sizes; Internal if OpenSSL fails.
//
// Thread-safe.
[[nodiscard]] absl::StatusOr<BspKeys> DeriveSessionKeys(
    absl::string_view shared_secret, absl::string_view host_id,
    absl::string_view eid);

// A fresh random Profile Protection Key set (PPK-ENC, PPK-MAC and initial
// MAC chaining value) from OpenSSL's private DRBG. Internal if the DRBG
// fails. Thread-safe.
[[nodiscard]] absl::StatusOr<BspKeys> GenerateProfileProtectionKeys();

}  // namespace smdp::bsp

#endif  // SMDP_SGP22_BSP_BSP_KEYS_H_
