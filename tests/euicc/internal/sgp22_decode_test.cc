#include "tests/euicc/internal/sgp22_decode.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "sgp22/der.h"

namespace smdp::euicc::internal {
namespace {

// Known-answer bytes: unless a comment says otherwise, every hex string
// below was encoded (or refused) by asn1tools compiled from the SGP.22
// RSPDefinitions module (with PKIX1Explicit88/PKIX1Implicit88), an ASN.1
// implementation that shares nothing with this repository.
std::string Bytes(absl::string_view hex) { return absl::HexStringToBytes(hex); }

// ---- ConfigureISDPRequest ----

// {dpProprietaryData {dpOid 2.999.10}}: dpOid is [0] (80) by AUTOMATIC TAGS.
constexpr absl::string_view kConfigureIsdp = "BF2407B805800388370A";
// The same with dpOid under the universal tag 06, as the server used to send
// it; asn1tools refuses it ("Expected OBJECT IDENTIFIER(dpOid) with tag '80',
// but got '06'").
constexpr absl::string_view kConfigureIsdpUniversalOid = "BF2407B805060388370A";

TEST(ConfigureIsdpTest, DecodesContextTaggedDpOid) {
  absl::StatusOr<ConfigureIsdpRequest> c =
      DecodeConfigureIsdpRequest(Bytes(kConfigureIsdp));
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_TRUE(c->dp_proprietary_data.has_value());
  EXPECT_EQ(c->dp_proprietary_data->dp_oid.ToString(), "2.999.10");
  EXPECT_EQ(c->dp_proprietary_data->additional_data, "");
}

TEST(ConfigureIsdpTest, RefusesUniversalOidTag) {
  absl::StatusOr<ConfigureIsdpRequest> c =
      DecodeConfigureIsdpRequest(Bytes(kConfigureIsdpUniversalOid));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(c.status().message().find("dpOid"), absl::string_view::npos)
      << c.status();
}

TEST(ConfigureIsdpTest, EmptyRequest) {
  // asn1tools: ConfigureISDPRequest {} is BF24 00.
  absl::StatusOr<ConfigureIsdpRequest> c =
      DecodeConfigureIsdpRequest(Bytes("BF2400"));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_FALSE(c->dp_proprietary_data.has_value());
}

TEST(ConfigureIsdpTest, KeepsSmdpDataAfterDpOid) {
  // Hand-made: DpProprietaryData's prose allows SM-DP+ objects after dpOid.
  absl::StatusOr<ConfigureIsdpRequest> c =
      DecodeConfigureIsdpRequest(Bytes("BF240AB808800388370AC10101"));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->dp_proprietary_data->additional_data, Bytes("C10101"));
}

TEST(ConfigureIsdpTest, RefusesBadDer) {
  for (absl::string_view hex : {
           "BF2407B805800388370A00",    // trailing byte
           "BF248107B805800388370A",    // non-minimal length
           "BF2480B805800388370A0000",  // indefinite length
           "BF2405B803800188",          // dpOid's last arc incomplete
           "BF2402B800",                // dpProprietaryData without dpOid
           "BF2407B805A00388370A",      // dpOid constructed
       }) {
    EXPECT_FALSE(DecodeConfigureIsdpRequest(Bytes(hex)).ok()) << hex;
  }
}

TEST(ConfigureIsdpTest, UnknownLaterFieldIsAnExtension) {
  // Hand-made: an unknown [25] where only [24] is known is skipped, since
  // the module declares EXTENSIBILITY IMPLIED.
  absl::StatusOr<ConfigureIsdpRequest> c =
      DecodeConfigureIsdpRequest(Bytes("BF2407B905800388370A"));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_FALSE(c->dp_proprietary_data.has_value());
  // But [24] twice is refused.
  EXPECT_FALSE(
      DecodeConfigureIsdpRequest(Bytes("BF240EB805800388370AB805800388370A"))
          .ok());
}

TEST(ConfigureIsdpTest, RefusesOversizedDpProprietaryData) {
  // 80 03 88 37 0A followed by a 123-byte C1 object: 130 bytes with B8's
  // header, over the module's 128.
  std::string extra = Bytes("C17B") + std::string(123, '\x00');
  std::string dp = Bytes("800388370A") + extra;
  std::string b8 = sgp22::der::EncodeTlv(0xB8, dp);
  std::string bf24 = sgp22::der::EncodeTlv(0xBF24, b8);
  absl::StatusOr<ConfigureIsdpRequest> c = DecodeConfigureIsdpRequest(bf24);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("128"), absl::string_view::npos);
}

// ---- ReplaceSessionKeysRequest ----

TEST(ReplaceSessionKeysTest, KnownAnswer) {
  absl::StatusOr<ReplaceSessionKeysRequest> r = DecodeReplaceSessionKeysRequest(
      Bytes("BF26128004A0A0A0A08104B1B1B1B18204C2C2C2C2"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->initial_mac_chaining_value, Bytes("A0A0A0A0"));
  EXPECT_EQ(r->ppk_enc, Bytes("B1B1B1B1"));
  EXPECT_EQ(r->ppk_cmac, Bytes("C2C2C2C2"));
}

TEST(ReplaceSessionKeysTest, RefusesUniversalOctetStrings) {
  // The components as 04 (what an encoder that forgot AUTOMATIC TAGS sends).
  EXPECT_FALSE(DecodeReplaceSessionKeysRequest(
                   Bytes("BF26120404A0A0A0A00404B1B1B1B10404C2C2C2C2"))
                   .ok());
  // ppkCmac missing.
  EXPECT_FALSE(
      DecodeReplaceSessionKeysRequest(Bytes("BF260C8004A0A0A0A08104B1B1B1B1"))
          .ok());
}

// ---- ServerSigned1 and AuthenticateServerRequest ----

constexpr absl::string_view kServerSigned1 =
    "3038800411111111811022222222222222222222222222222222830C736D64702E6578"
    "616D706C65841033333333333333333333333333333333";
constexpr absl::string_view kCtxParams1 = "A00F8003414243A108800435290611A100";

TEST(ServerSigned1Test, KnownAnswerKeepsReceivedBytes) {
  absl::StatusOr<ServerSigned1> s = DecodeServerSigned1(Bytes(kServerSigned1));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->der, Bytes(kServerSigned1));
  EXPECT_EQ(s->transaction_id, Bytes("11111111"));
  EXPECT_EQ(s->euicc_challenge, std::string(16, '\x22'));
  EXPECT_EQ(s->server_address, "smdp.example");
  EXPECT_EQ(s->server_challenge, std::string(16, '\x33'));
}

TEST(ServerSigned1Test, RefusesWrongSizesAndTags) {
  // euiccChallenge of 15 bytes (hand-made from the KAT).
  std::string short_challenge = Bytes(kServerSigned1);
  short_challenge[1] = '\x37';
  short_challenge.replace(short_challenge.find(Bytes("8110")), 3,
                          Bytes("810F"));
  EXPECT_FALSE(DecodeServerSigned1(short_challenge).ok());
  // serverAddress as [2] instead of [3].
  std::string wrong = Bytes(kServerSigned1);
  wrong[wrong.find(Bytes("830C"))] = '\x82';
  EXPECT_FALSE(DecodeServerSigned1(wrong).ok());
  // Trailing garbage.
  EXPECT_FALSE(
      DecodeServerSigned1(Bytes(absl::StrCat(kServerSigned1, "00"))).ok());
}

// BF38 assembled from the asn1tools bytes of its components; the
// certificate is a placeholder SEQUENCE (the decoder keeps it for the
// crypto check).
std::string AuthenticateServerRequestDer(absl::string_view ctx_params1_hex) {
  const std::string body = absl::StrCat(
      Bytes(kServerSigned1), Bytes("5F370455555555"), Bytes("0403CCCCCC"),
      Bytes("3003020101"), Bytes(ctx_params1_hex));
  return sgp22::der::EncodeTlv(0xBF38, body);
}

TEST(AuthenticateServerRequestTest, Decodes) {
  absl::StatusOr<AuthenticateServerRequest> a = DecodeAuthenticateServerRequest(
      AuthenticateServerRequestDer(kCtxParams1));
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->server_signed1.der, Bytes(kServerSigned1));
  EXPECT_EQ(a->server_signature1, Bytes("55555555"));
  EXPECT_EQ(a->euicc_ci_pkid_to_be_used, Bytes("CCCCCC"));
  EXPECT_EQ(a->server_certificate, Bytes("3003020101"));
  EXPECT_EQ(a->ctx_params1, Bytes(kCtxParams1));
}

TEST(AuthenticateServerRequestTest, RefusesCtxParams1WithoutDeviceInfo) {
  EXPECT_FALSE(DecodeAuthenticateServerRequest(
                   AuthenticateServerRequestDer("A0058003414243"))
                   .ok());
  // The CHOICE alternative as a bare SEQUENCE (30) instead of [0].
  EXPECT_FALSE(
      DecodeAuthenticateServerRequest(
          AuthenticateServerRequestDer("300F8003414243A108800435290611A100"))
          .ok());
}

TEST(StandaloneTlvTest, SignatureAndKeyId) {
  absl::StatusOr<std::string> sig = DecodeSignatureTlv(Bytes("5F37020102"));
  ASSERT_TRUE(sig.ok()) << sig.status();
  EXPECT_EQ(*sig, Bytes("0102"));
  EXPECT_FALSE(DecodeSignatureTlv(Bytes("5F3702010200")).ok());
  EXPECT_FALSE(DecodeSignatureTlv(Bytes("0402010200")).ok());
  absl::StatusOr<std::string> ski =
      DecodeSubjectKeyIdentifierTlv(Bytes("0402ABCD"));
  ASSERT_TRUE(ski.ok()) << ski.status();
  EXPECT_EQ(*ski, Bytes("ABCD"));
  EXPECT_FALSE(DecodeSubjectKeyIdentifierTlv(Bytes("8002ABCD")).ok());
}

// ---- SmdpSigned2 and PrepareDownloadRequest ----

constexpr absl::string_view kSmdpSigned2 = "300F8004111111110101FF5F4903040506";

TEST(SmdpSigned2Test, KnownAnswers) {
  absl::StatusOr<SmdpSigned2> s = DecodeSmdpSigned2(Bytes(kSmdpSigned2));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->der, Bytes(kSmdpSigned2));
  EXPECT_EQ(s->transaction_id, Bytes("11111111"));
  EXPECT_TRUE(s->cc_required_flag);
  EXPECT_EQ(s->bpp_euicc_otpk, Bytes("040506"));

  s = DecodeSmdpSigned2(Bytes("3009800411111111010100"));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_FALSE(s->cc_required_flag);
  EXPECT_FALSE(s->bpp_euicc_otpk.has_value());
}

TEST(SmdpSigned2Test, RefusesAutomaticTagOnCcRequiredFlag) {
  // transactionId carries a tag, so ccRequiredFlag stays 01: [1] 81 is wrong.
  EXPECT_FALSE(DecodeSmdpSigned2(Bytes("3009800411111111810100")).ok());
  // BOOLEAN other than 00/FF.
  EXPECT_FALSE(DecodeSmdpSigned2(Bytes("3009800411111111010101")).ok());
  // transactionId of 17 bytes.
  EXPECT_FALSE(
      DecodeSmdpSigned2(Bytes("30168011" + std::string(34, '1') + "010100"))
          .ok());
}

TEST(PrepareDownloadRequestTest, DecodesWithAndWithoutHashCc) {
  const std::string hash_cc = "0420" + std::string(64, 'A');
  for (bool with_hash : {true, false}) {
    const std::string body =
        absl::StrCat(Bytes(kSmdpSigned2), Bytes("5F370455555555"),
                     with_hash ? Bytes(hash_cc) : "", Bytes("3003020101"));
    const std::string der = sgp22::der::EncodeTlv(0xBF21, body);
    absl::StatusOr<PrepareDownloadRequest> p =
        DecodePrepareDownloadRequest(der);
    ASSERT_TRUE(p.ok()) << p.status();
    EXPECT_EQ(p->smdp_signed2.der, Bytes(kSmdpSigned2));
    EXPECT_EQ(p->smdp_signature2, Bytes("55555555"));
    EXPECT_EQ(p->hash_cc.has_value(), with_hash);
    EXPECT_EQ(p->smdp_certificate, Bytes("3003020101"));
  }
  // hashCc of 31 bytes.
  const std::string body =
      absl::StrCat(Bytes(kSmdpSigned2), Bytes("5F370455555555"),
                   Bytes("041F" + std::string(62, 'A')), Bytes("3003020101"));
  EXPECT_FALSE(
      DecodePrepareDownloadRequest(sgp22::der::EncodeTlv(0xBF21, body)).ok());
}

// ---- InitialiseSecureChannelRequest and BoundProfilePackage ----

constexpr absl::string_view kIscr =
    "BF2322820101800411111111A60A800188810110840280805F49030406065F3704070707"
    "07";
constexpr absl::string_view kBppWithPpk =
    "BF363FBF2322820101800411111111A60A800188810110840280805F49030406065F3704"
    "07070707A0038701AAA1068801BB8801CCA2038701DDA3068601EE8601EF";
constexpr absl::string_view kBpp =
    "BF3634BF2322820101800411111111A60A800188810110840280805F49030406065F3704"
    "07070707A0038701AAA1038801BBA3038601EE";

TEST(InitialiseSecureChannelTest, KnownAnswer) {
  absl::StatusOr<InitialiseSecureChannelRequest> i =
      DecodeInitialiseSecureChannelRequest(Bytes(kIscr));
  ASSERT_TRUE(i.ok()) << i.status();
  EXPECT_EQ(i->remote_op_id, 1);
  EXPECT_EQ(i->transaction_id, Bytes("11111111"));
  EXPECT_EQ(i->key_type, 0x88);
  EXPECT_EQ(i->key_len, 0x10);
  EXPECT_EQ(i->host_id, Bytes("8080"));
  EXPECT_EQ(i->smdp_otpk, Bytes("040606"));
  EXPECT_EQ(i->smdp_sign, Bytes("07070707"));
  // remoteOpId through smdpOtpk, as received.
  EXPECT_EQ(i->signed_fields,
            Bytes("820101800411111111A60A800188810110840280805F4903040606"));
}

TEST(InitialiseSecureChannelTest, RefusesControlRefTemplateAsSequence) {
  // controlRefTemplate is [6] IMPLICIT: 30 instead of A6 is refused.
  std::string wrong = Bytes(kIscr);
  wrong[wrong.find(Bytes("A60A"))] = '\x30';
  EXPECT_FALSE(DecodeInitialiseSecureChannelRequest(wrong).ok());
}

TEST(BoundProfilePackageTest, KnownAnswers) {
  absl::StatusOr<BoundProfilePackage> b =
      DecodeBoundProfilePackage(Bytes(kBppWithPpk));
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->initialise_secure_channel.transaction_id, Bytes("11111111"));
  EXPECT_EQ(b->first_sequence_of_87, std::vector<std::string>{Bytes("8701AA")});
  EXPECT_EQ(b->sequence_of_88,
            (std::vector<std::string>{Bytes("8801BB"), Bytes("8801CC")}));
  ASSERT_TRUE(b->second_sequence_of_87.has_value());
  EXPECT_EQ(*b->second_sequence_of_87,
            std::vector<std::string>{Bytes("8701DD")});
  EXPECT_EQ(b->sequence_of_86,
            (std::vector<std::string>{Bytes("8601EE"), Bytes("8601EF")}));

  b = DecodeBoundProfilePackage(Bytes(kBpp));
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_FALSE(b->second_sequence_of_87.has_value());
}

TEST(BoundProfilePackageTest, RefusesMissingOrWrongParts) {
  // Hand-made from kBpp: A3 removed (and the length fixed).
  std::string no_a3 = Bytes(kBpp);
  no_a3.erase(no_a3.find(Bytes("A3038601EE")), 5);
  no_a3[2] = static_cast<char>(no_a3.size() - 3);
  absl::StatusOr<BoundProfilePackage> b = DecodeBoundProfilePackage(no_a3);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("sequenceOf86"), absl::string_view::npos)
      << b.status();
  // A 88 segment inside firstSequenceOf87.
  std::string wrong = Bytes(kBpp);
  wrong[wrong.find(Bytes("8701AA"))] = '\x88';
  EXPECT_FALSE(DecodeBoundProfilePackage(wrong).ok());
  // A1 and A0 swapped.
  std::string swapped = Bytes(kBpp);
  swapped.replace(swapped.find(Bytes("A0038701AAA1038801BB")), 10,
                  Bytes("A1038801BBA0038701AA"));
  EXPECT_FALSE(DecodeBoundProfilePackage(swapped).ok());
  // Trailing garbage.
  EXPECT_FALSE(DecodeBoundProfilePackage(Bytes(absl::StrCat(kBpp, "00"))).ok());
}

// ---- StoreMetadataRequest ----

constexpr absl::string_view kMetadata =
    "BF25465A0A9800103254769810321491024F70920150930101940489504E47950100B614"
    "301280020780810C736D64702E6578616D706C65B70B800321F3548101018201029902064"
    "0";

TEST(StoreMetadataTest, KnownAnswerAllFields) {
  absl::StatusOr<StoreMetadataRequest> m =
      DecodeStoreMetadataRequest(Bytes(kMetadata));
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->iccid, Bytes("98001032547698103214"));
  EXPECT_EQ(m->service_provider_name, "Op");
  EXPECT_EQ(m->profile_name, "P");
  EXPECT_EQ(m->icon_type, 1);
  EXPECT_EQ(m->icon, "\x89PNG");
  EXPECT_EQ(m->profile_class, 0);
  ASSERT_TRUE(m->notification_configuration_info.has_value());
  ASSERT_EQ(m->notification_configuration_info->size(), 1u);
  EXPECT_TRUE(
      (*m->notification_configuration_info)[0].profile_management_operation.Get(
          0));
  EXPECT_EQ((*m->notification_configuration_info)[0].notification_address,
            "smdp.example");
  ASSERT_TRUE(m->profile_owner.has_value());
  EXPECT_EQ(m->profile_owner->mcc_mnc, Bytes("21F354"));
  EXPECT_EQ(m->profile_owner->gid1, Bytes("01"));
  EXPECT_EQ(m->profile_owner->gid2, Bytes("02"));
  ASSERT_TRUE(m->profile_policy_rules.has_value());
  EXPECT_TRUE(m->profile_policy_rules->Get(1));
  EXPECT_TRUE(m->extensions.empty());
}

TEST(StoreMetadataTest, MinimalAndExtension) {
  absl::StatusOr<StoreMetadataRequest> m = DecodeStoreMetadataRequest(
      Bytes("BF25105A0A9800103254769810321491009200"));
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->service_provider_name, "");
  EXPECT_FALSE(m->icon_type.has_value());
  // Hand-made: a later-version field [34] after the known ones is kept.
  m = DecodeStoreMetadataRequest(
      Bytes("BF25135A0A9800103254769810321491009200BF2200"));
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->extensions, std::vector<std::string>{Bytes("BF2200")});
}

TEST(StoreMetadataTest, RefusesBrokenFields) {
  for (absl::string_view hex : {
           // ICCID of 9 bytes.
           "BF250F5A09980010325476981032910092 00",
           // iccid as 04 (untagged OCTET STRING).
           "BF2510040A9800103254769810321491009200",
           // serviceProviderName not UTF-8.
           "BF25115A0A980010325476981032149101FF9200",
           // profileName missing.
           "BF250E5A0A980010325476981032149100",
           // icon without iconType.
           "BF25135A0A98001032547698103214910092009401AA",
           // iconType 2 (not a named value).
           "BF25135A0A98001032547698103214910092009301 02",
           // profilePolicyRules with a trailing zero bit (not DER).
           "BF25145A0A980010325476981032149100920099020680",
           // fields out of order: profileName before serviceProviderName.
           "BF25105A0A9800103254769810321492009100",
       }) {
    std::string clean(hex);
    clean.erase(std::remove(clean.begin(), clean.end(), ' '), clean.end());
    EXPECT_FALSE(DecodeStoreMetadataRequest(Bytes(clean)).ok()) << hex;
  }
}

}  // namespace
}  // namespace smdp::euicc::internal
