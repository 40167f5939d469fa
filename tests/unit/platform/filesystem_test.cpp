#include "platform/filesystem.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <doctest/doctest.h>
#ifndef _WIN32
#include <sys/stat.h>
#include <unistd.h>
#else
#include <windows.h>
// After windows.h, which they need.
#include <aclapi.h>
#include <sddl.h>
#endif

#include "support/file_mode.h"
#include "support/skip.h"
#include "support/temp_dir.h"

namespace hdc::platform {
namespace {

using util::ErrorKind;
using util::Result;
using util::Status;

// A real scratch directory, removed at the end even when an assertion fails.
using ScratchDir = hdc::testing::TempDir;

#ifndef _WIN32
// Sets the process umask for one test, so mode checks do not depend on the
// caller's environment.
class ScopedUmask {
 public:
  explicit ScopedUmask(mode_t mask) : saved_(::umask(mask)) {}
  ~ScopedUmask() { ::umask(saved_); }
  ScopedUmask(const ScopedUmask&) = delete;
  ScopedUmask& operator=(const ScopedUmask&) = delete;

 private:
  mode_t saved_;
};

#else
class ScopedUmask {
 public:
  explicit ScopedUmask(int) {}
};
#endif

// The operations' names in error messages: the system call on POSIX, the
// Win32 step on Windows.
#ifdef _WIN32
constexpr const char* kSyncOp = "flush";
constexpr const char* kFreeSpaceOp = "free space of";
#else
constexpr const char* kSyncOp = "fdatasync";
constexpr const char* kFreeSpaceOp = "statvfs";
#endif

// Writes a file through the seam and closes it.
void WriteFile(FileSystem& fs, const std::string& path, const std::string& data,
               bool append = false) {
  Result<std::unique_ptr<WritableFile>> file = fs.OpenForWrite(path, append);
  REQUIRE(file.ok());
  REQUIRE((*file)->Append(data).ok());
  REQUIRE((*file)->Close().ok());
}

std::string Read(FileSystem& fs, const std::string& path) {
  const Result<std::string> r = fs.ReadFile(path);
  const std::string error = r.status().message();
  INFO("path: ", path, " error: ", error);
  REQUIRE(r.ok());
  return *r;
}

// Checks an error is temporary and names the operation and the path.
void CheckIoError(const Status& s, const std::string& op, const std::string& path) {
  INFO("message: ", s.message());
  REQUIRE_FALSE(s.ok());
  CHECK(s.kind() == ErrorKind::kTemporary);
  CHECK(s.message().find(op) != std::string::npos);
  CHECK(s.message().find(path) != std::string::npos);
  CHECK(s.message().find('\n') == std::string::npos);
}

TEST_CASE("OpenForWrite creates a file readable by its owner only") {
  ScopedUmask umask_guard(022);
  ScratchDir dir;
  FileSystem& fs = RealFileSystem();
  const std::string path = dir / "report.json";
  CHECK_FALSE(fs.Exists(path));

  Result<std::unique_ptr<WritableFile>> file = fs.OpenForWrite(path, false);
  REQUIRE(file.ok());
  CHECK(fs.Exists(path));
  CHECK_POSIX_MODE(path, 0600);
  CHECK((*file)->Append("hello ").ok());
  CHECK((*file)->Append("").ok());
  CHECK((*file)->Append("world").ok());
  CHECK((*file)->Sync().ok());
  CHECK((*file)->Close().ok());
  CHECK(Read(fs, path) == "hello world");
  CHECK_POSIX_MODE(path, 0600);
}

TEST_CASE("OpenForWrite truncates unless asked to append") {
  ScratchDir dir;
  FileSystem& fs = RealFileSystem();
  const std::string path = dir / "log.txt";

  WriteFile(fs, path, "first\n");
  WriteFile(fs, path, "second\n", /*append=*/true);
  CHECK(Read(fs, path) == "first\nsecond\n");

  WriteFile(fs, path, "third\n", /*append=*/false);
  CHECK(Read(fs, path) == "third\n");

  // Appending to a missing file creates it.
  const std::string fresh = dir / "fresh.txt";
  WriteFile(fs, fresh, "x", /*append=*/true);
  CHECK(Read(fs, fresh) == "x");
}

TEST_CASE("a file written in several appends reads back whole, also past the read buffer") {
  ScratchDir dir;
  FileSystem& fs = RealFileSystem();
  const std::string path = dir / "big.bin";
  std::string data;
  for (int i = 0; i < 200000; ++i) data += static_cast<char>(i % 251);
  Result<std::unique_ptr<WritableFile>> file = fs.OpenForWrite(path, false);
  REQUIRE(file.ok());
  CHECK((*file)->Append(std::string_view(data).substr(0, 70000)).ok());
  CHECK((*file)->Append(std::string_view(data).substr(70000)).ok());
  CHECK((*file)->Sync().ok());
  CHECK((*file)->Close().ok());
  CHECK(Read(fs, path) == data);
  const Result<std::uint64_t> size = fs.FileSize(path);
  REQUIRE(size.ok());
  CHECK(*size == data.size());
}

TEST_CASE("a file dropped without Close keeps what was written") {
  ScratchDir dir;
  FileSystem& fs = RealFileSystem();
  const std::string path = dir / "dropped.txt";
  {
    Result<std::unique_ptr<WritableFile>> file = fs.OpenForWrite(path, false);
    REQUIRE(file.ok());
    CHECK((*file)->Append("abc").ok());
  }
  CHECK(Read(fs, path) == "abc");
}

TEST_CASE("writing after Close fails with the path in the message") {
  ScratchDir dir;
  FileSystem& fs = RealFileSystem();
  const std::string path = dir / "closed.txt";
  Result<std::unique_ptr<WritableFile>> file = fs.OpenForWrite(path, false);
  REQUIRE(file.ok());
  REQUIRE((*file)->Close().ok());
  CheckIoError((*file)->Append("late"), "write", path);
  CheckIoError((*file)->Sync(), kSyncOp, path);
  CheckIoError((*file)->Close(), "close", path);
}

TEST_CASE("OpenForWrite in a missing directory fails with the path and the operation") {
  ScratchDir dir;
  const std::string path = dir / "missing/file.txt";
  const Result<std::unique_ptr<WritableFile>> file = RealFileSystem().OpenForWrite(path, false);
  CheckIoError(file.status(), "open", path);
}

TEST_CASE("ReadFile of a missing file fails with the path and the operation") {
  ScratchDir dir;
  const std::string path = dir / "nothing-here.json";
  const Result<std::string> r = RealFileSystem().ReadFile(path);
  CheckIoError(r.status(), "open", path);
  CHECK(r.status().exit_code() == 75);
}

TEST_CASE("ReadFile of an empty file gives an empty string") {
  ScratchDir dir;
  FileSystem& fs = RealFileSystem();
  const std::string path = dir / "empty";
  WriteFile(fs, path, "");
  CHECK(Read(fs, path).empty());
}

TEST_CASE("ReadFile of a directory fails with the path") {
  ScratchDir dir;
  const Result<std::string> r = RealFileSystem().ReadFile(dir.path());
  CheckIoError(r.status(), "read", dir.path());
}

TEST_CASE("Rename moves a file and replaces the target") {
  ScratchDir dir;
  FileSystem& fs = RealFileSystem();
  const std::string tmp = dir / "state.json.tmp";
  const std::string final_path = dir / "state.json";
  WriteFile(fs, final_path, "old");
  WriteFile(fs, tmp, "new");

  REQUIRE(fs.Rename(tmp, final_path).ok());
  CHECK_FALSE(fs.Exists(tmp));
  CHECK(Read(fs, final_path) == "new");
  CHECK(fs.SyncDir(dir.path()).ok());

  const std::string moved = dir / "moved.json";
  REQUIRE(fs.Rename(final_path, moved).ok());
  CHECK(Read(fs, moved) == "new");
  CHECK_FALSE(fs.Exists(final_path));
}

TEST_CASE("Rename of a missing file fails naming both paths") {
  ScratchDir dir;
  const std::string from = dir / "absent";
  const std::string to = dir / "target";
  const Status s = RealFileSystem().Rename(from, to);
  CheckIoError(s, "rename", from);
  CHECK(s.message().find(to) != std::string::npos);
}

TEST_CASE("SyncDir of a missing directory fails with the path") {
  ScratchDir dir;
  const std::string missing = dir / "gone";
  CheckIoError(RealFileSystem().SyncDir(missing), "open directory", missing);
  CHECK(RealFileSystem().SyncDir(dir.path()).ok());
}

TEST_CASE("Remove deletes a file and accepts a missing one") {
  ScratchDir dir;
  FileSystem& fs = RealFileSystem();
  const std::string path = dir / "old.cab";
  WriteFile(fs, path, "data");
  REQUIRE(fs.Exists(path));
  CHECK(fs.Remove(path).ok());
  CHECK_FALSE(fs.Exists(path));
  CHECK(fs.Remove(path).ok());
  CHECK(fs.Remove(dir / "never-existed").ok());
}

TEST_CASE("Remove of a directory fails with the path") {
  ScratchDir dir;
  FileSystem& fs = RealFileSystem();
  const std::string sub = dir / "sub";
  REQUIRE(fs.CreateDirectories(sub).ok());
  CheckIoError(fs.Remove(sub), "remove", sub);
  CHECK(fs.Exists(sub));
}

TEST_CASE("CreateDirectories creates nested directories with mode 0750") {
  ScopedUmask umask_guard(022);
  ScratchDir dir;
  FileSystem& fs = RealFileSystem();
  const std::string nested = dir / "a/b/c";
  REQUIRE(fs.CreateDirectories(nested).ok());
  CHECK(std::filesystem::is_directory(nested));
  CHECK_POSIX_MODE(dir / "a", 0750);
  CHECK_POSIX_MODE(dir / "a/b", 0750);
  CHECK_POSIX_MODE(nested, 0750);

  // Existing directories are fine, also with a trailing slash.
  CHECK(fs.CreateDirectories(nested).ok());
  CHECK(fs.CreateDirectories(nested + "/").ok());
  CHECK(fs.CreateDirectories(dir.path()).ok());
  CHECK(fs.CreateDirectories("").ok());

  // A relative path works from the current directory.
  const std::filesystem::path cwd = std::filesystem::current_path();
  std::filesystem::current_path(dir.path());
  const Status relative = fs.CreateDirectories("rel/x");
  std::filesystem::current_path(cwd);
  CHECK(relative.ok());
  CHECK(std::filesystem::is_directory(dir / "rel/x"));
}

TEST_CASE("CreateDirectories fails when a path component is a file") {
  ScratchDir dir;
  FileSystem& fs = RealFileSystem();
  const std::string file = dir / "plain";
  WriteFile(fs, file, "x");

  const std::string below = file + "/sub/deeper";
  const Status s = fs.CreateDirectories(below);
  CheckIoError(s, "create directory", file + "/sub");

  // The path itself being a file is also an error.
  CheckIoError(fs.CreateDirectories(file), "create directory", file);
}

TEST_CASE("List gives the names in a directory and marks subdirectories") {
  ScratchDir dir;
  FileSystem& fs = RealFileSystem();
  WriteFile(fs, dir / "b.json", "1");
  WriteFile(fs, dir / "a.json", "2");
  REQUIRE(fs.CreateDirectories(dir / "sub").ok());
  WriteFile(fs, dir / "sub/inner", "3");

  Result<std::vector<DirEntry>> entries = fs.List(dir.path());
  REQUIRE(entries.ok());
  std::sort(entries->begin(), entries->end(),
            [](const DirEntry& x, const DirEntry& y) { return x.name < y.name; });
  REQUIRE(entries->size() == 3);
  CHECK((*entries)[0].name == "a.json");
  CHECK_FALSE((*entries)[0].is_directory);
  CHECK((*entries)[1].name == "b.json");
  CHECK_FALSE((*entries)[1].is_directory);
  CHECK((*entries)[2].name == "sub");
  CHECK((*entries)[2].is_directory);

  // Subdirectories are recognised also when the directory is named indirectly.
  const Result<std::vector<DirEntry>> via_parent = fs.List(dir / "sub/..");
  REQUIRE(via_parent.ok());
  CHECK(via_parent->size() == 3);
  CHECK(std::count_if(via_parent->begin(), via_parent->end(),
                      [](const DirEntry& e) { return e.is_directory; }) == 1);
}

TEST_CASE("List of an empty directory is empty and of a missing one fails") {
  ScratchDir dir;
  FileSystem& fs = RealFileSystem();
  const Result<std::vector<DirEntry>> empty = fs.List(dir.path());
  REQUIRE(empty.ok());
  CHECK(empty->empty());

  const std::string missing = dir / "missing";
  CheckIoError(fs.List(missing).status(), "list", missing);
}

TEST_CASE("FileSize gives the size in bytes and fails for a missing file") {
  ScratchDir dir;
  FileSystem& fs = RealFileSystem();
  const std::string path = dir / "sized";
  WriteFile(fs, path, "12345");
  const Result<std::uint64_t> size = fs.FileSize(path);
  REQUIRE(size.ok());
  CHECK(*size == 5);

  WriteFile(fs, dir / "zero", "");
  const Result<std::uint64_t> zero = fs.FileSize(dir / "zero");
  REQUIRE(zero.ok());
  CHECK(*zero == 0);

  const std::string missing = dir / "missing";
  CheckIoError(fs.FileSize(missing).status(), "stat", missing);
}

TEST_CASE("FreeSpace reports some space and fails for a missing path") {
  ScratchDir dir;
  FileSystem& fs = RealFileSystem();
  const Result<std::uint64_t> free_space = fs.FreeSpace(dir.path());
  REQUIRE(free_space.ok());
  CHECK(*free_space > 0);

  const std::string missing = dir / "missing";
  CheckIoError(fs.FreeSpace(missing).status(), kFreeSpaceOp, missing);
}

TEST_CASE("Exists sees files and directories") {
  ScratchDir dir;
  FileSystem& fs = RealFileSystem();
  CHECK(fs.Exists(dir.path()));
  CHECK_FALSE(fs.Exists(dir / "nope"));
  CHECK_FALSE(fs.Exists(dir / "nope/deeper"));
  WriteFile(fs, dir / "yes", "");
  CHECK(fs.Exists(dir / "yes"));
}

#ifdef _WIN32
TEST_CASE("a new folder gets a protected ACL: SYSTEM, Administrators and its owner only") {
  ScratchDir dir;
  const std::string sub = dir / "state";
  REQUIRE(RealFileSystem().CreateDirectories(sub).ok());
  std::wstring wide(sub.begin(), sub.end());  // the scratch path is ASCII
  PSECURITY_DESCRIPTOR descriptor = nullptr;
  REQUIRE(::GetNamedSecurityInfoW(wide.c_str(), SE_FILE_OBJECT, DACL_SECURITY_INFORMATION, nullptr,
                                  nullptr, nullptr, nullptr, &descriptor) == ERROR_SUCCESS);
  wchar_t* text = nullptr;
  REQUIRE(::ConvertSecurityDescriptorToStringSecurityDescriptorW(
      descriptor, SDDL_REVISION_1, DACL_SECURITY_INFORMATION, &text, nullptr));
  const std::wstring sddl = text;
  ::LocalFree(text);
  ::LocalFree(descriptor);
  const std::string shown(sddl.begin(), sddl.end());
  INFO("DACL: ", shown);
  CHECK(shown.find(";;;SY)") != std::string::npos);
  // Wine keeps neither the protected flag nor the Administrators entry of a
  // new folder's descriptor; Windows keeps both.
  if (::GetProcAddress(::GetModuleHandleW(L"ntdll.dll"), "wine_get_version") == nullptr) {
    CHECK(shown.rfind("D:P", 0) == 0);  // protected: nothing inherited from above
    CHECK(shown.find(";;;BA)") != std::string::npos);
  }
  CHECK(shown.find(";;;WD)") == std::string::npos);  // not Everyone
  CHECK(shown.find(";;;BU)") == std::string::npos);  // not Users
}
#endif

TEST_CASE("paths longer than Windows' MAX_PATH work for every operation") {
  ScratchDir dir;
  FileSystem& fs = RealFileSystem();
  std::string deep = dir.path();
  while (deep.size() < 300) deep += "/a-rather-long-folder-name-" + std::to_string(deep.size());
  REQUIRE(fs.CreateDirectories(deep).ok());
  const std::string file = deep + "/cab-0123456789abcdef.part";
  WriteFile(fs, file, "long");
  CHECK(Read(fs, file) == "long");
  CHECK(fs.Exists(file));
  CHECK(*fs.FileSize(file) == 4);
  CHECK(fs.SyncDir(deep).ok());
  REQUIRE(fs.Rename(file, deep + "/final.cab").ok());
  const auto listed = fs.List(deep);
  REQUIRE(listed.ok());
  REQUIRE(listed->size() == 1);
  CHECK(listed->front().name == "final.cab");
  CHECK(fs.FreeSpace(deep).ok());
  CHECK(fs.Remove(deep + "/final.cab").ok());
  CHECK_FALSE(fs.Exists(deep + "/final.cab"));
}

TEST_CASE("RealFileSystem is one shared instance") {
  CHECK(&RealFileSystem() == &RealFileSystem());
}

}  // namespace
}  // namespace hdc::platform

namespace hdc::platform {
namespace {

TEST_CASE("opening a symbolic link for writing is refused and its target untouched") {
#ifdef _WIN32
  HDC_SKIP_TEST(
      "a symbolic link on Windows is a reparse point that needs "
      "SeCreateSymbolicLinkPrivilege to make; refusing reparse points is not built yet");
#endif
  hdc::testing::TempDir dir;
  const std::string target = dir.Write("target", "keep me");
  std::filesystem::create_symlink(target, dir / "link");
  auto file = RealFileSystem().OpenForWrite(dir / "link", false);
  REQUIRE_FALSE(file.ok());
  CHECK(file.status().message().find(dir / "link") != std::string::npos);
  CHECK(*RealFileSystem().ReadFile(target) == "keep me");
}

}  // namespace
}  // namespace hdc::platform
