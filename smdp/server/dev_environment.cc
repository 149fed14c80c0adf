#include "smdp/server/dev_environment.h"

#include <dirent.h>
#include <stdlib.h>

#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "hsm/pkcs11_provider.h"
#include "hsm/software_provider.h"
#include "smdp/config/config.h"
#include "util/file_util.h"
#include "util/log.h"
#include "util/status_macros.h"

namespace smdp {
namespace {

bool DirIsEmpty(const std::string& path) {
  DIR* dir = opendir(path.c_str());
  if (dir == nullptr) return true;
  bool empty = true;
  while (struct dirent* entry = readdir(dir)) {
    std::string name = entry->d_name;
    if (name != "." && name != "..") {
      empty = false;
      break;
    }
  }
  closedir(dir);
  return empty;
}

// A random PIN of 16 hex digits, stored with mode 0600 if not there yet.
absl::StatusOr<std::string> EnsurePinFile(const std::string& path) {
  if (FileExists(path)) {
    ASSIGN_OR_RETURN(std::string pin, ReadFile(path, 256));
    while (!pin.empty() && (pin.back() == '\n' || pin.back() == '\r')) {
      pin.pop_back();
    }
    return pin;
  }
  ASSIGN_OR_RETURN(auto software, hsm::SoftwareProvider::Create({}));
  ASSIGN_OR_RETURN(std::string random, software->RandomBytes(8));
  std::string pin = absl::BytesToHexString(random);
  RETURN_IF_ERROR(WriteFileAtomically(path, pin + "\n", 0600));
  return pin;
}

}  // namespace

absl::Status PrepareDevHsm(const config::ServerConfig& config) {
  const config::HsmConfig& hsm = config.hsm();
  if (!config.dev_mode() || hsm.kind() != config::HsmConfig::PKCS11 ||
      hsm.module_path() != kDefaultPkcs11Module) {
    return absl::OkStatus();
  }
  std::string dir = absl::StrCat(config.data_dir(), "/hsm");
  std::string tokens = dir + "/tokens";
  RETURN_IF_ERROR(MakeDirs(tokens, 0700));
  std::string conf = dir + "/softhsm2.conf";
  if (!FileExists(conf)) {
    RETURN_IF_ERROR(WriteFileAtomically(
        conf,
        absl::StrCat("# SoftHSMv2 token of the smdpd development "
                     "environment.\ndirectories.tokendir = ",
                     tokens,
                     "\nobjectstore.backend = file\nlog.level = ERROR\n"),
        0600));
  }
  if (getenv("SOFTHSM2_CONF") == nullptr) {
    setenv("SOFTHSM2_CONF", conf.c_str(), /*overwrite=*/1);
  }
  if (!DirIsEmpty(tokens)) return absl::OkStatus();

  // First run: a fresh token with random PINs. The user PIN goes where the
  // config reads it from (hsm.pin_file), unless the env var provides one.
  std::string pin;
  if (const char* env = getenv(hsm.pin_env().c_str());
      env != nullptr && *env != '\0') {
    pin = env;
  } else if (!hsm.pin_file().empty()) {
    ASSIGN_OR_RETURN(pin, EnsurePinFile(hsm.pin_file()));
  } else {
    return absl::FailedPreconditionError(
        "dev mode: set hsm.pin_file or the PIN env var to create the token");
  }
  ASSIGN_OR_RETURN(std::string so_pin, EnsurePinFile(dir + "/so-pin"));
  RETURN_IF_ERROR(
      hsm::InitializeToken(hsm.module_path(), hsm.token_label(), so_pin, pin));
  LogInfo("dev: created SoftHSM token '", hsm.token_label(), "' in ", tokens);
  return absl::OkStatus();
}

}  // namespace smdp
