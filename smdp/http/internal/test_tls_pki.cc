#include "smdp/http/internal/test_tls_pki.h"

#include <cstdio>
#include <cstdlib>

#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "smdp/pki/certificate_builder.h"
#include "util/file_util.h"
#include "util/status_macros.h"

namespace smdp::http::internal {
namespace {

struct Ca {
  std::string der;
  std::string key_pem;
  std::unique_ptr<pki::EvpKeySigner> signer;
};

absl::StatusOr<Ca> MakeCi(const std::string& name,
                          hsm::Curve curve = hsm::Curve::kNistP256) {
  ASSIGN_OR_RETURN(EvpPkeyPtr key, pki::GenerateSoftwareKey(curve));
  ASSIGN_OR_RETURN(
      pki::CertificateSpec spec,
      pki::SgpProfile(pki::CertificateRole::kCi, {.registered_id = "2.999.1"}));
  spec.subject = {{"O", name}, {"CN", name}};
  ASSIGN_OR_RETURN(spec.public_key, pki::SubjectPublicKeyFromEvp(*key));
  spec.serial_number = pki::RandomSerialNumber();
  spec.not_before = absl::Now() - absl::Hours(1);
  spec.not_after = absl::Now() + absl::Hours(48);
  Ca ca;
  ASSIGN_OR_RETURN(ca.key_pem, pki::PrivateKeyToPem(*key));
  ca.signer = std::make_unique<pki::EvpKeySigner>(std::move(key));
  ASSIGN_OR_RETURN(ca.der, pki::IssueSelfSigned(spec, *ca.signer));
  return ca;
}

// Writes a CERT.DP.TLS for `dns_name` (and 127.0.0.1) and `public_key`,
// issued by the CI (`ci_der`, `ci_signer`): chain (leaf + CI) to
// `chain_file`.
absl::Status WriteTlsChain(const std::string& ci_der,
                           const pki::CertificateSigner& ci_signer,
                           const std::string& dns_name,
                           const pki::SubjectPublicKey& public_key,
                           const std::string& chain_file) {
  ASSIGN_OR_RETURN(
      pki::CertificateSpec spec,
      pki::SgpProfile(pki::CertificateRole::kDpTls,
                      {.registered_id = "2.999.10", .dns_name = dns_name}));
  // The SGP.22 SAN (dNSName + registeredID) plus iPAddress 127.0.0.1, for
  // clients that dial the IP.
  spec.subject_alt_name.reset();
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, nullptr, nullptr, nullptr, nullptr, 0);
  X509ExtensionPtr san(X509V3_EXT_conf_nid(
      nullptr, &v3, NID_subject_alt_name,
      ("DNS:" + dns_name + ",IP:127.0.0.1,RID:2.999.10").c_str()));
  if (san == nullptr) return absl::InternalError("SAN");
  const ASN1_OCTET_STRING* data = X509_EXTENSION_get_data(san.get());
  spec.extra_extensions.push_back(
      {"2.5.29.17",
       std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(data)),
                   ASN1_STRING_length(data)),
       false});
  spec.subject = {{"O", "Test SM-DP+"}, {"CN", dns_name}};
  spec.public_key = public_key;
  spec.serial_number = pki::RandomSerialNumber();
  spec.not_before = absl::Now() - absl::Hours(1);
  spec.not_after = absl::Now() + absl::Hours(48);
  ASSIGN_OR_RETURN(std::string cert_der,
                   pki::IssueCertificate(spec, ci_der, ci_signer));
  ASSIGN_OR_RETURN(std::string cert_pem, pki::CertificateDerToPem(cert_der));
  ASSIGN_OR_RETURN(std::string ci_pem, pki::CertificateDerToPem(ci_der));
  return WriteFileAtomically(chain_file, cert_pem + ci_pem);
}

// Writes a CERT.DP.TLS for `dns_name` and a new key, issued by `ca`: chain
// (leaf + CI) to `chain_file`, key to `key_file`.
absl::Status MakeTlsIdentity(const Ca& ca, const std::string& dns_name,
                             const std::string& chain_file,
                             const std::string& key_file,
                             hsm::Curve curve = hsm::Curve::kNistP256) {
  ASSIGN_OR_RETURN(EvpPkeyPtr key, pki::GenerateSoftwareKey(curve));
  ASSIGN_OR_RETURN(pki::SubjectPublicKey public_key,
                   pki::SubjectPublicKeyFromEvp(*key));
  RETURN_IF_ERROR(
      WriteTlsChain(ca.der, *ca.signer, dns_name, public_key, chain_file));
  ASSIGN_OR_RETURN(std::string key_pem, pki::PrivateKeyToPem(*key));
  return WriteFileAtomically(key_file, key_pem, 0600);
}

absl::StatusOr<TestTlsPki> Make() {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::string dir = tmp != nullptr ? tmp : "/tmp";
  TestTlsPki pki;
  pki.ci_pem_file = dir + "/http_test_ci.pem";
  pki.ci_key_file = dir + "/http_test_ci_key.pem";
  pki.server_chain_file = dir + "/http_test_server_chain.pem";
  pki.server_key_file = dir + "/http_test_server_key.pem";
  pki.client_chain_file = dir + "/http_test_client_chain.pem";
  pki.client_key_file = dir + "/http_test_client_key.pem";
  pki.other_ci_pem_file = dir + "/http_test_other_ci.pem";
  pki.other_key_file = dir + "/http_test_other_key.pem";
  pki.brp_ci_pem_file = dir + "/http_test_brp_ci.pem";
  pki.brp_server_chain_file = dir + "/http_test_brp_server_chain.pem";
  pki.brp_server_key_file = dir + "/http_test_brp_server_key.pem";
  pki.named_server_chain_file = dir + "/http_test_named_server_chain.pem";
  pki.named_server_key_file = dir + "/http_test_named_server_key.pem";

  ASSIGN_OR_RETURN(Ca ci, MakeCi("Test CI"));
  ASSIGN_OR_RETURN(std::string ci_pem, pki::CertificateDerToPem(ci.der));
  RETURN_IF_ERROR(WriteFileAtomically(pki.ci_pem_file, ci_pem));
  RETURN_IF_ERROR(WriteFileAtomically(pki.ci_key_file, ci.key_pem, 0600));
  RETURN_IF_ERROR(MakeTlsIdentity(ci, "localhost", pki.server_chain_file,
                                  pki.server_key_file));
  RETURN_IF_ERROR(MakeTlsIdentity(ci, "operator.example", pki.client_chain_file,
                                  pki.client_key_file));
  RETURN_IF_ERROR(MakeTlsIdentity(ci, "es9.other.example",
                                  pki.named_server_chain_file,
                                  pki.named_server_key_file));
  ASSIGN_OR_RETURN(Ca brp, MakeCi("Test CI", hsm::Curve::kBrainpoolP256r1));
  ASSIGN_OR_RETURN(std::string brp_pem, pki::CertificateDerToPem(brp.der));
  RETURN_IF_ERROR(WriteFileAtomically(pki.brp_ci_pem_file, brp_pem));
  RETURN_IF_ERROR(MakeTlsIdentity(brp, "localhost", pki.brp_server_chain_file,
                                  pki.brp_server_key_file,
                                  hsm::Curve::kBrainpoolP256r1));
  ASSIGN_OR_RETURN(Ca other, MakeCi("Other CI"));
  ASSIGN_OR_RETURN(std::string other_pem, pki::CertificateDerToPem(other.der));
  RETURN_IF_ERROR(WriteFileAtomically(pki.other_ci_pem_file, other_pem));
  ASSIGN_OR_RETURN(EvpPkeyPtr other_key,
                   pki::GenerateSoftwareKey(hsm::Curve::kNistP256));
  ASSIGN_OR_RETURN(std::string other_key_pem, pki::PrivateKeyToPem(*other_key));
  RETURN_IF_ERROR(WriteFileAtomically(pki.other_key_file, other_key_pem, 0600));
  return pki;
}

}  // namespace

const TestTlsPki& GetTestTlsPki() {
  static const TestTlsPki* pki = [] {
    absl::StatusOr<TestTlsPki> made = Make();
    if (!made.ok()) {
      std::fprintf(stderr, "test TLS PKI: %s\n",
                   made.status().ToString().c_str());
      std::abort();
    }
    return new TestTlsPki(*std::move(made));
  }();
  return *pki;
}

absl::Status WriteTestServerChain(const pki::SubjectPublicKey& public_key,
                                  const std::string& chain_file) {
  const TestTlsPki& pki = GetTestTlsPki();
  ASSIGN_OR_RETURN(std::string ci_pem, ReadFile(pki.ci_pem_file));
  ASSIGN_OR_RETURN(std::string ci_der, pki::CertificatePemToDer(ci_pem));
  ASSIGN_OR_RETURN(std::string ci_key_pem, ReadFile(pki.ci_key_file));
  ASSIGN_OR_RETURN(auto ci_signer, pki::EvpKeySigner::FromPem(ci_key_pem));
  return WriteTlsChain(ci_der, *ci_signer, "localhost", public_key, chain_file);
}

}  // namespace smdp::http::internal
