#include "service/prometheus_text.h"

#include <charconv>
#include <cmath>
#include <cstdint>

namespace hdc::service {
namespace {

// Below 2^53 every whole double is exact, and far beyond any count or Unix
// timestamp the daemon exports.
constexpr double kMaxExactInteger = 9007199254740992.0;

void AppendEscaped(std::string& out, std::string_view text, bool quote) {
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quote) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

std::string_view TypeName(util::MetricType type) {
  return type == util::MetricType::kGauge ? "gauge" : "counter";
}

void AppendSeries(std::string& out, std::string_view name, const util::MetricSeries& series) {
  out += kMetricPrefix;
  out += name;
  if (!series.labels.empty()) {
    out += '{';
    for (std::size_t i = 0; i < series.labels.size(); ++i) {
      if (i > 0) out += ',';
      out += series.labels[i].first;
      out += "=\"";
      AppendEscaped(out, series.labels[i].second, true);
      out += '"';
    }
    out += '}';
  }
  out += ' ';
  out += FormatMetricValue(series.value);
  out += '\n';
}

}  // namespace

std::string FormatMetricValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == 0) return "0";  // also -0
  char buf[64];
  std::to_chars_result r;
  if (value == std::trunc(value) && std::fabs(value) <= kMaxExactInteger) {
    r = std::to_chars(buf, buf + sizeof buf, static_cast<std::int64_t>(value));
  } else {
    r = std::to_chars(buf, buf + sizeof buf, value);  // shortest round-trip form
  }
  return std::string(buf, r.ptr);
}

std::string RenderPrometheusText(const std::vector<util::MetricFamily>& families) {
  std::string out;
  for (const util::MetricFamily& family : families) {
    out += "# HELP ";
    out += kMetricPrefix;
    out += family.name;
    if (!family.help.empty()) {
      out += ' ';
      AppendEscaped(out, family.help, false);
    }
    out += "\n# TYPE ";
    out += kMetricPrefix;
    out += family.name;
    out += ' ';
    out += TypeName(family.type);
    out += '\n';
    for (const util::MetricSeries& series : family.series) AppendSeries(out, family.name, series);
  }
  return out;
}

}  // namespace hdc::service
