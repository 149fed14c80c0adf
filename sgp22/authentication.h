// Common mutual authentication (SGP.22 3.1.2): what the SM-DP+ signs in
// InitiateAuthentication, what the LPA forwards to the eUICC
// (ES10b.AuthenticateServer), and what the eUICC answers
// (AuthenticateServerResponse, sent to ES9+.AuthenticateClient).
//
//   // InitiateAuthentication, server side:
//   auto signed1 = SignedPart<ServerSigned1>::Make(
//       {transaction_id, euicc_challenge, "smdp.example.com",
//       server_challenge});
//   ASSIGN_OR_RETURN(std::string sig, dpauth->Sign(signed1.der));
//   // JSON: serverSigned1 = base64(signed1.der),
//   //       serverSignature1 = base64(EncodeSignatureTlv(sig))
//
//   // AuthenticateClient, server side:
//   ASSIGN_OR_RETURN(auto response, AuthenticateServerResponse::Decode(der));
//   if (auto* ok = std::get_if<AuthenticateResponseOk>(&response.result)) {
//     // verify ok->euicc_signature1 over ok->euicc_signed1.der
//   }
//
// See types.h for what Encode()/Decode() guarantee.
#ifndef SMDP_SGP22_AUTHENTICATION_H_
#define SMDP_SGP22_AUTHENTICATION_H_

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "sgp22/euicc_info.h"
#include "sgp22/types.h"

namespace smdp::sgp22 {

// ServerSigned1 ::= SEQUENCE (tag 30), signed by the SM-DP+ with SK.DPauth.
struct ServerSigned1 {
  std::string transaction_id;    // [0] 1..16 bytes
  std::string euicc_challenge;   // [1] 16 bytes
  std::string server_address;    // [3] UTF8String
  std::string server_challenge;  // [4] 16 bytes
  // v3 sessionContext [5] and later fields are skipped.

  std::string Encode() const;
  [[nodiscard]] static absl::StatusOr<ServerSigned1> Decode(
      absl::string_view der);

  friend bool operator==(const ServerSigned1&, const ServerSigned1&) = default;
};

// CtxParamsForCommonAuthentication ::= SEQUENCE.
struct CtxParamsForCommonAuthentication {
  // [0] matchingId: the activation code token, an event id, or empty;
  // absent when the LPA has none.
  std::optional<std::string> matching_id;
  // [1] deviceInfo.
  DeviceInfo device_info;
  // v3 fields (operationType, iccid, matchingIdSource, ...) are skipped.

  friend bool operator==(const CtxParamsForCommonAuthentication&,
                         const CtxParamsForCommonAuthentication&) = default;
};

// CtxParams1 ::= CHOICE. SGP.22 v2 has one alternative,
// ctxParamsForCommonAuthentication [0] (tag A0); v3 adds others (device
// change, profile recovery, ...), kept here as received.
struct CtxParams1 {
  // Set for the [0] alternative.
  std::optional<CtxParamsForCommonAuthentication> common_authentication;
  // Otherwise: the whole TLV of the other alternative.
  std::string other_alternative;

  // The CHOICE TLV (A0 ... for common authentication).
  std::string Encode() const;
  [[nodiscard]] static absl::StatusOr<CtxParams1> Decode(absl::string_view der);

  friend bool operator==(const CtxParams1&, const CtxParams1&) = default;
};

// EuiccSigned1 ::= SEQUENCE (tag 30), signed by the eUICC with SK.EUICC.
struct EuiccSigned1 {
  std::string transaction_id;    // [0] 1..16 bytes
  std::string server_address;    // [3] UTF8String
  std::string server_challenge;  // [4] 16 bytes
  EuiccInfo2 euicc_info2;        // [34] (BF22)
  CtxParams1 ctx_params1;

  std::string Encode() const;
  [[nodiscard]] static absl::StatusOr<EuiccSigned1> Decode(
      absl::string_view der);

  friend bool operator==(const EuiccSigned1&, const EuiccSigned1&) = default;
};

// AuthenticateServerRequest ::= [56] SEQUENCE, tag BF38: the LPA builds it
// from the InitiateAuthentication answer and sends it to the eUICC.
struct AuthenticateServerRequest {
  SignedPart<ServerSigned1> server_signed1;
  std::string server_signature1;  // 5F37, 64 bytes r||s
  // euiccCiPKIdToBeUsed: the key identifier (contents of the 04 TLV).
  std::string euicc_ci_pkid_to_be_used;
  std::string server_certificate;  // CERT.DPauth, whole DER
  CtxParams1 ctx_params1;

  std::string Encode() const;
  [[nodiscard]] static absl::StatusOr<AuthenticateServerRequest> Decode(
      absl::string_view der);

  friend bool operator==(const AuthenticateServerRequest&,
                         const AuthenticateServerRequest&) = default;
};

// AuthenticateResponseOk ::= SEQUENCE ([0] alternative, tag A0).
struct AuthenticateResponseOk {
  SignedPart<EuiccSigned1> euicc_signed1;
  std::string euicc_signature1;   // 5F37, 64 bytes r||s over euicc_signed1.der
  std::string euicc_certificate;  // CERT.EUICC, whole DER
  std::string eum_certificate;    // CERT.EUM (v3: nextCertInChain)
  // v3 otherCertsInChain [0]: further certificates up to the CI.
  std::vector<std::string> other_certs_in_chain;

  friend bool operator==(const AuthenticateResponseOk&,
                         const AuthenticateResponseOk&) = default;
};

// AuthenticateResponseError ::= SEQUENCE ([1] alternative, tag A1).
struct AuthenticateResponseError {
  std::string transaction_id;  // [0]
  AuthenticateErrorCode authenticate_error_code =
      AuthenticateErrorCode::kUndefinedError;

  friend bool operator==(const AuthenticateResponseError&,
                         const AuthenticateResponseError&) = default;
};

// AuthenticateServerResponse ::= [56] CHOICE, tag BF38.
struct AuthenticateServerResponse {
  std::variant<AuthenticateResponseOk, AuthenticateResponseError> result;

  std::string Encode() const;
  [[nodiscard]] static absl::StatusOr<AuthenticateServerResponse> Decode(
      absl::string_view der);

  friend bool operator==(const AuthenticateServerResponse&,
                         const AuthenticateServerResponse&) = default;
};

}  // namespace smdp::sgp22

#endif  // SMDP_SGP22_AUTHENTICATION_H_
