#include "smdp/admin/admin_service.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "smdp/grpc/peer_identity.h"
#include "smdp/grpc/status_util.h"
#include "util/status_macros.h"

namespace smdp {
namespace {

constexpr size_t kMaxTemplateBytes = 2 << 20;
constexpr size_t kMaxCsvBytes = size_t{256} << 20;

absl::Status FieldError(absl::string_view field, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("metadata.", field, ": ", what));
}

// "26201" / "310410" → the 3-byte PLMN coding of SGP.22 OperatorId.
absl::StatusOr<std::string> EncodePlmn(absl::string_view digits) {
  if ((digits.size() != 5 && digits.size() != 6)) {
    return FieldError("owner_mcc_mnc", "must be 5 or 6 digits");
  }
  for (char c : digits) {
    if (!absl::ascii_isdigit(c)) {
      return FieldError("owner_mcc_mnc", "must be 5 or 6 digits");
    }
  }
  auto d = [&](size_t i) { return static_cast<uint8_t>(digits[i] - '0'); };
  uint8_t mnc3 = digits.size() == 6 ? d(5) : 0x0F;
  std::string out(3, '\0');
  out[0] = static_cast<char>((d(1) << 4) | d(0));
  out[1] = static_cast<char>((mnc3 << 4) | d(2));
  out[2] = static_cast<char>((d(4) << 4) | d(3));
  return out;
}

std::string StateString(store::ProfileState state) {
  return std::string(profiles::StateName(state));
}

absl::StatusOr<store::ProfileState> ParseState(absl::string_view name) {
  std::string upper = absl::AsciiStrToUpper(name);
  for (int s = store::AVAILABLE; s <= store::UNAVAILABLE; ++s) {
    auto state = static_cast<store::ProfileState>(s);
    if (profiles::StateName(state) == upper) return state;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("state: unknown state '", name, "'"));
}

void Summarize(const store::ProfileRecord& record, admin::ProfileSummary* out) {
  out->set_iccid(record.iccid());
  out->set_state(StateString(record.state()));
  out->set_operator_id(record.operator_id());
  out->set_batch_id(record.batch_id());
  out->set_profile_type(record.profile_type());
  out->set_eid(record.order().eid());
  out->set_matching_id(record.order().matching_id());
  out->set_updated_at_ms(record.updated_at_ms());
  out->set_ppk_protected(!record.protected_segments().empty());
}

}  // namespace

absl::StatusOr<store::ProfileMetadata> MetadataFromAdmin(
    const admin::ProfileMetadata& in) {
  store::ProfileMetadata out;
  if (in.service_provider_name().size() > 32) {
    return FieldError("service_provider_name", "longer than 32 bytes");
  }
  if (in.profile_name().size() > 64) {
    return FieldError("profile_name", "longer than 64 bytes");
  }
  out.set_service_provider_name(in.service_provider_name());
  out.set_profile_name(in.profile_name());
  const std::string& cls = in.profile_class();
  if (cls.empty() || cls == "operational") {
    out.set_profile_class(2);
  } else if (cls == "provisioning") {
    out.set_profile_class(1);
  } else if (cls == "test") {
    out.set_profile_class(0);
  } else {
    return FieldError("profile_class",
                      "must be test, provisioning or operational");
  }
  if (!in.icon().empty()) {
    if (in.icon().size() > 1024) {
      return FieldError("icon", "larger than 1024 bytes");
    }
    if (in.icon_type() != "png" && in.icon_type() != "jpg") {
      return FieldError("icon_type", "must be png or jpg with an icon");
    }
    out.set_icon(in.icon());
    out.set_icon_type(in.icon_type() == "png" ? 1 : 0);
  }
  if (!in.notification_address().empty()) {
    auto* config = out.add_notification_configuration();
    config->set_event(0);  // notificationInstall
    config->set_address(in.notification_address());
  }
  if (!in.owner_mcc_mnc().empty()) {
    ASSIGN_OR_RETURN(std::string plmn, EncodePlmn(in.owner_mcc_mnc()));
    out.mutable_profile_owner()->set_mcc_mnc(plmn);
  }
  for (const std::string& rule : in.profile_policy_rules()) {
    if (rule == "ppr1") {
      out.add_profile_policy_rules(1);
    } else if (rule == "ppr2") {
      out.add_profile_policy_rules(2);
    } else {
      return FieldError("profile_policy_rules",
                        absl::StrCat("unknown rule '", rule, "'"));
    }
  }
  return out;
}

grpc::Status CheckAdminCaller(const grpc::ServerContext& context,
                              const AdminAccess& access) {
  if (access.allow_all) return grpc::Status::OK;
  absl::StatusOr<PeerCertificate> peer = GetPeerCertificate(context);
  if (!peer.ok()) {
    return grpc::Status(
        grpc::StatusCode::UNAUTHENTICATED,
        absl::StrCat("the Admin service needs a client certificate listed in "
                     "admin_clients: ",
                     peer.status().message()));
  }
  const std::vector<std::string>& allowed = access.client_common_names;
  if (std::find(allowed.begin(), allowed.end(), peer->common_name) ==
      allowed.end()) {
    return grpc::Status(
        grpc::StatusCode::PERMISSION_DENIED,
        absl::StrCat("client certificate CN '", peer->common_name,
                     "' is not in admin_clients"));
  }
  return grpc::Status::OK;
}

AdminService::AdminService(admin::GetServerInfoResponse info,
                           profiles::ProfileStore& store,
                           profiles::BatchImporter& importer,
                           AdminAccess access)
    : info_(std::move(info)),
      access_(std::move(access)),
      store_(store),
      importer_(importer) {}

grpc::Status AdminService::GetServerInfo(grpc::ServerContext* context,
                                         const admin::GetServerInfoRequest*,
                                         admin::GetServerInfoResponse* out) {
  if (grpc::Status denied = CheckAdminCaller(*context, access_); !denied.ok()) {
    return denied;
  }
  *out = info_;
  return grpc::Status::OK;
}

grpc::Status AdminService::ImportBatch(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<admin::ImportBatchProgress,
                             admin::ImportBatchRequest>* stream) {
  if (grpc::Status denied = CheckAdminCaller(*context, access_); !denied.ok()) {
    return denied;
  }
  admin::ImportBatchRequest message;
  if (!stream->Read(&message) || !message.has_header()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "the first message must be the header");
  }
  const admin::ImportBatchHeader& header = message.header();
  if (header.template_upp().size() > kMaxTemplateBytes) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "template_upp: larger than 2 MiB");
  }
  auto metadata = MetadataFromAdmin(header.metadata());
  if (!metadata.ok()) return ToGrpcStatus(metadata.status());

  profiles::ImportRequest request;
  request.batch_id = header.batch_id();
  request.operator_id = header.operator_id();
  request.profile_type = header.profile_type();
  request.metadata = *std::move(metadata);
  request.ppk = !header.no_ppk();
  request.template_upp = header.template_upp();
  request.source = header.source();
  while (stream->Read(&message)) {
    if (!message.has_csv_chunk()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "only csv_chunk may follow the header");
    }
    if (request.csv.size() + message.csv_chunk().size() > kMaxCsvBytes) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "the subscriber file is larger than 256 MiB");
    }
    request.csv += message.csv_chunk();
  }
  if (context->IsCancelled()) {
    return grpc::Status(grpc::StatusCode::CANCELLED, "client cancelled");
  }
  auto batch =
      importer_.Import(request, [&](const profiles::ImportProgress& p) {
        admin::ImportBatchProgress progress;
        progress.set_batch_id(p.batch_id);
        progress.set_total(p.total);
        progress.set_staged(p.staged);
        progress.set_committed(p.committed);
        stream->Write(progress);
      });
  return ToGrpcStatus(batch.status());
}

grpc::Status AdminService::ListProfiles(grpc::ServerContext* context,
                                        const admin::ListProfilesRequest* in,
                                        admin::ListProfilesResponse* out) {
  if (grpc::Status denied = CheckAdminCaller(*context, access_); !denied.ok()) {
    return denied;
  }
  profiles::ProfileQuery query;
  if (!in->state().empty()) {
    auto state = ParseState(in->state());
    if (!state.ok()) return ToGrpcStatus(state.status());
    query.state = *state;
  }
  query.profile_type = in->profile_type();
  query.batch_id = in->batch_id();
  query.operator_id = in->operator_id();
  if (in->page_size() > 1000) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "page_size: at most 1000");
  }
  query.page_size = in->page_size() == 0 ? 100 : in->page_size();
  query.page_token = in->page_token();
  auto page = store_.ListProfiles(query);
  if (!page.ok()) return ToGrpcStatus(page.status());
  for (const store::ProfileRecord& record : page->profiles) {
    Summarize(record, out->add_profiles());
  }
  out->set_next_page_token(page->next_page_token);
  return grpc::Status::OK;
}

grpc::Status AdminService::GetProfile(grpc::ServerContext* context,
                                      const admin::GetProfileRequest* in,
                                      admin::GetProfileResponse* out) {
  if (grpc::Status denied = CheckAdminCaller(*context, access_); !denied.ok()) {
    return denied;
  }
  auto record = store_.GetProfile(in->iccid());
  if (!record.ok()) return ToGrpcStatus(record.status());
  Summarize(*record, out->mutable_profile());
  out->set_imsi(record->imsi());
  out->set_msisdn(record->msisdn());
  out->set_service_provider_name(record->metadata().service_provider_name());
  out->set_profile_name(record->metadata().profile_name());
  out->set_profile_size(record->profile_size());
  out->set_download_attempts(record->order().download_attempts());
  out->set_last_result(record->last_result());
  auto audit = store_.GetAudit(in->iccid());
  if (!audit.ok()) return ToGrpcStatus(audit.status());
  for (const store::AuditEntry& entry : *audit) {
    admin::AuditLine* line = out->add_history();
    line->set_time_ms(entry.time_ms());
    line->set_actor(entry.actor());
    line->set_action(entry.action());
    line->set_from_state(StateString(entry.from_state()));
    line->set_to_state(StateString(entry.to_state()));
    line->set_detail(entry.detail());
  }
  return grpc::Status::OK;
}

grpc::Status AdminService::GetBatch(grpc::ServerContext* context,
                                    const admin::GetBatchRequest* in,
                                    admin::BatchStatus* out) {
  if (grpc::Status denied = CheckAdminCaller(*context, access_); !denied.ok()) {
    return denied;
  }
  auto batch = store_.GetBatch(in->batch_id());
  if (!batch.ok()) return ToGrpcStatus(batch.status());
  out->set_batch_id(batch->batch_id());
  out->set_state(store::BatchRecord::State_Name(batch->state()));
  out->set_operator_id(batch->operator_id());
  out->set_profile_type(batch->profile_type());
  out->set_expected(batch->expected_count());
  out->set_staged(batch->staged_count());
  out->set_ppk_protected(batch->ppk_protected());
  out->set_created_at_ms(batch->created_at_ms());
  out->set_completed_at_ms(batch->completed_at_ms());
  out->set_source(batch->source());
  return grpc::Status::OK;
}

}  // namespace smdp
