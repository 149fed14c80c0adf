// BspDecoder: the receiving side of the BSP (SGP.22 2.6.4), for the server's
// own checks and unit tests: verifies the MAC of every TLV in order, decrypts,
// strips the padding, and follows ReplaceSessionKeys to the PPK.
//
// This is not the software eUICC's decoder (tests/euicc/ has its own,
// independent code path); it shares BspEncoder's primitives, so it proves
// self-consistency, not interoperability (the known-answer tests do that).
//
//   ASSIGN_OR_RETURN(BspDecoder session, BspDecoder::Create(session_keys));
//   ASSIGN_OR_RETURN(std::string configure_isdp,
//                    session.DecryptSegments(kTagEncryptedCommand, seq87));
//   ASSIGN_OR_RETURN(std::string metadata,
//                    session.VerifyMacOnlySegments(kTagMacOnly, seq88));
//   ASSIGN_OR_RETURN(BspKeys ppk, session.DecryptReplaceSessionKeys(seq87b));
//   ASSIGN_OR_RETURN(BspDecoder profile_decoder, BspDecoder::Create(ppk));
//   ASSIGN_OR_RETURN(std::string profile, profile_decoder.DecryptSegments(
//                                             kTagProfileSegment, seq86));
// or all at once with UnprotectBppSequences().
//
// Strict: each TLV must have the expected tag, a minimal DER length, at most
// 1020 bytes in all, and (encrypted) a non-empty multiple of 16 bytes before
// its MAC.
//
// Errors: malformed TLVs are InvalidArgument; a wrong MAC or malformed
// padding is DataLoss. After any error the decoder's chaining value and
// counter no longer match the sender's, so every later call fails with
// FailedPrecondition.
//
// Thread-safety: not thread-safe. Move-only.
#ifndef SMDP_SGP22_BSP_BSP_DECODER_H_
#define SMDP_SGP22_BSP_BSP_DECODER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "sgp22/bsp/bsp_format.h"
#include "sgp22/bsp/bsp_keys.h"

namespace smdp::bsp {

namespace internal {
class BspCrypto;
}  // namespace internal

// One BSP instance on the receiving side; see the file comment.
class BspDecoder {
 public:
  // A decoder for `keys` with block counter 1. Internal if OpenSSL fails.
  [[nodiscard]] static absl::StatusOr<BspDecoder> Create(const BspKeys& keys);

  BspDecoder(BspDecoder&&) noexcept;
  BspDecoder& operator=(BspDecoder&&) noexcept;
  ~BspDecoder();

  // Verifies and decrypts exactly one encrypted TLV (`tag` 86 or 87) and
  // returns its plaintext.
  [[nodiscard]] absl::StatusOr<std::string> DecryptSegment(
      uint8_t tag, absl::string_view tlv);

  // Verifies exactly one MAC-only TLV (`tag` 88) and returns its data.
  [[nodiscard]] absl::StatusOr<std::string> VerifyMacOnlySegment(
      uint8_t tag, absl::string_view tlv);

  // Verifies and decrypts a non-empty concatenation of encrypted TLVs, all
  // tagged `tag` (the content of a sequenceOf86/87), and returns the joined
  // plaintext.
  [[nodiscard]] absl::StatusOr<std::string> DecryptSegments(
      uint8_t tag, absl::string_view tlvs);

  // Verifies a non-empty concatenation of MAC-only TLVs tagged `tag` (the
  // content of a sequenceOf88) and returns the joined data.
  [[nodiscard]] absl::StatusOr<std::string> VerifyMacOnlySegments(
      uint8_t tag, absl::string_view tlvs);

  // Verifies and decrypts the content of a secondSequenceOf87: one 87 TLV
  // holding ReplaceSessionKeysRequest (BF26 { 80 10, 81 10, 82 10 }), and
  // returns the PPK it carries. InvalidArgument if the plaintext is not
  // exactly that structure.
  [[nodiscard]] absl::StatusOr<BspKeys> DecryptReplaceSessionKeys(
      absl::string_view tlvs);

  // The block counter the next TLV must have been made with.
  uint64_t next_counter() const { return counter_; }

 private:
  explicit BspDecoder(std::unique_ptr<internal::BspCrypto> crypto);

  // Verifies and strips one TLV from the front of `*in`, appending its
  // plaintext to `*out`.
  [[nodiscard]] absl::Status DecodeOne(uint8_t tag, bool encrypted,
                                       absl::string_view* in, std::string* out);
  [[nodiscard]] absl::Status DecodeAll(uint8_t tag, bool encrypted,
                                       bool exactly_one, absl::string_view in,
                                       std::string* out);

  std::unique_ptr<internal::BspCrypto> crypto_;
  uint64_t counter_ = 1;
  bool poisoned_ = false;
};

// The plaintext of a Bound Profile Package's protected parts.
struct UnprotectedBpp {
  std::string configure_isdp;  // ConfigureISDPRequest (BF24 ...)
  std::string store_metadata;  // StoreMetadataRequest (BF25 ...)
  std::optional<BspKeys> ppk;  // from ReplaceSessionKeys, if present
  std::string profile;         // the unprotected profile package
};

// Decodes the contents (without their A0..A3 wrappers) of the four protected
// sequences of a BPP in the eUICC's order, switching to the PPK for the 86
// segments when `second_sequence_of_87` is present.
[[nodiscard]] absl::StatusOr<UnprotectedBpp> UnprotectBppSequences(
    const BspKeys& session_keys, absl::string_view first_sequence_of_87,
    absl::string_view sequence_of_88,
    std::optional<absl::string_view> second_sequence_of_87,
    absl::string_view sequence_of_86);

}  // namespace smdp::bsp

#endif  // SMDP_SGP22_BSP_BSP_DECODER_H_
