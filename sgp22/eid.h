// EIDs: the 32-digit identifiers of eUICCs (GSMA SGP.29) and their check
// digits.
//
// An EID is 32 decimal digits; the last two are check digits computed like an
// IBAN's (ISO/IEC 7064 MOD 97-10): read as one decimal number, a valid EID is
// congruent to 1 modulo 97.
//
//   ASSIGN_OR_RETURN(std::string eid,
//                    CompleteEid("890490321234512345123456789012"));
//   // eid == "89049032123451234512345678901235" (the SGP.26 test EID)
//   RETURN_IF_ERROR(ValidateEid(eid));
#ifndef SMDP_SGP22_EID_H_
#define SMDP_SGP22_EID_H_

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace smdp::sgp22 {

// Number of digits of an EID, check digits included.
inline constexpr size_t kEidDigits = 32;

// The two check digits ("02".."98") for the first 30 digits of an EID.
// InvalidArgument unless `first30` is exactly 30 decimal digits.
[[nodiscard]] absl::StatusOr<std::string> EidCheckDigits(
    absl::string_view first30);

// `first30` followed by its check digits: a valid 32-digit EID.
[[nodiscard]] absl::StatusOr<std::string> CompleteEid(
    absl::string_view first30);

// OK when `eid` is 32 decimal digits with correct check digits;
// InvalidArgument saying which of the two it is not.
[[nodiscard]] absl::Status ValidateEid(absl::string_view eid);

// True when `eid` starts with `prefix` (an EUM's permitted EID prefix, e.g.
// the IIN "89049032"). Digits compare exactly; an empty prefix matches all.
bool EidHasPrefix(absl::string_view eid, absl::string_view prefix);

}  // namespace smdp::sgp22

#endif  // SMDP_SGP22_EID_H_
