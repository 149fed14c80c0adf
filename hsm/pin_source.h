// Where an HSM user PIN comes from: an environment variable or a file.
//
//   ASSIGN_OR_RETURN(std::string pin,
//                    ReadPin({.env_var = "SMDP_HSM_PIN"}));
//   options.pin = std::move(pin);
//
// The PIN is never part of an error message or log line; errors name only
// the variable or file and what is wrong with it.
//
// Thread-safety: ReadPin() reads the environment and the file system and is
// safe from any thread (as far as getenv() is: do not setenv concurrently).
#ifndef SMDP_HSM_PIN_SOURCE_H_
#define SMDP_HSM_PIN_SOURCE_H_

#include <string>

#include "absl/status/statusor.h"

namespace smdp::hsm {

// Exactly one of the two fields should be set; `env_var` wins when both are.
struct PinSource {
  // Name of an environment variable holding the PIN. Default: unset.
  std::string env_var;
  // Path of a file holding the PIN; trailing "\n" / "\r\n" is removed. The
  // file must not be accessible by group or others (mode 0600 or 0400).
  // Default: unset.
  std::string file;
};

// Reads the PIN. Errors:
//   InvalidArgument     neither field set.
//   NotFound            the variable is unset or the file does not exist.
//   FailedPrecondition  the variable or file is empty, the file is not a
//                       regular file, or group/others may access it (the
//                       message gives the mode and the chmod to fix it).
//   PermissionDenied    the file cannot be read.
[[nodiscard]] absl::StatusOr<std::string> ReadPin(const PinSource& source);

}  // namespace smdp::hsm

#endif  // SMDP_HSM_PIN_SOURCE_H_
