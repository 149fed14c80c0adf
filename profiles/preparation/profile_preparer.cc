#include "profiles/preparation/profile_preparer.h"

#include <algorithm>
#include <atomic>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "sgp22/bsp/bsp_format.h"
#include "sgp22/bsp/bsp_keys.h"
#include "sgp22/der.h"
#include "util/status_macros.h"

namespace smdp::profiles::preparation {
namespace {

// Serialised PPK: enc || mac || initial MAC chaining value.
constexpr size_t kPpkSize = 3 * bsp::kBspKeySize;

// Rows per worker below which Prepare() stays on the calling thread.
constexpr size_t kMinRowsPerThread = 16;

// SGP.22 bounds of StoreMetadataRequest (ProfileInfo) fields.
constexpr size_t kMaxServiceProviderName = 32;
constexpr size_t kMaxProfileName = 64;
constexpr size_t kMaxIcon = 1024;

std::vector<std::string> CheckMetadata(const store::ProfileMetadata& m) {
  std::vector<std::string> e;
  if (m.service_provider_name().size() > kMaxServiceProviderName) {
    e.push_back("metadata.service_provider_name is longer than 32 bytes");
  }
  if (!sgp22::der::ValidateUtf8(m.service_provider_name()).ok()) {
    e.push_back("metadata.service_provider_name is not UTF-8");
  }
  if (m.profile_name().size() > kMaxProfileName) {
    e.push_back("metadata.profile_name is longer than 64 bytes");
  }
  if (!sgp22::der::ValidateUtf8(m.profile_name()).ok()) {
    e.push_back("metadata.profile_name is not UTF-8");
  }
  if (m.profile_class() > 2) {
    e.push_back(
        "metadata.profile_class must be 0 (test), 1 (provisioning) "
        "or 2 (operational)");
  }
  if (m.icon().size() > kMaxIcon) {
    e.push_back("metadata.icon is larger than 1024 bytes");
  }
  if (m.icon_type() > 1) e.push_back("metadata.icon_type must be 0 or 1");
  for (int i = 0; i < m.notification_configuration_size(); ++i) {
    const auto& n = m.notification_configuration(i);
    if (n.event() > 3) {
      e.push_back(absl::StrCat("metadata.notification_configuration[", i,
                               "].event must be 0..3"));
    }
    if (n.address().empty() || n.address().size() > 255) {
      e.push_back(absl::StrCat("metadata.notification_configuration[", i,
                               "].address must be 1 to 255 bytes"));
    }
  }
  if (m.has_profile_owner() && m.profile_owner().mcc_mnc().size() != 3) {
    e.push_back("metadata.profile_owner.mcc_mnc must be 3 bytes");
  }
  for (uint32_t ppr : m.profile_policy_rules()) {
    if (ppr != 1 && ppr != 2) {
      e.push_back(absl::StrCat("metadata.profile_policy_rules: ", ppr,
                               " is not ppr1 (1) or ppr2 (2)"));
    }
  }
  return e;
}

// The 48 bytes of a PPK.
std::string SerializePpk(const bsp::BspKeys& ppk) {
  std::string out;
  out.reserve(kPpkSize);
  for (absl::string_view part : {ppk.enc_bytes(), ppk.mac_bytes(),
                                 ppk.initial_mac_chaining_value_bytes()}) {
    out.append(part.data(), part.size());
  }
  return out;
}

// Wipes a string holding a secret when it goes out of scope.
struct Wiper {
  std::string* s;
  ~Wiper() { saip::WipeSecret(s); }
};

}  // namespace

std::string PpkAssociatedData(absl::string_view iccid) {
  return absl::StrCat("profile/", iccid, "/ppk");
}

std::string UppAssociatedData(absl::string_view iccid) {
  return absl::StrCat("profile/", iccid, "/upp");
}

absl::StatusOr<std::unique_ptr<ProfilePreparer>> ProfilePreparer::Create(
    std::string template_upp, BatchOptions options, const hsm::SecretKey* kek) {
  std::vector<std::string> errors;
  if (options.batch_id.empty()) errors.push_back("batch_id is empty");
  if (options.operator_id.empty()) errors.push_back("operator_id is empty");
  if (options.profile_type.empty()) errors.push_back("profile_type is empty");
  if (options.kek_label.empty()) errors.push_back("kek_label is empty");
  if (kek == nullptr) errors.push_back("no key-encryption key");
  if (options.threads < 0) errors.push_back("threads is negative");
  for (std::string& e : CheckMetadata(options.metadata)) {
    errors.push_back(std::move(e));
  }
  if (!errors.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("batch options: ", absl::StrJoin(errors, "; ")));
  }
  auto tpl =
      saip::Template::Create(std::move(template_upp), options.personalization);
  if (!tpl.ok()) {
    return absl::Status(tpl.status().code(),
                        absl::StrCat("template: ", tpl.status().message()));
  }
  int threads = options.threads;
  if (threads == 0) {
    threads = static_cast<int>(
        std::clamp(std::thread::hardware_concurrency(), 1u, 8u));
  }
  return std::unique_ptr<ProfilePreparer>(
      new ProfilePreparer(*std::move(tpl), std::move(options), kek, threads));
}

absl::StatusOr<store::ProfileRecord> ProfilePreparer::PrepareOne(
    const saip::SubscriberData& data) const {
  ASSIGN_OR_RETURN(std::string upp, template_.Personalize(data));
  Wiper wipe_upp{&upp};

  store::ProfileRecord record;
  record.set_iccid(data.iccid);
  record.set_state(store::AVAILABLE);
  record.set_operator_id(options_.operator_id);
  record.set_batch_id(options_.batch_id);
  record.set_profile_type(options_.profile_type);
  record.set_imsi(data.imsi);
  record.set_msisdn(data.msisdn);
  *record.mutable_metadata() = options_.metadata;
  record.set_profile_size(upp.size());

  if (options_.ppk) {
    ASSIGN_OR_RETURN(bsp::ProtectedProfile ppp, bsp::ProtectProfile(upp));
    std::string ppk = SerializePpk(ppp.ppk);
    Wiper wipe_ppk{&ppk};
    ASSIGN_OR_RETURN(std::string sealed,
                     kek_->Seal(ppk, PpkAssociatedData(data.iccid)));
    record.set_protected_segments(std::move(ppp.segments));
    record.set_segment_count(ppp.segment_count);
    record.mutable_sealed_ppk()->set_sealed(std::move(sealed));
    record.mutable_sealed_ppk()->set_kek_label(options_.kek_label);
  } else {
    ASSIGN_OR_RETURN(std::string sealed,
                     kek_->Seal(upp, UppAssociatedData(data.iccid)));
    record.mutable_sealed_profile()->set_sealed(std::move(sealed));
    record.mutable_sealed_profile()->set_kek_label(options_.kek_label);
  }
  return record;
}

absl::StatusOr<std::vector<store::ProfileRecord>> ProfilePreparer::Prepare(
    absl::Span<const SubscriberRow> rows) const {
  std::vector<store::ProfileRecord> records(rows.size());
  std::vector<absl::Status> status(rows.size());
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  auto work = [&] {
    for (;;) {
      const size_t i = next.fetch_add(1, std::memory_order_relaxed);
      if (i >= rows.size() || failed.load(std::memory_order_relaxed)) return;
      absl::StatusOr<store::ProfileRecord> r = PrepareOne(rows[i].data);
      if (r.ok()) {
        records[i] = *std::move(r);
      } else {
        status[i] = r.status();
        failed.store(true, std::memory_order_relaxed);
      }
    }
  };
  const size_t workers = std::min<size_t>(
      threads_, std::max<size_t>(1, rows.size() / kMinRowsPerThread));
  std::vector<std::thread> pool;
  for (size_t t = 1; t < workers; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();

  if (failed.load()) {
    for (size_t i = 0; i < rows.size(); ++i) {
      if (status[i].ok()) continue;
      return absl::Status(
          status[i].code(),
          absl::StrCat("line ", rows[i].line, " (ICCID ", rows[i].data.iccid,
                       "): ", status[i].message()));
    }
  }
  return records;
}

ProfileForBinding::~ProfileForBinding() { saip::WipeSecret(&upp); }

absl::StatusOr<ProfileForBinding> OpenProfileForBinding(
    store::ProfileRecord record, const hsm::SecretKey& kek) {
  const bool has_ppk = !record.sealed_ppk().sealed().empty();
  const bool has_upp = !record.sealed_profile().sealed().empty();
  if (has_ppk == has_upp) {
    return absl::FailedPreconditionError(absl::StrCat(
        "profile ", record.iccid(),
        has_ppk ? ": record holds both a protected and a sealed profile"
                : ": record holds no profile"));
  }
  ProfileForBinding out;
  if (has_upp) {
    ASSIGN_OR_RETURN(out.upp, kek.Open(record.sealed_profile().sealed(),
                                       UppAssociatedData(record.iccid())));
    return out;
  }
  if (record.protected_segments().empty() || record.segment_count() == 0 ||
      record.profile_size() == 0 ||
      record.segment_count() !=
          bsp::EncryptedSegmentCount(record.profile_size())) {
    return absl::FailedPreconditionError(absl::StrCat(
        "profile ", record.iccid(), ": inconsistent protected segments (count ",
        record.segment_count(), ", size ", record.profile_size(), ")"));
  }
  ASSIGN_OR_RETURN(std::string ppk,
                   kek.Open(record.sealed_ppk().sealed(),
                            PpkAssociatedData(record.iccid())));
  Wiper wipe_ppk{&ppk};
  if (ppk.size() != kPpkSize) {
    return absl::DataLossError(absl::StrCat("profile ", record.iccid(),
                                            ": sealed PPK is not 48 bytes"));
  }
  absl::string_view p = ppk;
  ASSIGN_OR_RETURN(bsp::BspKeys keys,
                   bsp::BspKeys::FromBytes(p.substr(0, 16), p.substr(16, 16),
                                           p.substr(32, 16)));
  bsp::ProtectedProfile ppp;
  ppp.ppk = keys;
  ppp.segments = std::move(*record.mutable_protected_segments());
  ppp.segment_count = record.segment_count();
  ppp.profile_size = record.profile_size();
  out.protected_profile = std::move(ppp);
  return out;
}

}  // namespace smdp::profiles::preparation
