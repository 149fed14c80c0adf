// euicc_cli: the software eUICC (software_euicc.h) on the command line, with
// its keys and session state in a directory, so that scripts (curl against
// smdpd's ES9+ JSON binding, interop tests) can play the LPA and the eUICC.
//
//   euicc_cli --state=DIR init --sgp26=/path/to/sgp26 --curve=nist|brp
//   euicc_cli --state=DIR init --cert=CERT.der --key=KEY.pem --eum=EUM.der
//                              --ci=CI.der[,CI2.der] [--eid=32DIGITS]
//   euicc_cli --state=DIR challenge          base64 euiccChallenge
//   euicc_cli --state=DIR info1|info2        base64 EUICCInfo1 / EUICCInfo2
//   euicc_cli --state=DIR authenticate --in=FILE [--matching_id=AC]
//                                      [--smdp_address=HOST]
//       FILE: the JSON answer of ES9+ InitiateAuthentication, or an
//       AuthenticateServerRequest (BF38). Prints AuthenticateServerResponse.
//   euicc_cli --state=DIR prepare --in=FILE [--cc=CODE]
//       FILE: the JSON answer of ES9+ AuthenticateClient, or a
//       PrepareDownloadRequest (BF21). Prints PrepareDownloadResponse.
//   euicc_cli --state=DIR load-bpp --in=FILE [--out_profile=FILE]
//       FILE: the JSON answer of ES9+ GetBoundProfilePackage, or a
//       BoundProfilePackage (BF36). Prints the ProfileInstallationResult.
//   euicc_cli --state=DIR cancel --transaction_id=HEX --reason=N
//       Prints the CancelSessionResponse.
//   euicc_cli --state=DIR download --smdp=HOST:PORT --matching_id=AC
//       [--transport=https|grpc] [--ca=PEM] [--smdp_address=NAME] [--cc=CODE]
//       [--out_profile=FILE] [--tls_cert=PEM --tls_key=PEM]
//       Plays the LPA against a running SM-DP+ (tests/euicc/lpa.h): a whole
//       download, from GetEuiccChallenge to the notification of the
//       installation result, over the GSMA HTTPS binding (default) or ES9+
//       over gRPC. Prints one line per step, then "<ICCID> installed"; a
//       Failed answer or an eUICC refusal is one line on stderr naming the
//       step (with the GSMA subject/reason codes), exit 1. --smdp_address
//       defaults to --smdp's host. --ca is the trust anchor: for HTTPS the CI
//       that issued CERT.DP.TLS, for gRPC the CA of smdpd's gRPC certificate;
//       default the dev file under ./smdp-data when it exists
//       (pki/nist/ci.pem, pki/grpc/ca.pem).
//
// Input files may be binary DER, base64 of it, or JSON (detected). Output
// is base64 on stdout, or binary DER into --out=FILE. --now=RFC3339 fixes
// the eUICC's clock (the SGP.26 DPauth/DPpb expire in 2030).
//
// Errors print one line on stderr and exit 1 (2 for usage errors); an ES10b
// error answer is still printed (the LPA forwards it) before exiting 1.
#include <grpc/support/log.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "sgp22/types.h"
#include "smdp/pki/dev_tls.h"
#include "tests/euicc/lpa.h"
#include "tests/euicc/software_euicc.h"
#include "util/file_util.h"

ABSL_FLAG(std::string, state, "", "Directory of the eUICC's keys and state.");
ABSL_FLAG(std::string, sgp26, "", "init: the SGP.26 test PKI directory.");
ABSL_FLAG(std::string, curve, "nist", "init --sgp26: nist or brp.");
ABSL_FLAG(std::string, cert, "", "init: CERT.EUICC (DER or PEM file).");
ABSL_FLAG(std::string, key, "", "init: SK.EUICC (PEM file).");
ABSL_FLAG(std::string, eum, "", "init: CERT.EUM (DER or PEM file).");
ABSL_FLAG(std::string, ci, "",
          "init: trusted CI certificates, comma-separated.");
ABSL_FLAG(std::string, eid, "", "init: the EID (default: from CERT.EUICC).");
ABSL_FLAG(std::string, in, "", "Input file (DER, base64 or ES9+ JSON).");
ABSL_FLAG(std::string, out, "", "Write the answer DER here instead of stdout.");
ABSL_FLAG(std::string, out_profile, "", "load-bpp: write the profile here.");
ABSL_FLAG(std::string, matching_id, "", "authenticate: ctxParams1 matchingId.");
ABSL_FLAG(std::string, smdp_address, "",
          "authenticate: the SM-DP+ address the LPA expects.");
ABSL_FLAG(std::string, cc, "", "prepare: the confirmation code.");
ABSL_FLAG(std::string, transaction_id, "", "cancel: transactionId (hex).");
ABSL_FLAG(int, reason, 1, "cancel: CancelSessionReason (1 = postponed).");
ABSL_FLAG(std::string, now, "", "The eUICC's clock (RFC 3339); default now.");
ABSL_FLAG(std::string, smdp, "", "download: the SM-DP+, HOST:PORT.");
ABSL_FLAG(std::string, transport, "https", "download: https or grpc.");
ABSL_FLAG(std::string, ca, "",
          "download: PEM trust anchor (HTTPS: the CI of CERT.DP.TLS; gRPC: "
          "the CA of smdpd's gRPC certificate). Default: the dev file under "
          "./smdp-data.");
ABSL_FLAG(std::string, tls_cert, "",
          "download: optional client certificate (PEM).");
ABSL_FLAG(std::string, tls_key, "", "download: its private key (PEM).");

namespace {

using smdp::euicc::SoftwareEuicc;

constexpr char kUsage[] =
    "usage: euicc_cli --state=DIR init|challenge|info1|info2|authenticate|"
    "prepare|load-bpp|cancel|download [flags] (see euicc_cli.cc)";

// Where dev-mode smdpd keeps the trust anchors, relative to its working
// directory: the dev CI (CERT.DP.TLS's issuer) and the gRPC TLS CA.
constexpr char kDevDataDir[] = "smdp-data";
constexpr char kDevHttpsCa[] = "smdp-data/pki/nist/ci.pem";

// A failure with its exit code.
struct CliError {
  int code;
  std::string message;
};

std::string StatePath(absl::string_view name) {
  return absl::StrCat(absl::GetFlag(FLAGS_state), "/", name);
}

absl::StatusOr<std::string> ReadFlagFile(absl::string_view flag,
                                         const std::string& path) {
  if (path.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("--", flag, " is required"));
  }
  return smdp::ReadFile(path, 64 << 20);
}

// A certificate file as DER (PEM is converted).
absl::StatusOr<std::string> CertificateDer(absl::string_view flag,
                                           const std::string& path) {
  absl::StatusOr<std::string> data = ReadFlagFile(flag, path);
  if (!data.ok()) return data.status();
  absl::string_view text = *data;
  if (!absl::ConsumePrefix(&text, "-----BEGIN CERTIFICATE-----")) return data;
  const size_t end = text.find("-----END CERTIFICATE-----");
  std::string base64;
  for (char c : text.substr(0, end)) {
    if (!absl::ascii_isspace(c)) base64.push_back(c);
  }
  std::string der;
  if (!absl::Base64Unescape(base64, &der)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": bad PEM"));
  }
  return der;
}

// The value of string field `name` in a flat JSON object ("" when absent).
std::string JsonField(absl::string_view json, absl::string_view name) {
  const std::string key = absl::StrCat("\"", name, "\"");
  size_t at = json.find(key);
  if (at == absl::string_view::npos) return "";
  at += key.size();
  while (at < json.size() && absl::ascii_isspace(json[at])) ++at;
  if (at >= json.size() || json[at] != ':') return "";
  ++at;
  while (at < json.size() && absl::ascii_isspace(json[at])) ++at;
  if (at >= json.size() || json[at] != '"') return "";
  std::string value;
  for (++at; at < json.size() && json[at] != '"'; ++at) {
    if (json[at] == '\\' && at + 1 < json.size()) ++at;  // "\/" and the like
    value.push_back(json[at]);
  }
  return value;
}

// Base64 of a JSON field, decoded; InvalidArgument naming the field.
absl::StatusOr<std::string> JsonBase64(absl::string_view json,
                                       absl::string_view name) {
  std::string out;
  const std::string value = JsonField(json, name);
  if (value.empty() || !absl::Base64Unescape(value, &out)) {
    return absl::InvalidArgumentError(
        absl::StrCat("JSON field ", name, " missing or not base64"));
  }
  return out;
}

// The --in file: JSON (returned as is, `*is_json` set), binary DER, or
// base64 of DER.
absl::StatusOr<std::string> ReadInput(bool* is_json) {
  absl::StatusOr<std::string> data =
      ReadFlagFile("in", absl::GetFlag(FLAGS_in));
  if (!data.ok()) return data;
  absl::string_view text = absl::StripAsciiWhitespace(*data);
  *is_json = !text.empty() && text[0] == '{';
  if (*is_json) return std::string(text);
  if (!text.empty() && (static_cast<uint8_t>(text[0]) == 0xBF ||
                        static_cast<uint8_t>(text[0]) == 0x30)) {
    return *data;
  }
  std::string der;
  if (!absl::Base64Unescape(text, &der)) {
    return absl::InvalidArgumentError(
        "--in is neither JSON, DER nor base64 of DER");
  }
  return der;
}

absl::StatusOr<std::unique_ptr<SoftwareEuicc>> LoadEuicc() {
  smdp::euicc::SoftwareEuiccConfig config;
  absl::StatusOr<std::string> cert = smdp::ReadFile(StatePath("euicc.der"));
  if (!cert.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        absl::GetFlag(FLAGS_state), " holds no eUICC: run init first"));
  }
  config.euicc_certificate = *std::move(cert);
  absl::StatusOr<std::string> key = smdp::ReadFile(StatePath("euicc.key.pem"));
  absl::StatusOr<std::string> eum = smdp::ReadFile(StatePath("eum.der"));
  absl::StatusOr<std::string> eid = smdp::ReadFile(StatePath("eid.txt"));
  for (const absl::Status& s : {key.status(), eum.status(), eid.status()}) {
    if (!s.ok()) return s;
  }
  config.euicc_private_key_pem = *std::move(key);
  config.eum_certificate = *std::move(eum);
  config.eid = std::string(absl::StripAsciiWhitespace(*eid));
  for (int i = 0;; ++i) {
    absl::StatusOr<std::string> ci =
        smdp::ReadFile(StatePath(absl::StrCat("ci-", i, ".der")));
    if (!ci.ok()) break;
    config.ci_certificates.push_back(*std::move(ci));
  }
  if (!absl::GetFlag(FLAGS_now).empty()) {
    absl::Time now;
    std::string error;
    if (!absl::ParseTime(absl::RFC3339_full, absl::GetFlag(FLAGS_now), &now,
                         &error)) {
      return absl::InvalidArgumentError(absl::StrCat("--now: ", error));
    }
    config.clock = smdp::euicc::FixedClock(now);
  }
  absl::StatusOr<std::unique_ptr<SoftwareEuicc>> euicc =
      SoftwareEuicc::Create(std::move(config));
  if (!euicc.ok()) return euicc;
  absl::StatusOr<std::string> state = smdp::ReadFile(StatePath("state.txt"));
  if (state.ok()) {
    if (absl::Status s = (*euicc)->RestoreState(*state); !s.ok()) return s;
  }
  return euicc;
}

absl::Status SaveEuicc(const SoftwareEuicc& euicc) {
  return smdp::WriteFileAtomically(StatePath("state.txt"), euicc.SaveState(),
                                   0600);
}

// Prints `der` as base64, or writes it to --out.
absl::Status Output(absl::string_view der) {
  const std::string out = absl::GetFlag(FLAGS_out);
  if (!out.empty()) return smdp::WriteFileAtomically(out, der, 0644);
  std::cout << absl::Base64Escape(der) << std::endl;
  return absl::OkStatus();
}

absl::Status Init() {
  const std::string dir = absl::GetFlag(FLAGS_state);
  std::string cert, key, eum;
  std::vector<std::string> cis;
  // Moves a read file into `*out`; returns the read status.
  auto read = [](absl::StatusOr<std::string> data, std::string* out) {
    if (data.ok()) *out = *std::move(data);
    return data.status();
  };
  if (!absl::GetFlag(FLAGS_sgp26).empty()) {
    const std::string base = absl::GetFlag(FLAGS_sgp26);
    const std::string curve = absl::AsciiStrToLower(absl::GetFlag(FLAGS_curve));
    if (curve != "nist" && curve != "brp") {
      return absl::InvalidArgumentError("--curve must be nist or brp");
    }
    const std::string c = absl::AsciiStrToUpper(curve);
    std::string ci;
    for (absl::Status s :
         {read(smdp::ReadFile(base + "/eUICC/CERT_EUICC_ECDSA_" + c + ".der"),
               &cert),
          read(smdp::ReadFile(base + "/eUICC/SK_EUICC_ECDSA_" + c + ".pem"),
               &key),
          read(smdp::ReadFile(base + "/EUM/CERT_EUM_ECDSA_" + c + ".der"),
               &eum),
          read(smdp::ReadFile(base + "/CertificateIssuer/CERT_CI_ECDSA_" + c +
                              ".der"),
               &ci)}) {
      if (!s.ok()) return s;
    }
    cis.push_back(std::move(ci));
  } else {
    for (absl::Status s :
         {read(CertificateDer("cert", absl::GetFlag(FLAGS_cert)), &cert),
          read(ReadFlagFile("key", absl::GetFlag(FLAGS_key)), &key),
          read(CertificateDer("eum", absl::GetFlag(FLAGS_eum)), &eum)}) {
      if (!s.ok()) return s;
    }
    for (absl::string_view path :
         absl::StrSplit(absl::GetFlag(FLAGS_ci), ',', absl::SkipEmpty())) {
      std::string ci;
      if (absl::Status s = read(CertificateDer("ci", std::string(path)), &ci);
          !s.ok()) {
        return s;
      }
      cis.push_back(std::move(ci));
    }
    if (cis.empty()) return absl::InvalidArgumentError("--ci is required");
  }
  // Check it all makes an eUICC before writing anything.
  smdp::euicc::SoftwareEuiccConfig config;
  config.euicc_certificate = cert;
  config.euicc_private_key_pem = key;
  config.eum_certificate = eum;
  config.ci_certificates = cis;
  config.eid = absl::GetFlag(FLAGS_eid);
  absl::StatusOr<std::unique_ptr<SoftwareEuicc>> euicc =
      SoftwareEuicc::Create(config);
  if (!euicc.ok()) return euicc.status();

  if (absl::Status s = smdp::MakeDirs(dir, 0700); !s.ok()) return s;
  for (int i = 0; smdp::FileExists(StatePath(absl::StrCat("ci-", i, ".der")));
       ++i) {
    std::remove(StatePath(absl::StrCat("ci-", i, ".der")).c_str());
  }
  std::vector<std::pair<std::string, std::string>> files = {
      {"euicc.der", cert},
      {"euicc.key.pem", key},
      {"eum.der", eum},
      {"eid.txt", (*euicc)->eid() + "\n"}};
  for (size_t i = 0; i < cis.size(); ++i) {
    files.emplace_back(absl::StrCat("ci-", i, ".der"), cis[i]);
  }
  for (const auto& [name, data] : files) {
    if (absl::Status s = smdp::WriteFileAtomically(StatePath(name), data, 0600);
        !s.ok()) {
      return s;
    }
  }
  if (absl::Status s = SaveEuicc(**euicc); !s.ok()) return s;
  std::cout << "eUICC " << (*euicc)->eid() << " in " << dir << std::endl;
  return absl::OkStatus();
}

// The client options of the download command from its flags; a usage
// error (exit code 2) when they are incomplete.
absl::StatusOr<smdp::euicc::Es9ClientOptions> DownloadClientOptions() {
  smdp::euicc::Es9ClientOptions options;
  options.smdp = absl::GetFlag(FLAGS_smdp);
  if (options.smdp.empty()) {
    return absl::InvalidArgumentError("download needs --smdp=HOST:PORT");
  }
  const std::string transport = absl::GetFlag(FLAGS_transport);
  if (transport == "grpc") {
    options.transport = smdp::euicc::Es9Transport::kGrpc;
  } else if (transport != "https") {
    return absl::InvalidArgumentError(absl::StrCat(
        "--transport must be https or grpc, not '", transport, "'"));
  }
  options.ca_file = absl::GetFlag(FLAGS_ca);
  if (options.ca_file.empty()) {
    const std::string dev =
        transport == "grpc"
            ? smdp::pki::DevTlsLayout(smdp::pki::DevTlsDir(kDevDataDir)).ca_cert
            : kDevHttpsCa;
    if (!smdp::FileExists(dev)) {
      return absl::InvalidArgumentError(
          absl::StrCat("download needs --ca=PEM (no dev ", dev, " here)"));
    }
    options.ca_file = dev;
  }
  options.client_cert_file = absl::GetFlag(FLAGS_tls_cert);
  options.client_key_file = absl::GetFlag(FLAGS_tls_key);
  if (options.client_cert_file.empty() != options.client_key_file.empty()) {
    return absl::InvalidArgumentError("--tls_cert and --tls_key go together");
  }
  return options;
}

// The download command: euicc_cli as an LPA (tests/euicc/lpa.h). Prints
// its steps and the installed ICCID.
absl::Status Download(SoftwareEuicc& euicc,
                      const smdp::euicc::Es9ClientOptions& client_options) {
  absl::StatusOr<std::unique_ptr<smdp::euicc::Es9Client>> client =
      smdp::euicc::CreateEs9Client(client_options);
  if (!client.ok()) return client.status();
  smdp::euicc::DownloadOptions options;
  options.smdp_address = absl::GetFlag(FLAGS_smdp_address);
  if (options.smdp_address.empty()) {
    options.smdp_address = smdp::euicc::HostOf(client_options.smdp);
  }
  if (!absl::GetFlag(FLAGS_matching_id).empty()) {
    options.matching_id = absl::GetFlag(FLAGS_matching_id);
  }
  if (!absl::GetFlag(FLAGS_cc).empty()) {
    options.confirmation_code = absl::GetFlag(FLAGS_cc);
  }
  absl::StatusOr<smdp::euicc::DownloadResult> result =
      smdp::euicc::DownloadProfile(
          euicc, **client, options,
          [](absl::string_view line) { std::cout << line << std::endl; });
  if (!result.ok()) return result.status();
  const std::string out_profile = absl::GetFlag(FLAGS_out_profile);
  if (!out_profile.empty()) {
    if (absl::Status s =
            smdp::WriteFileAtomically(out_profile, result->profile, 0644);
        !s.ok()) {
      return s;
    }
  }
  std::cout << result->iccid << " installed" << std::endl;
  return absl::OkStatus();
}

// Runs one ES10b command on the loaded eUICC. Returns the exit code.
int Run(const std::string& command) {
  auto fail = [](int code, absl::string_view message) {
    // One line, even for a multi-line message (gRPC, TLS).
    std::string line(message);
    std::replace(line.begin(), line.end(), '\n', ' ');
    std::cerr << "euicc_cli: " << line << std::endl;
    return code;
  };
  if (command == "init") {
    absl::Status s = Init();
    return s.ok() ? 0 : fail(1, s.message());
  }
  absl::StatusOr<std::unique_ptr<SoftwareEuicc>> loaded = LoadEuicc();
  if (!loaded.ok()) return fail(1, loaded.status().message());
  SoftwareEuicc& euicc = **loaded;

  // Saves the state, prints the answer, and turns its status into the exit
  // code.
  auto finish = [&](absl::string_view der, const absl::Status& status) {
    if (absl::Status s = SaveEuicc(euicc); !s.ok()) return fail(1, s.message());
    if (!der.empty()) {
      if (absl::Status s = Output(der); !s.ok()) return fail(1, s.message());
    }
    return status.ok() ? 0 : fail(1, status.message());
  };

  if (command == "challenge") {
    absl::StatusOr<std::string> challenge = euicc.GetEuiccChallenge();
    if (!challenge.ok()) return fail(1, challenge.status().message());
    return finish(*challenge, absl::OkStatus());
  }
  if (command == "info1")
    return finish(euicc.GetEuiccInfo1(), absl::OkStatus());
  if (command == "info2")
    return finish(euicc.GetEuiccInfo2(), absl::OkStatus());
  if (command == "download") {
    absl::StatusOr<smdp::euicc::Es9ClientOptions> options =
        DownloadClientOptions();
    if (!options.ok()) return fail(2, options.status().message());
    const absl::Status status = Download(euicc, *options);
    // The eUICC's state changed whatever happened (session, installation).
    if (absl::Status s = SaveEuicc(euicc); !s.ok()) return fail(1, s.message());
    return status.ok() ? 0 : fail(1, status.message());
  }
  if (command == "cancel") {
    std::string tid;
    if (!absl::GetFlag(FLAGS_transaction_id).empty()) {
      tid = absl::HexStringToBytes(absl::GetFlag(FLAGS_transaction_id));
    } else {
      tid = euicc.transaction_id();
    }
    smdp::euicc::CancelSessionAnswer answer =
        euicc.CancelSession(tid, static_cast<smdp::sgp22::CancelSessionReason>(
                                     absl::GetFlag(FLAGS_reason)));
    return finish(answer.der, answer.status);
  }

  bool is_json = false;
  absl::StatusOr<std::string> input = ReadInput(&is_json);
  if (!input.ok()) return fail(2, input.status().message());

  if (command == "authenticate") {
    smdp::euicc::AuthenticateServerAnswer answer;
    if (is_json) {
      smdp::euicc::InitiateAuthenticationFields fields;
      for (auto [name, out] :
           {std::pair{"serverSigned1", &fields.server_signed1},
            std::pair{"serverSignature1", &fields.server_signature1},
            std::pair{"euiccCiPKIdToBeUsed", &fields.euicc_ci_pkid_to_be_used},
            std::pair{"serverCertificate", &fields.server_certificate}}) {
        absl::StatusOr<std::string> value = JsonBase64(*input, name);
        if (!value.ok()) return fail(2, value.status().message());
        *out = *std::move(value);
      }
      const std::string matching_id = absl::GetFlag(FLAGS_matching_id);
      answer = euicc.AuthenticateServer(
          fields,
          smdp::euicc::MakeCtxParams1(
              matching_id.empty() ? std::nullopt
                                  : std::optional<std::string>(matching_id)),
          absl::GetFlag(FLAGS_smdp_address));
    } else {
      answer = euicc.AuthenticateServer(*input);
    }
    return finish(answer.der, answer.status);
  }
  if (command == "prepare") {
    smdp::euicc::PrepareDownloadAnswer answer;
    if (is_json) {
      smdp::euicc::AuthenticateClientFields fields;
      for (auto [name, out] :
           {std::pair{"smdpSigned2", &fields.smdp_signed2},
            std::pair{"smdpSignature2", &fields.smdp_signature2},
            std::pair{"smdpCertificate", &fields.smdp_certificate}}) {
        absl::StatusOr<std::string> value = JsonBase64(*input, name);
        if (!value.ok()) return fail(2, value.status().message());
        *out = *std::move(value);
      }
      const std::string cc = absl::GetFlag(FLAGS_cc);
      answer = euicc.PrepareDownload(
          fields, cc.empty() ? std::nullopt : std::optional<std::string>(cc));
    } else {
      answer = euicc.PrepareDownload(*input);
    }
    return finish(answer.der, answer.status);
  }
  if (command == "load-bpp") {
    std::string bpp = *input;
    if (is_json) {
      absl::StatusOr<std::string> value =
          JsonBase64(*input, "boundProfilePackage");
      if (!value.ok()) return fail(2, value.status().message());
      bpp = *std::move(value);
    }
    absl::StatusOr<smdp::euicc::LoadBppResult> result =
        euicc.LoadBoundProfilePackage(bpp);
    if (!result.ok()) {
      (void)finish("", absl::OkStatus());  // the state, if anything changed
      return fail(1, result.status().message());
    }
    const std::string out_profile = absl::GetFlag(FLAGS_out_profile);
    if (!out_profile.empty()) {
      if (absl::Status s =
              smdp::WriteFileAtomically(out_profile, result->profile, 0644);
          !s.ok()) {
        return fail(1, s.message());
      }
    }
    return finish(result->profile_installation_result, result->status);
  }
  return fail(2, absl::StrCat("unknown command \"", command, "\"\n", kUsage));
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  // gRPC logs a failed TLS handshake on stderr itself; the call's status
  // says the same, and errors are one line.
  gpr_set_log_function([](gpr_log_func_args*) {});
  if (args.size() != 2 || absl::GetFlag(FLAGS_state).empty()) {
    std::cerr << kUsage << std::endl;
    return 2;
  }
  return Run(args[1]);
}
