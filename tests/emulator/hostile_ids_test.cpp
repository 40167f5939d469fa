// The hostile_ids fault: report files whose CabIdHash cells are path-like
// (H01 in docs/reliability.md §Fault catalogue, S6 in docs/reliability.md §Security checklist),
// next to the control without the fault.
#include <set>
#include <sstream>

#include <Poco/Base64Encoder.h>
#include <Poco/MD5Engine.h>

#include "emulator/report_writer.h"
#include "emulator_fixture.h"

namespace hdc::emulator::testing {
namespace {

// The rows of a tab-separated report with RFC 4180 quoting (a quoted cell
// may hold tabs, quotes and line breaks), header included.
std::vector<std::vector<std::string>> Rows(const std::string& body) {
  std::vector<std::vector<std::string>> rows(1);
  std::string cell;
  bool quoted = false, started = false;
  for (size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (quoted) {
      if (c == '"' && i + 1 < body.size() && body[i + 1] == '"')
        cell += '"', ++i;
      else if (c == '"')
        quoted = false;
      else
        cell += c;
    } else if (c == '"' && cell.empty()) {
      quoted = started = true;
    } else if (c == '\t') {
      rows.back().push_back(cell), cell.clear(), started = true;
    } else if (c == '\r' && i + 1 < body.size() && body[i + 1] == '\n') {
      // the line ends at the \n
    } else if (c == '\n') {
      rows.back().push_back(cell), cell.clear();
      rows.emplace_back(), started = false;
    } else {
      cell += c, started = true;
    }
  }
  if (started || !cell.empty()) rows.back().push_back(cell);
  if (rows.back().empty()) rows.pop_back();
  return rows;
}

// The CabIdHash column (the third of SimpleTemplate()), row by row, header
// skipped; empty cells kept.
std::vector<std::string> CabCells(const std::string& body) {
  std::vector<std::string> out;
  const auto rows = Rows(body);
  for (size_t i = 1; i < rows.size(); ++i) out.push_back(rows[i].size() > 2 ? rows[i][2] : "");
  return out;
}

std::string Md5Base64(const std::string& body) {
  Poco::MD5Engine md5;
  md5.update(body);
  const auto& digest = md5.digest();
  std::ostringstream out;
  Poco::Base64Encoder encoder(out);
  encoder.write(reinterpret_cast<const char*>(digest.data()),
                static_cast<std::streamsize>(digest.size()));
  encoder.close();
  return out.str();
}

bool LooksLikeGuid(const std::string& id) {
  if (id.size() != 36) return false;
  for (size_t i = 0; i < id.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash != (id[i] == '-')) return false;
    if (!dash && !std::isxdigit(static_cast<unsigned char>(id[i]))) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("hostile_ids: report files carry path-like CabIdHash values, the control none") {
  EmulatorFixture emu;
  const auto rid = emu.CreateSchedule(emu.CreateTemplate());
  emu.Advance(std::chrono::hours(1));
  const std::string url = emu.Executions(rid)[0]["ReportLocation"].get<std::string>();

  const HttpResult plain = Http("GET", url);  // control
  REQUIRE(plain.status == 200);
  const std::vector<std::string> plain_ids = CabCells(plain.body);
  size_t with_cab = 0;
  for (const auto& id : plain_ids) {
    if (id.empty()) continue;
    ++with_cab;
    CHECK_MESSAGE(LooksLikeGuid(id), id);
  }
  REQUIRE(with_cab >= 3 * HostileCabIds().size());  // enough rows to see every hostile id

  emu.SetFaults({{{"endpoint", "blob.report"}, {"kind", "hostile_ids"}}});
  const HttpResult hostile = Http("GET", url);
  REQUIRE(hostile.status == 200);  // a whole, well-formed answer
  CHECK(hostile.Header("content-md5") == Md5Base64(hostile.body));
  const std::vector<std::string> ids = CabCells(hostile.body);
  REQUIRE(ids.size() == plain_ids.size());
  std::set<std::string> seen;
  size_t cab_row = 0, changed = 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (plain_ids[i].empty()) {
      CHECK(ids[i].empty());
      continue;
    }
    if (cab_row++ % 3 == 0) {
      CHECK(ids[i] == HostileCabIds()[changed++ % HostileCabIds().size()]);
      seen.insert(ids[i]);
    } else {
      CHECK(ids[i] == plain_ids[i]);  // the other cells are untouched
    }
  }
  CHECK(seen.count("../../etc/passwd") == 1);
  CHECK(seen.count("..\\..\\x") == 1);
  CHECK(seen.count("-\r\nhdc-reportd: forged line") == 1);  // quoted, so one cell
  CHECK(hostile.body.find("\"-\r\nhdc-reportd: forged line\"") != std::string::npos);
  CHECK(seen.size() == HostileCabIds().size());

  // A resumed (ranged) fetch of the hostile blob is consistent with the full one.
  const HttpResult tail = Http("GET", url, "", {{"Range", "bytes=10-"}});
  CHECK(tail.status == 206);
  CHECK(tail.body == hostile.body.substr(10));

  // Without the fault the blob is the original again (no stale length or MD5).
  emu.Admin("DELETE", "faults");
  const HttpResult again = Http("GET", url);
  CHECK(again.status == 200);
  CHECK(again.body == plain.body);
  CHECK(again.Header("content-md5") == Md5Base64(plain.body));
}

TEST_CASE(
    "long_field: the first row's FailureName is `bytes` long on one line, the control short") {
  EmulatorFixture emu;
  Json with_name = SimpleTemplate();
  with_name["projection"] = {"FailureName", "FailureHash", "CabIdHash"};
  const auto rid = emu.CreateSchedule(emu.CreateTemplate(with_name));
  emu.Advance(std::chrono::hours(1));
  const std::string url = emu.Executions(rid)[0]["ReportLocation"].get<std::string>();

  const HttpResult plain = Http("GET", url);  // control
  REQUIRE(plain.status == 200);
  const auto plain_rows = Rows(plain.body);
  REQUIRE(plain_rows.size() > 2);
  CHECK(plain_rows[1][0].size() < 200);

  emu.SetFaults({{{"endpoint", "blob.report"}, {"kind", "long_field"}, {"bytes", 100000}}});
  const HttpResult longer = Http("GET", url);
  REQUIRE(longer.status == 200);
  CHECK(longer.Header("content-md5") == Md5Base64(longer.body));
  const auto rows = Rows(longer.body);
  REQUIRE(rows.size() == plain_rows.size());
  CHECK(rows[1][0] == std::string(100000, 'x'));
  CHECK(rows[1][1] == plain_rows[1][1]);  // the rest of the row, and later rows, untouched
  CHECK(rows[2] == plain_rows[2]);
  CHECK(longer.body.find('\n', longer.body.find('\n') + 1) > 100000);  // one line

  auto bad = ParseFaultRules(Json{{{"kind", "long_field"}, {"bytes", 0}}});
  CHECK_FALSE(bad.ok());
}

TEST_CASE("hostile_ids is a fault kind of its own name, also in a faults file") {
  CHECK(ParseFaultKind("hostile_ids").ok());
  CHECK(FaultKindName(FaultKind::kHostileIds) == "hostile_ids");
  auto rules =
      ParseFaultRules(Json{{"faults", {{{"endpoint", "blob.report"}, {"kind", "hostile_ids"}}}}});
  REQUIRE(rules.ok());
  CHECK((*rules)[0].kind == FaultKind::kHostileIds);
  CHECK(FaultRulesToJson(*rules)["faults"][0]["kind"] == "hostile_ids");
}

}  // namespace hdc::emulator::testing
