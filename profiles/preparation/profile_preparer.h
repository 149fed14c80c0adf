// Batch preparation of profiles: a SAIP template and a subscriber file in,
// store records out, each profile personalised and then either
// pre-protected under its own Profile Protection Key (the default) or
// sealed as it is.
//
//   ASSIGN_OR_RETURN(auto kek, provider.GetOrCreateSecretKey("profile-kek"));
//   ASSIGN_OR_RETURN(auto preparer,
//                    ProfilePreparer::Create(template_upp,
//                                            {.batch_id = "b1",
//                                             .operator_id = "op1",
//                                             .profile_type = "consumer",
//                                             .kek_label = "profile-kek"},
//                                            kek.get()));
//   ASSIGN_OR_RETURN(SubscriberCsvReader reader,
//   SubscriberCsvReader::Open(csv)); while (!reader.done()) {
//     ASSIGN_OR_RETURN(auto rows, reader.Next(1000));
//     ASSIGN_OR_RETURN(auto records, preparer->Prepare(rows));
//     RETURN_IF_ERROR(store.StageProfiles("b1", records, reader.position()));
//   }
//   RETURN_IF_ERROR(store.CommitBatch("b1"));
//
// Per subscriber:
//   * personalise the template (saip::Template::Personalize);
//   * with a PPK: bsp::ProtectProfile (a fresh random PPK-ENC, PPK-MAC and
//     initial MAC chaining value) gives the 86 segments, stored as they are
//     in `protected_segments`; the PPK, serialised as enc || mac || mcv (48
//     bytes), is sealed with the key-encryption key under the associated
//     data "profile/<iccid>/ppk" into `sealed_ppk`;
//   * without: the personalised package is sealed under
//     "profile/<iccid>/upp" into `sealed_profile`.
// The associated data binds each sealed value to its ICCID: moved to
// another record it no longer opens. Plaintext (the personalised package,
// the PPK bytes) is wiped as soon as it is sealed or protected; nothing
// secret is logged or kept.
//
// Thread-safety: a ProfilePreparer is immutable after Create(); Prepare()
// may be called from several threads at once, and itself spreads a chunk
// over BatchOptions::threads worker threads for the duration of the call.
#ifndef SMDP_PROFILES_PREPARATION_PROFILE_PREPARER_H_
#define SMDP_PROFILES_PREPARATION_PROFILE_PREPARER_H_

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "hsm/crypto_provider.h"
#include "profiles/preparation/subscriber_csv.h"
#include "profiles/saip/personalization.h"
#include "profiles/store.pb.h"
#include "sgp22/bsp/profile_protection.h"

namespace smdp::profiles::preparation {

// What every record of a batch shares.
struct BatchOptions {
  std::string batch_id;      // required
  std::string operator_id;   // required: the owner on ES2+
  std::string profile_type;  // required: what DownloadOrder asks for
  store::ProfileMetadata metadata;
  // Pre-protect each profile with its own PPK. Default true.
  bool ppk = true;
  // Label of the key-encryption key (`kek` in Create()), recorded in every
  // SealedSecret so the binding side can find the key. Required.
  std::string kek_label;
  // Worker threads for Prepare(); 0 (default): one per core, at most 8.
  int threads = 0;
  saip::PersonalizationOptions personalization;
};

// The associated data of a profile's sealed PPK / sealed package.
std::string PpkAssociatedData(absl::string_view iccid);
std::string UppAssociatedData(absl::string_view iccid);

// Prepares the profiles of one batch; see the file comment.
class ProfilePreparer {
 public:
  // Decodes `template_upp` once and checks `options` (every problem listed
  // in one InvalidArgument: missing ids, ProfileMetadata out of SGP.22
  // bounds). `kek` must outlive the preparer.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<ProfilePreparer>> Create(
      std::string template_upp, BatchOptions options,
      const hsm::SecretKey* kek);

  // One record per row, in the same order: state AVAILABLE, the batch's
  // ids and metadata, ICCID, IMSI, MSISDN, the protected or sealed profile.
  // Version and timestamps are left to the store. On any failure returns
  // the error of the first failing row, prefixed with its line and ICCID,
  // and no records.
  [[nodiscard]] absl::StatusOr<std::vector<store::ProfileRecord>> Prepare(
      absl::Span<const SubscriberRow> rows) const;

  // The record for one subscriber (what Prepare() does per row).
  [[nodiscard]] absl::StatusOr<store::ProfileRecord> PrepareOne(
      const saip::SubscriberData& data) const;

  const saip::Template& template_package() const { return template_; }
  const BatchOptions& options() const { return options_; }

 private:
  ProfilePreparer(saip::Template tpl, BatchOptions options,
                  const hsm::SecretKey* kek, int threads)
      : template_(std::move(tpl)),
        options_(std::move(options)),
        kek_(kek),
        threads_(threads) {}

  const saip::Template template_;
  const BatchOptions options_;
  const hsm::SecretKey* const kek_;
  const int threads_;
};

// A stored profile, opened for binding to one eUICC: exactly one of the two
// is set. Both hold secrets: keep it only for the binding.
struct ProfileForBinding {
  ProfileForBinding() = default;
  ProfileForBinding(ProfileForBinding&&) = default;
  ProfileForBinding& operator=(ProfileForBinding&&) = default;
  ~ProfileForBinding();

  bool is_protected() const { return protected_profile.has_value(); }

  // Pre-protected: the segments as stored and the unsealed PPK.
  std::optional<bsp::ProtectedProfile> protected_profile;
  // Not pre-protected: the unsealed profile package (wiped on destruction).
  std::string upp;
};

// Opens `record` (moved in, so the segments are not copied) with `kek`, the
// key named by its SealedSecret's kek_label. DataLoss when a sealed value
// does not open (wrong key, tampered, or moved from another ICCID's record);
// FailedPrecondition when the record holds no profile, both forms, or
// inconsistent segment data.
[[nodiscard]] absl::StatusOr<ProfileForBinding> OpenProfileForBinding(
    store::ProfileRecord record, const hsm::SecretKey& kek);

}  // namespace smdp::profiles::preparation

#endif  // SMDP_PROFILES_PREPARATION_PROFILE_PREPARER_H_
