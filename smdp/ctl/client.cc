#include "smdp/ctl/client.h"

#include <algorithm>
#include <chrono>
#include <iostream>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "smdp/config/config.h"
#include "smdp/config/crypto_provider.h"
#include "smdp/grpc/tls_credentials.h"
#include "smdp/pki/dev_tls.h"
#include "util/file_util.h"
#include "util/status_macros.h"

namespace smdp::ctl {
namespace {

// The data directory whose dev TLS files are the default: data_dir, else
// the config's, else the default.
absl::StatusOr<std::string> DataDir(const ConnectionOptions& options) {
  if (!options.data_dir.empty()) return options.data_dir;
  if (!options.config.empty()) {
    ASSIGN_OR_RETURN(smdp::config::ServerConfig config,
                     smdp::LoadConfigFile(options.config));
    if (!config.data_dir().empty()) return config.data_dir();
  }
  return std::string(smdp::kDefaultDataDir);
}

}  // namespace

int Fail(int code, absl::string_view message) {
  // One line, even when gRPC's message (a TLS failure) has several.
  std::string line(message);
  std::replace(line.begin(), line.end(), '\n', ' ');
  std::cerr << "smdpctl: " << line << std::endl;
  return code;
}

std::string TlsOptionsError(const ConnectionOptions& options) {
  const bool any_tls = !options.tls_ca.empty() || !options.tls_cert.empty() ||
                       !options.tls_key.empty() ||
                       !options.tls_server_name.empty();
  if (options.plaintext && any_tls) {
    return "--plaintext and --tls_* exclude each other";
  }
  if (options.tls_cert.empty() != options.tls_key.empty()) {
    return "--tls_cert and --tls_key go together";
  }
  if (options.tls_ca.empty() && !options.tls_cert.empty()) {
    return "--tls_cert needs --tls_ca (the CA of smdpd's certificate)";
  }
  const std::string& op = options.operator_name;
  if (!op.empty()) {
    if (any_tls || options.plaintext) {
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

std::string DevOperator(const ConnectionOptions& options) {
  return options.operator_name.empty() ? std::string(smdp::kDevOperatorId)
                                       : options.operator_name;
}

bool UsesDevCertificate(const ConnectionOptions& options) {
  return options.tls_ca.empty() && !options.plaintext;
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> Connect(
    const ConnectionOptions& options, Caller caller) {
  const std::string& addr = options.addr;
  if (options.plaintext) {
    return grpc::CreateChannel(addr, grpc::InsecureChannelCredentials());
  }
  smdp::GrpcClientTlsFiles files;
  files.ca_file = options.tls_ca;
  files.certificate_chain_file = options.tls_cert;
  files.private_key_file = options.tls_key;
  files.server_name_override = options.tls_server_name;
  if (files.ca_file.empty()) {
    ASSIGN_OR_RETURN(std::string data_dir, DataDir(options));
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
      const std::string dev_operator = DevOperator(options);
      const smdp::pki::DevTlsClient op =
          smdp::pki::DevTlsClientLayout(dev.dir, dev_operator);
      if (!smdp::FileExists(op.cert) || !smdp::FileExists(op.key)) {
        return absl::FailedPreconditionError(absl::StrCat(
            "no client certificate of operator '", dev_operator, "': ", op.cert,
            " does not exist (dev-mode smdpd issues ", smdp::kDevOperatorId,
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

void SetDeadline(const ConnectionOptions& options,
                 grpc::ClientContext& context) {
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::milliseconds(options.timeout_ms));
}

}  // namespace smdp::ctl
