// gMock matchers and assertions for absl::Status and absl::StatusOr<T>,
// shared by every test (Debian's Abseil ships none).
//
//   EXPECT_THAT(store.GetProfile("nope"),
//   StatusIs(absl::StatusCode::kNotFound)); ASSERT_OK(store.CommitBatch("b1"));
//   ASSERT_OK_AND_ASSIGN(auto key, provider->GenerateSigningKey("k", curve));
#ifndef SMDP_UTIL_STATUS_MATCHERS_H_
#define SMDP_UTIL_STATUS_MATCHERS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace smdp::matchers {

inline const absl::Status& GetStatus(const absl::Status& status) {
  return status;
}
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

// Matches an absl::Status or absl::StatusOr<T> whose code is `code`.
MATCHER_P(StatusIs, code,
          absl::StrCat("has status code ", absl::StatusCodeToString(code))) {
  const absl::Status& status = ::smdp::matchers::GetStatus(arg);
  *result_listener << "whose status is " << status.ToString();
  return status.code() == code;
}

// Matches an OK absl::Status or absl::StatusOr<T>.
MATCHER(IsOk, "is OK") {
  const absl::Status& status = ::smdp::matchers::GetStatus(arg);
  *result_listener << "whose status is " << status.ToString();
  return status.ok();
}

}  // namespace smdp::matchers

#define SMDP_TEST_CONCAT_INNER_(a, b) a##b
#define SMDP_TEST_CONCAT_(a, b) SMDP_TEST_CONCAT_INNER_(a, b)

#define ASSERT_OK(expr) ASSERT_THAT(expr, ::smdp::matchers::IsOk())
#define EXPECT_OK(expr) EXPECT_THAT(expr, ::smdp::matchers::IsOk())

// Asserts that `rexpr` (a StatusOr) is OK and moves its value into `lhs`.
#define ASSERT_OK_AND_ASSIGN(lhs, rexpr)                     \
  auto SMDP_TEST_CONCAT_(smdp_test_so_, __LINE__) = (rexpr); \
  ASSERT_THAT(SMDP_TEST_CONCAT_(smdp_test_so_, __LINE__),    \
              ::smdp::matchers::IsOk());                     \
  lhs = *std::move(SMDP_TEST_CONCAT_(smdp_test_so_, __LINE__))

#endif  // SMDP_UTIL_STATUS_MATCHERS_H_
