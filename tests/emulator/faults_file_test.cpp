// --faults FILE in INI and JSON: the same rules and knobs either way, and
// one-line usage errors naming FILE:LINE for anything unknown.
#include "emulator/faults_file.h"

#include <filesystem>
#include <fstream>

#include "emulator/cli.h"
#include "emulator/ini.h"
#include "emulator_fixture.h"
#include "tests/support/temp_dir.h"

namespace hdc::emulator::testing {
namespace {

constexpr const char* kIni = R"ini(; faults for a flaky afternoon
[settings]
failure_probability = 0.25   ; a quarter of the runs fail
flip_failed_after = 2h

[fault busy-reportdata]
endpoint = reportdata
kind = status
status = 500
nth = 2
count = 3

# Retry-After as a date
[fault slow-down]
endpoint = schedule.list
kind = 429
retry_after = 90
retry_after_form = date
probability = 0.5

[fault lag]
kind = latency
ms = 20
)ini";

constexpr const char* kJson = R"json(
  {"settings": {"failure_probability": 0.25, "flip_failed_after": "2h"},
   "faults": [
     {"endpoint": "reportdata", "kind": "status", "status": 500, "nth": 2, "count": 3},
     {"endpoint": "schedule.list", "kind": "429", "retry_after": 90, "retry_after_form": "date", "probability": 0.5},
     {"kind": "latency", "ms": 20}]})json";

// A file in a fresh temporary directory, removed at scope end.
class TempFile {
 public:
  explicit TempFile(const std::string& text) { std::ofstream(path()) << text; }
  std::string path() const { return dir_ / "faults.ini"; }

 private:
  hdc::testing::TempDir dir_;
};

// The error of parsing `text` as a faults file named "f.ini".
std::string ErrorOf(const std::string& text) {
  auto r = ParseFaultsFile(text, "f.ini", Settings{});
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().exit_code() == 64);
  CHECK(r.status().ToString().find('\n') == std::string::npos);
  return r.status().message();
}

}  // namespace

TEST_CASE("an INI faults file and its JSON twin give the same rules and knobs") {
  CHECK_FALSE(LooksLikeJson(kIni));
  CHECK(LooksLikeJson(kJson));
  CHECK(LooksLikeJson("[{\"kind\":\"reset\"}]"));
  CHECK(LooksLikeJson(" [ ]"));
  auto ini = ParseFaultsFile(kIni, "a.ini", Settings{});
  REQUIRE_MESSAGE(ini.ok(), ini.status().ToString());
  auto json = ParseFaultsFile(kJson, "a.json", Settings{});
  REQUIRE_MESSAGE(json.ok(), json.status().ToString());
  CHECK(FaultRulesToJson(ini->rules) == FaultRulesToJson(json->rules));
  CHECK(SettingsToJson(ini->settings) == SettingsToJson(json->settings));
  REQUIRE(ini->rules.size() == 3);
  const FaultRule& busy = ini->rules[0];
  CHECK(busy.endpoint == "reportdata");
  CHECK(busy.kind == FaultKind::kStatus);
  CHECK(busy.status == 500);
  CHECK(busy.nth == 2);
  CHECK(busy.count == 3);
  CHECK(ini->rules[1].kind == FaultKind::kTooManyRequests);
  CHECK(ini->rules[1].retry_after_seconds == 90);
  CHECK(ini->rules[1].retry_after_date);
  CHECK(ini->rules[1].probability == 0.5);
  CHECK(ini->rules[2].endpoint == "*");
  CHECK(ini->rules[2].ms == 20);
  CHECK(ini->settings.failure_probability == 0.25);
  CHECK(ini->settings.flip_failed_after == std::chrono::hours(2));
  // Settings not in the file keep their starting values.
  Settings start;
  start.rows_per_execution = 7;
  CHECK(ParseFaultsFile(kIni, "a.ini", start)->settings.rows_per_execution == 7);
}

TEST_CASE("INI faults errors name FILE:LINE") {
  CHECK(ErrorOf("[settings]\nrows_per_execution = 5\n[colour]\n") ==
        "f.ini:3: unknown section [colour] (expected [settings] or [fault NAME])");
  CHECK(ErrorOf("[fault a]\nkind = reset\nflavour = sour\n") ==
        "f.ini:3: unknown key 'flavour' in [fault a]");
  CHECK(ErrorOf("[settings]\n\ncolour = red\n").rfind("f.ini:3: unknown setting 'colour'", 0) == 0);
  CHECK(ErrorOf("[settings]\nrows_per_execution = many\n").rfind("f.ini:2: ", 0) == 0);
  CHECK(ErrorOf("kind = reset\n") == "f.ini:1: key 'kind' outside any section");
  CHECK(ErrorOf("[fault a]\nkind reset\n") == "f.ini:2: expected key = value");
  CHECK(ErrorOf("[fault a\n") == "f.ini:1: malformed section header");
  CHECK(ErrorOf("[fault]\nkind = reset\n") ==
        "f.ini:1: a fault section needs a name: [fault NAME]");
  CHECK(ErrorOf("; x\n[fault a]\nendpoint = token\n") == "f.ini:2: [fault a] has no kind");
  CHECK(ErrorOf("[fault a]\nkind = explode\n") == "f.ini:2: kind: unknown fault kind 'explode'");
  CHECK(ErrorOf("[fault a]\nkind = status\nstatus = 99\n").rfind("f.ini:3: status: ", 0) == 0);
  CHECK(
      ErrorOf("[fault a]\nkind = status\nprobability = 1.5\n").rfind("f.ini:3: probability: ", 0) ==
      0);
  CHECK(ErrorOf("[fault a]\nkind = 429\nretry_after_form = later\n")
            .rfind("f.ini:3: retry_after_form: ", 0) == 0);
  CHECK(ErrorOf("[fault a]\nkind = reset\nkind = reset\n") == "f.ini:3: duplicate key 'kind'");
  CHECK(ErrorOf("[fault a]\nkind = reset\n[fault a]\nkind = reset\n") ==
        "f.ini:3: a second [fault a]");
  CHECK(ErrorOf("[settings]\n[settings]\n") == "f.ini:2: a second [settings] section");
  CHECK(ErrorOf("[fault a]\nkind = relative_location\nvalue = sideways\n") ==
        "f.ini:1: fault rule: relative_location value must be absolute-path, dot-segments or "
        "network-path");
  // An empty file (or only comments) is an empty plan.
  CHECK(ParseFaultsFile("; nothing\n", "f.ini", Settings{})->rules.empty());
}

TEST_CASE("an INI content_length fault takes any value text, and -1 when none is given") {
  auto file = ParseFaultsFile(
      "[fault a]\nkind = content_length\nvalue = 1000000000000000\n"
      "[fault b]\nkind = content_length\n",
      "f.ini", Settings{});
  REQUIRE_MESSAGE(file.ok(), file.status().message());
  REQUIRE(file->rules.size() == 2);
  CHECK(file->rules[0].kind == FaultKind::kContentLength);
  CHECK(file->rules[0].value == "1000000000000000");
  CHECK(file->rules[1].value == "-1");
}

TEST_CASE("JSON faults files keep working, and their errors name the file") {
  CHECK(ErrorOf("{\"faults\": [{\"kind\": \"explode\"}]}") ==
        "f.ini: unknown fault kind 'explode'");
  CHECK(ErrorOf("{\"faults\": [}").rfind("f.ini: not valid JSON", 0) == 0);
  CHECK(ErrorOf("{\"settings\": {\"colour\": 1}, \"faults\": []}") ==
        "f.ini: unknown setting 'colour'");
}

TEST_CASE("a rule's number that is a fraction, too large or negative is refused, naming its key") {
  // 5e60 as an int was undefined behaviour (the emulator_faults fuzzer).
  CHECK(ErrorOf(R"({"faults": [{"kind": "drip", "rate": 5e60}]})") ==
        "f.ini: fault rule: \"rate\" must be a whole number from -2147483648 to 2147483647");
  CHECK(ErrorOf(R"({"faults": [{"kind": "latency", "ms": 1.5}]})").find("\"ms\" must be") !=
        std::string::npos);
  CHECK(ErrorOf(R"({"faults": [{"kind": "status", "status": 4294967799}]})").find("\"status\"") !=
        std::string::npos);
  CHECK(ErrorOf(R"({"faults": [{"kind": "status", "nth": -1}]})") ==
        "f.ini: fault rule: \"nth\" must be a whole number from 0 to 18446744073709551615");
  auto ok = ParseFaultsFile(R"({"faults": [{"kind": "status", "nth": 18446744073709551615}]})",
                            "f.ini", Settings{});
  REQUIRE_MESSAGE(ok.ok(), ok.status().ToString());
  CHECK(ok->rules[0].nth == 18446744073709551615u);
}

TEST_CASE("--faults reads INI files, errors are usage errors (exit 64)") {
  TempFile good(kIni);
  auto c = ParseCommandLine({"--faults", good.path()});
  REQUIRE_MESSAGE(c.ok(), c.status().ToString());
  CHECK(c->server.faults.size() == 3);
  CHECK(c->server.settings.failure_probability == 0.25);
  TempFile bad("[fault a]\nkind = reset\nwhen = now\n");
  auto b = ParseCommandLine({"--faults", bad.path()});
  REQUIRE_FALSE(b.ok());
  CHECK(b.status().exit_code() == 64);
  CHECK(b.status().message() == bad.path() + ":3: unknown key 'when' in [fault a]");
  CHECK(ParseCommandLine({"--faults", "/nonexistent/faults.ini"}).status().exit_code() == 64);
}

TEST_CASE("rules from an INI file are served") {
  auto file = ParseFaultsFile(
      "[fault second-list]\nendpoint = template.list\nkind = status\nstatus = 503\nnth = 2\n",
      "f.ini", Settings{});
  REQUIRE(file.ok());
  ServerOptions o;
  o.faults = file->rules;
  EmulatorFixture emu(o);
  CHECK(emu.Get("/analytics/driver/reporttemplate").status == 200);  // control: the first request
  CHECK(emu.Get("/analytics/driver/reporttemplate").status == 503);
  CHECK(emu.Get("/analytics/driver/reporttemplate").status == 200);
}

TEST_CASE("the INI reader: comments, sections with labels, trimmed keys and values") {
  auto s = ParseIni(
      "\xEF\xBB\xBF; top\r\n[a]\r\nk = v ; note\r\nurl = http://x/#frag\r\n[b  label one ]\r\n",
      "x.ini");
  REQUIRE(s.ok());
  REQUIRE(s->size() == 2);
  CHECK((*s)[0].type == "a");
  REQUIRE((*s)[0].entries.size() == 2);
  CHECK((*s)[0].entries[0].value == "v");
  CHECK((*s)[0].entries[1].value == "http://x/#frag");
  CHECK((*s)[0].entries[1].line == 4);
  CHECK((*s)[1].type == "b");
  CHECK((*s)[1].label == "label one");
  CHECK((*s)[1].line == 5);
}

}  // namespace hdc::emulator::testing
