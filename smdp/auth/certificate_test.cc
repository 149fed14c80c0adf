#include "smdp/auth/certificate.h"

#include <dirent.h>
#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hsm/internal/test_util.h"
#include "smdp/auth/test_pki.h"
#include "smdp/pki/certificate_builder.h"
#include "util/ssl_ptr.h"

namespace smdp::auth {
namespace {

using ::smdp::auth::testing::MakeTestChain;
using ::smdp::auth::testing::MakeTestKey;
using ::smdp::auth::testing::TestChain;
using ::smdp::auth::testing::TestKey;
using ::smdp::hsm::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

absl::Time At(int year, int month = 1, int day = 1) {
  return absl::FromCivil(absl::CivilDay(year, month, day), absl::UTCTimeZone());
}

// ---------------------------------------------------------------------------
// The SGP.26 certificates, read back and compared with OpenSSL's parser.

std::vector<std::string> Sgp26CertificateFiles(const std::string& dir) {
  std::vector<std::string> files;
  for (const char* sub :
       {"CertificateIssuer", "EUM", "eUICC", "DPauth", "DPpb", "DPtls"}) {
    const std::string path = absl::StrCat(dir, "/", sub);
    DIR* d = opendir(path.c_str());
    if (d == nullptr) continue;
    while (const dirent* e = readdir(d)) {
      if (absl::EndsWith(e->d_name, ".der")) {
        files.push_back(absl::StrCat(path, "/", e->d_name));
      }
    }
    closedir(d);
  }
  return files;
}

absl::Time Asn1TimeToAbsl(const ASN1_TIME* t) {
  struct tm tm = {};
  if (ASN1_TIME_to_tm(t, &tm) != 1) return absl::InfinitePast();
  return absl::FromCivil(
      absl::CivilSecond(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                        tm.tm_hour, tm.tm_min, tm.tm_sec),
      absl::UTCTimeZone());
}

std::string NameEntry(X509_NAME* name, int nid) {
  const int i = X509_NAME_get_index_by_NID(name, nid, -1);
  if (i < 0) return "";
  const ASN1_STRING* s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                     ASN1_STRING_length(s));
}

std::string OctetString(const ASN1_OCTET_STRING* s) {
  if (s == nullptr) return "";
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                     ASN1_STRING_length(s));
}

TEST(CertificateSgp26Test, EveryCertificateMatchesOpenssl) {
  std::optional<std::string> dir = testing::Sgp26Dir();
  if (!dir.has_value()) GTEST_SKIP() << "SMDP_SGP26_DIR is not set";
  const std::vector<std::string> files = Sgp26CertificateFiles(*dir);
  ASSERT_GE(files.size(), 19u);
  for (const std::string& file : files) {
    SCOPED_TRACE(file);
    ASSERT_OK_AND_ASSIGN(std::string der, testing::ReadFile(file));
    ASSERT_OK_AND_ASSIGN(Certificate cert, ParseCertificate(der));
    ASSERT_OK_AND_ASSIGN(X509Ptr x, pki::ParseCertificateDer(der));

    EXPECT_EQ(cert.der, der);
    ASSERT_OK_AND_ASSIGN(
        pki::SubjectPublicKey pub,
        pki::SubjectPublicKeyFromEvp(*X509_get0_pubkey(x.get())));
    EXPECT_EQ(cert.curve, pub.curve);
    EXPECT_EQ(cert.public_point, pub.point);
    EXPECT_EQ(cert.not_before, Asn1TimeToAbsl(X509_get0_notBefore(x.get())));
    EXPECT_EQ(cert.not_after, Asn1TimeToAbsl(X509_get0_notAfter(x.get())));
    BignumPtr serial(
        ASN1_INTEGER_to_BN(X509_get0_serialNumber(x.get()), nullptr));
    BignumPtr ours(BN_bin2bn(
        reinterpret_cast<const unsigned char*>(cert.serial_number.data()),
        static_cast<int>(cert.serial_number.size()), nullptr));
    EXPECT_EQ(BN_cmp(serial.get(), ours.get()), 0);
    EXPECT_EQ(cert.subject_key_identifier.value_or(""),
              OctetString(X509_get0_subject_key_id(x.get())));
    EXPECT_EQ(cert.authority_key_identifier.value_or(""),
              OctetString(X509_get0_authority_key_id(x.get())));
    EXPECT_EQ(cert.subject.common_name.value_or(""),
              NameEntry(X509_get_subject_name(x.get()), NID_commonName));
    EXPECT_EQ(cert.subject.organization.value_or(""),
              NameEntry(X509_get_subject_name(x.get()), NID_organizationName));
    EXPECT_EQ(cert.subject.serial_number.value_or(""),
              NameEntry(X509_get_subject_name(x.get()), NID_serialNumber));
    EXPECT_EQ(cert.issuer.common_name.value_or(""),
              NameEntry(X509_get_issuer_name(x.get()), NID_commonName));
    EXPECT_EQ(static_cast<int>(cert.extensions.size()),
              X509_get_ext_count(x.get()));
    // The TBS bytes are the certificate's first element.
    EXPECT_EQ(der.find(cert.tbs_der), 4u);
    EXPECT_EQ(cert.key_usage.value_or(0),
              X509_get_key_usage(x.get()) == UINT32_MAX
                  ? 0u
                  : ((X509_get_key_usage(x.get()) & KU_DIGITAL_SIGNATURE)
                         ? kKeyUsageDigitalSignature
                         : 0u) |
                        ((X509_get_key_usage(x.get()) & KU_KEY_CERT_SIGN)
                             ? kKeyUsageKeyCertSign
                             : 0u) |
                        ((X509_get_key_usage(x.get()) & KU_CRL_SIGN)
                             ? kKeyUsageCrlSign
                             : 0u));
  }
}

TEST(CertificateSgp26Test, EumAndEuiccFields) {
  std::optional<std::string> dir = testing::Sgp26Dir();
  if (!dir.has_value()) GTEST_SKIP() << "SMDP_SGP26_DIR is not set";
  ASSERT_OK_AND_ASSIGN(testing::Sgp26Chain c,
                       testing::LoadSgp26Chain(*dir, "NIST"));
  ASSERT_OK_AND_ASSIGN(Certificate eum, ParseCertificate(c.eum_der));
  EXPECT_EQ(eum.subject.organization, "RSP Test EUM");
  EXPECT_EQ(eum.subject.common_name, "EUM Test");
  EXPECT_EQ(eum.issuer.common_name, "Test CI");
  ASSERT_TRUE(eum.basic_constraints.has_value());
  EXPECT_TRUE(eum.basic_constraints->ca);
  EXPECT_EQ(eum.basic_constraints->path_len, 0);
  EXPECT_EQ(eum.key_usage, kKeyUsageKeyCertSign);
  EXPECT_THAT(eum.policies, ElementsAre("2.23.146.1.2.1.2"));
  EXPECT_THAT(eum.san_registered_ids, ElementsAre("2.999.5"));
  ASSERT_TRUE(eum.name_constraints.has_value());
  ASSERT_EQ(eum.name_constraints->permitted_directory_names.size(), 1u);
  const Name& subtree = eum.name_constraints->permitted_directory_names[0];
  EXPECT_EQ(subtree.organization, "RSP Test EUM");
  EXPECT_EQ(subtree.serial_number, "89049032");
  EXPECT_THAT(eum.name_constraints->excluded_directory_names, IsEmpty());
  EXPECT_FALSE(eum.permitted_eins.has_value());
  const Extension* nc = eum.FindExtension(oids::kNameConstraints);
  ASSERT_NE(nc, nullptr);
  EXPECT_TRUE(nc->critical);
  const Extension* crl = eum.FindExtension(oids::kCrlDistributionPoints);
  ASSERT_NE(crl, nullptr);
  EXPECT_FALSE(crl->critical);
  EXPECT_EQ(eum.subject_key_identifier,
            std::string("\xDD\x3D\xA2\x4D\x35\x0C\x1C\xC5\xD0\xAF\x09\x65\xF4"
                        "\x0E\xC3\x4C\x5E\xE4\x09\xF1"));

  ASSERT_OK_AND_ASSIGN(Certificate euicc, ParseCertificate(c.euicc_der));
  EXPECT_EQ(euicc.subject.serial_number, "89049032123451234512345678901235");
  EXPECT_EQ(euicc.subject.Find(oids::kCountryName), "ES");
  EXPECT_EQ(euicc.subject.Find("2.5.4.99"), std::nullopt);
  // notAfter in the year 7496, a GeneralizedTime.
  EXPECT_EQ(euicc.not_after,
            absl::FromCivil(absl::CivilSecond(7496, 1, 24, 9, 48, 58),
                            absl::UTCTimeZone()));
  EXPECT_EQ(euicc.authority_key_identifier, eum.subject_key_identifier);
  EXPECT_EQ(euicc.key_usage, kKeyUsageDigitalSignature);
  EXPECT_FALSE(euicc.basic_constraints.has_value());
  EXPECT_TRUE(SameName(euicc.issuer, eum.subject));
}

// ---------------------------------------------------------------------------
// Certificates from the builder: every decoded extension.

TEST(CertificateTest, DecodesTheExtensions) {
  ASSERT_OK_AND_ASSIGN(
      TestChain chain,
      MakeTestChain(hsm::Curve::kBrainpoolP256r1, pki::EidRangeForm::kBoth));
  ASSERT_OK_AND_ASSIGN(Certificate ci, ParseCertificate(chain.ci_der));
  ASSERT_OK_AND_ASSIGN(Certificate eum, ParseCertificate(chain.eum_der));
  EXPECT_EQ(ci.curve, hsm::Curve::kBrainpoolP256r1);
  EXPECT_EQ(ci.key_usage, kKeyUsageKeyCertSign | kKeyUsageCrlSign);
  EXPECT_TRUE(ci.IsCa());
  EXPECT_FALSE(ci.basic_constraints->path_len.has_value());
  EXPECT_TRUE(ci.HasPolicy(oids::kPolicyCi));
  EXPECT_EQ(ci.authority_key_identifier, ci.subject_key_identifier);
  EXPECT_EQ(ci.subject_key_identifier->size(), 20u);
  EXPECT_EQ(ci.not_after, At(2054));
  EXPECT_EQ(ci.subject.der, ci.issuer.der);

  EXPECT_EQ(eum.authority_key_identifier, ci.subject_key_identifier);
  EXPECT_TRUE(eum.HasKeyUsage(kKeyUsageKeyCertSign));
  EXPECT_FALSE(eum.HasKeyUsage(kKeyUsageDigitalSignature));
  ASSERT_TRUE(eum.permitted_eins.has_value());
  EXPECT_THAT(*eum.permitted_eins, ElementsAre("89049032"));
  ASSERT_TRUE(eum.name_constraints.has_value());
  EXPECT_EQ(eum.name_constraints->permitted_directory_names.size(), 1u);
  EXPECT_EQ(eum.not_before, testing::TestNotBefore());
  EXPECT_EQ(eum.not_after, testing::TestNotAfter());

  ASSERT_OK_AND_ASSIGN(TestKey tls_key, MakeTestKey(hsm::Curve::kNistP256));
  pki::CertificateSpec tls_spec =
      testing::DpSpec(pki::CertificateRole::kDpTls, tls_key);
  tls_spec.crl_distribution_points =
      pki::CrlDistributionPointsExtension{.uris = {"http://crl.invalid/x"}};
  tls_spec.not_after = At(2060, 5, 6);  // GeneralizedTime
  ASSERT_OK_AND_ASSIGN(std::string tls_der, chain.IssueByCi(tls_spec));
  ASSERT_OK_AND_ASSIGN(Certificate tls, ParseCertificate(tls_der));
  EXPECT_EQ(tls.not_after, At(2060, 5, 6));
  EXPECT_EQ(tls.curve, hsm::Curve::kNistP256);
  EXPECT_THAT(tls.san_dns_names, ElementsAre("smdp.example.com"));
  EXPECT_THAT(tls.san_registered_ids, ElementsAre("2.999.10"));
  EXPECT_THAT(tls.extended_key_usage,
              ElementsAre(oids::kEkuServerAuth, oids::kEkuClientAuth));
  EXPECT_THAT(tls.policies, ElementsAre("2.23.146.1.2.1.3"));
  EXPECT_FALSE(tls.FindExtension(oids::kCertificatePolicies)->critical);
  EXPECT_TRUE(tls.FindExtension(oids::kExtendedKeyUsage)->critical);
  EXPECT_NE(tls.FindExtension(oids::kCrlDistributionPoints), nullptr);
  EXPECT_EQ(tls.subject.organization, "ACME");
  EXPECT_EQ(tls.FindExtension("1.2.3"), nullptr);
}

TEST(CertificateTest, ExtensionRules) {
  ASSERT_OK_AND_ASSIGN(TestChain chain, MakeTestChain(hsm::Curve::kNistP256));
  auto issue = [&](const pki::CertificateSpec& spec) {
    absl::StatusOr<std::string> der = chain.IssueByEum(spec);
    EXPECT_TRUE(der.ok()) << der.status();
    return ParseCertificate(der.value_or(""));
  };
  const pki::CertificateSpec base = testing::EuiccSpec(chain.euicc_key);

  // Unknown extensions: kept when not critical, refused when critical.
  pki::CertificateSpec spec = base;
  spec.extra_extensions = {{"1.2.3.4", std::string("\x05\x00", 2), false}};
  ASSERT_OK_AND_ASSIGN(Certificate with_unknown, issue(spec));
  ASSERT_NE(with_unknown.FindExtension("1.2.3.4"), nullptr);
  EXPECT_EQ(with_unknown.FindExtension("1.2.3.4")->value,
            std::string("\x05\x00", 2));
  spec.extra_extensions[0].critical = true;
  EXPECT_THAT(issue(spec), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(issue(spec).status().message(),
              HasSubstr("unsupported critical extension 1.2.3.4"));

  // A known extension with a malformed value.
  spec = base;
  spec.key_usage.reset();
  spec.extra_extensions = {{"2.5.29.15", std::string("\x04\x00", 2), true}};
  EXPECT_THAT(issue(spec).status().message(), HasSubstr("2.5.29.15"));
  spec.extra_extensions = {{"2.5.29.19", std::string("\x30\x03\x02\x01\x01", 5),
                            true}};  // pathLen before cA is fine: no cA
  ASSERT_OK_AND_ASSIGN(Certificate path_only, issue(spec));
  EXPECT_EQ(path_only.basic_constraints->path_len, 1);
  EXPECT_FALSE(path_only.basic_constraints->ca);
  spec.extra_extensions = {{"2.5.29.19", std::string("\x30\x03\x02\x01\xff", 5),
                            true}};  // negative pathLen
  EXPECT_THAT(issue(spec), StatusIs(absl::StatusCode::kInvalidArgument));
  spec.extra_extensions = {
      {"2.5.29.19", std::string("\x30\x03\x01\x01\x00", 5), true}};
  ASSERT_OK_AND_ASSIGN(Certificate explicit_false, issue(spec));
  EXPECT_FALSE(explicit_false.IsCa());

  // A repeated extension.
  spec = base;
  spec.extra_extensions = {
      {"2.5.29.15", std::string("\x03\x02\x07\x80", 4), true}};
  EXPECT_THAT(issue(spec).status().message(), HasSubstr("appears twice"));

  // cRLDistributionPoints is not decoded, so it may not be critical.
  spec = base;
  spec.crl_distribution_points = pki::CrlDistributionPointsExtension{
      .uris = {"http://crl.invalid/x"}, .critical = true};
  EXPECT_THAT(issue(spec).status().message(),
              HasSubstr("unsupported critical extension 2.5.29.31"));

  // Empty or malformed values of decoded extensions.
  for (const auto& [oid, value] :
       std::vector<std::pair<std::string, std::string>>{
           {"2.5.29.14", std::string("\x04\x00", 2)},         // empty SKI
           {"2.5.29.32", std::string("\x30\x00", 2)},         // no policy
           {"2.5.29.37", std::string("\x30\x00", 2)},         // no EKU
           {"2.5.29.17", std::string("\x30\x00", 2)},         // empty SAN
           {"2.5.29.30", std::string("\x30\x00", 2)},         // empty NC
           {"2.23.146.1.2.2.0", std::string("\x30\x00", 2)},  // no EIN
           {"2.23.146.1.2.2.0",
            std::string("\x30\x03\x0c\x01\x38", 5)},           // UTF8String EIN
           {"2.5.29.17", std::string("\x30\x02\x88\x00", 4)},  // empty OID
           {"2.5.29.35", std::string("\x30\x02\x80\x00", 4)},  // empty AKI
       }) {
    SCOPED_TRACE(oid);
    spec = base;
    spec.subject_key_identifier = false;
    spec.authority_key_identifier = false;
    spec.certificate_policies.reset();
    spec.extra_extensions = {{oid, value, false}};
    EXPECT_THAT(issue(spec), StatusIs(absl::StatusCode::kInvalidArgument));
  }
}

// ---------------------------------------------------------------------------
// Certificates crafted with OpenSSL, outside the SGP.22 profile.

EvpPkeyPtr KeyOf(const char* type, const char* group) {
  EVP_PKEY* key = group != nullptr
                      ? EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", group)
                      : EVP_PKEY_Q_keygen(nullptr, nullptr, type);
  return EvpPkeyPtr(key);
}

// A minimal certificate for `subject_key`, signed by `signer` with `md`.
std::string Craft(EVP_PKEY* subject_key, EVP_PKEY* signer, const EVP_MD* md,
                  long version = 2) {
  X509Ptr x(X509_new());
  X509_set_version(x.get(), version);
  ASN1_INTEGER_set(X509_get_serialNumber(x.get()), 5);
  X509_NAME* name = X509_get_subject_name(x.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("x"), -1,
                             -1, 0);
  X509_set_issuer_name(x.get(), name);
  X509_gmtime_adj(X509_getm_notBefore(x.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(x.get()), 3600);
  X509_set_pubkey(x.get(), subject_key);
  if (X509_sign(x.get(), signer, md) <= 0) return "";
  unsigned char* out = nullptr;
  const int len = i2d_X509(x.get(), &out);
  std::string der(reinterpret_cast<char*>(out), len);
  OPENSSL_free(out);
  return der;
}

TEST(CertificateTest, OutsideTheProfile) {
  EvpPkeyPtr p256 = KeyOf("EC", "P-256");
  ASSERT_NE(p256, nullptr);
  // The baseline parses (no extensions at all is structurally fine).
  ASSERT_OK_AND_ASSIGN(
      Certificate plain,
      ParseCertificate(Craft(p256.get(), p256.get(), EVP_sha256())));
  EXPECT_THAT(plain.extensions, IsEmpty());
  EXPECT_EQ(plain.serial_number, "\x05");

  auto refused = [](const std::string& der, absl::string_view why) {
    absl::StatusOr<Certificate> cert = ParseCertificate(der);
    EXPECT_THAT(cert, StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_THAT(cert.status().message(), HasSubstr(why));
  };
  refused(Craft(p256.get(), p256.get(), EVP_sha256(), 0), "version");
  refused(Craft(p256.get(), p256.get(), EVP_sha256(), 1), "v2, expected v3");
  refused(Craft(p256.get(), p256.get(), EVP_sha384()), "ecdsa-with-SHA256");

  EvpPkeyPtr p384 = KeyOf("EC", "P-384");
  refused(Craft(p384.get(), p256.get(), EVP_sha256()), "unsupported curve");
  EvpPkeyPtr ed = KeyOf("ED25519", nullptr);
  refused(Craft(ed.get(), p256.get(), EVP_sha256()), "not id-ecPublicKey");
  refused(Craft(p256.get(), ed.get(), nullptr), "ecdsa-with-SHA256");

  EvpPkeyPtr compressed(EVP_PKEY_dup(p256.get()));
  ASSERT_EQ(EVP_PKEY_set_utf8_string_param(
                compressed.get(), OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
                OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_COMPRESSED),
            1);
  refused(Craft(compressed.get(), p256.get(), EVP_sha256()), "uncompressed");
  EvpPkeyPtr explicit_params(EVP_PKEY_dup(p256.get()));
  ASSERT_EQ(EVP_PKEY_set_utf8_string_param(explicit_params.get(),
                                           OSSL_PKEY_PARAM_EC_ENCODING,
                                           OSSL_PKEY_EC_ENCODING_EXPLICIT),
            1);
  refused(Craft(explicit_params.get(), p256.get(), EVP_sha256()), "namedCurve");
}

TEST(CertificateTest, MalformedDer) {
  ASSERT_OK_AND_ASSIGN(TestChain chain, MakeTestChain(hsm::Curve::kNistP256));
  const std::string& der = chain.euicc_der;
  EXPECT_THAT(ParseCertificate(""),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseCertificate("garbage"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseCertificate(der + '\0'),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseCertificate(std::string(kMaxCertificateSize + 1, '\x30')),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // Every truncation fails.
  for (size_t n = 0; n < der.size(); ++n) {
    EXPECT_FALSE(ParseCertificate(der.substr(0, n)).ok()) << n;
  }
  // Indefinite length instead of the outer definite one.
  std::string indefinite = der;
  indefinite[1] = static_cast<char>(0x80);
  EXPECT_FALSE(ParseCertificate(indefinite).ok());
  // Every single-bit flip either still parses or is refused; none crashes.
  int parsed = 0;
  for (size_t i = 0; i < der.size(); ++i) {
    for (uint8_t bit : {0x01, 0x80}) {
      std::string mutated = der;
      mutated[i] = static_cast<char>(mutated[i] ^ bit);
      if (ParseCertificate(mutated).ok()) ++parsed;
    }
  }
  // Flips inside the key, names, serial and signature values still parse.
  EXPECT_GT(parsed, 0);
}

TEST(CertificateTest, SignatureValueChecks) {
  ASSERT_OK_AND_ASSIGN(TestChain chain, MakeTestChain(hsm::Curve::kNistP256));
  ASSERT_OK_AND_ASSIGN(Certificate cert, ParseCertificate(chain.euicc_der));
  // Rebuild the certificate with a chosen signatureValue.
  auto with_signature = [&](absl::string_view sig_value) {
    std::string body = cert.tbs_der;
    body.append("\x30\x0a\x06\x08\x2a\x86\x48\xce\x3d\x04\x03\x02", 12);
    std::string bits = std::string(1, '\0') + std::string(sig_value);
    body.push_back(0x03);
    der::AppendLength(bits.size(), &body);
    body += bits;
    std::string out(1, '\x30');
    der::AppendLength(body.size(), &out);
    return out + body;
  };
  ASSERT_OK(ParseCertificate(with_signature(cert.signature)).status());
  for (const std::string& bad : {
           std::string("\x30\x06\x02\x01\x00\x02\x01\x01", 8),  // r = 0
           std::string("\x30\x06\x02\x01\x01\x02\x01\xff", 8),  // s < 0
           std::string("\x30\x03\x02\x01\x01", 5),              // no s
           std::string("\x04\x02\x01\x01", 4),                  // not a SEQ
       }) {
    EXPECT_THAT(ParseCertificate(with_signature(bad)),
                StatusIs(absl::StatusCode::kInvalidArgument));
  }
}

TEST(CertificateTest, SameName) {
  Name a;
  a.der = "a";
  a.attributes = {{"2.5.4.10", der::kUtf8String, "RSP Test EUM"},
                  {"2.5.4.3", der::kUtf8String, "EUM Test"}};
  Name b = a;
  b.der = "b";
  b.attributes[0].value_tag = der::kPrintableString;
  EXPECT_TRUE(SameName(a, b));
  b.attributes[1].value = "EUM Test2";
  EXPECT_FALSE(SameName(a, b));
  b = a;
  b.der = "b";
  std::swap(b.attributes[0], b.attributes[1]);
  EXPECT_FALSE(SameName(a, b));
  b.attributes.pop_back();
  EXPECT_FALSE(SameName(a, b));
  b.der = "a";
  EXPECT_TRUE(SameName(a, b));  // identical DER
}

}  // namespace
}  // namespace smdp::auth
