#include "tests/e2e/smdpd_testing.h"

#include <grpcpp/grpcpp.h>

#include "api/admin.grpc.pb.h"
#include "profiles/preparation/test_subscribers.h"
#include "profiles/saip/template_builder.h"
#include "smdp/grpc/tls_credentials.h"
#include "util/status_macros.h"

namespace smdp::e2e {

namespace ptest = ::smdp::profiles::preparation::testing;

absl::StatusOr<std::vector<std::string>> ImportTestProfiles(
    const std::string& grpc_address, const pki::DevTls& tls,
    absl::string_view operator_id, absl::string_view batch_id, size_t first,
    size_t count) {
  ASSIGN_OR_RETURN(auto channel,
                   CreateGrpcTlsChannel(
                       grpc_address, {.ca_file = tls.ca_cert,
                                      .certificate_chain_file = tls.admin.cert,
                                      .private_key_file = tls.admin.key}));
  auto stub = admin::Admin::NewStub(channel);
  grpc::ClientContext context;
  auto stream = stub->ImportBatch(&context);
  admin::ImportBatchRequest header;
  header.mutable_header()->set_batch_id(std::string(batch_id));
  header.mutable_header()->set_operator_id(std::string(operator_id));
  header.mutable_header()->set_profile_type("consumer");
  ASSIGN_OR_RETURN(std::string upp, profiles::saip::BuildTemplate());
  header.mutable_header()->set_template_upp(upp);
  stream->Write(header);
  std::string csv = ptest::TestCsvHeader();
  std::vector<std::string> iccids;
  for (size_t i = first; i < first + count; ++i) {
    csv += ptest::TestCsvLine(i);
    iccids.push_back(ptest::TestIccid(i));
  }
  admin::ImportBatchRequest chunk;
  chunk.set_csv_chunk(csv);
  stream->Write(chunk);
  stream->WritesDone();
  admin::ImportBatchProgress progress;
  bool committed = false;
  while (stream->Read(&progress)) committed = progress.committed();
  grpc::Status s = stream->Finish();
  if (!s.ok()) return absl::InternalError(s.error_message());
  if (!committed) return absl::InternalError("import not committed");
  return iccids;
}

}  // namespace smdp::e2e
