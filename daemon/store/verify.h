// Re-hashing stored files (hdc-reportctl verify; resuming a partial).
//
// Files are read in 64 KiB chunks with std::ifstream, because the FileSystem
// seam has no streaming read and FileSystem::ReadFile would hold a whole
// 1 GiB cab in memory; the FileSystem is asked for the size first, so a
// missing file is reported the seam's way and a file that changes size while
// it is read is an error rather than a wrong hash. Errors are kTemporary and
// name the path. Stateless; safe from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "platform/filesystem.h"
#include "util/result.h"

namespace hdc::store {

inline constexpr std::size_t kReadChunkBytes = 64 * 1024;

// Calls on_chunk for each chunk of the file in order; stops at the first
// error from on_chunk. Returns the number of bytes read, which equals the
// size FileSystem::FileSize reported beforehand (else an error).
util::Result<std::uint64_t> ForEachChunk(
    platform::FileSystem& fs, const std::string& path,
    const std::function<util::Status(std::string_view chunk)>& on_chunk);

// SHA-256 of the file's bytes, lower-case hex.
util::Result<std::string> Sha256OfFile(platform::FileSystem& fs, const std::string& path);

// Size, SHA-256 and first bytes (up to 8) of a file, in one read.
struct FileDigest {
  std::uint64_t size = 0;
  std::string sha256_hex;
  std::string head;
};
util::Result<FileDigest> DigestFile(platform::FileSystem& fs, const std::string& path);

}  // namespace hdc::store
