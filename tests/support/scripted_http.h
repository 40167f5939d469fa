// An HttpClient for unit tests: answers each request from a handler and
// records what was sent. Thread-safe.
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "http/client.h"

namespace hdc::testing {

struct ScriptedReply {
  ScriptedReply() = default;
  ScriptedReply(int s, std::string b = "", std::vector<http::Header> h = {})
      : status(s), body(std::move(b)), headers(std::move(h)) {}
  // A transport failure (refused, reset, timeout) instead of a response.
  static ScriptedReply Fail(util::Status e) {
    ScriptedReply r;
    r.error = std::move(e);
    return r;
  }
  int status = 200;
  std::string body;
  std::vector<http::Header> headers;
  util::Status error;
};

class ScriptedHttp final : public http::HttpClient {
 public:
  using Handler = std::function<ScriptedReply(const http::Request&)>;
  explicit ScriptedHttp(Handler handler) : handler_(std::move(handler)) {}

  util::Result<http::Response> Send(const http::Request& request, util::ByteSink& sink) override {
    ScriptedReply reply;
    {
      std::lock_guard lock(mu_);
      requests_.push_back(request);
      reply = handler_(request);
    }
    if (!reply.error.ok()) return reply.error;
    HDC_RETURN_IF_ERROR(sink.StartResponse(reply.status, reply.headers));
    HDC_RETURN_IF_ERROR(sink.Append(reply.body));
    http::Response response;
    response.status = reply.status;
    response.headers = reply.headers;
    return response;
  }

  std::vector<http::Request> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  mutable std::mutex mu_;
  Handler handler_;
  std::vector<http::Request> requests_;
};

// The value of a request header, or "" (case-sensitive name).
inline std::string HeaderOf(const http::Request& request, const std::string& name) {
  for (const auto& h : request.headers) {
    if (h.name == name) return h.value;
  }
  return "";
}

}  // namespace hdc::testing
