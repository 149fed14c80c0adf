// Test-only: a small TLS PKI written to files under $TEST_TMPDIR, for tests
// of the GSMA HTTP server and client. Made once per process.
#ifndef SMDP_SMDP_HTTP_INTERNAL_TEST_TLS_PKI_H_
#define SMDP_SMDP_HTTP_INTERNAL_TEST_TLS_PKI_H_

#include <string>

#include "absl/status/status.h"
#include "smdp/pki/certificate_builder.h"

namespace smdp::http::internal {

struct TestTlsPki {
  // A test CI (PEM) and its private key (PEM).
  std::string ci_pem_file;
  std::string ci_key_file;
  // CERT.DP.TLS for "localhost" and 127.0.0.1 issued by the CI, then the CI
  // (PEM), and its private key (PEM).
  std::string server_chain_file;
  std::string server_key_file;
  // Another CERT.DP.TLS (clientAuth as well), an operator's client identity
  // for mutual TLS, issued by the CI: chain and key.
  std::string client_chain_file;
  std::string client_key_file;
  // A second, unrelated CI (PEM) that trusts nothing above.
  std::string other_ci_pem_file;
  // A private key that matches no certificate.
  std::string other_key_file;
  // A brainpoolP256r1 CI (PEM; same subject as the NIST one, as SGP.26's
  // are) and its CERT.DP.TLS for "localhost" and 127.0.0.1 (chain, key).
  std::string brp_ci_pem_file;
  std::string brp_server_chain_file;
  std::string brp_server_key_file;
  // A P-256 CERT.DP.TLS for "es9.other.example" (and 127.0.0.1) issued by
  // the NIST CI (chain, key), for SNI.
  std::string named_server_chain_file;
  std::string named_server_key_file;
};

// The process-wide test PKI; aborts the test binary if it cannot be made.
const TestTlsPki& GetTestTlsPki();

// Writes to `chain_file` a CERT.DP.TLS for "localhost" and 127.0.0.1 with
// `public_key` (e.g. a key generated in an HSM), issued by the test CI,
// followed by the CI (PEM): a server chain for that key.
[[nodiscard]] absl::Status WriteTestServerChain(
    const pki::SubjectPublicKey& public_key, const std::string& chain_file);

}  // namespace smdp::http::internal

#endif  // SMDP_SMDP_HTTP_INTERNAL_TEST_TLS_PKI_H_
