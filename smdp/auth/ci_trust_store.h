// The GSMA Certificate Issuers (CIs) the server trusts, looked up by key id.
//
// Every certificate chain of the RSP ecosystem ends at a CI; the eUICC names
// the CIs it knows by their subjectKeyIdentifier (euiccCiPKId, 20 bytes), and
// a certificate names its issuer's key in its authorityKeyIdentifier. The
// store holds several CIs at once (e.g. the GSMA CI and a test CI, or a NIST
// and a brainpool CI).
//
//   CiTrustStore store;
//   RETURN_IF_ERROR(store.Add(gsma_ci_der));
//   RETURN_IF_ERROR(store.Add(test_ci_der));
//   auto trust = std::make_shared<const CiTrustStore>(std::move(store));
//   if (const TrustedCi* ci = trust->Find(euicc_ci_pk_id)) { ... }
//
// Add() accepts a CI certificate only when it is a self-signed SGP.22 CI:
// issuer == subject, a subjectKeyIdentifier (and an authorityKeyIdentifier,
// if any, equal to it), basicConstraints cA, keyUsage keyCertSign, the CI
// policy 2.23.146.1.2.1.0, and a signature that verifies with its own key.
// Its validity period is not checked, here or when chains are verified: a
// trust anchor is configuration (RFC 5280 6.1.1), and replacing an expired CI
// is an operator's decision, not a per-request error.
//
// Thread-safety: Add() must not run concurrently with anything else; the
// const methods may be called from many threads once the store is built
// (share it as std::shared_ptr<const CiTrustStore>).
#ifndef SMDP_SMDP_AUTH_CI_TRUST_STORE_H_
#define SMDP_SMDP_AUTH_CI_TRUST_STORE_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "smdp/auth/certificate.h"
#include "smdp/auth/public_key.h"

namespace smdp::auth {

// A trusted CI: its certificate, its public key (imported once), and its key
// id.
struct TrustedCi {
  Certificate certificate;
  PublicKey public_key;
  // The subjectKeyIdentifier (raw bytes): the euiccCiPKId.
  std::string key_id;
};

// A set of trusted CIs. See the file comment.
class CiTrustStore {
 public:
  CiTrustStore() = default;

  // A store with every certificate of `ci_certificate_ders` (Add() each).
  [[nodiscard]] static absl::StatusOr<std::shared_ptr<const CiTrustStore>>
  Create(absl::Span<const std::string> ci_certificate_ders);

  // Adds one CI certificate (DER). Errors: InvalidArgument when it does not
  // parse; FailedPrecondition when it is not a self-signed SGP.22 CI (the
  // message names the failed check); AlreadyExists when another certificate
  // with the same key id is present. Adding the same DER twice is OK.
  [[nodiscard]] absl::Status Add(absl::string_view ci_certificate_der);

  // The CI whose subjectKeyIdentifier is `key_id` (raw bytes), or null. The
  // pointer lives as long as the store; the shared form as long as needed.
  const TrustedCi* Find(absl::string_view key_id) const;
  std::shared_ptr<const TrustedCi> FindShared(absl::string_view key_id) const;

  // The key ids of all CIs, in no particular order.
  std::vector<std::string> KeyIds() const;
  size_t size() const { return by_key_id_.size(); }
  bool empty() const { return by_key_id_.empty(); }

 private:
  absl::flat_hash_map<std::string, std::shared_ptr<const TrustedCi>> by_key_id_;
};

}  // namespace smdp::auth

#endif  // SMDP_SMDP_AUTH_CI_TRUST_STORE_H_
