#include "sgp22/bsp/internal/bsp_crypto.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <cstring>

#include "util/status_macros.h"

namespace smdp::bsp::internal {
namespace {

// OpenSSL algorithm objects, fetched once per process and never freed.
// Explicit fetching avoids the implicit provider look-up that
// EVP_aes_128_cbc() and friends cost on every EVP_EncryptInit_ex in 3.0.
struct Algorithms {
  EVP_CIPHER* cbc = EVP_CIPHER_fetch(nullptr, "AES-128-CBC", nullptr);
  EVP_CIPHER* ecb = EVP_CIPHER_fetch(nullptr, "AES-128-ECB", nullptr);
  EVP_MAC* cmac = EVP_MAC_fetch(nullptr, OSSL_MAC_NAME_CMAC, nullptr);
};

const Algorithms& GetAlgorithms() {
  static const Algorithms* const algorithms = new Algorithms();
  return *algorithms;
}

absl::Status Failed(absl::string_view what) {
  return OpensslError(absl::StatusCode::kInternal, what);
}

}  // namespace

size_t WriteLength(size_t length, uint8_t* out) {
  if (length < 0x80) {
    out[0] = static_cast<uint8_t>(length);
    return 1;
  }
  if (length <= 0xff) {
    out[0] = 0x81;
    out[1] = static_cast<uint8_t>(length);
    return 2;
  }
  out[0] = 0x82;
  out[1] = static_cast<uint8_t>(length >> 8);
  out[2] = static_cast<uint8_t>(length);
  return 3;
}

absl::StatusOr<BspCrypto> BspCrypto::Create(const BspKeys& keys,
                                            Direction direction) {
  const Algorithms& algorithms = GetAlgorithms();
  if (algorithms.cbc == nullptr || algorithms.ecb == nullptr ||
      algorithms.cmac == nullptr) {
    return Failed("fetching AES-128-CBC, AES-128-ECB and CMAC");
  }
  BspCrypto crypto;
  crypto.direction_ = direction;
  crypto.cbc_.reset(EVP_CIPHER_CTX_new());
  crypto.icv_.reset(EVP_CIPHER_CTX_new());
  crypto.cmac_.reset(EVP_MAC_CTX_new(algorithms.cmac));
  if (crypto.cbc_ == nullptr || crypto.icv_ == nullptr ||
      crypto.cmac_ == nullptr) {
    return Failed("allocating BSP contexts");
  }
  const int enc = direction == Direction::kEncrypt ? 1 : 0;
  if (EVP_CipherInit_ex2(crypto.cbc_.get(), algorithms.cbc, keys.enc.data(),
                         nullptr, enc, nullptr) != 1 ||
      EVP_CIPHER_CTX_set_padding(crypto.cbc_.get(), 0) != 1) {
    return Failed("keying AES-128-CBC");
  }
  if (EVP_EncryptInit_ex2(crypto.icv_.get(), algorithms.ecb, keys.enc.data(),
                          nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_set_padding(crypto.icv_.get(), 0) != 1) {
    return Failed("keying AES-128-ECB");
  }
  char cipher_name[] = "AES-128-CBC";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, cipher_name, 0),
      OSSL_PARAM_construct_end(),
  };
  if (EVP_MAC_init(crypto.cmac_.get(), keys.mac.data(), keys.mac.size(),
                   params) != 1) {
    return Failed("keying AES-CMAC");
  }
  crypto.chaining_value_ = keys.initial_mac_chaining_value;
  return crypto;
}

BspCrypto::BspCrypto(BspCrypto&&) noexcept = default;
BspCrypto& BspCrypto::operator=(BspCrypto&&) noexcept = default;

BspCrypto::~BspCrypto() {
  OPENSSL_cleanse(chaining_value_.data(), chaining_value_.size());
}

absl::Status BspCrypto::StartCbc(uint64_t counter) {
  // ICV = AES-ECB(ENC, counter as a 16-byte big-endian number).
  uint8_t block[kBlockSize] = {};
  for (int i = 0; i < 8; ++i) {
    block[kBlockSize - 1 - i] = static_cast<uint8_t>(counter >> (8 * i));
  }
  uint8_t icv[kBlockSize];
  int len = 0;
  if (EVP_EncryptUpdate(icv_.get(), icv, &len, block, kBlockSize) != 1 ||
      len != static_cast<int>(kBlockSize)) {
    return Failed("computing the ICV");
  }
  // A null cipher and key keep the key schedule and only reset the IV.
  if (EVP_CipherInit_ex2(cbc_.get(), nullptr, nullptr, icv, -1, nullptr) != 1) {
    return Failed("setting the ICV");
  }
  return absl::OkStatus();
}

absl::Status BspCrypto::EncryptPadded(uint64_t counter,
                                      absl::string_view plaintext,
                                      uint8_t* out) {
  RETURN_IF_ERROR(StartCbc(counter));
  const auto* in = reinterpret_cast<const uint8_t*>(plaintext.data());
  const size_t full = plaintext.size() - plaintext.size() % kBlockSize;
  int len = 0;
  if (full > 0 && (EVP_CipherUpdate(cbc_.get(), out, &len, in,
                                    static_cast<int>(full)) != 1 ||
                   len != static_cast<int>(full))) {
    return Failed("AES-128-CBC");
  }
  uint8_t last[kBlockSize] = {};
  const size_t rest = plaintext.size() - full;
  std::memcpy(last, in + full, rest);
  last[rest] = 0x80;
  if (EVP_CipherUpdate(cbc_.get(), out + full, &len, last, kBlockSize) != 1 ||
      len != static_cast<int>(kBlockSize)) {
    OPENSSL_cleanse(last, sizeof(last));
    return Failed("AES-128-CBC");
  }
  OPENSSL_cleanse(last, sizeof(last));
  return absl::OkStatus();
}

absl::Status BspCrypto::DecryptPadded(uint64_t counter,
                                      absl::string_view ciphertext,
                                      std::string* out) {
  if (ciphertext.empty() || ciphertext.size() % kBlockSize != 0) {
    return absl::InvalidArgumentError(
        "ciphertext is not a non-zero multiple of 16 bytes");
  }
  RETURN_IF_ERROR(StartCbc(counter));
  const size_t old_size = out->size();
  out->resize(old_size + ciphertext.size());
  auto* dst = reinterpret_cast<uint8_t*>(out->data() + old_size);
  int len = 0;
  if (EVP_CipherUpdate(cbc_.get(), dst, &len,
                       reinterpret_cast<const uint8_t*>(ciphertext.data()),
                       static_cast<int>(ciphertext.size())) != 1 ||
      len != static_cast<int>(ciphertext.size())) {
    out->resize(old_size);
    return Failed("AES-128-CBC decrypt");
  }
  // Strip 80 00..: 0 to 15 zero bytes after the 80, all in the last block.
  size_t end = ciphertext.size();
  size_t zeros = 0;
  while (zeros < kBlockSize && end > 0 && dst[end - 1] == 0x00) {
    --end;
    ++zeros;
  }
  if (zeros == kBlockSize || end == 0 || dst[end - 1] != 0x80) {
    OPENSSL_cleanse(dst, ciphertext.size());
    out->resize(old_size);
    return absl::DataLossError("malformed 80 00.. padding after decryption");
  }
  out->resize(old_size + end - 1);
  return absl::OkStatus();
}

absl::Status BspCrypto::Mac(absl::string_view tlv_head, uint8_t mac[kMacSize]) {
  uint8_t full[kBlockSize];
  size_t len = 0;
  // A null key re-initialises the CMAC state and keeps the key.
  if (EVP_MAC_init(cmac_.get(), nullptr, 0, nullptr) != 1 ||
      EVP_MAC_update(cmac_.get(), chaining_value_.data(),
                     chaining_value_.size()) != 1 ||
      EVP_MAC_update(cmac_.get(),
                     reinterpret_cast<const uint8_t*>(tlv_head.data()),
                     tlv_head.size()) != 1 ||
      EVP_MAC_final(cmac_.get(), full, &len, sizeof(full)) != 1 ||
      len != kBlockSize) {
    return Failed("AES-CMAC");
  }
  std::memcpy(chaining_value_.data(), full, kBlockSize);
  std::memcpy(mac, full, kMacSize);
  return absl::OkStatus();
}

}  // namespace smdp::bsp::internal
