// The tags of SGP.22 RSPDefinitions that the eUICC's decoders and encoders
// (sgp22_decode.h, sgp22_encode.h) both use: the explicitly numbered types
// ([APPLICATION n], and [n] on a top-level message). Components tagged by
// position ([0], [1], ...) are written where they are read or written.
#ifndef SMDP_TESTS_EUICC_INTERNAL_SGP22_TAGS_H_
#define SMDP_TESTS_EUICC_INTERNAL_SGP22_TAGS_H_

#include "sgp22/der.h"

namespace smdp::euicc::internal::tags {

using ::smdp::sgp22::der::ApplicationTag;
using ::smdp::sgp22::der::ContextTag;
using ::smdp::sgp22::der::Tag;

inline constexpr Tag kSignature = ApplicationTag(55);  // 5F37
inline constexpr Tag kOtpk = ApplicationTag(73);       // 5F49
inline constexpr Tag kIccid = ApplicationTag(26);      // 5A
inline constexpr Tag kAid = ApplicationTag(15);        // 4F
// ES10b request and response share their tag.
inline constexpr Tag kPrepareDownload = ContextTag(33, true);            // BF21
inline constexpr Tag kAuthenticateServer = ContextTag(56, true);         // BF38
inline constexpr Tag kCancelSession = ContextTag(65, true);              // BF41
inline constexpr Tag kInitialiseSecureChannel = ContextTag(35, true);    // BF23
inline constexpr Tag kConfigureIsdp = ContextTag(36, true);              // BF24
inline constexpr Tag kStoreMetadata = ContextTag(37, true);              // BF25
inline constexpr Tag kReplaceSessionKeys = ContextTag(38, true);         // BF26
inline constexpr Tag kPirData = ContextTag(39, true);                    // BF27
inline constexpr Tag kNotificationMetadata = ContextTag(47, true);       // BF2F
inline constexpr Tag kBoundProfilePackage = ContextTag(54, true);        // BF36
inline constexpr Tag kProfileInstallationResult = ContextTag(55, true);  // BF37

}  // namespace smdp::euicc::internal::tags

#endif  // SMDP_TESTS_EUICC_INTERNAL_SGP22_TAGS_H_
