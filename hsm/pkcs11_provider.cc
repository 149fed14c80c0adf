#include "hsm/pkcs11_provider.h"

#include <openssl/crypto.h>

#include <thread>
#include <utility>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/memory/memory.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "hsm/internal/ec_util.h"
#include "hsm/internal/pkcs11_errors.h"
#include "hsm/internal/pkcs11_module.h"
#include "hsm/internal/pkcs11_token.h"
#include "hsm/internal/software_keys.h"
#include "hsm/pkcs11_uri.h"
#include "util/status_macros.h"

namespace smdp::hsm {
namespace {

using internal::Attr;
using internal::AttrBytes;
using internal::AttrOf;
using internal::CkrError;
using internal::kCkFalse;
using internal::kCkTrue;
using internal::Pkcs11Module;
using internal::Pkcs11Token;
using Session = internal::Pkcs11Token::Session;

constexpr size_t kMaxRandomBytes = 1 << 20;
constexpr size_t kKeyIdSize = 16;
constexpr size_t kMaxLabelSize = 255;
constexpr size_t kTokenLabelSize = 32;  // CK_TOKEN_INFO.label

constexpr CK_OBJECT_CLASS kPrivateKeyClass = CKO_PRIVATE_KEY;
constexpr CK_OBJECT_CLASS kPublicKeyClass = CKO_PUBLIC_KEY;
constexpr CK_OBJECT_CLASS kSecretKeyClass = CKO_SECRET_KEY;
constexpr CK_KEY_TYPE kEcKeyType = CKK_EC;
constexpr CK_KEY_TYPE kAesKeyType = CKK_AES;
constexpr CK_KEY_TYPE kGenericSecretKeyType = CKK_GENERIC_SECRET;
constexpr CK_ULONG kAesKeySize = internal::kAesKeySize;
constexpr CK_ULONG kSharedSecretSize = kCoordinateSize;

std::string KeyTypeName(CK_KEY_TYPE type) {
  switch (type) {
    case CKK_RSA:
      return "CKK_RSA";
    case CKK_DSA:
      return "CKK_DSA";
    case CKK_DH:
      return "CKK_DH";
    case CKK_EC:
      return "CKK_EC";
    case CKK_GENERIC_SECRET:
      return "CKK_GENERIC_SECRET";
    case CKK_AES:
      return "CKK_AES";
    case CKK_DES3:
      return "CKK_DES3";
    default:
      return absl::StrCat("CKK 0x", absl::Hex(type));
  }
}

absl::Status ValidateLabel(absl::string_view label) {
  if (label.empty() || label.size() > kMaxLabelSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("key label must be 1 to ", kMaxLabelSize, " bytes, got ",
                     label.size()));
  }
  return absl::OkStatus();
}

// Prefixes a status message with context, keeping the code.
absl::Status Annotate(const absl::Status& status, absl::string_view context) {
  return absl::Status(status.code(),
                      absl::StrCat(context, ": ", status.message()));
}

// ---- key handles ----

class Pkcs11SigningKey final : public SigningKey {
 public:
  Pkcs11SigningKey(std::shared_ptr<Pkcs11Token> token, CK_OBJECT_HANDLE key,
                   Curve curve, std::string public_point, std::string name)
      : token_(std::move(token)),
        key_(key),
        curve_(curve),
        public_point_(std::move(public_point)),
        name_(std::move(name)) {}

  Curve curve() const override { return curve_; }
  const std::string& public_point() const override { return public_point_; }

  absl::StatusOr<std::string> Sign(absl::string_view message) const override {
    return SignDigest(internal::Sha256(message));
  }

  // CKM_ECDSA signs the digest as given (the hash is ours, not the token's).
  absl::StatusOr<std::string> SignDigest(
      absl::string_view sha256_digest) const override {
    if (sha256_digest.size() != kSha256DigestSize) {
      return absl::InvalidArgumentError(
          absl::StrCat("a SHA-256 digest is ", kSha256DigestSize,
                       " bytes, got ", sha256_digest.size()));
    }
    std::string digest(sha256_digest);  // C_Sign takes a non-const pointer.
    ASSIGN_OR_RETURN(Session session, token_->Borrow());
    CK_MECHANISM mechanism{CKM_ECDSA, nullptr, 0};
    CK_RV rv = token_->fn()->C_SignInit(session.handle(), &mechanism, key_);
    if (rv != CKR_OK) {
      session.Invalidate();
      return CkrError(rv, absl::StrCat("C_SignInit with ", name_));
    }
    std::string rs(kPlainSignatureSize, '\0');
    CK_ULONG rs_len = rs.size();
    rv = token_->fn()->C_Sign(
        session.handle(), reinterpret_cast<CK_BYTE*>(digest.data()),
        digest.size(), reinterpret_cast<CK_BYTE*>(rs.data()), &rs_len);
    if (rv != CKR_OK) {
      session.Invalidate();
      return CkrError(rv, absl::StrCat("C_Sign with ", name_));
    }
    if (rs_len != kPlainSignatureSize) {
      return absl::InternalError(
          absl::StrCat("C_Sign with ", name_, " returned ", rs_len,
                       " bytes, expected r||s of ", kPlainSignatureSize));
    }
    return rs;
  }

 private:
  const std::shared_ptr<Pkcs11Token> token_;
  const CK_OBJECT_HANDLE key_;
  const Curve curve_;
  const std::string public_point_;
  const std::string name_;  // "key 'dpauth' on token 'smdp'"
};

// A one-time key pair whose private half is a session object in the token.
class Pkcs11AgreementKey final : public AgreementKey {
 public:
  Pkcs11AgreementKey(std::shared_ptr<Pkcs11Token> token, CK_OBJECT_HANDLE key,
                     Curve curve, std::string public_point)
      : token_(std::move(token)),
        key_(key),
        curve_(curve),
        public_point_(std::move(public_point)) {}

  ~Pkcs11AgreementKey() override {
    absl::StatusOr<Session> session = token_->Borrow();
    // If no session can be had, the session object dies with its session.
    if (session.ok()) token_->DestroyQuietly(*session, key_);
  }

  Curve curve() const override { return curve_; }
  const std::string& public_point() const override { return public_point_; }

  absl::StatusOr<std::string> Derive(
      absl::string_view peer_public_point) const override {
    // Validates the point in software first: InvalidArgument, whatever the
    // HSM would say.
    RETURN_IF_ERROR(
        internal::ImportPeerPoint(curve_, peer_public_point).status());
    ASSIGN_OR_RETURN(Session session, token_->Borrow());
    const std::string raw(peer_public_point.data(), peer_public_point.size());
    const std::string der = internal::WrapEcPoint(raw);
    const int known = token_->ecdh_public_data_form.load();
    CK_OBJECT_HANDLE secret = CK_INVALID_HANDLE;
    CK_RV rv = CKR_GENERAL_ERROR;
    for (int form : {1, 2}) {
      if (known != 0 && known != form) continue;
      const std::string& data = form == 1 ? raw : der;
      rv = DeriveOnce(session, data, &secret);
      if (rv == CKR_OK) {
        token_->ecdh_public_data_form.store(form);
        break;
      }
      // Only a complaint about the parameters is worth the other form.
      if (rv != CKR_ARGUMENTS_BAD && rv != CKR_MECHANISM_PARAM_INVALID &&
          rv != CKR_DOMAIN_PARAMS_INVALID && rv != CKR_DATA_INVALID &&
          rv != CKR_DATA_LEN_RANGE && rv != CKR_PUBLIC_KEY_INVALID &&
          rv != CKR_ATTRIBUTE_VALUE_INVALID) {
        break;
      }
    }
    if (rv != CKR_OK) {
      return CkrError(rv,
                      absl::StrCat("C_DeriveKey (ECDH) on ", token_->name()));
    }
    absl::StatusOr<std::string> value =
        token_->GetBytes(session, secret, CKA_VALUE);
    token_->DestroyQuietly(session, secret);
    if (!value.ok()) return Annotate(value.status(), "reading the ECDH secret");
    if (value->size() != kSharedSecretSize) {
      OPENSSL_cleanse(value->data(), value->size());
      return absl::InternalError(
          absl::StrCat("ECDH on ", token_->name(), " returned ", value->size(),
                       " bytes, expected ", kSharedSecretSize));
    }
    return value;
  }

 private:
  CK_RV DeriveOnce(Session& session, const std::string& public_data,
                   CK_OBJECT_HANDLE* secret) const {
    CK_ECDH1_DERIVE_PARAMS params{};
    params.kdf = CKD_NULL;
    params.pSharedData = nullptr;
    params.ulSharedDataLen = 0;
    params.pPublicData =
        reinterpret_cast<CK_BYTE*>(const_cast<char*>(public_data.data()));
    params.ulPublicDataLen = public_data.size();
    CK_MECHANISM mechanism{CKM_ECDH1_DERIVE, &params, sizeof(params)};
    std::vector<CK_ATTRIBUTE> attrs = {
        AttrOf(CKA_CLASS, kSecretKeyClass),
        AttrOf(CKA_KEY_TYPE, kGenericSecretKeyType),
        AttrOf(CKA_TOKEN, kCkFalse),
        AttrOf(CKA_SENSITIVE, kCkFalse),
        AttrOf(CKA_EXTRACTABLE, kCkTrue),
        AttrOf(CKA_VALUE_LEN, kSharedSecretSize),
    };
    return token_->fn()->C_DeriveKey(session.handle(), &mechanism, key_,
                                     attrs.data(), attrs.size(), secret);
  }

  const std::shared_ptr<Pkcs11Token> token_;
  const CK_OBJECT_HANDLE key_;
  const Curve curve_;
  const std::string public_point_;
};

class Pkcs11SecretKey final : public SecretKey {
 public:
  Pkcs11SecretKey(std::shared_ptr<Pkcs11Token> token, CK_OBJECT_HANDLE key,
                  std::string name)
      : token_(std::move(token)), key_(key), name_(std::move(name)) {}

  absl::StatusOr<std::string> Seal(
      absl::string_view plaintext,
      absl::string_view associated_data) const override {
    ASSIGN_OR_RETURN(Session session, token_->Borrow());
    ASSIGN_OR_RETURN(std::string nonce,
                     token_->Random(session, internal::kGcmNonceSize));
    CK_GCM_PARAMS params = Params(nonce, associated_data);
    CK_MECHANISM mechanism{CKM_AES_GCM, &params, sizeof(params)};
    CK_RV rv = token_->fn()->C_EncryptInit(session.handle(), &mechanism, key_);
    if (rv != CKR_OK) {
      session.Invalidate();
      return CkrError(rv, absl::StrCat("C_EncryptInit (AES-GCM) with ", name_));
    }
    std::string out = nonce;
    out.resize(nonce.size() + plaintext.size() + internal::kGcmTagSize);
    CK_ULONG out_len = out.size() - nonce.size();
    static CK_BYTE empty = 0;
    rv = token_->fn()->C_Encrypt(
        session.handle(),
        plaintext.empty()
            ? &empty
            : reinterpret_cast<CK_BYTE*>(const_cast<char*>(plaintext.data())),
        plaintext.size(), reinterpret_cast<CK_BYTE*>(out.data() + nonce.size()),
        &out_len);
    if (rv != CKR_OK) {
      session.Invalidate();
      return CkrError(rv, absl::StrCat("C_Encrypt (AES-GCM) with ", name_));
    }
    if (out_len != plaintext.size() + internal::kGcmTagSize) {
      return absl::InternalError(absl::StrCat(
          "C_Encrypt (AES-GCM) with ", name_, " returned ", out_len,
          " bytes, expected ", plaintext.size() + internal::kGcmTagSize));
    }
    return out;
  }

  absl::StatusOr<std::string> Open(
      absl::string_view sealed,
      absl::string_view associated_data) const override {
    constexpr size_t kOverhead =
        internal::kGcmNonceSize + internal::kGcmTagSize;
    if (sealed.size() < kOverhead) {
      return absl::DataLossError(absl::StrCat(
          "sealed data too short (", sealed.size(), " bytes, minimum ",
          kOverhead, "): authentication failed"));
    }
    const std::string nonce(sealed.substr(0, internal::kGcmNonceSize));
    const absl::string_view ct = sealed.substr(internal::kGcmNonceSize);
    ASSIGN_OR_RETURN(Session session, token_->Borrow());
    CK_GCM_PARAMS params = Params(nonce, associated_data);
    CK_MECHANISM mechanism{CKM_AES_GCM, &params, sizeof(params)};
    CK_RV rv = token_->fn()->C_DecryptInit(session.handle(), &mechanism, key_);
    if (rv != CKR_OK) {
      session.Invalidate();
      return CkrError(rv, absl::StrCat("C_DecryptInit (AES-GCM) with ", name_));
    }
    // Room for the whole input: some tokens want that much output space.
    std::string plaintext(ct.size(), '\0');
    CK_ULONG plaintext_len = plaintext.size();
    rv = token_->fn()->C_Decrypt(
        session.handle(),
        reinterpret_cast<CK_BYTE*>(const_cast<char*>(ct.data())), ct.size(),
        reinterpret_cast<CK_BYTE*>(plaintext.data()), &plaintext_len);
    if (rv != CKR_OK) {
      OPENSSL_cleanse(plaintext.data(), plaintext.size());
      // C_Decrypt ends the operation on any error but CKR_BUFFER_TOO_SMALL
      // (which the buffer size rules out); the session stays usable after
      // an authentication failure.
      if (IsAuthenticationFailure(rv)) {
        return absl::DataLossError(absl::StrCat(
            "AES-GCM authentication failed with ", name_,
            " (wrong key, tampered data or other associated data): ",
            internal::CkrName(rv)));
      }
      session.Invalidate();
      return CkrError(rv, absl::StrCat("C_Decrypt (AES-GCM) with ", name_));
    }
    plaintext.resize(plaintext_len);
    return plaintext;
  }

 private:
  static CK_GCM_PARAMS Params(const std::string& nonce,
                              absl::string_view associated_data) {
    CK_GCM_PARAMS params{};
    params.pIv = reinterpret_cast<CK_BYTE*>(const_cast<char*>(nonce.data()));
    params.ulIvLen = nonce.size();
    params.ulIvBits = nonce.size() * 8;
    params.pAAD = associated_data.empty()
                      ? nullptr
                      : reinterpret_cast<CK_BYTE*>(
                            const_cast<char*>(associated_data.data()));
    params.ulAADLen = associated_data.size();
    params.ulTagBits = internal::kGcmTagSize * 8;
    return params;
  }

  // The CK_RVs tokens use for a GCM tag mismatch. SoftHSM reports it as
  // CKR_GENERAL_ERROR / CKR_FUNCTION_FAILED, the standard as
  // CKR_ENCRYPTED_DATA_INVALID; a tag mismatch must never look like success.
  static bool IsAuthenticationFailure(CK_RV rv) {
    return rv == CKR_ENCRYPTED_DATA_INVALID ||
           rv == CKR_ENCRYPTED_DATA_LEN_RANGE || rv == CKR_SIGNATURE_INVALID ||
           rv == CKR_GENERAL_ERROR || rv == CKR_FUNCTION_FAILED ||
           rv == CKR_DATA_INVALID;
  }

  const std::shared_ptr<Pkcs11Token> token_;
  const CK_OBJECT_HANDLE key_;
  const std::string name_;
};

// ---- helpers on the token ----

std::string KeyName(const Pkcs11Token& token, absl::string_view what) {
  return absl::StrCat("key ", what, " on ", token.name());
}

// Reads and validates the public point of an EC public key object.
absl::StatusOr<std::string> ReadPublicPoint(Pkcs11Token& token,
                                            Session& session,
                                            CK_OBJECT_HANDLE object,
                                            Curve curve) {
  ASSIGN_OR_RETURN(std::string value,
                   token.GetBytes(session, object, CKA_EC_POINT));
  ASSIGN_OR_RETURN(std::string point, internal::UnwrapEcPoint(value));
  RETURN_IF_ERROR(internal::PublicKeyFromPoint(curve, point).status());
  return point;
}

// Whether an object of `klass` labelled `label` exists.
absl::StatusOr<bool> LabelExists(Pkcs11Token& token, Session& session,
                                 const CK_OBJECT_CLASS& klass,
                                 absl::string_view label) {
  ASSIGN_OR_RETURN(
      std::vector<CK_OBJECT_HANDLE> found,
      token.Find(session,
                 {AttrOf(CKA_CLASS, klass), AttrBytes(CKA_LABEL, label)}, 1));
  return !found.empty();
}

absl::Status CheckNoSigningKey(Pkcs11Token& token, Session& session,
                               absl::string_view label) {
  for (const CK_OBJECT_CLASS* klass : {&kPrivateKeyClass, &kPublicKeyClass}) {
    ASSIGN_OR_RETURN(bool exists, LabelExists(token, session, *klass, label));
    if (exists) {
      return absl::AlreadyExistsError(absl::StrCat(
          "a key labelled '", label, "' already exists on ", token.name()));
    }
  }
  return absl::OkStatus();
}

// Checks the token attributes of a key reference against `token`.
absl::Status CheckTokenOf(const KeyRef& ref, absl::string_view key_ref,
                          const Pkcs11Token& token) {
  const internal::TokenInfo& info = token.info();
  auto mismatch = [&](absl::string_view attr, absl::string_view want,
                      absl::string_view have) {
    return absl::InvalidArgumentError(
        absl::StrCat("key reference '", key_ref, "' asks for ", attr, " '",
                     want, "' but this provider uses ", token.name(), " (",
                     attr, " '", have, "')"));
  };
  if (ref.token && *ref.token != info.label) {
    return mismatch("token", *ref.token, info.label);
  }
  if (ref.serial && *ref.serial != info.serial) {
    return mismatch("serial", *ref.serial, info.serial);
  }
  if (ref.manufacturer && *ref.manufacturer != info.manufacturer) {
    return mismatch("manufacturer", *ref.manufacturer, info.manufacturer);
  }
  if (ref.model && *ref.model != info.model) {
    return mismatch("model", *ref.model, info.model);
  }
  if (ref.slot_id && *ref.slot_id != info.slot_id) {
    return mismatch("slot-id", absl::StrCat(*ref.slot_id),
                    absl::StrCat(info.slot_id));
  }
  return absl::OkStatus();
}

}  // namespace

// ---- Pkcs11Provider ----

Pkcs11Provider::Pkcs11Provider(Pkcs11ProviderOptions options,
                               std::shared_ptr<internal::Pkcs11Token> token)
    : options_(std::move(options)), token_(std::move(token)) {}

Pkcs11Provider::~Pkcs11Provider() = default;

absl::StatusOr<std::unique_ptr<Pkcs11Provider>> Pkcs11Provider::Open(
    Pkcs11ProviderOptions options) {
  if (options.token_label.empty() && !options.slot_id.has_value()) {
    return absl::InvalidArgumentError(
        "Pkcs11ProviderOptions: set token_label or slot_id");
  }
  ASSIGN_OR_RETURN(std::shared_ptr<Pkcs11Module> module,
                   Pkcs11Module::Load(options.module_path));
  ASSIGN_OR_RETURN(std::vector<internal::TokenInfo> tokens,
                   module->ListTokens());
  std::vector<const internal::TokenInfo*> matches;
  for (const internal::TokenInfo& token : tokens) {
    if (!options.token_label.empty() &&
        (!token.initialized() || token.label != options.token_label)) {
      continue;
    }
    if (options.slot_id.has_value() && token.slot_id != *options.slot_id) {
      continue;
    }
    matches.push_back(&token);
  }
  const std::string wanted = absl::StrCat(
      options.token_label.empty()
          ? ""
          : absl::StrCat("token '", options.token_label, "'"),
      options.token_label.empty() || !options.slot_id ? "" : " in ",
      options.slot_id ? absl::StrCat("slot ", *options.slot_id) : "");
  if (matches.size() != 1) {
    std::vector<std::string> present;
    for (const internal::TokenInfo& token : tokens) {
      present.push_back(token.Describe());
    }
    const std::string listing =
        present.empty()
            ? "no tokens present"
            : absl::StrCat("tokens present: ", absl::StrJoin(present, "; "));
    if (matches.empty()) {
      return absl::NotFoundError(absl::StrCat("no ", wanted, " in module ",
                                              options.module_path, " (",
                                              listing, ")"));
    }
    return absl::FailedPreconditionError(absl::StrCat(
        "more than one ", wanted, " in module ", options.module_path, " (",
        listing, "); select it by slot_id"));
  }
  const internal::TokenInfo& info = *matches.front();
  if (!info.initialized()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the token in slot ", info.slot_id, " of ",
                     options.module_path, " is not initialised"));
  }
  size_t pool_size = options.session_pool_size;
  if (pool_size == 0)
    pool_size = std::max(1u, std::thread::hardware_concurrency());
  // The PIN is needed only for the login; do not keep it in options_.
  std::string pin = std::exchange(options.pin, std::string());
  absl::StatusOr<std::shared_ptr<Pkcs11Token>> token =
      Pkcs11Token::Open(std::move(module), info, pin, pool_size);
  OPENSSL_cleanse(pin.data(), pin.size());
  if (!token.ok()) return token.status();
  return absl::WrapUnique(
      new Pkcs11Provider(std::move(options), *std::move(token)));
}

std::string Pkcs11Provider::Describe() const {
  return absl::StrCat("pkcs11:", options_.module_path,
                      " token=", token_->info().label);
}

absl::StatusOr<std::unique_ptr<SigningKey>> Pkcs11Provider::LoadSigningKey(
    absl::string_view key_ref) {
  ASSIGN_OR_RETURN(KeyRef ref, ParseKeyRef(key_ref));
  if (ref.type.has_value() && *ref.type != "private") {
    return absl::InvalidArgumentError(
        absl::StrCat("key reference '", key_ref, "' has type=", *ref.type,
                     "; a signing key is type=private"));
  }
  if (!ref.object.has_value() && !ref.id.has_value()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "key reference '", key_ref, "' names neither an object nor an id"));
  }
  RETURN_IF_ERROR(CheckTokenOf(ref, key_ref, *token_));
  const std::string name = KeyName(*token_, ref.Describe());

  ASSIGN_OR_RETURN(Session session, token_->Borrow());
  std::vector<CK_ATTRIBUTE> query = {AttrOf(CKA_CLASS, kPrivateKeyClass)};
  if (ref.object) query.push_back(AttrBytes(CKA_LABEL, *ref.object));
  if (ref.id) query.push_back(AttrBytes(CKA_ID, *ref.id));
  ASSIGN_OR_RETURN(std::vector<CK_OBJECT_HANDLE> found,
                   token_->Find(session, query, 2));
  if (found.empty()) {
    return absl::NotFoundError(
        absl::StrCat("no private key with ", ref.Describe(), " on ",
                     token_->name(), " (", options_.module_path, ")"));
  }
  if (found.size() > 1) {
    return absl::FailedPreconditionError(
        absl::StrCat("more than one private key with ", ref.Describe(), " on ",
                     token_->name(), "; refer to it by id"));
  }
  const CK_OBJECT_HANDLE key = found.front();
  ASSIGN_OR_RETURN(CK_ULONG key_type,
                   token_->GetUlong(session, key, CKA_KEY_TYPE));
  if (key_type != CKK_EC) {
    return absl::FailedPreconditionError(
        absl::StrCat(name, " is not an EC key (", KeyTypeName(key_type), ")"));
  }
  ASSIGN_OR_RETURN(std::string params,
                   token_->GetBytes(session, key, CKA_EC_PARAMS));
  absl::StatusOr<Curve> curve = internal::CurveFromOidDer(params);
  if (!curve.ok()) return Annotate(curve.status(), name);
  ASSIGN_OR_RETURN(bool can_sign, token_->GetBool(session, key, CKA_SIGN));
  if (!can_sign) {
    return absl::FailedPreconditionError(
        absl::StrCat(name, " does not allow signing (CKA_SIGN is false)"));
  }

  // The public point, from the public key object of the pair.
  ASSIGN_OR_RETURN(std::string id, token_->GetBytes(session, key, CKA_ID));
  ASSIGN_OR_RETURN(std::string label,
                   token_->GetBytes(session, key, CKA_LABEL));
  std::vector<CK_ATTRIBUTE> pub_query = {AttrOf(CKA_CLASS, kPublicKeyClass)};
  if (!id.empty()) {
    pub_query.push_back(AttrBytes(CKA_ID, id));
  } else {
    pub_query.push_back(AttrBytes(CKA_LABEL, label));
  }
  ASSIGN_OR_RETURN(std::vector<CK_OBJECT_HANDLE> pubs,
                   token_->Find(session, pub_query, 1));
  if (pubs.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        name, " has no public key object (CKO_PUBLIC_KEY with ",
        id.empty() ? absl::StrCat("label '", label, "'")
                   : absl::StrCat("id ", PercentEncodeAll(id)),
        "); the public point is needed: store the public key with the same "
        "CKA_ID"));
  }
  absl::StatusOr<std::string> point =
      ReadPublicPoint(*token_, session, pubs.front(), *curve);
  if (!point.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "public key object of ", name, ": ", point.status().message()));
  }
  // Release the session before the pairing check, which borrows its own.
  { Session done = std::move(session); }

  auto handle = std::make_unique<Pkcs11SigningKey>(token_, key, *curve,
                                                   *std::move(point), name);
  // One test signature proves the public object belongs to the private key
  // (a mismatch would only show up as certificates that do not verify).
  ASSIGN_OR_RETURN(EvpPkeyPtr pub, internal::PublicKeyFromPoint(
                                       *curve, handle->public_point()));
  ASSIGN_OR_RETURN(std::string rs, handle->Sign(key_ref));
  if (!internal::EcdsaVerifySha256(pub.get(), key_ref, rs)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the public key object of ", name,
        " does not match the private key (a test signature does not "
        "verify)"));
  }
  return handle;
}

absl::StatusOr<std::unique_ptr<SigningKey>> Pkcs11Provider::GenerateSigningKey(
    absl::string_view label, Curve curve) {
  RETURN_IF_ERROR(ValidateLabel(label));
  absl::MutexLock create_lock(&token_->create_mu());
  ASSIGN_OR_RETURN(Session session, token_->Borrow());
  RETURN_IF_ERROR(CheckNoSigningKey(*token_, session, label));
  ASSIGN_OR_RETURN(std::string id, token_->Random(session, kKeyIdSize));
  const absl::string_view params = internal::CurveOidDer(curve);
  std::vector<CK_ATTRIBUTE> pub_attrs = {
      AttrOf(CKA_TOKEN, kCkTrue),  AttrOf(CKA_PRIVATE, kCkFalse),
      AttrOf(CKA_VERIFY, kCkTrue), AttrBytes(CKA_EC_PARAMS, params),
      AttrBytes(CKA_LABEL, label), AttrBytes(CKA_ID, id),
  };
  std::vector<CK_ATTRIBUTE> priv_attrs = {
      AttrOf(CKA_TOKEN, kCkTrue),     AttrOf(CKA_PRIVATE, kCkTrue),
      AttrOf(CKA_SENSITIVE, kCkTrue), AttrOf(CKA_EXTRACTABLE, kCkFalse),
      AttrOf(CKA_SIGN, kCkTrue),      AttrOf(CKA_DERIVE, kCkFalse),
      AttrBytes(CKA_LABEL, label),    AttrBytes(CKA_ID, id),
  };
  CK_MECHANISM mechanism{CKM_EC_KEY_PAIR_GEN, nullptr, 0};
  CK_OBJECT_HANDLE pub = CK_INVALID_HANDLE;
  CK_OBJECT_HANDLE priv = CK_INVALID_HANDLE;
  const CK_RV rv = token_->fn()->C_GenerateKeyPair(
      session.handle(), &mechanism, pub_attrs.data(), pub_attrs.size(),
      priv_attrs.data(), priv_attrs.size(), &pub, &priv);
  if (rv != CKR_OK) {
    return CkrError(
        rv, absl::StrCat("generating ", CurveName(curve), " key pair '", label,
                         "' on ", token_->name()));
  }
  ASSIGN_OR_RETURN(std::string point,
                   ReadPublicPoint(*token_, session, pub, curve));
  return std::make_unique<Pkcs11SigningKey>(
      token_, priv, curve, std::move(point),
      KeyName(*token_, absl::StrCat("'", label, "'")));
}

absl::StatusOr<std::unique_ptr<SigningKey>> Pkcs11Provider::ImportSigningKey(
    absl::string_view label, absl::string_view private_key) {
  RETURN_IF_ERROR(ValidateLabel(label));
  ASSIGN_OR_RETURN(EvpPkeyPtr key, internal::ParsePrivateKey(private_key));
  absl::StatusOr<Curve> curve = internal::CurveOfKey(key.get());
  if (!curve.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot import key '", label, "': ", curve.status().message()));
  }
  ASSIGN_OR_RETURN(std::string point, internal::PublicPointOf(key.get()));
  ASSIGN_OR_RETURN(std::string scalar, internal::PrivateScalarOf(key.get()));
  absl::Cleanup wipe = [&scalar] {
    OPENSSL_cleanse(scalar.data(), scalar.size());
  };
  key.reset();

  absl::MutexLock create_lock(&token_->create_mu());
  ASSIGN_OR_RETURN(Session session, token_->Borrow());
  RETURN_IF_ERROR(CheckNoSigningKey(*token_, session, label));
  ASSIGN_OR_RETURN(std::string id, token_->Random(session, kKeyIdSize));
  const absl::string_view params = internal::CurveOidDer(*curve);
  std::vector<CK_ATTRIBUTE> priv_attrs = {
      AttrOf(CKA_CLASS, kPrivateKeyClass), AttrOf(CKA_KEY_TYPE, kEcKeyType),
      AttrOf(CKA_TOKEN, kCkTrue),          AttrOf(CKA_PRIVATE, kCkTrue),
      AttrOf(CKA_SENSITIVE, kCkTrue),      AttrOf(CKA_EXTRACTABLE, kCkFalse),
      AttrOf(CKA_SIGN, kCkTrue),           AttrOf(CKA_DERIVE, kCkFalse),
      AttrBytes(CKA_EC_PARAMS, params),    AttrBytes(CKA_VALUE, scalar),
      AttrBytes(CKA_LABEL, label),         AttrBytes(CKA_ID, id),
  };
  CK_OBJECT_HANDLE priv = CK_INVALID_HANDLE;
  CK_RV rv = token_->fn()->C_CreateObject(session.handle(), priv_attrs.data(),
                                          priv_attrs.size(), &priv);
  if (rv != CKR_OK) {
    return CkrError(rv, absl::StrCat("importing private key '", label,
                                     "' into ", token_->name()));
  }
  const std::string ec_point = internal::WrapEcPoint(point);
  std::vector<CK_ATTRIBUTE> pub_attrs = {
      AttrOf(CKA_CLASS, kPublicKeyClass),
      AttrOf(CKA_KEY_TYPE, kEcKeyType),
      AttrOf(CKA_TOKEN, kCkTrue),
      AttrOf(CKA_PRIVATE, kCkFalse),
      AttrOf(CKA_VERIFY, kCkTrue),
      AttrBytes(CKA_EC_PARAMS, params),
      AttrBytes(CKA_EC_POINT, ec_point),
      AttrBytes(CKA_LABEL, label),
      AttrBytes(CKA_ID, id),
  };
  CK_OBJECT_HANDLE pub = CK_INVALID_HANDLE;
  rv = token_->fn()->C_CreateObject(session.handle(), pub_attrs.data(),
                                    pub_attrs.size(), &pub);
  if (rv != CKR_OK) {
    token_->DestroyQuietly(session, priv);
    return CkrError(rv, absl::StrCat("importing public key '", label, "' into ",
                                     token_->name()));
  }
  return std::make_unique<Pkcs11SigningKey>(
      token_, priv, *curve, std::move(point),
      KeyName(*token_, absl::StrCat("'", label, "'")));
}

absl::StatusOr<std::unique_ptr<AgreementKey>>
Pkcs11Provider::GenerateAgreementKey(Curve curve) {
  if (!options_.agreement_in_hsm) {
    return internal::GenerateSoftwareAgreementKey(curve);
  }
  ASSIGN_OR_RETURN(Session session, token_->Borrow());
  const absl::string_view params = internal::CurveOidDer(curve);
  std::vector<CK_ATTRIBUTE> pub_attrs = {
      AttrOf(CKA_TOKEN, kCkFalse),
      AttrOf(CKA_PRIVATE, kCkFalse),
      AttrBytes(CKA_EC_PARAMS, params),
  };
  std::vector<CK_ATTRIBUTE> priv_attrs = {
      AttrOf(CKA_TOKEN, kCkFalse),    AttrOf(CKA_PRIVATE, kCkTrue),
      AttrOf(CKA_SENSITIVE, kCkTrue), AttrOf(CKA_EXTRACTABLE, kCkFalse),
      AttrOf(CKA_DERIVE, kCkTrue),    AttrOf(CKA_SIGN, kCkFalse),
  };
  CK_MECHANISM mechanism{CKM_EC_KEY_PAIR_GEN, nullptr, 0};
  CK_OBJECT_HANDLE pub = CK_INVALID_HANDLE;
  CK_OBJECT_HANDLE priv = CK_INVALID_HANDLE;
  const CK_RV rv = token_->fn()->C_GenerateKeyPair(
      session.handle(), &mechanism, pub_attrs.data(), pub_attrs.size(),
      priv_attrs.data(), priv_attrs.size(), &pub, &priv);
  if (rv != CKR_OK) {
    return CkrError(rv, absl::StrCat("generating a one-time ", CurveName(curve),
                                     " key pair on ", token_->name()));
  }
  absl::StatusOr<std::string> point =
      ReadPublicPoint(*token_, session, pub, curve);
  token_->DestroyQuietly(session, pub);  // Only its point was needed.
  if (!point.ok()) {
    token_->DestroyQuietly(session, priv);
    return point.status();
  }
  return std::make_unique<Pkcs11AgreementKey>(token_, priv, curve,
                                              *std::move(point));
}

absl::StatusOr<std::unique_ptr<SecretKey>> Pkcs11Provider::GetOrCreateSecretKey(
    absl::string_view label) {
  RETURN_IF_ERROR(ValidateLabel(label));
  const std::string name = KeyName(*token_, absl::StrCat("'", label, "'"));
  absl::MutexLock create_lock(&token_->create_mu());
  ASSIGN_OR_RETURN(Session session, token_->Borrow());
  ASSIGN_OR_RETURN(std::vector<CK_OBJECT_HANDLE> found,
                   token_->Find(session,
                                {AttrOf(CKA_CLASS, kSecretKeyClass),
                                 AttrBytes(CKA_LABEL, label)},
                                2));
  if (found.size() > 1) {
    return absl::FailedPreconditionError(absl::StrCat(
        "more than one secret key labelled '", label, "' on ", token_->name()));
  }
  if (found.size() == 1) {
    ASSIGN_OR_RETURN(CK_ULONG key_type,
                     token_->GetUlong(session, found[0], CKA_KEY_TYPE));
    ASSIGN_OR_RETURN(CK_ULONG size,
                     token_->GetUlong(session, found[0], CKA_VALUE_LEN));
    if (key_type != CKK_AES || size != kAesKeySize) {
      return absl::FailedPreconditionError(
          absl::StrCat("secret ", name, " is not an AES-256 key (",
                       KeyTypeName(key_type), ", ", size, " bytes)"));
    }
    return std::make_unique<Pkcs11SecretKey>(token_, found[0], name);
  }
  ASSIGN_OR_RETURN(std::string id, token_->Random(session, kKeyIdSize));
  std::vector<CK_ATTRIBUTE> attrs = {
      AttrOf(CKA_CLASS, kSecretKeyClass),
      AttrOf(CKA_KEY_TYPE, kAesKeyType),
      AttrOf(CKA_TOKEN, kCkTrue),
      AttrOf(CKA_PRIVATE, kCkTrue),
      AttrOf(CKA_SENSITIVE, kCkTrue),
      AttrOf(CKA_EXTRACTABLE, kCkFalse),
      AttrOf(CKA_ENCRYPT, kCkTrue),
      AttrOf(CKA_DECRYPT, kCkTrue),
      AttrOf(CKA_WRAP, kCkFalse),
      AttrOf(CKA_UNWRAP, kCkFalse),
      AttrOf(CKA_VALUE_LEN, kAesKeySize),
      AttrBytes(CKA_LABEL, label),
      AttrBytes(CKA_ID, id),
  };
  CK_MECHANISM mechanism{CKM_AES_KEY_GEN, nullptr, 0};
  CK_OBJECT_HANDLE key = CK_INVALID_HANDLE;
  const CK_RV rv = token_->fn()->C_GenerateKey(
      session.handle(), &mechanism, attrs.data(), attrs.size(), &key);
  if (rv != CKR_OK) {
    return CkrError(rv, absl::StrCat("generating AES-256 ", name));
  }
  return std::make_unique<Pkcs11SecretKey>(token_, key, name);
}

absl::StatusOr<std::string> Pkcs11Provider::RandomBytes(size_t n) {
  if (n > kMaxRandomBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "RandomBytes: ", n, " bytes requested, at most ", kMaxRandomBytes));
  }
  ASSIGN_OR_RETURN(Session session, token_->Borrow());
  return token_->Random(session, n);
}

// ---- token initialisation ----

absl::Status InitializeToken(absl::string_view module_path,
                             absl::string_view label, absl::string_view so_pin,
                             absl::string_view user_pin) {
  if (label.empty() || label.size() > kTokenLabelSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("token label must be 1 to ", kTokenLabelSize,
                     " bytes, got ", label.size()));
  }
  if (so_pin.empty() || user_pin.empty()) {
    return absl::InvalidArgumentError("token SO PIN and user PIN must be set");
  }
  ASSIGN_OR_RETURN(std::shared_ptr<Pkcs11Module> module,
                   Pkcs11Module::Load(module_path));
  CK_FUNCTION_LIST* fn = module->functions();
  ASSIGN_OR_RETURN(std::vector<internal::TokenInfo> tokens,
                   module->ListTokens());
  const internal::TokenInfo* free_slot = nullptr;
  for (const internal::TokenInfo& token : tokens) {
    if (token.initialized() && token.label == label) {
      return absl::AlreadyExistsError(
          absl::StrCat("a token labelled '", label, "' already exists in ",
                       token.Describe(), " of ", module_path));
    }
    if (!token.initialized() && free_slot == nullptr) free_slot = &token;
  }
  if (free_slot == nullptr) {
    return absl::ResourceExhaustedError(
        absl::StrCat("no slot with an uninitialised token in ", module_path));
  }
  std::string padded(label.data(), label.size());
  padded.resize(kTokenLabelSize, ' ');
  std::string so(so_pin.data(), so_pin.size());
  std::string user(user_pin.data(), user_pin.size());
  absl::Cleanup wipe = [&so, &user] {
    OPENSSL_cleanse(so.data(), so.size());
    OPENSSL_cleanse(user.data(), user.size());
  };
  CK_RV rv = fn->C_InitToken(
      free_slot->slot_id, reinterpret_cast<CK_UTF8CHAR*>(so.data()), so.size(),
      reinterpret_cast<CK_UTF8CHAR*>(padded.data()));
  if (rv != CKR_OK) {
    return CkrError(rv, absl::StrCat("C_InitToken '", label, "' in slot ",
                                     free_slot->slot_id, " of ", module_path));
  }
  // Some modules move an initialised token to another slot id: find it again.
  ASSIGN_OR_RETURN(tokens, module->ListTokens());
  const internal::TokenInfo* created = nullptr;
  for (const internal::TokenInfo& token : tokens) {
    if (token.initialized() && token.label == label) created = &token;
  }
  if (created == nullptr) {
    return absl::InternalError(absl::StrCat(
        "token '", label, "' not found after C_InitToken in ", module_path));
  }
  CK_SESSION_HANDLE session = CK_INVALID_HANDLE;
  rv = fn->C_OpenSession(created->slot_id, CKF_SERIAL_SESSION | CKF_RW_SESSION,
                         nullptr, nullptr, &session);
  if (rv != CKR_OK) {
    return CkrError(
        rv, absl::StrCat("opening a session on new token '", label, "'"));
  }
  absl::Cleanup close = [fn, session] { fn->C_CloseSession(session); };
  rv = fn->C_Login(session, CKU_SO, reinterpret_cast<CK_UTF8CHAR*>(so.data()),
                   so.size());
  if (rv != CKR_OK) {
    return CkrError(rv, absl::StrCat("SO login to new token '", label, "'"));
  }
  rv = fn->C_InitPIN(session, reinterpret_cast<CK_UTF8CHAR*>(user.data()),
                     user.size());
  // Logout regardless; the session closes next.
  (void)fn->C_Logout(session);
  if (rv != CKR_OK) {
    return CkrError(rv, absl::StrCat("C_InitPIN on new token '", label, "'"));
  }
  return absl::OkStatus();
}

}  // namespace smdp::hsm
