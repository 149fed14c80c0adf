#include "profiles/import/batch_importer.h"

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hsm/internal/test_util.h"
#include "hsm/software_provider.h"
#include "profiles/preparation/profile_preparer.h"
#include "profiles/preparation/subscriber_csv.h"
#include "profiles/preparation/test_subscribers.h"
#include "profiles/rocksdb/rocksdb_profile_store.h"
#include "profiles/saip/template_builder.h"

namespace smdp::profiles {
namespace {

using ::smdp::hsm::testing::IsOk;
using ::smdp::hsm::testing::StatusIs;
using ::testing::HasSubstr;
namespace ptest = ::smdp::profiles::preparation::testing;

class BatchImporterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static int n = 0;
    RocksDbProfileStoreOptions options;
    options.path = absl::StrCat(getenv("TEST_TMPDIR"), "/store", n++);
    options.sync_writes = false;
    auto store = RocksDbProfileStore::Open(options);
    ASSERT_THAT(store.status(), IsOk());
    store_ = *std::move(store);
    auto provider = hsm::SoftwareProvider::Create({});
    ASSERT_THAT(provider.status(), IsOk());
    provider_ = *std::move(provider);
    auto kek = provider_->GetOrCreateSecretKey("kek");
    ASSERT_THAT(kek.status(), IsOk());
    kek_ = *std::move(kek);
    auto upp = saip::BuildTemplate();
    ASSERT_THAT(upp.status(), IsOk());
    template_ = *upp;
  }

  ImportRequest Request(const std::string& id, size_t rows) {
    ImportRequest r;
    r.batch_id = id;
    r.operator_id = "op1";
    r.profile_type = "consumer";
    r.metadata.set_service_provider_name("Operator One");
    r.metadata.set_profile_name("Consumer");
    r.template_upp = template_;
    r.csv = ptest::TestCsv(rows);
    r.chunk_size = 7;
    return r;
  }

  std::unique_ptr<RocksDbProfileStore> store_;
  std::unique_ptr<hsm::SoftwareProvider> provider_;
  std::unique_ptr<hsm::SecretKey> kek_;
  std::string template_;
};

TEST_F(BatchImporterTest, ImportsAllProfilesAndReportsProgress) {
  BatchImporter importer(*store_, *kek_, "kek");
  std::vector<ImportProgress> seen;
  auto batch = importer.Import(
      Request("b1", 50), [&](const ImportProgress& p) { seen.push_back(p); });
  ASSERT_THAT(batch.status(), IsOk());
  EXPECT_EQ(batch->state(), store::BatchRecord::COMPLETE);
  ASSERT_GE(seen.size(), 3u);
  EXPECT_EQ(seen.front().staged, 0u);
  EXPECT_EQ(seen.back().staged, 50u);
  EXPECT_TRUE(seen.back().committed);
  ProfileQuery query;
  query.batch_id = "b1";
  query.page_size = 1000;
  auto page = store_->ListProfiles(query);
  ASSERT_THAT(page.status(), IsOk());
  EXPECT_EQ(page->profiles.size(), 50u);
  auto profile = store_->GetProfile(ptest::TestIccid(0));
  ASSERT_THAT(profile.status(), IsOk());
  EXPECT_EQ(profile->state(), store::AVAILABLE);
  EXPECT_FALSE(profile->protected_segments().empty());
  EXPECT_FALSE(profile->sealed_ppk().sealed().empty());
  // A completed batch is not imported twice.
  EXPECT_THAT(importer.Import(Request("b1", 50)).status(),
              StatusIs(absl::StatusCode::kAlreadyExists));
}

TEST_F(BatchImporterTest, BadFileStoresNothing) {
  BatchImporter importer(*store_, *kek_, "kek");
  ImportRequest r = Request("bad", 5);
  r.csv +=
      "8988211000000000099,262010000000099,00,00,0000,00000000,0000,"
      "00000000,00000000,\n";
  auto status = importer.Import(r).status();
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(status.message(), HasSubstr("line 7"));
  EXPECT_THAT(store_->GetBatch("bad").status(),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(BatchImporterTest, IccidOfAnotherBatchAbortsTheWholeBatch) {
  BatchImporter importer(*store_, *kek_, "kek");
  ASSERT_THAT(importer.Import(Request("first", 10)).status(), IsOk());
  // "second" repeats the ICCIDs of "first".
  auto status = importer.Import(Request("second", 20)).status();
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kAlreadyExists));
  auto second = store_->GetBatch("second");
  ASSERT_THAT(second.status(), IsOk());
  EXPECT_EQ(second->state(), store::BatchRecord::ABORTED);
  ProfileQuery query;
  query.batch_id = "second";
  EXPECT_TRUE(store_->ListProfiles(query)->profiles.empty());
}

TEST_F(BatchImporterTest, ResumesAnInterruptedBatch) {
  ImportRequest r = Request("resume", 30);
  // What an import that died after staging 14 profiles leaves behind.
  store::BatchRecord batch;
  batch.set_batch_id("resume");
  batch.set_operator_id("op1");
  batch.set_profile_type("consumer");
  batch.set_state(store::BatchRecord::PENDING);
  batch.set_expected_count(30);
  ASSERT_THAT(store_->BeginBatch(batch), IsOk());
  auto reader = preparation::SubscriberCsvReader::Open(r.csv);
  ASSERT_THAT(reader.status(), IsOk());
  auto rows = reader->Next(14);
  ASSERT_THAT(rows.status(), IsOk());
  preparation::BatchOptions options;
  options.batch_id = "resume";
  options.operator_id = "op1";
  options.profile_type = "consumer";
  options.kek_label = "kek";
  auto preparer =
      preparation::ProfilePreparer::Create(template_, options, kek_.get());
  ASSERT_THAT(preparer.status(), IsOk());
  auto records = (*preparer)->Prepare(*rows);
  ASSERT_THAT(records.status(), IsOk());
  ASSERT_THAT(store_->StageProfiles("resume", *records, reader->position()),
              IsOk());
  ProfileQuery query;
  query.batch_id = "resume";
  query.page_size = 1000;
  EXPECT_TRUE(store_->ListProfiles(query)->profiles.empty());  // invisible

  BatchImporter importer(*store_, *kek_, "kek");
  std::vector<ImportProgress> seen;
  auto done =
      importer.Import(r, [&](const ImportProgress& p) { seen.push_back(p); });
  ASSERT_THAT(done.status(), IsOk());
  EXPECT_EQ(seen.front().staged, 14u);  // resumed, not redone
  EXPECT_EQ(seen.back().staged, 30u);
  auto page = store_->ListProfiles(query);
  ASSERT_THAT(page.status(), IsOk());
  EXPECT_EQ(page->profiles.size(), 30u);

  // A batch started with another operator is not silently mixed.
  ImportRequest other = Request("resume2", 5);
  batch.set_batch_id("resume2");
  batch.set_expected_count(5);
  ASSERT_THAT(store_->BeginBatch(batch), IsOk());
  other.operator_id = "op2";
  EXPECT_THAT(importer.Import(other).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

}  // namespace
}  // namespace smdp::profiles
