// SmdpServer: smdpd as a library. Opens everything the config names (dev
// environment, CryptoProvider, dev PKI, identities, RocksDB data dir) and
// serves gRPC (health, reflection, Admin, ES9+) and the ES9+ HTTPS binding
// (on every listener of config.es9_https, each with its CERT.DP.TLS
// identities) until Shutdown().
//
// gRPC runs over TLS (grpc_tls, or in dev mode the dev TLS material of
// smdp/pki/dev_tls.h) with client certificates requested and verified when
// presented: health, reflection and ES9+ are open to any TLS client, Admin
// needs a client certificate whose CN is in admin_clients. With
// grpc_plaintext (loopback only) there is no TLS and Admin is open.
//
//   ASSIGN_OR_RETURN(auto server, SmdpServer::Start(config));
//   std::cout << server->grpc_address();
//   ...
//   server->Shutdown();
//
// Thread-safety: Start() and Shutdown() from one thread; the accessors from
// any thread.
#ifndef SMDP_SMDP_SERVER_SERVER_H_
#define SMDP_SMDP_SERVER_SERVER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "api/config.pb.h"
#include "hsm/crypto_provider.h"
#include "smdp/server/identity.h"

namespace smdp {

class SmdpServer {
 public:
  // `config` must be defaulted and valid (smdp/config/config.h).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<SmdpServer>> Start(
      const config::ServerConfig& config);

  ~SmdpServer();
  SmdpServer(const SmdpServer&) = delete;
  SmdpServer& operator=(const SmdpServer&) = delete;

  // The bound gRPC address, with the actual port ("127.0.0.1:9443").
  const std::string& grpc_address() const;
  // True when gRPC is served over TLS, false with grpc_plaintext.
  bool grpc_tls() const;
  // The bound address of the first ES9+ HTTPS listener; empty when there is
  // none (es9_https empty and es9_https_listen "off").
  const std::string& es9_https_address() const;
  // The bound addresses of every ES9+ HTTPS listener, in config order.
  const std::vector<std::string>& es9_https_addresses() const;
  // The bound ES2+ HTTPS address; empty when es2_https_listen is "off" or
  // there is no operator.
  const std::string& es2_https_address() const;
  const std::vector<SmdpIdentity>& identities() const;
  std::string crypto_description() const;

  // Stops accepting calls, lets running calls finish for up to `grace`, and
  // closes the store. Idempotent; also done by the destructor.
  void Shutdown(absl::Duration grace = absl::Seconds(5));

 private:
  struct State;
  explicit SmdpServer(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace smdp

#endif  // SMDP_SMDP_SERVER_SERVER_H_
