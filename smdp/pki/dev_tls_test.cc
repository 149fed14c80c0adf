#include "smdp/pki/dev_tls.h"

#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdlib>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "smdp/pki/cert_inspect_testutil.h"
#include "smdp/pki/certificate_builder.h"
#include "util/file_util.h"
#include "util/ssl_ptr.h"
#include "util/status_matchers.h"

namespace smdp::pki {
namespace {

using ::smdp::matchers::IsOk;
using ::smdp::matchers::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string FreshDir(const std::string& name) {
  return absl::StrCat(std::getenv("TEST_TMPDIR"), "/", name, "/pki/grpc");
}

X509Ptr LoadPem(const std::string& path) {
  absl::StatusOr<std::string> pem = ReadFile(path);
  EXPECT_THAT(pem.status(), IsOk());
  absl::StatusOr<std::string> der = CertificatePemToDer(pem.value_or(""));
  EXPECT_THAT(der.status(), IsOk());
  return testing::MustParse(der.value_or(""));
}

// X509_verify_cert of `leaf` under the trusted `root` for `purpose`
// (X509_PURPOSE_SSL_SERVER / _CLIENT), as a TLS stack checks it.
bool VerifiesFor(X509* leaf, X509* root, int purpose) {
  SslPtr<X509_STORE, X509_STORE_free> store(X509_STORE_new());
  X509_STORE_add_cert(store.get(), root);
  SslPtr<X509_STORE_CTX, X509_STORE_CTX_free> ctx(X509_STORE_CTX_new());
  X509_STORE_CTX_init(ctx.get(), store.get(), leaf, nullptr);
  X509_STORE_CTX_set_purpose(ctx.get(), purpose);
  return X509_verify_cert(ctx.get()) == 1;
}

std::string CommonName(X509* x) {
  X509_NAME* name = X509_get_subject_name(x);
  int idx = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (idx < 0) return "";
  const ASN1_STRING* data =
      X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(data)),
                     ASN1_STRING_length(data));
}

mode_t Mode(const std::string& path) {
  struct stat st;
  EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777;
}

TEST(DevTlsTest, MakesServerAndAdminCertificatesForTheirRoles) {
  const std::string dir = FreshDir("make");
  absl::StatusOr<DevTls> tls =
      EnsureDevTls({.dir = dir, .smdp_address = "smdp.example.com"});
  ASSERT_THAT(tls.status(), IsOk());
  EXPECT_TRUE(tls->created);
  EXPECT_EQ(tls->server_chain, dir + "/server.pem");
  EXPECT_EQ(tls->admin.cert, dir + "/clients/smdp-admin.pem");
  EXPECT_EQ(tls->admin.common_name, "smdp-admin");

  X509Ptr ca = LoadPem(tls->ca_cert);
  X509Ptr server = LoadPem(tls->server_chain);
  X509Ptr client_ca = LoadPem(tls->client_ca_cert);
  X509Ptr admin = LoadPem(tls->admin.cert);
  EXPECT_TRUE(VerifiesFor(server.get(), ca.get(), X509_PURPOSE_SSL_SERVER));
  EXPECT_TRUE(
      VerifiesFor(admin.get(), client_ca.get(), X509_PURPOSE_SSL_CLIENT));
  // Neither passes for the other role or under the other CA.
  EXPECT_FALSE(VerifiesFor(admin.get(), ca.get(), X509_PURPOSE_SSL_CLIENT));
  EXPECT_FALSE(
      VerifiesFor(server.get(), client_ca.get(), X509_PURPOSE_SSL_SERVER));
  EXPECT_FALSE(VerifiesFor(server.get(), ca.get(), X509_PURPOSE_SSL_CLIENT));

  EXPECT_THAT(testing::SanDnsNames(server.get()),
              ElementsAre("localhost", "smdp.example.com"));
  EXPECT_EQ(X509_check_ip_asc(server.get(), "127.0.0.1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(server.get(), "::1", 0), 1);
  EXPECT_EQ(CommonName(server.get()), "smdp.example.com");
  EXPECT_EQ(CommonName(admin.get()), "smdp-admin");
  EXPECT_EQ(testing::CurveOid(server.get()), "1.2.840.10045.3.1.7");

  // The server chain is leaf then CA; keys are private.
  absl::StatusOr<std::string> chain = ReadFile(tls->server_chain);
  ASSERT_THAT(chain.status(), IsOk());
  absl::StatusOr<std::string> ca_pem = ReadFile(tls->ca_cert);
  ASSERT_THAT(ca_pem.status(), IsOk());
  EXPECT_TRUE(absl::EndsWith(*chain, *ca_pem));
  for (const std::string& key :
       {tls->ca_key, tls->server_key, tls->client_ca_key, tls->admin.key}) {
    EXPECT_EQ(Mode(key), 0600u) << key;
  }
  EXPECT_EQ(Mode(dir), 0700u);
  EXPECT_TRUE(FileExists(tls->manifest));
}

TEST(DevTlsTest, SecondRunReusesEverything) {
  const std::string dir = FreshDir("reuse");
  ASSERT_THAT(EnsureDevTls({.dir = dir}).status(), IsOk());
  absl::StatusOr<std::string> server = ReadFile(dir + "/server.pem");
  absl::StatusOr<std::string> admin = ReadFile(dir + "/clients/smdp-admin.pem");
  absl::StatusOr<DevTls> again = EnsureDevTls({.dir = dir});
  ASSERT_THAT(again.status(), IsOk());
  EXPECT_FALSE(again->created);
  EXPECT_EQ(ReadFile(dir + "/server.pem").value_or(""), server.value_or("x"));
  EXPECT_EQ(ReadFile(dir + "/clients/smdp-admin.pem").value_or(""),
            admin.value_or("x"));
}

TEST(DevTlsTest, NewAddressGetsANewServerCertificateUnderTheSameCa) {
  const std::string dir = FreshDir("address");
  ASSERT_THAT(EnsureDevTls({.dir = dir}).status(), IsOk());
  absl::StatusOr<std::string> ca = ReadFile(dir + "/ca.pem");
  absl::StatusOr<DevTls> moved =
      EnsureDevTls({.dir = dir, .smdp_address = "rsp.example.org"});
  ASSERT_THAT(moved.status(), IsOk());
  EXPECT_EQ(ReadFile(dir + "/ca.pem").value_or(""), ca.value_or("x"));
  X509Ptr server = LoadPem(moved->server_chain);
  EXPECT_THAT(testing::SanDnsNames(server.get()),
              ElementsAre("localhost", "rsp.example.org"));
  X509Ptr root = LoadPem(moved->ca_cert);
  EXPECT_TRUE(VerifiesFor(server.get(), root.get(), X509_PURPOSE_SSL_SERVER));
}

TEST(DevTlsTest, IssuesClientCertificatesByCommonName) {
  const std::string dir = FreshDir("clients");
  EXPECT_THAT(IssueDevClientCertificate(dir, "op1"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_THAT(EnsureDevTls({.dir = dir}).status(), IsOk());

  absl::StatusOr<DevTlsClient> op1 = IssueDevClientCertificate(dir, "op1");
  ASSERT_THAT(op1.status(), IsOk());
  EXPECT_EQ(op1->common_name, "op1");
  EXPECT_EQ(op1->cert, dir + "/clients/op1.pem");
  EXPECT_EQ(op1->key, dir + "/clients/op1.key.pem");
  X509Ptr cert = LoadPem(op1->cert);
  X509Ptr client_ca = LoadPem(dir + "/client-ca.pem");
  EXPECT_EQ(CommonName(cert.get()), "op1");
  EXPECT_TRUE(
      VerifiesFor(cert.get(), client_ca.get(), X509_PURPOSE_SSL_CLIENT));
  EXPECT_EQ(Mode(op1->key), 0600u);

  // Idempotent: the same certificate the second time.
  absl::StatusOr<std::string> first = ReadFile(op1->cert);
  ASSERT_THAT(IssueDevClientCertificate(dir, "op1").status(), IsOk());
  EXPECT_EQ(ReadFile(op1->cert).value_or(""), first.value_or("x"));

  // A certificate whose key is gone is issued anew.
  ASSERT_EQ(std::remove(op1->key.c_str()), 0);
  ASSERT_THAT(IssueDevClientCertificate(dir, "op1").status(), IsOk());
  EXPECT_NE(ReadFile(op1->cert).value_or(""), first.value_or(""));

  for (const char* bad : {"", "../x", ".hidden", "a b", "a/b"}) {
    EXPECT_THAT(IssueDevClientCertificate(dir, bad),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << bad;
  }
}

TEST(DevTlsTest, DamagedFileIsNamed) {
  const std::string dir = FreshDir("damaged");
  ASSERT_THAT(EnsureDevTls({.dir = dir}).status(), IsOk());
  ASSERT_THAT(WriteFileAtomically(dir + "/client-ca.key.pem", "junk", 0600),
              IsOk());
  absl::Status status = EnsureDevTls({.dir = dir}).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(), HasSubstr("client-ca.key.pem"));
  EXPECT_THAT(status.message(), HasSubstr("delete " + dir));
}

TEST(DevTlsTest, DirOfDataDir) {
  EXPECT_EQ(DevTlsDir("smdp-data"), "smdp-data/pki/grpc");
  EXPECT_EQ(DevTlsDir("/var/lib/smdp/"), "/var/lib/smdp/pki/grpc");
}

}  // namespace
}  // namespace smdp::pki
