#include "smdp/order/operator_registry.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "util/ssl_ptr.h"
#include "util/status_macros.h"

namespace smdp::order {
namespace {

constexpr size_t kMaxCache = 4096;

// The subject's CN (the last one, if several), or "".
std::string CommonName(X509* cert) {
  X509_NAME* name = X509_get_subject_name(cert);
  int index = -1;
  int last = -1;
  while ((index = X509_NAME_get_index_by_NID(name, NID_commonName, index)) >=
         0) {
    last = index;
  }
  if (last < 0) return "";
  ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, last));
  unsigned char* utf8 = nullptr;
  const int n = ASN1_STRING_to_UTF8(&utf8, data);
  if (n < 0) return "";
  std::string cn(reinterpret_cast<char*>(utf8), static_cast<size_t>(n));
  OPENSSL_free(utf8);
  return cn;
}

std::string SubjectLine(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(bio.get(), X509_get_subject_name(cert), 0,
                     XN_FLAG_RFC2253);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

}  // namespace

struct OperatorRegistry::Entry {
  Operator op;
  std::vector<X509Ptr> cas;
  std::string ca_pem;
  std::set<std::string> common_names;

  bool Matches(X509* cert, const std::string& cn) const {
    if (!common_names.empty() && common_names.count(cn) == 0) return false;
    for (const X509Ptr& ca : cas) {
      if (X509_check_issued(ca.get(), cert) != X509_V_OK) continue;
      EVP_PKEY* key = X509_get0_pubkey(ca.get());
      if (key != nullptr && X509_verify(cert, key) == 1) return true;
    }
    ERR_clear_error();
    return false;
  }
};

absl::StatusOr<std::unique_ptr<OperatorRegistry>> OperatorRegistry::Create(
    std::vector<OperatorCredentials> operators) {
  std::vector<std::unique_ptr<Entry>> entries;
  std::set<std::string> ids;
  for (OperatorCredentials& c : operators) {
    if (c.op.id.empty()) {
      return absl::InvalidArgumentError("operators: an operator has no id");
    }
    if (!ids.insert(c.op.id).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("operators: id '", c.op.id, "' appears twice"));
    }
    auto entry = std::make_unique<Entry>();
    ERR_clear_error();  // OpenSSL 3.0 PEM reads misbehave on stale errors.
    BioPtr bio(BIO_new_mem_buf(c.client_ca_pem.data(),
                               static_cast<int>(c.client_ca_pem.size())));
    while (X509* ca = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
      entry->cas.emplace_back(ca);
    }
    ERR_clear_error();
    if (entry->cas.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "operator '", c.op.id, "': no PEM certificate in its client CA"));
    }
    entry->ca_pem = std::move(c.client_ca_pem);
    entry->common_names.insert(c.client_common_names.begin(),
                               c.client_common_names.end());
    entry->op = std::move(c.op);
    entries.push_back(std::move(entry));
  }
  // Ambiguity: two operators with a common CA must both list CNs, and no CN
  // twice.
  for (size_t i = 0; i < entries.size(); ++i) {
    for (size_t j = i + 1; j < entries.size(); ++j) {
      bool shared_ca = false;
      for (const X509Ptr& a : entries[i]->cas) {
        for (const X509Ptr& b : entries[j]->cas) {
          if (X509_cmp(a.get(), b.get()) == 0) shared_ca = true;
        }
      }
      if (!shared_ca) continue;
      bool overlap =
          entries[i]->common_names.empty() || entries[j]->common_names.empty();
      for (const std::string& cn : entries[i]->common_names) {
        if (entries[j]->common_names.count(cn) > 0) overlap = true;
      }
      if (overlap) {
        return absl::InvalidArgumentError(absl::StrCat(
            "operators '", entries[i]->op.id, "' and '", entries[j]->op.id,
            "' share a client CA: give each its own client_common_names"));
      }
    }
  }
  return std::unique_ptr<OperatorRegistry>(
      new OperatorRegistry(std::move(entries)));
}

OperatorRegistry::OperatorRegistry(std::vector<std::unique_ptr<Entry>> entries)
    : entries_(std::move(entries)) {}

OperatorRegistry::~OperatorRegistry() = default;

absl::StatusOr<const Operator*> OperatorRegistry::Identify(
    absl::string_view certificate_der) const {
  const std::string key(certificate_der);
  {
    absl::MutexLock lock(&cache_mu_);
    auto it = cache_.find(key);
    if (it != cache_.end() && it->second != nullptr) return it->second;
  }
  const unsigned char* p =
      reinterpret_cast<const unsigned char*>(certificate_der.data());
  X509Ptr cert(
      d2i_X509(nullptr, &p, static_cast<long>(certificate_der.size())));
  if (cert == nullptr) {
    ERR_clear_error();
    return absl::InvalidArgumentError("client certificate does not parse");
  }
  const std::string cn = CommonName(cert.get());
  const Operator* found = nullptr;
  for (const auto& entry : entries_) {
    if (entry->Matches(cert.get(), cn)) {
      found = &entry->op;
      break;
    }
  }
  if (found == nullptr) {
    return absl::PermissionDeniedError(absl::StrCat("client certificate ",
                                                    SubjectLine(cert.get()),
                                                    " is not an operator's"));
  }
  absl::MutexLock lock(&cache_mu_);
  if (cache_.size() >= kMaxCache) cache_.clear();
  cache_[key] = found;
  return found;
}

const Operator* OperatorRegistry::Find(absl::string_view id) const {
  for (const auto& entry : entries_) {
    if (entry->op.id == id) return &entry->op;
  }
  return nullptr;
}

std::string OperatorRegistry::AllClientCasPem() const {
  std::string all;
  for (const auto& entry : entries_) {
    all += entry->ca_pem;
    if (!all.empty() && all.back() != '\n') all += '\n';
  }
  return all;
}

}  // namespace smdp::order
