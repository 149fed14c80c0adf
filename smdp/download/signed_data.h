// What each ES9+ signature covers: the exact byte strings the SM-DP+ signs
// and the eUICC signs (SGP.22 5.5 / 5.6 / 5.7). Every input is taken as
// received (raw DER), never re-encoded, so a signature made over one byte
// string is verified over the same one.
//
//   serverSignature1   = Sign(SK.DPauth, serverSigned1)
//   euiccSignature1    = Sign(SK.EUICC,  euiccSigned1)
//   smdpSignature2     = Sign(SK.DPpb,   smdpSigned2 || 5F37 40
//   euiccSignature1) euiccSignature2    = Sign(SK.EUICC,  euiccSigned2 || 5F37
//   40 smdpSignature2) smdpSign (BF23)    = Sign(SK.DPpb,   82..5F49 smdpOtpk
//   || 5F49 euiccOtpk) euiccSignPIR       = Sign(SK.EUICC,
//   ProfileInstallationResultData) euiccNotificationSignature = Sign(SK.EUICC,
//   NotificationMetadata) euiccCancelSessionSignature = Sign(SK.EUICC,
//   euiccCancelSessionSigned)
//
// Signatures are 64-byte r||s. Thread-safe (pure functions).
#ifndef SMDP_SMDP_DOWNLOAD_SIGNED_DATA_H_
#define SMDP_SMDP_DOWNLOAD_SIGNED_DATA_H_

#include <string>

#include "absl/strings/string_view.h"

namespace smdp::download {

// smdpSigned2 (raw DER) || 5F37 40 euiccSignature1.
std::string SmdpSignature2Input(absl::string_view smdp_signed2_der,
                                absl::string_view euicc_signature1);

// euiccSigned2 (raw DER) || 5F37 40 smdpSignature2.
std::string EuiccSignature2Input(absl::string_view euicc_signed2_der,
                                 absl::string_view smdp_signature2);

// hashCc = SHA-256(SHA-256(confirmation code) || transactionId), 32 bytes.
std::string HashConfirmationCode(absl::string_view confirmation_code,
                                 absl::string_view transaction_id);

// hashCc from the stored SHA-256(confirmation code) (the order keeps only
// the hash of the code).
std::string HashCcFromCodeHash(absl::string_view code_sha256,
                               absl::string_view transaction_id);

// Compares two byte strings in time independent of their contents (for
// hashCc and other secrets-derived values).
bool ConstantTimeEquals(absl::string_view a, absl::string_view b);

}  // namespace smdp::download

#endif  // SMDP_SMDP_DOWNLOAD_SIGNED_DATA_H_
