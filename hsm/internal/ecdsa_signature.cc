#include "hsm/internal/ecdsa_signature.h"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ecdsa.h>

#include "absl/status/status.h"
#include "util/ssl_ptr.h"

namespace smdp::hsm::internal {

absl::StatusOr<std::string> PlainToDerSignature(absl::string_view rs) {
  if (rs.empty() || rs.size() % 2 != 0) {
    return absl::InvalidArgumentError(
        "plain ECDSA signature must be r||s of two equal halves");
  }
  const size_t half = rs.size() / 2;
  const auto* bytes = reinterpret_cast<const unsigned char*>(rs.data());
  BignumPtr r(BN_bin2bn(bytes, static_cast<int>(half), nullptr));
  BignumPtr s(BN_bin2bn(bytes + half, static_cast<int>(half), nullptr));
  EcdsaSigPtr sig(ECDSA_SIG_new());
  if (r == nullptr || s == nullptr || sig == nullptr) {
    return OpensslError(absl::StatusCode::kResourceExhausted,
                        "allocating ECDSA_SIG");
  }
  if (ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) {
    return OpensslError(absl::StatusCode::kInternal, "ECDSA_SIG_set0");
  }
  // `sig` owns r and s now.
  (void)r.release();
  (void)s.release();
  const int len = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (len <= 0) {
    return OpensslError(absl::StatusCode::kInternal, "i2d_ECDSA_SIG");
  }
  std::string der(static_cast<size_t>(len), '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_ECDSA_SIG(sig.get(), &out) != len) {
    return OpensslError(absl::StatusCode::kInternal, "i2d_ECDSA_SIG");
  }
  return der;
}

absl::StatusOr<std::string> DerToPlainSignature(absl::string_view der,
                                                size_t coordinate_size) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  const unsigned char* const end = p + der.size();
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (sig == nullptr || p != end) {
    return OpensslError(absl::StatusCode::kInvalidArgument,
                        "malformed DER ECDSA signature");
  }
  const BIGNUM* r = ECDSA_SIG_get0_r(sig.get());
  const BIGNUM* s = ECDSA_SIG_get0_s(sig.get());
  std::string rs(2 * coordinate_size, '\0');
  auto* out = reinterpret_cast<unsigned char*>(rs.data());
  const int n = static_cast<int>(coordinate_size);
  if (BN_is_negative(r) || BN_is_negative(s) || BN_bn2binpad(r, out, n) != n ||
      BN_bn2binpad(s, out + coordinate_size, n) != n) {
    return absl::InvalidArgumentError(
        "ECDSA signature r or s does not fit the curve size");
  }
  return rs;
}

}  // namespace smdp::hsm::internal
