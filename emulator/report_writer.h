// Report files: the rows of one execution, shaped by its template (view,
// projection, conditions, aggregation, having, order, limit) and written in
// the format of hdc-api.md section 6 (header line; tab or comma; optional
// BOM; CRLF or LF; RFC 4180 quoting, or every field quoted).
//
// Without aggregation or ordering the file is streamed row by row in bounded
// memory, whatever the row count; aggregation and ordering hold the groups or
// the projected rows. Deterministic: the same dataset seed, job and format
// give the same bytes. Thread-safe (no shared state).
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

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
};

// Receives the file in pieces; returns false to stop early.
using ByteSinkFn = std::function<bool(std::string_view)>;

void WriteReport(const Dataset& data, const ReportJob& job, const ByteSinkFn& sink);

}  // namespace hdc::emulator
