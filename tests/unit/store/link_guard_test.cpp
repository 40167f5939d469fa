// No symbolic link under the state directory (store/link_guard.h;
// docs/reliability.md S6): each placement an attacker tried is found and
// refused with kConfig naming it; nothing behind a link is looked at; the
// same names as plain files and folders pass (the control).
#include "store/link_guard.h"

#include <filesystem>
#include <fstream>
#include <string>

#include <doctest/doctest.h>

#include "db/database.h"
#include "platform/dir_lock.h"
#include "support/skip.h"
#include "support/temp_dir.h"

namespace hdc::store {
namespace {

using testing::TempDir;
namespace fs = std::filesystem;

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A state directory as the daemon leaves it: database, lock, store folders.
void MakeState(const TempDir& state) {
  for (const char* dir : {"store/reports/kernel/501", "store/cabs/14", "store/tmp"}) {
    fs::create_directories(state / dir);
  }
  state.Write("state.db", "");
  state.Write("lock", "1\n");
  state.Write("store/cabs/14/14aa.cab", "MSCF");
  state.Write("store/reports/kernel/501/20240501T020000Z.txt", "A\n");
}

TEST_CASE("a plain state directory has no link, and a missing one is fine (the control)") {
  TempDir state;
  MakeState(state);
  platform::FileSystem& files = platform::RealFileSystem();
  CHECK(RefuseLinksUnder(files, state.path()).ok());
  auto links = FindLinksUnder(files, state.path());
  REQUIRE(links.ok());
  CHECK(links->empty());
  CHECK(RefuseLinksUnder(files, state / "not-yet").ok());
}

TEST_CASE("a link anywhere under the state directory is refused with 78, naming it") {
  HDC_SKIP_ON_WINDOWS(HDC_NO_SYMLINKS_ON_WINDOWS);
  // Every placement of the attack: the lock, the database, the store and
  // its folders, a cab prefix folder, a job folder, a file in tmp.
  struct Placement {
    const char* path;
    bool file;  // a link to a file, else to a folder
  };
  for (const Placement& placement : {Placement{"lock", true},
                                     {"state.db", true},
                                     {"store", false},
                                     {"store/cabs", false},
                                     {"store/reports", false},
                                     {"store/tmp", false},
                                     {"store/cabs/14", false},
                                     {"store/reports/kernel", false},
                                     {"store/tmp/cab-x.part", true},
                                     {"store/cabs/14/14aa.cab", true}}) {
    const std::string name = placement.path;
    CAPTURE(name);
    TempDir state;
    TempDir outside;
    MakeState(state);
    const std::string victim = outside.Write("victim", "precious");
    fs::remove_all(state / name);
    fs::create_symlink(placement.file ? victim : outside.path(), state / name);
    const util::Status refused = RefuseLinksUnder(platform::RealFileSystem(), state.path());
    CHECK(refused.kind() == util::ErrorKind::kConfig);
    CHECK(refused.exit_code() == 78);
    CHECK(refused.message().starts_with(state / name + " is a symbolic link;"));
    auto links = FindLinksUnder(platform::RealFileSystem(), state.path());
    REQUIRE(links.ok());
    CHECK(*links == std::vector<std::string>{name});  // nothing behind it is looked at
    CHECK(Slurp(victim) == "precious");
  }
  // A dangling link counts too.
  TempDir state;
  MakeState(state);
  fs::create_symlink(state / "nowhere", state / "store/cabs/15");
  CHECK(RefuseLinksUnder(platform::RealFileSystem(), state.path()).kind() ==
        util::ErrorKind::kConfig);
}

TEST_CASE("List reports a link to a folder as a link, not a folder") {
  HDC_SKIP_ON_WINDOWS(HDC_NO_SYMLINKS_ON_WINDOWS);
  TempDir dir;
  TempDir outside;
  fs::create_directories(dir / "real");
  fs::create_directory_symlink(outside.path(), dir / "link");
  auto entries = platform::RealFileSystem().List(dir.path());
  REQUIRE(entries.ok());
  REQUIRE(entries->size() == 2);
  for (const platform::DirEntry& e : *entries) {
    CAPTURE(e.name);
    CHECK(e.is_directory == (e.name == "real"));
    CHECK(e.is_symlink == (e.name == "link"));
  }
}

TEST_CASE("the lock file and the database refuse a link in their place") {
  HDC_SKIP_ON_WINDOWS(HDC_NO_SYMLINKS_ON_WINDOWS);
  TempDir state;
  TempDir outside;
  const std::string victim = outside.Write("victim", "precious");
  fs::create_symlink(victim, state / "lock");
  auto lock = platform::LockDirectory(state.path());
  REQUIRE_FALSE(lock.ok());
  CHECK(lock.status().kind() == util::ErrorKind::kConfig);
  CHECK(lock.status().message() ==
        "lock file " + state / "lock" + " is a symbolic link; remove it");
  CHECK(Slurp(victim) == "precious");  // before, the pid was written here

  fs::create_symlink(victim, state / "state.db");
  auto db = db::Database::Open({state / "state.db"});
  CHECK_FALSE(db.ok());
  CHECK(Slurp(victim) == "precious");

  // The control: a regular lock file is taken.
  fs::remove(state / "lock");
  CHECK(platform::LockDirectory(state.path()).ok());
}

}  // namespace
}  // namespace hdc::store
