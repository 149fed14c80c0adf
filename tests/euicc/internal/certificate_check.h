// How the software eUICC checks an SM-DP+ certificate (CERT.DPauth.ECDSA in
// AuthenticateServer, CERT.DPpb.ECDSA in PrepareDownload) against a CI it
// trusts, with plain OpenSSL and nothing of smdp/auth:
//
//   1. the DER parses as one X.509 certificate, nothing after it;
//   2. its key is EC on a curve the eUICC supports (else kUnsupportedCurve);
//   3. signed with ecdsa-with-SHA256, issuer name = the CI's subject,
//      authorityKeyIdentifier = the CI's subjectKeyIdentifier, the key on
//      the CI's curve, and X509_verify() with the CI's key succeeds;
//   4. notBefore <= now <= notAfter at the eUICC's clock;
//   5. no critical extension OpenSSL does not know, no CA flag, keyUsage
//      with digitalSignature;
//   6. certificatePolicies holds the role's policy (2.23.146.1.2.1.4 for
//      DPauth, .5 for DPpb), else kInvalidOid;
//   7. subjectAltName carries a registeredID: the SM-DP+ OID.
//
//   ASSIGN_OR_RETURN(TrustedCi ci, TrustedCi::FromDer(ci_der));
//   CertificateFailure failure;
//   absl::StatusOr<ServerCertificate> dpauth = CheckServerCertificate(
//       cert_der, ci, kPolicyDpAuth, now, supported, &failure);
#ifndef SMDP_TESTS_EUICC_INTERNAL_CERTIFICATE_CHECK_H_
#define SMDP_TESTS_EUICC_INTERNAL_CERTIFICATE_CHECK_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "util/ssl_ptr.h"

namespace smdp::euicc::internal {

// id-rspRole-dp-auth and id-rspRole-dp-pb (SGP.22 4.5.2.1).
inline constexpr absl::string_view kPolicyDpAuth = "2.23.146.1.2.1.4";
inline constexpr absl::string_view kPolicyDpPb = "2.23.146.1.2.1.5";

// Parses exactly one DER certificate.
[[nodiscard]] absl::StatusOr<X509Ptr> ParseCertificate(absl::string_view der);

// The subjectKeyIdentifier of `cert` (empty when it has none).
std::string SubjectKeyId(const X509& cert);
// The authorityKeyIdentifier keyIdentifier of `cert` (empty when none).
std::string AuthorityKeyId(const X509& cert);

// A CI certificate the eUICC trusts, parsed once.
struct TrustedCi {
  X509Ptr certificate;
  std::string der;
  std::string key_id;  // subjectKeyIdentifier: the euiccCiPKId
  int curve_nid = 0;

  // Parses a CI certificate; InvalidArgument when it does not parse, has no
  // subjectKeyIdentifier or no EC key.
  [[nodiscard]] static absl::StatusOr<TrustedCi> FromDer(absl::string_view der);
};

// What a successful check yields.
struct ServerCertificate {
  EvpPkeyPtr public_key;
  int curve_nid = 0;
  std::string smdp_oid;  // dotted, from subjectAltName registeredID
};

// Why a check failed, in the terms of the ES10b error codes.
enum class CertificateFailure {
  kNone,
  kInvalidCertificate,
  kUnsupportedCurve,
  kInvalidOid,
};

// Checks `der` as described in the file comment. On failure returns
// InvalidArgument naming the rule broken and sets `*failure`.
// `supported_curve_nids` lists the curves the eUICC supports.
[[nodiscard]] absl::StatusOr<ServerCertificate> CheckServerCertificate(
    absl::string_view der, const TrustedCi& ci, absl::string_view policy_oid,
    absl::Time now, const std::vector<int>& supported_curve_nids,
    CertificateFailure* failure);

}  // namespace smdp::euicc::internal

#endif  // SMDP_TESTS_EUICC_INTERNAL_CERTIFICATE_CHECK_H_
