#include "hsm/internal/ec_util.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "hsm/internal/ecdsa_signature.h"

namespace smdp::hsm::internal {
namespace {

// DER OBJECT IDENTIFIER TLVs of the two curves.
constexpr char kP256OidDer[] = "\x06\x08\x2a\x86\x48\xce\x3d\x03\x01\x07";
constexpr char kBrainpoolP256r1OidDer[] =
    "\x06\x09\x2b\x24\x03\x03\x02\x08\x01\x01\x07";

struct BnClearFree {
  void operator()(BIGNUM* bn) const { BN_clear_free(bn); }
};
using SecretBignumPtr = std::unique_ptr<BIGNUM, BnClearFree>;

// The SHA-256 implementation, fetched once: an implicit fetch on every call
// (EVP_sha256()) takes a global lock in OpenSSL 3.0.
const EVP_MD* Sha256Md() {
  static const EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

// A textual form of a DER OID for messages ("1.2.840.10045.3.1.7"), or its
// hex when it does not parse.
std::string OidText(absl::string_view der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  ASN1_OBJECT* obj =
      d2i_ASN1_OBJECT(nullptr, &p, static_cast<long>(der.size()));
  if (obj == nullptr) {
    DrainOpensslErrors();
    return absl::StrCat("DER ", HexOf(der));
  }
  char buf[128];
  const int n = OBJ_obj2txt(buf, sizeof(buf), obj, 1);
  const int nid = OBJ_obj2nid(obj);
  ASN1_OBJECT_free(obj);
  if (n <= 0) return absl::StrCat("DER ", HexOf(der));
  std::string text(buf, static_cast<size_t>(n));
  if (nid != NID_undef) absl::StrAppend(&text, " (", OBJ_nid2sn(nid), ")");
  return text;
}

int NoPassword(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*u*/) {
  return -1;  // Never prompt: encrypted keys are not supported.
}

}  // namespace

const char* CurveGroupName(Curve curve) {
  switch (curve) {
    case Curve::kNistP256:
      return SN_X9_62_prime256v1;
    case Curve::kBrainpoolP256r1:
      return SN_brainpoolP256r1;
  }
  return "";
}

absl::string_view CurveOidDer(Curve curve) {
  switch (curve) {
    case Curve::kNistP256:
      return absl::string_view(kP256OidDer, sizeof(kP256OidDer) - 1);
    case Curve::kBrainpoolP256r1:
      return absl::string_view(kBrainpoolP256r1OidDer,
                               sizeof(kBrainpoolP256r1OidDer) - 1);
  }
  return "";
}

absl::StatusOr<Curve> CurveFromOidDer(absl::string_view der) {
  for (Curve curve : {Curve::kNistP256, Curve::kBrainpoolP256r1}) {
    if (der == CurveOidDer(curve)) return curve;
  }
  return absl::FailedPreconditionError(
      absl::StrCat("unsupported EC parameters ", OidText(der),
                   "; supported: NIST P-256 and brainpoolP256r1 by named OID"));
}

absl::StatusOr<Curve> CurveOfKey(const EVP_PKEY* key) {
  if (EVP_PKEY_get_base_id(key) != EVP_PKEY_EC) {
    const char* type = OBJ_nid2sn(EVP_PKEY_get_base_id(key));
    return absl::FailedPreconditionError(
        absl::StrCat("not an EC key (key type ", type ? type : "unknown", ")"));
  }
  char name[80];
  size_t len = 0;
  if (EVP_PKEY_get_group_name(key, name, sizeof(name), &len) != 1) {
    DrainOpensslErrors();
    return absl::FailedPreconditionError(
        "EC key without a named curve (explicit parameters are not "
        "supported)");
  }
  const int nid = OBJ_sn2nid(name);
  if (nid == NID_X9_62_prime256v1) return Curve::kNistP256;
  if (nid == NID_brainpoolP256r1) return Curve::kBrainpoolP256r1;
  return absl::FailedPreconditionError(
      absl::StrCat("unsupported curve ", name,
                   "; supported: NIST P-256 (prime256v1) and brainpoolP256r1"));
}

namespace {

// A public key on `curve` from `point` through EVP_PKEY_fromdata: builds
// the group from its name, about 14 µs for P-256.
absl::StatusOr<EvpPkeyPtr> PublicKeyFromData(Curve curve,
                                             absl::string_view point) {
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
                                       const_cast<char*>(CurveGroupName(curve)),
                                       0),
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
                                        const_cast<char*>(point.data()),
                                        point.size()),
      OSSL_PARAM_construct_end(),
  };
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  if (ctx == nullptr || EVP_PKEY_fromdata_init(ctx.get()) != 1) {
    return OpensslError(absl::StatusCode::kInternal, "EVP_PKEY_fromdata_init");
  }
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params) != 1) {
    return OpensslError(
        absl::StatusCode::kInvalidArgument,
        absl::StrCat("EC public point is not on ", CurveName(curve)));
  }
  return EvpPkeyPtr(raw);
}

// A public-only key on `curve`, made once per curve and never modified:
// PublicKeyFromPoint() duplicates it and replaces the point, which skips
// building the group (3.7 µs instead of 14 µs for P-256).
const EVP_PKEY* PublicKeyTemplate(Curve curve) {
  static const EVP_PKEY* const templates[2] = {
      [] {
        auto key = GenerateEcKey(Curve::kNistP256);
        auto point = key.ok() ? PublicPointOf(key->get())
                              : absl::StatusOr<std::string>(key.status());
        auto pub = point.ok() ? PublicKeyFromData(Curve::kNistP256, *point)
                              : absl::StatusOr<EvpPkeyPtr>(point.status());
        return pub.ok() ? pub->release() : nullptr;
      }(),
      [] {
        auto key = GenerateEcKey(Curve::kBrainpoolP256r1);
        auto point = key.ok() ? PublicPointOf(key->get())
                              : absl::StatusOr<std::string>(key.status());
        auto pub = point.ok()
                       ? PublicKeyFromData(Curve::kBrainpoolP256r1, *point)
                       : absl::StatusOr<EvpPkeyPtr>(point.status());
        return pub.ok() ? pub->release() : nullptr;
      }(),
  };
  return templates[curve == Curve::kNistP256 ? 0 : 1];
}

}  // namespace

absl::StatusOr<EvpPkeyPtr> PublicKeyFromPoint(Curve curve,
                                              absl::string_view point) {
  if (point.size() != kUncompressedPointSize || point[0] != 0x04) {
    return absl::InvalidArgumentError(absl::StrCat(
        "EC public point must be uncompressed 04||X||Y (",
        kUncompressedPointSize, " bytes), got ", point.size(), " bytes"));
  }
  const EVP_PKEY* tmpl = PublicKeyTemplate(curve);
  if (tmpl == nullptr) return PublicKeyFromData(curve, point);
  EvpPkeyPtr key(EVP_PKEY_dup(const_cast<EVP_PKEY*>(tmpl)));
  if (key == nullptr) {
    return OpensslError(absl::StatusCode::kResourceExhausted, "EVP_PKEY_dup");
  }
  // Decodes the point with EC_POINT_oct2point, which rejects a point that
  // is not on the curve (and the 65-byte form cannot encode infinity).
  if (EVP_PKEY_set1_encoded_public_key(
          key.get(), reinterpret_cast<const unsigned char*>(point.data()),
          point.size()) != 1) {
    return OpensslError(
        absl::StatusCode::kInvalidArgument,
        absl::StrCat("EC public point is not on ", CurveName(curve)));
  }
  return key;
}

absl::StatusOr<std::string> PublicPointOf(const EVP_PKEY* key) {
  // Fast path: one point conversion (3 µs), uncompressed unless the key
  // was decoded from a compressed encoding.
  std::string point(kUncompressedPointSize + 1, '\0');
  size_t len = 0;
  if (EVP_PKEY_get_octet_string_param(
          key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
          reinterpret_cast<unsigned char*>(point.data()), point.size(),
          &len) == 1 &&
      len == kUncompressedPointSize && point[0] == 0x04) {
    point.resize(len);
    return point;
  }
  DrainOpensslErrors();
  // Any other form: the affine coordinates.
  BIGNUM* x_raw = nullptr;
  BIGNUM* y_raw = nullptr;
  const int ok_x = EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, &x_raw);
  BignumPtr x(x_raw);
  const int ok_y = EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, &y_raw);
  BignumPtr y(y_raw);
  if (ok_x != 1 || ok_y != 1) {
    return OpensslError(absl::StatusCode::kInvalidArgument,
                        "EC key has no public point");
  }
  point.assign(kUncompressedPointSize, '\0');
  auto* out = reinterpret_cast<unsigned char*>(point.data());
  out[0] = 0x04;
  constexpr int n = static_cast<int>(kCoordinateSize);
  if (BN_bn2binpad(x.get(), out + 1, n) != n ||
      BN_bn2binpad(y.get(), out + 1 + n, n) != n) {
    return absl::InvalidArgumentError("EC public point coordinate too large");
  }
  return point;
}

absl::StatusOr<std::string> PrivateScalarOf(const EVP_PKEY* key) {
  BIGNUM* d_raw = nullptr;
  const int ok = EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PRIV_KEY, &d_raw);
  SecretBignumPtr d(d_raw);
  if (ok != 1) {
    return OpensslError(absl::StatusCode::kInvalidArgument,
                        "EC key has no private scalar");
  }
  std::string scalar(kCoordinateSize, '\0');
  constexpr int n = static_cast<int>(kCoordinateSize);
  if (BN_bn2binpad(d.get(), reinterpret_cast<unsigned char*>(scalar.data()),
                   n) != n) {
    return absl::InvalidArgumentError("EC private scalar too large");
  }
  return scalar;
}

absl::StatusOr<EvpPkeyPtr> ParsePrivateKey(absl::string_view pem_or_der) {
  // OpenSSL 3.0's PEM reader misreads a file that starts with an
  // "EC PARAMETERS" block (all SGP.26 key files) as parameters only when the
  // thread's error queue holds a stale error: start from a clean queue.
  ERR_clear_error();
  if (pem_or_der.find("-----BEGIN") != absl::string_view::npos) {
    BioPtr bio(BIO_new_mem_buf(pem_or_der.data(),
                               static_cast<int>(pem_or_der.size())));
    if (bio == nullptr) {
      return OpensslError(absl::StatusCode::kResourceExhausted, "BIO_new");
    }
    EvpPkeyPtr key(
        PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassword, nullptr));
    if (key == nullptr) {
      return OpensslError(absl::StatusCode::kInvalidArgument,
                          "no unencrypted private key in the PEM data");
    }
    return key;
  }
  const auto* p = reinterpret_cast<const unsigned char*>(pem_or_der.data());
  EvpPkeyPtr key(
      d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(pem_or_der.size())));
  if (key == nullptr) {
    return OpensslError(absl::StatusCode::kInvalidArgument,
                        "private key is neither PEM nor DER PKCS#8 / "
                        "ECPrivateKey");
  }
  return key;
}

absl::StatusOr<EvpPkeyPtr> GenerateEcKey(Curve curve) {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  if (ctx == nullptr || EVP_PKEY_keygen_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_group_name(ctx.get(), CurveGroupName(curve)) != 1) {
    return OpensslError(absl::StatusCode::kInternal, "EC keygen init");
  }
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_keygen(ctx.get(), &raw) != 1) {
    return OpensslError(absl::StatusCode::kInternal, "EVP_PKEY_keygen");
  }
  return EvpPkeyPtr(raw);
}

std::string Sha256(absl::string_view data) {
  std::string digest(32, '\0');
  unsigned int len = 0;
  // Cannot fail with a fetched SHA-256 and a valid output buffer.
  EVP_Digest(data.data(), data.size(),
             reinterpret_cast<unsigned char*>(digest.data()), &len, Sha256Md(),
             nullptr);
  return digest;
}

absl::StatusOr<EvpPkeyCtxPtr> NewSignContext(const EVP_PKEY* key) {
  EvpPkeyCtxPtr ctx(
      EVP_PKEY_CTX_new_from_pkey(nullptr, const_cast<EVP_PKEY*>(key), nullptr));
  if (ctx == nullptr || EVP_PKEY_sign_init(ctx.get()) != 1) {
    return OpensslError(absl::StatusCode::kInternal, "EVP_PKEY_sign_init");
  }
  return ctx;
}

absl::StatusOr<std::string> EcdsaSignSha256(const EVP_PKEY_CTX* prototype,
                                            absl::string_view message) {
  return EcdsaSignDigest(prototype, Sha256(message));
}

absl::StatusOr<std::string> EcdsaSignDigest(const EVP_PKEY_CTX* prototype,
                                            absl::string_view digest) {
  if (digest.size() != kSha256DigestSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("a SHA-256 digest is ", kSha256DigestSize, " bytes, got ",
                     digest.size()));
  }
  // A copy of the prepared context: no algorithm fetch (and none of its
  // locks) per signature. EVP_PKEY_CTX_dup only reads the prototype.
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_dup(const_cast<EVP_PKEY_CTX*>(prototype)));
  if (ctx == nullptr) {
    return OpensslError(absl::StatusCode::kInternal, "EVP_PKEY_CTX_dup");
  }
  unsigned char der[80];
  size_t der_len = sizeof(der);
  if (EVP_PKEY_sign(ctx.get(), der, &der_len,
                    reinterpret_cast<const unsigned char*>(digest.data()),
                    digest.size()) != 1) {
    return OpensslError(absl::StatusCode::kInternal, "EVP_PKEY_sign");
  }
  return DerToPlainSignature(
      absl::string_view(reinterpret_cast<const char*>(der), der_len),
      kCoordinateSize);
}

bool EcdsaVerifySha256(const EVP_PKEY* key, absl::string_view message,
                       absl::string_view rs) {
  auto der = PlainToDerSignature(rs);
  if (!der.ok()) return false;
  const std::string digest = Sha256(message);
  EvpPkeyCtxPtr ctx(
      EVP_PKEY_CTX_new_from_pkey(nullptr, const_cast<EVP_PKEY*>(key), nullptr));
  const bool ok =
      ctx != nullptr && EVP_PKEY_verify_init(ctx.get()) == 1 &&
      EVP_PKEY_verify(
          ctx.get(), reinterpret_cast<const unsigned char*>(der->data()),
          der->size(), reinterpret_cast<const unsigned char*>(digest.data()),
          digest.size()) == 1;
  if (!ok) DrainOpensslErrors();
  return ok;
}

absl::StatusOr<std::string> EcdhSharedX(const EVP_PKEY* key,
                                        const EVP_PKEY* peer) {
  EvpPkeyCtxPtr ctx(
      EVP_PKEY_CTX_new_from_pkey(nullptr, const_cast<EVP_PKEY*>(key), nullptr));
  if (ctx == nullptr || EVP_PKEY_derive_init(ctx.get()) != 1) {
    return OpensslError(absl::StatusCode::kInternal, "EVP_PKEY_derive_init");
  }
  // validate_peer = 0: PublicKeyFromPoint() already checked the point, and
  // a full public-key check here would double the cost of the derive.
  if (EVP_PKEY_derive_set_peer_ex(ctx.get(), const_cast<EVP_PKEY*>(peer), 0) !=
      1) {
    return OpensslError(absl::StatusCode::kInvalidArgument,
                        "ECDH peer key does not match the key's curve");
  }
  std::string secret(kCoordinateSize, '\0');
  size_t len = secret.size();
  if (EVP_PKEY_derive(ctx.get(),
                      reinterpret_cast<unsigned char*>(secret.data()),
                      &len) != 1 ||
      len != kCoordinateSize) {
    OPENSSL_cleanse(secret.data(), secret.size());
    return OpensslError(absl::StatusCode::kInternal, "EVP_PKEY_derive");
  }
  return secret;
}

std::string WrapEcPoint(absl::string_view point) {
  std::string der;
  der.reserve(point.size() + 3);
  der.push_back(0x04);
  if (point.size() >= 0x80) {
    der.push_back(static_cast<char>(0x81));
  }
  der.push_back(static_cast<char>(point.size()));
  der.append(point.data(), point.size());
  return der;
}

absl::StatusOr<std::string> UnwrapEcPoint(absl::string_view value) {
  if (value.size() == kUncompressedPointSize + 2 && value[0] == 0x04 &&
      static_cast<unsigned char>(value[1]) == kUncompressedPointSize &&
      value[2] == 0x04) {
    return std::string(value.substr(2));
  }
  if (value.size() == kUncompressedPointSize && value[0] == 0x04) {
    return std::string(value);
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "CKA_EC_POINT is neither a DER OCTET STRING holding an uncompressed "
      "point nor a raw uncompressed point (",
      value.size(), " bytes)"));
}

std::string HexOf(absl::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * bytes.size());
  for (unsigned char c : bytes) {
    hex.push_back(kDigits[c >> 4]);
    hex.push_back(kDigits[c & 0xf]);
  }
  return hex;
}

}  // namespace smdp::hsm::internal
