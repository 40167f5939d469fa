// Tests of tests/support/fault_fs: the crash model must be able to catch a
// publisher that skips a step, or the store's crash test proves nothing.
#include "support/fault_fs.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <doctest/doctest.h>

#include "support/temp_dir.h"

namespace hdc::testing {
namespace {

using Op = FaultFs::Op;

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Writes a file through fs; sync decides whether its data is made durable.
void WriteFile(FaultFs& fs, const std::string& path, std::string_view data, bool sync) {
  auto file = fs.OpenForWrite(path, false);
  REQUIRE(file.ok());
  REQUIRE((*file)->Append(data).ok());
  if (sync) REQUIRE((*file)->Sync().ok());
  REQUIRE((*file)->Close().ok());
}

TEST_CASE("fault fs forwards calls, counts them and fails the chosen one once") {
  TempDir dir;
  FaultFs fs(platform::RealFileSystem());
  fs.FailAppendAt(2);
  auto file = fs.OpenForWrite(dir / "f", false);
  REQUIRE(file.ok());
  CHECK((*file)->Append("one").ok());
  const util::Status full = (*file)->Append("two");
  CHECK(full.kind() == util::ErrorKind::kTemporary);
  CHECK(full.message() == "write " + (dir / "f") + ": No space left on device");
  CHECK((*file)->Append("three").ok());
  CHECK((*file)->Close().ok());
  CHECK(Slurp(dir / "f") == "onethree");
  CHECK(fs.calls(Op::kAppend) == 3);
  CHECK(fs.calls(Op::kClose) == 1);
}

TEST_CASE("a persistent fault keeps failing until healed") {
  TempDir dir;
  FaultFs fs(platform::RealFileSystem());
  fs.FailRename();
  dir.Write("a", "x");
  CHECK_FALSE(fs.Rename(dir / "a", dir / "b").ok());
  CHECK_FALSE(fs.Rename(dir / "a", dir / "b").ok());
  fs.Heal(Op::kRename);
  CHECK(fs.Rename(dir / "a", dir / "b").ok());
  CHECK(fs.calls(Op::kRename) == 3);
}

TEST_CASE("a failed close still releases the file and a failed sync does not sync") {
  TempDir dir;
  FaultFs fs(platform::RealFileSystem());
  fs.FailSync();
  fs.FailClose();
  auto file = fs.OpenForWrite(dir / "f", false);
  REQUIRE(file.ok());
  REQUIRE((*file)->Append("data").ok());
  CHECK((*file)->Sync().message().starts_with("fdatasync "));
  CHECK((*file)->Close().message().starts_with("close "));
  REQUIRE(fs.DropUnsynced().ok());
  CHECK_FALSE(std::filesystem::exists(dir / "f"));  // never synced
}

TEST_CASE("a power cut deletes files whose data or name was never made durable") {
  TempDir dir;
  FaultFs fs(platform::RealFileSystem());
  WriteFile(fs, dir / "unsynced", "data", false);
  fs.SyncDir(dir.path());
  WriteFile(fs, dir / "no-dir-sync", "data", true);  // created after the SyncDir
  REQUIRE(fs.DropUnsynced().ok());
  CHECK_FALSE(std::filesystem::exists(dir / "unsynced"));
  CHECK_FALSE(std::filesystem::exists(dir / "no-dir-sync"));
}

TEST_CASE("a power cut keeps synced bytes and cuts off the rest") {
  TempDir dir;
  FaultFs fs(platform::RealFileSystem());
  auto file = fs.OpenForWrite(dir / "f", false);
  REQUIRE(file.ok());
  REQUIRE((*file)->Append("durable").ok());
  REQUIRE((*file)->Sync().ok());
  REQUIRE((*file)->Append("-lost").ok());
  REQUIRE((*file)->Close().ok());
  REQUIRE(fs.SyncDir(dir.path()).ok());
  REQUIRE(fs.DropUnsynced().ok());
  CHECK(Slurp(dir / "f") == "durable");
}

TEST_CASE("a rename without a directory sync is undone to the old durable name") {
  TempDir dir;
  FaultFs fs(platform::RealFileSystem());
  WriteFile(fs, dir / "old", "content", true);
  REQUIRE(fs.SyncDir(dir.path()).ok());
  std::filesystem::create_directory(dir / "sub");
  REQUIRE(fs.Rename(dir / "old", dir / "sub/new").ok());
  REQUIRE(fs.DropUnsynced().ok());
  CHECK_FALSE(std::filesystem::exists(dir / "sub/new"));
  CHECK(Slurp(dir / "old") == "content");
}

TEST_CASE("the crash model catches a publisher that renames before it syncs") {
  TempDir dir;
  FaultFs fs(platform::RealFileSystem());
  std::filesystem::create_directories(dir / "tmp");
  std::filesystem::create_directories(dir / "final");
  WriteFile(fs, dir / "tmp/x.part", "complete file", false);  // the missing fsync
  REQUIRE(fs.Rename(dir / "tmp/x.part", dir / "final/x").ok());
  REQUIRE(fs.SyncDir(dir / "final").ok());
  REQUIRE(fs.DropUnsynced().ok());
  CHECK_FALSE(std::filesystem::exists(dir / "final/x"));

  // And the correct order survives.
  WriteFile(fs, dir / "tmp/y.part", "complete file", true);
  REQUIRE(fs.Rename(dir / "tmp/y.part", dir / "final/y").ok());
  REQUIRE(fs.SyncDir(dir / "final").ok());
  REQUIRE(fs.DropUnsynced().ok());
  CHECK(Slurp(dir / "final/y") == "complete file");
}

TEST_CASE("a power cut limited to a directory and files fault fs never wrote are left alone") {
  TempDir dir;
  FaultFs fs(platform::RealFileSystem());
  dir.Write("before", "was here");
  std::filesystem::create_directories(dir / "a");
  std::filesystem::create_directories(dir / "ab");
  WriteFile(fs, dir / "a/f", "x", false);
  WriteFile(fs, dir / "ab/f", "x", false);
  REQUIRE(fs.DropUnsynced(dir / "a").ok());
  CHECK_FALSE(std::filesystem::exists(dir / "a/f"));
  CHECK(std::filesystem::exists(dir / "ab/f"));
  CHECK(Slurp(dir / "before") == "was here");
}

TEST_CASE("the trace lists mutating calls in order") {
  TempDir dir;
  FaultFs fs(platform::RealFileSystem());
  WriteFile(fs, dir / "f", "x", true);
  REQUIRE(fs.Rename(dir / "f", dir / "g").ok());
  REQUIRE(fs.SyncDir(dir.path()).ok());
  CHECK(fs.trace() == std::vector<std::string>{
                          "open " + (dir / "f"), "sync " + (dir / "f"), "close " + (dir / "f"),
                          "rename " + (dir / "f") + " -> " + (dir / "g"), "syncdir " + dir.path()});
}

}  // namespace
}  // namespace hdc::testing
