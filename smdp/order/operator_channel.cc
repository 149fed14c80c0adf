#include "smdp/order/operator_channel.h"

#include <grpcpp/grpcpp.h>

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "api/es2plus.grpc.pb.h"
#include "google/protobuf/util/json_util.h"
#include "smdp/http/gsma_http_client.h"
#include "util/file_util.h"
#include "util/status_macros.h"

namespace smdp::order {
namespace {

constexpr absl::string_view kCallbackPath =
    "/gsma/rsp2/es2plus/handleDownloadProgressInfo";

// HTTPS: one GsmaHttpClient (one kept-alive connection) per calling thread
// would be ideal; a small pool guarded by a mutex is enough for callbacks,
// which one sender thread mostly makes.
class HttpsChannel : public OperatorChannel {
 public:
  HttpsChannel(std::string url, http::GsmaHttpClientOptions options)
      : url_(std::move(url)), options_(std::move(options)) {}

  absl::Status Deliver(
      const es2plus::HandleDownloadProgressInfoRequest& request) override {
    std::string json;
    google::protobuf::util::JsonPrintOptions print;
    if (!google::protobuf::util::MessageToJsonString(request, &json, print)
             .ok()) {
      return absl::InternalError("cannot print HandleDownloadProgressInfo");
    }
    std::unique_ptr<http::GsmaHttpClient> client = Take();
    if (client == nullptr) {
      ASSIGN_OR_RETURN(client, http::GsmaHttpClient::Create(options_));
    }
    absl::StatusOr<http::GsmaHttpResponse> answer = client->Post(url_, json);
    if (!answer.ok()) {
      return absl::Status(answer.status().code(),
                          absl::StrCat(url_, ": ", answer.status().message()));
    }
    Give(std::move(client));
    if (answer->status != 204 && answer->status != 200) {
      return absl::FailedPreconditionError(
          absl::StrCat(url_, " answered HTTP ", answer->status));
    }
    return absl::OkStatus();
  }

  const std::string& url() const override { return url_; }

 private:
  std::unique_ptr<http::GsmaHttpClient> Take() {
    absl::MutexLock lock(&mu_);
    if (idle_.empty()) return nullptr;
    std::unique_ptr<http::GsmaHttpClient> c = std::move(idle_.back());
    idle_.pop_back();
    return c;
  }
  void Give(std::unique_ptr<http::GsmaHttpClient> c) {
    absl::MutexLock lock(&mu_);
    if (idle_.size() < 4) idle_.push_back(std::move(c));
  }

  const std::string url_;
  const http::GsmaHttpClientOptions options_;
  absl::Mutex mu_;
  std::vector<std::unique_ptr<http::GsmaHttpClient>> idle_ ABSL_GUARDED_BY(mu_);
};

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

absl::StatusOr<std::unique_ptr<OperatorChannel>> MakeOperatorChannel(
    const OperatorEndpoint& endpoint) {
  const bool has_cert = !endpoint.client_certificate_chain_file.empty();
  const bool has_key = !endpoint.client_private_key_file.empty();
  if (has_cert != has_key) {
    return absl::InvalidArgumentError(
        "callback: client_certificate_chain_file and client_private_key_file "
        "go together");
  }
  if (!has_cert && !endpoint.allow_without_client_certificate) {
    return absl::InvalidArgumentError(absl::StrCat(
        "callback ", endpoint.url,
        ": ES2+ needs mutual TLS: set the SM-DP+ client certificate and key"));
  }
  if (endpoint.trust_anchor_files.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("callback ", endpoint.url, ": no trust anchor files"));
  }
  if (absl::StartsWith(endpoint.url, "https://")) {
    http::GsmaHttpClientOptions options;
    options.trust_anchor_files = endpoint.trust_anchor_files;
    if (has_cert) {
      options.client_certificate_chain_files = {
          endpoint.client_certificate_chain_file};
      options.client_private_key_file = endpoint.client_private_key_file;
    }
    options.user_agent = "smdp";
    options.connect_timeout = endpoint.timeout;
    options.request_timeout = endpoint.timeout;
    // Fails now on a bad file rather than at the first callback.
    RETURN_IF_ERROR(http::GsmaHttpClient::Create(options).status());
    std::string url = endpoint.url;
    if (!absl::EndsWith(url, kCallbackPath)) {
      while (!url.empty() && url.back() == '/') url.pop_back();
      url.append(kCallbackPath.data(), kCallbackPath.size());
    }
    return std::unique_ptr<OperatorChannel>(
        new HttpsChannel(std::move(url), std::move(options)));
  }
  if (absl::StartsWith(endpoint.url, "grpc://")) {
    const std::string target = endpoint.url.substr(7);
    grpc::SslCredentialsOptions ssl;
    ASSIGN_OR_RETURN(ssl.pem_root_certs, ReadAll(endpoint.trust_anchor_files));
    if (has_cert) {
      ASSIGN_OR_RETURN(ssl.pem_cert_chain,
                       ReadFile(endpoint.client_certificate_chain_file));
      ASSIGN_OR_RETURN(ssl.pem_private_key,
                       ReadFile(endpoint.client_private_key_file));
    }
    auto channel = grpc::CreateChannel(target, grpc::SslCredentials(ssl));
    return std::unique_ptr<OperatorChannel>(
        new GrpcChannel(endpoint.url, std::move(channel), endpoint.timeout));
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "callback URL '", endpoint.url, "' must start with https:// or grpc://"));
}

}  // namespace smdp::order
