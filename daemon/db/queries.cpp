#include "db/queries.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <map>

#include "util/strings.h"
#include "util/time_format.h"

namespace hdc::db {
namespace {

using util::Result;
using util::Status;

// When a failure happened: failure_time when the row has one, else when its
// report ran. Spelled exactly as in the indexes of db/002_query_indexes.sql
// and db/003_typed_columns.sql (SQLite uses an index on an expression only for the same
// expression).
constexpr std::string_view kSeen = "coalesce(failure_time, report_datetime)";

// The typed key columns of failures: the HDC name, the SQL column (also
// accepted as a name). The only column text ever spliced into SQL.
// OSVersion, Market and Model are typed since schema version 3
// (db/003_typed_columns.sql); every other report column is a row key.
struct KeyColumn {
  std::string_view hdc;
  std::string_view sql;
};
constexpr std::array<KeyColumn, 10> kKeyColumns{{{"FailureHash", "failure_hash"},
                                                 {"FailureName", "failure_name"},
                                                 {"DriverName", "driver_name"},
                                                 {"DriverVersion", "driver_version"},
                                                 {"EventCount", "event_count"},
                                                 {"FailureDateTime", "failure_time"},
                                                 {"OSVersion", "os_version"},
                                                 {"Market", "market"},
                                                 {"Model", "model"},
                                                 {"job_name", "job_name"}}};

// Never grouped, filtered or shown: personal data, and one cab's name.
struct RefusedColumn {
  std::string_view hdc;
  std::string_view sql;
  std::string_view why;
};
constexpr std::array<RefusedColumn, 3> kRefusedColumns{
    {{"DeviceId", "device_id", "is personal data and is not grouped"},
     {"HardwareId", "hardware_id", "is personal data and is not grouped"},
     {"CabIdHash", "cab_id_hash", "names one cab and is not grouped"}}};

constexpr std::size_t kMaxNameChars = 64;

bool IsIdentifier(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameChars) return false;
  auto alpha = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); };
  if (!alpha(name[0])) return false;
  return std::all_of(name.begin(), name.end(),
                     [&](char c) { return alpha(c) || (c >= '0' && c <= '9') || c == '_'; });
}

bool IsFixedName(std::string_view key) {
  auto same = [&](std::string_view n) { return util::EqualsIgnoreCase(n, key); };
  return std::any_of(kKeyColumns.begin(), kKeyColumns.end(),
                     [&](const KeyColumn& k) { return same(k.hdc) || same(k.sql); }) ||
         std::any_of(kRefusedColumns.begin(), kRefusedColumns.end(),
                     [&](const RefusedColumn& r) { return same(r.hdc) || same(r.sql); });
}

std::string ValidNames(const std::vector<std::string>& row_keys) {
  std::string out;
  auto add = [&](std::string_view n) { out += (out.empty() ? "" : ", ") + std::string(n); };
  for (const KeyColumn& k : kKeyColumns) add(k.hdc);
  for (const std::string& key : row_keys) {
    if (!IsFixedName(key) && IsIdentifier(key)) add(key);
  }
  return out;
}

Result<Statement> PrepareBound(Database& db, const SqlText& text) {
  HDC_ASSIGN_OR_RETURN(auto stmt, db.Prepare(text.sql));
  for (std::size_t i = 0; i < text.params.size(); ++i) {
    const int index = static_cast<int>(i + 1);
    const SqlValue& v = text.params[i];
    if (const auto* n = std::get_if<std::int64_t>(&v)) {
      stmt.Bind(index, *n);
    } else if (const auto* s = std::get_if<std::string>(&v)) {
      stmt.Bind(index, *s);
    } else {
      stmt.BindNull(index);
    }
  }
  return stmt;
}

// SQLite reads a negative LIMIT as "no limit".
std::int64_t NoLimitAsMinusOne(std::int64_t limit) { return limit > 0 ? limit : -1; }

SqlValue OptionalText(const std::optional<std::string>& text) {
  return text ? SqlValue(*text) : SqlValue();
}

// The column as SQL: our table's column, or the row key bound as a parameter.
std::string Expression(const QueryColumn& column, SqlText& text) {
  if (!column.sql.empty()) return std::string(column.sql);
  return "json_extract(row, '$.' || " + text.Param(column.name) + ")";
}

// "?1 ... AND ?3": the scope as the first three parameters, over `time`.
std::string ScopeCondition(const QueryScope& scope, std::string_view time, SqlText& text) {
  const std::string since = text.Param(scope.since);
  const std::string until = text.Param(scope.until);
  const std::string job = text.Param(OptionalText(scope.job));
  return std::string(time) + " >= " + since + " AND " + std::string(time) + " <= " + until +
         " AND (" + job + " IS NULL OR job_name = " + job + ")";
}

// Resolves names, reading the stored rows' keys once, only when a name is
// not one of ours (also to list them when it is no name at all).
class Resolver {
 public:
  explicit Resolver(Database& db) : db_(db) {}
  Result<QueryColumn> operator()(std::string_view name) {
    if (IsFixedName(name)) return ResolveColumn(name, {});
    if (!keys_) {
      HDC_ASSIGN_OR_RETURN(auto keys, StoredRowKeys(db_));
      keys_ = std::move(keys);
    }
    return ResolveColumn(name, *keys_);
  }

 private:
  Database& db_;
  std::optional<std::vector<std::string>> keys_;
};

std::string Day(util::TimePoint t) { return util::FormatTimestamp(t).substr(0, 10); }

// Every UTC day from the scope's first to its last, in order.
Result<std::vector<std::string>> DaysOf(const QueryScope& scope) {
  HDC_ASSIGN_OR_RETURN(auto since, util::ParseTimestamp(scope.since));
  HDC_ASSIGN_OR_RETURN(auto until, util::ParseTimestamp(scope.until));
  std::vector<std::string> days;
  const std::string last = Day(until);
  for (auto t = since; days.size() < 36600; t += std::chrono::days(1)) {
    days.push_back(Day(t));
    if (days.back() >= last) break;
  }
  return days;
}

}  // namespace

std::string SqlText::Param(SqlValue value) {
  params.push_back(std::move(value));
  return "?" + std::to_string(params.size());
}

std::string ShellScript(const SqlText& text) {
  std::string out;
  for (std::size_t i = 0; i < text.params.size(); ++i) {
    out += ".parameter set ?" + std::to_string(i + 1) + " ";
    const SqlValue& v = text.params[i];
    if (const auto* n = std::get_if<std::int64_t>(&v)) {
      out += std::to_string(*n);
    } else if (const auto* s = std::get_if<std::string>(&v)) {
      // The shell strips the double quotes (backslash escapes inside); the
      // single-quoted SQL literal left keeps "1.0" text, not a number.
      std::string literal = "'";
      for (char c : *s) literal += c == '\'' ? std::string("''") : std::string(1, c);
      literal += "'";
      out += '"';
      for (char c : literal) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
      }
      out += '"';
    } else {
      out += "NULL";
    }
    out += "\n";
  }
  return out + text.sql + ";\n";
}

Result<std::vector<std::string>> StoredRowKeys(Database& db) {
  // The latest 8 ingested executions of each job (a small table: one row
  // per report run), one failures row each through failures_execution.
  HDC_ASSIGN_OR_RETURN(
      auto stmt,
      db.Prepare("SELECT DISTINCT j.key FROM (SELECT report_id, report_datetime FROM "
                 "(SELECT report_id, report_datetime, row_number() OVER (PARTITION BY job_name "
                 "ORDER BY report_datetime DESC) AS n FROM executions WHERE state = 'ingested') "
                 "WHERE n <= 8) AS e JOIN failures AS f ON f.id = (SELECT g.id FROM failures AS g "
                 "WHERE g.report_id = e.report_id AND g.report_datetime = e.report_datetime "
                 "LIMIT 1), json_each(f.row) AS j ORDER BY 1"));
  std::vector<std::string> keys;
  HDC_RETURN_IF_ERROR(ForEachRow(stmt, [&](const Statement& s) {
    const std::string key = s.ColumnText(0);
    const bool seen = std::any_of(keys.begin(), keys.end(), [&](const std::string& k) {
      return util::EqualsIgnoreCase(k, key);
    });
    if (!seen) keys.push_back(key);
  }));
  return keys;
}

Result<QueryColumn> ResolveColumn(std::string_view name, const std::vector<std::string>& row_keys) {
  for (const RefusedColumn& r : kRefusedColumns) {
    if (util::EqualsIgnoreCase(name, r.hdc) || util::EqualsIgnoreCase(name, r.sql)) {
      return util::UsageError(std::string(r.hdc) + " " + std::string(r.why));
    }
  }
  // The HDC name first: "market" is Market, as the stored rows spell it.
  for (const KeyColumn& k : kKeyColumns) {
    if (util::EqualsIgnoreCase(name, k.hdc)) return QueryColumn{std::string(k.hdc), k.sql};
    if (util::EqualsIgnoreCase(name, k.sql)) return QueryColumn{std::string(k.sql), k.sql};
  }
  if (IsIdentifier(name)) {
    for (const std::string& key : row_keys) {
      if (util::EqualsIgnoreCase(name, key)) return QueryColumn{key, {}};
    }
  }
  return util::UsageError("unknown column '" + util::Printable(name, util::kShownChars) +
                          "' (one of " + ValidNames(row_keys) + ")");
}

Result<SqlText> TopSql(Database& db, const TopQuery& query) {
  if (query.by.empty()) return util::UsageError("no column to group by");
  Resolver resolve(db);
  SqlText text;
  const std::string scope = ScopeCondition(query.scope, "report_datetime", text);
  std::string select;
  std::string group;
  for (std::size_t i = 0; i < query.by.size(); ++i) {
    HDC_ASSIGN_OR_RETURN(auto column, resolve(query.by[i]));
    select += Expression(column, text) + ", ";
    group += (i ? ", " : "") + std::to_string(i + 1);
  }
  std::string where;
  for (const WhereTerm& term : query.where) {
    HDC_ASSIGN_OR_RETURN(auto column, resolve(term.column));
    const std::string expression = Expression(column, text);
    where += " AND " + expression + " = " + text.Param(term.value);
  }
  const std::size_t n = query.by.size();
  text.sql = "SELECT " + select + "count(*), coalesce(sum(event_count), 0) FROM failures WHERE " +
             scope + where + " GROUP BY " + group + " ORDER BY " + std::to_string(n + 2) +
             " DESC, " + std::to_string(n + 1) + " DESC, " + group + " LIMIT " +
             text.Param(NoLimitAsMinusOne(query.limit));
  return text;
}

Result<std::vector<std::string>> TopColumnNames(Database& db, const TopQuery& query) {
  Resolver resolve(db);
  std::vector<std::string> names;
  for (const std::string& name : query.by) {
    HDC_ASSIGN_OR_RETURN(auto column, resolve(name));
    names.push_back(column.name);
  }
  return names;
}

Result<std::vector<TopRow>> TopFailures(Database& db, const TopQuery& query) {
  HDC_ASSIGN_OR_RETURN(auto text, TopSql(db, query));
  HDC_ASSIGN_OR_RETURN(auto stmt, PrepareBound(db, text));
  const int n = static_cast<int>(query.by.size());
  std::vector<TopRow> out;
  HDC_RETURN_IF_ERROR(ForEachRow(stmt, [&](const Statement& s) {
    TopRow row;
    for (int i = 0; i < n; ++i) row.values.push_back(s.ColumnOptionalText(i));
    row.rows = s.ColumnInt(n);
    row.events = s.ColumnInt(n + 1);
    out.push_back(std::move(row));
  }));
  return out;
}

Result<SqlText> TrendSql(Database& db, const TrendQuery& query) {
  Resolver resolve(db);
  HDC_ASSIGN_OR_RETURN(auto column, resolve(query.by));
  SqlText text;
  const std::string scope = ScopeCondition(query.scope, kSeen, text);
  const std::string value = Expression(column, text);
  std::string only;
  for (const std::string& v : query.only) {
    only += (only.empty() ? " AND " + value + " IN (" : ", ") + text.Param(v);
  }
  if (!only.empty()) only += ")";
  text.sql = "SELECT substr(" + std::string(kSeen) + ", 1, 10), " + value +
             ", coalesce(sum(event_count), 0) FROM failures WHERE " + scope + only +
             " GROUP BY 1, 2";
  return text;
}

Result<TrendResult> Trend(Database& db, const TrendQuery& query) {
  Resolver resolve(db);
  HDC_ASSIGN_OR_RETURN(auto column, resolve(query.by));
  HDC_ASSIGN_OR_RETURN(auto text, TrendSql(db, query));
  HDC_ASSIGN_OR_RETURN(auto stmt, PrepareBound(db, text));
  TrendResult result;
  result.by = column.name;
  HDC_ASSIGN_OR_RETURN(result.days, DaysOf(query.scope));
  std::map<std::string, std::size_t> day_index;
  for (std::size_t i = 0; i < result.days.size(); ++i) day_index[result.days[i]] = i;
  // Per value (nullopt sorts first in the map): events per day and in all.
  std::map<std::optional<std::string>, std::pair<std::vector<std::int64_t>, std::int64_t>> values;
  HDC_RETURN_IF_ERROR(ForEachRow(stmt, [&](const Statement& s) {
    auto day = day_index.find(s.ColumnText(0));
    if (day == day_index.end()) return;
    auto& [events, total] = values[s.ColumnOptionalText(1)];
    events.resize(result.days.size());
    events[day->second] += s.ColumnInt(2);
    total += s.ColumnInt(2);
  }));
  if (!query.only.empty()) {
    for (const std::string& v : query.only) {
      auto found = values.find(v);
      result.series.push_back({v, false,
                               found == values.end() ? std::vector<std::int64_t>(result.days.size())
                                                     : found->second.first});
    }
    return result;
  }
  std::vector<std::pair<std::optional<std::string>, std::int64_t>> ranked;
  for (const auto& [value, v] : values) ranked.emplace_back(value, v.second);
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  TrendSeries other{std::nullopt, true, std::vector<std::int64_t>(result.days.size())};
  for (std::size_t i = 0; i < ranked.size(); ++i) {
    const auto& events = values[ranked[i].first].first;
    if (static_cast<std::int64_t>(i) < query.top) {
      result.series.push_back({ranked[i].first, false, events});
    } else {
      for (std::size_t d = 0; d < events.size(); ++d) other.events[d] += events[d];
    }
  }
  if (static_cast<std::int64_t>(ranked.size()) > query.top) result.series.push_back(other);
  return result;
}

Result<SqlText> NewSql(const NewQuery& query) {
  SqlText text;
  const std::string scope = ScopeCondition(query.scope, kSeen, text);
  const std::string seen(kSeen);
  // The window's buckets; for each, through failures_hash_seen: none seen
  // before the window, the latest row up to its end, the first day.
  text.sql =
      "SELECT w.failure_hash, l.failure_name, l.driver_name, l.driver_version, w.events, "
      "(SELECT substr(" +
      seen +
      ", 1, 10) FROM failures WHERE failure_hash = w.failure_hash "
      "ORDER BY " +
      seen +
      " LIMIT 1) "
      "FROM (SELECT failure_hash, coalesce(sum(event_count), 0) AS events FROM failures WHERE " +
      scope +
      " AND failure_hash IS NOT NULL GROUP BY failure_hash) AS w "
      "JOIN failures AS l ON l.id = (SELECT id FROM failures WHERE failure_hash = w.failure_hash "
      "AND " +
      seen + " <= ?2 ORDER BY " + seen +
      " DESC, id DESC LIMIT 1) "
      "WHERE NOT EXISTS (SELECT 1 FROM failures WHERE failure_hash = w.failure_hash AND " +
      seen + " < ?1) ORDER BY w.events DESC, w.failure_hash LIMIT " +
      text.Param(NoLimitAsMinusOne(query.limit));
  return text;
}

Result<std::vector<NewBucket>> NewFailures(Database& db, const NewQuery& query) {
  HDC_ASSIGN_OR_RETURN(auto text, NewSql(query));
  HDC_ASSIGN_OR_RETURN(auto stmt, PrepareBound(db, text));
  std::vector<NewBucket> out;
  HDC_RETURN_IF_ERROR(ForEachRow(stmt, [&](const Statement& s) {
    out.push_back({s.ColumnText(0), s.ColumnOptionalText(1), s.ColumnOptionalText(2),
                   s.ColumnOptionalText(3), s.ColumnInt(4), s.ColumnText(5)});
  }));
  return out;
}

Result<SqlText> CompareSql(Database& db, const CompareQuery& query) {
  Resolver resolve(db);
  HDC_ASSIGN_OR_RETURN(auto column, resolve(query.by));
  SqlText text;
  const std::string scope = ScopeCondition(query.scope, kSeen, text);
  const std::string value = Expression(column, text);
  const std::string a = text.Param(query.a);
  const std::string b = text.Param(query.b);
  // Grouped by value first, so the column is read once per row.
  text.sql = "SELECT failure_hash, failure_name, sum(CASE WHEN v = " + a +
             " THEN e ELSE 0 END) AS a, sum(CASE WHEN v = " + b +
             " THEN e ELSE 0 END) AS b FROM (SELECT failure_hash, failure_name, " + value +
             " AS v, coalesce(sum(event_count), 0) AS e FROM failures WHERE " + scope +
             " AND failure_hash IS NOT NULL AND " + value + " IN (" + a + ", " + b +
             ") GROUP BY 1, 2, 3) GROUP BY 1, 2 ORDER BY abs(b - a) DESC, 1, 2 LIMIT " +
             text.Param(NoLimitAsMinusOne(query.limit));
  return text;
}

Result<std::vector<CompareRow>> Compare(Database& db, const CompareQuery& query) {
  HDC_ASSIGN_OR_RETURN(auto text, CompareSql(db, query));
  HDC_ASSIGN_OR_RETURN(auto stmt, PrepareBound(db, text));
  std::vector<CompareRow> out;
  HDC_RETURN_IF_ERROR(ForEachRow(stmt, [&](const Statement& s) {
    out.push_back({s.ColumnText(0), s.ColumnOptionalText(1), s.ColumnInt(2), s.ColumnInt(3)});
  }));
  return out;
}

}  // namespace hdc::db
