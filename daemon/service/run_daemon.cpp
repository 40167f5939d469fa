#include "service/run_daemon.h"

#include <filesystem>
#include <fstream>
#include <memory>
#include <ostream>
#include <random>
#include <thread>

#include <nlohmann/json.hpp>

#include "db/database.h"
#include "engine/cycle.h"
#include "engine/cycle_work.h"
#include "engine/scheduler.h"
#include "platform/filesystem.h"
#include "platform/notify.h"
#include "service/control_server.h"
#include "service/notify_log.h"
#include "service/prometheus_text.h"
#include "service/signals.h"
#include "service/wiring.h"
#include "store/layout.h"
#include "util/logging.h"
#include "util/redact.h"
#include "util/scaled_clock.h"
#include "util/state_files.h"
#include "util/strings.h"
#include "util/time_format.h"
#include "util/url.h"

namespace hdc::service {
namespace {


// Writes a small state file whole or not at all: a private temp file
// (0600 on POSIX), synced, renamed over `path`, and the folder synced; bytes
// as given (no CRLF translation on Windows).
util::Status WriteSmallFile(platform::FileSystem& fs, const std::string& path,
                            const std::string& text) {
  const std::string temp = path + ".tmp";
  auto file = fs.OpenForWrite(temp, /*append=*/false);
  if (!file.ok()) return file.status();
  util::Status status = (*file)->Append(text);
  if (status.ok()) status = (*file)->Sync();
  const util::Status closed = (*file)->Close();
  if (status.ok()) status = closed;
  if (status.ok()) status = fs.Rename(temp, path);
  if (!status.ok()) {
    (void)fs.Remove(temp);  // best effort; the error below is what matters
    return status;
  }
  return fs.SyncDir(std::filesystem::path(path).parent_path().generic_string());
}

// The bounded endpoint label of a request (never an id or a query).
std::string EndpointOf(const util::Url& url) {
  const std::string& t = url.target;
  if (t.find("/oauth2/") != std::string::npos) return "token";
  if (t.find("/cabdownloadbatch") != std::string::npos) return "cabdownloadbatch";
  if (t.find("/cabdownload") != std::string::npos) return "cabdownload";
  if (t.find("/analytics/driver/reportdata") != std::string::npos) return "reportdata";
  if (t.find("/analytics/driver/reporttemplate") != std::string::npos) return "reporttemplate";
  if (t.find("/analytics/driver/report") != std::string::npos) return "report";
  return "blob";
}

std::string OutcomeOf(int status) {
  if (status == 0) return "network_error";
  if (status < 300) return "2xx";
  if (status < 400) return "3xx";
  if (status == 401 || status == 403) return "denied";
  if (status == 429) return "throttled";
  if (status < 500) return "4xx";
  return "5xx";
}

void DescribeServiceMetrics(util::Metrics& m) {
  using util::MetricType;
  engine::DescribeCycleMetrics(m);
  m.Describe("requests_total", MetricType::kCounter,
             "HTTP requests to Hardware Dev Center and blob storage by endpoint and outcome");
  m.Describe("jobs", MetricType::kGauge, "enabled jobs");
  m.Describe("job_healthy", MetricType::kGauge, "1 when the job's polls work, else 0");
  m.Describe("last_success_timestamp_seconds", MetricType::kGauge,
             "when the job last polled successfully (Unix time)");
  m.Describe("authentication_ok", MetricType::kGauge,
             "0 while the service refuses our credentials, else 1");
  m.Describe("pending_downloads", MetricType::kGauge, "reports and cabs waiting for download");
  m.Describe("store_bytes", MetricType::kGauge, "bytes of report and cab files held");
  m.Describe("free_bytes", MetricType::kGauge, "free space on the store's file system");
  m.Describe(std::string(kCallbackAcceptedMetric), MetricType::kCounter, "callbacks accepted");
  m.Describe(std::string(kCallbackRefusedMetric), MetricType::kCounter,
             "callbacks refused (wrong token)");
}

double UnixSeconds(util::TimePoint t) {
  return static_cast<double>(
      std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count());
}

// A problem line as /healthz shows it: redacted, one line.
std::string OneLine(std::string_view text) { return util::OneLine(util::Redact(text)); }

nlohmann::json OptionalTime(std::optional<util::TimePoint> t) {
  return t ? nlohmann::json(util::FormatTimestamp(*t)) : nlohmann::json(nullptr);
}

std::string HealthJson(const engine::HealthSnapshot& h, bool healthy,
                       const std::vector<std::string>& problems) {
  nlohmann::json j;
  j["healthy"] = healthy;
  j["problems"] = nlohmann::json::array();
  for (const std::string& p : problems) j["problems"].push_back(OneLine(p));
  j["auth"] = h.auth_refused ? "refused" : "ok";
  j["pending_downloads"] = h.pending_downloads;
  j["last_success"] = OptionalTime(h.last_success);
  j["jobs"] = nlohmann::json::array();
  for (const engine::JobHealth& job : h.jobs) {
    j["jobs"].push_back({{"name", job.name},
                         {"healthy", job.healthy},
                         {"last_success", OptionalTime(job.last_success)},
                         {"last_attempt", OptionalTime(job.last_attempt)},
                         {"next_due", OptionalTime(job.next_due)},
                         {"consecutive_failures", job.consecutive_failures},
                         {"last_error", job.last_error}});
  }
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

// Changes a reload cannot apply to a running daemon; each is named once.
void WarnRestartOnly(const config::Config& old_config, const config::Config& new_config) {
  auto log = util::GetLogger("service");
  auto differs = [&](const char* key, const std::string& a, const std::string& b) {
    if (a != b) log->warn("reload: {} changed; it takes effect after a restart", key);
  };
  differs("[service] state_dir", old_config.service.state_dir, new_config.service.state_dir);
  differs("[service] control_listen", old_config.service.control_listen,
          new_config.service.control_listen);
  differs("[account] tenant_id", old_config.account.tenant_id, new_config.account.tenant_id);
  differs("[account] client_id", old_config.account.client_id, new_config.account.client_id);
  differs("[account] api_url", old_config.account.api_url, new_config.account.api_url);
  differs("[account] login_url", old_config.account.login_url, new_config.account.login_url);
  // The HTTP and API clients are built once, at start.
  const config::ServiceConfig& a = old_config.service;
  const config::ServiceConfig& b = new_config.service;
  differs("[service] request_deadline", util::FormatDuration(a.request_deadline),
          util::FormatDuration(b.request_deadline));
  differs("[service] min_transfer_rate", std::to_string(a.min_transfer_rate),
          std::to_string(b.min_transfer_rate));
  differs("[service] min_transfer_rate_window", util::FormatDuration(a.min_transfer_rate_window),
          util::FormatDuration(b.min_transfer_rate_window));
}

bool IsLoopbackUrl(const std::string& text) {
  auto url = util::ParseUrl(text);
  return url.ok() && util::IsLoopbackHost(url->host);
}

}  // namespace

int RunDaemon(const DaemonOptions& options, std::ostream& err) {
  auto fail = [&](const util::Status& status) {
    err << "hdc-reportd: " << status.ToString() << "\n";
    return status.exit_code();
  };
  const platform::ServiceNotifier service_manager = platform::ServiceNotifier::FromEnvironment();
  NotifyLog notifier(service_manager);
  auto loaded = config::LoadConfig(options.config_path);
  if (!loaded.ok()) return fail(loaded.status());
  auto config = std::make_shared<const config::Config>(std::move(*loaded));
  if (util::Status logging = SetupLoggingFrom(config->service); !logging.ok()) return fail(logging);
  auto log = util::GetLogger("service");
  auto watchdog = platform::WatchdogPingInterval();
  if (!watchdog.ok()) return fail(watchdog.status());
  const bool test_support = options.time_scale > 0 || options.test_hooks;
  if (test_support &&
      !(IsLoopbackUrl(config->account.api_url) && IsLoopbackUrl(config->account.login_url))) {
    return fail(util::UsageError(
        "--time-scale and --test-hooks work only against a loopback api_url and login_url "
        "(hdc-emulator)"));
  }
  auto state = OpenState(*config, options.config_path);
  if (!state.ok()) return fail(state.status());

  util::SystemClock system_clock;
  util::ScaledClock scaled_clock(system_clock, options.time_scale > 0 ? options.time_scale : 1.0);
  util::Clock* clock = &system_clock;
  if (options.time_scale > 0) {
    clock = &scaled_clock;
    if (!options.time_start.empty()) {
      auto start = util::ParseTimestamp(options.time_start);
      if (!start.ok()) return fail(util::UsageError("--time-start: " + start.status().message()));
      scaled_clock.Set(*start);
    }
    log->warn("test clock: {}x real time, now {}", options.time_scale,
              util::FormatTimestamp(clock->Now()));
  }

  util::Metrics metrics;
  DescribeServiceMetrics(metrics);
  std::stop_source stop;
  api::ConnectionOptions connection_options = ConnectionOptionsFrom(*config);
  connection_options.http.on_response = [&metrics](const util::Url& url, int status) {
    metrics.Add("requests_total", {{"endpoint", EndpointOf(url)}, {"outcome", OutcomeOf(status)}});
  };
  api::Connection connection(connection_options, state->secret.Reveal(), *clock, stop.get_token());
  const store::StoreLayout layout(config->service.state_dir);
  util::Random random(std::random_device{}());
  platform::FileSystem& fs = *state->files;
  engine::Cycle cycle({connection, *state->db, fs, layout, *clock, random, stop.get_token(),
                       &metrics, state->callback_token});
  if (util::Status recovered = cycle.Recover(); !recovered.ok()) return fail(recovered);
  engine::CycleWork work(cycle, *state->db, &metrics);
  (void)work.RefreshGauges();

  engine::SchedulerOptions scheduler_options;
  if (*watchdog) {
    scheduler_options.watchdog = std::chrono::duration_cast<util::Duration>(**watchdog);
    scheduler_options.on_watchdog = [&notifier] { notifier.WatchdogPing(); };
  }
  scheduler_options.on_status = [&notifier](const std::string& line) {
    notifier.SetStatus(line);
  };
  engine::Scheduler scheduler(work, *clock, config, scheduler_options);

  std::unique_ptr<ControlServer> control;
  const std::string address_file =
      util::state_files::PathOf(config->service.state_dir, util::state_files::kControlAddress);
  if (!config->service.control_listen.empty()) {
    ControlHandlers handlers;
    handlers.health = [&](bool json) {
      engine::HealthSnapshot h = scheduler.Health();
      std::vector<std::string> problems = h.problems;
      const auto current = scheduler.config();
      auto free = fs.FreeSpace(layout.root());
      if (free.ok() && *free < current->service.min_free_space) {
        problems.push_back("free space " + util::FormatByteSize(*free) + " in " + layout.root() +
                           " is below min_free_space " +
                           util::FormatByteSize(current->service.min_free_space));
      }
      HealthAnswer answer;
      answer.healthy = problems.empty();
      if (json) {
        answer.body = HealthJson(h, answer.healthy, problems);
      } else {
        answer.body = answer.healthy ? "ok\n" : "";
        for (const std::string& p : problems) answer.body += OneLine(p) + "\n";
      }
      return answer;
    };
    handlers.metrics = [&] {
      engine::HealthSnapshot h = scheduler.Health();
      metrics.Set("jobs", {}, static_cast<double>(h.jobs.size()));
      metrics.Set("authentication_ok", {}, h.auth_refused ? 0 : 1);
      for (const engine::JobHealth& job : h.jobs) {
        metrics.Set("job_healthy", {{"job", job.name}}, job.healthy ? 1 : 0);
        if (job.last_success) {
          metrics.Set("last_success_timestamp_seconds", {{"job", job.name}},
                      UnixSeconds(*job.last_success));
        }
      }
      auto free = fs.FreeSpace(layout.root());
      if (free.ok()) metrics.Set("free_bytes", {}, static_cast<double>(*free));
      return RenderPrometheusText(metrics.Snapshot());
    };
    handlers.callback = [&](std::string_view) { scheduler.Callback(); };
    ControlServerOptions control_options;
    control_options.listen = config->service.control_listen;
    control_options.callback_token = state->callback_token;
    auto started = ControlServer::Start(control_options, handlers, &metrics);
    if (!started.ok()) return fail(started.status().WithContext("[service] control_listen: "));
    control = std::move(*started);
    if (util::Status written = WriteSmallFile(fs, address_file, control->address() + "\n");
        !written.ok()) {
      return fail(written.WithContext("[service] control_listen: "));
    }
  }

  auto lifecycle = [&](platform::EventLevel level, std::string_view line) {
    if (options.on_lifecycle) options.on_lifecycle(level, line);
  };
  std::jthread scheduler_thread([&] { scheduler.Run(stop.get_token()); });
  const std::string started =
      fmt::format("started: {} job(s), state in {}, control listener {}", config->jobs.size(),
                  config->service.state_dir, control ? control->address() : "off");
  log->info("{}", started);
  lifecycle(platform::EventLevel::kInfo, "hdc-reportd " + started);
  notifier.Ready();

  while (true) {
    const DaemonSignal signal = WaitForSignal();
    if (signal == DaemonSignal::kStop) break;
    if (signal == DaemonSignal::kFreezeForTest) {
      if (options.test_hooks) {
        log->warn("test hook: freezing the scheduler loop");
        scheduler.FreezeForTest();
      }
      continue;
    }
    notifier.Reloading();
    // Every SIGHUP reopens the log file by its name first, whatever becomes
    // of the configuration: logrotate renames the file, then reloads, and
    // the daemon goes on in a new file of the old name.
    if (util::Status reopened = util::ReopenLogFile(); !reopened.ok()) {
      log->error("reload: {}; still writing to the previous log file", reopened.ToString());
    } else if (const std::string path = util::LogFilePath(); !path.empty()) {
      log->info("reload: log file {} reopened", path);
    }
    auto reloaded = config::LoadConfig(options.config_path);
    util::Status logging;
    if (reloaded.ok()) logging = SetupLoggingFrom(reloaded->service);
    if (!reloaded.ok() || !logging.ok()) {
      const std::string refused = "reload refused, still running the previous configuration: " +
                                  (reloaded.ok() ? logging : reloaded.status()).ToString();
      log->error("{}", refused);
      lifecycle(platform::EventLevel::kWarning, "hdc-reportd " + refused);
    } else {
      const auto current = scheduler.config();
      WarnRestartOnly(*current, *reloaded);
      lifecycle(
          platform::EventLevel::kInfo,
          fmt::format("hdc-reportd reloaded its configuration: {} job(s)", reloaded->jobs.size()));
      scheduler.Reload(std::make_shared<const config::Config>(std::move(*reloaded)));
    }
    notifier.Ready();
  }

  log->info("stopping: letting downloads reach a checkpoint");
  notifier.Stopping();
  stop.request_stop();
  scheduler_thread.join();
  if (control) {
    control->Stop();
    std::error_code ignored;
    std::filesystem::remove(address_file, ignored);
  }
  log->info("stopped");
  return 0;
}

}  // namespace hdc::service
