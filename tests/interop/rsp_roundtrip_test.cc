// The RSP core end to end, without a server process: the server-side
// libraries (smdp/auth, smdp/download, keys in a real SoftHSM token) talk to
// the software eUICC of tests/euicc, which checks everything with its own
// code (certificate chains, signatures, KDF, every MAC, decryption).
//
// For each PKI (our dev PKI, the GSMA SGP.26 test PKI), curve (P-256,
// brainpoolP256r1), profile size (1 B, 1007 B, 1008 B, 100 KB, 1 MB) and
// binding (plain, PPK-protected), a full download must give back the profile
// byte for byte, and the server must verify every eUICC signature.
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hsm/internal/test_util.h"
#include "hsm/softhsm_test_token.h"
#include "sgp22/authentication.h"
#include "sgp22/bsp/profile_protection.h"
#include "sgp22/download.h"
#include "sgp22/euicc_info.h"
#include "sgp22/notification.h"
#include "sgp22/types.h"
#include "smdp/auth/ci_trust_store.h"
#include "smdp/auth/euicc_certificate_verifier.h"
#include "smdp/download/bpp_builder.h"
#include "smdp/download/signed_data.h"
#include "smdp/pki/dev_pki.h"
#include "tests/euicc/euicc_testing.h"
#include "tests/euicc/software_euicc.h"
#include "util/file_util.h"

namespace smdp {
namespace {

using ::smdp::hsm::Curve;
using ::smdp::hsm::testing::IsOk;

enum class Pki { kDev, kSgp26 };

struct Case {
  Pki pki;
  Curve curve;
  size_t size;
  bool ppk;
};

std::string CaseName(const ::testing::TestParamInfo<Case>& info) {
  const Case& c = info.param;
  return absl::StrCat(c.pki == Pki::kDev ? "Dev" : "Sgp26",
                      c.curve == Curve::kNistP256 ? "P256" : "Brainpool", "_",
                      c.size, "B_", c.ppk ? "Ppk" : "Plain");
}

std::string Pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>(i * 131 + n);
  return s;
}

// The server side: identity keys in SoftHSM, certificates, the verifier.
struct Server {
  std::string smdp_address;
  std::string smdp_oid;
  std::string ci_certificate;
  std::string dpauth_certificate;
  std::string dppb_certificate;
  std::unique_ptr<hsm::SigningKey> dpauth;
  std::unique_ptr<hsm::SigningKey> dppb;
  std::unique_ptr<auth::EuiccCertificateVerifier> verifier;
  std::string ci_key_id;
};

class RspRoundTripTest : public ::testing::TestWithParam<Case> {
 protected:
  static void SetUpTestSuite() {
    auto token = hsm::SoftHsmTestToken::Create();
    ASSERT_THAT(token.status(), IsOk());
    token_ = token->release();
    auto provider = token_->OpenProvider();
    ASSERT_THAT(provider.status(), IsOk());
    provider_ = provider->release();
  }

  void SetUp() override {
    const Case& c = GetParam();
    std::string suffix = c.curve == Curve::kNistP256 ? "nist" : "brp";
    euicc::SoftwareEuiccConfig config;
    if (c.pki == Pki::kSgp26) {
      std::string dir = euicc::testing::Sgp26Dir();
      if (dir.empty()) GTEST_SKIP() << "SMDP_SGP26_DIR is not set";
      auto smdp = euicc::testing::LoadSgp26Smdp(dir, c.curve);
      ASSERT_THAT(smdp.status(), IsOk());
      server_.smdp_address = std::string(euicc::testing::kSgp26SmdpAddress);
      server_.smdp_oid = std::string(euicc::testing::kSgp26SmdpOid);
      server_.ci_certificate = smdp->ci_certificate;
      server_.dpauth_certificate = smdp->dpauth_certificate;
      server_.dppb_certificate = smdp->dppb_certificate;
      // The SGP.26 keys go into the token once per label.
      std::string auth_label = "sgp26-dpauth-" + suffix;
      std::string pb_label = "sgp26-dppb-" + suffix;
      auto dpauth = provider_->LoadSigningKey(auth_label);
      if (!dpauth.ok()) {
        dpauth = provider_->ImportSigningKey(auth_label,
                                             smdp->dpauth_private_key_pem);
      }
      auto dppb = provider_->LoadSigningKey(pb_label);
      if (!dppb.ok()) {
        dppb =
            provider_->ImportSigningKey(pb_label, smdp->dppb_private_key_pem);
      }
      ASSERT_THAT(dpauth.status(), IsOk());
      ASSERT_THAT(dppb.status(), IsOk());
      server_.dpauth = *std::move(dpauth);
      server_.dppb = *std::move(dppb);
      auto creds = euicc::testing::LoadSgp26Euicc(dir, c.curve);
      ASSERT_THAT(creds.status(), IsOk());
      config = creds->ToConfig();
    } else {
      // Our dev PKI, with its SM-DP+ keys generated inside the token.
      pki::DevPkiOptions options;
      options.dir = absl::StrCat(getenv("TEST_TMPDIR"), "/devpki");
      auto dev = pki::EnsureDevPki(options, *provider_);
      ASSERT_THAT(dev.status(), IsOk());
      const pki::DevPkiCurve& curve = dev->ForCurve(c.curve);
      server_.smdp_address = dev->smdp_address;
      server_.smdp_oid = dev->smdp_oid;
      for (auto [file, out] :
           {std::pair{&curve.ci.der, &server_.ci_certificate},
            std::pair{&curve.dpauth.der, &server_.dpauth_certificate},
            std::pair{&curve.dppb.der, &server_.dppb_certificate}}) {
        auto data = ReadFile(*file);
        ASSERT_THAT(data.status(), IsOk());
        *out = *data;
      }
      auto dpauth = provider_->LoadSigningKey(curve.dpauth_key);
      auto dppb = provider_->LoadSigningKey(curve.dppb_key);
      ASSERT_THAT(dpauth.status(), IsOk());
      ASSERT_THAT(dppb.status(), IsOk());
      server_.dpauth = *std::move(dpauth);
      server_.dppb = *std::move(dppb);
      auto creds = euicc::testing::DevPkiEuicc(curve);
      ASSERT_THAT(creds.status(), IsOk());
      config = creds->ToConfig();
    }
    auto store = auth::CiTrustStore::Create({server_.ci_certificate});
    ASSERT_THAT(store.status(), IsOk());
    server_.ci_key_id = (*store)->KeyIds().front();
    server_.verifier =
        std::make_unique<auth::EuiccCertificateVerifier>(*std::move(store));

    // Room for the 1 MB profile.
    sgp22::ExtCardResource resource;
    resource.installed_applications = 0;
    resource.free_non_volatile_memory = 8 << 20;
    resource.free_volatile_memory = 64 << 10;
    config.euicc_info2.ext_card_resource = resource.Encode();
    auto euicc = euicc::SoftwareEuicc::Create(std::move(config));
    ASSERT_THAT(euicc.status(), IsOk());
    euicc_ = *std::move(euicc);
  }

  static hsm::SoftHsmTestToken* token_;
  static hsm::Pkcs11Provider* provider_;
  Server server_;
  std::unique_ptr<euicc::SoftwareEuicc> euicc_;
};

hsm::SoftHsmTestToken* RspRoundTripTest::token_ = nullptr;
hsm::Pkcs11Provider* RspRoundTripTest::provider_ = nullptr;

TEST_P(RspRoundTripTest, DownloadGivesBackTheProfileByteForByte) {
  const Case& c = GetParam();
  const absl::Time now = absl::Now();

  // The eUICC names our CI among those it can verify with.
  auto info1 = sgp22::EuiccInfo1::Decode(euicc_->GetEuiccInfo1());
  ASSERT_THAT(info1.status(), IsOk());
  EXPECT_THAT(info1->euicc_ci_pkid_list_for_verification,
              ::testing::Contains(server_.ci_key_id));

  // InitiateAuthentication: serverSigned1 signed with SK.DPauth in the HSM.
  auto challenge = euicc_->GetEuiccChallenge();
  ASSERT_THAT(challenge.status(), IsOk());
  sgp22::ServerSigned1 signed1;
  signed1.transaction_id = Pattern(16);
  signed1.euicc_challenge = *challenge;
  signed1.server_address = server_.smdp_address;
  signed1.server_challenge = Pattern(16).substr(0, 8) + Pattern(8);
  auto part1 = sgp22::SignedPart<sgp22::ServerSigned1>::Make(signed1);
  auto signature1 = server_.dpauth->Sign(part1.der);
  ASSERT_THAT(signature1.status(), IsOk());
  euicc::InitiateAuthenticationFields initiate;
  initiate.server_signed1 = part1.der;
  initiate.server_signature1 = sgp22::EncodeSignatureTlv(*signature1);
  initiate.euicc_ci_pkid_to_be_used =
      sgp22::EncodeSubjectKeyIdentifierTlv(server_.ci_key_id);
  initiate.server_certificate = server_.dpauth_certificate;
  auto authenticated = euicc_->AuthenticateServer(
      initiate, euicc::MakeCtxParams1("MATCHING-ID-1"), server_.smdp_address);
  ASSERT_TRUE(authenticated.ok()) << authenticated.status;

  // AuthenticateClient: the eUICC chain to the CI and euiccSignature1 over
  // euiccSigned1 as received.
  auto response = sgp22::AuthenticateServerResponse::Decode(authenticated.der);
  ASSERT_THAT(response.status(), IsOk());
  const auto& ok = std::get<sgp22::AuthenticateResponseOk>(response->result);
  auto verified = server_.verifier->Verify(
      ok.euicc_certificate, ok.eum_certificate, now, server_.ci_key_id);
  ASSERT_THAT(verified.status(), IsOk());
  EXPECT_EQ(verified->eid, euicc_->eid());
  EXPECT_THAT(verified->public_key.VerifyPlain(ok.euicc_signed1.der,
                                               ok.euicc_signature1),
              IsOk());
  EXPECT_EQ(ok.euicc_signed1.value.transaction_id, signed1.transaction_id);
  EXPECT_EQ(ok.euicc_signed1.value.server_challenge, signed1.server_challenge);
  sgp22::SmdpSigned2 signed2;
  signed2.transaction_id = signed1.transaction_id;
  auto part2 = sgp22::SignedPart<sgp22::SmdpSigned2>::Make(signed2);
  auto signature2 = server_.dppb->Sign(
      download::SmdpSignature2Input(part2.der, ok.euicc_signature1));
  ASSERT_THAT(signature2.status(), IsOk());
  euicc::AuthenticateClientFields client;
  client.smdp_signed2 = part2.der;
  client.smdp_signature2 = sgp22::EncodeSignatureTlv(*signature2);
  client.smdp_certificate = server_.dppb_certificate;
  auto prepared = euicc_->PrepareDownload(client, std::nullopt);
  ASSERT_TRUE(prepared.ok()) << prepared.status;

  // GetBoundProfilePackage: euiccSignature2, then the binding.
  auto prepare = sgp22::PrepareDownloadResponse::Decode(prepared.der);
  ASSERT_THAT(prepare.status(), IsOk());
  const auto& pok = std::get<sgp22::PrepareDownloadResponseOk>(prepare->result);
  EXPECT_THAT(
      verified->public_key.VerifyPlain(
          download::EuiccSignature2Input(pok.euicc_signed2.der, *signature2),
          pok.euicc_signature2),
      IsOk());
  EXPECT_EQ(pok.euicc_signed2.value.transaction_id, signed1.transaction_id);

  const std::string profile = Pattern(c.size);
  auto ppp = bsp::ProtectProfile(profile);
  ASSERT_THAT(ppp.status(), IsOk());
  download::BoundProfilePackageBuilder builder(*provider_,
                                               {.smdp_oid = server_.smdp_oid});
  download::BindingRequest binding;
  binding.transaction_id = signed1.transaction_id;
  binding.eid = verified->eid;
  binding.euicc_otpk = pok.euicc_signed2.value.euicc_otpk;
  binding.dppb_key = server_.dppb.get();
  binding.metadata.iccid =
      std::string("\x98\x94\x44\x99\x99\x99\x99\x09\x71\xF1", 10);
  binding.metadata.service_provider_name = "Interop Operator";
  binding.metadata.profile_name = "Round trip";
  auto bound =
      builder.Build(binding, c.ppk ? download::ProfileToBind::Protected(*ppp)
                                   : download::ProfileToBind::Plain(profile));
  ASSERT_THAT(bound.status(), IsOk());

  // The eUICC opens it with its own code: every MAC, every segment.
  auto loaded = euicc_->LoadBoundProfilePackage(bound->der);
  ASSERT_THAT(loaded.status(), IsOk());
  ASSERT_THAT(loaded->status, IsOk());
  EXPECT_EQ(loaded->used_ppk, c.ppk);
  ASSERT_EQ(loaded->profile.size(), profile.size());
  EXPECT_TRUE(loaded->profile == profile) << "profile differs";
  ASSERT_TRUE(loaded->metadata.has_value());
  EXPECT_EQ(*loaded->metadata, binding.metadata);
  ASSERT_TRUE(loaded->configure_isdp.has_value());

  // HandleNotification: the server verifies euiccSignPIR.
  auto notification =
      sgp22::PendingNotification::Decode(loaded->profile_installation_result);
  ASSERT_THAT(notification.status(), IsOk());
  const auto& pir =
      std::get<sgp22::ProfileInstallationResult>(notification->notification);
  EXPECT_THAT(
      verified->public_key.VerifyPlain(pir.data.der, pir.euicc_sign_pir),
      IsOk());
  EXPECT_EQ(pir.data.value.transaction_id, signed1.transaction_id);
  EXPECT_TRUE(std::holds_alternative<sgp22::SuccessResult>(
      pir.data.value.final_result));
}

std::vector<Case> AllCases() {
  std::vector<Case> cases;
  for (Pki pki : {Pki::kDev, Pki::kSgp26}) {
    for (Curve curve : {Curve::kNistP256, Curve::kBrainpoolP256r1}) {
      for (size_t size : {1, 1007, 1008, 100 * 1024, 1024 * 1024}) {
        for (bool ppk : {false, true}) cases.push_back({pki, curve, size, ppk});
      }
    }
  }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(All, RspRoundTripTest, ::testing::ValuesIn(AllCases()),
                         CaseName);

}  // namespace
}  // namespace smdp
