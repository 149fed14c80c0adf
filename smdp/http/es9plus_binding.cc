#include "smdp/http/es9plus_binding.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "smdp/common/function_status.h"
#include "smdp/common/gsma_status.h"
#include "util/log.h"
#include "util/status_macros.h"

namespace smdp::http {
namespace {

// Wraps one DownloadService method as an HTTP handler.
template <typename Request, typename Response>
HttpHandler Handler(absl::StatusOr<Response> (
                        download::DownloadService::*method)(const Request&),
                    download::DownloadService& service, bool no_content) {
  return [method, &service, no_content](const HttpCall& call) -> HttpAnswer {
    Request request;
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = true;
    auto parsed = google::protobuf::util::JsonStringToMessage(
        call.body, &request, options);
    if (!parsed.ok()) {
      return GsmaErrorAnswer(GsmaError::kMalformedRequest,
                             std::string(parsed.message()));
    }
    absl::StatusOr<Response> response = (service.*method)(request);
    if (!response.ok()) {
      LogError("es9plus/", call.function, " from ", call.peer_address, ": ",
               response.status().ToString());
      HttpAnswer answer;
      answer.status = 500;
      answer.body.clear();
      return answer;
    }
    HttpAnswer answer;
    // HandleNotification has no response data in the binding: a success is
    // 204 without a body; a refusal is answered like any other function's
    // (functionExecutionStatus Failed with its code), as the gRPC binding
    // answers it. LPAs treat any 2xx as delivered.
    if (no_content &&
        response->header().function_execution_status().status() != kFailed) {
      answer.status = 204;
      answer.content_type.clear();
      return answer;
    }
    google::protobuf::util::JsonPrintOptions print;
    print.preserve_proto_field_names = false;
    auto printed = google::protobuf::util::MessageToJsonString(
        *response, &answer.body, print);
    if (!printed.ok()) {
      answer.status = 500;
      answer.body.clear();
    }
    return answer;
  };
}

}  // namespace

absl::Status AddEs9PlusHandlers(GsmaHttpServer& server,
                                download::DownloadService& service) {
  using DS = download::DownloadService;
  auto path = [](absl::string_view function) {
    return absl::StrCat(kEs9PlusPrefix, function);
  };
  RETURN_IF_ERROR(
      server.AddHandler(path("initiateAuthentication"),
                        Handler(&DS::InitiateAuthentication, service, false)));
  RETURN_IF_ERROR(
      server.AddHandler(path("authenticateClient"),
                        Handler(&DS::AuthenticateClient, service, false)));
  RETURN_IF_ERROR(
      server.AddHandler(path("getBoundProfilePackage"),
                        Handler(&DS::GetBoundProfilePackage, service, false)));
  RETURN_IF_ERROR(
      server.AddHandler(path("handleNotification"),
                        Handler(&DS::HandleNotification, service, true)));
  RETURN_IF_ERROR(server.AddHandler(
      path("cancelSession"), Handler(&DS::CancelSession, service, false)));
  return absl::OkStatus();
}

}  // namespace smdp::http
