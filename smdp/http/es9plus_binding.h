// The ES9+ functions in the GSMA HTTP/JSON binding (SGP.22 6.5): POST
// /gsma/rsp2/es9plus/<function> with a JSON body whose field names are the
// protobuf JSON names of api/es9plus.proto, answered by DownloadService.
//
//   RETURN_IF_ERROR(AddEs9PlusHandlers(*http_server, *download_service));
//
// Answers: HTTP 200 with the response JSON (header.functionExecutionStatus
// carries success or the GSMA refusal); handleNotification 204 with no body;
// a body that is not a request of that function (bad JSON, wrong types) is
// 200 "Failed" 1.6/2.1; a failure of the server itself (store, HSM) 500.
// Unknown JSON fields are ignored (newer LPAs add fields).
#ifndef SMDP_SMDP_HTTP_ES9PLUS_BINDING_H_
#define SMDP_SMDP_HTTP_ES9PLUS_BINDING_H_

#include "absl/status/status.h"
#include "smdp/download/download_service.h"
#include "smdp/http/gsma_http_server.h"

namespace smdp::http {

// Registers the five ES9+ handlers on `server` (before Start()). `service`
// must outlive the server.
[[nodiscard]] absl::Status AddEs9PlusHandlers(
    GsmaHttpServer& server, download::DownloadService& service);

}  // namespace smdp::http

#endif  // SMDP_SMDP_HTTP_ES9PLUS_BINDING_H_
