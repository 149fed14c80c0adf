// Loading SM-DP+ identities (smdp/auth/smdp_identity.h) from the config:
// certificate files and keys in the CryptoProvider, and the identity config
// of the dev PKI.
#ifndef SMDP_SMDP_SERVER_IDENTITY_H_
#define SMDP_SMDP_SERVER_IDENTITY_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "api/config.pb.h"
#include "hsm/crypto_provider.h"
#include "smdp/auth/smdp_identity.h"
#include "smdp/pki/dev_pki.h"

namespace smdp {

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
