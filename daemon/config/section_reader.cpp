#include "config/section_reader.h"

#include <charconv>

#include "util/time_format.h"
#include "util/url.h"

namespace hdc::config {

std::vector<std::string> SplitList(std::string_view text) {
  std::vector<std::string> items;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find(',', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view item = text.substr(pos, end - pos);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    items.emplace_back(item);
    pos = end + 1;
  }
  return items;
}

const IniEntry* SectionReader::Find(std::string_view key) {
  for (const IniEntry& e : section_.entries) {
    if (e.key == key) {
      read_.insert(e.key);
      return &e;
    }
  }
  return nullptr;
}

bool SectionReader::Has(std::string_view key) const {
  for (const IniEntry& e : section_.entries) {
    if (e.key == key) return true;
  }
  return false;
}

std::string SectionReader::Where(const IniEntry& entry) const {
  return source_ + ":" + std::to_string(entry.line) + ": [" + section_.name + "] " + entry.key;
}

util::Status SectionReader::KeyError(const IniEntry& entry, std::string_view problem) const {
  return util::ConfigError(Where(entry) + ": " + std::string(problem));
}

util::Status SectionReader::SectionError(std::string_view problem) const {
  return util::ConfigError(source_ + ":" + std::to_string(section_.line) + ": [" + section_.name +
                           "]: " + std::string(problem));
}

util::Status SectionReader::GetString(std::string_view key, std::string* out) {
  if (const IniEntry* e = Find(key)) *out = e->value;
  return util::Status::Ok();
}

util::Status SectionReader::RequireString(std::string_view key, std::string* out) {
  const IniEntry* e = Find(key);
  if (e == nullptr || e->value.empty()) {
    return SectionError("missing required key '" + std::string(key) + "'");
  }
  *out = e->value;
  return util::Status::Ok();
}

util::Status SectionReader::GetBool(std::string_view key, bool* out) {
  const IniEntry* e = Find(key);
  if (e == nullptr) return util::Status::Ok();
  if (e->value == "yes" || e->value == "true" || e->value == "on" || e->value == "1") {
    *out = true;
  } else if (e->value == "no" || e->value == "false" || e->value == "off" || e->value == "0") {
    *out = false;
  } else {
    return KeyError(*e, "expected yes or no, got '" + e->value + "'");
  }
  return util::Status::Ok();
}

util::Status SectionReader::GetInt(std::string_view key, std::int64_t min, std::int64_t max,
                                   std::int64_t* out) {
  const IniEntry* e = Find(key);
  if (e == nullptr) return util::Status::Ok();
  std::int64_t value = 0;
  const std::string& v = e->value;
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), value);
  if (v.empty() || ec != std::errc() || ptr != v.data() + v.size()) {
    return KeyError(*e, "expected a whole number, got '" + v + "'");
  }
  if (value < min || value > max) {
    return KeyError(*e, std::to_string(value) + " is out of range [" + std::to_string(min) + ", " +
                            std::to_string(max) + "]");
  }
  *out = value;
  return util::Status::Ok();
}

util::Status SectionReader::GetDuration(std::string_view key, std::chrono::seconds min,
                                        std::chrono::seconds max, std::chrono::seconds* out) {
  const IniEntry* e = Find(key);
  if (e == nullptr) return util::Status::Ok();
  auto d = util::ParseDuration(e->value);
  if (!d.ok()) return KeyError(*e, d.status().message());
  if (*d < min) {
    return KeyError(*e, e->value + " is below the minimum of " + util::FormatDuration(min));
  }
  if (*d > max) {
    return KeyError(*e, e->value + " is above the maximum of " + util::FormatDuration(max));
  }
  *out = *d;
  return util::Status::Ok();
}

util::Status SectionReader::GetByteSize(std::string_view key, std::uint64_t* out) {
  const IniEntry* e = Find(key);
  if (e == nullptr) return util::Status::Ok();
  auto size = util::ParseByteSize(e->value);
  if (!size.ok()) return KeyError(*e, size.status().message());
  *out = *size;
  return util::Status::Ok();
}

util::Status SectionReader::GetUrl(std::string_view key, std::string* out) {
  const IniEntry* e = Find(key);
  if (e == nullptr || e->value.empty()) return util::Status::Ok();
  util::Status policy = util::CheckUrlPolicy(e->value);
  if (!policy.ok()) return KeyError(*e, policy.message());
  *out = e->value;
  while (!out->empty() && out->back() == '/') out->pop_back();
  return util::Status::Ok();
}

util::Status SectionReader::GetChoice(std::string_view key,
                                      const std::vector<std::string_view>& choices, size_t* out) {
  const IniEntry* e = Find(key);
  if (e == nullptr) return util::Status::Ok();
  for (size_t i = 0; i < choices.size(); ++i) {
    if (e->value == choices[i]) {
      *out = i;
      return util::Status::Ok();
    }
  }
  std::string list;
  for (std::string_view c : choices) list += (list.empty() ? "" : ", ") + std::string(c);
  return KeyError(*e, "expected one of " + list + ", got '" + e->value + "'");
}

util::Status SectionReader::GetList(std::string_view key, std::vector<std::string>* out) {
  const IniEntry* e = Find(key);
  if (e == nullptr) return util::Status::Ok();
  out->clear();
  if (e->value.empty()) return util::Status::Ok();
  for (std::string& item : SplitList(e->value)) {
    if (item.empty()) return KeyError(*e, "empty item in the comma-separated list");
    out->push_back(std::move(item));
  }
  return util::Status::Ok();
}

util::Status SectionReader::CheckAllKeysRead() const {
  for (const IniEntry& e : section_.entries) {
    if (read_.count(e.key) == 0) return KeyError(e, "unknown key");
  }
  return util::Status::Ok();
}

}  // namespace hdc::config
