#include "smdp/pki/cert_inspect_testutil.h"

#include <openssl/asn1.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace smdp::pki::testing {
namespace {

std::string Oid(const ASN1_OBJECT* obj) {
  char buf[128];
  int n = OBJ_obj2txt(buf, sizeof(buf), obj, /*no_name=*/1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

std::string AsnString(const ASN1_STRING* s) {
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                     static_cast<size_t>(ASN1_STRING_length(s)));
}

std::vector<GENERAL_NAME*> SanEntries(X509* x, GENERAL_NAMES** holder) {
  *holder = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(x, NID_subject_alt_name, nullptr, nullptr));
  std::vector<GENERAL_NAME*> out;
  if (*holder == nullptr) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(*holder); ++i) {
    out.push_back(sk_GENERAL_NAME_value(*holder, i));
  }
  return out;
}

}  // namespace

X509Ptr MustParse(absl::string_view der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  X509Ptr x(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (x == nullptr) {
    std::fprintf(stderr, "MustParse: not a DER certificate (%zu bytes)\n",
                 der.size());
    std::abort();
  }
  return x;
}

std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::set<ExtensionId> ExtensionIds(X509* x) {
  std::set<ExtensionId> out;
  for (int i = 0; i < X509_get_ext_count(x); ++i) {
    X509_EXTENSION* ext = X509_get_ext(x, i);
    out.emplace(Oid(X509_EXTENSION_get_object(ext)),
                X509_EXTENSION_get_critical(ext) != 0);
  }
  return out;
}

std::optional<bool> ExtensionCritical(X509* x, int nid) {
  int idx = X509_get_ext_by_NID(x, nid, -1);
  if (idx < 0) return std::nullopt;
  return X509_EXTENSION_get_critical(X509_get_ext(x, idx)) != 0;
}

std::optional<uint32_t> KeyUsageBits(X509* x) {
  auto* bits = static_cast<ASN1_BIT_STRING*>(
      X509_get_ext_d2i(x, NID_key_usage, nullptr, nullptr));
  if (bits == nullptr) return std::nullopt;
  uint32_t out = 0;
  for (int n = 0; n < 9; ++n) {
    if (ASN1_BIT_STRING_get_bit(bits, n)) out |= 1u << n;
  }
  ASN1_BIT_STRING_free(bits);
  return out;
}

std::vector<std::string> PolicyOids(X509* x) {
  auto* policies = static_cast<CERTIFICATEPOLICIES*>(
      X509_get_ext_d2i(x, NID_certificate_policies, nullptr, nullptr));
  std::vector<std::string> out;
  if (policies == nullptr) return out;
  for (int i = 0; i < sk_POLICYINFO_num(policies); ++i) {
    out.push_back(Oid(sk_POLICYINFO_value(policies, i)->policyid));
  }
  CERTIFICATEPOLICIES_free(policies);
  return out;
}

std::vector<std::string> ExtendedKeyUsageOids(X509* x) {
  auto* eku = static_cast<EXTENDED_KEY_USAGE*>(
      X509_get_ext_d2i(x, NID_ext_key_usage, nullptr, nullptr));
  std::vector<std::string> out;
  if (eku == nullptr) return out;
  for (int i = 0; i < sk_ASN1_OBJECT_num(eku); ++i) {
    out.push_back(Oid(sk_ASN1_OBJECT_value(eku, i)));
  }
  EXTENDED_KEY_USAGE_free(eku);
  return out;
}

std::optional<std::pair<bool, long>> BasicConstraints(X509* x) {
  auto* bc = static_cast<BASIC_CONSTRAINTS*>(
      X509_get_ext_d2i(x, NID_basic_constraints, nullptr, nullptr));
  if (bc == nullptr) return std::nullopt;
  std::pair<bool, long> out(bc->ca != 0,
                            bc->pathlen ? ASN1_INTEGER_get(bc->pathlen) : -1);
  BASIC_CONSTRAINTS_free(bc);
  return out;
}

std::vector<std::string> SanDnsNames(X509* x) {
  GENERAL_NAMES* names = nullptr;
  std::vector<std::string> out;
  for (GENERAL_NAME* gn : SanEntries(x, &names)) {
    if (gn->type == GEN_DNS) out.push_back(AsnString(gn->d.dNSName));
  }
  GENERAL_NAMES_free(names);
  return out;
}

std::vector<std::string> SanRegisteredIds(X509* x) {
  GENERAL_NAMES* names = nullptr;
  std::vector<std::string> out;
  for (GENERAL_NAME* gn : SanEntries(x, &names)) {
    if (gn->type == GEN_RID) out.push_back(Oid(gn->d.registeredID));
  }
  GENERAL_NAMES_free(names);
  return out;
}

std::string SubjectKeyId(X509* x) {
  const ASN1_OCTET_STRING* id = X509_get0_subject_key_id(x);
  return id == nullptr ? "" : AsnString(id);
}

std::string AuthorityKeyId(X509* x) {
  const ASN1_OCTET_STRING* id = X509_get0_authority_key_id(x);
  return id == nullptr ? "" : AsnString(id);
}

std::vector<std::string> PermittedDirNames(X509* x) {
  auto* nc = static_cast<NAME_CONSTRAINTS*>(
      X509_get_ext_d2i(x, NID_name_constraints, nullptr, nullptr));
  std::vector<std::string> out;
  if (nc == nullptr) return out;
  for (int i = 0; i < sk_GENERAL_SUBTREE_num(nc->permittedSubtrees); ++i) {
    GENERAL_SUBTREE* st = sk_GENERAL_SUBTREE_value(nc->permittedSubtrees, i);
    if (st->base->type == GEN_DIRNAME) {
      out.push_back(NameString(st->base->d.directoryName));
    }
  }
  NAME_CONSTRAINTS_free(nc);
  return out;
}

std::optional<std::vector<std::string>> PermittedEins(X509* x) {
  ASN1_OBJECT* obj = OBJ_txt2obj("2.23.146.1.2.2.0", 1);
  int idx = X509_get_ext_by_OBJ(x, obj, -1);
  ASN1_OBJECT_free(obj);
  if (idx < 0) return std::nullopt;
  const ASN1_OCTET_STRING* value =
      X509_EXTENSION_get_data(X509_get_ext(x, idx));
  const unsigned char* p = ASN1_STRING_get0_data(value);
  const unsigned char* end = p + ASN1_STRING_length(value);
  long len = 0;
  int tag = 0, cls = 0;
  if (ASN1_get_object(&p, &len, &tag, &cls, end - p) & 0x80) {
    return std::nullopt;
  }
  if (tag != V_ASN1_SEQUENCE || p + len != end) return std::nullopt;
  std::vector<std::string> out;
  while (p < end) {
    if ((ASN1_get_object(&p, &len, &tag, &cls, end - p) & 0x80) ||
        tag != V_ASN1_PRINTABLESTRING) {
      return std::nullopt;
    }
    out.emplace_back(reinterpret_cast<const char*>(p),
                     static_cast<size_t>(len));
    p += len;
  }
  return out;
}

std::vector<std::string> CrlUris(X509* x) {
  auto* points = static_cast<CRL_DIST_POINTS*>(
      X509_get_ext_d2i(x, NID_crl_distribution_points, nullptr, nullptr));
  std::vector<std::string> out;
  if (points == nullptr) return out;
  for (int i = 0; i < sk_DIST_POINT_num(points); ++i) {
    DIST_POINT* dp = sk_DIST_POINT_value(points, i);
    if (dp->distpoint == nullptr || dp->distpoint->type != 0) continue;
    GENERAL_NAMES* names = dp->distpoint->name.fullname;
    for (int j = 0; j < sk_GENERAL_NAME_num(names); ++j) {
      GENERAL_NAME* gn = sk_GENERAL_NAME_value(names, j);
      if (gn->type == GEN_URI) {
        out.push_back(AsnString(gn->d.uniformResourceIdentifier));
      }
    }
  }
  CRL_DIST_POINTS_free(points);
  return out;
}

std::string NameString(const X509_NAME* name) {
  std::vector<std::string> parts;
  for (int i = 0; i < X509_NAME_entry_count(name); ++i) {
    const X509_NAME_ENTRY* e = X509_NAME_get_entry(name, i);
    int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(e));
    parts.push_back(absl::StrCat(OBJ_nid2sn(nid), "=",
                                 AsnString(X509_NAME_ENTRY_get_data(e))));
  }
  return absl::StrJoin(parts, ",");
}

std::string CurveOid(X509* x) {
  X509_PUBKEY* pub = X509_get_X509_PUBKEY(x);
  X509_ALGOR* alg = nullptr;
  if (X509_PUBKEY_get0_param(nullptr, nullptr, nullptr, &alg, pub) != 1) {
    return "";
  }
  const ASN1_OBJECT* alg_oid = nullptr;
  int ptype = 0;
  const void* pval = nullptr;
  X509_ALGOR_get0(&alg_oid, &ptype, &pval, alg);
  if (OBJ_obj2nid(alg_oid) != NID_X9_62_id_ecPublicKey ||
      ptype != V_ASN1_OBJECT) {
    return "";
  }
  return Oid(static_cast<const ASN1_OBJECT*>(pval));
}

bool SignedBy(X509* cert, X509* issuer) {
  EVP_PKEY* key = X509_get0_pubkey(issuer);
  return key != nullptr && X509_verify(cert, key) == 1;
}

absl::Status VerifyChain(X509* leaf, X509* root,
                         const std::vector<X509*>& intermediates,
                         absl::Time at) {
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, root);
  STACK_OF(X509)* chain = sk_X509_new_null();
  for (X509* c : intermediates) sk_X509_push(chain, c);
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, leaf, chain);
  X509_STORE_CTX_set_time(ctx, 0, absl::ToTimeT(at));
  int ok = X509_verify_cert(ctx);
  absl::Status status = absl::OkStatus();
  if (ok != 1) {
    int err = X509_STORE_CTX_get_error(ctx);
    status = absl::FailedPreconditionError(
        absl::StrCat("X509_verify_cert: ", X509_verify_cert_error_string(err),
                     " at depth ", X509_STORE_CTX_get_error_depth(ctx)));
  }
  X509_STORE_CTX_free(ctx);
  sk_X509_free(chain);
  X509_STORE_free(store);
  return status;
}

}  // namespace smdp::pki::testing
