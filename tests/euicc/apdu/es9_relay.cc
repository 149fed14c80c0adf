#include "tests/euicc/apdu/es9_relay.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "util/status_macros.h"

namespace smdp::euicc::apdu {
namespace {

constexpr absl::string_view kHttps = "https://";

// The value of header `name` ("Name: value", case-insensitive name), or "".
std::string HeaderValue(const std::vector<std::string>& headers,
                        absl::string_view name) {
  for (absl::string_view h : headers) {
    const size_t colon = h.find(':');
    if (colon == absl::string_view::npos) continue;
    if (absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(h.substr(0, colon)),
                               name)) {
      return std::string(absl::StripAsciiWhitespace(h.substr(colon + 1)));
    }
  }
  return "";
}

}  // namespace

absl::StatusOr<std::unique_ptr<Es9Relay>> Es9Relay::Create(
    std::string base_url, std::vector<std::string> trust_anchor_files) {
  while (!base_url.empty() && base_url.back() == '/') base_url.pop_back();
  absl::string_view authority = base_url;
  if (!absl::ConsumePrefix(&authority, kHttps) || authority.empty() ||
      absl::StrContains(authority, '/')) {
    return absl::InvalidArgumentError(absl::StrCat(
        "ES9+ relay: \"", base_url, "\" is not https://host[:port]"));
  }
  if (trust_anchor_files.empty()) {
    return absl::InvalidArgumentError(
        "ES9+ relay: no trust anchor (the CI certificate)");
  }
  return std::unique_ptr<Es9Relay>(
      new Es9Relay(std::move(base_url), std::move(trust_anchor_files)));
}

absl::StatusOr<std::string> Es9Relay::Rewrite(absl::string_view url) const {
  if (!absl::ConsumePrefix(&url, kHttps)) {
    return absl::InvalidArgumentError(
        absl::StrCat("ES9+ relay: not an https:// URL: ", url));
  }
  const size_t slash = url.find('/');
  const absl::string_view path =
      slash == absl::string_view::npos ? "/" : url.substr(slash);
  return absl::StrCat(base_url_, path);
}

absl::StatusOr<HttpExchange> Es9Relay::Send(
    absl::string_view url, absl::string_view body,
    const std::vector<std::string>& headers) {
  ASSIGN_OR_RETURN(std::string target, Rewrite(url));
  http::GsmaHttpClientOptions options;
  options.trust_anchor_files = trust_anchor_files_;
  if (std::string v = HeaderValue(headers, "X-Admin-Protocol"); !v.empty()) {
    options.admin_protocol = v;
  }
  if (std::string v = HeaderValue(headers, "User-Agent"); !v.empty()) {
    options.user_agent = v;
  }
  std::unique_ptr<http::GsmaHttpClient>& client =
      clients_[absl::StrCat(options.admin_protocol, "\n", options.user_agent)];
  if (client == nullptr) {
    ASSIGN_OR_RETURN(client, http::GsmaHttpClient::Create(options));
  }
  ASSIGN_OR_RETURN(http::GsmaHttpResponse response, client->Post(target, body));
  return HttpExchange{response.status, std::move(response.body)};
}

}  // namespace smdp::euicc::apdu
