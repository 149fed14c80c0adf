#include "profiles/preparation/subscriber_csv.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hsm/internal/test_util.h"
#include "profiles/preparation/test_subscribers.h"
#include "profiles/saip/coding.h"

namespace smdp::profiles::preparation {
namespace {

using ::smdp::hsm::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::TestCsv;
using testing::TestCsvHeader;
using testing::TestCsvLine;
using testing::TestIccid;
using testing::TestImsi;
using testing::TestKiHex;

std::string Bytes(absl::string_view hex) { return absl::HexStringToBytes(hex); }

std::vector<SubscriberRow> ReadAll(absl::string_view csv,
                                   CsvOptions options = {}) {
  absl::StatusOr<SubscriberCsvReader> reader =
      SubscriberCsvReader::Open(csv, options);
  EXPECT_TRUE(reader.ok()) << reader.status();
  if (!reader.ok()) return {};
  absl::StatusOr<std::vector<SubscriberRow>> rows = reader->Next(1 << 20);
  EXPECT_TRUE(rows.ok()) << rows.status();
  EXPECT_TRUE(reader->done());
  return rows.ok() ? *std::move(rows) : std::vector<SubscriberRow>();
}

std::string OpenError(absl::string_view csv, CsvOptions options = {}) {
  absl::StatusOr<SubscriberCsvReader> reader =
      SubscriberCsvReader::Open(csv, options);
  EXPECT_THAT(reader, StatusIs(absl::StatusCode::kInvalidArgument));
  return std::string(reader.status().message());
}

// One data line with the given column values (the header's order).
const char kHeader[] = "ICCID,IMSI,KI,OPC,PIN1,PUK1,PIN2,PUK2,ADM1,MSISDN\n";
std::string Line(absl::string_view iccid, absl::string_view imsi,
                 absl::string_view ki = "000102030405060708090a0b0c0d0e0f",
                 absl::string_view opc = "f0e0d0c0b0a090807060504030201000",
                 absl::string_view pin1 = "1234",
                 absl::string_view puk1 = "12345678",
                 absl::string_view pin2 = "5678",
                 absl::string_view puk2 = "87654321",
                 absl::string_view adm1 = "11111111",
                 absl::string_view msisdn = "") {
  return absl::StrCat(iccid, ",", imsi, ",", ki, ",", opc, ",", pin1, ",", puk1,
                      ",", pin2, ",", puk2, ",", adm1, ",", msisdn, "\n");
}

TEST(SubscriberCsvTest, ReadsEveryColumn) {
  const std::string csv = absl::StrCat(
      "# vendor output, batch 7\n", kHeader, "\n",
      Line("8949449999999990171", "262019876543210",
           "000102030405060708090A0B0C0D0E0F",
           "f0e0d0c0b0a090807060504030201000", "0000", "11111111", "99999",
           "22222222", "0123456789abcdef", "+491701234567"),
      "   # a comment inside\n", "\r\n",
      Line("89000123456789012341", "001010123456",
           "00000000000000000000000000000001",
           "00000000000000000000000000000002", "12345678", "33333333", "1234",
           "44444444", "55555555", ""));
  const std::vector<SubscriberRow> rows = ReadAll(csv);
  ASSERT_EQ(rows.size(), 2u);
  const saip::SubscriberData& a = rows[0].data;
  EXPECT_EQ(rows[0].line, 4u);
  EXPECT_EQ(a.iccid, "8949449999999990171");
  EXPECT_EQ(a.imsi, "262019876543210");
  EXPECT_EQ(a.ki, Bytes("000102030405060708090a0b0c0d0e0f"));
  EXPECT_EQ(a.opc, Bytes("f0e0d0c0b0a090807060504030201000"));
  EXPECT_EQ(a.pin1, "0000");
  EXPECT_EQ(a.puk1, "11111111");
  EXPECT_EQ(a.pin2, "99999");
  EXPECT_EQ(a.puk2, "22222222");
  EXPECT_EQ(a.adm1, Bytes("0123456789abcdef"));  // 16 hex: raw
  EXPECT_EQ(a.msisdn, "+491701234567");
  const saip::SubscriberData& b = rows[1].data;
  EXPECT_EQ(rows[1].line, 7u);
  EXPECT_EQ(b.iccid, "89000123456789012341");
  EXPECT_EQ(b.adm1, "55555555");  // 8 digits: ASCII, like a PIN
  EXPECT_EQ(b.msisdn, "");
}

TEST(SubscriberCsvTest, SeparatorsAndHeaderVariations) {
  for (char sep : {',', ';', '\t'}) {
    const std::vector<SubscriberRow> rows = ReadAll(TestCsv(3, sep));
    ASSERT_EQ(rows.size(), 3u) << sep;
    EXPECT_EQ(rows[2].data.iccid, TestIccid(2));
    EXPECT_EQ(rows[2].line, 4u);
  }
  // Lower case, separators in names, aliases, any order, ignored columns,
  // quotes, a trailing separator, CRLF and a byte order mark.
  const std::string csv = absl::StrCat(
      "\xEF\xBB\xBF",
      "Pin_1;\"imsi\"; K ;ADM;opc;PUK-1;Pin2;PUK2;EKI;iccid;\r\n",
      "1234;\"262019876543210\";", TestKiHex(1),
      ";55555555;f0e0d0c0b0a090807060504030201000;12345678;5678;87654321;"
      "deadbeef;",
      TestIccid(1), ";\r\n");
  absl::StatusOr<SubscriberCsvReader> reader = SubscriberCsvReader::Open(csv);
  ASSERT_OK(reader.status());
  EXPECT_EQ(reader->separator(), ';');
  EXPECT_THAT(reader->ignored_columns(), ElementsAre("EKI"));
  EXPECT_FALSE(reader->has_msisdn());
  EXPECT_FALSE(reader->has_acc());
  ASSERT_OK_AND_ASSIGN(std::vector<SubscriberRow> rows, reader->Next(10));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].data.iccid, TestIccid(1));
  EXPECT_EQ(rows[0].data.imsi, "262019876543210");
  EXPECT_EQ(rows[0].data.ki, Bytes(TestKiHex(1)));
  EXPECT_EQ(rows[0].data.pin1, "1234");
  EXPECT_EQ(rows[0].data.adm1, "55555555");
  // A forced separator.
  EXPECT_THAT(OpenError(TestCsv(2, ';'), {.separator = ','}),
              HasSubstr("missing column(s)"));
  EXPECT_THAT(OpenError(TestCsv(2), {.separator = '|'}),
              HasSubstr("separator"));
}

TEST(SubscriberCsvTest, HeaderErrors) {
  EXPECT_THAT(OpenError(""), HasSubstr("no header line"));
  EXPECT_THAT(OpenError("# only\n\n  # comments\n"),
              HasSubstr("no header line"));
  EXPECT_THAT(OpenError("ICCID,IMSI,KI\n"),
              HasSubstr("header (line 1): missing column(s) OPC, PIN1, PUK1, "
                        "PIN2, PUK2, ADM1"));
  EXPECT_THAT(OpenError("# c\nICCID,IMSI,KI,OPC,K\n", {.require_codes = false}),
              HasSubstr("header (line 2): column KI appears twice"));
  EXPECT_THAT(OpenError(kHeader), HasSubstr("no data rows"));
}

TEST(SubscriberCsvTest, EveryErrorHasItsLineNumber) {
  const std::string good_ki = "000102030405060708090a0b0c0d0e0f";
  const std::string good_opc = "f0e0d0c0b0a090807060504030201000";
  const std::string csv = absl::StrCat(
      kHeader,                                                         // 1
      Line(TestIccid(1), TestImsi(1)),                                 // 2 ok
      Line("894944999999999017", TestImsi(2)),                         // 3
      Line("8949449999999990172", TestImsi(3)),                        // 4 Luhn
      Line(TestIccid(4), "26201"),                                     // 5
      Line(TestIccid(5), TestImsi(5), "00010203"),                     // 6
      Line(TestIccid(6), TestImsi(6), good_ki, std::string(32, 'g')),  // 7
      Line(TestIccid(7), TestImsi(7), good_ki, good_opc, "123"),       // 8
      Line(TestIccid(8), TestImsi(8), good_ki, good_opc, "1234",
           "1234567"),  // 9
      Line(TestIccid(9), TestImsi(9), good_ki, good_opc, "1234", "12345678",
           "12a4"),  // 10
      Line(TestIccid(10), TestImsi(10), good_ki, good_opc, "1234", "12345678",
           "1234", "123456789"),  // 11
      Line(TestIccid(11), TestImsi(11), good_ki, good_opc, "1234", "12345678",
           "1234", "12345678", "1234567"),  // 12
      Line(TestIccid(12), TestImsi(12), good_ki, good_opc, "1234", "12345678",
           "1234", "12345678", "11111111", "+49 170"),                 // 13
      "1,2,3\n",                                                       // 14
      Line(TestIccid(1), TestImsi(15)),                                // 15 dup
      Line(TestIccid(16), TestImsi(1)),                                // 16 dup
      Line(TestIccid(17), TestImsi(17), "", "", "", "", "", "", ""));  // 17
  const std::string message = OpenError(csv);
  for (const std::string& want : std::vector<std::string>{
           "line 3: ICCID '894944999999999017' must be 19 or 20 digits",
           "line 4: ICCID 8949449999999990172: the last digit is not the Luhn "
           "check digit (1 expected)",
           "line 5: IMSI '26201' must be 6 to 15 digits",
           "line 6: KI must be 32 hex digits (got 8 characters)",
           "line 7: OPC must be 32 hex digits (got 32 characters)",
           "line 8: PIN1 must be 4 to 8 digits (got 3 characters)",
           "line 9: PUK1 must be 8 digits (got 7 characters)",
           "line 10: PIN2 must be 4 to 8 digits",
           "line 11: PUK2 must be 8 digits (got 9 characters)",
           "line 12: ADM1 must be 8 digits or 16 hex digits (got 7 characters)",
           "line 13: MSISDN '+49 170' must be",
           "line 14: 3 fields, the header has 10",
           "line 15: ICCID " + TestIccid(1) + " duplicates line 2",
           "line 16: IMSI " + TestImsi(1) + " duplicates line 2",
           "line 17: KI must be", "line 17: OPC must be",
           "line 17: PIN1 must be", "line 17: ADM1 must be"}) {
    EXPECT_THAT(message, HasSubstr(want));
  }
  EXPECT_THAT(message, HasSubstr("subscriber file: 21 errors:\n"));
  // Secret values are never repeated.
  EXPECT_THAT(message,
              AllOf(Not(HasSubstr("00010203")), Not(HasSubstr("12a4")),
                    Not(HasSubstr("gggg")), Not(HasSubstr("1234567"))));
}

TEST(SubscriberCsvTest, IccidForms) {
  // 19 digits + F padding is the 19-digit ICCID; 20 digits with their Luhn
  // digit are fine; Luhn can be turned off.
  std::string csv =
      absl::StrCat(kHeader, Line("8949449999999990171F", TestImsi(1)),
                   Line("89000123456789012341", TestImsi(2)));
  std::vector<SubscriberRow> rows = ReadAll(csv);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].data.iccid, "8949449999999990171");
  EXPECT_EQ(rows[1].data.iccid, "89000123456789012341");
  const std::string bad_luhn =
      absl::StrCat(kHeader, Line("89000123456789012342", TestImsi(1)));
  EXPECT_THAT(OpenError(bad_luhn), HasSubstr("Luhn"));
  EXPECT_EQ(ReadAll(bad_luhn, {.check_luhn = false}).size(), 1u);
  EXPECT_THAT(
      OpenError(absl::StrCat(kHeader, Line("8949449999999990171FF", "262011"))),
      HasSubstr("must be 19 or 20 digits"));
  // 19 digits + F must still pass Luhn on the 19 digits.
  EXPECT_THAT(
      OpenError(absl::StrCat(kHeader, Line("8949449999999990172F", "262011"))),
      HasSubstr("Luhn"));
}

TEST(SubscriberCsvTest, ErrorLimit) {
  std::string csv = kHeader;
  for (int i = 0; i < 150; ++i) csv += Line(TestIccid(i), "1");
  const std::string message = OpenError(csv, {.max_errors = 100});
  EXPECT_THAT(message, HasSubstr("100+ errors (stopped looking)"));
  EXPECT_EQ(std::count(message.begin(), message.end(), '\n'), 100);
  EXPECT_THAT(message, HasSubstr("line 101: IMSI"));
  EXPECT_THAT(message, Not(HasSubstr("line 102:")));
}

TEST(SubscriberCsvTest, Bounds) {
  EXPECT_THAT(OpenError(TestCsv(5), {.max_rows = 3}),
              HasSubstr("line 5: more than 3 rows"));
  const std::string long_line = absl::StrCat(
      kHeader, Line(TestIccid(1), TestImsi(1)), std::string(5000, ','), "\n");
  EXPECT_THAT(OpenError(long_line),
              HasSubstr("line 3: longer than 4096 bytes"));
  EXPECT_THAT(OpenError(std::string(5000, 'x')), HasSubstr("line 1: longer"));
  EXPECT_THAT(OpenError(absl::StrCat(kHeader, "\"a\"b\",2\n")),
              HasSubstr("line 2: quotes"));
}

TEST(SubscriberCsvTest, OptionalCodesMsisdnAcc) {
  const std::string csv =
      "ICCID,IMSI,KI,OPC,PIN1,ACC,MSISDN\n" +
      absl::StrCat(TestIccid(1), ",", TestImsi(1), ",", TestKiHex(1), ",",
                   TestKiHex(2), ",,0200,0170123\n") +
      absl::StrCat(TestIccid(2), ",", TestImsi(2), ",", TestKiHex(1), ",",
                   TestKiHex(2), ",4321,,\n");
  EXPECT_THAT(OpenError(csv),
              HasSubstr("missing column(s) PUK1, PIN2, PUK2, ADM1"));
  const std::vector<SubscriberRow> rows =
      ReadAll(csv, {.require_codes = false});
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].data.pin1, "");
  EXPECT_EQ(rows[0].data.acc, Bytes("0200"));
  EXPECT_EQ(rows[0].data.msisdn, "0170123");
  EXPECT_EQ(rows[1].data.pin1, "4321");
  EXPECT_EQ(rows[1].data.acc, "");
  EXPECT_EQ(rows[1].data.adm1, "");
  const std::string bad_acc =
      "ICCID,IMSI,KI,OPC,ACC\n" + absl::StrCat(TestIccid(1), ",", TestImsi(1),
                                               ",", TestKiHex(1), ",",
                                               TestKiHex(2), ",02\n");
  EXPECT_THAT(OpenError(bad_acc, {.require_codes = false}),
              HasSubstr("line 2: ACC '02' must be 4 hex digits"));
}

TEST(SubscriberCsvTest, ChunksAndResume) {
  const std::string csv = absl::StrCat(
      TestCsvHeader(), TestCsvLine(0), "# comment\n", TestCsvLine(1), "\n",
      TestCsvLine(2), TestCsvLine(3), TestCsvLine(4));
  ASSERT_OK_AND_ASSIGN(SubscriberCsvReader reader,
                       SubscriberCsvReader::Open(csv));
  EXPECT_EQ(reader.row_count(), 5u);
  EXPECT_EQ(reader.position(), 2u);
  ASSERT_OK_AND_ASSIGN(std::vector<SubscriberRow> chunk, reader.Next(2));
  ASSERT_EQ(chunk.size(), 2u);
  EXPECT_EQ(chunk[1].line, 4u);
  const size_t resume = reader.position();
  EXPECT_EQ(resume, 5u);

  // A new reader (after a restart) continues at the saved position.
  ASSERT_OK_AND_ASSIGN(SubscriberCsvReader again,
                       SubscriberCsvReader::Open(csv));
  ASSERT_OK(again.Seek(resume));
  ASSERT_OK_AND_ASSIGN(std::vector<SubscriberRow> rest, again.Next(100));
  ASSERT_EQ(rest.size(), 3u);
  EXPECT_EQ(rest[0].data.iccid, TestIccid(2));
  EXPECT_EQ(rest[0].line, 6u);
  EXPECT_TRUE(again.done());
  ASSERT_OK_AND_ASSIGN(std::vector<SubscriberRow> none, again.Next(100));
  EXPECT_TRUE(none.empty());
  // Seeking to the end, before the data, past the end.
  ASSERT_OK(again.Seek(again.position()));
  EXPECT_TRUE(again.done());
  EXPECT_THAT(again.Seek(1), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(again.Seek(100), StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_OK(again.Seek(2));
  ASSERT_OK_AND_ASSIGN(std::vector<SubscriberRow> all, again.Next(100));
  EXPECT_EQ(all.size(), 5u);
}

}  // namespace
}  // namespace smdp::profiles::preparation
