// ES2+ end to end through smdpd as a library (SmdpServer in dev mode: SoftHSM
// token, dev PKI, RocksDB), over both bindings with mutual TLS:
// the operator imports profiles (Admin), orders and confirms (ES2+), the
// software eUICC downloads (ES9+), and a local HTTPS receiver of the operator
// gets the HandleDownloadProgressInfo callbacks in order. Refusals: no or a
// wrong client certificate, another operator's ICCID, a duplicate
// matchingId.
#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "api/es2plus.grpc.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "sgp22/eid.h"
#include "smdp/config/config.h"
#include "smdp/grpc/tls_credentials.h"
#include "smdp/http/gsma_http_client.h"
#include "smdp/http/gsma_http_server.h"
#include "smdp/http/internal/test_tls_pki.h"
#include "smdp/pki/dev_pki.h"
#include "smdp/pki/dev_tls.h"
#include "smdp/server/server.h"
#include "tests/e2e/smdpd_testing.h"
#include "tests/euicc/lpa.h"
#include "tests/euicc/software_euicc.h"
#include "util/file_util.h"
#include "util/status_macros.h"
#include "util/status_matchers.h"

namespace smdp {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// The operator's callback endpoint.
class Receiver {
 public:
  void Add(es2plus::HandleDownloadProgressInfoRequest r) {
    absl::MutexLock lock(&mu_);
    got_.push_back(std::move(r));
  }
  // The points received for `iccid`, waiting up to `wait` for `count`.
  std::vector<int> PointsOf(const std::string& iccid, size_t count,
                            absl::Duration wait = absl::Seconds(20)) {
    const absl::Time deadline = absl::Now() + wait;
    while (true) {
      std::vector<int> points;
      {
        absl::MutexLock lock(&mu_);
        for (const auto& r : got_) {
          if (r.iccid() == iccid) points.push_back(r.notification_point_id());
        }
      }
      if (points.size() >= count || absl::Now() > deadline) return points;
      absl::SleepFor(absl::Milliseconds(50));
    }
  }
  std::vector<es2plus::HandleDownloadProgressInfoRequest> Of(
      const std::string& iccid) {
    absl::MutexLock lock(&mu_);
    std::vector<es2plus::HandleDownloadProgressInfoRequest> out;
    for (const auto& r : got_) {
      if (r.iccid() == iccid) out.push_back(r);
    }
    return out;
  }

 private:
  absl::Mutex mu_;
  std::vector<es2plus::HandleDownloadProgressInfoRequest> got_
      ABSL_GUARDED_BY(mu_);
};

struct World {
  std::string data_dir;
  pki::DevTls tls;
  pki::DevTlsClient op1, op2, callback_client;
  Receiver receiver;
  std::unique_ptr<http::GsmaHttpServer> receiver_server;
  std::unique_ptr<SmdpServer> server;
  config::ServerConfig config;          // to restart the server
  std::vector<std::string> op1_iccids;  // imported for op1
  std::vector<std::string> op2_iccids;
};
World* world = nullptr;

// The operator's callback receiver on `port` (0: any): client certificate
// required.
absl::Status StartReceiver(int port) {
  const auto& test_tls = http::internal::GetTestTlsPki();
  http::GsmaHttpServerOptions receiver;
  receiver.listen_address = absl::StrCat("127.0.0.1:", port);
  receiver.certificate_chain_files = {test_tls.server_chain_file};
  receiver.private_key_file = test_tls.server_key_file;
  receiver.client_certificate_mode = http::ClientCertificateMode::kRequired;
  receiver.client_ca_files = {world->tls.client_ca_cert};
  ASSIGN_OR_RETURN(world->receiver_server,
                   http::GsmaHttpServer::Create(receiver));
  RETURN_IF_ERROR(world->receiver_server->AddHandler(
      "/gsma/rsp2/es2plus/handleDownloadProgressInfo",
      [](const http::HttpCall& call) {
        es2plus::HandleDownloadProgressInfoRequest r;
        if (!google::protobuf::util::JsonStringToMessage(call.body, &r).ok()) {
          return http::HttpAnswer{.status = 400};
        }
        world->receiver.Add(std::move(r));
        return http::HttpAnswer{.status = 204};
      }));
  return world->receiver_server->Start();
}

absl::Status SetUpWorld() {
  world = new World();
  world->data_dir = absl::StrCat(getenv("TEST_TMPDIR"), "/es2flow");
  // The dev TLS material first, so the test can issue operator and callback
  // certificates under the dev client CA before smdpd starts.
  ASSIGN_OR_RETURN(world->tls,
                   pki::EnsureDevTls({.dir = pki::DevTlsDir(world->data_dir),
                                      .smdp_address = "localhost"}));
  ASSIGN_OR_RETURN(world->op1,
                   pki::IssueDevClientCertificate(world->tls.dir, "op1"));
  ASSIGN_OR_RETURN(world->op2,
                   pki::IssueDevClientCertificate(world->tls.dir, "op2"));
  ASSIGN_OR_RETURN(world->callback_client,
                   pki::IssueDevClientCertificate(world->tls.dir, "smdp-cb"));

  RETURN_IF_ERROR(StartReceiver(0));
  const auto& test_tls = http::internal::GetTestTlsPki();

  config::ServerConfig config;
  config.set_data_dir(world->data_dir);
  config.set_grpc_listen("127.0.0.1:0");
  config.set_es9_https_listen("127.0.0.1:0");
  config.set_es2_https_listen("127.0.0.1:0");
  config.set_dev_mode(true);
  for (const char* id : {"op1", "op2"}) {
    config::Operator& op = *config.add_operators();
    op.set_id(id);
    op.add_client_ca_files(world->tls.client_ca_cert);
    op.add_client_common_names(id);
  }
  config::OperatorCallback& cb =
      *config.mutable_operators(0)->mutable_callback();
  cb.set_url(
      absl::StrCat("https://localhost:", world->receiver_server->port()));
  cb.add_trust_anchor_files(test_tls.ci_pem_file);
  cb.set_client_certificate_chain_file(world->callback_client.cert);
  cb.set_client_private_key_file(world->callback_client.key);
  ApplyDefaults(config, /*from_file=*/true);
  RETURN_IF_ERROR(ValidateConfig(config));
  world->config = config;
  ASSIGN_OR_RETURN(world->server, SmdpServer::Start(config));

  ASSIGN_OR_RETURN(world->op1_iccids,
                   e2e::ImportTestProfiles(world->server->grpc_address(),
                                           world->tls, "op1", "b-op1", 0, 12));
  ASSIGN_OR_RETURN(world->op2_iccids,
                   e2e::ImportTestProfiles(world->server->grpc_address(),
                                           world->tls, "op2", "b-op2", 500, 3));
  return absl::OkStatus();
}

// ES2+ over one binding, as an operator with `client`.
class Es2Client {
 public:
  virtual ~Es2Client() = default;
  virtual absl::StatusOr<es2plus::DownloadOrderResponse> Call(
      const es2plus::DownloadOrderRequest& r) = 0;
  virtual absl::StatusOr<es2plus::ConfirmOrderResponse> Call(
      const es2plus::ConfirmOrderRequest& r) = 0;
  virtual absl::StatusOr<es2plus::CancelOrderResponse> Call(
      const es2plus::CancelOrderRequest& r) = 0;
  virtual absl::StatusOr<es2plus::ReleaseProfileResponse> Call(
      const es2plus::ReleaseProfileRequest& r) = 0;
};

class HttpsEs2 : public Es2Client {
 public:
  explicit HttpsEs2(std::unique_ptr<http::GsmaHttpClient> c)
      : client_(std::move(c)) {}
  template <typename Resp>
  absl::StatusOr<Resp> Do(const google::protobuf::Message& req,
                          absl::string_view function) {
    std::string json;
    if (!google::protobuf::util::MessageToJsonString(req, &json).ok()) {
      return absl::InternalError("json");
    }
    ASSIGN_OR_RETURN(
        http::GsmaHttpResponse answer,
        client_->Post(absl::StrCat("https://localhost:",
                                   PortOf(world->server->es2_https_address()),
                                   "/gsma/rsp2/es2plus/", function),
                      json));
    if (answer.status != 200) {
      return absl::UnavailableError(absl::StrCat("HTTP ", answer.status));
    }
    Resp resp;
    if (!google::protobuf::util::JsonStringToMessage(answer.body, &resp).ok()) {
      return absl::DataLossError(answer.body);
    }
    return resp;
  }
  static std::string PortOf(const std::string& address) {
    return address.substr(address.rfind(':') + 1);
  }
  absl::StatusOr<es2plus::DownloadOrderResponse> Call(
      const es2plus::DownloadOrderRequest& r) override {
    return Do<es2plus::DownloadOrderResponse>(r, "downloadOrder");
  }
  absl::StatusOr<es2plus::ConfirmOrderResponse> Call(
      const es2plus::ConfirmOrderRequest& r) override {
    return Do<es2plus::ConfirmOrderResponse>(r, "confirmOrder");
  }
  absl::StatusOr<es2plus::CancelOrderResponse> Call(
      const es2plus::CancelOrderRequest& r) override {
    return Do<es2plus::CancelOrderResponse>(r, "cancelOrder");
  }
  absl::StatusOr<es2plus::ReleaseProfileResponse> Call(
      const es2plus::ReleaseProfileRequest& r) override {
    return Do<es2plus::ReleaseProfileResponse>(r, "releaseProfile");
  }

 private:
  std::unique_ptr<http::GsmaHttpClient> client_;
};

class GrpcEs2 : public Es2Client {
 public:
  explicit GrpcEs2(std::shared_ptr<grpc::Channel> channel)
      : stub_(es2plus::Es2Plus::NewStub(std::move(channel))) {}
  template <typename Req, typename Resp, typename M>
  absl::StatusOr<Resp> Do(const Req& req, M method) {
    grpc::ClientContext context;
    Resp resp;
    grpc::Status s = ((*stub_).*method)(&context, req, &resp);
    if (!s.ok()) {
      return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                          s.error_message());
    }
    return resp;
  }
  absl::StatusOr<es2plus::DownloadOrderResponse> Call(
      const es2plus::DownloadOrderRequest& r) override {
    return Do<es2plus::DownloadOrderRequest, es2plus::DownloadOrderResponse>(
        r, &es2plus::Es2Plus::Stub::DownloadOrder);
  }
  absl::StatusOr<es2plus::ConfirmOrderResponse> Call(
      const es2plus::ConfirmOrderRequest& r) override {
    return Do<es2plus::ConfirmOrderRequest, es2plus::ConfirmOrderResponse>(
        r, &es2plus::Es2Plus::Stub::ConfirmOrder);
  }
  absl::StatusOr<es2plus::CancelOrderResponse> Call(
      const es2plus::CancelOrderRequest& r) override {
    return Do<es2plus::CancelOrderRequest, es2plus::CancelOrderResponse>(
        r, &es2plus::Es2Plus::Stub::CancelOrder);
  }
  absl::StatusOr<es2plus::ReleaseProfileResponse> Call(
      const es2plus::ReleaseProfileRequest& r) override {
    return Do<es2plus::ReleaseProfileRequest, es2plus::ReleaseProfileResponse>(
        r, &es2plus::Es2Plus::Stub::ReleaseProfile);
  }

 private:
  std::unique_ptr<es2plus::Es2Plus::Stub> stub_;
};

// An ES2+ client for the operator whose certificate is `cert` (none: no
// client certificate).
std::unique_ptr<Es2Client> Operator(bool https, const pki::DevTlsClient* cert) {
  if (https) {
    http::GsmaHttpClientOptions options;
    // ES2+ HTTPS serves CERT.DP.TLS, which chains to the dev CI.
    options.trust_anchor_files = {world->data_dir + "/pki/nist/ci.pem"};
    if (cert != nullptr) {
      options.client_certificate_chain_files = {cert->cert};
      options.client_private_key_file = cert->key;
    }
    auto client = http::GsmaHttpClient::Create(options);
    EXPECT_OK(client.status());
    return std::make_unique<HttpsEs2>(*std::move(client));
  }
  GrpcClientTlsFiles files{.ca_file = world->tls.ca_cert};
  if (cert != nullptr) {
    files.certificate_chain_file = cert->cert;
    files.private_key_file = cert->key;
  }
  auto channel = CreateGrpcTlsChannel(world->server->grpc_address(), files);
  EXPECT_OK(channel.status());
  return std::make_unique<GrpcEs2>(*std::move(channel));
}

template <typename Resp>
void ExpectFailed(const absl::StatusOr<Resp>& r, absl::string_view subject,
                  absl::string_view reason) {
  ASSERT_OK(r.status());
  const auto& fes = r->header().function_execution_status();
  EXPECT_EQ(fes.status(), "Failed") << r->DebugString();
  EXPECT_EQ(fes.status_code_data().subject_code(), subject) << r->DebugString();
  EXPECT_EQ(fes.status_code_data().reason_code(), reason) << r->DebugString();
}

template <typename Resp>
void ExpectSuccess(const absl::StatusOr<Resp>& r) {
  ASSERT_OK(r.status());
  EXPECT_EQ(r->header().function_execution_status().status(),
            "Executed-Success")
      << r->DebugString();
}

std::unique_ptr<euicc::SoftwareEuicc> DevEuicc(absl::string_view curve) {
  const std::string dir = absl::StrCat(world->data_dir, "/pki/", curve);
  euicc::SoftwareEuiccConfig config;
  config.euicc_certificate = ReadFile(dir + "/euicc.der").value();
  config.euicc_private_key_pem = ReadFile(dir + "/euicc.key.pem").value();
  config.eum_certificate = ReadFile(dir + "/eum.der").value();
  config.ci_certificates = {ReadFile(dir + "/ci.der").value()};
  auto euicc = euicc::SoftwareEuicc::Create(config);
  EXPECT_OK(euicc.status());
  return euicc.ok() ? *std::move(euicc) : nullptr;
}

class Es2FlowTest : public ::testing::TestWithParam<bool> {
 protected:
  static void SetUpTestSuite() {
    if (world == nullptr) {
      ASSERT_OK(SetUpWorld());
    }
  }
  bool https() const { return GetParam(); }
};

TEST_P(Es2FlowTest, OrderConfirmDownloadAndCallbacksInOrder) {
  auto op1 = Operator(https(), &world->op1);
  es2plus::DownloadOrderRequest order;
  order.mutable_header()->set_function_requester_identifier("op1-crm");
  order.mutable_header()->set_function_call_identifier(https() ? "call-https-1"
                                                               : "call-grpc-1");
  order.set_profile_type("consumer");
  auto ordered = op1->Call(order);
  ExpectSuccess(ordered);
  const std::string iccid = ordered->iccid();

  es2plus::ConfirmOrderRequest confirm;
  confirm.set_iccid(iccid);
  confirm.set_release_flag(true);
  auto confirmed = op1->Call(confirm);
  ExpectSuccess(confirmed);
  EXPECT_EQ(confirmed->smdp_address(), "localhost");
  ASSERT_FALSE(confirmed->matching_id().empty());

  // The device downloads with the activation code's matchingId.
  auto euicc = DevEuicc(https() ? "nist" : "brp");
  ASSERT_NE(euicc, nullptr);
  euicc::Es9ClientOptions es9;
  es9.transport =
      https() ? euicc::Es9Transport::kHttps : euicc::Es9Transport::kGrpc;
  // CERT.DP.TLS names "localhost", not 127.0.0.1.
  const std::string& es9_https = world->server->es9_https_address();
  es9.smdp = https() ? "localhost" + es9_https.substr(es9_https.rfind(':'))
                     : world->server->grpc_address();
  es9.ca_file =
      https() ? world->data_dir + "/pki/nist/ci.pem" : world->tls.ca_cert;
  ASSERT_OK_AND_ASSIGN(auto client, euicc::CreateEs9Client(es9));
  ASSERT_OK_AND_ASSIGN(
      euicc::DownloadResult result,
      euicc::DownloadProfile(*euicc, *client,
                             // HTTPS: as lpac sends an address with a port.
                             {.smdp_address = https() ? es9.smdp : "localhost",
                              .matching_id = confirmed->matching_id()},
                             [](absl::string_view) {}));
  EXPECT_EQ(result.iccid, iccid);

  // Points 1 (eligibility), 3 (BPP download), 4 (installation), in order.
  EXPECT_THAT(world->receiver.PointsOf(iccid, 3), ElementsAre(1, 3, 4));
  auto callbacks = world->receiver.Of(iccid);
  ASSERT_EQ(callbacks.size(), 3u);
  for (const auto& c : callbacks) {
    EXPECT_EQ(c.notification_point_status().status(), "Executed-Success");
    EXPECT_EQ(c.profile_type(), "consumer");
    EXPECT_EQ(c.eid(), euicc->eid());
    EXPECT_EQ(c.header().function_requester_identifier(), "localhost");
  }
  EXPECT_EQ(callbacks[2].result_data().substr(0, 2), "\xBF\x37");
}

TEST_P(Es2FlowTest, AnotherOperatorCannotTouchTheProfile) {
  auto op1 = Operator(https(), &world->op1);
  auto op2 = Operator(https(), &world->op2);
  es2plus::DownloadOrderRequest order;
  order.set_profile_type("consumer");
  auto ordered = op1->Call(order);
  ExpectSuccess(ordered);
  const std::string iccid = ordered->iccid();

  es2plus::ConfirmOrderRequest confirm;
  confirm.set_iccid(iccid);
  confirm.set_release_flag(false);
  ExpectFailed(op2->Call(confirm), "8.2.1", "3.9");
  es2plus::ReleaseProfileRequest release;
  release.set_iccid(iccid);
  ExpectFailed(op2->Call(release), "8.2.1", "3.9");
  es2plus::CancelOrderRequest cancel;
  cancel.set_iccid(iccid);
  cancel.set_final_profile_status_indicator("Unavailable");
  ExpectFailed(op2->Call(cancel), "8.2.1", "3.9");
  es2plus::DownloadOrderRequest steal;
  steal.set_iccid(world->op1_iccids.back());
  ExpectFailed(op2->Call(steal), "8.2.1", "3.9");
  // op2 sees only its own.
  steal.set_iccid(world->op2_iccids[https() ? 0 : 1]);
  ExpectSuccess(op2->Call(steal));

  // op1 still can.
  ExpectSuccess(op1->Call(confirm));
  ExpectSuccess(op1->Call(release));
  ExpectSuccess(op1->Call(cancel));
}

TEST_P(Es2FlowTest, DuplicateMatchingIdIsRefused) {
  auto op1 = Operator(https(), &world->op1);
  const std::string mid = https() ? "DUP-HTTPS" : "DUP-GRPC";
  for (int i = 0; i < 2; ++i) {
    es2plus::DownloadOrderRequest order;
    order.set_profile_type("consumer");
    auto ordered = op1->Call(order);
    ExpectSuccess(ordered);
    es2plus::ConfirmOrderRequest confirm;
    confirm.set_iccid(ordered->iccid());
    confirm.set_matching_id(mid);
    confirm.set_release_flag(true);
    if (i == 0) {
      ExpectSuccess(op1->Call(confirm));
    } else {
      ExpectFailed(op1->Call(confirm), "8.2.6", "3.3");
    }
  }
}

// SGP.22 5.3.1 (DownloadOrder retried with its functionCallIdentifier),
// 5.3.2 (ConfirmOrder: not the order's EID, 8.1.1/3.10) and 5.3.5
// (CancelOrder: the order's EID is required, 8.1.1/2.2; not its matchingId,
// 8.2.6/3.10), on both bindings.
TEST_P(Es2FlowTest, RetriesAndOrderIdentifiers) {
  auto op1 = Operator(https(), &world->op1);
  const std::string eid = "89049032123451234512345678901235";
  auto other_eid = sgp22::CompleteEid("890490321234512345123456789099");
  ASSERT_OK(other_eid.status());
  es2plus::DownloadOrderRequest order;
  order.mutable_header()->set_function_requester_identifier("op1-crm");
  order.mutable_header()->set_function_call_identifier(https() ? "retry-https"
                                                               : "retry-grpc");
  order.set_profile_type("consumer");
  order.set_eid(eid);
  auto ordered = op1->Call(order);
  ExpectSuccess(ordered);
  auto retried = op1->Call(order);
  ExpectSuccess(retried);
  EXPECT_EQ(retried->iccid(), ordered->iccid());

  es2plus::ConfirmOrderRequest confirm;
  confirm.set_iccid(ordered->iccid());
  confirm.set_eid(*other_eid);
  confirm.set_matching_id(https() ? "IDS-HTTPS" : "IDS-GRPC");
  confirm.set_release_flag(true);
  ExpectFailed(op1->Call(confirm), "8.1.1", "3.10");
  confirm.set_eid(eid);
  ExpectSuccess(op1->Call(confirm));

  es2plus::CancelOrderRequest cancel;
  cancel.set_iccid(ordered->iccid());
  cancel.set_final_profile_status_indicator("Available");
  ExpectFailed(op1->Call(cancel), "8.1.1", "2.2");
  cancel.set_eid(eid);
  cancel.set_matching_id("NOT-THE-ORDERS");
  ExpectFailed(op1->Call(cancel), "8.2.6", "3.10");
  cancel.set_matching_id(confirm.matching_id());
  ExpectSuccess(op1->Call(cancel));
}

TEST_P(Es2FlowTest, CallersWithoutAnOperatorCertificateAreRefused) {
  es2plus::ReleaseProfileRequest release;
  release.set_iccid(world->op1_iccids.front());
  // The admin's certificate comes from the same client CA but is no
  // operator's.
  auto admin = Operator(https(), &world->tls.admin);
  auto none = Operator(https(), nullptr);
  if (https()) {
    ExpectFailed(admin->Call(release), "1.1", "1.1");
    // No client certificate: the TLS handshake itself fails.
    EXPECT_THAT(none->Call(release).status(),
                matchers::StatusIs(absl::StatusCode::kUnavailable));
  } else {
    EXPECT_THAT(admin->Call(release).status(),
                matchers::StatusIs(absl::StatusCode::kPermissionDenied));
    EXPECT_THAT(none->Call(release).status(),
                matchers::StatusIs(absl::StatusCode::kUnauthenticated));
  }
}

// The operator's endpoint is down while a download happens and smdpd
// restarts: the callbacks wait in the store and arrive, in order, once the
// endpoint is back.
TEST(Es2CallbackDeliveryTest, SurvivesReceiverDowntimeAndASmdpdRestart) {
  if (world == nullptr) {
    ASSERT_OK(SetUpWorld());
  }
  const int port = world->receiver_server->port();
  world->receiver_server->Shutdown(absl::ZeroDuration());
  world->receiver_server.reset();

  auto op1 = Operator(/*https=*/false, &world->op1);
  es2plus::DownloadOrderRequest order;
  order.set_profile_type("consumer");
  auto ordered = op1->Call(order);
  ExpectSuccess(ordered);
  const std::string iccid = ordered->iccid();
  es2plus::ConfirmOrderRequest confirm;
  confirm.set_iccid(iccid);
  confirm.set_release_flag(true);
  auto confirmed = op1->Call(confirm);
  ExpectSuccess(confirmed);
  auto euicc = DevEuicc("nist");
  ASSERT_NE(euicc, nullptr);
  euicc::Es9ClientOptions es9{.smdp = world->server->grpc_address(),
                              .transport = euicc::Es9Transport::kGrpc,
                              .ca_file = world->tls.ca_cert};
  {
    ASSERT_OK_AND_ASSIGN(auto client, euicc::CreateEs9Client(es9));
    ASSERT_OK(euicc::DownloadProfile(*euicc, *client,
                                     {.smdp_address = "localhost",
                                      .matching_id = confirmed->matching_id()},
                                     [](absl::string_view) {})
                  .status());
  }
  // Nothing can arrive while the endpoint is down.
  EXPECT_TRUE(world->receiver.PointsOf(iccid, 1, absl::Seconds(2)).empty());

  // smdpd restarts (same data dir, new ports), then the endpoint comes back.
  world->server->Shutdown();
  world->server.reset();
  ASSERT_OK_AND_ASSIGN(world->server, SmdpServer::Start(world->config));
  ASSERT_OK(StartReceiver(port));
  EXPECT_THAT(world->receiver.PointsOf(iccid, 3, absl::Seconds(60)),
              ElementsAre(1, 3, 4));
}

INSTANTIATE_TEST_SUITE_P(Bindings, Es2FlowTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Https" : "Grpc";
                         });

}  // namespace
}  // namespace smdp
