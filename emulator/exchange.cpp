#include "emulator/exchange.h"

#include <algorithm>
#include <ctime>
#include <thread>

#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/StreamSocket.h>

#include "emulator/json_util.h"
#include "util/strings.h"
#include "util/time_format.h"

namespace hdc::emulator {
namespace {}  // namespace

std::function<bool(std::string_view)> SendFaultyLengthHead(Exchange& ex) {
  auto* impl = dynamic_cast<Poco::Net::HTTPServerRequestImpl*>(&ex.request);
  if (impl == nullptr) return nullptr;
  Poco::Net::StreamSocket* socket = &impl->socket();
  const int status = static_cast<int>(ex.response.getStatus());
  std::string head = "HTTP/1.1 " + std::to_string(status) + " " +
                     Poco::Net::HTTPResponse::getReasonForStatus(ex.response.getStatus()) + "\r\n";
  for (const auto& [name, value] : ex.response) {
    if (util::EqualsIgnoreCase(name, "Content-Length") ||
        util::EqualsIgnoreCase(name, "Connection"))
      continue;
    head += name + ": " + value + "\r\n";
  }
  head += "Content-Length: " + ex.fault.rule.value + "\r\nConnection: close\r\n\r\n";
  ex.response.setKeepAlive(false);  // Poco closes the connection after the handler
  auto write = [socket](std::string_view data) {
    try {
      while (!data.empty()) {
        const int n = socket->sendBytes(data.data(), static_cast<int>(data.size()));
        if (n <= 0) return false;
        data.remove_prefix(static_cast<size_t>(n));
      }
      return true;
    } catch (const Poco::Exception&) {
      return false;  // the client refused the answer and closed
    }
  };
  if (!write(head)) return nullptr;
  return write;
}

void AbortAfterBody(Exchange& ex, bool reset) {
  ex.response.setKeepAlive(false);
  if (!reset) return;
  auto* impl = dynamic_cast<Poco::Net::HTTPServerRequestImpl*>(&ex.request);
  if (impl != nullptr) impl->socket().setLinger(true, 0);  // close → RST
}

namespace {

std::string XmlEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace

std::string HttpDate(util::TimePoint t) {
  const std::time_t secs =
      std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
  std::tm tm{};
#ifdef _WIN32
  gmtime_s(&tm, &secs);  // the Microsoft spelling of gmtime_r
#else
  gmtime_r(&secs, &tm);
#endif
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

void Exchange::Record(int status) {
  if (!log || logged) return;
  logged = true;
  ctx.log.Add({HostName(request), request.getMethod(), path, status, request.has("Authorization")});
}

std::optional<std::string> Exchange::Query(std::string_view name) const {
  for (const auto& [k, v] : query) {
    if (util::EqualsIgnoreCase(k, name)) return v;
  }
  return std::nullopt;
}

Dripper::Dripper(int rate)
    : piece_(static_cast<size_t>(std::max(1, rate / 10))),
      interval_(std::chrono::microseconds(1'000'000) * static_cast<std::int64_t>(piece_) /
                std::max(1, rate)) {}

bool Dripper::Send(std::string_view data, const std::function<bool(std::string_view)>& write) {
  while (!data.empty()) {
    std::this_thread::sleep_for(interval_);  // a slow server, in real time by design
    const std::string_view piece = data.substr(0, piece_);
    if (!write(piece)) return false;
    data.remove_prefix(piece.size());
  }
  return true;
}

void SendBody(Exchange& ex, int status, std::string_view content_type, const std::string& body) {
  ex.response.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
  ex.response.setContentType(std::string(content_type));
  std::string_view out = body;
  const bool json = content_type.find("json") != std::string_view::npos;
  if (ex.HasFault(FaultKind::kMalformedJson) && json) out = out.substr(0, out.size() / 2);
  ex.response.setContentLength64(static_cast<Poco::Int64>(out.size()));
  if (ex.HasFault(FaultKind::kShortBody) || ex.HasFault(FaultKind::kReset)) {
    AbortAfterBody(ex, ex.HasFault(FaultKind::kReset));
    out = out.substr(0, out.size() / 2);
  }
  ex.Record(status);
  if (ex.request.getMethod() == "HEAD") {
    ex.response.send();
    return;
  }
  if (ex.HasFault(FaultKind::kContentLength)) {
    if (auto write = SendFaultyLengthHead(ex)) write(out);
    return;
  }
  std::ostream& stream = ex.response.send();
  if (ex.HasFault(FaultKind::kDrip)) {
    stream.flush();  // status line and headers at once
    Dripper(ex.fault.rule.rate).Send(out, [&stream](std::string_view piece) {
      return stream.write(piece.data(), static_cast<std::streamsize>(piece.size())).flush().good();
    });
    return;
  }
  stream.write(out.data(), static_cast<std::streamsize>(out.size())).flush();
}

void SendJson(Exchange& ex, int status, const Json& j) {
  const Json& shaped = ex.settings.pascal_keys ? PascalKeys(j) : j;
  SendBody(ex, status, "application/json; charset=utf-8", shaped.dump());
}

void SendEnvelope(Exchange& ex, int status, Json data, ErrorsDefault errors) {
  if (ex.settings.ids_as_strings) data = IdsAsStrings(data);
  Json body = {{"data", std::move(data)}};
  const std::string& style = ex.settings.errors_style;
  if (style == "null" || (style == "documented" && errors == ErrorsDefault::kNull)) {
    body["errors"] = nullptr;
  } else if (style != "absent") {
    body["errors"] = Json::array();
  }
  SendJson(ex, status, body);
}

void SendEnvelopeError(Exchange& ex, int status, std::string_view code, std::string_view message) {
  Json body = {{"data", nullptr},
               {"errors", Json::array({{{"code", code}, {"message", message}}})}};
  SendJson(ex, status, body);
}

void SendStoreError(Exchange& ex, int status, std::string_view code, std::string_view inner_code,
                    std::string_view message) {
  Json inner = {{"code", inner_code},
                {"data", Json::array()},
                {"details", Json::array()},
                {"message", message},
                {"source", "AnalyticsAPI"}};
  Json body = {{"code", code},
               {"data", Json::array()},
               {"details", Json::array()},
               {"innererror", inner},
               {"message", "The calling client sent a bad request to the service."},
               {"source", "AnalyticsAPI"}};
  if (status == 404) body["message"] = "The requested resource was not found.";
  SendJson(ex, status, body);
}

void SendBlobError(Exchange& ex, int status, std::string_view code, std::string_view message,
                   std::string_view detail) {
  std::string xml = "\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>" +
                    std::string(code) + "</Code><Message>" + XmlEscape(message) +
                    "\nRequestId:00000000-0000-0000-0000-000000000000\nTime:" +
                    util::FormatTimestamp(ex.ctx.clock.Now(), true) + "</Message>";
  if (!detail.empty())
    xml += "<AuthenticationErrorDetail>" + XmlEscape(detail) + "</AuthenticationErrorDetail>";
  xml += "</Error>";
  ex.response.set("x-ms-error-code", std::string(code));
  SendBody(ex, status, "application/xml", xml);
}

std::string HostName(const Poco::Net::HTTPServerRequest& request) {
  std::string host = request.getHost();
  if (!host.empty() && host.front() == '[') return host.substr(0, host.find(']') + 1);
  return host.substr(0, host.find(':'));
}

std::string BlobUrl(Exchange& ex, const std::string& path, util::Duration lifetime) {
  const util::TimePoint now = ex.ctx.clock.Now();
  util::TimePoint start = now - std::chrono::minutes(5);
  util::TimePoint expiry = now + lifetime;
  if (ex.HasFault(FaultKind::kSasExpired)) {
    start = now - lifetime - std::chrono::minutes(5);
    expiry = now - std::chrono::minutes(1);
  }
  start = std::chrono::floor<std::chrono::seconds>(start);
  expiry = std::chrono::floor<std::chrono::seconds>(expiry);
  return ex.ctx.blob_base + path + "?" + ex.ctx.sas.Sign(path, start, expiry);
}

}  // namespace hdc::emulator
