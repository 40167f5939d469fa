#include "dashboard/assets.h"

#include <string>

#include <doctest/doctest.h>

namespace hdc::dashboard {
namespace {

TEST_CASE("dashboard assets: the page's files and uPlot are embedded") {
  for (const char* name : {"body.html", "app.js", "app.css", "uplot.min.js", "uplot.min.css"}) {
    INFO(name);
    const EmbeddedFile* file = FindFile(name);
    REQUIRE(file != nullptr);
    CHECK_FALSE(file->body.empty());
  }
  CHECK(FindFile("uplot.min.js")->body.find("uPlot") != std::string_view::npos);
}

TEST_CASE("dashboard assets: only scripts and styles are static files") {
  CHECK(FindStatic("app.js") != nullptr);
  CHECK(FindStatic("uplot.min.css") != nullptr);
  CHECK(FindStatic("body.html") == nullptr);
  CHECK(FindStatic("../state.db") == nullptr);
  CHECK(FindStatic("") == nullptr);
  CHECK(ContentTypeOf("app.js") == "text/javascript; charset=utf-8");
  CHECK(ContentTypeOf("a.css") == "text/css; charset=utf-8");
}

TEST_CASE("dashboard assets: no file names an address outside the listener") {
  // uPlot's one address is its project's, in its licence comment; app.js
  // names the SVG namespace (an identifier for createElementNS, which no
  // browser fetches) for the sparklines.
  constexpr std::string_view kSvgNamespace = "\"http://www.w3.org/2000/svg\"";
  for (const EmbeddedFile& file : EmbeddedFiles()) {
    INFO(file.name);
    std::string text(file.body);
    if (file.name == "uplot.min.js") {
      REQUIRE(text.starts_with("/*! https://github.com/leeoniya/uPlot"));
      text = text.substr(text.find("*/") + 2);
    }
    if (file.name == "app.js") {
      const std::size_t at = text.find(kSvgNamespace);
      REQUIRE(at != std::string::npos);
      text.erase(at, kSvgNamespace.size());
    }
    CHECK(text.find("http://") == std::string::npos);
    CHECK(text.find("https://") == std::string::npos);
  }
}

TEST_CASE("dashboard assets: the page's script never writes markup") {
  const std::string app(FindFile("app.js")->body);
  CHECK(app.find("innerHTML") == std::string::npos);
  CHECK(app.find("outerHTML") == std::string::npos);
  CHECK(app.find("insertAdjacentHTML") == std::string::npos);
  CHECK(app.find("document.write") == std::string::npos);
  CHECK(app.find("eval(") == std::string::npos);
}

}  // namespace
}  // namespace hdc::dashboard
