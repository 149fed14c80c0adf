// ProfileStore: the system of record for profiles, orders, download
// sessions, the operator-callback outbox and the audit trail.
//
// Every change of a profile's state is one atomic compare-and-set inside the
// store (never a read-modify-write in the caller's memory): the caller names
// the states it expects and the state it wants, and may adjust the record in
// a callback that runs while the store holds the record's lock. The audit
// entry and the outbox entry of a change are written in the same atomic
// commit as the change itself.
//
//   ASSIGN_OR_RETURN(
//       store::ProfileRecord profile,
//       store.Transition({.iccid = iccid,
//                         .from = {store::CONFIRMED},
//                         .to = store::RELEASED,
//                         .audit = {.actor = "operator:op1",
//                                   .action = "ReleaseProfile"}}));
//
// Durability: a change with `durable = true` (the default) is on disk
// (synced write-ahead log) before the call returns; a crash at any point
// leaves every record either before or after the change, never between.
//
// Implementations: RocksDbProfileStore (profiles/rocksdb/), the embedded
// default. Thread-safety: every method may be called from many threads at
// once. A change waits at most a bounded time for a record another change
// holds, then fails with Aborted (retryable).
#ifndef SMDP_PROFILES_PROFILE_STORE_H_
#define SMDP_PROFILES_PROFILE_STORE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "profiles/store.pb.h"

namespace smdp::profiles {

// True when the state machine allows `from` → `to` (DESIGN.md):
//   AVAILABLE  → ALLOCATED, UNAVAILABLE
//   ALLOCATED  → LINKED, CONFIRMED, RELEASED, AVAILABLE, UNAVAILABLE
//   LINKED     → CONFIRMED, RELEASED, AVAILABLE, UNAVAILABLE
//   CONFIRMED  → RELEASED, LINKED, AVAILABLE, UNAVAILABLE
//   RELEASED   → DOWNLOADED, ERROR, AVAILABLE, UNAVAILABLE
//   DOWNLOADED → INSTALLED, ERROR, RELEASED (retry), UNAVAILABLE
//   ERROR      → AVAILABLE, UNAVAILABLE
//   INSTALLED, UNAVAILABLE: final.
// A "transition" to the same state is an update within the state (e.g.
// counting download attempts) and is allowed in every state, the final ones
// included (e.g. queueing the callback of a later notification); nothing
// ever leaves a final state.
bool IsAllowedTransition(store::ProfileState from, store::ProfileState to);

// "AVAILABLE", "RELEASED", ...
absl::string_view StateName(store::ProfileState state);

// One state change (or an in-state update when `to` equals the current
// state and that state is in `from`).
struct TransitionRequest {
  std::string iccid;
  // The states the caller expects (at least one, else InvalidArgument); the
  // change fails with FailedPrecondition (message naming the current state)
  // when the profile is in another one.
  std::vector<store::ProfileState> from;
  store::ProfileState to = store::PROFILE_STATE_UNSPECIFIED;
  // When set, the profile must belong to this operator, else NotFound (an
  // operator cannot even learn that another operator's ICCID exists).
  std::optional<std::string> operator_id;
  // Further changes to the record, applied under the record's lock after
  // the state checks; an error aborts the whole change and is returned.
  // It sees the record in its current state and must not change iccid,
  // state, operator_id, batch_id, profile_type or version (InvalidArgument);
  // it must be quick and must not call the store. A change to AVAILABLE
  // clears `order` and `session_transaction_id` after it: an available
  // profile carries no order.
  std::function<absl::Status(store::ProfileRecord&)> mutate;
  // Whether the record given to `mutate` and returned carries the content
  // fields (protected_segments, sealed_ppk, sealed_profile: 10-500 KB).
  // Without it they are empty and `mutate` may not set them
  // (InvalidArgument); with it `mutate` may replace them. Most changes do
  // not need the content, and reading it doubles the cost of a change.
  bool with_content = false;
  // The audit entry; the store fills seq, time, iccid and the states.
  store::AuditEntry audit;
  // An operator callback to queue in the same commit; the store fills id,
  // created_at, and when empty/zero iccid, operator_id (the profile's) and
  // next_attempt_at (now).
  std::optional<store::OutboxEntry> notify;
  // A download session to create or replace in the same commit, as
  // PutSession does (so a profile is never held by a session that a crash
  // lost, and the change costs one synced write instead of two).
  std::optional<store::SessionRecord> session;
  bool durable = true;
};

// Which profiles ListProfiles returns; empty fields match everything.
struct ProfileQuery {
  std::optional<store::ProfileState> state;
  std::string profile_type;
  std::string batch_id;
  std::string operator_id;
  size_t page_size = 100;  // at most 1000 (InvalidArgument); 0 means 100
  // From the previous page of the same query (InvalidArgument for a token
  // of another query); empty: first page. Paging is by ICCID and stable
  // under concurrent inserts: no profile is returned twice unless it changed
  // state between pages.
  std::string page_token;
};

struct ProfilePage {
  // Without the content fields (protected_segments, sealed_ppk,
  // sealed_profile): GetProfile returns those. A page examines a bounded
  // number of records, so it may hold fewer than page_size profiles (even
  // none) and still have a next page.
  std::vector<store::ProfileRecord> profiles;
  std::string next_page_token;  // empty on the last page
};

class ProfileStore {
 public:
  virtual ~ProfileStore() = default;

  // --- Profiles -----------------------------------------------------------

  // NotFound when no such ICCID (or, with `operator_id`, when another
  // operator owns it).
  [[nodiscard]] virtual absl::StatusOr<store::ProfileRecord> GetProfile(
      absl::string_view iccid,
      std::optional<absl::string_view> operator_id = std::nullopt) = 0;

  // The same without the content fields (protected_segments, sealed_ppk,
  // sealed_profile: 10-500 KB): what a check of state, order or owner needs,
  // at a fraction of the cost.
  [[nodiscard]] virtual absl::StatusOr<store::ProfileRecord> GetProfileHead(
      absl::string_view iccid,
      std::optional<absl::string_view> operator_id = std::nullopt) = 0;

  // The profile whose order has this matchingId, without the content fields
  // (as GetProfileHead). NotFound otherwise.
  [[nodiscard]] virtual absl::StatusOr<store::ProfileRecord>
  GetProfileByMatchingId(absl::string_view matching_id) = 0;

  // The profile of `operator_id` whose order came from the ES2+ call
  // `function_call_id` (order.function_call_id, the DownloadOrder's
  // functionCallIdentifier), without the content fields. NotFound otherwise,
  // and for an empty id. An order keeps its function call until it ends
  // (the profile back to AVAILABLE), so a retried DownloadOrder finds its
  // first answer for the order's whole life.
  [[nodiscard]] virtual absl::StatusOr<store::ProfileRecord>
  GetProfileByFunctionCall(absl::string_view operator_id,
                           absl::string_view function_call_id) = 0;

  // Profiles whose order is bound to this EID (any state), oldest first
  // (by order.created_at_ms), at most 1000, without the content fields.
  [[nodiscard]] virtual absl::StatusOr<std::vector<store::ProfileRecord>>
  GetProfilesByEid(absl::string_view eid) = 0;

  [[nodiscard]] virtual absl::StatusOr<ProfilePage> ListProfiles(
      const ProfileQuery& query) = 0;

  // The compare-and-set described above. Errors: NotFound (ICCID),
  // FailedPrecondition (current state not in `from`, or the state machine
  // refuses `from` → `to`), AlreadyExists (the change would give a second
  // profile the same matchingId, or a second profile of the operator the
  // same order.function_call_id), or the error of `mutate`.
  [[nodiscard]] virtual absl::StatusOr<store::ProfileRecord> Transition(
      const TransitionRequest& request) = 0;

  // Moves one AVAILABLE profile of `operator_id` and `profile_type` (of a
  // COMPLETE batch) to ALLOCATED, applying `request.mutate`, `audit` and
  // `notify` as Transition does (request.iccid and .from are ignored).
  // Concurrent calls never get the same profile. ResourceExhausted when
  // none is left.
  [[nodiscard]] virtual absl::StatusOr<store::ProfileRecord> AllocateProfile(
      absl::string_view operator_id, absl::string_view profile_type,
      const TransitionRequest& request) = 0;

  // --- Batches: all-or-nothing, resumable imports --------------------------

  // Starts a batch in state PENDING. AlreadyExists when the id is taken
  // (use GetBatch to resume it).
  [[nodiscard]] virtual absl::Status BeginBatch(
      const store::BatchRecord& batch) = 0;

  // Stages profiles (state AVAILABLE, invisible until CommitBatch) and
  // records `resume_position` in the same commit. AlreadyExists when an
  // ICCID exists in another batch or twice in this one; FailedPrecondition
  // when the batch is not PENDING. Re-staging an ICCID already staged in
  // this batch replaces it (so a resumed import may repeat its last chunk).
  // InvalidArgument (naming every bad record) for more than 10,000 profiles
  // in one call, an ICCID that is not 18-22 digits, a state other than
  // AVAILABLE/unspecified, an order already set, or an operator_id /
  // profile_type other than the batch's (empty ones are filled from it);
  // every profile needs a profile_type.
  [[nodiscard]] virtual absl::Status StageProfiles(
      absl::string_view batch_id,
      const std::vector<store::ProfileRecord>& profiles,
      uint64_t resume_position) = 0;

  // Makes every staged profile of the batch visible and allocatable, in one
  // atomic commit that also writes each profile's first audit entry
  // ("CommitBatch", unspecified → AVAILABLE). FailedPrecondition unless
  // PENDING, or when expected_count is set and differs from staged_count.
  [[nodiscard]] virtual absl::Status CommitBatch(
      absl::string_view batch_id) = 0;

  // Removes the staged profiles of a PENDING batch; the batch becomes
  // ABORTED.
  [[nodiscard]] virtual absl::Status AbortBatch(absl::string_view batch_id) = 0;

  [[nodiscard]] virtual absl::StatusOr<store::BatchRecord> GetBatch(
      absl::string_view batch_id) = 0;

  // --- Download sessions ---------------------------------------------------

  // Creates or replaces the session (durable when `durable`). A session
  // with expires_at_ms = 0 never expires.
  [[nodiscard]] virtual absl::Status PutSession(
      const store::SessionRecord& session, bool durable = true) = 0;

  // NotFound for an unknown or expired (at `now`) transactionId.
  [[nodiscard]] virtual absl::StatusOr<store::SessionRecord> GetSession(
      absl::string_view transaction_id, absl::Time now) = 0;

  // OK also when there is no such session.
  [[nodiscard]] virtual absl::Status DeleteSession(
      absl::string_view transaction_id) = 0;

  // Deletes up to `limit` sessions that expired before `now`; returns them
  // so the caller can act on them (e.g. give the profile back).
  [[nodiscard]] virtual absl::StatusOr<std::vector<store::SessionRecord>>
  DeleteExpiredSessions(absl::Time now, size_t limit) = 0;

  // --- Outbox of operator callbacks -----------------------------------------

  // Entries due at `now` (next_attempt_at <= now), oldest first, at most
  // `limit`. Each returned entry's next attempt is pushed to now + `lease`
  // in the same commit, so concurrent senders do not send it twice.
  // Callbacks of one profile go out in order: an entry is returned only
  // when every earlier entry of its ICCID has been acknowledged (so at most
  // one entry per ICCID per call; one that keeps failing holds back the
  // later ones of its profile, never those of other profiles).
  [[nodiscard]] virtual absl::StatusOr<std::vector<store::OutboxEntry>>
  LeaseOutbox(absl::Time now, size_t limit, absl::Duration lease) = 0;

  // The callback was delivered: removes the entry. NotFound when there is
  // no such entry (e.g. already acknowledged).
  [[nodiscard]] virtual absl::Status AckOutbox(uint64_t id) = 0;

  // Delivery failed: counts the attempt and retries at `next_attempt`.
  [[nodiscard]] virtual absl::Status RetryOutbox(uint64_t id,
                                                 absl::Time next_attempt) = 0;

  // --- Audit trail -----------------------------------------------------------

  // The audit entries of one ICCID, oldest first.
  [[nodiscard]] virtual absl::StatusOr<std::vector<store::AuditEntry>> GetAudit(
      absl::string_view iccid) = 0;

  // Appends an entry not tied to a state change (e.g. a refused request);
  // the store fills seq and time and leaves the states unspecified.
  [[nodiscard]] virtual absl::Status AppendAudit(store::AuditEntry entry) = 0;
};

}  // namespace smdp::profiles

#endif  // SMDP_PROFILES_PROFILE_STORE_H_
