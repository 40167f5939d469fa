#include "download/report_parser.h"

#include <optional>
#include <string>
#include <vector>

#include <doctest/doctest.h>

namespace hdc::download {
namespace {

using Rows = std::vector<std::vector<std::optional<std::string>>>;
using std::nullopt;

ParsedReport Parse(std::string_view text) {
  auto parsed = ParseReportFile(text);
  REQUIRE_MESSAGE(parsed.ok(), parsed.status().message());
  return std::move(parsed).value();
}

std::string ParseError(std::string_view text) {
  auto parsed = ParseReportFile(text);
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.status().kind() == util::ErrorKind::kBadData);
  return parsed.status().message();
}

// Feeds the text in the given pieces; returns the rows or the error text.
struct Fed {
  std::vector<std::string> header;
  Rows rows;
  std::vector<std::int64_t> lines;
  std::string error;
  bool operator==(const Fed&) const = default;
};

Fed FeedPieces(const std::vector<std::string_view>& pieces) {
  Fed out;
  ReportParser parser([&out](const ReportRow& row) {
    auto& values = out.rows.emplace_back();
    for (size_t i = 0; i < row.size(); ++i) {
      values.push_back(row.IsNull(i) ? std::nullopt
                                     : std::optional<std::string>(std::string(row.value(i))));
    }
    out.lines.push_back(row.line());
    return util::Status::Ok();
  });
  util::Status status;
  for (std::string_view piece : pieces) {
    status = parser.Feed(piece);
    if (!status.ok()) break;
  }
  if (status.ok()) status = parser.Finish();
  out.error = status.message();
  out.header = parser.header().names();
  return out;
}

TEST_CASE("a tab-delimited report with CRLF line ends gives one row per line") {
  const ParsedReport r = Parse(
      "FailureHash\tDriverName\tEventCount\r\n"
      "h1\tdrv.sys\t3\r\n"
      "h2\tother.sys\t10\r\n");
  CHECK(r.header.delimiter() == '\t');
  CHECK(r.header.names() == std::vector<std::string>{"FailureHash", "DriverName", "EventCount"});
  CHECK(r.rows == Rows{{"h1", "drv.sys", "3"}, {"h2", "other.sys", "10"}});
}

TEST_CASE("a comma-delimited report with LF line ends is read the same way") {
  const ParsedReport r = Parse("FailureHash,DriverName\nh1,drv.sys\nh2,other.sys\n");
  CHECK(r.header.delimiter() == ',');
  CHECK(r.rows == Rows{{"h1", "drv.sys"}, {"h2", "other.sys"}});
}

TEST_CASE("the delimiter is tab only when the header has more tabs than commas") {
  CHECK(Parse("a,b\tc\td\n1,2\t3\t4\n").header.names() ==
        std::vector<std::string>{"a,b", "c", "d"});
  CHECK(Parse("a,b\tc\n1,2\t3\n").header.delimiter() == ',');  // one each: comma
  CHECK(Parse("OnlyColumn\nx\n").header.delimiter() == ',');
  // Delimiters inside a quoted header name do not count.
  const ParsedReport quoted = Parse("\"x\t\t\ty\",b\n1,2\n");
  CHECK(quoted.header.delimiter() == ',');
  CHECK(quoted.header.names() == std::vector<std::string>{"x\t\t\ty", "b"});
}

TEST_CASE("a leading UTF-8 BOM is skipped and a BOM elsewhere is data") {
  const ParsedReport r = Parse(
      "\xEF\xBB\xBF"
      "A\tB\r\n\xEF\xBB\xBFx\ty\r\n");
  CHECK(r.header.names() == std::vector<std::string>{"A", "B"});
  CHECK(r.rows == Rows{{"\xEF\xBB\xBFx", "y"}});
}

TEST_CASE("the last line end is optional") {
  CHECK(Parse("A\tB\r\n1\t2").rows == Rows{{"1", "2"}});
  CHECK(Parse("A\tB\n1\t2").rows == Rows{{"1", "2"}});
  CHECK(Parse("A\tB\n1\t").rows == Rows{{"1", nullopt}});
}

TEST_CASE("a lone CR ends a line like LF and CRLF") {
  const ParsedReport r = Parse("A,B\r1,2\r\n3,4\n5,6\r");
  CHECK(r.rows == Rows{{"1", "2"}, {"3", "4"}, {"5", "6"}});
}

TEST_CASE("quoted fields may hold the delimiter, doubled quotes and line breaks") {
  const ParsedReport r = Parse(
      "A\tB\tC\r\n"
      "\"tab\there\"\t\"say \"\"hi\"\"\"\t\"two\r\nlines\"\r\n"
      "\"\"\"\"\t\"a,b\"\tplain\r\n");
  CHECK(r.rows == Rows{{"tab\there", "say \"hi\"", "two\r\nlines"}, {"\"", "a,b", "plain"}});
}

TEST_CASE("empty fields are null, quoted or not") {
  const ParsedReport r = Parse("A,B,C,D\n,\"\",x,\n");
  CHECK(r.rows == Rows{{nullopt, nullopt, "x", nullopt}});
}

TEST_CASE("a quote inside an unquoted field is kept as text") {
  CHECK(Parse("A,B\n15\" screen,x\"y\"\n").rows == Rows{{"15\" screen", "x\"y\""}});
}

TEST_CASE("a header without rows is zero rows with its columns") {
  for (std::string_view text : {"A\tB\r\n", "A\tB",
                                "\xEF\xBB\xBF"
                                "A\tB\n\r\n"}) {
    INFO(text);
    const ParsedReport r = Parse(text);
    CHECK(r.header.names() == std::vector<std::string>{"A", "B"});
    CHECK(r.rows.empty());
  }
}

TEST_CASE("an empty file is zero rows and no columns") {
  for (std::string_view text : {"", "\xEF\xBB\xBF", "\r\n", "\n\n"}) {
    INFO(text);
    const ParsedReport r = Parse(text);
    CHECK(r.header.size() == 0);
    CHECK(r.rows.empty());
  }
}

TEST_CASE("blank lines between and after rows are skipped") {
  const ParsedReport r = Parse("A,B\r\n\r\n1,2\r\n\r\n\n3,4\r\n\r\n");
  CHECK(r.rows == Rows{{"1", "2"}, {"3", "4"}});
}

TEST_CASE("a row with fewer fields than the header has nulls for the rest") {
  CHECK(Parse("A\tB\tC\n1\n1\t2\n").rows == Rows{{"1", nullopt, nullopt}, {"1", "2", nullopt}});
}

TEST_CASE("a row with more fields than the header is an error naming its line") {
  CHECK(ParseError("A\tB\n1\t2\n1\t2\t3\n") == "line 3: 3 fields, header has 2");
  // Lines inside quoted fields count: the bad row starts on line 4.
  CHECK(ParseError("A,B\n\"x\ny\",2\n1,2,3,4\n") == "line 4: 4 fields, header has 2");
}

TEST_CASE("an unterminated quoted field at the end is an error naming the row's line") {
  CHECK(ParseError("A,B\n1,2\n3,\"open\nstill open\n") ==
        "line 3: quoted field 2 is not closed before the end of the file");
  CHECK(ParseError("A,B\n\"") == "line 2: quoted field 1 is not closed before the end of the file");
}

TEST_CASE("text after a closing quote is an error") {
  CHECK(ParseError("A,B\n1,\"x\"y\n") == "line 2: text after the closing quote of field 2");
}

TEST_CASE("a header column without a name or a name given twice is an error") {
  CHECK(ParseError("A,,C\n") == "line 1: column 2 of the header has no name");
  CHECK(ParseError("\xEF\xBB\xBF\nDriverName\tdrivername\n") ==
        "line 2: column 'drivername' appears twice in the header");
}

TEST_CASE("column lookup ignores case and knows aggregate names as sent") {
  const ParsedReport r = Parse(
      "FailureHash\tDriverName\tSUM(EventCount)\tDCOUNT(DeviceId)\n"
      "h\td\t12\t3\n");
  CHECK(r.header.ColumnIndex("failurehash") == 0);
  CHECK(r.header.ColumnIndex("DRIVERNAME") == 1);
  CHECK(r.header.ColumnIndex("sum(eventcount)") == 2);
  CHECK(r.header.ColumnIndex("DCOUNT(DeviceId)") == 3);
  CHECK(r.header.ColumnIndex("EventCount") == -1);
  CHECK(r.header.ColumnIndex("DriverName ") == -1);
}

TEST_CASE("a row gives its values by index and by column name") {
  int seen = 0;
  ReportParser parser([&seen](const ReportRow& row) {
    ++seen;
    CHECK(row.size() == 3);
    CHECK(row.Get(row.ColumnIndex("cabidhash")) == std::optional<std::string_view>("c1"));
    CHECK(row.Get(row.ColumnIndex("DeviceId")) == std::nullopt);  // null
    CHECK(row.Get(row.ColumnIndex("Missing")) == std::nullopt);   // absent
    CHECK(row.value(0) == "h");
    CHECK(row.IsNull(2));
    CHECK(row.line() == 3);
    CHECK(row.number() == 1);
    CHECK(row.header().name(1) == "CabIdHash");
    return util::Status::Ok();
  });
  REQUIRE(parser.Feed("FailureHash,CabIdHash,DeviceId\n\nh,c1,\n").ok());
  REQUIRE(parser.Finish().ok());
  CHECK(seen == 1);
  CHECK(parser.rows() == 1);
}

TEST_CASE("the header handler runs once before the first row") {
  std::vector<std::string> events;
  ReportParser parser(
      [&events](const ReportRow& row) {
        events.push_back("row " + std::string(row.value(0)));
        return util::Status::Ok();
      },
      [&events](const ReportHeader& header) {
        events.push_back("header " + header.name(0));
        return util::Status::Ok();
      });
  REQUIRE(parser.Feed("A\n1\n").ok());
  REQUIRE(parser.Feed("2\n").ok());
  REQUIRE(parser.Finish().ok());
  CHECK(events == std::vector<std::string>{"header A", "row 1", "row 2"});
}

TEST_CASE("an error from the row handler stops parsing and is returned again later") {
  int calls = 0;
  ReportParser parser([&calls](const ReportRow&) {
    ++calls;
    return util::TemporaryError("disk full");
  });
  util::Status first = parser.Feed("A\n1\n2\n");
  CHECK(first.message() == "disk full");
  CHECK(parser.Feed("3\n").message() == "disk full");
  CHECK(parser.Finish().message() == "disk full");
  CHECK(calls == 1);
}

TEST_CASE("a record longer than the limit is refused before the end of the file") {
  ReportParser parser([](const ReportRow&) { return util::Status::Ok(); });
  REQUIRE(parser.Feed("A\n").ok());
  const std::string block(16 * 1024, 'x');
  util::Status status;
  for (size_t fed = 0; fed <= ReportParser::kMaxRecordBytes && status.ok(); fed += block.size()) {
    status = parser.Feed(block);
  }
  CHECK(status.kind() == util::ErrorKind::kBadData);
  CHECK(status.message() == "line 2: a record longer than 256 KiB (no line end?)");
}

TEST_CASE("feeding after Finish is a misuse") {
  ReportParser parser([](const ReportRow&) { return util::Status::Ok(); });
  REQUIRE(parser.Finish().ok());
  CHECK(parser.Feed("A\n").kind() == util::ErrorKind::kInternal);
}

// BOM, quotes spanning chunks, doubled quotes, CRLF, a blank line, a lone CR
// and a last line without a line end: every boundary the parser must carry.
constexpr std::string_view kTricky =
    "\xEF\xBB\xBF"
    "Name\tNote\tEventCount\r\n"
    "a\t\"x\ty\"\t1\r\n"
    "\"b\"\"q\"\"\"\t\"multi\r\nline\"\"\r\n\"\t\r\n"
    "\r\n"
    "c\t\t3\r"
    "\"\"\t\"\"\"\"\t4\n"
    "d\tlast\t5";

TEST_CASE("the tricky sample parses to the expected rows") {
  const Fed whole = FeedPieces({kTricky});
  CHECK(whole.error.empty());
  CHECK(whole.header == std::vector<std::string>{"Name", "Note", "EventCount"});
  CHECK(whole.rows == Rows{{"a", "x\ty", "1"},
                           {"b\"q\"", "multi\r\nline\"\r\n", nullopt},
                           {"c", nullopt, "3"},
                           {nullopt, "\"", "4"},
                           {"d", "last", "5"}});
  CHECK(whole.lines == std::vector<std::int64_t>{2, 3, 7, 8, 9});
}

TEST_CASE("feeding one byte at a time gives the same rows as feeding everything at once") {
  std::vector<std::string_view> bytes;
  for (size_t i = 0; i < kTricky.size(); ++i) bytes.push_back(kTricky.substr(i, 1));
  CHECK(FeedPieces(bytes) == FeedPieces({kTricky}));
}

TEST_CASE("every two-way split of the tricky sample gives the same rows") {
  const Fed whole = FeedPieces({kTricky});
  for (size_t cut = 0; cut <= kTricky.size(); ++cut) {
    INFO("cut at " << cut);
    CHECK(FeedPieces({kTricky.substr(0, cut), kTricky.substr(cut)}) == whole);
  }
}

TEST_CASE("every two-way split of a bad sample gives the same error") {
  constexpr std::string_view kBad = "A,B\r\n\"1\r\n\",2\r\n1,2,\"3\"\"\r\n\"";
  const Fed whole = FeedPieces({kBad});
  CHECK(whole.error == "line 4: 3 fields, header has 2");
  for (size_t cut = 0; cut <= kBad.size(); ++cut) {
    INFO("cut at " << cut);
    CHECK(FeedPieces({kBad.substr(0, cut), kBad.substr(cut)}) == whole);
  }
}

}  // namespace
}  // namespace hdc::download
