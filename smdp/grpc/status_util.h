// absl::Status ↔ grpc::Status: the same code and message, both ways.
#ifndef SMDP_SMDP_GRPC_STATUS_UTIL_H_
#define SMDP_SMDP_GRPC_STATUS_UTIL_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace smdp {

grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace smdp

#endif  // SMDP_SMDP_GRPC_STATUS_UTIL_H_
