// The ES2+ functions in the GSMA HTTP/JSON binding (SGP.22 6.5): POST
// /gsma/rsp2/es2plus/<function> (downloadOrder, confirmOrder, cancelOrder,
// releaseProfile) with a JSON body whose field names are the protobuf JSON
// names of api/es2plus.proto, answered by OrderService for the operator the
// TLS client certificate names.
//
//   // The listener requires client certificates (ClientCertificateMode::
//   // kRequired, client_ca_files = the operators' CAs).
//   RETURN_IF_ERROR(AddEs2PlusHandlers(*http_server, *orders, *operators));
//
// Answers: HTTP 200 with the response JSON (header.functionExecutionStatus
// carries success or the GSMA refusal); a certificate that is no
// operator's, or none, is 200 "Failed" 1.1/1.1 (function requester
// unknown); a body that is not a request of that function is 200 "Failed"
// 1.6/2.1; a failure of the server itself (store) 500. Unknown JSON fields
// are ignored.
#ifndef SMDP_SMDP_HTTP_ES2PLUS_BINDING_H_
#define SMDP_SMDP_HTTP_ES2PLUS_BINDING_H_

#include "absl/status/status.h"
#include "smdp/http/gsma_http_server.h"
#include "smdp/order/operator_registry.h"
#include "smdp/order/order_service.h"

namespace smdp::http {

// Registers the four ES2+ handlers on `server` (before Start()). `orders`
// and `operators` must outlive the server.
[[nodiscard]] absl::Status AddEs2PlusHandlers(
    GsmaHttpServer& server, order::OrderService& orders,
    const order::OperatorRegistry& operators);

}  // namespace smdp::http

#endif  // SMDP_SMDP_HTTP_ES2PLUS_BINDING_H_
