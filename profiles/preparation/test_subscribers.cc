#include "profiles/preparation/test_subscribers.h"

#include <cstdint>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "profiles/saip/coding.h"

namespace smdp::profiles::preparation::testing {
namespace {

std::string HexOf(uint64_t a, uint64_t b) {
  return absl::StrFormat("%016x%016x", a, b);
}

}  // namespace

std::string TestIccid(size_t i) {
  std::string iccid = absl::StrFormat("8988211%011d", i);
  iccid.push_back(static_cast<char>('0' + saip::LuhnCheckDigit(iccid)));
  return iccid;
}

std::string TestImsi(size_t i) { return absl::StrFormat("26201%010d", i); }

std::string TestKiHex(size_t i) {
  return HexOf(0x1111111100000000ull + i, 0xa5a5a5a5a5a5a5a5ull ^ (i * 7919));
}

std::string TestOpcHex(size_t i) {
  return HexOf(0x2222222200000000ull + i, 0x5a5a5a5a5a5a5a5aull ^ (i * 104729));
}

std::string TestCsvHeader(char s) {
  return absl::StrCat("ICCID", std::string(1, s), "IMSI", std::string(1, s),
                      "KI", std::string(1, s), "OPC", std::string(1, s), "PIN1",
                      std::string(1, s), "PUK1", std::string(1, s), "PIN2",
                      std::string(1, s), "PUK2", std::string(1, s), "ADM1",
                      std::string(1, s), "MSISDN\n");
}

std::string TestCsvLine(size_t i, char s, bool msisdn) {
  const std::string sep(1, s);
  return absl::StrCat(TestIccid(i), sep, TestImsi(i), sep, TestKiHex(i), sep,
                      TestOpcHex(i), sep, absl::StrFormat("%04d", i % 10000),
                      sep, absl::StrFormat("%08d", (i * 31) % 100000000), sep,
                      absl::StrFormat("%05d", i % 100000), sep,
                      absl::StrFormat("%08d", (i * 37) % 100000000), sep,
                      absl::StrFormat("%016x", 0x0123456789000000ull + i), sep,
                      msisdn ? absl::StrFormat("+49170%07d", i % 10000000) : "",
                      "\n");
}

std::string TestCsv(size_t rows, char separator, bool msisdn) {
  std::string out = TestCsvHeader(separator);
  out.reserve(out.size() + rows * 160);
  for (size_t i = 0; i < rows; ++i) {
    out += TestCsvLine(i, separator, msisdn);
  }
  return out;
}

}  // namespace smdp::profiles::preparation::testing
