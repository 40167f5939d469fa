// Report files: the rows of one execution, shaped by its template (view,
// projection, conditions, aggregation, having, order, limit) and written in
// the format of docs/hdc-api.md §Report files (header line; tab or comma; optional
// BOM; CRLF or LF; RFC 4180 quoting, or every field quoted).
//
// Without aggregation or ordering the file is streamed row by row in bounded
// memory, whatever the row count; aggregation and ordering hold the groups or
// the projected rows. Deterministic: the same dataset seed, job and format
// give the same bytes. Thread-safe (no shared state).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "emulator/dataset.h"
#include "emulator/template_spec.h"

namespace hdc::emulator {

struct ReportFormat {
  char delimiter = '\t';
  bool bom = false;
  bool crlf = true;
  bool quote_all = false;
};

struct ReportJob {
  TemplateSpec spec;
  std::int64_t report_id = 0;
  TimePoint exec_time;
  std::uint64_t rows = 200;
  int cab_every_hours = 6;
  ReportFormat format;
  // The hostile_ids fault: the CabIdHash of every third row that has a cab
  // (rows 0, 3, 6, ... of those) becomes one of HostileCabIds(), in turn.
  bool hostile_ids = false;
  // The long_field fault: the first row's FailureName is this many 'x'
  // characters (0 = off).
  std::uint64_t long_field = 0;
};

// Identifiers a hostile or broken server could send where an opaque token is
// expected: traversals in both separator styles, an absolute path, a nested
// name, a Windows device name, and a CR LF that would forge a log line (the
// report file quotes that cell, RFC 4180).
const std::vector<std::string>& HostileCabIds();

// Receives the file in pieces; returns false to stop early.
using ByteSinkFn = std::function<bool(std::string_view)>;

void WriteReport(const Dataset& data, const ReportJob& job, const ByteSinkFn& sink);

}  // namespace hdc::emulator
