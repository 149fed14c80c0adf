#include "sgp22/authentication.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "sgp22/internal/codec.h"
#include "util/status_macros.h"

namespace smdp::sgp22 {
namespace {

using der::ContextTag;

absl::StatusOr<ServerSigned1> ReadServerSigned1(der::Reader& r) {
  ServerSigned1 v;
  ASSIGN_OR_RETURN(v.transaction_id, internal::ReadTransactionId(
                                         r, ContextTag(0), "transactionId"));
  ASSIGN_OR_RETURN(v.euicc_challenge,
                   internal::ReadOctets(r, ContextTag(1), "euiccChallenge",
                                        kChallengeSize, kChallengeSize));
  ASSIGN_OR_RETURN(v.server_address,
                   internal::ReadUtf8(r, ContextTag(3), "serverAddress"));
  ASSIGN_OR_RETURN(v.server_challenge,
                   internal::ReadOctets(r, ContextTag(4), "serverChallenge",
                                        kChallengeSize, kChallengeSize));
  RETURN_IF_ERROR(r.FinishExtensible().status());
  return v;
}

void WriteServerSigned1(const ServerSigned1& v, der::Writer& w) {
  w.Constructed(der::kSequence, [&](der::Writer& w) {
    w.Add(ContextTag(0), v.transaction_id);
    w.Add(ContextTag(1), v.euicc_challenge);
    w.Add(ContextTag(3), v.server_address);
    w.Add(ContextTag(4), v.server_challenge);
  });
}

absl::StatusOr<CtxParamsForCommonAuthentication> ReadCommonAuthentication(
    der::Reader& r) {
  CtxParamsForCommonAuthentication v;
  ASSIGN_OR_RETURN(v.matching_id,
                   internal::ReadOptionalUtf8(r, ContextTag(0), "matchingId"));
  ASSIGN_OR_RETURN(der::Reader device_info,
                   r.Enter(ContextTag(1, true), "deviceInfo"));
  ASSIGN_OR_RETURN(v.device_info, internal::ReadDeviceInfo(device_info));
  RETURN_IF_ERROR(r.FinishExtensible().status());
  return v;
}

absl::StatusOr<EuiccSigned1> ReadEuiccSigned1(der::Reader& r) {
  EuiccSigned1 v;
  ASSIGN_OR_RETURN(v.transaction_id, internal::ReadTransactionId(
                                         r, ContextTag(0), "transactionId"));
  ASSIGN_OR_RETURN(v.server_address,
                   internal::ReadUtf8(r, ContextTag(3), "serverAddress"));
  ASSIGN_OR_RETURN(v.server_challenge,
                   internal::ReadOctets(r, ContextTag(4), "serverChallenge",
                                        kChallengeSize, kChallengeSize));
  ASSIGN_OR_RETURN(der::Tlv info2_tlv, r.Next(tags::kEuiccInfo2, "euiccInfo2"));
  ASSIGN_OR_RETURN(der::Reader info2, r.Child(info2_tlv, "EUICCInfo2"));
  ASSIGN_OR_RETURN(v.euicc_info2, internal::ReadEuiccInfo2(info2));
  ASSIGN_OR_RETURN(v.ctx_params1, internal::ReadCtxParams1(r, "ctxParams1"));
  RETURN_IF_ERROR(r.FinishExtensible().status());
  return v;
}

void WriteEuiccSigned1(const EuiccSigned1& v, der::Writer& w) {
  w.Constructed(der::kSequence, [&](der::Writer& w) {
    w.Add(ContextTag(0), v.transaction_id);
    w.Add(ContextTag(3), v.server_address);
    w.Add(ContextTag(4), v.server_challenge);
    internal::WriteEuiccInfo2(v.euicc_info2, w);
    internal::WriteCtxParams1(v.ctx_params1, w);
  });
}

absl::StatusOr<AuthenticateServerRequest> ReadAuthenticateServerRequest(
    der::Reader& r) {
  AuthenticateServerRequest v;
  ASSIGN_OR_RETURN(v.server_signed1, internal::ReadSignedPart<ServerSigned1>(
                                         r, der::kSequence, "serverSigned1",
                                         "ServerSigned1", ReadServerSigned1));
  ASSIGN_OR_RETURN(v.server_signature1,
                   internal::ReadSignature(r, "serverSignature1"));
  ASSIGN_OR_RETURN(
      v.euicc_ci_pkid_to_be_used,
      internal::ReadOctets(r, der::kOctetString, "euiccCiPKIdToBeUsed", 1));
  ASSIGN_OR_RETURN(v.server_certificate,
                   internal::ReadCertificate(r, "serverCertificate"));
  ASSIGN_OR_RETURN(v.ctx_params1, internal::ReadCtxParams1(r, "ctxParams1"));
  RETURN_IF_ERROR(r.FinishExtensible().status());
  return v;
}

absl::StatusOr<AuthenticateServerResponse> ReadAuthenticateServerResponse(
    der::Reader& r) {
  ASSIGN_OR_RETURN(der::Tag tag, r.PeekTag());
  AuthenticateServerResponse v;
  if (tag == ContextTag(0, true)) {
    ASSIGN_OR_RETURN(der::Reader c, r.Enter(tag, "authenticateResponseOk"));
    AuthenticateResponseOk ok;
    ASSIGN_OR_RETURN(ok.euicc_signed1, internal::ReadSignedPart<EuiccSigned1>(
                                           c, der::kSequence, "euiccSigned1",
                                           "EuiccSigned1", ReadEuiccSigned1));
    ASSIGN_OR_RETURN(ok.euicc_signature1,
                     internal::ReadSignature(c, "euiccSignature1"));
    ASSIGN_OR_RETURN(ok.euicc_certificate,
                     internal::ReadCertificate(c, "euiccCertificate"));
    ASSIGN_OR_RETURN(ok.eum_certificate,
                     internal::ReadCertificate(c, "eumCertificate"));
    ASSIGN_OR_RETURN(ok.other_certs_in_chain,
                     internal::ReadOptionalCertificates(c, ContextTag(0, true),
                                                        "otherCertsInChain"));
    RETURN_IF_ERROR(c.FinishExtensible().status());
    v.result = std::move(ok);
  } else if (tag == ContextTag(1, true)) {
    ASSIGN_OR_RETURN(der::Reader c, r.Enter(tag, "authenticateResponseError"));
    AuthenticateResponseError error;
    ASSIGN_OR_RETURN(
        error.transaction_id,
        internal::ReadTransactionId(c, ContextTag(0), "transactionId"));
    ASSIGN_OR_RETURN(
        int64_t code,
        internal::ReadInteger(c, der::kInteger, "authenticateErrorCode"));
    error.authenticate_error_code = static_cast<AuthenticateErrorCode>(code);
    RETURN_IF_ERROR(c.FinishExtensible().status());
    v.result = std::move(error);
  } else {
    return r.FieldError(
        "", absl::StrCat("unknown CHOICE alternative ", der::TagToString(tag)));
  }
  RETURN_IF_ERROR(r.Finish());
  return v;
}

}  // namespace

namespace internal {

absl::StatusOr<CtxParams1> ReadCtxParams1(der::Reader& r,
                                          absl::string_view field) {
  ASSIGN_OR_RETURN(der::Tlv tlv, r.Next());
  CtxParams1 v;
  if (tlv.tag == ContextTag(0, true)) {
    ASSIGN_OR_RETURN(der::Reader c,
                     r.Child(tlv, "ctxParamsForCommonAuthentication"));
    ASSIGN_OR_RETURN(v.common_authentication, ReadCommonAuthentication(c));
  } else if (der::TagClassOf(tlv.tag) == der::TagClass::kContextSpecific &&
             tlv.constructed()) {
    v.other_alternative = std::string(tlv.raw);
  } else {
    return r.FieldError(field, absl::StrCat("expected a CtxParams1 CHOICE, got "
                                            "tag ",
                                            der::TagToString(tlv.tag)));
  }
  return v;
}

void WriteCtxParams1(const CtxParams1& v, der::Writer& w) {
  if (!v.common_authentication) {
    w.AddRaw(v.other_alternative);
    return;
  }
  const CtxParamsForCommonAuthentication& c = *v.common_authentication;
  w.Constructed(ContextTag(0, true), [&](der::Writer& w) {
    if (c.matching_id) w.Add(ContextTag(0), *c.matching_id);
    WriteDeviceInfo(c.device_info, ContextTag(1, true), w);
  });
}

}  // namespace internal

// --- ServerSigned1 ------------------------------------------------------

std::string ServerSigned1::Encode() const {
  der::Writer w;
  WriteServerSigned1(*this, w);
  return std::move(w).Finish();
}

absl::StatusOr<ServerSigned1> ServerSigned1::Decode(absl::string_view der) {
  return internal::DecodeMessage<ServerSigned1>(
      der, der::kSequence, "ServerSigned1", ReadServerSigned1);
}

// --- CtxParams1 ---------------------------------------------------------

std::string CtxParams1::Encode() const {
  der::Writer w;
  internal::WriteCtxParams1(*this, w);
  return std::move(w).Finish();
}

absl::StatusOr<CtxParams1> CtxParams1::Decode(absl::string_view der) {
  RETURN_IF_ERROR(der::ParseSingleTlv(der).status());
  der::Reader r(der, 0, "CtxParams1");
  ASSIGN_OR_RETURN(CtxParams1 v, internal::ReadCtxParams1(r, ""));
  return v;
}

// --- EuiccSigned1 -------------------------------------------------------

std::string EuiccSigned1::Encode() const {
  der::Writer w;
  WriteEuiccSigned1(*this, w);
  return std::move(w).Finish();
}

absl::StatusOr<EuiccSigned1> EuiccSigned1::Decode(absl::string_view der) {
  return internal::DecodeMessage<EuiccSigned1>(
      der, der::kSequence, "EuiccSigned1", ReadEuiccSigned1);
}

// --- AuthenticateServerRequest ------------------------------------------

std::string AuthenticateServerRequest::Encode() const {
  der::Writer w;
  w.Constructed(tags::kAuthenticateServer, [&](der::Writer& w) {
    w.AddRaw(server_signed1.der);
    w.Add(tags::kSignature, server_signature1);
    w.Add(der::kOctetString, euicc_ci_pkid_to_be_used);
    w.AddRaw(server_certificate);
    internal::WriteCtxParams1(ctx_params1, w);
  });
  return std::move(w).Finish();
}

absl::StatusOr<AuthenticateServerRequest> AuthenticateServerRequest::Decode(
    absl::string_view der) {
  return internal::DecodeMessage<AuthenticateServerRequest>(
      der, tags::kAuthenticateServer, "AuthenticateServerRequest",
      ReadAuthenticateServerRequest);
}

// --- AuthenticateServerResponse -----------------------------------------

std::string AuthenticateServerResponse::Encode() const {
  der::Writer w;
  w.Constructed(tags::kAuthenticateServer, [&](der::Writer& w) {
    if (const auto* ok = std::get_if<AuthenticateResponseOk>(&result)) {
      w.Constructed(ContextTag(0, true), [&](der::Writer& w) {
        w.AddRaw(ok->euicc_signed1.der);
        w.Add(tags::kSignature, ok->euicc_signature1);
        w.AddRaw(ok->euicc_certificate);
        w.AddRaw(ok->eum_certificate);
        if (!ok->other_certs_in_chain.empty()) {
          w.Constructed(ContextTag(0, true), [&](der::Writer& w) {
            for (const std::string& c : ok->other_certs_in_chain) w.AddRaw(c);
          });
        }
      });
    } else {
      const auto& error = std::get<AuthenticateResponseError>(result);
      w.Constructed(ContextTag(1, true), [&](der::Writer& w) {
        w.Add(ContextTag(0), error.transaction_id);
        w.AddInteger(static_cast<int64_t>(error.authenticate_error_code));
      });
    }
  });
  return std::move(w).Finish();
}

absl::StatusOr<AuthenticateServerResponse> AuthenticateServerResponse::Decode(
    absl::string_view der) {
  return internal::DecodeMessage<AuthenticateServerResponse>(
      der, tags::kAuthenticateServer, "AuthenticateServerResponse",
      ReadAuthenticateServerResponse);
}

}  // namespace smdp::sgp22
