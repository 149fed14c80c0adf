#include "profiles/rocksdb/internal/lock_table.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/hash/hash.h"
#include "absl/status/status.h"
#include "absl/time/clock.h"

namespace smdp::profiles::internal {

LockTable::Held::Held(Held&& other) noexcept
    : table_(std::exchange(other.table_, nullptr)),
      stripes_(std::move(other.stripes_)) {
  other.stripes_.clear();
}

LockTable::Held& LockTable::Held::operator=(Held&& other) noexcept {
  if (this != &other) {
    Release();
    table_ = std::exchange(other.table_, nullptr);
    stripes_ = std::move(other.stripes_);
    other.stripes_.clear();
  }
  return *this;
}

LockTable::Held::~Held() { Release(); }

void LockTable::Held::Release() {
  if (table_ != nullptr) {
    for (size_t s : stripes_) table_->Unlock(s);
  }
  table_ = nullptr;
  stripes_.clear();
}

LockTable::LockTable(size_t stripes)
    : stripes_(new Stripe[std::max<size_t>(stripes, 1)]),
      count_(std::max<size_t>(stripes, 1)) {}

size_t LockTable::StripeOf(absl::string_view key) const {
  return absl::Hash<absl::string_view>{}(key) % count_;
}

absl::StatusOr<LockTable::Held> LockTable::Lock(
    absl::Span<const absl::string_view> keys, absl::Duration timeout) {
  std::vector<size_t> wanted;
  wanted.reserve(keys.size());
  for (absl::string_view key : keys) wanted.push_back(StripeOf(key));
  std::sort(wanted.begin(), wanted.end());
  wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());

  Held held;
  held.table_ = this;
  const absl::Time deadline = absl::Now() + timeout;
  for (size_t s : wanted) {
    Stripe& stripe = stripes_[s];
    // Waits until the stripe is free; the mutex is held on return either way.
    bool got =
        stripe.mu.LockWhenWithDeadline(absl::Condition(&stripe.free), deadline);
    if (got) stripe.free = false;
    stripe.mu.Unlock();
    if (!got) {
      return absl::AbortedError(
          "timed out waiting for a record held by a concurrent change");
    }
    held.stripes_.push_back(s);
  }
  return held;
}

std::optional<LockTable::Held> LockTable::TryLock(absl::string_view key) {
  size_t s = StripeOf(key);
  Stripe& stripe = stripes_[s];
  absl::MutexLock lock(&stripe.mu);
  if (!stripe.free) return std::nullopt;
  stripe.free = false;
  Held held;
  held.table_ = this;
  held.stripes_.push_back(s);
  return held;
}

void LockTable::Unlock(size_t s) {
  Stripe& stripe = stripes_[s];
  absl::MutexLock lock(&stripe.mu);
  stripe.free = true;
}

}  // namespace smdp::profiles::internal
