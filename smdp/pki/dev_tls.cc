#include "smdp/pki/dev_tls.h"

#include <openssl/err.h>
#include <openssl/x509.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "smdp/pki/certificate_builder.h"
#include "util/file_util.h"
#include "util/ssl_ptr.h"
#include "util/status_macros.h"

namespace smdp::pki {
namespace {

constexpr absl::string_view kManifestFormat = "1";
constexpr absl::string_view kOrganization = "SM-DP+ Dev";
constexpr absl::string_view kCaName = "SM-DP+ Dev gRPC TLS CA";
constexpr absl::string_view kClientCaName = "SM-DP+ Dev gRPC Client CA";
// notBefore lies this far before `now`, for clients whose clock lags.
constexpr absl::Duration kBackdate = absl::Hours(24);
// Validity of client certificates issued later, by
// IssueDevClientCertificate (DevTlsOptions::validity's default).
constexpr absl::Duration kClientValidity = absl::Hours(24 * 365 * 10);

std::string JoinPath(absl::string_view dir, absl::string_view name) {
  if (dir.empty()) return std::string(name);
  if (absl::EndsWith(dir, "/")) return absl::StrCat(dir, name);
  return absl::StrCat(dir, "/", name);
}

// A CA (or any issuer): its certificate and a signer over its key.
struct Issuer {
  std::string der;
  std::unique_ptr<EvpKeySigner> signer;
};

absl::Status Damaged(const std::string& path, absl::string_view what,
                     absl::string_view dir) {
  return absl::FailedPreconditionError(absl::StrCat(
      "dev TLS file ", path, ": ", what, "; delete ", dir, " to start over"));
}

// A certificate of the material: the first one of a PEM file.
absl::StatusOr<std::string> LoadCertDer(const std::string& path,
                                        absl::string_view dir) {
  absl::StatusOr<std::string> pem = ReadFile(path);
  if (!pem.ok()) return Damaged(path, pem.status().message(), dir);
  absl::StatusOr<std::string> der = CertificatePemToDer(*pem);
  if (!der.ok()) return Damaged(path, "not a PEM certificate", dir);
  return der;
}

absl::StatusOr<EvpPkeyPtr> LoadKey(const std::string& path,
                                   absl::string_view dir) {
  absl::StatusOr<std::string> pem = ReadFile(path);
  if (!pem.ok()) return Damaged(path, pem.status().message(), dir);
  absl::StatusOr<EvpPkeyPtr> key = PrivateKeyFromPem(*pem);
  if (!key.ok()) return Damaged(path, "not a PEM private key", dir);
  return key;
}

// True when `key` is the private key of `cert_der`.
bool KeyMatches(absl::string_view cert_der, EVP_PKEY* key) {
  absl::StatusOr<X509Ptr> cert = ParseCertificateDer(cert_der);
  bool ok = cert.ok() && X509_check_private_key(cert->get(), key) == 1;
  ERR_clear_error();
  return ok;
}

// True when `cert_der` carries a valid signature of `issuer_der`'s key.
bool IssuedBy(absl::string_view cert_der, absl::string_view issuer_der) {
  absl::StatusOr<X509Ptr> cert = ParseCertificateDer(cert_der);
  absl::StatusOr<X509Ptr> issuer = ParseCertificateDer(issuer_der);
  bool ok = cert.ok() && issuer.ok() &&
            X509_verify(cert->get(), X509_get0_pubkey(issuer->get())) == 1;
  ERR_clear_error();
  return ok;
}

// Makes a self-signed CA; writes its certificate and key.
absl::StatusOr<Issuer> MakeCa(absl::string_view common_name,
                              const std::string& cert_path,
                              const std::string& key_path, absl::Time now,
                              absl::Duration validity) {
  ASSIGN_OR_RETURN(EvpPkeyPtr key, GenerateSoftwareKey(hsm::Curve::kNistP256));
  CertificateSpec spec;
  spec.serial_number = RandomSerialNumber();
  spec.subject = {{"O", std::string(kOrganization)},
                  {"CN", std::string(common_name)}};
  ASSIGN_OR_RETURN(spec.public_key, SubjectPublicKeyFromEvp(*key));
  spec.not_before = now - kBackdate;
  spec.not_after = now + validity;
  spec.key_usage =
      KeyUsageExtension{kKeyUsageKeyCertSign | kKeyUsageCrlSign, true};
  spec.basic_constraints = BasicConstraintsExtension{true, 0, true};
  ASSIGN_OR_RETURN(std::string key_pem, PrivateKeyToPem(*key));
  Issuer ca;
  ca.signer = std::make_unique<EvpKeySigner>(std::move(key));
  ASSIGN_OR_RETURN(ca.der, IssueSelfSigned(spec, *ca.signer));
  ASSIGN_OR_RETURN(std::string cert_pem, CertificateDerToPem(ca.der));
  RETURN_IF_ERROR(WriteFileAtomically(key_path, key_pem, 0600));
  RETURN_IF_ERROR(WriteFileAtomically(cert_path, cert_pem, 0644));
  return ca;
}

// Loads a CA of the material and checks that its key matches.
absl::StatusOr<Issuer> LoadCa(const std::string& cert_path,
                              const std::string& key_path,
                              absl::string_view dir) {
  Issuer ca;
  ASSIGN_OR_RETURN(ca.der, LoadCertDer(cert_path, dir));
  ASSIGN_OR_RETURN(EvpPkeyPtr key, LoadKey(key_path, dir));
  if (!KeyMatches(ca.der, key.get())) {
    return Damaged(key_path, "does not match its certificate", dir);
  }
  ca.signer = std::make_unique<EvpKeySigner>(std::move(key));
  return ca;
}

// Issues a leaf certificate for `spec` (subject and extensions set) with a
// new key under `ca`; writes the certificate (followed by `chain_suffix_pem`)
// and the key.
absl::Status IssueLeaf(CertificateSpec spec, const Issuer& ca,
                       absl::string_view chain_suffix_pem,
                       const std::string& cert_path,
                       const std::string& key_path, absl::Time now,
                       absl::Duration validity) {
  ASSIGN_OR_RETURN(EvpPkeyPtr key, GenerateSoftwareKey(hsm::Curve::kNistP256));
  spec.serial_number = RandomSerialNumber();
  ASSIGN_OR_RETURN(spec.public_key, SubjectPublicKeyFromEvp(*key));
  spec.not_before = now - kBackdate;
  spec.not_after = now + validity;
  spec.key_usage = KeyUsageExtension{kKeyUsageDigitalSignature, true};
  ASSIGN_OR_RETURN(std::string der, IssueCertificate(spec, ca.der, *ca.signer));
  ASSIGN_OR_RETURN(std::string cert_pem, CertificateDerToPem(der));
  ASSIGN_OR_RETURN(std::string key_pem, PrivateKeyToPem(*key));
  RETURN_IF_ERROR(WriteFileAtomically(key_path, key_pem, 0600));
  return WriteFileAtomically(cert_path,
                             absl::StrCat(cert_pem, chain_suffix_pem), 0644);
}

absl::Status IssueServer(const DevTls& tls, const Issuer& ca,
                         absl::string_view smdp_address, absl::Time now,
                         absl::Duration validity) {
  CertificateSpec spec;
  spec.subject = {{"O", std::string(kOrganization)},
                  {"CN", std::string(smdp_address)}};
  spec.extended_key_usage =
      ExtendedKeyUsageExtension{{std::string(kEkuServerAuth)}, false};
  SubjectAltNameExtension san;
  san.dns_names = {"localhost"};
  if (smdp_address != "localhost") {
    san.dns_names.push_back(std::string(smdp_address));
  }
  san.ip_addresses = {"127.0.0.1", "::1"};
  spec.subject_alt_name = std::move(san);
  ASSIGN_OR_RETURN(std::string ca_pem, CertificateDerToPem(ca.der));
  return IssueLeaf(std::move(spec), ca, ca_pem, tls.server_chain,
                   tls.server_key, now, validity);
}

absl::Status IssueClient(const DevTlsClient& client, const Issuer& client_ca,
                         absl::Time now, absl::Duration validity) {
  CertificateSpec spec;
  spec.subject = {{"O", std::string(kOrganization)},
                  {"CN", client.common_name}};
  spec.extended_key_usage =
      ExtendedKeyUsageExtension{{std::string(kEkuClientAuth)}, false};
  return IssueLeaf(std::move(spec), client_ca, "", client.cert, client.key, now,
                   validity);
}

// True when the client certificate files exist, the certificate is issued
// by `client_ca` and the key matches it.
bool ClientIsValid(const DevTlsClient& client, const Issuer& client_ca) {
  absl::StatusOr<std::string> pem = ReadFile(client.cert);
  absl::StatusOr<std::string> key_pem = ReadFile(client.key);
  if (!pem.ok() || !key_pem.ok()) return false;
  absl::StatusOr<std::string> der = CertificatePemToDer(*pem);
  absl::StatusOr<EvpPkeyPtr> key = PrivateKeyFromPem(*key_pem);
  return der.ok() && key.ok() && IssuedBy(*der, client_ca.der) &&
         KeyMatches(*der, key->get());
}

absl::Status ValidateCommonName(absl::string_view cn) {
  bool ok = !cn.empty() && cn.size() <= 64 && cn.front() != '.';
  for (char c : cn) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' &&
        c != '_' && c != '-') {
      ok = false;
    }
  }
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("client certificate CN '", cn,
                   "' must be 1 to 64 of [A-Za-z0-9._-], not starting with "
                   "'.'"));
}

std::string ManifestText(absl::string_view smdp_address, absl::Time now) {
  return absl::StrCat(
      "# Dev TLS material of smdpd's gRPC listener (smdp/pki/dev_tls.h).\n",
      "format = ", kManifestFormat, "\n", "smdp_address = ", smdp_address, "\n",
      "created = ",
      absl::FormatTime(absl::RFC3339_sec, now, absl::UTCTimeZone()), "\n");
}

// The value of `key` in manifest text ("" when absent).
std::string ManifestValue(absl::string_view text, absl::string_view key) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(line, absl::MaxSplits('=', 1));
    if (absl::StripAsciiWhitespace(kv.first) == key) {
      return std::string(absl::StripAsciiWhitespace(kv.second));
    }
  }
  return "";
}

absl::StatusOr<DevTls> Create(const DevTlsOptions& options, absl::Time now) {
  DevTls tls = DevTlsLayout(options.dir);
  RETURN_IF_ERROR(MakeDirs(tls.dir, 0700));
  RETURN_IF_ERROR(MakeDirs(JoinPath(tls.dir, "clients"), 0700));
  ASSIGN_OR_RETURN(Issuer ca, MakeCa(kCaName, tls.ca_cert, tls.ca_key, now,
                                     options.ca_validity));
  RETURN_IF_ERROR(
      IssueServer(tls, ca, options.smdp_address, now, options.validity));
  ASSIGN_OR_RETURN(Issuer client_ca,
                   MakeCa(kClientCaName, tls.client_ca_cert, tls.client_ca_key,
                          now, options.ca_validity));
  RETURN_IF_ERROR(IssueClient(tls.admin, client_ca, now, options.validity));
  RETURN_IF_ERROR(WriteFileAtomically(
      tls.manifest, ManifestText(options.smdp_address, now), 0644));
  tls.created = true;
  return tls;
}

absl::StatusOr<DevTls> Load(const DevTlsOptions& options, absl::Time now,
                            const std::string& manifest) {
  DevTls tls = DevTlsLayout(options.dir);
  if (ManifestValue(manifest, "format") != kManifestFormat) {
    return Damaged(tls.manifest, "unknown format", tls.dir);
  }
  ASSIGN_OR_RETURN(Issuer ca, LoadCa(tls.ca_cert, tls.ca_key, tls.dir));
  ASSIGN_OR_RETURN(Issuer client_ca,
                   LoadCa(tls.client_ca_cert, tls.client_ca_key, tls.dir));
  if (ManifestValue(manifest, "smdp_address") != options.smdp_address) {
    // A server certificate for the new address, under the same CA.
    RETURN_IF_ERROR(
        IssueServer(tls, ca, options.smdp_address, now, options.validity));
    RETURN_IF_ERROR(WriteFileAtomically(
        tls.manifest, ManifestText(options.smdp_address, now), 0644));
  }
  ASSIGN_OR_RETURN(std::string server_der,
                   LoadCertDer(tls.server_chain, tls.dir));
  ASSIGN_OR_RETURN(EvpPkeyPtr server_key, LoadKey(tls.server_key, tls.dir));
  if (!IssuedBy(server_der, ca.der)) {
    return Damaged(tls.server_chain, "is not issued by ca.pem", tls.dir);
  }
  if (!KeyMatches(server_der, server_key.get())) {
    return Damaged(tls.server_key, "does not match server.pem", tls.dir);
  }
  if (!ClientIsValid(tls.admin, client_ca)) {
    RETURN_IF_ERROR(MakeDirs(JoinPath(tls.dir, "clients"), 0700));
    RETURN_IF_ERROR(IssueClient(tls.admin, client_ca, now, options.validity));
  }
  return tls;
}

}  // namespace

std::string DevTlsDir(absl::string_view data_dir) {
  return JoinPath(data_dir, "pki/grpc");
}

DevTls DevTlsLayout(absl::string_view dir) {
  DevTls tls;
  tls.dir = std::string(dir);
  tls.manifest = JoinPath(dir, "manifest.txt");
  tls.ca_cert = JoinPath(dir, "ca.pem");
  tls.ca_key = JoinPath(dir, "ca.key.pem");
  tls.server_chain = JoinPath(dir, "server.pem");
  tls.server_key = JoinPath(dir, "server.key.pem");
  tls.client_ca_cert = JoinPath(dir, "client-ca.pem");
  tls.client_ca_key = JoinPath(dir, "client-ca.key.pem");
  tls.admin = DevTlsClientLayout(dir, kDevAdminCommonName);
  return tls;
}

DevTlsClient DevTlsClientLayout(absl::string_view dir,
                                absl::string_view common_name) {
  DevTlsClient client;
  client.common_name = std::string(common_name);
  client.cert = JoinPath(dir, absl::StrCat("clients/", common_name, ".pem"));
  client.key = JoinPath(dir, absl::StrCat("clients/", common_name, ".key.pem"));
  return client;
}

absl::StatusOr<DevTls> EnsureDevTls(const DevTlsOptions& options) {
  if (options.dir.empty()) {
    return absl::InvalidArgumentError("DevTlsOptions: dir is empty");
  }
  if (options.smdp_address.empty() ||
      absl::StrContains(options.smdp_address, '\n') ||
      absl::StrContains(options.smdp_address, '=')) {
    return absl::InvalidArgumentError(
        absl::StrCat("DevTlsOptions: smdp_address '", options.smdp_address,
                     "' is not a DNS name"));
  }
  const absl::Time now = options.now.value_or(absl::Now());
  const std::string manifest_path = DevTlsLayout(options.dir).manifest;
  if (!FileExists(manifest_path)) return Create(options, now);
  ASSIGN_OR_RETURN(std::string manifest, ReadFile(manifest_path));
  return Load(options, now, manifest);
}

absl::StatusOr<DevTlsClient> IssueDevClientCertificate(
    absl::string_view dir, absl::string_view common_name,
    std::optional<absl::Time> now) {
  RETURN_IF_ERROR(ValidateCommonName(common_name));
  const DevTls tls = DevTlsLayout(dir);
  if (!FileExists(tls.manifest)) {
    return absl::FailedPreconditionError(
        absl::StrCat("no dev TLS material in ", dir,
                     " (start smdpd in dev mode once, or EnsureDevTls)"));
  }
  ASSIGN_OR_RETURN(Issuer client_ca,
                   LoadCa(tls.client_ca_cert, tls.client_ca_key, tls.dir));
  DevTlsClient client = DevTlsClientLayout(dir, common_name);
  if (ClientIsValid(client, client_ca)) return client;
  RETURN_IF_ERROR(MakeDirs(JoinPath(dir, "clients"), 0700));
  RETURN_IF_ERROR(IssueClient(client, client_ca, now.value_or(absl::Now()),
                              kClientValidity));
  return client;
}

}  // namespace smdp::pki
