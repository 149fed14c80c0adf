#include "hsm/pkcs11_uri.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hsm/internal/test_util.h"

namespace smdp::hsm {
namespace {

using ::smdp::hsm::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Optional;

TEST(ParseKeyRef, PlainLabel) {
  ASSERT_OK_AND_ASSIGN(KeyRef ref, ParseKeyRef("dpauth-nist"));
  EXPECT_THAT(ref.object, Optional(std::string("dpauth-nist")));
  EXPECT_FALSE(ref.id.has_value());
  EXPECT_FALSE(ref.token.has_value());
  EXPECT_EQ(ref.Describe(), "label 'dpauth-nist'");
}

TEST(ParseKeyRef, FullUri) {
  ASSERT_OK_AND_ASSIGN(
      KeyRef ref,
      ParseKeyRef("pkcs11:token=My%20Token;object=dp%2Dauth;id=%01%02%ff;"
                  "type=private;serial=abc;manufacturer=SoftHSM%20project;"
                  "model=SoftHSM%20v2;slot-id=42"));
  EXPECT_THAT(ref.token, Optional(std::string("My Token")));
  EXPECT_THAT(ref.object, Optional(std::string("dp-auth")));
  EXPECT_THAT(ref.id, Optional(std::string("\x01\x02\xff")));
  EXPECT_THAT(ref.type, Optional(std::string("private")));
  EXPECT_THAT(ref.serial, Optional(std::string("abc")));
  EXPECT_THAT(ref.manufacturer, Optional(std::string("SoftHSM project")));
  EXPECT_THAT(ref.model, Optional(std::string("SoftHSM v2")));
  EXPECT_THAT(ref.slot_id, Optional(42ul));
  EXPECT_EQ(ref.Describe(), "label 'dp-auth', id %01%02%FF, type private");
}

TEST(ParseKeyRef, IdOnlyAndSchemeCase) {
  ASSERT_OK_AND_ASSIGN(KeyRef ref, ParseKeyRef("PKCS11:id=%00%AB"));
  EXPECT_THAT(ref.id, Optional(std::string("\x00\xab", 2)));
  EXPECT_FALSE(ref.object.has_value());
  ASSERT_OK_AND_ASSIGN(ref, ParseKeyRef("pkcs11:"));
  EXPECT_EQ(ref.Describe(), "any object");
}

TEST(ParseKeyRef, UnknownAttributesAreNamed) {
  auto ref = ParseKeyRef("pkcs11:object=a;colour=blue;flavour=x");
  EXPECT_THAT(ref, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(ref.status().message()),
              HasSubstr("colour, flavour"));
}

TEST(ParseKeyRef, QueryAttributesAreRefused) {
  auto ref = ParseKeyRef("pkcs11:object=a?pin-value=1234&module-path=/x.so");
  EXPECT_THAT(ref, StatusIs(absl::StatusCode::kInvalidArgument));
  const std::string message(ref.status().message());
  EXPECT_THAT(message, HasSubstr("pin-value, module-path"));
  EXPECT_THAT(message, ::testing::Not(HasSubstr("1234")));
}

TEST(ParseKeyRef, MalformedUris) {
  for (const char* bad :
       {"", "pkcs11:object=a%2", "pkcs11:object=a%zz", "pkcs11:id=%0",
        "pkcs11:object", "pkcs11:=x",
        "pkcs11:object=", "pkcs11:object=a;object=b", "pkcs11:type=secret",
        "pkcs11:slot-id=x", "pkcs11:slot-id=1;slot-id=2"}) {
    EXPECT_THAT(ParseKeyRef(bad), StatusIs(absl::StatusCode::kInvalidArgument))
        << bad;
  }
}

TEST(PercentEncodeAll, EncodesEveryByte) {
  EXPECT_EQ(PercentEncodeAll(std::string("\x01\xab", 2)), "%01%AB");
  EXPECT_EQ(PercentEncodeAll(""), "");
}

}  // namespace
}  // namespace smdp::hsm
