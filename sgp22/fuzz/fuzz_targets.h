// The decoders of sgp22 as fuzz targets, shared by the libFuzzer entry
// points in this directory (built with clang by tools/fuzz.sh) and by the
// Bazel tests that replay seeds and mutations through the same code.
//
// Each target decodes its input; when that succeeds it checks the encoding is
// stable: E1 = Encode(Decode(input)) must decode again and re-encode to the
// same bytes (a decoder that accepts what its encoder cannot reproduce is a
// bug). A violated check calls __builtin_trap(), which the fuzzer reports.
#ifndef SMDP_SGP22_FUZZ_FUZZ_TARGETS_H_
#define SMDP_SGP22_FUZZ_FUZZ_TARGETS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace smdp::sgp22::fuzz {

struct Target {
  // Name of the message type, e.g. "AuthenticateServerResponse"; also the
  // fuzzer's name (snake case + _fuzzer) in tools/fuzz.sh.
  const char* name;
  // Decode only: the status of T::Decode(input).
  absl::Status (*decode)(absl::string_view input);
  // Decode, and on success check the re-encoding is stable (traps if not).
  void (*run)(absl::string_view input);
};

// Every top-level decoder, plus der::ValidateDer as "Der".
const std::vector<Target>& Targets();
// The target named `name`, or nullptr.
const Target* FindTarget(absl::string_view name);

// Runs target `name` on `data` (for LLVMFuzzerTestOneInput). Traps on an
// unknown name.
void Run(const char* name, const uint8_t* data, size_t size);

}  // namespace smdp::sgp22::fuzz

#endif  // SMDP_SGP22_FUZZ_FUZZ_TARGETS_H_
