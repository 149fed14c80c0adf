#include "util/ssl_ptr.h"

#include <openssl/err.h>

#include "absl/strings/str_cat.h"

namespace smdp {

std::string DrainOpensslErrors() {
  std::string out;
  char buf[256];
  while (unsigned long e = ERR_get_error()) {
    ERR_error_string_n(e, buf, sizeof(buf));
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "no OpenSSL error" : out;
}

absl::Status OpensslError(absl::StatusCode code, absl::string_view what) {
  return absl::Status(code, absl::StrCat(what, ": ", DrainOpensslErrors()));
}

}  // namespace smdp
