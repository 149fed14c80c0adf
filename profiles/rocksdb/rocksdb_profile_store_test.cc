#include "profiles/rocksdb/rocksdb_profile_store.h"

#include <atomic>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "profiles/rocksdb/internal/test_util.h"

namespace smdp::profiles {
namespace {

using ::smdp::profiles::testing::ImportBatch;
using ::smdp::profiles::testing::IsOk;
using ::smdp::profiles::testing::NewTempDir;
using ::smdp::profiles::testing::SimulatedClock;
using ::smdp::profiles::testing::StatusIs;
using ::smdp::profiles::testing::TestIccid;
using ::smdp::profiles::testing::TestProfile;
using store::ProfileState;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr char kOp[] = "op1";
constexpr char kType[] = "consumer";
const absl::Time kStart = absl::FromUnixSeconds(1700000000);

std::vector<ProfileState> AllStates() {
  std::vector<ProfileState> states;
  for (int s = store::AVAILABLE; s <= store::UNAVAILABLE; ++s) {
    states.push_back(static_cast<ProfileState>(s));
  }
  return states;
}

class RocksDbProfileStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = NewTempDir("store");
    ASSERT_FALSE(dir_.empty());
    Reopen();
  }

  void TearDown() override {
    if (store_ != nullptr) ExpectConsistent();
  }

  RocksDbProfileStoreOptions Options() {
    RocksDbProfileStoreOptions options;
    options.path = dir_;
    options.clock = clock_.AsFunction();
    options.sync_writes = sync_writes_;
    options.lock_timeout = lock_timeout_;
    options.list_scan_limit = list_scan_limit_;
    options.write_observer = [this](absl::string_view what, bool synced,
                                    absl::Duration) {
      absl::MutexLock lock(&writes_mu_);
      writes_.emplace_back(std::string(what), synced);
    };
    return options;
  }

  void Reopen() {
    store_.reset();
    auto opened = RocksDbProfileStore::Open(Options());
    ASSERT_THAT(opened, IsOk());
    store_ = *std::move(opened);
  }

  void ExpectConsistent() {
    ASSERT_OK_AND_ASSIGN(StoreCheckReport report, store_->Verify());
    EXPECT_THAT(report.problems, IsEmpty());
  }

  std::vector<std::pair<std::string, bool>> TakeWrites() {
    absl::MutexLock lock(&writes_mu_);
    return std::exchange(writes_, {});
  }

  absl::StatusOr<store::ProfileRecord> Move(
      const std::string& iccid, std::vector<ProfileState> from, ProfileState to,
      std::function<absl::Status(store::ProfileRecord&)> mutate = nullptr) {
    TransitionRequest request;
    request.iccid = iccid;
    request.from = std::move(from);
    request.to = to;
    request.mutate = std::move(mutate);
    request.with_content = true;  // the default path: see ContentIsOptIn
    request.audit.set_actor("test");
    request.audit.set_action(absl::StrCat("to ", StateName(to)));
    return store_->Transition(request);
  }

  // Moves an AVAILABLE profile to `state` along allowed changes, setting an
  // EID on the way to LINKED and a matchingId on the way to CONFIRMED.
  void DriveTo(const std::string& iccid, ProfileState state) {
    auto step = [&](ProfileState from, ProfileState to,
                    std::function<absl::Status(store::ProfileRecord&)> m =
                        nullptr) {
      ASSERT_THAT(Move(iccid, {from}, to, std::move(m)), IsOk())
          << StateName(from) << " -> " << StateName(to);
    };
    auto set_mid = [&](store::ProfileRecord& r) {
      r.mutable_order()->set_matching_id(absl::StrCat("MID-", iccid));
      return absl::OkStatus();
    };
    auto set_eid = [&](store::ProfileRecord& r) {
      r.mutable_order()->set_eid(
          absl::StrCat("8904903200", iccid.substr(0, 19), "123"));
      return absl::OkStatus();
    };
    switch (state) {
      case store::AVAILABLE:
        return;
      case store::UNAVAILABLE:
        return step(store::AVAILABLE, store::UNAVAILABLE);
      case store::ALLOCATED:
        return step(store::AVAILABLE, store::ALLOCATED);
      case store::LINKED:
        DriveTo(iccid, store::ALLOCATED);
        return step(store::ALLOCATED, store::LINKED, set_eid);
      case store::CONFIRMED:
        DriveTo(iccid, store::ALLOCATED);
        return step(store::ALLOCATED, store::CONFIRMED, set_mid);
      case store::RELEASED:
        DriveTo(iccid, store::CONFIRMED);
        return step(store::CONFIRMED, store::RELEASED);
      case store::DOWNLOADED:
        DriveTo(iccid, store::RELEASED);
        return step(store::RELEASED, store::DOWNLOADED);
      case store::INSTALLED:
        DriveTo(iccid, store::DOWNLOADED);
        return step(store::DOWNLOADED, store::INSTALLED);
      case store::ERROR:
        DriveTo(iccid, store::RELEASED);
        return step(store::RELEASED, store::ERROR);
      default:
        FAIL() << "no path to " << StateName(state);
    }
  }

  // BeginBatch (kOp, kType) and one StageProfiles of TestIccid(i) for i in
  // [first, end) by step; not committed.
  struct Range {
    int first, end, step;
  };
  absl::Status BeginBatchAndStage(const std::string& batch_id, Range range) {
    store::BatchRecord batch;
    batch.set_batch_id(batch_id);
    batch.set_operator_id(kOp);
    batch.set_profile_type(kType);
    absl::Status s = store_->BeginBatch(batch);
    if (!s.ok()) return s;
    std::vector<store::ProfileRecord> profiles;
    for (int i = range.first; i < range.end; i += range.step) {
      profiles.push_back(TestProfile(TestIccid(i)));
    }
    return store_->StageProfiles(batch_id, profiles, profiles.size());
  }

  TransitionRequest AllocateRequest() {
    TransitionRequest request;
    request.audit.set_actor("operator:op1");
    request.audit.set_action("DownloadOrder");
    return request;
  }

  std::string dir_;
  SimulatedClock clock_{kStart};
  bool sync_writes_ = false;
  absl::Duration lock_timeout_ = absl::Seconds(5);
  size_t list_scan_limit_ = 10000;
  std::unique_ptr<RocksDbProfileStore> store_;
  absl::Mutex writes_mu_;
  std::vector<std::pair<std::string, bool>> writes_ ABSL_GUARDED_BY(writes_mu_);
};

// --- Open
// -----------------------------------------------------------------------

TEST(RocksDbProfileStoreOpenTest, EmptyPathIsInvalid) {
  EXPECT_THAT(RocksDbProfileStore::Open({}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(RocksDbProfileStoreOpenTest, SecondOpenOfTheSameDirectoryIsRefused) {
  std::string dir = NewTempDir("store");
  ASSERT_OK_AND_ASSIGN(auto first, RocksDbProfileStore::Open({.path = dir}));
  auto second = RocksDbProfileStore::Open({.path = dir});
  EXPECT_THAT(second, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(second.status().message(), HasSubstr(dir));
}

TEST_F(RocksDbProfileStoreTest, CreatesMissingParentDirectories) {
  store_.reset();
  dir_ += "/a/b/c";
  Reopen();
  ASSERT_OK(ImportBatch(*store_, "b1", kOp, kType, 0, 3));
  Reopen();
  EXPECT_OK(store_->GetProfile(TestIccid(2)));
}

// --- Transitions
// ------------------------------------------------------------------

TEST_F(RocksDbProfileStoreTest,
       EveryStatePairIsAllowedOrRefusedAsTheTableSays) {
  const std::vector<ProfileState> states = AllStates();
  ASSERT_OK(
      ImportBatch(*store_, "b1", kOp, kType, 0, states.size() * states.size()));
  int n = 0, allowed = 0, refused = 0;
  for (ProfileState from : states) {
    for (ProfileState to : states) {
      SCOPED_TRACE(absl::StrCat(StateName(from), " -> ", StateName(to)));
      const std::string iccid = TestIccid(n++);
      DriveTo(iccid, from);
      ASSERT_OK_AND_ASSIGN(store::ProfileRecord before,
                           store_->GetProfile(iccid));
      ASSERT_OK_AND_ASSIGN(auto audit_before, store_->GetAudit(iccid));
      ASSERT_EQ(before.state(), from);
      auto result = Move(iccid, {from}, to);
      ASSERT_OK_AND_ASSIGN(store::ProfileRecord after,
                           store_->GetProfile(iccid));
      ASSERT_OK_AND_ASSIGN(auto audit_after, store_->GetAudit(iccid));
      if (IsAllowedTransition(from, to)) {
        ++allowed;
        ASSERT_THAT(result, IsOk());
        EXPECT_EQ(result->state(), to);
        EXPECT_EQ(after.SerializeAsString(), result->SerializeAsString());
        EXPECT_EQ(after.version(), before.version() + 1);
        ASSERT_EQ(audit_after.size(), audit_before.size() + 1);
        EXPECT_EQ(audit_after.back().from_state(), from);
        EXPECT_EQ(audit_after.back().to_state(), to);
        EXPECT_EQ(after.protected_segments(), before.protected_segments());
        if (to == store::AVAILABLE && from != store::AVAILABLE) {
          EXPECT_FALSE(after.has_order());
          EXPECT_THAT(
              store_->GetProfileByMatchingId(absl::StrCat("MID-", iccid)),
              StatusIs(absl::StatusCode::kNotFound));
        }
      } else {
        ++refused;
        EXPECT_THAT(result, StatusIs(absl::StatusCode::kFailedPrecondition));
        EXPECT_THAT(result.status().message(), HasSubstr("not allowed"));
        EXPECT_EQ(after.SerializeAsString(), before.SerializeAsString());
        EXPECT_EQ(audit_after.size(), audit_before.size());
      }
    }
  }
  EXPECT_EQ(allowed, 35);
  EXPECT_EQ(refused, 81 - 35);
}

// The order's ES2+ function call (DownloadOrder's functionCallIdentifier)
// is indexed per operator, unique among live orders, and gone with the order.
TEST_F(RocksDbProfileStoreTest, FunctionCallIndex) {
  ASSERT_OK(ImportBatch(*store_, "b1", kOp, kType, 0, 3));
  ASSERT_OK(ImportBatch(*store_, "b2", "op2", kType, 10, 1));
  auto order = [&](const std::string& iccid, const std::string& call) {
    TransitionRequest t;
    t.iccid = iccid;
    t.from = {store::AVAILABLE};
    t.to = store::ALLOCATED;
    t.mutate = [call](store::ProfileRecord& r) {
      r.mutable_order()->set_function_call_id(call);
      return absl::OkStatus();
    };
    t.audit.set_action("DownloadOrder");
    return store_->Transition(t);
  };
  EXPECT_THAT(store_->GetProfileByFunctionCall(kOp, "call-1"),
              StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK(order(TestIccid(0), "call-1").status());
  ASSERT_OK_AND_ASSIGN(store::ProfileRecord found,
                       store_->GetProfileByFunctionCall(kOp, "call-1"));
  EXPECT_EQ(found.iccid(), TestIccid(0));
  EXPECT_TRUE(found.protected_segments().empty());  // a head
  // Unique per operator: a second order of the same call is refused...
  EXPECT_THAT(order(TestIccid(1), "call-1"),
              StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_EQ(store_->GetProfile(TestIccid(1))->state(), store::AVAILABLE);
  // ... another operator's call of the same name is its own.
  ASSERT_OK(order(TestIccid(10), "call-1").status());
  EXPECT_EQ(store_->GetProfileByFunctionCall("op2", "call-1")->iccid(),
            TestIccid(10));
  EXPECT_THAT(store_->GetProfileByFunctionCall(kOp, ""),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // The order ends: the call is free again.
  ASSERT_OK(Move(TestIccid(0), {store::ALLOCATED}, store::AVAILABLE).status());
  EXPECT_THAT(store_->GetProfileByFunctionCall(kOp, "call-1"),
              StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK(order(TestIccid(1), "call-1").status());
  EXPECT_EQ(store_->GetProfileByFunctionCall(kOp, "call-1")->iccid(),
            TestIccid(1));
  ASSERT_OK_AND_ASSIGN(StoreCheckReport report, store_->Verify());
  EXPECT_THAT(report.problems, IsEmpty());
}

TEST_F(RocksDbProfileStoreTest, WrongFromStateIsRefusedAndNamesTheState) {
  ASSERT_OK(ImportBatch(*store_, "b1", kOp, kType, 0, 1));
  const std::string iccid = TestIccid(0);
  DriveTo(iccid, store::CONFIRMED);
  ASSERT_OK_AND_ASSIGN(auto before, store_->GetProfile(iccid));
  auto result = Move(iccid, {store::ALLOCATED, store::LINKED}, store::RELEASED);
  EXPECT_THAT(result, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(result.status().message(), HasSubstr("is CONFIRMED"));
  EXPECT_THAT(result.status().message(), HasSubstr("ALLOCATED|LINKED"));
  ASSERT_OK_AND_ASSIGN(auto after, store_->GetProfile(iccid));
  EXPECT_EQ(after.SerializeAsString(), before.SerializeAsString());
}

TEST_F(RocksDbProfileStoreTest, BadRequestsAreInvalidArguments) {
  ASSERT_OK(ImportBatch(*store_, "b1", kOp, kType, 0, 1));
  EXPECT_THAT(Move(TestIccid(0), {}, store::ALLOCATED),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(
      Move(TestIccid(0), {store::AVAILABLE}, store::PROFILE_STATE_UNSPECIFIED),
      StatusIs(absl::StatusCode::kInvalidArgument));
  for (std::string iccid :
       {"", "123", "89449900000000000000000", "89449900000000000a0"}) {
    EXPECT_THAT(Move(iccid, {store::AVAILABLE}, store::ALLOCATED),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << iccid;
    EXPECT_THAT(store_->GetProfile(iccid),
                StatusIs(absl::StatusCode::kInvalidArgument));
  }
  EXPECT_THAT(Move(TestIccid(7), {store::AVAILABLE}, store::ALLOCATED),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(RocksDbProfileStoreTest, OperatorIsolation) {
  ASSERT_OK(ImportBatch(*store_, "b1", "op1", kType, 0, 2));
  ASSERT_OK(ImportBatch(*store_, "b2", "op2", kType, 2, 2));
  const std::string iccid = TestIccid(0);  // op1's
  EXPECT_OK(store_->GetProfile(iccid, "op1"));
  auto foreign = store_->GetProfile(iccid, "op2");
  auto missing = store_->GetProfile(TestIccid(99), "op2");
  EXPECT_THAT(foreign, StatusIs(absl::StatusCode::kNotFound));
  // The answer for a foreign ICCID looks like the one for a missing ICCID.
  EXPECT_EQ(foreign.status().message(),
            absl::StrCat("no profile with ICCID ", iccid));

  TransitionRequest request;
  request.iccid = iccid;
  request.from = {store::AVAILABLE};
  request.to = store::ALLOCATED;
  request.operator_id = "op2";
  EXPECT_THAT(store_->Transition(request),
              StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(auto unchanged, store_->GetProfile(iccid));
  EXPECT_EQ(unchanged.state(), store::AVAILABLE);
  request.operator_id = "op1";
  EXPECT_OK(store_->Transition(request));

  // op2 allocates only its own profiles.
  for (int i = 0; i < 2; ++i) {
    ASSERT_OK_AND_ASSIGN(
        auto p, store_->AllocateProfile("op2", kType, AllocateRequest()));
    EXPECT_EQ(p.operator_id(), "op2");
  }
  EXPECT_THAT(store_->AllocateProfile("op2", kType, AllocateRequest()),
              StatusIs(absl::StatusCode::kResourceExhausted));
  ASSERT_OK_AND_ASSIGN(auto page, store_->ListProfiles({.operator_id = "op2"}));
  ASSERT_THAT(page.profiles, SizeIs(2));
  for (const auto& p : page.profiles) EXPECT_EQ(p.operator_id(), "op2");
}

TEST_F(RocksDbProfileStoreTest, MatchingIdIsUniqueAcrossProfiles) {
  ASSERT_OK(ImportBatch(*store_, "b1", kOp, kType, 0, 3));
  const std::string a = TestIccid(0), b = TestIccid(1);
  DriveTo(a, store::ALLOCATED);
  DriveTo(b, store::ALLOCATED);
  auto set_mid = [](std::string mid) {
    return [mid](store::ProfileRecord& r) {
      r.mutable_order()->set_matching_id(mid);
      return absl::OkStatus();
    };
  };
  ASSERT_OK(Move(a, {store::ALLOCATED}, store::CONFIRMED, set_mid("MID-1")));
  ASSERT_OK_AND_ASSIGN(auto before, store_->GetProfile(b));
  EXPECT_THAT(Move(b, {store::ALLOCATED}, store::CONFIRMED, set_mid("MID-1")),
              StatusIs(absl::StatusCode::kAlreadyExists));
  ASSERT_OK_AND_ASSIGN(auto after, store_->GetProfile(b));
  EXPECT_EQ(after.SerializeAsString(), before.SerializeAsString());
  ASSERT_OK_AND_ASSIGN(auto by_mid, store_->GetProfileByMatchingId("MID-1"));
  EXPECT_EQ(by_mid.iccid(), a);
  EXPECT_TRUE(by_mid.protected_segments().empty());  // the head only

  // Changing a's matchingId frees the old one.
  ASSERT_OK(Move(a, {store::CONFIRMED}, store::CONFIRMED, set_mid("MID-2")));
  EXPECT_THAT(store_->GetProfileByMatchingId("MID-1"),
              StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK(Move(b, {store::ALLOCATED}, store::CONFIRMED, set_mid("MID-1")));
  ASSERT_OK_AND_ASSIGN(by_mid, store_->GetProfileByMatchingId("MID-1"));
  EXPECT_EQ(by_mid.iccid(), b);

  // Giving a profile back frees its matchingId.
  ASSERT_OK(Move(a, {store::CONFIRMED}, store::AVAILABLE));
  EXPECT_THAT(store_->GetProfileByMatchingId("MID-2"),
              StatusIs(absl::StatusCode::kNotFound));
  DriveTo(TestIccid(2), store::ALLOCATED);
  EXPECT_OK(Move(TestIccid(2), {store::ALLOCATED}, store::CONFIRMED,
                 set_mid("MID-2")));
}

TEST_F(RocksDbProfileStoreTest, ConcurrentClaimsOfOneMatchingIdHaveOneWinner) {
  constexpr int kProfiles = 32;
  ASSERT_OK(ImportBatch(*store_, "b1", kOp, kType, 0, kProfiles));
  for (int i = 0; i < kProfiles; ++i) DriveTo(TestIccid(i), store::ALLOCATED);
  std::atomic<int> ok{0}, exists{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kProfiles; ++i) {
    threads.emplace_back([&, i] {
      auto r = Move(TestIccid(i), {store::ALLOCATED}, store::CONFIRMED,
                    [](store::ProfileRecord& r) {
                      r.mutable_order()->set_matching_id("SAME");
                      return absl::OkStatus();
                    });
      if (r.ok()) ++ok;
      if (r.status().code() == absl::StatusCode::kAlreadyExists) ++exists;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(exists.load(), kProfiles - 1);
}

TEST_F(RocksDbProfileStoreTest, MutateErrorsAndForbiddenChangesAbortTheChange) {
  ASSERT_OK(ImportBatch(*store_, "b1", kOp, kType, 0, 1));
  const std::string iccid = TestIccid(0);
  ASSERT_OK_AND_ASSIGN(auto before, store_->GetProfile(iccid));
  EXPECT_THAT(Move(iccid, {store::AVAILABLE}, store::ALLOCATED,
                   [](store::ProfileRecord&) {
                     return absl::PermissionDeniedError("no");
                   }),
              StatusIs(absl::StatusCode::kPermissionDenied));
  for (auto change : std::vector<std::function<void(store::ProfileRecord&)>>{
           [](auto& r) { r.set_iccid("8944990000999999999"); },
           [](auto& r) { r.set_state(store::INSTALLED); },
           [](auto& r) { r.set_operator_id("op2"); },
           [](auto& r) { r.set_batch_id("other"); },
           [](auto& r) { r.set_profile_type("other"); },
           [](auto& r) { r.set_version(77); },
       }) {
    EXPECT_THAT(Move(iccid, {store::AVAILABLE}, store::ALLOCATED,
                     [&](store::ProfileRecord& r) {
                       change(r);
                       return absl::OkStatus();
                     }),
                StatusIs(absl::StatusCode::kInvalidArgument));
  }
  ASSERT_OK_AND_ASSIGN(auto after, store_->GetProfile(iccid));
  EXPECT_EQ(after.SerializeAsString(), before.SerializeAsString());
  ASSERT_OK_AND_ASSIGN(auto audit, store_->GetAudit(iccid));
  EXPECT_THAT(audit, SizeIs(1));  // only the import
}

TEST_F(RocksDbProfileStoreTest, VersionTimeAndContentChanges) {
  ASSERT_OK(ImportBatch(*store_, "b1", kOp, kType, 0, 1));
  const std::string iccid = TestIccid(0);
  ASSERT_OK_AND_ASSIGN(auto p, store_->GetProfile(iccid));
  EXPECT_EQ(p.version(), 1);
  EXPECT_EQ(p.updated_at_ms(), absl::ToUnixMillis(kStart));
  clock_.Advance(absl::Seconds(10));
  ASSERT_OK_AND_ASSIGN(p, Move(iccid, {store::AVAILABLE}, store::ALLOCATED,
                               [](store::ProfileRecord& r) {
                                 r.set_protected_segments("new content");
                                 r.set_msisdn("+331234");
                                 return absl::OkStatus();
                               }));
  EXPECT_EQ(p.version(), 2);
  EXPECT_EQ(p.updated_at_ms(), absl::ToUnixMillis(kStart + absl::Seconds(10)));
  clock_.Advance(absl::Seconds(1));
  ASSERT_OK_AND_ASSIGN(p, Move(iccid, {store::ALLOCATED}, store::ALLOCATED,
                               [](store::ProfileRecord& r) {
                                 r.mutable_order()->set_download_attempts(1);
                                 return absl::OkStatus();
                               }));
  EXPECT_EQ(p.version(), 3);
  EXPECT_EQ(p.protected_segments(), "new content");
  Reopen();
  ASSERT_OK_AND_ASSIGN(p, store_->GetProfile(iccid));
  EXPECT_EQ(p.version(), 3);
  EXPECT_EQ(p.msisdn(), "+331234");
  EXPECT_EQ(p.protected_segments(), "new content");
  EXPECT_EQ(p.sealed_ppk().kek_label(), "kek1");
  EXPECT_EQ(p.order().download_attempts(), 1u);
}

TEST_F(RocksDbProfileStoreTest, ContentIsOptIn) {
  ASSERT_OK(ImportBatch(*store_, "b1", kOp, kType, 0, 2, 5000));
  const std::string iccid = TestIccid(0);
  ASSERT_OK_AND_ASSIGN(auto full, store_->GetProfile(iccid));
  ASSERT_EQ(full.protected_segments().size(), 5000u);
  // GetProfileHead: the same record without the content fields.
  ASSERT_OK_AND_ASSIGN(auto read_head, store_->GetProfileHead(iccid, kOp));
  EXPECT_TRUE(read_head.protected_segments().empty());
  EXPECT_FALSE(read_head.has_sealed_ppk());
  store::ProfileRecord full_head = full;
  full_head.clear_protected_segments();
  full_head.clear_sealed_ppk();
  full_head.clear_sealed_profile();
  EXPECT_EQ(read_head.SerializeAsString(), full_head.SerializeAsString());
  EXPECT_THAT(store_->GetProfileHead(iccid, "other-operator"),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->GetProfileHead(TestIccid(99)),
              StatusIs(absl::StatusCode::kNotFound));
  TransitionRequest request;
  request.iccid = iccid;
  request.from = {store::AVAILABLE};
  request.to = store::ALLOCATED;
  bool saw_content = true;
  request.mutate = [&](store::ProfileRecord& r) {
    saw_content = !r.protected_segments().empty() || r.has_sealed_ppk();
    return absl::OkStatus();
  };
  ASSERT_OK_AND_ASSIGN(auto head, store_->Transition(request));
  EXPECT_FALSE(saw_content);
  EXPECT_TRUE(head.protected_segments().empty());
  EXPECT_FALSE(head.has_sealed_ppk());
  EXPECT_EQ(head.imsi(), full.imsi());
  EXPECT_TRUE(head.has_metadata());
  // Setting content without with_content is refused ...
  request.from = {store::ALLOCATED};
  request.mutate = [](store::ProfileRecord& r) {
    r.mutable_sealed_profile()->set_sealed("x");
    return absl::OkStatus();
  };
  EXPECT_THAT(store_->Transition(request),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // ... and allowed with it, leaving the other content fields alone.
  request.with_content = true;
  request.mutate = [&](store::ProfileRecord& r) {
    saw_content = r.protected_segments() == full.protected_segments();
    r.mutable_sealed_profile()->set_sealed("x");
    return absl::OkStatus();
  };
  ASSERT_OK_AND_ASSIGN(auto with, store_->Transition(request));
  EXPECT_TRUE(saw_content);
  EXPECT_EQ(with.protected_segments(), full.protected_segments());
  ASSERT_OK_AND_ASSIGN(auto after, store_->GetProfile(iccid));
  EXPECT_EQ(after.sealed_profile().sealed(), "x");
  EXPECT_EQ(after.protected_segments(), full.protected_segments());
  EXPECT_EQ(after.sealed_ppk().kek_label(), "kek1");
  // AllocateProfile follows request.with_content too.
  TransitionRequest alloc = AllocateRequest();
  ASSERT_OK_AND_ASSIGN(auto p, store_->AllocateProfile(kOp, kType, alloc));
  EXPECT_TRUE(p.protected_segments().empty());
}

TEST_F(RocksDbProfileStoreTest, AuditEntryIsWrittenWithTheChange) {
  ASSERT_OK(ImportBatch(*store_, "b1", kOp, kType, 0, 2));
  const std::string iccid = TestIccid(1);
  clock_.Advance(absl::Milliseconds(1500));
  TransitionRequest request;
  request.iccid = iccid;
  request.from = {store::AVAILABLE};
  request.to = store::UNAVAILABLE;
  request.audit.set_actor("admin");
  request.audit.set_action("Withdraw");
  request.audit.set_detail("lost SIM");
  request.audit.set_seq(12345);  // ignored: the store numbers entries
  ASSERT_OK(store_->Transition(request));
  ASSERT_OK(store_->AppendAudit([&] {
    store::AuditEntry e;
    e.set_iccid(iccid);
    e.set_actor("operator:op2");
    e.set_action("DownloadOrder refused");
    e.set_to_state(store::INSTALLED);  // ignored: not a state change
    return e;
  }()));
  ASSERT_OK_AND_ASSIGN(auto audit, store_->GetAudit(iccid));
  ASSERT_THAT(audit, SizeIs(3));
  EXPECT_EQ(audit[0].action(), "CommitBatch");
  EXPECT_EQ(audit[0].from_state(), store::PROFILE_STATE_UNSPECIFIED);
  EXPECT_EQ(audit[0].to_state(), store::AVAILABLE);
  EXPECT_EQ(audit[1].actor(), "admin");
  EXPECT_EQ(audit[1].action(), "Withdraw");
  EXPECT_EQ(audit[1].detail(), "lost SIM");
  EXPECT_EQ(audit[1].iccid(), iccid);
  EXPECT_EQ(audit[1].from_state(), store::AVAILABLE);
  EXPECT_EQ(audit[1].to_state(), store::UNAVAILABLE);
  EXPECT_EQ(audit[1].time_ms(),
            absl::ToUnixMillis(kStart + absl::Milliseconds(1500)));
  EXPECT_EQ(audit[2].action(), "DownloadOrder refused");
  EXPECT_EQ(audit[2].to_state(), store::PROFILE_STATE_UNSPECIFIED);
  EXPECT_LT(audit[0].seq(), audit[1].seq());
  EXPECT_LT(audit[1].seq(), audit[2].seq());
  EXPECT_NE(audit[1].seq(), 12345u);

  // Seqs keep increasing across a restart.
  const uint64_t last = audit[2].seq();
  Reopen();
  ASSERT_OK(Move(iccid, {store::UNAVAILABLE}, store::UNAVAILABLE));
  ASSERT_OK_AND_ASSIGN(audit, store_->GetAudit(iccid));
  ASSERT_THAT(audit, SizeIs(4));
  EXPECT_GT(audit[3].seq(), last);
}

TEST_F(RocksDbProfileStoreTest, DurableFlagControlsTheWalSync) {
  ASSERT_OK(ImportBatch(*store_, "b1", kOp, kType, 0, 2));
  // With sync_writes off (this fixture's default), nothing is synced.
  TakeWrites();
  ASSERT_OK(Move(TestIccid(0), {store::AVAILABLE}, store::ALLOCATED));
  EXPECT_THAT(TakeWrites(), ElementsAre(std::pair<std::string, bool>(
                                "write transition", false)));
  sync_writes_ = true;
  Reopen();
  TakeWrites();
  TransitionRequest request;
  request.iccid = TestIccid(0);
  request.from = {store::ALLOCATED};
  request.to = store::ALLOCATED;
  request.durable = true;
  ASSERT_OK(store_->Transition(request));
  request.durable = false;
  ASSERT_OK(store_->Transition(request));
  EXPECT_THAT(
      TakeWrites(),
      ElementsAre(std::pair<std::string, bool>("write transition", true),
                  std::pair<std::string, bool>("write transition", false)));
  store::SessionRecord session;
  session.set_transaction_id("\x01\x02");
  ASSERT_OK(store_->PutSession(session, /*durable=*/false));
  ASSERT_OK(store_->PutSession(session, /*durable=*/true));
  EXPECT_THAT(TakeWrites(),
              ElementsAre(std::pair<std::string, bool>("write session", false),
                          std::pair<std::string, bool>("write session", true)));
}

TEST_F(RocksDbProfileStoreTest, LockWaitIsBounded) {
  lock_timeout_ = absl::Milliseconds(200);
  Reopen();
  ASSERT_OK(ImportBatch(*store_, "b1", kOp, kType, 0, 1));
  absl::Notification inside, release;
  std::thread slow([&] {
    EXPECT_OK(Move(TestIccid(0), {store::AVAILABLE}, store::ALLOCATED,
                   [&](store::ProfileRecord&) {
                     inside.Notify();
                     release.WaitForNotification();
                     return absl::OkStatus();
                   }));
  });
  inside.WaitForNotification();
  EXPECT_THAT(Move(TestIccid(0), {store::AVAILABLE}, store::UNAVAILABLE),
              StatusIs(absl::StatusCode::kAborted));
  release.Notify();
  slow.join();
  ASSERT_OK_AND_ASSIGN(auto p, store_->GetProfile(TestIccid(0)));
  EXPECT_EQ(p.state(), store::ALLOCATED);
}

// --- Outbox
// -----------------------------------------------------------------------

TEST_F(RocksDbProfileStoreTest, OutboxEntryIsQueuedWithTheChange) {
  ASSERT_OK(ImportBatch(*store_, "b1", kOp, kType, 0, 3));
  TransitionRequest request = AllocateRequest();
  store::OutboxEntry notify;
  notify.set_notification_point_id(1);
  notify.set_status("Executed-Success");
  request.notify = notify;
  ASSERT_OK_AND_ASSIGN(auto p1, store_->AllocateProfile(kOp, kType, request));
  clock_.Advance(absl::Seconds(1));
  ASSERT_OK_AND_ASSIGN(auto p2, store_->AllocateProfile(kOp, kType, request));
  // A refused change queues nothing.
  request.iccid = p1.iccid();
  request.from = {store::AVAILABLE};
  request.to = store::ALLOCATED;
  EXPECT_THAT(store_->Transition(request),
              StatusIs(absl::StatusCode::kFailedPrecondition));

  const absl::Time now = clock_.Now();
  ASSERT_OK_AND_ASSIGN(auto leased,
                       store_->LeaseOutbox(now, 10, absl::Seconds(30)));
  ASSERT_THAT(leased, SizeIs(2));
  EXPECT_EQ(leased[0].iccid(), p1.iccid());
  EXPECT_EQ(leased[1].iccid(), p2.iccid());
  EXPECT_LT(leased[0].id(), leased[1].id());
  EXPECT_EQ(leased[0].operator_id(), kOp);
  EXPECT_EQ(leased[0].notification_point_id(), 1u);
  EXPECT_EQ(leased[0].created_at_ms(), absl::ToUnixMillis(kStart));
  EXPECT_EQ(leased[0].next_attempt_at_ms(),
            absl::ToUnixMillis(now + absl::Seconds(30)));

  // Leased entries are not handed out again until the lease ends.
  ASSERT_OK_AND_ASSIGN(auto again,
                       store_->LeaseOutbox(now, 10, absl::Seconds(30)));
  EXPECT_THAT(again, IsEmpty());
  ASSERT_OK_AND_ASSIGN(again, store_->LeaseOutbox(now + absl::Seconds(31), 1,
                                                  absl::Seconds(30)));
  ASSERT_THAT(again, SizeIs(1));  // the limit
  EXPECT_EQ(again[0].id(), leased[0].id());

  ASSERT_OK(store_->AckOutbox(leased[0].id()));
  EXPECT_THAT(store_->AckOutbox(leased[0].id()),
              StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK(store_->RetryOutbox(leased[1].id(), now + absl::Minutes(5)));
  ASSERT_OK(store_->RetryOutbox(leased[1].id(), now + absl::Minutes(10)));
  EXPECT_THAT(store_->RetryOutbox(999999, now),
              StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(again, store_->LeaseOutbox(now + absl::Minutes(9), 10,
                                                  absl::Seconds(30)));
  EXPECT_THAT(again, IsEmpty());
  Reopen();  // the outbox survives a restart
  ASSERT_OK_AND_ASSIGN(again, store_->LeaseOutbox(now + absl::Minutes(10), 10,
                                                  absl::Seconds(30)));
  ASSERT_THAT(again, SizeIs(1));
  EXPECT_EQ(again[0].id(), leased[1].id());
  EXPECT_EQ(again[0].attempts(), 2u);
  ASSERT_OK(store_->AckOutbox(again[0].id()));
  EXPECT_THAT(
      store_->LeaseOutbox(now + absl::Hours(1), 10, absl::Seconds(1)).value(),
      IsEmpty());
  EXPECT_THAT(store_->LeaseOutbox(now, 10, absl::ZeroDuration()),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(RocksDbProfileStoreTest, TransitionWritesItsSessionInTheSameCommit) {
  ASSERT_OK(ImportBatch(*store_, "b1", kOp, kType, 0, 1));
  store::SessionRecord session;
  session.set_transaction_id(std::string("\x10\x20", 2));
  session.set_stage(store::SessionRecord::AUTHENTICATED);
  session.set_iccid(TestIccid(0));
  session.set_expires_at_ms(absl::ToUnixMillis(kStart + absl::Minutes(5)));
  TransitionRequest t;
  t.iccid = TestIccid(0);
  t.from = {store::AVAILABLE};
  t.to = store::ALLOCATED;
  t.audit.set_action("test");
  t.session = session;
  // A refused change writes no session either.
  t.mutate = [](store::ProfileRecord&) {
    return absl::FailedPreconditionError("no");
  };
  EXPECT_THAT(store_->Transition(t),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(store_->GetSession(session.transaction_id(), kStart),
              StatusIs(absl::StatusCode::kNotFound));
  t.mutate = nullptr;
  ASSERT_OK(store_->Transition(t).status());
  ASSERT_OK_AND_ASSIGN(store::SessionRecord got,
                       store_->GetSession(session.transaction_id(), kStart));
  EXPECT_EQ(got.iccid(), TestIccid(0));
  // Replacing it moves its expiry entry.
  session.set_expires_at_ms(absl::ToUnixMillis(kStart + absl::Hours(1)));
  t.from = {store::ALLOCATED};
  t.session = session;
  ASSERT_OK(store_->Transition(t).status());
  ASSERT_OK_AND_ASSIGN(auto expired, store_->DeleteExpiredSessions(
                                         kStart + absl::Minutes(10), 10));
  EXPECT_THAT(expired, IsEmpty());
  t.session->set_transaction_id("");
  EXPECT_THAT(store_->Transition(t),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(RocksDbProfileStoreTest, OutboxKeepsTheOrderOfOneProfile) {
  ASSERT_OK(ImportBatch(*store_, "b1", kOp, kType, 0, 2));
  const std::string a = TestIccid(0);
  const std::string b = TestIccid(1);
  // Three callbacks for profile a (in-state updates), one for b.
  for (const std::string& iccid : {a, a, b, a}) {
    TransitionRequest t;
    t.iccid = iccid;
    t.from = {store::AVAILABLE};
    t.to = store::AVAILABLE;
    t.audit.set_action("test");
    t.notify = store::OutboxEntry();
    ASSERT_OK(store_->Transition(t).status());
  }
  const absl::Time now = clock_.Now();
  ASSERT_OK_AND_ASSIGN(auto leased,
                       store_->LeaseOutbox(now, 10, absl::Seconds(30)));
  ASSERT_THAT(leased, SizeIs(2));  // the first of a, the only one of b
  EXPECT_EQ(leased[0].iccid(), a);
  EXPECT_EQ(leased[1].iccid(), b);
  const uint64_t first_a = leased[0].id();
  // a's first keeps failing: a's later ones wait, even when due earlier.
  ASSERT_OK(store_->RetryOutbox(first_a, now + absl::Minutes(5)));
  ASSERT_OK(store_->AckOutbox(leased[1].id()));
  ASSERT_OK_AND_ASSIGN(leased, store_->LeaseOutbox(now + absl::Minutes(1), 10,
                                                   absl::Seconds(30)));
  EXPECT_THAT(leased, IsEmpty());
  ASSERT_OK_AND_ASSIGN(leased, store_->LeaseOutbox(now + absl::Minutes(5), 10,
                                                   absl::Seconds(30)));
  ASSERT_THAT(leased, SizeIs(1));
  EXPECT_EQ(leased[0].id(), first_a);
  ASSERT_OK(store_->AckOutbox(first_a));
  uint64_t last = first_a;
  for (int i = 0; i < 2; ++i) {
    ASSERT_OK_AND_ASSIGN(leased, store_->LeaseOutbox(now + absl::Minutes(6), 10,
                                                     absl::Seconds(30)));
    ASSERT_THAT(leased, SizeIs(1));
    EXPECT_EQ(leased[0].iccid(), a);
    EXPECT_GT(leased[0].id(), last);
    last = leased[0].id();
    ASSERT_OK(store_->AckOutbox(last));
  }
}

TEST_F(RocksDbProfileStoreTest, ConcurrentLeasesNeverShareAnEntry) {
  ASSERT_OK(ImportBatch(*store_, "b1", kOp, kType, 0, 200));
  TransitionRequest request = AllocateRequest();
  request.notify = store::OutboxEntry();
  for (int i = 0; i < 200; ++i) {
    ASSERT_OK(store_->AllocateProfile(kOp, kType, request));
  }
  absl::Mutex mu;
  std::multiset<uint64_t> ids;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      while (true) {
        auto leased = store_->LeaseOutbox(clock_.Now(), 7, absl::Hours(1));
        ASSERT_OK(leased);
        if (leased->empty()) return;
        absl::MutexLock lock(&mu);
        for (const auto& e : *leased) ids.insert(e.id());
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_THAT(ids, SizeIs(200));
  EXPECT_EQ(std::set<uint64_t>(ids.begin(), ids.end()).size(), 200u);
}

// --- Allocation
// -------------------------------------------------------------------

TEST_F(RocksDbProfileStoreTest, AllocateTakesOnlyMatchingCommittedProfiles) {
  ASSERT_OK(ImportBatch(*store_, "b1", kOp, "consumer", 0, 2));
  ASSERT_OK(ImportBatch(*store_, "b2", kOp, "iot", 2, 1));
  TransitionRequest request = AllocateRequest();
  request.with_content = true;
  ASSERT_OK_AND_ASSIGN(auto p, store_->AllocateProfile(kOp, "iot", request));
  EXPECT_EQ(p.iccid(), TestIccid(2));
  EXPECT_EQ(p.state(), store::ALLOCATED);
  EXPECT_EQ(p.version(), 2);
  EXPECT_FALSE(p.protected_segments().empty());
  EXPECT_THAT(store_->AllocateProfile(kOp, "iot", AllocateRequest()),
              StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_THAT(store_->AllocateProfile("op9", "consumer", AllocateRequest()),
              StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_THAT(store_->AllocateProfile("", "consumer", AllocateRequest()),
              StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_OK_AND_ASSIGN(auto audit, store_->GetAudit(p.iccid()));
  EXPECT_EQ(audit.back().action(), "DownloadOrder");
  EXPECT_EQ(audit.back().to_state(), store::ALLOCATED);
}

TEST_F(RocksDbProfileStoreTest,
       AllocateAppliesMutateAndFindsProfilesGivenBack) {
  ASSERT_OK(ImportBatch(*store_, "b1", kOp, kType, 0, 5));
  TransitionRequest request = AllocateRequest();
  int call = 0;
  request.mutate = [&call](store::ProfileRecord& r) {
    r.mutable_order()->set_function_call_id(absl::StrCat("fc-", call));
    return absl::OkStatus();
  };
  std::vector<std::string> got;
  for (int i = 0; i < 5; ++i) {
    call = i;
    ASSERT_OK_AND_ASSIGN(auto p, store_->AllocateProfile(kOp, kType, request));
    EXPECT_EQ(p.order().function_call_id(), absl::StrCat("fc-", i));
    got.push_back(p.iccid());
  }
  EXPECT_THAT(store_->AllocateProfile(kOp, kType, request),
              StatusIs(absl::StatusCode::kResourceExhausted));
  // Give the first one back: allocation wraps around to find it.
  ASSERT_OK(Move(got[0], {store::ALLOCATED}, store::AVAILABLE));
  call = 5;  // a new call
  ASSERT_OK_AND_ASSIGN(auto p, store_->AllocateProfile(kOp, kType, request));
  EXPECT_EQ(p.iccid(), got[0]);
  // A failing mutate leaves the profile available.
  ASSERT_OK(Move(got[3], {store::ALLOCATED}, store::AVAILABLE));
  request.mutate = [](store::ProfileRecord&) {
    return absl::InternalError("boom");
  };
  EXPECT_THAT(store_->AllocateProfile(kOp, kType, request),
              StatusIs(absl::StatusCode::kInternal));
  ASSERT_OK_AND_ASSIGN(p, store_->GetProfile(got[3]));
  EXPECT_EQ(p.state(), store::AVAILABLE);
}

TEST_F(RocksDbProfileStoreTest, SixtyFourThreadsAllocateEachProfileOnce) {
  sync_writes_ = true;  // as in production: racing fsyncs
  Reopen();
  constexpr int kProfiles = 1000;
  constexpr int kThreads = 64;
  ASSERT_OK(ImportBatch(*store_, "b1", kOp, kType, 0, kProfiles));
  // Another operator's and another type's profiles must not be taken.
  ASSERT_OK(ImportBatch(*store_, "b2", "op2", kType, kProfiles, 50));
  ASSERT_OK(ImportBatch(*store_, "b3", kOp, "iot", kProfiles + 50, 50));
  absl::Mutex mu;
  std::vector<std::string> allocated;
  std::atomic<int> exhausted{0}, other_errors{0};
  std::vector<std::thread> threads;
  absl::Notification go;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      go.WaitForNotification();
      TransitionRequest request = AllocateRequest();
      int call = 0;
      request.mutate = [t, &call](store::ProfileRecord& r) {
        r.mutable_order()->set_function_call_id(
            absl::StrCat("thread-", t, "-", ++call));
        return absl::OkStatus();
      };
      while (true) {
        auto p = store_->AllocateProfile(kOp, kType, request);
        if (p.ok()) {
          absl::MutexLock lock(&mu);
          allocated.push_back(p->iccid());
          continue;
        }
        if (p.status().code() == absl::StatusCode::kResourceExhausted) {
          ++exhausted;
        } else {
          ADD_FAILURE() << p.status();
          ++other_errors;
        }
        return;
      }
    });
  }
  go.Notify();
  for (auto& t : threads) t.join();
  EXPECT_EQ(other_errors.load(), 0);
  EXPECT_EQ(exhausted.load(), kThreads);
  ASSERT_THAT(allocated, SizeIs(kProfiles));
  std::set<std::string> unique(allocated.begin(), allocated.end());
  EXPECT_EQ(unique.size(), static_cast<size_t>(kProfiles));
  EXPECT_THAT(store_->AllocateProfile(kOp, kType, AllocateRequest()),
              StatusIs(absl::StatusCode::kResourceExhausted));
  // Each record agrees: ALLOCATED once, by the thread that got it.
  for (int i = 0; i < kProfiles; ++i) {
    ASSERT_OK_AND_ASSIGN(auto p, store_->GetProfile(TestIccid(i)));
    EXPECT_EQ(p.state(), store::ALLOCATED);
    EXPECT_EQ(p.version(), 2);
    ASSERT_OK_AND_ASSIGN(auto audit, store_->GetAudit(p.iccid()));
    EXPECT_THAT(audit, SizeIs(2));
  }
  ASSERT_OK_AND_ASSIGN(
      auto others,
      store_->ListProfiles({.state = store::AVAILABLE, .page_size = 1000}));
  EXPECT_THAT(others.profiles, SizeIs(100));
}

// --- ListProfiles
// -----------------------------------------------------------------

std::vector<std::string> Iccids(const std::vector<store::ProfileRecord>& ps) {
  std::vector<std::string> out;
  for (const auto& p : ps) out.push_back(p.iccid());
  return out;
}

TEST_F(RocksDbProfileStoreTest, ListProfilesFilters) {
  ASSERT_OK(ImportBatch(*store_, "b1", "op1", "consumer", 0, 6));
  ASSERT_OK(ImportBatch(*store_, "b2", "op1", "iot", 6, 3));
  ASSERT_OK(ImportBatch(*store_, "b3", "op2", "consumer", 9, 4));
  DriveTo(TestIccid(1), store::RELEASED);
  DriveTo(TestIccid(7), store::RELEASED);
  DriveTo(TestIccid(10), store::RELEASED);
  DriveTo(TestIccid(2), store::INSTALLED);

  auto list = [&](ProfileQuery q) {
    auto page = store_->ListProfiles(q);
    EXPECT_THAT(page, IsOk());
    EXPECT_EQ(page->next_page_token, "");
    for (const auto& p : page->profiles) {
      EXPECT_TRUE(p.protected_segments().empty());
      EXPECT_FALSE(p.has_sealed_ppk());
    }
    return Iccids(page->profiles);
  };
  EXPECT_THAT(list({}), SizeIs(13));
  EXPECT_THAT(list({.state = store::RELEASED}),
              ElementsAre(TestIccid(1), TestIccid(7), TestIccid(10)));
  EXPECT_THAT(list({.state = store::RELEASED, .operator_id = "op1"}),
              ElementsAre(TestIccid(1), TestIccid(7)));
  EXPECT_THAT(list({.state = store::RELEASED, .profile_type = "consumer"}),
              ElementsAre(TestIccid(1), TestIccid(10)));
  EXPECT_THAT(list({.state = store::INSTALLED}), ElementsAre(TestIccid(2)));
  EXPECT_THAT(list({.batch_id = "b2"}),
              ElementsAre(TestIccid(6), TestIccid(7), TestIccid(8)));
  EXPECT_THAT(list({.state = store::AVAILABLE, .batch_id = "b2"}),
              ElementsAre(TestIccid(6), TestIccid(8)));
  EXPECT_THAT(list({.operator_id = "op2"}), SizeIs(4));
  EXPECT_THAT(list({.profile_type = "iot"}), SizeIs(3));
  EXPECT_THAT(list({.batch_id = "b1", .operator_id = "op2"}), IsEmpty());
  EXPECT_THAT(list({.batch_id = "nope"}), IsEmpty());

  EXPECT_THAT(store_->ListProfiles({.page_size = 1001}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  auto bad = store_->ListProfiles({.state = static_cast<ProfileState>(42),
                                   .operator_id = std::string("a\0b", 3),
                                   .page_size = 5000});
  EXPECT_THAT(bad, StatusIs(absl::StatusCode::kInvalidArgument));
  // Every bad field is named.
  EXPECT_THAT(bad.status().message(), HasSubstr("page_size"));
  EXPECT_THAT(bad.status().message(), HasSubstr("state"));
  EXPECT_THAT(bad.status().message(), HasSubstr("operator_id"));
}

TEST_F(RocksDbProfileStoreTest, ListProfilesPagesAreStableUnderInserts) {
  // ICCIDs 100..149 (every other one to leave gaps for later inserts).
  ASSERT_OK(BeginBatchAndStage("b1", {100, 150, 2}));
  ASSERT_OK(store_->CommitBatch("b1"));
  int k = 0;
  for (ProfileQuery base :
       {ProfileQuery{}, ProfileQuery{.state = store::AVAILABLE},
        ProfileQuery{.operator_id = kOp}, ProfileQuery{.batch_id = "b1"}}) {
    SCOPED_TRACE(k);
    ProfileQuery q = base;
    q.page_size = 7;
    std::vector<std::string> seen;
    int pages = 0;
    while (true) {
      ASSERT_OK_AND_ASSIGN(auto page, store_->ListProfiles(q));
      ++pages;
      for (auto& id : Iccids(page.profiles)) seen.push_back(id);
      if (pages == 2) {
        // Between pages (position ~126): insert 101+2k before the position
        // and 141+2k after it, and move 104 (already listed) to RELEASED.
        ASSERT_OK(BeginBatchAndStage(absl::StrCat("late", k),
                                     {101 + 2 * k, 142 + 2 * k, 40}));
        ASSERT_OK(store_->CommitBatch(absl::StrCat("late", k)));
      }
      if (page.next_page_token.empty()) break;
      q.page_token = page.next_page_token;
      ASSERT_LT(pages, 100);
    }
    std::set<std::string> unique(seen.begin(), seen.end());
    EXPECT_EQ(unique.size(), seen.size()) << "a profile was listed twice";
    EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
    for (int i = 100; i < 150; i += 2) {
      EXPECT_TRUE(unique.count(TestIccid(i))) << i;
    }
    EXPECT_EQ(unique.count(TestIccid(101 + 2 * k)), 0u);
    EXPECT_EQ(unique.count(TestIccid(141 + 2 * k)),
              base.batch_id.empty() ? 1u : 0u);
    ++k;
  }
}

TEST_F(RocksDbProfileStoreTest, ListProfilesSeesInsertsAfterThePosition) {
  ASSERT_OK(BeginBatchAndStage("b1", {100, 120, 2}));
  ASSERT_OK(store_->CommitBatch("b1"));
  ASSERT_OK_AND_ASSIGN(auto page, store_->ListProfiles({.page_size = 5}));
  ASSERT_THAT(Iccids(page.profiles),
              ElementsAre(TestIccid(100), TestIccid(102), TestIccid(104),
                          TestIccid(106), TestIccid(108)));
  // Insert 101 (before the position) and 111, 113 (after it).
  ASSERT_OK(BeginBatchAndStage("b2", {101, 102, 1}));
  ASSERT_OK(store_->CommitBatch("b2"));
  ASSERT_OK(BeginBatchAndStage("b3", {111, 115, 2}));
  ASSERT_OK(store_->CommitBatch("b3"));
  std::vector<std::string> rest;
  ProfileQuery q{.page_size = 5, .page_token = page.next_page_token};
  while (!q.page_token.empty()) {
    ASSERT_OK_AND_ASSIGN(page, store_->ListProfiles(q));
    for (auto& id : Iccids(page.profiles)) rest.push_back(id);
    q.page_token = page.next_page_token;
  }
  EXPECT_THAT(rest, ElementsAre(TestIccid(110), TestIccid(111), TestIccid(112),
                                TestIccid(113), TestIccid(114), TestIccid(116),
                                TestIccid(118)));
}

TEST_F(RocksDbProfileStoreTest, ListProfilesTokensAreBoundToTheirQuery) {
  ASSERT_OK(ImportBatch(*store_, "b1", kOp, kType, 0, 10));
  ASSERT_OK_AND_ASSIGN(auto page, store_->ListProfiles({.page_size = 3}));
  ASSERT_FALSE(page.next_page_token.empty());
  EXPECT_THAT(store_->ListProfiles({.operator_id = kOp,
                                    .page_size = 3,
                                    .page_token = page.next_page_token}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->ListProfiles({.page_token = "garbage!"}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  std::string tampered = page.next_page_token;
  tampered[tampered.size() / 2] ^= 1;
  auto r = store_->ListProfiles({.page_size = 3, .page_token = tampered});
  if (r.ok()) {
    EXPECT_LE(r->profiles.size(), 3u);  // still decodes: another position
  } else {
    EXPECT_THAT(r, StatusIs(absl::StatusCode::kInvalidArgument));
  }
}

TEST_F(RocksDbProfileStoreTest,
       ListProfilesReturnsShortPagesWhenScanIsBounded) {
  list_scan_limit_ = 4;
  Reopen();
  ASSERT_OK(ImportBatch(*store_, "b1", kOp, kType, 0, 30));
  DriveTo(TestIccid(3), store::RELEASED);
  DriveTo(TestIccid(25), store::RELEASED);
  ProfileQuery q{.profile_type = kType, .operator_id = "", .page_size = 10};
  q.batch_id = "";
  // Filter on a field no index serves: type only (full scan), 30 records,
  // 4 per call.
  std::vector<std::string> seen;
  int calls = 0;
  q.state = store::RELEASED;
  do {
    ASSERT_OK_AND_ASSIGN(auto page, store_->ListProfiles(q));
    ++calls;
    for (auto& id : Iccids(page.profiles)) seen.push_back(id);
    q.page_token = page.next_page_token;
  } while (!q.page_token.empty());
  EXPECT_THAT(seen, ElementsAre(TestIccid(3), TestIccid(25)));
  q = {.profile_type = kType, .page_size = 10};
  seen.clear();
  calls = 0;
  do {
    ASSERT_OK_AND_ASSIGN(auto page, store_->ListProfiles(q));
    ++calls;
    EXPECT_LE(page.profiles.size(), 4u);
    for (auto& id : Iccids(page.profiles)) seen.push_back(id);
    q.page_token = page.next_page_token;
  } while (!q.page_token.empty());
  EXPECT_THAT(seen, SizeIs(30));
  EXPECT_GE(calls, 8);
}

// --- By matchingId / EID
// ------------------------------------------------------------

TEST_F(RocksDbProfileStoreTest, GetProfilesByEidOldestFirst) {
  ASSERT_OK(ImportBatch(*store_, "b1", kOp, kType, 0, 4));
  const std::string eid = "89049032000000000000000000000123";
  for (int i : {2, 0, 3}) {
    clock_.Advance(absl::Seconds(1));
    const int64_t created = absl::ToUnixMillis(clock_.Now());
    ASSERT_OK(Move(TestIccid(i), {store::AVAILABLE}, store::ALLOCATED,
                   [&](store::ProfileRecord& r) {
                     r.mutable_order()->set_eid(eid);
                     r.mutable_order()->set_created_at_ms(created);
                     return absl::OkStatus();
                   }));
  }
  ASSERT_OK_AND_ASSIGN(auto profiles, store_->GetProfilesByEid(eid));
  EXPECT_THAT(Iccids(profiles),
              ElementsAre(TestIccid(2), TestIccid(0), TestIccid(3)));
  for (const auto& p : profiles) EXPECT_TRUE(p.protected_segments().empty());
  // Unbinding removes it from the index.
  ASSERT_OK(Move(TestIccid(0), {store::ALLOCATED}, store::AVAILABLE));
  ASSERT_OK_AND_ASSIGN(profiles, store_->GetProfilesByEid(eid));
  EXPECT_THAT(Iccids(profiles), ElementsAre(TestIccid(2), TestIccid(3)));
  ASSERT_OK_AND_ASSIGN(profiles, store_->GetProfilesByEid("8904"));
  EXPECT_THAT(profiles, IsEmpty());
}

// --- Batches
// ------------------------------------------------------------------------

TEST_F(RocksDbProfileStoreTest, StagedProfilesAreInvisibleUntilCommit) {
  store::BatchRecord batch;
  batch.set_batch_id("b1");
  batch.set_operator_id(kOp);
  batch.set_profile_type(kType);
  batch.set_source("import.csv");
  ASSERT_OK(store_->BeginBatch(batch));
  ASSERT_OK(store_->StageProfiles(
      "b1", {TestProfile(TestIccid(0), 20000), TestProfile(TestIccid(1))}, 2));
  for (const std::string& iccid : {TestIccid(0), TestIccid(1)}) {
    EXPECT_THAT(store_->GetProfile(iccid),
                StatusIs(absl::StatusCode::kNotFound));
    EXPECT_THAT(Move(iccid, {store::AVAILABLE}, store::UNAVAILABLE),
                StatusIs(absl::StatusCode::kNotFound));
  }
  EXPECT_THAT(store_->AllocateProfile(kOp, kType, AllocateRequest()),
              StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_THAT(store_->ListProfiles({}).value().profiles, IsEmpty());
  EXPECT_THAT(store_->ListProfiles({.batch_id = "b1"}).value().profiles,
              IsEmpty());
  EXPECT_THAT(
      store_->ListProfiles({.state = store::AVAILABLE}).value().profiles,
      IsEmpty());
  ExpectConsistent();
  Reopen();  // still pending, still invisible
  ASSERT_OK_AND_ASSIGN(auto pending, store_->GetBatch("b1"));
  EXPECT_EQ(pending.state(), store::BatchRecord::PENDING);
  EXPECT_EQ(pending.staged_count(), 2u);
  EXPECT_EQ(pending.resume_position(), 2u);
  EXPECT_EQ(pending.source(), "import.csv");
  EXPECT_THAT(store_->GetProfile(TestIccid(0)),
              StatusIs(absl::StatusCode::kNotFound));

  clock_.Advance(absl::Minutes(1));
  ASSERT_OK(store_->CommitBatch("b1"));
  ASSERT_OK_AND_ASSIGN(auto complete, store_->GetBatch("b1"));
  EXPECT_EQ(complete.state(), store::BatchRecord::COMPLETE);
  EXPECT_EQ(complete.completed_at_ms(),
            absl::ToUnixMillis(kStart + absl::Minutes(1)));
  ASSERT_OK_AND_ASSIGN(auto p, store_->GetProfile(TestIccid(0)));
  EXPECT_EQ(p.state(), store::AVAILABLE);
  EXPECT_EQ(p.operator_id(), kOp);
  EXPECT_EQ(p.profile_type(), kType);
  EXPECT_EQ(p.batch_id(), "b1");
  EXPECT_EQ(p.protected_segments(),
            TestProfile(TestIccid(0), 20000).protected_segments());
  EXPECT_THAT(store_->ListProfiles({.batch_id = "b1"}).value().profiles,
              SizeIs(2));
  EXPECT_OK(store_->AllocateProfile(kOp, kType, AllocateRequest()));
  EXPECT_THAT(store_->CommitBatch("b1"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(store_->AbortBatch("b1"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(store_->StageProfiles("b1", {TestProfile(TestIccid(5))}, 3),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(RocksDbProfileStoreTest, AbortRemovesStagedProfilesAndFreesTheIccids) {
  ASSERT_OK(BeginBatchAndStage("b1", {0, 10, 1}));
  ASSERT_OK(store_->AbortBatch("b1"));
  ASSERT_OK_AND_ASSIGN(auto aborted, store_->GetBatch("b1"));
  EXPECT_EQ(aborted.state(), store::BatchRecord::ABORTED);
  EXPECT_THAT(store_->CommitBatch("b1"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(store_->GetProfile(TestIccid(3)),
              StatusIs(absl::StatusCode::kNotFound));
  ExpectConsistent();
  // The ICCIDs can be imported again, in another batch.
  ASSERT_OK(ImportBatch(*store_, "b2", kOp, kType, 0, 10));
  ASSERT_OK_AND_ASSIGN(auto p, store_->GetProfile(TestIccid(3)));
  EXPECT_EQ(p.batch_id(), "b2");
}

TEST_F(RocksDbProfileStoreTest, DuplicateIccidsAreRefused) {
  ASSERT_OK(ImportBatch(*store_, "b1", kOp, kType, 0, 5));  // committed
  ASSERT_OK(BeginBatchAndStage("b2", {10, 15, 1}));         // pending
  ASSERT_OK(BeginBatchAndStage("b3", {20, 21, 1}));
  // Against a committed batch, a pending batch, and within one call.
  auto r = store_->StageProfiles(
      "b3", {TestProfile(TestIccid(30)), TestProfile(TestIccid(3))}, 1);
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(r.message(), HasSubstr(TestIccid(3)));
  EXPECT_THAT(store_->StageProfiles("b3", {TestProfile(TestIccid(12))}, 1),
              StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(
      store_->StageProfiles(
          "b3", {TestProfile(TestIccid(31)), TestProfile(TestIccid(31))}, 1),
      StatusIs(absl::StatusCode::kAlreadyExists));
  // Nothing of a refused call was staged.
  ASSERT_OK_AND_ASSIGN(auto b3, store_->GetBatch("b3"));
  EXPECT_EQ(b3.staged_count(), 1u);
  ASSERT_OK(store_->CommitBatch("b3"));
  EXPECT_THAT(store_->GetProfile(TestIccid(30)),
              StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(auto p, store_->GetProfile(TestIccid(3)));
  EXPECT_EQ(p.batch_id(), "b1");
  ASSERT_OK_AND_ASSIGN(auto b1, store_->GetBatch("b1"));
  EXPECT_EQ(b1.staged_count(), 5u);
  store::BatchRecord again;
  again.set_batch_id("b1");
  again.set_operator_id(kOp);
  EXPECT_THAT(store_->BeginBatch(again),
              StatusIs(absl::StatusCode::kAlreadyExists));
}

TEST_F(RocksDbProfileStoreTest, ResumedImportRepeatsItsLastChunk) {
  store::BatchRecord batch;
  batch.set_batch_id("b1");
  batch.set_operator_id(kOp);
  batch.set_profile_type(kType);
  batch.set_expected_count(30);
  ASSERT_OK(store_->BeginBatch(batch));
  auto chunk = [](int first, int n) {
    std::vector<store::ProfileRecord> out;
    for (int i = first; i < first + n; ++i)
      out.push_back(TestProfile(TestIccid(i)));
    return out;
  };
  ASSERT_OK(store_->StageProfiles("b1", chunk(0, 10), 10));
  ASSERT_OK(store_->StageProfiles("b1", chunk(10, 10), 20));
  // Too early: 20 of 30.
  EXPECT_THAT(store_->CommitBatch("b1"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  // "Crash", reopen, resume from the recorded position; the importer
  // repeats the chunk it is not sure about.
  Reopen();
  ASSERT_OK_AND_ASSIGN(auto pending, store_->GetBatch("b1"));
  EXPECT_EQ(pending.resume_position(), 20u);
  ASSERT_OK(store_->StageProfiles("b1", chunk(10, 10), 20));
  ASSERT_OK(store_->StageProfiles("b1", chunk(20, 10), 30));
  ASSERT_OK_AND_ASSIGN(pending, store_->GetBatch("b1"));
  EXPECT_EQ(pending.staged_count(), 30u);
  ASSERT_OK(store_->CommitBatch("b1"));
  ASSERT_OK_AND_ASSIGN(
      auto page, store_->ListProfiles({.batch_id = "b1", .page_size = 100}));
  EXPECT_THAT(page.profiles, SizeIs(30));
}

TEST_F(RocksDbProfileStoreTest, StageValidatesEveryRecord) {
  ASSERT_OK(BeginBatchAndStage("b1", {0, 0, 1}));
  store::ProfileRecord short_iccid = TestProfile("123");
  store::ProfileRecord with_order = TestProfile(TestIccid(1));
  with_order.mutable_order()->set_matching_id("X");
  store::ProfileRecord wrong_state = TestProfile(TestIccid(2));
  wrong_state.set_state(store::RELEASED);
  store::ProfileRecord wrong_op = TestProfile(TestIccid(3));
  wrong_op.set_operator_id("op2");
  store::ProfileRecord wrong_type = TestProfile(TestIccid(4));
  wrong_type.set_profile_type("iot");
  auto r =
      store_->StageProfiles("b1",
                            {short_iccid, with_order, wrong_state, wrong_op,
                             wrong_type, TestProfile(TestIccid(5))},
                            1);
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kInvalidArgument));
  for (absl::string_view part :
       {"profiles[0]", "18-22 digits", "profiles[1]", "order must be empty",
        "profiles[2]", "state", "profiles[3]", "operator_id", "profiles[4]",
        "profile_type"}) {
    EXPECT_THAT(r.message(), HasSubstr(part));
  }
  EXPECT_THAT(r.message(), ::testing::Not(HasSubstr("profiles[5]")));
  EXPECT_THAT(
      store_->StageProfiles("b1", std::vector<store::ProfileRecord>(10001), 1),
      StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->StageProfiles("nope", {TestProfile(TestIccid(5))}, 1),
              StatusIs(absl::StatusCode::kNotFound));
}

// --- Sessions
// -----------------------------------------------------------------------

store::SessionRecord Session(absl::string_view id, absl::Time expires) {
  store::SessionRecord s;
  s.set_transaction_id(std::string(id));
  s.set_stage(store::SessionRecord::INITIATED);
  s.set_expires_at_ms(
      expires == absl::InfinitePast() ? 0 : absl::ToUnixMillis(expires));
  return s;
}

TEST_F(RocksDbProfileStoreTest, SessionsExpire) {
  const absl::Time t0 = kStart;
  ASSERT_OK(store_->PutSession(Session("A", t0 + absl::Minutes(1))));
  ASSERT_OK(store_->PutSession(Session("B", t0 + absl::Minutes(2))));
  ASSERT_OK(store_->PutSession(Session("C", t0 + absl::Minutes(3))));
  ASSERT_OK(store_->PutSession(Session("forever", absl::InfinitePast())));
  ASSERT_OK_AND_ASSIGN(auto a, store_->GetSession("A", t0));
  EXPECT_EQ(a.stage(), store::SessionRecord::INITIATED);
  EXPECT_THAT(store_->GetSession("A", t0 + absl::Minutes(1)),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->GetSession("nope", t0),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->GetSession("", t0),
              StatusIs(absl::StatusCode::kInvalidArgument));

  // B moves on: its expiry is extended past C's.
  store::SessionRecord b = Session("B", t0 + absl::Minutes(10));
  b.set_stage(store::SessionRecord::AUTHENTICATED);
  ASSERT_OK(store_->PutSession(b));

  ASSERT_OK_AND_ASSIGN(auto expired,
                       store_->DeleteExpiredSessions(t0 + absl::Minutes(5), 1));
  ASSERT_THAT(expired, SizeIs(1));  // the limit
  EXPECT_EQ(expired[0].transaction_id(), "A");
  ASSERT_OK_AND_ASSIGN(
      expired, store_->DeleteExpiredSessions(t0 + absl::Minutes(5), 10));
  ASSERT_THAT(expired, SizeIs(1));
  EXPECT_EQ(expired[0].transaction_id(), "C");
  EXPECT_THAT(store_->GetSession("C", t0),
              StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(auto b2, store_->GetSession("B", t0 + absl::Minutes(5)));
  EXPECT_EQ(b2.stage(), store::SessionRecord::AUTHENTICATED);
  ASSERT_OK_AND_ASSIGN(
      expired, store_->DeleteExpiredSessions(t0 + absl::Hours(100), 10));
  ASSERT_THAT(expired, SizeIs(1));
  EXPECT_EQ(expired[0].transaction_id(), "B");
  EXPECT_OK(store_->GetSession("forever", t0 + absl::Hours(1000)));
  ASSERT_OK(store_->DeleteSession("forever"));
  ASSERT_OK(store_->DeleteSession("forever"));  // idempotent
  EXPECT_THAT(store_->GetSession("forever", t0),
              StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(auto report, store_->Verify());
  EXPECT_EQ(report.sessions, 0u);
}

TEST_F(RocksDbProfileStoreTest, SessionsSurviveRestart) {
  store::SessionRecord s =
      Session(std::string("\x00\xff\x10", 3), kStart + absl::Hours(1));
  s.set_eid("89049032000000000000000000000123");
  s.set_euicc_otpk(std::string(65, '\x04'));
  ASSERT_OK(store_->PutSession(s));
  Reopen();
  ASSERT_OK_AND_ASSIGN(
      auto got, store_->GetSession(std::string("\x00\xff\x10", 3), kStart));
  EXPECT_EQ(got.SerializeAsString(), s.SerializeAsString());
}

// --- Verify
// -------------------------------------------------------------------------

TEST_F(RocksDbProfileStoreTest, VerifyCountsWhatItChecked) {
  ASSERT_OK(ImportBatch(*store_, "b1", kOp, kType, 0, 5));
  ASSERT_OK(BeginBatchAndStage("b2", {10, 13, 1}));
  DriveTo(TestIccid(0), store::INSTALLED);
  ASSERT_OK(store_->PutSession(Session("A", kStart + absl::Minutes(1))));
  ASSERT_OK_AND_ASSIGN(auto report, store_->Verify());
  EXPECT_THAT(report.problems, IsEmpty());
  EXPECT_EQ(report.profiles, 5u);
  EXPECT_EQ(report.staged_profiles, 3u);
  EXPECT_EQ(report.batches, 2u);
  EXPECT_EQ(report.sessions, 1u);
  EXPECT_EQ(report.audit_entries, 5u + 5u);  // imports + 5 changes
}

}  // namespace
}  // namespace smdp::profiles
