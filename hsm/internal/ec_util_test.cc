#include "hsm/internal/ec_util.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hsm/internal/ecdsa_signature.h"
#include "hsm/internal/test_util.h"

namespace smdp::hsm::internal {
namespace {

using ::smdp::hsm::testing::StatusIs;
using ::testing::HasSubstr;

TEST(CurveName, Names) {
  EXPECT_EQ(CurveName(Curve::kNistP256), "NIST P-256");
  EXPECT_EQ(CurveName(Curve::kBrainpoolP256r1), "brainpoolP256r1");
}

TEST(EcdsaSignature, PlainDerRoundTrip) {
  // r with the top bit set (DER adds a 00), s with leading zero bytes (DER
  // drops them).
  std::string rs(64, '\0');
  rs[0] = static_cast<char>(0x80);
  rs[31] = 0x01;
  rs[34] = 0x7f;
  rs[63] = 0x02;
  ASSERT_OK_AND_ASSIGN(std::string der, PlainToDerSignature(rs));
  EXPECT_EQ(static_cast<unsigned char>(der[0]), 0x30);
  ASSERT_OK_AND_ASSIGN(std::string back, DerToPlainSignature(der, 32));
  EXPECT_EQ(back, rs);
}

TEST(EcdsaSignature, RejectsMalformed) {
  EXPECT_THAT(PlainToDerSignature(""),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(PlainToDerSignature("abc"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(DerToPlainSignature("\x30\x00", 32),
              StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_OK_AND_ASSIGN(std::string der,
                       PlainToDerSignature(std::string(64, '\x11')));
  EXPECT_THAT(DerToPlainSignature(der + "x", 32),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // r of 33 significant bytes does not fit 32.
  ASSERT_OK_AND_ASSIGN(std::string big,
                       PlainToDerSignature(std::string(66, '\x11')));
  EXPECT_THAT(DerToPlainSignature(big, 32),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(CurveOid, RoundTripAndUnknown) {
  for (Curve curve : {Curve::kNistP256, Curve::kBrainpoolP256r1}) {
    ASSERT_OK_AND_ASSIGN(Curve back, CurveFromOidDer(CurveOidDer(curve)));
    EXPECT_EQ(back, curve);
  }
  const std::string p384("\x06\x05\x2b\x81\x04\x00\x22", 7);
  auto curve = CurveFromOidDer(p384);
  EXPECT_THAT(curve, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(std::string(curve.status().message()),
              HasSubstr("1.3.132.0.34 (secp384r1)"));
  EXPECT_THAT(CurveFromOidDer("junk"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(PublicKeyFromPoint, ValidatesThePoint) {
  for (Curve curve : {Curve::kNistP256, Curve::kBrainpoolP256r1}) {
    ASSERT_OK_AND_ASSIGN(EvpPkeyPtr key, GenerateEcKey(curve));
    ASSERT_OK_AND_ASSIGN(std::string point, PublicPointOf(key.get()));
    ASSERT_OK_AND_ASSIGN(EvpPkeyPtr pub, PublicKeyFromPoint(curve, point));
    ASSERT_OK_AND_ASSIGN(std::string again, PublicPointOf(pub.get()));
    EXPECT_EQ(again, point);
    ASSERT_OK_AND_ASSIGN(Curve pub_curve, CurveOfKey(pub.get()));
    EXPECT_EQ(pub_curve, curve);
    std::string off = point;
    off[10] ^= 0x40;
    EXPECT_THAT(PublicKeyFromPoint(curve, off),
                StatusIs(absl::StatusCode::kInvalidArgument));
    std::string compressed = point.substr(0, 33);
    compressed[0] = 0x02;
    EXPECT_THAT(PublicKeyFromPoint(curve, compressed),
                StatusIs(absl::StatusCode::kInvalidArgument));
    std::string zeros(65, '\0');
    zeros[0] = 0x04;
    EXPECT_THAT(PublicKeyFromPoint(curve, zeros),
                StatusIs(absl::StatusCode::kInvalidArgument));
  }
}

TEST(PublicPointOf, UncompressedWhateverTheKeysFormat) {
  ASSERT_OK_AND_ASSIGN(EvpPkeyPtr key, GenerateEcKey(Curve::kNistP256));
  ASSERT_OK_AND_ASSIGN(std::string point, PublicPointOf(key.get()));
  ASSERT_EQ(
      EVP_PKEY_set_utf8_string_param(
          key.get(), OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT, "compressed"),
      1);
  ASSERT_OK_AND_ASSIGN(std::string again, PublicPointOf(key.get()));
  EXPECT_EQ(again, point);
}

TEST(Keys, SignVerifyEcdhAndScalar) {
  for (Curve curve : {Curve::kNistP256, Curve::kBrainpoolP256r1}) {
    ASSERT_OK_AND_ASSIGN(EvpPkeyPtr a, GenerateEcKey(curve));
    ASSERT_OK_AND_ASSIGN(EvpPkeyPtr b, GenerateEcKey(curve));
    ASSERT_OK_AND_ASSIGN(EvpPkeyCtxPtr ctx, NewSignContext(a.get()));
    ASSERT_OK_AND_ASSIGN(std::string rs, EcdsaSignSha256(ctx.get(), "m"));
    EXPECT_TRUE(EcdsaVerifySha256(a.get(), "m", rs));
    EXPECT_FALSE(EcdsaVerifySha256(a.get(), "n", rs));
    EXPECT_FALSE(EcdsaVerifySha256(b.get(), "m", rs));
    ASSERT_OK_AND_ASSIGN(std::string pa, PublicPointOf(a.get()));
    ASSERT_OK_AND_ASSIGN(std::string pb, PublicPointOf(b.get()));
    ASSERT_OK_AND_ASSIGN(EvpPkeyPtr peer_a, PublicKeyFromPoint(curve, pa));
    ASSERT_OK_AND_ASSIGN(EvpPkeyPtr peer_b, PublicKeyFromPoint(curve, pb));
    ASSERT_OK_AND_ASSIGN(std::string ab, EcdhSharedX(a.get(), peer_b.get()));
    ASSERT_OK_AND_ASSIGN(std::string ba, EcdhSharedX(b.get(), peer_a.get()));
    EXPECT_EQ(ab, ba);
    EXPECT_EQ(ab.size(), 32u);
    ASSERT_OK_AND_ASSIGN(std::string d, PrivateScalarOf(a.get()));
    EXPECT_EQ(d.size(), 32u);
  }
}

TEST(EcPointAttribute, WrapAndUnwrap) {
  const std::string point = "\x04" + std::string(64, '\x5a');
  const std::string wrapped = WrapEcPoint(point);
  EXPECT_EQ(wrapped.substr(0, 3), std::string("\x04\x41\x04", 3));
  ASSERT_OK_AND_ASSIGN(std::string a, UnwrapEcPoint(wrapped));
  EXPECT_EQ(a, point);
  ASSERT_OK_AND_ASSIGN(std::string b, UnwrapEcPoint(point));
  EXPECT_EQ(b, point);
  EXPECT_THAT(UnwrapEcPoint("\x04\x21\x02" + std::string(32, '\x01')),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(UnwrapEcPoint(""), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ParsePrivateKey, PemDerAndGarbage) {
  EXPECT_THAT(ParsePrivateKey("-----BEGIN PRIVATE KEY-----\nAAAA\n"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParsePrivateKey(std::string("\x30\x03\x02\x01\x00", 5)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_OK_AND_ASSIGN(EvpPkeyPtr key, GenerateEcKey(Curve::kNistP256));
  unsigned char* der = nullptr;
  const int len = i2d_PrivateKey(key.get(), &der);
  ASSERT_GT(len, 0);
  auto parsed = ParsePrivateKey(std::string(reinterpret_cast<char*>(der), len));
  OPENSSL_free(der);
  ASSERT_THAT(parsed, testing::IsOk());
  EXPECT_EQ(*PublicPointOf(parsed->get()), *PublicPointOf(key.get()));
}

TEST(HexOf, LowerCase) { EXPECT_EQ(HexOf("\x01\xab"), "01ab"); }

}  // namespace
}  // namespace smdp::hsm::internal
