#include "hsm/internal/software_keys.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "hsm/internal/ec_util.h"
#include "util/status_macros.h"

namespace smdp::hsm::internal {
namespace {

// AES-256-GCM, fetched once (an implicit fetch per call takes a global lock
// in OpenSSL 3.0).
const EVP_CIPHER* Aes256Gcm() {
  static const EVP_CIPHER* const cipher =
      EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  return cipher;
}

class SoftwareSigningKey final : public SigningKey {
 public:
  SoftwareSigningKey(EvpPkeyPtr key, EvpPkeyCtxPtr sign_prototype, Curve curve,
                     std::string public_point)
      : key_(std::move(key)),
        sign_prototype_(std::move(sign_prototype)),
        curve_(curve),
        public_point_(std::move(public_point)) {}

  Curve curve() const override { return curve_; }
  const std::string& public_point() const override { return public_point_; }

  absl::StatusOr<std::string> Sign(absl::string_view message) const override {
    return EcdsaSignSha256(sign_prototype_.get(), message);
  }

  absl::StatusOr<std::string> SignDigest(
      absl::string_view sha256_digest) const override {
    return EcdsaSignDigest(sign_prototype_.get(), sha256_digest);
  }

 private:
  const EvpPkeyPtr key_;
  // Prepared for signing; only ever copied (see EcdsaSignSha256).
  const EvpPkeyCtxPtr sign_prototype_;
  const Curve curve_;
  const std::string public_point_;
};

class SoftwareAgreementKey final : public AgreementKey {
 public:
  SoftwareAgreementKey(EvpPkeyPtr key, Curve curve, std::string public_point)
      : key_(std::move(key)),
        curve_(curve),
        public_point_(std::move(public_point)) {}

  Curve curve() const override { return curve_; }
  const std::string& public_point() const override { return public_point_; }

  absl::StatusOr<std::string> Derive(
      absl::string_view peer_public_point) const override {
    ASSIGN_OR_RETURN(EvpPkeyPtr peer,
                     ImportPeerPoint(curve_, peer_public_point));
    return EcdhSharedX(key_.get(), peer.get());
  }

 private:
  const EvpPkeyPtr key_;
  const Curve curve_;
  const std::string public_point_;
};

class SoftwareSecretKey final : public SecretKey {
 public:
  explicit SoftwareSecretKey(absl::string_view key) {
    std::copy(key.begin(), key.end(), key_);
  }
  ~SoftwareSecretKey() override { OPENSSL_cleanse(key_, sizeof(key_)); }

  absl::StatusOr<std::string> Seal(
      absl::string_view plaintext,
      absl::string_view associated_data) const override {
    std::string out(kGcmNonceSize + plaintext.size() + kGcmTagSize, '\0');
    auto* nonce = reinterpret_cast<unsigned char*>(out.data());
    if (RAND_bytes(nonce, kGcmNonceSize) != 1) {
      return OpensslError(absl::StatusCode::kUnavailable, "RAND_bytes");
    }
    EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
    int len = 0;
    unsigned char* ct = nonce + kGcmNonceSize;
    if (ctx == nullptr ||
        EVP_EncryptInit_ex2(ctx.get(), Aes256Gcm(), key_, nonce, nullptr) !=
            1 ||
        (!associated_data.empty() &&
         EVP_EncryptUpdate(
             ctx.get(), nullptr, &len,
             reinterpret_cast<const unsigned char*>(associated_data.data()),
             static_cast<int>(associated_data.size())) != 1) ||
        EVP_EncryptUpdate(
            ctx.get(), ct, &len,
            reinterpret_cast<const unsigned char*>(plaintext.data()),
            static_cast<int>(plaintext.size())) != 1 ||
        EVP_EncryptFinal_ex(ctx.get(), ct + len, &len) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_GET_TAG, kGcmTagSize,
                            ct + plaintext.size()) != 1) {
      return OpensslError(absl::StatusCode::kInternal, "AES-256-GCM encrypt");
    }
    return out;
  }

  absl::StatusOr<std::string> Open(
      absl::string_view sealed,
      absl::string_view associated_data) const override {
    if (sealed.size() < kGcmNonceSize + kGcmTagSize) {
      return absl::DataLossError(absl::StrCat(
          "sealed data too short (", sealed.size(), " bytes, minimum ",
          kGcmNonceSize + kGcmTagSize, "): authentication failed"));
    }
    const auto* nonce = reinterpret_cast<const unsigned char*>(sealed.data());
    const size_t ct_len = sealed.size() - kGcmNonceSize - kGcmTagSize;
    const unsigned char* ct = nonce + kGcmNonceSize;
    std::string plaintext(ct_len, '\0');
    auto* pt = reinterpret_cast<unsigned char*>(plaintext.data());
    EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
    int len = 0;
    if (ctx == nullptr ||
        EVP_DecryptInit_ex2(ctx.get(), Aes256Gcm(), key_, nonce, nullptr) !=
            1 ||
        (!associated_data.empty() &&
         EVP_DecryptUpdate(
             ctx.get(), nullptr, &len,
             reinterpret_cast<const unsigned char*>(associated_data.data()),
             static_cast<int>(associated_data.size())) != 1) ||
        EVP_DecryptUpdate(ctx.get(), pt, &len, ct, static_cast<int>(ct_len)) !=
            1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_TAG, kGcmTagSize,
                            const_cast<unsigned char*>(ct + ct_len)) != 1) {
      return OpensslError(absl::StatusCode::kInternal, "AES-256-GCM decrypt");
    }
    if (EVP_DecryptFinal_ex(ctx.get(), pt + len, &len) != 1) {
      DrainOpensslErrors();
      OPENSSL_cleanse(plaintext.data(), plaintext.size());
      return absl::DataLossError(
          "AES-256-GCM authentication failed (wrong key, tampered data or "
          "other associated data)");
    }
    return plaintext;
  }

 private:
  unsigned char key_[kAesKeySize];
};

}  // namespace

absl::StatusOr<EvpPkeyPtr> ImportPeerPoint(
    Curve curve, absl::string_view peer_public_point) {
  auto peer = PublicKeyFromPoint(curve, peer_public_point);
  if (!peer.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid ECDH peer public key: ", peer.status().message()));
  }
  return peer;
}

absl::StatusOr<std::unique_ptr<SigningKey>> MakeSoftwareSigningKey(
    EvpPkeyPtr key) {
  ASSIGN_OR_RETURN(Curve curve, CurveOfKey(key.get()));
  ASSIGN_OR_RETURN(std::string point, PublicPointOf(key.get()));
  ASSIGN_OR_RETURN(EvpPkeyCtxPtr prototype, NewSignContext(key.get()));
  return std::make_unique<SoftwareSigningKey>(
      std::move(key), std::move(prototype), curve, std::move(point));
}

absl::StatusOr<std::unique_ptr<AgreementKey>> GenerateSoftwareAgreementKey(
    Curve curve) {
  ASSIGN_OR_RETURN(EvpPkeyPtr key, GenerateEcKey(curve));
  ASSIGN_OR_RETURN(std::string point, PublicPointOf(key.get()));
  return std::make_unique<SoftwareAgreementKey>(std::move(key), curve,
                                                std::move(point));
}

absl::StatusOr<std::unique_ptr<SecretKey>> MakeSoftwareSecretKey(
    absl::string_view key_bytes) {
  if (key_bytes.size() != kAesKeySize) {
    return absl::InvalidArgumentError(absl::StrCat(
        "AES-256 key must be ", kAesKeySize, " bytes, got ", key_bytes.size()));
  }
  return std::make_unique<SoftwareSecretKey>(key_bytes);
}

}  // namespace smdp::hsm::internal
