// A nesting-depth check that runs before nlohmann_json sees a body (its
// dump() and copies recurse, and crashed at 100k levels here).
#include <string_view>

#include "http/client.h"

namespace hdc::http {

// One pass, no recursion: counts open arrays and objects outside strings.
// Unbalanced or otherwise malformed text is left to the parser.
bool JsonDepthWithin(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return false;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return true;
}

}  // namespace hdc::http
