// The operator's path end to end, against a started dev smdpd, with the
// binaries as the README runs them: `smdpctl profiles import`, `smdpctl
// order` and `smdpctl confirm` over ES2+ (gRPC, mutual TLS with the dev
// operator certificate op1), the activation code and its QR code, then
// `euicc_cli download` with the dev PKI's eUICCs (NIST and brainpool) over
// the ES9+ HTTPS binding and over gRPC, and `smdpctl status` (OperatorQuery,
// with the same operator certificate). Also what ES2+ refuses, as one line
// with the GSMA codes, and who may call it (and OperatorQuery) at all.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "profiles/preparation/test_subscribers.h"
#include "profiles/saip/template_builder.h"
#include "smdp/order/activation_code.h"
#include "smdp/pki/dev_tls.h"
#include "tests/testing/subprocess.h"
#include "util/file_util.h"
#include "util/status_macros.h"

namespace smdp {
namespace {

using ::smdp::testing::RunfilePath;
using ::smdp::testing::Subprocess;
using ::smdp::testing::SubprocessOptions;
using ::testing::ContainsRegex;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::StartsWith;

using profiles::preparation::testing::TestIccid;

// Profiles of batch "es2-a" (operator op1, type consumer, TestIccid(0) on),
// each used by one test, and of "es2-b" (type travel, TestIccid(50) on)
// for orders by profile type.
constexpr int kProfiles = 12;
constexpr int kTravelProfiles = 3;

struct Result {
  int code = -1;
  std::string out;
  std::string err;
};

std::vector<std::string> Lines(const std::string& out) {
  std::vector<std::string> lines = absl::StrSplit(out, '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  return lines;
}

// Characters (code points) of UTF-8 text.
size_t CodePoints(absl::string_view text) {
  return std::count_if(text.begin(), text.end(),
                       [](char c) { return (c & 0xC0) != 0x80; });
}

int LineCount(const std::string& text) {
  return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
}

// The path of `name` in $PATH, or empty.
std::string FindOnPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  for (absl::string_view dir :
       absl::StrSplit(path != nullptr ? path : "/usr/bin:/bin", ':')) {
    std::string candidate = absl::StrCat(dir, "/", name);
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

SubprocessOptions InDir(const std::string& dir) {
  SubprocessOptions options;
  options.cwd = dir;
  options.unset_env = {"SOFTHSM2_CONF", "SMDP_HSM_PIN"};
  return options;
}

// A started smdpd and what its start-up line says.
struct Smdpd {
  std::unique_ptr<Subprocess> process;
  std::string grpc;       // 127.0.0.1:port
  std::string es9_https;  // 127.0.0.1:port
  std::string es2_https;
};

absl::StatusOr<Smdpd> StartSmdpd(const std::string& dir,
                                 std::vector<std::string> args) {
  Smdpd smdpd;
  args.insert(args.begin(), RunfilePath("smdp/smdpd"));
  smdpd.process = std::make_unique<Subprocess>(args, InDir(dir));
  RETURN_IF_ERROR(smdpd.process->Start());
  absl::StatusOr<std::string> line =
      smdpd.process->ReadStdoutLine(absl::Seconds(120));
  if (!line.ok()) {
    smdpd.process->Wait(absl::Seconds(5));
    return absl::Status(line.status().code(),
                        absl::StrCat(line.status().message(), "; stderr: ",
                                     smdpd.process->stderr_text()));
  }
  for (absl::string_view word : absl::StrSplit(*line, ' ')) {
    if (absl::ConsumePrefix(&word, "grpc=")) smdpd.grpc = std::string(word);
    if (absl::ConsumePrefix(&word, "es9_https=")) {
      smdpd.es9_https = std::string(word);
    }
    if (absl::ConsumePrefix(&word, "es2_https=")) {
      smdpd.es2_https = std::string(word);
    }
  }
  if (smdpd.grpc.empty()) {
    return absl::InternalError(absl::StrCat("start-up line: ", *line));
  }
  return smdpd;
}

// Writes the SAIP template and a subscriber file of `rows` rows starting
// at TestIccid(first) into `dir`.
void WriteBatchFiles(const std::string& dir, const std::string& name,
                     size_t first, size_t rows) {
  auto upp = profiles::saip::BuildTemplate();
  ASSERT_TRUE(upp.ok()) << upp.status();
  ASSERT_TRUE(WriteFileAtomically(dir + "/template.der", *upp).ok());
  std::string csv = profiles::preparation::testing::TestCsvHeader();
  for (size_t i = first; i < first + rows; ++i) {
    csv += profiles::preparation::testing::TestCsvLine(i);
  }
  ASSERT_TRUE(WriteFileAtomically(dir + "/" + name + ".csv", csv).ok());
}

class Es2OperatorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(absl::StrCat(std::getenv("TEST_TMPDIR"), "/es2"));
    ASSERT_TRUE(MakeDirs(*dir_).ok());
    absl::StatusOr<Smdpd> started = StartSmdpd(
        *dir_, {"--grpc_listen=127.0.0.1:0", "--es9_https_listen=127.0.0.1:0",
                "--es2_https_listen=127.0.0.1:0"});
    ASSERT_TRUE(started.ok()) << started.status();
    smdpd_ = new Smdpd(*std::move(started));
    ASSERT_FALSE(smdpd_->es9_https.empty());

    // The README's import, by the admin, for operator op1.
    WriteBatchFiles(*dir_, "es2-a", 0, kProfiles);
    Result import =
        Ctl({"profiles", "import", "--batch=es2-a", "--operator_id=op1",
             "--type=consumer", "--template_file=" + *dir_ + "/template.der",
             "--csv=" + *dir_ + "/es2-a.csv", "--spn=Operator One",
             "--profile_name=Consumer eSIM"});
    ASSERT_EQ(import.code, 0) << import.err;
    ASSERT_EQ(import.out,
              absl::StrCat("batch es2-a: ", kProfiles, " profiles imported\n"));
    WriteBatchFiles(*dir_, "es2-b", 50, kTravelProfiles);
    import = Ctl({"profiles", "import", "--batch=es2-b", "--operator_id=op1",
                  "--type=travel", "--template_file=" + *dir_ + "/template.der",
                  "--csv=" + *dir_ + "/es2-b.csv"});
    ASSERT_EQ(import.code, 0) << import.err;
  }

  static void TearDownTestSuite() {
    if (smdpd_ != nullptr) {
      smdpd_->process->Signal(SIGTERM);
      EXPECT_EQ(smdpd_->process->Wait(absl::Seconds(30)), 0)
          << smdpd_->process->stderr_text();
    }
    delete smdpd_;
    smdpd_ = nullptr;
  }

  // smdpctl run where dev-mode smdpd runs, so it finds ./smdp-data.
  static Result Ctl(std::vector<std::string> args) {
    std::vector<std::string> argv = {RunfilePath("smdp/smdpctl"),
                                     "--addr=" + smdpd_->grpc};
    argv.insert(argv.end(), args.begin(), args.end());
    Result r;
    r.code = Subprocess::Run(argv, InDir(*dir_), &r.out, &r.err);
    return r;
  }

  static Result Cli(const std::string& card, std::vector<std::string> args) {
    std::vector<std::string> argv = {RunfilePath("tests/euicc/euicc_cli"),
                                     "--state=" + card};
    argv.insert(argv.end(), args.begin(), args.end());
    Result r;
    r.code =
        Subprocess::Run(argv, InDir(*dir_), &r.out, &r.err, absl::Seconds(120));
    return r;
  }

  // A software eUICC with the dev PKI's test eUICC of `curve` ("nist" or
  // "brp"), made by `euicc_cli init`.
  static std::string NewCard(const std::string& name,
                             const std::string& curve) {
    const std::string pki = *dir_ + "/smdp-data/pki/" + curve;
    const std::string card = *dir_ + "/cards/" + name;
    Result init =
        Cli(card, {"init", "--cert=" + pki + "/euicc.der",
                   "--key=" + pki + "/euicc.key.pem",
                   "--eum=" + pki + "/eum.der", "--ci=" + pki + "/ci.der"});
    EXPECT_EQ(init.code, 0) << init.err;
    return card;
  }

  // euicc_cli download over the GSMA HTTPS binding: the SM-DP+ by its name
  // (CERT.DP.TLS names localhost) on the ES9+ port.
  static Result DownloadOverHttps(const std::string& card,
                                  const std::string& matching_id,
                                  std::vector<std::string> more = {}) {
    const std::string port =
        smdpd_->es9_https.substr(smdpd_->es9_https.rfind(':') + 1);
    std::vector<std::string> args = {
        "download", "--smdp=localhost:" + port, "--matching_id=" + matching_id,
        "--ca=" + *dir_ + "/smdp-data/pki/nist/ci.pem"};
    args.insert(args.end(), more.begin(), more.end());
    return Cli(card, args);
  }

  // Parses confirm's output: the "matching_id=... smdp_address=..." line
  // and the activation code line.
  static order::ActivationCode ConfirmOutput(const Result& confirm) {
    std::vector<std::string> lines = Lines(confirm.out);
    EXPECT_GE(lines.size(), 2u) << confirm.out;
    if (lines.size() < 2) return {};
    absl::StatusOr<order::ActivationCode> code =
        order::ParseActivationCode(lines[1]);
    EXPECT_TRUE(code.ok()) << code.status() << ": " << lines[1];
    if (!code.ok()) return {};
    EXPECT_THAT(lines[1], StartsWith("LPA:1$"));
    EXPECT_EQ(lines[0], absl::StrCat("matching_id=", code->matching_id,
                                     " smdp_address=", code->smdp_address));
    return *code;
  }

  static std::string* dir_;
  static Smdpd* smdpd_;
};

std::string* Es2OperatorTest::dir_ = nullptr;
Smdpd* Es2OperatorTest::smdpd_ = nullptr;

TEST_F(Es2OperatorTest, OrderConfirmDownloadOverHttpsAndGrpcThenStatus) {
  // 1. Order a named profile, confirm and release it in one step; the
  // SM-DP+ makes the matchingId.
  const std::string iccid = TestIccid(0);
  Result order = Ctl({"order", "--iccid=" + iccid});
  ASSERT_EQ(order.code, 0) << order.err;
  EXPECT_EQ(order.out, iccid + "\n");
  EXPECT_EQ(order.err, "");
  const std::string png = *dir_ + "/ac.png";
  const std::string svg = *dir_ + "/ac.svg";
  Result confirm = Ctl({"confirm", "--iccid=" + iccid, "--release",
                        "--qr_png=" + png, "--qr_svg=" + svg});
  ASSERT_EQ(confirm.code, 0) << confirm.err;
  order::ActivationCode code = ConfirmOutput(confirm);
  EXPECT_EQ(code.smdp_address, "localhost");
  EXPECT_THAT(code.matching_id,
              ::testing::MatchesRegex("[A-Z0-9]{5}(-[A-Z0-9]{5}){3}"));
  EXPECT_EQ(Lines(confirm.out)[1],
            absl::StrCat("LPA:1$localhost$", code.matching_id));
  EXPECT_EQ(LineCount(confirm.out), 2) << confirm.out;

  // The QR code is the activation code, as a phone camera reads it.
  absl::StatusOr<std::string> svg_text = ReadFile(svg);
  ASSERT_TRUE(svg_text.ok()) << svg_text.status();
  EXPECT_THAT(*svg_text, HasSubstr("<svg"));
  const std::string zbarimg = FindOnPath("zbarimg");
  if (zbarimg.empty()) {
    std::cerr << "zbarimg is not installed (apt-get install zbar-tools): "
                 "not decoding the QR code\n";
  } else {
    std::string out, err;
    ASSERT_EQ(Subprocess::Run({zbarimg, "--raw", "-q", png}, {}, &out, &err), 0)
        << err;
    EXPECT_EQ(out, Lines(confirm.out)[1] + "\n");
  }

  // 2. The device (the dev PKI's NIST eUICC) downloads it over HTTPS.
  const std::string card = NewCard("nist", "nist");
  Result download = DownloadOverHttps(card, code.matching_id);
  ASSERT_EQ(download.code, 0) << download.err;
  EXPECT_EQ(Lines(download.out).back(), iccid + " installed");

  // 3. smdpctl status: installed, with the whole story.
  Result status = Ctl({"status", "--iccid=" + iccid});
  ASSERT_EQ(status.code, 0) << status.err;
  EXPECT_THAT(status.out, HasSubstr("state: INSTALLED"));
  EXPECT_THAT(status.out, HasSubstr("matching_id: " + code.matching_id));
  EXPECT_THAT(status.out,
              ContainsRegex("operator:op1 DownloadOrder AVAILABLE -> "
                            "ALLOCATED"));
  EXPECT_THAT(status.out, ContainsRegex("operator:op1 ConfirmOrder "
                                        "ALLOCATED -> RELEASED"));
  EXPECT_THAT(status.out, HasSubstr("-> INSTALLED"));
  EXPECT_THAT(status.out, HasSubstr("HandleNotification"));

  // 4. Another one by profile type, confirmed with our own matchingId,
  // released separately, and downloaded over ES9+ on gRPC.
  Result typed = Ctl({"order", "--profile_type=travel"});
  ASSERT_EQ(typed.code, 0) << typed.err;
  ASSERT_EQ(LineCount(typed.out), 1) << typed.out;
  const std::string second = Lines(typed.out)[0];
  EXPECT_THAT(second,
              ::testing::AnyOf(TestIccid(50), TestIccid(51), TestIccid(52)));
  confirm = Ctl({"confirm", "--iccid=" + second, "--matching_id=GRPC-ONE"});
  ASSERT_EQ(confirm.code, 0) << confirm.err;
  EXPECT_EQ(Lines(confirm.out)[1], "LPA:1$localhost$GRPC-ONE");
  // Confirmed, not released: the download is refused until it is.
  Result early =
      Cli(card, {"download", "--transport=grpc", "--smdp=" + smdpd_->grpc,
                 "--smdp_address=localhost", "--matching_id=GRPC-ONE",
                 "--ca=" + *dir_ + "/smdp-data/pki/grpc/ca.pem"});
  EXPECT_EQ(early.code, 1);
  EXPECT_EQ(LineCount(early.err), 1) << early.err;
  Result release = Ctl({"release", "--iccid=" + second});
  ASSERT_EQ(release.code, 0) << release.err;
  EXPECT_EQ(release.out, "released " + second + "\n");
  download =
      Cli(card, {"download", "--transport=grpc", "--smdp=" + smdpd_->grpc,
                 "--smdp_address=localhost", "--matching_id=GRPC-ONE",
                 "--ca=" + *dir_ + "/smdp-data/pki/grpc/ca.pem"});
  ASSERT_EQ(download.code, 0) << download.err;
  EXPECT_EQ(Lines(download.out).back(), second + " installed");
  status = Ctl({"status", "--iccid=" + second});
  ASSERT_EQ(status.code, 0) << status.err;
  EXPECT_THAT(status.out, HasSubstr("state: INSTALLED"));
  EXPECT_THAT(status.out, ContainsRegex("operator:op1 ReleaseProfile "
                                        "CONFIRMED -> RELEASED"));
}

// The brainpool eUICC, and a confirmation code: the activation code says
// one is needed ("$$1": no OID), and the download needs it.
TEST_F(Es2OperatorTest, BrainpoolEuiccWithConfirmationCode) {
  const std::string iccid = TestIccid(5);
  Result order = Ctl({"order", "--iccid=" + iccid});
  ASSERT_EQ(order.code, 0) << order.err;
  Result confirm = Ctl({"confirm", "--iccid=" + iccid, "--release",
                        "--confirmation_code=7391", "--qr_terminal"});
  ASSERT_EQ(confirm.code, 0) << confirm.err;
  order::ActivationCode code = ConfirmOutput(confirm);
  EXPECT_TRUE(code.confirmation_code_required);
  EXPECT_THAT(Lines(confirm.out)[1], EndsWith("$$1"));
  // The terminal QR code: half-block lines after the two lines.
  std::vector<std::string> lines = Lines(confirm.out);
  ASSERT_GT(lines.size(), 12u);
  EXPECT_THAT(lines[2], StartsWith("\u2588\u2588\u2588\u2588"));
  for (size_t i = 3; i < lines.size(); ++i) {
    EXPECT_EQ(CodePoints(lines[i]), CodePoints(lines[2])) << "line " << i;
  }

  const std::string card = NewCard("brp", "brp");
  // A wrong code: getBoundProfilePackage refuses it (8.2.7/3.8).
  Result refused = DownloadOverHttps(card, code.matching_id, {"--cc=0000"});
  EXPECT_EQ(refused.code, 1);
  EXPECT_THAT(refused.err, HasSubstr("8.2.7"));
  EXPECT_THAT(refused.err, HasSubstr("3.8"));
  EXPECT_EQ(LineCount(refused.err), 1) << refused.err;
  Result download = DownloadOverHttps(card, code.matching_id, {"--cc=7391"});
  ASSERT_EQ(download.code, 0) << download.err;
  EXPECT_EQ(Lines(download.out).back(), iccid + " installed");
  Result status = Ctl({"status", "--iccid=" + iccid});
  ASSERT_EQ(status.code, 0) << status.err;
  EXPECT_THAT(status.out, HasSubstr("state: INSTALLED"));
  EXPECT_THAT(status.out, HasSubstr("with confirmation code"));

  // --smdp_oid puts the OID before the flag.
  const std::string other = TestIccid(6);
  ASSERT_EQ(Ctl({"order", "--iccid=" + other}).code, 0);
  confirm = Ctl({"confirm", "--iccid=" + other, "--matching_id=OID-1",
                 "--confirmation_code=1", "--smdp_oid=2.999.10"});
  ASSERT_EQ(confirm.code, 0) << confirm.err;
  EXPECT_EQ(Lines(confirm.out)[1], "LPA:1$localhost$OID-1$2.999.10$1");
}

// Refusals print `smdpctl: <function>: Failed <subject>/<reason> <message>`
// on one line and exit 1.
TEST_F(Es2OperatorTest, RefusalsAreOneLineWithTheGsmaCodes) {
  const std::string iccid = TestIccid(1);
  ASSERT_EQ(Ctl({"order", "--iccid=" + iccid}).code, 0);
  Result confirm = Ctl(
      {"confirm", "--iccid=" + iccid, "--release", "--matching_id=TWICE-1"});
  ASSERT_EQ(confirm.code, 0) << confirm.err;

  // Confirming twice: the profile is not in an ordered state (8.2.1/3.5).
  Result again = Ctl({"confirm", "--iccid=" + iccid, "--release"});
  EXPECT_EQ(again.code, 1);
  EXPECT_THAT(again.err,
              StartsWith("smdpctl: ConfirmOrder: Failed 8.2.1/3.5 ICCID " +
                         iccid + " is RELEASED"));
  EXPECT_EQ(LineCount(again.err), 1) << again.err;
  EXPECT_EQ(again.out, "");

  // Ordering it again: not available (8.2.1/3.7).
  Result reorder = Ctl({"order", "--iccid=" + iccid});
  EXPECT_EQ(reorder.code, 1);
  EXPECT_THAT(reorder.err, StartsWith("smdpctl: DownloadOrder: Failed 8.2.1/"));

  // A matchingId another order has (8.2.6/3.3).
  const std::string second = TestIccid(2);
  ASSERT_EQ(Ctl({"order", "--iccid=" + second}).code, 0);
  Result duplicate =
      Ctl({"confirm", "--iccid=" + second, "--matching_id=TWICE-1"});
  EXPECT_EQ(duplicate.code, 1);
  EXPECT_THAT(duplicate.err,
              StartsWith("smdpctl: ConfirmOrder: Failed 8.2.6/3.3 "));
  EXPECT_THAT(duplicate.err, HasSubstr("TWICE-1"));
  EXPECT_EQ(LineCount(duplicate.err), 1) << duplicate.err;

  // An ICCID the SM-DP+ does not have (8.2.1/3.9), for every function.
  const std::string unknown = TestIccid(900);
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"order", "--iccid=" + unknown},
           {"confirm", "--iccid=" + unknown, "--release"},
           {"release", "--iccid=" + unknown},
           {"cancel", "--iccid=" + unknown, "--final_status=Available"}}) {
    Result r = Ctl(args);
    EXPECT_EQ(r.code, 1) << args[0];
    EXPECT_THAT(r.err, ContainsRegex("^smdpctl: [A-Za-z]+: Failed 8\\.2\\.1/"
                                     "3\\.9 unknown ICCID " +
                                     unknown + "\n$"));
  }
  // status: no GSMA function, a gRPC NOT_FOUND with the same message.
  Result unknown_status = Ctl({"status", "--iccid=" + unknown});
  EXPECT_EQ(unknown_status.code, 1);
  EXPECT_EQ(
      unknown_status.err,
      "smdpctl: GetProfileStatus: NOT_FOUND: unknown ICCID " + unknown + "\n");
  EXPECT_EQ(unknown_status.out, "");
  Result malformed = Ctl({"status", "--iccid=8944"});
  EXPECT_EQ(malformed.code, 1);
  EXPECT_THAT(malformed.err,
              StartsWith("smdpctl: GetProfileStatus: INVALID_ARGUMENT: "));

  // Cancel: the order ends, the profile is Available again and can be
  // ordered anew; releasing a profile that is not confirmed is refused.
  Result cancel =
      Ctl({"cancel", "--iccid=" + second, "--final_status=Available"});
  ASSERT_EQ(cancel.code, 0) << cancel.err;
  EXPECT_EQ(cancel.out, "cancelled " + second + ": Available\n");
  Result status = Ctl({"status", "--iccid=" + second});
  EXPECT_THAT(status.out, HasSubstr("state: AVAILABLE"));
  EXPECT_THAT(status.out, HasSubstr("CancelOrder ALLOCATED -> AVAILABLE"));
  ASSERT_EQ(Ctl({"order", "--iccid=" + second}).code, 0);
  Result release = Ctl({"release", "--iccid=" + second});
  EXPECT_EQ(release.code, 1);
  EXPECT_THAT(release.err,
              StartsWith("smdpctl: ReleaseProfile: Failed 8.2.1/3.5 "));
  // With a matchingId that is not the order's: refused, nothing changes.
  ASSERT_EQ(Ctl({"confirm", "--iccid=" + second, "--matching_id=CAN-1"}).code,
            0);
  Result wrong = Ctl({"cancel", "--iccid=" + second,
                      "--final_status=Unavailable", "--matching_id=CAN-2"});
  EXPECT_EQ(wrong.code, 1);
  EXPECT_THAT(wrong.err, StartsWith("smdpctl: CancelOrder: Failed "));
  cancel = Ctl({"cancel", "--iccid=" + second, "--final_status=Unavailable",
                "--matching_id=CAN-1"});
  ASSERT_EQ(cancel.code, 0) << cancel.err;
  status = Ctl({"status", "--iccid=" + second});
  EXPECT_THAT(status.out, HasSubstr("state: UNAVAILABLE"));

  // Usage errors: exit 2, one line, nothing sent.
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"order"},
           {"confirm"},
           {"release"},
           {"status"},
           {"cancel", "--iccid=" + iccid},
           {"cancel", "--iccid=" + iccid, "--final_status=Gone"},
           {"confirm", "--iccid=" + iccid, "--matching_id=A$B"},
           {"confirm", "--iccid=" + iccid, "--matching_id=A",
            "--empty_matching_id"},
           {"confirm", "--iccid=" + iccid, "--smdp_oid=oid"},
           {"order", "--iccid=" + iccid, "--operator=../admin"},
           {"order", "--iccid=" + iccid, "--operator=op1",
            "--tls_ca=" + *dir_ + "/smdp-data/pki/grpc/ca.pem"},
       }) {
    Result r = Ctl(args);
    EXPECT_EQ(r.code, 2) << absl::StrJoin(args, " ") << ": " << r.err;
    EXPECT_EQ(LineCount(r.err), 1) << r.err;
    EXPECT_THAT(r.err, StartsWith("smdpctl: "));
  }
}

// ES2+ (and OperatorQuery: `status`) knows the operator by its client
// certificate: dev smdpd knows op1 only; a certificate of the same dev client
// CA with another CN, the admin certificate and no certificate are all
// refused before any function runs.
TEST_F(Es2OperatorTest, OnlyTheOperatorsCertificateMayCallEs2) {
  const std::string tls_dir = pki::DevTlsDir(*dir_ + "/smdp-data");
  absl::StatusOr<pki::DevTlsClient> op2 =
      pki::IssueDevClientCertificate(tls_dir, "op2");
  ASSERT_TRUE(op2.ok()) << op2.status();
  const std::string iccid = TestIccid(3);

  Result r = Ctl({"order", "--iccid=" + iccid, "--operator=op2"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, StartsWith("smdpctl: DownloadOrder: PERMISSION_DENIED: "));
  EXPECT_THAT(r.err, HasSubstr("CN=op2"));
  EXPECT_EQ(LineCount(r.err), 1) << r.err;

  const pki::DevTls dev = pki::DevTlsLayout(tls_dir);
  r = Ctl({"confirm", "--iccid=" + iccid, "--release",
           "--tls_ca=" + dev.ca_cert, "--tls_cert=" + dev.admin.cert,
           "--tls_key=" + dev.admin.key});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, StartsWith("smdpctl: ConfirmOrder: PERMISSION_DENIED: "));
  EXPECT_THAT(r.err, HasSubstr("smdp-admin"));

  r = Ctl({"order", "--iccid=" + iccid, "--tls_ca=" + dev.ca_cert});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, StartsWith("smdpctl: DownloadOrder: UNAUTHENTICATED: "));

  // op2's certificate from its own files, the same refusal.
  r = Ctl({"release", "--iccid=" + iccid, "--tls_ca=" + dev.ca_cert,
           "--tls_cert=" + op2->cert, "--tls_key=" + op2->key});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err,
              StartsWith("smdpctl: ReleaseProfile: PERMISSION_DENIED: "));

  // No dev certificate for that operator name at all.
  r = Ctl({"order", "--iccid=" + iccid, "--operator=op3"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("no client certificate of operator 'op3'"));
  EXPECT_EQ(LineCount(r.err), 1) << r.err;

  // status: the same refusals, before the ICCID is looked at.
  r = Ctl({"status", "--iccid=" + iccid, "--tls_ca=" + dev.ca_cert,
           "--tls_cert=" + op2->cert, "--tls_key=" + op2->key});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err,
              StartsWith("smdpctl: GetProfileStatus: PERMISSION_DENIED: "));
  EXPECT_THAT(r.err, HasSubstr("CN=op2"));
  EXPECT_EQ(LineCount(r.err), 1) << r.err;
  EXPECT_EQ(r.out, "");
  r = Ctl({"status", "--iccid=" + iccid, "--tls_ca=" + dev.ca_cert,
           "--tls_cert=" + dev.admin.cert, "--tls_key=" + dev.admin.key});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err,
              StartsWith("smdpctl: GetProfileStatus: PERMISSION_DENIED: "));
  EXPECT_THAT(r.err, HasSubstr("smdp-admin"));
  r = Ctl({"status", "--iccid=" + iccid, "--tls_ca=" + dev.ca_cert});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err,
              StartsWith("smdpctl: GetProfileStatus: UNAUTHENTICATED: "));

  // And Admin (profiles show) is not for operators.
  r = Ctl({"profiles", "show", iccid, "--tls_ca=" + dev.ca_cert,
           "--tls_cert=" + op2->cert, "--tls_key=" + op2->key});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("not in admin_clients"));

  // Nothing happened to the profile (op1's status, and the admin's view).
  r = Ctl({"status", "--iccid=" + iccid});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("state: AVAILABLE"));
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr("DownloadOrder")));
  r = Ctl({"profiles", "show", iccid});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("state: AVAILABLE"));
  EXPECT_THAT(r.out, HasSubstr("operator: op1"));
}

// Two operators (a config naming op1 and op2, both certified by the dev
// client CA under their own CNs): each sees only its own profiles; the
// other's ICCID is unknown (8.2.1/3.9).
TEST(Es2TwoOperatorsTest, AnOperatorCannotTouchAnothersProfiles) {
  const std::string dir =
      absl::StrCat(std::getenv("TEST_TMPDIR"), "/two-operators");
  ASSERT_TRUE(MakeDirs(dir).ok());
  // The dev TLS material first, so that the config can name its client CA.
  absl::StatusOr<pki::DevTls> tls =
      pki::EnsureDevTls({.dir = pki::DevTlsDir(dir + "/smdp-data")});
  ASSERT_TRUE(tls.ok()) << tls.status();
  for (const char* op : {"op1", "op2"}) {
    ASSERT_TRUE(pki::IssueDevClientCertificate(tls->dir, op).ok());
  }
  std::ofstream(dir + "/smdpd.textproto")
      << "dev_mode: true\n"
         "grpc_listen: '127.0.0.1:0'\n"
         "es9_https_listen: 'off'\n"
         "es2_https_listen: 'off'\n"
         "operators { id: 'op1' client_ca_files: '"
      << tls->client_ca_cert
      << "' client_common_names: 'op1' }\n"
         "operators { id: 'op2' client_ca_files: '"
      << tls->client_ca_cert << "' client_common_names: 'op2' }\n";
  absl::StatusOr<Smdpd> smdpd =
      StartSmdpd(dir, {"--config=" + dir + "/smdpd.textproto"});
  ASSERT_TRUE(smdpd.ok()) << smdpd.status();
  auto ctl = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = {RunfilePath("smdp/smdpctl"),
                                     "--addr=" + smdpd->grpc};
    argv.insert(argv.end(), args.begin(), args.end());
    Result r;
    r.code = Subprocess::Run(argv, InDir(dir), &r.out, &r.err);
    return r;
  };
  WriteBatchFiles(dir, "op1", 0, 2);
  WriteBatchFiles(dir, "op2", 100, 2);
  for (const char* op : {"op1", "op2"}) {
    Result import = ctl({"profiles", "import", absl::StrCat("--batch=b-", op),
                         absl::StrCat("--operator_id=", op), "--type=consumer",
                         "--template_file=" + dir + "/template.der",
                         absl::StrCat("--csv=", dir, "/", op, ".csv")});
    ASSERT_EQ(import.code, 0) << import.err;
  }
  const std::string op1_iccid = TestIccid(0);
  const std::string op2_iccid = TestIccid(100);

  // op2 asks for op1's profile: unknown, exactly as if it did not exist.
  Result r = ctl({"order", "--iccid=" + op1_iccid, "--operator=op2"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "smdpctl: DownloadOrder: Failed 8.2.1/3.9 unknown ICCID " +
                       op1_iccid + "\n");
  // Its own: fine. By type it gets its own profile, never op1's.
  r = ctl({"order", "--iccid=" + op2_iccid, "--operator=op2"});
  ASSERT_EQ(r.code, 0) << r.err;
  r = ctl({"order", "--profile_type=consumer", "--operator=op2"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, TestIccid(101) + "\n");
  r = ctl({"order", "--profile_type=consumer", "--operator=op2"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, StartsWith("smdpctl: DownloadOrder: Failed 8.2."));
  // op1 cannot confirm, release or cancel op2's order.
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"confirm", "--iccid=" + op2_iccid, "--release"},
           {"release", "--iccid=" + op2_iccid},
           {"cancel", "--iccid=" + op2_iccid, "--final_status=Available"}}) {
    r = ctl(args);
    EXPECT_EQ(r.code, 1) << args[0];
    EXPECT_THAT(r.err, HasSubstr("Failed 8.2.1/3.9 unknown ICCID"));
  }
  // op1's own still works (the default operator).
  r = ctl({"order", "--iccid=" + op1_iccid});
  ASSERT_EQ(r.code, 0) << r.err;

  // status: each operator sees its own profile; the other's ICCID is
  // answered exactly as one the SM-DP+ does not have.
  r = ctl({"status", "--iccid=" + op2_iccid, "--operator=op2"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("state: ALLOCATED"));
  EXPECT_THAT(r.out, HasSubstr("operator:op2 DownloadOrder AVAILABLE -> "
                               "ALLOCATED"));
  r = ctl({"status", "--iccid=" + op1_iccid});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("state: ALLOCATED"));
  const std::string unknown = TestIccid(900);
  for (const auto& [iccid, op] :
       std::vector<std::pair<std::string, std::string>>{
           {op2_iccid, "op1"}, {op1_iccid, "op2"}, {unknown, "op1"}}) {
    r = ctl({"status", "--iccid=" + iccid, "--operator=" + op});
    EXPECT_EQ(r.code, 1) << op << " " << iccid;
    EXPECT_EQ(r.err, "smdpctl: GetProfileStatus: NOT_FOUND: unknown ICCID " +
                         iccid + "\n");
    EXPECT_EQ(r.out, "");
  }
  // The admin still sees every profile, with its owner.
  r = ctl({"profiles", "show", op2_iccid});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("operator: op2"));

  smdpd->process->Signal(SIGTERM);
  EXPECT_EQ(smdpd->process->Wait(absl::Seconds(30)), 0)
      << smdpd->process->stderr_text();
}

}  // namespace
}  // namespace smdp
