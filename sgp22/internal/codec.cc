#include "sgp22/internal/codec.h"

#include "absl/strings/str_cat.h"

namespace smdp::sgp22::internal {

absl::Status CheckSize(const der::Reader& r, absl::string_view field,
                       absl::string_view value, size_t min, size_t max) {
  if (value.size() >= min && value.size() <= max) return absl::OkStatus();
  if (min == max) {
    return r.FieldError(
        field, absl::StrCat("must be ", min, " bytes, got ", value.size()));
  }
  if (max == kUnbounded) {
    return r.FieldError(field, absl::StrCat("must be at least ", min,
                                            " bytes, got ", value.size()));
  }
  return r.FieldError(field, absl::StrCat("must be ", min, "..", max,
                                          " bytes, got ", value.size()));
}

absl::StatusOr<std::string> TlvOctets(const der::Reader& r, const der::Tlv& tlv,
                                      absl::string_view field, size_t min,
                                      size_t max) {
  if (absl::Status s = CheckSize(r, field, tlv.value, min, max); !s.ok()) {
    return s;
  }
  return std::string(tlv.value);
}

absl::StatusOr<std::string> ReadOctets(der::Reader& r, der::Tag tag,
                                       absl::string_view field, size_t min,
                                       size_t max) {
  absl::StatusOr<der::Tlv> tlv = r.Next(tag, field);
  if (!tlv.ok()) return tlv.status();
  return TlvOctets(r, *tlv, field, min, max);
}

absl::StatusOr<std::optional<std::string>> ReadOptionalOctets(
    der::Reader& r, der::Tag tag, absl::string_view field, size_t min,
    size_t max) {
  absl::StatusOr<std::optional<der::Tlv>> tlv = r.Optional(tag);
  if (!tlv.ok()) return tlv.status();
  if (!tlv->has_value()) return std::optional<std::string>();
  absl::StatusOr<std::string> v = TlvOctets(r, **tlv, field, min, max);
  if (!v.ok()) return v.status();
  return std::optional<std::string>(*std::move(v));
}

absl::StatusOr<std::string> ReadUtf8(der::Reader& r, der::Tag tag,
                                     absl::string_view field, size_t max) {
  absl::StatusOr<std::string> v = ReadOctets(r, tag, field, 0, max);
  if (!v.ok()) return v.status();
  if (absl::Status s = der::ValidateUtf8(*v); !s.ok()) {
    return r.FieldError(field, s.message());
  }
  return v;
}

absl::StatusOr<std::optional<std::string>> ReadOptionalUtf8(
    der::Reader& r, der::Tag tag, absl::string_view field, size_t max) {
  absl::StatusOr<std::optional<std::string>> v =
      ReadOptionalOctets(r, tag, field, 0, max);
  if (!v.ok() || !v->has_value()) return v;
  if (absl::Status s = der::ValidateUtf8(**v); !s.ok()) {
    return r.FieldError(field, s.message());
  }
  return v;
}

absl::StatusOr<int64_t> ReadInteger(der::Reader& r, der::Tag tag,
                                    absl::string_view field) {
  absl::StatusOr<der::Tlv> tlv = r.Next(tag, field);
  if (!tlv.ok()) return tlv.status();
  absl::StatusOr<int64_t> v = der::DecodeInteger(tlv->value);
  if (!v.ok()) return r.FieldError(field, v.status().message());
  return v;
}

absl::StatusOr<std::optional<int64_t>> ReadOptionalInteger(
    der::Reader& r, der::Tag tag, absl::string_view field) {
  absl::StatusOr<std::optional<der::Tlv>> tlv = r.Optional(tag);
  if (!tlv.ok()) return tlv.status();
  if (!tlv->has_value()) return std::optional<int64_t>();
  absl::StatusOr<int64_t> v = der::DecodeInteger((*tlv)->value);
  if (!v.ok()) return r.FieldError(field, v.status().message());
  return std::optional<int64_t>(*v);
}

absl::StatusOr<bool> ReadBoolean(der::Reader& r, der::Tag tag,
                                 absl::string_view field) {
  absl::StatusOr<der::Tlv> tlv = r.Next(tag, field);
  if (!tlv.ok()) return tlv.status();
  absl::StatusOr<bool> v = der::DecodeBoolean(tlv->value);
  if (!v.ok()) return r.FieldError(field, v.status().message());
  return v;
}

absl::StatusOr<der::BitString> ReadBits(der::Reader& r, der::Tag tag,
                                        absl::string_view field) {
  absl::StatusOr<der::Tlv> tlv = r.Next(tag, field);
  if (!tlv.ok()) return tlv.status();
  absl::StatusOr<der::BitString> v = der::BitString::Decode(tlv->value);
  if (!v.ok()) return r.FieldError(field, v.status().message());
  return v;
}

absl::StatusOr<std::optional<der::BitString>> ReadOptionalBits(
    der::Reader& r, der::Tag tag, absl::string_view field) {
  absl::StatusOr<std::optional<der::Tlv>> tlv = r.Optional(tag);
  if (!tlv.ok()) return tlv.status();
  if (!tlv->has_value()) return std::optional<der::BitString>();
  absl::StatusOr<der::BitString> v = der::BitString::Decode((*tlv)->value);
  if (!v.ok()) return r.FieldError(field, v.status().message());
  return std::optional<der::BitString>(*std::move(v));
}

absl::StatusOr<der::Oid> ReadOid(der::Reader& r, der::Tag tag,
                                 absl::string_view field) {
  absl::StatusOr<der::Tlv> tlv = r.Next(tag, field);
  if (!tlv.ok()) return tlv.status();
  absl::StatusOr<der::Oid> v = der::Oid::FromContents(tlv->value);
  if (!v.ok()) return r.FieldError(field, v.status().message());
  return v;
}

absl::StatusOr<std::optional<der::Oid>> ReadOptionalOid(
    der::Reader& r, der::Tag tag, absl::string_view field) {
  absl::StatusOr<std::optional<der::Tlv>> tlv = r.Optional(tag);
  if (!tlv.ok()) return tlv.status();
  if (!tlv->has_value()) return std::optional<der::Oid>();
  absl::StatusOr<der::Oid> v = der::Oid::FromContents((*tlv)->value);
  if (!v.ok()) return r.FieldError(field, v.status().message());
  return std::optional<der::Oid>(*std::move(v));
}

absl::StatusOr<VersionType> ReadVersion(der::Reader& r, der::Tag tag,
                                        absl::string_view field) {
  absl::StatusOr<der::Tlv> tlv = r.Next(tag, field);
  if (!tlv.ok()) return tlv.status();
  absl::StatusOr<VersionType> v = VersionType::FromBytes(tlv->value);
  if (!v.ok()) return r.FieldError(field, v.status().message());
  return v;
}

absl::StatusOr<std::optional<VersionType>> ReadOptionalVersion(
    der::Reader& r, der::Tag tag, absl::string_view field) {
  absl::StatusOr<std::optional<der::Tlv>> tlv = r.Optional(tag);
  if (!tlv.ok()) return tlv.status();
  if (!tlv->has_value()) return std::optional<VersionType>();
  absl::StatusOr<VersionType> v = VersionType::FromBytes((*tlv)->value);
  if (!v.ok()) return r.FieldError(field, v.status().message());
  return std::optional<VersionType>(*v);
}

absl::StatusOr<std::string> ReadTransactionId(der::Reader& r, der::Tag tag,
                                              absl::string_view field) {
  return ReadOctets(r, tag, field, 1, kMaxTransactionIdSize);
}

absl::StatusOr<std::string> ReadSignature(der::Reader& r,
                                          absl::string_view field) {
  return ReadOctets(r, tags::kSignature, field, kSignatureSize, kSignatureSize);
}

absl::StatusOr<std::string> ReadCertificate(der::Reader& r,
                                            absl::string_view field) {
  absl::StatusOr<der::Tlv> tlv = r.Next(der::kSequence, field);
  if (!tlv.ok()) return tlv.status();
  return std::string(tlv->raw);
}

absl::StatusOr<std::vector<std::string>> ReadOptionalCertificates(
    der::Reader& r, der::Tag tag, absl::string_view field) {
  std::vector<std::string> certs;
  absl::StatusOr<std::optional<der::Tlv>> tlv = r.Optional(tag);
  if (!tlv.ok()) return tlv.status();
  if (!tlv->has_value()) return certs;
  absl::StatusOr<der::Reader> list = r.Child(**tlv, field);
  if (!list.ok()) return list.status();
  while (!list->AtEnd()) {
    absl::StatusOr<std::string> cert = ReadCertificate(*list, "Certificate");
    if (!cert.ok()) return cert.status();
    certs.push_back(*std::move(cert));
  }
  return certs;
}

absl::StatusOr<std::vector<std::string>> ReadKeyIdList(
    const der::Reader& parent, const der::Tlv& tlv, absl::string_view field) {
  absl::StatusOr<der::Reader> list = parent.Child(tlv, field);
  if (!list.ok()) return list.status();
  std::vector<std::string> ids;
  while (!list->AtEnd()) {
    absl::StatusOr<std::string> id =
        ReadOctets(*list, der::kOctetString, "SubjectKeyIdentifier", 1);
    if (!id.ok()) return id.status();
    ids.push_back(*std::move(id));
  }
  return ids;
}

absl::StatusOr<std::vector<std::string>> ReadKeyIdList(
    der::Reader& r, der::Tag tag, absl::string_view field) {
  absl::StatusOr<der::Tlv> tlv = r.Next(tag, field);
  if (!tlv.ok()) return tlv.status();
  return ReadKeyIdList(r, *tlv, field);
}

absl::Status Duplicate(const der::Reader& r, absl::string_view field) {
  return r.FieldError(field, "repeated");
}

}  // namespace smdp::sgp22::internal
