// euicc_apdu_stdio: the software eUICC as the card behind lpac's "stdio" APDU
// driver (see stdio_driver.h for the protocol, README.md for lpac).
//
//   euicc_apdu_stdio --state=DIR [--now=RFC3339] [--log=FILE] -- LPAC ARGS...
//       Runs LPAC ARGS... (e.g. /path/to/lpac chip info) with LPAC_APDU=stdio,
//       its stdin and stdout connected to the card: APDU requests are
//       answered, every other line lpac prints is copied to our stdout.
//       Exits with lpac's exit code (128+N when killed by signal N).
//   ... --es9_relay=https://HOST:PORT --es9_cacert=CI.pem[,CI2.pem] -- LPAC ...
//       Also runs lpac with LPAC_HTTP=stdio and sends its ES9+ requests to
//       HOST:PORT (TLS verified with the CI), whatever host its URLs name:
//       `lpac profile download -s localhost` then reaches an SM-DP+ on a
//       port other than 443 while sending smdpAddress "localhost" (see
//       es9_relay.h).
//   euicc_apdu_stdio --state=DIR [--now=...] [--log=FILE]
//       Filter: requests on stdin, answers on stdout, other lines to stderr
//       (for wiring by hand, e.g. socat EXEC:'lpac chip info'
//       EXEC:'euicc_apdu_stdio --state=DIR').
//
// DIR is an eUICC made by `euicc_cli --state=DIR init ...`; its state
// (state.txt, and card.txt with installed profiles and notifications) is
// saved after every ES10 command. --log writes one line per ES10 command
// and per refused APDU (--log=- for stderr). --now fixes the eUICC's clock.
//
// Exit codes: lpac's (spawn mode), 0 at the end of input (filter mode), 1
// when DIR cannot be loaded or saved or lpac cannot be started, 2 for usage
// errors.
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "tests/euicc/apdu/es9_relay.h"
#include "tests/euicc/apdu/euicc_apdu_card.h"
#include "tests/euicc/apdu/state_dir.h"
#include "tests/euicc/apdu/stdio_driver.h"
#include "tests/euicc/software_euicc.h"

ABSL_FLAG(std::string, state, "", "Directory of the eUICC (euicc_cli init).");
ABSL_FLAG(std::string, now, "", "The eUICC's clock (RFC 3339); default now.");
ABSL_FLAG(std::string, log, "", "Log ES10 commands to this file (- : stderr).");
ABSL_FLAG(std::string, es9_relay, "",
          "Answer lpac's HTTP requests (LPAC_HTTP=stdio) by sending them to "
          "this https://host:port instead.");
ABSL_FLAG(std::string, es9_cacert, "",
          "--es9_relay: trusted CI certificates (PEM), comma-separated.");

namespace {

using smdp::euicc::SoftwareEuicc;
using smdp::euicc::apdu::EuiccApduCard;
using smdp::euicc::apdu::StdioCardServer;

constexpr char kUsage[] =
    "usage: euicc_apdu_stdio --state=DIR [--now=RFC3339] [--log=FILE] "
    "[-- LPAC ARGS...]";

int Fail(int code, absl::string_view message) {
  std::cerr << "euicc_apdu_stdio: " << message << std::endl;
  return code;
}

// Reads one line (without its newline) from `in`; false at EOF.
bool ReadLine(FILE* in, std::string* line) {
  line->clear();
  int c;
  while ((c = std::fgetc(in)) != EOF) {
    if (c == '\n') return true;
    line->push_back(static_cast<char>(c));
  }
  return !line->empty();
}

bool WriteLine(FILE* out, absl::string_view line) {
  return std::fwrite(line.data(), 1, line.size(), out) == line.size() &&
         std::fputc('\n', out) != EOF && std::fflush(out) == 0;
}

class CardProcess {
 public:
  CardProcess(std::string dir, std::unique_ptr<SoftwareEuicc> euicc,
              std::function<void(absl::string_view)> log)
      : dir_(std::move(dir)),
        euicc_(std::move(euicc)),
        card_(*euicc_, {.log = std::move(log)}),
        server_(card_) {}

  absl::Status Load() {
    return smdp::euicc::apdu::LoadCardFromDir(dir_, card_);
  }

  void set_http_handler(smdp::euicc::apdu::HttpHandler handler) {
    server_.set_http_handler(std::move(handler));
  }

  // The answer to `line`, or nullopt to pass it on. Saves the state when an
  // ES10 command changed it.
  absl::StatusOr<std::optional<std::string>> Handle(absl::string_view line) {
    std::optional<std::string> answer = server_.HandleLine(line);
    if (card_.state_version() != saved_version_) {
      if (absl::Status s = Save(); !s.ok()) return s;
    }
    return answer;
  }

  absl::Status Save() {
    saved_version_ = card_.state_version();
    if (absl::Status s = smdp::euicc::apdu::SaveEuiccToDir(dir_, *euicc_);
        !s.ok()) {
      return s;
    }
    return smdp::euicc::apdu::SaveCardToDir(dir_, card_);
  }

 private:
  std::string dir_;
  std::unique_ptr<SoftwareEuicc> euicc_;
  EuiccApduCard card_;
  StdioCardServer server_;
  uint64_t saved_version_ = 0;
};

// Requests on `in`, answers on `answers`, other lines on `others`, until
// EOF. Returns 0, or 1 when the state cannot be saved.
int Serve(CardProcess& card, FILE* in, FILE* answers, FILE* others) {
  std::string line;
  while (ReadLine(in, &line)) {
    absl::StatusOr<std::optional<std::string>> answer = card.Handle(line);
    if (!answer.ok()) return Fail(1, answer.status().message());
    if (*answer) {
      if (!WriteLine(answers, **answer)) {
        return Fail(1, "cannot write to lpac (did it exit?)");
      }
    } else {
      WriteLine(others, line);
    }
  }
  return 0;
}

// Runs `argv` with its stdin/stdout on pipes to the card. Returns its exit
// code.
int SpawnAndServe(CardProcess& card, const std::vector<std::string>& argv,
                  bool http_too) {
  int to_child[2], from_child[2];
  if (pipe(to_child) != 0 || pipe(from_child) != 0) {
    return Fail(1, absl::StrCat("pipe: ", std::strerror(errno)));
  }
  const pid_t pid = fork();
  if (pid < 0) return Fail(1, absl::StrCat("fork: ", std::strerror(errno)));
  if (pid == 0) {
    dup2(to_child[0], STDIN_FILENO);
    dup2(from_child[1], STDOUT_FILENO);
    close(to_child[0]);
    close(to_child[1]);
    close(from_child[0]);
    close(from_child[1]);
    setenv("LPAC_APDU", "stdio", 1);
    if (http_too) setenv("LPAC_HTTP", "stdio", 1);
    std::vector<char*> args;
    for (const std::string& a : argv)
      args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    std::fprintf(stderr, "euicc_apdu_stdio: cannot run %s: %s\n", args[0],
                 std::strerror(errno));
    _exit(127);
  }
  close(to_child[0]);
  close(from_child[1]);
  FILE* answers = fdopen(to_child[1], "w");
  FILE* in = fdopen(from_child[0], "r");
  const int served = Serve(card, in, answers, stdout);
  std::fclose(answers);
  std::fclose(in);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (absl::Status s = card.Save(); !s.ok()) return Fail(1, s.message());
  if (served != 0) return served;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  const std::string dir = absl::GetFlag(FLAGS_state);
  if (dir.empty()) return Fail(2, kUsage);
  std::optional<absl::Time> now;
  if (!absl::GetFlag(FLAGS_now).empty()) {
    absl::Time t;
    std::string error;
    if (!absl::ParseTime(absl::RFC3339_full, absl::GetFlag(FLAGS_now), &t,
                         &error)) {
      return Fail(2, absl::StrCat("--now: ", error));
    }
    now = t;
  }
  std::signal(SIGPIPE, SIG_IGN);

  std::function<void(absl::string_view)> log;
  std::shared_ptr<std::ofstream> log_file;
  const std::string log_path = absl::GetFlag(FLAGS_log);
  if (log_path == "-") {
    log = [](absl::string_view line) { std::cerr << line << std::endl; };
  } else if (!log_path.empty()) {
    log_file = std::make_shared<std::ofstream>(log_path, std::ios::app);
    if (!*log_file) return Fail(1, absl::StrCat("cannot open ", log_path));
    log = [log_file](absl::string_view line) {
      *log_file << line << std::endl;
    };
  }

  absl::StatusOr<std::unique_ptr<SoftwareEuicc>> euicc =
      smdp::euicc::apdu::LoadEuiccFromDir(dir, now);
  if (!euicc.ok()) return Fail(1, euicc.status().message());
  CardProcess card(dir, *std::move(euicc), log);
  if (absl::Status s = card.Load(); !s.ok()) return Fail(1, s.message());

  std::unique_ptr<smdp::euicc::apdu::Es9Relay> relay;
  if (!absl::GetFlag(FLAGS_es9_relay).empty()) {
    absl::StatusOr<std::unique_ptr<smdp::euicc::apdu::Es9Relay>> made =
        smdp::euicc::apdu::Es9Relay::Create(
            absl::GetFlag(FLAGS_es9_relay),
            absl::StrSplit(absl::GetFlag(FLAGS_es9_cacert), ',',
                           absl::SkipEmpty()));
    if (!made.ok()) return Fail(2, made.status().message());
    relay = *std::move(made);
    card.set_http_handler(
        [&relay, log](absl::string_view url, absl::string_view body,
                      const std::vector<std::string>& headers)
            -> absl::StatusOr<smdp::euicc::apdu::HttpExchange> {
          absl::StatusOr<smdp::euicc::apdu::HttpExchange> answer =
              relay->Send(url, body, headers);
          if (!answer.ok()) {
            std::cerr << "euicc_apdu_stdio: " << url << ": "
                      << answer.status().message() << std::endl;
          } else if (log) {
            log(absl::StrCat("HTTP ", url, ": ", answer->rcode, ", ",
                             answer->body.size(), " bytes"));
          }
          return answer;
        });
  }

  if (args.size() > 1) {
    std::vector<std::string> command(args.begin() + 1, args.end());
    return SpawnAndServe(card, command, relay != nullptr);
  }
  const int served = Serve(card, stdin, stdout, stderr);
  if (absl::Status s = card.Save(); !s.ok()) return Fail(1, s.message());
  return served;
}
