#include "emulator/report_writer.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace hdc::emulator {
namespace {

// Buffers output and hands it to the sink in 64 KiB pieces.
class Output {
 public:
  Output(const ReportFormat& format, const ByteSinkFn& sink) : format_(format), sink_(sink) {}
  bool Line(const std::vector<std::string>& cells) {
    for (size_t i = 0; i < cells.size(); ++i) {
      if (i > 0) buffer_ += format_.delimiter;
      Field(cells[i]);
    }
    buffer_ += format_.crlf ? "\r\n" : "\n";
    return buffer_.size() < kChunk || Flush();
  }
  void Raw(std::string_view s) { buffer_ += s; }
  bool Flush() {
    if (!open_) return false;
    if (!buffer_.empty()) open_ = sink_(buffer_);
    buffer_.clear();
    return open_;
  }

 private:
  static constexpr size_t kChunk = 64 * 1024;
  void Field(const std::string& v) {
    const bool quote =
        format_.quote_all ||
        v.find_first_of(std::string{format_.delimiter, '"', '\r', '\n'}) != std::string::npos;
    if (!quote) {
      buffer_ += v;
      return;
    }
    buffer_ += '"';
    for (char c : v) {
      if (c == '"') buffer_ += '"';
      buffer_ += c;
    }
    buffer_ += '"';
  }
  const ReportFormat& format_;
  const ByteSinkFn& sink_;
  std::string buffer_;
  bool open_ = true;
};

std::string FormatNumber(double v) {
  char buf[64];
  if (v == static_cast<double>(static_cast<long long>(v))) {
    std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(v));
  } else {
    std::snprintf(buf, sizeof buf, "%.4f", v);
    std::string s(buf);
    while (s.back() == '0') s.pop_back();
    return s;
  }
  return buf;
}

// One aggregate over one group.
struct Accumulator {
  explicit Accumulator(const Attribute& a) : attr(a) {}
  Attribute attr;
  double sum = 0;
  std::uint64_t count = 0;
  std::set<std::string> distinct;
  std::string best;
  void Add(const std::string& v) {
    ++count;
    if (attr.func == AggFunc::kSum || attr.func == AggFunc::kAvg) sum += std::atof(v.c_str());
    if (attr.func == AggFunc::kDcount) distinct.insert(v);
    if (attr.func == AggFunc::kMax || attr.func == AggFunc::kMin) {
      Attribute plain;
      plain.column = attr.column;
      const int c = CompareValues(plain, v, best);
      if (count == 1 || (attr.func == AggFunc::kMax ? c > 0 : c < 0)) best = v;
    }
  }
  std::string Value() const {
    switch (attr.func) {
      case AggFunc::kSum:
        return FormatNumber(sum);
      case AggFunc::kAvg:
        return FormatNumber(count ? sum / count : 0);
      case AggFunc::kCount:
        return std::to_string(count);
      case AggFunc::kDcount:
        return std::to_string(distinct.size());
      default:
        return best;
    }
  }
};

// A finished output line plus what ordering and `having` need to see.
struct OutRow {
  std::vector<std::string> cells;
  std::vector<std::string> extra;  // values of the extra attributes
};

class Shaper {
 public:
  Shaper(const Dataset& data, const ReportJob& job) : data_(data), job_(job), spec_(job.spec) {
    for (const auto& a : spec_.aggregates) AddAttribute(a);
    for (const auto& k : spec_.order) AddAttribute(k.attribute);
    CollectHaving(spec_.having);
  }

  void Run(Output& out) {
    std::vector<std::string> header;
    for (int c : spec_.projection) header.emplace_back(ColumnName(c));
    for (const auto& a : spec_.aggregates) header.push_back(a.text);
    if (!out.Line(header)) return;
    if (!spec_.aggregated() && spec_.order.empty()) return Stream(out);
    std::vector<OutRow> rows = spec_.aggregated() ? Aggregate() : Collect();
    Sort(rows);
    std::uint64_t written = 0;
    for (const auto& r : rows) {
      if (spec_.limit > 0 && written++ >= spec_.limit) break;
      if (!out.Line(r.cells)) return;
    }
    out.Flush();
  }

 private:
  void AddAttribute(const Attribute& a) {
    for (const auto& e : attrs_) {
      if (e.SameAs(a)) return;
    }
    attrs_.push_back(a);
  }
  void CollectHaving(const Condition& c) {
    for (const auto* list : {&c.all, &c.any}) {
      for (const auto& item : *list) {
        if (item.group)
          CollectHaving(*item.group);
        else
          AddAttribute(item.comparison->attribute);
      }
    }
  }
  size_t AttrIndex(const Attribute& a) const {
    for (size_t i = 0; i < attrs_.size(); ++i) {
      if (attrs_[i].SameAs(a)) return i;
    }
    return 0;
  }
  bool NextRow(std::uint64_t i) {
    data_.FillRow(job_.report_id, job_.exec_time, spec_.period_days, i, job_.cab_every_hours, row_);
    if (job_.long_field > 0 && i == 0) row_[kFailureName].assign(job_.long_field, 'x');
    if (job_.hostile_ids && !row_[kCabIdHash].empty() && cab_rows_++ % 3 == 0) {
      const auto& ids = HostileCabIds();
      row_[kCabIdHash] = ids[hostile_++ % ids.size()];
    }
    return Evaluate(spec_.condition, [this](const Attribute& a) { return row_[a.column]; });
  }
  std::vector<std::string> Projected() const {
    std::vector<std::string> cells;
    for (int c : spec_.projection) cells.push_back(row_[c]);
    return cells;
  }

  void Stream(Output& out) {
    std::uint64_t written = 0;
    for (std::uint64_t i = 0; i < job_.rows; ++i) {
      if (!NextRow(i)) continue;
      if (spec_.limit > 0 && written >= spec_.limit) break;
      ++written;
      if (!out.Line(Projected())) return;
    }
    out.Flush();
  }

  std::vector<OutRow> Collect() {
    std::vector<OutRow> rows;
    for (std::uint64_t i = 0; i < job_.rows; ++i) {
      if (!NextRow(i)) continue;
      OutRow r{Projected(), {}};
      for (const auto& a : attrs_) r.extra.push_back(row_[a.column]);
      rows.push_back(std::move(r));
    }
    return rows;
  }

  std::vector<OutRow> Aggregate() {
    std::map<std::vector<std::string>, std::vector<Accumulator>> groups;
    for (std::uint64_t i = 0; i < job_.rows; ++i) {
      if (!NextRow(i)) continue;
      auto [it, fresh] = groups.try_emplace(Projected());
      if (fresh) {
        for (const auto& a : attrs_) it->second.emplace_back(a);
      }
      for (auto& acc : it->second) acc.Add(row_[acc.attr.column]);
    }
    std::vector<OutRow> rows;
    for (const auto& [key, accs] : groups) {
      OutRow r{key, {}};
      for (size_t i = 0; i < attrs_.size(); ++i) {
        r.extra.push_back(attrs_[i].func == AggFunc::kNone ? ProjectedValue(key, attrs_[i])
                                                           : accs[i].Value());
      }
      auto value = [&](const Attribute& a) { return r.extra[AttrIndex(a)]; };
      if (!Evaluate(spec_.having, value)) continue;
      for (const auto& a : spec_.aggregates) r.cells.push_back(value(a));
      rows.push_back(std::move(r));
    }
    return rows;
  }

  std::string ProjectedValue(const std::vector<std::string>& key, const Attribute& a) const {
    for (size_t i = 0; i < spec_.projection.size(); ++i) {
      if (spec_.projection[i] == a.column) return key[i];
    }
    return "";
  }

  void Sort(std::vector<OutRow>& rows) const {
    if (spec_.order.empty()) return;
    std::stable_sort(rows.begin(), rows.end(), [this](const OutRow& x, const OutRow& y) {
      for (const auto& k : spec_.order) {
        const size_t i = AttrIndex(k.attribute);
        const int c = CompareValues(k.attribute, x.extra[i], y.extra[i]);
        if (c != 0) return k.descending ? c > 0 : c < 0;
      }
      return false;
    });
  }

  const Dataset& data_;
  const ReportJob& job_;
  const TemplateSpec& spec_;
  std::vector<Attribute> attrs_;  // aggregates, order keys and having attributes
  Row row_;
  std::uint64_t cab_rows_ = 0;  // rows with a cab so far (hostile_ids)
  std::uint64_t hostile_ = 0;   // hostile ids handed out so far
};

}  // namespace

const std::vector<std::string>& HostileCabIds() {
  static const auto* ids = new std::vector<std::string>{"../../etc/passwd",
                                                        "..\\..\\x",
                                                        "/etc/passwd",
                                                        "a/b",
                                                        "..",
                                                        "CON",
                                                        "-\r\nhdc-reportd: forged line"};
  return *ids;
}

void WriteReport(const Dataset& data, const ReportJob& job, const ByteSinkFn& sink) {
  Output out(job.format, sink);
  if (job.format.bom) out.Raw("\xEF\xBB\xBF");
  Shaper(data, job).Run(out);
  out.Flush();
}

}  // namespace hdc::emulator
