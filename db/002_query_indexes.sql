-- hdc-reportd state, schema version 2: indexes for hdc-reportctl's queries
-- (top, trend, new, compare; daemon/db/queries.h). Measured with
-- bench/bench_queries.sh on 1,000,000 rows over 60 days; each one pays (the
-- covering columns cost about 200 MB per million rows, a fifth of the file).

-- top's window: rows whose report ran from ... to. Covering for top over
-- the typed columns (the job, the events and each typed column top groups
-- by): about 2x faster than fetching every window row from the table.
CREATE INDEX failures_report_time ON failures (report_datetime, job_name, event_count,
  driver_name, failure_name, failure_hash, driver_version);

-- trend's, new's and compare's window: when the failure happened, else when
-- its report ran. The expression must stay exactly as the queries spell it.
-- Covering for new's per-bucket sums and for trend and compare over the
-- typed columns: their window is read from the index alone, not from the
-- table's rows (a JSON column still needs the row). failure_time and
-- report_datetime close it because SQLite 3.40 counts an index as covering
-- only when it holds every column the query names, those inside the indexed
-- expression too.
CREATE INDEX failures_seen ON failures (coalesce(failure_time, report_datetime), job_name,
  failure_hash, event_count, driver_name, driver_version, failure_name, failure_time,
  report_datetime);

-- new: per bucket, whether it was seen before the window, its first day and
-- its latest row, each one index seek. Its prefix serves what failures_hash
-- did (the lookup by failure_hash), so that one goes.
CREATE INDEX failures_hash_seen ON failures (failure_hash, coalesce(failure_time, report_datetime));
DROP INDEX failures_hash;
