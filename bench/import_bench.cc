// Batch import rate: subscriber file + SAIP template → prepared profiles
// (personalised, PPK-protected or sealed) staged and committed into a
// RocksDB store with synced writes, through BatchImporter, the path
// `smdpctl profiles import` takes.
//
//   bazel run -c opt //bench:import_bench
//   bazel run -c opt //bench:import_bench -- --benchmark_filter=ppk:1
//
// Args: rows per import, template filler in KB (0: a 0.7 KB template; 11
// gives ~12 KB, the size of a TS.48 test profile), ppk (1 on, 0 sealed).
// Reports profiles/s (items_per_second).
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "hsm/software_provider.h"
#include "profiles/import/batch_importer.h"
#include "profiles/preparation/test_subscribers.h"
#include "profiles/rocksdb/rocksdb_profile_store.h"
#include "profiles/saip/template_builder.h"

namespace smdp::profiles {
namespace {

std::string TempDir() {
  const char* base = getenv("TMPDIR");
  std::string dir = absl::StrCat(base ? base : "/tmp", "/import_bench.XXXXXX");
  if (mkdtemp(dir.data()) == nullptr) abort();
  return dir;
}

void BM_Import(benchmark::State& state) {
  const size_t rows = state.range(0);
  saip::TemplateOptions template_options;
  template_options.filler_bytes = state.range(1) * 1024;
  auto upp = saip::BuildTemplate(template_options);
  auto provider = hsm::SoftwareProvider::Create({});
  auto kek = (*provider)->GetOrCreateSecretKey("kek");
  const std::string csv = preparation::testing::TestCsv(rows);
  const std::string dir = TempDir();
  int run = 0;
  for (auto _ : state) {
    state.PauseTiming();
    RocksDbProfileStoreOptions options;
    options.path = absl::StrCat(dir, "/store", run++);
    auto store = RocksDbProfileStore::Open(options);
    BatchImporter importer(**store, **kek, "kek");
    ImportRequest request;
    request.batch_id = "bench";
    request.operator_id = "op1";
    request.profile_type = "consumer";
    request.template_upp = *upp;
    request.csv = csv;
    request.ppk = state.range(2) == 1;
    state.ResumeTiming();
    auto batch = importer.Import(request);
    if (!batch.ok()) {
      state.SkipWithError(std::string(batch.status().message()).c_str());
      return;
    }
  }
  state.SetItemsProcessed(state.iterations() * rows);
  state.counters["template_KB"] = upp->size() / 1024.0;
  std::string rm = absl::StrCat("rm -rf ", dir);
  if (system(rm.c_str()) != 0) state.SkipWithError("cleanup failed");
}

BENCHMARK(BM_Import)
    ->ArgNames({"rows", "filler_KB", "ppk"})
    ->ArgsProduct({{20000}, {0, 11}, {0, 1}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(2);

}  // namespace
}  // namespace smdp::profiles

BENCHMARK_MAIN();
