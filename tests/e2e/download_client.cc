#include "tests/e2e/download_client.h"

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"

namespace smdp::e2e {
namespace {

// SGP.22 also defines "Executed-WithWarning"; our server never sends it, so
// a test that sees it should notice.
constexpr absl::string_view kSuccess = "Executed-Success";

// OK for "Executed-Success"; FailedPrecondition naming the function, the
// status and the GSMA codes otherwise.
absl::Status CheckHeader(absl::string_view function,
                         const es9plus::ResponseHeader& header) {
  const es9plus::FunctionExecutionStatus& fes =
      header.function_execution_status();
  if (fes.status() == kSuccess) return absl::OkStatus();
  const es9plus::StatusCodeData& data = fes.status_code_data();
  return absl::FailedPreconditionError(
      absl::StrCat(function, ": ", fes.status(), " ", data.subject_code(), "/",
                   data.reason_code(), " ", data.message()));
}

absl::Status Prefixed(absl::string_view step, const absl::Status& status) {
  return absl::Status(status.code(),
                      absl::StrCat(step, ": ", status.message()));
}

}  // namespace

absl::string_view StepName(DownloadStep step) {
  switch (step) {
    case DownloadStep::kGetChallenge:
      return "GetEUICCChallenge";
    case DownloadStep::kInitiateAuthentication:
      return "initiateAuthentication";
    case DownloadStep::kAuthenticateServer:
      return "AuthenticateServer";
    case DownloadStep::kAuthenticateClient:
      return "authenticateClient";
    case DownloadStep::kPrepareDownload:
      return "PrepareDownload";
    case DownloadStep::kGetBoundProfilePackage:
      return "getBoundProfilePackage";
    case DownloadStep::kLoadBoundProfilePackage:
      return "LoadBoundProfilePackage";
    case DownloadStep::kHandleNotification:
      return "handleNotification";
  }
  return "?";
}

bool IsServerStep(DownloadStep step) {
  return step == DownloadStep::kInitiateAuthentication ||
         step == DownloadStep::kAuthenticateClient ||
         step == DownloadStep::kGetBoundProfilePackage ||
         step == DownloadStep::kHandleNotification;
}

absl::Duration DownloadResult::total() const {
  absl::Duration sum;
  for (absl::Duration d : step_time) sum += d;
  return sum;
}

Download::Download(Es9Client& client, euicc::SoftwareEuicc& euicc,
                   std::string smdp_address,
                   std::optional<std::string> matching_id,
                   std::optional<std::string> confirmation_code)
    : client_(&client),
      euicc_(euicc),
      smdp_address_(std::move(smdp_address)),
      matching_id_(std::move(matching_id)),
      confirmation_code_(std::move(confirmation_code)) {}

std::optional<DownloadStep> Download::next_step() const {
  if (!status_.ok() || next_ >= kDownloadSteps) return std::nullopt;
  return static_cast<DownloadStep>(next_);
}

absl::Status Download::Step() {
  std::optional<DownloadStep> step = next_step();
  if (!step.has_value()) {
    return status_.ok() ? absl::FailedPreconditionError("download is over")
                        : status_;
  }
  const auto start = std::chrono::steady_clock::now();
  absl::Status s = RunStep(*step);
  result_.step_time[next_] =
      absl::FromChrono(std::chrono::steady_clock::now() - start);
  if (!s.ok()) {
    status_ = Prefixed(StepName(*step), s);
    return status_;
  }
  ++next_;
  return absl::OkStatus();
}

absl::Status Download::RunThrough(DownloadStep last) {
  while (next_step().has_value() && *next_step() <= last) {
    if (absl::Status s = Step(); !s.ok()) return s;
  }
  return status_;
}

absl::Status Download::RunStep(DownloadStep step) {
  switch (step) {
    case DownloadStep::kGetChallenge: {
      absl::StatusOr<std::string> challenge = euicc_.GetEuiccChallenge();
      if (!challenge.ok()) return challenge.status();
      challenge_ = *std::move(challenge);
      info1_ = euicc_.GetEuiccInfo1();
      return absl::OkStatus();
    }
    case DownloadStep::kInitiateAuthentication: {
      es9plus::InitiateAuthenticationRequest request;
      request.set_euicc_challenge(challenge_);
      request.set_euicc_info1(info1_);
      request.set_smdp_address(smdp_address_);
      absl::StatusOr<es9plus::InitiateAuthenticationResponse> answer =
          client_->InitiateAuthentication(request);
      if (!answer.ok()) return answer.status();
      if (absl::Status s = CheckHeader(StepName(step), answer->header());
          !s.ok()) {
        return s;
      }
      initiated_ = *std::move(answer);
      result_.transaction_id = initiated_.transaction_id();
      return absl::OkStatus();
    }
    case DownloadStep::kAuthenticateServer: {
      euicc::InitiateAuthenticationFields fields;
      fields.server_signed1 = initiated_.server_signed1();
      fields.server_signature1 = initiated_.server_signature1();
      fields.euicc_ci_pkid_to_be_used = initiated_.euicc_ci_pk_id_to_be_used();
      fields.server_certificate = initiated_.server_certificate();
      euicc::AuthenticateServerAnswer answer = euicc_.AuthenticateServer(
          fields, euicc::MakeCtxParams1(matching_id_), smdp_address_);
      if (!answer.ok()) return answer.status;
      authenticate_server_response_ = std::move(answer.der);
      return absl::OkStatus();
    }
    case DownloadStep::kAuthenticateClient: {
      es9plus::AuthenticateClientRequest request;
      request.set_transaction_id(initiated_.transaction_id());
      request.set_authenticate_server_response(authenticate_server_response_);
      absl::StatusOr<es9plus::AuthenticateClientResponse> answer =
          client_->AuthenticateClient(request);
      if (!answer.ok()) return answer.status();
      if (absl::Status s = CheckHeader(StepName(step), answer->header());
          !s.ok()) {
        return s;
      }
      authenticated_ = *std::move(answer);
      return absl::OkStatus();
    }
    case DownloadStep::kPrepareDownload: {
      euicc::AuthenticateClientFields fields;
      fields.smdp_signed2 = authenticated_.smdp_signed2();
      fields.smdp_signature2 = authenticated_.smdp_signature2();
      fields.smdp_certificate = authenticated_.smdp_certificate();
      euicc::PrepareDownloadAnswer answer =
          euicc_.PrepareDownload(fields, confirmation_code_);
      if (!answer.ok()) return answer.status;
      prepare_download_response_ = std::move(answer.der);
      return absl::OkStatus();
    }
    case DownloadStep::kGetBoundProfilePackage: {
      es9plus::GetBoundProfilePackageRequest request;
      request.set_transaction_id(initiated_.transaction_id());
      request.set_prepare_download_response(prepare_download_response_);
      absl::StatusOr<es9plus::GetBoundProfilePackageResponse> answer =
          client_->GetBoundProfilePackage(request);
      if (!answer.ok()) return answer.status();
      if (absl::Status s = CheckHeader(StepName(step), answer->header());
          !s.ok()) {
        return s;
      }
      bpp_ = std::move(*answer->mutable_bound_profile_package());
      return absl::OkStatus();
    }
    case DownloadStep::kLoadBoundProfilePackage: {
      absl::StatusOr<euicc::LoadBppResult> loaded =
          euicc_.LoadBoundProfilePackage(bpp_);
      bpp_.clear();
      if (!loaded.ok()) return loaded.status();
      result_.loaded = *std::move(loaded);
      return result_.loaded->status;
    }
    case DownloadStep::kHandleNotification: {
      es9plus::HandleNotificationRequest request;
      request.set_pending_notification(
          result_.loaded->profile_installation_result);
      absl::StatusOr<es9plus::HandleNotificationResponse> answer =
          client_->HandleNotification(request);
      if (!answer.ok()) return answer.status();
      // Over HTTPS an accepted notification is a 204 without a header.
      if (!answer->has_header()) return absl::OkStatus();
      return CheckHeader(StepName(step), answer->header());
    }
  }
  return absl::InternalError("unknown step");
}

absl::StatusOr<DownloadResult> RunDownload(
    Es9Client& client, euicc::SoftwareEuicc& euicc,
    const std::string& smdp_address,
    const std::optional<std::string>& matching_id) {
  Download download(client, euicc, smdp_address, matching_id);
  if (absl::Status s = download.Run(); !s.ok()) return s;
  return download.result();
}

}  // namespace smdp::e2e
