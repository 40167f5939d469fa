#include "store/verify.h"

#include <string>

#include <doctest/doctest.h>

#include "support/fault_fs.h"
#include "support/temp_dir.h"

namespace hdc::store {
namespace {

using util::ErrorKind;

TEST_CASE("Sha256OfFile matches the FIPS 180-2 test vectors") {
  testing::TempDir dir;
  platform::FileSystem& fs = platform::RealFileSystem();
  CHECK(*Sha256OfFile(fs, dir.Write("abc", "abc")) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(*Sha256OfFile(fs, dir.Write("empty", "")) ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(*Sha256OfFile(fs, dir.Write("million", std::string(1000000, 'a'))) ==
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("files are read in 64 KiB chunks that add up to the file") {
  testing::TempDir dir;
  const std::string path = dir.Write("f", std::string(2 * kReadChunkBytes + 1, 'z'));
  std::vector<std::size_t> sizes;
  const auto total = ForEachChunk(platform::RealFileSystem(), path, [&](std::string_view chunk) {
    sizes.push_back(chunk.size());
    return util::Status::Ok();
  });
  REQUIRE(total.ok());
  CHECK(*total == 2 * kReadChunkBytes + 1);
  CHECK(sizes == std::vector<std::size_t>{kReadChunkBytes, kReadChunkBytes, 1});
}

TEST_CASE("an error from the chunk callback stops the read") {
  testing::TempDir dir;
  const std::string path = dir.Write("f", std::string(3 * kReadChunkBytes, 'z'));
  int calls = 0;
  const auto total = ForEachChunk(platform::RealFileSystem(), path, [&](std::string_view) {
    ++calls;
    return util::BadDataError("stop");
  });
  CHECK(total.status().message() == "stop");
  CHECK(calls == 1);
}

TEST_CASE("hashing a missing file is a temporary error naming the path") {
  testing::TempDir dir;
  const auto r = Sha256OfFile(platform::RealFileSystem(), dir / "missing.cab");
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().kind() == ErrorKind::kTemporary);
  CHECK(r.status().message().find(dir / "missing.cab") != std::string::npos);
}

TEST_CASE("hashing a directory is an error, not the hash of nothing") {
  testing::TempDir dir;
  CHECK_FALSE(Sha256OfFile(platform::RealFileSystem(), dir.path()).ok());
}

}  // namespace
}  // namespace hdc::store
