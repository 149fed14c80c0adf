// The OperatorQuery gRPC service (api/operator.proto, not GSMA): an
// operator reads the state, order and audit history of its own profiles.
// Like ES2+ (smdp/grpc/es2plus_service.h), each call's operator is the one
// its verified TLS client certificate names:
//   UNAUTHENTICATED    a call without a client certificate
//   PERMISSION_DENIED  a certificate that is no operator's
//   INVALID_ARGUMENT   a malformed ICCID
//   NOT_FOUND          "unknown ICCID <iccid>", for an ICCID the SM-DP+ does
//                      not have and, identically, for another operator's
//   INTERNAL (or the store's code) for a failure of the server itself.
// Never answers secrets (no confirmation code hash, keys or content).
//
// Only for a listener whose TLS credentials verify client certificates
// (smdp/grpc/peer_identity.h).
//
// Thread-safety: gRPC calls it from many threads; `store` and `operators`
// must outlive it.
#ifndef SMDP_SMDP_GRPC_OPERATOR_QUERY_SERVICE_H_
#define SMDP_SMDP_GRPC_OPERATOR_QUERY_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include "api/operator.grpc.pb.h"
#include "profiles/profile_store.h"
#include "smdp/order/operator_registry.h"

namespace smdp {

class OperatorQueryGrpcService final
    : public operators::OperatorQuery::Service {
 public:
  OperatorQueryGrpcService(profiles::ProfileStore& store,
                           const order::OperatorRegistry& operators)
      : store_(store), operators_(operators) {}

  grpc::Status GetProfileStatus(
      grpc::ServerContext* context,
      const operators::GetProfileStatusRequest* request,
      operators::GetProfileStatusResponse* response) override;

 private:
  profiles::ProfileStore& store_;
  const order::OperatorRegistry& operators_;
};

}  // namespace smdp

#endif  // SMDP_SMDP_GRPC_OPERATOR_QUERY_SERVICE_H_
