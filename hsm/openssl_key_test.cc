#include "hsm/openssl_key.h"

#include <openssl/err.h>
#include <openssl/evp.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hsm/internal/test_util.h"
#include "hsm/softhsm_test_token.h"
#include "hsm/software_provider.h"
#include "util/ssl_ptr.h"

namespace smdp::hsm {
namespace {

using ::smdp::hsm::testing::StatusIs;
using ::testing::HasSubstr;

// ECDSA over `md`(message) with `pkey` through EVP_DigestSign, as libssl
// signs. Empty on failure (the error queue is left for the caller).
std::string DigestSign(EVP_PKEY* pkey, const EVP_MD* md,
                       const std::string& message) {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  size_t len = 0;
  if (ctx == nullptr ||
      EVP_DigestSignInit(ctx.get(), nullptr, md, nullptr, pkey) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len,
                     reinterpret_cast<const unsigned char*>(message.data()),
                     message.size()) != 1) {
    return "";
  }
  std::string der(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(der.data()),
                     &len,
                     reinterpret_cast<const unsigned char*>(message.data()),
                     message.size()) != 1) {
    return "";
  }
  der.resize(len);
  return der;
}

// A SigningKey whose every signature fails.
class FailingSigningKey final : public SigningKey {
 public:
  explicit FailingSigningKey(const SigningKey& model)
      : curve_(model.curve()), point_(model.public_point()) {}
  Curve curve() const override { return curve_; }
  const std::string& public_point() const override { return point_; }
  absl::StatusOr<std::string> Sign(absl::string_view) const override {
    return absl::UnavailableError("HSM unplugged");
  }
  absl::StatusOr<std::string> SignDigest(absl::string_view) const override {
    return absl::UnavailableError("HSM unplugged");
  }

 private:
  const Curve curve_;
  const std::string point_;
};

class OpenSslKeyTest : public ::testing::TestWithParam<Curve> {};

INSTANTIATE_TEST_SUITE_P(Curves, OpenSslKeyTest,
                         ::testing::Values(Curve::kNistP256,
                                           Curve::kBrainpoolP256r1),
                         [](const auto& info) {
                           return info.param == Curve::kNistP256
                                      ? "P256"
                                      : "BrainpoolP256r1";
                         });

TEST_P(OpenSslKeyTest, SoftwareKeySignsThroughEvpDigestSign) {
  ASSERT_OK_AND_ASSIGN(auto provider, SoftwareProvider::Create({}));
  ASSERT_OK_AND_ASSIGN(std::shared_ptr<const SigningKey> key,
                       provider->GenerateSigningKey("tls", GetParam()));
  ASSERT_OK_AND_ASSIGN(EvpPkeyPtr pkey, MakeOpenSslSigningKey(key));
  EXPECT_EQ(EVP_PKEY_get_base_id(pkey.get()), EVP_PKEY_EC);
  EXPECT_EQ(EVP_PKEY_get_bits(pkey.get()), 256);

  const std::string der = DigestSign(pkey.get(), EVP_sha256(), "hello TLS");
  ASSERT_FALSE(der.empty()) << DrainOpensslErrors();
  EXPECT_TRUE(testing::VerifyDerSignature(GetParam(), key->public_point(),
                                          "hello TLS", der));
  EXPECT_FALSE(testing::VerifyDerSignature(GetParam(), key->public_point(),
                                           "hello TLs", der));
}

TEST_P(OpenSslKeyTest, PublicKeyEqualsTheSigningKeys) {
  ASSERT_OK_AND_ASSIGN(auto provider, SoftwareProvider::Create({}));
  ASSERT_OK_AND_ASSIGN(std::shared_ptr<const SigningKey> key,
                       provider->GenerateSigningKey("tls", GetParam()));
  ASSERT_OK_AND_ASSIGN(EvpPkeyPtr pkey, MakeOpenSslSigningKey(key));
  EvpPkeyPtr pub = testing::PublicKeyViaSpki(GetParam(), key->public_point());
  ASSERT_NE(pub, nullptr);
  EXPECT_EQ(EVP_PKEY_eq(pkey.get(), pub.get()), 1);

  ASSERT_OK_AND_ASSIGN(std::shared_ptr<const SigningKey> other,
                       provider->GenerateSigningKey("other", GetParam()));
  EvpPkeyPtr other_pub =
      testing::PublicKeyViaSpki(GetParam(), other->public_point());
  EXPECT_NE(EVP_PKEY_eq(pkey.get(), other_pub.get()), 1);
  ERR_clear_error();
}

TEST_P(OpenSslKeyTest, HsmKeySignsAndOutlivesItsHandleAndProvider) {
  ASSERT_OK_AND_ASSIGN(auto token, SoftHsmTestToken::Create());
  EvpPkeyPtr pkey;
  std::string point;
  {
    ASSERT_OK_AND_ASSIGN(auto hsm, token->OpenProvider());
    ASSERT_OK_AND_ASSIGN(std::shared_ptr<const SigningKey> key,
                         hsm->GenerateSigningKey("dptls", GetParam()));
    point = key->public_point();
    ASSERT_OK_AND_ASSIGN(pkey, MakeOpenSslSigningKey(std::move(key)));
  }
  // Copies of the EVP_PKEY (as SSL_CTX and SSL take) share the handle.
  EvpPkeyPtr copy(EVP_PKEY_dup(pkey.get()));
  ASSERT_NE(copy, nullptr) << DrainOpensslErrors();
  pkey.reset();
  const std::string der = DigestSign(copy.get(), EVP_sha256(), "in the HSM");
  ASSERT_FALSE(der.empty()) << DrainOpensslErrors();
  EXPECT_TRUE(
      testing::VerifyDerSignature(GetParam(), point, "in the HSM", der));
}

TEST(OpenSslKeyTest, ConcurrentSigningWithOneKey) {
  ASSERT_OK_AND_ASSIGN(auto token, SoftHsmTestToken::Create());
  ASSERT_OK_AND_ASSIGN(auto hsm, token->OpenProvider());
  ASSERT_OK_AND_ASSIGN(std::shared_ptr<const SigningKey> key,
                       hsm->GenerateSigningKey("dptls", Curve::kNistP256));
  ASSERT_OK_AND_ASSIGN(EvpPkeyPtr pkey, MakeOpenSslSigningKey(key));
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        const std::string msg = absl::StrCat("m", t, "-", i);
        const std::string der = DigestSign(pkey.get(), EVP_sha256(), msg);
        if (testing::VerifyDerSignature(Curve::kNistP256, key->public_point(),
                                        msg, der)) {
          ++good;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(good.load(), 8 * 20);
}

TEST(OpenSslKeyTest, OnlySha256DigestsAreSigned) {
  ASSERT_OK_AND_ASSIGN(auto provider, SoftwareProvider::Create({}));
  ASSERT_OK_AND_ASSIGN(std::shared_ptr<const SigningKey> key,
                       provider->GenerateSigningKey("tls", Curve::kNistP256));
  ASSERT_OK_AND_ASSIGN(EvpPkeyPtr pkey, MakeOpenSslSigningKey(key));
  EXPECT_EQ(DigestSign(pkey.get(), EVP_sha384(), "m"), "");
  EXPECT_THAT(DrainOpensslErrors(), HasSubstr("SHA-256 digest is 32 bytes"));
}

TEST(OpenSslKeyTest, SigningKeyErrorsReachOpensslsErrorQueue) {
  ASSERT_OK_AND_ASSIGN(auto provider, SoftwareProvider::Create({}));
  ASSERT_OK_AND_ASSIGN(auto model,
                       provider->GenerateSigningKey("tls", Curve::kNistP256));
  ASSERT_OK_AND_ASSIGN(
      EvpPkeyPtr pkey,
      MakeOpenSslSigningKey(std::make_shared<FailingSigningKey>(*model)));
  EXPECT_EQ(DigestSign(pkey.get(), EVP_sha256(), "m"), "");
  EXPECT_THAT(DrainOpensslErrors(), HasSubstr("HSM unplugged"));
}

TEST(OpenSslKeyTest, NullKeyIsInvalidArgument) {
  EXPECT_THAT(MakeOpenSslSigningKey(nullptr),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace smdp::hsm
