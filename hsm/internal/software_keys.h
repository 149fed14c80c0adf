// Key handles backed by OpenSSL EVP keys in process memory. Used by
// SoftwareProvider for everything and by Pkcs11Provider for one-time
// agreement keys when they are not configured to live in the HSM.
//
// Thread-safety: every handle is immutable after creation and safe to use
// from many threads at once (each call makes its own EVP contexts).
// Ownership: a handle owns its key material and wipes it when destroyed.
#ifndef SMDP_HSM_INTERNAL_SOFTWARE_KEYS_H_
#define SMDP_HSM_INTERNAL_SOFTWARE_KEYS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "hsm/crypto_provider.h"
#include "util/ssl_ptr.h"

namespace smdp::hsm::internal {

// Size of an AES-256-GCM key, nonce and tag.
constexpr size_t kAesKeySize = 32;
constexpr size_t kGcmNonceSize = 12;
constexpr size_t kGcmTagSize = 16;

// A SigningKey over an EC private key. FailedPrecondition when `key` is not
// an EC private key on a supported curve.
[[nodiscard]] absl::StatusOr<std::unique_ptr<SigningKey>>
MakeSoftwareSigningKey(EvpPkeyPtr key);

// A new one-time agreement key pair on `curve`, in memory.
[[nodiscard]] absl::StatusOr<std::unique_ptr<AgreementKey>>
GenerateSoftwareAgreementKey(Curve curve);

// A SecretKey over a raw AES-256 key (`key_bytes`, 32 bytes; copied).
[[nodiscard]] absl::StatusOr<std::unique_ptr<SecretKey>> MakeSoftwareSecretKey(
    absl::string_view key_bytes);

// ECDH helper shared by both providers' agreement keys: validates
// `peer_public_point` on `curve` (InvalidArgument otherwise) and returns it
// as an EVP_PKEY.
[[nodiscard]] absl::StatusOr<EvpPkeyPtr> ImportPeerPoint(
    Curve curve, absl::string_view peer_public_point);

}  // namespace smdp::hsm::internal

#endif  // SMDP_HSM_INTERNAL_SOFTWARE_KEYS_H_
