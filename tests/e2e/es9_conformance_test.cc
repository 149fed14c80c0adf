// The ES9+ behaviours of the SGP.22 conformance work, end to end over both
// bindings (the GSMA HTTPS/JSON binding and gRPC, DownloadWorld on
// 127.0.0.1), each with its own software eUICC, profile and order:
//   - 5.6.2 / 3.1.2: an empty matchingId selects only the order placed for
//     the EID; none pending is 8.1.1/3.8.
//   - 5.6.3: a wrong confirmation code keeps the session.
//   - 5.6.5: a postponed cancel keeps the binding for the retry
//     (bppEuiccOtpk); a cancelSessionResponseError after the BPP records the
//     failed installation.
//   - 4.3 / 5.6.2: an unparsable informational EUICCInfo2 field is unknown.
//   - 5.6.2: certificate checks give the most specific code first.
// (Format errors on both bindings: es9_transport_test.)
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sgp22/download.h"
#include "sgp22/types.h"
#include "smdp/auth/ci_trust_store.h"
#include "smdp/pki/dev_pki.h"
#include "tests/e2e/download_world.h"
#include "tests/euicc/euicc_testing.h"
#include "tests/euicc/lpa.h"
#include "tests/euicc/software_euicc.h"
#include "tests/testing/gsma_matchers.h"
#include "util/file_util.h"
#include "util/status_matchers.h"

namespace smdp::e2e {
namespace {

using ::smdp::hsm::Curve;
using ::smdp::matchers::IsOk;

DownloadWorld* world = nullptr;

class WorldEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    auto made =
        DownloadWorld::Create({.ppk_profiles = 20, .plain_profiles = 2});
    ASSERT_THAT(made.status(), IsOk());
    world = made->release();
  }
  void TearDown() override {
    delete world;
    world = nullptr;
  }
};
::testing::Environment* const kWorldEnvironment =
    ::testing::AddGlobalTestEnvironment(new WorldEnvironment);

using ::smdp::testing::FailedWith;
using ::smdp::testing::Succeeded;

// The LPA's part, a call at a time, over one transport.
class Es9ConformanceTest : public ::testing::TestWithParam<Es9Transport> {
 protected:
  void SetUp() override {
    auto client = world->NewClient(GetParam());
    ASSERT_THAT(client.status(), IsOk());
    client_ = *std::move(client);
  }

  // A new eUICC (an EID of its own) on P-256.
  std::unique_ptr<euicc::SoftwareEuicc> NewEuicc(
      std::function<void(euicc::SoftwareEuiccConfig&)> edit = nullptr) {
    static int serial = 1000;
    auto creds = world->IssueEuicc(
        Curve::kNistP256,
        ++serial + (GetParam() == Es9Transport::kHttps ? 0 : 500));
    EXPECT_THAT(creds.status(), IsOk());
    if (!creds.ok()) return nullptr;
    euicc::SoftwareEuiccConfig config = creds->ToConfig();
    if (edit) edit(config);
    auto e = euicc::SoftwareEuicc::Create(std::move(config));
    EXPECT_THAT(e.status(), IsOk());
    return e.ok() ? *std::move(e) : nullptr;
  }

  // A fresh profile and a matchingId of this test and transport.
  std::string NextIccid() {
    static size_t next = 0;
    return world->ppk_iccids().at(next++);
  }
  std::string Mid(absl::string_view what) const {
    return absl::StrCat(what, GetParam() == Es9Transport::kHttps ? "-H" : "-G");
  }

  // InitiateAuthentication, AuthenticateServer, AuthenticateClient.
  es9plus::AuthenticateClientResponse Authenticate(
      euicc::SoftwareEuicc& e, std::optional<std::string> matching_id) {
    auto challenge = e.GetEuiccChallenge();
    EXPECT_THAT(challenge.status(), IsOk());
    es9plus::InitiateAuthenticationRequest init;
    init.set_euicc_challenge(*challenge);
    init.set_euicc_info1(e.GetEuiccInfo1());
    init.set_smdp_address(world->smdp_address());
    auto initiated = client_->InitiateAuthentication(init);
    EXPECT_THAT(initiated.status(), IsOk());
    EXPECT_THAT(*initiated, Succeeded());
    euicc::InitiateAuthenticationFields fields;
    fields.server_signed1 = initiated->server_signed1();
    fields.server_signature1 = initiated->server_signature1();
    fields.euicc_ci_pkid_to_be_used = initiated->euicc_ci_pk_id_to_be_used();
    fields.server_certificate = initiated->server_certificate();
    auto answer = e.AuthenticateServer(
        fields, euicc::MakeCtxParams1(matching_id), world->smdp_address());
    EXPECT_TRUE(answer.ok()) << answer.status;
    es9plus::AuthenticateClientRequest request;
    request.set_transaction_id(initiated->transaction_id());
    request.set_authenticate_server_response(answer.der);
    auto authenticated = client_->AuthenticateClient(request);
    EXPECT_THAT(authenticated.status(), IsOk());
    return authenticated.ok() ? *authenticated
                              : es9plus::AuthenticateClientResponse();
  }

  // PrepareDownload (with `cc`) and GetBoundProfilePackage in `auth`'s
  // session.
  es9plus::GetBoundProfilePackageResponse PrepareAndGet(
      euicc::SoftwareEuicc& e, const es9plus::AuthenticateClientResponse& auth,
      std::optional<std::string> cc = std::nullopt) {
    euicc::AuthenticateClientFields fields;
    fields.smdp_signed2 = auth.smdp_signed2();
    fields.smdp_signature2 = auth.smdp_signature2();
    fields.smdp_certificate = auth.smdp_certificate();
    auto prepared = e.PrepareDownload(fields, cc);
    EXPECT_TRUE(prepared.ok()) << prepared.status;
    es9plus::GetBoundProfilePackageRequest request;
    request.set_transaction_id(auth.transaction_id());
    request.set_prepare_download_response(prepared.der);
    auto bpp = client_->GetBoundProfilePackage(request);
    EXPECT_THAT(bpp.status(), IsOk());
    return bpp.ok() ? *bpp : es9plus::GetBoundProfilePackageResponse();
  }

  es9plus::CancelSessionResponse Cancel(const std::string& tid_hex,
                                        const std::string& der) {
    es9plus::CancelSessionRequest request;
    request.set_transaction_id(tid_hex);
    request.set_cancel_session_response(der);
    auto cancelled = client_->CancelSession(request);
    EXPECT_THAT(cancelled.status(), IsOk());
    return cancelled.ok() ? *cancelled : es9plus::CancelSessionResponse();
  }

  // Loads the BPP and sends the ProfileInstallationResult: INSTALLED.
  void InstallAndNotify(euicc::SoftwareEuicc& e,
                        const es9plus::GetBoundProfilePackageResponse& bpp,
                        const std::string& iccid) {
    auto loaded = e.LoadBoundProfilePackage(bpp.bound_profile_package());
    ASSERT_THAT(loaded.status(), IsOk());
    ASSERT_THAT(loaded->status, IsOk());
    es9plus::HandleNotificationRequest notify;
    notify.set_pending_notification(loaded->profile_installation_result);
    auto notified = client_->HandleNotification(notify);
    ASSERT_THAT(notified.status(), IsOk());
    EXPECT_EQ(State(iccid), store::INSTALLED);
  }

  store::ProfileState State(const std::string& iccid) {
    auto record = world->store().GetProfileHead(iccid);
    EXPECT_THAT(record.status(), IsOk());
    return record.ok() ? record->state() : store::PROFILE_STATE_UNSPECIFIED;
  }

  std::unique_ptr<euicc::Es9Client> client_;
};

// SGP.22 3.1.2 and 5.6.2: the default SM-DP+ case. Nothing pending for the
// EID is 8.1.1/3.8; an activation-code order the eUICC used (EID-bound now)
// is not selected by an empty matchingId, the EID's own order is.
TEST_P(Es9ConformanceTest, EmptyMatchingIdSelectsTheEidsOwnOrder) {
  auto e = NewEuicc();
  ASSERT_NE(e, nullptr);
  EXPECT_THAT(Authenticate(*e, std::nullopt), FailedWith("8.1.1", "3.8"));
  const std::string by_code = NextIccid();
  ASSERT_THAT(world->OrderAndRelease(by_code, Mid("AC")), IsOk());
  ASSERT_THAT(Authenticate(*e, Mid("AC")), Succeeded());
  EXPECT_THAT(Authenticate(*e, std::nullopt), FailedWith("8.1.1", "3.8"));
  const std::string by_eid = NextIccid();
  ASSERT_THAT(world->OrderAndRelease(by_eid, "", "", e->eid()), IsOk());
  auto auth = Authenticate(*e, std::nullopt);
  ASSERT_THAT(auth, Succeeded());
  auto bpp = PrepareAndGet(*e, auth);
  ASSERT_THAT(bpp, Succeeded());
  EXPECT_EQ(State(by_eid), store::DOWNLOADED);
  EXPECT_EQ(State(by_code), store::RELEASED);
}

// SGP.22 5.6.3: a wrong confirmation code (8.2.7/3.8) keeps the session; the
// right one in a new PrepareDownload with the same transactionId installs.
TEST_P(Es9ConformanceTest, WrongConfirmationCodeKeepsTheSession) {
  const std::string iccid = NextIccid();
  ASSERT_THAT(world->OrderAndRelease(iccid, Mid("CC"), "7391"), IsOk());
  auto e = NewEuicc();
  ASSERT_NE(e, nullptr);
  auto auth = Authenticate(*e, Mid("CC"));
  ASSERT_THAT(auth, Succeeded());
  EXPECT_THAT(PrepareAndGet(*e, auth, "1111"), FailedWith("8.2.7", "3.8"));
  auto bpp = PrepareAndGet(*e, auth, "7391");
  ASSERT_THAT(bpp, Succeeded());
  ASSERT_NO_FATAL_FAILURE(InstallAndNotify(*e, bpp, iccid));
}

// SGP.22 5.6.5: cancelled with reason postponed after the BPP was sent (it
// never reached the eUICC), the retry offers bppEuiccOtpk, the eUICC reuses
// its one-time key and the BPP carries the same otPK.DP.ECKA.
TEST_P(Es9ConformanceTest, PostponedCancelKeepsTheBindingForTheRetry) {
  const std::string iccid = NextIccid();
  ASSERT_THAT(world->OrderAndRelease(iccid, Mid("PP")), IsOk());
  auto e = NewEuicc();
  ASSERT_NE(e, nullptr);
  auto first = Authenticate(*e, Mid("PP"));
  ASSERT_THAT(first, Succeeded());
  auto first_bpp = PrepareAndGet(*e, first);
  ASSERT_THAT(first_bpp, Succeeded());
  const std::optional<std::string> kept = e->kept_euicc_otpk();
  ASSERT_TRUE(kept.has_value());
  auto cancel = e->CancelSession(absl::HexStringToBytes(first.transaction_id()),
                                 sgp22::CancelSessionReason::kPostponed);
  ASSERT_TRUE(cancel.ok()) << cancel.status;
  EXPECT_THAT(Cancel(first.transaction_id(), cancel.der), Succeeded());
  EXPECT_EQ(State(iccid), store::RELEASED);

  auto retry = Authenticate(*e, Mid("PP"));
  ASSERT_THAT(retry, Succeeded());
  auto signed2 = sgp22::SmdpSigned2::Decode(retry.smdp_signed2());
  ASSERT_THAT(signed2.status(), IsOk());
  ASSERT_TRUE(signed2->bpp_euicc_otpk.has_value());
  EXPECT_EQ(*signed2->bpp_euicc_otpk, *kept);
  auto retry_bpp = PrepareAndGet(*e, retry);
  ASSERT_THAT(retry_bpp, Succeeded());
  auto a =
      sgp22::BoundProfilePackage::Decode(first_bpp.bound_profile_package());
  auto b =
      sgp22::BoundProfilePackage::Decode(retry_bpp.bound_profile_package());
  ASSERT_THAT(a.status(), IsOk());
  ASSERT_THAT(b.status(), IsOk());
  EXPECT_EQ(a->initialise_secure_channel.smdp_otpk,
            b->initialise_secure_channel.smdp_otpk);
  ASSERT_NO_FATAL_FAILURE(InstallAndNotify(*e, retry_bpp, iccid));
}

// SGP.22 5.6.5: after a failed load the eUICC has no session, so its
// CancelSession answer is cancelSessionResponseError (lpac sends it on).
// The SM-DP+ records the failed installation: ERROR, with the reason.
TEST_P(Es9ConformanceTest, CancelErrorAfterTheBppRecordsTheFailure) {
  const std::string iccid = NextIccid();
  ASSERT_THAT(world->OrderAndRelease(iccid, Mid("FAIL")), IsOk());
  auto e = NewEuicc();
  ASSERT_NE(e, nullptr);
  auto auth = Authenticate(*e, Mid("FAIL"));
  ASSERT_THAT(auth, Succeeded());
  auto bpp = PrepareAndGet(*e, auth);
  ASSERT_THAT(bpp, Succeeded());
  auto broken =
      euicc::testing::TamperProfileSegment(bpp.bound_profile_package(), 0);
  ASSERT_THAT(broken.status(), IsOk());
  auto loaded = e->LoadBoundProfilePackage(*broken);
  ASSERT_THAT(loaded.status(), IsOk());
  ASSERT_FALSE(loaded->status.ok());
  auto cancel = e->CancelSession(absl::HexStringToBytes(auth.transaction_id()),
                                 sgp22::CancelSessionReason::kEndUserRejection);
  ASSERT_FALSE(cancel.der.empty());
  EXPECT_THAT(Cancel(auth.transaction_id(), cancel.der), Succeeded());
  EXPECT_EQ(State(iccid), store::ERROR);
  auto record = world->store().GetProfileHead(iccid);
  ASSERT_THAT(record.status(), IsOk());
  EXPECT_THAT(record->last_result(),
              ::testing::StartsWith("installation failed"));
}

// SGP.22 4.3 (EUICCInfo2.extCardResource) and 5.6.2's eligibility check:
// three bytes that are not TS 102 226 TLV data are "unknown", not a
// refusal.
TEST_P(Es9ConformanceTest, UnparsableExtCardResourceIsUnknown) {
  const std::string iccid = NextIccid();
  ASSERT_THAT(world->OrderAndRelease(iccid, Mid("ECR")), IsOk());
  auto e = NewEuicc([](euicc::SoftwareEuiccConfig& c) {
    c.euicc_info2.ext_card_resource = "ABC";
  });
  ASSERT_NE(e, nullptr);
  auto auth = Authenticate(*e, Mid("ECR"));
  ASSERT_THAT(auth, Succeeded());
  auto bpp = PrepareAndGet(*e, auth);
  ASSERT_THAT(bpp, Succeeded());
  ASSERT_NO_FATAL_FAILURE(InstallAndNotify(*e, bpp, iccid));
}

// SGP.22 5.6.2's error table: the most specific code first. An EUM
// certificate that is expired and lacks cA=TRUE is "expired" (8.1.2/6.3); one
// under a CI we do not trust that lacks cA=TRUE is "unknown CI" (8.11.1/3.9).
TEST_P(Es9ConformanceTest, CertificateChecksMostSpecificFirst) {
  const std::string iccid = NextIccid();
  ASSERT_THAT(world->OrderAndRelease(iccid, Mid("CERT")), IsOk());
  const pki::DevPkiCurve& dev = world->dev_pki().ForCurve(Curve::kNistP256);
  euicc::testing::TestCi ci;
  ASSERT_THAT(ReadFile(dev.ci.der).status(), IsOk());
  ci.certificate = *ReadFile(dev.ci.der);
  ci.private_key_pem = *ReadFile(dev.ci_key);
  auto trust = auth::CiTrustStore::Create({ci.certificate});
  ASSERT_THAT(trust.status(), IsOk());
  struct Case {
    euicc::testing::TestChainOptions options;
    const char* subject;
    const char* reason;
  };
  const absl::Time now = absl::Now();
  const Case cases[] = {
      {{.ci = ci, .eum_not_after = now - absl::Hours(24), .eum_is_ca = false},
       "8.1.2",
       "6.3"},
      {{.eum_is_ca = false}, "8.11.1", "3.9"},  // a CI of its own
  };
  for (const Case& c : cases) {
    auto chain = euicc::testing::MakeTestChain(c.options);
    ASSERT_THAT(chain.status(), IsOk());
    euicc::SoftwareEuiccConfig config = chain->euicc.ToConfig();
    // The eUICC verifies us with our CI and claims to sign with it, so that
    // it gets as far as AuthenticateClient whatever its chain.
    config.ci_certificates = {ci.certificate};
    config.ci_pkid_list_for_signing = (*trust)->KeyIds();
    auto e = euicc::SoftwareEuicc::Create(config);
    ASSERT_THAT(e.status(), IsOk());
    EXPECT_THAT(Authenticate(**e, Mid("CERT")),
                FailedWith(c.subject, c.reason));
  }
}

INSTANTIATE_TEST_SUITE_P(
    Bindings, Es9ConformanceTest,
    ::testing::Values(Es9Transport::kHttps, Es9Transport::kGrpc),
    [](const ::testing::TestParamInfo<Es9Transport>& info) {
      return info.param == Es9Transport::kHttps ? "Https" : "Grpc";
    });

}  // namespace
}  // namespace smdp::e2e
