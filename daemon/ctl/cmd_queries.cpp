// trend, new and compare: the questions over failures beyond top
// (db/queries.h), each parse / query / render.
#include <array>
#include <ostream>

#include "ctl/commands.h"
#include "ctl/export_rows.h"
#include "ctl/options.h"
#include "ctl/output.h"
#include "ctl/query_args.h"
#include "dashboard/data.h"
#include "db/queries.h"

namespace hdc::ctl {
namespace {

std::string SeriesName(const db::TrendSeries& s) {
  return s.other ? "other" : s.value ? *s.value : "(none)";
}

void PrintTrend(const db::TrendResult& trend, const ScopeArgs& scope, const std::string& format,
                std::ostream& out) {
  if (format == "json") {
    PrintJson(out, dashboard::TrendResultJson(trend, scope.days, scope.scope));
    return;
  }
  if (format == "csv") {  // RFC 4180, as export writes it
    out << "day";
    for (const db::TrendSeries& s : trend.series) out << "," << CsvCell(SeriesName(s));
    out << "\r\n";
    for (std::size_t d = 0; d < trend.days.size(); ++d) {
      out << trend.days[d];
      for (const db::TrendSeries& s : trend.series) out << "," << s.events[d];
      out << "\r\n";
    }
    return;
  }
  std::vector<std::string> headers{"DAY"};
  for (const db::TrendSeries& s : trend.series) headers.push_back(SeriesName(s));
  Table table(headers, std::vector<bool>(headers.size(), true));
  for (std::size_t d = 0; d < trend.days.size(); ++d) {
    std::vector<std::string> cells{trend.days[d]};
    for (const db::TrendSeries& s : trend.series) cells.push_back(std::to_string(s.events[d]));
    table.Add(std::move(cells));
  }
  table.Print(out);
}

void PrintNew(const std::vector<db::NewBucket>& buckets, const ScopeArgs& scope, bool json,
              std::ostream& out) {
  if (json) {
    PrintJson(out, dashboard::NewBucketsJson(buckets, scope.days, scope.scope));
    return;
  }
  Table table(
      {"FAILURE HASH", "FAILURE NAME", "DRIVER NAME", "DRIVER VERSION", "EVENTS", "FIRST DAY"},
      {false, false, false, false, true, false});
  for (const db::NewBucket& b : buckets) {
    table.Add({b.failure_hash, OrDash(b.failure_name), OrDash(b.driver_name),
               OrDash(b.driver_version), std::to_string(b.events), b.first_day});
  }
  table.Print(out);
}

void PrintCompare(const db::CompareQuery& query, const std::vector<db::CompareRow>& rows,
                  const ScopeArgs& scope, bool json, std::ostream& out) {
  if (json) {
    Json doc{{"by", query.by},
             {"a", query.a},
             {"b", query.b},
             {"days", scope.days},
             {"since", scope.scope.since},
             {"until", scope.scope.until},
             {"job", OrNull(scope.scope.job)},
             {"compare", Json::array()}};
    for (const db::CompareRow& r : rows) {
      doc["compare"].push_back(Json{{"failure_hash", r.failure_hash},
                                    {"failure_name", OrNull(r.failure_name)},
                                    {"a", r.events_a},
                                    {"b", r.events_b},
                                    {"change", r.change()}});
    }
    PrintJson(out, doc);
    return;
  }
  Table table({"FAILURE HASH", "FAILURE NAME", query.a, query.b, "CHANGE"},
              {false, false, true, true, true});
  for (const db::CompareRow& r : rows) {
    const std::int64_t change = r.change();
    table.Add({r.failure_hash, OrDash(r.failure_name), std::to_string(r.events_a),
               std::to_string(r.events_b), (change > 0 ? "+" : "") + std::to_string(change)});
  }
  table.Print(out);
}

util::Result<std::int64_t> LimitOf(std::string_view command, const ParsedOptions& parsed,
                                   std::int64_t default_limit) {
  auto it = parsed.find("--limit");
  if (it == parsed.end()) return default_limit;
  return ParseCount(std::string(command) + ": --limit", it->second);
}

}  // namespace

int CmdTrend(const CommonOptions& common, const std::vector<std::string>& args, std::ostream& out,
             std::ostream& err) {
  static constexpr std::array<OptionSpec, 7> kOptions{{{"--by", true},
                                                       {"--days", true},
                                                       {"--top", true},
                                                       {"--job", true},
                                                       {"--now", true},
                                                       {"--format", true},
                                                       {"--explain-sql", false}}};
  CommonOptions options = common;
  auto parsed = ParseCommandOptions("trend", args, kOptions, options);
  if (!parsed.ok()) return Fail(err, parsed.status());
  auto scope = ParseScope("trend", *parsed, 7, true);
  if (!scope.ok()) return Fail(err, scope.status());
  db::TrendQuery query;
  query.scope = scope->scope;
  if (auto it = parsed->find("--by"); it != parsed->end()) query.by = it->second;
  if (auto it = parsed->find("--top"); it != parsed->end()) {
    auto top = ParseCount("trend: --top", it->second, 1, 100);
    if (!top.ok()) return Fail(err, top.status());
    query.top = *top;
  }
  std::string format = options.json ? "json" : "table";
  if (auto it = parsed->find("--format"); it != parsed->end()) format = it->second;
  if (format != "json" && format != "csv" && format != "table") {
    return Fail(err,
                util::UsageError("trend: --format is table, csv or json, not '" + format + "'"));
  }
  auto state = OpenState(options);
  if (!state.ok()) return Fail(err, state.status());
  db::Database& db = *state->db;
  if (auto done = ExplainIfAsked(
          *parsed, "trend", [&] { return db::TrendSql(db, query); }, out, err)) {
    return *done;
  }
  auto trend = db::Trend(db, query);
  if (!trend.ok()) return Fail(err, trend.status().WithContext("trend: "));
  PrintTrend(*trend, *scope, format, out);
  return 0;
}

int CmdNew(const CommonOptions& common, const std::vector<std::string>& args, std::ostream& out,
           std::ostream& err) {
  static constexpr std::array<OptionSpec, 5> kOptions{{{"--days", true},
                                                       {"--limit", true},
                                                       {"--job", true},
                                                       {"--now", true},
                                                       {"--explain-sql", false}}};
  CommonOptions options = common;
  auto parsed = ParseCommandOptions("new", args, kOptions, options);
  if (!parsed.ok()) return Fail(err, parsed.status());
  auto scope = ParseScope("new", *parsed, 7);
  if (!scope.ok()) return Fail(err, scope.status());
  auto limit = LimitOf("new", *parsed, 20);
  if (!limit.ok()) return Fail(err, limit.status());
  const db::NewQuery query{scope->scope, *limit};
  auto state = OpenState(options);
  if (!state.ok()) return Fail(err, state.status());
  if (auto done = ExplainIfAsked(
          *parsed, "new", [&] { return db::NewSql(query); }, out, err)) {
    return *done;
  }
  auto buckets = db::NewFailures(*state->db, query);
  if (!buckets.ok()) return Fail(err, buckets.status().WithContext("new: "));
  PrintNew(*buckets, *scope, options.json, out);
  return 0;
}

int CmdCompare(const CommonOptions& common, const std::vector<std::string>& args, std::ostream& out,
               std::ostream& err) {
  static constexpr std::array<OptionSpec, 6> kOptions{{{"--by", true},
                                                       {"--days", true},
                                                       {"--limit", true},
                                                       {"--job", true},
                                                       {"--now", true},
                                                       {"--explain-sql", false}}};
  CommonOptions options = common;
  std::vector<std::string> values;
  auto parsed = ParseCommandOptions("compare", args, kOptions, options, &values);
  if (!parsed.ok()) return Fail(err, parsed.status());
  auto by = parsed->find("--by");
  if (by == parsed->end() || values.size() != 2) {
    return Fail(err, util::UsageError("compare needs --by COLUMN and two values A B"));
  }
  auto scope = ParseScope("compare", *parsed, 7);
  if (!scope.ok()) return Fail(err, scope.status());
  auto limit = LimitOf("compare", *parsed, 20);
  if (!limit.ok()) return Fail(err, limit.status());
  db::CompareQuery query{by->second, values[0], values[1], scope->scope, *limit};
  auto state = OpenState(options);
  if (!state.ok()) return Fail(err, state.status());
  db::Database& db = *state->db;
  if (auto done = ExplainIfAsked(
          *parsed, "compare", [&] { return db::CompareSql(db, query); }, out, err)) {
    return *done;
  }
  auto rows = db::Compare(db, query);
  if (!rows.ok()) return Fail(err, rows.status().WithContext("compare: "));
  PrintCompare(query, *rows, *scope, options.json, out);
  return 0;
}

}  // namespace hdc::ctl
