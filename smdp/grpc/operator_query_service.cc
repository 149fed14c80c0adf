#include "smdp/grpc/operator_query_service.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "smdp/grpc/calling_operator.h"
#include "smdp/grpc/status_util.h"
#include "smdp/order/order_service.h"

namespace smdp {
namespace {

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
  if (request.iccid().empty()) {
    return absl::InvalidArgumentError("iccid is missing");
  }
  std::optional<std::string> iccid = order::NormalizeIccid(request.iccid());
  if (!iccid.has_value()) {
    return absl::InvalidArgumentError(
        "iccid must be 18-20 digits (a 20th 'F' is padding)");
  }
  // The owner check is the store's: another operator's ICCID is NotFound,
  // answered with exactly the message of an unknown one.
  absl::StatusOr<store::ProfileRecord> record =
      store.GetProfileHead(*iccid, op.id);
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
  absl::StatusOr<const order::Operator*> op =
      CallingOperator(*context, operators_, "OperatorQuery");
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
