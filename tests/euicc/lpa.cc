#include "tests/euicc/lpa.h"

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "api/es9plus.grpc.pb.h"
#include "google/protobuf/util/json_util.h"
#include "smdp/grpc/tls_credentials.h"
#include "smdp/http/gsma_http_client.h"
#include "util/status_macros.h"

namespace smdp::euicc {
namespace {

// "host:port" with the default port added when there is none.
std::string WithPort(absl::string_view smdp) {
  const size_t bracket = smdp.rfind(']');
  const size_t colon = smdp.rfind(':');
  const bool has_port =
      colon != absl::string_view::npos &&
      (bracket == absl::string_view::npos || colon > bracket) &&
      (absl::StartsWith(smdp, "[") || smdp.find(':') == colon);
  return has_port ? std::string(smdp) : absl::StrCat(smdp, ":443");
}

class HttpsEs9Client final : public Es9Client {
 public:
  HttpsEs9Client(std::unique_ptr<http::GsmaHttpClient> client, std::string base,
                 bool strict)
      : client_(std::move(client)), base_(std::move(base)), strict_(strict) {}

  absl::StatusOr<es9plus::InitiateAuthenticationResponse>
  InitiateAuthentication(
      const es9plus::InitiateAuthenticationRequest& r) override {
    return Post<es9plus::InitiateAuthenticationResponse>(
        r, "initiateAuthentication");
  }
  absl::StatusOr<es9plus::AuthenticateClientResponse> AuthenticateClient(
      const es9plus::AuthenticateClientRequest& r) override {
    return Post<es9plus::AuthenticateClientResponse>(r, "authenticateClient");
  }
  absl::StatusOr<es9plus::GetBoundProfilePackageResponse>
  GetBoundProfilePackage(
      const es9plus::GetBoundProfilePackageRequest& r) override {
    return Post<es9plus::GetBoundProfilePackageResponse>(
        r, "getBoundProfilePackage");
  }
  absl::StatusOr<es9plus::CancelSessionResponse> CancelSession(
      const es9plus::CancelSessionRequest& r) override {
    return Post<es9plus::CancelSessionResponse>(r, "cancelSession");
  }
  absl::StatusOr<es9plus::HandleNotificationResponse> HandleNotification(
      const es9plus::HandleNotificationRequest& r) override {
    int http_status = 0;
    absl::StatusOr<es9plus::HandleNotificationResponse> answer =
        Post<es9plus::HandleNotificationResponse>(r, "handleNotification",
                                                  &http_status);
    // The binding answers an accepted notification with 204 and no body; a
    // 200 must carry a refusal.
    if (strict_ && answer.ok() && http_status == 200 &&
        answer->header().function_execution_status().status() != "Failed") {
      return absl::DataLossError(
          "handleNotification answered 200 without a refusal, not 204");
    }
    return answer;
  }

 private:
  // POSTs `request` as JSON to `function`; `http_status`, when given, gets
  // the answer's HTTP status.
  template <typename Response>
  absl::StatusOr<Response> Post(const google::protobuf::Message& request,
                                absl::string_view function,
                                int* http_status = nullptr) {
    std::string json;
    if (!google::protobuf::util::MessageToJsonString(request, &json).ok()) {
      return absl::InternalError(
          absl::StrCat(function, ": cannot print the request as JSON"));
    }
    absl::StatusOr<http::GsmaHttpResponse> answer =
        client_->Post(absl::StrCat(base_, function), json);
    if (!answer.ok()) {
      return absl::UnavailableError(
          absl::StrCat(function, ": ", answer.status().message()));
    }
    if (http_status != nullptr) *http_status = answer->status;
    Response response;
    if (answer->status == 204) {
      if (strict_ && !answer->body.empty()) {
        return absl::DataLossError(
            absl::StrCat(function, ": HTTP 204 with a body"));
      }
      return response;
    }
    if (answer->status != 200) {
      return absl::UnavailableError(
          absl::StrCat(function, ": HTTP ", answer->status));
    }
    // Newer servers may add fields: an LPA ignores what it does not know.
    // Strict, the server must send nothing the API does not define.
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = !strict_;
    if (!google::protobuf::util::JsonStringToMessage(answer->body, &response,
                                                     options)
             .ok()) {
      if (strict_) {
        return absl::DataLossError(
            absl::StrCat(function, ": bad JSON: ", answer->body));
      }
      return absl::UnavailableError(
          absl::StrCat(function, ": the answer is not its JSON"));
    }
    return response;
  }

  std::unique_ptr<http::GsmaHttpClient> client_;
  std::string base_;
  bool strict_;
};

class GrpcEs9Client final : public Es9Client {
 public:
  GrpcEs9Client(std::shared_ptr<grpc::Channel> channel,
                absl::Duration call_timeout)
      : stub_(es9plus::Es9Plus::NewStub(std::move(channel))),
        call_timeout_(call_timeout) {}

  absl::StatusOr<es9plus::InitiateAuthenticationResponse>
  InitiateAuthentication(
      const es9plus::InitiateAuthenticationRequest& r) override {
    return Call<es9plus::InitiateAuthenticationResponse>(
        r, &es9plus::Es9Plus::Stub::InitiateAuthentication,
        "InitiateAuthentication");
  }
  absl::StatusOr<es9plus::AuthenticateClientResponse> AuthenticateClient(
      const es9plus::AuthenticateClientRequest& r) override {
    return Call<es9plus::AuthenticateClientResponse>(
        r, &es9plus::Es9Plus::Stub::AuthenticateClient, "AuthenticateClient");
  }
  absl::StatusOr<es9plus::GetBoundProfilePackageResponse>
  GetBoundProfilePackage(
      const es9plus::GetBoundProfilePackageRequest& r) override {
    return Call<es9plus::GetBoundProfilePackageResponse>(
        r, &es9plus::Es9Plus::Stub::GetBoundProfilePackage,
        "GetBoundProfilePackage");
  }
  absl::StatusOr<es9plus::HandleNotificationResponse> HandleNotification(
      const es9plus::HandleNotificationRequest& r) override {
    return Call<es9plus::HandleNotificationResponse>(
        r, &es9plus::Es9Plus::Stub::HandleNotification, "HandleNotification");
  }
  absl::StatusOr<es9plus::CancelSessionResponse> CancelSession(
      const es9plus::CancelSessionRequest& r) override {
    return Call<es9plus::CancelSessionResponse>(
        r, &es9plus::Es9Plus::Stub::CancelSession, "CancelSession");
  }

 private:
  template <typename Response, typename Request, typename Method>
  absl::StatusOr<Response> Call(const Request& request, Method method,
                                absl::string_view name) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + call_timeout_));
    Response response;
    grpc::Status status = ((*stub_).*method)(&context, request, &response);
    if (!status.ok()) {
      return absl::UnavailableError(
          absl::StrCat(name, ": ", status.error_message()));
    }
    return response;
  }

  std::unique_ptr<es9plus::Es9Plus::Stub> stub_;
  absl::Duration call_timeout_;
};

// OK for a successful answer; FailedPrecondition with the GSMA codes
// otherwise.
absl::Status CheckHeader(absl::string_view function,
                         const es9plus::ResponseHeader& header) {
  const es9plus::FunctionExecutionStatus& status =
      header.function_execution_status();
  if (status.status() == "Executed-Success" ||
      status.status() == "Executed-WithWarning") {
    return absl::OkStatus();
  }
  const es9plus::StatusCodeData& data = status.status_code_data();
  return absl::FailedPreconditionError(absl::StrCat(
      function, ": ", status.status().empty() ? "no status" : status.status(),
      " subjectCode ", data.subject_code(), " reasonCode ", data.reason_code(),
      data.message().empty() ? "" : absl::StrCat(" (", data.message(), ")")));
}

// The eUICC's failure, named by its step.
absl::Status EuiccFailure(absl::string_view step, const absl::Status& status) {
  return absl::Status(status.code(),
                      absl::StrCat(step, ": ", status.message()));
}

}  // namespace

std::string HostOf(absl::string_view smdp) {
  if (absl::StartsWith(smdp, "[")) {
    const size_t end = smdp.find(']');
    return std::string(smdp.substr(
        1, end == absl::string_view::npos ? absl::string_view::npos : end - 1));
  }
  return std::string(smdp.substr(0, smdp.find(':')));
}

absl::StatusOr<std::unique_ptr<Es9Client>> CreateEs9Client(
    const Es9ClientOptions& options) {
  if (options.smdp.empty()) {
    return absl::InvalidArgumentError("no SM-DP+ address (host:port)");
  }
  if (options.call_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("the call timeout must be positive");
  }
  const std::string target = WithPort(options.smdp);
  if (options.plaintext) {
    if (options.transport != Es9Transport::kGrpc) {
      return absl::InvalidArgumentError("plaintext is for gRPC only");
    }
    if (!options.ca_file.empty() || !options.client_cert_file.empty() ||
        !options.client_key_file.empty()) {
      return absl::InvalidArgumentError(
          "plaintext gRPC takes no CA file or client certificate");
    }
    return std::unique_ptr<Es9Client>(std::make_unique<GrpcEs9Client>(
        grpc::CreateChannel(target, grpc::InsecureChannelCredentials()),
        options.call_timeout));
  }
  if (options.ca_file.empty()) {
    return absl::InvalidArgumentError("no CA file to trust the SM-DP+ by");
  }
  if (options.transport == Es9Transport::kGrpc) {
    GrpcClientTlsFiles files;
    files.ca_file = options.ca_file;
    files.certificate_chain_file = options.client_cert_file;
    files.private_key_file = options.client_key_file;
    ASSIGN_OR_RETURN(std::shared_ptr<grpc::Channel> channel,
                     CreateGrpcTlsChannel(target, files));
    return std::unique_ptr<Es9Client>(std::make_unique<GrpcEs9Client>(
        std::move(channel), options.call_timeout));
  }
  http::GsmaHttpClientOptions http_options;
  http_options.trust_anchor_files = {options.ca_file};
  if (!options.client_cert_file.empty()) {
    http_options.client_certificate_chain_files = {options.client_cert_file};
  }
  http_options.client_private_key_file = options.client_key_file;
  http_options.request_timeout = options.call_timeout;
  http_options.server_name = options.tls_server_name;
  http_options.verify_time = options.tls_verify_time;
  ASSIGN_OR_RETURN(std::unique_ptr<http::GsmaHttpClient> client,
                   http::GsmaHttpClient::Create(http_options));
  return std::unique_ptr<Es9Client>(std::make_unique<HttpsEs9Client>(
      std::move(client),
      absl::StrCat("https://", target, "/gsma/rsp2/es9plus/"), options.strict));
}

std::string IccidDigits(absl::string_view iccid) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  for (char c : iccid) {
    const uint8_t b = static_cast<uint8_t>(c);
    for (uint8_t nibble :
         {static_cast<uint8_t>(b & 0x0F), static_cast<uint8_t>(b >> 4)}) {
      if (nibble == 0x0F) return out;
      out.push_back(kDigits[nibble]);
    }
  }
  return out;
}

absl::StatusOr<DownloadResult> DownloadProfile(
    SoftwareEuicc& euicc, Es9Client& client, const DownloadOptions& options,
    const std::function<void(absl::string_view)>& progress) {
  // ES10b.GetEUICCChallenge and GetEUICCInfo (EUICCInfo1).
  ASSIGN_OR_RETURN(std::string challenge, euicc.GetEuiccChallenge());
  progress("GetEuiccChallenge, GetEuiccInfo1: ok");

  es9plus::InitiateAuthenticationRequest init;
  init.set_euicc_challenge(challenge);
  init.set_euicc_info1(euicc.GetEuiccInfo1());
  init.set_smdp_address(options.smdp_address);
  ASSIGN_OR_RETURN(es9plus::InitiateAuthenticationResponse initiated,
                   client.InitiateAuthentication(init));
  RETURN_IF_ERROR(CheckHeader("initiateAuthentication", initiated.header()));
  const std::string& transaction_id = initiated.transaction_id();
  progress(
      absl::StrCat("initiateAuthentication: transactionId ", transaction_id));

  InitiateAuthenticationFields fields;
  fields.server_signed1 = initiated.server_signed1();
  fields.server_signature1 = initiated.server_signature1();
  fields.euicc_ci_pkid_to_be_used = initiated.euicc_ci_pk_id_to_be_used();
  fields.server_certificate = initiated.server_certificate();
  AuthenticateServerAnswer authenticated = euicc.AuthenticateServer(
      fields, MakeCtxParams1(options.matching_id), options.smdp_address);

  es9plus::AuthenticateClientRequest auth;
  auth.set_transaction_id(transaction_id);
  auth.set_authenticate_server_response(authenticated.der);
  if (!authenticated.ok()) {
    // The eUICC's error answer goes to the SM-DP+, which ends the session.
    if (!authenticated.der.empty()) (void)client.AuthenticateClient(auth);
    return EuiccFailure("AuthenticateServer", authenticated.status);
  }
  progress("AuthenticateServer: ok");
  ASSIGN_OR_RETURN(es9plus::AuthenticateClientResponse client_auth,
                   client.AuthenticateClient(auth));
  RETURN_IF_ERROR(CheckHeader("authenticateClient", client_auth.header()));
  progress("authenticateClient: ok");

  AuthenticateClientFields client_fields;
  client_fields.smdp_signed2 = client_auth.smdp_signed2();
  client_fields.smdp_signature2 = client_auth.smdp_signature2();
  client_fields.smdp_certificate = client_auth.smdp_certificate();
  PrepareDownloadAnswer prepared =
      euicc.PrepareDownload(client_fields, options.confirmation_code);

  es9plus::GetBoundProfilePackageRequest get;
  get.set_transaction_id(transaction_id);
  get.set_prepare_download_response(prepared.der);
  if (!prepared.ok()) {
    if (!prepared.der.empty()) (void)client.GetBoundProfilePackage(get);
    return EuiccFailure("PrepareDownload", prepared.status);
  }
  progress("PrepareDownload: ok");
  ASSIGN_OR_RETURN(es9plus::GetBoundProfilePackageResponse bpp,
                   client.GetBoundProfilePackage(get));
  RETURN_IF_ERROR(CheckHeader("getBoundProfilePackage", bpp.header()));
  progress(absl::StrCat("getBoundProfilePackage: ",
                        bpp.bound_profile_package().size(), " bytes"));

  absl::StatusOr<LoadBppResult> loaded =
      euicc.LoadBoundProfilePackage(bpp.bound_profile_package());
  if (!loaded.ok()) {
    return EuiccFailure("LoadBoundProfilePackage", loaded.status());
  }
  if (loaded->status.ok()) {
    progress(absl::StrCat("LoadBoundProfilePackage: ok, ",
                          loaded->profile_segments, " segments",
                          loaded->used_ppk ? ", PPK" : ""));
  }

  // The ProfileInstallationResult is notified whatever the outcome.
  es9plus::HandleNotificationRequest notify;
  notify.set_pending_notification(loaded->profile_installation_result);
  absl::StatusOr<es9plus::HandleNotificationResponse> notified =
      client.HandleNotification(notify);
  if (!loaded->status.ok()) {
    return EuiccFailure("LoadBoundProfilePackage", loaded->status);
  }
  if (!notified.ok()) return notified.status();
  if (notified->has_header()) {
    RETURN_IF_ERROR(CheckHeader("handleNotification", notified->header()));
  }
  progress("handleNotification: ok");

  DownloadResult result;
  result.iccid = IccidDigits(loaded->iccid);
  result.profile = std::move(loaded->profile);
  return result;
}

}  // namespace smdp::euicc
