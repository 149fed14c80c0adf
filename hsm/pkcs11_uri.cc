#include "hsm/pkcs11_uri.h"

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace smdp::hsm {
namespace {

constexpr absl::string_view kScheme = "pkcs11:";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

absl::StatusOr<std::string> PercentDecode(absl::string_view name,
                                          absl::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (size_t i = 0; i < value.size(); ++i) {
    if (value[i] != '%') {
      out.push_back(value[i]);
      continue;
    }
    const int hi = i + 1 < value.size() ? HexValue(value[i + 1]) : -1;
    const int lo = i + 2 < value.size() ? HexValue(value[i + 2]) : -1;
    if (hi < 0 || lo < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("PKCS#11 URI attribute '", name,
                       "' has an invalid percent-escape at offset ", i,
                       " (expected %XX with two hex digits)"));
    }
    out.push_back(static_cast<char>(hi << 4 | lo));
    i += 2;
  }
  return out;
}

}  // namespace

std::string PercentEncodeAll(absl::string_view bytes) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(3 * bytes.size());
  for (unsigned char c : bytes) {
    out.push_back('%');
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0xf]);
  }
  return out;
}

std::string KeyRef::Describe() const {
  std::vector<std::string> parts;
  if (object.has_value())
    parts.push_back(absl::StrCat("label '", *object, "'"));
  if (id.has_value())
    parts.push_back(absl::StrCat("id ", PercentEncodeAll(*id)));
  if (type.has_value()) parts.push_back(absl::StrCat("type ", *type));
  if (parts.empty()) return "any object";
  return absl::StrJoin(parts, ", ");
}

absl::StatusOr<KeyRef> ParseKeyRef(absl::string_view ref) {
  if (ref.empty()) {
    return absl::InvalidArgumentError("empty key reference");
  }
  KeyRef out;
  if (!absl::StartsWithIgnoreCase(ref, kScheme)) {
    out.object = std::string(ref);
    return out;
  }
  absl::string_view rest = ref.substr(kScheme.size());
  absl::string_view query;
  if (const size_t q = rest.find('?'); q != absl::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  if (!query.empty()) {
    std::vector<std::string> names;
    for (absl::string_view attr : absl::StrSplit(query, '&')) {
      names.push_back(std::string(attr.substr(0, attr.find('='))));
    }
    return absl::InvalidArgumentError(absl::StrCat(
        "PKCS#11 URI query attributes are not supported in a key reference (",
        absl::StrJoin(names, ", "),
        "); the module and PIN come from the provider configuration"));
  }
  std::vector<std::string> unknown;
  for (absl::string_view attr : absl::StrSplit(rest, ';', absl::SkipEmpty())) {
    const size_t eq = attr.find('=');
    if (eq == absl::string_view::npos || eq == 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "PKCS#11 URI path attribute '", attr, "' is not name=value"));
    }
    const absl::string_view name = attr.substr(0, eq);
    std::optional<std::string>* field = nullptr;
    if (name == "token") {
      field = &out.token;
    } else if (name == "manufacturer") {
      field = &out.manufacturer;
    } else if (name == "serial") {
      field = &out.serial;
    } else if (name == "model") {
      field = &out.model;
    } else if (name == "object") {
      field = &out.object;
    } else if (name == "id") {
      field = &out.id;
    } else if (name == "type") {
      field = &out.type;
    } else if (name == "slot-id") {
      if (out.slot_id.has_value()) {
        return absl::InvalidArgumentError(
            "PKCS#11 URI attribute 'slot-id' given twice");
      }
      unsigned long slot = 0;
      if (!absl::SimpleAtoi(attr.substr(eq + 1), &slot)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "PKCS#11 URI attribute 'slot-id' is not a decimal number: '",
            attr.substr(eq + 1), "'"));
      }
      out.slot_id = slot;
      continue;
    } else {
      unknown.push_back(std::string(name));
      continue;
    }
    if (field->has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat("PKCS#11 URI attribute '", name, "' given twice"));
    }
    auto value = PercentDecode(name, attr.substr(eq + 1));
    if (!value.ok()) return value.status();
    if (value->empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("PKCS#11 URI attribute '", name, "' is empty"));
    }
    *field = *std::move(value);
  }
  if (!unknown.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "unknown PKCS#11 URI attribute(s): ", absl::StrJoin(unknown, ", "),
        " (supported: token, manufacturer, serial, model, slot-id, object, "
        "id, type)"));
  }
  if (out.type.has_value() && *out.type != "private" && *out.type != "public" &&
      *out.type != "secret-key" && *out.type != "cert" && *out.type != "data") {
    return absl::InvalidArgumentError(
        absl::StrCat("PKCS#11 URI attribute 'type' is '", *out.type,
                     "'; expected private, public, secret-key, cert or data"));
  }
  return out;
}

}  // namespace smdp::hsm
