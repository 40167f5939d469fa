// Helpers for config tests: parse a service file and one job file from text.
#pragma once

#include <map>
#include <string>

#include "config/ini_loader.h"

namespace hdc::config::testing {

inline const char* kAccount = "[account]\ntenant_id = t-1\nclient_id = c-1\n";

// Files that template_file may name, keyed by full path.
inline std::map<std::string, std::string>& FakeFiles() {
  static std::map<std::string, std::string> files;
  return files;
}

inline FileReader FakeReader() {
  return [](const std::string& path) -> util::Result<std::string> {
    auto it = FakeFiles().find(path);
    if (it == FakeFiles().end())
      return util::ConfigError("cannot read " + path + ": file not found");
    return it->second;
  };
}

inline util::Result<Config> ParseWithJobs(const std::string& jobs,
                                          const std::string& service = "") {
  ConfigFile service_file{"hdc.ini", "/cfg", service + kAccount};
  return ParseConfig(service_file, {{"jobs.d/k.ini", "/cfg/jobs.d", jobs}}, FakeReader());
}

// A valid job section header plus schedule keys; append template keys.
inline std::string Job(
    const std::string& keys,
    const std::string& schedule = "start = 2026-12-01T02:00:00Z\nevery = 24h\nruns = 10\n") {
  return "[job k]\n" + keys + schedule;
}

inline std::string JobError(
    const std::string& keys,
    const std::string& schedule = "start = 2026-12-01T02:00:00Z\nevery = 24h\nruns = 10\n") {
  auto config = ParseWithJobs(Job(keys, schedule));
  if (config.ok()) return "(no error)";
  return config.status().message();
}

}  // namespace hdc::config::testing
