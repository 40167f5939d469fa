#include "dashboard/page.h"

#include <regex>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

namespace hdc::dashboard {
namespace {

// The text of every <script> (without type) and <style> element, in order.
std::vector<std::string> Inline(const std::string& page, const std::string& open,
                                const std::string& close) {
  std::vector<std::string> out;
  std::size_t at = 0;
  while ((at = page.find(open, at)) != std::string::npos) {
    const std::size_t start = at + open.size();
    const std::size_t end = page.find(close, start);
    REQUIRE(end != std::string::npos);
    out.push_back(page.substr(start, end - start));
    at = end;
  }
  return out;
}

TEST_CASE("dashboard page: the served page has no inline script or style") {
  const std::string page = ServedPage();
  CHECK(page.find("<script src") == std::string::npos);  // every script is deferred
  CHECK(page.find("<script defer src=\"/static/uplot.min.js\"></script>") != std::string::npos);
  CHECK(page.find("<script defer src=\"/static/app.js\"></script>") != std::string::npos);
  CHECK(page.find("<script>") == std::string::npos);
  CHECK(page.find("<style") == std::string::npos);
  CHECK(page.find(" style=") == std::string::npos);
  CHECK(page.find("id=\"trend-chart\"") != std::string::npos);
}

TEST_CASE("dashboard page: the self-contained page allows exactly its inline parts by hash") {
  const std::string page = SelfContainedPage("{\"summary\":{}}");
  const std::vector<std::string> scripts = Inline(page, "<script>", "</script>");
  const std::vector<std::string> styles = Inline(page, "<style>", "</style>");
  REQUIRE(scripts.size() == 2);
  REQUIRE(styles.size() == 1);
  std::smatch csp;
  REQUIRE(std::regex_search(
      page, csp, std::regex("<meta http-equiv=\"Content-Security-Policy\" content=\"([^\"]*)\">")));
  const std::string policy = csp[1];
  CHECK(policy == "default-src 'none'; script-src '" + CspHash(scripts[0]) + "' '" +
                      CspHash(scripts[1]) + "'; style-src '" + CspHash(styles[0]) +
                      "'; img-src data:; base-uri 'none'; form-action 'none'");
  CHECK(page.find("src=") == std::string::npos);
  CHECK(page.find("href=") == std::string::npos);
}

TEST_CASE("dashboard page: embedded data cannot end its script element") {
  const nlohmann::json data{{"name", "</script><script>alert(1)</script><!--"},
                            {"sep", "a\u2028b"}};
  const std::string page = SelfContainedPage(data.dump());
  const std::vector<std::string> blocks =
      Inline(page, "<script type=\"application/json\" id=\"hdc-data\">", "</script>");
  REQUIRE(blocks.size() == 1);
  CHECK(blocks[0].find('<') == std::string::npos);
  CHECK(blocks[0].find('>') == std::string::npos);
  CHECK(nlohmann::json::parse(blocks[0]) == data);  // the same JSON to a parser
  CHECK(page.find("<script>alert(1)") == std::string::npos);
}

TEST_CASE("dashboard page: CspHash is base64 SHA-256") {
  CHECK(CspHash("") == "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
  CHECK(CspHash("abc") == "sha256-ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
}

TEST_CASE("dashboard page: EscapeForScript leaves other text alone") {
  CHECK(EscapeForScript("{\"a\":\"b & <c>\"}") == "{\"a\":\"b \\u0026 \\u003cc\\u003e\"}");
  CHECK(EscapeForScript("plain") == "plain");
}

}  // namespace
}  // namespace hdc::dashboard
