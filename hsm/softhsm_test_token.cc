#include "hsm/softhsm_test_token.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <utility>

#include "absl/memory/memory.h"
#include "absl/strings/str_cat.h"
#include "util/status_macros.h"

namespace smdp::hsm {
namespace {

std::string* process_dir = nullptr;  // Set once by SetUpProcessDir().

void RemoveProcessDir() {
  std::error_code ignored;  // Best effort: it is a temporary directory.
  std::filesystem::remove_all(*process_dir, ignored);
}

// Creates the process-wide SoftHSM directory and configuration once.
absl::StatusOr<std::string> SetUpProcessDir() {
  if (process_dir != nullptr) return *process_dir;
  const char* base = getenv("TEST_TMPDIR");
  std::string templ = absl::StrCat(
      base != nullptr && *base != '\0' ? base : "/tmp", "/softhsm.XXXXXX");
  if (mkdtemp(templ.data()) == nullptr) {
    return absl::InternalError(absl::StrCat("mkdtemp ", templ, " failed"));
  }
  const std::string tokens = templ + "/tokens";
  std::error_code error;
  std::filesystem::create_directory(tokens, error);
  if (error) {
    return absl::InternalError(
        absl::StrCat("creating ", tokens, ": ", error.message()));
  }
  const std::string conf_path = templ + "/softhsm2.conf";
  {
    std::ofstream conf(conf_path);
    conf << "directories.tokendir = " << tokens << "\n"
         << "objectstore.backend = file\n"
         << "log.level = ERROR\n"
         << "slots.removable = false\n";
    if (!conf) return absl::InternalError(absl::StrCat("writing ", conf_path));
  }
  setenv("SOFTHSM2_CONF", conf_path.c_str(), 1);
  process_dir = new std::string(templ);
  std::atexit(RemoveProcessDir);
  return *process_dir;
}

}  // namespace

std::string SoftHsmTestToken::ModulePath() {
  const char* env = getenv("SMDP_SOFTHSM_MODULE");
  return env != nullptr && *env != '\0' ? env
                                        : "/usr/lib/softhsm/libsofthsm2.so";
}

SoftHsmTestToken::SoftHsmTestToken(Options options, std::string dir)
    : options_(std::move(options)), dir_(std::move(dir)) {}

absl::StatusOr<std::unique_ptr<SoftHsmTestToken>> SoftHsmTestToken::Create(
    Options options) {
  static std::atomic<int> counter{0};
  ASSIGN_OR_RETURN(std::string dir, SetUpProcessDir());
  if (options.label.empty()) {
    options.label = absl::StrCat("test-", getpid(), "-", counter++);
  }
  RETURN_IF_ERROR(InitializeToken(ModulePath(), options.label, options.so_pin,
                                  options.user_pin));
  return absl::WrapUnique(new SoftHsmTestToken(std::move(options), dir));
}

Pkcs11ProviderOptions SoftHsmTestToken::ProviderOptions() const {
  Pkcs11ProviderOptions options;
  options.module_path = ModulePath();
  options.token_label = options_.label;
  options.pin = options_.user_pin;
  return options;
}

absl::StatusOr<std::unique_ptr<Pkcs11Provider>> SoftHsmTestToken::OpenProvider()
    const {
  return Pkcs11Provider::Open(ProviderOptions());
}

absl::Status SoftHsmTestToken::RunSoftHsmUtil(const std::string& args) const {
  const std::string command = absl::StrCat("SOFTHSM2_CONF='", conf_path(),
                                           "' softhsm2-util ", args, " 2>&1");
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    return absl::InternalError(absl::StrCat("cannot run: ", command));
  }
  std::string output;
  char buf[512];
  while (size_t n = fread(buf, 1, sizeof(buf), pipe)) output.append(buf, n);
  const int status = pclose(pipe);
  if (status != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "softhsm2-util ", args, " failed (status ", status, "): ", output));
  }
  return absl::OkStatus();
}

}  // namespace smdp::hsm
