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
// ES2+, as an operator (smdp.es2plus.Es2Plus over gRPC, mutual TLS: smdpd
// knows the operator by its client certificate):
//   smdpctl order [--iccid=X] [--profile_type=T] [--eid=E]
//       DownloadOrder: reserves that profile, or any Available one of the
//       type. Prints the ICCID.
//   smdpctl confirm --iccid=X [--matching_id=M | --empty_matching_id]
//       [--eid=E] [--confirmation_code=C] [--release] [--smdp_oid=OID]
//       [--qr_png=FILE] [--qr_svg=FILE] [--qr_terminal]
//       ConfirmOrder (the SM-DP+ makes the matchingId unless given). Prints
//       "matching_id=M smdp_address=A [eid=E]", then the Activation Code
//       (smdp/order/activation_code.h), "LPA:1$A$M", with "$OID" (from
//       --smdp_oid: smdpd does not publish its OID) and "$1" when a
//       confirmation code was set ("$$1" without an OID), and renders it as
//       a QR code into the files and/or on the terminal.
//   smdpctl release --iccid=X            ReleaseProfile
//   smdpctl cancel --iccid=X --final_status=Available|Unavailable
//       [--eid=E] [--matching_id=M]      CancelOrder
//   smdpctl status --iccid=X
//       The state, order and history of one of the operator's own profiles
//       (smdp.operators.OperatorQuery, an extension of ours: ES2+ has no such
//       function), with the same client certificate as the ES2+ commands.
//       Another operator's ICCID is "unknown ICCID X", as a missing one.
// A function that answers Failed prints
//   smdpctl: <function>: Failed <subject code>/<reason code> <message>
// and exits 1. header.functionRequesterIdentifier is --requester_id, by
// default the operator's name (--operator) when the dev certificate is used.
//
// Every gRPC command connects over TLS:
//   --tls_ca=PEM                 the CA(s) smdpd's gRPC certificate chains to
//   --tls_cert=PEM --tls_key=PEM the client certificate: for Admin calls its
//                                CN must be in smdpd's admin_clients, for
//                                ES2+ and status it must be an operator's
//   --tls_server_name=NAME       when the certificate does not name --addr's
//                                host
// or, with --plaintext, without TLS (smdpd with grpc_plaintext, loopback).
// With none of them, the dev files of <data_dir>/pki/grpc are used when they
// exist (--data_dir, else the --config's, else smdp-data): ca.pem and, as
// the client certificate, clients/smdp-admin.pem (Admin commands) or
// clients/<--operator>.pem (ES2+ and status; default op1, the operator
// dev-mode smdpd makes), so the commands work out of the box against a dev
// smdpd.
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
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "api/admin.grpc.pb.h"
#include "api/es2plus.grpc.pb.h"
#include "api/health.grpc.pb.h"
#include "api/operator.grpc.pb.h"
#include "smdp/config/config.h"
#include "smdp/grpc/status_util.h"
#include "smdp/grpc/tls_credentials.h"
#include "smdp/order/activation_code.h"
#include "smdp/order/qr_code.h"
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
          "PEM client certificate (with --tls_key): an admin_clients CN for "
          "Admin calls, an operator's for ES2+ and status. Default: the dev "
          "admin (or --operator) certificate, when no --tls_* is given.");
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
ABSL_FLAG(std::string, operator, "",
          "ES2+ commands without --tls_*: the dev operator certificate "
          "<data_dir>/pki/grpc/clients/<operator>.pem to use. Default: op1.");
ABSL_FLAG(std::string, requester_id, "",
          "ES2+ header.functionRequesterIdentifier. Default: the --operator "
          "name with the dev certificate, else none.");
ABSL_FLAG(std::string, iccid, "",
          "ICCID (order, confirm, release, cancel, status).");
ABSL_FLAG(std::string, eid, "", "EID, 32 digits (order, confirm, cancel).");
ABSL_FLAG(std::string, profile_type, "", "Profile type (order).");
ABSL_FLAG(std::string, matching_id, "",
          "matchingId (confirm: default, one the SM-DP+ makes; cancel).");
ABSL_FLAG(bool, empty_matching_id, false,
          "confirm: an empty matchingId (no activation code token: the "
          "eUICC is found by its EID, which is then required).");
ABSL_FLAG(std::string, confirmation_code, "",
          "confirm: the code the end user must enter.");
ABSL_FLAG(bool, release, false, "confirm: release the profile at once.");
ABSL_FLAG(std::string, final_status, "", "cancel: Available or Unavailable.");
ABSL_FLAG(std::string, smdp_oid, "",
          "confirm: the SM-DP+ OID to put in the activation code.");
ABSL_FLAG(std::string, qr_png, "", "confirm: write the QR code as PNG here.");
ABSL_FLAG(std::string, qr_svg, "", "confirm: write the QR code as SVG here.");
ABSL_FLAG(bool, qr_terminal, false,
          "confirm: print the QR code with UTF-8 half blocks.");

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
    "       smdpctl order [--iccid=X] [--profile_type=T] [--eid=E]\n"
    "       smdpctl confirm --iccid=X [--matching_id=M | --empty_matching_id] "
    "[--eid=E] [--confirmation_code=C] [--release] [--smdp_oid=OID] "
    "[--qr_png=FILE] [--qr_svg=FILE] [--qr_terminal]\n"
    "       smdpctl release --iccid=X\n"
    "       smdpctl cancel --iccid=X --final_status=Available|Unavailable "
    "[--eid=E] [--matching_id=M]\n"
    "       smdpctl status --iccid=X\n"
    "TLS (every gRPC command): --tls_ca=PEM [--tls_cert=PEM --tls_key=PEM] "
    "[--tls_server_name=NAME] | --plaintext; none: the dev files of "
    "<data_dir>/pki/grpc (ES2+ and status: the certificate of --operator, "
    "default op1)";

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
  const std::string op = absl::GetFlag(FLAGS_operator);
  if (!op.empty()) {
    if (any_tls || absl::GetFlag(FLAGS_plaintext)) {
      return "--operator picks a dev certificate of <data_dir>/pki/grpc/"
             "clients; with --tls_* or --plaintext leave it out";
    }
    const bool name_ok =
        op.size() <= 64 && op[0] != '.' &&
        std::all_of(op.begin(), op.end(), [](char c) {
          return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
                 c == '.' || c == '_' || c == '-';
        });
    if (!name_ok) {
      return absl::StrCat("--operator '", op,
                          "' is not a certificate name (1-64 of A-Z a-z 0-9 "
                          ". _ -)");
    }
  }
  return "";
}

// The operator whose dev certificate ES2+ commands use.
std::string DevOperator() {
  const std::string op = absl::GetFlag(FLAGS_operator);
  return op.empty() ? std::string(smdp::kDevOperatorId) : op;
}

// Who a command calls smdpd as, when the dev files are used.
enum class Caller { kAdmin, kOperator };

// A channel to --addr: TLS with the --tls_* files (or the dev files, with
// the client certificate of `caller`), or plaintext with --plaintext.
absl::StatusOr<std::shared_ptr<grpc::Channel>> Connect(
    Caller caller = Caller::kAdmin) {
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
          "--tls_key for Admin, ES2+ and status) or --plaintext; no "
          "dev files in ",
          dev.dir));
    }
    files.ca_file = dev.ca_cert;
    if (caller == Caller::kOperator) {
      const smdp::pki::DevTlsClient op =
          smdp::pki::DevTlsClientLayout(dev.dir, DevOperator());
      if (!smdp::FileExists(op.cert) || !smdp::FileExists(op.key)) {
        return absl::FailedPreconditionError(absl::StrCat(
            "no client certificate of operator '", DevOperator(),
            "': ", op.cert, " does not exist (dev-mode smdpd issues ",
            smdp::kDevOperatorId,
            "'s; otherwise give --tls_ca, --tls_cert and --tls_key)"));
      }
      files.certificate_chain_file = op.cert;
      files.private_key_file = op.key;
    } else if (smdp::FileExists(dev.admin.cert) &&
               smdp::FileExists(dev.admin.key)) {
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

// ---- ES2+ ----------------------------------------------------------------

// The request header: the requester (--requester_id, or the dev operator's
// name) and a call identifier unique enough for the audit trail.
smdp::es9plus::RequestHeader Es2Header() {
  smdp::es9plus::RequestHeader header;
  std::string requester = absl::GetFlag(FLAGS_requester_id);
  const bool dev_certificate =
      absl::GetFlag(FLAGS_tls_ca).empty() && !absl::GetFlag(FLAGS_plaintext);
  if (requester.empty() && dev_certificate) requester = DevOperator();
  header.set_function_requester_identifier(requester);
  header.set_function_call_identifier(
      absl::StrCat("smdpctl-", getpid(), "-", absl::ToUnixMicros(absl::Now())));
  return header;
}

// 0 when `function` executed; otherwise prints why in one line and returns
// 1: the gRPC error (no or a foreign client certificate, ...), or the GSMA
// status of a Failed answer.
int Es2Outcome(absl::string_view function, const grpc::Status& status,
               const smdp::es9plus::ResponseHeader& header) {
  if (!status.ok()) {
    absl::Status error = smdp::FromGrpcStatus(status);
    return Fail(
        1, absl::StrCat(function, ": ", absl::StatusCodeToString(error.code()),
                        ": ", error.message()));
  }
  const smdp::es9plus::FunctionExecutionStatus& execution =
      header.function_execution_status();
  const smdp::es9plus::StatusCodeData& data = execution.status_code_data();
  std::string codes =
      absl::StrCat(data.subject_code(), "/", data.reason_code(),
                   data.message().empty() ? "" : " ", data.message());
  if (execution.status() == "Executed-Success") return 0;
  if (execution.status() == "Executed-WithWarning") {
    std::cerr << "smdpctl: " << function << ": Executed-WithWarning " << codes
              << std::endl;
    return 0;
  }
  return Fail(1, absl::StrCat(function, ": ",
                              execution.status().empty() ? "no status"
                                                         : execution.status(),
                              " ", codes));
}

// ES2+ on --addr, called with the operator's client certificate.
absl::StatusOr<std::unique_ptr<smdp::es2plus::Es2Plus::Stub>> Es2Stub() {
  ASSIGN_OR_RETURN(std::shared_ptr<grpc::Channel> channel,
                   Connect(Caller::kOperator));
  return smdp::es2plus::Es2Plus::NewStub(channel);
}

// --iccid, which every ES2+ command but `order` needs: empty after printing
// the usage error.
std::string RequiredIccid(absl::string_view command) {
  std::string iccid = absl::GetFlag(FLAGS_iccid);
  if (iccid.empty()) Fail(2, absl::StrCat(command, " needs --iccid"));
  return iccid;
}

int Order() {
  smdp::es2plus::DownloadOrderRequest request;
  request.set_iccid(absl::GetFlag(FLAGS_iccid));
  request.set_profile_type(absl::GetFlag(FLAGS_profile_type));
  request.set_eid(absl::GetFlag(FLAGS_eid));
  if (request.iccid().empty() && request.profile_type().empty()) {
    return Fail(2, "order needs --iccid or --profile_type");
  }
  *request.mutable_header() = Es2Header();
  auto stub = Es2Stub();
  if (!stub.ok()) return Fail(1, stub.status().message());
  grpc::ClientContext context;
  SetDeadline(context);
  smdp::es2plus::DownloadOrderResponse response;
  grpc::Status status = (*stub)->DownloadOrder(&context, request, &response);
  if (int code = Es2Outcome("DownloadOrder", status, response.header());
      code != 0) {
    return code;
  }
  std::cout << response.iccid() << std::endl;
  return 0;
}

// Writes the QR renderings --qr_png, --qr_svg and --qr_terminal ask for.
int RenderQr(const std::string& activation_code) {
  const std::string png_file = absl::GetFlag(FLAGS_qr_png);
  const std::string svg_file = absl::GetFlag(FLAGS_qr_svg);
  if (png_file.empty() && svg_file.empty() &&
      !absl::GetFlag(FLAGS_qr_terminal)) {
    return 0;
  }
  absl::StatusOr<smdp::order::QrCode> qr =
      smdp::order::QrCode::Encode(activation_code);
  if (!qr.ok()) return Fail(1, qr.status().message());
  if (!png_file.empty()) {
    absl::StatusOr<std::string> png = smdp::order::QrToPng(*qr);
    if (!png.ok()) return Fail(1, png.status().message());
    if (absl::Status written = smdp::WriteFileAtomically(png_file, *png);
        !written.ok()) {
      return Fail(1, absl::StrCat("--qr_png: ", written.message()));
    }
  }
  if (!svg_file.empty()) {
    if (absl::Status written =
            smdp::WriteFileAtomically(svg_file, smdp::order::QrToSvg(*qr));
        !written.ok()) {
      return Fail(1, absl::StrCat("--qr_svg: ", written.message()));
    }
  }
  if (absl::GetFlag(FLAGS_qr_terminal)) {
    std::cout << smdp::order::QrToTerminal(*qr) << std::flush;
  }
  return 0;
}

int Confirm() {
  const std::string iccid = RequiredIccid("confirm");
  if (iccid.empty()) return 2;
  const std::string matching_id = absl::GetFlag(FLAGS_matching_id);
  const bool empty_matching_id = absl::GetFlag(FLAGS_empty_matching_id);
  if (empty_matching_id && !matching_id.empty()) {
    return Fail(2, "--matching_id and --empty_matching_id exclude each other");
  }
  // --matching_id and --smdp_oid are checked before the order is
  // confirmed, so that a confirmed order always gets its activation code.
  const std::string oid = absl::GetFlag(FLAGS_smdp_oid);
  if (absl::Status valid =
          smdp::order::ValidateActivationCode({.smdp_address = "localhost",
                                               .matching_id = matching_id,
                                               .smdp_oid = oid});
      !valid.ok()) {
    return Fail(2, valid.message());
  }
  smdp::es2plus::ConfirmOrderRequest request;
  *request.mutable_header() = Es2Header();
  request.set_iccid(iccid);
  request.set_eid(absl::GetFlag(FLAGS_eid));
  if (empty_matching_id) {
    request.set_matching_id("");
  } else if (!matching_id.empty()) {
    request.set_matching_id(matching_id);
  }
  request.set_confirmation_code(absl::GetFlag(FLAGS_confirmation_code));
  request.set_release_flag(absl::GetFlag(FLAGS_release));
  auto stub = Es2Stub();
  if (!stub.ok()) return Fail(1, stub.status().message());
  grpc::ClientContext context;
  SetDeadline(context);
  smdp::es2plus::ConfirmOrderResponse response;
  grpc::Status status = (*stub)->ConfirmOrder(&context, request, &response);
  if (int code = Es2Outcome("ConfirmOrder", status, response.header());
      code != 0) {
    return code;
  }
  std::cout << "matching_id=" << response.matching_id()
            << " smdp_address=" << response.smdp_address()
            << (response.eid().empty() ? "" : " eid=") << response.eid()
            << std::endl;
  absl::StatusOr<std::string> activation_code =
      smdp::order::FormatActivationCode(
          {.smdp_address = response.smdp_address(),
           .matching_id = response.matching_id(),
           .smdp_oid = oid,
           .confirmation_code_required = !request.confirmation_code().empty()});
  if (!activation_code.ok()) {
    return Fail(1, activation_code.status().message());
  }
  std::cout << *activation_code << std::endl;
  return RenderQr(*activation_code);
}

int Release() {
  const std::string iccid = RequiredIccid("release");
  if (iccid.empty()) return 2;
  smdp::es2plus::ReleaseProfileRequest request;
  *request.mutable_header() = Es2Header();
  request.set_iccid(iccid);
  auto stub = Es2Stub();
  if (!stub.ok()) return Fail(1, stub.status().message());
  grpc::ClientContext context;
  SetDeadline(context);
  smdp::es2plus::ReleaseProfileResponse response;
  grpc::Status status = (*stub)->ReleaseProfile(&context, request, &response);
  if (int code = Es2Outcome("ReleaseProfile", status, response.header());
      code != 0) {
    return code;
  }
  std::cout << "released " << iccid << std::endl;
  return 0;
}

int Cancel() {
  const std::string iccid = RequiredIccid("cancel");
  if (iccid.empty()) return 2;
  const std::string final_status = absl::GetFlag(FLAGS_final_status);
  if (final_status != "Available" && final_status != "Unavailable") {
    return Fail(2, "cancel needs --final_status=Available or Unavailable");
  }
  smdp::es2plus::CancelOrderRequest request;
  *request.mutable_header() = Es2Header();
  request.set_iccid(iccid);
  request.set_eid(absl::GetFlag(FLAGS_eid));
  request.set_matching_id(absl::GetFlag(FLAGS_matching_id));
  request.set_final_profile_status_indicator(final_status);
  auto stub = Es2Stub();
  if (!stub.ok()) return Fail(1, stub.status().message());
  grpc::ClientContext context;
  SetDeadline(context);
  smdp::es2plus::CancelOrderResponse response;
  grpc::Status status = (*stub)->CancelOrder(&context, request, &response);
  if (int code = Es2Outcome("CancelOrder", status, response.header());
      code != 0) {
    return code;
  }
  std::cout << "cancelled " << iccid << ": " << final_status << std::endl;
  return 0;
}

// The operator's view of its profile (OperatorQuery), in the format of
// `profiles show` without the admin's fields.
int ProfileStatus() {
  const std::string iccid = RequiredIccid("status");
  if (iccid.empty()) return 2;
  auto channel = Connect(Caller::kOperator);
  if (!channel.ok()) return Fail(1, channel.status().message());
  auto stub = smdp::operators::OperatorQuery::NewStub(*channel);
  grpc::ClientContext context;
  SetDeadline(context);
  smdp::operators::GetProfileStatusRequest request;
  request.set_iccid(iccid);
  smdp::operators::GetProfileStatusResponse r;
  grpc::Status status = stub->GetProfileStatus(&context, request, &r);
  if (!status.ok()) {
    absl::Status error = smdp::FromGrpcStatus(status);
    return Fail(1, absl::StrCat("GetProfileStatus: ",
                                absl::StatusCodeToString(error.code()), ": ",
                                error.message()));
  }
  std::cout << "iccid: " << r.iccid() << "\nstate: " << r.state()
            << "\ntype: " << r.profile_type() << "\neid: " << r.eid()
            << "\nmatching_id: " << r.matching_id()
            << "\norder_expires_at: " << r.order_expires_at()
            << "\nlast_result: " << r.last_result() << "\nhistory:\n";
  for (const auto& line : r.history()) {
    std::cout << "  " << line.time() << " " << line.actor() << " "
              << line.action() << " " << line.from_state() << " -> "
              << line.to_state()
              << (line.detail().empty() ? "" : " (" + line.detail() + ")")
              << "\n";
  }
  std::cout << std::flush;
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
  if (words == std::vector<std::string>{"order"}) return Order();
  if (words == std::vector<std::string>{"confirm"}) return Confirm();
  if (words == std::vector<std::string>{"release"}) return Release();
  if (words == std::vector<std::string>{"cancel"}) return Cancel();
  if (words == std::vector<std::string>{"status"}) return ProfileStatus();
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
