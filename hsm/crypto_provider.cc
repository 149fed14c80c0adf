#include "hsm/crypto_provider.h"

#include "hsm/internal/ecdsa_signature.h"
#include "util/status_macros.h"

namespace smdp::hsm {

absl::string_view CurveName(Curve curve) {
  switch (curve) {
    case Curve::kNistP256:
      return "NIST P-256";
    case Curve::kBrainpoolP256r1:
      return "brainpoolP256r1";
  }
  return "unknown curve";
}

absl::StatusOr<std::string> SigningKey::SignDer(
    absl::string_view message) const {
  ASSIGN_OR_RETURN(std::string rs, Sign(message));
  return internal::PlainToDerSignature(rs);
}

}  // namespace smdp::hsm
