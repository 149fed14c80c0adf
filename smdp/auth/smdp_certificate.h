// Start-up check of the SM-DP+'s own certificates (CERT.DPauth.ECDSA,
// CERT.DPpb.ECDSA, CERT.DP.TLS) against the CIs the server trusts.
//
// The server never has to verify its own chain per request (the eUICC
// does), but a configured certificate that does not chain to the CI it is
// meant for makes every download fail on the eUICC, late and with an
// unhelpful error. smdpd checks each configured identity once at start-up:
//
//   ASSIGN_OR_RETURN(VerifiedSmdpCertificate dpauth,
//                    VerifySmdpCertificate(*trust_store, dpauth_der,
//                                          SmdpCertificateRole::kDpAuth,
//                                          absl::Now()));
//   // dpauth.ci_key_id is the euiccCiPKId this identity serves.
//
// Checked: the certificate parses; its authorityKeyIdentifier names a
// trusted CI (directly: SGP.22 v3 CI sub-CAs are not supported here); the
// issuer name, curve and signature match that CI; the role's policy
// (2.23.146.1.2.1.4 DPauth, .5 DPpb, .3 DPtls); keyUsage digitalSignature and
// no CA rights; the validity period contains `now`. DPauth and DPpb need a
// subjectAltName registeredID (the SM-DP+ OID); DP.TLS needs a dNSName and
// the extended key usage serverAuth.
//
// Errors are plain statuses without a GsmaError (configuration problems, not
// answers to a client): NotFound for an unknown CI, FailedPrecondition for
// every other failed check, InvalidArgument when the DER does not parse.
//
// Thread-safety: a pure function of its arguments.
#ifndef SMDP_SMDP_AUTH_SMDP_CERTIFICATE_H_
#define SMDP_SMDP_AUTH_SMDP_CERTIFICATE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "smdp/auth/certificate.h"
#include "smdp/auth/ci_trust_store.h"

namespace smdp::auth {

// The roles of the SM-DP+ certificates.
enum class SmdpCertificateRole {
  kDpAuth,  // CERT.DPauth.ECDSA
  kDpPb,    // CERT.DPpb.ECDSA
  kDpTls,   // CERT.DP.TLS
};

// A checked SM-DP+ certificate.
struct VerifiedSmdpCertificate {
  Certificate certificate;
  // The key id of the CI that issued it: the euiccCiPKId it serves.
  std::string ci_key_id;
  // The first subjectAltName registeredID (the SM-DP+ OID, dotted), empty
  // when there is none (allowed for DP.TLS only).
  std::string smdp_oid;
};

// Checks `certificate_der` for `role` under the CIs of `trust_store` at
// `now`. See the file comment.
[[nodiscard]] absl::StatusOr<VerifiedSmdpCertificate> VerifySmdpCertificate(
    const CiTrustStore& trust_store, absl::string_view certificate_der,
    SmdpCertificateRole role, absl::Time now);

}  // namespace smdp::auth

#endif  // SMDP_SMDP_AUTH_SMDP_CERTIFICATE_H_
