#include "smdp/download/signed_data.h"

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"

namespace smdp::download {
namespace {

TEST(SignedDataTest, SignatureInputsAppendThe5F37Tlv) {
  std::string sig(64, '\x11');
  std::string input = SmdpSignature2Input("\x30\x03\x80\x01\x01", sig);
  EXPECT_EQ(input.substr(0, 5), std::string("\x30\x03\x80\x01\x01", 5));
  EXPECT_EQ(input.substr(5, 3), "\x5F\x37\x40");
  EXPECT_EQ(input.substr(8), sig);
  EXPECT_EQ(EuiccSignature2Input("ab", sig), "ab\x5F\x37\x40" + sig);
}

// Known answer computed independently with coreutils:
//   printf '12345678' | sha256sum  →
//   ef797c8118f02dfb649607dd5d3f8c7623048c9c063d532cc95c5ed7a898a64f  (SHA-256
//   of the code), then (xxd -r -p <<<
//   ef797c8118f02dfb649607dd5d3f8c7623048c9c063d532cc95c5ed7a898a64f; printf
//   '\x01\x02\x03\x04') | sha256sum
TEST(SignedDataTest, HashCcKnownAnswer) {
  std::string tid("\x01\x02\x03\x04", 4);
  std::string hash = HashConfirmationCode("12345678", tid);
  EXPECT_EQ(absl::BytesToHexString(hash),
            "cb65a69663d0c949a87addaf32006fef7a0d7ec4e1948eaf7886db7710014389");
}

TEST(SignedDataTest, ConstantTimeEquals) {
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "ab"));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
}

}  // namespace
}  // namespace smdp::download
