// lpac's stdio APDU driver protocol against an EuiccApduCard: the JSON
// lines, and the requests of `lpac chip info` as lpac sends them.
#include "tests/euicc/apdu/stdio_driver.h"

#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hsm/software_provider.h"
#include "smdp/pki/dev_pki.h"
#include "tests/euicc/apdu/euicc_apdu_card.h"
#include "tests/euicc/euicc_testing.h"
#include "tests/euicc/software_euicc.h"
#include "util/status_matchers.h"

namespace smdp::euicc::apdu {
namespace {

using ::testing::Optional;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

const absl::Time kNow = absl::FromCivil(absl::CivilSecond(2025, 6, 1, 12, 0, 0),
                                        absl::UTCTimeZone());

std::string Request(absl::string_view func, absl::string_view param_json) {
  return absl::StrCat(R"({"type":"apdu","payload":{"func":")", func,
                      R"(","param":)", param_json, "}}");
}

TEST(ParseStdioMessageTest, ReadsLpacLines) {
  ASSERT_OK_AND_ASSIGN(
      StdioMessage m,
      ParseStdioMessage(
          R"({"type":"apdu","payload":{"func":"connect","param":null}})"));
  EXPECT_EQ(m.type, "apdu");
  EXPECT_THAT(
      m.payload_strings,
      UnorderedElementsAre(Pair("func", Optional(std::string("connect"))),
                           Pair("param", std::nullopt)));
  ASSERT_OK_AND_ASSIGN(
      m,
      ParseStdioMessage(
          R"( { "type" : "lpa" , "payload" : {"code":-1.5e3,"message":)"
          R"("euicc_init","data":"a\"b\\\/\u00e9\ud83d\ude00","x":[1,{"y":true}]} } )"));
  EXPECT_EQ(m.type, "lpa");
  EXPECT_THAT(m.payload_strings["data"],
              Optional(std::string("a\"b\\/\xC3\xA9\xF0\x9F\x98\x80")));
  EXPECT_EQ(m.payload_strings.count("code"), 0u);  // not a string

  for (absl::string_view bad :
       {"", "[]", "{}", R"({"type":"apdu"})", R"({"type":1,"payload":{}})",
        R"({"type":"apdu","payload":[]})", R"({"type":"apdu","payload":{}} x)",
        R"({"type":"apdu","payload":{"a":"\x"}})",
        R"({"type":"apdu","payload":{"a":01}})",
        R"({"type":"apdu","payload":{"a":"\ud800"}})",
        R"({"type":"apdu","payload":{"a":"b",}})", "Usage: lpac"}) {
    EXPECT_FALSE(ParseStdioMessage(bad).ok()) << bad;
  }
  std::string deep = R"({"type":"t","payload":{"a":)";
  for (int i = 0; i < 100; ++i) deep += "[";
  EXPECT_FALSE(ParseStdioMessage(deep).ok());
}

TEST(StdioApduAnswerTest, Formats) {
  EXPECT_EQ(StdioApduAnswer(0), R"({"type":"apdu","payload":{"ecode":0}})");
  EXPECT_EQ(StdioApduAnswer(-1, std::string("\x90\x00", 2)),
            R"({"type":"apdu","payload":{"ecode":-1,"data":"9000"}})");
}

class StdioCardServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string tmp = std::getenv("TEST_TMPDIR");
    ASSERT_OK_AND_ASSIGN(auto provider, hsm::SoftwareProvider::Create(
                                            {.key_dir = tmp + "/keys"}));
    ASSERT_OK_AND_ASSIGN(
        pki::DevPki pki,
        pki::EnsureDevPki({.dir = tmp + "/pki", .now = kNow}, *provider));
    ASSERT_OK_AND_ASSIGN(
        testing::EuiccCredentials creds,
        testing::DevPkiEuicc(pki.ForCurve(hsm::Curve::kNistP256)));
    SoftwareEuiccConfig config = creds.ToConfig();
    config.clock = FixedClock(kNow);
    ASSERT_OK_AND_ASSIGN(euicc_, SoftwareEuicc::Create(std::move(config)));
    card_ = std::make_unique<EuiccApduCard>(*euicc_);
    server_ = std::make_unique<StdioCardServer>(*card_);
  }

  std::optional<std::string> Handle(absl::string_view line) {
    return server_->HandleLine(line);
  }

  std::unique_ptr<SoftwareEuicc> euicc_;
  std::unique_ptr<EuiccApduCard> card_;
  std::unique_ptr<StdioCardServer> server_;
};

TEST_F(StdioCardServerTest, AnswersWhatLpacChipInfoSends) {
  EXPECT_EQ(Handle(Request("connect", "null")),
            R"({"type":"apdu","payload":{"ecode":0}})");
  EXPECT_EQ(Handle(Request("logic_channel_open",
                           R"("a0000005591010ffffffff8900000100")")),
            R"({"type":"apdu","payload":{"ecode":1}})");
  // GetEuiccData(EID) on channel 1: 61 15, then GET RESPONSE.
  EXPECT_EQ(Handle(Request("transmit", R"("81e2910006bf3e035c015a")")),
            R"({"type":"apdu","payload":{"ecode":0,"data":"6115"}})");
  EXPECT_EQ(Handle(Request("transmit", R"("81c0000015")")),
            absl::StrCat(R"({"type":"apdu","payload":{"ecode":0,"data":")",
                         "BF3E125A10", euicc_->eid(), "9000\"}}"));
  // A card error is still ecode 0: the status word tells.
  EXPECT_EQ(Handle(Request("transmit", R"("81ca000000")")),
            R"({"type":"apdu","payload":{"ecode":0,"data":"6D00"}})");
  EXPECT_EQ(Handle(Request("logic_channel_close", R"("01")")),
            R"({"type":"apdu","payload":{"ecode":0}})");
  EXPECT_EQ(Handle(Request("disconnect", "null")),
            R"({"type":"apdu","payload":{"ecode":0}})");
  EXPECT_TRUE(server_->disconnected());
  EXPECT_EQ(server_->requests(), 7);
}

TEST_F(StdioCardServerTest, RefusesBadRequestsAndPassesOtherLinesOn) {
  const std::string failed = R"({"type":"apdu","payload":{"ecode":-1}})";
  EXPECT_EQ(Handle(Request("logic_channel_open", R"("a000000559ff")")), failed);
  EXPECT_EQ(Handle(Request("logic_channel_open", "null")), failed);
  EXPECT_EQ(Handle(Request("logic_channel_close", R"("05")")), failed);
  EXPECT_EQ(Handle(Request("transmit", R"("81e")")), failed);
  EXPECT_EQ(Handle(Request("transmit", R"("zz")")), failed);
  EXPECT_EQ(Handle(Request("transmit", "null")), failed);
  EXPECT_EQ(Handle(Request("reboot", "null")), failed);
  // Channels run out after three.
  for (int i = 1; i <= 3; ++i) {
    EXPECT_EQ(Handle(Request("logic_channel_open",
                             R"("a0000005591010ffffffff8900000100")")),
              absl::StrCat(R"({"type":"apdu","payload":{"ecode":)", i, "}}"));
  }
  EXPECT_EQ(Handle(Request("logic_channel_open",
                           R"("a0000005591010ffffffff8900000100")")),
            failed);

  EXPECT_EQ(
      Handle(R"({"type":"lpa","payload":{"code":0,"message":"success"}})"),
      std::nullopt);
  EXPECT_EQ(Handle(R"({"type":"progress","payload":{"code":0}})"),
            std::nullopt);
  EXPECT_EQ(Handle(R"({"type":"apdu","payload":{"ecode":0}})"), std::nullopt);
  EXPECT_EQ(Handle("Usage: lpac profile download [OPTIONS]"), std::nullopt);
}

}  // namespace
}  // namespace smdp::euicc::apdu
