#include "tests/euicc/internal/euicc_crypto.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <openssl/pem.h>

#include <cstdlib>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/euicc/internal/certificate_check.h"

namespace smdp::euicc::internal {
namespace {

std::string Hex(absl::string_view bytes) {
  return absl::BytesToHexString(bytes);
}
std::string Bytes(absl::string_view hex) { return absl::HexStringToBytes(hex); }

constexpr int kCurves[] = {NID_X9_62_prime256v1, NID_brainpoolP256r1};

// A random source that answers fixed bytes, then counts.
RandomBytesFn CountingRandom(std::string first) {
  auto state =
      std::make_shared<std::pair<std::string, int>>(std::move(first), 1);
  return [state](size_t n) -> absl::StatusOr<std::string> {
    if (!state->first.empty()) {
      std::string out = state->first.substr(0, n);
      state->first.erase(0, n);
      return out;
    }
    return std::string(n - 1, '\0') + static_cast<char>(state->second++);
  };
}

// ---- KDF ----

struct KdfVector {
  const char* shared_secret;
  const char* host_id;
  const char* eid;
  const char* initial_mcv;
  const char* s_enc;
  const char* s_mac;
};

// Known answers of osmocom pySim (tests/unittests/test_esim_bsp.py,
// BSP_Test_mode51, taken by pySim from a third-party SM-DP+'s log, and
// BSP_Test): an implementation independent of both this eUICC and the
// server.
constexpr KdfVector kKdfVectors[] = {
    {"c9a993dd4879a8f7161f2085410edd4f9652f1df37be097ba96ba2ca6be528fe",
     "8080808080808080", "89049032123451234512345678901235",
     "406d507b448a699e7a36a38494debbde", "472f5bfadd97f21d34f3ce9b51b92751",
     "9ec07f5b36a13e12a991d66e294e6242"},
    {"8902dca391bbb22570fe60c176076246f568b1941265dff1d729e63039658089",
     "8080808080808080", "89049032123451234512345678901335",
     "734bc93ddb10c71c5ad13d420dc08b5b", "d782d575b22a38334556a3d9a1e2ae6b",
     "a35addc192ae8f934e2932116c7e89e7"},
};

TEST(DeriveSessionKeysTest, MatchesPySimKnownAnswers) {
  for (const KdfVector& v : kKdfVectors) {
    SCOPED_TRACE(v.shared_secret);
    absl::StatusOr<SessionKeys> keys = DeriveSessionKeys(
        Bytes(v.shared_secret), Bytes(v.host_id), Bytes(v.eid));
    ASSERT_TRUE(keys.ok()) << keys.status();
    EXPECT_EQ(Hex(keys->initial_mcv), v.initial_mcv);
    EXPECT_EQ(Hex(keys->enc), v.s_enc);
    EXPECT_EQ(Hex(keys->mac), v.s_mac);
  }
}

TEST(DeriveSessionKeysTest, RefusesWrongSizes) {
  const std::string shs(32, '\x01');
  const std::string eid(16, '\x89');
  EXPECT_EQ(DeriveSessionKeys(shs.substr(1), "h", eid).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DeriveSessionKeys(shs, "", eid).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DeriveSessionKeys(shs, "h", eid.substr(1)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// ---- BSP segments ----

// The same third-party SM-DP+ trace: ConfigureISDP (87), StoreMetadata (88)
// and ReplaceSessionKeys (87), in that order, under the mode51 session keys.
constexpr char kTraceConfigureIsdp[] =
    "8718f6fe031e4b9cfe87c8e1e62f3fde85c49412d7722a6a2d89";
constexpr char kTraceStoreMetadata[] =
    "8838bf252d5a0a98001032547698103214910947534d415f5445535492114753"
    "4d415f544553545f50524f46494c459501008a62cc9adbb5ccbc";
constexpr char kTraceReplaceSessionKeys[] =
    "8748a14c800a001992351cd46ad2945654674369701d82b7b46567652bc8fbed"
    "234939fc57fba748015525fd6c651e9d3d1330652d42a0cfad950e912122af4e"
    "c5362d3c0bc535729c40";

SegmentOpener TraceOpener() {
  absl::StatusOr<SegmentOpener> opener = SegmentOpener::Create(
      Bytes(kKdfVectors[0].s_enc), Bytes(kKdfVectors[0].s_mac),
      Bytes(kKdfVectors[0].initial_mcv));
  EXPECT_TRUE(opener.ok()) << opener.status();
  return *std::move(opener);
}

TEST(SegmentOpenerTest, OpensThirdPartySmdpSegmentsInOrder) {
  SegmentOpener opener = TraceOpener();
  absl::StatusOr<std::string> configure =
      opener.Open(Bytes(kTraceConfigureIsdp), 0x87, true);
  ASSERT_TRUE(configure.ok()) << configure.status();
  EXPECT_EQ(Hex(*configure), "bf2400");

  absl::StatusOr<std::string> metadata =
      opener.Open(Bytes(kTraceStoreMetadata), 0x88, false);
  ASSERT_TRUE(metadata.ok()) << metadata.status();
  EXPECT_EQ(Hex(*metadata),
            "bf252d5a0a98001032547698103214910947534d415f54455354921147534d41"
            "5f544553545f50524f46494c45950100");

  absl::StatusOr<std::string> replace =
      opener.Open(Bytes(kTraceReplaceSessionKeys), 0x87, true);
  ASSERT_TRUE(replace.ok()) << replace.status();
  EXPECT_EQ(Hex(*replace),
            "bf2636"
            "8010000102030405060708090a0b0c0d0e0f"
            "8110010102030405060708090a0b0c0d0e0f"
            "8210020102030405060708090a0b0c0d0e0f");
  EXPECT_EQ(opener.next_counter(), 4u);
}

TEST(SegmentOpenerTest, MacChainMakesOrderMatter) {
  SegmentOpener opener = TraceOpener();
  // The 88 segment first: its MAC was computed on another chaining value.
  EXPECT_EQ(
      opener.Open(Bytes(kTraceStoreMetadata), 0x88, false).status().code(),
      absl::StatusCode::kDataLoss);
  // And the opener stays failed.
  EXPECT_EQ(opener.Open(Bytes(kTraceConfigureIsdp), 0x87, true).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(SegmentOpenerTest, EveryFlippedByteFailsTheMac) {
  const std::string tlv = Bytes(kTraceConfigureIsdp);
  for (size_t i = 2; i < tlv.size(); ++i) {
    SCOPED_TRACE(i);
    std::string bad = tlv;
    bad[i] ^= 0x40;
    SegmentOpener opener = TraceOpener();
    EXPECT_EQ(opener.Open(bad, 0x87, true).status().code(),
              absl::StatusCode::kDataLoss);
  }
}

TEST(SegmentOpenerTest, RefusesMalformedTlvsAsStructureErrors) {
  const std::string good = Bytes(kTraceConfigureIsdp);
  // Non-minimal length field (81 18).
  std::string long_form = good;
  long_form.replace(1, 1, Bytes("8118"));
  // Wrong tag, length mismatch, too large, not a block multiple.
  std::string wrong_tag = good;
  wrong_tag[0] = static_cast<char>(0x86);
  std::string truncated = good.substr(0, good.size() - 1);
  const std::string huge = Bytes("878203fe") + std::string(0x3fe, 'x');
  const std::string unaligned = Bytes("8709") + std::string(9, 'x');
  for (const std::string& tlv :
       {long_form, wrong_tag, truncated, huge, unaligned}) {
    SCOPED_TRACE(Hex(tlv.substr(0, 4)));
    SegmentOpener opener = TraceOpener();
    EXPECT_EQ(opener.Open(tlv, 0x87, true).status().code(),
              absl::StatusCode::kInvalidArgument);
  }
}

TEST(StripPaddingTest, AcceptsOneToSixteenBytesOnly) {
  EXPECT_EQ(*StripPadding(Bytes("0102800000")), Bytes("0102"));
  EXPECT_EQ(*StripPadding(Bytes("80000000000000000000000000000000")), "");
  EXPECT_EQ(*StripPadding(Bytes("0180")), Bytes("01"));
  EXPECT_FALSE(StripPadding(Bytes("0102000000")).ok());
  EXPECT_FALSE(StripPadding("").ok());
  EXPECT_FALSE(StripPadding(Bytes("8000000000000000000000000000000000")).ok());
}

// ---- ECDSA and ECDH ----

TEST(EcdsaTest, SignsAndVerifiesOnBothCurves) {
  for (int nid : kCurves) {
    SCOPED_TRACE(CurveNameOf(nid));
    absl::StatusOr<EvpPkeyPtr> key = GenerateKey(nid, CountingRandom(""));
    ASSERT_TRUE(key.ok()) << key.status();
    absl::StatusOr<std::string> rs = SignPlain(**key, "message");
    ASSERT_TRUE(rs.ok()) << rs.status();
    EXPECT_EQ(rs->size(), 64u);
    EXPECT_TRUE(VerifyPlain(**key, "message", *rs).ok());
    EXPECT_EQ(VerifyPlain(**key, "massage", *rs).code(),
              absl::StatusCode::kInvalidArgument);
    std::string bad = *rs;
    bad[40] ^= 1;
    EXPECT_EQ(VerifyPlain(**key, "message", bad).code(),
              absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(VerifyPlain(**key, "message", rs->substr(1)).code(),
              absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(VerifyPlain(**key, "message", std::string(64, '\0')).code(),
              absl::StatusCode::kInvalidArgument);
  }
}

TEST(EcdsaTest, PlainAndDerKeepLeadingZeros) {
  // r with a leading zero byte, s with its top bit set.
  const std::string rs =
      Bytes(
          "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff") +
      Bytes("f0112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
  absl::StatusOr<std::string> der = PlainToDerSignature(rs);
  ASSERT_TRUE(der.ok()) << der.status();
  // 30 L 02 1F (r without its zero) 02 21 00 (s with a sign byte).
  EXPECT_EQ(Hex(der->substr(0, 4)), "3044021f");
  absl::StatusOr<std::string> back = DerToPlainSignature(*der);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(Hex(*back), Hex(rs));
  EXPECT_FALSE(DerToPlainSignature(*der + "x").ok());
}

TEST(EcdhTest, BothSidesAgreeAndOffCurvePointsAreRefused) {
  for (int nid : kCurves) {
    SCOPED_TRACE(CurveNameOf(nid));
    absl::StatusOr<EvpPkeyPtr> a = GenerateKey(nid, CountingRandom(""));
    absl::StatusOr<EvpPkeyPtr> b =
        GenerateKey(nid, CountingRandom(std::string(39, '\0') + '\x07'));
    ASSERT_TRUE(a.ok() && b.ok());
    absl::StatusOr<std::string> a_point = PublicPoint(**a);
    absl::StatusOr<std::string> b_point = PublicPoint(**b);
    ASSERT_TRUE(a_point.ok() && b_point.ok());
    absl::StatusOr<EvpPkeyPtr> a_pub = PublicKeyFromPoint(nid, *a_point);
    absl::StatusOr<EvpPkeyPtr> b_pub = PublicKeyFromPoint(nid, *b_point);
    ASSERT_TRUE(a_pub.ok() && b_pub.ok()) << a_pub.status() << b_pub.status();
    absl::StatusOr<std::string> ab = Ecdh(**a, **b_pub);
    absl::StatusOr<std::string> ba = Ecdh(**b, **a_pub);
    ASSERT_TRUE(ab.ok() && ba.ok());
    EXPECT_EQ(*ab, *ba);
    EXPECT_NE(*a_point, *b_point);
    EXPECT_EQ(ab->size(), 32u);

    std::string off = *a_point;
    off.back() ^= 1;
    EXPECT_EQ(PublicKeyFromPoint(nid, off).status().code(),
              absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(PublicKeyFromPoint(nid, a_point->substr(0, 33)).status().code(),
              absl::StatusCode::kInvalidArgument);
  }
}

TEST(KeyTest, ScalarsAreReducedIntoRange) {
  // c = 0: d = 1, the public key is the generator of P-256.
  absl::StatusOr<EvpPkeyPtr> key =
      GenerateKey(NID_X9_62_prime256v1, CountingRandom(std::string(40, '\0')));
  ASSERT_TRUE(key.ok()) << key.status();
  absl::StatusOr<std::string> scalar = PrivateScalar(**key);
  ASSERT_TRUE(scalar.ok());
  EXPECT_EQ(*scalar, std::string(31, '\0') + '\x01');
  EXPECT_EQ(Hex(*PublicPoint(**key)),
            "046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296"
            "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5");
  // All ones (far above the order) still gives a valid key on both curves.
  for (int nid : kCurves) {
    EXPECT_TRUE(GenerateKey(nid, CountingRandom(std::string(40, '\xff'))).ok());
  }
  // The scalar round-trips.
  absl::StatusOr<EvpPkeyPtr> again =
      KeyFromPrivateScalar(NID_X9_62_prime256v1, *scalar);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*PublicPoint(**again), *PublicPoint(**key));
  EXPECT_EQ(KeyFromPrivateScalar(NID_X9_62_prime256v1, std::string(32, '\0'))
                .status()
                .code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(KeyFromPrivateScalar(NID_brainpoolP256r1, std::string(32, '\xff'))
                .status()
                .code(),
            absl::StatusCode::kOutOfRange);
}

TEST(KeyTest, ParsesSgp26StylePemEvenWithAStaleOpensslError) {
  // "EC PARAMETERS" then "EC PRIVATE KEY", as the SGP.26 key files.
  absl::StatusOr<EvpPkeyPtr> key =
      GenerateKey(NID_brainpoolP256r1, CountingRandom(""));
  ASSERT_TRUE(key.ok());
  BioPtr bio(BIO_new(BIO_s_mem()));
  ASSERT_EQ(PEM_write_bio_Parameters(bio.get(), key->get()), 1);
  ASSERT_EQ(PEM_write_bio_PrivateKey_traditional(bio.get(), key->get(), nullptr,
                                                 nullptr, 0, nullptr, nullptr),
            1);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  const std::string pem(data, static_cast<size_t>(len));
  ASSERT_THAT(pem, ::testing::StartsWith("-----BEGIN EC PARAMETERS-----"));

  ERR_raise(ERR_LIB_EVP, ERR_R_PASSED_NULL_PARAMETER);  // left by someone
  absl::StatusOr<EvpPkeyPtr> parsed = PrivateKeyFromPem(pem);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*PublicPoint(**parsed), *PublicPoint(**key));
  EXPECT_EQ(*PrivateScalar(**parsed), *PrivateScalar(**key));
  EXPECT_EQ(
      PrivateKeyFromPem("-----BEGIN EC PARAMETERS-----\n").status().code(),
      absl::StatusCode::kInvalidArgument);
}

// ---- certificates (SGP.26) ----

std::string ReadSgp26(const std::string& relative) {
  const char* dir = std::getenv("SMDP_SGP26_DIR");
  if (dir == nullptr) return "";
  FILE* f = std::fopen(absl::StrCat(dir, "/", relative).c_str(), "rb");
  if (f == nullptr) return "";
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) out.append(buf, n);
  std::fclose(f);
  return out;
}

const absl::Time kIn2025 = absl::FromCivil(
    absl::CivilSecond(2025, 6, 1, 0, 0, 0), absl::UTCTimeZone());

TEST(CheckServerCertificateTest, Sgp26DpAuthAndDpPb) {
  if (std::getenv("SMDP_SGP26_DIR") == nullptr) {
    GTEST_SKIP() << "SMDP_SGP26_DIR is not set";
  }
  const std::vector<int> both(std::begin(kCurves), std::end(kCurves));
  for (const char* c : {"NIST", "BRP"}) {
    SCOPED_TRACE(c);
    absl::StatusOr<TrustedCi> ci = TrustedCi::FromDer(
        ReadSgp26(absl::StrCat("CertificateIssuer/CERT_CI_ECDSA_", c, ".der")));
    ASSERT_TRUE(ci.ok()) << ci.status();
    const std::string dpauth =
        ReadSgp26(absl::StrCat("DPauth/CERT_S_SM_DPauth_ECDSA_", c, ".der"));
    const std::string dppb =
        ReadSgp26(absl::StrCat("DPpb/CERT_S_SM_DPpb_ECDSA_", c, ".der"));
    CertificateFailure failure;
    absl::StatusOr<ServerCertificate> ok = CheckServerCertificate(
        dpauth, *ci, kPolicyDpAuth, kIn2025, both, &failure);
    ASSERT_TRUE(ok.ok()) << ok.status();
    EXPECT_EQ(ok->smdp_oid, "2.999.10");
    EXPECT_TRUE(
        CheckServerCertificate(dppb, *ci, kPolicyDpPb, kIn2025, both, &failure)
            .ok());

    // The other role's policy.
    EXPECT_FALSE(CheckServerCertificate(dppb, *ci, kPolicyDpAuth, kIn2025, both,
                                        &failure)
                     .ok());
    EXPECT_EQ(failure, CertificateFailure::kInvalidOid);
    // After notAfter (2030-03-30) and before notBefore (2020-04-01).
    const absl::Time in2031 = kIn2025 + absl::Hours(24 * 365 * 6);
    EXPECT_FALSE(CheckServerCertificate(dpauth, *ci, kPolicyDpAuth, in2031,
                                        both, &failure)
                     .ok());
    EXPECT_EQ(failure, CertificateFailure::kInvalidCertificate);
    const absl::Time in2019 = kIn2025 - absl::Hours(24 * 365 * 6);
    EXPECT_FALSE(CheckServerCertificate(dpauth, *ci, kPolicyDpAuth, in2019,
                                        both, &failure)
                     .ok());
    EXPECT_EQ(failure, CertificateFailure::kInvalidCertificate);
    // A flipped bit in the signature.
    std::string bad = dpauth;
    bad[bad.size() - 5] ^= 1;
    EXPECT_FALSE(
        CheckServerCertificate(bad, *ci, kPolicyDpAuth, kIn2025, both, &failure)
            .ok());
    EXPECT_EQ(failure, CertificateFailure::kInvalidCertificate);
    // Trailing bytes.
    EXPECT_FALSE(CheckServerCertificate(dpauth + "x", *ci, kPolicyDpAuth,
                                        kIn2025, both, &failure)
                     .ok());
    EXPECT_EQ(failure, CertificateFailure::kInvalidCertificate);
  }
  // The CI of the other curve.
  absl::StatusOr<TrustedCi> brp_ci =
      TrustedCi::FromDer(ReadSgp26("CertificateIssuer/CERT_CI_ECDSA_BRP.der"));
  ASSERT_TRUE(brp_ci.ok());
  CertificateFailure failure;
  EXPECT_FALSE(CheckServerCertificate(
                   ReadSgp26("DPauth/CERT_S_SM_DPauth_ECDSA_NIST.der"), *brp_ci,
                   kPolicyDpAuth, kIn2025, both, &failure)
                   .ok());
  EXPECT_EQ(failure, CertificateFailure::kInvalidCertificate);
  // A curve the eUICC does not support.
  EXPECT_FALSE(CheckServerCertificate(
                   ReadSgp26("DPauth/CERT_S_SM_DPauth_ECDSA_BRP.der"), *brp_ci,
                   kPolicyDpAuth, kIn2025, {NID_X9_62_prime256v1}, &failure)
                   .ok());
  EXPECT_EQ(failure, CertificateFailure::kUnsupportedCurve);
}

}  // namespace
}  // namespace smdp::euicc::internal
