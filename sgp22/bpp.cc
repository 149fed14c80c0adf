#include "sgp22/bpp.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "sgp22/internal/codec.h"
#include "util/status_macros.h"

namespace smdp::sgp22 {
namespace {

using der::ContextTag;

absl::StatusOr<ConfigureIsdpRequest> ReadConfigureIsdpRequest(der::Reader& r) {
  ConfigureIsdpRequest v;
  ASSIGN_OR_RETURN(std::optional<der::Tlv> dpd,
                   r.Optional(ContextTag(24, true)));
  if (dpd) {
    ASSIGN_OR_RETURN(der::Reader c, r.Child(*dpd, "DpProprietaryData"));
    DpProprietaryData data;
    // AUTOMATIC TAGS: dpOid is DpProprietaryData's only (untagged)
    // component, so it is [0] IMPLICIT (80), not a universal OID (06).
    ASSIGN_OR_RETURN(data.dp_oid, internal::ReadOid(c, ContextTag(0), "dpOid"));
    // What follows are the SM-DP+'s own data objects: kept whole, but they
    // must be TLVs and must not repeat dpOid.
    data.additional_data = std::string(c.remaining());
    RETURN_IF_ERROR(c.FinishExtensible().status());
    v.dp_proprietary_data = std::move(data);
  }
  RETURN_IF_ERROR(r.FinishExtensible().status());
  return v;
}

absl::StatusOr<ReplaceSessionKeysRequest> ReadReplaceSessionKeysRequest(
    der::Reader& r) {
  ReplaceSessionKeysRequest v;
  ASSIGN_OR_RETURN(
      v.initial_mac_chaining_value,
      internal::ReadOctets(r, ContextTag(0), "initialMacChainingValue"));
  ASSIGN_OR_RETURN(v.ppk_enc, internal::ReadOctets(r, ContextTag(1), "ppkEnc"));
  ASSIGN_OR_RETURN(v.ppk_cmac,
                   internal::ReadOctets(r, ContextTag(2), "ppkCmac"));
  RETURN_IF_ERROR(r.FinishExtensible().status());
  return v;
}

// Reads the segments of wrapper `wrapper` (A0..A3), each a `segment` TLV.
absl::StatusOr<std::vector<std::string>> ReadSegments(const der::Reader& parent,
                                                      const der::Tlv& wrapper,
                                                      der::Tag segment,
                                                      absl::string_view field) {
  ASSIGN_OR_RETURN(der::Reader list, parent.Child(wrapper, field));
  std::vector<std::string> segments;
  while (!list.AtEnd()) {
    ASSIGN_OR_RETURN(der::Tlv s, list.Next(segment, "segment"));
    segments.emplace_back(s.raw);
  }
  return segments;
}

absl::StatusOr<std::vector<std::string>> ReadSegments(der::Reader& r,
                                                      der::Tag wrapper,
                                                      der::Tag segment,
                                                      absl::string_view field) {
  ASSIGN_OR_RETURN(der::Tlv tlv, r.Next(wrapper, field));
  return ReadSegments(r, tlv, segment, field);
}

absl::StatusOr<BoundProfilePackage> ReadBoundProfilePackage(der::Reader& r) {
  BoundProfilePackage v;
  ASSIGN_OR_RETURN(der::Tlv iscr, r.Next(tags::kInitialiseSecureChannel,
                                         "initialiseSecureChannelRequest"));
  ASSIGN_OR_RETURN(der::Reader c,
                   r.Child(iscr, "InitialiseSecureChannelRequest"));
  ASSIGN_OR_RETURN(v.initialise_secure_channel,
                   internal::ReadInitialiseSecureChannelRequest(c));
  ASSIGN_OR_RETURN(v.first_sequence_of_87,
                   ReadSegments(r, ContextTag(0, true), tags::kSegment87,
                                "firstSequenceOf87"));
  ASSIGN_OR_RETURN(
      v.sequence_of_88,
      ReadSegments(r, ContextTag(1, true), tags::kSegment88, "sequenceOf88"));
  ASSIGN_OR_RETURN(std::optional<der::Tlv> second,
                   r.Optional(ContextTag(2, true)));
  if (second) {
    ASSIGN_OR_RETURN(
        v.second_sequence_of_87,
        ReadSegments(r, *second, tags::kSegment87, "secondSequenceOf87"));
  }
  ASSIGN_OR_RETURN(
      v.sequence_of_86,
      ReadSegments(r, ContextTag(3, true), tags::kSegment86, "sequenceOf86"));
  RETURN_IF_ERROR(r.FinishExtensible().status());
  return v;
}

size_t SegmentsSize(const std::vector<std::string>& segments) {
  size_t n = 0;
  for (const std::string& s : segments) n += s.size();
  return n;
}

void WriteSegments(der::Tag wrapper, const std::vector<std::string>& segments,
                   der::Writer& w) {
  w.AddHeader(wrapper, SegmentsSize(segments));
  for (const std::string& s : segments) w.AddRaw(s);
}

}  // namespace

namespace internal {

absl::StatusOr<InitialiseSecureChannelRequest>
ReadInitialiseSecureChannelRequest(der::Reader& r) {
  InitialiseSecureChannelRequest v;
  const char* const signed_begin = r.remaining().data();
  ASSIGN_OR_RETURN(v.remote_op_id, ReadInteger(r, ContextTag(2), "remoteOpId"));
  ASSIGN_OR_RETURN(v.transaction_id,
                   ReadTransactionId(r, ContextTag(0), "transactionId"));
  ASSIGN_OR_RETURN(der::Reader crt,
                   r.Enter(ContextTag(6, true), "controlRefTemplate"));
  ASSIGN_OR_RETURN(std::string key_type,
                   ReadOctets(crt, ContextTag(0), "keyType", 1, 1));
  ASSIGN_OR_RETURN(std::string key_len,
                   ReadOctets(crt, ContextTag(1), "keyLen", 1, 1));
  v.control_ref_template.key_type = static_cast<uint8_t>(key_type[0]);
  v.control_ref_template.key_len = static_cast<uint8_t>(key_len[0]);
  ASSIGN_OR_RETURN(v.control_ref_template.host_id,
                   ReadOctets(crt, ContextTag(4), "hostId", 1, 16));
  RETURN_IF_ERROR(crt.FinishExtensible().status());
  ASSIGN_OR_RETURN(v.smdp_otpk, ReadOctets(r, tags::kOtpk, "smdpOtpk", 1));
  const char* const signed_end = r.remaining().data();
  v.received_signed_fields.assign(signed_begin, signed_end - signed_begin);
  ASSIGN_OR_RETURN(v.smdp_sign, ReadSignature(r, "smdpSign"));
  RETURN_IF_ERROR(r.FinishExtensible().status());
  return v;
}

void WriteInitialiseSecureChannelRequest(
    const InitialiseSecureChannelRequest& v, der::Writer& w) {
  w.Constructed(tags::kInitialiseSecureChannel, [&](der::Writer& w) {
    w.AddRaw(v.SignedFields());
    w.Add(tags::kSignature, v.smdp_sign);
  });
}

}  // namespace internal

// --- InitialiseSecureChannelRequest -------------------------------------

std::string InitialiseSecureChannelRequest::SignedFields() const {
  der::Writer w(64 + transaction_id.size() + smdp_otpk.size());
  w.AddInteger(remote_op_id, ContextTag(2));
  w.Add(ContextTag(0), transaction_id);
  w.Constructed(ContextTag(6, true), [&](der::Writer& w) {
    const char key_type = static_cast<char>(control_ref_template.key_type);
    const char key_len = static_cast<char>(control_ref_template.key_len);
    w.Add(ContextTag(0), absl::string_view(&key_type, 1));
    w.Add(ContextTag(1), absl::string_view(&key_len, 1));
    w.Add(ContextTag(4), control_ref_template.host_id);
  });
  w.Add(tags::kOtpk, smdp_otpk);
  return std::move(w).Finish();
}

std::string InitialiseSecureChannelRequest::Encode() const {
  der::Writer w;
  internal::WriteInitialiseSecureChannelRequest(*this, w);
  return std::move(w).Finish();
}

absl::StatusOr<InitialiseSecureChannelRequest>
InitialiseSecureChannelRequest::Decode(absl::string_view der) {
  return internal::DecodeMessage<InitialiseSecureChannelRequest>(
      der, tags::kInitialiseSecureChannel, "InitialiseSecureChannelRequest",
      internal::ReadInitialiseSecureChannelRequest);
}

// --- ConfigureIsdpRequest -----------------------------------------------

std::string ConfigureIsdpRequest::Encode() const {
  der::Writer w;
  w.Constructed(tags::kConfigureIsdp, [&](der::Writer& w) {
    if (dp_proprietary_data) {
      w.Constructed(ContextTag(24, true), [&](der::Writer& w) {
        w.Add(ContextTag(0), dp_proprietary_data->dp_oid.contents());
        w.AddRaw(dp_proprietary_data->additional_data);
      });
    }
  });
  return std::move(w).Finish();
}

absl::StatusOr<ConfigureIsdpRequest> ConfigureIsdpRequest::Decode(
    absl::string_view der) {
  return internal::DecodeMessage<ConfigureIsdpRequest>(
      der, tags::kConfigureIsdp, "ConfigureISDPRequest",
      ReadConfigureIsdpRequest);
}

// --- ReplaceSessionKeysRequest ------------------------------------------

std::string ReplaceSessionKeysRequest::Encode() const {
  der::Writer w;
  w.Constructed(tags::kReplaceSessionKeys, [&](der::Writer& w) {
    w.Add(ContextTag(0), initial_mac_chaining_value);
    w.Add(ContextTag(1), ppk_enc);
    w.Add(ContextTag(2), ppk_cmac);
  });
  return std::move(w).Finish();
}

absl::StatusOr<ReplaceSessionKeysRequest> ReplaceSessionKeysRequest::Decode(
    absl::string_view der) {
  return internal::DecodeMessage<ReplaceSessionKeysRequest>(
      der, tags::kReplaceSessionKeys, "ReplaceSessionKeysRequest",
      ReadReplaceSessionKeysRequest);
}

// --- BoundProfilePackage ------------------------------------------------

std::string BoundProfilePackage::Encode() const {
  const std::string iscr = initialise_secure_channel.Encode();
  const size_t a0 = SegmentsSize(first_sequence_of_87);
  const size_t a1 = SegmentsSize(sequence_of_88);
  const size_t a2 =
      second_sequence_of_87 ? SegmentsSize(*second_sequence_of_87) : 0;
  const size_t a3 = SegmentsSize(sequence_of_86);
  const size_t contents =
      iscr.size() + der::TlvSize(ContextTag(0, true), a0) +
      der::TlvSize(ContextTag(1, true), a1) +
      (second_sequence_of_87 ? der::TlvSize(ContextTag(2, true), a2) : 0) +
      der::TlvSize(ContextTag(3, true), a3);
  der::Writer w(der::TlvSize(tags::kBoundProfilePackage, contents));
  w.AddHeader(tags::kBoundProfilePackage, contents);
  w.AddRaw(iscr);
  WriteSegments(ContextTag(0, true), first_sequence_of_87, w);
  WriteSegments(ContextTag(1, true), sequence_of_88, w);
  if (second_sequence_of_87) {
    WriteSegments(ContextTag(2, true), *second_sequence_of_87, w);
  }
  WriteSegments(ContextTag(3, true), sequence_of_86, w);
  return std::move(w).Finish();
}

absl::StatusOr<BoundProfilePackage> BoundProfilePackage::Decode(
    absl::string_view der) {
  return internal::DecodeMessage<BoundProfilePackage>(
      der, tags::kBoundProfilePackage, "BoundProfilePackage",
      ReadBoundProfilePackage);
}

}  // namespace smdp::sgp22
