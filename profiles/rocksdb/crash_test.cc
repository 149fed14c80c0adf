// Crash test: crash_worker imports batches and runs transitions, sessions
// and outbox calls from several threads; the test kills it with SIGKILL at
// random moments (during Open and recovery too), reopens the store and
// checks every invariant after each kill:
//   - Verify(): every index entry mirrors its record and vice versa, each
//     matchingId names one profile, staged profiles are invisible, aborted
//     batches left nothing, every audit trail chains and ends in the
//     profile's state with one entry per version, sessions and outbox match
//     their time indexes, counters are above every used id;
//   - every batch is PENDING (and invisible) or COMPLETE with all of its
//     expected profiles, or ABORTED with none; every batch the worker saw
//     committed is COMPLETE;
//   - no acknowledged (durable) transition was lost: each profile's version
//     is at least the last one the worker printed for it.
// SMDP_CRASH_KILLS overrides the number of kills (default 60).
#include <signal.h>
#include <stdlib.h>

#include <iostream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "profiles/rocksdb/internal/test_util.h"
#include "profiles/rocksdb/rocksdb_profile_store.h"
#include "tests/testing/subprocess.h"

namespace smdp::profiles {
namespace {

using ::smdp::profiles::testing::IsOk;
using ::smdp::profiles::testing::NewTempDir;
using ::smdp::profiles::testing::StatusIs;
using ::smdp::profiles::testing::TestIccid;
using ::testing::IsEmpty;

int Kills() {
  const char* env = getenv("SMDP_CRASH_KILLS");
  int n = 0;
  return env && absl::SimpleAtoi(env, &n) && n > 0 ? n : 60;
}

TEST(CrashTest, EveryInvariantHoldsAfterEveryKill) {
  const std::string dir = NewTempDir("crash");
  const std::string worker =
      smdp::testing::RunfilePath("profiles/rocksdb/crash_worker");
  std::mt19937_64 rng(20240601);
  std::set<std::string> committed;  // batches the worker saw committed
  std::set<std::string> aborted;
  std::map<std::string, int64_t> acked;  // iccid → last acknowledged version
  const int kills = Kills();
  const absl::Time start = absl::Now();
  int killed_running = 0, acks = 0;

  for (int round = 0; round < kills; ++round) {
    SCOPED_TRACE(absl::StrCat("round ", round));
    smdp::testing::Subprocess child({worker, dir, absl::StrCat(rng())});
    ASSERT_OK(child.Start());
    // Kill anywhere from during Open to a few hundred ms into the work.
    absl::SleepFor(
        absl::Milliseconds(std::uniform_int_distribution<int>(0, 300)(rng)));
    child.Signal(SIGKILL);
    const int code = child.Wait(absl::Seconds(30));
    ASSERT_EQ(code, 128 + SIGKILL) << "worker stopped by itself:\n"
                                   << child.stderr_text();
    ++killed_running;
    for (absl::string_view line :
         absl::StrSplit(child.stdout_text(), '\n', absl::SkipEmpty())) {
      std::vector<std::string> f = absl::StrSplit(line, ' ');
      if (f[0] == "committed" && f.size() == 3) committed.insert(f[1]);
      if (f[0] == "aborted" && f.size() == 2) aborted.insert(f[1]);
      int64_t version = 0;
      if (f[0] == "ack" && f.size() == 3 && absl::SimpleAtoi(f[2], &version)) {
        int64_t& v = acked[f[1]];
        v = std::max(v, version);
        ++acks;
      }
    }

    // Reopen and check.
    RocksDbProfileStoreOptions options;
    options.path = dir;
    ASSERT_OK_AND_ASSIGN(auto store, RocksDbProfileStore::Open(options));
    ASSERT_OK_AND_ASSIGN(StoreCheckReport report, store->Verify());
    ASSERT_THAT(report.problems, IsEmpty());

    for (int k = 0;; ++k) {
      const std::string id = absl::StrCat("w-", k);
      auto batch = store->GetBatch(id);
      if (absl::IsNotFound(batch.status())) {
        break;
      }
      ASSERT_OK(batch);
      const uint64_t expected = batch->expected_count();
      ASSERT_OK_AND_ASSIGN(
          ProfilePage page,
          store->ListProfiles({.batch_id = id, .page_size = 1000}));
      switch (batch->state()) {
        case store::BatchRecord::COMPLETE:
          EXPECT_EQ(page.profiles.size(), expected) << id;
          EXPECT_EQ(batch->staged_count(), expected) << id;
          EXPECT_FALSE(aborted.count(id)) << id;
          break;
        case store::BatchRecord::PENDING:
          EXPECT_THAT(page.profiles, IsEmpty()) << id;
          EXPECT_FALSE(committed.count(id)) << id;
          EXPECT_FALSE(aborted.count(id)) << id;
          // Its first profile, if staged, is invisible.
          EXPECT_THAT(store->GetProfile(TestIccid(k * 1000)),
                      StatusIs(absl::StatusCode::kNotFound));
          break;
        case store::BatchRecord::ABORTED:
          EXPECT_THAT(page.profiles, IsEmpty()) << id;
          EXPECT_FALSE(committed.count(id)) << id;
          break;
        default:
          ADD_FAILURE() << id << " in state " << batch->state();
      }
    }
    for (const std::string& id : committed) {
      ASSERT_OK_AND_ASSIGN(auto batch, store->GetBatch(id));
      EXPECT_EQ(batch.state(), store::BatchRecord::COMPLETE) << id;
    }
    for (const auto& [iccid, version] : acked) {
      ASSERT_OK_AND_ASSIGN(auto p, store->GetProfile(iccid));
      EXPECT_GE(p.version(), version)
          << iccid << " lost an acknowledged change";
    }
    if (round == kills - 1) {
      std::cerr << "crash test: " << kills << " kills, " << committed.size()
                << " batches committed, " << aborted.size() << " aborted, "
                << acks << " acknowledged changes, " << report.profiles
                << " profiles, " << report.audit_entries << " audit entries, "
                << absl::ToDoubleSeconds(absl::Now() - start) << " s\n";
    }
  }
  EXPECT_EQ(killed_running, kills);
  EXPECT_GT(committed.size(), 10u);
  EXPECT_GT(acks, 100);
}

}  // namespace
}  // namespace smdp::profiles
