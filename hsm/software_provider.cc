#include "hsm/software_provider.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/memory/memory.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "hsm/internal/ec_util.h"
#include "hsm/internal/software_keys.h"
#include "hsm/pkcs11_uri.h"
#include "util/ssl_ptr.h"
#include "util/status_macros.h"

namespace smdp::hsm {
namespace {

constexpr size_t kMaxRandomBytes = 1 << 20;
constexpr size_t kMaxLabelSize = 128;
constexpr char kAesPemName[] = "SMDP AES-256 KEY";

absl::Status ValidateLabel(absl::string_view label) {
  bool ok = !label.empty() && label.size() <= kMaxLabelSize && label[0] != '.';
  for (char c : label) {
    if (!ok) break;
    ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
  }
  if (!ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid key label '", label,
        "': use 1 to 128 characters of [A-Za-z0-9._-], not starting with "
        "'.'"));
  }
  return absl::OkStatus();
}

absl::Status ErrnoError(absl::string_view what, absl::string_view path,
                        int err) {
  const absl::StatusCode code = err == ENOENT ? absl::StatusCode::kNotFound
                                : err == EACCES || err == EPERM
                                    ? absl::StatusCode::kPermissionDenied
                                    : absl::StatusCode::kFailedPrecondition;
  return absl::Status(code,
                      absl::StrCat(what, " ", path, ": ", std::strerror(err)));
}

// Reads a whole key file, refusing one that group or others may access.
absl::StatusOr<std::string> ReadKeyFile(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("cannot open key file", path, errno);
  absl::Cleanup closer = [fd] { close(fd); };
  struct stat st;
  if (fstat(fd, &st) != 0) return ErrnoError("cannot stat", path, errno);
  if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("key file ", path, " is not a regular file"));
  }
  if ((st.st_mode & 077) != 0) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "key file %s has mode %04o: group or others may access it; "
        "chmod 600 it",
        path, st.st_mode & 07777));
  }
  std::string data(static_cast<size_t>(st.st_size), '\0');
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = read(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      OPENSSL_cleanse(data.data(), data.size());
      return ErrnoError("cannot read key file", path, n < 0 ? errno : EIO);
    }
    done += static_cast<size_t>(n);
  }
  return data;
}

absl::Status WriteAll(int fd, absl::string_view data) {
  while (!data.empty()) {
    const ssize_t n = write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      return absl::Status(absl::ErrnoToStatusCode(errno), std::strerror(errno));
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

// Writes `data` to `path` atomically and durably, failing with AlreadyExists
// when `path` exists. The file has mode 0600.
absl::Status WriteNewKeyFile(const std::string& dir, const std::string& path,
                             absl::string_view data) {
  unsigned char rnd[8];
  if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
    return OpensslError(absl::StatusCode::kUnavailable, "RAND_bytes");
  }
  const std::string tmp = absl::StrCat(
      dir, "/.tmp-",
      internal::HexOf(absl::string_view(reinterpret_cast<char*>(rnd), 8)));
  const int fd =
      open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoError("cannot create key file in", dir, errno);
  absl::Cleanup remove_tmp = [&tmp] { unlink(tmp.c_str()); };
  absl::Status status = WriteAll(fd, data);
  if (status.ok() && fsync(fd) != 0) {
    status = absl::Status(absl::ErrnoToStatusCode(errno),
                          absl::StrCat("fsync: ", std::strerror(errno)));
  }
  if (close(fd) != 0 && status.ok()) {
    status = absl::Status(absl::ErrnoToStatusCode(errno),
                          absl::StrCat("close: ", std::strerror(errno)));
  }
  if (!status.ok()) {
    return absl::Status(status.code(), absl::StrCat("writing key file ", tmp,
                                                    ": ", status.message()));
  }
  // link() fails if `path` exists: never overwrites a key.
  if (link(tmp.c_str(), path.c_str()) != 0) {
    if (errno == EEXIST) {
      return absl::AlreadyExistsError(
          absl::StrCat("key file ", path, " already exists"));
    }
    return ErrnoError("cannot create key file", path, errno);
  }
  const int dir_fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    // Best effort: the key is complete either way, fsync of the directory
    // only makes its name durable sooner.
    (void)fsync(dir_fd);
    close(dir_fd);
  }
  return absl::OkStatus();
}

// Serialises to PEM with `write`, returning the text.
template <typename WriteFn>
absl::StatusOr<std::string> ToPem(WriteFn write) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || !write(bio.get())) {
    return OpensslError(absl::StatusCode::kInternal, "writing PEM");
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  std::string pem(data, static_cast<size_t>(len));
  OPENSSL_cleanse(data, static_cast<size_t>(len));
  return pem;
}

}  // namespace

// A cached key: exactly one of `ec` and `aes` is set. Immutable.
struct SoftwareProvider::StoredKey {
  EvpPkeyPtr ec;
  std::string aes;

  ~StoredKey() { OPENSSL_cleanse(aes.data(), aes.size()); }

  absl::StatusOr<std::string> ToPem() const {
    if (ec != nullptr) {
      return ::smdp::hsm::ToPem([this](BIO* bio) {
        return PEM_write_bio_PrivateKey(bio, ec.get(), nullptr, nullptr, 0,
                                        nullptr, nullptr) == 1;
      });
    }
    return ::smdp::hsm::ToPem([this](BIO* bio) {
      return PEM_write_bio(bio, kAesPemName, "",
                           reinterpret_cast<const unsigned char*>(aes.data()),
                           static_cast<long>(aes.size())) > 0;
    });
  }

  static absl::StatusOr<std::shared_ptr<const StoredKey>> FromPem(
      absl::string_view pem, absl::string_view where) {
    auto key = std::make_shared<StoredKey>();
    BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    char* name = nullptr;
    char* header = nullptr;
    unsigned char* data = nullptr;
    long len = 0;
    if (bio == nullptr ||
        PEM_read_bio(bio.get(), &name, &header, &data, &len) != 1) {
      return OpensslError(absl::StatusCode::kDataLoss,
                          absl::StrCat("key file ", where, " is not PEM"));
    }
    absl::Cleanup free_pem = [&] {
      OPENSSL_free(name);
      OPENSSL_free(header);
      OPENSSL_clear_free(data, static_cast<size_t>(len));
    };
    if (std::strcmp(name, kAesPemName) == 0) {
      if (len != static_cast<long>(internal::kAesKeySize)) {
        return absl::DataLossError(
            absl::StrCat("AES key in ", where, " has the wrong size"));
      }
      key->aes.assign(reinterpret_cast<const char*>(data),
                      static_cast<size_t>(len));
      return key;
    }
    auto ec = internal::ParsePrivateKey(pem);
    if (!ec.ok()) {
      return absl::DataLossError(
          absl::StrCat("key file ", where,
                       " holds no private key: ", ec.status().message()));
    }
    key->ec = *std::move(ec);
    return key;
  }
};

SoftwareProvider::SoftwareProvider(SoftwareProviderOptions options)
    : options_(std::move(options)) {}

SoftwareProvider::~SoftwareProvider() = default;

absl::StatusOr<std::unique_ptr<SoftwareProvider>> SoftwareProvider::Create(
    SoftwareProviderOptions options) {
  if (!options.key_dir.empty()) {
    while (options.key_dir.size() > 1 && options.key_dir.back() == '/') {
      options.key_dir.pop_back();
    }
    struct stat st;
    if (stat(options.key_dir.c_str(), &st) != 0) {
      if (errno != ENOENT || mkdir(options.key_dir.c_str(), 0700) != 0) {
        return ErrnoError("cannot create key directory", options.key_dir,
                          errno);
      }
    } else if (!S_ISDIR(st.st_mode)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "key directory ", options.key_dir, " exists but is not a directory"));
    }
  }
  return absl::WrapUnique(new SoftwareProvider(std::move(options)));
}

std::string SoftwareProvider::Describe() const {
  return options_.key_dir.empty() ? "software:memory"
                                  : absl::StrCat("software:", options_.key_dir);
}

std::string SoftwareProvider::Where(absl::string_view label) const {
  if (options_.key_dir.empty()) return "in memory";
  return absl::StrCat(options_.key_dir, "/", label, ".pem");
}

absl::StatusOr<std::shared_ptr<const SoftwareProvider::StoredKey>>
SoftwareProvider::FindLocked(absl::string_view label) {
  if (auto it = keys_.find(label); it != keys_.end()) return it->second;
  if (options_.key_dir.empty()) {
    return absl::NotFoundError(
        absl::StrCat("no key labelled '", label, "' (", Describe(), ")"));
  }
  const std::string path = Where(label);
  auto pem = ReadKeyFile(path);
  if (!pem.ok()) {
    if (absl::IsNotFound(pem.status())) {
      return absl::NotFoundError(absl::StrCat("no key labelled '", label,
                                              "': ", path, " does not exist"));
    }
    return pem.status();
  }
  auto key = StoredKey::FromPem(*pem, path);
  OPENSSL_cleanse(pem->data(), pem->size());
  if (!key.ok()) return key.status();
  keys_.emplace(label, *key);
  return key;
}

absl::Status SoftwareProvider::StoreLocked(
    absl::string_view label, std::shared_ptr<const StoredKey> key) {
  if (!options_.key_dir.empty()) {
    ASSIGN_OR_RETURN(std::string pem, key->ToPem());
    absl::Status status = WriteNewKeyFile(options_.key_dir, Where(label), pem);
    OPENSSL_cleanse(pem.data(), pem.size());
    RETURN_IF_ERROR(status);
  } else if (keys_.contains(label)) {
    return absl::AlreadyExistsError(
        absl::StrCat("a key labelled '", label, "' already exists in memory"));
  }
  keys_.insert_or_assign(std::string(label), std::move(key));
  return absl::OkStatus();
}

namespace {

absl::StatusOr<std::unique_ptr<SigningKey>> SigningHandle(const EVP_PKEY* key) {
  EVP_PKEY* ref = const_cast<EVP_PKEY*>(key);
  if (EVP_PKEY_up_ref(ref) != 1) {
    return OpensslError(absl::StatusCode::kInternal, "EVP_PKEY_up_ref");
  }
  return internal::MakeSoftwareSigningKey(EvpPkeyPtr(ref));
}

}  // namespace

absl::StatusOr<std::unique_ptr<SigningKey>> SoftwareProvider::LoadSigningKey(
    absl::string_view key_ref) {
  ASSIGN_OR_RETURN(KeyRef ref, ParseKeyRef(key_ref));
  if (ref.id.has_value()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "key reference '", key_ref,
        "' selects by id, but software keys have no id; use object=<label>"));
  }
  if (ref.type.has_value() && *ref.type != "private") {
    return absl::InvalidArgumentError(
        absl::StrCat("key reference '", key_ref, "' has type=", *ref.type,
                     "; a signing key is type=private"));
  }
  if (!ref.object.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("key reference '", key_ref, "' names no object label"));
  }
  RETURN_IF_ERROR(ValidateLabel(*ref.object));
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(std::shared_ptr<const StoredKey> key,
                   FindLocked(*ref.object));
  if (key->ec == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("key '", *ref.object, "' (", Where(*ref.object),
                     ") is an AES secret key, not an EC signing key"));
  }
  auto handle = SigningHandle(key->ec.get());
  if (!handle.ok()) {
    return absl::Status(
        handle.status().code(),
        absl::StrCat("key '", *ref.object, "' (", Where(*ref.object),
                     "): ", handle.status().message()));
  }
  return handle;
}

absl::StatusOr<std::unique_ptr<SigningKey>>
SoftwareProvider::GenerateSigningKey(absl::string_view label, Curve curve) {
  RETURN_IF_ERROR(ValidateLabel(label));
  absl::MutexLock lock(&mu_);
  if (auto existing = FindLocked(label); existing.ok()) {
    return absl::AlreadyExistsError(absl::StrCat(
        "a key labelled '", label, "' already exists (", Where(label), ")"));
  } else if (!absl::IsNotFound(existing.status())) {
    return existing.status();
  }
  auto key = std::make_shared<StoredKey>();
  ASSIGN_OR_RETURN(key->ec, internal::GenerateEcKey(curve));
  RETURN_IF_ERROR(StoreLocked(label, key));
  return SigningHandle(key->ec.get());
}

absl::StatusOr<std::unique_ptr<SigningKey>> SoftwareProvider::ImportSigningKey(
    absl::string_view label, absl::string_view private_key) {
  RETURN_IF_ERROR(ValidateLabel(label));
  auto key = std::make_shared<StoredKey>();
  ASSIGN_OR_RETURN(key->ec, internal::ParsePrivateKey(private_key));
  if (auto curve = internal::CurveOfKey(key->ec.get()); !curve.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot import key '", label, "': ", curve.status().message()));
  }
  absl::MutexLock lock(&mu_);
  if (auto existing = FindLocked(label); existing.ok()) {
    return absl::AlreadyExistsError(absl::StrCat(
        "a key labelled '", label, "' already exists (", Where(label), ")"));
  } else if (!absl::IsNotFound(existing.status())) {
    return existing.status();
  }
  RETURN_IF_ERROR(StoreLocked(label, key));
  return SigningHandle(key->ec.get());
}

absl::StatusOr<std::unique_ptr<AgreementKey>>
SoftwareProvider::GenerateAgreementKey(Curve curve) {
  return internal::GenerateSoftwareAgreementKey(curve);
}

absl::StatusOr<std::unique_ptr<SecretKey>>
SoftwareProvider::GetOrCreateSecretKey(absl::string_view label) {
  RETURN_IF_ERROR(ValidateLabel(label));
  absl::MutexLock lock(&mu_);
  std::shared_ptr<const StoredKey> key;
  if (auto existing = FindLocked(label); existing.ok()) {
    key = *std::move(existing);
    if (key->ec != nullptr) {
      return absl::FailedPreconditionError(
          absl::StrCat("key '", label, "' (", Where(label),
                       ") is an EC signing key, not an AES secret key"));
    }
  } else if (!absl::IsNotFound(existing.status())) {
    return existing.status();
  } else {
    auto created = std::make_shared<StoredKey>();
    created->aes.resize(internal::kAesKeySize);
    if (RAND_bytes(reinterpret_cast<unsigned char*>(created->aes.data()),
                   static_cast<int>(created->aes.size())) != 1) {
      return OpensslError(absl::StatusCode::kUnavailable, "RAND_bytes");
    }
    RETURN_IF_ERROR(StoreLocked(label, created));
    key = std::move(created);
  }
  return internal::MakeSoftwareSecretKey(key->aes);
}

absl::StatusOr<std::string> SoftwareProvider::RandomBytes(size_t n) {
  if (n > kMaxRandomBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "RandomBytes: ", n, " bytes requested, at most ", kMaxRandomBytes));
  }
  std::string out(n, '\0');
  if (n > 0 && RAND_bytes(reinterpret_cast<unsigned char*>(out.data()),
                          static_cast<int>(n)) != 1) {
    return OpensslError(absl::StatusCode::kUnavailable, "RAND_bytes");
  }
  return out;
}

}  // namespace smdp::hsm
