// The ES2+ operator channel over the GSMA HTTPS binding: POSTs
// HandleDownloadProgressInfo as JSON to the operator's
// /gsma/rsp2/es2plus/handleDownloadProgressInfo with the SM-DP+'s TLS client
// certificate. smdp/server chooses it for an "https://" callback URL.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<order::OperatorChannel> channel,
//                    MakeHttpsOperatorChannel(endpoint));
//   RETURN_IF_ERROR(channel->Deliver(request));
#ifndef SMDP_SMDP_HTTP_OPERATOR_CHANNEL_H_
#define SMDP_SMDP_HTTP_OPERATOR_CHANNEL_H_

#include <memory>

#include "absl/status/statusor.h"
#include "smdp/order/operator_channel.h"

namespace smdp::http {

// A channel to `endpoint` (url "https://host[:port]", the binding's path
// appended unless the URL already ends with it). Reads the TLS files now:
// InvalidArgument / NotFound naming a bad one. Thread-safe; keeps up to four
// idle connections.
[[nodiscard]] absl::StatusOr<std::unique_ptr<order::OperatorChannel>>
MakeHttpsOperatorChannel(const order::OperatorEndpoint& endpoint);

}  // namespace smdp::http

#endif  // SMDP_SMDP_HTTP_OPERATOR_CHANNEL_H_
