#include "smdp/grpc/peer_identity.h"

#include <grpc/grpc_security_constants.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "util/ssl_ptr.h"

namespace smdp {

absl::StatusOr<PeerCertificate> GetPeerCertificate(
    const grpc::ServerContext& context) {
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (auth == nullptr) {
    return absl::UnauthenticatedError("the call carries no client certificate");
  }
  return GetPeerCertificate(*auth);
}

absl::StatusOr<PeerCertificate> GetPeerCertificate(
    const grpc::AuthContext& auth_context) {
  std::vector<grpc::string_ref> pems =
      auth_context.FindPropertyValues(GRPC_X509_PEM_CERT_PROPERTY_NAME);
  if (pems.empty()) {
    return absl::UnauthenticatedError("the call carries no client certificate");
  }
  BioPtr bio(BIO_new_mem_buf(pems.front().data(),
                             static_cast<int>(pems.front().size())));
  X509Ptr cert(bio == nullptr
                   ? nullptr
                   : PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  ERR_clear_error();
  if (cert == nullptr) {
    return absl::UnauthenticatedError("the client certificate does not parse");
  }
  PeerCertificate peer;
  unsigned char* der = nullptr;
  int der_len = i2d_X509(cert.get(), &der);
  if (der_len <= 0) {
    return absl::UnauthenticatedError("the client certificate does not parse");
  }
  peer.der.assign(reinterpret_cast<const char*>(der), der_len);
  OPENSSL_free(der);

  // Exactly one CN: with several, which one names the caller is a guess.
  const X509_NAME* subject = X509_get_subject_name(cert.get());
  int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (index < 0 ||
      X509_NAME_get_index_by_NID(subject, NID_commonName, index) >= 0) {
    return absl::UnauthenticatedError(
        "the client certificate's subject does not have exactly one CN");
  }
  unsigned char* utf8 = nullptr;
  int utf8_len = ASN1_STRING_to_UTF8(
      &utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index)));
  if (utf8_len < 0) {
    ERR_clear_error();
    return absl::UnauthenticatedError(
        "the client certificate's CN is not a string");
  }
  peer.common_name.assign(reinterpret_cast<const char*>(utf8), utf8_len);
  OPENSSL_free(utf8);
  return peer;
}

}  // namespace smdp
