#include "smdp/common/function_status.h"

#include <optional>
#include <string>

#include "smdp/common/gsma_status.h"

namespace smdp {

bool FillResponseHeader(const absl::Status& status,
                        es9plus::ResponseHeader& header) {
  es9plus::FunctionExecutionStatus* fes =
      header.mutable_function_execution_status();
  if (status.ok()) {
    fes->set_status(std::string(kExecutedSuccess));
    fes->clear_status_code_data();
    return true;
  }
  std::optional<GsmaError> error = GetGsmaError(status);
  if (!error.has_value()) return false;
  const GsmaCode& code = GetGsmaCode(*error);
  fes->set_status(std::string(kFailed));
  es9plus::StatusCodeData* data = fes->mutable_status_code_data();
  data->set_subject_code(std::string(code.subject_code));
  data->set_reason_code(std::string(code.reason_code));
  data->set_message(std::string(status.message()));
  return true;
}

}  // namespace smdp
