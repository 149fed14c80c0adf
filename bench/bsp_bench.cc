// BSP (BPP protection) micro benchmarks: protecting a profile per size, the
// fixed per-download costs, and the AES-128-CBC and AES-CMAC floor of one
// 1020-byte segment, measured in the same run. After the runs it prints the
// ratio of the encoder's cost per segment to that floor.
//
//   bazel run -c opt //bench:bsp_bench
//   bazel run -c opt //bench:bsp_bench -- --benchmark_filter=Protect
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "sgp22/bsp/bsp_encoder.h"
#include "sgp22/bsp/bsp_format.h"
#include "sgp22/bsp/bsp_keys.h"
#include "sgp22/bsp/profile_protection.h"
#include "util/ssl_ptr.h"

namespace smdp::bsp {
namespace {

// Plaintext and MAC input of one full segment.
constexpr size_t kCiphertextPerSegment = 1008;  // 1007 + 1 byte of padding
constexpr size_t kMacInputPerSegment = 16 + 4 + kCiphertextPerSegment;

BspKeys BenchKeys() {
  BspKeys keys;
  for (size_t i = 0; i < kBspKeySize; ++i) {
    keys.enc[i] = static_cast<uint8_t>(0x10 + i);
    keys.mac[i] = static_cast<uint8_t>(0x20 + i);
    keys.initial_mac_chaining_value[i] = static_cast<uint8_t>(0x30 + i);
  }
  return keys;
}

std::string Profile(size_t size) {
  std::string data(size, '\0');
  for (size_t i = 0; i < size; ++i) data[i] = static_cast<char>(i * 131 + 7);
  return data;
}

// Protects a profile of range(0) bytes with a fresh encoder each time (what
// pre-protection or a PPK-less binding does), into a reused buffer.
void BM_BspProtect(benchmark::State& state) {
  const std::string profile = Profile(state.range(0));
  const BspKeys keys = BenchKeys();
  std::string out;
  out.reserve(EncryptedSegmentsSize(profile.size()));
  for (auto _ : state) {
    out.clear();
    auto encoder = BspEncoder::Create(keys);
    if (!encoder.ok() ||
        !encoder->AppendEncryptedSegments(kTagProfileSegment, profile, &out)
             .ok()) {
      state.SkipWithError("protect failed");
      break;
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(state.iterations() * profile.size());
  state.counters["segments"] =
      static_cast<double>(EncryptedSegmentCount(profile.size()));
}
BENCHMARK(BM_BspProtect)->Arg(8 << 10)->Arg(64 << 10)->Arg(512 << 10);

// ProtectProfile(): the same plus a fresh random PPK and a new output string.
void BM_ProtectProfile(benchmark::State& state) {
  const std::string profile = Profile(state.range(0));
  for (auto _ : state) {
    auto ppp = ProtectProfile(profile);
    if (!ppp.ok()) {
      state.SkipWithError("ProtectProfile failed");
      break;
    }
    benchmark::DoNotOptimize(ppp->segments.data());
  }
  state.SetBytesProcessed(state.iterations() * profile.size());
}
BENCHMARK(BM_ProtectProfile)->Arg(512 << 10)->Arg(1 << 20);

// MAC-only segments (StoreMetadata), 1 KB and 8 KB.
void BM_BspMacOnly(benchmark::State& state) {
  const std::string data = Profile(state.range(0));
  const BspKeys keys = BenchKeys();
  std::string out;
  for (auto _ : state) {
    out.clear();
    auto encoder = BspEncoder::Create(keys);
    if (!encoder.ok() ||
        !encoder->AppendMacOnlySegments(kTagMacOnly, data, &out).ok()) {
      state.SkipWithError("MAC failed");
      break;
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(state.iterations() * data.size());
}
BENCHMARK(BM_BspMacOnly)->Arg(1 << 10)->Arg(8 << 10);

// Fixed costs of one download: the KDF and keying one encoder.
void BM_DeriveSessionKeys(benchmark::State& state) {
  const std::string shs(32, '\x5a'), host_id(16, '\x01'), eid(16, '\x89');
  for (auto _ : state) {
    auto keys = DeriveSessionKeys(shs, host_id, eid);
    benchmark::DoNotOptimize(keys);
  }
}
BENCHMARK(BM_DeriveSessionKeys);

void BM_BspEncoderCreate(benchmark::State& state) {
  const BspKeys keys = BenchKeys();
  for (auto _ : state) {
    auto encoder = BspEncoder::Create(keys);
    benchmark::DoNotOptimize(encoder);
  }
}
BENCHMARK(BM_BspEncoderCreate);

// A whole BSP session with a pre-protected profile: ConfigureISDP, 1 KB of
// StoreMetadata and ReplaceSessionKeys. This is all the BSP work of binding,
// whatever the profile's size.
void BM_BspBindPreProtected(benchmark::State& state) {
  const BspKeys session_keys = BenchKeys();
  const BspKeys ppk = BenchKeys();
  const std::string metadata = Profile(1024);
  const std::string configure_isdp("\xbf\x24\x00", 3);
  std::string out;
  for (auto _ : state) {
    out.clear();
    auto encoder = BspEncoder::Create(session_keys);
    if (!encoder.ok() ||
        !encoder->AppendEncrypted(kTagEncryptedCommand, configure_isdp, &out)
             .ok() ||
        !encoder->AppendMacOnlySegments(kTagMacOnly, metadata, &out).ok() ||
        !encoder->AppendReplaceSessionKeys(ppk, &out).ok()) {
      state.SkipWithError("bind failed");
      break;
    }
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_BspBindPreProtected);

// ---- the floor: raw EVP cost of one full segment ----

// AES-128-CBC over 1008 bytes with a keyed context, re-IV'd each time.
void BM_RawAesCbcPerSegment(benchmark::State& state) {
  const BspKeys keys = BenchKeys();
  EVP_CIPHER* cbc = EVP_CIPHER_fetch(nullptr, "AES-128-CBC", nullptr);
  EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  EVP_EncryptInit_ex2(ctx.get(), cbc, keys.enc.data(), nullptr, nullptr);
  EVP_CIPHER_CTX_set_padding(ctx.get(), 0);
  const std::string in = Profile(kCiphertextPerSegment);
  std::string out(kCiphertextPerSegment, '\0');
  unsigned char iv[16] = {};
  for (auto _ : state) {
    int len = 0;
    EVP_EncryptInit_ex2(ctx.get(), nullptr, nullptr, iv, nullptr);
    EVP_EncryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()),
                      &len, reinterpret_cast<const unsigned char*>(in.data()),
                      static_cast<int>(in.size()));
    benchmark::DoNotOptimize(out.data());
  }
  EVP_CIPHER_free(cbc);
  state.SetBytesProcessed(state.iterations() * kCiphertextPerSegment);
}
BENCHMARK(BM_RawAesCbcPerSegment);

// AES-CMAC over chaining value || header || 1008 bytes: re-initialised with a
// null key (the encoder's way), re-keyed each time, or duplicated from a keyed
// template.
enum CmacMode { kReinit = 0, kRekey = 1, kDup = 2 };

void BM_RawCmacPerSegment(benchmark::State& state) {
  const auto mode = static_cast<CmacMode>(state.range(0));
  const BspKeys keys = BenchKeys();
  EvpMacPtr mac(EVP_MAC_fetch(nullptr, OSSL_MAC_NAME_CMAC, nullptr));
  EvpMacCtxPtr ctx(EVP_MAC_CTX_new(mac.get()));
  char cipher[] = "AES-128-CBC";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, cipher, 0),
      OSSL_PARAM_construct_end()};
  EVP_MAC_init(ctx.get(), keys.mac.data(), keys.mac.size(), params);
  const std::string in = Profile(kMacInputPerSegment);
  unsigned char tag[16];
  for (auto _ : state) {
    size_t len = 0;
    EVP_MAC_CTX* use = ctx.get();
    EvpMacCtxPtr copy;
    if (mode == kReinit) {
      EVP_MAC_init(use, nullptr, 0, nullptr);
    } else if (mode == kRekey) {
      EVP_MAC_init(use, keys.mac.data(), keys.mac.size(), nullptr);
    } else {
      copy.reset(EVP_MAC_CTX_dup(ctx.get()));
      use = copy.get();
    }
    EVP_MAC_update(use, reinterpret_cast<const unsigned char*>(in.data()),
                   in.size());
    EVP_MAC_final(use, tag, &len, sizeof(tag));
    benchmark::DoNotOptimize(tag);
  }
  state.SetBytesProcessed(state.iterations() * kMacInputPerSegment);
  state.SetLabel(mode == kReinit  ? "init(null key)"
                 : mode == kRekey ? "init(key)"
                                  : "ctx_dup");
}
BENCHMARK(BM_RawCmacPerSegment)->Arg(kReinit)->Arg(kRekey)->Arg(kDup);

// Remembers each run's CPU time per iteration for the ratio printed at the
// end.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      if (run.run_type == Run::RT_Iteration && run.iterations > 0) {
        ns_[run.benchmark_name()] =
            run.GetAdjustedCPUTime() * 1e9 /
            benchmark::GetTimeUnitMultiplier(run.time_unit);
      }
    }
    ConsoleReporter::ReportRuns(runs);
  }

  void PrintRatios() const {
    auto find = [&](const std::string& name) {
      auto it = ns_.find(name);
      return it == ns_.end() ? -1.0 : it->second;
    };
    const double cbc = find("BM_RawAesCbcPerSegment");
    const double cmac = find("BM_RawCmacPerSegment/0");
    if (cbc <= 0 || cmac <= 0) return;
    const double floor = cbc + cmac;
    std::printf(
        "\nFloor per 1020-byte segment: AES-128-CBC %.2f us + AES-CMAC %.2f "
        "us = %.2f us\n",
        cbc / 1e3, cmac / 1e3, floor / 1e3);
    for (const auto& [name, ns] : ns_) {
      if (name.rfind("BM_BspProtect/", 0) != 0) continue;
      const size_t size = std::stoul(name.substr(name.find('/') + 1));
      const double segments =
          (size + kMaxEncryptedPlaintext - 1) / kMaxEncryptedPlaintext;
      std::printf(
          "%-22s %8.1f us total, %6.2f us/KB, %5.2f us/segment = %.2fx the "
          "floor\n",
          name.c_str(), ns / 1e3, ns / 1e3 / (size / 1024.0),
          ns / 1e3 / segments, ns / segments / floor);
    }
  }

 private:
  std::map<std::string, double> ns_;
};

}  // namespace
}  // namespace smdp::bsp

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  smdp::bsp::RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.PrintRatios();
  benchmark::Shutdown();
  return 0;
}
