// smdpctl: command-line tool for smdpd operators.
//
//   smdpctl pki init [--config=FILE] [--data_dir=DIR]
//       Makes the development PKI (test CI, DPauth/DPpb/DPtls, EUM, eUICC,
//       both curves) with the SM-DP+ keys generated inside the HSM, exactly
//       as smdpd's dev mode does on first run. Idempotent.
//   smdpctl keys import --label=L --key_file=KEY.pem [--config=FILE]
//       Stores an existing private key (an operator's, or the SGP.26 test
//       keys) in the HSM, sensitive and non-extractable, for identities.
//   smdpctl health [--addr=HOST:PORT]    gRPC health of a running smdpd
//   smdpctl info [--addr=HOST:PORT]      address, version, identities
//   smdpctl profiles import --batch=ID --operator_id=OP --type=TYPE
//       --template_file=UPP.der --csv=SUBSCRIBERS.csv [--no_ppk]
//       [--spn=NAME] [--profile_name=NAME] [--profile_class=operational]
//       [--notification_address=FQDN] [--owner=MCCMNC] [--ppr=ppr1,ppr2]
//       Imports a batch (all or nothing) with a progress bar; run the same
//       command again to resume an interrupted import.
//   smdpctl profiles list [--state=S] [--type=T] [--batch=ID]
//       [--operator_id=OP] [--page_size=N] [--all]
//   smdpctl profiles show ICCID          state, metadata and history
//   smdpctl profiles batch ID            a batch's status
//
// ES2+, as an operator (smdp.es2plus.Es2Plus over gRPC, mutual TLS: smdpd
// knows the operator by its client certificate):
//   smdpctl order [--iccid=X] [--profile_type=T] [--eid=E]
//       DownloadOrder: reserves that profile, or any Available one of the
//       type. Prints the ICCID.
//   smdpctl confirm --iccid=X [--matching_id=M | --empty_matching_id]
//       [--eid=E] [--confirmation_code=C] [--release] [--smdp_oid=OID]
//       [--qr_png=FILE] [--qr_svg=FILE] [--qr_terminal]
//       ConfirmOrder (the SM-DP+ makes the matchingId unless given). Prints
//       "matching_id=M smdp_address=A [eid=E]", then the Activation Code
//       (smdp/order/activation_code.h), "LPA:1$A$M", with "$OID" (from
//       --smdp_oid: smdpd does not publish its OID) and "$1" when a
//       confirmation code was set ("$$1" without an OID), and renders it as
//       a QR code into the files and/or on the terminal.
//   smdpctl release --iccid=X            ReleaseProfile
//   smdpctl cancel --iccid=X --final_status=Available|Unavailable
//       [--eid=E] [--matching_id=M]      CancelOrder
//   smdpctl status --iccid=X
//       The state, order and history of one of the operator's own profiles
//       (smdp.operators.OperatorQuery, an extension of ours: ES2+ has no such
//       function), with the same client certificate as the ES2+ commands.
//       Another operator's ICCID is "unknown ICCID X", as a missing one.
// A function that answers Failed prints
//   smdpctl: <function>: Failed <subject code>/<reason code> <message>
// and exits 1. header.functionRequesterIdentifier is --requester_id, by
// default the operator's name (--operator) when the dev certificate is used.
//
// Every gRPC command connects over TLS:
//   --tls_ca=PEM                 the CA(s) smdpd's gRPC certificate chains to
//   --tls_cert=PEM --tls_key=PEM the client certificate: for Admin calls its
//                                CN must be in smdpd's admin_clients, for
//                                ES2+ and status it must be an operator's
//   --tls_server_name=NAME       when the certificate does not name --addr's
//                                host
// or, with --plaintext, without TLS (smdpd with grpc_plaintext, loopback).
// With none of them, the dev files of <data_dir>/pki/grpc are used when they
// exist (--data_dir, else the --config's, else smdp-data): ca.pem and, as
// the client certificate, clients/smdp-admin.pem (Admin commands) or
// clients/<--operator>.pem (ES2+ and status; default op1, the operator
// dev-mode smdpd makes), so the commands work out of the box against a dev
// smdpd.
//
// Errors print one line on stderr; exit code 1 (2 for usage errors).
//
// This file defines the flags and dispatches; the commands are in smdp/ctl:
// client.h (connection, TLS defaults), admin_commands.h, operator_commands.h,
// pki_commands.h.
#include <grpc/support/log.h>

#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "smdp/ctl/admin_commands.h"
#include "smdp/ctl/client.h"
#include "smdp/ctl/operator_commands.h"
#include "smdp/ctl/pki_commands.h"

ABSL_FLAG(std::string, config, "", "smdpd config file (pki init).");
ABSL_FLAG(std::string, data_dir, "", "Overrides the config's data_dir.");
ABSL_FLAG(std::string, addr, "127.0.0.1:9443", "smdpd's gRPC address.");
ABSL_FLAG(int, timeout_ms, 5000, "Deadline of gRPC calls (not imports).");
ABSL_FLAG(std::string, tls_ca, "",
          "PEM CA(s) of smdpd's gRPC certificate. Default: "
          "<data_dir>/pki/grpc/ca.pem of dev mode, when no --tls_* is given.");
ABSL_FLAG(std::string, tls_cert, "",
          "PEM client certificate (with --tls_key): an admin_clients CN for "
          "Admin calls, an operator's for ES2+ and status. Default: the dev "
          "admin (or --operator) certificate, when no --tls_* is given.");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of --tls_cert.");
ABSL_FLAG(std::string, tls_server_name, "",
          "Name smdpd's certificate must carry, if not --addr's host.");
ABSL_FLAG(bool, plaintext, false,
          "Connect without TLS (smdpd with grpc_plaintext, on loopback).");
ABSL_FLAG(std::string, batch, "", "Batch id (profiles import, list).");
ABSL_FLAG(std::string, operator_id, "", "Operator (profiles import, list).");
ABSL_FLAG(std::string, type, "", "Profile type (profiles import, list).");
ABSL_FLAG(std::string, template_file, "", "SAIP template, DER (import).");
ABSL_FLAG(std::string, csv, "", "Subscriber file (import).");
ABSL_FLAG(bool, no_ppk, false, "Store profiles without PPK protection.");
ABSL_FLAG(std::string, spn, "", "Service provider name (import).");
ABSL_FLAG(std::string, profile_name, "", "Profile name (import).");
ABSL_FLAG(std::string, profile_class, "", "test|provisioning|operational.");
ABSL_FLAG(std::string, notification_address, "", "Install notifications.");
ABSL_FLAG(std::string, owner, "", "Owner MCC+MNC, 5 or 6 digits (import).");
ABSL_FLAG(std::vector<std::string>, ppr, {}, "Policy rules: ppr1,ppr2.");
ABSL_FLAG(std::string, state, "", "State filter (profiles list).");
ABSL_FLAG(int, page_size, 100, "Profiles per page (profiles list).");
ABSL_FLAG(bool, all, false, "List every page (profiles list).");
ABSL_FLAG(std::string, label, "", "Key label in the HSM (keys import).");
ABSL_FLAG(std::string, key_file, "", "Private key, PEM or DER (keys import).");
ABSL_FLAG(std::string, operator, "",
          "ES2+ commands without --tls_*: the dev operator certificate "
          "<data_dir>/pki/grpc/clients/<operator>.pem to use. Default: op1.");
ABSL_FLAG(std::string, requester_id, "",
          "ES2+ header.functionRequesterIdentifier. Default: the --operator "
          "name with the dev certificate, else none.");
ABSL_FLAG(std::string, iccid, "",
          "ICCID (order, confirm, release, cancel, status).");
ABSL_FLAG(std::string, eid, "", "EID, 32 digits (order, confirm, cancel).");
ABSL_FLAG(std::string, profile_type, "", "Profile type (order).");
ABSL_FLAG(std::string, matching_id, "",
          "matchingId (confirm: default, one the SM-DP+ makes; cancel).");
ABSL_FLAG(bool, empty_matching_id, false,
          "confirm: an empty matchingId (no activation code token: the "
          "eUICC is found by its EID, which is then required).");
ABSL_FLAG(std::string, confirmation_code, "",
          "confirm: the code the end user must enter.");
ABSL_FLAG(bool, release, false, "confirm: release the profile at once.");
ABSL_FLAG(std::string, final_status, "", "cancel: Available or Unavailable.");
ABSL_FLAG(std::string, smdp_oid, "",
          "confirm: the SM-DP+ OID to put in the activation code.");
ABSL_FLAG(std::string, qr_png, "", "confirm: write the QR code as PNG here.");
ABSL_FLAG(std::string, qr_svg, "", "confirm: write the QR code as SVG here.");
ABSL_FLAG(bool, qr_terminal, false,
          "confirm: print the QR code with UTF-8 half blocks.");

namespace {

constexpr char kUsage[] =
    "usage: smdpctl pki init [--config=FILE] [--data_dir=DIR]\n"
    "       smdpctl keys import --label=L --key_file=KEY.pem [--config=FILE]\n"
    "       smdpctl health [--addr=HOST:PORT] [TLS]\n"
    "       smdpctl info [--addr=HOST:PORT] [TLS]\n"
    "       smdpctl profiles import --batch=ID --operator_id=OP --type=T "
    "--template_file=UPP.der --csv=FILE [--no_ppk] [--spn=..] "
    "[--profile_name=..]\n"
    "       smdpctl profiles list [--state=S] [--type=T] [--batch=ID] "
    "[--operator_id=OP] [--all]\n"
    "       smdpctl profiles show ICCID\n"
    "       smdpctl profiles batch ID\n"
    "       smdpctl order [--iccid=X] [--profile_type=T] [--eid=E]\n"
    "       smdpctl confirm --iccid=X [--matching_id=M | --empty_matching_id] "
    "[--eid=E] [--confirmation_code=C] [--release] [--smdp_oid=OID] "
    "[--qr_png=FILE] [--qr_svg=FILE] [--qr_terminal]\n"
    "       smdpctl release --iccid=X\n"
    "       smdpctl cancel --iccid=X --final_status=Available|Unavailable "
    "[--eid=E] [--matching_id=M]\n"
    "       smdpctl status --iccid=X\n"
    "TLS (every gRPC command): --tls_ca=PEM [--tls_cert=PEM --tls_key=PEM] "
    "[--tls_server_name=NAME] | --plaintext; none: the dev files of "
    "<data_dir>/pki/grpc (ES2+ and status: the certificate of --operator, "
    "default op1)";

namespace ctl = smdp::ctl;

ctl::HsmOptions HsmFlags() {
  return {.config = absl::GetFlag(FLAGS_config),
          .data_dir = absl::GetFlag(FLAGS_data_dir)};
}

ctl::ConnectionOptions ConnectionFlags() {
  return {.addr = absl::GetFlag(FLAGS_addr),
          .timeout_ms = absl::GetFlag(FLAGS_timeout_ms),
          .tls_ca = absl::GetFlag(FLAGS_tls_ca),
          .tls_cert = absl::GetFlag(FLAGS_tls_cert),
          .tls_key = absl::GetFlag(FLAGS_tls_key),
          .tls_server_name = absl::GetFlag(FLAGS_tls_server_name),
          .plaintext = absl::GetFlag(FLAGS_plaintext),
          .config = absl::GetFlag(FLAGS_config),
          .data_dir = absl::GetFlag(FLAGS_data_dir),
          .operator_name = absl::GetFlag(FLAGS_operator)};
}

ctl::OperatorClient OperatorFlags() {
  return {.connection = ConnectionFlags(),
          .requester_id = absl::GetFlag(FLAGS_requester_id)};
}

ctl::ImportOptions ImportFlags() {
  return {.batch = absl::GetFlag(FLAGS_batch),
          .operator_id = absl::GetFlag(FLAGS_operator_id),
          .type = absl::GetFlag(FLAGS_type),
          .template_file = absl::GetFlag(FLAGS_template_file),
          .csv = absl::GetFlag(FLAGS_csv),
          .no_ppk = absl::GetFlag(FLAGS_no_ppk),
          .spn = absl::GetFlag(FLAGS_spn),
          .profile_name = absl::GetFlag(FLAGS_profile_name),
          .profile_class = absl::GetFlag(FLAGS_profile_class),
          .notification_address = absl::GetFlag(FLAGS_notification_address),
          .owner = absl::GetFlag(FLAGS_owner),
          .ppr = absl::GetFlag(FLAGS_ppr)};
}

ctl::ListOptions ListFlags() {
  return {.state = absl::GetFlag(FLAGS_state),
          .type = absl::GetFlag(FLAGS_type),
          .batch = absl::GetFlag(FLAGS_batch),
          .operator_id = absl::GetFlag(FLAGS_operator_id),
          .page_size = absl::GetFlag(FLAGS_page_size),
          .all = absl::GetFlag(FLAGS_all)};
}

ctl::ConfirmOptions ConfirmFlags() {
  return {.iccid = absl::GetFlag(FLAGS_iccid),
          .eid = absl::GetFlag(FLAGS_eid),
          .matching_id = absl::GetFlag(FLAGS_matching_id),
          .empty_matching_id = absl::GetFlag(FLAGS_empty_matching_id),
          .confirmation_code = absl::GetFlag(FLAGS_confirmation_code),
          .release = absl::GetFlag(FLAGS_release),
          .smdp_oid = absl::GetFlag(FLAGS_smdp_oid),
          .qr_png = absl::GetFlag(FLAGS_qr_png),
          .qr_svg = absl::GetFlag(FLAGS_qr_svg),
          .qr_terminal = absl::GetFlag(FLAGS_qr_terminal)};
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(kUsage);
  // gRPC logs a failed TLS handshake on stderr itself; the call's status
  // says the same, and errors are one line.
  gpr_set_log_function([](gpr_log_func_args*) {});
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  std::vector<std::string> words(args.begin() + 1, args.end());
  if (words == std::vector<std::string>{"pki", "init"}) {
    return ctl::PkiInit(HsmFlags());
  }
  if (words == std::vector<std::string>{"keys", "import"}) {
    return ctl::KeysImport({.hsm = HsmFlags(),
                            .label = absl::GetFlag(FLAGS_label),
                            .key_file = absl::GetFlag(FLAGS_key_file)});
  }
  const ctl::ConnectionOptions connection = ConnectionFlags();
  if (std::string error = ctl::TlsOptionsError(connection); !error.empty()) {
    return ctl::Fail(2, error);
  }
  if (words == std::vector<std::string>{"health"}) {
    return ctl::Health(connection);
  }
  if (words == std::vector<std::string>{"info"}) return ctl::Info(connection);
  if (words == std::vector<std::string>{"order"}) {
    return ctl::Order(OperatorFlags(),
                      {.iccid = absl::GetFlag(FLAGS_iccid),
                       .profile_type = absl::GetFlag(FLAGS_profile_type),
                       .eid = absl::GetFlag(FLAGS_eid)});
  }
  if (words == std::vector<std::string>{"confirm"}) {
    return ctl::Confirm(OperatorFlags(), ConfirmFlags());
  }
  if (words == std::vector<std::string>{"release"}) {
    return ctl::Release(OperatorFlags(), absl::GetFlag(FLAGS_iccid));
  }
  if (words == std::vector<std::string>{"cancel"}) {
    return ctl::Cancel(OperatorFlags(),
                       {.iccid = absl::GetFlag(FLAGS_iccid),
                        .final_status = absl::GetFlag(FLAGS_final_status),
                        .eid = absl::GetFlag(FLAGS_eid),
                        .matching_id = absl::GetFlag(FLAGS_matching_id)});
  }
  if (words == std::vector<std::string>{"status"}) {
    return ctl::ProfileStatus(connection, absl::GetFlag(FLAGS_iccid));
  }
  if (words.size() >= 2 && words[0] == "profiles") {
    if (words[1] == "import" && words.size() == 2) {
      return ctl::ProfilesImport(connection, ImportFlags());
    }
    if (words[1] == "list" && words.size() == 2) {
      return ctl::ProfilesList(connection, ListFlags());
    }
    if (words[1] == "show" && words.size() == 3) {
      return ctl::ProfilesShow(connection, words[2]);
    }
    if (words[1] == "batch" && words.size() == 3) {
      return ctl::ProfilesBatch(connection, words[2]);
    }
  }
  return ctl::Fail(2, words.empty() ? "no command; try smdpctl --help"
                                    : absl::StrCat("unknown command '",
                                                   absl::StrJoin(words, " "),
                                                   "'; try smdpctl --help"));
}
