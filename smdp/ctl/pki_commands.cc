#include "smdp/ctl/pki_commands.h"

#include <openssl/crypto.h>

#include <iostream>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "hsm/crypto_provider.h"
#include "smdp/config/config.h"
#include "smdp/config/crypto_provider.h"
#include "smdp/ctl/client.h"
#include "smdp/pki/dev_pki.h"
#include "smdp/server/dev_environment.h"
#include "util/file_util.h"
#include "util/status_macros.h"

namespace smdp::ctl {
namespace {

// The HSM of the config (or of dev mode), opened as smdpd opens it. In dev
// mode the SoftHSM token is made first if needed.
absl::StatusOr<std::unique_ptr<smdp::hsm::CryptoProvider>> OpenHsm(
    const HsmOptions& options, smdp::config::ServerConfig& config,
    bool force_dev_mode) {
  if (!options.config.empty()) {
    ASSIGN_OR_RETURN(config, smdp::LoadConfigFile(options.config));
  }
  if (!options.data_dir.empty()) config.set_data_dir(options.data_dir);
  if (force_dev_mode) config.set_dev_mode(true);
  smdp::ApplyDefaults(config, /*from_file=*/!options.config.empty());
  // A config without identities yet is fine for key management.
  smdp::config::ServerConfig check = config;
  if (check.identities().empty()) check.set_dev_mode(true);
  RETURN_IF_ERROR(smdp::ValidateConfig(check));
  RETURN_IF_ERROR(smdp::MakeDirs(config.data_dir(), 0700));
  RETURN_IF_ERROR(smdp::PrepareDevHsm(config));
  return smdp::OpenCryptoProvider(config);
}

}  // namespace

int PkiInit(const HsmOptions& options) {
  smdp::config::ServerConfig config;
  // `pki init` is an explicit request for the development PKI.
  auto provider = OpenHsm(options, config, /*force_dev_mode=*/true);
  if (!provider.ok()) return Fail(1, provider.status().message());
  smdp::pki::DevPkiOptions pki_options;
  pki_options.dir = absl::StrCat(config.data_dir(), "/pki");
  pki_options.smdp_address = config.smdp_address();
  pki_options.smdp_oid = config.smdp_oid();
  auto pki = smdp::pki::EnsureDevPki(pki_options, **provider);
  if (!pki.ok()) return Fail(1, pki.status().message());
  std::cout << "dev PKI in " << pki_options.dir << " (SM-DP+ keys in "
            << (*provider)->Describe() << ")" << std::endl;
  return 0;
}

int KeysImport(const KeysImportOptions& options) {
  const std::string& label = options.label;
  const std::string& file = options.key_file;
  if (label.empty() || file.empty()) {
    return Fail(2, "keys import needs --label and --key_file");
  }
  auto key_data = smdp::ReadFile(file, 64 << 10);
  if (!key_data.ok()) return Fail(1, key_data.status().message());
  smdp::config::ServerConfig config;
  auto provider = OpenHsm(options.hsm, config, /*force_dev_mode=*/false);
  if (!provider.ok()) return Fail(1, provider.status().message());
  auto key = (*provider)->ImportSigningKey(label, *key_data);
  OPENSSL_cleanse(key_data->data(), key_data->size());
  if (!key.ok()) {
    return Fail(1, absl::StrCat("key ", label, ": ", key.status().message()));
  }
  std::cout << "imported " << label << " ("
            << smdp::hsm::CurveName((*key)->curve()) << ") into "
            << (*provider)->Describe()
            << "; delete the key file if the HSM is now its only home"
            << std::endl;
  return 0;
}

}  // namespace smdp::ctl
