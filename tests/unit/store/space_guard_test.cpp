#include "store/space_guard.h"

#include <doctest/doctest.h>

#include "support/fault_fs.h"
#include "support/temp_dir.h"

namespace hdc::store {
namespace {

using testing::FaultFs;
using util::ErrorKind;

TEST_CASE("a download may start when free space is at or above min_free_space") {
  testing::TempDir dir;
  FaultFs fs(platform::RealFileSystem());
  fs.SetFreeSpace(10u << 20);
  CHECK(CheckFreeSpace(fs, dir.path(), 10u << 20).ok());
  CHECK(CheckFreeSpace(fs, dir.path(), 1u << 20).ok());
}

TEST_CASE("below min_free_space no new download starts and the message says how much is free") {
  FaultFs fs(platform::RealFileSystem());
  fs.SetFreeSpace(512u << 10);
  const util::Status s = CheckFreeSpace(fs, "/state/store", 1u << 30);
  CHECK(s.kind() == ErrorKind::kTemporary);
  CHECK(s.message() ==
        "only 512K free in /state/store, below min_free_space 1G; no new download starts");
}

TEST_CASE("a zero min_free_space never asks the file system") {
  FaultFs fs(platform::RealFileSystem());
  fs.FailAt(FaultFs::Op::kFreeSpace, 1, true);
  CHECK(CheckFreeSpace(fs, "/nowhere", 0).ok());
  CHECK(fs.calls(FaultFs::Op::kFreeSpace) == 0);
}

TEST_CASE("a failure to read the free space is returned as it is") {
  FaultFs fs(platform::RealFileSystem());
  fs.FailAt(FaultFs::Op::kFreeSpace, 1);
  const util::Status s = CheckFreeSpace(fs, "/state/store", 1);
  CHECK(s.kind() == ErrorKind::kTemporary);
  CHECK(s.message().starts_with("statvfs /state/store"));
}

TEST_CASE("the real file system reports free space for a real directory") {
  testing::TempDir dir;
  CHECK(CheckFreeSpace(platform::RealFileSystem(), dir.path(), 1).ok());
  CHECK(CheckFreeSpace(platform::RealFileSystem(), dir.path(), UINT64_MAX).kind() ==
        ErrorKind::kTemporary);
}

}  // namespace
}  // namespace hdc::store
