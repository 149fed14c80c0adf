// store_bench: RocksDbProfileStore throughput and latency.
//
//   bazel run -c opt //bench:store_bench          # 100,000 profiles
//   bazel run -c opt //bench:store_bench -- --profiles=1000000 --dir=/var/tmp
//                                                 # 1,000,000: ~16 GB on disk
//
// 1. Import: --profiles profiles of --content_bytes each, staged in chunks
//    of 1,000 and committed in batches of --batch_size (one commit each),
//    with sync writes: profiles/s and MB/s. Then --import_sync_off more
//    profiles with sync off.
// 2. The order/download flow on the filled store, one profile per flow:
//    AllocateProfile → CONFIRMED (matchingId) → RELEASED → DOWNLOADED →
//    INSTALLED, each an atomic compare-and-set with its audit entry, and an
//    outbox entry on allocation and installation, run by each --threads
//    count for --seconds (at most --max_flows flows), with sync writes on
//    and then off. Prints flows/s, changes/s and p50/p99 latency per step.
// The database goes to a fresh directory under --dir (default $TMPDIR or
// /tmp), removed at the end unless --keep_db.
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "profiles/rocksdb/rocksdb_profile_store.h"

ABSL_FLAG(int64_t, profiles, 100000, "profiles to import before the flows");
ABSL_FLAG(int64_t, content_bytes, 15000,
          "protected segments per profile (bytes)");
ABSL_FLAG(int64_t, batch_size, 50000, "profiles per batch (one commit each)");
ABSL_FLAG(int64_t, import_sync_off, 20000,
          "profiles imported again with sync off, for the comparison");
ABSL_FLAG(std::vector<std::string>, threads,
          std::vector<std::string>({"1", "8", "32"}),
          "thread counts for the flow runs");
ABSL_FLAG(double, seconds, 5, "seconds per flow run");
ABSL_FLAG(int64_t, max_flows, 15000, "flows per run at most");
ABSL_FLAG(std::string, dir, "", "parent directory of the database");
ABSL_FLAG(bool, keep_db, false, "keep the database directory");

namespace smdp::profiles {
namespace {

constexpr char kOp[] = "op1";
constexpr char kType[] = "consumer";

void Check(const absl::Status& s, absl::string_view what) {
  if (!s.ok()) {
    fprintf(stderr, "%s: %s\n", std::string(what).c_str(),
            s.ToString().c_str());
    exit(1);
  }
}

std::string Iccid(int64_t n) { return absl::StrFormat("894499%013d", n); }

store::ProfileRecord MakeProfile(int64_t n, size_t content_bytes) {
  store::ProfileRecord p;
  p.set_iccid(Iccid(n));
  p.set_imsi(absl::StrFormat("00101%010d", n));
  p.mutable_metadata()->set_profile_name(absl::StrCat("Bench ", n));
  p.mutable_metadata()->set_service_provider_name("Bench Operator");
  std::string content(content_bytes, '\0');
  uint64_t x = 0x9e3779b97f4a7c15ull * (n + 1);
  for (size_t i = 0; i < content.size(); ++i) {  // incompressible filler
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    content[i] = static_cast<char>(x);
  }
  p.set_protected_segments(std::move(content));
  p.set_profile_size(content_bytes);
  p.mutable_sealed_ppk()->set_sealed(std::string(60, 'k'));
  p.mutable_sealed_ppk()->set_kek_label("kek1");
  return p;
}

uint64_t DirBytes(const std::string& dir) {
  uint64_t total = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir, ec)) {
    if (e.is_regular_file(ec)) total += e.file_size(ec);
  }
  return total;
}

// Imports [first, first + count) in batches; returns seconds, and the
// slowest CommitBatch in *max_commit_seconds.
double Import(RocksDbProfileStore& store, int64_t first, int64_t count,
              const std::string& tag, double* max_commit_seconds) {
  const int64_t batch_size = absl::GetFlag(FLAGS_batch_size);
  const size_t content = absl::GetFlag(FLAGS_content_bytes);
  const absl::Time start = absl::Now();
  for (int64_t b = 0; b * batch_size < count; ++b) {
    const int64_t n = std::min(batch_size, count - b * batch_size);
    store::BatchRecord batch;
    batch.set_batch_id(absl::StrCat(tag, "-", b));
    batch.set_operator_id(kOp);
    batch.set_profile_type(kType);
    batch.set_expected_count(n);
    Check(store.BeginBatch(batch), "BeginBatch");
    for (int64_t done = 0; done < n;) {
      const int64_t c = std::min<int64_t>(1000, n - done);
      std::vector<store::ProfileRecord> chunk;
      chunk.reserve(c);
      for (int64_t i = 0; i < c; ++i) {
        chunk.push_back(
            MakeProfile(first + b * batch_size + done + i, content));
      }
      done += c;
      Check(store.StageProfiles(batch.batch_id(), chunk, done), "Stage");
    }
    const absl::Time commit_start = absl::Now();
    Check(store.CommitBatch(batch.batch_id()), "CommitBatch");
    *max_commit_seconds = std::max(
        *max_commit_seconds, absl::ToDoubleSeconds(absl::Now() - commit_start));
  }
  return absl::ToDoubleSeconds(absl::Now() - start);
}

enum Step { kAllocate, kConfirm, kRelease, kDownload, kInstall, kSteps };
const char* const kStepNames[kSteps] = {"allocate", "confirm", "release",
                                        "download", "installed"};

struct RunResult {
  bool exhausted = false;  // the pool ran out during the run
  int64_t flows = 0;
  double seconds = 0;
  std::vector<double> us[kSteps];
};

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  size_t i = std::min(v.size() - 1, static_cast<size_t>(p * v.size()));
  std::nth_element(v.begin(), v.begin() + i, v.end());
  return v[i];
}

RunResult RunFlows(RocksDbProfileStore& store, int threads, int run) {
  const absl::Duration duration = absl::Seconds(absl::GetFlag(FLAGS_seconds));
  const int64_t max_flows = absl::GetFlag(FLAGS_max_flows);
  std::atomic<int64_t> started{0};
  std::atomic<bool> exhausted{false};
  std::vector<RunResult> per_thread(threads);
  std::vector<std::thread> workers;
  const absl::Time start = absl::Now();
  const absl::Time end = start + duration;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      RunResult& r = per_thread[t];
      auto timed = [&](Step step, auto&& fn) {
        const absl::Time s = absl::Now();
        auto result = fn();
        r.us[step].push_back(absl::ToDoubleMicroseconds(absl::Now() - s));
        Check(result.status(), kStepNames[step]);
        return *std::move(result);
      };
      auto move = [&](const std::string& iccid, store::ProfileState from,
                      store::ProfileState to, const char* action,
                      std::function<absl::Status(store::ProfileRecord&)> m,
                      bool notify) {
        TransitionRequest req;
        req.iccid = iccid;
        req.from = {from};
        req.to = to;
        req.mutate = std::move(m);
        req.audit.set_actor("bench");
        req.audit.set_action(action);
        if (notify) req.notify = store::OutboxEntry();
        return store.Transition(req);
      };
      while (absl::Now() < end && started.fetch_add(1) < max_flows) {
        TransitionRequest alloc;
        alloc.audit.set_actor("operator:op1");
        alloc.audit.set_action("DownloadOrder");
        alloc.notify = store::OutboxEntry();
        alloc.mutate = [](store::ProfileRecord& p) {
          p.mutable_order()->set_function_call_id("bench");
          p.mutable_order()->set_eid("89049032000000000000000000000123");
          return absl::OkStatus();
        };
        const absl::Time alloc_start = absl::Now();
        absl::StatusOr<store::ProfileRecord> allocated =
            store.AllocateProfile(kOp, kType, alloc);
        if (absl::IsResourceExhausted(allocated.status())) {
          exhausted = true;
          break;
        }
        r.us[kAllocate].push_back(
            absl::ToDoubleMicroseconds(absl::Now() - alloc_start));
        Check(allocated.status(), "allocate");
        const store::ProfileRecord& p = *allocated;
        const std::string mid = absl::StrCat("R", run, "-T", t, "-", r.flows);
        timed(kConfirm, [&] {
          return move(
              p.iccid(), store::ALLOCATED, store::CONFIRMED, "ConfirmOrder",
              [&](store::ProfileRecord& rec) {
                rec.mutable_order()->set_matching_id(mid);
                return absl::OkStatus();
              },
              false);
        });
        timed(kRelease, [&] {
          return move(p.iccid(), store::CONFIRMED, store::RELEASED,
                      "ReleaseProfile", nullptr, false);
        });
        timed(kDownload, [&] {
          return move(
              p.iccid(), store::RELEASED, store::DOWNLOADED,
              "GetBoundProfilePackage",
              [](store::ProfileRecord& rec) {
                rec.mutable_order()->set_download_attempts(1);
                return absl::OkStatus();
              },
              false);
        });
        timed(kInstall, [&] {
          return move(p.iccid(), store::DOWNLOADED, store::INSTALLED,
                      "HandleNotification", nullptr, true);
        });
        ++r.flows;
      }
    });
  }
  for (auto& w : workers) w.join();
  RunResult total;
  total.seconds = absl::ToDoubleSeconds(absl::Now() - start);
  total.exhausted = exhausted;
  for (auto& r : per_thread) {
    total.flows += r.flows;
    for (int s = 0; s < kSteps; ++s) {
      total.us[s].insert(total.us[s].end(), r.us[s].begin(), r.us[s].end());
    }
  }
  return total;
}

std::unique_ptr<RocksDbProfileStore> OpenStore(const std::string& path,
                                               bool sync) {
  RocksDbProfileStoreOptions options;
  options.path = path;
  options.sync_writes = sync;
  auto store = RocksDbProfileStore::Open(options);
  Check(store.status(), "Open");
  return *std::move(store);
}

int Main() {
  std::string parent = absl::GetFlag(FLAGS_dir);
  if (parent.empty()) {
    const char* tmp = getenv("TMPDIR");
    parent = tmp ? tmp : "/tmp";
  }
  std::string templ = parent + "/store_bench.XXXXXX";
  if (mkdtemp(templ.data()) == nullptr) {
    perror("mkdtemp");
    return 1;
  }
  const std::string path = templ + "/db";
  const int64_t n = absl::GetFlag(FLAGS_profiles);
  const size_t content = absl::GetFlag(FLAGS_content_bytes);
  printf("store_bench: %lld profiles of %zu bytes, batches of %lld, db %s\n",
         static_cast<long long>(n), content,
         static_cast<long long>(absl::GetFlag(FLAGS_batch_size)), path.c_str());

  std::vector<int> thread_counts;
  for (const std::string& s : absl::GetFlag(FLAGS_threads)) {
    int t = 0;
    if (absl::SimpleAtoi(s, &t) && t > 0) thread_counts.push_back(t);
  }
  int run = 0;
  for (bool sync : {true, false}) {
    auto store = OpenStore(path, sync);
    if (sync) {
      double commit = 0;
      double secs = Import(*store, 0, n, "import", &commit);
      printf(
          "\nimport, sync on: %lld profiles in %.1f s = %.0f profiles/s, "
          "%.1f MB/s; slowest commit %.0f ms; db %.2f GB\n",
          static_cast<long long>(n), secs, n / secs,
          n * static_cast<double>(content) / secs / 1e6, commit * 1e3,
          DirBytes(path) / 1e9);
    } else if (absl::GetFlag(FLAGS_import_sync_off) > 0) {
      const int64_t m = absl::GetFlag(FLAGS_import_sync_off);
      double commit = 0;
      double secs = Import(*store, n, m, "import-nosync", &commit);
      printf(
          "\nimport, sync off: %lld profiles in %.1f s = %.0f profiles/s, "
          "%.1f MB/s\n",
          static_cast<long long>(m), secs, m / secs,
          m * static_cast<double>(content) / secs / 1e6);
    }
    printf(
        "\nflows (allocate → confirm → release → download → installed), "
        "sync %s\n",
        sync ? "on" : "off");
    printf("| threads | flows | flows/s | changes/s |");
    for (int s = 0; s < kSteps; ++s) printf(" %s p50/p99 µs |", kStepNames[s]);
    printf("\n|---:|---:|---:|---:|");
    for (int s = 0; s < kSteps; ++s) printf("---:|");
    printf("\n");
    for (int threads : thread_counts) {
      RunResult r = RunFlows(*store, threads, run++);
      printf("| %d | %lld | %.0f | %.0f |", threads,
             static_cast<long long>(r.flows), r.flows / r.seconds,
             r.flows * kSteps / r.seconds);
      for (int s = 0; s < kSteps; ++s) {
        printf(" %.0f / %.0f |", Percentile(r.us[s], 0.50),
               Percentile(r.us[s], 0.99));
      }
      printf("%s\n", r.exhausted ? " (pool exhausted)" : "");
      fflush(stdout);
    }
  }
  if (!absl::GetFlag(FLAGS_keep_db)) {
    std::error_code ec;
    std::filesystem::remove_all(templ, ec);
  }
  return 0;
}

}  // namespace
}  // namespace smdp::profiles

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return smdp::profiles::Main();
}
