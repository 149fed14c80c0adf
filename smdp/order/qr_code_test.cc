#include "smdp/order/qr_code.h"

#include <unistd.h>
#include <zlib.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/subprocess.h"
#include "util/file_util.h"
#include "util/status_matchers.h"

namespace smdp::order {
namespace {

using ::smdp::matchers::IsOk;
using ::smdp::matchers::StatusIs;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kCode[] = "LPA:1$localhost$K3J9Q-ABCDE-FGHIJ-KLMNO";

// Light/dark of every module, quiet zone included: grid[y][x].
using Grid = std::vector<std::vector<bool>>;

Grid Expected(const QrCode& qr, int margin) {
  const int side = qr.size() + 2 * margin;
  Grid grid(side, std::vector<bool>(side, false));
  for (int y = 0; y < qr.size(); ++y) {
    for (int x = 0; x < qr.size(); ++x) {
      grid[y + margin][x + margin] = qr.dark(x, y);
    }
  }
  return grid;
}

uint32_t BigEndian32(const std::string& s, size_t at) {
  return (static_cast<uint32_t>(static_cast<unsigned char>(s[at])) << 24) |
         (static_cast<uint32_t>(static_cast<unsigned char>(s[at + 1])) << 16) |
         (static_cast<uint32_t>(static_cast<unsigned char>(s[at + 2])) << 8) |
         static_cast<uint32_t>(static_cast<unsigned char>(s[at + 3]));
}

// The path of `name` in $PATH, or empty.
std::string FindOnPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/bin:/bin";
  for (absl::string_view dir : absl::StrSplit(dirs, ':')) {
    std::string candidate = absl::StrCat(dir, "/", name);
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

TEST(QrCodeTest, EncodesTheSmallestSymbol) {
  absl::StatusOr<QrCode> qr = QrCode::Encode(kCode);
  ASSERT_THAT(qr.status(), IsOk());
  EXPECT_GE(qr->version(), 1);
  EXPECT_LE(qr->version(), 4);
  EXPECT_EQ(qr->size(), 17 + 4 * qr->version());
  // Finder patterns: dark corners and ring, light separator.
  for (auto [x, y] : std::vector<std::pair<int, int>>{
           {0, 0}, {6, 6}, {qr->size() - 1, 0}, {0, qr->size() - 1}}) {
    EXPECT_TRUE(qr->dark(x, y)) << x << "," << y;
  }
  EXPECT_FALSE(qr->dark(7, 7));
  EXPECT_FALSE(qr->dark(1, 1));
  EXPECT_TRUE(qr->dark(3, 3));
}

TEST(QrCodeTest, RefusesWhatCannotBeEncoded) {
  EXPECT_THAT(QrCode::Encode("").status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(QrCode::Encode(std::string("a\0b", 3)).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(QrCode::Encode(std::string(3000, 'A')).status(),
              StatusIs(absl::StatusCode::kOutOfRange));
  // 2000 bytes of lower case are 8-bit mode: more than version 40-H holds.
  EXPECT_THAT(
      QrCode::Encode(std::string(2000, 'a'), QrErrorCorrection::kHigh).status(),
      StatusIs(absl::StatusCode::kOutOfRange));
}

TEST(QrCodeTest, PngHasTheModulesAsPixels) {
  absl::StatusOr<QrCode> qr = QrCode::Encode(kCode);
  ASSERT_THAT(qr.status(), IsOk());
  const QrRenderOptions options{.margin = 4, .module_pixels = 3};
  absl::StatusOr<std::string> png = QrToPng(*qr, options);
  ASSERT_THAT(png.status(), IsOk());
  ASSERT_THAT(*png, StartsWith(std::string("\x89PNG\r\n\x1a\n", 8)));
  // IHDR first.
  ASSERT_EQ(BigEndian32(*png, 8), 13u);
  EXPECT_EQ(png->substr(12, 4), "IHDR");
  const uint32_t side = (qr->size() + 8) * 3;
  EXPECT_EQ(BigEndian32(*png, 16), side);
  EXPECT_EQ(BigEndian32(*png, 20), side);
  EXPECT_EQ(png->substr(24, 5), std::string("\x08\x00\x00\x00\x00", 5));
  // Every chunk's CRC, and the pixels of the IDAT.
  size_t at = 8;
  std::string idat;
  std::vector<std::string> types;
  while (at + 12 <= png->size()) {
    const uint32_t length = BigEndian32(*png, at);
    ASSERT_LE(at + 12 + length, png->size());
    const std::string type = png->substr(at + 4, 4);
    types.push_back(type);
    uLong crc = crc32(0L, Z_NULL, 0);
    crc = crc32(crc, reinterpret_cast<const Bytef*>(png->data() + at + 4),
                4 + length);
    EXPECT_EQ(BigEndian32(*png, at + 8 + length), crc) << type;
    if (type == "IDAT") idat += png->substr(at + 8, length);
    at += 12 + length;
  }
  EXPECT_EQ(at, png->size());
  EXPECT_EQ(types, (std::vector<std::string>{"IHDR", "IDAT", "IEND"}));
  std::string raw(side * (side + 1), '\0');
  uLongf raw_size = raw.size();
  ASSERT_EQ(
      uncompress(reinterpret_cast<Bytef*>(raw.data()), &raw_size,
                 reinterpret_cast<const Bytef*>(idat.data()), idat.size()),
      Z_OK);
  ASSERT_EQ(raw_size, raw.size());
  const Grid expected = Expected(*qr, 4);
  for (uint32_t y = 0; y < side; ++y) {
    ASSERT_EQ(raw[y * (side + 1)], '\0') << "filter of row " << y;
    for (uint32_t x = 0; x < side; ++x) {
      const char pixel = raw[y * (side + 1) + 1 + x];
      ASSERT_EQ(pixel, expected[y / 3][x / 3] ? '\x00' : '\xff')
          << x << "," << y;
    }
  }
}

// What a phone camera does: zbarimg reads the PNG back to the text.
TEST(QrCodeTest, ZbarimgDecodesThePng) {
  const std::string zbarimg = FindOnPath("zbarimg");
  if (zbarimg.empty()) {
    GTEST_SKIP() << "zbarimg is not installed (Debian: apt-get install "
                    "zbar-tools); skipping the decode check";
  }
  for (const char* text :
       {kCode, "LPA:1$smdp.example.com$04386-AGYFT-A74Y8-3F815$2.999.10$1",
        "LPA:1$localhost$$$1"}) {
    SCOPED_TRACE(text);
    absl::StatusOr<QrCode> qr = QrCode::Encode(text);
    ASSERT_THAT(qr.status(), IsOk());
    absl::StatusOr<std::string> png = QrToPng(*qr);
    ASSERT_THAT(png.status(), IsOk());
    const std::string file =
        absl::StrCat(std::getenv("TEST_TMPDIR"), "/qr.png");
    ASSERT_THAT(WriteFileAtomically(file, *png), IsOk());
    std::string out, err;
    ASSERT_EQ(::smdp::testing::Subprocess::Run({zbarimg, "--raw", "-q", file},
                                               {}, &out, &err),
              0)
        << err;
    EXPECT_EQ(out, absl::StrCat(text, "\n"));
  }
}

TEST(QrCodeTest, SvgPathCoversExactlyTheDarkModules) {
  absl::StatusOr<QrCode> qr = QrCode::Encode(kCode);
  ASSERT_THAT(qr.status(), IsOk());
  const std::string svg = QrToSvg(*qr, {.margin = 2, .module_pixels = 5});
  const int side = qr->size() + 4;
  EXPECT_THAT(svg, StartsWith("<?xml"));
  EXPECT_THAT(svg,
              HasSubstr(absl::StrCat("viewBox=\"0 0 ", side, " ", side, "\"")));
  EXPECT_THAT(svg, HasSubstr(absl::StrCat("width=\"", side * 5, "\"")));
  const size_t d = svg.find(" d=\"");
  ASSERT_NE(d, std::string::npos);
  const std::string path = svg.substr(d + 4, svg.find('"', d + 4) - d - 4);
  Grid drawn(side, std::vector<bool>(side, false));
  for (absl::string_view move : absl::StrSplit(path, 'M', absl::SkipEmpty())) {
    // "<x> <y>h<run>v1h-<run>z"
    std::vector<absl::string_view> parts =
        absl::StrSplit(move, absl::ByAnyChar(" hvz"), absl::SkipEmpty());
    ASSERT_EQ(parts.size(), 5u) << move;
    int x = 0, y = 0, run = 0;
    ASSERT_TRUE(absl::SimpleAtoi(parts[0], &x));
    ASSERT_TRUE(absl::SimpleAtoi(parts[1], &y));
    ASSERT_TRUE(absl::SimpleAtoi(parts[2], &run));
    EXPECT_EQ(parts[3], "1");
    EXPECT_EQ(parts[4], absl::StrCat("-", run));
    for (int i = 0; i < run; ++i) {
      EXPECT_FALSE(drawn[y][x + i]) << "drawn twice";
      drawn[y][x + i] = true;
    }
  }
  EXPECT_EQ(drawn, Expected(*qr, 2));
}

TEST(QrCodeTest, TerminalHalfBlocksDrawTheLightModules) {
  absl::StatusOr<QrCode> qr = QrCode::Encode(kCode);
  ASSERT_THAT(qr.status(), IsOk());
  const std::string text = QrToTerminal(*qr, {.margin = 2});
  const int side = qr->size() + 4;  // odd: the last line has one row
  std::vector<std::string> lines = absl::StrSplit(text, '\n');
  ASSERT_EQ(lines.back(), "");
  lines.pop_back();
  ASSERT_EQ(static_cast<int>(lines.size()), (side + 1) / 2);
  Grid dark(side + 1, std::vector<bool>(side, true));
  for (int row = 0; row < static_cast<int>(lines.size()); ++row) {
    absl::string_view line = lines[row];
    for (int x = 0; x < side; ++x) {
      bool top_light = false, bottom_light = false;
      if (absl::ConsumePrefix(&line, " ")) {
      } else if (absl::ConsumePrefix(&line, "\u2588")) {
        top_light = bottom_light = true;
      } else if (absl::ConsumePrefix(&line, "\u2580")) {
        top_light = true;
      } else if (absl::ConsumePrefix(&line, "\u2584")) {
        bottom_light = true;
      } else {
        FAIL() << "unexpected character in line " << row << " column " << x;
      }
      dark[2 * row][x] = !top_light;
      dark[2 * row + 1][x] = !bottom_light;
    }
    EXPECT_TRUE(line.empty()) << "line " << row << " is too long";
  }
  dark.resize(side);
  Grid expected = Expected(*qr, 2);
  EXPECT_EQ(dark, expected);
}

}  // namespace
}  // namespace smdp::order
