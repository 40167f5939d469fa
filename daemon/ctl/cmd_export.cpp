// export [--format csv|json] [--job NAME] [--since WHEN] [--with-device-ids]:
// the stored failure rows, oldest first, streamed to stdout one at a time
// (ctl/export_rows.h has the formats). --json (and --format json) writes
// JSON Lines, --csv (the default) spreadsheet-safe CSV.
//
// Reads the state database only (no lock, no secret, no network), like the
// listings. The rows are personal data (docs/hdc-api.md §Personal data), so every run
// says on stderr that the export must be deleted within the retention
// window; device and hardware ids are left out unless --with-device-ids.
#include <array>
#include <chrono>
#include <optional>
#include <ostream>
#include <string>

#include "ctl/commands.h"
#include "ctl/export_rows.h"
#include "ctl/options.h"
#include "ctl/output.h"
#include "db/listings.h"
#include "util/clock.h"
#include "util/time_format.h"

namespace hdc::ctl {
namespace {

// --since: a UTC date (2026-11-01), a UTC time (2026-11-01T00:00:00Z) or a
// duration back from now (7d, 12h), as the report_datetime it compares with.
util::Result<std::string> SinceTime(const std::string& text, util::TimePoint now) {
  std::optional<util::TimePoint> t;
  if (text.size() == 10) {
    if (auto date = util::ParseTimestamp(text); date.ok()) t = *date;  // its midnight, UTC
  } else if (auto strict = util::ParseUtcStrict(text); strict.ok()) {
    t = *strict;
  } else if (auto back = util::ParseDuration(text); back.ok()) {
    t = now - *back;
  }
  if (!t) {
    return util::UsageError(
        "export: --since needs a UTC date like 2026-11-01, a time like 2026-11-01T00:00:00Z or "
        "a duration like 7d, not '" +
        text + "'");
  }
  // Stored times have whole seconds: a fraction rounds up, so no earlier row matches.
  return util::FormatTimestamp(std::chrono::ceil<std::chrono::seconds>(*t));
}

// "30 days"; "36h" when not whole days.
std::string RetentionText(std::chrono::seconds retention) {
  const auto days = std::chrono::duration_cast<std::chrono::days>(retention);
  if (days == retention) {
    return std::to_string(days.count()) + (days.count() == 1 ? " day" : " days");
  }
  return util::FormatDuration(retention);
}

}  // namespace

int CmdExport(const CommonOptions& common, const std::vector<std::string>& args, std::ostream& out,
              std::ostream& err) {
  static constexpr std::array<OptionSpec, 5> kOptions{{{"--format", true},
                                                       {"--csv", false},
                                                       {"--job", true},
                                                       {"--since", true},
                                                       {"--with-device-ids", false}}};
  CommonOptions options = common;
  auto parsed = ParseCommandOptions("export", args, kOptions, options);
  if (!parsed.ok()) return Fail(err, parsed.status());
  std::string format = options.json ? "json" : "csv";
  if (auto it = parsed->find("--format"); it != parsed->end()) {
    if (it->second != "csv" && it->second != "json") {
      return Fail(err,
                  util::UsageError("export: --format needs csv or json, not '" + it->second + "'"));
    }
    if (options.json && it->second != "json") {
      return Fail(err, util::UsageError("export: --json and --format " + it->second + " disagree"));
    }
    format = it->second;
  }
  if (parsed->contains("--csv") && format != "csv") {
    return Fail(err, util::UsageError("export: --csv and JSON output disagree"));
  }
  db::ExportQuery query;
  query.with_device_ids = parsed->contains("--with-device-ids");
  if (auto it = parsed->find("--job"); it != parsed->end()) query.job = it->second;
  if (auto it = parsed->find("--since"); it != parsed->end()) {
    auto since = SinceTime(it->second, util::SystemClock().Now());
    if (!since.ok()) return Fail(err, since.status());
    query.since = *since;
  }

  auto state = OpenState(options);
  if (!state.ok()) return Fail(err, state.status());
  err << "hdc-reportctl: warning: the exported failure rows are personal data; delete this export "
         "within the retention window ("
      << RetentionText(state->config.service.retention) << ")\n";
  const bool json = format == "json";
  if (!json) WriteCsvHeader(out, query.with_device_ids);
  auto written = db::ForEachFailure(*state->db, query, [&](const db::FailureRow& row) {
    if (json) {
      WriteJsonLine(out, row, query.with_device_ids);
    } else {
      WriteCsvRow(out, row, query.with_device_ids);
    }
    return out ? util::Status::Ok() : util::TemporaryError("cannot write to standard output");
  });
  if (!written.ok()) return Fail(err, written.WithContext("export: "));
  if (!out.flush()) {
    return Fail(err, util::TemporaryError("export: cannot write to standard output"));
  }
  return 0;
}

}  // namespace hdc::ctl
