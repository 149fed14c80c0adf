#include "hsm/internal/pkcs11_module.h"

#include <dlfcn.h>
#include <errno.h>
#include <libp11.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "hsm/internal/ec_util.h"
#include "hsm/internal/pkcs11_errors.h"
#include "util/ssl_ptr.h"

namespace smdp::hsm::internal {
namespace {

// The process-wide registry: canonical module path → loaded module. Leaked
// on purpose, with its modules (see the header: modules are never
// re-initialised); its mutex also serialises loading.
struct Registry {
  absl::Mutex mu;
  absl::flat_hash_map<std::string, std::shared_ptr<Pkcs11Module>> modules
      ABSL_GUARDED_BY(mu);
};

Registry& GetRegistry() {
  static Registry* const registry = new Registry;
  return *registry;
}

std::string DlError() {
  const char* err = dlerror();
  return err != nullptr ? err : "unknown dlopen error";
}

// Explains why libp11 could not load `path`, by retracing its steps.
absl::Status DiagnoseLoadFailure(const std::string& path,
                                 const std::string& libp11_errors) {
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot load PKCS#11 module ", path, ": ", DlError()));
  }
  absl::Status status;
  auto get_list = reinterpret_cast<CK_C_GetFunctionList>(
      dlsym(handle, "C_GetFunctionList"));
  CK_FUNCTION_LIST* fn = nullptr;
  CK_RV rv = CKR_OK;
  if (get_list == nullptr) {
    status = absl::FailedPreconditionError(absl::StrCat(
        path, " is not a PKCS#11 module (no C_GetFunctionList symbol)"));
  } else if ((rv = get_list(&fn)) != CKR_OK || fn == nullptr) {
    status = CkrError(
        rv, absl::StrCat("C_GetFunctionList of PKCS#11 module ", path));
    status = absl::FailedPreconditionError(status.message());
  } else {
    CK_C_INITIALIZE_ARGS args{};
    args.flags = CKF_OS_LOCKING_OK;
    rv = fn->C_Initialize(&args);
    if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
      status = absl::FailedPreconditionError(
          CkrError(rv, absl::StrCat("C_Initialize of PKCS#11 module ", path))
              .message());
    } else {
      if (rv == CKR_OK) fn->C_Finalize(nullptr);
      status = absl::FailedPreconditionError(absl::StrCat(
          "libp11 could not load PKCS#11 module ", path, ": ", libp11_errors));
    }
  }
  dlclose(handle);
  return status;
}

}  // namespace

std::string TrimPadded(const unsigned char* field, size_t size) {
  std::string s(reinterpret_cast<const char*>(field), size);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
  return s;
}

std::string TokenInfo::Describe() const {
  if (!initialized())
    return absl::StrCat("slot ", slot_id, ": uninitialised token");
  return absl::StrCat("slot ", slot_id, ": token '", label, "' (", model,
                      ", serial ", serial, ")");
}

Pkcs11Module::Pkcs11Module(std::string path, PKCS11_ctx_st* ctx,
                           void* dl_handle, CK_FUNCTION_LIST* functions)
    : path_(std::move(path)),
      ctx_(ctx),
      dl_handle_(dl_handle),
      functions_(functions) {}

Pkcs11Module::~Pkcs11Module() {
  PKCS11_CTX_unload(ctx_);  // C_Finalize + dlclose.
  PKCS11_CTX_free(ctx_);
  dlclose(dl_handle_);
}

absl::StatusOr<std::shared_ptr<Pkcs11Module>> Pkcs11Module::Load(
    absl::string_view path_view) {
  const std::string path(path_view);
  struct stat st;
  if (path.empty() || stat(path.c_str(), &st) != 0) {
    return absl::NotFoundError(
        absl::StrCat("PKCS#11 module ", path.empty() ? "(empty path)" : path,
                     " does not exist"));
  }
  char* real = realpath(path.c_str(), nullptr);
  const std::string key = real != nullptr ? real : path;
  free(real);

  Registry& registry = GetRegistry();
  absl::MutexLock lock(&registry.mu);
  if (auto it = registry.modules.find(key); it != registry.modules.end()) {
    return it->second;
  }

  PKCS11_CTX* ctx = PKCS11_CTX_new();
  if (ctx == nullptr) {
    return absl::ResourceExhaustedError("PKCS11_CTX_new failed");
  }
  if (PKCS11_CTX_load(ctx, path.c_str()) != 0) {
    const std::string errors = DrainOpensslErrors();
    PKCS11_CTX_free(ctx);
    return DiagnoseLoadFailure(path, errors);
  }
  // Modules built on OpenSSL may leave errors on this thread's queue while
  // initialising (SoftHSM: a missing rdrand engine); they are not ours.
  ERR_clear_error();
  // The same shared object libp11 just loaded (RTLD_NOLOAD: never a second
  // copy), for its function table.
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_NOLOAD);
  auto get_list = handle == nullptr ? nullptr
                                    : reinterpret_cast<CK_C_GetFunctionList>(
                                          dlsym(handle, "C_GetFunctionList"));
  CK_FUNCTION_LIST* functions = nullptr;
  if (get_list == nullptr || get_list(&functions) != CKR_OK ||
      functions == nullptr) {
    const std::string err = handle == nullptr ? DlError() : "C_GetFunctionList";
    if (handle != nullptr) dlclose(handle);
    PKCS11_CTX_unload(ctx);
    PKCS11_CTX_free(ctx);
    return absl::FailedPreconditionError(
        absl::StrCat("PKCS#11 module ", path,
                     " loaded but its function list is not "
                     "available: ",
                     err));
  }
  std::shared_ptr<Pkcs11Module> module(
      new Pkcs11Module(path, ctx, handle, functions));
  registry.modules.emplace(key, module);
  return module;
}

absl::StatusOr<std::vector<TokenInfo>> Pkcs11Module::ListTokens() const {
  CK_ULONG count = 0;
  CK_RV rv = functions_->C_GetSlotList(CK_TRUE, nullptr, &count);
  if (rv != CKR_OK) {
    return CkrError(rv, absl::StrCat("C_GetSlotList of ", path_));
  }
  std::vector<CK_SLOT_ID> slots(count);
  if (count > 0) {
    rv = functions_->C_GetSlotList(CK_TRUE, slots.data(), &count);
    if (rv != CKR_OK) {
      return CkrError(rv, absl::StrCat("C_GetSlotList of ", path_));
    }
    slots.resize(count);
  }
  std::vector<TokenInfo> tokens;
  for (CK_SLOT_ID slot : slots) {
    CK_TOKEN_INFO info;
    rv = functions_->C_GetTokenInfo(slot, &info);
    if (rv == CKR_TOKEN_NOT_PRESENT || rv == CKR_TOKEN_NOT_RECOGNIZED) continue;
    if (rv != CKR_OK) {
      return CkrError(
          rv, absl::StrCat("C_GetTokenInfo of slot ", slot, " of ", path_));
    }
    TokenInfo token;
    token.slot_id = slot;
    token.label = TrimPadded(info.label, sizeof(info.label));
    token.manufacturer =
        TrimPadded(info.manufacturerID, sizeof(info.manufacturerID));
    token.model = TrimPadded(info.model, sizeof(info.model));
    token.serial = TrimPadded(info.serialNumber, sizeof(info.serialNumber));
    token.flags = info.flags;
    tokens.push_back(std::move(token));
  }
  return tokens;
}

absl::Status Pkcs11Module::Login(CK_SLOT_ID slot_id, CK_SESSION_HANDLE session,
                                 absl::string_view pin,
                                 absl::string_view token_name) {
  absl::MutexLock lock(&mu_);
  LoginState& state = logins_[slot_id];
  if (state.refs > 0) {
    std::string salted = state.salt;
    salted.append(pin.data(), pin.size());
    const std::string digest = Sha256(salted);
    OPENSSL_cleanse(salted.data(), salted.size());
    if (CRYPTO_memcmp(state.pin_digest.data(), digest.data(), digest.size()) !=
        0) {
      return absl::PermissionDeniedError(absl::StrCat(
          "login to token '", token_name,
          "': the PIN differs from the one this process is logged in with"));
    }
    ++state.refs;
    return absl::OkStatus();
  }
  std::string pin_copy(pin.data(), pin.size());
  const CK_RV rv = functions_->C_Login(
      session, CKU_USER, reinterpret_cast<CK_UTF8CHAR*>(pin_copy.data()),
      pin_copy.size());
  // CKR_USER_ALREADY_LOGGED_IN: someone else in this process logged in
  // (outside this registry); the session is usable.
  if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
    OPENSSL_cleanse(pin_copy.data(), pin_copy.size());
    logins_.erase(slot_id);
    return CkrError(
        rv, absl::StrCat("login to token '", token_name, "' (", path_, ")"));
  }
  // Keep a salted digest, not the PIN, to check later logins.
  state.salt.assign(16, '\0');
  // Should RAND_bytes fail, the salt stays zero: the digest still checks
  // later logins, it is only unsalted.
  (void)RAND_bytes(reinterpret_cast<unsigned char*>(state.salt.data()),
                   static_cast<int>(state.salt.size()));
  std::string salted = state.salt + pin_copy;
  state.pin_digest = Sha256(salted);
  OPENSSL_cleanse(salted.data(), salted.size());
  OPENSSL_cleanse(pin_copy.data(), pin_copy.size());
  state.refs = 1;
  return absl::OkStatus();
}

void Pkcs11Module::Logout(CK_SLOT_ID slot_id, CK_SESSION_HANDLE session) {
  absl::MutexLock lock(&mu_);
  auto it = logins_.find(slot_id);
  if (it == logins_.end()) return;
  if (--it->second.refs > 0) return;
  logins_.erase(it);
  // Best effort: closing the last session logs out anyway.
  (void)functions_->C_Logout(session);
}

}  // namespace smdp::hsm::internal
