#include "tests/e2e/download_world.h"

#include <openssl/objects.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "profiles/import/batch_importer.h"
#include "profiles/preparation/profile_preparer.h"
#include "profiles/preparation/test_subscribers.h"
#include "profiles/saip/template_builder.h"
#include "sgp22/bsp/bsp_decoder.h"
#include "sgp22/bsp/bsp_format.h"
#include "sgp22/eid.h"
#include "smdp/auth/ci_trust_store.h"
#include "smdp/http/es9plus_binding.h"
#include "smdp/http/internal/test_tls_pki.h"
#include "smdp/pki/certificate_builder.h"
#include "smdp/server/identity.h"
#include "util/file_util.h"
#include "util/ssl_ptr.h"
#include "util/status_macros.h"

namespace smdp::e2e {
namespace {

namespace ptest = ::smdp::profiles::preparation::testing;

// A fresh directory under $TEST_TMPDIR (or /tmp).
absl::StatusOr<std::string> MakeTempDir() {
  const char* base = std::getenv("TEST_TMPDIR");
  std::string pattern =
      absl::StrCat(base != nullptr && *base != '\0' ? base : "/tmp",
                   "/download_world.XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) {
    return absl::InternalError(absl::StrCat("mkdtemp ", pattern, " failed"));
  }
  return pattern;
}

// The subject of a DER certificate as attributes, in order.
absl::StatusOr<pki::DistinguishedName> SubjectOf(absl::string_view der) {
  ASSIGN_OR_RETURN(X509Ptr cert, pki::ParseCertificateDer(der));
  const X509_NAME* name = X509_get_subject_name(cert.get());
  pki::DistinguishedName out;
  for (int i = 0; i < X509_NAME_entry_count(name); ++i) {
    const X509_NAME_ENTRY* entry = X509_NAME_get_entry(name, i);
    const int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(entry));
    const char* type = OBJ_nid2sn(nid);
    if (nid == NID_undef || type == nullptr) {
      return absl::InvalidArgumentError("subject attribute of unknown type");
    }
    const ASN1_STRING* data = X509_NAME_ENTRY_get_data(entry);
    out.push_back(
        {type,
         std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(data)),
                     static_cast<size_t>(ASN1_STRING_length(data)))});
  }
  return out;
}

}  // namespace

absl::StatusOr<std::unique_ptr<DownloadWorld>> DownloadWorld::Create(
    DownloadWorldOptions options) {
  std::unique_ptr<DownloadWorld> world(new DownloadWorld(std::move(options)));
  RETURN_IF_ERROR(world->Init());
  return world;
}

DownloadWorld::DownloadWorld(DownloadWorldOptions options)
    : options_(std::move(options)) {}

DownloadWorld::~DownloadWorld() {
  // Servers first (they call the service), then the service (it uses the
  // store, the KEK and the provider), then the store.
  if (https_ != nullptr) https_->Shutdown(absl::Seconds(5));
  if (grpc_server_ != nullptr) {
    grpc_server_->Shutdown(std::chrono::system_clock::now() +
                           std::chrono::seconds(5));
  }
  https_.reset();
  grpc_server_.reset();
  grpc_service_.reset();
  service_.reset();
  store_.reset();
  kek_.reset();
  provider_.reset();
  token_.reset();
  if (remove_dir_) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
}

absl::Status DownloadWorld::Init() {
  if (options_.dir.empty()) {
    ASSIGN_OR_RETURN(dir_, MakeTempDir());
    remove_dir_ = true;
  } else {
    dir_ = options_.dir;
    RETURN_IF_ERROR(MakeDirs(dir_));
  }
  if (options_.worker_threads < 1 || options_.io_threads < 1) {
    return absl::InvalidArgumentError(
        "DownloadWorldOptions: worker_threads and io_threads must be >= 1");
  }

  // HSM, KEK and the dev PKI with its SM-DP+ keys in the token.
  ASSIGN_OR_RETURN(token_, hsm::SoftHsmTestToken::Create());
  hsm::Pkcs11ProviderOptions provider_options = token_->ProviderOptions();
  provider_options.session_pool_size =
      static_cast<size_t>(options_.worker_threads);
  ASSIGN_OR_RETURN(provider_, hsm::Pkcs11Provider::Open(provider_options));
  ASSIGN_OR_RETURN(kek_, provider_->GetOrCreateSecretKey("kek"));
  pki::DevPkiOptions pki_options;
  pki_options.dir = absl::StrCat(dir_, "/pki");
  ASSIGN_OR_RETURN(dev_, pki::EnsureDevPki(pki_options, *provider_));
  std::vector<SmdpIdentity> identities;
  std::vector<std::string> cis;
  for (const config::Identity& id : {DevPkiIdentityConfig("nist", dev_.nist),
                                     DevPkiIdentityConfig("brp", dev_.brp)}) {
    ASSIGN_OR_RETURN(SmdpIdentity identity, LoadIdentity(id, *provider_));
    cis.push_back(identity.ci_cert);
    identities.push_back(std::move(identity));
  }

  profiles::RocksDbProfileStoreOptions store_options;
  store_options.path = absl::StrCat(dir_, "/store");
  store_options.sync_writes = options_.sync_writes;
  ASSIGN_OR_RETURN(store_, profiles::RocksDbProfileStore::Open(store_options));
  RETURN_IF_ERROR(Import());

  ASSIGN_OR_RETURN(std::shared_ptr<const auth::CiTrustStore> trust,
                   auth::CiTrustStore::Create(cis));
  download::DownloadServiceOptions service_options;
  service_options.smdp_address = dev_.smdp_address;
  service_options.smdp_oid = dev_.smdp_oid;
  service_options.session_ttl = options_.session_ttl;
  ASSIGN_OR_RETURN(service_, download::DownloadService::Create(
                                 service_options, std::move(identities),
                                 std::move(trust), *store_, *kek_, *provider_));
  return Serve();
}

absl::Status DownloadWorld::Import() {
  profiles::saip::TemplateOptions template_options;
  template_options.filler_bytes = options_.template_filler_bytes;
  ASSIGN_OR_RETURN(std::string template_upp,
                   profiles::saip::BuildTemplate(template_options));
  profiles::BatchImporter importer(*store_, *kek_, "kek");
  size_t row = 0;
  for (bool ppk : {true, false}) {
    const size_t count = ppk ? options_.ppk_profiles : options_.plain_profiles;
    std::vector<std::string>& iccids = ppk ? ppk_iccids_ : plain_iccids_;
    if (count == 0) continue;
    profiles::ImportRequest r;
    r.batch_id = ppk ? "ppk" : "plain";
    r.operator_id = options_.operator_id;
    r.profile_type = ppk ? "ppk" : "plain";
    r.metadata.set_service_provider_name("Operator One");
    r.metadata.set_profile_name("E2E");
    r.ppk = ppk;
    r.template_upp = template_upp;
    r.csv = ptest::TestCsvHeader();
    for (size_t i = 0; i < count; ++i, ++row) {
      r.csv += ptest::TestCsvLine(row);
      iccids.push_back(ptest::TestIccid(row));
    }
    RETURN_IF_ERROR(importer.Import(r).status());
  }
  return absl::OkStatus();
}

absl::Status DownloadWorld::Serve() {
  if (options_.serve_grpc) {
    grpc_service_ = std::make_unique<Es9PlusGrpcService>(*service_);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port);
    builder.RegisterService(grpc_service_.get());
    // No thread quota: the synchronous server refuses calls beyond its
    // thread cap (RESOURCE_EXHAUSTED, "Server Threadpool Exhausted") rather
    // than queueing them, and a load test wants every call served.
    grpc_server_ = builder.BuildAndStart();
    if (grpc_server_ == nullptr || port == 0) {
      return absl::UnavailableError("gRPC server did not start");
    }
    grpc_target_ = absl::StrCat("127.0.0.1:", port);
  }
  if (options_.serve_https) {
    const http::internal::TestTlsPki& tls = http::internal::GetTestTlsPki();
    http::GsmaHttpServerOptions http_options;
    http_options.certificate_chain_files = {tls.server_chain_file};
    http_options.private_key_file = tls.server_key_file;
    http_options.worker_threads = options_.worker_threads;
    http_options.io_threads = options_.io_threads;
    ASSIGN_OR_RETURN(https_, http::GsmaHttpServer::Create(http_options));
    RETURN_IF_ERROR(http::AddEs9PlusHandlers(*https_, *service_));
    RETURN_IF_ERROR(https_->Start());
    // "localhost": the name CERT.DP.TLS of the test TLS PKI carries.
    https_base_url_ = absl::StrCat("https://localhost:", https_->port());
  }
  return absl::OkStatus();
}

std::string DownloadWorld::tls_trust_anchor_file() const {
  return http::internal::GetTestTlsPki().ci_pem_file;
}

absl::StatusOr<std::unique_ptr<Es9Client>> DownloadWorld::NewClient(
    Es9Transport transport) const {
  // The tests hold the server to the binding (strict); a call that takes
  // longer than two minutes is a hang, not a slow server.
  euicc::Es9ClientOptions options;
  options.transport = transport;
  options.strict = true;
  options.call_timeout = absl::Minutes(2);
  if (transport == Es9Transport::kGrpc) {
    if (grpc_target_.empty()) {
      return absl::FailedPreconditionError("gRPC is not served");
    }
    options.smdp = grpc_target_;
    options.plaintext = true;
  } else {
    if (https_base_url_.empty()) {
      return absl::FailedPreconditionError("HTTPS is not served");
    }
    options.smdp = std::string(absl::StripPrefix(https_base_url_, "https://"));
    options.ca_file = tls_trust_anchor_file();
  }
  return euicc::CreateEs9Client(options);
}

absl::Status DownloadWorld::OrderAndRelease(absl::string_view iccid,
                                            absl::string_view matching_id,
                                            absl::string_view confirmation_code,
                                            absl::string_view eid) {
  std::string code_hash;
  if (!confirmation_code.empty()) {
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(confirmation_code.data()),
           confirmation_code.size(), digest);
    code_hash.assign(reinterpret_cast<const char*>(digest), sizeof(digest));
  }
  const std::string actor = absl::StrCat("operator:", options_.operator_id);
  for (auto [from, to] : {std::pair{store::AVAILABLE, store::ALLOCATED},
                          std::pair{store::ALLOCATED, store::CONFIRMED},
                          std::pair{store::CONFIRMED, store::RELEASED}}) {
    profiles::TransitionRequest t;
    t.iccid = std::string(iccid);
    t.from = {from};
    t.to = to;
    if (to == store::CONFIRMED) {
      t.mutate = [&](store::ProfileRecord& r) {
        r.mutable_order()->set_matching_id(std::string(matching_id));
        r.mutable_order()->set_confirmation_code_hash(code_hash);
        r.mutable_order()->set_eid(std::string(eid));
        r.mutable_order()->set_eid_from_operator(!eid.empty());
        return absl::OkStatus();
      };
    }
    t.audit.set_actor(actor);
    t.audit.set_action("test order");
    RETURN_IF_ERROR(store_->Transition(t).status());
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> DownloadWorld::StoredProfile(
    absl::string_view iccid) {
  ASSIGN_OR_RETURN(store::ProfileRecord record, store_->GetProfile(iccid));
  ASSIGN_OR_RETURN(
      profiles::preparation::ProfileForBinding opened,
      profiles::preparation::OpenProfileForBinding(std::move(record), *kek_));
  if (!opened.is_protected()) return opened.upp;
  // The personalised package that the stored PPK segments protect.
  ASSIGN_OR_RETURN(bsp::BspDecoder decoder,
                   bsp::BspDecoder::Create(opened.protected_profile->ppk));
  return decoder.DecryptSegments(bsp::kTagProfileSegment,
                                 opened.protected_profile->segments);
}

absl::StatusOr<euicc::testing::EuiccCredentials> DownloadWorld::IssueEuicc(
    hsm::Curve curve, uint64_t serial) const {
  const pki::DevPkiCurve& c = dev_.ForCurve(curve);
  const std::string& prefix = dev_.eum_eid_prefix;
  if (prefix.size() >= 30) {
    return absl::FailedPreconditionError("EUM EID prefix leaves no room");
  }
  std::string digits = absl::StrFormat("%022u", serial);
  if (digits.size() > 30 - prefix.size()) {
    return absl::InvalidArgumentError("eUICC serial too large for the EID");
  }
  digits.insert(0, 30 - prefix.size() - digits.size(), '0');
  ASSIGN_OR_RETURN(std::string eid, sgp22::CompleteEid(prefix + digits));

  euicc::testing::EuiccCredentials creds;
  ASSIGN_OR_RETURN(creds.eum_certificate, ReadFile(c.eum.der));
  ASSIGN_OR_RETURN(std::string ci, ReadFile(c.ci.der));
  creds.ci_certificates.push_back(std::move(ci));
  ASSIGN_OR_RETURN(std::string eum_key_pem, ReadFile(c.eum_key));
  ASSIGN_OR_RETURN(std::unique_ptr<pki::EvpKeySigner> eum_signer,
                   pki::EvpKeySigner::FromPem(eum_key_pem));
  // The dev eUICC's subject (its O must match the EUM's name constraints)
  // with this EID as serialNumber.
  ASSIGN_OR_RETURN(std::string dev_euicc, ReadFile(c.euicc.der));
  ASSIGN_OR_RETURN(pki::DistinguishedName subject, SubjectOf(dev_euicc));
  for (pki::NameAttribute& a : subject) {
    if (a.type == "serialNumber") a.value = eid;
  }

  ASSIGN_OR_RETURN(EvpPkeyPtr key, pki::GenerateSoftwareKey(curve));
  ASSIGN_OR_RETURN(pki::CertificateSpec spec,
                   pki::SgpProfile(pki::CertificateRole::kEuicc, {}));
  spec.subject = std::move(subject);
  ASSIGN_OR_RETURN(spec.public_key, pki::SubjectPublicKeyFromEvp(*key));
  spec.serial_number = pki::RandomSerialNumber();
  const absl::Time now = absl::Now();
  spec.not_before = now - absl::Hours(24);
  spec.not_after = now + absl::Hours(24 * 365 * 10);
  ASSIGN_OR_RETURN(
      creds.euicc_certificate,
      pki::IssueCertificate(spec, creds.eum_certificate, *eum_signer));
  ASSIGN_OR_RETURN(creds.euicc_private_key_pem, pki::PrivateKeyToPem(*key));
  creds.eid = std::move(eid);
  return creds;
}

}  // namespace smdp::e2e
