// 100,000 subscribers from a CSV file to store records, the way an import
// runs: validate the file, then read, prepare (PPK on) and hand over chunks
// of 1000. Prints the timings; asserts only correctness.
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "hsm/internal/test_util.h"
#include "hsm/software_provider.h"
#include "profiles/preparation/profile_preparer.h"
#include "profiles/preparation/subscriber_csv.h"
#include "profiles/preparation/test_subscribers.h"
#include "profiles/saip/template_builder.h"
#include "sgp22/bsp/bsp_decoder.h"
#include "sgp22/bsp/bsp_format.h"

namespace smdp::profiles::preparation {
namespace {

constexpr size_t kRows = 100000;
constexpr size_t kChunk = 1000;

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since)
      .count();
}

void PrepareHundredThousand(bool ppk, size_t template_size) {
  ASSERT_OK_AND_ASSIGN(auto provider, hsm::SoftwareProvider::Create({}));
  ASSERT_OK_AND_ASSIGN(auto kek, provider->GetOrCreateSecretKey("profile-kek"));
  saip::TemplateOptions template_options;
  ASSERT_OK_AND_ASSIGN(std::string tpl, saip::BuildTemplate(template_options));
  if (tpl.size() + 64 < template_size) {
    // Filler EF content up to about `template_size` bytes.
    template_options.filler_bytes = template_size - tpl.size() - 64;
    ASSERT_OK_AND_ASSIGN(tpl, saip::BuildTemplate(template_options));
  }
  const std::string csv = testing::TestCsv(kRows);

  BatchOptions options;
  options.batch_id = "scale";
  options.operator_id = "op";
  options.profile_type = "consumer";
  options.kek_label = "profile-kek";
  options.ppk = ppk;
  ASSERT_OK_AND_ASSIGN(auto preparer,
                       ProfilePreparer::Create(tpl, options, kek.get()));

  const auto start = std::chrono::steady_clock::now();
  ASSERT_OK_AND_ASSIGN(SubscriberCsvReader reader,
                       SubscriberCsvReader::Open(csv));
  const double validate = Seconds(start);
  size_t count = 0;
  size_t bytes = 0;
  store::ProfileRecord sample;
  while (!reader.done()) {
    ASSERT_OK_AND_ASSIGN(std::vector<SubscriberRow> rows, reader.Next(kChunk));
    ASSERT_OK_AND_ASSIGN(std::vector<store::ProfileRecord> records,
                         preparer->Prepare(rows));
    for (const store::ProfileRecord& r : records) bytes += r.ByteSizeLong();
    count += records.size();
    if (count == 50 * kChunk) sample = records.back();
  }
  const double total = Seconds(start);
  ASSERT_EQ(count, kRows);
  std::printf(
      "prepared %zu profiles (template %zu bytes, PPK %s) in %.2f s: "
      "CSV validation %.2f s, %.0f profiles/s, %zu record bytes, %d threads\n",
      count, tpl.size(), ppk ? "on" : "off", total, validate, count / total,
      bytes,
      preparer->options().threads == 0
          ? static_cast<int>(std::thread::hardware_concurrency())
          : preparer->options().threads);
  ASSERT_OK_AND_ASSIGN(ProfileForBinding opened,
                       OpenProfileForBinding(sample, *kek));
  EXPECT_EQ(opened.is_protected(), ppk);
}

// Our minimal template (about 0.7 KB).
TEST(PreparationScaleTest, SmallTemplateWithPpk) {
  PrepareHundredThousand(true, 0);
}
// The size of the public GSMA TS.48 test profiles (about 12 KB).
TEST(PreparationScaleTest, Ts48SizedTemplateWithPpk) {
  PrepareHundredThousand(true, 12 * 1024);
}
TEST(PreparationScaleTest, Ts48SizedTemplateWithoutPpk) {
  PrepareHundredThousand(false, 12 * 1024);
}

}  // namespace
}  // namespace smdp::profiles::preparation
