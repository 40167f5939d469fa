// Fuzz target, a property of the store layout (store/layout.h): every id it
// accepts maps to a path under the store root. The first byte picks the
// entry (plain token, report path, cab path, temp path and its parse-back,
// a relative path from the database); the second splits the rest into two
// ids. Any accepted path must start with "<root>/" and hold no empty, "." or
// ".." component, no '\', ':' or NUL; a parsed temp name must rebuild the
// same file name. Violations abort.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "fuzz_input.h"
#include "store/layout.h"

namespace {

using hdc::fuzz::AsText;
using hdc::fuzz::TakeByte;

constexpr std::string_view kStateDir = "/var/lib/hdc-reportd";

void Check(bool ok) {
  if (!ok) std::abort();
}

void CheckUnderRoot(const hdc::store::StoreLayout& layout, const std::string& path) {
  const std::string prefix = layout.root() + "/";
  Check(path.starts_with(prefix) && path.size() > prefix.size());
  std::string_view rest = std::string_view(path).substr(prefix.size());
  Check(rest.find_first_of(std::string_view("\\:\0", 3)) == std::string_view::npos);
  while (true) {
    const size_t slash = rest.find('/');
    const std::string_view part = rest.substr(0, slash);
    Check(!part.empty() && part != "." && part != "..");
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  auto relative = layout.Relative(path);
  Check(relative.ok() && layout.Absolute(relative.value()).ok());
}

void CheckToken(std::string_view id) {
  if (!hdc::store::IsPlainToken(id)) return;
  Check(!id.empty() && id.find("..") == std::string_view::npos);
  Check(id.find_first_of(std::string_view("/\\:\0", 4)) == std::string_view::npos);
}

void CheckTempName(const hdc::store::StoreLayout& layout, std::string_view name) {
  const auto parsed = hdc::store::ParseTempName(name);
  if (!parsed) return;
  auto path = layout.TempPath(parsed->kind, parsed->key);
  Check(path.ok());
  CheckUnderRoot(layout, path.value());
  Check(std::string_view(path.value()).ends_with("/" + std::string(name)));
}

template <typename R>
void IfAccepted(const hdc::store::StoreLayout& layout, const R& result) {
  if (result.ok()) CheckUnderRoot(layout, result.value());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text = AsText(data, size);
  const uint8_t selector = TakeByte(&text);
  const uint8_t split_byte = TakeByte(&text);  // before text.size(): TakeByte shortens it
  const size_t split = std::min<size_t>(split_byte, text.size());
  const std::string_view a = text.substr(0, split);
  const std::string_view b = text.substr(split);
  const hdc::store::StoreLayout layout(std::string(selector & 0x80 ? "" : kStateDir));
  const hdc::util::TimePoint when{std::chrono::milliseconds(1764853200000)};
  CheckToken(a);
  CheckToken(b);
  switch (selector % 5) {
    case 0:
      IfAccepted(layout, layout.ReportPath(a, b, when, "tsv"));
      break;
    case 1:
      IfAccepted(layout, layout.CabPath(text));
      break;
    case 2:
      IfAccepted(layout, layout.TempPath(a, b));
      break;
    case 3:
      CheckTempName(layout, text);
      break;
    default:
      IfAccepted(layout, layout.Absolute(text));
      break;
  }
  return 0;
}
