#include "smdp/download/download_service.h"

#include <algorithm>
#include <optional>
#include <utility>
#include <variant>

#include "absl/algorithm/container.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "api/es2plus.pb.h"
#include "profiles/preparation/profile_preparer.h"
#include "profiles/saip/coding.h"
#include "sgp22/authentication.h"
#include "sgp22/download.h"
#include "sgp22/euicc_info.h"
#include "sgp22/notification.h"
#include "sgp22/types.h"
#include "smdp/auth/certificate.h"
#include "smdp/auth/public_key.h"
#include "smdp/auth/smdp_certificate.h"
#include "smdp/common/gsma_status.h"
#include "smdp/download/session_state.pb.h"
#include "smdp/download/signed_data.h"
#include "util/log.h"
#include "util/status_macros.h"

namespace smdp::download {
namespace {

using ::smdp::store::ProfileRecord;
using ::smdp::store::ProfileState;
using ::smdp::store::SessionRecord;

// HandleDownloadProgressInfo notification points (DESIGN.md).
constexpr uint32_t kPointEligibility = 1;
constexpr uint32_t kPointConfirmationFailure = 2;
constexpr uint32_t kPointBppDownload = 3;
constexpr uint32_t kPointBppInstallation = 4;

// Data the eUICC signed that does not have its format, found after the
// signature verified (an otPK that is no point): nothing of it can be used.
absl::Status Malformed(absl::string_view what, const absl::Status& why) {
  return GsmaErrorStatus(GsmaError::kEuiccSignatureInvalid,
                         absl::StrCat(what, ": ", why.message()));
}

// A request field that is missing (SGP.22 common status code 1.6/2.2) or
// does not have its format (1.6/2.1: a wrong length, DER that does not
// decode). A format error of the request, not a verification failure:
// 8.1/6.1 stays for signatures and certificates that do not verify.
absl::Status MissingField(absl::string_view field) {
  return GsmaErrorStatus(GsmaError::kMandatoryElementMissing,
                         absl::StrCat(field, " is missing"));
}
absl::Status InvalidField(absl::string_view field, const absl::Status& why) {
  return GsmaErrorStatus(GsmaError::kMalformedRequest,
                         absl::StrCat(field, ": ", why.message()));
}
// The DER of request field `field`: missing when empty.
template <typename Message>
absl::StatusOr<Message> DecodeField(absl::string_view field,
                                    absl::string_view der) {
  if (der.empty()) return MissingField(field);
  absl::StatusOr<Message> decoded = Message::Decode(der);
  if (!decoded.ok()) return InvalidField(field, decoded.status());
  return decoded;
}

std::string ToHex(absl::string_view bytes) {
  return absl::AsciiStrToUpper(absl::BytesToHexString(bytes));
}

// The transactionId bytes from its hex form: 1..16 bytes, either case.
absl::StatusOr<std::string> ParseTransactionId(absl::string_view hex) {
  if (hex.empty()) return MissingField("transactionId");
  if (hex.size() % 2 != 0 || hex.size() > 2 * sgp22::kMaxTransactionIdSize) {
    return GsmaErrorStatus(GsmaError::kUnknownTransactionId,
                           "transactionId is not 1..16 bytes of hex");
  }
  for (char c : hex) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) {
      return GsmaErrorStatus(GsmaError::kUnknownTransactionId,
                             "transactionId is not hex");
    }
  }
  return absl::HexStringToBytes(hex);
}

// Whether an LPA's SM-DP+ address names us: our address, case-insensitively,
// optionally with a port ("smdp.example.com:8443"): an activation code may
// carry one when ES9+ is not on 443, and LPAs (lpac) send it as given.
bool IsOurAddress(absl::string_view received, absl::string_view ours) {
  if (absl::EqualsIgnoreCase(received, ours)) return true;
  const size_t colon = received.rfind(':');
  if (colon == absl::string_view::npos ||
      !absl::EqualsIgnoreCase(received.substr(0, colon), ours)) {
    return false;
  }
  const absl::string_view port = received.substr(colon + 1);
  int value = 0;
  return !port.empty() && port.size() <= 5 && port[0] != '0' &&
         absl::SimpleAtoi(port, &value) && value > 0 && value <= 65535;
}

std::string Actor(absl::string_view eid) {
  return eid.empty() ? "euicc" : absl::StrCat("euicc:", eid);
}

// An operator callback (ES2+ HandleDownloadProgressInfo) for the outbox. The
// payload is the request itself, serialized, without the header, iccid and
// profileType: the sender fills those when it sends (smdp/order). A failure
// without a GSMA code of its own (an installation error the eUICC reports, a
// cancelled session) is 8.1/4.2 "eUICC - Execution error", with the detail
// as the message. The transactionId is not part of the ES2+ callback: the
// audit entry of the same change keeps it.
store::OutboxEntry Callback(uint32_t point, absl::string_view eid,
                            const absl::Status& status, absl::Time now,
                            absl::string_view detail = {},
                            absl::string_view result_data = {}) {
  es2plus::HandleDownloadProgressInfoRequest info;
  info.set_eid(std::string(eid));
  info.set_timestamp(
      absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", now, absl::UTCTimeZone()));
  info.set_notification_point_id(static_cast<int32_t>(point));
  es9plus::FunctionExecutionStatus& fes =
      *info.mutable_notification_point_status();
  fes.set_status(std::string(status.ok() ? kExecutedSuccess : kFailed));
  if (!status.ok()) {
    es9plus::StatusCodeData& code = *fes.mutable_status_code_data();
    if (std::optional<GsmaError> e = GetGsmaError(status)) {
      const GsmaCode& c = GetGsmaCode(*e);
      code.set_subject_code(std::string(c.subject_code));
      code.set_reason_code(std::string(c.reason_code));
    } else {
      code.set_subject_code("8.1");
      code.set_reason_code("4.2");
    }
    const absl::string_view message =
        detail.empty() ? status.message() : detail;
    code.set_message(std::string(message));
  }
  info.set_result_data(std::string(result_data));
  store::OutboxEntry entry;
  entry.set_notification_point_id(point);
  entry.set_eid(std::string(eid));
  entry.set_status(fes.status());
  entry.set_payload(info.SerializeAsString());
  return entry;
}

// The StoreMetadataRequest of a profile record.
absl::StatusOr<sgp22::StoreMetadataRequest> MetadataOf(
    const ProfileRecord& record) {
  sgp22::StoreMetadataRequest m;
  ASSIGN_OR_RETURN(m.iccid, profiles::saip::EncodeIccidFile(record.iccid()));
  const store::ProfileMetadata& md = record.metadata();
  m.service_provider_name = md.service_provider_name();
  m.profile_name = md.profile_name();
  if (!md.icon().empty()) {
    m.icon_type = static_cast<sgp22::IconType>(md.icon_type());
    m.icon = md.icon();
  }
  // operational (2) is the DEFAULT: left out so the DER stays canonical.
  if (md.profile_class() != 2) {
    m.profile_class = static_cast<sgp22::ProfileClass>(md.profile_class());
  }
  if (md.notification_configuration_size() > 0) {
    m.notification_configuration_info.emplace();
    for (const store::NotificationConfiguration& n :
         md.notification_configuration()) {
      sgp22::NotificationConfigurationInformation info;
      info.profile_management_operation =
          sgp22::der::BitString::FromBits({n.event()});
      info.notification_address = n.address();
      m.notification_configuration_info->push_back(std::move(info));
    }
  }
  if (md.has_profile_owner() && !md.profile_owner().mcc_mnc().empty()) {
    sgp22::OperatorId owner;
    owner.mcc_mnc = md.profile_owner().mcc_mnc();
    if (!md.profile_owner().gid1().empty())
      owner.gid1 = md.profile_owner().gid1();
    if (!md.profile_owner().gid2().empty())
      owner.gid2 = md.profile_owner().gid2();
    m.profile_owner = std::move(owner);
  }
  if (md.profile_policy_rules_size() > 0) {
    sgp22::der::BitString pprs;
    for (uint32_t bit : md.profile_policy_rules()) pprs.Set(bit);
    m.profile_policy_rules = std::move(pprs);
  }
  return m;
}

// The profile's PPRs against the eUICC's forbidden ones, its size against
// the free memory (8.2.5/4.3 when not eligible). A field used only here that
// does not parse (extCardResource is TS 102 226 TLV data the eUICC signed
// but we cannot read) counts as unknown: its check is skipped and its name
// appended to `unparsed`, never a refusal (the signature covered the bytes
// as received, so nothing is wrong with the request).
absl::Status CheckEligibility(const ProfileRecord& record,
                              const sgp22::EuiccSigned1& signed1,
                              std::vector<absl::string_view>& unparsed) {
  const sgp22::EuiccInfo2& info2 = signed1.euicc_info2;
  // Fields the decoder could not read (an unparsable
  // forbiddenProfilePolicyRules reads as absent: its check is skipped).
  for (const std::string& field : info2.unparsed_fields) {
    unparsed.push_back(field);
  }
  for (const std::string& field :
       signed1.ctx_params1.common_authentication->device_info.unparsed_fields) {
    unparsed.push_back(field);
  }
  if (info2.forbidden_profile_policy_rules.has_value()) {
    for (uint32_t bit : record.metadata().profile_policy_rules()) {
      if (info2.forbidden_profile_policy_rules->Get(bit)) {
        return GsmaErrorStatus(GsmaError::kNoEligibleProfile,
                               absl::StrCat("the eUICC forbids PPR", bit));
      }
    }
  }
  if (!info2.ext_card_resource.empty()) {
    absl::StatusOr<sgp22::ExtCardResource> resource =
        sgp22::ExtCardResource::Parse(info2.ext_card_resource);
    if (!resource.ok()) {
      unparsed.push_back("extCardResource");
    } else if (resource->free_non_volatile_memory.has_value() &&
               *resource->free_non_volatile_memory < record.profile_size()) {
      return GsmaErrorStatus(
          GsmaError::kNoEligibleProfile,
          absl::StrCat("profile of ", record.profile_size(),
                       " bytes, the eUICC has ",
                       *resource->free_non_volatile_memory, " free"));
    }
  }
  return absl::OkStatus();
}

// PK.EUICC from the certificate kept in the session (verified at
// AuthenticateClient).
absl::Status VerifyWithSessionKey(const SessionRecord& session,
                                  absl::string_view message,
                                  absl::string_view signature) {
  absl::StatusOr<auth::Certificate> cert =
      auth::ParseCertificate(session.euicc_certificate());
  if (!cert.ok()) {
    return GsmaErrorStatus(GsmaError::kUnknownTransactionId,
                           "the session holds no eUICC certificate");
  }
  return auth::VerifyPlainSignature(cert->curve, cert->public_point, message,
                                    signature);
}

bool IsCancelGiveBack(sgp22::CancelSessionReason reason) {
  return reason == sgp22::CancelSessionReason::kPostponed ||
         reason == sgp22::CancelSessionReason::kTimeout;
}

// SessionRecord.extra from AuthenticateClient on (session_state.proto).
constexpr absl::string_view kStatePrefix = "DLS1";

// The download state of `session`; empty for an INITIATED session (extra
// is its CI key id then) and for one written before the state existed.
DownloadSessionState StateOf(const SessionRecord& session) {
  DownloadSessionState state;
  if (session.stage() == SessionRecord::INITIATED) return state;
  absl::string_view extra = session.extra();
  if (!absl::ConsumePrefix(&extra, kStatePrefix)) return state;
  if (!state.ParseFromArray(extra.data(), static_cast<int>(extra.size()))) {
    LogWarning("session ", ToHex(session.transaction_id()),
               ": unreadable download state ignored");
    state.Clear();
  }
  return state;
}

void SetState(SessionRecord& session, const DownloadSessionState& state) {
  if (!state.has_binding()) {
    session.clear_extra();
    return;
  }
  session.set_extra(absl::StrCat(kStatePrefix, state.SerializeAsString()));
}

bool Usable(const KeptBinding& binding) {
  return !binding.euicc_otpk().empty() && !binding.smdp_otpk().empty() &&
         !binding.sealed_shared_secret().empty();
}

}  // namespace

namespace {

// The public answer (function_status.h), logging refusals.
template <typename Response>
absl::StatusOr<Response> Answer(const absl::Status& status, Response response) {
  if (!status.ok() && GetGsmaError(status).has_value()) {
    LogInfo("ES9+ failed: ", status.message());
  }
  return AnswerWithStatus(status, std::move(response));
}

}  // namespace

absl::StatusOr<std::unique_ptr<DownloadService>> DownloadService::Create(
    DownloadServiceOptions options, std::vector<SmdpIdentity> identities,
    std::shared_ptr<const auth::CiTrustStore> trust_store,
    profiles::ProfileStore& store, const hsm::SecretKey& kek,
    hsm::CryptoProvider& provider) {
  std::vector<std::string> problems;
  if (options.smdp_address.empty()) problems.push_back("smdp_address: empty");
  if (!sgp22::der::Oid::FromString(options.smdp_oid).ok()) {
    problems.push_back("smdp_oid: not a dotted OID");
  }
  if (options.host_id.empty() || options.host_id.size() > 16) {
    problems.push_back("host_id: not 1..16 bytes");
  }
  if (options.session_ttl <= absl::ZeroDuration()) {
    problems.push_back("session_ttl: not positive");
  }
  if (options.max_download_attempts == 0) {
    problems.push_back("max_download_attempts: 0");
  }
  if (options.max_cc_attempts == 0) problems.push_back("max_cc_attempts: 0");
  if (identities.empty()) problems.push_back("identities: none");
  if (trust_store == nullptr) problems.push_back("trust_store: null");
  if (!problems.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "DownloadServiceOptions: ", absl::StrJoin(problems, "; ")));
  }
  if (!options.clock) options.clock = [] { return absl::Now(); };
  std::vector<Identity> checked;
  for (SmdpIdentity& identity : identities) {
    if (identity.dpauth_key == nullptr || identity.dppb_key == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("identity ", identity.name, ": missing key"));
    }
    absl::StatusOr<auth::VerifiedSmdpCertificate> dpauth =
        auth::VerifySmdpCertificate(*trust_store, identity.dpauth_cert,
                                    auth::SmdpCertificateRole::kDpAuth,
                                    options.clock());
    if (!dpauth.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat("identity ", identity.name,
                       ": CERT.DPauth: ", dpauth.status().message()));
    }
    if (dpauth->smdp_oid != options.smdp_oid) {
      return absl::FailedPreconditionError(absl::StrCat(
          "identity ", identity.name, ": CERT.DPauth names SM-DP+ OID ",
          dpauth->smdp_oid, ", configured ", options.smdp_oid));
    }
    std::string ci = dpauth->ci_key_id;
    checked.push_back({std::move(identity), std::move(ci)});
  }
  return std::unique_ptr<DownloadService>(
      new DownloadService(std::move(options), std::move(checked),
                          std::move(trust_store), store, kek, provider));
}

DownloadService::DownloadService(
    DownloadServiceOptions options, std::vector<Identity> identities,
    std::shared_ptr<const auth::CiTrustStore> trust_store,
    profiles::ProfileStore& store, const hsm::SecretKey& kek,
    hsm::CryptoProvider& provider)
    : options_(std::move(options)),
      identities_(std::move(identities)),
      trust_store_(trust_store),
      verifier_(std::move(trust_store)),
      store_(store),
      kek_(kek),
      provider_(provider),
      builder_(provider,
               {.host_id = options_.host_id, .smdp_oid = options_.smdp_oid}) {}

absl::Time DownloadService::Now() const { return options_.clock(); }

const DownloadService::Identity* DownloadService::FindIdentity(
    absl::string_view name) const {
  for (const Identity& identity : identities_) {
    if (identity.identity.name == name) return &identity;
  }
  return nullptr;
}

// ---- InitiateAuthentication ------------------------------------------------

absl::StatusOr<es9plus::InitiateAuthenticationResponse>
DownloadService::InitiateAuthentication(
    const es9plus::InitiateAuthenticationRequest& request) {
  es9plus::InitiateAuthenticationResponse response;
  absl::Status status = DoInitiate(request, response);
  return Answer(status, std::move(response));
}

absl::Status DownloadService::DoInitiate(
    const es9plus::InitiateAuthenticationRequest& request,
    es9plus::InitiateAuthenticationResponse& response) {
  // The request's format first (SGP.22 common codes 1.6/2.x), then its
  // meaning.
  if (request.euicc_challenge().empty()) return MissingField("euiccChallenge");
  if (request.euicc_challenge().size() != sgp22::kChallengeSize) {
    return InvalidField(
        "euiccChallenge",
        absl::InvalidArgumentError(
            absl::StrCat(request.euicc_challenge().size(), " bytes, not 16")));
  }
  if (request.smdp_address().empty()) return MissingField("smdpAddress");
  ASSIGN_OR_RETURN(
      sgp22::EuiccInfo1 info1,
      DecodeField<sgp22::EuiccInfo1>("euiccInfo1", request.euicc_info1()));
  if (!IsOurAddress(request.smdp_address(), options_.smdp_address)) {
    return GsmaErrorStatus(
        GsmaError::kInvalidSmdpAddress,
        absl::StrCat("SM-DP+ address '", request.smdp_address(),
                     "' is not ours"));
  }
  if (info1.svn.major != 2 && info1.svn.major != 3) {
    return GsmaErrorStatus(
        GsmaError::kUnsupportedSvn,
        absl::StrCat("SVN ", info1.svn.ToString(), " unsupported"));
  }
  // The CIs the eUICC can sign with that we trust.
  std::vector<std::string> signing = info1.euicc_ci_pkid_list_for_signing;
  if (info1.euicc_ci_pkid_list_for_signing_v3.has_value()) {
    signing.insert(signing.end(),
                   info1.euicc_ci_pkid_list_for_signing_v3->begin(),
                   info1.euicc_ci_pkid_list_for_signing_v3->end());
  }
  std::vector<std::string> trusted_signing;
  for (const std::string& id : signing) {
    if (trust_store_->Find(id) != nullptr) trusted_signing.push_back(id);
  }
  if (trusted_signing.empty()) {
    return GsmaErrorStatus(GsmaError::kUnsupportedCiKey,
                           "no CI in euiccCiPKIdListForSigning is trusted");
  }
  // An identity whose CERT.DPauth the eUICC can verify; preferably of a CI
  // the eUICC also signs with (its certificate then chains to that CI).
  const Identity* chosen = nullptr;
  bool same_ci = false;
  for (const Identity& identity : identities_) {
    bool verifiable = absl::c_linear_search(
        info1.euicc_ci_pkid_list_for_verification, identity.ci_key_id);
    if (!verifiable) continue;
    bool signs = absl::c_linear_search(trusted_signing, identity.ci_key_id);
    if (chosen == nullptr || (signs && !same_ci)) {
      chosen = &identity;
      same_ci = signs;
    }
  }
  if (chosen == nullptr) {
    return GsmaErrorStatus(GsmaError::kNoDpAuthCertificate,
                           "no CERT.DPauth for the CIs in "
                           "euiccCiPKIdListForVerification");
  }
  ASSIGN_OR_RETURN(std::string transaction_id,
                   provider_.RandomBytes(sgp22::kMaxTransactionIdSize));
  ASSIGN_OR_RETURN(std::string server_challenge,
                   provider_.RandomBytes(sgp22::kChallengeSize));
  sgp22::ServerSigned1 signed1;
  signed1.transaction_id = transaction_id;
  signed1.euicc_challenge = request.euicc_challenge();
  // As the LPA gave it (the eUICC compares it with the activation code's).
  signed1.server_address = request.smdp_address();
  signed1.server_challenge = server_challenge;
  auto part = sgp22::SignedPart<sgp22::ServerSigned1>::Make(std::move(signed1));
  ASSIGN_OR_RETURN(std::string signature,
                   chosen->identity.dpauth_key->Sign(part.der));

  const absl::Time now = Now();
  SessionRecord session;
  session.set_transaction_id(transaction_id);
  session.set_stage(SessionRecord::INITIATED);
  session.set_identity(chosen->identity.name);
  session.set_euicc_challenge(request.euicc_challenge());
  session.set_server_challenge(server_challenge);
  session.set_created_at_ms(absl::ToUnixMillis(now));
  session.set_expires_at_ms(absl::ToUnixMillis(now + options_.session_ttl));
  // The CI the eUICC's chain must end at (empty: any trusted CI).
  if (same_ci) session.set_extra(chosen->ci_key_id);
  // Not synced: nothing depends on it yet; after a crash the LPA starts
  // again with "unknown transactionId". It is still visible to every reader.
  RETURN_IF_ERROR(store_.PutSession(session, /*durable=*/false));

  response.set_transaction_id(ToHex(transaction_id));
  response.set_server_signed1(part.der);
  response.set_server_signature1(sgp22::EncodeSignatureTlv(signature));
  response.set_euicc_ci_pk_id_to_be_used(
      sgp22::EncodeSubjectKeyIdentifierTlv(chosen->ci_key_id));
  response.set_server_certificate(chosen->identity.dpauth_cert);
  return absl::OkStatus();
}

// ---- AuthenticateClient ----------------------------------------------------

absl::StatusOr<es9plus::AuthenticateClientResponse>
DownloadService::AuthenticateClient(
    const es9plus::AuthenticateClientRequest& request) {
  es9plus::AuthenticateClientResponse response;
  absl::Status status = DoAuthenticate(request, response);
  return Answer(status, std::move(response));
}

namespace {

// The session of `transaction_id` at `now`, in one of `stages`.
absl::StatusOr<SessionRecord> LoadSession(
    profiles::ProfileStore& store, absl::string_view transaction_id,
    absl::Time now, std::initializer_list<SessionRecord::Stage> stages) {
  absl::StatusOr<SessionRecord> session = store.GetSession(transaction_id, now);
  if (absl::IsNotFound(session.status())) {
    return GsmaErrorStatus(GsmaError::kUnknownTransactionId,
                           absl::StrCat("unknown or expired transactionId ",
                                        ToHex(transaction_id)));
  }
  if (!session.ok()) return session.status();
  if (std::find(stages.begin(), stages.end(), session->stage()) ==
      stages.end()) {
    return GsmaErrorStatus(GsmaError::kUnknownTransactionId,
                           absl::StrCat("transactionId ", ToHex(transaction_id),
                                        " is not at this step"));
  }
  return session;
}

// The checks of an order for a download by `eid` at `now` (in this order:
// EID, expiry, state, confirmation code and download attempts).
absl::Status CheckOrder(const ProfileRecord& record, absl::string_view eid,
                        absl::Time now, const DownloadServiceOptions& options) {
  const store::Order& order = record.order();
  if (!order.eid().empty() && order.eid() != eid) {
    return GsmaErrorStatus(GsmaError::kEidRefused,
                           "the order is bound to another EID");
  }
  if (order.expires_at_ms() != 0 &&
      absl::ToUnixMillis(now) >= order.expires_at_ms()) {
    return GsmaErrorStatus(GsmaError::kDownloadOrderExpired,
                           "the order expired");
  }
  switch (record.state()) {
    case store::RELEASED:
      break;
    case store::DOWNLOADED:
      if (!options.allow_rebinding) {
        return GsmaErrorStatus(GsmaError::kBppUnavailable,
                               "the profile is already bound");
      }
      break;
    case store::ALLOCATED:
    case store::LINKED:
    case store::CONFIRMED:
      return GsmaErrorStatus(GsmaError::kProfileNotReleased,
                             "the profile is not released");
    default:
      if (order.cc_attempts() >= options.max_cc_attempts) {
        return GsmaErrorStatus(GsmaError::kConfirmationCodeRetriesExceeded,
                               "too many wrong confirmation codes");
      }
      return GsmaErrorStatus(
          GsmaError::kMatchingIdRefused,
          absl::StrCat("the order is over (profile ",
                       profiles::StateName(record.state()), ")"));
  }
  if (order.cc_attempts() >= options.max_cc_attempts) {
    return GsmaErrorStatus(GsmaError::kConfirmationCodeRetriesExceeded,
                           "too many wrong confirmation codes");
  }
  if (order.download_attempts() >= options.max_download_attempts) {
    return GsmaErrorStatus(GsmaError::kDownloadRetriesExceeded,
                           "too many download attempts");
  }
  return absl::OkStatus();
}

// The order an empty matchingId selects among `by_eid` (oldest first): the
// oldest one placed without a matchingId that is released or bound; else the
// oldest one placed without a matchingId at all (CheckOrder then says why it
// cannot be downloaded, e.g. 8.2/1.2 not released); nullopt when there is
// none.
std::optional<ProfileRecord> PendingOrderForEid(
    std::vector<ProfileRecord>& by_eid) {
  ProfileRecord* first_ordered = nullptr;
  for (ProfileRecord& p : by_eid) {
    if (!p.order().matching_id().empty()) continue;
    switch (p.state()) {
      case store::RELEASED:
      case store::DOWNLOADED:
        return std::move(p);
      case store::ALLOCATED:
      case store::LINKED:
      case store::CONFIRMED:
        if (first_ordered == nullptr) first_ordered = &p;
        break;
      default:
        break;  // over (installed, error, ...)
    }
  }
  if (first_ordered == nullptr) return std::nullopt;
  return std::move(*first_ordered);
}

}  // namespace

absl::StatusOr<std::optional<KeptBinding>> DownloadService::RetryBinding(
    const ProfileRecord& record, absl::string_view eid,
    const Identity& identity, absl::string_view tid, absl::Time now) {
  const std::string& previous = record.session_transaction_id();
  if (!options_.reuse_one_time_keys || previous.empty() || previous == tid) {
    return std::nullopt;
  }
  absl::StatusOr<SessionRecord> held = store_.GetSession(previous, now);
  if (absl::IsNotFound(held.status())) return std::nullopt;  // expired
  if (!held.ok()) return held.status();
  if (held->eid() != eid || held->iccid() != record.iccid()) {
    return std::nullopt;
  }
  // The eUICC reuses its key only on the curve of CERT.DPpb.
  const Identity* before = FindIdentity(held->identity());
  if (before == nullptr || before->identity.curve != identity.identity.curve) {
    return std::nullopt;
  }
  DownloadSessionState state = StateOf(*held);
  if (!Usable(state.binding())) return std::nullopt;
  return std::move(*state.mutable_binding());
}

absl::Status DownloadService::DoAuthenticate(
    const es9plus::AuthenticateClientRequest& request,
    es9plus::AuthenticateClientResponse& response) {
  const absl::Time now = Now();
  ASSIGN_OR_RETURN(std::string tid,
                   ParseTransactionId(request.transaction_id()));
  ASSIGN_OR_RETURN(SessionRecord session,
                   LoadSession(store_, tid, now, {SessionRecord::INITIATED}));
  const Identity* identity = FindIdentity(session.identity());
  if (identity == nullptr) {
    return absl::InternalError(
        absl::StrCat("session names unknown identity ", session.identity()));
  }
  ASSIGN_OR_RETURN(sgp22::AuthenticateServerResponse decoded,
                   DecodeField<sgp22::AuthenticateServerResponse>(
                       "authenticateServerResponse",
                       request.authenticate_server_response()));
  if (const auto* error =
          std::get_if<sgp22::AuthenticateResponseError>(&decoded.result)) {
    // The eUICC refused us: the session is over.
    RETURN_IF_ERROR(store_.DeleteSession(tid));
    return GsmaErrorStatus(
        GsmaError::kEuiccSignatureInvalid,
        absl::StrCat("the eUICC answered ",
                     sgp22::ToString(error->authenticate_error_code)));
  }
  const auto& ok = std::get<sgp22::AuthenticateResponseOk>(decoded.result);
  auth::EuiccChain chain;
  chain.euicc_certificate = ok.euicc_certificate;
  chain.eum_certificate = ok.eum_certificate;
  for (const std::string& c : ok.other_certs_in_chain) {
    chain.other_certificates.push_back(c);
  }
  ASSIGN_OR_RETURN(auth::VerifiedEuicc euicc,
                   verifier_.Verify(chain, now, session.extra()));
  RETURN_IF_ERROR(
      euicc.public_key.VerifyPlain(ok.euicc_signed1.der, ok.euicc_signature1));
  const sgp22::EuiccSigned1& signed1 = ok.euicc_signed1.value;
  if (signed1.transaction_id != tid) {
    return GsmaErrorStatus(GsmaError::kUnknownTransactionId,
                           "euiccSigned1 carries another transactionId");
  }
  if (!download::ConstantTimeEquals(signed1.server_challenge,
                                    session.server_challenge())) {
    return GsmaErrorStatus(GsmaError::kEuiccSignatureInvalid,
                           "euiccSigned1 carries another serverChallenge");
  }
  if (!IsOurAddress(signed1.server_address, options_.smdp_address)) {
    return GsmaErrorStatus(GsmaError::kInvalidSmdpAddress,
                           "euiccSigned1 names another SM-DP+ address");
  }
  if (!signed1.ctx_params1.common_authentication.has_value()) {
    return GsmaErrorStatus(
        GsmaError::kMatchingIdRefused,
        "ctxParams1 is not ctxParamsForCommonAuthentication");
  }
  const std::optional<std::string>& matching_id =
      signed1.ctx_params1.common_authentication->matching_id;

  // The order.
  ProfileRecord record;
  if (matching_id.has_value() && !matching_id->empty()) {
    absl::StatusOr<ProfileRecord> found =
        store_.GetProfileByMatchingId(*matching_id);
    if (absl::IsNotFound(found.status()) ||
        absl::IsInvalidArgument(found.status())) {
      return GsmaErrorStatus(GsmaError::kMatchingIdRefused,
                             "unknown matchingId");
    }
    if (!found.ok()) return found.status();
    record = *std::move(found);
  } else {
    // Default SM-DP+ / SM-DS (SGP.22 3.1.2): the profile the operator
    // prepared for this EID with no matchingId (ConfirmOrder with the EID
    // and an empty matchingId). An activation-code order is found by its
    // matchingId only, even once a download bound it to this EID: a failed
    // one must not shadow the EID's own order.
    ASSIGN_OR_RETURN(std::vector<ProfileRecord> profiles,
                     store_.GetProfilesByEid(euicc.eid));
    std::optional<ProfileRecord> pending = PendingOrderForEid(profiles);
    if (!pending.has_value()) {
      return GsmaErrorStatus(GsmaError::kEidRefused,
                             "no order is pending for this EID");
    }
    record = *std::move(pending);
  }
  absl::Status check = CheckOrder(record, euicc.eid, now, options_);
  if (check.ok()) {
    std::vector<absl::string_view> unparsed;
    check = CheckEligibility(record, signed1, unparsed);
    if (!unparsed.empty()) {
      unparsed_eligibility_fields_.fetch_add(unparsed.size(),
                                             std::memory_order_relaxed);
      LogInfo("AuthenticateClient ", ToHex(tid), ": EUICCInfo2/DeviceInfo ",
              absl::StrJoin(unparsed, ", "),
              " does not parse; eligibility skips it");
    }
  }
  if (!check.ok()) {
    std::optional<GsmaError> e = GetGsmaError(check);
    if (e == GsmaError::kNoEligibleProfile ||
        e == GsmaError::kDownloadRetriesExceeded ||
        e == GsmaError::kDownloadOrderExpired) {
      // Notification point 1 (eligibility and retry limit) reports it.
      profiles::TransitionRequest notify;
      notify.iccid = record.iccid();
      notify.from = {record.state()};
      notify.to = record.state();
      notify.audit.set_actor(Actor(euicc.eid));
      notify.audit.set_action("AuthenticateClient");
      notify.audit.set_detail(std::string(check.message()));
      notify.notify = Callback(kPointEligibility, euicc.eid, check, now);
      absl::Status s = store_.Transition(notify).status();
      if (!s.ok() && !absl::IsFailedPrecondition(s)) return s;
    }
    return check;
  }

  // A retry: the binding of the session that held the profile before, if
  // the eUICC may still hold its one-time key (bppEuiccOtpk).
  const std::string previous_tid = record.session_transaction_id();
  ASSIGN_OR_RETURN(std::optional<KeptBinding> offer,
                   RetryBinding(record, euicc.eid, *identity, tid, now));
  std::string detail = absl::StrCat("transactionId ", ToHex(tid));
  if (offer.has_value() || record.state() == store::DOWNLOADED) {
    absl::StrAppend(&detail, "; retry of transactionId ", ToHex(previous_tid),
                    offer.has_value() ? ", bppEuiccOtpk offered"
                                      : ", no kept one-time key");
  }

  // smdpSigned2 and the session's next stage, committed with the hold.
  const bool cc_required = !record.order().confirmation_code_hash().empty();
  sgp22::SmdpSigned2 signed2;
  signed2.transaction_id = tid;
  signed2.cc_required_flag = cc_required;
  if (offer.has_value()) signed2.bpp_euicc_otpk = offer->euicc_otpk();
  auto part2 = sgp22::SignedPart<sgp22::SmdpSigned2>::Make(std::move(signed2));
  ASSIGN_OR_RETURN(std::string signature2,
                   identity->identity.dppb_key->Sign(
                       SmdpSignature2Input(part2.der, ok.euicc_signature1)));
  session.set_stage(SessionRecord::AUTHENTICATED);
  session.set_eid(euicc.eid);
  session.set_iccid(record.iccid());
  session.set_euicc_certificate(ok.euicc_certificate);
  session.set_eum_certificate(ok.eum_certificate);
  session.set_smdp_signature2(signature2);
  session.set_cc_required(cc_required);
  session.set_expires_at_ms(absl::ToUnixMillis(now + options_.session_ttl));
  // From here on extra is the download state (the CI key id was needed only
  // for the checks above).
  DownloadSessionState state;
  if (offer.has_value()) {
    *state.mutable_binding() = *std::move(offer);
    state.set_retry_of_transaction_id(previous_tid);
  }
  SetState(session, state);

  // Hold the profile for this session: count the attempt, bind the EID; the
  // session is written in the same commit.
  profiles::TransitionRequest hold;
  hold.session = session;
  hold.iccid = record.iccid();
  hold.from = {store::RELEASED, store::DOWNLOADED};
  hold.to = store::RELEASED;
  const std::string eid = euicc.eid;
  hold.mutate = [&](ProfileRecord& r) -> absl::Status {
    RETURN_IF_ERROR(CheckOrder(r, eid, now, options_));
    store::Order* order = r.mutable_order();
    order->set_download_attempts(order->download_attempts() + 1);
    if (order->eid().empty()) order->set_eid(eid);
    r.set_session_transaction_id(tid);
    return absl::OkStatus();
  };
  hold.audit.set_actor(Actor(eid));
  hold.audit.set_action("AuthenticateClient");
  hold.audit.set_detail(detail);
  hold.notify = Callback(kPointEligibility, eid, absl::OkStatus(), now);
  absl::StatusOr<ProfileRecord> held = store_.Transition(hold);
  if (absl::IsFailedPrecondition(held.status())) {
    return GsmaErrorStatus(GsmaError::kProfileNotReleased,
                           held.status().message());
  }
  if (!held.ok()) return held.status();

  ASSIGN_OR_RETURN(sgp22::StoreMetadataRequest metadata, MetadataOf(*held));

  response.set_transaction_id(ToHex(tid));
  response.set_profile_metadata(metadata.Encode());
  response.set_smdp_signed2(part2.der);
  response.set_smdp_signature2(sgp22::EncodeSignatureTlv(signature2));
  response.set_smdp_certificate(identity->identity.dppb_cert);
  return absl::OkStatus();
}

// ---- GetBoundProfilePackage ------------------------------------------------

absl::StatusOr<es9plus::GetBoundProfilePackageResponse>
DownloadService::GetBoundProfilePackage(
    const es9plus::GetBoundProfilePackageRequest& request) {
  es9plus::GetBoundProfilePackageResponse response;
  absl::Status status = DoGetBpp(request, response);
  return Answer(status, std::move(response));
}

absl::Status DownloadService::DoGetBpp(
    const es9plus::GetBoundProfilePackageRequest& request,
    es9plus::GetBoundProfilePackageResponse& response) {
  const absl::Time now = Now();
  ASSIGN_OR_RETURN(std::string tid,
                   ParseTransactionId(request.transaction_id()));
  // BPP_SENT: the LPA lost the answer and asks again; it gets a new binding
  // for the same otPK.EUICC, with the same one-time keys when they were kept.
  ASSIGN_OR_RETURN(
      SessionRecord session,
      LoadSession(store_, tid, now,
                  {SessionRecord::AUTHENTICATED, SessionRecord::BPP_SENT}));
  const Identity* identity = FindIdentity(session.identity());
  if (identity == nullptr) {
    return absl::InternalError(
        absl::StrCat("session names unknown identity ", session.identity()));
  }
  ASSIGN_OR_RETURN(
      sgp22::PrepareDownloadResponse decoded,
      DecodeField<sgp22::PrepareDownloadResponse>(
          "prepareDownloadResponse", request.prepare_download_response()));
  if (const auto* error =
          std::get_if<sgp22::PrepareDownloadResponseError>(&decoded.result)) {
    return GsmaErrorStatus(
        GsmaError::kEuiccSignatureInvalid,
        absl::StrCat("the eUICC answered ",
                     sgp22::ToString(error->download_error_code)));
  }
  const auto& ok = std::get<sgp22::PrepareDownloadResponseOk>(decoded.result);
  RETURN_IF_ERROR(VerifyWithSessionKey(
      session,
      EuiccSignature2Input(ok.euicc_signed2.der, session.smdp_signature2()),
      ok.euicc_signature2));
  const sgp22::EuiccSigned2& signed2 = ok.euicc_signed2.value;
  if (signed2.transaction_id != tid) {
    return GsmaErrorStatus(GsmaError::kUnknownTransactionId,
                           "euiccSigned2 carries another transactionId");
  }
  if (session.stage() == SessionRecord::BPP_SENT &&
      signed2.euicc_otpk != session.euicc_otpk()) {
    return GsmaErrorStatus(GsmaError::kUnknownTransactionId,
                           "the BPP of this session was already sent");
  }
  absl::StatusOr<auth::PublicKey> otpk =
      auth::PublicKey::FromPoint(identity->identity.curve, signed2.euicc_otpk);
  if (!otpk.ok()) return Malformed("euiccOtpk", otpk.status());

  ASSIGN_OR_RETURN(ProfileRecord record, store_.GetProfile(session.iccid()));
  if (record.session_transaction_id() != tid) {
    RETURN_IF_ERROR(store_.DeleteSession(tid));
    return GsmaErrorStatus(GsmaError::kBppUnavailable,
                           "another session holds the profile");
  }

  // The confirmation code (SGP.22 3.1.3.2, 5.6.3). A missing or wrong code
  // keeps the session and the hold: the LPA asks the user again and calls
  // PrepareDownload and GetBoundProfilePackage anew with the same
  // transactionId. Each wrong code counts; the last one allowed ends the
  // order (ERROR, notification point 2) in the same commit.
  if (session.cc_required()) {
    if (!signed2.hash_cc.has_value()) {
      return GsmaErrorStatus(GsmaError::kConfirmationCodeMissing,
                             "hashCc missing");
    }
    const std::string expected =
        HashCcFromCodeHash(record.order().confirmation_code_hash(), tid);
    if (!ConstantTimeEquals(*signed2.hash_cc, expected)) {
      return RefuseConfirmationCode(record, session, now);
    }
  }

  // Bind (`record` carries the content).
  const std::string iccid = record.iccid();
  ASSIGN_OR_RETURN(sgp22::StoreMetadataRequest metadata, MetadataOf(record));
  ASSIGN_OR_RETURN(
      profiles::preparation::ProfileForBinding profile,
      profiles::preparation::OpenProfileForBinding(std::move(record), kek_));
  // The one-time keys: those of the binding this session holds (offered
  // in smdpSigned2.bppEuiccOtpk, or of the BPP already sent) when the eUICC
  // answered that otPK.EUICC.ECKA; fresh ones otherwise.
  const DownloadSessionState state = StateOf(session);
  const bool had_binding = Usable(state.binding());
  const KeptBinding* kept =
      options_.reuse_one_time_keys && had_binding &&
              state.binding().euicc_otpk() == signed2.euicc_otpk
          ? &state.binding()
          : nullptr;
  KeptAgreement reuse;
  if (kept != nullptr) {
    reuse.smdp_otpk = kept->smdp_otpk();
    reuse.sealed_shared_secret = kept->sealed_shared_secret();
  }
  BindingRequest binding;
  binding.transaction_id = tid;
  binding.eid = session.eid();
  binding.euicc_otpk = signed2.euicc_otpk;
  binding.dppb_key = identity->identity.dppb_key.get();
  binding.metadata = std::move(metadata);
  if (options_.reuse_one_time_keys) {
    binding.kek = &kek_;
    binding.kept_context = iccid;
    if (kept != nullptr) binding.reuse = &reuse;
  }
  const ProfileToBind to_bind =
      profile.is_protected()
          ? ProfileToBind::Protected(*profile.protected_profile)
          : ProfileToBind::Plain(profile.upp);
  absl::StatusOr<BoundPackage> bound = builder_.Build(binding, to_bind);
  if (kept != nullptr && absl::IsDataLoss(bound.status())) {
    // The eUICC accepts any otPK.DP.ECKA: bind afresh.
    LogWarning("GetBoundProfilePackage ", ToHex(tid), ": ",
               bound.status().message(), "; binding with fresh one-time keys");
    kept = nullptr;
    binding.reuse = nullptr;
    bound = builder_.Build(binding, to_bind);
  }
  if (absl::IsInvalidArgument(bound.status())) {
    return Malformed("binding", bound.status());
  }
  if (!bound.ok()) return bound.status();
  std::string detail = absl::StrCat("transactionId ", ToHex(tid));
  if (kept != nullptr) {
    absl::StrAppend(&detail, "; one-time keys of transactionId ",
                    ToHex(kept->bound_transaction_id()),
                    " reused (bppEuiccOtpk)");
  } else if (had_binding && options_.reuse_one_time_keys) {
    absl::StrAppend(&detail, "; fresh one-time keys (",
                    state.binding().euicc_otpk() == signed2.euicc_otpk
                        ? "the kept ones are unusable"
                        : "the eUICC answered a new otPK.EUICC.ECKA",
                    ")");
  }

  DownloadSessionState sent;
  if (bound->kept.has_value()) {
    KeptBinding& b = *sent.mutable_binding();
    b.set_euicc_otpk(signed2.euicc_otpk);
    b.set_smdp_otpk(bound->kept->smdp_otpk);
    b.set_sealed_shared_secret(bound->kept->sealed_shared_secret);
    b.set_bound_transaction_id(kept != nullptr ? kept->bound_transaction_id()
                                               : tid);
  }
  session.set_stage(SessionRecord::BPP_SENT);
  session.set_euicc_otpk(signed2.euicc_otpk);
  session.set_smdp_otpk(bound->smdp_otpk);
  session.set_expires_at_ms(
      absl::ToUnixMillis(now + options_.notification_ttl));
  SetState(session, sent);

  // The profile change and the session's new stage in one commit.
  profiles::TransitionRequest deliver;
  deliver.session = session;
  deliver.iccid = iccid;
  deliver.from = {store::RELEASED, store::DOWNLOADED};
  deliver.to = store::DOWNLOADED;
  deliver.mutate = [&](ProfileRecord& r) -> absl::Status {
    if (r.session_transaction_id() != tid) {
      return GsmaErrorStatus(GsmaError::kBppUnavailable,
                             "another session holds the profile");
    }
    return absl::OkStatus();
  };
  deliver.audit.set_actor(Actor(session.eid()));
  deliver.audit.set_action("GetBoundProfilePackage");
  deliver.audit.set_detail(detail);
  deliver.notify =
      Callback(kPointBppDownload, session.eid(), absl::OkStatus(), now);
  absl::StatusOr<ProfileRecord> delivered = store_.Transition(deliver);
  if (absl::IsFailedPrecondition(delivered.status())) {
    return GsmaErrorStatus(GsmaError::kBppUnavailable,
                           delivered.status().message());
  }
  if (!delivered.ok()) return delivered.status();

  response.set_transaction_id(ToHex(tid));
  response.set_bound_profile_package(std::move(bound->der));
  return absl::OkStatus();
}

absl::Status DownloadService::RefuseConfirmationCode(
    ProfileRecord record, const SessionRecord& session, absl::Time now) {
  const std::string& tid = session.transaction_id();
  // A compare-and-set on the count (where the change goes depends on it):
  // a concurrent wrong code makes it read the order again, a few times.
  for (int attempt = 0; attempt < 8; ++attempt) {
    const uint32_t counted = record.order().cc_attempts() + 1;
    const bool exhausted = counted >= options_.max_cc_attempts;
    const absl::Status refusal =
        exhausted ? GsmaErrorStatus(GsmaError::kConfirmationCodeRetriesExceeded,
                                    "too many wrong confirmation codes")
                  : GsmaErrorStatus(
                        GsmaError::kConfirmationCodeRefused,
                        absl::StrCat("wrong confirmation code (", counted,
                                     " of ", options_.max_cc_attempts, ")"));
    profiles::TransitionRequest t;
    t.iccid = record.iccid();
    t.from = {record.state()};
    t.to = exhausted ? store::ERROR : record.state();
    t.mutate = [&](ProfileRecord& r) -> absl::Status {
      if (r.order().cc_attempts() + 1 != counted ||
          r.session_transaction_id() != tid) {
        return absl::AbortedError("the order changed");
      }
      r.mutable_order()->set_cc_attempts(counted);
      if (exhausted) {
        r.clear_session_transaction_id();
        r.set_last_result("confirmation code retries exceeded");
      }
      return absl::OkStatus();
    };
    t.audit.set_actor(Actor(session.eid()));
    t.audit.set_action("GetBoundProfilePackage");
    t.audit.set_detail(exhausted
                           ? std::string("confirmation code retries exceeded")
                           : std::string(refusal.message()));
    if (exhausted) {
      t.notify =
          Callback(kPointConfirmationFailure, session.eid(), refusal, now);
    }
    absl::Status s = store_.Transition(t).status();
    if (!absl::IsAborted(s) && !absl::IsFailedPrecondition(s)) {
      RETURN_IF_ERROR(s);
      // At the limit the order is over: nothing can be bound any more.
      if (exhausted) RETURN_IF_ERROR(store_.DeleteSession(tid));
      return refusal;
    }
    ASSIGN_OR_RETURN(record, store_.GetProfileHead(record.iccid()));
    if (record.session_transaction_id() != tid) {
      return GsmaErrorStatus(GsmaError::kBppUnavailable,
                             "another session holds the profile");
    }
  }
  return absl::AbortedError("the order kept changing while counting a code");
}

// ---- HandleNotification ----------------------------------------------------

absl::StatusOr<es9plus::HandleNotificationResponse>
DownloadService::HandleNotification(
    const es9plus::HandleNotificationRequest& request) {
  absl::Status status = DoNotification(request);
  return Answer(status, es9plus::HandleNotificationResponse());
}

absl::Status DownloadService::DoNotification(
    const es9plus::HandleNotificationRequest& request) {
  const absl::Time now = Now();
  ASSIGN_OR_RETURN(sgp22::PendingNotification decoded,
                   DecodeField<sgp22::PendingNotification>(
                       "pendingNotification", request.pending_notification()));

  if (const auto* other =
          std::get_if<sgp22::OtherSignedNotification>(&decoded.notification)) {
    // Enable / disable / delete: verified with the certificate it carries,
    // recorded in the audit trail.
    auth::EuiccChain chain;
    chain.euicc_certificate = other->euicc_certificate;
    chain.eum_certificate = other->eum_certificate;
    for (const std::string& c : other->other_certs_in_chain) {
      chain.other_certificates.push_back(c);
    }
    ASSIGN_OR_RETURN(auth::VerifiedEuicc euicc, verifier_.Verify(chain, now));
    RETURN_IF_ERROR(
        euicc.public_key.VerifyPlain(other->tbs_other_notification.der,
                                     other->euicc_notification_signature));
    const sgp22::NotificationMetadata& md = other->tbs_other_notification.value;
    if (md.iccid.has_value()) {
      absl::StatusOr<std::string> iccid =
          profiles::saip::DecodeIccidFile(*md.iccid);
      if (iccid.ok()) {
        store::AuditEntry entry;
        entry.set_actor(Actor(euicc.eid));
        entry.set_action("HandleNotification");
        entry.set_iccid(*iccid);
        std::optional<sgp22::NotificationEvent> event = md.Event();
        entry.set_detail(absl::StrCat(
            "event ", event.has_value() ? static_cast<int>(*event) : -1,
            " seq ", md.seq_number));
        RETURN_IF_ERROR(store_.AppendAudit(std::move(entry)));
      }
    }
    return absl::OkStatus();
  }

  const auto& pir =
      std::get<sgp22::ProfileInstallationResult>(decoded.notification);
  const sgp22::ProfileInstallationResultData& data = pir.data.value;
  const std::string& tid = data.transaction_id;
  ASSIGN_OR_RETURN(SessionRecord session,
                   LoadSession(store_, tid, now, {SessionRecord::BPP_SENT}));
  RETURN_IF_ERROR(
      VerifyWithSessionKey(session, pir.data.der, pir.euicc_sign_pir));
  if (data.smdp_oid.has_value() &&
      data.smdp_oid->ToString() != options_.smdp_oid) {
    return GsmaErrorStatus(
        GsmaError::kInvalidSmdpOid,
        "ProfileInstallationResult names another SM-DP+ OID");
  }
  const bool success =
      std::holds_alternative<sgp22::SuccessResult>(data.final_result);
  std::string result = "installed";
  if (const auto* error = std::get_if<sgp22::ErrorResult>(&data.final_result)) {
    result = absl::StrCat("error ", sgp22::ToString(error->bpp_command_id), " ",
                          sgp22::ToString(error->error_reason));
  }
  ASSIGN_OR_RETURN(ProfileRecord record,
                   store_.GetProfileHead(session.iccid()));
  if (record.session_transaction_id() != tid ||
      (record.state() != store::DOWNLOADED && record.state() != store::ERROR) ||
      (record.state() == store::ERROR &&
       (!success && record.last_result() == result))) {
    // A duplicate (the result is already recorded) or a result for a
    // session that no longer holds the profile: nothing changes.
    return absl::OkStatus();
  }
  // ERROR held by this session: the LPA reported the failure first
  // (cancelSessionResponseError after the BPP); the eUICC's signed result
  // is the truth: its error reason replaces the LPA's, and a success
  // installs the profile after all.
  const bool reported_before = record.state() == store::ERROR;
  profiles::TransitionRequest finish;
  finish.iccid = record.iccid();
  finish.from = {record.state()};
  finish.to = success ? store::INSTALLED : store::ERROR;
  finish.mutate = [&](ProfileRecord& r) -> absl::Status {
    if (r.session_transaction_id() != tid) {
      return absl::FailedPreconditionError("held by another session");
    }
    r.set_last_result(result);
    return absl::OkStatus();
  };
  finish.audit.set_actor(Actor(session.eid()));
  finish.audit.set_action("HandleNotification");
  finish.audit.set_detail(result);
  // The operator already heard of a reported failure; it hears of the
  // result when it differs (an installation after all).
  if (!reported_before || success) {
    finish.notify =
        Callback(kPointBppInstallation, session.eid(),
                 success ? absl::OkStatus() : absl::AbortedError(result), now,
                 result, request.pending_notification());
  }
  absl::Status s = store_.Transition(finish).status();
  if (!s.ok() && !absl::IsFailedPrecondition(s)) return s;
  // The session is kept until it expires, so a duplicate is recognised; its
  // one-time key agreement is of no more use (the order is over).
  if (s.ok() && !session.extra().empty()) {
    session.clear_extra();
    // Not synced: losing it only keeps a sealed, useless secret until the
    // session expires.
    RETURN_IF_ERROR(store_.PutSession(session, /*durable=*/false));
  }
  return absl::OkStatus();
}

namespace {

// How a cancelled session ends the order it holds.
struct CancelOutcome {
  store::ProfileState to = store::RELEASED;  // RELEASED (given back) or ERROR
  std::string why;                           // last_result, callback message
  std::string audit_detail;
  // The session as it stays, still holding the profile; nullopt: the session
  // is deleted and the profile's hold cleared.
  std::optional<SessionRecord> kept;
};

// Ends `session` as `outcome` says: one commit of the profile change, its
// audit entry, the operator callback (point 4 after the BPP, else 3, Failed)
// and the kept session. A profile another session holds by now is left as
// it is.
absl::Status EndCancelledSession(profiles::ProfileStore& store,
                                 const SessionRecord& session,
                                 CancelOutcome outcome, absl::Time now) {
  const std::string& tid = session.transaction_id();
  const bool keep = outcome.kept.has_value();
  profiles::TransitionRequest t;
  t.iccid = session.iccid();
  t.from = {store::RELEASED, store::DOWNLOADED};
  t.to = outcome.to;
  t.mutate = [&](ProfileRecord& r) -> absl::Status {
    if (r.session_transaction_id() != tid) {
      return absl::FailedPreconditionError("held by another session");
    }
    if (!keep) r.clear_session_transaction_id();
    r.set_last_result(outcome.why);
    return absl::OkStatus();
  };
  t.session = std::move(outcome.kept);
  t.audit.set_actor(Actor(session.eid()));
  t.audit.set_action("CancelSession");
  t.audit.set_detail(outcome.audit_detail);
  t.notify = Callback(
      session.stage() == SessionRecord::BPP_SENT ? kPointBppInstallation
                                                 : kPointBppDownload,
      session.eid(), absl::AbortedError(outcome.why), now, outcome.why);
  absl::Status s = store.Transition(t).status();
  if (!s.ok() && !absl::IsFailedPrecondition(s)) return s;
  if (s.ok() && keep) return absl::OkStatus();
  return store.DeleteSession(tid);
}

}  // namespace

// ---- CancelSession ---------------------------------------------------------

absl::StatusOr<es9plus::CancelSessionResponse> DownloadService::CancelSession(
    const es9plus::CancelSessionRequest& request) {
  absl::Status status = DoCancel(request);
  return Answer(status, es9plus::CancelSessionResponse());
}

absl::Status DownloadService::DoCancel(
    const es9plus::CancelSessionRequest& request) {
  const absl::Time now = Now();
  ASSIGN_OR_RETURN(std::string tid,
                   ParseTransactionId(request.transaction_id()));
  ASSIGN_OR_RETURN(
      SessionRecord session,
      LoadSession(store_, tid, now,
                  {SessionRecord::INITIATED, SessionRecord::AUTHENTICATED,
                   SessionRecord::BPP_SENT}));
  ASSIGN_OR_RETURN(
      sgp22::CancelSessionResponse decoded,
      DecodeField<sgp22::CancelSessionResponse>(
          "cancelSessionResponse", request.cancel_session_response()));
  if (const auto* error =
          std::get_if<sgp22::CancelSessionError>(&decoded.result)) {
    return EndAfterEuiccCancelError(session, *error, now);
  }
  const auto& ok = std::get<sgp22::CancelSessionResponseOk>(decoded.result);
  const sgp22::EuiccCancelSessionSigned& signed_part =
      ok.euicc_cancel_session_signed.value;
  if (signed_part.smdp_oid.ToString() != options_.smdp_oid) {
    return GsmaErrorStatus(
        GsmaError::kInvalidSmdpOid,
        absl::StrCat("smdpOid ", signed_part.smdp_oid.ToString(),
                     " is not ours"));
  }
  if (signed_part.transaction_id != tid) {
    return GsmaErrorStatus(
        GsmaError::kUnknownTransactionId,
        "euiccCancelSessionSigned carries another transactionId");
  }
  if (session.stage() == SessionRecord::INITIATED) {
    // No eUICC certificate yet and no profile held: just end it.
    return store_.DeleteSession(tid);
  }
  RETURN_IF_ERROR(VerifyWithSessionKey(session,
                                       ok.euicc_cancel_session_signed.der,
                                       ok.euicc_cancel_session_signature));

  const sgp22::CancelSessionReason reason = signed_part.reason;
  const bool give_back = IsCancelGiveBack(reason);
  // Postponed or timeout (SGP.22 5.6.5, 3.1.3): the download may resume,
  // so, like an interrupted load, the session's one-time key agreement is
  // kept for the retry (its bppEuiccOtpk); the session stays, CANCELLED,
  // as long as a delivered one would. Other reasons end the order and drop
  // it.
  const bool keep_binding = give_back && options_.reuse_one_time_keys &&
                            Usable(StateOf(session).binding());
  CancelOutcome outcome;
  outcome.to = give_back ? store::RELEASED : store::ERROR;
  outcome.why = absl::StrCat("cancelled: ", sgp22::ToString(reason));
  outcome.audit_detail =
      keep_binding
          ? absl::StrCat(outcome.why, "; one-time keys kept for a retry")
          : outcome.why;
  if (keep_binding) {
    // A kept binding is found through the profile's session.
    SessionRecord kept = session;
    kept.set_stage(SessionRecord::CANCELLED);
    kept.set_expires_at_ms(absl::ToUnixMillis(now + options_.notification_ttl));
    outcome.kept = std::move(kept);
  }
  return EndCancelledSession(store_, session, std::move(outcome), now);
}

absl::Status DownloadService::EndAfterEuiccCancelError(
    const SessionRecord& session, sgp22::CancelSessionError error,
    absl::Time now) {
  // SGP.22 5.6.5 verifies only a signed answer: an error means the eUICC
  // has no session of this transactionId any more. LPAs (lpac) cancel after
  // any failed step, a failed LoadBoundProfilePackage among them, and the
  // eUICC, which already ended that session, answers an error. The request
  // succeeds; what it means for the order depends on how far the session
  // went.
  const std::string& tid = session.transaction_id();
  const std::string euicc_said = absl::StrCat(
      "the eUICC answered cancelSessionResponseError ", sgp22::ToString(error));
  if (session.stage() == SessionRecord::INITIATED) {
    return store_.DeleteSession(tid);
  }
  const bool bpp_sent = session.stage() == SessionRecord::BPP_SENT;
  // After the BPP: the installation failed (the eUICC's own
  // ProfileInstallationResult, if it comes, is still recorded). Before it:
  // nothing was bound; the profile is given back for another attempt.
  CancelOutcome outcome;
  outcome.to = bpp_sent ? store::ERROR : store::RELEASED;
  outcome.why = bpp_sent ? absl::StrCat("installation failed: ", euicc_said)
                         : absl::StrCat("cancelled: ", euicc_said);
  outcome.audit_detail = outcome.why;
  if (bpp_sent) {
    // The session stays the profile's, so that the eUICC's
    // ProfileInstallationResult still verifies and is recorded; the order is
    // over, so it keeps no retry binding.
    SessionRecord ended = session;
    ended.clear_extra();
    outcome.kept = std::move(ended);
  }
  return EndCancelledSession(store_, session, std::move(outcome), now);
}

// ---- Expired sessions ------------------------------------------------------

absl::StatusOr<size_t> DownloadService::CleanUpExpiredSessions(size_t limit) {
  ASSIGN_OR_RETURN(std::vector<SessionRecord> expired,
                   store_.DeleteExpiredSessions(Now(), limit));
  for (const SessionRecord& session : expired) {
    if (session.iccid().empty()) continue;
    const std::string tid = session.transaction_id();
    profiles::TransitionRequest release;
    release.iccid = session.iccid();
    release.from = {store::RELEASED, store::DOWNLOADED};
    release.to = store::RELEASED;
    release.mutate = [&](ProfileRecord& r) -> absl::Status {
      if (r.session_transaction_id() != tid) {
        return absl::FailedPreconditionError("held by another session");
      }
      r.clear_session_transaction_id();
      return absl::OkStatus();
    };
    release.audit.set_actor("system");
    release.audit.set_action("SessionExpired");
    release.audit.set_detail(absl::StrCat("transactionId ", ToHex(tid)));
    absl::Status s = store_.Transition(release).status();
    if (!s.ok() && !absl::IsFailedPrecondition(s) && !absl::IsNotFound(s)) {
      return s;
    }
  }
  return expired.size();
}

}  // namespace smdp::download
