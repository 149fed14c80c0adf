// Test helpers: reading certificates back with OpenSSL, so tests check what
// the builder wrote independently of how it wrote it.
#ifndef SMDP_SMDP_PKI_CERT_INSPECT_TESTUTIL_H_
#define SMDP_SMDP_PKI_CERT_INSPECT_TESTUTIL_H_

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "util/ssl_ptr.h"

namespace smdp::pki::testing {

// Parses DER; aborts the test binary on malformed input (test helper).
X509Ptr MustParse(absl::string_view der);

// Reads a whole file; empty on error.
std::string ReadFileOrEmpty(const std::string& path);

// One extension: dotted OID and criticality.
using ExtensionId = std::pair<std::string, bool>;

// Every extension of `x` as (OID, critical), as a set.
std::set<ExtensionId> ExtensionIds(X509* x);

// Criticality of extension `nid`; nullopt when absent.
std::optional<bool> ExtensionCritical(X509* x, int nid);

// keyUsage bits in RFC 5280 numbering (bit n = 1u << n); nullopt if absent.
std::optional<uint32_t> KeyUsageBits(X509* x);

// Dotted OIDs of certificatePolicies / extKeyUsage.
std::vector<std::string> PolicyOids(X509* x);
std::vector<std::string> ExtendedKeyUsageOids(X509* x);

// basicConstraints: (cA, pathLen or -1); nullopt if absent.
std::optional<std::pair<bool, long>> BasicConstraints(X509* x);

// subjectAltName dNSNames and registeredIDs (dotted).
std::vector<std::string> SanDnsNames(X509* x);
std::vector<std::string> SanRegisteredIds(X509* x);

// Key identifiers (raw bytes); empty when absent.
std::string SubjectKeyId(X509* x);
std::string AuthorityKeyId(X509* x);

// nameConstraints permitted directoryNames, each as "O=...,serialNumber=..."
// (short names, in order).
std::vector<std::string> PermittedDirNames(X509* x);

// The permittedEins extension's strings; nullopt if absent or malformed.
std::optional<std::vector<std::string>> PermittedEins(X509* x);

// cRLDistributionPoints URIs.
std::vector<std::string> CrlUris(X509* x);

// A name as "C=ES,O=...,serialNumber=...,CN=..." (short names, in order).
std::string NameString(const X509_NAME* name);

// The dotted OID of the SubjectPublicKeyInfo's named-curve parameter; empty
// when the key is not an EC key with a named curve.
std::string CurveOid(X509* x);

// X509_verify(cert, issuer's public key) == 1.
bool SignedBy(X509* cert, X509* issuer);

// X509_verify_cert from `root` (trusted) through `intermediates` to `leaf`
// at `at` with the default purpose checks off. OK, or an error carrying
// OpenSSL's verify message.
absl::Status VerifyChain(X509* leaf, X509* root,
                         const std::vector<X509*>& intermediates,
                         absl::Time at);

}  // namespace smdp::pki::testing

#endif  // SMDP_SMDP_PKI_CERT_INSPECT_TESTUTIL_H_
