// Loading TLS certificates and keys from files, shared by the GSMA HTTP
// server and client. Internal to smdp/http.
#ifndef SMDP_SMDP_HTTP_INTERNAL_TLS_FILES_H_
#define SMDP_SMDP_HTTP_INTERNAL_TLS_FILES_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "util/ssl_ptr.h"

namespace smdp::http::internal {

// Every certificate in a PEM file (several allowed) or the one certificate of
// a DER file. InvalidArgument naming the file when it holds none.
[[nodiscard]] absl::StatusOr<std::vector<X509Ptr>> LoadCertificates(
    const std::string& path);

// The private key in a PEM file (PKCS#8 or "EC PRIVATE KEY").
// InvalidArgument naming the file when it holds none.
[[nodiscard]] absl::StatusOr<EvpPkeyPtr> LoadPrivateKeyPem(
    const std::string& path);

// The key exchange groups (an OpenSSL groups list) a client trusting
// `anchors` offers: "" (OpenSSL's defaults, which have no brainpool) when no
// anchor has a brainpoolP256r1 key. Otherwise brainpoolP256r1 as well, since
// in TLS 1.2 a server certificate must be on a curve the client offers: last
// when some anchor is on another curve, first when all are brainpool, which
// tells a server holding both a NIST and a brainpool CERT.DP.TLS to present
// the brainpool one (tls_identity_choice.h).
std::string ClientGroupsForTrustAnchors(const std::vector<X509Ptr>& anchors);

}  // namespace smdp::http::internal

#endif  // SMDP_SMDP_HTTP_INTERNAL_TLS_FILES_H_
