#include "smdp/common/gsma_status.h"

#include <set>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/cord.h"
#include "gtest/gtest.h"

namespace smdp {
namespace {

TEST(GsmaStatusTest, EveryErrorHasOneDistinctCodePair) {
  std::set<std::pair<std::string, std::string>> pairs;
  std::set<std::string> names;
  for (GsmaError error : AllGsmaErrors()) {
    const GsmaCode& code = GetGsmaCode(error);
    EXPECT_FALSE(code.subject_code.empty());
    EXPECT_FALSE(code.reason_code.empty());
    EXPECT_FALSE(code.description.empty());
    EXPECT_NE(code.status_code, absl::StatusCode::kOk);
    EXPECT_TRUE(pairs
                    .emplace(std::string(code.subject_code),
                             std::string(code.reason_code))
                    .second)
        << "duplicate " << GsmaErrorToString(error);
    EXPECT_TRUE(names.emplace(std::string(code.name)).second) << code.name;
    EXPECT_EQ(FindGsmaError(code.subject_code, code.reason_code), error);
  }
  EXPECT_EQ(FindGsmaError("8.1.4", "6.1"), std::nullopt);
}

// The codes DESIGN.md lists, spelled out once more so that a slip in the
// table shows up here.
TEST(GsmaStatusTest, CodesMatchTheDesign) {
  const struct {
    GsmaError error;
    const char* subject;
    const char* reason;
  } kExpected[] = {
      {GsmaError::kInvalidSmdpAddress, "8.8.1", "3.8"},
      {GsmaError::kUnsupportedCiKey, "8.8.2", "3.1"},
      {GsmaError::kUnsupportedSvn, "8.8.3", "3.1"},
      {GsmaError::kNoDpAuthCertificate, "8.8.4", "3.7"},
      {GsmaError::kEumCertificateInvalid, "8.1.2", "6.1"},
      {GsmaError::kEumCertificateExpired, "8.1.2", "6.3"},
      {GsmaError::kEuiccCertificateInvalid, "8.1.3", "6.1"},
      {GsmaError::kEuiccCertificateExpired, "8.1.3", "6.3"},
      {GsmaError::kEuiccSignatureInvalid, "8.1", "6.1"},
      {GsmaError::kUnknownCiKey, "8.11.1", "3.9"},
      {GsmaError::kUnknownTransactionId, "8.10.1", "3.9"},
      {GsmaError::kEidRefused, "8.1.1", "3.8"},
      {GsmaError::kMatchingIdRefused, "8.2.6", "3.8"},
      {GsmaError::kProfileNotReleased, "8.2", "1.2"},
      {GsmaError::kNoEligibleProfile, "8.2.5", "4.3"},
      {GsmaError::kConfirmationCodeMissing, "8.2.7", "2.2"},
      {GsmaError::kConfirmationCodeRefused, "8.2.7", "3.8"},
      {GsmaError::kConfirmationCodeRetriesExceeded, "8.2.7", "6.4"},
      {GsmaError::kDownloadOrderExpired, "8.8.5", "4.10"},
      {GsmaError::kDownloadRetriesExceeded, "8.8.5", "6.4"},
      {GsmaError::kBppUnavailable, "8.2", "3.7"},
      {GsmaError::kInvalidSmdpOid, "8.8", "3.10"},
      {GsmaError::kEidMissing, "8.1.1", "2.2"},
      {GsmaError::kEidAlreadyBound, "8.1.1", "3.1"},
      {GsmaError::kEidMismatch, "8.1.1", "3.10"},
      {GsmaError::kIccidNotAllowed, "8.2.1", "1.2"},
      {GsmaError::kIccidUnavailable, "8.2.1", "3.3"},
      {GsmaError::kProfileNotReleasable, "8.2.1", "3.5"},
      {GsmaError::kIccidUnknown, "8.2.1", "3.9"},
      {GsmaError::kProfileTypeNotAllowed, "8.2.5", "1.2"},
      {GsmaError::kProfileTypeUnavailable, "8.2.5", "3.7"},
      {GsmaError::kProfileTypeMismatch, "8.2.5", "3.8"},
      {GsmaError::kProfileTypeUnknown, "8.2.5", "3.9"},
      {GsmaError::kMatchingIdAlreadyBound, "8.2.6", "3.1"},
      {GsmaError::kMatchingIdConflict, "8.2.6", "3.3"},
      {GsmaError::kMatchingIdMismatch, "8.2.6", "3.10"},
      {GsmaError::kSmdsExecutionError, "8.9", "4.2"},
      {GsmaError::kSmdsInaccessible, "8.9", "5.1"},
      {GsmaError::kMalformedRequest, "1.6", "2.1"},
      {GsmaError::kMandatoryElementMissing, "1.6", "2.2"},
      {GsmaError::kConditionalElementMissing, "1.6", "2.3"},
      {GsmaError::kFunctionRequesterUnknown, "1.1", "1.1"},
      {GsmaError::kFunctionRequesterNotAllowed, "1.1", "1.2"},
  };
  EXPECT_EQ(std::size(kExpected), AllGsmaErrors().size());
  for (const auto& e : kExpected) {
    const GsmaCode& code = GetGsmaCode(e.error);
    EXPECT_EQ(code.subject_code, e.subject) << code.name;
    EXPECT_EQ(code.reason_code, e.reason) << code.name;
  }
}

TEST(GsmaStatusTest, StatusCarriesTheError) {
  const absl::Status status =
      GsmaErrorStatus(GsmaError::kEuiccCertificateExpired,
                      absl::StatusCode::kFailedPrecondition, "expired at X");
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(status.message(), "expired at X");
  EXPECT_EQ(GetGsmaError(status), GsmaError::kEuiccCertificateExpired);
  EXPECT_EQ(std::string(*status.GetPayload(kGsmaErrorPayloadUrl)), "8.1.3/6.3");
}

TEST(GsmaStatusTest, DefaultStatusCodeComesFromTheTable) {
  const absl::Status status =
      GsmaErrorStatus(GsmaError::kUnknownTransactionId, "no such session");
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(GetGsmaError(status), GsmaError::kUnknownTransactionId);
}

TEST(GsmaStatusTest, OkCodeBecomesInternal) {
  const absl::Status status = GsmaErrorStatus(
      GsmaError::kEidRefused, absl::StatusCode::kOk, "must not be OK");
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(GetGsmaError(status), GsmaError::kEidRefused);
}

TEST(GsmaStatusTest, PlainStatusesCarryNothing) {
  EXPECT_EQ(GetGsmaError(absl::OkStatus()), std::nullopt);
  EXPECT_EQ(GetGsmaError(absl::InternalError("disk")), std::nullopt);
  absl::Status bogus = absl::InternalError("x");
  bogus.SetPayload(kGsmaErrorPayloadUrl, absl::Cord("9.9/9.9"));
  EXPECT_EQ(GetGsmaError(bogus), std::nullopt);
  bogus.SetPayload(kGsmaErrorPayloadUrl, absl::Cord("garbage"));
  EXPECT_EQ(GetGsmaError(bogus), std::nullopt);
}

TEST(GsmaStatusTest, AttachReplacesAndKeepsOk) {
  absl::Status status = absl::UnauthenticatedError("bad");
  status = AttachGsmaError(status, GsmaError::kEumCertificateInvalid);
  status = AttachGsmaError(status, GsmaError::kUnknownCiKey);
  EXPECT_EQ(GetGsmaError(status), GsmaError::kUnknownCiKey);
  EXPECT_EQ(status.message(), "bad");
  EXPECT_TRUE(AttachGsmaError(absl::OkStatus(), GsmaError::kUnknownCiKey).ok());
}

TEST(GsmaStatusTest, ToString) {
  EXPECT_EQ(GsmaErrorToString(GsmaError::kEuiccCertificateExpired),
            "8.1.3/6.3 eUICC Certificate - Expired");
}

}  // namespace
}  // namespace smdp
