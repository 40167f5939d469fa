#include <array>
#include <cctype>
#include <chrono>
#include <ostream>

#include "ctl/commands.h"
#include "ctl/options.h"
#include "ctl/output.h"
#include "db/listings.h"
#include "util/clock.h"
#include "util/time_format.h"

namespace hdc::ctl {
namespace {

// "driver_name" -> "DRIVER NAME"
std::string Header(std::string_view column) {
  std::string out;
  for (char c : column)
    out += c == '_' ? ' ' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

int CmdTop(const CommonOptions& common, const std::vector<std::string>& args, std::ostream& out,
           std::ostream& err) {
  static constexpr std::array<OptionSpec, 5> kOptions{
      {{"--by", true}, {"--days", true}, {"--limit", true}, {"--job", true}, {"--now", true}}};
  CommonOptions options = common;
  auto parsed = ParseCommandOptions("top", args, kOptions, options);
  if (!parsed.ok()) return Fail(err, parsed.status());
  db::TopQuery query;
  std::int64_t days = 7;
  util::TimePoint now = util::SystemClock().Now();
  if (auto it = parsed->find("--by"); it != parsed->end()) query.column = it->second;
  if (auto it = parsed->find("--job"); it != parsed->end()) query.job = it->second;
  if (auto it = parsed->find("--limit"); it != parsed->end()) {
    auto limit = ParseCount("top: --limit", it->second);
    if (!limit.ok()) return Fail(err, limit.status());
    query.limit = *limit;
  }
  if (auto it = parsed->find("--days"); it != parsed->end()) {
    auto n = ParseCount("top: --days", it->second, 1, 36500);
    if (!n.ok()) return Fail(err, n.status());
    days = *n;
  }
  if (auto it = parsed->find("--now"); it != parsed->end()) {
    auto t = util::ParseUtcStrict(it->second);
    if (!t.ok()) {
      return Fail(err, util::UsageError("top: --now needs a UTC time like 2026-12-01T00:00:00Z, "
                                        "not '" +
                                        it->second + "'"));
    }
    now = *t;
  }
  if (auto ok = db::CheckQuery(query); !ok.ok()) return Fail(err, ok.WithContext("top: "));
  query.since = util::FormatTimestamp(now - std::chrono::days(days));
  query.until = util::FormatTimestamp(now);

  auto state = OpenState(options);
  if (!state.ok()) return Fail(err, state.status());
  auto rows = db::TopFailures(*state->db, query);
  if (!rows.ok()) return Fail(err, rows.status().WithContext("top: "));

  if (options.json) {
    Json doc{{"by", query.column},       {"days", days},
             {"since", query.since},     {"until", query.until},
             {"job", OrNull(query.job)}, {"top", Json::array()}};
    for (const db::TopRow& r : *rows) {
      doc["top"].push_back(
          Json{{"value", OrNull(r.value)}, {"rows", r.rows}, {"events", r.events}});
    }
    PrintJson(out, doc);
    return 0;
  }
  Table table({Header(query.column), "ROWS", "EVENTS"}, {false, true, true});
  for (const db::TopRow& r : *rows) {
    table.Add({r.value ? *r.value : "(none)", std::to_string(r.rows), std::to_string(r.events)});
  }
  table.Print(out);
  return 0;
}

}  // namespace hdc::ctl
