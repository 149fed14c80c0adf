#include "profiles/preparation/profile_preparer.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hsm/internal/test_util.h"
#include "hsm/software_provider.h"
#include "profiles/preparation/subscriber_csv.h"
#include "profiles/preparation/test_subscribers.h"
#include "profiles/saip/coding.h"
#include "profiles/saip/personalization.h"
#include "profiles/saip/template_builder.h"
#include "profiles/store.pb.h"
#include "sgp22/bsp/bsp_decoder.h"
#include "sgp22/bsp/bsp_format.h"

namespace smdp::profiles::preparation {
namespace {

using ::smdp::hsm::testing::StatusIs;
using ::testing::HasSubstr;

class ProfilePreparerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(provider_, hsm::SoftwareProvider::Create({}));
    ASSERT_OK_AND_ASSIGN(kek_, provider_->GetOrCreateSecretKey("profile-kek"));
    ASSERT_OK_AND_ASSIGN(other_kek_, provider_->GetOrCreateSecretKey("other"));
    ASSERT_OK_AND_ASSIGN(template_, saip::BuildTemplate());
    ASSERT_OK_AND_ASSIGN(
        SubscriberCsvReader reader,
        SubscriberCsvReader::Open(csv_ = testing::TestCsv(40)));
    ASSERT_OK_AND_ASSIGN(rows_, reader.Next(100));
  }

  BatchOptions Options(bool ppk = true) {
    BatchOptions o;
    o.batch_id = "batch-1";
    o.operator_id = "op-1";
    o.profile_type = "consumer";
    o.kek_label = "profile-kek";
    o.ppk = ppk;
    o.metadata.set_service_provider_name("Test Operator");
    o.metadata.set_profile_name("Test Profile");
    o.metadata.set_profile_class(2);
    auto* n = o.metadata.add_notification_configuration();
    n->set_event(0);
    n->set_address("smdp.example.com");
    o.metadata.mutable_profile_owner()->set_mcc_mnc(
        absl::HexStringToBytes("62f210"));
    o.metadata.add_profile_policy_rules(2);
    return o;
  }

  std::unique_ptr<ProfilePreparer> Preparer(BatchOptions options) {
    absl::StatusOr<std::unique_ptr<ProfilePreparer>> p =
        ProfilePreparer::Create(template_, std::move(options), kek_.get());
    EXPECT_TRUE(p.ok()) << p.status();
    return p.ok() ? *std::move(p) : nullptr;
  }

  // The personalised package of `row`, made independently of the preparer.
  std::string Personalized(const SubscriberRow& row) {
    absl::StatusOr<saip::Template> t = saip::Template::Create(template_);
    EXPECT_TRUE(t.ok());
    absl::StatusOr<std::string> upp = t->Personalize(row.data);
    EXPECT_TRUE(upp.ok()) << upp.status();
    return upp.ok() ? *upp : "";
  }

  std::unique_ptr<hsm::SoftwareProvider> provider_;
  std::unique_ptr<hsm::SecretKey> kek_;
  std::unique_ptr<hsm::SecretKey> other_kek_;
  std::string template_;
  std::string csv_;
  std::vector<SubscriberRow> rows_;
};

TEST_F(ProfilePreparerTest, PpkRoundTrip) {
  auto preparer = Preparer(Options());
  ASSERT_OK_AND_ASSIGN(std::vector<store::ProfileRecord> records,
                       preparer->Prepare(rows_));
  ASSERT_EQ(records.size(), rows_.size());
  for (size_t i = 0; i < records.size(); ++i) {
    const store::ProfileRecord& r = records[i];
    EXPECT_EQ(r.iccid(), rows_[i].data.iccid);
    EXPECT_EQ(r.imsi(), rows_[i].data.imsi);
    EXPECT_EQ(r.msisdn(), rows_[i].data.msisdn);
    EXPECT_EQ(r.state(), store::AVAILABLE);
    EXPECT_EQ(r.operator_id(), "op-1");
    EXPECT_EQ(r.batch_id(), "batch-1");
    EXPECT_EQ(r.profile_type(), "consumer");
    EXPECT_EQ(r.metadata().profile_name(), "Test Profile");
    EXPECT_EQ(r.sealed_ppk().kek_label(), "profile-kek");
    EXPECT_FALSE(r.has_sealed_profile());
    EXPECT_EQ(r.version(), 0);

    const std::string upp = Personalized(rows_[i]);
    EXPECT_EQ(r.profile_size(), upp.size());
    EXPECT_EQ(r.segment_count(), bsp::EncryptedSegmentCount(upp.size()));

    ASSERT_OK_AND_ASSIGN(ProfileForBinding opened,
                         OpenProfileForBinding(r, *kek_));
    ASSERT_TRUE(opened.is_protected());
    EXPECT_TRUE(opened.upp.empty());
    const bsp::ProtectedProfile& ppp = *opened.protected_profile;
    EXPECT_EQ(ppp.segments, r.protected_segments());
    EXPECT_EQ(ppp.segment_count, r.segment_count());
    ASSERT_OK_AND_ASSIGN(bsp::BspDecoder decoder,
                         bsp::BspDecoder::Create(ppp.ppk));
    ASSERT_OK_AND_ASSIGN(
        std::string plain,
        decoder.DecryptSegments(bsp::kTagProfileSegment, ppp.segments));
    EXPECT_EQ(plain, upp);
  }
  // Every profile has its own PPK.
  ASSERT_OK_AND_ASSIGN(ProfileForBinding a,
                       OpenProfileForBinding(records[0], *kek_));
  ASSERT_OK_AND_ASSIGN(ProfileForBinding b,
                       OpenProfileForBinding(records[1], *kek_));
  EXPECT_NE(a.protected_profile->ppk.enc, b.protected_profile->ppk.enc);
}

TEST_F(ProfilePreparerTest, SealedUppRoundTrip) {
  auto preparer = Preparer(Options(/*ppk=*/false));
  ASSERT_OK_AND_ASSIGN(std::vector<store::ProfileRecord> records,
                       preparer->Prepare(rows_));
  for (size_t i = 0; i < records.size(); ++i) {
    const store::ProfileRecord& r = records[i];
    EXPECT_TRUE(r.protected_segments().empty());
    EXPECT_FALSE(r.has_sealed_ppk());
    EXPECT_EQ(r.sealed_profile().kek_label(), "profile-kek");
    ASSERT_OK_AND_ASSIGN(ProfileForBinding opened,
                         OpenProfileForBinding(r, *kek_));
    EXPECT_FALSE(opened.is_protected());
    EXPECT_EQ(opened.upp, Personalized(rows_[i]));
  }
}

TEST_F(ProfilePreparerTest, NoSecretInClearInTheRecords) {
  for (bool ppk : {true, false}) {
    auto preparer = Preparer(Options(ppk));
    ASSERT_OK_AND_ASSIGN(std::vector<store::ProfileRecord> records,
                         preparer->Prepare(rows_));
    for (size_t i = 0; i < records.size(); ++i) {
      const std::string bytes = records[i].SerializeAsString();
      const saip::SubscriberData& d = rows_[i].data;
      for (const std::string* secret : {&d.ki, &d.opc, &d.adm1}) {
        ASSERT_EQ(secret->size() >= 8, true);
        EXPECT_EQ(bytes.find(*secret), std::string::npos) << ppk << " " << i;
        // Nor any 8-byte window of it.
        EXPECT_EQ(bytes.find(secret->substr(4, 8)), std::string::npos);
      }
      // PUK1 (unless the test data's digits happen to occur in a public
      // field, as "00000000" does in the ICCIDs).
      const std::string puk = *saip::EncodeCodeValue(d.puk1, 8);
      if (absl::StrCat(d.iccid, d.imsi, d.msisdn).find(puk) ==
          std::string::npos) {
        EXPECT_EQ(bytes.find(puk), std::string::npos);
      }
      if (ppk) {
        ASSERT_OK_AND_ASSIGN(ProfileForBinding opened,
                             OpenProfileForBinding(records[i], *kek_));
        const bsp::BspKeys& k = opened.protected_profile->ppk;
        for (absl::string_view key : {k.enc_bytes(), k.mac_bytes(),
                                      k.initial_mac_chaining_value_bytes()}) {
          EXPECT_EQ(bytes.find(std::string(key)), std::string::npos);
        }
      }
    }
  }
}

TEST_F(ProfilePreparerTest, SealedValuesAreBoundToTheirRecord) {
  for (bool ppk : {true, false}) {
    auto preparer = Preparer(Options(ppk));
    ASSERT_OK_AND_ASSIGN(
        std::vector<store::ProfileRecord> records,
        preparer->Prepare(absl::MakeSpan(rows_).subspan(0, 2)));
    // Another ICCID (so other associated data).
    store::ProfileRecord moved = records[0];
    moved.set_iccid(records[1].iccid());
    EXPECT_THAT(OpenProfileForBinding(moved, *kek_),
                StatusIs(absl::StatusCode::kDataLoss));
    // A sealed value moved into another record.
    store::ProfileRecord swapped = records[1];
    *swapped.mutable_sealed_ppk() = records[0].sealed_ppk();
    *swapped.mutable_sealed_profile() = records[0].sealed_profile();
    EXPECT_THAT(OpenProfileForBinding(swapped, *kek_),
                StatusIs(absl::StatusCode::kDataLoss));
    // Another key, tampered bytes.
    EXPECT_THAT(OpenProfileForBinding(records[0], *other_kek_),
                StatusIs(absl::StatusCode::kDataLoss));
    store::ProfileRecord tampered = records[0];
    std::string* sealed =
        ppk ? tampered.mutable_sealed_ppk()->mutable_sealed()
            : tampered.mutable_sealed_profile()->mutable_sealed();
    (*sealed)[sealed->size() / 2] ^= 1;
    EXPECT_THAT(OpenProfileForBinding(tampered, *kek_),
                StatusIs(absl::StatusCode::kDataLoss));
  }
  EXPECT_EQ(PpkAssociatedData("8949449999999990171"),
            "profile/8949449999999990171/ppk");
  EXPECT_EQ(UppAssociatedData("8949449999999990171"),
            "profile/8949449999999990171/upp");
}

TEST_F(ProfilePreparerTest, MalformedRecordsAreRefused) {
  auto preparer = Preparer(Options());
  ASSERT_OK_AND_ASSIGN(store::ProfileRecord record,
                       preparer->PrepareOne(rows_[0].data));
  store::ProfileRecord empty;
  empty.set_iccid(record.iccid());
  EXPECT_THAT(OpenProfileForBinding(empty, *kek_).status().message(),
              HasSubstr("record holds no profile"));
  store::ProfileRecord both = record;
  both.mutable_sealed_profile()->set_sealed("x");
  EXPECT_THAT(OpenProfileForBinding(both, *kek_).status().message(),
              HasSubstr("both"));
  store::ProfileRecord count = record;
  count.set_segment_count(record.segment_count() + 1);
  EXPECT_THAT(OpenProfileForBinding(count, *kek_),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  store::ProfileRecord no_segments = record;
  no_segments.clear_protected_segments();
  EXPECT_THAT(OpenProfileForBinding(no_segments, *kek_),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(ProfilePreparerTest, OptionsAreChecked) {
  BatchOptions o;
  o.metadata.set_service_provider_name(std::string(33, 's'));
  o.metadata.set_profile_name(std::string(65, 'p'));
  o.metadata.set_profile_class(3);
  o.metadata.set_icon(std::string(1025, 'i'));
  o.metadata.set_icon_type(2);
  o.metadata.add_notification_configuration()->set_event(4);
  o.metadata.mutable_profile_owner()->set_mcc_mnc("12");
  o.metadata.add_profile_policy_rules(0);
  absl::StatusOr<std::unique_ptr<ProfilePreparer>> p =
      ProfilePreparer::Create(template_, o, nullptr);
  ASSERT_THAT(p, StatusIs(absl::StatusCode::kInvalidArgument));
  for (absl::string_view want :
       {"batch_id is empty", "operator_id is empty", "profile_type is empty",
        "kek_label is empty", "no key-encryption key",
        "service_provider_name is longer than 32",
        "profile_name is longer than 64", "profile_class must be",
        "icon is larger than 1024", "icon_type must be 0 or 1",
        "notification_configuration[0].event must be 0..3",
        "notification_configuration[0].address must be",
        "mcc_mnc must be 3 bytes", "0 is not ppr1"}) {
    EXPECT_THAT(p.status().message(), HasSubstr(want));
  }
  EXPECT_THAT(ProfilePreparer::Create("not a package", Options(), kek_.get())
                  .status()
                  .message(),
              HasSubstr("template: UPP"));
}

TEST_F(ProfilePreparerTest, RowErrorsNameTheLine) {
  saip::TemplateOptions no_msisdn;
  no_msisdn.msisdn_file = false;
  ASSERT_OK_AND_ASSIGN(template_, saip::BuildTemplate(no_msisdn));
  auto preparer = Preparer(Options());
  absl::StatusOr<std::vector<store::ProfileRecord>> records =
      preparer->Prepare(rows_);
  EXPECT_THAT(records, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(records.status().message(),
              HasSubstr(absl::StrCat("line 2 (ICCID ", rows_[0].data.iccid,
                                     "): MSISDN is given")));
}

TEST_F(ProfilePreparerTest, ThreadCountDoesNotChangeTheResult) {
  BatchOptions one = Options(false);
  one.threads = 1;
  BatchOptions four = Options(false);
  four.threads = 4;
  ASSERT_OK_AND_ASSIGN(auto a, Preparer(one)->Prepare(rows_));
  ASSERT_OK_AND_ASSIGN(auto b, Preparer(four)->Prepare(rows_));
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].iccid(), b[i].iccid());
    ASSERT_OK_AND_ASSIGN(ProfileForBinding x,
                         OpenProfileForBinding(a[i], *kek_));
    ASSERT_OK_AND_ASSIGN(ProfileForBinding y,
                         OpenProfileForBinding(b[i], *kek_));
    EXPECT_EQ(x.upp, y.upp);
  }
  ASSERT_OK_AND_ASSIGN(auto none, Preparer(four)->Prepare({}));
  EXPECT_TRUE(none.empty());
}

}  // namespace
}  // namespace smdp::profiles::preparation
