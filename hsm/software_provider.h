// SoftwareProvider: a CryptoProvider over OpenSSL keys, for development,
// tests and benches. Private keys are in process memory (and optionally in
// PEM files); nothing here is tamper-resistant. Production uses
// Pkcs11Provider.
//
//   ASSIGN_OR_RETURN(auto provider, SoftwareProvider::Create(
//                                       {.key_dir = "/var/lib/smdp/keys"}));
//   ASSIGN_OR_RETURN(auto key, provider->GenerateSigningKey(
//                                  "dpauth-nist", Curve::kNistP256));
//   ASSIGN_OR_RETURN(std::string rs, key->Sign(data));
//
// Keys:
//   * Signing keys: ECDSA-SHA256 on NIST P-256 or brainpoolP256r1, signed
//     with OpenSSL (plain r||s output).
//   * Agreement keys: one-time EC key pairs in memory, ECDH x-coordinate.
//   * Secret keys: AES-256-GCM keys (12-byte random nonce, 16-byte tag).
//
// Storage (SoftwareProviderOptions::key_dir):
//   * empty: keys live in this provider's memory only and are lost with it.
//   * a directory: each key is <key_dir>/<label>.pem, mode 0600, written
//     atomically (temporary file, fsync, link; a crash leaves either no key
//     or the complete key, and never overwrites an existing one). Signing
//     keys are PKCS#8 "PRIVATE KEY" PEM, secret keys a "SMDP AES-256 KEY"
//     PEM block. Signing and secret keys share one namespace of labels. A
//     key file readable or writable by group or others is refused.
//     Loaded keys are cached in memory.
//
// Labels: 1 to 128 characters of [A-Za-z0-9._-], not starting with '.'.
// Key references: a label or a PKCS#11 URI with object= (and optionally
// type=private); id= is refused (these keys have no CKA_ID) and token
// attributes (token=, serial= ...) are ignored, so a configuration written
// for Pkcs11Provider also works here.
//
// Thread-safety: all methods may be called from many threads at once; key
// creation and the key cache are serialised by an internal mutex, signing
// and the other key operations take no lock. Returned key handles own their
// key material and stay valid after the provider is destroyed.
#ifndef SMDP_HSM_SOFTWARE_PROVIDER_H_
#define SMDP_HSM_SOFTWARE_PROVIDER_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "hsm/crypto_provider.h"

namespace smdp::hsm {

// Options for SoftwareProvider::Create().
struct SoftwareProviderOptions {
  // Directory of the key files (<key_dir>/<label>.pem). Empty (the default):
  // keys live in memory only. Created with mode 0700 if it does not exist.
  std::string key_dir;
};

// A CryptoProvider over OpenSSL keys. See the file comment.
class SoftwareProvider final : public CryptoProvider {
 public:
  // Creates a provider. InvalidArgument / FailedPrecondition when `key_dir`
  // is set but is not a directory or cannot be created.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<SoftwareProvider>> Create(
      SoftwareProviderOptions options);

  ~SoftwareProvider() override;
  SoftwareProvider(const SoftwareProvider&) = delete;
  SoftwareProvider& operator=(const SoftwareProvider&) = delete;

  // "software:<key_dir>" or "software:memory".
  std::string Describe() const override;

  // NotFound names the label and the directory (or "in memory").
  [[nodiscard]] absl::StatusOr<std::unique_ptr<SigningKey>> LoadSigningKey(
      absl::string_view key_ref) override;
  [[nodiscard]] absl::StatusOr<std::unique_ptr<SigningKey>> GenerateSigningKey(
      absl::string_view label, Curve curve) override;
  [[nodiscard]] absl::StatusOr<std::unique_ptr<SigningKey>> ImportSigningKey(
      absl::string_view label, absl::string_view private_key) override;
  [[nodiscard]] absl::StatusOr<std::unique_ptr<AgreementKey>>
  GenerateAgreementKey(Curve curve) override;
  [[nodiscard]] absl::StatusOr<std::unique_ptr<SecretKey>> GetOrCreateSecretKey(
      absl::string_view label) override;
  [[nodiscard]] absl::StatusOr<std::string> RandomBytes(size_t n) override;

 private:
  struct StoredKey;  // A cached key: an EC private key or AES key bytes.

  explicit SoftwareProvider(SoftwareProviderOptions options);

  // Where key `label` is (for messages): the file path or "in memory".
  std::string Where(absl::string_view label) const;

  // The cached or on-disk key `label`; NotFound when there is none.
  absl::StatusOr<std::shared_ptr<const StoredKey>> FindLocked(
      absl::string_view label) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Stores a new key (file first, then cache). AlreadyExists when `label`
  // is taken.
  absl::Status StoreLocked(absl::string_view label,
                           std::shared_ptr<const StoredKey> key)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const SoftwareProviderOptions options_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<const StoredKey>> keys_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace smdp::hsm

#endif  // SMDP_HSM_SOFTWARE_PROVIDER_H_
