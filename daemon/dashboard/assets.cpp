#include "dashboard/assets.h"

namespace hdc::dashboard {

std::string_view ContentTypeOf(std::string_view name) {
  if (name.ends_with(".js")) return "text/javascript; charset=utf-8";
  if (name.ends_with(".css")) return "text/css; charset=utf-8";
  if (name.ends_with(".html")) return "text/html; charset=utf-8";
  return "application/octet-stream";
}

const EmbeddedFile* FindFile(std::string_view name) {
  for (const EmbeddedFile& file : EmbeddedFiles()) {
    if (file.name == name) return &file;
  }
  return nullptr;
}

const EmbeddedFile* FindStatic(std::string_view name) {
  const bool served = name.ends_with(".js") || name.ends_with(".css");
  return served ? FindFile(name) : nullptr;
}

}  // namespace hdc::dashboard
