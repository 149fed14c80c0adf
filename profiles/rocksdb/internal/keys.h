// Key layout of the RocksDB profile store, one function per kind of key.
//
// Column families and their keys (`|` is concatenation, `\0` a NUL byte that
// ends a variable-length field; validated fields never contain NUL; u64 is
// 8 bytes big-endian; time is milliseconds since the epoch as u64 with the
// sign bit flipped, so that keys sort by time):
//
//   profiles   iccid                             → ProfileRecord (head: no
//                                                  content fields)
//   content    iccid                             → ProfileRecord (only
//                                                  protected_segments,
//                                                  sealed_ppk, sealed_profile)
//   batches    batch_id                          → BatchRecord
//   sessions   'T' | transaction_id              → SessionRecord
//              'X' | time(expires) | transaction_id → ""
//   outbox     'Q' | u64(id)                     → OutboxEntry
//              'D' | time(next_attempt) | u64(id) → ""
//              'P' | iccid | \0 | u64(id)      → "" (per-profile order)
//   audit      'G' | u64(seq)                    → AuditEntry
//              'I' | iccid | \0 | u64(seq)       → ""
//   indexes    'M' | matching_id                 → iccid (unique)
//              'E' | eid | \0 | iccid            → ""
//              'A' | operator | \0 | type | \0 | iccid → "" (AVAILABLE)
//              'S' | u8(state) | operator | \0 | iccid → ""
//              'O' | operator | \0 | iccid       → ""
//              'B' | batch_id | \0 | iccid       → profile_type
//   default    "meta/..."                        → counters, format version
//
// Index entries exist only for visible profiles (of a COMPLETE batch),
// except 'B', which lists a batch's profiles from the moment they are staged.
#ifndef SMDP_PROFILES_ROCKSDB_INTERNAL_KEYS_H_
#define SMDP_PROFILES_ROCKSDB_INTERNAL_KEYS_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "profiles/store.pb.h"

namespace smdp::profiles::internal {

// Fixed-width encodings.
std::string EncodeU64(uint64_t v);
std::optional<uint64_t> DecodeU64(absl::string_view bytes);
std::string EncodeTimeMs(int64_t ms);
int64_t DecodeTimeMs(absl::string_view bytes);  // 8 bytes

// The smallest key greater than every key that starts with `prefix` (for
// ReadOptions::iterate_upper_bound); empty when there is none.
std::string PrefixUpperBound(absl::string_view prefix);

// --- sessions ---
std::string SessionKey(absl::string_view transaction_id);
std::string SessionExpiryKey(int64_t expires_at_ms,
                             absl::string_view transaction_id);
inline constexpr char kSessionTag = 'T';
inline constexpr char kSessionExpiryTag = 'X';

// --- outbox ---
std::string OutboxKey(uint64_t id);
std::string OutboxDueKey(int64_t next_attempt_ms, uint64_t id);
inline constexpr char kOutboxTag = 'Q';
inline constexpr char kOutboxDueTag = 'D';
// The outbox entries of one ICCID in id order: only the first one may be
// sent (callbacks of a profile are delivered in order).
std::string OutboxByIccidKey(absl::string_view iccid, uint64_t id);
std::string OutboxByIccidPrefix(absl::string_view iccid);
inline constexpr char kOutboxByIccidTag = 'P';

// --- audit ---
std::string AuditKey(uint64_t seq);
std::string AuditByIccidKey(absl::string_view iccid, uint64_t seq);
std::string AuditByIccidPrefix(absl::string_view iccid);
inline constexpr char kAuditTag = 'G';
inline constexpr char kAuditByIccidTag = 'I';

// --- indexes ---
inline constexpr char kMatchingIdTag = 'M';
inline constexpr char kEidTag = 'E';
inline constexpr char kAvailableTag = 'A';
inline constexpr char kStateTag = 'S';
inline constexpr char kOperatorTag = 'O';
inline constexpr char kBatchTag = 'B';
// An order's ES2+ function call: operator, functionCallIdentifier → ICCID.
inline constexpr char kFunctionCallTag = 'F';

std::string MatchingIdKey(absl::string_view matching_id);
std::string EidKey(absl::string_view eid, absl::string_view iccid);
std::string FunctionCallKey(absl::string_view operator_id,
                            absl::string_view function_call_id);
std::string EidPrefix(absl::string_view eid);
std::string AvailableKey(absl::string_view operator_id,
                         absl::string_view profile_type,
                         absl::string_view iccid);
std::string AvailablePrefix(absl::string_view operator_id,
                            absl::string_view profile_type);
std::string StateKey(store::ProfileState state, absl::string_view operator_id,
                     absl::string_view iccid);
std::string StatePrefix(store::ProfileState state);
std::string StateOperatorPrefix(store::ProfileState state,
                                absl::string_view operator_id);
std::string OperatorKey(absl::string_view operator_id, absl::string_view iccid);
std::string OperatorPrefix(absl::string_view operator_id);
std::string BatchMemberKey(absl::string_view batch_id, absl::string_view iccid);
std::string BatchMemberPrefix(absl::string_view batch_id);

// The ICCID at the end of an 'E', 'A', 'S', 'O', 'B' or 'I'-less key: the
// text after the last NUL.
absl::string_view IccidAfterLastNul(absl::string_view key);

// --- default column family ---
inline constexpr char kFormatVersionKey[] = "meta/format_version";
inline constexpr char kAuditSeqKey[] = "meta/audit_seq_reserved";
inline constexpr char kOutboxIdKey[] = "meta/outbox_id_reserved";
inline constexpr char kFormatVersion[] = "1";

}  // namespace smdp::profiles::internal

#endif  // SMDP_PROFILES_ROCKSDB_INTERNAL_KEYS_H_
