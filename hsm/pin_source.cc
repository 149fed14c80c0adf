#include "hsm/pin_source.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "absl/cleanup/cleanup.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace smdp::hsm {
namespace {

constexpr size_t kMaxPinFileSize = 4096;

void TrimTrailingNewline(std::string* pin) {
  while (!pin->empty() && (pin->back() == '\n' || pin->back() == '\r')) {
    pin->back() = '\0';
    pin->pop_back();
  }
}

absl::StatusOr<std::string> ReadPinFile(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    const absl::StatusCode code = err == ENOENT ? absl::StatusCode::kNotFound
                                  : err == EACCES || err == EPERM
                                      ? absl::StatusCode::kPermissionDenied
                                      : absl::StatusCode::kFailedPrecondition;
    return absl::Status(code, absl::StrCat("cannot open PIN file ", path, ": ",
                                           std::strerror(err)));
  }
  absl::Cleanup closer = [fd] { close(fd); };
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("PIN file ", path, " is not a regular file"));
  }
  if ((st.st_mode & 077) != 0) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "PIN file %s has mode %04o: group or others may access it; "
        "run chmod 600 %s",
        path, st.st_mode & 07777, path));
  }
  if (st.st_size > static_cast<off_t>(kMaxPinFileSize)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "PIN file ", path, " is larger than ", kMaxPinFileSize, " bytes"));
  }
  std::string pin(kMaxPinFileSize, '\0');
  size_t done = 0;
  while (done < pin.size()) {
    const ssize_t n = read(fd, pin.data() + done, pin.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      OPENSSL_cleanse(pin.data(), pin.size());
      return absl::PermissionDeniedError(absl::StrCat(
          "cannot read PIN file ", path, ": ", std::strerror(err)));
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  OPENSSL_cleanse(pin.data() + done, pin.size() - done);
  pin.resize(done);
  TrimTrailingNewline(&pin);
  if (pin.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("PIN file ", path, " is empty"));
  }
  return pin;
}

}  // namespace

absl::StatusOr<std::string> ReadPin(const PinSource& source) {
  if (!source.env_var.empty()) {
    const char* value = getenv(source.env_var.c_str());
    if (value == nullptr) {
      return absl::NotFoundError(absl::StrCat("PIN environment variable ",
                                              source.env_var, " is not set"));
    }
    std::string pin(value);
    TrimTrailingNewline(&pin);
    if (pin.empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "PIN environment variable ", source.env_var, " is empty"));
    }
    return pin;
  }
  if (!source.file.empty()) return ReadPinFile(source.file);
  return absl::InvalidArgumentError(
      "no PIN source configured: set an environment variable or a file");
}

}  // namespace smdp::hsm
