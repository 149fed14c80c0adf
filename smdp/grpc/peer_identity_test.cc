// The TLS credentials and the peer identity together, over real TLS on
// 127.0.0.1: a server with smdpd's credentials and a service that reports
// who called it.
#include "smdp/grpc/peer_identity.h"

#include <arpa/inet.h>
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "api/health.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "smdp/grpc/tls_credentials.h"
#include "smdp/pki/certificate_builder.h"
#include "smdp/pki/dev_tls.h"
#include "util/file_util.h"
#include "util/ssl_ptr.h"
#include "util/status_matchers.h"

namespace smdp {
namespace {

using ::grpc::health::v1::HealthCheckRequest;
using ::grpc::health::v1::HealthCheckResponse;
using ::smdp::matchers::IsOk;
using ::smdp::matchers::StatusIs;
using ::testing::HasSubstr;

// Answers SERVING with the caller's CN and certificate in the trailing
// metadata, or the status of GetPeerCertificate.
class WhoAmI final : public grpc::health::v1::Health::Service {
 public:
  grpc::Status Check(grpc::ServerContext* context, const HealthCheckRequest*,
                     HealthCheckResponse* response) override {
    absl::StatusOr<PeerCertificate> peer = GetPeerCertificate(*context);
    if (!peer.ok()) {
      return grpc::Status(static_cast<grpc::StatusCode>(peer.status().code()),
                          std::string(peer.status().message()));
    }
    context->AddTrailingMetadata("cn", peer->common_name);
    context->AddTrailingMetadata("cert-bin", peer->der);
    response->set_status(HealthCheckResponse::SERVING);
    return grpc::Status::OK;
  }
};

struct Called {
  grpc::Status status;
  std::string cn;
  std::string der;
};

Called Call(const std::shared_ptr<grpc::Channel>& channel) {
  auto stub = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(10));
  HealthCheckResponse response;
  Called called;
  called.status = stub->Check(&context, HealthCheckRequest(), &response);
  const auto& trailers = context.GetServerTrailingMetadata();
  if (auto it = trailers.find("cn"); it != trailers.end()) {
    called.cn = std::string(it->second.data(), it->second.size());
  }
  if (auto it = trailers.find("cert-bin"); it != trailers.end()) {
    called.der = std::string(it->second.data(), it->second.size());
  }
  return called;
}

class PeerIdentityTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const std::string tmp = std::getenv("TEST_TMPDIR");
    absl::StatusOr<pki::DevTls> tls = pki::EnsureDevTls({.dir = tmp + "/tls"});
    ASSERT_THAT(tls.status(), IsOk());
    tls_ = new pki::DevTls(*tls);
    absl::StatusOr<pki::DevTls> other =
        pki::EnsureDevTls({.dir = tmp + "/other"});
    ASSERT_THAT(other.status(), IsOk());
    other_ = new pki::DevTls(*other);

    absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
        MakeGrpcServerCredentials(
            {tls_->server_chain, tls_->server_key, {tls_->client_ca_cert}});
    ASSERT_THAT(credentials.status(), IsOk());
    service_ = new WhoAmI();
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", *credentials, &tls_port_);
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &plain_port_);
    builder.RegisterService(service_);
    server_ = builder.BuildAndStart().release();
    ASSERT_NE(server_, nullptr);
  }

  static std::string TlsTarget() {
    return absl::StrCat("127.0.0.1:", tls_port_);
  }

  static std::shared_ptr<grpc::Channel> Channel(GrpcClientTlsFiles files) {
    absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
        CreateGrpcTlsChannel(TlsTarget(), files);
    EXPECT_THAT(channel.status(), IsOk());
    return *channel;
  }

  static pki::DevTls* tls_;
  static pki::DevTls* other_;
  static WhoAmI* service_;
  static grpc::Server* server_;
  static int tls_port_;
  static int plain_port_;
};

pki::DevTls* PeerIdentityTest::tls_ = nullptr;
pki::DevTls* PeerIdentityTest::other_ = nullptr;
WhoAmI* PeerIdentityTest::service_ = nullptr;
grpc::Server* PeerIdentityTest::server_ = nullptr;
int PeerIdentityTest::tls_port_ = 0;
int PeerIdentityTest::plain_port_ = 0;

TEST_F(PeerIdentityTest, NoClientCertificateIsUnauthenticated) {
  Called called = Call(Channel({.ca_file = tls_->ca_cert}));
  EXPECT_EQ(called.status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(called.status.error_message(),
              HasSubstr("no client certificate"));
}

TEST_F(PeerIdentityTest, VerifiedCertificateGivesItsCommonNameAndDer) {
  Called called = Call(Channel({.ca_file = tls_->ca_cert,
                                .certificate_chain_file = tls_->admin.cert,
                                .private_key_file = tls_->admin.key}));
  ASSERT_TRUE(called.status.ok()) << called.status.error_message();
  EXPECT_EQ(called.cn, "smdp-admin");
  absl::StatusOr<std::string> pem = ReadFile(tls_->admin.cert);
  ASSERT_THAT(pem.status(), IsOk());
  EXPECT_EQ(called.der, pki::CertificatePemToDer(*pem).value_or("x"));

  absl::StatusOr<pki::DevTlsClient> op1 =
      pki::IssueDevClientCertificate(tls_->dir, "op1");
  ASSERT_THAT(op1.status(), IsOk());
  called = Call(Channel({.ca_file = tls_->ca_cert,
                         .certificate_chain_file = op1->cert,
                         .private_key_file = op1->key}));
  ASSERT_TRUE(called.status.ok()) << called.status.error_message();
  EXPECT_EQ(called.cn, "op1");
}

TEST_F(PeerIdentityTest, ForeignClientCertificateFailsTheHandshake) {
  Called called = Call(Channel({.ca_file = tls_->ca_cert,
                                .certificate_chain_file = other_->admin.cert,
                                .private_key_file = other_->admin.key}));
  EXPECT_EQ(called.status.error_code(), grpc::StatusCode::UNAVAILABLE)
      << called.status.error_message();
}

TEST_F(PeerIdentityTest, ServerIsCheckedByNameOrAddress) {
  // 127.0.0.1 is in the server certificate; so is localhost.
  EXPECT_TRUE(Call(Channel({.ca_file = tls_->ca_cert})).status.error_code() ==
              grpc::StatusCode::UNAUTHENTICATED);
  GrpcClientTlsFiles files{.ca_file = tls_->ca_cert,
                           .server_name_override = "localhost"};
  EXPECT_EQ(Call(Channel(files)).status.error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  // A name the certificate does not carry, or a CA that did not issue it,
  // fails the handshake.
  files.server_name_override = "elsewhere.example";
  EXPECT_EQ(Call(Channel(files)).status.error_code(),
            grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(Call(Channel({.ca_file = other_->ca_cert})).status.error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

TEST_F(PeerIdentityTest, PlaintextCallHasNoCertificate) {
  Called called =
      Call(grpc::CreateChannel(absl::StrCat("127.0.0.1:", plain_port_),
                               grpc::InsecureChannelCredentials()));
  EXPECT_EQ(called.status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

// A raw OpenSSL handshake with the TLS listener, limited to `version`.
bool Handshakes(int port, int version) {
  SslPtr<SSL_CTX, SSL_CTX_free> ctx(SSL_CTX_new(TLS_client_method()));
  SSL_CTX_set_min_proto_version(ctx.get(), version);
  SSL_CTX_set_max_proto_version(ctx.get(), version);
  // Let this client offer old versions at all; the server must refuse.
  SSL_CTX_set_security_level(ctx.get(), 0);
  SSL_CTX_set_cipher_list(ctx.get(), "ALL:@SECLEVEL=0");
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return false;
  }
  SslPtr<SSL, SSL_free> ssl(SSL_new(ctx.get()));
  SSL_set_fd(ssl.get(), fd);
  SSL_set_alpn_protos(ssl.get(),
                      reinterpret_cast<const unsigned char*>("\x02h2"), 3);
  bool ok = SSL_connect(ssl.get()) == 1;
  close(fd);
  return ok;
}

TEST_F(PeerIdentityTest, OnlyTls12AndUp) {
  EXPECT_TRUE(Handshakes(tls_port_, TLS1_2_VERSION));
  EXPECT_TRUE(Handshakes(tls_port_, TLS1_3_VERSION));
  EXPECT_FALSE(Handshakes(tls_port_, TLS1_1_VERSION));
  EXPECT_FALSE(Handshakes(tls_port_, TLS1_VERSION));
}

TEST(TlsCredentialsTest, BadFilesAreNamed) {
  const std::string tmp = std::getenv("TEST_TMPDIR");
  absl::StatusOr<pki::DevTls> tls = pki::EnsureDevTls({.dir = tmp + "/files"});
  ASSERT_THAT(tls.status(), IsOk());
  GrpcServerTlsFiles good{
      tls->server_chain, tls->server_key, {tls->client_ca_cert}};
  EXPECT_THAT(MakeGrpcServerCredentials(good).status(), IsOk());

  GrpcServerTlsFiles files = good;
  files.private_key_file = tls->admin.key;
  absl::Status status = MakeGrpcServerCredentials(files).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr(tls->admin.key));
  EXPECT_THAT(status.message(), HasSubstr("does not match"));

  files = good;
  files.certificate_chain_file = tls->server_key;
  status = MakeGrpcServerCredentials(files).status();
  EXPECT_THAT(status.message(), HasSubstr("holds no PEM certificate"));

  files = good;
  files.client_ca_files = {tmp + "/missing.pem"};
  status = MakeGrpcServerCredentials(files).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(status.message(), HasSubstr("missing.pem"));

  files.client_ca_files.clear();
  EXPECT_THAT(MakeGrpcServerCredentials(files),
              StatusIs(absl::StatusCode::kInvalidArgument));

  EXPECT_THAT(
      MakeGrpcChannelCredentials(
          {.ca_file = tls->ca_cert, .certificate_chain_file = tls->admin.cert}),
      StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(MakeGrpcChannelCredentials({}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace smdp
