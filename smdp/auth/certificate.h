// X.509 v3 certificates of the SGP.22 PKI, parsed with the project's strict
// DER codec (sgp22/der.h) instead of OpenSSL's X509 parser.
//
// ParseCertificate() decodes one DER certificate into a Certificate value:
// the fields the RSP checks need, every extension with its criticality, the
// exact TBSCertificate bytes the signature covers and the signature itself.
// It checks the encoding and the X.509 structure only; whether the
// certificate is valid, who signed it and whether it fits its SGP.22 role is
// for the verifiers (euicc_certificate_verifier.h, smdp_certificate.h).
//
//   ASSIGN_OR_RETURN(Certificate cert, ParseCertificate(der));
//   std::optional<std::string> eid = cert.subject.serial_number;
//   bool is_ca = cert.IsCa();
//   bool signs = cert.HasKeyUsage(kKeyUsageDigitalSignature);
//
// What is refused (InvalidArgument, the message names the field):
//   * anything that is not strict DER (see der.h), trailing bytes, more than
//     kMaxCertificateSize bytes;
//   * a version other than v3, a signature algorithm other than
//     ecdsa-with-SHA256 (without parameters), different algorithms inside and
//     outside the TBSCertificate, a signature BIT STRING that is not a DER
//     ECDSA-Sig-Value;
//   * a subject public key that is not id-ecPublicKey with the namedCurve
//     P-256 or brainpoolP256r1 and an uncompressed 65-byte point (the point is
//     not checked to be on the curve here: PublicKey::FromPoint does that);
//   * issuerUniqueID / subjectUniqueID, an empty or repeated extension, a
//     malformed value of an extension this parser decodes, and any critical
//     extension it does not decode.
// Accepted leniently, as encoders in the field produce them: BOOLEAN FALSE
// written out for a DEFAULT FALSE (extension criticality, cA), GeneralizedTime
// before 2050, unknown non-critical extensions (kept raw), SAN and name
// constraint forms other than the ones decoded (skipped).
//
// Thread-safety: ParseCertificate is a pure function; a Certificate is a
// plain value.
#ifndef SMDP_SMDP_AUTH_CERTIFICATE_H_
#define SMDP_SMDP_AUTH_CERTIFICATE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "hsm/crypto_provider.h"
#include "sgp22/der.h"

namespace smdp::auth {

namespace der = ::smdp::sgp22::der;

// Largest certificate ParseCertificate() accepts. SGP.22 certificates are
// 500 to 700 bytes.
inline constexpr size_t kMaxCertificateSize = 8192;

// Dotted OIDs used by the SGP.22 certificate profile.
namespace oids {
inline constexpr absl::string_view kCommonName = "2.5.4.3";
inline constexpr absl::string_view kSerialNumber = "2.5.4.5";
inline constexpr absl::string_view kCountryName = "2.5.4.6";
inline constexpr absl::string_view kOrganizationName = "2.5.4.10";
inline constexpr absl::string_view kOrganizationalUnitName = "2.5.4.11";

inline constexpr absl::string_view kSubjectKeyIdentifier = "2.5.29.14";
inline constexpr absl::string_view kKeyUsage = "2.5.29.15";
inline constexpr absl::string_view kSubjectAltName = "2.5.29.17";
inline constexpr absl::string_view kBasicConstraints = "2.5.29.19";
inline constexpr absl::string_view kNameConstraints = "2.5.29.30";
inline constexpr absl::string_view kCrlDistributionPoints = "2.5.29.31";
inline constexpr absl::string_view kCertificatePolicies = "2.5.29.32";
inline constexpr absl::string_view kAuthorityKeyIdentifier = "2.5.29.35";
inline constexpr absl::string_view kExtendedKeyUsage = "2.5.29.37";
// id-rsp-cert-objects-permittedEins: SEQUENCE OF PrintableString.
inline constexpr absl::string_view kPermittedEins = "2.23.146.1.2.2.0";

// Certificate policies of the SGP.22 roles (id-rspRole).
inline constexpr absl::string_view kPolicyCi = "2.23.146.1.2.1.0";
inline constexpr absl::string_view kPolicyEuicc = "2.23.146.1.2.1.1";
inline constexpr absl::string_view kPolicyEum = "2.23.146.1.2.1.2";
inline constexpr absl::string_view kPolicyDpTls = "2.23.146.1.2.1.3";
inline constexpr absl::string_view kPolicyDpAuth = "2.23.146.1.2.1.4";
inline constexpr absl::string_view kPolicyDpPb = "2.23.146.1.2.1.5";

inline constexpr absl::string_view kEkuServerAuth = "1.3.6.1.5.5.7.3.1";
inline constexpr absl::string_view kEkuClientAuth = "1.3.6.1.5.5.7.3.2";
}  // namespace oids

// One AttributeTypeAndValue of a distinguished name.
struct NameAttribute {
  std::string type;        // Dotted OID, e.g. "2.5.4.5".
  der::Tag value_tag = 0;  // The string type: 0x0C UTF8String, 0x13 ...
  std::string value;       // The string's contents octets.
};

// A distinguished name (issuer, subject, or a directoryName).
struct Name {
  // The complete Name TLV (SEQUENCE OF RDN) as received.
  std::string der;
  // Every attribute in order; a multi-valued RDN contributes all of its
  // attributes in encoding order.
  std::vector<NameAttribute> attributes;
  // The first CN, O and serialNumber, if present (copies of `attributes`).
  std::optional<std::string> common_name;
  std::optional<std::string> organization;
  std::optional<std::string> serial_number;

  // The value of the first attribute of type `dotted_oid`, if any.
  std::optional<absl::string_view> Find(absl::string_view dotted_oid) const;
};

// One extension as received.
struct Extension {
  std::string oid;  // Dotted.
  bool critical = false;
  std::string value;  // The extnValue OCTET STRING's contents (DER).
};

// keyUsage bits in RFC 5280 numbering: bit n is (1u << n).
inline constexpr uint32_t kKeyUsageDigitalSignature = 1u << 0;
inline constexpr uint32_t kKeyUsageKeyAgreement = 1u << 4;
inline constexpr uint32_t kKeyUsageKeyCertSign = 1u << 5;
inline constexpr uint32_t kKeyUsageCrlSign = 1u << 6;

// basicConstraints.
struct BasicConstraints {
  bool ca = false;
  std::optional<int64_t> path_len;  // pathLenConstraint
};

// A parsed certificate. See the file comment.
struct Certificate {
  // The whole certificate, as received.
  std::string der;
  // The TBSCertificate TLV as received: what the signature covers.
  std::string tbs_der;
  // INTEGER contents of serialNumber (big-endian two's complement).
  std::string serial_number;
  Name issuer;
  Name subject;
  absl::Time not_before;
  absl::Time not_after;
  // The subject public key: its curve and uncompressed point (65 bytes).
  hsm::Curve curve = hsm::Curve::kNistP256;
  std::string public_point;
  // The signature (signatureValue): a DER ECDSA-Sig-Value over tbs_der with
  // SHA-256.
  std::string signature;

  // Every extension in order, decoded or not.
  std::vector<Extension> extensions;

  // The decoded extensions; nullopt / empty when absent.
  std::optional<uint32_t> key_usage;  // kKeyUsage* bits
  std::optional<BasicConstraints> basic_constraints;
  std::vector<std::string> policies;  // certificatePolicies, dotted OIDs
  std::optional<std::string> subject_key_identifier;
  std::optional<std::string> authority_key_identifier;  // keyIdentifier
  std::vector<std::string> san_dns_names;
  std::vector<std::string> san_registered_ids;  // Dotted OIDs.
  std::vector<std::string> extended_key_usage;  // Dotted OIDs.
  // nameConstraints, when present.
  struct NameConstraints {
    std::vector<Name> permitted_directory_names;
    std::vector<Name> excluded_directory_names;
    // Subtrees of other GeneralName forms (dNSName, ...), which the RSP
    // checks never apply: counted, not decoded.
    int other_permitted = 0;
    int other_excluded = 0;
  };
  std::optional<NameConstraints> name_constraints;
  // permittedEins (2.23.146.1.2.2.0), when present: EID prefixes.
  std::optional<std::vector<std::string>> permitted_eins;

  // The extension with `dotted_oid`, if present.
  const Extension* FindExtension(absl::string_view dotted_oid) const;
  // Whether certificatePolicies lists `dotted_oid`.
  bool HasPolicy(absl::string_view dotted_oid) const;
  // Whether keyUsage is present and has every bit of `bits`.
  bool HasKeyUsage(uint32_t bits) const;
  // Whether basicConstraints is present with cA TRUE.
  bool IsCa() const;
};

// Parses one DER certificate (the whole of `der`). See the file comment.
[[nodiscard]] absl::StatusOr<Certificate> ParseCertificate(
    absl::string_view der);

// Whether `a` and `b` name the same entity: identical DER, or the same
// attribute types and values in the same order (the string type may differ,
// e.g. PrintableString against UTF8String).
bool SameName(const Name& a, const Name& b);

}  // namespace smdp::auth

#endif  // SMDP_SMDP_AUTH_CERTIFICATE_H_
