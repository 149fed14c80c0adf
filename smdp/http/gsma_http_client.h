// A small client of the GSMA HTTP/JSON binding: POSTs a JSON body over TLS
// to an SM-DP+ (or an operator's ES2+ endpoint) and returns the answer, for
// the software eUICC CLI, the load generator and operator callbacks.
//
//   GsmaHttpClientOptions options;
//   options.trust_anchor_files = {"ci.pem"};  // The GSMA CI, not web roots.
//   ASSIGN_OR_RETURN(auto client, GsmaHttpClient::Create(options));
//   ASSIGN_OR_RETURN(GsmaHttpResponse res,
//       client->Post("https://smdp.example.com/gsma/rsp2/es9plus/"
//                    "initiateAuthentication",
//                    R"({"smdpAddress":"smdp.example.com", ...})"));
//   if (res.status == 200) ... res.body ...
//
// Requests carry "X-Admin-Protocol" (options.admin_protocol), "Content-Type:
// application/json", "User-Agent" and "Host". The server's certificate must
// chain to one of the trust anchors and name the host (DNS name, or IP
// address for a literal IP). TLS 1.2 (the two SGP.22 suites) or 1.3.
//
// One connection is kept alive and reused while successive calls go to the
// same host and port and the server keeps it open. If a reused connection
// turns out to be closed before any byte of the answer arrived (the server
// dropped an idle keep-alive connection), the call is retried once on a new
// connection; the binding's functions tolerate that (a duplicate is answered
// from the session state, and the server never saw the first attempt).
//
// Errors: InvalidArgument for a malformed URL; DeadlineExceeded when a step
// exceeds its timeout; Unavailable for network and TLS failures (including
// an untrusted server certificate). Any HTTP status is a successful call:
// the caller reads GsmaHttpResponse::status.
//
// Thread-safety: a GsmaHttpClient is NOT thread-safe (it owns one
// connection); use one per thread. Post() blocks.
#ifndef SMDP_SMDP_HTTP_GSMA_HTTP_CLIENT_H_
#define SMDP_SMDP_HTTP_GSMA_HTTP_CLIENT_H_

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace smdp::http {

struct GsmaHttpClientOptions {
  // Certificates (PEM, several per file, or DER) the server's chain must
  // reach: the GSMA CI(s). Required.
  std::vector<std::string> trust_anchor_files;
  // Optional client identity for mutual TLS (ES2+): the chain (leaf first)
  // and its PEM private key. Both or neither.
  std::vector<std::string> client_certificate_chain_files;
  std::string client_private_key_file;
  // The name the server's certificate must carry (and the SNI sent), when
  // it is not the URL's host: e.g. an SM-DP+ reached at 127.0.0.1 whose
  // CERT.DP.TLS names "testsmdpplus1.example.com". Empty: the URL's host.
  std::string server_name;
  // Checks the server's certificates at this time instead of now (tests
  // with fixed, possibly expired, certificates such as SGP.26's).
  std::optional<absl::Time> verify_time;
  // Sent as X-Admin-Protocol. Default "gsma/rsp/v2.2.0".
  std::string admin_protocol = "gsma/rsp/v2.2.0";
  // Sent as User-Agent. Default "gsma-rsp-lpad" (what lpac sends).
  std::string user_agent = "gsma-rsp-lpad";
  // Name resolution + TCP connect + TLS handshake. Default 10 s.
  absl::Duration connect_timeout = absl::Seconds(10);
  // Writing the request and reading the whole answer. Default 60 s.
  absl::Duration request_timeout = absl::Seconds(60);
  // Largest answer body accepted (a BPP can be MBs). Default 64 MiB.
  size_t max_response_bytes = size_t{64} << 20;
};

// One answer.
struct GsmaHttpResponse {
  int status = 0;
  std::string body;
  std::string content_type;
  // The answer's X-Admin-Protocol ("" if none).
  std::string admin_protocol;
};

// See the file comment.
class GsmaHttpClient {
 public:
  // Loads the trust anchors and client identity (InvalidArgument naming the
  // field or file that is wrong).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<GsmaHttpClient>> Create(
      const GsmaHttpClientOptions& options);

  GsmaHttpClient(const GsmaHttpClient&) = delete;
  GsmaHttpClient& operator=(const GsmaHttpClient&) = delete;
  ~GsmaHttpClient();

  // POSTs `json_body` to `url` ("https://host[:port]/path"; default port
  // 443; "[::1]" for an IPv6 literal).
  [[nodiscard]] absl::StatusOr<GsmaHttpResponse> Post(
      absl::string_view url, absl::string_view json_body);

  // Closes the kept-alive connection, if any.
  void Close();

 private:
  class Impl;
  explicit GsmaHttpClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace smdp::http

#endif  // SMDP_SMDP_HTTP_GSMA_HTTP_CLIENT_H_
