// Executions (one per run of a schedule) as polling finds them and the
// report fetcher advances them: new -> fetching -> fetched -> ingested
// (or failed; later purged by retention).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "db/database.h"
#include "util/result.h"

namespace hdc::db {

struct ExecutionRecord {
  std::string report_id;
  std::string report_datetime;  // "yyyy-MM-ddTHH:mm:ssZ"
  std::string job_name;
  std::string remote_status;
  std::string state;
  std::int64_t attempts = 0;
  std::optional<std::string> last_error;
  std::string partial_etag;  // validator of a partial download in store/tmp, or ""
};

class ExecutionsTable {
 public:
  explicit ExecutionsTable(Database& db) : db_(db) {}

  // Inserts a new execution or updates the remote status of a known one.
  // Returns true when the row is new.
  util::Result<bool> Upsert(const std::string& job, const std::string& report_id,
                            const std::string& report_datetime, const std::string& remote_status,
                            const std::string& now);

  // The polling window's start: the oldest execution of the schedule that is
  // not finished (not ingested, purged or permanently failed), else the
  // newest one; nullopt when none is known.
  util::Result<std::optional<std::string>> WindowStart(const std::string& report_id);

  // The remote status of one execution; nullopt when it was never listed.
  util::Result<std::optional<std::string>> RemoteStatus(const std::string& report_id,
                                                        const std::string& report_datetime);
  // Executions whose remote status is Completed and whose report is not yet
  // stored and ingested, oldest first.
  util::Result<std::vector<ExecutionRecord>> ReadyToFetch();

  util::Status SetState(const std::string& report_id, const std::string& report_datetime,
                        const std::string& state, const std::optional<std::string>& error);

  // Rows left "fetching" by an interrupted run go back to "new"; returns how many.
  util::Result<int> ResetInterrupted();

 private:
  Database& db_;
};

}  // namespace hdc::db
