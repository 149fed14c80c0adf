#include "sgp22/bsp/bsp_decoder.h"

#include <openssl/crypto.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "sgp22/bsp/internal/bsp_crypto.h"
#include "util/status_macros.h"

namespace smdp::bsp {
namespace {

// Parses a minimal DER definite length at the front of `in` (after the tag).
// Returns the length and sets `*field_size`.
absl::StatusOr<size_t> ParseLength(absl::string_view in, size_t* field_size) {
  if (in.empty()) return absl::InvalidArgumentError("TLV has no length");
  const auto first = static_cast<uint8_t>(in[0]);
  if (first < 0x80) {
    *field_size = 1;
    return first;
  }
  if (first == 0x81) {
    if (in.size() < 2) return absl::InvalidArgumentError("truncated length");
    const auto len = static_cast<uint8_t>(in[1]);
    if (len < 0x80) return absl::InvalidArgumentError("non-minimal length");
    *field_size = 2;
    return len;
  }
  if (first == 0x82) {
    if (in.size() < 3) return absl::InvalidArgumentError("truncated length");
    const size_t len = (static_cast<size_t>(static_cast<uint8_t>(in[1])) << 8) |
                       static_cast<uint8_t>(in[2]);
    if (len <= 0xff) return absl::InvalidArgumentError("non-minimal length");
    *field_size = 3;
    return len;
  }
  return absl::InvalidArgumentError(
      absl::StrFormat("unsupported length form %02X in a BSP TLV", first));
}

}  // namespace

absl::StatusOr<BspDecoder> BspDecoder::Create(const BspKeys& keys) {
  ASSIGN_OR_RETURN(internal::BspCrypto crypto,
                   internal::BspCrypto::Create(
                       keys, internal::BspCrypto::Direction::kDecrypt));
  return BspDecoder(std::make_unique<internal::BspCrypto>(std::move(crypto)));
}

BspDecoder::BspDecoder(std::unique_ptr<internal::BspCrypto> crypto)
    : crypto_(std::move(crypto)) {}

BspDecoder::BspDecoder(BspDecoder&&) noexcept = default;
BspDecoder& BspDecoder::operator=(BspDecoder&&) noexcept = default;
BspDecoder::~BspDecoder() = default;

absl::Status BspDecoder::DecodeOne(uint8_t tag, bool encrypted,
                                   absl::string_view* in, std::string* out) {
  if (in->empty()) return absl::InvalidArgumentError("missing BSP TLV");
  const auto actual_tag = static_cast<uint8_t>((*in)[0]);
  if (actual_tag != tag) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "BSP TLV has tag %02X, expected %02X", actual_tag, tag));
  }
  size_t length_size = 0;
  ASSIGN_OR_RETURN(size_t body, ParseLength(in->substr(1), &length_size));
  const size_t head = 1 + length_size;
  if (in->size() - head < body) {
    return absl::InvalidArgumentError(
        absl::StrCat("BSP TLV length ", body, " exceeds the ",
                     in->size() - head, " bytes left"));
  }
  if (head + body > kMaxSegmentSize) {
    return absl::InvalidArgumentError(absl::StrCat(
        "BSP TLV of ", head + body, " bytes exceeds ", kMaxSegmentSize));
  }
  if (body < kMacSize) {
    return absl::InvalidArgumentError("BSP TLV is shorter than its MAC");
  }
  const size_t data_size = body - kMacSize;
  if (encrypted && (data_size == 0 || data_size % kBlockSize != 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("encrypted BSP TLV carries ", data_size,
                     " bytes, not a non-zero multiple of 16"));
  }
  const absl::string_view tlv_head = in->substr(0, head + data_size);
  const absl::string_view received_mac = in->substr(head + data_size, kMacSize);
  uint8_t mac[kMacSize];
  RETURN_IF_ERROR(crypto_->Mac(tlv_head, mac));
  if (CRYPTO_memcmp(mac, received_mac.data(), kMacSize) != 0) {
    return absl::DataLossError(absl::StrCat(
        "BSP MAC verification failed at block counter ", counter_));
  }
  const absl::string_view data = in->substr(head, data_size);
  if (encrypted) {
    RETURN_IF_ERROR(crypto_->DecryptPadded(counter_, data, out));
  } else {
    out->append(data.data(), data.size());
  }
  ++counter_;
  in->remove_prefix(head + body);
  return absl::OkStatus();
}

absl::Status BspDecoder::DecodeAll(uint8_t tag, bool encrypted,
                                   bool exactly_one, absl::string_view in,
                                   std::string* out) {
  if (crypto_ == nullptr) {
    return absl::FailedPreconditionError("BspDecoder was moved from");
  }
  if (poisoned_) {
    return absl::FailedPreconditionError(
        "BspDecoder is out of step after an earlier error");
  }
  if (encrypted ? (tag != kTagProfileSegment && tag != kTagEncryptedCommand)
                : tag != kTagMacOnly) {
    return absl::InvalidArgumentError(
        absl::StrFormat("tag %02X is not a BSP %s tag", tag,
                        encrypted ? "encrypted" : "MAC-only"));
  }
  if (in.empty()) return absl::InvalidArgumentError("no BSP TLV");
  absl::Status status;
  do {
    status = DecodeOne(tag, encrypted, &in, out);
  } while (status.ok() && !exactly_one && !in.empty());
  if (status.ok() && !in.empty()) {
    status = absl::InvalidArgumentError(
        absl::StrCat(in.size(), " bytes after the BSP TLV"));
  }
  if (!status.ok()) poisoned_ = true;
  return status;
}

absl::StatusOr<std::string> BspDecoder::DecryptSegment(uint8_t tag,
                                                       absl::string_view tlv) {
  std::string out;
  RETURN_IF_ERROR(
      DecodeAll(tag, /*encrypted=*/true, /*exactly_one=*/true, tlv, &out));
  return out;
}

absl::StatusOr<std::string> BspDecoder::VerifyMacOnlySegment(
    uint8_t tag, absl::string_view tlv) {
  std::string out;
  RETURN_IF_ERROR(
      DecodeAll(tag, /*encrypted=*/false, /*exactly_one=*/true, tlv, &out));
  return out;
}

absl::StatusOr<std::string> BspDecoder::DecryptSegments(
    uint8_t tag, absl::string_view tlvs) {
  std::string out;
  out.reserve(tlvs.size());
  RETURN_IF_ERROR(
      DecodeAll(tag, /*encrypted=*/true, /*exactly_one=*/false, tlvs, &out));
  return out;
}

absl::StatusOr<std::string> BspDecoder::VerifyMacOnlySegments(
    uint8_t tag, absl::string_view tlvs) {
  std::string out;
  out.reserve(tlvs.size());
  RETURN_IF_ERROR(
      DecodeAll(tag, /*encrypted=*/false, /*exactly_one=*/false, tlvs, &out));
  return out;
}

absl::StatusOr<BspKeys> BspDecoder::DecryptReplaceSessionKeys(
    absl::string_view tlvs) {
  std::string plain;
  RETURN_IF_ERROR(DecodeAll(kTagEncryptedCommand, /*encrypted=*/true,
                            /*exactly_one=*/true, tlvs, &plain));
  // BF26 36 { 80 10 initialMacChainingValue, 81 10 ppkEnc, 82 10 ppkCmac }
  constexpr size_t kField = 2 + kBspKeySize;
  absl::StatusOr<BspKeys> keys =
      absl::InvalidArgumentError("not a ReplaceSessionKeysRequest");
  const absl::string_view p = plain;
  if (p.size() == 3 + 3 * kField && p.substr(0, 3) == "\xBF\x26\x36" &&
      p.substr(3, 2) == "\x80\x10" && p.substr(3 + kField, 2) == "\x81\x10" &&
      p.substr(3 + 2 * kField, 2) == "\x82\x10") {
    keys = BspKeys::FromBytes(p.substr(3 + kField + 2, kBspKeySize),
                              p.substr(3 + 2 * kField + 2, kBspKeySize),
                              p.substr(5, kBspKeySize));
  }
  OPENSSL_cleanse(plain.data(), plain.size());
  return keys;
}

absl::StatusOr<UnprotectedBpp> UnprotectBppSequences(
    const BspKeys& session_keys, absl::string_view first_sequence_of_87,
    absl::string_view sequence_of_88,
    std::optional<absl::string_view> second_sequence_of_87,
    absl::string_view sequence_of_86) {
  UnprotectedBpp bpp;
  ASSIGN_OR_RETURN(BspDecoder session, BspDecoder::Create(session_keys));
  ASSIGN_OR_RETURN(
      bpp.configure_isdp,
      session.DecryptSegments(kTagEncryptedCommand, first_sequence_of_87));
  ASSIGN_OR_RETURN(bpp.store_metadata,
                   session.VerifyMacOnlySegments(kTagMacOnly, sequence_of_88));
  if (second_sequence_of_87.has_value()) {
    ASSIGN_OR_RETURN(bpp.ppk,
                     session.DecryptReplaceSessionKeys(*second_sequence_of_87));
    ASSIGN_OR_RETURN(BspDecoder profile_decoder, BspDecoder::Create(*bpp.ppk));
    ASSIGN_OR_RETURN(bpp.profile, profile_decoder.DecryptSegments(
                                      kTagProfileSegment, sequence_of_86));
  } else {
    ASSIGN_OR_RETURN(bpp.profile, session.DecryptSegments(kTagProfileSegment,
                                                          sequence_of_86));
  }
  return bpp;
}

}  // namespace smdp::bsp
