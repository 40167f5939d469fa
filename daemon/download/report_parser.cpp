#include "download/report_parser.h"

#include <array>
#include <cstring>

namespace hdc::download {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    unsigned char x = static_cast<unsigned char>(a[i]);
    unsigned char y = static_cast<unsigned char>(b[i]);
    if (x >= 'A' && x <= 'Z') x = static_cast<unsigned char>(x + 32);
    if (y >= 'A' && y <= 'Z') y = static_cast<unsigned char>(y + 32);
    if (x != y) return false;
  }
  return true;
}

// Bytes that end an unquoted field, for each delimiter.
struct StopTable {
  explicit StopTable(char delimiter) noexcept {
    stop.fill(false);
    stop[static_cast<unsigned char>(delimiter)] = true;
    stop['\r'] = true;
    stop['\n'] = true;
  }
  std::array<bool, 256> stop;
};
const StopTable kTabStops('\t');
const StopTable kCommaStops(',');

// Line breaks in s: LF, CRLF and a lone CR each count once.
std::int64_t CountLineBreaks(const char* s, size_t n) {
  std::int64_t lines = 0;
  for (size_t i = 0; i < n; ++i) {
    if (s[i] == '\n')
      ++lines;
    else if (s[i] == '\r' && (i + 1 == n || s[i + 1] != '\n'))
      ++lines;
  }
  return lines;
}

}  // namespace

int ReportHeader::ColumnIndex(std::string_view name) const {
  for (size_t i = 0; i < names_.size(); ++i) {
    if (EqualsIgnoreCase(names_[i], name)) return static_cast<int>(i);
  }
  return -1;
}

ReportParser::ReportParser(RowHandler on_row, HeaderHandler on_header)
    : on_row_(std::move(on_row)), on_header_(std::move(on_header)) {
  row_.header_ = &header_;
}

util::Status ReportParser::Feed(std::string_view chunk) {
  if (!error_.ok()) return error_;
  if (finished_) return util::InternalError("report parser: Feed after Finish");
  buf_.append(chunk);
  return Parse(false);
}

util::Status ReportParser::Finish() {
  if (!error_.ok()) return error_;
  if (finished_) return util::Status::Ok();
  finished_ = true;
  return Parse(true);
}

util::Status ReportParser::Fail(std::int64_t line, std::string message) {
  error_ = util::BadDataError("line " + std::to_string(line) + ": " + message);
  return error_;
}

std::string_view ReportParser::Text(const Span& s) const {
  return s.offset >= 0 ? std::string_view(buf_.data() + s.offset, s.length)
                       : std::string_view(unescaped_.data() + (-s.offset - 1), s.length);
}

util::Status ReportParser::Parse(bool at_end) {
  if (!has_header_) {
    HDC_RETURN_IF_ERROR(ParseHeader(at_end));
  }
  while (has_header_) {
    const Outcome outcome = ReadRecord(at_end);
    if (outcome == Outcome::kNeedMore) break;
    if (outcome == Outcome::kBlank) continue;
    if (outcome == Outcome::kError) return Fail(record_line_, record_error_);
    if (spans_.size() > header_.size()) {
      return Fail(record_line_, std::to_string(spans_.size()) + " fields, header has " +
                                    std::to_string(header_.size()));
    }
    for (size_t i = 0; i < row_.values_.size(); ++i) {
      row_.values_[i] = i < spans_.size() ? Text(spans_[i]) : std::string_view();
    }
    row_.line_ = record_line_;
    row_.number_ = ++rows_;
    util::Status handled = on_row_(row_);
    if (!handled.ok()) {
      error_ = handled;
      return error_;
    }
  }
  if (!at_end && buf_.size() - pos_ > kMaxRecordBytes) {
    return Fail(line_, "a record longer than " + std::to_string(kMaxRecordBytes >> 10) +
                           " KiB (no line end?)");
  }
  // Keep only the unfinished record.
  if (pos_ > 0) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  return util::Status::Ok();
}

bool ReportParser::SkipBom(bool at_end) {
  if (bom_checked_) return true;
  const std::string_view head(buf_.data() + pos_, std::min(buf_.size() - pos_, kBom.size()));
  if (head.size() < kBom.size() && kBom.substr(0, head.size()) == head && !at_end) {
    return false;  // may still become a BOM
  }
  if (head == kBom) pos_ += kBom.size();
  bom_checked_ = true;
  return true;
}

// Blank lines before the header are skipped, like those between rows.
bool ReportParser::SkipBlankLines(bool at_end) {
  while (pos_ < buf_.size() && (buf_[pos_] == '\n' || buf_[pos_] == '\r')) {
    if (buf_[pos_] == '\r' && pos_ + 1 == buf_.size() && !at_end) return false;
    if (buf_[pos_] == '\r' && pos_ + 1 < buf_.size() && buf_[pos_ + 1] == '\n') ++pos_;
    ++pos_;
    ++line_;
  }
  return true;
}

// The delimiter: count tabs and commas outside quotes on the header line.
bool ReportParser::FindDelimiter(bool at_end) {
  size_t tabs = 0, commas = 0, p = pos_;
  bool quoted = false, complete = false;
  for (; p < buf_.size(); ++p) {
    const char c = buf_[p];
    if (c == '"')
      quoted = !quoted;
    else if (quoted)
      continue;
    else if (c == '\t')
      ++tabs;
    else if (c == ',')
      ++commas;
    else if (c == '\n' || c == '\r') {
      complete = true;
      break;
    }
  }
  if (!complete && !at_end) return false;
  header_.delimiter_ = tabs > commas ? '\t' : ',';
  return true;
}

util::Status ReportParser::ParseHeader(bool at_end) {
  if (!SkipBom(at_end) || !SkipBlankLines(at_end)) return util::Status::Ok();
  if (pos_ == buf_.size()) {
    if (at_end) has_header_ = false;  // empty file: no columns, no rows
    return util::Status::Ok();
  }
  if (!FindDelimiter(at_end)) return util::Status::Ok();

  const Outcome outcome = ReadRecord(at_end);
  if (outcome == Outcome::kNeedMore) return util::Status::Ok();
  if (outcome == Outcome::kError) return Fail(record_line_, record_error_);
  std::vector<std::string> names;
  names.reserve(spans_.size());
  for (const Span& s : spans_) names.emplace_back(Text(s));
  HDC_RETURN_IF_ERROR(CheckNames(names));
  header_.names_ = std::move(names);
  row_.values_.assign(header_.size(), std::string_view());
  has_header_ = true;
  if (on_header_) {
    util::Status handled = on_header_(header_);
    if (!handled.ok()) {
      error_ = handled;
      return error_;
    }
  }
  return util::Status::Ok();
}

util::Status ReportParser::CheckNames(const std::vector<std::string>& names) {
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i].empty()) {
      return Fail(record_line_, "column " + std::to_string(i + 1) + " of the header has no name");
    }
    for (size_t j = 0; j < i; ++j) {
      if (EqualsIgnoreCase(names[i], names[j])) {
        return Fail(record_line_, "column '" + names[i] + "' appears twice in the header");
      }
    }
  }
  return util::Status::Ok();
}

// A blank line at pos_ (pos_ < buf_.size()): kBlank past it, or kNeedMore.
ReportParser::Outcome ReportParser::ReadBlankLine(bool at_end) {
  const char* d = buf_.data();
  const size_t n = buf_.size();
  size_t p = pos_;
  if (d[p] == '\r' && p + 1 == n && !at_end) return Outcome::kNeedMore;
  p += (d[p] == '\r' && p + 1 < n && d[p + 1] == '\n') ? 2 : 1;
  pos_ = p;
  ++line_;
  return Outcome::kBlank;
}

// The quoted field whose opening quote is at `open`; on kRecord its span is in spans_.
ReportParser::Quoted ReportParser::ReadQuoted(size_t open, bool at_end) {
  const char* d = buf_.data();
  const size_t n = buf_.size();
  const size_t start = open + 1;
  size_t q = start;
  bool escapes = false;
  size_t close;
  while (true) {
    const void* hit = q < n ? std::memchr(d + q, '"', n - q) : nullptr;
    if (hit == nullptr) {
      if (!at_end) return {Outcome::kNeedMore};
      record_error_ = "quoted field " + std::to_string(spans_.size() + 1) +
                      " is not closed before the end of the file";
      return {Outcome::kError};
    }
    const size_t x = static_cast<size_t>(static_cast<const char*>(hit) - d);
    if (x + 1 == n && !at_end) return {Outcome::kNeedMore};  // "" split across chunks?
    if (x + 1 < n && d[x + 1] == '"') {
      escapes = true;
      q = x + 2;
      continue;
    }
    close = x;
    break;
  }
  if (!escapes) {
    spans_.push_back({static_cast<std::int64_t>(start), close - start});
  } else {
    const size_t offset = unescaped_.size();
    for (size_t i = start; i < close; ++i) {
      unescaped_.push_back(d[i]);
      if (d[i] == '"') ++i;  // the second of a doubled quote
    }
    spans_.push_back({-static_cast<std::int64_t>(offset) - 1, unescaped_.size() - offset});
  }
  return {Outcome::kRecord, close + 1, CountLineBreaks(d + start, close - start)};
}

// Reads one record at pos_. On kRecord, spans_ holds its fields and pos_ and
// line_ are past its line end; on kNeedMore nothing moved. The loop over the
// fields stays in one function on purpose: it is the hot loop of ingestion.
ReportParser::Outcome ReportParser::ReadRecord(bool at_end) {
  const char* d = buf_.data();
  const size_t n = buf_.size();
  const char delimiter = header_.delimiter_;
  const std::array<bool, 256>& stop = delimiter == '\t' ? kTabStops.stop : kCommaStops.stop;
  size_t p = pos_;
  std::int64_t line = line_;
  record_line_ = line_;
  if (p >= n) return Outcome::kNeedMore;
  spans_.clear();
  unescaped_.clear();
  if (d[p] == '\n' || d[p] == '\r') return ReadBlankLine(at_end);

  while (true) {
    if (p < n && d[p] == '"') {
      const Quoted quoted = ReadQuoted(p, at_end);
      if (quoted.outcome != Outcome::kRecord) return quoted.outcome;
      p = quoted.end;
      line += quoted.line_breaks;
      if (p < n && !stop[static_cast<unsigned char>(d[p])]) {
        record_error_ = "text after the closing quote of field " + std::to_string(spans_.size());
        return Outcome::kError;
      }
    } else {
      const size_t start = p;
      while (p < n && !stop[static_cast<unsigned char>(d[p])]) ++p;
      spans_.push_back({static_cast<std::int64_t>(start), p - start});
    }

    if (p >= n) {
      if (!at_end) return Outcome::kNeedMore;
      break;  // last line without a line end
    }
    const char c = d[p];
    if (c == delimiter) {
      ++p;
      continue;
    }
    if (c == '\r') {
      if (p + 1 == n && !at_end) return Outcome::kNeedMore;  // is an LF next?
      p += (p + 1 < n && d[p + 1] == '\n') ? 2 : 1;
    } else {
      ++p;  // '\n'
    }
    ++line;
    break;
  }
  pos_ = p;
  line_ = line;
  return Outcome::kRecord;
}

util::Result<ParsedReport> ParseReportFile(std::string_view text) {
  ParsedReport out;
  ReportParser parser([&out](const ReportRow& row) {
    auto& values = out.rows.emplace_back();
    values.reserve(row.size());
    for (size_t i = 0; i < row.size(); ++i) {
      if (row.IsNull(i))
        values.emplace_back(std::nullopt);
      else
        values.emplace_back(std::string(row.value(i)));
    }
    return util::Status::Ok();
  });
  HDC_RETURN_IF_ERROR(parser.Feed(text));
  HDC_RETURN_IF_ERROR(parser.Finish());
  out.header = parser.header();
  return out;
}

}  // namespace hdc::download
