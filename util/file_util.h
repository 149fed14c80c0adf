// Small file helpers with absl::Status errors that name the path.
#ifndef SMDP_UTIL_FILE_UTIL_H_
#define SMDP_UTIL_FILE_UTIL_H_

#include <sys/types.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace smdp {

// Reads a whole file of at most `max_bytes`. NotFound when it does not
// exist, InvalidArgument when it is larger.
[[nodiscard]] absl::StatusOr<std::string> ReadFile(const std::string& path,
                                                   size_t max_bytes = 16 << 20);

// Writes `data` to `path` atomically and durably: a temporary file in the
// same directory, fsync, rename, fsync of the directory. After a crash the
// file holds either the old or the new content, never a mix. `mode` is the
// permission of the new file (0600 for anything sensitive).
[[nodiscard]] absl::Status WriteFileAtomically(const std::string& path,
                                               absl::string_view data,
                                               mode_t mode = 0644);

// Creates `path` and its missing parents with `mode` (like mkdir -p).
[[nodiscard]] absl::Status MakeDirs(const std::string& path,
                                    mode_t mode = 0755);

bool FileExists(const std::string& path);

}  // namespace smdp

#endif  // SMDP_UTIL_FILE_UTIL_H_
