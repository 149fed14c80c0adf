#include "profiles/saip/profile_package.h"

#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hsm/internal/test_util.h"
#include "profiles/saip/coding.h"
#include "profiles/saip/template_builder.h"
#include "sgp22/der.h"

namespace smdp::profiles::saip {
namespace {

namespace der = ::smdp::sgp22::der;
using ::smdp::hsm::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string Bytes(absl::string_view hex) { return absl::HexStringToBytes(hex); }

std::string Template() {
  absl::StatusOr<std::string> upp = BuildTemplate();
  EXPECT_TRUE(upp.ok()) << upp.status();
  return upp.ok() ? *upp : "";
}

ProfilePackage Decoded(const std::string& upp) {
  absl::StatusOr<ProfilePackage> p = DecodeProfilePackage(upp);
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? *p : ProfilePackage();
}

// `upp` with the bytes of `range` replaced by `with`.
std::string Replace(const std::string& upp, ByteRange range,
                    absl::string_view with) {
  std::string out = upp;
  out.replace(range.offset, range.length, with.data(), with.size());
  return out;
}

// The bytes of PE number `i`.
std::string PeBytes(const std::string& upp, size_t i) {
  return std::string(Decoded(upp).elements[i].range.In(upp));
}

size_t IndexOf(const ProfilePackage& p, PeType type) {
  for (size_t i = 0; i < p.elements.size(); ++i) {
    if (p.elements[i].type == type) return i;
  }
  return p.elements.size();
}

// A PE of `type` whose contents are `contents`.
std::string Pe(PeType type, absl::string_view contents) {
  return der::EncodeTlv(der::ContextTag(static_cast<uint32_t>(type), true),
                        contents);
}
const std::string kPeHeader = Bytes("a003810163");  // identification 99

// The template with `pe` inserted before the end PE.
std::string WithPeBeforeEnd(absl::string_view pe) {
  std::string upp = Template();
  const ProfilePackage p = Decoded(upp);
  upp.insert(p.elements.back().range.offset, pe.data(), pe.size());
  return upp;
}

absl::Status DecodeStatus(absl::string_view upp,
                          const DecodeOptions& options = {}) {
  return DecodeProfilePackage(upp, options).status();
}

TEST(ProfilePackageTest, DecodesOurTemplate) {
  const std::string upp = Template();
  ASSERT_OK_AND_ASSIGN(ProfilePackage p, DecodeProfilePackage(upp));
  std::vector<PeType> types;
  for (const ProfileElement& e : p.elements) {
    EXPECT_TRUE(e.known);
    types.push_back(e.type);
  }
  EXPECT_THAT(types,
              ElementsAre(PeType::kHeader, PeType::kMf, PeType::kPukCodes,
                          PeType::kPinCodes, PeType::kUsim, PeType::kOptUsim,
                          PeType::kPinCodes, PeType::kAkaParameter,
                          PeType::kSecurityDomain, PeType::kEnd));
  EXPECT_FALSE(p.elements[0].identification.has_value());
  for (size_t i = 1; i < p.elements.size(); ++i) {
    EXPECT_EQ(p.elements[i].identification, i);
  }
  EXPECT_EQ(p.elements.back().range.end(), upp.size());
  EXPECT_EQ(p.size, upp.size());
  EXPECT_EQ(p.unknown_elements, 0u);
  EXPECT_EQ(p.header.major_version, 2u);
  EXPECT_EQ(p.header.minor_version, 3u);
  EXPECT_EQ(p.header.profile_type, "smdp-test-template");

  std::string iccid = "898821000000000000";
  iccid.push_back(static_cast<char>('0' + LuhnCheckDigit(iccid)));
  ASSERT_TRUE(HasValidLuhn(iccid));
  EXPECT_EQ(p.header.iccid.value.In(upp), *EncodeIccidHeader(iccid));
  EXPECT_EQ(p.header.iccid.tlv.In(upp)[0], '\x83');
  ASSERT_EQ(p.ef_iccid.size(), 1u);
  ASSERT_TRUE(p.ef_iccid[0].content.has_value());
  EXPECT_EQ(p.ef_iccid[0].content->value.In(upp), *EncodeIccidFile(iccid));
  EXPECT_EQ(p.ef_iccid[0].pe_index, 1u);
  ASSERT_EQ(p.ef_imsi.size(), 1u);
  EXPECT_EQ(p.ef_imsi[0].content->value.In(upp),
            *EncodeImsiFile("001010000000000"));
  ASSERT_EQ(p.ef_acc.size(), 1u);
  EXPECT_EQ(p.ef_acc[0].content->value.In(upp), Bytes("0001"));
  ASSERT_EQ(p.ef_msisdn.size(), 1u);
  EXPECT_EQ(p.ef_msisdn[0].record_length, 28u);
  EXPECT_TRUE(p.ef_msisdn[0].fcp.has_value());
  EXPECT_EQ(p.ef_msisdn[0].fill_elements, 1u);

  ASSERT_EQ(p.algorithms.size(), 1u);
  EXPECT_EQ(p.algorithms[0].algorithm_id, kAlgorithmMilenage);
  EXPECT_EQ(p.algorithms[0].key.value.In(upp), std::string(16, '\0'));
  EXPECT_EQ(p.algorithms[0].opc.value.In(upp), std::string(16, '\0'));
  EXPECT_EQ(p.algorithms[0].pe_index, 7u);

  ASSERT_EQ(p.pins.size(), 3u);
  EXPECT_EQ(p.pins[0].key_reference, kKeyRefPin1);
  EXPECT_EQ(p.pins[1].key_reference, kKeyRefAdm1);
  EXPECT_EQ(p.pins[2].key_reference, kKeyRefPin2);
  EXPECT_EQ(p.pins[2].pe_index, 6u);
  EXPECT_EQ(p.pins[0].value.value.In(upp), Bytes("30303030ffffffff"));
  ASSERT_EQ(p.puks.size(), 2u);
  EXPECT_EQ(p.puks[1].key_reference, kKeyRefPuk2);
  EXPECT_EQ(p.puks[1].value.value.In(upp), "00000000");
}

TEST(ProfilePackageTest, OptionalPartsAndLargeTemplates) {
  TemplateOptions options;
  options.msisdn_file = false;
  options.security_domain = false;
  options.algorithm = kAlgorithmTuak;
  options.filler_bytes = 100000;
  options.values.ki = std::string(32, '\x01');
  options.values.opc = std::string(32, '\x02');
  ASSERT_OK_AND_ASSIGN(std::string upp, BuildTemplate(options));
  EXPECT_GT(upp.size(), 100000u);
  ASSERT_OK_AND_ASSIGN(ProfilePackage p, DecodeProfilePackage(upp));
  EXPECT_TRUE(p.ef_msisdn.empty());
  EXPECT_EQ(IndexOf(p, PeType::kSecurityDomain), p.elements.size());
  EXPECT_LT(IndexOf(p, PeType::kGenericFileManagement), p.elements.size());
  EXPECT_EQ(p.algorithms[0].algorithm_id, kAlgorithmTuak);
  EXPECT_EQ(p.algorithms[0].key.value.length, 32u);

  options.algorithm = 7;
  EXPECT_THAT(BuildTemplate(options),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ProfilePackageTest, EveryTruncationIsRefused) {
  const std::string upp = Template();
  for (size_t n = 0; n < upp.size(); ++n) {
    EXPECT_THAT(DecodeStatus(upp.substr(0, n)),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << "prefix of " << n << " bytes";
  }
}

TEST(ProfilePackageTest, EmptyAndOversize) {
  EXPECT_THAT(DecodeStatus(""), StatusIs(absl::StatusCode::kInvalidArgument));
  const std::string upp = Template();
  DecodeOptions small;
  small.max_size = upp.size() - 1;
  EXPECT_THAT(DecodeStatus(upp, small),
              AllOf(StatusIs(absl::StatusCode::kInvalidArgument)));
  EXPECT_THAT(DecodeStatus(upp, small).message(), HasSubstr("limit"));
}

TEST(ProfilePackageTest, HeaderMustBeFirstAndUnique) {
  const std::string upp = Template();
  const ProfilePackage p = Decoded(upp);
  const std::string header = PeBytes(upp, 0);
  const std::string mf = PeBytes(upp, 1);
  std::string swapped = mf + header + upp.substr(p.elements[1].range.end());
  EXPECT_THAT(DecodeStatus(swapped).message(),
              HasSubstr("the first PE must be the header"));
  std::string twice = header + header + upp.substr(header.size());
  EXPECT_THAT(DecodeStatus(twice).message(), HasSubstr("a second header PE"));
}

TEST(ProfilePackageTest, EndMustBeLastAndPresent) {
  const std::string upp = Template();
  const ProfilePackage p = Decoded(upp);
  const std::string without_end = upp.substr(0, p.elements.back().range.offset);
  EXPECT_THAT(DecodeStatus(without_end).message(), HasSubstr("no end PE"));
  EXPECT_THAT(DecodeStatus(upp + PeBytes(upp, 1)).message(),
              HasSubstr("PE after the end PE"));
  EXPECT_THAT(DecodeStatus(upp + PeBytes(upp, p.elements.size() - 1)).message(),
              HasSubstr("PE after the end PE"));
}

TEST(ProfilePackageTest, UnknownElementsAreSkippedOrRefused) {
  // [48] (a later PE type) and rfu1 [11].
  const std::string upp =
      WithPeBeforeEnd(der::EncodeTlv(der::ContextTag(48, true), kPeHeader) +
                      Pe(static_cast<PeType>(11), ""));
  ASSERT_OK_AND_ASSIGN(ProfilePackage p, DecodeProfilePackage(upp));
  EXPECT_EQ(p.unknown_elements, 2u);
  EXPECT_EQ(p.elements[p.elements.size() - 3].type, static_cast<PeType>(48));
  EXPECT_FALSE(p.elements[p.elements.size() - 3].known);
  EXPECT_EQ(PeTypeName(static_cast<PeType>(48)), "unknown[48]");
  DecodeOptions strict;
  strict.allow_unknown_elements = false;
  EXPECT_THAT(DecodeStatus(upp, strict).message(),
              HasSubstr("unknown ProfileElement type"));
}

TEST(ProfilePackageTest, TopLevelTlvsMustBeProfileElements) {
  EXPECT_THAT(DecodeStatus(WithPeBeforeEnd(Bytes("8000"))).message(),
              HasSubstr("tag 80 is not a ProfileElement"));
  EXPECT_THAT(DecodeStatus(WithPeBeforeEnd(Bytes("3000"))).message(),
              HasSubstr("tag 30 is not a ProfileElement"));
  EXPECT_THAT(DecodeStatus(WithPeBeforeEnd(Bytes("6000"))).message(),
              HasSubstr("is not a ProfileElement"));
}

TEST(ProfilePackageTest, BadLengthsAreRefused) {
  const std::string upp = Template();
  const ProfilePackage p = Decoded(upp);
  const ByteRange end = p.elements.back().range;
  const std::string end_pe(end.In(upp));
  // Non-minimal length form.
  std::string long_form = Bytes("aa81") + end_pe.substr(1);
  EXPECT_THAT(DecodeStatus(Replace(upp, end, long_form)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // Indefinite length.
  std::string indefinite = Bytes("aa80") + end_pe.substr(2) + Bytes("0000");
  EXPECT_THAT(DecodeStatus(Replace(upp, end, indefinite)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // A length beyond the input, and an inner length beyond its parent.
  std::string too_long = end_pe;
  too_long[1] = static_cast<char>(too_long[1] + 1);
  EXPECT_THAT(DecodeStatus(Replace(upp, end, too_long)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  std::string inner = end_pe;
  inner[3] = static_cast<char>(inner[3] + 1);
  EXPECT_THAT(DecodeStatus(Replace(upp, end, inner)).message(),
              HasSubstr("PE #9 (end)"));
  // A huge length.
  EXPECT_THAT(DecodeStatus(Replace(upp, end, Bytes("aa84ffffffff"))),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ProfilePackageTest, NestedGarbageIsRefused) {
  // Contents that are not TLVs, trailing junk, and a nesting bomb, in PEs
  // this decoder otherwise only validates as DER.
  EXPECT_THAT(DecodeStatus(WithPeBeforeEnd(Pe(PeType::kRfm, Bytes("a00381"))))
                  .message(),
              HasSubstr("PE #9 (rfm)"));
  EXPECT_THAT(DecodeStatus(WithPeBeforeEnd(
                  Pe(PeType::kApplication, kPeHeader + Bytes("ff")))),
              StatusIs(absl::StatusCode::kInvalidArgument));
  std::string bomb = Bytes("0400");
  for (int i = 0; i < 40; ++i) bomb = der::EncodeTlv(0xA1, bomb);
  EXPECT_THAT(
      DecodeStatus(WithPeBeforeEnd(Pe(PeType::kApplication, kPeHeader + bomb))),
      StatusIs(absl::StatusCode::kInvalidArgument));
  // Universal types are checked too (a BOOLEAN of 02).
  EXPECT_THAT(DecodeStatus(WithPeBeforeEnd(
                  Pe(PeType::kApplication, kPeHeader + Bytes("010102")))),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ProfilePackageTest, KnownPesNeedTheirPeHeader) {
  EXPECT_THAT(DecodeStatus(
                  WithPeBeforeEnd(Pe(PeType::kSecurityDomain, Bytes("810105"))))
                  .message(),
              HasSubstr("PEHeader"));
  // identification above UInt15, mandated with contents.
  EXPECT_THAT(
      DecodeStatus(WithPeBeforeEnd(Pe(PeType::kRfm, Bytes("a0058103008000"))))
          .message(),
      HasSubstr("identification"));
  EXPECT_THAT(
      DecodeStatus(WithPeBeforeEnd(Pe(PeType::kRfm, Bytes("a006800101810101"))))
          .message(),
      HasSubstr("mandated"));
  ASSERT_OK_AND_ASSIGN(
      ProfilePackage p,
      DecodeProfilePackage(WithPeBeforeEnd(
          Pe(PeType::kNonStandard, Bytes("a005800081017f") + Bytes("0400")))));
  EXPECT_TRUE(p.elements[p.elements.size() - 2].mandated);
  EXPECT_EQ(p.elements[p.elements.size() - 2].identification, 127u);
}

TEST(ProfilePackageTest, HeaderFieldsAreChecked) {
  const std::string upp = Template();
  const ProfilePackage p = Decoded(upp);
  // Rebuild the header TLV around changed contents.
  ASSERT_LT(static_cast<uint8_t>(upp[1]), 0x80);  // short length form
  const std::string header_contents(
      upp.substr(2, p.header.iccid.tlv.offset - 2));
  const std::string rest(
      upp.substr(p.header.iccid.tlv.end(),
                 p.elements[0].range.end() - p.header.iccid.tlv.end()));
  const std::string tail(upp.substr(p.elements[0].range.end()));
  auto with_header = [&](absl::string_view contents) {
    return der::EncodeTlv(0xA0, contents) + tail;
  };
  EXPECT_THAT(DecodeStatus(with_header(header_contents + Bytes("8309") +
                                       std::string(9, '\x11') + rest))
                  .message(),
              HasSubstr("iccid: 9 bytes, expected 10"));
  EXPECT_THAT(DecodeStatus(with_header(header_contents + rest)).message(),
              HasSubstr("iccid"));
  // profileType after the iccid: out of order.
  EXPECT_THAT(DecodeStatus(with_header(header_contents.substr(0, 6) +
                                       std::string(p.header.iccid.tlv.In(upp)) +
                                       header_contents.substr(6) + rest))
                  .message(),
              HasSubstr("PE #0 (header)"));
  EXPECT_OK(DecodeStatus(with_header(
      header_contents + std::string(p.header.iccid.tlv.In(upp)) + rest)));
}

TEST(ProfilePackageTest, CodeAndAlgorithmFieldsAreChecked) {
  // pinValue of 7 bytes.
  std::string pin = Pe(
      PeType::kPinCodes,
      kPeHeader +
          der::EncodeTlv(
              0xA1, der::EncodeTlv(
                        0xA0, der::EncodeTlv(
                                  0x30, Bytes("800101810731323334ffffff")))));
  EXPECT_THAT(DecodeStatus(WithPeBeforeEnd(pin)).message(),
              HasSubstr("pinconfig[0]: value is 7 bytes, expected 8"));
  // Empty pinconfig and pukCodes lists.
  EXPECT_THAT(
      DecodeStatus(
          WithPeBeforeEnd(Pe(PeType::kPinCodes,
                             kPeHeader + der::EncodeTlv(0xA1, Bytes("a000")))))
          .message(),
      HasSubstr("empty"));
  EXPECT_THAT(DecodeStatus(WithPeBeforeEnd(Pe(PeType::kPukCodes,
                                              kPeHeader + Bytes("a100"))))
                  .message(),
              HasSubstr("empty"));
  // filePath instead of pinconfig is fine.
  EXPECT_OK(DecodeStatus(WithPeBeforeEnd(
      Pe(PeType::kPinCodes,
         kPeHeader + der::EncodeTlv(0xA1, Bytes("81027fd0"))))));
  // keyReference not minimal.
  std::string puk = Pe(
      PeType::kPukCodes,
      kPeHeader + der::EncodeTlv(
                      0xA1, der::EncodeTlv(
                                0x30, Bytes("8002000181083132333435363738"))));
  EXPECT_THAT(DecodeStatus(WithPeBeforeEnd(puk)).message(),
              HasSubstr("keyReference"));
  // algoParameter without opc, with a 33-byte key, and a mappingParameter.
  auto aka = [](absl::string_view algo) {
    return Pe(PeType::kAkaParameter,
              kPeHeader + der::EncodeTlv(0xA1, der::EncodeTlv(0xA1, algo)));
  };
  EXPECT_THAT(
      DecodeStatus(WithPeBeforeEnd(aka(Bytes(
                       "800101810100821000000000000000000000000000000000"))))
          .message(),
      HasSubstr("opc"));
  EXPECT_THAT(DecodeStatus(WithPeBeforeEnd(
                               aka(Bytes("800101810100") +
                                   der::EncodeTlv(0x82, std::string(33, 'k')) +
                                   Bytes("8300"))))
                  .message(),
              HasSubstr("longer than 32"));
  ASSERT_OK_AND_ASSIGN(
      ProfilePackage p,
      DecodeProfilePackage(WithPeBeforeEnd(
          Pe(PeType::kAkaParameter,
             kPeHeader +
                 der::EncodeTlv(0xA1, Bytes("a00b8001008106a00000008710"))))));
  EXPECT_EQ(p.algorithms.size(), 1u);  // only the template's
}

TEST(ProfilePackageTest, FileSystemPesAreChecked) {
  const std::string oid = Bytes("8106") + Bytes("67810f010204");
  auto usim = [&](absl::string_view files) {
    return WithPeBeforeEnd(
        Pe(PeType::kUsim, kPeHeader + oid + std::string(files)));
  };
  EXPECT_OK(DecodeStatus(usim(Bytes("a200a3038301ff"))));
  EXPECT_THAT(DecodeStatus(usim(Bytes("a300a200"))).message(),
              HasSubstr("field [2]: out of order or repeated"));
  EXPECT_THAT(DecodeStatus(usim(Bytes("a300a300"))).message(),
              HasSubstr("out of order or repeated"));
  EXPECT_THAT(DecodeStatus(usim(Bytes("a303840100"))).message(),
              HasSubstr("field [3]: unexpected tag 84"));
  EXPECT_THAT(DecodeStatus(usim(Bytes("8300"))).message(),
              HasSubstr("is not a File"));
  EXPECT_THAT(DecodeStatus(usim(Bytes("a3058203010000"))).message(),
              HasSubstr("fillFileOffset is not a UInt16"));
  EXPECT_THAT(DecodeStatus(
                  WithPeBeforeEnd(Pe(PeType::kUsim, kPeHeader + Bytes("8100"))))
                  .message(),
              HasSubstr("templateID"));
  // Content after an offset is not "the content at 0".
  ASSERT_OK_AND_ASSIGN(ProfilePackage p,
                       DecodeProfilePackage(usim(Bytes("a3078201048302aabb"))));
  ASSERT_EQ(p.ef_imsi.size(), 2u);
  EXPECT_FALSE(p.ef_imsi[1].content.has_value());
  EXPECT_EQ(p.ef_imsi[1].fill_elements, 2u);
}

TEST(ProfilePackageTest, RandomCorruptionNeverCrashes) {
  const std::string upp = Template();
  std::mt19937 rng(1234);
  size_t accepted = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string bad = upp;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) {
      bad[rng() % bad.size()] = static_cast<char>(rng());
    }
    absl::StatusOr<ProfilePackage> p = DecodeProfilePackage(bad);
    if (p.ok()) {
      ++accepted;  // a value byte changed: still a valid package
      EXPECT_EQ(p->size, bad.size());
    } else {
      EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
    }
  }
  EXPECT_GT(accepted, 0u);
}

}  // namespace
}  // namespace smdp::profiles::saip
