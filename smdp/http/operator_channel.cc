#include "smdp/http/operator_channel.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "google/protobuf/util/json_util.h"
#include "smdp/http/gsma_http_client.h"
#include "util/status_macros.h"

namespace smdp::http {
namespace {

using ::smdp::order::OperatorChannel;

constexpr absl::string_view kCallbackPath =
    "/gsma/rsp2/es2plus/handleDownloadProgressInfo";

// HTTPS: one GsmaHttpClient (one kept-alive connection) per calling thread
// would be ideal; a small pool guarded by a mutex is enough for callbacks,
// which one sender thread mostly makes.
class HttpsChannel : public OperatorChannel {
 public:
  HttpsChannel(std::string url, GsmaHttpClientOptions options)
      : url_(std::move(url)), options_(std::move(options)) {}

  absl::Status Deliver(
      const es2plus::HandleDownloadProgressInfoRequest& request) override {
    std::string json;
    google::protobuf::util::JsonPrintOptions print;
    if (!google::protobuf::util::MessageToJsonString(request, &json, print)
             .ok()) {
      return absl::InternalError("cannot print HandleDownloadProgressInfo");
    }
    std::unique_ptr<GsmaHttpClient> client = Take();
    if (client == nullptr) {
      ASSIGN_OR_RETURN(client, GsmaHttpClient::Create(options_));
    }
    absl::StatusOr<GsmaHttpResponse> answer = client->Post(url_, json);
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
  std::unique_ptr<GsmaHttpClient> Take() {
    absl::MutexLock lock(&mu_);
    if (idle_.empty()) return nullptr;
    std::unique_ptr<GsmaHttpClient> c = std::move(idle_.back());
    idle_.pop_back();
    return c;
  }
  void Give(std::unique_ptr<GsmaHttpClient> c) {
    absl::MutexLock lock(&mu_);
    if (idle_.size() < 4) idle_.push_back(std::move(c));
  }

  const std::string url_;
  const GsmaHttpClientOptions options_;
  absl::Mutex mu_;
  std::vector<std::unique_ptr<GsmaHttpClient>> idle_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

absl::StatusOr<std::unique_ptr<OperatorChannel>> MakeHttpsOperatorChannel(
    const order::OperatorEndpoint& endpoint) {
  GsmaHttpClientOptions options;
  options.trust_anchor_files = endpoint.trust_anchor_files;
  if (!endpoint.client_certificate_chain_file.empty()) {
    options.client_certificate_chain_files = {
        endpoint.client_certificate_chain_file};
    options.client_private_key_file = endpoint.client_private_key_file;
  }
  options.user_agent = "smdp";
  options.connect_timeout = endpoint.timeout;
  options.request_timeout = endpoint.timeout;
  // Fails now on a bad file rather than at the first callback.
  RETURN_IF_ERROR(GsmaHttpClient::Create(options).status());
  std::string url = endpoint.url;
  if (!absl::EndsWith(url, kCallbackPath)) {
    while (!url.empty() && url.back() == '/') url.pop_back();
    url.append(kCallbackPath.data(), kCallbackPath.size());
  }
  return std::unique_ptr<OperatorChannel>(
      new HttpsChannel(std::move(url), std::move(options)));
}

}  // namespace smdp::http
