#include "smdp/grpc/es9plus_service.h"

#include "smdp/grpc/status_util.h"

namespace smdp {
namespace {

template <typename Response>
grpc::Status Answer(absl::StatusOr<Response> result, Response* response) {
  if (!result.ok()) return ToGrpcStatus(result.status());
  *response = *std::move(result);
  return grpc::Status::OK;
}

}  // namespace

grpc::Status Es9PlusGrpcService::InitiateAuthentication(
    grpc::ServerContext*, const es9plus::InitiateAuthenticationRequest* request,
    es9plus::InitiateAuthenticationResponse* response) {
  return Answer(service_.InitiateAuthentication(*request), response);
}

grpc::Status Es9PlusGrpcService::AuthenticateClient(
    grpc::ServerContext*, const es9plus::AuthenticateClientRequest* request,
    es9plus::AuthenticateClientResponse* response) {
  return Answer(service_.AuthenticateClient(*request), response);
}

grpc::Status Es9PlusGrpcService::GetBoundProfilePackage(
    grpc::ServerContext*, const es9plus::GetBoundProfilePackageRequest* request,
    es9plus::GetBoundProfilePackageResponse* response) {
  return Answer(service_.GetBoundProfilePackage(*request), response);
}

grpc::Status Es9PlusGrpcService::HandleNotification(
    grpc::ServerContext*, const es9plus::HandleNotificationRequest* request,
    es9plus::HandleNotificationResponse* response) {
  return Answer(service_.HandleNotification(*request), response);
}

grpc::Status Es9PlusGrpcService::CancelSession(
    grpc::ServerContext*, const es9plus::CancelSessionRequest* request,
    es9plus::CancelSessionResponse* response) {
  return Answer(service_.CancelSession(*request), response);
}

}  // namespace smdp
