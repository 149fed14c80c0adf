#include "profiles/import/batch_importer.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "profiles/preparation/subscriber_csv.h"
#include "util/status_macros.h"

namespace smdp::profiles {
namespace {

absl::Status CheckRequest(const ImportRequest& request) {
  const std::string& id = request.batch_id;
  if (id.empty() || id.size() > 64) {
    return absl::InvalidArgumentError("batch_id: must be 1 to 64 characters");
  }
  for (char c : id) {
    if (!absl::ascii_isalnum(c) && c != '.' && c != '_' && c != '-') {
      return absl::InvalidArgumentError(
          "batch_id: only A-Z a-z 0-9 . _ - are allowed");
    }
  }
  if (request.operator_id.empty()) {
    return absl::InvalidArgumentError("operator_id: missing");
  }
  if (request.profile_type.empty()) {
    return absl::InvalidArgumentError("profile_type: missing");
  }
  if (request.template_upp.empty()) {
    return absl::InvalidArgumentError("template: missing");
  }
  if (request.chunk_size == 0 || request.chunk_size > 100000) {
    return absl::InvalidArgumentError("chunk_size: must be 1 to 100000");
  }
  return absl::OkStatus();
}

}  // namespace

BatchImporter::BatchImporter(ProfileStore& store, const hsm::SecretKey& kek,
                             std::string kek_label)
    : store_(store), kek_(kek), kek_label_(std::move(kek_label)) {}

absl::StatusOr<store::BatchRecord> BatchImporter::Import(
    const ImportRequest& request,
    const std::function<void(const ImportProgress&)>& progress) {
  RETURN_IF_ERROR(CheckRequest(request));
  // Everything is validated before anything is stored.
  ASSIGN_OR_RETURN(preparation::SubscriberCsvReader reader,
                   preparation::SubscriberCsvReader::Open(request.csv));
  preparation::BatchOptions options;
  options.batch_id = request.batch_id;
  options.operator_id = request.operator_id;
  options.profile_type = request.profile_type;
  options.metadata = request.metadata;
  options.ppk = request.ppk;
  options.kek_label = kek_label_;
  ASSIGN_OR_RETURN(auto preparer, preparation::ProfilePreparer::Create(
                                      request.template_upp, options, &kek_));

  ImportProgress state;
  state.batch_id = request.batch_id;
  state.total = reader.row_count();

  // A new batch, or the resumption of an interrupted one.
  absl::StatusOr<store::BatchRecord> existing =
      store_.GetBatch(request.batch_id);
  if (existing.ok()) {
    switch (existing->state()) {
      case store::BatchRecord::COMPLETE:
        return absl::AlreadyExistsError(
            absl::StrCat("batch ", request.batch_id, " is already imported"));
      case store::BatchRecord::PENDING:
        if (existing->operator_id() != request.operator_id ||
            existing->profile_type() != request.profile_type ||
            (existing->expected_count() != 0 &&
             existing->expected_count() != state.total)) {
          return absl::FailedPreconditionError(absl::StrCat(
              "batch ", request.batch_id,
              " was started with another operator, profile type or file"));
        }
        RETURN_IF_ERROR(reader.Seek(existing->resume_position()));
        state.staged = existing->staged_count();
        break;
      default:
        return absl::FailedPreconditionError(absl::StrCat(
            "batch ", request.batch_id, " was aborted; use another batch id"));
    }
  } else if (absl::IsNotFound(existing.status())) {
    store::BatchRecord batch;
    batch.set_batch_id(request.batch_id);
    batch.set_operator_id(request.operator_id);
    batch.set_profile_type(request.profile_type);
    batch.set_state(store::BatchRecord::PENDING);
    batch.set_expected_count(state.total);
    batch.set_ppk_protected(request.ppk);
    batch.set_created_at_ms(absl::ToUnixMillis(absl::Now()));
    batch.set_source(request.source);
    RETURN_IF_ERROR(store_.BeginBatch(batch));
  } else {
    return existing.status();
  }
  if (progress) progress(state);

  while (!reader.done()) {
    ASSIGN_OR_RETURN(std::vector<preparation::SubscriberRow> rows,
                     reader.Next(request.chunk_size));
    if (rows.empty()) break;
    ASSIGN_OR_RETURN(std::vector<store::ProfileRecord> records,
                     preparer->Prepare(rows));
    absl::Status staged =
        store_.StageProfiles(request.batch_id, records, reader.position());
    if (absl::IsAlreadyExists(staged)) {
      // An ICCID that another batch owns: nothing of this batch may stay.
      absl::Status aborted = store_.AbortBatch(request.batch_id);
      if (!aborted.ok()) return aborted;
      return staged;
    }
    RETURN_IF_ERROR(staged);
    state.staged += records.size();
    if (progress) progress(state);
  }
  RETURN_IF_ERROR(store_.CommitBatch(request.batch_id));
  state.committed = true;
  if (progress) progress(state);
  return store_.GetBatch(request.batch_id);
}

}  // namespace smdp::profiles
