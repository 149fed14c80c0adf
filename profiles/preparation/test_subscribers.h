// Generated subscriber files for tests and benches: distinct ICCIDs with
// valid Luhn digits, IMSIs, and keys derived from the row number.
#ifndef SMDP_PROFILES_PREPARATION_TEST_SUBSCRIBERS_H_
#define SMDP_PROFILES_PREPARATION_TEST_SUBSCRIBERS_H_

#include <cstddef>
#include <string>

namespace smdp::profiles::preparation::testing {

// The 19-digit ICCID of row `i` (prefix 8988211 + 11 digits + Luhn).
std::string TestIccid(size_t i);
// The 15-digit IMSI of row `i` (26201 + 10 digits).
std::string TestImsi(size_t i);
// 32 hex digits of Ki / OPc for row `i` (distinct per row).
std::string TestKiHex(size_t i);
std::string TestOpcHex(size_t i);

// The header line "ICCID,IMSI,KI,OPC,PIN1,PUK1,PIN2,PUK2,ADM1,MSISDN\n".
std::string TestCsvHeader(char separator = ',');
// The data line of row `i` with the header's columns; MSISDN empty when
// `msisdn` is false.
std::string TestCsvLine(size_t i, char separator = ',', bool msisdn = true);
// A header and `rows` data lines.
std::string TestCsv(size_t rows, char separator = ',', bool msisdn = true);

}  // namespace smdp::profiles::preparation::testing

#endif  // SMDP_PROFILES_PREPARATION_TEST_SUBSCRIBERS_H_
