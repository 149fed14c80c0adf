#include "tests/e2e/smdpd_testing.h"

#include <grpcpp/grpcpp.h>

#include "api/admin.grpc.pb.h"
#include "hsm/crypto_provider.h"
#include "profiles/preparation/test_subscribers.h"
#include "profiles/saip/template_builder.h"
#include "smdp/config/crypto_provider.h"
#include "smdp/grpc/tls_credentials.h"
#include "smdp/server/dev_environment.h"
#include "tests/euicc/euicc_testing.h"
#include "util/file_util.h"
#include "util/status_macros.h"

namespace smdp::e2e {

namespace ptest = ::smdp::profiles::preparation::testing;

absl::StatusOr<std::vector<std::string>> ImportTestProfiles(
    const std::string& grpc_address, const pki::DevTls& tls,
    absl::string_view operator_id, absl::string_view batch_id, size_t first,
    size_t count) {
  ASSIGN_OR_RETURN(auto channel,
                   CreateGrpcTlsChannel(
                       grpc_address, {.ca_file = tls.ca_cert,
                                      .certificate_chain_file = tls.admin.cert,
                                      .private_key_file = tls.admin.key}));
  auto stub = admin::Admin::NewStub(channel);
  grpc::ClientContext context;
  auto stream = stub->ImportBatch(&context);
  admin::ImportBatchRequest header;
  header.mutable_header()->set_batch_id(std::string(batch_id));
  header.mutable_header()->set_operator_id(std::string(operator_id));
  header.mutable_header()->set_profile_type("consumer");
  ASSIGN_OR_RETURN(std::string upp, profiles::saip::BuildTemplate());
  header.mutable_header()->set_template_upp(upp);
  stream->Write(header);
  std::string csv = ptest::TestCsvHeader();
  std::vector<std::string> iccids;
  for (size_t i = first; i < first + count; ++i) {
    csv += ptest::TestCsvLine(i);
    iccids.push_back(ptest::TestIccid(i));
  }
  admin::ImportBatchRequest chunk;
  chunk.set_csv_chunk(csv);
  stream->Write(chunk);
  stream->WritesDone();
  admin::ImportBatchProgress progress;
  bool committed = false;
  while (stream->Read(&progress)) committed = progress.committed();
  grpc::Status s = stream->Finish();
  if (!s.ok()) return absl::InternalError(s.error_message());
  if (!committed) return absl::InternalError("import not committed");
  return iccids;
}

absl::Status ImportSgp26Identities(const std::string& sgp26_dir,
                                   bool brainpool_dptls,
                                   config::ServerConfig& config) {
  RETURN_IF_ERROR(PrepareDevHsm(config));
  ASSIGN_OR_RETURN(std::unique_ptr<hsm::CryptoProvider> provider,
                   OpenCryptoProvider(config));
  const std::string& dir = sgp26_dir;
  for (hsm::Curve curve :
       {hsm::Curve::kNistP256, hsm::Curve::kBrainpoolP256r1}) {
    const std::string name = curve == hsm::Curve::kNistP256 ? "nist" : "brp";
    const std::string c(euicc::testing::Sgp26CurveSuffix(curve));
    ASSIGN_OR_RETURN(euicc::testing::Sgp26Smdp smdp,
                     euicc::testing::LoadSgp26Smdp(dir, curve));
    const std::string dpauth_label = absl::StrCat("sgp26-dpauth-", name);
    const std::string dppb_label = absl::StrCat("sgp26-dppb-", name);
    RETURN_IF_ERROR(
        provider->ImportSigningKey(dpauth_label, smdp.dpauth_private_key_pem)
            .status());
    RETURN_IF_ERROR(
        provider->ImportSigningKey(dppb_label, smdp.dppb_private_key_pem)
            .status());
    config::Identity& id = *config.add_identities();
    id.set_name(name);
    id.set_ci_cert_file(
        absl::StrCat(dir, "/CertificateIssuer/CERT_CI_ECDSA_", c, ".der"));
    id.set_dpauth_cert_file(
        absl::StrCat(dir, "/DPauth/CERT_S_SM_DPauth_ECDSA_", c, ".der"));
    id.set_dppb_cert_file(
        absl::StrCat(dir, "/DPpb/CERT_S_SM_DPpb_ECDSA_", c, ".der"));
    id.set_dpauth_key(dpauth_label);
    id.set_dppb_key(dppb_label);
    if (curve == hsm::Curve::kNistP256 || brainpool_dptls) {
      // CERT.DP.TLS (variant O) for the ES9+ HTTPS listener, its key in the
      // token too.
      ASSIGN_OR_RETURN(
          std::string tls_key,
          ReadFile(absl::StrCat(dir, "/DPtls/SK_S_SM_DP_TLS_", c, ".pem")));
      const std::string dptls_label = absl::StrCat("sgp26-dptls-", name);
      RETURN_IF_ERROR(
          provider->ImportSigningKey(dptls_label, tls_key).status());
      id.set_dptls_cert_file(
          absl::StrCat(dir, "/DPtls/CERT_S_SM_DP_VARO_TLS_", c, ".der"));
      id.set_dptls_key(dptls_label);
    }
  }
  // `provider` is destroyed here; SoftHSM stays loaded for the server.
  return absl::OkStatus();
}

}  // namespace smdp::e2e
