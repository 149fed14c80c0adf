// Test helpers around the software eUICC: its credentials from the SGP.26
// test PKI or the dev PKI, fresh test chains (including bad ones: an expired
// eUICC certificate, a chain to a foreign CI), SM-DP+ certificates for the
// server side of a test (expired, wrong policy, foreign CI), and a tampered
// BPP.
//
//   const std::string dir = Sgp26Dir();
//   if (dir.empty()) GTEST_SKIP() << "SMDP_SGP26_DIR is not set";
//   ASSERT_OK_AND_ASSIGN(EuiccCredentials creds,
//                        LoadSgp26Euicc(dir, hsm::Curve::kNistP256));
//   SoftwareEuiccConfig config = creds.ToConfig();
//   config.clock = FixedClock(kTestTime);
//   ASSERT_OK_AND_ASSIGN(auto euicc, SoftwareEuicc::Create(config));
//
//   // An eUICC whose certificate expired yesterday, for a server test:
//   ASSERT_OK_AND_ASSIGN(TestChain chain, MakeTestChain({
//       .curve = hsm::Curve::kNistP256,
//       .euicc_not_after = now - absl::Hours(24)}));
//
// All functions are thread-safe (no shared state).
#ifndef SMDP_TESTS_EUICC_EUICC_TESTING_H_
#define SMDP_TESTS_EUICC_EUICC_TESTING_H_

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "hsm/crypto_provider.h"
#include "smdp/pki/certificate_builder.h"
#include "smdp/pki/dev_pki.h"
#include "tests/euicc/software_euicc.h"

namespace smdp::euicc::testing {

// The EID of the SGP.26 test eUICC.
inline constexpr absl::string_view kSgp26Eid =
    "89049032123451234512345678901235";
// The SM-DP+ OID and address of the SGP.26 SM-DP+ certificates.
inline constexpr absl::string_view kSgp26SmdpOid = "2.999.10";
inline constexpr absl::string_view kSgp26SmdpAddress =
    "testsmdpplus1.example.com";

// What a SoftwareEuicc is made of.
struct EuiccCredentials {
  std::string eid;                           // 32 digits
  std::string euicc_certificate;             // DER
  std::string euicc_private_key_pem;         // PEM
  std::string eum_certificate;               // DER
  std::vector<std::string> ci_certificates;  // DER, the CIs it trusts

  // A config with these credentials and every other field at its default.
  SoftwareEuiccConfig ToConfig() const;
};

// $SMDP_SGP26_DIR, or "" when it is unset (tests then GTEST_SKIP()).
std::string Sgp26Dir();

// "NIST" or "BRP": the suffix of the SGP.26 file names for `curve`.
absl::string_view Sgp26CurveSuffix(hsm::Curve curve);

// The SGP.26 test eUICC on `curve` (eUICC/CERT_EUICC_ECDSA_<c>.der,
// SK_EUICC_ECDSA_<c>.pem, EUM/CERT_EUM_ECDSA_<c>.der), trusting the SGP.26
// CI of that curve, and of the other curve too when `trust_both_cis`.
[[nodiscard]] absl::StatusOr<EuiccCredentials> LoadSgp26Euicc(
    absl::string_view dir, hsm::Curve curve, bool trust_both_cis = false);

// The SGP.26 SM-DP+ identity on `curve`: certificates DER, keys PEM.
struct Sgp26Smdp {
  std::string ci_certificate;
  std::string ci_private_key_pem;
  std::string dpauth_certificate;
  std::string dpauth_private_key_pem;
  std::string dppb_certificate;
  std::string dppb_private_key_pem;
};
[[nodiscard]] absl::StatusOr<Sgp26Smdp> LoadSgp26Smdp(absl::string_view dir,
                                                      hsm::Curve curve);

// The dev PKI's test eUICC on one curve, trusting that curve's dev CI.
[[nodiscard]] absl::StatusOr<EuiccCredentials> DevPkiEuicc(
    const pki::DevPkiCurve& curve);

// A CI certificate with its private key.
struct TestCi {
  std::string certificate;  // DER, self-signed
  std::string private_key_pem;
};

// A fresh self-signed CI on `curve` with the SGP.22 CI profile (for a
// "foreign" CI the eUICC or the server does not trust), valid from
// `now` - 1 day for 30 years.
[[nodiscard]] absl::StatusOr<TestCi> MakeTestCi(
    hsm::Curve curve, absl::Time now,
    absl::string_view common_name = "Foreign Test CI");

// Options of MakeTestChain().
struct TestChainOptions {
  hsm::Curve curve = hsm::Curve::kNistP256;
  // Issue under this CI instead of a fresh one.
  std::optional<TestCi> ci;
  std::string eum_eid_prefix = "89049032";
  // Empty: pki::DefaultEuiccEid(eum_eid_prefix).
  std::string eid;
  // Certificates are valid from now - 1 day to now + 10 years, unless
  // overridden below.
  absl::Time now = absl::Now();
  std::optional<absl::Time> eum_not_before;
  std::optional<absl::Time> eum_not_after;
  std::optional<absl::Time> euicc_not_before;
  std::optional<absl::Time> euicc_not_after;
  // false: the EUM certificate's basicConstraints say cA FALSE (a
  // certificate-profile fault).
  bool eum_is_ca = true;
};

// A CI, an EUM (variant O, EID prefix in nameConstraints) and an eUICC.
struct TestChain {
  TestCi ci;
  std::string eum_certificate;
  std::string eum_private_key_pem;
  // The eUICC, trusting `ci`.
  EuiccCredentials euicc;
};
[[nodiscard]] absl::StatusOr<TestChain> MakeTestChain(
    const TestChainOptions& options);

// Options of IssueSmdpCertificate().
struct SmdpCertificateOptions {
  pki::CertificateRole role = pki::CertificateRole::kDpAuth;
  hsm::Curve curve = hsm::Curve::kNistP256;
  std::string public_point;  // 04||X||Y of the SM-DP+ key. Required.
  std::string smdp_oid = std::string(kSgp26SmdpOid);
  std::string smdp_address = std::string(kSgp26SmdpAddress);
  absl::Time not_before;
  absl::Time not_after;
  // Replaces the role's certificate policy (e.g. DPpb's policy on a
  // DPauth certificate).
  std::optional<std::vector<std::string>> policy_oids;
};

// A CERT.DPauth / CERT.DPpb issued by `ci` (e.g. expired, or from a CI the
// eUICC does not trust). DER.
[[nodiscard]] absl::StatusOr<std::string> IssueSmdpCertificate(
    const TestCi& ci, const SmdpCertificateOptions& options);

// A copy of the BPP `bpp_der` with one byte flipped: byte `offset` of the
// data (after tag and length) of the `index`-th 86 segment (0-based), so the
// DER stays valid and only the MAC check can catch it. OutOfRange when
// there is no such segment or byte.
[[nodiscard]] absl::StatusOr<std::string> TamperProfileSegment(
    absl::string_view bpp_der, size_t index, size_t offset = 0);

}  // namespace smdp::euicc::testing

#endif  // SMDP_TESTS_EUICC_EUICC_TESTING_H_
