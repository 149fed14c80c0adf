// DownloadService against the independent software eUICC, in process: a
// temp RocksDB store, profiles imported with BatchImporter, orders made
// directly through store transitions, identities from our dev PKI and the
// GSMA SGP.26 test PKI (skipped when SMDP_SGP26_DIR is unset).
#include "smdp/download/download_service.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "hsm/pkcs11_provider.h"
#include "hsm/softhsm_test_token.h"
#include "hsm/software_provider.h"
#include "profiles/import/batch_importer.h"
#include "profiles/preparation/profile_preparer.h"
#include "profiles/preparation/test_subscribers.h"
#include "profiles/rocksdb/rocksdb_profile_store.h"
#include "profiles/saip/coding.h"
#include "profiles/saip/template_builder.h"
#include "sgp22/euicc_info.h"
#include "sgp22/notification.h"
#include "smdp/common/gsma_status.h"
#include "smdp/download/session_state.pb.h"
#include "smdp/download/signed_data.h"
#include "smdp/pki/dev_pki.h"
#include "tests/euicc/euicc_testing.h"
#include "tests/euicc/software_euicc.h"
#include "tests/testing/gsma_matchers.h"
#include "util/file_util.h"
#include "util/status_macros.h"
#include "util/status_matchers.h"

namespace smdp::download {
namespace {

using ::smdp::hsm::Curve;
using ::smdp::matchers::IsOk;
namespace ptest = ::smdp::profiles::preparation::testing;
namespace etest = ::smdp::euicc::testing;

const std::string kAddress = std::string(etest::kSgp26SmdpAddress);
const std::string kOid = std::string(etest::kSgp26SmdpOid);

using ::smdp::testing::FailedWith;
using ::smdp::testing::Succeeded;

std::string Sha256(absl::string_view s);

// Shared by every test: the provider, the dev PKI and the SGP.26 keys.
struct Pkis {
  std::unique_ptr<hsm::SoftHsmTestToken> token;  // when in SoftHSM
  std::unique_ptr<hsm::CryptoProvider> provider;
  pki::DevPki dev;
  bool sgp26 = false;
  std::vector<SmdpIdentity> identities;
  std::vector<std::string> ci_certificates;
  std::unique_ptr<hsm::SecretKey> kek;
  std::string template_upp;
};

Pkis* pkis = nullptr;
// The same in a real SoftHSM token, the one-time keys made in the token
// (agreement_in_hsm: otSK.DP.ECKA cannot leave it); dev PKI only.
Pkis* hsm_pkis = nullptr;

absl::Status LoadPkis(bool softhsm, Pkis*& out) {
  auto p = std::make_unique<Pkis>();
  if (softhsm) {
    ASSIGN_OR_RETURN(p->token, hsm::SoftHsmTestToken::Create());
    hsm::Pkcs11ProviderOptions po = p->token->ProviderOptions();
    po.agreement_in_hsm = true;
    po.session_pool_size = 4;
    ASSIGN_OR_RETURN(p->provider, hsm::Pkcs11Provider::Open(std::move(po)));
  } else {
    ASSIGN_OR_RETURN(p->provider, hsm::SoftwareProvider::Create({}));
  }
  pki::DevPkiOptions options;
  options.dir = absl::StrCat(getenv("TEST_TMPDIR"),
                             softhsm ? "/devpki-softhsm" : "/devpki");
  options.smdp_address = kAddress;
  options.smdp_oid = kOid;
  ASSIGN_OR_RETURN(p->dev, pki::EnsureDevPki(options, *p->provider));
  for (Curve curve : {Curve::kNistP256, Curve::kBrainpoolP256r1}) {
    const pki::DevPkiCurve& c = p->dev.ForCurve(curve);
    SmdpIdentity id;
    id.name = curve == Curve::kNistP256 ? "dev-nist" : "dev-brp";
    id.curve = curve;
    ASSIGN_OR_RETURN(id.ci_cert, ReadFile(c.ci.der));
    ASSIGN_OR_RETURN(id.dpauth_cert, ReadFile(c.dpauth.der));
    ASSIGN_OR_RETURN(id.dppb_cert, ReadFile(c.dppb.der));
    ASSIGN_OR_RETURN(id.dpauth_key, p->provider->LoadSigningKey(c.dpauth_key));
    ASSIGN_OR_RETURN(id.dppb_key, p->provider->LoadSigningKey(c.dppb_key));
    p->ci_certificates.push_back(id.ci_cert);
    p->identities.push_back(std::move(id));
  }
  const std::string dir = etest::Sgp26Dir();
  if (!dir.empty() && !softhsm) {
    p->sgp26 = true;
    for (Curve curve : {Curve::kNistP256, Curve::kBrainpoolP256r1}) {
      ASSIGN_OR_RETURN(etest::Sgp26Smdp smdp, etest::LoadSgp26Smdp(dir, curve));
      SmdpIdentity id;
      id.name = curve == Curve::kNistP256 ? "sgp26-nist" : "sgp26-brp";
      id.curve = curve;
      id.ci_cert = smdp.ci_certificate;
      id.dpauth_cert = smdp.dpauth_certificate;
      id.dppb_cert = smdp.dppb_certificate;
      ASSIGN_OR_RETURN(id.dpauth_key,
                       p->provider->ImportSigningKey(
                           id.name + "-auth", smdp.dpauth_private_key_pem));
      ASSIGN_OR_RETURN(id.dppb_key,
                       p->provider->ImportSigningKey(
                           id.name + "-pb", smdp.dppb_private_key_pem));
      p->ci_certificates.push_back(id.ci_cert);
      p->identities.push_back(std::move(id));
    }
  }
  ASSIGN_OR_RETURN(p->kek, p->provider->GetOrCreateSecretKey("kek"));
  ASSIGN_OR_RETURN(p->template_upp, profiles::saip::BuildTemplate());
  out = p.release();
  return absl::OkStatus();
}

class DownloadServiceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (pkis == nullptr) {
      ASSERT_THAT(LoadPkis(false, pkis), IsOk());
    }
  }

  void SetUp() override {
    if (world_ == nullptr) world_ = pkis;
    ASSERT_NO_FATAL_FAILURE(MakeService({}));
  }

  void MakeService(DownloadServiceOptions options) {
    static int n = 0;
    service_.reset();
    if (store_ == nullptr) {
      profiles::RocksDbProfileStoreOptions so;
      so.path = absl::StrCat(getenv("TEST_TMPDIR"), "/store", n++);
      so.sync_writes = false;
      so.clock = [this] { return now_; };
      auto store = profiles::RocksDbProfileStore::Open(so);
      ASSERT_THAT(store.status(), IsOk());
      store_ = *std::move(store);
    }
    auto trust = auth::CiTrustStore::Create(world_->ci_certificates);
    ASSERT_THAT(trust.status(), IsOk());
    options.smdp_address = kAddress;
    options.smdp_oid = kOid;
    options.clock = [this] { return now_; };
    auto service =
        DownloadService::Create(options, world_->identities, *std::move(trust),
                                *store_, *world_->kek, *world_->provider);
    ASSERT_THAT(service.status(), IsOk());
    service_ = *std::move(service);
  }

  // Imports `rows` test subscribers as batch `batch_id` into `store`.
  void Import(profiles::ProfileStore& store, const std::string& batch_id,
              size_t rows, bool ppk) {
    profiles::BatchImporter importer(store, *world_->kek, "kek");
    profiles::ImportRequest r;
    r.batch_id = batch_id;
    r.operator_id = "op1";
    r.profile_type = "consumer";
    r.metadata.set_service_provider_name("Operator One");
    r.metadata.set_profile_name("Consumer");
    r.metadata.set_profile_class(2);
    r.ppk = ppk;
    r.template_upp = world_->template_upp;
    r.csv = ptest::TestCsv(rows);
    ASSERT_THAT(importer.Import(r).status(), IsOk());
  }

  struct OrderSpec {
    std::string matching_id = "MATCH-1";
    std::string eid;  // empty: not bound
    std::string confirmation_code;
    absl::Time expires = absl::InfiniteFuture();
    bool release = true;
  };

  // ALLOCATED -> CONFIRMED (order) -> RELEASED, as ES2+ will do.
  void Order(const std::string& iccid, const OrderSpec& spec) {
    profiles::TransitionRequest alloc;
    alloc.iccid = iccid;
    alloc.from = {store::AVAILABLE};
    alloc.to = store::ALLOCATED;
    alloc.audit.set_actor("operator:op1");
    alloc.audit.set_action("DownloadOrder");
    ASSERT_THAT(store_->Transition(alloc).status(), IsOk());
    profiles::TransitionRequest confirm;
    confirm.iccid = iccid;
    confirm.from = {store::ALLOCATED};
    confirm.to = store::CONFIRMED;
    confirm.mutate = [&](store::ProfileRecord& r) {
      store::Order* o = r.mutable_order();
      o->set_matching_id(spec.matching_id);
      o->set_eid(spec.eid);
      if (!spec.confirmation_code.empty()) {
        o->set_confirmation_code_hash(Sha256(spec.confirmation_code));
      }
      if (spec.expires != absl::InfiniteFuture()) {
        o->set_expires_at_ms(absl::ToUnixMillis(spec.expires));
      }
      return absl::OkStatus();
    };
    confirm.audit.set_actor("operator:op1");
    confirm.audit.set_action("ConfirmOrder");
    ASSERT_THAT(store_->Transition(confirm).status(), IsOk());
    if (!spec.release) return;
    profiles::TransitionRequest release;
    release.iccid = iccid;
    release.from = {store::CONFIRMED};
    release.to = store::RELEASED;
    release.audit.set_actor("operator:op1");
    release.audit.set_action("ReleaseProfile");
    ASSERT_THAT(store_->Transition(release).status(), IsOk());
  }

  // The dev PKI's eUICC (or SGP.26's) on `curve`.
  std::unique_ptr<euicc::SoftwareEuicc> Euicc(
      Curve curve, bool sgp26 = false,
      std::function<void(euicc::SoftwareEuiccConfig&)> edit = nullptr) {
    absl::StatusOr<etest::EuiccCredentials> creds =
        sgp26 ? etest::LoadSgp26Euicc(etest::Sgp26Dir(), curve)
              : etest::DevPkiEuicc(world_->dev.ForCurve(curve));
    EXPECT_THAT(creds.status(), IsOk());
    if (!creds.ok()) return nullptr;
    euicc::SoftwareEuiccConfig config = creds->ToConfig();
    if (edit) edit(config);
    auto e = euicc::SoftwareEuicc::Create(std::move(config));
    EXPECT_THAT(e.status(), IsOk());
    return e.ok() ? *std::move(e) : nullptr;
  }

  es9plus::InitiateAuthenticationResponse Initiate(euicc::SoftwareEuicc& e) {
    auto challenge = e.GetEuiccChallenge();
    EXPECT_THAT(challenge.status(), IsOk());
    es9plus::InitiateAuthenticationRequest request;
    request.set_euicc_challenge(*challenge);
    request.set_euicc_info1(e.GetEuiccInfo1());
    request.set_smdp_address(kAddress);
    auto response = service_->InitiateAuthentication(request);
    EXPECT_THAT(response.status(), IsOk());
    return response.ok() ? *response
                         : es9plus::InitiateAuthenticationResponse();
  }

  // InitiateAuthentication, the eUICC's AuthenticateServer, and
  // AuthenticateClient.
  es9plus::AuthenticateClientResponse Authenticate(
      euicc::SoftwareEuicc& e, std::optional<std::string> matching_id) {
    es9plus::InitiateAuthenticationResponse init = Initiate(e);
    EXPECT_THAT(init, Succeeded());
    euicc::InitiateAuthenticationFields fields;
    fields.server_signed1 = init.server_signed1();
    fields.server_signature1 = init.server_signature1();
    fields.euicc_ci_pkid_to_be_used = init.euicc_ci_pk_id_to_be_used();
    fields.server_certificate = init.server_certificate();
    auto answer = e.AuthenticateServer(
        fields, euicc::MakeCtxParams1(matching_id), kAddress);
    EXPECT_TRUE(answer.ok()) << answer.status;
    tid_ = init.transaction_id();
    es9plus::AuthenticateClientRequest request;
    request.set_transaction_id(init.transaction_id());
    request.set_authenticate_server_response(answer.der);
    auto response = service_->AuthenticateClient(request);
    EXPECT_THAT(response.status(), IsOk());
    return response.ok() ? *response : es9plus::AuthenticateClientResponse();
  }

  // Authenticate, PrepareDownload and GetBoundProfilePackage.
  es9plus::GetBoundProfilePackageResponse GetBpp(
      euicc::SoftwareEuicc& e, std::optional<std::string> matching_id,
      std::optional<std::string> cc = std::nullopt) {
    es9plus::AuthenticateClientResponse auth = Authenticate(e, matching_id);
    EXPECT_THAT(auth, Succeeded());
    return PrepareAndGet(e, auth, std::move(cc));
  }

  // The eUICC's PrepareDownload for `auth` with `cc`, then
  // GetBoundProfilePackage in the same session.
  es9plus::GetBoundProfilePackageResponse PrepareAndGet(
      euicc::SoftwareEuicc& e, const es9plus::AuthenticateClientResponse& auth,
      std::optional<std::string> cc) {
    euicc::AuthenticateClientFields fields;
    fields.smdp_signed2 = auth.smdp_signed2();
    fields.smdp_signature2 = auth.smdp_signature2();
    fields.smdp_certificate = auth.smdp_certificate();
    auto prepared = e.PrepareDownload(fields, cc);
    EXPECT_TRUE(prepared.ok()) << prepared.status;
    es9plus::GetBoundProfilePackageRequest request;
    request.set_transaction_id(auth.transaction_id());
    request.set_prepare_download_response(prepared.der);
    auto response = service_->GetBoundProfilePackage(request);
    EXPECT_THAT(response.status(), IsOk());
    return response.ok() ? *response
                         : es9plus::GetBoundProfilePackageResponse();
  }

  es9plus::HandleNotificationResponse Notify(absl::string_view pir) {
    es9plus::HandleNotificationRequest request;
    request.set_pending_notification(std::string(pir));
    auto response = service_->HandleNotification(request);
    EXPECT_THAT(response.status(), IsOk());
    return response.ok() ? *response : es9plus::HandleNotificationResponse();
  }

  store::ProfileState State(const std::string& iccid) {
    auto p = store_->GetProfile(iccid);
    EXPECT_THAT(p.status(), IsOk());
    return p.ok() ? p->state() : store::PROFILE_STATE_UNSPECIFIED;
  }

  // The callbacks queued since the last call, delivered (acknowledged) in
  // the order a sender gets them (one per profile per lease).
  std::vector<uint32_t> OutboxPoints() {
    std::vector<uint32_t> points;
    while (true) {
      auto entries =
          store_->LeaseOutbox(now_ + absl::Hours(1), 1000, absl::Seconds(1));
      EXPECT_THAT(entries.status(), IsOk());
      if (!entries.ok() || entries->empty()) break;
      for (const auto& e : *entries) {
        points.push_back(e.notification_point_id());
        EXPECT_THAT(store_->AckOutbox(e.id()), IsOk());
      }
    }
    return points;
  }

  absl::Time now_ = absl::Now();
  Pkis* world_ = nullptr;  // pkis unless a test chooses hsm_pkis
  std::unique_ptr<profiles::RocksDbProfileStore> store_;
  std::unique_ptr<DownloadService> service_;
  std::string tid_;
};

}  // namespace
}  // namespace smdp::download

#include <openssl/sha.h>

namespace smdp::download {
namespace {

std::string Sha256(absl::string_view s) {
  unsigned char out[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), out);
  return std::string(reinterpret_cast<char*>(out), sizeof(out));
}

// ---- Full downloads --------------------------------------------------------

struct FullCase {
  bool sgp26;
  Curve curve;
  bool ppk;
};

class FullDownloadTest : public DownloadServiceTest,
                         public ::testing::WithParamInterface<FullCase> {};

TEST_P(FullDownloadTest, DownloadInstallAndNotify) {
  const FullCase& c = GetParam();
  if (c.sgp26 && !pkis->sgp26) GTEST_SKIP() << "SMDP_SGP26_DIR is not set";
  Import(*store_, "b", 2, c.ppk);
  const std::string iccid = ptest::TestIccid(1);
  Order(iccid, {.matching_id = "MATCH-FULL"});
  auto e = Euicc(c.curve, c.sgp26);
  ASSERT_NE(e, nullptr);

  es9plus::GetBoundProfilePackageResponse bpp = GetBpp(*e, "MATCH-FULL");
  ASSERT_THAT(bpp, Succeeded());
  EXPECT_EQ(bpp.transaction_id(), tid_);
  EXPECT_EQ(State(iccid), store::DOWNLOADED);
  auto loaded = e->LoadBoundProfilePackage(bpp.bound_profile_package());
  ASSERT_THAT(loaded.status(), IsOk());
  ASSERT_THAT(loaded->status, IsOk());
  EXPECT_EQ(loaded->used_ppk, c.ppk);

  // The personalised profile as stored, unprotected: the same subscriber
  // imported without PPK into a reference store.
  profiles::RocksDbProfileStoreOptions so;
  so.path = absl::StrCat(getenv("TEST_TMPDIR"), "/ref-", c.sgp26, c.ppk,
                         static_cast<int>(c.curve));
  so.sync_writes = false;
  auto ref = profiles::RocksDbProfileStore::Open(so);
  ASSERT_THAT(ref.status(), IsOk());
  Import(**ref, "ref", 2, /*ppk=*/false);
  auto record = (*ref)->GetProfile(iccid);
  ASSERT_THAT(record.status(), IsOk());
  auto open = profiles::preparation::OpenProfileForBinding(*record, *pkis->kek);
  ASSERT_THAT(open.status(), IsOk());
  ASSERT_FALSE(open->is_protected());
  EXPECT_EQ(loaded->profile.size(), open->upp.size());
  EXPECT_TRUE(loaded->profile == open->upp) << "profile differs";
  ASSERT_TRUE(loaded->metadata.has_value());
  EXPECT_EQ(loaded->metadata->service_provider_name, "Operator One");

  EXPECT_THAT(Notify(loaded->profile_installation_result), Succeeded());
  EXPECT_EQ(State(iccid), store::INSTALLED);
  // A duplicate answers OK and changes nothing.
  auto before = store_->GetProfile(iccid);
  EXPECT_THAT(Notify(loaded->profile_installation_result), Succeeded());
  auto after = store_->GetProfile(iccid);
  EXPECT_EQ(before->version(), after->version());
  EXPECT_THAT(OutboxPoints(), ::testing::ElementsAre(1, 3, 4));
  auto audit = store_->GetAudit(iccid);
  ASSERT_THAT(audit.status(), IsOk());
  EXPECT_EQ(audit->back().action(), "HandleNotification");
  EXPECT_EQ(after->order().eid(), e->eid());
}

INSTANTIATE_TEST_SUITE_P(
    All, FullDownloadTest,
    ::testing::Values(FullCase{false, Curve::kNistP256, false},
                      FullCase{false, Curve::kNistP256, true},
                      FullCase{false, Curve::kBrainpoolP256r1, false},
                      FullCase{false, Curve::kBrainpoolP256r1, true},
                      FullCase{true, Curve::kNistP256, true},
                      FullCase{true, Curve::kBrainpoolP256r1, true},
                      FullCase{true, Curve::kNistP256, false}),
    [](const ::testing::TestParamInfo<FullCase>& info) {
      return absl::StrCat(
          info.param.sgp26 ? "Sgp26" : "Dev",
          info.param.curve == Curve::kNistP256 ? "P256" : "Brainpool",
          info.param.ppk ? "Ppk" : "Plain");
    });

// ---- Errors: each check answers its exact GSMA code ------------------------

class Es9ErrorTest : public DownloadServiceTest {
 protected:
  void SetUp() override {
    DownloadServiceTest::SetUp();
    Import(*store_, "b", 3, /*ppk=*/true);
  }
  const std::string iccid_ = ptest::TestIccid(0);

  es9plus::InitiateAuthenticationResponse InitiateWith(
      absl::string_view info1, absl::string_view address = kAddress,
      std::string challenge = std::string(16, 'c')) {
    es9plus::InitiateAuthenticationRequest request;
    request.set_euicc_challenge(challenge);
    request.set_euicc_info1(std::string(info1));
    request.set_smdp_address(std::string(address));
    auto response = service_->InitiateAuthentication(request);
    EXPECT_THAT(response.status(), IsOk());
    return response.ok() ? *response
                         : es9plus::InitiateAuthenticationResponse();
  }

  es9plus::AuthenticateClientResponse AuthenticateRaw(absl::string_view tid,
                                                      absl::string_view der) {
    es9plus::AuthenticateClientRequest request;
    request.set_transaction_id(std::string(tid));
    request.set_authenticate_server_response(std::string(der));
    auto response = service_->AuthenticateClient(request);
    EXPECT_THAT(response.status(), IsOk());
    return response.ok() ? *response : es9plus::AuthenticateClientResponse();
  }

  // GetBpp with `faults` set after authentication.
  es9plus::GetBoundProfilePackageResponse GetBppWithFaults(
      euicc::SoftwareEuicc& e, const euicc::EuiccFaults& faults,
      std::optional<std::string> cc = std::nullopt) {
    es9plus::AuthenticateClientResponse auth = Authenticate(e, "MATCH-1");
    EXPECT_THAT(auth, Succeeded());
    e.set_faults(faults);
    return PrepareAndGet(e, auth, std::move(cc));
  }

  es9plus::CancelSessionResponse Cancel(euicc::SoftwareEuicc& e,
                                        sgp22::CancelSessionReason reason,
                                        absl::string_view oid = {}) {
    auto answer = e.CancelSession(absl::HexStringToBytes(tid_), reason);
    EXPECT_TRUE(answer.ok()) << answer.status;
    std::string der = answer.der;
    if (!oid.empty()) {
      auto decoded = sgp22::CancelSessionResponse::Decode(der);
      EXPECT_THAT(decoded.status(), IsOk());
      auto& ok = std::get<sgp22::CancelSessionResponseOk>(decoded->result);
      ok.euicc_cancel_session_signed.value.smdp_oid =
          *sgp22::der::Oid::FromString(oid);
      ok.euicc_cancel_session_signed.der =
          ok.euicc_cancel_session_signed.value.Encode();
      der = decoded->Encode();
    }
    return CancelRaw(tid_, der);
  }

  // CancelSession with `der` as the cancelSessionResponse of `tid` (hex).
  es9plus::CancelSessionResponse CancelRaw(absl::string_view tid,
                                           absl::string_view der) {
    es9plus::CancelSessionRequest request;
    request.set_transaction_id(std::string(tid));
    request.set_cancel_session_response(std::string(der));
    auto response = service_->CancelSession(request);
    EXPECT_THAT(response.status(), IsOk());
    return response.ok() ? *response : es9plus::CancelSessionResponse();
  }

  absl::StatusOr<etest::TestCi> DevCi() {
    const pki::DevPkiCurve& c = pkis->dev.ForCurve(Curve::kNistP256);
    etest::TestCi ci;
    ASSIGN_OR_RETURN(ci.certificate, ReadFile(c.ci.der));
    ASSIGN_OR_RETURN(ci.private_key_pem, ReadFile(c.ci_key));
    return ci;
  }
};

TEST_F(Es9ErrorTest, InitiateAuthenticationChecks) {
  auto e = Euicc(Curve::kNistP256);
  const std::string info1 = e->GetEuiccInfo1();
  EXPECT_THAT(InitiateWith(info1, "other.example.com"),
              FailedWith("8.8.1", "3.8"));
  // The address check ignores case.
  EXPECT_THAT(InitiateWith(info1, "TestSMDPplus1.EXAMPLE.com"), Succeeded());
  // With a port (an activation code for ES9+ off 443; lpac sends it as is),
  // signed back as received.
  auto with_port = InitiateWith(info1, kAddress + ":8443");
  EXPECT_THAT(with_port, Succeeded());
  auto signed1 = sgp22::ServerSigned1::Decode(with_port.server_signed1());
  ASSERT_THAT(signed1.status(), IsOk());
  EXPECT_EQ(signed1->server_address, kAddress + ":8443");
  for (const std::string& bad :
       {kAddress + ":", kAddress + ":0", kAddress + ":65536",
        kAddress + ":08443", kAddress + ":x",
        std::string("other.example.com:8443"), kAddress + ".evil:443"}) {
    EXPECT_THAT(InitiateWith(info1, bad), FailedWith("8.8.1", "3.8")) << bad;
  }
  // Format errors are 1.6/2.x (see MalformedRequestFieldsAreFormatErrors).
  EXPECT_THAT(InitiateWith("\x01\x02"), FailedWith("1.6", "2.1"));
  EXPECT_THAT(InitiateWith(info1, kAddress, "short"), FailedWith("1.6", "2.1"));
  auto decoded = sgp22::EuiccInfo1::Decode(info1);
  ASSERT_THAT(decoded.status(), IsOk());
  sgp22::EuiccInfo1 svn = *decoded;
  svn.svn.major = 9;
  EXPECT_THAT(InitiateWith(svn.Encode()), FailedWith("8.8.3", "3.1"));
  sgp22::EuiccInfo1 signing = *decoded;
  signing.euicc_ci_pkid_list_for_signing = {std::string(20, 'x')};
  EXPECT_THAT(InitiateWith(signing.Encode()), FailedWith("8.8.2", "3.1"));
  sgp22::EuiccInfo1 verification = *decoded;
  verification.euicc_ci_pkid_list_for_verification = {std::string(20, 'y')};
  EXPECT_THAT(InitiateWith(verification.Encode()), FailedWith("8.8.4", "3.7"));
}

TEST_F(Es9ErrorTest, UnknownOrMalformedTransactionId) {
  auto e = Euicc(Curve::kNistP256);
  EXPECT_THAT(AuthenticateRaw("00112233", "\x30\x00"),
              FailedWith("8.10.1", "3.9"));
  EXPECT_THAT(AuthenticateRaw("XYZ", "\x30\x00"), FailedWith("8.10.1", "3.9"));
  EXPECT_THAT(AuthenticateRaw("", "\x30\x00"), FailedWith("1.6", "2.2"));
  es9plus::GetBoundProfilePackageRequest get;
  get.set_transaction_id("AABB");
  EXPECT_THAT(*service_->GetBoundProfilePackage(get),
              FailedWith("8.10.1", "3.9"));
  es9plus::CancelSessionRequest cancel;
  cancel.set_transaction_id("AABB");
  EXPECT_THAT(*service_->CancelSession(cancel), FailedWith("8.10.1", "3.9"));
  // A malformed AuthenticateServerResponse of a live session.
  auto init = Initiate(*e);
  EXPECT_THAT(AuthenticateRaw(init.transaction_id(), "\x30\x00"),
              FailedWith("1.6", "2.1"));
}

TEST_F(Es9ErrorTest, AuthenticateClientSignatureAndSessionChecks) {
  Order(iccid_, {});
  auto e = Euicc(Curve::kNistP256);
  e->set_faults({.bad_euicc_signature1 = true});
  EXPECT_THAT(Authenticate(*e, "MATCH-1"), FailedWith("8.1", "6.1"));
  e->set_faults({.wrong_transaction_id_in_signed1 = true});
  EXPECT_THAT(Authenticate(*e, "MATCH-1"), FailedWith("8.10.1", "3.9"));
  e->set_faults({.wrong_server_challenge = true});
  EXPECT_THAT(Authenticate(*e, "MATCH-1"), FailedWith("8.1", "6.1"));
  e->set_faults({});
  // None of these counted as a download attempt.
  EXPECT_EQ(store_->GetProfile(iccid_)->order().download_attempts(), 0u);
}

TEST_F(Es9ErrorTest, ExpiredEuiccCertificate) {
  Order(iccid_, {});
  auto ci = DevCi();
  ASSERT_THAT(ci.status(), IsOk());
  auto chain = etest::MakeTestChain(
      {.ci = *ci, .euicc_not_after = absl::Now() - absl::Hours(24)});
  ASSERT_THAT(chain.status(), IsOk());
  auto e = euicc::SoftwareEuicc::Create(chain->euicc.ToConfig());
  ASSERT_THAT(e.status(), IsOk());
  EXPECT_THAT(Authenticate(**e, "MATCH-1"), FailedWith("8.1.3", "6.3"));
}

TEST_F(Es9ErrorTest, BadEumAndEuiccCertificates) {
  Order(iccid_, {});
  auto ci = DevCi();
  ASSERT_THAT(ci.status(), IsOk());
  struct Case {
    const char* what;
    etest::TestChainOptions options;
    std::function<void(euicc::SoftwareEuiccConfig&)> tamper;
    const char* subject;
    const char* reason;
  };
  const absl::Time now = absl::Now();
  std::vector<Case> cases;
  cases.push_back({"EUM expired",
                   {.ci = *ci, .eum_not_after = now - absl::Hours(24)},
                   nullptr,
                   "8.1.2",
                   "6.3"});
  // Not yet valid is "verification failed", not "expired".
  cases.push_back({"EUM not yet valid",
                   {.ci = *ci, .eum_not_before = now + absl::Hours(24)},
                   nullptr,
                   "8.1.2",
                   "6.1"});
  cases.push_back({"EID outside the EUM's range",
                   {.ci = *ci,
                    .eum_eid_prefix = "89049032",
                    .eid = "89033023000000000000000000000003"},
                   nullptr,
                   "8.1.3",
                   "6.1"});
  cases.push_back({"eUICC certificate not yet valid",
                   {.ci = *ci, .euicc_not_before = now + absl::Hours(24)},
                   nullptr,
                   "8.1.3",
                   "6.1"});
  for (Case& c : cases) {
    SCOPED_TRACE(c.what);
    auto chain = etest::MakeTestChain(c.options);
    ASSERT_THAT(chain.status(), IsOk());
    euicc::SoftwareEuiccConfig config = chain->euicc.ToConfig();
    if (c.tamper) c.tamper(config);
    // The eUICC trusts our CI so that it gets as far as AuthenticateClient.
    config.ci_certificates.push_back(ci->certificate);
    auto e = euicc::SoftwareEuicc::Create(config);
    ASSERT_THAT(e.status(), IsOk());
    EXPECT_THAT(Authenticate(**e, "MATCH-1"), FailedWith(c.subject, c.reason));
  }
  // Hand-made: an AuthenticateServerResponse that is not DER of one.
  auto good = Euicc(Curve::kNistP256);
  es9plus::InitiateAuthenticationResponse init = Initiate(*good);
  for (const std::string& junk :
       {std::string(), std::string("\x30\x03\x02\x01", 4),
        std::string("\xBF\x38\x02\xA1\x00", 5), std::string(300, '\xFF')}) {
    es9plus::AuthenticateClientRequest bad;
    bad.set_transaction_id(init.transaction_id());
    bad.set_authenticate_server_response(junk);
    auto answer = service_->AuthenticateClient(bad);
    ASSERT_THAT(answer.status(), IsOk());
    if (junk.empty()) {
      EXPECT_THAT(*answer, FailedWith("1.6", "2.2"));
    } else {
      EXPECT_THAT(*answer, FailedWith("1.6", "2.1"));
    }
  }
  es9plus::AuthenticateClientRequest no_session;
  no_session.set_transaction_id("not hex");
  auto answer = service_->AuthenticateClient(no_session);
  ASSERT_THAT(answer.status(), IsOk());
  EXPECT_THAT(*answer, FailedWith("8.10.1", "3.9"));
}

TEST_F(Es9ErrorTest, ChainToForeignCi) {
  Order(iccid_, {});
  auto ci = DevCi();
  ASSERT_THAT(ci.status(), IsOk());
  auto chain = etest::MakeTestChain({});
  ASSERT_THAT(chain.status(), IsOk());
  euicc::SoftwareEuiccConfig config = chain->euicc.ToConfig();
  // It verifies us with our CI, and claims to sign with it too.
  config.ci_certificates = {ci->certificate};
  auto trust = auth::CiTrustStore::Create({ci->certificate});
  ASSERT_THAT(trust.status(), IsOk());
  config.ci_pkid_list_for_signing = (*trust)->KeyIds();
  auto e = euicc::SoftwareEuicc::Create(config);
  ASSERT_THAT(e.status(), IsOk());
  EXPECT_THAT(Authenticate(**e, "MATCH-1"), FailedWith("8.11.1", "3.9"));
  // Without the claim no CI it signs with is trusted.
  config.ci_pkid_list_for_signing.reset();
  auto honest = euicc::SoftwareEuicc::Create(config);
  ASSERT_THAT(honest.status(), IsOk());
  EXPECT_THAT(Initiate(**honest), FailedWith("8.8.2", "3.1"));
}

TEST_F(Es9ErrorTest, OrderChecks) {
  auto e = Euicc(Curve::kNistP256);
  // Unknown matchingId.
  Order(ptest::TestIccid(0), {.matching_id = "MATCH-A", .release = false});
  EXPECT_THAT(Authenticate(*e, "NO-SUCH-ID"), FailedWith("8.2.6", "3.8"));
  // Not released.
  EXPECT_THAT(Authenticate(*e, "MATCH-A"), FailedWith("8.2", "1.2"));
  // Bound to another EID.
  Order(ptest::TestIccid(1),
        {.matching_id = "MATCH-B", .eid = "89049032000000000000000000000999"});
  EXPECT_THAT(Authenticate(*e, "MATCH-B"), FailedWith("8.1.1", "3.8"));
  // Expired.
  Order(ptest::TestIccid(2),
        {.matching_id = "MATCH-C", .expires = now_ - absl::Minutes(1)});
  EXPECT_THAT(Authenticate(*e, "MATCH-C"), FailedWith("8.8.5", "4.10"));
}

TEST_F(Es9ErrorTest, TooManyDownloadAttempts) {
  Order(iccid_, {});
  auto e = Euicc(Curve::kNistP256);
  for (int i = 0; i < 3; ++i) {
    EXPECT_THAT(Authenticate(*e, "MATCH-1"), Succeeded()) << i;
  }
  EXPECT_THAT(Authenticate(*e, "MATCH-1"), FailedWith("8.8.5", "6.4"));
  EXPECT_THAT(OutboxPoints(), ::testing::ElementsAre(1, 1, 1, 1));
}

TEST_F(Es9ErrorTest, NotEligible) {
  Order(iccid_, {});
  auto e = Euicc(Curve::kNistP256, false, [](euicc::SoftwareEuiccConfig& c) {
    sgp22::ExtCardResource resource;
    resource.installed_applications = 0;
    resource.free_non_volatile_memory = 100;
    resource.free_volatile_memory = 100;
    c.euicc_info2.ext_card_resource = resource.Encode();
  });
  EXPECT_THAT(Authenticate(*e, "MATCH-1"), FailedWith("8.2.5", "4.3"));
}

TEST_F(Es9ErrorTest, ConfirmationCode) {
  MakeService({.max_download_attempts = 10});
  Order(iccid_, {.confirmation_code = "1234"});
  auto e = Euicc(Curve::kNistP256);
  EXPECT_THAT(GetBppWithFaults(*e, {.omit_hash_cc = true}, "1234"),
              FailedWith("8.2.7", "2.2"));
  e->set_faults({});
  EXPECT_THAT(GetBpp(*e, "MATCH-1", "9999"), FailedWith("8.2.7", "3.8"));
  EXPECT_THAT(GetBpp(*e, "MATCH-1", "9999"), FailedWith("8.2.7", "3.8"));
  EXPECT_EQ(State(iccid_), store::RELEASED);
  // The third wrong code ends the order.
  EXPECT_THAT(GetBpp(*e, "MATCH-1", "9999"), FailedWith("8.2.7", "6.4"));
  EXPECT_EQ(State(iccid_), store::ERROR);
  EXPECT_THAT(OutboxPoints(), ::testing::Contains(2u));
  // The order is over.
  EXPECT_THAT(Authenticate(*e, "MATCH-1"), FailedWith("8.2.7", "6.4"));
}

// SGP.22 3.1.3.2 and 5.6.3 (GetBoundProfilePackage): a wrong hashCc is
// 8.2.7/3.8 and the session survives, so that the LPA lets the user enter the
// code again (new PrepareDownload, same transactionId).
TEST_F(Es9ErrorTest, WrongConfirmationCodeKeepsTheSession) {
  Order(iccid_, {.confirmation_code = "1234"});
  auto e = Euicc(Curve::kNistP256);
  es9plus::AuthenticateClientResponse auth = Authenticate(*e, "MATCH-1");
  ASSERT_THAT(auth, Succeeded());
  EXPECT_THAT(PrepareAndGet(*e, auth, "9999"), FailedWith("8.2.7", "3.8"));
  EXPECT_EQ(store_->GetProfile(iccid_)->order().cc_attempts(), 1u);
  EXPECT_EQ(State(iccid_), store::RELEASED);
  auto bpp = PrepareAndGet(*e, auth, "1234");
  ASSERT_THAT(bpp, Succeeded());
  EXPECT_EQ(bpp.transaction_id(), auth.transaction_id());
  auto loaded = e->LoadBoundProfilePackage(bpp.bound_profile_package());
  ASSERT_THAT(loaded.status(), IsOk());
  ASSERT_THAT(loaded->status, IsOk());
  EXPECT_THAT(Notify(loaded->profile_installation_result), Succeeded());
  EXPECT_EQ(State(iccid_), store::INSTALLED);
  // One download attempt, one wrong code.
  EXPECT_EQ(store_->GetProfile(iccid_)->order().download_attempts(), 1u);
}

// SGP.22 5.6.3: each wrong code counts; the last one allowed (8.2.7/6.4) ends
// the order in ERROR with notification point 2, and the session with it.
TEST_F(Es9ErrorTest, WrongConfirmationCodesInOneSessionUpToTheLimit) {
  Order(iccid_, {.confirmation_code = "1234"});
  auto e = Euicc(Curve::kNistP256);
  es9plus::AuthenticateClientResponse auth = Authenticate(*e, "MATCH-1");
  ASSERT_THAT(auth, Succeeded());
  EXPECT_THAT(PrepareAndGet(*e, auth, "1111"), FailedWith("8.2.7", "3.8"));
  EXPECT_THAT(PrepareAndGet(*e, auth, "2222"), FailedWith("8.2.7", "3.8"));
  EXPECT_THAT(PrepareAndGet(*e, auth, "3333"), FailedWith("8.2.7", "6.4"));
  EXPECT_EQ(State(iccid_), store::ERROR);
  EXPECT_EQ(store_->GetProfile(iccid_)->last_result(),
            "confirmation code retries exceeded");
  EXPECT_THAT(OutboxPoints(), ::testing::ElementsAre(1, 2));
  // The session is over, the right code comes too late.
  EXPECT_THAT(PrepareAndGet(*e, auth, "1234"), FailedWith("8.10.1", "3.9"));
}

TEST_F(Es9ErrorTest, RightConfirmationCode) {
  Order(iccid_, {.confirmation_code = "1234"});
  auto e = Euicc(Curve::kNistP256);
  EXPECT_THAT(GetBpp(*e, "MATCH-1", "9999"), FailedWith("8.2.7", "3.8"));
  auto bpp = GetBpp(*e, "MATCH-1", "1234");
  ASSERT_THAT(bpp, Succeeded());
  auto loaded = e->LoadBoundProfilePackage(bpp.bound_profile_package());
  ASSERT_THAT(loaded.status(), IsOk());
  EXPECT_THAT(loaded->status, IsOk());
}

TEST_F(Es9ErrorTest, GetBoundProfilePackageChecks) {
  Order(iccid_, {});
  auto e = Euicc(Curve::kNistP256);
  EXPECT_THAT(GetBppWithFaults(*e, {.bad_euicc_signature2 = true}),
              FailedWith("8.1", "6.1"));
  EXPECT_THAT(GetBppWithFaults(*e, {.corrupt_euicc_otpk = true}),
              FailedWith("8.1", "6.1"));
  EXPECT_THAT(GetBppWithFaults(*e, {.wrong_transaction_id_in_signed2 = true}),
              FailedWith("8.10.1", "3.9"));
  EXPECT_EQ(State(iccid_), store::RELEASED);
}

TEST_F(Es9ErrorTest, ExpiredSessionAndCleanUp) {
  Order(iccid_, {});
  auto e = Euicc(Curve::kNistP256);
  auto init = Initiate(*e);
  now_ += absl::Minutes(6);
  EXPECT_THAT(AuthenticateRaw(init.transaction_id(), "\x30\x00"),
              FailedWith("8.10.1", "3.9"));
  ASSERT_THAT(Authenticate(*e, "MATCH-1"), Succeeded());
  EXPECT_FALSE(store_->GetProfile(iccid_)->session_transaction_id().empty());
  now_ += absl::Minutes(6);
  auto cleaned = service_->CleanUpExpiredSessions(100);
  ASSERT_THAT(cleaned.status(), IsOk());
  EXPECT_EQ(*cleaned, 2u);
  auto record = store_->GetProfile(iccid_);
  EXPECT_EQ(record->state(), store::RELEASED);
  EXPECT_TRUE(record->session_transaction_id().empty());
}

TEST_F(Es9ErrorTest, CancelSession) {
  Order(iccid_, {});
  auto e = Euicc(Curve::kNistP256);
  ASSERT_THAT(Authenticate(*e, "MATCH-1"), Succeeded());
  EXPECT_THAT(Cancel(*e, sgp22::CancelSessionReason::kPostponed, "2.999.99"),
              FailedWith("8.8", "3.10"));
  ASSERT_THAT(Authenticate(*e, "MATCH-1"), Succeeded());
  e->set_faults({.bad_cancel_session_signature = true});
  EXPECT_THAT(Cancel(*e, sgp22::CancelSessionReason::kPostponed),
              FailedWith("8.1", "6.1"));
  e->set_faults({});
  // Postponed: the profile stays available, the session is over.
  MakeService({.max_download_attempts = 10});
  ASSERT_THAT(Authenticate(*e, "MATCH-1"), Succeeded());
  EXPECT_THAT(Cancel(*e, sgp22::CancelSessionReason::kPostponed), Succeeded());
  EXPECT_EQ(State(iccid_), store::RELEASED);
  EXPECT_THAT(AuthenticateRaw(tid_, "\x30\x00"), FailedWith("8.10.1", "3.9"));
  // End user rejection ends the order.
  ASSERT_THAT(Authenticate(*e, "MATCH-1"), Succeeded());
  EXPECT_THAT(Cancel(*e, sgp22::CancelSessionReason::kEndUserRejection),
              Succeeded());
  EXPECT_EQ(State(iccid_), store::ERROR);
  EXPECT_EQ(store_->GetProfile(iccid_)->last_result(),
            "cancelled: endUserRejection");
}

TEST_F(Es9ErrorTest, NotificationChecks) {
  Order(iccid_, {});
  auto e = Euicc(Curve::kNistP256);
  EXPECT_THAT(Notify("\x01\x02"), FailedWith("1.6", "2.1"));
  auto bpp = GetBpp(*e, "MATCH-1");
  ASSERT_THAT(bpp, Succeeded());
  e->set_faults({.bad_pir_signature = true});
  auto loaded = e->LoadBoundProfilePackage(bpp.bound_profile_package());
  ASSERT_THAT(loaded.status(), IsOk());
  EXPECT_THAT(Notify(loaded->profile_installation_result),
              FailedWith("8.1", "6.1"));
  EXPECT_EQ(State(iccid_), store::DOWNLOADED);
}

TEST_F(Es9ErrorTest, FailedInstallationMovesToError) {
  Order(iccid_, {});
  auto e = Euicc(Curve::kNistP256);
  auto bpp = GetBpp(*e, "MATCH-1");
  ASSERT_THAT(bpp, Succeeded());
  auto tampered = etest::TamperProfileSegment(bpp.bound_profile_package(), 0);
  ASSERT_THAT(tampered.status(), IsOk());
  auto loaded = e->LoadBoundProfilePackage(*tampered);
  ASSERT_THAT(loaded.status(), IsOk());
  EXPECT_FALSE(loaded->status.ok());
  EXPECT_THAT(Notify(loaded->profile_installation_result), Succeeded());
  EXPECT_EQ(State(iccid_), store::ERROR);
  EXPECT_THAT(OutboxPoints(), ::testing::ElementsAre(1, 3, 4));
}

TEST_F(Es9ErrorTest, RetryAfterLostBppRebinds) {
  Order(iccid_, {});
  auto e = Euicc(Curve::kNistP256);
  ASSERT_THAT(GetBpp(*e, "MATCH-1"), Succeeded());
  EXPECT_EQ(State(iccid_), store::DOWNLOADED);
  // The BPP never reached the eUICC: a new session binds again.
  auto bpp = GetBpp(*e, "MATCH-1");
  ASSERT_THAT(bpp, Succeeded());
  auto loaded = e->LoadBoundProfilePackage(bpp.bound_profile_package());
  ASSERT_THAT(loaded.status(), IsOk());
  ASSERT_THAT(loaded->status, IsOk());
  EXPECT_THAT(Notify(loaded->profile_installation_result), Succeeded());
  EXPECT_EQ(State(iccid_), store::INSTALLED);
  // Another eUICC cannot take an installed profile.
  EXPECT_THAT(Authenticate(*e, "MATCH-1"), FailedWith("8.2.6", "3.8"));
}

TEST_F(Es9ErrorTest, RebindingRefusedWhenDisabled) {
  MakeService({.allow_rebinding = false});
  Order(iccid_, {});
  auto e = Euicc(Curve::kNistP256);
  ASSERT_THAT(GetBpp(*e, "MATCH-1"), Succeeded());
  EXPECT_THAT(Authenticate(*e, "MATCH-1"), FailedWith("8.2", "3.7"));
}

TEST_F(Es9ErrorTest, OlderSessionCannotTakeTheProfile) {
  Order(iccid_, {});
  auto first = Euicc(Curve::kNistP256);
  auto second = Euicc(Curve::kNistP256);
  // Both authenticate (same EID); the later session holds the profile.
  es9plus::AuthenticateClientResponse a1 = Authenticate(*first, "MATCH-1");
  ASSERT_THAT(a1, Succeeded());
  ASSERT_THAT(Authenticate(*second, "MATCH-1"), Succeeded());
  euicc::AuthenticateClientFields fields;
  fields.smdp_signed2 = a1.smdp_signed2();
  fields.smdp_signature2 = a1.smdp_signature2();
  fields.smdp_certificate = a1.smdp_certificate();
  auto prepared = first->PrepareDownload(fields, std::nullopt);
  ASSERT_TRUE(prepared.ok()) << prepared.status;
  es9plus::GetBoundProfilePackageRequest request;
  request.set_transaction_id(a1.transaction_id());
  request.set_prepare_download_response(prepared.der);
  EXPECT_THAT(*service_->GetBoundProfilePackage(request),
              FailedWith("8.2", "3.7"));
}

// SGP.22 3.1.2 (default SM-DP+) and 5.6.2: an empty matchingId for an EID
// with no order pending is "EID - Refused" (8.1.1/3.8).
TEST_F(Es9ErrorTest, EmptyMatchingIdWithNothingPendingRefusesTheEid) {
  auto e = Euicc(Curve::kNistP256);
  EXPECT_THAT(Authenticate(*e, std::nullopt), FailedWith("8.1.1", "3.8"));
  EXPECT_THAT(Authenticate(*e, ""), FailedWith("8.1.1", "3.8"));
  // An order for the EID that is not released yet says so.
  Order(iccid_, {.matching_id = "", .eid = e->eid(), .release = false});
  EXPECT_THAT(Authenticate(*e, std::nullopt), FailedWith("8.2", "1.2"));
}

// SGP.22 3.1.2: an empty matchingId selects only an order the operator
// placed for the EID without a matchingId. An activation-code order that a
// download bound to the EID (here one at its attempt limit) is found by its
// matchingId only, and does not shadow the EID's own order.
TEST_F(Es9ErrorTest, EmptyMatchingIdSelectsOnlyOrdersPlacedForTheEid) {
  auto e = Euicc(Curve::kNistP256);
  Order(ptest::TestIccid(0), {.matching_id = "AC-1"});
  for (int i = 0; i < 3; ++i) {
    ASSERT_THAT(Authenticate(*e, "AC-1"), Succeeded()) << i;
  }
  EXPECT_THAT(Authenticate(*e, "AC-1"), FailedWith("8.8.5", "6.4"));
  ASSERT_EQ(store_->GetProfile(ptest::TestIccid(0))->order().eid(), e->eid());
  // Without an order of its own, the EID has nothing pending.
  EXPECT_THAT(Authenticate(*e, std::nullopt), FailedWith("8.1.1", "3.8"));
  Order(ptest::TestIccid(1), {.matching_id = "", .eid = e->eid()});
  auto bpp = GetBpp(*e, std::nullopt);
  ASSERT_THAT(bpp, Succeeded());
  EXPECT_EQ(State(ptest::TestIccid(1)), store::DOWNLOADED);
  EXPECT_EQ(State(ptest::TestIccid(0)), store::RELEASED);
}

// SGP.22 5.6.5 (CancelSession): lpac cancels after a failed
// LoadBoundProfilePackage and the eUICC, whose session already ended,
// answers cancelSessionResponseError. The installation failed: the profile
// goes to ERROR with the reason, the operator hears of it (point 4), the
// eUICC's own result later replaces the reason without a second callback.
TEST_F(Es9ErrorTest, CancelErrorAfterTheBppRecordsTheFailedInstallation) {
  Order(iccid_, {});
  auto e = Euicc(Curve::kNistP256);
  auto bpp = GetBpp(*e, "MATCH-1");
  ASSERT_THAT(bpp, Succeeded());
  const std::string tid = tid_;
  auto tampered = etest::TamperProfileSegment(bpp.bound_profile_package(), 0);
  ASSERT_THAT(tampered.status(), IsOk());
  auto loaded = e->LoadBoundProfilePackage(*tampered);
  ASSERT_THAT(loaded.status(), IsOk());
  ASSERT_FALSE(loaded->status.ok());
  auto cancelled =
      e->CancelSession(absl::HexStringToBytes(tid),
                       sgp22::CancelSessionReason::kEndUserRejection);
  ASSERT_FALSE(cancelled.ok());
  ASSERT_FALSE(cancelled.der.empty());
  EXPECT_THAT(CancelRaw(tid, cancelled.der), Succeeded());
  EXPECT_EQ(State(iccid_), store::ERROR);
  EXPECT_THAT(store_->GetProfile(iccid_)->last_result(),
              ::testing::StartsWith("installation failed: the eUICC answered "
                                    "cancelSessionResponseError"));
  EXPECT_THAT(OutboxPoints(), ::testing::ElementsAre(1, 3, 4));
  // The eUICC's ProfileInstallationResult still verifies and is recorded.
  EXPECT_THAT(Notify(loaded->profile_installation_result), Succeeded());
  EXPECT_EQ(State(iccid_), store::ERROR);
  EXPECT_THAT(store_->GetProfile(iccid_)->last_result(),
              ::testing::StartsWith("error "));
  EXPECT_THAT(OutboxPoints(), ::testing::IsEmpty());
  // The order is over: a later download of it is refused.
  EXPECT_THAT(Authenticate(*e, "MATCH-1"), FailedWith("8.2.6", "3.8"));
}

// The LPA reported a failure that was not one: the eUICC's signed result
// says installed, and the profile is installed after all.
TEST_F(Es9ErrorTest, SuccessResultAfterAReportedFailureInstalls) {
  Order(iccid_, {});
  auto e = Euicc(Curve::kNistP256);
  auto bpp = GetBpp(*e, "MATCH-1");
  ASSERT_THAT(bpp, Succeeded());
  const std::string tid = tid_;
  auto loaded = e->LoadBoundProfilePackage(bpp.bound_profile_package());
  ASSERT_THAT(loaded.status(), IsOk());
  ASSERT_THAT(loaded->status, IsOk());
  auto cancelled =
      e->CancelSession(absl::HexStringToBytes(tid),
                       sgp22::CancelSessionReason::kEndUserRejection);
  ASSERT_FALSE(cancelled.der.empty());
  EXPECT_THAT(CancelRaw(tid, cancelled.der), Succeeded());
  EXPECT_EQ(State(iccid_), store::ERROR);
  EXPECT_THAT(Notify(loaded->profile_installation_result), Succeeded());
  EXPECT_EQ(State(iccid_), store::INSTALLED);
  EXPECT_EQ(store_->GetProfile(iccid_)->last_result(), "installed");
  EXPECT_THAT(OutboxPoints(), ::testing::ElementsAre(1, 3, 4, 4));
}

// Before the BPP, a cancelSessionResponseError ends the session only: the
// profile is given back for the next attempt.
TEST_F(Es9ErrorTest, CancelErrorBeforeTheBppGivesTheProfileBack) {
  Order(iccid_, {});
  auto e = Euicc(Curve::kNistP256);
  ASSERT_THAT(Authenticate(*e, "MATCH-1"), Succeeded());
  const std::string tid = tid_;
  auto other =
      e->CancelSession("wrong-tid", sgp22::CancelSessionReason::kTimeout);
  ASSERT_FALSE(other.der.empty());
  EXPECT_THAT(CancelRaw(tid, other.der), Succeeded());
  EXPECT_EQ(State(iccid_), store::RELEASED);
  EXPECT_TRUE(store_->GetProfile(iccid_)->session_transaction_id().empty());
  EXPECT_THAT(OutboxPoints(), ::testing::ElementsAre(1, 3));
  EXPECT_THAT(CancelRaw(tid, other.der), FailedWith("8.10.1", "3.9"));
  auto e2 = Euicc(Curve::kNistP256);
  EXPECT_THAT(GetBpp(*e2, "MATCH-1"), Succeeded());
}

// Item 9 of the conformance issue: a request field that is missing or does
// not have its format is a format error (SGP.22 common status codes, 1.6/2.2
// and 1.6/2.1), not "eUICC - Verification failed" (8.1/6.1).
TEST_F(Es9ErrorTest, MalformedRequestFieldsAreFormatErrors) {
  auto e = Euicc(Curve::kNistP256);
  const std::string info1 = e->GetEuiccInfo1();
  EXPECT_THAT(InitiateWith(info1, kAddress, ""), FailedWith("1.6", "2.2"));
  for (size_t size : {15, 17, 700000}) {
    EXPECT_THAT(InitiateWith(info1, kAddress, std::string(size, 'c')),
                FailedWith("1.6", "2.1"))
        << size;
  }
  EXPECT_THAT(InitiateWith(info1, ""), FailedWith("1.6", "2.2"));
  EXPECT_THAT(InitiateWith(""), FailedWith("1.6", "2.2"));
  std::string deep;
  for (int i = 0; i < 1000; ++i)
    deep = "\x30\x80" + deep + std::string(2, '\0');
  for (const std::string& bad : {
           std::string("\xBF\x20\x84\xFF\xFF\xFF\xFF", 7),  // 4 GiB
           std::string("\xBF\x20\x80\x82\x03\x02\x02\x00\x00\x00", 10),
           std::string("\x30\x00", 2),  // wrong tag
           deep,
       }) {
    EXPECT_THAT(InitiateWith(bad), FailedWith("1.6", "2.1"))
        << absl::BytesToHexString(bad.substr(0, 8));
  }
  // The other functions' DER fields.
  auto init = Initiate(*e);
  EXPECT_THAT(AuthenticateRaw(init.transaction_id(), ""),
              FailedWith("1.6", "2.2"));
  EXPECT_THAT(AuthenticateRaw(init.transaction_id(), deep),
              FailedWith("1.6", "2.1"));
  EXPECT_THAT(Notify(""), FailedWith("1.6", "2.2"));
  EXPECT_THAT(Notify(deep), FailedWith("1.6", "2.1"));
  EXPECT_THAT(CancelRaw(init.transaction_id(), ""), FailedWith("1.6", "2.2"));
  EXPECT_THAT(CancelRaw(init.transaction_id(), "\x01\x02"),
              FailedWith("1.6", "2.1"));
  Order(iccid_, {});
  es9plus::AuthenticateClientResponse auth = Authenticate(*e, "MATCH-1");
  ASSERT_THAT(auth, Succeeded());
  es9plus::GetBoundProfilePackageRequest get;
  get.set_transaction_id(auth.transaction_id());
  EXPECT_THAT(*service_->GetBoundProfilePackage(get), FailedWith("1.6", "2.2"));
  get.set_prepare_download_response(deep);
  EXPECT_THAT(*service_->GetBoundProfilePackage(get), FailedWith("1.6", "2.1"));
  // Real verification failures keep 8.1/6.1.
  e->set_faults({.bad_euicc_signature2 = true});
  EXPECT_THAT(PrepareAndGet(*e, auth, std::nullopt), FailedWith("8.1", "6.1"));
}

// Item 8 of the conformance issue: extCardResource is informational; bytes
// that are not TS 102 226 TLV data count as unknown (the check is skipped,
// the event counted), never as a refusal of the signed EUICCInfo2.
TEST_F(Es9ErrorTest, UnparsableExtCardResourceCountsAsUnknown) {
  Order(iccid_, {});
  auto e = Euicc(Curve::kNistP256, false, [](euicc::SoftwareEuiccConfig& c) {
    c.euicc_info2.ext_card_resource = "ABC";  // 41 42 43
  });
  EXPECT_EQ(service_->unparsed_eligibility_fields(), 0u);
  auto bpp = GetBpp(*e, "MATCH-1");
  ASSERT_THAT(bpp, Succeeded());
  EXPECT_EQ(service_->unparsed_eligibility_fields(), 1u);
}

TEST_F(Es9ErrorTest, EmptyMatchingIdFindsTheOrderByEid) {
  auto e = Euicc(Curve::kNistP256);
  Order(iccid_, {.matching_id = "", .eid = e->eid()});
  auto bpp = GetBpp(*e, std::nullopt);
  ASSERT_THAT(bpp, Succeeded());
  EXPECT_EQ(State(iccid_), store::DOWNLOADED);
}

TEST_F(Es9ErrorTest, RepeatedGetBoundProfilePackageBindsAgain) {
  Order(iccid_, {});
  auto e = Euicc(Curve::kNistP256);
  es9plus::AuthenticateClientResponse auth = Authenticate(*e, "MATCH-1");
  ASSERT_THAT(auth, Succeeded());
  euicc::AuthenticateClientFields fields;
  fields.smdp_signed2 = auth.smdp_signed2();
  fields.smdp_signature2 = auth.smdp_signature2();
  fields.smdp_certificate = auth.smdp_certificate();
  auto prepared = e->PrepareDownload(fields, std::nullopt);
  ASSERT_TRUE(prepared.ok()) << prepared.status;
  es9plus::GetBoundProfilePackageRequest request;
  request.set_transaction_id(auth.transaction_id());
  request.set_prepare_download_response(prepared.der);
  auto first = service_->GetBoundProfilePackage(request);
  ASSERT_THAT(*first, Succeeded());
  // The LPA lost the answer and asks again in the same session: bound
  // again (a new smdpSign) with the same one-time keys.
  auto second = service_->GetBoundProfilePackage(request);
  ASSERT_THAT(*second, Succeeded());
  EXPECT_NE(first->bound_profile_package(), second->bound_profile_package());
  auto first_bpp =
      sgp22::BoundProfilePackage::Decode(first->bound_profile_package());
  auto second_bpp =
      sgp22::BoundProfilePackage::Decode(second->bound_profile_package());
  ASSERT_THAT(first_bpp.status(), IsOk());
  ASSERT_THAT(second_bpp.status(), IsOk());
  EXPECT_EQ(first_bpp->initialise_secure_channel.smdp_otpk,
            second_bpp->initialise_secure_channel.smdp_otpk);
  EXPECT_EQ(first_bpp->first_sequence_of_87, second_bpp->first_sequence_of_87);
  auto loaded = e->LoadBoundProfilePackage(second->bound_profile_package());
  ASSERT_THAT(loaded.status(), IsOk());
  ASSERT_THAT(loaded->status, IsOk());
  EXPECT_THAT(Notify(loaded->profile_installation_result), Succeeded());
  EXPECT_EQ(State(iccid_), store::INSTALLED);
}

TEST_F(Es9ErrorTest, OtherSignedNotificationIsVerifiedAndAudited) {
  auto creds = etest::DevPkiEuicc(pkis->dev.ForCurve(Curve::kNistP256));
  ASSERT_THAT(creds.status(), IsOk());
  auto key = pkis->provider->ImportSigningKey("euicc-notification",
                                              creds->euicc_private_key_pem);
  ASSERT_THAT(key.status(), IsOk());
  sgp22::NotificationMetadata md;
  md.seq_number = 7;
  md.profile_management_operation = sgp22::der::BitString::FromBits(
      {static_cast<size_t>(sgp22::NotificationEvent::kDelete)});
  md.notification_address = kAddress;
  md.iccid = *profiles::saip::EncodeIccidFile(iccid_);
  sgp22::OtherSignedNotification other;
  other.tbs_other_notification =
      sgp22::SignedPart<sgp22::NotificationMetadata>::Make(md);
  auto signature = (*key)->Sign(other.tbs_other_notification.der);
  ASSERT_THAT(signature.status(), IsOk());
  other.euicc_notification_signature = *signature;
  other.euicc_certificate = creds->euicc_certificate;
  other.eum_certificate = creds->eum_certificate;
  sgp22::PendingNotification pending;
  pending.notification = other;
  EXPECT_THAT(Notify(pending.Encode()), Succeeded());
  auto audit = store_->GetAudit(iccid_);
  ASSERT_THAT(audit.status(), IsOk());
  EXPECT_EQ(audit->back().action(), "HandleNotification");
  EXPECT_EQ(audit->back().detail(), "event 3 seq 7");
  // A bad signature is refused.
  std::get<sgp22::OtherSignedNotification>(pending.notification)
      .euicc_notification_signature[5] ^= 1;
  EXPECT_THAT(Notify(pending.Encode()), FailedWith("8.1", "6.1"));
}

// ---- Retries with the same one-time keys (bppEuiccOtpk) ------------------

struct RetryCase {
  bool softhsm;  // the SoftHSM world (one-time keys in the token)
  Curve curve;
  bool ppk;
};

class OneTimeKeyRetryTest : public DownloadServiceTest,
                            public ::testing::WithParamInterface<RetryCase> {
 protected:
  void SetUp() override {
    if (GetParam().softhsm) {
      if (hsm_pkis == nullptr) {
        ASSERT_THAT(LoadPkis(true, hsm_pkis), IsOk());
      }
      world_ = hsm_pkis;
    }
    ASSERT_NO_FATAL_FAILURE(DownloadServiceTest::SetUp());
    Import(*store_, "b", 2, GetParam().ppk);
    Order(iccid_, {});
  }

  // Another node: a new DownloadService over the same store (all it knows
  // of the sessions is in the store).
  void NextNode() { ASSERT_NO_FATAL_FAILURE(MakeService({})); }

  // One attempt up to the BPP (not loaded).
  struct Attempt {
    std::string transaction_id;  // hex
    std::string smdp_signed2;    // DER as sent
    sgp22::SmdpSigned2 signed2;
    std::string euicc_otpk;  // euiccSigned2.euiccOtpk the eUICC answered
    es9plus::GetBoundProfilePackageResponse response;
    sgp22::BoundProfilePackage bpp;
  };

  Attempt Download(euicc::SoftwareEuicc& e) {
    Attempt a;
    es9plus::AuthenticateClientResponse auth = Authenticate(e, "MATCH-1");
    EXPECT_THAT(auth, Succeeded());
    a.transaction_id = auth.transaction_id();
    a.smdp_signed2 = auth.smdp_signed2();
    auto signed2 = sgp22::SmdpSigned2::Decode(auth.smdp_signed2());
    EXPECT_THAT(signed2.status(), IsOk());
    if (signed2.ok()) a.signed2 = *signed2;
    euicc::AuthenticateClientFields fields;
    fields.smdp_signed2 = auth.smdp_signed2();
    fields.smdp_signature2 = auth.smdp_signature2();
    fields.smdp_certificate = auth.smdp_certificate();
    auto prepared = e.PrepareDownload(fields, std::nullopt);
    EXPECT_TRUE(prepared.ok()) << prepared.status;
    auto answer = sgp22::PrepareDownloadResponse::Decode(prepared.der);
    EXPECT_THAT(answer.status(), IsOk());
    if (answer.ok()) {
      a.euicc_otpk = std::get<sgp22::PrepareDownloadResponseOk>(answer->result)
                         .euicc_signed2.value.euicc_otpk;
    }
    es9plus::GetBoundProfilePackageRequest request;
    request.set_transaction_id(auth.transaction_id());
    request.set_prepare_download_response(prepared.der);
    auto response = service_->GetBoundProfilePackage(request);
    EXPECT_THAT(response.status(), IsOk());
    if (!response.ok()) return a;
    a.response = *response;
    EXPECT_THAT(a.response, Succeeded());
    auto bpp =
        sgp22::BoundProfilePackage::Decode(a.response.bound_profile_package());
    EXPECT_THAT(bpp.status(), IsOk());
    if (bpp.ok()) a.bpp = *std::move(bpp);
    return a;
  }

  // Loads the BPP and sends the ProfileInstallationResult.
  void InstallAndNotify(euicc::SoftwareEuicc& e, const Attempt& a) {
    auto loaded = e.LoadBoundProfilePackage(a.response.bound_profile_package());
    ASSERT_THAT(loaded.status(), IsOk());
    ASSERT_THAT(loaded->status, IsOk());
    EXPECT_EQ(loaded->used_ppk, GetParam().ppk);
    EXPECT_THAT(Notify(loaded->profile_installation_result), Succeeded());
    EXPECT_EQ(State(iccid_), store::INSTALLED);
  }

  // The audit details of `action`, oldest first.
  std::vector<std::string> Audit(absl::string_view action) {
    std::vector<std::string> details;
    auto audit = store_->GetAudit(iccid_);
    EXPECT_THAT(audit.status(), IsOk());
    if (!audit.ok()) return details;
    for (const store::AuditEntry& entry : *audit) {
      if (entry.action() == action) details.push_back(entry.detail());
    }
    return details;
  }

  std::unique_ptr<euicc::SoftwareEuicc> NewEuicc() {
    return Euicc(GetParam().curve);
  }

  // A download cancelled with `reason` after the BPP, then the retry.
  void CancelThenRetry(sgp22::CancelSessionReason reason) {
    auto e = NewEuicc();
    ASSERT_NE(e, nullptr);
    Attempt first = Download(*e);
    ASSERT_THAT(first.response, Succeeded());
    ASSERT_THAT(Cancel(*e, first.transaction_id, reason), Succeeded());
    EXPECT_EQ(State(iccid_), store::RELEASED);
    ASSERT_EQ(e->kept_euicc_otpk(), first.euicc_otpk);

    ASSERT_NO_FATAL_FAILURE(NextNode());
    Attempt retry = Download(*e);
    ASSERT_THAT(retry.response, Succeeded());
    ASSERT_TRUE(retry.signed2.bpp_euicc_otpk.has_value());
    EXPECT_EQ(*retry.signed2.bpp_euicc_otpk, first.euicc_otpk);
    EXPECT_EQ(retry.euicc_otpk, first.euicc_otpk);
    EXPECT_EQ(retry.bpp.initialise_secure_channel.smdp_otpk,
              first.bpp.initialise_secure_channel.smdp_otpk);
    ASSERT_NO_FATAL_FAILURE(InstallAndNotify(*e, retry));
    EXPECT_THAT(Audit("CancelSession"),
                ::testing::ElementsAre(
                    absl::StrCat("cancelled: ", sgp22::ToString(reason),
                                 "; one-time keys kept for a retry")));
  }

  // The eUICC's CancelSession of `tid` (hex) with `reason`, sent on.
  es9plus::CancelSessionResponse Cancel(euicc::SoftwareEuicc& e,
                                        const std::string& tid,
                                        sgp22::CancelSessionReason reason) {
    auto answer = e.CancelSession(absl::HexStringToBytes(tid), reason);
    EXPECT_TRUE(answer.ok()) << answer.status;
    es9plus::CancelSessionRequest request;
    request.set_transaction_id(tid);
    request.set_cancel_session_response(answer.der);
    auto response = service_->CancelSession(request);
    EXPECT_THAT(response.status(), IsOk());
    return response.ok() ? *response : es9plus::CancelSessionResponse();
  }

  const std::string iccid_ = ptest::TestIccid(0);
};

TEST_P(OneTimeKeyRetryTest, LostBppThenRetryReusesTheOneTimeKeys) {
  auto e = NewEuicc();
  ASSERT_NE(e, nullptr);
  Attempt first = Download(*e);
  ASSERT_THAT(first.response, Succeeded());
  EXPECT_FALSE(first.signed2.bpp_euicc_otpk.has_value());
  EXPECT_EQ(State(iccid_), store::DOWNLOADED);
  // The LPA lost the BPP: the eUICC never saw it and keeps its key pair.
  ASSERT_EQ(e->kept_euicc_otpk(), first.euicc_otpk);

  // The retry, served by another node.
  ASSERT_NO_FATAL_FAILURE(NextNode());
  Attempt retry = Download(*e);
  ASSERT_THAT(retry.response, Succeeded());
  EXPECT_NE(retry.transaction_id, first.transaction_id);
  ASSERT_TRUE(retry.signed2.bpp_euicc_otpk.has_value());
  EXPECT_EQ(*retry.signed2.bpp_euicc_otpk, first.euicc_otpk);
  EXPECT_EQ(retry.euicc_otpk, first.euicc_otpk);  // the kept pair
  EXPECT_EQ(retry.bpp.initialise_secure_channel.smdp_otpk,
            first.bpp.initialise_secure_channel.smdp_otpk);
  ASSERT_NO_FATAL_FAILURE(InstallAndNotify(*e, retry));

  const std::string first_tid = first.transaction_id;
  EXPECT_THAT(Audit("AuthenticateClient"),
              ::testing::ElementsAre(
                  absl::StrCat("transactionId ", first_tid),
                  absl::StrCat("transactionId ", retry.transaction_id,
                               "; retry of transactionId ", first_tid,
                               ", bppEuiccOtpk offered")));
  EXPECT_THAT(Audit("GetBoundProfilePackage"),
              ::testing::ElementsAre(
                  absl::StrCat("transactionId ", first_tid),
                  absl::StrCat("transactionId ", retry.transaction_id,
                               "; one-time keys of transactionId ", first_tid,
                               " reused (bppEuiccOtpk)")));
  EXPECT_THAT(Audit("HandleNotification"), ::testing::ElementsAre("installed"));
  EXPECT_THAT(OutboxPoints(), ::testing::ElementsAre(1, 3, 1, 3, 4));
  // With the result in, the sealed agreement is gone from the session.
  auto session =
      store_->GetSession(absl::HexStringToBytes(retry.transaction_id), now_);
  ASSERT_THAT(session.status(), IsOk());
  EXPECT_TRUE(session->extra().empty());
}

TEST_P(OneTimeKeyRetryTest, InterruptedInstallationThenRetry) {
  auto e = NewEuicc();
  ASSERT_NE(e, nullptr);
  Attempt first = Download(*e);
  ASSERT_THAT(first.response, Succeeded());
  // The eUICC got the BPP but the installation broke off (a segment lost
  // on the way) and its result never reached us.
  auto broken =
      etest::TamperProfileSegment(first.response.bound_profile_package(), 0);
  ASSERT_THAT(broken.status(), IsOk());
  auto failed = e->LoadBoundProfilePackage(*broken);
  ASSERT_THAT(failed.status(), IsOk());
  ASSERT_FALSE(failed->status.ok());
  EXPECT_EQ(State(iccid_), store::DOWNLOADED);
  ASSERT_EQ(e->kept_euicc_otpk(), first.euicc_otpk);

  ASSERT_NO_FATAL_FAILURE(NextNode());
  Attempt retry = Download(*e);
  ASSERT_THAT(retry.response, Succeeded());
  ASSERT_TRUE(retry.signed2.bpp_euicc_otpk.has_value());
  EXPECT_EQ(*retry.signed2.bpp_euicc_otpk, first.euicc_otpk);
  EXPECT_EQ(retry.euicc_otpk, first.euicc_otpk);
  EXPECT_EQ(retry.bpp.initialise_secure_channel.smdp_otpk,
            first.bpp.initialise_secure_channel.smdp_otpk);
  ASSERT_NO_FATAL_FAILURE(InstallAndNotify(*e, retry));
}

// SGP.22 5.6.5 and 3.1.3: a cancel with reason postponed (or timeout) after
// the BPP keeps the binding for a retry, as an interrupted load does: the
// next session offers bppEuiccOtpk and binds with the same otPK.DP.ECKA.
TEST_P(OneTimeKeyRetryTest, PostponedCancelKeepsTheBindingForARetry) {
  CancelThenRetry(sgp22::CancelSessionReason::kPostponed);
}

TEST_P(OneTimeKeyRetryTest, TimeoutCancelKeepsTheBindingForARetry) {
  CancelThenRetry(sgp22::CancelSessionReason::kTimeout);
}

// Any other reason ends the order and drops the binding.
TEST_P(OneTimeKeyRetryTest, OtherCancelReasonsDropTheBinding) {
  auto e = NewEuicc();
  ASSERT_NE(e, nullptr);
  Attempt first = Download(*e);
  ASSERT_THAT(first.response, Succeeded());
  ASSERT_THAT(Cancel(*e, first.transaction_id,
                     sgp22::CancelSessionReason::kPprNotAllowed),
              Succeeded());
  EXPECT_EQ(State(iccid_), store::ERROR);
  EXPECT_TRUE(store_->GetProfile(iccid_)->session_transaction_id().empty());
  EXPECT_THAT(
      store_->GetSession(absl::HexStringToBytes(first.transaction_id), now_)
          .status(),
      ::smdp::matchers::StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(OneTimeKeyRetryTest, EuiccWithoutTheKeyGetsFreshKeys) {
  auto e = NewEuicc();
  ASSERT_NE(e, nullptr);
  Attempt first = Download(*e);
  ASSERT_THAT(first.response, Succeeded());
  // The eUICC lost its one-time key (reset): same EID, nothing kept.
  auto reset = NewEuicc();
  ASSERT_NE(reset, nullptr);
  ASSERT_EQ(reset->eid(), e->eid());
  ASSERT_FALSE(reset->kept_euicc_otpk().has_value());

  ASSERT_NO_FATAL_FAILURE(NextNode());
  Attempt retry = Download(*reset);
  ASSERT_THAT(retry.response, Succeeded());
  // Offered, but the eUICC answers a new otPK: a fresh binding.
  ASSERT_TRUE(retry.signed2.bpp_euicc_otpk.has_value());
  EXPECT_EQ(*retry.signed2.bpp_euicc_otpk, first.euicc_otpk);
  EXPECT_NE(retry.euicc_otpk, first.euicc_otpk);
  EXPECT_NE(retry.bpp.initialise_secure_channel.smdp_otpk,
            first.bpp.initialise_secure_channel.smdp_otpk);
  EXPECT_NE(retry.bpp.first_sequence_of_87, first.bpp.first_sequence_of_87);
  ASSERT_NO_FATAL_FAILURE(InstallAndNotify(*reset, retry));
  EXPECT_THAT(Audit("GetBoundProfilePackage"),
              ::testing::ElementsAre(
                  absl::StrCat("transactionId ", first.transaction_id),
                  absl::StrCat("transactionId ", retry.transaction_id,
                               "; fresh one-time keys (the eUICC answered a "
                               "new otPK.EUICC.ECKA)")));
}

TEST_P(OneTimeKeyRetryTest, RetriedBppCarriesTheSameSmdpOtpk) {
  auto e = NewEuicc();
  ASSERT_NE(e, nullptr);
  Attempt first = Download(*e);
  ASSERT_THAT(first.response, Succeeded());
  ASSERT_NO_FATAL_FAILURE(NextNode());
  Attempt retry = Download(*e);
  ASSERT_THAT(retry.response, Succeeded());

  // smdpSigned2 as sent: ... 5F49 41 <the first euiccOtpk>.
  const std::string tlv =
      absl::StrCat(std::string("\x5F\x49\x41", 3), first.euicc_otpk);
  EXPECT_TRUE(absl::EndsWith(retry.smdp_signed2, tlv));
  EXPECT_EQ(first.smdp_signed2.find(std::string("\x5F\x49", 2)),
            std::string::npos);
  // initialiseSecureChannel: the new transactionId, the same otPK.DP.ECKA.
  const sgp22::InitialiseSecureChannelRequest& a =
      first.bpp.initialise_secure_channel;
  const sgp22::InitialiseSecureChannelRequest& b =
      retry.bpp.initialise_secure_channel;
  EXPECT_EQ(b.transaction_id, absl::HexStringToBytes(retry.transaction_id));
  EXPECT_NE(b.transaction_id, a.transaction_id);
  ASSERT_EQ(b.smdp_otpk.size(), 65u);
  EXPECT_EQ(b.smdp_otpk, a.smdp_otpk);
  EXPECT_NE(b.smdp_sign, a.smdp_sign);
  // The same session keys: every protected sequence is byte for byte the
  // same as in the first BPP.
  EXPECT_EQ(retry.bpp.first_sequence_of_87, first.bpp.first_sequence_of_87);
  EXPECT_EQ(retry.bpp.sequence_of_88, first.bpp.sequence_of_88);
  EXPECT_EQ(retry.bpp.second_sequence_of_87, first.bpp.second_sequence_of_87);
  EXPECT_EQ(retry.bpp.sequence_of_86, first.bpp.sequence_of_86);
  // The session holds otPK.DP.ECKA, and ShS only sealed.
  auto session =
      store_->GetSession(absl::HexStringToBytes(retry.transaction_id), now_);
  ASSERT_THAT(session.status(), IsOk());
  EXPECT_EQ(session->smdp_otpk(), a.smdp_otpk);
  EXPECT_TRUE(absl::StartsWith(session->extra(), "DLS1"));
  ASSERT_NO_FATAL_FAILURE(InstallAndNotify(*e, retry));
}

TEST_P(OneTimeKeyRetryTest, UnusableKeptAgreementBindsAfresh) {
  auto e = NewEuicc();
  ASSERT_NE(e, nullptr);
  Attempt first = Download(*e);
  ASSERT_THAT(first.response, Succeeded());
  // The sealed agreement in the store is damaged.
  const std::string first_tid = absl::HexStringToBytes(first.transaction_id);
  auto session = store_->GetSession(first_tid, now_);
  ASSERT_THAT(session.status(), IsOk());
  absl::string_view extra = session->extra();
  ASSERT_TRUE(absl::ConsumePrefix(&extra, "DLS1"));
  DownloadSessionState state;
  ASSERT_TRUE(state.ParseFromArray(extra.data(), extra.size()));
  ASSERT_FALSE(state.binding().sealed_shared_secret().empty());
  (*state.mutable_binding()->mutable_sealed_shared_secret())[20] ^= 1;
  session->set_extra(absl::StrCat("DLS1", state.SerializeAsString()));
  ASSERT_THAT(store_->PutSession(*session), IsOk());

  // Still offered: the eUICC reuses its key, we bind with a fresh otPK.DP.
  Attempt retry = Download(*e);
  ASSERT_THAT(retry.response, Succeeded());
  ASSERT_TRUE(retry.signed2.bpp_euicc_otpk.has_value());
  EXPECT_EQ(retry.euicc_otpk, first.euicc_otpk);
  EXPECT_NE(retry.bpp.initialise_secure_channel.smdp_otpk,
            first.bpp.initialise_secure_channel.smdp_otpk);
  ASSERT_NO_FATAL_FAILURE(InstallAndNotify(*e, retry));
  EXPECT_THAT(Audit("GetBoundProfilePackage").back(),
              ::testing::HasSubstr("fresh one-time keys (the kept ones are "
                                   "unusable)"));
}

TEST_P(OneTimeKeyRetryTest, AbandonedRetryKeepsTheOffer) {
  auto e = NewEuicc();
  ASSERT_NE(e, nullptr);
  Attempt first = Download(*e);
  ASSERT_THAT(first.response, Succeeded());
  // A retry stops after AuthenticateClient (it offered the key)...
  ASSERT_THAT(Authenticate(*e, "MATCH-1"), Succeeded());
  EXPECT_EQ(State(iccid_), store::RELEASED);
  // ... and the next one offers it again.
  ASSERT_NO_FATAL_FAILURE(NextNode());
  Attempt third = Download(*e);
  ASSERT_THAT(third.response, Succeeded());
  ASSERT_TRUE(third.signed2.bpp_euicc_otpk.has_value());
  EXPECT_EQ(*third.signed2.bpp_euicc_otpk, first.euicc_otpk);
  EXPECT_EQ(third.bpp.initialise_secure_channel.smdp_otpk,
            first.bpp.initialise_secure_channel.smdp_otpk);
  ASSERT_NO_FATAL_FAILURE(InstallAndNotify(*e, third));
  EXPECT_THAT(
      Audit("GetBoundProfilePackage").back(),
      ::testing::HasSubstr(absl::StrCat("one-time keys of transactionId ",
                                        first.transaction_id, " reused")));
}

TEST_P(OneTimeKeyRetryTest, NoOfferWhenTurnedOffOrExpired) {
  ASSERT_NO_FATAL_FAILURE(MakeService({.reuse_one_time_keys = false}));
  auto e = NewEuicc();
  ASSERT_NE(e, nullptr);
  Attempt first = Download(*e);
  ASSERT_THAT(first.response, Succeeded());
  Attempt retry = Download(*e);
  ASSERT_THAT(retry.response, Succeeded());
  EXPECT_FALSE(retry.signed2.bpp_euicc_otpk.has_value());
  EXPECT_NE(retry.bpp.initialise_secure_channel.smdp_otpk,
            first.bpp.initialise_secure_channel.smdp_otpk);
  // Turned on again: the last binding kept nothing, so nothing is offered.
  ASSERT_NO_FATAL_FAILURE(MakeService({}));
  Attempt third = Download(*e);
  ASSERT_THAT(third.response, Succeeded());
  EXPECT_FALSE(third.signed2.bpp_euicc_otpk.has_value());
  ASSERT_NO_FATAL_FAILURE(InstallAndNotify(*e, third));
}

TEST_P(OneTimeKeyRetryTest, NoOfferAfterTheSessionExpired) {
  ASSERT_NO_FATAL_FAILURE(MakeService({.notification_ttl = absl::Hours(1)}));
  auto e = NewEuicc();
  ASSERT_NE(e, nullptr);
  Attempt first = Download(*e);
  ASSERT_THAT(first.response, Succeeded());
  now_ += absl::Hours(2);  // not cleaned up yet: still DOWNLOADED
  EXPECT_EQ(State(iccid_), store::DOWNLOADED);
  Attempt retry = Download(*e);
  ASSERT_THAT(retry.response, Succeeded());
  EXPECT_FALSE(retry.signed2.bpp_euicc_otpk.has_value());
  ASSERT_NO_FATAL_FAILURE(InstallAndNotify(*e, retry));
}

INSTANTIATE_TEST_SUITE_P(
    All, OneTimeKeyRetryTest,
    ::testing::Values(RetryCase{false, Curve::kNistP256, false},
                      RetryCase{false, Curve::kBrainpoolP256r1, true},
                      RetryCase{true, Curve::kNistP256, true},
                      RetryCase{true, Curve::kBrainpoolP256r1, false}),
    [](const ::testing::TestParamInfo<RetryCase>& info) {
      return absl::StrCat(
          info.param.softhsm ? "SoftHsm" : "Software",
          info.param.curve == Curve::kNistP256 ? "P256" : "Brainpool",
          info.param.ppk ? "Ppk" : "Plain");
    });

// ---- The JSON binding: field names as in SGP.22 6.5.2 (and lpac) ----------

TEST(Es9PlusJsonTest, FieldNamesMatchTheGsmaBinding) {
  google::protobuf::util::JsonParseOptions parse;
  parse.ignore_unknown_fields = true;
  // What lpac sends: no header, an unknown field tolerated.
  es9plus::InitiateAuthenticationRequest request;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(
                  R"({"smdpAddress":"a.example","euiccChallenge":"AAEC",)"
                  R"("euiccInfo1":"vyA=","extra":1})",
                  &request, parse)
                  .ok());
  EXPECT_EQ(request.smdp_address(), "a.example");
  EXPECT_EQ(request.euicc_challenge(), std::string("\x00\x01\x02", 3));
  EXPECT_EQ(request.euicc_info1(), "\xBF\x20");

  es9plus::InitiateAuthenticationResponse response;
  FillResponseHeader(absl::OkStatus(), *response.mutable_header());
  response.set_transaction_id("0A0B");
  response.set_server_signed1("1");
  response.set_server_signature1("2");
  response.set_euicc_ci_pk_id_to_be_used("3");
  response.set_server_certificate("4");
  std::string json;
  ASSERT_TRUE(
      google::protobuf::util::MessageToJsonString(response, &json).ok());
  EXPECT_EQ(json,
            R"({"header":{"functionExecutionStatus":{"status":)"
            R"("Executed-Success"}},"transactionId":"0A0B",)"
            R"("serverSigned1":"MQ==","serverSignature1":"Mg==",)"
            R"("euiccCiPKIdToBeUsed":"Mw==","serverCertificate":"NA=="})");

  es9plus::AuthenticateClientResponse failed;
  FillResponseHeader(GsmaErrorStatus(GsmaError::kMatchingIdRefused, "no"),
                     *failed.mutable_header());
  json.clear();
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(failed, &json).ok());
  EXPECT_EQ(json,
            R"({"header":{"functionExecutionStatus":{"status":"Failed",)"
            R"("statusCodeData":{"subjectCode":"8.2.6","reasonCode":"3.8",)"
            R"("message":"no"}}}})");
  for (const auto& [message, names] :
       std::vector<std::pair<const google::protobuf::Message*,
                             std::vector<std::string>>>{
           {&es9plus::AuthenticateClientRequest::default_instance(),
            {"transactionId", "authenticateServerResponse"}},
           {&es9plus::AuthenticateClientResponse::default_instance(),
            {"header", "transactionId", "profileMetadata", "smdpSigned2",
             "smdpSignature2", "smdpCertificate"}},
           {&es9plus::GetBoundProfilePackageRequest::default_instance(),
            {"transactionId", "prepareDownloadResponse"}},
           {&es9plus::GetBoundProfilePackageResponse::default_instance(),
            {"header", "transactionId", "boundProfilePackage"}},
           {&es9plus::HandleNotificationRequest::default_instance(),
            {"pendingNotification"}},
           {&es9plus::CancelSessionRequest::default_instance(),
            {"transactionId", "cancelSessionResponse"}},
       }) {
    for (const std::string& name : names) {
      const google::protobuf::Descriptor* d = message->GetDescriptor();
      bool found = false;
      for (int f = 0; f < d->field_count(); ++f) {
        found = found || d->field(f)->json_name() == name;
      }
      EXPECT_TRUE(found) << d->name() << "." << name;
    }
  }
}

}  // namespace
}  // namespace smdp::download
