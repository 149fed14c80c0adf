#include "profiles/rocksdb/rocksdb_profile_store.h"

#include <rocksdb/cache.h>
#include <rocksdb/convenience.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/slice.h>
#include <rocksdb/snapshot.h>
#include <rocksdb/status.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <tuple>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "profiles/rocksdb/internal/keys.h"
#include "profiles/rocksdb/internal/lock_table.h"
#include "util/file_util.h"
#include "util/log.h"
#include "util/status_macros.h"

namespace smdp::profiles {

namespace ik = ::smdp::profiles::internal;

namespace {

constexpr size_t kMaxIdLength = 128;  // operator, type, batch ids
constexpr size_t kMaxMatchingIdLength = 255;
constexpr size_t kMaxFunctionCallIdLength = 128;
constexpr size_t kMaxEidLength = 64;
constexpr size_t kMaxTransactionIdLength = 64;
constexpr size_t kMaxStagePerCall = 10000;
constexpr size_t kMaxPageSize = 1000;
constexpr size_t kDefaultPageSize = 100;
constexpr size_t kMaxByEid = 1000;
constexpr size_t kMaxAuditPerIccid = 10000;
constexpr size_t kMaxSweep = 10000;  // sessions / outbox entries per call
constexpr size_t kMaxProblems = 100;

// The one place where rocksdb::Status becomes absl::Status.
absl::Status FromRocks(const rocksdb::Status& s, absl::string_view what,
                       absl::string_view path) {
  if (s.ok()) return absl::OkStatus();
  std::string message =
      absl::StrCat("rocksdb ", what, " (", path, "): ", s.ToString());
  switch (s.code()) {
    case rocksdb::Status::kNotFound:
      return absl::NotFoundError(message);
    case rocksdb::Status::kCorruption:
      return absl::DataLossError(message);
    case rocksdb::Status::kInvalidArgument:
      return absl::InvalidArgumentError(message);
    case rocksdb::Status::kNotSupported:
      return absl::FailedPreconditionError(message);
    case rocksdb::Status::kBusy:
    case rocksdb::Status::kTryAgain:
    case rocksdb::Status::kAborted:
      return absl::AbortedError(message);
    case rocksdb::Status::kTimedOut:
      return absl::DeadlineExceededError(message);
    case rocksdb::Status::kIOError:  // incl. no space, lock held elsewhere
    case rocksdb::Status::kShutdownInProgress:
    case rocksdb::Status::kColumnFamilyDropped:
      return absl::UnavailableError(message);
    default:
      return absl::InternalError(message);
  }
}

template <typename T>
absl::StatusOr<T> Parse(absl::string_view bytes, absl::string_view what) {
  T message;
  if (!message.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::DataLossError(absl::StrCat("unparsable ", what));
  }
  return message;
}

rocksdb::Slice ToSlice(absl::string_view s) {
  return rocksdb::Slice(s.data(), s.size());
}
absl::string_view ToView(const rocksdb::Slice& s) {
  return absl::string_view(s.data(), s.size());
}

int64_t ToMs(absl::Time t) { return absl::ToUnixMillis(t); }

bool IsKnownState(store::ProfileState s) {
  return s >= store::AVAILABLE && s <= store::UNAVAILABLE;
}

absl::Status ValidateIccid(absl::string_view iccid) {
  if (iccid.size() < 18 || iccid.size() > 22 ||
      !std::all_of(iccid.begin(), iccid.end(),
                   [](char c) { return c >= '0' && c <= '9'; })) {
    return absl::InvalidArgumentError(
        absl::StrCat("iccid \"", absl::CEscape(iccid.substr(0, 32)),
                     "\": must be 18-22 digits"));
  }
  return absl::OkStatus();
}

// An identifier used in keys: at most `max` bytes, no NUL; empty only when
// `allow_empty`.
absl::Status ValidateId(absl::string_view name, absl::string_view value,
                        size_t max, bool allow_empty) {
  if (value.empty() && !allow_empty) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": missing"));
  }
  if (value.size() > max || value.find('\0') != absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": at most ", max, " bytes, no NUL"));
  }
  return absl::OkStatus();
}

absl::Status ValidateTransactionId(absl::string_view id) {
  if (id.empty() || id.size() > kMaxTransactionIdLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("transaction_id: 1-", kMaxTransactionIdLength, " bytes"));
  }
  return absl::OkStatus();
}

// The content fields: large, written once at import, kept apart from the
// head that every change rewrites.
void MoveContent(store::ProfileRecord& from, store::ProfileRecord& to) {
  to.mutable_protected_segments()->swap(*from.mutable_protected_segments());
  from.clear_protected_segments();
  if (from.has_sealed_ppk())
    to.mutable_sealed_ppk()->Swap(from.mutable_sealed_ppk());
  from.clear_sealed_ppk();
  if (from.has_sealed_profile()) {
    to.mutable_sealed_profile()->Swap(from.mutable_sealed_profile());
  }
  from.clear_sealed_profile();
}

bool SameSecret(const store::SealedSecret& a, const store::SealedSecret& b) {
  return a.sealed() == b.sealed() && a.kek_label() == b.kek_label();
}

bool SameContent(const store::ProfileRecord& a, const store::ProfileRecord& b) {
  return a.protected_segments() == b.protected_segments() &&
         SameSecret(a.sealed_ppk(), b.sealed_ppk()) &&
         SameSecret(a.sealed_profile(), b.sealed_profile()) &&
         a.has_sealed_ppk() == b.has_sealed_ppk() &&
         a.has_sealed_profile() == b.has_sealed_profile();
}

void StripContent(store::ProfileRecord& r) {
  r.clear_protected_segments();
  r.clear_sealed_ppk();
  r.clear_sealed_profile();
}

std::string StateList(const std::vector<store::ProfileState>& states) {
  std::vector<std::string> names;
  for (store::ProfileState s : states) names.emplace_back(StateName(s));
  return absl::StrJoin(names, "|");
}

// FNV-1a, stable across processes: binds a page token to its query.
uint64_t Fnv1a(absl::string_view data) {
  uint64_t h = 1469598103934665603ull;
  for (char c : data) {
    h ^= static_cast<uint8_t>(c);
    h *= 1099511628211ull;
  }
  return h;
}

constexpr absl::string_view kTokenMagic = "L1";

std::string EncodePageToken(uint64_t fingerprint, absl::string_view position) {
  std::string raw = absl::StrCat(kTokenMagic, ik::EncodeU64(fingerprint));
  raw.append(position.data(), position.size());
  return absl::WebSafeBase64Escape(raw);
}

}  // namespace

namespace internal {

// Hands out increasing ids (audit seqs, outbox ids) from memory; the
// high-water mark is persisted in blocks under `key` before any id of a block
// is used, so ids never repeat across restarts (a crash skips the rest of a
// block). Thread-safe.
class IdAllocator {
 public:
  static constexpr uint64_t kBlock = 10000;

  IdAllocator(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf, std::string key,
              bool sync, std::string path)
      : db_(db),
        cf_(cf),
        key_(std::move(key)),
        sync_(sync),
        path_(std::move(path)) {}

  absl::Status Init() {
    std::string value;
    rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), cf_, key_, &value);
    absl::MutexLock lock(&mu_);
    if (s.IsNotFound()) {
      next_ = reserved_ = 1;
      return absl::OkStatus();
    }
    RETURN_IF_ERROR(FromRocks(s, absl::StrCat("read ", key_), path_));
    std::optional<uint64_t> v = DecodeU64(value);
    if (!v) return absl::DataLossError(absl::StrCat("bad counter ", key_));
    next_ = reserved_ = *v;
    return absl::OkStatus();
  }

  // The first of `count` consecutive fresh ids.
  absl::StatusOr<uint64_t> Next(uint64_t count) {
    absl::MutexLock lock(&mu_);
    if (next_ + count > reserved_) {
      uint64_t reserved = next_ + count + kBlock;
      rocksdb::WriteOptions wo;
      wo.sync = sync_;
      RETURN_IF_ERROR(FromRocks(db_->Put(wo, cf_, key_, EncodeU64(reserved)),
                                absl::StrCat("write ", key_), path_));
      reserved_ = reserved;
    }
    uint64_t first = next_;
    next_ += count;
    return first;
  }

  uint64_t reserved() {
    absl::MutexLock lock(&mu_);
    return reserved_;
  }

 private:
  rocksdb::DB* const db_;
  rocksdb::ColumnFamilyHandle* const cf_;
  const std::string key_;
  const bool sync_;
  const std::string path_;
  absl::Mutex mu_;
  uint64_t next_ ABSL_GUARDED_BY(mu_) = 1;
  uint64_t reserved_ ABSL_GUARDED_BY(mu_) = 1;
};

}  // namespace internal

struct RocksDbProfileStore::Handles {
  rocksdb::ColumnFamilyHandle* meta = nullptr;  // "default"
  rocksdb::ColumnFamilyHandle* profiles = nullptr;
  rocksdb::ColumnFamilyHandle* content = nullptr;
  rocksdb::ColumnFamilyHandle* batches = nullptr;
  rocksdb::ColumnFamilyHandle* sessions = nullptr;
  rocksdb::ColumnFamilyHandle* outbox = nullptr;
  rocksdb::ColumnFamilyHandle* audit = nullptr;
  rocksdb::ColumnFamilyHandle* indexes = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> all;
};

// --- Open / close -----------------------------------------------------------

absl::StatusOr<std::unique_ptr<RocksDbProfileStore>> RocksDbProfileStore::Open(
    const RocksDbProfileStoreOptions& options) {
  if (options.path.empty()) {
    return absl::InvalidArgumentError("RocksDbProfileStore: empty path");
  }
  if (!options.clock) {
    return absl::InvalidArgumentError("RocksDbProfileStore: no clock");
  }
  RETURN_IF_ERROR(MakeDirs(options.path, 0700));

  rocksdb::Options db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.max_background_jobs = 4;
  db_options.bytes_per_sync = 1 << 20;
  db_options.keep_log_file_num = 4;
  // Column families that are rarely written (batches, meta) would otherwise
  // keep every WAL file alive until 4x the memtable budget (GBs after an
  // import): flush them once the WAL reaches 256 MiB, which also bounds the
  // replay after a crash.
  db_options.max_total_wal_size = 256 << 20;
  db_options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;

  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  rocksdb::ColumnFamilyOptions base;
  base.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  base.compression = rocksdb::kLZ4Compression;
  bool has_lz4 = false;
  for (rocksdb::CompressionType t : rocksdb::GetSupportedCompressions()) {
    has_lz4 |= t == rocksdb::kLZ4Compression;
  }
  if (!has_lz4) base.compression = rocksdb::kNoCompression;

  // Content: protected (encrypted) segments and sealed secrets, which do not
  // compress; large values live in blob files, so compactions move only
  // small references.
  rocksdb::ColumnFamilyOptions content = base;
  content.compression = rocksdb::kNoCompression;
  content.enable_blob_files = true;
  content.min_blob_size = 1024;
  content.blob_file_size = 256 << 20;
  content.enable_blob_garbage_collection = true;

  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors = {
      {rocksdb::kDefaultColumnFamilyName, base},
      {"profiles", base},
      {"content", content},
      {"batches", base},
      {"sessions", base},
      {"outbox", base},
      {"audit", base},
      {"indexes", base},
  };
  std::vector<rocksdb::ColumnFamilyHandle*> raw_handles;
  rocksdb::DB* raw_db = nullptr;
  RETURN_IF_ERROR(
      FromRocks(rocksdb::DB::Open(db_options, options.path, descriptors,
                                  &raw_handles, &raw_db),
                "open", options.path));
  std::unique_ptr<rocksdb::DB> db(raw_db);
  auto handles = std::make_unique<Handles>();
  handles->all = raw_handles;
  handles->meta = raw_handles[0];
  handles->profiles = raw_handles[1];
  handles->content = raw_handles[2];
  handles->batches = raw_handles[3];
  handles->sessions = raw_handles[4];
  handles->outbox = raw_handles[5];
  handles->audit = raw_handles[6];
  handles->indexes = raw_handles[7];

  std::unique_ptr<RocksDbProfileStore> store(
      new RocksDbProfileStore(options, std::move(db), std::move(handles)));
  RETURN_IF_ERROR(store->Init());
  return store;
}

RocksDbProfileStore::RocksDbProfileStore(RocksDbProfileStoreOptions options,
                                         std::unique_ptr<rocksdb::DB> db,
                                         std::unique_ptr<Handles> handles)
    : options_(std::move(options)),
      db_(std::move(db)),
      cf_(std::move(handles)),
      profile_locks_(
          std::make_unique<internal::LockTable>(options_.lock_stripes)),
      matching_id_locks_(
          std::make_unique<internal::LockTable>(options_.lock_stripes)),
      session_locks_(
          std::make_unique<internal::LockTable>(options_.lock_stripes)),
      audit_seq_(std::make_unique<internal::IdAllocator>(
          db_.get(), cf_->meta, ik::kAuditSeqKey, options_.sync_writes,
          options_.path)),
      outbox_ids_(std::make_unique<internal::IdAllocator>(
          db_.get(), cf_->meta, ik::kOutboxIdKey, options_.sync_writes,
          options_.path)) {}

absl::Status RocksDbProfileStore::Init() {
  std::string version;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), cf_->meta,
                               ik::kFormatVersionKey, &version);
  if (s.IsNotFound()) {
    rocksdb::WriteOptions wo;
    wo.sync = options_.sync_writes;
    RETURN_IF_ERROR(FromRocks(
        db_->Put(wo, cf_->meta, ik::kFormatVersionKey, ik::kFormatVersion),
        "write format version", options_.path));
  } else {
    RETURN_IF_ERROR(FromRocks(s, "read format version", options_.path));
    if (version != ik::kFormatVersion) {
      return absl::FailedPreconditionError(
          absl::StrCat(options_.path, ": profile store format version ",
                       version, ", this build reads ", ik::kFormatVersion));
    }
  }
  RETURN_IF_ERROR(audit_seq_->Init());
  RETURN_IF_ERROR(outbox_ids_->Init());
  return absl::OkStatus();
}

RocksDbProfileStore::~RocksDbProfileStore() {
  if (db_ == nullptr) return;
  for (rocksdb::ColumnFamilyHandle* h : cf_->all) {
    rocksdb::Status s = db_->DestroyColumnFamilyHandle(h);
    if (!s.ok()) LogWarning("profile store: ", s.ToString());
  }
  rocksdb::Status s = db_->Close();
  if (!s.ok()) LogWarning("profile store close: ", s.ToString());
}

// --- helpers
// ------------------------------------------------------------------

int64_t RocksDbProfileStore::NowMs() const { return ToMs(options_.clock()); }

absl::Status RocksDbProfileStore::Write(rocksdb::WriteBatch& batch, bool sync,
                                        absl::string_view what) {
  rocksdb::WriteOptions wo;
  // What a crash does to this write: with sync the WAL is on disk before
  // Write returns; without it the OS may lose it on power failure (but not
  // on a process crash). Either way the batch is applied whole or not at all.
  wo.sync = sync && options_.sync_writes;
  const absl::Time start = absl::Now();
  rocksdb::Status s = db_->Write(wo, &batch);
  if (options_.write_observer) {
    options_.write_observer(what, wo.sync, absl::Now() - start);
  }
  return FromRocks(s, what, options_.path);
}

absl::StatusOr<std::optional<store::BatchRecord>>
RocksDbProfileStore::ReadBatch(absl::string_view batch_id) {
  std::string value;
  rocksdb::Status s =
      db_->Get(rocksdb::ReadOptions(), cf_->batches, ToSlice(batch_id), &value);
  if (s.IsNotFound()) return std::nullopt;
  RETURN_IF_ERROR(FromRocks(s, "read batch", options_.path));
  ASSIGN_OR_RETURN(store::BatchRecord batch,
                   Parse<store::BatchRecord>(value, "batch record"));
  return batch;
}

absl::StatusOr<bool> RocksDbProfileStore::IsBatchVisible(
    absl::string_view batch_id, const rocksdb::Snapshot* snapshot) {
  if (batch_id.empty()) return true;
  {
    absl::ReaderMutexLock lock(&visible_mu_);
    if (complete_batches_.contains(batch_id)) return true;
  }
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot;
  std::string value;
  rocksdb::Status s = db_->Get(ro, cf_->batches, ToSlice(batch_id), &value);
  if (s.IsNotFound()) return false;
  RETURN_IF_ERROR(FromRocks(s, "read batch", options_.path));
  ASSIGN_OR_RETURN(store::BatchRecord batch,
                   Parse<store::BatchRecord>(value, "batch record"));
  if (batch.state() != store::BatchRecord::COMPLETE) return false;
  absl::MutexLock lock(&visible_mu_);
  complete_batches_.insert(std::string(batch_id));
  return true;
}

absl::StatusOr<std::optional<store::ProfileRecord>>
RocksDbProfileStore::ReadProfile(absl::string_view iccid, bool content,
                                 const rocksdb::Snapshot* snapshot) {
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot;
  rocksdb::PinnableSlice head_value;
  rocksdb::Status s = db_->Get(ro, cf_->profiles, ToSlice(iccid), &head_value);
  if (s.IsNotFound()) return std::nullopt;
  RETURN_IF_ERROR(FromRocks(s, "read profile", options_.path));
  ASSIGN_OR_RETURN(store::ProfileRecord record,
                   Parse<store::ProfileRecord>(ToView(head_value), "profile"));
  ASSIGN_OR_RETURN(bool visible, IsBatchVisible(record.batch_id(), snapshot));
  if (!visible) return std::nullopt;
  if (content) {
    rocksdb::PinnableSlice content_value;
    s = db_->Get(ro, cf_->content, ToSlice(iccid), &content_value);
    if (!s.IsNotFound()) {
      RETURN_IF_ERROR(FromRocks(s, "read profile content", options_.path));
      ASSIGN_OR_RETURN(
          store::ProfileRecord parts,
          Parse<store::ProfileRecord>(ToView(content_value), "content"));
      MoveContent(parts, record);
    }
  }
  return record;
}

// --- Profiles
// -----------------------------------------------------------------

absl::StatusOr<store::ProfileRecord> RocksDbProfileStore::GetProfile(
    absl::string_view iccid, std::optional<absl::string_view> operator_id) {
  return GetOwnedProfile(iccid, operator_id, /*content=*/true);
}

absl::StatusOr<store::ProfileRecord> RocksDbProfileStore::GetProfileHead(
    absl::string_view iccid, std::optional<absl::string_view> operator_id) {
  return GetOwnedProfile(iccid, operator_id, /*content=*/false);
}

absl::StatusOr<store::ProfileRecord> RocksDbProfileStore::GetOwnedProfile(
    absl::string_view iccid, std::optional<absl::string_view> operator_id,
    bool content) {
  RETURN_IF_ERROR(ValidateIccid(iccid));
  rocksdb::ManagedSnapshot snapshot(db_.get());
  ASSIGN_OR_RETURN(std::optional<store::ProfileRecord> record,
                   ReadProfile(iccid, content, snapshot.snapshot()));
  if (!record || (operator_id && record->operator_id() != *operator_id)) {
    return absl::NotFoundError(absl::StrCat("no profile with ICCID ", iccid));
  }
  return *std::move(record);
}

absl::StatusOr<store::ProfileRecord>
RocksDbProfileStore::GetProfileByMatchingId(absl::string_view matching_id) {
  RETURN_IF_ERROR(ValidateId("matching_id", matching_id, kMaxMatchingIdLength,
                             /*allow_empty=*/false));
  rocksdb::ManagedSnapshot snapshot(db_.get());
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot.snapshot();
  std::string iccid;
  rocksdb::Status s =
      db_->Get(ro, cf_->indexes, ik::MatchingIdKey(matching_id), &iccid);
  if (!s.IsNotFound()) {
    RETURN_IF_ERROR(FromRocks(s, "read matchingId index", options_.path));
    ASSIGN_OR_RETURN(std::optional<store::ProfileRecord> record,
                     ReadProfile(iccid, /*content=*/false, ro.snapshot));
    if (record && record->order().matching_id() == matching_id) {
      return *std::move(record);
    }
  }
  return absl::NotFoundError("no profile with this matchingId");
}

absl::StatusOr<store::ProfileRecord>
RocksDbProfileStore::GetProfileByFunctionCall(
    absl::string_view operator_id, absl::string_view function_call_id) {
  RETURN_IF_ERROR(ValidateId("operator_id", operator_id, kMaxIdLength,
                             /*allow_empty=*/false));
  RETURN_IF_ERROR(ValidateId("function_call_id", function_call_id,
                             kMaxFunctionCallIdLength, /*allow_empty=*/false));
  rocksdb::ManagedSnapshot snapshot(db_.get());
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot.snapshot();
  std::string iccid;
  rocksdb::Status s =
      db_->Get(ro, cf_->indexes,
               ik::FunctionCallKey(operator_id, function_call_id), &iccid);
  if (!s.IsNotFound()) {
    RETURN_IF_ERROR(FromRocks(s, "read function call index", options_.path));
    ASSIGN_OR_RETURN(std::optional<store::ProfileRecord> record,
                     ReadProfile(iccid, /*content=*/false, ro.snapshot));
    if (record && record->operator_id() == operator_id &&
        record->order().function_call_id() == function_call_id) {
      return *std::move(record);
    }
  }
  return absl::NotFoundError("no order from this function call");
}

absl::StatusOr<std::vector<store::ProfileRecord>>
RocksDbProfileStore::GetProfilesByEid(absl::string_view eid) {
  RETURN_IF_ERROR(ValidateId("eid", eid, kMaxEidLength, false));
  rocksdb::ManagedSnapshot snapshot(db_.get());
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot.snapshot();
  const std::string prefix = ik::EidPrefix(eid);
  const std::string upper = ik::PrefixUpperBound(prefix);
  rocksdb::Slice upper_slice(upper);
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf_->indexes));
  std::vector<store::ProfileRecord> out;
  for (it->Seek(prefix); it->Valid() && out.size() < kMaxByEid; it->Next()) {
    absl::string_view iccid = ik::IccidAfterLastNul(ToView(it->key()));
    ASSIGN_OR_RETURN(std::optional<store::ProfileRecord> record,
                     ReadProfile(iccid, /*content=*/false, ro.snapshot));
    if (record && record->order().eid() == eid)
      out.push_back(*std::move(record));
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "scan EID index", options_.path));
  std::sort(out.begin(), out.end(),
            [](const store::ProfileRecord& a, const store::ProfileRecord& b) {
              return std::make_pair(a.order().created_at_ms(), a.iccid()) <
                     std::make_pair(b.order().created_at_ms(), b.iccid());
            });
  return out;
}

absl::StatusOr<ProfilePage> RocksDbProfileStore::ListProfiles(
    const ProfileQuery& query) {
  // Validation: every bad field, named once.
  std::vector<std::string> errors;
  size_t page_size = query.page_size == 0 ? kDefaultPageSize : query.page_size;
  if (page_size > kMaxPageSize) {
    errors.push_back(absl::StrCat("page_size: at most ", kMaxPageSize));
  }
  if (query.state && !IsKnownState(*query.state)) {
    errors.push_back("state: unknown");
  }
  for (auto [name, value] : {std::pair<absl::string_view, absl::string_view>{
                                 "profile_type", query.profile_type},
                             {"batch_id", query.batch_id},
                             {"operator_id", query.operator_id}}) {
    absl::Status s = ValidateId(name, value, kMaxIdLength, true);
    if (!s.ok()) errors.emplace_back(s.message());
  }
  if (!errors.empty()) {
    return absl::InvalidArgumentError(absl::StrJoin(errors, "; "));
  }

  // Which range to walk: the narrowest index the filters allow.
  enum class Kind { kBatch, kState, kOperator, kAll };
  Kind kind;
  std::string prefix;
  rocksdb::ColumnFamilyHandle* cf = cf_->indexes;
  if (!query.batch_id.empty()) {
    kind = Kind::kBatch;
    prefix = ik::BatchMemberPrefix(query.batch_id);
  } else if (query.state) {
    kind = Kind::kState;
    prefix = query.operator_id.empty()
                 ? ik::StatePrefix(*query.state)
                 : ik::StateOperatorPrefix(*query.state, query.operator_id);
  } else if (!query.operator_id.empty()) {
    kind = Kind::kOperator;
    prefix = ik::OperatorPrefix(query.operator_id);
  } else {
    kind = Kind::kAll;
    cf = cf_->profiles;
  }
  // Length-prefixed, so that no two queries share an input.
  std::string fingerprint_input =
      absl::StrCat(query.state ? static_cast<int>(*query.state) : -1, ";",
                   query.profile_type.size(), ":", query.profile_type, ";",
                   query.batch_id.size(), ":", query.batch_id, ";",
                   query.operator_id.size(), ":", query.operator_id);
  const uint64_t fingerprint = Fnv1a(fingerprint_input);

  std::string position;
  if (!query.page_token.empty()) {
    std::string raw;
    if (!absl::WebSafeBase64Unescape(query.page_token, &raw) ||
        raw.size() < kTokenMagic.size() + 8 ||
        absl::string_view(raw).substr(0, kTokenMagic.size()) != kTokenMagic ||
        ik::DecodeU64(absl::string_view(raw).substr(kTokenMagic.size(), 8)) !=
            fingerprint) {
      return absl::InvalidArgumentError(
          "page_token: not a token of this query");
    }
    position = raw.substr(kTokenMagic.size() + 8);
    if (position.size() <= prefix.size() ||
        absl::string_view(position).substr(0, prefix.size()) != prefix) {
      return absl::InvalidArgumentError(
          "page_token: not a token of this query");
    }
  }

  rocksdb::ManagedSnapshot snapshot(db_.get());
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot.snapshot();
  if (kind == Kind::kBatch) {
    ASSIGN_OR_RETURN(bool visible, IsBatchVisible(query.batch_id, ro.snapshot));
    if (!visible) return ProfilePage{};
  }
  const std::string upper = ik::PrefixUpperBound(prefix);
  rocksdb::Slice upper_slice(upper);
  if (!upper.empty()) ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf));

  ProfilePage page;
  std::string last;
  bool more = false;
  size_t scanned = 0;
  absl::flat_hash_map<std::string, bool> batch_visible;
  it->Seek(position.empty() ? rocksdb::Slice(prefix)
                            : rocksdb::Slice(position));
  if (!position.empty() && it->Valid() && ToView(it->key()) == position) {
    it->Next();
  }
  for (; it->Valid(); it->Next()) {
    if (scanned == options_.list_scan_limit) {
      more = true;  // a short page; continue after `last`
      break;
    }
    ++scanned;
    last.assign(it->key().data(), it->key().size());
    std::optional<store::ProfileRecord> record;
    if (kind == Kind::kAll) {
      ASSIGN_OR_RETURN(
          store::ProfileRecord head,
          Parse<store::ProfileRecord>(ToView(it->value()), "profile"));
      auto [slot, inserted] = batch_visible.try_emplace(head.batch_id(), false);
      if (inserted) {
        ASSIGN_OR_RETURN(slot->second,
                         IsBatchVisible(head.batch_id(), ro.snapshot));
      }
      if (slot->second) record = std::move(head);
    } else {
      ASSIGN_OR_RETURN(record, ReadProfile(ik::IccidAfterLastNul(last),
                                           /*content=*/false, ro.snapshot));
    }
    if (!record) continue;
    if ((query.state && record->state() != *query.state) ||
        (!query.profile_type.empty() &&
         record->profile_type() != query.profile_type) ||
        (!query.batch_id.empty() && record->batch_id() != query.batch_id) ||
        (!query.operator_id.empty() &&
         record->operator_id() != query.operator_id)) {
      continue;
    }
    page.profiles.push_back(*std::move(record));
    if (page.profiles.size() == page_size) {
      it->Next();
      more = it->Valid();
      break;
    }
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "list profiles", options_.path));
  if (more) page.next_page_token = EncodePageToken(fingerprint, last);
  return page;
}

absl::Status RocksDbProfileStore::MoveUniqueIndexEntry(
    rocksdb::WriteBatch& wb, const std::string& old_key,
    const std::string& new_key, const std::string& iccid,
    absl::string_view index, absl::string_view taken) const {
  auto owner_of = [&](const std::string& key) -> absl::StatusOr<std::string> {
    std::string owner;
    rocksdb::Status s =
        db_->Get(rocksdb::ReadOptions(), cf_->indexes, key, &owner);
    if (s.IsNotFound()) return std::string();
    RETURN_IF_ERROR(FromRocks(s, absl::StrCat("read ", index), options_.path));
    return owner;
  };
  if (!new_key.empty()) {
    ASSIGN_OR_RETURN(std::string owner, owner_of(new_key));
    if (!owner.empty() && owner != iccid) {
      return absl::AlreadyExistsError(taken);
    }
    wb.Put(cf_->indexes, new_key, iccid);
  }
  if (!old_key.empty()) {
    ASSIGN_OR_RETURN(std::string owner, owner_of(old_key));
    if (owner == iccid) wb.Delete(cf_->indexes, old_key);
  }
  return absl::OkStatus();
}

absl::StatusOr<store::ProfileRecord> RocksDbProfileStore::ApplyTransition(
    const store::ProfileRecord& current, const TransitionRequest& request,
    store::ProfileState to) {
  const std::string& iccid = current.iccid();
  store::ProfileRecord next = current;
  if (request.mutate) {
    RETURN_IF_ERROR(request.mutate(next));
    std::vector<absl::string_view> changed;
    if (next.iccid() != current.iccid()) changed.push_back("iccid");
    if (next.state() != current.state()) changed.push_back("state");
    if (next.operator_id() != current.operator_id()) {
      changed.push_back("operator_id");
    }
    if (next.batch_id() != current.batch_id()) changed.push_back("batch_id");
    if (next.profile_type() != current.profile_type()) {
      changed.push_back("profile_type");
    }
    if (next.version() != current.version()) changed.push_back("version");
    if (!request.with_content && !SameContent(current, next)) {
      changed.push_back("content (without with_content)");
    }
    if (!changed.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("mutate may not change ", absl::StrJoin(changed, ", ")));
    }
  }
  if (to == store::AVAILABLE) {
    next.clear_order();  // an available profile carries no order
    next.clear_session_transaction_id();
  }
  RETURN_IF_ERROR(ValidateId("order.matching_id", next.order().matching_id(),
                             kMaxMatchingIdLength, true));
  RETURN_IF_ERROR(
      ValidateId("order.eid", next.order().eid(), kMaxEidLength, true));
  RETURN_IF_ERROR(ValidateId("order.function_call_id",
                             next.order().function_call_id(),
                             kMaxFunctionCallIdLength, true));
  const int64_t now_ms = NowMs();
  next.set_state(to);
  next.set_version(current.version() + 1);
  next.set_updated_at_ms(now_ms);

  rocksdb::WriteBatch wb;
  const std::string& op = current.operator_id();

  // matchingId: unique across profiles; the order's function call: unique
  // per operator. Both under the stripes of matching_id_locks_, taken in one
  // Lock() (a stripe is not reentrant). Function call keys start with their
  // tag, matchingIds never hold one: the two kinds cannot collide.
  internal::LockTable::Held mid_held;
  const std::string& old_mid = current.order().matching_id();
  const std::string& new_mid = next.order().matching_id();
  const std::string& old_fc = current.order().function_call_id();
  const std::string& new_fc = next.order().function_call_id();
  const std::string old_fc_key =
      old_fc.empty() ? std::string() : ik::FunctionCallKey(op, old_fc);
  const std::string new_fc_key =
      new_fc.empty() ? std::string() : ik::FunctionCallKey(op, new_fc);
  const bool mid_changed = old_mid != new_mid;
  const bool fc_changed = old_fc_key != new_fc_key;
  if (mid_changed || fc_changed) {
    std::vector<absl::string_view> keys;
    if (mid_changed && !old_mid.empty()) keys.push_back(old_mid);
    if (mid_changed && !new_mid.empty()) keys.push_back(new_mid);
    if (fc_changed && !old_fc_key.empty()) keys.push_back(old_fc_key);
    if (fc_changed && !new_fc_key.empty()) keys.push_back(new_fc_key);
    ASSIGN_OR_RETURN(mid_held,
                     matching_id_locks_->Lock(keys, options_.lock_timeout));
  }
  if (fc_changed) {
    RETURN_IF_ERROR(MoveUniqueIndexEntry(
        wb, old_fc_key, new_fc_key, iccid, "function call index",
        "the operator's function call already made another order"));
  }
  if (mid_changed) {
    RETURN_IF_ERROR(MoveUniqueIndexEntry(
        wb, old_mid.empty() ? std::string() : ik::MatchingIdKey(old_mid),
        new_mid.empty() ? std::string() : ik::MatchingIdKey(new_mid), iccid,
        "matchingId index", "matchingId is already bound to another profile"));
  }
  // EID.
  if (current.order().eid() != next.order().eid()) {
    if (!current.order().eid().empty()) {
      wb.Delete(cf_->indexes, ik::EidKey(current.order().eid(), iccid));
    }
    if (!next.order().eid().empty()) {
      wb.Put(cf_->indexes, ik::EidKey(next.order().eid(), iccid), "");
    }
  }
  // State and availability.
  if (current.state() != to) {
    wb.Delete(cf_->indexes, ik::StateKey(current.state(), op, iccid));
    wb.Put(cf_->indexes, ik::StateKey(to, op, iccid), "");
    const std::string available =
        ik::AvailableKey(op, current.profile_type(), iccid);
    if (current.state() == store::AVAILABLE) wb.Delete(cf_->indexes, available);
    if (to == store::AVAILABLE) wb.Put(cf_->indexes, available, "");
  }
  // Audit.
  ASSIGN_OR_RETURN(uint64_t seq, audit_seq_->Next(1));
  store::AuditEntry audit = request.audit;
  audit.set_seq(seq);
  audit.set_time_ms(now_ms);
  audit.set_iccid(iccid);
  audit.set_from_state(current.state());
  audit.set_to_state(to);
  wb.Put(cf_->audit, ik::AuditKey(seq), audit.SerializeAsString());
  wb.Put(cf_->audit, ik::AuditByIccidKey(iccid, seq), "");
  // Outbox.
  if (request.notify) {
    ASSIGN_OR_RETURN(uint64_t id, outbox_ids_->Next(1));
    store::OutboxEntry entry = *request.notify;
    entry.set_id(id);
    entry.set_created_at_ms(now_ms);
    if (entry.iccid().empty()) entry.set_iccid(iccid);
    if (entry.operator_id().empty()) entry.set_operator_id(op);
    if (entry.next_attempt_at_ms() == 0) entry.set_next_attempt_at_ms(now_ms);
    wb.Put(cf_->outbox, ik::OutboxKey(id), entry.SerializeAsString());
    wb.Put(cf_->outbox, ik::OutboxDueKey(entry.next_attempt_at_ms(), id), "");
    wb.Put(cf_->outbox, ik::OutboxByIccidKey(entry.iccid(), id), "");
  }
  // The record: the head always, the content only when it changed.
  store::ProfileRecord head = next;
  StripContent(head);
  wb.Put(cf_->profiles, iccid, head.SerializeAsString());
  if (!SameContent(current, next)) {
    store::ProfileRecord content;
    store::ProfileRecord copy = next;
    MoveContent(copy, content);
    wb.Put(cf_->content, iccid, content.SerializeAsString());
  }
  // The download session of the change, in the same commit.
  std::optional<internal::LockTable::Held> session_held;
  if (request.session) {
    const std::string& id = request.session->transaction_id();
    RETURN_IF_ERROR(ValidateTransactionId(id));
    ASSIGN_OR_RETURN(session_held, session_locks_->Lock({absl::string_view(id)},
                                                        options_.lock_timeout));
    RETURN_IF_ERROR(AddSessionPut(*request.session, wb));
  }
  RETURN_IF_ERROR(Write(wb, request.durable, "write transition"));
  return next;
}

absl::StatusOr<store::ProfileRecord> RocksDbProfileStore::Transition(
    const TransitionRequest& request) {
  RETURN_IF_ERROR(ValidateIccid(request.iccid));
  if (request.from.empty()) {
    return absl::InvalidArgumentError("from: at least one state");
  }
  if (!IsKnownState(request.to)) {
    return absl::InvalidArgumentError("to: unknown state");
  }
  ASSIGN_OR_RETURN(internal::LockTable::Held held,
                   profile_locks_->Lock({absl::string_view(request.iccid)},
                                        options_.lock_timeout));
  ASSIGN_OR_RETURN(std::optional<store::ProfileRecord> current,
                   ReadProfile(request.iccid, request.with_content, nullptr));
  if (!current ||
      (request.operator_id && current->operator_id() != *request.operator_id)) {
    return absl::NotFoundError(
        absl::StrCat("no profile with ICCID ", request.iccid));
  }
  if (std::find(request.from.begin(), request.from.end(), current->state()) ==
      request.from.end()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "profile ", request.iccid, " is ", StateName(current->state()),
        ", not ", StateList(request.from)));
  }
  if (!IsAllowedTransition(current->state(), request.to)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "profile ", request.iccid, ": ", StateName(current->state()), " -> ",
        StateName(request.to), " is not allowed"));
  }
  return ApplyTransition(*current, request, request.to);
}

absl::StatusOr<store::ProfileRecord> RocksDbProfileStore::AllocateProfile(
    absl::string_view operator_id, absl::string_view profile_type,
    const TransitionRequest& request) {
  RETURN_IF_ERROR(ValidateId("operator_id", operator_id, kMaxIdLength, false));
  RETURN_IF_ERROR(
      ValidateId("profile_type", profile_type, kMaxIdLength, false));
  const std::string prefix = ik::AvailablePrefix(operator_id, profile_type);
  const std::string upper = ik::PrefixUpperBound(prefix);
  const absl::Time deadline = absl::Now() + options_.lock_timeout;
  for (int round = 0;; ++round) {
    // Start after the last allocated entry (skipping the tombstones of those
    // before it), then wrap around to catch profiles given back since.
    std::string start;
    {
      absl::MutexLock lock(&hint_mu_);
      auto it = allocation_hint_.find(prefix);
      start = it == allocation_hint_.end() ? prefix : it->second;
    }
    bool busy = false;
    const std::pair<std::string, std::string> passes[2] = {{start, upper},
                                                           {prefix, start}};
    for (const auto& [from, to] : passes) {
      if (from >= to) continue;
      rocksdb::ReadOptions ro;
      rocksdb::Slice upper_slice(to);
      ro.iterate_upper_bound = &upper_slice;
      std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf_->indexes));
      for (it->Seek(from); it->Valid(); it->Next()) {
        std::string key = it->key().ToString();
        absl::string_view iccid = ik::IccidAfterLastNul(key);
        // A candidate another allocation holds is skipped, not waited for:
        // concurrent allocations spread over the index instead of queueing
        // on its first entry.
        std::optional<internal::LockTable::Held> held =
            profile_locks_->TryLock(iccid);
        if (!held) {
          busy = true;
          continue;
        }
        ASSIGN_OR_RETURN(std::optional<store::ProfileRecord> current,
                         ReadProfile(iccid, request.with_content, nullptr));
        if (!current || current->state() != store::AVAILABLE ||
            current->operator_id() != operator_id ||
            current->profile_type() != profile_type) {
          continue;  // taken since the iterator's snapshot
        }
        absl::StatusOr<store::ProfileRecord> result =
            ApplyTransition(*current, request, store::ALLOCATED);
        if (result.ok()) {
          absl::MutexLock lock(&hint_mu_);
          allocation_hint_[prefix] = key;
        }
        return result;
      }
      RETURN_IF_ERROR(
          FromRocks(it->status(), "scan available index", options_.path));
    }
    if (!busy) {
      return absl::ResourceExhaustedError(
          absl::StrCat("no AVAILABLE profile of type ", profile_type,
                       " left for operator ", operator_id));
    }
    if (absl::Now() > deadline) {
      return absl::AbortedError(
          "timed out waiting for available profiles held by concurrent "
          "changes");
    }
    absl::SleepFor(absl::Microseconds(std::min(50 * (round + 1), 1000)));
  }
}

// --- Batches
// ------------------------------------------------------------------

absl::Status RocksDbProfileStore::BeginBatch(const store::BatchRecord& batch) {
  std::vector<std::string> errors;
  for (auto [name, value, allow_empty] :
       {std::tuple<absl::string_view, absl::string_view, bool>{
            "batch_id", batch.batch_id(), false},
        {"operator_id", batch.operator_id(), false},
        {"profile_type", batch.profile_type(), true}}) {
    absl::Status s = ValidateId(name, value, kMaxIdLength, allow_empty);
    if (!s.ok()) errors.emplace_back(s.message());
  }
  if (!errors.empty()) {
    return absl::InvalidArgumentError(absl::StrJoin(errors, "; "));
  }
  absl::MutexLock lock(&batch_mu_);
  ASSIGN_OR_RETURN(std::optional<store::BatchRecord> existing,
                   ReadBatch(batch.batch_id()));
  if (existing) {
    return absl::AlreadyExistsError(
        absl::StrCat("batch ", batch.batch_id(), " exists"));
  }
  store::BatchRecord record = batch;
  record.set_state(store::BatchRecord::PENDING);
  record.set_staged_count(0);
  record.set_completed_at_ms(0);
  if (record.created_at_ms() == 0) record.set_created_at_ms(NowMs());
  rocksdb::WriteBatch wb;
  wb.Put(cf_->batches, record.batch_id(), record.SerializeAsString());
  return Write(wb, /*sync=*/true, "write batch");
}

absl::Status RocksDbProfileStore::StageProfiles(
    absl::string_view batch_id,
    const std::vector<store::ProfileRecord>& profiles,
    uint64_t resume_position) {
  RETURN_IF_ERROR(ValidateId("batch_id", batch_id, kMaxIdLength, false));
  if (profiles.size() > kMaxStagePerCall) {
    return absl::InvalidArgumentError(absl::StrCat(
        "at most ", kMaxStagePerCall, " profiles per StageProfiles call"));
  }
  absl::MutexLock lock(&batch_mu_);
  ASSIGN_OR_RETURN(std::optional<store::BatchRecord> batch,
                   ReadBatch(batch_id));
  if (!batch) return absl::NotFoundError(absl::StrCat("no batch ", batch_id));
  if (batch->state() != store::BatchRecord::PENDING) {
    return absl::FailedPreconditionError(absl::StrCat(
        "batch ", batch_id, " is ",
        store::BatchRecord::State_Name(batch->state()), ", not PENDING"));
  }

  // Every bad record, named once (at most 20).
  std::vector<std::string> invalid;
  std::vector<std::string> duplicate;
  absl::flat_hash_set<absl::string_view> seen;
  for (size_t i = 0; i < profiles.size(); ++i) {
    const store::ProfileRecord& p = profiles[i];
    std::vector<std::string> bad;
    absl::Status s = ValidateIccid(p.iccid());
    if (!s.ok()) bad.emplace_back(s.message());
    if (p.state() != store::PROFILE_STATE_UNSPECIFIED &&
        p.state() != store::AVAILABLE) {
      bad.push_back("state must be AVAILABLE");
    }
    if (p.order().ByteSizeLong() != 0 || !p.session_transaction_id().empty()) {
      bad.push_back("order must be empty");
    }
    if (!p.operator_id().empty() && p.operator_id() != batch->operator_id()) {
      bad.push_back("operator_id differs from the batch's");
    }
    if (!p.batch_id().empty() && p.batch_id() != batch_id) {
      bad.push_back("batch_id differs");
    }
    if (!batch->profile_type().empty() && !p.profile_type().empty() &&
        p.profile_type() != batch->profile_type()) {
      bad.push_back("profile_type differs from the batch's");
    }
    if (p.profile_type().empty() && batch->profile_type().empty()) {
      bad.push_back("profile_type missing");
    }
    s = ValidateId("profile_type", p.profile_type(), kMaxIdLength, true);
    if (!s.ok()) bad.emplace_back(s.message());
    if (!bad.empty() && invalid.size() < 20) {
      invalid.push_back(absl::StrCat("profiles[", i, "] (",
                                     p.iccid().substr(0, 22),
                                     "): ", absl::StrJoin(bad, ", ")));
    }
    if (bad.empty() && !seen.insert(p.iccid()).second &&
        duplicate.size() < 20) {
      duplicate.push_back(p.iccid());
    }
  }
  if (!invalid.empty()) {
    return absl::InvalidArgumentError(absl::StrJoin(invalid, "; "));
  }
  if (!duplicate.empty()) {
    return absl::AlreadyExistsError(absl::StrCat(
        "ICCIDs twice in one call: ", absl::StrJoin(duplicate, ", ")));
  }

  // ICCIDs already in the store: only our own batch's may be replaced.
  std::vector<rocksdb::Slice> keys;
  keys.reserve(profiles.size());
  for (const auto& p : profiles) keys.push_back(ToSlice(p.iccid()));
  std::vector<std::string> values;
  std::vector<rocksdb::Status> statuses = db_->MultiGet(
      rocksdb::ReadOptions(),
      std::vector<rocksdb::ColumnFamilyHandle*>(keys.size(), cf_->profiles),
      keys, &values);
  uint64_t added = 0;
  std::vector<std::string> taken;
  for (size_t i = 0; i < profiles.size(); ++i) {
    if (statuses[i].IsNotFound()) {
      ++added;
      continue;
    }
    RETURN_IF_ERROR(FromRocks(statuses[i], "read profile", options_.path));
    ASSIGN_OR_RETURN(store::ProfileRecord existing,
                     Parse<store::ProfileRecord>(values[i], "profile"));
    if (existing.batch_id() != batch_id && taken.size() < 20) {
      taken.push_back(profiles[i].iccid());
    }
  }
  if (!taken.empty()) {
    return absl::AlreadyExistsError(
        absl::StrCat("ICCIDs already imported in another batch: ",
                     absl::StrJoin(taken, ", ")));
  }

  const int64_t now_ms = NowMs();
  rocksdb::WriteBatch wb;
  for (const store::ProfileRecord& p : profiles) {
    store::ProfileRecord head = p;
    store::ProfileRecord content;
    MoveContent(head, content);
    head.set_state(store::AVAILABLE);
    head.set_operator_id(batch->operator_id());
    head.set_batch_id(std::string(batch_id));
    if (head.profile_type().empty()) {
      head.set_profile_type(batch->profile_type());
    }
    head.set_version(1);
    head.set_updated_at_ms(now_ms);
    wb.Put(cf_->profiles, head.iccid(), head.SerializeAsString());
    wb.Put(cf_->content, head.iccid(), content.SerializeAsString());
    wb.Put(cf_->indexes, ik::BatchMemberKey(batch_id, head.iccid()),
           head.profile_type());
  }
  batch->set_staged_count(batch->staged_count() + added);
  batch->set_resume_position(resume_position);
  wb.Put(cf_->batches, ToSlice(batch_id), batch->SerializeAsString());
  return Write(wb, /*sync=*/true, "stage profiles");
}

absl::Status RocksDbProfileStore::CommitBatch(absl::string_view batch_id) {
  RETURN_IF_ERROR(ValidateId("batch_id", batch_id, kMaxIdLength, false));
  absl::MutexLock lock(&batch_mu_);
  ASSIGN_OR_RETURN(std::optional<store::BatchRecord> batch,
                   ReadBatch(batch_id));
  if (!batch) return absl::NotFoundError(absl::StrCat("no batch ", batch_id));
  if (batch->state() != store::BatchRecord::PENDING) {
    return absl::FailedPreconditionError(absl::StrCat(
        "batch ", batch_id, " is ",
        store::BatchRecord::State_Name(batch->state()), ", not PENDING"));
  }
  if (batch->expected_count() != 0 &&
      batch->expected_count() != batch->staged_count()) {
    return absl::FailedPreconditionError(
        absl::StrCat("batch ", batch_id, " has ", batch->staged_count(),
                     " of its ", batch->expected_count(), " profiles"));
  }
  // The members and their types, from the batch index.
  std::vector<std::pair<std::string, std::string>> members;
  {
    const std::string prefix = ik::BatchMemberPrefix(batch_id);
    const std::string upper = ik::PrefixUpperBound(prefix);
    rocksdb::Slice upper_slice(upper);
    rocksdb::ReadOptions ro;
    ro.iterate_upper_bound = &upper_slice;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf_->indexes));
    for (it->Seek(prefix); it->Valid(); it->Next()) {
      members.emplace_back(
          std::string(ik::IccidAfterLastNul(ToView(it->key()))),
          it->value().ToString());
    }
    RETURN_IF_ERROR(FromRocks(it->status(), "scan batch", options_.path));
  }
  if (members.size() != batch->staged_count()) {
    return absl::DataLossError(
        absl::StrCat("batch ", batch_id, " lists ", members.size(),
                     " profiles but counted ", batch->staged_count()));
  }
  const int64_t now_ms = NowMs();
  const std::string& op = batch->operator_id();
  rocksdb::WriteBatch wb;
  uint64_t seq = 0;
  if (!members.empty()) {
    ASSIGN_OR_RETURN(seq, audit_seq_->Next(members.size()));
  }
  store::AuditEntry audit;
  audit.set_time_ms(now_ms);
  audit.set_actor("system");
  audit.set_action("CommitBatch");
  audit.set_detail(absl::StrCat("batch ", batch_id));
  audit.set_from_state(store::PROFILE_STATE_UNSPECIFIED);
  audit.set_to_state(store::AVAILABLE);
  for (const auto& [iccid, type] : members) {
    wb.Put(cf_->indexes, ik::AvailableKey(op, type, iccid), "");
    wb.Put(cf_->indexes, ik::StateKey(store::AVAILABLE, op, iccid), "");
    wb.Put(cf_->indexes, ik::OperatorKey(op, iccid), "");
    audit.set_seq(seq);
    audit.set_iccid(iccid);
    wb.Put(cf_->audit, ik::AuditKey(seq), audit.SerializeAsString());
    wb.Put(cf_->audit, ik::AuditByIccidKey(iccid, seq), "");
    ++seq;
  }
  batch->set_state(store::BatchRecord::COMPLETE);
  batch->set_completed_at_ms(now_ms);
  wb.Put(cf_->batches, ToSlice(batch_id), batch->SerializeAsString());
  RETURN_IF_ERROR(Write(wb, /*sync=*/true, "commit batch"));
  absl::MutexLock visible(&visible_mu_);
  complete_batches_.insert(std::string(batch_id));
  return absl::OkStatus();
}

absl::Status RocksDbProfileStore::AbortBatch(absl::string_view batch_id) {
  RETURN_IF_ERROR(ValidateId("batch_id", batch_id, kMaxIdLength, false));
  absl::MutexLock lock(&batch_mu_);
  ASSIGN_OR_RETURN(std::optional<store::BatchRecord> batch,
                   ReadBatch(batch_id));
  if (!batch) return absl::NotFoundError(absl::StrCat("no batch ", batch_id));
  if (batch->state() != store::BatchRecord::PENDING) {
    return absl::FailedPreconditionError(absl::StrCat(
        "batch ", batch_id, " is ",
        store::BatchRecord::State_Name(batch->state()), ", not PENDING"));
  }
  rocksdb::WriteBatch wb;
  const std::string prefix = ik::BatchMemberPrefix(batch_id);
  const std::string upper = ik::PrefixUpperBound(prefix);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf_->indexes));
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    rocksdb::Slice iccid = ToSlice(ik::IccidAfterLastNul(ToView(it->key())));
    wb.Delete(cf_->profiles, iccid);
    wb.Delete(cf_->content, iccid);
    wb.Delete(cf_->indexes, it->key());
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "scan batch", options_.path));
  batch->set_state(store::BatchRecord::ABORTED);
  batch->set_completed_at_ms(NowMs());
  wb.Put(cf_->batches, ToSlice(batch_id), batch->SerializeAsString());
  return Write(wb, /*sync=*/true, "abort batch");
}

absl::StatusOr<store::BatchRecord> RocksDbProfileStore::GetBatch(
    absl::string_view batch_id) {
  RETURN_IF_ERROR(ValidateId("batch_id", batch_id, kMaxIdLength, false));
  ASSIGN_OR_RETURN(std::optional<store::BatchRecord> batch,
                   ReadBatch(batch_id));
  if (!batch) return absl::NotFoundError(absl::StrCat("no batch ", batch_id));
  return *std::move(batch);
}

// --- Sessions
// -----------------------------------------------------------------

absl::Status RocksDbProfileStore::PutSession(
    const store::SessionRecord& session, bool durable) {
  const std::string& id = session.transaction_id();
  RETURN_IF_ERROR(ValidateTransactionId(id));
  ASSIGN_OR_RETURN(
      internal::LockTable::Held held,
      session_locks_->Lock({absl::string_view(id)}, options_.lock_timeout));
  rocksdb::WriteBatch wb;
  RETURN_IF_ERROR(AddSessionPut(session, wb));
  return Write(wb, durable, "write session");
}

absl::Status RocksDbProfileStore::AddSessionPut(
    const store::SessionRecord& session, rocksdb::WriteBatch& wb) {
  const std::string& id = session.transaction_id();
  std::string old_value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), cf_->sessions,
                               ik::SessionKey(id), &old_value);
  if (!s.IsNotFound()) {
    RETURN_IF_ERROR(FromRocks(s, "read session", options_.path));
    ASSIGN_OR_RETURN(store::SessionRecord old,
                     Parse<store::SessionRecord>(old_value, "session"));
    if (old.expires_at_ms() != 0 &&
        old.expires_at_ms() != session.expires_at_ms()) {
      wb.Delete(cf_->sessions, ik::SessionExpiryKey(old.expires_at_ms(), id));
    }
  }
  if (session.expires_at_ms() != 0) {
    wb.Put(cf_->sessions, ik::SessionExpiryKey(session.expires_at_ms(), id),
           "");
  }
  wb.Put(cf_->sessions, ik::SessionKey(id), session.SerializeAsString());
  return absl::OkStatus();
}

absl::StatusOr<store::SessionRecord> RocksDbProfileStore::GetSession(
    absl::string_view transaction_id, absl::Time now) {
  RETURN_IF_ERROR(ValidateTransactionId(transaction_id));
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), cf_->sessions,
                               ik::SessionKey(transaction_id), &value);
  if (!s.IsNotFound()) {
    RETURN_IF_ERROR(FromRocks(s, "read session", options_.path));
    ASSIGN_OR_RETURN(store::SessionRecord session,
                     Parse<store::SessionRecord>(value, "session"));
    if (session.expires_at_ms() == 0 || session.expires_at_ms() > ToMs(now)) {
      return session;
    }
  }
  return absl::NotFoundError("unknown or expired transactionId");
}

absl::Status RocksDbProfileStore::DeleteSession(
    absl::string_view transaction_id) {
  RETURN_IF_ERROR(ValidateTransactionId(transaction_id));
  ASSIGN_OR_RETURN(
      internal::LockTable::Held held,
      session_locks_->Lock({transaction_id}, options_.lock_timeout));
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), cf_->sessions,
                               ik::SessionKey(transaction_id), &value);
  if (s.IsNotFound()) return absl::OkStatus();
  RETURN_IF_ERROR(FromRocks(s, "read session", options_.path));
  ASSIGN_OR_RETURN(store::SessionRecord session,
                   Parse<store::SessionRecord>(value, "session"));
  rocksdb::WriteBatch wb;
  wb.Delete(cf_->sessions, ik::SessionKey(transaction_id));
  if (session.expires_at_ms() != 0) {
    wb.Delete(cf_->sessions,
              ik::SessionExpiryKey(session.expires_at_ms(), transaction_id));
  }
  return Write(wb, /*sync=*/true, "delete session");
}

absl::StatusOr<std::vector<store::SessionRecord>>
RocksDbProfileStore::DeleteExpiredSessions(absl::Time now, size_t limit) {
  limit = std::min(limit, kMaxSweep);
  const int64_t now_ms = ToMs(now);
  // Expiry keys with expires_at <= now.
  std::vector<std::pair<std::string, std::string>> candidates;  // key, txid
  {
    const std::string upper =
        std::string(1, ik::kSessionExpiryTag) + ik::EncodeTimeMs(now_ms + 1);
    rocksdb::Slice upper_slice(upper);
    rocksdb::ReadOptions ro;
    ro.iterate_upper_bound = &upper_slice;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf_->sessions));
    for (it->Seek(std::string(1, ik::kSessionExpiryTag));
         it->Valid() && candidates.size() < limit; it->Next()) {
      absl::string_view key = ToView(it->key());
      if (key.size() < 9) continue;
      candidates.emplace_back(std::string(key), std::string(key.substr(9)));
    }
    RETURN_IF_ERROR(FromRocks(it->status(), "scan sessions", options_.path));
  }
  std::vector<store::SessionRecord> expired;
  if (candidates.empty()) return expired;
  std::vector<absl::string_view> ids;
  for (const auto& c : candidates) ids.push_back(c.second);
  ASSIGN_OR_RETURN(internal::LockTable::Held held,
                   session_locks_->Lock(ids, options_.lock_timeout));
  rocksdb::WriteBatch wb;
  for (const auto& [expiry_key, id] : candidates) {
    std::string value;
    rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), cf_->sessions,
                                 ik::SessionKey(id), &value);
    std::optional<store::SessionRecord> session;
    if (!s.IsNotFound()) {
      RETURN_IF_ERROR(FromRocks(s, "read session", options_.path));
      ASSIGN_OR_RETURN(session, Parse<store::SessionRecord>(value, "session"));
    }
    // The session may have been deleted or extended since the scan.
    if (!session || session->expires_at_ms() == 0 ||
        session->expires_at_ms() > now_ms) {
      continue;
    }
    wb.Delete(cf_->sessions, ik::SessionKey(id));
    wb.Delete(cf_->sessions,
              ik::SessionExpiryKey(session->expires_at_ms(), id));
    expired.push_back(*std::move(session));
  }
  if (wb.Count() > 0) {
    RETURN_IF_ERROR(Write(wb, /*sync=*/true, "delete expired sessions"));
  }
  return expired;
}

// --- Outbox
// -------------------------------------------------------------------

absl::StatusOr<std::vector<store::OutboxEntry>>
RocksDbProfileStore::LeaseOutbox(absl::Time now, size_t limit,
                                 absl::Duration lease) {
  if (lease <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("lease: must be positive");
  }
  limit = std::min(limit, kMaxSweep);
  const int64_t now_ms = ToMs(now);
  const int64_t until_ms = ToMs(now + lease);
  absl::MutexLock lock(&outbox_mu_);
  std::vector<store::OutboxEntry> leased;
  rocksdb::WriteBatch wb;
  {
    const std::string upper =
        std::string(1, ik::kOutboxDueTag) + ik::EncodeTimeMs(now_ms + 1);
    rocksdb::Slice upper_slice(upper);
    rocksdb::ReadOptions ro;
    ro.iterate_upper_bound = &upper_slice;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf_->outbox));
    // Entries waiting behind an earlier one of their profile are passed
    // over; at most this many due entries are looked at per call.
    size_t examined = 0;
    const size_t max_examined = 4 * limit + 1000;
    for (it->Seek(std::string(1, ik::kOutboxDueTag));
         it->Valid() && leased.size() < limit && examined < max_examined;
         it->Next()) {
      ++examined;
      absl::string_view key = ToView(it->key());
      std::optional<uint64_t> id =
          key.size() == 17 ? ik::DecodeU64(key.substr(9)) : std::nullopt;
      if (!id) continue;
      std::string value;
      rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), cf_->outbox,
                                   ik::OutboxKey(*id), &value);
      if (s.IsNotFound()) {
        wb.Delete(cf_->outbox, it->key());  // stale due entry
        continue;
      }
      RETURN_IF_ERROR(FromRocks(s, "read outbox entry", options_.path));
      ASSIGN_OR_RETURN(store::OutboxEntry entry,
                       Parse<store::OutboxEntry>(value, "outbox entry"));
      if (ik::OutboxDueKey(entry.next_attempt_at_ms(), *id) != key) {
        wb.Delete(cf_->outbox, it->key());
        continue;
      }
      ASSIGN_OR_RETURN(std::optional<uint64_t> first,
                       FirstOutboxIdOf(entry.iccid()));
      if (first.has_value() && *first < *id) continue;  // not its turn yet
      wb.Delete(cf_->outbox, it->key());
      entry.set_next_attempt_at_ms(until_ms);
      wb.Put(cf_->outbox, ik::OutboxDueKey(until_ms, *id), "");
      wb.Put(cf_->outbox, ik::OutboxKey(*id), entry.SerializeAsString());
      leased.push_back(std::move(entry));
    }
    RETURN_IF_ERROR(FromRocks(it->status(), "scan outbox", options_.path));
  }
  if (wb.Count() > 0) {
    RETURN_IF_ERROR(Write(wb, /*sync=*/true, "lease outbox"));
  }
  return leased;
}

absl::StatusOr<std::optional<uint64_t>> RocksDbProfileStore::FirstOutboxIdOf(
    absl::string_view iccid) {
  const std::string prefix = ik::OutboxByIccidPrefix(iccid);
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), cf_->outbox));
  it->Seek(prefix);
  RETURN_IF_ERROR(FromRocks(it->status(), "scan outbox", options_.path));
  if (!it->Valid()) return std::nullopt;
  absl::string_view key = ToView(it->key());
  if (!absl::StartsWith(key, prefix) || key.size() != prefix.size() + 8) {
    return std::nullopt;
  }
  return ik::DecodeU64(key.substr(prefix.size()));
}

absl::StatusOr<store::OutboxEntry> RocksDbProfileStore::ReadOutboxEntry(
    uint64_t id) {
  std::string value;
  rocksdb::Status s =
      db_->Get(rocksdb::ReadOptions(), cf_->outbox, ik::OutboxKey(id), &value);
  if (s.IsNotFound()) {
    return absl::NotFoundError(absl::StrCat("no outbox entry ", id));
  }
  RETURN_IF_ERROR(FromRocks(s, "read outbox entry", options_.path));
  return Parse<store::OutboxEntry>(value, "outbox entry");
}

absl::Status RocksDbProfileStore::AckOutbox(uint64_t id) {
  absl::MutexLock lock(&outbox_mu_);
  ASSIGN_OR_RETURN(store::OutboxEntry entry, ReadOutboxEntry(id));
  rocksdb::WriteBatch wb;
  wb.Delete(cf_->outbox, ik::OutboxKey(id));
  wb.Delete(cf_->outbox, ik::OutboxDueKey(entry.next_attempt_at_ms(), id));
  wb.Delete(cf_->outbox, ik::OutboxByIccidKey(entry.iccid(), id));
  return Write(wb, /*sync=*/true, "ack outbox");
}

absl::Status RocksDbProfileStore::RetryOutbox(uint64_t id,
                                              absl::Time next_attempt) {
  absl::MutexLock lock(&outbox_mu_);
  ASSIGN_OR_RETURN(store::OutboxEntry entry, ReadOutboxEntry(id));
  rocksdb::WriteBatch wb;
  wb.Delete(cf_->outbox, ik::OutboxDueKey(entry.next_attempt_at_ms(), id));
  entry.set_attempts(entry.attempts() + 1);
  entry.set_next_attempt_at_ms(ToMs(next_attempt));
  wb.Put(cf_->outbox, ik::OutboxDueKey(entry.next_attempt_at_ms(), id), "");
  wb.Put(cf_->outbox, ik::OutboxKey(id), entry.SerializeAsString());
  return Write(wb, /*sync=*/true, "retry outbox");
}

// --- Audit
// --------------------------------------------------------------------

absl::StatusOr<std::vector<store::AuditEntry>> RocksDbProfileStore::GetAudit(
    absl::string_view iccid) {
  RETURN_IF_ERROR(ValidateIccid(iccid));
  rocksdb::ManagedSnapshot snapshot(db_.get());
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot.snapshot();
  std::vector<std::string> keys;
  {
    const std::string prefix = ik::AuditByIccidPrefix(iccid);
    const std::string upper = ik::PrefixUpperBound(prefix);
    rocksdb::Slice upper_slice(upper);
    rocksdb::ReadOptions scan = ro;
    scan.iterate_upper_bound = &upper_slice;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(scan, cf_->audit));
    for (it->Seek(prefix); it->Valid() && keys.size() < kMaxAuditPerIccid;
         it->Next()) {
      absl::string_view key = ToView(it->key());
      std::optional<uint64_t> seq = ik::DecodeU64(key.substr(prefix.size()));
      if (seq) keys.push_back(ik::AuditKey(*seq));
    }
    RETURN_IF_ERROR(FromRocks(it->status(), "scan audit", options_.path));
  }
  std::vector<rocksdb::Slice> slices(keys.begin(), keys.end());
  std::vector<std::string> values;
  std::vector<rocksdb::Status> statuses = db_->MultiGet(
      ro, std::vector<rocksdb::ColumnFamilyHandle*>(keys.size(), cf_->audit),
      slices, &values);
  std::vector<store::AuditEntry> out;
  out.reserve(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    RETURN_IF_ERROR(FromRocks(statuses[i], "read audit entry", options_.path));
    ASSIGN_OR_RETURN(store::AuditEntry entry,
                     Parse<store::AuditEntry>(values[i], "audit entry"));
    out.push_back(std::move(entry));
  }
  return out;
}

absl::Status RocksDbProfileStore::AppendAudit(store::AuditEntry entry) {
  if (!entry.iccid().empty()) RETURN_IF_ERROR(ValidateIccid(entry.iccid()));
  ASSIGN_OR_RETURN(uint64_t seq, audit_seq_->Next(1));
  entry.set_seq(seq);
  entry.set_time_ms(NowMs());
  entry.set_from_state(store::PROFILE_STATE_UNSPECIFIED);
  entry.set_to_state(store::PROFILE_STATE_UNSPECIFIED);
  rocksdb::WriteBatch wb;
  wb.Put(cf_->audit, ik::AuditKey(seq), entry.SerializeAsString());
  if (!entry.iccid().empty()) {
    wb.Put(cf_->audit, ik::AuditByIccidKey(entry.iccid(), seq), "");
  }
  return Write(wb, /*sync=*/true, "append audit");
}

// --- Verify
// -------------------------------------------------------------------

absl::StatusOr<StoreCheckReport> RocksDbProfileStore::Verify() {
  StoreCheckReport report;
  auto problem = [&report](auto&&... parts) {
    if (report.problems.size() < kMaxProblems) {
      report.problems.push_back(absl::StrCat(parts...));
    }
  };
  rocksdb::ManagedSnapshot snapshot(db_.get());
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot.snapshot();
  auto exists = [&](rocksdb::ColumnFamilyHandle* cf,
                    absl::string_view key) -> absl::StatusOr<bool> {
    rocksdb::PinnableSlice value;
    rocksdb::Status s = db_->Get(ro, cf, ToSlice(key), &value);
    if (s.IsNotFound()) return false;
    RETURN_IF_ERROR(FromRocks(s, "verify read", options_.path));
    return true;
  };
  auto read_head = [&](absl::string_view iccid)
      -> absl::StatusOr<std::optional<store::ProfileRecord>> {
    std::string value;
    rocksdb::Status s = db_->Get(ro, cf_->profiles, ToSlice(iccid), &value);
    if (s.IsNotFound()) return std::nullopt;
    RETURN_IF_ERROR(FromRocks(s, "verify read", options_.path));
    ASSIGN_OR_RETURN(store::ProfileRecord r,
                     Parse<store::ProfileRecord>(value, "profile"));
    return r;
  };
  auto scan = [&](rocksdb::ColumnFamilyHandle* cf, auto&& fn) -> absl::Status {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      RETURN_IF_ERROR(fn(ToView(it->key()), ToView(it->value())));
    }
    return FromRocks(it->status(), "verify scan", options_.path);
  };

  // Batches.
  absl::flat_hash_map<std::string, store::BatchRecord> batches;
  RETURN_IF_ERROR(
      scan(cf_->batches, [&](absl::string_view key, absl::string_view value) {
        ASSIGN_OR_RETURN(store::BatchRecord b,
                         Parse<store::BatchRecord>(value, "batch"));
        if (b.batch_id() != key)
          problem("batch key ", key, " holds ", b.batch_id());
        batches[std::string(key)] = std::move(b);
        ++report.batches;
        return absl::OkStatus();
      }));
  auto batch_state = [&](absl::string_view id) {
    auto it = batches.find(id);
    return it == batches.end() ? store::BatchRecord::STATE_UNSPECIFIED
                               : it->second.state();
  };

  // Records → their index entries, content and audit trail.
  absl::flat_hash_map<std::string, uint64_t> staged_per_batch;
  RETURN_IF_ERROR(scan(
      cf_->profiles,
      [&](absl::string_view key, absl::string_view value) -> absl::Status {
        ASSIGN_OR_RETURN(store::ProfileRecord p,
                         Parse<store::ProfileRecord>(value, "profile"));
        if (p.iccid() != key)
          problem("profile key ", key, " holds ", p.iccid());
        if (!p.protected_segments().empty() || p.has_sealed_ppk() ||
            p.has_sealed_profile()) {
          problem("profile ", key, ": content in the head");
        }
        ASSIGN_OR_RETURN(bool has_content, exists(cf_->content, key));
        if (!has_content) problem("profile ", key, ": no content");
        ASSIGN_OR_RETURN(
            bool member,
            exists(cf_->indexes, ik::BatchMemberKey(p.batch_id(), key)));
        if (!member) problem("profile ", key, ": not listed in its batch");
        switch (batch_state(p.batch_id())) {
          case store::BatchRecord::PENDING:
            ++report.staged_profiles;
            if (p.state() != store::AVAILABLE || p.version() != 1) {
              problem("staged profile ", key,
                      " changed: ", StateName(p.state()));
            }
            return absl::OkStatus();
          case store::BatchRecord::COMPLETE:
            break;
          default:
            problem("profile ", key, " of batch '", p.batch_id(),
                    "' that is missing or aborted");
            return absl::OkStatus();
        }
        ++report.profiles;
        const std::string& op = p.operator_id();
        if (op != batches[p.batch_id()].operator_id()) {
          problem("profile ", key, ": operator differs from its batch's");
        }
        std::vector<std::pair<std::string, absl::string_view>> expected = {
            {ik::StateKey(p.state(), op, key), "state"},
            {ik::OperatorKey(op, key), "operator"}};
        if (p.state() == store::AVAILABLE) {
          expected.push_back(
              {ik::AvailableKey(op, p.profile_type(), key), "available"});
        }
        if (!p.order().eid().empty()) {
          expected.push_back({ik::EidKey(p.order().eid(), key), "EID"});
        }
        for (const auto& [index_key, name] : expected) {
          ASSIGN_OR_RETURN(bool present, exists(cf_->indexes, index_key));
          if (!present) problem("profile ", key, ": no ", name, " index entry");
        }
        if (!p.order().matching_id().empty()) {
          std::string owner;
          rocksdb::Status s =
              db_->Get(ro, cf_->indexes,
                       ik::MatchingIdKey(p.order().matching_id()), &owner);
          if (!s.ok() || owner != key) {
            problem("profile ", key, ": matchingId ", p.order().matching_id(),
                    " indexed to '", owner, "' (", s.ToString(), ")");
          }
        }
        if (p.state() == store::AVAILABLE &&
            (p.order().ByteSizeLong() != 0 ||
             !p.session_transaction_id().empty())) {
          problem("AVAILABLE profile ", key, " carries an order");
        }
        // The audit trail: a chain of state changes ending in the state.
        const std::string prefix = ik::AuditByIccidPrefix(key);
        const std::string upper = ik::PrefixUpperBound(prefix);
        rocksdb::Slice upper_slice(upper);
        rocksdb::ReadOptions scan_ro = ro;
        scan_ro.iterate_upper_bound = &upper_slice;
        std::unique_ptr<rocksdb::Iterator> it(
            db_->NewIterator(scan_ro, cf_->audit));
        store::ProfileState last = store::PROFILE_STATE_UNSPECIFIED;
        uint64_t last_seq = 0;
        int changes = 0;
        for (it->Seek(prefix); it->Valid(); it->Next()) {
          std::optional<uint64_t> seq =
              ik::DecodeU64(ToView(it->key()).substr(prefix.size()));
          if (!seq) {
            problem("audit index key of ", key, " malformed");
            continue;
          }
          if (*seq <= last_seq && last_seq != 0) {
            problem("audit of ", key, ": seq not increasing");
          }
          last_seq = *seq;
          std::string value;
          rocksdb::Status s =
              db_->Get(ro, cf_->audit, ik::AuditKey(*seq), &value);
          if (!s.ok()) {
            problem("audit of ", key, ": entry ", *seq, " missing");
            continue;
          }
          ASSIGN_OR_RETURN(store::AuditEntry e,
                           Parse<store::AuditEntry>(value, "audit entry"));
          if (e.iccid() != key || e.seq() != *seq) {
            problem("audit entry ", *seq, " is not ", key, "'s");
          }
          if (e.to_state() == store::PROFILE_STATE_UNSPECIFIED) continue;
          if (e.from_state() != last) {
            problem("audit of ", key, ": entry ", *seq, " from ",
                    StateName(e.from_state()), " after ", StateName(last));
          }
          last = e.to_state();
          ++changes;
        }
        RETURN_IF_ERROR(FromRocks(it->status(), "verify scan", options_.path));
        if (last != p.state() || changes == 0) {
          problem("profile ", key, " is ", StateName(p.state()),
                  " but its audit trail ends in ", StateName(last));
        }
        if (p.version() != changes) {
          problem("profile ", key, " version ", p.version(), " after ", changes,
                  " audited changes");
        }
        return absl::OkStatus();
      }));

  // Index entries → records.
  RETURN_IF_ERROR(scan(
      cf_->indexes,
      [&](absl::string_view key, absl::string_view value) -> absl::Status {
        ++report.index_entries;
        if (key.empty()) {
          problem("empty index key");
          return absl::OkStatus();
        }
        const char tag = key[0];
        std::string iccid(tag == ik::kMatchingIdTag ||
                                  tag == ik::kFunctionCallTag
                              ? value
                              : ik::IccidAfterLastNul(key));
        ASSIGN_OR_RETURN(std::optional<store::ProfileRecord> p,
                         read_head(iccid));
        if (!p) {
          problem("index entry ", absl::CEscape(key), " without a record");
          return absl::OkStatus();
        }
        const bool visible =
            batch_state(p->batch_id()) == store::BatchRecord::COMPLETE;
        if (tag == ik::kBatchTag) {
          if (key != ik::BatchMemberKey(p->batch_id(), iccid) ||
              value != p->profile_type()) {
            problem("batch entry ", absl::CEscape(key), " disagrees with ",
                    iccid);
          }
          ++staged_per_batch[p->batch_id()];
          return absl::OkStatus();
        }
        if (!visible) {
          problem("index entry ", absl::CEscape(key), " of invisible ", iccid);
          return absl::OkStatus();
        }
        std::string want;
        switch (tag) {
          case ik::kMatchingIdTag:
            want = ik::MatchingIdKey(p->order().matching_id());
            break;
          case ik::kFunctionCallTag:
            if (!p->order().function_call_id().empty()) {
              want = ik::FunctionCallKey(p->operator_id(),
                                         p->order().function_call_id());
            }
            break;
          case ik::kEidTag:
            want = ik::EidKey(p->order().eid(), iccid);
            break;
          case ik::kAvailableTag:
            if (p->state() == store::AVAILABLE) {
              want =
                  ik::AvailableKey(p->operator_id(), p->profile_type(), iccid);
            }
            break;
          case ik::kStateTag:
            want = ik::StateKey(p->state(), p->operator_id(), iccid);
            break;
          case ik::kOperatorTag:
            want = ik::OperatorKey(p->operator_id(), iccid);
            break;
          default:
            break;
        }
        if (want != key) {
          problem("index entry ", absl::CEscape(key), " disagrees with ", iccid,
                  " (", StateName(p->state()), ")");
        }
        return absl::OkStatus();
      }));
  for (const auto& [id, b] : batches) {
    uint64_t listed = staged_per_batch[id];
    if (b.state() == store::BatchRecord::ABORTED ? listed != 0
                                                 : listed != b.staged_count()) {
      problem("batch ", id, " (", store::BatchRecord::State_Name(b.state()),
              ") lists ", listed, " profiles, counted ", b.staged_count());
    }
    if (b.state() == store::BatchRecord::COMPLETE && b.expected_count() != 0 &&
        b.expected_count() != b.staged_count()) {
      problem("complete batch ", id, " has ", b.staged_count(), " of ",
              b.expected_count());
    }
  }

  // Audit: global entries and the per-ICCID index.
  const uint64_t audit_reserved = audit_seq_->reserved();
  RETURN_IF_ERROR(scan(
      cf_->audit,
      [&](absl::string_view key, absl::string_view value) -> absl::Status {
        if (!key.empty() && key[0] == ik::kAuditTag) {
          ++report.audit_entries;
          std::optional<uint64_t> seq = ik::DecodeU64(key.substr(1));
          ASSIGN_OR_RETURN(store::AuditEntry e,
                           Parse<store::AuditEntry>(value, "audit entry"));
          if (!seq || e.seq() != *seq) problem("audit entry key/seq mismatch");
          if (seq && *seq >= audit_reserved) {
            problem("audit seq ", *seq, " not below the counter ",
                    audit_reserved);
          }
          if (!e.iccid().empty()) {
            ASSIGN_OR_RETURN(
                bool indexed,
                exists(cf_->audit, ik::AuditByIccidKey(e.iccid(), e.seq())));
            if (!indexed) problem("audit entry ", e.seq(), " not indexed");
          }
        }
        return absl::OkStatus();
      }));

  // Sessions and their expiry index.
  RETURN_IF_ERROR(scan(
      cf_->sessions,
      [&](absl::string_view key, absl::string_view value) -> absl::Status {
        if (key.empty()) {
          problem("empty session key");
        } else if (key[0] == ik::kSessionTag) {
          ++report.sessions;
          ASSIGN_OR_RETURN(store::SessionRecord s,
                           Parse<store::SessionRecord>(value, "session"));
          if (s.transaction_id() != key.substr(1))
            problem("session key mismatch");
          if (s.expires_at_ms() != 0) {
            ASSIGN_OR_RETURN(bool indexed,
                             exists(cf_->sessions,
                                    ik::SessionExpiryKey(s.expires_at_ms(),
                                                         s.transaction_id())));
            if (!indexed) problem("session without expiry entry");
          }
        } else if (key[0] == ik::kSessionExpiryTag && key.size() >= 9) {
          std::string value2;
          rocksdb::Status st = db_->Get(ro, cf_->sessions,
                                        ik::SessionKey(key.substr(9)), &value2);
          bool ok = false;
          if (st.ok()) {
            ASSIGN_OR_RETURN(store::SessionRecord s,
                             Parse<store::SessionRecord>(value2, "session"));
            ok = ik::SessionExpiryKey(s.expires_at_ms(), s.transaction_id()) ==
                 key;
          }
          if (!ok) problem("stale session expiry entry");
        } else {
          problem("unknown session key");
        }
        return absl::OkStatus();
      }));

  // Outbox and its due index.
  const uint64_t outbox_reserved = outbox_ids_->reserved();
  RETURN_IF_ERROR(scan(
      cf_->outbox,
      [&](absl::string_view key, absl::string_view value) -> absl::Status {
        if (key.empty()) {
          problem("empty outbox key");
        } else if (key[0] == ik::kOutboxTag) {
          ++report.outbox_entries;
          ASSIGN_OR_RETURN(store::OutboxEntry e,
                           Parse<store::OutboxEntry>(value, "outbox entry"));
          if (ik::OutboxKey(e.id()) != key) problem("outbox key mismatch");
          if (e.id() >= outbox_reserved) problem("outbox id above the counter");
          ASSIGN_OR_RETURN(
              bool indexed,
              exists(cf_->outbox,
                     ik::OutboxDueKey(e.next_attempt_at_ms(), e.id())));
          if (!indexed) problem("outbox entry ", e.id(), " without due entry");
          ASSIGN_OR_RETURN(
              bool ordered,
              exists(cf_->outbox, ik::OutboxByIccidKey(e.iccid(), e.id())));
          if (!ordered) {
            problem("outbox entry ", e.id(), " without its ICCID entry");
          }
        } else if (key[0] == ik::kOutboxDueTag && key.size() == 17) {
          std::optional<uint64_t> id = ik::DecodeU64(key.substr(9));
          std::string value2;
          rocksdb::Status st =
              db_->Get(ro, cf_->outbox, ik::OutboxKey(*id), &value2);
          bool ok = false;
          if (st.ok()) {
            ASSIGN_OR_RETURN(store::OutboxEntry e,
                             Parse<store::OutboxEntry>(value2, "outbox entry"));
            ok = ik::OutboxDueKey(e.next_attempt_at_ms(), e.id()) == key;
          }
          if (!ok) problem("stale outbox due entry");
        } else if (key[0] == ik::kOutboxByIccidTag && key.size() > 9) {
          std::optional<uint64_t> id =
              ik::DecodeU64(key.substr(key.size() - 8));
          std::string value2;
          rocksdb::Status st =
              db_->Get(ro, cf_->outbox, ik::OutboxKey(*id), &value2);
          if (!st.ok()) problem("outbox ICCID entry without its entry");
        } else {
          problem("unknown outbox key");
        }
        return absl::OkStatus();
      }));
  return report;
}

}  // namespace smdp::profiles
