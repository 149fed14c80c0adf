// smdpd (SmdpServer as a library, dev mode) serving the SGP.26 test
// identities: the SGP.26 DPauth/DPpb keys are imported into the dev SoftHSM
// token before start, the config names the SGP.26 certificates, and a
// software eUICC holding the SGP.26 eUICC certificate downloads over ES9+
// gRPC on both curves (NIST P-256 and brainpoolP256r1). Profiles are imported
// over Admin and ordered and confirmed over ES2+ gRPC by operator op1.
//
//   bazel test //tests/e2e:sgp26_smdpd_test
//     --test_env=SMDP_SGP26_DIR=/work/shared/sgp26
#include <grpcpp/grpcpp.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "api/es2plus.grpc.pb.h"
#include "gtest/gtest.h"
#include "hsm/crypto_provider.h"
#include "smdp/config/config.h"
#include "smdp/grpc/tls_credentials.h"
#include "smdp/pki/dev_tls.h"
#include "smdp/server/dev_environment.h"
#include "smdp/server/server.h"
#include "tests/e2e/smdpd_testing.h"
#include "tests/euicc/euicc_testing.h"
#include "tests/euicc/lpa.h"
#include "tests/euicc/software_euicc.h"
#include "util/file_util.h"
#include "util/status_macros.h"
#include "util/status_matchers.h"

namespace smdp {
namespace {

using ::smdp::euicc::testing::kSgp26SmdpAddress;
using ::smdp::euicc::testing::kSgp26SmdpOid;
using ::smdp::euicc::testing::LoadSgp26Euicc;
using ::smdp::euicc::testing::Sgp26Dir;

struct World {
  std::string sgp26_dir;
  std::string data_dir;
  pki::DevTls tls;
  pki::DevTlsClient op1;
  std::unique_ptr<SmdpServer> server;
};
World* world = nullptr;

// "nist" or "brp": the identity name and key label suffix for `curve`.
std::string IdentityName(hsm::Curve curve) {
  return curve == hsm::Curve::kNistP256 ? "nist" : "brp";
}

absl::Status SetUpWorld(const std::string& sgp26_dir) {
  world = new World();
  world->sgp26_dir = sgp26_dir;
  world->data_dir = absl::StrCat(getenv("TEST_TMPDIR"), "/sgp26smdpd");
  const std::string address(kSgp26SmdpAddress);
  ASSIGN_OR_RETURN(world->tls,
                   pki::EnsureDevTls({.dir = pki::DevTlsDir(world->data_dir),
                                      .smdp_address = address}));
  ASSIGN_OR_RETURN(world->op1,
                   pki::IssueDevClientCertificate(world->tls.dir, "op1"));

  config::ServerConfig config;
  config.set_data_dir(world->data_dir);
  config.set_smdp_address(address);
  config.set_smdp_oid(std::string(kSgp26SmdpOid));
  config.set_grpc_listen("127.0.0.1:0");
  // ES9+ over HTTPS with the SGP.26 CERT.DP.TLS (NIST), and over gRPC.
  config.set_es9_https_listen("127.0.0.1:0");
  config.set_tls_identity("nist");
  config.set_es2_https_listen("off");
  config.set_dev_mode(true);
  config::Operator& op = *config.add_operators();
  op.set_id("op1");
  op.add_client_ca_files(world->tls.client_ca_cert);
  op.add_client_common_names("op1");
  ApplyDefaults(config, /*from_file=*/true);
  RETURN_IF_ERROR(e2e::ImportSgp26Identities(
      world->sgp26_dir, /*brainpool_dptls=*/false, config));
  RETURN_IF_ERROR(ValidateConfig(config));
  ASSIGN_OR_RETURN(world->server, SmdpServer::Start(config));
  return e2e::ImportTestProfiles(world->server->grpc_address(), world->tls,
                                 "op1", "b-sgp26", 0, 4)
      .status();
}

struct Case {
  hsm::Curve curve;
  bool https;
};

class Sgp26SmdpdTest : public ::testing::TestWithParam<Case> {
 protected:
  static void SetUpTestSuite() {
    const std::string dir = Sgp26Dir();
    if (dir.empty() || world != nullptr) return;
    ASSERT_OK(SetUpWorld(dir));
  }
  void SetUp() override {
    if (Sgp26Dir().empty()) GTEST_SKIP() << "SMDP_SGP26_DIR is not set";
    ASSERT_NE(world, nullptr);
    ASSERT_NE(world->server, nullptr);
  }
};

TEST_P(Sgp26SmdpdTest, OrderConfirmAndDownloadWithTheSgp26Euicc) {
  const hsm::Curve curve = GetParam().curve;
  // The server runs the two SGP.26 identities.
  std::vector<std::string> names;
  for (const SmdpIdentity& id : world->server->identities()) {
    names.push_back(id.name);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"nist", "brp"}));

  ASSERT_OK_AND_ASSIGN(
      auto channel,
      CreateGrpcTlsChannel(world->server->grpc_address(),
                           {.ca_file = world->tls.ca_cert,
                            .certificate_chain_file = world->op1.cert,
                            .private_key_file = world->op1.key}));
  auto es2 = es2plus::Es2Plus::NewStub(channel);
  es2plus::DownloadOrderRequest order;
  order.mutable_header()->set_function_requester_identifier("op1-crm");
  order.mutable_header()->set_function_call_identifier(absl::StrCat(
      "order-", IdentityName(curve), GetParam().https ? "-https" : "-grpc"));
  order.set_profile_type("consumer");
  es2plus::DownloadOrderResponse ordered;
  {
    grpc::ClientContext context;
    grpc::Status s = es2->DownloadOrder(&context, order, &ordered);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  ASSERT_EQ(ordered.header().function_execution_status().status(),
            "Executed-Success")
      << ordered.DebugString();
  const std::string iccid = ordered.iccid();

  es2plus::ConfirmOrderRequest confirm;
  confirm.set_iccid(iccid);
  confirm.set_release_flag(true);
  es2plus::ConfirmOrderResponse confirmed;
  {
    grpc::ClientContext context;
    grpc::Status s = es2->ConfirmOrder(&context, confirm, &confirmed);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  ASSERT_EQ(confirmed.header().function_execution_status().status(),
            "Executed-Success")
      << confirmed.DebugString();
  EXPECT_EQ(confirmed.smdp_address(), kSgp26SmdpAddress);
  ASSERT_FALSE(confirmed.matching_id().empty());

  ASSERT_OK_AND_ASSIGN(euicc::testing::EuiccCredentials creds,
                       LoadSgp26Euicc(world->sgp26_dir, curve));
  ASSERT_OK_AND_ASSIGN(auto euicc,
                       euicc::SoftwareEuicc::Create(creds.ToConfig()));
  euicc::Es9ClientOptions es9;
  if (GetParam().https) {
    // As an LPA reaches testsmdpplus1.example.com: CERT.DP.TLS chains to
    // the SGP.26 CI. Checked at a time inside its validity (2026-07-21 to
    // 2027-02-06), so the test does not expire with it.
    es9.smdp = world->server->es9_https_address();
    es9.transport = euicc::Es9Transport::kHttps;
    es9.ca_file = absl::StrCat(world->sgp26_dir,
                               "/CertificateIssuer/CERT_CI_ECDSA_NIST.pem");
    es9.tls_server_name = std::string(kSgp26SmdpAddress);
    es9.tls_verify_time =
        absl::FromCivil(absl::CivilDay(2026, 12, 1), absl::UTCTimeZone());
    es9.strict = true;
  } else {
    es9.smdp = world->server->grpc_address();
    es9.transport = euicc::Es9Transport::kGrpc;
    es9.ca_file = world->tls.ca_cert;
  }
  ASSERT_OK_AND_ASSIGN(auto client, euicc::CreateEs9Client(es9));
  ASSERT_OK_AND_ASSIGN(
      euicc::DownloadResult result,
      euicc::DownloadProfile(*euicc, *client,
                             {.smdp_address = std::string(kSgp26SmdpAddress),
                              .matching_id = confirmed.matching_id()},
                             [](absl::string_view) {}));
  EXPECT_EQ(result.iccid, iccid);
  EXPECT_FALSE(result.profile.empty());
}

INSTANTIATE_TEST_SUITE_P(
    CurvesAndTransports, Sgp26SmdpdTest,
    ::testing::Values(Case{hsm::Curve::kNistP256, false},
                      Case{hsm::Curve::kBrainpoolP256r1, false},
                      Case{hsm::Curve::kNistP256, true},
                      Case{hsm::Curve::kBrainpoolP256r1, true}),
    [](const ::testing::TestParamInfo<Case>& info) {
      return absl::StrCat(
          info.param.curve == hsm::Curve::kNistP256 ? "Nist" : "Brainpool",
          info.param.https ? "Https" : "Grpc");
    });

}  // namespace
}  // namespace smdp
