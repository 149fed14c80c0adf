// BspCrypto: the AES primitives of one BSP key set, with OpenSSL contexts
// kept for the life of the object (internal to sgp22/bsp).
//
// Keying an EVP context costs far more than encrypting one 1 KB segment, so
// a BspCrypto keys its three contexts once:
//   * AES-128-CBC under ENC (encrypt or decrypt), re-IV'd per segment;
//   * AES-128-ECB under ENC, for the ICV = AES(ENC, counter as 16 bytes);
//   * AES-CMAC under MAC, re-initialised per segment without re-keying;
// and holds the MAC chaining value.
//
// Not thread-safe; move-only. The algorithms are fetched from OpenSSL's
// default library context once per process.
#ifndef SMDP_SGP22_BSP_INTERNAL_BSP_CRYPTO_H_
#define SMDP_SGP22_BSP_INTERNAL_BSP_CRYPTO_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "sgp22/bsp/bsp_format.h"
#include "sgp22/bsp/bsp_keys.h"
#include "util/ssl_ptr.h"

namespace smdp::bsp::internal {

// Writes the minimal DER definite length of `length` (< 65536) to `out`
// (LengthFieldSize(length) bytes) and returns the number of bytes written.
size_t WriteLength(size_t length, uint8_t* out);

class BspCrypto {
 public:
  enum class Direction { kEncrypt, kDecrypt };

  // Keys the contexts. Internal if OpenSSL fails.
  [[nodiscard]] static absl::StatusOr<BspCrypto> Create(const BspKeys& keys,
                                                        Direction direction);

  BspCrypto(BspCrypto&&) noexcept;
  BspCrypto& operator=(BspCrypto&&) noexcept;
  ~BspCrypto();

  // (kEncrypt only) Pads `plaintext` with 80 00.. to the next multiple of 16
  // (1 to 16 bytes) and encrypts it with AES-128-CBC under the ICV of block
  // counter `counter`, writing PaddedSize(plaintext.size()) bytes to `out`.
  // `out` may not overlap `plaintext`.
  [[nodiscard]] absl::Status EncryptPadded(uint64_t counter,
                                           absl::string_view plaintext,
                                           uint8_t* out);

  // (kDecrypt only) Decrypts `ciphertext` (a non-zero multiple of 16 bytes)
  // under the ICV of `counter`, strips the 80 00.. padding and appends the
  // plaintext to `out`. DataLoss if the padding is malformed (nothing is
  // appended then).
  [[nodiscard]] absl::Status DecryptPadded(uint64_t counter,
                                           absl::string_view ciphertext,
                                           std::string* out);

  // Computes AES-CMAC(MAC, chaining value || `tlv_head`), where `tlv_head` is
  // the tag, length and data of a TLV (everything but its MAC), makes the full
  // 16-byte result the new chaining value and writes its first 8 bytes to
  // `mac`.
  [[nodiscard]] absl::Status Mac(absl::string_view tlv_head,
                                 uint8_t mac[kMacSize]);

  static constexpr size_t PaddedSize(size_t plaintext_size) {
    return (plaintext_size / kBlockSize + 1) * kBlockSize;
  }

 private:
  BspCrypto() = default;

  [[nodiscard]] absl::Status StartCbc(uint64_t counter);

  Direction direction_ = Direction::kEncrypt;
  EvpCipherCtxPtr cbc_;
  EvpCipherCtxPtr icv_;
  EvpMacCtxPtr cmac_;
  BspKeys::Key chaining_value_{};
};

}  // namespace smdp::bsp::internal

#endif  // SMDP_SGP22_BSP_INTERNAL_BSP_CRYPTO_H_
