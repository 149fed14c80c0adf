#include "smdp/http/gsma_http_client.h"

#include <atomic>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "smdp/http/gsma_http_server.h"
#include "smdp/http/internal/test_tls_pki.h"

namespace smdp::http {
namespace {

using internal::GetTestTlsPki;
using ::testing::HasSubstr;

constexpr char kPath[] = "/gsma/rsp2/es9plus/initiateAuthentication";

class ClientTest : public ::testing::Test {
 protected:
  // Starts a server whose handler records the peer address and echoes the
  // body; `configure` may change the options first.
  void StartServer(
      std::function<void(GsmaHttpServerOptions&)> configure = nullptr,
      HttpHandler handler = nullptr) {
    GsmaHttpServerOptions options;
    options.certificate_chain_files = {GetTestTlsPki().server_chain_file};
    options.private_key_file = GetTestTlsPki().server_key_file;
    if (configure) configure(options);
    auto server = GsmaHttpServer::Create(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    if (!handler) {
      handler = [this](const HttpCall& call) {
        absl::MutexLock lock(&mu_);
        peers_.insert(call.peer_address);
        last_call_ = call;
        return HttpAnswer{200, call.body};
      };
    }
    ASSERT_TRUE(server_->AddHandler(kPath, std::move(handler)).ok());
    ASSERT_TRUE(server_->Start().ok());
  }

  std::string Url(absl::string_view host = "localhost") const {
    return absl::StrCat("https://", host, ":", server_->port(), kPath);
  }

  static GsmaHttpClientOptions ClientOptions() {
    GsmaHttpClientOptions options;
    options.trust_anchor_files = {GetTestTlsPki().ci_pem_file};
    return options;
  }

  std::unique_ptr<GsmaHttpClient> MakeClient(
      const GsmaHttpClientOptions& options = ClientOptions()) {
    auto client = GsmaHttpClient::Create(options);
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? std::move(*client) : nullptr;
  }

  size_t PeerCount() {
    absl::MutexLock lock(&mu_);
    return peers_.size();
  }

  std::unique_ptr<GsmaHttpServer> server_;
  absl::Mutex mu_;
  std::set<std::string> peers_ ABSL_GUARDED_BY(mu_);
  std::optional<HttpCall> last_call_ ABSL_GUARDED_BY(mu_);
};

TEST_F(ClientTest, PostRoundTripWithLpacHeaders) {
  StartServer();
  auto client = MakeClient();
  auto res = client->Post(Url(), "{\"euiccChallenge\":\"AA==\"}");
  ASSERT_TRUE(res.ok()) << res.status();
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "{\"euiccChallenge\":\"AA==\"}");
  EXPECT_EQ(res->content_type, "application/json;charset=UTF-8");
  EXPECT_EQ(res->admin_protocol, "gsma/rsp/v2.2.0");
  absl::MutexLock lock(&mu_);
  ASSERT_TRUE(last_call_.has_value());
  bool user_agent = false, host = false;
  for (const auto& [name, value] : last_call_->headers) {
    if (name == "user-agent") user_agent = value == "gsma-rsp-lpad";
    if (name == "host")
      host = value == absl::StrCat("localhost:", server_->port());
  }
  EXPECT_TRUE(user_agent);
  EXPECT_TRUE(host);
}

TEST_F(ClientTest, ReusesTheConnection) {
  StartServer();
  auto client = MakeClient();
  for (int i = 0; i < 5; ++i) {
    auto res = client->Post(Url(), absl::StrCat("{\"i\":", i, "}"));
    ASSERT_TRUE(res.ok()) << res.status();
    EXPECT_EQ(res->body, absl::StrCat("{\"i\":", i, "}"));
  }
  EXPECT_EQ(PeerCount(), 1u);
  client->Close();
  ASSERT_TRUE(client->Post(Url(), "{}").ok());
  EXPECT_EQ(PeerCount(), 2u);
}

TEST_F(ClientTest, ReconnectsAfterTheServerDroppedAnIdleConnection) {
  StartServer([](GsmaHttpServerOptions& o) {
    o.request_timeout = absl::Milliseconds(200);
  });
  auto client = MakeClient();
  ASSERT_TRUE(client->Post(Url(), "{}").ok());
  absl::SleepFor(absl::Milliseconds(600));  // The server closes it.
  auto res = client->Post(Url(), "{\"again\":1}");
  ASSERT_TRUE(res.ok()) << res.status();
  EXPECT_EQ(res->body, "{\"again\":1}");
  EXPECT_EQ(PeerCount(), 2u);
}

TEST_F(ClientTest, HttpErrorsAreAnswersNotFailures) {
  StartServer();
  auto client = MakeClient();
  auto res = client->Post(
      absl::StrCat("https://localhost:", server_->port(), "/nope"), "{}");
  ASSERT_TRUE(res.ok()) << res.status();
  EXPECT_EQ(res->status, 404);
  res = client->Post(Url(), "[]");
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->status, 200);
  EXPECT_THAT(res->body, HasSubstr("\"status\":\"Failed\""));
}

TEST_F(ClientTest, IpLiteralIsCheckedAgainstTheIpSan) {
  StartServer();
  auto client = MakeClient();
  auto res = client->Post(Url("127.0.0.1"), "{}");
  ASSERT_TRUE(res.ok()) << res.status();
  EXPECT_EQ(res->status, 200);
}

TEST_F(ClientTest, UntrustedServerIsRefused) {
  StartServer();
  GsmaHttpClientOptions options = ClientOptions();
  options.trust_anchor_files = {GetTestTlsPki().other_ci_pem_file};
  auto client = MakeClient(options);
  auto res = client->Post(Url(), "{}");
  EXPECT_EQ(res.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(res.status().message(), HasSubstr("server certificate"));
}

TEST_F(ClientTest, WrongServerNameIsRefused) {
  StartServer([](GsmaHttpServerOptions& o) { o.listen_address = "0.0.0.0:0"; });
  auto client = MakeClient();
  // 127.0.0.2 reaches the same listener only if it listens on all of
  // 127/8; the server listens on 127.0.0.1, so listen wide for this test.
  auto res = client->Post(Url("127.0.0.2"), "{}");
  EXPECT_EQ(res.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(res.status().message(), HasSubstr("server certificate"));
}

TEST_F(ClientTest, ServerNameOverridesTheUrlHost) {
  StartServer();
  GsmaHttpClientOptions options = ClientOptions();
  // Reached at 127.0.0.1, checked as "localhost" (a SAN of the test cert).
  options.server_name = "localhost";
  auto res = MakeClient(options)->Post(Url("127.0.0.1"), "{}");
  ASSERT_TRUE(res.ok()) << res.status();
  EXPECT_EQ(res->status, 200);
  options.server_name = "smdp.example.com";  // not in the certificate
  res = MakeClient(options)->Post(Url("127.0.0.1"), "{}");
  EXPECT_EQ(res.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(res.status().message(), HasSubstr("server certificate"));
}

TEST_F(ClientTest, VerifyTimeChecksValidityThen) {
  StartServer();
  GsmaHttpClientOptions options = ClientOptions();
  options.verify_time = absl::Now() + absl::Hours(24 * 365 * 200);
  auto res = MakeClient(options)->Post(Url(), "{}");
  EXPECT_EQ(res.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(res.status().message(), HasSubstr("expired"));
  options.verify_time = absl::Now();
  res = MakeClient(options)->Post(Url(), "{}");
  EXPECT_TRUE(res.ok()) << res.status();
}

TEST_F(ClientTest, TimeoutIsDeadlineExceeded) {
  absl::Notification release;
  StartServer(nullptr, [&release](const HttpCall&) {
    release.WaitForNotificationWithTimeout(absl::Seconds(5));
    return HttpAnswer{200, "{}"};
  });
  GsmaHttpClientOptions options = ClientOptions();
  options.request_timeout = absl::Milliseconds(200);
  auto client = MakeClient(options);
  auto res = client->Post(Url(), "{}");
  EXPECT_EQ(res.status().code(), absl::StatusCode::kDeadlineExceeded);
  release.Notify();
}

TEST_F(ClientTest, ConnectionRefusedIsUnavailable) {
  StartServer();
  const int port = server_->port();
  server_->Shutdown(absl::ZeroDuration());
  auto client = MakeClient();
  auto res =
      client->Post(absl::StrCat("https://localhost:", port, kPath), "{}");
  EXPECT_EQ(res.status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(ClientTest, BadUrlsAreInvalidArgument) {
  auto client = MakeClient();
  for (const char* url : {"http://localhost/x", "localhost/x", "https:///x",
                          "https://localhost:0/x", "https://localhost:99999/x",
                          "https://[::1/x"}) {
    EXPECT_EQ(client->Post(url, "{}").status().code(),
              absl::StatusCode::kInvalidArgument)
        << url;
  }
}

TEST_F(ClientTest, CreateRejectsBadOptions) {
  GsmaHttpClientOptions options;
  EXPECT_EQ(GsmaHttpClient::Create(options).status().code(),
            absl::StatusCode::kInvalidArgument);
  options = ClientOptions();
  options.client_certificate_chain_files = {GetTestTlsPki().client_chain_file};
  EXPECT_EQ(GsmaHttpClient::Create(options).status().code(),
            absl::StatusCode::kInvalidArgument);
  options.client_private_key_file = GetTestTlsPki().other_key_file;
  EXPECT_EQ(GsmaHttpClient::Create(options).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(ClientTest, MutualTls) {
  StartServer([](GsmaHttpServerOptions& o) {
    o.client_certificate_mode = ClientCertificateMode::kRequired;
    o.client_ca_files = {GetTestTlsPki().ci_pem_file};
  });
  GsmaHttpClientOptions options = ClientOptions();
  options.client_certificate_chain_files = {GetTestTlsPki().client_chain_file};
  options.client_private_key_file = GetTestTlsPki().client_key_file;
  auto client = MakeClient(options);
  auto res = client->Post(Url(), "{}");
  ASSERT_TRUE(res.ok()) << res.status();
  EXPECT_EQ(res->status, 200);
  {
    absl::MutexLock lock(&mu_);
    ASSERT_TRUE(last_call_.has_value());
    EXPECT_TRUE(last_call_->client_certificate_der.has_value());
  }
  // Without a client identity the server refuses the connection.
  auto anonymous = MakeClient();
  EXPECT_EQ(anonymous->Post(Url(), "{}").status().code(),
            absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace smdp::http
