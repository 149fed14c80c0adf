#include "sgp22/bsp/profile_protection.h"

#include <utility>

#include "sgp22/bsp/bsp_encoder.h"
#include "sgp22/bsp/bsp_format.h"
#include "util/status_macros.h"

namespace smdp::bsp {

absl::StatusOr<ProtectedProfile> ProtectProfile(absl::string_view profile) {
  ASSIGN_OR_RETURN(BspKeys ppk, GenerateProfileProtectionKeys());
  return ProtectProfileWithKeys(ppk, profile);
}

absl::StatusOr<ProtectedProfile> ProtectProfileWithKeys(
    const BspKeys& ppk, absl::string_view profile) {
  if (profile.empty()) {
    return absl::InvalidArgumentError("cannot protect an empty profile");
  }
  ASSIGN_OR_RETURN(BspEncoder encoder, BspEncoder::Create(ppk));
  ProtectedProfile ppp;
  ppp.ppk = ppk;
  RETURN_IF_ERROR(encoder.AppendEncryptedSegments(kTagProfileSegment, profile,
                                                  &ppp.segments));
  ppp.segment_count = EncryptedSegmentCount(profile.size());
  ppp.profile_size = profile.size();
  return ppp;
}

}  // namespace smdp::bsp
