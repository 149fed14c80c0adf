// Test helpers for hsm/ and for modules that test against a CryptoProvider:
// the status matchers (util/status_matchers.h) and an independent OpenSSL
// verification path.
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
#include "util/status_matchers.h"

namespace smdp::hsm::testing {

// The status matchers, under the names hsm tests have always used.
using ::smdp::matchers::GetStatus;
using ::smdp::matchers::IsOk;
using ::smdp::matchers::StatusIs;

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
