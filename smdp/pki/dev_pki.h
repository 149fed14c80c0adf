// The development PKI: a test CI with the SM-DP+ certificates under it and a
// test EUM with one eUICC, on NIST P-256 and on brainpoolP256r1, made once
// and reused.
//
//   ASSIGN_OR_RETURN(DevPki pki,
//                    EnsureDevPki({.dir = "smdp-data/pki"}, provider));
//   const DevPkiCurve& nist = pki.ForCurve(hsm::Curve::kNistP256);
//   ASSIGN_OR_RETURN(auto dpauth, provider.LoadSigningKey(nist.dpauth_key));
//   // nist.dpauth.der is CERT.DPauth, nist.ci.der the CI to trust, ...
//
// What is made, per curve (subdirectory "nist" or "brp" of `dir`):
//   ci      self-signed test CI; its private key is kept as a file (ci.key.pem)
//           because it belongs to the dev CI, not to the server.
//   dpauth, dppb, dptls
//           CERT.DPauth, CERT.DPpb, CERT.DP.TLS issued by the CI. Their
//           private keys are generated inside the CryptoProvider
//           (GenerateSigningKey, labels "dpauth-nist", "dppb-nist",
//           "dptls-nist", "dpauth-brp", ...) and never written here.
//   eum     a test EUM issued by the CI (variant O: EID prefix in
//           nameConstraints), key kept (eum.key.pem) to issue more test eUICCs.
//   euicc   one test eUICC issued by the EUM, EID inside the EUM's prefix,
//           key kept (euicc.key.pem).
// Every certificate is written as <name>.der and <name>.pem; keys as
// unencrypted PKCS#8 PEM, mode 0600.
//
// The manifest, <dir>/manifest.txt, is written last. It is a text file of
// `key = value` lines ('#' starts a comment): format version, the options
// the PKI was made with (smdp_address, smdp_oid, ci_oid, eum_oid,
// eum_eid_prefix, euicc_eid), creation time, and per curve
// (`nist.` / `brp.` prefixes) the CI key id (hex SKI, the euiccCiPKId), file
// paths relative to <dir> (`nist.dpauth.der = nist/dpauth.der`, ...) and key
// labels (`nist.dpauth.key_label = dpauth-nist`).
//
// Idempotence and crashes: every file is written to a temporary name, synced
// and renamed into place, and the manifest comes last, so a PKI is complete
// exactly when its manifest exists. Without a manifest, EnsureDevPki makes
// everything anew (overwriting leftovers of an interrupted run); a provider
// key that already exists under a label (AlreadyExists from
// GenerateSigningKey, e.g. left by an interrupted run) is loaded and certified
// instead of made. With a manifest it only loads and checks: the options
// match, every certificate parses and is signed by its issuer, and the
// provider still holds each SM-DP+ key with the certified public key.
//
// Thread-safety: not safe to run concurrently on one `dir` (from threads or
// processes); run it once at start-up.
#ifndef SMDP_SMDP_PKI_DEV_PKI_H_
#define SMDP_SMDP_PKI_DEV_PKI_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "hsm/crypto_provider.h"

namespace smdp::pki {

// Options of EnsureDevPki().
struct DevPkiOptions {
  // Directory of the PKI. Required. Created (mode 0755, with missing
  // parents) if missing.
  std::string dir;
  // The SM-DP+ address: CN of the SM-DP+ certificates and the dNSName of
  // CERT.DP.TLS.
  std::string smdp_address = "localhost";
  // The SM-DP+ OID (subjectAltName registeredID of DPauth, DPpb, DPtls).
  std::string smdp_oid = "2.999.10";
  // The CI's and the EUM's registeredID (as SGP.26 uses them).
  std::string ci_oid = "2.999.1";
  std::string eum_oid = "2.999.5";
  // The EUM's permitted EID prefix (1 to 30 digits; 8 is an IIN).
  std::string eum_eid_prefix = "89049032";
  // The test eUICC's EID: 32 digits with valid check digits, starting with
  // eum_eid_prefix. Empty (the default): DefaultEuiccEid(eum_eid_prefix).
  std::string euicc_eid;
  // URI of the cRLDistributionPoints in the CI, EUM and SM-DP+ certificates
  // (SGP.26 has one in each). Nothing serves it; ".invalid" never resolves.
  // Empty: no such extension.
  std::string crl_uri = "http://crl.smdp-dev.invalid/ci.crl";
  // Validity of the CI certificate, and of all the others.
  absl::Duration ci_validity = absl::Hours(24 * 365 * 30);
  absl::Duration validity = absl::Hours(24 * 365 * 10);
  // The current time; unset: absl::Now(). notBefore is one day before it
  // (tolerates clients whose clock is slightly behind).
  std::optional<absl::Time> now;
};

// One certificate's files.
struct DevPkiCertFiles {
  std::string der;  // <dir>/<curve>/<name>.der
  std::string pem;  // <dir>/<curve>/<name>.pem
};

// The PKI on one curve. Paths are `DevPkiOptions::dir` joined with the
// manifest's relative paths.
struct DevPkiCurve {
  hsm::Curve curve = hsm::Curve::kNistP256;
  std::string dir;  // <dir>/nist or <dir>/brp
  // The CI's subjectKeyIdentifier as upper-case hex: the euiccCiPKId that
  // names this CI in euiccCiPKIdListForVerification/ForSigning.
  std::string ci_key_id_hex;

  DevPkiCertFiles ci;
  std::string ci_key;  // PKCS#8 PEM of the dev CI's private key.
  DevPkiCertFiles eum;
  std::string eum_key;
  DevPkiCertFiles euicc;
  std::string euicc_key;

  DevPkiCertFiles dpauth;
  DevPkiCertFiles dppb;
  DevPkiCertFiles dptls;
  // CryptoProvider labels of the SM-DP+ keys ("dpauth-nist", ...).
  std::string dpauth_key;
  std::string dppb_key;
  std::string dptls_key;
};

// The development PKI. See the file comment.
struct DevPki {
  std::string dir;
  std::string manifest;  // <dir>/manifest.txt
  std::string smdp_address;
  std::string smdp_oid;
  std::string eum_eid_prefix;
  std::string euicc_eid;
  // True when this call made the PKI, false when it loaded an existing one.
  bool created = false;
  DevPkiCurve nist;
  DevPkiCurve brp;

  const DevPkiCurve& ForCurve(hsm::Curve curve) const {
    return curve == hsm::Curve::kNistP256 ? nist : brp;
  }
};

// Makes the development PKI in `options.dir` on the first call and loads it
// on later ones (see the file comment). Errors:
//   InvalidArgument: bad options, naming every bad field.
//   FailedPrecondition: the manifest exists but was made with other options,
//     a listed file is missing or damaged, or `provider` lacks an SM-DP+ key
//     (or holds another key under its label); the message names it and says
//     to delete `dir` to start over.
//   Others: from the file system or the provider.
[[nodiscard]] absl::StatusOr<DevPki> EnsureDevPki(
    const DevPkiOptions& options, hsm::CryptoProvider& provider);

// Checks `options`. InvalidArgument naming every bad field
// ("DevPkiOptions: euicc_eid: ...; smdp_oid: ...").
[[nodiscard]] absl::Status ValidateDevPkiOptions(const DevPkiOptions& options);

// The default test eUICC EID for `prefix`: the prefix padded with zeros to
// 30 digits, the last of them a 1 when the prefix leaves room, then the check
// digits ("89049032" -> "890490320000000000000000000001" + "xx").
// InvalidArgument unless `prefix` is 1..30 decimal digits.
[[nodiscard]] absl::StatusOr<std::string> DefaultEuiccEid(
    absl::string_view prefix);

}  // namespace smdp::pki

#endif  // SMDP_SMDP_PKI_DEV_PKI_H_
