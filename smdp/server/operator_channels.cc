#include "smdp/server/operator_channels.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "smdp/grpc/operator_channel.h"
#include "smdp/http/operator_channel.h"

namespace smdp {

absl::StatusOr<std::unique_ptr<order::OperatorChannel>> MakeOperatorChannel(
    const order::OperatorEndpoint& endpoint) {
  const bool has_cert = !endpoint.client_certificate_chain_file.empty();
  const bool has_key = !endpoint.client_private_key_file.empty();
  if (has_cert != has_key) {
    return absl::InvalidArgumentError(
        "callback: client_certificate_chain_file and client_private_key_file "
        "go together");
  }
  if (!has_cert && !endpoint.allow_without_client_certificate) {
    return absl::InvalidArgumentError(absl::StrCat(
        "callback ", endpoint.url,
        ": ES2+ needs mutual TLS: set the SM-DP+ client certificate and key"));
  }
  if (endpoint.trust_anchor_files.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("callback ", endpoint.url, ": no trust anchor files"));
  }
  if (absl::StartsWith(endpoint.url, "https://")) {
    return http::MakeHttpsOperatorChannel(endpoint);
  }
  if (absl::StartsWith(endpoint.url, "grpc://")) {
    return MakeGrpcOperatorChannel(endpoint);
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "callback URL '", endpoint.url, "' must start with https:// or grpc://"));
}

}  // namespace smdp
