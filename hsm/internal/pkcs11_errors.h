// CK_RV → absl::Status, in one place.
//
//   CK_RV rv = fn->C_Login(session, CKU_USER, pin, pin_len);
//   if (rv != CKR_OK) return CkrError(rv, "login to token 'smdp'");
//   // → PermissionDenied "login to token 'smdp': CKR_PIN_INCORRECT (0xa0)"
//
// Thread-safety: pure functions.
#ifndef SMDP_HSM_INTERNAL_PKCS11_ERRORS_H_
#define SMDP_HSM_INTERNAL_PKCS11_ERRORS_H_

#include <p11-kit-1/p11-kit/pkcs11.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace smdp::hsm::internal {

// The symbolic name of `rv` ("CKR_PIN_INCORRECT"); "CKR_VENDOR_DEFINED+0x..."
// for vendor codes and "CKR_0x..." for unknown ones.
std::string CkrName(CK_RV rv);

// The status code for `rv`: PIN and login problems are PermissionDenied,
// device and session loss Unavailable, memory ResourceExhausted, bad
// arguments, templates and key data InvalidArgument, unsupported mechanisms
// Unimplemented, state and key-usage problems FailedPrecondition, anything
// else Internal.
absl::StatusCode CkrCode(CK_RV rv);

// An error status "<what>: <CkrName(rv)> (0x<rv>)" with code CkrCode(rv).
absl::Status CkrError(CK_RV rv, absl::string_view what);

}  // namespace smdp::hsm::internal

#endif  // SMDP_HSM_INTERNAL_PKCS11_ERRORS_H_
