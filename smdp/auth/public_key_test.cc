#include "smdp/auth/public_key.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hsm/crypto_provider.h"
#include "hsm/internal/test_util.h"
#include "hsm/software_provider.h"
#include "smdp/auth/test_pki.h"
#include "smdp/common/gsma_status.h"

namespace smdp::auth {
namespace {

using ::smdp::auth::testing::HasGsmaError;
using ::smdp::auth::testing::MakeTestKey;
using ::smdp::auth::testing::TestKey;
using ::smdp::hsm::testing::StatusIs;

class PublicKeyTest : public ::testing::TestWithParam<hsm::Curve> {};

TEST_P(PublicKeyTest, VerifiesGoodAndRefusesBadSignatures) {
  ASSERT_OK_AND_ASSIGN(TestKey signer, MakeTestKey(GetParam()));
  ASSERT_OK_AND_ASSIGN(PublicKey key,
                       PublicKey::FromPoint(GetParam(), signer.pub.point));
  EXPECT_EQ(key.curve(), GetParam());
  EXPECT_EQ(key.point(), signer.pub.point);
  const std::string message = "euiccSigned1 || 5F37 40 || ...";
  ASSERT_OK_AND_ASSIGN(std::string rs, signer.SignPlain(message));
  ASSERT_EQ(rs.size(), 64u);

  EXPECT_OK(key.VerifyPlain(message, rs));
  EXPECT_OK(VerifyPlainSignature(GetParam(), signer.pub.point, message, rs));
  EXPECT_TRUE(key.IsValidPlainSignature(message, rs));
  ASSERT_OK_AND_ASSIGN(std::string der, PlainSignatureToDer(rs));
  EXPECT_TRUE(key.IsValidDerSignature(message, der));

  // Another message, a flipped bit in r and in s.
  EXPECT_THAT(key.VerifyPlain(message + "x", rs),
              HasGsmaError(GsmaError::kEuiccSignatureInvalid));
  for (size_t i : {0, 31, 32, 63}) {
    std::string bad = rs;
    bad[i] ^= 0x01;
    EXPECT_THAT(key.VerifyPlain(message, bad),
                HasGsmaError(GsmaError::kEuiccSignatureInvalid));
    EXPECT_THAT(
        VerifyPlainSignature(GetParam(), signer.pub.point, message, bad),
        HasGsmaError(GsmaError::kEuiccSignatureInvalid));
  }
  // Wrong lengths.
  for (size_t n : {0, 1, 32, 63, 65, 128}) {
    const std::string bad = (rs + rs).substr(0, n);
    absl::Status status = key.VerifyPlain(message, bad);
    EXPECT_THAT(status, HasGsmaError(GsmaError::kEuiccSignatureInvalid)) << n;
    EXPECT_EQ(status.code(), absl::StatusCode::kUnauthenticated);
    EXPECT_FALSE(key.IsValidPlainSignature(message, bad));
  }
  // All zeros, all ones.
  EXPECT_FALSE(key.IsValidPlainSignature(message, std::string(64, '\0')));
  EXPECT_FALSE(key.IsValidPlainSignature(message, std::string(64, '\xff')));
  // The DER form is not accepted as plain and vice versa.
  EXPECT_FALSE(key.IsValidPlainSignature(message, der));
  EXPECT_FALSE(key.IsValidDerSignature(message, rs));
  // Another key.
  ASSERT_OK_AND_ASSIGN(TestKey other, MakeTestKey(GetParam()));
  EXPECT_THAT(VerifyPlainSignature(GetParam(), other.pub.point, message, rs),
              HasGsmaError(GsmaError::kEuiccSignatureInvalid));
}

TEST_P(PublicKeyTest, SignaturesOfTheSoftwareProvider) {
  // An independent signer: the hsm/ SoftwareProvider.
  ASSERT_OK_AND_ASSIGN(auto provider, hsm::SoftwareProvider::Create({}));
  ASSERT_OK_AND_ASSIGN(auto signer,
                       provider->GenerateSigningKey("k", GetParam()));
  ASSERT_OK_AND_ASSIGN(
      PublicKey key, PublicKey::FromPoint(GetParam(), signer->public_point()));
  for (int i = 0; i < 10; ++i) {
    const std::string message(static_cast<size_t>(i * 37), 'a' + i);
    ASSERT_OK_AND_ASSIGN(std::string rs, signer->Sign(message));
    EXPECT_OK(key.VerifyPlain(message, rs));
    ASSERT_OK_AND_ASSIGN(std::string der, signer->SignDer(message));
    EXPECT_TRUE(key.IsValidDerSignature(message, der));
  }
}

TEST_P(PublicKeyTest, RefusesBadPoints) {
  ASSERT_OK_AND_ASSIGN(TestKey signer, MakeTestKey(GetParam()));
  const std::string& point = signer.pub.point;
  std::string off_curve = point;
  off_curve[64] ^= 0x01;
  std::string compressed = point.substr(0, 33);
  compressed[0] = 0x02;
  std::string hybrid = point;
  hybrid[0] = 0x06;
  for (const std::string& bad :
       {off_curve, compressed, hybrid, std::string(), point.substr(0, 64),
        point + '\0', std::string(65, '\0')}) {
    EXPECT_THAT(PublicKey::FromPoint(GetParam(), bad),
                StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_THAT(
        VerifyPlainSignature(GetParam(), bad, "m", std::string(64, '\x01')),
        HasGsmaError(GsmaError::kEuiccSignatureInvalid));
  }
}

TEST_P(PublicKeyTest, PointOfTheOtherCurve) {
  // A point of one curve is (all but surely) not on the other.
  const hsm::Curve other = GetParam() == hsm::Curve::kNistP256
                               ? hsm::Curve::kBrainpoolP256r1
                               : hsm::Curve::kNistP256;
  ASSERT_OK_AND_ASSIGN(TestKey signer, MakeTestKey(GetParam()));
  EXPECT_THAT(PublicKey::FromPoint(other, signer.pub.point),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(PublicKeyTest, ManyThreadsOneKey) {
  ASSERT_OK_AND_ASSIGN(TestKey signer, MakeTestKey(GetParam()));
  ASSERT_OK_AND_ASSIGN(PublicKey key,
                       PublicKey::FromPoint(GetParam(), signer.pub.point));
  std::vector<std::string> messages;
  std::vector<std::string> signatures;
  for (int i = 0; i < 8; ++i) {
    messages.push_back(std::string(10 + i, 'm'));
    ASSERT_OK_AND_ASSIGN(std::string rs, signer.SignPlain(messages.back()));
    signatures.push_back(rs);
  }
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int r = 0; r < 25; ++r) {
        const size_t i = static_cast<size_t>(t + r) % messages.size();
        const size_t j = (i + 1) % messages.size();
        if (!key.VerifyPlain(messages[i], signatures[i]).ok()) ++wrong;
        if (key.VerifyPlain(messages[j], signatures[i]).ok()) ++wrong;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
}

INSTANTIATE_TEST_SUITE_P(Curves, PublicKeyTest,
                         ::testing::Values(hsm::Curve::kNistP256,
                                           hsm::Curve::kBrainpoolP256r1),
                         [](const ::testing::TestParamInfo<hsm::Curve>& info) {
                           return info.param == hsm::Curve::kNistP256
                                      ? "P256"
                                      : "Brainpool";
                         });

TEST(PlainSignatureToDerTest, MinimalIntegers) {
  // r = 1 (leading zeros stripped), s with the top bit set (0x00 added).
  std::string rs(64, '\0');
  rs[31] = 0x01;
  rs[32] = static_cast<char>(0x80);
  ASSERT_OK_AND_ASSIGN(std::string der, PlainSignatureToDer(rs));
  std::string s_value(1, '\0');
  s_value.push_back(static_cast<char>(0x80));
  s_value.append(31, '\0');
  const std::string expected =
      std::string("\x30\x26\x02\x01\x01\x02\x21", 7) + s_value;
  EXPECT_EQ(der, expected);
  // r = s = 0: one zero byte each.
  ASSERT_OK_AND_ASSIGN(std::string zero,
                       PlainSignatureToDer(std::string(64, '\0')));
  EXPECT_EQ(zero, std::string("\x30\x06\x02\x01\x00\x02\x01\x00", 8));
  // Halves of 66 bytes (P-521 size) need the long length form.
  ASSERT_OK_AND_ASSIGN(std::string big,
                       PlainSignatureToDer(std::string(132, '\xff')));
  EXPECT_EQ(static_cast<uint8_t>(big[1]), 0x81);
  EXPECT_THAT(PlainSignatureToDer(""),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(PlainSignatureToDer("abc"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(PlainSignatureToDer(std::string(134, '\x01')),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace smdp::auth
