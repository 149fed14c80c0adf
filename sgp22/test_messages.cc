#include "sgp22/test_messages.h"

#include "absl/strings/escaping.h"

namespace smdp::sgp22::testing {

std::string Bytes(size_t n, uint8_t first) {
  std::string out(n, '\0');
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<char>(first + i);
  return out;
}

std::string FakeCertificate(absl::string_view label) {
  const std::string ecdsa_with_sha256 =
      absl::HexStringToBytes("2A8648CE3D040302");
  der::Writer w;
  w.Constructed(der::kSequence, [&](der::Writer& w) {
    w.Constructed(der::kSequence, [&](der::Writer& w) {  // tbsCertificate
      w.Constructed(der::ContextTag(0, true),
                    [](der::Writer& w) { w.AddInteger(2); });
      w.Add(der::kInteger, absl::HexStringToBytes("0102030405060708"));
      w.Constructed(der::kSequence, [&](der::Writer& w) {
        w.Add(der::kObjectIdentifier, ecdsa_with_sha256);
      });
      w.Constructed(der::kSequence, [&](der::Writer& w) {  // subject
        w.Constructed(der::kSet, [&](der::Writer& w) {
          w.Constructed(der::kSequence, [&](der::Writer& w) {
            w.Add(der::kObjectIdentifier, absl::HexStringToBytes("550403"));
            w.Add(der::kUtf8String, label);
          });
        });
      });
    });
    w.Constructed(der::kSequence, [&](der::Writer& w) {
      w.Add(der::kObjectIdentifier, ecdsa_with_sha256);
    });
    w.Add(der::kBitString, std::string(1, '\0') + FakeSignature(label));
  });
  return std::move(w).Finish();
}

std::string FakeSignature(absl::string_view label) {
  std::string sig = Bytes(kSignatureSize, 0x40);
  for (size_t i = 0; i < label.size() && i < sig.size(); ++i)
    sig[i] ^= label[i];
  return sig;
}

std::string FakePoint(uint8_t seed) {
  std::string p = Bytes(65, seed);
  p[0] = 0x04;
  return p;
}

std::string TestCiKeyId() {
  return absl::HexStringToBytes("81370F5125D0B1D408D4C3B232E6D25E795BEBFB");
}

namespace {

std::string TransactionId() {
  return absl::HexStringToBytes("0123456789ABCDEF0123456789ABCDEF");
}

std::string Iccid() { return absl::HexStringToBytes("98001032547698103214"); }

}  // namespace

EuiccInfo1 SampleEuiccInfo1() {
  EuiccInfo1 v;
  v.svn = {2, 2, 2};
  v.euicc_ci_pkid_list_for_verification = {TestCiKeyId(), Bytes(20, 0xA0)};
  v.euicc_ci_pkid_list_for_signing = {TestCiKeyId()};
  return v;
}

EuiccInfo2 SampleEuiccInfo2() {
  EuiccInfo2 v;
  v.profile_version = {2, 1, 0};
  v.svn = {2, 2, 0};
  v.euicc_firmware_ver = {4, 6, 0};
  v.ext_card_resource =
      absl::HexStringToBytes("810100820400062824830400001922");
  v.uicc_capability =
      der::BitString::FromBytes(absl::HexStringToBytes("7F36C0"), 6);
  v.ts102241_version = VersionType{9, 2, 0};
  v.globalplatform_version = VersionType{2, 3, 0};
  v.rsp_capability = der::BitString::FromBits({0, 3});
  v.euicc_ci_pkid_list_for_verification = {TestCiKeyId()};
  v.euicc_ci_pkid_list_for_signing = {TestCiKeyId()};
  v.euicc_category = 2;
  v.forbidden_profile_policy_rules = der::BitString::FromBits({0, 1});
  v.pp_version = {0, 0, 1};
  v.sas_accreditation_number = "GI-BA-UP-0419";
  v.certification_data_object =
      CertificationDataObject{"1.2.840.1234567/myPlatformLabel",
                              "https://mycompany.com/myDLOARegistrar"};
  return v;
}

EuiccInfo2 SampleEuiccInfo2V3() {
  EuiccInfo2 v = SampleEuiccInfo2();
  v.svn = {3, 1, 0};
  v.tre_properties = der::BitString::FromBits({1});
  v.tre_product_reference = "TRE-1";
  v.additional_profile_package_versions =
      std::vector<VersionType>{{3, 3, 1}, {3, 4, 0}};
  v.lpa_mode = 0;
  v.euicc_ci_pkid_list_for_signing_v3 =
      std::vector<std::string>{TestCiKeyId(), Bytes(20, 0x30)};
  v.additional_euicc_info = Bytes(4, 0xEE);
  v.highest_svn = VersionType{3, 1, 0};
  return v;
}

ServerSigned1 SampleServerSigned1() {
  return ServerSigned1{TransactionId(), Bytes(16, 0x10), "smdp.example.com",
                       Bytes(16, 0x20)};
}

CtxParams1 SampleCtxParams1() {
  CtxParamsForCommonAuthentication c;
  c.matching_id = "ABCD-1234-EFGH-5678";
  c.device_info.tac = absl::HexStringToBytes("35290611");
  c.device_info.device_capabilities.Set(
      DeviceCapabilities::kGsmSupportedRelease, VersionType{8, 0, 0}.Encode());
  c.device_info.device_capabilities.Set(
      DeviceCapabilities::kUtranSupportedRelease,
      VersionType{8, 0, 0}.Encode());
  c.device_info.device_capabilities.Set(
      DeviceCapabilities::kEutranEpcSupportedRelease,
      VersionType{8, 0, 0}.Encode());
  c.device_info.imei = absl::HexStringToBytes("3592061100000000");
  CtxParams1 v;
  v.common_authentication = std::move(c);
  return v;
}

EuiccSigned1 SampleEuiccSigned1() {
  EuiccSigned1 v;
  v.transaction_id = TransactionId();
  v.server_address = "smdp.example.com";
  v.server_challenge = Bytes(16, 0x20);
  v.euicc_info2 = SampleEuiccInfo2();
  v.ctx_params1 = SampleCtxParams1();
  return v;
}

AuthenticateServerRequest SampleAuthenticateServerRequest() {
  AuthenticateServerRequest v;
  v.server_signed1 = SignedPart<ServerSigned1>::Make(SampleServerSigned1());
  v.server_signature1 = FakeSignature("serverSignature1");
  v.euicc_ci_pkid_to_be_used = TestCiKeyId();
  v.server_certificate = FakeCertificate("CERT.DPauth");
  v.ctx_params1 = SampleCtxParams1();
  return v;
}

AuthenticateServerResponse SampleAuthenticateServerResponseOk() {
  AuthenticateResponseOk ok;
  ok.euicc_signed1 = SignedPart<EuiccSigned1>::Make(SampleEuiccSigned1());
  ok.euicc_signature1 = FakeSignature("euiccSignature1");
  ok.euicc_certificate = FakeCertificate("CERT.EUICC");
  ok.eum_certificate = FakeCertificate("CERT.EUM");
  return AuthenticateServerResponse{std::move(ok)};
}

AuthenticateServerResponse SampleAuthenticateServerResponseError() {
  return AuthenticateServerResponse{AuthenticateResponseError{
      TransactionId(), AuthenticateErrorCode::kCiPkUnknown}};
}

StoreMetadataRequest SampleStoreMetadataRequest() {
  StoreMetadataRequest v;
  v.iccid = Iccid();
  v.service_provider_name = "Example Operator";
  v.profile_name = "Example Profile \xE2\x82\xAC";
  v.icon_type = IconType::kPng;
  v.icon = Bytes(100, 0x80);
  v.profile_class = ProfileClass::kTest;
  v.notification_configuration_info =
      std::vector<NotificationConfigurationInformation>{
          {der::BitString::FromBits({0}), "smdp.example.com"},
          {der::BitString::FromBits({1, 2, 3}), "notify.example.com"}};
  v.profile_owner = OperatorId{absl::HexStringToBytes("00F110"),
                               absl::HexStringToBytes("FF01"), std::nullopt};
  v.profile_policy_rules = der::BitString::FromBits({1});
  return v;
}

SmdpSigned2 SampleSmdpSigned2() {
  return SmdpSigned2{TransactionId(), true, FakePoint(0x50)};
}

PrepareDownloadRequest SamplePrepareDownloadRequest() {
  PrepareDownloadRequest v;
  v.smdp_signed2 = SignedPart<SmdpSigned2>::Make(SampleSmdpSigned2());
  v.smdp_signature2 = FakeSignature("smdpSignature2");
  v.hash_cc = Bytes(32, 0xC0);
  v.smdp_certificate = FakeCertificate("CERT.DPpb");
  return v;
}

EuiccSigned2 SampleEuiccSigned2() {
  return EuiccSigned2{TransactionId(), FakePoint(0x60), Bytes(32, 0xC0)};
}

PrepareDownloadResponse SamplePrepareDownloadResponseOk() {
  PrepareDownloadResponseOk ok;
  ok.euicc_signed2 = SignedPart<EuiccSigned2>::Make(SampleEuiccSigned2());
  ok.euicc_signature2 = FakeSignature("euiccSignature2");
  return PrepareDownloadResponse{std::move(ok)};
}

PrepareDownloadResponse SamplePrepareDownloadResponseError() {
  return PrepareDownloadResponse{PrepareDownloadResponseError{
      TransactionId(), DownloadErrorCode::kInvalidSignature}};
}

InitialiseSecureChannelRequest SampleInitialiseSecureChannelRequest() {
  InitialiseSecureChannelRequest v;
  v.transaction_id = TransactionId();
  v.control_ref_template.host_id = "SMDP-HOST-ID";
  v.smdp_otpk = FakePoint(0x70);
  v.smdp_sign = FakeSignature("smdpSign");
  return v;
}

ConfigureIsdpRequest SampleConfigureIsdpRequest() {
  ConfigureIsdpRequest v;
  v.dp_proprietary_data =
      DpProprietaryData{*der::Oid::FromString("1.3.6.1.4.1.31746.1"), ""};
  return v;
}

ReplaceSessionKeysRequest SampleReplaceSessionKeysRequest() {
  return ReplaceSessionKeysRequest{Bytes(16, 0x01), Bytes(16, 0x11),
                                   Bytes(16, 0x21)};
}

BoundProfilePackage SampleBoundProfilePackage(size_t profile_segments,
                                              bool with_ppk) {
  BoundProfilePackage v;
  v.initialise_secure_channel = SampleInitialiseSecureChannelRequest();
  v.first_sequence_of_87 = {der::EncodeTlv(tags::kSegment87, Bytes(40, 1))};
  v.sequence_of_88 = {der::EncodeTlv(tags::kSegment88, Bytes(1016, 2)),
                      der::EncodeTlv(tags::kSegment88, Bytes(200, 3))};
  if (with_ppk) {
    v.second_sequence_of_87 = std::vector<std::string>{
        der::EncodeTlv(tags::kSegment87, Bytes(72, 4))};
  }
  for (size_t i = 0; i < profile_segments; ++i) {
    v.sequence_of_86.push_back(der::EncodeTlv(
        tags::kSegment86, Bytes(i + 1 == profile_segments ? 333 : 1016,
                                static_cast<uint8_t>(i))));
  }
  return v;
}

NotificationMetadata SampleNotificationMetadata() {
  NotificationMetadata v;
  v.seq_number = 7;
  v.profile_management_operation = der::BitString::FromBits(
      {static_cast<size_t>(NotificationEvent::kInstall)});
  v.notification_address = "smdp.example.com";
  v.iccid = Iccid();
  return v;
}

ProfileInstallationResult SampleProfileInstallationResultSuccess() {
  ProfileInstallationResultData data;
  data.transaction_id = TransactionId();
  data.notification_metadata = SampleNotificationMetadata();
  data.smdp_oid = *der::Oid::FromString("1.3.6.1.4.1.31746");
  data.final_result =
      SuccessResult{absl::HexStringToBytes("A0000005591010FFFFFFFF8900001100"),
                    absl::HexStringToBytes("3003800100")};
  ProfileInstallationResult v;
  v.data = SignedPart<ProfileInstallationResultData>::Make(std::move(data));
  v.euicc_sign_pir = FakeSignature("euiccSignPIR");
  return v;
}

ProfileInstallationResult SampleProfileInstallationResultError() {
  ProfileInstallationResultData data;
  data.transaction_id = TransactionId();
  data.notification_metadata = SampleNotificationMetadata();
  data.smdp_oid = *der::Oid::FromString("1.3.6.1.4.1.31746");
  data.final_result =
      ErrorResult{BppCommandId::kLoadProfileElements,
                  ErrorReason::kInstallFailedDueToPeProcessingError,
                  absl::HexStringToBytes("3005800101810102")};
  ProfileInstallationResult v;
  v.data = SignedPart<ProfileInstallationResultData>::Make(std::move(data));
  v.euicc_sign_pir = FakeSignature("euiccSignPIR");
  return v;
}

OtherSignedNotification SampleOtherSignedNotification() {
  NotificationMetadata m = SampleNotificationMetadata();
  m.seq_number = 8;
  m.profile_management_operation = der::BitString::FromBits(
      {static_cast<size_t>(NotificationEvent::kDelete)});
  OtherSignedNotification v;
  v.tbs_other_notification = SignedPart<NotificationMetadata>::Make(m);
  v.euicc_notification_signature = FakeSignature("euiccNotificationSignature");
  v.euicc_certificate = FakeCertificate("CERT.EUICC");
  v.eum_certificate = FakeCertificate("CERT.EUM");
  return v;
}

CancelSessionResponse SampleCancelSessionResponseOk() {
  CancelSessionResponseOk ok;
  ok.euicc_cancel_session_signed =
      SignedPart<EuiccCancelSessionSigned>::Make(EuiccCancelSessionSigned{
          TransactionId(), *der::Oid::FromString("1.3.6.1.4.1.31746"),
          CancelSessionReason::kPostponed});
  ok.euicc_cancel_session_signature =
      FakeSignature("euiccCancelSessionSignature");
  return CancelSessionResponse{std::move(ok)};
}

CancelSessionResponse SampleCancelSessionResponseError() {
  return CancelSessionResponse{CancelSessionError::kInvalidTransactionId};
}

std::vector<std::pair<std::string, std::string>> AllEncodedSamples() {
  return {
      {"EuiccInfo1", SampleEuiccInfo1().Encode()},
      {"EuiccInfo2", SampleEuiccInfo2().Encode()},
      {"EuiccInfo2.v3", SampleEuiccInfo2V3().Encode()},
      {"ServerSigned1", SampleServerSigned1().Encode()},
      {"CtxParams1", SampleCtxParams1().Encode()},
      {"EuiccSigned1", SampleEuiccSigned1().Encode()},
      {"AuthenticateServerRequest", SampleAuthenticateServerRequest().Encode()},
      {"AuthenticateServerResponse.ok",
       SampleAuthenticateServerResponseOk().Encode()},
      {"AuthenticateServerResponse.error",
       SampleAuthenticateServerResponseError().Encode()},
      {"StoreMetadataRequest", SampleStoreMetadataRequest().Encode()},
      {"SmdpSigned2", SampleSmdpSigned2().Encode()},
      {"PrepareDownloadRequest", SamplePrepareDownloadRequest().Encode()},
      {"EuiccSigned2", SampleEuiccSigned2().Encode()},
      {"PrepareDownloadResponse.ok",
       SamplePrepareDownloadResponseOk().Encode()},
      {"PrepareDownloadResponse.error",
       SamplePrepareDownloadResponseError().Encode()},
      {"InitialiseSecureChannelRequest",
       SampleInitialiseSecureChannelRequest().Encode()},
      {"ConfigureIsdpRequest", SampleConfigureIsdpRequest().Encode()},
      {"ReplaceSessionKeysRequest", SampleReplaceSessionKeysRequest().Encode()},
      {"BoundProfilePackage", SampleBoundProfilePackage().Encode()},
      {"NotificationMetadata", SampleNotificationMetadata().Encode()},
      {"ProfileInstallationResult.success",
       SampleProfileInstallationResultSuccess().Encode()},
      {"ProfileInstallationResult.error",
       SampleProfileInstallationResultError().Encode()},
      {"OtherSignedNotification", SampleOtherSignedNotification().Encode()},
      {"EuiccCancelSessionSigned",
       std::get<CancelSessionResponseOk>(SampleCancelSessionResponseOk().result)
           .euicc_cancel_session_signed.der},
      {"CancelSessionResponse.ok", SampleCancelSessionResponseOk().Encode()},
      {"CancelSessionResponse.error",
       SampleCancelSessionResponseError().Encode()},
  };
}

}  // namespace smdp::sgp22::testing
