// CryptoProvider: the only place in the server that touches private keys.
//
// Keys are handles you can use but never read: a SigningKey signs, an
// AgreementKey derives a shared secret, a SecretKey seals and opens data. No
// method returns private key bytes or the HSM object behind a handle.
//
//   ASSIGN_OR_RETURN(auto dpauth, provider.LoadSigningKey("dpauth-nist"));
//   ASSIGN_OR_RETURN(std::string rs, dpauth->Sign(server_signed1_der));
//
// Two implementations:
//   * Pkcs11Provider (pkcs11_provider.h): any PKCS#11 HSM through libp11;
//     SoftHSMv2 in development and tests.
//   * SoftwareProvider (software_provider.h): OpenSSL keys in memory, for
//     development and benches.
//
// Thread-safety: a CryptoProvider and every key handle it returns are safe to
// use from many threads at once. Key handles keep what they need of their
// provider alive (they may outlive the provider object).
//
// Public-key operations (signature verification, certificate checks) are not
// here: they use public data only and run in software (smdp/auth).
#ifndef SMDP_HSM_CRYPTO_PROVIDER_H_
#define SMDP_HSM_CRYPTO_PROVIDER_H_

#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace smdp::hsm {

// The elliptic curves of SGP.22.
enum class Curve {
  kNistP256,         // secp256r1 / prime256v1, OID 1.2.840.10045.3.1.7
  kBrainpoolP256r1,  // OID 1.3.36.3.3.2.8.1.1.7
};

// "NIST P-256" or "brainpoolP256r1".
absl::string_view CurveName(Curve curve);

// Size in bytes of one coordinate / scalar on `curve` (32 for both).
constexpr size_t kCoordinateSize = 32;
// Size of a plain r||s signature (BSI TR-03111), as SGP.22 carries it.
constexpr size_t kPlainSignatureSize = 2 * kCoordinateSize;
// Size of an uncompressed point 04||X||Y.
constexpr size_t kUncompressedPointSize = 1 + 2 * kCoordinateSize;
// Size of a SHA-256 digest, the only digest a SigningKey signs.
constexpr size_t kSha256DigestSize = 32;

// A private ECDSA key: signs with ECDSA over SHA-256.
class SigningKey {
 public:
  virtual ~SigningKey() = default;

  virtual Curve curve() const = 0;

  // The public key as an uncompressed point 04||X||Y (65 bytes).
  virtual const std::string& public_point() const = 0;

  // Signs SHA-256(`message`). Returns the plain r||s form (64 bytes), the
  // form every signature inside an SGP.22 structure uses.
  [[nodiscard]] virtual absl::StatusOr<std::string> Sign(
      absl::string_view message) const = 0;

  // Signs a SHA-256 digest the caller computed (for protocols that hash
  // themselves: TLS hands the key a digest). Same r||s form as Sign();
  // Sign(m) is SignDigest(SHA-256(m)). InvalidArgument unless
  // `sha256_digest` is kSha256DigestSize bytes.
  [[nodiscard]] virtual absl::StatusOr<std::string> SignDigest(
      absl::string_view sha256_digest) const = 0;

  // Same signature as Sign(), DER-encoded (ECDSA-Sig-Value), as X.509 and
  // TLS use it.
  [[nodiscard]] absl::StatusOr<std::string> SignDer(
      absl::string_view message) const;
};

// A one-time EC key pair for key agreement (otPK/otSK.DP.ECKA).
class AgreementKey {
 public:
  virtual ~AgreementKey() = default;

  virtual Curve curve() const = 0;

  // The public key as an uncompressed point 04||X||Y (65 bytes).
  virtual const std::string& public_point() const = 0;

  // ECDH with the peer's public point (uncompressed, on the same curve).
  // Returns the shared secret: the x-coordinate, 32 bytes. A point that is
  // not on the curve is InvalidArgument.
  [[nodiscard]] virtual absl::StatusOr<std::string> Derive(
      absl::string_view peer_public_point) const = 0;
};

// A symmetric key-encryption key for secrets at rest (AES-256-GCM).
class SecretKey {
 public:
  virtual ~SecretKey() = default;

  // Encrypts `plaintext` bound to `associated_data` (for example the record
  // key, so a sealed value cannot be moved to another record). Output:
  // 12-byte random nonce || ciphertext || 16-byte tag.
  [[nodiscard]] virtual absl::StatusOr<std::string> Seal(
      absl::string_view plaintext, absl::string_view associated_data) const = 0;

  // Inverse of Seal(). A wrong key, tampered data or other associated data is
  // DataLoss ("authentication failed"); never returns unauthenticated bytes.
  [[nodiscard]] virtual absl::StatusOr<std::string> Open(
      absl::string_view sealed, absl::string_view associated_data) const = 0;
};

// Abstract source of keys and randomness. See the file comment.
class CryptoProvider {
 public:
  virtual ~CryptoProvider() = default;

  // A short description for logs ("pkcs11:/usr/lib/softhsm/libsofthsm2.so
  // token=smdp", "software:/var/lib/smdp/keys"). Never contains secrets.
  virtual std::string Describe() const = 0;

  // Loads an existing private signing key by reference: a label
  // ("dpauth-nist") or a PKCS#11 URI ("pkcs11:object=dpauth-nist;type=private"
  // or "pkcs11:id=%01%02"). NotFound names the key and where it looked;
  // FailedPrecondition when it is not an EC key on a supported curve.
  [[nodiscard]] virtual absl::StatusOr<std::unique_ptr<SigningKey>>
  LoadSigningKey(absl::string_view key_ref) = 0;

  // Creates a new persistent signing key named `label` on `curve` and
  // returns it. The private key is created inside the provider (sensitive,
  // non-extractable in an HSM) and never leaves it. AlreadyExists when a key
  // of that label exists.
  [[nodiscard]] virtual absl::StatusOr<std::unique_ptr<SigningKey>>
  GenerateSigningKey(absl::string_view label, Curve curve) = 0;

  // Stores an existing private key (PKCS#8 PrivateKeyInfo or RFC 5915
  // ECPrivateKey, DER or PEM) as a persistent, sensitive, non-extractable key
  // named `label`. For operators' and SGP.26 test keys that exist as files;
  // the caller should destroy its copy afterwards.
  [[nodiscard]] virtual absl::StatusOr<std::unique_ptr<SigningKey>>
  ImportSigningKey(absl::string_view label, absl::string_view private_key) = 0;

  // Makes a one-time key pair on `curve`. It lives in memory (software) or
  // as a session object in the HSM, as the provider is configured.
  [[nodiscard]] virtual absl::StatusOr<std::unique_ptr<AgreementKey>>
  GenerateAgreementKey(Curve curve) = 0;

  // Returns the persistent key-encryption key named `label`, creating it
  // (inside the provider, non-extractable) if it does not exist yet.
  [[nodiscard]] virtual absl::StatusOr<std::unique_ptr<SecretKey>>
  GetOrCreateSecretKey(absl::string_view label) = 0;

  // `n` cryptographically secure random bytes (n <= 1 MiB).
  [[nodiscard]] virtual absl::StatusOr<std::string> RandomBytes(size_t n) = 0;
};

}  // namespace smdp::hsm

#endif  // SMDP_HSM_CRYPTO_PROVIDER_H_
