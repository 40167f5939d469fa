#include "reconcile/normalize.h"

#include <doctest/doctest.h>

#include "reconcile/template_builder.h"
#include "unit/config/config_test_util.h"

namespace hdc::reconcile {
namespace {

using nlohmann::json;

TEST_CASE("the templates we build are already in normal form") {
  for (const char* keys :
       {"view = IHVDriver\ncolumns = DriverName\nwhere = EventType eq Kernel and (Market eq US or "
        "Market in (DE, FR))\n",
        "view = OEMDriver\ncolumns = Model\naggregate = SUM(EventCount)\nhaving = SUM(EventCount) "
        "gt 5\norder_by = SUM(EventCount) desc, Model\nlimit = 3\n"}) {
    auto config = config::testing::ParseWithJobs(config::testing::Job(keys));
    REQUIRE(config.ok());
    const json built = BuildTemplate(config->jobs[0]);
    CHECK(NormaliseTemplate(built) == built);
  }
}

TEST_CASE("a listed template in the server's spelling normalises to ours") {
  const json ours = json::parse(
      R"J({"view":"OEMDriver","projection":["FailureName","FailureHash"],"dateRange":{"reportPeriod":"Last7Days"},)J"
      R"J("condition":{"and":[{"attribute":"EventType","operator":"eq","value":"Kernel"}]},)J"
      R"J("aggregation":{"aggregatedColumns":["SUM(EventCount)"],"condition":{"and":[{"attribute":"SUM(EventCount)","operator":"gt","value":"1000"}]}}})J");
  const json theirs = json::parse(
      R"J({"View":" OEMDriver","Projection":["FailureName","FailureHash"],"DateRange":{"ReportPeriod":"Last7Days"},)J"
      R"J("Condition":{"and":[{"Attribute":"EventType","Operator":"EQ","Value":"Kernel"}],"or":[]},)J"
      R"J("Aggregation":{"AggregatedColumns":["sum(EventCount)"],"Condition":{"or":[{"attribute":"Sum( EventCount )","operator":"GT","value":1000}]}},)J"
      R"J("orderby":[],"limit":0})J");
  CHECK(NormaliseTemplate(theirs) == NormaliseTemplate(ours));
}

TEST_CASE("in-lists as strings and sort defaults normalise, real differences remain") {
  const json a = json::parse(
      R"J({"view":"IHVDriver","condition":{"and":[{"attribute":"Market","operator":"IN","value":"DE, FR"}]},"orderby":[{"attribute":"DriverName"}]})J");
  const json b = json::parse(
      R"J({"view":"IHVDriver","condition":{"and":[{"attribute":"Market","operator":"in","value":["DE","FR"]}]},"orderby":[{"attribute":"DriverName","sort":"asc"}]})J");
  const json c = json::parse(
      R"J({"view":"IHVDriver","condition":{"and":[{"attribute":"Market","operator":"in","value":["DE"]}]},"orderby":[{"attribute":"DriverName","sort":"asc"}]})J");
  CHECK(NormaliseTemplate(a) == NormaliseTemplate(b));
  CHECK(NormaliseTemplate(a) != NormaliseTemplate(c));
}

TEST_CASE("an unreadable template never equals a real one and never throws") {
  const json odd = json::parse(
      R"J({"view":5,"projection":"x","orderby":[{"attribute":[1]}],"condition":{"and":[7]}})J");
  CHECK_NOTHROW(NormaliseTemplate(odd));
  CHECK(NormaliseTemplate(odd) != NormaliseTemplate(json::parse(R"J({"view":"IHVDriver"})J")));
}

}  // namespace
}  // namespace hdc::reconcile
