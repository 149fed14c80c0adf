#include "smdp/auth/certificate.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "util/status_macros.h"

namespace smdp::auth {
namespace {

using der::Reader;
using der::Tlv;

// AlgorithmIdentifier ecdsa-with-SHA256 (1.2.840.10045.4.3.2), parameters
// absent (RFC 5758 3.2), as a complete TLV.
constexpr absl::string_view kEcdsaWithSha256 =
    "\x30\x0a\x06\x08\x2a\x86\x48\xce\x3d\x04\x03\x02";
// OID contents: id-ecPublicKey and the two named curves.
constexpr absl::string_view kIdEcPublicKey = "\x2a\x86\x48\xce\x3d\x02\x01";
constexpr absl::string_view kP256 = "\x2a\x86\x48\xce\x3d\x03\x01\x07";
constexpr absl::string_view kBrainpoolP256r1 =
    "\x2b\x24\x03\x03\x02\x08\x01\x01\x07";

// GeneralName tags.
constexpr der::Tag kGeneralNameDns = der::ContextTag(2);
constexpr der::Tag kGeneralNameDirectory = der::ContextTag(4, true);
constexpr der::Tag kGeneralNameRegisteredId = der::ContextTag(8);

absl::Status Invalid(absl::string_view field, absl::string_view message) {
  return absl::InvalidArgumentError(
      absl::StrCat("Certificate.", field, ": ", message));
}

// The dotted form of OID contents (strictly checked).
absl::StatusOr<std::string> DottedOid(absl::string_view contents) {
  ASSIGN_OR_RETURN(der::Oid oid, der::Oid::FromContents(contents));
  return oid.ToString();
}

bool IsPrintable(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') ||
         absl::string_view(" '()+,-./:=?").find(c) != absl::string_view::npos;
}

// Checks the contents of a directory string of type `tag`.
absl::Status CheckDirectoryString(der::Tag tag, absl::string_view value) {
  switch (tag) {
    case der::kUtf8String:
      return der::ValidateUtf8(value);
    case der::kPrintableString:
      for (char c : value) {
        if (!IsPrintable(c)) {
          return absl::InvalidArgumentError(
              "PrintableString with a character outside its set");
        }
      }
      return absl::OkStatus();
    case der::kIa5String:
      for (char c : value) {
        if (static_cast<unsigned char>(c) > 0x7F) {
          return absl::InvalidArgumentError("IA5String with a non-ASCII byte");
        }
      }
      return absl::OkStatus();
    case 0x12:  // NumericString
    case 0x14:  // TeletexString
    case 0x1C:  // UniversalString
    case 0x1E:  // BMPString
      return absl::OkStatus();
    default:
      return absl::InvalidArgumentError(absl::StrCat(
          "attribute value is not a string (tag ", der::TagToString(tag), ")"));
  }
}

// Parses a Name (SEQUENCE OF SET OF AttributeTypeAndValue) whose TLV is
// `name` and which sits inside `parent`.
absl::StatusOr<Name> ParseName(const Reader& parent, const Tlv& name,
                               absl::string_view field) {
  Name out;
  out.der = std::string(name.raw);
  ASSIGN_OR_RETURN(Reader rdns, parent.Child(name, "Name"));
  while (!rdns.AtEnd()) {
    ASSIGN_OR_RETURN(Tlv rdn,
                     rdns.Next(der::kSet, "RelativeDistinguishedName"));
    ASSIGN_OR_RETURN(Reader atvs, rdns.Child(rdn, "RelativeDistinguishedName"));
    if (atvs.AtEnd()) return Invalid(field, "empty RelativeDistinguishedName");
    while (!atvs.AtEnd()) {
      ASSIGN_OR_RETURN(Tlv atv,
                       atvs.Next(der::kSequence, "AttributeTypeAndValue"));
      ASSIGN_OR_RETURN(Reader r, atvs.Child(atv, "AttributeTypeAndValue"));
      ASSIGN_OR_RETURN(Tlv type, r.Next(der::kObjectIdentifier, "type"));
      ASSIGN_OR_RETURN(Tlv value, r.Next());
      RETURN_IF_ERROR(r.Finish());
      if (absl::Status s = CheckDirectoryString(value.tag, value.value);
          !s.ok()) {
        return Invalid(field, s.message());
      }
      NameAttribute attribute;
      ASSIGN_OR_RETURN(attribute.type, DottedOid(type.value));
      attribute.value_tag = value.tag;
      attribute.value = std::string(value.value);
      std::optional<std::string>* known = nullptr;
      if (attribute.type == oids::kCommonName) {
        known = &out.common_name;
      } else if (attribute.type == oids::kOrganizationName) {
        known = &out.organization;
      } else if (attribute.type == oids::kSerialNumber) {
        known = &out.serial_number;
      }
      if (known != nullptr && !known->has_value()) *known = attribute.value;
      out.attributes.push_back(std::move(attribute));
    }
  }
  return out;
}

absl::StatusOr<absl::Time> ParseTime(const Tlv& tlv, absl::string_view field) {
  absl::StatusOr<absl::Time> time;
  if (tlv.tag == der::kUtcTime) {
    time = der::DecodeUtcTime(tlv.value);
  } else if (tlv.tag == der::kGeneralizedTime) {
    time = der::DecodeGeneralizedTime(tlv.value);
  } else {
    return Invalid(field, "neither UTCTime nor GeneralizedTime");
  }
  if (!time.ok()) return Invalid(field, time.status().message());
  return time;
}

// SubjectPublicKeyInfo: id-ecPublicKey, a named SGP.22 curve, an
// uncompressed point.
absl::Status ParseSubjectPublicKeyInfo(const Reader& parent, const Tlv& spki,
                                       Certificate* cert) {
  ASSIGN_OR_RETURN(Reader r, parent.Child(spki, "SubjectPublicKeyInfo"));
  ASSIGN_OR_RETURN(Reader alg, r.Enter(der::kSequence, "algorithm"));
  ASSIGN_OR_RETURN(Tlv alg_oid, alg.Next(der::kObjectIdentifier, "algorithm"));
  if (alg_oid.value != kIdEcPublicKey) {
    ASSIGN_OR_RETURN(std::string dotted, DottedOid(alg_oid.value));
    return Invalid(
        "subjectPublicKeyInfo",
        absl::StrCat("key algorithm ", dotted, " is not id-ecPublicKey"));
  }
  if (!alg.NextIs(der::kObjectIdentifier)) {
    return Invalid("subjectPublicKeyInfo",
                   "EC parameters are not a namedCurve OID");
  }
  ASSIGN_OR_RETURN(Tlv curve, alg.Next(der::kObjectIdentifier, "namedCurve"));
  RETURN_IF_ERROR(alg.Finish());
  if (curve.value == kP256) {
    cert->curve = hsm::Curve::kNistP256;
  } else if (curve.value == kBrainpoolP256r1) {
    cert->curve = hsm::Curve::kBrainpoolP256r1;
  } else {
    ASSIGN_OR_RETURN(std::string dotted, DottedOid(curve.value));
    return Invalid("subjectPublicKeyInfo",
                   absl::StrCat("unsupported curve ", dotted,
                                "; supported: P-256 and brainpoolP256r1"));
  }
  ASSIGN_OR_RETURN(Tlv key, r.Next(der::kBitString, "subjectPublicKey"));
  RETURN_IF_ERROR(r.Finish());
  // Contents: unused-bits byte (0), then 04||X||Y.
  if (key.value.size() != 1 + hsm::kUncompressedPointSize ||
      key.value[0] != 0 || key.value[1] != 0x04) {
    return Invalid("subjectPublicKeyInfo",
                   absl::StrCat("public key is not an uncompressed ",
                                hsm::kUncompressedPointSize, "-byte point"));
  }
  cert->public_point = std::string(key.value.substr(1));
  return absl::OkStatus();
}

// The signatureValue BIT STRING contents: no unused bits, and a DER
// ECDSA-Sig-Value with two positive INTEGERs.
absl::StatusOr<std::string> ParseSignatureValue(absl::string_view contents) {
  if (contents.empty() || contents[0] != 0) {
    return Invalid("signatureValue", "BIT STRING has unused bits");
  }
  const absl::string_view sig = contents.substr(1);
  absl::StatusOr<Tlv> seq =
      der::ParseSingleTlv(sig, der::kSequence, "ECDSA-Sig-Value");
  if (!seq.ok()) return Invalid("signatureValue", seq.status().message());
  Reader r(seq->value, 1, "ECDSA-Sig-Value");
  for (const char* part : {"r", "s"}) {
    absl::StatusOr<Tlv> n = r.Next(der::kInteger, part);
    if (!n.ok()) return Invalid("signatureValue", n.status().message());
    // Minimal encoding was checked by ParseSingleTlv; a negative or zero
    // value, or one longer than a 256-bit number, is no ECDSA signature.
    if ((static_cast<uint8_t>(n->value[0]) & 0x80) != 0 ||
        n->value.size() > 33 || (n->value.size() == 1 && n->value[0] == 0)) {
      return Invalid("signatureValue", absl::StrCat(part, " is out of range"));
    }
  }
  if (absl::Status s = r.Finish(); !s.ok()) {
    return Invalid("signatureValue", s.message());
  }
  return std::string(sig);
}

// ---- Extension values. Each is parsed as a fresh DER structure (the
// OCTET STRING that wraps it was not looked into). ----

absl::StatusOr<uint32_t> ParseKeyUsage(absl::string_view value) {
  ASSIGN_OR_RETURN(Tlv tlv,
                   der::ParseSingleTlv(value, der::kBitString, "keyUsage"));
  ASSIGN_OR_RETURN(der::BitString bits, der::BitString::Decode(tlv.value));
  if (bits.size() > 32) {
    return absl::InvalidArgumentError("keyUsage: more than 32 bits");
  }
  uint32_t out = 0;
  for (size_t i = 0; i < bits.size(); ++i) {
    if (bits.Get(i)) out |= 1u << i;
  }
  return out;
}

absl::StatusOr<BasicConstraints> ParseBasicConstraints(
    absl::string_view value) {
  ASSIGN_OR_RETURN(
      Tlv tlv, der::ParseSingleTlv(value, der::kSequence, "basicConstraints"));
  Reader r(tlv.value, 1, "basicConstraints");
  BasicConstraints out;
  ASSIGN_OR_RETURN(std::optional<Tlv> ca, r.Optional(der::kBoolean));
  if (ca.has_value()) {
    ASSIGN_OR_RETURN(out.ca, der::DecodeBoolean(ca->value));
  }
  ASSIGN_OR_RETURN(std::optional<Tlv> path_len, r.Optional(der::kInteger));
  if (path_len.has_value()) {
    ASSIGN_OR_RETURN(out.path_len,
                     der::DecodeNonNegativeInteger(path_len->value));
  }
  RETURN_IF_ERROR(r.Finish());
  return out;
}

absl::StatusOr<std::vector<std::string>> ParseOidSequence(
    absl::string_view value, absl::string_view what, bool policies) {
  ASSIGN_OR_RETURN(Tlv tlv, der::ParseSingleTlv(value, der::kSequence, what));
  Reader r(tlv.value, 1, what);
  if (r.AtEnd()) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": empty"));
  }
  std::vector<std::string> out;
  while (!r.AtEnd()) {
    Tlv oid;
    if (policies) {
      // PolicyInformation ::= SEQUENCE { policyIdentifier, qualifiers OPT }
      ASSIGN_OR_RETURN(Reader info,
                       r.Enter(der::kSequence, "PolicyInformation"));
      ASSIGN_OR_RETURN(oid,
                       info.Next(der::kObjectIdentifier, "policyIdentifier"));
      ASSIGN_OR_RETURN(std::optional<Tlv> qualifiers,
                       info.Optional(der::kSequence));
      (void)qualifiers;  // Policy qualifiers carry no constraint here.
      RETURN_IF_ERROR(info.Finish());
    } else {
      ASSIGN_OR_RETURN(oid, r.Next(der::kObjectIdentifier, "KeyPurposeId"));
    }
    ASSIGN_OR_RETURN(std::string dotted, DottedOid(oid.value));
    out.push_back(std::move(dotted));
  }
  return out;
}

absl::StatusOr<std::string> ParseSubjectKeyIdentifier(absl::string_view value) {
  ASSIGN_OR_RETURN(Tlv tlv, der::ParseSingleTlv(value, der::kOctetString,
                                                "subjectKeyIdentifier"));
  if (tlv.value.empty()) {
    return absl::InvalidArgumentError("subjectKeyIdentifier: empty");
  }
  return std::string(tlv.value);
}

absl::StatusOr<std::optional<std::string>> ParseAuthorityKeyIdentifier(
    absl::string_view value) {
  ASSIGN_OR_RETURN(Tlv tlv, der::ParseSingleTlv(value, der::kSequence,
                                                "authorityKeyIdentifier"));
  Reader r(tlv.value, 1, "authorityKeyIdentifier");
  ASSIGN_OR_RETURN(std::optional<Tlv> key_id, r.Optional(der::ContextTag(0)));
  ASSIGN_OR_RETURN(std::optional<Tlv> issuer,
                   r.Optional(der::ContextTag(1, true)));
  ASSIGN_OR_RETURN(std::optional<Tlv> serial, r.Optional(der::ContextTag(2)));
  (void)issuer;  // authorityCertIssuer/SerialNumber: not used by SGP.22.
  (void)serial;
  RETURN_IF_ERROR(r.Finish());
  if (!key_id.has_value()) return std::optional<std::string>();
  if (key_id->value.empty()) {
    return absl::InvalidArgumentError(
        "authorityKeyIdentifier: empty keyIdentifier");
  }
  return std::optional<std::string>(std::string(key_id->value));
}

absl::Status ParseSubjectAltName(absl::string_view value, Certificate* cert) {
  ASSIGN_OR_RETURN(
      Tlv tlv, der::ParseSingleTlv(value, der::kSequence, "subjectAltName"));
  Reader r(tlv.value, 1, "subjectAltName");
  if (r.AtEnd()) return absl::InvalidArgumentError("subjectAltName: empty");
  while (!r.AtEnd()) {
    ASSIGN_OR_RETURN(Tlv name, r.Next());
    if (name.tag == kGeneralNameDns) {
      RETURN_IF_ERROR(CheckDirectoryString(der::kIa5String, name.value));
      cert->san_dns_names.emplace_back(name.value);
    } else if (name.tag == kGeneralNameRegisteredId) {
      ASSIGN_OR_RETURN(std::string dotted, DottedOid(name.value));
      cert->san_registered_ids.push_back(std::move(dotted));
    }
    // Other GeneralName forms carry nothing the RSP checks use.
  }
  return absl::OkStatus();
}

// GeneralSubtrees (the contents of [0] or [1] of NameConstraints).
absl::Status ParseGeneralSubtrees(const Reader& parent, const Tlv& subtrees,
                                  std::vector<Name>* directory_names,
                                  int* others) {
  ASSIGN_OR_RETURN(Reader r, parent.Child(subtrees, "GeneralSubtrees"));
  if (r.AtEnd()) {
    return absl::InvalidArgumentError("nameConstraints: empty subtrees");
  }
  while (!r.AtEnd()) {
    ASSIGN_OR_RETURN(Reader subtree, r.Enter(der::kSequence, "GeneralSubtree"));
    ASSIGN_OR_RETURN(Tlv base, subtree.Next());
    // minimum [0] DEFAULT 0 and maximum [1]: RFC 5280 fixes them (0, absent);
    // they are skipped.
    ASSIGN_OR_RETURN(std::optional<Tlv> minimum,
                     subtree.Optional(der::ContextTag(0)));
    ASSIGN_OR_RETURN(std::optional<Tlv> maximum,
                     subtree.Optional(der::ContextTag(1)));
    (void)minimum;
    (void)maximum;
    RETURN_IF_ERROR(subtree.Finish());
    if (base.tag == kGeneralNameDirectory) {
      ASSIGN_OR_RETURN(Reader dir, subtree.Child(base, "directoryName"));
      ASSIGN_OR_RETURN(Tlv name, dir.Next(der::kSequence, "Name"));
      RETURN_IF_ERROR(dir.Finish());
      ASSIGN_OR_RETURN(Name parsed,
                       ParseName(dir, name, "nameConstraints.directoryName"));
      directory_names->push_back(std::move(parsed));
    } else {
      ++*others;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Certificate::NameConstraints> ParseNameConstraints(
    absl::string_view value) {
  ASSIGN_OR_RETURN(
      Tlv tlv, der::ParseSingleTlv(value, der::kSequence, "nameConstraints"));
  Reader r(tlv.value, 1, "nameConstraints");
  Certificate::NameConstraints out;
  ASSIGN_OR_RETURN(std::optional<Tlv> permitted,
                   r.Optional(der::ContextTag(0, true)));
  ASSIGN_OR_RETURN(std::optional<Tlv> excluded,
                   r.Optional(der::ContextTag(1, true)));
  RETURN_IF_ERROR(r.Finish());
  if (!permitted.has_value() && !excluded.has_value()) {
    return absl::InvalidArgumentError("nameConstraints: empty");
  }
  if (permitted.has_value()) {
    RETURN_IF_ERROR(ParseGeneralSubtrees(
        r, *permitted, &out.permitted_directory_names, &out.other_permitted));
  }
  if (excluded.has_value()) {
    RETURN_IF_ERROR(ParseGeneralSubtrees(
        r, *excluded, &out.excluded_directory_names, &out.other_excluded));
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> ParsePermittedEins(
    absl::string_view value) {
  ASSIGN_OR_RETURN(Tlv tlv,
                   der::ParseSingleTlv(value, der::kSequence, "permittedEins"));
  Reader r(tlv.value, 1, "permittedEins");
  std::vector<std::string> out;
  while (!r.AtEnd()) {
    ASSIGN_OR_RETURN(Tlv ein, r.Next(der::kPrintableString, "EIN"));
    RETURN_IF_ERROR(CheckDirectoryString(der::kPrintableString, ein.value));
    out.emplace_back(ein.value);
  }
  if (out.empty()) return absl::InvalidArgumentError("permittedEins: empty");
  return out;
}

// Decodes the value of extension `ext` into `cert` if this parser knows it.
// Returns whether it did.
absl::StatusOr<bool> DecodeExtension(const Extension& ext, Certificate* cert) {
  const std::string& oid = ext.oid;
  const absl::string_view v = ext.value;
  if (oid == oids::kKeyUsage) {
    ASSIGN_OR_RETURN(cert->key_usage, ParseKeyUsage(v));
  } else if (oid == oids::kBasicConstraints) {
    ASSIGN_OR_RETURN(cert->basic_constraints, ParseBasicConstraints(v));
  } else if (oid == oids::kCertificatePolicies) {
    ASSIGN_OR_RETURN(cert->policies,
                     ParseOidSequence(v, "certificatePolicies", true));
  } else if (oid == oids::kSubjectKeyIdentifier) {
    ASSIGN_OR_RETURN(cert->subject_key_identifier,
                     ParseSubjectKeyIdentifier(v));
  } else if (oid == oids::kAuthorityKeyIdentifier) {
    ASSIGN_OR_RETURN(cert->authority_key_identifier,
                     ParseAuthorityKeyIdentifier(v));
  } else if (oid == oids::kSubjectAltName) {
    RETURN_IF_ERROR(ParseSubjectAltName(v, cert));
  } else if (oid == oids::kNameConstraints) {
    ASSIGN_OR_RETURN(cert->name_constraints, ParseNameConstraints(v));
  } else if (oid == oids::kPermittedEins) {
    ASSIGN_OR_RETURN(cert->permitted_eins, ParsePermittedEins(v));
  } else if (oid == oids::kExtendedKeyUsage) {
    ASSIGN_OR_RETURN(cert->extended_key_usage,
                     ParseOidSequence(v, "extKeyUsage", false));
  } else {
    return false;
  }
  return true;
}

absl::Status ParseExtensions(const Reader& parent, const Tlv& explicit_tag,
                             Certificate* cert) {
  ASSIGN_OR_RETURN(Reader wrapper, parent.Child(explicit_tag, "extensions"));
  ASSIGN_OR_RETURN(Tlv list_tlv, wrapper.Next(der::kSequence, "Extensions"));
  RETURN_IF_ERROR(wrapper.Finish());
  ASSIGN_OR_RETURN(Reader list, wrapper.Child(list_tlv, "Extensions"));
  if (list.AtEnd()) return Invalid("extensions", "empty");
  while (!list.AtEnd()) {
    ASSIGN_OR_RETURN(Reader r, list.Enter(der::kSequence, "Extension"));
    ASSIGN_OR_RETURN(Tlv oid, r.Next(der::kObjectIdentifier, "extnID"));
    ASSIGN_OR_RETURN(std::optional<Tlv> critical, r.Optional(der::kBoolean));
    ASSIGN_OR_RETURN(Tlv value, r.Next(der::kOctetString, "extnValue"));
    RETURN_IF_ERROR(r.Finish());
    Extension ext;
    ASSIGN_OR_RETURN(ext.oid, DottedOid(oid.value));
    if (critical.has_value()) {
      ASSIGN_OR_RETURN(ext.critical, der::DecodeBoolean(critical->value));
    }
    ext.value = std::string(value.value);
    if (cert->FindExtension(ext.oid) != nullptr) {
      return Invalid("extensions",
                     absl::StrCat("extension ", ext.oid, " appears twice"));
    }
    absl::StatusOr<bool> decoded = DecodeExtension(ext, cert);
    if (!decoded.ok()) {
      return Invalid(absl::StrCat("extensions.", ext.oid),
                     decoded.status().message());
    }
    if (!*decoded && ext.critical) {
      return Invalid("extensions",
                     absl::StrCat("unsupported critical extension ", ext.oid));
    }
    cert->extensions.push_back(std::move(ext));
  }
  return absl::OkStatus();
}

// Attribute values compare as bytes, whatever their string type.
bool SameAttributes(const Name& a, const Name& b) {
  if (a.attributes.size() != b.attributes.size()) return false;
  for (size_t i = 0; i < a.attributes.size(); ++i) {
    if (a.attributes[i].type != b.attributes[i].type ||
        a.attributes[i].value != b.attributes[i].value) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::optional<absl::string_view> Name::Find(
    absl::string_view dotted_oid) const {
  for (const NameAttribute& a : attributes) {
    if (a.type == dotted_oid) return absl::string_view(a.value);
  }
  return std::nullopt;
}

const Extension* Certificate::FindExtension(
    absl::string_view dotted_oid) const {
  for (const Extension& e : extensions) {
    if (e.oid == dotted_oid) return &e;
  }
  return nullptr;
}

bool Certificate::HasPolicy(absl::string_view dotted_oid) const {
  return std::find(policies.begin(), policies.end(), dotted_oid) !=
         policies.end();
}

bool Certificate::HasKeyUsage(uint32_t bits) const {
  return key_usage.has_value() && (*key_usage & bits) == bits;
}

bool Certificate::IsCa() const {
  return basic_constraints.has_value() && basic_constraints->ca;
}

bool SameName(const Name& a, const Name& b) {
  return a.der == b.der || SameAttributes(a, b);
}

absl::StatusOr<Certificate> ParseCertificate(absl::string_view der) {
  if (der.size() > kMaxCertificateSize) {
    return Invalid("", absl::StrCat(der.size(), " bytes, more than the ",
                                    kMaxCertificateSize, " accepted"));
  }
  ASSIGN_OR_RETURN(Tlv cert_tlv,
                   der::ParseSingleTlv(der, der::kSequence, "Certificate"));
  Reader top(cert_tlv.value, 1, "Certificate");
  ASSIGN_OR_RETURN(Tlv tbs, top.Next(der::kSequence, "tbsCertificate"));
  ASSIGN_OR_RETURN(Tlv sig_alg, top.Next(der::kSequence, "signatureAlgorithm"));
  ASSIGN_OR_RETURN(Tlv sig_value, top.Next(der::kBitString, "signatureValue"));
  RETURN_IF_ERROR(top.Finish());
  if (sig_alg.raw != kEcdsaWithSha256) {
    return Invalid("signatureAlgorithm",
                   "not ecdsa-with-SHA256 without parameters");
  }

  Certificate cert;
  cert.der = std::string(der);
  cert.tbs_der = std::string(tbs.raw);
  ASSIGN_OR_RETURN(cert.signature, ParseSignatureValue(sig_value.value));

  ASSIGN_OR_RETURN(Reader t, top.Child(tbs, "TBSCertificate"));
  // version [0] EXPLICIT INTEGER: v3 (2) only.
  ASSIGN_OR_RETURN(Tlv version_tag,
                   t.Next(der::ContextTag(0, true), "version"));
  {
    ASSIGN_OR_RETURN(Reader v, t.Child(version_tag, "version"));
    ASSIGN_OR_RETURN(Tlv version, v.Next(der::kInteger, "version"));
    RETURN_IF_ERROR(v.Finish());
    ASSIGN_OR_RETURN(int64_t n, der::DecodeInteger(version.value));
    if (n != 2) {
      return Invalid("version", absl::StrCat("v", n + 1, ", expected v3"));
    }
  }
  ASSIGN_OR_RETURN(Tlv serial, t.Next(der::kInteger, "serialNumber"));
  if (serial.value.size() > 21) {
    return Invalid("serialNumber", "longer than 20 octets");
  }
  cert.serial_number = std::string(serial.value);
  ASSIGN_OR_RETURN(Tlv tbs_alg, t.Next(der::kSequence, "signature"));
  if (tbs_alg.raw != sig_alg.raw) {
    return Invalid("signature", "differs from the outer signatureAlgorithm");
  }
  ASSIGN_OR_RETURN(Tlv issuer, t.Next(der::kSequence, "issuer"));
  ASSIGN_OR_RETURN(cert.issuer, ParseName(t, issuer, "issuer"));
  {
    ASSIGN_OR_RETURN(Reader validity, t.Enter(der::kSequence, "validity"));
    ASSIGN_OR_RETURN(Tlv not_before, validity.Next());
    ASSIGN_OR_RETURN(Tlv not_after, validity.Next());
    RETURN_IF_ERROR(validity.Finish());
    ASSIGN_OR_RETURN(cert.not_before,
                     ParseTime(not_before, "validity.notBefore"));
    ASSIGN_OR_RETURN(cert.not_after, ParseTime(not_after, "validity.notAfter"));
  }
  ASSIGN_OR_RETURN(Tlv subject, t.Next(der::kSequence, "subject"));
  ASSIGN_OR_RETURN(cert.subject, ParseName(t, subject, "subject"));
  ASSIGN_OR_RETURN(Tlv spki, t.Next(der::kSequence, "subjectPublicKeyInfo"));
  RETURN_IF_ERROR(ParseSubjectPublicKeyInfo(t, spki, &cert));
  // issuerUniqueID [1] and subjectUniqueID [2] are refused by Finish().
  ASSIGN_OR_RETURN(std::optional<Tlv> extensions,
                   t.Optional(der::ContextTag(3, true)));
  RETURN_IF_ERROR(t.Finish());
  if (extensions.has_value()) {
    RETURN_IF_ERROR(ParseExtensions(t, *extensions, &cert));
  }
  return cert;
}

}  // namespace smdp::auth
