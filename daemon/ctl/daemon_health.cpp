#include "ctl/daemon_health.h"

#include <algorithm>
#include <fstream>

#include "ctl/options.h"
#include "http/client.h"
#include "util/byte_sink.h"
#include "util/state_files.h"
#include "util/strings.h"

namespace hdc::ctl {
namespace {

constexpr std::uint64_t kMaxHealthBytes = 1u << 20;
constexpr int kMaxHealthDepth = 16;

// Keeps the body, up to a limit, and whether a status line arrived (an
// over-long body is an unreadable answer, not a daemon that is down).
class HealthSink final : public util::ByteSink {
 public:
  util::Status Start(int status) override {
    status_ = status;
    return util::Status::Ok();
  }
  util::Status Append(std::string_view data) override {
    if (body_.size() + data.size() > kMaxHealthBytes) {
      return util::BadDataError("the body is larger than " + std::to_string(kMaxHealthBytes) +
                                " bytes");
    }
    body_.append(data);
    return util::Status::Ok();
  }
  std::uint64_t size() const override { return body_.size(); }
  util::Status Truncate() override {
    body_.clear();
    return util::Status::Ok();
  }
  int status() const { return status_; }
  const std::string& body() const { return body_; }

 private:
  int status_ = 0;
  std::string body_;
};

// "0.0.0.0:9187" -> "127.0.0.1:9187", "[::]:9187" -> "[::1]:9187".
std::string LoopbackFor(const std::string& address) {
  const std::size_t colon = address.rfind(':');
  if (colon == std::string::npos) return address;
  const std::string host = address.substr(0, colon);
  if (host == "0.0.0.0") return "127.0.0.1" + address.substr(colon);
  if (host == "[::]") return "[::1]" + address.substr(colon);
  return address;
}

util::Status Mistyped(const std::string& field, const char* expected) {
  return util::BadDataError("\"" + field + "\" is not " + expected);
}

// doc[key], an optional array of one-line strings, into `lines`.
util::Status ReadLines(const Json& doc, const std::string& key, std::vector<std::string>& lines) {
  const auto it = doc.find(key);
  if (it == doc.end() || it->is_null()) return util::Status::Ok();
  if (!it->is_array()) return Mistyped(key, "an array");
  for (const Json& line : *it) {
    if (!line.is_string())
      return Mistyped(key + "[" + std::to_string(lines.size()) + "]", "a string");
    lines.push_back(line.get<std::string>());
  }
  return util::Status::Ok();
}

// An optional string field: absent and null are nullopt.
util::Status ReadText(const Json& object, const char* key, const std::string& where,
                      std::optional<std::string>& out) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return util::Status::Ok();
  if (!it->is_string()) return Mistyped(where + key, "a string");
  out = it->get<std::string>();
  return util::Status::Ok();
}

util::Status ReadJob(const Json& item, const std::string& where, DaemonJob& job) {
  if (!item.is_object()) return Mistyped(where, "an object");
  std::optional<std::string> name;
  HDC_RETURN_IF_ERROR(ReadText(item, "name", where + ".", name));
  if (!name) return Mistyped(where + ".name", "a string");
  job.name = *name;
  if (const auto it = item.find("healthy"); it != item.end()) {
    if (!it->is_boolean()) return Mistyped(where + ".healthy", "true or false");
    job.healthy = it->get<bool>();
  }
  HDC_RETURN_IF_ERROR(ReadText(item, "last_success", where + ".", job.last_success));
  HDC_RETURN_IF_ERROR(ReadText(item, "last_attempt", where + ".", job.last_attempt));
  HDC_RETURN_IF_ERROR(ReadText(item, "next_due", where + ".", job.next_due));
  if (const auto it = item.find("consecutive_failures"); it != item.end() && !it->is_null()) {
    if (!it->is_number_integer()) return Mistyped(where + ".consecutive_failures", "a number");
    job.consecutive_failures = it->get<std::int64_t>();
  }
  std::optional<std::string> last_error;
  HDC_RETURN_IF_ERROR(ReadText(item, "last_error", where + ".", last_error));
  job.last_error = last_error.value_or("");
  return util::Status::Ok();
}

}  // namespace

std::optional<std::string> ControlAddress(const std::string& state_dir,
                                          const std::string& control_listen) {
  std::ifstream file(
      NativePath(util::state_files::PathOf(state_dir, util::state_files::kControlAddress)),
      std::ios::binary);
  std::string line;
  if (file && std::getline(file, line)) {
    const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
    while (!line.empty() && blank(line.back())) line.pop_back();
    line.erase(line.begin(), std::find_if_not(line.begin(), line.end(), blank));
    if (!line.empty()) return line;
  }
  if (control_listen.empty()) return std::nullopt;
  return control_listen;
}

util::Status ParseHealth(int http_status, const std::string& body, DaemonHealth& health) {
  if (http_status != 200 && http_status != 503) {
    return util::BadDataError("HTTP " + std::to_string(http_status)).WithHttpStatus(http_status);
  }
  if (!http::JsonDepthWithin(body, kMaxHealthDepth)) {
    return util::BadDataError("JSON nested deeper than " + std::to_string(kMaxHealthDepth));
  }
  Json doc = Json::parse(body, nullptr, false);
  if (doc.is_discarded()) return util::BadDataError("not JSON");
  if (!doc.is_object()) return Mistyped("(the body)", "an object");
  const auto healthy = doc.find("healthy");
  if (healthy == doc.end() || !healthy->is_boolean()) return Mistyped("healthy", "true or false");
  std::vector<std::string> problems;
  std::vector<std::string> warnings;
  HDC_RETURN_IF_ERROR(ReadLines(doc, "problems", problems));
  HDC_RETURN_IF_ERROR(ReadLines(doc, "warnings", warnings));
  std::vector<DaemonJob> jobs;
  if (const auto it = doc.find("jobs"); it != doc.end() && !it->is_null()) {
    if (!it->is_array()) return Mistyped("jobs", "an array");
    for (const Json& item : *it) {
      DaemonJob job;
      HDC_RETURN_IF_ERROR(ReadJob(item, "jobs[" + std::to_string(jobs.size()) + "]", job));
      jobs.push_back(std::move(job));
    }
  }
  health.healthy = http_status == 200 && healthy->get<bool>();
  health.problems = std::move(problems);
  health.warnings = std::move(warnings);
  health.jobs = std::move(jobs);
  health.health = std::move(doc);
  return util::Status::Ok();
}

DaemonHealth ProbeDaemon(const std::optional<std::string>& address, const std::string& user_agent,
                         std::chrono::milliseconds timeout) {
  DaemonHealth health;
  health.address = address;
  if (!address) return health;
  http::ClientOptions options;
  options.user_agent = user_agent;
  options.connect_timeout = timeout;
  options.read_timeout = timeout;
  http::Request request;
  request.url = "http://" + LoopbackFor(*address) + "/healthz?format=json";
  request.headers.push_back({"Accept", "application/json"});
  HealthSink sink;
  auto response = http::MakePocoClient(options)->Send(request, sink);
  health.running = response.ok() || sink.status() != 0;
  if (!response.ok()) {
    health.error = response.status().message();
    return health;
  }
  if (auto read = ParseHealth(response->status, sink.body(), health); !read.ok()) {
    health.error = read.message();
  }
  return health;
}

void PrintDaemon(std::ostream& out, const DaemonHealth& health) {
  if (!health.address) {
    out << "daemon: no control listener (control_listen is empty)\n";
    return;
  }
  const std::string address = util::OneLine(*health.address);
  if (!health.running) {
    out << "daemon: not running (no answer from " << address << ")\n";
  } else if (!health.health) {
    out << "daemon: answered at " << address << " but its health could not be read ("
        << util::OneLine(health.error.value_or("no answer")) << ")\n";
  } else {
    out << "daemon: running at " << address << ", " << (health.healthy ? "healthy" : "UNHEALTHY")
        << "\n";
    if (!health.healthy) {
      for (const std::string& problem : health.problems)
        out << "  " << util::OneLine(problem) << "\n";
    }
    for (const std::string& warning : health.warnings)
      out << "  " << util::OneLine(warning) << "\n";
  }
}

Json DaemonJson(const DaemonHealth& health) {
  return Json{{"running", health.running},
              {"address", OrNull(health.address)},
              {"health", health.health ? *health.health : Json(nullptr)},
              {"error", OrNull(health.error)}};
}

const std::vector<std::string>& DaemonJobHeaders() {
  static const std::vector<std::string> kHeaders{"LAST SUCCESS", "NEXT DUE", "FAILURES",
                                                 "LAST ERROR"};
  return kHeaders;
}

std::vector<std::string> DaemonJobCells(const DaemonHealth& health, const std::string& job) {
  const auto it = std::find_if(health.jobs.begin(), health.jobs.end(),
                               [&](const DaemonJob& j) { return j.name == job; });
  if (it == health.jobs.end()) return {"-", "-", "-", "-"};
  return {OrDash(it->last_success), OrDash(it->next_due), std::to_string(it->consecutive_failures),
          it->last_error.empty() ? "-" : it->last_error};
}

}  // namespace hdc::ctl
