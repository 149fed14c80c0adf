// SmdpIdentity: one SM-DP+ identity as the ES9+ functions use it: CERT.DPauth
// and CERT.DPpb (and CERT.DP.TLS) with their keys, which stay in the
// CryptoProvider, and the CI they chain to. A server holds one per CI and
// curve; DownloadService picks one per session by the eUICC's CI key ids.
//
//   SmdpIdentity id;  // smdp/server's LoadIdentity() fills one from config
//   ASSIGN_OR_RETURN(std::string signature, id.dpauth_key->Sign(der));
#ifndef SMDP_SMDP_AUTH_SMDP_IDENTITY_H_
#define SMDP_SMDP_AUTH_SMDP_IDENTITY_H_

#include <memory>
#include <string>

#include "hsm/crypto_provider.h"

namespace smdp {

// One loaded identity. Immutable after loading; safe to share across threads.
struct SmdpIdentity {
  // The config's name for it ("nist", "brp", ...).
  std::string name;
  // The curve of its keys and certificates.
  hsm::Curve curve;
  // Certificates, DER.
  std::string ci_cert;
  std::string dpauth_cert;
  std::string dppb_cert;
  std::string dptls_cert;  // Empty when not configured.
  // Keys held by the CryptoProvider: usable, never readable.
  std::shared_ptr<const hsm::SigningKey> dpauth_key;
  std::shared_ptr<const hsm::SigningKey> dppb_key;
  std::shared_ptr<const hsm::SigningKey> dptls_key;  // Null when not set.
};

}  // namespace smdp

#endif  // SMDP_SMDP_AUTH_SMDP_IDENTITY_H_
