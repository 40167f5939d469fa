#include "download/row_ingest.h"

#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "support/temp_dir.h"
#include "util/time_format.h"

namespace hdc::download {
namespace {

using hdc::testing::TempDir;

util::TimePoint At(std::string_view text) {
  auto t = util::ParseTimestamp(text);
  REQUIRE(t.ok());
  return *t;
}

struct Fixture {
  Fixture() {
    auto opened = db::Database::Open({dir / "state.db"});
    REQUIRE_MESSAGE(opened.ok(), opened.status().message());
    db = std::move(opened).value();
    AddExecution("1152921505695178386", "2024-05-10T02:00:00Z");
    target.job_name = "kernel";
    target.report_id = "1152921505695178386";
    target.report_datetime = "2024-05-10T02:00:00Z";
    target.downloaded_at = At("2024-05-10T03:00:00Z");
    target.cabs_enabled = true;
  }

  void AddExecution(const std::string& report_id, const std::string& datetime) {
    auto st = db->Prepare(
        "INSERT INTO executions (report_id, report_datetime, job_name, remote_status, state,"
        " first_seen, last_polled) VALUES (?1, ?2, 'kernel', 'Completed', 'fetched', ?2, ?2)");
    REQUIRE(st.ok());
    REQUIRE(st->Bind(1, report_id).Bind(2, datetime).Run().ok());
  }

  IngestSummary Ingest(std::string_view text) {
    auto summary = IngestReportText(*db, target, text);
    REQUIRE_MESSAGE(summary.ok(), summary.status().message());
    return *summary;
  }

  // Every row of a query, columns joined with '|' and null shown as "NULL".
  std::vector<std::string> Query(const std::string& sql) {
    auto st = db->Prepare(sql);
    REQUIRE_MESSAGE(st.ok(), st.status().message());
    const int columns = SelectListSize(sql);
    std::vector<std::string> out;
    while (true) {
      auto row = st->Step();
      REQUIRE(row.ok());
      if (!*row) break;
      std::string line;
      for (int c = 0; c < columns; ++c) {
        if (c > 0) line += '|';
        line += st->ColumnIsNull(c) ? "NULL" : st->ColumnText(c);
      }
      out.push_back(line);
    }
    return out;
  }
  // Statement has no column count: count the commas of the SELECT list that
  // are outside parentheses.
  static int SelectListSize(const std::string& sql) {
    const size_t from = sql.find(" FROM ");
    int n = 1, depth = 0;
    for (size_t i = 0; i < from; ++i) {
      depth += sql[i] == '(' ? 1 : sql[i] == ')' ? -1 : 0;
      n += depth == 0 && sql[i] == ',';
    }
    return n;
  }
  std::string One(const std::string& sql) {
    auto rows = Query(sql);
    REQUIRE(rows.size() == 1);
    return rows[0];
  }

  TempDir dir;
  std::unique_ptr<db::Database> db;
  IngestTarget target;
};

constexpr std::string_view kReport =
    "FailureHash\tFailureName\tDriverName\tDriverVersion\tFailureDateTime\tApplicationId\t"
    "CabType\tCabIdHash\tCabCollectionTime\tCabExpirationTime\tDeviceId\tHardwareId\tEventCount\r\n"
    "f-1\tname \"one\"\tdrv.sys\t10.1.0.100\t2024-05-08 10:20:30\t1390000001\tKernel\tcab-1\t"
    "2024-05-08 11:00:00\t2024-06-07 11:00:00\tdev-1\tPCI\\VEN_8086&DEV_1234\t3\r\n"
    "f-2\t\"tab\there\"\tdrv.sys\t10.1.0.100\t2024-05-09T01:02:03.500Z\t1390000001\tKernel\tcab-1\t"
    "2024-05-07 09:00:00\t2024-06-07 11:00:00\tdev-2\t\t\r\n"
    "f-3\tn3\tother.sys\t\tnot a time\t1390000002\tFULL\tcab-2\t\t\tdev-3\thw\tmany\r\n"
    "f-4\tn4\tother.sys\t\t\t\t\t\t\t\t\t\t7\r\n";

TEST_CASE("each report row becomes a failures row with typed key columns") {
  Fixture f;
  const IngestSummary s = f.Ingest(kReport);
  CHECK(s.rows == 4);
  CHECK(s.rows_skipped_retention == 0);
  CHECK(f.Query("SELECT report_id, report_datetime, job_name, failure_hash, failure_name,"
                " driver_name, driver_version, cab_id_hash, event_count, failure_time,"
                " device_id, hardware_id FROM failures ORDER BY id") ==
        std::vector<std::string>{
            "1152921505695178386|2024-05-10T02:00:00Z|kernel|f-1|name \"one\"|drv.sys|"
            "10.1.0.100|cab-1|3|2024-05-08T10:20:30Z|dev-1|PCI\\VEN_8086&DEV_1234",
            "1152921505695178386|2024-05-10T02:00:00Z|kernel|f-2|tab\there|drv.sys|"
            "10.1.0.100|cab-1|NULL|2024-05-09T01:02:03Z|dev-2|NULL",
            "1152921505695178386|2024-05-10T02:00:00Z|kernel|f-3|n3|other.sys|NULL|cab-2|NULL|"
            "NULL|dev-3|hw",
            "1152921505695178386|2024-05-10T02:00:00Z|kernel|f-4|n4|other.sys|NULL|NULL|7|NULL|"
            "NULL|NULL"});
  CHECK(f.One("SELECT typeof(event_count) FROM failures WHERE failure_hash = 'f-1'") == "integer");
}

TEST_CASE("the row column holds every column as JSON text with nulls and escapes") {
  Fixture f;
  f.Ingest(
      "A\tb\tC d\t\"Q\"\"x\"\r\n"
      "\"q\"\"\\\tt\"\t\tcaf\xC3\xA9 \xFF\x01\t\"line\r\nbreak\"\r\n");
  CHECK(f.One("SELECT row FROM failures") ==
        "{\"A\":\"q\\\"\\\\\\tt\",\"b\":null,\"C d\":\"caf\xC3\xA9 \\ufffd\\u0001\","
        "\"Q\\\"x\":\"line\\r\\nbreak\"}");
  CHECK(f.One("SELECT json_valid(row) FROM failures") == "1");
}

TEST_CASE("the JSON row of an emulator-style line is exact") {
  Fixture f;
  f.Ingest(kReport.substr(0, kReport.find("f-2")));
  CHECK(f.One("SELECT row FROM failures") ==
        "{\"FailureHash\":\"f-1\",\"FailureName\":\"name \\\"one\\\"\",\"DriverName\":\"drv.sys\","
        "\"DriverVersion\":\"10.1.0.100\",\"FailureDateTime\":\"2024-05-08 10:20:30\","
        "\"ApplicationId\":\"1390000001\",\"CabType\":\"Kernel\",\"CabIdHash\":\"cab-1\","
        "\"CabCollectionTime\":\"2024-05-08 11:00:00\",\"CabExpirationTime\":\"2024-06-07 "
        "11:00:00\",\"DeviceId\":\"dev-1\",\"HardwareId\":\"PCI\\\\VEN_8086&DEV_1234\","
        "\"EventCount\":\"3\"}");
}

TEST_CASE("the retention clock starts at the earliest time the row gives") {
  Fixture f;
  f.Ingest(kReport);
  CHECK(f.Query("SELECT failure_hash, clock_start FROM failures ORDER BY id") ==
        std::vector<std::string>{"f-1|2024-05-08T10:20:30Z",  // failure before collection
                                 "f-2|2024-05-07T09:00:00Z",  // collection before failure
                                 "f-3|2024-05-10T03:00:00Z",  // no parseable time
                                 "f-4|2024-05-10T03:00:00Z"});
}

TEST_CASE("with retention_clock downloaded every clock starts at the download") {
  Fixture f;
  f.target.retention_clock_earliest = false;
  f.Ingest(kReport);
  CHECK(f.Query("SELECT DISTINCT clock_start FROM failures") ==
        std::vector<std::string>{"2024-05-10T03:00:00Z"});
  CHECK(f.Query("SELECT DISTINCT clock_start FROM cabs") ==
        std::vector<std::string>{"2024-05-10T03:00:00Z"});
}

TEST_CASE("each distinct CabIdHash is recorded once with what the rows say about it") {
  Fixture f;
  const IngestSummary s = f.Ingest(kReport);
  CHECK(s.cabs_new == 2);
  CHECK(s.cabs_skipped == 0);
  CHECK(f.Query("SELECT cab_id_hash, job_name, application_id, cab_type, expires_at,"
                " collected_at, state, last_error, first_seen, clock_start FROM cabs"
                " ORDER BY cab_id_hash") ==
        std::vector<std::string>{
            "cab-1|kernel|1390000001|Kernel|2024-06-07T11:00:00Z|2024-05-08T11:00:00Z|pending|"
            "NULL|2024-05-10T03:00:00Z|2024-05-07T09:00:00Z",
            "cab-2|kernel|1390000002|FULL|NULL|NULL|pending|NULL|2024-05-10T03:00:00Z|"
            "2024-05-10T03:00:00Z"});
}

TEST_CASE("the OEM view keeps no ApplicationId for its cabs") {
  Fixture f;
  f.target.view_is_ihv = false;
  f.Ingest(kReport);
  CHECK(f.Query("SELECT DISTINCT application_id FROM cabs") == std::vector<std::string>{"NULL"});
}

TEST_CASE("cabs are not recorded when the job does not download cabs") {
  Fixture f;
  f.target.cabs_enabled = false;
  const IngestSummary s = f.Ingest(kReport);
  CHECK(s.cabs_new == 0);
  CHECK(f.One("SELECT count(*) FROM cabs") == "0");
  CHECK(f.One("SELECT count(*) FROM failures WHERE cab_id_hash IS NOT NULL") == "3");
}

TEST_CASE("cabs outside cab_types are recorded as skipped with the reason") {
  Fixture f;
  f.target.cab_types = {"full", "Mini"};
  const IngestSummary s = f.Ingest(kReport);
  CHECK(s.cabs_new == 1);
  CHECK(s.cabs_skipped == 1);
  CHECK(f.Query("SELECT cab_id_hash, state, last_error FROM cabs ORDER BY cab_id_hash") ==
        std::vector<std::string>{"cab-1|skipped|cab type Kernel not in cab_types",
                                 "cab-2|pending|NULL"});
}

TEST_CASE("a cab without a CabType is outside any cab_types list") {
  Fixture f;
  f.target.cab_types = {"Kernel"};
  f.Ingest("CabIdHash\tCabType\r\nc9\t\r\n");
  CHECK(f.One("SELECT state, last_error FROM cabs") == "skipped|cab type (none) not in cab_types");
}

TEST_CASE("ingesting the same execution again replaces its rows") {
  Fixture f;
  f.Ingest(kReport);
  const IngestSummary again = f.Ingest(kReport);
  CHECK(again.rows == 4);
  CHECK(again.cabs_new == 0);  // already known
  CHECK(f.One("SELECT count(*) FROM failures") == "4");
  CHECK(f.One("SELECT count(*) FROM cabs") == "2");
  f.Ingest("FailureHash\r\nonly\r\n");
  CHECK(f.Query("SELECT failure_hash FROM failures") == std::vector<std::string>{"only"});
  CHECK(f.One("SELECT row_count FROM executions") == "1");
}

TEST_CASE("another execution's rows are left alone") {
  Fixture f;
  f.AddExecution("1152921505695178386", "2024-05-11T02:00:00Z");
  f.Ingest(kReport);
  f.target.report_datetime = "2024-05-11T02:00:00Z";
  f.Ingest("FailureHash\r\nnext\r\n");
  f.Ingest("FailureHash\r\nnext\r\n");
  CHECK(f.Query("SELECT report_datetime, count(*) FROM failures GROUP BY report_datetime") ==
        std::vector<std::string>{"2024-05-10T02:00:00Z|4", "2024-05-11T02:00:00Z|1"});
}

TEST_CASE("rows whose retention clock already ran out are skipped and counted") {
  Fixture f;
  f.target.retention_cutoff = At("2024-05-08T00:00:00Z");
  const IngestSummary s = f.Ingest(kReport);
  // f-2's clock starts on 2024-05-07 (its cab's collection): gone already.
  CHECK(s.rows == 3);
  CHECK(s.rows_skipped_retention == 1);
  CHECK(f.Query("SELECT failure_hash FROM failures ORDER BY id") ==
        std::vector<std::string>{"f-1", "f-3", "f-4"});
  CHECK(f.One("SELECT count(*) FROM failures WHERE device_id = 'dev-2'") == "0");
  CHECK(f.One("SELECT row_count FROM executions") == "3");
  // cab-1 is still referenced by f-1, which was kept.
  CHECK(f.One("SELECT state FROM cabs WHERE cab_id_hash = 'cab-1'") == "pending");
  // The report file still holds the skipped row: its clock starts there.
  CHECK(f.One("SELECT substr(clock_start, 1, 10) FROM executions") == "2024-05-07");
}

TEST_CASE("a cab referenced only by rows past the cutoff is recorded as skipped") {
  Fixture f;
  f.target.retention_cutoff = At("2024-05-09T00:00:00Z");
  const IngestSummary s = f.Ingest(kReport);
  CHECK(s.rows_skipped_retention == 2);
  CHECK(s.cabs_new == 1);
  CHECK(s.cabs_skipped == 1);
  CHECK(f.One("SELECT state, last_error FROM cabs WHERE cab_id_hash = 'cab-1'") ==
        "skipped|retention window ended before download");
}

TEST_CASE("the execution is marked ingested with its row count") {
  Fixture f;
  f.Ingest(kReport);
  CHECK(f.One("SELECT state, row_count FROM executions") == "ingested|4");
}

TEST_CASE("the connection's page cache size is restored after an ingest") {
  Fixture f;
  const std::string before = f.One("SELECT * FROM pragma_cache_size");
  f.Ingest(kReport);
  CHECK(f.One("SELECT * FROM pragma_cache_size") == before);
  (void)IngestReportText(*f.db, f.target, "A\n1,2\n");  // fails: cache restored all the same
  CHECK(f.One("SELECT * FROM pragma_cache_size") == before);
}

TEST_CASE("a header-only report is ingested as zero rows") {
  Fixture f;
  const IngestSummary s = f.Ingest("FailureHash\tCabIdHash\r\n");
  CHECK(s.rows == 0);
  CHECK(f.One("SELECT state, row_count FROM executions") == "ingested|0");
}

TEST_CASE("columns are found by name in any order and case") {
  Fixture f;
  f.Ingest("eventcount,CABIDHASH,failurehash,Extra\n5,c,h,x\n");
  CHECK(f.One("SELECT failure_hash, cab_id_hash, event_count FROM failures") == "h|c|5");
}

TEST_CASE("OSVersion, Market and Model fill their typed columns, NULL where a row has none") {
  Fixture f;
  f.Ingest(
      "FailureHash\tOSVersion\tmarket\tMODEL\tEventType\r\n"
      "h1\t10.0.26100\tUS\tXPS 13\tBlueScreen\r\n"
      "h2\t\tDE\t\tBlueScreen\r\n");
  CHECK(f.Query("SELECT failure_hash, os_version, market, model FROM failures ORDER BY id") ==
        std::vector<std::string>{"h1|10.0.26100|US|XPS 13", "h2|NULL|DE|NULL"});
  // The same values as the row's JSON gives (an empty cell is null there).
  CHECK(f.One("SELECT count(*) FROM failures WHERE os_version IS json_extract(row, "
              "'$.OSVersion') AND market IS json_extract(row, '$.market') AND model IS "
              "json_extract(row, '$.MODEL')") == "2");

  // A report without them (the IHV view has OEMModel, not Model).
  f.target.report_datetime = "2024-05-11T02:00:00Z";
  f.AddExecution(f.target.report_id, f.target.report_datetime);
  f.Ingest("FailureHash\tOEMModel\r\nh3\tThinkPad\r\n");
  CHECK(f.One("SELECT os_version, market, model FROM failures WHERE failure_hash = 'h3'") ==
        "NULL|NULL|NULL");
}

TEST_CASE("an aggregated report fills event_count from SUM(EventCount)") {
  Fixture f;
  f.Ingest("DriverName\tSUM(EventCount)\r\ndrv.sys\t42\r\nx.sys\t4.5\r\n");
  CHECK(f.Query("SELECT driver_name, event_count FROM failures ORDER BY id") ==
        std::vector<std::string>{"drv.sys|42", "x.sys|NULL"});
  CHECK(f.One("SELECT row FROM failures WHERE driver_name = 'x.sys'") ==
        "{\"DriverName\":\"x.sys\",\"SUM(EventCount)\":\"4.5\"}");
}

TEST_CASE("a malformed report changes nothing and names the execution and line") {
  Fixture f;
  f.Ingest(kReport);
  auto bad = IngestReportText(*f.db, f.target, "FailureHash\tCabIdHash\r\nx\ty\tz\r\n");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().kind() == util::ErrorKind::kBadData);
  CHECK(bad.status().message() ==
        "report 1152921505695178386 at 2024-05-10T02:00:00Z: line 2: 3 fields, header has 2");
  CHECK(f.One("SELECT count(*) FROM failures") == "4");
  CHECK(f.One("SELECT state, row_count FROM executions") == "ingested|4");
}

TEST_CASE("ingesting into an unknown execution is refused") {
  Fixture f;
  f.target.report_datetime = "2030-01-01T00:00:00Z";
  auto result = IngestReportText(*f.db, f.target, kReport);
  REQUIRE_FALSE(result.ok());
  CHECK(result.status().message() ==
        "report 1152921505695178386 at 2030-01-01T00:00:00Z: no such execution in the state "
        "database");
  CHECK(f.One("SELECT count(*) FROM failures") == "0");
  CHECK(f.One("SELECT count(*) FROM cabs") == "0");
}

TEST_CASE("a read error aborts the ingest and keeps the earlier rows") {
  Fixture f;
  f.Ingest(kReport);
  int calls = 0;
  auto result =
      IngestReport(*f.db, f.target, [&calls](char* buffer, size_t) -> util::Result<size_t> {
        if (++calls > 1) return util::TemporaryError("store: read failed");
        const std::string_view head = "FailureHash\r\nnew\r\n";
        std::copy(head.begin(), head.end(), buffer);
        return head.size();
      });
  REQUIRE_FALSE(result.ok());
  CHECK(result.status().kind() == util::ErrorKind::kTemporary);
  CHECK(f.One("SELECT count(*) FROM failures") == "4");
}

TEST_CASE("a report file on disk is ingested in blocks") {
  Fixture f;
  std::string text = "FailureHash\tDeviceId\r\n";
  for (int i = 0; i < 90000; ++i) {
    text += "hash-" + std::to_string(i % 97) + "\tdevice-" + std::to_string(i % 30000) + "\r\n";
  }
  REQUIRE(text.size() > (1 << 20));  // more than one read block
  const std::string path = f.dir.Write("report.txt", text);
  auto s = IngestReportFile(*f.db, platform::RealFileSystem(), f.target, path);
  REQUIRE_MESSAGE(s.ok(), s.status().message());
  CHECK(s->rows == 90000);
  CHECK(f.One("SELECT count(DISTINCT device_id) FROM failures") == "30000");

  auto missing = IngestReportFile(*f.db, platform::RealFileSystem(), f.target, f.dir / "nope.txt");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().kind() == util::ErrorKind::kTemporary);
  CHECK(missing.status().message().find("open " + (f.dir / "nope.txt") + ": ") == 0);
}

}  // namespace
}  // namespace hdc::download
