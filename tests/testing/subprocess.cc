#include "tests/testing/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

extern char** environ;

namespace smdp::testing {

Subprocess::Subprocess(std::vector<std::string> argv, SubprocessOptions options)
    : argv_(std::move(argv)), options_(std::move(options)) {}

Subprocess::~Subprocess() {
  if (pid_ > 0 && exit_code_ == -1) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (out_fd_ >= 0) close(out_fd_);
  if (err_fd_ >= 0) close(err_fd_);
}

absl::Status Subprocess::Start() {
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
    return absl::InternalError("pipe failed");
  }
  pid_ = fork();
  if (pid_ < 0) return absl::InternalError("fork failed");
  if (pid_ == 0) {
    dup2(out[1], STDOUT_FILENO);
    dup2(err[1], STDERR_FILENO);
    if (!options_.cwd.empty() && chdir(options_.cwd.c_str()) != 0) _exit(126);
    for (const auto& name : options_.unset_env) unsetenv(name.c_str());
    for (const auto& [name, value] : options_.env) {
      setenv(name.c_str(), value.c_str(), 1);
    }
    std::vector<char*> args;
    for (auto& a : argv_) args.push_back(a.data());
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  close(out[1]);
  close(err[1]);
  out_fd_ = out[0];
  err_fd_ = err[0];
  return absl::OkStatus();
}

bool Subprocess::Pump(int timeout_ms) {
  pollfd fds[2] = {{out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}};
  int n = poll(fds, 2, timeout_ms);
  if (n <= 0) return false;
  bool any = false;
  char buf[4096];
  for (int i = 0; i < 2; ++i) {
    if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
    ssize_t r = read(fds[i].fd, buf, sizeof(buf));
    if (r > 0) {
      (i == 0 ? stdout_ : stderr_).append(buf, r);
      any = true;
    } else {
      close(fds[i].fd);
      (i == 0 ? out_fd_ : err_fd_) = -1;
    }
  }
  return any;
}

absl::StatusOr<std::string> Subprocess::ReadStdoutLine(absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  while (true) {
    size_t nl = stdout_.find('\n', stdout_consumed_);
    if (nl != std::string::npos) {
      std::string line =
          stdout_.substr(stdout_consumed_, nl - stdout_consumed_);
      stdout_consumed_ = nl + 1;
      return line;
    }
    if (out_fd_ < 0) {
      return absl::NotFoundError(
          absl::StrCat("end of stdout; stderr: ", stderr_));
    }
    absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) {
      return absl::DeadlineExceededError(
          absl::StrCat("no stdout line; stderr: ", stderr_));
    }
    Pump(static_cast<int>(absl::ToInt64Milliseconds(left)) + 1);
  }
}

void Subprocess::Signal(int signal) {
  if (pid_ > 0 && exit_code_ == -1) kill(pid_, signal);
}

int Subprocess::Wait(absl::Duration timeout) {
  if (exit_code_ != -1) return exit_code_;
  absl::Time deadline = absl::Now() + timeout;
  while (true) {
    while (out_fd_ >= 0 || err_fd_ >= 0) {
      if (!Pump(50) && absl::Now() > deadline) break;
    }
    int status = 0;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      exit_code_ =
          WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return exit_code_;
    }
    if (absl::Now() > deadline) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      exit_code_ = -1;
      pid_ = -1;
      return -1;
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
}

int Subprocess::Run(std::vector<std::string> argv, SubprocessOptions options,
                    std::string* out, std::string* err,
                    absl::Duration timeout) {
  Subprocess p(std::move(argv), std::move(options));
  if (!p.Start().ok()) return -1;
  int code = p.Wait(timeout);
  if (out != nullptr) *out = p.stdout_text();
  if (err != nullptr) *err = p.stderr_text();
  return code;
}

std::string RunfilePath(const std::string& workspace_relative) {
  const char* srcdir = getenv("TEST_SRCDIR");
  const char* workspace = getenv("TEST_WORKSPACE");
  return absl::StrCat(srcdir ? srcdir : ".", "/",
                      workspace ? workspace : "smdp", "/", workspace_relative);
}

}  // namespace smdp::testing
