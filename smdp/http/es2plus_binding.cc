#include "smdp/http/es2plus_binding.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "smdp/common/gsma_status.h"
#include "util/log.h"
#include "util/status_macros.h"

namespace smdp::http {
namespace {

// Wraps one OrderService method as an HTTP handler.
template <typename Request, typename Response>
HttpHandler Handler(absl::StatusOr<Response> (order::OrderService::*method)(
                        const order::Operator&, const Request&),
                    order::OrderService& orders,
                    const order::OperatorRegistry& operators) {
  return [method, &orders, &operators](const HttpCall& call) -> HttpAnswer {
    if (!call.client_certificate_der.has_value()) {
      return GsmaErrorAnswer(GsmaError::kFunctionRequesterUnknown,
                             "ES2+ needs a TLS client certificate");
    }
    absl::StatusOr<const order::Operator*> op =
        operators.Identify(*call.client_certificate_der);
    if (!op.ok()) {
      LogInfo("es2plus/", call.function, " from ", call.peer_address, ": ",
              op.status().message());
      return GsmaErrorAnswer(GsmaError::kFunctionRequesterUnknown,
                             op.status().message());
    }
    Request request;
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = true;
    auto parsed = google::protobuf::util::JsonStringToMessage(
        call.body, &request, options);
    if (!parsed.ok()) {
      return GsmaErrorAnswer(GsmaError::kMalformedRequest,
                             std::string(parsed.message()));
    }
    absl::StatusOr<Response> response = (orders.*method)(**op, request);
    HttpAnswer answer;
    if (!response.ok()) {
      LogError("es2plus/", call.function, " from ", (*op)->id, ": ",
               response.status().ToString());
      answer.status = 500;
      return answer;
    }
    auto printed = google::protobuf::util::MessageToJsonString(
        *response, &answer.body, google::protobuf::util::JsonPrintOptions());
    if (!printed.ok()) {
      answer.status = 500;
      answer.body.clear();
    }
    return answer;
  };
}

}  // namespace

absl::Status AddEs2PlusHandlers(GsmaHttpServer& server,
                                order::OrderService& orders,
                                const order::OperatorRegistry& operators) {
  using OS = order::OrderService;
  auto path = [](absl::string_view function) {
    return absl::StrCat(kEs2PlusPrefix, function);
  };
  RETURN_IF_ERROR(server.AddHandler(
      path("downloadOrder"), Handler(&OS::DownloadOrder, orders, operators)));
  RETURN_IF_ERROR(server.AddHandler(
      path("confirmOrder"), Handler(&OS::ConfirmOrder, orders, operators)));
  RETURN_IF_ERROR(server.AddHandler(
      path("cancelOrder"), Handler(&OS::CancelOrder, orders, operators)));
  RETURN_IF_ERROR(server.AddHandler(
      path("releaseProfile"), Handler(&OS::ReleaseProfile, orders, operators)));
  return absl::OkStatus();
}

}  // namespace smdp::http
