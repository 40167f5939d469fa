// Fuzz target: the report file parser (download/report_parser.h), tab or
// comma, BOM, CRLF/LF/CR, quotes, fed in chunks whose sizes come from the
// input, so chunk boundaries land anywhere (inside the BOM, a quoted field,
// between CR and LF). The first byte says how many of the following bytes
// are chunk sizes (0-15); the rest is the file. Properties, abort on
// violation: every row has the header's width; the rows the handler saw are
// the parser's count; the result equals that of the whole text parsed at
// once (download::ParseReportFile), rows and error alike.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "download/report_parser.h"
#include "fuzz_input.h"

namespace {

using hdc::fuzz::AsText;
using hdc::fuzz::TakeByte;
using Rows = std::vector<std::vector<std::optional<std::string>>>;

void Check(bool ok) {
  if (!ok) std::abort();
}

struct Outcome {
  Rows rows;
  std::string error;
};

Outcome ParseInChunks(std::string_view file, const std::vector<size_t>& sizes) {
  Outcome outcome;
  hdc::download::ReportParser parser([&](const hdc::download::ReportRow& row) {
    Check(row.size() == row.header().size());
    auto& values = outcome.rows.emplace_back();
    for (size_t i = 0; i < row.size(); ++i) {
      if (row.IsNull(i)) {
        values.emplace_back();
      } else {
        values.emplace_back(std::string(row.value(i)));
      }
    }
    return hdc::util::Status::Ok();
  });
  hdc::util::Status status;
  for (size_t i = 0; status.ok() && !file.empty(); ++i) {
    size_t n = sizes.empty() ? file.size() : sizes[i % sizes.size()];
    if (n == 0) {
      status = parser.Feed({});  // an empty chunk changes nothing
      n = 1;
    }
    if (status.ok()) status = parser.Feed(file.substr(0, n));
    file.remove_prefix(std::min(n, file.size()));
  }
  if (status.ok()) status = parser.Finish();
  if (!status.ok()) outcome.error = status.message();
  Check(!status.ok() || parser.rows() == static_cast<std::int64_t>(outcome.rows.size()));
  return outcome;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text = AsText(data, size);
  const uint8_t count_byte = TakeByte(&text);  // before text.size(): TakeByte shortens it
  const size_t count = std::min<size_t>(count_byte % 16, text.size());
  std::vector<size_t> sizes;
  for (size_t i = 0; i < count; ++i) sizes.push_back(TakeByte(&text) % 64);
  const Outcome chunked = ParseInChunks(text, sizes);
  auto whole = hdc::download::ParseReportFile(text);
  if (whole.ok()) {
    Check(chunked.error.empty() && chunked.rows == whole->rows);
  } else {
    Check(chunked.error == whole.status().message());
  }
  return 0;
}
