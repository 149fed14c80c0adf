#include "smdp/ctl/operator_commands.h"

#include <unistd.h>

#include <iostream>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "api/es2plus.grpc.pb.h"
#include "api/es9plus.pb.h"
#include "api/operator.grpc.pb.h"
#include "smdp/grpc/status_util.h"
#include "smdp/order/activation_code.h"
#include "smdp/order/qr_code.h"
#include "util/file_util.h"
#include "util/status_macros.h"

namespace smdp::ctl {
namespace {

// The request header: the requester (--requester_id, or the dev operator's
// name) and a call identifier unique enough for the audit trail.
smdp::es9plus::RequestHeader Es2Header(const OperatorClient& client) {
  smdp::es9plus::RequestHeader header;
  std::string requester = client.requester_id;
  if (requester.empty() && UsesDevCertificate(client.connection)) {
    requester = DevOperator(client.connection);
  }
  header.set_function_requester_identifier(requester);
  header.set_function_call_identifier(
      absl::StrCat("smdpctl-", getpid(), "-", absl::ToUnixMicros(absl::Now())));
  return header;
}

// 0 when `function` executed; otherwise prints why in one line and returns
// 1: the gRPC error (no or a foreign client certificate, ...), or the GSMA
// status of a Failed answer.
int Es2Outcome(absl::string_view function, const grpc::Status& status,
               const smdp::es9plus::ResponseHeader& header) {
  if (!status.ok()) {
    absl::Status error = smdp::FromGrpcStatus(status);
    return Fail(
        1, absl::StrCat(function, ": ", absl::StatusCodeToString(error.code()),
                        ": ", error.message()));
  }
  const smdp::es9plus::FunctionExecutionStatus& execution =
      header.function_execution_status();
  const smdp::es9plus::StatusCodeData& data = execution.status_code_data();
  std::string codes =
      absl::StrCat(data.subject_code(), "/", data.reason_code(),
                   data.message().empty() ? "" : " ", data.message());
  if (execution.status() == "Executed-Success") return 0;
  if (execution.status() == "Executed-WithWarning") {
    std::cerr << "smdpctl: " << function << ": Executed-WithWarning " << codes
              << std::endl;
    return 0;
  }
  return Fail(1, absl::StrCat(function, ": ",
                              execution.status().empty() ? "no status"
                                                         : execution.status(),
                              " ", codes));
}

// ES2+ on --addr, called with the operator's client certificate.
absl::StatusOr<std::unique_ptr<smdp::es2plus::Es2Plus::Stub>> Es2Stub(
    const OperatorClient& client) {
  ASSIGN_OR_RETURN(std::shared_ptr<grpc::Channel> channel,
                   Connect(client.connection, Caller::kOperator));
  return smdp::es2plus::Es2Plus::NewStub(channel);
}

// Whether `iccid` (--iccid, which every ES2+ command but `order` needs) is
// given; prints the usage error when not.
bool HasIccid(absl::string_view command, const std::string& iccid) {
  if (!iccid.empty()) return true;
  Fail(2, absl::StrCat(command, " needs --iccid"));
  return false;
}

// Writes the QR renderings --qr_png, --qr_svg and --qr_terminal ask for.
int RenderQr(const ConfirmOptions& options,
             const std::string& activation_code) {
  const std::string png_file = options.qr_png;
  const std::string svg_file = options.qr_svg;
  if (png_file.empty() && svg_file.empty() && !options.qr_terminal) {
    return 0;
  }
  absl::StatusOr<smdp::order::QrCode> qr =
      smdp::order::QrCode::Encode(activation_code);
  if (!qr.ok()) return Fail(1, qr.status().message());
  if (!png_file.empty()) {
    absl::StatusOr<std::string> png = smdp::order::QrToPng(*qr);
    if (!png.ok()) return Fail(1, png.status().message());
    if (absl::Status written = smdp::WriteFileAtomically(png_file, *png);
        !written.ok()) {
      return Fail(1, absl::StrCat("--qr_png: ", written.message()));
    }
  }
  if (!svg_file.empty()) {
    if (absl::Status written =
            smdp::WriteFileAtomically(svg_file, smdp::order::QrToSvg(*qr));
        !written.ok()) {
      return Fail(1, absl::StrCat("--qr_svg: ", written.message()));
    }
  }
  if (options.qr_terminal) {
    std::cout << smdp::order::QrToTerminal(*qr) << std::flush;
  }
  return 0;
}

}  // namespace

int Order(const OperatorClient& client, const OrderOptions& options) {
  smdp::es2plus::DownloadOrderRequest request;
  request.set_iccid(options.iccid);
  request.set_profile_type(options.profile_type);
  request.set_eid(options.eid);
  if (request.iccid().empty() && request.profile_type().empty()) {
    return Fail(2, "order needs --iccid or --profile_type");
  }
  *request.mutable_header() = Es2Header(client);
  auto stub = Es2Stub(client);
  if (!stub.ok()) return Fail(1, stub.status().message());
  grpc::ClientContext context;
  SetDeadline(client.connection, context);
  smdp::es2plus::DownloadOrderResponse response;
  grpc::Status status = (*stub)->DownloadOrder(&context, request, &response);
  if (int code = Es2Outcome("DownloadOrder", status, response.header());
      code != 0) {
    return code;
  }
  std::cout << response.iccid() << std::endl;
  return 0;
}

int Confirm(const OperatorClient& client, const ConfirmOptions& options) {
  if (!HasIccid("confirm", options.iccid)) return 2;
  const std::string& iccid = options.iccid;
  const std::string matching_id = options.matching_id;
  const bool empty_matching_id = options.empty_matching_id;
  if (empty_matching_id && !matching_id.empty()) {
    return Fail(2, "--matching_id and --empty_matching_id exclude each other");
  }
  // --matching_id and --smdp_oid are checked before the order is
  // confirmed, so that a confirmed order always gets its activation code.
  const std::string oid = options.smdp_oid;
  if (absl::Status valid =
          smdp::order::ValidateActivationCode({.smdp_address = "localhost",
                                               .matching_id = matching_id,
                                               .smdp_oid = oid});
      !valid.ok()) {
    return Fail(2, valid.message());
  }
  smdp::es2plus::ConfirmOrderRequest request;
  *request.mutable_header() = Es2Header(client);
  request.set_iccid(iccid);
  request.set_eid(options.eid);
  if (empty_matching_id) {
    request.set_matching_id("");
  } else if (!matching_id.empty()) {
    request.set_matching_id(matching_id);
  }
  request.set_confirmation_code(options.confirmation_code);
  request.set_release_flag(options.release);
  auto stub = Es2Stub(client);
  if (!stub.ok()) return Fail(1, stub.status().message());
  grpc::ClientContext context;
  SetDeadline(client.connection, context);
  smdp::es2plus::ConfirmOrderResponse response;
  grpc::Status status = (*stub)->ConfirmOrder(&context, request, &response);
  if (int code = Es2Outcome("ConfirmOrder", status, response.header());
      code != 0) {
    return code;
  }
  std::cout << "matching_id=" << response.matching_id()
            << " smdp_address=" << response.smdp_address()
            << (response.eid().empty() ? "" : " eid=") << response.eid()
            << std::endl;
  absl::StatusOr<std::string> activation_code =
      smdp::order::FormatActivationCode(
          {.smdp_address = response.smdp_address(),
           .matching_id = response.matching_id(),
           .smdp_oid = oid,
           .confirmation_code_required = !request.confirmation_code().empty()});
  if (!activation_code.ok()) {
    return Fail(1, activation_code.status().message());
  }
  std::cout << *activation_code << std::endl;
  return RenderQr(options, *activation_code);
}

int Release(const OperatorClient& client, const std::string& iccid) {
  if (!HasIccid("release", iccid)) return 2;
  smdp::es2plus::ReleaseProfileRequest request;
  *request.mutable_header() = Es2Header(client);
  request.set_iccid(iccid);
  auto stub = Es2Stub(client);
  if (!stub.ok()) return Fail(1, stub.status().message());
  grpc::ClientContext context;
  SetDeadline(client.connection, context);
  smdp::es2plus::ReleaseProfileResponse response;
  grpc::Status status = (*stub)->ReleaseProfile(&context, request, &response);
  if (int code = Es2Outcome("ReleaseProfile", status, response.header());
      code != 0) {
    return code;
  }
  std::cout << "released " << iccid << std::endl;
  return 0;
}

int Cancel(const OperatorClient& client, const CancelOptions& options) {
  if (!HasIccid("cancel", options.iccid)) return 2;
  const std::string& iccid = options.iccid;
  const std::string final_status = options.final_status;
  if (final_status != "Available" && final_status != "Unavailable") {
    return Fail(2, "cancel needs --final_status=Available or Unavailable");
  }
  smdp::es2plus::CancelOrderRequest request;
  *request.mutable_header() = Es2Header(client);
  request.set_iccid(iccid);
  request.set_eid(options.eid);
  request.set_matching_id(options.matching_id);
  request.set_final_profile_status_indicator(final_status);
  auto stub = Es2Stub(client);
  if (!stub.ok()) return Fail(1, stub.status().message());
  grpc::ClientContext context;
  SetDeadline(client.connection, context);
  smdp::es2plus::CancelOrderResponse response;
  grpc::Status status = (*stub)->CancelOrder(&context, request, &response);
  if (int code = Es2Outcome("CancelOrder", status, response.header());
      code != 0) {
    return code;
  }
  std::cout << "cancelled " << iccid << ": " << final_status << std::endl;
  return 0;
}

// The operator's view of its profile (OperatorQuery), in the format of
// `profiles show` without the admin's fields.
int ProfileStatus(const ConnectionOptions& connection,
                  const std::string& iccid) {
  if (!HasIccid("status", iccid)) return 2;
  auto channel = Connect(connection, Caller::kOperator);
  if (!channel.ok()) return Fail(1, channel.status().message());
  auto stub = smdp::operators::OperatorQuery::NewStub(*channel);
  grpc::ClientContext context;
  SetDeadline(connection, context);
  smdp::operators::GetProfileStatusRequest request;
  request.set_iccid(iccid);
  smdp::operators::GetProfileStatusResponse r;
  grpc::Status status = stub->GetProfileStatus(&context, request, &r);
  if (!status.ok()) {
    absl::Status error = smdp::FromGrpcStatus(status);
    return Fail(1, absl::StrCat("GetProfileStatus: ",
                                absl::StatusCodeToString(error.code()), ": ",
                                error.message()));
  }
  std::cout << "iccid: " << r.iccid() << "\nstate: " << r.state()
            << "\ntype: " << r.profile_type() << "\neid: " << r.eid()
            << "\nmatching_id: " << r.matching_id()
            << "\norder_expires_at: " << r.order_expires_at()
            << "\nlast_result: " << r.last_result() << "\nhistory:\n";
  for (const auto& line : r.history()) {
    std::cout << "  " << line.time() << " " << line.actor() << " "
              << line.action() << " " << line.from_state() << " -> "
              << line.to_state()
              << (line.detail().empty() ? "" : " (" + line.detail() + ")")
              << "\n";
  }
  std::cout << std::flush;
  return 0;
}

}  // namespace smdp::ctl
