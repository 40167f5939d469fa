// Microsoft's five published sample templates, written as INI jobs in
// config/jobs.d/, compile to JSON equivalent to the samples
// (docs/hdc-api.md §Sample templates).
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "config/ini_loader.h"
#include "reconcile/template_builder.h"
#include "support/temp_dir.h"
#include "unit/config/config_test_util.h"

namespace hdc::config {
namespace {

using nlohmann::json;

// Equivalence of the samples: a group of one item is the same under "and"
// and "or"; empty lists and an empty or absent condition mean "no filter".
json Normalise(json value) {
  if (value.is_object()) {
    json out = json::object();
    for (auto& [key, item] : value.items()) {
      json n = Normalise(item);
      if ((key == "and" || key == "or") && n.is_array() && n.empty()) continue;
      if (key == "condition" && n.is_object() && n.empty()) continue;
      out[key == "or" && n.is_array() && n.size() == 1 ? "and" : key] = n;
    }
    return out;
  }
  if (value.is_array()) {
    for (auto& item : value) item = Normalise(item);
  }
  return value;
}

TEST_CASE("each sample job compiles to JSON equivalent to the published sample") {
  hdc::testing::TempDir dir;
  dir.Write("hdc.ini", std::string("[service]\njobs_dir = ") + HDC_SOURCE_DIR + "/config/jobs.d\n" +
                           testing::kAccount);
  auto config = LoadConfig(dir / "hdc.ini");
  REQUIRE_MESSAGE(config.ok(), config.status().message());
  REQUIRE(config->jobs.size() == 5);
  for (int i = 1; i <= 5; ++i) {
    auto sample = ReadTextFile(std::string(HDC_SOURCE_DIR) + "/tests/data/samples/sample" +
                               std::to_string(i) + ".json");
    REQUIRE(sample.ok());
    const json expected = Normalise(json::parse(*sample));
    const json actual = Normalise(reconcile::BuildTemplate(config->jobs[i - 1]));
    INFO("sample " << i << " (" << config->jobs[i - 1].name << ")");
    CHECK(actual.dump() == expected.dump());
  }
}

TEST_CASE("each published sample read as a template_file gives the same template") {
  for (int i = 1; i <= 5; ++i) {
    const std::string path =
        std::string(HDC_SOURCE_DIR) + "/tests/data/samples/sample" + std::to_string(i) + ".json";
    auto sample = ReadTextFile(path);
    REQUIRE(sample.ok());
    testing::FakeFiles()["/cfg/jobs.d/sample.json"] = *sample;
    auto config = testing::ParseWithJobs(testing::Job("template_file = sample.json\n"));
    REQUIRE_MESSAGE(config.ok(), config.status().message());
    INFO("sample " << i);
    CHECK(Normalise(reconcile::BuildTemplate(config->jobs[0])).dump() ==
          Normalise(json::parse(*sample)).dump());
  }
}

TEST_CASE("the equivalence used above is not vacuous") {
  CHECK(Normalise(json::parse(R"J({"condition":{"or":[1]}})J")) ==
        Normalise(json::parse(R"J({"condition":{"and":[1]}})J")));
  CHECK(Normalise(json::parse(R"J({"condition":{"or":[1,2]}})J")) !=
        Normalise(json::parse(R"J({"condition":{"and":[1,2]}})J")));
  CHECK(Normalise(json::parse(R"J({"limit":10})J")) != Normalise(json::parse(R"J({"limit":11})J")));
}

}  // namespace
}  // namespace hdc::config
