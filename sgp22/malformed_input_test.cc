// Every decoder against hostile input: truncation, over-long and
// non-minimal lengths, wrong tags, trailing bytes, deep nesting, and a
// mutation sweep. Each must answer InvalidArgument, never crash.
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sgp22/der.h"
#include "sgp22/fuzz/fuzz_targets.h"
#include "sgp22/test_messages.h"

namespace smdp::sgp22 {
namespace {

using ::testing::AnyOf;
using ::testing::HasSubstr;

struct Case {
  std::string name;  // sample name
  const fuzz::Target* target;
  std::string der;
};

std::vector<Case> Cases() {
  std::vector<Case> cases;
  for (auto& [name, der] : testing::AllEncodedSamples()) {
    const std::string type = name.substr(0, name.find('.'));
    const fuzz::Target* target = fuzz::FindTarget(type);
    EXPECT_NE(target, nullptr) << type;
    if (target == nullptr) continue;
    cases.push_back({name, target, der});
    if (type == "ProfileInstallationResult" ||
        type == "OtherSignedNotification") {
      cases.push_back({name + "/PendingNotification",
                       fuzz::FindTarget("PendingNotification"), der});
    }
  }
  return cases;
}

class MalformedTest : public ::testing::TestWithParam<Case> {
 protected:
  // The decoder must refuse `input` with InvalidArgument.
  void ExpectRefused(absl::string_view input, absl::string_view why) {
    absl::Status s = GetParam().target->decode(input);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << why << ": " << s;
  }
};

// A length encoding of `n` one byte longer than DER allows: 0x81 for a
// length below 128, otherwise the minimal form with a leading zero byte.
std::string NonMinimalLength(size_t n) {
  std::string minimal;
  der::AppendLength(n, &minimal);
  std::string out;
  if (n < 0x80) {
    out.push_back('\x81');
    out.push_back(static_cast<char>(n));
    return out;
  }
  out.push_back(static_cast<char>(0x80 | minimal.size()));
  out.push_back('\0');
  return out + minimal.substr(1);
}

// Splits a DER TLV into header and contents.
void Split(const std::string& der, std::string* tag, std::string* contents) {
  absl::string_view rest = der;
  absl::StatusOr<der::Tlv> tlv = der::ParseTlv(&rest);
  ASSERT_TRUE(tlv.ok());
  tag->clear();
  der::AppendTag(tlv->tag, tag);
  *contents = std::string(tlv->value);
}

TEST_P(MalformedTest, SampleDecodes) {
  EXPECT_TRUE(GetParam().target->decode(GetParam().der).ok());
}

TEST_P(MalformedTest, EmptyInput) { ExpectRefused("", "empty"); }

TEST_P(MalformedTest, EveryTruncation) {
  const std::string& der = GetParam().der;
  for (size_t n = 0; n < der.size(); ++n) {
    absl::Status s =
        GetParam().target->decode(absl::string_view(der.data(), n));
    ASSERT_EQ(s.code(), absl::StatusCode::kInvalidArgument)
        << "prefix of " << n << " bytes: " << s;
  }
}

TEST_P(MalformedTest, TrailingBytes) {
  absl::Status s =
      GetParam().target->decode(GetParam().der + std::string(2, '\0'));
  EXPECT_THAT(s.message(), HasSubstr("trailing"));
  ExpectRefused(GetParam().der + GetParam().der, "twice");
}

TEST_P(MalformedTest, OverLongLength) {
  std::string tag, contents;
  Split(GetParam().der, &tag, &contents);
  std::string der = tag;
  der::AppendLength(contents.size() + 1, &der);
  der += contents;
  absl::Status s = GetParam().target->decode(der);
  EXPECT_THAT(s.message(), HasSubstr("exceeds"));
  // A length far beyond the input.
  ExpectRefused(tag + absl::HexStringToBytes("84FFFFFFF0") + contents,
                "huge length");
}

TEST_P(MalformedTest, NonMinimalOuterLength) {
  std::string tag, contents;
  Split(GetParam().der, &tag, &contents);
  std::string der = tag + NonMinimalLength(contents.size());
  der += contents;
  absl::Status s = GetParam().target->decode(der);
  EXPECT_THAT(s.message(),
              AnyOf(HasSubstr("long form"), HasSubstr("leading zero")));
  // Indefinite length.
  ExpectRefused(tag + std::string(1, '\x80') + contents + std::string(2, '\0'),
                "indefinite");
}

TEST_P(MalformedTest, NonMinimalInnerLength) {
  // Rewrites the first TLV inside the top-level one with a long-form length
  // (one byte more than needed), keeping the outer length right.
  std::string tag, contents;
  Split(GetParam().der, &tag, &contents);
  absl::string_view rest = contents;
  absl::StatusOr<der::Tlv> first = der::ParseTlv(&rest);
  ASSERT_TRUE(first.ok());
  std::string inner;
  der::AppendTag(first->tag, &inner);
  inner += NonMinimalLength(first->value.size()) + std::string(first->value);
  const std::string new_contents = inner + std::string(rest);
  std::string der = tag;
  der::AppendLength(new_contents.size(), &der);
  der += new_contents;
  ExpectRefused(der, "non-minimal inner length");
}

TEST_P(MalformedTest, WrongTag) {
  std::string tag, contents;
  Split(GetParam().der, &tag, &contents);
  for (der::Tag wrong : {der::Tag{0x04}, der::Tag{0x31}, der::Tag{0xBF99},
                         der::Tag{0x7F21}, der::Tag{0xA5}}) {
    // CtxParams1 is a CHOICE that keeps unknown [n] alternatives.
    if (GetParam().target->name == absl::string_view("CtxParams1") &&
        der::TagClassOf(wrong) == der::TagClass::kContextSpecific) {
      continue;
    }
    std::string der;
    der::AppendTag(wrong, &der);
    der::AppendLength(contents.size(), &der);
    der += contents;
    ExpectRefused(der, absl::StrCat("tag ", der::TagToString(wrong)));
  }
}

TEST_P(MalformedTest, DeepNesting) {
  // 10,000 nested constructed TLVs, first bare, then inside the expected
  // outer tag.
  std::string deep;
  for (int i = 0; i < 10000; ++i) deep = der::EncodeTlv(0x30, deep);
  ExpectRefused(deep, "10000 nested SEQUENCEs");
  std::string tag, contents;
  Split(GetParam().der, &tag, &contents);
  std::string der = tag;
  der::AppendLength(deep.size(), &der);
  ExpectRefused(der + deep, "10000 nested SEQUENCEs inside the message tag");
  // Well-formed but 40 levels deep, inside an unknown extension field.
  std::string forty;
  for (int i = 0; i < 40; ++i) forty = der::EncodeTlv(0x30, forty);
  const std::string extended =
      contents + der::EncodeTlv(der::ContextTag(30, true), forty);
  der = tag;
  der::AppendLength(extended.size(), &der);
  absl::Status s = GetParam().target->decode(der + extended);
  EXPECT_THAT(s.message(), HasSubstr("nested deeper")) << s;
}

TEST_P(MalformedTest, MutationSweep) {
  // Every byte flipped, incremented and zeroed: decoders refuse or accept,
  // and what they accept re-encodes stably (fuzz::Target::run traps if not).
  const std::string& der = GetParam().der;
  const size_t step = der.size() > 4096 ? 7 : 1;
  for (size_t i = 0; i < der.size(); i += step) {
    for (int kind = 0; kind < 3; ++kind) {
      std::string m = der;
      if (kind == 0) m[i] = static_cast<char>(~m[i]);
      if (kind == 1) m[i] = static_cast<char>(m[i] + 1);
      if (kind == 2) m[i] = '\0';
      GetParam().target->run(m);
      fuzz::FindTarget("Der")->run(m);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllDecoders, MalformedTest,
                         ::testing::ValuesIn(Cases()),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           std::string name = info.param.name;
                           for (char& c : name) {
                             if (!absl::ascii_isalnum(
                                     static_cast<unsigned char>(c)))
                               c = '_';
                           }
                           return name;
                         });

TEST(FuzzTargetsTest, EveryTargetHasASample) {
  std::vector<std::string> names;
  for (const Case& c : Cases()) names.push_back(c.target->name);
  for (const fuzz::Target& t : fuzz::Targets()) {
    if (t.name == absl::string_view("Der")) continue;
    EXPECT_THAT(names, ::testing::Contains(std::string(t.name))) << t.name;
  }
}

}  // namespace
}  // namespace smdp::sgp22
