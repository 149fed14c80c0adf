// The GSMA HTTP/JSON binding transport: an HTTPS server that receives
// `POST /gsma/rsp2/es9plus/<function>` (and es2plus later), checks what the
// binding requires of every call, and hands the JSON body to a handler. It
// knows nothing of ES9+ or ES2+ semantics.
//
//   GsmaHttpServerOptions options;
//   options.listen_address = "0.0.0.0:443";
//   options.certificate_chain_files = {"dptls.pem", "ci.pem"};
//   options.private_key_file = "dptls.key.pem";
//   ASSIGN_OR_RETURN(std::unique_ptr<GsmaHttpServer> server,
//                    GsmaHttpServer::Create(options));
//   RETURN_IF_ERROR(server->AddHandler(
//       "/gsma/rsp2/es9plus/initiateAuthentication",
//       [&](const HttpCall& call) { return es9.InitiateAuthentication(call);
//       }));
//   RETURN_IF_ERROR(server->Start());
//   ... server->port() ...
//   server->Shutdown(absl::Seconds(5));
//
// What the transport answers by itself (the handler never runs):
//   - a method other than POST: 405 (with "Allow: POST"), empty body;
//   - a path with no handler: 404, empty body;
//   - X-Admin-Protocol missing or not "gsma/rsp/v<major>.<minor>.<patch>"
//     with major 2 or 3: 400, empty body;
//   - Content-Type other than application/json (parameters such as
//     ";charset=UTF-8" allowed, case-insensitive): 415, empty body;
//   - a body over max_body_bytes: 413, empty body, connection closed;
//   - malformed HTTP (bad request line, header over max_header_bytes, bad
//     chunking ...): 400, empty body, connection closed;
//   - a client that does not send a full request within request_timeout
//     (slow-loris), or no TLS handshake within handshake_timeout: the
//     connection is closed without an answer;
//   - a body that is not a JSON object (syntax error, an array, trailing
//     garbage, nesting deeper than 64): HTTP 200 with
//     header.functionExecutionStatus "Failed", GsmaError::kMalformedRequest.
// Rationale: SGP.22's HTTP binding answers every *function execution* with
// 200 and a functionExecutionStatus, while requests that never reach a
// function (wrong method, path, header) get HTTP status codes. lpac treats
// any non-2xx answer as a transport failure ("Status code error") whatever the
// body, so the body of a 4xx carries nothing.
//
// Every answer has Content-Length, "X-Admin-Protocol" (the request's if it
// was valid, else options.admin_protocol), and, when it has a body,
// the handler's content type (default "application/json;charset=UTF-8").
// Keep-alive follows HTTP/1.1 rules (the client's "Connection: close" or
// HTTP/1.0 without keep-alive closes after the answer). Pipelined requests
// are answered in order, one at a time. "Expect: 100-continue" (curl sends it
// for larger bodies) is answered with an interim 100 before the body is read,
// so such a client does not stall for its expect timeout.
//
// TLS: 1.2 and 1.3 only. TLS 1.2 offers only the SGP.22 suites
// ECDHE-ECDSA-AES128-GCM-SHA256 and ECDHE-ECDSA-AES128-SHA256; TLS 1.3 its
// standard suites. Key exchange groups: X25519, P-256, P-384 and (TLS 1.2)
// brainpoolP256r1. Several identities (options.tls_identities) are chosen
// per connection; see that field. The certificate chain is CERT.DP.TLS followed
// by any intermediate certificates (the CI root itself need not be sent). The
// private key is either a hsm::SigningKey (the production setup: the key
// stays in the CryptoProvider and every handshake signature is one
// SignDigest() call, made on an io thread) or a PEM file (development).
//
// Threads: `io_threads` run Asio (accept, TLS, HTTP parsing, writes); handlers
// run on a separate pool of `worker_threads`, since they do crypto, HSM and
// store work. A handler may run concurrently with itself and others on
// different threads; it must be thread-safe and must not throw (a throw is
// caught and answered 500).
//
// Thread-safety: AddHandler() before Start() only. port(), Shutdown() and the
// destructor may be called from any thread but not concurrently with each
// other. Shutdown() stops accepting, lets in-flight calls finish and answers
// them (up to the grace period), closes idle keep-alive connections, then
// stops every thread. The destructor calls Shutdown(absl::ZeroDuration()) if
// it was not called.
#ifndef SMDP_SMDP_HTTP_GSMA_HTTP_SERVER_H_
#define SMDP_SMDP_HTTP_GSMA_HTTP_SERVER_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "hsm/crypto_provider.h"
#include "smdp/common/gsma_status.h"

namespace smdp::http {

// The path prefixes of the GSMA binding.
inline constexpr absl::string_view kEs9PlusPrefix = "/gsma/rsp2/es9plus/";
inline constexpr absl::string_view kEs2PlusPrefix = "/gsma/rsp2/es2plus/";

// The content type of every JSON answer.
inline constexpr absl::string_view kJsonContentType =
    "application/json;charset=UTF-8";

// One call as the transport received it.
struct HttpCall {
  // The request target ("/gsma/rsp2/es9plus/initiateAuthentication").
  std::string path;
  // Its last segment ("initiateAuthentication").
  std::string function;
  // The request body: a JSON object (checked by the transport).
  std::string body;
  // The request's X-Admin-Protocol ("gsma/rsp/v2.2.0").
  std::string admin_protocol;
  // "127.0.0.1:51234" or "[::1]:51234".
  std::string peer_address;
  // The client's TLS certificate (DER), when the client sent one and it was
  // verified against options.client_ca_files.
  std::optional<std::string> client_certificate_der;
  // Every request header, names lower-cased, in the order received.
  std::vector<std::pair<std::string, std::string>> headers;
};

// What a handler answers.
struct HttpAnswer {
  // 200 for every function execution (success or GSMA failure); 204 with an
  // empty body for HandleNotification.
  int status = 200;
  std::string body;
  // Ignored when the body is empty.
  std::string content_type = std::string(kJsonContentType);
};

// Runs on a worker thread; see the threading note above.
using HttpHandler = std::function<HttpAnswer(const HttpCall&)>;

// How the server checks client certificates (ES2+ mutual TLS).
enum class ClientCertificateMode {
  kNone,      // Never asks for one.
  kOptional,  // Asks; verifies one if sent; a call without one is served.
  kRequired,  // Asks; the handshake fails without a valid one.
};

// One TLS identity of a listener: CERT.DP.TLS (then intermediates) and its
// private key; the fields mean what GsmaHttpServerOptions' fields of the same
// names mean.
struct TlsIdentity {
  std::vector<std::string> certificate_chain_files;
  std::string private_key_file;
  std::shared_ptr<const hsm::SigningKey> private_key;
};

struct GsmaHttpServerOptions {
  // "host:port"; "[::1]:443" for IPv6. Port 0 picks a free port (see
  // GsmaHttpServer::port()). Default: loopback, ephemeral.
  std::string listen_address = "127.0.0.1:0";
  // Several TLS identities on this listener (e.g. the NIST and the
  // brainpool CERT.DP.TLS of one SM-DP+ address): each connection gets the
  // one internal/tls_identity_choice.h chooses from its client hello (SNI,
  // then the curves and signature algorithms the client offers, then this
  // order; the first is the fallback). When set, the three fields below
  // must be empty; errors name "tls_identities[i].<field>". Default: empty
  // (the single identity of the fields below).
  std::vector<TlsIdentity> tls_identities;
  // CERT.DP.TLS, then intermediates: PEM files (one or more certificates
  // each) or DER files (one certificate each), in order. Required.
  std::vector<std::string> certificate_chain_files;
  // The private key of CERT.DP.TLS, a PEM file (PKCS#8 or "EC PRIVATE KEY").
  // Default: empty. Exactly one of `private_key_file` and `private_key` is
  // set.
  std::string private_key_file;
  // The private key of CERT.DP.TLS as a CryptoProvider handle (e.g.
  // provider.LoadSigningKey("dptls-nist")); the server shares ownership and
  // signs handshakes with SignDigest(), so the key never leaves the provider.
  // Only ECDSA with SHA-256 is used: on P-256 that is what TLS 1.3 requires
  // and what the server prefers in TLS 1.2; a TLS 1.2 client that accepts no
  // SHA-256 ECDSA signature cannot connect. A brainpoolP256r1 key serves
  // TLS 1.2 to clients that offer that group (OpenSSL 3.0 has no TLS 1.3
  // brainpool scheme). Each handshake's signature blocks an io thread for
  // one HSM call. Default: null.
  std::shared_ptr<const hsm::SigningKey> private_key;
  // Client certificate verification; kNone by default (ES9+ has none).
  ClientCertificateMode client_certificate_mode = ClientCertificateMode::kNone;
  // Trust anchors for client certificates (PEM/DER files). Required unless
  // client_certificate_mode is kNone.
  std::vector<std::string> client_ca_files;

  // Asio threads. Default 2.
  int io_threads = 2;
  // Handler threads. Default 8.
  int worker_threads = 8;
  // Connections beyond this are closed right after accept. Default 10000.
  int max_connections = 10000;

  // Largest request body accepted; larger ones are answered 413. Requests
  // are small (the largest ES9+ request is a few KB); answers are not
  // limited. Default 1 MiB.
  size_t max_body_bytes = size_t{1} << 20;
  // Largest request header block. Default 16 KiB.
  size_t max_header_bytes = size_t{16} << 10;
  // Time allowed for the TLS handshake. Default 10 s.
  absl::Duration handshake_timeout = absl::Seconds(10);
  // Time allowed to receive one whole request, counted from the moment the
  // server starts waiting for it (so it also bounds keep-alive idleness).
  // Default 30 s.
  absl::Duration request_timeout = absl::Seconds(30);
  // Time allowed to send one answer. Default 60 s (a BPP can be MBs).
  absl::Duration write_timeout = absl::Seconds(60);

  // X-Admin-Protocol of answers to requests without a valid one.
  std::string admin_protocol = "gsma/rsp/v2.2.0";
};

// True for "gsma/rsp/v<major>.<minor>.<patch>" with major 2 or 3 and decimal
// numbers.
bool IsSupportedAdminProtocol(absl::string_view value);

// True for "application/json" with optional parameters, case-insensitive
// ("application/json;charset=UTF-8", "Application/JSON; charset=utf-8").
bool IsJsonContentType(absl::string_view value);

// True if `body` is exactly one JSON object (RFC 8259, surrounded by optional
// whitespace, nesting depth at most 64).
bool IsJsonObject(absl::string_view body);

// The standard GSMA failure body:
// {"header":{"functionExecutionStatus":{"status":"Failed","statusCodeData":
// {"subjectCode":"...","reasonCode":"...","message":"..."}}}}
// ("message" left out when empty; JSON-escaped).
std::string GsmaErrorBody(absl::string_view subject_code,
                          absl::string_view reason_code,
                          absl::string_view message);

// Same, with the codes of `error`; `message` defaults to the table's
// description.
std::string GsmaErrorBody(GsmaError error, absl::string_view message = {});

// An HTTP 200 answer carrying GsmaErrorBody(error, message).
HttpAnswer GsmaErrorAnswer(GsmaError error, absl::string_view message = {});

// The server. See the file comment.
class GsmaHttpServer {
 public:
  // Checks the options and loads the TLS identity (InvalidArgument naming the
  // field or file that is wrong). Does not listen yet.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<GsmaHttpServer>> Create(
      const GsmaHttpServerOptions& options);

  GsmaHttpServer(const GsmaHttpServer&) = delete;
  GsmaHttpServer& operator=(const GsmaHttpServer&) = delete;
  ~GsmaHttpServer();

  // Routes `path` (e.g. "/gsma/rsp2/es9plus/initiateAuthentication", exact
  // match, case-sensitive) to `handler`. Before Start() only.
  // AlreadyExists for a path registered twice; FailedPrecondition after
  // Start(); InvalidArgument for a path not starting with '/'.
  [[nodiscard]] absl::Status AddHandler(absl::string_view path,
                                        HttpHandler handler);

  // Binds, listens and starts the threads. Unavailable when the address
  // cannot be bound; InvalidArgument when it does not parse.
  [[nodiscard]] absl::Status Start();

  // The bound port (after Start()), 0 before.
  int port() const;

  // Stops serving; see the file comment. Idempotent.
  void Shutdown(absl::Duration grace);

 private:
  class Impl;
  explicit GsmaHttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace smdp::http

#endif  // SMDP_SMDP_HTTP_GSMA_HTTP_SERVER_H_
