// Loading, defaulting and validating smdpd's configuration (api/config.proto).
//
//   ASSIGN_OR_RETURN(config::ServerConfig cfg, LoadConfigFile(path));
//   ApplyDefaults(cfg, /*from_file=*/true);
//   RETURN_IF_ERROR(ValidateConfig(cfg));
//
// Every error message is one line naming the file and/or the field, for
// example `config field hsm.session_pool_size: 100000 is above 4096`.
#ifndef SMDP_SMDP_CONFIG_CONFIG_H_
#define SMDP_SMDP_CONFIG_CONFIG_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "api/config.pb.h"

namespace smdp {

// Defaults of the fields of api/config.proto.
inline constexpr absl::string_view kDefaultDataDir = "smdp-data";
inline constexpr absl::string_view kDefaultSmdpAddress = "localhost";
inline constexpr absl::string_view kDefaultSmdpOid = "2.999.10";
inline constexpr absl::string_view kDefaultGrpcListen = "127.0.0.1:9443";
inline constexpr absl::string_view kDefaultEs9HttpsListen = "127.0.0.1:8443";
inline constexpr absl::string_view kDefaultEs2HttpsListen = "127.0.0.1:8444";
inline constexpr absl::string_view kDefaultLogLevel = "info";
inline constexpr absl::string_view kDefaultPkcs11Module =
    "/usr/lib/softhsm/libsofthsm2.so";
inline constexpr absl::string_view kDefaultTokenLabel = "smdp";
inline constexpr absl::string_view kDefaultPinEnv = "SMDP_HSM_PIN";
inline constexpr absl::string_view kDefaultKekLabel = "kek";
// admin_clients in dev mode: the CN of the dev admin client certificate.
inline constexpr absl::string_view kDevAdminClient = "smdp-admin";

// Reads a config file: textproto (.textproto, .txtpb, .pb.txt, .cfg) or JSON
// (.json). Unknown fields are errors (a typo must not silently fall back to
// a default). InvalidArgument names the file, line and column.
[[nodiscard]] absl::StatusOr<config::ServerConfig> LoadConfigFile(
    const std::string& path);

// Parses config text in the given format ("textproto" or "json").
[[nodiscard]] absl::StatusOr<config::ServerConfig> ParseConfig(
    absl::string_view text, absl::string_view format,
    absl::string_view source_name);

// Fills every empty field with its default. `from_file` decides dev_mode's
// default: true without a config file, false with one.
void ApplyDefaults(config::ServerConfig& config, bool from_file);

// Checks a defaulted config. InvalidArgument naming the first bad field.
[[nodiscard]] absl::Status ValidateConfig(const config::ServerConfig& config);

// The ES9+ HTTPS listeners of a defaulted config: `es9_https`, or else the
// one `es9_https_listen` and `tls_identity` describe (none when "off").
std::vector<config::Es9HttpsListener> Es9HttpsListeners(
    const config::ServerConfig& config);

// Splits "host:port" / "[v6]:port". InvalidArgument when malformed.
[[nodiscard]] absl::Status ParseHostPort(absl::string_view address,
                                         std::string* host, int* port);

// True for "localhost", an IPv4 address in 127.0.0.0/8 and "::1" (a host as
// ParseHostPort returns it, without brackets).
bool IsLoopbackHost(absl::string_view host);

}  // namespace smdp

#endif  // SMDP_SMDP_CONFIG_CONFIG_H_
