#include "sgp22/bsp/bsp_encoder.h"

#include <openssl/crypto.h>

#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "sgp22/bsp/internal/bsp_crypto.h"
#include "util/status_macros.h"

namespace smdp::bsp {
namespace {

absl::Status CheckEncryptedTag(uint8_t tag) {
  if (tag != kTagProfileSegment && tag != kTagEncryptedCommand) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "tag %02X is not an encrypted BSP tag (86 or 87)", tag));
  }
  return absl::OkStatus();
}

absl::Status CheckMacOnlyTag(uint8_t tag) {
  if (tag != kTagMacOnly) {
    return absl::InvalidArgumentError(
        absl::StrFormat("tag %02X is not the MAC-only BSP tag 88", tag));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<BspEncoder> BspEncoder::Create(const BspKeys& keys) {
  ASSIGN_OR_RETURN(internal::BspCrypto crypto,
                   internal::BspCrypto::Create(
                       keys, internal::BspCrypto::Direction::kEncrypt));
  return BspEncoder(std::make_unique<internal::BspCrypto>(std::move(crypto)));
}

BspEncoder::BspEncoder(std::unique_ptr<internal::BspCrypto> crypto)
    : crypto_(std::move(crypto)) {}

BspEncoder::BspEncoder(BspEncoder&&) noexcept = default;
BspEncoder& BspEncoder::operator=(BspEncoder&&) noexcept = default;
BspEncoder::~BspEncoder() = default;

absl::Status BspEncoder::CheckUsable() const {
  if (crypto_ == nullptr) {
    return absl::FailedPreconditionError("BspEncoder was moved from");
  }
  if (poisoned_) {
    return absl::FailedPreconditionError(
        "BspEncoder is unusable after an earlier crypto failure");
  }
  return absl::OkStatus();
}

absl::Status BspEncoder::EncryptOne(uint8_t tag, absl::string_view plaintext,
                                    std::string* out) {
  const size_t padded = internal::BspCrypto::PaddedSize(plaintext.size());
  const size_t body = padded + kMacSize;
  const size_t old_size = out->size();
  out->resize(old_size + 1 + LengthFieldSize(body) + body);
  auto* tlv = reinterpret_cast<uint8_t*>(out->data() + old_size);
  tlv[0] = tag;
  const size_t head = 1 + internal::WriteLength(body, tlv + 1);
  absl::Status status = crypto_->EncryptPadded(counter_, plaintext, tlv + head);
  if (status.ok()) {
    status = crypto_->Mac(
        absl::string_view(reinterpret_cast<const char*>(tlv), head + padded),
        tlv + head + padded);
  }
  if (!status.ok()) {
    poisoned_ = true;
    out->resize(old_size);
    return status;
  }
  ++counter_;
  return absl::OkStatus();
}

absl::Status BspEncoder::MacOne(uint8_t tag, absl::string_view data,
                                std::string* out) {
  const size_t body = data.size() + kMacSize;
  const size_t old_size = out->size();
  out->resize(old_size + 1 + LengthFieldSize(body) + body);
  auto* tlv = reinterpret_cast<uint8_t*>(out->data() + old_size);
  tlv[0] = tag;
  const size_t head = 1 + internal::WriteLength(body, tlv + 1);
  if (!data.empty()) std::memcpy(tlv + head, data.data(), data.size());
  absl::Status status = crypto_->Mac(
      absl::string_view(reinterpret_cast<const char*>(tlv), head + data.size()),
      tlv + head + data.size());
  if (!status.ok()) {
    poisoned_ = true;
    out->resize(old_size);
    return status;
  }
  // The block counter counts MAC-only TLVs too (SGP.22 2.6.4.5).
  ++counter_;
  return absl::OkStatus();
}

absl::Status BspEncoder::AppendEncrypted(uint8_t tag,
                                         absl::string_view plaintext,
                                         std::string* out) {
  RETURN_IF_ERROR(CheckUsable());
  RETURN_IF_ERROR(CheckEncryptedTag(tag));
  if (plaintext.size() > kMaxEncryptedPlaintext) {
    return absl::InvalidArgumentError(
        absl::StrCat("an encrypted BSP segment carries at most ",
                     kMaxEncryptedPlaintext, " bytes, got ", plaintext.size()));
  }
  return EncryptOne(tag, plaintext, out);
}

absl::Status BspEncoder::AppendMacOnly(uint8_t tag, absl::string_view data,
                                       std::string* out) {
  RETURN_IF_ERROR(CheckUsable());
  RETURN_IF_ERROR(CheckMacOnlyTag(tag));
  if (data.size() > kMaxMacOnlyData) {
    return absl::InvalidArgumentError(
        absl::StrCat("a MAC-only BSP segment carries at most ", kMaxMacOnlyData,
                     " bytes, got ", data.size()));
  }
  return MacOne(tag, data, out);
}

absl::Status BspEncoder::AppendEncryptedSegments(uint8_t tag,
                                                 absl::string_view data,
                                                 std::string* out) {
  RETURN_IF_ERROR(CheckUsable());
  RETURN_IF_ERROR(CheckEncryptedTag(tag));
  const size_t old_size = out->size();
  out->reserve(old_size + EncryptedSegmentsSize(data.size()));
  for (size_t pos = 0; pos < data.size(); pos += kMaxEncryptedPlaintext) {
    absl::Status status =
        EncryptOne(tag, data.substr(pos, kMaxEncryptedPlaintext), out);
    if (!status.ok()) {
      out->resize(old_size);
      return status;
    }
  }
  return absl::OkStatus();
}

absl::Status BspEncoder::AppendMacOnlySegments(uint8_t tag,
                                               absl::string_view data,
                                               std::string* out) {
  RETURN_IF_ERROR(CheckUsable());
  RETURN_IF_ERROR(CheckMacOnlyTag(tag));
  const size_t old_size = out->size();
  out->reserve(old_size + MacOnlySegmentsSize(data.size()));
  for (size_t pos = 0; pos < data.size(); pos += kMaxMacOnlyData) {
    absl::Status status = MacOne(tag, data.substr(pos, kMaxMacOnlyData), out);
    if (!status.ok()) {
      out->resize(old_size);
      return status;
    }
  }
  return absl::OkStatus();
}

absl::Status BspEncoder::AppendReplaceSessionKeys(const BspKeys& ppk,
                                                  std::string* out) {
  // BF26 36 { 80 10 initialMacChainingValue, 81 10 ppkEnc, 82 10 ppkCmac }
  constexpr size_t kFieldSize = 2 + kBspKeySize;
  constexpr size_t kSize = 3 + 3 * kFieldSize;
  static_assert(3 * kFieldSize < 0x80);
  char request[kSize];
  size_t pos = 0;
  request[pos++] = static_cast<char>(0xBF);
  request[pos++] = 0x26;
  request[pos++] = static_cast<char>(3 * kFieldSize);
  const BspKeys::Key* fields[] = {&ppk.initial_mac_chaining_value, &ppk.enc,
                                  &ppk.mac};
  for (int i = 0; i < 3; ++i) {
    request[pos++] = static_cast<char>(0x80 + i);
    request[pos++] = static_cast<char>(kBspKeySize);
    std::memcpy(request + pos, fields[i]->data(), kBspKeySize);
    pos += kBspKeySize;
  }
  absl::Status status = AppendEncrypted(kTagEncryptedCommand,
                                        absl::string_view(request, kSize), out);
  OPENSSL_cleanse(request, sizeof(request));
  return status;
}

absl::StatusOr<std::string> BspEncoder::EncryptAndMac(
    uint8_t tag, absl::string_view plaintext) {
  std::string out;
  RETURN_IF_ERROR(AppendEncrypted(tag, plaintext, &out));
  return out;
}

absl::StatusOr<std::string> BspEncoder::MacOnly(uint8_t tag,
                                                absl::string_view data) {
  std::string out;
  RETURN_IF_ERROR(AppendMacOnly(tag, data, &out));
  return out;
}

absl::StatusOr<std::vector<std::string>> BspEncoder::SegmentAndEncrypt(
    uint8_t tag, absl::string_view data) {
  RETURN_IF_ERROR(CheckUsable());
  RETURN_IF_ERROR(CheckEncryptedTag(tag));
  std::vector<std::string> segments;
  segments.reserve(EncryptedSegmentCount(data.size()));
  for (size_t pos = 0; pos < data.size(); pos += kMaxEncryptedPlaintext) {
    std::string& segment = segments.emplace_back();
    RETURN_IF_ERROR(
        EncryptOne(tag, data.substr(pos, kMaxEncryptedPlaintext), &segment));
  }
  return segments;
}

absl::StatusOr<std::vector<std::string>> BspEncoder::SegmentAndMac(
    uint8_t tag, absl::string_view data) {
  RETURN_IF_ERROR(CheckUsable());
  RETURN_IF_ERROR(CheckMacOnlyTag(tag));
  std::vector<std::string> segments;
  segments.reserve(MacOnlySegmentCount(data.size()));
  for (size_t pos = 0; pos < data.size(); pos += kMaxMacOnlyData) {
    std::string& segment = segments.emplace_back();
    RETURN_IF_ERROR(MacOne(tag, data.substr(pos, kMaxMacOnlyData), &segment));
  }
  return segments;
}

}  // namespace smdp::bsp
