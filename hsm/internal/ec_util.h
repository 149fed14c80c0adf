// Elliptic-curve helpers shared by the providers: curve identifiers in the
// forms OpenSSL and PKCS#11 use, EVP_PKEY <-> uncompressed point, key
// parsing, and the software ECDSA / ECDH primitives.
//
// Every function validates its input and reports problems as absl::Status;
// none of them aborts on malformed data.
//
// Thread-safety: all functions are safe to call from many threads at once;
// an EVP_PKEY passed as `const` is only read (OpenSSL 3 allows concurrent use
// of one key from many threads).
#ifndef SMDP_HSM_INTERNAL_EC_UTIL_H_
#define SMDP_HSM_INTERNAL_EC_UTIL_H_

#include <openssl/evp.h>

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "hsm/crypto_provider.h"
#include "util/ssl_ptr.h"

namespace smdp::hsm::internal {

// OpenSSL's group name: "prime256v1" or "brainpoolP256r1".
const char* CurveGroupName(Curve curve);

// The curve's OBJECT IDENTIFIER as a complete DER TLV (06 len oid), which
// is also the value of the PKCS#11 attribute CKA_EC_PARAMS.
absl::string_view CurveOidDer(Curve curve);

// The curve named by a DER OBJECT IDENTIFIER TLV (CKA_EC_PARAMS).
// FailedPrecondition for any other curve or explicit parameters; the
// message shows the OID.
[[nodiscard]] absl::StatusOr<Curve> CurveFromOidDer(absl::string_view der);

// The curve of an EC key. FailedPrecondition for a non-EC key or an
// unsupported curve (the message names the key type or curve).
[[nodiscard]] absl::StatusOr<Curve> CurveOfKey(const EVP_PKEY* key);

// A public key on `curve` from an uncompressed point 04||X||Y. InvalidArgument
// when the point has the wrong size or form or is not on the curve (both
// supported curves have cofactor 1, so "on the curve" and "not infinity" is
// full validation).
[[nodiscard]] absl::StatusOr<EvpPkeyPtr> PublicKeyFromPoint(
    Curve curve, absl::string_view point);

// The public point of an EC key as 04||X||Y (65 bytes), whatever point
// conversion form the key was stored with.
[[nodiscard]] absl::StatusOr<std::string> PublicPointOf(const EVP_PKEY* key);

// The private scalar of an EC key, big-endian, 32 bytes. Secret: the caller
// wipes it (OPENSSL_cleanse) when done.
[[nodiscard]] absl::StatusOr<std::string> PrivateScalarOf(const EVP_PKEY* key);

// Parses a private key: PEM ("PRIVATE KEY" or "EC PRIVATE KEY", other PEM
// blocks such as "EC PARAMETERS" are skipped) or DER (PKCS#8 or RFC 5915).
// Unencrypted only. InvalidArgument when nothing parses.
[[nodiscard]] absl::StatusOr<EvpPkeyPtr> ParsePrivateKey(
    absl::string_view pem_or_der);

// A new random EC key pair on `curve`.
[[nodiscard]] absl::StatusOr<EvpPkeyPtr> GenerateEcKey(Curve curve);

// SHA-256 of `data` (32 bytes).
std::string Sha256(absl::string_view data);

// A signing context for `key`, prepared once (EVP_PKEY_sign_init) and used
// as the read-only prototype of EcdsaSignSha256().
[[nodiscard]] absl::StatusOr<EvpPkeyCtxPtr> NewSignContext(const EVP_PKEY* key);

// ECDSA over SHA-256(`message`) with the key of `prototype` (from
// NewSignContext(); copied per call, never modified, so one prototype
// serves many threads). Plain r||s (64 bytes).
[[nodiscard]] absl::StatusOr<std::string> EcdsaSignSha256(
    const EVP_PKEY_CTX* prototype, absl::string_view message);

// ECDSA over a SHA-256 digest computed by the caller (`digest`, 32 bytes;
// InvalidArgument otherwise), with the key of `prototype` as in
// EcdsaSignSha256(). Plain r||s (64 bytes).
[[nodiscard]] absl::StatusOr<std::string> EcdsaSignDigest(
    const EVP_PKEY_CTX* prototype, absl::string_view digest);

// Whether `rs` (plain r||s) is a valid ECDSA signature over
// SHA-256(`message`) for the public key `key`.
bool EcdsaVerifySha256(const EVP_PKEY* key, absl::string_view message,
                       absl::string_view rs);

// ECDH: the x-coordinate (32 bytes) of key * peer. `peer` must come from
// PublicKeyFromPoint() (already validated), so the derive does not check it
// again.
[[nodiscard]] absl::StatusOr<std::string> EcdhSharedX(const EVP_PKEY* key,
                                                      const EVP_PKEY* peer);

// The DER OCTET STRING that wraps an EC point in CKA_EC_POINT (04 41 04..).
std::string WrapEcPoint(absl::string_view point);

// The uncompressed point inside a CKA_EC_POINT value: accepts the DER OCTET
// STRING form (the standard) and a raw 04||X||Y (some HSMs). InvalidArgument
// for anything else.
[[nodiscard]] absl::StatusOr<std::string> UnwrapEcPoint(
    absl::string_view value);

// Lower-case hex of `bytes`, for messages about public data (ids, OIDs).
std::string HexOf(absl::string_view bytes);

}  // namespace smdp::hsm::internal

#endif  // SMDP_HSM_INTERNAL_EC_UTIL_H_
