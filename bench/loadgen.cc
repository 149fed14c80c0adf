// loadgen: whole ES9+ downloads against the in-process SM-DP+, with the
// crypto floor of a download measured in the same run.
//
//   bazel run -c opt //bench:loadgen -- --euiccs=16 --downloads=2000
//       [--transport=https|grpc] [--curve=nist|brp] [--ppk] [--seconds=S]
//
// What it does:
//   1. Starts a DownloadWorld (tests/e2e/download_world.h): SoftHSM token
//      with the SM-DP+ keys and the KEK, dev PKI, RocksDB store (synced
//      writes unless --nosync), the DownloadService behind the GSMA HTTPS
//      binding or gRPC (--transport) on 127.0.0.1. Imports --downloads
//      profiles (the minimal SAIP template plus --filler_bytes;
//      PPK-protected with --ppk, else sealed plain) and orders and releases
//      each under its own matchingId (store transitions, not timed).
//   2. Issues --euiccs test eUICCs (distinct certificates and EIDs, on
//      --curve) and runs each on its own thread with its own client
//      (HTTPS: one keep-alive TLS connection, opened by a warm-up call before
//      the clock starts). Each thread takes the next profile and runs a whole
//      download (challenge, initiateAuthentication, AuthenticateServer,
//      authenticateClient, PrepareDownload, getBoundProfilePackage,
//      LoadBoundProfilePackage, handleNotification) until every profile is
//      taken or --seconds have passed.
//   3. Prints one table: downloads/s, p50/p99/max latency of each step and
//      of the whole download, errors, CPU per download (the process's, the
//      client threads', and the difference: the server's), and the crypto
//      floor (raw OpenSSL EVP calls timed on one thread after the run):
//        floor_server_us  3 ECDSA signs (serverSignature1, smdpSignature2,
//                         smdpSign), 4 verifies (CERT.EUICC with the EUM
//                         cached, euiccSignature1, euiccSignature2, the
//                         ProfileInstallationResult), one-time keygen, ECDH,
//                         X9.63 KDF, AES-256-GCM open of the sealed PPK or
//                         profile, BSP (AES-CBC + CMAC) of ConfigureISDP,
//                         StoreMetadata (MAC only) and ReplaceSessionKeys
//                         (PPK) or the profile (plain);
//        floor_euicc_us   3 signs (euiccSignature1, euiccSignature2, the
//                         result), 5 verifies (CERT.DPauth, serverSignature1,
//                         CERT.DPpb, smdpSignature2, smdpSign), keygen, ECDH,
//                         KDF, BSP decrypt + MAC check of everything the BPP
//                         carries (with a PPK: its profile segments too);
//        ratio = downloads/s ÷ (cores × 1e6 / (floor_server_us +
//                floor_euicc_us)): the fraction of the throughput the two
//                sides' crypto alone would allow on this machine, since the
//                eUICCs run on the same cores as the server;
//        CPU efficiency = (floor_server_us + floor_euicc_us) ÷ process CPU
//                per download: the same, for the CPU actually spent (it does
//                not depend on idle time or other processes).
//      TLS handshakes are not in the floor (one per connection, before the
//      clock starts), nor is anything that is not crypto (DER, JSON, HTTP,
//      the store's synced writes).
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "tests/e2e/download_client.h"
#include "tests/e2e/download_world.h"
#include "tests/euicc/software_euicc.h"
#include "util/file_util.h"
#include "util/log.h"
#include "util/ssl_ptr.h"

ABSL_FLAG(int, euiccs, 16, "concurrent software eUICCs (one thread each)");
ABSL_FLAG(int64_t, downloads, 2000,
          "profiles imported and released, i.e. downloads at most");
ABSL_FLAG(double, seconds, 0,
          "stop taking new downloads after this many seconds (0: run all "
          "--downloads)");
ABSL_FLAG(std::string, transport, "https", "https or grpc");
ABSL_FLAG(std::string, curve, "nist", "nist (P-256) or brp (brainpoolP256r1)");
ABSL_FLAG(bool, ppk, false,
          "PPK-protected profiles (default: sealed plain profiles)");
ABSL_FLAG(int64_t, filler_bytes, 0,
          "filler EF bytes added to the minimal SAIP template");
ABSL_FLAG(int, workers, 8,
          "server worker threads (HTTPS handlers) and HSM sessions");
ABSL_FLAG(bool, sync, true, "fsync the store's WAL on every change");
ABSL_FLAG(std::string, log_level, "warning",
          "server log level (debug, info, warning, error); info logs every "
          "refused call, e.g. the warm-up calls");
ABSL_FLAG(std::string, dir, "",
          "parent directory for the world's files (default $TMPDIR or /tmp)");

namespace smdp::e2e {
namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void Die(absl::string_view what, const absl::Status& status) {
  std::fprintf(stderr, "loadgen: %s: %s\n", std::string(what).c_str(),
               status.ToString().c_str());
  std::exit(1);
}

double CpuSeconds(const rusage& r) {
  return r.ru_utime.tv_sec + r.ru_utime.tv_usec / 1e6 + r.ru_stime.tv_sec +
         r.ru_stime.tv_usec / 1e6;
}

double ProcessCpuSeconds() {
  rusage r;
  getrusage(RUSAGE_SELF, &r);
  return CpuSeconds(r);
}

double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

// ---- The crypto floor: raw OpenSSL, nothing of ours ------------------------

const char* GroupName(hsm::Curve curve) {
  return curve == hsm::Curve::kNistP256 ? "P-256" : "brainpoolP256r1";
}

std::string RandomBytes(size_t n) {
  std::string s(n, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(s.data()), static_cast<int>(n));
  return s;
}

const unsigned char* U(const std::string& s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// Microseconds per call of `op`: the fastest of 5 runs of >= 30 ms each
// (the floor: what the primitive costs when nothing disturbs it; on a shared
// machine a single run can be slowed by other processes).
template <typename Op>
double MeasureUs(Op op) {
  double best = 1e30;
  for (int run = 0; run < 5; ++run) {
    size_t n = 0;
    const auto start = Clock::now();
    std::chrono::duration<double> elapsed{};
    do {
      for (int i = 0; i < 8; ++i) op();
      n += 8;
      elapsed = Clock::now() - start;
    } while (elapsed.count() < 0.03);
    best = std::min(best, elapsed.count() * 1e6 / n);
  }
  return best;
}

std::string Sign(EVP_PKEY* key, const std::string& msg) {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  std::string sig(80, '\0');
  size_t len = sig.size();
  EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key);
  EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                 U(msg), msg.size());
  sig.resize(len);
  return sig;
}

bool Verify(EVP_PKEY* key, const std::string& msg, const std::string& sig) {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key);
  return EVP_DigestVerify(ctx.get(), U(sig), sig.size(), U(msg), msg.size()) ==
         1;
}

size_t Ecdh(EVP_PKEY* key, EVP_PKEY* peer) {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new(key, nullptr));
  unsigned char secret[64];
  size_t len = sizeof(secret);
  EVP_PKEY_derive_init(ctx.get());
  EVP_PKEY_derive_set_peer_ex(ctx.get(), peer, 0);
  EVP_PKEY_derive(ctx.get(), secret, &len);
  return len;
}

// X9.63 KDF with SHA-256: 48 bytes (S-ENC, S-MAC, initial MCV) from a
// 32-byte shared secret and the SGP.22 shared info (keyType, keyLen,
// hostId, EID).
void Kdf() {
  static EVP_KDF* const kdf = EVP_KDF_fetch(nullptr, "X963KDF", nullptr);
  static const std::string secret = RandomBytes(32);
  static const std::string info = RandomBytes(4 + 9 + 16);
  SslPtr<EVP_KDF_CTX, EVP_KDF_CTX_free> ctx(EVP_KDF_CTX_new(kdf));
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_octet_string(
          OSSL_KDF_PARAM_KEY, const_cast<char*>(secret.data()), secret.size()),
      OSSL_PARAM_construct_octet_string(
          OSSL_KDF_PARAM_INFO, const_cast<char*>(info.data()), info.size()),
      OSSL_PARAM_construct_end()};
  unsigned char out[48];
  EVP_KDF_derive(ctx.get(), out, sizeof(out), params);
}

// BSP over `bytes`: segments of at most 1020 bytes, each AES-128-CBC
// encrypted (or decrypted: the same cost) when `encrypt`, then AES-CMAC'ed,
// re-keying CBC and restarting CMAC per segment, with contexts made once.
void Bsp(size_t bytes, bool encrypt) {
  static const std::string key = RandomBytes(16);
  struct Contexts {
    std::string in = std::string(1024, 'x'), out = std::string(1040, '\0');
    EvpCipherCtxPtr cbc{EVP_CIPHER_CTX_new()};
    EvpMacPtr mac{EVP_MAC_fetch(nullptr, "CMAC", nullptr)};
    EvpMacCtxPtr mctx{EVP_MAC_CTX_new(mac.get())};
    Contexts() {
      char cipher[] = "AES-128-CBC";
      OSSL_PARAM params[] = {
          OSSL_PARAM_construct_utf8_string("cipher", cipher, 0),
          OSSL_PARAM_construct_end()};
      EVP_MAC_init(mctx.get(), U(key), key.size(), params);
    }
  };
  static thread_local Contexts c;
  size_t done = 0;
  do {
    const size_t n = std::min<size_t>(1020, bytes - done);
    const size_t padded = (n + 16) & ~size_t{15};
    unsigned char* out = reinterpret_cast<unsigned char*>(c.out.data());
    if (encrypt) {
      int len = 0;
      EVP_EncryptInit_ex(c.cbc.get(), EVP_aes_128_cbc(), nullptr, U(key),
                         U(key));
      EVP_CIPHER_CTX_set_padding(c.cbc.get(), 0);
      EVP_EncryptUpdate(c.cbc.get(), out, &len, U(c.in),
                        static_cast<int>(padded));
    }
    unsigned char tag[16];
    size_t tag_len = 0;
    EVP_MAC_init(c.mctx.get(), nullptr, 0, nullptr);
    EVP_MAC_update(c.mctx.get(), out, padded + 16);  // + MCV and TL header
    EVP_MAC_final(c.mctx.get(), tag, &tag_len, sizeof(tag));
    done += n;
  } while (done < bytes);
}

// AES-256-GCM open (decrypt + tag check) of `bytes` with 12-byte nonce and
// ~40 bytes of associated data, as the KEK opens a sealed PPK or profile.
struct GcmOpen {
  explicit GcmOpen(size_t bytes)
      : key(RandomBytes(32)),
        nonce(RandomBytes(12)),
        aad(RandomBytes(40)),
        plain(RandomBytes(bytes)),
        sealed(bytes, '\0') {
    cipher = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
    EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
    int len = 0;
    EVP_EncryptInit_ex2(ctx.get(), cipher, U(key), U(nonce), nullptr);
    EVP_EncryptUpdate(ctx.get(), nullptr, &len, U(aad),
                      static_cast<int>(aad.size()));
    EVP_EncryptUpdate(ctx.get(),
                      reinterpret_cast<unsigned char*>(sealed.data()), &len,
                      U(plain), static_cast<int>(plain.size()));
    EVP_EncryptFinal_ex(ctx.get(), nullptr, &len);
    EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, 16, tag);
  }
  GcmOpen(const GcmOpen&) = delete;
  GcmOpen& operator=(const GcmOpen&) = delete;
  ~GcmOpen() { EVP_CIPHER_free(cipher); }

  bool operator()() {
    EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
    std::string out(sealed.size(), '\0');
    int len = 0;
    EVP_DecryptInit_ex2(ctx.get(), cipher, U(key), U(nonce), nullptr);
    EVP_DecryptUpdate(ctx.get(), nullptr, &len, U(aad),
                      static_cast<int>(aad.size()));
    EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()),
                      &len, U(sealed), static_cast<int>(sealed.size()));
    EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, 16, tag);
    return EVP_DecryptFinal_ex(ctx.get(), nullptr, &len) == 1;
  }

  EVP_CIPHER* cipher = nullptr;
  std::string key, nonce, aad, plain, sealed;
  unsigned char tag[16];
};

// The sizes a download protects, from one that ran.
struct BppSizes {
  size_t configure_isdp = 0;  // 87 (encrypted)
  size_t metadata = 0;        // 88 (MAC only)
  size_t replace_keys = 0;    // 87 ReplaceSessionKeys (PPK only)
  size_t profile = 0;         // 86 segments' plaintext
};

struct Floor {
  double sign, verify, keygen, ecdh, kdf;
  double bsp_configure, bsp_metadata, bsp_replace, bsp_profile;
  double gcm_open;
  double server_us, euicc_us;
};

Floor MeasureFloor(hsm::Curve curve, bool ppk, const BppSizes& sizes) {
  Floor f{};
  EvpPkeyPtr key(EVP_EC_gen(GroupName(curve)));
  EvpPkeyPtr peer(EVP_EC_gen(GroupName(curve)));
  const std::string msg = RandomBytes(300);  // a signed DER structure
  const std::string sig = Sign(key.get(), msg);
  f.sign = MeasureUs([&] { Sign(key.get(), msg); });
  f.verify = MeasureUs([&] { Verify(key.get(), msg, sig); });
  f.keygen = MeasureUs([&] { EvpPkeyPtr k(EVP_EC_gen(GroupName(curve))); });
  f.ecdh = MeasureUs([&] { Ecdh(key.get(), peer.get()); });
  f.kdf = MeasureUs([] { Kdf(); });
  f.bsp_configure = MeasureUs([&] { Bsp(sizes.configure_isdp, true); });
  f.bsp_metadata = MeasureUs([&] { Bsp(sizes.metadata, false); });
  f.bsp_replace = ppk ? MeasureUs([&] { Bsp(sizes.replace_keys, true); }) : 0;
  f.bsp_profile = MeasureUs([&] { Bsp(sizes.profile, true); });
  // The KEK opens the 48-byte PPK, or the whole plain profile.
  GcmOpen gcm(ppk ? 48 : sizes.profile);
  f.gcm_open = MeasureUs([&] { gcm(); });

  const double common = f.keygen + f.ecdh + f.kdf + f.bsp_configure +
                        f.bsp_metadata + (ppk ? f.bsp_replace : 0);
  // The server protects the profile only when it is not pre-protected; the
  // eUICC always decrypts it.
  f.server_us = 3 * f.sign + 4 * f.verify + common + f.gcm_open +
                (ppk ? 0 : f.bsp_profile);
  f.euicc_us = 3 * f.sign + 5 * f.verify + common + f.bsp_profile;
  return f;
}

// ---- The run ---------------------------------------------------------------

// Microseconds of each step and of the whole download.
using Sample = std::array<double, kDownloadSteps + 1>;

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(std::ceil(p * v.size()));
  return v[std::clamp<size_t>(rank, 1, v.size()) - 1];
}

std::string MatchingId(int64_t i) { return absl::StrCat("LG-", i); }

// Runs `fn(i)` for i in [0, n) on `threads` threads.
template <typename Fn>
void ParallelFor(size_t n, size_t threads, Fn fn) {
  std::atomic<size_t> next{0};
  std::vector<std::thread> pool;
  for (size_t t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (size_t i = next++; i < n; i = next++) fn(i);
    });
  }
  for (std::thread& t : pool) t.join();
}

int Main() {
  const int euiccs = absl::GetFlag(FLAGS_euiccs);
  const int64_t downloads = absl::GetFlag(FLAGS_downloads);
  const double seconds = absl::GetFlag(FLAGS_seconds);
  const std::string transport_name = absl::GetFlag(FLAGS_transport);
  const std::string curve_name = absl::GetFlag(FLAGS_curve);
  const bool ppk = absl::GetFlag(FLAGS_ppk);
  if (euiccs < 1 || downloads < 1 ||
      (transport_name != "https" && transport_name != "grpc") ||
      (curve_name != "nist" && curve_name != "brp") ||
      absl::GetFlag(FLAGS_filler_bytes) < 0) {
    std::fprintf(stderr,
                 "loadgen: need --euiccs >= 1, --downloads >= 1, "
                 "--transport=https|grpc, --curve=nist|brp\n");
    return 2;
  }
  const Es9Transport transport =
      transport_name == "https" ? Es9Transport::kHttps : Es9Transport::kGrpc;
  const hsm::Curve curve = curve_name == "nist" ? hsm::Curve::kNistP256
                                                : hsm::Curve::kBrainpoolP256r1;
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());

  // Everything the world writes (SoftHSM token, TLS test PKI, dev PKI,
  // store) goes under one directory of ours, removed at the end.
  std::string parent = absl::GetFlag(FLAGS_dir);
  if (parent.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    parent = tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
  }
  std::string root = absl::StrCat(parent, "/loadgen.XXXXXX");
  if (mkdtemp(root.data()) == nullptr) {
    Die("mkdtemp", absl::InternalError(root));
  }
  setenv("TEST_TMPDIR", root.c_str(), 1);

  const absl::Time setup_start = absl::Now();
  DownloadWorldOptions options;
  options.dir = absl::StrCat(root, "/world");
  options.ppk_profiles = ppk ? static_cast<size_t>(downloads) : 0;
  options.plain_profiles = ppk ? 0 : static_cast<size_t>(downloads);
  options.template_filler_bytes =
      static_cast<size_t>(absl::GetFlag(FLAGS_filler_bytes));
  options.sync_writes = absl::GetFlag(FLAGS_sync);
  options.worker_threads = absl::GetFlag(FLAGS_workers);
  options.serve_https = transport == Es9Transport::kHttps;
  options.serve_grpc = transport == Es9Transport::kGrpc;
  absl::StatusOr<std::unique_ptr<DownloadWorld>> made =
      DownloadWorld::Create(options);
  if (!made.ok()) Die("starting the world", made.status());
  DownloadWorld& world = **made;
  const std::vector<std::string>& iccids =
      ppk ? world.ppk_iccids() : world.plain_iccids();
  const absl::Duration world_time = absl::Now() - setup_start;

  const absl::Time order_start = absl::Now();
  std::vector<absl::Status> ordered(iccids.size());
  ParallelFor(iccids.size(), 16, [&](size_t i) {
    ordered[i] = world.OrderAndRelease(iccids[i], MatchingId(i));
  });
  for (const absl::Status& s : ordered) {
    if (!s.ok()) Die("ordering", s);
  }
  const absl::Duration order_time = absl::Now() - order_start;

  std::vector<std::unique_ptr<euicc::SoftwareEuicc>> cards(euiccs);
  std::vector<absl::Status> issued(euiccs);
  ParallelFor(euiccs, cores, [&](size_t i) {
    absl::StatusOr<euicc::testing::EuiccCredentials> creds =
        world.IssueEuicc(curve, 1 + i);
    if (!creds.ok()) {
      issued[i] = creds.status();
      return;
    }
    absl::StatusOr<std::unique_ptr<euicc::SoftwareEuicc>> card =
        euicc::SoftwareEuicc::Create(creds->ToConfig());
    if (!card.ok()) {
      issued[i] = card.status();
      return;
    }
    cards[i] = *std::move(card);
  });
  for (const absl::Status& s : issued) {
    if (!s.ok()) Die("issuing eUICCs", s);
  }

  // The run. The clock and the CPU counters start when every thread has
  // its client connected.
  std::atomic<int64_t> next{0};
  std::atomic<int64_t> errors{0};
  absl::Mutex mu;
  std::vector<Sample> samples;
  std::vector<std::string> error_messages;
  std::vector<absl::Status> connect(euiccs);
  // What one binding protected, from the first download that succeeded.
  BppSizes sizes;
  bool have_sizes = false;
  double client_cpu = 0;
  Clock::time_point run_start;
  double process_cpu_start = 0;
  auto start = [&]() noexcept {
    process_cpu_start = ProcessCpuSeconds();
    run_start = Clock::now();
  };
  std::barrier ready(euiccs, start);
  std::vector<std::thread> threads;
  for (int t = 0; t < euiccs; ++t) {
    threads.emplace_back([&, t] {
      absl::StatusOr<std::unique_ptr<Es9Client>> client =
          world.NewClient(transport);
      if (client.ok()) {
        // Connect (TLS handshake) outside the measurement: a call the
        // server refuses before any crypto or store work.
        es9plus::InitiateAuthenticationRequest warmup;
        warmup.set_smdp_address("warm-up.invalid");
        absl::StatusOr<es9plus::InitiateAuthenticationResponse> answer =
            (*client)->InitiateAuthentication(warmup);
        connect[t] = answer.status();
      } else {
        connect[t] = client.status();
      }
      ready.arrive_and_wait();
      if (!connect[t].ok()) return;
      const double cpu_start = ThreadCpuSeconds();
      const Clock::time_point deadline =
          run_start +
          std::chrono::duration_cast<Clock::duration>(
              std::chrono::duration<double>(seconds > 0 ? seconds : 1e9));
      std::vector<Sample> mine;
      std::vector<std::string> my_errors;
      for (int64_t i = next++; i < downloads && Clock::now() < deadline;
           i = next++) {
        Download download(**client, *cards[t], world.smdp_address(),
                          MatchingId(i));
        absl::Status s = download.Run();
        if (!s.ok()) {
          ++errors;
          if (my_errors.size() < 5) my_errors.push_back(s.ToString());
          continue;
        }
        Sample sample;
        const DownloadResult& r = download.result();
        if (mine.empty()) {
          absl::MutexLock lock(&mu);
          if (!have_sizes && r.loaded->configure_isdp.has_value() &&
              r.loaded->metadata.has_value()) {
            sizes.configure_isdp = r.loaded->configure_isdp->Encode().size();
            sizes.metadata = r.loaded->metadata->Encode().size();
            // ReplaceSessionKeys: three 16-byte values in their TLVs.
            sizes.replace_keys = 3 * 18 + 3;
            sizes.profile = r.loaded->profile.size();
            have_sizes = true;
          }
        }
        for (size_t k = 0; k < kDownloadSteps; ++k) {
          sample[k] = absl::ToDoubleMicroseconds(r.step_time[k]);
        }
        sample[kDownloadSteps] = absl::ToDoubleMicroseconds(r.total());
        mine.push_back(sample);
      }
      const double cpu = ThreadCpuSeconds() - cpu_start;
      absl::MutexLock lock(&mu);
      client_cpu += cpu;
      samples.insert(samples.end(), mine.begin(), mine.end());
      for (std::string& e : my_errors) {
        if (error_messages.size() < 5) error_messages.push_back(std::move(e));
      }
    });
  }
  for (std::thread& t : threads) t.join();
  const double wall =
      std::chrono::duration<double>(Clock::now() - run_start).count();
  const double process_cpu = ProcessCpuSeconds() - process_cpu_start;
  // Other processes on the machine take cores from the run; the load
  // average says how many were runnable.
  std::string load_average = "?";
  if (absl::StatusOr<std::string> loadavg = ReadFile("/proc/loadavg");
      loadavg.ok()) {
    load_average = loadavg->substr(0, loadavg->find(' '));
  }
  for (const absl::Status& s : connect) {
    if (!s.ok()) Die("connecting", s);
  }
  const size_t ok = samples.size();

  if (!have_sizes) {
    Die("running",
        absl::AbortedError(error_messages.empty() ? "no download succeeded"
                                                  : error_messages.front()));
  }
  const Floor floor = MeasureFloor(curve, ppk, sizes);

  // ---- Report ----
  std::printf(
      "\nloadgen: transport=%s curve=%s ppk=%s euiccs=%d downloads=%lld "
      "profile=%zu B workers=%d sync=%s cores=%u\n",
      transport_name.c_str(), curve_name.c_str(), ppk ? "yes" : "no", euiccs,
      static_cast<long long>(downloads), sizes.profile, options.worker_threads,
      options.sync_writes ? "on" : "off", cores);
  std::printf("setup (not timed): world %.2f s, %zu orders released %.2f s\n\n",
              absl::ToDoubleSeconds(world_time), iccids.size(),
              absl::ToDoubleSeconds(order_time));

  std::printf("| step | p50 ms | p99 ms | max ms |\n|---|---:|---:|---:|\n");
  for (size_t k = 0; k <= kDownloadSteps; ++k) {
    std::vector<double> v;
    v.reserve(ok);
    for (const Sample& s : samples) v.push_back(s[k]);
    const std::string name =
        k < kDownloadSteps
            ? absl::StrCat(StepName(static_cast<DownloadStep>(k)),
                           IsServerStep(static_cast<DownloadStep>(k))
                               ? " (ES9+)"
                               : " (eUICC)")
            : std::string("**whole download**");
    std::printf("| %s | %.2f | %.2f | %.2f |\n", name.c_str(),
                Percentile(v, 0.50) / 1e3, Percentile(v, 0.99) / 1e3,
                Percentile(v, 1.0) / 1e3);
  }

  const double rate = wall > 0 ? ok / wall : 0;
  const double ideal = cores * 1e6 / (floor.server_us + floor.euicc_us);
  const double per = ok > 0 ? 1e6 / ok : 0;
  const double server_cpu_us = (process_cpu - client_cpu) * per;
  const double client_cpu_us = client_cpu * per;
  std::printf("\n| result | value |\n|---|---:|\n");
  std::printf("| downloads ok / errors | %zu / %lld |\n", ok,
              static_cast<long long>(errors.load()));
  std::printf("| wall s | %.2f |\n", wall);
  std::printf("| **downloads/s** | **%.1f** |\n", rate);
  std::printf("| process CPU µs / download | %.0f |\n", process_cpu * per);
  std::printf("| client threads (eUICC + LPA) CPU µs / download | %.0f |\n",
              client_cpu_us);
  std::printf(
      "| server CPU µs / download (process − client threads) | %.0f |\n",
      server_cpu_us);
  std::printf("| floor_server_us | %.1f |\n", floor.server_us);
  std::printf("| floor_euicc_us | %.1f |\n", floor.euicc_us);
  std::printf(
      "| floor downloads/s = %u cores × 1e6 / (floor_server_us + "
      "floor_euicc_us) | %.0f |\n",
      cores, ideal);
  std::printf("| **ratio** = downloads/s ÷ floor downloads/s | **%.3f** |\n",
              rate / ideal);
  std::printf(
      "| CPU efficiency = (floor_server_us + floor_euicc_us) ÷ process CPU "
      "µs / download | %.3f |\n",
      (floor.server_us + floor.euicc_us) / (process_cpu * per));
  std::printf("| server CPU ÷ floor_server_us | %.2f |\n",
              server_cpu_us / floor.server_us);
  std::printf("| client CPU ÷ floor_euicc_us | %.2f |\n",
              client_cpu_us / floor.euicc_us);
  std::printf("| cores busy in this process (process CPU ÷ wall) | %.2f |\n",
              wall > 0 ? process_cpu / wall : 0);
  std::printf("| machine load average (1 min) after the run | %s |\n",
              load_average.c_str());

  std::printf(
      "\nfloor primitives (µs, raw OpenSSL EVP, one thread, fastest of 5): "
      "sign %.1f, verify %.1f, keygen %.1f, ECDH %.1f, X9.63 KDF %.2f, "
      "AES-256-GCM open of %zu B %.2f, BSP (CBC+CMAC) ConfigureISDP %.2f, "
      "StoreMetadata (MAC only) %.2f, ",
      floor.sign, floor.verify, floor.keygen, floor.ecdh, floor.kdf,
      ppk ? size_t{48} : sizes.profile, floor.gcm_open, floor.bsp_configure,
      floor.bsp_metadata);
  if (ppk) std::printf("ReplaceSessionKeys %.2f, ", floor.bsp_replace);
  std::printf("profile %zu B %.2f\n", sizes.profile, floor.bsp_profile);
  std::printf(
      "floor_server_us = 3 sign + 4 verify + keygen + ECDH + KDF + GCM open + "
      "BSP(ConfigureISDP, StoreMetadata%s)\n",
      ppk ? ", ReplaceSessionKeys" : ", profile");
  std::printf(
      "floor_euicc_us  = 3 sign + 5 verify + keygen + ECDH + KDF + "
      "BSP(ConfigureISDP, StoreMetadata%s, profile)\n",
      ppk ? ", ReplaceSessionKeys" : "");
  for (const std::string& e : error_messages) {
    std::printf("error: %s\n", e.c_str());
  }

  made->reset();
  std::error_code ignored;
  std::filesystem::remove_all(root, ignored);
  return errors.load() == 0 && ok > 0 ? 0 : 1;
}

}  // namespace
}  // namespace smdp::e2e

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  smdp::SetLogLevel(smdp::ParseLogLevel(absl::GetFlag(FLAGS_log_level)));
  return smdp::e2e::Main();
}
