// The ES2+ gRPC service (api/es2plus.proto): each rpc identifies the
// operator from the call's verified TLS client certificate and calls the
// transport-independent OrderService. GSMA refusals are normal answers
// (header.functionExecutionStatus "Failed" with subject/reason codes).
// gRPC error statuses: UNAUTHENTICATED for a call without a client
// certificate, PERMISSION_DENIED for a certificate that is no operator's,
// INTERNAL (or the store's code) for a failure of the server itself.
//
// Only for a listener whose TLS credentials verify client certificates
// (smdp/grpc/peer_identity.h).
//
// Thread-safety: gRPC calls it from many threads; `orders` and `operators`
// must outlive it.
#ifndef SMDP_SMDP_GRPC_ES2PLUS_SERVICE_H_
#define SMDP_SMDP_GRPC_ES2PLUS_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include "api/es2plus.grpc.pb.h"
#include "smdp/order/operator_registry.h"
#include "smdp/order/order_service.h"

namespace smdp {

class Es2PlusGrpcService final : public es2plus::Es2Plus::Service {
 public:
  Es2PlusGrpcService(order::OrderService& orders,
                     const order::OperatorRegistry& operators)
      : orders_(orders), operators_(operators) {}

  grpc::Status DownloadOrder(grpc::ServerContext* context,
                             const es2plus::DownloadOrderRequest* request,
                             es2plus::DownloadOrderResponse* response) override;
  grpc::Status ConfirmOrder(grpc::ServerContext* context,
                            const es2plus::ConfirmOrderRequest* request,
                            es2plus::ConfirmOrderResponse* response) override;
  grpc::Status CancelOrder(grpc::ServerContext* context,
                           const es2plus::CancelOrderRequest* request,
                           es2plus::CancelOrderResponse* response) override;
  grpc::Status ReleaseProfile(
      grpc::ServerContext* context,
      const es2plus::ReleaseProfileRequest* request,
      es2plus::ReleaseProfileResponse* response) override;

 private:
  order::OrderService& orders_;
  const order::OperatorRegistry& operators_;
};

}  // namespace smdp

#endif  // SMDP_SMDP_GRPC_ES2PLUS_SERVICE_H_
