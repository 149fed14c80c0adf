#include "profiles/saip/internal/der_edit.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hsm/internal/test_util.h"
#include "sgp22/der.h"

namespace smdp::profiles::saip::internal {
namespace {

namespace der = ::smdp::sgp22::der;
using ::smdp::hsm::testing::StatusIs;

std::string Hex(absl::string_view bytes) {
  return absl::BytesToHexString(bytes);
}
std::string Bytes(absl::string_view hex) { return absl::HexStringToBytes(hex); }

// A0 { 80 02 1122, A1 { 81 01 33 } }, B0 { 82 01 44 }
const std::string kInput = Bytes("a00980021122a103810133b003820144");

TEST(DerEditTest, SameSizeOverwrites) {
  std::vector<DerEdit> edits = {{4, 2, Bytes("aabb")}, {15, 1, Bytes("cc")}};
  ASSERT_OK_AND_ASSIGN(std::string out, ApplyDerEdits(kInput, &edits));
  EXPECT_EQ(Hex(out), "a0098002aabba103810133b0038201cc");
}

TEST(DerEditTest, GrowingValueReencodesEveryParent) {
  // 81 01 33 becomes 81 81 C8 <200 bytes>: A1 and A0 grow to long form.
  std::vector<DerEdit> edits = {{10, 1, std::string(200, 'x')}};
  ASSERT_OK_AND_ASSIGN(std::string out, ApplyDerEdits(kInput, &edits));
  ASSERT_OK_AND_ASSIGN(
      der::Tlv a0,
      der::ParseSingleTlv(absl::string_view(out).substr(0, out.size() - 5)));
  EXPECT_EQ(a0.tag, 0xA0u);
  EXPECT_EQ(Hex(a0.raw.substr(0, 12)), "a081d280021122a181cb8181");
  EXPECT_EQ(Hex(out.substr(out.size() - 5)), "b003820144");
  EXPECT_OK(der::ValidateDer(out));
}

TEST(DerEditTest, ShrinkingAndWholeTlvReplacement) {
  std::vector<DerEdit> edits = {
      {2, 4, Bytes("8000")},       // the whole 80 TLV
      {11, 5, Bytes("b1028300")},  // B0 replaced by B1
  };
  ASSERT_OK_AND_ASSIGN(std::string out, ApplyDerEdits(kInput, &edits));
  EXPECT_EQ(Hex(out), "a0078000a103810133b1028300");
}

TEST(DerEditTest, EmptyValueGrows) {
  std::vector<DerEdit> edits = {{0, 2, Bytes("8001ff")}};
  ASSERT_OK_AND_ASSIGN(std::string out,
                       ApplyDerEdits(Bytes("8000a0028000"), &edits));
  EXPECT_EQ(Hex(out), "8001ffa0028000");
}

TEST(DerEditTest, BadEditsAreInternalErrors) {
  const std::vector<std::vector<DerEdit>> bad = {
      {{1, 2, "ab"}},               // cuts the A0 header
      {{3, 2, "ab"}},               // cuts the 80 header
      {{5, 3, "abc"}},              // spans from a value into a header
      {{4, 1, "a"}, {4, 2, "ab"}},  // overlap
      {{4, 0, ""}},                 // empty
      {{15, 2, "ab"}},              // beyond the end
      {{2, 6, "abcdef"}},           // 80 TLV and part of A1
  };
  for (std::vector<DerEdit> edits : bad) {
    // A size change forces the checked path; same-size edits are checked too.
    EXPECT_THAT(ApplyDerEdits(kInput, &edits),
                StatusIs(absl::StatusCode::kInternal))
        << edits[0].offset;
  }
}

}  // namespace
}  // namespace smdp::profiles::saip::internal
