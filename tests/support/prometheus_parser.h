// A strict parser of the Prometheus text exposition format 0.0.4, for tests
// that check what the control listener's /metrics serves.
//
// It accepts what Prometheus accepts and is stricter where a well-behaved
// exporter never strays: the text ends with a newline; HELP and TYPE come at
// most once per family and before its samples; a family's samples are
// contiguous; no series appears twice. A malformed line is a kBadData error
// "line N: why". Label values and help text come back unescaped; each
// sample's value also as written, to check number formatting ("12", not
// "12.0" or "1.2e+01").
#pragma once

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/result.h"

namespace hdc::testing {

using PromLabels = std::vector<std::pair<std::string, std::string>>;

struct PromSample {
  std::string name;
  PromLabels labels;  // in the order written
  double value = 0;
  std::string value_text;
  std::optional<std::int64_t> timestamp_ms;

  std::optional<std::string> Label(std::string_view label) const {
    for (const auto& [k, v] : labels) {
      if (k == label) return v;
    }
    return std::nullopt;
  }
};

struct PromFamily {
  std::string name;
  std::string type = "untyped";  // counter, gauge, histogram, summary, untyped
  bool has_type = false;
  std::optional<std::string> help;
  std::vector<PromSample> samples;
};

struct PromText {
  std::vector<PromFamily> families;  // in order of appearance

  const PromFamily* Find(std::string_view name) const {
    for (const PromFamily& f : families) {
      if (f.name == name) return &f;
    }
    return nullptr;
  }
  // The sample with exactly these labels (in any order).
  const PromSample* Sample(std::string_view name, PromLabels labels = {}) const {
    std::sort(labels.begin(), labels.end());
    for (const PromFamily& f : families) {
      for (const PromSample& s : f.samples) {
        PromLabels have = s.labels;
        std::sort(have.begin(), have.end());
        if (s.name == name && have == labels) return &s;
      }
    }
    return nullptr;
  }
  std::optional<double> Value(std::string_view name, PromLabels labels = {}) const {
    const PromSample* s = Sample(name, std::move(labels));
    return s != nullptr ? std::optional<double>(s->value) : std::nullopt;
  }
  std::size_t SampleCount() const {
    std::size_t n = 0;
    for (const PromFamily& f : families) n += f.samples.size();
    return n;
  }
};

namespace prom_detail {

// One line, consumed left to right. Errors are kept in `error`; once set,
// every step fails.
class Cursor {
 public:
  explicit Cursor(std::string_view line) : rest_(line) {}

  bool AtEnd() const { return rest_.empty(); }
  char Peek() const { return rest_.empty() ? '\0' : rest_.front(); }
  bool Eat(char c) {
    if (Peek() != c || rest_.empty()) return false;
    rest_.remove_prefix(1);
    return true;
  }
  // Skips blanks and tabs; returns how many.
  std::size_t SkipBlanks() {
    std::size_t n = 0;
    while (!rest_.empty() && (rest_.front() == ' ' || rest_.front() == '\t')) {
      rest_.remove_prefix(1);
      ++n;
    }
    return n;
  }
  // [a-zA-Z_:][a-zA-Z0-9_:]* for metrics, without ':' for labels.
  std::optional<std::string> Name(bool metric) {
    std::size_t n = 0;
    while (n < rest_.size() && IsNameChar(rest_[n], n == 0, metric)) ++n;
    if (n == 0) return std::nullopt;
    std::string out(rest_.substr(0, n));
    rest_.remove_prefix(n);
    return out;
  }
  // Up to the next blank or tab, or the end.
  std::string_view Token() {
    std::size_t n = 0;
    while (n < rest_.size() && rest_[n] != ' ' && rest_[n] != '\t') ++n;
    const std::string_view out = rest_.substr(0, n);
    rest_.remove_prefix(n);
    return out;
  }
  std::string_view Rest() {
    const std::string_view out = rest_;
    rest_ = {};
    return out;
  }

 private:
  static bool IsNameChar(char c, bool first, bool metric) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') return true;
    if (c == ':') return metric;
    return !first && c >= '0' && c <= '9';
  }
  std::string_view rest_;
};

// Undoes \\ and \n (and \" when quoted); other escapes are errors.
inline std::optional<std::string> Unescape(std::string_view text, bool quoted) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      out += text[i];
      continue;
    }
    if (++i == text.size()) return std::nullopt;
    if (text[i] == '\\') {
      out += '\\';
    } else if (text[i] == 'n') {
      out += '\n';
    } else if (text[i] == '"' && quoted) {
      out += '"';
    } else {
      return std::nullopt;
    }
  }
  return out;
}

inline std::optional<double> ParseValue(std::string_view text) {
  if (text == "NaN") return std::numeric_limits<double>::quiet_NaN();
  if (text == "+Inf" || text == "Inf") return std::numeric_limits<double>::infinity();
  if (text == "-Inf") return -std::numeric_limits<double>::infinity();
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (text.empty() || text.front() == '+' || text.front() == 'i' || text.front() == 'n') {
    return std::nullopt;
  }
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// A quoted label value after the opening quote, up to the closing quote.
inline std::optional<std::string> QuotedValue(Cursor& c) {
  std::string raw;
  while (!c.AtEnd() && c.Peek() != '"') {
    const char ch = c.Peek();
    c.Eat(ch);
    raw += ch;
    if (ch != '\\') continue;
    if (c.AtEnd()) return std::nullopt;
    const char escaped = c.Peek();
    c.Eat(escaped);
    raw += escaped;
  }
  if (!c.Eat('"')) return std::nullopt;
  return Unescape(raw, true);
}

// {name="value",...} after the opening brace; an empty string when good,
// else why not.
inline std::string Labels(Cursor& c, PromLabels& labels) {
  std::set<std::string> seen;
  while (true) {
    c.SkipBlanks();
    if (c.Eat('}')) return "";
    const std::optional<std::string> name = c.Name(false);
    if (!name) return "invalid label name";
    if (name->rfind("__", 0) == 0) return "label name " + *name + " is reserved";
    if (!seen.insert(*name).second) return "label " + *name + " given twice";
    c.SkipBlanks();
    if (!c.Eat('=')) return "expected '=' after label " + *name;
    c.SkipBlanks();
    if (!c.Eat('"')) return "expected a quoted value for label " + *name;
    std::optional<std::string> value = QuotedValue(c);
    if (!value) return "bad quoting in the value of label " + *name;
    labels.emplace_back(*name, std::move(*value));
    c.SkipBlanks();
    if (c.Eat('}')) return "";
    if (!c.Eat(',')) return "expected ',' or '}' after label " + *name;
  }
}

class Parser {
 public:
  util::Result<PromText> Run(std::string_view text) {
    if (!text.empty() && text.back() != '\n') return util::BadDataError("no newline at the end");
    int number = 0;
    while (!text.empty()) {
      const std::size_t nl = text.find('\n');
      const std::string_view line = text.substr(0, nl);
      text.remove_prefix(nl + 1);
      ++number;
      const std::string why = Line(line);
      if (!why.empty()) {
        return util::BadDataError("line " + std::to_string(number) + ": " + why + ": " +
                                  std::string(line));
      }
    }
    return std::move(out_);
  }

 private:
  std::string Line(std::string_view line) {
    if (line.empty()) return "";
    if (line.front() == '#') return Comment(line.substr(1));
    return SampleLine(line);
  }

  std::string Comment(std::string_view body) {
    Cursor c(body);
    if (c.SkipBlanks() == 0) return "";  // "#x": a plain comment
    const std::string_view keyword = c.Token();
    if (keyword != "HELP" && keyword != "TYPE") return "";  // a plain comment
    if (c.SkipBlanks() == 0) return "expected a metric name after " + std::string(keyword);
    const std::optional<std::string> name = c.Name(true);
    if (!name) return "invalid metric name in " + std::string(keyword);
    if (!c.AtEnd() && c.SkipBlanks() == 0) return "invalid metric name in " + std::string(keyword);
    PromFamily* family = Open(*name);
    if (family == nullptr) return "family " + *name + " appears twice";
    if (keyword == "HELP") {
      if (family->help) return "second HELP for " + *name;
      std::optional<std::string> help = Unescape(c.Rest(), false);
      if (!help) return "invalid escape in HELP";
      family->help = std::move(*help);
      return "";
    }
    if (family->has_type) return "second TYPE for " + *name;
    if (!family->samples.empty()) return "TYPE after samples of " + *name;
    const std::string_view type = c.Token();
    c.SkipBlanks();
    static const std::set<std::string_view> kTypes{"counter", "gauge", "histogram", "summary",
                                                   "untyped"};
    if (!c.AtEnd() || kTypes.count(type) == 0) return "invalid TYPE for " + *name;
    family->type = std::string(type);
    family->has_type = true;
    return "";
  }

  std::string SampleLine(std::string_view line) {
    Cursor c(line);
    PromSample sample;
    const std::optional<std::string> name = c.Name(true);
    if (!name) return "invalid metric name";
    sample.name = *name;
    std::size_t blanks = c.SkipBlanks();
    if (c.Eat('{')) {
      const std::string why = Labels(c, sample.labels);
      if (!why.empty()) return why;
      blanks = c.SkipBlanks();
    }
    if (blanks == 0) return "expected a blank before the value";
    sample.value_text = std::string(c.Token());
    const std::optional<double> value = ParseValue(sample.value_text);
    if (!value) return "invalid value '" + sample.value_text + "'";
    sample.value = *value;
    c.SkipBlanks();
    if (!c.AtEnd()) {
      const std::string_view ts = c.Token();
      std::int64_t ms = 0;
      const auto [end, ec] = std::from_chars(ts.data(), ts.data() + ts.size(), ms);
      if (ec != std::errc() || end != ts.data() + ts.size()) return "invalid timestamp";
      sample.timestamp_ms = ms;
      c.SkipBlanks();
      if (!c.AtEnd()) return "text after the timestamp";
    }
    return Add(std::move(sample));
  }

  std::string Add(PromSample sample) {
    PromFamily* family = Open(FamilyName(sample.name));
    if (family == nullptr) return "samples of " + sample.name + " are not together";
    PromLabels key = sample.labels;
    std::sort(key.begin(), key.end());
    if (!series_.emplace(sample.name, std::move(key)).second) return "duplicate series";
    family->samples.push_back(std::move(sample));
    return "";
  }

  // Histograms and summaries own name_bucket, name_sum and name_count.
  std::string FamilyName(const std::string& sample) const {
    for (std::string_view suffix : {"_bucket", "_sum", "_count"}) {
      if (sample.size() <= suffix.size() ||
          sample.compare(sample.size() - suffix.size(), suffix.size(), suffix) != 0) {
        continue;
      }
      const std::string base = sample.substr(0, sample.size() - suffix.size());
      const auto it = index_.find(base);
      if (it == index_.end()) continue;
      const std::string& type = out_.families[it->second].type;
      if (type == "histogram" || type == "summary") return base;
    }
    return sample;
  }

  // The family to add to: the current one, or a new one. Null when the
  // family was seen before and another one came in between.
  PromFamily* Open(const std::string& name) {
    const auto it = index_.find(name);
    if (it == index_.end()) {
      index_[name] = out_.families.size();
      out_.families.push_back(PromFamily{name, "untyped", false, std::nullopt, {}});
      return &out_.families.back();
    }
    if (it->second + 1 != out_.families.size()) return nullptr;
    return &out_.families.back();
  }

  PromText out_;
  std::map<std::string, std::size_t> index_;
  std::set<std::pair<std::string, PromLabels>> series_;
};

}  // namespace prom_detail

inline util::Result<PromText> ParsePrometheusText(std::string_view text) {
  return prom_detail::Parser().Run(text);
}

}  // namespace hdc::testing
