#include "profiles/rocksdb/internal/keys.h"

#include "absl/strings/str_cat.h"

namespace smdp::profiles::internal {
namespace {

constexpr uint64_t kSignBit = uint64_t{1} << 63;

std::string Tagged(char tag, absl::string_view a) {
  std::string key;
  key.reserve(1 + a.size());
  key.push_back(tag);
  key.append(a.data(), a.size());
  return key;
}

std::string Tagged(char tag, absl::string_view a, absl::string_view b) {
  std::string key = Tagged(tag, a);
  key.push_back('\0');
  key.append(b.data(), b.size());
  return key;
}

}  // namespace

std::string EncodeU64(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return out;
}

std::optional<uint64_t> DecodeU64(absl::string_view bytes) {
  if (bytes.size() != 8) return std::nullopt;
  uint64_t v = 0;
  for (char c : bytes) v = (v << 8) | static_cast<uint8_t>(c);
  return v;
}

std::string EncodeTimeMs(int64_t ms) {
  return EncodeU64(static_cast<uint64_t>(ms) ^ kSignBit);
}

int64_t DecodeTimeMs(absl::string_view bytes) {
  return static_cast<int64_t>(DecodeU64(bytes).value_or(kSignBit) ^ kSignBit);
}

std::string PrefixUpperBound(absl::string_view prefix) {
  std::string bound(prefix);
  while (!bound.empty()) {
    unsigned char last = static_cast<unsigned char>(bound.back());
    if (last != 0xff) {
      bound.back() = static_cast<char>(last + 1);
      return bound;
    }
    bound.pop_back();
  }
  return bound;
}

std::string SessionKey(absl::string_view transaction_id) {
  return Tagged(kSessionTag, transaction_id);
}

std::string SessionExpiryKey(int64_t expires_at_ms,
                             absl::string_view transaction_id) {
  std::string key = Tagged(kSessionExpiryTag, EncodeTimeMs(expires_at_ms));
  key.append(transaction_id.data(), transaction_id.size());
  return key;
}

std::string OutboxKey(uint64_t id) { return Tagged(kOutboxTag, EncodeU64(id)); }

std::string OutboxDueKey(int64_t next_attempt_ms, uint64_t id) {
  return absl::StrCat(Tagged(kOutboxDueTag, EncodeTimeMs(next_attempt_ms)),
                      EncodeU64(id));
}

std::string OutboxByIccidKey(absl::string_view iccid, uint64_t id) {
  return Tagged(kOutboxByIccidTag, iccid, EncodeU64(id));
}

std::string OutboxByIccidPrefix(absl::string_view iccid) {
  return Tagged(kOutboxByIccidTag, iccid, "");
}

std::string AuditKey(uint64_t seq) { return Tagged(kAuditTag, EncodeU64(seq)); }

std::string AuditByIccidKey(absl::string_view iccid, uint64_t seq) {
  return Tagged(kAuditByIccidTag, iccid, EncodeU64(seq));
}

std::string AuditByIccidPrefix(absl::string_view iccid) {
  return Tagged(kAuditByIccidTag, iccid, "");
}

std::string MatchingIdKey(absl::string_view matching_id) {
  return Tagged(kMatchingIdTag, matching_id);
}

std::string FunctionCallKey(absl::string_view operator_id,
                            absl::string_view function_call_id) {
  return Tagged(kFunctionCallTag, operator_id, function_call_id);
}

std::string EidKey(absl::string_view eid, absl::string_view iccid) {
  return Tagged(kEidTag, eid, iccid);
}

std::string EidPrefix(absl::string_view eid) {
  return Tagged(kEidTag, eid, "");
}

std::string AvailableKey(absl::string_view operator_id,
                         absl::string_view profile_type,
                         absl::string_view iccid) {
  std::string key = Tagged(kAvailableTag, operator_id, profile_type);
  key.push_back('\0');
  key.append(iccid.data(), iccid.size());
  return key;
}

std::string AvailablePrefix(absl::string_view operator_id,
                            absl::string_view profile_type) {
  std::string key = Tagged(kAvailableTag, operator_id, profile_type);
  key.push_back('\0');
  return key;
}

std::string StatePrefix(store::ProfileState state) {
  std::string key(1, kStateTag);
  key.push_back(static_cast<char>(state));
  return key;
}

std::string StateOperatorPrefix(store::ProfileState state,
                                absl::string_view operator_id) {
  std::string key = StatePrefix(state);
  key.append(operator_id.data(), operator_id.size());
  key.push_back('\0');
  return key;
}

std::string StateKey(store::ProfileState state, absl::string_view operator_id,
                     absl::string_view iccid) {
  std::string key = StateOperatorPrefix(state, operator_id);
  key.append(iccid.data(), iccid.size());
  return key;
}

std::string OperatorKey(absl::string_view operator_id,
                        absl::string_view iccid) {
  return Tagged(kOperatorTag, operator_id, iccid);
}

std::string OperatorPrefix(absl::string_view operator_id) {
  return Tagged(kOperatorTag, operator_id, "");
}

std::string BatchMemberKey(absl::string_view batch_id,
                           absl::string_view iccid) {
  return Tagged(kBatchTag, batch_id, iccid);
}

std::string BatchMemberPrefix(absl::string_view batch_id) {
  return Tagged(kBatchTag, batch_id, "");
}

absl::string_view IccidAfterLastNul(absl::string_view key) {
  size_t pos = key.rfind('\0');
  return pos == absl::string_view::npos ? absl::string_view()
                                        : key.substr(pos + 1);
}

}  // namespace smdp::profiles::internal
