// ES9+ end to end over the real transports, in one process (DownloadWorld:
// the download service with its keys in a SoftHSM token, our dev PKI, a
// RocksDB store with imported PPK-protected and plain profiles, behind the
// gRPC service and the GSMA HTTPS binding on 127.0.0.1): the software eUICC
// downloads through each, checks and decrypts with its own code, and its
// notification moves the profile to INSTALLED. The decrypted profile equals
// the stored one. A refused download reaches the LPA with its GSMA codes
// and ends the download at that step.
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/download_client.h"
#include "tests/e2e/download_world.h"
#include "tests/euicc/euicc_testing.h"
#include "tests/euicc/software_euicc.h"
#include "util/status_matchers.h"

namespace smdp::e2e {
namespace {

using ::smdp::hsm::Curve;
using ::smdp::matchers::IsOk;

// Shared by every test: setting up the HSM, the PKI and the store is the
// expensive part, and each download takes a profile of its own.
DownloadWorld* world = nullptr;

class WorldEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    auto made = DownloadWorld::Create({.ppk_profiles = 8, .plain_profiles = 8});
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

struct Case {
  bool https;
  Curve curve;
  bool ppk;
};

class Es9TransportTest : public ::testing::TestWithParam<Case> {};

TEST_P(Es9TransportTest, DownloadInstallsTheStoredProfile) {
  const Case& c = GetParam();
  static int n = 0;
  int index = n++;
  const std::string iccid =
      (c.ppk ? world->ppk_iccids() : world->plain_iccids()).at(index);
  const std::string matching_id = absl::StrCat("E2E-", index);
  ASSERT_THAT(world->OrderAndRelease(iccid, matching_id), IsOk());
  auto creds = euicc::testing::DevPkiEuicc(world->dev_pki().ForCurve(c.curve));
  ASSERT_THAT(creds.status(), IsOk());
  auto euicc = euicc::SoftwareEuicc::Create(creds->ToConfig());
  ASSERT_THAT(euicc.status(), IsOk());
  auto client =
      world->NewClient(c.https ? Es9Transport::kHttps : Es9Transport::kGrpc);
  ASSERT_THAT(client.status(), IsOk());

  // Every step up to the BPP: each ES9+ answer must be Executed-Success and
  // each ES10b call must succeed (Download checks both).
  Download download(**client, **euicc, world->smdp_address(), matching_id);
  ASSERT_THAT(download.RunThrough(DownloadStep::kLoadBoundProfilePackage),
              IsOk());
  const euicc::LoadBppResult& loaded = *download.result().loaded;
  EXPECT_EQ(loaded.used_ppk, c.ppk);

  auto record = world->store().GetProfile(iccid);
  ASSERT_THAT(record.status(), IsOk());
  EXPECT_EQ(record->state(), store::DOWNLOADED);

  // Over HTTPS the notification must be answered 204 (the client checks).
  ASSERT_THAT(download.Step(), IsOk());
  EXPECT_TRUE(download.done());
  record = world->store().GetProfile(iccid);
  ASSERT_THAT(record.status(), IsOk());
  EXPECT_EQ(record->state(), store::INSTALLED);

  // The stored profile, reopened with the KEK, is what the eUICC decrypted.
  auto stored = world->StoredProfile(iccid);
  ASSERT_THAT(stored.status(), IsOk());
  EXPECT_FALSE(stored->empty());
  EXPECT_TRUE(loaded.profile == *stored) << "profile differs";
}

std::string Name(const ::testing::TestParamInfo<Case>& info) {
  return absl::StrCat(
      info.param.https ? "Https" : "Grpc",
      info.param.curve == Curve::kNistP256 ? "P256" : "Brainpool",
      info.param.ppk ? "Ppk" : "Plain");
}

INSTANTIATE_TEST_SUITE_P(
    All, Es9TransportTest,
    ::testing::Values(Case{false, Curve::kNistP256, true},
                      Case{false, Curve::kBrainpoolP256r1, false},
                      Case{true, Curve::kNistP256, true},
                      Case{true, Curve::kNistP256, false},
                      Case{true, Curve::kBrainpoolP256r1, true},
                      Case{false, Curve::kNistP256, false}),
    Name);

// A refusal reaches the LPA as a Failed answer with its codes, over both
// transports, and the download stops at that step.
class Es9RefusalTest : public ::testing::TestWithParam<Es9Transport> {};

TEST_P(Es9RefusalTest, UnknownMatchingIdIsRefused) {
  auto creds =
      euicc::testing::DevPkiEuicc(world->dev_pki().ForCurve(Curve::kNistP256));
  ASSERT_THAT(creds.status(), IsOk());
  auto euicc = euicc::SoftwareEuicc::Create(creds->ToConfig());
  ASSERT_THAT(euicc.status(), IsOk());
  auto client = world->NewClient(GetParam());
  ASSERT_THAT(client.status(), IsOk());
  Download download(**client, **euicc, world->smdp_address(), "NO-SUCH-ID");
  absl::Status s = download.Run();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_THAT(s.message(),
              ::testing::HasSubstr("authenticateClient: Failed 8.2.6/3.8"));
  EXPECT_FALSE(download.next_step().has_value());
  EXPECT_FALSE(download.result().loaded.has_value());
}

// SGP.22 5.2.6 (common status codes): a malformed request field is a
// format error, 1.6/2.1 (invalid) or 1.6/2.2 (missing), and both bindings
// answer it alike; HandleNotification too (HTTPS: 200 with the Failed
// header; only an accepted notification is 204 without a body).
TEST_P(Es9RefusalTest, MalformedFieldsAreFormatErrorsOnBothBindings) {
  auto client = world->NewClient(GetParam());
  ASSERT_THAT(client.status(), IsOk());
  auto expect_failed = [](const es9plus::FunctionExecutionStatus& f,
                          absl::string_view subject, absl::string_view reason) {
    EXPECT_EQ(f.status(), "Failed");
    EXPECT_EQ(f.status_code_data().subject_code(), subject);
    EXPECT_EQ(f.status_code_data().reason_code(), reason);
  };
  es9plus::HandleNotificationRequest garbage;
  garbage.set_pending_notification(std::string("\x01\x02\x03", 3));
  auto notified = (*client)->HandleNotification(garbage);
  ASSERT_THAT(notified.status(), IsOk());
  expect_failed(notified->header().function_execution_status(), "1.6", "2.1");
  auto creds =
      euicc::testing::DevPkiEuicc(world->dev_pki().ForCurve(Curve::kNistP256));
  ASSERT_THAT(creds.status(), IsOk());
  auto euicc = euicc::SoftwareEuicc::Create(creds->ToConfig());
  ASSERT_THAT(euicc.status(), IsOk());
  es9plus::InitiateAuthenticationRequest init;
  init.set_euicc_info1((*euicc)->GetEuiccInfo1());
  init.set_smdp_address(world->smdp_address());
  auto missing = (*client)->InitiateAuthentication(init);
  ASSERT_THAT(missing.status(), IsOk());
  expect_failed(missing->header().function_execution_status(), "1.6", "2.2");
  init.set_euicc_challenge(std::string(17, 'c'));
  auto invalid = (*client)->InitiateAuthentication(init);
  ASSERT_THAT(invalid.status(), IsOk());
  expect_failed(invalid->header().function_execution_status(), "1.6", "2.1");
}

INSTANTIATE_TEST_SUITE_P(
    All, Es9RefusalTest,
    ::testing::Values(Es9Transport::kHttps, Es9Transport::kGrpc),
    [](const ::testing::TestParamInfo<Es9Transport>& info) {
      return info.param == Es9Transport::kHttps ? "Https" : "Grpc";
    });

}  // namespace
}  // namespace smdp::e2e
