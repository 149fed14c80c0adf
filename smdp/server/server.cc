#include "smdp/server/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include <algorithm>
#include <map>
#include <optional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "api/admin.grpc.pb.h"
#include "profiles/import/batch_importer.h"
#include "profiles/rocksdb/rocksdb_profile_store.h"
#include "smdp/admin/admin_service.h"
#include "smdp/auth/ci_trust_store.h"
#include "smdp/config/config.h"
#include "smdp/config/crypto_provider.h"
#include "smdp/download/download_service.h"
#include "smdp/grpc/es2plus_service.h"
#include "smdp/grpc/es9plus_service.h"
#include "smdp/grpc/operator_query_service.h"
#include "smdp/grpc/tls_credentials.h"
#include "smdp/http/es2plus_binding.h"
#include "smdp/http/es9plus_binding.h"
#include "smdp/http/gsma_http_server.h"
#include "smdp/order/operator_channel.h"
#include "smdp/order/operator_registry.h"
#include "smdp/order/order_service.h"
#include "smdp/order/progress_notifier.h"
#include "smdp/pki/dev_pki.h"
#include "smdp/pki/dev_tls.h"
#include "smdp/server/dev_environment.h"
#include "smdp/server/operator_channels.h"
#include "util/file_util.h"
#include "util/log.h"
#include "util/status_macros.h"

namespace smdp {
namespace {

constexpr char kVersion[] = "0.1.0";

absl::StatusOr<std::vector<config::Identity>> DevIdentities(
    const config::ServerConfig& config, hsm::CryptoProvider& provider) {
  pki::DevPkiOptions options;
  options.dir = absl::StrCat(config.data_dir(), "/pki");
  options.smdp_address = config.smdp_address();
  options.smdp_oid = config.smdp_oid();
  ASSIGN_OR_RETURN(pki::DevPki dev, pki::EnsureDevPki(options, provider));
  return std::vector<config::Identity>{DevPkiIdentityConfig("nist", dev.nist),
                                       DevPkiIdentityConfig("brp", dev.brp)};
}

// Dev mode's admin_clients default names the dev admin certificate.
static_assert(pki::kDevAdminCommonName == kDevAdminClient);

// The credentials of the gRPC listener and who may call Admin on it:
// plaintext (loopback only, checked by ValidateConfig) lets every caller in;
// TLS uses grpc_tls, or in dev mode without it the dev TLS material.
absl::Status GrpcCredentials(
    const config::ServerConfig& config, const pki::DevTls* dev,
    const std::vector<std::string>& operator_ca_files,
    std::shared_ptr<grpc::ServerCredentials>* credentials,
    AdminAccess* access) {
  access->client_common_names.assign(config.admin_clients().begin(),
                                     config.admin_clients().end());
  if (config.grpc_plaintext()) {
    *credentials = grpc::InsecureServerCredentials();
    access->allow_all = true;
    return absl::OkStatus();
  }
  GrpcServerTlsFiles files;
  const config::GrpcTls& tls = config.grpc_tls();
  if (!tls.certificate_chain_file().empty()) {
    files.certificate_chain_file = tls.certificate_chain_file();
    files.private_key_file = tls.private_key_file();
    files.client_ca_files.assign(tls.client_ca_files().begin(),
                                 tls.client_ca_files().end());
  } else if (dev != nullptr) {
    files.certificate_chain_file = dev->server_chain;
    files.private_key_file = dev->server_key;
    files.client_ca_files = {dev->client_ca_cert};
  } else {
    return absl::FailedPreconditionError(
        "grpc_tls is not set (and dev_mode and grpc_plaintext are false)");
  }
  // Operators' client certificates are verified by the same handshake.
  for (const std::string& f : operator_ca_files) {
    if (std::find(files.client_ca_files.begin(), files.client_ca_files.end(),
                  f) == files.client_ca_files.end()) {
      files.client_ca_files.push_back(f);
    }
  }
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> made =
      MakeGrpcServerCredentials(files);
  if (!made.ok()) {
    return absl::Status(made.status().code(),
                        absl::StrCat("grpc_tls: ", made.status().message()));
  }
  *credentials = *std::move(made);
  return absl::OkStatus();
}

// The dev TLS material (made on first run), when dev mode uses it: for the
// gRPC listener without grpc_tls, or for the dev operator when the config
// has none. Null otherwise, and always on a plaintext listener.
absl::StatusOr<std::optional<pki::DevTls>> DevTlsInUse(
    const config::ServerConfig& config) {
  if (!config.dev_mode() || config.grpc_plaintext() ||
      (!config.grpc_tls().certificate_chain_file().empty() &&
       !config.operators().empty())) {
    return std::nullopt;
  }
  pki::DevTlsOptions options;
  options.dir = pki::DevTlsDir(config.data_dir());
  options.smdp_address = config.smdp_address();
  ASSIGN_OR_RETURN(pki::DevTls dev, pki::EnsureDevTls(options));
  if (dev.created) LogInfo("created dev gRPC TLS material in ", dev.dir);
  return dev;
}

// The ES2+ operators: the config's, or, with the dev TLS material and none
// configured, "op1" with a client certificate issued under the dev client
// CA.
absl::StatusOr<std::vector<config::Operator>> Operators(
    const config::ServerConfig& config, const pki::DevTls* dev) {
  std::vector<config::Operator> ops(config.operators().begin(),
                                    config.operators().end());
  if (!ops.empty() || dev == nullptr) return ops;
  ASSIGN_OR_RETURN(pki::DevTlsClient op1,
                   pki::IssueDevClientCertificate(dev->dir, kDevOperatorId));
  config::Operator op;
  op.set_id(std::string(kDevOperatorId));
  op.add_client_ca_files(dev->client_ca_cert);
  op.add_client_common_names(std::string(kDevOperatorId));
  ops.push_back(std::move(op));
  return ops;
}

absl::StatusOr<std::unique_ptr<order::OperatorRegistry>> MakeOperatorRegistry(
    const std::vector<config::Operator>& operators) {
  std::vector<order::OperatorCredentials> credentials;
  for (const config::Operator& op : operators) {
    order::OperatorCredentials c;
    c.op.id = op.id();
    c.op.requester_identifiers.assign(op.requester_identifiers().begin(),
                                      op.requester_identifiers().end());
    c.op.profile_types.assign(op.profile_types().begin(),
                              op.profile_types().end());
    for (const std::string& file : op.client_ca_files()) {
      absl::StatusOr<std::string> pem = ReadFile(file);
      if (!pem.ok()) {
        return absl::Status(
            pem.status().code(),
            absl::StrCat("operator '", op.id(),
                         "' client_ca_files: ", pem.status().message()));
      }
      c.client_ca_pem += *pem;
      c.client_ca_pem += "\n";
    }
    c.client_common_names.assign(op.client_common_names().begin(),
                                 op.client_common_names().end());
    credentials.push_back(std::move(c));
  }
  return order::OperatorRegistry::Create(std::move(credentials));
}

absl::StatusOr<std::map<std::string, std::unique_ptr<order::OperatorChannel>>>
OperatorChannels(const std::vector<config::Operator>& operators) {
  std::map<std::string, std::unique_ptr<order::OperatorChannel>> channels;
  for (const config::Operator& op : operators) {
    if (!op.has_callback() || op.callback().url().empty()) continue;
    const config::OperatorCallback& cb = op.callback();
    order::OperatorEndpoint endpoint;
    endpoint.url = cb.url();
    endpoint.trust_anchor_files.assign(cb.trust_anchor_files().begin(),
                                       cb.trust_anchor_files().end());
    endpoint.client_certificate_chain_file = cb.client_certificate_chain_file();
    endpoint.client_private_key_file = cb.client_private_key_file();
    absl::StatusOr<std::unique_ptr<order::OperatorChannel>> channel =
        MakeOperatorChannel(endpoint);
    if (!channel.ok()) {
      return absl::Status(channel.status().code(),
                          absl::StrCat("operator '", op.id(), "' callback: ",
                                       channel.status().message()));
    }
    channels[op.id()] = *std::move(channel);
  }
  return channels;
}

// The CERT.DP.TLS of an identity, for the HTTPS listeners.
struct DpTls {
  std::string name;
  http::TlsIdentity tls;
};

// The TLS identity of `config` (loaded as `identity`): nullopt when it has
// no CERT.DP.TLS or no key for it.
std::optional<http::TlsIdentity> DpTlsOf(const config::Identity& config,
                                         const SmdpIdentity& identity) {
  if (config.dptls_cert_file().empty()) return std::nullopt;
  http::TlsIdentity tls;
  tls.certificate_chain_files = {config.dptls_cert_file()};
  if (identity.dptls_key != nullptr) {
    tls.private_key = identity.dptls_key;
  } else if (!config.dptls_key_file().empty()) {
    tls.private_key_file = config.dptls_key_file();
  } else {
    return std::nullopt;
  }
  return tls;
}

// The identities a listener serves: those it names, in its order, or every
// one with a CERT.DP.TLS. `field` names the listener in errors.
absl::StatusOr<std::vector<http::TlsIdentity>> ListenerTlsIdentities(
    const std::string& field, const config::Es9HttpsListener& listener,
    const std::vector<DpTls>& dptls) {
  std::vector<http::TlsIdentity> out;
  if (listener.tls_identities().empty()) {
    for (const DpTls& d : dptls) out.push_back(d.tls);
    if (out.empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          field,
          ": no identity has a dptls_cert_file and dptls_key (or "
          "dptls_key_file)",
          field == "es9_https_listen" ? " (or set es9_https_listen: \"off\")"
                                      : ""));
    }
    return out;
  }
  for (const std::string& name : listener.tls_identities()) {
    auto it = std::find_if(dptls.begin(), dptls.end(),
                           [&](const DpTls& d) { return d.name == name; });
    if (it == dptls.end()) {
      return absl::FailedPreconditionError(absl::StrCat(
          field, ": no identity named '", name,
          "' has a dptls_cert_file and dptls_key (or dptls_key_file)"));
    }
    out.push_back(it->tls);
  }
  return out;
}

}  // namespace

struct SmdpServer::State {
  std::unique_ptr<hsm::CryptoProvider> provider;
  std::unique_ptr<hsm::SecretKey> kek;
  std::vector<SmdpIdentity> identities;
  std::unique_ptr<profiles::RocksDbProfileStore> store;
  std::unique_ptr<profiles::BatchImporter> importer;
  std::unique_ptr<AdminService> admin;
  std::unique_ptr<download::DownloadService> download;
  std::unique_ptr<Es9PlusGrpcService> es9_grpc;
  // One per ES9+ HTTPS listener, and its bound address.
  std::vector<std::unique_ptr<http::GsmaHttpServer>> es9_https;
  std::vector<std::string> es9_https_addresses;
  std::unique_ptr<order::OperatorRegistry> operators;
  std::unique_ptr<order::OrderService> orders;
  std::unique_ptr<Es2PlusGrpcService> es2_grpc;
  std::unique_ptr<OperatorQueryGrpcService> operator_query;
  std::unique_ptr<http::GsmaHttpServer> es2_https;
  std::string es2_https_address;
  std::unique_ptr<order::ProgressNotifier> notifier;
  // Expired-session clean-up and order expiry, every 30 s until shutdown.
  std::thread cleaner;
  absl::Mutex cleaner_mu;
  bool stopping ABSL_GUARDED_BY(cleaner_mu) = false;
  std::unique_ptr<grpc::Server> grpc_server;
  std::string grpc_address;
  bool grpc_tls = false;
  bool shut_down = false;
};

absl::StatusOr<std::unique_ptr<SmdpServer>> SmdpServer::Start(
    const config::ServerConfig& config) {
  auto state = std::make_unique<State>();
  RETURN_IF_ERROR(MakeDirs(config.data_dir(), 0700));
  RETURN_IF_ERROR(PrepareDevHsm(config));
  ASSIGN_OR_RETURN(state->provider, OpenCryptoProvider(config));
  // Fails early, at start-up, if the HSM cannot hold the key-encryption key.
  ASSIGN_OR_RETURN(state->kek, state->provider->GetOrCreateSecretKey(
                                   config.hsm().kek_label()));

  std::vector<config::Identity> identity_configs(config.identities().begin(),
                                                 config.identities().end());
  if (identity_configs.empty() && config.dev_mode()) {
    ASSIGN_OR_RETURN(identity_configs, DevIdentities(config, *state->provider));
  }
  for (const config::Identity& id : identity_configs) {
    ASSIGN_OR_RETURN(SmdpIdentity identity, LoadIdentity(id, *state->provider));
    state->identities.push_back(std::move(identity));
  }

  profiles::RocksDbProfileStoreOptions store_options;
  store_options.path = config.data_dir() + "/db";
  ASSIGN_OR_RETURN(state->store,
                   profiles::RocksDbProfileStore::Open(store_options));
  state->importer = std::make_unique<profiles::BatchImporter>(
      *state->store, *state->kek, config.hsm().kek_label());

  admin::GetServerInfoResponse info;
  info.set_smdp_address(config.smdp_address());
  info.set_version(kVersion);
  info.set_crypto_provider(state->provider->Describe());
  for (const SmdpIdentity& id : state->identities) {
    info.add_identities(id.name);
  }
  // ES2+: operators, known by their TLS client certificates.
  ASSIGN_OR_RETURN(std::optional<pki::DevTls> dev_tls, DevTlsInUse(config));
  const pki::DevTls* dev = dev_tls.has_value() ? &*dev_tls : nullptr;
  ASSIGN_OR_RETURN(std::vector<config::Operator> operator_configs,
                   Operators(config, dev));
  std::vector<std::string> operator_ca_files;
  for (const config::Operator& op : operator_configs) {
    for (const std::string& f : op.client_ca_files()) {
      if (std::find(operator_ca_files.begin(), operator_ca_files.end(), f) ==
          operator_ca_files.end()) {
        operator_ca_files.push_back(f);
      }
    }
  }
  ASSIGN_OR_RETURN(state->operators, MakeOperatorRegistry(operator_configs));
  order::OrderServiceOptions order_options;
  order_options.smdp_address = config.smdp_address();
  order_options.order_ttl = absl::Seconds(config.order_ttl_seconds());
  ASSIGN_OR_RETURN(state->orders,
                   order::OrderService::Create(order_options, *state->store));
  state->es2_grpc =
      std::make_unique<Es2PlusGrpcService>(*state->orders, *state->operators);
  state->operator_query = std::make_unique<OperatorQueryGrpcService>(
      *state->store, *state->operators);

  std::shared_ptr<grpc::ServerCredentials> grpc_credentials;
  AdminAccess admin_access;
  RETURN_IF_ERROR(GrpcCredentials(config, dev, operator_ca_files,
                                  &grpc_credentials, &admin_access));
  state->grpc_tls = !config.grpc_plaintext();
  state->admin = std::make_unique<AdminService>(
      info, *state->store, *state->importer, std::move(admin_access));

  // ES9+: the download service over the store, trusting the identities' CIs.
  std::vector<std::string> ci_certificates;
  for (const SmdpIdentity& id : state->identities) {
    ci_certificates.push_back(id.ci_cert);
  }
  ASSIGN_OR_RETURN(std::shared_ptr<const auth::CiTrustStore> trust,
                   auth::CiTrustStore::Create(ci_certificates));
  download::DownloadServiceOptions download_options;
  download_options.smdp_address = config.smdp_address();
  download_options.smdp_oid = config.smdp_oid();
  download_options.session_ttl = absl::Seconds(config.session_ttl_seconds());
  download_options.max_download_attempts = config.max_download_attempts();
  ASSIGN_OR_RETURN(state->download,
                   download::DownloadService::Create(
                       download_options, state->identities, std::move(trust),
                       *state->store, *state->kek, *state->provider));
  state->es9_grpc = std::make_unique<Es9PlusGrpcService>(*state->download);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  // gRPC sets SO_REUSEPORT by default: a second smdpd on the same port
  // would start silently and take half the connections. Refuse instead.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.AddListeningPort(config.grpc_listen(), grpc_credentials, &port);
  builder.RegisterService(state->admin.get());
  builder.RegisterService(state->es9_grpc.get());
  // On a plaintext listener no call has a client certificate: ES2+ and
  // OperatorQuery answer UNAUTHENTICATED, as they must.
  builder.RegisterService(state->es2_grpc.get());
  builder.RegisterService(state->operator_query.get());
  grpc::ResourceQuota quota("smdpd");
  // gRPC's synchronous server answers RESOURCE_EXHAUSTED rather than
  // queueing once every thread is busy, and most of a call's time is spent
  // waiting (HSM, synced store writes): allow many threads per core.
  quota.SetMaxThreads(
      std::max(256, 16 * static_cast<int>(config.worker_threads())));
  builder.SetResourceQuota(quota);
  state->grpc_server = builder.BuildAndStart();
  if (state->grpc_server == nullptr || port == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", config.grpc_listen()));
  }
  std::string host =
      config.grpc_listen().substr(0, config.grpc_listen().rfind(':'));
  state->grpc_address = absl::StrCat(host, ":", port);

  // ES9+ and ES2+ in the GSMA HTTPS binding, with CERT.DP.TLS (its key in
  // the HSM, or a file).
  auto bound = [](const std::string& listen, int port) {
    return absl::StrCat(listen.substr(0, listen.rfind(':')), ":", port);
  };
  std::vector<DpTls> dptls;
  for (size_t i = 0; i < identity_configs.size(); ++i) {
    if (std::optional<http::TlsIdentity> tls =
            DpTlsOf(identity_configs[i], state->identities[i]);
        tls.has_value()) {
      dptls.push_back({state->identities[i].name, *std::move(tls)});
    }
  }
  const std::vector<config::Es9HttpsListener> es9_listeners =
      Es9HttpsListeners(config);
  for (size_t i = 0; i < es9_listeners.size(); ++i) {
    const config::Es9HttpsListener& listener = es9_listeners[i];
    const std::string field = config.es9_https().empty()
                                  ? "es9_https_listen"
                                  : absl::StrCat("es9_https[", i, "]");
    http::GsmaHttpServerOptions https;
    https.listen_address = listener.listen();
    https.worker_threads = static_cast<int>(config.worker_threads());
    ASSIGN_OR_RETURN(https.tls_identities,
                     ListenerTlsIdentities(field, listener, dptls));
    absl::StatusOr<std::unique_ptr<http::GsmaHttpServer>> server =
        http::GsmaHttpServer::Create(https);
    if (!server.ok()) {
      return absl::Status(server.status().code(),
                          absl::StrCat(field, " (", listener.listen(),
                                       "): ", server.status().message()));
    }
    RETURN_IF_ERROR(http::AddEs9PlusHandlers(**server, *state->download));
    RETURN_IF_ERROR((*server)->Start());
    state->es9_https_addresses.push_back(
        bound(listener.listen(), (*server)->port()));
    state->es9_https.push_back(*std::move(server));
  }
  if (config.es2_https_listen() != "off" && !operator_ca_files.empty()) {
    const DpTls* tls = nullptr;
    for (const DpTls& candidate : dptls) {
      if (config.tls_identity().empty() ||
          candidate.name == config.tls_identity()) {
        tls = &candidate;
        break;
      }
    }
    if (tls == nullptr) {
      return absl::FailedPreconditionError(absl::StrCat(
          "es2_https_listen is set but no identity",
          config.tls_identity().empty()
              ? ""
              : absl::StrCat(" named '", config.tls_identity(), "'"),
          " has a dptls_cert_file and dptls_key (or dptls_key_file) (or set "
          "es2_https_listen: \"off\")"));
    }
    http::GsmaHttpServerOptions https;
    https.listen_address = config.es2_https_listen();
    https.worker_threads = static_cast<int>(config.worker_threads());
    https.tls_identities = {tls->tls};
    https.client_certificate_mode = http::ClientCertificateMode::kRequired;
    https.client_ca_files = operator_ca_files;
    ASSIGN_OR_RETURN(state->es2_https, http::GsmaHttpServer::Create(https));
    RETURN_IF_ERROR(http::AddEs2PlusHandlers(*state->es2_https, *state->orders,
                                             *state->operators));
    RETURN_IF_ERROR(state->es2_https->Start());
    state->es2_https_address =
        bound(config.es2_https_listen(), state->es2_https->port());
  }

  // HandleDownloadProgressInfo from the outbox.
  ASSIGN_OR_RETURN(auto channels, OperatorChannels(operator_configs));
  order::ProgressNotifierOptions notifier_options;
  notifier_options.requester_identifier =
      config.callback_requester_identifier();
  state->notifier = std::make_unique<order::ProgressNotifier>(
      notifier_options, *state->store, std::move(channels));
  state->notifier->Start();

  State* raw = state.get();
  state->cleaner = std::thread([raw] {
    absl::MutexLock lock(&raw->cleaner_mu);
    while (!raw->cleaner_mu.AwaitWithTimeout(absl::Condition(&raw->stopping),
                                             absl::Seconds(30))) {
      raw->cleaner_mu.Unlock();
      auto cleaned = raw->download->CleanUpExpiredSessions(1000);
      if (!cleaned.ok()) {
        LogWarning("session clean-up: ", cleaned.status().ToString());
      } else if (*cleaned > 0) {
        LogInfo("session clean-up: ", *cleaned, " expired sessions");
      }
      auto expired = raw->orders->ExpireOrders(10000);
      if (!expired.ok()) {
        LogWarning("order expiry: ", expired.status().ToString());
      } else if (*expired > 0) {
        LogInfo("order expiry: ", *expired, " expired orders ended");
      }
      raw->cleaner_mu.Lock();
    }
  });
  return std::unique_ptr<SmdpServer>(new SmdpServer(std::move(state)));
}

SmdpServer::SmdpServer(std::unique_ptr<State> state)
    : state_(std::move(state)) {}

SmdpServer::~SmdpServer() { Shutdown(); }

const std::string& SmdpServer::grpc_address() const {
  return state_->grpc_address;
}

bool SmdpServer::grpc_tls() const { return state_->grpc_tls; }

const std::string& SmdpServer::es9_https_address() const {
  static const std::string* const kNone = new std::string();
  return state_->es9_https_addresses.empty()
             ? *kNone
             : state_->es9_https_addresses.front();
}

const std::vector<std::string>& SmdpServer::es9_https_addresses() const {
  return state_->es9_https_addresses;
}

const std::string& SmdpServer::es2_https_address() const {
  return state_->es2_https_address;
}

const std::vector<SmdpIdentity>& SmdpServer::identities() const {
  return state_->identities;
}

std::string SmdpServer::crypto_description() const {
  return state_->provider->Describe();
}

void SmdpServer::Shutdown(absl::Duration grace) {
  if (state_->shut_down) return;
  state_->shut_down = true;
  for (auto& es9 : state_->es9_https) es9->Shutdown(grace);
  if (state_->es2_https != nullptr) state_->es2_https->Shutdown(grace);
  state_->grpc_server->Shutdown(absl::ToChronoTime(absl::Now() + grace));
  state_->grpc_server->Wait();
  {
    absl::MutexLock lock(&state_->cleaner_mu);
    state_->stopping = true;
  }
  if (state_->cleaner.joinable()) state_->cleaner.join();
  if (state_->notifier != nullptr) state_->notifier->Stop();
  state_->notifier.reset();
  state_->es2_https.reset();
  state_->es2_grpc.reset();
  state_->operator_query.reset();
  state_->orders.reset();
  state_->operators.reset();
  state_->es9_https.clear();
  state_->es9_grpc.reset();
  state_->download.reset();
  state_->admin.reset();
  state_->importer.reset();
  state_->store.reset();  // Flushes and closes RocksDB.
}

}  // namespace smdp
