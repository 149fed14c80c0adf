// Test helpers for hsm/ and for modules that test against a CryptoProvider:
// status matchers and an independent OpenSSL verification path.
//
//   EXPECT_THAT(provider->LoadSigningKey("nope"),
//               StatusIs(absl::StatusCode::kNotFound));
//   ASSERT_OK_AND_ASSIGN(auto key, provider->GenerateSigningKey(...));
//   EXPECT_TRUE(VerifyPlainSignature(key->curve(), key->public_point(),
//                                    message, rs));
//
// The verification helpers build the public key from a SubjectPublicKeyInfo
// (d2i_PUBKEY) and the DER signature with ECDSA_SIG directly, so they do not
// share code with the providers they check.
#ifndef SMDP_HSM_INTERNAL_TEST_UTIL_H_
#define SMDP_HSM_INTERNAL_TEST_UTIL_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hsm/crypto_provider.h"
#include "util/ssl_ptr.h"

namespace smdp::hsm::testing {

inline const absl::Status& GetStatus(const absl::Status& status) {
  return status;
}
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

// Matches an absl::Status or absl::StatusOr<T> whose code is `code`.
MATCHER_P(StatusIs, code,
          absl::StrCat("has status code ", absl::StatusCodeToString(code))) {
  const absl::Status& status = GetStatus(arg);
  *result_listener << "whose status is " << status.ToString();
  return status.code() == code;
}

// Matches an OK absl::Status or absl::StatusOr<T>.
MATCHER(IsOk, "is OK") {
  const absl::Status& status = GetStatus(arg);
  *result_listener << "whose status is " << status.ToString();
  return status.ok();
}

#define SMDP_TEST_CONCAT_INNER_(a, b) a##b
#define SMDP_TEST_CONCAT_(a, b) SMDP_TEST_CONCAT_INNER_(a, b)

#define ASSERT_OK(expr) ASSERT_THAT(expr, ::smdp::hsm::testing::IsOk())
#define EXPECT_OK(expr) EXPECT_THAT(expr, ::smdp::hsm::testing::IsOk())

// Asserts that `rexpr` (a StatusOr) is OK and moves its value into `lhs`.
#define ASSERT_OK_AND_ASSIGN(lhs, rexpr)                     \
  auto SMDP_TEST_CONCAT_(smdp_test_so_, __LINE__) = (rexpr); \
  ASSERT_THAT(SMDP_TEST_CONCAT_(smdp_test_so_, __LINE__),    \
              ::smdp::hsm::testing::IsOk());                 \
  lhs = *std::move(SMDP_TEST_CONCAT_(smdp_test_so_, __LINE__))

// The public key for an uncompressed point, via a SubjectPublicKeyInfo DER
// and d2i_PUBKEY (not the providers' import path). Null when invalid.
EvpPkeyPtr PublicKeyViaSpki(Curve curve, absl::string_view point);

// Verifies a plain r||s ECDSA-SHA256 signature with OpenSSL EVP.
bool VerifyPlainSignature(Curve curve, absl::string_view point,
                          absl::string_view message, absl::string_view rs);

// Verifies a DER ECDSA-SHA256 signature with OpenSSL EVP.
bool VerifyDerSignature(Curve curve, absl::string_view point,
                        absl::string_view message, absl::string_view der);

// A fresh EC key pair on `curve` made with plain OpenSSL.
EvpPkeyPtr NewOpensslKey(Curve curve);

// The uncompressed public point of an OpenSSL EC key.
std::string PointOfOpensslKey(EVP_PKEY* key);

// ECDH x-coordinate computed by OpenSSL with `key` and the peer `point`
// (with OpenSSL's full peer validation). Empty on error.
std::string OpensslEcdh(EVP_PKEY* key, Curve curve, absl::string_view point);

// Reads a whole file; empty on error.
std::string ReadFileOrDie(const std::string& path);

// The uncompressed point of the public key in a PEM "PUBLIC KEY" file or a
// DER certificate file.
std::string PointFromPublicKeyPem(const std::string& path);
std::string PointFromCertificateDer(const std::string& path);

}  // namespace smdp::hsm::testing

#endif  // SMDP_HSM_INTERNAL_TEST_UTIL_H_
