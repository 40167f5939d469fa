#include "ctl/query_args.h"

#include <cctype>
#include <chrono>

#include "ctl/options.h"
#include "util/clock.h"
#include "util/time_format.h"

namespace hdc::ctl {

util::Result<ScopeArgs> ParseScope(std::string_view command, const ParsedOptions& parsed,
                                   std::int64_t default_days, bool whole_days) {
  const std::string where(command);
  ScopeArgs args;
  args.days = default_days;
  util::TimePoint now = util::SystemClock().Now();
  if (auto it = parsed.find("--job"); it != parsed.end()) args.scope.job = it->second;
  if (auto it = parsed.find("--days"); it != parsed.end()) {
    HDC_ASSIGN_OR_RETURN(args.days, ParseCount(where + ": --days", it->second, 1, 36500));
  }
  if (auto it = parsed.find("--now"); it != parsed.end()) {
    auto t = util::ParseUtcStrict(it->second);
    if (!t.ok()) {
      return util::UsageError(where + ": --now needs a UTC time like 2026-12-01T00:00:00Z, not '" +
                              it->second + "'");
    }
    now = *t;
  }
  util::TimePoint since = now - std::chrono::days(args.days);
  if (whole_days) {
    since = std::chrono::floor<std::chrono::days>(now) - std::chrono::days(args.days - 1);
  }
  args.scope.since = util::FormatTimestamp(since);
  args.scope.until = util::FormatTimestamp(now);
  return args;
}

std::string ColumnHeader(std::string_view name) {
  std::string out;
  auto upper = [](char c) { return std::isupper(static_cast<unsigned char>(c)) != 0; };
  auto lower = [](char c) { return std::islower(static_cast<unsigned char>(c)) != 0; };
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (c == '_') {
      out += ' ';
      continue;
    }
    const bool next_lower = i + 1 < name.size() && lower(name[i + 1]);
    if (i > 0 && upper(c) && (lower(name[i - 1]) || (upper(name[i - 1]) && next_lower))) {
      out += ' ';
    }
    out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

std::optional<int> ExplainIfAsked(const ParsedOptions& parsed, std::string_view command,
                                  const std::function<util::Result<db::SqlText>()>& make,
                                  std::ostream& out, std::ostream& err) {
  if (!parsed.contains("--explain-sql")) return std::nullopt;
  auto text = make();
  if (!text.ok()) return Fail(err, text.status().WithContext(std::string(command) + ": "));
  out << db::ShellScript(*text);
  return 0;
}

}  // namespace hdc::ctl
