#include "smdp/download/signed_data.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "sgp22/types.h"

namespace smdp::download {
namespace {

std::string Sha256(absl::string_view data) {
  std::string out(SHA256_DIGEST_LENGTH, '\0');
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(),
         reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

std::string Concat(absl::string_view a, absl::string_view b) {
  std::string out;
  out.reserve(a.size() + b.size());
  out.append(a.data(), a.size());
  out.append(b.data(), b.size());
  return out;
}

}  // namespace

std::string SmdpSignature2Input(absl::string_view smdp_signed2_der,
                                absl::string_view euicc_signature1) {
  return Concat(smdp_signed2_der, sgp22::EncodeSignatureTlv(euicc_signature1));
}

std::string EuiccSignature2Input(absl::string_view euicc_signed2_der,
                                 absl::string_view smdp_signature2) {
  return Concat(euicc_signed2_der, sgp22::EncodeSignatureTlv(smdp_signature2));
}

std::string HashCcFromCodeHash(absl::string_view code_sha256,
                               absl::string_view transaction_id) {
  std::string data = Concat(code_sha256, transaction_id);
  return Sha256(data);
}

std::string HashConfirmationCode(absl::string_view confirmation_code,
                                 absl::string_view transaction_id) {
  return HashCcFromCodeHash(Sha256(confirmation_code), transaction_id);
}

bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  return a.size() == b.size() &&
         CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace smdp::download
