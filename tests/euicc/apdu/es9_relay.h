// Es9Relay: sends the ES9+ requests lpac makes through its stdio HTTP driver
// (LPAC_HTTP=stdio) to one SM-DP+ base URL, whatever host and port their URL
// names, over TLS verified against the GSMA CI.
//
// Why: lpac uses the SM-DP+ address of `-s` both as the host to connect to
// and as the smdpAddress it sends, so an SM-DP+ on a port other than 443
// answers "address is not ours". With the relay, lpac runs with
// `-s localhost` while the requests go to e.g. https://localhost:8443.
//
//   ASSIGN_OR_RETURN(auto relay, Es9Relay::Create(
//       "https://localhost:8443", {"smdp-data/pki/nist/ci.pem"}));
//   server.set_http_handler([&](auto url, auto body, const auto& headers) {
//     return relay->Send(url, body, headers);
//   });
//
// Not thread-safe.
#ifndef SMDP_TESTS_EUICC_APDU_ES9_RELAY_H_
#define SMDP_TESTS_EUICC_APDU_ES9_RELAY_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "smdp/http/gsma_http_client.h"
#include "tests/euicc/apdu/stdio_driver.h"

namespace smdp::euicc::apdu {

class Es9Relay {
 public:
  // `base_url`: "https://host[:port]" (a trailing "/" is ignored). The
  // server's certificate must chain to one of `trust_anchor_files` and
  // name the host. InvalidArgument for anything else.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Es9Relay>> Create(
      std::string base_url, std::vector<std::string> trust_anchor_files);

  // POSTs `body` to base_url + the path of `url`, with the X-Admin-Protocol
  // and User-Agent of `headers` ("Name: value"). Any HTTP status is an
  // answer; a transport failure is an error.
  [[nodiscard]] absl::StatusOr<HttpExchange> Send(
      absl::string_view url, absl::string_view body,
      const std::vector<std::string>& headers);

  // base_url + the path of `url` ("https://a:1/x/y" -> base + "/x/y").
  // InvalidArgument when `url` is not an https:// URL.
  [[nodiscard]] absl::StatusOr<std::string> Rewrite(
      absl::string_view url) const;

 private:
  Es9Relay(std::string base_url, std::vector<std::string> trust_anchor_files)
      : base_url_(std::move(base_url)),
        trust_anchor_files_(std::move(trust_anchor_files)) {}

  std::string base_url_;
  std::vector<std::string> trust_anchor_files_;
  // One client (connection) per admin protocol and user agent.
  std::map<std::string, std::unique_ptr<http::GsmaHttpClient>> clients_;
};

}  // namespace smdp::euicc::apdu

#endif  // SMDP_TESTS_EUICC_APDU_ES9_RELAY_H_
