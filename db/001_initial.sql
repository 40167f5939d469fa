-- hdc-reportd state, schema version 1.
-- Times are UTC ISO-8601 text ("2026-12-01T02:00:00Z"); ids from the server
-- are kept as text (the API sends them as numbers or strings).
-- Personal data (docs/hdc-api.md §Personal data): report files, cab files, and the
-- DeviceId/HardwareId values in failures. Each personal datum carries
-- clock_start, the time its retention window starts.

-- The jobs of the configuration as last reconciled.
CREATE TABLE jobs (
  name                 TEXT PRIMARY KEY,
  template_fingerprint TEXT NOT NULL,   -- SHA-256 of the canonical template JSON
  schedule_fingerprint TEXT NOT NULL,   -- SHA-256 of the canonical schedule JSON
  enabled              INTEGER NOT NULL,
  first_seen           TEXT NOT NULL,
  last_seen            TEXT NOT NULL
) STRICT;

-- Remote templates we created or adopted.
CREATE TABLE remote_templates (
  template_id  TEXT PRIMARY KEY,
  job_name     TEXT NOT NULL UNIQUE,
  fingerprint  TEXT NOT NULL,          -- of the template as it is remotely now
  adopted      INTEGER NOT NULL,       -- 1: found by listing, 0: created by us
  created_at   TEXT NOT NULL,
  updated_at   TEXT NOT NULL
) STRICT;

-- Remote schedules ("reports") we created or adopted.
CREATE TABLE remote_schedules (
  report_id    TEXT PRIMARY KEY,
  job_name     TEXT NOT NULL UNIQUE,
  template_id  TEXT NOT NULL,
  fingerprint  TEXT NOT NULL,
  is_active    INTEGER NOT NULL,
  adopted      INTEGER NOT NULL,
  created_at   TEXT NOT NULL,
  updated_at   TEXT NOT NULL
) STRICT;

-- Intents: written and committed before a remote call that changes state, so
-- a crash between the call and the local commit is recognised on restart
-- (the object is then found by listing and adopted, never created twice).
CREATE TABLE intents (
  id           INTEGER PRIMARY KEY,
  job_name     TEXT NOT NULL,
  action       TEXT NOT NULL CHECK (action IN ('create-template', 'create-schedule',
                 'edit-template', 'edit-schedule', 'pause', 'resume')),
  fingerprint  TEXT NOT NULL,          -- what the remote object will look like
  body         TEXT NOT NULL,          -- the canonical JSON sent
  state        TEXT NOT NULL CHECK (state IN ('pending', 'done', 'abandoned')),
  remote_id    TEXT,
  created_at   TEXT NOT NULL,
  finished_at  TEXT
) STRICT;
CREATE INDEX intents_pending ON intents (state) WHERE state = 'pending';

-- One row per execution of a schedule (reportId, ReportDatetime).
CREATE TABLE executions (
  report_id        TEXT NOT NULL,
  report_datetime  TEXT NOT NULL,
  job_name         TEXT NOT NULL,
  remote_status    TEXT NOT NULL,       -- Pending, In Progress, Completed, Failed, ...
  -- new: seen; fetching: report download under way; fetched: file stored;
  -- ingested: rows in failures; failed: gave up (reason); purged: personal data removed.
  state            TEXT NOT NULL DEFAULT 'new'
                   CHECK (state IN ('new', 'fetching', 'fetched', 'ingested', 'failed', 'purged')),
  attempts         INTEGER NOT NULL DEFAULT 0,
  last_error       TEXT,
  file_path        TEXT,                -- relative to the store
  file_size        INTEGER,
  file_sha256      TEXT,
  row_count        INTEGER,             -- kept after a purge (not personal)
  partial_etag     TEXT,                -- strong ETag of the partial in store/tmp (resume)
  first_seen       TEXT NOT NULL,
  last_polled      TEXT NOT NULL,
  downloaded_at    TEXT,
  clock_start      TEXT,                -- retention clock of the report file
  purged_at        TEXT,
  sweep_id         INTEGER,             -- sweeps.id removing this file now (crash-safe purge)
  PRIMARY KEY (report_id, report_datetime)
) STRICT;
CREATE INDEX executions_state ON executions (state);
CREATE INDEX executions_sweep ON executions (sweep_id) WHERE sweep_id IS NOT NULL;

-- Rows of ingested reports. Key columns are typed and indexed; the whole row
-- is kept as JSON in `row`. device_id/hardware_id make a row personal.
CREATE TABLE failures (
  id               INTEGER PRIMARY KEY,
  report_id        TEXT NOT NULL,
  report_datetime  TEXT NOT NULL,
  job_name         TEXT NOT NULL,
  failure_hash     TEXT,
  failure_name     TEXT,
  driver_name      TEXT,
  driver_version   TEXT,
  cab_id_hash      TEXT,
  event_count      INTEGER,
  failure_time     TEXT,
  device_id        TEXT,
  hardware_id      TEXT,
  row              TEXT NOT NULL,       -- JSON object of every column
  clock_start      TEXT NOT NULL,
  FOREIGN KEY (report_id, report_datetime) REFERENCES executions (report_id, report_datetime)
) STRICT;
CREATE INDEX failures_execution ON failures (report_id, report_datetime);
CREATE INDEX failures_hash ON failures (failure_hash);
CREATE INDEX failures_cab ON failures (cab_id_hash);
CREATE INDEX failures_clock ON failures (clock_start);

-- One row per distinct CabIdHash. Survives a purge as "purged, do not refetch".
CREATE TABLE cabs (
  cab_id_hash      TEXT PRIMARY KEY,
  job_name         TEXT NOT NULL,
  application_id   TEXT,                -- driver view: needed by the cab download
  cab_type         TEXT,
  expires_at       TEXT,                -- CabExpirationTime
  collected_at     TEXT,                -- CabCollectionTime
  -- pending, fetching, fetched, skipped (type/expired/retention), failed, purged
  state            TEXT NOT NULL DEFAULT 'pending'
                   CHECK (state IN ('pending', 'fetching', 'fetched', 'skipped', 'failed', 'purged')),
  attempts         INTEGER NOT NULL DEFAULT 0,
  next_attempt_at  TEXT,                -- after a failed attempt: not before this time
  last_error       TEXT,
  partial_etag     TEXT,                -- strong ETag of the partial in store/tmp (resume)
  file_path        TEXT,
  file_size        INTEGER,
  file_sha256      TEXT,
  container        TEXT,                -- MSCF or PK
  first_seen       TEXT NOT NULL,
  downloaded_at    TEXT,
  clock_start      TEXT,
  purged_at        TEXT,
  sweep_id         INTEGER              -- sweeps.id removing this file now (crash-safe purge)
) STRICT;
CREATE INDEX cabs_state ON cabs (state);
CREATE INDEX cabs_sweep ON cabs (sweep_id) WHERE sweep_id IS NOT NULL;

-- One audit row per retention sweep: counts and bytes only, never the data.
-- finished_at NULL: the sweep was interrupted; the rows and cabs whose
-- sweep_id names it are finished by the next sweep before anything else.
CREATE TABLE sweeps (
  id                 INTEGER PRIMARY KEY,
  started_at         TEXT NOT NULL,
  finished_at        TEXT,
  cutoff             TEXT NOT NULL,     -- data whose clock started before this went
  cabs_deleted       INTEGER NOT NULL DEFAULT 0,
  cab_bytes          INTEGER NOT NULL DEFAULT 0,
  reports_deleted    INTEGER NOT NULL DEFAULT 0,
  report_bytes       INTEGER NOT NULL DEFAULT 0,
  rows_deleted       INTEGER NOT NULL DEFAULT 0,
  partials_deleted   INTEGER NOT NULL DEFAULT 0
) STRICT;
