// The euicc_apdu_stdio binary: an eUICC made with euicc_cli, driven through
// lpac's stdio protocol by a shell script that plays lpac (spawn mode) or
// by a file of requests (filter mode); its state persists in the directory.
// With $SMDP_LPAC set to an lpac binary, also `lpac chip info` for real.
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hsm/software_provider.h"
#include "smdp/pki/dev_pki.h"
#include "tests/testing/subprocess.h"
#include "util/file_util.h"
#include "util/status_matchers.h"

namespace smdp::euicc::apdu {
namespace {

using ::smdp::testing::RunfilePath;
using ::smdp::testing::Subprocess;
using ::testing::HasSubstr;

const absl::Time kNow = absl::FromCivil(absl::CivilSecond(2025, 6, 1, 12, 0, 0),
                                        absl::UTCTimeZone());

// A shell function that plays lpac's stdio driver: prints a request, reads
// the answer and prints it back as a "progress" line (so it reaches the
// test through euicc_apdu_stdio's stdout).
constexpr char kFakeLpac[] = R"sh(
req() {
  printf '{"type":"apdu","payload":{"func":"%s","param":%s}}\n' "$1" "$2"
  IFS= read -r answer || exit 9
  printf '{"type":"progress","payload":{"answer":%s}}\n' "$answer"
}
)sh";

struct Result {
  int code = -1;
  std::string out;
  std::string err;
};

class EuiccStdioTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tmp_ = std::getenv("TEST_TMPDIR");
    ASSERT_OK_AND_ASSIGN(auto provider, hsm::SoftwareProvider::Create(
                                            {.key_dir = tmp_ + "/keys"}));
    ASSERT_OK_AND_ASSIGN(
        pki::DevPki pki,
        pki::EnsureDevPki({.dir = tmp_ + "/pki", .now = kNow}, *provider));
    const pki::DevPkiCurve& c = pki.ForCurve(hsm::Curve::kNistP256);
    eid_ = pki.euicc_eid;
    state_ = tmp_ + "/card";
    Result init =
        Run({RunfilePath("tests/euicc/euicc_cli"), "--state=" + state_, "init",
             "--cert=" + c.euicc.der, "--key=" + c.euicc_key,
             "--eum=" + c.eum.der, "--ci=" + c.ci.der});
    ASSERT_EQ(init.code, 0) << init.err;
  }

  static Result Run(std::vector<std::string> argv) {
    Result r;
    r.code = Subprocess::Run(std::move(argv), {}, &r.out, &r.err);
    return r;
  }

  // euicc_apdu_stdio --state=... -- /bin/sh -c SCRIPT.
  Result RunScript(absl::string_view script) {
    return Run({RunfilePath("tests/euicc/euicc_apdu_stdio"),
                "--state=" + state_, "--now=2025-06-01T12:00:00Z", "--log=-",
                "--", "/bin/sh", "-c", absl::StrCat(kFakeLpac, script)});
  }

  std::string tmp_;
  std::string state_;
  std::string eid_;
};

TEST_F(EuiccStdioTest, SpawnsLpacAndAnswersItsRequests) {
  Result r = RunScript(R"sh(
printf '{"type":"env","payload":{"LPAC_APDU":"%s"}}\n' "$LPAC_APDU"
req connect null
req logic_channel_open '"a0000005591010ffffffff8900000100"'
req transmit '"81e2910006bf3e035c015a"'
req transmit '"81c0000015"'
req logic_channel_close '"01"'
req disconnect null
echo '{"type":"lpa","payload":{"code":0,"message":"success","data":null}}'
exit 3
)sh");
  EXPECT_EQ(r.code, 3) << r.err;
  const std::vector<std::string> lines = absl::StrSplit(r.out, '\n');
  ASSERT_EQ(lines.size(), 9u) << r.out;
  EXPECT_EQ(lines[0], R"({"type":"env","payload":{"LPAC_APDU":"stdio"}})");
  auto answer = [](absl::string_view payload) {
    return absl::StrCat(R"({"type":"progress","payload":{"answer":)",
                        R"({"type":"apdu","payload":)", payload, "}}}");
  };
  EXPECT_EQ(lines[1], answer(R"({"ecode":0})"));
  EXPECT_EQ(lines[2], answer(R"({"ecode":1})"));
  EXPECT_EQ(lines[3], answer(R"({"ecode":0,"data":"6115"})"));
  EXPECT_EQ(lines[4], answer(absl::StrCat(R"({"ecode":0,"data":"BF3E125A10)",
                                          eid_, R"(9000"})")));
  EXPECT_EQ(lines[5], answer(R"({"ecode":0})"));
  EXPECT_EQ(lines[6], answer(R"({"ecode":0})"));
  EXPECT_EQ(
      lines[7],
      R"({"type":"lpa","payload":{"code":0,"message":"success","data":null}})");
  EXPECT_THAT(r.err, HasSubstr("ES10 BF3E: 9000, 21 bytes"));
}

TEST_F(EuiccStdioTest, KeepsItsStateInTheDirectory) {
  // GetEuiccChallenge: the challenge is in state.txt afterwards.
  Result r = RunScript(R"sh(
req connect null
req logic_channel_open '"a0000005591010ffffffff8900000100"'
req transmit '"81e2910003bf2e00"'
req transmit '"81c0000000"'
)sh");
  ASSERT_EQ(r.code, 0) << r.err;
  const size_t at = r.out.find("BF2E128010");
  ASSERT_NE(at, std::string::npos) << r.out;
  const std::string challenge = r.out.substr(at + 10, 32);
  ASSERT_OK_AND_ASSIGN(std::string state, ReadFile(state_ + "/state.txt"));
  EXPECT_THAT(state,
              HasSubstr(absl::StrCat(
                  "challenge=", absl::AsciiStrToLower(challenge), "\n")));
  ASSERT_OK_AND_ASSIGN(std::string card, ReadFile(state_ + "/card.txt"));
  EXPECT_THAT(card, HasSubstr("# eUICC APDU card state"));

  // A SetDefaultDpAddress in one run is the configured address in the next.
  r = RunScript(R"sh(
req connect null
req logic_channel_open '"a0000005591010ffffffff8900000100"'
req transmit '"81e291000ebf3f0b8009736d64702e74657374"'
)sh");
  ASSERT_EQ(r.code, 0) << r.err;
  r = RunScript(R"sh(
req connect null
req logic_channel_open '"a0000005591010ffffffff8900000100"'
req transmit '"81e2910003bf3c00"'
req transmit '"81c0000000"'
)sh");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr(absl::AsciiStrToUpper(
                         absl::BytesToHexString("\x80\x09smdp.test"))));
}

TEST_F(EuiccStdioTest, FilterModeAnswersOnStdoutAndPassesTheRestToStderr) {
  const std::string requests = tmp_ + "/requests.txt";
  ASSERT_OK(WriteFileAtomically(
      requests,
      absl::StrCat(
          R"({"type":"apdu","payload":{"func":"connect","param":null}})", "\n",
          R"({"type":"lpa","payload":{"code":0,"message":"hello"}})", "\n",
          R"({"type":"apdu","payload":{"func":"transmit","param":"80ca000000"}})",
          "\n")));
  Result r = Run({"/bin/sh", "-c",
                  absl::StrCat(RunfilePath("tests/euicc/euicc_apdu_stdio"),
                               " --state=", state_, " < ", requests)});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, absl::StrCat(
                       R"({"type":"apdu","payload":{"ecode":0}})", "\n",
                       R"({"type":"apdu","payload":{"ecode":0,"data":"6D00"}})",
                       "\n"));
  EXPECT_THAT(r.err, HasSubstr(R"("message":"hello")"));
}

TEST_F(EuiccStdioTest, ExitCodes) {
  const std::string bin = RunfilePath("tests/euicc/euicc_apdu_stdio");
  EXPECT_EQ(Run({bin}).code, 2);
  EXPECT_EQ(Run({bin, "--state=" + state_, "--now=yesterday"}).code, 2);
  Result r = Run({bin, "--state=" + tmp_ + "/nothing-here", "--", "/bin/true"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("run euicc_cli"));
  r = Run({bin, "--state=" + state_, "--", tmp_ + "/no-such-lpac"});
  EXPECT_EQ(r.code, 127);
  r = Run({bin, "--state=" + state_, "--", "/bin/sh", "-c", "kill -9 $$"});
  EXPECT_EQ(r.code, 128 + 9);
}

// `lpac chip info` and `lpac profile list` for real, when $SMDP_LPAC names
// an lpac binary (see README.md for building one).
TEST_F(EuiccStdioTest, RealLpac) {
  const char* lpac = std::getenv("SMDP_LPAC");
  if (lpac == nullptr || *lpac == '\0') GTEST_SKIP() << "SMDP_LPAC is not set";
  const std::string bin = RunfilePath("tests/euicc/euicc_apdu_stdio");
  Result r = Run({bin, "--state=" + state_, "--", lpac, "chip", "info"});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr(absl::StrCat(R"("eidValue":")", eid_, "\"")));
  r = Run({bin, "--state=" + state_, "--", lpac, "profile", "list"});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr(R"("message":"success","data":[])"));
}

}  // namespace
}  // namespace smdp::euicc::apdu
