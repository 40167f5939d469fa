#include "emulator/callback.h"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/URI.h>
#include <nlohmann/json.hpp>

#include "emulator/executions.h"
#include "util/logging.h"
#include "util/time_format.h"

namespace hdc::emulator {
namespace {

struct Notification {
  std::string url;
  std::string body;
};

bool IsLoopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

void Post(const Notification& n) {
  try {
    Poco::URI uri(n.url);
    if (uri.getScheme() != "http" || !IsLoopback(uri.getHost())) {
      util::GetLogger("emulator")->warn("callback skipped: not a loopback http URL");
      return;
    }
    Poco::Net::HTTPClientSession session(uri.getHost(), uri.getPort());
    session.setTimeout(Poco::Timespan(5, 0));
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, uri.getPathEtc(),
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    request.setContentType("application/json");
    request.setContentLength(static_cast<std::streamsize>(n.body.size()));
    session.sendRequest(request) << n.body;
    Poco::Net::HTTPResponse response;
    session.receiveResponse(response).ignore(1 << 20);
  } catch (const std::exception& e) {
    util::GetLogger("emulator")->warn("callback failed: {}", e.what());
  }
}

}  // namespace

CallbackWorker::CallbackWorker(Context& ctx) : ctx_(ctx) {}

CallbackWorker::~CallbackWorker() { Stop(); }

void CallbackWorker::Start() {
  const util::TimePoint from = ctx_.clock.Now();
  thread_ = std::jthread([this, from](std::stop_token stop) { Run(stop, from); });
}

void CallbackWorker::Stop() {
  if (!thread_.joinable()) return;
  thread_.request_stop();
  thread_.join();
}

void CallbackWorker::Wake() {
  std::lock_guard lock(mu_);
  wake_.request_stop();
}

void CallbackWorker::Run(std::stop_token stop, util::TimePoint from) {
  util::TimePoint last = from;
  while (!stop.stop_requested()) {
    std::stop_source wake;
    {
      std::lock_guard lock(mu_);
      wake_ = wake;  // installed before planning, so no Wake() is lost
    }
    const util::TimePoint now = ctx_.clock.Now();
    const util::TimePoint next = Fire(last, now);
    last = std::max(last, now);
    std::stop_callback forward(stop, [&wake] { wake.request_stop(); });
    ctx_.clock.WaitUntil(next, wake.get_token());
  }
}

util::TimePoint CallbackWorker::Fire(util::TimePoint from, util::TimePoint to) {
  std::vector<Notification> out;
  util::TimePoint next = util::TimePoint::max();
  {
    std::lock_guard lock(ctx_.mu);
    for (const auto& [id, s] : ctx_.state.schedules) {
      if (s.spec.callback_url.empty()) continue;
      for (const auto& e : ExecutionsOf(s, to, ctx_.settings, ctx_.options.seed)) {
        if (e.status != RunStatus::kCompleted) continue;
        const auto done = CompletedAt(id, e.slot, ctx_.settings, ctx_.options.seed);
        if (!done || *done <= from || *done > to) continue;
        std::string when = util::FormatTimestamp(e.slot);
        when.pop_back();
        nlohmann::json body = {
            {"reportId", id}, {"ReportDatetime", when}, {"ReportStatus", "Completed"}};
        out.push_back({s.spec.callback_url, body.dump()});
      }
      if (auto n = NextCompletion(s, to, ctx_.settings, ctx_.options.seed))
        next = std::min(next, *n);
    }
  }
  for (const auto& n : out) Post(n);
  return next;
}

}  // namespace hdc::emulator
