#include "smdp/config/config.h"

#include <arpa/inet.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"
#include "util/status_macros.h"

namespace smdp {
namespace {

constexpr size_t kMaxConfigBytes = 1 << 20;

// Keeps the first parse error of the text format parser, with its position.
class FirstErrorCollector : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    if (first_.empty()) {
      first_ = absl::StrCat("line ", line + 1, " column ", column + 1, ": ",
                            message);
    }
  }
  const std::string& first() const { return first_; }

 private:
  std::string first_;
};

absl::Status FieldError(absl::string_view field, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("config field ", field, ": ", what));
}

bool IsDnsName(absl::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  for (absl::string_view label : absl::StrSplit(name, '.')) {
    if (label.empty() || label.size() > 63) return false;
    if (label.front() == '-' || label.back() == '-') return false;
    for (char c : label) {
      if (!absl::ascii_isalnum(c) && c != '-') return false;
    }
  }
  return true;
}

bool IsOid(absl::string_view oid) {
  std::vector<absl::string_view> arcs = absl::StrSplit(oid, '.');
  if (arcs.size() < 2) return false;
  for (absl::string_view arc : arcs) {
    if (arc.empty() || arc.size() > 18) return false;
    for (char c : arc) {
      if (!absl::ascii_isdigit(c)) return false;
    }
  }
  return true;
}

// operators: ids, CAs, callbacks.
absl::Status ValidateOperators(const config::ServerConfig& config) {
  std::set<std::string> ids;
  for (int i = 0; i < config.operators_size(); ++i) {
    const config::Operator& op = config.operators(i);
    const std::string field = absl::StrCat("operators[", i, "]");
    if (op.id().empty() || op.id().size() > 64) {
      return FieldError(absl::StrCat(field, ".id"), "must be 1-64 characters");
    }
    if (!ids.insert(op.id()).second) {
      return FieldError(absl::StrCat(field, ".id"),
                        absl::StrCat("'", op.id(), "' appears twice"));
    }
    if (op.client_ca_files().empty()) {
      return FieldError(absl::StrCat(field, ".client_ca_files"),
                        "is empty: ES2+ identifies operators by their TLS "
                        "client certificate");
    }
    if (op.has_callback()) {
      const config::OperatorCallback& cb = op.callback();
      if (!absl::StartsWith(cb.url(), "https://") &&
          !absl::StartsWith(cb.url(), "grpc://")) {
        return FieldError(absl::StrCat(field, ".callback.url"),
                          "must start with https:// or grpc://");
      }
      if (cb.trust_anchor_files().empty()) {
        return FieldError(absl::StrCat(field, ".callback.trust_anchor_files"),
                          "is empty");
      }
      if (cb.client_certificate_chain_file().empty() ||
          cb.client_private_key_file().empty()) {
        return FieldError(
            absl::StrCat(field, ".callback"),
            "needs client_certificate_chain_file and client_private_key_file "
            "(ES2+ is mutual TLS)");
      }
    }
  }
  return absl::OkStatus();
}

// grpc_tls, grpc_plaintext and admin_clients; `grpc_host` is grpc_listen's
// host.
absl::Status ValidateGrpcTransport(const config::ServerConfig& config,
                                   absl::string_view grpc_host) {
  const config::GrpcTls& tls = config.grpc_tls();
  const bool tls_set = !tls.certificate_chain_file().empty() ||
                       !tls.private_key_file().empty() ||
                       !tls.client_ca_files().empty();
  if (config.grpc_plaintext()) {
    if (tls_set) {
      return FieldError("grpc_plaintext",
                        "is true but grpc_tls is set too; choose one");
    }
    if (!IsLoopbackHost(grpc_host)) {
      return FieldError(
          "grpc_plaintext",
          absl::StrCat("only allowed when grpc_listen is a loopback address "
                       "(127.0.0.1, [::1], localhost), not '",
                       config.grpc_listen(), "'"));
    }
  } else if (tls_set) {
    if (tls.certificate_chain_file().empty()) {
      return FieldError("grpc_tls.certificate_chain_file", "is empty");
    }
    if (tls.private_key_file().empty()) {
      return FieldError("grpc_tls.private_key_file", "is empty");
    }
    if (tls.client_ca_files().empty()) {
      return FieldError("grpc_tls.client_ca_files",
                        "is empty: client certificates (admin, operators) "
                        "need a CA to chain to");
    }
    for (int i = 0; i < tls.client_ca_files_size(); ++i) {
      if (tls.client_ca_files(i).empty()) {
        return FieldError(absl::StrCat("grpc_tls.client_ca_files[", i, "]"),
                          "is empty");
      }
    }
  } else if (!config.dev_mode()) {
    return FieldError("grpc_tls",
                      "not set and dev_mode is false: configure "
                      "certificate_chain_file, private_key_file and "
                      "client_ca_files, or grpc_plaintext: true on a loopback "
                      "grpc_listen");
  }
  for (int i = 0; i < config.admin_clients_size(); ++i) {
    const std::string& cn = config.admin_clients(i);
    if (cn.empty() || cn.size() > 64) {
      return FieldError(absl::StrCat("admin_clients[", i, "]"),
                        "must be a certificate CN of 1 to 64 characters");
    }
  }
  return absl::OkStatus();
}

// An identity in `config` that can serve TLS: CERT.DP.TLS and its key.
bool HasDpTls(const config::Identity& id) {
  return !id.dptls_cert_file().empty() &&
         (!id.dptls_key().empty() || !id.dptls_key_file().empty());
}

// es9_https (or es9_https_listen) against `identities`.
absl::Status ValidateEs9Https(const config::ServerConfig& config) {
  if (config.es9_https().empty()) {
    if (config.es9_https_listen() == "off") return absl::OkStatus();
    std::string host;
    int port;
    if (absl::Status s = ParseHostPort(config.es9_https_listen(), &host, &port);
        !s.ok()) {
      return FieldError("es9_https_listen", s.message());
    }
    return absl::OkStatus();
  }
  if (!config.es9_https_listen().empty()) {
    return FieldError("es9_https_listen",
                      "is set together with es9_https: list every ES9+ "
                      "listener in es9_https");
  }
  std::set<std::string> addresses;
  for (int i = 0; i < config.es9_https_size(); ++i) {
    const config::Es9HttpsListener& listener = config.es9_https(i);
    const std::string field = absl::StrCat("es9_https[", i, "]");
    std::string host;
    int port = 0;
    if (listener.listen().empty()) {
      return FieldError(field + ".listen", "is empty");
    }
    if (absl::Status s = ParseHostPort(listener.listen(), &host, &port);
        !s.ok()) {
      return FieldError(field + ".listen", s.message());
    }
    if (port != 0 && !addresses.insert(listener.listen()).second) {
      return FieldError(field + ".listen",
                        absl::StrCat("'", listener.listen(),
                                     "' is used by another listener"));
    }
    std::set<std::string> names;
    for (int j = 0; j < listener.tls_identities_size(); ++j) {
      const std::string& name = listener.tls_identities(j);
      const std::string name_field =
          absl::StrCat(field, ".tls_identities[", j, "]");
      if (name.empty()) return FieldError(name_field, "is empty");
      if (!names.insert(name).second) {
        return FieldError(name_field,
                          absl::StrCat("'", name, "' appears twice"));
      }
      if (config.identities().empty()) continue;  // Dev PKI: checked later.
      const config::Identity* id = nullptr;
      for (const config::Identity& candidate : config.identities()) {
        if (candidate.name() == name) id = &candidate;
      }
      if (id == nullptr) {
        return FieldError(name_field,
                          absl::StrCat("no identity is named '", name, "'"));
      }
      if (!HasDpTls(*id)) {
        return FieldError(
            name_field,
            absl::StrCat("identity '", name,
                         "' has no dptls_cert_file with dptls_key or "
                         "dptls_key_file"));
      }
    }
    if (listener.tls_identities().empty() && !config.identities().empty() &&
        std::none_of(config.identities().begin(), config.identities().end(),
                     HasDpTls)) {
      return FieldError(field + ".tls_identities",
                        "is empty and no identity has a dptls_cert_file with "
                        "dptls_key or dptls_key_file");
    }
  }
  return absl::OkStatus();
}

void Default(std::string* field, absl::string_view value) {
  if (field->empty()) *field = std::string(value);
}

}  // namespace

std::vector<config::Es9HttpsListener> Es9HttpsListeners(
    const config::ServerConfig& config) {
  std::vector<config::Es9HttpsListener> listeners(config.es9_https().begin(),
                                                  config.es9_https().end());
  if (listeners.empty() && !config.es9_https_listen().empty() &&
      config.es9_https_listen() != "off") {
    config::Es9HttpsListener& listener = listeners.emplace_back();
    listener.set_listen(config.es9_https_listen());
    if (!config.tls_identity().empty()) {
      listener.add_tls_identities(config.tls_identity());
    }
  }
  return listeners;
}

absl::Status ParseHostPort(absl::string_view address, std::string* host,
                           int* port) {
  size_t colon = address.rfind(':');
  if (colon == absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", address, "' is not host:port"));
  }
  absl::string_view h = address.substr(0, colon);
  if (absl::StartsWith(h, "[") && absl::EndsWith(h, "]")) {
    h = h.substr(1, h.size() - 2);
  } else if (absl::StrContains(h, ':')) {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", address, "': put an IPv6 address in brackets, [::1]:port"));
  }
  int p = 0;
  if (h.empty() || !absl::SimpleAtoi(address.substr(colon + 1), &p) || p < 0 ||
      p > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", address, "' is not host:port with port 0-65535"));
  }
  *host = std::string(h);
  *port = p;
  return absl::OkStatus();
}

bool IsLoopbackHost(absl::string_view host) {
  if (absl::AsciiStrToLower(host) == "localhost") return true;
  const std::string text(host);
  in_addr v4;
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6;
  if (inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
    return IN6_IS_ADDR_LOOPBACK(&v6);
  }
  return false;
}

absl::StatusOr<config::ServerConfig> ParseConfig(
    absl::string_view text, absl::string_view format,
    absl::string_view source_name) {
  config::ServerConfig config;
  if (format == "json") {
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = false;
    auto status = google::protobuf::util::JsonStringToMessage(std::string(text),
                                                              &config, options);
    if (!status.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "config file ", source_name, ": ", std::string(status.message())));
    }
    return config;
  }
  if (format != "textproto") {
    return absl::InvalidArgumentError(
        absl::StrCat("config file ", source_name, ": unknown format ", format));
  }
  google::protobuf::TextFormat::Parser parser;
  FirstErrorCollector errors;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(std::string(text), &config)) {
    return absl::InvalidArgumentError(
        absl::StrCat("config file ", source_name, ": ", errors.first()));
  }
  return config;
}

absl::StatusOr<config::ServerConfig> LoadConfigFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("config file ", path, ": cannot be opened"));
  }
  std::string text;
  text.resize(kMaxConfigBytes + 1);
  in.read(text.data(), text.size());
  text.resize(in.gcount());
  if (text.size() > kMaxConfigBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("config file ", path, ": larger than 1 MiB"));
  }
  absl::string_view format =
      absl::EndsWith(path, ".json") ? "json" : "textproto";
  return ParseConfig(text, format, path);
}

void ApplyDefaults(config::ServerConfig& config, bool from_file) {
  Default(config.mutable_data_dir(), kDefaultDataDir);
  Default(config.mutable_smdp_address(), kDefaultSmdpAddress);
  Default(config.mutable_smdp_oid(), kDefaultSmdpOid);
  Default(config.mutable_grpc_listen(), kDefaultGrpcListen);
  Default(config.mutable_log_level(), kDefaultLogLevel);
  if (config.es9_https().empty()) {
    Default(config.mutable_es9_https_listen(), kDefaultEs9HttpsListen);
  }
  if (config.session_ttl_seconds() == 0) config.set_session_ttl_seconds(300);
  Default(config.mutable_es2_https_listen(), kDefaultEs2HttpsListen);
  if (config.order_ttl_seconds() == 0) {
    config.set_order_ttl_seconds(30 * 24 * 3600);
  }
  Default(config.mutable_callback_requester_identifier(),
          config.smdp_address());
  if (config.max_download_attempts() == 0) config.set_max_download_attempts(3);
  if (!config.has_dev_mode()) config.set_dev_mode(!from_file);
  if (config.dev_mode() && config.admin_clients().empty()) {
    config.add_admin_clients(std::string(kDevAdminClient));
  }
  if (config.worker_threads() == 0) {
    config.set_worker_threads(
        std::max(1u, std::thread::hardware_concurrency()));
  }
  config::HsmConfig& hsm = *config.mutable_hsm();
  Default(hsm.mutable_module_path(), kDefaultPkcs11Module);
  Default(hsm.mutable_token_label(), kDefaultTokenLabel);
  if (hsm.pin_env().empty() && hsm.pin_file().empty()) {
    hsm.set_pin_env(std::string(kDefaultPinEnv));
    if (config.dev_mode()) {
      hsm.set_pin_file(absl::StrCat(config.data_dir(), "/hsm/pin"));
    }
  }
  if (hsm.session_pool_size() == 0) {
    hsm.set_session_pool_size(config.worker_threads());
  }
  Default(hsm.mutable_key_dir(), absl::StrCat(config.data_dir(), "/keys"));
  Default(hsm.mutable_kek_label(), kDefaultKekLabel);
}

absl::Status ValidateConfig(const config::ServerConfig& config) {
  if (config.data_dir().empty()) return FieldError("data_dir", "is empty");
  if (!IsDnsName(config.smdp_address())) {
    return FieldError("smdp_address",
                      absl::StrCat("'", config.smdp_address(),
                                   "' is not a DNS name (no scheme, no port)"));
  }
  if (!IsOid(config.smdp_oid())) {
    return FieldError("smdp_oid", absl::StrCat("'", config.smdp_oid(),
                                               "' is not a dotted OID"));
  }
  std::string host;
  int port;
  if (absl::Status s = ParseHostPort(config.grpc_listen(), &host, &port);
      !s.ok()) {
    return FieldError("grpc_listen", s.message());
  }
  // grpc_listen's host, for ValidateGrpcTransport below.
  const std::string grpc_host = host;
  RETURN_IF_ERROR(ValidateEs9Https(config));
  if (config.es2_https_listen() != "off") {
    if (absl::Status s = ParseHostPort(config.es2_https_listen(), &host, &port);
        !s.ok()) {
      return FieldError("es2_https_listen", s.message());
    }
  }
  RETURN_IF_ERROR(ValidateOperators(config));
  if (config.session_ttl_seconds() > 86400) {
    return FieldError("session_ttl_seconds", "is above 86400");
  }
  if (config.max_download_attempts() > 100) {
    return FieldError("max_download_attempts", "is above 100");
  }
  const std::string& level = config.log_level();
  if (level != "debug" && level != "info" && level != "warning" &&
      level != "error") {
    return FieldError("log_level",
                      absl::StrCat("'", level,
                                   "' is not one of debug, info, warning, "
                                   "error"));
  }
  if (config.worker_threads() > 1024) {
    return FieldError("worker_threads",
                      absl::StrCat(config.worker_threads(), " is above 1024"));
  }
  const config::HsmConfig& hsm = config.hsm();
  if (hsm.kind() == config::HsmConfig::PKCS11) {
    if (hsm.module_path().empty() || hsm.module_path().front() != '/') {
      return FieldError(
          "hsm.module_path",
          absl::StrCat("'", hsm.module_path(), "' is not an absolute path"));
    }
    if (hsm.token_label().size() > 32) {
      return FieldError("hsm.token_label", "is longer than 32 characters");
    }
    if (hsm.session_pool_size() > 4096) {
      return FieldError(
          "hsm.session_pool_size",
          absl::StrCat(hsm.session_pool_size(), " is above 4096"));
    }
  } else if (hsm.kind() != config::HsmConfig::SOFTWARE) {
    return FieldError("hsm.kind", absl::StrCat("unknown kind ", hsm.kind()));
  }
  if (config.identities().empty() && !config.dev_mode()) {
    return FieldError("identities",
                      "none configured and dev_mode is false: configure at "
                      "least one SM-DP+ identity or set dev_mode: true");
  }
  for (int i = 0; i < config.identities_size(); ++i) {
    const config::Identity& id = config.identities(i);
    std::string prefix = absl::StrCat("identities[", i, "].");
    const std::pair<const char*, const std::string*> required[] = {
        {"name", &id.name()},
        {"ci_cert_file", &id.ci_cert_file()},
        {"dpauth_cert_file", &id.dpauth_cert_file()},
        {"dppb_cert_file", &id.dppb_cert_file()},
        {"dpauth_key", &id.dpauth_key()},
        {"dppb_key", &id.dppb_key()},
    };
    for (const auto& [name, value] : required) {
      if (value->empty()) return FieldError(prefix + name, "is empty");
    }
    if (!id.dptls_key().empty() && !id.dptls_key_file().empty()) {
      return FieldError(prefix + "dptls_key_file",
                        "is set together with dptls_key: CERT.DP.TLS's key "
                        "is either in the HSM or in a file");
    }
    for (int j = 0; j < i; ++j) {
      if (config.identities(j).name() == id.name()) {
        return FieldError(prefix + "name",
                          absl::StrCat("'", id.name(), "' is used twice"));
      }
    }
  }
  return ValidateGrpcTransport(config, grpc_host);
}

}  // namespace smdp
