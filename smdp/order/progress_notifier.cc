#include "smdp/order/progress_notifier.h"

#include <algorithm>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "util/log.h"
#include "util/status_macros.h"

namespace smdp::order {

ProgressNotifier::ProgressNotifier(
    ProgressNotifierOptions options, profiles::ProfileStore& store,
    std::map<std::string, std::unique_ptr<OperatorChannel>> channels)
    : options_(std::move(options)),
      store_(store),
      channels_(std::move(channels)) {}

ProgressNotifier::~ProgressNotifier() { Stop(); }

absl::Time ProgressNotifier::Now() const {
  return options_.clock ? options_.clock() : absl::Now();
}

absl::Duration ProgressNotifier::Backoff(uint32_t attempts) const {
  absl::Duration d = options_.initial_backoff;
  for (uint32_t i = 0; i < attempts && d < options_.max_backoff; ++i) d *= 2;
  return std::min(d, options_.max_backoff);
}

absl::StatusOr<es2plus::HandleDownloadProgressInfoRequest>
ProgressNotifier::BuildRequest(const store::OutboxEntry& entry) {
  es2plus::HandleDownloadProgressInfoRequest request;
  if (!request.ParseFromString(entry.payload())) {
    // Not a serialized request (an entry of an older version): what the
    // entry itself says.
    request.Clear();
    request.set_notification_point_id(
        static_cast<int32_t>(entry.notification_point_id()));
    request.mutable_notification_point_status()->set_status(entry.status());
  }
  if (request.timestamp().empty()) {
    request.set_timestamp(absl::FormatTime(
        "%Y-%m-%dT%H:%M:%SZ", absl::FromUnixMillis(entry.created_at_ms()),
        absl::UTCTimeZone()));
  }
  if (request.eid().empty()) request.set_eid(entry.eid());
  request.set_iccid(entry.iccid());
  absl::StatusOr<store::ProfileRecord> profile =
      store_.GetProfileHead(entry.iccid());
  if (profile.ok()) {
    request.set_profile_type(profile->profile_type());
  } else if (!absl::IsNotFound(profile.status())) {
    return profile.status();
  }
  es9plus::RequestHeader& header = *request.mutable_header();
  header.set_function_requester_identifier(options_.requester_identifier);
  header.set_function_call_identifier(absl::StrCat("outbox-", entry.id()));
  return request;
}

absl::StatusOr<NotifierRound> ProgressNotifier::RunOnce() {
  const absl::Time now = Now();
  ASSIGN_OR_RETURN(
      std::vector<store::OutboxEntry> entries,
      store_.LeaseOutbox(now, options_.batch_size, options_.lease));
  std::sort(entries.begin(), entries.end(),
            [](const auto& a, const auto& b) { return a.id() < b.id(); });
  NotifierRound round;
  std::set<std::string> failing;  // operators that failed in this round
  for (const store::OutboxEntry& entry : entries) {
    auto channel = channels_.find(entry.operator_id());
    if (channel == channels_.end()) {
      LogInfo("callback ", entry.id(), " (point ",
              entry.notification_point_id(), ", ICCID ", entry.iccid(),
              "): operator '", entry.operator_id(),
              "' has no callback endpoint; dropped");
      RETURN_IF_ERROR(store_.AckOutbox(entry.id()));
      ++round.dropped;
      continue;
    }
    absl::Status delivered;
    if (failing.count(entry.operator_id()) > 0) {
      delivered = absl::UnavailableError("operator failed earlier this round");
    } else {
      ASSIGN_OR_RETURN(es2plus::HandleDownloadProgressInfoRequest request,
                       BuildRequest(entry));
      delivered = channel->second->Deliver(request);
    }
    if (delivered.ok()) {
      absl::Status acked = store_.AckOutbox(entry.id());
      // NotFound: another sender delivered it after our lease ran out.
      if (!acked.ok() && !absl::IsNotFound(acked)) return acked;
      ++round.delivered;
      continue;
    }
    if (failing.insert(entry.operator_id()).second) {
      LogWarning("callback to operator '", entry.operator_id(),
                 "' failed (attempt ", entry.attempts() + 1,
                 "): ", delivered.message());
    }
    absl::Status retried =
        store_.RetryOutbox(entry.id(), now + Backoff(entry.attempts()));
    if (!retried.ok() && !absl::IsNotFound(retried)) return retried;
    ++round.failed;
  }
  return round;
}

void ProgressNotifier::Start() {
  {
    absl::MutexLock lock(&mu_);
    if (thread_.joinable()) return;
    stopping_ = false;
  }
  thread_ = std::thread([this] {
    absl::MutexLock lock(&mu_);
    while (!stopping_) {
      mu_.Unlock();
      absl::StatusOr<NotifierRound> round = RunOnce();
      if (!round.ok()) {
        LogWarning("callbacks: ", round.status().ToString());
      }
      const bool busy = round.ok() && round->delivered + round->dropped > 0;
      mu_.Lock();
      if (!busy) {
        mu_.AwaitWithTimeout(absl::Condition(&stopping_), options_.idle_poll);
      }
    }
  });
}

void ProgressNotifier::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

}  // namespace smdp::order
