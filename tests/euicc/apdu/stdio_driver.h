// The card side of lpac's "stdio" APDU driver (lpac driver/apdu/stdio.c):
// lpac writes one JSON object per line on its stdout and reads one answer
// line per request on its stdin.
//
//   lpac:  {"type":"apdu","payload":{"func":"connect","param":null}}
//   card:  {"type":"apdu","payload":{"ecode":0}}
//   lpac:  {"type":"apdu","payload":{"func":"logic_channel_open",
//                                    "param":"a0000005591010ffffffff8900000100"}}
//   card:  {"type":"apdu","payload":{"ecode":1}}          (the channel)
//   lpac:
//   {"type":"apdu","payload":{"func":"transmit","param":"81e2910003bf2000"}}
//   card:  {"type":"apdu","payload":{"ecode":0,"data":"6181"}}
//   lpac: {"type":"apdu","payload":{"func":"logic_channel_close","param":"01"}}
//   lpac:  {"type":"apdu","payload":{"func":"disconnect","param":null}}
//
// "param" and "data" are hex; "data" is the whole response APDU (data and
// status word). ecode < 0 is a failure. Everything else lpac prints on the
// same stdout ({"type":"lpa",...} results, {"type":"progress",...}) is not
// for the card and passes through.
//
// The card side turns the functions into APDUs for an EuiccApduCard, as a
// PC/SC reader driver would: logic_channel_open is MANAGE CHANNEL open then
// SELECT of the AID on the new channel; logic_channel_close is MANAGE
// CHANNEL close; connect is a power cycle (EuiccApduCard::Reset).
#ifndef SMDP_TESTS_EUICC_APDU_STDIO_DRIVER_H_
#define SMDP_TESTS_EUICC_APDU_STDIO_DRIVER_H_

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tests/euicc/apdu/euicc_apdu_card.h"

namespace smdp::euicc::apdu {

// One line of lpac's stdio protocol, decoded.
struct StdioMessage {
  std::string type;  // "apdu", "http", "lpa", "progress", ...
  // The string (or null: absent) members of "payload", e.g. "func" and
  // "param" of an APDU request.
  std::map<std::string, std::optional<std::string>> payload_strings;
  // The members of "payload" that are arrays of strings (the "headers" of
  // an HTTP request).
  std::map<std::string, std::vector<std::string>> payload_string_lists;
};

// Parses one line as a JSON object with a string "type" and an object
// "payload" (strict JSON; other members are ignored, so are payload
// members that are not strings or null). InvalidArgument otherwise.
[[nodiscard]] absl::StatusOr<StdioMessage> ParseStdioMessage(
    absl::string_view line);

// An answer line (without the newline): {"type":"apdu","payload":{"ecode":N}}
// or, with `data` (bytes, written in upper-case hex),
// ..."ecode":N,"data":"..."}}.
std::string StdioApduAnswer(int ecode,
                            std::optional<absl::string_view> data = {});

// An HTTP answer line for lpac's stdio HTTP driver (LPAC_HTTP=stdio):
// {"type":"http","payload":{"rcode":N,"rx":"<hex of the body>"}}.
std::string StdioHttpAnswer(int rcode, absl::string_view body);

// What an HTTP request of lpac's stdio HTTP driver gets: the status code
// and the body.
struct HttpExchange {
  int rcode = 0;
  std::string body;
};
// Sends one HTTP request lpac asked for: its URL, body and "Name: value"
// headers. An error makes lpac see a failed transport.
using HttpHandler = std::function<absl::StatusOr<HttpExchange>(
    absl::string_view url, absl::string_view body,
    const std::vector<std::string>& headers)>;

// Answers lpac's APDU requests with an EuiccApduCard, and its HTTP requests
// (when lpac runs with LPAC_HTTP=stdio) with an HttpHandler.
class StdioCardServer {
 public:
  // `card` must outlive the server.
  explicit StdioCardServer(EuiccApduCard& card) : card_(card) {}

  // Handles {"type":"http",...} requests from now on (without a handler
  // they pass through like lpac's other output).
  void set_http_handler(HttpHandler handler) {
    http_handler_ = std::move(handler);
  }

  // The answer line to one line lpac wrote, or nullopt when the line is not
  // a request (lpac's own output: pass it on). A malformed APDU request
  // (unknown func, bad hex) answers ecode -1; a malformed HTTP request or a
  // failed one answers a line lpac takes for a transport failure.
  std::optional<std::string> HandleLine(absl::string_view line);

  // Requests handled so far, and whether lpac has disconnected.
  int requests() const { return requests_; }
  bool disconnected() const { return disconnected_; }

 private:
  int OpenChannel(absl::string_view aid);
  std::string Http(const StdioMessage& message);

  EuiccApduCard& card_;
  HttpHandler http_handler_;
  int requests_ = 0;
  bool disconnected_ = false;
};

}  // namespace smdp::euicc::apdu

#endif  // SMDP_TESTS_EUICC_APDU_STDIO_DRIVER_H_
