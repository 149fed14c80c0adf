// Verification of an eUICC's certificate chain, CI -> EUM -> eUICC, as
// ES9+.AuthenticateClient needs it, with the SGP.22 certificate profile
// checked by this code (not by OpenSSL's X509_verify_cert, which refuses the
// EID name constraints of variant-O EUM certificates and costs ~430 µs).
//
//   auto verifier = std::make_shared<EuiccCertificateVerifier>(trust_store);
//   ASSIGN_OR_RETURN(VerifiedEuicc euicc,
//                    verifier->Verify(euicc_cert_der, eum_cert_der,
//                                     clock.Now(), ci_key_id_to_be_used));
//   RETURN_IF_ERROR(euicc.public_key.VerifyPlain(euicc_signed1_der, sig1));
//   // euicc.eid is the EID from the certificate.
//
// What is checked, and the GsmaError each failure carries:
//   CI      The issuer of the topmost CA certificate (by its
//           authorityKeyIdentifier) is in the trust store, and is the CI the
//           session chose when one is given; else kUnknownCiKey (8.11.1/3.9).
//           An EUM whose AKI names a trusted CI but whose signature does not
//           verify with it (a foreign CI reusing a key id) is
//           kEumCertificateInvalid.
//   EUM     (and an optional SGP.22 v3 sub-CA, see EuiccChain) signed by its
//           issuer with ecdsa-with-SHA256, issuer name and AKI linking it to
//           the issuer, the issuer's curve, basicConstraints cA and keyUsage
//           keyCertSign, pathLenConstraint, the EUM policy
//           2.23.146.1.2.1.2, an EID range (nameConstraints or
//           permittedEins); else kEumCertificateInvalid (8.1.2/6.1). Outside
//           its validity period: kEumCertificateExpired (8.1.2/6.3) after
//           notAfter, kEumCertificateInvalid before notBefore.
//   eUICC   signed by the EUM (issuer name, AKI == EUM SKI, curve), the
//           eUICC policy 2.23.146.1.2.1.1, keyUsage digitalSignature and no
//           CA rights, subject serialNumber = EID of 32 digits, the EID
//           inside every EID range of the CA certificates above it, a public
//           key on the curve; else kEuiccCertificateInvalid (8.1.3/6.1).
//           After notAfter kEuiccCertificateExpired (8.1.3/6.3), before
//           notBefore kEuiccCertificateInvalid.
//   Malformed DER of the EUM or eUICC certificate counts as "invalid" for
//   that certificate.
// Order (SGP.22's error table, most specific first): the issuers up to a
// trusted CI (kUnknownCiKey), every signature and the links between the
// certificates (6.1), then the validity periods of all certificates (6.3),
// then the certificate profiles (cA, keyUsage, policies, pathLen, EID range:
// 6.1). A chain that fails several checks carries the first code of that
// order, e.g. an expired EUM certificate without cA is 8.1.2/6.3.
// EID ranges: a variant-O EUM certificate (SGP.26) permits directoryName
// subtrees such as {O=RSP Test EUM, serialNumber=89049032}: the eUICC subject
// must carry every attribute of one permitted subtree, with the same value
// except serialNumber, where the subtree's value is a prefix of the EID.
// Excluded directoryName subtrees are refused the same way. Other EUM
// certificates carry permittedEins (2.23.146.1.2.2.0): the EID must start with
// one of its EIN prefixes. An EUM with both must satisfy both. The EID's check
// digits are not checked: the EUM vouches for the EID.
//
// Cost: a verified EUM (or sub-CA) certificate is cached, keyed by its
// complete DER, with its parsed form and its imported public key. Millions of
// eUICCs share a handful of EUM certificates, so a Verify() with a cached EUM
// costs one eUICC parse, one ECDSA verify and one public-key import. Only
// certificates that verified are cached; a different certificate (even with
// the same subject) never hits another's entry. A cached sub-CA-issued
// certificate is reused only with the very issuer certificate it was verified
// under, so the path checked is always the one presented. Validity periods,
// the EUM policy, pathLenConstraint and the EID range are checked on every
// call.
//
// Thread-safety: Verify() may be called from many threads at once; the cache
// is guarded by an internal reader/writer lock (lookups share it).
#ifndef SMDP_SMDP_AUTH_EUICC_CERTIFICATE_VERIFIER_H_
#define SMDP_SMDP_AUTH_EUICC_CERTIFICATE_VERIFIER_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "smdp/auth/certificate.h"
#include "smdp/auth/ci_trust_store.h"
#include "smdp/auth/public_key.h"

namespace smdp::auth {

// The certificates an eUICC presents in AuthenticateServerResponse.
struct EuiccChain {
  // CERT.EUICC.ECDSA, DER.
  absl::string_view euicc_certificate;
  // CERT.EUM.ECDSA, DER.
  absl::string_view eum_certificate;
  // SGP.22 v3 otherCertsInChain: further CA certificates of the chain (an EUM
  // sub-CA issuing the eUICC, or a CI sub-CA issuing the EUM), in any order,
  // at most kMaxOtherCertificates. They need basicConstraints cA and keyUsage
  // keyCertSign but no particular policy; the chain is found by matching
  // authorityKeyIdentifier to subjectKeyIdentifier, certificates that are not
  // on it are ignored.
  std::vector<absl::string_view> other_certificates;
};

// Largest EuiccChain::other_certificates accepted.
inline constexpr size_t kMaxOtherCertificates = 2;

// The outcome of a successful verification.
struct VerifiedEuicc {
  // The EID: the eUICC certificate's subject serialNumber, 32 digits.
  std::string eid;
  // The key id (subjectKeyIdentifier) of the CI at the root of the chain.
  std::string ci_key_id;
  // PK.EUICC.ECDSA, imported: verifies euiccSignature1/2 and notifications.
  PublicKey public_key;
  std::shared_ptr<const Certificate> euicc_certificate;
  std::shared_ptr<const Certificate> eum_certificate;
};

// Options of EuiccCertificateVerifier.
struct EuiccVerifierOptions {
  // Most verified CA certificates (EUMs, sub-CAs) kept; the oldest entry
  // makes room for a new one. 0 disables the cache.
  size_t cache_capacity = 1024;
};

// Verifies eUICC certificate chains against a CiTrustStore. See the file
// comment.
class EuiccCertificateVerifier {
 public:
  explicit EuiccCertificateVerifier(
      std::shared_ptr<const CiTrustStore> trust_store,
      EuiccVerifierOptions options = {});

  EuiccCertificateVerifier(const EuiccCertificateVerifier&) = delete;
  EuiccCertificateVerifier& operator=(const EuiccCertificateVerifier&) = delete;

  // Verifies `euicc_certificate_der` issued by `eum_certificate_der` at
  // `now`. When `expected_ci_key_id` is not empty, the chain must end at that
  // CI (the euiccCiPKIdToBeUsed of the session). Errors carry a GsmaError
  // (see the file comment).
  [[nodiscard]] absl::StatusOr<VerifiedEuicc> Verify(
      absl::string_view euicc_certificate_der,
      absl::string_view eum_certificate_der, absl::Time now,
      absl::string_view expected_ci_key_id = {}) const;

  // Same, with SGP.22 v3 further certificates.
  [[nodiscard]] absl::StatusOr<VerifiedEuicc> Verify(
      const EuiccChain& chain, absl::Time now,
      absl::string_view expected_ci_key_id = {}) const;

  // Counters of the CA-certificate cache since construction.
  struct CacheStats {
    uint64_t hits = 0;
    uint64_t misses = 0;
    size_t size = 0;
  };
  CacheStats cache_stats() const ABSL_LOCKS_EXCLUDED(mu_);

  const CiTrustStore& trust_store() const { return *trust_store_; }

  // A verified CA certificate below a CI (an EUM or a sub-CA), as cached.
  struct VerifiedIssuer;

 private:
  std::shared_ptr<const VerifiedIssuer> Lookup(absl::string_view der) const
      ABSL_LOCKS_EXCLUDED(mu_);
  void Insert(std::shared_ptr<const VerifiedIssuer> issuer) const
      ABSL_LOCKS_EXCLUDED(mu_);

  struct PoolEntry;
  absl::StatusOr<std::shared_ptr<const VerifiedIssuer>> VerifyIssuer(
      PoolEntry& entry, absl::Span<PoolEntry> pool, size_t depth) const;

  const std::shared_ptr<const CiTrustStore> trust_store_;
  const EuiccVerifierOptions options_;

  mutable absl::Mutex mu_;
  // Keyed by the certificate's DER (the key is the entry's own copy).
  mutable absl::flat_hash_map<std::string,
                              std::shared_ptr<const VerifiedIssuer>>
      cache_ ABSL_GUARDED_BY(mu_);
  // Insertion order, for eviction.
  mutable std::deque<std::string> order_ ABSL_GUARDED_BY(mu_);
  mutable std::atomic<uint64_t> hits_{0};
  mutable std::atomic<uint64_t> misses_{0};
};

}  // namespace smdp::auth

#endif  // SMDP_SMDP_AUTH_EUICC_CERTIFICATE_VERIFIER_H_
