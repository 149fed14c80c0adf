// euicc_cli as a script would use it: a whole download with its state in a
// directory across processes, JSON / DER / base64 inputs, and one-line
// errors with non-zero exit codes.
#include <algorithm>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hsm/internal/test_util.h"
#include "hsm/software_provider.h"
#include "sgp22/euicc_info.h"
#include "sgp22/notification.h"
#include "smdp/pki/dev_pki.h"
#include "tests/euicc/euicc_testing.h"
#include "tests/mini_smdp/mini_smdp.h"
#include "tests/testing/subprocess.h"
#include "util/file_util.h"

namespace smdp::euicc {
namespace {

using ::smdp::euicc::testing::MiniSmdp;
using ::smdp::testing::RunfilePath;
using ::smdp::testing::Subprocess;
using ::testing::HasSubstr;
using ::testing::StartsWith;

const absl::Time kNow = absl::FromCivil(absl::CivilSecond(2025, 6, 1, 12, 0, 0),
                                        absl::UTCTimeZone());

struct Result {
  int code;
  std::string out;
  std::string err;
};

class EuiccCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tmp_ = std::getenv("TEST_TMPDIR");
    state_ = tmp_ + "/card";
  }

  Result Cli(std::vector<std::string> args) {
    std::vector<std::string> argv = {RunfilePath("tests/euicc/euicc_cli"),
                                     "--state=" + state_};
    argv.insert(argv.end(), args.begin(), args.end());
    Result r;
    r.code = Subprocess::Run(argv, {}, &r.out, &r.err);
    return r;
  }

  // The base64 line of a successful command, decoded.
  std::string Der(const Result& r) {
    EXPECT_EQ(r.code, 0) << r.err;
    std::string der;
    EXPECT_TRUE(absl::Base64Unescape(absl::StripAsciiWhitespace(r.out), &der))
        << r.out;
    return der;
  }

  std::string Write(const std::string& name, const std::string& data) {
    const std::string path = tmp_ + "/" + name;
    EXPECT_TRUE(WriteFileAtomically(path, data).ok());
    return path;
  }

  // A JSON object of base64 fields, escaping '/' as "\/" as some servers do.
  static std::string Json(
      std::vector<std::pair<std::string, std::string>> fields) {
    std::string json =
        "{\"header\":{\"functionExecutionStatus\":{\"status\":"
        "\"Executed-Success\"}}";
    for (const auto& [name, value] : fields) {
      absl::StrAppend(
          &json, ",\n  \"", name, "\" : \"",
          absl::StrReplaceAll(absl::Base64Escape(value), {{"/", "\\/"}}), "\"");
    }
    return json + "}";
  }

  // Runs a whole download through the CLI against `smdp`.
  void Download(MiniSmdp& smdp, const std::string& address,
                const std::vector<std::string>& extra) {
    auto with = [&](std::vector<std::string> args) {
      args.insert(args.end(), extra.begin(), extra.end());
      return args;
    };
    const std::string challenge = Der(Cli(with({"challenge"})));
    ASSERT_EQ(challenge.size(), 16u);
    ASSERT_OK_AND_ASSIGN(InitiateAuthenticationFields init,
                         smdp.InitiateAuthentication(challenge));
    const std::string init_json =
        Write("init.json",
              Json({{"transactionId", "x"},
                    {"serverSigned1", init.server_signed1},
                    {"serverSignature1", init.server_signature1},
                    {"euiccCiPKIdToBeUsed", init.euicc_ci_pkid_to_be_used},
                    {"serverCertificate", init.server_certificate}}));
    const std::string auth =
        Der(Cli(with({"authenticate", "--in=" + init_json,
                      "--matching_id=CLI-AC-1", "--smdp_address=" + address})));
    ASSERT_OK_AND_ASSIGN(AuthenticateClientFields client,
                         smdp.AuthenticateClient(auth));
    const std::string client_json = Write(
        "client.json", Json({{"smdpSigned2", client.smdp_signed2},
                             {"smdpSignature2", client.smdp_signature2},
                             {"smdpCertificate", client.smdp_certificate}}));
    const std::string prep = Der(Cli(with({"prepare", "--in=" + client_json})));
    const std::string profile(4000, 'P');
    ASSERT_OK_AND_ASSIGN(std::string bpp, smdp.GetBoundProfilePackage(
                                              prep, {.profile = profile}));
    const std::string bpp_path = Write("bpp.der", bpp);  // binary DER
    const std::string profile_path = tmp_ + "/profile.bin";
    const std::string pir = Der(Cli(with(
        {"load-bpp", "--in=" + bpp_path, "--out_profile=" + profile_path})));
    ASSERT_OK_AND_ASSIGN(sgp22::ProfileInstallationResultData data,
                         smdp.HandleNotification(pir));
    EXPECT_TRUE(
        std::holds_alternative<sgp22::SuccessResult>(data.final_result));
    ASSERT_OK_AND_ASSIGN(std::string written, ReadFile(profile_path));
    EXPECT_TRUE(written == profile);
  }

  std::string tmp_;
  std::string state_;
};

TEST_F(EuiccCliTest, DownloadsWithTheDevPki) {
  ASSERT_OK_AND_ASSIGN(auto provider, hsm::SoftwareProvider::Create({}));
  ASSERT_OK_AND_ASSIGN(
      pki::DevPki pki,
      pki::EnsureDevPki({.dir = tmp_ + "/pki", .now = kNow}, *provider));
  const pki::DevPkiCurve& c = pki.nist;
  const Result init =
      Cli({"init", "--cert=" + c.euicc.pem, "--key=" + c.euicc_key,
           "--eum=" + c.eum.der, "--ci=" + c.ci.der});
  ASSERT_EQ(init.code, 0) << init.err;
  EXPECT_THAT(init.out, HasSubstr(pki.euicc_eid));

  ASSERT_OK_AND_ASSIGN(sgp22::EuiccInfo1 info1,
                       sgp22::EuiccInfo1::Decode(Der(Cli({"info1"}))));
  EXPECT_EQ(
      absl::BytesToHexString(info1.euicc_ci_pkid_list_for_verification[0]),
      absl::AsciiStrToLower(c.ci_key_id_hex));
  ASSERT_OK(sgp22::EuiccInfo2::Decode(Der(Cli({"info2"}))).status());

  ASSERT_OK_AND_ASSIGN(
      auto id, testing::DevPkiIdentity(*provider, pki, hsm::Curve::kNistP256));
  MiniSmdp smdp(std::move(id), *provider);
  Download(smdp, pki.smdp_address, {});

  // The session is over: PrepareDownload answers noSessionContext, printed,
  // with a one-line error and exit code 1.
  const Result again = Cli({"prepare", "--in=" + tmp_ + "/client.json"});
  EXPECT_EQ(again.code, 1);
  EXPECT_THAT(again.err, StartsWith("euicc_cli: PrepareDownload: "
                                    "noSessionContext"));
  EXPECT_EQ(std::count(again.err.begin(), again.err.end(), '\n'), 1);
  std::string der;
  ASSERT_TRUE(
      absl::Base64Unescape(absl::StripAsciiWhitespace(again.out), &der));
  ASSERT_OK_AND_ASSIGN(sgp22::PrepareDownloadResponse response,
                       sgp22::PrepareDownloadResponse::Decode(der));
  EXPECT_TRUE(std::holds_alternative<sgp22::PrepareDownloadResponseError>(
      response.result));

  // CancelSession of a live session, by default the open one.
  const std::string challenge = Der(Cli({"challenge"}));
  ASSERT_OK_AND_ASSIGN(InitiateAuthenticationFields fields,
                       smdp.InitiateAuthentication(challenge));
  sgp22::AuthenticateServerRequest request;
  ASSERT_OK_AND_ASSIGN(
      request.server_signed1,
      sgp22::SignedPart<sgp22::ServerSigned1>::Decode(fields.server_signed1));
  ASSERT_OK_AND_ASSIGN(request.server_signature1,
                       sgp22::DecodeSignatureTlv(fields.server_signature1));
  request.euicc_ci_pkid_to_be_used = smdp.identity().ci_key_id;
  request.server_certificate = fields.server_certificate;
  request.ctx_params1 = MakeCtxParams1(std::nullopt);
  // As base64 DER this time.
  const std::string request_path =
      Write("request.b64", absl::Base64Escape(request.Encode()) + "\n");
  ASSERT_EQ(Cli({"authenticate", "--in=" + request_path}).code, 0);
  const std::string cancel = Der(Cli({"cancel", "--reason=0"}));
  ASSERT_OK_AND_ASSIGN(sgp22::EuiccCancelSessionSigned cancelled,
                       smdp.CancelSession(cancel));
  EXPECT_EQ(cancelled.reason, sgp22::CancelSessionReason::kEndUserRejection);
}

TEST_F(EuiccCliTest, DownloadsWithSgp26OnBrainpool) {
  const std::string dir = testing::Sgp26Dir();
  if (dir.empty()) GTEST_SKIP() << "SMDP_SGP26_DIR is not set";
  const Result init = Cli({"init", "--sgp26=" + dir, "--curve=brp"});
  ASSERT_EQ(init.code, 0) << init.err;
  EXPECT_THAT(init.out, HasSubstr(std::string(testing::kSgp26Eid)));
  ASSERT_OK_AND_ASSIGN(auto provider, hsm::SoftwareProvider::Create({}));
  ASSERT_OK_AND_ASSIGN(
      auto id,
      testing::Sgp26Identity(*provider, dir, hsm::Curve::kBrainpoolP256r1));
  MiniSmdp smdp(std::move(id), *provider);
  Download(smdp, std::string(testing::kSgp26SmdpAddress),
           {"--now=2025-06-01T12:00:00Z"});
  // With the clock after CERT.DPauth's notAfter (2030-03-30).
  const std::string challenge = Der(Cli({"challenge"}));
  ASSERT_OK_AND_ASSIGN(InitiateAuthenticationFields init_fields,
                       smdp.InitiateAuthentication(challenge));
  const std::string json =
      Write("late.json",
            Json({{"serverSigned1", init_fields.server_signed1},
                  {"serverSignature1", init_fields.server_signature1},
                  {"euiccCiPKIdToBeUsed", init_fields.euicc_ci_pkid_to_be_used},
                  {"serverCertificate", init_fields.server_certificate}}));
  const Result late =
      Cli({"authenticate", "--in=" + json, "--now=2031-01-01T00:00:00Z"});
  EXPECT_EQ(late.code, 1);
  EXPECT_THAT(late.err, HasSubstr("invalidCertificate"));
  EXPECT_THAT(late.err, HasSubstr("expired"));
}

TEST_F(EuiccCliTest, UsageAndStateErrors) {
  Result r;
  r.code = Subprocess::Run({RunfilePath("tests/euicc/euicc_cli"), "challenge"},
                           {}, &r.out, &r.err);
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("usage"));

  state_ = tmp_ + "/empty";
  r = Cli({"challenge"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("run init first"));

  r = Cli({"init", "--cert=/nonexistent"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, StartsWith("euicc_cli: "));
  EXPECT_FALSE(FileExists(state_ + "/euicc.der"));

  ASSERT_OK_AND_ASSIGN(testing::TestChain chain,
                       testing::MakeTestChain({.now = kNow}));
  const std::string cert = Write("c.der", chain.euicc.euicc_certificate);
  const std::string key = Write("c.pem", chain.euicc.euicc_private_key_pem);
  const std::string eum = Write("e.der", chain.eum_certificate);
  const std::string ci = Write("ci.der", chain.ci.certificate);
  ASSERT_EQ(Cli({"init", "--cert=" + cert, "--key=" + key, "--eum=" + eum,
                 "--ci=" + ci})
                .code,
            0);
  r = Cli({"frobnicate"});
  EXPECT_EQ(r.code, 2);
  r = Cli({"authenticate", "--in=" + Write("junk.txt", "!!! not base64")});
  EXPECT_EQ(r.code, 2);
  r = Cli({"load-bpp", "--in=" + Write("bpp.b64", "vzYA")});  // BF 36 00
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("no prepared session"));
}

}  // namespace
}  // namespace smdp::euicc
