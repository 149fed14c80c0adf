// Round trips of every SGP.22 message, and decoding of bytes built by hand
// from the RSPDefinitions ASN.1 (SGP.22 v2.2 Annex H, AUTOMATIC TAGS) or
// taken from public real-world captures.
#include <string>
#include <variant>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sgp22/authentication.h"
#include "sgp22/bpp.h"
#include "sgp22/download.h"
#include "sgp22/euicc_info.h"
#include "sgp22/notification.h"
#include "sgp22/test_messages.h"

namespace smdp::sgp22 {
namespace {

using ::testing::HasSubstr;
using namespace ::smdp::sgp22::testing;  // NOLINT: the sample fixtures

std::string Hex(absl::string_view hex) { return absl::HexStringToBytes(hex); }
std::string ToHex(absl::string_view bytes) {
  return absl::AsciiStrToUpper(absl::BytesToHexString(bytes));
}
std::string Rep(absl::string_view hex_byte, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) absl::StrAppend(&out, hex_byte);
  return out;
}

// Encode -> Decode gives the same value, and Decode -> Encode the same bytes.
template <typename T>
void ExpectRoundTrip(const T& value) {
  const std::string der = value.Encode();
  absl::StatusOr<T> decoded = T::Decode(der);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_TRUE(*decoded == value);
  EXPECT_EQ(ToHex(decoded->Encode()), ToHex(der));
}

// --- Round trips --------------------------------------------------------

TEST(RoundTripTest, EuiccInfo) {
  ExpectRoundTrip(SampleEuiccInfo1());
  EuiccInfo1 v3 = SampleEuiccInfo1();
  v3.highest_svn = VersionType{3, 1, 0};
  v3.euicc_ci_pkid_list_for_signing_v3 =
      std::vector<std::string>{TestCiKeyId()};
  v3.euicc_rsp_capability = der::BitString::FromBits({0, 4, 19});
  ExpectRoundTrip(v3);
  ExpectRoundTrip(SampleEuiccInfo2());
  ExpectRoundTrip(SampleEuiccInfo2V3());
  EuiccInfo2 minimal = SampleEuiccInfo2();
  minimal.ts102241_version.reset();
  minimal.globalplatform_version.reset();
  minimal.euicc_category.reset();
  minimal.forbidden_profile_policy_rules.reset();
  minimal.certification_data_object.reset();
  minimal.euicc_ci_pkid_list_for_verification.clear();
  ExpectRoundTrip(minimal);
}

TEST(RoundTripTest, Authentication) {
  ExpectRoundTrip(SampleServerSigned1());
  ExpectRoundTrip(SampleCtxParams1());
  ExpectRoundTrip(SampleEuiccSigned1());
  ExpectRoundTrip(SampleAuthenticateServerRequest());
  ExpectRoundTrip(SampleAuthenticateServerResponseOk());
  ExpectRoundTrip(SampleAuthenticateServerResponseError());

  // No matchingId, no IMEI, v3 otherCertsInChain.
  AuthenticateServerResponse response = SampleAuthenticateServerResponseOk();
  auto& ok = std::get<AuthenticateResponseOk>(response.result);
  EuiccSigned1 signed1 = ok.euicc_signed1.value;
  signed1.ctx_params1.common_authentication->matching_id.reset();
  signed1.ctx_params1.common_authentication->device_info.imei.reset();
  ok.euicc_signed1 = SignedPart<EuiccSigned1>::Make(signed1);
  ok.other_certs_in_chain = {FakeCertificate("SubCA")};
  ExpectRoundTrip(response);
}

TEST(RoundTripTest, Download) {
  ExpectRoundTrip(SampleStoreMetadataRequest());
  StoreMetadataRequest minimal;
  minimal.iccid = Bytes(10);
  ExpectRoundTrip(minimal);
  ExpectRoundTrip(SampleSmdpSigned2());
  ExpectRoundTrip(SmdpSigned2{"\x01", false, std::nullopt});
  ExpectRoundTrip(SamplePrepareDownloadRequest());
  ExpectRoundTrip(SampleEuiccSigned2());
  ExpectRoundTrip(SamplePrepareDownloadResponseOk());
  ExpectRoundTrip(SamplePrepareDownloadResponseError());
}

TEST(RoundTripTest, Bpp) {
  InitialiseSecureChannelRequest iscr = SampleInitialiseSecureChannelRequest();
  absl::StatusOr<InitialiseSecureChannelRequest> decoded =
      InitialiseSecureChannelRequest::Decode(iscr.Encode());
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->received_signed_fields, iscr.SignedFields());
  iscr.received_signed_fields = iscr.SignedFields();
  EXPECT_TRUE(*decoded == iscr);

  ExpectRoundTrip(SampleConfigureIsdpRequest());
  ExpectRoundTrip(ConfigureIsdpRequest{});
  ExpectRoundTrip(SampleReplaceSessionKeysRequest());

  for (bool with_ppk : {false, true}) {
    for (size_t segments : {1u, 3u, 300u}) {
      BoundProfilePackage bpp = SampleBoundProfilePackage(segments, with_ppk);
      const std::string der = bpp.Encode();
      absl::StatusOr<BoundProfilePackage> back =
          BoundProfilePackage::Decode(der);
      ASSERT_TRUE(back.ok()) << back.status();
      bpp.initialise_secure_channel.received_signed_fields =
          bpp.initialise_secure_channel.SignedFields();
      EXPECT_TRUE(*back == bpp);
      EXPECT_EQ(back->Encode(), der);
    }
  }
}

TEST(RoundTripTest, Notifications) {
  ExpectRoundTrip(SampleNotificationMetadata());
  ExpectRoundTrip(SampleProfileInstallationResultSuccess());
  ExpectRoundTrip(SampleProfileInstallationResultError());
  ExpectRoundTrip(SampleOtherSignedNotification());
  ExpectRoundTrip(
      PendingNotification{SampleProfileInstallationResultSuccess()});
  ExpectRoundTrip(PendingNotification{SampleOtherSignedNotification()});
  ExpectRoundTrip(SampleCancelSessionResponseOk());
  ExpectRoundTrip(SampleCancelSessionResponseError());

  OtherSignedNotification v3 = SampleOtherSignedNotification();
  v3.other_certs_in_chain = {FakeCertificate("SubCA")};
  ExpectRoundTrip(v3);
  ProfileInstallationResult v20 = SampleProfileInstallationResultSuccess();
  ProfileInstallationResultData data = v20.data.value;
  data.smdp_oid.reset();  // optional in SGP.22 v2.0
  v20.data = SignedPart<ProfileInstallationResultData>::Make(data);
  ExpectRoundTrip(v20);
}

// --- Real-world bytes ---------------------------------------------------

// GetEUICCInfo1 of a consumer eUICC (GSMA CI key 81370F51...), as published
// in several open LPA projects' test vectors.
constexpr absl::string_view kRealEuiccInfo1 =
    "BF20358203020202A916041481370F5125D0B1D408D4C3B232E6D25E795BEBFB"
    "AA16041481370F5125D0B1D408D4C3B232E6D25E795BEBFB";

// GetEUICCInfo2 from lpac's stdio APDU driver documentation
// (estkme-group/lpac driver/apdu/stdio.c), status word removed.
constexpr absl::string_view kRealEuiccInfo2 =
    "BF2281C6810302010082030202008303040600840F810100820400062824830400001922"
    "8504067F36C08603090200870302030088020490A916041481370F5125D0B1D408D4C3B2"
    "32E6D25E795BEBFBAA16041481370F5125D0B1D408D4C3B232E6D25E795BEBFB990206C0"
    "04030000010C0D47492D42412D55502D30343139AC48801F312E322E3834302E31323334"
    "3536372F6D79506C6174666F726D4C6162656C812568747470733A2F2F6D79636F6D7061"
    "6E792E636F6D2F6D79444C4F41526567697374726172";

TEST(RealWorldTest, EuiccInfo1) {
  const std::string der = Hex(kRealEuiccInfo1);
  absl::StatusOr<EuiccInfo1> info = EuiccInfo1::Decode(der);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->svn, (VersionType{2, 2, 2}));
  EXPECT_EQ(info->svn.ToString(), "2.2.2");
  ASSERT_EQ(info->euicc_ci_pkid_list_for_verification.size(), 1u);
  EXPECT_EQ(info->euicc_ci_pkid_list_for_verification[0], TestCiKeyId());
  EXPECT_EQ(info->euicc_ci_pkid_list_for_signing,
            info->euicc_ci_pkid_list_for_verification);
  EXPECT_FALSE(info->highest_svn.has_value());
  EXPECT_EQ(info->Encode(), der);
}

TEST(RealWorldTest, EuiccInfo2) {
  const std::string der = Hex(kRealEuiccInfo2);
  absl::StatusOr<EuiccInfo2> info = EuiccInfo2::Decode(der);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->profile_version.ToString(), "2.1.0");
  EXPECT_EQ(info->svn.ToString(), "2.2.0");
  EXPECT_EQ(info->euicc_firmware_ver.ToString(), "4.6.0");
  absl::StatusOr<ExtCardResource> res =
      ExtCardResource::Parse(info->ext_card_resource);
  ASSERT_TRUE(res.ok()) << res.status();
  EXPECT_EQ(res->installed_applications, 0u);
  EXPECT_EQ(res->free_non_volatile_memory, 0x062824u);
  EXPECT_EQ(res->free_volatile_memory, 0x1922u);
  EXPECT_EQ(res->Encode(), info->ext_card_resource);
  EXPECT_EQ(info->uicc_capability.size(), 18u);
  EXPECT_TRUE(info->uicc_capability.Get(1));  // usimSupport
  EXPECT_EQ(info->ts102241_version, (VersionType{9, 2, 0}));
  EXPECT_EQ(info->globalplatform_version, (VersionType{2, 3, 0}));
  EXPECT_TRUE(info->rsp_capability.Get(
      static_cast<size_t>(RspCapabilityBit::kAdditionalProfile)));
  EXPECT_TRUE(info->rsp_capability.Get(
      static_cast<size_t>(RspCapabilityBit::kTestProfileSupport)));
  EXPECT_FALSE(info->rsp_capability.Get(
      static_cast<size_t>(RspCapabilityBit::kCrlSupport)));
  ASSERT_TRUE(info->forbidden_profile_policy_rules.has_value());
  EXPECT_TRUE(info->forbidden_profile_policy_rules->Get(
      static_cast<size_t>(PprId::kPprUpdateControl)));
  EXPECT_TRUE(info->forbidden_profile_policy_rules->Get(
      static_cast<size_t>(PprId::kPpr1)));
  EXPECT_FALSE(info->forbidden_profile_policy_rules->Get(
      static_cast<size_t>(PprId::kPpr2)));
  EXPECT_EQ(info->pp_version.ToString(), "0.0.1");
  EXPECT_EQ(info->sas_accreditation_number, "GI-BA-UP-0419");
  ASSERT_TRUE(info->certification_data_object.has_value());
  EXPECT_EQ(info->certification_data_object->platform_label,
            "1.2.840.1234567/myPlatformLabel");
  EXPECT_EQ(info->certification_data_object->discovery_base_url,
            "https://mycompany.com/myDLOARegistrar");
  EXPECT_FALSE(info->euicc_category.has_value());
  // Every field is known, so re-encoding reproduces the bytes.
  EXPECT_EQ(ToHex(info->Encode()), ToHex(der));
  // The fixture carries the same values.
  EuiccInfo2 sample = SampleEuiccInfo2();
  sample.euicc_category.reset();
  sample.rsp_capability = info->rsp_capability;
  EXPECT_TRUE(sample == *info);
}

// --- Bytes built by hand from the ASN.1 -----------------------------------

// `der` (one constructed TLV) with the first child of tag `tag` replaced by
// `replacement` (whole TLVs, or nothing to drop it).
std::string ReplaceChild(absl::string_view der, der::Tag tag,
                         absl::string_view replacement) {
  der::Reader outer(der);
  absl::StatusOr<der::Tlv> top = outer.Next();
  EXPECT_TRUE(top.ok()) << top.status();
  der::Reader children(top->value);
  std::string contents;
  bool replaced = false;
  while (!children.AtEnd()) {
    absl::StatusOr<der::Tlv> child = children.Next();
    EXPECT_TRUE(child.ok()) << child.status();
    if (!child.ok()) break;
    if (!replaced && child->tag == tag) {
      absl::StrAppend(&contents, replacement);
      replaced = true;
    } else {
      absl::StrAppend(&contents, child->raw);
    }
  }
  EXPECT_TRUE(replaced) << "no child of tag " << tag;
  return der::EncodeTlv(top->tag, contents);
}

// SGP.22 4.3 (EUICCInfo2) and 5.6.2's eligibility check: an optional
// informational field whose contents do not parse reads as absent and is
// named in unparsed_fields; the structure around it still decodes.
TEST(HandBuiltTest, UnparsableInformationalFieldsReadAsUnknown) {
  EuiccInfo2 sample = SampleEuiccInfo2();
  sample.ts102241_version = VersionType{15, 1, 0};
  sample.euicc_category = 2;
  sample.forbidden_profile_policy_rules = der::BitString::FromBits({1});
  std::string der = sample.Encode();
  der =
      ReplaceChild(der, der::ContextTag(6), std::string("\x86\x02\x0F\x01", 4));
  der = ReplaceChild(der, der::ContextTag(11), std::string("\x8B\x00", 2));
  // 9 unused bits: not a BIT STRING.
  der = ReplaceChild(der, der::ContextTag(25),
                     std::string("\x99\x02\x09\x40", 4));
  absl::StatusOr<EuiccInfo2> decoded = EuiccInfo2::Decode(der);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_FALSE(decoded->ts102241_version.has_value());
  EXPECT_FALSE(decoded->euicc_category.has_value());
  EXPECT_FALSE(decoded->forbidden_profile_policy_rules.has_value());
  EXPECT_THAT(decoded->unparsed_fields,
              ::testing::ElementsAre("ts102241Version", "euiccCategory",
                                     "forbiddenProfilePolicyRules"));
  EXPECT_EQ(decoded->profile_version, sample.profile_version);
  // A broken TLV structure is still a format error.
  EXPECT_FALSE(EuiccInfo2::Decode(der.substr(0, der.size() - 1)).ok());
  // A well-formed one has nothing unparsed.
  EXPECT_THAT(EuiccInfo2::Decode(sample.Encode())->unparsed_fields,
              ::testing::IsEmpty());
}

TEST(HandBuiltTest, AuthenticateServerResponseError) {
  // BF38 { A1 { 80 transactionId, 02 authenticateErrorCode } }
  absl::StatusOr<AuthenticateServerResponse> r =
      AuthenticateServerResponse::Decode(Hex("BF3808A1068001AA020107"));
  ASSERT_TRUE(r.ok()) << r.status();
  const auto& error = std::get<AuthenticateResponseError>(r->result);
  EXPECT_EQ(ToHex(error.transaction_id), "AA");
  EXPECT_EQ(error.authenticate_error_code, AuthenticateErrorCode::kCiPkUnknown);
}

TEST(HandBuiltTest, AuthenticateServerResponseOkKeepsSignedBytes) {
  // A0 { 30 euiccSigned1, 5F37 40 .., 30 CERT.EUICC, 30 CERT.EUM }, where
  // euiccSigned1 = 30 { 80 tid, 83 address, 84 challenge, BF22 info2,
  //                     A0 { 80 matchingId, A1 { 80 tac, A1 {} } } }.
  const std::string info2 = Hex(kRealEuiccInfo2);
  const std::string ctx =
      Hex("A00D"
          "800141"
          "A108"
          "800435290611"
          "A100");
  const std::string body = Hex("8001AA"
                               "8301"
                               "61"
                               "8410") +
                           std::string(16, '\x22') + info2 + ctx;
  const std::string signed1 = der::EncodeTlv(0x30, body);
  const std::string cert = Hex("3003020101");
  const std::string ok_body =
      signed1 + Hex("5F3740" + Rep("33", 64)) + cert + Hex("3003020102");
  const std::string der = der::EncodeTlv(0xBF38, der::EncodeTlv(0xA0, ok_body));
  absl::StatusOr<AuthenticateServerResponse> r =
      AuthenticateServerResponse::Decode(der);
  ASSERT_TRUE(r.ok()) << r.status();
  const auto& ok = std::get<AuthenticateResponseOk>(r->result);
  EXPECT_EQ(ok.euicc_signed1.der, signed1);  // the exact received bytes
  EXPECT_EQ(ok.euicc_signed1.value.server_address, "a");
  EXPECT_EQ(
      ok.euicc_signed1.value.ctx_params1.common_authentication->matching_id,
      "A");
  EXPECT_EQ(ToHex(ok.euicc_signed1.value.ctx_params1.common_authentication
                      ->device_info.tac),
            "35290611");
  EXPECT_EQ(ok.euicc_signature1, std::string(64, '\x33'));
  EXPECT_EQ(ok.euicc_certificate, cert);
  EXPECT_EQ(ToHex(ok.eum_certificate), "3003020102");
  EXPECT_EQ(ok.euicc_signed1.value.euicc_info2.svn.ToString(), "2.2.0");
}

TEST(HandBuiltTest, PrepareDownloadResponse) {
  // BF21 { A0 { 30 { 80 tid, 5F49 otpk }, 5F37 sig } }
  const std::string point = "04" + Rep("55", 64);
  const std::string der =
      Hex("BF21818FA0818C"
          "3047"
          "8001AA"
          "5F4941" +
          point + "5F3740" + Rep("66", 64));
  absl::StatusOr<PrepareDownloadResponse> r =
      PrepareDownloadResponse::Decode(der);
  ASSERT_TRUE(r.ok()) << r.status();
  const auto& ok = std::get<PrepareDownloadResponseOk>(r->result);
  EXPECT_EQ(ToHex(ok.euicc_signed2.der),
            "3047"
            "8001AA"
            "5F4941" +
                point);
  EXPECT_EQ(ToHex(ok.euicc_signed2.value.euicc_otpk), point);
  EXPECT_FALSE(ok.euicc_signed2.value.hash_cc.has_value());
  EXPECT_EQ(r->Encode(), der);

  r = PrepareDownloadResponse::Decode(Hex("BF2108A1068001AA020105"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(
      std::get<PrepareDownloadResponseError>(r->result).download_error_code,
      DownloadErrorCode::kInvalidTransactionId);
}

TEST(HandBuiltTest, CancelSessionResponse) {
  // euiccCancelSessionSigned uses automatic tags: 80 tid, 81 OID, 82 reason.
  const std::string signed_hex =
      "3010"
      "8001AA"
      "81082B0601040181F802"
      "820101";
  const std::string der =
      Hex("BF4157A055" + signed_hex + "5F3740" + Rep("77", 64));
  absl::StatusOr<CancelSessionResponse> r = CancelSessionResponse::Decode(der);
  ASSERT_TRUE(r.ok()) << r.status();
  const auto& ok = std::get<CancelSessionResponseOk>(r->result);
  EXPECT_EQ(ToHex(ok.euicc_cancel_session_signed.der), signed_hex);
  EXPECT_EQ(ok.euicc_cancel_session_signed.value.smdp_oid.ToString(),
            "1.3.6.1.4.1.31746");
  EXPECT_EQ(ok.euicc_cancel_session_signed.value.reason,
            CancelSessionReason::kPostponed);
  EXPECT_EQ(r->Encode(), der);

  r = CancelSessionResponse::Decode(Hex("BF4103810105"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(std::get<CancelSessionError>(r->result),
            CancelSessionError::kInvalidTransactionId);
}

TEST(HandBuiltTest, ProfileInstallationResultError) {
  // BF37 { BF27 { 80 tid, BF2F { 80 seq, 81 event, 0C addr, 5A iccid },
  //               06 smdpOid, A2 { A1 { 80 bppCommandId, 81 errorReason } } },
  //        5F37 sig }
  const std::string data_hex =
      "BF2733"
      "8001AA"
      "BF2F19"
      "800107"
      "81020780"
      "0C04736D6470"
      "5A0A98001032547698103214"
      "06082B0601040181F802"
      "A208A10680010581010C";
  const std::string der = Hex("BF3779" + data_hex + "5F3740" + Rep("88", 64));
  absl::StatusOr<PendingNotification> n = PendingNotification::Decode(der);
  ASSERT_TRUE(n.ok()) << n.status();
  const auto& pir = std::get<ProfileInstallationResult>(n->notification);
  EXPECT_EQ(ToHex(pir.data.der), data_hex);
  const ProfileInstallationResultData& data = pir.data.value;
  EXPECT_EQ(data.notification_metadata.seq_number, 7);
  EXPECT_EQ(data.notification_metadata.Event(), NotificationEvent::kInstall);
  EXPECT_EQ(data.notification_metadata.notification_address, "smdp");
  EXPECT_EQ(data.smdp_oid->ToString(), "1.3.6.1.4.1.31746");
  const auto& error = std::get<ErrorResult>(data.final_result);
  EXPECT_EQ(error.bpp_command_id, BppCommandId::kLoadProfileElements);
  EXPECT_EQ(error.error_reason,
            ErrorReason::kInstallFailedDueToPeProcessingError);
  EXPECT_FALSE(error.sima_response.has_value());
  EXPECT_EQ(ToString(error.error_reason),
            "installFailedDueToPEProcessingError");
  EXPECT_EQ(n->Encode(), der);
}

TEST(HandBuiltTest, InitialiseSecureChannelRequestSignedFields) {
  // BF23 { 82 01 01, 80 tid, A6 { 80 01 88, 81 01 10, 84 hostId },
  //        5F49 otpk, 5F37 sig }
  const std::string point = "04" + Rep("99", 64);
  const std::string signed_hex =
      "820101"
      "8001AA"
      "A60C"
      "800188"
      "810110"
      "8404484F5354"
      "5F4941" +
      point;
  const std::string der =
      Hex("BF23819B" + signed_hex + "5F3740" + Rep("AB", 64));
  absl::StatusOr<InitialiseSecureChannelRequest> r =
      InitialiseSecureChannelRequest::Decode(der);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(ToHex(r->received_signed_fields), signed_hex);
  EXPECT_EQ(ToHex(r->SignedFields()), signed_hex);
  EXPECT_EQ(r->control_ref_template.key_type, kKeyTypeAes);
  EXPECT_EQ(r->control_ref_template.key_len, kKeyLength16);
  EXPECT_EQ(r->control_ref_template.host_id, "HOST");
  EXPECT_EQ(r->Encode(), der);
}

TEST(HandBuiltTest, ConfigureIsdpRequestDpProprietaryData) {
  // B8 { 80 dpOid, then the SM-DP+'s own data objects }: dpOid is [0]
  // (AUTOMATIC TAGS); what follows is kept byte for byte.
  const std::string der =
      Hex("BF2410B80E"
          "80092B0601040181F80201"
          "8101AA");
  absl::StatusOr<ConfigureIsdpRequest> r = ConfigureIsdpRequest::Decode(der);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_TRUE(r->dp_proprietary_data.has_value());
  EXPECT_EQ(r->dp_proprietary_data->dp_oid.ToString(), "1.3.6.1.4.1.31746.1");
  EXPECT_EQ(ToHex(r->dp_proprietary_data->additional_data), "8101AA");
  EXPECT_EQ(r->Encode(), der);

  // A universal OID (06) in place of [0], a repeated dpOid, and a missing
  // one are refused.
  EXPECT_THAT(ConfigureIsdpRequest::Decode(Hex("BF2407B805060388370A"))
                  .status()
                  .message(),
              HasSubstr("dpOid"));
  EXPECT_FALSE(
      ConfigureIsdpRequest::Decode(Hex("BF240CB80A800388370A800388370B")).ok());
  EXPECT_FALSE(ConfigureIsdpRequest::Decode(Hex("BF2402B800")).ok());
}

TEST(HandBuiltTest, BoundProfilePackageLayout) {
  BoundProfilePackage bpp = SampleBoundProfilePackage(2, true);
  const std::string der = bpp.Encode();
  absl::StatusOr<der::Tlv> top = der::ParseSingleTlv(der);
  ASSERT_TRUE(top.ok());
  EXPECT_EQ(top->tag, 0xBF36u);
  der::Reader r(top->value, 1, "BPP");
  std::vector<der::Tag> order;
  while (!r.AtEnd()) order.push_back(r.Next()->tag);
  EXPECT_THAT(order,
              ::testing::ElementsAre(0xBF23u, 0xA0u, 0xA1u, 0xA2u, 0xA3u));
  // A segment of 1016 data bytes is 86 82 03 F8 ..: 1020 bytes in all.
  EXPECT_EQ(bpp.sequence_of_86[0].size(), 1020u);
}

// --- Extensibility --------------------------------------------------------

TEST(ExtensibilityTest, UnknownTrailingFieldsAreSkipped) {
  // ServerSigned1 with a v3 sessionContext [5] and an unknown [30].
  ServerSigned1 s = SampleServerSigned1();
  std::string body = s.Encode().substr(2);  // contents (short form length)
  body += Hex("A503800101") + Hex("9E0100");
  const std::string der = der::EncodeTlv(0x30, body);
  absl::StatusOr<ServerSigned1> d = ServerSigned1::Decode(der);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_TRUE(*d == s);
}

TEST(ExtensibilityTest, KnownFieldOutOfOrderIsRefused) {
  ServerSigned1 s = SampleServerSigned1();
  std::string body = s.Encode().substr(2) + Hex("8001AA");  // [0] again
  absl::StatusOr<ServerSigned1> d =
      ServerSigned1::Decode(der::EncodeTlv(0x30, body));
  EXPECT_THAT(d.status().message(), HasSubstr("repeated or out of order"));
}

TEST(ExtensibilityTest, StoreMetadataKeepsUnknownFields) {
  StoreMetadataRequest m = SampleStoreMetadataRequest();
  m.extensions = {Hex("BF2203800101"), Hex("9F640101")};
  ExpectRoundTrip(m);
}

TEST(ExtensibilityTest, CtxParams1OtherAlternativeIsKept) {
  const std::string der = Hex("A1038001FF");
  absl::StatusOr<CtxParams1> c = CtxParams1::Decode(der);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_FALSE(c->common_authentication.has_value());
  EXPECT_EQ(c->other_alternative, der);
  EXPECT_EQ(c->Encode(), der);
}

TEST(ExtensibilityTest, DeviceCapabilitiesKeepsUnknownEntries) {
  CtxParams1 c = SampleCtxParams1();
  DeviceCapabilities& caps =
      c.common_authentication->device_info.device_capabilities;
  caps.Set(DeviceCapabilities::kLpaSvn, VersionType{3, 1, 0}.Encode());
  caps.entries.push_back({der::ContextTag(14, true), Hex("800100")});
  ExpectRoundTrip(c);
  EXPECT_EQ(*caps.Find(DeviceCapabilities::kGsmSupportedRelease),
            (VersionType{8, 0, 0}.Encode()));
  EXPECT_EQ(caps.Find(DeviceCapabilities::kNrEpcSupportedRelease), nullptr);
  caps.Set(DeviceCapabilities::kGsmSupportedRelease, "x");
  EXPECT_EQ(*caps.Find(DeviceCapabilities::kGsmSupportedRelease), "x");
}

// --- Field constraints ----------------------------------------------------

TEST(ConstraintTest, SizesAreChecked) {
  ServerSigned1 s = SampleServerSigned1();
  s.euicc_challenge = Bytes(15);
  EXPECT_THAT(
      ServerSigned1::Decode(s.Encode()).status().message(),
      HasSubstr("ServerSigned1.euiccChallenge: must be 16 bytes, got 15"));
  s = SampleServerSigned1();
  s.transaction_id = Bytes(17);
  EXPECT_THAT(ServerSigned1::Decode(s.Encode()).status().message(),
              HasSubstr("transactionId: must be 1..16 bytes"));
  s.transaction_id = "";
  EXPECT_FALSE(ServerSigned1::Decode(s.Encode()).ok());
  s = SampleServerSigned1();
  s.server_address = "\xC0\xAF";
  EXPECT_THAT(ServerSigned1::Decode(s.Encode()).status().message(),
              HasSubstr("serverAddress: overlong UTF-8"));

  AuthenticateServerResponse r = SampleAuthenticateServerResponseOk();
  std::get<AuthenticateResponseOk>(r.result).euicc_signature1 = Bytes(72);
  EXPECT_THAT(AuthenticateServerResponse::Decode(r.Encode()).status().message(),
              HasSubstr("euiccSignature1: must be 64 bytes, got 72"));

  StoreMetadataRequest m = SampleStoreMetadataRequest();
  m.iccid = Bytes(9);
  EXPECT_THAT(StoreMetadataRequest::Decode(m.Encode()).status().message(),
              HasSubstr("StoreMetadataRequest.iccid: must be 10 bytes"));
  m = SampleStoreMetadataRequest();
  m.service_provider_name = std::string(33, 'x');
  EXPECT_THAT(StoreMetadataRequest::Decode(m.Encode()).status().message(),
              HasSubstr("serviceProviderName: must be 0..32 bytes"));

  // Make svn 2 bytes: 82 03 xx xx xx -> 82 02 xx xx.
  EuiccInfo1 good = SampleEuiccInfo1();
  std::string body = good.Encode().substr(3);
  body.replace(0, 5, Hex("82020202"));
  EXPECT_THAT(
      EuiccInfo1::Decode(der::EncodeTlv(0xBF20, body)).status().message(),
      HasSubstr("EUICCInfo1.svn: VersionType is 3 bytes, got 2"));
}

TEST(ConstraintTest, MissingMandatoryFieldsAreNamed) {
  // EUICCInfo1 without euiccCiPKIdListForSigning.
  const std::string info1 =
      Hex("BF2007820302020"
          "2A900");
  EXPECT_THAT(EuiccInfo1::Decode(info1).status().message(),
              HasSubstr("EUICCInfo1.euiccCiPKIdListForSigning: mandatory "
                        "field missing"));
  // PrepareDownloadResponseOk without the signature.
  EXPECT_THAT(PrepareDownloadResponse::Decode(Hex("BF210BA009"
                                                  "3007"
                                                  "8001AA"
                                                  "5F490104"))
                  .status()
                  .message(),
              HasSubstr("euiccSignature2: mandatory field missing"));
  // CancelSessionResponse with an unknown alternative.
  EXPECT_THAT(
      CancelSessionResponse::Decode(Hex("BF4103820105")).status().message(),
      HasSubstr("unknown CHOICE alternative 82"));
}

TEST(ToStringTest, Names) {
  EXPECT_EQ(ToString(AuthenticateErrorCode::kCiPkUnknown), "ciPKUnknown");
  EXPECT_EQ(ToString(static_cast<AuthenticateErrorCode>(42)), "unknown(42)");
  EXPECT_EQ(ToString(DownloadErrorCode::kInvalidTransactionId),
            "invalidTransactionId");
  EXPECT_EQ(ToString(CancelSessionReason::kLoadBppExecutionError),
            "loadBppExecutionError");
  EXPECT_EQ(ToString(BppCommandId::kConfigureIsdp), "configureISDP");
  EXPECT_EQ(ToString(ProfileClass::kOperational), "operational");
  EXPECT_EQ(ToString(CancelSessionError::kUndefinedError), "undefinedError");
}

TEST(SignatureTlvTest, EncodeDecode) {
  const std::string sig = FakeSignature("x");
  const std::string tlv = EncodeSignatureTlv(sig);
  EXPECT_EQ(ToHex(tlv.substr(0, 3)), "5F3740");
  EXPECT_EQ(*DecodeSignatureTlv(tlv), sig);
  EXPECT_FALSE(DecodeSignatureTlv(EncodeSignatureTlv(Bytes(63))).ok());
  EXPECT_FALSE(DecodeSignatureTlv(der::EncodeTlv(0x04, sig)).ok());
  const std::string ski = EncodeSubjectKeyIdentifierTlv(TestCiKeyId());
  EXPECT_EQ(ToHex(ski.substr(0, 2)), "0414");
  EXPECT_EQ(*DecodeSubjectKeyIdentifierTlv(ski), TestCiKeyId());
  EXPECT_FALSE(DecodeSubjectKeyIdentifierTlv(Hex("0400")).ok());
}

}  // namespace
}  // namespace smdp::sgp22
