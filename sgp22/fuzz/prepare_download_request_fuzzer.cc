// libFuzzer entry point for PrepareDownloadRequest::Decode (see fuzz_targets.h;
// build and run with tools/fuzz.sh).
#include <cstddef>
#include <cstdint>

#include "sgp22/fuzz/fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  smdp::sgp22::fuzz::Run("PrepareDownloadRequest", data, size);
  return 0;
}
