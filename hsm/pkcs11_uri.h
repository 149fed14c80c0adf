// Key references: a plain label or an RFC 7512 PKCS#11 URI.
//
// Every CryptoProvider method that loads a key takes a reference string:
//
//   "dpauth-nist"                                  a label (CKA_LABEL)
//   "pkcs11:object=dpauth-nist;type=private"       the same, as a URI
//   "pkcs11:token=smdp;id=%01%02"                  by CKA_ID on token "smdp"
//
//   ASSIGN_OR_RETURN(KeyRef ref, ParseKeyRef(key_ref));
//
// Supported URI path attributes: token, manufacturer, serial, model,
// slot-id, object, id, type. Values are percent-decoded. Query attributes
// (pin-value, pin-source, module-path, module-name) are refused: the module
// and PIN come from the provider's options, never from a key reference.
// Any other attribute is an error that names it.
//
// Thread-safety: pure functions, safe from any thread.
#ifndef SMDP_HSM_PKCS11_URI_H_
#define SMDP_HSM_PKCS11_URI_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace smdp::hsm {

// A parsed key reference. Every field is optional; a plain label sets only
// `object`.
struct KeyRef {
  std::optional<std::string> token;         // token label
  std::optional<std::string> manufacturer;  // token manufacturer ID
  std::optional<std::string> serial;        // token serial number
  std::optional<std::string> model;         // token model
  std::optional<unsigned long> slot_id;     // slot-id (decimal)
  std::optional<std::string> object;        // object label (CKA_LABEL)
  std::optional<std::string> id;            // object ID (CKA_ID), raw bytes
  // Object class: "private", "public", "secret-key", "cert" or "data".
  std::optional<std::string> type;

  // A readable description for messages: "label 'dpauth'" or
  // "id %01%02 (label 'x')". Contains only what the reference contains.
  std::string Describe() const;
};

// Parses a key reference: a string starting with "pkcs11:" (scheme
// case-insensitive) is parsed as an RFC 7512 URI, anything else is a plain
// label. InvalidArgument for an empty reference, a malformed URI (bad
// percent-escape, duplicate or empty attribute, unknown or unsupported
// attribute, invalid type or slot-id), naming the offending part.
[[nodiscard]] absl::StatusOr<KeyRef> ParseKeyRef(absl::string_view ref);

// Percent-encodes every byte of `bytes` (%01%02..), as an id is written in
// a PKCS#11 URI.
std::string PercentEncodeAll(absl::string_view bytes);

}  // namespace smdp::hsm

#endif  // SMDP_HSM_PKCS11_URI_H_
