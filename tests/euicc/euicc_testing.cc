#include "tests/euicc/euicc_testing.h"

#include <openssl/objects.h>
#include <openssl/x509.h>

#include <cstdlib>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "sgp22/bpp.h"
#include "sgp22/der.h"
#include "sgp22/eid.h"
#include "util/file_util.h"
#include "util/ssl_ptr.h"
#include "util/status_macros.h"

namespace smdp::euicc::testing {
namespace {

constexpr absl::string_view kEumOrganization = "RSP Test EUM";
constexpr absl::Duration kDay = absl::Hours(24);

absl::StatusOr<std::string> Read(absl::string_view dir,
                                 absl::string_view relative) {
  return ReadFile(absl::StrCat(dir, "/", relative));
}

// The subject serialNumber of a DER certificate ("" when none).
std::string SerialNumberOf(absl::string_view der) {
  absl::StatusOr<X509Ptr> cert = pki::ParseCertificateDer(der);
  if (!cert.ok()) return "";
  const X509_NAME* name = X509_get_subject_name(cert->get());
  const int index = X509_NAME_get_index_by_NID(name, NID_serialNumber, -1);
  if (index < 0) return "";
  const ASN1_STRING* data =
      X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(data)),
                     static_cast<size_t>(ASN1_STRING_length(data)));
}

// A fresh software key: its PEM, signer and public key.
struct SoftwareKey {
  std::string pem;
  std::unique_ptr<pki::EvpKeySigner> signer;
  pki::SubjectPublicKey public_key;
};

absl::StatusOr<SoftwareKey> NewKey(hsm::Curve curve) {
  ASSIGN_OR_RETURN(EvpPkeyPtr key, pki::GenerateSoftwareKey(curve));
  SoftwareKey out;
  ASSIGN_OR_RETURN(out.pem, pki::PrivateKeyToPem(*key));
  ASSIGN_OR_RETURN(out.public_key, pki::SubjectPublicKeyFromEvp(*key));
  out.signer = std::make_unique<pki::EvpKeySigner>(std::move(key));
  return out;
}

absl::StatusOr<pki::CertificateSpec> Spec(pki::CertificateRole role,
                                          const pki::RoleParams& params,
                                          pki::DistinguishedName subject,
                                          pki::SubjectPublicKey key,
                                          absl::Time not_before,
                                          absl::Time not_after) {
  ASSIGN_OR_RETURN(pki::CertificateSpec spec, pki::SgpProfile(role, params));
  spec.subject = std::move(subject);
  spec.public_key = std::move(key);
  spec.serial_number = pki::RandomSerialNumber();
  spec.not_before = not_before;
  spec.not_after = not_after;
  return spec;
}

}  // namespace

SoftwareEuiccConfig EuiccCredentials::ToConfig() const {
  SoftwareEuiccConfig config;
  config.eid = eid;
  config.euicc_certificate = euicc_certificate;
  config.euicc_private_key_pem = euicc_private_key_pem;
  config.eum_certificate = eum_certificate;
  config.ci_certificates = ci_certificates;
  return config;
}

std::string Sgp26Dir() {
  const char* dir = std::getenv("SMDP_SGP26_DIR");
  return dir != nullptr ? std::string(dir) : std::string();
}

absl::string_view Sgp26CurveSuffix(hsm::Curve curve) {
  return curve == hsm::Curve::kNistP256 ? "NIST" : "BRP";
}

absl::StatusOr<EuiccCredentials> LoadSgp26Euicc(absl::string_view dir,
                                                hsm::Curve curve,
                                                bool trust_both_cis) {
  const absl::string_view c = Sgp26CurveSuffix(curve);
  EuiccCredentials creds;
  creds.eid = std::string(kSgp26Eid);
  ASSIGN_OR_RETURN(
      creds.euicc_certificate,
      Read(dir, absl::StrCat("eUICC/CERT_EUICC_ECDSA_", c, ".der")));
  ASSIGN_OR_RETURN(creds.euicc_private_key_pem,
                   Read(dir, absl::StrCat("eUICC/SK_EUICC_ECDSA_", c, ".pem")));
  ASSIGN_OR_RETURN(creds.eum_certificate,
                   Read(dir, absl::StrCat("EUM/CERT_EUM_ECDSA_", c, ".der")));
  ASSIGN_OR_RETURN(
      std::string ci,
      Read(dir, absl::StrCat("CertificateIssuer/CERT_CI_ECDSA_", c, ".der")));
  creds.ci_certificates.push_back(std::move(ci));
  if (trust_both_cis) {
    const hsm::Curve other = curve == hsm::Curve::kNistP256
                                 ? hsm::Curve::kBrainpoolP256r1
                                 : hsm::Curve::kNistP256;
    ASSIGN_OR_RETURN(std::string other_ci,
                     Read(dir, absl::StrCat("CertificateIssuer/CERT_CI_ECDSA_",
                                            Sgp26CurveSuffix(other), ".der")));
    creds.ci_certificates.push_back(std::move(other_ci));
  }
  return creds;
}

absl::StatusOr<Sgp26Smdp> LoadSgp26Smdp(absl::string_view dir,
                                        hsm::Curve curve) {
  const absl::string_view c = Sgp26CurveSuffix(curve);
  Sgp26Smdp smdp;
  ASSIGN_OR_RETURN(
      smdp.ci_certificate,
      Read(dir, absl::StrCat("CertificateIssuer/CERT_CI_ECDSA_", c, ".der")));
  ASSIGN_OR_RETURN(
      smdp.ci_private_key_pem,
      Read(dir, absl::StrCat("CertificateIssuer/SK_CI_ECDSA_", c, ".pem")));
  ASSIGN_OR_RETURN(
      smdp.dpauth_certificate,
      Read(dir, absl::StrCat("DPauth/CERT_S_SM_DPauth_ECDSA_", c, ".der")));
  ASSIGN_OR_RETURN(
      smdp.dpauth_private_key_pem,
      Read(dir, absl::StrCat("DPauth/SK_S_SM_DPauth_ECDSA_", c, ".pem")));
  ASSIGN_OR_RETURN(
      smdp.dppb_certificate,
      Read(dir, absl::StrCat("DPpb/CERT_S_SM_DPpb_ECDSA_", c, ".der")));
  ASSIGN_OR_RETURN(
      smdp.dppb_private_key_pem,
      Read(dir, absl::StrCat("DPpb/SK_S_SM_DPpb_ECDSA_", c, ".pem")));
  return smdp;
}

absl::StatusOr<EuiccCredentials> DevPkiEuicc(const pki::DevPkiCurve& curve) {
  EuiccCredentials creds;
  ASSIGN_OR_RETURN(creds.euicc_certificate, ReadFile(curve.euicc.der));
  ASSIGN_OR_RETURN(creds.euicc_private_key_pem, ReadFile(curve.euicc_key));
  ASSIGN_OR_RETURN(creds.eum_certificate, ReadFile(curve.eum.der));
  ASSIGN_OR_RETURN(std::string ci, ReadFile(curve.ci.der));
  creds.ci_certificates.push_back(std::move(ci));
  creds.eid = SerialNumberOf(creds.euicc_certificate);
  return creds;
}

absl::StatusOr<TestCi> MakeTestCi(hsm::Curve curve, absl::Time now,
                                  absl::string_view common_name) {
  ASSIGN_OR_RETURN(SoftwareKey key, NewKey(curve));
  ASSIGN_OR_RETURN(
      pki::CertificateSpec spec,
      Spec(pki::CertificateRole::kCi, {.registered_id = "2.999.1"},
           {{"CN", std::string(common_name)}, {"O", "RSPTEST"}, {"C", "IT"}},
           key.public_key, now - kDay, now + absl::Hours(24 * 365 * 30)));
  TestCi ci;
  ASSIGN_OR_RETURN(ci.certificate, pki::IssueSelfSigned(spec, *key.signer));
  ci.private_key_pem = std::move(key.pem);
  return ci;
}

absl::StatusOr<TestChain> MakeTestChain(const TestChainOptions& options) {
  TestChain chain;
  if (options.ci) {
    chain.ci = *options.ci;
  } else {
    ASSIGN_OR_RETURN(chain.ci,
                     MakeTestCi(options.curve, options.now, "Test CI"));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<pki::EvpKeySigner> ci_signer,
                   pki::EvpKeySigner::FromPem(chain.ci.private_key_pem));
  const absl::Time not_before = options.now - kDay;
  const absl::Time not_after = options.now + absl::Hours(24 * 365 * 10);

  ASSIGN_OR_RETURN(SoftwareKey eum, NewKey(options.curve));
  ASSIGN_OR_RETURN(
      pki::CertificateSpec eum_spec,
      Spec(pki::CertificateRole::kEum,
           {.registered_id = "2.999.5",
            .eum_organization = std::string(kEumOrganization),
            .eid_prefixes = {options.eum_eid_prefix}},
           {{"C", "ES"},
            {"O", std::string(kEumOrganization)},
            {"CN", "Test EUM"}},
           eum.public_key, options.eum_not_before.value_or(not_before),
           options.eum_not_after.value_or(not_after)));
  if (!options.eum_is_ca) {
    eum_spec.basic_constraints = pki::BasicConstraintsExtension{.ca = false};
  }
  ASSIGN_OR_RETURN(
      chain.eum_certificate,
      pki::IssueCertificate(eum_spec, chain.ci.certificate, *ci_signer));
  chain.eum_private_key_pem = eum.pem;

  std::string eid = options.eid;
  if (eid.empty()) {
    ASSIGN_OR_RETURN(eid, pki::DefaultEuiccEid(options.eum_eid_prefix));
  }
  ASSIGN_OR_RETURN(SoftwareKey euicc, NewKey(options.curve));
  ASSIGN_OR_RETURN(
      pki::CertificateSpec euicc_spec,
      Spec(pki::CertificateRole::kEuicc, {},
           {{"C", "ES"},
            {"O", std::string(kEumOrganization)},
            {"serialNumber", eid},
            {"CN", "Test eUICC"}},
           euicc.public_key, options.euicc_not_before.value_or(not_before),
           options.euicc_not_after.value_or(not_after)));
  ASSIGN_OR_RETURN(
      chain.euicc.euicc_certificate,
      pki::IssueCertificate(euicc_spec, chain.eum_certificate, *eum.signer));
  chain.euicc.eid = eid;
  chain.euicc.euicc_private_key_pem = std::move(euicc.pem);
  chain.euicc.eum_certificate = chain.eum_certificate;
  chain.euicc.ci_certificates = {chain.ci.certificate};
  return chain;
}

absl::StatusOr<std::string> IssueSmdpCertificate(
    const TestCi& ci, const SmdpCertificateOptions& options) {
  if (options.public_point.empty()) {
    return absl::InvalidArgumentError(
        "SmdpCertificateOptions.public_point is required");
  }
  pki::RoleParams params{.registered_id = options.smdp_oid};
  if (options.role == pki::CertificateRole::kDpTls) {
    params.dns_name = options.smdp_address;
  }
  ASSIGN_OR_RETURN(
      pki::CertificateSpec spec,
      Spec(options.role, params, {{"O", "ACME"}, {"CN", options.smdp_address}},
           {options.curve, options.public_point}, options.not_before,
           options.not_after));
  if (options.policy_oids) {
    spec.certificate_policies = pki::CertificatePoliciesExtension{
        .policy_oids = *options.policy_oids, .critical = true};
  }
  ASSIGN_OR_RETURN(std::unique_ptr<pki::EvpKeySigner> signer,
                   pki::EvpKeySigner::FromPem(ci.private_key_pem));
  return pki::IssueCertificate(spec, ci.certificate, *signer);
}

absl::StatusOr<std::string> TamperProfileSegment(absl::string_view bpp_der,
                                                 size_t index, size_t offset) {
  ASSIGN_OR_RETURN(sgp22::BoundProfilePackage bpp,
                   sgp22::BoundProfilePackage::Decode(bpp_der));
  if (index >= bpp.sequence_of_86.size()) {
    return absl::OutOfRangeError(absl::StrCat("the BPP has ",
                                              bpp.sequence_of_86.size(),
                                              " 86 segments, not ", index + 1));
  }
  const std::string& segment = bpp.sequence_of_86[index];
  absl::string_view rest = segment;
  ASSIGN_OR_RETURN(sgp22::der::Tlv tlv, sgp22::der::ParseTlv(&rest));
  if (offset >= tlv.value.size()) {
    return absl::OutOfRangeError(absl::StrCat("segment ", index, " has ",
                                              tlv.value.size(), " data bytes"));
  }
  // Flip the byte in place in the original encoding, so nothing else
  // changes. The segments are laid out in order: find this one after the
  // previous ones.
  size_t position = 0;
  size_t search_from = 0;
  for (size_t i = 0; i <= index; ++i) {
    position = bpp_der.find(bpp.sequence_of_86[i], search_from);
    if (position == absl::string_view::npos) {
      return absl::InternalError("segment not found in the BPP");
    }
    search_from = position + bpp.sequence_of_86[i].size();
  }
  std::string out(bpp_der);
  const size_t at = position + tlv.header_size() + offset;
  out[at] = static_cast<char>(out[at] ^ 0x01);
  return out;
}

}  // namespace smdp::euicc::testing
