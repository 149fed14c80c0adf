// Profile pre-protection: a profile encrypted once, at import, under its own
// random Profile Protection Key (SGP.22 2.5.3, the Protected Profile Package),
// so that binding it to an eUICC later costs the same for a 5 KB or a 500 KB
// profile.
//
//   // At import (profiles/):
//   ASSIGN_OR_RETURN(ProtectedProfile ppp, ProtectProfile(upp_der));
//   // store ppp.segments; store ppp.ppk encrypted at rest.
//
//   // At binding (download/), with the session's encoder:
//   RETURN_IF_ERROR(session.AppendReplaceSessionKeys(ppp.ppk, &seq87b));
//   // sequenceOf86 = ppp.segments, byte for byte.
//
// ReplaceSessionKeys switches the eUICC to the PPK: the 86 segments are
// checked with PPK-MAC from the PPK's initial MAC chaining value and decrypted
// with PPK-ENC, the block counter restarting at 1. Nothing in the segments
// depends on the session, so binding only prepends.
//
// Thread-safe (no shared state).
#ifndef SMDP_SGP22_BSP_PROFILE_PROTECTION_H_
#define SMDP_SGP22_BSP_PROFILE_PROTECTION_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "sgp22/bsp/bsp_keys.h"

namespace smdp::bsp {

// A Protected Profile Package: the profile as encrypted 86 TLVs, and the key
// set that protects them. `ppk` is a secret: keep it encrypted at rest.
struct ProtectedProfile {
  // PPK-ENC, PPK-MAC and the initial MAC chaining value.
  BspKeys ppk;
  // The content of sequenceOf86: the 86 TLVs, concatenated, each at most
  // 1020 bytes and all but the last carrying 1007 plaintext bytes.
  std::string segments;
  // Number of TLVs in `segments`.
  size_t segment_count = 0;
  // Size of the unprotected profile.
  size_t profile_size = 0;
};

// Protects `profile` (the unprotected profile package: a sequence of
// ProfileElement TLVs, any non-empty bytes) under a fresh random PPK.
// InvalidArgument if `profile` is empty; Internal if OpenSSL fails.
[[nodiscard]] absl::StatusOr<ProtectedProfile> ProtectProfile(
    absl::string_view profile);

// Same, under the given `ppk` (for tests and for re-protection).
[[nodiscard]] absl::StatusOr<ProtectedProfile> ProtectProfileWithKeys(
    const BspKeys& ppk, absl::string_view profile);

}  // namespace smdp::bsp

#endif  // SMDP_SGP22_BSP_PROFILE_PROTECTION_H_
