// GsmaHttpServer with its TLS key in a CryptoProvider (options.private_key):
// a SoftHSM token (the production path) and the software provider.
#include <openssl/ssl.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hsm/crypto_provider.h"
#include "hsm/softhsm_test_token.h"
#include "hsm/software_provider.h"
#include "smdp/http/gsma_http_client.h"
#include "smdp/http/gsma_http_server.h"
#include "smdp/http/internal/test_tls_pki.h"
#include "util/status_matchers.h"

namespace smdp::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
using ErrorCode = boost::system::error_code;
using internal::GetTestTlsPki;
using ::smdp::matchers::StatusIs;
using ::testing::HasSubstr;

constexpr char kPath[] = "/gsma/rsp2/es9plus/initiateAuthentication";

std::string TmpDir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr ? dir : "/tmp";
}

// A SigningKey that forwards to another and counts SignDigest() calls, to
// show that the handshakes were signed by the provider's key.
class CountingKey final : public hsm::SigningKey {
 public:
  explicit CountingKey(std::unique_ptr<hsm::SigningKey> key)
      : key_(std::move(key)) {}
  hsm::Curve curve() const override { return key_->curve(); }
  const std::string& public_point() const override {
    return key_->public_point();
  }
  absl::StatusOr<std::string> Sign(absl::string_view message) const override {
    return key_->Sign(message);
  }
  absl::StatusOr<std::string> SignDigest(
      absl::string_view digest) const override {
    digests_.fetch_add(1);
    return key_->SignDigest(digest);
  }
  int digests() const { return digests_.load(); }

 private:
  const std::unique_ptr<hsm::SigningKey> key_;
  mutable std::atomic<int> digests_{0};
};

// Posts one JSON body over a fresh TLS connection with the given protocol
// version and TLS 1.2 suite; returns the negotiated cipher name, or the
// error.
absl::StatusOr<std::string> PostWithTls(int port, int version,
                                        const std::string& tls12_suite,
                                        const std::string& sigalgs = "",
                                        const std::string& groups = "") {
  asio::io_context io;
  ssl::context ctx(ssl::context::tls_client);
  SSL_CTX* c = ctx.native_handle();
  SSL_CTX_set_min_proto_version(c, version);
  SSL_CTX_set_max_proto_version(c, version);
  SSL_CTX_set_cipher_list(c, tls12_suite.c_str());
  if (!sigalgs.empty()) SSL_CTX_set1_sigalgs_list(c, sigalgs.c_str());
  if (!groups.empty()) SSL_CTX_set1_groups_list(c, groups.c_str());
  ErrorCode ec;
  ctx.load_verify_file(GetTestTlsPki().ci_pem_file, ec);
  if (ec) return absl::InternalError(ec.message());
  ctx.set_verify_mode(ssl::verify_peer);
  beast::ssl_stream<beast::tcp_stream> stream(io, ctx);
  SSL_set1_host(stream.native_handle(), "localhost");
  SSL_set_tlsext_host_name(stream.native_handle(), "localhost");
  beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(10));
  beast::get_lowest_layer(stream).socket().connect(
      tcp::endpoint(asio::ip::make_address("127.0.0.1"),
                    static_cast<unsigned short>(port)),
      ec);
  if (!ec) stream.handshake(ssl::stream_base::client, ec);
  if (ec) return absl::UnavailableError("handshake: " + ec.message());
  bhttp::request<bhttp::string_body> req(bhttp::verb::post, kPath, 11);
  req.set(bhttp::field::host, "localhost");
  req.set("X-Admin-Protocol", "gsma/rsp/v2.2.0");
  req.set(bhttp::field::content_type, "application/json");
  req.body() = "{\"tls\":1}";
  req.prepare_payload();
  bhttp::write(stream, req, ec);
  beast::flat_buffer buffer;
  bhttp::response<bhttp::string_body> res;
  if (!ec) bhttp::read(stream, buffer, res, ec);
  if (ec) return absl::UnavailableError("request: " + ec.message());
  if (res.result_int() != 200 || res.body() != "{\"tls\":1}") {
    return absl::InternalError(absl::StrCat("answer ", res.result_int()));
  }
  return std::string(SSL_get_cipher_name(stream.native_handle()));
}

class HsmKeyServerTest : public ::testing::Test {
 protected:
  // Starts an echo server whose TLS key is `key`, with a CERT.DP.TLS issued
  // for it by the test CI.
  void StartServer(std::shared_ptr<const hsm::SigningKey> key) {
    const std::string chain =
        absl::StrCat(TmpDir(), "/hsm_key_chain_", chains_++, ".pem");
    ASSERT_OK(internal::WriteTestServerChain(
        {key->curve(), key->public_point()}, chain));
    GsmaHttpServerOptions options;
    options.certificate_chain_files = {chain};
    options.private_key = std::move(key);
    ASSERT_OK_AND_ASSIGN(server_, GsmaHttpServer::Create(options));
    ASSERT_OK(server_->AddHandler(kPath, [](const HttpCall& call) {
      return HttpAnswer{200, call.body};
    }));
    ASSERT_OK(server_->Start());
  }

  std::string Url() const {
    return absl::StrCat("https://localhost:", server_->port(), kPath);
  }

  static std::unique_ptr<GsmaHttpClient> MakeClient() {
    GsmaHttpClientOptions options;
    options.trust_anchor_files = {GetTestTlsPki().ci_pem_file};
    auto client = GsmaHttpClient::Create(options);
    EXPECT_OK(client.status());
    return client.ok() ? std::move(*client) : nullptr;
  }

  int chains_ = 0;
  std::unique_ptr<GsmaHttpServer> server_;
};

TEST_F(HsmKeyServerTest, SoftHsmKeySignsTls12BothSuitesAndTls13) {
  ASSERT_OK_AND_ASSIGN(auto token, hsm::SoftHsmTestToken::Create());
  ASSERT_OK_AND_ASSIGN(auto hsm, token->OpenProvider());
  ASSERT_OK_AND_ASSIGN(
      auto dptls, hsm->GenerateSigningKey("dptls-nist", hsm::Curve::kNistP256));
  auto key = std::make_shared<CountingKey>(std::move(dptls));
  StartServer(key);

  for (const std::string suite :
       {"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES128-SHA256"}) {
    ASSERT_OK_AND_ASSIGN(std::string cipher,
                         PostWithTls(server_->port(), TLS1_2_VERSION, suite));
    EXPECT_EQ(cipher, suite);
  }
  ASSERT_OK_AND_ASSIGN(std::string cipher,
                       PostWithTls(server_->port(), TLS1_3_VERSION,
                                   "ECDHE-ECDSA-AES128-GCM-SHA256"));
  EXPECT_THAT(cipher, HasSubstr("TLS_"));  // A TLS 1.3 suite.
  EXPECT_EQ(key->digests(), 3);

  // The project's own client (TLS 1.3 by default), on one kept-alive
  // connection: one more handshake.
  std::unique_ptr<GsmaHttpClient> client = MakeClient();
  ASSERT_NE(client, nullptr);
  for (int i = 0; i < 3; ++i) {
    ASSERT_OK_AND_ASSIGN(GsmaHttpResponse res,
                         client->Post(Url(), R"({"n":1})"));
    EXPECT_EQ(res.status, 200);
    EXPECT_EQ(res.body, R"({"n":1})");
  }
  EXPECT_EQ(key->digests(), 4);
}

TEST_F(HsmKeyServerTest, EightConcurrentClientsShareTheHsmSessionPool) {
  ASSERT_OK_AND_ASSIGN(auto token, hsm::SoftHsmTestToken::Create());
  hsm::Pkcs11ProviderOptions hsm_options = token->ProviderOptions();
  hsm_options.session_pool_size = 2;  // Fewer sessions than clients.
  ASSERT_OK_AND_ASSIGN(auto hsm, hsm::Pkcs11Provider::Open(hsm_options));
  ASSERT_OK_AND_ASSIGN(
      auto dptls, hsm->GenerateSigningKey("dptls-nist", hsm::Curve::kNistP256));
  auto key = std::make_shared<CountingKey>(std::move(dptls));
  StartServer(key);

  constexpr int kClients = 8;
  constexpr int kConnectionsEach = 5;
  std::atomic<int> ok{0};
  absl::Notification go;
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      std::unique_ptr<GsmaHttpClient> client = MakeClient();
      if (client == nullptr) return;
      go.WaitForNotification();
      for (int j = 0; j < kConnectionsEach; ++j) {
        const std::string body = absl::StrCat("{\"c\":", i, ",\"r\":", j, "}");
        absl::StatusOr<GsmaHttpResponse> res = client->Post(Url(), body);
        if (!res.ok() || res->status != 200 || res->body != body) {
          ADD_FAILURE() << (res.ok() ? res->body : res.status().ToString());
          return;
        }
        client->Close();  // A new handshake for the next call.
      }
      ok.fetch_add(1);
    });
  }
  go.Notify();
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), kClients);
  EXPECT_EQ(key->digests(), kClients * kConnectionsEach);
}

TEST_F(HsmKeyServerTest, SoftwareProviderKeyServesTls) {
  ASSERT_OK_AND_ASSIGN(auto provider, hsm::SoftwareProvider::Create({}));
  ASSERT_OK_AND_ASSIGN(
      std::shared_ptr<const hsm::SigningKey> key,
      provider->GenerateSigningKey("dptls-nist", hsm::Curve::kNistP256));
  StartServer(key);
  ASSERT_OK_AND_ASSIGN(std::string cipher,
                       PostWithTls(server_->port(), TLS1_2_VERSION,
                                   "ECDHE-ECDSA-AES128-GCM-SHA256"));
  EXPECT_EQ(cipher, "ECDHE-ECDSA-AES128-GCM-SHA256");
  std::unique_ptr<GsmaHttpClient> client = MakeClient();
  ASSERT_NE(client, nullptr);
  ASSERT_OK_AND_ASSIGN(GsmaHttpResponse res, client->Post(Url(), "{}"));
  EXPECT_EQ(res.status, 200);
}

TEST_F(HsmKeyServerTest, Tls12ClientPreferringSha384GetsSha256) {
  ASSERT_OK_AND_ASSIGN(auto provider, hsm::SoftwareProvider::Create({}));
  ASSERT_OK_AND_ASSIGN(
      std::shared_ptr<const hsm::SigningKey> key,
      provider->GenerateSigningKey("dptls-nist", hsm::Curve::kNistP256));
  StartServer(key);
  EXPECT_OK(PostWithTls(server_->port(), TLS1_2_VERSION,
                        "ECDHE-ECDSA-AES128-GCM-SHA256",
                        "ECDSA+SHA512:ECDSA+SHA384:ECDSA+SHA256"));
}

// Brainpool TLS needs a client that offers the curve (OpenSSL's default
// groups do not); TLS 1.2 then signs with ECDSA-SHA256 as on P-256. (TLS 1.3
// brainpool schemes are not in OpenSSL 3.0.)
TEST_F(HsmKeyServerTest, BrainpoolHsmKeyServesTls12) {
  ASSERT_OK_AND_ASSIGN(auto token, hsm::SoftHsmTestToken::Create());
  ASSERT_OK_AND_ASSIGN(auto hsm, token->OpenProvider());
  ASSERT_OK_AND_ASSIGN(
      auto dptls,
      hsm->GenerateSigningKey("dptls-brp", hsm::Curve::kBrainpoolP256r1));
  auto key = std::make_shared<CountingKey>(std::move(dptls));
  StartServer(key);
  for (const std::string suite :
       {"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES128-SHA256"}) {
    ASSERT_OK_AND_ASSIGN(std::string cipher,
                         PostWithTls(server_->port(), TLS1_2_VERSION, suite, "",
                                     "brainpoolP256r1:P-256:X25519"));
    EXPECT_EQ(cipher, suite);
  }
  EXPECT_EQ(key->digests(), 2);
}

TEST(HsmKeyOptionsTest, ExactlyOneKeySourceAndItMustMatchTheCertificate) {
  ASSERT_OK_AND_ASSIGN(auto provider, hsm::SoftwareProvider::Create({}));
  ASSERT_OK_AND_ASSIGN(
      std::shared_ptr<const hsm::SigningKey> key,
      provider->GenerateSigningKey("dptls-nist", hsm::Curve::kNistP256));
  GsmaHttpServerOptions options;
  options.certificate_chain_files = {GetTestTlsPki().server_chain_file};

  // Neither.
  absl::StatusOr<std::unique_ptr<GsmaHttpServer>> server =
      GsmaHttpServer::Create(options);
  EXPECT_THAT(server, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(server.status().message(),
              HasSubstr("exactly one of private_key_file and private_key"));
  // Both.
  options.private_key_file = GetTestTlsPki().server_key_file;
  options.private_key = key;
  server = GsmaHttpServer::Create(options);
  EXPECT_THAT(server, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(server.status().message(), HasSubstr("exactly one of"));
  // A key that is not the certificate's.
  options.private_key_file.clear();
  server = GsmaHttpServer::Create(options);
  EXPECT_THAT(server, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(server.status().message(),
              HasSubstr("private_key: the key does not match"));
}

}  // namespace
}  // namespace smdp::http
