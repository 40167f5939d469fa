// The dashboard's files, embedded in the binary at build time
// (cmake/embed_files.cmake): the page's body, its script and styles, and the
// vendored chart library (daemon/dashboard/vendor/uplot/README.md). Static,
// immutable data: safe from any thread.
#pragma once

#include <span>
#include <string_view>

namespace hdc::dashboard {

struct EmbeddedFile {
  std::string_view name;  // "app.js"
  std::string_view body;
};

// Every embedded file (generated).
std::span<const EmbeddedFile> EmbeddedFiles();

// "text/javascript; charset=utf-8", "text/css; ...", "text/html; ..." by
// the name's extension; "application/octet-stream" for any other.
std::string_view ContentTypeOf(std::string_view name);

// The file named `name`; nullptr when there is none.
const EmbeddedFile* FindFile(std::string_view name);

// The file GET /static/<name> serves: the script and style files only
// (nullptr for any other name, the page's body among them).
const EmbeddedFile* FindStatic(std::string_view name);

}  // namespace hdc::dashboard
