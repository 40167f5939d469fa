// Metrics: a registry of counters and gauges that the daemon updates and the
// control listener renders (service/prometheus_text.h).
//
// A family is declared once with Describe (name without the "hdc_reportd_"
// prefix, which is added at render time); Add and Set on an undeclared name
// create it as a counter or a gauge with empty help. A series is a family plus
// a set of labels; label order does not matter ({job, outcome} and {outcome,
// job} are one series). Label names are bounded to account, job, outcome,
// endpoint and kind, so a report id, cab hash or device id can never become a label: an
// update with any other label name, a repeated label name or a malformed
// metric name is dropped with a debug log. Label values are the caller's
// business and must come from a small set (job names, outcome words).
//
// Thread-safe: every call takes one mutex; Snapshot returns a copy.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hdc::util {

// Bounded: account, job, outcome, endpoint and kind only.
using MetricLabels = std::vector<std::pair<std::string, std::string>>;

enum class MetricType { kCounter, kGauge };

struct MetricSeries {
  MetricLabels labels;  // sorted by name
  double value = 0;
};

struct MetricFamily {
  std::string name;  // without the prefix
  MetricType type = MetricType::kCounter;
  std::string help;
  std::vector<MetricSeries> series;  // sorted by labels
};

class Metrics {
 public:
  // Declares a family once (name without prefix, e.g. "cabs_fetched_total");
  // the prefix "hdc_reportd_" is added at render time. Declaring again
  // replaces the type and help and keeps the series.
  void Describe(std::string_view name, MetricType type, std::string_view help);
  // Counters: adds delta (a negative or NaN delta is ignored). A delta of 0
  // creates the series at 0, so a counter shows before its first event.
  void Add(std::string_view name, const MetricLabels& labels = {}, double delta = 1);
  // Gauges: sets the value.
  void Set(std::string_view name, const MetricLabels& labels, double value);
  // Forgets one series (e.g. a removed job's gauge); the family stays.
  void Remove(std::string_view name, const MetricLabels& labels);
  // Sorted by name, series sorted by labels.
  std::vector<MetricFamily> Snapshot() const;

 private:
  struct Family {
    MetricType type = MetricType::kCounter;
    std::string help;
    std::map<MetricLabels, double> series;
  };
  // Checks the metric name and the label names and returns the labels
  // sorted by name in `key`; false (with a debug log) when refused.
  static bool Admit(std::string_view name, const MetricLabels& labels, MetricLabels& key);
  // The family of that name, created with `type` and no help when new.
  // Requires mu_.
  Family& FamilyFor(std::string_view name, MetricType type);

  mutable std::mutex mu_;
  std::map<std::string, Family, std::less<>> families_;
};

}  // namespace hdc::util
