// Replays files through a fuzz target's LLVMFuzzerTestOneInput without
// libFuzzer, so the committed corpus and regressions run in every build
// (docs/contributing.md §Fuzzing). Arguments are files or folders (read
// recursively, in name order, hidden files such as .gitkeep skipped). A
// missing path is an error: exit 1. A finding aborts the process (the target
// traps, or a sanitizer stops it).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

namespace fs = std::filesystem;

bool Hidden(const fs::path& path) { return path.filename().string().starts_with("."); }

// The files under `path` (or `path` itself), sorted; false when it is missing.
bool Collect(const fs::path& path, std::vector<fs::path>* files) {
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) {
    files->push_back(path);
    return true;
  }
  if (!fs::is_directory(path, ec)) return false;
  std::vector<fs::path> found;
  for (const auto& entry : fs::recursive_directory_iterator(path, ec)) {
    if (entry.is_regular_file() && !Hidden(entry.path())) found.push_back(entry.path());
  }
  std::sort(found.begin(), found.end());
  files->insert(files->end(), found.begin(), found.end());
  return !ec;
}

bool Replay(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return false;
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // A copy of exactly the input's size, so ASan sees a read past its end.
  std::vector<uint8_t> data(bytes.begin(), bytes.end());
  LLVMFuzzerTestOneInput(data.data(), data.size());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<fs::path> files;
  for (int i = 1; i < argc; ++i) {
    if (!Collect(argv[i], &files)) {
      std::fprintf(stderr, "%s: %s: no such file or directory\n", HDC_FUZZ_TARGET, argv[i]);
      return 1;
    }
  }
  size_t replayed = 0;
  for (const auto& file : files) {
    if (!Replay(file)) {
      std::fprintf(stderr, "%s: %s: cannot read\n", HDC_FUZZ_TARGET, file.string().c_str());
      return 1;
    }
    ++replayed;
  }
  std::printf("%s: %zu inputs replayed\n", HDC_FUZZ_TARGET, replayed);
  return 0;
}
