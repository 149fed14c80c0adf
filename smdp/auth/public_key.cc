#include "smdp/auth/public_key.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/params.h>

#include <cstddef>
#include <cstdint>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "smdp/common/gsma_status.h"
#include "util/ssl_ptr.h"
#include "util/status_macros.h"

namespace smdp::auth {
namespace {

// The SHA-256 implementation, fetched once: EVP_sha256() fetches implicitly
// on every use, which takes a global lock in OpenSSL 3.0.
const EVP_MD* Sha256Md() {
  static const EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

const char* GroupName(hsm::Curve curve) {
  return curve == hsm::Curve::kNistP256 ? SN_X9_62_prime256v1
                                        : SN_brainpoolP256r1;
}

// A public key on `curve` built from scratch with EVP_PKEY_fromdata, which
// constructs the group (≈14 µs on P-256).
absl::StatusOr<EvpPkeyPtr> KeyFromData(hsm::Curve curve,
                                       absl::string_view point) {
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
                                       const_cast<char*>(GroupName(curve)), 0),
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
        absl::StrCat("EC public point is not on ", hsm::CurveName(curve)));
  }
  return EvpPkeyPtr(raw);
}

// The uncompressed point of `key`.
absl::StatusOr<std::string> PointOf(const EVP_PKEY* key) {
  std::string point(hsm::kUncompressedPointSize + 1, '\0');
  size_t len = 0;
  if (EVP_PKEY_get_octet_string_param(
          key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
          reinterpret_cast<unsigned char*>(point.data()), point.size(),
          &len) != 1 ||
      len != hsm::kUncompressedPointSize) {
    return OpensslError(absl::StatusCode::kInternal, "reading an EC point");
  }
  point.resize(len);
  return point;
}

// A public-only key on `curve` with a random point, or null on failure.
EVP_PKEY* MakeTemplate(hsm::Curve curve) {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* raw = nullptr;
  if (ctx == nullptr || EVP_PKEY_keygen_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_group_name(ctx.get(), GroupName(curve)) != 1 ||
      EVP_PKEY_keygen(ctx.get(), &raw) != 1) {
    DrainOpensslErrors();
    return nullptr;
  }
  EvpPkeyPtr pair(raw);
  absl::StatusOr<std::string> point = PointOf(pair.get());
  if (!point.ok()) return nullptr;
  absl::StatusOr<EvpPkeyPtr> pub = KeyFromData(curve, *point);
  return pub.ok() ? pub->release() : nullptr;
}

// A public-only key per curve, made once and never modified. Importing a
// point duplicates it and sets the point (≈4 µs on P-256) instead of
// building the group again (EVP_PKEY_fromdata, ≈14 µs).
const EVP_PKEY* KeyTemplate(hsm::Curve curve) {
  static const EVP_PKEY* const templates[2] = {
      MakeTemplate(hsm::Curve::kNistP256),
      MakeTemplate(hsm::Curve::kBrainpoolP256r1),
  };
  return templates[curve == hsm::Curve::kNistP256 ? 0 : 1];
}

}  // namespace

struct PublicKey::Impl {
  hsm::Curve curve;
  std::string point;
  EvpPkeyPtr key;
  // EVP_PKEY_verify_init() done once; copied per verification, never used
  // directly, so it is only ever read.
  EvpPkeyCtxPtr verify_prototype;
};

absl::StatusOr<PublicKey> PublicKey::FromPoint(hsm::Curve curve,
                                               absl::string_view point) {
  if (point.size() != hsm::kUncompressedPointSize || point[0] != 0x04) {
    return absl::InvalidArgumentError(absl::StrCat(
        "EC public point must be uncompressed 04||X||Y (",
        hsm::kUncompressedPointSize, " bytes), got ", point.size(), " bytes"));
  }
  EvpPkeyPtr key;
  if (const EVP_PKEY* tmpl = KeyTemplate(curve); tmpl != nullptr) {
    key.reset(EVP_PKEY_dup(const_cast<EVP_PKEY*>(tmpl)));
    if (key == nullptr) {
      return OpensslError(absl::StatusCode::kResourceExhausted, "EVP_PKEY_dup");
    }
    // EC_POINT_oct2point underneath: refuses a point that is not on the
    // curve; the 65-byte form cannot encode the point at infinity, and both
    // curves have cofactor 1, so this is full public-key validation.
    if (EVP_PKEY_set1_encoded_public_key(
            key.get(), reinterpret_cast<const unsigned char*>(point.data()),
            point.size()) != 1) {
      return OpensslError(
          absl::StatusCode::kInvalidArgument,
          absl::StrCat("EC public point is not on ", hsm::CurveName(curve)));
    }
  } else {
    ASSIGN_OR_RETURN(key, KeyFromData(curve, point));
  }
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (ctx == nullptr || EVP_PKEY_verify_init(ctx.get()) != 1) {
    return OpensslError(absl::StatusCode::kInternal, "EVP_PKEY_verify_init");
  }
  auto impl = std::make_shared<Impl>();
  impl->curve = curve;
  impl->point = std::string(point);
  impl->key = std::move(key);
  impl->verify_prototype = std::move(ctx);
  return PublicKey(std::move(impl));
}

hsm::Curve PublicKey::curve() const { return impl_->curve; }

const std::string& PublicKey::point() const { return impl_->point; }

bool PublicKey::IsValidDerSignature(absl::string_view message,
                                    absl::string_view der) const {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  if (EVP_Digest(message.data(), message.size(), digest, &digest_len,
                 Sha256Md(), nullptr) != 1) {
    DrainOpensslErrors();
    return false;
  }
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_dup(
      const_cast<EVP_PKEY_CTX*>(impl_->verify_prototype.get())));
  const bool ok =
      ctx != nullptr &&
      EVP_PKEY_verify(ctx.get(),
                      reinterpret_cast<const unsigned char*>(der.data()),
                      der.size(), digest, digest_len) == 1;
  // A failed verification leaves entries on the thread's error queue.
  if (!ok) DrainOpensslErrors();
  return ok;
}

bool PublicKey::IsValidPlainSignature(absl::string_view message,
                                      absl::string_view rs) const {
  if (rs.size() != hsm::kPlainSignatureSize) return false;
  absl::StatusOr<std::string> der = PlainSignatureToDer(rs);
  return der.ok() && IsValidDerSignature(message, *der);
}

absl::Status PublicKey::VerifyPlain(absl::string_view message,
                                    absl::string_view rs) const {
  if (rs.size() != hsm::kPlainSignatureSize) {
    return GsmaErrorStatus(
        GsmaError::kEuiccSignatureInvalid,
        absl::StrCat("signature must be r||s of ", hsm::kPlainSignatureSize,
                     " bytes, got ", rs.size()));
  }
  if (!IsValidPlainSignature(message, rs)) {
    return GsmaErrorStatus(GsmaError::kEuiccSignatureInvalid,
                           "ECDSA signature does not verify");
  }
  return absl::OkStatus();
}

absl::Status VerifyPlainSignature(hsm::Curve curve,
                                  absl::string_view public_point,
                                  absl::string_view message,
                                  absl::string_view rs_signature) {
  absl::StatusOr<PublicKey> key = PublicKey::FromPoint(curve, public_point);
  if (!key.ok()) {
    return GsmaErrorStatus(GsmaError::kEuiccSignatureInvalid,
                           key.status().message());
  }
  return key->VerifyPlain(message, rs_signature);
}

namespace {

// Appends INTEGER `magnitude` (big-endian, unsigned) in minimal DER.
void AppendUnsignedInteger(absl::string_view magnitude, std::string* out) {
  size_t start = 0;
  while (start + 1 < magnitude.size() && magnitude[start] == 0) ++start;
  magnitude.remove_prefix(start);
  const bool pad = (static_cast<uint8_t>(magnitude[0]) & 0x80) != 0;
  out->push_back(0x02);
  out->push_back(static_cast<char>(magnitude.size() + (pad ? 1 : 0)));
  if (pad) out->push_back(0x00);
  out->append(magnitude.data(), magnitude.size());
}

}  // namespace

absl::StatusOr<std::string> PlainSignatureToDer(absl::string_view rs) {
  // Each half below 67 bytes keeps every length in the short form.
  if (rs.empty() || rs.size() % 2 != 0 || rs.size() > 132) {
    return absl::InvalidArgumentError(
        absl::StrCat("plain ECDSA signature must be r||s of two equal halves "
                     "of at most 66 bytes, got ",
                     rs.size(), " bytes"));
  }
  const size_t half = rs.size() / 2;
  std::string body;
  body.reserve(rs.size() + 6);
  AppendUnsignedInteger(rs.substr(0, half), &body);
  AppendUnsignedInteger(rs.substr(half), &body);
  std::string der;
  der.reserve(body.size() + 3);
  der.push_back(0x30);
  if (body.size() >= 0x80) der.push_back(static_cast<char>(0x81));
  der.push_back(static_cast<char>(body.size()));
  der.append(body);
  return der;
}

}  // namespace smdp::auth
