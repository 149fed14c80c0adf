#include "smdp/ctl/admin_commands.h"

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "api/admin.grpc.pb.h"
#include "api/health.grpc.pb.h"
#include "util/file_util.h"

namespace smdp::ctl {
namespace {

// A one-line progress bar on a terminal, a line per 10% otherwise.
class ProgressBar {
 public:
  ProgressBar() : tty_(isatty(STDERR_FILENO)), start_(absl::Now()) {}

  void Update(uint64_t done, uint64_t total) {
    if (total == 0) return;
    int percent = static_cast<int>(done * 100 / total);
    double seconds = absl::ToDoubleSeconds(absl::Now() - start_);
    double rate = seconds > 0 ? done / seconds : 0;
    if (tty_) {
      int filled = percent / 4;
      std::cerr << "\r[" << std::string(filled, '=')
                << std::string(25 - filled, ' ') << "] " << done << "/" << total
                << " (" << percent << "%) " << static_cast<uint64_t>(rate)
                << "/s" << std::flush;
    } else if (percent / 10 > last_decile_ || done == total) {
      last_decile_ = percent / 10;
      std::cerr << "import: " << done << "/" << total << " (" << percent << "%)"
                << std::endl;
    }
  }
  void Finish() {
    if (tty_) std::cerr << std::endl;
  }

 private:
  const bool tty_;
  const absl::Time start_;
  int last_decile_ = -1;
};

}  // namespace

int Health(const ConnectionOptions& connection) {
  auto channel = Connect(connection);
  if (!channel.ok()) return Fail(1, channel.status().message());
  auto stub = grpc::health::v1::Health::NewStub(*channel);
  grpc::ClientContext context;
  SetDeadline(connection, context);
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  grpc::Status status = stub->Check(&context, request, &response);
  if (!status.ok()) {
    return Fail(1, absl::StrCat(connection.addr, ": ", status.error_message()));
  }
  std::cout << grpc::health::v1::HealthCheckResponse::ServingStatus_Name(
                   response.status())
            << std::endl;
  return response.status() == grpc::health::v1::HealthCheckResponse::SERVING
             ? 0
             : 1;
}

int Info(const ConnectionOptions& connection) {
  auto channel = Connect(connection);
  if (!channel.ok()) return Fail(1, channel.status().message());
  auto stub = smdp::admin::Admin::NewStub(*channel);
  grpc::ClientContext context;
  SetDeadline(connection, context);
  smdp::admin::GetServerInfoResponse response;
  grpc::Status status = stub->GetServerInfo(
      &context, smdp::admin::GetServerInfoRequest(), &response);
  if (!status.ok()) {
    return Fail(1, absl::StrCat(connection.addr, ": ", status.error_message()));
  }
  std::cout << "smdp_address: " << response.smdp_address() << "\n"
            << "version: " << response.version() << "\n"
            << "crypto_provider: " << response.crypto_provider() << "\n"
            << "identities: " << absl::StrJoin(response.identities(), ", ")
            << std::endl;
  return 0;
}

int ProfilesImport(const ConnectionOptions& connection,
                   const ImportOptions& options) {
  auto template_upp = smdp::ReadFile(options.template_file, 2 << 20);
  if (!template_upp.ok()) return Fail(1, template_upp.status().message());
  auto csv = smdp::ReadFile(options.csv, size_t{256} << 20);
  if (!csv.ok()) return Fail(1, csv.status().message());

  auto channel = Connect(connection);
  if (!channel.ok()) return Fail(1, channel.status().message());
  auto stub = smdp::admin::Admin::NewStub(*channel);
  grpc::ClientContext context;
  auto stream = stub->ImportBatch(&context);
  smdp::admin::ImportBatchRequest request;
  smdp::admin::ImportBatchHeader& header = *request.mutable_header();
  header.set_batch_id(options.batch);
  header.set_operator_id(options.operator_id);
  header.set_profile_type(options.type);
  header.set_template_upp(*template_upp);
  header.set_no_ppk(options.no_ppk);
  header.set_source(options.csv);
  smdp::admin::ProfileMetadata& metadata = *header.mutable_metadata();
  metadata.set_service_provider_name(options.spn);
  metadata.set_profile_name(options.profile_name);
  metadata.set_profile_class(options.profile_class);
  metadata.set_notification_address(options.notification_address);
  metadata.set_owner_mcc_mnc(options.owner);
  for (const std::string& rule : options.ppr) {
    metadata.add_profile_policy_rules(rule);
  }
  bool sent = stream->Write(request);
  constexpr size_t kChunk = 1 << 20;
  for (size_t offset = 0; sent && offset < csv->size(); offset += kChunk) {
    smdp::admin::ImportBatchRequest chunk;
    chunk.set_csv_chunk(csv->substr(offset, kChunk));
    sent = stream->Write(chunk);
  }
  stream->WritesDone();
  ProgressBar bar;
  smdp::admin::ImportBatchProgress progress;
  smdp::admin::ImportBatchProgress last;
  while (stream->Read(&progress)) {
    bar.Update(progress.staged(), progress.total());
    last = progress;
  }
  bar.Finish();
  grpc::Status status = stream->Finish();
  if (!status.ok()) {
    // The server lists a file's errors on several lines; keep one.
    std::string message = status.error_message();
    std::replace(message.begin(), message.end(), '\n', ' ');
    return Fail(1, absl::StrCat("import failed: ", message));
  }
  std::cout << "batch " << last.batch_id() << ": " << last.staged()
            << " profiles imported" << std::endl;
  return 0;
}

int ProfilesList(const ConnectionOptions& connection,
                 const ListOptions& options) {
  auto channel = Connect(connection);
  if (!channel.ok()) return Fail(1, channel.status().message());
  auto stub = smdp::admin::Admin::NewStub(*channel);
  smdp::admin::ListProfilesRequest request;
  request.set_state(options.state);
  request.set_profile_type(options.type);
  request.set_batch_id(options.batch);
  request.set_operator_id(options.operator_id);
  request.set_page_size(options.page_size);
  std::cout << "ICCID                STATE        OPERATOR  TYPE      BATCH"
            << std::endl;
  while (true) {
    grpc::ClientContext context;
    SetDeadline(connection, context);
    smdp::admin::ListProfilesResponse response;
    grpc::Status status = stub->ListProfiles(&context, request, &response);
    if (!status.ok()) {
      return Fail(1, absl::StrCat("list failed: ", status.error_message()));
    }
    for (const auto& p : response.profiles()) {
      std::cout << absl::StrFormat("%-20s %-12s %-9s %-9s %s", p.iccid(),
                                   p.state(), p.operator_id(), p.profile_type(),
                                   p.batch_id())
                << "\n";
    }
    if (!options.all || response.next_page_token().empty()) {
      if (!response.next_page_token().empty()) {
        std::cout << "(more: --all)" << std::endl;
      }
      break;
    }
    request.set_page_token(response.next_page_token());
  }
  std::cout << std::flush;
  return 0;
}

int ProfilesShow(const ConnectionOptions& connection,
                 const std::string& iccid) {
  auto channel = Connect(connection);
  if (!channel.ok()) return Fail(1, channel.status().message());
  auto stub = smdp::admin::Admin::NewStub(*channel);
  grpc::ClientContext context;
  SetDeadline(connection, context);
  smdp::admin::GetProfileRequest request;
  request.set_iccid(iccid);
  smdp::admin::GetProfileResponse r;
  grpc::Status status = stub->GetProfile(&context, request, &r);
  if (!status.ok()) {
    return Fail(1, absl::StrCat(iccid, ": ", status.error_message()));
  }
  const auto& p = r.profile();
  std::cout << "iccid: " << p.iccid() << "\nstate: " << p.state()
            << "\noperator: " << p.operator_id()
            << "\ntype: " << p.profile_type() << "\nbatch: " << p.batch_id()
            << "\nimsi: " << r.imsi() << "\nmsisdn: " << r.msisdn()
            << "\nservice_provider_name: " << r.service_provider_name()
            << "\nprofile_name: " << r.profile_name()
            << "\nprofile_size: " << r.profile_size()
            << "\nppk_protected: " << (p.ppk_protected() ? "yes" : "no")
            << "\neid: " << p.eid() << "\nmatching_id: " << p.matching_id()
            << "\nhistory:\n";
  for (const auto& line : r.history()) {
    std::cout << "  "
              << absl::FormatTime("%Y-%m-%dT%H:%M:%SZ",
                                  absl::FromUnixMillis(line.time_ms()),
                                  absl::UTCTimeZone())
              << " " << line.actor() << " " << line.action() << " "
              << line.from_state() << " -> " << line.to_state()
              << (line.detail().empty() ? "" : " (" + line.detail() + ")")
              << "\n";
  }
  std::cout << std::flush;
  return 0;
}

int ProfilesBatch(const ConnectionOptions& connection, const std::string& id) {
  auto channel = Connect(connection);
  if (!channel.ok()) return Fail(1, channel.status().message());
  auto stub = smdp::admin::Admin::NewStub(*channel);
  grpc::ClientContext context;
  SetDeadline(connection, context);
  smdp::admin::GetBatchRequest request;
  request.set_batch_id(id);
  smdp::admin::BatchStatus b;
  grpc::Status status = stub->GetBatch(&context, request, &b);
  if (!status.ok()) {
    return Fail(1, absl::StrCat("batch ", id, ": ", status.error_message()));
  }
  std::cout << "batch: " << b.batch_id() << "\nstate: " << b.state()
            << "\noperator: " << b.operator_id()
            << "\ntype: " << b.profile_type() << "\nexpected: " << b.expected()
            << "\nstaged: " << b.staged()
            << "\nppk_protected: " << (b.ppk_protected() ? "yes" : "no")
            << "\nsource: " << b.source() << std::endl;
  return 0;
}

}  // namespace smdp::ctl
