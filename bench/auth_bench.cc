// smdp/auth micro benchmarks against raw OpenSSL, on NIST P-256 (/0) and
// brainpoolP256r1 (/1):
//
//   ours                            OpenSSL floor measured in the same run
//   BM_ParseCertificate             BM_OpensslD2iX509 (d2i_X509, one eUICC
//   cert) BM_VerifyEuiccCachedEum         BM_OpensslEuiccVerify (d2i_X509 +
//   X509_verify
//                                   with the EUM key already imported)
//   BM_VerifyEuiccChainUncached     BM_OpensslChainVerify (d2i_X509 x2 +
//                                   X509_verify x2, CI key imported)
//   BM_PublicKeyVerifyPlain         BM_OpensslEvpVerify (EVP_DigestVerify,
//   BM_VerifyPlainSignature         fresh EVP_MD_CTX, key imported, DER sig)
//   BM_PublicKeyFromPoint           -
//
// Each of ours carries counters `x_<floor>`: its CPU time per operation
// divided by the floor's (which runs first; absent when filtered out). The
// table at the end repeats them.
//
//   bazel run -c opt //bench:auth_bench
//   bazel run -c opt //bench:auth_bench -- --benchmark_filter=Euicc
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "benchmark/benchmark.h"
#include "hsm/crypto_provider.h"
#include "smdp/auth/certificate.h"
#include "smdp/auth/ci_trust_store.h"
#include "smdp/auth/euicc_certificate_verifier.h"
#include "smdp/auth/public_key.h"
#include "smdp/auth/test_pki.h"
#include "util/ssl_ptr.h"

namespace smdp::auth {
namespace {

hsm::Curve CurveOf(const benchmark::State& state) {
  return state.range(0) == 0 ? hsm::Curve::kNistP256
                             : hsm::Curve::kBrainpoolP256r1;
}

// One test chain per curve, made once.
const testing::TestChain& Chain(hsm::Curve curve) {
  static const testing::TestChain* const chains[2] = {
      new testing::TestChain(
          testing::MakeTestChain(hsm::Curve::kNistP256).value()),
      new testing::TestChain(
          testing::MakeTestChain(hsm::Curve::kBrainpoolP256r1).value()),
  };
  return *chains[curve == hsm::Curve::kNistP256 ? 0 : 1];
}

// A message the size of euiccSigned1 || 5F37 40 || smdpSignature2.
const std::string& Message() {
  static const std::string* const m = new std::string(220, 'm');
  return *m;
}

X509Ptr D2i(const std::string& der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  return X509Ptr(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
}

// CPU ns per operation of the floors, by "<name>/<curve>".
absl::Mutex floors_mu;
std::map<std::string, double>& Floors() {
  static auto* floors = new std::map<std::string, double>();
  return *floors;
}

double ThreadCpuNs() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

// Runs the benchmark loop around `body`; returns this thread's CPU ns per
// iteration.
template <typename Body>
double RunTimed(benchmark::State& state, Body&& body) {
  const double start = ThreadCpuNs();
  for (auto _ : state) body();
  const double ns = ThreadCpuNs() - start;
  return state.iterations() > 0 ? ns / state.iterations() : 0;
}

void RecordFloor(benchmark::State& state, const char* name, double ns) {
  if (state.thread_index() != 0) return;
  absl::MutexLock lock(&floors_mu);
  Floors()[std::string(name) + "/" + std::to_string(state.range(0))] = ns;
}

void SetRatio(benchmark::State& state, const char* floor, double ns) {
  if (state.thread_index() != 0) return;
  absl::MutexLock lock(&floors_mu);
  auto it =
      Floors().find(std::string(floor) + "/" + std::to_string(state.range(0)));
  if (it != Floors().end() && it->second > 0) {
    state.counters[std::string("x_") + floor] = ns / it->second;
  }
}

// ---- OpenSSL floors ----

void BM_OpensslD2iX509(benchmark::State& state) {
  const testing::TestChain& chain = Chain(CurveOf(state));
  const double ns = RunTimed(state, [&] {
    X509Ptr x = D2i(chain.euicc_der);
    benchmark::DoNotOptimize(x.get());
  });
  RecordFloor(state, "d2i", ns);
}
BENCHMARK(BM_OpensslD2iX509)->Arg(0)->Arg(1);

void BM_OpensslEvpVerify(benchmark::State& state) {
  const testing::TestChain& chain = Chain(CurveOf(state));
  std::string rs = chain.euicc_key.SignPlain(Message()).value();
  const std::string der = PlainSignatureToDer(rs).value();
  X509Ptr x = D2i(chain.euicc_der);
  EVP_PKEY* key = X509_get0_pubkey(x.get());
  const double ns = RunTimed(state, [&] {
    EvpMdCtxPtr ctx(EVP_MD_CTX_new());
    const bool ok =
        EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) ==
            1 &&
        EVP_DigestVerify(
            ctx.get(), reinterpret_cast<const unsigned char*>(der.data()),
            der.size(),
            reinterpret_cast<const unsigned char*>(Message().data()),
            Message().size()) == 1;
    if (!ok) state.SkipWithError("EVP_DigestVerify failed");
  });
  RecordFloor(state, "evp_verify", ns);
}
BENCHMARK(BM_OpensslEvpVerify)->Arg(0)->Arg(1);

void BM_OpensslEuiccVerify(benchmark::State& state) {
  const testing::TestChain& chain = Chain(CurveOf(state));
  X509Ptr eum = D2i(chain.eum_der);
  EVP_PKEY* eum_key = X509_get0_pubkey(eum.get());
  const double ns = RunTimed(state, [&] {
    X509Ptr euicc = D2i(chain.euicc_der);
    if (X509_verify(euicc.get(), eum_key) != 1) {
      state.SkipWithError("X509_verify failed");
    }
  });
  RecordFloor(state, "openssl_euicc", ns);
}
BENCHMARK(BM_OpensslEuiccVerify)->Arg(0)->Arg(1);

void BM_OpensslChainVerify(benchmark::State& state) {
  const testing::TestChain& chain = Chain(CurveOf(state));
  X509Ptr ci = D2i(chain.ci_der);
  EVP_PKEY* ci_key = X509_get0_pubkey(ci.get());
  const double ns = RunTimed(state, [&] {
    X509Ptr eum = D2i(chain.eum_der);
    X509Ptr euicc = D2i(chain.euicc_der);
    if (X509_verify(eum.get(), ci_key) != 1 ||
        X509_verify(euicc.get(), X509_get0_pubkey(eum.get())) != 1) {
      state.SkipWithError("X509_verify failed");
    }
  });
  RecordFloor(state, "openssl_chain", ns);
}
BENCHMARK(BM_OpensslChainVerify)->Arg(0)->Arg(1);

// ---- smdp/auth ----

void BM_ParseCertificate(benchmark::State& state) {
  const testing::TestChain& chain = Chain(CurveOf(state));
  const double ns = RunTimed(state, [&] {
    absl::StatusOr<Certificate> cert = ParseCertificate(chain.euicc_der);
    benchmark::DoNotOptimize(cert);
  });
  SetRatio(state, "d2i", ns);
}
BENCHMARK(BM_ParseCertificate)->Arg(0)->Arg(1);

void BM_PublicKeyFromPoint(benchmark::State& state) {
  const testing::TestChain& chain = Chain(CurveOf(state));
  RunTimed(state, [&] {
    absl::StatusOr<PublicKey> key =
        PublicKey::FromPoint(CurveOf(state), chain.euicc_key.pub.point);
    benchmark::DoNotOptimize(key);
  });
}
BENCHMARK(BM_PublicKeyFromPoint)->Arg(0)->Arg(1);

void BM_PublicKeyVerifyPlain(benchmark::State& state) {
  const testing::TestChain& chain = Chain(CurveOf(state));
  const std::string rs = chain.euicc_key.SignPlain(Message()).value();
  const PublicKey key =
      PublicKey::FromPoint(CurveOf(state), chain.euicc_key.pub.point).value();
  const double ns = RunTimed(state, [&] {
    if (!key.VerifyPlain(Message(), rs).ok()) {
      state.SkipWithError("VerifyPlain failed");
    }
  });
  SetRatio(state, "evp_verify", ns);
}
BENCHMARK(BM_PublicKeyVerifyPlain)
    ->Arg(0)
    ->Arg(1)
    ->ThreadRange(1, 2)
    ->UseRealTime();

void BM_VerifyPlainSignature(benchmark::State& state) {
  const testing::TestChain& chain = Chain(CurveOf(state));
  const std::string rs = chain.euicc_key.SignPlain(Message()).value();
  const double ns = RunTimed(state, [&] {
    if (!VerifyPlainSignature(CurveOf(state), chain.euicc_key.pub.point,
                              Message(), rs)
             .ok()) {
      state.SkipWithError("VerifyPlainSignature failed");
    }
  });
  SetRatio(state, "evp_verify", ns);
}
BENCHMARK(BM_VerifyPlainSignature)->Arg(0)->Arg(1);

// One verifier per curve with the EUM cached, shared by all threads.
EuiccCertificateVerifier& CachedVerifier(hsm::Curve curve) {
  static EuiccCertificateVerifier* const verifiers[2] = {
      new EuiccCertificateVerifier(Chain(hsm::Curve::kNistP256).TrustStore()),
      new EuiccCertificateVerifier(
          Chain(hsm::Curve::kBrainpoolP256r1).TrustStore()),
  };
  return *verifiers[curve == hsm::Curve::kNistP256 ? 0 : 1];
}

void BM_VerifyEuiccCachedEum(benchmark::State& state) {
  const hsm::Curve curve = CurveOf(state);
  const testing::TestChain& chain = Chain(curve);
  EuiccCertificateVerifier& verifier = CachedVerifier(curve);
  if (!verifier.Verify(chain.euicc_der, chain.eum_der, testing::TestNow())
           .ok()) {
    state.SkipWithError("warm-up Verify failed");
  }
  const double ns = RunTimed(state, [&] {
    absl::StatusOr<VerifiedEuicc> v =
        verifier.Verify(chain.euicc_der, chain.eum_der, testing::TestNow());
    if (!v.ok()) state.SkipWithError("Verify failed");
  });
  SetRatio(state, "openssl_euicc", ns);
  SetRatio(state, "evp_verify", ns);
}
BENCHMARK(BM_VerifyEuiccCachedEum)
    ->Arg(0)
    ->Arg(1)
    ->ThreadRange(1, 2)
    ->UseRealTime();

void BM_VerifyEuiccChainUncached(benchmark::State& state) {
  const hsm::Curve curve = CurveOf(state);
  const testing::TestChain& chain = Chain(curve);
  EuiccCertificateVerifier verifier(chain.TrustStore(), {.cache_capacity = 0});
  const double ns = RunTimed(state, [&] {
    absl::StatusOr<VerifiedEuicc> v =
        verifier.Verify(chain.euicc_der, chain.eum_der, testing::TestNow());
    if (!v.ok()) state.SkipWithError("Verify failed");
  });
  SetRatio(state, "openssl_chain", ns);
}
BENCHMARK(BM_VerifyEuiccChainUncached)->Arg(0)->Arg(1);

// Prints the ratio counters as a table after the runs.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      if (run.run_type != Run::RT_Iteration || run.error_occurred) continue;
      for (const auto& [name, counter] : run.counters) {
        if (name.rfind("x_", 0) == 0) {
          lines_.push_back(run.benchmark_name() + "  " + name + " = " +
                           std::to_string(counter.value));
        }
      }
    }
    ConsoleReporter::ReportRuns(runs);
  }
  void PrintRatios() const {
    if (lines_.empty()) return;
    std::printf("\nCPU time relative to the OpenSSL floor of the same run:\n");
    for (const std::string& line : lines_) std::printf("  %s\n", line.c_str());
  }

 private:
  std::vector<std::string> lines_;
};

}  // namespace
}  // namespace smdp::auth

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  smdp::auth::RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.PrintRatios();
  benchmark::Shutdown();
  return 0;
}
