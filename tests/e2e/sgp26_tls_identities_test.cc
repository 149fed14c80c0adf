// smdpd (SmdpServer as a library, dev mode) with both SGP.26 CERT.DP.TLS
// (NIST P-256 and brainpoolP256r1, keys imported into the dev SoftHSM token)
// on one ES9+ HTTPS listener, and the brainpool one alone on a second
// listener (config field es9_https). A software eUICC of each curve
// downloads over the GSMA HTTPS binding through an LPA that trusts only its
// own curve's SGP.26 CI: each gets, and verifies, its own curve's
// CERT.DP.TLS.
//
//   bazel test //tests/e2e:sgp26_tls_identities_test
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
using ::smdp::euicc::testing::Sgp26CurveSuffix;
using ::smdp::euicc::testing::Sgp26Dir;

struct World {
  std::string sgp26_dir;
  pki::DevTls tls;
  pki::DevTlsClient op1;
  std::unique_ptr<SmdpServer> server;
};
World* world = nullptr;

std::string IdentityName(hsm::Curve curve) {
  return curve == hsm::Curve::kNistP256 ? "nist" : "brp";
}

absl::Status SetUpWorld(const std::string& sgp26_dir) {
  world = new World();
  world->sgp26_dir = sgp26_dir;
  const std::string data_dir =
      absl::StrCat(getenv("TEST_TMPDIR"), "/sgp26tlsids");
  const std::string address(kSgp26SmdpAddress);
  ASSIGN_OR_RETURN(world->tls,
                   pki::EnsureDevTls({.dir = pki::DevTlsDir(data_dir),
                                      .smdp_address = address}));
  ASSIGN_OR_RETURN(world->op1,
                   pki::IssueDevClientCertificate(world->tls.dir, "op1"));

  config::ServerConfig config;
  config.set_data_dir(data_dir);
  config.set_smdp_address(address);
  config.set_smdp_oid(std::string(kSgp26SmdpOid));
  config.set_grpc_listen("127.0.0.1:0");
  // Listener 0: every identity's CERT.DP.TLS (tls_identities empty);
  // listener 1: the brainpool one only.
  config.add_es9_https()->set_listen("127.0.0.1:0");
  config::Es9HttpsListener& brp_only = *config.add_es9_https();
  brp_only.set_listen("127.0.0.1:0");
  brp_only.add_tls_identities("brp");
  config.set_es2_https_listen("off");
  config.set_dev_mode(true);
  config::Operator& op = *config.add_operators();
  op.set_id("op1");
  op.add_client_ca_files(world->tls.client_ca_cert);
  op.add_client_common_names("op1");
  ApplyDefaults(config, /*from_file=*/true);
  RETURN_IF_ERROR(e2e::ImportSgp26Identities(world->sgp26_dir,
                                             /*brainpool_dptls=*/true, config));
  RETURN_IF_ERROR(ValidateConfig(config));
  ASSIGN_OR_RETURN(world->server, SmdpServer::Start(config));
  return e2e::ImportTestProfiles(world->server->grpc_address(), world->tls,
                                 "op1", "b-sgp26-tls", 0, 6)
      .status();
}

struct Case {
  hsm::Curve curve;
  size_t listener;
};

class Sgp26TlsIdentitiesTest : public ::testing::TestWithParam<Case> {
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

  // An ES2+ order for op1, confirmed and released: its matchingId and ICCID.
  static void Order(const std::string& call_id, std::string* iccid,
                    std::string* matching_id) {
    ASSERT_OK_AND_ASSIGN(
        auto channel,
        CreateGrpcTlsChannel(world->server->grpc_address(),
                             {.ca_file = world->tls.ca_cert,
                              .certificate_chain_file = world->op1.cert,
                              .private_key_file = world->op1.key}));
    auto es2 = es2plus::Es2Plus::NewStub(channel);
    es2plus::DownloadOrderRequest order;
    order.mutable_header()->set_function_requester_identifier("op1-crm");
    order.mutable_header()->set_function_call_identifier(call_id);
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
    es2plus::ConfirmOrderRequest confirm;
    confirm.set_iccid(ordered.iccid());
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
    *iccid = ordered.iccid();
    *matching_id = confirmed.matching_id();
  }

  // An LPA reaching testsmdpplus1.example.com on `listener`, trusting only
  // the SGP.26 CI of `curve`, checking CERT.DP.TLS at a time inside its
  // validity (2026-07-21 to 2027-02-06).
  static euicc::Es9ClientOptions Lpa(hsm::Curve curve, size_t listener) {
    euicc::Es9ClientOptions es9;
    es9.smdp = world->server->es9_https_addresses()[listener];
    es9.transport = euicc::Es9Transport::kHttps;
    es9.ca_file =
        absl::StrCat(world->sgp26_dir, "/CertificateIssuer/CERT_CI_ECDSA_",
                     Sgp26CurveSuffix(curve), ".pem");
    es9.tls_server_name = std::string(kSgp26SmdpAddress);
    es9.tls_verify_time =
        absl::FromCivil(absl::CivilDay(2026, 12, 1), absl::UTCTimeZone());
    es9.strict = true;
    return es9;
  }
};

TEST_P(Sgp26TlsIdentitiesTest, DownloadOverHttpsTrustingOnlyItsOwnCurvesCi) {
  const hsm::Curve curve = GetParam().curve;
  ASSERT_EQ(world->server->es9_https_addresses().size(), 2u);
  std::string iccid, matching_id;
  ASSERT_NO_FATAL_FAILURE(Order(
      absl::StrCat("order-", IdentityName(curve), "-", GetParam().listener),
      &iccid, &matching_id));

  ASSERT_OK_AND_ASSIGN(euicc::testing::EuiccCredentials creds,
                       LoadSgp26Euicc(world->sgp26_dir, curve));
  ASSERT_OK_AND_ASSIGN(auto euicc,
                       euicc::SoftwareEuicc::Create(creds.ToConfig()));
  ASSERT_OK_AND_ASSIGN(auto client,
                       euicc::CreateEs9Client(Lpa(curve, GetParam().listener)));
  ASSERT_OK_AND_ASSIGN(
      euicc::DownloadResult result,
      euicc::DownloadProfile(*euicc, *client,
                             {.smdp_address = std::string(kSgp26SmdpAddress),
                              .matching_id = matching_id},
                             [](absl::string_view) {}));
  EXPECT_EQ(result.iccid, iccid);
  EXPECT_FALSE(result.profile.empty());
}

// The brainpool-only listener has nothing a NIST-only LPA can verify.
TEST_F(Sgp26TlsIdentitiesTest, NistLpaCannotUseTheBrainpoolOnlyListener) {
  ASSERT_OK_AND_ASSIGN(euicc::testing::EuiccCredentials creds,
                       LoadSgp26Euicc(world->sgp26_dir, hsm::Curve::kNistP256));
  ASSERT_OK_AND_ASSIGN(auto euicc,
                       euicc::SoftwareEuicc::Create(creds.ToConfig()));
  ASSERT_OK_AND_ASSIGN(auto client,
                       euicc::CreateEs9Client(Lpa(hsm::Curve::kNistP256, 1)));
  absl::StatusOr<euicc::DownloadResult> result =
      euicc::DownloadProfile(*euicc, *client,
                             {.smdp_address = std::string(kSgp26SmdpAddress),
                              .matching_id = "NO-SUCH-ORDER"},
                             [](absl::string_view) {});
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable)
      << result.status();
}

INSTANTIATE_TEST_SUITE_P(
    CurvesAndListeners, Sgp26TlsIdentitiesTest,
    ::testing::Values(Case{hsm::Curve::kNistP256, 0},
                      Case{hsm::Curve::kBrainpoolP256r1, 0},
                      Case{hsm::Curve::kBrainpoolP256r1, 1}),
    [](const ::testing::TestParamInfo<Case>& info) {
      return absl::StrCat(
          info.param.curve == hsm::Curve::kNistP256 ? "Nist" : "Brainpool",
          "OnListener", info.param.listener);
    });

}  // namespace
}  // namespace smdp
