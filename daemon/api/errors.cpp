#include "api/errors.h"

#include "api/models.h"
#include "util/redact.h"

namespace hdc::api {
namespace {

using nlohmann::json;

std::string Text(const json* value) {
  if (value == nullptr || value->is_null()) return "";
  return value->is_string() ? value->get<std::string>() : value->dump();
}

std::string XmlElement(std::string_view body, std::string_view name) {
  const std::string open = "<" + std::string(name) + ">";
  const size_t begin = body.find(open);
  if (begin == std::string_view::npos) return "";
  const size_t end = body.find("</" + std::string(name) + ">", begin);
  if (end == std::string_view::npos) return "";
  return std::string(body.substr(begin + open.size(), end - begin - open.size()));
}

std::string Join(const std::string& code, const std::string& message) {
  if (code.empty()) return message;
  if (message.empty()) return code;
  return code + ": " + message;
}

std::string FromJson(const json& doc) {
  if (!doc.is_object()) return "";
  if (std::string errors = EnvelopeErrors(doc); !errors.empty()) return errors;
  // Azure AD: {"error": "invalid_client", "error_description": "AADSTS..."}
  if (const json* error = Member(doc, "error"); error && error->is_string()) {
    std::string description = Text(Member(doc, "error_description"));
    description = description.substr(0, description.find_first_of("\r\n"));
    return Join(error->get<std::string>(), description);
  }
  // Store analytics: {"code": ..., "message": ..., "innererror": {...}}
  std::string code = Text(Member(doc, "code"));
  std::string message = Text(Member(doc, "message"));
  if (const json* inner = Member(doc, "innererror"); inner && inner->is_object()) {
    const std::string inner_code = Text(Member(*inner, "code"));
    if (!inner_code.empty()) code += (code.empty() ? "" : "/") + inner_code;
  }
  return Join(code, message);
}

}  // namespace

std::string ServerMessage(std::string_view body) {
  std::string message;
  if (body.find('{') != std::string_view::npos) {
    auto doc = ParseJson(body, "");
    if (doc.ok()) message = FromJson(*doc);
  } else if (body.find('<') != std::string_view::npos) {
    message = Join(XmlElement(body, "Code"), XmlElement(body, "Message"));
    message = message.substr(0, message.find_first_of("\r\n"));
  }
  if (message.size() > 300) message = message.substr(0, 300) + "...";
  return util::Redact(message);
}

util::Status ErrorFromResponse(std::string_view method, std::string_view path, int status,
                               std::string_view body) {
  util::ErrorKind kind = util::ErrorKind::kBadData;
  if (status == 401 || status == 403) kind = util::ErrorKind::kAuth;
  if (status == 429 || status >= 500) kind = util::ErrorKind::kUnavailable;
  std::string line =
      std::string(method) + " " + std::string(path) + ": HTTP " + std::to_string(status);
  if (std::string message = ServerMessage(body); !message.empty()) line += ": " + message;
  return util::Status::Error(kind, line).WithHttpStatus(status);
}

}  // namespace hdc::api
