#include "smdp/auth/ci_trust_store.h"

#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "util/status_macros.h"

namespace smdp::auth {
namespace {

absl::Status NotACi(absl::string_view what) {
  return absl::FailedPreconditionError(
      absl::StrCat("not a self-signed SGP.22 CI certificate: ", what));
}

}  // namespace

absl::StatusOr<std::shared_ptr<const CiTrustStore>> CiTrustStore::Create(
    absl::Span<const std::string> ci_certificate_ders) {
  auto store = std::make_shared<CiTrustStore>();
  for (const std::string& der : ci_certificate_ders) {
    RETURN_IF_ERROR(store->Add(der));
  }
  return std::shared_ptr<const CiTrustStore>(std::move(store));
}

absl::Status CiTrustStore::Add(absl::string_view ci_certificate_der) {
  absl::StatusOr<Certificate> parsed = ParseCertificate(ci_certificate_der);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("CI certificate: ", parsed.status().message()));
  }
  Certificate& cert = *parsed;
  if (!cert.subject_key_identifier.has_value()) {
    return NotACi("no subjectKeyIdentifier");
  }
  const std::string key_id = *cert.subject_key_identifier;
  if (cert.authority_key_identifier.has_value() &&
      *cert.authority_key_identifier != key_id) {
    return NotACi("authorityKeyIdentifier differs from subjectKeyIdentifier");
  }
  if (!SameName(cert.issuer, cert.subject)) {
    return NotACi("issuer differs from subject");
  }
  if (!cert.IsCa()) return NotACi("basicConstraints cA is not TRUE");
  if (!cert.HasKeyUsage(kKeyUsageKeyCertSign)) {
    return NotACi("keyUsage lacks keyCertSign");
  }
  if (!cert.HasPolicy(oids::kPolicyCi)) {
    return NotACi(absl::StrCat("certificatePolicies lacks ", oids::kPolicyCi));
  }
  absl::StatusOr<PublicKey> key =
      PublicKey::FromPoint(cert.curve, cert.public_point);
  if (!key.ok()) return NotACi(key.status().message());
  if (!key->IsValidDerSignature(cert.tbs_der, cert.signature)) {
    return NotACi("its signature does not verify with its own key");
  }
  if (auto it = by_key_id_.find(key_id); it != by_key_id_.end()) {
    if (it->second->certificate.der == cert.der) return absl::OkStatus();
    return absl::AlreadyExistsError(
        absl::StrCat("another CI certificate with key id ",
                     absl::BytesToHexString(key_id), " is already trusted"));
  }
  by_key_id_.emplace(key_id, std::make_shared<const TrustedCi>(TrustedCi{
                                 std::move(cert), *std::move(key), key_id}));
  return absl::OkStatus();
}

const TrustedCi* CiTrustStore::Find(absl::string_view key_id) const {
  auto it = by_key_id_.find(key_id);
  return it == by_key_id_.end() ? nullptr : it->second.get();
}

std::shared_ptr<const TrustedCi> CiTrustStore::FindShared(
    absl::string_view key_id) const {
  auto it = by_key_id_.find(key_id);
  return it == by_key_id_.end() ? nullptr : it->second;
}

std::vector<std::string> CiTrustStore::KeyIds() const {
  std::vector<std::string> ids;
  ids.reserve(by_key_id_.size());
  for (const auto& [id, ci] : by_key_id_) ids.push_back(id);
  return ids;
}

}  // namespace smdp::auth
