// The scheduler's Work over the real Cycle: each task is one or two cycle
// steps plus a log line saying what it did (nothing when it did nothing, so
// an idle daemon's log stays quiet), and the gauges it refreshes.
#pragma once

#include "db/listings.h"
#include "engine/cycle.h"
#include "engine/scheduler.h"

namespace hdc::engine {

class CycleWork final : public Work {
 public:
  CycleWork(Cycle& cycle, db::Database& db, util::Metrics* metrics);

  util::Status Reconcile(const config::Config& config) override;
  util::Result<JobPollOutcome> PollJob(const config::Config& config,
                                       const std::string& job) override;
  util::Result<DownloadOutcome> Download(const config::Config& config,
                                         util::Duration purge_ahead) override;
  util::Result<std::optional<util::TimePoint>> Sweep(const config::Config& config,
                                                     util::Duration purge_ahead) override;
  void Rest() override;

  // Updates the gauges that come from the database (pending downloads,
  // stored bytes); also called once at start.
  util::Result<db::StoreTotals> RefreshGauges();

 private:
  Cycle& cycle_;
  db::Database& db_;
  util::Metrics* metrics_;
};

}  // namespace hdc::engine
