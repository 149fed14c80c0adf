// smdpd: the SM-DP+ server.
//
//   smdpd                          dev mode: ./smdp-data, SoftHSM token and
//                                  dev PKI made on first run, 127.0.0.1:9443
//   smdpd --config=/etc/smdp/smdpd.textproto
//
// Exit codes: 0 after a clean shutdown (SIGTERM / SIGINT), 1 when start-up
// fails, 2 for an invalid config or command line.
#include <signal.h>
#include <stdio.h>

#include <iostream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "smdp/config/config.h"
#include "smdp/server/server.h"
#include "util/log.h"

ABSL_FLAG(std::string, config, "",
          "Config file (textproto or .json). Default: none, dev mode.");
ABSL_FLAG(std::string, data_dir, "", "Overrides the config's data_dir.");
ABSL_FLAG(std::string, grpc_listen, "",
          "Overrides the config's grpc_listen (host:port, port 0 = any).");
ABSL_FLAG(std::string, es9_https_listen, "",
          "Overrides the config's es9_https_listen (host:port or \"off\").");
ABSL_FLAG(std::string, es2_https_listen, "",
          "Overrides the config's es2_https_listen (host:port or \"off\").");

namespace {

int Fail(int code, absl::string_view message) {
  std::cerr << "smdpd: " << message << std::endl;
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("smdpd [--config=FILE] [--data_dir=DIR]");
  std::vector<char*> rest = absl::ParseCommandLine(argc, argv);
  if (rest.size() > 1) {
    return Fail(2, absl::StrCat("unexpected argument '", rest[1], "'"));
  }

  // Signals are taken by sigwait below; block them before any thread starts
  // so that gRPC's and RocksDB's threads inherit the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  std::string path = absl::GetFlag(FLAGS_config);
  smdp::config::ServerConfig config;
  if (!path.empty()) {
    auto loaded = smdp::LoadConfigFile(path);
    if (!loaded.ok()) return Fail(2, loaded.status().message());
    config = *std::move(loaded);
  }
  if (!absl::GetFlag(FLAGS_data_dir).empty()) {
    config.set_data_dir(absl::GetFlag(FLAGS_data_dir));
  }
  if (!absl::GetFlag(FLAGS_grpc_listen).empty()) {
    config.set_grpc_listen(absl::GetFlag(FLAGS_grpc_listen));
  }
  if (!absl::GetFlag(FLAGS_es9_https_listen).empty()) {
    config.set_es9_https_listen(absl::GetFlag(FLAGS_es9_https_listen));
  }
  if (!absl::GetFlag(FLAGS_es2_https_listen).empty()) {
    config.set_es2_https_listen(absl::GetFlag(FLAGS_es2_https_listen));
  }
  smdp::ApplyDefaults(config, /*from_file=*/!path.empty());
  if (absl::Status s = smdp::ValidateConfig(config); !s.ok()) {
    return Fail(2, s.message());
  }
  smdp::SetLogLevel(smdp::ParseLogLevel(config.log_level()));

  auto server = smdp::SmdpServer::Start(config);
  if (!server.ok()) return Fail(1, server.status().message());

  std::vector<std::string> identities;
  for (const auto& id : (*server)->identities()) identities.push_back(id.name);
  std::cout << "smdpd: serving grpc=" << (*server)->grpc_address()
            << " grpc_tls=" << ((*server)->grpc_tls() ? "on" : "off")
            << " es9_https="
            << ((*server)->es9_https_addresses().empty()
                    ? "off"
                    : absl::StrJoin((*server)->es9_https_addresses(), ","))
            << " es2_https="
            << ((*server)->es2_https_address().empty()
                    ? "off"
                    : (*server)->es2_https_address())
            << " smdp_address=" << config.smdp_address()
            << " identities=" << absl::StrJoin(identities, ",")
            << " crypto=" << (*server)->crypto_description()
            << " data_dir=" << config.data_dir() << std::endl;

  int signal = 0;
  sigwait(&signals, &signal);
  smdp::LogInfo("smdpd: signal ", signal, ", shutting down");
  (*server)->Shutdown();
  server->reset();
  smdp::LogInfo("smdpd: stopped");
  return 0;
}
