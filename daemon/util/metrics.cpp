#include "util/metrics.h"

#include <algorithm>
#include <array>

#include "util/logging.h"

namespace hdc::util {
namespace {

constexpr std::array<std::string_view, 5> kAllowedLabels{"account", "job", "outcome", "endpoint",
                                                         "kind"};

bool IsNameChar(char c, bool first) {
  const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  return alpha || (!first && c >= '0' && c <= '9');
}

// [a-zA-Z_][a-zA-Z0-9_]*: the Prometheus rule without the ':' reserved for
// recording rules.
bool IsValidName(std::string_view name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (!IsNameChar(name[i], i == 0)) return false;
  }
  return true;
}

}  // namespace

bool Metrics::Admit(std::string_view name, const MetricLabels& labels, MetricLabels& key) {
  if (!IsValidName(name)) {
    GetLogger("metrics")->debug("metric update dropped: invalid metric name '{}'", name);
    return false;
  }
  for (const auto& [label, value] : labels) {
    if (std::find(kAllowedLabels.begin(), kAllowedLabels.end(), label) == kAllowedLabels.end()) {
      GetLogger("metrics")->debug("metric {} update dropped: label name '{}' is not allowed", name,
                                  label);
      return false;
    }
  }
  key = labels;
  std::sort(key.begin(), key.end());
  for (std::size_t i = 1; i < key.size(); ++i) {
    if (key[i].first == key[i - 1].first) {
      GetLogger("metrics")->debug("metric {} update dropped: label '{}' given twice", name,
                                  key[i].first);
      return false;
    }
  }
  return true;
}

Metrics::Family& Metrics::FamilyFor(std::string_view name, MetricType type) {
  auto it = families_.find(name);
  if (it == families_.end()) {
    it = families_.emplace(std::string(name), Family{}).first;
    it->second.type = type;
  }
  return it->second;
}

void Metrics::Describe(std::string_view name, MetricType type, std::string_view help) {
  MetricLabels key;
  if (!Admit(name, {}, key)) return;
  std::lock_guard lock(mu_);
  Family& family = FamilyFor(name, type);
  family.type = type;
  family.help = std::string(help);
}

void Metrics::Add(std::string_view name, const MetricLabels& labels, double delta) {
  if (!(delta >= 0)) return;  // also NaN
  MetricLabels key;
  if (!Admit(name, labels, key)) return;
  std::lock_guard lock(mu_);
  FamilyFor(name, MetricType::kCounter).series[std::move(key)] += delta;
}

void Metrics::Set(std::string_view name, const MetricLabels& labels, double value) {
  MetricLabels key;
  if (!Admit(name, labels, key)) return;
  std::lock_guard lock(mu_);
  FamilyFor(name, MetricType::kGauge).series[std::move(key)] = value;
}

void Metrics::Remove(std::string_view name, const MetricLabels& labels) {
  MetricLabels key;
  if (!Admit(name, labels, key)) return;
  std::lock_guard lock(mu_);
  const auto it = families_.find(name);
  if (it != families_.end()) it->second.series.erase(key);
}

std::vector<MetricFamily> Metrics::Snapshot() const {
  std::lock_guard lock(mu_);
  std::vector<MetricFamily> out;
  out.reserve(families_.size());
  for (const auto& [name, family] : families_) {
    MetricFamily copy{name, family.type, family.help, {}};
    copy.series.reserve(family.series.size());
    for (const auto& [labels, value] : family.series) copy.series.push_back({labels, value});
    out.push_back(std::move(copy));
  }
  return out;
}

}  // namespace hdc::util
