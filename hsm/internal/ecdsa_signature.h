// Conversions between the two encodings of an ECDSA signature.
//
// SGP.22 carries signatures as plain r||s (BSI TR-03111, 2 x 32 bytes);
// X.509, TLS and OpenSSL use the DER ECDSA-Sig-Value SEQUENCE { r INTEGER,
// s INTEGER }.
//
//   ASSIGN_OR_RETURN(std::string der, PlainToDerSignature(rs));
//
// Thread-safety: pure functions, safe from any thread.
#ifndef SMDP_HSM_INTERNAL_ECDSA_SIGNATURE_H_
#define SMDP_HSM_INTERNAL_ECDSA_SIGNATURE_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace smdp::hsm::internal {

// Encodes a plain r||s signature (two equal halves, each `rs.size() / 2`
// bytes, big-endian) as DER. InvalidArgument when `rs` is empty or of odd
// length.
[[nodiscard]] absl::StatusOr<std::string> PlainToDerSignature(
    absl::string_view rs);

// Decodes a DER ECDSA-Sig-Value into plain r||s, each half left-padded to
// `coordinate_size` bytes. InvalidArgument when the DER is malformed, has
// trailing bytes, or r or s does not fit.
[[nodiscard]] absl::StatusOr<std::string> DerToPlainSignature(
    absl::string_view der, size_t coordinate_size);

}  // namespace smdp::hsm::internal

#endif  // SMDP_HSM_INTERNAL_ECDSA_SIGNATURE_H_
