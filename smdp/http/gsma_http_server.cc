#include "smdp/http/gsma_http_server.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <atomic>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <future>
#include <mutex>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "hsm/openssl_key.h"
#include "smdp/http/internal/tls_files.h"
#include "smdp/http/internal/tls_identity_choice.h"
#include "util/log.h"
#include "util/ssl_ptr.h"
#include "util/status_macros.h"

namespace smdp::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
using ErrorCode = boost::system::error_code;

// The SGP.22 TLS 1.2 suites (TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
// TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256), in OpenSSL's names.
constexpr char kTls12Ciphers[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-SHA256";
constexpr char kTls13Ciphersuites[] =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:"
    "TLS_CHACHA20_POLY1305_SHA256";
// Key exchange groups, ours first (server preference). brainpoolP256r1 is
// for TLS 1.2 clients that offer nothing else (OpenSSL 3.0 has no TLS 1.3
// brainpool group).
constexpr char kGroups[] = "X25519:P-256:P-384:brainpoolP256r1";
constexpr int kMaxJsonDepth = 64;

absl::string_view ToAbsl(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

std::chrono::steady_clock::duration ToChrono(absl::Duration d) {
  return absl::ToChronoNanoseconds(d);
}

// ---- JSON syntax check (RFC 8259), no values are built. ----

class JsonChecker {
 public:
  explicit JsonChecker(absl::string_view text) : s_(text) {}

  bool IsObject() {
    SkipWs();
    if (pos_ >= s_.size() || s_[pos_] != '{') return false;
    if (!Value(0)) return false;
    SkipWs();
    return pos_ == s_.size();
  }

 private:
  void SkipWs() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' ||
                                s_[pos_] == '\n' || s_[pos_] == '\r')) {
      ++pos_;
    }
  }
  bool Consume(char c) {
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool Literal(absl::string_view word) {
    if (s_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }
  bool Value(int depth) {
    SkipWs();
    if (pos_ >= s_.size()) return false;
    switch (s_[pos_]) {
      case '{':
        return Object(depth + 1);
      case '[':
        return Array(depth + 1);
      case '"':
        return String();
      case 't':
        return Literal("true");
      case 'f':
        return Literal("false");
      case 'n':
        return Literal("null");
      default:
        return Number();
    }
  }
  bool Object(int depth) {
    if (depth > kMaxJsonDepth) return false;
    ++pos_;  // '{'
    SkipWs();
    if (Consume('}')) return true;
    while (true) {
      SkipWs();
      if (pos_ >= s_.size() || s_[pos_] != '"' || !String()) return false;
      SkipWs();
      if (!Consume(':')) return false;
      if (!Value(depth)) return false;
      SkipWs();
      if (Consume('}')) return true;
      if (!Consume(',')) return false;
    }
  }
  bool Array(int depth) {
    if (depth > kMaxJsonDepth) return false;
    ++pos_;  // '['
    SkipWs();
    if (Consume(']')) return true;
    while (true) {
      if (!Value(depth)) return false;
      SkipWs();
      if (Consume(']')) return true;
      if (!Consume(',')) return false;
    }
  }
  static bool IsHex(char c) { return absl::ascii_isxdigit(c); }
  bool String() {
    ++pos_;  // '"'
    while (pos_ < s_.size()) {
      const unsigned char c = static_cast<unsigned char>(s_[pos_++]);
      if (c == '"') return true;
      if (c < 0x20) return false;
      if (c == '\\') {
        if (pos_ >= s_.size()) return false;
        const char e = s_[pos_++];
        if (e == 'u') {
          if (pos_ + 4 > s_.size()) return false;
          for (int i = 0; i < 4; ++i) {
            if (!IsHex(s_[pos_ + i])) return false;
          }
          pos_ += 4;
        } else if (!absl::StrContains("\"\\/bfnrt", e)) {
          return false;
        }
      }
    }
    return false;
  }
  bool Digits() {
    const size_t start = pos_;
    while (pos_ < s_.size() && absl::ascii_isdigit(s_[pos_])) ++pos_;
    return pos_ > start;
  }
  bool Number() {
    Consume('-');
    if (Consume('0')) {
      // No leading zeros.
    } else if (!Digits()) {
      return false;
    }
    if (Consume('.') && !Digits()) return false;
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      ++pos_;
      if (!Consume('+')) Consume('-');
      if (!Digits()) return false;
    }
    return true;
  }

  absl::string_view s_;
  size_t pos_ = 0;
};

void AppendJsonString(std::string& out, absl::string_view s) {
  out.push_back('"');
  for (const char ch : s) {
    const unsigned char c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          absl::StrAppend(&out, "\\u00", absl::Hex(c, absl::kZeroPad2));
        } else {
          out.push_back(ch);
        }
    }
  }
  out.push_back('"');
}

// ---- TLS identity loading. ----

// The identities of `options` with the prefix their errors carry: the
// legacy fields as "" or tls_identities[i] as "tls_identities[i].".
absl::StatusOr<std::vector<std::pair<std::string, TlsIdentity>>> Identities(
    const GsmaHttpServerOptions& options) {
  std::vector<std::pair<std::string, TlsIdentity>> out;
  if (options.tls_identities.empty()) {
    out.emplace_back(
        "", TlsIdentity{options.certificate_chain_files,
                        options.private_key_file, options.private_key});
    return out;
  }
  if (!options.certificate_chain_files.empty() ||
      !options.private_key_file.empty() || options.private_key != nullptr) {
    return absl::InvalidArgumentError(
        "tls_identities is set: certificate_chain_files, private_key_file "
        "and private_key must be empty");
  }
  for (size_t i = 0; i < options.tls_identities.size(); ++i) {
    out.emplace_back(absl::StrCat("tls_identities[", i, "]."),
                     options.tls_identities[i]);
  }
  return out;
}

// Protocol versions, suites, groups and client certificate checks: the same
// on every context of a listener.
absl::Status ConfigureTlsParameters(const GsmaHttpServerOptions& options,
                                    SSL_CTX* ctx) {
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(ctx, kTls12Ciphers) != 1 ||
      SSL_CTX_set_ciphersuites(ctx, kTls13Ciphersuites) != 1 ||
      SSL_CTX_set1_groups_list(ctx, kGroups) != 1) {
    return OpensslError(absl::StatusCode::kInternal, "TLS parameters");
  }
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                               SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);

  if (options.client_certificate_mode != ClientCertificateMode::kNone) {
    if (options.client_ca_files.empty()) {
      return absl::InvalidArgumentError(
          "client_ca_files is empty but client certificates are verified");
    }
    X509_STORE* store = SSL_CTX_get_cert_store(ctx);
    for (const std::string& file : options.client_ca_files) {
      absl::StatusOr<std::vector<X509Ptr>> certs =
          internal::LoadCertificates(file);
      if (!certs.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("client_ca_files: ", certs.status().message()));
      }
      for (X509Ptr& c : *certs) {
        if (X509_STORE_add_cert(store, c.get()) != 1 ||
            SSL_CTX_add_client_CA(ctx, c.get()) != 1) {
          return OpensslError(absl::StatusCode::kInvalidArgument,
                              "client_ca_files");
        }
      }
    }
    int mode = SSL_VERIFY_PEER;
    if (options.client_certificate_mode == ClientCertificateMode::kRequired) {
      mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    }
    SSL_CTX_set_verify(ctx, mode, nullptr);
  }
  ERR_clear_error();
  return absl::OkStatus();
}

// Puts `identity` (errors prefixed with `prefix`) into `ctx`; returns its
// traits for the per-connection choice.
absl::StatusOr<internal::IdentityTraits> ConfigureTlsIdentity(
    const std::string& prefix, const TlsIdentity& identity, SSL_CTX* ctx) {
  if (identity.certificate_chain_files.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(prefix, "certificate_chain_files is empty"));
  }
  std::vector<X509Ptr> chain;
  for (const std::string& file : identity.certificate_chain_files) {
    absl::StatusOr<std::vector<X509Ptr>> certs =
        internal::LoadCertificates(file);
    if (!certs.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          prefix, "certificate_chain_files: ", certs.status().message()));
    }
    for (X509Ptr& c : *certs) chain.push_back(std::move(c));
  }
  if (SSL_CTX_use_certificate(ctx, chain[0].get()) != 1) {
    return OpensslError(
        absl::StatusCode::kInvalidArgument,
        absl::StrCat(prefix,
                     "certificate_chain_files: leaf certificate refused"));
  }
  for (size_t i = 1; i < chain.size(); ++i) {
    if (SSL_CTX_add1_chain_cert(ctx, chain[i].get()) != 1) {
      return OpensslError(
          absl::StatusCode::kInvalidArgument,
          absl::StrCat(prefix, "certificate_chain_files: chain certificate"));
    }
  }

  if (identity.private_key_file.empty() == (identity.private_key == nullptr)) {
    return absl::InvalidArgumentError(
        absl::StrCat("exactly one of ", prefix, "private_key_file and ", prefix,
                     "private_key must be set"));
  }
  const std::string key_field = absl::StrCat(
      prefix,
      identity.private_key != nullptr ? "private_key" : "private_key_file");
  absl::StatusOr<EvpPkeyPtr> key =
      identity.private_key != nullptr
          ? hsm::MakeOpenSslSigningKey(identity.private_key)
          : internal::LoadPrivateKeyPem(identity.private_key_file);
  if (!key.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(key_field, ": ", key.status().message()));
  }
  // SSL_CTX_use_PrivateKey checks the key against the leaf's public key.
  if (SSL_CTX_use_PrivateKey(ctx, key->get()) != 1 ||
      SSL_CTX_check_private_key(ctx) != 1) {
    return OpensslError(
        absl::StatusCode::kInvalidArgument,
        absl::StrCat(key_field,
                     ": the key does not match the leaf certificate"));
  }
  ERR_clear_error();
  return internal::TraitsOf(chain[0].get());
}

absl::StatusOr<tcp::endpoint> ParseListenAddress(absl::string_view address) {
  const size_t colon = address.rfind(':');
  if (colon == absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("listen_address \"", address, "\" is not host:port"));
  }
  absl::string_view host = address.substr(0, colon);
  int port = 0;
  if (!absl::SimpleAtoi(address.substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("listen_address \"", address, "\": bad port"));
  }
  if (absl::StartsWith(host, "[") && absl::EndsWith(host, "]")) {
    host = host.substr(1, host.size() - 2);
  }
  if (host == "localhost") host = "127.0.0.1";
  if (host.empty()) host = "0.0.0.0";
  ErrorCode ec;
  const asio::ip::address ip = asio::ip::make_address(std::string(host), ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat("listen_address \"", address, "\": bad host"));
  }
  return tcp::endpoint(ip, static_cast<unsigned short>(port));
}

std::string EndpointToString(const tcp::endpoint& e) {
  if (e.address().is_v6()) {
    return absl::StrCat("[", e.address().to_string(), "]:", e.port());
  }
  return absl::StrCat(e.address().to_string(), ":", e.port());
}

}  // namespace

// ---- Public helpers. ----

bool IsSupportedAdminProtocol(absl::string_view value) {
  constexpr absl::string_view kPrefix = "gsma/rsp/v";
  if (!absl::StartsWith(value, kPrefix)) return false;
  std::vector<absl::string_view> parts =
      absl::StrSplit(value.substr(kPrefix.size()), '.');
  if (parts.size() != 3) return false;
  for (absl::string_view p : parts) {
    if (p.empty() || p.size() > 4) return false;
    for (char c : p) {
      if (!absl::ascii_isdigit(c)) return false;
    }
  }
  return parts[0] == "2" || parts[0] == "3";
}

bool IsJsonContentType(absl::string_view value) {
  absl::string_view media = value.substr(0, value.find(';'));
  media = absl::StripAsciiWhitespace(media);
  return absl::EqualsIgnoreCase(media, "application/json");
}

bool IsJsonObject(absl::string_view body) {
  return JsonChecker(body).IsObject();
}

std::string GsmaErrorBody(absl::string_view subject_code,
                          absl::string_view reason_code,
                          absl::string_view message) {
  std::string out =
      "{\"header\":{\"functionExecutionStatus\":{\"status\":\"Failed\","
      "\"statusCodeData\":{\"subjectCode\":";
  AppendJsonString(out, subject_code);
  out += ",\"reasonCode\":";
  AppendJsonString(out, reason_code);
  if (!message.empty()) {
    out += ",\"message\":";
    AppendJsonString(out, message);
  }
  out += "}}}}";
  return out;
}

std::string GsmaErrorBody(GsmaError error, absl::string_view message) {
  const GsmaCode& code = GetGsmaCode(error);
  return GsmaErrorBody(code.subject_code, code.reason_code,
                       message.empty() ? code.description : message);
}

HttpAnswer GsmaErrorAnswer(GsmaError error, absl::string_view message) {
  HttpAnswer answer;
  answer.body = GsmaErrorBody(error, message);
  return answer;
}

// ---- The server. ----

class GsmaHttpServer::Impl {
 public:
  class Session;

  explicit Impl(const GsmaHttpServerOptions& options)
      : options_(options),
        io_(std::make_unique<asio::io_context>(
            std::max(1, options.io_threads))) {}

  ~Impl() {
    Shutdown(absl::ZeroDuration());
    // Order matters: the acceptor and any session still queued in the
    // io_context go before the io_context; the TLS context outlives them.
    acceptor_.reset();
    io_.reset();
    workers_.reset();
  }

  // One TLS context per identity; the first is every connection's, and a
  // client hello callback switches a connection to another (SSL_set_SSL_CTX)
  // when the listener has several.
  absl::Status Init() {
    ASSIGN_OR_RETURN(auto identities, Identities(options_));
    for (const auto& [prefix, identity] : identities) {
      std::unique_ptr<ssl::context> ctx;
      try {
        ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
      } catch (const std::exception& e) {
        return absl::InternalError(absl::StrCat("TLS context: ", e.what()));
      }
      RETURN_IF_ERROR(ConfigureTlsParameters(options_, ctx->native_handle()));
      ASSIGN_OR_RETURN(
          internal::IdentityTraits traits,
          ConfigureTlsIdentity(prefix, identity, ctx->native_handle()));
      contexts_.push_back(std::move(ctx));
      traits_.push_back(std::move(traits));
    }
    if (contexts_.size() > 1) {
      SSL_CTX_set_client_hello_cb(contexts_[0]->native_handle(),
                                  &Impl::OnClientHello, this);
    }
    return absl::OkStatus();
  }

  // Chooses the connection's identity (internal/tls_identity_choice.h).
  static int OnClientHello(SSL* ssl, int* /*alert*/, void* arg) {
    Impl* self = static_cast<Impl*>(arg);
    const internal::IdentityChoice choice = internal::ChooseTlsIdentity(
        internal::ReadClientOffer(ssl), self->traits_);
    if (choice.index != 0 &&
        SSL_set_SSL_CTX(ssl, self->contexts_[choice.index]->native_handle()) ==
            nullptr) {
      ERR_clear_error();
      return SSL_CLIENT_HELLO_ERROR;
    }
    if (choice.cap_at_tls12 &&
        SSL_set_max_proto_version(ssl, TLS1_2_VERSION) != 1) {
      ERR_clear_error();
      return SSL_CLIENT_HELLO_ERROR;
    }
    return SSL_CLIENT_HELLO_SUCCESS;
  }

  absl::Status AddHandler(absl::string_view path, HttpHandler handler) {
    if (started_)
      return absl::FailedPreconditionError("server already started");
    if (!absl::StartsWith(path, "/")) {
      return absl::InvalidArgumentError(
          absl::StrCat("path \"", path, "\" does not start with '/'"));
    }
    if (!handler) return absl::InvalidArgumentError("empty handler");
    if (!handlers_.emplace(std::string(path), std::move(handler)).second) {
      return absl::AlreadyExistsError(
          absl::StrCat("a handler for \"", path, "\" already exists"));
    }
    return absl::OkStatus();
  }

  absl::Status Start();
  void Shutdown(absl::Duration grace);
  int port() const { return port_.load(); }

  const GsmaHttpServerOptions& options() const { return options_; }
  ssl::context& ssl_ctx() { return *contexts_[0]; }
  asio::thread_pool& workers() { return *workers_; }
  bool draining() const { return draining_.load(); }
  const HttpHandler* FindHandler(absl::string_view path) const {
    auto it = handlers_.find(path);
    return it == handlers_.end() ? nullptr : &it->second;
  }

  // Session bookkeeping; see Shutdown().
  bool Register(Session* s, std::weak_ptr<Session> weak) {
    std::lock_guard<std::mutex> lock(mu_);
    if (static_cast<int>(sessions_.size()) >= options_.max_connections) {
      return false;
    }
    sessions_.emplace(s, std::move(weak));
    return true;
  }
  void Unregister(Session* s) {
    std::lock_guard<std::mutex> lock(mu_);
    sessions_.erase(s);
    if (sessions_.empty()) drained_.notify_all();
  }

 private:
  void DoAccept();

  const GsmaHttpServerOptions options_;
  // The TLS contexts, one per identity, and the identities' traits.
  std::vector<std::unique_ptr<ssl::context>> contexts_;
  std::vector<internal::IdentityTraits> traits_;
  std::unique_ptr<asio::io_context> io_;
  std::optional<tcp::acceptor> acceptor_;
  std::unique_ptr<asio::thread_pool> workers_;
  std::vector<std::thread> io_threads_;
  absl::flat_hash_map<std::string, HttpHandler> handlers_;
  bool started_ = false;
  bool stopped_ = false;
  std::atomic<bool> draining_{false};
  std::atomic<int> port_{0};

  // std::mutex rather than absl::Mutex: Debian's Abseil is a shared library
  // ThreadSanitizer cannot see into, and this lock is the one the I/O threads
  // and Shutdown() share.
  std::mutex mu_;
  std::condition_variable drained_;
  // Live connections (guarded by mu_).
  absl::flat_hash_map<Session*, std::weak_ptr<Session>> sessions_;
};

// One TLS connection: handshake, then requests one at a time (HTTP/1.1
// without pipelining: the next request is read after the answer is written).
// Every method runs on the connection's strand, except the handler, which
// runs on a worker and posts its answer back.
class GsmaHttpServer::Impl::Session
    : public std::enable_shared_from_this<Session> {
 public:
  Session(Impl* server, tcp::socket socket, std::string peer)
      : server_(server),
        stream_(std::move(socket), server->ssl_ctx()),
        peer_(std::move(peer)) {}

  ~Session() { server_->Unregister(this); }

  void Start() {
    asio::dispatch(
        stream_.get_executor(),
        beast::bind_front_handler(&Session::DoHandshake, shared_from_this()));
  }

  // Closes the connection if it is waiting for a request or a handshake;
  // a connection busy with a call closes after its answer (draining()).
  void CloseIfIdle() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] {
      if (self->state_ == State::kHandshake ||
          self->state_ == State::kReading) {
        self->Tcp().cancel();
      }
    });
  }

 private:
  enum class State { kHandshake, kReading, kHandling, kWriting, kClosing };

  beast::tcp_stream& Tcp() { return beast::get_lowest_layer(stream_); }

  void DoHandshake() {
    state_ = State::kHandshake;
    Tcp().expires_after(ToChrono(server_->options().handshake_timeout));
    stream_.async_handshake(
        ssl::stream_base::server,
        beast::bind_front_handler(&Session::OnHandshake, shared_from_this()));
  }

  void OnHandshake(ErrorCode ec) {
    if (ec) {
      LogDebug("http: TLS handshake with ", peer_, " failed: ", ec.message());
      return;  // The socket closes with the last reference.
    }
    X509Ptr peer_cert(SSL_get1_peer_certificate(stream_.native_handle()));
    if (peer_cert != nullptr &&
        SSL_get_verify_result(stream_.native_handle()) == X509_V_OK) {
      unsigned char* der = nullptr;
      const int len = i2d_X509(peer_cert.get(), &der);
      if (len > 0) {
        client_cert_der_ = std::string(reinterpret_cast<char*>(der), len);
      }
      OPENSSL_free(der);
    }
    DoRead();
  }

  void DoRead() {
    if (server_->draining()) {
      DoClose();
      return;
    }
    state_ = State::kReading;
    parser_.emplace();
    parser_->header_limit(
        static_cast<std::uint32_t>(server_->options().max_header_bytes));
    parser_->body_limit(server_->options().max_body_bytes);
    Tcp().expires_after(ToChrono(server_->options().request_timeout));
    bhttp::async_read_header(
        stream_, buffer_, *parser_,
        beast::bind_front_handler(&Session::OnReadHeader, shared_from_this()));
  }

  // The header is in: answer "100 Continue" if the client waits for it
  // (curl does for larger POST bodies), then read the body.
  void OnReadHeader(ErrorCode ec, std::size_t) {
    if (ec || parser_->is_done()) {
      OnRead(ec, 0);
      return;
    }
    if (absl::EqualsIgnoreCase(ToAbsl(parser_->get()[bhttp::field::expect]),
                               "100-continue")) {
      continue_.emplace(bhttp::status::continue_, 11);
      bhttp::async_write(stream_, *continue_,
                         beast::bind_front_handler(&Session::OnContinueWritten,
                                                   shared_from_this()));
      return;
    }
    ReadBody();
  }

  void OnContinueWritten(ErrorCode ec, std::size_t) {
    continue_.reset();
    if (ec) {
      LogDebug("http: write to ", peer_, " failed: ", ec.message());
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    bhttp::async_read(
        stream_, buffer_, *parser_,
        beast::bind_front_handler(&Session::OnRead, shared_from_this()));
  }

  void OnRead(ErrorCode ec, std::size_t) {
    if (ec == bhttp::error::body_limit) {
      WriteEmpty(bhttp::status::payload_too_large, /*keep_alive=*/false);
      return;
    }
    if (ec == bhttp::error::end_of_stream ||
        ec == bhttp::error::partial_message || ec == beast::error::timeout ||
        ec == asio::error::operation_aborted || ec == asio::error::eof ||
        ec == ssl::error::stream_truncated) {
      if (ec == beast::error::timeout) {
        LogDebug("http: request timeout from ", peer_);
        return;  // tcp_stream closed the socket already.
      }
      DoClose();
      return;
    }
    if (ec && ec.category() ==
                  bhttp::make_error_code(bhttp::error::bad_method).category()) {
      // Malformed HTTP (or a header block over the limit).
      WriteEmpty(bhttp::status::bad_request, /*keep_alive=*/false);
      return;
    }
    if (ec) {
      LogDebug("http: read from ", peer_, " failed: ", ec.message());
      return;
    }
    Dispatch(parser_->release());
  }

  void Dispatch(bhttp::request<bhttp::string_body> request) {
    const bool keep_alive = request.keep_alive();
    const std::string target(request.target());
    const std::string path = target.substr(0, target.find('?'));
    const HttpHandler* handler = server_->FindHandler(path);
    if (handler == nullptr) {
      WriteEmpty(bhttp::status::not_found, keep_alive);
      return;
    }
    if (request.method() != bhttp::verb::post) {
      WriteEmpty(bhttp::status::method_not_allowed, keep_alive);
      return;
    }
    const std::string admin_protocol(request["X-Admin-Protocol"]);
    if (!IsSupportedAdminProtocol(admin_protocol)) {
      WriteEmpty(bhttp::status::bad_request, keep_alive);
      return;
    }
    admin_protocol_ = admin_protocol;
    if (!IsJsonContentType(ToAbsl(request[bhttp::field::content_type]))) {
      WriteEmpty(bhttp::status::unsupported_media_type, keep_alive);
      return;
    }
    if (!IsJsonObject(request.body())) {
      HttpAnswer answer = GsmaErrorAnswer(GsmaError::kMalformedRequest);
      Write(std::move(answer), keep_alive);
      return;
    }

    HttpCall call;
    call.path = path;
    call.function = path.substr(path.rfind('/') + 1);
    call.body = std::move(request.body());
    call.admin_protocol = admin_protocol;
    call.peer_address = peer_;
    call.client_certificate_der = client_cert_der_;
    for (const auto& field : request) {
      call.headers.emplace_back(
          absl::AsciiStrToLower(ToAbsl(field.name_string())),
          std::string(field.value()));
    }
    state_ = State::kHandling;
    asio::post(server_->workers(), [self = shared_from_this(), handler,
                                    call = std::move(call), keep_alive] {
      HttpAnswer answer;
      try {
        answer = (*handler)(call);
      } catch (const std::exception& e) {
        LogError("http: handler for ", call.path, " threw: ", e.what());
        answer = HttpAnswer{500, "", ""};
      } catch (...) {
        LogError("http: handler for ", call.path, " threw");
        answer = HttpAnswer{500, "", ""};
      }
      asio::post(self->stream_.get_executor(),
                 [self, answer = std::move(answer), keep_alive]() mutable {
                   self->Write(std::move(answer), keep_alive);
                 });
    });
  }

  void WriteEmpty(bhttp::status status, bool keep_alive) {
    HttpAnswer answer;
    answer.status = static_cast<int>(status);
    Write(std::move(answer), keep_alive);
  }

  void Write(HttpAnswer answer, bool keep_alive) {
    if (server_->draining()) keep_alive = false;
    state_ = State::kWriting;
    auto& res = response_.emplace();
    res.version(11);
    res.result(static_cast<unsigned>(answer.status));
    res.set(bhttp::field::server, "smdp");
    res.set("X-Admin-Protocol", admin_protocol_.empty()
                                    ? server_->options().admin_protocol
                                    : admin_protocol_);
    if (answer.status == 405) res.set(bhttp::field::allow, "POST");
    if (!answer.body.empty()) {
      res.set(bhttp::field::content_type, answer.content_type);
    }
    res.body() = std::move(answer.body);
    res.keep_alive(keep_alive);
    if (answer.status == 204 || answer.status == 304 || answer.status < 200) {
      res.body().clear();
    } else {
      res.content_length(res.body().size());
    }
    admin_protocol_.clear();
    Tcp().expires_after(ToChrono(server_->options().write_timeout));
    bhttp::async_write(stream_, res,
                       beast::bind_front_handler(
                           &Session::OnWrite, shared_from_this(), keep_alive));
  }

  void OnWrite(bool keep_alive, ErrorCode ec, std::size_t) {
    response_.reset();
    if (ec) {
      LogDebug("http: write to ", peer_, " failed: ", ec.message());
      return;
    }
    if (!keep_alive) {
      DoClose();
      return;
    }
    DoRead();
  }

  void DoClose() {
    if (state_ == State::kClosing) return;
    state_ = State::kClosing;
    // Sends close_notify and waits briefly for the peer's; either way the
    // socket is closed after that.
    Tcp().expires_after(std::chrono::milliseconds(500));
    stream_.async_shutdown([self = shared_from_this()](ErrorCode) {
      ErrorCode ignored;
      self->Tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
      self->Tcp().close();
    });
  }

  Impl* const server_;
  beast::ssl_stream<beast::tcp_stream> stream_;
  const std::string peer_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::optional<bhttp::response<bhttp::string_body>> response_;
  std::optional<bhttp::response<bhttp::empty_body>> continue_;
  std::optional<std::string> client_cert_der_;
  std::string admin_protocol_;
  State state_ = State::kHandshake;
};

absl::Status GsmaHttpServer::Impl::Start() {
  if (started_) return absl::FailedPreconditionError("already started");
  ASSIGN_OR_RETURN(tcp::endpoint endpoint,
                   ParseListenAddress(options_.listen_address));
  acceptor_.emplace(asio::make_strand(*io_));
  ErrorCode ec;
  acceptor_->open(endpoint.protocol(), ec);
  if (!ec) acceptor_->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_->bind(endpoint, ec);
  if (!ec) acceptor_->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::UnavailableError(absl::StrCat(
        "cannot listen on ", options_.listen_address, ": ", ec.message()));
  }
  const tcp::endpoint bound = acceptor_->local_endpoint(ec);
  if (ec) return absl::InternalError(ec.message());
  port_ = bound.port();
  started_ = true;

  workers_ = std::make_unique<asio::thread_pool>(
      static_cast<std::size_t>(std::max(1, options_.worker_threads)));
  DoAccept();
  for (int i = 0; i < std::max(1, options_.io_threads); ++i) {
    io_threads_.emplace_back([this] {
      while (true) {
        try {
          io_->run();
          return;
        } catch (const std::exception& e) {
          LogError("http: io thread: ", e.what());
        }
      }
    });
  }
  LogInfo("http: serving on ", EndpointToString(bound));
  return absl::OkStatus();
}

void GsmaHttpServer::Impl::DoAccept() {
  acceptor_->async_accept(
      asio::make_strand(*io_), [this](ErrorCode ec, tcp::socket socket) {
        if (ec == asio::error::operation_aborted || !acceptor_->is_open()) {
          return;
        }
        if (!ec) {
          ErrorCode peer_ec;
          const tcp::endpoint peer = socket.remote_endpoint(peer_ec);
          auto session = std::make_shared<Session>(
              this, std::move(socket),
              peer_ec ? std::string("unknown") : EndpointToString(peer));
          if (Register(session.get(), session)) {
            session->Start();
          } else {
            LogWarning("http: too many connections, refusing one");
            // ~Session closes the socket; Unregister of an absent key is a
            // no-op.
          }
        } else {
          LogWarning("http: accept failed: ", ec.message());
        }
        DoAccept();
      });
}

void GsmaHttpServer::Impl::Shutdown(absl::Duration grace) {
  if (!started_ || stopped_) {
    stopped_ = true;
    return;
  }
  stopped_ = true;
  draining_ = true;
  // Close the listening socket before returning (the io threads still run,
  // so the posted close runs promptly): no connection is accepted from now.
  std::promise<void> acceptor_closed;
  asio::post(acceptor_->get_executor(), [this, &acceptor_closed] {
    ErrorCode ignored;
    acceptor_->close(ignored);
    acceptor_closed.set_value();
  });
  acceptor_closed.get_future().wait();
  {
    std::vector<std::shared_ptr<Session>> live;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto& [ptr, weak] : sessions_) {
        if (auto s = weak.lock()) live.push_back(std::move(s));
      }
    }
    for (auto& s : live) s->CloseIfIdle();
  }
  {
    std::unique_lock<std::mutex> lock(mu_);
    drained_.wait_for(lock, absl::ToChronoNanoseconds(grace),
                      [this] { return sessions_.empty(); });
  }
  io_->stop();
  for (std::thread& t : io_threads_) t.join();
  io_threads_.clear();
  workers_->join();
  LogInfo("http: stopped");
}

GsmaHttpServer::GsmaHttpServer(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}

GsmaHttpServer::~GsmaHttpServer() = default;

absl::StatusOr<std::unique_ptr<GsmaHttpServer>> GsmaHttpServer::Create(
    const GsmaHttpServerOptions& options) {
  if (options.max_body_bytes == 0 || options.max_header_bytes == 0) {
    return absl::InvalidArgumentError("max_body_bytes/max_header_bytes is 0");
  }
  if (options.max_connections < 1) {
    return absl::InvalidArgumentError("max_connections < 1");
  }
  std::unique_ptr<Impl> impl;
  try {
    impl = std::make_unique<Impl>(options);
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("TLS context: ", e.what()));
  }
  RETURN_IF_ERROR(impl->Init());
  return std::unique_ptr<GsmaHttpServer>(new GsmaHttpServer(std::move(impl)));
}

absl::Status GsmaHttpServer::AddHandler(absl::string_view path,
                                        HttpHandler handler) {
  return impl_->AddHandler(path, std::move(handler));
}

absl::Status GsmaHttpServer::Start() {
  try {
    return impl_->Start();
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("http server start: ", e.what()));
  }
}

int GsmaHttpServer::port() const { return impl_->port(); }

void GsmaHttpServer::Shutdown(absl::Duration grace) { impl_->Shutdown(grace); }

}  // namespace smdp::http
