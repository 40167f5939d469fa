// Report files (docs/hdc-api.md §Report files) as a stream of rows.
//
// ReportParser is a push parser: Feed() takes the file in chunks split
// anywhere (inside a quoted field, between CR and LF, inside the BOM),
// Finish() marks the end. It reads the header first (a leading UTF-8 BOM
// skipped; tab or comma chosen from the header line: more tabs than commas
// means tab), then hands each data row to the row handler. Quoting follows
// RFC 4180: a field holding the delimiter, '"' or a line break is quoted,
// inner quotes doubled, and a quoted field may span lines. CRLF, LF and a
// lone CR all end a line; the last line end is optional.
//
// Decisions where the API is silent (docs/hdc-api.md §Report files):
//  - an empty field, quoted ("") or not, is null;
//  - a row with fewer fields than the header has nulls for the rest; a row
//    with more is an error;
//  - blank lines (nothing between two line ends) are skipped;
//  - an empty file (or a BOM alone) is zero rows with no columns;
//  - a header column with no name, or two names equal apart from case, is an
//    error (rows are mapped by name, so names must be unique);
//  - a '"' inside an unquoted field is kept as text; text after a closing
//    quote is an error;
//  - one record may not exceed kMaxRecordBytes (so a file without line ends
//    cannot exhaust memory).
// Errors are kBadData and start with "line N: " (the physical line where the
// record starts, 1-based). After an error every later call returns it again.
//
// Pure: no I/O, no logging (row values may be personal). Not thread-safe.
// Speed: values are views into an internal buffer; nothing is allocated per
// field or per row once the buffers have grown to the longest record.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace hdc::download {

// The column names of a report, in file order.
class ReportHeader {
 public:
  ReportHeader() = default;
  explicit ReportHeader(std::vector<std::string> names) : names_(std::move(names)) {}

  size_t size() const { return names_.size(); }
  const std::string& name(size_t index) const { return names_[index]; }
  const std::vector<std::string>& names() const { return names_; }
  // ASCII case-insensitive; -1 when absent. Aggregates are matched by their
  // text as sent, e.g. "SUM(EventCount)".
  int ColumnIndex(std::string_view name) const;
  char delimiter() const { return delimiter_; }

 private:
  friend class ReportParser;
  std::vector<std::string> names_;
  char delimiter_ = '\t';
};

// One data row. Views are valid only during the handler call.
class ReportRow {
 public:
  // Always the header's column count (missing trailing fields are null).
  size_t size() const { return values_.size(); }
  // The raw value; empty means null.
  std::string_view value(size_t index) const { return values_[index]; }
  bool IsNull(size_t index) const { return values_[index].empty(); }
  // By header index; nullopt for null or for index -1 (absent column).
  std::optional<std::string_view> Get(int index) const {
    if (index < 0 || values_[static_cast<size_t>(index)].empty()) return std::nullopt;
    return values_[static_cast<size_t>(index)];
  }
  int ColumnIndex(std::string_view name) const { return header_->ColumnIndex(name); }
  const ReportHeader& header() const { return *header_; }
  // Physical line (1-based) where the row starts, and the row's number
  // among data rows (1-based).
  std::int64_t line() const { return line_; }
  std::int64_t number() const { return number_; }

 private:
  friend class ReportParser;
  const ReportHeader* header_ = nullptr;
  std::vector<std::string_view> values_;
  std::int64_t line_ = 0;
  std::int64_t number_ = 0;
};

using RowHandler = std::function<util::Status(const ReportRow& row)>;
using HeaderHandler = std::function<util::Status(const ReportHeader& header)>;

class ReportParser {
 public:
  // Real records are a few hundred bytes. A record costs several times its
  // size on its way into SQLite (the buffer, the values, the statement's
  // copy, overflow pages): 256 KiB keeps --once under 32 MiB peak RSS for
  // any report file, whatever its lines (e2e.long_line_test).
  static constexpr size_t kMaxRecordBytes = 256 * 1024;

  // A handler's error stops the parser and is returned as is.
  explicit ReportParser(RowHandler on_row, HeaderHandler on_header = {});

  util::Status Feed(std::string_view chunk);
  // End of input: completes a last line without line end; reports an
  // unterminated quoted field.
  util::Status Finish();

  // Valid once the header line has been read (empty before and for an empty
  // file).
  const ReportHeader& header() const { return header_; }
  bool has_header() const { return has_header_; }
  std::int64_t rows() const { return rows_; }

 private:
  enum class Outcome { kRecord, kBlank, kNeedMore, kError };

  util::Status Parse(bool at_end);
  util::Status ParseHeader(bool at_end);
  // Each false: wait for more input.
  bool SkipBom(bool at_end);
  bool SkipBlankLines(bool at_end);
  bool FindDelimiter(bool at_end);
  util::Status CheckNames(const std::vector<std::string>& names);
  Outcome ReadRecord(bool at_end);
  Outcome ReadBlankLine(bool at_end);
  // Returned by value: a position passed by reference would leave ReadRecord's
  // loop reading it from memory.
  struct Quoted {
    Outcome outcome;
    size_t end = 0;  // past the closing quote
    std::int64_t line_breaks = 0;
  };
  Quoted ReadQuoted(size_t open, bool at_end);
  util::Status Fail(std::int64_t line, std::string message);

  RowHandler on_row_;
  HeaderHandler on_header_;
  ReportHeader header_;
  bool has_header_ = false;
  bool bom_checked_ = false;
  bool finished_ = false;
  util::Status error_;

  std::string buf_;  // unconsumed input; pos_ is the next byte
  size_t pos_ = 0;
  std::int64_t line_ = 1;  // physical line at pos_
  std::int64_t rows_ = 0;

  // Fields of the record being read: offsets into buf_, or into unescaped_
  // for quoted fields holding doubled quotes (negative offset = unescaped_).
  struct Span {
    std::int64_t offset;
    size_t length;
  };
  std::string_view Text(const Span& span) const;
  std::vector<Span> spans_;
  std::string unescaped_;
  std::int64_t record_line_ = 0;
  std::string record_error_;
  ReportRow row_;
};

// Whole text at once (tests, small files): the header and every row's values
// (null as nullopt).
struct ParsedReport {
  ReportHeader header;
  std::vector<std::vector<std::optional<std::string>>> rows;
};
util::Result<ParsedReport> ParseReportFile(std::string_view text);

}  // namespace hdc::download
