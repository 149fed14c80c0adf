#include "tests/euicc/internal/euicc_crypto.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/params.h>
#include <openssl/pem.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "util/status_macros.h"

namespace smdp::euicc::internal {
namespace {

using ParamBldPtr = SslPtr<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>;
using ParamPtr = SslPtr<OSSL_PARAM, OSSL_PARAM_free>;

constexpr size_t kScalarSize = 32;
constexpr size_t kPointSize = 1 + 2 * kScalarSize;

const unsigned char* Bytes(absl::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

absl::Status Failed(absl::string_view what) {
  return OpensslError(absl::StatusCode::kInternal, what);
}

// OpenSSL's API takes non-const keys for read-only operations.
EVP_PKEY* Mutable(const EVP_PKEY& key) { return const_cast<EVP_PKEY*>(&key); }

absl::StatusOr<EcGroupPtr> Group(int nid) {
  EcGroupPtr group(EC_GROUP_new_by_curve_name(nid));
  if (group == nullptr) {
    DrainOpensslErrors();
    return absl::InvalidArgumentError(
        absl::StrCat("unknown curve ", CurveNameOf(nid)));
  }
  return group;
}

// An EVP_PKEY from OSSL_PARAMs made by `build`.
absl::StatusOr<EvpPkeyPtr> FromData(int selection, OSSL_PARAM_BLD* bld) {
  ParamPtr params(OSSL_PARAM_BLD_to_param(bld));
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  if (params == nullptr || ctx == nullptr ||
      EVP_PKEY_fromdata_init(ctx.get()) != 1) {
    return Failed("preparing an EC key import");
  }
  EVP_PKEY* key = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &key, selection, params.get()) != 1) {
    return OpensslError(absl::StatusCode::kInvalidArgument,
                        "importing an EC key");
  }
  return EvpPkeyPtr(key);
}

}  // namespace

absl::StatusOr<std::string> Sha256(absl::string_view data) {
  std::string out(32, '\0');
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(),
                 reinterpret_cast<unsigned char*>(out.data()), &len,
                 EVP_sha256(), nullptr) != 1 ||
      len != out.size()) {
    return Failed("SHA-256");
  }
  return out;
}

absl::StatusOr<SessionKeys> DeriveSessionKeys(absl::string_view shared_secret,
                                              absl::string_view host_id,
                                              absl::string_view eid) {
  if (shared_secret.size() != 32) {
    return absl::InvalidArgumentError("KDF: shared secret is not 32 bytes");
  }
  if (host_id.empty() || host_id.size() > 127) {
    return absl::InvalidArgumentError("KDF: hostId is not 1..127 bytes");
  }
  if (eid.size() != 16) {
    return absl::InvalidArgumentError("KDF: EID is not 16 bytes");
  }
  // sharedInfo = keyType || keyLength || LV(hostId) || LV(EID).
  std::string shared_info;
  shared_info.push_back(static_cast<char>(0x88));
  shared_info.push_back(0x10);
  shared_info.push_back(static_cast<char>(host_id.size()));
  shared_info.append(host_id.data(), host_id.size());
  shared_info.push_back(0x10);
  shared_info.append(eid.data(), eid.size());

  std::string key_data;
  for (uint32_t counter = 1; key_data.size() < 48; ++counter) {
    std::string block(shared_secret.data(), shared_secret.size());
    block.push_back(static_cast<char>(counter >> 24));
    block.push_back(static_cast<char>(counter >> 16));
    block.push_back(static_cast<char>(counter >> 8));
    block.push_back(static_cast<char>(counter));
    block += shared_info;
    ASSIGN_OR_RETURN(std::string digest, Sha256(block));
    OPENSSL_cleanse(block.data(), block.size());
    key_data += digest;
    OPENSSL_cleanse(digest.data(), digest.size());
  }
  SessionKeys keys;
  keys.initial_mcv = key_data.substr(0, 16);
  keys.enc = key_data.substr(16, 16);
  keys.mac = key_data.substr(32, 16);
  OPENSSL_cleanse(key_data.data(), key_data.size());
  return keys;
}

// ---- EC keys ----

int CurveNid(const EVP_PKEY& key) {
  if (EVP_PKEY_get_base_id(&key) != EVP_PKEY_EC) return NID_undef;
  char name[80];
  size_t len = 0;
  if (EVP_PKEY_get_utf8_string_param(&key, OSSL_PKEY_PARAM_GROUP_NAME, name,
                                     sizeof(name), &len) != 1) {
    DrainOpensslErrors();
    return NID_undef;
  }
  int nid = OBJ_sn2nid(name);
  if (nid == NID_undef) nid = OBJ_txt2nid(name);
  return nid;
}

std::string CurveNameOf(int nid) {
  if (nid == NID_X9_62_prime256v1) return "NIST P-256";
  if (nid == NID_brainpoolP256r1) return "brainpoolP256r1";
  const char* sn = OBJ_nid2sn(nid);
  return sn != nullptr ? std::string(sn) : absl::StrCat("curve ", nid);
}

absl::StatusOr<EvpPkeyPtr> PublicKeyFromPoint(int nid,
                                              absl::string_view point) {
  if (point.size() != kPointSize || point[0] != 0x04) {
    return absl::InvalidArgumentError(absl::StrCat(
        "public key is not an uncompressed point of ", kPointSize, " bytes"));
  }
  ASSIGN_OR_RETURN(EcGroupPtr group, Group(nid));
  // Checked here explicitly (EC_POINT_oct2point refuses points off the curve)
  // rather than trusting the import to do it.
  EcPointPtr p(EC_POINT_new(group.get()));
  if (p == nullptr) return Failed("EC_POINT_new");
  if (EC_POINT_oct2point(group.get(), p.get(), Bytes(point), point.size(),
                         nullptr) != 1 ||
      EC_POINT_is_on_curve(group.get(), p.get(), nullptr) != 1 ||
      EC_POINT_is_at_infinity(group.get(), p.get()) == 1) {
    DrainOpensslErrors();
    return absl::InvalidArgumentError(
        absl::StrCat("public key is not a point on ", CurveNameOf(nid)));
  }
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (bld == nullptr ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME,
                                      OBJ_nid2sn(nid), 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY,
                                       point.data(), point.size()) != 1) {
    return Failed("building EC public key parameters");
  }
  return FromData(EVP_PKEY_PUBLIC_KEY, bld.get());
}

absl::StatusOr<std::string> PublicPoint(const EVP_PKEY& key) {
  std::string out(kPointSize, '\0');
  size_t len = 0;
  if (EVP_PKEY_get_octet_string_param(
          &key, OSSL_PKEY_PARAM_PUB_KEY,
          reinterpret_cast<unsigned char*>(out.data()), out.size(),
          &len) != 1) {
    return Failed("reading an EC public key");
  }
  if (len != kPointSize || out[0] != 0x04) {
    return absl::InvalidArgumentError(
        "EC public key is not an uncompressed 256-bit point");
  }
  return out;
}

absl::StatusOr<std::string> PrivateScalar(const EVP_PKEY& key) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(&key, OSSL_PKEY_PARAM_PRIV_KEY, &raw) != 1) {
    return Failed("reading an EC private key");
  }
  BignumPtr d(raw);
  std::string out(kScalarSize, '\0');
  if (BN_bn2binpad(d.get(), reinterpret_cast<unsigned char*>(out.data()),
                   static_cast<int>(out.size())) !=
      static_cast<int>(kScalarSize)) {
    return absl::InvalidArgumentError("EC private key is not 256 bits");
  }
  return out;
}

absl::StatusOr<EvpPkeyPtr> KeyFromPrivateScalar(int nid,
                                                absl::string_view scalar) {
  if (scalar.size() != kScalarSize) {
    return absl::InvalidArgumentError("private scalar is not 32 bytes");
  }
  ASSIGN_OR_RETURN(EcGroupPtr group, Group(nid));
  BignumPtr d(
      BN_bin2bn(Bytes(scalar), static_cast<int>(scalar.size()), nullptr));
  if (d == nullptr) return Failed("BN_bin2bn");
  const BIGNUM* order = EC_GROUP_get0_order(group.get());
  if (BN_is_zero(d.get()) || BN_cmp(d.get(), order) >= 0) {
    return absl::OutOfRangeError("private scalar is not in [1, order)");
  }
  BnCtxPtr bn_ctx(BN_CTX_new());
  EcPointPtr pub(EC_POINT_new(group.get()));
  if (bn_ctx == nullptr || pub == nullptr ||
      EC_POINT_mul(group.get(), pub.get(), d.get(), nullptr, nullptr,
                   bn_ctx.get()) != 1) {
    return Failed("computing the public point");
  }
  unsigned char point[kPointSize];
  if (EC_POINT_point2oct(group.get(), pub.get(), POINT_CONVERSION_UNCOMPRESSED,
                         point, sizeof(point), bn_ctx.get()) != kPointSize) {
    return Failed("encoding the public point");
  }
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (bld == nullptr ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME,
                                      OBJ_nid2sn(nid), 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY,
                                       point, sizeof(point)) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, d.get()) !=
          1) {
    return Failed("building EC key parameters");
  }
  return FromData(EVP_PKEY_KEYPAIR, bld.get());
}

absl::StatusOr<EvpPkeyPtr> GenerateKey(int nid, const RandomBytesFn& random) {
  // FIPS 186-4 B.4.1 (extra random bits): d = (c mod (n - 1)) + 1 for a
  // 64-bit-longer random c, so no candidate is refused (a plain 256-bit draw
  // would be out of range a third of the time on brainpoolP256r1, whose
  // order is about 0.66 * 2^256) and the bias is below 2^-64.
  ASSIGN_OR_RETURN(EcGroupPtr group, Group(nid));
  ASSIGN_OR_RETURN(std::string c, random(kScalarSize + 8));
  if (c.size() != kScalarSize + 8) {
    return absl::InternalError("random source returned a wrong size");
  }
  BignumPtr value(BN_bin2bn(Bytes(c), static_cast<int>(c.size()), nullptr));
  OPENSSL_cleanse(c.data(), c.size());
  BignumPtr n_minus_1(BN_dup(EC_GROUP_get0_order(group.get())));
  BnCtxPtr bn_ctx(BN_CTX_new());
  if (value == nullptr || n_minus_1 == nullptr || bn_ctx == nullptr ||
      !BN_sub_word(n_minus_1.get(), 1) ||
      !BN_nnmod(value.get(), value.get(), n_minus_1.get(), bn_ctx.get()) ||
      !BN_add_word(value.get(), 1)) {
    return Failed("reducing the private scalar");
  }
  std::string scalar(kScalarSize, '\0');
  if (BN_bn2binpad(value.get(), reinterpret_cast<unsigned char*>(scalar.data()),
                   kScalarSize) != kScalarSize) {
    return Failed("encoding the private scalar");
  }
  BN_clear(value.get());
  absl::StatusOr<EvpPkeyPtr> key = KeyFromPrivateScalar(nid, scalar);
  OPENSSL_cleanse(scalar.data(), scalar.size());
  return key;
}

absl::StatusOr<EvpPkeyPtr> PrivateKeyFromPem(absl::string_view pem) {
  // OpenSSL 3.0's PEM decoder looks at the oldest error on the thread's
  // queue to decide whether to skip a block it cannot use: with a stale
  // error there, it stops at an "EC PARAMETERS" block (as the SGP.26 key
  // files start with) and returns a key with no private or public part.
  ERR_clear_error();
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (bio == nullptr) return Failed("BIO_new_mem_buf");
  EvpPkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (key == nullptr) {
    return OpensslError(absl::StatusCode::kInvalidArgument,
                        "parsing a PEM private key");
  }
  if (!PrivateScalar(*key).ok() || !PublicPoint(*key).ok()) {
    DrainOpensslErrors();
    return absl::InvalidArgumentError(
        "PEM holds no EC private key with its public point");
  }
  return key;
}

absl::StatusOr<std::string> Ecdh(const EVP_PKEY& private_key,
                                 const EVP_PKEY& peer) {
  EvpPkeyCtxPtr ctx(
      EVP_PKEY_CTX_new_from_pkey(nullptr, Mutable(private_key), nullptr));
  if (ctx == nullptr || EVP_PKEY_derive_init(ctx.get()) != 1) {
    return Failed("starting ECDH");
  }
  if (EVP_PKEY_derive_set_peer(ctx.get(), Mutable(peer)) != 1) {
    return OpensslError(absl::StatusCode::kInvalidArgument,
                        "ECDH peer key refused");
  }
  size_t len = 0;
  if (EVP_PKEY_derive(ctx.get(), nullptr, &len) != 1) {
    return Failed("ECDH size");
  }
  std::string secret(len, '\0');
  if (EVP_PKEY_derive(ctx.get(),
                      reinterpret_cast<unsigned char*>(secret.data()),
                      &len) != 1) {
    return Failed("ECDH");
  }
  secret.resize(len);
  if (secret.size() != kScalarSize) {
    return absl::InternalError("ECDH secret is not 32 bytes");
  }
  return secret;
}

// ---- ECDSA ----

absl::StatusOr<std::string> PlainToDerSignature(absl::string_view r_s) {
  if (r_s.size() != 2 * kScalarSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("signature is ", r_s.size(), " bytes, not 64 (r||s)"));
  }
  EcdsaSigPtr sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(Bytes(r_s), kScalarSize, nullptr);
  BIGNUM* s = BN_bin2bn(Bytes(r_s) + kScalarSize, kScalarSize, nullptr);
  if (sig == nullptr || r == nullptr || s == nullptr ||
      ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return Failed("building an ECDSA signature");
  }
  const int len = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (len <= 0) return Failed("encoding an ECDSA signature");
  std::string der(static_cast<size_t>(len), '\0');
  unsigned char* p = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_ECDSA_SIG(sig.get(), &p) != len) {
    return Failed("encoding an ECDSA signature");
  }
  return der;
}

absl::StatusOr<std::string> DerToPlainSignature(absl::string_view der) {
  const unsigned char* p = Bytes(der);
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (sig == nullptr || p != Bytes(der) + der.size()) {
    DrainOpensslErrors();
    return absl::InvalidArgumentError("malformed DER ECDSA signature");
  }
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  std::string out(2 * kScalarSize, '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  if (BN_bn2binpad(r, o, kScalarSize) != kScalarSize ||
      BN_bn2binpad(s, o + kScalarSize, kScalarSize) != kScalarSize) {
    return absl::InvalidArgumentError("ECDSA r or s exceeds 32 bytes");
  }
  return out;
}

absl::StatusOr<std::string> SignPlain(const EVP_PKEY& key,
                                      absl::string_view message) {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (ctx == nullptr ||
      EVP_DigestSignInit_ex(ctx.get(), nullptr, "SHA256", nullptr, nullptr,
                            Mutable(key), nullptr) != 1) {
    return Failed("starting ECDSA signing");
  }
  size_t len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &len, Bytes(message),
                     message.size()) != 1) {
    return Failed("ECDSA signature size");
  }
  std::string der(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(der.data()),
                     &len, Bytes(message), message.size()) != 1) {
    return Failed("ECDSA signing");
  }
  der.resize(len);
  return DerToPlainSignature(der);
}

absl::Status VerifyPlain(const EVP_PKEY& key, absl::string_view message,
                         absl::string_view r_s) {
  ASSIGN_OR_RETURN(std::string der, PlainToDerSignature(r_s));
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (ctx == nullptr ||
      EVP_DigestVerifyInit_ex(ctx.get(), nullptr, "SHA256", nullptr, nullptr,
                              Mutable(key), nullptr) != 1) {
    return Failed("starting ECDSA verification");
  }
  const int rc = EVP_DigestVerify(ctx.get(), Bytes(der), der.size(),
                                  Bytes(message), message.size());
  DrainOpensslErrors();
  if (rc != 1) {
    return absl::InvalidArgumentError("signature does not verify");
  }
  return absl::OkStatus();
}

// ---- BSP ----

absl::StatusOr<std::string> StripPadding(absl::string_view padded) {
  size_t i = padded.size();
  while (i > 0 && padded[i - 1] == 0) --i;
  if (i == 0 || static_cast<uint8_t>(padded[i - 1]) != 0x80) {
    return absl::InvalidArgumentError("no 80 00.. padding");
  }
  const size_t pad = padded.size() - (i - 1);
  if (pad > kAesKeySize) {
    return absl::InvalidArgumentError(
        absl::StrCat("padding of ", pad, " bytes (at most 16)"));
  }
  return std::string(padded.substr(0, i - 1));
}

absl::StatusOr<SegmentOpener> SegmentOpener::Create(
    absl::string_view enc, absl::string_view mac,
    absl::string_view initial_mcv) {
  if (enc.size() != kAesKeySize || mac.size() != kAesKeySize ||
      initial_mcv.size() != kAesKeySize) {
    return absl::InvalidArgumentError("BSP keys are not 16 bytes each");
  }
  EvpMacPtr cmac(EVP_MAC_fetch(nullptr, OSSL_MAC_NAME_CMAC, nullptr));
  if (cmac == nullptr) return Failed("fetching CMAC");
  SegmentOpener opener;
  opener.cmac_.reset(EVP_MAC_CTX_new(cmac.get()));
  char cipher[] = "AES-128-CBC";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, cipher, 0),
      OSSL_PARAM_construct_end(),
  };
  if (opener.cmac_ == nullptr ||
      EVP_MAC_init(opener.cmac_.get(), Bytes(mac), mac.size(), params) != 1) {
    return Failed("keying AES-CMAC");
  }
  opener.enc_.assign(enc.data(), enc.size());
  opener.chaining_value_.assign(initial_mcv.data(), initial_mcv.size());
  return opener;
}

SegmentOpener::SegmentOpener(SegmentOpener&&) noexcept = default;
SegmentOpener& SegmentOpener::operator=(SegmentOpener&&) noexcept = default;

SegmentOpener::~SegmentOpener() {
  OPENSSL_cleanse(enc_.data(), enc_.size());
  OPENSSL_cleanse(chaining_value_.data(), chaining_value_.size());
}

absl::StatusOr<std::string> SegmentOpener::Open(absl::string_view tlv,
                                                uint8_t tag, bool encrypted) {
  if (failed_) {
    return absl::FailedPreconditionError(
        "BSP instance unusable after an earlier error");
  }
  absl::StatusOr<std::string> out = OpenUnchecked(tlv, tag, encrypted);
  if (!out.ok()) failed_ = true;
  return out;
}

absl::StatusOr<std::string> SegmentOpener::OpenUnchecked(absl::string_view tlv,
                                                         uint8_t tag,
                                                         bool encrypted) {
  const std::string where =
      absl::StrCat("TLV ", absl::Hex(tag), " #", counter_, ": ");
  if (tlv.size() > kMaxBspSegmentSize) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, tlv.size(), " bytes, more than ", kMaxBspSegmentSize));
  }
  if (tlv.size() < 2 || static_cast<uint8_t>(tlv[0]) != tag) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, "missing or wrong tag"));
  }
  // The length field, minimal DER (1 to 3 bytes for at most 1020 bytes).
  const auto b = [&](size_t i) { return static_cast<uint8_t>(tlv[i]); };
  size_t header = 0;
  size_t length = 0;
  if (b(1) < 0x80) {
    header = 2;
    length = b(1);
  } else if (b(1) == 0x81 && tlv.size() >= 3 && b(2) >= 0x80) {
    header = 3;
    length = b(2);
  } else if (b(1) == 0x82 && tlv.size() >= 4 && b(2) != 0) {
    header = 4;
    length = (size_t{b(2)} << 8) | b(3);
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat(where, "length field not minimal DER"));
  }
  if (header + length != tlv.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, "length ", length, " does not match the TLV"));
  }
  if (length < kBspMacSize) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, "shorter than a MAC"));
  }
  const absl::string_view macced = tlv.substr(0, tlv.size() - kBspMacSize);
  const absl::string_view received_mac = tlv.substr(tlv.size() - kBspMacSize);
  const absl::string_view data = macced.substr(header);
  if (encrypted && (data.empty() || data.size() % kAesKeySize != 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, "ciphertext of ", data.size(),
                     " bytes is not a non-zero multiple of 16"));
  }

  // MAC = AES-CMAC(S-MAC, chaining value || tag || length || data).
  EvpMacCtxPtr mac(EVP_MAC_CTX_dup(cmac_.get()));
  unsigned char full_mac[kAesKeySize];
  size_t mac_len = 0;
  if (mac == nullptr ||
      EVP_MAC_update(mac.get(), Bytes(chaining_value_),
                     chaining_value_.size()) != 1 ||
      EVP_MAC_update(mac.get(), Bytes(macced), macced.size()) != 1 ||
      EVP_MAC_final(mac.get(), full_mac, &mac_len, sizeof(full_mac)) != 1 ||
      mac_len != kAesKeySize) {
    return Failed("AES-CMAC");
  }
  if (CRYPTO_memcmp(full_mac, received_mac.data(), kBspMacSize) != 0) {
    return absl::DataLossError(absl::StrCat(where, "MAC does not match"));
  }
  chaining_value_.assign(reinterpret_cast<const char*>(full_mac), kAesKeySize);
  const uint64_t counter = counter_++;
  if (!encrypted) return std::string(data);

  // ICV = AES-128-ECB(S-ENC, counter as 16 bytes big-endian).
  unsigned char block[kAesKeySize] = {};
  for (int i = 0; i < 8; ++i) {
    block[kAesKeySize - 1 - i] = static_cast<unsigned char>(counter >> (8 * i));
  }
  unsigned char icv[kAesKeySize];
  int len = 0;
  EvpCipherCtxPtr ecb(EVP_CIPHER_CTX_new());
  if (ecb == nullptr ||
      EVP_EncryptInit_ex(ecb.get(), EVP_aes_128_ecb(), nullptr, Bytes(enc_),
                         nullptr) != 1 ||
      EVP_CIPHER_CTX_set_padding(ecb.get(), 0) != 1 ||
      EVP_EncryptUpdate(ecb.get(), icv, &len, block, sizeof(block)) != 1 ||
      len != static_cast<int>(kAesKeySize)) {
    return Failed("computing the ICV");
  }
  EvpCipherCtxPtr cbc(EVP_CIPHER_CTX_new());
  std::string padded(data.size(), '\0');
  auto* out = reinterpret_cast<unsigned char*>(padded.data());
  int total = 0;
  if (cbc == nullptr ||
      EVP_DecryptInit_ex(cbc.get(), EVP_aes_128_cbc(), nullptr, Bytes(enc_),
                         icv) != 1 ||
      EVP_CIPHER_CTX_set_padding(cbc.get(), 0) != 1 ||
      EVP_DecryptUpdate(cbc.get(), out, &len, Bytes(data),
                        static_cast<int>(data.size())) != 1) {
    return Failed("AES-128-CBC");
  }
  total = len;
  if (EVP_DecryptFinal_ex(cbc.get(), out + total, &len) != 1) {
    return Failed("AES-128-CBC final");
  }
  total += len;
  padded.resize(static_cast<size_t>(total));
  absl::StatusOr<std::string> plain = StripPadding(padded);
  OPENSSL_cleanse(padded.data(), padded.size());
  if (!plain.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, plain.status().message()));
  }
  return plain;
}

}  // namespace smdp::euicc::internal
