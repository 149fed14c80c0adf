// ES9+ end to end over the real transports, in one process: the download
// service (keys in a SoftHSM token, our dev PKI, a RocksDB store with
// imported PPK-protected and plain profiles) behind the gRPC service and the
// GSMA HTTPS binding on 127.0.0.1; the software eUICC downloads through each,
// checks and decrypts with its own code, and its notification moves the
// profile to INSTALLED. The decrypted profile equals the stored one.
#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "api/es9plus.grpc.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "hsm/softhsm_test_token.h"
#include "profiles/import/batch_importer.h"
#include "profiles/preparation/profile_preparer.h"
#include "profiles/preparation/test_subscribers.h"
#include "profiles/rocksdb/rocksdb_profile_store.h"
#include "profiles/saip/template_builder.h"
#include "smdp/auth/ci_trust_store.h"
#include "smdp/bsp/bsp_decoder.h"
#include "smdp/bsp/bsp_format.h"
#include "smdp/download/download_service.h"
#include "smdp/grpc/es9plus_service.h"
#include "smdp/http/es9plus_binding.h"
#include "smdp/http/gsma_http_client.h"
#include "smdp/http/gsma_http_server.h"
#include "smdp/http/internal/test_tls_pki.h"
#include "smdp/pki/dev_pki.h"
#include "smdp/server/identity.h"
#include "tests/euicc/euicc_testing.h"
#include "tests/euicc/software_euicc.h"
#include "util/status_macros.h"
#include "util/status_matchers.h"

namespace smdp {
namespace {

using ::smdp::hsm::Curve;
using ::smdp::matchers::IsOk;
namespace ptest = ::smdp::profiles::preparation::testing;

// One way to reach the ES9+ functions.
class Es9Client {
 public:
  virtual ~Es9Client() = default;
  virtual absl::StatusOr<es9plus::InitiateAuthenticationResponse> Call(
      const es9plus::InitiateAuthenticationRequest& r) = 0;
  virtual absl::StatusOr<es9plus::AuthenticateClientResponse> Call(
      const es9plus::AuthenticateClientRequest& r) = 0;
  virtual absl::StatusOr<es9plus::GetBoundProfilePackageResponse> Call(
      const es9plus::GetBoundProfilePackageRequest& r) = 0;
  virtual absl::Status Call(const es9plus::HandleNotificationRequest& r) = 0;
};

class GrpcClient : public Es9Client {
 public:
  explicit GrpcClient(const std::string& target)
      : stub_(es9plus::Es9Plus::NewStub(
            grpc::CreateChannel(target, grpc::InsecureChannelCredentials()))) {}

  template <typename Req, typename Resp, typename Method>
  absl::StatusOr<Resp> Do(const Req& request, Method method) {
    grpc::ClientContext context;
    Resp response;
    grpc::Status s = ((*stub_).*method)(&context, request, &response);
    if (!s.ok()) return absl::UnavailableError(s.error_message());
    return response;
  }
  absl::StatusOr<es9plus::InitiateAuthenticationResponse> Call(
      const es9plus::InitiateAuthenticationRequest& r) override {
    return Do<es9plus::InitiateAuthenticationRequest,
              es9plus::InitiateAuthenticationResponse>(
        r, &es9plus::Es9Plus::Stub::InitiateAuthentication);
  }
  absl::StatusOr<es9plus::AuthenticateClientResponse> Call(
      const es9plus::AuthenticateClientRequest& r) override {
    return Do<es9plus::AuthenticateClientRequest,
              es9plus::AuthenticateClientResponse>(
        r, &es9plus::Es9Plus::Stub::AuthenticateClient);
  }
  absl::StatusOr<es9plus::GetBoundProfilePackageResponse> Call(
      const es9plus::GetBoundProfilePackageRequest& r) override {
    return Do<es9plus::GetBoundProfilePackageRequest,
              es9plus::GetBoundProfilePackageResponse>(
        r, &es9plus::Es9Plus::Stub::GetBoundProfilePackage);
  }
  absl::Status Call(const es9plus::HandleNotificationRequest& r) override {
    return Do<es9plus::HandleNotificationRequest,
              es9plus::HandleNotificationResponse>(
               r, &es9plus::Es9Plus::Stub::HandleNotification)
        .status();
  }

 private:
  std::unique_ptr<es9plus::Es9Plus::Stub> stub_;
};

// The GSMA binding as an LPA speaks it: JSON over HTTPS, no request header.
class HttpsClient : public Es9Client {
 public:
  HttpsClient(std::unique_ptr<http::GsmaHttpClient> client, std::string base)
      : client_(std::move(client)), base_(std::move(base)) {}

  template <typename Resp>
  absl::StatusOr<Resp> Do(const google::protobuf::Message& request,
                          absl::string_view function, int* status = nullptr) {
    std::string json;
    if (!google::protobuf::util::MessageToJsonString(request, &json).ok()) {
      return absl::InternalError("cannot print JSON");
    }
    auto answer = client_->Post(absl::StrCat(base_, function), json);
    if (!answer.ok()) return answer.status();
    if (status != nullptr) *status = answer->status;
    Resp response;
    if (answer->status == 204) return response;
    if (answer->status != 200) {
      return absl::UnavailableError(absl::StrCat("HTTP ", answer->status));
    }
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = false;  // we must send nothing unknown
    if (!google::protobuf::util::JsonStringToMessage(answer->body, &response,
                                                     options)
             .ok()) {
      return absl::DataLossError(absl::StrCat("bad JSON: ", answer->body));
    }
    return response;
  }
  absl::StatusOr<es9plus::InitiateAuthenticationResponse> Call(
      const es9plus::InitiateAuthenticationRequest& r) override {
    return Do<es9plus::InitiateAuthenticationResponse>(
        r, "initiateAuthentication");
  }
  absl::StatusOr<es9plus::AuthenticateClientResponse> Call(
      const es9plus::AuthenticateClientRequest& r) override {
    return Do<es9plus::AuthenticateClientResponse>(r, "authenticateClient");
  }
  absl::StatusOr<es9plus::GetBoundProfilePackageResponse> Call(
      const es9plus::GetBoundProfilePackageRequest& r) override {
    return Do<es9plus::GetBoundProfilePackageResponse>(
        r, "getBoundProfilePackage");
  }
  absl::Status Call(const es9plus::HandleNotificationRequest& r) override {
    int status = 0;
    auto answer = Do<es9plus::HandleNotificationResponse>(
        r, "handleNotification", &status);
    if (!answer.ok()) return answer.status();
    if (status != 204) return absl::DataLossError("handleNotification not 204");
    return absl::OkStatus();
  }

 private:
  std::unique_ptr<http::GsmaHttpClient> client_;
  std::string base_;
};

struct World {
  std::unique_ptr<hsm::SoftHsmTestToken> token;
  std::unique_ptr<hsm::Pkcs11Provider> provider;
  std::unique_ptr<hsm::SecretKey> kek;
  pki::DevPki dev;
  std::unique_ptr<profiles::RocksDbProfileStore> store;
  std::unique_ptr<download::DownloadService> service;
  std::unique_ptr<Es9PlusGrpcService> grpc_service;
  std::unique_ptr<grpc::Server> grpc_server;
  std::string grpc_target;
  std::unique_ptr<http::GsmaHttpServer> https;
  std::string template_upp;
};

World* world = nullptr;

absl::Status SetUpWorld() {
  world = new World();
  World& w = *world;
  ASSIGN_OR_RETURN(w.token, hsm::SoftHsmTestToken::Create());
  ASSIGN_OR_RETURN(w.provider, w.token->OpenProvider());
  ASSIGN_OR_RETURN(w.kek, w.provider->GetOrCreateSecretKey("kek"));
  pki::DevPkiOptions pki_options;
  pki_options.dir = absl::StrCat(getenv("TEST_TMPDIR"), "/pki");
  ASSIGN_OR_RETURN(w.dev, pki::EnsureDevPki(pki_options, *w.provider));
  std::vector<SmdpIdentity> identities;
  std::vector<std::string> cis;
  for (const config::Identity& id : {DevPkiIdentityConfig("nist", w.dev.nist),
                                     DevPkiIdentityConfig("brp", w.dev.brp)}) {
    ASSIGN_OR_RETURN(SmdpIdentity identity, LoadIdentity(id, *w.provider));
    cis.push_back(identity.ci_cert);
    identities.push_back(std::move(identity));
  }
  profiles::RocksDbProfileStoreOptions store_options;
  store_options.path = absl::StrCat(getenv("TEST_TMPDIR"), "/store");
  ASSIGN_OR_RETURN(w.store, profiles::RocksDbProfileStore::Open(store_options));
  ASSIGN_OR_RETURN(w.template_upp, profiles::saip::BuildTemplate());
  profiles::BatchImporter importer(*w.store, *w.kek, "kek");
  for (bool ppk : {true, false}) {
    profiles::ImportRequest r;
    r.batch_id = ppk ? "ppk" : "plain";
    r.operator_id = "op1";
    r.profile_type = ppk ? "ppk" : "plain";
    r.metadata.set_service_provider_name("Operator One");
    r.metadata.set_profile_name("E2E");
    r.ppk = ppk;
    r.template_upp = w.template_upp;
    // Distinct ICCIDs per batch: rows 0..7 and 100..107.
    std::string csv = ptest::TestCsvHeader();
    for (size_t i = 0; i < 8; ++i) csv += ptest::TestCsvLine(ppk ? i : 100 + i);
    r.csv = csv;
    RETURN_IF_ERROR(importer.Import(r).status());
  }
  ASSIGN_OR_RETURN(auto trust, auth::CiTrustStore::Create(cis));
  download::DownloadServiceOptions options;
  options.smdp_address = w.dev.smdp_address;
  options.smdp_oid = w.dev.smdp_oid;
  ASSIGN_OR_RETURN(w.service, download::DownloadService::Create(
                                  options, identities, std::move(trust),
                                  *w.store, *w.kek, *w.provider));

  w.grpc_service = std::make_unique<Es9PlusGrpcService>(*w.service);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                           &port);
  builder.RegisterService(w.grpc_service.get());
  w.grpc_server = builder.BuildAndStart();
  if (w.grpc_server == nullptr) return absl::InternalError("gRPC start");
  w.grpc_target = absl::StrCat("127.0.0.1:", port);

  const auto& tls = http::internal::GetTestTlsPki();
  http::GsmaHttpServerOptions http_options;
  http_options.certificate_chain_files = {tls.server_chain_file};
  http_options.private_key_file = tls.server_key_file;
  ASSIGN_OR_RETURN(w.https, http::GsmaHttpServer::Create(http_options));
  RETURN_IF_ERROR(http::AddEs9PlusHandlers(*w.https, *w.service));
  RETURN_IF_ERROR(w.https->Start());
  return absl::OkStatus();
}

// A profile ordered and released for `eid` under `matching_id`, as ES2+ will.
absl::Status OrderAndRelease(const std::string& iccid,
                             const std::string& matching_id) {
  for (auto [from, to] : {std::pair{store::AVAILABLE, store::ALLOCATED},
                          std::pair{store::ALLOCATED, store::CONFIRMED},
                          std::pair{store::CONFIRMED, store::RELEASED}}) {
    profiles::TransitionRequest t;
    t.iccid = iccid;
    t.from = {from};
    t.to = to;
    if (to == store::CONFIRMED) {
      t.mutate = [&](store::ProfileRecord& r) {
        r.mutable_order()->set_matching_id(matching_id);
        return absl::OkStatus();
      };
    }
    t.audit.set_actor("operator:op1");
    t.audit.set_action("test order");
    RETURN_IF_ERROR(world->store->Transition(t).status());
  }
  return absl::OkStatus();
}

struct Case {
  bool https;
  Curve curve;
  bool ppk;
};

class Es9TransportTest : public ::testing::TestWithParam<Case> {
 protected:
  static void SetUpTestSuite() {
    if (world == nullptr) ASSERT_THAT(SetUpWorld(), IsOk());
  }

  std::unique_ptr<Es9Client> Client() {
    if (!GetParam().https) {
      return std::make_unique<GrpcClient>(world->grpc_target);
    }
    http::GsmaHttpClientOptions options;
    options.trust_anchor_files = {http::internal::GetTestTlsPki().ci_pem_file};
    auto client = http::GsmaHttpClient::Create(options);
    EXPECT_THAT(client.status(), IsOk());
    return std::make_unique<HttpsClient>(
        *std::move(client),
        absl::StrCat("https://localhost:", world->https->port(),
                     "/gsma/rsp2/es9plus/"));
  }
};

TEST_P(Es9TransportTest, DownloadInstallsTheStoredProfile) {
  const Case& c = GetParam();
  static int n = 0;
  int index = n++;
  std::string iccid = ptest::TestIccid((c.ppk ? 0 : 100) + index);
  std::string matching_id = absl::StrCat("E2E-", index);
  ASSERT_THAT(OrderAndRelease(iccid, matching_id), IsOk());
  auto creds = euicc::testing::DevPkiEuicc(world->dev.ForCurve(c.curve));
  ASSERT_THAT(creds.status(), IsOk());
  auto euicc = euicc::SoftwareEuicc::Create(creds->ToConfig());
  ASSERT_THAT(euicc.status(), IsOk());
  auto client = Client();
  const std::string address = world->dev.smdp_address;

  es9plus::InitiateAuthenticationRequest init;
  auto challenge = (*euicc)->GetEuiccChallenge();
  ASSERT_THAT(challenge.status(), IsOk());
  init.set_euicc_challenge(*challenge);
  init.set_euicc_info1((*euicc)->GetEuiccInfo1());
  init.set_smdp_address(address);
  auto initiated = client->Call(init);
  ASSERT_THAT(initiated.status(), IsOk());
  ASSERT_EQ(initiated->header().function_execution_status().status(),
            "Executed-Success")
      << initiated->DebugString();

  euicc::InitiateAuthenticationFields fields;
  fields.server_signed1 = initiated->server_signed1();
  fields.server_signature1 = initiated->server_signature1();
  fields.euicc_ci_pkid_to_be_used = initiated->euicc_ci_pk_id_to_be_used();
  fields.server_certificate = initiated->server_certificate();
  auto authenticated = (*euicc)->AuthenticateServer(
      fields, euicc::MakeCtxParams1(matching_id), address);
  ASSERT_TRUE(authenticated.ok()) << authenticated.status;

  es9plus::AuthenticateClientRequest auth;
  auth.set_transaction_id(initiated->transaction_id());
  auth.set_authenticate_server_response(authenticated.der);
  auto client_auth = client->Call(auth);
  ASSERT_THAT(client_auth.status(), IsOk());
  ASSERT_EQ(client_auth->header().function_execution_status().status(),
            "Executed-Success")
      << client_auth->DebugString();

  euicc::AuthenticateClientFields client_fields;
  client_fields.smdp_signed2 = client_auth->smdp_signed2();
  client_fields.smdp_signature2 = client_auth->smdp_signature2();
  client_fields.smdp_certificate = client_auth->smdp_certificate();
  auto prepared = (*euicc)->PrepareDownload(client_fields, std::nullopt);
  ASSERT_TRUE(prepared.ok()) << prepared.status;

  es9plus::GetBoundProfilePackageRequest get;
  get.set_transaction_id(initiated->transaction_id());
  get.set_prepare_download_response(prepared.der);
  auto bpp = client->Call(get);
  ASSERT_THAT(bpp.status(), IsOk());
  ASSERT_EQ(bpp->header().function_execution_status().status(),
            "Executed-Success")
      << bpp->header().DebugString();
  auto loaded = (*euicc)->LoadBoundProfilePackage(bpp->bound_profile_package());
  ASSERT_THAT(loaded.status(), IsOk());
  ASSERT_THAT(loaded->status, IsOk());
  EXPECT_EQ(loaded->used_ppk, c.ppk);

  auto record = world->store->GetProfile(iccid);
  ASSERT_THAT(record.status(), IsOk());
  EXPECT_EQ(record->state(), store::DOWNLOADED);

  es9plus::HandleNotificationRequest notify;
  notify.set_pending_notification(loaded->profile_installation_result);
  ASSERT_THAT(client->Call(notify), IsOk());
  record = world->store->GetProfile(iccid);
  ASSERT_THAT(record.status(), IsOk());
  EXPECT_EQ(record->state(), store::INSTALLED);

  // Re-open the stored profile with the KEK and compare with what the
  // eUICC decrypted.
  profiles::TransitionRequest touch;
  touch.iccid = iccid;
  touch.from = {store::INSTALLED};
  touch.to = store::INSTALLED;
  touch.with_content = true;
  touch.audit.set_actor("test");
  touch.audit.set_action("read content");
  auto full = world->store->Transition(touch);
  ASSERT_THAT(full.status(), IsOk());
  auto opened = profiles::preparation::OpenProfileForBinding(*std::move(full),
                                                             *world->kek);
  ASSERT_THAT(opened.status(), IsOk());
  std::string stored = opened->upp;
  if (opened->is_protected()) {
    // The personalised package that the stored PPK segments protect.
    auto decoder = bsp::BspDecoder::Create(opened->protected_profile->ppk);
    ASSERT_THAT(decoder.status(), IsOk());
    auto plain = decoder->DecryptSegments(bsp::kTagProfileSegment,
                                          opened->protected_profile->segments);
    ASSERT_THAT(plain.status(), IsOk());
    stored = *plain;
  }
  EXPECT_FALSE(stored.empty());
  EXPECT_TRUE(loaded->profile == stored) << "profile differs";
}

std::string Name(const ::testing::TestParamInfo<Case>& info) {
  return absl::StrCat(
      info.param.https ? "Https" : "Grpc",
      info.param.curve == Curve::kNistP256 ? "P256" : "Brainpool",
      info.param.ppk ? "Ppk" : "Plain");
}

INSTANTIATE_TEST_SUITE_P(
    All, Es9TransportTest,
    ::testing::Values(Case{false, Curve::kNistP256, true},
                      Case{false, Curve::kBrainpoolP256r1, false},
                      Case{true, Curve::kNistP256, true},
                      Case{true, Curve::kNistP256, false},
                      Case{true, Curve::kBrainpoolP256r1, true},
                      Case{false, Curve::kNistP256, false}),
    Name);

}  // namespace
}  // namespace smdp
