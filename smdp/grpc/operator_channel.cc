#include "smdp/grpc/operator_channel.h"

#include <grpcpp/grpcpp.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "api/es2plus.grpc.pb.h"
#include "util/file_util.h"
#include "util/status_macros.h"

namespace smdp {
namespace {

using ::smdp::order::OperatorChannel;

class GrpcChannel : public OperatorChannel {
 public:
  GrpcChannel(std::string url, std::shared_ptr<grpc::Channel> channel,
              absl::Duration timeout)
      : url_(std::move(url)),
        stub_(es2plus::Es2PlusOperator::NewStub(std::move(channel))),
        timeout_(timeout) {}

  absl::Status Deliver(
      const es2plus::HandleDownloadProgressInfoRequest& request) override {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + timeout_));
    es2plus::HandleDownloadProgressInfoResponse response;
    grpc::Status s =
        stub_->HandleDownloadProgressInfo(&context, request, &response);
    if (s.ok()) return absl::OkStatus();
    return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                        absl::StrCat(url_, ": ", s.error_message()));
  }

  const std::string& url() const override { return url_; }

 private:
  const std::string url_;
  std::unique_ptr<es2plus::Es2PlusOperator::Stub> stub_;
  const absl::Duration timeout_;
};

absl::StatusOr<std::string> ReadAll(const std::vector<std::string>& files) {
  std::string all;
  for (const std::string& f : files) {
    ASSIGN_OR_RETURN(std::string pem, ReadFile(f));
    all += pem;
    if (!all.empty() && all.back() != '\n') all += '\n';
  }
  return all;
}

}  // namespace

absl::StatusOr<std::unique_ptr<OperatorChannel>> MakeGrpcOperatorChannel(
    const order::OperatorEndpoint& endpoint) {
  absl::string_view target = endpoint.url;
  absl::ConsumePrefix(&target, "grpc://");
  grpc::SslCredentialsOptions ssl;
  ASSIGN_OR_RETURN(ssl.pem_root_certs, ReadAll(endpoint.trust_anchor_files));
  if (!endpoint.client_certificate_chain_file.empty()) {
    ASSIGN_OR_RETURN(ssl.pem_cert_chain,
                     ReadFile(endpoint.client_certificate_chain_file));
    ASSIGN_OR_RETURN(ssl.pem_private_key,
                     ReadFile(endpoint.client_private_key_file));
  }
  auto channel =
      grpc::CreateChannel(std::string(target), grpc::SslCredentials(ssl));
  return std::unique_ptr<OperatorChannel>(
      new GrpcChannel(endpoint.url, std::move(channel), endpoint.timeout));
}

}  // namespace smdp
