// BatchImporter: one batch of profiles from a SAIP template and a SIM
// vendor's subscriber file into the store, all or nothing and resumable.
//
//   BatchImporter importer(store, kek, "kek");
//   ASSIGN_OR_RETURN(store::BatchRecord batch,
//                    importer.Import(request, [](const ImportProgress& p) {
//                      ...  // p.staged of p.total
//                    }));
//
// The whole subscriber file is validated first (every error with its line
// number, nothing stored). Profiles are then prepared (personalised,
// PPK-protected, secrets sealed) and staged in chunks, each chunk recording
// the input position it reached; CommitBatch makes them all visible at
// once. If the process dies, the batch stays PENDING and invisible; calling
// Import() again with the same batch id and input resumes after the last
// staged chunk. A batch that is already COMPLETE is AlreadyExists.
//
// Thread-safety: Import() may run concurrently for different batch ids.
#ifndef SMDP_PROFILES_IMPORT_BATCH_IMPORTER_H_
#define SMDP_PROFILES_IMPORT_BATCH_IMPORTER_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "hsm/crypto_provider.h"
#include "profiles/preparation/profile_preparer.h"
#include "profiles/profile_store.h"
#include "profiles/store.pb.h"

namespace smdp::profiles {

struct ImportRequest {
  // Required. A-Z a-z 0-9 . _ - (at most 64).
  std::string batch_id;
  std::string operator_id;   // required
  std::string profile_type;  // required
  store::ProfileMetadata metadata;
  bool ppk = true;
  std::string template_upp;  // the SAIP template (DER)
  std::string csv;           // the subscriber file
  std::string source;        // e.g. the file name, for the batch record
  size_t chunk_size = 1000;  // profiles per staged chunk
};

struct ImportProgress {
  std::string batch_id;
  uint64_t total = 0;   // subscribers in the file
  uint64_t staged = 0;  // prepared and staged so far (incl. resumed ones)
  bool committed = false;
};

class BatchImporter {
 public:
  // `store` and `kek` must outlive the importer; `kek_label` names `kek` in
  // the sealed secrets.
  BatchImporter(ProfileStore& store, const hsm::SecretKey& kek,
                std::string kek_label);

  // Imports the batch. `progress` (optional) runs after validation, after
  // each staged chunk and after the commit, on the calling thread.
  // InvalidArgument for a bad request, template or subscriber file (the
  // message lists the errors with line numbers); AlreadyExists for a
  // completed batch or an ICCID that is already stored (the batch is then
  // aborted); errors of the store pass through.
  [[nodiscard]] absl::StatusOr<store::BatchRecord> Import(
      const ImportRequest& request,
      const std::function<void(const ImportProgress&)>& progress = nullptr);

 private:
  ProfileStore& store_;
  const hsm::SecretKey& kek_;
  const std::string kek_label_;
};

}  // namespace smdp::profiles

#endif  // SMDP_PROFILES_IMPORT_BATCH_IMPORTER_H_
