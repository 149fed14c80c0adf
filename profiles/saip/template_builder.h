// Our own minimal SAIP template, for tests, benches and development: a
// well-formed profile package with every field personalisation writes, so
// that nothing needs an operator's (or anyone's) profile file.
//
//   ASSIGN_OR_RETURN(std::string upp, BuildTemplate({}));
//   ASSIGN_OR_RETURN(Template tpl, Template::Create(upp));
//
// The package (SAIP v2.3, PEDefinitions tags):
//   A0 header        version 2.3, profileType, ICCID, mandatory services
//                    {usim, milenage | tuak128 | usim-test-algorithm},
//                    GFSTE list {id-MF, id-USIM[, id-OPT-USIM]}
//   B0 mf            MF, EF.ICCID (content), EF.DIR (the USIM's record),
//                    EF.ARR
//   A3 pukCodes      PUK1 (1), PUK2 (0x81)
//   A2 pinCodes      PIN1 (1, unblocked by PUK1), ADM1 (0x0A)
//   B3 usim          ADF.USIM, EF.IMSI (content), EF.ARR, EF.UST, EF.SPN,
//                    EF.EST, EF.ACC (content), EF.ECC
//   B4 opt-usim      EF.MSISDN (linear fixed, 28-byte records), optional
//   A2 pinCodes      PIN2 (0x81, unblocked by PUK2), in the ADF
//   A4 akaParameter  algoParameter {algorithm, key, opc}
//   A1 genericFileManagement  optional filler EFs under the MF
//   A6 securityDomain         optional MNO-SD with one test key set
//   AA end
// Identification numbers count from 1 in this order.
//
// Thread-safe (pure function).
#ifndef SMDP_PROFILES_SAIP_TEMPLATE_BUILDER_H_
#define SMDP_PROFILES_SAIP_TEMPLATE_BUILDER_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "profiles/saip/personalization.h"
#include "profiles/saip/profile_package.h"

namespace smdp::profiles::saip {

struct TemplateOptions {
  // The values the template carries. Empty fields get placeholders: ICCID
  // 898821000000000000 + Luhn digit, IMSI 001010000000000, Ki and OPc of
  // 16 zero bytes, PIN1/PIN2 "0000", PUK1/PUK2 "00000000", ADM1
  // "00000000", EF.ACC 00 01, no MSISDN (an unused record).
  SubscriberData values;
  std::string profile_type = "smdp-test-template";
  // kAlgorithmMilenage, kAlgorithmTuak or kAlgorithmUsimTest.
  uint32_t algorithm = kAlgorithmMilenage;
  // Include PE-OPT-USIM with EF.MSISDN; with `msisdn_content` false its
  // File carries only the Fcp (no fillFileContent), as in public test
  // profiles.
  bool msisdn_file = true;
  bool msisdn_content = true;
  // Include a minimal MNO security domain PE.
  bool security_domain = true;
  // Bytes of filler EF content under the MF (a genericFileManagement PE,
  // EFs of at most 32 KiB each), to make profiles of a given size for
  // benches. 0: none.
  size_t filler_bytes = 0;
};

// Builds the template. InvalidArgument for malformed values in
// `options.values` or an unknown algorithm.
[[nodiscard]] absl::StatusOr<std::string> BuildTemplate(
    const TemplateOptions& options = {});

}  // namespace smdp::profiles::saip

#endif  // SMDP_PROFILES_SAIP_TEMPLATE_BUILDER_H_
