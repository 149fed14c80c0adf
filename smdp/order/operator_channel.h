// OperatorChannel: how the SM-DP+ reaches one operator's ES2+ endpoint to
// deliver HandleDownloadProgressInfo, over the GSMA HTTPS binding or gRPC,
// both with the SM-DP+'s TLS client certificate (mutual TLS). This is the
// interface the outbox sender (progress_notifier.h) uses; the channels are
// in smdp/http and smdp/grpc, and smdp/server's MakeOperatorChannel picks
// one by the URL.
//
//   OperatorEndpoint endpoint;
//   endpoint.url = "https://es2.operator.example:8444";
//   endpoint.trust_anchor_files = {"operator-ca.pem"};
//   endpoint.client_certificate_chain_file = "smdp-client.pem";
//   endpoint.client_private_key_file = "smdp-client.key";
//   ASSIGN_OR_RETURN(std::unique_ptr<OperatorChannel> channel,
//                    MakeOperatorChannel(endpoint));  // smdp/server
//   RETURN_IF_ERROR(channel->Deliver(request));
//
// Thread-safety: Deliver() may be called from several threads at once.
#ifndef SMDP_SMDP_ORDER_OPERATOR_CHANNEL_H_
#define SMDP_SMDP_ORDER_OPERATOR_CHANNEL_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "api/es2plus.pb.h"

namespace smdp::order {

// One operator's callback endpoint.
struct OperatorEndpoint {
  // "https://host[:port]" (the binding's path
  // /gsma/rsp2/es2plus/handleDownloadProgressInfo is appended; a URL that
  // already ends with it is used as is), or "grpc://host:port" for the
  // smdp.es2plus.Es2PlusOperator gRPC service.
  std::string url;
  // PEM CA certificates the operator's server certificate must chain to.
  std::vector<std::string> trust_anchor_files;
  // The SM-DP+'s TLS client identity (PEM chain and key). Both or neither;
  // ES2+ requires them, so an operator without them is refused by
  // smdp/server's MakeOperatorChannel unless
  // allow_without_client_certificate.
  std::string client_certificate_chain_file;
  std::string client_private_key_file;
  bool allow_without_client_certificate = false;
  // Per call: connect + TLS + request + answer.
  absl::Duration timeout = absl::Seconds(10);
};

class OperatorChannel {
 public:
  virtual ~OperatorChannel() = default;
  // OK when the operator accepted the call (HTTP 204 or 200, gRPC OK).
  // Unavailable / DeadlineExceeded for a transport failure, FailedPrecondition
  // for an HTTP error status, each naming the operator's URL.
  [[nodiscard]] virtual absl::Status Deliver(
      const es2plus::HandleDownloadProgressInfoRequest& request) = 0;
  // The URL, for logs.
  virtual const std::string& url() const = 0;
};

}  // namespace smdp::order

#endif  // SMDP_SMDP_ORDER_OPERATOR_CHANNEL_H_
