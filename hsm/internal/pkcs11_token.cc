#include "hsm/internal/pkcs11_token.h"

#include <openssl/err.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "hsm/internal/pkcs11_errors.h"
#include "util/status_macros.h"

namespace smdp::hsm::internal {

Pkcs11Token::Session::Session(Session&& other) noexcept
    : token_(std::exchange(other.token_, nullptr)),
      handle_(other.handle_),
      broken_(other.broken_) {}

Pkcs11Token::Session::~Session() {
  if (token_ != nullptr) token_->Return(handle_, broken_);
}

Pkcs11Token::Pkcs11Token(std::shared_ptr<Pkcs11Module> module, TokenInfo info,
                         size_t pool_size)
    : module_(std::move(module)),
      info_(std::move(info)),
      pool_size_(pool_size) {}

Pkcs11Token::~Pkcs11Token() {
  absl::MutexLock lock(&mu_);
  // Every Session has been returned: they are only borrowed by holders of a
  // shared_ptr to this token.
  for (CK_SESSION_HANDLE handle : free_) fn()->C_CloseSession(handle);
  free_.clear();
  if (login_session_ != CK_INVALID_HANDLE) {
    if (logged_in_) module_->Logout(info_.slot_id, login_session_);
    fn()->C_CloseSession(login_session_);
  }
}

std::string Pkcs11Token::name() const {
  return absl::StrCat("token '", info_.label, "'");
}

absl::StatusOr<std::shared_ptr<Pkcs11Token>> Pkcs11Token::Open(
    std::shared_ptr<Pkcs11Module> module, TokenInfo info, absl::string_view pin,
    size_t pool_size) {
  std::shared_ptr<Pkcs11Token> token(
      new Pkcs11Token(std::move(module), std::move(info), pool_size));
  ASSIGN_OR_RETURN(token->login_session_, token->OpenSession());
  if (!pin.empty()) {
    RETURN_IF_ERROR(token->module_->Login(
        token->info_.slot_id, token->login_session_, pin, token->info_.label));
    token->logged_in_ = true;
  } else if ((token->info_.flags & CKF_LOGIN_REQUIRED) != 0) {
    return absl::PermissionDeniedError(absl::StrCat(
        token->name(), " requires a login, but no PIN was configured"));
  }
  for (size_t i = 0; i < pool_size; ++i) {
    ASSIGN_OR_RETURN(CK_SESSION_HANDLE handle, token->OpenSession());
    absl::MutexLock lock(&token->mu_);
    token->free_.push_back(handle);
    ++token->open_;
  }
  return token;
}

absl::StatusOr<CK_SESSION_HANDLE> Pkcs11Token::OpenSession() {
  CK_SESSION_HANDLE handle = CK_INVALID_HANDLE;
  const CK_RV rv =
      fn()->C_OpenSession(info_.slot_id, CKF_SERIAL_SESSION | CKF_RW_SESSION,
                          nullptr, nullptr, &handle);
  if (rv != CKR_OK) {
    return CkrError(rv, absl::StrCat("opening a session on ", name(), " (",
                                     module_->path(), ")"));
  }
  return handle;
}

absl::StatusOr<Pkcs11Token::Session> Pkcs11Token::Borrow() {
  {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(this, &Pkcs11Token::CanBorrow));
    if (!free_.empty()) {
      const CK_SESSION_HANDLE handle = free_.back();
      free_.pop_back();
      return Session(this, handle);
    }
    ++open_;  // Reserve the slot of a session we open below.
  }
  absl::StatusOr<CK_SESSION_HANDLE> handle = OpenSession();
  if (!handle.ok()) {
    absl::MutexLock lock(&mu_);
    --open_;
    return handle.status();
  }
  return Session(this, *handle);
}

void Pkcs11Token::Return(CK_SESSION_HANDLE handle, bool broken) {
  // A module built on OpenSSL (SoftHSM) may leave errors on this thread's
  // OpenSSL error queue; drop them so they do not show up in our messages.
  ERR_clear_error();
  if (broken) {
    // Ignored: the session may be gone already; either way it is not reused.
    (void)fn()->C_CloseSession(handle);
    absl::MutexLock lock(&mu_);
    --open_;
    return;
  }
  absl::MutexLock lock(&mu_);
  free_.push_back(handle);
}

absl::StatusOr<std::vector<CK_OBJECT_HANDLE>> Pkcs11Token::Find(
    Session& session, const std::vector<CK_ATTRIBUTE>& attrs, size_t max) {
  CK_RV rv = fn()->C_FindObjectsInit(
      session.handle(), const_cast<CK_ATTRIBUTE*>(attrs.data()), attrs.size());
  if (rv != CKR_OK) {
    session.Invalidate();
    return CkrError(rv, absl::StrCat("C_FindObjectsInit on ", name()));
  }
  std::vector<CK_OBJECT_HANDLE> found(max);
  CK_ULONG count = 0;
  rv = fn()->C_FindObjects(session.handle(), found.data(), max, &count);
  const CK_RV final_rv = fn()->C_FindObjectsFinal(session.handle());
  if (rv != CKR_OK || final_rv != CKR_OK) {
    session.Invalidate();
    return CkrError(rv != CKR_OK ? rv : final_rv,
                    absl::StrCat("C_FindObjects on ", name()));
  }
  found.resize(count);
  return found;
}

absl::StatusOr<std::string> Pkcs11Token::GetBytes(Session& session,
                                                  CK_OBJECT_HANDLE object,
                                                  CK_ATTRIBUTE_TYPE type) {
  CK_ATTRIBUTE attr = Attr(type, nullptr, 0);
  CK_RV rv = fn()->C_GetAttributeValue(session.handle(), object, &attr, 1);
  if (rv == CKR_OK && attr.ulValueLen == CK_UNAVAILABLE_INFORMATION) {
    rv = CKR_ATTRIBUTE_TYPE_INVALID;
  }
  std::string value;
  if (rv == CKR_OK) {
    value.resize(attr.ulValueLen);
    attr.pValue = value.data();
    rv = fn()->C_GetAttributeValue(session.handle(), object, &attr, 1);
    value.resize(rv == CKR_OK ? attr.ulValueLen : 0);
  }
  if (rv != CKR_OK) {
    return CkrError(rv, absl::StrCat("reading attribute 0x", absl::Hex(type),
                                     " of an object on ", name()));
  }
  return value;
}

absl::StatusOr<CK_ULONG> Pkcs11Token::GetUlong(Session& session,
                                               CK_OBJECT_HANDLE object,
                                               CK_ATTRIBUTE_TYPE type) {
  CK_ULONG value = 0;
  CK_ATTRIBUTE attr = AttrOf(type, value);
  const CK_RV rv =
      fn()->C_GetAttributeValue(session.handle(), object, &attr, 1);
  if (rv != CKR_OK || attr.ulValueLen != sizeof(value)) {
    return CkrError(rv != CKR_OK ? rv : CKR_ATTRIBUTE_VALUE_INVALID,
                    absl::StrCat("reading attribute 0x", absl::Hex(type),
                                 " of an object on ", name()));
  }
  return value;
}

absl::StatusOr<bool> Pkcs11Token::GetBool(Session& session,
                                          CK_OBJECT_HANDLE object,
                                          CK_ATTRIBUTE_TYPE type) {
  CK_BBOOL value = CK_FALSE;
  CK_ATTRIBUTE attr = AttrOf(type, value);
  const CK_RV rv =
      fn()->C_GetAttributeValue(session.handle(), object, &attr, 1);
  if (rv != CKR_OK || attr.ulValueLen != sizeof(value)) {
    return CkrError(rv != CKR_OK ? rv : CKR_ATTRIBUTE_VALUE_INVALID,
                    absl::StrCat("reading attribute 0x", absl::Hex(type),
                                 " of an object on ", name()));
  }
  return value != CK_FALSE;
}

absl::StatusOr<std::string> Pkcs11Token::Random(Session& session, size_t n) {
  std::string out(n, '\0');
  if (n == 0) return out;
  const CK_RV rv = fn()->C_GenerateRandom(
      session.handle(), reinterpret_cast<CK_BYTE*>(out.data()), n);
  if (rv != CKR_OK) {
    return CkrError(rv, absl::StrCat("C_GenerateRandom on ", name()));
  }
  return out;
}

void Pkcs11Token::DestroyQuietly(Session& session, CK_OBJECT_HANDLE object) {
  // Ignored: cleanup of an object we no longer need; a failure leaves a
  // session object (freed with the session) or a stray token object.
  (void)fn()->C_DestroyObject(session.handle(), object);
}

}  // namespace smdp::hsm::internal
