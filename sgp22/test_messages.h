// Test fixtures: one populated value of every SGP.22 message, for round-trip
// tests, fuzz seeds and the test eUICC. Signatures, keys and certificates are
// placeholders of the right shape (64-byte signatures, 65-byte points,
// certificate-shaped SEQUENCEs), not valid cryptography.
#ifndef SMDP_SGP22_TEST_MESSAGES_H_
#define SMDP_SGP22_TEST_MESSAGES_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "sgp22/authentication.h"
#include "sgp22/bpp.h"
#include "sgp22/download.h"
#include "sgp22/euicc_info.h"
#include "sgp22/notification.h"

namespace smdp::sgp22::testing {

// `n` bytes counting up from `first`.
std::string Bytes(size_t n, uint8_t first = 0);
// A SEQUENCE shaped like an X.509 certificate, distinct per `label`.
std::string FakeCertificate(absl::string_view label);
// A 64-byte "signature" distinct per `label`.
std::string FakeSignature(absl::string_view label);
// A 65-byte uncompressed "point" 04||X||Y.
std::string FakePoint(uint8_t seed);

// The GSMA test CI key identifier of SGP.26 (81370F51...).
std::string TestCiKeyId();

EuiccInfo1 SampleEuiccInfo1();
EuiccInfo2 SampleEuiccInfo2();    // v2.2 fields
EuiccInfo2 SampleEuiccInfo2V3();  // with the v3 fields
ServerSigned1 SampleServerSigned1();
CtxParams1 SampleCtxParams1();
EuiccSigned1 SampleEuiccSigned1();
AuthenticateServerRequest SampleAuthenticateServerRequest();
AuthenticateServerResponse SampleAuthenticateServerResponseOk();
AuthenticateServerResponse SampleAuthenticateServerResponseError();
StoreMetadataRequest SampleStoreMetadataRequest();
SmdpSigned2 SampleSmdpSigned2();
PrepareDownloadRequest SamplePrepareDownloadRequest();
EuiccSigned2 SampleEuiccSigned2();
PrepareDownloadResponse SamplePrepareDownloadResponseOk();
PrepareDownloadResponse SamplePrepareDownloadResponseError();
InitialiseSecureChannelRequest SampleInitialiseSecureChannelRequest();
ConfigureIsdpRequest SampleConfigureIsdpRequest();
ReplaceSessionKeysRequest SampleReplaceSessionKeysRequest();
// A BPP with `profile_segments` 86 segments of ~1020 bytes and, when
// `with_ppk`, a second sequence of 87.
BoundProfilePackage SampleBoundProfilePackage(size_t profile_segments = 3,
                                              bool with_ppk = true);
NotificationMetadata SampleNotificationMetadata();
ProfileInstallationResult SampleProfileInstallationResultSuccess();
ProfileInstallationResult SampleProfileInstallationResultError();
OtherSignedNotification SampleOtherSignedNotification();
CancelSessionResponse SampleCancelSessionResponseOk();
CancelSessionResponse SampleCancelSessionResponseError();

// One encoded sample of every top-level message, by name ("EuiccInfo1",
// "AuthenticateServerResponse.ok", ...), for table-driven tests and seeds.
std::vector<std::pair<std::string, std::string>> AllEncodedSamples();

}  // namespace smdp::sgp22::testing

#endif  // SMDP_SGP22_TEST_MESSAGES_H_
