// RocksDbProfileStore: the embedded ProfileStore (profiles/profile_store.h)
// on RocksDB, the SM-DP+'s system of record for profiles.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<RocksDbProfileStore> store,
//                    RocksDbProfileStore::Open({.path = "/var/lib/smdp/db"}));
//   ASSIGN_OR_RETURN(store::ProfileRecord p,
//                    store->AllocateProfile("op1", "consumer", request));
//
// How a change is made atomic. Every change is one rocksdb::WriteBatch (the
// record, every index entry that mirrors it, its audit entry and its outbox
// entry) written while the store holds the in-process lock stripe of the
// record (LockTable, profiles/rocksdb/internal/lock_table.h) from the read it
// checks against until the write is committed: a compare-and-set without a
// transaction manager. A change that gives a profile a matchingId also holds
// the matchingId's stripe, so two profiles can never take one matchingId.
// Only this process writes the database (RocksDB's LOCK file refuses a
// second opener), so the in-process locks cover every writer. We chose this
// over rocksdb::TransactionDB because every key a change writes is owned by
// a lock it already holds (the ICCID's or the matchingId's); audit seqs and
// outbox ids are never contended (they come from a counter whose high-water
// mark is persisted in blocks); and a batch commit writes ~500,000 keys,
// which TransactionDB would lock one by one. Lock waits are bounded
// (options.lock_timeout, then Aborted), so nothing hangs.
//
// Storage layout: profiles/rocksdb/internal/keys.h. A profile is stored in
// two parts: the head (state, order, metadata: a few hundred bytes, rewritten
// by every change) and the content (protected segments and sealed secrets,
// 10-500 KB, written once at import, in BlobDB blob files), so a state change
// does not rewrite the profile package.
//
// Batches: staged profiles are written with their content in place, plus
// one batch-membership entry each; they are invisible (GetProfile and
// Transition say NotFound, no other index lists them) while the batch is
// PENDING. CommitBatch writes only the small index entries and the batch's
// COMPLETE state, in one WriteBatch; AbortBatch deletes what was staged, in
// one WriteBatch. A crash therefore leaves a batch PENDING (resumable from
// resume_position, or abortable) or COMPLETE, never in between.
//
// Durability: WriteOptions::sync is set for a change when
// options.sync_writes and the request is durable (Transition: request.durable;
// PutSession: `durable`; batch, outbox and audit calls: always); the WAL is
// then fsync'ed before the call returns. A process crash never loses an
// acknowledged write either way; a power loss may lose unsynced ones, always
// as a whole (RocksDB recovers a consistent prefix of the WAL).
//
// Thread-safety: all methods may be called from any number of threads.
// Batch operations are serialised among themselves. Lifetime: close the
// store by destroying it; no call may be running then.
#ifndef SMDP_PROFILES_ROCKSDB_ROCKSDB_PROFILE_STORE_H_
#define SMDP_PROFILES_ROCKSDB_ROCKSDB_PROFILE_STORE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "profiles/profile_store.h"
#include "profiles/store.pb.h"

namespace rocksdb {
class DB;
class Snapshot;
class WriteBatch;
}  // namespace rocksdb

namespace smdp::profiles {

namespace internal {
class IdAllocator;
class LockTable;
}  // namespace internal

struct RocksDbProfileStoreOptions {
  // Directory of the database; created (with parents) when missing.
  std::string path;
  // The store's clock: record times (updated_at_ms, audit time, outbox
  // created_at). Default: absl::Now.
  std::function<absl::Time()> clock = [] { return absl::Now(); };
  // Whether durable writes fsync the WAL before returning. Default true;
  // false only for tests and benches.
  bool sync_writes = true;
  // How long a change waits for a record held by another change before it
  // fails with Aborted. Default 5 s.
  absl::Duration lock_timeout = absl::Seconds(5);
  // Lock stripes per lock table (ICCIDs, matchingIds, sessions). Default
  // 4096.
  size_t lock_stripes = 4096;
  // Shared RocksDB block cache. Default 256 MiB.
  size_t block_cache_bytes = size_t{256} << 20;
  // Index entries (or records) one ListProfiles call examines at most before
  // it returns a short page. Default 10,000.
  size_t list_scan_limit = 10000;
  // Called after every commit (successful or not) with what was written
  // ("write transition", "commit batch", ...), whether the WAL was synced,
  // and how long the write took; for metrics and tests. Runs on the calling
  // thread, possibly while record locks are held: keep it short. Default:
  // none.
  std::function<void(absl::string_view what, bool synced, absl::Duration took)>
      write_observer;
};

// What Verify found.
struct StoreCheckReport {
  uint64_t profiles = 0;         // visible ones
  uint64_t staged_profiles = 0;  // of PENDING batches
  uint64_t batches = 0;
  uint64_t index_entries = 0;
  uint64_t audit_entries = 0;
  uint64_t sessions = 0;
  uint64_t outbox_entries = 0;
  // Each broken invariant, at most 100 of them.
  std::vector<std::string> problems;
};

class RocksDbProfileStore : public ProfileStore {
 public:
  // Opens (creating when missing) the store at options.path. Errors:
  // InvalidArgument (empty path), FailedPrecondition (a database of another
  // format version), Unavailable/DataLoss from RocksDB (e.g. another process
  // has it open, corruption), with the path in the message.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<RocksDbProfileStore>>
  Open(const RocksDbProfileStoreOptions& options);

  ~RocksDbProfileStore() override;

  RocksDbProfileStore(const RocksDbProfileStore&) = delete;
  RocksDbProfileStore& operator=(const RocksDbProfileStore&) = delete;

  // ProfileStore.
  [[nodiscard]] absl::StatusOr<store::ProfileRecord> GetProfile(
      absl::string_view iccid,
      std::optional<absl::string_view> operator_id = std::nullopt) override;
  [[nodiscard]] absl::StatusOr<store::ProfileRecord> GetProfileHead(
      absl::string_view iccid,
      std::optional<absl::string_view> operator_id = std::nullopt) override;
  [[nodiscard]] absl::StatusOr<store::ProfileRecord> GetProfileByMatchingId(
      absl::string_view matching_id) override;
  [[nodiscard]] absl::StatusOr<store::ProfileRecord> GetProfileByFunctionCall(
      absl::string_view operator_id,
      absl::string_view function_call_id) override;
  [[nodiscard]] absl::StatusOr<std::vector<store::ProfileRecord>>
  GetProfilesByEid(absl::string_view eid) override;
  [[nodiscard]] absl::StatusOr<ProfilePage> ListProfiles(
      const ProfileQuery& query) override;
  [[nodiscard]] absl::StatusOr<store::ProfileRecord> Transition(
      const TransitionRequest& request) override;
  [[nodiscard]] absl::StatusOr<store::ProfileRecord> AllocateProfile(
      absl::string_view operator_id, absl::string_view profile_type,
      const TransitionRequest& request) override;
  [[nodiscard]] absl::Status BeginBatch(
      const store::BatchRecord& batch) override;
  [[nodiscard]] absl::Status StageProfiles(
      absl::string_view batch_id,
      const std::vector<store::ProfileRecord>& profiles,
      uint64_t resume_position) override;
  [[nodiscard]] absl::Status CommitBatch(absl::string_view batch_id) override;
  [[nodiscard]] absl::Status AbortBatch(absl::string_view batch_id) override;
  [[nodiscard]] absl::StatusOr<store::BatchRecord> GetBatch(
      absl::string_view batch_id) override;
  [[nodiscard]] absl::Status PutSession(const store::SessionRecord& session,
                                        bool durable = true) override;
  [[nodiscard]] absl::StatusOr<store::SessionRecord> GetSession(
      absl::string_view transaction_id, absl::Time now) override;
  [[nodiscard]] absl::Status DeleteSession(
      absl::string_view transaction_id) override;
  [[nodiscard]] absl::StatusOr<std::vector<store::SessionRecord>>
  DeleteExpiredSessions(absl::Time now, size_t limit) override;
  [[nodiscard]] absl::StatusOr<std::vector<store::OutboxEntry>> LeaseOutbox(
      absl::Time now, size_t limit, absl::Duration lease) override;
  [[nodiscard]] absl::Status AckOutbox(uint64_t id) override;
  [[nodiscard]] absl::Status RetryOutbox(uint64_t id,
                                         absl::Time next_attempt) override;
  [[nodiscard]] absl::StatusOr<std::vector<store::AuditEntry>> GetAudit(
      absl::string_view iccid) override;
  [[nodiscard]] absl::Status AppendAudit(store::AuditEntry entry) override;

  // Walks the whole database (on one snapshot) and checks every invariant:
  // each index entry mirrors a record and each record has exactly its index
  // entries; matchingIds are unique; staged profiles of PENDING batches are
  // invisible and counted; nothing of an ABORTED batch remains; each visible
  // profile's audit trail chains (from_state = previous to_state, seqs
  // increasing) and ends in its state; sessions and outbox entries match
  // their time indexes; counters are above every used seq/id. For tests, the
  // crash test and an offline fsck: reads everything, O(database).
  [[nodiscard]] absl::StatusOr<StoreCheckReport> Verify();

 private:
  struct Handles;

  RocksDbProfileStore(RocksDbProfileStoreOptions options,
                      std::unique_ptr<rocksdb::DB> db,
                      std::unique_ptr<Handles> handles);
  absl::Status Init();

  int64_t NowMs() const;
  absl::Status Write(rocksdb::WriteBatch& batch, bool sync,
                     absl::string_view what);

  // The visible profile `iccid` (nullopt when absent or staged), read
  // through `snapshot` (may be null: latest). With `content`, merges the
  // content fields in.
  absl::StatusOr<std::optional<store::ProfileRecord>> ReadProfile(
      absl::string_view iccid, bool content, const rocksdb::Snapshot* snapshot);
  // Whether profiles of `batch_id` are visible (the batch is COMPLETE).
  absl::StatusOr<bool> IsBatchVisible(absl::string_view batch_id,
                                      const rocksdb::Snapshot* snapshot);
  absl::StatusOr<std::optional<store::BatchRecord>> ReadBatch(
      absl::string_view batch_id);

  // The checks and the write of a change to a profile whose stripe the
  // caller holds; `current` is its record as just read under that stripe.
  // Moves `iccid`'s entry of a unique index (matchingIds, function calls)
  // from `old_key` to `new_key`, either empty for none, in `wb`:
  // AlreadyExists(`taken`) when another profile owns `new_key`; `old_key`
  // is deleted only while it is still `iccid`'s. The caller holds the keys'
  // locks.
  absl::Status MoveUniqueIndexEntry(rocksdb::WriteBatch& wb,
                                    const std::string& old_key,
                                    const std::string& new_key,
                                    const std::string& iccid,
                                    absl::string_view index,
                                    absl::string_view taken) const;
  absl::StatusOr<store::ProfileRecord> ApplyTransition(
      const store::ProfileRecord& current, const TransitionRequest& request,
      store::ProfileState to);

  const RocksDbProfileStoreOptions options_;
  std::unique_ptr<rocksdb::DB> db_;
  std::unique_ptr<Handles> cf_;
  std::unique_ptr<internal::LockTable> profile_locks_;
  std::unique_ptr<internal::LockTable> matching_id_locks_;
  std::unique_ptr<internal::LockTable> session_locks_;
  std::unique_ptr<internal::IdAllocator> audit_seq_;
  std::unique_ptr<internal::IdAllocator> outbox_ids_;

  // Serialises BeginBatch, StageProfiles, CommitBatch and AbortBatch.
  absl::Mutex batch_mu_;
  // Serialises LeaseOutbox, AckOutbox and RetryOutbox.
  absl::Mutex outbox_mu_;

  // Adds to `wb` the writes of PutSession(session) (the caller holds the
  // session's lock).
  absl::Status AddSessionPut(const store::SessionRecord& session,
                             rocksdb::WriteBatch& wb);
  // GetProfile / GetProfileHead: with or without the content fields.
  absl::StatusOr<store::ProfileRecord> GetOwnedProfile(
      absl::string_view iccid, std::optional<absl::string_view> operator_id,
      bool content);
  // The id of the first (oldest) outbox entry of `iccid`, if any.
  absl::StatusOr<std::optional<uint64_t>> FirstOutboxIdOf(
      absl::string_view iccid);
  // The outbox entry `id`; NotFound when there is none. Called with
  // outbox_mu_ held.
  absl::StatusOr<store::OutboxEntry> ReadOutboxEntry(uint64_t id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(outbox_mu_);

  // Batches known COMPLETE (a final state): saves a read per profile read.
  absl::Mutex visible_mu_;
  absl::flat_hash_set<std::string> complete_batches_
      ABSL_GUARDED_BY(visible_mu_);

  // Where AllocateProfile starts looking, per available-index prefix: just
  // after the last key it allocated, so that it does not wade through the
  // tombstones of every profile allocated before. Only a hint.
  absl::Mutex hint_mu_;
  absl::flat_hash_map<std::string, std::string> allocation_hint_
      ABSL_GUARDED_BY(hint_mu_);
};

}  // namespace smdp::profiles

#endif  // SMDP_PROFILES_ROCKSDB_ROCKSDB_PROFILE_STORE_H_
