// The software eUICC's own encoders for what it sends to the SM-DP+
// (through the LPA), written from the SGP.22 v2 ASN.1 module RSPDefinitions
// like its decoders (sgp22_decode.h) and sharing no message code with
// sgp22: the server's decoders are then tested against bytes that its
// own encoders did not make.
//
// Tagging, by the module's AUTOMATIC TAGS: a SEQUENCE or CHOICE whose
// components carry no tag gets [0], [1], ... (CancelSessionResponse's error
// INTEGER is 81; ErrorResult is 80/81/82); one with a tagged component
// keeps the universal tags of its untagged ones (EUICCSigned2.hashCc 04,
// AuthenticateResponseError's code 02, ProfileInstallationResultData's
// smdpOid 06, NotificationMetadata's notificationAddress 0C).
//
// Signed parts are encoded on their own (Encode...Signed...) so the caller
// signs exactly the bytes it then puts into the response. Pure functions.
#ifndef SMDP_TESTS_EUICC_INTERNAL_SGP22_ENCODE_H_
#define SMDP_TESTS_EUICC_INTERNAL_SGP22_ENCODE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "absl/strings/string_view.h"
#include "sgp22/der.h"

namespace smdp::euicc::internal {

// ---- AuthenticateServerResponse (BF38) ----

// EuiccSigned1 ::= SEQUENCE (30) { transactionId [0], serverAddress [3],
// serverChallenge [4], euiccInfo2 [34] (BF22, `euicc_info2_der` whole),
// ctxParams1 (`ctx_params1_der`, the received CtxParams1 TLV) }.
std::string EncodeEuiccSigned1(absl::string_view transaction_id,
                               absl::string_view server_address,
                               absl::string_view server_challenge,
                               absl::string_view euicc_info2_der,
                               absl::string_view ctx_params1_der);
// BF38 { A0 AuthenticateResponseOk { euiccSigned1, 5F37 euiccSignature1,
// euiccCertificate, eumCertificate } }.
std::string EncodeAuthenticateResponseOk(absl::string_view euicc_signed1_der,
                                         absl::string_view euicc_signature1,
                                         absl::string_view euicc_certificate,
                                         absl::string_view eum_certificate);
// BF38 { A1 AuthenticateResponseError { 80 transactionId, 02 code } }.
std::string EncodeAuthenticateResponseError(absl::string_view transaction_id,
                                            int64_t code);

// ---- PrepareDownloadResponse (BF21) ----

// EUICCSigned2 ::= SEQUENCE (30) { transactionId [0], euiccOtpk 5F49,
// hashCc Octet32 (04) OPTIONAL }.
std::string EncodeEuiccSigned2(absl::string_view transaction_id,
                               absl::string_view euicc_otpk,
                               const std::optional<std::string>& hash_cc);
// BF21 { A0 { euiccSigned2, 5F37 euiccSignature2 } }.
std::string EncodePrepareDownloadResponseOk(absl::string_view euicc_signed2_der,
                                            absl::string_view euicc_signature2);
// BF21 { A1 { 80 transactionId, 02 downloadErrorCode } }.
std::string EncodePrepareDownloadResponseError(absl::string_view transaction_id,
                                               int64_t code);

// ---- CancelSessionResponse (BF41) ----

// EuiccCancelSessionSigned ::= SEQUENCE (30) { transactionId (80), smdpOid
// (81), reason (82) } (automatic tags).
std::string EncodeEuiccCancelSessionSigned(absl::string_view transaction_id,
                                           const sgp22::der::Oid& smdp_oid,
                                           int64_t reason);
// BF41 { A0 { euiccCancelSessionSigned, 5F37 signature } }.
std::string EncodeCancelSessionResponseOk(absl::string_view signed_der,
                                          absl::string_view signature);
// BF41 { 81 code }.
std::string EncodeCancelSessionResponseError(int64_t code);

// ---- ProfileInstallationResult (BF37) ----

// SuccessResult ::= SEQUENCE { aid 4F, simaResponse 04 }.
struct PirSuccess {
  std::string aid;
  std::string sima_response;
};
// ErrorResult ::= SEQUENCE { bppCommandId 80, errorReason 81, simaResponse
// 82 OPTIONAL }.
struct PirError {
  int64_t bpp_command_id = 0;
  int64_t error_reason = 0;
  std::optional<std::string> sima_response;
};

struct ProfileInstallationResultFields {
  std::string transaction_id;
  // NotificationMetadata (BF2F): seqNumber 80, profileManagementOperation
  // 81 (notificationInstall), notificationAddress 0C, iccid 5A OPTIONAL.
  int64_t seq_number = 0;
  std::string notification_address;
  std::optional<std::string> iccid;
  std::optional<sgp22::der::Oid> smdp_oid;  // 06: its siblings are tagged
  std::variant<PirSuccess, PirError> final_result;  // A2 { A0 | A1 }
};

// ProfileInstallationResultData ::= [39] SEQUENCE (BF27).
std::string EncodeProfileInstallationResultData(
    const ProfileInstallationResultFields& fields);
// BF37 { BF27 data, 5F37 euiccSignPIR }.
std::string EncodeProfileInstallationResult(absl::string_view data_der,
                                            absl::string_view signature);

}  // namespace smdp::euicc::internal

#endif  // SMDP_TESTS_EUICC_INTERNAL_SGP22_ENCODE_H_
