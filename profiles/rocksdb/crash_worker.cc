// crash_worker: a process for crash_test.cc to kill. It opens the store
// (sync writes, as in production), finishes or aborts the batches an earlier
// run left PENDING, then imports batches and runs random transitions,
// sessions and outbox calls from several threads until it is killed.
//
//   crash_worker <db dir> <seed>
//
// After each call that the store acknowledged it prints one line to stdout
// (one write(2), atomic on a pipe), which the test checks after the kill:
//   committed <batch_id> <count>   CommitBatch returned OK
//   aborted <batch_id>             AbortBatch returned OK
//   ack <iccid> <version>          a durable Transition returned this version
// Batches are named w-0, w-1, ...; batch k holds the ICCIDs
// TestIccid(k * 1000 + i) for i < its expected_count.
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "profiles/rocksdb/internal/test_util.h"
#include "profiles/rocksdb/rocksdb_profile_store.h"

namespace smdp::profiles {
namespace {

using ::smdp::profiles::testing::TestIccid;
using ::smdp::profiles::testing::TestProfile;

constexpr int kChunk = 25;
constexpr char kOp[] = "op1";
constexpr char kType[] = "consumer";

void Say(const std::string& line) {
  std::string out = line + "\n";
  ssize_t n = write(STDOUT_FILENO, out.data(), out.size());
  (void)n;  // nothing to do if the test stopped reading
}

[[noreturn]] void Die(const absl::Status& status, absl::string_view what) {
  std::string line =
      absl::StrCat("FATAL ", what, ": ", status.ToString(), "\n");
  ssize_t n = write(STDERR_FILENO, line.data(), line.size());
  (void)n;
  _exit(3);
}

class Worker {
 public:
  Worker(RocksDbProfileStore& store, uint64_t seed)
      : store_(store), rng_(seed) {}

  // Finishes (commits or aborts) what an earlier run left PENDING and finds
  // the next batch number.
  void Recover() {
    for (int k = 0;; ++k) {
      const std::string id = absl::StrCat("w-", k);
      auto batch = store_.GetBatch(id);
      if (absl::IsNotFound(batch.status())) {
        absl::MutexLock lock(&mu_);
        next_batch_ = k;
        return;
      }
      if (!batch.ok()) Die(batch.status(), "GetBatch");
      if (batch->state() == store::BatchRecord::COMPLETE) {
        absl::MutexLock lock(&mu_);
        committed_.push_back({k, static_cast<int>(batch->expected_count())});
      }
      if (batch->state() != store::BatchRecord::PENDING) continue;
      if (Rand(4) == 0) {
        CheckOk(store_.AbortBatch(id), "AbortBatch");
        Say(absl::StrCat("aborted ", id));
      } else {
        // Resume, repeating the last chunk the importer may not have seen
        // acknowledged.
        int from = static_cast<int>(batch->resume_position());
        from = std::max(0, from - kChunk);
        StageAndCommit(k, static_cast<int>(batch->expected_count()), from);
      }
    }
  }

  void Run() {
    std::vector<std::thread> threads;
    threads.emplace_back([this] { ImportLoop(); });
    for (int t = 0; t < 3; ++t) {
      threads.emplace_back([this, t] { ChangeLoop(t); });
    }
    for (auto& t : threads) t.join();  // never: the test kills us
  }

 private:
  int Rand(int n) {
    absl::MutexLock lock(&rng_mu_);
    return std::uniform_int_distribution<int>(0, n - 1)(rng_);
  }

  void CheckOk(const absl::Status& s, absl::string_view what) {
    if (!s.ok()) Die(s, what);
  }

  void StageAndCommit(int k, int count, int from) {
    const std::string id = absl::StrCat("w-", k);
    for (int i = from; i < count; i += kChunk) {
      std::vector<store::ProfileRecord> chunk;
      for (int j = i; j < std::min(count, i + kChunk); ++j) {
        chunk.push_back(TestProfile(TestIccid(k * 1000 + j),
                                    500 + static_cast<size_t>(Rand(2500))));
      }
      CheckOk(store_.StageProfiles(id, chunk, std::min(count, i + kChunk)),
              "StageProfiles");
    }
    if (Rand(10) == 0) {
      CheckOk(store_.AbortBatch(id), "AbortBatch");
      Say(absl::StrCat("aborted ", id));
      return;
    }
    CheckOk(store_.CommitBatch(id), "CommitBatch");
    Say(absl::StrCat("committed ", id, " ", count));
    absl::MutexLock lock(&mu_);
    committed_.push_back({k, count});
  }

  void ImportLoop() {
    while (true) {
      int k;
      {
        absl::MutexLock lock(&mu_);
        k = next_batch_++;
      }
      const int count = 20 + Rand(80);
      store::BatchRecord batch;
      batch.set_batch_id(absl::StrCat("w-", k));
      batch.set_operator_id(kOp);
      batch.set_profile_type(kType);
      batch.set_expected_count(count);
      CheckOk(store_.BeginBatch(batch), "BeginBatch");
      StageAndCommit(k, count, 0);
      absl::SleepFor(absl::Milliseconds(40 + Rand(60)));
    }
  }

  std::string RandomIccid() {
    absl::MutexLock lock(&mu_);
    if (committed_.empty()) return "";
    auto [k, count] = committed_[Rand(static_cast<int>(committed_.size()))];
    return TestIccid(k * 1000 + Rand(count));
  }

  void ChangeLoop(int thread) {
    const std::string eid_base = "8904903200000000000000000000";
    while (true) {
      const int op = Rand(100);
      if (op < 20) {
        // DownloadOrder.
        TransitionRequest request;
        request.audit.set_actor("operator:op1");
        request.audit.set_action("DownloadOrder");
        // A call identifier of its own (unique per operator among live
        // orders), from the worker's random stream.
        const std::string call = absl::StrCat("t", thread, "-", Rand(1 << 30));
        request.mutate = [call](store::ProfileRecord& r) {
          r.mutable_order()->set_function_call_id(call);
          return absl::OkStatus();
        };
        request.notify = store::OutboxEntry();
        auto p = store_.AllocateProfile(kOp, kType, request);
        if (p.ok()) {
          Say(absl::StrCat("ack ", p->iccid(), " ", p->version()));
        } else if (!absl::IsResourceExhausted(p.status())) {
          Die(p.status(), "AllocateProfile");
        }
      } else if (op < 85) {
        // Any change, allowed or not, with matchingIds from a small pool
        // (so that claims collide) and EIDs.
        const std::string iccid = RandomIccid();
        if (iccid.empty()) continue;
        TransitionRequest request;
        request.iccid = iccid;
        request.to = static_cast<store::ProfileState>(1 + Rand(9));
        for (int s = 1; s <= 9; ++s) {
          if (Rand(2))
            request.from.push_back(static_cast<store::ProfileState>(s));
        }
        if (request.from.empty()) request.from.push_back(store::ALLOCATED);
        const int mid = Rand(300);
        const int eid = Rand(50);
        const int what = Rand(4);
        request.mutate = [=](store::ProfileRecord& r) {
          if (what == 0)
            r.mutable_order()->set_matching_id(absl::StrCat("M-", mid));
          if (what == 1)
            r.mutable_order()->set_eid(absl::StrCat(eid_base, 1000 + eid));
          if (what == 2) r.mutable_order()->clear_matching_id();
          r.mutable_order()->set_download_attempts(
              r.order().download_attempts() + 1);
          return absl::OkStatus();
        };
        request.audit.set_actor("test");
        request.audit.set_action("change");
        if (Rand(3) == 0) request.notify = store::OutboxEntry();
        request.durable = Rand(5) != 0;
        auto p = store_.Transition(request);
        if (p.ok()) {
          if (request.durable) {
            Say(absl::StrCat("ack ", p->iccid(), " ", p->version()));
          }
        } else if (!absl::IsFailedPrecondition(p.status()) &&
                   !absl::IsAlreadyExists(p.status())) {
          Die(p.status(), "Transition");
        }
      } else if (op < 93) {
        // Sessions: create with a short expiry, sweep.
        store::SessionRecord s;
        s.set_transaction_id(absl::StrCat("tx", Rand(1000)));
        s.set_expires_at_ms(absl::ToUnixMillis(absl::Now()) + Rand(2000));
        s.set_iccid(RandomIccid());
        CheckOk(store_.PutSession(s, Rand(2) == 0), "PutSession");
        if (Rand(4) == 0) {
          auto expired = store_.DeleteExpiredSessions(absl::Now(), 20);
          if (!expired.ok()) Die(expired.status(), "DeleteExpiredSessions");
        }
        if (Rand(4) == 0) {
          CheckOk(store_.DeleteSession(absl::StrCat("tx", Rand(1000))),
                  "DeleteSession");
        }
      } else {
        // Outbox: lease, then ack or retry.
        auto leased =
            store_.LeaseOutbox(absl::Now(), 5, absl::Milliseconds(200));
        if (!leased.ok()) Die(leased.status(), "LeaseOutbox");
        for (const auto& e : *leased) {
          absl::Status s =
              Rand(2) == 0 ? store_.AckOutbox(e.id())
                           : store_.RetryOutbox(
                                 e.id(), absl::Now() + absl::Milliseconds(50));
          if (!s.ok() && !absl::IsNotFound(s)) Die(s, "Ack/RetryOutbox");
        }
      }
    }
  }

  RocksDbProfileStore& store_;
  absl::Mutex rng_mu_;
  std::mt19937_64 rng_ ABSL_GUARDED_BY(rng_mu_);
  absl::Mutex mu_;
  int next_batch_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::pair<int, int>> committed_ ABSL_GUARDED_BY(mu_);
};

}  // namespace
}  // namespace smdp::profiles

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: crash_worker <db dir> <seed>\n");
    return 2;
  }
  smdp::profiles::RocksDbProfileStoreOptions options;
  options.path = argv[1];
  options.sync_writes = true;
  auto store = smdp::profiles::RocksDbProfileStore::Open(options);
  if (!store.ok()) smdp::profiles::Die(store.status(), "Open");
  smdp::profiles::Say("open");
  smdp::profiles::Worker worker(**store, strtoull(argv[2], nullptr, 10));
  worker.Recover();
  smdp::profiles::Say("recovered");
  worker.Run();
  return 0;
}
