// 500 downloads of distinct profiles over the GSMA HTTPS binding, all in
// flight at once: 50 client threads (each with its own keep-alive TLS
// connection) drive 10 software eUICCs each, and every step of every
// download runs before any download takes the next step (a barrier between
// steps). So all 500 sessions are open together after
// InitiateAuthentication, all 500 profiles are held by their sessions after
// AuthenticateClient, and all 500 are DOWNLOADED together before the first
// notification. Half the profiles are PPK-protected, half sealed plain;
// every eUICC has its own certificate and EID.
//
// Checked: every download succeeds; every decrypted profile is the stored
// one and carries its ICCID; each profile ends INSTALLED, installed on
// exactly one eUICC; each ICCID's audit trail holds exactly one
// AuthenticateClient hold, one binding (GetBoundProfilePackage →
// DOWNLOADED) and one installation; RocksDbProfileStore::Verify() finds no
// broken invariant.
#include <atomic>
#include <barrier>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "profiles/saip/coding.h"
#include "tests/e2e/download_client.h"
#include "tests/e2e/download_world.h"
#include "tests/euicc/software_euicc.h"
#include "util/status_matchers.h"

namespace smdp::e2e {
namespace {

using ::smdp::matchers::IsOk;

constexpr size_t kDownloads = 500;
constexpr size_t kThreads = 50;
constexpr size_t kPerThread = kDownloads / kThreads;
static_assert(kPerThread * kThreads == kDownloads);

std::string MatchingId(size_t i) { return absl::StrCat("CONC-", i); }

// Runs `fn(i)` for i in [0, n) on `threads` threads.
template <typename Fn>
void ParallelFor(size_t n, size_t threads, Fn fn) {
  std::atomic<size_t> next{0};
  std::vector<std::thread> pool;
  for (size_t t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (size_t i = next++; i < n; i = next++) fn(i);
    });
  }
  for (std::thread& t : pool) t.join();
}

// Number of profiles in `state` (one page holds them all).
absl::StatusOr<size_t> CountInState(profiles::ProfileStore& store,
                                    store::ProfileState state) {
  size_t count = 0;
  profiles::ProfileQuery query;
  query.state = state;
  query.page_size = 1000;
  do {
    absl::StatusOr<profiles::ProfilePage> page = store.ListProfiles(query);
    if (!page.ok()) return page.status();
    count += page->profiles.size();
    query.page_token = page->next_page_token;
  } while (!query.page_token.empty());
  return count;
}

TEST(ConcurrentDownloadTest, FiveHundredOverlappingHttpsDownloads) {
  const absl::Time setup_start = absl::Now();
  auto made = DownloadWorld::Create(
      {.ppk_profiles = kDownloads / 2, .plain_profiles = kDownloads / 2});
  ASSERT_THAT(made.status(), IsOk());
  DownloadWorld& world = **made;
  std::vector<std::string> iccids = world.ppk_iccids();
  iccids.insert(iccids.end(), world.plain_iccids().begin(),
                world.plain_iccids().end());
  ASSERT_EQ(iccids.size(), kDownloads);

  // Order and release every profile (synced store writes: in parallel so
  // the fsyncs are shared).
  std::vector<absl::Status> ordered(kDownloads);
  ParallelFor(kDownloads, 16, [&](size_t i) {
    ordered[i] = world.OrderAndRelease(iccids[i], MatchingId(i));
  });
  for (size_t i = 0; i < kDownloads; ++i) {
    ASSERT_THAT(ordered[i], IsOk()) << iccids[i];
  }
  std::printf("setup (world, import, orders): %s\n",
              absl::FormatDuration(absl::Now() - setup_start).c_str());

  // What the barrier's completion step sees between two steps (it runs on
  // one thread while every client thread waits).
  struct Observed {
    size_t step = 0;
    absl::Status status;
    uint64_t sessions_after_initiate = 0;
    size_t released_held_after_authenticate = 0;
    size_t downloaded_after_bpp = 0;
    std::vector<absl::Duration> step_wall;
    absl::Time step_start = absl::Now();
  } observed;
  auto between_steps = [&]() noexcept {
    const auto step = static_cast<DownloadStep>(observed.step++);
    const absl::Time now = absl::Now();
    observed.step_wall.push_back(now - observed.step_start);
    observed.step_start = now;
    if (step == DownloadStep::kInitiateAuthentication) {
      absl::StatusOr<profiles::StoreCheckReport> report =
          world.store().Verify();
      if (!report.ok()) {
        observed.status = report.status();
      } else {
        observed.sessions_after_initiate = report->sessions;
      }
    } else if (step == DownloadStep::kAuthenticateClient) {
      for (const std::string& iccid : iccids) {
        absl::StatusOr<store::ProfileRecord> r =
            world.store().GetProfile(iccid);
        if (r.ok() && r->state() == store::RELEASED &&
            !r->session_transaction_id().empty()) {
          ++observed.released_held_after_authenticate;
        }
      }
    } else if (step == DownloadStep::kGetBoundProfilePackage) {
      absl::StatusOr<size_t> n = CountInState(world.store(), store::DOWNLOADED);
      if (!n.ok()) {
        observed.status = n.status();
      } else {
        observed.downloaded_after_bpp = *n;
      }
    }
  };
  std::barrier barrier(static_cast<std::ptrdiff_t>(kThreads), between_steps);
  // Every thread has its connection and eUICCs before the first step.
  auto start_steps = [&]() noexcept { observed.step_start = absl::Now(); };
  std::barrier ready(static_cast<std::ptrdiff_t>(kThreads), start_steps);

  struct Slot {
    std::unique_ptr<euicc::SoftwareEuicc> euicc;
    std::unique_ptr<Download> download;
    absl::Status setup;
  };
  std::vector<Slot> slots(kDownloads);
  std::vector<absl::Status> client_status(kThreads);
  const absl::Time run_start = absl::Now();
  std::vector<std::thread> threads;
  for (size_t t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // One keep-alive connection per thread, shared by its eUICCs in turn.
      absl::StatusOr<std::unique_ptr<Es9Client>> client =
          world.NewClient(Es9Transport::kHttps);
      client_status[t] = client.status();
      for (size_t k = 0; k < kPerThread && client.ok(); ++k) {
        const size_t i = t * kPerThread + k;
        Slot& slot = slots[i];
        auto creds = world.IssueEuicc(hsm::Curve::kNistP256, 1000 + i);
        if (!creds.ok()) {
          slot.setup = creds.status();
          continue;
        }
        auto euicc = euicc::SoftwareEuicc::Create(creds->ToConfig());
        if (!euicc.ok()) {
          slot.setup = euicc.status();
          continue;
        }
        slot.euicc = *std::move(euicc);
        slot.download = std::make_unique<Download>(
            **client, *slot.euicc, world.smdp_address(), MatchingId(i));
      }
      ready.arrive_and_wait();
      // Step by step, all downloads together.
      for (size_t step = 0; step < kDownloadSteps; ++step) {
        for (size_t k = 0; k < kPerThread; ++k) {
          Download* d = slots[t * kPerThread + k].download.get();
          if (d != nullptr && !d->done()) d->Step().IgnoreError();
        }
        barrier.arrive_and_wait();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  const absl::Duration run = absl::Now() - run_start;
  std::printf("%zu downloads over HTTPS, %zu threads: %s (%.1f downloads/s)\n",
              kDownloads, kThreads, absl::FormatDuration(run).c_str(),
              kDownloads / absl::ToDoubleSeconds(run));
  for (size_t s = 0; s < observed.step_wall.size(); ++s) {
    std::printf("  step %-24s %s\n",
                std::string(StepName(static_cast<DownloadStep>(s))).c_str(),
                absl::FormatDuration(observed.step_wall[s]).c_str());
  }

  for (size_t t = 0; t < kThreads; ++t) {
    ASSERT_THAT(client_status[t], IsOk()) << "client of thread " << t;
  }
  ASSERT_THAT(observed.status, IsOk());
  // The overlap really happened.
  EXPECT_EQ(observed.sessions_after_initiate, kDownloads);
  EXPECT_EQ(observed.released_held_after_authenticate, kDownloads);
  EXPECT_EQ(observed.downloaded_after_bpp, kDownloads);

  // Every download succeeded and delivered its own stored profile.
  std::map<std::string, size_t> installed_on;  // ICCID → eUICCs holding it
  size_t failures = 0;
  for (size_t i = 0; i < kDownloads; ++i) {
    const Slot& slot = slots[i];
    ASSERT_THAT(slot.setup, IsOk()) << "eUICC " << i;
    ASSERT_NE(slot.download, nullptr);
    if (!slot.download->status().ok() || !slot.download->done()) {
      if (++failures <= 10) {
        ADD_FAILURE() << "download " << i << " (" << iccids[i]
                      << "): " << slot.download->status();
      }
      continue;
    }
    const euicc::LoadBppResult& loaded = *slot.download->result().loaded;
    EXPECT_EQ(loaded.used_ppk, i < kDownloads / 2) << iccids[i];
    auto expected_iccid = profiles::saip::EncodeIccidFile(iccids[i]);
    ASSERT_THAT(expected_iccid.status(), IsOk());
    EXPECT_EQ(loaded.iccid, *expected_iccid) << "download " << i;
    auto stored = world.StoredProfile(iccids[i]);
    ASSERT_THAT(stored.status(), IsOk());
    EXPECT_FALSE(stored->empty());
    EXPECT_TRUE(loaded.profile == *stored) << iccids[i] << ": profile differs";
    for (const std::string& installed : slot.euicc->installed_iccids()) {
      ++installed_on[installed];
    }
    EXPECT_EQ(slot.euicc->installed_iccids().size(), 1u);
  }
  EXPECT_EQ(failures, 0u);
  EXPECT_EQ(installed_on.size(), kDownloads);
  for (const auto& [iccid, count] : installed_on) {
    EXPECT_EQ(count, 1u) << "installed on " << count << " eUICCs";
  }

  // The store: INSTALLED once, bound once, held once.
  for (const std::string& iccid : iccids) {
    auto record = world.store().GetProfile(iccid);
    ASSERT_THAT(record.status(), IsOk());
    EXPECT_EQ(record->state(), store::INSTALLED) << iccid;
    EXPECT_EQ(record->order().download_attempts(), 1u) << iccid;
    auto audit = world.store().GetAudit(iccid);
    ASSERT_THAT(audit.status(), IsOk());
    size_t holds = 0, bindings = 0, installs = 0;
    for (const store::AuditEntry& e : *audit) {
      if (e.action() == "AuthenticateClient") ++holds;
      if (e.action() == "GetBoundProfilePackage") {
        ++bindings;
        EXPECT_EQ(e.to_state(), store::DOWNLOADED) << iccid;
      }
      if (e.action() == "HandleNotification" &&
          e.to_state() == store::INSTALLED) {
        ++installs;
      }
    }
    EXPECT_EQ(holds, 1u) << iccid;
    EXPECT_EQ(bindings, 1u) << iccid;
    EXPECT_EQ(installs, 1u) << iccid;
  }
  auto installed = CountInState(world.store(), store::INSTALLED);
  ASSERT_THAT(installed.status(), IsOk());
  EXPECT_EQ(*installed, kDownloads);

  auto report = world.store().Verify();
  ASSERT_THAT(report.status(), IsOk());
  EXPECT_THAT(report->problems, ::testing::IsEmpty());
  EXPECT_EQ(report->profiles, kDownloads);
  std::printf("store: %llu profiles, %llu audit entries, %llu sessions\n",
              static_cast<unsigned long long>(report->profiles),
              static_cast<unsigned long long>(report->audit_entries),
              static_cast<unsigned long long>(report->sessions));
}

}  // namespace
}  // namespace smdp::e2e
