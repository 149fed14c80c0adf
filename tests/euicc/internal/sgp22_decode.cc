#include "tests/euicc/internal/sgp22_decode.h"

#include <cstddef>
#include <limits>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "tests/euicc/internal/sgp22_tags.h"
#include "util/status_macros.h"

namespace smdp::euicc::internal {
namespace {

namespace der = ::smdp::sgp22::der;
using der::ContextTag;

using tags::kBoundProfilePackage;
using tags::kConfigureIsdp;
using tags::kIccid;
using tags::kInitialiseSecureChannel;
using tags::kOtpk;
using tags::kReplaceSessionKeys;
using tags::kSignature;
using tags::kStoreMetadata;
constexpr der::Tag kAuthenticateServerRequest = tags::kAuthenticateServer;
constexpr der::Tag kPrepareDownloadRequest = tags::kPrepareDownload;

constexpr size_t kUnbounded = std::numeric_limits<size_t>::max();
// DpProprietaryData: "maximum size including tag and length field: 128".
constexpr size_t kMaxDpProprietaryData = 128;

// Checks the SIZE constraint of an OCTET STRING or UTF8String.
absl::Status CheckSize(const der::Reader& r, absl::string_view field,
                       absl::string_view value, size_t min, size_t max) {
  if (value.size() < min || value.size() > max) {
    return r.FieldError(
        field, max == min ? absl::StrCat(value.size(), " bytes, want ", min)
                          : absl::StrCat(value.size(), " bytes, want ", min,
                                         "..", max));
  }
  return absl::OkStatus();
}

// The contents of mandatory primitive component `field` with `tag`.
absl::StatusOr<std::string> Octets(der::Reader& r, der::Tag tag,
                                   absl::string_view field, size_t min = 0,
                                   size_t max = kUnbounded) {
  ASSIGN_OR_RETURN(der::Tlv tlv, r.Next(tag, field));
  RETURN_IF_ERROR(CheckSize(r, field, tlv.value, min, max));
  return std::string(tlv.value);
}

// The same for an OPTIONAL component.
absl::StatusOr<std::optional<std::string>> OptionalOctets(
    der::Reader& r, der::Tag tag, absl::string_view field, size_t min = 0,
    size_t max = kUnbounded) {
  ASSIGN_OR_RETURN(std::optional<der::Tlv> tlv, r.Optional(tag));
  if (!tlv) return std::nullopt;
  RETURN_IF_ERROR(CheckSize(r, field, tlv->value, min, max));
  return std::string(tlv->value);
}

// A UTF8String component (mandatory).
absl::StatusOr<std::string> Utf8(der::Reader& r, der::Tag tag,
                                 absl::string_view field,
                                 size_t max = kUnbounded) {
  ASSIGN_OR_RETURN(std::string text, Octets(r, tag, field, 0, max));
  if (absl::Status s = der::ValidateUtf8(text); !s.ok()) {
    return r.FieldError(field, s.message());
  }
  return text;
}

// The value of an INTEGER with named numbers; only the named ones
// (0..`max_named`) are accepted, since the eUICC acts on them.
absl::StatusOr<std::optional<int64_t>> OptionalNamedInteger(
    der::Reader& r, der::Tag tag, absl::string_view field, int64_t max_named) {
  ASSIGN_OR_RETURN(std::optional<der::Tlv> tlv, r.Optional(tag));
  if (!tlv) return std::nullopt;
  absl::StatusOr<int64_t> value = der::DecodeInteger(tlv->value);
  if (!value.ok()) return r.FieldError(field, value.status().message());
  if (*value < 0 || *value > max_named) {
    return r.FieldError(field, absl::StrCat(*value, " is not a named value"));
  }
  return *value;
}

// A BIT STRING with named bits: DER drops trailing zero bits (X.690 11.2.2).
absl::StatusOr<der::BitString> NamedBits(const der::Reader& r,
                                         absl::string_view field,
                                         absl::string_view contents) {
  absl::StatusOr<der::BitString> bits = der::BitString::Decode(contents);
  if (!bits.ok()) return r.FieldError(field, bits.status().message());
  if (!bits->empty() && !bits->Get(bits->size() - 1)) {
    return r.FieldError(field, "trailing zero bits in a named bit list");
  }
  return *std::move(bits);
}

// A Certificate component: a SEQUENCE (30), kept whole; its contents are
// the crypto code's to check.
absl::StatusOr<std::string> Certificate(der::Reader& r,
                                        absl::string_view field) {
  ASSIGN_OR_RETURN(der::Tlv tlv, r.Next(der::kSequence, field));
  return std::string(tlv.raw);
}

// Decodes `input`, which must be one TLV with `tag` and nothing after it,
// with read(parent reader, tlv).
template <typename Read>
auto DecodeWhole(absl::string_view input, der::Tag tag, absl::string_view what,
                 Read read) -> decltype(read(std::declval<der::Reader&>(),
                                             std::declval<const der::Tlv&>())) {
  RETURN_IF_ERROR(der::ParseSingleTlv(input, tag, what).status());
  der::Reader top(input, 0, what);
  ASSIGN_OR_RETURN(der::Tlv tlv, top.Next(tag, what));
  return read(top, tlv);
}

// ---- readers of one structure, given its TLV and the reader around it ----

absl::StatusOr<ServerSigned1> ReadServerSigned1(const der::Reader& parent,
                                                const der::Tlv& tlv) {
  ASSIGN_OR_RETURN(der::Reader r, parent.Child(tlv, "ServerSigned1"));
  ServerSigned1 out;
  out.der = std::string(tlv.raw);
  ASSIGN_OR_RETURN(out.transaction_id,
                   Octets(r, ContextTag(0), "transactionId", 1, 16));
  ASSIGN_OR_RETURN(out.euicc_challenge,
                   Octets(r, ContextTag(1), "euiccChallenge", 16, 16));
  ASSIGN_OR_RETURN(out.server_address, Utf8(r, ContextTag(3), "serverAddress"));
  ASSIGN_OR_RETURN(out.server_challenge,
                   Octets(r, ContextTag(4), "serverChallenge", 16, 16));
  RETURN_IF_ERROR(r.FinishExtensible().status());
  return out;
}

// CtxParams1 ::= CHOICE { ctxParamsForCommonAuthentication
// CtxParamsForCommonAuthentication } (automatic: [0], A0), whose SEQUENCE is
// { matchingId UTF8String OPTIONAL (80), deviceInfo DeviceInfo (A1) }. The
// eUICC only relays it; DeviceInfo is the server's to read.
absl::StatusOr<std::string> ReadCtxParams1(der::Reader& parent) {
  ASSIGN_OR_RETURN(
      der::Tlv tlv,
      parent.Next(ContextTag(0, true),
                  "ctxParams1 (ctxParamsForCommonAuthentication)"));
  ASSIGN_OR_RETURN(der::Reader r,
                   parent.Child(tlv, "CtxParamsForCommonAuthentication"));
  ASSIGN_OR_RETURN(std::optional<der::Tlv> matching_id,
                   r.Optional(ContextTag(0)));
  if (matching_id) {
    if (absl::Status s = der::ValidateUtf8(matching_id->value); !s.ok()) {
      return r.FieldError("matchingId", s.message());
    }
  }
  RETURN_IF_ERROR(r.Next(ContextTag(1, true), "deviceInfo").status());
  RETURN_IF_ERROR(r.FinishExtensible().status());
  return std::string(tlv.raw);
}

absl::StatusOr<SmdpSigned2> ReadSmdpSigned2(const der::Reader& parent,
                                            const der::Tlv& tlv) {
  ASSIGN_OR_RETURN(der::Reader r, parent.Child(tlv, "SmdpSigned2"));
  SmdpSigned2 out;
  out.der = std::string(tlv.raw);
  ASSIGN_OR_RETURN(out.transaction_id,
                   Octets(r, ContextTag(0), "transactionId", 1, 16));
  ASSIGN_OR_RETURN(der::Tlv flag, r.Next(der::kBoolean, "ccRequiredFlag"));
  absl::StatusOr<bool> value = der::DecodeBoolean(flag.value);
  if (!value.ok())
    return r.FieldError("ccRequiredFlag", value.status().message());
  out.cc_required_flag = *value;
  ASSIGN_OR_RETURN(out.bpp_euicc_otpk,
                   OptionalOctets(r, kOtpk, "bppEuiccOtpk"));
  RETURN_IF_ERROR(r.FinishExtensible().status());
  return out;
}

// A SEQUENCE OF [n] OCTET STRING: the element TLVs, whole. No extension
// marker applies inside a SEQUENCE OF.
absl::StatusOr<std::vector<std::string>> ReadSegments(der::Reader& parent,
                                                      const der::Tlv& tlv,
                                                      der::Tag element,
                                                      absl::string_view what) {
  ASSIGN_OR_RETURN(der::Reader r, parent.Child(tlv, what));
  std::vector<std::string> out;
  while (!r.AtEnd()) {
    ASSIGN_OR_RETURN(der::Tlv segment, r.Next(element, "segment"));
    out.emplace_back(segment.raw);
  }
  return out;
}

absl::StatusOr<InitialiseSecureChannelRequest> ReadInitialiseSecureChannel(
    const der::Reader& parent, const der::Tlv& tlv) {
  ASSIGN_OR_RETURN(der::Reader r,
                   parent.Child(tlv, "InitialiseSecureChannelRequest"));
  InitialiseSecureChannelRequest out;
  const absl::string_view start = r.remaining();
  ASSIGN_OR_RETURN(der::Tlv op, r.Next(ContextTag(2), "remoteOpId"));
  absl::StatusOr<int64_t> op_value = der::DecodeInteger(op.value);
  if (!op_value.ok())
    return r.FieldError("remoteOpId", op_value.status().message());
  out.remote_op_id = *op_value;
  ASSIGN_OR_RETURN(out.transaction_id,
                   Octets(r, ContextTag(0), "transactionId", 1, 16));
  {
    ASSIGN_OR_RETURN(der::Reader crt,
                     r.Enter(ContextTag(6, true), "controlRefTemplate"));
    ASSIGN_OR_RETURN(std::string key_type,
                     Octets(crt, ContextTag(0), "keyType", 1, 1));
    ASSIGN_OR_RETURN(std::string key_len,
                     Octets(crt, ContextTag(1), "keyLen", 1, 1));
    ASSIGN_OR_RETURN(out.host_id, Octets(crt, ContextTag(4), "hostId", 1, 16));
    RETURN_IF_ERROR(crt.FinishExtensible().status());
    out.key_type = static_cast<uint8_t>(key_type[0]);
    out.key_len = static_cast<uint8_t>(key_len[0]);
  }
  ASSIGN_OR_RETURN(out.smdp_otpk, Octets(r, kOtpk, "smdpOtpk"));
  out.signed_fields =
      std::string(start.substr(0, start.size() - r.remaining().size()));
  ASSIGN_OR_RETURN(out.smdp_sign, Octets(r, kSignature, "smdpSign"));
  RETURN_IF_ERROR(r.FinishExtensible().status());
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------

absl::StatusOr<ServerSigned1> DecodeServerSigned1(absl::string_view der) {
  return DecodeWhole(der, der::kSequence, "ServerSigned1", ReadServerSigned1);
}

absl::StatusOr<AuthenticateServerRequest> DecodeAuthenticateServerRequest(
    absl::string_view der) {
  return DecodeWhole(
      der, kAuthenticateServerRequest, "AuthenticateServerRequest",
      [](der::Reader& parent,
         const der::Tlv& tlv) -> absl::StatusOr<AuthenticateServerRequest> {
        ASSIGN_OR_RETURN(der::Reader r,
                         parent.Child(tlv, "AuthenticateServerRequest"));
        AuthenticateServerRequest out;
        ASSIGN_OR_RETURN(der::Tlv signed1,
                         r.Next(der::kSequence, "serverSigned1"));
        ASSIGN_OR_RETURN(out.server_signed1, ReadServerSigned1(r, signed1));
        ASSIGN_OR_RETURN(out.server_signature1,
                         Octets(r, kSignature, "serverSignature1"));
        ASSIGN_OR_RETURN(out.euicc_ci_pkid_to_be_used,
                         Octets(r, der::kOctetString, "euiccCiPKIdToBeUsed"));
        ASSIGN_OR_RETURN(out.server_certificate,
                         Certificate(r, "serverCertificate"));
        ASSIGN_OR_RETURN(out.ctx_params1, ReadCtxParams1(r));
        RETURN_IF_ERROR(r.FinishExtensible().status());
        return out;
      });
}

absl::StatusOr<std::string> DecodeSignatureTlv(absl::string_view der) {
  ASSIGN_OR_RETURN(der::Tlv tlv,
                   der::ParseSingleTlv(der, kSignature, "signature (5F37)"));
  return std::string(tlv.value);
}

absl::StatusOr<std::string> DecodeSubjectKeyIdentifierTlv(
    absl::string_view der) {
  ASSIGN_OR_RETURN(der::Tlv tlv, der::ParseSingleTlv(der, der::kOctetString,
                                                     "SubjectKeyIdentifier"));
  return std::string(tlv.value);
}

absl::StatusOr<SmdpSigned2> DecodeSmdpSigned2(absl::string_view der) {
  return DecodeWhole(der, der::kSequence, "SmdpSigned2", ReadSmdpSigned2);
}

absl::StatusOr<PrepareDownloadRequest> DecodePrepareDownloadRequest(
    absl::string_view der) {
  return DecodeWhole(
      der, kPrepareDownloadRequest, "PrepareDownloadRequest",
      [](der::Reader& parent,
         const der::Tlv& tlv) -> absl::StatusOr<PrepareDownloadRequest> {
        ASSIGN_OR_RETURN(der::Reader r,
                         parent.Child(tlv, "PrepareDownloadRequest"));
        PrepareDownloadRequest out;
        ASSIGN_OR_RETURN(der::Tlv signed2,
                         r.Next(der::kSequence, "smdpSigned2"));
        ASSIGN_OR_RETURN(out.smdp_signed2, ReadSmdpSigned2(r, signed2));
        ASSIGN_OR_RETURN(out.smdp_signature2,
                         Octets(r, kSignature, "smdpSignature2"));
        ASSIGN_OR_RETURN(out.hash_cc, OptionalOctets(r, der::kOctetString,
                                                     "hashCc", 32, 32));
        ASSIGN_OR_RETURN(out.smdp_certificate,
                         Certificate(r, "smdpCertificate"));
        RETURN_IF_ERROR(r.FinishExtensible().status());
        return out;
      });
}

absl::StatusOr<InitialiseSecureChannelRequest>
DecodeInitialiseSecureChannelRequest(absl::string_view der) {
  return DecodeWhole(der, kInitialiseSecureChannel,
                     "InitialiseSecureChannelRequest",
                     ReadInitialiseSecureChannel);
}

absl::StatusOr<BoundProfilePackage> DecodeBoundProfilePackage(
    absl::string_view der) {
  return DecodeWhole(
      der, kBoundProfilePackage, "BoundProfilePackage",
      [](der::Reader& parent,
         const der::Tlv& tlv) -> absl::StatusOr<BoundProfilePackage> {
        ASSIGN_OR_RETURN(der::Reader r,
                         parent.Child(tlv, "BoundProfilePackage"));
        BoundProfilePackage out;
        ASSIGN_OR_RETURN(
            der::Tlv iscr,
            r.Next(kInitialiseSecureChannel, "initialiseSecureChannelRequest"));
        ASSIGN_OR_RETURN(out.initialise_secure_channel,
                         ReadInitialiseSecureChannel(r, iscr));
        ASSIGN_OR_RETURN(der::Tlv first,
                         r.Next(ContextTag(0, true), "firstSequenceOf87"));
        ASSIGN_OR_RETURN(
            out.first_sequence_of_87,
            ReadSegments(r, first, ContextTag(7), "firstSequenceOf87"));
        ASSIGN_OR_RETURN(der::Tlv of88,
                         r.Next(ContextTag(1, true), "sequenceOf88"));
        ASSIGN_OR_RETURN(out.sequence_of_88,
                         ReadSegments(r, of88, ContextTag(8), "sequenceOf88"));
        ASSIGN_OR_RETURN(std::optional<der::Tlv> second,
                         r.Optional(ContextTag(2, true)));
        if (second) {
          ASSIGN_OR_RETURN(
              out.second_sequence_of_87,
              ReadSegments(r, *second, ContextTag(7), "secondSequenceOf87"));
        }
        ASSIGN_OR_RETURN(der::Tlv of86,
                         r.Next(ContextTag(3, true), "sequenceOf86"));
        ASSIGN_OR_RETURN(out.sequence_of_86,
                         ReadSegments(r, of86, ContextTag(6), "sequenceOf86"));
        RETURN_IF_ERROR(r.FinishExtensible().status());
        return out;
      });
}

absl::StatusOr<ConfigureIsdpRequest> DecodeConfigureIsdpRequest(
    absl::string_view der) {
  return DecodeWhole(
      der, kConfigureIsdp, "ConfigureISDPRequest",
      [](der::Reader& parent,
         const der::Tlv& tlv) -> absl::StatusOr<ConfigureIsdpRequest> {
        ASSIGN_OR_RETURN(der::Reader r,
                         parent.Child(tlv, "ConfigureISDPRequest"));
        ConfigureIsdpRequest out;
        ASSIGN_OR_RETURN(std::optional<der::Tlv> dp,
                         r.Optional(ContextTag(24, true)));
        if (dp) {
          if (dp->raw.size() > kMaxDpProprietaryData) {
            return r.FieldError(
                "dpProprietaryData",
                absl::StrCat(dp->raw.size(), " bytes, at most 128"));
          }
          ASSIGN_OR_RETURN(der::Reader d, r.Child(*dp, "DpProprietaryData"));
          ASSIGN_OR_RETURN(der::Tlv oid, d.Next(ContextTag(0), "dpOid"));
          absl::StatusOr<sgp22::der::Oid> value =
              sgp22::der::Oid::FromContents(oid.value);
          if (!value.ok())
            return d.FieldError("dpOid", value.status().message());
          // The SM-DP+'s own data objects may follow (any tags).
          out.dp_proprietary_data =
              DpProprietaryData{*std::move(value), std::string(d.remaining())};
        }
        RETURN_IF_ERROR(r.FinishExtensible().status());
        return out;
      });
}

absl::StatusOr<ReplaceSessionKeysRequest> DecodeReplaceSessionKeysRequest(
    absl::string_view der) {
  return DecodeWhole(
      der, kReplaceSessionKeys, "ReplaceSessionKeysRequest",
      [](der::Reader& parent,
         const der::Tlv& tlv) -> absl::StatusOr<ReplaceSessionKeysRequest> {
        ASSIGN_OR_RETURN(der::Reader r,
                         parent.Child(tlv, "ReplaceSessionKeysRequest"));
        ReplaceSessionKeysRequest out;
        ASSIGN_OR_RETURN(out.initial_mac_chaining_value,
                         Octets(r, ContextTag(0), "initialMacChainingValue"));
        ASSIGN_OR_RETURN(out.ppk_enc, Octets(r, ContextTag(1), "ppkEnc"));
        ASSIGN_OR_RETURN(out.ppk_cmac, Octets(r, ContextTag(2), "ppkCmac"));
        RETURN_IF_ERROR(r.FinishExtensible().status());
        return out;
      });
}

absl::StatusOr<StoreMetadataRequest> DecodeStoreMetadataRequest(
    absl::string_view der) {
  return DecodeWhole(
      der, kStoreMetadata, "StoreMetadataRequest",
      [](der::Reader& parent,
         const der::Tlv& tlv) -> absl::StatusOr<StoreMetadataRequest> {
        ASSIGN_OR_RETURN(der::Reader r,
                         parent.Child(tlv, "StoreMetadataRequest"));
        StoreMetadataRequest out;
        ASSIGN_OR_RETURN(out.iccid, Octets(r, kIccid, "iccid", 10, 10));
        ASSIGN_OR_RETURN(out.service_provider_name,
                         Utf8(r, ContextTag(17), "serviceProviderName", 32));
        ASSIGN_OR_RETURN(out.profile_name,
                         Utf8(r, ContextTag(18), "profileName", 64));
        ASSIGN_OR_RETURN(out.icon_type, OptionalNamedInteger(r, ContextTag(19),
                                                             "iconType", 1));
        ASSIGN_OR_RETURN(out.icon,
                         OptionalOctets(r, ContextTag(20), "icon", 0, 1024));
        if (out.icon && !out.icon_type) {
          return r.FieldError("icon", "present without iconType");
        }
        ASSIGN_OR_RETURN(
            out.profile_class,
            OptionalNamedInteger(r, ContextTag(21), "profileClass", 2));
        ASSIGN_OR_RETURN(std::optional<der::Tlv> nci,
                         r.Optional(ContextTag(22, true)));
        if (nci) {
          ASSIGN_OR_RETURN(der::Reader list,
                           r.Child(*nci, "notificationConfigurationInfo"));
          auto& infos = out.notification_configuration_info.emplace();
          while (!list.AtEnd()) {
            ASSIGN_OR_RETURN(
                der::Reader n,
                list.Enter(der::kSequence,
                           "NotificationConfigurationInformation"));
            ASSIGN_OR_RETURN(der::Tlv op, n.Next(ContextTag(0),
                                                 "profileManagementOperation"));
            NotificationConfiguration info;
            ASSIGN_OR_RETURN(
                info.profile_management_operation,
                NamedBits(n, "profileManagementOperation", op.value));
            ASSIGN_OR_RETURN(info.notification_address,
                             Utf8(n, ContextTag(1), "notificationAddress"));
            RETURN_IF_ERROR(n.FinishExtensible().status());
            infos.push_back(std::move(info));
          }
        }
        ASSIGN_OR_RETURN(std::optional<der::Tlv> owner,
                         r.Optional(ContextTag(23, true)));
        if (owner) {
          ASSIGN_OR_RETURN(der::Reader o, r.Child(*owner, "profileOwner"));
          OperatorId id;
          ASSIGN_OR_RETURN(id.mcc_mnc,
                           Octets(o, ContextTag(0), "mccMnc", 3, 3));
          ASSIGN_OR_RETURN(id.gid1, OptionalOctets(o, ContextTag(1), "gid1"));
          ASSIGN_OR_RETURN(id.gid2, OptionalOctets(o, ContextTag(2), "gid2"));
          RETURN_IF_ERROR(o.FinishExtensible().status());
          out.profile_owner = std::move(id);
        }
        ASSIGN_OR_RETURN(std::optional<der::Tlv> pprs,
                         r.Optional(ContextTag(25)));
        if (pprs) {
          ASSIGN_OR_RETURN(out.profile_policy_rules,
                           NamedBits(r, "profilePolicyRules", pprs->value));
        }
        ASSIGN_OR_RETURN(std::vector<der::Tlv> later, r.FinishExtensible());
        for (const der::Tlv& t : later) out.extensions.emplace_back(t.raw);
        return out;
      });
}

}  // namespace smdp::euicc::internal
