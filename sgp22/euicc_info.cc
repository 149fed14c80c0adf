#include "sgp22/euicc_info.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "sgp22/internal/codec.h"
#include "util/status_macros.h"

namespace smdp::sgp22 {
namespace {

using der::ContextTag;
using internal::ReadKeyIdList;

constexpr absl::string_view kInfo1 = "EUICCInfo1";
constexpr absl::string_view kInfo2 = "EUICCInfo2";

void WriteKeyIdList(der::Tag tag, const std::vector<std::string>& ids,
                    der::Writer& w) {
  w.Constructed(tag, [&](der::Writer& w) {
    for (const std::string& id : ids) w.Add(der::kOctetString, id);
  });
}

absl::StatusOr<EuiccInfo1> ReadEuiccInfo1(der::Reader& r) {
  EuiccInfo1 v;
  ASSIGN_OR_RETURN(v.svn, internal::ReadVersion(r, ContextTag(2), "svn"));
  ASSIGN_OR_RETURN(
      v.euicc_ci_pkid_list_for_verification,
      ReadKeyIdList(r, ContextTag(9, true), "euiccCiPKIdListForVerification"));
  ASSIGN_OR_RETURN(
      v.euicc_ci_pkid_list_for_signing,
      ReadKeyIdList(r, ContextTag(10, true), "euiccCiPKIdListForSigning"));
  // v3 fields: their order differs between drafts, so any order is taken.
  ASSIGN_OR_RETURN(std::vector<der::Tlv> extensions, r.FinishExtensible());
  for (const der::Tlv& t : extensions) {
    if (t.tag == ContextTag(19)) {
      if (v.highest_svn) return internal::Duplicate(r, "highestSvn");
      absl::StatusOr<VersionType> svn = VersionType::FromBytes(t.value);
      if (!svn.ok()) return r.FieldError("highestSvn", svn.status().message());
      v.highest_svn = *svn;
    } else if (t.tag == ContextTag(17, true)) {
      if (v.euicc_ci_pkid_list_for_signing_v3) {
        return internal::Duplicate(r, "euiccCiPKIdListForSigningV3");
      }
      ASSIGN_OR_RETURN(v.euicc_ci_pkid_list_for_signing_v3,
                       ReadKeyIdList(r, t, "euiccCiPKIdListForSigningV3"));
    } else if (t.tag == ContextTag(8)) {
      if (v.euicc_rsp_capability) {
        return internal::Duplicate(r, "euiccRspCapability");
      }
      absl::StatusOr<der::BitString> bits = der::BitString::Decode(t.value);
      if (!bits.ok()) {
        return r.FieldError("euiccRspCapability", bits.status().message());
      }
      v.euicc_rsp_capability = *std::move(bits);
    }
  }
  return v;
}

absl::StatusOr<CertificationDataObject> ReadCertificationDataObject(
    der::Reader& r) {
  CertificationDataObject v;
  ASSIGN_OR_RETURN(v.platform_label,
                   internal::ReadUtf8(r, ContextTag(0), "platformLabel"));
  ASSIGN_OR_RETURN(v.discovery_base_url,
                   internal::ReadUtf8(r, ContextTag(1), "discoveryBaseURL"));
  RETURN_IF_ERROR(r.FinishExtensible().status());
  return v;
}

absl::StatusOr<uint64_t> Unsigned(absl::string_view bytes) {
  if (bytes.empty() || bytes.size() > 8) {
    return absl::InvalidArgumentError(
        absl::StrCat("extCardResource: value of ", bytes.size(), " bytes"));
  }
  uint64_t v = 0;
  for (char c : bytes) v = (v << 8) | static_cast<uint8_t>(c);
  return v;
}

std::string UnsignedBytes(uint64_t v, size_t min_size) {
  std::string out;
  while (v != 0 || out.size() < min_size) {
    out.insert(out.begin(), static_cast<char>(v & 0xFF));
    v >>= 8;
  }
  return out;
}

}  // namespace

// --- EuiccInfo1 ---------------------------------------------------------

std::string EuiccInfo1::Encode() const {
  der::Writer w;
  w.Constructed(tags::kEuiccInfo1, [&](der::Writer& w) {
    w.Add(ContextTag(2), svn.Encode());
    WriteKeyIdList(ContextTag(9, true), euicc_ci_pkid_list_for_verification, w);
    WriteKeyIdList(ContextTag(10, true), euicc_ci_pkid_list_for_signing, w);
    if (highest_svn) w.Add(ContextTag(19), highest_svn->Encode());
    if (euicc_ci_pkid_list_for_signing_v3) {
      WriteKeyIdList(ContextTag(17, true), *euicc_ci_pkid_list_for_signing_v3,
                     w);
    }
    if (euicc_rsp_capability) {
      w.Add(ContextTag(8), euicc_rsp_capability->Encode());
    }
  });
  return std::move(w).Finish();
}

absl::StatusOr<EuiccInfo1> EuiccInfo1::Decode(absl::string_view der) {
  return internal::DecodeMessage<EuiccInfo1>(der, tags::kEuiccInfo1, kInfo1,
                                             ReadEuiccInfo1);
}

// --- ExtCardResource ----------------------------------------------------

absl::StatusOr<ExtCardResource> ExtCardResource::Parse(
    absl::string_view ext_card_resource) {
  ExtCardResource v;
  absl::string_view rest = ext_card_resource;
  while (!rest.empty()) {
    ASSIGN_OR_RETURN(der::Tlv t, der::ParseTlv(&rest));
    std::optional<uint64_t>* field = nullptr;
    if (t.tag == 0x81) field = &v.installed_applications;
    if (t.tag == 0x82) field = &v.free_non_volatile_memory;
    if (t.tag == 0x83) field = &v.free_volatile_memory;
    if (field == nullptr) continue;
    if (field->has_value()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "extCardResource: tag ", der::TagToString(t.tag), " repeated"));
    }
    ASSIGN_OR_RETURN(*field, Unsigned(t.value));
  }
  return v;
}

std::string ExtCardResource::Encode() const {
  der::Writer w;
  if (installed_applications) {
    w.Add(0x81, UnsignedBytes(*installed_applications, 1));
  }
  if (free_non_volatile_memory) {
    w.Add(0x82, UnsignedBytes(*free_non_volatile_memory, 4));
  }
  if (free_volatile_memory) {
    w.Add(0x83, UnsignedBytes(*free_volatile_memory, 4));
  }
  return std::move(w).Finish();
}

// --- EuiccInfo2 ---------------------------------------------------------

namespace internal {

// An optional informational field (see EuiccInfo2::unparsed_fields): the
// TLV `tag` when present; contents that `parse` refuses are recorded in
// `unparsed` under `field` and read as absent, never a refusal.
template <typename T, typename Parse>
absl::StatusOr<std::optional<T>> ReadInformational(
    der::Reader& r, der::Tag tag, absl::string_view field,
    std::vector<std::string>& unparsed, Parse parse) {
  ASSIGN_OR_RETURN(std::optional<der::Tlv> tlv, r.Optional(tag));
  if (!tlv) return std::nullopt;
  absl::StatusOr<T> value = parse(*tlv);
  if (!value.ok()) {
    unparsed.push_back(std::string(field));
    return std::nullopt;
  }
  return *std::move(value);
}

absl::StatusOr<VersionType> VersionOf(const der::Tlv& t) {
  return VersionType::FromBytes(t.value);
}
absl::StatusOr<int64_t> IntegerOf(const der::Tlv& t) {
  return der::DecodeInteger(t.value);
}
absl::StatusOr<der::BitString> BitsOf(const der::Tlv& t) {
  return der::BitString::Decode(t.value);
}

absl::StatusOr<EuiccInfo2> ReadEuiccInfo2(der::Reader& r) {
  EuiccInfo2 v;
  std::vector<std::string>& unparsed = v.unparsed_fields;
  ASSIGN_OR_RETURN(v.profile_version,
                   ReadVersion(r, ContextTag(1), "profileVersion"));
  ASSIGN_OR_RETURN(v.svn, ReadVersion(r, ContextTag(2), "svn"));
  ASSIGN_OR_RETURN(v.euicc_firmware_ver,
                   ReadVersion(r, ContextTag(3), "euiccFirmwareVer"));
  ASSIGN_OR_RETURN(v.ext_card_resource,
                   ReadOctets(r, ContextTag(4), "extCardResource"));
  ASSIGN_OR_RETURN(v.uicc_capability,
                   ReadBits(r, ContextTag(5), "uiccCapability"));
  ASSIGN_OR_RETURN(v.ts102241_version, ReadInformational<VersionType>(
                                           r, ContextTag(6), "ts102241Version",
                                           unparsed, VersionOf));
  ASSIGN_OR_RETURN(
      v.globalplatform_version,
      ReadInformational<VersionType>(r, ContextTag(7), "globalplatformVersion",
                                     unparsed, VersionOf));
  ASSIGN_OR_RETURN(v.rsp_capability,
                   ReadBits(r, ContextTag(8), "rspCapability"));
  ASSIGN_OR_RETURN(
      v.euicc_ci_pkid_list_for_verification,
      ReadKeyIdList(r, ContextTag(9, true), "euiccCiPKIdListForVerification"));
  ASSIGN_OR_RETURN(
      v.euicc_ci_pkid_list_for_signing,
      ReadKeyIdList(r, ContextTag(10, true), "euiccCiPKIdListForSigning"));
  ASSIGN_OR_RETURN(v.euicc_category, ReadInformational<int64_t>(
                                         r, ContextTag(11), "euiccCategory",
                                         unparsed, IntegerOf));
  // Used for eligibility only: unparsable means unknown, its check skipped.
  ASSIGN_OR_RETURN(
      v.forbidden_profile_policy_rules,
      ReadInformational<der::BitString>(
          r, ContextTag(25), "forbiddenProfilePolicyRules", unparsed, BitsOf));
  ASSIGN_OR_RETURN(v.pp_version,
                   ReadVersion(r, der::kOctetString, "ppVersion"));
  ASSIGN_OR_RETURN(v.sas_accreditation_number,
                   ReadUtf8(r, der::kUtf8String, "sasAcreditationNumber", 64));
  ASSIGN_OR_RETURN(std::optional<der::Tlv> cdo,
                   r.Optional(ContextTag(12, true)));
  if (cdo) {
    ASSIGN_OR_RETURN(der::Reader child,
                     r.Child(*cdo, "CertificationDataObject"));
    absl::StatusOr<CertificationDataObject> parsed =
        ReadCertificationDataObject(child);
    if (parsed.ok()) {
      v.certification_data_object = *std::move(parsed);
    } else {
      unparsed.push_back("certificationDataObject");
    }
  }
  // v3 and SGP.32 fields. Taken in any order; unknown ones are skipped.
  ASSIGN_OR_RETURN(std::vector<der::Tlv> extensions, r.FinishExtensible());
  for (const der::Tlv& t : extensions) {
    if (t.tag == ContextTag(13)) {
      if (v.tre_properties) return Duplicate(r, "treProperties");
      absl::StatusOr<der::BitString> bits = der::BitString::Decode(t.value);
      if (!bits.ok()) {
        unparsed.push_back("treProperties");
        continue;
      }
      v.tre_properties = *std::move(bits);
    } else if (t.tag == ContextTag(14)) {
      if (v.tre_product_reference) return Duplicate(r, "treProductReference");
      if (absl::Status s = der::ValidateUtf8(t.value); !s.ok()) {
        unparsed.push_back("treProductReference");
        continue;
      }
      v.tre_product_reference = std::string(t.value);
    } else if (t.tag == ContextTag(15, true)) {
      if (v.additional_profile_package_versions) {
        return Duplicate(r, "additionalEuiccProfilePackageVersions");
      }
      ASSIGN_OR_RETURN(der::Reader list,
                       r.Child(t, "additionalEuiccProfilePackageVersions"));
      std::vector<VersionType> versions;
      bool parsed = true;
      while (parsed && !list.AtEnd()) {
        absl::StatusOr<VersionType> version =
            ReadVersion(list, der::kOctetString, "VersionType");
        parsed = version.ok();
        if (parsed) versions.push_back(*version);
      }
      if (!parsed) {
        unparsed.push_back("additionalEuiccProfilePackageVersions");
        continue;
      }
      v.additional_profile_package_versions = std::move(versions);
    } else if (t.tag == ContextTag(16)) {
      if (v.lpa_mode) return Duplicate(r, "lpaMode");
      absl::StatusOr<int64_t> mode = der::DecodeInteger(t.value);
      if (!mode.ok()) {
        unparsed.push_back("lpaMode");
        continue;
      }
      v.lpa_mode = *mode;
    } else if (t.tag == ContextTag(17, true)) {
      if (v.euicc_ci_pkid_list_for_signing_v3) {
        return Duplicate(r, "euiccCiPKIdListForSigningV3");
      }
      ASSIGN_OR_RETURN(v.euicc_ci_pkid_list_for_signing_v3,
                       ReadKeyIdList(r, t, "euiccCiPKIdListForSigningV3"));
    } else if (t.tag == ContextTag(18)) {
      if (v.additional_euicc_info) return Duplicate(r, "additionalEuiccInfo");
      if (t.value.size() > 32) {
        unparsed.push_back("additionalEuiccInfo");
        continue;
      }
      v.additional_euicc_info = std::string(t.value);
    } else if (t.tag == ContextTag(19)) {
      if (v.highest_svn) return Duplicate(r, "highestSvn");
      absl::StatusOr<VersionType> svn = VersionType::FromBytes(t.value);
      if (!svn.ok()) {
        unparsed.push_back("highestSvn");
        continue;
      }
      v.highest_svn = *svn;
    } else if (t.tag == ContextTag(20, true)) {
      if (v.iot_specific_info) return Duplicate(r, "iotSpecificInfo");
      v.iot_specific_info = std::string(t.raw);
    }
  }
  return v;
}

void WriteEuiccInfo2(const EuiccInfo2& v, der::Writer& w) {
  w.Constructed(tags::kEuiccInfo2, [&](der::Writer& w) {
    w.Add(ContextTag(1), v.profile_version.Encode());
    w.Add(ContextTag(2), v.svn.Encode());
    w.Add(ContextTag(3), v.euicc_firmware_ver.Encode());
    w.Add(ContextTag(4), v.ext_card_resource);
    w.Add(ContextTag(5), v.uicc_capability.Encode());
    if (v.ts102241_version) {
      w.Add(ContextTag(6), v.ts102241_version->Encode());
    }
    if (v.globalplatform_version) {
      w.Add(ContextTag(7), v.globalplatform_version->Encode());
    }
    w.Add(ContextTag(8), v.rsp_capability.Encode());
    WriteKeyIdList(ContextTag(9, true), v.euicc_ci_pkid_list_for_verification,
                   w);
    WriteKeyIdList(ContextTag(10, true), v.euicc_ci_pkid_list_for_signing, w);
    if (v.euicc_category) w.AddInteger(*v.euicc_category, ContextTag(11));
    if (v.forbidden_profile_policy_rules) {
      w.Add(ContextTag(25), v.forbidden_profile_policy_rules->Encode());
    }
    w.Add(der::kOctetString, v.pp_version.Encode());
    w.Add(der::kUtf8String, v.sas_accreditation_number);
    if (v.certification_data_object) {
      w.Constructed(ContextTag(12, true), [&](der::Writer& w) {
        w.Add(ContextTag(0), v.certification_data_object->platform_label);
        w.Add(ContextTag(1), v.certification_data_object->discovery_base_url);
      });
    }
    if (v.tre_properties) w.Add(ContextTag(13), v.tre_properties->Encode());
    if (v.tre_product_reference) {
      w.Add(ContextTag(14), *v.tre_product_reference);
    }
    if (v.additional_profile_package_versions) {
      w.Constructed(ContextTag(15, true), [&](der::Writer& w) {
        for (const VersionType& version :
             *v.additional_profile_package_versions) {
          w.Add(der::kOctetString, version.Encode());
        }
      });
    }
    if (v.lpa_mode) w.AddInteger(*v.lpa_mode, ContextTag(16));
    if (v.euicc_ci_pkid_list_for_signing_v3) {
      WriteKeyIdList(ContextTag(17, true), *v.euicc_ci_pkid_list_for_signing_v3,
                     w);
    }
    if (v.additional_euicc_info) {
      w.Add(ContextTag(18), *v.additional_euicc_info);
    }
    if (v.highest_svn) w.Add(ContextTag(19), v.highest_svn->Encode());
    if (v.iot_specific_info) w.AddRaw(*v.iot_specific_info);
  });
}

// --- DeviceInfo ---------------------------------------------------------

absl::StatusOr<DeviceInfo> ReadDeviceInfo(der::Reader& r) {
  DeviceInfo v;
  ASSIGN_OR_RETURN(der::Tlv tac, r.Next(ContextTag(0), "tac"));
  if (tac.value.size() != 4 && tac.value.size() != 8) {
    return r.FieldError(
        "tac", absl::StrCat("must be 4 (or 8) bytes, got ", tac.value.size()));
  }
  v.tac = std::string(tac.value);
  ASSIGN_OR_RETURN(der::Reader caps,
                   r.Enter(ContextTag(1, true), "deviceCapabilities"));
  uint32_t last = 0;
  bool first = true;
  while (!caps.AtEnd()) {
    ASSIGN_OR_RETURN(der::Tlv t, caps.Next());
    const uint32_t number = der::TagNumber(t.tag);
    if (!first && number <= last) {
      return caps.FieldError("", absl::StrCat("capability [", number,
                                              "] repeated or out of order"));
    }
    first = false;
    last = number;
    v.device_capabilities.entries.push_back({t.tag, std::string(t.value)});
  }
  ASSIGN_OR_RETURN(std::optional<der::Tlv> imei, r.Optional(ContextTag(2)));
  if (imei && imei->value.size() == 8) {
    v.imei = std::string(imei->value);
  } else if (imei) {
    v.unparsed_fields.push_back("imei");  // informational only
  }
  RETURN_IF_ERROR(r.FinishExtensible().status());
  return v;
}

void WriteDeviceInfo(const DeviceInfo& v, der::Tag tag, der::Writer& w) {
  w.Constructed(tag, [&](der::Writer& w) {
    w.Add(ContextTag(0), v.tac);
    w.Constructed(ContextTag(1, true), [&](der::Writer& w) {
      for (const DeviceCapabilities::Entry& e : v.device_capabilities.entries) {
        w.Add(e.tag, e.value);
      }
    });
    if (v.imei) w.Add(ContextTag(2), *v.imei);
  });
}

}  // namespace internal

std::string EuiccInfo2::Encode() const {
  der::Writer w;
  internal::WriteEuiccInfo2(*this, w);
  return std::move(w).Finish();
}

absl::StatusOr<EuiccInfo2> EuiccInfo2::Decode(absl::string_view der) {
  return internal::DecodeMessage<EuiccInfo2>(der, tags::kEuiccInfo2, kInfo2,
                                             internal::ReadEuiccInfo2);
}

// --- DeviceCapabilities -------------------------------------------------

const std::string* DeviceCapabilities::Find(uint32_t number) const {
  for (const Entry& e : entries) {
    if (e.tag == ContextTag(number)) return &e.value;
  }
  return nullptr;
}

void DeviceCapabilities::Set(uint32_t number, std::string value) {
  const der::Tag tag = ContextTag(number);
  auto it = std::find_if(entries.begin(), entries.end(), [&](const Entry& e) {
    return der::TagNumber(e.tag) >= number;
  });
  if (it != entries.end() && it->tag == tag) {
    it->value = std::move(value);
    return;
  }
  entries.insert(it, Entry{tag, std::move(value)});
}

}  // namespace smdp::sgp22
