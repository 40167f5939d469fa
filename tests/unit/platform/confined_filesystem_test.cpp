// OpenConfinedFileSystem: the real file system confined to a state
// directory, where a symbolic link planted after it was opened - between two
// path components or at the last one - is refused by the call that meets it,
// never followed and never deleted.
#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#ifndef _WIN32
#include <sys/stat.h>
#endif

#include "platform/filesystem.h"
#include "support/skip.h"
#include "support/temp_dir.h"

namespace hdc::platform {
namespace {

using hdc::testing::TempDir;
using util::ErrorKind;

std::unique_ptr<FileSystem> Confined(const std::string& root) {
  auto fs = OpenConfinedFileSystem(root);
  REQUIRE(fs.ok());
  return std::move(fs).value();
}

std::vector<std::string> Names(FileSystem& fs, const std::string& dir) {
  auto entries = fs.List(dir);
  REQUIRE(entries.ok());
  std::vector<std::string> names;
  for (const DirEntry& e : *entries) names.push_back(e.name);
  std::sort(names.begin(), names.end());
  return names;
}

// Every entry of a real folder, by name, for "nothing appeared outside".
std::vector<std::string> Entries(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

void CheckLinkRefused(const util::Status& status, const std::string& link) {
  CHECK(status.kind() == ErrorKind::kConfig);
  CHECK(status.message() == LinkRefusedMessage(link));
}

TEST_CASE("a confined file system does under its root what the real one does") {
  TempDir dir;
  auto fs = Confined(dir.path());
  REQUIRE(fs->CreateDirectories(dir / "store/cabs/14").ok());
  REQUIRE(fs->CreateDirectories(dir / "store/cabs/14").ok());  // again: nothing to do
  auto file = fs->OpenForWrite(dir / "store/tmp.part", false);
  REQUIRE(file.ok());
  REQUIRE((*file)->Append("hello, ").ok());
  REQUIRE((*file)->Append("world").ok());
  REQUIRE((*file)->Sync().ok());
  REQUIRE((*file)->Close().ok());
  auto appended = fs->OpenForWrite(dir / "store/tmp.part", true);
  REQUIRE(appended.ok());
  REQUIRE((*appended)->Append("!").ok());
  REQUIRE((*appended)->Close().ok());
  CHECK(*fs->ReadFile(dir / "store/tmp.part") == "hello, world!");
  CHECK(*fs->FileSize(dir / "store/tmp.part") == 13);

  {  // closed before the rename: Windows deletes an open file only at its close
    auto reader = fs->OpenForRead(dir / "store/tmp.part");
    REQUIRE(reader.ok());
    std::string chunks;
    char buf[4];
    for (auto n = (*reader)->Read(buf, sizeof buf); n.ok() && *n > 0;
         n = (*reader)->Read(buf, sizeof buf)) {
      chunks.append(buf, *n);
    }
    CHECK(chunks == "hello, world!");
  }

  REQUIRE(fs->Rename(dir / "store/tmp.part", dir / "store/cabs/14/a.cab").ok());
  REQUIRE(fs->SyncDir(dir / "store/cabs/14").ok());
  REQUIRE(fs->SyncDir(dir.path()).ok());
  CHECK(Names(*fs, dir / "store") == std::vector<std::string>{"cabs"});
  auto entries = fs->List(dir / "store/cabs");
  REQUIRE(entries.ok());
  REQUIRE(entries->size() == 1);
  CHECK(entries->front().is_directory);
  CHECK_FALSE(entries->front().is_symlink);
  CHECK(fs->Exists(dir / "store/cabs/14/a.cab"));
  CHECK(fs->Exists(dir.path()));
  CHECK_FALSE(fs->Exists(dir / "store/cabs/15/b.cab"));
  CHECK(fs->FreeSpace(dir / "store/cabs/14/a.cab").ok());
  CHECK(fs->FreeSpace(dir.path()).ok());
  REQUIRE(fs->Remove(dir / "store/cabs/14/a.cab").ok());
  CHECK_FALSE(fs->Exists(dir / "store/cabs/14/a.cab"));
  CHECK(fs->Remove(dir / "store/cabs/14/a.cab").ok());     // missing: fine
  CHECK(fs->Remove(dir / "store/cabs/99/gone.cab").ok());  // folder missing too
  CHECK(fs->ReadFile(dir / "store/missing").status().kind() == ErrorKind::kTemporary);
  CHECK(fs->OpenForWrite(dir / "nowhere/x", false).status().kind() == ErrorKind::kTemporary);
}

TEST_CASE("a confined file system refuses a path outside its root or leaving it") {
  TempDir dir;
  TempDir outside;
  auto fs = Confined(dir / "");  // a trailing separator is the same root
  for (const std::string& path :
       {outside / "x", dir.path() + "-sibling/x", dir / "../x", dir / "store/../../x"}) {
    CAPTURE(path);
    auto file = fs->OpenForWrite(path, false);
    REQUIRE_FALSE(file.ok());
    CHECK(file.status().kind() == ErrorKind::kInternal);
    CHECK(fs->CreateDirectories(path).kind() == ErrorKind::kInternal);
    CHECK(fs->Remove(path).kind() == ErrorKind::kInternal);
    CHECK_FALSE(fs->Exists(path));
  }
  CHECK(Entries(outside.path()).empty());
  CHECK(fs->OpenForWrite(dir.path(), false).status().kind() == ErrorKind::kInternal);
}

TEST_CASE("a confined file system may have a link as its root") {
  HDC_SKIP_ON_WINDOWS(HDC_NO_SYMLINKS_ON_WINDOWS);
  TempDir dir;
  std::filesystem::create_directory(dir / "real");
  std::filesystem::create_directory_symlink(dir / "real", dir / "state");
  auto fs = Confined(dir / "state");
  REQUIRE(fs->CreateDirectories(dir / "state/store").ok());
  auto file = fs->OpenForWrite(dir / "state/store/x", false);
  REQUIRE(file.ok());
  REQUIRE((*file)->Close().ok());
  CHECK(std::filesystem::exists(dir / "real/store/x"));
}

// The attack: the store's folder is swapped for a link to a folder outside
// after the daemon started (its start-up check passed).
TEST_CASE("a folder link planted under the root while it is open is refused by every call") {
  HDC_SKIP_ON_WINDOWS(HDC_NO_SYMLINKS_ON_WINDOWS);
  TempDir dir;
  TempDir outside;
  outside.Write("cabs/14/old.cab", "outside");
  auto fs = Confined(dir.path());
  REQUIRE(fs->CreateDirectories(dir / "store").ok());
  std::filesystem::create_directory_symlink(outside / "cabs", dir / "store/cabs");
  const std::string link = dir / "store/cabs";
  const std::string inside = dir / "store/cabs/14/a.cab";

  SUBCASE("control: the unconfined file system writes through it") {
    auto file = RealFileSystem().OpenForWrite(inside, false);
    REQUIRE(file.ok());
    REQUIRE((*file)->Close().ok());
    CHECK(std::filesystem::exists(outside / "cabs/14/a.cab"));
  }
  SUBCASE("the confined file system refuses it at every call") {
    CheckLinkRefused(fs->OpenForWrite(inside, false).status(), link);
    CheckLinkRefused(fs->OpenForRead(dir / "store/cabs/14/old.cab").status(), link);
    CheckLinkRefused(fs->ReadFile(dir / "store/cabs/14/old.cab").status(), link);
    CheckLinkRefused(fs->CreateDirectories(dir / "store/cabs/15"), link);
    CheckLinkRefused(fs->List(dir / "store/cabs/14").status(), link);
    CheckLinkRefused(fs->FileSize(dir / "store/cabs/14/old.cab").status(), link);
    CheckLinkRefused(fs->SyncDir(dir / "store/cabs/14"), link);
    CheckLinkRefused(fs->Remove(dir / "store/cabs/14/old.cab"), link);
    CheckLinkRefused(fs->FreeSpace(dir / "store/cabs/14/old.cab").status(), link);
    CHECK_FALSE(fs->Exists(dir / "store/cabs/14/old.cab"));
    auto tmp = fs->OpenForWrite(dir / "store/a.part", false);
    REQUIRE(tmp.ok());
    REQUIRE((*tmp)->Close().ok());
    CheckLinkRefused(fs->Rename(dir / "store/a.part", inside), link);

    // Nothing was followed, nothing deleted: outside as it was, the link kept.
    CHECK(Entries(outside.path()) == std::vector<std::string>{"cabs"});
    CHECK(Entries(outside / "cabs") == std::vector<std::string>{"14"});
    CHECK(Entries(outside / "cabs/14") == std::vector<std::string>{"old.cab"});
    CHECK(std::filesystem::is_symlink(link));
    CHECK(std::filesystem::exists(dir / "store/a.part"));
  }
}

TEST_CASE("a file link planted under the root is refused, never followed, never deleted") {
  HDC_SKIP_ON_WINDOWS(HDC_NO_SYMLINKS_ON_WINDOWS);
  TempDir dir;
  TempDir outside;
  const std::string target = outside.Write("target", "keep me");
  auto fs = Confined(dir.path());
  REQUIRE(fs->CreateDirectories(dir / "store/tmp").ok());
  const std::string link = dir / "store/tmp/a.part";
  std::filesystem::create_symlink(target, link);

  CheckLinkRefused(fs->OpenForWrite(link, false).status(), link);
  CheckLinkRefused(fs->OpenForWrite(link, true).status(), link);
  CheckLinkRefused(fs->OpenForRead(link).status(), link);
  CheckLinkRefused(fs->FileSize(link).status(), link);
  CheckLinkRefused(fs->Remove(link), link);
  CheckLinkRefused(fs->List(link).status(), link);
  CheckLinkRefused(fs->Rename(link, dir / "store/x"), link);
  auto other = fs->OpenForWrite(dir / "store/b.part", false);
  REQUIRE(other.ok());
  REQUIRE((*other)->Close().ok());
  // A rename onto the link would delete it silently: refused too.
  CheckLinkRefused(fs->Rename(dir / "store/b.part", link), link);
  // Listing its folder reports it as a link, as RealFileSystem's List does.
  auto entries = fs->List(dir / "store/tmp");
  REQUIRE(entries.ok());
  REQUIRE(entries->size() == 1);
  CHECK(entries->front().is_symlink);
  CHECK_FALSE(entries->front().is_directory);

  CHECK(*RealFileSystem().ReadFile(target) == "keep me");
  CHECK(std::filesystem::is_symlink(link));
  CHECK(std::filesystem::exists(dir / "store/b.part"));
}

#ifndef _WIN32
TEST_CASE("a FIFO planted at a path the store writes is refused without waiting for a reader") {
  TempDir dir;
  auto fs = Confined(dir.path());
  REQUIRE(::mkfifo((dir / "fifo").c_str(), 0600) == 0);
  auto file = fs->OpenForWrite(dir / "fifo", false);
  REQUIRE_FALSE(file.ok());
  CHECK(file.status().message().find(dir / "fifo") != std::string::npos);
  // A reader open: the open succeeds and the file type check refuses it.
  auto reader = fs->OpenForRead(dir / "fifo");  // O_NONBLOCK: does not wait for a writer
  REQUIRE(reader.ok());
  auto again = fs->OpenForWrite(dir / "fifo", false);
  REQUIRE_FALSE(again.ok());
  CHECK(again.status().kind() == ErrorKind::kConfig);
  CHECK(again.status().message().find("is not a regular file") != std::string::npos);
}
#endif

}  // namespace
}  // namespace hdc::platform
