#include "smdp/auth/test_pki.h"

#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "util/status_macros.h"

namespace smdp::auth::testing {
namespace {

absl::Time At(int year, int month, int day) {
  return absl::FromCivil(absl::CivilDay(year, month, day), absl::UTCTimeZone());
}

pki::CertificateSpec WithBasics(absl::StatusOr<pki::CertificateSpec> spec,
                                pki::DistinguishedName subject,
                                const TestKey& key, uint64_t serial) {
  // The profiles below are all well-formed; a failure is a bug in this file.
  if (!spec.ok()) std::abort();
  spec->subject = std::move(subject);
  spec->public_key = key.pub;
  spec->serial_number = pki::SerialNumberFromUint64(serial);
  spec->not_before = TestNotBefore();
  spec->not_after = TestNotAfter();
  return *std::move(spec);
}

}  // namespace

absl::Time TestNotBefore() { return At(2024, 1, 1); }
absl::Time TestNotAfter() { return At(2034, 1, 1); }
absl::Time TestNow() { return At(2025, 6, 1); }

absl::StatusOr<std::string> SignPlainWith(EVP_PKEY* key,
                                          absl::string_view message) {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  size_t len = 0;
  if (ctx == nullptr ||
      EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len,
                     reinterpret_cast<const unsigned char*>(message.data()),
                     message.size()) != 1) {
    return OpensslError(absl::StatusCode::kInternal, "EVP_DigestSign");
  }
  std::string der(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(der.data()),
                     &len,
                     reinterpret_cast<const unsigned char*>(message.data()),
                     message.size()) != 1) {
    return OpensslError(absl::StatusCode::kInternal, "EVP_DigestSign");
  }
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(len)));
  if (sig == nullptr) {
    return OpensslError(absl::StatusCode::kInternal, "d2i_ECDSA_SIG");
  }
  std::string rs(64, '\0');
  auto* out = reinterpret_cast<unsigned char*>(rs.data());
  if (BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), out, 32) != 32 ||
      BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), out + 32, 32) != 32) {
    return absl::InternalError("signature half does not fit 32 bytes");
  }
  return rs;
}

absl::StatusOr<std::string> TestKey::SignPlain(
    absl::string_view message) const {
  return SignPlainWith(key.get(), message);
}

absl::StatusOr<TestKey> MakeTestKey(hsm::Curve curve) {
  TestKey k;
  k.curve = curve;
  ASSIGN_OR_RETURN(k.key, pki::GenerateSoftwareKey(curve));
  ASSIGN_OR_RETURN(k.pub, pki::SubjectPublicKeyFromEvp(*k.key));
  ASSIGN_OR_RETURN(std::string pem, pki::PrivateKeyToPem(*k.key));
  ASSIGN_OR_RETURN(std::unique_ptr<pki::EvpKeySigner> signer,
                   pki::EvpKeySigner::FromPem(pem));
  k.signer = std::move(signer);
  return k;
}

pki::CertificateSpec CiSpec(const TestKey& key, uint64_t serial) {
  return WithBasics(
      pki::SgpProfile(pki::CertificateRole::kCi, {.registered_id = "2.999.1"}),
      {{"CN", "Test CI"}, {"OU", "TESTCERT"}, {"O", "RSPTEST"}, {"C", "IT"}},
      key, serial);
}

pki::CertificateSpec EumSpec(const TestKey& key, pki::EidRangeForm form,
                             uint64_t serial) {
  return WithBasics(
      pki::SgpProfile(pki::CertificateRole::kEum,
                      {.registered_id = "2.999.5",
                       .eum_organization = std::string(kTestEumOrganization),
                       .eid_prefixes = {std::string(kTestEidPrefix)},
                       .eid_range_form = form}),
      {{"C", "ES"},
       {"O", std::string(kTestEumOrganization)},
       {"CN", "EUM Test"}},
      key, serial);
}

pki::CertificateSpec EuiccSpec(const TestKey& key, absl::string_view eid,
                               uint64_t serial) {
  return WithBasics(pki::SgpProfile(pki::CertificateRole::kEuicc, {}),
                    {{"C", "ES"},
                     {"O", std::string(kTestEumOrganization)},
                     {"serialNumber", std::string(eid)},
                     {"CN", "Test eUICC"}},
                    key, serial);
}

pki::CertificateSpec DpSpec(pki::CertificateRole role, const TestKey& key,
                            uint64_t serial) {
  return WithBasics(
      pki::SgpProfile(role, {.registered_id = "2.999.10",
                             .dns_name = role == pki::CertificateRole::kDpTls
                                             ? "smdp.example.com"
                                             : ""}),
      {{"O", "ACME"}, {"CN", "smdp.example.com"}}, key, serial);
}

std::shared_ptr<const CiTrustStore> TestChain::TrustStore() const {
  auto store = CiTrustStore::Create({ci_der});
  if (!store.ok()) std::abort();  // MakeTestChain made a valid CI.
  return *store;
}

absl::StatusOr<std::string> TestChain::IssueByEum(
    const pki::CertificateSpec& spec) const {
  return pki::IssueCertificate(spec, eum_der, *eum_key.signer);
}

absl::StatusOr<std::string> TestChain::IssueByCi(
    const pki::CertificateSpec& spec) const {
  return pki::IssueCertificate(spec, ci_der, *ci_key.signer);
}

absl::StatusOr<TestChain> MakeTestChain(hsm::Curve curve,
                                        pki::EidRangeForm form) {
  TestChain c;
  c.curve = curve;
  ASSIGN_OR_RETURN(c.ci_key, MakeTestKey(curve));
  ASSIGN_OR_RETURN(c.eum_key, MakeTestKey(curve));
  ASSIGN_OR_RETURN(c.euicc_key, MakeTestKey(curve));
  pki::CertificateSpec ci = CiSpec(c.ci_key);
  ci.not_after =
      absl::FromCivil(absl::CivilDay(2054, 1, 1), absl::UTCTimeZone());
  ASSIGN_OR_RETURN(c.ci_der, pki::IssueSelfSigned(ci, *c.ci_key.signer));
  ASSIGN_OR_RETURN(c.eum_der, c.IssueByCi(EumSpec(c.eum_key, form)));
  ASSIGN_OR_RETURN(c.euicc_der, c.IssueByEum(EuiccSpec(c.euicc_key)));
  return c;
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::optional<std::string> Sgp26Dir() {
  const char* dir = std::getenv("SMDP_SGP26_DIR");
  if (dir == nullptr || *dir == '\0') return std::nullopt;
  return std::string(dir);
}

absl::StatusOr<Sgp26Chain> LoadSgp26Chain(const std::string& dir,
                                          absl::string_view curve_suffix) {
  Sgp26Chain c;
  ASSIGN_OR_RETURN(
      c.ci_der, ReadFile(absl::StrCat(dir, "/CertificateIssuer/CERT_CI_ECDSA_",
                                      curve_suffix, ".der")));
  ASSIGN_OR_RETURN(c.eum_der, ReadFile(absl::StrCat(dir, "/EUM/CERT_EUM_ECDSA_",
                                                    curve_suffix, ".der")));
  ASSIGN_OR_RETURN(c.euicc_der,
                   ReadFile(absl::StrCat(dir, "/eUICC/CERT_EUICC_ECDSA_",
                                         curve_suffix, ".der")));
  ASSIGN_OR_RETURN(std::string key_pem,
                   ReadFile(absl::StrCat(dir, "/eUICC/SK_EUICC_ECDSA_",
                                         curve_suffix, ".pem")));
  ASSIGN_OR_RETURN(c.euicc_key, pki::PrivateKeyFromPem(key_pem));
  ASSIGN_OR_RETURN(pki::SubjectPublicKey pub,
                   pki::SubjectPublicKeyFromEvp(*c.euicc_key));
  c.euicc_public_point = pub.point;
  return c;
}

}  // namespace smdp::auth::testing
