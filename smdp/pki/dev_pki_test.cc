#include "smdp/pki/dev_pki.h"

#include <openssl/objects.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hsm/crypto_provider.h"
#include "hsm/software_provider.h"
#include "sgp22/eid.h"
#include "smdp/pki/cert_inspect_testutil.h"
#include "smdp/pki/certificate_builder.h"

namespace smdp::pki {
namespace {

namespace fs = std::filesystem;
using ::smdp::pki::testing::AuthorityKeyId;
using ::smdp::pki::testing::CurveOid;
using ::smdp::pki::testing::ExtensionId;
using ::smdp::pki::testing::ExtensionIds;
using ::smdp::pki::testing::MustParse;
using ::smdp::pki::testing::NameString;
using ::smdp::pki::testing::PermittedDirNames;
using ::smdp::pki::testing::ReadFileOrEmpty;
using ::smdp::pki::testing::SanDnsNames;
using ::smdp::pki::testing::SanRegisteredIds;
using ::smdp::pki::testing::SignedBy;
using ::smdp::pki::testing::SubjectKeyId;
using ::smdp::pki::testing::VerifyChain;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const absl::Time kNow = absl::FromCivil(absl::CivilSecond(2025, 3, 1, 12, 0, 0),
                                        absl::UTCTimeZone());
constexpr hsm::Curve kBothCurves[] = {hsm::Curve::kNistP256,
                                      hsm::Curve::kBrainpoolP256r1};

// Extension OIDs.
const ExtensionId kAki{"2.5.29.35", false};
const ExtensionId kSki{"2.5.29.14", false};
const ExtensionId kKu{"2.5.29.15", true};
const ExtensionId kBc{"2.5.29.19", true};
const ExtensionId kPolicies{"2.5.29.32", true};
const ExtensionId kPoliciesNonCritical{"2.5.29.32", false};
const ExtensionId kEku{"2.5.29.37", true};
const ExtensionId kSan{"2.5.29.17", false};
const ExtensionId kNc{"2.5.29.30", true};
const ExtensionId kCrlDp{"2.5.29.31", false};

std::string MakeTempDir() {
  const char* base = std::getenv("TEST_TMPDIR");
  std::string tmpl = absl::StrCat(base ? base : "/tmp", "/devpki.XXXXXX");
  char* made = mkdtemp(tmpl.data());
  EXPECT_NE(made, nullptr);
  return tmpl;
}

std::unique_ptr<hsm::SoftwareProvider> MemoryProvider() {
  auto provider = hsm::SoftwareProvider::Create({});
  EXPECT_TRUE(provider.ok()) << provider.status();
  return std::move(*provider);
}

// Every regular file under `dir`: path -> contents.
std::map<std::string, std::string> Snapshot(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) {
      out[entry.path().string()] = ReadFileOrEmpty(entry.path().string());
    }
  }
  return out;
}

X509Ptr Load(const std::string& path) {
  std::string der = ReadFileOrEmpty(path);
  EXPECT_FALSE(der.empty()) << path;
  return MustParse(der);
}

std::string CurveOidOf(hsm::Curve curve) {
  return curve == hsm::Curve::kNistP256 ? "1.2.840.10045.3.1.7"
                                        : "1.3.36.3.3.2.8.1.1.7";
}

class DevPkiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir() + "/pki";
    provider_ = MemoryProvider();
  }

  DevPkiOptions Options() const { return {.dir = dir_, .now = kNow}; }

  DevPki EnsureOrDie(const DevPkiOptions& options) {
    absl::StatusOr<DevPki> pki = EnsureDevPki(options, *provider_);
    EXPECT_TRUE(pki.ok()) << pki.status();
    return pki.ok() ? *pki : DevPki{};
  }

  std::string dir_;
  std::unique_ptr<hsm::SoftwareProvider> provider_;
};

TEST_F(DevPkiTest, MakesEveryCertificateOnBothCurves) {
  DevPki pki = EnsureOrDie(Options());
  EXPECT_TRUE(pki.created);
  EXPECT_EQ(pki.manifest, dir_ + "/manifest.txt");
  EXPECT_TRUE(fs::exists(pki.manifest));
  EXPECT_EQ(pki.smdp_address, "localhost");
  EXPECT_EQ(pki.smdp_oid, "2.999.10");
  EXPECT_EQ(pki.eum_eid_prefix, "89049032");
  EXPECT_TRUE(sgp22::ValidateEid(pki.euicc_eid).ok());
  EXPECT_TRUE(absl::StartsWith(pki.euicc_eid, "89049032"));

  for (hsm::Curve curve : kBothCurves) {
    SCOPED_TRACE(hsm::CurveName(curve));
    const DevPkiCurve& c = pki.ForCurve(curve);
    EXPECT_EQ(c.curve, curve);
    const std::string tag = curve == hsm::Curve::kNistP256 ? "nist" : "brp";
    EXPECT_EQ(c.dir, dir_ + "/" + tag);
    EXPECT_EQ(c.dpauth.der, dir_ + "/" + tag + "/dpauth.der");
    EXPECT_EQ(c.dpauth_key, "dpauth-" + tag);
    EXPECT_EQ(c.dppb_key, "dppb-" + tag);
    EXPECT_EQ(c.dptls_key, "dptls-" + tag);

    X509Ptr ci = Load(c.ci.der);
    X509Ptr eum = Load(c.eum.der);
    X509Ptr euicc = Load(c.euicc.der);
    X509Ptr dpauth = Load(c.dpauth.der);
    X509Ptr dppb = Load(c.dppb.der);
    X509Ptr dptls = Load(c.dptls.der);
    for (const DevPkiCertFiles* f :
         {&c.ci, &c.eum, &c.euicc, &c.dpauth, &c.dppb, &c.dptls}) {
      absl::StatusOr<std::string> der =
          CertificatePemToDer(ReadFileOrEmpty(f->pem));
      ASSERT_TRUE(der.ok()) << f->pem;
      EXPECT_EQ(*der, ReadFileOrEmpty(f->der)) << f->pem;
    }

    // Signatures, each link.
    EXPECT_TRUE(SignedBy(ci.get(), ci.get()));
    EXPECT_TRUE(SignedBy(eum.get(), ci.get()));
    EXPECT_TRUE(SignedBy(euicc.get(), eum.get()));
    for (X509* dp : {dpauth.get(), dppb.get(), dptls.get()}) {
      EXPECT_TRUE(SignedBy(dp, ci.get()));
      EXPECT_EQ(AuthorityKeyId(dp), SubjectKeyId(ci.get()));
      // OpenSSL's own chain check accepts CI -> DPauth/DPpb/DPtls.
      absl::Status chain = VerifyChain(dp, ci.get(), {}, kNow);
      EXPECT_TRUE(chain.ok()) << chain;
    }
    EXPECT_TRUE(VerifyChain(eum.get(), ci.get(), {}, kNow).ok());
    EXPECT_EQ(AuthorityKeyId(eum.get()), SubjectKeyId(ci.get()));
    EXPECT_EQ(AuthorityKeyId(euicc.get()), SubjectKeyId(eum.get()));
    EXPECT_EQ(
        absl::AsciiStrToUpper(absl::BytesToHexString(SubjectKeyId(ci.get()))),
        c.ci_key_id_hex);

    // Curves.
    for (X509* x : {ci.get(), eum.get(), euicc.get(), dpauth.get(), dppb.get(),
                    dptls.get()}) {
      EXPECT_EQ(CurveOid(x), CurveOidOf(curve));
    }

    // The SM-DP+ certificates certify the provider's keys.
    for (auto [label, x] : {std::pair{c.dpauth_key, dpauth.get()},
                            std::pair{c.dppb_key, dppb.get()},
                            std::pair{c.dptls_key, dptls.get()}}) {
      auto key = provider_->LoadSigningKey(label);
      ASSERT_TRUE(key.ok()) << key.status();
      absl::StatusOr<SubjectPublicKey> pub =
          SubjectPublicKeyFromEvp(*X509_get0_pubkey(x));
      ASSERT_TRUE(pub.ok());
      EXPECT_EQ(pub->point, (*key)->public_point()) << label;
      EXPECT_EQ((*key)->curve(), curve);
    }

    // Names and the EID range.
    EXPECT_EQ(NameString(X509_get_subject_name(dpauth.get())),
              "O=SM-DP+ Dev,CN=localhost");
    EXPECT_THAT(SanDnsNames(dptls.get()), ElementsAre("localhost"));
    EXPECT_THAT(SanRegisteredIds(dptls.get()), ElementsAre("2.999.10"));
    EXPECT_THAT(SanRegisteredIds(dpauth.get()), ElementsAre("2.999.10"));
    EXPECT_THAT(SanRegisteredIds(ci.get()), ElementsAre("2.999.1"));
    EXPECT_THAT(SanRegisteredIds(eum.get()), ElementsAre("2.999.5"));
    EXPECT_THAT(PermittedDirNames(eum.get()),
                ElementsAre("O=SM-DP+ Dev EUM,serialNumber=89049032"));
    EXPECT_THAT(NameString(X509_get_subject_name(euicc.get())),
                HasSubstr(absl::StrCat(
                    "O=SM-DP+ Dev EUM,serialNumber=", pki.euicc_eid, ",")));
  }
  // The two curves have distinct CIs.
  EXPECT_NE(pki.nist.ci_key_id_hex, pki.brp.ci_key_id_hex);
}

TEST_F(DevPkiTest, ExtensionsFollowTheProfile) {
  DevPki pki = EnsureOrDie(Options());
  for (hsm::Curve curve : kBothCurves) {
    SCOPED_TRACE(hsm::CurveName(curve));
    const DevPkiCurve& c = pki.ForCurve(curve);
    using Set = std::set<ExtensionId>;
    EXPECT_EQ(ExtensionIds(Load(c.ci.der).get()),
              (Set{kAki, kSki, kKu, kBc, kPolicies, kSan, kCrlDp}));
    EXPECT_EQ(ExtensionIds(Load(c.eum.der).get()),
              (Set{kAki, kSki, kKu, kBc, kPolicies, kSan, kNc, kCrlDp}));
    EXPECT_EQ(ExtensionIds(Load(c.euicc.der).get()),
              (Set{kAki, kSki, kKu, kPolicies}));
    EXPECT_EQ(ExtensionIds(Load(c.dpauth.der).get()),
              (Set{kAki, kSki, kKu, kPolicies, kSan, kCrlDp}));
    EXPECT_EQ(ExtensionIds(Load(c.dppb.der).get()),
              (Set{kAki, kSki, kKu, kPolicies, kSan, kCrlDp}));
    EXPECT_EQ(ExtensionIds(Load(c.dptls.der).get()),
              (Set{kAki, kSki, kKu, kEku, kPoliciesNonCritical, kSan, kCrlDp}));
    EXPECT_THAT(testing::PolicyOids(Load(c.dppb.der).get()),
                ElementsAre("2.23.146.1.2.1.5"));
    EXPECT_THAT(testing::CrlUris(Load(c.dpauth.der).get()),
                ElementsAre("http://crl.smdp-dev.invalid/ci.crl"));
  }
}

TEST_F(DevPkiTest, ValidityFollowsTheClock) {
  DevPki pki = EnsureOrDie(Options());
  X509Ptr ci = Load(pki.nist.ci.der);
  X509Ptr dpauth = Load(pki.brp.dpauth.der);
  auto as_time = [](const ASN1_TIME* t) {
    struct tm tm;
    EXPECT_EQ(ASN1_TIME_to_tm(t, &tm), 1);
    return absl::FromTM(tm, absl::UTCTimeZone());
  };
  EXPECT_EQ(as_time(X509_get0_notBefore(ci.get())), kNow - absl::Hours(24));
  EXPECT_EQ(as_time(X509_get0_notAfter(ci.get())),
            kNow + absl::Hours(24 * 365 * 30));
  EXPECT_EQ(as_time(X509_get0_notBefore(dpauth.get())), kNow - absl::Hours(24));
  EXPECT_EQ(as_time(X509_get0_notAfter(dpauth.get())),
            kNow + absl::Hours(24 * 365 * 10));
}

TEST_F(DevPkiTest, SecondCallLoadsTheSamePki) {
  DevPki first = EnsureOrDie(Options());
  std::map<std::string, std::string> before = Snapshot(dir_);
  DevPkiOptions later = Options();
  later.now = kNow + absl::Hours(24 * 100);  // Time passing changes nothing.
  DevPki second = EnsureOrDie(later);
  EXPECT_FALSE(second.created);
  EXPECT_EQ(Snapshot(dir_), before);
  EXPECT_EQ(second.euicc_eid, first.euicc_eid);
  for (hsm::Curve curve : kBothCurves) {
    const DevPkiCurve& a = first.ForCurve(curve);
    const DevPkiCurve& b = second.ForCurve(curve);
    EXPECT_EQ(a.dir, b.dir);
    EXPECT_EQ(a.ci_key_id_hex, b.ci_key_id_hex);
    for (auto [fa, fb] :
         {std::pair{&a.ci, &b.ci}, std::pair{&a.eum, &b.eum},
          std::pair{&a.euicc, &b.euicc}, std::pair{&a.dpauth, &b.dpauth},
          std::pair{&a.dppb, &b.dppb}, std::pair{&a.dptls, &b.dptls}}) {
      EXPECT_EQ(fa->der, fb->der);
      EXPECT_EQ(fa->pem, fb->pem);
    }
    EXPECT_EQ(a.ci_key, b.ci_key);
    EXPECT_EQ(a.eum_key, b.eum_key);
    EXPECT_EQ(a.euicc_key, b.euicc_key);
    EXPECT_EQ(a.dpauth_key, b.dpauth_key);
    EXPECT_EQ(a.dppb_key, b.dppb_key);
    EXPECT_EQ(a.dptls_key, b.dptls_key);
  }
  // The address compares case-insensitively.
  later.smdp_address = "LOCALHOST";
  EXPECT_FALSE(EnsureOrDie(later).created);
}

TEST_F(DevPkiTest, NoServerPrivateKeyIsWritten) {
  DevPki pki = EnsureOrDie(Options());
  std::set<std::string> key_files;
  for (const auto& [path, contents] : Snapshot(dir_)) {
    if (absl::StrContains(contents, "PRIVATE KEY")) key_files.insert(path);
  }
  std::set<std::string> expected;
  for (hsm::Curve curve : kBothCurves) {
    const DevPkiCurve& c = pki.ForCurve(curve);
    expected.insert({c.ci_key, c.eum_key, c.euicc_key});
  }
  EXPECT_EQ(key_files, expected);

  // And those are the CI/EUM/eUICC keys, not an SM-DP+ key; mode 0600.
  for (hsm::Curve curve : kBothCurves) {
    const DevPkiCurve& c = pki.ForCurve(curve);
    std::set<std::string> smdp_points;
    for (const std::string& label : {c.dpauth_key, c.dppb_key, c.dptls_key}) {
      auto key = provider_->LoadSigningKey(label);
      ASSERT_TRUE(key.ok());
      smdp_points.insert((*key)->public_point());
    }
    for (auto [key_path, cert_path] :
         {std::pair{c.ci_key, c.ci.der}, std::pair{c.eum_key, c.eum.der},
          std::pair{c.euicc_key, c.euicc.der}}) {
      absl::StatusOr<EvpPkeyPtr> key =
          PrivateKeyFromPem(ReadFileOrEmpty(key_path));
      ASSERT_TRUE(key.ok()) << key_path;
      absl::StatusOr<SubjectPublicKey> pub = SubjectPublicKeyFromEvp(**key);
      ASSERT_TRUE(pub.ok());
      EXPECT_FALSE(smdp_points.count(pub->point)) << key_path;
      absl::StatusOr<SubjectPublicKey> certified =
          SubjectPublicKeyFromEvp(*X509_get0_pubkey(Load(cert_path).get()));
      ASSERT_TRUE(certified.ok());
      EXPECT_EQ(pub->point, certified->point) << key_path;
      struct stat st;
      ASSERT_EQ(stat(key_path.c_str(), &st), 0);
      EXPECT_EQ(st.st_mode & 0777, 0600) << key_path;
    }
  }
}

TEST_F(DevPkiTest, EumKeyIssuesMoreTestEuiccs) {
  DevPki pki = EnsureOrDie(Options());
  const DevPkiCurve& c = pki.brp;
  auto signer = EvpKeySigner::FromPem(ReadFileOrEmpty(c.eum_key));
  ASSERT_TRUE(signer.ok()) << signer.status();
  auto key = GenerateSoftwareKey(hsm::Curve::kBrainpoolP256r1);
  ASSERT_TRUE(key.ok());
  auto spec = SgpProfile(CertificateRole::kEuicc, {});
  ASSERT_TRUE(spec.ok());
  auto eid = sgp22::CompleteEid("890490320000000000000000000042");
  ASSERT_TRUE(eid.ok());
  spec->subject = {{"O", "SM-DP+ Dev EUM"}, {"serialNumber", *eid}};
  spec->public_key = *SubjectPublicKeyFromEvp(**key);
  spec->serial_number = RandomSerialNumber();
  spec->not_before = kNow;
  spec->not_after = kNow + absl::Hours(24);
  auto der = IssueCertificate(*spec, ReadFileOrEmpty(c.eum.der), **signer);
  ASSERT_TRUE(der.ok()) << der.status();
  X509Ptr euicc = MustParse(*der);
  EXPECT_TRUE(SignedBy(euicc.get(), Load(c.eum.der).get()));
}

TEST_F(DevPkiTest, MissingProviderKeyIsAClearError) {
  EnsureOrDie(Options());
  auto other_provider = MemoryProvider();
  absl::StatusOr<DevPki> pki = EnsureDevPki(Options(), *other_provider);
  EXPECT_EQ(pki.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(pki.status().message()), HasSubstr("dpauth-nist"));
  EXPECT_THAT(std::string(pki.status().message()), HasSubstr(dir_));
  EXPECT_THAT(std::string(pki.status().message()), HasSubstr("delete"));
}

TEST_F(DevPkiTest, AnotherKeyUnderTheLabelIsAClearError) {
  EnsureOrDie(Options());
  // A provider that has keys under the right labels, but other keys.
  auto other_provider = MemoryProvider();
  for (const char* label : {"dpauth-nist", "dppb-nist", "dptls-nist",
                            "dpauth-brp", "dppb-brp", "dptls-brp"}) {
    hsm::Curve curve = absl::EndsWith(label, "nist")
                           ? hsm::Curve::kNistP256
                           : hsm::Curve::kBrainpoolP256r1;
    ASSERT_TRUE(other_provider->GenerateSigningKey(label, curve).ok());
  }
  absl::StatusOr<DevPki> pki = EnsureDevPki(Options(), *other_provider);
  EXPECT_EQ(pki.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(pki.status().message()),
              HasSubstr("is not the key certified by"));
}

TEST_F(DevPkiTest, OtherOptionsThanTheManifestAreRefused) {
  EnsureOrDie(Options());
  DevPkiOptions other = Options();
  other.smdp_address = "smdp.example.com";
  other.smdp_oid = "2.999.11";
  absl::StatusOr<DevPki> pki = EnsureDevPki(other, *provider_);
  EXPECT_EQ(pki.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(pki.status().message()),
              HasSubstr("smdp_address is localhost there, smdp.example.com"));
  EXPECT_THAT(std::string(pki.status().message()), HasSubstr("smdp_oid"));
}

TEST_F(DevPkiTest, DamagedPkiIsAClearError) {
  DevPki pki = EnsureOrDie(Options());
  fs::remove(pki.brp.dppb.der);
  absl::StatusOr<DevPki> again = EnsureDevPki(Options(), *provider_);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(again.status().message()), HasSubstr("dppb.der"));
}

TEST_F(DevPkiTest, InterruptedRunIsRedoneReusingProviderKeys) {
  // A run that made the keys and some files, then died before the manifest.
  DevPki first = EnsureOrDie(Options());
  std::map<std::string, std::string> points;
  for (const char* label : {"dpauth-nist", "dppb-nist", "dptls-nist",
                            "dpauth-brp", "dppb-brp", "dptls-brp"}) {
    auto key = provider_->LoadSigningKey(label);
    ASSERT_TRUE(key.ok());
    points[label] = (*key)->public_point();
  }
  fs::remove(first.manifest);
  fs::remove(first.brp.dptls.pem);
  {
    std::ofstream junk(first.nist.ci.der + ".tmp");  // A leftover temp file.
    junk << "partial";
  }

  DevPki second = EnsureOrDie(Options());
  EXPECT_TRUE(second.created);
  EXPECT_TRUE(fs::exists(second.manifest));
  EXPECT_FALSE(fs::exists(first.nist.ci.der + ".tmp"));
  // A new CI, but the SM-DP+ certificates certify the keys already there.
  EXPECT_NE(second.nist.ci_key_id_hex, first.nist.ci_key_id_hex);
  for (hsm::Curve curve : kBothCurves) {
    const DevPkiCurve& c = second.ForCurve(curve);
    for (auto [label, path] : {std::pair{c.dpauth_key, c.dpauth.der},
                               std::pair{c.dppb_key, c.dppb.der},
                               std::pair{c.dptls_key, c.dptls.der}}) {
      X509Ptr x = Load(path);
      absl::StatusOr<SubjectPublicKey> pub =
          SubjectPublicKeyFromEvp(*X509_get0_pubkey(x.get()));
      ASSERT_TRUE(pub.ok());
      EXPECT_EQ(pub->point, points[label]) << label;
      EXPECT_TRUE(SignedBy(x.get(), Load(c.ci.der).get()));
    }
  }
  // And the redone PKI loads.
  EXPECT_FALSE(EnsureOrDie(Options()).created);
}

TEST_F(DevPkiTest, ExistingKeyOnTheWrongCurveIsRefused) {
  ASSERT_TRUE(
      provider_->GenerateSigningKey("dppb-nist", hsm::Curve::kBrainpoolP256r1)
          .ok());
  absl::StatusOr<DevPki> pki = EnsureDevPki(Options(), *provider_);
  EXPECT_EQ(pki.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(pki.status().message()), HasSubstr("dppb-nist"));
  EXPECT_FALSE(fs::exists(dir_ + "/manifest.txt"));
}

TEST_F(DevPkiTest, CustomOptions) {
  DevPkiOptions options = Options();
  options.smdp_address = "smdp.example.com";
  options.smdp_oid = "2.999.12.3";
  options.euicc_eid = "89049032123451234512345678901235";
  options.crl_uri = "";
  DevPki pki = EnsureOrDie(options);
  EXPECT_EQ(pki.euicc_eid, options.euicc_eid);
  X509Ptr dptls = Load(pki.nist.dptls.der);
  EXPECT_THAT(SanDnsNames(dptls.get()), ElementsAre("smdp.example.com"));
  EXPECT_THAT(SanRegisteredIds(dptls.get()), ElementsAre("2.999.12.3"));
  EXPECT_EQ(NameString(X509_get_subject_name(dptls.get())),
            "O=SM-DP+ Dev,CN=smdp.example.com");
  EXPECT_FALSE(
      testing::ExtensionCritical(dptls.get(), NID_crl_distribution_points)
          .has_value());
  X509Ptr euicc = Load(pki.brp.euicc.der);
  EXPECT_THAT(NameString(X509_get_subject_name(euicc.get())),
              HasSubstr("serialNumber=89049032123451234512345678901235"));
}

TEST(DevPkiOptionsTest, BadOptionsNameEveryField) {
  struct Case {
    DevPkiOptions options;
    std::vector<std::string> fields;
  };
  std::vector<Case> cases = {
      {{.dir = ""}, {"dir"}},
      {{.dir = "d", .euicc_eid = "89049032123451234512345678901234"},
       {"euicc_eid", "check digits"}},
      {{.dir = "d", .euicc_eid = "8904903212345"}, {"euicc_eid", "32"}},
      {{.dir = "d", .euicc_eid = "89033032123451234512345678901248"},
       {"euicc_eid", "outside the EUM's range", "89049032"}},
      {{.dir = "d", .smdp_oid = "not an oid"}, {"smdp_oid"}},
      {{.dir = "d", .ci_oid = "3.1"}, {"ci_oid"}},
      {{.dir = "d", .eum_oid = "2"}, {"eum_oid"}},
      {{.dir = "d", .smdp_address = "bad address!"}, {"smdp_address"}},
      {{.dir = "d", .eum_eid_prefix = "89x"}, {"eum_eid_prefix"}},
      {{.dir = "d", .validity = absl::ZeroDuration()}, {"validity"}},
      {{.dir = "", .smdp_oid = "x", .eum_eid_prefix = ""},
       {"dir", "smdp_oid", "eum_eid_prefix"}},
  };
  ASSERT_TRUE(sgp22::ValidateEid("89033032123451234512345678901248").ok());
  for (const Case& c : cases) {
    absl::Status status = ValidateDevPkiOptions(c.options);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    for (const std::string& field : c.fields) {
      EXPECT_THAT(std::string(status.message()), HasSubstr(field));
    }
    // EnsureDevPki refuses them the same way, before touching anything.
    auto provider = MemoryProvider();
    EXPECT_EQ(EnsureDevPki(c.options, *provider).status(), status);
  }
  EXPECT_TRUE(ValidateDevPkiOptions({.dir = "d"}).ok());
}

TEST(DevPkiOptionsTest, DefaultEuiccEid) {
  absl::StatusOr<std::string> eid = DefaultEuiccEid("89049032");
  ASSERT_TRUE(eid.ok());
  EXPECT_TRUE(absl::StartsWith(*eid, "890490320000000000000000000001"));
  EXPECT_TRUE(sgp22::ValidateEid(*eid).ok());
  eid = DefaultEuiccEid(std::string(30, '8'));
  ASSERT_TRUE(eid.ok());
  EXPECT_TRUE(sgp22::ValidateEid(*eid).ok());
  EXPECT_EQ(DefaultEuiccEid("").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DefaultEuiccEid(std::string(31, '8')).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// ---- Comparison with the GSMA SGP.26 test certificates ----
//
// Needs SMDP_SGP26_DIR (e.g. --test_env=SMDP_SGP26_DIR=/work/shared/sgp26);
// skipped without it.
class Sgp26Test : public DevPkiTest {
 protected:
  void SetUp() override {
    DevPkiTest::SetUp();
    const char* env = std::getenv("SMDP_SGP26_DIR");
    if (env == nullptr || !fs::is_directory(env)) {
      GTEST_SKIP() << "SMDP_SGP26_DIR unset or not a directory";
    }
    sgp26_ = env;
  }

  X509Ptr Sgp26(const std::string& rel) {
    std::string der = ReadFileOrEmpty(sgp26_ + "/" + rel);
    EXPECT_FALSE(der.empty()) << rel;
    return MustParse(der);
  }

  std::string sgp26_;
};

TEST_F(Sgp26Test, SameExtensionSetsAsSgp26) {
  DevPki pki = EnsureOrDie(Options());
  for (auto [curve, suffix] :
       {std::pair{hsm::Curve::kNistP256, "NIST"},
        std::pair{hsm::Curve::kBrainpoolP256r1, "BRP"}}) {
    SCOPED_TRACE(suffix);
    const DevPkiCurve& c = pki.ForCurve(curve);
    const std::string s = suffix;
    EXPECT_EQ(ExtensionIds(Load(c.eum.der).get()),
              ExtensionIds(Sgp26("EUM/CERT_EUM_ECDSA_" + s + ".der").get()));
    EXPECT_EQ(
        ExtensionIds(Load(c.euicc.der).get()),
        ExtensionIds(Sgp26("eUICC/CERT_EUICC_ECDSA_" + s + ".der").get()));
    EXPECT_EQ(ExtensionIds(Load(c.dpauth.der).get()),
              ExtensionIds(
                  Sgp26("DPauth/CERT_S_SM_DPauth_ECDSA_" + s + ".der").get()));
    EXPECT_EQ(
        ExtensionIds(Load(c.dppb.der).get()),
        ExtensionIds(Sgp26("DPpb/CERT_S_SM_DPpb_ECDSA_" + s + ".der").get()));
    EXPECT_EQ(
        ExtensionIds(Load(c.dptls.der).get()),
        ExtensionIds(Sgp26("DPtls/CERT_S_SM_DP_VARO_TLS_" + s + ".der").get()));
    // The SGP.26 CI has no AKI; ours adds AKI = SKI (allowed for a root).
    std::set<ExtensionId> ci = ExtensionIds(Load(c.ci.der).get());
    EXPECT_EQ(ci.erase(kAki), 1u);
    EXPECT_EQ(
        ci, ExtensionIds(
                Sgp26("CertificateIssuer/CERT_CI_ECDSA_" + s + ".der").get()));
    // Same curve OIDs.
    EXPECT_EQ(CurveOid(Load(c.eum.der).get()),
              CurveOid(Sgp26("EUM/CERT_EUM_ECDSA_" + s + ".der").get()));
  }
}

TEST_F(Sgp26Test, OpensslRefusesTheSgp26EuiccChainLikeOurs) {
  // The SGP.26 variant-O EUM's serialNumber name constraint is what OpenSSL
  // chokes on; ours does the same, for the same reason.
  X509Ptr ci = Sgp26("CertificateIssuer/CERT_CI_ECDSA_NIST.der");
  X509Ptr eum = Sgp26("EUM/CERT_EUM_ECDSA_NIST.der");
  X509Ptr euicc = Sgp26("eUICC/CERT_EUICC_ECDSA_NIST.der");
  EXPECT_TRUE(SignedBy(euicc.get(), eum.get()));
  absl::Status status = VerifyChain(euicc.get(), ci.get(), {eum.get()}, kNow);
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("permitted subtree violation"));
}

}  // namespace
}  // namespace smdp::pki
