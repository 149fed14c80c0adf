#include "smdp/grpc/tls_credentials.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/support/channel_arguments.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "util/file_util.h"
#include "util/ssl_ptr.h"
#include "util/status_macros.h"

namespace smdp {
namespace {

// PEM files are small; anything larger is not one.
constexpr size_t kMaxPemBytes = 1 << 20;

absl::Status Bad(absl::string_view what, const std::string& path,
                 absl::string_view problem) {
  return absl::InvalidArgumentError(
      absl::StrCat(what, " ", path, ": ", problem));
}

absl::StatusOr<std::string> ReadPem(absl::string_view what,
                                    const std::string& path) {
  if (path.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": no file given"));
  }
  absl::StatusOr<std::string> pem = ReadFile(path, kMaxPemBytes);
  if (!pem.ok()) {
    return absl::Status(pem.status().code(),
                        absl::StrCat(what, ": ", pem.status().message()));
  }
  return pem;
}

// Every certificate of a PEM text, in order.
std::vector<X509Ptr> PemCertificates(const std::string& pem) {
  std::vector<X509Ptr> out;
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  while (bio != nullptr) {
    X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (cert == nullptr) break;
    out.push_back(std::move(cert));
  }
  ERR_clear_error();  // The end of the text reads as an error.
  return out;
}

// A PEM certificate file (at least one certificate); returns the text and
// the first certificate.
absl::StatusOr<std::string> ReadCertificates(absl::string_view what,
                                             const std::string& path,
                                             X509Ptr* first = nullptr) {
  ASSIGN_OR_RETURN(std::string pem, ReadPem(what, path));
  std::vector<X509Ptr> certs = PemCertificates(pem);
  if (certs.empty()) return Bad(what, path, "holds no PEM certificate");
  if (first != nullptr) *first = std::move(certs.front());
  return pem;
}

// A PEM private key file whose key matches `cert`.
absl::StatusOr<std::string> ReadKeyFor(absl::string_view what,
                                       const std::string& path, X509* cert,
                                       const std::string& cert_path) {
  ASSIGN_OR_RETURN(std::string pem, ReadPem(what, path));
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  EvpPkeyPtr key(bio == nullptr ? nullptr
                                : PEM_read_bio_PrivateKey(bio.get(), nullptr,
                                                          nullptr, nullptr));
  const bool matches =
      key != nullptr && X509_check_private_key(cert, key.get()) == 1;
  ERR_clear_error();
  if (key == nullptr) return Bad(what, path, "holds no PEM private key");
  if (!matches) {
    return Bad(what, path, absl::StrCat("does not match ", cert_path));
  }
  return pem;
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>>
MakeGrpcServerCredentials(const GrpcServerTlsFiles& files) {
  X509Ptr leaf;
  ASSIGN_OR_RETURN(std::string chain,
                   ReadCertificates("TLS certificate chain file",
                                    files.certificate_chain_file, &leaf));
  ASSIGN_OR_RETURN(std::string key,
                   ReadKeyFor("TLS private key file", files.private_key_file,
                              leaf.get(), files.certificate_chain_file));
  if (files.client_ca_files.empty()) {
    return absl::InvalidArgumentError("TLS client CA files: none given");
  }
  std::string client_cas;
  for (const std::string& path : files.client_ca_files) {
    ASSIGN_OR_RETURN(std::string pem,
                     ReadCertificates("TLS client CA file", path));
    absl::StrAppend(&client_cas, pem,
                    pem.empty() || pem.back() == '\n' ? "" : "\n");
  }
  grpc::SslServerCredentialsOptions options(
      GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
  options.pem_root_certs = std::move(client_cas);
  options.pem_key_cert_pairs.push_back({std::move(key), std::move(chain)});
  return grpc::SslServerCredentials(options);
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>>
MakeGrpcChannelCredentials(const GrpcClientTlsFiles& files) {
  grpc::SslCredentialsOptions options;
  ASSIGN_OR_RETURN(options.pem_root_certs,
                   ReadCertificates("TLS CA file", files.ca_file));
  if (files.certificate_chain_file.empty() != files.private_key_file.empty()) {
    return absl::InvalidArgumentError(
        "TLS client certificate and key: give both or neither");
  }
  if (!files.certificate_chain_file.empty()) {
    X509Ptr leaf;
    ASSIGN_OR_RETURN(options.pem_cert_chain,
                     ReadCertificates("TLS client certificate file",
                                      files.certificate_chain_file, &leaf));
    ASSIGN_OR_RETURN(options.pem_private_key,
                     ReadKeyFor("TLS client key file", files.private_key_file,
                                leaf.get(), files.certificate_chain_file));
  }
  return grpc::SslCredentials(options);
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> CreateGrpcTlsChannel(
    const std::string& target, const GrpcClientTlsFiles& files) {
  ASSIGN_OR_RETURN(std::shared_ptr<grpc::ChannelCredentials> credentials,
                   MakeGrpcChannelCredentials(files));
  grpc::ChannelArguments args;
  if (!files.server_name_override.empty()) {
    args.SetSslTargetNameOverride(files.server_name_override);
  }
  return grpc::CreateCustomChannel(target, credentials, args);
}

}  // namespace smdp
