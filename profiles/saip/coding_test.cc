#include "profiles/saip/coding.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hsm/internal/test_util.h"

namespace smdp::profiles::saip {
namespace {

using ::smdp::hsm::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

std::string Hex(absl::string_view bytes) {
  return absl::BytesToHexString(bytes);
}
std::string Bytes(absl::string_view hex) { return absl::HexStringToBytes(hex); }

TEST(LuhnTest, KnownIccids) {
  // ICCIDs of the public GSMA TS.48 test profiles.
  EXPECT_TRUE(HasValidLuhn("8949449999999990171"));
  EXPECT_TRUE(HasValidLuhn("89000123456789012341"));
  EXPECT_FALSE(HasValidLuhn("8949449999999990172"));
  EXPECT_FALSE(HasValidLuhn("89000123456789012342"));
  EXPECT_EQ(LuhnCheckDigit("894944999999999017"), 1);
  EXPECT_EQ(LuhnCheckDigit("7992739871"), 3);  // the textbook example
  EXPECT_FALSE(HasValidLuhn("1"));
  EXPECT_FALSE(HasValidLuhn("12a4"));
}

TEST(IccidTest, HeaderIsPlainBcdFileIsSwapped) {
  // As in TS.48 v5: header 8949449999999990171F, EF.ICCID 989444...71F1.
  ASSERT_OK_AND_ASSIGN(std::string header,
                       EncodeIccidHeader("8949449999999990171"));
  EXPECT_EQ(Hex(header), "8949449999999990171f");
  ASSERT_OK_AND_ASSIGN(std::string file,
                       EncodeIccidFile("8949449999999990171"));
  EXPECT_EQ(Hex(file), "989444999999990971f1");
  ASSERT_OK_AND_ASSIGN(std::string twenty,
                       EncodeIccidFile("89000123456789012341"));
  EXPECT_EQ(Hex(twenty), "98001032547698103214");

  EXPECT_EQ(*DecodeIccidHeader(header), "8949449999999990171");
  EXPECT_EQ(*DecodeIccidFile(file), "8949449999999990171");
  EXPECT_EQ(*DecodeIccidFile(twenty), "89000123456789012341");
}

TEST(IccidTest, Refused) {
  EXPECT_THAT(EncodeIccidHeader("894944999999999017"),
              StatusIs(absl::StatusCode::kInvalidArgument));  // 18 digits
  EXPECT_THAT(EncodeIccidHeader("894944999999999017123"),
              StatusIs(absl::StatusCode::kInvalidArgument));  // 21
  EXPECT_THAT(EncodeIccidFile("894944999999999017F"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // F inside the digits, a non-BCD nibble, wrong size, too short.
  EXPECT_THAT(DecodeIccidHeader(Bytes("8949f49999999990171f")),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(DecodeIccidHeader(Bytes("8949a49999999990171f")),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(DecodeIccidHeader(Bytes("8949449999999990171f00")),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(DecodeIccidHeader(Bytes("89494499999999901fff")),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ImsiTest, KnownEncodings) {
  // TS.48: 08 09 10 10 10 32 54 06 36 is IMSI 001010123456063.
  ASSERT_OK_AND_ASSIGN(std::string odd, EncodeImsiFile("001010123456063"));
  EXPECT_EQ(Hex(odd), "080910101032540636");
  ASSERT_OK_AND_ASSIGN(std::string even, EncodeImsiFile("00101012345606"));
  EXPECT_EQ(Hex(even), "0801101010325406f6");
  ASSERT_OK_AND_ASSIGN(std::string shortest, EncodeImsiFile("262011"));
  EXPECT_EQ(Hex(shortest), "04212610f1ffffffff");
  for (absl::string_view imsi :
       {"001010123456063", "00101012345606", "262011", "2620112"}) {
    ASSERT_OK_AND_ASSIGN(std::string ef, EncodeImsiFile(imsi));
    EXPECT_EQ(ef.size(), kImsiFileSize);
    EXPECT_EQ(*DecodeImsiFile(ef), imsi);
  }
}

TEST(ImsiTest, Refused) {
  EXPECT_THAT(EncodeImsiFile("26201"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(EncodeImsiFile("2620112345678901"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(EncodeImsiFile("26201x234"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // Parity says even, 15 digits follow.
  EXPECT_THAT(DecodeImsiFile(Bytes("080110101032540636")),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // Length byte beyond the content, zero, or not an IMSI identity.
  EXPECT_THAT(DecodeImsiFile(Bytes("0909101010325406")),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(DecodeImsiFile(Bytes("00")),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(DecodeImsiFile(Bytes("080210101032540636")),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(CodeValueTest, PinPukAdm) {
  EXPECT_EQ(Hex(*EncodeCodeValue("0000", 4)), "30303030ffffffff");
  EXPECT_EQ(Hex(*EncodeCodeValue("12345678", 8)), "3132333435363738");
  EXPECT_EQ(*DecodeCodeValue(Bytes("39393939ffffffff")), "9999");
  EXPECT_THAT(EncodeCodeValue("123", 4),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(EncodeCodeValue("1234567", 8),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(EncodeCodeValue("123456789", 4),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // The message never holds the value.
  auto bad = EncodeCodeValue("12a4", 4);
  EXPECT_THAT(bad.status().message(), Not(HasSubstr("12a4")));
  EXPECT_THAT(DecodeCodeValue(Bytes("3939ff39ffffffff")),
              StatusIs(absl::StatusCode::kInvalidArgument));

  EXPECT_EQ(Hex(*EncodeAdmValue("55555555")), "3535353535353535");
  EXPECT_EQ(Hex(*EncodeAdmValue("0123456789abcdef")), "0123456789abcdef");
  EXPECT_EQ(Hex(*EncodeAdmValue("0123456789ABCDEF")), "0123456789abcdef");
  EXPECT_THAT(EncodeAdmValue("5555555"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(EncodeAdmValue("0123456789abcdeg"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(EncodeAdmValue("5555555a"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(AccTest, LastDigitOfImsi) {
  EXPECT_EQ(Hex(*EncodeAccForImsi("001010123456063")), "0008");
  EXPECT_EQ(Hex(*EncodeAccForImsi("001010123456060")), "0001");
  EXPECT_EQ(Hex(*EncodeAccForImsi("001010123456069")), "0200");
}

TEST(MsisdnTest, RecordRoundTrip) {
  ASSERT_OK_AND_ASSIGN(std::string record,
                       EncodeMsisdnRecord("+491701234567", 28));
  EXPECT_EQ(Hex(record),
            "ffffffffffffffffffffffffffff"  // alpha identifier, 14 bytes
            "0791947110325476ffffffffffff");
  EXPECT_EQ(*DecodeMsisdnRecord(record), "+491701234567");
  ASSERT_OK_AND_ASSIGN(std::string national, EncodeMsisdnRecord("0170123", 14));
  EXPECT_EQ(Hex(national), "0581100721f3ffffffffffffffff");
  EXPECT_EQ(*DecodeMsisdnRecord(national), "0170123");
  EXPECT_EQ(*DecodeMsisdnRecord(std::string(28, '\xFF')), "");
  EXPECT_THAT(EncodeMsisdnRecord("+4917012345678901234567", 28),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(EncodeMsisdnRecord("+49-170", 28),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(EncodeMsisdnRecord("+49170", 13),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace smdp::profiles::saip
