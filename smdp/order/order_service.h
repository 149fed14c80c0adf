// OrderService: the ES2+ functions an operator calls on the SM-DP+ (SGP.22
// 5.3.1-5.3.4), the transport-independent core behind the gRPC service and
// the GSMA HTTPS/JSON binding.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<OrderService> orders,
//                    OrderService::Create({.smdp_address = "smdp.example"},
//                                         store));
//   Operator op{.id = "op1"};  // who the TLS client certificate says
//   ASSIGN_OR_RETURN(es2plus::DownloadOrderResponse ordered,
//                    orders->DownloadOrder(op, request));
//   // ordered.header().function_execution_status().status() is
//   // "Executed-Success" or "Failed" with the GSMA subject/reason codes.
//
// Errors: every refusal is an answer with status "Failed" and the code from
// smdp/common/gsma_status.h (the StatusOr is OK); a non-OK StatusOr is a
// failure of the server itself (the store).
//
// Isolation: the operator is the one the transport authenticated; a profile
// of another operator is answered exactly as an unknown ICCID (8.2.1/3.9),
// so an operator cannot even learn that it exists.
//
// State changes (each one compare-and-set in the store, with its audit
// entry "operator:<id>"):
//   DownloadOrder   AVAILABLE -> ALLOCATED (LINKED when an EID is given);
//                   the order expires after order_ttl. Idempotent per
//                   (operator, header.functionCallIdentifier) while the
//                   order lives: a retry gets the first answer.
//   ConfirmOrder    ALLOCATED / LINKED -> CONFIRMED (RELEASED with
//                   releaseFlag); matchingId (generated when absent, unique
//                   among all orders), EID, SHA-256 of the confirmation code
//   ReleaseProfile  CONFIRMED -> RELEASED
//   CancelOrder     ALLOCATED .. RELEASED -> AVAILABLE or UNAVAILABLE;
//                   DOWNLOADED (the package may be on a device) and ERROR ->
//                   UNAVAILABLE only
//
// Thread-safety: every method may be called from many threads at once. The
// store must outlive the service.
#ifndef SMDP_SMDP_ORDER_ORDER_SERVICE_H_
#define SMDP_SMDP_ORDER_ORDER_SERVICE_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "api/es2plus.pb.h"
#include "profiles/profile_store.h"

namespace smdp::order {

// An operator as the ES2+ edge authenticated it.
struct Operator {
  // The operator's id: ProfileRecord.operator_id of its profiles.
  std::string id;
  // Values header.functionRequesterIdentifier may take; empty: any (the
  // client certificate already identifies the operator).
  std::vector<std::string> requester_identifiers;
  // Profile types it may order; empty: all of its own.
  std::vector<std::string> profile_types;
};

struct OrderServiceOptions {
  // The SM-DP+ address ConfirmOrder answers (smdpAddress). Required.
  std::string smdp_address;
  // How long an order lives, from DownloadOrder; a download after that is
  // refused with 8.8.5/4.10, and so are ConfirmOrder and ReleaseProfile.
  // Zero: orders never expire.
  absl::Duration order_ttl = absl::Hours(24 * 30);
  // The clock; null: absl::Now.
  std::function<absl::Time()> clock;
  // Makes a matchingId when ConfirmOrder has none; null: 20 random
  // characters of A-Z 0-9 in groups of 5 ("K3J9Q-...").
  std::function<std::string()> matching_id_generator;
};

class OrderService {
 public:
  // InvalidArgument for an empty smdp_address or a negative order_ttl.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<OrderService>> Create(
      OrderServiceOptions options, profiles::ProfileStore& store);

  OrderService(const OrderService&) = delete;
  OrderService& operator=(const OrderService&) = delete;

  [[nodiscard]] absl::StatusOr<es2plus::DownloadOrderResponse> DownloadOrder(
      const Operator& op, const es2plus::DownloadOrderRequest& request);
  [[nodiscard]] absl::StatusOr<es2plus::ConfirmOrderResponse> ConfirmOrder(
      const Operator& op, const es2plus::ConfirmOrderRequest& request);
  [[nodiscard]] absl::StatusOr<es2plus::CancelOrderResponse> CancelOrder(
      const Operator& op, const es2plus::CancelOrderRequest& request);
  [[nodiscard]] absl::StatusOr<es2plus::ReleaseProfileResponse> ReleaseProfile(
      const Operator& op, const es2plus::ReleaseProfileRequest& request);

  // Ends orders that expired before a download took them: a profile
  // ALLOCATED, LINKED, CONFIRMED or RELEASED whose order expired and that
  // no download session holds goes back to AVAILABLE (its package never
  // left the SM-DP+, so it can serve another order), with an audit entry
  // "OrderExpired". Looks at up to `limit` profiles per call and resumes
  // where the previous call stopped; returns how many it ended. Run it
  // periodically (smdpd: every minute).
  [[nodiscard]] absl::StatusOr<size_t> ExpireOrders(size_t limit);

 private:
  OrderService(OrderServiceOptions options, profiles::ProfileStore& store);

  absl::Time Now() const;

  // The ICCID the DownloadOrder with `request`'s functionCallIdentifier
  // ordered for `op` before, if that order lives; 1.6/2.1 when the
  // identifier made an order of something else.
  absl::StatusOr<std::optional<std::string>> AnswerOfEarlierCall(
      const Operator& op, const es2plus::DownloadOrderRequest& request);

  absl::Status DoDownloadOrder(const Operator& op,
                               const es2plus::DownloadOrderRequest& request,
                               es2plus::DownloadOrderResponse& response);
  absl::Status DoConfirmOrder(const Operator& op,
                              const es2plus::ConfirmOrderRequest& request,
                              es2plus::ConfirmOrderResponse& response);
  absl::Status DoCancelOrder(const Operator& op,
                             const es2plus::CancelOrderRequest& request);
  absl::Status DoReleaseProfile(const Operator& op,
                                const es2plus::ReleaseProfileRequest& request);

  const OrderServiceOptions options_;
  profiles::ProfileStore& store_;

  absl::Mutex sweep_mu_;
  // ExpireOrders' position: the state being swept and its page token.
  size_t sweep_state_ ABSL_GUARDED_BY(sweep_mu_) = 0;
  std::string sweep_token_ ABSL_GUARDED_BY(sweep_mu_);
};

// The ICCID as the store keys it: 18-20 digits, a 20th character 'F'
// (padding of a 19-digit ICCID) dropped; nullopt when `iccid` is not one.
std::optional<std::string> NormalizeIccid(absl::string_view iccid);

// True for a matchingId we accept from an operator: 1..64 characters of
// A-Z, a-z, 0-9 and '-' (what an activation code can carry).
bool IsValidMatchingId(absl::string_view matching_id);

}  // namespace smdp::order

#endif  // SMDP_SMDP_ORDER_ORDER_SERVICE_H_
