// The Admin gRPC service (api/admin.proto): server information, batch
// import, listing and inspecting profiles. Never returns secrets.
//
// Every call is first checked against an AdminAccess: on smdpd's TLS
// listener the caller needs a verified client certificate whose CN is in
// admin_clients (smdp/grpc/peer_identity.h); on a plaintext listener, which
// the config only allows on loopback, every caller is let in.
//
// Thread-safety: gRPC calls the methods from many threads; the service holds
// references to the store and importer, which must outlive it.
#ifndef SMDP_SMDP_ADMIN_ADMIN_SERVICE_H_
#define SMDP_SMDP_ADMIN_ADMIN_SERVICE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "api/admin.grpc.pb.h"
#include "profiles/import/batch_importer.h"
#include "profiles/profile_store.h"

namespace smdp {

// The admin API's metadata as the store keeps it. InvalidArgument naming
// the field when a value is out of SGP.22 bounds.
[[nodiscard]] absl::StatusOr<store::ProfileMetadata> MetadataFromAdmin(
    const admin::ProfileMetadata& metadata);

// Who may call the Admin service.
struct AdminAccess {
  // Subject CNs of the verified client certificates allowed in (the
  // config's admin_clients).
  std::vector<std::string> client_common_names;
  // Let every caller in, with or without a certificate. Only for a plaintext
  // listener on loopback (grpc_plaintext): there are no TLS identities, and
  // whoever reaches the port is on this host already.
  bool allow_all = false;
};

// OK when the caller of `context` may use the Admin service under `access`.
// UNAUTHENTICATED without a verified client certificate; PERMISSION_DENIED
// for a verified one whose CN is not listed.
grpc::Status CheckAdminCaller(const grpc::ServerContext& context,
                              const AdminAccess& access);

class AdminService final : public admin::Admin::Service {
 public:
  AdminService(admin::GetServerInfoResponse info, profiles::ProfileStore& store,
               profiles::BatchImporter& importer, AdminAccess access);

  grpc::Status GetServerInfo(grpc::ServerContext* context,
                             const admin::GetServerInfoRequest* request,
                             admin::GetServerInfoResponse* response) override;
  grpc::Status ImportBatch(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<admin::ImportBatchProgress,
                               admin::ImportBatchRequest>* stream) override;
  grpc::Status ListProfiles(grpc::ServerContext* context,
                            const admin::ListProfilesRequest* request,
                            admin::ListProfilesResponse* response) override;
  grpc::Status GetProfile(grpc::ServerContext* context,
                          const admin::GetProfileRequest* request,
                          admin::GetProfileResponse* response) override;
  grpc::Status GetBatch(grpc::ServerContext* context,
                        const admin::GetBatchRequest* request,
                        admin::BatchStatus* response) override;

 private:
  const admin::GetServerInfoResponse info_;
  const AdminAccess access_;
  profiles::ProfileStore& store_;
  profiles::BatchImporter& importer_;
};

}  // namespace smdp

#endif  // SMDP_SMDP_ADMIN_ADMIN_SERVICE_H_
