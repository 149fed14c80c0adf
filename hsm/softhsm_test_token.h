// SoftHsmTestToken: a real, freshly initialised SoftHSMv2 token, for tests
// of hsm/ and of every module that needs a Pkcs11Provider.
//
//   ASSERT_OK_AND_ASSIGN(auto token, SoftHsmTestToken::Create());
//   ASSERT_OK_AND_ASSIGN(auto hsm, token->OpenProvider());
//   ASSERT_OK_AND_ASSIGN(auto key, hsm->GenerateSigningKey("k",
//   Curve::kNistP256));
//
// SoftHSM reads SOFTHSM2_CONF once, when the module is initialised, and a
// PKCS#11 module stays initialised for the rest of the process (see
// internal/pkcs11_module.h). So the first Create() in a process makes one
// temporary directory (under $TEST_TMPDIR, or /tmp), writes
// <dir>/softhsm2.conf there (tokens under <dir>/tokens, file object store,
// log level ERROR) and points SOFTHSM2_CONF at it; every Create() then
// initialises a new token with a unique label in that directory, so each
// test gets a token of its own. The directory is removed at process exit.
//
// Thread-safety: Create() may change the process environment; call it from
// the test's main thread, not while other threads run.
#ifndef SMDP_HSM_SOFTHSM_TEST_TOKEN_H_
#define SMDP_HSM_SOFTHSM_TEST_TOKEN_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "hsm/pkcs11_provider.h"

namespace smdp::hsm {

class SoftHsmTestToken {
 public:
  struct Options {
    // Token label. Default: empty, meaning a unique "test-<pid>-<n>".
    std::string label;
    std::string user_pin = "1234";
    std::string so_pin = "123456";
  };

  // The SoftHSM module: $SMDP_SOFTHSM_MODULE if set, else
  // /usr/lib/softhsm/libsofthsm2.so.
  static std::string ModulePath();

  [[nodiscard]] static absl::StatusOr<std::unique_ptr<SoftHsmTestToken>> Create(
      Options options);
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<SoftHsmTestToken>>
  Create() {
    return Create(Options());
  }

  SoftHsmTestToken(const SoftHsmTestToken&) = delete;
  SoftHsmTestToken& operator=(const SoftHsmTestToken&) = delete;

  // The process-wide SoftHSM directory and configuration file.
  const std::string& dir() const { return dir_; }
  std::string conf_path() const { return dir_ + "/softhsm2.conf"; }
  const std::string& label() const { return options_.label; }
  const std::string& user_pin() const { return options_.user_pin; }
  const std::string& so_pin() const { return options_.so_pin; }

  // Options that open this token (module, label, user PIN).
  Pkcs11ProviderOptions ProviderOptions() const;
  // Pkcs11Provider::Open(ProviderOptions()).
  [[nodiscard]] absl::StatusOr<std::unique_ptr<Pkcs11Provider>> OpenProvider()
      const;

  // Runs softhsm2-util with `args` against this process's SoftHSM
  // configuration (for example "--import key.pem --token <label> --label x
  // --id 01 --pin 1234"). FailedPrecondition with its output when it fails.
  [[nodiscard]] absl::Status RunSoftHsmUtil(const std::string& args) const;

 private:
  SoftHsmTestToken(Options options, std::string dir);

  const Options options_;
  const std::string dir_;
};

}  // namespace smdp::hsm

#endif  // SMDP_HSM_SOFTHSM_TEST_TOKEN_H_
