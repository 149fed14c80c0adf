// Early-return helpers for absl::Status and absl::StatusOr<T>.
//
// Debian's Abseil (20220623) has no status_macros.h, so the project keeps
// these two:
//
//   RETURN_IF_ERROR(store.Put(key, value));
//   ASSIGN_OR_RETURN(auto key, provider.LoadSigningKey("dpauth"));
//
// Both evaluate their argument exactly once and return the error unchanged.
#ifndef SMDP_UTIL_STATUS_MACROS_H_
#define SMDP_UTIL_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define SMDP_STATUS_CONCAT_INNER_(a, b) a##b
#define SMDP_STATUS_CONCAT_(a, b) SMDP_STATUS_CONCAT_INNER_(a, b)

// Returns the status of `expr` from the current function if it is not OK.
#define RETURN_IF_ERROR(expr)                    \
  do {                                           \
    ::absl::Status smdp_status_ = (expr);        \
    if (!smdp_status_.ok()) return smdp_status_; \
  } while (0)

// Evaluates `rexpr` (an absl::StatusOr<T>); on error returns its status,
// otherwise moves the value into `lhs` (which may be a declaration).
#define ASSIGN_OR_RETURN(lhs, rexpr)                                         \
  SMDP_ASSIGN_OR_RETURN_IMPL_(SMDP_STATUS_CONCAT_(smdp_statusor_, __LINE__), \
                              lhs, rexpr)

#define SMDP_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr)  \
  auto statusor = (rexpr);                                 \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = *std::move(statusor)

#endif  // SMDP_UTIL_STATUS_MACROS_H_
