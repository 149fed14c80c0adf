#include "smdp/server/identity.h"

#include <openssl/pem.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "util/file_util.h"
#include "util/ssl_ptr.h"
#include "util/status_macros.h"

namespace smdp {
namespace {

absl::StatusOr<X509Ptr> ParseCertificate(absl::string_view data) {
  X509Ptr cert;
  if (absl::StrContains(data, "-----BEGIN CERTIFICATE-----")) {
    BioPtr bio(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
    cert.reset(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  } else {
    const unsigned char* p =
        reinterpret_cast<const unsigned char*>(data.data());
    cert.reset(d2i_X509(nullptr, &p, static_cast<long>(data.size())));
    if (cert != nullptr &&
        p !=
            reinterpret_cast<const unsigned char*>(data.data()) + data.size()) {
      return absl::InvalidArgumentError("trailing bytes after certificate");
    }
  }
  if (cert == nullptr) {
    return OpensslError(absl::StatusCode::kInvalidArgument,
                        "not a PEM or DER certificate");
  }
  return cert;
}

struct LoadedCert {
  std::string der;
  hsm::Curve curve;
  std::string point;
};

absl::StatusOr<LoadedCert> LoadCert(const std::string& path) {
  ASSIGN_OR_RETURN(std::string data, ReadFile(path, 64 << 10));
  auto der = CertificateToDer(data);
  if (!der.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", der.status().message()));
  }
  auto key = CertificatePublicKey(*der);
  if (!key.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", key.status().message()));
  }
  return LoadedCert{*std::move(der), key->first, std::move(key->second)};
}

absl::StatusOr<std::shared_ptr<const hsm::SigningKey>> LoadMatchingKey(
    const std::string& identity, const std::string& key_ref,
    const std::string& cert_path, const LoadedCert& cert,
    hsm::CryptoProvider& provider) {
  auto key = provider.LoadSigningKey(key_ref);
  if (!key.ok()) {
    return absl::Status(
        key.status().code(),
        absl::StrCat("identity ", identity, ": ", key.status().message()));
  }
  if ((*key)->curve() != cert.curve || (*key)->public_point() != cert.point) {
    return absl::FailedPreconditionError(
        absl::StrCat("identity ", identity, ": key '", key_ref,
                     "' is not the private key of ", cert_path));
  }
  return std::shared_ptr<const hsm::SigningKey>(*std::move(key));
}

}  // namespace

config::Identity DevPkiIdentityConfig(absl::string_view name,
                                      const pki::DevPkiCurve& curve) {
  config::Identity id;
  id.set_name(std::string(name));
  id.set_ci_cert_file(curve.ci.der);
  id.set_dpauth_cert_file(curve.dpauth.der);
  id.set_dppb_cert_file(curve.dppb.der);
  id.set_dptls_cert_file(curve.dptls.der);
  id.set_dpauth_key(curve.dpauth_key);
  id.set_dppb_key(curve.dppb_key);
  id.set_dptls_key(curve.dptls_key);
  return id;
}

absl::StatusOr<std::string> CertificateToDer(absl::string_view data) {
  ASSIGN_OR_RETURN(X509Ptr cert, ParseCertificate(data));
  unsigned char* out = nullptr;
  int len = i2d_X509(cert.get(), &out);
  if (len <= 0) {
    return OpensslError(absl::StatusCode::kInvalidArgument,
                        "cannot encode certificate");
  }
  std::string der(reinterpret_cast<char*>(out), len);
  OPENSSL_free(out);
  return der;
}

absl::StatusOr<std::pair<hsm::Curve, std::string>> CertificatePublicKey(
    absl::string_view data) {
  ASSIGN_OR_RETURN(X509Ptr cert, ParseCertificate(data));
  EVP_PKEY* key = X509_get0_pubkey(cert.get());
  if (key == nullptr || EVP_PKEY_base_id(key) != EVP_PKEY_EC) {
    return absl::InvalidArgumentError("certificate key is not an EC key");
  }
  char group[64] = {0};
  size_t group_len = 0;
  if (!EVP_PKEY_get_utf8_string_param(key, "group", group, sizeof(group),
                                      &group_len)) {
    return absl::InvalidArgumentError("certificate key has no named curve");
  }
  hsm::Curve curve;
  absl::string_view name(group, group_len);
  if (name == "prime256v1" || name == "P-256") {
    curve = hsm::Curve::kNistP256;
  } else if (name == "brainpoolP256r1") {
    curve = hsm::Curve::kBrainpoolP256r1;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("certificate key is on unsupported curve ", name));
  }
  unsigned char point[hsm::kUncompressedPointSize];
  size_t point_len = 0;
  if (!EVP_PKEY_get_octet_string_param(key, "encoded-pub-key", point,
                                       sizeof(point), &point_len) ||
      point_len != sizeof(point)) {
    return absl::InvalidArgumentError("certificate key point is unreadable");
  }
  return std::make_pair(curve,
                        std::string(reinterpret_cast<char*>(point), point_len));
}

absl::StatusOr<SmdpIdentity> LoadIdentity(const config::Identity& config,
                                          hsm::CryptoProvider& provider) {
  SmdpIdentity identity;
  identity.name = config.name();
  ASSIGN_OR_RETURN(LoadedCert ci, LoadCert(config.ci_cert_file()));
  ASSIGN_OR_RETURN(LoadedCert dpauth, LoadCert(config.dpauth_cert_file()));
  ASSIGN_OR_RETURN(LoadedCert dppb, LoadCert(config.dppb_cert_file()));
  identity.curve = dpauth.curve;
  identity.ci_cert = std::move(ci.der);
  ASSIGN_OR_RETURN(
      identity.dpauth_key,
      LoadMatchingKey(config.name(), config.dpauth_key(),
                      config.dpauth_cert_file(), dpauth, provider));
  ASSIGN_OR_RETURN(identity.dppb_key,
                   LoadMatchingKey(config.name(), config.dppb_key(),
                                   config.dppb_cert_file(), dppb, provider));
  identity.dpauth_cert = std::move(dpauth.der);
  identity.dppb_cert = std::move(dppb.der);
  if (!config.dptls_cert_file().empty()) {
    ASSIGN_OR_RETURN(LoadedCert dptls, LoadCert(config.dptls_cert_file()));
    if (!config.dptls_key().empty()) {
      ASSIGN_OR_RETURN(
          identity.dptls_key,
          LoadMatchingKey(config.name(), config.dptls_key(),
                          config.dptls_cert_file(), dptls, provider));
    }
    identity.dptls_cert = std::move(dptls.der);
  }
  return identity;
}

}  // namespace smdp
