-- hdc-reportd state, schema version 3: typed columns for the HDC columns
-- hdc-reportctl's top, trend and compare group by most that were read from
-- the row's JSON: OSVersion (os_version), Market (market) and Model (model,
-- the OEM view's; the IHV view's OEMModel stays in the JSON). The ingest
-- fills them from the report's columns (NULL where a report has none); rows
-- stored before are filled here from their JSON. Every other column is
-- still read from `row` with json_extract.
-- Measured on 1,000,000 rows over 60 days (bench/bench_queries.sh; the
-- sqlite3 shell's times, on a loaded machine): a week grouped by one of
-- them took 490 to 810 ms through json_extract and takes 60 to 150 ms from
-- the covering indexes below; the queries over the older typed columns are
-- as fast as with 002's indexes. The cost is about 47 MB per million rows
-- (1,037 MB -> 1,085 MB vacuumed, 4.6%): 24 MB in each widened index; the
-- columns' 23 MB fit in the table pages' free space here. Separate covering
-- indexes for the three columns instead cost 195 MB, were no faster, and
-- left a mix with the older columns (--by DriverName,OSVersion) uncovered
-- (2.5x slower). The migration takes 30 to 35 s per million rows.

ALTER TABLE failures ADD COLUMN os_version TEXT;
ALTER TABLE failures ADD COLUMN market TEXT;
ALTER TABLE failures ADD COLUMN model TEXT;

-- The two window indexes are rebuilt wider below; dropped first, so the
-- backfill does not update them row by row.
DROP INDEX failures_report_time;
DROP INDEX failures_seen;

-- The keys as HDC spells them (the ingest writes the header's names).
UPDATE failures SET os_version = json_extract(row, '$.OSVersion'),
  market = json_extract(row, '$.Market'), model = json_extract(row, '$.Model');

-- As in 002 with the three columns added, so top (report_datetime), trend
-- and compare (when the failure happened) over them read the index alone.
CREATE INDEX failures_report_time ON failures (report_datetime, job_name, event_count,
  driver_name, failure_name, failure_hash, driver_version, os_version, market, model);
CREATE INDEX failures_seen ON failures (coalesce(failure_time, report_datetime), job_name,
  failure_hash, event_count, driver_name, driver_version, failure_name, failure_time,
  report_datetime, os_version, market, model);
