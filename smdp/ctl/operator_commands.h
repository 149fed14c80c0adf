// smdpctl's ES2+ commands, as an operator: smdp.es2plus.Es2Plus over gRPC
// with the connection of ctl/client.h, where smdpd knows the operator by its
// client certificate (dev files: clients/<--operator>.pem, default op1), and
// `status` (smdp.operators.OperatorQuery, an extension of ours: ES2+ has no
// such function) with the same certificate.
//
// Exit codes: 0; 2 on usage errors (a missing --iccid, ...), checked before
// anything is sent; 1 on errors: the connection, a gRPC error
//   smdpctl: <function>: <canonical code>: <message>
// (no or a foreign client certificate, ...), or a function that answers
// Failed
//   smdpctl: <function>: Failed <subject code>/<reason code> <message>
// each one line on stderr (ctl::Fail). An Executed-WithWarning answer prints
//   smdpctl: <function>: Executed-WithWarning <subject>/<reason> <message>
// on stderr and counts as success.
#ifndef SMDP_CTL_OPERATOR_COMMANDS_H_
#define SMDP_CTL_OPERATOR_COMMANDS_H_

#include <string>

#include "smdp/ctl/client.h"

namespace smdp::ctl {

// How the ES2+ commands call smdpd.
struct OperatorClient {
  ConnectionOptions connection;
  // header.functionRequesterIdentifier; empty: the operator's name
  // (DevOperator) when the dev certificate is used, else none.
  std::string requester_id;
};

struct OrderOptions {
  std::string iccid;
  std::string profile_type;
  std::string eid;
};

// smdpctl order [--iccid=X] [--profile_type=T] [--eid=E]
// DownloadOrder: reserves that profile, or any Available one of the type
// (usage error without either). Prints the ICCID.
int Order(const OperatorClient& client, const OrderOptions& options);

struct ConfirmOptions {
  std::string iccid;
  std::string eid;
  std::string matching_id;         // empty: the SM-DP+ makes one
  bool empty_matching_id = false;  // an empty matchingId instead
  std::string confirmation_code;
  bool release = false;
  std::string smdp_oid;  // for the activation code only
  std::string qr_png;    // files to write the QR code to, when set
  std::string qr_svg;
  bool qr_terminal = false;  // print it with UTF-8 half blocks
};

// smdpctl confirm --iccid=X [--matching_id=M | --empty_matching_id]
//     [--eid=E] [--confirmation_code=C] [--release] [--smdp_oid=OID]
//     [--qr_png=FILE] [--qr_svg=FILE] [--qr_terminal]
// ConfirmOrder. matching_id and smdp_oid are checked (usage errors) before
// the order is confirmed, so a confirmed order always gets its activation
// code. Prints "matching_id=M smdp_address=A [eid=E]", then the Activation
// Code (smdp/order/activation_code.h), "LPA:1$A$M", with "$OID" (smdpd does
// not publish its OID) and "$1" when a confirmation code was set ("$$1"
// without an OID), and renders it as a QR code into the files and/or on the
// terminal (a file that cannot be written is "--qr_png: <error>").
int Confirm(const OperatorClient& client, const ConfirmOptions& options);

// smdpctl release --iccid=X
// ReleaseProfile. Prints "released <ICCID>".
int Release(const OperatorClient& client, const std::string& iccid);

struct CancelOptions {
  std::string iccid;
  std::string final_status;  // Available or Unavailable
  std::string eid;
  std::string matching_id;
};

// smdpctl cancel --iccid=X --final_status=Available|Unavailable [--eid=E]
//     [--matching_id=M]
// CancelOrder. Prints "cancelled <ICCID>: <final status>".
int Cancel(const OperatorClient& client, const CancelOptions& options);

// smdpctl status --iccid=X
// The state, order and history of one of the operator's own profiles
// (OperatorQuery.GetProfileStatus), printed as `profiles show` prints them
// without the admin's fields. Another operator's ICCID is "unknown ICCID X",
// as a missing one.
int ProfileStatus(const ConnectionOptions& connection,
                  const std::string& iccid);

}  // namespace smdp::ctl

#endif  // SMDP_CTL_OPERATOR_COMMANDS_H_
