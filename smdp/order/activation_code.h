// The Activation Code of SGP.22 4.1: what an operator hands to the end user
// (printed, or as a QR code) so that the LPA knows where to download the
// profile and with which matchingId.
//
//   1$SMDP.EXAMPLE.COM$04386-AGYFT-A74Y8-3F815
//   1$SMDP.EXAMPLE.COM$04386-AGYFT-A74Y8-3F815$1.3.6.1.4.1.31746$1
//   1$SMDP.EXAMPLE.COM$04386-AGYFT-A74Y8-3F815$$1      (no OID, CC required)
//   1$SMDP.EXAMPLE.COM$$1.3.6.1.4.1.31746              (empty AC_Token)
//
// Fields, '$'-separated, in this order:
//   AC_Format   "1" (the only format SGP.22 v2 defines).
//   SM-DP+ Address
//               the SM-DP+'s FQDN. We also accept a single label
//               ("localhost") and a ":port" suffix, which test deployments
//               use; LPAs connect to port 443 otherwise.
//   AC_Token    the matchingId: A-Z a-z 0-9 '-', at most 64 characters
//               (smdp/order/order_service.h). May be empty: the SM-DP+ then
//               finds the order by the eUICC's EID.
//   SM-DP+ OID  optional: the registeredID of the SM-DP+'s certificates,
//               dotted decimal.
//   Confirmation Code Required Flag
//               optional: "1" when the end user must enter a confirmation
//               code. Its '$' delimiter needs the OID's before it, even
//               without an OID ("$$1").
// The delimiter of an optional field is present only when the field (or a
// later one) is. A QR code (ISO/IEC 18004) carries the code prefixed with
// "LPA:".
//
//   ASSIGN_OR_RETURN(std::string text,
//                    FormatActivationCode({.smdp_address = "smdp.example",
//                                          .matching_id = "AB-12"}));
//   // "LPA:1$smdp.example$AB-12"
//   ASSIGN_OR_RETURN(ActivationCode code, ParseActivationCode(text));
//
// Errors: InvalidArgument whose message names the part that is wrong
// ("activation code: SM-DP+ address 'a..b': empty label").
#ifndef SMDP_SMDP_ORDER_ACTIVATION_CODE_H_
#define SMDP_SMDP_ORDER_ACTIVATION_CODE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace smdp::order {

// The prefix of an Activation Code in a QR code.
inline constexpr absl::string_view kActivationCodeQrPrefix = "LPA:";

struct ActivationCode {
  std::string smdp_address;
  // The AC_Token; empty: none (the order is found by EID).
  std::string matching_id;
  // Empty: no OID.
  std::string smdp_oid;
  bool confirmation_code_required = false;

  friend bool operator==(const ActivationCode&,
                         const ActivationCode&) = default;
};

enum class ActivationCodeForm {
  // "LPA:1$...": what a QR code carries (and what smdpctl prints).
  kQrCode,
  // "1$...": what an end user types in.
  kPlain,
};

// OK when every field is valid (see the file comment).
[[nodiscard]] absl::Status ValidateActivationCode(const ActivationCode& code);

// The code as text; InvalidArgument when a field is not valid.
[[nodiscard]] absl::StatusOr<std::string> FormatActivationCode(
    const ActivationCode& code,
    ActivationCodeForm form = ActivationCodeForm::kQrCode);

// Parses "LPA:1$..." or "1$..." (the prefix in any case). Strict: no
// surrounding spaces, no empty optional field, no field after the flag.
[[nodiscard]] absl::StatusOr<ActivationCode> ParseActivationCode(
    absl::string_view text);

}  // namespace smdp::order

#endif  // SMDP_SMDP_ORDER_ACTIVATION_CODE_H_
