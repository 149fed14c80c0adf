#include "tests/euicc/internal/certificate_check.h"

#include <openssl/asn1.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <ctime>
#include <utility>

#include "absl/strings/str_cat.h"
#include "tests/euicc/internal/euicc_crypto.h"
#include "util/status_macros.h"

namespace smdp::euicc::internal {
namespace {

using CertificatePoliciesPtr =
    SslPtr<CERTIFICATEPOLICIES, CERTIFICATEPOLICIES_free>;
using GeneralNamesPtr = SslPtr<GENERAL_NAMES, GENERAL_NAMES_free>;

X509* Mutable(const X509& cert) { return const_cast<X509*>(&cert); }

std::string OctetString(const ASN1_OCTET_STRING* s) {
  if (s == nullptr) return "";
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                     static_cast<size_t>(ASN1_STRING_length(s)));
}

std::string ObjectText(const ASN1_OBJECT* object) {
  char buf[128];
  const int len = OBJ_obj2txt(buf, sizeof(buf), object, /*no_name=*/1);
  if (len <= 0 || static_cast<size_t>(len) >= sizeof(buf)) return "";
  return std::string(buf, static_cast<size_t>(len));
}

absl::StatusOr<absl::Time> ToTime(const ASN1_TIME* t) {
  struct tm tm = {};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) {
    DrainOpensslErrors();
    return absl::InvalidArgumentError("unreadable validity time");
  }
  return absl::FromTimeT(timegm(&tm));
}

// Sets `*failure` and returns InvalidArgument "<what>: <message>".
absl::Status Fail(CertificateFailure kind, CertificateFailure* failure,
                  absl::string_view message) {
  *failure = kind;
  return absl::InvalidArgumentError(message);
}

}  // namespace

absl::StatusOr<X509Ptr> ParseCertificate(absl::string_view der) {
  const auto* begin = reinterpret_cast<const unsigned char*>(der.data());
  const unsigned char* p = begin;
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (cert == nullptr) {
    DrainOpensslErrors();
    return absl::InvalidArgumentError("not a DER X.509 certificate");
  }
  if (p != begin + der.size()) {
    return absl::InvalidArgumentError("bytes after the certificate");
  }
  return cert;
}

std::string SubjectKeyId(const X509& cert) {
  return OctetString(X509_get0_subject_key_id(Mutable(cert)));
}

std::string AuthorityKeyId(const X509& cert) {
  return OctetString(X509_get0_authority_key_id(Mutable(cert)));
}

absl::StatusOr<TrustedCi> TrustedCi::FromDer(absl::string_view der) {
  TrustedCi ci;
  ASSIGN_OR_RETURN(ci.certificate, ParseCertificate(der));
  ci.der = std::string(der);
  ci.key_id = SubjectKeyId(*ci.certificate);
  if (ci.key_id.empty()) {
    return absl::InvalidArgumentError("CI certificate has no subjectKeyId");
  }
  const EVP_PKEY* key = X509_get0_pubkey(ci.certificate.get());
  ci.curve_nid = key != nullptr ? CurveNid(*key) : 0;
  if (ci.curve_nid == NID_undef) {
    DrainOpensslErrors();
    return absl::InvalidArgumentError("CI certificate has no EC key");
  }
  return ci;
}

absl::StatusOr<ServerCertificate> CheckServerCertificate(
    absl::string_view der, const TrustedCi& ci, absl::string_view policy_oid,
    absl::Time now, const std::vector<int>& supported_curve_nids,
    CertificateFailure* failure) {
  *failure = CertificateFailure::kNone;
  constexpr CertificateFailure kInvalid =
      CertificateFailure::kInvalidCertificate;
  absl::StatusOr<X509Ptr> parsed = ParseCertificate(der);
  if (!parsed.ok()) return Fail(kInvalid, failure, parsed.status().message());
  X509* cert = parsed->get();

  ServerCertificate out;
  out.public_key.reset(X509_get_pubkey(cert));
  if (out.public_key == nullptr) {
    DrainOpensslErrors();
    return Fail(CertificateFailure::kUnsupportedCurve, failure,
                "public key unreadable or not EC");
  }
  out.curve_nid = CurveNid(*out.public_key);
  if (std::find(supported_curve_nids.begin(), supported_curve_nids.end(),
                out.curve_nid) == supported_curve_nids.end()) {
    return Fail(CertificateFailure::kUnsupportedCurve, failure,
                absl::StrCat("key on ", CurveNameOf(out.curve_nid),
                             ", a curve this eUICC does not support"));
  }

  // The chain to the CI.
  if (X509_get_signature_nid(cert) != NID_ecdsa_with_SHA256) {
    return Fail(kInvalid, failure, "not signed with ecdsa-with-SHA256");
  }
  if (X509_NAME_cmp(X509_get_issuer_name(cert),
                    X509_get_subject_name(ci.certificate.get())) != 0) {
    return Fail(kInvalid, failure, "issuer is not the CI's subject");
  }
  if (AuthorityKeyId(*cert) != ci.key_id) {
    return Fail(kInvalid, failure,
                "authorityKeyIdentifier is not the CI's key id");
  }
  if (out.curve_nid != ci.curve_nid) {
    return Fail(kInvalid, failure,
                absl::StrCat("key on ", CurveNameOf(out.curve_nid),
                             ", the CI's on ", CurveNameOf(ci.curve_nid)));
  }
  if (X509_verify(cert, X509_get0_pubkey(ci.certificate.get())) != 1) {
    DrainOpensslErrors();
    return Fail(kInvalid, failure, "signature does not verify with the CI key");
  }

  // Validity at the eUICC's clock.
  absl::StatusOr<absl::Time> not_before = ToTime(X509_get0_notBefore(cert));
  absl::StatusOr<absl::Time> not_after = ToTime(X509_get0_notAfter(cert));
  if (!not_before.ok() || !not_after.ok()) {
    return Fail(kInvalid, failure, "unreadable validity");
  }
  if (now < *not_before) {
    return Fail(
        kInvalid, failure,
        absl::StrCat("not valid before ", absl::FormatTime(*not_before)));
  }
  if (now > *not_after) {
    return Fail(kInvalid, failure,
                absl::StrCat("expired at ", absl::FormatTime(*not_after)));
  }

  // Extensions.
  const uint32_t flags = X509_get_extension_flags(cert);
  if (flags & EXFLAG_INVALID) {
    return Fail(kInvalid, failure, "malformed extensions");
  }
  if (flags & EXFLAG_CRITICAL) {
    return Fail(kInvalid, failure, "unknown critical extension");
  }
  if (flags & EXFLAG_CA) return Fail(kInvalid, failure, "a CA certificate");
  if (!(flags & EXFLAG_KUSAGE) ||
      !(X509_get_key_usage(cert) & KU_DIGITAL_SIGNATURE)) {
    return Fail(kInvalid, failure, "keyUsage lacks digitalSignature");
  }

  int critical = 0;
  CertificatePoliciesPtr policies(static_cast<CERTIFICATEPOLICIES*>(
      X509_get_ext_d2i(cert, NID_certificate_policies, &critical, nullptr)));
  bool has_policy = false;
  for (int i = 0; policies != nullptr && i < sk_POLICYINFO_num(policies.get());
       ++i) {
    const POLICYINFO* info = sk_POLICYINFO_value(policies.get(), i);
    if (ObjectText(info->policyid) == policy_oid) has_policy = true;
  }
  if (!has_policy) {
    return Fail(CertificateFailure::kInvalidOid, failure,
                absl::StrCat("certificatePolicies lacks ", policy_oid));
  }

  GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert, NID_subject_alt_name, &critical, nullptr)));
  for (int i = 0; names != nullptr && i < sk_GENERAL_NAME_num(names.get());
       ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    if (name->type == GEN_RID) {
      out.smdp_oid = ObjectText(name->d.registeredID);
      break;
    }
  }
  DrainOpensslErrors();
  if (out.smdp_oid.empty()) {
    return Fail(kInvalid, failure,
                "subjectAltName has no registeredID (SM-DP+ OID)");
  }
  return out;
}

}  // namespace smdp::euicc::internal
