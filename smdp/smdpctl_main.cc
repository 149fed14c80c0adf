// smdpctl: command-line tool for smdpd operators.
//
//   smdpctl pki init [--config=FILE] [--data_dir=DIR]
//       Makes the development PKI (test CI, DPauth/DPpb/DPtls, EUM, eUICC,
//       both curves) with the SM-DP+ keys generated inside the HSM, exactly
//       as smdpd's dev mode does on first run. Idempotent.
//   smdpctl health [--addr=HOST:PORT]    gRPC health of a running smdpd
//   smdpctl info [--addr=HOST:PORT]      address, version, identities
//
// Errors print one line on stderr; exit code 1 (2 for usage errors).
#include <grpcpp/grpcpp.h>

#include <iostream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/admin.grpc.pb.h"
#include "api/health.grpc.pb.h"
#include "smdp/config/config.h"
#include "smdp/pki/dev_pki.h"
#include "smdp/server/dev_environment.h"
#include "smdp/server/server.h"
#include "util/file_util.h"

ABSL_FLAG(std::string, config, "", "smdpd config file (pki init).");
ABSL_FLAG(std::string, data_dir, "", "Overrides the config's data_dir.");
ABSL_FLAG(std::string, addr, "127.0.0.1:9443", "smdpd's gRPC address.");
ABSL_FLAG(int, timeout_ms, 5000, "Deadline of gRPC calls.");

namespace {

constexpr char kUsage[] =
    "usage: smdpctl pki init [--config=FILE] [--data_dir=DIR]\n"
    "       smdpctl health [--addr=HOST:PORT]\n"
    "       smdpctl info [--addr=HOST:PORT]";

int Fail(int code, absl::string_view message) {
  std::cerr << "smdpctl: " << message << std::endl;
  return code;
}

int PkiInit() {
  smdp::config::ServerConfig config;
  std::string path = absl::GetFlag(FLAGS_config);
  if (!path.empty()) {
    auto loaded = smdp::LoadConfigFile(path);
    if (!loaded.ok()) return Fail(2, loaded.status().message());
    config = *std::move(loaded);
  }
  if (!absl::GetFlag(FLAGS_data_dir).empty()) {
    config.set_data_dir(absl::GetFlag(FLAGS_data_dir));
  }
  // `pki init` is an explicit request for the development PKI.
  config.set_dev_mode(true);
  smdp::ApplyDefaults(config, /*from_file=*/!path.empty());
  if (absl::Status s = smdp::ValidateConfig(config); !s.ok()) {
    return Fail(2, s.message());
  }
  if (absl::Status s = smdp::MakeDirs(config.data_dir(), 0700); !s.ok()) {
    return Fail(1, s.message());
  }
  if (absl::Status s = smdp::PrepareDevHsm(config); !s.ok()) {
    return Fail(1, s.message());
  }
  auto provider = smdp::OpenCryptoProvider(config);
  if (!provider.ok()) return Fail(1, provider.status().message());
  smdp::pki::DevPkiOptions options;
  options.dir = absl::StrCat(config.data_dir(), "/pki");
  options.smdp_address = config.smdp_address();
  options.smdp_oid = config.smdp_oid();
  auto pki = smdp::pki::EnsureDevPki(options, **provider);
  if (!pki.ok()) return Fail(1, pki.status().message());
  std::cout << "dev PKI in " << options.dir << " (SM-DP+ keys in "
            << (*provider)->Describe() << ")" << std::endl;
  return 0;
}

std::shared_ptr<grpc::Channel> Connect() {
  return grpc::CreateChannel(absl::GetFlag(FLAGS_addr),
                             grpc::InsecureChannelCredentials());
}

void SetDeadline(grpc::ClientContext& context) {
  context.set_deadline(
      std::chrono::system_clock::now() +
      std::chrono::milliseconds(absl::GetFlag(FLAGS_timeout_ms)));
}

int Health() {
  auto stub = grpc::health::v1::Health::NewStub(Connect());
  grpc::ClientContext context;
  SetDeadline(context);
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  grpc::Status status = stub->Check(&context, request, &response);
  if (!status.ok()) {
    return Fail(1, absl::StrCat(absl::GetFlag(FLAGS_addr), ": ",
                                status.error_message()));
  }
  std::cout << grpc::health::v1::HealthCheckResponse::ServingStatus_Name(
                   response.status())
            << std::endl;
  return response.status() == grpc::health::v1::HealthCheckResponse::SERVING
             ? 0
             : 1;
}

int Info() {
  auto stub = smdp::admin::Admin::NewStub(Connect());
  grpc::ClientContext context;
  SetDeadline(context);
  smdp::admin::GetServerInfoResponse response;
  grpc::Status status = stub->GetServerInfo(
      &context, smdp::admin::GetServerInfoRequest(), &response);
  if (!status.ok()) {
    return Fail(1, absl::StrCat(absl::GetFlag(FLAGS_addr), ": ",
                                status.error_message()));
  }
  std::cout << "smdp_address: " << response.smdp_address() << "\n"
            << "version: " << response.version() << "\n"
            << "crypto_provider: " << response.crypto_provider() << "\n"
            << "identities: " << absl::StrJoin(response.identities(), ", ")
            << std::endl;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(kUsage);
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  std::vector<std::string> words(args.begin() + 1, args.end());
  if (words == std::vector<std::string>{"pki", "init"}) return PkiInit();
  if (words == std::vector<std::string>{"health"}) return Health();
  if (words == std::vector<std::string>{"info"}) return Info();
  return Fail(2, words.empty() ? "no command; try smdpctl --help"
                               : absl::StrCat("unknown command '",
                                              absl::StrJoin(words, " "),
                                              "'; try smdpctl --help"));
}
