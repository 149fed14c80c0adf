#include "smdp/auth/smdp_certificate.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace smdp::auth {
namespace {

absl::string_view RoleName(SmdpCertificateRole role) {
  switch (role) {
    case SmdpCertificateRole::kDpAuth:
      return "CERT.DPauth.ECDSA";
    case SmdpCertificateRole::kDpPb:
      return "CERT.DPpb.ECDSA";
    case SmdpCertificateRole::kDpTls:
      return "CERT.DP.TLS";
  }
  return "SM-DP+ certificate";
}

absl::string_view RolePolicy(SmdpCertificateRole role) {
  switch (role) {
    case SmdpCertificateRole::kDpAuth:
      return oids::kPolicyDpAuth;
    case SmdpCertificateRole::kDpPb:
      return oids::kPolicyDpPb;
    case SmdpCertificateRole::kDpTls:
      return oids::kPolicyDpTls;
  }
  return "";
}

std::string TimeText(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

}  // namespace

absl::StatusOr<VerifiedSmdpCertificate> VerifySmdpCertificate(
    const CiTrustStore& trust_store, absl::string_view certificate_der,
    SmdpCertificateRole role, absl::Time now) {
  const absl::string_view name = RoleName(role);
  auto failed = [&](absl::string_view what) {
    return absl::FailedPreconditionError(absl::StrCat(name, ": ", what));
  };
  absl::StatusOr<Certificate> parsed = ParseCertificate(certificate_der);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": ", parsed.status().message()));
  }
  Certificate& cert = *parsed;
  if (!cert.authority_key_identifier.has_value()) {
    return failed("no authorityKeyIdentifier");
  }
  const TrustedCi* ci = trust_store.Find(*cert.authority_key_identifier);
  if (ci == nullptr) {
    return absl::NotFoundError(
        absl::StrCat(name, ": issued by the CI with key id ",
                     absl::BytesToHexString(*cert.authority_key_identifier),
                     ", which is not trusted"));
  }
  if (cert.curve != ci->public_key.curve()) {
    return failed(absl::StrCat("key on ", hsm::CurveName(cert.curve),
                               ", the CI's on ",
                               hsm::CurveName(ci->public_key.curve())));
  }
  if (!SameName(cert.issuer, ci->certificate.subject)) {
    return failed("issuer name differs from the CI's subject");
  }
  if (!ci->public_key.IsValidDerSignature(cert.tbs_der, cert.signature)) {
    return failed("signature does not verify with the CI's key");
  }
  if (!cert.HasPolicy(RolePolicy(role))) {
    return failed(absl::StrCat("certificatePolicies lacks ", RolePolicy(role)));
  }
  if (!cert.HasKeyUsage(kKeyUsageDigitalSignature)) {
    return failed("keyUsage lacks digitalSignature");
  }
  if (cert.IsCa() || cert.HasKeyUsage(kKeyUsageKeyCertSign)) {
    return failed("has CA rights");
  }
  if (role == SmdpCertificateRole::kDpTls) {
    if (cert.san_dns_names.empty()) {
      return failed("subjectAltName has no dNSName");
    }
    if (std::find(cert.extended_key_usage.begin(),
                  cert.extended_key_usage.end(),
                  oids::kEkuServerAuth) == cert.extended_key_usage.end()) {
      return failed("extended key usage lacks serverAuth");
    }
  } else if (cert.san_registered_ids.empty()) {
    return failed("subjectAltName has no registeredID (the SM-DP+ OID)");
  }
  if (now > cert.not_after) {
    return failed(absl::StrCat("expired at ", TimeText(cert.not_after)));
  }
  if (now < cert.not_before) {
    return failed(absl::StrCat("not valid before ", TimeText(cert.not_before)));
  }
  VerifiedSmdpCertificate out{std::move(cert), ci->key_id, ""};
  if (!out.certificate.san_registered_ids.empty()) {
    out.smdp_oid = out.certificate.san_registered_ids.front();
  }
  return out;
}

}  // namespace smdp::auth
