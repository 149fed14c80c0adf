// libFuzzer entry point for saip::DecodeProfilePackage (build and run with
// tools/fuzz.sh; seeds: a generated template written by the script).
#include <cstddef>
#include <cstdint>

#include "profiles/saip/profile_package.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view upp(reinterpret_cast<const char*>(data), size);
  auto package = smdp::profiles::saip::DecodeProfilePackage(upp);
  // Every location found must lie inside the input.
  if (package.ok()) {
    for (const auto& element : package->elements) {
      if (element.range.end() > size) __builtin_trap();
    }
    if (package->header.iccid.value.end() > size) __builtin_trap();
  }
  return 0;
}
