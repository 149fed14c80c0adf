// gMock matchers for answers that carry a GSMA functionExecutionStatus in
// their header (the ES9+ and ES2+ responses of api/).
//
//   EXPECT_THAT(*service->AuthenticateClient(request),
//               FailedWith("8.1.1", "3.8"));
//   EXPECT_THAT(*service->GetBoundProfilePackage(request), Succeeded());
#ifndef SMDP_TESTS_TESTING_GSMA_MATCHERS_H_
#define SMDP_TESTS_TESTING_GSMA_MATCHERS_H_

#include "gmock/gmock.h"

namespace smdp::testing {

// The answer's status is "Failed" with these subject and reason codes.
MATCHER_P2(FailedWith, subject, reason, "") {
  const auto& f = arg.header().function_execution_status();
  *result_listener << "status " << f.status() << " "
                   << f.status_code_data().subject_code() << "/"
                   << f.status_code_data().reason_code() << " "
                   << f.status_code_data().message();
  return f.status() == "Failed" &&
         f.status_code_data().subject_code() == subject &&
         f.status_code_data().reason_code() == reason;
}

// The answer's status is "Executed-Success".
MATCHER(Succeeded, "") {
  const auto& f = arg.header().function_execution_status();
  *result_listener << "status " << f.status() << " "
                   << f.status_code_data().subject_code() << "/"
                   << f.status_code_data().reason_code() << " "
                   << f.status_code_data().message();
  return f.status() == "Executed-Success";
}

}  // namespace smdp::testing

#endif  // SMDP_TESTS_TESTING_GSMA_MATCHERS_H_
