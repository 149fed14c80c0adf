// Byte edits of a DER encoding that keep it well-formed: every enclosing
// TLV's length is re-encoded when an edit changes the size of what it holds.
//
//   std::vector<DerEdit> edits = {{.offset = 42, .length = 10, .bytes = b}};
//   ASSIGN_OR_RETURN(std::string out, ApplyDerEdits(upp, &edits));
//
// Pure functions: thread-safe.
#ifndef SMDP_PROFILES_SAIP_INTERNAL_DER_EDIT_H_
#define SMDP_PROFILES_SAIP_INTERNAL_DER_EDIT_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace smdp::profiles::saip::internal {

// Replaces `length` bytes at `offset` of the input with `bytes`. An edit
// must be one of:
//   * inside the contents of a primitive TLV (any length, including an
//     insertion with length 0): the TLV's length is re-encoded;
//   * exactly one or more whole consecutive TLVs (replaced by `bytes`, which
//     the caller makes whole TLVs);
//   * an insertion (length 0) at a TLV boundary: before a TLV or at the end
//     of a constructed TLV's contents.
struct DerEdit {
  size_t offset = 0;
  size_t length = 0;
  std::string bytes;
};

// Applies `*edits` (non-overlapping, in any order; sorted by offset on
// return) to `der`, a sequence of TLVs that has passed der::ValidateDer.
// TLVs without an edit are copied as they are; every TLV that encloses an
// edit is re-encoded with its new length (the same one when the edits keep
// their sizes, so the output then differs from the input only in the
// edited bytes). Internal on overlapping edits or an edit that cuts a TLV
// header or spans a TLV boundary (a caller bug, checked on every call);
// InvalidArgument if `der` does not parse. Intermediate buffers are wiped
// (edits may carry keys); the result is the caller's to wipe.
[[nodiscard]] absl::StatusOr<std::string> ApplyDerEdits(
    absl::string_view der, std::vector<DerEdit>* edits);

}  // namespace smdp::profiles::saip::internal

#endif  // SMDP_PROFILES_SAIP_INTERNAL_DER_EDIT_H_
