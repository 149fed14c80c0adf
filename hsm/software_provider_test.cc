#include "hsm/software_provider.h"

#include <openssl/err.h>
#include <openssl/evperr.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hsm/internal/test_util.h"

namespace smdp::hsm {
namespace {

using ::smdp::hsm::testing::IsOk;
using ::smdp::hsm::testing::StatusIs;
using ::testing::HasSubstr;

constexpr char kTestData[] = "hsm/testdata/";

std::string MakeTempDir() {
  const char* base = getenv("TEST_TMPDIR");
  std::string templ = std::string(base ? base : "/tmp") + "/swkeys.XXXXXX";
  return mkdtemp(templ.data()) ? templ : "";
}

class SoftwareProviderTest : public ::testing::TestWithParam<Curve> {};

INSTANTIATE_TEST_SUITE_P(Curves, SoftwareProviderTest,
                         ::testing::Values(Curve::kNistP256,
                                           Curve::kBrainpoolP256r1),
                         [](const auto& info) {
                           return info.param == Curve::kNistP256
                                      ? "P256"
                                      : "BrainpoolP256r1";
                         });

TEST_P(SoftwareProviderTest, SignVerifiesWithOpenssl) {
  ASSERT_OK_AND_ASSIGN(auto provider, SoftwareProvider::Create({}));
  ASSERT_OK_AND_ASSIGN(auto key, provider->GenerateSigningKey("k", GetParam()));
  EXPECT_EQ(key->curve(), GetParam());
  ASSERT_EQ(key->public_point().size(), kUncompressedPointSize);
  ASSERT_OK_AND_ASSIGN(std::string rs, key->Sign("hello"));
  ASSERT_EQ(rs.size(), kPlainSignatureSize);
  EXPECT_TRUE(testing::VerifyPlainSignature(GetParam(), key->public_point(),
                                            "hello", rs));
  EXPECT_FALSE(testing::VerifyPlainSignature(GetParam(), key->public_point(),
                                             "hellO", rs));
  ASSERT_OK_AND_ASSIGN(std::string der, key->SignDer("hello"));
  EXPECT_TRUE(testing::VerifyDerSignature(GetParam(), key->public_point(),
                                          "hello", der));
}

TEST_P(SoftwareProviderTest, SignDigestVerifiesLikeSign) {
  ASSERT_OK_AND_ASSIGN(auto provider, SoftwareProvider::Create({}));
  ASSERT_OK_AND_ASSIGN(auto key, provider->GenerateSigningKey("k", GetParam()));
  const std::string message = "TLS 1.2, ServerKeyExchange params";
  std::string digest(SHA256_DIGEST_LENGTH, '\0');
  SHA256(reinterpret_cast<const unsigned char*>(message.data()), message.size(),
         reinterpret_cast<unsigned char*>(digest.data()));
  ASSERT_OK_AND_ASSIGN(std::string rs, key->SignDigest(digest));
  ASSERT_EQ(rs.size(), kPlainSignatureSize);
  EXPECT_TRUE(testing::VerifyPlainSignature(GetParam(), key->public_point(),
                                            message, rs));
  EXPECT_FALSE(testing::VerifyPlainSignature(GetParam(), key->public_point(),
                                             digest, rs));
  EXPECT_THAT(key->SignDigest(message),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(key->SignDigest(std::string(48, 'x')),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(SoftwareProviderTest, ConcurrentSigning) {
  ASSERT_OK_AND_ASSIGN(auto provider, SoftwareProvider::Create({}));
  ASSERT_OK_AND_ASSIGN(auto key, provider->GenerateSigningKey("k", GetParam()));
  std::vector<std::thread> threads;
  std::vector<int> good(8, 0);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        const std::string msg = "m" + std::to_string(t * 100 + i);
        auto rs = key->Sign(msg);
        if (rs.ok() && testing::VerifyPlainSignature(
                           GetParam(), key->public_point(), msg, *rs)) {
          ++good[t];
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 8; ++t) EXPECT_EQ(good[t], 10) << "thread " << t;
}

TEST_P(SoftwareProviderTest, EcdhMatchesOpenssl) {
  ASSERT_OK_AND_ASSIGN(auto provider, SoftwareProvider::Create({}));
  ASSERT_OK_AND_ASSIGN(auto ours, provider->GenerateAgreementKey(GetParam()));
  EXPECT_EQ(ours->curve(), GetParam());
  EvpPkeyPtr theirs = testing::NewOpensslKey(GetParam());
  const std::string their_point = testing::PointOfOpensslKey(theirs.get());
  ASSERT_OK_AND_ASSIGN(std::string secret, ours->Derive(their_point));
  EXPECT_EQ(secret.size(), 32u);
  EXPECT_EQ(secret, testing::OpensslEcdh(theirs.get(), GetParam(),
                                         ours->public_point()));
}

TEST_P(SoftwareProviderTest, EcdhRejectsInvalidPoints) {
  ASSERT_OK_AND_ASSIGN(auto provider, SoftwareProvider::Create({}));
  ASSERT_OK_AND_ASSIGN(auto ours, provider->GenerateAgreementKey(GetParam()));
  std::string off_curve = ours->public_point();
  off_curve[64] ^= 1;
  EXPECT_THAT(ours->Derive(off_curve),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ours->Derive(off_curve.substr(0, 33)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ours->Derive(""), StatusIs(absl::StatusCode::kInvalidArgument));
  // A valid point of the other curve is not on this one.
  const Curve other = GetParam() == Curve::kNistP256 ? Curve::kBrainpoolP256r1
                                                     : Curve::kNistP256;
  EvpPkeyPtr theirs = testing::NewOpensslKey(other);
  EXPECT_THAT(ours->Derive(testing::PointOfOpensslKey(theirs.get())),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(SoftwareProvider, ImportSgp26KeysMatchesCertificate) {
  ASSERT_OK_AND_ASSIGN(auto provider, SoftwareProvider::Create({}));
  for (const auto& [suffix, curve] :
       {std::pair{"NIST", Curve::kNistP256},
        std::pair{"BRP", Curve::kBrainpoolP256r1}}) {
    const std::string pem = testing::ReadFileOrDie(
        std::string(kTestData) + "SK_S_SM_DPauth_ECDSA_" + suffix + ".pem");
    ASSERT_FALSE(pem.empty());
    ASSERT_OK_AND_ASSIGN(auto key, provider->ImportSigningKey(
                                       std::string("dpauth-") + suffix, pem));
    EXPECT_EQ(key->curve(), curve);
    EXPECT_EQ(key->public_point(),
              testing::PointFromPublicKeyPem(std::string(kTestData) +
                                             "PK_S_SM_DPauth_ECDSA_" + suffix +
                                             ".pem"));
    EXPECT_EQ(key->public_point(),
              testing::PointFromCertificateDer(std::string(kTestData) +
                                               "CERT_S_SM_DPauth_ECDSA_" +
                                               suffix + ".der"));
    ASSERT_OK_AND_ASSIGN(std::string rs, key->Sign("data"));
    EXPECT_TRUE(
        testing::VerifyPlainSignature(curve, key->public_point(), "data", rs));
  }
}

// OpenSSL 3.0 misreads an "EC PARAMETERS" + "EC PRIVATE KEY" PEM (the
// SGP.26 layout) as parameters only when the thread's error queue holds a
// stale error; the import must not depend on what failed before it.
TEST(SoftwareProvider, ImportIgnoresStaleOpensslErrors) {
  ASSERT_OK_AND_ASSIGN(auto provider, SoftwareProvider::Create({}));
  const std::string pem = testing::ReadFileOrDie(
      std::string(kTestData) + "SK_S_SM_DPauth_ECDSA_BRP.pem");
  ERR_raise(ERR_LIB_EVP, EVP_R_BAD_DECRYPT);  // A stale error on the queue.
  ASSERT_OK_AND_ASSIGN(auto key, provider->ImportSigningKey("stale", pem));
  EXPECT_EQ(key->curve(), Curve::kBrainpoolP256r1);
}

TEST(SoftwareProvider, ImportRejectsGarbageAndOtherCurves) {
  ASSERT_OK_AND_ASSIGN(auto provider, SoftwareProvider::Create({}));
  EXPECT_THAT(provider->ImportSigningKey("x", "not a key"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EvpPkeyPtr p384(EVP_EC_gen("secp384r1"));
  BioPtr bio(BIO_new(BIO_s_mem()));
  ASSERT_EQ(PEM_write_bio_PrivateKey(bio.get(), p384.get(), nullptr, nullptr, 0,
                                     nullptr, nullptr),
            1);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  EXPECT_THAT(provider->ImportSigningKey("p384", std::string(data, len)),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(SoftwareProvider, LoadByLabelAndUri) {
  ASSERT_OK_AND_ASSIGN(auto provider, SoftwareProvider::Create({}));
  ASSERT_OK_AND_ASSIGN(
      auto key, provider->GenerateSigningKey("dpauth", Curve::kNistP256));
  ASSERT_OK_AND_ASSIGN(auto by_label, provider->LoadSigningKey("dpauth"));
  EXPECT_EQ(by_label->public_point(), key->public_point());
  ASSERT_OK_AND_ASSIGN(auto by_uri, provider->LoadSigningKey(
                                        "pkcs11:object=dpauth;type=private"));
  EXPECT_EQ(by_uri->public_point(), key->public_point());
  EXPECT_THAT(provider->LoadSigningKey("pkcs11:id=%01"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(provider->LoadSigningKey("pkcs11:object=dpauth;type=public"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(provider->LoadSigningKey("missing"),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(provider->LoadSigningKey("../etc/passwd"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(provider->GenerateSigningKey("dpauth", Curve::kNistP256),
              StatusIs(absl::StatusCode::kAlreadyExists));
}

TEST(SoftwareProvider, KeyHandlesOutliveProvider) {
  std::unique_ptr<SigningKey> key;
  {
    ASSERT_OK_AND_ASSIGN(auto provider, SoftwareProvider::Create({}));
    ASSERT_OK_AND_ASSIGN(key,
                         provider->GenerateSigningKey("k", Curve::kNistP256));
  }
  ASSERT_OK_AND_ASSIGN(std::string rs, key->Sign("x"));
  EXPECT_TRUE(testing::VerifyPlainSignature(Curve::kNistP256,
                                            key->public_point(), "x", rs));
}

TEST(SoftwareProvider, KeyDirPersistsAcrossReopen) {
  const std::string dir = MakeTempDir() + "/keys";
  std::string point;
  std::string sealed;
  {
    ASSERT_OK_AND_ASSIGN(auto provider,
                         SoftwareProvider::Create({.key_dir = dir}));
    EXPECT_EQ(provider->Describe(), "software:" + dir);
    ASSERT_OK_AND_ASSIGN(auto key, provider->GenerateSigningKey(
                                       "dpauth", Curve::kBrainpoolP256r1));
    point = key->public_point();
    ASSERT_OK_AND_ASSIGN(auto kek, provider->GetOrCreateSecretKey("kek"));
    ASSERT_OK_AND_ASSIGN(sealed, kek->Seal("secret", "aad"));
  }
  struct stat st;
  ASSERT_EQ(stat((dir + "/dpauth.pem").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(stat(dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_OK_AND_ASSIGN(auto provider,
                       SoftwareProvider::Create({.key_dir = dir}));
  ASSERT_OK_AND_ASSIGN(auto key, provider->LoadSigningKey("dpauth"));
  EXPECT_EQ(key->curve(), Curve::kBrainpoolP256r1);
  EXPECT_EQ(key->public_point(), point);
  ASSERT_OK_AND_ASSIGN(auto kek, provider->GetOrCreateSecretKey("kek"));
  ASSERT_OK_AND_ASSIGN(std::string plain, kek->Open(sealed, "aad"));
  EXPECT_EQ(plain, "secret");
  EXPECT_THAT(provider->GenerateSigningKey("dpauth", Curve::kNistP256),
              StatusIs(absl::StatusCode::kAlreadyExists));
  // Wrong kind of key under a label.
  EXPECT_THAT(provider->LoadSigningKey("kek"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(provider->GetOrCreateSecretKey("dpauth"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  auto missing = provider->LoadSigningKey("nope");
  EXPECT_THAT(missing, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(std::string(missing.status().message()),
              HasSubstr(dir + "/nope.pem"));
}

TEST(SoftwareProvider, KeyDirRefusesLooseFileModes) {
  const std::string dir = MakeTempDir();
  {
    ASSERT_OK_AND_ASSIGN(auto provider,
                         SoftwareProvider::Create({.key_dir = dir}));
    ASSERT_OK(provider->GenerateSigningKey("k", Curve::kNistP256).status());
  }
  ASSERT_EQ(chmod((dir + "/k.pem").c_str(), 0644), 0);
  ASSERT_OK_AND_ASSIGN(auto provider,
                       SoftwareProvider::Create({.key_dir = dir}));
  auto key = provider->LoadSigningKey("k");
  EXPECT_THAT(key, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(std::string(key.status().message()), HasSubstr("0644"));
}

TEST(SoftwareProvider, KeyDirThatIsAFile) {
  const std::string dir = MakeTempDir();
  {
    ASSERT_OK_AND_ASSIGN(auto provider,
                         SoftwareProvider::Create({.key_dir = dir}));
    ASSERT_OK(provider->GenerateSigningKey("k", Curve::kNistP256).status());
  }
  EXPECT_THAT(SoftwareProvider::Create({.key_dir = dir + "/k.pem"}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(SoftwareProvider::Create({.key_dir = dir + "/a/b"}),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST(SoftwareProvider, SealOpen) {
  ASSERT_OK_AND_ASSIGN(auto provider, SoftwareProvider::Create({}));
  EXPECT_EQ(provider->Describe(), "software:memory");
  ASSERT_OK_AND_ASSIGN(auto kek, provider->GetOrCreateSecretKey("kek"));
  ASSERT_OK_AND_ASSIGN(std::string sealed, kek->Seal("plaintext", "record-1"));
  EXPECT_EQ(sealed.size(), 12 + 9 + 16u);
  ASSERT_OK_AND_ASSIGN(std::string plain, kek->Open(sealed, "record-1"));
  EXPECT_EQ(plain, "plaintext");
  ASSERT_OK_AND_ASSIGN(std::string empty, kek->Seal("", ""));
  EXPECT_THAT(kek->Open(empty, ""), IsOk());
  // The same label gives the same key.
  ASSERT_OK_AND_ASSIGN(auto again, provider->GetOrCreateSecretKey("kek"));
  EXPECT_THAT(again->Open(sealed, "record-1"), IsOk());
  // Another key, other aad, tampering, truncation: DataLoss.
  ASSERT_OK_AND_ASSIGN(auto other, provider->GetOrCreateSecretKey("other"));
  EXPECT_THAT(other->Open(sealed, "record-1"),
              StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(kek->Open(sealed, "record-2"),
              StatusIs(absl::StatusCode::kDataLoss));
  for (size_t i : {size_t{0}, size_t{12}, sealed.size() - 1}) {
    std::string tampered = sealed;
    tampered[i] ^= 0x80;
    EXPECT_THAT(kek->Open(tampered, "record-1"),
                StatusIs(absl::StatusCode::kDataLoss))
        << "byte " << i;
  }
  EXPECT_THAT(kek->Open(sealed.substr(0, 27), "record-1"),
              StatusIs(absl::StatusCode::kDataLoss));
}

TEST(SoftwareProvider, RandomBytes) {
  ASSERT_OK_AND_ASSIGN(auto provider, SoftwareProvider::Create({}));
  ASSERT_OK_AND_ASSIGN(std::string a, provider->RandomBytes(32));
  ASSERT_OK_AND_ASSIGN(std::string b, provider->RandomBytes(32));
  EXPECT_EQ(a.size(), 32u);
  EXPECT_NE(a, b);
  EXPECT_THAT(provider->RandomBytes(0), IsOk());
  EXPECT_THAT(provider->RandomBytes((1 << 20) + 1),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace smdp::hsm
