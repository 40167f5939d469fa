#include "util/metrics.h"

#include <algorithm>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

namespace hdc::util {
namespace {

// The value of one series, or -1 when it is missing.
double ValueOf(const Metrics& metrics, std::string_view name, MetricLabels labels = {}) {
  std::sort(labels.begin(), labels.end());
  for (const MetricFamily& family : metrics.Snapshot()) {
    if (family.name != name) continue;
    for (const MetricSeries& series : family.series) {
      if (series.labels == labels) return series.value;
    }
  }
  return -1;
}

const MetricFamily* FindFamily(const std::vector<MetricFamily>& families, std::string_view name) {
  for (const MetricFamily& family : families) {
    if (family.name == name) return &family;
  }
  return nullptr;
}

TEST_CASE("metrics: Add accumulates a counter and ignores negative and NaN deltas") {
  Metrics metrics;
  metrics.Describe("cabs_fetched_total", MetricType::kCounter, "Cabs fetched.");
  metrics.Add("cabs_fetched_total", {{"job", "a"}});
  metrics.Add("cabs_fetched_total", {{"job", "a"}}, 2.5);
  metrics.Add("cabs_fetched_total", {{"job", "a"}}, -10);
  metrics.Add("cabs_fetched_total", {{"job", "a"}}, std::numeric_limits<double>::quiet_NaN());
  CHECK(ValueOf(metrics, "cabs_fetched_total", {{"job", "a"}}) == 3.5);
  metrics.Add("cabs_fetched_total", {{"job", "b"}}, 0);  // created at 0
  CHECK(ValueOf(metrics, "cabs_fetched_total", {{"job", "b"}}) == 0);
}

TEST_CASE("metrics: Set replaces a gauge and Remove forgets one series") {
  Metrics metrics;
  metrics.Describe("job_last_success_timestamp_seconds", MetricType::kGauge, "Last success.");
  metrics.Set("job_last_success_timestamp_seconds", {{"job", "a"}}, 1764140400);
  metrics.Set("job_last_success_timestamp_seconds", {{"job", "a"}}, 1764144000);
  metrics.Set("job_last_success_timestamp_seconds", {{"job", "b"}}, 5);
  CHECK(ValueOf(metrics, "job_last_success_timestamp_seconds", {{"job", "a"}}) == 1764144000);
  metrics.Remove("job_last_success_timestamp_seconds", {{"job", "a"}});
  CHECK(ValueOf(metrics, "job_last_success_timestamp_seconds", {{"job", "a"}}) == -1);
  CHECK(ValueOf(metrics, "job_last_success_timestamp_seconds", {{"job", "b"}}) == 5);
  metrics.Remove("no_such_family", {{"job", "a"}});  // harmless, creates nothing
  CHECK(FindFamily(metrics.Snapshot(), "no_such_family") == nullptr);
}

TEST_CASE("metrics: Snapshot sorts families by name and series by labels, in any label order") {
  Metrics metrics;
  metrics.Add("zeta_total", {{"outcome", "ok"}, {"job", "b"}});
  metrics.Add("alpha_total", {{"job", "b"}});
  metrics.Add("alpha_total", {{"job", "a"}});
  metrics.Add("zeta_total", {{"job", "b"}, {"outcome", "ok"}});  // the same series
  metrics.Add("zeta_total", {{"job", "a"}, {"outcome", "ok"}});
  const std::vector<MetricFamily> families = metrics.Snapshot();
  REQUIRE(families.size() == 2);
  CHECK(families[0].name == "alpha_total");
  CHECK(families[1].name == "zeta_total");
  REQUIRE(families[0].series.size() == 2);
  CHECK(families[0].series[0].labels == MetricLabels{{"job", "a"}});
  CHECK(families[0].series[1].labels == MetricLabels{{"job", "b"}});
  REQUIRE(families[1].series.size() == 2);
  CHECK(families[1].series[0].labels == MetricLabels{{"job", "a"}, {"outcome", "ok"}});
  CHECK(families[1].series[1].labels == MetricLabels{{"job", "b"}, {"outcome", "ok"}});
  CHECK(families[1].series[1].value == 2);
}

TEST_CASE("metrics: an undescribed name becomes a counter on Add and a gauge on Set") {
  Metrics metrics;
  metrics.Add("events_total");
  metrics.Set("queue_length", {}, 4);
  const std::vector<MetricFamily> families = metrics.Snapshot();
  const MetricFamily* counter = FindFamily(families, "events_total");
  const MetricFamily* gauge = FindFamily(families, "queue_length");
  REQUIRE(counter != nullptr);
  REQUIRE(gauge != nullptr);
  CHECK(counter->type == MetricType::kCounter);
  CHECK(counter->help.empty());
  CHECK(gauge->type == MetricType::kGauge);
  CHECK(gauge->help.empty());
}

TEST_CASE("metrics: Describe after updates sets type and help and keeps the series") {
  Metrics metrics;
  metrics.Set("free_bytes", {}, 10);
  metrics.Describe("free_bytes", MetricType::kGauge, "Free space.");
  metrics.Describe("empty_family_total", MetricType::kCounter, "Nothing yet.");
  const std::vector<MetricFamily> families = metrics.Snapshot();
  const MetricFamily* free = FindFamily(families, "free_bytes");
  REQUIRE(free != nullptr);
  CHECK(free->help == "Free space.");
  REQUIRE(free->series.size() == 1);
  CHECK(free->series[0].value == 10);
  const MetricFamily* empty = FindFamily(families, "empty_family_total");
  REQUIRE(empty != nullptr);
  CHECK(empty->series.empty());
}

TEST_CASE("metrics: label names outside account, job, outcome, endpoint and kind are refused") {
  Metrics metrics;
  metrics.Add("reports_total", {{"job", "a"}, {"report_id", "123"}});
  metrics.Add("reports_total", {{"cab_hash", "abc"}});
  metrics.Set("reports_total", {{"device_id", "PCI\\VEN"}}, 1);
  metrics.Add("reports_total", {{"job", "a"}, {"job", "b"}});  // a name given twice
  metrics.Add("bad name", {});                                 // not a metric name
  metrics.Add("9starts_with_digit", {});
  for (const MetricFamily& family : metrics.Snapshot()) {
    INFO(family.name);
    CHECK(family.series.empty());
    CHECK(family.name != "bad name");
    CHECK(family.name != "9starts_with_digit");
  }
  metrics.Add(
      "reports_total",
      {{"account", "b"}, {"job", "a"}, {"outcome", "ok"}, {"endpoint", "cabs"}, {"kind", "x"}});
  CHECK(ValueOf(metrics, "reports_total",
                {{"account", "b"},
                 {"job", "a"},
                 {"outcome", "ok"},
                 {"endpoint", "cabs"},
                 {"kind", "x"}}) == 1);
}

TEST_CASE("metrics: concurrent updates from several threads all count") {
  Metrics metrics;
  constexpr int kThreads = 4;
  constexpr int kPerThread = 5000;
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&metrics, t] {
        const std::string job = "job" + std::to_string(t % 2);
        for (int i = 0; i < kPerThread; ++i) {
          metrics.Add("work_total", {{"job", job}});
          metrics.Set("last_seen", {{"job", job}}, i);
          if (i % 100 == 0) (void)metrics.Snapshot();
        }
      });
    }
  }
  CHECK(ValueOf(metrics, "work_total", {{"job", "job0"}}) == 2 * kPerThread);
  CHECK(ValueOf(metrics, "work_total", {{"job", "job1"}}) == 2 * kPerThread);
  CHECK(ValueOf(metrics, "last_seen", {{"job", "job0"}}) == kPerThread - 1);
}

}  // namespace
}  // namespace hdc::util
