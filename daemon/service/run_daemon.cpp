#include "service/run_daemon.h"

#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
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
#include "reconcile/job_accounts.h"
#include "service/control_server.h"
#include "service/dashboard_web.h"
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
  m.Describe("credential_expiry_timestamp_seconds", MetricType::kGauge,
             "when the certificate credential in use expires (Unix time; absent for a secret)");
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
                       const std::vector<std::string>& problems,
                       const std::vector<std::string>& warnings) {
  nlohmann::json j;
  j["healthy"] = healthy;
  j["problems"] = nlohmann::json::array();
  for (const std::string& p : problems) j["problems"].push_back(OneLine(p));
  j["warnings"] = nlohmann::json::array();
  for (const std::string& w : warnings) j["warnings"].push_back(OneLine(w));
  j["auth"] = h.auth_refused ? "refused" : "ok";
  j["accounts"] = nlohmann::json::array();
  for (const engine::AccountHealth& a : h.accounts) {
    j["accounts"].push_back({{"name", a.name},
                             {"auth", a.auth_refused ? "refused" : "ok"},
                             {"auth_error", OneLine(a.auth_error)},
                             {"auth_retry_at", OptionalTime(a.auth_retry_at)}});
  }
  j["pending_downloads"] = h.pending_downloads;
  j["last_success"] = OptionalTime(h.last_success);
  j["jobs"] = nlohmann::json::array();
  for (const engine::JobHealth& job : h.jobs) {
    j["jobs"].push_back({{"name", job.name},
                         {"account", job.account},
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
  auto differs = [&](const std::string& key, const std::string& a, const std::string& b) {
    if (a != b) log->warn("reload: {} changed; it takes effect after a restart", key);
  };
  differs("[service] state_dir", old_config.service.state_dir, new_config.service.state_dir);
  differs("[service] control_listen", old_config.service.control_listen,
          new_config.service.control_listen);
  differs("[service] dashboard", old_config.service.dashboard ? "yes" : "no",
          new_config.service.dashboard ? "yes" : "no");
  // Reloads that add or remove an account are refused (CheckReloadedAccounts).
  for (const config::AccountConfig& before : old_config.accounts) {
    const config::AccountConfig* after = config::FindAccount(new_config, before.name);
    if (after == nullptr) continue;
    const std::string section = config::SeveralAccounts(old_config)
                                    ? "[account " + before.name + "] "
                                    : std::string("[account] ");
    differs(section + "tenant_id", before.tenant_id, after->tenant_id);
    differs(section + "client_id", before.client_id, after->client_id);
    differs(section + "api_url", before.api_url, after->api_url);
    differs(section + "login_url", before.login_url, after->login_url);
    differs(section + "client_secret_file", before.client_secret_file, after->client_secret_file);
    differs(section + "client_certificate_file", before.client_certificate_file,
            after->client_certificate_file);
    differs(section + "client_certificate_key_file", before.client_certificate_key_file,
            after->client_certificate_key_file);
    differs(section + "federated_token_file", before.federated_token_file,
            after->federated_token_file);
  }
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

// What start-up reads before it touches the state directory.
struct StartConfig {
  std::shared_ptr<const config::Config> config;
  std::optional<std::chrono::microseconds> watchdog;
};

// The configuration, logging set up from it, the watchdog interval, then the
// test options checked against the configuration, in that order.
util::Result<StartConfig> LoadStartConfig(const DaemonOptions& options) {
  HDC_ASSIGN_OR_RETURN(config::Config loaded, config::LoadConfig(options.config_path));
  StartConfig start;
  start.config = std::make_shared<const config::Config>(std::move(loaded));
  HDC_RETURN_IF_ERROR(SetupLoggingFrom(start.config->service));
  HDC_ASSIGN_OR_RETURN(start.watchdog, platform::WatchdogPingInterval());
  const bool test_support = options.time_scale > 0 || options.test_hooks;
  for (const config::AccountConfig& account : start.config->accounts) {
    if (test_support && !(IsLoopbackUrl(account.api_url) && IsLoopbackUrl(account.login_url))) {
      return util::UsageError(
          "--time-scale and --test-hooks work only against a loopback api_url and login_url "
          "(hdc-emulator)");
    }
  }
  return start;
}

// The system clock, or with --time-scale the scaled test clock, set to
// --time-start when given.
util::Result<util::Clock*> ChooseClock(const DaemonOptions& options,
                                       util::SystemClock& system_clock,
                                       util::ScaledClock& scaled_clock) {
  if (options.time_scale > 0) {
    if (!options.time_start.empty()) {
      auto start = util::ParseTimestamp(options.time_start);
      if (!start.ok()) return util::UsageError("--time-start: " + start.status().message());
      scaled_clock.Set(*start);
    }
    util::GetLogger("service")->warn("test clock: {}x real time, now {}", options.time_scale,
                                     util::FormatTimestamp(scaled_clock.Now()));
    return &scaled_clock;
  }
  return &system_clock;
}

// Counts every response of the account's connection in requests_total.
void CountRequests(util::Metrics& metrics, const std::string& account,
                   api::ConnectionOptions& options) {
  options.http.on_response = [&metrics, account](const util::Url& url, int status) {
    metrics.Add(
        "requests_total",
        {{"account", account}, {"endpoint", EndpointOf(url)}, {"outcome", OutcomeOf(status)}});
  };
}

// The scheduler loop pings the service manager's watchdog (when it asks for
// one) and reports its status line there.
engine::SchedulerOptions SchedulerOptionsFor(std::optional<std::chrono::microseconds> watchdog,
                                             NotifyLog& notifier) {
  engine::SchedulerOptions options;
  if (watchdog) {
    options.watchdog = std::chrono::duration_cast<util::Duration>(*watchdog);
    options.on_watchdog = [&notifier] { notifier.WatchdogPing(); };
  }
  options.on_status = [&notifier](const std::string& line) { notifier.SetStatus(line); };
  return options;
}

// What the control handlers and the signal loop act on, all owned by RunDaemon.
struct Running {
  const DaemonOptions& options;
  NotifyLog& notifier;
  engine::Scheduler& scheduler;
  util::Metrics& metrics;
  platform::FileSystem& fs;
  const store::StoreLayout& layout;
  const std::vector<AccountLink>& accounts;  // one connection per account
  util::Clock& clock;
};

// Tells options.on_lifecycle, if anybody listens.
void Tell(const Running& running, platform::EventLevel level, std::string_view line) {
  if (running.options.on_lifecycle) running.options.on_lifecycle(level, line);
}

// GET /healthz: the scheduler's problems and low free space in the store.
// A certificate this close to its notAfter is a warning on /healthz.
constexpr util::Duration kExpiryWarning = std::chrono::days(30);

// The warning for a certificate credential that expires within
// kExpiryWarning (or has expired); none for a secret, whose expiry the
// service does not tell (docs/operations.md §Health).
// With several accounts, the warning names the account.
std::vector<std::string> CredentialWarnings(const Running& running) {
  std::vector<std::string> warnings;
  const auto current = running.scheduler.config();
  for (const AccountLink& link : running.accounts) {
    const auth::TokenProvider::InUse in_use = link.connection->CredentialInUse();
    if (!in_use.expires) continue;
    const util::Duration left = *in_use.expires - running.clock.Now();
    if (left >= kExpiryWarning) continue;
    const std::string when = util::FormatTimestamp(*in_use.expires);
    const auto days = std::chrono::duration_cast<std::chrono::days>(left).count();
    warnings.push_back("warning: " + config::AccountPrefix(*current, link.account) + "the " +
                       in_use.description +
                       (left.count() <= 0 ? " expired at " + when
                                          : " expires at " + when + ", in " + std::to_string(days) +
                                                " day" + (days == 1 ? "" : "s")) +
                       "; register a new certificate on the app registration, write it over "
                       "client_certificate_file and send SIGHUP");
  }
  return warnings;
}

HealthAnswer Health(const Running& running, bool json) {
  engine::HealthSnapshot h = running.scheduler.Health();
  std::vector<std::string> problems = h.problems;
  const auto current = running.scheduler.config();
  auto free = running.fs.FreeSpace(running.layout.root());
  if (free.ok() && *free < current->service.min_free_space) {
    problems.push_back("free space " + util::FormatByteSize(*free) + " in " +
                       running.layout.root() + " is below min_free_space " +
                       util::FormatByteSize(current->service.min_free_space));
  }
  const std::vector<std::string> warnings = CredentialWarnings(running);
  HealthAnswer answer;
  answer.healthy = problems.empty();  // a warning alone leaves it healthy (200)
  if (json) {
    answer.body = HealthJson(h, answer.healthy, problems, warnings);
  } else {
    answer.body = answer.healthy ? "ok\n" : "";
    for (const std::string& p : problems) answer.body += OneLine(p) + "\n";
    for (const std::string& w : warnings) answer.body += OneLine(w) + "\n";
  }
  return answer;
}

// GET /metrics: the gauges brought up to date, then every metric.
std::string MetricsText(const Running& running) {
  engine::HealthSnapshot h = running.scheduler.Health();
  running.metrics.Set("jobs", {}, static_cast<double>(h.jobs.size()));
  for (const engine::AccountHealth& account : h.accounts) {
    running.metrics.Set("authentication_ok", {{"account", account.name}},
                        account.auth_refused ? 0 : 1);
  }
  for (const engine::JobHealth& job : h.jobs) {
    running.metrics.Set("job_healthy", {{"job", job.name}}, job.healthy ? 1 : 0);
    if (job.last_success) {
      running.metrics.Set("last_success_timestamp_seconds", {{"job", job.name}},
                          UnixSeconds(*job.last_success));
    }
  }
  auto free = running.fs.FreeSpace(running.layout.root());
  if (free.ok()) running.metrics.Set("free_bytes", {}, static_cast<double>(*free));
  for (const AccountLink& link : running.accounts) {
    if (const auto expires = link.connection->CredentialInUse().expires) {
      running.metrics.Set("credential_expiry_timestamp_seconds", {{"account", link.account}},
                          UnixSeconds(*expires));
    }
  }
  return RenderPrometheusText(running.metrics.Snapshot());
}

// The control listener and the state file that publishes its address.
struct ControlListener {
  // The dashboard outlives the server, which holds its handler.
  std::unique_ptr<DashboardWeb> dashboard;  // null with [service] dashboard = no
  std::unique_ptr<ControlServer> server;    // null while [service] control_listen is empty
  std::string address_file;
};

// The jobs' cycles as the dashboard's summary shows them.
std::vector<dashboard::JobLive> LiveJobs(const Running& running) {
  std::vector<dashboard::JobLive> jobs;
  for (const engine::JobHealth& j : running.scheduler.Health().jobs) {
    auto time = [](const std::optional<util::TimePoint>& t) -> std::optional<std::string> {
      return t ? std::optional(util::FormatTimestamp(*t)) : std::nullopt;
    };
    jobs.push_back({j.name, j.healthy, time(j.last_success), time(j.last_attempt), time(j.next_due),
                    j.consecutive_failures});
  }
  return jobs;
}

// The dashboard's web handler, when [service] dashboard = yes.
void StartDashboard(const Running& running, const config::Config& config, ControlListener& control,
                    ControlHandlers& handlers) {
  if (!config.service.dashboard) return;
  DashboardWebOptions options;
  options.db_path =
      util::state_files::PathOf(config.service.state_dir, util::state_files::kDatabase);
  options.retention_seconds = config.service.retention.count();
  control.dashboard = std::make_unique<DashboardWeb>(options, running.clock,
                                                     [&running] { return LiveJobs(running); });
  handlers.web = [web = control.dashboard.get()](const std::string& target, WebReply reply) {
    web->Handle(target, std::move(reply));
  };
}

// Starts the listener when [service] control_listen is set and writes its
// address file; `control` holds the server even when that write fails.
util::Status StartControl(const Running& running, const config::Config& config,
                          const std::string& callback_token, ControlListener& control) {
  control.address_file =
      util::state_files::PathOf(config.service.state_dir, util::state_files::kControlAddress);
  if (config.service.control_listen.empty()) return util::Status::Ok();
  ControlHandlers handlers;
  handlers.health = [&running](bool json) { return Health(running, json); };
  handlers.metrics = [&running] { return MetricsText(running); };
  handlers.callback = [&running](std::string_view) { running.scheduler.Callback(); };
  StartDashboard(running, config, control, handlers);
  ControlServerOptions control_options;
  control_options.listen = config.service.control_listen;
  control_options.callback_token = callback_token;
  auto started = ControlServer::Start(control_options, handlers, &running.metrics);
  if (!started.ok()) return started.status().WithContext("[service] control_listen: ");
  control.server = std::move(*started);
  if (util::Status written =
          WriteSmallFile(running.fs, control.address_file, control.server->address() + "\n");
      !written.ok()) {
    return written.WithContext("[service] control_listen: ");
  }
  return util::Status::Ok();
}

// Stops the listener and removes its address file (best effort).
void StopControl(ControlListener& control) {
  if (!control.server) return;
  control.server->Stop();
  control.dashboard.reset();
  std::error_code ignored;
  std::filesystem::remove(control.address_file, ignored);
}

// The start line, logged and told; then READY=1.
void AnnounceStart(const Running& running, const config::Config& config,
                   const ControlListener& control) {
  const std::string started =
      fmt::format("started: {} job(s), state in {}, control listener {}", config.jobs.size(),
                  config.service.state_dir, control.server ? control.server->address() : "off");
  util::GetLogger("service")->info("{}", started);
  Tell(running, platform::EventLevel::kInfo, "hdc-reportd " + started);
  running.notifier.Ready();
}

// Every SIGHUP reopens the log file by its name first, whatever becomes
// of the configuration: logrotate renames the file, then reloads, and
// the daemon goes on in a new file of the old name.
void ReopenLog() {
  auto log = util::GetLogger("service");
  if (util::Status reopened = util::ReopenLogFile(); !reopened.ok()) {
    log->error("reload: {}; still writing to the previous log file", reopened.ToString());
  } else if (const std::string path = util::LogFilePath(); !path.empty()) {
    log->info("reload: log file {} reopened", path);
  }
}

// Re-reads the account's credential from the files it came from (the paths
// are restart-only); a rewritten secret file or a renewed certificate is used
// from the next token on. One that cannot be read is named, and the one in
// use kept: the rest of the reload goes ahead.
void ReloadCredentials(const Running& running) {
  auto log = util::GetLogger("auth");
  const auto current = running.scheduler.config();
  for (const AccountLink& link : running.accounts) {
    const std::string account = config::AccountPrefix(*current, link.account);
    auto reread = link.reload();
    if (!reread.ok()) {
      log->warn("reload: {}the credential was not re-read, the one in use is kept: {}", account,
                reread.status().ToString());
      continue;
    }
    std::string description = reread->description();
    if (link.connection->UseCredential(std::move(*reread))) {
      log->info("reload: {}signing in with the {} from the next token on", account, description);
    }
  }
}

// A reloaded configuration that moves a recorded job to another account
// (reconcile/job_accounts.h), or that adds or removes an account (each
// account's connection is made at start), is refused like a broken one; the
// database is read through its own read-only connection.
util::Status CheckReloadedAccounts(const config::Config& reloaded, const config::Config& current) {
  auto db = db::Database::Open(
      {util::state_files::PathOf(current.service.state_dir, util::state_files::kDatabase),
       std::chrono::milliseconds(5000), /*read_only=*/true});
  if (!db.ok()) return db.status();
  HDC_RETURN_IF_ERROR(reconcile::CheckJobAccounts(reloaded, **db));
  if (config::AccountNames(reloaded) != config::AccountNames(current)) {
    return util::ConfigError("the accounts changed (" + config::AccountNames(current) + " -> " +
                             config::AccountNames(reloaded) +
                             "); adding or removing an account takes a restart");
  }
  return util::Status::Ok();
}

// Hands the scheduler the new configuration once it has loaded whole and
// logging is set up from it; otherwise the previous one keeps running.
void ReloadConfig(const Running& running) {
  auto reloaded = config::LoadConfig(running.options.config_path);
  util::Status logging;
  if (reloaded.ok()) logging = CheckReloadedAccounts(*reloaded, *running.scheduler.config());
  if (reloaded.ok() && logging.ok()) logging = SetupLoggingFrom(reloaded->service);
  if (!reloaded.ok() || !logging.ok()) {
    const std::string refused = "reload refused, still running the previous configuration: " +
                                (reloaded.ok() ? logging : reloaded.status()).ToString();
    util::GetLogger("service")->error("{}", refused);
    Tell(running, platform::EventLevel::kWarning, "hdc-reportd " + refused);
    return;
  }
  const auto current = running.scheduler.config();
  WarnRestartOnly(*current, *reloaded);
  ReloadCredentials(running);
  Tell(running, platform::EventLevel::kInfo,
       fmt::format("hdc-reportd reloaded its configuration: {} job(s)", reloaded->jobs.size()));
  running.scheduler.Reload(std::make_shared<const config::Config>(std::move(*reloaded)));
}

// Takes signals until a stop: SIGHUP reloads, the test signal freezes the
// scheduler loop (with --test-hooks only).
void ServeSignals(const Running& running) {
  while (true) {
    const DaemonSignal signal = WaitForSignal();
    if (signal == DaemonSignal::kStop) return;
    if (signal == DaemonSignal::kFreezeForTest) {
      if (running.options.test_hooks) {
        util::GetLogger("service")->warn("test hook: freezing the scheduler loop");
        running.scheduler.FreezeForTest();
      }
      continue;
    }
    running.notifier.Reloading();
    ReopenLog();
    ReloadConfig(running);
    running.notifier.Ready();
  }
}

}  // namespace

int RunDaemon(const DaemonOptions& options, std::ostream& err) {
  auto fail = [&](const util::Status& status) {
    err << "hdc-reportd: " << status.ToString() << "\n";
    return status.exit_code();
  };
  const platform::ServiceNotifier service_manager = platform::ServiceNotifier::FromEnvironment();
  NotifyLog notifier(service_manager);
  auto start = LoadStartConfig(options);
  if (!start.ok()) return fail(start.status());
  const std::shared_ptr<const config::Config> config = start->config;
  auto log = util::GetLogger("service");
  auto state = OpenState(*config, options.config_path);
  if (!state.ok()) return fail(state.status());

  util::SystemClock system_clock;
  util::ScaledClock scaled_clock(system_clock, options.time_scale > 0 ? options.time_scale : 1.0);
  auto chosen_clock = ChooseClock(options, system_clock, scaled_clock);
  if (!chosen_clock.ok()) return fail(chosen_clock.status());
  util::Clock& clock = **chosen_clock;

  util::Metrics metrics;
  DescribeServiceMetrics(metrics);
  std::stop_source stop;
  const std::vector<AccountLink> accounts = ConnectAccounts(
      *config, state->credentials, clock, stop.get_token(),
      [&metrics](const std::string& account, api::ConnectionOptions& connection_options) {
        CountRequests(metrics, account, connection_options);
      });
  const store::StoreLayout layout(config->service.state_dir);
  util::Random random(std::random_device{}());
  platform::FileSystem& fs = *state->files;
  engine::Cycle cycle({ConnectionsOf(accounts), *state->db, fs, layout, clock, random,
                       stop.get_token(), &metrics, state->callback_token});
  if (util::Status recovered = cycle.Recover(); !recovered.ok()) return fail(recovered);
  engine::CycleWork work(cycle, *state->db, &metrics);
  (void)work.RefreshGauges();
  engine::Scheduler scheduler(work, clock, config, SchedulerOptionsFor(start->watchdog, notifier));

  const Running running{options, notifier, scheduler, metrics, fs, layout, accounts, clock};
  ControlListener control;
  if (util::Status started = StartControl(running, *config, state->callback_token, control);
      !started.ok()) {
    return fail(started);
  }
  std::jthread scheduler_thread([&] { scheduler.Run(stop.get_token()); });
  AnnounceStart(running, *config, control);
  ServeSignals(running);

  log->info("stopping: letting downloads reach a checkpoint");
  notifier.Stopping();
  stop.request_stop();
  scheduler_thread.join();
  StopControl(control);
  log->info("stopped");
  return 0;
}

}  // namespace hdc::service
