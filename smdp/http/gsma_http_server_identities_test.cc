// GsmaHttpServer with several TLS identities on one listener
// (options.tls_identities): a NIST and a brainpool CERT.DP.TLS for the same
// host name, and one for another name; which one each client gets.
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hsm/software_provider.h"
#include "smdp/http/gsma_http_client.h"
#include "smdp/http/gsma_http_server.h"
#include "smdp/http/internal/test_tls_pki.h"
#include "util/ssl_ptr.h"
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

TlsIdentity NistIdentity() {
  return {{GetTestTlsPki().server_chain_file},
          GetTestTlsPki().server_key_file,
          nullptr};
}
TlsIdentity BrainpoolIdentity() {
  return {{GetTestTlsPki().brp_server_chain_file},
          GetTestTlsPki().brp_server_key_file,
          nullptr};
}
TlsIdentity NamedIdentity() {
  return {{GetTestTlsPki().named_server_chain_file},
          GetTestTlsPki().named_server_key_file,
          nullptr};
}

// A client as an LPA configures it: the CI it trusts, the groups it offers
// (empty: OpenSSL's defaults, which have no brainpool), its highest TLS
// version, and the name it asks for (SNI) and checks.
struct Client {
  std::string trust_file;
  std::string groups;
  int max_version = TLS1_3_VERSION;
  std::string server_name = "localhost";
};

// What the client saw after a verified handshake and one call.
struct Seen {
  int curve_nid = 0;  // Of the server's leaf key.
  int version = 0;
};

absl::StatusOr<Seen> Call(int port, const Client& client) {
  asio::io_context io;
  ssl::context ctx(ssl::context::tls_client);
  SSL_CTX* c = ctx.native_handle();
  SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION);
  SSL_CTX_set_max_proto_version(c, client.max_version);
  if (!client.groups.empty() &&
      SSL_CTX_set1_groups_list(c, client.groups.c_str()) != 1) {
    return absl::InternalError("groups");
  }
  ErrorCode ec;
  ctx.load_verify_file(client.trust_file, ec);
  if (ec) return absl::InternalError(ec.message());
  ctx.set_verify_mode(ssl::verify_peer);
  beast::ssl_stream<beast::tcp_stream> stream(io, ctx);
  SSL_set1_host(stream.native_handle(), client.server_name.c_str());
  SSL_set_tlsext_host_name(stream.native_handle(), client.server_name.c_str());
  beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(10));
  beast::get_lowest_layer(stream).socket().connect(
      tcp::endpoint(asio::ip::make_address("127.0.0.1"),
                    static_cast<unsigned short>(port)),
      ec);
  if (!ec) stream.handshake(ssl::stream_base::client, ec);
  if (ec) return absl::UnavailableError("handshake: " + ec.message());
  bhttp::request<bhttp::string_body> req(bhttp::verb::post, kPath, 11);
  req.set(bhttp::field::host, client.server_name);
  req.set("X-Admin-Protocol", "gsma/rsp/v2.2.0");
  req.set(bhttp::field::content_type, "application/json");
  req.body() = "{}";
  req.prepare_payload();
  bhttp::write(stream, req, ec);
  beast::flat_buffer buffer;
  bhttp::response<bhttp::string_body> res;
  if (!ec) bhttp::read(stream, buffer, res, ec);
  if (ec) return absl::UnavailableError("request: " + ec.message());
  if (res.result_int() != 200) {
    return absl::InternalError(absl::StrCat("answer ", res.result_int()));
  }
  Seen seen;
  seen.version = SSL_version(stream.native_handle());
  X509Ptr leaf(SSL_get1_peer_certificate(stream.native_handle()));
  char group[64] = {0};
  size_t len = 0;
  if (leaf == nullptr ||
      !EVP_PKEY_get_utf8_string_param(X509_get0_pubkey(leaf.get()), "group",
                                      group, sizeof(group), &len)) {
    return absl::InternalError("no EC leaf");
  }
  seen.curve_nid = OBJ_txt2nid(group);
  return seen;
}

class IdentitiesTest : public ::testing::Test {
 protected:
  void Start(std::vector<TlsIdentity> identities) {
    GsmaHttpServerOptions options;
    options.tls_identities = std::move(identities);
    ASSERT_OK_AND_ASSIGN(server_, GsmaHttpServer::Create(options));
    ASSERT_OK(server_->AddHandler(kPath, [](const HttpCall& call) {
      return HttpAnswer{200, call.body};
    }));
    ASSERT_OK(server_->Start());
  }
  int port() const { return server_->port(); }

  const std::string& nist_ci() { return GetTestTlsPki().ci_pem_file; }
  const std::string& brp_ci() { return GetTestTlsPki().brp_ci_pem_file; }

  std::unique_ptr<GsmaHttpServer> server_;
};

TEST_F(IdentitiesTest, NistClientGetsTheNistChainOverTls13) {
  Start({NistIdentity(), BrainpoolIdentity()});
  ASSERT_OK_AND_ASSIGN(Seen seen, Call(port(), {.trust_file = nist_ci()}));
  EXPECT_EQ(seen.curve_nid, NID_X9_62_prime256v1);
  EXPECT_EQ(seen.version, TLS1_3_VERSION);
  // Also when the brainpool identity is listed first: the client offers no
  // brainpool curve.
  server_->Shutdown(absl::ZeroDuration());
  Start({BrainpoolIdentity(), NistIdentity()});
  ASSERT_OK_AND_ASSIGN(seen, Call(port(), {.trust_file = nist_ci()}));
  EXPECT_EQ(seen.curve_nid, NID_X9_62_prime256v1);
}

TEST_F(IdentitiesTest, BrainpoolClientGetsTheBrainpoolChain) {
  Start({NistIdentity(), BrainpoolIdentity()});
  // Offering TLS 1.3 too (X25519 for its key share): the server caps the
  // connection at 1.2, where OpenSSL 3.0 signs with brainpool.
  ASSERT_OK_AND_ASSIGN(Seen seen, Call(port(), {.trust_file = brp_ci(),
                                                .groups = "brainpoolP256r1:"
                                                          "X25519"}));
  EXPECT_EQ(seen.curve_nid, NID_brainpoolP256r1);
  EXPECT_EQ(seen.version, TLS1_2_VERSION);
  // A TLS 1.2 client offering brainpoolP256r1 alone (key exchange too).
  ASSERT_OK_AND_ASSIGN(seen, Call(port(), {.trust_file = brp_ci(),
                                           .groups = "brainpoolP256r1",
                                           .max_version = TLS1_2_VERSION}));
  EXPECT_EQ(seen.curve_nid, NID_brainpoolP256r1);
  // Preferring brainpool but offering P-256 as well.
  ASSERT_OK_AND_ASSIGN(
      seen, Call(port(), {.trust_file = brp_ci(),
                          .groups = "brainpoolP256r1:P-256:X25519"}));
  EXPECT_EQ(seen.curve_nid, NID_brainpoolP256r1);
}

TEST_F(IdentitiesTest, ClientPreferringP256GetsNistEvenIfItTrustsBrainpool) {
  Start({BrainpoolIdentity(), NistIdentity()});
  ASSERT_OK_AND_ASSIGN(
      Seen seen, Call(port(), {.trust_file = nist_ci(),
                               .groups = "X25519:P-256:brainpoolP256r1"}));
  EXPECT_EQ(seen.curve_nid, NID_X9_62_prime256v1);
  // So one that trusts only brainpool but asks for P-256 first fails.
  EXPECT_THAT(Call(port(), {.trust_file = brp_ci(),
                            .groups = "X25519:P-256:brainpoolP256r1"}),
              StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(IdentitiesTest, BrainpoolOnlyClientFailsWithoutABrainpoolIdentity) {
  Start({NistIdentity()});
  EXPECT_THAT(
      Call(port(), {.trust_file = brp_ci(), .groups = "brainpoolP256r1"}),
      StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(IdentitiesTest, SniChoosesTheIdentityNamingTheHost) {
  Start({NistIdentity(), BrainpoolIdentity(), NamedIdentity()});
  ASSERT_OK_AND_ASSIGN(Seen seen,
                       Call(port(), {.trust_file = nist_ci(),
                                     .server_name = "es9.other.example"}));
  EXPECT_EQ(seen.curve_nid, NID_X9_62_prime256v1);
  // "localhost" picks among the two that name it, by curve.
  ASSERT_OK_AND_ASSIGN(seen, Call(port(), {.trust_file = brp_ci(),
                                           .groups = "brainpoolP256r1:X25519",
                                           .server_name = "localhost"}));
  EXPECT_EQ(seen.curve_nid, NID_brainpoolP256r1);
  // A name no identity carries gets the first (and fails the name check).
  EXPECT_THAT(
      Call(port(), {.trust_file = nist_ci(), .server_name = "unknown.example"}),
      StatusIs(absl::StatusCode::kUnavailable));
}

// GsmaHttpClient (the LPA's transport) offers brainpoolP256r1 first when it
// trusts only a brainpool CI, so it gets the brainpool chain.
TEST_F(IdentitiesTest, GsmaHttpClientGetsTheChainOfTheCiItTrusts) {
  Start({NistIdentity(), BrainpoolIdentity()});
  const std::string url = absl::StrCat("https://localhost:", port(), kPath);
  for (const std::string& ci : {nist_ci(), brp_ci()}) {
    GsmaHttpClientOptions options;
    options.trust_anchor_files = {ci};
    ASSERT_OK_AND_ASSIGN(auto client, GsmaHttpClient::Create(options));
    ASSERT_OK_AND_ASSIGN(GsmaHttpResponse res, client->Post(url, "{}"));
    EXPECT_EQ(res.status, 200) << ci;
  }
  // Trusting both CIs it prefers P-256 (and so gets the NIST chain).
  GsmaHttpClientOptions options;
  options.trust_anchor_files = {brp_ci(), nist_ci()};
  ASSERT_OK_AND_ASSIGN(auto client, GsmaHttpClient::Create(options));
  ASSERT_OK_AND_ASSIGN(GsmaHttpResponse res, client->Post(url, "{}"));
  EXPECT_EQ(res.status, 200);
}

TEST_F(IdentitiesTest, KeysInAProviderAndInFilesMix) {
  ASSERT_OK_AND_ASSIGN(auto provider, hsm::SoftwareProvider::Create({}));
  ASSERT_OK_AND_ASSIGN(
      std::shared_ptr<const hsm::SigningKey> key,
      provider->GenerateSigningKey("dptls-brp", hsm::Curve::kBrainpoolP256r1));
  // A brainpool CERT.DP.TLS for the provider's key, issued by the NIST test
  // CI (any CI will do here).
  const std::string chain =
      absl::StrCat(getenv("TEST_TMPDIR"), "/provider_brp_chain.pem");
  ASSERT_OK(internal::WriteTestServerChain({key->curve(), key->public_point()},
                                           chain));
  Start({NistIdentity(), TlsIdentity{{chain}, "", key}});
  ASSERT_OK_AND_ASSIGN(Seen seen, Call(port(), {.trust_file = nist_ci(),
                                                .groups = "brainpoolP256r1"
                                                          ":X25519"}));
  EXPECT_EQ(seen.curve_nid, NID_brainpoolP256r1);
  ASSERT_OK_AND_ASSIGN(seen, Call(port(), {.trust_file = nist_ci()}));
  EXPECT_EQ(seen.curve_nid, NID_X9_62_prime256v1);
}

TEST(IdentitiesOptionsTest, ErrorsNameTheIdentity) {
  GsmaHttpServerOptions options;
  options.tls_identities = {NistIdentity()};
  options.certificate_chain_files = {GetTestTlsPki().server_chain_file};
  EXPECT_EQ(GsmaHttpServer::Create(options).status(),
            absl::InvalidArgumentError(
                "tls_identities is set: certificate_chain_files, "
                "private_key_file and private_key must be empty"));

  options.certificate_chain_files.clear();
  options.tls_identities = {NistIdentity(), {{}, "k.pem", nullptr}};
  EXPECT_EQ(GsmaHttpServer::Create(options).status(),
            absl::InvalidArgumentError(
                "tls_identities[1].certificate_chain_files is empty"));

  options.tls_identities = {NistIdentity(),
                            {{GetTestTlsPki().brp_server_chain_file}, "", {}}};
  EXPECT_EQ(GsmaHttpServer::Create(options).status(),
            absl::InvalidArgumentError(
                "exactly one of tls_identities[1].private_key_file and "
                "tls_identities[1].private_key must be set"));

  options.tls_identities = {NistIdentity(),
                            {{GetTestTlsPki().brp_server_chain_file},
                             GetTestTlsPki().server_key_file,
                             nullptr}};
  absl::StatusOr<std::unique_ptr<GsmaHttpServer>> server =
      GsmaHttpServer::Create(options);
  EXPECT_THAT(server, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(server.status().message(),
              HasSubstr("tls_identities[1].private_key_file: the key does not "
                        "match the leaf certificate"));
}

}  // namespace
}  // namespace smdp::http
