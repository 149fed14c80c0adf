// functionExecutionStatus: how ES9+ and ES2+ answers say whether a function
// succeeded, filled from an absl::Status that may carry a GsmaError
// (gsma_status.h).
//
//   absl::Status status = DoConfirmOrder(request, response);
//   ASSIGN_OR_RETURN(response, AnswerWithStatus(status, std::move(response)));
//   // OK -> header "Executed-Success"; a GsmaError -> "Failed" + codes;
//   // any other error is returned as is (a failure of the server itself).
//
// Thread-safety: pure functions.
#ifndef SMDP_SMDP_COMMON_FUNCTION_STATUS_H_
#define SMDP_SMDP_COMMON_FUNCTION_STATUS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "api/es9plus.pb.h"

namespace smdp {

// The values of functionExecutionStatus.status.
inline constexpr absl::string_view kExecutedSuccess = "Executed-Success";
inline constexpr absl::string_view kFailed = "Failed";

// Fills `header` from `status`: Executed-Success for OK, Failed with the
// subject/reason code of its GsmaError (and the status message) otherwise.
// Returns false (and leaves `header` alone) when `status` is an error
// without a GsmaError.
bool FillResponseHeader(const absl::Status& status,
                        es9plus::ResponseHeader& header);

// The answer of a function: `response` with a success header when `status`
// is OK; a fresh Response with only a Failed header when `status` carries a
// GsmaError; `status` itself otherwise.
template <typename Response>
absl::StatusOr<Response> AnswerWithStatus(const absl::Status& status,
                                          Response response) {
  if (status.ok()) {
    FillResponseHeader(status, *response.mutable_header());
    return response;
  }
  Response failed;
  if (!FillResponseHeader(status, *failed.mutable_header())) return status;
  return failed;
}

}  // namespace smdp

#endif  // SMDP_SMDP_COMMON_FUNCTION_STATUS_H_
