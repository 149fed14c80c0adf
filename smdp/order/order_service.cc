#include "smdp/order/order_service.h"

#include <openssl/rand.h>
#include <openssl/sha.h>

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "sgp22/eid.h"
#include "smdp/common/function_status.h"
#include "smdp/common/gsma_status.h"
#include "util/log.h"
#include "util/status_macros.h"

namespace smdp::order {
namespace {

using ::smdp::store::ProfileRecord;
using ::smdp::store::ProfileState;

constexpr size_t kMaxConfirmationCode = 64;
constexpr size_t kMaxMatchingId = 64;
constexpr size_t kMaxProfileType = 128;
constexpr size_t kMaxFunctionCallIdentifier = 128;
constexpr int kMatchingIdAttempts = 8;

std::string Actor(const Operator& op) {
  return absl::StrCat("operator:", op.id);
}

// The operator's header: when the operator lists requester identifiers, the
// request must name one of them.
absl::Status CheckHeader(const Operator& op,
                         const es9plus::RequestHeader& header) {
  if (op.requester_identifiers.empty()) return absl::OkStatus();
  const std::string& id = header.function_requester_identifier();
  if (id.empty()) {
    return GsmaErrorStatus(GsmaError::kMandatoryElementMissing,
                           "header.functionRequesterIdentifier is missing");
  }
  if (std::find(op.requester_identifiers.begin(),
                op.requester_identifiers.end(),
                id) == op.requester_identifiers.end()) {
    return GsmaErrorStatus(GsmaError::kFunctionRequesterUnknown,
                           absl::StrCat("functionRequesterIdentifier '", id,
                                        "' is not one of this operator's"));
  }
  return absl::OkStatus();
}

bool AllDigits(absl::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return absl::ascii_isdigit(static_cast<unsigned char>(c));
  });
}

// NormalizeIccid with the ES2+ answers for a missing or malformed ICCID.
absl::StatusOr<std::string> ParseIccid(absl::string_view iccid) {
  if (iccid.empty()) {
    return GsmaErrorStatus(GsmaError::kMandatoryElementMissing,
                           "iccid is missing");
  }
  std::optional<std::string> digits = NormalizeIccid(iccid);
  if (!digits.has_value()) {
    return GsmaErrorStatus(
        GsmaError::kMalformedRequest,
        "iccid must be 18-20 digits (a 20th 'F' is padding)");
  }
  return *std::move(digits);
}

// An EID given by the operator: 32 digits with valid check digits.
absl::Status CheckEid(absl::string_view eid) {
  absl::Status valid = sgp22::ValidateEid(eid);
  if (!valid.ok()) {
    return GsmaErrorStatus(GsmaError::kMalformedRequest,
                           absl::StrCat("eid: ", valid.message()));
  }
  return absl::OkStatus();
}

bool TypeAllowed(const Operator& op, absl::string_view type) {
  return op.profile_types.empty() ||
         std::find(op.profile_types.begin(), op.profile_types.end(), type) !=
             op.profile_types.end();
}

// A profile of `op`, or 8.2.1/3.9 (also for another operator's ICCID).
absl::StatusOr<ProfileRecord> GetOwnProfile(profiles::ProfileStore& store,
                                            const Operator& op,
                                            const std::string& iccid) {
  absl::StatusOr<ProfileRecord> record = store.GetProfileHead(iccid, op.id);
  if (absl::IsNotFound(record.status())) {
    return GsmaErrorStatus(GsmaError::kIccidUnknown,
                           absl::StrCat("unknown ICCID ", iccid));
  }
  return record;
}

bool Expired(const ProfileRecord& record, absl::Time now) {
  const int64_t expires = record.order().expires_at_ms();
  return expires != 0 && absl::ToUnixMillis(now) >= expires;
}

std::string RandomMatchingId() {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  constexpr size_t kAlphabetSize = sizeof(kAlphabet) - 1;  // 36
  std::string id;
  while (id.size() < 23) {  // 4 groups of 5 and 3 dashes: ~103 bits
    if (id.size() % 6 == 5) {
      id.push_back('-');
      continue;
    }
    unsigned char b = 0;
    // 252 = 7 * 36: rejecting the rest keeps the characters uniform.
    do {
      if (RAND_bytes(&b, 1) != 1) b = 255;
    } while (b >= 252);
    id.push_back(kAlphabet[b % kAlphabetSize]);
  }
  return id;
}

std::string Sha256(absl::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(),
         digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof(digest));
}

// A failed state precondition of the store (the profile changed state since
// we read it) as the GSMA code of `error`; a refusal of our own `mutate`
// passes unchanged.
absl::Status StateRefusal(const absl::Status& status, GsmaError error) {
  if (GetGsmaError(status).has_value()) return status;  // from `mutate`
  if (absl::IsFailedPrecondition(status)) {
    return GsmaErrorStatus(error, status.message());
  }
  if (absl::IsNotFound(status)) {
    return GsmaErrorStatus(GsmaError::kIccidUnknown, status.message());
  }
  return status;
}

template <typename Response>
absl::StatusOr<Response> Answer(absl::string_view function, const Operator& op,
                                const absl::Status& status, Response response) {
  if (!status.ok() && GetGsmaError(status).has_value()) {
    LogInfo("ES2+ ", function, " by ", op.id, " failed: ", status.message());
  }
  return AnswerWithStatus(status, std::move(response));
}

}  // namespace

std::optional<std::string> NormalizeIccid(absl::string_view iccid) {
  std::string digits(iccid);
  if (digits.size() == 20 && (digits.back() == 'F' || digits.back() == 'f')) {
    digits.pop_back();
  }
  if (digits.size() < 18 || digits.size() > 20 || !AllDigits(digits)) {
    return std::nullopt;
  }
  return digits;
}

bool IsValidMatchingId(absl::string_view matching_id) {
  return !matching_id.empty() && matching_id.size() <= kMaxMatchingId &&
         std::all_of(matching_id.begin(), matching_id.end(), [](char c) {
           return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
                  c == '-';
         });
}

absl::StatusOr<std::unique_ptr<OrderService>> OrderService::Create(
    OrderServiceOptions options, profiles::ProfileStore& store) {
  if (options.smdp_address.empty()) {
    return absl::InvalidArgumentError("OrderService: smdp_address is empty");
  }
  if (options.order_ttl < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("OrderService: order_ttl is negative");
  }
  if (!options.matching_id_generator) {
    options.matching_id_generator = RandomMatchingId;
  }
  return std::unique_ptr<OrderService>(
      new OrderService(std::move(options), store));
}

OrderService::OrderService(OrderServiceOptions options,
                           profiles::ProfileStore& store)
    : options_(std::move(options)), store_(store) {}

absl::Time OrderService::Now() const {
  return options_.clock ? options_.clock() : absl::Now();
}

// ---- DownloadOrder
// -----------------------------------------------------------

absl::StatusOr<es2plus::DownloadOrderResponse> OrderService::DownloadOrder(
    const Operator& op, const es2plus::DownloadOrderRequest& request) {
  es2plus::DownloadOrderResponse response;
  absl::Status status = DoDownloadOrder(op, request, response);
  return Answer("DownloadOrder", op, status, std::move(response));
}

absl::StatusOr<std::optional<std::string>> OrderService::AnswerOfEarlierCall(
    const Operator& op, const es2plus::DownloadOrderRequest& request) {
  const std::string& call_id = request.header().function_call_identifier();
  absl::StatusOr<ProfileRecord> earlier =
      store_.GetProfileByFunctionCall(op.id, call_id);
  if (absl::IsNotFound(earlier.status())) return std::nullopt;
  if (!earlier.ok()) return earlier.status();
  const store::Order& order = earlier->order();
  // The same call must ask the same: a reused identifier for another order
  // is refused rather than answered with an order it did not ask for.
  absl::StatusOr<std::string> iccid =
      request.iccid().empty() ? std::string() : ParseIccid(request.iccid());
  const bool same =
      (request.iccid().empty() || (iccid.ok() && *iccid == earlier->iccid())) &&
      (request.profile_type().empty() ||
       request.profile_type() == earlier->profile_type()) &&
      (request.eid().empty() || request.eid() == order.eid());
  if (!same) {
    return GsmaErrorStatus(
        GsmaError::kMalformedRequest,
        absl::StrCat("header.functionCallIdentifier '", call_id,
                     "' already made another DownloadOrder"));
  }
  return earlier->iccid();
}

absl::Status OrderService::DoDownloadOrder(
    const Operator& op, const es2plus::DownloadOrderRequest& request,
    es2plus::DownloadOrderResponse& response) {
  RETURN_IF_ERROR(CheckHeader(op, request.header()));
  const std::string& eid = request.eid();
  if (!eid.empty()) RETURN_IF_ERROR(CheckEid(eid));
  const std::string& type = request.profile_type();
  if (type.size() > kMaxProfileType) {
    return GsmaErrorStatus(GsmaError::kMalformedRequest,
                           "profileType is too long");
  }
  if (request.iccid().empty() && type.empty()) {
    return GsmaErrorStatus(GsmaError::kConditionalElementMissing,
                           "iccid or profileType is required");
  }
  if (!type.empty() && !TypeAllowed(op, type)) {
    return GsmaErrorStatus(GsmaError::kProfileTypeNotAllowed,
                           absl::StrCat("profile type '", type,
                                        "' is not allowed for this operator"));
  }

  // Idempotency (SGP.22 5.3.1; the operator retries a call whose answer it
  // lost with the same functionCallIdentifier): the order that call made
  // answers again, for as long as the order lives.
  const std::string& call_id = request.header().function_call_identifier();
  if (call_id.size() > kMaxFunctionCallIdentifier ||
      !std::all_of(call_id.begin(), call_id.end(),
                   [](char c) { return c >= 0x20 && c <= 0x7E; })) {
    return GsmaErrorStatus(
        GsmaError::kMalformedRequest,
        absl::StrCat("header.functionCallIdentifier must be at most ",
                     kMaxFunctionCallIdentifier,
                     " printable ASCII characters"));
  }
  if (!call_id.empty()) {
    ASSIGN_OR_RETURN(std::optional<std::string> first,
                     AnswerOfEarlierCall(op, request));
    if (first.has_value()) {
      response.set_iccid(*first);
      return absl::OkStatus();
    }
  }

  const absl::Time now = Now();
  profiles::TransitionRequest t;
  // ALLOCATED first; an EID then links it in a second change (the state
  // machine goes AVAILABLE -> ALLOCATED -> LINKED). A crash between the two
  // leaves an ALLOCATED order that already carries the EID: ConfirmOrder
  // and the download treat it exactly as LINKED.
  t.to = store::ALLOCATED;
  t.operator_id = op.id;
  t.mutate = [&](ProfileRecord& r) -> absl::Status {
    store::Order& order = *r.mutable_order();
    order.Clear();
    order.set_eid(eid);
    order.set_eid_from_operator(!eid.empty());
    order.set_created_at_ms(absl::ToUnixMillis(now));
    if (options_.order_ttl > absl::ZeroDuration()) {
      order.set_expires_at_ms(absl::ToUnixMillis(now + options_.order_ttl));
    }
    order.set_function_call_id(request.header().function_call_identifier());
    r.clear_last_result();
    return absl::OkStatus();
  };
  t.audit.set_actor(Actor(op));
  t.audit.set_action("DownloadOrder");
  if (!eid.empty()) t.audit.set_detail(absl::StrCat("eid ", eid));

  absl::StatusOr<ProfileRecord> allocated;
  if (!request.iccid().empty()) {
    ASSIGN_OR_RETURN(std::string iccid, ParseIccid(request.iccid()));
    ASSIGN_OR_RETURN(ProfileRecord record, GetOwnProfile(store_, op, iccid));
    if (!type.empty() && record.profile_type() != type) {
      return GsmaErrorStatus(
          GsmaError::kProfileTypeMismatch,
          absl::StrCat("ICCID ", iccid, " is not of profile type '", type,
                       "'"));
    }
    if (!TypeAllowed(op, record.profile_type())) {
      return GsmaErrorStatus(GsmaError::kIccidNotAllowed,
                             absl::StrCat("the profile type of ICCID ", iccid,
                                          " is not allowed for this operator"));
    }
    if (record.state() != store::AVAILABLE) {
      return GsmaErrorStatus(GsmaError::kIccidUnavailable,
                             absl::StrCat("ICCID ", iccid, " is ",
                                          profiles::StateName(record.state())));
    }
    t.iccid = iccid;
    t.from = {store::AVAILABLE};
    allocated = store_.Transition(t);
  } else {
    allocated = store_.AllocateProfile(op.id, type, t);
  }
  if (absl::IsAlreadyExists(allocated.status())) {
    // The same call, retried while the first was still running, won.
    ASSIGN_OR_RETURN(std::optional<std::string> first,
                     AnswerOfEarlierCall(op, request));
    if (first.has_value()) {
      response.set_iccid(*first);
      return absl::OkStatus();
    }
    return allocated.status();
  }
  if (!request.iccid().empty()) {
    if (!allocated.ok()) {
      return StateRefusal(allocated.status(), GsmaError::kIccidUnavailable);
    }
  } else {
    if (absl::IsResourceExhausted(allocated.status())) {
      // Unknown type or none left: the store knows which.
      profiles::ProfileQuery query;
      query.operator_id = op.id;
      query.profile_type = type;
      query.page_size = 1;
      bool known = false;
      for (int pages = 0; pages < 16 && !known; ++pages) {
        ASSIGN_OR_RETURN(profiles::ProfilePage page,
                         store_.ListProfiles(query));
        known = !page.profiles.empty();
        if (page.next_page_token.empty()) break;
        query.page_token = page.next_page_token;
      }
      return known ? GsmaErrorStatus(
                         GsmaError::kProfileTypeUnavailable,
                         absl::StrCat("no more available profiles of type '",
                                      type, "'"))
                   : GsmaErrorStatus(
                         GsmaError::kProfileTypeUnknown,
                         absl::StrCat("unknown profile type '", type, "'"));
    }
    if (!allocated.ok()) return allocated.status();
  }
  if (!eid.empty()) {
    profiles::TransitionRequest link;
    link.iccid = allocated->iccid();
    link.from = {store::ALLOCATED};
    link.to = store::LINKED;
    link.operator_id = op.id;
    link.audit.set_actor(Actor(op));
    link.audit.set_action("DownloadOrder");
    link.audit.set_detail(absl::StrCat("eid ", eid));
    allocated = store_.Transition(link);
    if (!allocated.ok()) return allocated.status();
  }
  response.set_iccid(allocated->iccid());
  return absl::OkStatus();
}

// ---- ConfirmOrder
// ------------------------------------------------------------

absl::StatusOr<es2plus::ConfirmOrderResponse> OrderService::ConfirmOrder(
    const Operator& op, const es2plus::ConfirmOrderRequest& request) {
  es2plus::ConfirmOrderResponse response;
  absl::Status status = DoConfirmOrder(op, request, response);
  return Answer("ConfirmOrder", op, status, std::move(response));
}

absl::Status OrderService::DoConfirmOrder(
    const Operator& op, const es2plus::ConfirmOrderRequest& request,
    es2plus::ConfirmOrderResponse& response) {
  RETURN_IF_ERROR(CheckHeader(op, request.header()));
  ASSIGN_OR_RETURN(std::string iccid, ParseIccid(request.iccid()));
  if (!request.has_release_flag()) {
    return GsmaErrorStatus(GsmaError::kMandatoryElementMissing,
                           "releaseFlag is missing");
  }
  if (!request.eid().empty()) RETURN_IF_ERROR(CheckEid(request.eid()));
  if (request.has_matching_id() && !request.matching_id().empty() &&
      !IsValidMatchingId(request.matching_id())) {
    return GsmaErrorStatus(
        GsmaError::kMalformedRequest,
        "matchingId must be 1-64 characters of A-Z, a-z, 0-9 and '-'");
  }
  if (request.confirmation_code().size() > kMaxConfirmationCode) {
    return GsmaErrorStatus(GsmaError::kMalformedRequest,
                           "confirmationCode is longer than 64 characters");
  }
  if (!request.smds_address().empty()) {
    // Registering an event on an SM-DS (ES12) is not implemented: refuse
    // rather than confirm an order the device will never discover.
    return GsmaErrorStatus(GsmaError::kSmdsInaccessible,
                           "this SM-DP+ does not register events on an SM-DS");
  }

  ASSIGN_OR_RETURN(ProfileRecord record, GetOwnProfile(store_, op, iccid));
  const absl::Time now = Now();
  if (record.state() != store::ALLOCATED && record.state() != store::LINKED) {
    return GsmaErrorStatus(
        GsmaError::kProfileNotReleasable,
        absl::StrCat("ICCID ", iccid, " is ",
                     profiles::StateName(record.state()),
                     ": only an ordered profile can be confirmed"));
  }
  if (Expired(record, now)) {
    return GsmaErrorStatus(GsmaError::kDownloadOrderExpired,
                           "the order expired");
  }
  const std::string& bound_eid = record.order().eid();
  if (!request.eid().empty() && !bound_eid.empty() &&
      request.eid() != bound_eid) {
    // SGP.22 5.3.2: not the EID DownloadOrder bound, an invalid association.
    return GsmaErrorStatus(GsmaError::kEidMismatch,
                           "the EID is not the one the order is bound to");
  }
  const std::string eid = bound_eid.empty() ? request.eid() : bound_eid;
  // An empty matchingId: no activation code, the eUICC finds its profile by
  // EID (default SM-DP+), which must then be known.
  const bool by_eid =
      request.has_matching_id() && request.matching_id().empty();
  if (by_eid && eid.empty()) {
    return GsmaErrorStatus(GsmaError::kEidMissing,
                           "an empty matchingId needs the EID of the eUICC");
  }

  const std::string code_hash = request.confirmation_code().empty()
                                    ? std::string()
                                    : Sha256(request.confirmation_code());
  const ProfileState to =
      request.release_flag() ? store::RELEASED : store::CONFIRMED;
  for (int attempt = 0;; ++attempt) {
    const std::string matching_id = by_eid ? std::string()
                                    : request.has_matching_id()
                                        ? request.matching_id()
                                        : options_.matching_id_generator();
    profiles::TransitionRequest t;
    t.iccid = iccid;
    t.from = {store::ALLOCATED, store::LINKED};
    t.to = to;
    t.operator_id = op.id;
    t.mutate = [&](ProfileRecord& r) -> absl::Status {
      store::Order& order = *r.mutable_order();
      if (!order.eid().empty() && !request.eid().empty() &&
          order.eid() != request.eid()) {
        return GsmaErrorStatus(GsmaError::kEidMismatch,
                               "the EID is not the one the order is bound to");
      }
      if (order.eid().empty()) order.set_eid(eid);
      if (!request.eid().empty()) order.set_eid_from_operator(true);
      order.set_matching_id(matching_id);
      order.set_confirmation_code_hash(code_hash);
      order.set_release_flag(request.release_flag());
      return absl::OkStatus();
    };
    t.audit.set_actor(Actor(op));
    t.audit.set_action("ConfirmOrder");
    t.audit.set_detail(absl::StrCat(
        "matchingId ", matching_id.empty() ? "(none)" : matching_id,
        eid.empty() ? "" : absl::StrCat(" eid ", eid),
        code_hash.empty() ? "" : " with confirmation code",
        request.release_flag() ? " released" : ""));
    absl::StatusOr<ProfileRecord> confirmed = store_.Transition(t);
    if (absl::IsAlreadyExists(confirmed.status())) {
      if (request.has_matching_id() || attempt + 1 >= kMatchingIdAttempts) {
        return GsmaErrorStatus(
            GsmaError::kMatchingIdConflict,
            absl::StrCat("matchingId ", matching_id, " is already in use"));
      }
      continue;  // A generated one collided: draw again.
    }
    if (!confirmed.ok()) {
      return StateRefusal(confirmed.status(), GsmaError::kProfileNotReleasable);
    }
    response.set_eid(confirmed->order().eid());
    response.set_matching_id(confirmed->order().matching_id());
    response.set_smdp_address(options_.smdp_address);
    return absl::OkStatus();
  }
}

// ---- CancelOrder
// ---------------------------------------------------------------

absl::StatusOr<es2plus::CancelOrderResponse> OrderService::CancelOrder(
    const Operator& op, const es2plus::CancelOrderRequest& request) {
  absl::Status status = DoCancelOrder(op, request);
  return Answer("CancelOrder", op, status, es2plus::CancelOrderResponse());
}

namespace {

// SGP.22 5.3.5 (ES2+.CancelOrder): the EID is required when the operator
// gave one to DownloadOrder or ConfirmOrder (8.1.1/2.2; an EID that only a
// download bound is not the operator's to know), and a given EID must be the
// order's (8.1.1/3.10); a matchingId, when given, must be the order's
// (8.2.6/3.10).
absl::Status CheckCancelOrderIdentifiers(
    const store::Order& order, const es2plus::CancelOrderRequest& request) {
  if (order.eid_from_operator() && request.eid().empty()) {
    return GsmaErrorStatus(
        GsmaError::kEidMissing,
        "the order is bound to an EID: CancelOrder must name it");
  }
  if (!request.eid().empty() && order.eid() != request.eid()) {
    return GsmaErrorStatus(GsmaError::kEidMismatch,
                           "the EID is not the one the order is bound to");
  }
  if (!request.matching_id().empty() &&
      order.matching_id() != request.matching_id()) {
    return GsmaErrorStatus(GsmaError::kMatchingIdMismatch,
                           "the matchingId is not the order's");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status OrderService::DoCancelOrder(
    const Operator& op, const es2plus::CancelOrderRequest& request) {
  RETURN_IF_ERROR(CheckHeader(op, request.header()));
  ASSIGN_OR_RETURN(std::string iccid, ParseIccid(request.iccid()));
  const std::string& final_status = request.final_profile_status_indicator();
  if (final_status.empty()) {
    return GsmaErrorStatus(GsmaError::kMandatoryElementMissing,
                           "finalProfileStatusIndicator is missing");
  }
  if (final_status != "Available" && final_status != "Unavailable") {
    return GsmaErrorStatus(GsmaError::kMalformedRequest,
                           "finalProfileStatusIndicator must be Available or "
                           "Unavailable");
  }
  if (!request.eid().empty()) RETURN_IF_ERROR(CheckEid(request.eid()));
  const ProfileState to =
      final_status == "Available" ? store::AVAILABLE : store::UNAVAILABLE;

  ASSIGN_OR_RETURN(ProfileRecord record, GetOwnProfile(store_, op, iccid));
  RETURN_IF_ERROR(CheckCancelOrderIdentifiers(record.order(), request));
  std::vector<ProfileState> from = {store::ALLOCATED, store::LINKED,
                                    store::CONFIRMED, store::RELEASED};
  if (to == store::UNAVAILABLE) {
    // The package may be on a device: never handed to anyone else.
    from.push_back(store::DOWNLOADED);
    from.push_back(store::ERROR);
  }
  if (std::find(from.begin(), from.end(), record.state()) == from.end()) {
    return GsmaErrorStatus(
        GsmaError::kProfileNotReleasable,
        absl::StrCat("ICCID ", iccid, " is ",
                     profiles::StateName(record.state()),
                     ": its order cannot end as ", final_status));
  }
  profiles::TransitionRequest t;
  t.iccid = iccid;
  t.from = from;
  t.to = to;
  t.operator_id = op.id;
  t.mutate = [&](ProfileRecord& r) -> absl::Status {
    RETURN_IF_ERROR(CheckCancelOrderIdentifiers(r.order(), request));
    r.set_last_result(absl::StrCat("cancelled: ", final_status));
    r.clear_session_transaction_id();
    return absl::OkStatus();
  };
  t.audit.set_actor(Actor(op));
  t.audit.set_action("CancelOrder");
  t.audit.set_detail(final_status);
  return StateRefusal(store_.Transition(t).status(),
                      GsmaError::kProfileNotReleasable);
}

// ---- ReleaseProfile
// --------------------------------------------------------------

absl::StatusOr<es2plus::ReleaseProfileResponse> OrderService::ReleaseProfile(
    const Operator& op, const es2plus::ReleaseProfileRequest& request) {
  absl::Status status = DoReleaseProfile(op, request);
  return Answer("ReleaseProfile", op, status,
                es2plus::ReleaseProfileResponse());
}

absl::Status OrderService::DoReleaseProfile(
    const Operator& op, const es2plus::ReleaseProfileRequest& request) {
  RETURN_IF_ERROR(CheckHeader(op, request.header()));
  ASSIGN_OR_RETURN(std::string iccid, ParseIccid(request.iccid()));
  ASSIGN_OR_RETURN(ProfileRecord record, GetOwnProfile(store_, op, iccid));
  if (record.state() != store::CONFIRMED) {
    return GsmaErrorStatus(
        GsmaError::kProfileNotReleasable,
        absl::StrCat("ICCID ", iccid, " is ",
                     profiles::StateName(record.state()),
                     ": only a confirmed profile can be released"));
  }
  if (Expired(record, Now())) {
    return GsmaErrorStatus(GsmaError::kDownloadOrderExpired,
                           "the order expired");
  }
  profiles::TransitionRequest t;
  t.iccid = iccid;
  t.from = {store::CONFIRMED};
  t.to = store::RELEASED;
  t.operator_id = op.id;
  t.audit.set_actor(Actor(op));
  t.audit.set_action("ReleaseProfile");
  return StateRefusal(store_.Transition(t).status(),
                      GsmaError::kProfileNotReleasable);
}

// ---- Expiry
// ------------------------------------------------------------------

absl::StatusOr<size_t> OrderService::ExpireOrders(size_t limit) {
  static constexpr ProfileState kOrdered[] = {
      store::ALLOCATED, store::LINKED, store::CONFIRMED, store::RELEASED};
  absl::MutexLock lock(&sweep_mu_);
  const absl::Time now = Now();
  size_t examined = 0;
  size_t expired = 0;
  // At most one full round over the four states per call.
  for (size_t states = 0; states <= std::size(kOrdered) && examined < limit;) {
    profiles::ProfileQuery query;
    query.state = kOrdered[sweep_state_];
    query.page_size = std::min<size_t>(limit - examined, 1000);
    query.page_token = sweep_token_;
    ASSIGN_OR_RETURN(profiles::ProfilePage page, store_.ListProfiles(query));
    for (const ProfileRecord& record : page.profiles) {
      ++examined;
      if (!Expired(record, now) || !record.session_transaction_id().empty()) {
        continue;
      }
      profiles::TransitionRequest t;
      t.iccid = record.iccid();
      t.from = {record.state()};
      t.to = store::AVAILABLE;
      t.mutate = [&](ProfileRecord& r) -> absl::Status {
        // Re-checked under the record's lock: a download may have begun.
        if (!r.session_transaction_id().empty() || !Expired(r, now)) {
          return absl::FailedPreconditionError("no longer expired and idle");
        }
        r.set_last_result("order expired");
        return absl::OkStatus();
      };
      t.audit.set_actor("system");
      t.audit.set_action("OrderExpired");
      t.audit.set_detail(absl::StrCat(
          "expired at ",
          absl::FormatTime(absl::FromUnixMillis(record.order().expires_at_ms()),
                           absl::UTCTimeZone())));
      absl::Status s = store_.Transition(t).status();
      if (s.ok()) {
        ++expired;
      } else if (!absl::IsFailedPrecondition(s) && !absl::IsNotFound(s)) {
        return s;
      }
    }
    if (page.next_page_token.empty()) {
      sweep_state_ = (sweep_state_ + 1) % std::size(kOrdered);
      sweep_token_.clear();
      ++states;
    } else {
      sweep_token_ = page.next_page_token;
    }
    if (page.profiles.empty() && !page.next_page_token.empty()) ++examined;
  }
  return expired;
}

}  // namespace smdp::order
