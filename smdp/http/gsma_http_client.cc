#include "smdp/http/gsma_http_client.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <exception>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "smdp/http/internal/tls_files.h"
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

constexpr char kTls12Ciphers[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-SHA256";

struct ParsedUrl {
  std::string host;  // Without brackets.
  int port = 443;
  std::string target;
};

absl::StatusOr<ParsedUrl> ParseUrl(absl::string_view url) {
  constexpr absl::string_view kScheme = "https://";
  if (!absl::StartsWithIgnoreCase(url, kScheme)) {
    return absl::InvalidArgumentError(
        absl::StrCat("URL \"", url, "\" does not start with https://"));
  }
  absl::string_view rest = url.substr(kScheme.size());
  const size_t slash = rest.find('/');
  absl::string_view authority = rest.substr(0, slash);
  ParsedUrl out;
  out.target =
      slash == absl::string_view::npos ? "/" : std::string(rest.substr(slash));
  absl::string_view port;
  if (absl::StartsWith(authority, "[")) {
    const size_t close = authority.find(']');
    if (close == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("bad URL \"", url, "\""));
    }
    out.host = std::string(authority.substr(1, close - 1));
    absl::string_view after = authority.substr(close + 1);
    if (absl::StartsWith(after, ":")) port = after.substr(1);
  } else {
    const size_t colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != absl::string_view::npos) port = authority.substr(colon + 1);
  }
  if (!port.empty() && (!absl::SimpleAtoi(port, &out.port) || out.port < 1 ||
                        out.port > 65535)) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad port in \"", url, "\""));
  }
  if (out.host.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("no host in \"", url, "\""));
  }
  return out;
}

absl::string_view ToAbsl(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

}  // namespace

class GsmaHttpClient::Impl {
 public:
  explicit Impl(const GsmaHttpClientOptions& options)
      : options_(options), ctx_(ssl::context::tls_client) {}

  absl::Status Init() {
    SSL_CTX* c = ctx_.native_handle();
    if (SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION) != 1 ||
        SSL_CTX_set_cipher_list(c, kTls12Ciphers) != 1) {
      return OpensslError(absl::StatusCode::kInternal, "TLS parameters");
    }
    if (options_.trust_anchor_files.empty()) {
      return absl::InvalidArgumentError("trust_anchor_files is empty");
    }
    X509_STORE* store = SSL_CTX_get_cert_store(c);
    std::vector<X509Ptr> anchors;
    for (const std::string& file : options_.trust_anchor_files) {
      absl::StatusOr<std::vector<X509Ptr>> certs =
          internal::LoadCertificates(file);
      if (!certs.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("trust_anchor_files: ", certs.status().message()));
      }
      for (X509Ptr& cert : *certs) {
        if (X509_STORE_add_cert(store, cert.get()) != 1) {
          return OpensslError(absl::StatusCode::kInvalidArgument,
                              "trust_anchor_files");
        }
        anchors.push_back(std::move(cert));
      }
    }
    // A brainpool CI's CERT.DP.TLS needs the curve offered.
    if (const std::string groups =
            internal::ClientGroupsForTrustAnchors(anchors);
        !groups.empty() && SSL_CTX_set1_groups_list(c, groups.c_str()) != 1) {
      return OpensslError(absl::StatusCode::kInternal, "TLS groups");
    }
    SSL_CTX_set_verify(c, SSL_VERIFY_PEER, nullptr);
    const bool has_chain = !options_.client_certificate_chain_files.empty();
    const bool has_key = !options_.client_private_key_file.empty();
    if (has_chain != has_key) {
      return absl::InvalidArgumentError(
          "client_certificate_chain_files and client_private_key_file go "
          "together");
    }
    if (has_chain) {
      std::vector<X509Ptr> chain;
      for (const std::string& file : options_.client_certificate_chain_files) {
        absl::StatusOr<std::vector<X509Ptr>> certs =
            internal::LoadCertificates(file);
        if (!certs.ok()) {
          return absl::InvalidArgumentError(absl::StrCat(
              "client_certificate_chain_files: ", certs.status().message()));
        }
        for (X509Ptr& cert : *certs) chain.push_back(std::move(cert));
      }
      absl::StatusOr<EvpPkeyPtr> key =
          internal::LoadPrivateKeyPem(options_.client_private_key_file);
      if (!key.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("client_private_key_file: ", key.status().message()));
      }
      if (SSL_CTX_use_certificate(c, chain[0].get()) != 1 ||
          SSL_CTX_use_PrivateKey(c, key->get()) != 1 ||
          SSL_CTX_check_private_key(c) != 1) {
        return OpensslError(absl::StatusCode::kInvalidArgument,
                            "client certificate and key do not match");
      }
      for (size_t i = 1; i < chain.size(); ++i) {
        if (SSL_CTX_add1_chain_cert(c, chain[i].get()) != 1) {
          return OpensslError(absl::StatusCode::kInvalidArgument,
                              "client_certificate_chain_files");
        }
      }
    }
    ERR_clear_error();
    return absl::OkStatus();
  }

  absl::StatusOr<GsmaHttpResponse> Post(absl::string_view url,
                                        absl::string_view body) {
    ASSIGN_OR_RETURN(ParsedUrl parsed, ParseUrl(url));
    const bool same_peer =
        stream_ != nullptr && parsed.host == host_ && parsed.port == port_;
    if (!same_peer) Close();
    const bool reused = stream_ != nullptr;
    if (!reused) RETURN_IF_ERROR(Connect(parsed));
    bool got_bytes = false;
    absl::StatusOr<GsmaHttpResponse> res = Exchange(parsed, body, got_bytes);
    if (!res.ok() && reused && !got_bytes) {
      // The server closed the idle keep-alive connection: one new try.
      Close();
      RETURN_IF_ERROR(Connect(parsed));
      res = Exchange(parsed, body, got_bytes);
    }
    if (!res.ok()) Close();
    return res;
  }

  void Close() {
    if (stream_ != nullptr) {
      ErrorCode ignored;
      beast::get_lowest_layer(*stream_).socket().shutdown(
          tcp::socket::shutdown_both, ignored);
      beast::get_lowest_layer(*stream_).close();
    }
    stream_.reset();
    buffer_.clear();
    host_.clear();
    port_ = 0;
  }

 private:
  // Runs the io_context until the operations started before it complete.
  void Run() {
    io_.restart();
    io_.run();
  }

  static absl::Status NetError(absl::string_view step, const ErrorCode& ec) {
    if (ec == beast::error::timeout) {
      return absl::DeadlineExceededError(absl::StrCat(step, ": timeout"));
    }
    return absl::UnavailableError(absl::StrCat(step, ": ", ec.message()));
  }

  absl::Status Connect(const ParsedUrl& url) {
    stream_ = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(io_, ctx_);
    buffer_.clear();
    SSL* ssl_handle = stream_->native_handle();
    const std::string& name =
        options_.server_name.empty() ? url.host : options_.server_name;
    ErrorCode ip_ec;
    asio::ip::make_address(name, ip_ec);
    if (ip_ec) {
      // A DNS name: SNI and name check.
      SSL_set_tlsext_host_name(ssl_handle, name.c_str());
      SSL_set1_host(ssl_handle, name.c_str());
    } else {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_handle), name.c_str());
    }
    if (options_.verify_time.has_value()) {
      X509_VERIFY_PARAM_set_time(SSL_get0_param(ssl_handle),
                                 absl::ToTimeT(*options_.verify_time));
    }
    auto& tcp_stream = beast::get_lowest_layer(*stream_);
    tcp_stream.expires_after(
        absl::ToChronoNanoseconds(options_.connect_timeout));

    ErrorCode ec;
    tcp::resolver resolver(io_);
    tcp::resolver::results_type endpoints;
    resolver.async_resolve(url.host, std::to_string(url.port),
                           [&](ErrorCode e, tcp::resolver::results_type r) {
                             ec = e;
                             endpoints = std::move(r);
                           });
    Run();
    if (ec) {
      Close();
      return NetError(absl::StrCat("resolve ", url.host), ec);
    }
    tcp_stream.async_connect(
        endpoints, [&](ErrorCode e, const tcp::endpoint&) { ec = e; });
    Run();
    if (ec) {
      Close();
      return NetError(absl::StrCat("connect ", url.host, ":", url.port), ec);
    }
    stream_->async_handshake(ssl::stream_base::client,
                             [&](ErrorCode e) { ec = e; });
    Run();
    if (ec) {
      const long verify = SSL_get_verify_result(ssl_handle);
      std::string what = ec.message();
      if (verify != X509_V_OK) {
        what = absl::StrCat("server certificate: ",
                            X509_verify_cert_error_string(verify));
      }
      Close();
      ERR_clear_error();
      return ec == beast::error::timeout
                 ? absl::DeadlineExceededError("TLS handshake: timeout")
                 : absl::UnavailableError(absl::StrCat("TLS handshake with ",
                                                       url.host, ": ", what));
    }
    host_ = url.host;
    port_ = url.port;
    return absl::OkStatus();
  }

  absl::StatusOr<GsmaHttpResponse> Exchange(const ParsedUrl& url,
                                            absl::string_view body,
                                            bool& got_bytes) {
    got_bytes = false;
    bhttp::request<bhttp::string_body> req(bhttp::verb::post, url.target, 11);
    req.set(bhttp::field::host,
            url.port == 443 ? url.host : absl::StrCat(url.host, ":", url.port));
    req.set(bhttp::field::user_agent, options_.user_agent);
    req.set("X-Admin-Protocol", options_.admin_protocol);
    req.set(bhttp::field::content_type, "application/json");
    req.body() = std::string(body);
    req.keep_alive(true);
    req.prepare_payload();

    auto& tcp_stream = beast::get_lowest_layer(*stream_);
    tcp_stream.expires_after(
        absl::ToChronoNanoseconds(options_.request_timeout));
    ErrorCode ec;
    bhttp::async_write(*stream_, req,
                       [&](ErrorCode e, std::size_t) { ec = e; });
    Run();
    if (ec) return NetError("write", ec);

    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(options_.max_response_bytes);
    const size_t buffered_before = buffer_.size();
    bhttp::async_read(*stream_, buffer_, parser,
                      [&](ErrorCode e, std::size_t) { ec = e; });
    Run();
    got_bytes = parser.got_some() || buffer_.size() > buffered_before;
    if (ec) return NetError("read", ec);

    bhttp::response<bhttp::string_body> res = parser.release();
    GsmaHttpResponse out;
    out.status = static_cast<int>(res.result_int());
    out.content_type = std::string(ToAbsl(res[bhttp::field::content_type]));
    out.admin_protocol = std::string(ToAbsl(res["X-Admin-Protocol"]));
    out.body = std::move(res.body());
    if (!res.keep_alive()) Close();
    return out;
  }

  const GsmaHttpClientOptions options_;
  asio::io_context io_;
  ssl::context ctx_;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> stream_;
  beast::flat_buffer buffer_;
  std::string host_;
  int port_ = 0;
};

GsmaHttpClient::GsmaHttpClient(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}

GsmaHttpClient::~GsmaHttpClient() = default;

absl::StatusOr<std::unique_ptr<GsmaHttpClient>> GsmaHttpClient::Create(
    const GsmaHttpClientOptions& options) {
  std::unique_ptr<Impl> impl;
  try {
    impl = std::make_unique<Impl>(options);
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("TLS context: ", e.what()));
  }
  RETURN_IF_ERROR(impl->Init());
  return std::unique_ptr<GsmaHttpClient>(new GsmaHttpClient(std::move(impl)));
}

absl::StatusOr<GsmaHttpResponse> GsmaHttpClient::Post(
    absl::string_view url, absl::string_view json_body) {
  try {
    return impl_->Post(url, json_body);
  } catch (const std::exception& e) {
    impl_->Close();
    return absl::InternalError(absl::StrCat("http client: ", e.what()));
  }
}

void GsmaHttpClient::Close() { impl_->Close(); }

}  // namespace smdp::http
