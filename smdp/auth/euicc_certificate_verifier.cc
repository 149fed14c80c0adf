#include "smdp/auth/euicc_certificate_verifier.h"

#include <optional>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "smdp/common/gsma_status.h"
#include "util/status_macros.h"

namespace smdp::auth {

struct EuiccCertificateVerifier::VerifiedIssuer {
  std::shared_ptr<const Certificate> certificate;
  PublicKey public_key;
  // The verified issuer of `certificate`; null when a CI issued it.
  std::shared_ptr<const VerifiedIssuer> parent;
  // The CI at the root of the chain.
  std::shared_ptr<const TrustedCi> ci;
};

// One CA certificate the eUICC presented (the EUM or one of the others).
struct EuiccCertificateVerifier::PoolEntry {
  absl::string_view der;
  // Parsed, or taken from the cache entry.
  std::shared_ptr<const Certificate> certificate;
  // The cache entry for `der`, if any. It is used only when its issuer is a
  // CI or the very issuer certificate presented in this chain, so the path
  // checked is always made of the certificates presented.
  std::shared_ptr<const VerifiedIssuer> cached;
  // Set once verified for this chain.
  std::shared_ptr<const VerifiedIssuer> verified;
  // Set while VerifyIssuer() works on this entry (finds loops).
  bool visiting = false;

  const std::optional<std::string>& ski() const {
    return certificate->subject_key_identifier;
  }
};

namespace {

absl::Status EumInvalid(absl::string_view message) {
  return GsmaErrorStatus(GsmaError::kEumCertificateInvalid,
                         absl::StrCat("EUM certificate: ", message));
}

absl::Status EuiccInvalid(absl::string_view message) {
  return GsmaErrorStatus(GsmaError::kEuiccCertificateInvalid,
                         absl::StrCat("eUICC certificate: ", message));
}

std::string Hex(absl::string_view bytes) {
  return absl::BytesToHexString(bytes);
}

std::string TimeText(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

bool IsEid(absl::string_view s) {
  if (s.size() != 32) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Whether `subject` (of an eUICC with `eid`) lies in the directoryName
// subtree `subtree`, with the SGP.22 variant-O reading of serialNumber as an
// EID prefix.
bool WithinSubtree(const Name& subtree, const Name& subject,
                   absl::string_view eid) {
  for (const NameAttribute& want : subtree.attributes) {
    if (want.type == oids::kSerialNumber) {
      if (!absl::StartsWith(eid, want.value)) return false;
      continue;
    }
    bool found = false;
    for (const NameAttribute& have : subject.attributes) {
      if (have.type == want.type && have.value == want.value) {
        found = true;
        break;
      }
    }
    if (!found) return false;
  }
  return true;
}

std::string NameText(const Name& name) {
  std::string out;
  for (const NameAttribute& a : name.attributes) {
    const char* label = a.type == oids::kOrganizationName ? "O"
                        : a.type == oids::kSerialNumber   ? "serialNumber"
                        : a.type == oids::kCommonName     ? "CN"
                        : a.type == oids::kCountryName    ? "C"
                                                          : nullptr;
    absl::StrAppend(&out, out.empty() ? "" : ",",
                    label != nullptr ? label : a.type, "=", a.value);
  }
  return out;
}

// Whether `ca` states an EID range.
bool HasEidRange(const Certificate& ca) {
  return ca.permitted_eins.has_value() ||
         (ca.name_constraints.has_value() &&
          !ca.name_constraints->permitted_directory_names.empty());
}

// Checks the eUICC `subject` / `eid` against the EID range of `ca`.
absl::Status CheckEidRange(const Certificate& ca, const Name& subject,
                           absl::string_view eid) {
  if (ca.name_constraints.has_value()) {
    const Certificate::NameConstraints& nc = *ca.name_constraints;
    for (const Name& excluded : nc.excluded_directory_names) {
      if (WithinSubtree(excluded, subject, eid)) {
        return EuiccInvalid(absl::StrCat("subject is in the excluded subtree ",
                                         NameText(excluded)));
      }
    }
    if (!nc.permitted_directory_names.empty()) {
      bool within = false;
      for (const Name& permitted : nc.permitted_directory_names) {
        if (WithinSubtree(permitted, subject, eid)) {
          within = true;
          break;
        }
      }
      if (!within) {
        std::string allowed;
        for (const Name& permitted : nc.permitted_directory_names) {
          absl::StrAppend(&allowed, allowed.empty() ? "" : " | ",
                          NameText(permitted));
        }
        return EuiccInvalid(absl::StrCat(
            "subject ", NameText(subject),
            " is outside the EUM's permitted subtrees: ", allowed));
      }
    }
  }
  if (ca.permitted_eins.has_value()) {
    for (const std::string& prefix : *ca.permitted_eins) {
      if (absl::StartsWith(eid, prefix)) return absl::OkStatus();
    }
    return EuiccInvalid(
        absl::StrCat("EID ", eid, " matches none of the EUM's permittedEins (",
                     absl::StrJoin(*ca.permitted_eins, ", "), ")"));
  }
  return absl::OkStatus();
}

}  // namespace

EuiccCertificateVerifier::EuiccCertificateVerifier(
    std::shared_ptr<const CiTrustStore> trust_store,
    EuiccVerifierOptions options)
    : trust_store_(trust_store != nullptr
                       ? std::move(trust_store)
                       : std::make_shared<const CiTrustStore>()),
      options_(options) {}

std::shared_ptr<const EuiccCertificateVerifier::VerifiedIssuer>
EuiccCertificateVerifier::Lookup(absl::string_view der) const {
  {
    absl::ReaderMutexLock lock(&mu_);
    auto it = cache_.find(der);
    if (it != cache_.end()) {
      hits_.fetch_add(1, std::memory_order_relaxed);
      return it->second;
    }
  }
  misses_.fetch_add(1, std::memory_order_relaxed);
  return nullptr;
}

void EuiccCertificateVerifier::Insert(
    std::shared_ptr<const VerifiedIssuer> issuer) const {
  if (options_.cache_capacity == 0) return;
  const std::string& der = issuer->certificate->der;
  absl::MutexLock lock(&mu_);
  if (auto it = cache_.find(der); it != cache_.end()) {
    // Verified again under another presented issuer: keep the latest.
    it->second = std::move(issuer);
    return;
  }
  while (cache_.size() >= options_.cache_capacity && !order_.empty()) {
    cache_.erase(order_.front());
    order_.pop_front();
  }
  order_.push_back(der);
  cache_.emplace(der, std::move(issuer));
}

EuiccCertificateVerifier::CacheStats EuiccCertificateVerifier::cache_stats()
    const {
  CacheStats stats;
  stats.hits = hits_.load(std::memory_order_relaxed);
  stats.misses = misses_.load(std::memory_order_relaxed);
  absl::ReaderMutexLock lock(&mu_);
  stats.size = cache_.size();
  return stats;
}

absl::StatusOr<std::shared_ptr<const EuiccCertificateVerifier::VerifiedIssuer>>
EuiccCertificateVerifier::VerifyIssuer(PoolEntry& entry,
                                       absl::Span<PoolEntry> pool,
                                       size_t depth) const {
  if (entry.verified != nullptr) return entry.verified;
  if (entry.visiting || depth > pool.size()) {
    return EumInvalid("the certificate chain loops");
  }
  entry.visiting = true;
  const Certificate& cert = *entry.certificate;

  // The cache entry stands if its issuer is a CI or the presented issuer.
  if (entry.cached != nullptr) {
    if (entry.cached->parent == nullptr) {
      entry.verified = entry.cached;
      entry.visiting = false;
      return entry.verified;
    }
    for (PoolEntry& other : pool) {
      if (&other != &entry &&
          other.der == entry.cached->parent->certificate->der) {
        ASSIGN_OR_RETURN(std::shared_ptr<const VerifiedIssuer> parent,
                         VerifyIssuer(other, pool, depth + 1));
        if (parent == entry.cached->parent) {
          entry.verified = entry.cached;
          entry.visiting = false;
          return entry.verified;
        }
        break;
      }
    }
  }

  // Only what finds the issuer and checks the signature here: validity and
  // the certificate profile (cA, keyUsage, ...) are checked by Verify() for
  // the whole path afterwards, so that the most specific code wins.
  if (!cert.authority_key_identifier.has_value()) {
    return EumInvalid("no authorityKeyIdentifier");
  }
  const std::string& aki = *cert.authority_key_identifier;

  // The issuer: a trusted CI, or another presented CA certificate.
  std::shared_ptr<const TrustedCi> ci = trust_store_->FindShared(aki);
  std::shared_ptr<const VerifiedIssuer> parent;
  const PublicKey* issuer_key = nullptr;
  const Name* issuer_subject = nullptr;
  if (ci != nullptr) {
    issuer_key = &ci->public_key;
    issuer_subject = &ci->certificate.subject;
  } else {
    PoolEntry* issuer_entry = nullptr;
    for (PoolEntry& other : pool) {
      if (&other != &entry && other.ski() == aki) {
        issuer_entry = &other;
        break;
      }
    }
    if (issuer_entry == nullptr) {
      return GsmaErrorStatus(
          GsmaError::kUnknownCiKey,
          absl::StrCat("the CI with key id ", Hex(aki),
                       " that issued the EUM certificate is not trusted"));
    }
    ASSIGN_OR_RETURN(parent, VerifyIssuer(*issuer_entry, pool, depth + 1));
    ci = parent->ci;
    issuer_key = &parent->public_key;
    issuer_subject = &parent->certificate->subject;
  }
  if (cert.curve != issuer_key->curve()) {
    return EumInvalid(absl::StrCat("key on ", hsm::CurveName(cert.curve),
                                   ", its issuer's on ",
                                   hsm::CurveName(issuer_key->curve())));
  }
  if (!SameName(cert.issuer, *issuer_subject)) {
    return EumInvalid("issuer name differs from its issuer's subject");
  }
  if (!issuer_key->IsValidDerSignature(cert.tbs_der, cert.signature)) {
    return EumInvalid("signature does not verify with its issuer's key");
  }
  std::optional<PublicKey> key;
  if (entry.cached != nullptr) {
    key = entry.cached->public_key;  // Same certificate, same key.
  } else {
    absl::StatusOr<PublicKey> imported =
        PublicKey::FromPoint(cert.curve, cert.public_point);
    if (!imported.ok()) return EumInvalid(imported.status().message());
    key = *std::move(imported);
  }
  entry.verified = std::make_shared<const VerifiedIssuer>(VerifiedIssuer{
      entry.certificate, *std::move(key), std::move(parent), std::move(ci)});
  entry.visiting = false;
  Insert(entry.verified);
  return entry.verified;
}

absl::StatusOr<VerifiedEuicc> EuiccCertificateVerifier::Verify(
    absl::string_view euicc_certificate_der,
    absl::string_view eum_certificate_der, absl::Time now,
    absl::string_view expected_ci_key_id) const {
  EuiccChain chain;
  chain.euicc_certificate = euicc_certificate_der;
  chain.eum_certificate = eum_certificate_der;
  return Verify(chain, now, expected_ci_key_id);
}

absl::StatusOr<VerifiedEuicc> EuiccCertificateVerifier::Verify(
    const EuiccChain& chain, absl::Time now,
    absl::string_view expected_ci_key_id) const {
  if (chain.other_certificates.size() > kMaxOtherCertificates) {
    return EumInvalid(absl::StrCat(chain.other_certificates.size(),
                                   " further certificates in the chain, at "
                                   "most ",
                                   kMaxOtherCertificates, " accepted"));
  }
  absl::StatusOr<Certificate> parsed_euicc =
      ParseCertificate(chain.euicc_certificate);
  if (!parsed_euicc.ok()) return EuiccInvalid(parsed_euicc.status().message());
  auto euicc = std::make_shared<const Certificate>(*std::move(parsed_euicc));

  // The presented CA certificates, from the cache or parsed.
  absl::InlinedVector<PoolEntry, 1 + kMaxOtherCertificates> pool;
  pool.push_back(PoolEntry{chain.eum_certificate});
  for (absl::string_view der : chain.other_certificates) {
    pool.push_back(PoolEntry{der});
  }
  for (PoolEntry& entry : pool) {
    entry.cached = Lookup(entry.der);
    if (entry.cached != nullptr) {
      entry.certificate = entry.cached->certificate;
      continue;
    }
    absl::StatusOr<Certificate> parsed = ParseCertificate(entry.der);
    if (!parsed.ok()) return EumInvalid(parsed.status().message());
    entry.certificate = std::make_shared<const Certificate>(*std::move(parsed));
  }

  // The eUICC's issuer among them.
  if (!euicc->authority_key_identifier.has_value()) {
    return EuiccInvalid("no authorityKeyIdentifier");
  }
  PoolEntry* issuer_entry = nullptr;
  for (PoolEntry& entry : pool) {
    if (entry.ski() == euicc->authority_key_identifier) {
      issuer_entry = &entry;
      break;
    }
  }
  if (issuer_entry == nullptr) {
    return EuiccInvalid(absl::StrCat(
        "authorityKeyIdentifier ", Hex(*euicc->authority_key_identifier),
        " is not the EUM certificate's subjectKeyIdentifier"));
  }
  ASSIGN_OR_RETURN(std::shared_ptr<const VerifiedIssuer> issuer,
                   VerifyIssuer(*issuer_entry, absl::MakeSpan(pool), 0));

  // The path from the eUICC's issuer up to the CI.
  absl::InlinedVector<const VerifiedIssuer*, 1 + kMaxOtherCertificates> path;
  for (const VerifiedIssuer* p = issuer.get(); p != nullptr;
       p = p->parent.get()) {
    path.push_back(p);
  }
  const TrustedCi& ci = *path.back()->ci;
  if (!expected_ci_key_id.empty() && ci.key_id != expected_ci_key_id) {
    return GsmaErrorStatus(
        GsmaError::kUnknownCiKey,
        absl::StrCat("the chain ends at the CI with key id ", Hex(ci.key_id),
                     ", the session uses ", Hex(expected_ci_key_id)));
  }
  // The eUICC certificate's signature.
  const Certificate& issuer_cert = *issuer->certificate;
  if (!SameName(euicc->issuer, issuer_cert.subject)) {
    return EuiccInvalid("issuer name differs from the EUM's subject");
  }
  if (euicc->curve != issuer->public_key.curve()) {
    return EuiccInvalid(
        absl::StrCat("key on ", hsm::CurveName(euicc->curve), ", the EUM's on ",
                     hsm::CurveName(issuer->public_key.curve())));
  }
  if (!issuer->public_key.IsValidDerSignature(euicc->tbs_der,
                                              euicc->signature)) {
    return EuiccInvalid("signature does not verify with the EUM's key");
  }

  // Every signature verified: now validity (6.3 before any certificate
  // profile check, SGP.22's order of codes), from the CI down.
  for (auto it = path.rbegin(); it != path.rend(); ++it) {
    const Certificate& c = *(*it)->certificate;
    if (now > c.not_after) {
      return GsmaErrorStatus(
          GsmaError::kEumCertificateExpired,
          absl::StrCat("EUM certificate expired at ", TimeText(c.not_after)));
    }
    if (now < c.not_before) {
      return EumInvalid(
          absl::StrCat("not valid before ", TimeText(c.not_before)));
    }
  }
  if (now > euicc->not_after) {
    return GsmaErrorStatus(GsmaError::kEuiccCertificateExpired,
                           absl::StrCat("eUICC certificate expired at ",
                                        TimeText(euicc->not_after)));
  }
  if (now < euicc->not_before) {
    return EuiccInvalid(
        absl::StrCat("not valid before ", TimeText(euicc->not_before)));
  }

  // The certificate profile of the CA certificates (SGP.22 4.5.2).
  const VerifiedIssuer* eum = nullptr;
  bool has_range = false;
  for (auto it = path.rbegin(); it != path.rend(); ++it) {
    const Certificate& c = *(*it)->certificate;
    if (!c.IsCa()) return EumInvalid("basicConstraints cA is not TRUE");
    if (!c.HasKeyUsage(kKeyUsageKeyCertSign)) {
      return EumInvalid("keyUsage lacks keyCertSign");
    }
    if (!c.subject_key_identifier.has_value()) {
      return EumInvalid("no subjectKeyIdentifier");
    }
    if (c.der == chain.eum_certificate) eum = *it;
    has_range = has_range || HasEidRange(c);
  }
  if (eum == nullptr) {
    return EumInvalid("not on the chain of the eUICC certificate");
  }
  if (!eum->certificate->HasPolicy(oids::kPolicyEum)) {
    return EumInvalid(
        absl::StrCat("certificatePolicies lacks ", oids::kPolicyEum));
  }
  // pathLenConstraint: below path[i] there are i further CA certificates
  // before the eUICC; below the CI, path.size().
  for (size_t i = 0; i < path.size(); ++i) {
    const auto& bc = path[i]->certificate->basic_constraints;
    if (bc->path_len.has_value() && static_cast<size_t>(*bc->path_len) < i) {
      return EumInvalid("pathLenConstraint exceeded");
    }
  }
  if (const auto& bc = ci.certificate.basic_constraints;
      bc.has_value() && bc->path_len.has_value() &&
      static_cast<size_t>(*bc->path_len) < path.size()) {
    return EumInvalid("the CI's pathLenConstraint is exceeded");
  }
  if (!has_range) {
    return EumInvalid("states no EID range (nameConstraints or permittedEins)");
  }

  // The eUICC certificate's profile.
  if (!euicc->HasPolicy(oids::kPolicyEuicc)) {
    return EuiccInvalid(
        absl::StrCat("certificatePolicies lacks ", oids::kPolicyEuicc));
  }
  if (!euicc->HasKeyUsage(kKeyUsageDigitalSignature)) {
    return EuiccInvalid("keyUsage lacks digitalSignature");
  }
  if (euicc->IsCa() || euicc->HasKeyUsage(kKeyUsageKeyCertSign)) {
    return EuiccInvalid("has CA rights");
  }
  if (!euicc->subject.serial_number.has_value() ||
      !IsEid(*euicc->subject.serial_number)) {
    return EuiccInvalid("subject serialNumber is not a 32-digit EID");
  }
  const std::string& eid = *euicc->subject.serial_number;
  for (const VerifiedIssuer* p : path) {
    RETURN_IF_ERROR(CheckEidRange(*p->certificate, euicc->subject, eid));
  }
  absl::StatusOr<PublicKey> key =
      PublicKey::FromPoint(euicc->curve, euicc->public_point);
  if (!key.ok()) return EuiccInvalid(key.status().message());
  return VerifiedEuicc{eid, ci.key_id, *std::move(key), std::move(euicc),
                       eum->certificate};
}

}  // namespace smdp::auth
