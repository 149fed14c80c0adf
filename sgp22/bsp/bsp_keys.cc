#include "sgp22/bsp/bsp_keys.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "util/ssl_ptr.h"

namespace smdp::bsp {
namespace {

using EvpKdfPtr = SslPtr<EVP_KDF, EVP_KDF_free>;
using EvpKdfCtxPtr = SslPtr<EVP_KDF_CTX, EVP_KDF_CTX_free>;

// The X9.63 KDF implementation, fetched once for the life of the process
// (a provider fetch takes a global lock; the fetched object is immutable).
EVP_KDF* X963Kdf() {
  static EVP_KDF* const kdf =
      EVP_KDF_fetch(nullptr, OSSL_KDF_NAME_X963KDF, nullptr);
  return kdf;
}

absl::string_view View(const BspKeys::Key& key) {
  return absl::string_view(reinterpret_cast<const char*>(key.data()),
                           key.size());
}

absl::Status CopyKey(absl::string_view what, absl::string_view in,
                     BspKeys::Key& out) {
  if (in.size() != out.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " must be ", out.size(), " bytes, got ", in.size()));
  }
  std::copy(in.begin(), in.end(), out.begin());
  return absl::OkStatus();
}

}  // namespace

BspKeys::~BspKeys() {
  OPENSSL_cleanse(enc.data(), enc.size());
  OPENSSL_cleanse(mac.data(), mac.size());
  OPENSSL_cleanse(initial_mac_chaining_value.data(),
                  initial_mac_chaining_value.size());
}

absl::StatusOr<BspKeys> BspKeys::FromBytes(
    absl::string_view enc, absl::string_view mac,
    absl::string_view initial_mac_chaining_value) {
  BspKeys keys;
  absl::Status status = CopyKey("ENC key", enc, keys.enc);
  if (status.ok()) status = CopyKey("MAC key", mac, keys.mac);
  if (status.ok()) {
    status = CopyKey("initial MAC chaining value", initial_mac_chaining_value,
                     keys.initial_mac_chaining_value);
  }
  if (!status.ok()) return status;
  return keys;
}

absl::string_view BspKeys::enc_bytes() const { return View(enc); }
absl::string_view BspKeys::mac_bytes() const { return View(mac); }
absl::string_view BspKeys::initial_mac_chaining_value_bytes() const {
  return View(initial_mac_chaining_value);
}

absl::StatusOr<BspKeys> DeriveSessionKeys(absl::string_view shared_secret,
                                          absl::string_view host_id,
                                          absl::string_view eid) {
  if (shared_secret.size() != kSharedSecretSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("shared secret must be ", kSharedSecretSize,
                     " bytes, got ", shared_secret.size()));
  }
  if (host_id.empty() || host_id.size() > 127) {
    return absl::InvalidArgumentError(
        absl::StrCat("hostId must be 1..127 bytes, got ", host_id.size()));
  }
  if (eid.size() != kEidSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("EID must be ", kEidSize, " bytes, got ", eid.size()));
  }

  // 88 || 10 || len(hostId) || hostId || 10 || EID
  std::string shared_info;
  shared_info.reserve(4 + host_id.size() + eid.size());
  shared_info.push_back(static_cast<char>(kKeyTypeAes));
  shared_info.push_back(static_cast<char>(kKeyLengthAes128));
  shared_info.push_back(static_cast<char>(host_id.size()));
  shared_info.append(host_id.data(), host_id.size());
  shared_info.push_back(static_cast<char>(eid.size()));
  shared_info.append(eid.data(), eid.size());

  EVP_KDF* kdf = X963Kdf();
  if (kdf == nullptr) {
    return OpensslError(absl::StatusCode::kInternal, "fetching X963KDF");
  }
  EvpKdfCtxPtr ctx(EVP_KDF_CTX_new(kdf));
  if (ctx == nullptr) {
    return OpensslError(absl::StatusCode::kInternal, "EVP_KDF_CTX_new");
  }
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
                                        const_cast<char*>(shared_secret.data()),
                                        shared_secret.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, shared_info.data(),
                                        shared_info.size()),
      OSSL_PARAM_construct_end(),
  };
  uint8_t out[3 * kBspKeySize];
  if (EVP_KDF_derive(ctx.get(), out, sizeof(out), params) != 1) {
    OPENSSL_cleanse(out, sizeof(out));
    return OpensslError(absl::StatusCode::kInternal, "X9.63 KDF");
  }
  BspKeys keys;
  std::copy(out, out + kBspKeySize, keys.initial_mac_chaining_value.begin());
  std::copy(out + kBspKeySize, out + 2 * kBspKeySize, keys.enc.begin());
  std::copy(out + 2 * kBspKeySize, out + 3 * kBspKeySize, keys.mac.begin());
  OPENSSL_cleanse(out, sizeof(out));
  return keys;
}

absl::StatusOr<BspKeys> GenerateProfileProtectionKeys() {
  BspKeys keys;
  if (RAND_priv_bytes(keys.enc.data(), keys.enc.size()) != 1 ||
      RAND_priv_bytes(keys.mac.data(), keys.mac.size()) != 1 ||
      RAND_priv_bytes(keys.initial_mac_chaining_value.data(),
                      keys.initial_mac_chaining_value.size()) != 1) {
    return OpensslError(absl::StatusCode::kInternal, "RAND_priv_bytes");
  }
  return keys;
}

}  // namespace smdp::bsp
