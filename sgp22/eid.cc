#include "sgp22/eid.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace smdp::sgp22 {
namespace {

bool AllDigits(absl::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// The decimal number `digits` modulo 97, digit by digit (no overflow).
int Mod97(absl::string_view digits) {
  int r = 0;
  for (char c : digits) r = (r * 10 + (c - '0')) % 97;
  return r;
}

}  // namespace

absl::StatusOr<std::string> EidCheckDigits(absl::string_view first30) {
  if (first30.size() != kEidDigits - 2 || !AllDigits(first30)) {
    return absl::InvalidArgumentError(
        absl::StrCat("EID body must be ", kEidDigits - 2,
                     " decimal digits, got \"", first30, "\""));
  }
  const int r = Mod97(absl::StrCat(first30, "00"));
  return absl::StrFormat("%02d", 98 - r);
}

absl::StatusOr<std::string> CompleteEid(absl::string_view first30) {
  absl::StatusOr<std::string> check = EidCheckDigits(first30);
  if (!check.ok()) return check.status();
  return absl::StrCat(first30, *check);
}

absl::Status ValidateEid(absl::string_view eid) {
  if (eid.size() != kEidDigits || !AllDigits(eid)) {
    return absl::InvalidArgumentError(
        absl::StrCat("EID must be ", kEidDigits, " decimal digits, got \"", eid,
                     "\" (", eid.size(), " characters)"));
  }
  if (Mod97(eid) != 1) {
    absl::StatusOr<std::string> check = EidCheckDigits(eid.substr(0, 30));
    return absl::InvalidArgumentError(
        absl::StrCat("EID ", eid, " has wrong check digits (expected ",
                     check.ok() ? *check : "?", ")"));
  }
  return absl::OkStatus();
}

bool EidHasPrefix(absl::string_view eid, absl::string_view prefix) {
  return absl::StartsWith(eid, prefix);
}

}  // namespace smdp::sgp22
