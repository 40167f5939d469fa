-- hdc-reportd state, schema version 2: indexes for hdc-reportctl's queries
-- (top, trend, new, compare; daemon/db/queries.h). Measured with
-- bench/bench_queries.sh on 1,000,000 rows over 60 days; each one pays.

-- top's window: rows whose report ran from ... to.
CREATE INDEX failures_report_time ON failures (report_datetime);

-- trend's, new's and compare's window: when the failure happened, else when
-- its report ran. The expression must stay exactly as the queries spell it.
-- Covering for new's per-bucket sums (job, bucket, events): its window is
-- read from the index alone, not from the table's rows.
CREATE INDEX failures_seen ON failures (coalesce(failure_time, report_datetime), job_name,
  failure_hash, event_count);

-- new: per bucket, whether it was seen before the window, its first day and
-- its latest row, each one index seek. Its prefix serves what failures_hash
-- did (the lookup by failure_hash), so that one goes.
CREATE INDEX failures_hash_seen ON failures (failure_hash, coalesce(failure_time, report_datetime));
DROP INDEX failures_hash;
