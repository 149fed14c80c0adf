#include "smdp/auth/smdp_certificate.h"

#include <cstdlib>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hsm/internal/test_util.h"
#include "hsm/software_provider.h"
#include "smdp/auth/test_pki.h"
#include "smdp/common/gsma_status.h"
#include "smdp/pki/certificate_builder.h"
#include "smdp/pki/dev_pki.h"

namespace smdp::auth {
namespace {

using ::smdp::auth::testing::MakeTestChain;
using ::smdp::auth::testing::MakeTestKey;
using ::smdp::auth::testing::TestChain;
using ::smdp::auth::testing::TestKey;
using ::smdp::auth::testing::TestNow;
using ::smdp::hsm::testing::StatusIs;
using ::testing::HasSubstr;

absl::Time At(int year, int month = 1, int day = 1) {
  return absl::FromCivil(absl::CivilDay(year, month, day), absl::UTCTimeZone());
}

TEST(SmdpCertificateTest, Sgp26Identities) {
  std::optional<std::string> dir = testing::Sgp26Dir();
  if (!dir.has_value()) GTEST_SKIP() << "SMDP_SGP26_DIR is not set";
  for (const char* curve : {"NIST", "BRP"}) {
    SCOPED_TRACE(curve);
    ASSERT_OK_AND_ASSIGN(
        std::string ci,
        testing::ReadFile(absl::StrCat(
            *dir, "/CertificateIssuer/CERT_CI_ECDSA_", curve, ".der")));
    ASSERT_OK_AND_ASSIGN(auto store, CiTrustStore::Create({ci}));
    ASSERT_OK_AND_ASSIGN(
        std::string dpauth,
        testing::ReadFile(absl::StrCat(*dir, "/DPauth/CERT_S_SM_DPauth_ECDSA_",
                                       curve, ".der")));
    ASSERT_OK_AND_ASSIGN(
        std::string dppb,
        testing::ReadFile(
            absl::StrCat(*dir, "/DPpb/CERT_S_SM_DPpb_ECDSA_", curve, ".der")));
    ASSERT_OK_AND_ASSIGN(
        std::string dptls,
        testing::ReadFile(absl::StrCat(*dir, "/DPtls/CERT_S_SM_DP_VARO_TLS_",
                                       curve, ".der")));
    const absl::Time now = At(2026, 9, 1);  // inside DP.TLS's validity
    ASSERT_OK_AND_ASSIGN(
        VerifiedSmdpCertificate a,
        VerifySmdpCertificate(*store, dpauth, SmdpCertificateRole::kDpAuth,
                              now));
    EXPECT_EQ(a.ci_key_id, store->KeyIds().front());
    EXPECT_EQ(a.smdp_oid, "2.999.10");
    EXPECT_OK(
        VerifySmdpCertificate(*store, dppb, SmdpCertificateRole::kDpPb, now)
            .status());
    EXPECT_OK(
        VerifySmdpCertificate(*store, dptls, SmdpCertificateRole::kDpTls, now)
            .status());
    // Each in the wrong role.
    EXPECT_THAT(
        VerifySmdpCertificate(*store, dpauth, SmdpCertificateRole::kDpPb, now),
        StatusIs(absl::StatusCode::kFailedPrecondition));
    EXPECT_THAT(
        VerifySmdpCertificate(*store, dppb, SmdpCertificateRole::kDpTls, now),
        StatusIs(absl::StatusCode::kFailedPrecondition));
    // DP.TLS (VARO) is valid from 2026-07-21 to 2027-02-06.
    EXPECT_THAT(VerifySmdpCertificate(*store, dptls,
                                      SmdpCertificateRole::kDpTls, At(2028)),
                StatusIs(absl::StatusCode::kFailedPrecondition));
    EXPECT_THAT(VerifySmdpCertificate(*store, dptls,
                                      SmdpCertificateRole::kDpTls, At(2026)),
                StatusIs(absl::StatusCode::kFailedPrecondition));
  }
}

TEST(SmdpCertificateTest, DevPkiIdentities) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  ASSERT_NE(tmp, nullptr);
  ASSERT_OK_AND_ASSIGN(auto provider, hsm::SoftwareProvider::Create({}));
  ASSERT_OK_AND_ASSIGN(
      pki::DevPki pki,
      pki::EnsureDevPki({.dir = absl::StrCat(tmp, "/devpki")}, *provider));
  for (hsm::Curve curve :
       {hsm::Curve::kNistP256, hsm::Curve::kBrainpoolP256r1}) {
    const pki::DevPkiCurve& c = pki.ForCurve(curve);
    ASSERT_OK_AND_ASSIGN(std::string ci, testing::ReadFile(c.ci.der));
    ASSERT_OK_AND_ASSIGN(auto store, CiTrustStore::Create({ci}));
    for (const auto& [file, role] :
         {std::pair{c.dpauth.der, SmdpCertificateRole::kDpAuth},
          std::pair{c.dppb.der, SmdpCertificateRole::kDpPb},
          std::pair{c.dptls.der, SmdpCertificateRole::kDpTls}}) {
      SCOPED_TRACE(file);
      ASSERT_OK_AND_ASSIGN(std::string der, testing::ReadFile(file));
      ASSERT_OK_AND_ASSIGN(
          VerifiedSmdpCertificate v,
          VerifySmdpCertificate(*store, der, role, absl::Now()));
      EXPECT_EQ(v.smdp_oid, pki.smdp_oid);
    }
  }
}

TEST(SmdpCertificateTest, Rejections) {
  ASSERT_OK_AND_ASSIGN(TestChain chain, MakeTestChain(hsm::Curve::kNistP256));
  auto store = chain.TrustStore();
  ASSERT_OK_AND_ASSIGN(TestKey key, MakeTestKey(hsm::Curve::kNistP256));
  auto check = [&](const pki::CertificateSpec& spec,
                   SmdpCertificateRole role = SmdpCertificateRole::kDpAuth) {
    absl::StatusOr<std::string> der = chain.IssueByCi(spec);
    EXPECT_TRUE(der.ok()) << der.status();
    return VerifySmdpCertificate(*store, der.value_or(""), role, TestNow())
        .status();
  };
  const pki::CertificateSpec good =
      testing::DpSpec(pki::CertificateRole::kDpAuth, key);
  EXPECT_OK(check(good));
  // The errors are configuration errors: no GSMA code.
  pki::CertificateSpec spec = good;
  spec.not_after = At(2025);
  absl::Status expired = check(spec);
  EXPECT_THAT(expired, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(expired.message(), HasSubstr("expired"));
  EXPECT_EQ(GetGsmaError(expired), std::nullopt);
  spec = good;
  spec.subject_alt_name.reset();
  EXPECT_THAT(check(spec).message(), HasSubstr("registeredID"));
  spec = good;
  spec.key_usage.reset();
  EXPECT_THAT(check(spec).message(), HasSubstr("digitalSignature"));
  spec = good;
  spec.basic_constraints = pki::BasicConstraintsExtension{.ca = true};
  EXPECT_THAT(check(spec).message(), HasSubstr("CA rights"));
  // DP.TLS without serverAuth.
  spec = testing::DpSpec(pki::CertificateRole::kDpTls, key);
  EXPECT_OK(check(spec, SmdpCertificateRole::kDpTls));
  spec.extended_key_usage->purpose_oids = {"1.3.6.1.5.5.7.3.2"};
  EXPECT_THAT(check(spec, SmdpCertificateRole::kDpTls).message(),
              HasSubstr("serverAuth"));
  // Signed by a key that is not the CI's.
  absl::StatusOr<std::string> forged =
      pki::IssueCertificate(good, chain.ci_der, *key.signer);
  ASSERT_TRUE(forged.ok());
  EXPECT_THAT(VerifySmdpCertificate(*store, *forged,
                                    SmdpCertificateRole::kDpAuth, TestNow()),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  // Issued by an unknown CI.
  ASSERT_OK_AND_ASSIGN(TestChain other, MakeTestChain(hsm::Curve::kNistP256));
  absl::StatusOr<std::string> foreign = other.IssueByCi(good);
  ASSERT_TRUE(foreign.ok());
  EXPECT_THAT(VerifySmdpCertificate(*store, *foreign,
                                    SmdpCertificateRole::kDpAuth, TestNow()),
              StatusIs(absl::StatusCode::kNotFound));
  // Not a certificate.
  EXPECT_THAT(VerifySmdpCertificate(*store, "x", SmdpCertificateRole::kDpAuth,
                                    TestNow()),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // Another curve than the CI's.
  ASSERT_OK_AND_ASSIGN(TestKey brp, MakeTestKey(hsm::Curve::kBrainpoolP256r1));
  EXPECT_THAT(
      check(testing::DpSpec(pki::CertificateRole::kDpAuth, brp)).message(),
      HasSubstr("key on"));
}

}  // namespace
}  // namespace smdp::auth
