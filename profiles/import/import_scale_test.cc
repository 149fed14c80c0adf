// Issue proof: 100,000 generated subscribers imported from a template our
// own code builds, into a real RocksDB store with synced writes, all of them
// then visible and allocatable. Timing is printed, never asserted.
#include <chrono>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "hsm/internal/test_util.h"
#include "hsm/software_provider.h"
#include "profiles/import/batch_importer.h"
#include "profiles/preparation/test_subscribers.h"
#include "profiles/rocksdb/rocksdb_profile_store.h"
#include "profiles/saip/template_builder.h"

namespace smdp::profiles {
namespace {

using ::smdp::hsm::testing::IsOk;

TEST(ImportScaleTest, HundredThousandSubscribers) {
  constexpr size_t kRows = 100000;
  RocksDbProfileStoreOptions options;
  options.path = absl::StrCat(getenv("TEST_TMPDIR"), "/store");
  auto store = RocksDbProfileStore::Open(options);
  ASSERT_THAT(store.status(), IsOk());
  auto provider = hsm::SoftwareProvider::Create({});
  ASSERT_THAT(provider.status(), IsOk());
  auto kek = (*provider)->GetOrCreateSecretKey("kek");
  ASSERT_THAT(kek.status(), IsOk());
  auto upp = saip::BuildTemplate();
  ASSERT_THAT(upp.status(), IsOk());

  ImportRequest request;
  request.batch_id = "scale";
  request.operator_id = "op1";
  request.profile_type = "consumer";
  request.template_upp = *upp;
  request.csv = preparation::testing::TestCsv(kRows);
  BatchImporter importer(**store, **kek, "kek");
  auto start = std::chrono::steady_clock::now();
  auto batch = importer.Import(request);
  std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  ASSERT_THAT(batch.status(), IsOk());
  EXPECT_EQ(batch->state(), store::BatchRecord::COMPLETE);
  std::cout << "imported " << kRows << " profiles (" << upp->size()
            << "-byte template, PPK) in " << took.count() << " s: "
            << kRows / took.count() << " profiles/s" << std::endl;

  // Every profile is there: walk the whole batch page by page.
  ProfileQuery query;
  query.batch_id = "scale";
  query.page_size = 1000;
  size_t seen = 0;
  do {
    auto page = (*store)->ListProfiles(query);
    ASSERT_THAT(page.status(), IsOk());
    seen += page->profiles.size();
    query.page_token = page->next_page_token;
  } while (!query.page_token.empty());
  EXPECT_EQ(seen, kRows);
  auto last = (*store)->GetProfile(preparation::testing::TestIccid(kRows - 1));
  ASSERT_THAT(last.status(), IsOk());
  EXPECT_EQ(last->state(), store::AVAILABLE);
}

}  // namespace
}  // namespace smdp::profiles
