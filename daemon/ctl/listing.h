// The one shape of the filtered listings (executions, cabs): --job, --state,
// --limit and --account (an account the configuration names) into the
// command's filter, the state database opened for
// reading, its rows listed, then printed as JSON (an array under the
// command's name) or as a table with one column per field. A command gives
// only what differs: its filter and row types, its query, its columns and
// how one row is shown. Header-only: the steps are templates over the
// filter and row types.
#pragma once

#include <array>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "ctl/commands.h"
#include "ctl/options.h"
#include "ctl/output.h"
#include "db/database.h"
#include "db/listings.h"
#include "util/result.h"

namespace hdc::ctl {

struct ListingColumn {
  std::string_view header;
  bool right_aligned = false;  // numbers
};

// Filter has job, state, limit and account and a db::CheckFilter overload.
template <typename Filter, typename Row>
struct Listing {
  std::string_view name;  // the command, its JSON array and its errors' prefix
  util::Result<std::vector<Row>> (*list)(db::Database&, const Filter&);
  std::vector<ListingColumn> columns;
  Json (*json)(const Row&);                       // one element of the array
  std::vector<std::string> (*cells)(const Row&);  // one table row, a cell per column
};

// The command's options into its filter (which updates `options` with
// --json and --config); a bad state is refused before anything is opened.
template <typename Filter>
util::Result<Filter> ParseListingFilter(std::string_view name, const std::vector<std::string>& args,
                                        CommonOptions& options) {
  static constexpr std::array<OptionSpec, 4> kOptions{
      {{"--job", true}, {"--state", true}, {"--limit", true}, {"--account", true}}};
  HDC_ASSIGN_OR_RETURN(auto parsed, ParseCommandOptions(name, args, kOptions, options));
  Filter filter;
  if (auto it = parsed.find("--job"); it != parsed.end()) filter.job = it->second;
  if (auto it = parsed.find("--account"); it != parsed.end()) filter.account = it->second;
  if (auto it = parsed.find("--state"); it != parsed.end()) filter.state = it->second;
  if (auto it = parsed.find("--limit"); it != parsed.end()) {
    HDC_ASSIGN_OR_RETURN(filter.limit, ParseCount(std::string(name) + ": --limit", it->second));
  }
  HDC_RETURN_IF_ERROR(db::CheckFilter(filter).WithContext(std::string(name) + ": "));
  return filter;
}

template <typename Filter, typename Row>
void PrintListing(const Listing<Filter, Row>& listing, const std::vector<Row>& rows, bool json,
                  std::ostream& out) {
  if (json) {
    Json array = Json::array();
    for (const Row& r : rows) array.push_back(listing.json(r));
    PrintJson(out, Json{{std::string(listing.name), std::move(array)}});
    return;
  }
  std::vector<std::string> headers;
  std::vector<bool> right;
  for (const ListingColumn& column : listing.columns) {
    headers.emplace_back(column.header);
    right.push_back(column.right_aligned);
  }
  Table table(std::move(headers), std::move(right));
  for (const Row& r : rows) table.Add(listing.cells(r));
  table.Print(out);
}

// The whole command: its exit code, errors on `err` as Fail prints them.
template <typename Filter, typename Row>
int RunListing(const Listing<Filter, Row>& listing, const CommonOptions& common,
               const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  CommonOptions options = common;
  auto filter = ParseListingFilter<Filter>(listing.name, args, options);
  if (!filter.ok()) return Fail(err, filter.status());
  auto state = OpenState(options);
  if (!state.ok()) return Fail(err, state.status());
  if (filter->account) {
    const util::Status known = CheckAccount(listing.name, state->config, *filter->account);
    if (!known.ok()) return Fail(err, known);
  }
  auto rows = listing.list(*state->db, *filter);
  if (!rows.ok()) return Fail(err, rows.status().WithContext(std::string(listing.name) + ": "));
  PrintListing(listing, *rows, options.json, out);
  return 0;
}

}  // namespace hdc::ctl
