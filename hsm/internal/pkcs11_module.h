// A loaded and initialised PKCS#11 module, shared process-wide per module
// file.
//
// PKCS#11 state is per process, not per caller: C_Initialize / C_Finalize
// apply to the whole process, and a login applies to every session the
// process has on that token. So everything in the process that uses one
// module shares one Pkcs11Module, and logins are reference-counted per slot.
// This class is that shared owner, and its registry is the only
// process-wide state in hsm/.
//
// A module, once loaded, stays loaded and initialised until the process
// exits: Pkcs11Provider closes its sessions and logs out when it goes away,
// but never calls C_Finalize. Re-initialising a module in the same process
// is not safe in practice: SoftHSM 2.6 on OpenSSL 3 leaves OpenSSL's key
// decoders broken after C_Finalize + C_Initialize (PEM private keys decode
// as legacy keys without parameters), and several vendor HSM libraries do
// not support it at all. A process loads a handful of modules at most.
//
//   ASSIGN_OR_RETURN(std::shared_ptr<Pkcs11Module> module,
//                    Pkcs11Module::Load("/usr/lib/softhsm/libsofthsm2.so"));
//   CK_FUNCTION_LIST* fn = module->functions();
//
// Loading goes through libp11 (PKCS11_CTX_load: dlopen, C_GetFunctionList,
// C_Initialize with CKF_OS_LOCKING_OK), so the module does its own locking
// and all of its functions may be called from many threads; when libp11
// fails, Load() retraces the steps to say why. libp11's slot, session and
// login helpers are not used: releasing libp11 slots calls
// C_CloseAllSessions, which would close every session of the process on
// that slot, and its login reports the CK_RV only through the OpenSSL error
// queue.
//
// Thread-safety: all methods are thread-safe.
#ifndef SMDP_HSM_INTERNAL_PKCS11_MODULE_H_
#define SMDP_HSM_INTERNAL_PKCS11_MODULE_H_

#include <p11-kit-1/p11-kit/pkcs11.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

struct PKCS11_ctx_st;

namespace smdp::hsm::internal {

// A token in a slot, as C_GetTokenInfo describes it (strings trimmed).
struct TokenInfo {
  CK_SLOT_ID slot_id = 0;
  std::string label;
  std::string manufacturer;
  std::string model;
  std::string serial;
  CK_FLAGS flags = 0;

  bool initialized() const { return (flags & CKF_TOKEN_INITIALIZED) != 0; }
  // "slot 123: token 'smdp' (SoftHSM v2, serial 1a2b)" or
  // "slot 4: uninitialised token".
  std::string Describe() const;
};

class Pkcs11Module {
 public:
  // The module at `path`, loading and initialising it unless this process
  // already has it loaded. NotFound when the file does not exist;
  // FailedPrecondition when it cannot be loaded, is not a PKCS#11 module or
  // its C_Initialize fails (the message says which, with dlerror() or the
  // CKR name).
  [[nodiscard]] static absl::StatusOr<std::shared_ptr<Pkcs11Module>> Load(
      absl::string_view path);

  // Never runs before process exit (the registry keeps every module).
  ~Pkcs11Module();
  Pkcs11Module(const Pkcs11Module&) = delete;
  Pkcs11Module& operator=(const Pkcs11Module&) = delete;

  // The module's function table; valid while this object lives.
  CK_FUNCTION_LIST* functions() const { return functions_; }
  // The path the module was loaded from (as given to the first Load()).
  const std::string& path() const { return path_; }

  // Every slot with a token present.
  [[nodiscard]] absl::StatusOr<std::vector<TokenInfo>> ListTokens() const;

  // Logs the user in on `slot_id` through `session`, or, when this process
  // is already logged in there through this registry, checks that `pin` is
  // the PIN used then and takes another reference. PermissionDenied for a
  // wrong PIN (the message names `token_name`, never the PIN).
  [[nodiscard]] absl::Status Login(CK_SLOT_ID slot_id,
                                   CK_SESSION_HANDLE session,
                                   absl::string_view pin,
                                   absl::string_view token_name);
  // Drops a reference taken by Login(); the last one logs out through
  // `session`.
  void Logout(CK_SLOT_ID slot_id, CK_SESSION_HANDLE session);

 private:
  struct LoginState {
    int refs = 0;
    std::string salt;        // Random, per login.
    std::string pin_digest;  // SHA-256(salt || PIN), to check later logins.
  };

  Pkcs11Module(std::string path, PKCS11_ctx_st* ctx, void* dl_handle,
               CK_FUNCTION_LIST* functions);

  const std::string path_;
  PKCS11_ctx_st* const ctx_;  // libp11 context: owns load and C_Finalize.
  void* const dl_handle_;     // Our reference to the same shared object.
  CK_FUNCTION_LIST* const functions_;

  absl::Mutex mu_;
  absl::flat_hash_map<CK_SLOT_ID, LoginState> logins_ ABSL_GUARDED_BY(mu_);
};

// Trims the blank padding of a fixed-size PKCS#11 string field.
std::string TrimPadded(const unsigned char* field, size_t size);

}  // namespace smdp::hsm::internal

#endif  // SMDP_HSM_INTERNAL_PKCS11_MODULE_H_
