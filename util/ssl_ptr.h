// Owning smart pointers for OpenSSL handles, from one table of deleters.
//
//   smdp::EvpPkeyPtr key(EVP_PKEY_new());
//   smdp::X509Ptr cert(d2i_X509(nullptr, &p, len));
//
// Every OpenSSL object the project allocates is held by one of these from the
// moment it is created, so no error path leaks it.
#ifndef SMDP_UTIL_SSL_PTR_H_
#define SMDP_UTIL_SSL_PTR_H_

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace smdp {

template <typename T, void (*Free)(T*)>
struct SslDeleter {
  void operator()(T* p) const { Free(p); }
};

template <typename T, void (*Free)(T*)>
using SslPtr = std::unique_ptr<T, SslDeleter<T, Free>>;

using BioPtr = SslPtr<BIO, BIO_free_all>;
using BignumPtr = SslPtr<BIGNUM, BN_free>;
using BnCtxPtr = SslPtr<BN_CTX, BN_CTX_free>;
using EcdsaSigPtr = SslPtr<ECDSA_SIG, ECDSA_SIG_free>;
using EcGroupPtr = SslPtr<EC_GROUP, EC_GROUP_free>;
using EcPointPtr = SslPtr<EC_POINT, EC_POINT_free>;
using EvpCipherCtxPtr = SslPtr<EVP_CIPHER_CTX, EVP_CIPHER_CTX_free>;
using EvpMacCtxPtr = SslPtr<EVP_MAC_CTX, EVP_MAC_CTX_free>;
using EvpMacPtr = SslPtr<EVP_MAC, EVP_MAC_free>;
using EvpMdCtxPtr = SslPtr<EVP_MD_CTX, EVP_MD_CTX_free>;
using EvpPkeyCtxPtr = SslPtr<EVP_PKEY_CTX, EVP_PKEY_CTX_free>;
using EvpPkeyPtr = SslPtr<EVP_PKEY, EVP_PKEY_free>;
using X509ExtensionPtr = SslPtr<X509_EXTENSION, X509_EXTENSION_free>;
using X509NamePtr = SslPtr<X509_NAME, X509_NAME_free>;
using X509Ptr = SslPtr<X509, X509_free>;
using X509ReqPtr = SslPtr<X509_REQ, X509_REQ_free>;

// Drains OpenSSL's thread-local error queue into one readable string
// ("error:...:reason (detail); error:..."), or "no OpenSSL error" when it is
// empty.
std::string DrainOpensslErrors();

// An error status of `code` whose message is `what` followed by the drained
// OpenSSL error queue.
absl::Status OpensslError(absl::StatusCode code, absl::string_view what);

}  // namespace smdp

#endif  // SMDP_UTIL_SSL_PTR_H_
