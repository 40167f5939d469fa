// Internal: one request being answered, and the helpers that write answers
// in the contract's shapes (HDC envelope, Azure AD error, Store analytics
// error, Azure blob XML error). Every body goes through SendBody, which
// applies the body faults (malformed JSON, short body, reset) and the JSON
// quirks chosen for this request. Poco types appear only here and in .cpp.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <nlohmann/json.hpp>

#include "emulator/context.h"
#include "emulator/faults.h"
#include "emulator/sas.h"
#include "emulator/settings.h"

namespace hdc::emulator {

struct Exchange {
  Exchange(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp, Context& c)
      : request(req), response(resp), ctx(c), settings(c.GetSettings()) {}

  Poco::Net::HTTPServerRequest& request;
  Poco::Net::HTTPServerResponse& response;
  Context& ctx;
  Settings settings;                // snapshot for this request
  std::string path;                 // decoded, without query (and without the /v1.0/my alias)
  QueryParams query;                // decoded
  std::vector<std::string> params;  // pattern captures
  std::string endpoint;
  FaultAction fault;
  std::string body;    // request body (POST)
  std::string tenant;  // the caller's, once Authorize has checked its token
  bool blob_host = false;
  bool log = true;  // false for /_emulator/ routes
  bool logged = false;

  // Appends this request to the request log, once, before the answer goes
  // out (so a client that saw the answer also sees the record).
  void Record(int status);

  // A query parameter by name ignoring case.
  std::optional<std::string> Query(std::string_view name) const;
  bool HasFault(FaultKind k) const { return fault.kind == k; }
};

using Json = nlohmann::json;

// The drip fault: sends data through `write` at `rate` bytes per second of
// real time, a tenth of a second's worth at a time (a byte at a time below
// 10 B/s), pausing before each piece. Continuous across calls, so a body
// produced in pieces drips at the same rate. False once `write` fails (the
// client went away, or the server stops and aborts the connection).
class Dripper {
 public:
  explicit Dripper(int rate);
  bool Send(std::string_view data, const std::function<bool(std::string_view)>& write);

 private:
  size_t piece_;
  std::chrono::microseconds interval_;
};

// Writes status, headers and body (applying body faults).
void SendBody(Exchange& ex, int status, std::string_view content_type, const std::string& body);
// Makes the connection close after this response (with a TCP reset when
// `reset`): for the short-body and reset faults.
void AbortAfterBody(Exchange& ex, bool reset);
// Applies the key-casing quirk, then SendBody.
void SendJson(Exchange& ex, int status, const Json& j);

enum class ErrorsDefault { kEmptyArray, kNull };
// {"data": data, "errors": []}: IDs-as-strings and errors style quirks applied.
void SendEnvelope(Exchange& ex, int status, Json data,
                  ErrorsDefault errors = ErrorsDefault::kEmptyArray);
// {"data": null, "errors": [{"code","message"}]}.
void SendEnvelopeError(Exchange& ex, int status, std::string_view code, std::string_view message);
// The Store analytics error of the /v1.0/my/analytics cab methods.
void SendStoreError(Exchange& ex, int status, std::string_view code, std::string_view inner_code,
                    std::string_view message);
// Azure storage's XML error (<Error><Code>...).
void SendBlobError(Exchange& ex, int status, std::string_view code, std::string_view message,
                   std::string_view detail = {});

// "Sun, 06 Nov 1994 08:49:37 GMT" (Retry-After, Last-Modified).
std::string HttpDate(util::TimePoint t);

// The content_length fault: writes the status line and the headers set so
// far to the socket by hand, with `Content-Length: <rule value>` (any text)
// and `Connection: close` (Poco's own send() would parse the value), and
// returns the writer for the body (false once the client is gone), or
// nullptr when the client is already gone. The connection closes after the
// handler.
std::function<bool(std::string_view)> SendFaultyLengthHead(Exchange& ex);

// Read-only Poco bits used by several routes.
std::string HostName(const Poco::Net::HTTPServerRequest& request);
// A fresh SAS URL on the blob host for `path`, valid for `lifetime`
// (already expired under the sas_expired fault).
std::string BlobUrl(Exchange& ex, const std::string& path, util::Duration lifetime);

}  // namespace hdc::emulator
