// Pkcs11Token: the state one Pkcs11Provider and its key handles share — the
// loaded module, the token's slot, the login, and a pool of R/W sessions —
// plus small typed helpers over the raw PKCS#11 calls.
//
//   ASSIGN_OR_RETURN(Pkcs11Token::Session session, token->Borrow());
//   CK_RV rv = token->fn()->C_Sign(session.handle(), ...);
//   if (rv != CKR_OK) { session.Invalidate(); return CkrError(...); }
//
// Sessions: one login session, opened first and closed last, keeps the
// token logged in (PKCS#11 logs out when an application's last session on a
// token closes). Pool sessions are lent out one operation at a time; a mutex
// guards only the free list, never a PKCS#11 call; Borrow() blocks while all
// `pool_size` sessions are lent. An invalidated session is closed when it is
// returned and reopened lazily by a later Borrow().
//
// Thread-safety: all methods are thread-safe. A Session must be used by one
// thread at a time and returned (destroyed) before the token is destroyed,
// which holding a shared_ptr<Pkcs11Token> while borrowing guarantees.
#ifndef SMDP_HSM_INTERNAL_PKCS11_TOKEN_H_
#define SMDP_HSM_INTERNAL_PKCS11_TOKEN_H_

#include <p11-kit-1/p11-kit/pkcs11.h>

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "hsm/internal/pkcs11_module.h"

namespace smdp::hsm::internal {

// An attribute for a template; `value` must outlive the template's use.
inline CK_ATTRIBUTE Attr(CK_ATTRIBUTE_TYPE type, const void* value,
                         size_t size) {
  return CK_ATTRIBUTE{type, const_cast<void*>(value), size};
}
inline CK_ATTRIBUTE AttrBytes(CK_ATTRIBUTE_TYPE type, absl::string_view bytes) {
  return Attr(type, bytes.data(), bytes.size());
}
template <typename T>
CK_ATTRIBUTE AttrOf(CK_ATTRIBUTE_TYPE type, const T& value) {
  return Attr(type, &value, sizeof(T));
}

// Addressable CK_BBOOL constants for templates.
inline constexpr CK_BBOOL kCkTrue = CK_TRUE;
inline constexpr CK_BBOOL kCkFalse = CK_FALSE;

class Pkcs11Token {
 public:
  // A borrowed pool session, returned to the pool when destroyed.
  class Session {
   public:
    Session(Session&& other) noexcept;
    Session& operator=(Session&&) = delete;
    ~Session();

    CK_SESSION_HANDLE handle() const { return handle_; }
    // Closes the session instead of returning it (after an error that may
    // have left an operation active or the session broken).
    void Invalidate() { broken_ = true; }

   private:
    friend class Pkcs11Token;
    Session(Pkcs11Token* token, CK_SESSION_HANDLE handle)
        : token_(token), handle_(handle) {}

    Pkcs11Token* token_;
    CK_SESSION_HANDLE handle_;
    bool broken_ = false;
  };

  // Opens the login session, logs in with `pin` (no login when `pin` is
  // empty and the token does not require one) and opens `pool_size` pool
  // sessions.
  [[nodiscard]] static absl::StatusOr<std::shared_ptr<Pkcs11Token>> Open(
      std::shared_ptr<Pkcs11Module> module, TokenInfo info,
      absl::string_view pin, size_t pool_size);

  ~Pkcs11Token();
  Pkcs11Token(const Pkcs11Token&) = delete;
  Pkcs11Token& operator=(const Pkcs11Token&) = delete;

  CK_FUNCTION_LIST* fn() const { return module_->functions(); }
  const Pkcs11Module& module() const { return *module_; }
  const TokenInfo& info() const { return info_; }
  // "token 'smdp'" for messages.
  std::string name() const;

  // Borrows a session, waiting while all are lent. Unavailable (with the
  // CKR name) when a new session cannot be opened.
  [[nodiscard]] absl::StatusOr<Session> Borrow();

  // Up to `max` objects matching `attrs`.
  [[nodiscard]] absl::StatusOr<std::vector<CK_OBJECT_HANDLE>> Find(
      Session& session, const std::vector<CK_ATTRIBUTE>& attrs, size_t max);
  // The value of attribute `type` of `object`.
  [[nodiscard]] absl::StatusOr<std::string> GetBytes(Session& session,
                                                     CK_OBJECT_HANDLE object,
                                                     CK_ATTRIBUTE_TYPE type);
  // The value of a CK_ULONG (or CK_BBOOL, widened) attribute.
  [[nodiscard]] absl::StatusOr<CK_ULONG> GetUlong(Session& session,
                                                  CK_OBJECT_HANDLE object,
                                                  CK_ATTRIBUTE_TYPE type);
  [[nodiscard]] absl::StatusOr<bool> GetBool(Session& session,
                                             CK_OBJECT_HANDLE object,
                                             CK_ATTRIBUTE_TYPE type);
  // `n` random bytes from C_GenerateRandom.
  [[nodiscard]] absl::StatusOr<std::string> Random(Session& session, size_t n);
  // Destroys `object`, ignoring errors (cleanup paths).
  void DestroyQuietly(Session& session, CK_OBJECT_HANDLE object);

  // Serialises key creation in this process, so "does the label exist?"
  // and "create it" are one step for concurrent callers.
  absl::Mutex& create_mu() { return create_mu_; }

  // How this token wants the peer point in CK_ECDH1_DERIVE_PARAMS, learnt
  // on first use: 0 unknown, 1 raw 04||X||Y, 2 DER OCTET STRING.
  std::atomic<int> ecdh_public_data_form{0};

 private:
  Pkcs11Token(std::shared_ptr<Pkcs11Module> module, TokenInfo info,
              size_t pool_size);

  absl::StatusOr<CK_SESSION_HANDLE> OpenSession();
  void Return(CK_SESSION_HANDLE handle, bool broken);
  bool CanBorrow() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !free_.empty() || open_ < pool_size_;
  }

  const std::shared_ptr<Pkcs11Module> module_;
  const TokenInfo info_;
  const size_t pool_size_;
  CK_SESSION_HANDLE login_session_ = CK_INVALID_HANDLE;
  bool logged_in_ = false;

  absl::Mutex mu_;
  std::vector<CK_SESSION_HANDLE> free_ ABSL_GUARDED_BY(mu_);
  size_t open_ ABSL_GUARDED_BY(mu_) = 0;  // Pool sessions open (lent + free).

  absl::Mutex create_mu_;
};

}  // namespace smdp::hsm::internal

#endif  // SMDP_HSM_INTERNAL_PKCS11_TOKEN_H_
