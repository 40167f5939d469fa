#include "store/verify.h"

#include <vector>

#include <Poco/Crypto/DigestEngine.h>
#include <Poco/DigestEngine.h>

namespace hdc::store {

util::Result<std::uint64_t> ForEachChunk(
    platform::FileSystem& fs, const std::string& path,
    const std::function<util::Status(std::string_view chunk)>& on_chunk) {
  const util::Result<std::uint64_t> expected = fs.FileSize(path);
  if (!expected.ok()) return expected.status();
  auto file = fs.OpenForRead(path);
  if (!file.ok()) return file.status();
  std::vector<char> buffer(kReadChunkBytes);
  std::uint64_t total = 0;
  while (true) {
    const util::Result<std::size_t> n = (*file)->Read(buffer.data(), buffer.size());
    if (!n.ok()) return n.status();
    if (*n == 0) break;
    total += *n;
    HDC_RETURN_IF_ERROR(on_chunk(std::string_view(buffer.data(), *n)));
  }
  if (total != *expected) {
    return util::TemporaryError("read " + path + ": size changed while reading (" +
                                std::to_string(total) + " bytes read, " +
                                std::to_string(*expected) + " expected)");
  }
  return total;
}

util::Result<FileDigest> DigestFile(platform::FileSystem& fs, const std::string& path) {
  Poco::Crypto::DigestEngine sha256("SHA256");
  FileDigest digest;
  const util::Result<std::uint64_t> read = ForEachChunk(fs, path, [&](std::string_view chunk) {
    sha256.update(chunk.data(), chunk.size());
    if (digest.head.size() < 8) digest.head.append(chunk.substr(0, 8 - digest.head.size()));
    return util::Status::Ok();
  });
  if (!read.ok()) return read.status();
  digest.size = *read;
  digest.sha256_hex = Poco::DigestEngine::digestToHex(sha256.digest());
  return digest;
}

util::Result<std::string> Sha256OfFile(platform::FileSystem& fs, const std::string& path) {
  auto digest = DigestFile(fs, path);
  if (!digest.ok()) return digest.status();
  return digest->sha256_hex;
}

}  // namespace hdc::store
