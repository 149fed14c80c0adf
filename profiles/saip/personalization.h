// Personalisation of a SAIP template: one subscriber's values written into a
// copy of the template's profile package.
//
//   ASSIGN_OR_RETURN(Template tpl, Template::Create(template_upp));
//   SubscriberData data;
//   data.iccid = "8949449999999990171";
//   data.imsi = "001010123456063";
//   data.ki = ...;  // 16 raw bytes
//   ASSIGN_OR_RETURN(std::string upp, tpl.Personalize(data));
//
// What is written (locations: profile_package.h):
//   * ICCID into ProfileHeader.iccid and every EF.ICCID;
//   * IMSI into every EF.IMSI (and EF.ACC, see PersonalizationOptions);
//   * Ki and OPc into every algoParameter (key, opc);
//   * PIN1, PIN2, ADM1 into every PINConfiguration with that keyReference,
//     PUK1, PUK2 into every PUKConfiguration with that keyReference;
//   * MSISDN into the first record of every EF.MSISDN.
// A value the subscriber data leaves empty keeps the template's value
// (ICCID, IMSI, Ki and OPc are mandatory). A value given for a field the
// template lacks is FailedPrecondition, naming the field: nothing is ever
// silently not written.
//
// File contents are replaced by one fillFileContent holding the new
// content (other fill elements of that File are dropped, as the new content
// covers the whole file); values keep the template's sizes where they are
// fixed, so for a usual template the output has the template's layout and
// only the values' bytes differ. Where a size changes (a longer key, a file
// content the template did not carry), the enclosing lengths are
// re-encoded.
//
// Thread-safety: a Template is immutable after Create(); Personalize() may
// run on many threads at once.
#ifndef SMDP_PROFILES_SAIP_PERSONALIZATION_H_
#define SMDP_PROFILES_SAIP_PERSONALIZATION_H_

#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "profiles/saip/profile_package.h"

namespace smdp::profiles::saip {

// Overwrites the whole buffer of `*s` (up to its capacity, so bytes left
// behind by a shorter value or a move are wiped too), then clears it.
void WipeSecret(std::string* s);

// One subscriber's values. Secrets (ki, opc, the codes) are wiped from
// these strings' buffers when the object is destroyed (best effort: copies
// made elsewhere are not).
struct SubscriberData {
  SubscriberData() = default;
  SubscriberData(const SubscriberData&) = default;
  SubscriberData(SubscriberData&&) = default;
  SubscriberData& operator=(const SubscriberData&) = default;
  SubscriberData& operator=(SubscriberData&&) = default;
  ~SubscriberData();

  std::string iccid;  // 19 or 20 digits
  std::string imsi;   // 6..15 digits
  std::string ki;     // the key, raw bytes (16; 32 for TUAK-256)
  std::string opc;    // OPc (or TOPc), raw bytes (16; 32 for TUAK)
  std::string pin1;   // 4..8 digits; empty: keep the template's
  std::string pin2;   // 4..8 digits; empty: keep
  std::string puk1;   // 8 digits; empty: keep
  std::string puk2;   // 8 digits; empty: keep
  // ADM1 as its 8-byte pinValue (EncodeAdmValue()); empty: keep.
  std::string adm1;
  std::string msisdn;  // '+' optional, 1..20 digits; empty: keep
  std::string acc;     // EF.ACC, 2 raw bytes; empty: see options
};

struct PersonalizationOptions {
  // When SubscriberData::acc is empty, write EF.ACC from the IMSI's last
  // digit (EncodeAccForImsi). Default false: keep the template's EF.ACC.
  bool derive_acc_from_imsi = false;
};

// A decoded template, ready to personalise many times.
class Template {
 public:
  // Decodes and keeps a copy of `upp`. InvalidArgument when it is not a
  // valid package; FailedPrecondition when it lacks what every profile
  // needs: the header ICCID, an EF.ICCID, an EF.IMSI and an algoParameter.
  [[nodiscard]] static absl::StatusOr<Template> Create(
      std::string upp, PersonalizationOptions options = {},
      const DecodeOptions& decode_options = {});

  const std::string& bytes() const { return upp_; }
  const ProfilePackage& package() const { return package_; }

  // The template with `data` written in (see the file comment).
  // InvalidArgument for a malformed value (the message never contains a
  // secret value), FailedPrecondition for a value the template has no
  // field for.
  [[nodiscard]] absl::StatusOr<std::string> Personalize(
      const SubscriberData& data) const;

 private:
  Template(std::string upp, ProfilePackage package,
           PersonalizationOptions options)
      : upp_(std::move(upp)), package_(std::move(package)), options_(options) {}

  std::string upp_;
  ProfilePackage package_;
  PersonalizationOptions options_;
};

// Reads the subscriber values back from a decoded package `upp`: the
// header ICCID (which every EF.ICCID must equal, else FailedPrecondition),
// the first EF.IMSI, EF.ACC and EF.MSISDN, the first algoParameter's key
// and opc, the first PIN1/PIN2/ADM1 and PUK1/PUK2. Fields the package lacks
// stay empty. The result holds secrets: keep it short-lived.
[[nodiscard]] absl::StatusOr<SubscriberData> ReadSubscriberData(
    absl::string_view upp, const ProfilePackage& package);

}  // namespace smdp::profiles::saip

#endif  // SMDP_PROFILES_SAIP_PERSONALIZATION_H_
