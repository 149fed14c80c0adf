// BspEncoder: the server side of the BSP (BPP protection protocol, SGP.22
// 2.6.4): encrypts and MACs the TLVs of a Bound Profile Package.
//
// One encoder is one BSP instance: a key set, a MAC chaining value and a
// block counter that starts at 1 and counts every protected TLV, MAC-only
// ones included. The TLVs must be produced in the order the eUICC will check
// them:
//
//   ASSIGN_OR_RETURN(BspEncoder session, BspEncoder::Create(session_keys));
//   std::string seq87, seq88, seq87b;
//   RETURN_IF_ERROR(session.AppendEncryptedSegments(
//       kTagEncryptedCommand, configure_isdp_der, &seq87));
//   RETURN_IF_ERROR(session.AppendMacOnlySegments(
//       kTagMacOnly, store_metadata_der, &seq88));
//   // With a Protected Profile Package (profile_protection.h):
//   RETURN_IF_ERROR(session.AppendReplaceSessionKeys(ppp.ppk, &seq87b));
//   // sequenceOf86 is then ppp.segments, unchanged. Without a PPK:
//   //   session.AppendEncryptedSegments(kTagProfileSegment, profile, &seq86)
//
// Each TLV is tag || DER length || data || 8-byte MAC, at most 1020 bytes
// (bsp_format.h). Encrypted TLVs carry AES-128-CBC(ENC, ICV, data || 80 00..)
// with ICV = AES(ENC, counter as 16 bytes); the MAC is the first 8 bytes of
// AES-CMAC(MAC, chaining value || tag || length || data), whose full 16 bytes
// become the next chaining value.
//
// Thread-safety: not thread-safe; use one encoder per BPP from one thread at
// a time. Move-only. The encoder holds its own copy of the keys' contexts;
// the BspKeys passed to Create() need not outlive it.
//
// Errors: a wrong tag or size is InvalidArgument and changes nothing. An
// OpenSSL failure is Internal and poisons the encoder (its counter and
// chaining value are no longer usable): every later call then fails with
// FailedPrecondition. Output strings are left as they were on any error.
// Input views must not point into the string being appended to.
#ifndef SMDP_SGP22_BSP_BSP_ENCODER_H_
#define SMDP_SGP22_BSP_BSP_ENCODER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "sgp22/bsp/bsp_format.h"
#include "sgp22/bsp/bsp_keys.h"

namespace smdp::bsp {

namespace internal {
class BspCrypto;
}  // namespace internal

// One BSP instance on the sending side; see the file comment.
class BspEncoder {
 public:
  // An encoder for `keys` with block counter 1. Internal if OpenSSL fails.
  [[nodiscard]] static absl::StatusOr<BspEncoder> Create(const BspKeys& keys);

  BspEncoder(BspEncoder&&) noexcept;
  BspEncoder& operator=(BspEncoder&&) noexcept;
  ~BspEncoder();

  // Appends one encrypted and MAC'd TLV to `*out`. `tag` is
  // kTagProfileSegment (86) or kTagEncryptedCommand (87); `plaintext` is at
  // most kMaxEncryptedPlaintext (1007) bytes, and may be empty (the TLV then
  // carries one block of padding).
  [[nodiscard]] absl::Status AppendEncrypted(uint8_t tag,
                                             absl::string_view plaintext,
                                             std::string* out);

  // Appends one MAC-only TLV to `*out`. `tag` is kTagMacOnly (88); `data` is
  // at most kMaxMacOnlyData (1008) bytes.
  [[nodiscard]] absl::Status AppendMacOnly(uint8_t tag, absl::string_view data,
                                           std::string* out);

  // Splits `data` into kMaxEncryptedPlaintext-byte pieces (the last one
  // shorter) and appends one encrypted TLV per piece: the content of a
  // sequenceOf86/87. Empty `data` appends nothing.
  [[nodiscard]] absl::Status AppendEncryptedSegments(uint8_t tag,
                                                     absl::string_view data,
                                                     std::string* out);

  // Splits `data` into kMaxMacOnlyData-byte pieces and appends one MAC-only
  // TLV per piece: the content of a sequenceOf88. Empty `data` appends
  // nothing.
  [[nodiscard]] absl::Status AppendMacOnlySegments(uint8_t tag,
                                                   absl::string_view data,
                                                   std::string* out);

  // Appends one 87 TLV carrying ReplaceSessionKeysRequest
  //   BF26 { [0] initialMacChainingValue, [1] ppkEnc, [2] ppkCmac }
  // for `ppk`. The plaintext, which holds the PPK, is wiped after use.
  [[nodiscard]] absl::Status AppendReplaceSessionKeys(const BspKeys& ppk,
                                                      std::string* out);

  // Convenience forms that return the TLVs instead of appending them.
  [[nodiscard]] absl::StatusOr<std::string> EncryptAndMac(
      uint8_t tag, absl::string_view plaintext);
  [[nodiscard]] absl::StatusOr<std::string> MacOnly(uint8_t tag,
                                                    absl::string_view data);
  [[nodiscard]] absl::StatusOr<std::vector<std::string>> SegmentAndEncrypt(
      uint8_t tag, absl::string_view data);
  [[nodiscard]] absl::StatusOr<std::vector<std::string>> SegmentAndMac(
      uint8_t tag, absl::string_view data);

  // The block counter the next TLV will use (1 for a new encoder).
  uint64_t next_counter() const { return counter_; }

 private:
  explicit BspEncoder(std::unique_ptr<internal::BspCrypto> crypto);

  [[nodiscard]] absl::Status CheckUsable() const;
  // AppendEncrypted / AppendMacOnly after argument checks.
  [[nodiscard]] absl::Status EncryptOne(uint8_t tag,
                                        absl::string_view plaintext,
                                        std::string* out);
  [[nodiscard]] absl::Status MacOne(uint8_t tag, absl::string_view data,
                                    std::string* out);

  std::unique_ptr<internal::BspCrypto> crypto_;
  uint64_t counter_ = 1;
  bool poisoned_ = false;
};

}  // namespace smdp::bsp

#endif  // SMDP_SGP22_BSP_BSP_ENCODER_H_
