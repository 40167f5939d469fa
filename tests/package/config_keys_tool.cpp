// hdc-config-keys: prints the config module's own key table and probes which
// keys its parser accepts, so tests/package/man_ini_keys_test.sh can hold the
// hdc-reportd.ini(5) page to it. A test tool, never installed.
//
//   hdc-config-keys keys           SECTION<TAB>KEY<TAB>DEFAULT<TAB>DESCRIPTION per
//                                  entry of ConfigKeys() ("service", "account",
//                                  "job NAME")
//   hdc-config-keys job-keys       one key of JobKeys() per line
//   hdc-config-keys probe KEY...   SECTION<TAB>KEY<TAB>accepted|unknown for each
//                                  KEY in each of [service], [account] and
//                                  [job NAME]: a minimal valid configuration
//                                  with "KEY = VALUE" added is parsed; the key
//                                  is unknown only if the parser says so.
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "config/ini_loader.h"
#include "config/job_spec.h"
#include "config/service_config.h"

namespace {

using hdc::config::ConfigFile;
using hdc::config::ConfigKeys;
using hdc::config::KeyInfo;

constexpr std::string_view kSections[] = {"service", "account", "job NAME"};

// The smallest configuration the parser accepts, one string per section.
std::string BaseSection(std::string_view section) {
  if (section == "service") return "[service]\n";
  if (section == "account") return "[account]\ntenant_id = t\nclient_id = c\n";
  return "[job probe]\nview = IHVDriver\ncolumns = FailureName\n"
         "start = 2026-01-01T00:00:00Z\nevery = 24h\nruns = 1\n";
}

std::string Configuration(std::string_view with_section, const std::string& extra_line) {
  std::string text;
  for (std::string_view section : kSections) {
    text += BaseSection(section);
    if (section == with_section) text += extra_line;
  }
  return text;
}

hdc::util::Status Parse(const std::string& text) {
  const ConfigFile file{"probe.ini", ".", text};
  auto no_files = [](const std::string& path) -> hdc::util::Result<std::string> {
    return hdc::util::ConfigError(path + ": no files in this probe");
  };
  auto config = hdc::config::ParseConfig(file, {}, no_files);
  return config.ok() ? hdc::util::Status::Ok() : config.status();
}

std::string DefaultFor(std::string_view section, std::string_view key) {
  for (const KeyInfo& info : ConfigKeys()) {
    if (info.section == section && info.key == key && !info.default_value.empty() &&
        info.default_value != "auto") {
      return std::string(info.default_value);
    }
  }
  return "x";
}

int Probe(const std::vector<std::string>& keys) {
  const hdc::util::Status base = Parse(Configuration("", ""));
  if (!base.ok()) {
    std::cerr << "hdc-config-keys: the probe's base configuration is refused: " << base.ToString()
              << "\n";
    return 1;
  }
  for (std::string_view section : kSections) {
    const std::string base_text = BaseSection(section);
    for (const std::string& key : keys) {
      bool accepted = true;
      // A key of the base itself is accepted: the base parses.
      if (base_text.find("\n" + key + " = ") == std::string::npos) {
        const hdc::util::Status status =
            Parse(Configuration(section, key + " = " + DefaultFor(section, key) + "\n"));
        accepted =
            status.ok() || status.message().find(" " + key + ": unknown key") == std::string::npos;
      }
      std::cout << section << '\t' << key << '\t' << (accepted ? "accepted" : "unknown") << '\n';
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() == 1 && args[0] == "keys") {
    for (const KeyInfo& info : ConfigKeys()) {
      std::cout << info.section << '\t' << info.key << '\t' << info.default_value << '\t'
                << info.description << '\n';
    }
    return 0;
  }
  if (args.size() == 1 && args[0] == "job-keys") {
    for (std::string_view key : hdc::config::JobKeys()) std::cout << key << '\n';
    return 0;
  }
  if (!args.empty() && args[0] == "probe") {
    return Probe(std::vector<std::string>(args.begin() + 1, args.end()));
  }
  std::cerr << "usage: hdc-config-keys keys | job-keys | probe KEY...\n";
  return 64;
}
