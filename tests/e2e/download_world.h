// DownloadWorld: a whole SM-DP+ download path in one process, made of the
// real parts, for end-to-end tests and the load generator:
//   - a fresh SoftHSM token (SoftHsmTestToken) holding the SM-DP+ keys and
//     the key-encryption key;
//   - the dev PKI on both curves (test CI, CERT.DPauth/DPpb/DP.TLS, a test
//     EUM whose key issues as many test eUICCs as needed);
//   - a RocksDB profile store in a directory of its own, with profiles
//     imported by BatchImporter from a small generated SAIP template,
//     PPK-protected and/or sealed plain;
//   - the DownloadService, served over the GSMA HTTPS binding
//     (GsmaHttpServer + AddEs9PlusHandlers, the test TLS PKI) and over gRPC
//     (Es9PlusGrpcService, plaintext), both on 127.0.0.1 with ephemeral
//     ports.
//
//   ASSERT_OK_AND_ASSIGN(std::unique_ptr<DownloadWorld> world,
//                        DownloadWorld::Create({.ppk_profiles = 4}));
//   const std::string iccid = world->ppk_iccids()[0];
//   ASSERT_OK(world->OrderAndRelease(iccid, "MATCH-1"));
//   ASSERT_OK_AND_ASSIGN(auto creds, world->IssueEuicc(Curve::kNistP256, 1));
//   ASSERT_OK_AND_ASSIGN(auto euicc, SoftwareEuicc::Create(creds.ToConfig()));
//   ASSERT_OK_AND_ASSIGN(auto client, world->NewClient(Es9Transport::kHttps));
//   ASSERT_OK_AND_ASSIGN(DownloadResult r, RunDownload(*client, *euicc,
//                            world->smdp_address(), "MATCH-1"));
//   EXPECT_EQ(r.loaded->profile, *world->StoredProfile(iccid));
//
// Subscriber rows (profiles/preparation/test_subscribers.h): the PPK batch
// takes rows 0 .. ppk_profiles-1, the plain batch the next plain_profiles
// rows, so every ICCID is distinct.
//
// Thread-safety: Create() and the destructor run on one thread while no
// other thread uses the world (SoftHSM setup changes the environment). The
// accessors, OrderAndRelease(), StoredProfile(), IssueEuicc() and
// NewClient() may be called from many threads at once.
#ifndef SMDP_TESTS_E2E_DOWNLOAD_WORLD_H_
#define SMDP_TESTS_E2E_DOWNLOAD_WORLD_H_

#include <grpcpp/grpcpp.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "hsm/crypto_provider.h"
#include "hsm/pkcs11_provider.h"
#include "hsm/softhsm_test_token.h"
#include "profiles/rocksdb/rocksdb_profile_store.h"
#include "smdp/download/download_service.h"
#include "smdp/grpc/es9plus_service.h"
#include "smdp/http/gsma_http_server.h"
#include "smdp/pki/dev_pki.h"
#include "tests/e2e/download_client.h"
#include "tests/euicc/euicc_testing.h"
#include "tests/euicc/lpa.h"

namespace smdp::e2e {

struct DownloadWorldOptions {
  // Directory of the dev PKI and the store. Empty (the default): a fresh
  // directory under $TEST_TMPDIR (or /tmp), removed by the destructor.
  std::string dir;
  // Profiles imported at start: PPK-protected (batch "ppk", profile type
  // "ppk") and stored sealed without a PPK (batch "plain", type "plain").
  size_t ppk_profiles = 8;
  size_t plain_profiles = 8;
  // Bytes of filler EFs in the SAIP template (0: the minimal ~0.7 KB
  // profile); see profiles/saip/template_builder.h.
  size_t template_filler_bytes = 0;
  std::string operator_id = "op1";
  // RocksDbProfileStoreOptions::sync_writes: true is production (every
  // change fsyncs the WAL before it returns).
  bool sync_writes = true;
  // HTTPS handler threads (GsmaHttpServerOptions::worker_threads), and the
  // PKCS#11 session pool. gRPC runs without a thread cap (one thread per
  // concurrent call).
  int worker_threads = 8;
  int io_threads = 2;
  bool serve_https = true;
  bool serve_grpc = true;
  // DownloadServiceOptions::session_ttl.
  absl::Duration session_ttl = absl::Minutes(5);
};

class DownloadWorld {
 public:
  // Builds and starts everything (see the file comment); any failure is
  // returned with what failed.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<DownloadWorld>> Create(
      DownloadWorldOptions options = {});

  // Stops the servers (in-flight calls get up to 5 s), closes the store and
  // removes the directory if Create() made it.
  ~DownloadWorld();
  DownloadWorld(const DownloadWorld&) = delete;
  DownloadWorld& operator=(const DownloadWorld&) = delete;

  // ---- The parts ----
  const DownloadWorldOptions& options() const { return options_; }
  const std::string& dir() const { return dir_; }
  const pki::DevPki& dev_pki() const { return dev_; }
  // The SM-DP+ address the service answers to ("localhost").
  const std::string& smdp_address() const { return dev_.smdp_address; }
  hsm::Pkcs11Provider& provider() { return *provider_; }
  const hsm::SecretKey& kek() const { return *kek_; }
  profiles::RocksDbProfileStore& store() { return *store_; }
  download::DownloadService& service() { return *service_; }
  // The imported ICCIDs, in subscriber-row order.
  const std::vector<std::string>& ppk_iccids() const { return ppk_iccids_; }
  const std::vector<std::string>& plain_iccids() const { return plain_iccids_; }

  // ---- The transports ----
  // "127.0.0.1:<port>" of the gRPC server ("" when not served).
  const std::string& grpc_target() const { return grpc_target_; }
  // "https://localhost:<port>" of the GSMA binding ("" when not served);
  // the ES9+ functions are under /gsma/rsp2/es9plus/.
  const std::string& https_base_url() const { return https_base_url_; }
  // The trust anchor of the HTTPS server's certificate (PEM file).
  std::string tls_trust_anchor_file() const;
  // A new client of one transport (its own keep-alive connection for HTTPS;
  // a new plaintext channel for gRPC): tests/euicc/lpa.h's, strict.
  [[nodiscard]] absl::StatusOr<std::unique_ptr<Es9Client>> NewClient(
      Es9Transport transport) const;

  // ---- Orders and profiles ----

  // The stand-in for an ES2+ DownloadOrder + ConfirmOrder + ReleaseProfile:
  // moves `iccid` AVAILABLE → ALLOCATED → CONFIRMED (with `matching_id`) →
  // RELEASED through store transitions, audited as operator:<operator_id>.
  // A non-empty `confirmation_code` makes the order need it; a non-empty
  // `eid` binds the order to that eUICC (an empty `matching_id` with an EID:
  // the default SM-DP+ order of that EID).
  [[nodiscard]] absl::Status OrderAndRelease(
      absl::string_view iccid, absl::string_view matching_id,
      absl::string_view confirmation_code = {}, absl::string_view eid = {});

  // The personalised profile package the store holds for `iccid`: the
  // unsealed plain profile, or the PPK segments decrypted with the unsealed
  // PPK. This is what the eUICC must end up with.
  [[nodiscard]] absl::StatusOr<std::string> StoredProfile(
      absl::string_view iccid);

  // Credentials of a new test eUICC on `curve`, issued by the dev PKI's EUM
  // of that curve, with the dev eUICC's subject but the EID
  // 89049032 <serial as 22 digits> <check digits> (so distinct serials give
  // distinct EIDs), trusting that curve's dev CI. Costs one key generation
  // and one signature.
  [[nodiscard]] absl::StatusOr<euicc::testing::EuiccCredentials> IssueEuicc(
      hsm::Curve curve, uint64_t serial) const;

 private:
  explicit DownloadWorld(DownloadWorldOptions options);
  absl::Status Init();
  absl::Status Import();
  absl::Status Serve();

  const DownloadWorldOptions options_;
  std::string dir_;
  bool remove_dir_ = false;

  std::unique_ptr<hsm::SoftHsmTestToken> token_;
  std::unique_ptr<hsm::Pkcs11Provider> provider_;
  std::unique_ptr<hsm::SecretKey> kek_;
  pki::DevPki dev_;
  std::unique_ptr<profiles::RocksDbProfileStore> store_;
  std::vector<std::string> ppk_iccids_;
  std::vector<std::string> plain_iccids_;
  std::unique_ptr<download::DownloadService> service_;
  std::unique_ptr<Es9PlusGrpcService> grpc_service_;
  std::unique_ptr<grpc::Server> grpc_server_;
  std::string grpc_target_;
  std::unique_ptr<http::GsmaHttpServer> https_;
  std::string https_base_url_;
};

}  // namespace smdp::e2e

#endif  // SMDP_TESTS_E2E_DOWNLOAD_WORLD_H_
