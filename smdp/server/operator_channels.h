// MakeOperatorChannel: the ES2+ operator channel (smdp/order's interface)
// for a callback endpoint of the config, over the GSMA HTTPS binding
// (smdp/http) or gRPC (smdp/grpc) as its URL says.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<order::OperatorChannel> channel,
//                    MakeOperatorChannel(endpoint));
#ifndef SMDP_SMDP_SERVER_OPERATOR_CHANNELS_H_
#define SMDP_SMDP_SERVER_OPERATOR_CHANNELS_H_

#include <memory>

#include "absl/status/statusor.h"
#include "smdp/order/operator_channel.h"

namespace smdp {

// A channel for `endpoint`: "https://..." or "grpc://...". InvalidArgument
// naming the problem (scheme, a client certificate without its key or the
// reverse, a missing client certificate, no trust anchors), or the error of
// an unreadable file.
[[nodiscard]] absl::StatusOr<std::unique_ptr<order::OperatorChannel>>
MakeOperatorChannel(const order::OperatorEndpoint& endpoint);

}  // namespace smdp

#endif  // SMDP_SMDP_SERVER_OPERATOR_CHANNELS_H_
