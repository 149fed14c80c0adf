// Bound Profile Package binding, against the raw primitives it is made of,
// measured in the same run:
//   BM_Bind/<curve>/<KB>/{plain,ppk}  BoundProfilePackageBuilder::Build
//   BM_Raw{Sign,Verify,Keygen,Ecdh}/<curve>, BM_RawCbcCmacPerKB
// Each BM_Bind reports `floor_us`, the sum of the primitives one binding
// needs (keygen + ECDH + one sign + CBC/CMAC over the bytes it protects),
// and `ratio` = binding time / floor_us: the cost of everything else (DER,
// KDF, copies). The primitives use plain OpenSSL EVP calls.
//
//   bazel run -c opt //bench:bpp_bench
//   bazel run -c opt //bench:bpp_bench -- --benchmark_filter=Bind/p256
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <chrono>
#include <string>

#include "benchmark/benchmark.h"
#include "hsm/software_provider.h"
#include "sgp22/bsp/bsp_format.h"
#include "sgp22/bsp/profile_protection.h"
#include "smdp/download/bpp_builder.h"
#include "util/ssl_ptr.h"

namespace smdp {
namespace {

using hsm::Curve;

const char* GroupName(Curve curve) {
  return curve == Curve::kNistP256 ? "P-256" : "brainpoolP256r1";
}

EvpPkeyPtr NewKey(Curve curve) {
  return EvpPkeyPtr(EVP_EC_gen(GroupName(curve)));
}

std::string Bytes(size_t n) {
  std::string s(n, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(s.data()), n);
  return s;
}

// --- Raw primitives (OpenSSL EVP, nothing of ours) -------------------------

double RawSignOnce(EVP_PKEY* key, const std::string& msg) {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  unsigned char sig[80];
  size_t len = sizeof(sig);
  EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key);
  EVP_DigestSign(ctx.get(), sig, &len,
                 reinterpret_cast<const unsigned char*>(msg.data()),
                 msg.size());
  return static_cast<double>(len);
}

bool RawVerifyOnce(EVP_PKEY* key, const std::string& msg,
                   const std::string& sig) {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key);
  return EVP_DigestVerify(
             ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()),
             sig.size(), reinterpret_cast<const unsigned char*>(msg.data()),
             msg.size()) == 1;
}

size_t RawEcdhOnce(EVP_PKEY* key, EVP_PKEY* peer) {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new(key, nullptr));
  unsigned char secret[64];
  size_t len = sizeof(secret);
  EVP_PKEY_derive_init(ctx.get());
  EVP_PKEY_derive_set_peer_ex(ctx.get(), peer, 0);
  EVP_PKEY_derive(ctx.get(), secret, &len);
  return len;
}

// AES-128-CBC + AES-CMAC over `bytes`, 1 KB at a time, as the BSP does per
// segment (re-keyed CBC per segment, CMAC restarted per segment), with
// contexts fetched once per thread.
void RawCbcCmac(size_t bytes) {
  static const unsigned char key[16] = {1, 2,  3,  4,  5,  6,  7,  8,
                                        9, 10, 11, 12, 13, 14, 15, 16};
  struct Contexts {
    std::string in = std::string(1024, 'x'), out = std::string(1040, '\0');
    EvpCipherCtxPtr cbc{EVP_CIPHER_CTX_new()};
    EvpMacPtr mac{EVP_MAC_fetch(nullptr, "CMAC", nullptr)};
    EvpMacCtxPtr mctx{EVP_MAC_CTX_new(mac.get())};
    Contexts() {
      OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(
                                 "cipher", const_cast<char*>("AES-128-CBC"), 0),
                             OSSL_PARAM_construct_end()};
      EVP_MAC_init(mctx.get(), key, sizeof(key), params);
    }
  };
  static thread_local Contexts c;
  for (size_t done = 0; done < bytes; done += 1024) {
    int n = 0;
    EVP_EncryptInit_ex(c.cbc.get(), EVP_aes_128_cbc(), nullptr, key, key);
    EVP_CIPHER_CTX_set_padding(c.cbc.get(), 0);
    EVP_EncryptUpdate(
        c.cbc.get(), reinterpret_cast<unsigned char*>(c.out.data()), &n,
        reinterpret_cast<const unsigned char*>(c.in.data()), 1024);
    unsigned char tag[16];
    size_t tag_len = 0;
    EVP_MAC_init(c.mctx.get(), nullptr, 0, nullptr);
    EVP_MAC_update(c.mctx.get(), reinterpret_cast<unsigned char*>(c.out.data()),
                   1024);
    EVP_MAC_final(c.mctx.get(), tag, &tag_len, sizeof(tag));
  }
}

// Mean seconds of `op` over enough calls to take ~50 ms.
template <typename Op>
double Measure(Op op) {
  using Clock = std::chrono::steady_clock;
  size_t n = 0;
  auto start = Clock::now();
  std::chrono::duration<double> elapsed{};
  do {
    for (int i = 0; i < 16; ++i) op();
    n += 16;
    elapsed = Clock::now() - start;
  } while (elapsed.count() < 0.05);
  return elapsed.count() / n;
}

struct Floor {
  double sign, keygen, ecdh, cbc_cmac_per_kb;
};

// The primitive costs of `curve`, measured once per run.
const Floor& FloorFor(Curve curve) {
  static Floor floors[2];
  static bool measured[2] = {false, false};
  int i = curve == Curve::kNistP256 ? 0 : 1;
  if (!measured[i]) {
    EvpPkeyPtr key = NewKey(curve), peer = NewKey(curve);
    std::string msg = Bytes(200);
    floors[i].sign = Measure([&] { RawSignOnce(key.get(), msg); });
    floors[i].keygen = Measure([&] { EvpPkeyPtr k = NewKey(curve); });
    floors[i].ecdh = Measure([&] { RawEcdhOnce(key.get(), peer.get()); });
    floors[i].cbc_cmac_per_kb = Measure([] { RawCbcCmac(1024); });
    measured[i] = true;
  }
  return floors[i];
}

Curve CurveArg(const benchmark::State& state) {
  return state.range(0) == 0 ? Curve::kNistP256 : Curve::kBrainpoolP256r1;
}

void BM_RawSign(benchmark::State& state) {
  EvpPkeyPtr key = NewKey(CurveArg(state));
  std::string msg = Bytes(200);
  for (auto _ : state) benchmark::DoNotOptimize(RawSignOnce(key.get(), msg));
}

void BM_RawVerify(benchmark::State& state) {
  EvpPkeyPtr key = NewKey(CurveArg(state));
  std::string msg = Bytes(200);
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  std::string sig(80, '\0');
  size_t len = sig.size();
  EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get());
  EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                 reinterpret_cast<const unsigned char*>(msg.data()),
                 msg.size());
  sig.resize(len);
  for (auto _ : state) {
    benchmark::DoNotOptimize(RawVerifyOnce(key.get(), msg, sig));
  }
}

void BM_RawKeygen(benchmark::State& state) {
  Curve curve = CurveArg(state);
  for (auto _ : state) benchmark::DoNotOptimize(NewKey(curve));
}

void BM_RawEcdh(benchmark::State& state) {
  EvpPkeyPtr key = NewKey(CurveArg(state)), peer = NewKey(CurveArg(state));
  for (auto _ : state) {
    benchmark::DoNotOptimize(RawEcdhOnce(key.get(), peer.get()));
  }
}

void BM_RawCbcCmacPerKB(benchmark::State& state) {
  for (auto _ : state) RawCbcCmac(1024);
}

// Args: curve (0 P-256, 1 brainpool), profile KB, 1 = PPK-protected.
void BM_Bind(benchmark::State& state) {
  Curve curve = CurveArg(state);
  size_t size = state.range(1) * 1024;
  bool ppk = state.range(2) == 1;
  auto provider = *hsm::SoftwareProvider::Create({});
  auto dppb = *provider->GenerateSigningKey("dppb", curve);
  auto euicc = *provider->GenerateAgreementKey(curve);
  std::string profile = Bytes(size);
  auto ppp = *bsp::ProtectProfile(profile);
  download::BoundProfilePackageBuilder builder(*provider);
  download::BindingRequest request;
  request.transaction_id = Bytes(16);
  request.eid = "89049032123451234512345678901235";
  request.euicc_otpk = euicc->public_point();
  request.dppb_key = dppb.get();
  request.metadata.iccid = Bytes(10);
  request.metadata.service_provider_name = "Operator";
  request.metadata.profile_name = "Profile";
  download::ProfileToBind what = ppk ? download::ProfileToBind::Protected(ppp)
                                     : download::ProfileToBind::Plain(profile);
  size_t bpp_size = 0;
  auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    auto bound = builder.Build(request, what);
    if (!bound.ok()) {
      state.SkipWithError(std::string(bound.status().message()).c_str());
      return;
    }
    bpp_size = bound->der.size();
    benchmark::DoNotOptimize(bound->der.data());
  }
  // What a binding protects: ConfigureISDP + metadata (+ ReplaceSessionKeys),
  // and the whole profile only without a PPK. Count 1 KB for the commands.
  std::chrono::duration<double> elapsed =
      std::chrono::steady_clock::now() - start;
  const Floor& floor = FloorFor(curve);
  double protected_kb = 1.0 + (ppk ? 0.0 : size / 1024.0);
  double floor_s = floor.keygen + floor.ecdh + floor.sign +
                   protected_kb * floor.cbc_cmac_per_kb;
  state.counters["floor_us"] = floor_s * 1e6;
  state.counters["ratio"] = elapsed.count() / state.iterations() / floor_s;
  state.counters["bpp_KB"] = bpp_size / 1024.0;
  state.SetLabel(ppk ? "ppk" : "plain");
}

void CurveArgs(benchmark::internal::Benchmark* b) {
  b->ArgName("curve")->Arg(0)->Arg(1);
}

BENCHMARK(BM_RawSign)->Apply(CurveArgs);
BENCHMARK(BM_RawVerify)->Apply(CurveArgs);
BENCHMARK(BM_RawKeygen)->Apply(CurveArgs);
BENCHMARK(BM_RawEcdh)->Apply(CurveArgs);
BENCHMARK(BM_RawCbcCmacPerKB);
BENCHMARK(BM_Bind)
    ->ArgNames({"curve", "KB", "ppk"})
    ->ArgsProduct({{0, 1}, {8, 64, 512}, {0, 1}})
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace smdp

BENCHMARK_MAIN();
