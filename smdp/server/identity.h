// SM-DP+ identities: CERT.DPauth and CERT.DPpb (and CERT.DP.TLS) with their
// keys in the CryptoProvider, and the CI they chain to. A server holds one
// per CI and curve, chosen per session by the eUICC's CI key ids.
#ifndef SMDP_SMDP_SERVER_IDENTITY_H_
#define SMDP_SMDP_SERVER_IDENTITY_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "api/config.pb.h"
#include "hsm/crypto_provider.h"
#include "smdp/pki/dev_pki.h"

namespace smdp {

// One loaded identity. Immutable after loading; safe to share across threads.
struct SmdpIdentity {
  std::string name;
  hsm::Curve curve;
  // Certificates, DER.
  std::string ci_cert;
  std::string dpauth_cert;
  std::string dppb_cert;
  std::string dptls_cert;  // Empty when not configured.
  std::shared_ptr<const hsm::SigningKey> dpauth_key;
  std::shared_ptr<const hsm::SigningKey> dppb_key;
  std::shared_ptr<const hsm::SigningKey> dptls_key;  // Null when not set.
};

// The identity config of one curve of the dev PKI: its certificate files
// and the labels of its keys in the provider.
config::Identity DevPkiIdentityConfig(absl::string_view name,
                                      const pki::DevPkiCurve& curve);

// Reads the certificate files (PEM or DER) and loads the keys of `config`
// through `provider`. Each key must be the private key of its certificate
// (same curve, same public point), else FailedPrecondition naming the
// identity and the file.
[[nodiscard]] absl::StatusOr<SmdpIdentity> LoadIdentity(
    const config::Identity& config, hsm::CryptoProvider& provider);

// The public key of a certificate as (curve, uncompressed point). For
// PEM or DER input. InvalidArgument when it is not an EC key on a curve of
// SGP.22.
[[nodiscard]] absl::StatusOr<std::pair<hsm::Curve, std::string>>
CertificatePublicKey(absl::string_view cert_pem_or_der);

// DER of a certificate given as PEM or DER.
[[nodiscard]] absl::StatusOr<std::string> CertificateToDer(
    absl::string_view cert_pem_or_der);

}  // namespace smdp

#endif  // SMDP_SMDP_SERVER_IDENTITY_H_
