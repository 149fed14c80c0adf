#include "smdp/grpc/operator_query_service.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "smdp/grpc/peer_identity.h"
#include "smdp/grpc/status_util.h"

namespace smdp {
namespace {

// The operator of the call, or the status that refuses it: as ES2+ does
// (smdp/grpc/es2plus_service.cc).
absl::StatusOr<const order::Operator*> Caller(
    const grpc::ServerContext& context,
    const order::OperatorRegistry& operators) {
  absl::StatusOr<PeerCertificate> peer = GetPeerCertificate(context);
  if (!peer.ok()) {
    return absl::UnauthenticatedError(
        "OperatorQuery needs a TLS client certificate of an operator");
  }
  absl::StatusOr<const order::Operator*> op = operators.Identify(peer->der);
  if (!op.ok()) return absl::PermissionDeniedError(op.status().message());
  return op;
}

// The ICCID as the store keys it, as ES2+ reads it: 18-20 digits, a 20th
// character 'F' (padding of a 19-digit ICCID) dropped.
absl::StatusOr<std::string> ParseIccid(absl::string_view iccid) {
  if (iccid.empty()) return absl::InvalidArgumentError("iccid is missing");
  std::string digits(iccid);
  if (digits.size() == 20 && (digits.back() == 'F' || digits.back() == 'f')) {
    digits.pop_back();
  }
  const bool all_digits = std::all_of(digits.begin(), digits.end(), [](char c) {
    return absl::ascii_isdigit(static_cast<unsigned char>(c));
  });
  if (digits.size() < 18 || digits.size() > 20 || !all_digits) {
    return absl::InvalidArgumentError(
        "iccid must be 18-20 digits (a 20th 'F' is padding)");
  }
  return digits;
}

std::string Rfc3339(int64_t unix_ms) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixMillis(unix_ms),
                          absl::UTCTimeZone());
}

std::string StateString(store::ProfileState state) {
  return std::string(profiles::StateName(state));
}

absl::Status ReadProfileStatus(
    profiles::ProfileStore& store, const order::Operator& op,
    const operators::GetProfileStatusRequest& request,
    operators::GetProfileStatusResponse& response) {
  absl::StatusOr<std::string> iccid = ParseIccid(request.iccid());
  if (!iccid.ok()) return iccid.status();
  // The owner check is the store's: another operator's ICCID is NotFound,
  // answered with exactly the message of an unknown one.
  absl::StatusOr<store::ProfileRecord> record = store.GetProfile(*iccid, op.id);
  if (absl::IsNotFound(record.status())) {
    return absl::NotFoundError(absl::StrCat("unknown ICCID ", *iccid));
  }
  if (!record.ok()) return record.status();
  absl::StatusOr<std::vector<store::AuditEntry>> audit = store.GetAudit(*iccid);
  if (!audit.ok()) return audit.status();

  // Field by field, never the whole record: it holds the confirmation code
  // hash, sealed keys and the content.
  response.set_iccid(record->iccid());
  response.set_state(StateString(record->state()));
  response.set_profile_type(record->profile_type());
  response.set_eid(record->order().eid());
  response.set_matching_id(record->order().matching_id());
  response.set_last_result(record->last_result());
  if (record->order().expires_at_ms() != 0) {
    response.set_order_expires_at(Rfc3339(record->order().expires_at_ms()));
  }
  for (const store::AuditEntry& entry : *audit) {
    operators::ProfileHistoryEntry* line = response.add_history();
    line->set_time(Rfc3339(entry.time_ms()));
    line->set_actor(entry.actor());
    line->set_action(entry.action());
    line->set_from_state(StateString(entry.from_state()));
    line->set_to_state(StateString(entry.to_state()));
    line->set_detail(entry.detail());
  }
  return absl::OkStatus();
}

}  // namespace

grpc::Status OperatorQueryGrpcService::GetProfileStatus(
    grpc::ServerContext* context,
    const operators::GetProfileStatusRequest* request,
    operators::GetProfileStatusResponse* response) {
  absl::StatusOr<const order::Operator*> op = Caller(*context, operators_);
  if (!op.ok()) return ToGrpcStatus(op.status());
  operators::GetProfileStatusResponse answer;
  if (absl::Status status = ReadProfileStatus(store_, **op, *request, answer);
      !status.ok()) {
    return ToGrpcStatus(status);
  }
  *response = std::move(answer);
  return grpc::Status::OK;
}

}  // namespace smdp
