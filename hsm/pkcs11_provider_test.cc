#include "hsm/pkcs11_provider.h"

#include <openssl/pem.h>
#include <openssl/sha.h>

#include <atomic>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hsm/internal/pkcs11_module.h"
#include "hsm/internal/test_util.h"
#include "hsm/pkcs11_uri.h"
#include "hsm/softhsm_test_token.h"

namespace smdp::hsm {
namespace {

using ::smdp::hsm::testing::IsOk;
using ::smdp::hsm::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kTestData[] = "hsm/testdata/";

std::string CurveLabel(Curve curve) {
  return curve == Curve::kNistP256 ? "P256" : "BrainpoolP256r1";
}

// Raw PKCS#11 access to the token the provider uses (the module is shared
// in-process, so this session is logged in too). For test setup only.
class RawToken {
 public:
  explicit RawToken(const SoftHsmTestToken& token) {
    auto module = internal::Pkcs11Module::Load(SoftHsmTestToken::ModulePath());
    EXPECT_THAT(module, IsOk());
    module_ = *module;
    auto tokens = module_->ListTokens();
    for (const auto& info : *tokens) {
      if (info.initialized() && info.label == token.label())
        slot_ = info.slot_id;
    }
    fn()->C_OpenSession(slot_, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr,
                        nullptr, &session_);
  }
  ~RawToken() { fn()->C_CloseSession(session_); }

  CK_FUNCTION_LIST* fn() { return module_->functions(); }

  std::vector<CK_OBJECT_HANDLE> Find(CK_OBJECT_CLASS klass,
                                     const std::string& label) {
    CK_ATTRIBUTE attrs[] = {
        {CKA_CLASS, &klass, sizeof(klass)},
        {CKA_LABEL, const_cast<char*>(label.data()), label.size()}};
    fn()->C_FindObjectsInit(session_, attrs, 2);
    CK_OBJECT_HANDLE found[8];
    CK_ULONG count = 0;
    fn()->C_FindObjects(session_, found, 8, &count);
    fn()->C_FindObjectsFinal(session_);
    return std::vector<CK_OBJECT_HANDLE>(found, found + count);
  }

  std::string GetId(CK_OBJECT_HANDLE object) {
    unsigned char buf[64];
    CK_ATTRIBUTE attr = {CKA_ID, buf, sizeof(buf)};
    fn()->C_GetAttributeValue(session_, object, &attr, 1);
    return std::string(reinterpret_cast<char*>(buf), attr.ulValueLen);
  }

  CK_RV Destroy(CK_OBJECT_HANDLE object) {
    return fn()->C_DestroyObject(session_, object);
  }

  // Whether `attr` of `object` is CK_TRUE.
  bool GetBool(CK_OBJECT_HANDLE object, CK_ATTRIBUTE_TYPE type) {
    CK_BBOOL value = CK_FALSE;
    CK_ATTRIBUTE attr = {type, &value, sizeof(value)};
    fn()->C_GetAttributeValue(session_, object, &attr, 1);
    return value == CK_TRUE;
  }

  CK_SESSION_HANDLE session() const { return session_; }

 private:
  std::shared_ptr<internal::Pkcs11Module> module_;
  CK_SLOT_ID slot_ = 0;
  CK_SESSION_HANDLE session_ = CK_INVALID_HANDLE;
};

std::string WritePem(const SoftHsmTestToken& token, const std::string& name,
                     EVP_PKEY* key) {
  const std::string path = token.dir() + "/" + name;
  BioPtr bio(BIO_new_file(path.c_str(), "w"));
  PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr,
                           nullptr);
  return path;
}

class Pkcs11ProviderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(token_, SoftHsmTestToken::Create());
    ASSERT_OK_AND_ASSIGN(provider_, token_->OpenProvider());
  }
  void TearDown() override {
    provider_.reset();
    token_.reset();
  }

  std::unique_ptr<SoftHsmTestToken> token_;
  std::unique_ptr<Pkcs11Provider> provider_;
};

class Pkcs11ProviderCurveTest : public Pkcs11ProviderTest,
                                public ::testing::WithParamInterface<Curve> {};

INSTANTIATE_TEST_SUITE_P(Curves, Pkcs11ProviderCurveTest,
                         ::testing::Values(Curve::kNistP256,
                                           Curve::kBrainpoolP256r1),
                         [](const auto& info) {
                           return CurveLabel(info.param);
                         });

TEST_P(Pkcs11ProviderCurveTest, GenerateSignVerify) {
  ASSERT_OK_AND_ASSIGN(auto key,
                       provider_->GenerateSigningKey("dpauth", GetParam()));
  EXPECT_EQ(key->curve(), GetParam());
  ASSERT_EQ(key->public_point().size(), kUncompressedPointSize);
  ASSERT_OK_AND_ASSIGN(std::string rs, key->Sign("server signed 1"));
  ASSERT_EQ(rs.size(), kPlainSignatureSize);
  EXPECT_TRUE(testing::VerifyPlainSignature(GetParam(), key->public_point(),
                                            "server signed 1", rs));
  EXPECT_FALSE(testing::VerifyPlainSignature(GetParam(), key->public_point(),
                                             "server signed 2", rs));
  ASSERT_OK_AND_ASSIGN(std::string der, key->SignDer("tbs"));
  EXPECT_TRUE(
      testing::VerifyDerSignature(GetParam(), key->public_point(), "tbs", der));
}

TEST_P(Pkcs11ProviderCurveTest, SignDigestVerifiesLikeSign) {
  ASSERT_OK_AND_ASSIGN(auto key,
                       provider_->GenerateSigningKey("dptls", GetParam()));
  const std::string message = "TLS 1.3, server CertificateVerify";
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
  EXPECT_THAT(key->SignDigest(digest.substr(1)),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(Pkcs11ProviderCurveTest, GeneratedKeyAttributes) {
  ASSERT_OK(provider_->GenerateSigningKey("k", GetParam()).status());
  RawToken raw(*token_);
  auto privs = raw.Find(CKO_PRIVATE_KEY, "k");
  auto pubs = raw.Find(CKO_PUBLIC_KEY, "k");
  ASSERT_EQ(privs.size(), 1u);
  ASSERT_EQ(pubs.size(), 1u);
  EXPECT_TRUE(raw.GetBool(privs[0], CKA_SENSITIVE));
  EXPECT_FALSE(raw.GetBool(privs[0], CKA_EXTRACTABLE));
  EXPECT_TRUE(raw.GetBool(privs[0], CKA_PRIVATE));
  EXPECT_TRUE(raw.GetBool(privs[0], CKA_TOKEN));
  EXPECT_TRUE(raw.GetBool(privs[0], CKA_SIGN));
  EXPECT_EQ(raw.GetId(privs[0]).size(), 16u);
  EXPECT_EQ(raw.GetId(privs[0]), raw.GetId(pubs[0]));
}

TEST_P(Pkcs11ProviderCurveTest, LoadByLabelUriAndId) {
  ASSERT_OK_AND_ASSIGN(auto key,
                       provider_->GenerateSigningKey("dpauth", GetParam()));
  ASSERT_OK_AND_ASSIGN(auto by_label, provider_->LoadSigningKey("dpauth"));
  EXPECT_EQ(by_label->public_point(), key->public_point());
  EXPECT_EQ(by_label->curve(), GetParam());
  ASSERT_OK_AND_ASSIGN(
      auto by_uri, provider_->LoadSigningKey("pkcs11:token=" + token_->label() +
                                             ";object=dpauth;type=private"));
  EXPECT_EQ(by_uri->public_point(), key->public_point());
  std::string id;
  {
    RawToken raw(*token_);
    auto privs = raw.Find(CKO_PRIVATE_KEY, "dpauth");
    ASSERT_EQ(privs.size(), 1u);
    id = raw.GetId(privs[0]);
  }
  ASSERT_OK_AND_ASSIGN(auto by_id, provider_->LoadSigningKey(
                                       "pkcs11:id=" + PercentEncodeAll(id)));
  EXPECT_EQ(by_id->public_point(), key->public_point());
  ASSERT_OK_AND_ASSIGN(std::string rs, by_id->Sign("m"));
  EXPECT_TRUE(
      testing::VerifyPlainSignature(GetParam(), key->public_point(), "m", rs));
}

TEST_P(Pkcs11ProviderCurveTest, ConcurrentSigning) {
  ASSERT_OK_AND_ASSIGN(auto key,
                       provider_->GenerateSigningKey("k", GetParam()));
  constexpr int kThreads = 8;
  constexpr int kPerThread = 5;
  std::vector<std::thread> threads;
  std::atomic<int> good{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string msg = absl::StrCat("thread ", t, " message ", i);
        auto rs = key->Sign(msg);
        if (rs.ok() && testing::VerifyPlainSignature(
                           GetParam(), key->public_point(), msg, *rs)) {
          ++good;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(good.load(), kThreads * kPerThread);
}

TEST_P(Pkcs11ProviderCurveTest, EcdhInSoftwareMatchesOpenssl) {
  ASSERT_OK_AND_ASSIGN(auto ours, provider_->GenerateAgreementKey(GetParam()));
  EXPECT_EQ(ours->curve(), GetParam());
  EvpPkeyPtr theirs = testing::NewOpensslKey(GetParam());
  ASSERT_OK_AND_ASSIGN(std::string secret,
                       ours->Derive(testing::PointOfOpensslKey(theirs.get())));
  EXPECT_EQ(secret.size(), 32u);
  EXPECT_EQ(secret, testing::OpensslEcdh(theirs.get(), GetParam(),
                                         ours->public_point()));
}

TEST_P(Pkcs11ProviderCurveTest, EcdhInHsmMatchesOpenssl) {
  Pkcs11ProviderOptions options = token_->ProviderOptions();
  options.agreement_in_hsm = true;
  ASSERT_OK_AND_ASSIGN(auto hsm, Pkcs11Provider::Open(options));
  ASSERT_OK_AND_ASSIGN(auto ours, hsm->GenerateAgreementKey(GetParam()));
  EXPECT_EQ(ours->curve(), GetParam());
  for (int i = 0; i < 2; ++i) {  // The second run uses the learnt form.
    EvpPkeyPtr theirs = testing::NewOpensslKey(GetParam());
    ASSERT_OK_AND_ASSIGN(
        std::string secret,
        ours->Derive(testing::PointOfOpensslKey(theirs.get())));
    EXPECT_EQ(secret.size(), 32u);
    EXPECT_EQ(secret, testing::OpensslEcdh(theirs.get(), GetParam(),
                                           ours->public_point()));
  }
  std::string bad = ours->public_point();
  bad[40] ^= 0x01;
  EXPECT_THAT(ours->Derive(bad), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ours->Derive("\x04"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // The one-time objects are session objects and go away with the handle.
  RawToken raw(*token_);
  ours.reset();
  CK_OBJECT_CLASS klass = CKO_PRIVATE_KEY;
  CK_ATTRIBUTE attrs[] = {{CKA_CLASS, &klass, sizeof(klass)}};
  raw.fn()->C_FindObjectsInit(raw.session(), attrs, 1);
  CK_OBJECT_HANDLE found[4];
  CK_ULONG count = 0;
  raw.fn()->C_FindObjects(raw.session(), found, 4, &count);
  raw.fn()->C_FindObjectsFinal(raw.session());
  EXPECT_EQ(count, 0u);
}

TEST_P(Pkcs11ProviderCurveTest, EcdhRejectsPointNotOnCurve) {
  ASSERT_OK_AND_ASSIGN(auto ours, provider_->GenerateAgreementKey(GetParam()));
  std::string bad = ours->public_point();
  bad[64] ^= 0x01;
  EXPECT_THAT(ours->Derive(bad), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(Pkcs11ProviderTest, ImportSgp26KeysMatchesCertificates) {
  for (const auto& [suffix, curve] :
       {std::pair{"NIST", Curve::kNistP256},
        std::pair{"BRP", Curve::kBrainpoolP256r1}}) {
    const std::string pem = testing::ReadFileOrDie(
        absl::StrCat(kTestData, "SK_S_SM_DPauth_ECDSA_", suffix, ".pem"));
    ASSERT_FALSE(pem.empty());
    const std::string label = absl::StrCat("dpauth-", suffix);
    ASSERT_OK_AND_ASSIGN(auto key, provider_->ImportSigningKey(label, pem));
    EXPECT_EQ(key->curve(), curve);
    const std::string expected = testing::PointFromPublicKeyPem(
        absl::StrCat(kTestData, "PK_S_SM_DPauth_ECDSA_", suffix, ".pem"));
    EXPECT_EQ(key->public_point(), expected);
    EXPECT_EQ(key->public_point(),
              testing::PointFromCertificateDer(absl::StrCat(
                  kTestData, "CERT_S_SM_DPauth_ECDSA_", suffix, ".der")));
    ASSERT_OK_AND_ASSIGN(std::string rs, key->Sign("payload"));
    EXPECT_TRUE(testing::VerifyPlainSignature(curve, expected, "payload", rs));
    // Loaded again by label, it is the same key.
    ASSERT_OK_AND_ASSIGN(auto loaded, provider_->LoadSigningKey(label));
    EXPECT_EQ(loaded->public_point(), expected);
    RawToken raw(*token_);
    auto privs = raw.Find(CKO_PRIVATE_KEY, label);
    ASSERT_EQ(privs.size(), 1u);
    EXPECT_TRUE(raw.GetBool(privs[0], CKA_SENSITIVE));
    EXPECT_FALSE(raw.GetBool(privs[0], CKA_EXTRACTABLE));
  }
  EXPECT_THAT(
      provider_->ImportSigningKey(
          "dpauth-NIST", testing::ReadFileOrDie(absl::StrCat(
                             kTestData, "SK_S_SM_DPauth_ECDSA_NIST.pem"))),
      StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(provider_->ImportSigningKey("garbage", "not a key"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(Pkcs11ProviderTest, GenerateTwiceIsAlreadyExists) {
  ASSERT_OK(provider_->GenerateSigningKey("k", Curve::kNistP256).status());
  EXPECT_THAT(provider_->GenerateSigningKey("k", Curve::kBrainpoolP256r1),
              StatusIs(absl::StatusCode::kAlreadyExists));
}

TEST_F(Pkcs11ProviderTest, KeysPersistAcrossReopenAndOutliveProvider) {
  ASSERT_OK_AND_ASSIGN(auto key,
                       provider_->GenerateSigningKey("k", Curve::kNistP256));
  const std::string point = key->public_point();
  ASSERT_OK_AND_ASSIGN(auto kek, provider_->GetOrCreateSecretKey("kek"));
  ASSERT_OK_AND_ASSIGN(std::string sealed, kek->Seal("secret", "aad"));
  provider_.reset();
  // Handles still work after the provider is gone.
  ASSERT_OK_AND_ASSIGN(std::string rs, key->Sign("after"));
  EXPECT_TRUE(
      testing::VerifyPlainSignature(Curve::kNistP256, point, "after", rs));
  key.reset();
  kek.reset();
  // Everything closed and logged out; open the token again.
  ASSERT_OK_AND_ASSIGN(provider_, token_->OpenProvider());
  ASSERT_OK_AND_ASSIGN(auto loaded, provider_->LoadSigningKey("k"));
  EXPECT_EQ(loaded->public_point(), point);
  ASSERT_OK_AND_ASSIGN(auto kek2, provider_->GetOrCreateSecretKey("kek"));
  ASSERT_OK_AND_ASSIGN(std::string plain, kek2->Open(sealed, "aad"));
  EXPECT_EQ(plain, "secret");
}

TEST_F(Pkcs11ProviderTest, SealOpen) {
  ASSERT_OK_AND_ASSIGN(auto kek, provider_->GetOrCreateSecretKey("kek"));
  ASSERT_OK_AND_ASSIGN(std::string sealed,
                       kek->Seal("profile secret", "iccid"));
  EXPECT_EQ(sealed.size(), 12 + 14 + 16u);
  ASSERT_OK_AND_ASSIGN(std::string plain, kek->Open(sealed, "iccid"));
  EXPECT_EQ(plain, "profile secret");
  ASSERT_OK_AND_ASSIGN(std::string empty, kek->Seal("", ""));
  ASSERT_OK_AND_ASSIGN(plain, kek->Open(empty, ""));
  EXPECT_EQ(plain, "");
  // Same label, same key.
  ASSERT_OK_AND_ASSIGN(auto again, provider_->GetOrCreateSecretKey("kek"));
  EXPECT_THAT(again->Open(sealed, "iccid"), IsOk());
  RawToken raw(*token_);
  auto keys = raw.Find(CKO_SECRET_KEY, "kek");
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_TRUE(raw.GetBool(keys[0], CKA_SENSITIVE));
  EXPECT_FALSE(raw.GetBool(keys[0], CKA_EXTRACTABLE));
}

TEST_F(Pkcs11ProviderTest, OpenFailsAuthenticationWithDataLoss) {
  ASSERT_OK_AND_ASSIGN(auto kek, provider_->GetOrCreateSecretKey("kek"));
  ASSERT_OK_AND_ASSIGN(std::string sealed, kek->Seal("plaintext", "record-1"));
  EXPECT_THAT(kek->Open(sealed, "record-2"),
              StatusIs(absl::StatusCode::kDataLoss));
  for (size_t i : {size_t{0}, size_t{12}, sealed.size() - 1}) {
    std::string tampered = sealed;
    tampered[i] ^= 0x01;
    EXPECT_THAT(kek->Open(tampered, "record-1"),
                StatusIs(absl::StatusCode::kDataLoss))
        << "byte " << i;
  }
  EXPECT_THAT(kek->Open(sealed.substr(0, 20), "record-1"),
              StatusIs(absl::StatusCode::kDataLoss));
  ASSERT_OK_AND_ASSIGN(auto other, provider_->GetOrCreateSecretKey("other"));
  EXPECT_THAT(other->Open(sealed, "record-1"),
              StatusIs(absl::StatusCode::kDataLoss));
  // The sessions are still fine afterwards.
  ASSERT_OK_AND_ASSIGN(std::string plain, kek->Open(sealed, "record-1"));
  EXPECT_EQ(plain, "plaintext");
}

TEST_F(Pkcs11ProviderTest, RandomBytes) {
  ASSERT_OK_AND_ASSIGN(std::string a, provider_->RandomBytes(32));
  ASSERT_OK_AND_ASSIGN(std::string b, provider_->RandomBytes(32));
  EXPECT_EQ(a.size(), 32u);
  EXPECT_NE(a, b);
  ASSERT_OK_AND_ASSIGN(std::string none, provider_->RandomBytes(0));
  EXPECT_TRUE(none.empty());
  EXPECT_THAT(provider_->RandomBytes((1 << 20) + 1),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(Pkcs11ProviderTest, Describe) {
  EXPECT_EQ(provider_->Describe(), "pkcs11:" + SoftHsmTestToken::ModulePath() +
                                       " token=" + token_->label());
}

TEST_F(Pkcs11ProviderTest, SinglePooledSessionServesManyThreads) {
  Pkcs11ProviderOptions options = token_->ProviderOptions();
  options.session_pool_size = 1;
  ASSERT_OK_AND_ASSIGN(auto hsm, Pkcs11Provider::Open(options));
  ASSERT_OK_AND_ASSIGN(auto key,
                       hsm->GenerateSigningKey("k", Curve::kNistP256));
  std::vector<std::thread> threads;
  std::atomic<int> good{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 5; ++i) {
        if (key->Sign("x").ok()) ++good;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(good.load(), 20);
}

// ---- errors ----

TEST_F(Pkcs11ProviderTest, MissingKeyIsNotFoundNamingLabelAndToken) {
  auto key = provider_->LoadSigningKey("nope");
  EXPECT_THAT(key, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(std::string(key.status().message()), HasSubstr("'nope'"));
  EXPECT_THAT(std::string(key.status().message()), HasSubstr(token_->label()));
  EXPECT_THAT(provider_->LoadSigningKey("pkcs11:id=%99"),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(Pkcs11ProviderTest, BadKeyReferences) {
  EXPECT_THAT(provider_->LoadSigningKey("pkcs11:object=k;type=public"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(provider_->LoadSigningKey("pkcs11:token=other;object=k"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(provider_->LoadSigningKey("pkcs11:type=private"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(provider_->LoadSigningKey("pkcs11:object=k;bogus=1"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(provider_->LoadSigningKey(""),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(Pkcs11ProviderTest, MissingPublicKeyObjectIsFailedPrecondition) {
  ASSERT_OK(provider_->GenerateSigningKey("k", Curve::kNistP256).status());
  {
    RawToken raw(*token_);
    auto pubs = raw.Find(CKO_PUBLIC_KEY, "k");
    ASSERT_EQ(pubs.size(), 1u);
    ASSERT_EQ(raw.Destroy(pubs[0]), CKR_OK);
  }
  auto key = provider_->LoadSigningKey("k");
  EXPECT_THAT(key, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(std::string(key.status().message()),
              HasSubstr("no public key object"));
}

TEST_F(Pkcs11ProviderTest, WrongKeyTypeAndCurveAreFailedPrecondition) {
  // Other tools' keys, imported with softhsm2-util (a separate process).
  provider_.reset();
  EvpPkeyPtr rsa(EVP_RSA_gen(1024));
  EvpPkeyPtr p384(EVP_EC_gen("secp384r1"));
  ASSERT_OK(token_->RunSoftHsmUtil(absl::StrCat(
      "--import ", WritePem(*token_, "rsa.pem", rsa.get()), " --token ",
      token_->label(), " --label rsa --id 01 --pin 1234")));
  ASSERT_OK(token_->RunSoftHsmUtil(absl::StrCat(
      "--import ", WritePem(*token_, "p384.pem", p384.get()), " --token ",
      token_->label(), " --label p384 --id 02 --pin 1234")));
  ASSERT_OK_AND_ASSIGN(provider_, token_->OpenProvider());
  auto rsa_key = provider_->LoadSigningKey("rsa");
  EXPECT_THAT(rsa_key, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(std::string(rsa_key.status().message()), HasSubstr("CKK_RSA"));
  EXPECT_THAT(std::string(rsa_key.status().message()), HasSubstr("'rsa'"));
  auto p384_key = provider_->LoadSigningKey("pkcs11:id=%02");
  EXPECT_THAT(p384_key, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(std::string(p384_key.status().message()), HasSubstr("secp384r1"));
  // And the P-384 PEM cannot be imported through the provider either.
  EXPECT_THAT(
      provider_->ImportSigningKey(
          "p384-2", testing::ReadFileOrDie(token_->dir() + "/p384.pem")),
      StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(Pkcs11ProviderTest, SecretLabelOnWrongKeyTypeIsFailedPrecondition) {
  // A generic secret under the label, created with raw PKCS#11.
  {
    RawToken raw(*token_);
    CK_OBJECT_CLASS klass = CKO_SECRET_KEY;
    CK_KEY_TYPE type = CKK_GENERIC_SECRET;
    CK_BBOOL yes = CK_TRUE;
    unsigned char value[32] = {1};
    std::string label = "kek";
    CK_ATTRIBUTE attrs[] = {{CKA_CLASS, &klass, sizeof(klass)},
                            {CKA_KEY_TYPE, &type, sizeof(type)},
                            {CKA_TOKEN, &yes, sizeof(yes)},
                            {CKA_VALUE, value, sizeof(value)},
                            {CKA_LABEL, label.data(), label.size()}};
    CK_OBJECT_HANDLE handle;
    ASSERT_EQ(raw.fn()->C_CreateObject(raw.session(), attrs, 5, &handle),
              CKR_OK);
  }
  auto kek = provider_->GetOrCreateSecretKey("kek");
  EXPECT_THAT(kek, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(std::string(kek.status().message()),
              HasSubstr("CKK_GENERIC_SECRET"));
}

TEST_F(Pkcs11ProviderTest, WrongPinIsPermissionDeniedWithoutThePin) {
  provider_.reset();
  Pkcs11ProviderOptions options = token_->ProviderOptions();
  options.pin = "98765";
  auto hsm = Pkcs11Provider::Open(options);
  EXPECT_THAT(hsm, StatusIs(absl::StatusCode::kPermissionDenied));
  const std::string message(hsm.status().message());
  EXPECT_THAT(message, HasSubstr(token_->label()));
  EXPECT_THAT(message, HasSubstr("CKR_PIN_INCORRECT"));
  EXPECT_THAT(message, Not(HasSubstr("98765")));
}

TEST_F(Pkcs11ProviderTest, WrongPinWhileLoggedInIsPermissionDenied) {
  Pkcs11ProviderOptions options = token_->ProviderOptions();
  options.pin = "98765";
  auto hsm = Pkcs11Provider::Open(options);
  EXPECT_THAT(hsm, StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(std::string(hsm.status().message()), Not(HasSubstr("98765")));
  // The right PIN shares the login; closing it keeps the first logged in.
  ASSERT_OK_AND_ASSIGN(auto second, token_->OpenProvider());
  second.reset();
  EXPECT_THAT(provider_->GenerateSigningKey("k", Curve::kNistP256), IsOk());
}

TEST_F(Pkcs11ProviderTest, MissingTokenIsNotFoundListingTokens) {
  Pkcs11ProviderOptions options = token_->ProviderOptions();
  options.token_label = "no-such-token";
  auto hsm = Pkcs11Provider::Open(options);
  EXPECT_THAT(hsm, StatusIs(absl::StatusCode::kNotFound));
  const std::string message(hsm.status().message());
  EXPECT_THAT(message, HasSubstr("no-such-token"));
  EXPECT_THAT(message, HasSubstr("'" + token_->label() + "'"));
  options.token_label = "";
  options.slot_id = 424242;
  EXPECT_THAT(Pkcs11Provider::Open(options),
              StatusIs(absl::StatusCode::kNotFound));
  options.slot_id.reset();
  EXPECT_THAT(Pkcs11Provider::Open(options),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(Pkcs11ProviderTest, InitializeTokenTwiceIsAlreadyExists) {
  EXPECT_THAT(InitializeToken(SoftHsmTestToken::ModulePath(), token_->label(),
                              "123456", "1234"),
              StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(InitializeToken(SoftHsmTestToken::ModulePath(),
                              std::string(33, 'x'), "123456", "1234"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // A second token, opened by slot id as well.
  const std::string second_label = token_->label() + "-2";
  ASSERT_OK(InitializeToken(SoftHsmTestToken::ModulePath(), second_label,
                            "123456", "4321"));
  Pkcs11ProviderOptions options = token_->ProviderOptions();
  options.token_label = second_label;
  options.pin = "4321";
  ASSERT_OK_AND_ASSIGN(auto second, Pkcs11Provider::Open(options));
  EXPECT_THAT(second->LoadSigningKey("nope"),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST(Pkcs11ProviderModuleTest, NonexistentModuleIsNotFound) {
  Pkcs11ProviderOptions options;
  options.module_path = "/nonexistent/libpkcs11.so";
  options.token_label = "x";
  auto hsm = Pkcs11Provider::Open(options);
  EXPECT_THAT(hsm, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(std::string(hsm.status().message()),
              HasSubstr("/nonexistent/libpkcs11.so"));
}

TEST(Pkcs11ProviderModuleTest, NonPkcs11LibraryIsFailedPrecondition) {
  Pkcs11ProviderOptions options;
  options.module_path = "/lib/x86_64-linux-gnu/libz.so.1";
  options.token_label = "x";
  auto hsm = Pkcs11Provider::Open(options);
  EXPECT_THAT(hsm, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(std::string(hsm.status().message()),
              HasSubstr("not a PKCS#11 module"));
}

TEST(Pkcs11ProviderModuleTest, NotASharedLibraryIsFailedPrecondition) {
  Pkcs11ProviderOptions options;
  options.module_path = "/etc/hostname";
  options.token_label = "x";
  EXPECT_THAT(Pkcs11Provider::Open(options),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

}  // namespace
}  // namespace smdp::hsm
