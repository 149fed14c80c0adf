// Minimal structured logging to stderr: one line per event,
//   2026-11-29T07:50:00.123Z info smdpd: serving grpc=127.0.0.1:9443
// Never pass key material, PINs or subscriber secrets to these functions.
// Thread-safe: each line is written with one write(2).
#ifndef SMDP_UTIL_LOG_H_
#define SMDP_UTIL_LOG_H_

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace smdp {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// Parses "debug", "info", "warning", "error"; anything else is kInfo.
LogLevel ParseLogLevel(absl::string_view name);

// Lines below `level` are dropped. Set once at start-up, before threads.
void SetLogLevel(LogLevel level);

void LogLine(LogLevel level, absl::string_view message);

template <typename... Args>
void LogDebug(const Args&... args) {
  LogLine(LogLevel::kDebug, absl::StrCat(args...));
}
template <typename... Args>
void LogInfo(const Args&... args) {
  LogLine(LogLevel::kInfo, absl::StrCat(args...));
}
template <typename... Args>
void LogWarning(const Args&... args) {
  LogLine(LogLevel::kWarning, absl::StrCat(args...));
}
template <typename... Args>
void LogError(const Args&... args) {
  LogLine(LogLevel::kError, absl::StrCat(args...));
}

}  // namespace smdp

#endif  // SMDP_UTIL_LOG_H_
