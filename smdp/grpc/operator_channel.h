// The ES2+ operator channel over gRPC: calls the operator's
// smdp.es2plus.Es2PlusOperator.HandleDownloadProgressInfo with the SM-DP+'s
// TLS client certificate. smdp/server chooses it for a "grpc://" callback
// URL.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<order::OperatorChannel> channel,
//                    MakeGrpcOperatorChannel(endpoint));
//   RETURN_IF_ERROR(channel->Deliver(request));
#ifndef SMDP_SMDP_GRPC_OPERATOR_CHANNEL_H_
#define SMDP_SMDP_GRPC_OPERATOR_CHANNEL_H_

#include <memory>

#include "absl/status/statusor.h"
#include "smdp/order/operator_channel.h"

namespace smdp {

// A channel to `endpoint` (url "grpc://host:port"). Reads the TLS files now
// (NotFound naming a missing one). Thread-safe.
[[nodiscard]] absl::StatusOr<std::unique_ptr<order::OperatorChannel>>
MakeGrpcOperatorChannel(const order::OperatorEndpoint& endpoint);

}  // namespace smdp

#endif  // SMDP_SMDP_GRPC_OPERATOR_CHANNEL_H_
