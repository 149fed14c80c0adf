// Internal to sgp22: field readers with the ASN.1 size constraints, and
// the per-struct readers and writers the message files share (a structure
// nested in another is read from the parent's Reader, so the whole message
// is validated once and never copied on the way down).
#ifndef SMDP_SGP22_INTERNAL_CODEC_H_
#define SMDP_SGP22_INTERNAL_CODEC_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "sgp22/der.h"
#include "sgp22/types.h"

namespace smdp::sgp22 {

struct EuiccInfo2;
struct CtxParams1;
struct DeviceInfo;
struct NotificationMetadata;
struct InitialiseSecureChannelRequest;
struct StoreMetadataRequest;

namespace internal {

inline constexpr size_t kUnbounded = static_cast<size_t>(-1);

// Checks `value.size()` is within [min, max].
absl::Status CheckSize(const der::Reader& r, absl::string_view field,
                       absl::string_view value, size_t min, size_t max);

// A primitive field `tag` whose contents are `min`..`max` bytes.
absl::StatusOr<std::string> ReadOctets(der::Reader& r, der::Tag tag,
                                       absl::string_view field, size_t min = 0,
                                       size_t max = kUnbounded);
absl::StatusOr<std::optional<std::string>> ReadOptionalOctets(
    der::Reader& r, der::Tag tag, absl::string_view field, size_t min = 0,
    size_t max = kUnbounded);

// A UTF8String field of at most `max` bytes.
absl::StatusOr<std::string> ReadUtf8(der::Reader& r, der::Tag tag,
                                     absl::string_view field,
                                     size_t max = kUnbounded);
absl::StatusOr<std::optional<std::string>> ReadOptionalUtf8(
    der::Reader& r, der::Tag tag, absl::string_view field,
    size_t max = kUnbounded);

// An INTEGER field (any int64_t).
absl::StatusOr<int64_t> ReadInteger(der::Reader& r, der::Tag tag,
                                    absl::string_view field);
absl::StatusOr<std::optional<int64_t>> ReadOptionalInteger(
    der::Reader& r, der::Tag tag, absl::string_view field);

// A BOOLEAN field.
absl::StatusOr<bool> ReadBoolean(der::Reader& r, der::Tag tag,
                                 absl::string_view field);

// A BIT STRING field.
absl::StatusOr<der::BitString> ReadBits(der::Reader& r, der::Tag tag,
                                        absl::string_view field);
absl::StatusOr<std::optional<der::BitString>> ReadOptionalBits(
    der::Reader& r, der::Tag tag, absl::string_view field);

// An OBJECT IDENTIFIER field.
absl::StatusOr<der::Oid> ReadOid(der::Reader& r, der::Tag tag,
                                 absl::string_view field);
absl::StatusOr<std::optional<der::Oid>> ReadOptionalOid(
    der::Reader& r, der::Tag tag, absl::string_view field);

// A VersionType field (3 bytes).
absl::StatusOr<VersionType> ReadVersion(der::Reader& r, der::Tag tag,
                                        absl::string_view field);
absl::StatusOr<std::optional<VersionType>> ReadOptionalVersion(
    der::Reader& r, der::Tag tag, absl::string_view field);

// A TransactionId field (1..16 bytes).
absl::StatusOr<std::string> ReadTransactionId(der::Reader& r, der::Tag tag,
                                              absl::string_view field);

// A `5F37` signature field of exactly 64 bytes.
absl::StatusOr<std::string> ReadSignature(der::Reader& r,
                                          absl::string_view field);

// A Certificate (a SEQUENCE), returned as its whole DER.
absl::StatusOr<std::string> ReadCertificate(der::Reader& r,
                                            absl::string_view field);

// SEQUENCE OF Certificate in a constructed `tag` (v3 otherCertsInChain).
absl::StatusOr<std::vector<std::string>> ReadOptionalCertificates(
    der::Reader& r, der::Tag tag, absl::string_view field);

// SEQUENCE OF SubjectKeyIdentifier (OCTET STRING) in constructed `tag`.
absl::StatusOr<std::vector<std::string>> ReadKeyIdList(der::Reader& r,
                                                       der::Tag tag,
                                                       absl::string_view field);
absl::StatusOr<std::vector<std::string>> ReadKeyIdList(
    const der::Reader& parent, const der::Tlv& tlv, absl::string_view field);

// Contents `tlv` checked as an implicitly tagged primitive of `min`..`max`
// bytes: for extension fields taken from FinishExtensible().
absl::StatusOr<std::string> TlvOctets(const der::Reader& r, const der::Tlv& tlv,
                                      absl::string_view field, size_t min = 0,
                                      size_t max = kUnbounded);

// An error naming `field` of `r`'s structure: duplicated extension field.
absl::Status Duplicate(const der::Reader& r, absl::string_view field);

// Parses `input` as one whole `tag` TLV named `what`, then reads its
// contents with `read`.
template <typename T, typename ReadFn>
absl::StatusOr<T> DecodeMessage(absl::string_view input, der::Tag tag,
                                absl::string_view what, ReadFn read) {
  absl::StatusOr<der::Tlv> tlv = der::ParseSingleTlv(input, tag, what);
  if (!tlv.ok()) return tlv.status();
  der::Reader r(tlv->value, 1, what);
  return read(r);
}

// Reads the next TLV with `tag` as a signed part of type T.
template <typename T, typename ReadFn>
absl::StatusOr<SignedPart<T>> ReadSignedPart(der::Reader& r, der::Tag tag,
                                             absl::string_view field,
                                             absl::string_view what,
                                             ReadFn read) {
  absl::StatusOr<der::Tlv> tlv = r.Next(tag, field);
  if (!tlv.ok()) return tlv.status();
  absl::StatusOr<der::Reader> child = r.Child(*tlv, what);
  if (!child.ok()) return child.status();
  absl::StatusOr<T> value = read(*child);
  if (!value.ok()) return value.status();
  return SignedPart<T>{*std::move(value), std::string(tlv->raw)};
}

// Per-struct readers (over the contents) and writers (whole TLV), for the
// structures nested in messages of another file.
absl::StatusOr<EuiccInfo2> ReadEuiccInfo2(der::Reader& r);
absl::StatusOr<DeviceInfo> ReadDeviceInfo(der::Reader& r);
void WriteDeviceInfo(const DeviceInfo& v, der::Tag tag, der::Writer& w);
void WriteEuiccInfo2(const EuiccInfo2& v, der::Writer& w);
// Reads the CtxParams1 CHOICE, which is the next TLV of `r`.
absl::StatusOr<CtxParams1> ReadCtxParams1(der::Reader& r,
                                          absl::string_view field);
void WriteCtxParams1(const CtxParams1& v, der::Writer& w);
absl::StatusOr<NotificationMetadata> ReadNotificationMetadata(der::Reader& r);
void WriteNotificationMetadata(const NotificationMetadata& v, der::Writer& w);
absl::StatusOr<InitialiseSecureChannelRequest>
ReadInitialiseSecureChannelRequest(der::Reader& r);
void WriteInitialiseSecureChannelRequest(
    const InitialiseSecureChannelRequest& v, der::Writer& w);

}  // namespace internal
}  // namespace smdp::sgp22

#endif  // SMDP_SGP22_INTERNAL_CODEC_H_
