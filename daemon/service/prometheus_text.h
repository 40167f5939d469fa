// Renders a metrics snapshot in the Prometheus text exposition format 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/), the body
// of the control listener's GET /metrics.
//
// Every family gets "# HELP" and "# TYPE" lines, also when it has no series;
// names get the "hdc_reportd_" prefix. Label values escape backslash, double
// quote and newline; help text escapes backslash and newline. Whole numbers
// print as integers (12, 1764140400, never 1.7e+09); other values in the
// shortest form that reads back exactly; NaN and infinities as NaN, +Inf,
// -Inf.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "util/metrics.h"

namespace hdc::service {

inline constexpr std::string_view kMetricPrefix = "hdc_reportd_";
// The Content-Type of the rendered text.
inline constexpr std::string_view kPrometheusContentType =
    "text/plain; version=0.0.4; charset=utf-8";

std::string RenderPrometheusText(const std::vector<util::MetricFamily>& families);

// One sample value as RenderPrometheusText prints it.
std::string FormatMetricValue(double value);

}  // namespace hdc::service
