// The README's run path: smdpd with no config in a fresh directory makes its
// SoftHSM token, dev PKI, dev gRPC TLS material and store, serves gRPC
// health over TLS, answers smdpctl (with the dev admin certificate), and
// stops cleanly on SIGTERM; a second start reuses all of it. Also: who may
// call Admin, ES9+ over gRPC without a client certificate, and plaintext
// gRPC on loopback.
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <stdlib.h>

#include <fstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "api/admin.grpc.pb.h"
#include "api/es9plus.grpc.pb.h"
#include "api/health.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "profiles/preparation/test_subscribers.h"
#include "profiles/saip/template_builder.h"
#include "smdp/grpc/tls_credentials.h"
#include "smdp/http/gsma_http_client.h"
#include "smdp/pki/dev_tls.h"
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

// The ES9+ HTTPS address and grpc_tls of the last StartAndGetAddress().
std::string last_https_address;
bool last_grpc_tls = false;

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
    if (absl::ConsumePrefix(&word, "grpc_tls=")) last_grpc_tls = word == "on";
  }
  return address;
}

// A TLS channel to smdpd trusting the dev TLS CA of `dir`/smdp-data, with
// the client certificate `client` (none when nullptr).
std::shared_ptr<grpc::Channel> TlsChannel(
    const std::string& address, const std::string& dir,
    const pki::DevTlsClient* client = nullptr) {
  GrpcClientTlsFiles files;
  files.ca_file = pki::DevTlsLayout(pki::DevTlsDir(dir + "/smdp-data")).ca_cert;
  if (client != nullptr) {
    files.certificate_chain_file = client->cert;
    files.private_key_file = client->key;
  }
  auto channel = CreateGrpcTlsChannel(address, files);
  EXPECT_TRUE(channel.ok()) << channel.status();
  return channel.ok() ? *channel : nullptr;
}

grpc::health::v1::HealthCheckResponse::ServingStatus Health(
    const std::shared_ptr<grpc::Channel>& channel) {
  auto stub = grpc::health::v1::Health::NewStub(channel);
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
        {smdpd, "--grpc_listen=127.0.0.1:0", "--es9_https_listen=127.0.0.1:0",
         "--es2_https_listen=127.0.0.1:0"},
        InDir(dir));
    std::string address = StartAndGetAddress(server);
    ASSERT_FALSE(address.empty()) << server.stderr_text();
    EXPECT_TRUE(last_grpc_tls);
    // Health needs no client certificate.
    EXPECT_EQ(Health(TlsChannel(address, dir)),
              grpc::health::v1::HealthCheckResponse::SERVING);

    // smdpctl finds the dev CA and admin certificate in ./smdp-data.
    std::string out, err;
    EXPECT_EQ(Subprocess::Run({ctl, "health", "--addr=" + address}, InDir(dir),
                              &out, &err),
              0)
        << err;
    EXPECT_EQ(out, "SERVING\n");
    EXPECT_EQ(Subprocess::Run({ctl, "info", "--addr=" + address}, InDir(dir),
                              &out, &err),
              0)
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
        R"("euiccInfo1":"vyAJggMCAgCpAKoA","smdpAddress":"other.example.com"})");
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
    EXPECT_TRUE(FileExists(dir + "/smdp-data/pki/grpc/manifest.txt"));
    EXPECT_TRUE(
        FileExists(dir + "/smdp-data/pki/grpc/clients/smdp-admin.key.pem"));
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
  int code = Subprocess::Run(
      {RunfilePath("smdp/smdpd"), "--grpc_listen=127.0.0.1:0",
       "--es9_https_listen=127.0.0.1:0", "--es2_https_listen=127.0.0.1:0"},
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
  Subprocess server(
      {RunfilePath("smdp/smdpd"), "--grpc_listen=127.0.0.1:0",
       "--es9_https_listen=127.0.0.1:0", "--es2_https_listen=127.0.0.1:0"},
      InDir(dir));
  std::string address = StartAndGetAddress(server);
  ASSERT_FALSE(address.empty()) << server.stderr_text();
  std::string ctl = RunfilePath("smdp/smdpctl");
  std::string addr = "--addr=" + address;
  // From elsewhere than smdpd's directory: the dev files by --data_dir.
  std::string data_dir = "--data_dir=" + dir + "/smdp-data";
  std::string out, err;
  std::vector<std::string> import = {ctl,
                                     "profiles",
                                     "import",
                                     addr,
                                     data_dir,
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

  ASSERT_EQ(Subprocess::Run(
                {ctl, "profiles", "list", addr, data_dir, "--state=AVAILABLE",
                 "--batch=b-2026-11", "--all", "--page_size=100"},
                {}, &out, &err),
            0)
      << err;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 251) << out;
  std::string iccid = profiles::preparation::testing::TestIccid(7);
  EXPECT_THAT(out, HasSubstr(iccid));

  ASSERT_EQ(Subprocess::Run({ctl, "profiles", "show", iccid, addr, data_dir},
                            {}, &out, &err),
            0)
      << err;
  EXPECT_THAT(out, HasSubstr("state: AVAILABLE"));
  EXPECT_THAT(out, HasSubstr("service_provider_name: Operator One"));
  EXPECT_THAT(out, HasSubstr("ppk_protected: yes"));
  EXPECT_THAT(
      out,
      ::testing::Not(HasSubstr(profiles::preparation::testing::TestKiHex(7))));
  EXPECT_EQ(Subprocess::Run({ctl, "profiles", "show", "8988211000000000000",
                             addr, data_dir},
                            {}, &out, &err),
            1);
  EXPECT_THAT(err, HasSubstr("8988211000000000000"));

  ASSERT_EQ(
      Subprocess::Run({ctl, "profiles", "batch", "b-2026-11", addr, data_dir},
                      {}, &out, &err),
      0)
      << err;
  EXPECT_THAT(out, HasSubstr("state: COMPLETE"));
  server.Signal(SIGTERM);
  EXPECT_EQ(server.Wait(absl::Seconds(30)), 0) << server.stderr_text();
}

// Admin needs a verified client certificate whose CN is in admin_clients
// ("smdp-admin" in dev mode); health and ES9+ need none.
TEST(SmdpdSmokeTest, AdminNeedsAnAdminClientCertificate) {
  std::string dir = FreshDir("admin");
  Subprocess server({RunfilePath("smdp/smdpd"), "--grpc_listen=127.0.0.1:0",
                     "--es9_https_listen=off", "--es2_https_listen=off"},
                    InDir(dir));
  std::string address = StartAndGetAddress(server);
  ASSERT_FALSE(address.empty()) << server.stderr_text();
  const std::string tls_dir = pki::DevTlsDir(dir + "/smdp-data");

  auto info = [&](const std::shared_ptr<grpc::Channel>& channel) {
    auto stub = admin::Admin::NewStub(channel);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(10));
    admin::GetServerInfoResponse response;
    return stub->GetServerInfo(&context, admin::GetServerInfoRequest(),
                               &response);
  };
  // No client certificate.
  grpc::Status status = info(TlsChannel(address, dir));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(status.error_message(), HasSubstr("client certificate"));
  // A verified certificate that is not an admin's (an operator's).
  auto op1 = pki::IssueDevClientCertificate(tls_dir, "op1");
  ASSERT_TRUE(op1.ok()) << op1.status();
  status = info(TlsChannel(address, dir, &*op1));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(status.error_message(), HasSubstr("'op1'"));
  // The admin's CN under a CA smdpd does not trust: the handshake fails.
  auto foreign = pki::EnsureDevTls({.dir = dir + "/foreign"});
  ASSERT_TRUE(foreign.ok()) << foreign.status();
  status = info(TlsChannel(address, dir, &foreign->admin));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  // The dev admin certificate.
  pki::DevTls dev = pki::DevTlsLayout(tls_dir);
  status = info(TlsChannel(address, dir, &dev.admin));
  EXPECT_TRUE(status.ok()) << status.error_message();

  // ES9+ over gRPC without a client certificate: a GSMA answer (here the
  // refusal of a wrong SM-DP+ address), not a gRPC error.
  {
    auto es9 = es9plus::Es9Plus::NewStub(TlsChannel(address, dir));
    grpc::ClientContext context;
    es9plus::InitiateAuthenticationRequest request;
    request.set_euicc_challenge(std::string(16, '\x01'));
    // EUICCInfo1 {svn 2.2.0, no CI key ids}: well formed, so that the
    // address is what is refused.
    request.set_euicc_info1(
        std::string("\xBF\x20\x09\x82\x03\x02\x02\x00\xA9\x00\xAA\x00", 12));
    request.set_smdp_address("other.example.com");
    es9plus::InitiateAuthenticationResponse response;
    status = es9->InitiateAuthentication(&context, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    const auto& execution = response.header().function_execution_status();
    EXPECT_EQ(execution.status(), "Failed");
    EXPECT_EQ(execution.status_code_data().subject_code(), "8.8.1");
    EXPECT_EQ(execution.status_code_data().reason_code(), "3.8");
  }

  // smdpctl: one line and exit 1 for each refusal.
  std::string ctl = RunfilePath("smdp/smdpctl");
  std::string out, err;
  EXPECT_EQ(Subprocess::Run(
                {ctl, "info", "--addr=" + address, "--tls_ca=" + dev.ca_cert},
                {}, &out, &err),
            1);
  EXPECT_THAT(err, HasSubstr("needs a client certificate"));
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  EXPECT_EQ(Subprocess::Run(
                {ctl, "info", "--addr=" + address, "--tls_ca=" + dev.ca_cert,
                 "--tls_cert=" + op1->cert, "--tls_key=" + op1->key},
                {}, &out, &err),
            1);
  EXPECT_THAT(err, HasSubstr("not in admin_clients"));
  EXPECT_EQ(Subprocess::Run({ctl, "info", "--addr=" + address,
                             "--tls_ca=" + dev.client_ca_cert},
                            {}, &out, &err),
            1);
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  EXPECT_EQ(Subprocess::Run({ctl, "health", "--addr=" + address, "--plaintext"},
                            {}, &out, &err),
            1);
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  // Usage errors.
  EXPECT_EQ(
      Subprocess::Run({ctl, "info", "--plaintext", "--tls_ca=" + dev.ca_cert},
                      {}, &out, &err),
      2);
  EXPECT_EQ(Subprocess::Run({ctl, "info", "--tls_ca=" + dev.ca_cert,
                             "--tls_cert=" + dev.admin.cert},
                            {}, &out, &err),
            2);
  // Elsewhere, without the dev files, smdpctl says what to give.
  std::string elsewhere = FreshDir("elsewhere");
  EXPECT_EQ(Subprocess::Run({ctl, "info", "--addr=" + address},
                            InDir(elsewhere), &out, &err),
            1);
  EXPECT_THAT(err, HasSubstr("--tls_ca"));

  server.Signal(SIGTERM);
  EXPECT_EQ(server.Wait(absl::Seconds(30)), 0) << server.stderr_text();
}

// grpc_plaintext: no TLS, only on loopback, and Admin is open there.
TEST(SmdpdSmokeTest, PlaintextOnLoopbackOnly) {
  std::string dir = FreshDir("plaintext");
  std::ofstream(dir + "/plain.textproto")
      << "dev_mode: true\ngrpc_plaintext: true\n"
         "grpc_listen: '127.0.0.1:0'\nes9_https_listen: "
         "'off'\nes2_https_listen: 'off'\n";
  Subprocess server(
      {RunfilePath("smdp/smdpd"), "--config=" + dir + "/plain.textproto"},
      InDir(dir));
  std::string address = StartAndGetAddress(server);
  ASSERT_FALSE(address.empty()) << server.stderr_text();
  EXPECT_FALSE(last_grpc_tls);
  EXPECT_EQ(
      Health(grpc::CreateChannel(address, grpc::InsecureChannelCredentials())),
      grpc::health::v1::HealthCheckResponse::SERVING);
  std::string ctl = RunfilePath("smdp/smdpctl");
  std::string out, err;
  EXPECT_EQ(Subprocess::Run({ctl, "info", "--addr=" + address, "--plaintext"},
                            InDir(dir), &out, &err),
            0)
      << err;
  EXPECT_THAT(out, HasSubstr("identities: nist, brp"));
  // No dev TLS material was made for a plaintext listener.
  EXPECT_FALSE(FileExists(dir + "/smdp-data/pki/grpc/manifest.txt"));
  server.Signal(SIGTERM);
  EXPECT_EQ(server.Wait(absl::Seconds(30)), 0) << server.stderr_text();

  // Anywhere else than loopback it is refused before anything starts.
  std::string code_err;
  int code = Subprocess::Run(
      {RunfilePath("smdp/smdpd"), "--config=" + dir + "/plain.textproto",
       "--grpc_listen=0.0.0.0:0"},
      InDir(dir), &out, &code_err);
  EXPECT_EQ(code, 2);
  EXPECT_EQ(code_err,
            "smdpd: config field grpc_plaintext: only allowed when grpc_listen "
            "is a loopback address (127.0.0.1, [::1], localhost), not "
            "'0.0.0.0:0'\n");
}

// Outside dev mode, a config without grpc_tls (and not plaintext) is refused
// at start-up with one line.
TEST(SmdpdSmokeTest, ProductionConfigWithoutGrpcTlsIsRefused) {
  std::string dir = FreshDir("notls");
  std::ofstream(dir + "/prod.textproto")
      << "identities { name: 'a' ci_cert_file: 'c' dpauth_cert_file: 'a' "
         "dppb_cert_file: 'b' dpauth_key: 'k' dppb_key: 'l' }\n";
  std::string out, err;
  int code = Subprocess::Run(
      {RunfilePath("smdp/smdpd"), "--config=" + dir + "/prod.textproto"},
      InDir(dir), &out, &err);
  EXPECT_EQ(code, 2);
  EXPECT_THAT(err, HasSubstr("smdpd: config field grpc_tls: not set"));
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
}

}  // namespace
}  // namespace smdp
