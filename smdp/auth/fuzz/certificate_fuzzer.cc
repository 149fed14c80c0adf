// libFuzzer entry point for auth::ParseCertificate, our own X.509 parser
// (build and run with tools/fuzz.sh; seeds: certificates in hsm/testdata).
#include <cstddef>
#include <cstdint>

#include "smdp/auth/certificate.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto parsed = smdp::auth::ParseCertificate(
      absl::string_view(reinterpret_cast<const char*>(data), size));
  // A parsed certificate's pieces must lie inside the input.
  if (parsed.ok() && (parsed->tbs_der.size() > size ||
                      parsed->public_point.size() > size)) {
    __builtin_trap();
  }
  return 0;
}
