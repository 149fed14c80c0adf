// An OpenSSL EVP_PKEY whose private-key operations run in a SigningKey, for
// libraries that want an EVP_PKEY (OpenSSL's TLS stack: SSL_CTX_use_PrivateKey)
// while the key stays inside the CryptoProvider.
//
//   ASSIGN_OR_RETURN(auto dptls, hsm->LoadSigningKey("dptls-nist"));
//   ASSIGN_OR_RETURN(EvpPkeyPtr pkey,
//                    MakeOpenSslSigningKey(std::move(dptls)));
//   SSL_CTX_use_PrivateKey(ctx, pkey.get());
//
// The EVP_PKEY holds the public key (so SSL_CTX_check_private_key and
// X509_check_private_key compare it with a certificate) and no private
// scalar. ECDSA signing with it (EVP_DigestSign, EVP_PKEY_sign, ECDSA_sign)
// hands the digest to SigningKey::SignDigest(), so only SHA-256 digests can be
// signed: any other digest length fails the signing call with an OpenSSL
// error. Over TLS on P-256 that is the ecdsa_secp256r1_sha256 scheme, the one
// TLS 1.3 requires for P-256 and the one OpenSSL prefers in TLS 1.2. ECDH,
// decryption and key export do not work (there is no private scalar).
//
// Implementation: a legacy EC_KEY with its own EC_KEY_METHOD (OpenSSL 3.0 has
// no simpler way to route signing to application code without writing a
// provider); OpenSSL treats such a key as "foreign" and signs through the
// legacy EC method, which calls back here.
//
// Thread-safety: the EVP_PKEY may be used from many threads at once, as
// OpenSSL allows for any key; every signature is a SignDigest() call, which
// is thread-safe. Ownership: the EVP_PKEY shares ownership of `key`; the
// SigningKey lives until the last reference to the EVP_PKEY (EVP_PKEY_free,
// and every SSL_CTX/SSL using it) is gone.
#ifndef SMDP_HSM_OPENSSL_KEY_H_
#define SMDP_HSM_OPENSSL_KEY_H_

#include <memory>

#include "absl/status/statusor.h"
#include "hsm/crypto_provider.h"
#include "util/ssl_ptr.h"

namespace smdp::hsm {

// An EVP_PKEY (EC, on key->curve(), public point key->public_point()) that
// signs with `key`. InvalidArgument for a null `key`; Internal when OpenSSL
// cannot build the key.
[[nodiscard]] absl::StatusOr<EvpPkeyPtr> MakeOpenSslSigningKey(
    std::shared_ptr<const SigningKey> key);

}  // namespace smdp::hsm

#endif  // SMDP_HSM_OPENSSL_KEY_H_
