// ProgressNotifier: delivers the operator callbacks (ES2+
// HandleDownloadProgressInfo) that the download service queued in the
// store's outbox, in the same commit as each profile change.
//
//   ProgressNotifier notifier(options, store, std::move(channels));
//   notifier.Start();   // a background thread
//   ...
//   notifier.Stop();
//
// Delivery is at least once: an entry leaves the outbox only after the
// operator accepted it, so a crash or an operator that is down loses
// nothing; the operator may see a callback twice (after a crash between its
// answer and our acknowledgement) and recognises it by
// header.functionCallIdentifier, which stays the same across retries
// ("outbox-<id>"). Callbacks of one profile arrive in the order they were
// queued (the store hands out one entry per profile at a time); callbacks
// of different profiles are independent. A failed delivery is retried
// after initial_backoff, doubling up to max_backoff, forever. Entries of an
// operator without a channel (no callback configured) are dropped with an
// info log.
//
// Thread-safety: RunOnce() may be called from several threads (and several
// nodes sharing a store: the store's lease keeps them from sending one
// entry twice at the same time). Start()/Stop() from one thread.
#ifndef SMDP_SMDP_ORDER_PROGRESS_NOTIFIER_H_
#define SMDP_SMDP_ORDER_PROGRESS_NOTIFIER_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "api/es2plus.pb.h"
#include "profiles/profile_store.h"
#include "smdp/order/operator_channel.h"

namespace smdp::order {

struct ProgressNotifierOptions {
  // header.functionRequesterIdentifier of every callback: who the SM-DP+
  // is to the operator. Default "smdp".
  std::string requester_identifier = "smdp";
  // Entries leased per round.
  size_t batch_size = 100;
  // How long a leased entry is kept from other senders; longer than a
  // delivery can take.
  absl::Duration lease = absl::Seconds(60);
  // Retry delays: initial_backoff * 2^(attempts), at most max_backoff.
  absl::Duration initial_backoff = absl::Seconds(1);
  absl::Duration max_backoff = absl::Minutes(5);
  // Pause of the background thread when a round found nothing to send.
  absl::Duration idle_poll = absl::Milliseconds(200);
  // The clock; null: absl::Now.
  std::function<absl::Time()> clock;
};

// What one round did.
struct NotifierRound {
  size_t delivered = 0;
  size_t failed = 0;   // retried later
  size_t dropped = 0;  // no channel for the operator
};

class ProgressNotifier {
 public:
  // `channels`: by operator id. The store must outlive the notifier.
  ProgressNotifier(
      ProgressNotifierOptions options, profiles::ProfileStore& store,
      std::map<std::string, std::unique_ptr<OperatorChannel>> channels);
  ~ProgressNotifier();  // Stop()s.

  ProgressNotifier(const ProgressNotifier&) = delete;
  ProgressNotifier& operator=(const ProgressNotifier&) = delete;

  // One round: leases due entries, delivers them (one operator's failure
  // defers its other entries of this round without trying them), and
  // acknowledges or reschedules each. An error is a store failure.
  [[nodiscard]] absl::StatusOr<NotifierRound> RunOnce();

  // Runs rounds on a background thread until Stop(); failures are logged.
  void Start();
  void Stop();

  // The callback the entry stands for (what Deliver sends), for tests and
  // tools: the queued request with header, iccid and profileType filled.
  [[nodiscard]] absl::StatusOr<es2plus::HandleDownloadProgressInfoRequest>
  BuildRequest(const store::OutboxEntry& entry);

 private:
  absl::Time Now() const;
  absl::Duration Backoff(uint32_t attempts) const;

  const ProgressNotifierOptions options_;
  profiles::ProfileStore& store_;
  const std::map<std::string, std::unique_ptr<OperatorChannel>> channels_;

  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace smdp::order

#endif  // SMDP_SMDP_ORDER_PROGRESS_NOTIFIER_H_
