#include "smdp/pki/certificate_builder.h"

#include <openssl/asn1.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hsm/crypto_provider.h"
#include "hsm/software_provider.h"
#include "smdp/pki/cert_inspect_testutil.h"

namespace smdp::pki {
namespace {

using ::smdp::pki::testing::AuthorityKeyId;
using ::smdp::pki::testing::BasicConstraints;
using ::smdp::pki::testing::CrlUris;
using ::smdp::pki::testing::CurveOid;
using ::smdp::pki::testing::ExtendedKeyUsageOids;
using ::smdp::pki::testing::ExtensionCritical;
using ::smdp::pki::testing::ExtensionIds;
using ::smdp::pki::testing::KeyUsageBits;
using ::smdp::pki::testing::MustParse;
using ::smdp::pki::testing::NameString;
using ::smdp::pki::testing::PermittedDirNames;
using ::smdp::pki::testing::PermittedEins;
using ::smdp::pki::testing::PolicyOids;
using ::smdp::pki::testing::SanDnsNames;
using ::smdp::pki::testing::SanRegisteredIds;
using ::smdp::pki::testing::SignedBy;
using ::smdp::pki::testing::SubjectKeyId;
using ::smdp::pki::testing::VerifyChain;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr absl::string_view kNistOid = "1.2.840.10045.3.1.7";
constexpr absl::string_view kBrainpoolOid = "1.3.36.3.3.2.8.1.1.7";
constexpr absl::string_view kEid = "89049032123451234512345678901235";

absl::Time At(int year, int month = 1, int day = 1) {
  return absl::FromCivil(absl::CivilDay(year, month, day), absl::UTCTimeZone());
}

std::string Hex(absl::string_view bytes) {
  static const char kDigits[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

// Serialises a time field as OpenSSL prints it in DER: the raw string and
// whether it is a UTCTime.
std::pair<std::string, bool> TimeField(const ASN1_TIME* t) {
  return {std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(t)),
                      ASN1_STRING_length(t)),
          ASN1_STRING_type(t) == V_ASN1_UTCTIME};
}

// A software key with its public key and a signer over it.
struct SoftKey {
  EvpPkeyPtr key;
  SubjectPublicKey pub;
  std::unique_ptr<EvpKeySigner> signer;
};

SoftKey MakeSoftKey(hsm::Curve curve) {
  SoftKey k;
  absl::StatusOr<EvpPkeyPtr> key = GenerateSoftwareKey(curve);
  EXPECT_TRUE(key.ok()) << key.status();
  absl::StatusOr<SubjectPublicKey> pub = SubjectPublicKeyFromEvp(**key);
  EXPECT_TRUE(pub.ok()) << pub.status();
  k.pub = *pub;
  absl::StatusOr<std::string> pem = PrivateKeyToPem(**key);
  EXPECT_TRUE(pem.ok()) << pem.status();
  absl::StatusOr<std::unique_ptr<EvpKeySigner>> signer =
      EvpKeySigner::FromPem(*pem);
  EXPECT_TRUE(signer.ok()) << signer.status();
  k.signer = std::move(*signer);
  k.key = std::move(*key);
  return k;
}

CertificateSpec Spec(CertificateRole role, const RoleParams& params,
                     DistinguishedName subject, SubjectPublicKey pub,
                     uint64_t serial) {
  absl::StatusOr<CertificateSpec> spec = SgpProfile(role, params);
  EXPECT_TRUE(spec.ok()) << spec.status();
  spec->subject = std::move(subject);
  spec->public_key = std::move(pub);
  spec->serial_number = SerialNumberFromUint64(serial);
  spec->not_before = At(2024);
  spec->not_after = At(2034);
  return *spec;
}

// A CI → EUM → eUICC chain and CI → DPauth/DPpb/DPtls, on one curve, the
// SM-DP+ keys inside a SoftwareProvider.
class ChainTest : public ::testing::TestWithParam<hsm::Curve> {
 protected:
  void SetUp() override {
    curve_ = GetParam();
    auto provider = hsm::SoftwareProvider::Create({});
    ASSERT_TRUE(provider.ok()) << provider.status();
    provider_ = std::move(*provider);

    ci_key_ = MakeSoftKey(curve_);
    CertificateSpec ci = Spec(
        CertificateRole::kCi,
        {.registered_id = "2.999.1",
         .crl_uris = {"http://ci.example/a.crl", "http://ci.example/b.crl"}},
        {{"CN", "Test CI"}, {"O", "RSPTEST"}, {"C", "IT"}}, ci_key_.pub, 1);
    ci.not_after = At(2054);
    absl::StatusOr<std::string> ci_der = IssueSelfSigned(ci, *ci_key_.signer);
    ASSERT_TRUE(ci_der.ok()) << ci_der.status();
    ci_der_ = *ci_der;

    eum_key_ = MakeSoftKey(curve_);
    absl::StatusOr<std::string> eum_der = IssueCertificate(
        Spec(CertificateRole::kEum,
             {.registered_id = "2.999.5",
              .eum_organization = "RSP Test EUM",
              .eid_prefixes = {"89049032"},
              .crl_uris = {"http://ci.example/b.crl"}},
             {{"C", "ES"}, {"O", "RSP Test EUM"}, {"CN", "EUM Test"}},
             eum_key_.pub, 0x12345678),
        ci_der_, *ci_key_.signer);
    ASSERT_TRUE(eum_der.ok()) << eum_der.status();
    eum_der_ = *eum_der;

    euicc_key_ = MakeSoftKey(curve_);
    absl::StatusOr<std::string> euicc_der =
        IssueCertificate(Spec(CertificateRole::kEuicc, {},
                              {{"C", "ES"},
                               {"O", "RSP Test EUM"},
                               {"serialNumber", std::string(kEid)},
                               {"CN", "Test eUICC"}},
                              euicc_key_.pub, 0x0200),
                         eum_der_, *eum_key_.signer);
    ASSERT_TRUE(euicc_der.ok()) << euicc_der.status();
    euicc_der_ = *euicc_der;

    const std::string suffix =
        curve_ == hsm::Curve::kNistP256 ? "-nist" : "-brp";
    for (auto [role, label] : {std::pair{CertificateRole::kDpAuth, "dpauth"},
                               std::pair{CertificateRole::kDpPb, "dppb"},
                               std::pair{CertificateRole::kDpTls, "dptls"}}) {
      auto key = provider_->GenerateSigningKey(label + suffix, curve_);
      ASSERT_TRUE(key.ok()) << key.status();
      RoleParams params{.registered_id = "2.999.10"};
      if (role == CertificateRole::kDpTls) params.dns_name = "smdp.example.com";
      absl::StatusOr<std::string> der = IssueCertificate(
          Spec(role, params, {{"O", "ACME"}, {"CN", "smdp.example.com"}},
               {curve_, (*key)->public_point()}, 0x100),
          ci_der_, *ci_key_.signer);
      ASSERT_TRUE(der.ok()) << der.status();
      dp_der_[role] = *der;
      dp_keys_[role] = std::move(*key);
    }
  }

  std::string CurveOidExpected() const {
    return std::string(curve_ == hsm::Curve::kNistP256 ? kNistOid
                                                       : kBrainpoolOid);
  }

  hsm::Curve curve_;
  std::unique_ptr<hsm::SoftwareProvider> provider_;
  SoftKey ci_key_, eum_key_, euicc_key_;
  std::string ci_der_, eum_der_, euicc_der_;
  std::map<CertificateRole, std::string> dp_der_;
  std::map<CertificateRole, std::unique_ptr<hsm::SigningKey>> dp_keys_;
};

TEST_P(ChainTest, EveryCertificateVerifiesAgainstItsIssuer) {
  X509Ptr ci = MustParse(ci_der_);
  X509Ptr eum = MustParse(eum_der_);
  X509Ptr euicc = MustParse(euicc_der_);
  EXPECT_TRUE(SignedBy(ci.get(), ci.get()));
  EXPECT_TRUE(SignedBy(eum.get(), ci.get()));
  EXPECT_TRUE(SignedBy(euicc.get(), eum.get()));
  EXPECT_FALSE(SignedBy(euicc.get(), ci.get()));
  for (const auto& [role, der] : dp_der_) {
    X509Ptr dp = MustParse(der);
    EXPECT_TRUE(SignedBy(dp.get(), ci.get())) << RoleName(role);
    EXPECT_FALSE(SignedBy(dp.get(), eum.get())) << RoleName(role);
  }
}

TEST_P(ChainTest, OpensslAcceptsTheSmdpChains) {
  X509Ptr ci = MustParse(ci_der_);
  EXPECT_TRUE(VerifyChain(ci.get(), ci.get(), {}, At(2025)).ok());
  for (const auto& [role, der] : dp_der_) {
    X509Ptr dp = MustParse(der);
    absl::Status status = VerifyChain(dp.get(), ci.get(), {}, At(2025));
    EXPECT_TRUE(status.ok()) << RoleName(role) << ": " << status;
    // Outside the validity period OpenSSL refuses it.
    EXPECT_FALSE(VerifyChain(dp.get(), ci.get(), {}, At(2040)).ok());
  }
}

TEST_P(ChainTest, EuiccChainIsRefusedByOpensslOnlyForTheNameConstraint) {
  // OpenSSL cannot apply the SGP.22 serialNumber-prefix name constraint
  // (it refuses the SGP.26 chain the same way): this is why smdp/auth checks
  // the EUM's EID range itself. Each link verifies on its own.
  X509Ptr ci = MustParse(ci_der_);
  X509Ptr eum = MustParse(eum_der_);
  X509Ptr euicc = MustParse(euicc_der_);
  EXPECT_TRUE(VerifyChain(eum.get(), ci.get(), {}, At(2025)).ok());
  absl::Status status =
      VerifyChain(euicc.get(), ci.get(), {eum.get()}, At(2025));
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("permitted subtree violation"));
}

TEST_P(ChainTest, PublicKeysAreOnTheNamedCurve) {
  for (const std::string* der : {&ci_der_, &eum_der_, &euicc_der_}) {
    X509Ptr x = MustParse(*der);
    EXPECT_EQ(CurveOid(x.get()), CurveOidExpected());
  }
  for (const auto& [role, der] : dp_der_) {
    X509Ptr x = MustParse(der);
    EXPECT_EQ(CurveOid(x.get()), CurveOidExpected()) << RoleName(role);
    absl::StatusOr<SubjectPublicKey> pub =
        SubjectPublicKeyFromEvp(*X509_get0_pubkey(x.get()));
    ASSERT_TRUE(pub.ok()) << pub.status();
    EXPECT_EQ(pub->curve, curve_);
    EXPECT_EQ(pub->point, dp_keys_.at(role)->public_point());
  }
}

TEST_P(ChainTest, CiProfile) {
  X509Ptr x = MustParse(ci_der_);
  EXPECT_EQ(X509_get_version(x.get()), X509_VERSION_3);
  EXPECT_EQ(NameString(X509_get_subject_name(x.get())),
            "CN=Test CI,O=RSPTEST,C=IT");
  EXPECT_EQ(NameString(X509_get_issuer_name(x.get())),
            "CN=Test CI,O=RSPTEST,C=IT");
  EXPECT_EQ(KeyUsageBits(x.get()), kKeyUsageKeyCertSign | kKeyUsageCrlSign);
  EXPECT_EQ(ExtensionCritical(x.get(), NID_key_usage), true);
  EXPECT_EQ(BasicConstraints(x.get()), std::make_pair(true, -1L));
  EXPECT_EQ(ExtensionCritical(x.get(), NID_basic_constraints), true);
  EXPECT_THAT(PolicyOids(x.get()), ElementsAre("2.23.146.1.2.1.0"));
  EXPECT_EQ(ExtensionCritical(x.get(), NID_certificate_policies), true);
  EXPECT_THAT(SanRegisteredIds(x.get()), ElementsAre("2.999.1"));
  EXPECT_THAT(SanDnsNames(x.get()), IsEmpty());
  EXPECT_EQ(SubjectKeyId(x.get()).size(), 20u);
  EXPECT_EQ(AuthorityKeyId(x.get()), SubjectKeyId(x.get()));
  EXPECT_THAT(CrlUris(x.get()), ElementsAre("http://ci.example/a.crl",
                                            "http://ci.example/b.crl"));
  EXPECT_FALSE(ExtensionCritical(x.get(), NID_ext_key_usage).has_value());
}

TEST_P(ChainTest, EumProfile) {
  X509Ptr ci = MustParse(ci_der_);
  X509Ptr x = MustParse(eum_der_);
  EXPECT_EQ(NameString(X509_get_issuer_name(x.get())),
            "CN=Test CI,O=RSPTEST,C=IT");
  EXPECT_EQ(KeyUsageBits(x.get()), kKeyUsageKeyCertSign);
  EXPECT_EQ(ExtensionCritical(x.get(), NID_key_usage), true);
  EXPECT_EQ(BasicConstraints(x.get()), std::make_pair(true, 0L));
  EXPECT_EQ(ExtensionCritical(x.get(), NID_basic_constraints), true);
  EXPECT_THAT(PolicyOids(x.get()), ElementsAre("2.23.146.1.2.1.2"));
  EXPECT_EQ(ExtensionCritical(x.get(), NID_certificate_policies), true);
  EXPECT_THAT(SanRegisteredIds(x.get()), ElementsAre("2.999.5"));
  EXPECT_EQ(AuthorityKeyId(x.get()), SubjectKeyId(ci.get()));
  EXPECT_NE(SubjectKeyId(x.get()), SubjectKeyId(ci.get()));
  EXPECT_THAT(PermittedDirNames(x.get()),
              ElementsAre("O=RSP Test EUM,serialNumber=89049032"));
  EXPECT_EQ(ExtensionCritical(x.get(), NID_name_constraints), true);
  EXPECT_FALSE(PermittedEins(x.get()).has_value());
  EXPECT_EQ(X509_get_serialNumber(x.get())->length, 4);
}

TEST_P(ChainTest, EuiccProfile) {
  X509Ptr eum = MustParse(eum_der_);
  X509Ptr x = MustParse(euicc_der_);
  EXPECT_EQ(NameString(X509_get_subject_name(x.get())),
            absl::StrCat("C=ES,O=RSP Test EUM,serialNumber=", kEid,
                         ",CN=Test eUICC"));
  EXPECT_EQ(NameString(X509_get_issuer_name(x.get())),
            "C=ES,O=RSP Test EUM,CN=EUM Test");
  EXPECT_EQ(KeyUsageBits(x.get()), kKeyUsageDigitalSignature);
  EXPECT_EQ(ExtensionCritical(x.get(), NID_key_usage), true);
  EXPECT_FALSE(BasicConstraints(x.get()).has_value());
  EXPECT_THAT(PolicyOids(x.get()), ElementsAre("2.23.146.1.2.1.1"));
  EXPECT_EQ(ExtensionCritical(x.get(), NID_certificate_policies), true);
  EXPECT_EQ(AuthorityKeyId(x.get()), SubjectKeyId(eum.get()));
  EXPECT_FALSE(ExtensionCritical(x.get(), NID_subject_alt_name).has_value());
  // Exactly AKI, SKI, KU, policies: as the SGP.26 eUICC certificate.
  EXPECT_EQ(ExtensionIds(x.get()),
            (std::set<testing::ExtensionId>{{"2.5.29.35", false},
                                            {"2.5.29.14", false},
                                            {"2.5.29.15", true},
                                            {"2.5.29.32", true}}));
  // The EID is a PrintableString, as in SGP.26.
  const X509_NAME* name = X509_get_subject_name(x.get());
  int idx = X509_NAME_get_index_by_NID(name, NID_serialNumber, -1);
  ASSERT_GE(idx, 0);
  EXPECT_EQ(ASN1_STRING_type(
                X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx))),
            V_ASN1_PRINTABLESTRING);
}

TEST_P(ChainTest, SmdpProfiles) {
  X509Ptr ci = MustParse(ci_der_);
  for (const auto& [role, der] : dp_der_) {
    SCOPED_TRACE(RoleName(role));
    X509Ptr x = MustParse(der);
    EXPECT_EQ(NameString(X509_get_subject_name(x.get())),
              "O=ACME,CN=smdp.example.com");
    EXPECT_EQ(KeyUsageBits(x.get()), kKeyUsageDigitalSignature);
    EXPECT_EQ(ExtensionCritical(x.get(), NID_key_usage), true);
    EXPECT_FALSE(BasicConstraints(x.get()).has_value());
    EXPECT_THAT(PolicyOids(x.get()), ElementsAre(std::string(PolicyOid(role))));
    EXPECT_EQ(AuthorityKeyId(x.get()), SubjectKeyId(ci.get()));
    EXPECT_EQ(SubjectKeyId(x.get()).size(), 20u);
    EXPECT_THAT(SanRegisteredIds(x.get()), ElementsAre("2.999.10"));
    if (role == CertificateRole::kDpTls) {
      EXPECT_EQ(ExtensionCritical(x.get(), NID_certificate_policies), false);
      EXPECT_THAT(SanDnsNames(x.get()), ElementsAre("smdp.example.com"));
      EXPECT_THAT(ExtendedKeyUsageOids(x.get()),
                  ElementsAre("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"));
      EXPECT_EQ(ExtensionCritical(x.get(), NID_ext_key_usage), true);
    } else {
      EXPECT_EQ(ExtensionCritical(x.get(), NID_certificate_policies), true);
      EXPECT_THAT(SanDnsNames(x.get()), IsEmpty());
      EXPECT_FALSE(ExtensionCritical(x.get(), NID_ext_key_usage).has_value());
    }
  }
  EXPECT_EQ(PolicyOid(CertificateRole::kDpAuth), "2.23.146.1.2.1.4");
  EXPECT_EQ(PolicyOid(CertificateRole::kDpPb), "2.23.146.1.2.1.5");
  EXPECT_EQ(PolicyOid(CertificateRole::kDpTls), "2.23.146.1.2.1.3");
}

TEST_P(ChainTest, IssueSignedByHsmKey) {
  // A certificate signed by a key inside the provider (an SM-DP+ key acting
  // as issuer here, only to exercise HsmKeySigner on this curve).
  const hsm::SigningKey& issuer_key = *dp_keys_.at(CertificateRole::kDpAuth);
  HsmKeySigner signer(issuer_key);
  SoftKey subject = MakeSoftKey(curve_);
  CertificateSpec spec =
      Spec(CertificateRole::kEuicc, {}, {{"CN", "signed in the provider"}},
           subject.pub, 7);
  absl::StatusOr<std::string> der =
      IssueCertificate(spec, dp_der_.at(CertificateRole::kDpAuth), signer);
  ASSERT_TRUE(der.ok()) << der.status();
  X509Ptr x = MustParse(*der);
  X509Ptr issuer = MustParse(dp_der_.at(CertificateRole::kDpAuth));
  EXPECT_TRUE(SignedBy(x.get(), issuer.get()));
  // Re-encoding what OpenSSL parsed gives the same bytes (DER is canonical,
  // the signature BIT STRING has no unused bits).
  unsigned char* out = nullptr;
  int len = i2d_X509(x.get(), &out);
  ASSERT_GT(len, 0);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(out), len), *der);
  OPENSSL_free(out);
}

INSTANTIATE_TEST_SUITE_P(BothCurves, ChainTest,
                         ::testing::Values(hsm::Curve::kNistP256,
                                           hsm::Curve::kBrainpoolP256r1),
                         [](const auto& info) {
                           return info.param == hsm::Curve::kNistP256
                                      ? std::string("Nist")
                                      : std::string("Brainpool");
                         });

class BuilderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ci_key_ = MakeSoftKey(hsm::Curve::kNistP256);
    CertificateSpec ci =
        Spec(CertificateRole::kCi, {.registered_id = "2.999.1"}, {{"CN", "CI"}},
             ci_key_.pub, 1);
    absl::StatusOr<std::string> der = IssueSelfSigned(ci, *ci_key_.signer);
    ASSERT_TRUE(der.ok()) << der.status();
    ci_der_ = *der;
    subject_key_ = MakeSoftKey(hsm::Curve::kNistP256);
  }

  CertificateSpec DpAuthSpec() {
    return Spec(CertificateRole::kDpAuth, {.registered_id = "2.999.10"},
                {{"O", "ACME"}, {"CN", "smdp"}}, subject_key_.pub, 5);
  }

  X509Ptr IssueOrDie(const CertificateSpec& spec) {
    absl::StatusOr<std::string> der =
        IssueCertificate(spec, ci_der_, *ci_key_.signer);
    EXPECT_TRUE(der.ok()) << der.status();
    return der.ok() ? MustParse(*der) : nullptr;
  }

  SoftKey ci_key_, subject_key_;
  std::string ci_der_;
};

TEST_F(BuilderTest, TimesUseUtcTimeBefore2050AndGeneralizedTimeAfter) {
  CertificateSpec spec = DpAuthSpec();
  spec.not_before = At(1990, 6, 15);
  spec.not_after = At(7496, 1, 24);
  X509Ptr x = IssueOrDie(spec);
  ASSERT_NE(x, nullptr);
  EXPECT_EQ(TimeField(X509_get0_notBefore(x.get())),
            std::make_pair(std::string("900615000000Z"), true));
  EXPECT_EQ(TimeField(X509_get0_notAfter(x.get())),
            std::make_pair(std::string("74960124000000Z"), false));

  spec.not_before = At(2049, 12, 31);
  spec.not_after = At(2050, 1, 1);
  x = IssueOrDie(spec);
  ASSERT_NE(x, nullptr);
  EXPECT_TRUE(TimeField(X509_get0_notBefore(x.get())).second);
  EXPECT_EQ(TimeField(X509_get0_notAfter(x.get())),
            std::make_pair(std::string("20500101000000Z"), false));
}

TEST_F(BuilderTest, SubjectAltNameWithIpAddresses) {
  CertificateSpec spec = DpAuthSpec();
  spec.subject_alt_name->dns_names = {"localhost"};
  spec.subject_alt_name->ip_addresses = {"127.0.0.1", "::1"};
  X509Ptr x = IssueOrDie(spec);
  ASSERT_NE(x, nullptr);
  EXPECT_EQ(X509_check_host(x.get(), "localhost", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(x.get(), "127.0.0.1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(x.get(), "::1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(x.get(), "127.0.0.2", 0), 0);
  EXPECT_THAT(SanRegisteredIds(x.get()), ElementsAre("2.999.10"));
}

TEST_F(BuilderTest, ExpiredCertificateIsIssuedAsAsked) {
  CertificateSpec spec = DpAuthSpec();
  spec.not_before = At(2010);
  spec.not_after = At(2011);
  X509Ptr x = IssueOrDie(spec);
  ASSERT_NE(x, nullptr);
  X509Ptr ci = MustParse(ci_der_);
  EXPECT_TRUE(SignedBy(x.get(), ci.get()));
  EXPECT_LT(X509_cmp_time(X509_get0_notAfter(x.get()), nullptr), 0);
}

TEST_F(BuilderTest, InfiniteTimesAreRejected) {
  CertificateSpec spec = DpAuthSpec();
  spec.not_after = absl::InfiniteFuture();
  absl::Status status =
      IssueCertificate(spec, ci_der_, *ci_key_.signer).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("not_after"));
}

TEST_F(BuilderTest, BadCertificatesOnDemand) {
  // Wrong policy, no key usage, a foreign-looking AKI, an extra critical
  // extension: every one is issued and signed as asked.
  CertificateSpec spec = DpAuthSpec();
  spec.certificate_policies->policy_oids = {std::string(kPolicyDpPb)};
  spec.key_usage.reset();
  spec.authority_key_identifier_override = std::string(20, '\x42');
  spec.extra_extensions.push_back({.oid = "1.2.3.4",
                                   .value_der = std::string("\x05\x00", 2),
                                   .critical = true});
  X509Ptr x = IssueOrDie(spec);
  ASSERT_NE(x, nullptr);
  X509Ptr ci = MustParse(ci_der_);
  EXPECT_TRUE(SignedBy(x.get(), ci.get()));
  EXPECT_THAT(PolicyOids(x.get()), ElementsAre("2.23.146.1.2.1.5"));
  EXPECT_FALSE(KeyUsageBits(x.get()).has_value());
  EXPECT_EQ(AuthorityKeyId(x.get()), std::string(20, '\x42'));
  EXPECT_TRUE(ExtensionIds(x.get()).count({"1.2.3.4", true}));
}

TEST_F(BuilderTest, SignedByAForeignCiDoesNotVerifyUnderTheRealOne) {
  SoftKey foreign_key = MakeSoftKey(hsm::Curve::kNistP256);
  CertificateSpec foreign_ci =
      Spec(CertificateRole::kCi, {}, {{"CN", "CI"}}, foreign_key.pub, 1);
  absl::StatusOr<std::string> foreign_der =
      IssueSelfSigned(foreign_ci, *foreign_key.signer);
  ASSERT_TRUE(foreign_der.ok()) << foreign_der.status();
  absl::StatusOr<std::string> der =
      IssueCertificate(DpAuthSpec(), *foreign_der, *foreign_key.signer);
  ASSERT_TRUE(der.ok()) << der.status();
  X509Ptr x = MustParse(*der);
  X509Ptr ci = MustParse(ci_der_);
  X509Ptr foreign = MustParse(*foreign_der);
  // Same issuer name "CN=CI", but only the foreign key verifies it.
  EXPECT_EQ(X509_NAME_cmp(X509_get_issuer_name(x.get()),
                          X509_get_subject_name(ci.get())),
            0);
  EXPECT_FALSE(SignedBy(x.get(), ci.get()));
  EXPECT_TRUE(SignedBy(x.get(), foreign.get()));
  EXPECT_NE(AuthorityKeyId(x.get()), SubjectKeyId(ci.get()));
}

TEST_F(BuilderTest, EumWithPermittedEins) {
  for (EidRangeForm form :
       {EidRangeForm::kPermittedEins, EidRangeForm::kBoth}) {
    absl::StatusOr<CertificateSpec> spec =
        SgpProfile(CertificateRole::kEum, {.registered_id = "2.999.5",
                                           .eum_organization = "EUM",
                                           .eid_prefixes = {"89049032", "8904"},
                                           .eid_range_form = form});
    ASSERT_TRUE(spec.ok()) << spec.status();
    spec->subject = {{"O", "EUM"}};
    spec->public_key = subject_key_.pub;
    spec->serial_number = RandomSerialNumber();
    spec->not_before = At(2024);
    spec->not_after = At(2030);
    X509Ptr x = IssueOrDie(*spec);
    ASSERT_NE(x, nullptr);
    EXPECT_EQ(PermittedEins(x.get()),
              (std::vector<std::string>{"89049032", "8904"}));
    EXPECT_TRUE(ExtensionIds(x.get()).count({"2.23.146.1.2.2.0", false}));
    if (form == EidRangeForm::kBoth) {
      EXPECT_THAT(PermittedDirNames(x.get()),
                  ElementsAre("O=EUM,serialNumber=89049032",
                              "O=EUM,serialNumber=8904"));
    } else {
      EXPECT_THAT(PermittedDirNames(x.get()), IsEmpty());
    }
  }
}

TEST_F(BuilderTest, ProfileErrorsNameTheField) {
  struct Case {
    CertificateRole role;
    RoleParams params;
    std::string field;
  };
  std::vector<Case> cases = {
      {CertificateRole::kDpTls, {.registered_id = "2.999.10"}, "dns_name"},
      {CertificateRole::kDpAuth, {}, "registered_id"},
      {CertificateRole::kDpPb,
       {.registered_id = "not.an.oid"},
       "registered_id"},
      {CertificateRole::kEum, {.eum_organization = "EUM"}, "eid_prefixes"},
      {CertificateRole::kEum,
       {.eum_organization = "EUM", .eid_prefixes = {"8904x"}},
       "eid_prefixes"},
      {CertificateRole::kEum,
       {.eid_prefixes = {"89049032"}},
       "eum_organization"},
  };
  for (const Case& c : cases) {
    absl::Status status = SgpProfile(c.role, c.params).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument)
        << RoleName(c.role) << " " << c.field;
    EXPECT_THAT(std::string(status.message()), HasSubstr(c.field)) << status;
  }
}

TEST_F(BuilderTest, MalformedSpecsAreInvalidArgument) {
  CertificateSpec spec = DpAuthSpec();
  spec.public_key.point[10] ^= 1;  // No longer on the curve.
  EXPECT_EQ(IssueCertificate(spec, ci_der_, *ci_key_.signer).status().code(),
            absl::StatusCode::kInvalidArgument);

  spec = DpAuthSpec();
  spec.public_key.point.resize(33);
  EXPECT_EQ(IssueCertificate(spec, ci_der_, *ci_key_.signer).status().code(),
            absl::StatusCode::kInvalidArgument);

  spec = DpAuthSpec();
  spec.serial_number.clear();
  absl::Status status =
      IssueCertificate(spec, ci_der_, *ci_key_.signer).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("serial_number"));

  spec = DpAuthSpec();
  spec.subject_alt_name->registered_ids = {"bogus"};
  EXPECT_EQ(IssueCertificate(spec, ci_der_, *ci_key_.signer).status().code(),
            absl::StatusCode::kInvalidArgument);

  spec = DpAuthSpec();
  spec.subject_alt_name->ip_addresses = {"127.0.0.300"};
  status = IssueCertificate(spec, ci_der_, *ci_key_.signer).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("127.0.0.300"));

  spec = DpAuthSpec();
  spec.subject.push_back({"noSuchAttribute", "x"});
  status = IssueCertificate(spec, ci_der_, *ci_key_.signer).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("subject"));

  status = IssueCertificate(DpAuthSpec(), "not DER", *ci_key_.signer).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("issuer certificate"));
}

TEST_F(BuilderTest, IssuerWithoutSkiIsFailedPreconditionUnlessAkiIsOff) {
  CertificateSpec ci =
      Spec(CertificateRole::kCi, {}, {{"CN", "no SKI CI"}}, ci_key_.pub, 2);
  ci.subject_key_identifier = false;
  ci.authority_key_identifier = false;
  absl::StatusOr<std::string> ci_der = IssueSelfSigned(ci, *ci_key_.signer);
  ASSERT_TRUE(ci_der.ok()) << ci_der.status();
  EXPECT_EQ(
      IssueCertificate(DpAuthSpec(), *ci_der, *ci_key_.signer).status().code(),
      absl::StatusCode::kFailedPrecondition);
  CertificateSpec spec = DpAuthSpec();
  spec.authority_key_identifier = false;
  absl::StatusOr<std::string> der =
      IssueCertificate(spec, *ci_der, *ci_key_.signer);
  ASSERT_TRUE(der.ok()) << der.status();
  X509Ptr x = MustParse(*der);
  EXPECT_EQ(AuthorityKeyId(x.get()), "");
}

TEST_F(BuilderTest, SerialNumbers) {
  EXPECT_EQ(SerialNumberFromUint64(0x0200000000000001ull),
            std::string("\x02\0\0\0\0\0\0\x01", 8));
  EXPECT_EQ(SerialNumberFromUint64(0x100), std::string("\x01\x00", 2));
  const std::string a = RandomSerialNumber();
  const std::string b = RandomSerialNumber();
  EXPECT_EQ(a.size(), 16u);
  EXPECT_NE(a, b);
  EXPECT_EQ(static_cast<unsigned char>(a[0]) & 0x80, 0);
  EXPECT_NE(a[0], 0);

  // A 9-byte serial as in the SGP.26 eUICC certificate, read back exactly.
  CertificateSpec spec = DpAuthSpec();
  spec.serial_number = std::string("\x02\0\0\0\0\0\0\0\x01", 9);
  X509Ptr x = IssueOrDie(spec);
  ASSERT_NE(x, nullptr);
  const ASN1_INTEGER* serial = X509_get0_serialNumber(x.get());
  EXPECT_EQ(Hex(std::string(
                reinterpret_cast<const char*>(ASN1_STRING_get0_data(serial)),
                ASN1_STRING_length(serial))),
            "020000000000000001");
}

TEST_F(BuilderTest, PemRoundTripAndKeys) {
  absl::StatusOr<std::string> pem = CertificateDerToPem(ci_der_);
  ASSERT_TRUE(pem.ok()) << pem.status();
  EXPECT_THAT(*pem, HasSubstr("-----BEGIN CERTIFICATE-----"));
  absl::StatusOr<std::string> der = CertificatePemToDer(*pem);
  ASSERT_TRUE(der.ok()) << der.status();
  EXPECT_EQ(*der, ci_der_);
  EXPECT_EQ(CertificatePemToDer("junk").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseCertificateDer(ci_der_ + "x").status().code(),
            absl::StatusCode::kInvalidArgument);

  absl::StatusOr<std::string> key_pem = PrivateKeyToPem(*ci_key_.key);
  ASSERT_TRUE(key_pem.ok());
  EXPECT_THAT(*key_pem, HasSubstr("-----BEGIN PRIVATE KEY-----"));
  absl::StatusOr<EvpPkeyPtr> key = PrivateKeyFromPem(*key_pem);
  ASSERT_TRUE(key.ok()) << key.status();
  absl::StatusOr<SubjectPublicKey> pub = SubjectPublicKeyFromEvp(**key);
  ASSERT_TRUE(pub.ok());
  EXPECT_EQ(pub->point, ci_key_.pub.point);
  EXPECT_EQ(PrivateKeyFromPem("junk").status().code(),
            absl::StatusCode::kInvalidArgument);

  absl::StatusOr<EvpPkeyPtr> brp =
      GenerateSoftwareKey(hsm::Curve::kBrainpoolP256r1);
  ASSERT_TRUE(brp.ok());
  pub = SubjectPublicKeyFromEvp(**brp);
  ASSERT_TRUE(pub.ok());
  EXPECT_EQ(pub->curve, hsm::Curve::kBrainpoolP256r1);
  EXPECT_EQ(pub->point.size(), 65u);
}

}  // namespace
}  // namespace smdp::pki
