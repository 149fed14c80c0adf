// OperatorQuery over real TLS on 127.0.0.1, with smdpd's gRPC credentials,
// the dev TLS material (operators op1 and op2 certified by the dev client
// CA under their own CNs, and the dev admin), and a RocksDB store whose
// profiles the ES2+ order service moves.
#include "smdp/grpc/operator_query_service.h"

#include <grpcpp/grpcpp.h>
#include <openssl/sha.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "api/operator.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "profiles/rocksdb/internal/test_util.h"
#include "profiles/rocksdb/rocksdb_profile_store.h"
#include "smdp/grpc/tls_credentials.h"
#include "smdp/order/operator_registry.h"
#include "smdp/order/order_service.h"
#include "smdp/pki/dev_tls.h"
#include "util/file_util.h"
#include "util/status_matchers.h"

namespace smdp {
namespace {

using ::smdp::profiles::testing::ImportBatch;
using ::smdp::profiles::testing::NewTempDir;
using ::smdp::profiles::testing::TestIccid;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;

constexpr char kEid[] = "89049032123451234512345678901235";
constexpr char kTimeRegex[] =
    "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:"
    "[0-9]{2}Z";

struct Answer {
  grpc::Status status;
  operators::GetProfileStatusResponse response;
};

// One history entry as "actor action from -> to".
std::string Line(const operators::ProfileHistoryEntry& e) {
  return absl::StrCat(e.actor(), " ", e.action(), " ", e.from_state(), " -> ",
                      e.to_state());
}

// Profiles: op1 "consumer" TestIccid(0..4), op2 "consumer" TestIccid(100..101).
class OperatorQueryServiceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const std::string tmp = std::getenv("TEST_TMPDIR");
    absl::StatusOr<pki::DevTls> tls = pki::EnsureDevTls({.dir = tmp + "/tls"});
    ASSERT_OK(tls.status());
    tls_ = new pki::DevTls(*tls);
    absl::StatusOr<pki::DevTlsClient> op1 =
        pki::IssueDevClientCertificate(tls_->dir, "op1");
    ASSERT_OK(op1.status());
    op1_ = new pki::DevTlsClient(*op1);
    absl::StatusOr<pki::DevTlsClient> op2 =
        pki::IssueDevClientCertificate(tls_->dir, "op2");
    ASSERT_OK(op2.status());
    op2_ = new pki::DevTlsClient(*op2);
    absl::StatusOr<pki::DevTlsClient> op3 =
        pki::IssueDevClientCertificate(tls_->dir, "op3");
    ASSERT_OK(op3.status());
    op3_ = new pki::DevTlsClient(*op3);

    // op1 and op2 share the dev client CA, each with its own CN; op3 (same
    // CA) and the admin are no operator.
    absl::StatusOr<std::string> ca_pem = ReadFile(tls_->client_ca_cert);
    ASSERT_OK(ca_pem.status());
    std::vector<order::OperatorCredentials> credentials(2);
    credentials[0].op.id = "op1";
    credentials[0].client_ca_pem = *ca_pem;
    credentials[0].client_common_names = {"op1"};
    credentials[1].op.id = "op2";
    credentials[1].client_ca_pem = *ca_pem;
    credentials[1].client_common_names = {"op2"};
    absl::StatusOr<std::unique_ptr<order::OperatorRegistry>> registry =
        order::OperatorRegistry::Create(std::move(credentials));
    ASSERT_OK(registry.status());
    registry_ = registry->release();

    profiles::RocksDbProfileStoreOptions options;
    options.path = NewTempDir("operator_query");
    options.sync_writes = false;
    absl::StatusOr<std::unique_ptr<profiles::RocksDbProfileStore>> store =
        profiles::RocksDbProfileStore::Open(options);
    ASSERT_OK(store.status());
    store_ = store->release();
    ASSERT_OK(ImportBatch(*store_, "b1", "op1", "consumer", 0, 5));
    ASSERT_OK(ImportBatch(*store_, "b2", "op2", "consumer", 100, 2));
    absl::StatusOr<std::unique_ptr<order::OrderService>> orders =
        order::OrderService::Create({.smdp_address = "smdp.example.com"},
                                    *store_);
    ASSERT_OK(orders.status());
    orders_ = orders->release();

    service_ = new OperatorQueryGrpcService(*store_, *registry_);
    absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> server_tls =
        MakeGrpcServerCredentials(
            {tls_->server_chain, tls_->server_key, {tls_->client_ca_cert}});
    ASSERT_OK(server_tls.status());
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", *server_tls, &port_);
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &plain_port_);
    builder.RegisterService(service_);
    server_ = builder.BuildAndStart().release();
    ASSERT_NE(server_, nullptr);
  }

  static void TearDownTestSuite() {
    if (server_ != nullptr) server_->Shutdown();
    delete server_;
    delete service_;
    delete orders_;
    delete store_;
    delete registry_;
    delete op3_;
    delete op2_;
    delete op1_;
    delete tls_;
  }

  // GetProfileStatus over TLS with the client certificate `client` (none
  // when null).
  static Answer Query(const pki::DevTlsClient* client,
                      const std::string& iccid) {
    GrpcClientTlsFiles files{.ca_file = tls_->ca_cert};
    if (client != nullptr) {
      files.certificate_chain_file = client->cert;
      files.private_key_file = client->key;
    }
    absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
        CreateGrpcTlsChannel(absl::StrCat("127.0.0.1:", port_), files);
    EXPECT_OK(channel.status());
    if (!channel.ok()) return {};
    return Call(*channel, iccid);
  }

  static Answer Call(const std::shared_ptr<grpc::Channel>& channel,
                     const std::string& iccid) {
    auto stub = operators::OperatorQuery::NewStub(channel);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(10));
    operators::GetProfileStatusRequest request;
    request.set_iccid(iccid);
    Answer answer;
    answer.status = stub->GetProfileStatus(&context, request, &answer.response);
    return answer;
  }

  // DownloadOrder (with `eid`) and ConfirmOrder with release, as op1.
  static void OrderAndRelease(const std::string& iccid,
                              const std::string& matching_id,
                              const std::string& confirmation_code) {
    order::Operator op1{.id = "op1"};
    es2plus::DownloadOrderRequest download;
    download.set_iccid(iccid);
    download.set_eid(kEid);
    absl::StatusOr<es2plus::DownloadOrderResponse> ordered =
        orders_->DownloadOrder(op1, download);
    ASSERT_OK(ordered.status());
    ASSERT_EQ(ordered->header().function_execution_status().status(),
              "Executed-Success")
        << ordered->DebugString();
    es2plus::ConfirmOrderRequest confirm;
    confirm.set_iccid(iccid);
    confirm.set_matching_id(matching_id);
    confirm.set_confirmation_code(confirmation_code);
    confirm.set_release_flag(true);
    absl::StatusOr<es2plus::ConfirmOrderResponse> confirmed =
        orders_->ConfirmOrder(op1, confirm);
    ASSERT_OK(confirmed.status());
    ASSERT_EQ(confirmed->header().function_execution_status().status(),
              "Executed-Success")
        << confirmed->DebugString();
  }

  static pki::DevTls* tls_;
  static pki::DevTlsClient* op1_;
  static pki::DevTlsClient* op2_;
  static pki::DevTlsClient* op3_;
  static order::OperatorRegistry* registry_;
  static profiles::RocksDbProfileStore* store_;
  static order::OrderService* orders_;
  static OperatorQueryGrpcService* service_;
  static grpc::Server* server_;
  static int port_;
  static int plain_port_;
};

pki::DevTls* OperatorQueryServiceTest::tls_ = nullptr;
pki::DevTlsClient* OperatorQueryServiceTest::op1_ = nullptr;
pki::DevTlsClient* OperatorQueryServiceTest::op2_ = nullptr;
pki::DevTlsClient* OperatorQueryServiceTest::op3_ = nullptr;
order::OperatorRegistry* OperatorQueryServiceTest::registry_ = nullptr;
profiles::RocksDbProfileStore* OperatorQueryServiceTest::store_ = nullptr;
order::OrderService* OperatorQueryServiceTest::orders_ = nullptr;
OperatorQueryGrpcService* OperatorQueryServiceTest::service_ = nullptr;
grpc::Server* OperatorQueryServiceTest::server_ = nullptr;
int OperatorQueryServiceTest::port_ = 0;
int OperatorQueryServiceTest::plain_port_ = 0;

TEST_F(OperatorQueryServiceTest, OwnProfileGivesStateOrderAndHistory) {
  const std::string iccid = TestIccid(0);
  OrderAndRelease(iccid, "QUERY-1", "7391");

  Answer a = Query(op1_, iccid);
  ASSERT_TRUE(a.status.ok()) << a.status.error_message();
  const operators::GetProfileStatusResponse& r = a.response;
  EXPECT_EQ(r.iccid(), iccid);
  EXPECT_EQ(r.state(), "RELEASED");
  EXPECT_EQ(r.profile_type(), "consumer");
  EXPECT_EQ(r.eid(), kEid);
  EXPECT_EQ(r.matching_id(), "QUERY-1");
  EXPECT_THAT(r.order_expires_at(), MatchesRegex(kTimeRegex));
  EXPECT_GT(
      r.order_expires_at(),
      absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now(), absl::UTCTimeZone()));
  // Oldest first: the import, then op1's order (with an EID: reserved,
  // then bound) and its confirmation.
  std::vector<std::string> lines;
  for (const operators::ProfileHistoryEntry& e : r.history()) {
    lines.push_back(Line(e));
    EXPECT_THAT(e.time(), MatchesRegex(kTimeRegex)) << Line(e);
  }
  EXPECT_THAT(lines,
              ElementsAre("system CommitBatch UNSPECIFIED -> AVAILABLE",
                          "operator:op1 DownloadOrder AVAILABLE -> ALLOCATED",
                          "operator:op1 DownloadOrder ALLOCATED -> LINKED",
                          "operator:op1 ConfirmOrder LINKED -> RELEASED"));

  // No secret: the confirmation code's hash is nowhere in the answer.
  unsigned char hash[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>("7391"), 4, hash);
  EXPECT_EQ(r.SerializeAsString().find(
                std::string(reinterpret_cast<const char*>(hash), sizeof(hash))),
            std::string::npos);
  EXPECT_THAT(r.DebugString(), ::testing::Not(HasSubstr("7391")));

  // The ICCID padded with 'F' to 20 characters names the same profile.
  Answer padded = Query(op1_, iccid + "F");
  ASSERT_TRUE(padded.status.ok()) << padded.status.error_message();
  EXPECT_EQ(padded.response.iccid(), iccid);
  EXPECT_EQ(padded.response.history_size(), r.history_size());
}

TEST_F(OperatorQueryServiceTest, AvailableProfileHasNoOrder) {
  Answer a = Query(op1_, TestIccid(1));
  ASSERT_TRUE(a.status.ok()) << a.status.error_message();
  EXPECT_EQ(a.response.state(), "AVAILABLE");
  EXPECT_EQ(a.response.eid(), "");
  EXPECT_EQ(a.response.matching_id(), "");
  EXPECT_EQ(a.response.order_expires_at(), "");
  ASSERT_EQ(a.response.history_size(), 1);
  EXPECT_EQ(a.response.history(0).action(), "CommitBatch");
  EXPECT_EQ(a.response.history(0).to_state(), "AVAILABLE");
}

// Another operator's ICCID is answered exactly as one the SM-DP+ does not
// have: same code, same message.
TEST_F(OperatorQueryServiceTest, AnotherOperatorsIccidIsUnknown) {
  const std::string op1_iccid = TestIccid(2);
  const std::string unknown = TestIccid(900);
  Answer foreign = Query(op2_, op1_iccid);
  Answer missing = Query(op2_, unknown);
  EXPECT_EQ(foreign.status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(missing.status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(foreign.status.error_message(), "unknown ICCID " + op1_iccid);
  EXPECT_EQ(missing.status.error_message(), "unknown ICCID " + unknown);
  EXPECT_EQ(foreign.status.error_details(), missing.status.error_details());
  EXPECT_EQ(foreign.response.SerializeAsString(), "");
  // The other way round too, and each sees its own.
  Answer back = Query(op1_, TestIccid(100));
  EXPECT_EQ(back.status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(back.status.error_message(), "unknown ICCID " + TestIccid(100));
  Answer own = Query(op2_, TestIccid(100));
  ASSERT_TRUE(own.status.ok()) << own.status.error_message();
  EXPECT_EQ(own.response.state(), "AVAILABLE");
  EXPECT_TRUE(Query(op1_, op1_iccid).status.ok());
}

TEST_F(OperatorQueryServiceTest, MalformedIccidIsInvalidArgument) {
  for (const std::string& iccid :
       {std::string(""), std::string("8944"), std::string("89449900000000000x"),
        TestIccid(3) + "FF", std::string("894499000000000000123")}) {
    Answer a = Query(op1_, iccid);
    EXPECT_EQ(a.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << "'" << iccid << "': " << a.status.error_message();
  }
}

TEST_F(OperatorQueryServiceTest, NoClientCertificateIsUnauthenticated) {
  Answer a = Query(nullptr, TestIccid(0));
  EXPECT_EQ(a.status.error_code(), grpc::StatusCode::UNAUTHENTICATED)
      << a.status.error_message();
  // Nor on a plaintext listener.
  a = Call(grpc::CreateChannel(absl::StrCat("127.0.0.1:", plain_port_),
                               grpc::InsecureChannelCredentials()),
           TestIccid(0));
  EXPECT_EQ(a.status.error_code(), grpc::StatusCode::UNAUTHENTICATED)
      << a.status.error_message();
}

TEST_F(OperatorQueryServiceTest, CertificateOfNoOperatorIsPermissionDenied) {
  // The admin certificate: the admin uses Admin.GetProfile instead.
  Answer a = Query(&tls_->admin, TestIccid(0));
  EXPECT_EQ(a.status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
      << a.status.error_message();
  EXPECT_THAT(a.status.error_message(), HasSubstr("smdp-admin"));
  // A CN of an operator's CA that is no operator's; before the ICCID is
  // even looked at.
  a = Query(op3_, "not an iccid");
  EXPECT_EQ(a.status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
      << a.status.error_message();
  EXPECT_THAT(a.status.error_message(), HasSubstr("op3"));
}

}  // namespace
}  // namespace smdp
