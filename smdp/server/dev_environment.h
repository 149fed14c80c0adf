// The embedded development environment: what `smdpd` with no config sets up
// on first run so that it can serve at once.
//
// In dev mode with the default PKCS#11 module (SoftHSMv2), PrepareDevHsm
// makes a SoftHSM token private to the data directory:
//   <data_dir>/hsm/softhsm2.conf   token directory <data_dir>/hsm/tokens
//   <data_dir>/hsm/pin, so-pin     random PINs, mode 0600
// and points SOFTHSM2_CONF at it (unless the environment already sets it).
// The dev PKI itself (smdp/pki/dev_pki.h) is made afterwards through the
// opened CryptoProvider, so the SM-DP+ keys are generated inside the token.
//
// This is the only code that knows about SoftHSM; the PKCS#11 provider does
// not. Not thread-safe (it sets an environment variable): call it from main
// before starting threads.
#ifndef SMDP_SMDP_SERVER_DEV_ENVIRONMENT_H_
#define SMDP_SMDP_SERVER_DEV_ENVIRONMENT_H_

#include "absl/status/status.h"
#include "api/config.pb.h"

namespace smdp {

// Does nothing unless config.dev_mode() and the HSM is PKCS#11 with the
// default SoftHSM module; then creates the token on first run. Idempotent.
[[nodiscard]] absl::Status PrepareDevHsm(const config::ServerConfig& config);

}  // namespace smdp

#endif  // SMDP_SMDP_SERVER_DEV_ENVIRONMENT_H_
