#include "config/ini_parser.h"

#include <doctest/doctest.h>

namespace hdc::config {
namespace {

std::string ErrorOf(std::string_view text) {
  auto doc = ParseIni(text, "a.ini");
  REQUIRE_FALSE(doc.ok());
  CHECK(doc.status().kind() == util::ErrorKind::kConfig);
  return doc.status().message();
}

TEST_CASE("sections, keys and values are read with their line numbers") {
  auto doc =
      ParseIni("; comment\n[service]\nstate_dir = /var/x\n\n# another\n[job  a ]\nview=IHVDriver\n",
               "a.ini");
  REQUIRE(doc.ok());
  REQUIRE(doc->sections.size() == 2);
  CHECK(doc->source == "a.ini");
  CHECK(doc->sections[0].name == "service");
  CHECK(doc->sections[0].line == 2);
  CHECK(doc->sections[0].entries[0].key == "state_dir");
  CHECK(doc->sections[0].entries[0].value == "/var/x");
  CHECK(doc->sections[0].entries[0].line == 3);
  CHECK(doc->sections[1].name == "job a");
  CHECK(doc->sections[1].entries[0].value == "IHVDriver");
}

TEST_CASE("inline comments need whitespace before them and never cut quoted text") {
  auto doc = ParseIni(
      "[s]\na = 1   ; one\nb = x;y\nc = \"a ; b\" ; c\nd =    ; empty\ne = #f\ng = v # hash\n",
      "a.ini");
  REQUIRE(doc.ok());
  const auto& e = doc->sections[0].entries;
  CHECK(e[0].value == "1");
  CHECK(e[1].value == "x;y");
  CHECK(e[2].value == "\"a ; b\"");
  CHECK(e[3].value == "");
  CHECK(e[4].value == "");
  CHECK(e[5].value == "v");
}

TEST_CASE("an indented line without '=' continues the previous value") {
  auto doc = ParseIni("[s]\ncolumns = A, B,\n  C, D ; comment\n\tE\n  next = 2\n", "a.ini");
  REQUIRE(doc.ok());
  const auto& e = doc->sections[0].entries;
  REQUIRE(e.size() == 2);
  CHECK(e[0].value == "A, B, C, D E");
  CHECK(e[1].key == "next");
  CHECK(e[1].value == "2");
}

TEST_CASE("a blank line ends a continued value") {
  CHECK(ErrorOf("[s]\na = 1\n\n  B\n") ==
        "a.ini:4: expected 'key = value' or '[section]', got 'B'");
}

TEST_CASE("a UTF-8 BOM and CRLF line ends are accepted") {
  auto doc = ParseIni("\xEF\xBB\xBF[s]\r\na = 1\r\n", "a.ini");
  REQUIRE(doc.ok());
  CHECK(doc->sections[0].name == "s");
  CHECK(doc->sections[0].entries[0].value == "1");
}

TEST_CASE("malformed INI is refused with file and line") {
  CHECK(ErrorOf("[s]\njust words\n") ==
        "a.ini:2: expected 'key = value' or '[section]', got 'just words'");
  CHECK(ErrorOf("a = 1\n") == "a.ini:1: key 'a' is outside any section");
  CHECK(ErrorOf("[s\n") == "a.ini:1: unclosed '[' in section header");
  CHECK(ErrorOf("[ ]\n") == "a.ini:1: empty section name");
  CHECK(ErrorOf("[s] x\n") == "a.ini:1: unexpected text after the section header");
  CHECK(ErrorOf("[s]\n= 1\n") == "a.ini:2: missing key before '='");
  CHECK(ErrorOf("[s]\na = 1\na = 2\n") == "a.ini:3: [s] a: set twice (first at line 2)");
  CHECK(ErrorOf("[s]\n[t]\n[s]\n") == "a.ini:3: section [s] appears twice (first at line 1)");
}

TEST_CASE("an empty text is an empty document") {
  auto doc = ParseIni("", "a.ini");
  REQUIRE(doc.ok());
  CHECK(doc->sections.empty());
}

}  // namespace
}  // namespace hdc::config
