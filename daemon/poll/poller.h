// Polling: for each active schedule, Get Report Data over a window from the
// oldest execution not yet fully processed (first run: the schedule's start,
// at most 90 days back, the API's reach) to now, and upsert what it lists
// into the executions table. Failed executions stay in the window, so one
// that later shows Completed is picked up; duplicates in a listing are
// harmless (the API model collapses them, the table is keyed by
// (reportId, ReportDatetime)). Meets the report fetcher only in the
// database, and, when given an api::ListedLinks, in the links it listed
// (held in memory for the report fetcher of the same cycle, never stored).
// Not thread-safe; one poll at a time.
#pragma once

#include <string>
#include <vector>

#include "api/hdc_client.h"
#include "api/listed_links.h"
#include "db/database.h"
#include "util/clock.h"
#include "util/result.h"

namespace hdc::poll {

struct ScheduleToPoll {
  std::string job_name;
  std::string report_id;
  util::TimePoint start;  // the schedule's first run
  // When the schedule was last created or edited remotely as far as we
  // recorded it: runs before this never happen (docs/hdc-api.md §Schedule body).
  util::TimePoint since;
};

struct PollSummary {
  int schedules = 0;
  int executions_seen = 0;
  int new_executions = 0;
  int completed = 0;                            // listed as Completed with a link
  std::vector<util::Status> problems;           // per schedule; others still polled
  std::vector<std::string> problem_report_ids;  // the schedule of each problem, in order
};

class Poller {
 public:
  // `links`, when not null, receives the link of every run listed ready,
  // once the poll's rows are committed.
  Poller(api::HdcClient& api, db::Database& db, util::Clock& clock,
         api::ListedLinks* links = nullptr);

  util::Result<PollSummary> Poll(const std::vector<ScheduleToPoll>& schedules);

  // The schedules recorded by reconciliation, with their start times taken
  // from the jobs (job name -> start).
  static util::Result<std::vector<ScheduleToPoll>> RecordedSchedules(db::Database& db);

 private:
  util::Status PollOne(const ScheduleToPoll& schedule, PollSummary& summary);

  api::HdcClient& api_;
  db::Database& db_;
  util::Clock& clock_;
  api::ListedLinks* links_;
};

}  // namespace hdc::poll
