#include "sgp22/eid.h"

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace smdp::sgp22 {
namespace {

using ::testing::HasSubstr;

constexpr absl::string_view kSgp26Eid = "89049032123451234512345678901235";

TEST(EidTest, CheckDigitsOfTheSgp26Eid) {
  absl::StatusOr<std::string> check = EidCheckDigits(kSgp26Eid.substr(0, 30));
  ASSERT_TRUE(check.ok()) << check.status();
  EXPECT_EQ(*check, "35");
  absl::StatusOr<std::string> eid = CompleteEid(kSgp26Eid.substr(0, 30));
  ASSERT_TRUE(eid.ok()) << eid.status();
  EXPECT_EQ(*eid, kSgp26Eid);
  EXPECT_TRUE(ValidateEid(kSgp26Eid).ok());
}

TEST(EidTest, CheckDigitsAreTwoDigitsFrom02To98) {
  // Small check values still print with a leading zero.
  for (absl::string_view body :
       {"000000000000000000000000000000", "890490320000000000000000000001",
        "999999999999999999999999999999", "123456789012345678901234567890"}) {
    absl::StatusOr<std::string> eid = CompleteEid(body);
    ASSERT_TRUE(eid.ok()) << eid.status();
    ASSERT_EQ(eid->size(), kEidDigits);
    int check = std::stoi(eid->substr(30));
    EXPECT_GE(check, 2);
    EXPECT_LE(check, 98);
    EXPECT_TRUE(ValidateEid(*eid).ok()) << *eid;
  }
}

TEST(EidTest, WrongCheckDigitsAreRejected) {
  absl::Status status = ValidateEid("89049032123451234512345678901234");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("check digits"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("expected 35"));
}

TEST(EidTest, SwappedDigitsAreDetected) {
  // MOD 97-10 catches every transposition of adjacent digits.
  std::string eid(kSgp26Eid);
  for (size_t i = 0; i + 1 < eid.size(); ++i) {
    if (eid[i] == eid[i + 1]) continue;
    std::string swapped = eid;
    std::swap(swapped[i], swapped[i + 1]);
    EXPECT_FALSE(ValidateEid(swapped).ok()) << swapped;
  }
}

TEST(EidTest, MalformedEidsAreRejected) {
  for (absl::string_view bad :
       {"", "8904903212345123451234567890123",
        "890490321234512345123456789012350", "8904903212345123451234567890123A",
        "89049032 23451234512345678901235"}) {
    absl::Status status = ValidateEid(bad);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(std::string(status.message()), HasSubstr("32 decimal digits"))
        << bad;
  }
  EXPECT_EQ(EidCheckDigits("12345").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CompleteEid("89049032123451234512345678901x").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(EidTest, Prefix) {
  EXPECT_TRUE(EidHasPrefix(kSgp26Eid, "89049032"));
  EXPECT_TRUE(EidHasPrefix(kSgp26Eid, ""));
  EXPECT_FALSE(EidHasPrefix(kSgp26Eid, "89049033"));
  EXPECT_FALSE(EidHasPrefix("8904", "89049032"));
}

}  // namespace
}  // namespace smdp::sgp22
