#include "ctl/export_rows.h"

#include <sstream>
#include <string>

#include <doctest/doctest.h>

namespace hdc::ctl {
namespace {

db::FailureRow Row() {
  db::FailureRow r;
  r.job_name = "kernel";
  r.report_id = "42";
  r.report_datetime = "2026-11-01T02:00:00Z";
  r.failure_hash = "abc";
  r.failure_name = "0x9F_POWER";
  r.driver_name = "x.sys";
  r.driver_version = "1.2.3";
  r.cab_id_hash = "c0ffee";
  r.event_count = 7;
  r.failure_time = "2026-10-31T23:00:00Z";
  r.device_id = "DEV-1";
  r.hardware_id = "PCI\\VEN_1";
  return r;
}

TEST_CASE("export csv: a plain cell is written as it is") {
  CHECK(CsvCell("") == "");
  CHECK(CsvCell("x.sys") == "x.sys");
  CHECK(CsvCell("0x9F POWER STATE") == "0x9F POWER STATE");
  CHECK(CsvCell("a=b+c-d@e") == "a=b+c-d@e");  // only the first character matters
  CHECK(CsvCell(" =1") == " =1");
  CHECK(CsvCell("caf\xc3\xa9") == "caf\xc3\xa9");
}

TEST_CASE("export csv: every formula trigger gets a leading quote and is quoted") {
  CHECK(CsvCell("=1+1") == "\"'=1+1\"");
  CHECK(CsvCell("+1") == "\"'+1\"");
  CHECK(CsvCell("-1") == "\"'-1\"");
  CHECK(CsvCell("@SUM(A1)") == "\"'@SUM(A1)\"");
  CHECK(CsvCell("\tx") == "\"'\tx\"");
  CHECK(CsvCell("\rx") == "\"'\rx\"");
  CHECK(CsvCell(std::string("\0x", 2)) == "\"'\\x00x\"");  // NUL written escaped (S12)
  CHECK(CsvCell("=") == "\"'=\"");
  CHECK(CsvCell("=HYPERLINK(\"x\")") == "\"'=HYPERLINK(\"\"x\"\")\"");
  CHECK(CsvCell("-2+3+cmd|' /C calc'!A0") == "\"'-2+3+cmd|' /C calc'!A0\"");
}

TEST_CASE("export csv: commas, quotes, CR and LF are quoted, inner quotes doubled") {
  CHECK(CsvCell("a,b") == "\"a,b\"");
  CHECK(CsvCell("say \"hi\"") == "\"say \"\"hi\"\"\"");
  CHECK(CsvCell("\"") == "\"\"\"\"");
  CHECK(CsvCell("line1\nline2") == "\"line1\nline2\"");
  CHECK(CsvCell("line1\r\nline2") == "\"line1\r\nline2\"");
  CHECK(CsvCell("a\rb") == "\"a\rb\"");
  CHECK(CsvCell("x\n=1") == "\"x\n=1\"");  // a trigger after a line break starts no cell
}

// S12: ESC passed raw into export cells before.
TEST_CASE("export csv: control characters are written escaped, never raw") {
  CHECK(CsvCell("red\x1b[31m") == "red\\x1b[31m");
  CHECK(CsvCell("\xe2\x80\xae"
                "exe.txt") == "\\u{202e}exe.txt");
  CHECK(CsvCell("\xff") == "\\xff");
  CHECK(CsvCell(std::string("\0x", 2)) == "\"'\\x00x\"");  // NUL starts a formula: prefixed too
  CHECK(CsvCell("a\x1b,b") == "\"a\\x1b,b\"");
}

TEST_CASE("export csv: header and rows end in CRLF, absent values are empty cells") {
  std::ostringstream out;
  WriteCsvHeader(out, false);
  WriteCsvRow(out, Row(), false);
  // Row() without its optional columns. (Copied rather than built field by
  // field: mingw's GCC 12 saw a short string assigned into a fresh row as
  // "may be used uninitialized" in the unity build, a known false positive.)
  db::FailureRow sparse = Row();
  for (auto* column :
       {&sparse.failure_hash, &sparse.failure_name, &sparse.driver_name, &sparse.driver_version,
        &sparse.cab_id_hash, &sparse.failure_time, &sparse.device_id, &sparse.hardware_id}) {
    column->reset();
  }
  sparse.event_count.reset();
  WriteCsvRow(out, sparse, false);
  CHECK(
      out.str() ==
      "job_name,report_id,report_datetime,failure_hash,failure_name,driver_name,driver_version,"
      "cab_id_hash,event_count,failure_time\r\n"
      "kernel,42,2026-11-01T02:00:00Z,abc,0x9F_POWER,x.sys,1.2.3,c0ffee,7,2026-10-31T23:00:00Z\r\n"
      "kernel,42,2026-11-01T02:00:00Z,,,,,,,\r\n");
}

TEST_CASE("export csv: device and hardware ids only when asked for") {
  std::ostringstream without;
  WriteCsvHeader(without, false);
  WriteCsvRow(without, Row(), false);
  CHECK(without.str().find("device_id") == std::string::npos);
  CHECK(without.str().find("DEV-1") == std::string::npos);
  CHECK(without.str().find("VEN_1") == std::string::npos);
  std::ostringstream with;
  WriteCsvHeader(with, true);
  WriteCsvRow(with, Row(), true);
  CHECK(with.str() ==
        "job_name,report_id,report_datetime,failure_hash,failure_name,driver_name,driver_version,"
        "cab_id_hash,event_count,failure_time,device_id,hardware_id\r\n"
        "kernel,42,2026-11-01T02:00:00Z,abc,0x9F_POWER,x.sys,1.2.3,c0ffee,7,2026-10-31T23:00:00Z,"
        "DEV-1,PCI\\VEN_1\r\n");
}

TEST_CASE("export csv: a hostile row stays one record with every cell escaped") {
  db::FailureRow r = Row();
  r.failure_name = "=HYPERLINK(\"http://x\",\"click\")";
  r.driver_name = "a,b\r\nc";
  r.driver_version = "+1";
  r.cab_id_hash = "@x";
  std::ostringstream out;
  WriteCsvRow(out, r, false);
  CHECK(out.str() ==
        "kernel,42,2026-11-01T02:00:00Z,abc,\"'=HYPERLINK(\"\"http://x\"\",\"\"click\"\")\","
        "\"a,b\r\nc\",\"'+1\",\"'@x\",7,2026-10-31T23:00:00Z\r\n");
}

TEST_CASE("export json: one object per line, values as stored, nulls for absent values") {
  db::FailureRow r = Row();
  r.failure_name = "=HYPERLINK(\"x\")\n\"quoted\"";
  r.driver_version.reset();
  r.event_count.reset();
  std::ostringstream out;
  WriteJsonLine(out, r, false);
  WriteJsonLine(out, Row(), true);
  std::istringstream lines(out.str());
  std::string line;
  REQUIRE(std::getline(lines, line));
  CHECK(
      line ==
      "{\"job_name\":\"kernel\",\"report_id\":\"42\",\"report_datetime\":\"2026-11-01T02:00:00Z\","
      "\"failure_hash\":\"abc\",\"failure_name\":\"=HYPERLINK(\\\"x\\\")\\n\\\"quoted\\\"\","
      "\"driver_name\":\"x.sys\",\"driver_version\":null,\"cab_id_hash\":\"c0ffee\","
      "\"event_count\":null,\"failure_time\":\"2026-10-31T23:00:00Z\"}");
  const Json first = Json::parse(line);
  CHECK(first["failure_name"] == "=HYPERLINK(\"x\")\n\"quoted\"");  // no ' prefix
  CHECK_FALSE(first.contains("device_id"));
  REQUIRE(std::getline(lines, line));
  const Json second = Json::parse(line);
  CHECK(second["event_count"] == 7);
  CHECK(second["device_id"] == "DEV-1");
  CHECK(second["hardware_id"] == "PCI\\VEN_1");
  CHECK_FALSE(std::getline(lines, line));
}

TEST_CASE("export json: invalid UTF-8 from the database is replaced, not fatal") {
  db::FailureRow r = Row();
  r.failure_name = "bad \xff byte";
  std::ostringstream out;
  WriteJsonLine(out, r, false);
  CHECK(Json::parse(out.str())["failure_name"] == "bad \xef\xbf\xbd byte");
}

}  // namespace
}  // namespace hdc::ctl
