#include "service/callback_token.h"

#include <cstdio>
#include <exception>
#include <filesystem>
#include <random>

#include "platform/filesystem.h"
#include "util/logging.h"
#include "util/state_files.h"

namespace hdc::service {
namespace {

using util::Result;
using util::Status;

constexpr std::size_t kTokenChars = 32;

bool IsToken(std::string_view s) {
  if (s.size() != kTokenChars) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// `chars` lowercase hex characters (a multiple of 8) from the CSPRNG.
Result<std::string> RandomHex(std::size_t chars) {
  try {
#ifdef _WIN32
    std::random_device device;  // rand_s
#else
    std::random_device device("/dev/urandom");
#endif
    std::string out;
    for (std::size_t i = 0; i < chars / 8; ++i) {
      char buf[9];
      std::snprintf(buf, sizeof buf, "%08x", static_cast<unsigned>(device()));
      out += buf;
    }
    return out;
  } catch (const std::exception& e) {
    return util::InternalError(std::string("cannot read random bytes for the callback token: ") +
                               e.what());
  }
}

// Owner-only access; tightens (with a warning) a file that others can read.
void EnsurePrivate(const std::string& path) {
#ifndef _WIN32
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::perms perms = fs::status(path, ec).permissions();
  if (ec || (perms & (fs::perms::group_all | fs::perms::others_all)) == fs::perms::none) return;
  util::GetLogger("service")->warn("{} was accessible to other users; setting mode 0600", path);
  fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write, ec);
  if (ec) util::GetLogger("service")->warn("cannot chmod {}: {}", path, ec.message());
#else
  (void)path;
#endif
}

Result<std::string> ReadToken(platform::FileSystem& fs, const std::string& path) {
  Result<std::string> text = fs.ReadFile(path);
  if (!text.ok()) return text.status();
  std::string_view token = *text;
  if (!token.empty() && token.back() == '\n') token.remove_suffix(1);
  if (!IsToken(token)) {
    return util::ConfigError(path +
                             ": not a callback token (expected 32 lowercase hex characters); "
                             "remove the file to create a new one");
  }
  EnsurePrivate(path);
  return std::string(token);
}

// Writes the token to a private temp file, then links it to `path`; the link
// fails if another process got there first. Returns false in that case.
Result<bool> Publish(platform::FileSystem& fs, const std::string& state_dir,
                     const std::string& path, const std::string& token) {
  Result<std::string> suffix = RandomHex(8);
  if (!suffix.ok()) return suffix.status();
  const std::string temp = path + ".tmp-" + *suffix;
  Result<std::unique_ptr<platform::WritableFile>> file = fs.OpenForWrite(temp, false);
  if (!file.ok()) return file.status();
  Status status = (*file)->Append(token + "\n");
  if (status.ok()) status = (*file)->Sync();
  const Status closed = (*file)->Close();
  if (status.ok()) status = closed;
  std::error_code ec;
  if (status.ok()) std::filesystem::create_hard_link(temp, path, ec);
  (void)fs.Remove(temp);
  HDC_RETURN_IF_ERROR(status);
  if (ec == std::errc::file_exists) return false;
  if (ec) return util::TemporaryError("create " + path + ": " + ec.message());
  HDC_RETURN_IF_ERROR(fs.SyncDir(state_dir));
  return true;
}

}  // namespace

Result<std::string> LoadOrCreateCallbackToken(const std::string& state_dir) {
  platform::FileSystem& fs = platform::RealFileSystem();
  const std::string path = util::state_files::PathOf(state_dir, util::state_files::kCallbackToken);
  if (fs.Exists(path)) return ReadToken(fs, path);
  Result<std::string> token = RandomHex(kTokenChars);
  if (!token.ok()) return token.status();
  Result<bool> created = Publish(fs, state_dir, path, *token);
  if (!created.ok()) return created.status();
  if (!*created) return ReadToken(fs, path);  // another start created it first
  util::GetLogger("service")->info("created a new callback token in {}", path);
  return token;
}

bool TokenEquals(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const char other = i < b.size() ? b[i] : '\0';
    diff |= static_cast<unsigned char>(a[i] ^ other);
  }
  return diff == 0;
}

}  // namespace hdc::service
