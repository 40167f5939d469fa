#include "db/queries.h"

#include <doctest/doctest.h>

#include "support/temp_dir.h"

namespace hdc::db {
namespace {

std::unique_ptr<Database> OpenQueryDb(const hdc::testing::TempDir& dir) {
  auto db = Database::Open({dir / "state.db"});
  REQUIRE_MESSAGE(db.ok(), db.status().message());
  return std::move(db).value();
}

std::int64_t RowCount(Database& db, const std::string& sql) {
  auto stmt = db.Prepare(sql);
  REQUIRE_MESSAGE(stmt.ok(), stmt.status().message());
  auto row = stmt->Step();
  REQUIRE(row.ok());
  REQUIRE(*row);
  return stmt->ColumnInt(0);
}

struct SampleRow {
  std::string job = "kernel";
  std::string run;                          // report_datetime
  std::optional<std::string> failure_time;  // FailureDateTime
  std::string hash;
  std::string driver;
  std::string os;
  std::string market;
  std::optional<std::int64_t> events;
  std::string name = "";  // failure_name; "N-<hash>" when empty
  std::string version = "1.0";
  std::optional<std::string> model = std::nullopt;  // Model; not in the row when absent
};

// EventType, a key of the stored rows only (read with json_extract): one
// value per OSVersion, so its groups are OSVersion's.
std::string EventTypeOf(const SampleRow& r) {
  return r.os == "10.0.26100" ? "BlueScreen" : "LiveKernelEvent";
}

// A failures row as the ingest writes it (its execution added on first
// sight, ingested): the typed columns (OSVersion, Market and Model too) and
// the whole row as JSON by HDC name.
void AddSampleRow(Database& db, const SampleRow& r) {
  auto exec = db.Prepare(
      "INSERT OR IGNORE INTO executions (report_id, report_datetime, job_name, remote_status, "
      "state, first_seen, last_polled) VALUES ('R-' || ?1, ?2, ?1, 'Completed', 'ingested', ?2, "
      "?2)");
  REQUIRE(exec.ok());
  exec->Bind(1, r.job).Bind(2, r.run);
  REQUIRE(exec->Run().ok());
  const std::string name = r.name.empty() ? "N-" + r.hash : r.name;
  const std::string json = "{\"FailureHash\":\"" + r.hash + "\",\"FailureName\":\"" + name +
                           "\",\"OSVersion\":\"" + r.os + "\",\"Market\":\"" + r.market +
                           "\",\"DriverName\":\"" + r.driver + "\",\"DriverVersion\":\"" +
                           r.version + "\",\"EventType\":\"" + EventTypeOf(r) +
                           (r.model ? "\",\"Model\":\"" + *r.model : std::string()) +
                           "\",\"DeviceId\":\"DEVICE-SECRET\"}";
  auto stmt = db.Prepare(
      "INSERT INTO failures (report_id, report_datetime, job_name, failure_hash, failure_name, "
      "driver_name, driver_version, event_count, failure_time, device_id, row, clock_start, "
      "os_version, market, model) VALUES ('R-' || ?1, ?2, ?1, ?3, ?4, ?5, ?6, ?7, ?8, "
      "'DEVICE-SECRET', ?9, ?2, ?10, ?11, ?12)");
  REQUIRE(stmt.ok());
  stmt->Bind(1, r.job).Bind(2, r.run).Bind(3, r.hash).Bind(4, name).Bind(5, r.driver);
  stmt->Bind(6, r.version).Bind(7, r.events).Bind(8, r.failure_time).Bind(9, json);
  stmt->Bind(10, r.os).Bind(11, r.market).Bind(12, r.model);
  auto run = stmt->Run();
  REQUIRE_MESSAGE(run.ok(), run.status().message());
}

constexpr const char* kSampleNow = "2026-11-30T12:00:00Z";
constexpr const char* kSampleWeekAgo = "2026-11-23T12:00:00Z";

// Seven rows of two jobs; 49 events in all. By driver: a.sys 23 (3 rows),
// b.sys 23 (2), d.sys 2, c.sys 1. By OSVersion: 10.0.26100 39 (4 rows),
// 10.0.22631 10 (3).
void AddSampleRows(Database& db) {
  const std::string r28 = "2026-11-28T02:00:00Z";
  const std::string r29 = "2026-11-29T02:00:00Z";
  AddSampleRow(db, {"kernel", r28, "2026-11-27T10:00:00Z", "h1", "a.sys", "10.0.22631", "US", 5});
  AddSampleRow(db, {"kernel", r28, "2026-11-27T11:00:00Z", "h1", "a.sys", "10.0.26100", "DE", 7});
  AddSampleRow(db, {"kernel", r28, "2026-11-28T01:00:00Z", "h2", "b.sys", "10.0.26100", "US", 20});
  AddSampleRow(db, {"kernel", r29, "2026-11-28T05:00:00Z", "h2", "b.sys", "10.0.22631", "US", 3});
  AddSampleRow(db, {"kernel", r29, std::nullopt, "h3", "c.sys", "10.0.26100", "FR", 1});
  AddSampleRow(db, {"user", r29, "2026-11-29T00:30:00Z", "h1", "a.sys", "10.0.26100", "US", 11});
  AddSampleRow(db, {"kernel", r29, "2026-11-28T06:00:00Z", "h4", "d.sys", "10.0.22631", "DE", 2});
}

TopQuery TopOf(std::vector<std::string> by, std::vector<WhereTerm> where = {}) {
  TopQuery query;
  query.by = std::move(by);
  query.where = std::move(where);
  query.scope = {kSampleWeekAgo, kSampleNow, std::nullopt};
  query.limit = 0;
  return query;
}

using TopValues = std::vector<std::optional<std::string>>;

TEST_CASE("queries: top accepts the HDC names in any case and the snake_case names alike") {
  hdc::testing::TempDir dir;
  auto db = OpenQueryDb(dir);
  AddSampleRows(*db);
  for (const char* name : {"DriverName", "drivername", "DRIVERNAME", "driver_name"}) {
    INFO(name);
    auto top = TopFailures(*db, TopOf({name}));
    REQUIRE_MESSAGE(top.ok(), top.status().message());
    REQUIRE(top->size() == 4);
    CHECK((*top)[0].values == TopValues{"a.sys"});  // 23 events as b.sys, but in 3 rows
    CHECK((*top)[0].rows == 3);
    CHECK((*top)[0].events == 23);
    CHECK((*top)[1].values == TopValues{"b.sys"});
    CHECK((*top)[1].rows == 2);
    CHECK((*top)[2].values == TopValues{"d.sys"});
    CHECK((*top)[2].events == 2);
    CHECK((*top)[3].values == TopValues{"c.sys"});
  }
  TopQuery two = TopOf({"driver_name"});
  two.limit = 2;
  auto limited = TopFailures(*db, two);
  REQUIRE(limited.ok());
  REQUIRE(limited->size() == 2);
  CHECK((*limited)[1].values == TopValues{"b.sys"});
  auto names = TopColumnNames(*db, TopOf({"drivername", "DRIVER_NAME", "osversion", "JOB_NAME"}));
  REQUIRE(names.ok());
  CHECK(*names == std::vector<std::string>{"DriverName", "driver_name", "OSVersion", "job_name"});
}

TEST_CASE("queries: top groups by a typed column, a key of the stored row and several columns") {
  hdc::testing::TempDir dir;
  auto db = OpenQueryDb(dir);
  AddSampleRows(*db);
  auto by_os = TopFailures(*db, TopOf({"osversion"}));
  REQUIRE_MESSAGE(by_os.ok(), by_os.status().message());
  REQUIRE(by_os->size() == 2);
  CHECK((*by_os)[0].values == TopValues{"10.0.26100"});
  CHECK((*by_os)[0].rows == 4);
  CHECK((*by_os)[0].events == 39);
  CHECK((*by_os)[1].values == TopValues{"10.0.22631"});
  CHECK((*by_os)[1].events == 10);
  auto os_sql = TopSql(*db, TopOf({"osversion"}));
  REQUIRE(os_sql.ok());
  CHECK(os_sql->sql.starts_with("SELECT os_version, count(*)"));

  auto by_type = TopFailures(*db, TopOf({"eventtype"}));  // json_extract
  REQUIRE_MESSAGE(by_type.ok(), by_type.status().message());
  REQUIRE(by_type->size() == 2);
  CHECK((*by_type)[0].values == TopValues{"BlueScreen"});
  CHECK((*by_type)[0].rows == 4);
  CHECK((*by_type)[0].events == 39);
  CHECK((*by_type)[1].values == TopValues{"LiveKernelEvent"});
  auto type_sql = TopSql(*db, TopOf({"eventtype"}));
  REQUIRE(type_sql.ok());
  CHECK(type_sql->sql.starts_with("SELECT json_extract(row, '$.' || ?4), count(*)"));
  CHECK(type_sql->params[3] == SqlValue(std::string("EventType")));

  auto by_two = TopFailures(*db, TopOf({"DriverName", "Market"}));
  REQUIRE_MESSAGE(by_two.ok(), by_two.status().message());
  REQUIRE(by_two->size() == 5);
  CHECK((*by_two)[0].values == TopValues{"b.sys", "US"});
  CHECK((*by_two)[0].events == 23);
  CHECK((*by_two)[1].values == TopValues{"a.sys", "US"});
  CHECK((*by_two)[1].events == 16);
  CHECK((*by_two)[2].values == TopValues{"a.sys", "DE"});
  CHECK((*by_two)[3].values == TopValues{"d.sys", "DE"});
  CHECK((*by_two)[4].values == TopValues{"c.sys", "FR"});

  TopQuery kernel = TopOf({"job_name"});
  kernel.scope.job = "user";
  auto user = TopFailures(*db, kernel);
  REQUIRE(user.ok());
  REQUIRE(user->size() == 1);
  CHECK(user->front().events == 11);
}

TEST_CASE("queries: --where narrows top by bound values, a key column and a row key together") {
  hdc::testing::TempDir dir;
  auto db = OpenQueryDb(dir);
  AddSampleRows(*db);
  auto us = TopFailures(*db, TopOf({"DriverName"}, {{"market", "US"}}));
  REQUIRE_MESSAGE(us.ok(), us.status().message());
  REQUIRE(us->size() == 2);
  CHECK((*us)[0].values == TopValues{"b.sys"});
  CHECK((*us)[0].events == 23);
  CHECK((*us)[1].values == TopValues{"a.sys"});
  CHECK((*us)[1].events == 16);

  auto both =
      TopFailures(*db, TopOf({"FailureHash"}, {{"Market", "US"}, {"EventType", "BlueScreen"}}));
  REQUIRE(both.ok());
  REQUIRE(both->size() == 2);
  CHECK((*both)[0].values == TopValues{"h2"});
  CHECK((*both)[0].events == 20);
  CHECK((*both)[1].values == TopValues{"h1"});
  CHECK((*both)[1].events == 11);

  auto typed = TopFailures(*db, TopOf({"Market"}, {{"driver_name", "a.sys"}}));
  REQUIRE(typed.ok());
  REQUIRE(typed->size() == 2);
  CHECK((*typed)[0].values == TopValues{"US"});
  CHECK((*typed)[0].events == 16);
}

TEST_CASE("queries: a --where value holding a quote matches nothing and breaks nothing") {
  hdc::testing::TempDir dir;
  auto db = OpenQueryDb(dir);
  AddSampleRows(*db);
  for (const char* column : {"DriverName", "Market", "EventType"}) {
    INFO(column);
    auto top = TopFailures(*db, TopOf({"DriverName"}, {{column, "x' OR '1'='1"}}));
    REQUIRE_MESSAGE(top.ok(), top.status().message());
    CHECK(top->empty());
    auto text = TopSql(*db, TopOf({"DriverName"}, {{column, "x' OR '1'='1"}}));
    REQUIRE(text.ok());
    CHECK(text->sql.find("OR '1'") == std::string::npos);  // a parameter, not SQL
  }
  CHECK(RowCount(*db, "SELECT count(*) FROM failures") == 7);
}

TEST_CASE("queries: an unknown column is a usage error listing the valid ones") {
  hdc::testing::TempDir dir;
  auto db = OpenQueryDb(dir);
  AddSampleRows(*db);
  for (const char* column :
       {"Modle", "OS Version", "OSVersion'", "", "row", "driver_name; DROP TABLE failures", "1"}) {
    INFO(column);
    auto top = TopFailures(*db, TopOf({column}));
    REQUIRE_FALSE(top.ok());
    CHECK(top.status().kind() == util::ErrorKind::kUsage);
    CHECK(top.status().message() ==
          "unknown column '" + std::string(column) +
              "' (one of FailureHash, FailureName, DriverName, DriverVersion, EventCount, "
              "FailureDateTime, OSVersion, Market, Model, job_name, EventType)");
  }
  auto where = TopFailures(*db, TopOf({"DriverName"}, {{"Modle", "x"}}));
  REQUIRE_FALSE(where.ok());
  CHECK(where.status().message().starts_with("unknown column 'Modle' (one of FailureHash"));
  auto trend = Trend(*db, {"Nope", {kSampleWeekAgo, kSampleNow, std::nullopt}, 8, {}});
  REQUIRE_FALSE(trend.ok());
  CHECK(trend.status().kind() == util::ErrorKind::kUsage);
  CHECK(RowCount(*db, "SELECT count(*) FROM failures") == 7);
}

TEST_CASE("queries: DeviceId and HardwareId are refused as personal data, CabIdHash as a name") {
  hdc::testing::TempDir dir;
  auto db = OpenQueryDb(dir);
  AddSampleRows(*db);
  for (const char* column : {"DeviceId", "deviceid", "device_id", "HARDWAREID", "hardware_id"}) {
    INFO(column);
    const std::string canonical =
        std::string(column).find_first_of("hH") == 0 ? "HardwareId" : "DeviceId";
    auto by = TopFailures(*db, TopOf({"DriverName", column}));
    REQUIRE_FALSE(by.ok());
    CHECK(by.status().kind() == util::ErrorKind::kUsage);
    CHECK(by.status().message() == canonical + " is personal data and is not grouped");
    auto where = TopFailures(*db, TopOf({"DriverName"}, {{column, "DEVICE-SECRET"}}));
    REQUIRE_FALSE(where.ok());
    CHECK(where.status().message() == canonical + " is personal data and is not grouped");
    auto compare = Compare(*db, {column, "a", "b", {kSampleWeekAgo, kSampleNow, std::nullopt}, 0});
    REQUIRE_FALSE(compare.ok());
    CHECK(compare.status().kind() == util::ErrorKind::kUsage);
  }
  auto cab = TopFailures(*db, TopOf({"CabIdHash"}));
  REQUIRE_FALSE(cab.ok());
  CHECK(cab.status().message() == "CabIdHash names one cab and is not grouped");
}

TEST_CASE("queries: trend keeps the top K values apart and sums the rest as other") {
  hdc::testing::TempDir dir;
  auto db = OpenQueryDb(dir);
  AddSampleRows(*db);
  // Four UTC days; the day of a row is its FailureDateTime, else its run.
  auto trend =
      Trend(*db, {"DriverName", {"2026-11-27T00:00:00Z", kSampleNow, std::nullopt}, 2, {}});
  REQUIRE_MESSAGE(trend.ok(), trend.status().message());
  CHECK(trend->by == "DriverName");
  CHECK(trend->days ==
        std::vector<std::string>{"2026-11-27", "2026-11-28", "2026-11-29", "2026-11-30"});
  REQUIRE(trend->series.size() == 3);
  CHECK(trend->series[0].value == "a.sys");  // 23 as b.sys: by value
  CHECK(trend->series[0].events == std::vector<std::int64_t>{12, 0, 11, 0});
  CHECK(trend->series[1].value == "b.sys");
  CHECK(trend->series[1].events == std::vector<std::int64_t>{0, 23, 0, 0});
  CHECK(trend->series[2].other);
  CHECK(trend->series[2].events == std::vector<std::int64_t>{0, 2, 1, 0});  // d.sys, c.sys
  std::int64_t total = 0;
  for (const TrendSeries& s : trend->series) {
    for (std::int64_t e : s.events) total += e;
  }
  CHECK(total == 49);
  CHECK(total == RowCount(*db, "SELECT sum(event_count) FROM failures"));

  auto all = Trend(*db, {"osversion", {"2026-11-29T00:00:00Z", kSampleNow, std::nullopt}, 8, {}});
  REQUIRE(all.ok());
  CHECK(all->days == std::vector<std::string>{"2026-11-29", "2026-11-30"});
  REQUIRE(all->series.size() == 1);  // no other when every value fits
  CHECK(all->series[0].value == "10.0.26100");
  CHECK(all->series[0].events == std::vector<std::int64_t>{12, 0});  // c.sys's run, a.sys
}

TEST_CASE("queries: trend over only some values gives each its series, in order, no other") {
  hdc::testing::TempDir dir;
  auto db = OpenQueryDb(dir);
  AddSampleRows(*db);
  TrendQuery query{
      "FailureHash", {"2026-11-27T00:00:00Z", kSampleNow, std::nullopt}, 1, {"h4", "h-none", "h1"}};
  auto trend = Trend(*db, query);
  REQUIRE_MESSAGE(trend.ok(), trend.status().message());
  REQUIRE(trend->series.size() == 3);  // top = 1 is not used; no "other"
  CHECK(trend->series[0].value == "h4");
  CHECK(trend->series[0].events == std::vector<std::int64_t>{0, 2, 0, 0});
  CHECK(trend->series[1].value == "h-none");  // no rows: zeros
  CHECK(trend->series[1].events == std::vector<std::int64_t>{0, 0, 0, 0});
  CHECK(trend->series[2].value == "h1");
  CHECK(trend->series[2].events == std::vector<std::int64_t>{12, 0, 11, 0});
  CHECK_FALSE(trend->series[2].other);
  // Every value is a bound parameter.
  auto text = TrendSql(*db, query);
  REQUIRE(text.ok());
  CHECK(text->sql.find("h-none") == std::string::npos);
  CHECK(text->params.size() == 6);  // the scope's three, then the three values
}

TEST_CASE("queries: new leaves out a bucket first seen before the window, even with rows inside") {
  hdc::testing::TempDir dir;
  auto db = OpenQueryDb(dir);
  AddSampleRow(
      *db, {"kernel", "2026-11-10T02:00:00Z", "2026-11-10T01:00:00Z", "old", "o.sys", "", "", 1});
  AddSampleRow(
      *db, {"kernel", "2026-11-28T02:00:00Z", "2026-11-28T01:00:00Z", "old", "o.sys", "", "", 50});
  AddSampleRow(*db, {"kernel", "2026-11-25T02:00:00Z", "2026-11-25T01:00:00Z", "fresh1", "x.sys",
                     "", "", 4, "F1-first", "1.0"});
  AddSampleRow(*db, {"kernel", "2026-11-29T02:00:00Z", "2026-11-29T01:00:00Z", "fresh1", "x.sys",
                     "", "", 6, "F1", "2.0"});
  AddSampleRow(*db, {"user", "2026-11-27T02:00:00Z", std::nullopt, "fresh2", "y.sys", "", "", 30});
  auto buckets = NewFailures(*db, {{kSampleWeekAgo, kSampleNow, std::nullopt}, 0});
  REQUIRE_MESSAGE(buckets.ok(), buckets.status().message());
  REQUIRE(buckets->size() == 2);
  CHECK((*buckets)[0].failure_hash == "fresh2");
  CHECK((*buckets)[0].events == 30);
  CHECK((*buckets)[0].first_day == "2026-11-27");
  CHECK((*buckets)[1].failure_hash == "fresh1");
  CHECK((*buckets)[1].events == 10);
  CHECK((*buckets)[1].first_day == "2026-11-25");
  CHECK((*buckets)[1].failure_name == "F1");  // the latest row's
  CHECK((*buckets)[1].driver_version == "2.0");

  auto kernel = NewFailures(*db, {{kSampleWeekAgo, kSampleNow, "kernel"}, 0});
  REQUIRE(kernel.ok());
  REQUIRE(kernel->size() == 1);
  CHECK(kernel->front().failure_hash == "fresh1");

  // A window starting before the old bucket's first row takes it in.
  auto month = NewFailures(*db, {{"2026-11-01T00:00:00Z", kSampleNow, std::nullopt}, 0});
  REQUIRE(month.ok());
  REQUIRE(month->size() == 3);
  CHECK(month->front().failure_hash == "old");
  CHECK(month->front().events == 51);
  CHECK(month->front().first_day == "2026-11-10");
}

TEST_CASE("queries: compare puts each bucket's A and B side by side, largest change first") {
  hdc::testing::TempDir dir;
  auto db = OpenQueryDb(dir);
  AddSampleRows(*db);
  auto rows = Compare(
      *db,
      {"OSVersion", "10.0.22631", "10.0.26100", {kSampleWeekAgo, kSampleNow, std::nullopt}, 0});
  REQUIRE_MESSAGE(rows.ok(), rows.status().message());
  REQUIRE(rows->size() == 4);
  CHECK((*rows)[0].failure_hash == "h2");
  CHECK((*rows)[0].failure_name == "N-h2");
  CHECK((*rows)[0].events_a == 3);
  CHECK((*rows)[0].events_b == 20);
  CHECK((*rows)[0].change() == 17);
  CHECK((*rows)[1].failure_hash == "h1");
  CHECK((*rows)[1].events_a == 5);
  CHECK((*rows)[1].events_b == 18);
  CHECK((*rows)[2].failure_hash == "h4");  // -2 before +1
  CHECK((*rows)[2].change() == -2);
  CHECK((*rows)[3].failure_hash == "h3");
  CHECK((*rows)[3].change() == 1);

  auto typed =
      Compare(*db, {"driver_name", "a.sys", "b.sys", {kSampleWeekAgo, kSampleNow, "kernel"}, 1});
  REQUIRE(typed.ok());
  REQUIRE(typed->size() == 1);
  CHECK(typed->front().failure_hash == "h2");
  CHECK(typed->front().events_b == 23);
}

// Every row of a query's statement, its `columns` columns as text joined
// with '|' ("NULL" for null).
std::vector<std::string> RunSql(Database& db, const SqlText& text, int columns) {
  auto stmt = db.Prepare(text.sql);
  REQUIRE_MESSAGE(stmt.ok(), stmt.status().message());
  for (std::size_t i = 0; i < text.params.size(); ++i) {
    const int index = static_cast<int>(i + 1);
    if (const auto* n = std::get_if<std::int64_t>(&text.params[i])) {
      stmt->Bind(index, *n);
    } else if (const auto* t = std::get_if<std::string>(&text.params[i])) {
      stmt->Bind(index, *t);
    } else {
      stmt->BindNull(index);
    }
  }
  std::vector<std::string> out;
  while (true) {
    auto row = stmt->Step();
    REQUIRE_MESSAGE(row.ok(), row.status().message());
    if (!*row) return out;
    std::string line;
    for (int c = 0; c < columns; ++c) {
      line += (c ? "|" : "") + (stmt->ColumnIsNull(c) ? "NULL" : stmt->ColumnText(c));
    }
    out.push_back(line);
  }
}

// The statement as it read `column` from the row's JSON before schema
// version 3: each mention of the typed column as json_extract of the key.
SqlText AsJsonRoute(SqlText text, const std::string& column, const std::string& key) {
  const std::string json = "json_extract(row, '$." + key + "')";
  for (auto at = text.sql.find(column); at != std::string::npos;
       at = text.sql.find(column, at + json.size())) {
    text.sql.replace(at, column.size(), json);
  }
  return text;
}

TEST_CASE("queries: OSVersion, Market and Model read typed give what the row's JSON gave") {
  hdc::testing::TempDir dir;
  auto db = OpenQueryDb(dir);
  AddSampleRows(*db);
  // Rows with a Model, one without any, one with an empty OSVersion.
  SampleRow m1{
      "kernel", "2026-11-29T02:00:00Z", "2026-11-28T09:00:00Z", "h1", "a.sys", "10.0.26100", "JP",
      4};
  m1.model = "XPS 13";
  SampleRow m2 = m1;
  m2.failure_time = std::nullopt;
  m2.model = "ThinkPad";
  m2.events = 9;
  SampleRow m3 = m1;
  m3.os = "";
  m3.events = std::nullopt;
  for (const SampleRow& r : {m1, m2, m3}) AddSampleRow(*db, r);
  const QueryScope scope{kSampleWeekAgo, kSampleNow, std::nullopt};
  const QueryScope kernel{kSampleWeekAgo, kSampleNow, "kernel"};
  struct Typed {
    const char* hdc;
    const char* sql;
    const char* a;
    const char* b;
  };
  for (const Typed& t :
       {Typed{"OSVersion", "os_version", "10.0.22631", "10.0.26100"},
        Typed{"Market", "market", "US", "JP"}, Typed{"Model", "model", "XPS 13", "ThinkPad"}}) {
    INFO(t.hdc);
    const std::string column = t.sql;
    auto top = TopSql(*db, TopOf({t.hdc, "DriverName"}, {{t.hdc, t.a}}));
    auto top_all = TopSql(*db, TopOf({t.hdc}));
    auto trend = TrendSql(*db, {t.hdc, scope, 8, {}});
    auto compare = CompareSql(*db, {t.hdc, t.a, t.b, scope, 0});
    auto compare_kernel = CompareSql(*db, {t.hdc, t.b, t.a, kernel, 0});
    for (auto* text : {&top, &top_all, &trend, &compare, &compare_kernel}) {
      REQUIRE_MESSAGE(text->ok(), text->status().message());
      CHECK((*text)->sql.find("json_extract") == std::string::npos);
      CHECK((*text)->sql.find(column) != std::string::npos);
    }
    const auto typed_top = RunSql(*db, *top_all, 3);
    CHECK(typed_top.size() >= 2);
    CHECK(typed_top == RunSql(*db, AsJsonRoute(*top_all, column, t.hdc), 3));
    CHECK_FALSE(RunSql(*db, *top, 4).empty());
    CHECK(RunSql(*db, *top, 4) == RunSql(*db, AsJsonRoute(*top, column, t.hdc), 4));
    CHECK(RunSql(*db, *trend, 3) == RunSql(*db, AsJsonRoute(*trend, column, t.hdc), 3));
    CHECK_FALSE(RunSql(*db, *compare, 4).empty());
    CHECK(RunSql(*db, *compare, 4) == RunSql(*db, AsJsonRoute(*compare, column, t.hdc), 4));
    CHECK(RunSql(*db, *compare_kernel, 4) ==
          RunSql(*db, AsJsonRoute(*compare_kernel, column, t.hdc), 4));
  }
  // And through the API: Model's groups, the row without one as absent.
  auto by_model = TopFailures(*db, TopOf({"model"}));
  REQUIRE(by_model.ok());
  REQUIRE(by_model->size() == 3);
  CHECK((*by_model)[0].values == TopValues{std::nullopt});  // the 7 sample rows
  CHECK((*by_model)[1].values == TopValues{"ThinkPad"});
  CHECK((*by_model)[1].events == 9);
  CHECK((*by_model)[2].values == TopValues{"XPS 13"});
  auto names = TopColumnNames(*db, TopOf({"MODEL", "market", "os_version"}));
  REQUIRE(names.ok());
  CHECK(*names == std::vector<std::string>{"Model", "Market", "os_version"});
}

TEST_CASE("queries: the shell script binds text as text and doubles quotes") {
  SqlText text;
  const std::string first = text.Param(std::string("it's \"1.0\""));
  const std::string second = text.Param(std::int64_t{7});
  const std::string third = text.Param(SqlValue());
  text.sql = "SELECT " + first + ", " + second + ", " + third;
  CHECK(ShellScript(text) ==
        ".parameter set ?1 \"'it''s \\\"1.0\\\"'\"\n"
        ".parameter set ?2 7\n"
        ".parameter set ?3 NULL\n"
        "SELECT ?1, ?2, ?3;\n");
}

TEST_CASE("queries: every query of an empty database is empty") {
  auto db = Database::Open({":memory:"});
  REQUIRE(db.ok());
  const QueryScope scope{kSampleWeekAgo, kSampleNow, std::nullopt};
  auto top = TopFailures(**db, TopOf({"DriverName"}));
  REQUIRE(top.ok());
  CHECK(top->empty());
  auto trend = Trend(**db, {"driver_name", scope, 8, {}});
  REQUIRE(trend.ok());
  CHECK(trend->series.empty());
  CHECK(trend->days.size() == 8);
  auto fresh = NewFailures(**db, {scope, 0});
  REQUIRE(fresh.ok());
  CHECK(fresh->empty());
  auto compare = Compare(**db, {"FailureName", "a", "b", scope, 0});
  REQUIRE(compare.ok());
  CHECK(compare->empty());
  auto typed = TopFailures(**db, TopOf({"OSVersion"}));  // a typed column: always known
  REQUIRE(typed.ok());
  CHECK(typed->empty());
  auto unknown = TopFailures(**db, TopOf({"EventType"}));  // no stored row names it
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.status().message() ==
        "unknown column 'EventType' (one of FailureHash, FailureName, DriverName, DriverVersion, "
        "EventCount, FailureDateTime, OSVersion, Market, Model, job_name)");
}

}  // namespace
}  // namespace hdc::db
