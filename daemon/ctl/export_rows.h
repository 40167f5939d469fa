// The row formats of hdc-reportctl export: CSV that is safe to open in a
// spreadsheet, and JSON Lines. Both carry the same columns in the same
// order; device_id and hardware_id only when asked for.
//
// CSV follows RFC 4180: a header line, CRLF line ends, a cell quoted when it
// holds a comma, a quote, CR or LF, and inner quotes doubled. A text cell
// that begins with = + - @ TAB CR or NUL is a formula (or may become one) to
// a spreadsheet, so it gets a leading ' and is then quoted (OWASP CSV
// injection; ASVS 1.2.10; docs/reliability.md §Security checklist, S11).
// Numbers are written by us (digits only) and an absent value is an empty cell.
// Other control characters (ESC, NUL, C1, bidirectional overrides) and bytes
// that are not UTF-8 are written escaped, as util::Printable shows them
// (\x1b, \u{202e}), never raw (S12).
//
// JSON Lines: one object per line, each value as stored (JSON escaping only,
// no ' prefix), null for an absent value; invalid UTF-8 is replaced (U+FFFD).
#pragma once

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "ctl/output.h"
#include "db/listings.h"

namespace hdc::ctl {

// The export's column names, in order.
std::vector<std::string_view> ExportColumns(bool with_device_ids);

// One CSV cell: prefixed and quoted as described above.
std::string CsvCell(std::string_view raw);

// The row as one JSON object with ExportColumns() as keys, in order.
Json FailureJson(const db::FailureRow& row, bool with_device_ids);

void WriteCsvHeader(std::ostream& out, bool with_device_ids);
void WriteCsvRow(std::ostream& out, const db::FailureRow& row, bool with_device_ids);
void WriteJsonLine(std::ostream& out, const db::FailureRow& row, bool with_device_ids);

}  // namespace hdc::ctl
