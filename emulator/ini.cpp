#include "emulator/ini.h"

namespace hdc::emulator {
namespace {

std::string_view Trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t\r");
  return s.substr(first, last - first + 1);
}

// Cuts an inline comment: ';' or '#' at the start or after whitespace.
std::string_view StripComment(std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    if ((s[i] == ';' || s[i] == '#') && (i == 0 || s[i - 1] == ' ' || s[i - 1] == '\t'))
      return s.substr(0, i);
  }
  return s;
}

}  // namespace

util::Status IniError(const std::string& file, int line, const std::string& message) {
  return util::UsageError(file + ":" + std::to_string(line) + ": " + message);
}

util::Result<std::vector<IniSection>> ParseIni(std::string_view text, const std::string& file) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  std::vector<IniSection> sections;
  int number = 0;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    ++number;
    line = Trim(StripComment(line));
    if (line.empty()) continue;
    if (line.front() == '[') {
      if (line.back() != ']') return IniError(file, number, "malformed section header");
      const std::string_view inside = Trim(line.substr(1, line.size() - 2));
      const size_t space = inside.find_first_of(" \t");
      IniSection s;
      s.type = std::string(inside.substr(0, space));
      if (space != std::string_view::npos) s.label = std::string(Trim(inside.substr(space)));
      s.line = number;
      if (s.type.empty()) return IniError(file, number, "empty section name");
      sections.push_back(std::move(s));
      continue;
    }
    const size_t eq = line.find('=');
    if (eq == std::string_view::npos) return IniError(file, number, "expected key = value");
    const std::string_view key = Trim(line.substr(0, eq));
    if (key.empty()) return IniError(file, number, "empty key");
    if (sections.empty())
      return IniError(file, number, "key '" + std::string(key) + "' outside any section");
    sections.back().entries.push_back(
        {std::string(key), std::string(Trim(line.substr(eq + 1))), number});
  }
  return sections;
}

}  // namespace hdc::emulator
