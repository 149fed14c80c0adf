#include "util/log.h"

#include <unistd.h>

#include <atomic>
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace smdp {
namespace {

std::atomic<int> min_level{static_cast<int>(LogLevel::kInfo)};

constexpr absl::string_view kNames[] = {"debug", "info", "warning", "error"};

}  // namespace

LogLevel ParseLogLevel(absl::string_view name) {
  for (int i = 0; i < 4; ++i) {
    if (name == kNames[i]) return static_cast<LogLevel>(i);
  }
  return LogLevel::kInfo;
}

void SetLogLevel(LogLevel level) {
  min_level.store(static_cast<int>(level), std::memory_order_relaxed);
}

void LogLine(LogLevel level, absl::string_view message) {
  if (static_cast<int>(level) < min_level.load(std::memory_order_relaxed)) {
    return;
  }
  std::string line =
      absl::StrCat(absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(),
                                    absl::UTCTimeZone()),
                   " ", kNames[static_cast<int>(level)], " ", message, "\n");
  // One write per line so concurrent lines never interleave.
  ssize_t ignored = write(STDERR_FILENO, line.data(), line.size());
  (void)ignored;  // Nowhere left to report a failed log write.
}

}  // namespace smdp
