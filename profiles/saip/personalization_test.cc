#include "profiles/saip/personalization.h"

#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hsm/internal/test_util.h"
#include "profiles/saip/coding.h"
#include "profiles/saip/profile_package.h"
#include "profiles/saip/template_builder.h"

namespace smdp::profiles::saip {
namespace {

using ::smdp::hsm::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

std::string Bytes(absl::string_view hex) { return absl::HexStringToBytes(hex); }

SubscriberData Subscriber() {
  SubscriberData d;
  d.iccid = "8949449999999990171";
  d.imsi = "262019876543210";
  d.ki = Bytes("000102030405060708090a0b0c0d0e0f");
  d.opc = Bytes("f0e0d0c0b0a090807060504030201000");
  d.pin1 = "1234";
  d.pin2 = "98765";
  d.puk1 = "11223344";
  d.puk2 = "55667788";
  d.adm1 = *EncodeAdmValue("a1b2c3d4e5f60718");
  return d;
}

Template MakeTemplate(const TemplateOptions& options = {},
                      PersonalizationOptions personalization = {}) {
  absl::StatusOr<std::string> upp = BuildTemplate(options);
  EXPECT_TRUE(upp.ok()) << upp.status();
  absl::StatusOr<Template> t = Template::Create(*upp, personalization);
  EXPECT_TRUE(t.ok()) << t.status();
  return *std::move(t);
}

SubscriberData ReadBack(const std::string& upp) {
  absl::StatusOr<ProfilePackage> p = DecodeProfilePackage(upp);
  EXPECT_TRUE(p.ok()) << p.status();
  if (!p.ok()) return {};
  absl::StatusOr<SubscriberData> d = ReadSubscriberData(upp, *p);
  EXPECT_TRUE(d.ok()) << d.status();
  return d.ok() ? *d : SubscriberData();
}

void ExpectSameValues(const SubscriberData& got, const SubscriberData& want) {
  EXPECT_EQ(got.iccid, want.iccid);
  EXPECT_EQ(got.imsi, want.imsi);
  EXPECT_EQ(got.ki, want.ki);
  EXPECT_EQ(got.opc, want.opc);
  EXPECT_EQ(got.pin1, want.pin1);
  EXPECT_EQ(got.pin2, want.pin2);
  EXPECT_EQ(got.puk1, want.puk1);
  EXPECT_EQ(got.puk2, want.puk2);
  EXPECT_EQ(got.adm1, want.adm1);
  EXPECT_EQ(got.msisdn, want.msisdn);
}

TEST(PersonalizationTest, ChangesExactlyTheValueBytes) {
  const Template t = MakeTemplate();
  const SubscriberData data = Subscriber();
  ASSERT_OK_AND_ASSIGN(std::string upp, t.Personalize(data));
  ASSERT_EQ(upp.size(), t.bytes().size());
  ExpectSameValues(ReadBack(upp), data);

  // Every changed byte lies in a value range personalisation writes.
  const ProfilePackage& p = t.package();
  std::vector<ByteRange> allowed = {p.header.iccid.value};
  for (const auto* files : {&p.ef_iccid, &p.ef_imsi}) {
    for (const FileLocation& f : *files) allowed.push_back(f.content->value);
  }
  for (const AlgorithmLocation& a : p.algorithms) {
    allowed.push_back(a.key.value);
    allowed.push_back(a.opc.value);
  }
  for (const auto* codes : {&p.pins, &p.puks}) {
    for (const CodeLocation& c : *codes) allowed.push_back(c.value.value);
  }
  size_t changed = 0;
  for (size_t i = 0; i < upp.size(); ++i) {
    if (upp[i] == t.bytes()[i]) continue;
    ++changed;
    bool inside = false;
    for (const ByteRange& r : allowed) {
      inside |= i >= r.offset && i < r.end();
    }
    EXPECT_TRUE(inside) << "byte " << i << " changed";
  }
  EXPECT_GT(changed, 60u);

  // The template itself is untouched and personalising twice is stable.
  ASSERT_OK_AND_ASSIGN(std::string again, t.Personalize(data));
  EXPECT_EQ(again, upp);
  EXPECT_EQ(ReadBack(t.bytes()).pin1, "0000");
}

TEST(PersonalizationTest, EmptyOptionalValuesKeepTheTemplates) {
  const Template t = MakeTemplate();
  SubscriberData data;
  data.iccid = "89882100000000000123";
  data.imsi = "00101987654";
  data.ki = std::string(16, '\x5A');
  data.opc = std::string(16, '\xA5');
  ASSERT_OK_AND_ASSIGN(std::string upp, t.Personalize(data));
  const SubscriberData got = ReadBack(upp);
  EXPECT_EQ(got.iccid, "89882100000000000123");
  EXPECT_EQ(got.imsi, "00101987654");
  EXPECT_EQ(got.pin1, "0000");
  EXPECT_EQ(got.pin2, "0000");
  EXPECT_EQ(got.puk1, "00000000");
  EXPECT_EQ(got.adm1, "00000000");
  EXPECT_EQ(got.acc, Bytes("0001"));
  EXPECT_EQ(got.msisdn, "");
}

TEST(PersonalizationTest, MsisdnIntoAnExistingRecord) {
  const Template t = MakeTemplate();
  SubscriberData data = Subscriber();
  data.msisdn = "+491701234567";
  ASSERT_OK_AND_ASSIGN(std::string upp, t.Personalize(data));
  EXPECT_EQ(upp.size(), t.bytes().size());
  ExpectSameValues(ReadBack(upp), data);
}

TEST(PersonalizationTest, MsisdnInsertedWhereTheTemplateHasNoContent) {
  TemplateOptions options;
  options.msisdn_content = false;
  const Template t = MakeTemplate(options);
  ASSERT_FALSE(t.package().ef_msisdn[0].content.has_value());
  SubscriberData data = Subscriber();
  data.msisdn = "0170123";
  ASSERT_OK_AND_ASSIGN(std::string upp, t.Personalize(data));
  // A fillFileContent of one 28-byte record: 2 + 28 bytes more, every
  // enclosing length re-encoded.
  EXPECT_EQ(upp.size(), t.bytes().size() + 30);
  ExpectSameValues(ReadBack(upp), data);
}

TEST(PersonalizationTest, LongerKeysReencodeLengths) {
  const Template t = MakeTemplate();
  SubscriberData data = Subscriber();
  data.ki = std::string(32, '\x42');
  data.opc = std::string(32, '\x24');
  ASSERT_OK_AND_ASSIGN(std::string upp, t.Personalize(data));
  EXPECT_EQ(upp.size(), t.bytes().size() + 32);
  ExpectSameValues(ReadBack(upp), data);
}

TEST(PersonalizationTest, Acc) {
  SubscriberData data = Subscriber();  // IMSI ends in 0
  {
    const Template t = MakeTemplate({}, {.derive_acc_from_imsi = true});
    data.imsi = "262019876543217";
    ASSERT_OK_AND_ASSIGN(std::string upp, t.Personalize(data));
    EXPECT_EQ(ReadBack(upp).acc, Bytes("0080"));
    data.acc = Bytes("0200");
    ASSERT_OK_AND_ASSIGN(upp, t.Personalize(data));
    EXPECT_EQ(ReadBack(upp).acc, Bytes("0200"));
  }
  const Template t = MakeTemplate();
  data.acc = "";
  ASSERT_OK_AND_ASSIGN(std::string upp, t.Personalize(data));
  EXPECT_EQ(ReadBack(upp).acc, Bytes("0001"));
  data.acc = Bytes("000102");
  EXPECT_THAT(t.Personalize(data),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(PersonalizationTest, MalformedValuesAreRefusedWithoutEchoingSecrets) {
  const Template t = MakeTemplate();
  struct Case {
    void (*change)(SubscriberData&);
    const char* field;
  };
  const Case cases[] = {
      {[](SubscriberData& d) { d.iccid = "894944999999999017"; }, "ICCID"},
      {[](SubscriberData& d) { d.iccid = "894944999999999017F"; }, "ICCID"},
      {[](SubscriberData& d) { d.imsi = "26201"; }, "IMSI"},
      {[](SubscriberData& d) { d.ki = std::string(15, 'k'); }, "Ki"},
      {[](SubscriberData& d) { d.ki = ""; }, "Ki"},
      {[](SubscriberData& d) { d.opc = std::string(17, 'o'); }, "OPc"},
      {[](SubscriberData& d) { d.pin1 = "12x4"; }, "PIN1"},
      {[](SubscriberData& d) { d.pin2 = "123"; }, "PIN2"},
      {[](SubscriberData& d) { d.puk1 = "1234567"; }, "PUK1"},
      {[](SubscriberData& d) { d.puk2 = "123456789"; }, "PUK2"},
      {[](SubscriberData& d) { d.adm1 = "1234567"; }, "ADM1"},
      {[](SubscriberData& d) { d.msisdn = "+49 170"; }, "MSISDN"},
  };
  for (const Case& c : cases) {
    SubscriberData data = Subscriber();
    c.change(data);
    absl::StatusOr<std::string> out = t.Personalize(data);
    EXPECT_THAT(out, StatusIs(absl::StatusCode::kInvalidArgument)) << c.field;
    EXPECT_THAT(out.status().message(),
                AllOf(HasSubstr(c.field), Not(HasSubstr("12x4")),
                      Not(HasSubstr("kkkk"))));
  }
}

TEST(PersonalizationTest, ValuesTheTemplateCannotHoldAreRefused) {
  TemplateOptions options;
  options.msisdn_file = false;
  const Template t = MakeTemplate(options);
  SubscriberData data = Subscriber();
  data.msisdn = "+491701234567";
  EXPECT_THAT(t.Personalize(data),
              AllOf(StatusIs(absl::StatusCode::kFailedPrecondition)));
  EXPECT_THAT(t.Personalize(data).status().message(),
              HasSubstr("MSISDN is given but the template has no EF.MSISDN"));
}

TEST(PersonalizationTest, TemplateMustHaveTheMandatoryFields) {
  ASSERT_OK_AND_ASSIGN(std::string upp, BuildTemplate());
  ASSERT_OK_AND_ASSIGN(ProfilePackage p, DecodeProfilePackage(upp));
  auto without = [&](PeType type) {
    for (const ProfileElement& e : p.elements) {
      if (e.type == type) {
        std::string out = upp;
        out.erase(e.range.offset, e.range.length);
        return out;
      }
    }
    return upp;
  };
  EXPECT_THAT(Template::Create(without(PeType::kUsim)).status().message(),
              HasSubstr("EF.IMSI"));
  EXPECT_THAT(Template::Create(without(PeType::kMf)).status().message(),
              HasSubstr("EF.ICCID"));
  EXPECT_THAT(Template::Create(without(PeType::kAkaParameter)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(Template::Create(upp.substr(1)),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(PersonalizationTest, ReadRefusesDifferentIccids) {
  ASSERT_OK_AND_ASSIGN(std::string upp, BuildTemplate());
  ASSERT_OK_AND_ASSIGN(ProfilePackage p, DecodeProfilePackage(upp));
  const ByteRange ef = p.ef_iccid[0].content->value;
  upp.replace(ef.offset, ef.length, *EncodeIccidFile("8949449999999990171"));
  EXPECT_THAT(ReadSubscriberData(upp, p).status().message(),
              HasSubstr("differs from the header ICCID"));
  EXPECT_THAT(ReadSubscriberData(upp + "x", p),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(PersonalizationTest, ConcurrentPersonalization) {
  const Template t = MakeTemplate();
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int w = 0; w < 4; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < 200; ++i) {
        SubscriberData data = Subscriber();
        data.imsi = absl::StrCat("26201", 1000000000 + w * 1000 + i);
        absl::StatusOr<std::string> upp = t.Personalize(data);
        if (!upp.ok() || ReadBack(*upp).imsi != data.imsi) ++failures[w];
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(failures, std::vector<int>(4, 0));
}

TEST(PersonalizationTest, WipeSecret) {
  std::string s = "0123456789abcdef0123456789";
  s.resize(4);
  WipeSecret(&s);
  EXPECT_TRUE(s.empty());
  s.resize(s.capacity());
  EXPECT_EQ(s.find_first_not_of('\0'), std::string::npos);
}

}  // namespace
}  // namespace smdp::profiles::saip
