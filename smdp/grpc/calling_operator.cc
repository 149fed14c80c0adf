#include "smdp/grpc/calling_operator.h"

#include "absl/strings/str_cat.h"
#include "smdp/grpc/peer_identity.h"

namespace smdp {

absl::StatusOr<const order::Operator*> CallingOperator(
    const grpc::ServerContext& context,
    const order::OperatorRegistry& operators, absl::string_view service) {
  absl::StatusOr<PeerCertificate> peer = GetPeerCertificate(context);
  if (!peer.ok()) {
    return absl::UnauthenticatedError(absl::StrCat(
        service, " needs a TLS client certificate of an operator"));
  }
  absl::StatusOr<const order::Operator*> op = operators.Identify(peer->der);
  if (!op.ok()) return absl::PermissionDeniedError(op.status().message());
  return op;
}

}  // namespace smdp
