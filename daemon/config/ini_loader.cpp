#include "config/ini_loader.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "config/ini_parser.h"
#include "config/section_reader.h"

namespace hdc::config {
namespace {

namespace fs = std::filesystem;
using util::Status;

constexpr std::string_view kJobPrefix = "job ";

// Adds the jobs of one file; `seen` maps job names to where they were defined.
Status AddJobs(const IniDocument& doc, const ConfigFile& file, bool allow_service_sections,
               const FileReader& read_file, Config* config,
               std::map<std::string, std::string>* seen) {
  for (const IniSection& section : doc.sections) {
    SectionReader reader(section, file.name);
    if (section.name.rfind(kJobPrefix, 0) == 0) {
      const std::string name = section.name.substr(kJobPrefix.size());
      auto job = BuildJob(reader, name, file.dir, read_file);
      if (!job.ok()) return job.status();
      if (auto it = seen->find(name); it != seen->end()) {
        return reader.SectionError("job '" + name + "' is already defined at " + it->second);
      }
      (*seen)[name] = job->where;
      config->jobs.push_back(std::move(job).value());
    } else if (allow_service_sections && section.name == "service") {
      HDC_RETURN_IF_ERROR(ParseServiceSection(reader, &config->service));
    } else if (allow_service_sections && section.name == "account") {
      HDC_RETURN_IF_ERROR(ParseAccountSection(reader, &config->account));
    } else {
      return reader.SectionError(
          allow_service_sections
              ? "unknown section; expected [service], [account] or [job NAME]"
              : "unknown section; a job file holds only [job NAME] sections");
    }
  }
  return Status::Ok();
}

Status CheckCallbacks(const Config& config) {
  for (const JobSpec& job : config.jobs) {
    if (job.schedule.callback && config.service.callback_url.empty()) {
      return util::ConfigError(job.where + ": [job " + job.name +
                               "] callback: callback = yes needs [service] callback_url");
    }
  }
  return Status::Ok();
}

}  // namespace

util::Result<Config> ParseConfig(const ConfigFile& service_file,
                                 const std::vector<ConfigFile>& job_files,
                                 const FileReader& read_file) {
  auto doc = ParseIni(service_file.text, service_file.name);
  if (!doc.ok()) return doc.status();
  Config config;
  config.source = service_file.name;
  const bool has_account = std::any_of(doc->sections.begin(), doc->sections.end(),
                                       [](const IniSection& s) { return s.name == "account"; });
  if (!has_account) {
    return util::ConfigError(service_file.name + ": missing section [account]");
  }
  std::map<std::string, std::string> seen;
  HDC_RETURN_IF_ERROR(AddJobs(*doc, service_file, true, read_file, &config, &seen));
  for (const ConfigFile& file : job_files) {
    auto job_doc = ParseIni(file.text, file.name);
    if (!job_doc.ok()) return job_doc.status();
    HDC_RETURN_IF_ERROR(AddJobs(*job_doc, file, false, read_file, &config, &seen));
  }
  HDC_RETURN_IF_ERROR(CheckCallbacks(config));
  return config;
}

util::Result<std::string> ReadTextFile(const std::string& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    return util::ConfigError("cannot read " + path + ": " +
                             (fs::exists(path, ec) ? "not a regular file" : "file not found"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return util::ConfigError("cannot read " + path + ": permission denied");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Paths in the loaded configuration use '/' on every system (Windows takes
// it as a separator too), so the store's joins and the messages agree.
util::Result<Config> LoadConfig(const std::string& path) {
  auto text = ReadTextFile(path);
  if (!text.ok()) return text.status();
  const fs::path service_dir = fs::path(path).parent_path();
  ConfigFile service_file{path, service_dir.empty() ? "." : service_dir.generic_string(), *text};

  // Parse once without job files to learn jobs_dir (and fail early).
  auto first = ParseConfig(service_file, {}, ReadTextFile);
  if (!first.ok()) return first.status();
  auto doc = ParseIni(*text, path);
  bool jobs_dir_set = false;
  for (const IniSection& s : doc->sections) {
    if (s.name != "service") continue;
    for (const IniEntry& e : s.entries) jobs_dir_set |= e.key == "jobs_dir";
  }
  fs::path jobs_dir = first->service.jobs_dir;
  if (jobs_dir.is_relative()) jobs_dir = fs::path(service_file.dir) / jobs_dir;

  std::vector<ConfigFile> job_files;
  std::error_code ec;
  if (fs::is_directory(jobs_dir, ec)) {
    std::vector<fs::path> paths;
    for (const auto& entry : fs::directory_iterator(jobs_dir, ec)) {
      if (entry.path().extension() == ".ini" && entry.is_regular_file()) {
        paths.push_back(entry.path());
      }
    }
    std::sort(paths.begin(), paths.end());
    for (const fs::path& p : paths) {
      auto job_text = ReadTextFile(p.generic_string());
      if (!job_text.ok()) return job_text.status();
      job_files.push_back({p.generic_string(), p.parent_path().generic_string(), *job_text});
    }
  } else if (jobs_dir_set) {
    return util::ConfigError(path + ": [service] jobs_dir: " + jobs_dir.generic_string() +
                             " is not a directory");
  }
  auto config = ParseConfig(service_file, job_files, ReadTextFile);
  if (config.ok()) {
    config->service.jobs_dir = jobs_dir.lexically_normal().generic_string();
    fs::path state_dir = config->service.state_dir;
    if (state_dir.is_relative()) state_dir = fs::path(service_file.dir) / state_dir;
    config->service.state_dir = state_dir.lexically_normal().generic_string();
    if (!config->service.log_file.empty()) {
      fs::path log_file = config->service.log_file;
      if (log_file.is_relative()) log_file = fs::path(service_file.dir) / log_file;
      config->service.log_file = log_file.lexically_normal().generic_string();
    }
  }
  return config;
}

const JobSpec* FindJob(const Config& config, std::string_view name) {
  for (const JobSpec& job : config.jobs) {
    if (job.name == name) return &job;
  }
  return nullptr;
}

}  // namespace hdc::config
