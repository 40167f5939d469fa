// Read-only questions over failures for hdc-reportctl's query commands:
// top (grouped by one or more columns, filtered), trend (events per day per
// value), new (failure buckets first seen lately) and compare (events per
// bucket where a column has one value against another). Plain structs out,
// nothing written.
//
// Columns are named as a job's `columns =` names them (DriverName,
// OSVersion, Market ..., ASCII case-insensitive) or as the typed columns of
// failures (driver_name, os_version ...). A typed key column is read from
// its SQL column: FailureHash, FailureName, DriverName, DriverVersion,
// EventCount, FailureDateTime, OSVersion, Market, Model (the last three
// since schema version 3, db/003_typed_columns.sql) and job_name. Any other
// name (EventType, Architecture, OEMModel, ...) is read from the whole-row
// JSON as json_extract(row, '$.' || ?N) with the name bound, and only a
// name of the form [A-Za-z][A-Za-z0-9_]* (64 characters at most) that a
// stored row has as a key is accepted. The only SQL text taken from a
// column name is an entry of our own fixed table; every value (--where,
// compare's A and B, the window, the job) is a bound parameter. DeviceId and HardwareId (personal)
// and CabIdHash (one cab's name) are refused, so no query reads them.
//
// The time of a row: top keeps report_datetime (when the report ran); trend,
// new and compare use failure_time when present, else report_datetime
// (when the failure happened, which the daily series is about). The state
// database indexes both (db/002_query_indexes.sql, db/003_typed_columns.sql).
//
// Errors: kUsage naming the accepted columns for an unknown one, one line
// for a refused one; else those of Database (kTemporary for I/O and locks).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "db/database.h"
#include "util/result.h"

namespace hdc::db {

// A statement's text and its parameters (?1 ... in order): what a query
// runs, and what hdc-reportctl --explain-sql prints for the sqlite3 shell.
using SqlValue = std::variant<std::monostate, std::int64_t, std::string>;  // monostate: NULL
struct SqlText {
  std::string sql;
  std::vector<SqlValue> params;
  // Adds a parameter; returns its placeholder ("?3").
  std::string Param(SqlValue value);
};

// The text as a sqlite3 shell script: one `.parameter set` line per
// parameter (text always as text), then the statement.
std::string ShellScript(const SqlText& text);

// The keys of the stored rows' JSON, from one row of each of the latest
// executions of every job (a report has one header, so one row shows all of
// its keys): cheap on any size of table. Sorted, each spelling once.
util::Result<std::vector<std::string>> StoredRowKeys(Database& db);

// A column as a query reads it.
struct QueryColumn {
  std::string name;      // canonical: "DriverName", "OSVersion", "job_name"
  std::string_view sql;  // a failures column of our table; "" for a row key
};

// `name` resolved against the key columns and `row_keys` (StoredRowKeys).
util::Result<QueryColumn> ResolveColumn(std::string_view name,
                                        const std::vector<std::string>& row_keys);

// The window of rows a query reads, and an optional job.
struct QueryScope {
  std::string since;  // inclusive, UTC "2026-11-01T00:00:00Z"
  std::string until;  // inclusive
  std::optional<std::string> job;
};

struct WhereTerm {
  std::string column;
  std::string value;  // matched exactly
};

struct TopQuery {
  std::vector<std::string> by{"driver_name"};
  std::vector<WhereTerm> where;
  QueryScope scope;
  std::int64_t limit = 10;  // 0: no limit
};

struct TopRow {
  std::vector<std::optional<std::string>> values;  // one per `by`; nullopt: absent
  std::int64_t rows = 0;
  std::int64_t events = 0;  // sum(event_count), 0 where absent
};

// Most events first, then most rows, then by the values.
util::Result<SqlText> TopSql(Database& db, const TopQuery& query);
util::Result<std::vector<TopRow>> TopFailures(Database& db, const TopQuery& query);
// The canonical names of query.by (after TopSql's checks).
util::Result<std::vector<std::string>> TopColumnNames(Database& db, const TopQuery& query);

struct TrendQuery {
  std::string by = "driver_name";
  QueryScope scope;
  std::int64_t top = 8;  // values kept apart; the rest are summed as "other"
  // When not empty: only rows whose value is one of these, each its own
  // series in this order (zeros where it has no rows), no "other"; `top` is
  // not used. The dashboard's sparklines of the top buckets.
  std::vector<std::string> only;
};

struct TrendSeries {
  std::optional<std::string> value;  // nullopt: absent
  bool other = false;                // the sum of every value not in the top
  std::vector<std::int64_t> events;  // one per day of TrendResult::days
};

struct TrendResult {
  std::string by;                   // canonical name
  std::vector<std::string> days;    // "2026-11-01", each UTC day of the scope in order
  std::vector<TrendSeries> series;  // by total events descending, then value; "other" last
};

// One row per (day, value): day, value, events.
util::Result<SqlText> TrendSql(Database& db, const TrendQuery& query);
util::Result<TrendResult> Trend(Database& db, const TrendQuery& query);

struct NewQuery {
  QueryScope scope;
  std::int64_t limit = 0;  // 0: no limit
};

struct NewBucket {
  std::string failure_hash;
  std::optional<std::string> failure_name;  // of the bucket's latest row
  std::optional<std::string> driver_name;
  std::optional<std::string> driver_version;
  std::int64_t events = 0;  // in the scope
  std::string first_day;    // "2026-11-28": over every row of the table
};

// Buckets with rows in the scope and none in the whole table before
// scope.since; most events first, then by hash.
util::Result<SqlText> NewSql(const NewQuery& query);
util::Result<std::vector<NewBucket>> NewFailures(Database& db, const NewQuery& query);

struct CompareQuery {
  std::string by;
  std::string a;
  std::string b;
  QueryScope scope;
  std::int64_t limit = 0;  // 0: no limit
};

struct CompareRow {
  std::string failure_hash;
  std::optional<std::string> failure_name;
  std::int64_t events_a = 0;
  std::int64_t events_b = 0;
  std::int64_t change() const { return events_b - events_a; }
};

// Per bucket with rows where the column is A or B; by |B - A| descending,
// then hash, then name.
util::Result<SqlText> CompareSql(Database& db, const CompareQuery& query);
util::Result<std::vector<CompareRow>> Compare(Database& db, const CompareQuery& query);

}  // namespace hdc::db
