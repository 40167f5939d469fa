// Fuzz target, two properties of what reaches a log line.
//
// Escaping (util::Printable, docs/reliability.md S12): whatever the input,
// the result holds no C0 control or DEL, no C1 control, no bidirectional
// control, and is valid UTF-8.
//
// Redaction (util::Redact): a canary secret put into the input in one of the
// shapes util/redact.h promises to catch (bearer token, JWT, SAS sig=,
// client secret, access token, password, DeviceId, HardwareId, a registered
// literal secret) never survives. The first byte picks the shape (and upper
// case for the key), the second splits the rest into the text before and
// after it. The shape stands apart from that text by a space on each side,
// and quotes and backslashes in the text become '_' (an open quote in the
// text before would otherwise own the shape's first quote, which no
// redactor can tell apart); a secret the text itself holds is broken
// (Context). Violations abort.
#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "fuzz_input.h"
#include "util/redact.h"
#include "util/strings.h"

namespace {

using hdc::fuzz::AsText;
using hdc::fuzz::TakeByte;

constexpr std::string_view kCanary = "ZQ7CANARY4242XK";
constexpr std::string_view kLiteral = "LITERALSECRET-9f3e";

void Check(bool ok) {
  if (!ok) std::abort();
}

// Length of the UTF-8 sequence at s[i] and its code point; 0 when invalid.
size_t Decode(std::string_view s, size_t i, char32_t* cp) {
  const auto b = static_cast<unsigned char>(s[i]);
  const size_t n = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  *cp = n == 1 ? b : b & (0x7f >> n);
  for (size_t k = 1; k < n; ++k) {
    const auto c = static_cast<unsigned char>(s[i + k]);
    if ((c & 0xc0) != 0x80) return 0;
    *cp = (*cp << 6) | (c & 0x3f);
  }
  return n;
}

bool IsControl(char32_t cp) {
  return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x61c || cp == 0x200e || cp == 0x200f ||
         (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

void CheckPrintable(std::string_view text, size_t cap) {
  const std::string out = hdc::util::Printable(text, cap);
  for (size_t i = 0; i < out.size();) {
    char32_t cp = 0;
    const size_t n = Decode(out, i, &cp);
    Check(n != 0 && !IsControl(cp));
    i += n;
  }
}

std::string Shape(uint8_t which) {
  const std::string c(kCanary);
  switch (which % 13) {
    case 0:
      return "Bearer " + c;
    case 1:
      return "Authorization: Bearer " + c;
    case 2:
      return "https://a.blob.core.windows.net/c/b.tsv?sv=2020-10-02&sig=" + c + "&se=1";
    case 3:
      return "client_secret=" + c + "&grant_type=client_credentials";
    case 4:
      return "{\"client_secret\": \"" + c + "\"}";
    case 5:
      return "access_token=" + c;
    case 6:
      return "{\"access_token\":\"" + c + "\",\"expires_in\":3600}";
    case 7:
      return "password: " + c;
    case 8:
      return "DeviceId=" + c;
    case 9:
      return "{\"deviceId\": \"" + c + "\"}";
    case 10:
      return "HardwareId: " + c;
    case 11:
      return "eyJ" + c + ".eyJ" + c + "." + c;
    default:
      return c + std::string(kLiteral) + c;
  }
}

// The text around the shape: quotes and backslashes as '_', and any canary
// or literal secret the fuzzer wrote into it broken (its first letter as
// '_'), so only the shape carries one.
std::string Context(std::string_view text) {
  std::string out(text);
  for (const std::string_view secret : {kCanary, kLiteral}) {
    for (size_t pos = out.find(secret); pos != std::string::npos; pos = out.find(secret, pos)) {
      out[pos] = '_';
    }
  }
  std::replace_if(
      out.begin(), out.end(), [](char ch) { return ch == '"' || ch == '\'' || ch == '\\'; }, '_');
  return out;
}

void CheckRedact(uint8_t which, std::string_view before, std::string_view after) {
  std::string shape = Shape(which);
  const bool literal = which % 13 == 12;
  if ((which & 0x80) != 0 && which % 13 != 11 && !literal) {
    std::transform(shape.begin(), shape.end(), shape.begin(),
                   [](unsigned char ch) { return std::toupper(ch); });
  }
  const std::string text = Context(before) + " " + shape + " " + Context(after);
  const std::string out = hdc::util::Redact(text);
  const std::string_view secret = literal ? kLiteral : kCanary;
  Check(out.find(std::string(secret)) == std::string::npos);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool registered = (hdc::util::AddSecret(kLiteral), true);
  (void)registered;
  std::string_view text = AsText(data, size);
  CheckPrintable(text, hdc::util::kNoCap);
  const uint8_t which = TakeByte(&text);
  const uint8_t split_byte = TakeByte(&text);  // before text.size(): TakeByte shortens it
  const size_t split = std::min<size_t>(split_byte, text.size());
  CheckPrintable(text, split);
  CheckRedact(which, text.substr(0, split), text.substr(split));
  return 0;
}
