#include "sgp22/bsp/bsp_decoder.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sgp22/bsp/bsp_encoder.h"
#include "sgp22/bsp/bsp_format.h"
#include "sgp22/bsp/bsp_keys.h"
#include "sgp22/bsp/profile_protection.h"

namespace smdp::bsp {
namespace {

using ::testing::HasSubstr;

std::string Hex(absl::string_view bytes) {
  return absl::BytesToHexString(bytes);
}
std::string Bytes(absl::string_view hex) { return absl::HexStringToBytes(hex); }

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

BspKeys OtherKeys() {
  return KeysFrom("101112131415161718191a1b1c1d1e1f",
                  "202122232425262728292a2b2c2d2e2e",
                  "303132333435363738393a3b3c3d3e3f");
}

BspEncoder NewEncoder(const BspKeys& keys) {
  absl::StatusOr<BspEncoder> encoder = BspEncoder::Create(keys);
  EXPECT_TRUE(encoder.ok()) << encoder.status();
  return *std::move(encoder);
}

BspDecoder NewDecoder(const BspKeys& keys) {
  absl::StatusOr<BspDecoder> decoder = BspDecoder::Create(keys);
  EXPECT_TRUE(decoder.ok()) << decoder.status();
  return *std::move(decoder);
}

std::string Encrypted(uint8_t tag, absl::string_view data,
                      const BspKeys& keys = SessionKeys()) {
  BspEncoder encoder = NewEncoder(keys);
  std::string out;
  EXPECT_TRUE(encoder.AppendEncryptedSegments(tag, data, &out).ok());
  return out;
}

// One TLV over `padded` (already padded or deliberately not), made here with
// raw EVP calls rather than BspEncoder: AES-128-CBC under the ICV of
// `counter`, then the MAC over the keys' initial chaining value.
std::string RawEncryptedTlv(const BspKeys& keys, uint64_t counter, uint8_t tag,
                            absl::string_view padded) {
  unsigned char block[16] = {}, icv[16];
  for (int i = 0; i < 8; ++i) block[15 - i] = (counter >> (8 * i)) & 0xff;
  int len = 0;
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  EVP_EncryptInit_ex(ctx, EVP_aes_128_ecb(), nullptr, keys.enc.data(), nullptr);
  EVP_CIPHER_CTX_set_padding(ctx, 0);
  EVP_EncryptUpdate(ctx, icv, &len, block, 16);
  EVP_EncryptInit_ex(ctx, EVP_aes_128_cbc(), nullptr, keys.enc.data(), icv);
  EVP_CIPHER_CTX_set_padding(ctx, 0);
  std::string cipher(padded.size(), '\0');
  EVP_EncryptUpdate(ctx, reinterpret_cast<unsigned char*>(cipher.data()), &len,
                    reinterpret_cast<const unsigned char*>(padded.data()),
                    padded.size());
  EVP_CIPHER_CTX_free(ctx);

  const size_t body = padded.size() + kMacSize;
  std::string tlv(1, static_cast<char>(tag));
  if (body > 0xff) {
    tlv += '\x82';
    tlv += static_cast<char>(body >> 8);
  } else if (body >= 0x80) {
    tlv += '\x81';
  }
  tlv += static_cast<char>(body & 0xff);
  tlv += cipher;
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "CMAC", nullptr);
  EVP_MAC_CTX* mctx = EVP_MAC_CTX_new(mac);
  char cipher_name[] = "AES-128-CBC";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, cipher_name, 0),
      OSSL_PARAM_construct_end()};
  EVP_MAC_init(mctx, keys.mac.data(), 16, params);
  EVP_MAC_update(mctx, keys.initial_mac_chaining_value.data(), 16);
  EVP_MAC_update(mctx, reinterpret_cast<const unsigned char*>(tlv.data()),
                 tlv.size());
  unsigned char full[16];
  size_t out_len = 0;
  EVP_MAC_final(mctx, full, &out_len, sizeof(full));
  EVP_MAC_CTX_free(mctx);
  EVP_MAC_free(mac);
  tlv.append(reinterpret_cast<const char*>(full), kMacSize);
  return tlv;
}

TEST(BspDecoderTest, RoundTripsEveryBoundarySize) {
  for (size_t size : {1, 15, 16, 17, 1006, 1007, 1008, 1009, 2014, 2015,
                      100 * 1024, 1024 * 1024}) {
    SCOPED_TRACE(absl::StrCat("data size ", size));
    const std::string data = Data(size, 3);
    BspEncoder encoder = NewEncoder(SessionKeys());
    std::string seq86, seq88;
    ASSERT_TRUE(encoder.AppendEncryptedSegments(0x86, data, &seq86).ok());
    ASSERT_TRUE(encoder.AppendMacOnlySegments(0x88, data, &seq88).ok());

    BspDecoder decoder = NewDecoder(SessionKeys());
    absl::StatusOr<std::string> plain = decoder.DecryptSegments(0x86, seq86);
    ASSERT_TRUE(plain.ok()) << plain.status();
    EXPECT_TRUE(*plain == data);
    absl::StatusOr<std::string> maced =
        decoder.VerifyMacOnlySegments(0x88, seq88);
    ASSERT_TRUE(maced.ok()) << maced.status();
    EXPECT_TRUE(*maced == data);
    EXPECT_EQ(decoder.next_counter(), encoder.next_counter());
  }
}

TEST(BspDecoderTest, RoundTripsEmptyAndPaddingLikePlaintexts) {
  const std::string cases[] = {
      "",
      std::string("\x80", 1),
      std::string("\x80\x00", 2),
      std::string("abc\x80\x00\x00", 6),
      std::string(16, '\0'),
      std::string("0123456789abcde\x80", 16),
  };
  BspEncoder encoder = NewEncoder(SessionKeys());
  BspDecoder decoder = NewDecoder(SessionKeys());
  for (const std::string& plaintext : cases) {
    SCOPED_TRACE(Hex(plaintext));
    absl::StatusOr<std::string> tlv = encoder.EncryptAndMac(0x87, plaintext);
    ASSERT_TRUE(tlv.ok()) << tlv.status();
    absl::StatusOr<std::string> back = decoder.DecryptSegment(0x87, *tlv);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(Hex(*back), Hex(plaintext));
  }
}

// The third-party SM-DP+ segments kept in osmocom pySim's
// tests/unittests/test_esim_bsp.py (BSP_Test_mode51; see
// bsp_encoder_test.cc), decoded with the keys of that trace.
TEST(BspDecoderTest, DecodesThirdPartySmdpSegments) {
  BspDecoder decoder = NewDecoder(KeysFrom("472f5bfadd97f21d34f3ce9b51b92751",
                                           "9ec07f5b36a13e12a991d66e294e6242",
                                           "406d507b448a699e7a36a38494debbde"));
  absl::StatusOr<std::string> configure_isdp = decoder.DecryptSegment(
      0x87, Bytes("8718f6fe031e4b9cfe87c8e1e62f3fde85c49412d7722a6a2d89"));
  ASSERT_TRUE(configure_isdp.ok()) << configure_isdp.status();
  EXPECT_EQ(Hex(*configure_isdp), "bf2400");

  absl::StatusOr<std::string> metadata = decoder.VerifyMacOnlySegment(
      0x88,
      Bytes("8838bf252d5a0a98001032547698103214910947534d415f5445535492114753"
            "4d415f544553545f50524f46494c459501008a62cc9adbb5ccbc"));
  ASSERT_TRUE(metadata.ok()) << metadata.status();
  EXPECT_EQ(Hex(*metadata),
            "bf252d5a0a98001032547698103214910947534d415f54455354921147534d41"
            "5f544553545f50524f46494c45950100");

  absl::StatusOr<BspKeys> ppk = decoder.DecryptReplaceSessionKeys(
      Bytes("8748a14c800a001992351cd46ad2945654674369701d82b7b46567652bc8fbed"
            "234939fc57fba748015525fd6c651e9d3d1330652d42a0cfad950e912122af4e"
            "c5362d3c0bc535729c40"));
  ASSERT_TRUE(ppk.ok()) << ppk.status();
  EXPECT_EQ(Hex(ppk->enc_bytes()), "010102030405060708090a0b0c0d0e0f");
  EXPECT_EQ(Hex(ppk->mac_bytes()), "020102030405060708090a0b0c0d0e0f");
  EXPECT_EQ(Hex(ppk->initial_mac_chaining_value_bytes()),
            "000102030405060708090a0b0c0d0e0f");
}

TEST(UnprotectBppSequencesTest, FollowsReplaceSessionKeysToThePpk) {
  const std::string profile = Data(300 * 1024, 11);
  absl::StatusOr<ProtectedProfile> ppp = ProtectProfile(profile);
  ASSERT_TRUE(ppp.ok()) << ppp.status();

  BspEncoder session = NewEncoder(SessionKeys());
  std::string seq87, seq88, seq87b;
  ASSERT_TRUE(
      session.AppendEncryptedSegments(0x87, Bytes("bf2400"), &seq87).ok());
  ASSERT_TRUE(session.AppendMacOnlySegments(0x88, Data(1500, 4), &seq88).ok());
  ASSERT_TRUE(session.AppendReplaceSessionKeys(ppp->ppk, &seq87b).ok());

  absl::StatusOr<UnprotectedBpp> bpp =
      UnprotectBppSequences(SessionKeys(), seq87, seq88, seq87b, ppp->segments);
  ASSERT_TRUE(bpp.ok()) << bpp.status();
  EXPECT_EQ(Hex(bpp->configure_isdp), "bf2400");
  EXPECT_TRUE(bpp->store_metadata == Data(1500, 4));
  ASSERT_TRUE(bpp->ppk.has_value());
  EXPECT_EQ(bpp->ppk->enc_bytes(), ppp->ppk.enc_bytes());
  EXPECT_EQ(bpp->ppk->mac_bytes(), ppp->ppk.mac_bytes());
  EXPECT_EQ(bpp->ppk->initial_mac_chaining_value_bytes(),
            ppp->ppk.initial_mac_chaining_value_bytes());
  EXPECT_TRUE(bpp->profile == profile);

  // The same pre-protected segments bind to a second session unchanged.
  BspKeys second_session = OtherKeys();
  BspEncoder session2 = NewEncoder(second_session);
  std::string s87, s88, s87b;
  ASSERT_TRUE(
      session2.AppendEncryptedSegments(0x87, Bytes("bf2400"), &s87).ok());
  ASSERT_TRUE(session2.AppendMacOnlySegments(0x88, "meta", &s88).ok());
  ASSERT_TRUE(session2.AppendReplaceSessionKeys(ppp->ppk, &s87b).ok());
  absl::StatusOr<UnprotectedBpp> bpp2 =
      UnprotectBppSequences(second_session, s87, s88, s87b, ppp->segments);
  ASSERT_TRUE(bpp2.ok()) << bpp2.status();
  EXPECT_TRUE(bpp2->profile == profile);
}

TEST(UnprotectBppSequencesTest, WithoutPpkTheProfileUsesTheSessionKeys) {
  const std::string profile = Data(5000, 12);
  BspEncoder session = NewEncoder(SessionKeys());
  std::string seq87, seq88, seq86;
  ASSERT_TRUE(
      session.AppendEncryptedSegments(0x87, Bytes("bf2400"), &seq87).ok());
  ASSERT_TRUE(session.AppendMacOnlySegments(0x88, "metadata", &seq88).ok());
  ASSERT_TRUE(session.AppendEncryptedSegments(0x86, profile, &seq86).ok());
  absl::StatusOr<UnprotectedBpp> bpp =
      UnprotectBppSequences(SessionKeys(), seq87, seq88, std::nullopt, seq86);
  ASSERT_TRUE(bpp.ok()) << bpp.status();
  EXPECT_FALSE(bpp->ppk.has_value());
  EXPECT_EQ(bpp->store_metadata, "metadata");
  EXPECT_TRUE(bpp->profile == profile);
}

// ---- tampering and misuse ----

absl::Status DecodeStatus(const BspKeys& keys, uint8_t tag,
                          absl::string_view tlvs) {
  BspDecoder decoder = NewDecoder(keys);
  return tag == kTagMacOnly ? decoder.VerifyMacOnlySegments(tag, tlvs).status()
                            : decoder.DecryptSegments(tag, tlvs).status();
}

TEST(BspDecoderTamperTest, AnyFlippedByteIsDetected) {
  const std::string seq = Encrypted(0x86, Data(2100, 5));  // 3 TLVs
  ASSERT_TRUE(DecodeStatus(SessionKeys(), 0x86, seq).ok());
  // Ciphertext of the first, second and last TLV; MAC bytes; a padding block.
  for (size_t pos :
       {size_t{4}, size_t{500}, size_t{1011}, size_t{1012}, size_t{1019},
        size_t{1024}, size_t{2045}, seq.size() - 9, seq.size() - 1}) {
    SCOPED_TRACE(absl::StrCat("byte ", pos));
    std::string bad = seq;
    bad[pos] ^= 0x01;
    absl::Status status = DecodeStatus(SessionKeys(), 0x86, bad);
    EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
    EXPECT_THAT(status.message(), HasSubstr("MAC verification failed"));
  }
  // MAC-only data.
  std::string maced;
  BspEncoder encoder = NewEncoder(SessionKeys());
  ASSERT_TRUE(encoder.AppendMacOnlySegments(0x88, Data(100, 1), &maced).ok());
  maced[10] ^= 0x40;
  EXPECT_EQ(DecodeStatus(SessionKeys(), 0x88, maced).code(),
            absl::StatusCode::kDataLoss);
}

TEST(BspDecoderTamperTest, ReorderedDroppedOrReplayedSegmentsAreDetected) {
  const std::string seq = Encrypted(0x86, Data(3 * 1007, 6));
  ASSERT_EQ(seq.size(), 3 * kMaxSegmentSize);
  const std::string s0 = seq.substr(0, 1020), s1 = seq.substr(1020, 1020),
                    s2 = seq.substr(2040);
  for (const std::string& bad :
       {s1 + s0 + s2, s0 + s2, s1 + s2, s0 + s0 + s1, s0 + s1 + s2 + s2}) {
    absl::Status status = DecodeStatus(SessionKeys(), 0x86, bad);
    EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << status;
  }
}

TEST(BspDecoderTamperTest, WrongKeysAreDetected) {
  const std::string seq = Encrypted(0x86, Data(100, 7));
  EXPECT_EQ(DecodeStatus(OtherKeys(), 0x86, seq).code(),
            absl::StatusCode::kDataLoss);
  BspKeys wrong_mcv = SessionKeys();
  wrong_mcv.initial_mac_chaining_value[0] ^= 1;
  EXPECT_EQ(DecodeStatus(wrong_mcv, 0x86, seq).code(),
            absl::StatusCode::kDataLoss);
  // A right MAC key with a wrong ENC key passes the MAC, then the padding
  // check catches the garbage (with overwhelming probability).
  BspKeys wrong_enc = SessionKeys();
  wrong_enc.enc[0] ^= 1;
  absl::Status status = DecodeStatus(wrong_enc, 0x86, seq);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(status.message(), HasSubstr("padding"));
}

TEST(BspDecoderTamperTest, MalformedPaddingUnderAValidMacIsRejected) {
  const std::string no_marker(32, 'A');  // no 80 at all
  const std::string zeros(32, '\0');     // 16+ zeros
  const std::string late =
      std::string(15, 'A') + '\x80' + std::string(16, '\0');
  for (const std::string& padded : {no_marker, zeros, late}) {
    const std::string tlv = RawEncryptedTlv(SessionKeys(), 1, 0x87, padded);
    BspDecoder decoder = NewDecoder(SessionKeys());
    absl::Status status = decoder.DecryptSegment(0x87, tlv).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << Hex(padded);
    EXPECT_THAT(status.message(), HasSubstr("padding"));
  }
  // The same helper with proper padding is accepted: the cases above fail for
  // their padding alone.
  const std::string good =
      std::string(20, 'A') + '\x80' + std::string(11, '\0');
  BspDecoder decoder = NewDecoder(SessionKeys());
  absl::StatusOr<std::string> plain = decoder.DecryptSegment(
      0x87, RawEncryptedTlv(SessionKeys(), 1, 0x87, good));
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_EQ(*plain, std::string(20, 'A'));
}

TEST(BspDecoderMalformedTest, RejectsBadStructure) {
  const std::string one = Encrypted(0x86, "hello");        // 86 18 ...
  const std::string big = Encrypted(0x86, Data(1007, 0));  // 86 82 03 f8 ...
  std::string non_minimal = one;
  non_minimal.insert(1, "\x81");
  std::string non_minimal_82 = one;
  non_minimal_82.replace(1, 1, std::string("\x82\x00\x18", 3));
  std::string truncated = big.substr(0, 600);
  std::string indefinite = one;
  indefinite[1] = '\x80';
  struct Case {
    std::string name;
    uint8_t tag;
    std::string tlvs;
    const char* message;
  };
  const Case cases[] = {
      {"empty", 0x86, "", "no BSP TLV"},
      {"wrong tag", 0x87, one, "tag 86, expected 87"},
      {"non-minimal 81", 0x86, non_minimal, "non-minimal"},
      {"non-minimal 82", 0x86, non_minimal_82, "non-minimal"},
      {"indefinite", 0x86, indefinite, "unsupported length form 80"},
      {"truncated", 0x86, truncated, "exceeds the"},
      {"header only", 0x86, std::string("\x86", 1), "no length"},
      {"trailing byte", 0x86, one + std::string(1, '\0'), "has tag 00"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    absl::Status status = DecodeStatus(SessionKeys(), c.tag, c.tlvs);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
    EXPECT_THAT(status.message(), HasSubstr(c.message));
  }
}

TEST(BspDecoderMalformedTest, RejectsTagsOfTheWrongKind) {
  const std::string one = Encrypted(0x86, "hello");
  BspDecoder decoder = NewDecoder(SessionKeys());
  absl::Status status = decoder.DecryptSegments(0x88, one).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("not a BSP encrypted tag"));
  BspDecoder decoder2 = NewDecoder(SessionKeys());
  status = decoder2.VerifyMacOnlySegments(0x86, one).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("not a BSP MAC-only tag"));
}

TEST(BspDecoderMalformedTest, RejectsSegmentsOver1020Bytes) {
  // 1008 plaintext bytes pad to 1024: a 1036-byte TLV (as pySim's own
  // encrypt_and_mac makes), with a valid MAC but over the SGP.22 limit.
  const std::string padded = Data(1008, 0) + '\x80' + std::string(15, '\0');
  const std::string tlv = RawEncryptedTlv(SessionKeys(), 1, 0x86, padded);
  ASSERT_EQ(Hex(tlv.substr(0, 4)), "86820408");
  ASSERT_EQ(tlv.size(), 1036u);
  absl::Status status = DecodeStatus(SessionKeys(), 0x86, tlv);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("exceeds 1020"));
}

TEST(BspDecoderMalformedTest, RejectsEncryptedDataOfTheWrongSize) {
  // 86 0F: 7 bytes + MAC; 86 08: MAC only, no ciphertext.
  for (const std::string& tlv :
       {std::string("\x86\x0f", 2) + std::string(15, 'x'),
        std::string("\x86\x08", 2) + std::string(8, 'x')}) {
    absl::Status status = DecodeStatus(SessionKeys(), 0x86, tlv);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(status.message(), HasSubstr("multiple of 16"));
  }
  absl::Status status =
      DecodeStatus(SessionKeys(), 0x88, std::string("\x88\x07", 2) + "1234567");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("shorter than its MAC"));
}

TEST(BspDecoderMalformedTest, SingleSegmentCallsTakeExactlyOneTlv) {
  BspEncoder encoder = NewEncoder(SessionKeys());
  std::string two;
  ASSERT_TRUE(encoder.AppendEncrypted(0x87, "a", &two).ok());
  ASSERT_TRUE(encoder.AppendEncrypted(0x87, "b", &two).ok());
  BspDecoder decoder = NewDecoder(SessionKeys());
  absl::Status status = decoder.DecryptSegment(0x87, two).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("bytes after the BSP TLV"));
}

TEST(BspDecoderMalformedTest, ReplaceSessionKeysMustHoldExactlyTheKeys) {
  BspEncoder encoder = NewEncoder(SessionKeys());
  absl::StatusOr<std::string> configure_isdp =
      encoder.EncryptAndMac(0x87, Bytes("bf2400"));
  ASSERT_TRUE(configure_isdp.ok());
  BspDecoder decoder = NewDecoder(SessionKeys());
  absl::StatusOr<BspKeys> keys =
      decoder.DecryptReplaceSessionKeys(*configure_isdp);
  EXPECT_EQ(keys.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(keys.status().message(), HasSubstr("ReplaceSessionKeysRequest"));
}

TEST(BspDecoderMalformedTest, AnErrorLeavesTheDecoderUnusable) {
  const std::string seq = Encrypted(0x86, Data(2000, 8));
  std::string bad = seq;
  bad[100] ^= 1;
  BspDecoder decoder = NewDecoder(SessionKeys());
  EXPECT_EQ(decoder.DecryptSegments(0x86, bad).status().code(),
            absl::StatusCode::kDataLoss);
  absl::Status status = decoder.DecryptSegments(0x86, seq).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(), HasSubstr("out of step"));
}

}  // namespace
}  // namespace smdp::bsp
