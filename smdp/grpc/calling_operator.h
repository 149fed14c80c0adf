// The ES2+ operator a gRPC call comes from, for the services operators call
// (Es2Plus, OperatorQuery): the verified TLS client certificate
// (peer_identity.h) looked up in the OperatorRegistry.
//
//   ASSIGN_OR_RETURN(const order::Operator* op,
//                    CallingOperator(*context, operators, "ES2+"));
//
// Thread-safety: thread-safe.
#ifndef SMDP_SMDP_GRPC_CALLING_OPERATOR_H_
#define SMDP_SMDP_GRPC_CALLING_OPERATOR_H_

#include <grpcpp/server_context.h>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "smdp/order/operator_registry.h"

namespace smdp {

// The calling operator. Unauthenticated ("<service> needs a TLS client
// certificate of an operator") for a call without a client certificate;
// PermissionDenied (naming the certificate's subject) for one that is no
// operator's.
[[nodiscard]] absl::StatusOr<const order::Operator*> CallingOperator(
    const grpc::ServerContext& context,
    const order::OperatorRegistry& operators, absl::string_view service);

}  // namespace smdp

#endif  // SMDP_SMDP_GRPC_CALLING_OPERATOR_H_
