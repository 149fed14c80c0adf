#include "hsm/openssl_key.h"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "hsm/internal/ec_util.h"

// This file uses OpenSSL's legacy EC_KEY / EC_KEY_METHOD API, deprecated in
// OpenSSL 3.0: the replacement is an OpenSSL provider (a loadable module with
// its own key management and signature dispatch tables), far larger and
// harder to get right than the one callback needed here. The legacy API is
// fully supported throughout 3.x; OpenSSL routes "foreign" EC keys (those
// with a non-default method) through it. The warnings are silenced for this
// file only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

namespace smdp::hsm {
namespace {

using KeyRef = std::shared_ptr<const SigningKey>;
// Kept here, not in util/ssl_ptr.h: EC_KEY is deprecated and used only here
// (and a function-object deleter keeps the call inside this file's pragma).
struct EcKeyFree {
  void operator()(EC_KEY* key) const { EC_KEY_free(key); }
};
using EcKeyPtr = std::unique_ptr<EC_KEY, EcKeyFree>;

// ex_data callbacks: the EC_KEY owns a heap-allocated KeyRef.
void FreeKeyRef(void* /*parent*/, void* ptr, CRYPTO_EX_DATA* /*ad*/,
                int /*idx*/, long /*argl*/, void* /*argp*/) {
  delete static_cast<KeyRef*>(ptr);
}

// EC_KEY_dup / EC_KEY_copy copy the ex_data pointer; give the copy its own
// reference so each EC_KEY frees only its own.
int DupKeyRef(CRYPTO_EX_DATA* /*to*/, const CRYPTO_EX_DATA* /*from*/,
              void** from_d, int /*idx*/, long /*argl*/, void* /*argp*/) {
  if (*from_d != nullptr) {
    *from_d = new KeyRef(*static_cast<KeyRef*>(*from_d));
  }
  return 1;
}

// The ex_data index of the KeyRef, allocated once per process.
int KeyRefIndex() {
  static const int index =
      EC_KEY_get_ex_new_index(0, nullptr, nullptr, DupKeyRef, FreeKeyRef);
  return index;
}

// There is no private scalar to precompute with.
int SignSetup(EC_KEY* /*eckey*/, BN_CTX* /*ctx*/, BIGNUM** /*kinv*/,
              BIGNUM** /*r*/) {
  ERR_raise_data(ERR_LIB_EC, ERR_R_PASSED_INVALID_ARGUMENT,
                 "ECDSA precomputation is not available for a SigningKey");
  return 0;
}

// ECDSA_do_sign: hands the digest to SigningKey::SignDigest(). Errors go to
// OpenSSL's error queue (the caller, e.g. libssl, reports them).
ECDSA_SIG* SignSig(const unsigned char* dgst, int dgst_len,
                   const BIGNUM* in_kinv, const BIGNUM* in_r, EC_KEY* eckey) {
  const auto* key =
      static_cast<const KeyRef*>(EC_KEY_get_ex_data(eckey, KeyRefIndex()));
  if (key == nullptr || *key == nullptr) {
    ERR_raise_data(ERR_LIB_EC, ERR_R_PASSED_NULL_PARAMETER,
                   "EC_KEY has no SigningKey");
    return nullptr;
  }
  if (in_kinv != nullptr || in_r != nullptr) {
    ERR_raise_data(ERR_LIB_EC, ERR_R_PASSED_INVALID_ARGUMENT,
                   "ECDSA precomputation is not available for a SigningKey");
    return nullptr;
  }
  if (dgst == nullptr || dgst_len < 0) {
    ERR_raise_data(ERR_LIB_EC, ERR_R_PASSED_INVALID_ARGUMENT, "no digest");
    return nullptr;
  }
  absl::StatusOr<std::string> rs = (*key)->SignDigest(absl::string_view(
      reinterpret_cast<const char*>(dgst), static_cast<size_t>(dgst_len)));
  if (!rs.ok()) {
    ERR_raise_data(ERR_LIB_EC, ERR_R_INTERNAL_ERROR, "SigningKey: %s",
                   rs.status().ToString().c_str());
    return nullptr;
  }
  if (rs->size() != kPlainSignatureSize) {
    ERR_raise_data(ERR_LIB_EC, ERR_R_INTERNAL_ERROR,
                   "SigningKey returned %zu bytes, expected r||s", rs->size());
    return nullptr;
  }
  const auto* p = reinterpret_cast<const unsigned char*>(rs->data());
  BignumPtr r(BN_bin2bn(p, kCoordinateSize, nullptr));
  BignumPtr s(BN_bin2bn(p + kCoordinateSize, kCoordinateSize, nullptr));
  EcdsaSigPtr sig(ECDSA_SIG_new());
  if (r == nullptr || s == nullptr || sig == nullptr ||
      ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) {
    ERR_raise(ERR_LIB_EC, ERR_R_MALLOC_FAILURE);
    return nullptr;
  }
  // ECDSA_SIG_set0 took r and s.
  (void)r.release();
  (void)s.release();
  return sig.release();
}

// OpenSSL's EC method with signing replaced; made once, never changed, and
// shared by every such key (OpenSSL holds a pointer, not a copy).
const EC_KEY_METHOD* SigningKeyMethod() {
  static const EC_KEY_METHOD* const method = [] {
    EC_KEY_METHOD* m = EC_KEY_METHOD_new(EC_KEY_OpenSSL());
    if (m == nullptr) return static_cast<EC_KEY_METHOD*>(nullptr);
    // The default `sign` calls ECDSA_do_sign_ex, i.e. SignSig, and
    // DER-encodes its result.
    int (*sign)(int, const unsigned char*, int, unsigned char*, unsigned int*,
                const BIGNUM*, const BIGNUM*, EC_KEY*) = nullptr;
    EC_KEY_METHOD_get_sign(m, &sign, nullptr, nullptr);
    EC_KEY_METHOD_set_sign(m, sign, SignSetup, SignSig);
    return m;
  }();
  return method;
}

}  // namespace

absl::StatusOr<EvpPkeyPtr> MakeOpenSslSigningKey(KeyRef key) {
  if (key == nullptr) {
    return absl::InvalidArgumentError("MakeOpenSslSigningKey: null key");
  }
  const EC_KEY_METHOD* method = SigningKeyMethod();
  if (method == nullptr || KeyRefIndex() < 0) {
    return OpensslError(absl::StatusCode::kInternal, "EC_KEY_METHOD_new");
  }
  const int nid = OBJ_txt2nid(internal::CurveGroupName(key->curve()));
  EcGroupPtr group(EC_GROUP_new_by_curve_name(nid));
  EcKeyPtr ec(EC_KEY_new());
  if (group == nullptr || ec == nullptr ||
      EC_KEY_set_method(ec.get(), method) != 1 ||
      EC_KEY_set_group(ec.get(), group.get()) != 1) {
    return OpensslError(absl::StatusCode::kInternal,
                        absl::StrCat("EC key on ", CurveName(key->curve())));
  }
  const std::string& point = key->public_point();
  if (EC_KEY_oct2key(ec.get(),
                     reinterpret_cast<const unsigned char*>(point.data()),
                     point.size(), nullptr) != 1) {
    return OpensslError(absl::StatusCode::kInternal,
                        "the SigningKey's public point does not parse");
  }
  auto* ref = new KeyRef(std::move(key));
  if (EC_KEY_set_ex_data(ec.get(), KeyRefIndex(), ref) != 1) {
    delete ref;
    return OpensslError(absl::StatusCode::kInternal, "EC_KEY_set_ex_data");
  }
  // From here the EC_KEY owns `ref` (FreeKeyRef).
  EvpPkeyPtr pkey(EVP_PKEY_new());
  if (pkey == nullptr || EVP_PKEY_assign_EC_KEY(pkey.get(), ec.get()) != 1) {
    return OpensslError(absl::StatusCode::kInternal, "EVP_PKEY_assign_EC_KEY");
  }
  (void)ec.release();  // Now owned by `pkey`.
  return pkey;
}

}  // namespace smdp::hsm

#pragma GCC diagnostic pop
