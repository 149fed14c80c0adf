#include "smdp/order/activation_code.h"

#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/status_matchers.h"

namespace smdp::order {
namespace {

using ::smdp::matchers::IsOk;
using ::smdp::matchers::StatusIs;
using ::testing::HasSubstr;

struct Example {
  ActivationCode code;
  std::string plain;
};

// SGP.22 4.1's examples, and the forms smdpctl prints.
std::vector<Example> Examples() {
  return {
      {{.smdp_address = "SMDP.EXAMPLE.COM",
        .matching_id = "04386-AGYFT-A74Y8-3F815"},
       "1$SMDP.EXAMPLE.COM$04386-AGYFT-A74Y8-3F815"},
      {{.smdp_address = "SMDP.EXAMPLE.COM",
        .matching_id = "04386-AGYFT-A74Y8-3F815",
        .confirmation_code_required = true},
       "1$SMDP.EXAMPLE.COM$04386-AGYFT-A74Y8-3F815$$1"},
      {{.smdp_address = "SMDP.EXAMPLE.COM",
        .matching_id = "04386-AGYFT-A74Y8-3F815",
        .smdp_oid = "1.3.6.1.4.1.31746",
        .confirmation_code_required = true},
       "1$SMDP.EXAMPLE.COM$04386-AGYFT-A74Y8-3F815$1.3.6.1.4.1.31746$1"},
      {{.smdp_address = "SMDP.EXAMPLE.COM",
        .matching_id = "04386-AGYFT-A74Y8-3F815",
        .smdp_oid = "1.3.6.1.4.1.31746"},
       "1$SMDP.EXAMPLE.COM$04386-AGYFT-A74Y8-3F815$1.3.6.1.4.1.31746"},
      {{.smdp_address = "SMDP.EXAMPLE.COM", .smdp_oid = "1.3.6.1.4.1.31746"},
       "1$SMDP.EXAMPLE.COM$$1.3.6.1.4.1.31746"},
      {{.smdp_address = "localhost", .matching_id = "K3J9Q-ABCDE"},
       "1$localhost$K3J9Q-ABCDE"},
      {{.smdp_address = "smdp.test.example:8443", .matching_id = "a-1"},
       "1$smdp.test.example:8443$a-1"},
      {{.smdp_address = "rsp.example.com"}, "1$rsp.example.com$"},
  };
}

TEST(ActivationCodeTest, FormatsAndParsesTheSpecExamples) {
  for (const Example& e : Examples()) {
    SCOPED_TRACE(e.plain);
    absl::StatusOr<std::string> plain =
        FormatActivationCode(e.code, ActivationCodeForm::kPlain);
    ASSERT_THAT(plain.status(), IsOk());
    EXPECT_EQ(*plain, e.plain);
    absl::StatusOr<std::string> qr = FormatActivationCode(e.code);
    ASSERT_THAT(qr.status(), IsOk());
    EXPECT_EQ(*qr, "LPA:" + e.plain);

    for (const std::string& text : {*plain, *qr, "lpa:" + e.plain}) {
      absl::StatusOr<ActivationCode> parsed = ParseActivationCode(text);
      ASSERT_THAT(parsed.status(), IsOk()) << text;
      EXPECT_EQ(*parsed, e.code) << text;
    }
  }
}

TEST(ActivationCodeTest, RoundTripsEveryCombinationOfOptionalFields) {
  for (const char* matching_id : {"", "MID-1"}) {
    for (const char* oid : {"", "2.999.10"}) {
      for (bool cc : {false, true}) {
        ActivationCode code{.smdp_address = "smdp.example",
                            .matching_id = matching_id,
                            .smdp_oid = oid,
                            .confirmation_code_required = cc};
        absl::StatusOr<std::string> text = FormatActivationCode(code);
        ASSERT_THAT(text.status(), IsOk());
        absl::StatusOr<ActivationCode> parsed = ParseActivationCode(*text);
        ASSERT_THAT(parsed.status(), IsOk()) << *text;
        EXPECT_EQ(*parsed, code) << *text;
        absl::StatusOr<std::string> again = FormatActivationCode(*parsed);
        ASSERT_THAT(again.status(), IsOk());
        EXPECT_EQ(*again, *text);
      }
    }
  }
}

TEST(ActivationCodeTest, RefusesInvalidFieldsNamingThePart) {
  struct Case {
    ActivationCode code;
    std::string part;
  };
  const std::string long_label(64, 'a');
  const Case cases[] = {
      {{.smdp_address = ""}, "SM-DP+ address is empty"},
      {{.smdp_address = "a..b"}, "empty label"},
      {{.smdp_address = ".example"}, "empty label"},
      {{.smdp_address = "example."}, "empty label"},
      {{.smdp_address = "smdp_1.example"}, "A-Z a-z 0-9"},
      {{.smdp_address = "smdp$.example"}, "A-Z a-z 0-9"},
      {{.smdp_address = "-smdp.example"}, "starts or ends with '-'"},
      {{.smdp_address = long_label + ".example"}, "longer than 63"},
      {{.smdp_address = "smdp.example:0"}, "port"},
      {{.smdp_address = "smdp.example:65536"}, "port"},
      {{.smdp_address = "smdp.example:"}, "port"},
      {{.smdp_address = "smdp.example:84x"}, "port"},
      {{.smdp_address = ":8443"}, "no host name"},
      {{.smdp_address = "[::1]:8443"}, "SM-DP+ address"},
      {{.smdp_address = "s", .matching_id = "AB$CD"}, "AC token (matchingId)"},
      {{.smdp_address = "s", .matching_id = "AB CD"}, "AC token (matchingId)"},
      {{.smdp_address = "s", .matching_id = std::string(65, 'A')},
       "longer than 64"},
      {{.smdp_address = "s", .smdp_oid = "2"}, "at least two arcs"},
      {{.smdp_address = "s", .smdp_oid = "2..1"}, "dotted decimal"},
      {{.smdp_address = "s", .smdp_oid = "2.999.x"}, "dotted decimal"},
      {{.smdp_address = "s", .smdp_oid = "2.01"}, "leading zero"},
      {{.smdp_address = "s", .smdp_oid = "3.1"}, "first arc"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.code.smdp_address + " / " + c.code.matching_id + " / " +
                 c.code.smdp_oid);
    absl::Status status = ValidateActivationCode(c.code);
    EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_THAT(status.message(), HasSubstr(c.part));
    EXPECT_THAT(status.message(), HasSubstr("activation code: "));
    EXPECT_THAT(FormatActivationCode(c.code).status(),
                StatusIs(absl::StatusCode::kInvalidArgument));
  }
}

TEST(ActivationCodeTest, ParseRefusesMalformedCodes) {
  struct Case {
    std::string text;
    std::string message;
  };
  const Case cases[] = {
      {"", "empty"},
      {"LPA:", "empty"},
      {"2$smdp.example$MID", "format '2'"},
      {"LPA:LPA:1$smdp.example$MID", "format"},
      {" LPA:1$smdp.example$MID", "format"},
      {"1", "no SM-DP+ address"},
      {"1$smdp.example", "no AC token"},
      {"1$$MID", "SM-DP+ address is empty"},
      {"1$smdp example$MID", "SM-DP+ address 'smdp example'"},
      {"1$smdp.example$MID ", "AC token (matchingId) 'MID '"},
      {"1$smdp.example$MID$", "empty SM-DP+ OID field"},
      {"1$smdp.example$MID$$", "confirmation code required flag ''"},
      {"1$smdp.example$MID$$0", "confirmation code required flag '0'"},
      {"1$smdp.example$MID$2.999$yes", "confirmation code required flag"},
      {"1$smdp.example$MID$OID", "SM-DP+ OID 'OID'"},
      {"1$smdp.example$MID$2.999$1$x", "6 fields; at most 5"},
      {std::string("1$smdp.example$M\0D", 18), "AC token (matchingId) 'M?D'"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    absl::StatusOr<ActivationCode> parsed = ParseActivationCode(c.text);
    EXPECT_THAT(parsed.status(), StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_THAT(parsed.status().message(), HasSubstr(c.message));
  }
}

}  // namespace
}  // namespace smdp::order
