// Subprocess: runs a binary for end-to-end tests, with its stdout and stderr
// captured, a working directory, extra environment and a timeout.
//
//   Subprocess server({smdpd, "--grpc_listen=127.0.0.1:0"}, {.cwd = dir});
//   ASSERT_OK(server.Start());
//   std::string line = server.ReadStdoutLine(absl::Seconds(30));
//   server.Signal(SIGTERM);
//   int code = server.Wait(absl::Seconds(10));
//
// Not thread-safe. The destructor kills a process that is still running.
#ifndef SMDP_TESTS_TESTING_SUBPROCESS_H_
#define SMDP_TESTS_TESTING_SUBPROCESS_H_

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace smdp::testing {

struct SubprocessOptions {
  std::string cwd;                         // Empty: the test's cwd.
  std::map<std::string, std::string> env;  // Set on top of the test's env.
  std::vector<std::string> unset_env;      // Removed from the env.
};

class Subprocess {
 public:
  Subprocess(std::vector<std::string> argv, SubprocessOptions options = {});
  ~Subprocess();

  [[nodiscard]] absl::Status Start();

  // The next line of stdout without its newline; DeadlineExceeded after
  // `timeout`, NotFound at end of output.
  [[nodiscard]] absl::StatusOr<std::string> ReadStdoutLine(
      absl::Duration timeout);

  void Signal(int signal);

  // Waits for exit and drains the output. Returns the exit code, 128+N for a
  // signal N, or -1 after `timeout` (the process is then killed).
  int Wait(absl::Duration timeout);

  // Everything read so far (all of it after Wait()).
  const std::string& stdout_text() const { return stdout_; }
  const std::string& stderr_text() const { return stderr_; }

  // Runs to completion; convenience for CLIs.
  static int Run(std::vector<std::string> argv, SubprocessOptions options,
                 std::string* out, std::string* err,
                 absl::Duration timeout = absl::Seconds(60));

 private:
  bool Pump(int timeout_ms);

  std::vector<std::string> argv_;
  SubprocessOptions options_;
  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  std::string stdout_;
  size_t stdout_consumed_ = 0;
  std::string stderr_;
  int exit_code_ = -1;
};

// Path of a binary in the test's runfiles ("smdp/smdpd" → .../smdp/smdpd).
std::string RunfilePath(const std::string& workspace_relative);

}  // namespace smdp::testing

#endif  // SMDP_TESTS_TESTING_SUBPROCESS_H_
