// Test helpers for smdp/auth: software keys, SGP.22-profile certificate
// specs with fixed dates, a whole CI -> EUM -> eUICC chain in one call, the
// SGP.26 test certificates, and plain r||s signing.
//
//   ASSERT_OK_AND_ASSIGN(TestChain chain,
//   MakeTestChain(hsm::Curve::kNistP256)); EuiccCertificateVerifier
//   verifier(chain.TrustStore()); auto verified =
//   verifier.Verify(chain.euicc_der, chain.eum_der, kTestNow);
//
// Certificates made here are valid from kTestNotBefore to kTestNotAfter and
// are verified at kTestNow unless a test says otherwise. Tests change a spec
// (EumSpec(), EuiccSpec() ...) and issue it to make bad certificates.
//
// Thread-safety: the functions are thread-safe; a TestKey signs from any
// thread.
#ifndef SMDP_SMDP_AUTH_TEST_PKI_H_
#define SMDP_SMDP_AUTH_TEST_PKI_H_

#include <memory>
#include <optional>
#include <string>
#include <type_traits>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "hsm/crypto_provider.h"
#include "smdp/auth/ci_trust_store.h"
#include "smdp/common/gsma_status.h"
#include "smdp/pki/certificate_builder.h"
#include "util/ssl_ptr.h"

namespace smdp::auth::testing {

// Validity of the certificates made here, and the time they are checked at.
absl::Time TestNotBefore();  // 2024-01-01
absl::Time TestNotAfter();   // 2034-01-01
absl::Time TestNow();        // 2025-06-01

// The EID prefix of the test EUM, its organisation and the test EID.
inline constexpr absl::string_view kTestEidPrefix = "89049032";
inline constexpr absl::string_view kTestEumOrganization = "RSP Test EUM";
inline constexpr absl::string_view kTestEid =
    "89049032123451234512345678901235";

// A software EC key pair with a certificate signer over it.
struct TestKey {
  hsm::Curve curve = hsm::Curve::kNistP256;
  EvpPkeyPtr key;
  pki::SubjectPublicKey pub;
  std::shared_ptr<pki::EvpKeySigner> signer;

  // ECDSA-SHA256 over `message` as plain r||s (64 bytes).
  absl::StatusOr<std::string> SignPlain(absl::string_view message) const;
};

[[nodiscard]] absl::StatusOr<TestKey> MakeTestKey(hsm::Curve curve);

// Specs with the SGP.22 profile of each role, serial `serial`, the test
// validity, and the subjects of the SGP.26 test PKI.
pki::CertificateSpec CiSpec(const TestKey& key, uint64_t serial = 1);
pki::CertificateSpec EumSpec(
    const TestKey& key,
    pki::EidRangeForm form = pki::EidRangeForm::kNameConstraints,
    uint64_t serial = 2);
pki::CertificateSpec EuiccSpec(const TestKey& key,
                               absl::string_view eid = kTestEid,
                               uint64_t serial = 3);
pki::CertificateSpec DpSpec(pki::CertificateRole role, const TestKey& key,
                            uint64_t serial = 4);

// A CI -> EUM -> eUICC chain on one curve, all keys in software.
struct TestChain {
  hsm::Curve curve = hsm::Curve::kNistP256;
  TestKey ci_key;
  std::string ci_der;
  TestKey eum_key;
  std::string eum_der;
  TestKey euicc_key;
  std::string euicc_der;

  // A trust store holding this chain's CI.
  std::shared_ptr<const CiTrustStore> TrustStore() const;
  // Issues `spec` under the EUM (with the EUM's key) / under the CI.
  absl::StatusOr<std::string> IssueByEum(
      const pki::CertificateSpec& spec) const;
  absl::StatusOr<std::string> IssueByCi(const pki::CertificateSpec& spec) const;
};

[[nodiscard]] absl::StatusOr<TestChain> MakeTestChain(
    hsm::Curve curve,
    pki::EidRangeForm form = pki::EidRangeForm::kNameConstraints);

// A whole file; NotFound when it cannot be read.
[[nodiscard]] absl::StatusOr<std::string> ReadFile(const std::string& path);

// The SGP.26 directory from $SMDP_SGP26_DIR, or nullopt when it is unset.
std::optional<std::string> Sgp26Dir();

// The SGP.26 CI, EUM and eUICC certificates and the eUICC key of one curve.
struct Sgp26Chain {
  std::string ci_der;
  std::string eum_der;
  std::string euicc_der;
  EvpPkeyPtr euicc_key;
  std::string euicc_public_point;
};
// `curve_suffix` is "NIST" or "BRP".
[[nodiscard]] absl::StatusOr<Sgp26Chain> LoadSgp26Chain(
    const std::string& dir, absl::string_view curve_suffix);

// Matches an absl::Status or absl::StatusOr<T> that carries GsmaError
// `error` (see smdp/common/gsma_status.h).
MATCHER_P(HasGsmaError, error,
          absl::StrCat("carries GSMA error ", GsmaErrorToString(error))) {
  const absl::Status status = [&] {
    if constexpr (std::is_same_v<std::decay_t<decltype(arg)>, absl::Status>) {
      return arg;
    } else {
      return arg.status();
    }
  }();
  *result_listener << "whose status is " << status.ToString();
  const std::optional<GsmaError> got = GetGsmaError(status);
  if (got.has_value()) {
    *result_listener << " (" << GsmaErrorToString(*got) << ")";
  }
  return got == error;
}

// ECDSA-SHA256 with `key`, plain r||s.
[[nodiscard]] absl::StatusOr<std::string> SignPlainWith(
    EVP_PKEY* key, absl::string_view message);

}  // namespace smdp::auth::testing

#endif  // SMDP_SMDP_AUTH_TEST_PKI_H_
