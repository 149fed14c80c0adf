// A real lpac downloads profiles from the real ES9+ service into the
// software eUICC: DownloadWorld (tests/e2e: the download service over the
// GSMA HTTPS binding, keys in SoftHSM, profiles imported and released
// through store transitions in place of ES2+) on 127.0.0.1, lpac's ES10
// APDUs answered by euicc_apdu_stdio, its ES9+ requests relayed to the
// world's port (--es9_relay). Then `lpac notification process` delivers the
// ProfileInstallationResult and the profile is INSTALLED in the store.
//
// Needs an lpac binary: --test_env=SMDP_LPAC=/path/to/lpac (README.md says
// how to build one); skipped otherwise.
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "profiles/store.pb.h"
#include "smdp/pki/dev_pki.h"
#include "tests/e2e/download_client.h"
#include "tests/e2e/download_world.h"
#include "tests/euicc/apdu/state_dir.h"
#include "tests/euicc/lpa.h"
#include "tests/euicc/software_euicc.h"
#include "tests/testing/subprocess.h"
#include "util/status_matchers.h"

namespace smdp::euicc::apdu {
namespace {

using ::smdp::testing::RunfilePath;
using ::smdp::testing::Subprocess;
using ::testing::HasSubstr;

struct Result {
  int code = -1;
  std::string out;
  std::string err;
};

Result RunCommand(std::vector<std::string> argv) {
  Result r;
  r.code =
      Subprocess::Run(std::move(argv), {}, &r.out, &r.err, absl::Seconds(120));
  return r;
}

// The ICCID as lpac prints it: the digits of the ICCID, without the F
// filler (TestIccid gives the digits).
class LpacDownloadTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const char* lpac = std::getenv("SMDP_LPAC");
    if (lpac == nullptr || *lpac == '\0') return;
    auto made = e2e::DownloadWorld::Create(
        {.ppk_profiles = 2, .plain_profiles = 2, .serve_grpc = false});
    ASSERT_OK(made.status());
    world_ = made->release();
  }
  static void TearDownTestSuite() {
    delete world_;
    world_ = nullptr;
  }

  void SetUp() override {
    const char* lpac = std::getenv("SMDP_LPAC");
    if (lpac == nullptr || *lpac == '\0') {
      GTEST_SKIP() << "SMDP_LPAC is not set";
    }
    lpac_ = lpac;
    ASSERT_NE(world_, nullptr);
  }

  // Makes the dev eUICC of `curve` in a fresh state directory.
  std::string MakeCard(hsm::Curve curve, absl::string_view name) {
    const std::string dir =
        absl::StrCat(std::getenv("TEST_TMPDIR"), "/card-", name);
    const pki::DevPkiCurve& c = world_->dev_pki().ForCurve(curve);
    Result init =
        RunCommand({RunfilePath("tests/euicc/euicc_cli"), "--state=" + dir,
                    "init", "--cert=" + c.euicc.der, "--key=" + c.euicc_key,
                    "--eum=" + c.eum.der, "--ci=" + c.ci.der});
    EXPECT_EQ(init.code, 0) << init.err;
    return dir;
  }

  // lpac ARGS through euicc_apdu_stdio with the card in `dir`.
  Result Lpac(const std::string& dir, std::vector<std::string> args) {
    std::vector<std::string> argv = {
        RunfilePath("tests/euicc/euicc_apdu_stdio"),
        "--state=" + dir,
        "--log=-",
        "--es9_relay=" + world_->https_base_url(),
        "--es9_cacert=" + world_->tls_trust_anchor_file(),
        "--",
        lpac_};
    argv.insert(argv.end(), args.begin(), args.end());
    Result r = RunCommand(std::move(argv));
    // lpac's output and the card's log, for the test log.
    std::cout << "$ lpac " << absl::StrJoin(args, " ") << "\n"
              << r.out << r.err << "exit " << r.code << std::endl;
    return r;
  }

  void DownloadAndNotify(hsm::Curve curve, const std::string& iccid,
                         const std::string& matching_id, absl::string_view name,
                         const std::string& confirmation_code = "") {
    ASSERT_OK(world_->OrderAndRelease(iccid, matching_id, confirmation_code));
    const std::string dir = MakeCard(curve, name);
    LpacDownloadAndNotify(dir, iccid, matching_id, confirmation_code);
  }

  // lpac downloads `matching_id` into the card in `dir` (with the code, when
  // given) and delivers its notification.
  void LpacDownloadAndNotify(const std::string& dir, const std::string& iccid,
                             const std::string& matching_id,
                             const std::string& confirmation_code = "") {
    std::vector<std::string> download = {
        "profile", "download", "-s", world_->smdp_address(), "-m", matching_id};
    if (!confirmation_code.empty()) {
      download.push_back("-c");
      download.push_back(confirmation_code);
    }
    Result r = Lpac(dir, download);
    ASSERT_EQ(r.code, 0) << r.out << r.err;
    EXPECT_THAT(r.out, HasSubstr(R"("message":"success")"));
    EXPECT_THAT(r.out, HasSubstr(absl::StrCat(R"("iccid":")", iccid, "\"")));
    EXPECT_THAT(r.err, HasSubstr("ES10 BF36: "));
    ASSERT_OK_AND_ASSIGN(store::ProfileRecord record,
                         world_->store().GetProfile(iccid));
    EXPECT_EQ(record.state(), store::DOWNLOADED);

    r = Lpac(dir, {"profile", "list"});
    ASSERT_EQ(r.code, 0) << r.out << r.err;
    EXPECT_THAT(r.out, HasSubstr(absl::StrCat(R"("iccid":")", iccid, "\"")));
    EXPECT_THAT(r.out, HasSubstr(R"("profileState":"disabled")"));
    EXPECT_THAT(r.out, HasSubstr(R"("serviceProviderName":"Operator One")"));

    r = Lpac(dir, {"notification", "list"});
    ASSERT_EQ(r.code, 0) << r.out << r.err;
    EXPECT_THAT(r.out, HasSubstr(R"("profileManagementOperation":"install")"));
    EXPECT_THAT(r.out, HasSubstr(absl::StrCat(R"("notificationAddress":")",
                                              world_->smdp_address(), "\"")));

    r = Lpac(dir, {"notification", "process", "-a", "-r"});
    ASSERT_EQ(r.code, 0) << r.out << r.err;
    EXPECT_THAT(r.out, HasSubstr(R"("message":"success")"));
    ASSERT_OK_AND_ASSIGN(record, world_->store().GetProfile(iccid));
    EXPECT_EQ(record.state(), store::INSTALLED);

    r = Lpac(dir, {"notification", "list"});
    ASSERT_EQ(r.code, 0) << r.out << r.err;
    EXPECT_THAT(r.out, HasSubstr(R"("message":"success","data":[])"));
  }

  static e2e::DownloadWorld* world_;
  std::string lpac_;
};

e2e::DownloadWorld* LpacDownloadTest::world_ = nullptr;

TEST_F(LpacDownloadTest, PpkProfileOnNist) {
  DownloadAndNotify(hsm::Curve::kNistP256, world_->ppk_iccids().at(0),
                    "LPAC-PPK-1", "nist");
}

TEST_F(LpacDownloadTest, PlainProfileOnBrainpool) {
  DownloadAndNotify(hsm::Curve::kBrainpoolP256r1, world_->plain_iccids().at(0),
                    "LPAC-PLAIN-1", "brp");
}

// SGP.22 3.1.3.2: an order that needs a confirmation code; lpac sends the
// hashCc of the code it is given.
TEST_F(LpacDownloadTest, WithAConfirmationCode) {
  DownloadAndNotify(hsm::Curve::kNistP256, world_->ppk_iccids().at(1),
                    "LPAC-CC-1", "cc", "7391");
}

// SGP.22 5.6.5 and 3.1.3: a first attempt (our LPA) gets the BPP, never
// loads it, and cancels with reason postponed; lpac then downloads the same
// order into the same card. The SM-DP+ offers bppEuiccOtpk, the card reuses
// its one-time key, and the BPP is bound with the kept one-time keys.
TEST_F(LpacDownloadTest, AfterAPostponedCancel) {
  const std::string iccid = world_->plain_iccids().at(1);
  const std::string matching_id = "LPAC-POSTPONED-1";
  ASSERT_OK(world_->OrderAndRelease(iccid, matching_id));
  const std::string dir = MakeCard(hsm::Curve::kNistP256, "postponed");
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<SoftwareEuicc> euicc,
                         LoadEuiccFromDir(dir));
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Es9Client> client,
                         world_->NewClient(Es9Transport::kHttps));
    e2e::Download first(*client, *euicc, world_->smdp_address(), matching_id);
    ASSERT_OK(first.RunThrough(e2e::DownloadStep::kGetBoundProfilePackage));
    const std::string tid = euicc->transaction_id();
    CancelSessionAnswer answer =
        euicc->CancelSession(tid, sgp22::CancelSessionReason::kPostponed);
    ASSERT_TRUE(answer.ok()) << answer.status;
    es9plus::CancelSessionRequest cancel;
    cancel.set_transaction_id(absl::BytesToHexString(tid));
    cancel.set_cancel_session_response(answer.der);
    ASSERT_OK_AND_ASSIGN(es9plus::CancelSessionResponse cancelled,
                         world_->service().CancelSession(cancel));
    ASSERT_EQ(cancelled.header().function_execution_status().status(),
              "Executed-Success");
    ASSERT_TRUE(euicc->kept_euicc_otpk().has_value());
    ASSERT_OK(SaveEuiccToDir(dir, *euicc));
  }
  ASSERT_OK_AND_ASSIGN(store::ProfileRecord record,
                       world_->store().GetProfile(iccid));
  EXPECT_EQ(record.state(), store::RELEASED);

  LpacDownloadAndNotify(dir, iccid, matching_id);
  ASSERT_OK_AND_ASSIGN(std::vector<store::AuditEntry> audit,
                       world_->store().GetAudit(iccid));
  std::vector<std::string> details;
  for (const store::AuditEntry& e : audit) details.push_back(e.detail());
  EXPECT_THAT(details, ::testing::Contains(HasSubstr("bppEuiccOtpk offered")));
  EXPECT_THAT(details, ::testing::Contains(HasSubstr("reused (bppEuiccOtpk)")));
}

TEST_F(LpacDownloadTest, UnknownMatchingIdIsRefusedAndTheSessionCancelled) {
  const std::string dir = MakeCard(hsm::Curve::kNistP256, "unknown");
  Result r = Lpac(dir, {"profile", "download", "-s", world_->smdp_address(),
                        "-m", "NO-SUCH-ORDER"});
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr(R"("message":"es9p_authenticate_client")"));
  EXPECT_THAT(r.err, HasSubstr("ES10 BF41: 9000"));  // CancelSession
  EXPECT_THAT(r.err, HasSubstr("es9plus/cancelSession: 200"));
}

}  // namespace
}  // namespace smdp::euicc::apdu
