// The ES9+ gRPC service (api/es9plus.proto): each rpc calls the
// transport-independent DownloadService. GSMA refusals are normal answers
// (header.functionExecutionStatus "Failed" with subject/reason codes); only
// a failure of the server itself (store, HSM) becomes a gRPC error status.
//
// Thread-safety: gRPC calls it from many threads; `service` must outlive it.
#ifndef SMDP_SMDP_GRPC_ES9PLUS_SERVICE_H_
#define SMDP_SMDP_GRPC_ES9PLUS_SERVICE_H_

#include "api/es9plus.grpc.pb.h"
#include "smdp/download/download_service.h"

namespace smdp {

class Es9PlusGrpcService final : public es9plus::Es9Plus::Service {
 public:
  explicit Es9PlusGrpcService(download::DownloadService& service)
      : service_(service) {}

  grpc::Status InitiateAuthentication(
      grpc::ServerContext* context,
      const es9plus::InitiateAuthenticationRequest* request,
      es9plus::InitiateAuthenticationResponse* response) override;
  grpc::Status AuthenticateClient(
      grpc::ServerContext* context,
      const es9plus::AuthenticateClientRequest* request,
      es9plus::AuthenticateClientResponse* response) override;
  grpc::Status GetBoundProfilePackage(
      grpc::ServerContext* context,
      const es9plus::GetBoundProfilePackageRequest* request,
      es9plus::GetBoundProfilePackageResponse* response) override;
  grpc::Status HandleNotification(
      grpc::ServerContext* context,
      const es9plus::HandleNotificationRequest* request,
      es9plus::HandleNotificationResponse* response) override;
  grpc::Status CancelSession(grpc::ServerContext* context,
                             const es9plus::CancelSessionRequest* request,
                             es9plus::CancelSessionResponse* response) override;

 private:
  download::DownloadService& service_;
};

}  // namespace smdp

#endif  // SMDP_SMDP_GRPC_ES9PLUS_SERVICE_H_
