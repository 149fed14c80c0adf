#include "smdp/http/internal/tls_identity_choice.h"

#include <openssl/obj_mac.h>

#include "gtest/gtest.h"

namespace smdp::http::internal {
namespace {

constexpr uint16_t kX25519 = 29;
constexpr uint16_t kP256 = 23;
constexpr uint16_t kBrainpool = 26;
constexpr uint16_t kBrainpoolTls13 = 31;
constexpr uint16_t kEcdsaSha256 = 0x0403;
constexpr uint16_t kRsaPssSha256 = 0x0804;
constexpr uint16_t kEcdsaBrainpoolTls13 = 0x081A;

const IdentityTraits kNist{NID_X9_62_prime256v1, {"smdp.example.com"}};
const IdentityTraits kBrp{NID_brainpoolP256r1, {"smdp.example.com"}};
const IdentityTraits kOtherName{NID_X9_62_prime256v1, {"*.other.example"}};

// An OpenSSL 3.0 client with its default groups (no brainpool), 1.2 and 1.3.
ClientOffer DefaultClient() {
  ClientOffer offer;
  offer.server_name = "smdp.example.com";
  offer.tls12 = true;
  offer.tls13 = true;
  offer.groups = std::vector<uint16_t>{kX25519, kP256, 30, 25, 24};
  offer.sigalgs = std::vector<uint16_t>{kEcdsaSha256, 0x0503, kRsaPssSha256};
  return offer;
}

TEST(ChooseTlsIdentityTest, SingleIdentityIsAlwaysIt) {
  const IdentityChoice c = ChooseTlsIdentity(DefaultClient(), {kBrp}, false);
  EXPECT_EQ(c.index, 0u);
  EXPECT_FALSE(c.cap_at_tls12);  // Not acceptable: nothing to cap for.
}

TEST(ChooseTlsIdentityTest, DefaultClientGetsNistWhateverTheOrder) {
  EXPECT_EQ(ChooseTlsIdentity(DefaultClient(), {kNist, kBrp}, false).index, 0u);
  const IdentityChoice c =
      ChooseTlsIdentity(DefaultClient(), {kBrp, kNist}, false);
  EXPECT_EQ(c.index, 1u);
  EXPECT_FALSE(c.cap_at_tls12);
}

TEST(ChooseTlsIdentityTest, BrainpoolOnlyClientGetsBrainpoolCappedAtTls12) {
  ClientOffer offer = DefaultClient();
  offer.groups = std::vector<uint16_t>{kBrainpool};
  const IdentityChoice c = ChooseTlsIdentity(offer, {kNist, kBrp}, false);
  EXPECT_EQ(c.index, 1u);
  EXPECT_TRUE(c.cap_at_tls12);
  // A TLS 1.2-only client: nothing to cap.
  offer.tls13 = false;
  EXPECT_EQ(ChooseTlsIdentity(offer, {kNist, kBrp}, false).index, 1u);
  EXPECT_FALSE(ChooseTlsIdentity(offer, {kNist, kBrp}, false).cap_at_tls12);
}

TEST(ChooseTlsIdentityTest, ClientGroupOrderIsItsPreference) {
  ClientOffer offer = DefaultClient();
  offer.groups = std::vector<uint16_t>{kX25519, kBrainpool, kP256};
  EXPECT_EQ(ChooseTlsIdentity(offer, {kNist, kBrp}, false).index, 1u);
  offer.groups = std::vector<uint16_t>{kX25519, kP256, kBrainpool};
  EXPECT_EQ(ChooseTlsIdentity(offer, {kNist, kBrp}, false).index, 0u);
}

TEST(ChooseTlsIdentityTest, NoGroupsExtensionMeansListenerOrder) {
  ClientOffer offer = DefaultClient();
  offer.tls13 = false;
  offer.groups.reset();
  EXPECT_EQ(ChooseTlsIdentity(offer, {kBrp, kNist}, false).index, 0u);
  EXPECT_EQ(ChooseTlsIdentity(offer, {kNist, kBrp}, false).index, 0u);
}

TEST(ChooseTlsIdentityTest, Tls13OnlyBrainpoolClient) {
  // RFC 8734: brainpoolP256r1tls13 and its signature scheme.
  ClientOffer offer = DefaultClient();
  offer.tls12 = false;
  offer.groups = std::vector<uint16_t>{kBrainpoolTls13};
  offer.sigalgs = std::vector<uint16_t>{kEcdsaBrainpoolTls13};
  // Where OpenSSL signs it: brainpool over TLS 1.3.
  IdentityChoice c = ChooseTlsIdentity(offer, {kNist, kBrp}, true);
  EXPECT_EQ(c.index, 1u);
  EXPECT_FALSE(c.cap_at_tls12);
  // OpenSSL 3.0: nothing fits, the first.
  c = ChooseTlsIdentity(offer, {kNist, kBrp}, false);
  EXPECT_EQ(c.index, 0u);
  EXPECT_FALSE(c.cap_at_tls12);
}

TEST(ChooseTlsIdentityTest, Tls13ClientWithoutP256GroupStillTakesNist) {
  // In TLS 1.3 the certificate's curve follows the signature scheme, not
  // supported_groups.
  ClientOffer offer = DefaultClient();
  offer.groups = std::vector<uint16_t>{kX25519};
  EXPECT_EQ(ChooseTlsIdentity(offer, {kBrp, kNist}, false).index, 1u);
}

TEST(ChooseTlsIdentityTest, Tls12WithoutEcdsaSha256AcceptsNone) {
  ClientOffer offer = DefaultClient();
  offer.tls13 = false;
  offer.sigalgs = std::vector<uint16_t>{kRsaPssSha256};
  EXPECT_EQ(ChooseTlsIdentity(offer, {kBrp, kNist}, false).index, 0u);
}

TEST(ChooseTlsIdentityTest, SniNarrowsTheChoice) {
  ClientOffer offer = DefaultClient();
  offer.server_name = "es9.other.example";
  EXPECT_EQ(ChooseTlsIdentity(offer, {kNist, kBrp, kOtherName}, false).index,
            2u);
  // A name no certificate carries: every identity competes.
  offer.server_name = "unknown.example";
  EXPECT_EQ(ChooseTlsIdentity(offer, {kOtherName, kNist}, false).index, 0u);
  offer.server_name = "";
  EXPECT_EQ(ChooseTlsIdentity(offer, {kOtherName, kNist}, false).index, 0u);
  // The named identities compete on curves among themselves.
  offer.server_name = "smdp.example.com";
  offer.groups = std::vector<uint16_t>{kBrainpool};
  EXPECT_EQ(ChooseTlsIdentity(offer, {kOtherName, kNist, kBrp}, false).index,
            2u);
}

TEST(ChooseTlsIdentityTest, UnknownCurveComesAfterKnownOnes) {
  const IdentityTraits unknown{NID_undef, {}};
  EXPECT_EQ(ChooseTlsIdentity(DefaultClient(), {unknown, kNist}, false).index,
            1u);
}

TEST(DnsNameMatchesTest, ExactAndOneLabelWildcard) {
  EXPECT_TRUE(DnsNameMatches("smdp.example.com", "smdp.example.com"));
  EXPECT_FALSE(DnsNameMatches("smdp.example.com", "x.smdp.example.com"));
  EXPECT_TRUE(DnsNameMatches("*.example.com", "smdp.example.com"));
  EXPECT_FALSE(DnsNameMatches("*.example.com", "a.b.example.com"));
  EXPECT_FALSE(DnsNameMatches("*.example.com", "example.com"));
  EXPECT_FALSE(DnsNameMatches("", "example.com"));
}

}  // namespace
}  // namespace smdp::http::internal
