// smdpctl's key and PKI commands: they work on the HSM of smdpd's config
// directly (opened as smdpd opens it), not over gRPC, so smdpd need not run.
// Each returns smdpctl's exit code: 0, 1 on errors, 2 on usage errors, the
// errors printed as one "smdpctl: ..." line on stderr (ctl::Fail).
#ifndef SMDP_CTL_PKI_COMMANDS_H_
#define SMDP_CTL_PKI_COMMANDS_H_

#include <string>

namespace smdp::ctl {

// Which HSM: the one of the config file (empty: the defaults), with
// data_dir, when set, overriding the config's.
struct HsmOptions {
  std::string config;
  std::string data_dir;
};

// smdpctl pki init [--config=FILE] [--data_dir=DIR]
// Makes the development PKI (test CI, DPauth/DPpb/DPtls, EUM, eUICC, both
// curves) in <data_dir>/pki, with the SM-DP+ keys generated inside the HSM,
// exactly as smdpd's dev mode does on first run (dev mode is forced; the
// SoftHSM token is made if needed). Idempotent. Prints
//   dev PKI in <data_dir>/pki (SM-DP+ keys in <HSM description>)
int PkiInit(const HsmOptions& options);

struct KeysImportOptions {
  HsmOptions hsm;
  std::string label;     // the key's label in the HSM
  std::string key_file;  // the private key, PEM or DER
};

// smdpctl keys import --label=L --key_file=KEY.pem [--config=FILE]
// Stores an existing private key (an operator's, or the SGP.26 test keys) in
// the HSM, sensitive and non-extractable, for identities; the copy read into
// memory is wiped. Exit code 2 without label or key_file. Prints
//   imported <label> (<curve>) into <HSM description>; delete the key file
//   if the HSM is now its only home
int KeysImport(const KeysImportOptions& options);

}  // namespace smdp::ctl

#endif  // SMDP_CTL_PKI_COMMANDS_H_
