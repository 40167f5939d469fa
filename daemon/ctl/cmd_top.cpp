#include <array>
#include <ostream>

#include "ctl/commands.h"
#include "ctl/options.h"
#include "ctl/output.h"
#include "ctl/query_args.h"
#include "db/queries.h"

namespace hdc::ctl {
namespace {

// "DriverName,OSVersion" -> its names; an empty name is kept (and refused).
std::vector<std::string> SplitColumns(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = text.find(',', start);
    out.push_back(text.substr(start, comma - start));
    if (comma == std::string::npos) return out;
    start = comma + 1;
  }
}

util::Result<db::TopQuery> ParseTopQuery(const ParsedOptions& parsed) {
  db::TopQuery query;
  if (auto it = parsed.find("--by"); it != parsed.end()) query.by = SplitColumns(it->second);
  if (auto it = parsed.find("--where"); it != parsed.end()) {
    for (const std::string& term : RepeatedValues(it->second)) {
      const std::size_t eq = term.find('=');
      if (eq == std::string::npos || eq == 0) {
        return util::UsageError("top: --where needs COLUMN=VALUE, not '" + term + "'");
      }
      query.where.push_back({term.substr(0, eq), term.substr(eq + 1)});
    }
  }
  if (auto it = parsed.find("--limit"); it != parsed.end()) {
    HDC_ASSIGN_OR_RETURN(query.limit, ParseCount("top: --limit", it->second));
  }
  HDC_ASSIGN_OR_RETURN(auto scope, ParseScope("top", parsed, 7));
  query.scope = scope.scope;
  return query;
}

// One column: "value" as before; several: "value" an object by column.
Json TopJson(const std::vector<std::string>& names, const db::TopRow& r) {
  Json value = OrNull(r.values[0]);
  if (names.size() > 1) {
    value = Json::object();
    for (std::size_t i = 0; i < names.size(); ++i) value[names[i]] = OrNull(r.values[i]);
  }
  return Json{{"value", std::move(value)}, {"rows", r.rows}, {"events", r.events}};
}

void PrintTop(const db::TopQuery& query, std::int64_t days, const std::vector<std::string>& names,
              const std::vector<db::TopRow>& rows, bool json, std::ostream& out) {
  if (json) {
    Json doc{{"by", names.size() == 1 ? Json(names[0]) : Json(names)},
             {"days", days},
             {"since", query.scope.since},
             {"until", query.scope.until},
             {"job", OrNull(query.scope.job)}};
    if (!query.where.empty()) {
      doc["where"] = Json::object();
      for (const db::WhereTerm& w : query.where) doc["where"][w.column] = w.value;
    }
    doc["top"] = Json::array();
    for (const db::TopRow& r : rows) doc["top"].push_back(TopJson(names, r));
    PrintJson(out, doc);
    return;
  }
  std::vector<std::string> headers;
  for (const std::string& name : names) headers.push_back(ColumnHeader(name));
  headers.insert(headers.end(), {"ROWS", "EVENTS"});
  std::vector<bool> right(names.size(), false);
  right.insert(right.end(), {true, true});
  Table table(std::move(headers), std::move(right));
  for (const db::TopRow& r : rows) {
    std::vector<std::string> cells;
    for (const auto& v : r.values) cells.push_back(v ? *v : "(none)");
    cells.push_back(std::to_string(r.rows));
    cells.push_back(std::to_string(r.events));
    table.Add(std::move(cells));
  }
  table.Print(out);
}

}  // namespace

int CmdTop(const CommonOptions& common, const std::vector<std::string>& args, std::ostream& out,
           std::ostream& err) {
  static constexpr std::array<OptionSpec, 7> kOptions{{{"--by", true},
                                                       {"--where", true, true},
                                                       {"--days", true},
                                                       {"--limit", true},
                                                       {"--job", true},
                                                       {"--now", true},
                                                       {"--explain-sql", false}}};
  CommonOptions options = common;
  auto parsed = ParseCommandOptions("top", args, kOptions, options);
  if (!parsed.ok()) return Fail(err, parsed.status());
  auto query = ParseTopQuery(*parsed);
  if (!query.ok()) return Fail(err, query.status());
  const std::int64_t days = ParseScope("top", *parsed, 7)->days;

  auto state = OpenState(options);
  if (!state.ok()) return Fail(err, state.status());
  db::Database& db = *state->db;
  if (auto done = ExplainIfAsked(
          *parsed, "top", [&] { return db::TopSql(db, *query); }, out, err)) {
    return *done;
  }
  auto names = db::TopColumnNames(db, *query);
  if (!names.ok()) return Fail(err, names.status().WithContext("top: "));
  auto rows = db::TopFailures(db, *query);
  if (!rows.ok()) return Fail(err, rows.status().WithContext("top: "));
  PrintTop(*query, days, *names, *rows, options.json, out);
  return 0;
}

}  // namespace hdc::ctl
