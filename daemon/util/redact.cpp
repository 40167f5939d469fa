#include "util/redact.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <mutex>
#include <vector>

namespace hdc::util {
namespace {

// How an unquoted value ends. Device identifiers may hold '&' and '\'
// (PCI\VEN_8086&DEV_1234), query parameters end at '&'.
enum class Until { kQueryParam, kWord };

struct Key {
  std::string_view name;  // lower case
  Until until;
};

constexpr std::array<Key, 9> kKeys{{
    {"access_token", Until::kQueryParam},
    {"refresh_token", Until::kQueryParam},
    {"id_token", Until::kQueryParam},
    {"client_secret", Until::kQueryParam},
    {"sig", Until::kQueryParam},
    {"deviceid", Until::kWord},
    {"hardwareid", Until::kWord},
    {"password", Until::kQueryParam},
    {"authorization", Until::kWord},
}};

bool IsWordChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// A key may start here: at the start, after a non-word character, or after a
// JSON \uXXXX escape ("...\u0026sig=..." is an escaped '&' in a URL).
bool StartsWord(std::string_view text, size_t i) {
  if (i == 0 || !IsWordChar(text[i - 1])) return true;
  if (i < 6 || text[i - 6] != '\\' || (text[i - 5] != 'u' && text[i - 5] != 'U')) return false;
  for (size_t k = i - 4; k < i; ++k) {
    if (!std::isxdigit(static_cast<unsigned char>(text[k]))) return false;
  }
  return true;
}

bool MatchesAt(std::string_view lower, size_t pos, std::string_view word) {
  return lower.substr(pos, word.size()) == word;
}

bool EndsUnquoted(char c, Until until) {
  if (std::isspace(static_cast<unsigned char>(c))) return true;
  switch (c) {
    case '"':
    case '\'':
    case ',':
    case ';':
    case '}':
    case ']':
    case ')':
    case '<':
    case '>':
      return true;
    case '&':
      return until == Until::kQueryParam;
    default:
      return false;
  }
}

// "Bearer" and a space or tab at pos, in any case.
bool StartsBearer(std::string_view text, size_t pos) {
  constexpr std::string_view kBearer = "bearer";
  if (pos + kBearer.size() >= text.size()) return false;
  for (size_t k = 0; k < kBearer.size(); ++k) {
    if (std::tolower(static_cast<unsigned char>(text[pos + k])) != kBearer[k]) return false;
  }
  const char after = text[pos + kBearer.size()];
  return after == ' ' || after == '\t';
}

// If a key=value / key: value / "key": "value" pair starts at pos, returns the
// value's [begin, end); otherwise begin == end == npos.
std::pair<size_t, size_t> ValueAfterKey(std::string_view text, size_t pos, const Key& key) {
  constexpr auto kNone = std::pair<size_t, size_t>(std::string_view::npos, std::string_view::npos);
  size_t p = pos + key.name.size();
  if (p < text.size() && IsWordChar(text[p])) return kNone;  // "deviceidhash"
  if (p < text.size() && (text[p] == '"' || text[p] == '\'')) ++p;
  while (p < text.size() && text[p] == ' ') ++p;
  if (p >= text.size() || (text[p] != '=' && text[p] != ':')) return kNone;
  ++p;
  while (p < text.size() && text[p] == ' ') ++p;
  if (p < text.size() && (text[p] == '"' || text[p] == '\'')) {
    const char quote = text[p++];
    size_t end = p;
    while (end < text.size() && text[end] != quote) end += (text[end] == '\\') ? 2 : 1;
    return {p, std::min(end, text.size())};
  }
  // "client_secret= Bearer x": the bearer rule takes the token, which an
  // unquoted value ending at the space would leave behind.
  if (StartsBearer(text, p)) return kNone;
  if (key.name == "authorization") {
    // "Authorization: Bearer x" is handled by the bearer rule; any other
    // scheme's credentials run to the end of the line.
    size_t end = p;
    while (end < text.size() && text[end] != '\n' && text[end] != '\r') ++end;
    if (MatchesAt(text, p, "Bearer ")) return kNone;
    return {p, end};
  }
  size_t end = p;
  while (end < text.size() && !EndsUnquoted(text[end], key.until)) ++end;
  return {p, end};
}

// "Bearer <token>": returns the token's [begin, end) or npos.
std::pair<size_t, size_t> BearerToken(std::string_view text, std::string_view lower, size_t pos) {
  constexpr auto kNone = std::pair<size_t, size_t>(std::string_view::npos, std::string_view::npos);
  if (!MatchesAt(lower, pos, "bearer")) return kNone;
  size_t p = pos + 6;
  if (p >= text.size() || (text[p] != ' ' && text[p] != '\t')) return kNone;
  while (p < text.size() && (text[p] == ' ' || text[p] == '\t')) ++p;
  // "Bearer Bearer x" (a prefix added twice): the second one takes the token.
  if (StartsBearer(text, p)) return kNone;
  size_t end = p;
  while (end < text.size() && !std::isspace(static_cast<unsigned char>(text[end])) &&
         text[end] != '"' && text[end] != '\'' && text[end] != ',') {
    ++end;
  }
  if (end == p) return kNone;
  return {p, end};
}

// A bare JWT ("eyJ<header>.<payload>.<signature>"): Azure AD access tokens
// look like this wherever they turn up.
std::pair<size_t, size_t> JwtToken(std::string_view text, size_t pos) {
  constexpr auto kNone = std::pair<size_t, size_t>(std::string_view::npos, std::string_view::npos);
  if (text.substr(pos, 3) != "eyJ") return kNone;
  auto base64url = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '=';
  };
  size_t end = pos;
  int dots = 0;
  while (end < text.size() && (base64url(text[end]) || text[end] == '.')) {
    if (text[end] == '.') ++dots;
    ++end;
  }
  if (dots < 2) return kNone;
  return {pos, end};
}

std::mutex& SecretsMutex() {
  static std::mutex mu;
  return mu;
}
std::vector<std::string>& Secrets() {
  static std::vector<std::string> secrets;
  return secrets;
}

constexpr auto kNoRange = std::pair<size_t, size_t>(std::string_view::npos, std::string_view::npos);

// The value of the first key that starts at pos and has one, or kNoRange.
std::pair<size_t, size_t> KeyValueAt(std::string_view text, std::string_view lower, size_t pos) {
  for (const Key& key : kKeys) {
    if (!MatchesAt(lower, pos, key.name)) continue;
    const auto range = ValueAfterKey(text, pos, key);
    if (range.first != std::string_view::npos) return range;
  }
  return kNoRange;
}

// "Bearer DeviceId: x", "sig= HardwareId: x": an unquoted value that starts
// another key yields to it, whose rule then takes x (redacting the key's
// name instead would leave x behind).
bool YieldsToInnerKey(std::string_view text, std::string_view lower,
                      std::pair<size_t, size_t> range) {
  if (range.first == std::string_view::npos || range.first == range.second) return false;
  if (range.first > 0 && (text[range.first - 1] == '"' || text[range.first - 1] == '\'')) {
    return false;  // a quoted value runs to its quote: redacted whole
  }
  return KeyValueAt(text, lower, range.first).first != std::string_view::npos;
}

std::string RedactKeys(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::string out;
  out.reserve(text.size());
  size_t last = 0;
  for (size_t i = 0; i < text.size();) {
    if (!StartsWord(text, i)) {
      ++i;
      continue;
    }
    auto range = BearerToken(text, lower, i);
    if (range.first == std::string_view::npos) range = JwtToken(text, i);
    if (range.first == std::string_view::npos) range = KeyValueAt(text, lower, i);
    if (YieldsToInnerKey(text, lower, range)) range = kNoRange;
    if (range.first == std::string_view::npos || range.first == range.second) {
      ++i;
      continue;
    }
    out.append(text.substr(last, range.first - last));
    out.append(kRedacted);
    last = i = range.second;
  }
  out.append(text.substr(last));
  return out;
}

}  // namespace

std::string Redact(std::string_view text) {
  std::string out = RedactKeys(text);
  std::lock_guard lock(SecretsMutex());
  for (const std::string& secret : Secrets()) {
    for (size_t pos = out.find(secret); pos != std::string::npos;
         pos = out.find(secret, pos + kRedacted.size())) {
      out.replace(pos, secret.size(), kRedacted);
    }
  }
  return out;
}

void AddSecret(std::string_view secret) {
  if (secret.size() < 6) return;
  std::lock_guard lock(SecretsMutex());
  auto& secrets = Secrets();
  if (std::find(secrets.begin(), secrets.end(), secret) == secrets.end()) {
    secrets.emplace_back(secret);
  }
}

void ClearSecrets() {
  std::lock_guard lock(SecretsMutex());
  Secrets().clear();
}

}  // namespace hdc::util
