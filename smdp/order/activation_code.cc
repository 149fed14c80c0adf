#include "smdp/order/activation_code.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "util/status_macros.h"

namespace smdp::order {
namespace {

constexpr size_t kMaxAddress = 255;  // a DNS name, plus ":port"
constexpr size_t kMaxLabel = 63;
constexpr size_t kMaxMatchingId = 64;  // as ConfirmOrder accepts it
constexpr size_t kMaxOid = 128;
// Format, address, AC_Token, OID, flag.
constexpr size_t kMaxFields = 5;

absl::Status Invalid(absl::string_view part, absl::string_view value,
                     absl::string_view problem) {
  return absl::InvalidArgumentError(
      absl::StrCat("activation code: ", part, " '", value, "': ", problem));
}

// What a message may quote of a field: printable ASCII, at most 80
// characters.
std::string Quote(absl::string_view value) {
  std::string out;
  for (char c : value.substr(0, 80)) {
    out.push_back(absl::ascii_isprint(static_cast<unsigned char>(c)) ? c : '?');
  }
  if (value.size() > 80) out += "...";
  return out;
}

bool IsLdh(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-';
}

bool AllDigits(absl::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return absl::ascii_isdigit(static_cast<unsigned char>(c));
  });
}

absl::Status ValidateAddress(absl::string_view address) {
  constexpr absl::string_view kPart = "SM-DP+ address";
  const std::string quoted = Quote(address);
  if (address.empty()) {
    return absl::InvalidArgumentError(
        "activation code: SM-DP+ address is empty");
  }
  if (address.size() > kMaxAddress) {
    return Invalid(kPart, quoted, "longer than 255 characters");
  }
  absl::string_view host = address;
  if (size_t colon = address.find(':'); colon != absl::string_view::npos) {
    host = address.substr(0, colon);
    absl::string_view port = address.substr(colon + 1);
    int value = 0;
    if (!AllDigits(port) || port.size() > 5 ||
        !absl::SimpleAtoi(port, &value) || value < 1 || value > 65535) {
      return Invalid(kPart, quoted, "the port is not a number 1-65535");
    }
  }
  if (host.empty()) return Invalid(kPart, quoted, "no host name");
  for (absl::string_view label : absl::StrSplit(host, '.')) {
    if (label.empty()) {
      return Invalid(kPart, quoted,
                     "empty label (a host name is labels joined by '.')");
    }
    if (label.size() > kMaxLabel) {
      return Invalid(kPart, quoted, "a label is longer than 63 characters");
    }
    if (!std::all_of(label.begin(), label.end(), IsLdh)) {
      return Invalid(kPart, quoted,
                     "a host name has only A-Z a-z 0-9 '-' and '.'");
    }
    if (label.front() == '-' || label.back() == '-') {
      return Invalid(kPart, quoted, "a label starts or ends with '-'");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateMatchingId(absl::string_view matching_id) {
  constexpr absl::string_view kPart = "AC token (matchingId)";
  if (matching_id.size() > kMaxMatchingId) {
    return Invalid(kPart, Quote(matching_id), "longer than 64 characters");
  }
  if (!std::all_of(matching_id.begin(), matching_id.end(), IsLdh)) {
    return Invalid(kPart, Quote(matching_id),
                   "only A-Z a-z 0-9 and '-' are allowed");
  }
  return absl::OkStatus();
}

absl::Status ValidateOid(absl::string_view oid) {
  constexpr absl::string_view kPart = "SM-DP+ OID";
  if (oid.empty()) return absl::OkStatus();
  const std::string quoted = Quote(oid);
  if (oid.size() > kMaxOid) {
    return Invalid(kPart, quoted, "longer than 128 characters");
  }
  std::vector<absl::string_view> arcs = absl::StrSplit(oid, '.');
  if (arcs.size() < 2) {
    return Invalid(kPart, quoted, "needs at least two arcs (\"2.999.10\")");
  }
  for (absl::string_view arc : arcs) {
    if (!AllDigits(arc)) {
      return Invalid(kPart, quoted,
                     "not dotted decimal (digits joined by '.')");
    }
    if (arc.size() > 1 && arc.front() == '0') {
      return Invalid(kPart, quoted, "an arc has a leading zero");
    }
  }
  if (arcs[0] != "0" && arcs[0] != "1" && arcs[0] != "2") {
    return Invalid(kPart, quoted, "the first arc must be 0, 1 or 2");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateActivationCode(const ActivationCode& code) {
  RETURN_IF_ERROR(ValidateAddress(code.smdp_address));
  RETURN_IF_ERROR(ValidateMatchingId(code.matching_id));
  RETURN_IF_ERROR(ValidateOid(code.smdp_oid));
  return absl::OkStatus();
}

absl::StatusOr<std::string> FormatActivationCode(const ActivationCode& code,
                                                 ActivationCodeForm form) {
  RETURN_IF_ERROR(ValidateActivationCode(code));
  std::string text = absl::StrCat(
      form == ActivationCodeForm::kQrCode ? kActivationCodeQrPrefix : "", "1$",
      code.smdp_address, "$", code.matching_id);
  if (!code.smdp_oid.empty() || code.confirmation_code_required) {
    absl::StrAppend(&text, "$", code.smdp_oid);
  }
  if (code.confirmation_code_required) absl::StrAppend(&text, "$1");
  return text;
}

absl::StatusOr<ActivationCode> ParseActivationCode(absl::string_view text) {
  if (text.size() >= kActivationCodeQrPrefix.size() &&
      absl::EqualsIgnoreCase(text.substr(0, kActivationCodeQrPrefix.size()),
                             kActivationCodeQrPrefix)) {
    text.remove_prefix(kActivationCodeQrPrefix.size());
  }
  if (text.empty()) {
    return absl::InvalidArgumentError("activation code: empty");
  }
  std::vector<absl::string_view> fields = absl::StrSplit(text, '$');
  if (fields[0] != "1") {
    return Invalid("format", Quote(fields[0]),
                   "not 1 (the only Activation Code format SGP.22 defines)");
  }
  if (fields.size() < 3) {
    return absl::InvalidArgumentError(absl::StrCat(
        "activation code: ",
        fields.size() < 2 ? "no SM-DP+ address" : "no AC token (matchingId)",
        " field; the form is 1$<SM-DP+ address>$<matchingId>"));
  }
  if (fields.size() > kMaxFields) {
    return absl::InvalidArgumentError(absl::StrCat(
        "activation code: ", fields.size(),
        " fields; at most 5 (format, SM-DP+ address, AC token, SM-DP+ OID, "
        "confirmation code required flag)"));
  }
  ActivationCode code;
  code.smdp_address = std::string(fields[1]);
  code.matching_id = std::string(fields[2]);
  if (fields.size() >= 4) {
    if (fields[3].empty() && fields.size() == 4) {
      return absl::InvalidArgumentError(
          "activation code: empty SM-DP+ OID field at the end (without an OID "
          "or a confirmation code flag there is no '$' after the AC token)");
    }
    code.smdp_oid = std::string(fields[3]);
  }
  if (fields.size() == 5) {
    if (fields[4] != "1") {
      return Invalid("confirmation code required flag", Quote(fields[4]),
                     "must be 1 when present");
    }
    code.confirmation_code_required = true;
  }
  RETURN_IF_ERROR(ValidateActivationCode(code));
  return code;
}

}  // namespace smdp::order
