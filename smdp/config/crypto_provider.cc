#include "smdp/config/crypto_provider.h"

#include <cstdlib>
#include <utility>

#include "hsm/pin_source.h"
#include "hsm/pkcs11_provider.h"
#include "hsm/software_provider.h"
#include "util/file_util.h"
#include "util/status_macros.h"

namespace smdp {

absl::StatusOr<std::unique_ptr<hsm::CryptoProvider>> OpenCryptoProvider(
    const config::ServerConfig& config) {
  const config::HsmConfig& hsm = config.hsm();
  if (hsm.kind() == config::HsmConfig::SOFTWARE) {
    hsm::SoftwareProviderOptions options;
    options.key_dir = hsm.key_dir();
    RETURN_IF_ERROR(MakeDirs(options.key_dir, 0700));
    ASSIGN_OR_RETURN(auto provider, hsm::SoftwareProvider::Create(options));
    return std::unique_ptr<hsm::CryptoProvider>(std::move(provider));
  }
  hsm::Pkcs11ProviderOptions options;
  options.module_path = hsm.module_path();
  options.token_label = hsm.token_label();
  if (hsm.has_slot_id()) options.slot_id = hsm.slot_id();
  // The env var wins when it is set; otherwise the file (config.proto).
  hsm::PinSource pin_source;
  if (!hsm.pin_env().empty() &&
      (hsm.pin_file().empty() || getenv(hsm.pin_env().c_str()) != nullptr)) {
    pin_source.env_var = hsm.pin_env();
  } else {
    pin_source.file = hsm.pin_file();
  }
  ASSIGN_OR_RETURN(options.pin, hsm::ReadPin(pin_source));
  options.session_pool_size = hsm.session_pool_size();
  options.agreement_in_hsm = hsm.agreement_in_hsm();
  ASSIGN_OR_RETURN(auto provider, hsm::Pkcs11Provider::Open(options));
  return std::unique_ptr<hsm::CryptoProvider>(std::move(provider));
}

}  // namespace smdp
