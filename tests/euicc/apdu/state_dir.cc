#include "tests/euicc/apdu/state_dir.h"

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "util/file_util.h"
#include "util/status_macros.h"

namespace smdp::euicc::apdu {
namespace {

std::string PathIn(const std::string& dir, absl::string_view name) {
  return absl::StrCat(dir, "/", name);
}

}  // namespace

absl::StatusOr<std::unique_ptr<SoftwareEuicc>> LoadEuiccFromDir(
    const std::string& dir, std::optional<absl::Time> now) {
  SoftwareEuiccConfig config;
  absl::StatusOr<std::string> cert = ReadFile(PathIn(dir, "euicc.der"));
  if (!cert.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        dir, " holds no eUICC: run euicc_cli --state=", dir, " init first"));
  }
  config.euicc_certificate = *std::move(cert);
  ASSIGN_OR_RETURN(config.euicc_private_key_pem,
                   ReadFile(PathIn(dir, "euicc.key.pem")));
  ASSIGN_OR_RETURN(config.eum_certificate, ReadFile(PathIn(dir, "eum.der")));
  ASSIGN_OR_RETURN(std::string eid, ReadFile(PathIn(dir, "eid.txt")));
  config.eid = std::string(absl::StripAsciiWhitespace(eid));
  for (int i = 0;; ++i) {
    absl::StatusOr<std::string> ci =
        ReadFile(PathIn(dir, absl::StrCat("ci-", i, ".der")));
    if (!ci.ok()) break;
    config.ci_certificates.push_back(*std::move(ci));
  }
  if (now) config.clock = FixedClock(*now);
  ASSIGN_OR_RETURN(std::unique_ptr<SoftwareEuicc> euicc,
                   SoftwareEuicc::Create(std::move(config)));
  absl::StatusOr<std::string> state = ReadFile(PathIn(dir, "state.txt"));
  if (state.ok()) RETURN_IF_ERROR(euicc->RestoreState(*state));
  return euicc;
}

absl::Status SaveEuiccToDir(const std::string& dir,
                            const SoftwareEuicc& euicc) {
  return WriteFileAtomically(PathIn(dir, "state.txt"), euicc.SaveState(), 0600);
}

absl::Status LoadCardFromDir(const std::string& dir, EuiccApduCard& card) {
  absl::StatusOr<std::string> text = ReadFile(PathIn(dir, "card.txt"));
  if (absl::IsNotFound(text.status())) return absl::OkStatus();
  if (!text.ok()) return text.status();
  return card.RestoreState(*text);
}

absl::Status SaveCardToDir(const std::string& dir, const EuiccApduCard& card) {
  return WriteFileAtomically(PathIn(dir, "card.txt"), card.SaveState(), 0600);
}

}  // namespace smdp::euicc::apdu
