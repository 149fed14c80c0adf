// OpenCryptoProvider: the CryptoProvider a ServerConfig's `hsm` describes,
// for smdpd and for smdpctl's local commands (keys import, pki init).
//
//   ASSIGN_OR_RETURN(std::unique_ptr<hsm::CryptoProvider> provider,
//                    OpenCryptoProvider(config));
#ifndef SMDP_SMDP_CONFIG_CRYPTO_PROVIDER_H_
#define SMDP_SMDP_CONFIG_CRYPTO_PROVIDER_H_

#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "api/config.pb.h"
#include "hsm/crypto_provider.h"

namespace smdp {

// The operator dev mode creates when the config has none.
inline constexpr absl::string_view kDevOperatorId = "op1";

// Opens the CryptoProvider that `config.hsm()` describes: the software
// provider (keys in `key_dir`, made 0700) or a PKCS#11 module logged in with
// the PIN from the environment variable or file the config names (the
// variable wins when it is set). The errors of the provider's Open/Create
// (a wrong PIN, a missing token or module) and of the PIN source.
[[nodiscard]] absl::StatusOr<std::unique_ptr<hsm::CryptoProvider>>
OpenCryptoProvider(const config::ServerConfig& config);

}  // namespace smdp

#endif  // SMDP_SMDP_CONFIG_CRYPTO_PROVIDER_H_
