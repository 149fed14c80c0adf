#include "smdp/auth/ci_trust_store.h"

#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hsm/internal/test_util.h"
#include "smdp/auth/test_pki.h"
#include "smdp/pki/certificate_builder.h"

namespace smdp::auth {
namespace {

using ::smdp::auth::testing::MakeTestChain;
using ::smdp::auth::testing::MakeTestKey;
using ::smdp::auth::testing::TestChain;
using ::smdp::auth::testing::TestKey;
using ::smdp::hsm::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

TEST(CiTrustStoreTest, Sgp26CisByKeyId) {
  std::optional<std::string> dir = testing::Sgp26Dir();
  if (!dir.has_value()) GTEST_SKIP() << "SMDP_SGP26_DIR is not set";
  ASSERT_OK_AND_ASSIGN(std::string nist,
                       testing::ReadFile(*dir + "/CertificateIssuer/"
                                                "CERT_CI_ECDSA_NIST.der"));
  ASSERT_OK_AND_ASSIGN(std::string brp,
                       testing::ReadFile(*dir + "/CertificateIssuer/"
                                                "CERT_CI_ECDSA_BRP.der"));
  ASSERT_OK_AND_ASSIGN(auto store, CiTrustStore::Create({nist, brp}));
  const std::string nist_id(
      "\xF5\x41\x72\xBD\xF9\x8A\x95\xD6\x5C\xBE\xB8\x8A\x38\xA1\xC1\x1D\x80"
      "\x0A\x85\xC3");
  const std::string brp_id(
      "\xC0\xBC\x70\xBA\x36\x92\x9D\x43\xB4\x67\xFF\x57\x57\x05\x30\xE5\x7A"
      "\xB8\xFC\xD8");
  EXPECT_EQ(store->size(), 2u);
  EXPECT_THAT(store->KeyIds(), UnorderedElementsAre(nist_id, brp_id));
  const TrustedCi* ci = store->Find(nist_id);
  ASSERT_NE(ci, nullptr);
  EXPECT_EQ(ci->key_id, nist_id);
  EXPECT_EQ(ci->public_key.curve(), hsm::Curve::kNistP256);
  EXPECT_EQ(ci->certificate.der, nist);
  EXPECT_EQ(store->FindShared(brp_id)->public_key.curve(),
            hsm::Curve::kBrainpoolP256r1);
  EXPECT_EQ(store->Find(std::string(20, '\0')), nullptr);
  EXPECT_EQ(store->FindShared(""), nullptr);

  // The EUM is no CI.
  ASSERT_OK_AND_ASSIGN(
      std::string eum,
      testing::ReadFile(*dir + "/EUM/CERT_EUM_ECDSA_NIST.der"));
  CiTrustStore s;
  EXPECT_THAT(s.Add(eum), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(CiTrustStoreTest, AddRules) {
  ASSERT_OK_AND_ASSIGN(TestChain chain, MakeTestChain(hsm::Curve::kNistP256));
  CiTrustStore store;
  EXPECT_TRUE(store.empty());
  EXPECT_OK(store.Add(chain.ci_der));
  EXPECT_OK(store.Add(chain.ci_der));  // the same DER again
  EXPECT_EQ(store.size(), 1u);

  EXPECT_THAT(store.Add("junk"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store.Add(chain.eum_der),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(store.Add(chain.euicc_der),
              StatusIs(absl::StatusCode::kFailedPrecondition));

  // Another certificate for the same key (other serial): same key id.
  pki::CertificateSpec again = testing::CiSpec(chain.ci_key, 99);
  ASSERT_OK_AND_ASSIGN(std::string again_der,
                       pki::IssueSelfSigned(again, *chain.ci_key.signer));
  EXPECT_THAT(store.Add(again_der), StatusIs(absl::StatusCode::kAlreadyExists));

  auto refused = [&](const pki::CertificateSpec& spec, const TestKey& signer,
                     absl::string_view why) {
    absl::StatusOr<std::string> der =
        pki::IssueSelfSigned(spec, *signer.signer);
    ASSERT_TRUE(der.ok()) << der.status();
    CiTrustStore s;
    absl::Status status = s.Add(*der);
    EXPECT_THAT(status, StatusIs(absl::StatusCode::kFailedPrecondition));
    EXPECT_THAT(status.message(), HasSubstr(why));
  };
  ASSERT_OK_AND_ASSIGN(TestKey key, MakeTestKey(hsm::Curve::kNistP256));
  ASSERT_OK_AND_ASSIGN(TestKey other, MakeTestKey(hsm::Curve::kNistP256));
  pki::CertificateSpec spec = testing::CiSpec(key);
  refused(spec, other, "does not verify");
  spec.certificate_policies.reset();
  refused(spec, key, "2.23.146.1.2.1.0");
  spec = testing::CiSpec(key);
  spec.basic_constraints.reset();
  refused(spec, key, "cA");
  spec = testing::CiSpec(key);
  spec.key_usage->bits = pki::kKeyUsageCrlSign;
  refused(spec, key, "keyCertSign");
  spec = testing::CiSpec(key);
  spec.subject_key_identifier = false;
  refused(spec, key, "subjectKeyIdentifier");
  spec = testing::CiSpec(key);
  spec.authority_key_identifier_override = std::string(20, '\x07');
  refused(spec, key, "authorityKeyIdentifier");
  // Issued by another CI: issuer != subject.
  absl::StatusOr<std::string> sub = pki::IssueCertificate(
      testing::CiSpec(key), chain.ci_der, *chain.ci_key.signer);
  ASSERT_TRUE(sub.ok());
  CiTrustStore s;
  EXPECT_THAT(s.Add(*sub), StatusIs(absl::StatusCode::kFailedPrecondition));
}

}  // namespace
}  // namespace smdp::auth
