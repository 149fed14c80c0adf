// The segment format of the BSP (BPP protection protocol, SGP.22 2.5.5 and
// 2.6.4.4 to 2.6.4.6): tags, size limits, and the sizes of protected data.
//
// A Bound Profile Package carries its protected parts as TLVs:
//   87  ConfigureISDPRequest and ReplaceSessionKeysRequest: encrypted + MAC
//   88  StoreMetadataRequest: MAC only
//   86  the profile (Protected Profile Package): encrypted + MAC
// Each TLV is at most 1020 bytes including its tag, its length (DER definite
// form, minimal: 1, 2 or 3 bytes) and its 8-byte MAC. Encryption pads with
// 80 00.. to a multiple of 16 (always 1 to 16 bytes), so an encrypted TLV
// carries at most 1007 plaintext bytes (1 + 3 + 1008 + 8 = 1020) and a
// MAC-only TLV at most 1008.
//
// These limits match the segments a third-party SM-DP+ produced in the trace
// that osmocom pySim keeps as test vectors (86 segments of 1007 plaintext
// bytes, 1020 bytes each; length fields 18, 38, 48, 82 03 f8).
#ifndef SMDP_SGP22_BSP_BSP_FORMAT_H_
#define SMDP_SGP22_BSP_BSP_FORMAT_H_

#include <cstddef>
#include <cstdint>

namespace smdp::bsp {

// Tag of the encrypted profile segments (sequenceOf86).
inline constexpr uint8_t kTagProfileSegment = 0x86;
// Tag of the encrypted commands ConfigureISDP and ReplaceSessionKeys
// (firstSequenceOf87, secondSequenceOf87).
inline constexpr uint8_t kTagEncryptedCommand = 0x87;
// Tag of the MAC-only StoreMetadata segments (sequenceOf88).
inline constexpr uint8_t kTagMacOnly = 0x88;

// Largest protected TLV, tag, length and MAC included.
inline constexpr size_t kMaxSegmentSize = 1020;
// Size of the MAC at the end of every protected TLV.
inline constexpr size_t kMacSize = 8;
// AES block size: the unit of padding.
inline constexpr size_t kBlockSize = 16;
// Most plaintext bytes in one encrypted (86/87) TLV.
inline constexpr size_t kMaxEncryptedPlaintext = 1007;
// Most data bytes in one MAC-only (88) TLV.
inline constexpr size_t kMaxMacOnlyData = 1008;

// Size of a DER definite length field for `length` (1, 2 or 3 bytes for
// lengths up to 65535).
constexpr size_t LengthFieldSize(size_t length) {
  return length < 0x80 ? 1 : length <= 0xff ? 2 : 3;
}

// Size of one encrypted TLV for `plaintext_size` (<= 1007) bytes.
constexpr size_t EncryptedSegmentSize(size_t plaintext_size) {
  const size_t body = (plaintext_size / kBlockSize + 1) * kBlockSize + kMacSize;
  return 1 + LengthFieldSize(body) + body;
}

// Size of one MAC-only TLV for `data_size` (<= 1008) bytes.
constexpr size_t MacOnlySegmentSize(size_t data_size) {
  const size_t body = data_size + kMacSize;
  return 1 + LengthFieldSize(body) + body;
}

// Number of encrypted TLVs that carry `data_size` bytes (0 for none).
constexpr size_t EncryptedSegmentCount(size_t data_size) {
  return (data_size + kMaxEncryptedPlaintext - 1) / kMaxEncryptedPlaintext;
}

// Number of MAC-only TLVs that carry `data_size` bytes (0 for none).
constexpr size_t MacOnlySegmentCount(size_t data_size) {
  return (data_size + kMaxMacOnlyData - 1) / kMaxMacOnlyData;
}

// Total size of the encrypted TLVs that carry `data_size` bytes, split into
// full 1007-byte segments and one shorter last segment.
constexpr size_t EncryptedSegmentsSize(size_t data_size) {
  const size_t full = data_size / kMaxEncryptedPlaintext;
  const size_t rest = data_size % kMaxEncryptedPlaintext;
  return full * kMaxSegmentSize + (rest ? EncryptedSegmentSize(rest) : 0);
}

// Total size of the MAC-only TLVs that carry `data_size` bytes.
constexpr size_t MacOnlySegmentsSize(size_t data_size) {
  const size_t full = data_size / kMaxMacOnlyData;
  const size_t rest = data_size % kMaxMacOnlyData;
  return full * kMaxSegmentSize + (rest ? MacOnlySegmentSize(rest) : 0);
}

static_assert(EncryptedSegmentSize(kMaxEncryptedPlaintext) == kMaxSegmentSize);
static_assert(EncryptedSegmentSize(kMaxEncryptedPlaintext + 1) >
              kMaxSegmentSize);
static_assert(MacOnlySegmentSize(kMaxMacOnlyData) == kMaxSegmentSize);

}  // namespace smdp::bsp

#endif  // SMDP_SGP22_BSP_BSP_FORMAT_H_
