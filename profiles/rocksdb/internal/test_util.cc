#include "profiles/rocksdb/internal/test_util.h"

#include <stdlib.h>

#include <algorithm>

#include "absl/strings/str_format.h"
#include "util/status_macros.h"

namespace smdp::profiles::testing {

std::string NewTempDir(absl::string_view name) {
  const char* base = getenv("TEST_TMPDIR");
  std::string templ = absl::StrCat(base ? base : "/tmp", "/", name, ".XXXXXX");
  return mkdtemp(templ.data()) ? templ : "";
}

std::string TestIccid(uint64_t n) {
  return absl::StrFormat("8944990000%09d", n);
}

store::ProfileRecord TestProfile(absl::string_view iccid,
                                 size_t content_bytes) {
  store::ProfileRecord p;
  p.set_iccid(std::string(iccid));
  p.set_imsi(absl::StrCat(
      "00101", iccid.substr(iccid.size() > 10 ? iccid.size() - 10 : 0)));
  p.mutable_metadata()->set_profile_name(absl::StrCat("Test ", iccid));
  p.mutable_metadata()->set_service_provider_name("Test Operator");
  std::string content(content_bytes, '\0');
  for (size_t i = 0; i < content.size(); ++i) {
    content[i] = static_cast<char>(
        (i * 131 + (iccid.empty() ? 0 : iccid.back())) & 0xff);
  }
  p.set_protected_segments(std::move(content));
  p.set_segment_count(static_cast<uint32_t>(content_bytes / 1007 + 1));
  p.set_profile_size(content_bytes);
  p.mutable_sealed_ppk()->set_sealed(std::string(60, 'k'));
  p.mutable_sealed_ppk()->set_kek_label("kek1");
  return p;
}

absl::Status ImportBatch(ProfileStore& store, absl::string_view batch_id,
                         absl::string_view operator_id,
                         absl::string_view profile_type, uint64_t first,
                         uint64_t count, size_t content_bytes) {
  store::BatchRecord batch;
  batch.set_batch_id(std::string(batch_id));
  batch.set_operator_id(std::string(operator_id));
  batch.set_profile_type(std::string(profile_type));
  batch.set_expected_count(count);
  RETURN_IF_ERROR(store.BeginBatch(batch));
  for (uint64_t done = 0; done < count;) {
    uint64_t n = std::min<uint64_t>(1000, count - done);
    std::vector<store::ProfileRecord> chunk;
    for (uint64_t i = 0; i < n; ++i) {
      chunk.push_back(TestProfile(TestIccid(first + done + i), content_bytes));
    }
    done += n;
    RETURN_IF_ERROR(store.StageProfiles(batch_id, chunk, done));
  }
  return store.CommitBatch(batch_id);
}

}  // namespace smdp::profiles::testing
