// Benchmarks of the CryptoProvider hot paths against raw OpenSSL:
//   sign    SigningKey::Sign (ECDSA-SHA256, r||s) on a small message
//   keygen  CryptoProvider::GenerateAgreementKey (one-time key pair)
//   ecdh    AgreementKey::Derive with a fixed peer point (incl. its import)
// for SoftwareProvider, Pkcs11Provider on a temporary SoftHSM token (keygen
// and ECDH in software, its default, and in the HSM), and raw OpenSSL EVP
// calls as the floor; NIST P-256 (/p256) and brainpoolP256r1 (/brainpool);
// one and two threads, in wall-clock time.
//
//   bazel run -c opt //bench:hsm_bench -- --benchmark_filter=Sign
#include <openssl/evp.h>
#include <stdlib.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "benchmark/benchmark.h"
#include "hsm/crypto_provider.h"
#include "hsm/pkcs11_provider.h"
#include "hsm/software_provider.h"
#include "util/ssl_ptr.h"

namespace smdp::hsm {
namespace {

constexpr char kMessage[] =
    "transactionId || euiccChallenge || serverAddress || serverChallenge";
constexpr char kLabel[] = "bench-token";
constexpr char kPin[] = "1234";

const char* GroupName(Curve curve) {
  return curve == Curve::kNistP256 ? "prime256v1" : "brainpoolP256r1";
}

[[noreturn]] void Die(const absl::Status& status) {
  std::fprintf(stderr, "hsm_bench setup failed: %s\n",
               status.ToString().c_str());
  std::exit(1);
}

template <typename T>
T OrDie(absl::StatusOr<T> value) {
  if (!value.ok()) Die(value.status());
  return *std::move(value);
}

// ---- providers, made once (thread-safe static initialisation) ----

CryptoProvider& Software() {
  static CryptoProvider* const provider =
      OrDie(SoftwareProvider::Create({})).release();
  return *provider;
}

// A SoftHSM token in a temporary directory, initialised once per process.
std::string SoftHsmModule() {
  static const std::string module = [] {
    const char* env = getenv("SMDP_SOFTHSM_MODULE");
    const std::string path =
        env != nullptr ? env : "/usr/lib/softhsm/libsofthsm2.so";
    std::string dir =
        (std::filesystem::temp_directory_path() / "smdp-hsm-bench.XXXXXX")
            .string();
    if (mkdtemp(dir.data()) == nullptr) Die(absl::InternalError("mkdtemp"));
    std::filesystem::create_directory(dir + "/tokens");
    std::ofstream(dir + "/softhsm2.conf")
        << "directories.tokendir = " << dir << "/tokens\n"
        << "objectstore.backend = file\nlog.level = ERROR\n";
    setenv("SOFTHSM2_CONF", (dir + "/softhsm2.conf").c_str(), 1);
    static std::string to_remove;
    to_remove = dir;
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(to_remove, ignored);
    });
    absl::Status status = InitializeToken(path, kLabel, "123456", kPin);
    if (!status.ok()) Die(status);
    return path;
  }();
  return module;
}

CryptoProvider& Pkcs11(bool agreement_in_hsm) {
  auto open = [](bool in_hsm) {
    Pkcs11ProviderOptions options;
    options.module_path = SoftHsmModule();
    options.token_label = kLabel;
    options.pin = kPin;
    options.agreement_in_hsm = in_hsm;
    return OrDie(Pkcs11Provider::Open(std::move(options))).release();
  };
  static CryptoProvider* const software_agreement = open(false);
  static CryptoProvider* const hsm_agreement = open(true);
  return agreement_in_hsm ? *hsm_agreement : *software_agreement;
}

// One signing key per provider and curve.
const SigningKey& KeyOf(CryptoProvider& provider, Curve curve,
                        absl::string_view name) {
  static absl::Mutex mu;
  static auto* keys = new std::map<std::string, std::unique_ptr<SigningKey>>;
  const std::string label = absl::StrCat(name, "-", GroupName(curve));
  absl::MutexLock lock(&mu);
  auto& key = (*keys)[label];
  if (key == nullptr) key = OrDie(provider.GenerateSigningKey(label, curve));
  return *key;
}

const std::string& PeerPoint(Curve curve) {
  static const std::string points[2] = {
      OrDie(Software().GenerateAgreementKey(Curve::kNistP256))->public_point(),
      OrDie(Software().GenerateAgreementKey(Curve::kBrainpoolP256r1))
          ->public_point()};
  return points[curve == Curve::kNistP256 ? 0 : 1];
}

// ---- raw OpenSSL floor ----

void BM_OpensslSign(benchmark::State& state, Curve curve) {
  EvpPkeyPtr key(EVP_EC_gen(GroupName(curve)));
  unsigned char sig[80];
  for (auto _ : state) {
    EvpMdCtxPtr ctx(EVP_MD_CTX_new());
    size_t len = sizeof(sig);
    if (EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr,
                           key.get()) != 1 ||
        EVP_DigestSign(ctx.get(), sig, &len,
                       reinterpret_cast<const unsigned char*>(kMessage),
                       sizeof(kMessage) - 1) != 1) {
      state.SkipWithError("EVP_DigestSign failed");
    }
    benchmark::DoNotOptimize(sig);
  }
}

void BM_OpensslKeygen(benchmark::State& state, Curve curve) {
  const char* group = GroupName(curve);
  for (auto _ : state) {
    EvpPkeyPtr key(EVP_EC_gen(group));
    benchmark::DoNotOptimize(key.get());
  }
}

void BM_OpensslEcdh(benchmark::State& state, Curve curve) {
  const char* group = GroupName(curve);
  EvpPkeyPtr key(EVP_EC_gen(group));
  EvpPkeyPtr peer(EVP_EC_gen(group));
  unsigned char secret[32];
  for (auto _ : state) {
    EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
    size_t len = sizeof(secret);
    if (EVP_PKEY_derive_init(ctx.get()) != 1 ||
        EVP_PKEY_derive_set_peer_ex(ctx.get(), peer.get(), 0) != 1 ||
        EVP_PKEY_derive(ctx.get(), secret, &len) != 1) {
      state.SkipWithError("EVP_PKEY_derive failed");
    }
    benchmark::DoNotOptimize(secret);
  }
}

// ---- providers ----

void RunSign(benchmark::State& state, Curve curve, CryptoProvider& provider,
             absl::string_view name) {
  const SigningKey& key = KeyOf(provider, curve, name);
  for (auto _ : state) {
    absl::StatusOr<std::string> rs = key.Sign(kMessage);
    if (!rs.ok()) state.SkipWithError(rs.status().ToString().c_str());
    benchmark::DoNotOptimize(rs);
  }
}

void RunKeygen(benchmark::State& state, Curve curve, CryptoProvider& provider) {
  for (auto _ : state) {
    auto key = provider.GenerateAgreementKey(curve);
    if (!key.ok()) state.SkipWithError(key.status().ToString().c_str());
    benchmark::DoNotOptimize(key);
  }
}

void RunEcdh(benchmark::State& state, Curve curve, CryptoProvider& provider) {
  const std::string& peer = PeerPoint(curve);
  std::unique_ptr<AgreementKey> key =
      OrDie(provider.GenerateAgreementKey(curve));
  for (auto _ : state) {
    absl::StatusOr<std::string> secret = key->Derive(peer);
    if (!secret.ok()) state.SkipWithError(secret.status().ToString().c_str());
    benchmark::DoNotOptimize(secret);
  }
}

void BM_SoftwareSign(benchmark::State& state, Curve curve) {
  RunSign(state, curve, Software(), "sw");
}
void BM_SoftwareKeygen(benchmark::State& state, Curve curve) {
  RunKeygen(state, curve, Software());
}
void BM_SoftwareEcdh(benchmark::State& state, Curve curve) {
  RunEcdh(state, curve, Software());
}

void BM_Pkcs11Sign(benchmark::State& state, Curve curve) {
  RunSign(state, curve, Pkcs11(false), "p11");
}
void BM_Pkcs11Keygen(benchmark::State& state, Curve curve) {
  RunKeygen(state, curve, Pkcs11(false));
}
void BM_Pkcs11Ecdh(benchmark::State& state, Curve curve) {
  RunEcdh(state, curve, Pkcs11(false));
}
void BM_Pkcs11HsmKeygen(benchmark::State& state, Curve curve) {
  RunKeygen(state, curve, Pkcs11(true));
}
void BM_Pkcs11HsmEcdh(benchmark::State& state, Curve curve) {
  RunEcdh(state, curve, Pkcs11(true));
}

#define SMDP_HSM_BENCH(fn)                                  \
  BENCHMARK_CAPTURE(fn, p256, Curve::kNistP256)             \
      ->Threads(1)                                          \
      ->Threads(2)                                          \
      ->UseRealTime();                                      \
  BENCHMARK_CAPTURE(fn, brainpool, Curve::kBrainpoolP256r1) \
      ->Threads(1)                                          \
      ->Threads(2)                                          \
      ->UseRealTime()

SMDP_HSM_BENCH(BM_OpensslSign);
SMDP_HSM_BENCH(BM_SoftwareSign);
SMDP_HSM_BENCH(BM_Pkcs11Sign);
SMDP_HSM_BENCH(BM_OpensslKeygen);
SMDP_HSM_BENCH(BM_SoftwareKeygen);
SMDP_HSM_BENCH(BM_Pkcs11Keygen);
SMDP_HSM_BENCH(BM_Pkcs11HsmKeygen);
SMDP_HSM_BENCH(BM_OpensslEcdh);
SMDP_HSM_BENCH(BM_SoftwareEcdh);
SMDP_HSM_BENCH(BM_Pkcs11Ecdh);
SMDP_HSM_BENCH(BM_Pkcs11HsmEcdh);

}  // namespace
}  // namespace smdp::hsm

BENCHMARK_MAIN();
