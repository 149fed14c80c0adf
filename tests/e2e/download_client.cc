#include "tests/e2e/download_client.h"

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "api/es9plus.grpc.pb.h"
#include "google/protobuf/util/json_util.h"
#include "smdp/http/gsma_http_client.h"
#include "smdp/http/gsma_http_server.h"

namespace smdp::e2e {
namespace {

// SGP.22 also defines "Executed-WithWarning"; our server never sends it, so
// a test that sees it should notice.
constexpr absl::string_view kSuccess = "Executed-Success";
// A call that takes longer than this is a hang, not a slow server.
constexpr auto kCallDeadline = std::chrono::seconds(120);

class GrpcEs9Client : public Es9Client {
 public:
  explicit GrpcEs9Client(const std::string& target)
      : stub_(es9plus::Es9Plus::NewStub(
            grpc::CreateChannel(target, grpc::InsecureChannelCredentials()))) {}

  absl::StatusOr<es9plus::InitiateAuthenticationResponse>
  InitiateAuthentication(
      const es9plus::InitiateAuthenticationRequest& r) override {
    return Do<es9plus::InitiateAuthenticationResponse>(
        r, &es9plus::Es9Plus::Stub::InitiateAuthentication);
  }
  absl::StatusOr<es9plus::AuthenticateClientResponse> AuthenticateClient(
      const es9plus::AuthenticateClientRequest& r) override {
    return Do<es9plus::AuthenticateClientResponse>(
        r, &es9plus::Es9Plus::Stub::AuthenticateClient);
  }
  absl::StatusOr<es9plus::GetBoundProfilePackageResponse>
  GetBoundProfilePackage(
      const es9plus::GetBoundProfilePackageRequest& r) override {
    return Do<es9plus::GetBoundProfilePackageResponse>(
        r, &es9plus::Es9Plus::Stub::GetBoundProfilePackage);
  }
  absl::StatusOr<es9plus::HandleNotificationResponse> HandleNotification(
      const es9plus::HandleNotificationRequest& r) override {
    return Do<es9plus::HandleNotificationResponse>(
        r, &es9plus::Es9Plus::Stub::HandleNotification);
  }
  absl::StatusOr<es9plus::CancelSessionResponse> CancelSession(
      const es9plus::CancelSessionRequest& r) override {
    return Do<es9plus::CancelSessionResponse>(
        r, &es9plus::Es9Plus::Stub::CancelSession);
  }

 private:
  template <typename Resp, typename Req, typename Method>
  absl::StatusOr<Resp> Do(const Req& request, Method method) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + kCallDeadline);
    Resp response;
    grpc::Status s = ((*stub_).*method)(&context, request, &response);
    if (!s.ok()) {
      return absl::UnavailableError(
          absl::StrCat("gRPC status ", static_cast<int>(s.error_code()), ": ",
                       s.error_message()));
    }
    return response;
  }

  std::unique_ptr<es9plus::Es9Plus::Stub> stub_;
};

class HttpsEs9Client : public Es9Client {
 public:
  HttpsEs9Client(std::unique_ptr<http::GsmaHttpClient> client, std::string base)
      : client_(std::move(client)), base_(std::move(base)) {}

  absl::StatusOr<es9plus::InitiateAuthenticationResponse>
  InitiateAuthentication(
      const es9plus::InitiateAuthenticationRequest& r) override {
    return Do<es9plus::InitiateAuthenticationResponse>(
        r, "initiateAuthentication");
  }
  absl::StatusOr<es9plus::AuthenticateClientResponse> AuthenticateClient(
      const es9plus::AuthenticateClientRequest& r) override {
    return Do<es9plus::AuthenticateClientResponse>(r, "authenticateClient");
  }
  absl::StatusOr<es9plus::GetBoundProfilePackageResponse>
  GetBoundProfilePackage(
      const es9plus::GetBoundProfilePackageRequest& r) override {
    return Do<es9plus::GetBoundProfilePackageResponse>(
        r, "getBoundProfilePackage");
  }
  absl::StatusOr<es9plus::HandleNotificationResponse> HandleNotification(
      const es9plus::HandleNotificationRequest& r) override {
    int status = 0;
    absl::StatusOr<es9plus::HandleNotificationResponse> answer =
        Do<es9plus::HandleNotificationResponse>(r, "handleNotification",
                                                &status);
    if (!answer.ok()) return answer;
    // The binding answers an accepted notification with 204 and no body; a
    // 200 must carry a refusal.
    if (status == 200 &&
        answer->header().function_execution_status().status() != "Failed") {
      return absl::DataLossError(
          "handleNotification answered 200 without a refusal, not 204");
    }
    return answer;
  }
  absl::StatusOr<es9plus::CancelSessionResponse> CancelSession(
      const es9plus::CancelSessionRequest& r) override {
    return Do<es9plus::CancelSessionResponse>(r, "cancelSession");
  }

 private:
  template <typename Resp>
  absl::StatusOr<Resp> Do(const google::protobuf::Message& request,
                          absl::string_view function, int* status = nullptr) {
    std::string json;
    if (!google::protobuf::util::MessageToJsonString(request, &json).ok()) {
      return absl::InternalError("cannot print the request as JSON");
    }
    absl::StatusOr<http::GsmaHttpResponse> answer =
        client_->Post(absl::StrCat(base_, function), json);
    if (!answer.ok()) return answer.status();
    if (status != nullptr) *status = answer->status;
    Resp response;
    if (answer->status == 204 && answer->body.empty()) return response;
    if (answer->status != 200) {
      return absl::UnavailableError(
          absl::StrCat(function, ": HTTP ", answer->status));
    }
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = false;  // the server sends nothing unknown
    if (!google::protobuf::util::JsonStringToMessage(answer->body, &response,
                                                     options)
             .ok()) {
      return absl::DataLossError(
          absl::StrCat(function, ": bad JSON: ", answer->body));
    }
    return response;
  }

  std::unique_ptr<http::GsmaHttpClient> client_;
  std::string base_;
};

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

absl::string_view TransportName(Es9Transport transport) {
  return transport == Es9Transport::kHttps ? "https" : "grpc";
}

std::unique_ptr<Es9Client> NewGrpcEs9Client(const std::string& target) {
  return std::make_unique<GrpcEs9Client>(target);
}

absl::StatusOr<std::unique_ptr<Es9Client>> NewHttpsEs9Client(
    absl::string_view base_url, std::vector<std::string> trust_anchor_files) {
  http::GsmaHttpClientOptions options;
  options.trust_anchor_files = std::move(trust_anchor_files);
  absl::StatusOr<std::unique_ptr<http::GsmaHttpClient>> client =
      http::GsmaHttpClient::Create(options);
  if (!client.ok()) return client.status();
  return std::make_unique<HttpsEs9Client>(
      *std::move(client), absl::StrCat(base_url, http::kEs9PlusPrefix));
}

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
