#include "smdp/order/order_service.h"

#include <openssl/sha.h>

#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "profiles/rocksdb/internal/test_util.h"
#include "profiles/rocksdb/rocksdb_profile_store.h"
#include "sgp22/eid.h"
#include "util/status_matchers.h"

namespace smdp::order {
namespace {

using ::smdp::profiles::testing::ImportBatch;
using ::smdp::profiles::testing::NewTempDir;
using ::smdp::profiles::testing::SimulatedClock;
using ::smdp::profiles::testing::TestIccid;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::MatchesRegex;

const absl::Time kStart = absl::FromUnixSeconds(1800000000);
constexpr char kEid[] = "89049032123451234512345678901235";
constexpr char kOtherEid[] = "89049032123451234512345678901236";

// Profiles: op1 "consumer" TestIccid(0..9), op1 "iot" 10..11, op2
// "consumer" 100..104.
class OrderServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    profiles::RocksDbProfileStoreOptions options;
    options.path = NewTempDir("order");
    options.clock = clock_.AsFunction();
    options.sync_writes = false;
    ASSERT_OK_AND_ASSIGN(store_, profiles::RocksDbProfileStore::Open(options));
    ASSERT_OK(ImportBatch(*store_, "b1", "op1", "consumer", 0, 10));
    ASSERT_OK(ImportBatch(*store_, "b2", "op1", "iot", 10, 2));
    ASSERT_OK(ImportBatch(*store_, "b3", "op2", "consumer", 100, 5));
    OrderServiceOptions service_options;
    service_options.smdp_address = "smdp.example.com";
    service_options.order_ttl = absl::Hours(24);
    service_options.clock = clock_.AsFunction();
    ASSERT_OK_AND_ASSIGN(service_,
                         OrderService::Create(service_options, *store_));
    op1_.id = "op1";
    op2_.id = "op2";
  }

  void TearDown() override {
    ASSERT_OK_AND_ASSIGN(profiles::StoreCheckReport report, store_->Verify());
    EXPECT_THAT(report.problems, IsEmpty());
  }

  template <typename Response>
  static void ExpectSuccess(const absl::StatusOr<Response>& r) {
    ASSERT_OK(r.status());
    EXPECT_EQ(r->header().function_execution_status().status(),
              "Executed-Success")
        << r->DebugString();
  }

  template <typename Response>
  static void ExpectFailed(const absl::StatusOr<Response>& r,
                           absl::string_view subject,
                           absl::string_view reason) {
    ASSERT_OK(r.status());
    const auto& fes = r->header().function_execution_status();
    EXPECT_EQ(fes.status(), "Failed") << r->DebugString();
    EXPECT_EQ(fes.status_code_data().subject_code(), subject)
        << r->DebugString();
    EXPECT_EQ(fes.status_code_data().reason_code(), reason) << r->DebugString();
    EXPECT_FALSE(fes.status_code_data().message().empty());
  }

  absl::StatusOr<es2plus::DownloadOrderResponse> Order(
      const Operator& op, absl::string_view iccid, absl::string_view type,
      absl::string_view eid = "") {
    es2plus::DownloadOrderRequest r;
    r.mutable_header()->set_function_requester_identifier("req");
    // Each call its own identifier, as an operator's system makes them.
    r.mutable_header()->set_function_call_identifier(
        absl::StrCat("fc-", ++calls_));
    r.set_iccid(std::string(iccid));
    r.set_profile_type(std::string(type));
    r.set_eid(std::string(eid));
    return service_->DownloadOrder(op, r);
  }

  int calls_ = 0;

  es2plus::ConfirmOrderRequest ConfirmRequest(absl::string_view iccid,
                                              bool release) {
    es2plus::ConfirmOrderRequest r;
    r.set_iccid(std::string(iccid));
    r.set_release_flag(release);
    return r;
  }

  absl::StatusOr<es2plus::CancelOrderResponse> Cancel(const Operator& op,
                                                      absl::string_view iccid,
                                                      absl::string_view final) {
    es2plus::CancelOrderRequest r;
    r.set_iccid(std::string(iccid));
    r.set_final_profile_status_indicator(std::string(final));
    return service_->CancelOrder(op, r);
  }

  absl::StatusOr<es2plus::ReleaseProfileResponse> Release(
      const Operator& op, absl::string_view iccid) {
    es2plus::ReleaseProfileRequest r;
    r.set_iccid(std::string(iccid));
    return service_->ReleaseProfile(op, r);
  }

  store::ProfileState State(absl::string_view iccid) {
    absl::StatusOr<store::ProfileRecord> r = store_->GetProfile(iccid);
    EXPECT_OK(r.status());
    return r.ok() ? r->state() : store::PROFILE_STATE_UNSPECIFIED;
  }

  // A profile ordered and confirmed (not released) for op1.
  std::string Confirmed(uint64_t n, absl::string_view matching_id = "") {
    std::string iccid = TestIccid(n);
    ExpectSuccess(Order(op1_, iccid, ""));
    es2plus::ConfirmOrderRequest c = ConfirmRequest(iccid, false);
    if (!matching_id.empty()) c.set_matching_id(std::string(matching_id));
    ExpectSuccess(service_->ConfirmOrder(op1_, c));
    return iccid;
  }

  SimulatedClock clock_{kStart};
  std::unique_ptr<profiles::RocksDbProfileStore> store_;
  std::unique_ptr<OrderService> service_;
  Operator op1_;
  Operator op2_;
};

// ---- DownloadOrder
// ------------------------------------------------------------

TEST_F(OrderServiceTest, DownloadOrderByTypeAllocatesDistinctProfiles) {
  std::set<std::string> seen;
  for (int i = 0; i < 10; ++i) {
    auto r = Order(op1_, "", "consumer");
    ExpectSuccess(r);
    EXPECT_TRUE(seen.insert(r->iccid()).second) << r->iccid();
    EXPECT_EQ(State(r->iccid()), store::ALLOCATED);
  }
  // op1 has no consumer profile left; op2's are not op1's.
  ExpectFailed(Order(op1_, "", "consumer"), "8.2.5", "3.7");
  ExpectFailed(Order(op1_, "", "unknown-type"), "8.2.5", "3.9");
}

TEST_F(OrderServiceTest, DownloadOrderRecordsTheOrderAndAudit) {
  const std::string iccid = TestIccid(3);
  auto r = Order(op1_, iccid, "consumer", kEid);
  ExpectSuccess(r);
  EXPECT_EQ(r->iccid(), iccid);
  ASSERT_OK_AND_ASSIGN(store::ProfileRecord record, store_->GetProfile(iccid));
  EXPECT_EQ(record.state(), store::LINKED);
  EXPECT_EQ(record.order().eid(), kEid);
  EXPECT_EQ(record.order().function_call_id(), "fc-1");
  EXPECT_EQ(record.order().created_at_ms(), absl::ToUnixMillis(kStart));
  EXPECT_EQ(record.order().expires_at_ms(),
            absl::ToUnixMillis(kStart + absl::Hours(24)));
  ASSERT_OK_AND_ASSIGN(std::vector<store::AuditEntry> audit,
                       store_->GetAudit(iccid));
  ASSERT_GE(audit.size(), 3u);
  EXPECT_EQ(audit[audit.size() - 2].actor(), "operator:op1");
  EXPECT_EQ(audit[audit.size() - 2].action(), "DownloadOrder");
  EXPECT_EQ(audit.back().to_state(), store::LINKED);
}

TEST_F(OrderServiceTest, DownloadOrderByTypeWithEidLinks) {
  auto r = Order(op1_, "", "iot", kEid);
  ExpectSuccess(r);
  EXPECT_EQ(State(r->iccid()), store::LINKED);
}

TEST_F(OrderServiceTest, DownloadOrderAcceptsPaddedIccid) {
  const std::string iccid = TestIccid(4);  // 19 digits
  ExpectSuccess(Order(op1_, iccid + "F", ""));
  EXPECT_EQ(State(iccid), store::ALLOCATED);
}

TEST_F(OrderServiceTest, DownloadOrderRefusals) {
  ExpectFailed(Order(op1_, "", ""), "1.6", "2.3");
  ExpectFailed(Order(op1_, "12345", ""), "1.6", "2.1");
  ExpectFailed(Order(op1_, "89449900000000000AB", ""), "1.6", "2.1");
  ExpectFailed(Order(op1_, TestIccid(0), "", "1234"), "1.6", "2.1");
  // Check digits wrong.
  ExpectFailed(Order(op1_, TestIccid(0), "", kOtherEid), "1.6", "2.1");
  ExpectFailed(Order(op1_, TestIccid(999), ""), "8.2.1", "3.9");
  // Another operator's ICCID is unknown, never "not yours".
  ExpectFailed(Order(op2_, TestIccid(0), ""), "8.2.1", "3.9");
  ExpectFailed(Order(op1_, TestIccid(0), "iot"), "8.2.5", "3.8");
  ExpectSuccess(Order(op1_, TestIccid(0), ""));
  ExpectFailed(Order(op1_, TestIccid(0), ""), "8.2.1", "3.3");

  Operator limited = op1_;
  limited.profile_types = {"iot"};
  ExpectFailed(Order(limited, "", "consumer"), "8.2.5", "1.2");
  ExpectFailed(Order(limited, TestIccid(1), ""), "8.2.1", "1.2");
  ExpectSuccess(Order(limited, "", "iot"));
}

TEST_F(OrderServiceTest, RequesterIdentifierIsChecked) {
  Operator strict = op1_;
  strict.requester_identifiers = {"req"};
  ExpectSuccess(Order(strict, TestIccid(0), ""));
  strict.requester_identifiers = {"someone-else"};
  ExpectFailed(Order(strict, TestIccid(1), ""), "1.1", "1.1");
  es2plus::ReleaseProfileRequest no_header;
  no_header.set_iccid(TestIccid(1));
  ExpectFailed(service_->ReleaseProfile(strict, no_header), "1.6", "2.2");
}

TEST_F(OrderServiceTest, ConcurrentOrdersNeverShareAProfile) {
  absl::Mutex mu;
  std::vector<std::string> iccids;
  int exhausted = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 3; ++i) {
        auto r = Order(op1_, "", "consumer");
        ASSERT_OK(r.status());
        absl::MutexLock lock(&mu);
        if (r->header().function_execution_status().status() ==
            "Executed-Success") {
          iccids.push_back(r->iccid());
        } else {
          EXPECT_EQ(r->header()
                        .function_execution_status()
                        .status_code_data()
                        .reason_code(),
                    "3.7");
          ++exhausted;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(iccids.size(), 10u);
  EXPECT_EQ(exhausted, 14);
  EXPECT_EQ(std::set<std::string>(iccids.begin(), iccids.end()).size(), 10u);
}

// ---- ConfirmOrder
// --------------------------------------------------------------

TEST_F(OrderServiceTest, ConfirmOrderGeneratesAMatchingId) {
  const std::string iccid = TestIccid(0);
  ExpectSuccess(Order(op1_, iccid, "", kEid));
  auto r = service_->ConfirmOrder(op1_, ConfirmRequest(iccid, false));
  ExpectSuccess(r);
  EXPECT_THAT(r->matching_id(),
              MatchesRegex("[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5}"));
  EXPECT_EQ(r->eid(), kEid);
  EXPECT_EQ(r->smdp_address(), "smdp.example.com");
  EXPECT_EQ(State(iccid), store::CONFIRMED);
  ASSERT_OK_AND_ASSIGN(store::ProfileRecord found,
                       store_->GetProfileByMatchingId(r->matching_id()));
  EXPECT_EQ(found.iccid(), iccid);
}

TEST_F(OrderServiceTest, ConfirmOrderWithReleaseFlagReleases) {
  const std::string iccid = TestIccid(0);
  ExpectSuccess(Order(op1_, iccid, ""));
  es2plus::ConfirmOrderRequest c = ConfirmRequest(iccid, true);
  c.set_matching_id("AC-1");
  c.set_eid(kEid);
  c.set_confirmation_code("1234");
  auto r = service_->ConfirmOrder(op1_, c);
  ExpectSuccess(r);
  EXPECT_EQ(r->matching_id(), "AC-1");
  EXPECT_EQ(r->eid(), kEid);
  ASSERT_OK_AND_ASSIGN(store::ProfileRecord record, store_->GetProfile(iccid));
  EXPECT_EQ(record.state(), store::RELEASED);
  EXPECT_EQ(record.order().eid(), kEid);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>("1234"), 4, digest);
  EXPECT_EQ(record.order().confirmation_code_hash(),
            std::string(reinterpret_cast<const char*>(digest), 32));
  EXPECT_TRUE(record.order().release_flag());
}

TEST_F(OrderServiceTest, ConfirmOrderEmptyMatchingIdNeedsAnEid) {
  const std::string a = TestIccid(0);
  ExpectSuccess(Order(op1_, a, ""));
  es2plus::ConfirmOrderRequest c = ConfirmRequest(a, true);
  c.set_matching_id("");
  ExpectFailed(service_->ConfirmOrder(op1_, c), "8.1.1", "2.2");
  c.set_eid(kEid);
  auto r = service_->ConfirmOrder(op1_, c);
  ExpectSuccess(r);
  EXPECT_EQ(r->matching_id(), "");
  ASSERT_OK_AND_ASSIGN(std::vector<store::ProfileRecord> by_eid,
                       store_->GetProfilesByEid(kEid));
  ASSERT_EQ(by_eid.size(), 1u);
  EXPECT_EQ(by_eid[0].iccid(), a);
}

TEST_F(OrderServiceTest, ConfirmOrderRefusals) {
  const std::string iccid = TestIccid(0);
  // Not ordered yet.
  ExpectFailed(service_->ConfirmOrder(op1_, ConfirmRequest(iccid, false)),
               "8.2.1", "3.5");
  ExpectSuccess(Order(op1_, iccid, "", kEid));

  es2plus::ConfirmOrderRequest no_flag;
  no_flag.set_iccid(iccid);
  ExpectFailed(service_->ConfirmOrder(op1_, no_flag), "1.6", "2.2");
  es2plus::ConfirmOrderRequest no_iccid = ConfirmRequest("", false);
  ExpectFailed(service_->ConfirmOrder(op1_, no_iccid), "1.6", "2.2");

  es2plus::ConfirmOrderRequest c = ConfirmRequest(iccid, false);
  c.set_matching_id("bad matching id!");
  ExpectFailed(service_->ConfirmOrder(op1_, c), "1.6", "2.1");
  c.set_matching_id(std::string(65, 'A'));
  ExpectFailed(service_->ConfirmOrder(op1_, c), "1.6", "2.1");
  c.clear_matching_id();
  c.set_confirmation_code(std::string(65, '1'));
  ExpectFailed(service_->ConfirmOrder(op1_, c), "1.6", "2.1");
  c.clear_confirmation_code();
  c.set_smds_address("smds.example.com");
  ExpectFailed(service_->ConfirmOrder(op1_, c), "8.9", "5.1");
  c.clear_smds_address();
  ASSERT_OK_AND_ASSIGN(std::string other_eid,
                       sgp22::CompleteEid("890490321234512345123456789099"));
  c.set_eid(other_eid);
  // SGP.22 5.3.2: not the EID DownloadOrder bound: invalid association.
  ExpectFailed(service_->ConfirmOrder(op1_, c), "8.1.1", "3.10");
  c.clear_eid();
  ExpectFailed(service_->ConfirmOrder(op2_, c), "8.2.1", "3.9");

  ExpectSuccess(service_->ConfirmOrder(op1_, c));
  // Twice: the order is already confirmed.
  ExpectFailed(service_->ConfirmOrder(op1_, c), "8.2.1", "3.5");
  EXPECT_EQ(State(iccid), store::CONFIRMED);
}

TEST_F(OrderServiceTest, DuplicateMatchingIdIsRefused) {
  Confirmed(0, "SAME-ID");
  const std::string second = TestIccid(1);
  ExpectSuccess(Order(op1_, second, ""));
  es2plus::ConfirmOrderRequest c = ConfirmRequest(second, true);
  c.set_matching_id("SAME-ID");
  ExpectFailed(service_->ConfirmOrder(op1_, c), "8.2.6", "3.3");
  EXPECT_EQ(State(second), store::ALLOCATED);
  // Another operator cannot take it either (matchingIds are global).
  const std::string theirs = TestIccid(100);
  ExpectSuccess(Order(op2_, theirs, ""));
  c.set_iccid(theirs);
  ExpectFailed(service_->ConfirmOrder(op2_, c), "8.2.6", "3.3");
}

TEST_F(OrderServiceTest, ExpiredOrderCannotBeConfirmedOrReleased) {
  const std::string a = TestIccid(0);
  ExpectSuccess(Order(op1_, a, ""));
  const std::string b = Confirmed(1);
  clock_.Advance(absl::Hours(25));
  ExpectFailed(service_->ConfirmOrder(op1_, ConfirmRequest(a, true)), "8.8.5",
               "4.10");
  ExpectFailed(Release(op1_, b), "8.8.5", "4.10");
  // Cancelling an expired order gives the profile back.
  ExpectSuccess(Cancel(op1_, a, "Available"));
  EXPECT_EQ(State(a), store::AVAILABLE);
}

TEST_F(OrderServiceTest, ExpireOrdersGivesIdleExpiredProfilesBack) {
  const std::string allocated = TestIccid(0);
  ExpectSuccess(Order(op1_, allocated, ""));
  const std::string confirmed = Confirmed(1, "EXP-1");
  const std::string released = Confirmed(2);
  ExpectSuccess(Release(op1_, released));
  const std::string held = Confirmed(3);
  ExpectSuccess(Release(op1_, held));
  profiles::TransitionRequest hold;  // a download session holds it
  hold.iccid = held;
  hold.from = {store::RELEASED};
  hold.to = store::RELEASED;
  hold.mutate = [](store::ProfileRecord& r) {
    r.set_session_transaction_id("\x01\x02");
    return absl::OkStatus();
  };
  hold.audit.set_action("test hold");
  ASSERT_OK(store_->Transition(hold).status());
  clock_.Advance(absl::Hours(23));
  const std::string fresh = TestIccid(4);
  ExpectSuccess(Order(op1_, fresh, ""));

  ASSERT_OK_AND_ASSIGN(size_t none, service_->ExpireOrders(100));
  EXPECT_EQ(none, 0u);
  clock_.Advance(absl::Hours(2));  // the first four expired, not `fresh`
  ASSERT_OK_AND_ASSIGN(size_t expired, service_->ExpireOrders(100));
  EXPECT_EQ(expired, 3u);
  for (const std::string& iccid : {allocated, confirmed, released}) {
    EXPECT_EQ(State(iccid), store::AVAILABLE) << iccid;
  }
  EXPECT_EQ(State(held), store::RELEASED);
  EXPECT_EQ(State(fresh), store::ALLOCATED);
  EXPECT_FALSE(store_->GetProfileByMatchingId("EXP-1").ok());
  ASSERT_OK_AND_ASSIGN(std::vector<store::AuditEntry> audit,
                       store_->GetAudit(confirmed));
  EXPECT_EQ(audit.back().action(), "OrderExpired");
  EXPECT_EQ(audit.back().actor(), "system");
  ASSERT_OK_AND_ASSIGN(expired, service_->ExpireOrders(100));
  EXPECT_EQ(expired, 0u);
}

TEST_F(OrderServiceTest, ExpireOrdersWorksInSmallSteps) {
  for (int i = 0; i < 6; ++i) ExpectSuccess(Order(op1_, "", "consumer"));
  clock_.Advance(absl::Hours(25));
  size_t total = 0;
  for (int round = 0; round < 20 && total < 6; ++round) {
    ASSERT_OK_AND_ASSIGN(size_t n, service_->ExpireOrders(2));
    EXPECT_LE(n, 2u);
    total += n;
  }
  EXPECT_EQ(total, 6u);
}

// ---- ReleaseProfile
// --------------------------------------------------------------

TEST_F(OrderServiceTest, ReleaseProfile) {
  const std::string iccid = Confirmed(0);
  ExpectFailed(Release(op2_, iccid), "8.2.1", "3.9");
  ExpectSuccess(Release(op1_, iccid));
  EXPECT_EQ(State(iccid), store::RELEASED);
  ExpectFailed(Release(op1_, iccid), "8.2.1", "3.5");
  ExpectFailed(Release(op1_, TestIccid(5)), "8.2.1", "3.5");  // AVAILABLE
  ExpectFailed(Release(op1_, TestIccid(999)), "8.2.1", "3.9");
  ExpectFailed(Release(op1_, "x"), "1.6", "2.1");
}

// ---- CancelOrder
// ------------------------------------------------------------------

TEST_F(OrderServiceTest, CancelToAvailableFreesTheProfileAndMatchingId) {
  const std::string iccid = Confirmed(0, "REUSE-ME");
  ExpectSuccess(Cancel(op1_, iccid, "Available"));
  ASSERT_OK_AND_ASSIGN(store::ProfileRecord record, store_->GetProfile(iccid));
  EXPECT_EQ(record.state(), store::AVAILABLE);
  EXPECT_FALSE(record.has_order());
  EXPECT_FALSE(store_->GetProfileByMatchingId("REUSE-ME").ok());
  // The profile and the matchingId can be ordered again.
  Confirmed(0, "REUSE-ME");
}

TEST_F(OrderServiceTest, CancelToUnavailable) {
  const std::string iccid = Confirmed(0);
  ExpectSuccess(Release(op1_, iccid));
  ExpectSuccess(Cancel(op1_, iccid, "Unavailable"));
  EXPECT_EQ(State(iccid), store::UNAVAILABLE);
  ExpectFailed(Cancel(op1_, iccid, "Available"), "8.2.1", "3.5");
}

TEST_F(OrderServiceTest, DeliveredProfileCanOnlyBecomeUnavailable) {
  const std::string iccid = Confirmed(0);
  ExpectSuccess(Release(op1_, iccid));
  profiles::TransitionRequest t;
  t.iccid = iccid;
  t.from = {store::RELEASED};
  t.to = store::DOWNLOADED;
  t.audit.set_action("test");
  ASSERT_OK(store_->Transition(t).status());
  ExpectFailed(Cancel(op1_, iccid, "Available"), "8.2.1", "3.5");
  ExpectSuccess(Cancel(op1_, iccid, "Unavailable"));
  EXPECT_EQ(State(iccid), store::UNAVAILABLE);
}

TEST_F(OrderServiceTest, CancelRefusals) {
  const std::string iccid = Confirmed(0, "MINE");
  ExpectFailed(Cancel(op1_, iccid, ""), "1.6", "2.2");
  ExpectFailed(Cancel(op1_, iccid, "Gone"), "1.6", "2.1");
  ExpectFailed(Cancel(op2_, iccid, "Available"), "8.2.1", "3.9");
  ExpectFailed(Cancel(op1_, TestIccid(5), "Available"), "8.2.1", "3.5");
  es2plus::CancelOrderRequest r;
  r.set_iccid(iccid);
  r.set_final_profile_status_indicator("Available");
  r.set_matching_id("NOT-MINE");
  // SGP.22 5.3.5: not the order's matchingId / EID: invalid association.
  ExpectFailed(service_->CancelOrder(op1_, r), "8.2.6", "3.10");
  r.clear_matching_id();
  r.set_eid(kEid);  // the order has no EID
  ExpectFailed(service_->CancelOrder(op1_, r), "8.1.1", "3.10");
  EXPECT_EQ(State(iccid), store::CONFIRMED);
  r.clear_eid();
  r.set_matching_id("MINE");
  ExpectSuccess(service_->CancelOrder(op1_, r));
}

// SGP.22 5.3.5 (ES2+.CancelOrder): the EID is mandatory when the order is
// bound to one (8.1.1/2.2), and must be that EID (8.1.1/3.10).
TEST_F(OrderServiceTest, CancelOrderOfAnEidBoundOrderNeedsTheEid) {
  const std::string iccid = TestIccid(0);
  ExpectSuccess(Order(op1_, iccid, "", kEid));
  es2plus::CancelOrderRequest r;
  r.set_iccid(iccid);
  r.set_final_profile_status_indicator("Available");
  ExpectFailed(service_->CancelOrder(op1_, r), "8.1.1", "2.2");
  ASSERT_OK_AND_ASSIGN(std::string other_eid,
                       sgp22::CompleteEid("890490321234512345123456789099"));
  r.set_eid(other_eid);
  ExpectFailed(service_->CancelOrder(op1_, r), "8.1.1", "3.10");
  EXPECT_EQ(State(iccid), store::LINKED);
  r.set_eid(kEid);
  ExpectSuccess(service_->CancelOrder(op1_, r));
  EXPECT_EQ(State(iccid), store::AVAILABLE);
  // An EID given only at ConfirmOrder is the operator's too.
  ExpectSuccess(Order(op1_, iccid, ""));
  es2plus::ConfirmOrderRequest c = ConfirmRequest(iccid, false);
  c.set_eid(kEid);
  ExpectSuccess(service_->ConfirmOrder(op1_, c));
  r.clear_eid();
  ExpectFailed(service_->CancelOrder(op1_, r), "8.1.1", "2.2");
}

// An EID that a download bound (activation code) is not the operator's to
// know: CancelOrder without it is fine, with another one is 8.1.1/3.10.
TEST_F(OrderServiceTest, CancelOrderOfAnOrderADownloadBoundToAnEid) {
  const std::string iccid = Confirmed(0, "AC-BOUND");
  profiles::TransitionRequest bind;
  bind.iccid = iccid;
  bind.from = {store::CONFIRMED};
  bind.to = store::CONFIRMED;
  bind.mutate = [](store::ProfileRecord& r) {
    r.mutable_order()->set_eid(kEid);  // as AuthenticateClient binds it
    return absl::OkStatus();
  };
  bind.audit.set_action("AuthenticateClient");
  ASSERT_OK(store_->Transition(bind).status());
  es2plus::CancelOrderRequest r;
  r.set_iccid(iccid);
  r.set_final_profile_status_indicator("Available");
  ASSERT_OK_AND_ASSIGN(std::string other_eid,
                       sgp22::CompleteEid("890490321234512345123456789099"));
  r.set_eid(other_eid);
  ExpectFailed(service_->CancelOrder(op1_, r), "8.1.1", "3.10");
  r.clear_eid();
  ExpectSuccess(service_->CancelOrder(op1_, r));
}

// SGP.22 5.3.1 (ES2+.DownloadOrder) with the header of 6.5.1: an operator
// that lost the answer retries with the same functionCallIdentifier and gets
// the first answer; no second profile is allocated.
TEST_F(OrderServiceTest, DownloadOrderRetryWithTheSameCallGetsTheFirstAnswer) {
  es2plus::DownloadOrderRequest r;
  r.mutable_header()->set_function_requester_identifier("req");
  r.mutable_header()->set_function_call_identifier("crm-4711");
  r.set_profile_type("consumer");
  auto first = service_->DownloadOrder(op1_, r);
  ExpectSuccess(first);
  auto retry = service_->DownloadOrder(op1_, r);
  ExpectSuccess(retry);
  EXPECT_EQ(retry->iccid(), first->iccid());
  int allocated = 0;
  for (int i = 0; i < 10; ++i) {
    allocated += State(TestIccid(i)) != store::AVAILABLE;
  }
  EXPECT_EQ(allocated, 1);
  // Still the first answer once the order moved on.
  ExpectSuccess(
      service_->ConfirmOrder(op1_, ConfirmRequest(first->iccid(), true)));
  auto later = service_->DownloadOrder(op1_, r);
  ExpectSuccess(later);
  EXPECT_EQ(later->iccid(), first->iccid());
  // Another operator's identifiers are its own.
  auto theirs = service_->DownloadOrder(op2_, r);
  ExpectSuccess(theirs);
  EXPECT_NE(theirs->iccid(), first->iccid());
  // The identifier reused for another order is refused, not answered.
  r.set_profile_type("iot");
  ExpectFailed(service_->DownloadOrder(op1_, r), "1.6", "2.1");
  // An order that ended frees its identifier.
  ExpectSuccess(Cancel(op1_, first->iccid(), "Available"));
  auto anew = service_->DownloadOrder(op1_, r);
  ExpectSuccess(anew);
  EXPECT_EQ(State(anew->iccid()), store::ALLOCATED);
  // Bounded: an identifier is at most 128 printable characters.
  r.mutable_header()->set_function_call_identifier(std::string(129, 'x'));
  ExpectFailed(service_->DownloadOrder(op1_, r), "1.6", "2.1");
  r.mutable_header()->set_function_call_identifier("bad\nid");
  ExpectFailed(service_->DownloadOrder(op1_, r), "1.6", "2.1");
}

TEST_F(OrderServiceTest, DownloadOrderRetriedConcurrentlyAllocatesOnce) {
  es2plus::DownloadOrderRequest r;
  r.mutable_header()->set_function_call_identifier("crm-race");
  r.set_profile_type("consumer");
  std::vector<std::string> iccids(8);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < iccids.size(); ++i) {
    threads.emplace_back([&, i] {
      auto answer = service_->DownloadOrder(op1_, r);
      if (answer.ok() &&
          answer->header().function_execution_status().status() ==
              "Executed-Success") {
        iccids[i] = answer->iccid();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (const std::string& iccid : iccids) EXPECT_EQ(iccid, iccids[0]);
  int allocated = 0;
  for (int i = 0; i < 10; ++i) {
    allocated += State(TestIccid(i)) != store::AVAILABLE;
  }
  EXPECT_EQ(allocated, 1);
}

TEST_F(OrderServiceTest, CreateChecksOptions) {
  OrderServiceOptions options;
  absl::Status status = OrderService::Create(options, *store_).status();
  EXPECT_THAT(status, matchers::StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(status.message(), HasSubstr("smdp_address"));
}

}  // namespace
}  // namespace smdp::order
