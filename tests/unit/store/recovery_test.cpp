#include "store/recovery.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <doctest/doctest.h>

#include "store/atomic_writer.h"
#include "support/fault_fs.h"
#include "support/temp_dir.h"

namespace hdc::store {
namespace {

using testing::FaultFs;
using util::ErrorKind;

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

TEST_CASE("the scan keeps partials, removes strays, and leaves directories and links alone") {
  testing::TempDir dir;
  const StoreLayout layout(dir.path());
  platform::FileSystem& fs = platform::RealFileSystem();
  REQUIRE(layout.EnsureDirectories(fs).ok());
  const std::string tmp = layout.tmp_dir();
  const std::string victim = dir.Write("victim", "precious");
  dir.Write("store/tmp/cab-AB12.part", "MSCF1234");
  dir.Write("store/tmp/report-job-1-20240501T000000Z.part", "");
  dir.Write("store/tmp/cab-AB12.tmp", "leftover");
  dir.Write("store/tmp/junk", "x");
  dir.Write("store/tmp/CAB-x.part", "wrong kind");
  std::filesystem::create_directory(tmp + "/subdir");
#ifndef _WIN32  // MinGW's std::filesystem cannot make symbolic links
  std::filesystem::create_symlink(victim, tmp + "/cab-EVIL.part");
#endif

  const auto scan = ScanPartials(fs, layout);
  REQUIRE(scan.ok());
  REQUIRE(scan->partials.size() == 2);
  CHECK(scan->partials[0].path == tmp + "/cab-AB12.part");
  CHECK(scan->partials[0].kind == "cab");
  CHECK(scan->partials[0].key == "AB12");
  CHECK(scan->partials[0].size == 8);
  CHECK(scan->partials[1].kind == "report");
  CHECK(scan->partials[1].key == "job-1-20240501T000000Z");
  CHECK(scan->partials[1].size == 0);
  CHECK(scan->strays_removed == 3);
#ifdef _WIN32
  CHECK(scan->entries_left == 1);  // no symbolic link could be planted
#else
  CHECK(scan->entries_left == 2);  // the directory and the link
#endif
  CHECK(Slurp(victim) == "precious");
  CHECK_FALSE(std::filesystem::exists(tmp + "/junk"));
#ifndef _WIN32
  CHECK(std::filesystem::is_symlink(tmp + "/cab-EVIL.part"));  // never followed or deleted
#endif
  CHECK(std::filesystem::is_directory(tmp + "/subdir"));

  REQUIRE(RemovePartial(fs, scan->partials[1]).ok());
  const auto again = ScanPartials(fs, layout);
  REQUIRE(again.ok());
  CHECK(again->partials.size() == 1);
  CHECK(again->strays_removed == 0);
}

TEST_CASE("a scanned partial resumes where it stopped") {
  testing::TempDir dir;
  const StoreLayout layout(dir.path());
  platform::FileSystem& fs = platform::RealFileSystem();
  REQUIRE(layout.EnsureDirectories(fs).ok());
  {
    auto w = AtomicWriter::Create(fs, *layout.TempPath("cab", "R1"), *layout.CabPath("R1"), false);
    REQUIRE(w.ok());
    REQUIRE((*w)->Append("MSCF").ok());
  }
  const auto scan = ScanPartials(fs, layout);
  REQUIRE(scan.ok());
  REQUIRE(scan->partials.size() == 1);
  const Partial& p = scan->partials[0];
  auto w = AtomicWriter::Create(fs, p.path, *layout.CabPath(p.key), true);
  REQUIRE(w.ok());
  CHECK((*w)->size() == p.size);
  REQUIRE((*w)->Append("-rest").ok());
  const auto done = (*w)->Commit(9, std::nullopt);
  REQUIRE(done.ok());
  CHECK(Slurp(done->path) == "MSCF-rest");
}

TEST_CASE("a missing tmp directory is an empty scan and a listing failure is an error") {
  testing::TempDir dir;
  const StoreLayout layout(dir.path());
  FaultFs fs(platform::RealFileSystem());
  const auto empty = ScanPartials(fs, layout);
  REQUIRE(empty.ok());
  CHECK(empty->partials.empty());
  CHECK(empty->strays_removed == 0);

  REQUIRE(layout.EnsureDirectories(fs).ok());
  fs.FailAt(FaultFs::Op::kList, 1);
  const auto failed = ScanPartials(fs, layout);
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.status().kind() == ErrorKind::kTemporary);
}

TEST_CASE("a stray that cannot be removed is counted as left and the scan goes on") {
  testing::TempDir dir;
  const StoreLayout layout(dir.path());
  FaultFs fs(platform::RealFileSystem());
  REQUIRE(layout.EnsureDirectories(fs).ok());
  dir.Write("store/tmp/junk", "x");
  dir.Write("store/tmp/cab-OK.part", "x");
  fs.FailAt(FaultFs::Op::kRemove, 1, true);
  const auto scan = ScanPartials(fs, layout);
  REQUIRE(scan.ok());
  CHECK(scan->partials.size() == 1);
  CHECK(scan->strays_removed == 0);
  CHECK(scan->entries_left == 1);
}

TEST_CASE("the recovery summary is one line with the counts") {
  CHECK(RecoverySummary({.partials_kept = 3, .strays_removed = 2}) ==
        "store recovery: 3 partial downloads kept for resume, 2 stray files removed");
  CHECK(RecoverySummary({}) ==
        "store recovery: 0 partial downloads kept for resume, 0 stray files removed");
  CHECK(RecoverySummary({.partials_kept = 1,
                         .partials_removed = 1,
                         .strays_removed = 1,
                         .entries_left = 2,
                         .rows_reset = 4}) ==
        "store recovery: 1 partial download kept for resume, 1 stray file removed, 1 partial "
        "download removed, 2 entries left in tmp, 4 rows in progress reset");
}

}  // namespace
}  // namespace hdc::store
