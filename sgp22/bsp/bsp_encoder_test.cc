#include "sgp22/bsp/bsp_encoder.h"

#include <openssl/sha.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sgp22/bsp/bsp_format.h"
#include "sgp22/bsp/bsp_keys.h"
#include "sgp22/bsp/profile_protection.h"

namespace smdp::bsp {
namespace {

using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

// ---------------------------------------------------------------------------
// Known answers.
//
// Made with osmocom pySim, an independent implementation of the BSP
// (https://github.com/osmocom/pysim, commit
// 597f1e0398bb81d6832dc92ee4dfdcada59d3d82, pySim/esim/bsp.py, class
// BspInstance), run outside this repository with Debian's python3 3.11,
// python3-cryptography 38.0.4 and python3-pycryptodome 3.11.0 (pyosmocom's
// bertlv_encode_len was stood in for by pySim's own pre-pyosmocom copy,
// pySim/utils.py at a3962b2^: minimal DER lengths).
//
// Inputs:
//   session keys  S-ENC 101112..1f, S-MAC 202122..2f, MCV 303132..3f
//   PPK           PPK-ENC 404142..4f, PPK-MAC 505152..5f, MCV 606162..6f
//   data(n, seed) n bytes, byte i = (i * 131 + seed) & 0xff
// Each vector starts from a fresh BspInstance(S-ENC, S-MAC, MCV).
//   * single 86 segments: encrypt_and_mac_one(0x86, data(n, 1));
//   * segmented 86: encrypt_and_mac_one(0x86, chunk) for each 1007-byte chunk
//     of data(n, 2). (pySim's own encrypt_and_mac splits at 1008 plaintext
//     bytes, which makes 1036-byte segments, over the 1020-byte limit; the
//     third-party SM-DP+ trace in pySim's tests splits at 1007, as we do.)
//   * 88: mac_only(0x88, data(n, 3)) (splits at 1008).
//   * BPP stream: encrypt_and_mac(0x87, bf2400), mac_only(0x88,
//     data(1500, 4)), encrypt_and_mac(0x87, BF26 36 80 10 <PPK MCV> 81 10
//     <PPK-ENC> 82 10 <PPK-MAC>), then a new BspInstance(PPK-ENC, PPK-MAC,
//     PPK MCV) and encrypt_and_mac_one(0x86, chunk) per 1007-byte chunk of
//     data(3000, 5).
// Long outputs are given as their SHA-256.
// ---------------------------------------------------------------------------

std::string Hex(absl::string_view bytes) {
  return absl::BytesToHexString(bytes);
}
std::string Bytes(absl::string_view hex) { return absl::HexStringToBytes(hex); }

std::string Sha256Hex(absl::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(),
         digest);
  return Hex(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

std::string Data(size_t n, int seed) {
  std::string out(n, '\0');
  for (size_t i = 0; i < n; ++i) {
    out[i] = static_cast<char>((i * 131 + seed) & 0xff);
  }
  return out;
}

BspKeys KeysFrom(absl::string_view enc, absl::string_view mac,
                 absl::string_view mcv) {
  absl::StatusOr<BspKeys> keys =
      BspKeys::FromBytes(Bytes(enc), Bytes(mac), Bytes(mcv));
  EXPECT_TRUE(keys.ok()) << keys.status();
  return keys.ok() ? *keys : BspKeys();
}

BspKeys SessionKeys() {
  return KeysFrom("101112131415161718191a1b1c1d1e1f",
                  "202122232425262728292a2b2c2d2e2f",
                  "303132333435363738393a3b3c3d3e3f");
}

BspKeys Ppk() {
  return KeysFrom("404142434445464748494a4b4c4d4e4f",
                  "505152535455565758595a5b5c5d5e5f",
                  "606162636465666768696a6b6c6d6e6f");
}

BspEncoder NewEncoder(const BspKeys& keys) {
  absl::StatusOr<BspEncoder> encoder = BspEncoder::Create(keys);
  EXPECT_TRUE(encoder.ok()) << encoder.status();
  return *std::move(encoder);
}

TEST(BspEncoderKatTest, SingleEncryptedSegment) {
  struct Vector {
    size_t size;
    const char* hex;  // full TLV, or empty when sha256 is given
    const char* sha256;
  };
  const Vector vectors[] = {
      {0, "86189fc646cbd81fd8e676a4074de8bf1cf5c48530ab2b1ea292", ""},
      {1, "86180f7091c1cd9fe800f33f545340769f00a8964ffb003b8283", ""},
      {15, "8618be164f342a955584e6aa909b5f330d44f5b26f6ae06e29b8", ""},
      {16,
       "86282bfa38add10d6b1ba979375a1e76710e33185321b734a7f1b36e849f67d7752745"
       "58887495c13d73",
       ""},
      {1006, "",
       "752a748b4a7180802331bab6090de1db47d6fe9415d602e78307cbfe7697db20"},
      {1007, "",
       "1e24d6e91279ffa5bfb15f3c10710c707ab19313080420c9505947db02e6904f"},
  };
  for (const Vector& v : vectors) {
    SCOPED_TRACE(absl::StrCat("plaintext size ", v.size));
    BspEncoder encoder = NewEncoder(SessionKeys());
    absl::StatusOr<std::string> tlv =
        encoder.EncryptAndMac(kTagProfileSegment, Data(v.size, 1));
    ASSERT_TRUE(tlv.ok()) << tlv.status();
    EXPECT_EQ(tlv->size(), EncryptedSegmentSize(v.size));
    if (*v.hex != '\0') {
      EXPECT_EQ(Hex(*tlv), v.hex);
    } else {
      EXPECT_EQ(tlv->size(), kMaxSegmentSize);
      EXPECT_EQ(Hex(tlv->substr(0, 4)), "868203f8");
      EXPECT_EQ(Sha256Hex(*tlv), v.sha256);
    }
    EXPECT_EQ(encoder.next_counter(), 2u);
  }
}

TEST(BspEncoderKatTest, SegmentedEncryption) {
  struct Vector {
    size_t size;
    std::vector<size_t> segment_sizes;
    const char* sha256;
  };
  const Vector vectors[] = {
      {1008,
       {1020, 26},
       "cc56fd4686fda621798a1de49501411ad758fb426572152a995cb6aef47d7bd5"},
      {2000,
       {1020, 1020},
       "dbfa38d5480592e9a4311771e8be4e5b20bf59d44af075deecfc7526a125d992"},
      {2014,
       {1020, 1020},
       "58ce5625194b4e496f915523895e2712880ff8253193bc82c47cd37b8ee12e07"},
      {2015,
       {1020, 1020, 26},
       "3322d71683c823df274cd1d6f71fff0cecfdcad2565cb6e849e70a2506c94bf8"},
  };
  for (const Vector& v : vectors) {
    SCOPED_TRACE(absl::StrCat("data size ", v.size));
    BspEncoder appender = NewEncoder(SessionKeys());
    std::string joined = "prefix";
    ASSERT_TRUE(appender
                    .AppendEncryptedSegments(kTagProfileSegment,
                                             Data(v.size, 2), &joined)
                    .ok());
    ASSERT_EQ(joined.substr(0, 6), "prefix");
    joined.erase(0, 6);
    EXPECT_EQ(Sha256Hex(joined), v.sha256);
    EXPECT_EQ(joined.size(), EncryptedSegmentsSize(v.size));
    EXPECT_EQ(appender.next_counter(), 1 + v.segment_sizes.size());

    BspEncoder splitter = NewEncoder(SessionKeys());
    absl::StatusOr<std::vector<std::string>> segments =
        splitter.SegmentAndEncrypt(kTagProfileSegment, Data(v.size, 2));
    ASSERT_TRUE(segments.ok()) << segments.status();
    std::vector<size_t> sizes;
    std::string concatenated;
    for (const std::string& s : *segments) {
      sizes.push_back(s.size());
      concatenated += s;
    }
    EXPECT_THAT(sizes, ElementsAreArray(v.segment_sizes));
    EXPECT_EQ(concatenated, joined);
  }
}

TEST(BspEncoderKatTest, MacOnly) {
  struct Vector {
    size_t size;
    std::vector<size_t> segment_sizes;
    const char* hex;
    const char* sha256;
  };
  const Vector vectors[] = {
      {1, {11}, "880903bf71579207bf95c1", ""},
      {100,
       {110},
       "886c0386098c0f9215981b9e21a427aa2db033b639bc3fc245c84bce51d457da5de063"
       "e669ec6ff275f87bfe8104870a8d109316991c9f22a528ab2eb134b73abd40c346c94c"
       "cf52d558db5ee164e76aed70f376f97cff8205880b8e1194179a1da023a629acac2fe6"
       "915df6ab2f",
       ""},
      {1008,
       {1020},
       "",
       "b17519d49ddff094250291cc4cd9bb38a8b533e4ca7bff5697e7d7fb9abb143a"},
      {1009,
       {1020, 11},
       "",
       "33e3d215a4ba5c51dcace3a7f62bed032fddc75c2a955ae5dd2e891f5a489e9f"},
      {2000,
       {1020, 1004},
       "",
       "aa186d5e704f32eb669232dab3a8f78dd006710ad3638093d6f1b10e8303275d"},
  };
  for (const Vector& v : vectors) {
    SCOPED_TRACE(absl::StrCat("data size ", v.size));
    BspEncoder encoder = NewEncoder(SessionKeys());
    absl::StatusOr<std::vector<std::string>> segments =
        encoder.SegmentAndMac(kTagMacOnly, Data(v.size, 3));
    ASSERT_TRUE(segments.ok()) << segments.status();
    std::vector<size_t> sizes;
    std::string joined;
    for (const std::string& s : *segments) {
      sizes.push_back(s.size());
      joined += s;
    }
    EXPECT_THAT(sizes, ElementsAreArray(v.segment_sizes));
    EXPECT_EQ(joined.size(), MacOnlySegmentsSize(v.size));
    if (*v.hex != '\0') {
      EXPECT_EQ(Hex(joined), v.hex);
    } else {
      EXPECT_EQ(Sha256Hex(joined), v.sha256);
    }
  }
}

TEST(BspEncoderKatTest, BoundProfilePackageStreamWithPpk) {
  BspEncoder session = NewEncoder(SessionKeys());
  std::string seq87, seq88, seq87b;
  ASSERT_TRUE(session
                  .AppendEncryptedSegments(kTagEncryptedCommand,
                                           Bytes("bf2400"), &seq87)
                  .ok());
  ASSERT_TRUE(
      session.AppendMacOnlySegments(kTagMacOnly, Data(1500, 4), &seq88).ok());
  ASSERT_TRUE(session.AppendReplaceSessionKeys(Ppk(), &seq87b).ok());
  EXPECT_EQ(session.next_counter(), 5u);  // 87, 88, 88, 87

  absl::StatusOr<ProtectedProfile> ppp =
      ProtectProfileWithKeys(Ppk(), Data(3000, 5));
  ASSERT_TRUE(ppp.ok()) << ppp.status();

  EXPECT_EQ(Hex(seq87), "87184b1448616e13e7e460d74d27756b5f22589a30175bcbd130");
  EXPECT_EQ(seq88.size(), 1020u + 504u);
  EXPECT_EQ(Sha256Hex(seq88),
            "17729253b0abf14e3bf06389adf610044d401d072345055d8a190ebc341ee93a");
  EXPECT_EQ(Hex(seq87b),
            "8748366c74817431aaa2923836d6f85932207215685a2b2d4cb57322088495af43"
            "8e242ae1aedc466a2753c409ec0924c4f8d96fbf6ea3fa5d774f50247e17d4c6e3"
            "6ab0906965aa448a");
  EXPECT_EQ(ppp->segments.size(), 1020u + 1020u + 1004u);
  EXPECT_EQ(ppp->segment_count, 3u);
  EXPECT_EQ(ppp->profile_size, 3000u);
  EXPECT_EQ(Sha256Hex(ppp->segments),
            "79b5c9d0b3421f495aaced1cf7e7b1f21006fd45825c0a0a8f7c81f167122df2");
}

// Segments of a third-party SM-DP+, as logged in pySim's
// tests/unittests/test_esim_bsp.py (BSP_Test_mode51, same pySim commit) and
// recomputed there with pySim: session keys from the KDF of that trace,
// ConfigureISDP, StoreMetadata, then ReplaceSessionKeys with PPK-ENC
// 01010203..0f, PPK-MAC 02010203..0f and MCV 00010203..0f.
TEST(BspEncoderKatTest, ThirdPartySmdpTrace) {
  BspEncoder session = NewEncoder(KeysFrom("472f5bfadd97f21d34f3ce9b51b92751",
                                           "9ec07f5b36a13e12a991d66e294e6242",
                                           "406d507b448a699e7a36a38494debbde"));
  absl::StatusOr<std::string> configure_isdp =
      session.EncryptAndMac(kTagEncryptedCommand, Bytes("bf2400"));
  ASSERT_TRUE(configure_isdp.ok()) << configure_isdp.status();
  EXPECT_EQ(Hex(*configure_isdp),
            "8718f6fe031e4b9cfe87c8e1e62f3fde85c49412d7722a6a2d89");

  absl::StatusOr<std::string> metadata = session.MacOnly(
      kTagMacOnly,
      Bytes("bf252d5a0a98001032547698103214910947534d415f54455354921147534d41"
            "5f544553545f50524f46494c45950100"));
  ASSERT_TRUE(metadata.ok()) << metadata.status();
  EXPECT_EQ(Hex(*metadata),
            "8838bf252d5a0a98001032547698103214910947534d415f544553549211475"
            "34d415f544553545f50524f46494c459501008a62cc9adbb5ccbc");

  std::string replace;
  ASSERT_TRUE(session
                  .AppendReplaceSessionKeys(
                      KeysFrom("010102030405060708090a0b0c0d0e0f",
                               "020102030405060708090a0b0c0d0e0f",
                               "000102030405060708090a0b0c0d0e0f"),
                      &replace)
                  .ok());
  EXPECT_EQ(Hex(replace),
            "8748a14c800a001992351cd46ad2945654674369701d82b7b46567652bc8fbed23"
            "4939fc57fba748015525fd6c651e9d3d1330652d42a0cfad950e912122af4ec536"
            "2d3c0bc535729c40");
}

// ---------------------------------------------------------------------------
// Structure and API behaviour.
// ---------------------------------------------------------------------------

// Walks a concatenation of TLVs; returns each one's (header size, body size).
std::vector<std::pair<size_t, size_t>> SplitTlvs(absl::string_view tlvs,
                                                 uint8_t tag) {
  std::vector<std::pair<size_t, size_t>> out;
  while (!tlvs.empty()) {
    EXPECT_EQ(static_cast<uint8_t>(tlvs[0]), tag);
    const auto b1 = static_cast<uint8_t>(tlvs[1]);
    size_t head, body;
    if (b1 < 0x80) {
      head = 2, body = b1;
    } else if (b1 == 0x81) {
      head = 3, body = static_cast<uint8_t>(tlvs[2]);
      EXPECT_GE(body, 0x80u);
    } else {
      EXPECT_EQ(b1, 0x82);
      head = 4;
      body = static_cast<size_t>(static_cast<uint8_t>(tlvs[2])) << 8 |
             static_cast<uint8_t>(tlvs[3]);
      EXPECT_GT(body, 0xffu);
    }
    out.emplace_back(head, body);
    tlvs.remove_prefix(std::min(tlvs.size(), head + body));
  }
  return out;
}

TEST(BspEncoderTest, EverySegmentFitsIn1020Bytes) {
  for (size_t size : {1, 15, 16, 100, 111, 112, 200, 239, 240, 1006, 1007, 1008,
                      1009, 2014, 2015, 100 * 1024, 1024 * 1024}) {
    SCOPED_TRACE(absl::StrCat("data size ", size));
    BspEncoder encoder = NewEncoder(SessionKeys());
    std::string encrypted;
    ASSERT_TRUE(encoder
                    .AppendEncryptedSegments(kTagProfileSegment, Data(size, 7),
                                             &encrypted)
                    .ok());
    EXPECT_EQ(encrypted.size(), EncryptedSegmentsSize(size));
    auto tlvs = SplitTlvs(encrypted, kTagProfileSegment);
    ASSERT_EQ(tlvs.size(), EncryptedSegmentCount(size));
    for (size_t i = 0; i < tlvs.size(); ++i) {
      const auto [head, body] = tlvs[i];
      EXPECT_LE(head + body, kMaxSegmentSize);
      EXPECT_EQ((body - kMacSize) % kBlockSize, 0u);
      if (i + 1 < tlvs.size()) {
        EXPECT_EQ(head + body, kMaxSegmentSize);
      }
    }

    std::string maced;
    ASSERT_TRUE(
        encoder.AppendMacOnlySegments(kTagMacOnly, Data(size, 7), &maced).ok());
    EXPECT_EQ(maced.size(), MacOnlySegmentsSize(size));
    auto macs = SplitTlvs(maced, kTagMacOnly);
    ASSERT_EQ(macs.size(), MacOnlySegmentCount(size));
    for (const auto& [head, body] : macs) {
      EXPECT_LE(head + body, kMaxSegmentSize);
    }
    EXPECT_EQ(encoder.next_counter(), 1 + tlvs.size() + macs.size());
  }
}

TEST(BspEncoderTest, LengthFieldIsMinimalDer) {
  BspEncoder encoder = NewEncoder(SessionKeys());
  // body 16 + 8 = 24 -> 18; 112 + 16 + 8 = 136 -> 81 88; 1008 + 8 -> 82 03 f8
  absl::StatusOr<std::string> a = encoder.EncryptAndMac(0x87, Data(15, 0));
  absl::StatusOr<std::string> b = encoder.EncryptAndMac(0x87, Data(112, 0));
  absl::StatusOr<std::string> c = encoder.EncryptAndMac(0x87, Data(1000, 0));
  absl::StatusOr<std::string> d = encoder.MacOnly(0x88, Data(119, 0));
  absl::StatusOr<std::string> e = encoder.MacOnly(0x88, Data(120, 0));
  ASSERT_TRUE(a.ok() && b.ok() && c.ok() && d.ok() && e.ok());
  EXPECT_EQ(Hex(a->substr(0, 2)), "8718");
  EXPECT_EQ(Hex(b->substr(0, 3)), "878188");
  EXPECT_EQ(Hex(c->substr(0, 4)), "878203f8");
  EXPECT_EQ(Hex(d->substr(0, 2)), "887f");
  EXPECT_EQ(Hex(e->substr(0, 3)), "888180");
}

TEST(BspEncoderTest, AppendAndReturnFormsAgree) {
  BspEncoder a = NewEncoder(SessionKeys());
  BspEncoder b = NewEncoder(SessionKeys());
  std::string appended;
  ASSERT_TRUE(a.AppendEncrypted(0x87, "hello", &appended).ok());
  ASSERT_TRUE(a.AppendMacOnly(0x88, "world", &appended).ok());
  absl::StatusOr<std::string> x = b.EncryptAndMac(0x87, "hello");
  absl::StatusOr<std::string> y = b.MacOnly(0x88, "world");
  ASSERT_TRUE(x.ok() && y.ok());
  EXPECT_EQ(appended, *x + *y);
}

TEST(BspEncoderTest, EmptyDataMakesNoSegments) {
  BspEncoder encoder = NewEncoder(SessionKeys());
  std::string out;
  ASSERT_TRUE(encoder.AppendEncryptedSegments(0x86, "", &out).ok());
  ASSERT_TRUE(encoder.AppendMacOnlySegments(0x88, "", &out).ok());
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(encoder.next_counter(), 1u);
  absl::StatusOr<std::vector<std::string>> none =
      encoder.SegmentAndEncrypt(0x86, "");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST(BspEncoderTest, RejectsWrongTagsAndSizesWithoutSideEffects) {
  BspEncoder encoder = NewEncoder(SessionKeys());
  std::string out = "keep";
  struct Case {
    absl::Status status;
    const char* message;
  };
  const Case cases[] = {
      {encoder.AppendEncrypted(0x88, "x", &out), "not an encrypted BSP tag"},
      {encoder.AppendEncrypted(0x85, "x", &out), "not an encrypted BSP tag"},
      {encoder.AppendMacOnly(0x87, "x", &out), "not the MAC-only BSP tag"},
      {encoder.AppendEncryptedSegments(0x88, "x", &out),
       "not an encrypted BSP tag"},
      {encoder.AppendMacOnlySegments(0x86, "x", &out),
       "not the MAC-only BSP tag"},
      {encoder.AppendEncrypted(0x86, Data(1008, 0), &out), "at most 1007"},
      {encoder.AppendMacOnly(0x88, Data(1009, 0), &out), "at most 1008"},
      {encoder.SegmentAndEncrypt(0x88, "x").status(),
       "not an encrypted BSP tag"},
      {encoder.SegmentAndMac(0x87, "x").status(), "not the MAC-only BSP tag"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(c.status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(c.status.message(), HasSubstr(c.message));
  }
  EXPECT_EQ(out, "keep");
  EXPECT_EQ(encoder.next_counter(), 1u);
  // The encoder is still in step with a fresh one.
  BspEncoder fresh = NewEncoder(SessionKeys());
  EXPECT_EQ(*encoder.EncryptAndMac(0x86, "abc"),
            *fresh.EncryptAndMac(0x86, "abc"));
}

TEST(BspEncoderTest, MovedFromEncoderFailsCleanly) {
  BspEncoder encoder = NewEncoder(SessionKeys());
  BspEncoder moved = std::move(encoder);
  std::string out;
  // NOLINTNEXTLINE(bugprone-use-after-move): testing exactly that.
  absl::Status status = encoder.AppendEncrypted(0x86, "x", &out);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(moved.AppendEncrypted(0x86, "x", &out).ok());
}

TEST(ProtectProfileTest, SegmentsAreWhatTheSessionEncoderWouldMakeWithThePpk) {
  const std::string profile = Data(5000, 9);
  absl::StatusOr<ProtectedProfile> ppp = ProtectProfile(profile);
  ASSERT_TRUE(ppp.ok()) << ppp.status();
  EXPECT_EQ(ppp->segment_count, 5u);
  EXPECT_EQ(ppp->profile_size, profile.size());
  EXPECT_EQ(ppp->segments.size(), EncryptedSegmentsSize(profile.size()));

  BspEncoder with_ppk = NewEncoder(ppp->ppk);
  std::string expected;
  ASSERT_TRUE(with_ppk.AppendEncryptedSegments(0x86, profile, &expected).ok());
  EXPECT_EQ(ppp->segments, expected);

  // A second protection draws a new PPK.
  absl::StatusOr<ProtectedProfile> again = ProtectProfile(profile);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_NE(again->ppk.enc_bytes(), ppp->ppk.enc_bytes());
  EXPECT_NE(again->segments, ppp->segments);
}

TEST(ProtectProfileTest, RejectsAnEmptyProfile) {
  EXPECT_EQ(ProtectProfile("").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ProtectProfileWithKeys(Ppk(), "").status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace smdp::bsp
