#include "smdp/grpc/es2plus_service.h"

#include <utility>

#include "smdp/grpc/calling_operator.h"
#include "smdp/grpc/status_util.h"

namespace smdp {
namespace {

template <typename Request, typename Response>
grpc::Status Call(absl::StatusOr<Response> (order::OrderService::*method)(
                      const order::Operator&, const Request&),
                  order::OrderService& orders,
                  const order::OperatorRegistry& operators,
                  const grpc::ServerContext& context, const Request& request,
                  Response* response) {
  absl::StatusOr<const order::Operator*> op =
      CallingOperator(context, operators, "ES2+");
  if (!op.ok()) return ToGrpcStatus(op.status());
  absl::StatusOr<Response> answer = (orders.*method)(**op, request);
  if (!answer.ok()) return ToGrpcStatus(answer.status());
  *response = *std::move(answer);
  return grpc::Status::OK;
}

}  // namespace

grpc::Status Es2PlusGrpcService::DownloadOrder(
    grpc::ServerContext* context, const es2plus::DownloadOrderRequest* request,
    es2plus::DownloadOrderResponse* response) {
  return Call(&order::OrderService::DownloadOrder, orders_, operators_,
              *context, *request, response);
}

grpc::Status Es2PlusGrpcService::ConfirmOrder(
    grpc::ServerContext* context, const es2plus::ConfirmOrderRequest* request,
    es2plus::ConfirmOrderResponse* response) {
  return Call(&order::OrderService::ConfirmOrder, orders_, operators_, *context,
              *request, response);
}

grpc::Status Es2PlusGrpcService::CancelOrder(
    grpc::ServerContext* context, const es2plus::CancelOrderRequest* request,
    es2plus::CancelOrderResponse* response) {
  return Call(&order::OrderService::CancelOrder, orders_, operators_, *context,
              *request, response);
}

grpc::Status Es2PlusGrpcService::ReleaseProfile(
    grpc::ServerContext* context, const es2plus::ReleaseProfileRequest* request,
    es2plus::ReleaseProfileResponse* response) {
  return Call(&order::OrderService::ReleaseProfile, orders_, operators_,
              *context, *request, response);
}

}  // namespace smdp
