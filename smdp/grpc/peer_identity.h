// The verified client certificate of a gRPC call, for services that know
// their caller by it (Admin: admin_clients; ES2+: the operator).
//
//   absl::StatusOr<PeerCertificate> peer = GetPeerCertificate(*context);
//   if (!peer.ok()) return ToGrpcStatus(peer.status());  // UNAUTHENTICATED
//   ... peer->common_name ...
//
// A certificate is only "verified" because of how smdpd's listener is built
// (smdp/grpc/tls_credentials.h): the TLS handshake requests a client
// certificate and fails unless a presented one chains to
// grpc_tls.client_ca_files. So whatever certificate the call's auth context
// carries has been verified; on a server whose credentials do not verify
// client certificates, these functions must not be used for authentication.
//
// Thread-safety: the functions are thread-safe.
#ifndef SMDP_SMDP_GRPC_PEER_IDENTITY_H_
#define SMDP_SMDP_GRPC_PEER_IDENTITY_H_

#include <grpcpp/security/auth_context.h>
#include <grpcpp/server_context.h>

#include <string>

#include "absl/status/statusor.h"

namespace smdp {

// The caller's client certificate.
struct PeerCertificate {
  // The leaf certificate, DER.
  std::string der;
  // Its subject's commonName (the one CN of the subject; UTF-8).
  std::string common_name;
};

// The verified client certificate of the call. UNAUTHENTICATED when the call
// came without one (a TLS client that presented none, or a plaintext
// listener), or when its subject does not have exactly one CN.
[[nodiscard]] absl::StatusOr<PeerCertificate> GetPeerCertificate(
    const grpc::ServerContext& context);

// The same from an auth context (what ServerContext::auth_context() gives).
[[nodiscard]] absl::StatusOr<PeerCertificate> GetPeerCertificate(
    const grpc::AuthContext& auth_context);

}  // namespace smdp

#endif  // SMDP_SMDP_GRPC_PEER_IDENTITY_H_
