#include "smdp/pki/certificate_builder.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdlib>
#include <cstring>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "util/status_macros.h"

namespace smdp::pki {
namespace {

using Asn1BitStringPtr = SslPtr<ASN1_BIT_STRING, ASN1_BIT_STRING_free>;
using Asn1IntegerPtr = SslPtr<ASN1_INTEGER, ASN1_INTEGER_free>;
using Asn1ObjectPtr = SslPtr<ASN1_OBJECT, ASN1_OBJECT_free>;
using Asn1OctetStringPtr = SslPtr<ASN1_OCTET_STRING, ASN1_OCTET_STRING_free>;
using AuthorityKeyIdPtr = SslPtr<AUTHORITY_KEYID, AUTHORITY_KEYID_free>;
using BasicConstraintsPtr = SslPtr<BASIC_CONSTRAINTS, BASIC_CONSTRAINTS_free>;
using CertificatePoliciesPtr =
    SslPtr<CERTIFICATEPOLICIES, CERTIFICATEPOLICIES_free>;
using CrlDistPointsPtr = SslPtr<CRL_DIST_POINTS, CRL_DIST_POINTS_free>;
using DistPointPtr = SslPtr<DIST_POINT, DIST_POINT_free>;
using ExtendedKeyUsagePtr = SslPtr<EXTENDED_KEY_USAGE, EXTENDED_KEY_USAGE_free>;
using GeneralNamePtr = SslPtr<GENERAL_NAME, GENERAL_NAME_free>;
using GeneralNamesPtr = SslPtr<GENERAL_NAMES, GENERAL_NAMES_free>;
using GeneralSubtreePtr = SslPtr<GENERAL_SUBTREE, GENERAL_SUBTREE_free>;
using NameConstraintsPtr = SslPtr<NAME_CONSTRAINTS, NAME_CONSTRAINTS_free>;
using PolicyInfoPtr = SslPtr<POLICYINFO, POLICYINFO_free>;

const unsigned char* Bytes(absl::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

const char* CurveGroupName(hsm::Curve curve) {
  switch (curve) {
    case hsm::Curve::kNistP256:
      return "prime256v1";
    case hsm::Curve::kBrainpoolP256r1:
      return "brainpoolP256r1";
  }
  return "";
}

absl::StatusOr<Asn1ObjectPtr> ParseOid(absl::string_view oid,
                                       absl::string_view what) {
  // no_name = 1: only the dotted form is accepted.
  Asn1ObjectPtr obj(OBJ_txt2obj(std::string(oid).c_str(), 1));
  if (obj == nullptr || oid.empty()) {
    DrainOpensslErrors();
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": \"", oid, "\" is not a dotted OID"));
  }
  return obj;
}

// DER length octets.
std::string DerLength(size_t n) {
  if (n < 0x80) return std::string(1, static_cast<char>(n));
  std::string bytes;
  for (; n > 0; n >>= 8) bytes.insert(bytes.begin(), static_cast<char>(n));
  return absl::StrCat(std::string(1, static_cast<char>(0x80 | bytes.size())),
                      bytes);
}

std::string DerTlv(unsigned char tag, absl::string_view value) {
  return absl::StrCat(std::string(1, static_cast<char>(tag)),
                      DerLength(value.size()), value);
}

bool IsPrintableString(absl::string_view s) {
  for (char c : s) {
    if (absl::ascii_isalnum(static_cast<unsigned char>(c))) continue;
    if (std::strchr(" '()+,-./:=?", c) == nullptr || c == '\0') return false;
  }
  return true;
}

absl::StatusOr<X509NamePtr> BuildName(const DistinguishedName& dn,
                                      absl::string_view what) {
  X509NamePtr name(X509_NAME_new());
  if (name == nullptr) {
    return OpensslError(absl::StatusCode::kInternal, "X509_NAME_new");
  }
  for (const NameAttribute& attr : dn) {
    if (X509_NAME_add_entry_by_txt(
            name.get(), attr.type.c_str(), MBSTRING_UTF8, Bytes(attr.value),
            static_cast<int>(attr.value.size()), /*loc=*/-1,
            /*set=*/0) != 1) {
      return OpensslError(absl::StatusCode::kInvalidArgument,
                          absl::StrCat(what, ": attribute ", attr.type, "=\"",
                                       attr.value, "\" rejected"));
    }
  }
  return name;
}

absl::Status SetTime(ASN1_TIME* field, absl::Time t, absl::string_view what) {
  if (t == absl::InfinitePast() || t == absl::InfiniteFuture()) {
    return absl::InvalidArgumentError(absl::StrCat(what, " is infinite"));
  }
  if (ASN1_TIME_set(field, absl::ToTimeT(t)) == nullptr) {
    return OpensslError(absl::StatusCode::kInvalidArgument,
                        absl::StrCat(what, " cannot be encoded"));
  }
  return absl::OkStatus();
}

// Adds the extension `nid` made of the OpenSSL structure `value`.
absl::Status AddExtension(X509* x, int nid, bool critical, void* value) {
  X509ExtensionPtr ext(X509V3_EXT_i2d(nid, critical ? 1 : 0, value));
  if (ext == nullptr || X509_add_ext(x, ext.get(), -1) != 1) {
    return OpensslError(absl::StatusCode::kInternal,
                        absl::StrCat("adding extension ", OBJ_nid2sn(nid)));
  }
  return absl::OkStatus();
}

absl::Status AddRawExtension(X509* x, absl::string_view oid, bool critical,
                             absl::string_view value_der) {
  ASSIGN_OR_RETURN(Asn1ObjectPtr obj, ParseOid(oid, "extension OID"));
  Asn1OctetStringPtr value(ASN1_OCTET_STRING_new());
  if (value == nullptr ||
      ASN1_OCTET_STRING_set(value.get(), Bytes(value_der),
                            static_cast<int>(value_der.size())) != 1) {
    return OpensslError(absl::StatusCode::kInternal, "ASN1_OCTET_STRING_set");
  }
  X509ExtensionPtr ext(X509_EXTENSION_create_by_OBJ(
      nullptr, obj.get(), critical ? 1 : 0, value.get()));
  if (ext == nullptr || X509_add_ext(x, ext.get(), -1) != 1) {
    return OpensslError(absl::StatusCode::kInternal,
                        absl::StrCat("adding extension ", oid));
  }
  return absl::OkStatus();
}

absl::StatusOr<Asn1OctetStringPtr> OctetString(absl::string_view bytes) {
  Asn1OctetStringPtr s(ASN1_OCTET_STRING_new());
  if (s == nullptr ||
      ASN1_OCTET_STRING_set(s.get(), Bytes(bytes),
                            static_cast<int>(bytes.size())) != 1) {
    return OpensslError(absl::StatusCode::kInternal, "ASN1_OCTET_STRING_set");
  }
  return s;
}

// A GENERAL_NAME holding an IA5String (dNSName or URI).
absl::StatusOr<GeneralNamePtr> Ia5Name(int type, absl::string_view value) {
  GeneralNamePtr gn(GENERAL_NAME_new());
  ASN1_IA5STRING* ia5 = ASN1_IA5STRING_new();
  if (gn == nullptr || ia5 == nullptr) {
    ASN1_IA5STRING_free(ia5);
    return OpensslError(absl::StatusCode::kInternal, "GENERAL_NAME_new");
  }
  if (ASN1_STRING_set(ia5, value.data(), static_cast<int>(value.size())) != 1) {
    ASN1_IA5STRING_free(ia5);
    return OpensslError(absl::StatusCode::kInternal, "ASN1_STRING_set");
  }
  GENERAL_NAME_set0_value(gn.get(), type, ia5);
  return gn;
}

absl::Status PushName(GENERAL_NAMES* names, GeneralNamePtr gn) {
  if (sk_GENERAL_NAME_push(names, gn.get()) <= 0) {
    return OpensslError(absl::StatusCode::kInternal, "sk_GENERAL_NAME_push");
  }
  gn.release();  // Owned by `names` now.
  return absl::OkStatus();
}

absl::Status AddKeyUsage(X509* x, const KeyUsageExtension& ku) {
  Asn1BitStringPtr bits(ASN1_BIT_STRING_new());
  if (bits == nullptr) {
    return OpensslError(absl::StatusCode::kInternal, "ASN1_BIT_STRING_new");
  }
  for (int n = 0; n < 9; ++n) {
    if ((ku.bits & (1u << n)) != 0 &&
        ASN1_BIT_STRING_set_bit(bits.get(), n, 1) != 1) {
      return OpensslError(absl::StatusCode::kInternal,
                          "ASN1_BIT_STRING_set_bit");
    }
  }
  return AddExtension(x, NID_key_usage, ku.critical, bits.get());
}

absl::Status AddBasicConstraints(X509* x,
                                 const BasicConstraintsExtension& bc_spec) {
  BasicConstraintsPtr bc(BASIC_CONSTRAINTS_new());
  if (bc == nullptr) {
    return OpensslError(absl::StatusCode::kInternal, "BASIC_CONSTRAINTS_new");
  }
  bc->ca = bc_spec.ca ? 0xFF : 0;
  if (bc_spec.path_len.has_value()) {
    bc->pathlen = ASN1_INTEGER_new();
    if (bc->pathlen == nullptr ||
        ASN1_INTEGER_set(bc->pathlen, *bc_spec.path_len) != 1) {
      return OpensslError(absl::StatusCode::kInternal, "ASN1_INTEGER_set");
    }
  }
  return AddExtension(x, NID_basic_constraints, bc_spec.critical, bc.get());
}

absl::Status AddPolicies(X509* x, const CertificatePoliciesExtension& spec) {
  CertificatePoliciesPtr policies(sk_POLICYINFO_new_null());
  if (policies == nullptr) {
    return OpensslError(absl::StatusCode::kInternal, "sk_POLICYINFO_new");
  }
  for (const std::string& oid : spec.policy_oids) {
    ASSIGN_OR_RETURN(Asn1ObjectPtr obj, ParseOid(oid, "policy OID"));
    PolicyInfoPtr info(POLICYINFO_new());
    if (info == nullptr) {
      return OpensslError(absl::StatusCode::kInternal, "POLICYINFO_new");
    }
    ASN1_OBJECT_free(info->policyid);
    info->policyid = obj.release();
    if (sk_POLICYINFO_push(policies.get(), info.get()) <= 0) {
      return OpensslError(absl::StatusCode::kInternal, "sk_POLICYINFO_push");
    }
    info.release();
  }
  return AddExtension(x, NID_certificate_policies, spec.critical,
                      policies.get());
}

absl::Status AddExtendedKeyUsage(X509* x,
                                 const ExtendedKeyUsageExtension& spec) {
  ExtendedKeyUsagePtr eku(sk_ASN1_OBJECT_new_null());
  if (eku == nullptr) {
    return OpensslError(absl::StatusCode::kInternal, "sk_ASN1_OBJECT_new");
  }
  for (const std::string& oid : spec.purpose_oids) {
    ASSIGN_OR_RETURN(Asn1ObjectPtr obj, ParseOid(oid, "extended key usage"));
    if (sk_ASN1_OBJECT_push(eku.get(), obj.get()) <= 0) {
      return OpensslError(absl::StatusCode::kInternal, "sk_ASN1_OBJECT_push");
    }
    obj.release();
  }
  return AddExtension(x, NID_ext_key_usage, spec.critical, eku.get());
}

absl::Status AddSubjectAltName(X509* x, const SubjectAltNameExtension& spec) {
  GeneralNamesPtr names(GENERAL_NAMES_new());
  if (names == nullptr) {
    return OpensslError(absl::StatusCode::kInternal, "GENERAL_NAMES_new");
  }
  for (const std::string& dns : spec.dns_names) {
    ASSIGN_OR_RETURN(GeneralNamePtr gn, Ia5Name(GEN_DNS, dns));
    RETURN_IF_ERROR(PushName(names.get(), std::move(gn)));
  }
  for (const std::string& ip : spec.ip_addresses) {
    GeneralNamePtr gn(
        a2i_GENERAL_NAME(nullptr, nullptr, nullptr, GEN_IPADD, ip.c_str(), 0));
    if (gn == nullptr) {
      ERR_clear_error();
      return absl::InvalidArgumentError(absl::StrCat(
          "subjectAltName iPAddress '", ip, "' is not an IP address"));
    }
    RETURN_IF_ERROR(PushName(names.get(), std::move(gn)));
  }
  for (const std::string& oid : spec.registered_ids) {
    ASSIGN_OR_RETURN(Asn1ObjectPtr obj,
                     ParseOid(oid, "subjectAltName registeredID"));
    GeneralNamePtr gn(GENERAL_NAME_new());
    if (gn == nullptr) {
      return OpensslError(absl::StatusCode::kInternal, "GENERAL_NAME_new");
    }
    GENERAL_NAME_set0_value(gn.get(), GEN_RID, obj.release());
    RETURN_IF_ERROR(PushName(names.get(), std::move(gn)));
  }
  return AddExtension(x, NID_subject_alt_name, spec.critical, names.get());
}

absl::Status AddNameConstraints(X509* x, const NameConstraintsExtension& spec) {
  NameConstraintsPtr nc(NAME_CONSTRAINTS_new());
  if (nc == nullptr) {
    return OpensslError(absl::StatusCode::kInternal, "NAME_CONSTRAINTS_new");
  }
  nc->permittedSubtrees = sk_GENERAL_SUBTREE_new_null();
  if (nc->permittedSubtrees == nullptr) {
    return OpensslError(absl::StatusCode::kInternal, "sk_GENERAL_SUBTREE_new");
  }
  for (const DistinguishedName& dn : spec.permitted_dir_names) {
    ASSIGN_OR_RETURN(X509NamePtr name,
                     BuildName(dn, "nameConstraints directoryName"));
    GeneralNamePtr gn(GENERAL_NAME_new());
    GeneralSubtreePtr subtree(GENERAL_SUBTREE_new());
    if (gn == nullptr || subtree == nullptr) {
      return OpensslError(absl::StatusCode::kInternal, "GENERAL_SUBTREE_new");
    }
    GENERAL_NAME_set0_value(gn.get(), GEN_DIRNAME, name.release());
    GENERAL_NAME_free(subtree->base);
    subtree->base = gn.release();
    if (sk_GENERAL_SUBTREE_push(nc->permittedSubtrees, subtree.get()) <= 0) {
      return OpensslError(absl::StatusCode::kInternal,
                          "sk_GENERAL_SUBTREE_push");
    }
    subtree.release();
  }
  return AddExtension(x, NID_name_constraints, spec.critical, nc.get());
}

absl::Status AddPermittedEins(X509* x, const PermittedEinsExtension& spec) {
  std::string body;
  for (const std::string& prefix : spec.eid_prefixes) {
    if (!IsPrintableString(prefix)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "permittedEins: \"", prefix, "\" is not a PrintableString"));
    }
    absl::StrAppend(&body, DerTlv(V_ASN1_PRINTABLESTRING, prefix));
  }
  return AddRawExtension(x, kPermittedEinsOid, spec.critical,
                         DerTlv(0x30, body));
}

absl::Status AddCrlDistributionPoints(
    X509* x, const CrlDistributionPointsExtension& spec) {
  CrlDistPointsPtr points(sk_DIST_POINT_new_null());
  if (points == nullptr) {
    return OpensslError(absl::StatusCode::kInternal, "sk_DIST_POINT_new");
  }
  for (const std::string& uri : spec.uris) {
    DistPointPtr point(DIST_POINT_new());
    if (point == nullptr) {
      return OpensslError(absl::StatusCode::kInternal, "DIST_POINT_new");
    }
    point->distpoint = DIST_POINT_NAME_new();
    if (point->distpoint == nullptr) {
      return OpensslError(absl::StatusCode::kInternal, "DIST_POINT_NAME_new");
    }
    point->distpoint->type = 0;  // fullName
    point->distpoint->name.fullname = GENERAL_NAMES_new();
    if (point->distpoint->name.fullname == nullptr) {
      return OpensslError(absl::StatusCode::kInternal, "GENERAL_NAMES_new");
    }
    ASSIGN_OR_RETURN(GeneralNamePtr gn, Ia5Name(GEN_URI, uri));
    RETURN_IF_ERROR(PushName(point->distpoint->name.fullname, std::move(gn)));
    if (sk_DIST_POINT_push(points.get(), point.get()) <= 0) {
      return OpensslError(absl::StatusCode::kInternal, "sk_DIST_POINT_push");
    }
    point.release();
  }
  return AddExtension(x, NID_crl_distribution_points, spec.critical,
                      points.get());
}

absl::Status AddKeyIdentifier(X509* x, int nid, absl::string_view key_id) {
  ASSIGN_OR_RETURN(Asn1OctetStringPtr id, OctetString(key_id));
  if (nid == NID_subject_key_identifier) {
    return AddExtension(x, nid, /*critical=*/false, id.get());
  }
  AuthorityKeyIdPtr akid(AUTHORITY_KEYID_new());
  if (akid == nullptr) {
    return OpensslError(absl::StatusCode::kInternal, "AUTHORITY_KEYID_new");
  }
  akid->keyid = id.release();
  return AddExtension(x, nid, /*critical=*/false, akid.get());
}

// The RFC 5280 method-1 key identifier of `x`'s public key.
absl::StatusOr<std::string> ComputeKeyIdentifier(const X509* x) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (X509_pubkey_digest(x, EVP_sha1(), md, &len) != 1) {
    return OpensslError(absl::StatusCode::kInternal, "X509_pubkey_digest");
  }
  return std::string(reinterpret_cast<const char*>(md), len);
}

// Builds, signs and encodes. `issuer` is null for a self-signed certificate.
absl::StatusOr<std::string> Issue(const CertificateSpec& spec, X509* issuer,
                                  const CertificateSigner& signer) {
  X509Ptr x(X509_new());
  if (x == nullptr)
    return OpensslError(absl::StatusCode::kInternal, "X509_new");
  if (X509_set_version(x.get(), X509_VERSION_3) != 1) {
    return OpensslError(absl::StatusCode::kInternal, "X509_set_version");
  }

  // Serial number.
  if (spec.serial_number.empty() || spec.serial_number.size() > 20) {
    return absl::InvalidArgumentError(absl::StrCat(
        "serial_number must be 1..20 bytes, got ", spec.serial_number.size()));
  }
  BignumPtr serial(BN_bin2bn(Bytes(spec.serial_number),
                             static_cast<int>(spec.serial_number.size()),
                             nullptr));
  if (serial == nullptr ||
      BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(x.get())) ==
          nullptr) {
    return OpensslError(absl::StatusCode::kInternal, "serial number");
  }

  // Names.
  ASSIGN_OR_RETURN(X509NamePtr subject, BuildName(spec.subject, "subject"));
  if (X509_set_subject_name(x.get(), subject.get()) != 1 ||
      X509_set_issuer_name(x.get(), issuer != nullptr
                                        ? X509_get_subject_name(issuer)
                                        : subject.get()) != 1) {
    return OpensslError(absl::StatusCode::kInternal, "setting names");
  }

  // Validity.
  RETURN_IF_ERROR(
      SetTime(X509_getm_notBefore(x.get()), spec.not_before, "not_before"));
  RETURN_IF_ERROR(
      SetTime(X509_getm_notAfter(x.get()), spec.not_after, "not_after"));

  // Public key.
  ASSIGN_OR_RETURN(EvpPkeyPtr pkey, EvpFromSubjectPublicKey(spec.public_key));
  if (X509_set_pubkey(x.get(), pkey.get()) != 1) {
    return OpensslError(absl::StatusCode::kInternal, "X509_set_pubkey");
  }

  // Key identifiers.
  std::string ski;
  if (spec.subject_key_identifier_override.has_value()) {
    ski = *spec.subject_key_identifier_override;
  } else {
    ASSIGN_OR_RETURN(ski, ComputeKeyIdentifier(x.get()));
  }
  if (spec.authority_key_identifier) {
    std::string aki;
    if (spec.authority_key_identifier_override.has_value()) {
      aki = *spec.authority_key_identifier_override;
    } else if (issuer == nullptr) {
      aki = ski;
    } else {
      const ASN1_OCTET_STRING* issuer_ski = X509_get0_subject_key_id(issuer);
      if (issuer_ski == nullptr) {
        return absl::FailedPreconditionError(
            "issuer certificate has no subjectKeyIdentifier to use as this "
            "certificate's authorityKeyIdentifier");
      }
      aki.assign(
          reinterpret_cast<const char*>(ASN1_STRING_get0_data(issuer_ski)),
          ASN1_STRING_length(issuer_ski));
    }
    RETURN_IF_ERROR(
        AddKeyIdentifier(x.get(), NID_authority_key_identifier, aki));
  }
  if (spec.subject_key_identifier) {
    RETURN_IF_ERROR(AddKeyIdentifier(x.get(), NID_subject_key_identifier, ski));
  }

  // The other extensions, in the order of CertificateSpec.
  if (spec.key_usage) RETURN_IF_ERROR(AddKeyUsage(x.get(), *spec.key_usage));
  if (spec.basic_constraints) {
    RETURN_IF_ERROR(AddBasicConstraints(x.get(), *spec.basic_constraints));
  }
  if (spec.certificate_policies) {
    RETURN_IF_ERROR(AddPolicies(x.get(), *spec.certificate_policies));
  }
  if (spec.extended_key_usage) {
    RETURN_IF_ERROR(AddExtendedKeyUsage(x.get(), *spec.extended_key_usage));
  }
  if (spec.subject_alt_name) {
    RETURN_IF_ERROR(AddSubjectAltName(x.get(), *spec.subject_alt_name));
  }
  if (spec.name_constraints) {
    RETURN_IF_ERROR(AddNameConstraints(x.get(), *spec.name_constraints));
  }
  if (spec.permitted_eins) {
    RETURN_IF_ERROR(AddPermittedEins(x.get(), *spec.permitted_eins));
  }
  if (spec.crl_distribution_points) {
    RETURN_IF_ERROR(
        AddCrlDistributionPoints(x.get(), *spec.crl_distribution_points));
  }
  for (const RawExtension& raw : spec.extra_extensions) {
    RETURN_IF_ERROR(
        AddRawExtension(x.get(), raw.oid, raw.critical, raw.value_der));
  }

  // Signature algorithm, in the TBSCertificate and the outer Certificate:
  // ecdsa-with-SHA256 without parameters (RFC 5758).
  const ASN1_BIT_STRING* const_signature = nullptr;
  const X509_ALGOR* const_outer_alg = nullptr;
  X509_get0_signature(&const_signature, &const_outer_alg, x.get());
  // OpenSSL exposes these only as const; they are owned by `x`, which this
  // function owns, so writing them is safe (X509_sign does the same inside).
  auto* outer_alg = const_cast<X509_ALGOR*>(const_outer_alg);
  auto* tbs_alg = const_cast<X509_ALGOR*>(X509_get0_tbs_sigalg(x.get()));
  auto* signature = const_cast<ASN1_BIT_STRING*>(const_signature);
  if (X509_ALGOR_set0(tbs_alg, OBJ_nid2obj(NID_ecdsa_with_SHA256), V_ASN1_UNDEF,
                      nullptr) != 1 ||
      X509_ALGOR_set0(outer_alg, OBJ_nid2obj(NID_ecdsa_with_SHA256),
                      V_ASN1_UNDEF, nullptr) != 1) {
    return OpensslError(absl::StatusCode::kInternal, "X509_ALGOR_set0");
  }

  // Encode the TBSCertificate, sign it, set the signature.
  int tbs_len = i2d_re_X509_tbs(x.get(), nullptr);
  if (tbs_len <= 0) {
    return OpensslError(absl::StatusCode::kInternal, "i2d_re_X509_tbs");
  }
  std::string tbs(static_cast<size_t>(tbs_len), '\0');
  unsigned char* p = reinterpret_cast<unsigned char*>(tbs.data());
  if (i2d_re_X509_tbs(x.get(), &p) != tbs_len) {
    return OpensslError(absl::StatusCode::kInternal, "i2d_re_X509_tbs");
  }
  ASSIGN_OR_RETURN(std::string der_signature, signer.SignDer(tbs));
  if (ASN1_BIT_STRING_set(
          signature, reinterpret_cast<unsigned char*>(der_signature.data()),
          static_cast<int>(der_signature.size())) != 1) {
    return OpensslError(absl::StatusCode::kInternal, "ASN1_BIT_STRING_set");
  }
  // A signature is a whole number of bytes: 0 unused bits, no trimming.
  signature->flags &= ~(ASN1_STRING_FLAG_BITS_LEFT | 0x07);
  signature->flags |= ASN1_STRING_FLAG_BITS_LEFT;

  int der_len = i2d_X509(x.get(), nullptr);
  if (der_len <= 0)
    return OpensslError(absl::StatusCode::kInternal, "i2d_X509");
  std::string der(static_cast<size_t>(der_len), '\0');
  p = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_X509(x.get(), &p) != der_len) {
    return OpensslError(absl::StatusCode::kInternal, "i2d_X509");
  }
  return der;
}

absl::Status CheckPrefixes(const std::vector<std::string>& prefixes) {
  if (prefixes.empty()) {
    return absl::InvalidArgumentError(
        "RoleParams.eid_prefixes: an EUM needs at least one EID prefix");
  }
  for (const std::string& prefix : prefixes) {
    bool digits = !prefix.empty() && prefix.size() <= 32;
    for (char c : prefix) {
      digits = digits && absl::ascii_isdigit(static_cast<unsigned char>(c));
    }
    if (!digits) {
      return absl::InvalidArgumentError(
          absl::StrCat("RoleParams.eid_prefixes: \"", prefix,
                       "\" is not 1..32 decimal digits"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckOid(absl::string_view oid, absl::string_view field) {
  return ParseOid(oid, field).status();
}

}  // namespace

absl::string_view RoleName(CertificateRole role) {
  switch (role) {
    case CertificateRole::kCi:
      return "CI";
    case CertificateRole::kEum:
      return "EUM";
    case CertificateRole::kEuicc:
      return "eUICC";
    case CertificateRole::kDpAuth:
      return "DPauth";
    case CertificateRole::kDpPb:
      return "DPpb";
    case CertificateRole::kDpTls:
      return "DPtls";
  }
  return "?";
}

absl::string_view PolicyOid(CertificateRole role) {
  switch (role) {
    case CertificateRole::kCi:
      return kPolicyCi;
    case CertificateRole::kEum:
      return kPolicyEum;
    case CertificateRole::kEuicc:
      return kPolicyEuicc;
    case CertificateRole::kDpAuth:
      return kPolicyDpAuth;
    case CertificateRole::kDpPb:
      return kPolicyDpPb;
    case CertificateRole::kDpTls:
      return kPolicyDpTls;
  }
  return "";
}

absl::StatusOr<CertificateSpec> SgpProfile(CertificateRole role,
                                           const RoleParams& params) {
  CertificateSpec spec;
  spec.certificate_policies = CertificatePoliciesExtension{
      .policy_oids = {std::string(PolicyOid(role))}, .critical = true};
  const bool is_dp = role == CertificateRole::kDpAuth ||
                     role == CertificateRole::kDpPb ||
                     role == CertificateRole::kDpTls;
  if (is_dp && params.registered_id.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "RoleParams.registered_id: the SM-DP+ OID is required for ",
        RoleName(role)));
  }
  if (!params.registered_id.empty()) {
    RETURN_IF_ERROR(CheckOid(params.registered_id, "RoleParams.registered_id"));
  }
  switch (role) {
    case CertificateRole::kCi:
      spec.key_usage = KeyUsageExtension{
          .bits = kKeyUsageKeyCertSign | kKeyUsageCrlSign, .critical = true};
      spec.basic_constraints =
          BasicConstraintsExtension{.ca = true, .critical = true};
      break;
    case CertificateRole::kEum: {
      spec.key_usage =
          KeyUsageExtension{.bits = kKeyUsageKeyCertSign, .critical = true};
      spec.basic_constraints = BasicConstraintsExtension{
          .ca = true, .path_len = 0, .critical = true};
      RETURN_IF_ERROR(CheckPrefixes(params.eid_prefixes));
      if (params.eid_range_form != EidRangeForm::kPermittedEins) {
        if (params.eum_organization.empty()) {
          return absl::InvalidArgumentError(
              "RoleParams.eum_organization: required for an EUM with name "
              "constraints");
        }
        NameConstraintsExtension nc;
        for (const std::string& prefix : params.eid_prefixes) {
          nc.permitted_dir_names.push_back(
              {{"O", params.eum_organization}, {"serialNumber", prefix}});
        }
        spec.name_constraints = std::move(nc);
      }
      if (params.eid_range_form != EidRangeForm::kNameConstraints) {
        spec.permitted_eins =
            PermittedEinsExtension{.eid_prefixes = params.eid_prefixes};
      }
      break;
    }
    case CertificateRole::kEuicc:
    case CertificateRole::kDpAuth:
    case CertificateRole::kDpPb:
      spec.key_usage = KeyUsageExtension{.bits = kKeyUsageDigitalSignature,
                                         .critical = true};
      break;
    case CertificateRole::kDpTls:
      if (params.dns_name.empty()) {
        return absl::InvalidArgumentError(
            "RoleParams.dns_name: the SM-DP+ address is required for DPtls");
      }
      spec.key_usage = KeyUsageExtension{.bits = kKeyUsageDigitalSignature,
                                         .critical = true};
      spec.extended_key_usage = ExtendedKeyUsageExtension{
          .purpose_oids = {std::string(kEkuServerAuth),
                           std::string(kEkuClientAuth)},
          .critical = true};
      // SGP.26's current TLS certificates mark the policy non-critical.
      spec.certificate_policies->critical = false;
      break;
  }
  if (!params.dns_name.empty() || !params.registered_id.empty()) {
    SubjectAltNameExtension san;
    if (!params.dns_name.empty()) san.dns_names.push_back(params.dns_name);
    if (!params.registered_id.empty()) {
      san.registered_ids.push_back(params.registered_id);
    }
    spec.subject_alt_name = std::move(san);
  }
  if (!params.crl_uris.empty()) {
    spec.crl_distribution_points =
        CrlDistributionPointsExtension{.uris = params.crl_uris};
  }
  return spec;
}

EvpKeySigner::EvpKeySigner(EvpPkeyPtr key) : key_(std::move(key)) {}

absl::StatusOr<std::unique_ptr<EvpKeySigner>> EvpKeySigner::FromPem(
    absl::string_view pem) {
  ASSIGN_OR_RETURN(EvpPkeyPtr key, PrivateKeyFromPem(pem));
  return std::make_unique<EvpKeySigner>(std::move(key));
}

absl::StatusOr<std::string> EvpKeySigner::SignDer(absl::string_view tbs) const {
  if (key_ == nullptr) {
    return absl::FailedPreconditionError("EvpKeySigner has no key");
  }
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  size_t len = 0;
  if (ctx == nullptr ||
      EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr,
                         key_.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, Bytes(tbs), tbs.size()) != 1) {
    return OpensslError(absl::StatusCode::kInternal, "EVP_DigestSign");
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()),
                     &len, Bytes(tbs), tbs.size()) != 1) {
    return OpensslError(absl::StatusCode::kInternal, "EVP_DigestSign");
  }
  sig.resize(len);
  return sig;
}

absl::StatusOr<std::string> IssueCertificate(
    const CertificateSpec& spec, absl::string_view issuer_certificate_der,
    const CertificateSigner& signer) {
  absl::StatusOr<X509Ptr> issuer = ParseCertificateDer(issuer_certificate_der);
  if (!issuer.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("issuer certificate: ", issuer.status().message()));
  }
  return Issue(spec, issuer->get(), signer);
}

absl::StatusOr<std::string> IssueSelfSigned(const CertificateSpec& spec,
                                            const CertificateSigner& signer) {
  return Issue(spec, nullptr, signer);
}

std::string RandomSerialNumber() {
  unsigned char bytes[16];
  // RAND_bytes fails only when the process has no entropy source at all;
  // a serial number from a failed call would still be unique enough for a
  // dev PKI, but better to crash than to issue duplicates silently.
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) abort();
  bytes[0] &= 0x7F;
  if (bytes[0] == 0) bytes[0] = 0x01;
  return std::string(reinterpret_cast<const char*>(bytes), sizeof(bytes));
}

std::string SerialNumberFromUint64(uint64_t n) {
  std::string out;
  for (; n > 0; n >>= 8) out.insert(out.begin(), static_cast<char>(n & 0xFF));
  if (out.empty()) out.push_back('\0');
  return out;
}

absl::StatusOr<X509Ptr> ParseCertificateDer(absl::string_view der) {
  const unsigned char* p = Bytes(der);
  X509Ptr x(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (x == nullptr) {
    return OpensslError(absl::StatusCode::kInvalidArgument,
                        "not a DER X.509 certificate");
  }
  if (p != Bytes(der) + der.size()) {
    return absl::InvalidArgumentError(
        "trailing bytes after the DER certificate");
  }
  return x;
}

absl::StatusOr<std::string> CertificateDerToPem(absl::string_view der) {
  ASSIGN_OR_RETURN(X509Ptr x, ParseCertificateDer(der));
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || PEM_write_bio_X509(bio.get(), x.get()) != 1) {
    return OpensslError(absl::StatusCode::kInternal, "PEM_write_bio_X509");
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

absl::StatusOr<std::string> CertificatePemToDer(absl::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (bio == nullptr) {
    return OpensslError(absl::StatusCode::kInternal, "BIO_new_mem_buf");
  }
  X509Ptr x(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (x == nullptr) {
    return OpensslError(absl::StatusCode::kInvalidArgument,
                        "not a PEM certificate");
  }
  int len = i2d_X509(x.get(), nullptr);
  if (len <= 0) return OpensslError(absl::StatusCode::kInternal, "i2d_X509");
  std::string der(static_cast<size_t>(len), '\0');
  unsigned char* p = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_X509(x.get(), &p) != len) {
    return OpensslError(absl::StatusCode::kInternal, "i2d_X509");
  }
  return der;
}

absl::StatusOr<SubjectPublicKey> SubjectPublicKeyFromEvp(const EVP_PKEY& key) {
  if (EVP_PKEY_get_base_id(&key) != EVP_PKEY_EC) {
    return absl::InvalidArgumentError("not an EC key");
  }
  char group[64] = {0};
  size_t group_len = 0;
  if (EVP_PKEY_get_utf8_string_param(&key, OSSL_PKEY_PARAM_GROUP_NAME, group,
                                     sizeof(group), &group_len) != 1) {
    return OpensslError(absl::StatusCode::kInvalidArgument,
                        "EC key without a named curve");
  }
  SubjectPublicKey out;
  const int nid = OBJ_txt2nid(group);
  if (nid == NID_X9_62_prime256v1) {
    out.curve = hsm::Curve::kNistP256;
  } else if (nid == NID_brainpoolP256r1) {
    out.curve = hsm::Curve::kBrainpoolP256r1;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("curve ", group, " is not an SGP.22 curve"));
  }
  BIGNUM* x_raw = nullptr;
  BIGNUM* y_raw = nullptr;
  const int got_x =
      EVP_PKEY_get_bn_param(&key, OSSL_PKEY_PARAM_EC_PUB_X, &x_raw);
  BignumPtr x(x_raw);
  const int got_y =
      EVP_PKEY_get_bn_param(&key, OSSL_PKEY_PARAM_EC_PUB_Y, &y_raw);
  BignumPtr y(y_raw);
  if (got_x != 1 || got_y != 1) {
    return OpensslError(absl::StatusCode::kInvalidArgument,
                        "EC key without a public point");
  }
  out.point.assign(hsm::kUncompressedPointSize, '\0');
  out.point[0] = 0x04;
  auto* p = reinterpret_cast<unsigned char*>(out.point.data());
  if (BN_bn2binpad(x.get(), p + 1, hsm::kCoordinateSize) < 0 ||
      BN_bn2binpad(y.get(), p + 1 + hsm::kCoordinateSize,
                   hsm::kCoordinateSize) < 0) {
    return OpensslError(absl::StatusCode::kInternal, "BN_bn2binpad");
  }
  return out;
}

absl::StatusOr<EvpPkeyPtr> EvpFromSubjectPublicKey(
    const SubjectPublicKey& key) {
  if (key.point.size() != hsm::kUncompressedPointSize || key.point[0] != 0x04) {
    return absl::InvalidArgumentError(
        absl::StrCat("public key must be an uncompressed point of ",
                     hsm::kUncompressedPointSize, " bytes, got ",
                     key.point.size(), " bytes"));
  }
  std::string point = key.point;  // OSSL_PARAM wants a mutable buffer.
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(
          OSSL_PKEY_PARAM_GROUP_NAME,
          const_cast<char*>(CurveGroupName(key.curve)), 0),
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                        point.size()),
      OSSL_PARAM_construct_end(),
  };
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* raw = nullptr;
  if (ctx == nullptr || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params) != 1) {
    return OpensslError(absl::StatusCode::kInvalidArgument,
                        absl::StrCat("public key is not a point on ",
                                     CurveGroupName(key.curve)));
  }
  return EvpPkeyPtr(raw);
}

absl::StatusOr<EvpPkeyPtr> GenerateSoftwareKey(hsm::Curve curve) {
  EvpPkeyPtr key(EVP_EC_gen(CurveGroupName(curve)));
  if (key == nullptr) {
    return OpensslError(absl::StatusCode::kInternal, "EVP_EC_gen");
  }
  return key;
}

absl::StatusOr<std::string> PrivateKeyToPem(const EVP_PKEY& key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr ||
      PEM_write_bio_PrivateKey(bio.get(), &key, nullptr, nullptr, 0, nullptr,
                               nullptr) != 1) {
    return OpensslError(absl::StatusCode::kInternal,
                        "PEM_write_bio_PrivateKey");
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

absl::StatusOr<EvpPkeyPtr> PrivateKeyFromPem(absl::string_view pem) {
  // A stale error on the thread's queue makes OpenSSL 3.0 read a PEM that
  // starts with "EC PARAMETERS" as parameters only (see hsm/internal/ec_util).
  ERR_clear_error();
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (bio == nullptr) {
    return OpensslError(absl::StatusCode::kInternal, "BIO_new_mem_buf");
  }
  // An empty passphrase instead of a callback: an encrypted key fails
  // instead of prompting on the terminal.
  EvpPkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr,
                                         const_cast<char*>("")));
  if (key == nullptr) {
    return OpensslError(absl::StatusCode::kInvalidArgument,
                        "not a PEM private key");
  }
  if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_EC) {
    return absl::InvalidArgumentError("private key is not an EC key");
  }
  return key;
}

}  // namespace smdp::pki
