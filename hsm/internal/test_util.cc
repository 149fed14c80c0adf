#include "hsm/internal/test_util.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <fstream>
#include <sstream>

namespace smdp::hsm::testing {
namespace {

std::string Unhex(absl::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(
        std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

bool VerifyDer(EVP_PKEY* key, absl::string_view message,
               absl::string_view der) {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) !=
      1) {
    return false;
  }
  return EVP_DigestVerify(
             ctx.get(), reinterpret_cast<const unsigned char*>(der.data()),
             der.size(), reinterpret_cast<const unsigned char*>(message.data()),
             message.size()) == 1;
}

std::string PointOf(EVP_PKEY* key) {
  unsigned char buf[128];
  size_t len = 0;
  if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
                                      buf, sizeof(buf), &len) != 1) {
    return "";
  }
  return std::string(reinterpret_cast<char*>(buf), len);
}

}  // namespace

EvpPkeyPtr PublicKeyViaSpki(Curve curve, absl::string_view point) {
  const std::string prefix =
      curve == Curve::kNistP256
          ? Unhex("3059301306072a8648ce3d020106082a8648ce3d030107034200")
          : Unhex("305a301406072a8648ce3d020106092b2403030208010107034200");
  std::string spki = prefix;
  spki.append(point.data(), point.size());
  const auto* p = reinterpret_cast<const unsigned char*>(spki.data());
  return EvpPkeyPtr(d2i_PUBKEY(nullptr, &p, static_cast<long>(spki.size())));
}

bool VerifyPlainSignature(Curve curve, absl::string_view point,
                          absl::string_view message, absl::string_view rs) {
  if (rs.size() != kPlainSignatureSize) return false;
  EvpPkeyPtr key = PublicKeyViaSpki(curve, point);
  if (key == nullptr) return false;
  const auto* b = reinterpret_cast<const unsigned char*>(rs.data());
  EcdsaSigPtr sig(ECDSA_SIG_new());
  ECDSA_SIG_set0(sig.get(), BN_bin2bn(b, 32, nullptr),
                 BN_bin2bn(b + 32, 32, nullptr));
  unsigned char* der = nullptr;
  const int len = i2d_ECDSA_SIG(sig.get(), &der);
  if (len <= 0) return false;
  const bool ok = VerifyDer(key.get(), message,
                            absl::string_view(reinterpret_cast<char*>(der),
                                              static_cast<size_t>(len)));
  OPENSSL_free(der);
  return ok;
}

bool VerifyDerSignature(Curve curve, absl::string_view point,
                        absl::string_view message, absl::string_view der) {
  EvpPkeyPtr key = PublicKeyViaSpki(curve, point);
  return key != nullptr && VerifyDer(key.get(), message, der);
}

EvpPkeyPtr NewOpensslKey(Curve curve) {
  return EvpPkeyPtr(
      EVP_EC_gen(curve == Curve::kNistP256 ? "prime256v1" : "brainpoolP256r1"));
}

std::string PointOfOpensslKey(EVP_PKEY* key) { return PointOf(key); }

std::string OpensslEcdh(EVP_PKEY* key, Curve curve, absl::string_view point) {
  EvpPkeyPtr peer = PublicKeyViaSpki(curve, point);
  if (peer == nullptr) return "";
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new(key, nullptr));
  size_t len = 0;
  if (EVP_PKEY_derive_init(ctx.get()) != 1 ||
      EVP_PKEY_derive_set_peer(ctx.get(), peer.get()) != 1 ||
      EVP_PKEY_derive(ctx.get(), nullptr, &len) != 1) {
    return "";
  }
  std::string secret(len, '\0');
  if (EVP_PKEY_derive(ctx.get(),
                      reinterpret_cast<unsigned char*>(secret.data()),
                      &len) != 1) {
    return "";
  }
  secret.resize(len);
  return secret;
}

std::string ReadFileOrDie(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string PointFromPublicKeyPem(const std::string& path) {
  const std::string pem = ReadFileOrDie(path);
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  EvpPkeyPtr key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  return key == nullptr ? "" : PointOf(key.get());
}

std::string PointFromCertificateDer(const std::string& path) {
  const std::string der = ReadFileOrDie(path);
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (cert == nullptr) return "";
  return PointOf(X509_get0_pubkey(cert.get()));
}

}  // namespace smdp::hsm::testing
