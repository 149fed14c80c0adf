// The README's run path: smdpd with no config in a fresh directory makes its
// SoftHSM token, dev PKI and store, serves gRPC health, answers smdpctl, and
// stops cleanly on SIGTERM; a second start reuses all of it.
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <stdlib.h>

#include <fstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "api/health.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "profiles/preparation/test_subscribers.h"
#include "profiles/saip/template_builder.h"
#include "smdp/http/gsma_http_client.h"
#include "tests/testing/subprocess.h"
#include "util/file_util.h"

namespace smdp {
namespace {

using ::smdp::testing::RunfilePath;
using ::smdp::testing::Subprocess;
using ::smdp::testing::SubprocessOptions;
using ::testing::HasSubstr;

std::string FreshDir(const std::string& name) {
  std::string dir = absl::StrCat(getenv("TEST_TMPDIR"), "/", name);
  EXPECT_TRUE(MakeDirs(dir).ok());
  return dir;
}

SubprocessOptions InDir(const std::string& dir) {
  SubprocessOptions options;
  options.cwd = dir;
  // The run command has neither: the dev token is found through data_dir.
  options.unset_env = {"SOFTHSM2_CONF", "SMDP_HSM_PIN"};
  return options;
}

// The ES9+ HTTPS address of the last StartAndGetAddress().
std::string last_https_address;

// Starts smdpd and returns its gRPC address from the start-up line.
std::string StartAndGetAddress(Subprocess& server) {
  EXPECT_TRUE(server.Start().ok());
  auto line = server.ReadStdoutLine(absl::Seconds(120));
  EXPECT_TRUE(line.ok()) << line.status();
  if (!line.ok()) return "";
  EXPECT_THAT(*line, HasSubstr("smdpd: serving grpc=127.0.0.1:"));
  std::string address;
  for (absl::string_view word : absl::StrSplit(*line, ' ')) {
    if (absl::ConsumePrefix(&word, "grpc=")) address = std::string(word);
    if (absl::ConsumePrefix(&word, "es9_https=")) {
      last_https_address = std::string(word);
    }
  }
  return address;
}

grpc::health::v1::HealthCheckResponse::ServingStatus Health(
    const std::string& address) {
  auto stub = grpc::health::v1::Health::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(10));
  grpc::health::v1::HealthCheckResponse response;
  grpc::Status status =
      stub->Check(&context, grpc::health::v1::HealthCheckRequest(), &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response.status();
}

TEST(SmdpdSmokeTest, FreshDirectoryComesUpHealthyAndRestarts) {
  std::string dir = FreshDir("fresh");
  std::string smdpd = RunfilePath("smdp/smdpd");
  std::string ctl = RunfilePath("smdp/smdpctl");
  std::string first_dpauth;
  for (int run = 0; run < 2; ++run) {
    Subprocess server(
        {smdpd, "--grpc_listen=127.0.0.1:0", "--es9_https_listen=127.0.0.1:0"},
        InDir(dir));
    std::string address = StartAndGetAddress(server);
    ASSERT_FALSE(address.empty()) << server.stderr_text();
    EXPECT_EQ(Health(address), grpc::health::v1::HealthCheckResponse::SERVING);

    std::string out, err;
    EXPECT_EQ(
        Subprocess::Run({ctl, "health", "--addr=" + address}, {}, &out, &err),
        0)
        << err;
    EXPECT_EQ(out, "SERVING\n");
    EXPECT_EQ(
        Subprocess::Run({ctl, "info", "--addr=" + address}, {}, &out, &err), 0)
        << err;
    EXPECT_THAT(out, HasSubstr("smdp_address: localhost"));
    EXPECT_THAT(out, HasSubstr("identities: nist, brp"));

    // ES9+ over the GSMA HTTPS binding, with CERT.DP.TLS whose key is in
    // the token, trusted through the dev CI: a wrong SM-DP+ address is
    // refused with 8.8.1/3.8.
    http::GsmaHttpClientOptions tls;
    tls.trust_anchor_files = {dir + "/smdp-data/pki/nist/ci.pem"};
    auto client = http::GsmaHttpClient::Create(tls);
    ASSERT_TRUE(client.ok()) << client.status();
    std::string port =
        last_https_address.substr(last_https_address.rfind(':') + 1);
    auto answer = (*client)->Post(
        absl::StrCat("https://localhost:", port,
                     "/gsma/rsp2/es9plus/initiateAuthentication"),
        R"({"euiccChallenge":"AAECAwQFBgcICQoLDA0ODw==",)"
        R"("euiccInfo1":"vyAA","smdpAddress":"other.example.com"})");
    ASSERT_TRUE(answer.ok()) << answer.status();
    EXPECT_EQ(answer->status, 200);
    EXPECT_THAT(answer->body, HasSubstr(R"("subjectCode":"8.8.1")"));
    EXPECT_THAT(answer->body, HasSubstr(R"("reasonCode":"3.8")"));

    server.Signal(SIGTERM);
    EXPECT_EQ(server.Wait(absl::Seconds(30)), 0) << server.stderr_text();
    EXPECT_THAT(server.stderr_text(), HasSubstr("stopped"));

    // The token, PKI and store were made in ./smdp-data and are reused.
    EXPECT_TRUE(FileExists(dir + "/smdp-data/hsm/softhsm2.conf"));
    EXPECT_TRUE(FileExists(dir + "/smdp-data/db/CURRENT"));
    auto dpauth = ReadFile(dir + "/smdp-data/pki/nist/dpauth.der");
    ASSERT_TRUE(dpauth.ok()) << dpauth.status();
    if (run == 0) first_dpauth = *dpauth;
    EXPECT_EQ(*dpauth, first_dpauth);
    EXPECT_EQ(absl::StrContains(server.stderr_text(), "created SoftHSM token"),
              run == 0);
  }
}

TEST(SmdpdSmokeTest, InvalidConfigExitsTwoWithOneLineNamingTheField) {
  std::string dir = FreshDir("badconfig");
  std::ofstream(dir + "/smdpd.textproto")
      << "dev_mode: true\nlog_level: 'loud'\n";
  std::string out, err;
  int code = Subprocess::Run(
      {RunfilePath("smdp/smdpd"), "--config=" + dir + "/smdpd.textproto"},
      InDir(dir), &out, &err);
  EXPECT_EQ(code, 2);
  EXPECT_EQ(err,
            "smdpd: config field log_level: 'loud' is not one of debug, info, "
            "warning, error\n");

  std::ofstream(dir + "/typo.json") << R"({"dataDri": "x"})";
  code = Subprocess::Run(
      {RunfilePath("smdp/smdpd"), "--config=" + dir + "/typo.json"}, InDir(dir),
      &out, &err);
  EXPECT_EQ(code, 2);
  EXPECT_THAT(err, HasSubstr("dataDri"));
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
}

TEST(SmdpdSmokeTest, WrongPinFailsWithOneClearLine) {
  std::string dir = FreshDir("wrongpin");
  std::string out, err;
  // First run makes the token; pki init is the same set-up without serving.
  ASSERT_EQ(Subprocess::Run({RunfilePath("smdp/smdpctl"), "pki", "init"},
                            InDir(dir), &out, &err),
            0)
      << err;
  EXPECT_THAT(out, HasSubstr("dev PKI in smdp-data/pki"));
  SubprocessOptions options = InDir(dir);
  options.unset_env = {"SOFTHSM2_CONF"};
  options.env["SMDP_HSM_PIN"] = "000000";
  int code =
      Subprocess::Run({RunfilePath("smdp/smdpd"), "--grpc_listen=127.0.0.1:0",
                       "--es9_https_listen=127.0.0.1:0"},
                      options, &out, &err);
  EXPECT_EQ(code, 1);
  EXPECT_THAT(err, HasSubstr("PIN"));
  EXPECT_THAT(err, ::testing::Not(HasSubstr("000000")));
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
}

// An operator's existing key (here the public SGP.26 DPauth key) goes into
// the HSM with smdpctl; importing the same label twice is refused.
TEST(SmdpdSmokeTest, KeysImport) {
  const char* sgp26 = getenv("SMDP_SGP26_DIR");
  if (sgp26 == nullptr || !FileExists(std::string(sgp26) + "/DPauth")) {
    GTEST_SKIP() << "SMDP_SGP26_DIR is not set";
  }
  std::string dir = FreshDir("keys");
  std::string key =
      std::string(sgp26) + "/DPauth/SK_S_SM_DPauth_ECDSA_NIST.pem";
  std::vector<std::string> import = {RunfilePath("smdp/smdpctl"), "keys",
                                     "import", "--label=sgp26-dpauth-nist",
                                     "--key_file=" + key};
  std::string out, err;
  ASSERT_EQ(Subprocess::Run(import, InDir(dir), &out, &err), 0) << err;
  EXPECT_THAT(out, HasSubstr("imported sgp26-dpauth-nist (NIST P-256)"));
  EXPECT_EQ(Subprocess::Run(import, InDir(dir), &out, &err), 1);
  EXPECT_THAT(err, HasSubstr("sgp26-dpauth-nist"));
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  EXPECT_EQ(Subprocess::Run({RunfilePath("smdp/smdpctl"), "keys", "import"},
                            InDir(dir), &out, &err),
            2);
}

// The operator's import path: a SAIP template and a vendor file through
// smdpctl into the running server, then list and show.
TEST(SmdpdSmokeTest, ImportListAndShowProfiles) {
  std::string dir = FreshDir("import");
  auto upp = profiles::saip::BuildTemplate();
  ASSERT_TRUE(upp.ok()) << upp.status();
  ASSERT_TRUE(WriteFileAtomically(dir + "/template.der", *upp).ok());
  ASSERT_TRUE(WriteFileAtomically(dir + "/subscribers.csv",
                                  profiles::preparation::testing::TestCsv(250))
                  .ok());
  Subprocess server({RunfilePath("smdp/smdpd"), "--grpc_listen=127.0.0.1:0",
                     "--es9_https_listen=127.0.0.1:0"},
                    InDir(dir));
  std::string address = StartAndGetAddress(server);
  ASSERT_FALSE(address.empty()) << server.stderr_text();
  std::string ctl = RunfilePath("smdp/smdpctl");
  std::string addr = "--addr=" + address;
  std::string out, err;
  std::vector<std::string> import = {ctl,
                                     "profiles",
                                     "import",
                                     addr,
                                     "--batch=b-2026-11",
                                     "--operator_id=op1",
                                     "--type=consumer",
                                     "--template_file=" + dir + "/template.der",
                                     "--csv=" + dir + "/subscribers.csv",
                                     "--spn=Operator One",
                                     "--profile_name=Consumer eSIM",
                                     "--owner=26201"};
  ASSERT_EQ(Subprocess::Run(import, {}, &out, &err), 0) << err;
  EXPECT_EQ(out, "batch b-2026-11: 250 profiles imported\n");
  EXPECT_THAT(err, HasSubstr("import: 250/250 (100%)"));
  // A completed batch is refused with one line.
  EXPECT_EQ(Subprocess::Run(import, {}, &out, &err), 1);
  EXPECT_THAT(err, HasSubstr("already imported"));
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;

  ASSERT_EQ(Subprocess::Run({ctl, "profiles", "list", addr, "--state=AVAILABLE",
                             "--batch=b-2026-11", "--all", "--page_size=100"},
                            {}, &out, &err),
            0)
      << err;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 251) << out;
  std::string iccid = profiles::preparation::testing::TestIccid(7);
  EXPECT_THAT(out, HasSubstr(iccid));

  ASSERT_EQ(
      Subprocess::Run({ctl, "profiles", "show", iccid, addr}, {}, &out, &err),
      0)
      << err;
  EXPECT_THAT(out, HasSubstr("state: AVAILABLE"));
  EXPECT_THAT(out, HasSubstr("service_provider_name: Operator One"));
  EXPECT_THAT(out, HasSubstr("ppk_protected: yes"));
  EXPECT_THAT(
      out,
      ::testing::Not(HasSubstr(profiles::preparation::testing::TestKiHex(7))));
  EXPECT_EQ(
      Subprocess::Run({ctl, "profiles", "show", "8988211000000000000", addr},
                      {}, &out, &err),
      1);
  EXPECT_THAT(err, HasSubstr("8988211000000000000"));

  ASSERT_EQ(Subprocess::Run({ctl, "profiles", "batch", "b-2026-11", addr}, {},
                            &out, &err),
            0)
      << err;
  EXPECT_THAT(out, HasSubstr("state: COMPLETE"));
  server.Signal(SIGTERM);
  EXPECT_EQ(server.Wait(absl::Seconds(30)), 0) << server.stderr_text();
}

}  // namespace
}  // namespace smdp
