// smdpctl: command-line tool for smdpd operators.
//
//   smdpctl pki init [--config=FILE] [--data_dir=DIR]
//       Makes the development PKI (test CI, DPauth/DPpb/DPtls, EUM, eUICC,
//       both curves) with the SM-DP+ keys generated inside the HSM, exactly
//       as smdpd's dev mode does on first run. Idempotent.
//   smdpctl keys import --label=L --key_file=KEY.pem [--config=FILE]
//       Stores an existing private key (an operator's, or the SGP.26 test
//       keys) in the HSM, sensitive and non-extractable, for identities.
//   smdpctl health [--addr=HOST:PORT]    gRPC health of a running smdpd
//   smdpctl info [--addr=HOST:PORT]      address, version, identities
//   smdpctl profiles import --batch=ID --operator_id=OP --type=TYPE
//       --template_file=UPP.der --csv=SUBSCRIBERS.csv [--no_ppk]
//       [--spn=NAME] [--profile_name=NAME] [--profile_class=operational]
//       [--notification_address=FQDN] [--owner=MCCMNC] [--ppr=ppr1,ppr2]
//       Imports a batch (all or nothing) with a progress bar; run the same
//       command again to resume an interrupted import.
//   smdpctl profiles list [--state=S] [--type=T] [--batch=ID]
//       [--operator_id=OP] [--page_size=N] [--all]
//   smdpctl profiles show ICCID          state, metadata and history
//   smdpctl profiles batch ID            a batch's status
//
// Every gRPC command (health, info, profiles) connects over TLS:
//   --tls_ca=PEM                 the CA(s) smdpd's gRPC certificate chains to
//   --tls_cert=PEM --tls_key=PEM the client certificate for Admin calls (its
//                                CN must be in smdpd's admin_clients)
//   --tls_server_name=NAME       when the certificate does not name --addr's
//                                host
// or, with --plaintext, without TLS (smdpd with grpc_plaintext, loopback).
// With none of them, the dev files of <data_dir>/pki/grpc are used when they
// exist (--data_dir, else the --config's, else smdp-data): ca.pem and the
// admin certificate clients/smdp-admin.pem that dev-mode smdpd made, so the
// commands work out of the box against a dev smdpd.
//
// Errors print one line on stderr; exit code 1 (2 for usage errors).
#include <grpc/support/log.h>
#include <grpcpp/grpcpp.h>
#include <openssl/crypto.h>
#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "api/admin.grpc.pb.h"
#include "api/health.grpc.pb.h"
#include "smdp/config/config.h"
#include "smdp/grpc/tls_credentials.h"
#include "smdp/pki/dev_pki.h"
#include "smdp/pki/dev_tls.h"
#include "smdp/server/dev_environment.h"
#include "smdp/server/server.h"
#include "util/file_util.h"
#include "util/status_macros.h"

ABSL_FLAG(std::string, config, "", "smdpd config file (pki init).");
ABSL_FLAG(std::string, data_dir, "", "Overrides the config's data_dir.");
ABSL_FLAG(std::string, addr, "127.0.0.1:9443", "smdpd's gRPC address.");
ABSL_FLAG(int, timeout_ms, 5000, "Deadline of gRPC calls (not imports).");
ABSL_FLAG(std::string, tls_ca, "",
          "PEM CA(s) of smdpd's gRPC certificate. Default: "
          "<data_dir>/pki/grpc/ca.pem of dev mode, when no --tls_* is given.");
ABSL_FLAG(std::string, tls_cert, "",
          "PEM client certificate for Admin calls (with --tls_key). Default: "
          "the dev admin certificate, when no --tls_* is given.");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of --tls_cert.");
ABSL_FLAG(std::string, tls_server_name, "",
          "Name smdpd's certificate must carry, if not --addr's host.");
ABSL_FLAG(bool, plaintext, false,
          "Connect without TLS (smdpd with grpc_plaintext, on loopback).");
ABSL_FLAG(std::string, batch, "", "Batch id (profiles import, list).");
ABSL_FLAG(std::string, operator_id, "", "Operator (profiles import, list).");
ABSL_FLAG(std::string, type, "", "Profile type (profiles import, list).");
ABSL_FLAG(std::string, template_file, "", "SAIP template, DER (import).");
ABSL_FLAG(std::string, csv, "", "Subscriber file (import).");
ABSL_FLAG(bool, no_ppk, false, "Store profiles without PPK protection.");
ABSL_FLAG(std::string, spn, "", "Service provider name (import).");
ABSL_FLAG(std::string, profile_name, "", "Profile name (import).");
ABSL_FLAG(std::string, profile_class, "", "test|provisioning|operational.");
ABSL_FLAG(std::string, notification_address, "", "Install notifications.");
ABSL_FLAG(std::string, owner, "", "Owner MCC+MNC, 5 or 6 digits (import).");
ABSL_FLAG(std::vector<std::string>, ppr, {}, "Policy rules: ppr1,ppr2.");
ABSL_FLAG(std::string, state, "", "State filter (profiles list).");
ABSL_FLAG(int, page_size, 100, "Profiles per page (profiles list).");
ABSL_FLAG(bool, all, false, "List every page (profiles list).");
ABSL_FLAG(std::string, label, "", "Key label in the HSM (keys import).");
ABSL_FLAG(std::string, key_file, "", "Private key, PEM or DER (keys import).");

namespace {

constexpr char kUsage[] =
    "usage: smdpctl pki init [--config=FILE] [--data_dir=DIR]\n"
    "       smdpctl keys import --label=L --key_file=KEY.pem [--config=FILE]\n"
    "       smdpctl health [--addr=HOST:PORT] [TLS]\n"
    "       smdpctl info [--addr=HOST:PORT] [TLS]\n"
    "       smdpctl profiles import --batch=ID --operator_id=OP --type=T "
    "--template_file=UPP.der --csv=FILE [--no_ppk] [--spn=..] "
    "[--profile_name=..]\n"
    "       smdpctl profiles list [--state=S] [--type=T] [--batch=ID] "
    "[--operator_id=OP] [--all]\n"
    "       smdpctl profiles show ICCID\n"
    "       smdpctl profiles batch ID\n"
    "TLS (every gRPC command): --tls_ca=PEM [--tls_cert=PEM --tls_key=PEM] "
    "[--tls_server_name=NAME] | --plaintext; none: the dev files of "
    "<data_dir>/pki/grpc";

int Fail(int code, absl::string_view message) {
  // One line, even when gRPC's message (a TLS failure) has several.
  std::string line(message);
  std::replace(line.begin(), line.end(), '\n', ' ');
  std::cerr << "smdpctl: " << line << std::endl;
  return code;
}

// The HSM of the config (or of dev mode), opened as smdpd opens it. In dev
// mode the SoftHSM token is made first if needed.
absl::StatusOr<std::unique_ptr<smdp::hsm::CryptoProvider>> OpenHsm(
    smdp::config::ServerConfig& config, bool force_dev_mode) {
  std::string path = absl::GetFlag(FLAGS_config);
  if (!path.empty()) {
    ASSIGN_OR_RETURN(config, smdp::LoadConfigFile(path));
  }
  if (!absl::GetFlag(FLAGS_data_dir).empty()) {
    config.set_data_dir(absl::GetFlag(FLAGS_data_dir));
  }
  if (force_dev_mode) config.set_dev_mode(true);
  smdp::ApplyDefaults(config, /*from_file=*/!path.empty());
  // A config without identities yet is fine for key management.
  smdp::config::ServerConfig check = config;
  if (check.identities().empty()) check.set_dev_mode(true);
  RETURN_IF_ERROR(smdp::ValidateConfig(check));
  RETURN_IF_ERROR(smdp::MakeDirs(config.data_dir(), 0700));
  RETURN_IF_ERROR(smdp::PrepareDevHsm(config));
  return smdp::OpenCryptoProvider(config);
}

int PkiInit() {
  smdp::config::ServerConfig config;
  // `pki init` is an explicit request for the development PKI.
  auto provider = OpenHsm(config, /*force_dev_mode=*/true);
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

// Stores an existing private key (PEM or DER: an operator's key, or the
// SGP.26 test keys) in the HSM as a sensitive, non-extractable key.
int KeysImport() {
  std::string label = absl::GetFlag(FLAGS_label);
  std::string file = absl::GetFlag(FLAGS_key_file);
  if (label.empty() || file.empty()) {
    return Fail(2, "keys import needs --label and --key_file");
  }
  auto key_data = smdp::ReadFile(file, 64 << 10);
  if (!key_data.ok()) return Fail(1, key_data.status().message());
  smdp::config::ServerConfig config;
  auto provider = OpenHsm(config, /*force_dev_mode=*/false);
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

// The data directory whose dev TLS files are the default: --data_dir, else
// the --config's, else the default.
absl::StatusOr<std::string> DataDir() {
  if (!absl::GetFlag(FLAGS_data_dir).empty()) {
    return absl::GetFlag(FLAGS_data_dir);
  }
  const std::string path = absl::GetFlag(FLAGS_config);
  if (!path.empty()) {
    ASSIGN_OR_RETURN(smdp::config::ServerConfig config,
                     smdp::LoadConfigFile(path));
    if (!config.data_dir().empty()) return config.data_dir();
  }
  return std::string(smdp::kDefaultDataDir);
}

// Usage errors of the TLS flags; empty when they are fine.
std::string TlsFlagsError() {
  const bool any_tls = !absl::GetFlag(FLAGS_tls_ca).empty() ||
                       !absl::GetFlag(FLAGS_tls_cert).empty() ||
                       !absl::GetFlag(FLAGS_tls_key).empty() ||
                       !absl::GetFlag(FLAGS_tls_server_name).empty();
  if (absl::GetFlag(FLAGS_plaintext) && any_tls) {
    return "--plaintext and --tls_* exclude each other";
  }
  if (absl::GetFlag(FLAGS_tls_cert).empty() !=
      absl::GetFlag(FLAGS_tls_key).empty()) {
    return "--tls_cert and --tls_key go together";
  }
  if (absl::GetFlag(FLAGS_tls_ca).empty() &&
      !absl::GetFlag(FLAGS_tls_cert).empty()) {
    return "--tls_cert needs --tls_ca (the CA of smdpd's certificate)";
  }
  return "";
}

// A channel to --addr: TLS with the --tls_* files (or the dev files), or
// plaintext with --plaintext.
absl::StatusOr<std::shared_ptr<grpc::Channel>> Connect() {
  const std::string addr = absl::GetFlag(FLAGS_addr);
  if (absl::GetFlag(FLAGS_plaintext)) {
    return grpc::CreateChannel(addr, grpc::InsecureChannelCredentials());
  }
  smdp::GrpcClientTlsFiles files;
  files.ca_file = absl::GetFlag(FLAGS_tls_ca);
  files.certificate_chain_file = absl::GetFlag(FLAGS_tls_cert);
  files.private_key_file = absl::GetFlag(FLAGS_tls_key);
  files.server_name_override = absl::GetFlag(FLAGS_tls_server_name);
  if (files.ca_file.empty()) {
    ASSIGN_OR_RETURN(std::string data_dir, DataDir());
    const smdp::pki::DevTls dev =
        smdp::pki::DevTlsLayout(smdp::pki::DevTlsDir(data_dir));
    if (!smdp::FileExists(dev.ca_cert)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "no TLS CA for ", addr,
          ": give --tls_ca=PEM (and --tls_cert, "
          "--tls_key for admin calls) or --plaintext; no dev files in ",
          dev.dir));
    }
    files.ca_file = dev.ca_cert;
    if (smdp::FileExists(dev.admin.cert) && smdp::FileExists(dev.admin.key)) {
      files.certificate_chain_file = dev.admin.cert;
      files.private_key_file = dev.admin.key;
    }
  }
  return smdp::CreateGrpcTlsChannel(addr, files);
}

void SetDeadline(grpc::ClientContext& context) {
  context.set_deadline(
      std::chrono::system_clock::now() +
      std::chrono::milliseconds(absl::GetFlag(FLAGS_timeout_ms)));
}

int Health() {
  auto channel = Connect();
  if (!channel.ok()) return Fail(1, channel.status().message());
  auto stub = grpc::health::v1::Health::NewStub(*channel);
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
  auto channel = Connect();
  if (!channel.ok()) return Fail(1, channel.status().message());
  auto stub = smdp::admin::Admin::NewStub(*channel);
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

// A one-line progress bar on a terminal, a line per 10% otherwise.
class ProgressBar {
 public:
  ProgressBar() : tty_(isatty(STDERR_FILENO)), start_(absl::Now()) {}

  void Update(uint64_t done, uint64_t total) {
    if (total == 0) return;
    int percent = static_cast<int>(done * 100 / total);
    double seconds = absl::ToDoubleSeconds(absl::Now() - start_);
    double rate = seconds > 0 ? done / seconds : 0;
    if (tty_) {
      int filled = percent / 4;
      std::cerr << "\r[" << std::string(filled, '=')
                << std::string(25 - filled, ' ') << "] " << done << "/" << total
                << " (" << percent << "%) " << static_cast<uint64_t>(rate)
                << "/s" << std::flush;
    } else if (percent / 10 > last_decile_ || done == total) {
      last_decile_ = percent / 10;
      std::cerr << "import: " << done << "/" << total << " (" << percent << "%)"
                << std::endl;
    }
  }
  void Finish() {
    if (tty_) std::cerr << std::endl;
  }

 private:
  const bool tty_;
  const absl::Time start_;
  int last_decile_ = -1;
};

int ProfilesImport() {
  auto template_upp =
      smdp::ReadFile(absl::GetFlag(FLAGS_template_file), 2 << 20);
  if (!template_upp.ok()) return Fail(1, template_upp.status().message());
  auto csv = smdp::ReadFile(absl::GetFlag(FLAGS_csv), size_t{256} << 20);
  if (!csv.ok()) return Fail(1, csv.status().message());

  auto channel = Connect();
  if (!channel.ok()) return Fail(1, channel.status().message());
  auto stub = smdp::admin::Admin::NewStub(*channel);
  grpc::ClientContext context;
  auto stream = stub->ImportBatch(&context);
  smdp::admin::ImportBatchRequest request;
  smdp::admin::ImportBatchHeader& header = *request.mutable_header();
  header.set_batch_id(absl::GetFlag(FLAGS_batch));
  header.set_operator_id(absl::GetFlag(FLAGS_operator_id));
  header.set_profile_type(absl::GetFlag(FLAGS_type));
  header.set_template_upp(*template_upp);
  header.set_no_ppk(absl::GetFlag(FLAGS_no_ppk));
  header.set_source(absl::GetFlag(FLAGS_csv));
  smdp::admin::ProfileMetadata& metadata = *header.mutable_metadata();
  metadata.set_service_provider_name(absl::GetFlag(FLAGS_spn));
  metadata.set_profile_name(absl::GetFlag(FLAGS_profile_name));
  metadata.set_profile_class(absl::GetFlag(FLAGS_profile_class));
  metadata.set_notification_address(absl::GetFlag(FLAGS_notification_address));
  metadata.set_owner_mcc_mnc(absl::GetFlag(FLAGS_owner));
  for (const std::string& rule : absl::GetFlag(FLAGS_ppr)) {
    metadata.add_profile_policy_rules(rule);
  }
  bool sent = stream->Write(request);
  constexpr size_t kChunk = 1 << 20;
  for (size_t offset = 0; sent && offset < csv->size(); offset += kChunk) {
    smdp::admin::ImportBatchRequest chunk;
    chunk.set_csv_chunk(csv->substr(offset, kChunk));
    sent = stream->Write(chunk);
  }
  stream->WritesDone();
  ProgressBar bar;
  smdp::admin::ImportBatchProgress progress;
  smdp::admin::ImportBatchProgress last;
  while (stream->Read(&progress)) {
    bar.Update(progress.staged(), progress.total());
    last = progress;
  }
  bar.Finish();
  grpc::Status status = stream->Finish();
  if (!status.ok()) {
    // The server lists a file's errors on several lines; keep one.
    std::string message = status.error_message();
    std::replace(message.begin(), message.end(), '\n', ' ');
    return Fail(1, absl::StrCat("import failed: ", message));
  }
  std::cout << "batch " << last.batch_id() << ": " << last.staged()
            << " profiles imported" << std::endl;
  return 0;
}

int ProfilesList() {
  auto channel = Connect();
  if (!channel.ok()) return Fail(1, channel.status().message());
  auto stub = smdp::admin::Admin::NewStub(*channel);
  smdp::admin::ListProfilesRequest request;
  request.set_state(absl::GetFlag(FLAGS_state));
  request.set_profile_type(absl::GetFlag(FLAGS_type));
  request.set_batch_id(absl::GetFlag(FLAGS_batch));
  request.set_operator_id(absl::GetFlag(FLAGS_operator_id));
  request.set_page_size(absl::GetFlag(FLAGS_page_size));
  std::cout << "ICCID                STATE        OPERATOR  TYPE      BATCH"
            << std::endl;
  while (true) {
    grpc::ClientContext context;
    SetDeadline(context);
    smdp::admin::ListProfilesResponse response;
    grpc::Status status = stub->ListProfiles(&context, request, &response);
    if (!status.ok()) {
      return Fail(1, absl::StrCat("list failed: ", status.error_message()));
    }
    for (const auto& p : response.profiles()) {
      std::cout << absl::StrFormat("%-20s %-12s %-9s %-9s %s", p.iccid(),
                                   p.state(), p.operator_id(), p.profile_type(),
                                   p.batch_id())
                << "\n";
    }
    if (!absl::GetFlag(FLAGS_all) || response.next_page_token().empty()) {
      if (!response.next_page_token().empty()) {
        std::cout << "(more: --all)" << std::endl;
      }
      break;
    }
    request.set_page_token(response.next_page_token());
  }
  std::cout << std::flush;
  return 0;
}

int ProfilesShow(const std::string& iccid) {
  auto channel = Connect();
  if (!channel.ok()) return Fail(1, channel.status().message());
  auto stub = smdp::admin::Admin::NewStub(*channel);
  grpc::ClientContext context;
  SetDeadline(context);
  smdp::admin::GetProfileRequest request;
  request.set_iccid(iccid);
  smdp::admin::GetProfileResponse r;
  grpc::Status status = stub->GetProfile(&context, request, &r);
  if (!status.ok()) {
    return Fail(1, absl::StrCat(iccid, ": ", status.error_message()));
  }
  const auto& p = r.profile();
  std::cout << "iccid: " << p.iccid() << "\nstate: " << p.state()
            << "\noperator: " << p.operator_id()
            << "\ntype: " << p.profile_type() << "\nbatch: " << p.batch_id()
            << "\nimsi: " << r.imsi() << "\nmsisdn: " << r.msisdn()
            << "\nservice_provider_name: " << r.service_provider_name()
            << "\nprofile_name: " << r.profile_name()
            << "\nprofile_size: " << r.profile_size()
            << "\nppk_protected: " << (p.ppk_protected() ? "yes" : "no")
            << "\neid: " << p.eid() << "\nmatching_id: " << p.matching_id()
            << "\nhistory:\n";
  for (const auto& line : r.history()) {
    std::cout << "  "
              << absl::FormatTime("%Y-%m-%dT%H:%M:%SZ",
                                  absl::FromUnixMillis(line.time_ms()),
                                  absl::UTCTimeZone())
              << " " << line.actor() << " " << line.action() << " "
              << line.from_state() << " -> " << line.to_state()
              << (line.detail().empty() ? "" : " (" + line.detail() + ")")
              << "\n";
  }
  std::cout << std::flush;
  return 0;
}

int ProfilesBatch(const std::string& id) {
  auto channel = Connect();
  if (!channel.ok()) return Fail(1, channel.status().message());
  auto stub = smdp::admin::Admin::NewStub(*channel);
  grpc::ClientContext context;
  SetDeadline(context);
  smdp::admin::GetBatchRequest request;
  request.set_batch_id(id);
  smdp::admin::BatchStatus b;
  grpc::Status status = stub->GetBatch(&context, request, &b);
  if (!status.ok()) {
    return Fail(1, absl::StrCat("batch ", id, ": ", status.error_message()));
  }
  std::cout << "batch: " << b.batch_id() << "\nstate: " << b.state()
            << "\noperator: " << b.operator_id()
            << "\ntype: " << b.profile_type() << "\nexpected: " << b.expected()
            << "\nstaged: " << b.staged()
            << "\nppk_protected: " << (b.ppk_protected() ? "yes" : "no")
            << "\nsource: " << b.source() << std::endl;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(kUsage);
  // gRPC logs a failed TLS handshake on stderr itself; the call's status
  // says the same, and errors are one line.
  gpr_set_log_function([](gpr_log_func_args*) {});
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  std::vector<std::string> words(args.begin() + 1, args.end());
  if (words == std::vector<std::string>{"pki", "init"}) return PkiInit();
  if (words == std::vector<std::string>{"keys", "import"}) return KeysImport();
  if (std::string error = TlsFlagsError(); !error.empty()) {
    return Fail(2, error);
  }
  if (words == std::vector<std::string>{"health"}) return Health();
  if (words == std::vector<std::string>{"info"}) return Info();
  if (words.size() >= 2 && words[0] == "profiles") {
    if (words[1] == "import" && words.size() == 2) return ProfilesImport();
    if (words[1] == "list" && words.size() == 2) return ProfilesList();
    if (words[1] == "show" && words.size() == 3) return ProfilesShow(words[2]);
    if (words[1] == "batch" && words.size() == 3) {
      return ProfilesBatch(words[2]);
    }
  }
  return Fail(2, words.empty() ? "no command; try smdpctl --help"
                               : absl::StrCat("unknown command '",
                                              absl::StrJoin(words, " "),
                                              "'; try smdpctl --help"));
}
