#include "reconcile/plan.h"

#include <doctest/doctest.h>

namespace hdc::reconcile {
namespace {

DesiredJob Job(const std::string& name, const std::string& tfp = "T1",
               const std::string& sfp = "S1", bool enabled = true) {
  DesiredJob d;
  d.name = name;
  d.template_fingerprint = tfp;
  d.schedule_fingerprint = sfp;
  d.enabled = enabled;
  return d;
}

std::vector<std::string> Lines(const std::vector<Action>& actions) {
  std::vector<std::string> out;
  for (const Action& a : actions) out.push_back(Describe(a));
  return out;
}

using Lines_t = std::vector<std::string>;

TEST_CASE("a fresh start creates one template and one schedule per job") {
  CHECK(Lines(Plan({Job("a"), Job("b", "T2")}, {}, {}, {})) ==
        Lines_t{"create template for job a", "create schedule for job a",
                "create template for job b", "create schedule for job b"});
}

TEST_CASE("a job in sync plans nothing") {
  CHECK(Plan({Job("a")}, {{"42", "T1"}}, {{"7", "42", "S1", true}}, {{"a", "42", "7"}}).empty());
}

TEST_CASE("with a wiped database, identical remote objects are adopted, not duplicated") {
  CHECK(
      Lines(Plan({Job("a")}, {{"41", "T0"}, {"42", "T1"}}, {{"7", "42", "S1", true}}, {})) ==
      Lines_t{"adopt template 42 for job a (identical)", "adopt schedule 7 for job a (identical)"});
}

TEST_CASE("an adopted schedule whose content differs is edited") {
  CHECK(Lines(Plan({Job("a")}, {{"42", "T1"}}, {{"7", "42", "S0", true}}, {})) ==
        Lines_t{"adopt template 42 for job a (identical)",
                "adopt schedule 7 for job a (to be edited)", "edit schedule 7 for job a"});
}

TEST_CASE("a changed job edits its template and schedule in place") {
  CHECK(Lines(Plan({Job("a", "T2", "S2")}, {{"42", "T1"}}, {{"7", "42", "S1", true}},
                   {{"a", "42", "7"}})) ==
        Lines_t{"edit template 42 for job a", "edit schedule 7 for job a"});
}

TEST_CASE("enabled = no pauses and yes resumes") {
  CHECK(Lines(Plan({Job("a", "T1", "S1", false)}, {{"42", "T1"}}, {{"7", "42", "S1", true}},
                   {{"a", "42", "7"}})) == Lines_t{"pause schedule 7 for job a"});
  CHECK(Lines(Plan({Job("a")}, {{"42", "T1"}}, {{"7", "42", "S1", false}}, {{"a", "42", "7"}})) ==
        Lines_t{"resume schedule 7 for job a"});
}

TEST_CASE("a disabled job that was never scheduled creates nothing") {
  CHECK(Plan({Job("a", "T1", "S1", false)}, {}, {}, {}).empty());
}

TEST_CASE("a disabled job finds and pauses its schedule after the database was wiped") {
  CHECK(Lines(Plan({Job("a", "T1", "S1", false)}, {{"42", "T1"}}, {{"7", "42", "S1", true}}, {})) ==
        Lines_t{"adopt template 42 for job a (identical)", "adopt schedule 7 for job a (identical)",
                "pause schedule 7 for job a"});
}

TEST_CASE("objects deleted remotely are forgotten and created again") {
  CHECK(Lines(Plan({Job("a")}, {}, {}, {{"a", "42", "7"}})) ==
        Lines_t{"forget template 42 for job a (no longer listed remotely)",
                "create template for job a",
                "forget schedule 7 for job a (no longer listed remotely)",
                "create schedule for job a"});
}

TEST_CASE("two jobs with identical templates each get their own") {
  CHECK(Lines(Plan({Job("a"), Job("b", "T1", "S2")}, {{"42", "T1"}}, {{"7", "42", "S1", true}},
                   {})) == Lines_t{"adopt template 42 for job a (identical)",
                                   "adopt schedule 7 for job a (identical)",
                                   "create template for job b", "create schedule for job b"});
  // Both already exist remotely: each job adopts one, deterministically.
  CHECK(Lines(Plan({Job("b", "T1", "S2"), Job("a")}, {{"42", "T1"}, {"43", "T1"}},
                   {{"7", "42", "S1", true}, {"8", "43", "S2", true}}, {})) ==
        Lines_t{"adopt template 42 for job a (identical)", "adopt schedule 7 for job a (identical)",
                "adopt template 43 for job b (identical)",
                "adopt schedule 8 for job b (identical)"});
}

TEST_CASE("a recorded object is never adopted by another job") {
  CHECK(Lines(Plan({Job("a"), Job("b")}, {{"42", "T1"}}, {{"7", "42", "S1", true}},
                   {{"b", "42", "7"}})) ==
        Lines_t{"create template for job a", "create schedule for job a"});
}

TEST_CASE("a schedule of the job's template is adopted even when it differs") {
  CHECK(Lines(Plan({Job("a")}, {{"42", "T1"}}, {{"6", "41", "S1", true}, {"7", "42", "SX", false}},
                   {{"a", "42", std::nullopt}})) ==
        Lines_t{"adopt schedule 7 for job a (to be edited)", "edit schedule 7 for job a",
                "resume schedule 7 for job a"});
}

TEST_CASE("jobs removed from the configuration are left alone and reported") {
  CHECK(Lines(Plan({}, {{"42", "T1"}}, {{"7", "42", "S1", true}}, {{"old", "42", "7"}})) ==
        Lines_t{"leave alone 7 for job old (no longer in the configuration)"});
}

TEST_CASE("only remote-changing actions count as changes") {
  CHECK(ChangesRemote(ActionKind::kCreateTemplate));
  CHECK(ChangesRemote(ActionKind::kPauseSchedule));
  CHECK_FALSE(ChangesRemote(ActionKind::kAdoptTemplate));
  CHECK_FALSE(ChangesRemote(ActionKind::kOrphanJob));
}

}  // namespace
}  // namespace hdc::reconcile
