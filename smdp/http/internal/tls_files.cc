#include "smdp/http/internal/tls_files.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "util/file_util.h"
#include "util/status_macros.h"

namespace smdp::http::internal {

absl::StatusOr<std::vector<X509Ptr>> LoadCertificates(const std::string& path) {
  ASSIGN_OR_RETURN(std::string data, ReadFile(path));
  std::vector<X509Ptr> certs;
  if (absl::StrContains(data, "-----BEGIN")) {
    BioPtr bio(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
    if (bio == nullptr) return OpensslError(absl::StatusCode::kInternal, "BIO");
    while (true) {
      X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
      if (cert == nullptr) break;
      certs.push_back(std::move(cert));
    }
  } else {
    const auto* begin = reinterpret_cast<const unsigned char*>(data.data());
    const unsigned char* p = begin;
    X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(data.size())));
    if (cert != nullptr && p == begin + data.size()) {
      certs.push_back(std::move(cert));
    }
  }
  ERR_clear_error();  // The PEM loop ends on "no start line".
  if (certs.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("no certificate (PEM or DER) in ", path));
  }
  return certs;
}

absl::StatusOr<EvpPkeyPtr> LoadPrivateKeyPem(const std::string& path) {
  ASSIGN_OR_RETURN(std::string pem, ReadFile(path));
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  EvpPkeyPtr key(bio == nullptr ? nullptr
                                : PEM_read_bio_PrivateKey(bio.get(), nullptr,
                                                          nullptr, nullptr));
  if (key == nullptr) {
    return OpensslError(absl::StatusCode::kInvalidArgument,
                        absl::StrCat("no PEM private key in ", path));
  }
  return key;
}

std::string ClientGroupsForTrustAnchors(const std::vector<X509Ptr>& anchors) {
  size_t brainpool = 0;
  for (const X509Ptr& anchor : anchors) {
    char group[64] = {0};
    size_t len = 0;
    EVP_PKEY* key = X509_get0_pubkey(anchor.get());
    if (key != nullptr &&
        EVP_PKEY_get_utf8_string_param(key, "group", group, sizeof(group),
                                       &len) &&
        absl::string_view(group, len) == "brainpoolP256r1") {
      ++brainpool;
    }
  }
  ERR_clear_error();
  if (brainpool == 0) return "";
  return brainpool == anchors.size() ? "brainpoolP256r1:X25519:P-256:P-384"
                                     : "X25519:P-256:P-384:brainpoolP256r1";
}

}  // namespace smdp::http::internal
