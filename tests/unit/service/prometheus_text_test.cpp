#include "service/prometheus_text.h"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "support/prometheus_parser.h"

namespace hdc::service {
namespace {

using testing::ParsePrometheusText;
using testing::PromText;
using util::MetricFamily;
using util::Metrics;
using util::MetricType;

PromText Parse(const std::string& text) {
  auto parsed = ParsePrometheusText(text);
  INFO(parsed.status().message(), "\n", text);
  REQUIRE(parsed.ok());
  return *parsed;
}

TEST_CASE("prometheus text: HELP and TYPE with the prefix, also for a family without series") {
  Metrics metrics;
  metrics.Describe("cabs_fetched_total", MetricType::kCounter, "Cabs downloaded and verified.");
  metrics.Describe("free_bytes", MetricType::kGauge, "Free space in the store.");
  metrics.Describe("untouched_total", MetricType::kCounter, "Never incremented.");
  metrics.Add("cabs_fetched_total", {{"job", "a"}, {"outcome", "ok"}}, 12);
  metrics.Set("free_bytes", {}, 1073741824);
  const std::string text = RenderPrometheusText(metrics.Snapshot());
  CHECK(text ==
        "# HELP hdc_reportd_cabs_fetched_total Cabs downloaded and verified.\n"
        "# TYPE hdc_reportd_cabs_fetched_total counter\n"
        "hdc_reportd_cabs_fetched_total{job=\"a\",outcome=\"ok\"} 12\n"
        "# HELP hdc_reportd_free_bytes Free space in the store.\n"
        "# TYPE hdc_reportd_free_bytes gauge\n"
        "hdc_reportd_free_bytes 1073741824\n"
        "# HELP hdc_reportd_untouched_total Never incremented.\n"
        "# TYPE hdc_reportd_untouched_total counter\n");
  const PromText parsed = Parse(text);
  REQUIRE(parsed.families.size() == 3);
  CHECK(parsed.families[0].type == "counter");
  CHECK(parsed.families[1].type == "gauge");
  CHECK(parsed.families[2].samples.empty());
  CHECK(parsed.Value("hdc_reportd_cabs_fetched_total", {{"outcome", "ok"}, {"job", "a"}}) == 12);
}

TEST_CASE("prometheus text: label values escape backslash, double quote and newline") {
  Metrics metrics;
  const std::string nasty = "C:\\jobs\\\"x\"\nline2";
  metrics.Add("runs_total", {{"job", nasty}});
  const std::string text = RenderPrometheusText(metrics.Snapshot());
  CHECK(text.find(R"(job="C:\\jobs\\\"x\"\nline2")") != std::string::npos);
  const PromText parsed = Parse(text);
  REQUIRE(parsed.SampleCount() == 1);
  CHECK(parsed.families[0].samples[0].Label("job") == nasty);
}

TEST_CASE("prometheus text: help escapes backslash and newline, and may be empty") {
  const std::vector<MetricFamily> families{
      {"a_total", MetricType::kCounter, "two\nlines with a \\ and \"quotes\"", {}},
      {"b_total", MetricType::kCounter, "", {}},
  };
  const std::string text = RenderPrometheusText(families);
  CHECK(text.find("# HELP hdc_reportd_a_total two\\nlines with a \\\\ and \"quotes\"\n") !=
        std::string::npos);
  CHECK(text.find("# HELP hdc_reportd_b_total\n") != std::string::npos);
  const PromText parsed = Parse(text);
  CHECK(parsed.Find("hdc_reportd_a_total")->help == families[0].help);
  CHECK(parsed.Find("hdc_reportd_b_total")->help == "");
}

TEST_CASE("prometheus text: whole numbers print as integers, timestamps with no exponent") {
  CHECK(FormatMetricValue(0) == "0");
  CHECK(FormatMetricValue(-0.0) == "0");
  CHECK(FormatMetricValue(12) == "12");
  CHECK(FormatMetricValue(-3) == "-3");
  CHECK(FormatMetricValue(1.5) == "1.5");
  CHECK(FormatMetricValue(0.25) == "0.25");
  CHECK(FormatMetricValue(1764140400) == "1764140400");
  CHECK(FormatMetricValue(1764140400.5) == "1764140400.5");
  CHECK(FormatMetricValue(1099511627776.0) == "1099511627776");  // 1 TiB in bytes
  CHECK(FormatMetricValue(9007199254740992.0) == "9007199254740992");
  CHECK(FormatMetricValue(std::numeric_limits<double>::quiet_NaN()) == "NaN");
  CHECK(FormatMetricValue(std::numeric_limits<double>::infinity()) == "+Inf");
  CHECK(FormatMetricValue(-std::numeric_limits<double>::infinity()) == "-Inf");
  // Beyond exact integers, any form Prometheus reads back exactly.
  const std::string big = FormatMetricValue(1e20);
  CHECK(std::stod(big) == 1e20);

  Metrics metrics;
  metrics.Set("job_last_success_timestamp_seconds", {{"job", "a"}}, 1764140400);
  const PromText parsed = Parse(RenderPrometheusText(metrics.Snapshot()));
  REQUIRE(parsed.SampleCount() == 1);
  CHECK(parsed.families[0].samples[0].value_text == "1764140400");
}

TEST_CASE("prometheus parser: accepts the forms Prometheus accepts") {
  const PromText parsed = Parse(
      "# a plain comment\n"
      "\n"
      "# HELP http_requests_total The total.\n"
      "# TYPE http_requests_total counter\n"
      "http_requests_total{method=\"post\",code=\"200\",} 1027 1395066363000\n"
      "http_requests_total{ method = \"get\" } +Inf\n"
      "# TYPE latency histogram\n"
      "latency_bucket{le=\"0.5\"} 3\n"
      "latency_bucket{le=\"+Inf\"} 4\n"
      "latency_sum 1.5e-3\n"
      "latency_count 4\n"
      "metric_without_type_or_help\t-7\n");
  REQUIRE(parsed.families.size() == 3);
  CHECK(parsed.families[0].samples.size() == 2);
  CHECK(parsed.families[0].samples[0].timestamp_ms == 1395066363000);
  CHECK(std::isinf(*parsed.Value("http_requests_total", {{"method", "get"}})));
  CHECK(parsed.families[1].samples.size() == 4);
  CHECK(parsed.families[2].type == "untyped");
  CHECK(parsed.Value("metric_without_type_or_help") == -7);
  CHECK(Parse("").families.empty());
}

TEST_CASE("prometheus parser: rejects malformed lines") {
  const char* const bad[] = {
      "m 1",                                    // no final newline
      "m\n",                                    // no value
      "m 1 2 3\n",                              // text after the timestamp
      "m one\n",                                // not a number
      "m 1.5.5\n",                              // not a number
      "m 12abc\n",                              // not a number
      "m{job=\"a\"}1\n",                        // no blank before the value
      "m{job=a} 1\n",                           // unquoted value
      "m{job=\"a} 1\n",                         // unterminated quote
      "m{job=\"a\\x\"} 1\n",                    // unknown escape
      "m{job=\"a\",job=\"b\"} 1\n",             // repeated label
      "m{__name__=\"x\"} 1\n",                  // reserved label
      "m{1job=\"a\"} 1\n",                      // invalid label name
      "m{job=\"a\" 1\n",                        // unterminated labels
      "1m 1\n",                                 // invalid metric name
      "m-x 1\n",                                // invalid metric name
      "# TYPE m counter\n# TYPE m gauge\n",     // second TYPE
      "# HELP m a\n# HELP m b\n",               // second HELP
      "# TYPE m sometype\n",                    // unknown type
      "# TYPE m counter extra\n",               // text after the type
      "m 1\n# TYPE m counter\n",                // TYPE after samples
      "m 1\nm 2\n",                             // duplicate series
      "m{job=\"a\"} 1\nn 1\nm{job=\"b\"} 1\n",  // family split in two
      "# HELP m bad \\t escape\n",              // unknown escape in HELP
      "m 1 12.5\n",                             // timestamp not an integer
  };
  for (const char* text : bad) {
    INFO("text: ", text);
    CHECK_FALSE(ParsePrometheusText(text).ok());
  }
  const auto error = ParsePrometheusText("ok 1\nm one\n");
  REQUIRE_FALSE(error.ok());
  CHECK(error.status().message().find("line 2") != std::string::npos);
}

}  // namespace
}  // namespace hdc::service
