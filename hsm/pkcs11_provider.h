// Pkcs11Provider: a CryptoProvider over a PKCS#11 token (any HSM; SoftHSMv2
// in development and tests).
//
//   Pkcs11ProviderOptions options;  // SoftHSM's module path by default.
//   options.token_label = "smdp";
//   ASSIGN_OR_RETURN(options.pin, ReadPin({.env_var = "SMDP_HSM_PIN"}));
//   ASSIGN_OR_RETURN(auto hsm, Pkcs11Provider::Open(std::move(options)));
//   ASSIGN_OR_RETURN(auto dpauth, hsm->LoadSigningKey("dpauth-nist"));
//   ASSIGN_OR_RETURN(std::string rs, dpauth->Sign(data));
//
// What runs where:
//   * Signing keys are token objects (CKO_PRIVATE_KEY, CKK_EC; sensitive,
//     non-extractable when created here). Sign() hashes with SHA-256 in
//     software and calls C_Sign with CKM_ECDSA, which returns r||s;
//     SignDigest() does the same with the caller's digest.
//   * Agreement keys (one-time otSK.DP.ECKA) are made in software by
//     default: they are ephemeral, and object creation is serialised in
//     many HSMs. With `agreement_in_hsm` they are session key pairs
//     (CKA_TOKEN false) and Derive() is C_DeriveKey CKM_ECDH1_DERIVE.
//   * Secret keys are token AES-256 keys; Seal/Open use CKM_AES_GCM.
//   * RandomBytes() is C_GenerateRandom.
//
// Keys are found by CKA_LABEL or CKA_ID (plain label or PKCS#11 URI, see
// pkcs11_uri.h). A signing key needs its public key object too (same
// CKA_ID, or the same label when the private key has no id), because the
// public point is read from CKO_PUBLIC_KEY's CKA_EC_POINT.
//
// Sessions: the provider opens one login session (held for its lifetime,
// it keeps the token logged in) and a pool of `session_pool_size` R/W
// sessions. Every operation borrows one pool session for its duration; a
// mutex guards only the borrowing and returning, never a PKCS#11 call. When
// every session is busy, callers wait. A session that fails is closed and
// replaced by a new one on a later call.
//
// Thread-safety: all methods and all key handles may be used from many
// threads at once. Ownership: key handles share ownership of the token
// state (module, sessions, login) with the provider, so they stay valid
// after the provider is destroyed; when the last of them goes away the
// sessions are closed and the token is logged out. The loaded module is
// shared with every other Pkcs11Provider of the same module file in this
// process (PKCS#11 state is per process) and stays loaded and initialised
// until the process exits, because re-initialising a module in one process
// is unsafe with real libraries (see internal/pkcs11_module.h). Providers on
// the same token in one process share its login and must use the same PIN.
//
// The PIN is used for the login and then wiped; it is not kept. Errors
// never contain the PIN. Typical ones: NotFound (module file, token,
// key; the message lists what exists), PermissionDenied (wrong PIN, naming
// the token), FailedPrecondition (not a PKCS#11 module, a key of the wrong
// type or curve, a missing public key object), DataLoss (Open() of data that
// does not authenticate).
#ifndef SMDP_HSM_PKCS11_PROVIDER_H_
#define SMDP_HSM_PKCS11_PROVIDER_H_

#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "hsm/crypto_provider.h"

namespace smdp::hsm {
namespace internal {
class Pkcs11Token;
}  // namespace internal

// Options for Pkcs11Provider::Open().
struct Pkcs11ProviderOptions {
  // Path of the PKCS#11 module (shared library).
  std::string module_path = "/usr/lib/softhsm/libsofthsm2.so";
  // Label of the token to use. At least one of `token_label` and `slot_id`
  // must be set; when both are, both must match.
  std::string token_label;
  // Slot of the token to use. Default: unset (find the token by label).
  std::optional<unsigned long> slot_id;
  // User PIN. Default: empty, which is only valid for a token that does not
  // require login. Read it with ReadPin() (pin_source.h); never log it.
  std::string pin;
  // Number of pooled R/W sessions, i.e. of concurrent HSM operations.
  // 0 (the default): std::thread::hardware_concurrency().
  size_t session_pool_size = 0;
  // Generate one-time agreement keys and run ECDH inside the token instead
  // of in software. Default: false.
  bool agreement_in_hsm = false;
};

// A CryptoProvider over one PKCS#11 token. See the file comment.
class Pkcs11Provider final : public CryptoProvider {
 public:
  // Loads the module, finds the token, opens the sessions and logs in.
  // InvalidArgument when neither token_label nor slot_id is set; NotFound
  // when the module file or the token does not exist; FailedPrecondition
  // when the module does not load or initialise, the token is not
  // initialised or the label matches several tokens; PermissionDenied for a
  // wrong PIN or a missing PIN on a token that requires login.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Pkcs11Provider>> Open(
      Pkcs11ProviderOptions options);

  ~Pkcs11Provider() override;
  Pkcs11Provider(const Pkcs11Provider&) = delete;
  Pkcs11Provider& operator=(const Pkcs11Provider&) = delete;

  // "pkcs11:<module_path> token=<label>".
  std::string Describe() const override;

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
  Pkcs11Provider(Pkcs11ProviderOptions options,
                 std::shared_ptr<internal::Pkcs11Token> token);

  const Pkcs11ProviderOptions options_;
  // Module, login and session pool; shared with every key handle.
  const std::shared_ptr<internal::Pkcs11Token> token_;
};

// Initialises the first token slot that holds no initialised token, the
// generic PKCS#11 way: C_InitToken with `so_pin` and `label`, then
// C_InitPIN with `user_pin`. For development bootstrap and tests.
// AlreadyExists when a token with `label` exists; ResourceExhausted when no
// free slot is left; InvalidArgument for a label longer than 32 bytes or an
// empty PIN; module errors as in Pkcs11Provider::Open().
[[nodiscard]] absl::Status InitializeToken(absl::string_view module_path,
                                           absl::string_view label,
                                           absl::string_view so_pin,
                                           absl::string_view user_pin);

}  // namespace smdp::hsm

#endif  // SMDP_HSM_PKCS11_PROVIDER_H_
