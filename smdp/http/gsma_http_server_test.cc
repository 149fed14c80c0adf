#include "smdp/http/gsma_http_server.h"

#include <openssl/ssl.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "smdp/common/gsma_status.h"
#include "smdp/http/internal/test_tls_pki.h"

namespace smdp::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
using ErrorCode = boost::system::error_code;
using ::testing::HasSubstr;

constexpr char kFunctionPath[] = "/gsma/rsp2/es9plus/initiateAuthentication";

using internal::GetTestTlsPki;

std::string TmpDir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr ? dir : "/tmp";
}

// TLS client settings.
struct ClientTls {
  int min_version = TLS1_2_VERSION;
  int max_version = TLS1_3_VERSION;
  std::string tls12_ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256";
  // A client identity (PEM chain and key files), or none.
  std::string chain_file;
  std::string key_file;
};

// A blocking test client: one TLS connection to the server, verifying its
// chain against the test CI and the name "localhost".
class Client {
 public:
  explicit Client(int port, const ClientTls& tls = {})
      : ctx_(ssl::context::tls_client) {
    SSL_CTX* c = ctx_.native_handle();
    SSL_CTX_set_security_level(c, 0);  // Lets the client offer TLS 1.1.
    SSL_CTX_set_min_proto_version(c, tls.min_version);
    SSL_CTX_set_max_proto_version(c, tls.max_version);
    SSL_CTX_set_cipher_list(c, tls.tls12_ciphers.c_str());
    ErrorCode ec;
    ctx_.load_verify_file(GetTestTlsPki().ci_pem_file, ec);
    EXPECT_FALSE(ec) << ec.message();
    ctx_.set_verify_mode(ssl::verify_peer);
    if (!tls.chain_file.empty()) {
      ctx_.use_certificate_chain_file(tls.chain_file, ec);
      EXPECT_FALSE(ec) << ec.message();
      ctx_.use_private_key_file(tls.key_file, ssl::context::pem, ec);
      EXPECT_FALSE(ec) << ec.message();
    }
    stream_ = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(io_, ctx_);
    SSL_set1_host(stream_->native_handle(), "localhost");
    SSL_set_tlsext_host_name(stream_->native_handle(), "localhost");
    beast::get_lowest_layer(*stream_).expires_after(std::chrono::seconds(10));
    beast::get_lowest_layer(*stream_).socket().connect(
        tcp::endpoint(asio::ip::make_address("127.0.0.1"),
                      static_cast<unsigned short>(port)),
        connect_ec_);
  }

  ErrorCode connect_error() const { return connect_ec_; }

  // The TLS handshake; an error if the server refused it.
  ErrorCode Handshake() {
    if (connect_ec_) return connect_ec_;
    ErrorCode ec;
    stream_->handshake(ssl::stream_base::client, ec);
    return ec;
  }

  SSL* ssl() { return stream_->native_handle(); }

  // Sends `req` and reads the answer; the error of either step.
  ErrorCode Send(bhttp::request<bhttp::string_body> req,
                 bhttp::response<bhttp::string_body>& res) {
    ErrorCode ec;
    req.prepare_payload();
    bhttp::write(*stream_, req, ec);
    if (ec) return ec;
    return Read(res);
  }

  ErrorCode Read(bhttp::response<bhttp::string_body>& res) {
    ErrorCode ec;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(64 << 20);
    bhttp::read(*stream_, buffer_, parser, ec);
    if (!ec) res = parser.release();
    return ec;
  }

  ErrorCode WriteRaw(const std::string& bytes) {
    ErrorCode ec;
    asio::write(*stream_, asio::buffer(bytes), ec);
    return ec;
  }

  // Reads until the server closes; returns what was received and the error
  // that ended the read (eof, stream_truncated, ...).
  std::string ReadUntilClosed(ErrorCode& ec) {
    std::string out;
    char buf[4096];
    while (true) {
      const size_t n = stream_->read_some(asio::buffer(buf), ec);
      out.append(buf, n);
      if (ec) return out;
    }
  }

 private:
  asio::io_context io_;
  ssl::context ctx_;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> stream_;
  beast::flat_buffer buffer_;
  ErrorCode connect_ec_;
};

bhttp::request<bhttp::string_body> JsonPost(
    std::string body, std::string path = kFunctionPath,
    std::string admin_protocol = "gsma/rsp/v2.2.0",
    std::string content_type = "application/json") {
  bhttp::request<bhttp::string_body> req(bhttp::verb::post, path, 11);
  req.set(bhttp::field::host, "localhost");
  req.set(bhttp::field::user_agent, "gsma-rsp-lpad");
  if (!admin_protocol.empty()) req.set("X-Admin-Protocol", admin_protocol);
  if (!content_type.empty()) req.set(bhttp::field::content_type, content_type);
  req.body() = std::move(body);
  return req;
}

std::string Header(const bhttp::response<bhttp::string_body>& res,
                   std::string_view name) {
  return std::string(res[name]);
}

GsmaHttpServerOptions BaseOptions() {
  GsmaHttpServerOptions options;
  options.listen_address = "127.0.0.1:0";
  options.certificate_chain_files = {GetTestTlsPki().server_chain_file};
  options.private_key_file = GetTestTlsPki().server_key_file;
  options.io_threads = 2;
  options.worker_threads = 4;
  return options;
}

// An echo handler: answers {"function":..., "body":<the request>}.
HttpAnswer Echo(const HttpCall& call) {
  HttpAnswer answer;
  answer.body = absl::StrCat("{\"function\":\"", call.function,
                             "\",\"body\":", call.body, "}");
  return answer;
}

class ServerTest : public ::testing::Test {
 protected:
  void StartServer(GsmaHttpServerOptions options = BaseOptions()) {
    auto server = GsmaHttpServer::Create(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    ASSERT_TRUE(server_->AddHandler(kFunctionPath, Echo).ok());
    ASSERT_TRUE(server_
                    ->AddHandler("/gsma/rsp2/es9plus/handleNotification",
                                 [](const HttpCall&) {
                                   return HttpAnswer{204, "", ""};
                                 })
                    .ok());
    ASSERT_TRUE(server_
                    ->AddHandler("/gsma/rsp2/es9plus/throws",
                                 [](const HttpCall&) -> HttpAnswer {
                                   throw std::runtime_error("boom");
                                 })
                    .ok());
    ASSERT_TRUE(server_->Start().ok());
    ASSERT_GT(server_->port(), 0);
  }

  // One request on a fresh connection.
  bhttp::response<bhttp::string_body> Call(
      bhttp::request<bhttp::string_body> req) {
    Client client(server_->port());
    EXPECT_FALSE(client.Handshake());
    bhttp::response<bhttp::string_body> res;
    const ErrorCode ec = client.Send(std::move(req), res);
    EXPECT_FALSE(ec) << ec.message();
    return res;
  }

  std::unique_ptr<GsmaHttpServer> server_;
};

// ---- Pure helpers. ----

TEST(AdminProtocolTest, AcceptsV2AndV3Only) {
  for (const char* ok :
       {"gsma/rsp/v2.2.0", "gsma/rsp/v2.2.2", "gsma/rsp/v2.5.0",
        "gsma/rsp/v3.1.0", "gsma/rsp/v2.10.12"}) {
    EXPECT_TRUE(IsSupportedAdminProtocol(ok)) << ok;
  }
  for (const char* bad :
       {"", "gsma/rsp/v1.0.0", "gsma/rsp/v4.0.0", "gsma/rsp/v2.2",
        "gsma/rsp/v2.2.0.1", "gsma/rsp/2.2.0", "GSMA/RSP/V2.2.0",
        "gsma/rsp/v2.x.0", "gsma/rsp/v2..0", " gsma/rsp/v2.2.0"}) {
    EXPECT_FALSE(IsSupportedAdminProtocol(bad)) << bad;
  }
}

TEST(ContentTypeTest, JsonWithOrWithoutCharset) {
  EXPECT_TRUE(IsJsonContentType("application/json"));
  EXPECT_TRUE(IsJsonContentType("application/json;charset=UTF-8"));
  EXPECT_TRUE(IsJsonContentType("Application/JSON; charset=utf-8"));
  EXPECT_FALSE(IsJsonContentType(""));
  EXPECT_FALSE(IsJsonContentType("text/plain"));
  EXPECT_FALSE(IsJsonContentType("application/jsonx"));
  EXPECT_FALSE(IsJsonContentType("application/x-www-form-urlencoded"));
}

TEST(JsonObjectTest, OnlyOneObject) {
  EXPECT_TRUE(IsJsonObject("{}"));
  EXPECT_TRUE(
      IsJsonObject(" {\"a\":[1,-2.5e+3,true,false,null,\"x\\u00e9\"],"
                   "\"b\":{\"c\":\"\\\"\"}}\n"));
  EXPECT_FALSE(IsJsonObject(""));
  EXPECT_FALSE(IsJsonObject("[]"));
  EXPECT_FALSE(IsJsonObject("\"x\""));
  EXPECT_FALSE(IsJsonObject("{"));
  EXPECT_FALSE(IsJsonObject("{}{}"));
  EXPECT_FALSE(IsJsonObject("{\"a\":}"));
  EXPECT_FALSE(IsJsonObject("{\"a\":01}"));
  EXPECT_FALSE(IsJsonObject("{\"a\":1,}"));
  EXPECT_FALSE(IsJsonObject("{a:1}"));
  EXPECT_FALSE(IsJsonObject("{\"a\":\"\x01\"}"));
  EXPECT_FALSE(IsJsonObject("{\"a\":\"\\x\"}"));
  EXPECT_FALSE(IsJsonObject("{\"a\":tru}"));
  // Depth limit: 64 levels pass, 65 do not; a deep input never overflows.
  auto nested = [](int n) {
    std::string s = "{\"a\":";
    for (int i = 1; i < n; ++i) s += "[";
    s += "1";
    for (int i = 1; i < n; ++i) s += "]";
    return s + "}";
  };
  EXPECT_TRUE(IsJsonObject(nested(64)));
  EXPECT_FALSE(IsJsonObject(nested(65)));
  EXPECT_FALSE(IsJsonObject(std::string(100000, '[')));
}

TEST(GsmaErrorBodyTest, StandardShapeAndEscaping) {
  EXPECT_EQ(GsmaErrorBody("8.10.1", "3.9", "no \"such\"\nsession"),
            "{\"header\":{\"functionExecutionStatus\":{\"status\":\"Failed\","
            "\"statusCodeData\":{\"subjectCode\":\"8.10.1\",\"reasonCode\":"
            "\"3.9\",\"message\":\"no \\\"such\\\"\\nsession\"}}}}");
  EXPECT_EQ(GsmaErrorBody("8.1", "6.1", ""),
            "{\"header\":{\"functionExecutionStatus\":{\"status\":\"Failed\","
            "\"statusCodeData\":{\"subjectCode\":\"8.1\",\"reasonCode\":"
            "\"6.1\"}}}}");
  const HttpAnswer answer = GsmaErrorAnswer(GsmaError::kUnknownTransactionId);
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(answer.content_type, "application/json;charset=UTF-8");
  EXPECT_THAT(answer.body, HasSubstr("\"subjectCode\":\"8.10.1\""));
  EXPECT_TRUE(IsJsonObject(answer.body));
}

// ---- Create / Start. ----

TEST(CreateTest, RejectsBadOptions) {
  GsmaHttpServerOptions options = BaseOptions();
  options.private_key_file = GetTestTlsPki().other_key_file;
  EXPECT_EQ(GsmaHttpServer::Create(options).status().code(),
            absl::StatusCode::kInvalidArgument);
  options = BaseOptions();
  options.private_key_file = TmpDir() + "/missing.pem";
  EXPECT_EQ(GsmaHttpServer::Create(options).status().code(),
            absl::StatusCode::kInvalidArgument);
  options = BaseOptions();
  options.certificate_chain_files = {GetTestTlsPki().server_key_file};
  EXPECT_EQ(GsmaHttpServer::Create(options).status().code(),
            absl::StatusCode::kInvalidArgument);
  options = BaseOptions();
  options.client_certificate_mode = ClientCertificateMode::kRequired;
  EXPECT_EQ(GsmaHttpServer::Create(options).status().code(),
            absl::StatusCode::kInvalidArgument);
  options = BaseOptions();
  options.listen_address = "127.0.0.1";
  auto server = GsmaHttpServer::Create(options);
  ASSERT_TRUE(server.ok());
  EXPECT_EQ((*server)->Start().code(), absl::StatusCode::kInvalidArgument);
}

TEST(CreateTest, DuplicateHandlerAndLateRegistration) {
  auto server = GsmaHttpServer::Create(BaseOptions());
  ASSERT_TRUE(server.ok());
  EXPECT_TRUE((*server)->AddHandler(kFunctionPath, Echo).ok());
  EXPECT_EQ((*server)->AddHandler(kFunctionPath, Echo).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ((*server)->AddHandler("nope", Echo).code(),
            absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE((*server)->Start().ok());
  EXPECT_EQ((*server)->AddHandler("/x", Echo).code(),
            absl::StatusCode::kFailedPrecondition);
}

// ---- Round trips. ----

TEST_F(ServerTest, EchoRoundTrip) {
  StartServer();
  const auto res = Call(JsonPost("{\"smdpAddress\":\"localhost\"}",
                                 kFunctionPath, "gsma/rsp/v2.2.2"));
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(res.body(),
            "{\"function\":\"initiateAuthentication\",\"body\":"
            "{\"smdpAddress\":\"localhost\"}}");
  EXPECT_EQ(Header(res, "Content-Type"), "application/json;charset=UTF-8");
  EXPECT_EQ(Header(res, "X-Admin-Protocol"), "gsma/rsp/v2.2.2");
  EXPECT_EQ(Header(res, "Content-Length"), std::to_string(res.body().size()));
  EXPECT_TRUE(res.keep_alive());
}

TEST_F(ServerTest, HandlerSeesCallDetails) {
  GsmaHttpServerOptions options = BaseOptions();
  auto server = GsmaHttpServer::Create(options);
  ASSERT_TRUE(server.ok());
  server_ = std::move(*server);
  HttpCall seen;
  ASSERT_TRUE(server_
                  ->AddHandler("/gsma/rsp2/es2plus/downloadOrder",
                               [&seen](const HttpCall& call) {
                                 seen = call;
                                 return HttpAnswer{200, "{}"};
                               })
                  .ok());
  ASSERT_TRUE(server_->Start().ok());
  const auto res =
      Call(JsonPost("{\"header\":{}}", "/gsma/rsp2/es2plus/downloadOrder",
                    "gsma/rsp/v3.1.0", "application/json;charset=UTF-8"));
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(seen.path, "/gsma/rsp2/es2plus/downloadOrder");
  EXPECT_EQ(seen.function, "downloadOrder");
  EXPECT_EQ(seen.body, "{\"header\":{}}");
  EXPECT_EQ(seen.admin_protocol, "gsma/rsp/v3.1.0");
  EXPECT_THAT(seen.peer_address, HasSubstr("127.0.0.1:"));
  EXPECT_FALSE(seen.client_certificate_der.has_value());
  bool saw_user_agent = false;
  for (const auto& [name, value] : seen.headers) {
    if (name == "user-agent" && value == "gsma-rsp-lpad") saw_user_agent = true;
  }
  EXPECT_TRUE(saw_user_agent);
}

TEST_F(ServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  StartServer();
  Client client(server_->port());
  ASSERT_FALSE(client.Handshake());
  for (int i = 0; i < 5; ++i) {
    bhttp::response<bhttp::string_body> res;
    ASSERT_FALSE(client.Send(JsonPost(absl::StrCat("{\"i\":", i, "}")), res));
    EXPECT_EQ(res.result_int(), 200);
    EXPECT_THAT(res.body(), HasSubstr(absl::StrCat("{\"i\":", i, "}")));
    EXPECT_TRUE(res.keep_alive());
  }
  // A rejected request keeps the connection too.
  bhttp::response<bhttp::string_body> res;
  ASSERT_FALSE(client.Send(JsonPost("{}", "/nope"), res));
  EXPECT_EQ(res.result_int(), 404);
  ASSERT_FALSE(client.Send(JsonPost("{}"), res));
  EXPECT_EQ(res.result_int(), 200);
}

TEST_F(ServerTest, Expect100ContinueIsAnswered) {
  StartServer();
  Client client(server_->port());
  ASSERT_FALSE(client.Handshake());
  const std::string body = "{\"a\":1}";
  ASSERT_FALSE(client.WriteRaw(absl::StrCat(
      "POST ", kFunctionPath,
      " HTTP/1.1\r\nHost: localhost\r\nX-Admin-Protocol: gsma/rsp/v2.2.0\r\n"
      "Content-Type: application/json\r\nExpect: 100-continue\r\n"
      "Content-Length: ",
      body.size(), "\r\n\r\n")));
  bhttp::response<bhttp::string_body> interim;
  ASSERT_FALSE(client.Read(interim));
  EXPECT_EQ(interim.result_int(), 100);
  ASSERT_FALSE(client.WriteRaw(body));
  bhttp::response<bhttp::string_body> res;
  ASSERT_FALSE(client.Read(res));
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_THAT(res.body(), HasSubstr(body));
}

TEST_F(ServerTest, PipelinedRequestsAreAnsweredInOrder) {
  StartServer();
  Client client(server_->port());
  ASSERT_FALSE(client.Handshake());
  std::string both;
  for (int i = 0; i < 2; ++i) {
    const std::string body = absl::StrCat("{\"n\":", i, "}");
    absl::StrAppend(&both, "POST ", kFunctionPath,
                    " HTTP/1.1\r\nHost: localhost\r\n"
                    "X-Admin-Protocol: gsma/rsp/v2.2.0\r\n"
                    "Content-Type: application/json\r\nContent-Length: ",
                    body.size(), "\r\n\r\n", body);
  }
  ASSERT_FALSE(client.WriteRaw(both));
  for (int i = 0; i < 2; ++i) {
    bhttp::response<bhttp::string_body> res;
    ASSERT_FALSE(client.Read(res));
    EXPECT_EQ(res.result_int(), 200);
    EXPECT_THAT(res.body(), HasSubstr(absl::StrCat("{\"n\":", i, "}")));
  }
}

TEST_F(ServerTest, Http10WithoutKeepAliveCloses) {
  StartServer();
  Client client(server_->port());
  ASSERT_FALSE(client.Handshake());
  auto req = JsonPost("{}");
  req.version(10);
  bhttp::response<bhttp::string_body> res;
  ASSERT_FALSE(client.Send(req, res));
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_FALSE(res.keep_alive());
  ErrorCode ec;
  client.ReadUntilClosed(ec);
  EXPECT_TRUE(ec);
}

TEST_F(ServerTest, GarbageNeverCrashesTheServer) {
  StartServer();
  for (const std::string junk :
       {std::string("\x16\x03\x01\x00\x00garbage\r\n\r\n"),
        std::string(5000, '\0'), std::string("GET / HTTP/9.9\r\n\r\n"),
        std::string("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n"),
        std::string("POST / HTTP/1.1\r\nContent-Length: "
                    "99999999999999999999999\r\n\r\n"),
        std::string("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "zz\r\n")}) {
    Client client(server_->port());
    ASSERT_FALSE(client.Handshake());
    ASSERT_FALSE(client.WriteRaw(junk));
    ErrorCode ec;
    const std::string raw = client.ReadUntilClosed(ec);
    EXPECT_THAT(raw, ::testing::StartsWith("HTTP/1.1 4")) << junk;
  }
  // Still serving.
  EXPECT_EQ(Call(JsonPost("{}")).result_int(), 200);
}

TEST_F(ServerTest, ConnectionCloseIsHonoured) {
  StartServer();
  Client client(server_->port());
  ASSERT_FALSE(client.Handshake());
  auto req = JsonPost("{}");
  req.keep_alive(false);
  bhttp::response<bhttp::string_body> res;
  ASSERT_FALSE(client.Send(req, res));
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_FALSE(res.keep_alive());
  ErrorCode ec;
  EXPECT_EQ(client.ReadUntilClosed(ec), "");
  EXPECT_TRUE(ec);
}

TEST_F(ServerTest, HandleNotificationStyle204HasNoBody) {
  StartServer();
  const auto res = Call(JsonPost("{\"pendingNotification\":\"vwA=\"}",
                                 "/gsma/rsp2/es9plus/handleNotification"));
  EXPECT_EQ(res.result_int(), 204);
  EXPECT_EQ(res.body(), "");
  EXPECT_EQ(Header(res, "Content-Type"), "");
  EXPECT_EQ(Header(res, "X-Admin-Protocol"), "gsma/rsp/v2.2.0");
}

TEST_F(ServerTest, HandlerThatThrowsAnswers500) {
  StartServer();
  const auto res = Call(JsonPost("{}", "/gsma/rsp2/es9plus/throws"));
  EXPECT_EQ(res.result_int(), 500);
  EXPECT_EQ(res.body(), "");
}

// ---- Rejections by the transport. ----

TEST_F(ServerTest, MethodOtherThanPostIs405) {
  StartServer();
  auto req = JsonPost("");
  req.method(bhttp::verb::get);
  req.erase(bhttp::field::content_type);
  const auto res = Call(std::move(req));
  EXPECT_EQ(res.result_int(), 405);
  EXPECT_EQ(Header(res, "Allow"), "POST");
  EXPECT_EQ(res.body(), "");
}

TEST_F(ServerTest, UnknownPathIs404) {
  StartServer();
  EXPECT_EQ(Call(JsonPost("{}", "/gsma/rsp2/es9plus/nope")).result_int(), 404);
  EXPECT_EQ(Call(JsonPost("{}", "/")).result_int(), 404);
  EXPECT_EQ(Call(JsonPost("{}", "/gsma/rsp2/es9plus/")).result_int(), 404);
}

TEST_F(ServerTest, BadAdminProtocolIs400) {
  StartServer();
  auto res = Call(JsonPost("{}", kFunctionPath, ""));
  EXPECT_EQ(res.result_int(), 400);
  EXPECT_EQ(res.body(), "");
  EXPECT_EQ(Header(res, "X-Admin-Protocol"), "gsma/rsp/v2.2.0");
  EXPECT_EQ(Call(JsonPost("{}", kFunctionPath, "gsma/rsp/v1.0.0")).result_int(),
            400);
  EXPECT_EQ(Call(JsonPost("{}", kFunctionPath, "http/1.1")).result_int(), 400);
  // Every v2/v3 value is accepted and echoed.
  for (const char* v :
       {"gsma/rsp/v2.1.0", "gsma/rsp/v2.5.0", "gsma/rsp/v3.0.0"}) {
    res = Call(JsonPost("{}", kFunctionPath, v));
    EXPECT_EQ(res.result_int(), 200) << v;
    EXPECT_EQ(Header(res, "X-Admin-Protocol"), v);
  }
}

TEST_F(ServerTest, NonJsonContentTypeIs415) {
  StartServer();
  EXPECT_EQ(Call(JsonPost("{}", kFunctionPath, "gsma/rsp/v2.2.0", "text/plain"))
                .result_int(),
            415);
  EXPECT_EQ(
      Call(JsonPost("{}", kFunctionPath, "gsma/rsp/v2.2.0", "")).result_int(),
      415);
  EXPECT_EQ(Call(JsonPost("{}", kFunctionPath, "gsma/rsp/v2.2.0",
                          "APPLICATION/JSON; charset=utf-8"))
                .result_int(),
            200);
}

TEST_F(ServerTest, BodyThatIsNotAJsonObjectIsAGsmaFailure) {
  StartServer();
  for (const char* body : {"", "[]", "{\"a\":", "not json", "{} x"}) {
    const auto res = Call(JsonPost(body));
    EXPECT_EQ(res.result_int(), 200) << body;
    EXPECT_EQ(res.body(),
              "{\"header\":{\"functionExecutionStatus\":{\"status\":\"Failed\","
              "\"statusCodeData\":{\"subjectCode\":\"1.6\",\"reasonCode\":"
              "\"2.1\",\"message\":\"Function - Invalid: an input is not in "
              "the expected format\"}}}}")
        << body;
    EXPECT_EQ(Header(res, "Content-Type"), "application/json;charset=UTF-8");
  }
}

TEST_F(ServerTest, OversizeBodyIs413AndCloses) {
  GsmaHttpServerOptions options = BaseOptions();
  options.max_body_bytes = 1000;
  StartServer(options);
  // Just under the limit: served.
  EXPECT_EQ(
      Call(JsonPost("{\"a\":\"" + std::string(990, 'x') + "\"}")).result_int(),
      200);
  Client client(server_->port());
  ASSERT_FALSE(client.Handshake());
  bhttp::response<bhttp::string_body> res;
  ASSERT_FALSE(
      client.Send(JsonPost("{\"a\":\"" + std::string(2000, 'x') + "\"}"), res));
  EXPECT_EQ(res.result_int(), 413);
  EXPECT_FALSE(res.keep_alive());
  ErrorCode ec;
  client.ReadUntilClosed(ec);
  EXPECT_TRUE(ec);
}

TEST_F(ServerTest, MalformedHttpIs400AndCloses) {
  StartServer();
  Client client(server_->port());
  ASSERT_FALSE(client.Handshake());
  ASSERT_FALSE(client.WriteRaw("POST /x HTTP/1.1\r\nHost localhost\r\n\r\n"));
  ErrorCode ec;
  const std::string raw = client.ReadUntilClosed(ec);
  EXPECT_THAT(raw, ::testing::StartsWith("HTTP/1.1 400 Bad Request\r\n"));
  EXPECT_THAT(raw, HasSubstr("Connection: close\r\n"));
  EXPECT_TRUE(ec);
}

TEST_F(ServerTest, HugeHeaderIs400) {
  GsmaHttpServerOptions options = BaseOptions();
  options.max_header_bytes = 2048;
  StartServer(options);
  Client client(server_->port());
  ASSERT_FALSE(client.Handshake());
  auto req = JsonPost("{}");
  req.set("X-Filler", std::string(4096, 'a'));
  bhttp::response<bhttp::string_body> res;
  ASSERT_FALSE(client.Send(req, res));
  EXPECT_EQ(res.result_int(), 400);
  EXPECT_FALSE(res.keep_alive());
}

TEST_F(ServerTest, SlowClientIsDisconnected) {
  GsmaHttpServerOptions options = BaseOptions();
  options.request_timeout = absl::Milliseconds(300);
  StartServer(options);
  Client client(server_->port());
  ASSERT_FALSE(client.Handshake());
  ASSERT_FALSE(
      client.WriteRaw("POST /gsma/rsp2/es9plus/initiateAuthentication "
                      "HTTP/1.1\r\nHost: localhost\r\n"));
  const absl::Time start = absl::Now();
  ErrorCode ec;
  EXPECT_EQ(client.ReadUntilClosed(ec), "");  // No answer, just closed.
  EXPECT_TRUE(ec);
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));

  // An idle keep-alive connection is closed the same way.
  Client idle(server_->port());
  ASSERT_FALSE(idle.Handshake());
  idle.ReadUntilClosed(ec);
  EXPECT_TRUE(ec);
}

TEST_F(ServerTest, SlowHandshakeIsDisconnected) {
  GsmaHttpServerOptions options = BaseOptions();
  options.handshake_timeout = absl::Milliseconds(300);
  StartServer(options);
  asio::io_context io;
  tcp::socket socket(io);
  ErrorCode ec;
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"),
                               static_cast<unsigned short>(server_->port())),
                 ec);
  ASSERT_FALSE(ec);
  char buf[16];
  const absl::Time start = absl::Now();
  socket.read_some(asio::buffer(buf), ec);  // Sends nothing; waits for close.
  EXPECT_EQ(ec, asio::error::eof);
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
}

// ---- TLS. ----

TEST_F(ServerTest, Tls12WithEitherSgp22SuiteAndTls13Work) {
  StartServer();
  for (const char* suite :
       {"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES128-SHA256"}) {
    Client client(server_->port(), {.min_version = TLS1_2_VERSION,
                                    .max_version = TLS1_2_VERSION,
                                    .tls12_ciphers = suite});
    ASSERT_FALSE(client.Handshake()) << suite;
    EXPECT_STREQ(SSL_get_cipher_name(client.ssl()), suite);
    bhttp::response<bhttp::string_body> res;
    ASSERT_FALSE(client.Send(JsonPost("{}"), res));
    EXPECT_EQ(res.result_int(), 200);
  }
  Client client(server_->port(),
                {.min_version = TLS1_3_VERSION, .max_version = TLS1_3_VERSION});
  ASSERT_FALSE(client.Handshake());
  EXPECT_EQ(SSL_version(client.ssl()), TLS1_3_VERSION);
}

TEST_F(ServerTest, Tls11IsRefused) {
  StartServer();
  Client client(server_->port(), {.min_version = TLS1_VERSION,
                                  .max_version = TLS1_1_VERSION,
                                  .tls12_ciphers = "ALL:@SECLEVEL=0"});
  const ErrorCode ec = client.Handshake();
  // The server's alert, not a client-side configuration error.
  EXPECT_THAT(ec.message(), HasSubstr("protocol version")) << ec.message();
}

TEST_F(ServerTest, NonSgp22SuiteIsRefusedInTls12) {
  StartServer();
  for (const char* suite :
       {"ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-ECDSA-CHACHA20-POLY1305",
        "ECDHE-ECDSA-AES128-SHA", "ECDHE-RSA-AES128-GCM-SHA256"}) {
    Client client(server_->port(), {.min_version = TLS1_2_VERSION,
                                    .max_version = TLS1_2_VERSION,
                                    .tls12_ciphers = suite});
    const ErrorCode ec = client.Handshake();
    EXPECT_THAT(ec.message(), HasSubstr("handshake failure"))
        << suite << ": " << ec.message();
  }
}

TEST_F(ServerTest, ClientRejectsServerUnderAnotherName) {
  StartServer();
  Client client(server_->port());
  SSL_set1_host(client.ssl(), "smdp.example.com");
  EXPECT_TRUE(client.Handshake());
}

TEST_F(ServerTest, MutualTlsPassesTheClientCertificate) {
  GsmaHttpServerOptions options = BaseOptions();
  options.client_certificate_mode = ClientCertificateMode::kRequired;
  options.client_ca_files = {GetTestTlsPki().ci_pem_file};
  auto server = GsmaHttpServer::Create(options);
  ASSERT_TRUE(server.ok()) << server.status();
  server_ = std::move(*server);
  std::optional<std::string> seen_cert;
  ASSERT_TRUE(server_
                  ->AddHandler(kFunctionPath,
                               [&seen_cert](const HttpCall& call) {
                                 seen_cert = call.client_certificate_der;
                                 return HttpAnswer{200, "{}"};
                               })
                  .ok());
  ASSERT_TRUE(server_->Start().ok());

  Client with_cert(server_->port(),
                   {.chain_file = GetTestTlsPki().client_chain_file,
                    .key_file = GetTestTlsPki().client_key_file});
  ASSERT_FALSE(with_cert.Handshake());
  bhttp::response<bhttp::string_body> res;
  ASSERT_FALSE(with_cert.Send(JsonPost("{}"), res));
  EXPECT_EQ(res.result_int(), 200);
  ASSERT_TRUE(seen_cert.has_value());
  X509* peer = SSL_get_certificate(with_cert.ssl());  // The client's own.
  unsigned char* der = nullptr;
  const int len = i2d_X509(peer, &der);
  EXPECT_EQ(*seen_cert, std::string(reinterpret_cast<char*>(der), len));
  OPENSSL_free(der);

  // Without a certificate the handshake fails (TLS 1.2: at once; TLS 1.3:
  // the alert arrives with the first read).
  Client without(server_->port(), {.max_version = TLS1_2_VERSION});
  EXPECT_TRUE(without.Handshake());
}

// ---- Load and lifecycle. ----

TEST_F(ServerTest, HundredConcurrentConnections) {
  StartServer();
  constexpr int kClients = 100;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  absl::Notification go;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      Client client(server_->port());
      if (client.Handshake()) return;
      go.WaitForNotification();
      for (int j = 0; j < 3; ++j) {
        bhttp::response<bhttp::string_body> res;
        const std::string body = absl::StrCat("{\"c\":", i, ",\"r\":", j, "}");
        if (client.Send(JsonPost(body), res)) return;
        if (res.result_int() != 200 ||
            res.body().find(body) == std::string::npos) {
          return;
        }
      }
      ok.fetch_add(1);
    });
  }
  go.Notify();
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), kClients);
}

TEST_F(ServerTest, MaxConnectionsRefusesTheExtraOne) {
  GsmaHttpServerOptions options = BaseOptions();
  options.max_connections = 2;
  StartServer(options);
  Client a(server_->port());
  Client b(server_->port());
  ASSERT_FALSE(a.Handshake());
  ASSERT_FALSE(b.Handshake());
  Client c(server_->port());
  EXPECT_TRUE(c.Handshake());
}

TEST_F(ServerTest, ShutdownAnswersCallsInFlightThenStops) {
  auto server = GsmaHttpServer::Create(BaseOptions());
  ASSERT_TRUE(server.ok());
  server_ = std::move(*server);
  absl::Notification entered;
  absl::Notification release;
  ASSERT_TRUE(server_
                  ->AddHandler(kFunctionPath,
                               [&](const HttpCall& call) {
                                 entered.Notify();
                                 release.WaitForNotificationWithTimeout(
                                     absl::Seconds(10));
                                 return Echo(call);
                               })
                  .ok());
  ASSERT_TRUE(server_->Start().ok());
  const int port = server_->port();

  Client idle(port);  // An idle keep-alive connection: closed by Shutdown.
  ASSERT_FALSE(idle.Handshake());
  Client busy(port);
  ASSERT_FALSE(busy.Handshake());
  bhttp::response<bhttp::string_body> res;
  ErrorCode busy_ec;
  std::thread caller([&] { busy_ec = busy.Send(JsonPost("{\"x\":1}"), res); });
  ASSERT_TRUE(entered.WaitForNotificationWithTimeout(absl::Seconds(10)));
  std::thread stopper([&] { server_->Shutdown(absl::Seconds(10)); });
  absl::SleepFor(absl::Milliseconds(100));
  release.Notify();
  caller.join();
  stopper.join();
  EXPECT_FALSE(busy_ec) << busy_ec.message();
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_FALSE(res.keep_alive());
  ErrorCode ec;
  idle.ReadUntilClosed(ec);
  EXPECT_TRUE(ec);
  // Nothing listens any more.
  Client late(port);
  EXPECT_TRUE(late.Handshake());
  server_->Shutdown(absl::Seconds(1));  // Idempotent.
}

TEST_F(ServerTest, DestructorWithoutShutdownIsClean) {
  StartServer();
  Client client(server_->port());
  ASSERT_FALSE(client.Handshake());
  server_.reset();
}

}  // namespace
}  // namespace smdp::http
