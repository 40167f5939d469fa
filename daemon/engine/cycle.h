// One pass of due work, step by step: start-up repair, reconciliation,
// polling, report downloads with row ingest, cab downloads, the retention
// sweep. `--once` runs every step once in that order; the daemon's scheduler
// runs each step when it is due (engine/scheduler.h). The steps meet in the
// database only, so any order is safe; this class just builds each module
// from the configuration and the shared connection.
//
// With several accounts, each remote step is called once per account with
// config::AccountView(config, account): it reconciles, polls and downloads
// that account's jobs only, through that account's connection. Recovery and
// the sweep are local and take the whole configuration.
//
// Not thread-safe: one step at a time (the scheduler's worker thread). The
// cab step runs its own download workers inside.
#pragma once

#include <map>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "api/connection.h"
#include "api/listed_links.h"
#include "config/ini_loader.h"
#include "db/database.h"
#include "download/cab_fetcher.h"
#include "download/report_fetcher.h"
#include "platform/filesystem.h"
#include "poll/poller.h"
#include "reconcile/reconciler.h"
#include "retention/sweeper.h"
#include "store/layout.h"
#include "util/clock.h"
#include "util/metrics.h"
#include "util/random.h"
#include "util/result.h"

namespace hdc::engine {

// One connection per account, by account name.
using AccountConnections = std::map<std::string, api::Connection*>;
// The ingest rules of the jobs a download step fetches for, by job name.
using IngestRules = std::map<std::string, download::JobIngestRules>;

struct CycleDeps {
  // Each step's remote work goes through the connection of the account its
  // configuration is a view of (config.account.name, config::AccountView);
  // with one connection, every configuration uses it.
  AccountConnections connections;
  db::Database& db;
  platform::FileSystem& fs;
  const store::StoreLayout& layout;
  util::Clock& clock;
  util::Random& random;
  std::stop_token stop;
  util::Metrics* metrics = nullptr;  // counters of what each step did; may be null
  // The secret path component of the callback URL: reconciliation gives
  // jobs with callback = yes the URL [service] callback_url + "/callback/"
  // + token (service/callback_token.h).
  std::string callback_token;
};

// What a job's poll learned about its schedule's timing.
struct JobPollOutcome {
  bool polled = false;  // false: the job has no recorded active schedule
  // The newest scheduled run at or before now that the service has not yet
  // reported as Completed or Failed; nullopt when there is none to wait for.
  std::optional<util::TimePoint> awaiting;
  int new_executions = 0;
  int completed = 0;
};

class Cycle {
 public:
  explicit Cycle(CycleDeps deps);

  // Start-up repair of downloads a crash interrupted (download/partials.h).
  util::Status Recover();
  util::Result<reconcile::ReconcileSummary> Reconcile(const config::Config& config);
  // Polls the given enabled jobs (all enabled jobs when `jobs` is empty).
  util::Result<poll::PollSummary> Poll(const config::Config& config,
                                       const std::vector<std::string>& jobs = {});
  // Polls one job and says what its schedule waits for.
  util::Result<JobPollOutcome> PollJob(const config::Config& config, const std::string& job);
  // The ingest rules of config's jobs; with several accounts also the
  // removed jobs recorded under config's account, whose downloads it still
  // finishes (the fetchers then take only these jobs). Read once per
  // download step, for both fetches.
  util::Result<IngestRules> RulesFor(const config::Config& config);
  // Downloads every ready report (and ingests its rows), then every pending
  // cab, with `rules` = RulesFor(config), which each hands on to its fetcher
  // (the caller copies them into FetchReports and moves them into FetchCabs).
  // Nothing whose retention clock ends within `purge_ahead` is fetched.
  util::Result<download::ReportFetchSummary> FetchReports(const config::Config& config,
                                                          IngestRules rules,
                                                          util::Duration purge_ahead);
  util::Result<download::CabFetchSummary> FetchCabs(const config::Config& config, IngestRules rules,
                                                    util::Duration purge_ahead,
                                                    download::CabProgress* progress = nullptr);
  util::Result<retention::SweepReport> Sweep(const config::Config& config,
                                             util::Duration purge_ahead);
  // When the next sweep must run at the latest so that nothing outlives the
  // window (the earliest expiry of what is held); nullopt: nothing held.
  util::Result<std::optional<util::TimePoint>> NextExpiry(const config::Config& config);
  // Between steps: lets go of what a step left cached that the next one can
  // read again (the state database's page cache) and hands the allocator's
  // free pages back, so neither an idle daemon nor a --once run's next step
  // carries them.
  void Rest();

 private:
  // The connection of config's account; kConfig when the daemon has none
  // for it (an account added by a reload, which needs a restart).
  util::Result<api::Connection*> ConnectionFor(const config::Config& config);
  util::Result<poll::PollSummary> PollSchedules(api::Connection& connection,
                                                const std::vector<poll::ScheduleToPoll>& schedules);
  void Count(const char* name, double value, const std::string& outcome = "");

  CycleDeps d_;
  // The report links the last poll of each account listed, for that
  // account's next report fetch, which forgets them when it ends.
  std::map<const api::Connection*, api::ListedLinks> listed_links_;
};

// Declares the counters the cycle updates, with their help texts.
void DescribeCycleMetrics(util::Metrics& metrics);

// The first scheduled run of `schedule` strictly after `t`; nullopt when the
// schedule has no run left.
std::optional<util::TimePoint> NextRun(const config::ScheduleSpec& schedule, util::TimePoint t);
// The last scheduled run at or before `t`; nullopt before the first.
std::optional<util::TimePoint> LastRun(const config::ScheduleSpec& schedule, util::TimePoint t);

}  // namespace hdc::engine
