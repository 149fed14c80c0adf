#include "util/ssl_ptr.h"

#include <openssl/err.h>

#include "absl/strings/str_cat.h"

namespace smdp {

std::string DrainOpensslErrors() {
  std::string out;
  char buf[256];
  const char* data = nullptr;
  int flags = 0;
  while (unsigned long e =
             ERR_get_error_all(nullptr, nullptr, nullptr, &data, &flags)) {
    ERR_error_string_n(e, buf, sizeof(buf));
    if (!out.empty()) out += "; ";
    out += buf;
    // The detail some errors carry (ERR_raise_data), e.g. a callback's reason.
    if ((flags & ERR_TXT_STRING) != 0 && data != nullptr && *data != '\0') {
      absl::StrAppend(&out, " (", data, ")");
    }
  }
  return out.empty() ? "no OpenSSL error" : out;
}

absl::Status OpensslError(absl::StatusCode code, absl::string_view what) {
  return absl::Status(code, absl::StrCat(what, ": ", DrainOpensslErrors()));
}

}  // namespace smdp
