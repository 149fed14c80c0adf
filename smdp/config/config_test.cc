#include "smdp/config/config.h"

#include <cstdio>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace smdp {
namespace {

using ::testing::HasSubstr;

config::ServerConfig Defaulted(absl::string_view text) {
  auto parsed = ParseConfig(text, "textproto", "test");
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  config::ServerConfig config = *parsed;
  ApplyDefaults(config, /*from_file=*/true);
  return config;
}

TEST(ConfigTest, NoFileMeansDevModeWithSafeDefaults) {
  config::ServerConfig config;
  ApplyDefaults(config, /*from_file=*/false);
  EXPECT_TRUE(config.dev_mode());
  EXPECT_EQ(config.data_dir(), "smdp-data");
  EXPECT_EQ(config.grpc_listen(), "127.0.0.1:9443");
  EXPECT_EQ(config.smdp_address(), "localhost");
  EXPECT_EQ(config.hsm().module_path(), "/usr/lib/softhsm/libsofthsm2.so");
  EXPECT_EQ(config.hsm().token_label(), "smdp");
  EXPECT_EQ(config.hsm().pin_env(), "SMDP_HSM_PIN");
  EXPECT_EQ(config.hsm().pin_file(), "smdp-data/hsm/pin");
  EXPECT_FALSE(config.hsm().agreement_in_hsm());
  EXPECT_GE(config.hsm().session_pool_size(), 1u);
  EXPECT_TRUE(ValidateConfig(config).ok()) << ValidateConfig(config);
}

TEST(ConfigTest, FileWithoutIdentitiesNeedsDevMode) {
  config::ServerConfig config = Defaulted("data_dir: '/tmp/x'");
  EXPECT_FALSE(config.dev_mode());
  absl::Status status = ValidateConfig(config);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("config field identities"));
  EXPECT_TRUE(ValidateConfig(Defaulted("dev_mode: true")).ok());
}

TEST(ConfigTest, EachBadFieldIsNamed) {
  const std::pair<const char*, const char*> cases[] = {
      {"dev_mode: true smdp_address: 'https://x.example'", "smdp_address"},
      {"dev_mode: true smdp_address: 'a..b'", "smdp_address"},
      {"dev_mode: true smdp_oid: '2.x'", "smdp_oid"},
      {"dev_mode: true grpc_listen: 'localhost'", "grpc_listen"},
      {"dev_mode: true grpc_listen: '127.0.0.1:70000'", "grpc_listen"},
      {"dev_mode: true grpc_listen: '::1:80'", "grpc_listen"},
      {"dev_mode: true log_level: 'loud'", "log_level"},
      {"dev_mode: true worker_threads: 5000", "worker_threads"},
      {"dev_mode: true hsm { module_path: 'libsofthsm2.so' }",
       "hsm.module_path"},
      {"dev_mode: true hsm { session_pool_size: 5000 }",
       "hsm.session_pool_size"},
      {"identities { name: 'a' }", "identities[0].ci_cert_file"},
      {"identities { name: 'a' ci_cert_file: 'c' dpauth_cert_file: 'a' "
       "dppb_cert_file: 'b' dpauth_key: 'k' dppb_key: 'l' } "
       "identities { name: 'a' ci_cert_file: 'c' dpauth_cert_file: 'a' "
       "dppb_cert_file: 'b' dpauth_key: 'k' dppb_key: 'l' }",
       "identities[1].name"},
      {"dev_mode: true grpc_plaintext: true grpc_listen: '0.0.0.0:9443'",
       "grpc_plaintext"},
      {"dev_mode: true grpc_plaintext: true grpc_listen: '[::]:9443'",
       "grpc_plaintext"},
      {"dev_mode: true grpc_plaintext: true grpc_listen: 'smdp.example:1'",
       "grpc_plaintext"},
      {"dev_mode: true grpc_plaintext: true grpc_tls { private_key_file: 'k' }",
       "grpc_plaintext"},
      {"dev_mode: true grpc_tls { certificate_chain_file: 'c' }",
       "grpc_tls.private_key_file"},
      {"dev_mode: true grpc_tls { private_key_file: 'k' }",
       "grpc_tls.certificate_chain_file"},
      {"dev_mode: true grpc_tls { certificate_chain_file: 'c' "
       "private_key_file: 'k' }",
       "grpc_tls.client_ca_files"},
      {"dev_mode: true grpc_tls { certificate_chain_file: 'c' "
       "private_key_file: 'k' client_ca_files: '' }",
       "grpc_tls.client_ca_files[0]"},
      {"dev_mode: true admin_clients: ''", "admin_clients[0]"},
      {"dev_mode: true es2_https_listen: 'nowhere'", "es2_https_listen"},
      {"dev_mode: true operators { client_ca_files: 'ca' }", "operators[0].id"},
      {"dev_mode: true operators { id: 'op1' }",
       "operators[0].client_ca_files"},
      {"dev_mode: true operators { id: 'op1' client_ca_files: 'ca' } "
       "operators { id: 'op1' client_ca_files: 'ca' }",
       "operators[1].id"},
      {"dev_mode: true operators { id: 'op1' client_ca_files: 'ca' "
       "callback { url: 'http://op1.example' } }",
       "operators[0].callback.url"},
      {"dev_mode: true operators { id: 'op1' client_ca_files: 'ca' "
       "callback { url: 'https://op1.example' } }",
       "operators[0].callback.trust_anchor_files"},
      {"dev_mode: true operators { id: 'op1' client_ca_files: 'ca' "
       "callback { url: 'grpc://op1.example:1' trust_anchor_files: 't' } }",
       "operators[0].callback"},
      {"identities { name: 'a' ci_cert_file: 'c' dpauth_cert_file: 'a' "
       "dppb_cert_file: 'b' dpauth_key: 'k' dppb_key: 'l' }",
       "grpc_tls"},
  };
  for (const auto& [text, field] : cases) {
    absl::Status status = ValidateConfig(Defaulted(text));
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_THAT(status.message(),
                HasSubstr(absl::StrCat("config field ", field, ":")))
        << text;
    EXPECT_THAT(std::string(status.message()), ::testing::Not(HasSubstr("\n")));
  }
}

TEST(ConfigTest, GrpcTransport) {
  // Dev mode: TLS with the dev material, and the dev admin certificate.
  config::ServerConfig dev;
  ApplyDefaults(dev, /*from_file=*/false);
  EXPECT_FALSE(dev.grpc_plaintext());
  EXPECT_FALSE(dev.has_grpc_tls());
  EXPECT_THAT(dev.admin_clients(), ::testing::ElementsAre("smdp-admin"));
  // Given admin_clients replace the default.
  EXPECT_THAT(Defaulted("dev_mode: true admin_clients: 'ops'").admin_clients(),
              ::testing::ElementsAre("ops"));

  // Outside dev mode nobody is an admin by default, and TLS is required.
  const char* kIdentity =
      "identities { name: 'a' ci_cert_file: 'c' dpauth_cert_file: 'a' "
      "dppb_cert_file: 'b' dpauth_key: 'k' dppb_key: 'l' } ";
  config::ServerConfig prod = Defaulted(absl::StrCat(
      kIdentity,
      "grpc_tls { certificate_chain_file: 'c' private_key_file: 'k' "
      "client_ca_files: 'a' client_ca_files: 'b' }"));
  EXPECT_TRUE(prod.admin_clients().empty());
  EXPECT_TRUE(ValidateConfig(prod).ok()) << ValidateConfig(prod);
  absl::Status status = ValidateConfig(Defaulted(kIdentity));
  EXPECT_THAT(
      status.message(),
      HasSubstr("config field grpc_tls: not set and dev_mode is false"));

  // Plaintext on loopback only.
  for (const char* listen : {"127.0.0.1:0", "127.1.2.3:9443", "[::1]:9443",
                             "localhost:9443", "LOCALHOST:1"}) {
    config::ServerConfig plain = Defaulted(absl::StrCat(
        kIdentity, "grpc_plaintext: true grpc_listen: '", listen, "'"));
    EXPECT_TRUE(ValidateConfig(plain).ok())
        << listen << ": " << ValidateConfig(plain);
  }
  status = ValidateConfig(Defaulted(absl::StrCat(
      kIdentity, "grpc_plaintext: true grpc_listen: '10.0.0.1:9443'")));
  EXPECT_EQ(status.message(),
            "config field grpc_plaintext: only allowed when grpc_listen is a "
            "loopback address (127.0.0.1, [::1], localhost), not "
            "'10.0.0.1:9443'");
}

// Two identities with a CERT.DP.TLS each (NIST and brainpool) and one
// without, over gRPC on loopback.
constexpr char kTlsIdentities[] =
    "grpc_plaintext: true "
    "identities { name: 'nist' ci_cert_file: 'c' dpauth_cert_file: 'a' "
    "dppb_cert_file: 'b' dpauth_key: 'k' dppb_key: 'l' "
    "dptls_cert_file: 't' dptls_key: 'tk' } "
    "identities { name: 'brp' ci_cert_file: 'c' dpauth_cert_file: 'a' "
    "dppb_cert_file: 'b' dpauth_key: 'k' dppb_key: 'l' "
    "dptls_cert_file: 't' dptls_key_file: '/etc/smdp/dptls-brp.key.pem' } "
    "identities { name: 'notls' ci_cert_file: 'c' dpauth_cert_file: 'a' "
    "dppb_cert_file: 'b' dpauth_key: 'k' dppb_key: 'l' } ";

TEST(ConfigTest, Es9HttpsListeners) {
  // The repeated field: no es9_https_listen default, listeners as given.
  config::ServerConfig config = Defaulted(
      absl::StrCat(kTlsIdentities,
                   "es9_https { listen: '0.0.0.0:443' } "
                   "es9_https { listen: '0.0.0.0:8443' tls_identities: 'brp' "
                   "tls_identities: 'nist' }"));
  EXPECT_TRUE(ValidateConfig(config).ok()) << ValidateConfig(config);
  EXPECT_EQ(config.es9_https_listen(), "");
  std::vector<config::Es9HttpsListener> listeners = Es9HttpsListeners(config);
  ASSERT_EQ(listeners.size(), 2u);
  EXPECT_EQ(listeners[0].listen(), "0.0.0.0:443");
  EXPECT_TRUE(listeners[0].tls_identities().empty());
  EXPECT_THAT(listeners[1].tls_identities(),
              ::testing::ElementsAre("brp", "nist"));

  // Without it, es9_https_listen (default or given) and tls_identity make
  // the one listener; "off" makes none.
  config = Defaulted(kTlsIdentities);
  listeners = Es9HttpsListeners(config);
  ASSERT_EQ(listeners.size(), 1u);
  EXPECT_EQ(listeners[0].listen(), "127.0.0.1:8443");
  EXPECT_TRUE(listeners[0].tls_identities().empty());
  config = Defaulted(absl::StrCat(
      kTlsIdentities, "es9_https_listen: '[::]:443' tls_identity: 'brp'"));
  EXPECT_TRUE(ValidateConfig(config).ok()) << ValidateConfig(config);
  listeners = Es9HttpsListeners(config);
  ASSERT_EQ(listeners.size(), 1u);
  EXPECT_EQ(listeners[0].listen(), "[::]:443");
  EXPECT_THAT(listeners[0].tls_identities(), ::testing::ElementsAre("brp"));
  EXPECT_TRUE(Es9HttpsListeners(Defaulted("es9_https_listen: 'off'")).empty());

  // Dev mode (no config): one listener on the default address serving every
  // dev identity's CERT.DP.TLS.
  config::ServerConfig dev;
  ApplyDefaults(dev, /*from_file=*/false);
  listeners = Es9HttpsListeners(dev);
  ASSERT_EQ(listeners.size(), 1u);
  EXPECT_EQ(listeners[0].listen(), "127.0.0.1:8443");
  EXPECT_TRUE(listeners[0].tls_identities().empty());
  // Dev identities are checked at start-up, not here.
  EXPECT_TRUE(ValidateConfig(Defaulted("dev_mode: true es9_https { listen: "
                                       "'127.0.0.1:0' tls_identities: 'brp' }"))
                  .ok());
}

TEST(ConfigTest, Es9HttpsErrors) {
  const std::pair<std::string, std::string> cases[] = {
      {"es9_https { listen: '' }",
       "config field es9_https[0].listen: is empty"},
      {"es9_https { listen: '0.0.0.0:443' } es9_https { listen: 'nowhere' }",
       "config field es9_https[1].listen: 'nowhere' is not host:port"},
      {"es9_https { listen: '0.0.0.0:443' } "
       "es9_https { listen: '0.0.0.0:443' }",
       "config field es9_https[1].listen: '0.0.0.0:443' is used by another "
       "listener"},
      {"es9_https { listen: '0.0.0.0:443' tls_identities: '' }",
       "config field es9_https[0].tls_identities[0]: is empty"},
      {"es9_https { listen: '0.0.0.0:443' tls_identities: 'nist' "
       "tls_identities: 'nist' }",
       "config field es9_https[0].tls_identities[1]: 'nist' appears twice"},
      {"es9_https { listen: '0.0.0.0:443' tls_identities: 'nist' "
       "tls_identities: 'ecc' }",
       "config field es9_https[0].tls_identities[1]: no identity is named "
       "'ecc'"},
      {"es9_https { listen: '0.0.0.0:443' tls_identities: 'notls' }",
       "config field es9_https[0].tls_identities[0]: identity 'notls' has no "
       "dptls_cert_file with dptls_key or dptls_key_file"},
      {"es9_https_listen: '0.0.0.0:443' es9_https { listen: '0.0.0.0:443' }",
       "config field es9_https_listen: is set together with es9_https: list "
       "every ES9+ listener in es9_https"},
      {"es9_https_listen: 'nowhere'",
       "config field es9_https_listen: 'nowhere' is not host:port"},
  };
  for (const auto& [text, error] : cases) {
    EXPECT_EQ(ValidateConfig(Defaulted(absl::StrCat(kTlsIdentities, text))),
              absl::InvalidArgumentError(error))
        << text;
  }
  // No identity with a CERT.DP.TLS for a listener that takes them all.
  EXPECT_EQ(
      ValidateConfig(Defaulted(
          "grpc_plaintext: true "
          "identities { name: 'notls' ci_cert_file: 'c' dpauth_cert_file: 'a' "
          "dppb_cert_file: 'b' dpauth_key: 'k' dppb_key: 'l' } "
          "es9_https { listen: '0.0.0.0:443' }")),
      absl::InvalidArgumentError(
          "config field es9_https[0].tls_identities: is empty and no identity "
          "has a dptls_cert_file with dptls_key or dptls_key_file"));
  // CERT.DP.TLS's key in the HSM or in a file, not both.
  EXPECT_EQ(
      ValidateConfig(Defaulted(
          "grpc_plaintext: true "
          "identities { name: 'a' ci_cert_file: 'c' dpauth_cert_file: 'a' "
          "dppb_cert_file: 'b' dpauth_key: 'k' dppb_key: 'l' "
          "dptls_cert_file: 't' dptls_key: 'tk' dptls_key_file: 'f' }")),
      absl::InvalidArgumentError(
          "config field identities[0].dptls_key_file: is set together with "
          "dptls_key: CERT.DP.TLS's key is either in the HSM or in a file"));
}

TEST(ConfigTest, LoopbackHosts) {
  EXPECT_TRUE(IsLoopbackHost("127.0.0.1"));
  EXPECT_TRUE(IsLoopbackHost("127.255.0.9"));
  EXPECT_TRUE(IsLoopbackHost("::1"));
  EXPECT_TRUE(IsLoopbackHost("localhost"));
  EXPECT_FALSE(IsLoopbackHost("0.0.0.0"));
  EXPECT_FALSE(IsLoopbackHost("::"));
  EXPECT_FALSE(IsLoopbackHost("128.0.0.1"));
  EXPECT_FALSE(IsLoopbackHost("localhost.example.com"));
  EXPECT_FALSE(IsLoopbackHost("[::1]"));
}

TEST(ConfigTest, ParseErrorsNameTheFilePositionAndField) {
  auto status = ParseConfig("data_dir: 'x'\nno_such_field: 1\n", "textproto",
                            "smdpd.textproto")
                    .status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("smdpd.textproto: line 2"));
  EXPECT_THAT(status.message(), HasSubstr("no_such_field"));

  status =
      ParseConfig(R"({"dataDir": "x", "bogus": 1})", "json", "c.json").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("c.json"));
  EXPECT_THAT(status.message(), HasSubstr("bogus"));
}

TEST(ConfigTest, JsonAndTextprotoFilesLoad) {
  std::string dir = ::testing::TempDir();
  std::string json = dir + "/c.json";
  std::ofstream(json) << R"({"dataDir": "/var/lib/smdp", "devMode": true,
      "hsm": {"tokenLabel": "prod", "agreementInHsm": true}})";
  auto config = LoadConfigFile(json);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->data_dir(), "/var/lib/smdp");
  EXPECT_EQ(config->hsm().token_label(), "prod");
  EXPECT_TRUE(config->hsm().agreement_in_hsm());

  std::string text = dir + "/c.textproto";
  std::ofstream(text) << "grpc_listen: '[::1]:0'\nhsm { kind: SOFTWARE }\n";
  config = LoadConfigFile(text);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->hsm().kind(), config::HsmConfig::SOFTWARE);

  EXPECT_EQ(LoadConfigFile(dir + "/missing.json").status().code(),
            absl::StatusCode::kNotFound);
}

// The example shipped for operators must stay valid.
TEST(ConfigTest, DeployExampleIsValid) {
  std::string path = std::string(getenv("TEST_SRCDIR")) + "/" +
                     getenv("TEST_WORKSPACE") +
                     "/deploy/smdpd.example.textproto";
  auto config = LoadConfigFile(path);
  ASSERT_TRUE(config.ok()) << config.status();
  ApplyDefaults(*config, /*from_file=*/true);
  EXPECT_TRUE(ValidateConfig(*config).ok()) << ValidateConfig(*config);
  EXPECT_FALSE(config->dev_mode());
  EXPECT_EQ(config->identities_size(), 2);
  EXPECT_EQ(Es9HttpsListeners(*config).size(), 1u);
}

TEST(ConfigTest, HostPort) {
  std::string host;
  int port = -1;
  ASSERT_TRUE(ParseHostPort("[::1]:8443", &host, &port).ok());
  EXPECT_EQ(host, "::1");
  EXPECT_EQ(port, 8443);
  ASSERT_TRUE(ParseHostPort("127.0.0.1:0", &host, &port).ok());
  EXPECT_EQ(port, 0);
  EXPECT_FALSE(ParseHostPort(":80", &host, &port).ok());
  EXPECT_FALSE(ParseHostPort("h:-1", &host, &port).ok());
}

}  // namespace
}  // namespace smdp
