// LockTable: a fixed array of exclusive locks ("stripes") that keys hash to,
// with bounded waits. The RocksDB store holds the stripe of every record it
// changes from its read until its write is committed, which makes each change
// a compare-and-set.
//
//   LockTable locks(4096);
//   ASSIGN_OR_RETURN(LockTable::Held held,
//                    locks.Lock({iccid}, absl::Seconds(5)));
//   ... read, check, write ...
//   // `held` releases the stripes when it goes out of scope.
//
// Several stripes are always taken in ascending index order, so two callers
// that each hold stripes of one table never deadlock; a caller that holds
// stripes of two tables must always take them in the same table order. Waits
// are bounded: Lock fails with Aborted after `timeout`.
//
// Thread-safe. Unrelated keys may share a stripe, which only costs waiting.
#ifndef SMDP_PROFILES_ROCKSDB_INTERNAL_LOCK_TABLE_H_
#define SMDP_PROFILES_ROCKSDB_INTERNAL_LOCK_TABLE_H_

#include <cstddef>
#include <memory>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

namespace smdp::profiles::internal {

class LockTable {
 public:
  // Stripes held by one caller; releases them when destroyed. Movable.
  class Held {
   public:
    Held() = default;
    Held(Held&& other) noexcept;
    Held& operator=(Held&& other) noexcept;
    ~Held();
    void Release();

   private:
    friend class LockTable;
    LockTable* table_ = nullptr;
    std::vector<size_t> stripes_;
  };

  explicit LockTable(size_t stripes);
  LockTable(const LockTable&) = delete;
  LockTable& operator=(const LockTable&) = delete;

  size_t StripeOf(absl::string_view key) const;

  // Takes the stripes of all `keys`; Aborted (holding nothing) when they are
  // not all free within `timeout`.
  [[nodiscard]] absl::StatusOr<Held> Lock(
      absl::Span<const absl::string_view> keys, absl::Duration timeout);

  // Takes the stripe of `key` only if it is free now.
  [[nodiscard]] std::optional<Held> TryLock(absl::string_view key);

 private:
  struct alignas(64) Stripe {
    absl::Mutex mu;
    bool free ABSL_GUARDED_BY(mu) = true;
  };

  void Unlock(size_t stripe);

  std::unique_ptr<Stripe[]> stripes_;
  size_t count_;
};

}  // namespace smdp::profiles::internal

#endif  // SMDP_PROFILES_ROCKSDB_INTERNAL_LOCK_TABLE_H_
