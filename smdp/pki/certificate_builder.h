// Issuing X.509 v3 certificates with the GSMA SGP.22 certificate profile.
//
// A certificate is described by a CertificateSpec: the subject, its public
// key, serial number, validity and every extension, each one optional and
// with its own criticality. SgpProfile() fills in the extensions SGP.22
// prescribes for a role (CI, EUM, eUICC, DPauth, DPpb, DPtls); the caller adds
// the subject, key, serial and validity, may change anything (tests make bad
// certificates on purpose: expired, wrong policy, no key usage, EID outside
// the EUM's range, signed by a foreign CI) and issues it:
//
//   ASSIGN_OR_RETURN(CertificateSpec spec,
//                    SgpProfile(CertificateRole::kDpAuth,
//                               {.registered_id = "2.999.10"}));
//   spec.subject = {{"O", "ACME"}, {"CN", "smdp.example.com"}};
//   spec.public_key = {hsm::Curve::kNistP256, dpauth_key->public_point()};
//   spec.serial_number = RandomSerialNumber();
//   spec.not_before = now;
//   spec.not_after = now + absl::Hours(24 * 365 * 10);
//   ASSIGN_OR_RETURN(auto ci_signer, EvpKeySigner::FromPem(ci_key_pem));
//   ASSIGN_OR_RETURN(std::string der,
//                    IssueCertificate(spec, ci_cert_der, *ci_signer));
//
// The signature is always ecdsa-with-SHA256, made by a CertificateSigner: an
// OpenSSL key in memory (EvpKeySigner: the dev CI, EUM and test eUICCs) or an
// hsm::SigningKey (HsmKeySigner: keys that never leave the CryptoProvider).
// The builder encodes the TBSCertificate with OpenSSL, has it signed, and sets
// the DER signature, so both kinds of key take the same path.
//
// Thread-safety: the free functions are thread-safe. A signer is as
// thread-safe as the key behind it (both kinds here are).
#ifndef SMDP_SMDP_PKI_CERTIFICATE_BUILDER_H_
#define SMDP_SMDP_PKI_CERTIFICATE_BUILDER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "hsm/crypto_provider.h"
#include "util/ssl_ptr.h"

namespace smdp::pki {

// The certificate roles of the SGP.22 PKI.
enum class CertificateRole {
  kCi,      // GSMA Certificate Issuer (root), self-signed.
  kEum,     // eUICC Manufacturer, issued by the CI.
  kEuicc,   // eUICC, issued by the EUM.
  kDpAuth,  // CERT.DPauth.ECDSA: SM-DP+ authentication (serverSigned1).
  kDpPb,    // CERT.DPpb.ECDSA: SM-DP+ profile binding (smdpSigned2, BPP).
  kDpTls,   // CERT.DP.TLS: the SM-DP+ TLS server certificate.
};

// "CI", "EUM", "eUICC", "DPauth", "DPpb" or "DPtls".
absl::string_view RoleName(CertificateRole role);

// Certificate policy OIDs of SGP.22 (id-rspRole, 2.23.146.1.2.1).
inline constexpr absl::string_view kPolicyCi = "2.23.146.1.2.1.0";
inline constexpr absl::string_view kPolicyEuicc = "2.23.146.1.2.1.1";
inline constexpr absl::string_view kPolicyEum = "2.23.146.1.2.1.2";
inline constexpr absl::string_view kPolicyDpTls = "2.23.146.1.2.1.3";
inline constexpr absl::string_view kPolicyDpAuth = "2.23.146.1.2.1.4";
inline constexpr absl::string_view kPolicyDpPb = "2.23.146.1.2.1.5";
// The EUM extension listing permitted EID prefixes (EUM certificates other
// than variant O): PermittedEins ::= SEQUENCE OF PrintableString.
inline constexpr absl::string_view kPermittedEinsOid = "2.23.146.1.2.2.0";
// Extended key usages of CERT.DP.TLS.
inline constexpr absl::string_view kEkuServerAuth = "1.3.6.1.5.5.7.3.1";
inline constexpr absl::string_view kEkuClientAuth = "1.3.6.1.5.5.7.3.2";

// The certificate policy OID of `role` (one of the kPolicy* above).
absl::string_view PolicyOid(CertificateRole role);

// One attribute of a distinguished name. `type` is an OpenSSL short name
// ("C", "O", "OU", "CN", "serialNumber", ...) or a dotted OID. Values are
// encoded as OpenSSL does by default, which is what SGP.26 certificates
// carry: PrintableString for C and serialNumber, UTF8String otherwise.
struct NameAttribute {
  std::string type;
  std::string value;
};

// A distinguished name: its attributes in order, one per RDN.
using DistinguishedName = std::vector<NameAttribute>;

// An EC public key on one of the SGP.22 curves.
struct SubjectPublicKey {
  hsm::Curve curve = hsm::Curve::kNistP256;
  std::string point;  // Uncompressed: 04 || X || Y (65 bytes).
};

// Key usage bits, as RFC 5280 numbers them: bit n is (1u << n).
inline constexpr uint32_t kKeyUsageDigitalSignature = 1u << 0;
inline constexpr uint32_t kKeyUsageKeyAgreement = 1u << 4;
inline constexpr uint32_t kKeyUsageKeyCertSign = 1u << 5;
inline constexpr uint32_t kKeyUsageCrlSign = 1u << 6;

// keyUsage (2.5.29.15).
struct KeyUsageExtension {
  uint32_t bits = 0;  // kKeyUsage* ORed together.
  bool critical = true;
};

// basicConstraints (2.5.29.19).
struct BasicConstraintsExtension {
  bool ca = false;
  std::optional<int> path_len;  // pathLenConstraint; only meaningful if ca.
  bool critical = true;
};

// certificatePolicies (2.5.29.32), policy OIDs without qualifiers.
struct CertificatePoliciesExtension {
  std::vector<std::string> policy_oids;
  bool critical = true;
};

// extKeyUsage (2.5.29.37).
struct ExtendedKeyUsageExtension {
  std::vector<std::string> purpose_oids;
  bool critical = true;
};

// subjectAltName (2.5.29.17): dNSNames first, then iPAddresses, then
// registeredIDs.
struct SubjectAltNameExtension {
  std::vector<std::string> dns_names;
  // Textual IPv4 or IPv6 addresses ("127.0.0.1", "::1"), for TLS servers
  // that clients dial by address. SGP.22 certificates have none.
  std::vector<std::string> ip_addresses;
  std::vector<std::string> registered_ids;  // Dotted OIDs.
  bool critical = false;
};

// nameConstraints (2.5.29.30) with permitted directoryName subtrees only, as
// variant-O EUM certificates carry them: one subtree per EID prefix,
// {O=<EUM organisation>, serialNumber=<EID prefix>}.
struct NameConstraintsExtension {
  std::vector<DistinguishedName> permitted_dir_names;
  bool critical = true;
};

// permittedEins (2.23.146.1.2.2.0): SEQUENCE OF PrintableString, one EID
// prefix each.
struct PermittedEinsExtension {
  std::vector<std::string> eid_prefixes;
  bool critical = false;
};

// cRLDistributionPoints (2.5.29.31): one DistributionPoint per URI.
struct CrlDistributionPointsExtension {
  std::vector<std::string> uris;
  bool critical = false;
};

// Any other extension, its value given as DER.
struct RawExtension {
  std::string oid;        // Dotted.
  std::string value_der;  // The extnValue contents.
  bool critical = false;
};

// Everything in a certificate but its issuer and signature. Extensions are
// written in the order of the fields below; an unset optional is left out.
struct CertificateSpec {
  // Positive serial number, big-endian, without leading zero bytes (1..20
  // bytes; see RandomSerialNumber()).
  std::string serial_number;
  DistinguishedName subject;
  SubjectPublicKey public_key;
  // Any instants (in the past, far future, reversed: nothing is checked).
  // Encoded as UTCTime up to 2049, GeneralizedTime from 2050 (RFC 5280).
  absl::Time not_before;
  absl::Time not_after;

  // authorityKeyIdentifier (keyIdentifier only, not critical): the issuer's
  // subjectKeyIdentifier, or for a self-signed certificate this one's.
  bool authority_key_identifier = true;
  // Replaces the computed value, to make a certificate whose AKI is wrong.
  std::optional<std::string> authority_key_identifier_override;
  // subjectKeyIdentifier (not critical): SHA-1 of the subjectPublicKey bits
  // (RFC 5280 4.2.1.2 method 1).
  bool subject_key_identifier = true;
  std::optional<std::string> subject_key_identifier_override;

  std::optional<KeyUsageExtension> key_usage;
  std::optional<BasicConstraintsExtension> basic_constraints;
  std::optional<CertificatePoliciesExtension> certificate_policies;
  std::optional<ExtendedKeyUsageExtension> extended_key_usage;
  std::optional<SubjectAltNameExtension> subject_alt_name;
  std::optional<NameConstraintsExtension> name_constraints;
  std::optional<PermittedEinsExtension> permitted_eins;
  std::optional<CrlDistributionPointsExtension> crl_distribution_points;
  std::vector<RawExtension> extra_extensions;
};

// How an EUM certificate states its permitted EID range.
enum class EidRangeForm {
  kNameConstraints,  // Variant O, as the SGP.26 EUM certificates.
  kPermittedEins,    // The permittedEins extension (other variants).
  kBoth,
};

// Role-specific inputs of SgpProfile().
struct RoleParams {
  // The subjectAltName registeredID: the CI's OID (CI, e.g. "2.999.1"), the
  // EUM's OID (EUM, e.g. "2.999.5") or the SM-DP+ OID (DPauth, DPpb, DPtls,
  // e.g. "2.999.10"). Required for DPauth, DPpb and DPtls; empty: none.
  std::string registered_id;
  // DPtls: the SM-DP+ address (FQDN), the subjectAltName dNSName. Required.
  std::string dns_name;
  // EUM: the organisation of the permitted subtree (variant O). Must equal
  // the O of the eUICC certificates it issues. Required for an EUM with
  // name constraints.
  std::string eum_organization;
  // EUM: permitted EID prefixes (e.g. the IIN "89049032"). Required for EUM.
  std::vector<std::string> eid_prefixes;
  EidRangeForm eid_range_form = EidRangeForm::kNameConstraints;
  // cRLDistributionPoints URIs; empty: no such extension. SGP.26 has them in
  // every certificate but the eUICC's.
  std::vector<std::string> crl_uris;
};

// The SGP.22 extensions of a certificate of `role`:
//   CI:     KU critical keyCertSign+cRLSign; BC critical CA:TRUE; policy
//           critical 2.23.146.1.2.1.0; SKI; AKI (= SKI); SAN registeredID.
//   EUM:    KU critical keyCertSign; BC critical CA:TRUE pathlen:0; policy
//           critical .1.2; AKI; SKI; SAN registeredID; the EID range.
//   eUICC:  KU critical digitalSignature; policy critical .1.1; AKI; SKI.
//   DPauth/DPpb: KU critical digitalSignature; policy critical .1.4/.1.5;
//           AKI; SKI; SAN registeredID (SM-DP+ OID).
//   DPtls:  KU critical digitalSignature; EKU critical serverAuth+clientAuth
//           (as SGP.26); policy .1.3 (not critical, as SGP.26); AKI; SKI; SAN
//           dNSName + registeredID.
// Subject, key, serial and validity are left empty. InvalidArgument naming
// the RoleParams field when a required one is missing or malformed.
[[nodiscard]] absl::StatusOr<CertificateSpec> SgpProfile(
    CertificateRole role, const RoleParams& params);

// Signs a TBSCertificate for the builder.
class CertificateSigner {
 public:
  virtual ~CertificateSigner() = default;

  // ECDSA with SHA-256 over `tbs`, as a DER ECDSA-Sig-Value.
  [[nodiscard]] virtual absl::StatusOr<std::string> SignDer(
      absl::string_view tbs) const = 0;
};

// A CertificateSigner over an OpenSSL private key in memory. Owns a
// reference to the key.
class EvpKeySigner : public CertificateSigner {
 public:
  // `key` must be an EC private key.
  explicit EvpKeySigner(EvpPkeyPtr key);

  // Parses a PEM private key (PKCS#8 or "EC PRIVATE KEY").
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<EvpKeySigner>> FromPem(
      absl::string_view pem);

  [[nodiscard]] absl::StatusOr<std::string> SignDer(
      absl::string_view tbs) const override;

 private:
  EvpPkeyPtr key_;
};

// A CertificateSigner over a key held by a CryptoProvider. Does not own the
// key: `key` must outlive the signer.
class HsmKeySigner : public CertificateSigner {
 public:
  explicit HsmKeySigner(const hsm::SigningKey& key) : key_(key) {}

  [[nodiscard]] absl::StatusOr<std::string> SignDer(
      absl::string_view tbs) const override {
    return key_.SignDer(tbs);
  }

 private:
  const hsm::SigningKey& key_;
};

// Issues `spec` under the issuer certificate `issuer_certificate_der`: the
// issuer name and AKI come from it. The signer is not checked against the
// issuer's key (a mismatch makes a certificate that does not verify, which
// tests may want). Returns the certificate, DER. InvalidArgument for a
// malformed spec (bad OID, point not on the curve, empty serial, ...).
[[nodiscard]] absl::StatusOr<std::string> IssueCertificate(
    const CertificateSpec& spec, absl::string_view issuer_certificate_der,
    const CertificateSigner& signer);

// Issues `spec` self-signed: issuer name = subject, AKI = SKI. `signer`
// should hold the private key of spec.public_key.
[[nodiscard]] absl::StatusOr<std::string> IssueSelfSigned(
    const CertificateSpec& spec, const CertificateSigner& signer);

// ---- Helpers around certificates and software keys. ----

// 16 random bytes with the top bit clear and a non-zero first byte: a
// positive, minimally encoded serial number. Aborts if OpenSSL's random
// generator fails (no entropy source), rather than risk duplicate serials.
std::string RandomSerialNumber();

// `n` as a serial number (big-endian, minimal). `n` must be > 0.
std::string SerialNumberFromUint64(uint64_t n);

// Parses one DER certificate (the whole input).
[[nodiscard]] absl::StatusOr<X509Ptr> ParseCertificateDer(
    absl::string_view der);

// Converts a DER certificate to PEM ("-----BEGIN CERTIFICATE-----...").
[[nodiscard]] absl::StatusOr<std::string> CertificateDerToPem(
    absl::string_view der);

// Converts a PEM certificate (the first one in `pem`) to DER.
[[nodiscard]] absl::StatusOr<std::string> CertificatePemToDer(
    absl::string_view pem);

// The subject public key of an EC key (public or private) on an SGP.22
// curve. InvalidArgument for other key types or curves.
[[nodiscard]] absl::StatusOr<SubjectPublicKey> SubjectPublicKeyFromEvp(
    const EVP_PKEY& key);

// An OpenSSL public key for `key`. InvalidArgument when the point is not an
// uncompressed point on the curve.
[[nodiscard]] absl::StatusOr<EvpPkeyPtr> EvpFromSubjectPublicKey(
    const SubjectPublicKey& key);

// A fresh EC key pair on `curve`, in software (for the dev CI, EUM and test
// eUICCs; server keys are made by a CryptoProvider instead).
[[nodiscard]] absl::StatusOr<EvpPkeyPtr> GenerateSoftwareKey(hsm::Curve curve);

// A private key as unencrypted PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----").
[[nodiscard]] absl::StatusOr<std::string> PrivateKeyToPem(const EVP_PKEY& key);

// Parses a PEM private key (PKCS#8 or "EC PRIVATE KEY").
[[nodiscard]] absl::StatusOr<EvpPkeyPtr> PrivateKeyFromPem(
    absl::string_view pem);

}  // namespace smdp::pki

#endif  // SMDP_SMDP_PKI_CERTIFICATE_BUILDER_H_
