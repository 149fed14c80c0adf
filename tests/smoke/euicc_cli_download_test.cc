// euicc_cli download as a user runs it: the binary plays the LPA against an
// SM-DP+ (the in-process DownloadWorld: DownloadService over the GSMA HTTPS
// binding, and here over gRPC with smdpd's TLS credentials and the dev TLS
// material), with a profile released through store transitions as ES2+
// does. es2_operator_test runs the same downloads against a started smdpd,
// with the orders made by smdpctl over ES2+.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "smdp/grpc/es9plus_service.h"
#include "smdp/grpc/tls_credentials.h"
#include "smdp/pki/dev_tls.h"
#include "tests/e2e/download_world.h"
#include "tests/testing/subprocess.h"
#include "util/file_util.h"
#include "util/status_matchers.h"

namespace smdp {
namespace {

using ::smdp::matchers::IsOk;
using ::smdp::testing::RunfilePath;
using ::smdp::testing::Subprocess;
using ::testing::HasSubstr;
using ::testing::StartsWith;

struct Result {
  int code = -1;
  std::string out;
  std::string err;
};

class EuiccCliDownloadTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tmp_ = new std::string(std::getenv("TEST_TMPDIR"));
    e2e::DownloadWorldOptions options;
    options.ppk_profiles = 3;
    options.plain_profiles = 2;
    // gRPC is served below, over TLS as smdpd serves it.
    options.serve_grpc = false;
    absl::StatusOr<std::unique_ptr<e2e::DownloadWorld>> world =
        e2e::DownloadWorld::Create(options);
    ASSERT_THAT(world.status(), IsOk());
    world_ = world->release();

    absl::StatusOr<pki::DevTls> tls =
        pki::EnsureDevTls({.dir = *tmp_ + "/grpc-tls"});
    ASSERT_THAT(tls.status(), IsOk());
    tls_ = new pki::DevTls(*tls);
    absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
        MakeGrpcServerCredentials(
            {tls_->server_chain, tls_->server_key, {tls_->client_ca_cert}});
    ASSERT_THAT(credentials.status(), IsOk());
    es9_ = new Es9PlusGrpcService(world_->service());
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", *credentials, &grpc_port_);
    builder.RegisterService(es9_);
    grpc_server_ = builder.BuildAndStart().release();
    ASSERT_NE(grpc_server_, nullptr);
  }

  static void TearDownTestSuite() {
    if (grpc_server_ != nullptr) grpc_server_->Shutdown();
    delete grpc_server_;
    delete es9_;
    delete world_;
  }

  // A fresh eUICC state directory with a new test eUICC (`serial` makes its
  // EID), made by `euicc_cli init`.
  std::string NewCard(const std::string& name, uint64_t serial) {
    absl::StatusOr<euicc::testing::EuiccCredentials> creds =
        world_->IssueEuicc(hsm::Curve::kNistP256, serial);
    EXPECT_THAT(creds.status(), IsOk());
    if (!creds.ok()) return "";
    const std::string base = absl::StrCat(*tmp_, "/", name);
    EXPECT_THAT(MakeDirs(base), IsOk());
    EXPECT_THAT(
        WriteFileAtomically(base + "/euicc.der", creds->euicc_certificate),
        IsOk());
    EXPECT_THAT(WriteFileAtomically(base + "/euicc.key.pem",
                                    creds->euicc_private_key_pem, 0600),
                IsOk());
    EXPECT_THAT(WriteFileAtomically(base + "/eum.der", creds->eum_certificate),
                IsOk());
    EXPECT_THAT(
        WriteFileAtomically(base + "/ci.der", creds->ci_certificates.front()),
        IsOk());
    const std::string state = base + "/card";
    Result init =
        Cli(state, {"init", "--cert=" + base + "/euicc.der",
                    "--key=" + base + "/euicc.key.pem",
                    "--eum=" + base + "/eum.der", "--ci=" + base + "/ci.der"});
    EXPECT_EQ(init.code, 0) << init.err;
    return state;
  }

  static Result Cli(const std::string& state, std::vector<std::string> args) {
    std::vector<std::string> argv = {RunfilePath("tests/euicc/euicc_cli"),
                                     "--state=" + state};
    argv.insert(argv.end(), args.begin(), args.end());
    Result r;
    r.code = Subprocess::Run(argv, {}, &r.out, &r.err);
    return r;
  }

  static std::string HttpsTarget() {
    const std::string& url = world_->https_base_url();
    return url.substr(url.find("//") + 2);  // localhost:<port>
  }

  static std::string GrpcTarget() {
    return absl::StrCat("127.0.0.1:", grpc_port_);
  }

  // Every line of `out`, without the trailing empty one.
  static std::vector<std::string> Lines(const std::string& out) {
    std::vector<std::string> lines = absl::StrSplit(out, '\n');
    if (!lines.empty() && lines.back().empty()) lines.pop_back();
    return lines;
  }

  static std::string* tmp_;
  static e2e::DownloadWorld* world_;
  static pki::DevTls* tls_;
  static Es9PlusGrpcService* es9_;
  static grpc::Server* grpc_server_;
  static int grpc_port_;
};

std::string* EuiccCliDownloadTest::tmp_ = nullptr;
e2e::DownloadWorld* EuiccCliDownloadTest::world_ = nullptr;
pki::DevTls* EuiccCliDownloadTest::tls_ = nullptr;
Es9PlusGrpcService* EuiccCliDownloadTest::es9_ = nullptr;
grpc::Server* EuiccCliDownloadTest::grpc_server_ = nullptr;
int EuiccCliDownloadTest::grpc_port_ = 0;

TEST_F(EuiccCliDownloadTest, OverHttpsInstallsTheStoredProfile) {
  const std::string iccid = world_->ppk_iccids()[0];
  ASSERT_THAT(world_->OrderAndRelease(iccid, "CLI-HTTPS-1"), IsOk());
  const std::string card = NewCard("https", 1);
  const std::string profile = *tmp_ + "/https-profile.der";
  Result r = Cli(
      card,
      {"download", "--smdp=" + HttpsTarget(), "--matching_id=CLI-HTTPS-1",
       "--ca=" + world_->tls_trust_anchor_file(), "--out_profile=" + profile});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  std::vector<std::string> lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 9u) << r.out;
  EXPECT_EQ(lines[0], "GetEuiccChallenge, GetEuiccInfo1: ok");
  EXPECT_THAT(lines[1], StartsWith("initiateAuthentication: transactionId "));
  EXPECT_EQ(lines[2], "AuthenticateServer: ok");
  EXPECT_EQ(lines[3], "authenticateClient: ok");
  EXPECT_EQ(lines[4], "PrepareDownload: ok");
  EXPECT_THAT(lines[5], StartsWith("getBoundProfilePackage: "));
  EXPECT_THAT(lines[6], StartsWith("LoadBoundProfilePackage: ok"));
  EXPECT_THAT(lines[6], HasSubstr("PPK"));
  EXPECT_EQ(lines[7], "handleNotification: ok");
  EXPECT_EQ(lines[8], iccid + " installed");

  absl::StatusOr<std::string> stored = world_->StoredProfile(iccid);
  ASSERT_THAT(stored.status(), IsOk());
  EXPECT_TRUE(ReadFile(profile).value_or("") == *stored) << "profile differs";
  absl::StatusOr<store::ProfileRecord> record =
      world_->store().GetProfile(iccid);
  ASSERT_THAT(record.status(), IsOk());
  EXPECT_EQ(record->state(), store::INSTALLED);

  // The card keeps its state across runs: a second profile installs beside
  // the first.
  const std::string again = world_->ppk_iccids()[1];
  ASSERT_THAT(world_->OrderAndRelease(again, "CLI-HTTPS-2"), IsOk());
  r = Cli(card,
          {"download", "--smdp=" + HttpsTarget(), "--matching_id=CLI-HTTPS-2",
           "--ca=" + world_->tls_trust_anchor_file()});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr(again + " installed"));
}

TEST_F(EuiccCliDownloadTest, OverGrpcWithTls) {
  const std::string iccid = world_->plain_iccids()[0];
  ASSERT_THAT(world_->OrderAndRelease(iccid, "CLI-GRPC-1"), IsOk());
  const std::string card = NewCard("grpc", 2);
  // No client certificate needed for ES9+; 127.0.0.1 is in the server
  // certificate, and the SM-DP+ address is given since it is not the host.
  Result r = Cli(card, {"download", "--transport=grpc",
                        "--smdp=" + GrpcTarget(), "--smdp_address=localhost",
                        "--matching_id=CLI-GRPC-1", "--ca=" + tls_->ca_cert});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Lines(r.out).back(), iccid + " installed");
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr("PPK")));
  absl::StatusOr<store::ProfileRecord> record =
      world_->store().GetProfile(iccid);
  ASSERT_THAT(record.status(), IsOk());
  EXPECT_EQ(record->state(), store::INSTALLED);

  // With a client certificate too (an LPA may present one).
  const std::string second = world_->plain_iccids()[1];
  ASSERT_THAT(world_->OrderAndRelease(second, "CLI-GRPC-2"), IsOk());
  r = Cli(card, {"download", "--transport=grpc", "--smdp=" + GrpcTarget(),
                 "--smdp_address=localhost", "--matching_id=CLI-GRPC-2",
                 "--ca=" + tls_->ca_cert, "--tls_cert=" + tls_->admin.cert,
                 "--tls_key=" + tls_->admin.key});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Lines(r.out).back(), second + " installed");
}

TEST_F(EuiccCliDownloadTest, FailedAnswersAreOneLineWithTheGsmaCodes) {
  const std::string card = NewCard("refused", 3);
  // The SM-DP+ address the LPA expects is not the server's: 8.8.1/3.8.
  Result r =
      Cli(card, {"download", "--smdp=" + HttpsTarget(),
                 "--smdp_address=other.example.com", "--matching_id=NOPE",
                 "--ca=" + world_->tls_trust_anchor_file()});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, StartsWith("euicc_cli: initiateAuthentication: Failed "
                                "subjectCode 8.8.1 reasonCode 3.8"));
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_EQ(r.out, "GetEuiccChallenge, GetEuiccInfo1: ok\n");

  // No order for this matching ID: refused at authenticateClient.
  r = Cli(card, {"download", "--transport=grpc", "--smdp=" + GrpcTarget(),
                 "--smdp_address=localhost", "--matching_id=NO-SUCH-ORDER",
                 "--ca=" + tls_->ca_cert});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, StartsWith("euicc_cli: authenticateClient: Failed "
                                "subjectCode "));
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;

  // A CA that did not issue the server's certificate: a TLS failure.
  r = Cli(card, {"download", "--transport=grpc", "--smdp=" + GrpcTarget(),
                 "--smdp_address=localhost", "--matching_id=X",
                 "--ca=" + tls_->client_ca_cert});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, StartsWith("euicc_cli: InitiateAuthentication: "));
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST_F(EuiccCliDownloadTest, UsageErrors) {
  const std::string card = NewCard("usage", 4);
  Result r = Cli(card, {"download", "--matching_id=X"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("--smdp"));
  r = Cli(card, {"download", "--smdp=localhost:1", "--transport=carrier-pigeon",
                 "--ca=x"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("--transport"));
  // No --ca and no dev files in the working directory.
  r = Cli(card, {"download", "--smdp=localhost:1"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("--ca"));
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

}  // namespace
}  // namespace smdp
