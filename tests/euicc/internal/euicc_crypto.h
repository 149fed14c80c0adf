// The software eUICC's own cryptography, written here with plain OpenSSL 3
// calls so that it shares no code with the server's sgp22/bsp, smdp/auth and
// hsm/ modules: a bug that is symmetric on both sides (a wrong KDF order, a
// MAC over the wrong bytes, an r||s conversion that drops a leading zero)
// then shows up as a failed download instead of hiding.
//
//   ASSIGN_OR_RETURN(EvpPkeyPtr otsk, GenerateKey(NID_brainpoolP256r1, rng));
//   ASSIGN_OR_RETURN(EvpPkeyPtr peer, PublicKeyFromPoint(nid, smdp_otpk));
//   ASSIGN_OR_RETURN(std::string shs, Ecdh(*otsk, *peer));
//   ASSIGN_OR_RETURN(SessionKeys keys, DeriveSessionKeys(shs, host_id, eid));
//   ASSIGN_OR_RETURN(SegmentOpener opener, SegmentOpener::Create(
//       keys.enc, keys.mac, keys.initial_mcv));
//   ASSIGN_OR_RETURN(std::string plain, opener.Open(tlv, 0x87, true));
//
// Everything here is a pure function of its inputs except SegmentOpener,
// which is a small value for one thread at a time.
#ifndef SMDP_TESTS_EUICC_INTERNAL_EUICC_CRYPTO_H_
#define SMDP_TESTS_EUICC_INTERNAL_EUICC_CRYPTO_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "util/ssl_ptr.h"

namespace smdp::euicc::internal {

// Size of an AES-128 key, a MAC chaining value and an AES block.
inline constexpr size_t kAesKeySize = 16;
// Size of the truncated BSP MAC at the end of every protected TLV.
inline constexpr size_t kBspMacSize = 8;
// Largest protected TLV (tag, length and MAC included).
inline constexpr size_t kMaxBspSegmentSize = 1020;

// SHA-256 of `data` (32 bytes).
[[nodiscard]] absl::StatusOr<std::string> Sha256(absl::string_view data);

// The three values the BSP KDF yields, each 16 bytes.
struct SessionKeys {
  std::string initial_mcv;  // first MAC chaining value
  std::string enc;          // S-ENC
  std::string mac;          // S-MAC
};

// The BSP session keys (SGP.22 2.6.4.2, ANSI X9.63 KDF with SHA-256):
// SHA-256(ShS || counter (4 bytes BE, from 1) || sharedInfo) blocks, where
// sharedInfo = 88 || 10 || len(host_id) || host_id || 10 || eid; the first
// 48 output bytes are the initial MCV, S-ENC and S-MAC, in that order.
// `shared_secret` is 32 bytes, `host_id` 1..127 bytes, `eid` 16 bytes.
[[nodiscard]] absl::StatusOr<SessionKeys> DeriveSessionKeys(
    absl::string_view shared_secret, absl::string_view host_id,
    absl::string_view eid);

// ---- EC keys ----

// The curve NID of an EC key (NID_X9_62_prime256v1, NID_brainpoolP256r1,
// ...), or NID_undef for other keys.
int CurveNid(const EVP_PKEY& key);
// "NIST P-256", "brainpoolP256r1" or the OpenSSL short name.
std::string CurveNameOf(int nid);

// A public key on curve `nid` from an uncompressed point 04||X||Y (65
// bytes). InvalidArgument when the point is malformed or not on the curve.
[[nodiscard]] absl::StatusOr<EvpPkeyPtr> PublicKeyFromPoint(
    int nid, absl::string_view point);

// The uncompressed public point 04||X||Y of an EC key.
[[nodiscard]] absl::StatusOr<std::string> PublicPoint(const EVP_PKEY& key);

// The private scalar of an EC key, 32 bytes big-endian.
[[nodiscard]] absl::StatusOr<std::string> PrivateScalar(const EVP_PKEY& key);

// An EC key pair on `nid` with private scalar `scalar` (32 bytes
// big-endian, 1 <= d < order); the public point is computed.
[[nodiscard]] absl::StatusOr<EvpPkeyPtr> KeyFromPrivateScalar(
    int nid, absl::string_view scalar);

// Returns `n` random bytes.
using RandomBytesFn = std::function<absl::StatusOr<std::string>(size_t n)>;

// A fresh key pair on `nid` whose private scalar is drawn from `random`:
// 40 random bytes c give d = (c mod (order - 1)) + 1 (FIPS 186-4 B.4.1).
[[nodiscard]] absl::StatusOr<EvpPkeyPtr> GenerateKey(
    int nid, const RandomBytesFn& random);

// Parses a PEM private key (PKCS#8 or "EC PRIVATE KEY", with or without an
// "EC PARAMETERS" block before it).
[[nodiscard]] absl::StatusOr<EvpPkeyPtr> PrivateKeyFromPem(
    absl::string_view pem);

// ECDH: the x-coordinate of private_key * peer, 32 bytes.
[[nodiscard]] absl::StatusOr<std::string> Ecdh(const EVP_PKEY& private_key,
                                               const EVP_PKEY& peer);

// ---- ECDSA with SHA-256, signatures as plain r||s (BSI TR-03111) ----

// An ECDSA-Sig-Value (DER) for a 64-byte r||s. InvalidArgument on another
// size.
[[nodiscard]] absl::StatusOr<std::string> PlainToDerSignature(
    absl::string_view r_s);
// The 64-byte r||s of an ECDSA-Sig-Value; r and s are left-padded to 32
// bytes. InvalidArgument when the DER is malformed or r/s exceed 32 bytes.
[[nodiscard]] absl::StatusOr<std::string> DerToPlainSignature(
    absl::string_view der);

// Signs SHA-256(message) with `key`; returns r||s (64 bytes).
[[nodiscard]] absl::StatusOr<std::string> SignPlain(const EVP_PKEY& key,
                                                    absl::string_view message);

// Verifies an r||s signature over SHA-256(message). OK when valid;
// InvalidArgument ("signature does not verify", or a malformed signature)
// otherwise; Internal only when OpenSSL itself fails.
[[nodiscard]] absl::Status VerifyPlain(const EVP_PKEY& key,
                                       absl::string_view message,
                                       absl::string_view r_s);

// ---- BSP segments (the receiving side) ----

// Opens the protected TLVs of one BSP instance, in order: checks each MAC
// against the chain, decrypts and strips the padding. The block counter
// starts at 1 and counts every TLV opened, MAC-only ones included.
//
// Errors: DataLoss when a MAC does not match (an SCP03t security error);
// InvalidArgument when a TLV is malformed (wrong tag, bad length field,
// larger than 1020 bytes, ciphertext not a multiple of 16, bad padding: an
// SCP03t structure error); Internal when OpenSSL fails. After any error the
// opener refuses further TLVs (FailedPrecondition).
class SegmentOpener {
 public:
  // An opener with keys `enc` and `mac` and chaining value `initial_mcv`
  // (16 bytes each).
  [[nodiscard]] static absl::StatusOr<SegmentOpener> Create(
      absl::string_view enc, absl::string_view mac,
      absl::string_view initial_mcv);

  SegmentOpener(SegmentOpener&&) noexcept;
  SegmentOpener& operator=(SegmentOpener&&) noexcept;
  ~SegmentOpener();

  // Opens one whole TLV `tlv` (tag, DER length, data, 8-byte MAC) that must
  // carry `tag`. Returns the plaintext: decrypted and unpadded when
  // `encrypted`, the data as is otherwise.
  [[nodiscard]] absl::StatusOr<std::string> Open(absl::string_view tlv,
                                                 uint8_t tag, bool encrypted);

  // The counter the next TLV will use (1 for a new opener).
  uint64_t next_counter() const { return counter_; }

 private:
  SegmentOpener() = default;
  [[nodiscard]] absl::StatusOr<std::string> OpenUnchecked(absl::string_view tlv,
                                                          uint8_t tag,
                                                          bool encrypted);

  std::string enc_;
  std::string chaining_value_;
  EvpMacCtxPtr cmac_;  // keyed with S-MAC; duplicated for every TLV
  uint64_t counter_ = 1;
  bool failed_ = false;
};

// Strips ISO/IEC 9797-1 method 2 padding (80 00..) of 1 to 16 bytes from
// `padded`. InvalidArgument when there is none.
[[nodiscard]] absl::StatusOr<std::string> StripPadding(
    absl::string_view padded);

}  // namespace smdp::euicc::internal

#endif  // SMDP_TESTS_EUICC_INTERNAL_EUICC_CRYPTO_H_
