// smdpctl's connection to a running smdpd: the options of every gRPC
// command (address, deadline, TLS files or the dev-mode defaults) and the
// one-line error printing all commands share.
//
// Every gRPC command connects over TLS:
//   tls_ca                   the CA(s) smdpd's gRPC certificate chains to
//   tls_cert, tls_key        the client certificate: for Admin calls its CN
//                            must be in smdpd's admin_clients, for ES2+ and
//                            status it must be an operator's
//   tls_server_name          when the certificate does not name addr's host
// or, with plaintext, without TLS (smdpd with grpc_plaintext, loopback).
// With none of them, the dev files of <data_dir>/pki/grpc are used when they
// exist (data_dir, else the config's, else smdp-data): ca.pem and, as the
// client certificate, clients/smdp-admin.pem (Caller::kAdmin) or
// clients/<operator_name>.pem (Caller::kOperator; default op1, the operator
// dev-mode smdpd makes), so the commands work out of the box against a dev
// smdpd.
#ifndef SMDP_CTL_CLIENT_H_
#define SMDP_CTL_CLIENT_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace smdp::ctl {

// Prints "smdpctl: <message>" on stderr, on one line (newlines, as in a
// gRPC TLS failure, become spaces), and returns `code`: smdpctl's exit code,
// 1 for errors, 2 for usage errors.
int Fail(int code, absl::string_view message);

// How a gRPC command reaches smdpd (the flags of the same names).
struct ConnectionOptions {
  std::string addr = "127.0.0.1:9443";  // smdpd's gRPC address
  int timeout_ms = 5000;                // deadline of calls (not imports)
  std::string tls_ca;
  std::string tls_cert;
  std::string tls_key;
  std::string tls_server_name;
  bool plaintext = false;
  // Where the dev TLS files are: data_dir, else the config file's data_dir,
  // else smdp-data.
  std::string config;
  std::string data_dir;
  // --operator: the dev operator certificate for Caller::kOperator; empty
  // for op1. Only without TLS files and plaintext.
  std::string operator_name;
};

// The usage error of a contradictory or incomplete set of TLS options
// (plaintext with tls_*, tls_cert without tls_key or tls_ca, operator_name
// with tls_* or plaintext or not a certificate name); empty when they are
// fine.
std::string TlsOptionsError(const ConnectionOptions& options);

// The operator whose dev certificate ES2+ commands use: operator_name, or
// op1.
std::string DevOperator(const ConnectionOptions& options);

// True when the dev files are the TLS files (no tls_ca, not plaintext).
bool UsesDevCertificate(const ConnectionOptions& options);

// Who a command calls smdpd as, when the dev files are used.
enum class Caller { kAdmin, kOperator };

// A channel to options.addr: TLS with the tls_* files (or the dev files,
// with the client certificate of `caller`), or plaintext. Fails
// (FailedPrecondition) when the dev files needed do not exist.
absl::StatusOr<std::shared_ptr<grpc::Channel>> Connect(
    const ConnectionOptions& options, Caller caller = Caller::kAdmin);

// Sets the deadline of a call: options.timeout_ms from now.
void SetDeadline(const ConnectionOptions& options,
                 grpc::ClientContext& context);

}  // namespace smdp::ctl

#endif  // SMDP_CTL_CLIENT_H_
