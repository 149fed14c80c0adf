// Test helpers for the RocksDB profile store: status matchers, a temporary
// directory per test, a simulated clock and profile/batch builders.
//
//   SimulatedClock clock(absl::FromUnixSeconds(1700000000));
//   ASSERT_OK_AND_ASSIGN(auto store, RocksDbProfileStore::Open(
//       {.path = NewTempDir("store"), .clock = clock.AsFunction()}));
//   ASSERT_OK(ImportBatch(*store, "b1", "op1", "consumer", 0, 10));
//   EXPECT_THAT(store->GetProfile("nope"),
//               StatusIs(absl::StatusCode::kInvalidArgument));
#ifndef SMDP_PROFILES_ROCKSDB_INTERNAL_TEST_UTIL_H_
#define SMDP_PROFILES_ROCKSDB_INTERNAL_TEST_UTIL_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "profiles/profile_store.h"
#include "profiles/store.pb.h"
#include "util/status_matchers.h"

namespace smdp::profiles::testing {

using ::smdp::matchers::GetStatus;
using ::smdp::matchers::IsOk;
using ::smdp::matchers::StatusIs;

// A fresh directory under $TEST_TMPDIR (or /tmp).
std::string NewTempDir(absl::string_view name);

// A clock tests move by hand. Thread-safe.
class SimulatedClock {
 public:
  explicit SimulatedClock(absl::Time start) : now_(start) {}
  absl::Time Now() const {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  void Advance(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    now_ += d;
  }
  std::function<absl::Time()> AsFunction() {
    return [this] { return Now(); };
  }

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

// The 19-digit test ICCID number `n` ("8944990000" + 9 digits).
std::string TestIccid(uint64_t n);

// A profile as an import would stage it, with `content_bytes` of protected
// segments (deterministic filler) and a sealed PPK.
store::ProfileRecord TestProfile(absl::string_view iccid,
                                 size_t content_bytes = 256);

// BeginBatch + StageProfiles (chunks of 1000) + CommitBatch of the ICCIDs
// TestIccid(first) .. TestIccid(first + count - 1).
absl::Status ImportBatch(ProfileStore& store, absl::string_view batch_id,
                         absl::string_view operator_id,
                         absl::string_view profile_type, uint64_t first,
                         uint64_t count, size_t content_bytes = 256);

}  // namespace smdp::profiles::testing

#endif  // SMDP_PROFILES_ROCKSDB_INTERNAL_TEST_UTIL_H_
