#include "service/dashboard_web.h"

#include <charconv>
#include <utility>

#include <Poco/Exception.h>
#include <Poco/URI.h>

#include "dashboard/assets.h"
#include "dashboard/page.h"
#include "platform/thread_name.h"
#include "util/logging.h"

namespace hdc::service {
namespace {

constexpr std::string_view kJsonType = "application/json; charset=utf-8";
constexpr std::int64_t kDefaultDays = 14;
constexpr std::size_t kMaxCached = 64;

WebAnswer Answer(int status, std::string_view type, std::string body) {
  return WebAnswer{status, std::string(type), std::move(body), DashboardHeaders()};
}

WebAnswer JsonError(int status, std::string_view message) {
  std::string body = "{\"error\":\"";
  for (const char c : message) {  // messages of our own: escape the few that matter
    if (c == '"' || c == '\\') body += '\\';
    body += (static_cast<unsigned char>(c) < 0x20) ? ' ' : c;
  }
  return Answer(status, kJsonType, body + "\"}\n");
}

// The answer of GET / or /static/NAME; nullopt for an API path.
std::optional<WebAnswer> StaticAnswer(std::string_view path) {
  if (path == "/") {
    static const std::string page = dashboard::ServedPage();
    return Answer(200, "text/html; charset=utf-8", page);
  }
  constexpr std::string_view kStatic = "/static/";
  if (!path.starts_with(kStatic)) return std::nullopt;
  const std::string_view name = path.substr(kStatic.size());
  const dashboard::EmbeddedFile* file = dashboard::FindStatic(name);
  if (file == nullptr) return Answer(404, "text/plain; charset=utf-8", "not found\n");
  return Answer(200, dashboard::ContentTypeOf(name), std::string(file->body));
}

struct ApiArgs {
  std::string what;  // "summary", "trend", "new"
  std::string by = "DriverName";
  std::int64_t days = kDefaultDays;
};

util::Result<ApiArgs> ParseApi(const std::string& target) {
  ApiArgs args;
  Poco::URI uri;
  Poco::URI::QueryParameters params;
  try {
    uri = Poco::URI(target);
    params = uri.getQueryParameters();
  } catch (const Poco::Exception&) {
    return util::UsageError("malformed request target");
  }
  args.what = uri.getPath().substr(std::string_view("/api/v1/").size());
  for (const auto& [name, value] : params) {
    if (name == "by" && args.what == "trend") {
      args.by = value;
    } else if (name == "days") {
      std::int64_t days = 0;
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), days);
      if (ec != std::errc() || end != value.data() + value.size() || days < dashboard::kMinDays ||
          days > dashboard::kMaxDays) {
        return util::UsageError("days must be a whole number from 1 to 366");
      }
      args.days = days;
    }
  }
  return args;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> DashboardHeaders() {
  return {{"Content-Security-Policy", std::string(dashboard::kServedCsp)},
          {"X-Content-Type-Options", "nosniff"},
          {"Referrer-Policy", "no-referrer"},
          {"X-Frame-Options", "DENY"}};
}

DashboardWeb::DashboardWeb(DashboardWebOptions options, util::Clock& clock,
                           std::function<std::vector<dashboard::JobLive>()> live)
    : options_(std::move(options)),
      clock_(clock),
      live_(std::move(live)),
      worker_([this](std::stop_token stop) { Run(stop); }) {}

DashboardWeb::~DashboardWeb() {
  worker_.request_stop();
  wake_.notify_all();
  if (worker_.joinable()) worker_.join();
  std::deque<Request> left;
  {
    std::lock_guard lock(mu_);
    left.swap(queue_);
  }
  for (Request& r : left) r.reply(JsonError(503, "stopping"));
}

std::int64_t DashboardWeb::renders() const {
  std::lock_guard lock(mu_);
  return renders_;
}

void DashboardWeb::Handle(const std::string& target, WebReply reply) {
  const std::string path = target.substr(0, target.find('?'));
  if (std::optional<WebAnswer> answer = StaticAnswer(path)) {
    reply(std::move(*answer));
    return;
  }
  const std::string_view what = std::string_view(path).substr(std::string_view("/api/v1/").size());
  if (what != "summary" && what != "trend" && what != "new") {
    reply(JsonError(404, "not found"));
    return;
  }
  {
    std::lock_guard lock(mu_);
    if (queue_.size() < kMaxQueued) {
      queue_.push_back({target, std::move(reply)});
      wake_.notify_one();
      return;
    }
  }
  reply(JsonError(503, "busy"));
}

void DashboardWeb::Run(std::stop_token stop) {
  platform::NameThisThread("hdc-dashboard");
  while (true) {
    Request request;
    {
      std::unique_lock lock(mu_);
      if (!wake_.wait(lock, stop, [this] { return !queue_.empty(); })) return;
      request = std::move(queue_.front());
      queue_.pop_front();
    }
    WebAnswer answer;
    try {
      answer = Api(request.target);
    } catch (const std::exception& e) {
      util::GetLogger("control")->error("dashboard: {}", e.what());
      answer = JsonError(500, "internal error");
    }
    request.reply(std::move(answer));
  }
}

WebAnswer DashboardWeb::Api(const std::string& target) {
  util::Result<ApiArgs> args = ParseApi(target);
  if (!args.ok()) return JsonError(400, args.status().message());
  const std::string key = args->what + "|" + args->by + "|" + std::to_string(args->days);
  util::Result<std::string> body = Render(key, args->what, args->by, args->days);
  if (body.ok()) return Answer(200, kJsonType, std::move(*body));
  if (body.status().kind() == util::ErrorKind::kUsage) {
    return JsonError(400, body.status().message());
  }
  util::GetLogger("control")->warn("dashboard: {}", body.status().message());
  db_.reset();  // opened again for the next request
  cache_.clear();
  return JsonError(503, "the state database cannot be read now");
}

util::Result<std::string> DashboardWeb::Render(const std::string& key, const std::string& what,
                                               const std::string& by, std::int64_t days) {
  if (!db_) {
    db::DatabaseOptions db_options;
    db_options.path = options_.db_path;
    db_options.read_only = true;
    HDC_ASSIGN_OR_RETURN(db_, db::Database::Open(db_options));
  }
  HDC_ASSIGN_OR_RETURN(const std::int64_t version, db_->DataVersion());
  const util::TimePoint now = clock_.Now();
  if (const auto it = cache_.find(key); it != cache_.end() && it->second.data_version == version &&
                                        now - it->second.at < options_.max_age &&
                                        now >= it->second.at) {
    return it->second.body;
  }
  const dashboard::Window window{now, days};
  util::Result<std::string> body = std::string();
  if (what == "summary") {
    body = dashboard::SummaryJson(*db_, {window, live_(), options_.retention_seconds});
  } else if (what == "trend") {
    body = dashboard::TrendJson(*db_, by, window);
  } else {
    body = dashboard::NewJson(*db_, window);
  }
  if (!body.ok()) return body;
  {
    std::lock_guard lock(mu_);
    ++renders_;
  }
  if (cache_.size() >= kMaxCached) cache_.clear();
  cache_[key] = Cached{*body, version, now};
  return body;
}

}  // namespace hdc::service
