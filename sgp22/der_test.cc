#include "sgp22/der.h"

#include <string>

#include "absl/strings/escaping.h"
#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace smdp::sgp22::der {
namespace {

using ::testing::HasSubstr;

std::string Hex(absl::string_view hex) { return absl::HexStringToBytes(hex); }
std::string ToHex(absl::string_view bytes) {
  return absl::AsciiStrToUpper(absl::BytesToHexString(bytes));
}

// Tags ----------------------------------------------------------------------

TEST(TagTest, MakeTagMatchesSgp22Tags) {
  EXPECT_EQ(ContextTag(0), 0x80u);
  EXPECT_EQ(ContextTag(2, true), 0xA2u);
  EXPECT_EQ(ContextTag(25), 0x99u);
  EXPECT_EQ(ContextTag(34, true), 0xBF22u);
  EXPECT_EQ(ContextTag(65, true), 0xBF41u);
  EXPECT_EQ(ApplicationTag(26), 0x5Au);
  EXPECT_EQ(ApplicationTag(55), 0x5F37u);
  EXPECT_EQ(ApplicationTag(73), 0x5F49u);
  EXPECT_EQ(ApplicationTag(33, true), 0x7F21u);
  EXPECT_EQ(ContextTag(112), 0x9F70u);
  EXPECT_EQ(ContextTag(200), 0x9F8148u);
  EXPECT_EQ(ContextTag(kMaxTagNumber), 0x9FFFFF7Fu);
}

TEST(TagTest, Accessors) {
  EXPECT_EQ(TagSize(0x30), 1u);
  EXPECT_EQ(TagSize(0xBF22), 2u);
  EXPECT_EQ(TagSize(0x9F8148), 3u);
  EXPECT_EQ(TagNumber(0xBF22), 34u);
  EXPECT_EQ(TagNumber(0x9F8148), 200u);
  EXPECT_EQ(TagNumber(0x5A), 26u);
  EXPECT_TRUE(IsConstructed(0xBF22));
  EXPECT_FALSE(IsConstructed(0x5F37));
  EXPECT_EQ(TagClassOf(0x5F37), TagClass::kApplication);
  EXPECT_EQ(TagClassOf(0xBF22), TagClass::kContextSpecific);
  EXPECT_EQ(TagClassOf(0x30), TagClass::kUniversal);
  EXPECT_EQ(TagClassOf(0xE3), TagClass::kPrivate);
  EXPECT_EQ(TagToString(0xBF22), "BF22");
  EXPECT_EQ(TagToString(0x04), "04");
}

// ParseTlv --------------------------------------------------------------------

TEST(ParseTlvTest, ReadsTagValueAndRaw) {
  const std::string in =
      Hex("BF2203820102"
          "FF");
  absl::string_view rest = in;
  absl::StatusOr<Tlv> tlv = ParseTlv(&rest);
  ASSERT_TRUE(tlv.ok()) << tlv.status();
  EXPECT_EQ(tlv->tag, 0xBF22u);
  EXPECT_EQ(ToHex(tlv->value), "820102");
  EXPECT_EQ(ToHex(tlv->raw), "BF2203820102");
  EXPECT_EQ(tlv->header_size(), 3u);
  EXPECT_EQ(rest.size(), 1u);
  // No copy: the views point into the input.
  EXPECT_EQ(tlv->raw.data(), in.data());
}

TEST(ParseTlvTest, LongFormLengths) {
  std::string in = Hex("0481") + std::string(1, '\x80') + std::string(128, 'a');
  absl::string_view rest = in;
  absl::StatusOr<Tlv> tlv = ParseTlv(&rest);
  ASSERT_TRUE(tlv.ok()) << tlv.status();
  EXPECT_EQ(tlv->value.size(), 128u);

  in = Hex("04820100") + std::string(256, 'b');
  rest = in;
  tlv = ParseTlv(&rest);
  ASSERT_TRUE(tlv.ok()) << tlv.status();
  EXPECT_EQ(tlv->value.size(), 256u);
}

struct BadHeader {
  const char* name;
  const char* hex;
  const char* error;
};

class ParseTlvRejectTest : public ::testing::TestWithParam<BadHeader> {};

TEST_P(ParseTlvRejectTest, Rejects) {
  const std::string in = Hex(GetParam().hex);
  absl::string_view rest = in;
  absl::StatusOr<Tlv> tlv = ParseTlv(&rest);
  ASSERT_FALSE(tlv.ok());
  EXPECT_EQ(tlv.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(tlv.status().message(), HasSubstr(GetParam().error));
  EXPECT_EQ(rest.size(), in.size()) << "input must be left unchanged";
}

INSTANTIATE_TEST_SUITE_P(
    Headers, ParseTlvRejectTest,
    ::testing::Values(
        BadHeader{"Empty", "", "truncated"},
        BadHeader{"NoLength", "04", "truncated"},
        BadHeader{"TruncatedValue", "040301", "exceeds"},
        BadHeader{"Indefinite", "30800000", "indefinite"},
        BadHeader{"LongFormBelow128", "04817F", "long form"},
        BadHeader{"LeadingZeroLength", "0482007F", "leading zero"},
        BadHeader{"LeadingZeroLength2", "048200FF", "leading zero"},
        BadHeader{"FiveLengthBytes", "04850100000000", "longer than 4"},
        BadHeader{"TruncatedLengthBytes", "048201", "truncated length"},
        BadHeader{"HighTagBelow31", "9F1E00", "below 31"},
        BadHeader{"HighTagLeading80", "9F800100", "not minimally"},
        BadHeader{"TagTooLong", "9F8181810100", "longer than 4"},
        BadHeader{"TruncatedTag", "BF", "truncated tag"},
        BadHeader{"HugeLength", "0484FFFFFFFF00", "exceeds"}),
    [](const auto& info) { return std::string(info.param.name); });

// ValidateDer
// -------------------------------------------------------------------

TEST(ValidateDerTest, AcceptsNestedStructures) {
  // A1 01 05: the contents "05" are a truncated TLV.
  EXPECT_FALSE(ValidateDer(Hex("3006020101A10105")).ok());
  EXPECT_TRUE(ValidateDer(Hex("3007020101A1020500")).ok());
  EXPECT_TRUE(ValidateDer("").ok());
}

TEST(ValidateDerTest, RejectsTrailingGarbageInsideConstructed) {
  absl::Status s = ValidateDer(Hex("3004020101FF"));
  EXPECT_FALSE(s.ok());
}

TEST(ValidateDerTest, UniversalRules) {
  EXPECT_FALSE(ValidateDer(Hex("010101")).ok());  // BOOLEAN 01
  EXPECT_TRUE(ValidateDer(Hex("0101FF")).ok());
  EXPECT_FALSE(ValidateDer(Hex("02020001")).ok());  // INTEGER 00 01
  EXPECT_FALSE(ValidateDer(Hex("0202FF80")).ok());  // INTEGER FF 80
  EXPECT_FALSE(ValidateDer(Hex("0200")).ok());      // empty INTEGER
  EXPECT_FALSE(ValidateDer(Hex("0A020001")).ok());  // ENUMERATED
  EXPECT_FALSE(ValidateDer(Hex("050100")).ok());    // NULL with contents
  EXPECT_FALSE(ValidateDer(Hex("030208FF")).ok());  // 8 unused bits
  EXPECT_FALSE(ValidateDer(Hex("030201FF")).ok());  // unused bit set
  EXPECT_TRUE(ValidateDer(Hex("030201FE")).ok());
  EXPECT_FALSE(ValidateDer(Hex("0603808001")).ok());  // OID 80 prefix
  EXPECT_FALSE(ValidateDer(Hex("2403040100")).ok());  // constructed OCTETS
  EXPECT_FALSE(ValidateDer(Hex("1000")).ok());        // primitive SEQUENCE
  EXPECT_FALSE(ValidateDer(Hex("0000")).ok());        // end-of-contents
  // Context and application tags carry no universal rule.
  EXPECT_TRUE(ValidateDer(Hex("800100")).ok());
}

std::string Nest(int levels) {
  // `levels` nested 30 TLVs around an empty one, built inside-out.
  std::string der;
  for (int i = 0; i < levels; ++i) {
    der = EncodeTlv(kSequence, der);
  }
  return der;
}

TEST(ValidateDerTest, DepthLimit) {
  EXPECT_TRUE(ValidateDer(Nest(kMaxDepth)).ok());
  absl::Status s = ValidateDer(Nest(kMaxDepth + 1));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("nested deeper"));
}

TEST(ValidateDerTest, TenThousandNestedTagsAreRefusedWithoutRecursion) {
  // 10,000 nested A0 headers with long-form lengths, the innermost empty.
  std::string der;
  for (int i = 0; i < 10000; ++i) der = EncodeTlv(ContextTag(0, true), der);
  absl::Status s = ValidateDer(der);
  EXPECT_THAT(s.message(), HasSubstr("nested deeper"));
  // Also as a truncated stream of headers only.
  std::string headers;
  for (int i = 0; i < 10000; ++i) headers += Hex("3084000F0000");
  EXPECT_FALSE(ValidateDer(headers).ok());
}

TEST(ParseSingleTlvTest, TrailingBytesAndTag) {
  EXPECT_TRUE(ParseSingleTlv(Hex("0400")).ok());
  absl::StatusOr<Tlv> t = ParseSingleTlv(Hex("040000"));
  EXPECT_THAT(t.status().message(), HasSubstr("trailing"));
  t = ParseSingleTlv(Hex("0400"), 0x30, "Thing");
  EXPECT_THAT(t.status().message(),
              HasSubstr("Thing: expected tag 30, got 04"));
}

// Reader
// ------------------------------------------------------------------------

TEST(ReaderTest, MandatoryOptionalAndExtensions) {
  // SEQUENCE { [0] 01, [2] 02, [5] 05 (unknown extension) }
  const std::string in =
      Hex("800101"
          "820102"
          "850105");
  Reader r(in, 1, "Thing");
  ASSERT_TRUE(r.Next(ContextTag(0), "a").ok());
  absl::StatusOr<std::optional<Tlv>> b = r.Optional(ContextTag(1));
  ASSERT_TRUE(b.ok());
  EXPECT_FALSE(b->has_value());
  absl::StatusOr<std::optional<Tlv>> c = r.Optional(ContextTag(2));
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c->has_value());
  EXPECT_EQ(ToHex((*c)->value), "02");
  EXPECT_FALSE(r.Finish().ok());
  absl::StatusOr<std::vector<Tlv>> ext = r.FinishExtensible();
  ASSERT_TRUE(ext.ok()) << ext.status();
  ASSERT_EQ(ext->size(), 1u);
  EXPECT_EQ((*ext)[0].tag, 0x85u);
}

TEST(ReaderTest, MissingMandatoryFieldIsNamed) {
  const std::string in = Hex("820102");
  Reader r(in, 1, "Thing");
  absl::StatusOr<Tlv> a = r.Next(ContextTag(0), "alpha");
  EXPECT_EQ(a.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(a.status().message(),
              HasSubstr("Thing.alpha: mandatory field missing"));
  Reader empty("", 1, "Thing");
  EXPECT_THAT(empty.Next(ContextTag(0), "alpha").status().message(),
              HasSubstr("Thing.alpha: mandatory field missing"));
}

TEST(ReaderTest, KnownFieldAfterExtensionIsRefused) {
  // [0], unknown [5], then [0] again.
  const std::string in =
      Hex("800101"
          "850105"
          "800101");
  Reader r(in, 1, "Thing");
  ASSERT_TRUE(r.Next(ContextTag(0), "a").ok());
  absl::StatusOr<std::vector<Tlv>> ext = r.FinishExtensible();
  EXPECT_THAT(ext.status().message(), HasSubstr("repeated or out of order"));
}

TEST(ReaderTest, ChildDepthLimit) {
  const std::string in = Hex("3000");
  Reader r(in, kMaxDepth - 1, "Deep");
  absl::StatusOr<Tlv> t = r.Next();
  ASSERT_TRUE(t.ok());
  EXPECT_FALSE(r.Child(*t, "x").ok());
  Reader shallow(in, 1, "Shallow");
  t = shallow.Next();
  EXPECT_TRUE(shallow.Child(*t, "x").ok());
  // Primitive TLVs have no children.
  const std::string prim = Hex("0400");
  Reader p(prim, 1, "P");
  t = p.Next();
  EXPECT_THAT(p.Child(*t, "x").status().message(),
              HasSubstr("not constructed"));
}

// Writer
// ------------------------------------------------------------------------

TEST(WriterTest, MinimalLengthsAndNesting) {
  Writer w;
  w.Constructed(0xBF20, [](Writer& w) {
    w.Add(ContextTag(2), Hex("020200"));
    w.Constructed(ContextTag(9, true), [](Writer& w) {
      w.Add(kOctetString, std::string(20, '\x11'));
    });
  });
  const std::string out = std::move(w).Finish();
  EXPECT_EQ(ToHex(out),
            "BF201D820302020"
            "0A916"
            "0414" +
                std::string(40, '1'));
  EXPECT_TRUE(ParseSingleTlv(out).ok());
}

TEST(WriterTest, LengthBoundaries) {
  for (size_t n : {0u, 1u, 127u, 128u, 255u, 256u, 65535u, 65536u, 70000u}) {
    Writer w;
    w.Constructed(kSequence, [&](Writer& w) {
      w.AddRaw(std::string(n, '\0'));  // n bytes of "00 00" pairs are not TLVs
    });
    const std::string out = std::move(w).Finish();
    std::string expected;
    AppendTag(kSequence, &expected);
    AppendLength(n, &expected);
    EXPECT_EQ(out.size(), expected.size() + n) << n;
    EXPECT_EQ(out.substr(0, expected.size()), expected) << n;
    absl::string_view rest = out;
    absl::StatusOr<Tlv> t = ParseTlv(&rest);
    ASSERT_TRUE(t.ok()) << n << " " << t.status();
    EXPECT_EQ(t->value.size(), n);
    EXPECT_EQ(LengthSize(n), expected.size() - 1);
    EXPECT_EQ(TlvSize(kSequence, n), out.size());
  }
}

TEST(WriterTest, AddHeaderMatchesConstructed) {
  const std::string inner = EncodeTlv(ContextTag(6), std::string(300, 'x'));
  Writer a;
  a.Constructed(ContextTag(3, true), [&](Writer& w) { w.AddRaw(inner); });
  Writer b;
  b.AddHeader(ContextTag(3, true), inner.size()).AddRaw(inner);
  EXPECT_EQ(std::move(a).Finish(), std::move(b).Finish());
}

TEST(WriterTest, FinishClosesOpenTlvs) {
  Writer w;
  w.Begin(kSequence).Begin(ContextTag(0, true)).AddBoolean(true);
  EXPECT_EQ(ToHex(std::move(w).Finish()), "3005A0030101FF");
}

// Universal types
// -----------------------------------------------------------------

TEST(IntegerTest, EncodeMinimal) {
  EXPECT_EQ(ToHex(EncodeIntegerContents(0)), "00");
  EXPECT_EQ(ToHex(EncodeIntegerContents(127)), "7F");
  EXPECT_EQ(ToHex(EncodeIntegerContents(128)), "0080");
  EXPECT_EQ(ToHex(EncodeIntegerContents(256)), "0100");
  EXPECT_EQ(ToHex(EncodeIntegerContents(-1)), "FF");
  EXPECT_EQ(ToHex(EncodeIntegerContents(-128)), "80");
  EXPECT_EQ(ToHex(EncodeIntegerContents(-129)), "FF7F");
  EXPECT_EQ(ToHex(EncodeIntegerContents(INT64_MAX)), "7FFFFFFFFFFFFFFF");
  EXPECT_EQ(ToHex(EncodeIntegerContents(INT64_MIN)), "8000000000000000");
}

TEST(IntegerTest, DecodeRoundTripAndStrictness) {
  for (int64_t v :
       {int64_t{0}, int64_t{1}, int64_t{127}, int64_t{128}, int64_t{-1},
        int64_t{-128}, int64_t{-129}, int64_t{65535}, INT64_MAX, INT64_MIN}) {
    absl::StatusOr<int64_t> d = DecodeInteger(EncodeIntegerContents(v));
    ASSERT_TRUE(d.ok()) << v;
    EXPECT_EQ(*d, v);
  }
  EXPECT_FALSE(DecodeInteger("").ok());
  EXPECT_FALSE(DecodeInteger(Hex("007F")).ok());
  EXPECT_FALSE(DecodeInteger(Hex("FF80")).ok());
  EXPECT_FALSE(DecodeInteger(Hex("010000000000000000")).ok());  // 9 bytes
  EXPECT_FALSE(DecodeNonNegativeInteger(Hex("FF")).ok());
  EXPECT_TRUE(CheckIntegerContents(Hex("00FF00000000000000000000")).ok());
}

TEST(BooleanTest, DerOnly) {
  EXPECT_TRUE(*DecodeBoolean(Hex("FF")));
  EXPECT_FALSE(*DecodeBoolean(Hex("00")));
  EXPECT_FALSE(DecodeBoolean(Hex("01")).ok());
  EXPECT_FALSE(DecodeBoolean(Hex("FFFF")).ok());
  EXPECT_FALSE(DecodeBoolean("").ok());
  Writer w;
  w.AddBoolean(true).AddBoolean(false, ContextTag(1));
  EXPECT_EQ(ToHex(std::move(w).Finish()), "0101FF810100");
}

TEST(Utf8Test, Validation) {
  EXPECT_TRUE(ValidateUtf8("smdp.example.com").ok());
  EXPECT_TRUE(ValidateUtf8("Gr\xC3\xBC\xC3\x9F"
                           "e \xE2\x82\xAC \xF0\x9F\x98\x80")
                  .ok());
  EXPECT_FALSE(ValidateUtf8("\xC0\xAF").ok());          // overlong '/'
  EXPECT_FALSE(ValidateUtf8("\xE0\x80\xAF").ok());      // overlong
  EXPECT_FALSE(ValidateUtf8("\xED\xA0\x80").ok());      // surrogate
  EXPECT_FALSE(ValidateUtf8("\xF4\x90\x80\x80").ok());  // > U+10FFFF
  EXPECT_FALSE(ValidateUtf8("\xE2\x82").ok());          // truncated
  EXPECT_FALSE(ValidateUtf8("\x80").ok());              // bare continuation
  EXPECT_FALSE(ValidateUtf8("\xFF").ok());
}

TEST(TimeTest, X509Forms) {
  absl::StatusOr<absl::Time> t = DecodeUtcTime("200426125959Z");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(*t, absl::FromCivil(absl::CivilSecond(2020, 4, 26, 12, 59, 59),
                                absl::UTCTimeZone()));
  t = DecodeUtcTime("500101000000Z");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(absl::ToCivilYear(*t, absl::UTCTimeZone()).year(), 1950);
  t = DecodeGeneralizedTime("20541231235959Z");
  ASSERT_TRUE(t.ok());
  EXPECT_FALSE(DecodeUtcTime("2004261259Z").ok());        // no seconds
  EXPECT_FALSE(DecodeUtcTime("200426125959+0100").ok());  // offset
  EXPECT_FALSE(DecodeUtcTime("201326125959Z").ok());      // month 13
  EXPECT_FALSE(DecodeUtcTime("200230125959Z").ok());      // Feb 30
  EXPECT_FALSE(DecodeGeneralizedTime("20541231235959.5Z").ok());
}

TEST(BitStringTest, NamedBits) {
  BitString b = BitString::FromBits({0, 2});
  EXPECT_EQ(ToHex(b.Encode()), "05A0");
  EXPECT_TRUE(b.Get(0));
  EXPECT_FALSE(b.Get(1));
  EXPECT_TRUE(b.Get(2));
  EXPECT_FALSE(b.Get(100));
  EXPECT_EQ(b.size(), 3u);
  b.Set(2, false);
  EXPECT_EQ(ToHex(b.Encode()), "0780");
  b.Set(0, false);
  EXPECT_EQ(ToHex(b.Encode()), "00");
  EXPECT_TRUE(b.empty());
  b.Set(17);
  EXPECT_EQ(ToHex(b.Encode()), "06000040");
}

TEST(BitStringTest, DecodeStrict) {
  absl::StatusOr<BitString> b = BitString::Decode(Hex("067F36C0"));
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->size(), 18u);
  EXPECT_TRUE(b->Get(1));
  EXPECT_FALSE(b->Get(0));
  EXPECT_TRUE(b->Get(17));
  EXPECT_EQ(ToHex(b->Encode()), "067F36C0");
  EXPECT_TRUE(BitString::Decode(Hex("00")).ok());
  EXPECT_FALSE(BitString::Decode("").ok());
  EXPECT_FALSE(BitString::Decode(Hex("01")).ok());
  EXPECT_FALSE(BitString::Decode(Hex("0880")).ok());
  EXPECT_FALSE(BitString::Decode(Hex("07C0")).ok());
  EXPECT_EQ(ToHex(BitString::FromBytes(Hex("FF"), 4).Encode()), "04F0");
}

TEST(OidTest, DottedRoundTrip) {
  for (const char* s :
       {"2.23.146.1.2.1.3", "1.3.6.1.4.1.31746", "1.2.840.10045.3.1.7",
        "1.3.36.3.3.2.8.1.1.7", "2.999.1", "0.0", "2.23.146.1.2.2.0",
        "1.2.18446744073709551615"}) {
    absl::StatusOr<Oid> oid = Oid::FromString(s);
    ASSERT_TRUE(oid.ok()) << s << " " << oid.status();
    EXPECT_EQ(oid->ToString(), s);
    absl::StatusOr<Oid> back = Oid::FromContents(oid->contents());
    ASSERT_TRUE(back.ok()) << s;
    EXPECT_EQ(*back, *oid);
  }
  EXPECT_EQ(ToHex(Oid::FromString("1.2.840.10045.3.1.7")->contents()),
            "2A8648CE3D030107");
  EXPECT_EQ(ToHex(Oid::FromString("2.999.1")->contents()), "883701");
}

TEST(OidTest, Rejects) {
  EXPECT_FALSE(Oid::FromString("1").ok());
  EXPECT_FALSE(Oid::FromString("3.1").ok());
  EXPECT_FALSE(Oid::FromString("1.40").ok());
  EXPECT_FALSE(Oid::FromString("1..2").ok());
  EXPECT_FALSE(Oid::FromString("1.02").ok());
  EXPECT_FALSE(Oid::FromString("1.2.x").ok());
  EXPECT_FALSE(Oid::FromString("1.2.18446744073709551616").ok());
  EXPECT_FALSE(Oid::FromContents("").ok());
  EXPECT_FALSE(Oid::FromContents(Hex("2A86")).ok());    // truncated arc
  EXPECT_FALSE(Oid::FromContents(Hex("2A8001")).ok());  // non-minimal arc
  EXPECT_FALSE(Oid::FromContents(Hex("2A82808080808080808000")).ok());
  EXPECT_TRUE(Oid::FromContents(Hex("2A81FFFFFFFFFFFFFFFF7F")).ok());
}

}  // namespace
}  // namespace smdp::sgp22::der
