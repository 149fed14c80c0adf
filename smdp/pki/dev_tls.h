// The development TLS material of smdpd's gRPC listener: what dev mode uses
// when the config has no grpc_tls, made once and reused.
//
//   ASSIGN_OR_RETURN(DevTls tls, EnsureDevTls({.dir = DevTlsDir(data_dir),
//                                              .smdp_address = "localhost"}));
//   // tls.server_chain / tls.server_key for the server, tls.client_ca_cert
//   // as the CA of client certificates, tls.ca_cert for clients to trust,
//   // tls.admin.cert / tls.admin.key for smdpctl.
//   ASSIGN_OR_RETURN(DevTlsClient op1,
//                    IssueDevClientCertificate(tls.dir, "op1"));
//
// Two small CAs, so that a client certificate can never pass as a server
// certificate and the other way round. Files in `dir` (all PEM; keys are
// unencrypted PKCS#8, mode 0600; `dir` itself mode 0700):
//   ca.pem, ca.key.pem          the dev TLS CA: clients trust ca.pem.
//   server.pem, server.key.pem  the gRPC server certificate (then ca.pem):
//                               CN = smdp_address, SAN dNSName "localhost"
//                               and smdp_address, iPAddress 127.0.0.1 and
//                               ::1, EKU serverAuth. A software EC P-256
//                               key: gRPC cannot use a key in the HSM.
//   client-ca.pem, client-ca.key.pem
//                               the CA of client certificates (smdpd's
//                               grpc_tls.client_ca_files).
//   clients/<CN>.pem, clients/<CN>.key.pem
//                               client certificates, EKU clientAuth, subject
//                               CN = <CN>: "smdp-admin" (the dev admin, in
//                               dev mode's admin_clients) and any that
//                               IssueDevClientCertificate() adds (ES2+
//                               operators "op1", ...).
//   manifest.txt                written last: a DevTls is complete exactly
//                               when it exists. `key = value` lines: format,
//                               smdp_address, created.
//
// Idempotence: without a manifest, EnsureDevTls makes everything anew
// (overwriting leftovers of an interrupted run). With one it loads and
// checks the files (each parses, is signed by its CA, matches its key); if
// smdp_address changed it issues a new server certificate under the same CA
// (clients keep trusting ca.pem).
//
// Thread-safety: not safe to run concurrently on one `dir` (from threads or
// processes); smdpd runs it once at start-up.
#ifndef SMDP_SMDP_PKI_DEV_TLS_H_
#define SMDP_SMDP_PKI_DEV_TLS_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace smdp::pki {

// The CN of the dev admin client certificate.
inline constexpr absl::string_view kDevAdminCommonName = "smdp-admin";

// Where smdpd keeps the dev TLS material: <data_dir>/pki/grpc.
std::string DevTlsDir(absl::string_view data_dir);

// Options of EnsureDevTls().
struct DevTlsOptions {
  // Directory of the material. Required. Created (mode 0700, with missing
  // parents) if missing.
  std::string dir;
  // The SM-DP+ address: CN and a dNSName of the server certificate.
  std::string smdp_address = "localhost";
  // Validity of the two CAs, and of the other certificates.
  absl::Duration ca_validity = absl::Hours(24 * 365 * 30);
  absl::Duration validity = absl::Hours(24 * 365 * 10);
  // The current time; unset: absl::Now(). notBefore is one day before it.
  std::optional<absl::Time> now;
};

// A client certificate's files.
struct DevTlsClient {
  std::string common_name;
  std::string cert;  // <dir>/clients/<CN>.pem: the certificate alone.
  std::string key;   // <dir>/clients/<CN>.key.pem
};

// The dev TLS material: file paths. See the file comment.
struct DevTls {
  std::string dir;
  std::string manifest;
  std::string ca_cert;
  std::string ca_key;
  std::string server_chain;
  std::string server_key;
  std::string client_ca_cert;
  std::string client_ca_key;
  DevTlsClient admin;  // CN kDevAdminCommonName.
  // True when this call made the material, false when it loaded it.
  bool created = false;
};

// The paths of the material in `dir`, without touching the file system
// (for clients such as smdpctl that only look for the files).
DevTls DevTlsLayout(absl::string_view dir);
DevTlsClient DevTlsClientLayout(absl::string_view dir,
                                absl::string_view common_name);

// Makes the material in `options.dir` on the first call and loads it on
// later ones (see the file comment). Errors: InvalidArgument for bad
// options; FailedPrecondition when a listed file is missing or damaged (the
// message names it and says to delete `dir`); others from the file system.
[[nodiscard]] absl::StatusOr<DevTls> EnsureDevTls(const DevTlsOptions& options);

// A client certificate with subject CN `common_name`, issued by the dev
// client CA of `dir` (EnsureDevTls must have made it), for a client that
// smdpd then authenticates by that CN (admin_clients, ES2+ operators).
// Reuses clients/<CN>.pem if it exists, is issued by this client CA and
// matches its key; issues a new one otherwise. `common_name` is 1 to 64 of
// [A-Za-z0-9._-], not starting with '.' (it names files): InvalidArgument
// otherwise. `now` as in DevTlsOptions.
[[nodiscard]] absl::StatusOr<DevTlsClient> IssueDevClientCertificate(
    absl::string_view dir, absl::string_view common_name,
    std::optional<absl::Time> now = std::nullopt);

}  // namespace smdp::pki

#endif  // SMDP_SMDP_PKI_DEV_TLS_H_
