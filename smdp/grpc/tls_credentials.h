// gRPC TLS credentials from PEM files, for smdpd's listener and its clients
// (smdpctl, euicc_cli, tests).
//
//   ASSIGN_OR_RETURN(auto creds, MakeGrpcServerCredentials(
//       {.certificate_chain_file = "server.pem",
//        .private_key_file = "server.key.pem",
//        .client_ca_files = {"client-ca.pem"}}));
//   builder.AddListeningPort("0.0.0.0:9443", creds, &port);
//
//   ASSIGN_OR_RETURN(auto channel, CreateGrpcTlsChannel(
//       "127.0.0.1:9443", {.ca_file = "ca.pem",
//                          .certificate_chain_file = "admin.pem",
//                          .private_key_file = "admin.key.pem"}));
//
// The files are read and checked here (each holds PEM of the right kind, the
// key matches the certificate) so that a wrong file is a one-line error
// naming it: given bad PEM, gRPC itself only logs and fails to listen or
// connect.
//
// The server requests a client certificate and verifies it when one is
// presented (GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY): callers
// without one still get through the handshake (ES9+, health), and the
// services decide (smdp/grpc/peer_identity.h). TLS 1.2 is gRPC 1.51's floor
// for SslServerCredentials (its default minimum; the version is not
// configurable through that API), 1.3 is used when the client offers it.
#ifndef SMDP_SMDP_GRPC_TLS_CREDENTIALS_H_
#define SMDP_SMDP_GRPC_TLS_CREDENTIALS_H_

#include <grpcpp/channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace smdp {

// The server's TLS files, all PEM (api/config.proto, GrpcTls).
struct GrpcServerTlsFiles {
  // The server certificate, then its intermediates.
  std::string certificate_chain_file;
  // Its private key (PKCS#8 or "EC PRIVATE KEY").
  std::string private_key_file;
  // CAs that client certificates must chain to (several per file allowed).
  // At least one.
  std::vector<std::string> client_ca_files;
};

// SslServerCredentials over `files`. InvalidArgument naming the file when
// one does not hold what it should (or the key does not match), NotFound
// when one is missing.
[[nodiscard]] absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>>
MakeGrpcServerCredentials(const GrpcServerTlsFiles& files);

// A client's TLS files, all PEM.
struct GrpcClientTlsFiles {
  // The CA(s) that the server certificate must chain to. Required.
  std::string ca_file;
  // The client certificate (then intermediates) and its key, for services
  // that authenticate the caller (Admin, ES2+). Both or neither.
  std::string certificate_chain_file;
  std::string private_key_file;
  // The name the server certificate must carry, when it is not the target's
  // host (e.g. "localhost" while dialling an address the certificate does
  // not list). Empty: the target's host.
  std::string server_name_override;
};

// SslCredentials over `files` (checked as above).
[[nodiscard]] absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>>
MakeGrpcChannelCredentials(const GrpcClientTlsFiles& files);

// A channel to `target` ("host:port") with those credentials and the name
// override, if any.
[[nodiscard]] absl::StatusOr<std::shared_ptr<grpc::Channel>>
CreateGrpcTlsChannel(const std::string& target,
                     const GrpcClientTlsFiles& files);

}  // namespace smdp

#endif  // SMDP_SMDP_GRPC_TLS_CREDENTIALS_H_
