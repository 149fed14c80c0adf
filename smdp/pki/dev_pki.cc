#include "smdp/pki/dev_pki.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "sgp22/eid.h"
#include "smdp/pki/certificate_builder.h"
#include "util/ssl_ptr.h"
#include "util/status_macros.h"

namespace smdp::pki {
namespace {

constexpr absl::string_view kManifestName = "manifest.txt";
constexpr absl::string_view kManifestFormat = "1";
constexpr absl::string_view kEumOrganization = "SM-DP+ Dev EUM";
constexpr absl::string_view kSmdpOrganization = "SM-DP+ Dev";
constexpr absl::string_view kCountry = "ZZ";  // ISO 3166 user-assigned.
// notBefore lies this far before `now`, for clients whose clock lags.
constexpr absl::Duration kBackdate = absl::Hours(24);

struct CurveInfo {
  hsm::Curve curve;
  absl::string_view tag;    // Subdirectory, label suffix, manifest prefix.
  absl::string_view title;  // In subject names.
};

constexpr CurveInfo kCurves[] = {
    {hsm::Curve::kNistP256, "nist", "NIST"},
    {hsm::Curve::kBrainpoolP256r1, "brp", "BRP"},
};

// ---- Files ----

std::string JoinPath(absl::string_view dir, absl::string_view name) {
  if (dir.empty()) return std::string(name);
  if (absl::EndsWith(dir, "/")) return absl::StrCat(dir, name);
  return absl::StrCat(dir, "/", name);
}

absl::Status ErrnoError(absl::string_view what, const std::string& path,
                        int err) {
  const absl::StatusCode code = err == ENOENT ? absl::StatusCode::kNotFound
                                : err == EACCES || err == EPERM
                                    ? absl::StatusCode::kPermissionDenied
                                    : absl::StatusCode::kInternal;
  return absl::Status(code,
                      absl::StrCat(what, " ", path, ": ", std::strerror(err)));
}

bool FileExists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

// Creates directory `path` and missing parents (mode 0755), like mkdir -p.
absl::Status MakeDirs(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return absl::OkStatus();
    return absl::FailedPreconditionError(
        absl::StrCat(path, " exists and is not a directory"));
  }
  const size_t slash = path.find_last_not_of('/') == std::string::npos
                           ? std::string::npos
                           : path.rfind('/', path.find_last_not_of('/'));
  if (slash != std::string::npos && slash > 0) {
    RETURN_IF_ERROR(MakeDirs(path.substr(0, slash)));
  }
  if (mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
    return ErrnoError("creating directory", path, errno);
  }
  return absl::OkStatus();
}

absl::Status SyncDir(const std::string& dir) {
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("opening directory", dir, errno);
  int rc = fsync(fd);
  int err = errno;
  close(fd);
  if (rc != 0) return ErrnoError("syncing directory", dir, err);
  return absl::OkStatus();
}

std::string DirName(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// Writes `data` to `path` atomically: a temporary file beside it (fixed
// name, so a rerun after a crash overwrites the leftover), fsync, rename,
// fsync of the directory. After a crash `path` holds the old content or the
// new, never a part.
absl::Status WriteFileAtomically(const std::string& path,
                                 absl::string_view data, mode_t mode) {
  const std::string tmp = absl::StrCat(path, ".tmp");
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return ErrnoError("creating", tmp, errno);
  absl::Cleanup close_fd = [fd] { close(fd); };
  // O_CREAT does not change the mode of a leftover file: set it.
  if (fchmod(fd, mode) != 0) return ErrnoError("chmod", tmp, errno);
  for (size_t done = 0; done < data.size();) {
    ssize_t n = write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("writing", tmp, errno);
    }
    done += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0) return ErrnoError("syncing", tmp, errno);
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    return ErrnoError("renaming into place", path, errno);
  }
  return SyncDir(DirName(path));
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("opening", path, errno);
  absl::Cleanup close_fd = [fd] { close(fd); };
  std::string out;
  char buf[8192];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("reading", path, errno);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

// ---- Options ----

bool AllDigits(absl::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// A dotted OID: at least two arcs, the first 0..2, decimal arcs.
bool IsDottedOid(absl::string_view oid) {
  std::vector<absl::string_view> arcs = absl::StrSplit(oid, '.');
  if (arcs.size() < 2) return false;
  for (absl::string_view arc : arcs) {
    if (arc.empty() || !AllDigits(arc) || (arc.size() > 1 && arc[0] == '0')) {
      return false;
    }
  }
  return arcs[0].size() == 1 && arcs[0][0] <= '2';
}

// A DNS name (letters, digits, '-', '.'), as the SM-DP+ address must be.
bool IsHostname(absl::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  for (absl::string_view label : absl::StrSplit(host, '.')) {
    if (label.empty() || label.size() > 63 || label.front() == '-' ||
        label.back() == '-') {
      return false;
    }
    for (char c : label) {
      if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-') {
        return false;
      }
    }
  }
  return true;
}

// The options with euicc_eid filled in, or the validation error.
absl::StatusOr<DevPkiOptions> Effective(const DevPkiOptions& options) {
  RETURN_IF_ERROR(ValidateDevPkiOptions(options));
  DevPkiOptions out = options;
  if (out.euicc_eid.empty()) {
    ASSIGN_OR_RETURN(out.euicc_eid, DefaultEuiccEid(out.eum_eid_prefix));
  }
  return out;
}

// ---- Layout ----

DevPkiCertFiles CertFiles(const std::string& dir, absl::string_view tag,
                          absl::string_view name) {
  return {JoinPath(dir, absl::StrCat(tag, "/", name, ".der")),
          JoinPath(dir, absl::StrCat(tag, "/", name, ".pem"))};
}

// Where everything of `info`'s curve goes in `dir`.
DevPkiCurve Layout(const std::string& dir, const CurveInfo& info) {
  DevPkiCurve c;
  c.curve = info.curve;
  c.dir = JoinPath(dir, info.tag);
  c.ci = CertFiles(dir, info.tag, "ci");
  c.ci_key = JoinPath(dir, absl::StrCat(info.tag, "/ci.key.pem"));
  c.eum = CertFiles(dir, info.tag, "eum");
  c.eum_key = JoinPath(dir, absl::StrCat(info.tag, "/eum.key.pem"));
  c.euicc = CertFiles(dir, info.tag, "euicc");
  c.euicc_key = JoinPath(dir, absl::StrCat(info.tag, "/euicc.key.pem"));
  c.dpauth = CertFiles(dir, info.tag, "dpauth");
  c.dppb = CertFiles(dir, info.tag, "dppb");
  c.dptls = CertFiles(dir, info.tag, "dptls");
  c.dpauth_key = absl::StrCat("dpauth-", info.tag);
  c.dppb_key = absl::StrCat("dppb-", info.tag);
  c.dptls_key = absl::StrCat("dptls-", info.tag);
  return c;
}

DevPkiCurve& CurveOf(DevPki& pki, hsm::Curve curve) {
  return curve == hsm::Curve::kNistP256 ? pki.nist : pki.brp;
}

// The SM-DP+ certificates of a curve: role, files, key label.
struct SmdpEntry {
  CertificateRole role;
  absl::string_view name;
  DevPkiCertFiles DevPkiCurve::*files;
  std::string DevPkiCurve::*key;
};

constexpr SmdpEntry kSmdpEntries[] = {
    {CertificateRole::kDpAuth, "dpauth", &DevPkiCurve::dpauth,
     &DevPkiCurve::dpauth_key},
    {CertificateRole::kDpPb, "dppb", &DevPkiCurve::dppb,
     &DevPkiCurve::dppb_key},
    {CertificateRole::kDpTls, "dptls", &DevPkiCurve::dptls,
     &DevPkiCurve::dptls_key},
};

// ---- Creating ----

absl::Status WriteCert(const DevPkiCertFiles& files, const std::string& der) {
  ASSIGN_OR_RETURN(std::string pem, CertificateDerToPem(der));
  RETURN_IF_ERROR(WriteFileAtomically(files.der, der, 0644));
  return WriteFileAtomically(files.pem, pem, 0644);
}

// A software key (CI, EUM, eUICC), written to `key_path`.
struct SoftwareIdentity {
  std::unique_ptr<EvpKeySigner> signer;
  SubjectPublicKey public_key;
};

absl::StatusOr<SoftwareIdentity> NewSoftwareKey(hsm::Curve curve,
                                                const std::string& key_path) {
  ASSIGN_OR_RETURN(EvpPkeyPtr key, GenerateSoftwareKey(curve));
  ASSIGN_OR_RETURN(std::string pem, PrivateKeyToPem(*key));
  RETURN_IF_ERROR(WriteFileAtomically(key_path, pem, 0600));
  SoftwareIdentity id;
  ASSIGN_OR_RETURN(id.public_key, SubjectPublicKeyFromEvp(*key));
  id.signer = std::make_unique<EvpKeySigner>(std::move(key));
  return id;
}

// The provider key `label`: generated, or loaded if it already exists.
absl::StatusOr<std::unique_ptr<hsm::SigningKey>> GetOrGenerateKey(
    hsm::CryptoProvider& provider, const std::string& label, hsm::Curve curve) {
  absl::StatusOr<std::unique_ptr<hsm::SigningKey>> key =
      provider.GenerateSigningKey(label, curve);
  if (key.ok()) return key;
  if (key.status().code() != absl::StatusCode::kAlreadyExists) {
    return absl::Status(
        key.status().code(),
        absl::StrCat("generating key ", label, " in ", provider.Describe(),
                     ": ", key.status().message()));
  }
  // Left by an interrupted run (or made by hand): certify it.
  ASSIGN_OR_RETURN(std::unique_ptr<hsm::SigningKey> existing,
                   provider.LoadSigningKey(label));
  if (existing->curve() != curve) {
    return absl::FailedPreconditionError(absl::StrCat(
        "key ", label, " in ", provider.Describe(), " is on ",
        hsm::CurveName(existing->curve()), ", the dev PKI needs ",
        hsm::CurveName(curve), "; delete that key or use another provider"));
  }
  return existing;
}

struct Validity {
  absl::Time not_before;
  absl::Time ci_not_after;
  absl::Time not_after;
};

absl::StatusOr<CertificateSpec> MakeSpec(
    CertificateRole role, const RoleParams& params, DistinguishedName subject,
    SubjectPublicKey key, absl::Time not_before, absl::Time not_after) {
  ASSIGN_OR_RETURN(CertificateSpec spec, SgpProfile(role, params));
  spec.subject = std::move(subject);
  spec.public_key = std::move(key);
  spec.serial_number = RandomSerialNumber();
  spec.not_before = not_before;
  spec.not_after = not_after;
  return spec;
}

absl::Status CreateCurve(const DevPkiOptions& o, const CurveInfo& info,
                         const Validity& v, hsm::CryptoProvider& provider,
                         DevPkiCurve& c) {
  RETURN_IF_ERROR(MakeDirs(c.dir));
  std::vector<std::string> crl;
  if (!o.crl_uri.empty()) crl.push_back(o.crl_uri);

  // CI.
  ASSIGN_OR_RETURN(SoftwareIdentity ci, NewSoftwareKey(info.curve, c.ci_key));
  ASSIGN_OR_RETURN(CertificateSpec ci_spec,
                   MakeSpec(CertificateRole::kCi,
                            {.registered_id = o.ci_oid, .crl_uris = crl},
                            {{"CN", absl::StrCat("SM-DP+ Dev CI ", info.title)},
                             {"O", std::string(kSmdpOrganization)},
                             {"C", std::string(kCountry)}},
                            ci.public_key, v.not_before, v.ci_not_after));
  ASSIGN_OR_RETURN(std::string ci_der, IssueSelfSigned(ci_spec, *ci.signer));
  RETURN_IF_ERROR(WriteCert(c.ci, ci_der));
  ASSIGN_OR_RETURN(X509Ptr ci_x509, ParseCertificateDer(ci_der));
  const ASN1_OCTET_STRING* ski = X509_get0_subject_key_id(ci_x509.get());
  if (ski == nullptr) return absl::InternalError("CI certificate has no SKI");
  c.ci_key_id_hex =
      absl::AsciiStrToUpper(absl::BytesToHexString(absl::string_view(
          reinterpret_cast<const char*>(ASN1_STRING_get0_data(ski)),
          ASN1_STRING_length(ski))));

  // EUM and its eUICC.
  ASSIGN_OR_RETURN(SoftwareIdentity eum, NewSoftwareKey(info.curve, c.eum_key));
  ASSIGN_OR_RETURN(
      CertificateSpec eum_spec,
      MakeSpec(CertificateRole::kEum,
               {.registered_id = o.eum_oid,
                .eum_organization = std::string(kEumOrganization),
                .eid_prefixes = {o.eum_eid_prefix},
                .crl_uris = crl},
               {{"C", std::string(kCountry)},
                {"O", std::string(kEumOrganization)},
                {"CN", absl::StrCat("SM-DP+ Dev EUM ", info.title)}},
               eum.public_key, v.not_before, v.not_after));
  ASSIGN_OR_RETURN(std::string eum_der,
                   IssueCertificate(eum_spec, ci_der, *ci.signer));
  RETURN_IF_ERROR(WriteCert(c.eum, eum_der));

  ASSIGN_OR_RETURN(SoftwareIdentity euicc,
                   NewSoftwareKey(info.curve, c.euicc_key));
  ASSIGN_OR_RETURN(
      CertificateSpec euicc_spec,
      MakeSpec(CertificateRole::kEuicc, {},
               {{"C", std::string(kCountry)},
                {"O", std::string(kEumOrganization)},
                {"serialNumber", o.euicc_eid},
                {"CN", absl::StrCat("SM-DP+ Dev eUICC ", info.title)}},
               euicc.public_key, v.not_before, v.not_after));
  ASSIGN_OR_RETURN(std::string euicc_der,
                   IssueCertificate(euicc_spec, eum_der, *eum.signer));
  RETURN_IF_ERROR(WriteCert(c.euicc, euicc_der));

  // The SM-DP+ certificates, keys inside the provider.
  for (const SmdpEntry& entry : kSmdpEntries) {
    const std::string& label = c.*entry.key;
    ASSIGN_OR_RETURN(std::unique_ptr<hsm::SigningKey> key,
                     GetOrGenerateKey(provider, label, info.curve));
    RoleParams params{.registered_id = o.smdp_oid, .crl_uris = crl};
    if (entry.role == CertificateRole::kDpTls) {
      params.dns_name = o.smdp_address;
    }
    ASSIGN_OR_RETURN(
        CertificateSpec spec,
        MakeSpec(
            entry.role, params,
            {{"O", std::string(kSmdpOrganization)}, {"CN", o.smdp_address}},
            {info.curve, key->public_point()}, v.not_before, v.not_after));
    ASSIGN_OR_RETURN(std::string der,
                     IssueCertificate(spec, ci_der, *ci.signer));
    RETURN_IF_ERROR(WriteCert(c.*entry.files, der));
  }
  return absl::OkStatus();
}

// ---- Manifest ----

// `path` relative to `dir` (paths in DevPki all start with dir + "/").
std::string Relative(const std::string& dir, const std::string& path) {
  absl::string_view p = path;
  if (absl::ConsumePrefix(&p, dir)) absl::ConsumePrefix(&p, "/");
  return std::string(p);
}

std::string ManifestText(const DevPki& pki, const DevPkiOptions& o,
                         absl::Time now, const std::string& provider) {
  std::string out = absl::StrCat(
      "# SM-DP+ development PKI, written by EnsureDevPki "
      "(smdp/pki/dev_pki.h).\n"
      "# Paths are relative to this file's directory. Delete the directory "
      "to make a new PKI.\n",
      "format = ", kManifestFormat, "\n", "created = ",
      absl::FormatTime(absl::RFC3339_sec, now, absl::UTCTimeZone()), "\n",
      "provider = ", provider, "\n", "smdp_address = ", o.smdp_address, "\n",
      "smdp_oid = ", o.smdp_oid, "\n", "ci_oid = ", o.ci_oid, "\n",
      "eum_oid = ", o.eum_oid, "\n", "eum_eid_prefix = ", o.eum_eid_prefix,
      "\n", "euicc_eid = ", o.euicc_eid, "\n");
  for (const CurveInfo& info : kCurves) {
    const DevPkiCurve& c = pki.ForCurve(info.curve);
    auto line = [&](absl::string_view key, absl::string_view value) {
      absl::StrAppend(&out, info.tag, ".", key, " = ", value, "\n");
    };
    auto cert = [&](absl::string_view name, const DevPkiCertFiles& f) {
      line(absl::StrCat(name, ".der"), Relative(pki.dir, f.der));
      line(absl::StrCat(name, ".pem"), Relative(pki.dir, f.pem));
    };
    absl::StrAppend(&out, "\n# ", hsm::CurveName(info.curve), "\n");
    line("dir", Relative(pki.dir, c.dir));
    line("ci_key_id", c.ci_key_id_hex);
    cert("ci", c.ci);
    line("ci.key", Relative(pki.dir, c.ci_key));
    cert("eum", c.eum);
    line("eum.key", Relative(pki.dir, c.eum_key));
    cert("euicc", c.euicc);
    line("euicc.key", Relative(pki.dir, c.euicc_key));
    for (const SmdpEntry& entry : kSmdpEntries) {
      cert(entry.name, c.*entry.files);
      line(absl::StrCat(entry.name, ".key_label"), c.*entry.key);
    }
  }
  return out;
}

using Manifest = std::map<std::string, std::string, std::less<>>;

absl::StatusOr<Manifest> ParseManifest(absl::string_view text,
                                       const std::string& path) {
  Manifest m;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    size_t eq = line.find('=');
    if (eq == absl::string_view::npos) {
      return absl::FailedPreconditionError(absl::StrCat(
          path, ":", line_no, ": expected `key = value`, got \"", line, "\""));
    }
    m[std::string(absl::StripAsciiWhitespace(line.substr(0, eq)))] =
        std::string(absl::StripAsciiWhitespace(line.substr(eq + 1)));
  }
  return m;
}

// ---- Loading ----

class ManifestReader {
 public:
  ManifestReader(const Manifest& m, std::string path, std::string dir)
      : m_(m), path_(std::move(path)), dir_(std::move(dir)) {}

  absl::StatusOr<std::string> Get(absl::string_view key) const {
    auto it = m_.find(key);
    if (it == m_.end() || it->second.empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat("dev PKI manifest ", path_, " has no ", key, "; delete ",
                       dir_, " to make a new dev PKI"));
    }
    return it->second;
  }

  absl::StatusOr<std::string> Path(absl::string_view key) const {
    ASSIGN_OR_RETURN(std::string rel, Get(key));
    return JoinPath(dir_, rel);
  }

  absl::StatusOr<DevPkiCertFiles> Cert(absl::string_view prefix) const {
    DevPkiCertFiles f;
    ASSIGN_OR_RETURN(f.der, Path(absl::StrCat(prefix, ".der")));
    ASSIGN_OR_RETURN(f.pem, Path(absl::StrCat(prefix, ".pem")));
    return f;
  }

 private:
  const Manifest& m_;
  std::string path_;
  std::string dir_;
};

// A damaged dev PKI: FailedPrecondition saying how to start over.
absl::Status Damaged(const std::string& dir, absl::string_view what) {
  return absl::FailedPreconditionError(absl::StrCat("dev PKI in ", dir, ": ",
                                                    what, "; delete ", dir,
                                                    " to make a new dev PKI"));
}

absl::StatusOr<X509Ptr> LoadCert(const std::string& dir,
                                 const DevPkiCertFiles& files) {
  absl::StatusOr<std::string> der = ReadFile(files.der);
  if (!der.ok()) return Damaged(dir, der.status().message());
  if (!FileExists(files.pem)) {
    return Damaged(dir, absl::StrCat(files.pem, " is missing"));
  }
  absl::StatusOr<X509Ptr> x = ParseCertificateDer(*der);
  if (!x.ok()) {
    return Damaged(dir, absl::StrCat(files.der, ": ", x.status().message()));
  }
  return x;
}

absl::Status CheckSignedBy(const std::string& dir, X509* cert, X509* issuer,
                           absl::string_view what) {
  EVP_PKEY* key = X509_get0_pubkey(issuer);
  if (key == nullptr || X509_verify(cert, key) != 1) {
    DrainOpensslErrors();
    return Damaged(dir, absl::StrCat(what, " is not signed by its issuer"));
  }
  return absl::OkStatus();
}

absl::Status LoadCurve(const ManifestReader& r, const CurveInfo& info,
                       const std::string& dir, hsm::CryptoProvider& provider,
                       DevPkiCurve& c) {
  const std::string t(info.tag);
  c.curve = info.curve;
  ASSIGN_OR_RETURN(c.dir, r.Path(t + ".dir"));
  ASSIGN_OR_RETURN(c.ci, r.Cert(t + ".ci"));
  ASSIGN_OR_RETURN(c.ci_key, r.Path(t + ".ci.key"));
  ASSIGN_OR_RETURN(c.eum, r.Cert(t + ".eum"));
  ASSIGN_OR_RETURN(c.eum_key, r.Path(t + ".eum.key"));
  ASSIGN_OR_RETURN(c.euicc, r.Cert(t + ".euicc"));
  ASSIGN_OR_RETURN(c.euicc_key, r.Path(t + ".euicc.key"));
  for (const SmdpEntry& entry : kSmdpEntries) {
    ASSIGN_OR_RETURN(c.*entry.files, r.Cert(absl::StrCat(t, ".", entry.name)));
    ASSIGN_OR_RETURN(c.*entry.key,
                     r.Get(absl::StrCat(t, ".", entry.name, ".key_label")));
  }
  for (const std::string* key_file : {&c.ci_key, &c.eum_key, &c.euicc_key}) {
    if (!FileExists(*key_file)) {
      return Damaged(dir, absl::StrCat(*key_file, " is missing"));
    }
  }

  ASSIGN_OR_RETURN(X509Ptr ci, LoadCert(dir, c.ci));
  ASSIGN_OR_RETURN(X509Ptr eum, LoadCert(dir, c.eum));
  ASSIGN_OR_RETURN(X509Ptr euicc, LoadCert(dir, c.euicc));
  RETURN_IF_ERROR(CheckSignedBy(dir, ci.get(), ci.get(), c.ci.der));
  RETURN_IF_ERROR(CheckSignedBy(dir, eum.get(), ci.get(), c.eum.der));
  RETURN_IF_ERROR(CheckSignedBy(dir, euicc.get(), eum.get(), c.euicc.der));
  const ASN1_OCTET_STRING* ski = X509_get0_subject_key_id(ci.get());
  if (ski == nullptr) return Damaged(dir, "the CI certificate has no SKI");
  c.ci_key_id_hex =
      absl::AsciiStrToUpper(absl::BytesToHexString(absl::string_view(
          reinterpret_cast<const char*>(ASN1_STRING_get0_data(ski)),
          ASN1_STRING_length(ski))));

  for (const SmdpEntry& entry : kSmdpEntries) {
    const DevPkiCertFiles& files = c.*entry.files;
    const std::string& label = c.*entry.key;
    ASSIGN_OR_RETURN(X509Ptr cert, LoadCert(dir, files));
    RETURN_IF_ERROR(CheckSignedBy(dir, cert.get(), ci.get(), files.der));
    absl::StatusOr<std::unique_ptr<hsm::SigningKey>> key =
        provider.LoadSigningKey(label);
    if (!key.ok()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "dev PKI in ", dir, " needs key ", label, " (", RoleName(entry.role),
          ", ", hsm::CurveName(info.curve), ") but ", provider.Describe(),
          " cannot load it: ", key.status().message(), ". Use the provider ",
          "the dev PKI was made with, or delete ", dir,
          " to make a new dev PKI"));
    }
    absl::StatusOr<SubjectPublicKey> certified =
        SubjectPublicKeyFromEvp(*X509_get0_pubkey(cert.get()));
    if (!certified.ok()) {
      return Damaged(
          dir, absl::StrCat(files.der, ": ", certified.status().message()));
    }
    if ((*key)->curve() != certified->curve ||
        (*key)->public_point() != certified->point) {
      return absl::FailedPreconditionError(
          absl::StrCat("key ", label, " in ", provider.Describe(),
                       " is not the key certified by ", files.der,
                       " (another key under the same label); delete ", dir,
                       " to make a new dev PKI for this provider"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<DevPki> Load(const DevPkiOptions& o, const std::string& manifest,
                            hsm::CryptoProvider& provider) {
  ASSIGN_OR_RETURN(std::string text, ReadFile(manifest));
  ASSIGN_OR_RETURN(Manifest m, ParseManifest(text, manifest));
  ManifestReader r(m, manifest, o.dir);
  ASSIGN_OR_RETURN(std::string format, r.Get("format"));
  if (format != kManifestFormat) {
    return Damaged(o.dir, absl::StrCat("manifest format ", format, " is not ",
                                       kManifestFormat));
  }

  // The PKI must have been made with these options.
  std::vector<std::string> mismatches;
  auto compare = [&](absl::string_view key, const std::string& want,
                     bool ignore_case) -> absl::Status {
    ASSIGN_OR_RETURN(std::string have, r.Get(key));
    if (ignore_case ? !absl::EqualsIgnoreCase(have, want) : have != want) {
      mismatches.push_back(
          absl::StrCat(key, " is ", have, " there, ", want, " here"));
    }
    return absl::OkStatus();
  };
  RETURN_IF_ERROR(compare("smdp_address", o.smdp_address, true));
  RETURN_IF_ERROR(compare("smdp_oid", o.smdp_oid, false));
  RETURN_IF_ERROR(compare("ci_oid", o.ci_oid, false));
  RETURN_IF_ERROR(compare("eum_oid", o.eum_oid, false));
  RETURN_IF_ERROR(compare("eum_eid_prefix", o.eum_eid_prefix, false));
  RETURN_IF_ERROR(compare("euicc_eid", o.euicc_eid, false));
  if (!mismatches.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "dev PKI in ", o.dir, " was made with other options (",
        absl::StrJoin(mismatches, "; "), "); pass the same options or delete ",
        o.dir, " to make a new dev PKI"));
  }

  DevPki pki;
  pki.dir = o.dir;
  pki.manifest = manifest;
  ASSIGN_OR_RETURN(pki.smdp_address, r.Get("smdp_address"));
  pki.smdp_oid = o.smdp_oid;
  pki.eum_eid_prefix = o.eum_eid_prefix;
  pki.euicc_eid = o.euicc_eid;
  pki.created = false;
  for (const CurveInfo& info : kCurves) {
    RETURN_IF_ERROR(
        LoadCurve(r, info, o.dir, provider, CurveOf(pki, info.curve)));
  }
  return pki;
}

}  // namespace

absl::Status ValidateDevPkiOptions(const DevPkiOptions& o) {
  std::vector<std::string> errors;
  if (o.dir.empty()) errors.push_back("dir: required");
  if (!IsHostname(o.smdp_address)) {
    errors.push_back(absl::StrCat("smdp_address: \"", o.smdp_address,
                                  "\" is not a DNS name"));
  }
  for (auto [field, oid] :
       {std::pair{"smdp_oid", &o.smdp_oid}, std::pair{"ci_oid", &o.ci_oid},
        std::pair{"eum_oid", &o.eum_oid}}) {
    if (!IsDottedOid(*oid)) {
      errors.push_back(
          absl::StrCat(field, ": \"", *oid, "\" is not a dotted OID"));
    }
  }
  const bool prefix_ok = !o.eum_eid_prefix.empty() &&
                         o.eum_eid_prefix.size() <= sgp22::kEidDigits - 2 &&
                         AllDigits(o.eum_eid_prefix);
  if (!prefix_ok) {
    errors.push_back(absl::StrCat("eum_eid_prefix: \"", o.eum_eid_prefix,
                                  "\" is not 1..30 decimal digits"));
  }
  if (!o.euicc_eid.empty()) {
    absl::Status eid = sgp22::ValidateEid(o.euicc_eid);
    if (!eid.ok()) {
      errors.push_back(absl::StrCat("euicc_eid: ", eid.message()));
    } else if (prefix_ok &&
               !sgp22::EidHasPrefix(o.euicc_eid, o.eum_eid_prefix)) {
      errors.push_back(absl::StrCat("euicc_eid: ", o.euicc_eid,
                                    " is outside the EUM's range (prefix ",
                                    o.eum_eid_prefix, ")"));
    }
  }
  if (o.ci_validity <= absl::ZeroDuration()) {
    errors.push_back("ci_validity: must be positive");
  }
  if (o.validity <= absl::ZeroDuration()) {
    errors.push_back("validity: must be positive");
  }
  if (o.now.has_value() &&
      (*o.now == absl::InfinitePast() || *o.now == absl::InfiniteFuture())) {
    errors.push_back("now: must be finite");
  }
  if (errors.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("DevPkiOptions: ", absl::StrJoin(errors, "; ")));
}

absl::StatusOr<std::string> DefaultEuiccEid(absl::string_view prefix) {
  if (prefix.empty() || prefix.size() > sgp22::kEidDigits - 2 ||
      !AllDigits(prefix)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "EID prefix \"", prefix, "\" is not 1..30 decimal digits"));
  }
  std::string body(prefix);
  if (body.size() < sgp22::kEidDigits - 2) {
    body.append(sgp22::kEidDigits - 3 - body.size(), '0');
    body.push_back('1');
  }
  return sgp22::CompleteEid(body);
}

absl::StatusOr<DevPki> EnsureDevPki(const DevPkiOptions& options,
                                    hsm::CryptoProvider& provider) {
  ASSIGN_OR_RETURN(DevPkiOptions o, Effective(options));
  const std::string manifest = JoinPath(o.dir, kManifestName);
  if (FileExists(manifest)) return Load(o, manifest, provider);

  // Make everything (anew: leftovers of an interrupted run are overwritten).
  RETURN_IF_ERROR(MakeDirs(o.dir));
  const absl::Time now = o.now.value_or(absl::Now());
  const Validity v{.not_before = now - kBackdate,
                   .ci_not_after = now + o.ci_validity,
                   .not_after = now + o.validity};
  DevPki pki;
  pki.dir = o.dir;
  pki.manifest = manifest;
  pki.smdp_address = o.smdp_address;
  pki.smdp_oid = o.smdp_oid;
  pki.eum_eid_prefix = o.eum_eid_prefix;
  pki.euicc_eid = o.euicc_eid;
  pki.created = true;
  for (const CurveInfo& info : kCurves) {
    DevPkiCurve& c = CurveOf(pki, info.curve);
    c = Layout(o.dir, info);
    RETURN_IF_ERROR(CreateCurve(o, info, v, provider, c));
  }
  // Last: the manifest marks the PKI complete.
  RETURN_IF_ERROR(WriteFileAtomically(
      manifest, ManifestText(pki, o, now, provider.Describe()), 0644));
  return pki;
}

}  // namespace smdp::pki
