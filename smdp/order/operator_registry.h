// OperatorRegistry: who an ES2+ caller is, from the TLS client certificate
// the transport verified.
//
//   OperatorCredentials op1;
//   op1.op.id = "op1";
//   op1.client_ca_pem = ReadFile("op1-client-ca.pem").value();
//   op1.client_common_names = {"op1-es2-client"};
//   ASSIGN_OR_RETURN(auto registry, OperatorRegistry::Create({op1}));
//   ASSIGN_OR_RETURN(const Operator* caller,
//                    registry->Identify(peer_certificate_der));
//
// An operator is identified by a certificate its own CA issued directly
// (the issuer name matches and the signature verifies with the CA's key)
// whose subject CN is one of its client_common_names (any CN when the list
// is empty). Two operators may share a CA only if their CN lists are
// non-empty and disjoint (checked by Create), so a certificate never names
// two operators. The transport (TLS) has already checked validity and the
// chain; this only decides which operator the certificate belongs to.
//
// Thread-safety: immutable after Create, except an internal cache guarded by
// a mutex; Identify may be called from many threads.
#ifndef SMDP_SMDP_ORDER_OPERATOR_REGISTRY_H_
#define SMDP_SMDP_ORDER_OPERATOR_REGISTRY_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "smdp/order/order_service.h"

namespace smdp::order {

// An operator's ES2+ identity.
struct OperatorCredentials {
  Operator op;
  // PEM: the CA certificate(s) that issue the operator's client
  // certificates.
  std::string client_ca_pem;
  // Subject CNs accepted; empty: any certificate of its CA.
  std::vector<std::string> client_common_names;
};

class OperatorRegistry {
 public:
  // InvalidArgument naming the operator for: an empty or duplicate id, no
  // CA certificate, unreadable PEM, or two operators a certificate could
  // both match.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<OperatorRegistry>> Create(
      std::vector<OperatorCredentials> operators);

  ~OperatorRegistry();
  OperatorRegistry(const OperatorRegistry&) = delete;
  OperatorRegistry& operator=(const OperatorRegistry&) = delete;

  // The operator `certificate_der` belongs to. PermissionDenied (naming the
  // certificate's subject) when it belongs to none; InvalidArgument when it
  // does not parse.
  [[nodiscard]] absl::StatusOr<const Operator*> Identify(
      absl::string_view certificate_der) const;

  // The operator with this id, or null.
  const Operator* Find(absl::string_view id) const;

  // Every operator's CA certificates, PEM, concatenated: what the TLS layer
  // must trust for client certificates.
  std::string AllClientCasPem() const;

 private:
  struct Entry;
  explicit OperatorRegistry(std::vector<std::unique_ptr<Entry>> entries);

  const std::vector<std::unique_ptr<Entry>> entries_;
  mutable absl::Mutex cache_mu_;
  // Certificate DER → operator (null: none), bounded.
  mutable absl::flat_hash_map<std::string, const Operator*> cache_
      ABSL_GUARDED_BY(cache_mu_);
};

}  // namespace smdp::order

#endif  // SMDP_SMDP_ORDER_OPERATOR_REGISTRY_H_
