// Choosing, per TLS connection, which of a listener's identities (CERT.DP.TLS
// chain and key) the server presents. Internal to smdp/http.
//
// OpenSSL holds one EC certificate per SSL_CTX, so a listener with a NIST
// and a brainpool CERT.DP.TLS keeps one SSL_CTX per identity and switches the
// connection to the chosen one in the client hello callback, before the
// version is negotiated. Both identities normally carry the same host name
// (one SM-DP+ address, two CIs), so SNI alone cannot choose; what the client
// offers can:
//   1. SNI: when the client sends a server name that some identities'
//      certificates carry (SAN dNSName, "*." wildcards for one label), only
//      those compete; otherwise all do.
//   2. Among them, the ones the client can accept: TLS 1.3 when it offers
//      1.3 and the signature scheme of the certificate's curve
//      (ecdsa_secp256r1_sha256; ecdsa_brainpoolP256r1tls13_sha256 only where
//      OpenSSL has it, 3.2 on), or TLS 1.2 when it offers 1.2, the curve in
//      supported_groups (or no such extension) and ECDSA with SHA-256 in
//      signature_algorithms (or no such extension).
//   3. Of those, the one whose curve comes first in the client's
//      supported_groups (its stated preference), then the listener's order.
//   4. None acceptable: the first of step 1 (the handshake then fails as
//      with a single identity).
// A brainpool identity that the client can take only over TLS 1.2 caps that
// connection at TLS 1.2 (OpenSSL 3.0 has no TLS 1.3 brainpool signature), so
// a client offering 1.3 and 1.2 gets 1.2 rather than a failed handshake.
#ifndef SMDP_SMDP_HTTP_INTERNAL_TLS_IDENTITY_CHOICE_H_
#define SMDP_SMDP_HTTP_INTERNAL_TLS_IDENTITY_CHOICE_H_

#include <openssl/ssl.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace smdp::http::internal {

// What a client hello offers, as far as the choice goes.
struct ClientOffer {
  // The SNI host name, lower case; empty when none was sent.
  std::string server_name;
  bool tls12 = true;
  bool tls13 = false;
  // supported_groups and signature_algorithms code points, in the client's
  // order; nullopt when the extension was not sent.
  std::optional<std::vector<uint16_t>> groups;
  std::optional<std::vector<uint16_t>> sigalgs;
};

// A listener's identity as the choice sees it.
struct IdentityTraits {
  // NID of the curve of CERT.DP.TLS's key; NID_undef when it is not an EC
  // key on P-256 or brainpoolP256r1 (such an identity is taken as acceptable
  // to any client, after the known ones).
  int curve_nid = 0;
  // SAN dNSNames of CERT.DP.TLS, lower case.
  std::vector<std::string> dns_names;
};

struct IdentityChoice {
  size_t index = 0;
  // Serve this connection with TLS 1.2 at most.
  bool cap_at_tls12 = false;
};

// True when this OpenSSL can sign TLS 1.3 with a brainpoolP256r1 key.
bool HasTls13Brainpool();

// Steps 1-4 above. `identities` is not empty.
IdentityChoice ChooseTlsIdentity(const ClientOffer& offer,
                                 const std::vector<IdentityTraits>& identities,
                                 bool tls13_brainpool = HasTls13Brainpool());

// The offer of the client hello being processed (call from a client hello
// callback only). Malformed extensions count as not sent.
ClientOffer ReadClientOffer(SSL* ssl);

// The traits of a leaf certificate.
IdentityTraits TraitsOf(X509* leaf);

// True if `host` (lower case) matches the dNSName `pattern` (lower case;
// "*.example.com" matches exactly one more label).
bool DnsNameMatches(absl::string_view pattern, absl::string_view host);

}  // namespace smdp::http::internal

#endif  // SMDP_SMDP_HTTP_INTERNAL_TLS_IDENTITY_CHOICE_H_
