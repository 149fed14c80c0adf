// The software eUICC against a hand-made SM-DP+ side (mini_smdp.h): full
// downloads on both curves with the SGP.26 test PKI and with the dev PKI,
// and the eUICC's refusals with their exact ES10b / ErrorResult codes.
#include "tests/euicc/software_euicc.h"

#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <variant>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hsm/crypto_provider.h"
#include "hsm/internal/test_util.h"
#include "hsm/software_provider.h"
#include "sgp22/authentication.h"
#include "sgp22/bpp.h"
#include "sgp22/download.h"
#include "sgp22/euicc_info.h"
#include "sgp22/notification.h"
#include "smdp/pki/certificate_builder.h"
#include "smdp/pki/dev_pki.h"
#include "tests/euicc/euicc_testing.h"
#include "tests/mini_smdp/mini_smdp.h"
#include "util/file_util.h"
#include "util/ssl_ptr.h"
#include "util/status_macros.h"

namespace smdp::euicc {
namespace {

using ::smdp::euicc::testing::BppOptions;
using ::smdp::euicc::testing::EuiccCredentials;
using ::smdp::euicc::testing::MiniSmdp;
using ::smdp::euicc::testing::MiniSmdpIdentity;
using ::smdp::euicc::testing::TestCi;
using ::smdp::hsm::testing::IsOk;
using ::smdp::hsm::testing::StatusIs;
using ::testing::HasSubstr;

const absl::Time kNow = absl::FromCivil(absl::CivilSecond(2025, 6, 1, 12, 0, 0),
                                        absl::UTCTimeZone());

// n bytes of a fixed pseudo-random pattern.
std::string Profile(size_t n, uint8_t seed = 1) {
  std::string out(n, '\0');
  uint32_t x = seed * 2654435761u + 1;
  for (size_t i = 0; i < n; ++i) {
    x = x * 1103515245u + 12345u;
    out[i] = static_cast<char>(x >> 16);
  }
  return out;
}

// Metadata with the ICCID's last byte set to `n`.
sgp22::StoreMetadataRequest Metadata(uint8_t n) {
  sgp22::StoreMetadataRequest metadata = testing::SampleMetadata();
  metadata.iccid.back() = static_cast<char>(n);
  return metadata;
}

template <typename T>
absl::StatusOr<T> Decoded(const std::string& der) {
  return T::Decode(der);
}

struct Param {
  bool sgp26;
  hsm::Curve curve;
  const char* name;

  friend void PrintTo(const Param& p, std::ostream* os) { *os << p.name; }
};

class SoftwareEuiccTest : public ::testing::TestWithParam<Param> {
 protected:
  void SetUp() override {
    const Param& p = GetParam();
    const std::string tmp = std::getenv("TEST_TMPDIR");
    auto provider = hsm::SoftwareProvider::Create({.key_dir = tmp + "/keys"});
    ASSERT_OK(provider.status());
    provider_ = *std::move(provider);
    if (p.sgp26) {
      const std::string dir = testing::Sgp26Dir();
      if (dir.empty()) GTEST_SKIP() << "SMDP_SGP26_DIR is not set";
      ASSERT_OK_AND_ASSIGN(creds_, testing::LoadSgp26Euicc(dir, p.curve));
      ASSERT_OK_AND_ASSIGN(MiniSmdpIdentity id,
                           testing::Sgp26Identity(*provider_, dir, p.curve));
      ASSERT_OK_AND_ASSIGN(testing::Sgp26Smdp files,
                           testing::LoadSgp26Smdp(dir, p.curve));
      trusted_ci_ = {files.ci_certificate, files.ci_private_key_pem};
      smdp_oid_ = "2.999.10";
      smdp_ = std::make_unique<MiniSmdp>(std::move(id), *provider_);
    } else {
      ASSERT_OK_AND_ASSIGN(
          pki::DevPki pki,
          pki::EnsureDevPki({.dir = tmp + "/pki", .now = kNow}, *provider_));
      const pki::DevPkiCurve& c = pki.ForCurve(p.curve);
      ASSERT_OK_AND_ASSIGN(creds_, testing::DevPkiEuicc(c));
      ASSERT_OK_AND_ASSIGN(MiniSmdpIdentity id,
                           testing::DevPkiIdentity(*provider_, pki, p.curve));
      ASSERT_OK_AND_ASSIGN(trusted_ci_.certificate, ReadFile(c.ci.der));
      ASSERT_OK_AND_ASSIGN(trusted_ci_.private_key_pem, ReadFile(c.ci_key));
      smdp_oid_ = pki.smdp_oid;
      smdp_ = std::make_unique<MiniSmdp>(std::move(id), *provider_);
    }
    ASSERT_OK_AND_ASSIGN(euicc_, MakeEuicc(Config()));
  }

  SoftwareEuiccConfig Config() const {
    SoftwareEuiccConfig config = creds_.ToConfig();
    config.clock = FixedClock(kNow);
    return config;
  }

  static absl::StatusOr<std::unique_ptr<SoftwareEuicc>> MakeEuicc(
      SoftwareEuiccConfig config) {
    return SoftwareEuicc::Create(std::move(config));
  }

  // GetEuiccChallenge + InitiateAuthentication.
  absl::StatusOr<InitiateAuthenticationFields> Initiate() {
    ASSIGN_OR_RETURN(std::string challenge, euicc_->GetEuiccChallenge());
    return smdp_->InitiateAuthentication(challenge);
  }

  AuthenticateServerAnswer Authenticate(
      const InitiateAuthenticationFields& fields) {
    return euicc_->AuthenticateServer(fields, MakeCtxParams1("TEST-AC-1"),
                                      smdp_->address());
  }

  // Up to a successful AuthenticateServer and AuthenticateClient.
  absl::StatusOr<AuthenticateClientFields> UpToAuthenticateClient(
      std::optional<std::string> cc = {},
      std::optional<std::string> bpp_euicc_otpk = {}) {
    ASSIGN_OR_RETURN(InitiateAuthenticationFields init, Initiate());
    AuthenticateServerAnswer auth = Authenticate(init);
    RETURN_IF_ERROR(auth.status);
    return smdp_->AuthenticateClient(auth.der, std::move(cc),
                                     std::move(bpp_euicc_otpk));
  }

  // Up to the BPP.
  absl::StatusOr<std::string> UpToBpp(const BppOptions& options,
                                      std::optional<std::string> cc = {}) {
    ASSIGN_OR_RETURN(AuthenticateClientFields client,
                     UpToAuthenticateClient(cc));
    PrepareDownloadAnswer prep = euicc_->PrepareDownload(client, cc);
    RETURN_IF_ERROR(prep.status);
    return smdp_->GetBoundProfilePackage(prep.der, options);
  }

  absl::StatusOr<LoadBppResult> Download(const BppOptions& options) {
    ASSIGN_OR_RETURN(std::string bpp, UpToBpp(options));
    return euicc_->LoadBoundProfilePackage(bpp);
  }

  // Expects an AuthenticateServer error answer with `code`.
  void ExpectAuthError(const AuthenticateServerAnswer& answer,
                       sgp22::AuthenticateErrorCode code,
                       absl::StatusCode status_code) {
    EXPECT_THAT(answer.status, StatusIs(status_code));
    ASSERT_TRUE(answer.error_code.has_value()) << answer.status;
    EXPECT_EQ(*answer.error_code, code) << answer.status;
    ASSERT_OK_AND_ASSIGN(
        auto response, Decoded<sgp22::AuthenticateServerResponse>(answer.der));
    const auto* error =
        std::get_if<sgp22::AuthenticateResponseError>(&response.result);
    ASSERT_NE(error, nullptr);
    EXPECT_EQ(error->authenticate_error_code, code);
    EXPECT_EQ(error->transaction_id, smdp_->transaction_id());
    EXPECT_EQ(euicc_->transaction_id(), "");
  }

  void ExpectPrepareError(const PrepareDownloadAnswer& answer,
                          sgp22::DownloadErrorCode code,
                          absl::StatusCode status_code) {
    EXPECT_THAT(answer.status, StatusIs(status_code));
    ASSERT_TRUE(answer.error_code.has_value()) << answer.status;
    EXPECT_EQ(*answer.error_code, code) << answer.status;
    ASSERT_OK_AND_ASSIGN(auto response,
                         Decoded<sgp22::PrepareDownloadResponse>(answer.der));
    const auto* error =
        std::get_if<sgp22::PrepareDownloadResponseError>(&response.result);
    ASSERT_NE(error, nullptr);
    EXPECT_EQ(error->download_error_code, code);
  }

  // The PIR of a failed load verifies and reports the same ErrorResult.
  void ExpectSignedErrorResult(const LoadBppResult& result) {
    ASSERT_TRUE(result.error.has_value());
    ASSERT_OK_AND_ASSIGN(
        sgp22::ProfileInstallationResultData pir,
        smdp_->HandleNotification(result.profile_installation_result));
    const auto* error = std::get_if<sgp22::ErrorResult>(&pir.final_result);
    ASSERT_NE(error, nullptr);
    EXPECT_EQ(*error, *result.error);
  }

  // A CERT.DPauth/DPpb for the server's key under `ci`.
  absl::StatusOr<std::string> SmdpCertificate(
      const TestCi& ci, pki::CertificateRole role, absl::Time not_before,
      absl::Time not_after,
      std::optional<std::vector<std::string>> policies = {},
      std::string smdp_oid = "") {
    const MiniSmdpIdentity& id = smdp_->identity();
    testing::SmdpCertificateOptions options;
    options.role = role;
    options.curve = id.curve;
    options.public_point = role == pki::CertificateRole::kDpAuth
                               ? id.dpauth_key->public_point()
                               : id.dppb_key->public_point();
    options.smdp_oid = smdp_oid.empty() ? smdp_oid_ : smdp_oid;
    options.not_before = not_before;
    options.not_after = not_after;
    options.policy_oids = std::move(policies);
    return testing::IssueSmdpCertificate(ci, options);
  }

  std::unique_ptr<hsm::SoftwareProvider> provider_;
  EuiccCredentials creds_;
  TestCi trusted_ci_;
  std::string smdp_oid_;
  std::unique_ptr<MiniSmdp> smdp_;
  std::unique_ptr<SoftwareEuicc> euicc_;
};

// ---- full downloads ----

TEST_P(SoftwareEuiccTest, DownloadsProfilesOfEverySizeWithAndWithoutPpk) {
  uint8_t n = 0;
  for (const size_t size :
       {size_t{1}, size_t{1007}, size_t{1008}, size_t{100 * 1024}}) {
    for (const bool use_ppk : {false, true}) {
      SCOPED_TRACE(absl::StrCat(size, use_ppk ? " bytes with PPK" : " bytes"));
      ++n;
      const std::string profile = Profile(size, n);
      ASSERT_OK_AND_ASSIGN(LoadBppResult result,
                           Download({.profile = profile,
                                     .use_ppk = use_ppk,
                                     .metadata = Metadata(n)}));
      ASSERT_OK(result.status);
      EXPECT_TRUE(result.profile == profile) << "profile differs";
      EXPECT_EQ(result.used_ppk, use_ppk);
      EXPECT_EQ(result.profile_segments, (size + 1006) / 1007);
      ASSERT_TRUE(result.metadata.has_value());
      EXPECT_EQ(*result.metadata, Metadata(n));
      EXPECT_EQ(result.iccid, Metadata(n).iccid);
      ASSERT_TRUE(result.configure_isdp.has_value());
      EXPECT_FALSE(result.error.has_value());
      EXPECT_EQ(result.isdp_aid.size(), 16u);
      EXPECT_EQ(euicc_->transaction_id(), "");
      EXPECT_FALSE(euicc_->kept_euicc_otpk().has_value());

      // The PIR verifies with CERT.EUICC and reports success.
      ASSERT_OK_AND_ASSIGN(
          sgp22::ProfileInstallationResultData pir,
          smdp_->HandleNotification(result.profile_installation_result));
      EXPECT_EQ(pir.transaction_id, smdp_->transaction_id());
      EXPECT_EQ(pir.notification_metadata.seq_number, n);
      EXPECT_EQ(pir.notification_metadata.Event(),
                sgp22::NotificationEvent::kInstall);
      EXPECT_EQ(pir.notification_metadata.notification_address,
                smdp_->address());
      EXPECT_EQ(pir.notification_metadata.iccid, Metadata(n).iccid);
      ASSERT_TRUE(pir.smdp_oid.has_value());
      EXPECT_EQ(pir.smdp_oid->ToString(), smdp_oid_);
      const auto* success =
          std::get_if<sgp22::SuccessResult>(&pir.final_result);
      ASSERT_NE(success, nullptr);
      EXPECT_EQ(success->aid, result.isdp_aid);
    }
  }
  EXPECT_EQ(euicc_->installed_iccids().size(), 8u);
}

TEST_P(SoftwareEuiccTest, ConfirmationCode) {
  ASSERT_OK_AND_ASSIGN(std::string bpp,
                       UpToBpp({.profile = Profile(3000)}, "1234"));
  ASSERT_OK_AND_ASSIGN(LoadBppResult result,
                       euicc_->LoadBoundProfilePackage(bpp));
  EXPECT_OK(result.status);

  // A wrong code: the eUICC signs the hash of what the user typed; the
  // server refuses it.
  ASSERT_OK_AND_ASSIGN(AuthenticateClientFields client,
                       UpToAuthenticateClient("1234"));
  PrepareDownloadAnswer prep = euicc_->PrepareDownload(client, "4321");
  ASSERT_OK(prep.status);
  EXPECT_THAT(smdp_->GetBoundProfilePackage(prep.der, {.profile = "x"}),
              StatusIs(absl::StatusCode::kPermissionDenied));

  // No code where one is required: the eUICC answers undefinedError.
  ASSERT_OK_AND_ASSIGN(client, UpToAuthenticateClient("1234"));
  ExpectPrepareError(euicc_->PrepareDownload(client, std::nullopt),
                     sgp22::DownloadErrorCode::kUndefinedError,
                     absl::StatusCode::kFailedPrecondition);
}

TEST_P(SoftwareEuiccTest, EuiccInfoNamesItsCis) {
  ASSERT_OK_AND_ASSIGN(sgp22::EuiccInfo1 info1,
                       sgp22::EuiccInfo1::Decode(euicc_->GetEuiccInfo1()));
  ASSERT_OK_AND_ASSIGN(std::string ci_id,
                       testing::KeyIdOf(trusted_ci_.certificate));
  EXPECT_EQ(info1.euicc_ci_pkid_list_for_verification,
            std::vector<std::string>{ci_id});
  EXPECT_EQ(info1.euicc_ci_pkid_list_for_signing,
            std::vector<std::string>{ci_id});
  EXPECT_EQ(info1.svn, (sgp22::VersionType{2, 2, 2}));
  ASSERT_OK_AND_ASSIGN(sgp22::EuiccInfo2 info2,
                       sgp22::EuiccInfo2::Decode(euicc_->GetEuiccInfo2()));
  EXPECT_EQ(info2.euicc_ci_pkid_list_for_verification,
            info1.euicc_ci_pkid_list_for_verification);
  ASSERT_OK_AND_ASSIGN(sgp22::ExtCardResource resource,
                       sgp22::ExtCardResource::Parse(info2.ext_card_resource));
  EXPECT_EQ(resource.free_non_volatile_memory, 256u * 1024);
  EXPECT_EQ(euicc_->eid(), creds_.eid);
  EXPECT_EQ(euicc_->eid_bytes().size(), 16u);
}

// ---- AuthenticateServer refusals ----

TEST_P(SoftwareEuiccTest, RefusesAWrongServerSignature) {
  ASSERT_OK_AND_ASSIGN(InitiateAuthenticationFields init, Initiate());
  init.server_signature1[20] ^= 0x01;
  ExpectAuthError(Authenticate(init),
                  sgp22::AuthenticateErrorCode::kInvalidSignature,
                  absl::StatusCode::kUnauthenticated);
}

TEST_P(SoftwareEuiccTest, RefusesServerSigned1SignedByAnotherKey) {
  ASSERT_OK_AND_ASSIGN(InitiateAuthenticationFields init, Initiate());
  // Signed with SK.DPpb instead of SK.DPauth.
  ASSERT_OK_AND_ASSIGN(std::string rs,
                       smdp_->identity().dppb_key->Sign(init.server_signed1));
  init.server_signature1 = sgp22::EncodeSignatureTlv(rs);
  ExpectAuthError(Authenticate(init),
                  sgp22::AuthenticateErrorCode::kInvalidSignature,
                  absl::StatusCode::kUnauthenticated);
}

TEST_P(SoftwareEuiccTest, RefusesDpAuthFromAForeignCi) {
  ASSERT_OK_AND_ASSIGN(
      TestCi foreign,
      testing::MakeTestCi(GetParam().curve, kNow - absl::Hours(24 * 30)));
  ASSERT_OK_AND_ASSIGN(
      smdp_->mutable_identity().dpauth_certificate,
      SmdpCertificate(foreign, pki::CertificateRole::kDpAuth,
                      kNow - absl::Hours(24), kNow + absl::Hours(24 * 365)));
  // Named as the trusted CI: the chain does not hold.
  ASSERT_OK_AND_ASSIGN(InitiateAuthenticationFields init, Initiate());
  ExpectAuthError(Authenticate(init),
                  sgp22::AuthenticateErrorCode::kInvalidCertificate,
                  absl::StatusCode::kPermissionDenied);
  // Named as the foreign CI: the eUICC does not know it.
  ASSERT_OK_AND_ASSIGN(smdp_->mutable_identity().ci_key_id,
                       testing::KeyIdOf(foreign.certificate));
  ASSERT_OK_AND_ASSIGN(init, Initiate());
  ExpectAuthError(Authenticate(init),
                  sgp22::AuthenticateErrorCode::kCiPkUnknown,
                  absl::StatusCode::kNotFound);
}

TEST_P(SoftwareEuiccTest, RefusesAnExpiredDpAuth) {
  ASSERT_OK_AND_ASSIGN(
      smdp_->mutable_identity().dpauth_certificate,
      SmdpCertificate(trusted_ci_, pki::CertificateRole::kDpAuth,
                      kNow - absl::Hours(24 * 400), kNow - absl::Hours(24)));
  ASSERT_OK_AND_ASSIGN(InitiateAuthenticationFields init, Initiate());
  AuthenticateServerAnswer answer = Authenticate(init);
  ExpectAuthError(answer, sgp22::AuthenticateErrorCode::kInvalidCertificate,
                  absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(answer.status.message(), HasSubstr("expired"));
}

TEST_P(SoftwareEuiccTest, ChecksValidityAtItsOwnClock) {
  // The same (valid) certificate, with the eUICC's clock 20 years ahead.
  euicc_->set_clock(FixedClock(kNow + absl::Hours(24 * 365 * 20)));
  ASSERT_OK_AND_ASSIGN(InitiateAuthenticationFields init, Initiate());
  ExpectAuthError(Authenticate(init),
                  sgp22::AuthenticateErrorCode::kInvalidCertificate,
                  absl::StatusCode::kPermissionDenied);
}

TEST_P(SoftwareEuiccTest, RefusesDpAuthWithoutTheDpAuthPolicy) {
  ASSERT_OK_AND_ASSIGN(
      smdp_->mutable_identity().dpauth_certificate,
      SmdpCertificate(trusted_ci_, pki::CertificateRole::kDpAuth,
                      kNow - absl::Hours(24), kNow + absl::Hours(24 * 365),
                      std::vector<std::string>{"2.23.146.1.2.1.5"}));
  ASSERT_OK_AND_ASSIGN(InitiateAuthenticationFields init, Initiate());
  ExpectAuthError(Authenticate(init), sgp22::AuthenticateErrorCode::kInvalidOid,
                  absl::StatusCode::kPermissionDenied);
}

TEST_P(SoftwareEuiccTest, RefusesACurveItDoesNotSupport) {
  SoftwareEuiccConfig config = Config();
  if (GetParam().curve == hsm::Curve::kNistP256) {
    config.supports_nist_p256 = false;
  } else {
    config.supports_brainpool_p256r1 = false;
  }
  ASSERT_OK_AND_ASSIGN(euicc_, MakeEuicc(config));
  ASSERT_OK_AND_ASSIGN(InitiateAuthenticationFields init, Initiate());
  ExpectAuthError(Authenticate(init),
                  sgp22::AuthenticateErrorCode::kUnsupportedCurve,
                  absl::StatusCode::kUnimplemented);
}

TEST_P(SoftwareEuiccTest, RefusesAChallengeMismatch) {
  ASSERT_OK_AND_ASSIGN(std::string challenge, euicc_->GetEuiccChallenge());
  challenge[0] ^= 0x01;
  ASSERT_OK_AND_ASSIGN(InitiateAuthenticationFields init,
                       smdp_->InitiateAuthentication(challenge));
  ExpectAuthError(Authenticate(init),
                  sgp22::AuthenticateErrorCode::kEuiccChallengeMismatch,
                  absl::StatusCode::kPermissionDenied);
}

TEST_P(SoftwareEuiccTest, AChallengeIsGoodForOneAuthentication) {
  ASSERT_OK_AND_ASSIGN(InitiateAuthenticationFields init, Initiate());
  EXPECT_OK(Authenticate(init).status);
  // The same answer replayed.
  ExpectAuthError(Authenticate(init),
                  sgp22::AuthenticateErrorCode::kNoSessionContext,
                  absl::StatusCode::kFailedPrecondition);
}

TEST_P(SoftwareEuiccTest, LpaRefusesAnotherServerAddress) {
  ASSERT_OK_AND_ASSIGN(std::string challenge, euicc_->GetEuiccChallenge());
  ASSERT_OK_AND_ASSIGN(
      InitiateAuthenticationFields init,
      smdp_->InitiateAuthentication(challenge, "evil.example.com"));
  AuthenticateServerAnswer answer = Authenticate(init);
  EXPECT_THAT(answer.status, StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_TRUE(answer.der.empty());
  // The address check ignores case.
  ASSERT_OK_AND_ASSIGN(init,
                       smdp_->InitiateAuthentication(
                           challenge, absl::AsciiStrToUpper(smdp_->address())));
  EXPECT_OK(Authenticate(init).status);
}

TEST_P(SoftwareEuiccTest, AnswersMalformedRequestsWithoutDer) {
  AuthenticateServerAnswer answer = euicc_->AuthenticateServer("\xBF\x38\x00");
  EXPECT_THAT(answer.status, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_TRUE(answer.der.empty());
  EXPECT_FALSE(answer.error_code.has_value());
  EXPECT_THAT(euicc_->PrepareDownload("garbage").status,
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(euicc_->LoadBoundProfilePackage("garbage"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

// ---- PrepareDownload refusals ----

TEST_P(SoftwareEuiccTest, PrepareDownloadNeedsASession) {
  ASSERT_OK_AND_ASSIGN(AuthenticateClientFields client,
                       UpToAuthenticateClient());
  ASSERT_OK_AND_ASSIGN(euicc_, MakeEuicc(Config()));  // a fresh card
  ExpectPrepareError(euicc_->PrepareDownload(client, std::nullopt),
                     sgp22::DownloadErrorCode::kNoSessionContext,
                     absl::StatusCode::kFailedPrecondition);
}

TEST_P(SoftwareEuiccTest, PrepareDownloadRefusesAWrongTransactionId) {
  ASSERT_OK_AND_ASSIGN(AuthenticateClientFields client,
                       UpToAuthenticateClient());
  sgp22::SmdpSigned2 signed2;
  signed2.transaction_id = "\x01\x02\x03";
  ASSERT_OK_AND_ASSIGN(client, smdp_->SignSmdpSigned2(signed2));
  ExpectPrepareError(euicc_->PrepareDownload(client, std::nullopt),
                     sgp22::DownloadErrorCode::kInvalidTransactionId,
                     absl::StatusCode::kInvalidArgument);
}

TEST_P(SoftwareEuiccTest, PrepareDownloadRefusesAWrongSignature) {
  ASSERT_OK_AND_ASSIGN(AuthenticateClientFields client,
                       UpToAuthenticateClient());
  client.smdp_signature2[10] ^= 0x80;
  ExpectPrepareError(euicc_->PrepareDownload(client, std::nullopt),
                     sgp22::DownloadErrorCode::kInvalidSignature,
                     absl::StatusCode::kUnauthenticated);
}

TEST_P(SoftwareEuiccTest, PrepareDownloadRefusesBadDpPbCertificates) {
  // CERT.DPauth in place of CERT.DPpb: wrong policy (and key).
  ASSERT_OK_AND_ASSIGN(AuthenticateClientFields client,
                       UpToAuthenticateClient());
  client.smdp_certificate = smdp_->identity().dpauth_certificate;
  ExpectPrepareError(euicc_->PrepareDownload(client, std::nullopt),
                     sgp22::DownloadErrorCode::kInvalidCertificate,
                     absl::StatusCode::kPermissionDenied);
  // Another SM-DP+'s OID.
  ASSERT_OK_AND_ASSIGN(client, UpToAuthenticateClient());
  ASSERT_OK_AND_ASSIGN(
      client.smdp_certificate,
      SmdpCertificate(trusted_ci_, pki::CertificateRole::kDpPb,
                      kNow - absl::Hours(24), kNow + absl::Hours(24 * 365),
                      std::nullopt, "2.999.77"));
  PrepareDownloadAnswer answer = euicc_->PrepareDownload(client, std::nullopt);
  ExpectPrepareError(answer, sgp22::DownloadErrorCode::kInvalidCertificate,
                     absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(answer.status.message(), HasSubstr("2.999.77"));
  // From a foreign CI.
  ASSERT_OK_AND_ASSIGN(TestCi foreign,
                       testing::MakeTestCi(GetParam().curve, kNow));
  ASSERT_OK_AND_ASSIGN(client, UpToAuthenticateClient());
  ASSERT_OK_AND_ASSIGN(
      client.smdp_certificate,
      SmdpCertificate(foreign, pki::CertificateRole::kDpPb,
                      kNow - absl::Hours(24), kNow + absl::Hours(24 * 365)));
  ExpectPrepareError(euicc_->PrepareDownload(client, std::nullopt),
                     sgp22::DownloadErrorCode::kInvalidCertificate,
                     absl::StatusCode::kPermissionDenied);
}

// ---- the BPP ----

TEST_P(SoftwareEuiccTest, TamperedProfileSegmentGivesASignedErrorResult) {
  for (const bool use_ppk : {false, true}) {
    SCOPED_TRACE(use_ppk ? "with PPK" : "session keys");
    const std::string profile = Profile(5000, use_ppk ? 2 : 3);
    ASSERT_OK_AND_ASSIGN(std::string bpp,
                         UpToBpp({.profile = profile, .use_ppk = use_ppk}));
    ASSERT_OK_AND_ASSIGN(std::string tampered,
                         testing::TamperProfileSegment(bpp, 2, 100));
    ASSERT_OK_AND_ASSIGN(LoadBppResult result,
                         euicc_->LoadBoundProfilePackage(tampered));
    EXPECT_THAT(result.status, StatusIs(absl::StatusCode::kDataLoss));
    ASSERT_TRUE(result.error.has_value());
    EXPECT_EQ(result.error->bpp_command_id,
              sgp22::BppCommandId::kLoadProfileElements);
    EXPECT_EQ(result.error->error_reason,
              sgp22::ErrorReason::kScp03tSecurityError);
    // Two segments made it.
    EXPECT_EQ(result.profile_segments, 2u);
    EXPECT_TRUE(result.profile == profile.substr(0, 2014));
    ExpectSignedErrorResult(result);
    EXPECT_TRUE(euicc_->installed_iccids().empty());
    // The session is over.
    EXPECT_THAT(euicc_->LoadBoundProfilePackage(bpp),
                StatusIs(absl::StatusCode::kFailedPrecondition));
  }
}

TEST_P(SoftwareEuiccTest, InitialiseSecureChannelChecks) {
  struct Case {
    const char* name;
    std::function<void(sgp22::InitialiseSecureChannelRequest&)> change;
    bool resign;
    sgp22::ErrorReason reason;
  };
  const Case cases[] = {
      {"bad smdpSign", [](auto& i) { i.smdp_sign[5] ^= 1; }, false,
       sgp22::ErrorReason::kInvalidSignature},
      {"other transactionId", [](auto& i) { i.transaction_id = "\x42"; }, true,
       sgp22::ErrorReason::kInvalidTransactionId},
      {"remoteOpId 2", [](auto& i) { i.remote_op_id = 2; }, true,
       sgp22::ErrorReason::kUnsupportedRemoteOperationType},
      {"keyLen 32", [](auto& i) { i.control_ref_template.key_len = 0x20; },
       true, sgp22::ErrorReason::kUnsupportedCrtValues},
      {"smdpOtpk off the curve", [](auto& i) { i.smdp_otpk.back() ^= 1; }, true,
       sgp22::ErrorReason::kIncorrectInputValues},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    ASSERT_OK_AND_ASSIGN(std::string der, UpToBpp({.profile = "abc"}));
    sgp22::BoundProfilePackage bpp = smdp_->last_bpp();
    c.change(bpp.initialise_secure_channel);
    if (c.resign) {
      ASSERT_OK(
          smdp_->ResignInitialiseSecureChannel(bpp.initialise_secure_channel));
    }
    ASSERT_OK_AND_ASSIGN(LoadBppResult result,
                         euicc_->LoadBoundProfilePackage(bpp.Encode()));
    ASSERT_TRUE(result.error.has_value()) << result.status;
    EXPECT_EQ(result.error->bpp_command_id,
              sgp22::BppCommandId::kInitialiseSecureChannel);
    EXPECT_EQ(result.error->error_reason, c.reason) << result.status;
    EXPECT_OK(
        smdp_->HandleNotification(result.profile_installation_result).status());
  }
}

TEST_P(SoftwareEuiccTest, ProtectedCommandChecks) {
  // A flipped MAC in ConfigureISDP and in StoreMetadata, segments swapped,
  // an empty sequenceOf86.
  ASSERT_OK_AND_ASSIGN(std::string der, UpToBpp({.profile = "abc"}));
  sgp22::BoundProfilePackage bpp = smdp_->last_bpp();
  bpp.first_sequence_of_87[0].back() ^= 1;
  ASSERT_OK_AND_ASSIGN(LoadBppResult result,
                       euicc_->LoadBoundProfilePackage(bpp.Encode()));
  ASSERT_TRUE(result.error.has_value());
  EXPECT_EQ(*result.error,
            (sgp22::ErrorResult{sgp22::BppCommandId::kConfigureIsdp,
                                sgp22::ErrorReason::kScp03tSecurityError,
                                std::nullopt}));

  ASSERT_OK_AND_ASSIGN(der, UpToBpp({.profile = "abc"}));
  bpp = smdp_->last_bpp();
  bpp.sequence_of_88[0][5] ^= 1;
  ASSERT_OK_AND_ASSIGN(result, euicc_->LoadBoundProfilePackage(bpp.Encode()));
  ASSERT_TRUE(result.error.has_value());
  EXPECT_EQ(result.error->bpp_command_id, sgp22::BppCommandId::kStoreMetadata);
  EXPECT_EQ(result.error->error_reason,
            sgp22::ErrorReason::kScp03tSecurityError);
  EXPECT_TRUE(result.configure_isdp.has_value());

  ASSERT_OK_AND_ASSIGN(der, UpToBpp({.profile = Profile(3000)}));
  bpp = smdp_->last_bpp();
  std::swap(bpp.sequence_of_86[0], bpp.sequence_of_86[1]);
  ASSERT_OK_AND_ASSIGN(result, euicc_->LoadBoundProfilePackage(bpp.Encode()));
  ASSERT_TRUE(result.error.has_value());
  EXPECT_EQ(result.error->error_reason,
            sgp22::ErrorReason::kScp03tSecurityError);
  EXPECT_EQ(result.profile_segments, 0u);

  ASSERT_OK_AND_ASSIGN(der, UpToBpp({.profile = "abc"}));
  bpp = smdp_->last_bpp();
  bpp.sequence_of_86.clear();
  ASSERT_OK_AND_ASSIGN(result, euicc_->LoadBoundProfilePackage(bpp.Encode()));
  ASSERT_TRUE(result.error.has_value());
  EXPECT_EQ(*result.error,
            (sgp22::ErrorResult{sgp22::BppCommandId::kLoadProfileElements,
                                sgp22::ErrorReason::kScp03tStructureError,
                                std::nullopt}));

  // ReplaceSessionKeys tampered.
  ASSERT_OK_AND_ASSIGN(der, UpToBpp({.profile = "abc", .use_ppk = true}));
  bpp = smdp_->last_bpp();
  (*bpp.second_sequence_of_87)[0][3] ^= 1;
  ASSERT_OK_AND_ASSIGN(result, euicc_->LoadBoundProfilePackage(bpp.Encode()));
  ASSERT_TRUE(result.error.has_value());
  EXPECT_EQ(result.error->bpp_command_id,
            sgp22::BppCommandId::kReplaceSessionKeys);
}

// ConfigureISDPRequest {dpProprietaryData {dpOid 2.999.10}} as SGP.22's
// AUTOMATIC TAGS make it (dpOid [0], 80), and as the server once sent it
// (universal 06). Both byte strings were checked with asn1tools compiled
// from the SGP.22 RSPDefinitions module, which encodes the first and
// refuses the second.
constexpr char kConfigureIsdpDer[] = "\xBF\x24\x07\xB8\x05\x80\x03\x88\x37\x0A";
constexpr char kConfigureIsdpUniversalOidDer[] =
    "\xBF\x24\x07\xB8\x05\x06\x03\x88\x37\x0A";

TEST_P(SoftwareEuiccTest, ConfigureIsdpDpOidMustBeContextTagged) {
  ASSERT_OK_AND_ASSIGN(
      LoadBppResult ok,
      Download({.profile = "abc",
                .configure_isdp_der = std::string(kConfigureIsdpDer, 10)}));
  ASSERT_OK(ok.status);
  ASSERT_TRUE(ok.configure_isdp.has_value());
  ASSERT_TRUE(ok.configure_isdp->dp_proprietary_data.has_value());
  EXPECT_EQ(ok.configure_isdp->dp_proprietary_data->dp_oid.ToString(),
            "2.999.10");

  ASSERT_OK_AND_ASSIGN(LoadBppResult result,
                       Download({.profile = "abc",
                                 .metadata = Metadata(9),
                                 .configure_isdp_der = std::string(
                                     kConfigureIsdpUniversalOidDer, 10)}));
  EXPECT_FALSE(result.status.ok());
  ASSERT_TRUE(result.error.has_value()) << result.status;
  EXPECT_EQ(*result.error,
            (sgp22::ErrorResult{sgp22::BppCommandId::kConfigureIsdp,
                                sgp22::ErrorReason::kIncorrectInputValues,
                                std::nullopt}));
  EXPECT_FALSE(result.configure_isdp.has_value());
  EXPECT_EQ(result.profile_segments, 0u);
  EXPECT_EQ(result.isdp_aid, "");
  // The eUICC still signs the failure for the server.
  ExpectSignedErrorResult(result);
}

TEST_P(SoftwareEuiccTest, RetryReusesTheKeptOneTimeKey) {
  // A first attempt fails in the middle of the profile.
  ASSERT_OK_AND_ASSIGN(std::string bpp, UpToBpp({.profile = Profile(3000)}));
  ASSERT_OK_AND_ASSIGN(sgp22::BoundProfilePackage first,
                       sgp22::BoundProfilePackage::Decode(bpp));
  ASSERT_OK_AND_ASSIGN(std::string tampered,
                       testing::TamperProfileSegment(bpp, 1));
  ASSERT_OK_AND_ASSIGN(LoadBppResult failed,
                       euicc_->LoadBoundProfilePackage(tampered));
  ASSERT_FALSE(failed.status.ok());
  const std::optional<std::string> kept = euicc_->kept_euicc_otpk();
  ASSERT_TRUE(kept.has_value());

  // The retry names the kept key: the eUICC uses it again.
  ASSERT_OK_AND_ASSIGN(AuthenticateClientFields client,
                       UpToAuthenticateClient(std::nullopt, *kept));
  PrepareDownloadAnswer prep = euicc_->PrepareDownload(client, std::nullopt);
  ASSERT_OK(prep.status);
  ASSERT_OK_AND_ASSIGN(sgp22::PrepareDownloadResponse response,
                       sgp22::PrepareDownloadResponse::Decode(prep.der));
  EXPECT_EQ(std::get<sgp22::PrepareDownloadResponseOk>(response.result)
                .euicc_signed2.value.euicc_otpk,
            *kept);
  ASSERT_OK_AND_ASSIGN(std::string bpp2, smdp_->GetBoundProfilePackage(
                                             prep.der, {.profile = "ok"}));
  ASSERT_OK_AND_ASSIGN(LoadBppResult ok, euicc_->LoadBoundProfilePackage(bpp2));
  EXPECT_OK(ok.status);
  EXPECT_FALSE(euicc_->kept_euicc_otpk().has_value());

  // A retry naming an unknown key gets a new one.
  ASSERT_OK_AND_ASSIGN(client, UpToAuthenticateClient(std::nullopt, *kept));
  prep = euicc_->PrepareDownload(client, std::nullopt);
  ASSERT_OK(prep.status);
  ASSERT_OK_AND_ASSIGN(response,
                       sgp22::PrepareDownloadResponse::Decode(prep.der));
  EXPECT_NE(std::get<sgp22::PrepareDownloadResponseOk>(response.result)
                .euicc_signed2.value.euicc_otpk,
            *kept);
}

TEST_P(SoftwareEuiccTest, RefusesADuplicateIccidAndForbiddenPprs) {
  ASSERT_OK_AND_ASSIGN(LoadBppResult first, Download({.profile = "p1"}));
  ASSERT_OK(first.status);
  ASSERT_OK_AND_ASSIGN(LoadBppResult second, Download({.profile = "p2"}));
  ASSERT_TRUE(second.error.has_value());
  EXPECT_EQ(second.error->error_reason,
            sgp22::ErrorReason::kInstallFailedDueToIccidAlreadyExistsOnEuicc);
  EXPECT_THAT(second.status, StatusIs(absl::StatusCode::kAlreadyExists));

  SoftwareEuiccConfig config = Config();
  config.euicc_info2.forbidden_profile_policy_rules =
      sgp22::der::BitString::FromBits({1});
  ASSERT_OK_AND_ASSIGN(euicc_, MakeEuicc(config));
  sgp22::StoreMetadataRequest metadata = Metadata(9);
  metadata.profile_policy_rules = sgp22::der::BitString::FromBits({1, 2});
  ASSERT_OK_AND_ASSIGN(LoadBppResult ppr,
                       Download({.profile = "p", .metadata = metadata}));
  ASSERT_TRUE(ppr.error.has_value());
  EXPECT_EQ(*ppr.error, (sgp22::ErrorResult{sgp22::BppCommandId::kStoreMetadata,
                                            sgp22::ErrorReason::kPprNotAllowed,
                                            std::nullopt}));
}

TEST_P(SoftwareEuiccTest, RefusesAProfileLargerThanItsFreeMemory) {
  SoftwareEuiccConfig config = Config();
  sgp22::ExtCardResource resource;
  resource.free_non_volatile_memory = 2000;
  config.euicc_info2.ext_card_resource = resource.Encode();
  ASSERT_OK_AND_ASSIGN(euicc_, MakeEuicc(config));
  ASSERT_OK_AND_ASSIGN(LoadBppResult result,
                       Download({.profile = Profile(5000)}));
  ASSERT_TRUE(result.error.has_value());
  EXPECT_EQ(
      result.error->error_reason,
      sgp22::ErrorReason::kInstallFailedDueToInsufficientMemoryForProfile);
  EXPECT_THAT(result.status, StatusIs(absl::StatusCode::kResourceExhausted));
}

TEST_P(SoftwareEuiccTest, CancelSession) {
  ASSERT_OK_AND_ASSIGN(AuthenticateClientFields client,
                       UpToAuthenticateClient());
  CancelSessionAnswer wrong = euicc_->CancelSession(
      "\x01", sgp22::CancelSessionReason::kEndUserRejection);
  EXPECT_THAT(wrong.status, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(wrong.error_code, sgp22::CancelSessionError::kInvalidTransactionId);
  ASSERT_OK_AND_ASSIGN(sgp22::CancelSessionResponse wrong_response,
                       sgp22::CancelSessionResponse::Decode(wrong.der));
  EXPECT_TRUE(
      std::holds_alternative<sgp22::CancelSessionError>(wrong_response.result));

  CancelSessionAnswer answer = euicc_->CancelSession(
      smdp_->transaction_id(), sgp22::CancelSessionReason::kPostponed);
  ASSERT_OK(answer.status);
  ASSERT_OK_AND_ASSIGN(sgp22::EuiccCancelSessionSigned signed_part,
                       smdp_->CancelSession(answer.der));
  EXPECT_EQ(signed_part.transaction_id, smdp_->transaction_id());
  EXPECT_EQ(signed_part.smdp_oid.ToString(), smdp_oid_);
  EXPECT_EQ(signed_part.reason, sgp22::CancelSessionReason::kPostponed);
  EXPECT_EQ(euicc_->transaction_id(), "");
  ExpectPrepareError(euicc_->PrepareDownload(client, std::nullopt),
                     sgp22::DownloadErrorCode::kNoSessionContext,
                     absl::StatusCode::kFailedPrecondition);
}

TEST_P(SoftwareEuiccTest, StateSurvivesARestart) {
  ASSERT_OK_AND_ASSIGN(std::string bpp, UpToBpp({.profile = Profile(2500)}));
  const std::string state = euicc_->SaveState();
  ASSERT_OK_AND_ASSIGN(euicc_, MakeEuicc(Config()));
  ASSERT_OK(euicc_->RestoreState(state));
  ASSERT_OK_AND_ASSIGN(LoadBppResult result,
                       euicc_->LoadBoundProfilePackage(bpp));
  EXPECT_OK(result.status);
  EXPECT_TRUE(result.profile == Profile(2500));
  EXPECT_THAT(euicc_->RestoreState("nonsense=zz"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

// ---- faults ----

TEST_P(SoftwareEuiccTest, FaultsAreCaughtByTheServerSide) {
  struct Case {
    const char* name;
    EuiccFaults faults;
  };
  const Case signed1_cases[] = {
      {"bad_euicc_signature1", {.bad_euicc_signature1 = true}},
      {"wrong_transaction_id_in_signed1",
       {.wrong_transaction_id_in_signed1 = true}},
      {"wrong_server_challenge", {.wrong_server_challenge = true}},
  };
  for (const Case& c : signed1_cases) {
    SCOPED_TRACE(c.name);
    euicc_->set_faults(c.faults);
    EXPECT_FALSE(UpToAuthenticateClient().ok());
  }
  const Case signed2_cases[] = {
      {"bad_euicc_signature2", {.bad_euicc_signature2 = true}},
      {"wrong_transaction_id_in_signed2",
       {.wrong_transaction_id_in_signed2 = true}},
      {"corrupt_euicc_otpk", {.corrupt_euicc_otpk = true}},
  };
  for (const Case& c : signed2_cases) {
    SCOPED_TRACE(c.name);
    euicc_->set_faults(c.faults);
    EXPECT_FALSE(UpToBpp({.profile = "x"}).ok());
  }
  euicc_->set_faults({.wrong_hash_cc = true});
  EXPECT_THAT(UpToBpp({.profile = "x"}, "1234"),
              StatusIs(absl::StatusCode::kPermissionDenied));
  euicc_->set_faults({.omit_hash_cc = true});
  EXPECT_THAT(UpToBpp({.profile = "x"}, "1234"),
              StatusIs(absl::StatusCode::kPermissionDenied));

  euicc_->set_faults({.bad_pir_signature = true});
  ASSERT_OK_AND_ASSIGN(LoadBppResult result, Download({.profile = "x"}));
  ASSERT_OK(result.status);
  EXPECT_THAT(smdp_->HandleNotification(result.profile_installation_result),
              StatusIs(absl::StatusCode::kUnauthenticated));

  euicc_->set_faults({.bad_cancel_session_signature = true});
  ASSERT_OK(UpToAuthenticateClient().status());
  CancelSessionAnswer cancel = euicc_->CancelSession(
      smdp_->transaction_id(), sgp22::CancelSessionReason::kTimeout);
  ASSERT_OK(cancel.status);
  EXPECT_THAT(smdp_->CancelSession(cancel.der),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_P(SoftwareEuiccTest, ReplayFaults) {
  euicc_->set_faults({.repeat_euicc_challenge = true});
  ASSERT_OK_AND_ASSIGN(std::string a, euicc_->GetEuiccChallenge());
  ASSERT_OK_AND_ASSIGN(std::string b, euicc_->GetEuiccChallenge());
  EXPECT_EQ(a, b);

  euicc_->set_faults({});
  ASSERT_OK(UpToAuthenticateClient().status());
  const std::string previous = smdp_->transaction_id();
  euicc_->set_faults({.replay_previous_transaction_id = true});
  ASSERT_OK_AND_ASSIGN(InitiateAuthenticationFields init, Initiate());
  AuthenticateServerAnswer auth = Authenticate(init);
  ASSERT_OK(auth.status);
  ASSERT_OK_AND_ASSIGN(sgp22::AuthenticateServerResponse response,
                       sgp22::AuthenticateServerResponse::Decode(auth.der));
  EXPECT_EQ(std::get<sgp22::AuthenticateResponseOk>(response.result)
                .euicc_signed1.value.transaction_id,
            previous);
  EXPECT_THAT(smdp_->AuthenticateClient(auth.der),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

INSTANTIATE_TEST_SUITE_P(
    Pkis, SoftwareEuiccTest,
    ::testing::Values(Param{true, hsm::Curve::kNistP256, "Sgp26Nist"},
                      Param{true, hsm::Curve::kBrainpoolP256r1, "Sgp26Brp"},
                      Param{false, hsm::Curve::kNistP256, "DevPkiNist"},
                      Param{false, hsm::Curve::kBrainpoolP256r1, "DevPkiBrp"}),
    [](const ::testing::TestParamInfo<Param>& info) {
      return std::string(info.param.name);
    });

// ---- configuration and helpers (no PKI parameter) ----

TEST(SoftwareEuiccCreateTest, RefusesBadConfigurations) {
  ASSERT_OK_AND_ASSIGN(testing::TestChain chain,
                       testing::MakeTestChain({.now = kNow}));
  ASSERT_OK_AND_ASSIGN(testing::TestChain other,
                       testing::MakeTestChain({.now = kNow}));
  SoftwareEuiccConfig good = chain.euicc.ToConfig();
  EXPECT_OK(SoftwareEuicc::Create(good).status());

  SoftwareEuiccConfig config = good;
  config.euicc_private_key_pem = other.euicc.euicc_private_key_pem;
  EXPECT_THAT(SoftwareEuicc::Create(config),
              StatusIs(absl::StatusCode::kInvalidArgument));
  config = good;
  config.ci_certificates.clear();
  EXPECT_THAT(SoftwareEuicc::Create(config),
              StatusIs(absl::StatusCode::kInvalidArgument));
  config = good;
  config.eid = "1234";
  EXPECT_THAT(SoftwareEuicc::Create(config),
              StatusIs(absl::StatusCode::kInvalidArgument));
  config = good;
  config.eum_certificate = "not a certificate";
  EXPECT_THAT(SoftwareEuicc::Create(config),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // The EID comes from the certificate when not given.
  config = good;
  config.eid.clear();
  ASSERT_OK_AND_ASSIGN(auto euicc, SoftwareEuicc::Create(config));
  EXPECT_EQ(euicc->eid(), chain.euicc.eid);
}

TEST(SoftwareEuiccCreateTest, DeterministicRandomSourceReproducesChallenges) {
  ASSERT_OK_AND_ASSIGN(testing::TestChain chain,
                       testing::MakeTestChain({.now = kNow}));
  SoftwareEuiccConfig config = chain.euicc.ToConfig();
  config.random = DeterministicRandomSource(7);
  ASSERT_OK_AND_ASSIGN(auto a, SoftwareEuicc::Create(config));
  config.random = DeterministicRandomSource(7);
  ASSERT_OK_AND_ASSIGN(auto b, SoftwareEuicc::Create(config));
  config.random = DeterministicRandomSource(8);
  ASSERT_OK_AND_ASSIGN(auto c, SoftwareEuicc::Create(config));
  ASSERT_OK_AND_ASSIGN(std::string ca, a->GetEuiccChallenge());
  ASSERT_OK_AND_ASSIGN(std::string cb, b->GetEuiccChallenge());
  ASSERT_OK_AND_ASSIGN(std::string cc, c->GetEuiccChallenge());
  EXPECT_EQ(ca, cb);
  EXPECT_NE(ca, cc);
  EXPECT_EQ(ca.size(), 16u);
}

TEST(EuiccTestingTest, MakesExpiredAndForeignChains) {
  ASSERT_OK_AND_ASSIGN(
      testing::TestChain expired,
      testing::MakeTestChain({.curve = hsm::Curve::kBrainpoolP256r1,
                              .now = kNow,
                              .euicc_not_after = kNow - absl::Hours(24)}));
  ASSERT_OK_AND_ASSIGN(
      X509Ptr cert, pki::ParseCertificateDer(expired.euicc.euicc_certificate));
  time_t now = absl::ToTimeT(kNow);
  EXPECT_LT(X509_cmp_time(X509_get0_notAfter(cert.get()), &now), 0)
      << "notAfter is before now";
  // The eUICC still works (the server is the one to refuse it), and names
  // the CI of its chain for signing.
  ASSERT_OK_AND_ASSIGN(auto euicc,
                       SoftwareEuicc::Create(expired.euicc.ToConfig()));
  ASSERT_OK_AND_ASSIGN(sgp22::EuiccInfo1 info1,
                       sgp22::EuiccInfo1::Decode(euicc->GetEuiccInfo1()));
  ASSERT_OK_AND_ASSIGN(std::string ci_id,
                       testing::KeyIdOf(expired.ci.certificate));
  EXPECT_EQ(info1.euicc_ci_pkid_list_for_signing,
            std::vector<std::string>{ci_id});

  // A chain under a given CI, and the eUICC told to claim another list.
  ASSERT_OK_AND_ASSIGN(testing::TestChain second,
                       testing::MakeTestChain({.ci = expired.ci, .now = kNow}));
  ASSERT_OK_AND_ASSIGN(X509Ptr eum,
                       pki::ParseCertificateDer(second.eum_certificate));
  EXPECT_EQ(
      X509_check_issued(pki::ParseCertificateDer(expired.ci.certificate)->get(),
                        eum.get()),
      X509_V_OK);
}

TEST(EuiccTestingTest, TamperRefusesMissingSegments) {
  sgp22::BoundProfilePackage bpp;
  bpp.initialise_secure_channel.transaction_id = "\x01";
  bpp.initialise_secure_channel.control_ref_template.host_id = "h";
  bpp.initialise_secure_channel.smdp_otpk = std::string(65, '\x04');
  bpp.initialise_secure_channel.smdp_sign = std::string(64, '\x01');
  bpp.first_sequence_of_87 = {std::string("\x87\x01\x00", 3)};
  bpp.sequence_of_88 = {std::string("\x88\x01\x00", 3)};
  bpp.sequence_of_86 = {std::string("\x86\x02\x00\x01", 4)};
  const std::string der = bpp.Encode();
  ASSERT_OK_AND_ASSIGN(std::string tampered,
                       testing::TamperProfileSegment(der, 0, 1));
  EXPECT_EQ(tampered.size(), der.size());
  EXPECT_EQ(tampered.substr(0, tampered.size() - 1),
            der.substr(0, der.size() - 1));
  EXPECT_EQ(tampered.back(), '\x00');
  EXPECT_THAT(testing::TamperProfileSegment(der, 1),
              StatusIs(absl::StatusCode::kOutOfRange));
  EXPECT_THAT(testing::TamperProfileSegment(der, 0, 2),
              StatusIs(absl::StatusCode::kOutOfRange));
}

}  // namespace
}  // namespace smdp::euicc
