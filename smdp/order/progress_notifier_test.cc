// The operator callbacks over real transports: an HTTPS receiver (the GSMA
// binding, mutual TLS required) and a gRPC receiver on 127.0.0.1, a RocksDB
// outbox, a simulated clock for the backoff.
#include "smdp/order/progress_notifier.h"

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "api/es2plus.grpc.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "profiles/rocksdb/internal/test_util.h"
#include "profiles/rocksdb/rocksdb_profile_store.h"
#include "smdp/http/gsma_http_server.h"
#include "smdp/http/internal/test_tls_pki.h"
#include "smdp/order/operator_channel.h"
#include "smdp/server/operator_channels.h"
#include "util/file_util.h"
#include "util/status_macros.h"
#include "util/status_matchers.h"

namespace smdp::order {
namespace {

using ::smdp::profiles::testing::ImportBatch;
using ::smdp::profiles::testing::NewTempDir;
using ::smdp::profiles::testing::SimulatedClock;
using ::smdp::profiles::testing::TestIccid;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

const absl::Time kStart = absl::FromUnixSeconds(1800000000);

// What a receiver got: ICCID, point, functionCallIdentifier.
struct Received {
  std::string iccid;
  int point;
  std::string call_id;
  bool operator==(const Received& o) const {
    return iccid == o.iccid && point == o.point && call_id == o.call_id;
  }
};

class Receiver {
 public:
  void Add(const es2plus::HandleDownloadProgressInfoRequest& r) {
    absl::MutexLock lock(&mu_);
    requests_.push_back(r);
  }
  std::vector<es2plus::HandleDownloadProgressInfoRequest> Take() {
    absl::MutexLock lock(&mu_);
    return std::move(requests_);
  }

 private:
  absl::Mutex mu_;
  std::vector<es2plus::HandleDownloadProgressInfoRequest> requests_
      ABSL_GUARDED_BY(mu_);
};

// The operator's ES2+ endpoint in the GSMA binding, client certificate
// required.
absl::StatusOr<std::unique_ptr<http::GsmaHttpServer>> StartHttpsReceiver(
    Receiver& receiver, int port = 0) {
  const auto& pki = http::internal::GetTestTlsPki();
  http::GsmaHttpServerOptions options;
  options.listen_address = absl::StrCat("127.0.0.1:", port);
  options.certificate_chain_files = {pki.server_chain_file};
  options.private_key_file = pki.server_key_file;
  options.client_certificate_mode = http::ClientCertificateMode::kRequired;
  options.client_ca_files = {pki.ci_pem_file};
  ASSIGN_OR_RETURN(auto server, http::GsmaHttpServer::Create(options));
  RETURN_IF_ERROR(server->AddHandler(
      "/gsma/rsp2/es2plus/handleDownloadProgressInfo",
      [&receiver](const http::HttpCall& call) {
        es2plus::HandleDownloadProgressInfoRequest r;
        google::protobuf::util::JsonParseOptions parse;
        parse.ignore_unknown_fields = false;
        if (!call.client_certificate_der.has_value() ||
            !google::protobuf::util::JsonStringToMessage(call.body, &r, parse)
                 .ok()) {
          return http::HttpAnswer{.status = 400};
        }
        receiver.Add(r);
        return http::HttpAnswer{.status = 204};
      }));
  RETURN_IF_ERROR(server->Start());
  return server;
}

class GrpcReceiver : public es2plus::Es2PlusOperator::Service {
 public:
  explicit GrpcReceiver(Receiver& r) : receiver_(r) {}
  grpc::Status HandleDownloadProgressInfo(
      grpc::ServerContext* context,
      const es2plus::HandleDownloadProgressInfoRequest* request,
      es2plus::HandleDownloadProgressInfoResponse*) override {
    if (context->auth_context()->GetPeerIdentity().empty()) {
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "no client cert");
    }
    receiver_.Add(*request);
    return grpc::Status::OK;
  }

 private:
  Receiver& receiver_;
};

OperatorEndpoint Endpoint(std::string url) {
  const auto& pki = http::internal::GetTestTlsPki();
  OperatorEndpoint e;
  e.url = std::move(url);
  e.trust_anchor_files = {pki.ci_pem_file};
  e.client_certificate_chain_file = pki.client_chain_file;
  e.client_private_key_file = pki.client_key_file;
  e.timeout = absl::Seconds(5);
  return e;
}

class ProgressNotifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = NewTempDir("notifier");
    Open();
    ASSERT_OK(ImportBatch(*store_, "b1", "op1", "consumer", 0, 4));
    ASSERT_OK(ImportBatch(*store_, "b2", "op2", "consumer", 10, 1));
  }

  void Open() {
    store_.reset();
    profiles::RocksDbProfileStoreOptions options;
    options.path = dir_;
    options.clock = clock_.AsFunction();
    ASSERT_OK_AND_ASSIGN(store_, profiles::RocksDbProfileStore::Open(options));
  }

  // Queues a callback for `iccid` at `point`, as the download service does.
  void Queue(const std::string& iccid, int point, bool success = true) {
    es2plus::HandleDownloadProgressInfoRequest info;
    info.set_eid("89049032123451234512345678901235");
    info.set_notification_point_id(point);
    info.set_timestamp("2027-01-15T08:00:00Z");
    info.mutable_notification_point_status()->set_status(
        success ? "Executed-Success" : "Failed");
    if (point == 4) info.set_result_data(std::string("\xBF\x37\x00", 3));
    profiles::TransitionRequest t;
    t.iccid = iccid;
    ASSERT_OK_AND_ASSIGN(store::ProfileRecord r, store_->GetProfile(iccid));
    t.from = {r.state()};
    t.to = r.state();
    t.audit.set_action("test");
    store::OutboxEntry entry;
    entry.set_notification_point_id(point);
    entry.set_payload(info.SerializeAsString());
    t.notify = entry;
    ASSERT_OK(store_->Transition(t).status());
  }

  std::unique_ptr<ProgressNotifier> Notifier(
      std::map<std::string, std::unique_ptr<OperatorChannel>> channels) {
    ProgressNotifierOptions options;
    options.requester_identifier = "smdp.example.com";
    options.clock = clock_.AsFunction();
    options.initial_backoff = absl::Seconds(2);
    options.max_backoff = absl::Seconds(60);
    return std::make_unique<ProgressNotifier>(options, *store_,
                                              std::move(channels));
  }

  // Runs rounds until one delivers nothing.
  NotifierRound Drain(ProgressNotifier& n) {
    NotifierRound total;
    for (int i = 0; i < 50; ++i) {
      absl::StatusOr<NotifierRound> r = n.RunOnce();
      EXPECT_OK(r.status());
      if (!r.ok()) break;
      total.delivered += r->delivered;
      total.failed += r->failed;
      total.dropped += r->dropped;
      if (r->delivered + r->dropped == 0) break;
    }
    return total;
  }

  static std::vector<Received> Summary(
      const std::vector<es2plus::HandleDownloadProgressInfoRequest>& got) {
    std::vector<Received> out;
    for (const auto& r : got) {
      out.push_back({r.iccid(), r.notification_point_id(),
                     r.header().function_call_identifier()});
    }
    return out;
  }

  std::vector<uint64_t> OutboxIds() {
    auto leased = store_->LeaseOutbox(clock_.Now() + absl::Hours(100), 1000,
                                      absl::Seconds(1));
    std::vector<uint64_t> ids;
    for (const auto& e : *leased) ids.push_back(e.id());
    return ids;
  }

  SimulatedClock clock_{kStart};
  std::string dir_;
  std::unique_ptr<profiles::RocksDbProfileStore> store_;
};

TEST_F(ProgressNotifierTest, DeliversOverHttpsInOrderPerProfile) {
  Receiver receiver;
  ASSERT_OK_AND_ASSIGN(auto server, StartHttpsReceiver(receiver));
  const std::string a = TestIccid(0), b = TestIccid(1);
  Queue(a, 1);
  Queue(a, 3);
  Queue(b, 1);
  Queue(a, 4, /*success=*/false);
  std::map<std::string, std::unique_ptr<OperatorChannel>> channels;
  ASSERT_OK_AND_ASSIGN(channels["op1"],
                       MakeOperatorChannel(Endpoint(absl::StrCat(
                           "https://localhost:", server->port()))));
  auto notifier = Notifier(std::move(channels));
  NotifierRound round = Drain(*notifier);
  EXPECT_EQ(round.delivered, 4u);
  EXPECT_EQ(round.failed, 0u);

  std::vector<es2plus::HandleDownloadProgressInfoRequest> got = receiver.Take();
  ASSERT_EQ(got.size(), 4u);
  std::vector<int> a_points;
  for (const auto& r : got) {
    if (r.iccid() == a) a_points.push_back(r.notification_point_id());
  }
  EXPECT_THAT(a_points, ElementsAre(1, 3, 4));
  const auto& last = got.back();
  EXPECT_EQ(last.iccid(), a);
  EXPECT_EQ(last.profile_type(), "consumer");
  EXPECT_EQ(last.eid(), "89049032123451234512345678901235");
  EXPECT_EQ(last.timestamp(), "2027-01-15T08:00:00Z");
  EXPECT_EQ(last.notification_point_status().status(), "Failed");
  EXPECT_EQ(last.result_data(), std::string("\xBF\x37\x00", 3));
  EXPECT_EQ(last.header().function_requester_identifier(), "smdp.example.com");
  EXPECT_THAT(last.header().function_call_identifier(),
              ::testing::StartsWith("outbox-"));
  EXPECT_THAT(OutboxIds(), IsEmpty());
  server->Shutdown(absl::Seconds(1));
}

TEST_F(ProgressNotifierTest, DeliversOverGrpcWithClientCertificate) {
  const auto& pki = http::internal::GetTestTlsPki();
  Receiver receiver;
  GrpcReceiver service(receiver);
  grpc::SslServerCredentialsOptions ssl(
      GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  ASSERT_OK_AND_ASSIGN(ssl.pem_root_certs, ReadFile(pki.ci_pem_file));
  grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
  ASSERT_OK_AND_ASSIGN(pair.cert_chain, ReadFile(pki.server_chain_file));
  ASSERT_OK_AND_ASSIGN(pair.private_key, ReadFile(pki.server_key_file));
  ssl.pem_key_cert_pairs.push_back(pair);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::SslServerCredentials(ssl),
                           &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);

  Queue(TestIccid(0), 3);
  Queue(TestIccid(0), 4);
  std::map<std::string, std::unique_ptr<OperatorChannel>> channels;
  ASSERT_OK_AND_ASSIGN(
      channels["op1"],
      MakeOperatorChannel(Endpoint(absl::StrCat("grpc://localhost:", port))));
  auto notifier = Notifier(std::move(channels));
  EXPECT_EQ(Drain(*notifier).delivered, 2u);
  std::vector<Received> got = Summary(receiver.Take());
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].point, 3);
  EXPECT_EQ(got[1].point, 4);
  server->Shutdown();
}

TEST_F(ProgressNotifierTest, ReceiverDownRetriesAcrossARestartLosingNothing) {
  // Find a free port, then leave it closed: the operator is down.
  Receiver receiver;
  int port = 0;
  {
    ASSERT_OK_AND_ASSIGN(auto probe, StartHttpsReceiver(receiver));
    port = probe->port();
    probe->Shutdown(absl::ZeroDuration());
  }
  const std::string a = TestIccid(0), b = TestIccid(1);
  Queue(a, 1);
  Queue(b, 1);
  Queue(a, 3);
  const std::string url = absl::StrCat("https://localhost:", port);
  {
    std::map<std::string, std::unique_ptr<OperatorChannel>> channels;
    ASSERT_OK_AND_ASSIGN(channels["op1"], MakeOperatorChannel(Endpoint(url)));
    auto notifier = Notifier(std::move(channels));
    for (int i = 0; i < 4; ++i) {  // an hour of failures
      absl::StatusOr<NotifierRound> r = notifier->RunOnce();
      ASSERT_OK(r.status());
      EXPECT_EQ(r->delivered, 0u);
      clock_.Advance(absl::Minutes(15));
    }
  }
  Open();  // smdpd restarts
  Queue(b, 3);
  ASSERT_OK_AND_ASSIGN(auto server, StartHttpsReceiver(receiver, port));
  std::map<std::string, std::unique_ptr<OperatorChannel>> channels;
  ASSERT_OK_AND_ASSIGN(channels["op1"], MakeOperatorChannel(Endpoint(url)));
  auto notifier = Notifier(std::move(channels));
  clock_.Advance(absl::Minutes(2));  // past the longest backoff
  EXPECT_EQ(Drain(*notifier).delivered, 4u);
  std::vector<Received> got = Summary(receiver.Take());
  std::vector<int> a_points, b_points;
  for (const Received& r : got) {
    (r.iccid == a ? a_points : b_points).push_back(r.point);
  }
  EXPECT_THAT(a_points, ElementsAre(1, 3));
  EXPECT_THAT(b_points, ElementsAre(1, 3));
  EXPECT_THAT(OutboxIds(), IsEmpty());
  server->Shutdown(absl::Seconds(1));
}

TEST_F(ProgressNotifierTest, BackoffDoublesUpToTheMaximum) {
  Queue(TestIccid(0), 1);
  std::map<std::string, std::unique_ptr<OperatorChannel>> channels;
  ASSERT_OK_AND_ASSIGN(channels["op1"],
                       MakeOperatorChannel(Endpoint("https://127.0.0.1:1")));
  auto notifier = Notifier(std::move(channels));
  // 2 s, 4 s, 8 s, ... 60 s: due exactly then, not a moment earlier.
  for (int64_t wait : {2, 4, 8, 16, 32, 60, 60}) {
    ASSERT_OK_AND_ASSIGN(NotifierRound r, notifier->RunOnce());
    EXPECT_EQ(r.failed, 1u) << wait;
    clock_.Advance(absl::Seconds(wait) - absl::Milliseconds(1));
    ASSERT_OK_AND_ASSIGN(r, notifier->RunOnce());
    EXPECT_EQ(r.failed, 0u) << wait;
    clock_.Advance(absl::Milliseconds(1));
  }
}

TEST_F(ProgressNotifierTest, OperatorWithoutEndpointIsDropped) {
  Queue(TestIccid(10), 1);  // op2: no channel
  auto notifier = Notifier({});
  NotifierRound round = Drain(*notifier);
  EXPECT_EQ(round.dropped, 1u);
  EXPECT_THAT(OutboxIds(), IsEmpty());
}

TEST_F(ProgressNotifierTest, ChannelConfigurationErrors) {
  OperatorEndpoint e = Endpoint("ftp://x");
  EXPECT_THAT(MakeOperatorChannel(e).status(),
              matchers::StatusIs(absl::StatusCode::kInvalidArgument));
  e = Endpoint("https://localhost:1");
  e.client_certificate_chain_file.clear();
  e.client_private_key_file.clear();
  absl::Status s = MakeOperatorChannel(e).status();
  EXPECT_THAT(s, matchers::StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(s.message(), HasSubstr("mutual TLS"));
  e = Endpoint("https://localhost:1");
  e.trust_anchor_files = {"/nonexistent.pem"};
  EXPECT_FALSE(MakeOperatorChannel(e).ok());
}

}  // namespace
}  // namespace smdp::order
