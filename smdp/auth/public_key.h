// EC public keys on the SGP.22 curves and ECDSA-SHA256 signature checks.
//
// A PublicKey is imported once (the point is checked to lie on the curve)
// and then verifies any number of signatures without further setup: it keeps
// a prepared OpenSSL verify context and copies it per call, so no algorithm
// is fetched (and none of OpenSSL 3.0's global locks taken) per signature.
//
//   ASSIGN_OR_RETURN(PublicKey key,
//                    PublicKey::FromPoint(hsm::Curve::kNistP256, point));
//   RETURN_IF_ERROR(key.VerifyPlain(euicc_signed1_der, euicc_signature1));
//
// SGP.22 carries signatures as plain r||s (64 bytes, BSI TR-03111):
// VerifyPlain(). X.509 certificates carry DER ECDSA-Sig-Values:
// IsValidDerSignature().
//
// Thread-safety: a PublicKey is immutable; copies share the key, and any
// number of threads may verify with one key (or its copies) at once.
#ifndef SMDP_SMDP_AUTH_PUBLIC_KEY_H_
#define SMDP_SMDP_AUTH_PUBLIC_KEY_H_

#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "hsm/crypto_provider.h"

namespace smdp::auth {

// An EC public key on NIST P-256 or brainpoolP256r1. See the file comment.
class PublicKey {
 public:
  // Imports the uncompressed point 04||X||Y (65 bytes) on `curve`.
  // InvalidArgument when the point has another size or form or is not on
  // the curve.
  [[nodiscard]] static absl::StatusOr<PublicKey> FromPoint(
      hsm::Curve curve, absl::string_view point);

  hsm::Curve curve() const;
  // The uncompressed point, 65 bytes.
  const std::string& point() const;

  // Whether `rs`, a plain r||s signature (64 bytes), is a valid ECDSA
  // signature over SHA-256(`message`). False for any other size.
  bool IsValidPlainSignature(absl::string_view message,
                             absl::string_view rs) const;

  // Whether `der` (an ECDSA-Sig-Value) is a valid ECDSA signature over
  // SHA-256(`message`).
  bool IsValidDerSignature(absl::string_view message,
                           absl::string_view der) const;

  // IsValidPlainSignature() as a status: OK, or Unauthenticated carrying
  // GsmaError::kEuiccSignatureInvalid (8.1/6.1), the answer to a bad
  // euiccSignature1/2 or notification signature.
  [[nodiscard]] absl::Status VerifyPlain(absl::string_view message,
                                         absl::string_view rs) const;

 private:
  struct Impl;
  explicit PublicKey(std::shared_ptr<const Impl> impl)
      : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;  // Never null.
};

// Imports `public_point` on `curve` and verifies the plain r||s signature
// `rs` over SHA-256(`message`). OK, or Unauthenticated carrying
// GsmaError::kEuiccSignatureInvalid (8.1/6.1) for a bad signature, a
// signature that is not 64 bytes, or a point that is not on the curve.
// Costs one point import (~4 µs on P-256) more than PublicKey::VerifyPlain;
// keep the PublicKey when verifying more than once.
[[nodiscard]] absl::Status VerifyPlainSignature(hsm::Curve curve,
                                                absl::string_view public_point,
                                                absl::string_view message,
                                                absl::string_view rs_signature);

// The DER ECDSA-Sig-Value of a plain r||s signature (two halves of equal
// size, at most 66 bytes each). InvalidArgument for an empty, odd-sized or
// oversized input.
[[nodiscard]] absl::StatusOr<std::string> PlainSignatureToDer(
    absl::string_view rs);

}  // namespace smdp::auth

#endif  // SMDP_SMDP_AUTH_PUBLIC_KEY_H_
