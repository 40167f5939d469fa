// A real scratch directory, removed with everything in it when the object
// goes out of scope (also when an assertion fails).
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

namespace hdc::testing {

class TempDir {
 public:
  TempDir() {
#ifdef _WIN32
    // No mkdtemp: a random name, created only if it does not exist yet.
    std::random_device random;
    for (int attempt = 0; attempt < 100 && path_.empty(); ++attempt) {
      const std::filesystem::path candidate =
          std::filesystem::temp_directory_path() / ("hdc-test-" + std::to_string(random()));
      std::error_code ec;
      // '/' separators, as the daemon's own paths (config/ini_loader.h).
      if (std::filesystem::create_directory(candidate, ec)) path_ = candidate.generic_string();
    }
    if (path_.empty()) std::abort();
#else
    std::string pattern = (std::filesystem::temp_directory_path() / "hdc-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) std::abort();
    path_ = pattern;
#endif
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

  // Writes a file (creating folders) and returns its path.
  std::string Write(const std::string& name, const std::string& text) const {
    const std::filesystem::path p = std::filesystem::path(path_) / name;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    return p.generic_string();
  }

 private:
  std::string path_;
};

}  // namespace hdc::testing
