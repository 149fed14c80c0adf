// Helpers for tests that run smdpd as a library (SmdpServer) in dev mode.
//
//   ASSIGN_OR_RETURN(std::vector<std::string> iccids,
//                    ImportTestProfiles(server->grpc_address(), dev_tls,
//                                       "op1", "b-op1", 0, 12));
#ifndef SMDP_TESTS_E2E_SMDPD_TESTING_H_
#define SMDP_TESTS_E2E_SMDPD_TESTING_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "api/config.pb.h"
#include "smdp/pki/dev_tls.h"

namespace smdp::e2e {

// Imports the test subscribers `first` .. `first + count - 1`
// (profiles/preparation/test_subscribers.h) with the minimal SAIP template
// as batch `batch_id` of `operator_id`, profile type "consumer", through
// smdpd's Admin.ImportBatch with the dev admin certificate of `tls`.
// Returns their ICCIDs once the batch is committed.
[[nodiscard]] absl::StatusOr<std::vector<std::string>> ImportTestProfiles(
    const std::string& grpc_address, const pki::DevTls& tls,
    absl::string_view operator_id, absl::string_view batch_id, size_t first,
    size_t count);

// Puts the GSMA SGP.26 test keys of both curves (in `sgp26_dir`) into the
// dev token of `config` (PrepareDevHsm) and names them, with the SGP.26
// certificates, as the identities "nist" and "brp" of `config`: DPauth and
// DPpb always, DPtls for NIST and, with `brainpool_dptls`, for brainpool
// too. Key labels sgp26-{dpauth,dppb,dptls}-{nist,brp}.
[[nodiscard]] absl::Status ImportSgp26Identities(const std::string& sgp26_dir,
                                                 bool brainpool_dptls,
                                                 config::ServerConfig& config);

}  // namespace smdp::e2e

#endif  // SMDP_TESTS_E2E_SMDPD_TESTING_H_
