#include "smdp/auth/euicc_certificate_verifier.h"

#include <atomic>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hsm/crypto_provider.h"
#include "hsm/internal/test_util.h"
#include "hsm/software_provider.h"
#include "smdp/auth/ci_trust_store.h"
#include "smdp/auth/test_pki.h"
#include "smdp/common/gsma_status.h"
#include "smdp/pki/certificate_builder.h"
#include "smdp/pki/dev_pki.h"

namespace smdp::auth {
namespace {

using ::smdp::auth::testing::EuiccSpec;
using ::smdp::auth::testing::EumSpec;
using ::smdp::auth::testing::HasGsmaError;
using ::smdp::auth::testing::MakeTestChain;
using ::smdp::auth::testing::MakeTestKey;
using ::smdp::auth::testing::TestChain;
using ::smdp::auth::testing::TestKey;
using ::smdp::auth::testing::TestNotAfter;
using ::smdp::auth::testing::TestNotBefore;
using ::smdp::auth::testing::TestNow;
using ::smdp::hsm::testing::IsOk;
using ::testing::HasSubstr;

absl::Time At(int year, int month = 1, int day = 1) {
  return absl::FromCivil(absl::CivilDay(year, month, day), absl::UTCTimeZone());
}

std::string CurveTestName(const ::testing::TestParamInfo<hsm::Curve>& info) {
  return info.param == hsm::Curve::kNistP256 ? "P256" : "Brainpool";
}

// ---------------------------------------------------------------------------
// SGP.26: the public GSMA test PKI.

class Sgp26Test : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    std::optional<std::string> dir = testing::Sgp26Dir();
    if (!dir.has_value()) GTEST_SKIP() << "SMDP_SGP26_DIR is not set";
    dir_ = *dir;
  }
  std::string dir_;
};

TEST_P(Sgp26Test, ChainVerifies) {
  ASSERT_OK_AND_ASSIGN(testing::Sgp26Chain sgp26,
                       testing::LoadSgp26Chain(dir_, GetParam()));
  ASSERT_OK_AND_ASSIGN(auto store, CiTrustStore::Create({sgp26.ci_der}));
  EuiccCertificateVerifier verifier(store);
  // A fixed date inside every validity period (SGP.26 dates are old).
  ASSERT_OK_AND_ASSIGN(
      VerifiedEuicc euicc,
      verifier.Verify(sgp26.euicc_der, sgp26.eum_der, At(2025, 1, 1)));
  EXPECT_EQ(euicc.eid, "89049032123451234512345678901235");
  EXPECT_EQ(euicc.ci_key_id, store->KeyIds().front());
  EXPECT_EQ(euicc.public_key.point(), sgp26.euicc_public_point);
  EXPECT_EQ(euicc.eum_certificate->der, sgp26.eum_der);
  EXPECT_EQ(euicc.euicc_certificate->der, sgp26.euicc_der);

  // The returned key verifies what the SGP.26 eUICC key signs.
  ASSERT_OK_AND_ASSIGN(std::string sig, testing::SignPlainWith(
                                            sgp26.euicc_key.get(), "signed1"));
  EXPECT_OK(euicc.public_key.VerifyPlain("signed1", sig));
  EXPECT_THAT(euicc.public_key.VerifyPlain("signed2", sig),
              HasGsmaError(GsmaError::kEuiccSignatureInvalid));

  // Before the SGP.26 EUM's notBefore (2020-04-01).
  EXPECT_THAT(verifier.Verify(sgp26.euicc_der, sgp26.eum_der, At(2019)),
              HasGsmaError(GsmaError::kEumCertificateInvalid));
  // After the EUM's notAfter (2054-03-24); the eUICC lasts until 7496.
  EXPECT_THAT(verifier.Verify(sgp26.euicc_der, sgp26.eum_der, At(2060)),
              HasGsmaError(GsmaError::kEumCertificateExpired));
}

TEST_F(Sgp26Test, BothCurvesInOneStoreAndNoCrossing) {
  if (dir_.empty()) GTEST_SKIP();
  ASSERT_OK_AND_ASSIGN(testing::Sgp26Chain nist,
                       testing::LoadSgp26Chain(dir_, "NIST"));
  ASSERT_OK_AND_ASSIGN(testing::Sgp26Chain brp,
                       testing::LoadSgp26Chain(dir_, "BRP"));
  ASSERT_OK_AND_ASSIGN(auto store,
                       CiTrustStore::Create({nist.ci_der, brp.ci_der}));
  EuiccCertificateVerifier verifier(store);
  const absl::Time now = At(2025, 1, 1);
  ASSERT_OK_AND_ASSIGN(VerifiedEuicc n,
                       verifier.Verify(nist.euicc_der, nist.eum_der, now));
  ASSERT_OK_AND_ASSIGN(VerifiedEuicc b,
                       verifier.Verify(brp.euicc_der, brp.eum_der, now));
  EXPECT_EQ(n.public_key.curve(), hsm::Curve::kNistP256);
  EXPECT_EQ(b.public_key.curve(), hsm::Curve::kBrainpoolP256r1);
  EXPECT_NE(n.ci_key_id, b.ci_key_id);
  // The session's CI must be the chain's.
  EXPECT_OK(verifier.Verify(nist.euicc_der, nist.eum_der, now, n.ci_key_id));
  EXPECT_THAT(verifier.Verify(nist.euicc_der, nist.eum_der, now, b.ci_key_id),
              HasGsmaError(GsmaError::kUnknownCiKey));
  // An eUICC certificate with the other curve's EUM.
  EXPECT_THAT(verifier.Verify(nist.euicc_der, brp.eum_der, now),
              HasGsmaError(GsmaError::kEuiccCertificateInvalid));
  // Only the NIST CI trusted: the brainpool chain's CI is unknown.
  ASSERT_OK_AND_ASSIGN(auto nist_only, CiTrustStore::Create({nist.ci_der}));
  EuiccCertificateVerifier nist_verifier(nist_only);
  EXPECT_THAT(nist_verifier.Verify(brp.euicc_der, brp.eum_der, now),
              HasGsmaError(GsmaError::kUnknownCiKey));
}

INSTANTIATE_TEST_SUITE_P(Curves, Sgp26Test, ::testing::Values("NIST", "BRP"));

// ---------------------------------------------------------------------------
// The development PKI of smdp/pki.

TEST(DevPkiTest, ChainsVerify) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  ASSERT_NE(tmp, nullptr);
  ASSERT_OK_AND_ASSIGN(auto provider, hsm::SoftwareProvider::Create({}));
  ASSERT_OK_AND_ASSIGN(
      pki::DevPki pki,
      pki::EnsureDevPki({.dir = absl::StrCat(tmp, "/devpki")}, *provider));
  for (hsm::Curve curve :
       {hsm::Curve::kNistP256, hsm::Curve::kBrainpoolP256r1}) {
    SCOPED_TRACE(hsm::CurveName(curve));
    const pki::DevPkiCurve& c = pki.ForCurve(curve);
    ASSERT_OK_AND_ASSIGN(std::string ci, testing::ReadFile(c.ci.der));
    ASSERT_OK_AND_ASSIGN(std::string eum, testing::ReadFile(c.eum.der));
    ASSERT_OK_AND_ASSIGN(std::string euicc, testing::ReadFile(c.euicc.der));
    ASSERT_OK_AND_ASSIGN(auto store, CiTrustStore::Create({ci}));
    EuiccCertificateVerifier verifier(store);
    ASSERT_OK_AND_ASSIGN(VerifiedEuicc v,
                         verifier.Verify(euicc, eum, absl::Now()));
    EXPECT_EQ(v.eid, pki.euicc_eid);
    EXPECT_EQ(v.public_key.curve(), curve);
  }
}

// ---------------------------------------------------------------------------
// Chains made with the certificate builder, good and deliberately bad.

class ChainTest : public ::testing::TestWithParam<hsm::Curve> {
 protected:
  void SetUp() override {
    absl::StatusOr<TestChain> chain = MakeTestChain(GetParam());
    ASSERT_TRUE(chain.ok()) << chain.status();
    chain_ = *std::move(chain);
    verifier_ = std::make_unique<EuiccCertificateVerifier>(chain_.TrustStore());
  }

  absl::StatusOr<VerifiedEuicc> Verify(absl::string_view euicc,
                                       absl::string_view eum,
                                       absl::Time now = TestNow()) {
    return verifier_->Verify(euicc, eum, now);
  }

  // An eUICC certificate from `spec` under the chain's EUM.
  std::string Euicc(const pki::CertificateSpec& spec) {
    absl::StatusOr<std::string> der = chain_.IssueByEum(spec);
    EXPECT_TRUE(der.ok()) << der.status();
    return der.ok() ? *der : "";
  }
  // An EUM certificate from `spec` under the chain's CI.
  std::string Eum(const pki::CertificateSpec& spec) {
    absl::StatusOr<std::string> der = chain_.IssueByCi(spec);
    EXPECT_TRUE(der.ok()) << der.status();
    return der.ok() ? *der : "";
  }
  // The chain's eUICC spec, to modify.
  pki::CertificateSpec EuiccSpec() {
    return testing::EuiccSpec(chain_.euicc_key);
  }
  pki::CertificateSpec EumSpec(
      pki::EidRangeForm form = pki::EidRangeForm::kNameConstraints) {
    return testing::EumSpec(chain_.eum_key, form);
  }

  TestChain chain_;
  std::unique_ptr<EuiccCertificateVerifier> verifier_;
};

TEST_P(ChainTest, GoodChainVerifies) {
  ASSERT_OK_AND_ASSIGN(VerifiedEuicc v,
                       Verify(chain_.euicc_der, chain_.eum_der));
  EXPECT_EQ(v.eid, testing::kTestEid);
  EXPECT_EQ(v.public_key.point(), chain_.euicc_key.pub.point);
  EXPECT_EQ(v.public_key.curve(), GetParam());
  ASSERT_OK_AND_ASSIGN(std::string sig, chain_.euicc_key.SignPlain("x"));
  EXPECT_OK(v.public_key.VerifyPlain("x", sig));
  // At the edges of the validity periods.
  EXPECT_OK(Verify(chain_.euicc_der, chain_.eum_der, TestNotBefore()));
  EXPECT_OK(Verify(chain_.euicc_der, chain_.eum_der, TestNotAfter()));
}

TEST_P(ChainTest, ExpiredEum) {
  pki::CertificateSpec spec = EumSpec();
  spec.not_after = At(2025);
  const std::string eum = Eum(spec);
  const std::string euicc = Euicc(EuiccSpec());
  EXPECT_OK(Verify(euicc, eum, At(2024, 12, 31)));
  EXPECT_THAT(Verify(euicc, eum, At(2025, 1, 2)),
              HasGsmaError(GsmaError::kEumCertificateExpired));
}

TEST_P(ChainTest, EumNotYetValid) {
  pki::CertificateSpec spec = EumSpec();
  spec.not_before = At(2026);
  EXPECT_THAT(Verify(Euicc(EuiccSpec()), Eum(spec)),
              HasGsmaError(GsmaError::kEumCertificateInvalid));
}

TEST_P(ChainTest, ExpiredEuicc) {
  pki::CertificateSpec spec = EuiccSpec();
  spec.not_after = At(2025);
  const std::string euicc = Euicc(spec);
  EXPECT_OK(Verify(euicc, chain_.eum_der, At(2024, 6, 1)));
  absl::StatusOr<VerifiedEuicc> v = Verify(euicc, chain_.eum_der);
  EXPECT_THAT(v, HasGsmaError(GsmaError::kEuiccCertificateExpired));
  EXPECT_THAT(v.status().message(), HasSubstr("2025-01-01"));
}

TEST_P(ChainTest, EuiccNotYetValid) {
  pki::CertificateSpec spec = EuiccSpec();
  spec.not_before = At(2026);
  EXPECT_THAT(Verify(Euicc(spec), chain_.eum_der),
              HasGsmaError(GsmaError::kEuiccCertificateInvalid));
}

TEST_P(ChainTest, EumWithWrongPolicy) {
  pki::CertificateSpec spec = EumSpec();
  spec.certificate_policies->policy_oids = {"2.23.146.1.2.1.1"};  // eUICC's
  absl::StatusOr<VerifiedEuicc> v = Verify(Euicc(EuiccSpec()), Eum(spec));
  EXPECT_THAT(v, HasGsmaError(GsmaError::kEumCertificateInvalid));
  EXPECT_THAT(v.status().message(), HasSubstr("2.23.146.1.2.1.2"));
  spec.certificate_policies.reset();
  EXPECT_THAT(Verify(Euicc(EuiccSpec()), Eum(spec)),
              HasGsmaError(GsmaError::kEumCertificateInvalid));
}

TEST_P(ChainTest, EuiccWithWrongPolicy) {
  pki::CertificateSpec spec = EuiccSpec();
  spec.certificate_policies->policy_oids = {"2.23.146.1.2.1.2"};  // EUM's
  EXPECT_THAT(Verify(Euicc(spec), chain_.eum_der),
              HasGsmaError(GsmaError::kEuiccCertificateInvalid));
  spec.certificate_policies.reset();
  EXPECT_THAT(Verify(Euicc(spec), chain_.eum_der),
              HasGsmaError(GsmaError::kEuiccCertificateInvalid));
}

TEST_P(ChainTest, EumKeyUsage) {
  pki::CertificateSpec spec = EumSpec();
  spec.key_usage.reset();
  EXPECT_THAT(Verify(Euicc(EuiccSpec()), Eum(spec)),
              HasGsmaError(GsmaError::kEumCertificateInvalid));
  spec.key_usage =
      pki::KeyUsageExtension{.bits = pki::kKeyUsageDigitalSignature};
  absl::StatusOr<VerifiedEuicc> v = Verify(Euicc(EuiccSpec()), Eum(spec));
  EXPECT_THAT(v, HasGsmaError(GsmaError::kEumCertificateInvalid));
  EXPECT_THAT(v.status().message(), HasSubstr("keyCertSign"));
}

TEST_P(ChainTest, EumWithoutBasicConstraints) {
  pki::CertificateSpec spec = EumSpec();
  spec.basic_constraints.reset();
  EXPECT_THAT(Verify(Euicc(EuiccSpec()), Eum(spec)),
              HasGsmaError(GsmaError::kEumCertificateInvalid));
  spec.basic_constraints = pki::BasicConstraintsExtension{.ca = false};
  EXPECT_THAT(Verify(Euicc(EuiccSpec()), Eum(spec)),
              HasGsmaError(GsmaError::kEumCertificateInvalid));
}

TEST_P(ChainTest, EuiccKeyUsage) {
  pki::CertificateSpec spec = EuiccSpec();
  spec.key_usage.reset();
  EXPECT_THAT(Verify(Euicc(spec), chain_.eum_der),
              HasGsmaError(GsmaError::kEuiccCertificateInvalid));
  spec.key_usage = pki::KeyUsageExtension{.bits = pki::kKeyUsageKeyAgreement};
  EXPECT_THAT(Verify(Euicc(spec), chain_.eum_der),
              HasGsmaError(GsmaError::kEuiccCertificateInvalid));
}

TEST_P(ChainTest, EuiccWithCaRights) {
  pki::CertificateSpec spec = EuiccSpec();
  spec.basic_constraints = pki::BasicConstraintsExtension{.ca = true};
  EXPECT_THAT(Verify(Euicc(spec), chain_.eum_der),
              HasGsmaError(GsmaError::kEuiccCertificateInvalid));
  spec = EuiccSpec();
  spec.key_usage->bits |= pki::kKeyUsageKeyCertSign;
  EXPECT_THAT(Verify(Euicc(spec), chain_.eum_der),
              HasGsmaError(GsmaError::kEuiccCertificateInvalid));
}

TEST_P(ChainTest, EidOutsideNameConstraint) {
  absl::StatusOr<VerifiedEuicc> v =
      Verify(Euicc(testing::EuiccSpec(chain_.euicc_key,
                                      "89049033123451234512345678901235")),
             chain_.eum_der);
  EXPECT_THAT(v, HasGsmaError(GsmaError::kEuiccCertificateInvalid));
  EXPECT_THAT(v.status().message(), HasSubstr("serialNumber=89049032"));
}

TEST_P(ChainTest, WrongOrganizationInSubject) {
  pki::CertificateSpec spec = EuiccSpec();
  spec.subject = {{"C", "ES"},
                  {"O", "Another EUM"},
                  {"serialNumber", std::string(testing::kTestEid)},
                  {"CN", "Test eUICC"}};
  EXPECT_THAT(Verify(Euicc(spec), chain_.eum_der),
              HasGsmaError(GsmaError::kEuiccCertificateInvalid));
  // No O at all.
  spec.subject = {{"serialNumber", std::string(testing::kTestEid)}};
  EXPECT_THAT(Verify(Euicc(spec), chain_.eum_der),
              HasGsmaError(GsmaError::kEuiccCertificateInvalid));
  // O and EID alone are enough.
  spec.subject = {{"O", std::string(testing::kTestEumOrganization)},
                  {"serialNumber", std::string(testing::kTestEid)}};
  EXPECT_OK(Verify(Euicc(spec), chain_.eum_der));
}

TEST_P(ChainTest, EidMustBe32Digits) {
  for (const char* eid : {"", "8904903212345123451234567890123",
                          "890490321234512345123456789012350",
                          "8904903212345123451234567890123A"}) {
    SCOPED_TRACE(eid);
    pki::CertificateSpec spec = testing::EuiccSpec(chain_.euicc_key, "x");
    spec.subject = {{"O", std::string(testing::kTestEumOrganization)}};
    if (*eid != '\0') spec.subject.push_back({"serialNumber", eid});
    EXPECT_THAT(Verify(Euicc(spec), chain_.eum_der),
                HasGsmaError(GsmaError::kEuiccCertificateInvalid));
  }
}

TEST_P(ChainTest, PermittedEins) {
  const std::string eum = Eum(EumSpec(pki::EidRangeForm::kPermittedEins));
  EXPECT_OK(Verify(Euicc(EuiccSpec()), eum));
  // With permittedEins only, the subject's O is not constrained.
  pki::CertificateSpec other_o = EuiccSpec();
  other_o.subject = {{"O", "Whoever"},
                     {"serialNumber", std::string(testing::kTestEid)}};
  EXPECT_OK(Verify(Euicc(other_o), eum));
  absl::StatusOr<VerifiedEuicc> v =
      Verify(Euicc(testing::EuiccSpec(chain_.euicc_key,
                                      "89049099123451234512345678901235")),
             eum);
  EXPECT_THAT(v, HasGsmaError(GsmaError::kEuiccCertificateInvalid));
  EXPECT_THAT(v.status().message(), HasSubstr("permittedEins"));
}

TEST_P(ChainTest, BothRangeFormsMustHold) {
  const std::string eum = Eum(EumSpec(pki::EidRangeForm::kBoth));
  EXPECT_OK(Verify(Euicc(EuiccSpec()), eum));
  pki::CertificateSpec other_o = EuiccSpec();
  other_o.subject = {{"O", "Whoever"},
                     {"serialNumber", std::string(testing::kTestEid)}};
  EXPECT_THAT(Verify(Euicc(other_o), eum),
              HasGsmaError(GsmaError::kEuiccCertificateInvalid));
}

TEST_P(ChainTest, EumWithoutEidRange) {
  pki::CertificateSpec spec = EumSpec();
  spec.name_constraints.reset();
  absl::StatusOr<VerifiedEuicc> v = Verify(Euicc(EuiccSpec()), Eum(spec));
  EXPECT_THAT(v, HasGsmaError(GsmaError::kEumCertificateInvalid));
  EXPECT_THAT(v.status().message(), HasSubstr("EID range"));
}

TEST_P(ChainTest, ForeignCiIsUnknown) {
  // A whole chain under another CI with another key id.
  ASSERT_OK_AND_ASSIGN(TestChain foreign, MakeTestChain(GetParam()));
  absl::StatusOr<VerifiedEuicc> v = Verify(foreign.euicc_der, foreign.eum_der);
  EXPECT_THAT(v, HasGsmaError(GsmaError::kUnknownCiKey));
}

// SGP.22 5.6.2 (ES9+.AuthenticateClient) error table, most specific first:
// unknown CI key (8.11.1/3.9), signature (6.1), expiry (6.3), then the
// certificate profile (6.1).
TEST_P(ChainTest, MostSpecificCodeFirst) {
  // An expired EUM certificate that also lacks cA=TRUE: expired.
  pki::CertificateSpec expired_no_ca = EumSpec();
  expired_no_ca.not_after = At(2025);
  expired_no_ca.basic_constraints = pki::BasicConstraintsExtension{.ca = false};
  EXPECT_THAT(Verify(Euicc(EuiccSpec()), Eum(expired_no_ca), At(2025, 1, 2)),
              HasGsmaError(GsmaError::kEumCertificateExpired));
  // The same under a CI we do not trust: unknown CI key.
  ASSERT_OK_AND_ASSIGN(TestChain foreign, MakeTestChain(GetParam()));
  pki::CertificateSpec foreign_no_ca = testing::EumSpec(foreign.eum_key);
  foreign_no_ca.basic_constraints = pki::BasicConstraintsExtension{.ca = false};
  ASSERT_OK_AND_ASSIGN(std::string foreign_eum,
                       foreign.IssueByCi(foreign_no_ca));
  EXPECT_THAT(Verify(foreign.euicc_der, foreign_eum),
              HasGsmaError(GsmaError::kUnknownCiKey));
  foreign_no_ca.not_after = At(2025);
  ASSERT_OK_AND_ASSIGN(foreign_eum, foreign.IssueByCi(foreign_no_ca));
  EXPECT_THAT(Verify(foreign.euicc_der, foreign_eum, At(2025, 1, 2)),
              HasGsmaError(GsmaError::kUnknownCiKey));
  // An expired EUM certificate whose signature does not verify: invalid.
  ASSERT_OK_AND_ASSIGN(TestKey other_ci, MakeTestKey(GetParam()));
  pki::CertificateSpec expired = EumSpec();
  expired.not_after = At(2025);
  const std::string badly_signed =
      pki::IssueCertificate(expired, chain_.ci_der, *other_ci.signer).value();
  EXPECT_THAT(Verify(Euicc(EuiccSpec()), badly_signed, At(2025, 1, 2)),
              HasGsmaError(GsmaError::kEumCertificateInvalid));
  // An expired eUICC certificate without the eUICC policy: expired.
  pki::CertificateSpec euicc = EuiccSpec();
  euicc.not_after = At(2025);
  euicc.certificate_policies.reset();
  EXPECT_THAT(Verify(Euicc(euicc), chain_.eum_der),
              HasGsmaError(GsmaError::kEuiccCertificateExpired));
}

TEST_P(ChainTest, ForeignCiImpersonatingTheKeyId) {
  // Signed by a foreign CI key but claiming the trusted CI's key id: the
  // CI is "known", the signature is not its: the EUM certificate is invalid.
  ASSERT_OK_AND_ASSIGN(TestKey foreign_ci, MakeTestKey(GetParam()));
  const std::string eum =
      pki::IssueCertificate(EumSpec(), chain_.ci_der, *foreign_ci.signer)
          .value();
  EXPECT_THAT(Verify(chain_.euicc_der, eum),
              HasGsmaError(GsmaError::kEumCertificateInvalid));
}

TEST_P(ChainTest, EuiccSignedByAnotherKey) {
  ASSERT_OK_AND_ASSIGN(TestKey other, MakeTestKey(GetParam()));
  const std::string euicc =
      pki::IssueCertificate(EuiccSpec(), chain_.eum_der, *other.signer).value();
  EXPECT_THAT(Verify(euicc, chain_.eum_der),
              HasGsmaError(GsmaError::kEuiccCertificateInvalid));
}

TEST_P(ChainTest, EuiccAkiNotTheEumSki) {
  pki::CertificateSpec spec = EuiccSpec();
  spec.authority_key_identifier_override = std::string(20, '\x42');
  absl::StatusOr<VerifiedEuicc> v = Verify(Euicc(spec), chain_.eum_der);
  EXPECT_THAT(v, HasGsmaError(GsmaError::kEuiccCertificateInvalid));
  EXPECT_THAT(v.status().message(), HasSubstr("authorityKeyIdentifier"));
  spec.authority_key_identifier = false;
  EXPECT_THAT(Verify(Euicc(spec), chain_.eum_der),
              HasGsmaError(GsmaError::kEuiccCertificateInvalid));
}

// Flips the last byte of the signature (the end of the certificate: the
// last byte of s, so the DER stays well-formed).
std::string TamperSignature(std::string der) {
  der.back() ^= 0x01;
  return der;
}

// Flips one byte inside the TBSCertificate: the last byte of the CN value
// "Test eUICC" / "EUM Test".
std::string TamperTbs(std::string der, absl::string_view inside) {
  const size_t pos = der.find(std::string(inside));
  if (pos == std::string::npos) return der;
  der[pos + inside.size() - 1] ^= 0x01;
  return der;
}

TEST_P(ChainTest, TamperedSignature) {
  EXPECT_THAT(Verify(TamperSignature(chain_.euicc_der), chain_.eum_der),
              HasGsmaError(GsmaError::kEuiccCertificateInvalid));
  EXPECT_THAT(Verify(chain_.euicc_der, TamperSignature(chain_.eum_der)),
              HasGsmaError(GsmaError::kEumCertificateInvalid));
}

TEST_P(ChainTest, TamperedTbs) {
  const std::string euicc = TamperTbs(chain_.euicc_der, "Test eUICC");
  ASSERT_NE(euicc, chain_.euicc_der);
  EXPECT_THAT(Verify(euicc, chain_.eum_der),
              HasGsmaError(GsmaError::kEuiccCertificateInvalid));
  const std::string eum = TamperTbs(chain_.eum_der, "EUM Test");
  ASSERT_NE(eum, chain_.eum_der);
  // The eUICC's issuer name no longer matches either, but the EUM fails
  // first.
  EXPECT_THAT(Verify(chain_.euicc_der, eum),
              HasGsmaError(GsmaError::kEumCertificateInvalid));
}

TEST_P(ChainTest, GarbageAndTrailingBytes) {
  EXPECT_THAT(Verify("", chain_.eum_der),
              HasGsmaError(GsmaError::kEuiccCertificateInvalid));
  EXPECT_THAT(Verify("\x30\x03\x02\x01\x01", chain_.eum_der),
              HasGsmaError(GsmaError::kEuiccCertificateInvalid));
  EXPECT_THAT(Verify(chain_.euicc_der + std::string(1, '\0'), chain_.eum_der),
              HasGsmaError(GsmaError::kEuiccCertificateInvalid));
  EXPECT_THAT(Verify(chain_.euicc_der.substr(0, chain_.euicc_der.size() - 1),
                     chain_.eum_der),
              HasGsmaError(GsmaError::kEuiccCertificateInvalid));
  EXPECT_THAT(Verify(chain_.euicc_der, "garbage"),
              HasGsmaError(GsmaError::kEumCertificateInvalid));
  EXPECT_THAT(Verify(chain_.euicc_der, chain_.eum_der + "x"),
              HasGsmaError(GsmaError::kEumCertificateInvalid));
  // Swapped: the eUICC certificate is no CA and the EUM has no EID.
  EXPECT_THAT(Verify(chain_.eum_der, chain_.euicc_der),
              HasGsmaError(GsmaError::kEuiccCertificateInvalid));
  // The CI presented as the EUM.
  EXPECT_THAT(Verify(chain_.euicc_der, chain_.ci_der),
              HasGsmaError(GsmaError::kEuiccCertificateInvalid));
}

TEST_P(ChainTest, WrongCurveMix) {
  const hsm::Curve other_curve = GetParam() == hsm::Curve::kNistP256
                                     ? hsm::Curve::kBrainpoolP256r1
                                     : hsm::Curve::kNistP256;
  ASSERT_OK_AND_ASSIGN(TestKey other, MakeTestKey(other_curve));
  // An eUICC key on the other curve, signed by the EUM.
  absl::StatusOr<VerifiedEuicc> v =
      Verify(Euicc(testing::EuiccSpec(other)), chain_.eum_der);
  EXPECT_THAT(v, HasGsmaError(GsmaError::kEuiccCertificateInvalid));
  EXPECT_THAT(v.status().message(), HasSubstr("key on"));
  // An EUM key on the other curve, signed by the CI.
  const std::string eum = Eum(testing::EumSpec(other));
  const std::string euicc =
      pki::IssueCertificate(testing::EuiccSpec(other), eum, *other.signer)
          .value();
  EXPECT_THAT(Verify(euicc, eum),
              HasGsmaError(GsmaError::kEumCertificateInvalid));
}

TEST_P(ChainTest, ExpectedCiKeyId) {
  const std::string ci_key_id = verifier_->trust_store().KeyIds().front();
  EXPECT_OK(verifier_->Verify(chain_.euicc_der, chain_.eum_der, TestNow(),
                              ci_key_id));
  EXPECT_THAT(verifier_->Verify(chain_.euicc_der, chain_.eum_der, TestNow(),
                                std::string(20, '\x01')),
              HasGsmaError(GsmaError::kUnknownCiKey));
}

// ---- The cache. ----

TEST_P(ChainTest, CacheHitsAfterTheFirstVerify) {
  EXPECT_OK(Verify(chain_.euicc_der, chain_.eum_der));
  EuiccCertificateVerifier::CacheStats s = verifier_->cache_stats();
  EXPECT_EQ(s.hits, 0u);
  EXPECT_EQ(s.misses, 1u);
  EXPECT_EQ(s.size, 1u);
  // Other eUICCs of the same EUM.
  for (int i = 0; i < 5; ++i) {
    ASSERT_OK_AND_ASSIGN(TestKey key, MakeTestKey(GetParam()));
    EXPECT_OK(Verify(Euicc(testing::EuiccSpec(key)), chain_.eum_der));
  }
  s = verifier_->cache_stats();
  EXPECT_EQ(s.hits, 5u);
  EXPECT_EQ(s.misses, 1u);
  EXPECT_EQ(s.size, 1u);
  // The time checks still apply to a cached EUM.
  EXPECT_THAT(Verify(chain_.euicc_der, chain_.eum_der, At(2040)),
              HasGsmaError(GsmaError::kEumCertificateExpired));
  // So does the session's CI.
  EXPECT_THAT(verifier_->Verify(chain_.euicc_der, chain_.eum_der, TestNow(),
                                std::string(20, '\x01')),
              HasGsmaError(GsmaError::kUnknownCiKey));
}

TEST_P(ChainTest, FailedEumIsNotCached) {
  EXPECT_THAT(Verify(chain_.euicc_der, TamperSignature(chain_.eum_der)),
              HasGsmaError(GsmaError::kEumCertificateInvalid));
  EXPECT_EQ(verifier_->cache_stats().size, 0u);
  EXPECT_THAT(Verify(chain_.euicc_der, TamperSignature(chain_.eum_der)),
              HasGsmaError(GsmaError::kEumCertificateInvalid));
  EXPECT_EQ(verifier_->cache_stats().hits, 0u);
}

TEST_P(ChainTest, SameSubjectOtherKeyDoesNotHitTheCache) {
  // EUM 2: the same subject, even the same key id, another key.
  ASSERT_OK_AND_ASSIGN(TestKey eum2_key, MakeTestKey(GetParam()));
  pki::CertificateSpec spec2 = testing::EumSpec(eum2_key);
  ASSERT_OK_AND_ASSIGN(Certificate eum1, ParseCertificate(chain_.eum_der));
  spec2.subject_key_identifier_override = *eum1.subject_key_identifier;
  const std::string eum2 = Eum(spec2);
  const std::string euicc2 =
      pki::IssueCertificate(EuiccSpec(), eum2, *eum2_key.signer).value();

  EXPECT_OK(Verify(chain_.euicc_der, chain_.eum_der));  // caches EUM 1
  EXPECT_OK(Verify(euicc2, eum2));                      // caches EUM 2
  EXPECT_EQ(verifier_->cache_stats().size, 2u);
  // Crossed: each eUICC with the other EUM fails on its signature.
  EXPECT_THAT(Verify(chain_.euicc_der, eum2),
              HasGsmaError(GsmaError::kEuiccCertificateInvalid));
  EXPECT_THAT(Verify(euicc2, chain_.eum_der),
              HasGsmaError(GsmaError::kEuiccCertificateInvalid));
  EXPECT_OK(Verify(chain_.euicc_der, chain_.eum_der));
  EXPECT_OK(Verify(euicc2, eum2));
}

TEST_P(ChainTest, CacheIsBounded) {
  EuiccCertificateVerifier small(chain_.TrustStore(), {.cache_capacity = 2});
  std::vector<std::pair<std::string, std::string>> chains;
  for (int i = 0; i < 4; ++i) {
    ASSERT_OK_AND_ASSIGN(TestKey eum_key, MakeTestKey(GetParam()));
    const std::string eum = Eum(testing::EumSpec(eum_key));
    chains.emplace_back(
        pki::IssueCertificate(EuiccSpec(), eum, *eum_key.signer).value(), eum);
  }
  for (int round = 0; round < 3; ++round) {
    for (const auto& [euicc, eum] : chains) {
      EXPECT_OK(small.Verify(euicc, eum, TestNow()));
      EXPECT_LE(small.cache_stats().size, 2u);
    }
  }
  EuiccCertificateVerifier none(chain_.TrustStore(), {.cache_capacity = 0});
  EXPECT_OK(none.Verify(chain_.euicc_der, chain_.eum_der, TestNow()));
  EXPECT_OK(none.Verify(chain_.euicc_der, chain_.eum_der, TestNow()));
  EXPECT_EQ(none.cache_stats().size, 0u);
  EXPECT_EQ(none.cache_stats().hits, 0u);
}

TEST_P(ChainTest, ConcurrentVerification) {
  // Two EUMs, several eUICCs each, some bad ones; 8 threads.
  struct Case {
    std::string euicc;
    std::string eum;
    bool ok;
  };
  std::vector<Case> cases;
  ASSERT_OK_AND_ASSIGN(TestKey eum2_key, MakeTestKey(GetParam()));
  const std::string eum2 = Eum(testing::EumSpec(eum2_key));
  for (int i = 0; i < 4; ++i) {
    ASSERT_OK_AND_ASSIGN(TestKey key, MakeTestKey(GetParam()));
    cases.push_back({Euicc(testing::EuiccSpec(key)), chain_.eum_der, true});
    cases.push_back(
        {pki::IssueCertificate(testing::EuiccSpec(key), eum2, *eum2_key.signer)
             .value(),
         eum2, true});
  }
  cases.push_back({TamperSignature(chain_.euicc_der), chain_.eum_der, false});
  cases.push_back({chain_.euicc_der, eum2, false});

  constexpr int kThreads = 8;
  constexpr int kRounds = 20;
  std::atomic<int> wrong{0};
  std::atomic<int> verified{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int r = 0; r < kRounds; ++r) {
        const Case& c = cases[(t + r) % cases.size()];
        absl::StatusOr<VerifiedEuicc> v =
            verifier_->Verify(c.euicc, c.eum, TestNow());
        if (v.ok() != c.ok) wrong.fetch_add(1);
        if (v.ok()) {
          verified.fetch_add(1);
          if (v->eid != testing::kTestEid) wrong.fetch_add(1);
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_GT(verified.load(), 0);
  EXPECT_EQ(verifier_->cache_stats().size, 2u);
}

// ---- SGP.22 v3: a sub-CA in the chain. ----

TEST_P(ChainTest, EumSubCa) {
  // CI -> EUM (pathLen 1) -> EUM sub-CA -> eUICC.
  pki::CertificateSpec eum_spec = EumSpec();
  eum_spec.basic_constraints->path_len = 1;
  const std::string eum = Eum(eum_spec);
  ASSERT_OK_AND_ASSIGN(TestKey sub_key, MakeTestKey(GetParam()));
  pki::CertificateSpec sub_spec = testing::EumSpec(sub_key);
  sub_spec.subject = {{"O", std::string(testing::kTestEumOrganization)},
                      {"CN", "EUM SubCA"}};
  sub_spec.certificate_policies->policy_oids = {"2.999.99"};
  const std::string sub =
      pki::IssueCertificate(sub_spec, eum, *chain_.eum_key.signer).value();
  const std::string euicc =
      pki::IssueCertificate(EuiccSpec(), sub, *sub_key.signer).value();

  EuiccChain chain{euicc, eum, {sub}};
  ASSERT_OK_AND_ASSIGN(VerifiedEuicc v, verifier_->Verify(chain, TestNow()));
  EXPECT_EQ(v.eid, testing::kTestEid);
  EXPECT_EQ(v.eum_certificate->der, eum);
  // Without the sub-CA the eUICC's issuer is missing.
  EXPECT_THAT(verifier_->Verify(euicc, eum, TestNow()),
              HasGsmaError(GsmaError::kEuiccCertificateInvalid));
  // The EUM of the SGP.22 v2 profile (pathLen 0) may not have a sub-CA.
  const std::string sub_of_v2 =
      pki::IssueCertificate(sub_spec, chain_.eum_der, *chain_.eum_key.signer)
          .value();
  const std::string euicc_of_v2 =
      pki::IssueCertificate(EuiccSpec(), sub_of_v2, *sub_key.signer).value();
  absl::StatusOr<VerifiedEuicc> bad = verifier_->Verify(
      EuiccChain{euicc_of_v2, chain_.eum_der, {sub_of_v2}}, TestNow());
  EXPECT_THAT(bad, HasGsmaError(GsmaError::kEumCertificateInvalid));
  EXPECT_THAT(bad.status().message(), HasSubstr("pathLenConstraint"));
  // Too many further certificates.
  EXPECT_THAT(
      verifier_->Verify(EuiccChain{euicc, eum, {sub, sub, sub}}, TestNow()),
      HasGsmaError(GsmaError::kEumCertificateInvalid));
  // The sub-CA's EID range also applies.
  pki::CertificateSpec narrow = sub_spec;
  narrow.name_constraints->permitted_dir_names = {
      {{"O", std::string(testing::kTestEumOrganization)},
       {"serialNumber", "890490329"}}};
  const std::string narrow_sub =
      pki::IssueCertificate(narrow, eum, *chain_.eum_key.signer).value();
  const std::string euicc_narrow =
      pki::IssueCertificate(EuiccSpec(), narrow_sub, *sub_key.signer).value();
  EXPECT_THAT(
      verifier_->Verify(EuiccChain{euicc_narrow, eum, {narrow_sub}}, TestNow()),
      HasGsmaError(GsmaError::kEuiccCertificateInvalid));
}

TEST_P(ChainTest, CiSubCa) {
  // CI -> CI sub-CA -> EUM -> eUICC.
  ASSERT_OK_AND_ASSIGN(TestKey sub_key, MakeTestKey(GetParam()));
  pki::CertificateSpec sub_spec = testing::CiSpec(sub_key, 7);
  sub_spec.subject = {{"CN", "Test CI SubCA"}, {"O", "RSPTEST"}};
  const std::string sub = Eum(sub_spec);  // issued by the CI
  const std::string eum =
      pki::IssueCertificate(EumSpec(), sub, *sub_key.signer).value();
  const std::string euicc =
      pki::IssueCertificate(EuiccSpec(), eum, *chain_.eum_key.signer).value();
  EXPECT_OK(verifier_->Verify(EuiccChain{euicc, eum, {sub}}, TestNow()));
  // Without the sub-CA, the EUM's issuer is not a trusted CI.
  EXPECT_THAT(verifier_->Verify(euicc, eum, TestNow()),
              HasGsmaError(GsmaError::kUnknownCiKey));
  // The sub-CA expired.
  sub_spec.not_after = At(2025);
  const std::string old_sub = Eum(sub_spec);
  EXPECT_THAT(verifier_->Verify(EuiccChain{euicc, eum, {old_sub}}, TestNow()),
              HasGsmaError(GsmaError::kEumCertificateExpired));
}

INSTANTIATE_TEST_SUITE_P(Curves, ChainTest,
                         ::testing::Values(hsm::Curve::kNistP256,
                                           hsm::Curve::kBrainpoolP256r1),
                         CurveTestName);

TEST(VerifierTest, EmptyTrustStoreKnowsNoCi) {
  ASSERT_OK_AND_ASSIGN(TestChain chain, MakeTestChain(hsm::Curve::kNistP256));
  EuiccCertificateVerifier verifier(std::make_shared<const CiTrustStore>());
  EXPECT_THAT(verifier.Verify(chain.euicc_der, chain.eum_der, TestNow()),
              HasGsmaError(GsmaError::kUnknownCiKey));
  EuiccCertificateVerifier null_store(nullptr);
  EXPECT_THAT(null_store.Verify(chain.euicc_der, chain.eum_der, TestNow()),
              HasGsmaError(GsmaError::kUnknownCiKey));
}

}  // namespace
}  // namespace smdp::auth
