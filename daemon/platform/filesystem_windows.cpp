// Windows implementation of the FileSystem seam (Win32 API, UTF-8 paths
// converted to UTF-16). Compile-checked with MinGW by
// tests/arch/windows_compile_check.sh.
#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <windows.h>

#include <string>

#include "platform/filesystem.h"

namespace hdc::platform {
namespace {

using util::Result;
using util::Status;

std::wstring Wide(const std::string& utf8) {
  if (utf8.empty()) return std::wstring();
  const int n = ::MultiByteToWideChar(CP_UTF8, 0, utf8.data(), static_cast<int>(utf8.size()),
                                      nullptr, 0);
  std::wstring out(static_cast<size_t>(n), L'\0');
  ::MultiByteToWideChar(CP_UTF8, 0, utf8.data(), static_cast<int>(utf8.size()), out.data(), n);
  return out;
}

std::string Narrow(const wchar_t* wide) {
  const int n = ::WideCharToMultiByte(CP_UTF8, 0, wide, -1, nullptr, 0, nullptr, nullptr);
  std::string out(static_cast<size_t>(n > 0 ? n - 1 : 0), '\0');
  ::WideCharToMultiByte(CP_UTF8, 0, wide, -1, out.data(), n, nullptr, nullptr);
  return out;
}

Status IoError(std::string_view op, const std::string& path, DWORD err) {
  char buf[256] = {0};
  ::FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, nullptr, err, 0,
                   buf, sizeof buf, nullptr);
  std::string text = buf;
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return util::TemporaryError(std::string(op) + " " + path + ": " + text);
}

class WindowsWritableFile final : public WritableFile {
 public:
  WindowsWritableFile(HANDLE h, std::string path) : h_(h), path_(std::move(path)) {}
  ~WindowsWritableFile() override {
    if (h_ != INVALID_HANDLE_VALUE) ::CloseHandle(h_);
  }
  Status Append(std::string_view data) override {
    while (!data.empty()) {
      DWORD written = 0;
      const DWORD chunk = static_cast<DWORD>(std::min<size_t>(data.size(), 1u << 30));
      if (!::WriteFile(h_, data.data(), chunk, &written, nullptr)) {
        return IoError("write", path_, ::GetLastError());
      }
      data.remove_prefix(written);
    }
    return Status::Ok();
  }
  Status Sync() override {
    if (!::FlushFileBuffers(h_)) return IoError("flush", path_, ::GetLastError());
    return Status::Ok();
  }
  Status Close() override {
    HANDLE h = h_;
    h_ = INVALID_HANDLE_VALUE;
    if (!::CloseHandle(h)) return IoError("close", path_, ::GetLastError());
    return Status::Ok();
  }

 private:
  HANDLE h_;
  std::string path_;
};

class WindowsFileSystem final : public FileSystem {
 public:
  Result<std::unique_ptr<WritableFile>> OpenForWrite(const std::string& path,
                                                     bool append) override {
    // The file inherits the ACL of its folder (the state directory is
    // created with an owner-only ACL by the installer).
    HANDLE h = ::CreateFileW(Wide(path).c_str(), append ? FILE_APPEND_DATA : GENERIC_WRITE,
                             FILE_SHARE_READ | FILE_SHARE_DELETE, nullptr,
                             append ? OPEN_ALWAYS : CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, nullptr);
    if (h == INVALID_HANDLE_VALUE) return IoError("open", path, ::GetLastError());
    return std::unique_ptr<WritableFile>(new WindowsWritableFile(h, path));
  }

  Result<std::string> ReadFile(const std::string& path) override {
    HANDLE h = ::CreateFileW(Wide(path).c_str(), GENERIC_READ,
                             FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                             OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr);
    if (h == INVALID_HANDLE_VALUE) return IoError("open", path, ::GetLastError());
    std::string out;
    char buf[65536];
    DWORD n = 0;
    while (::ReadFile(h, buf, sizeof buf, &n, nullptr) && n > 0) out.append(buf, n);
    const DWORD err = ::GetLastError();
    ::CloseHandle(h);
    if (n != 0) return IoError("read", path, err);
    return out;
  }

  Status Rename(const std::string& from, const std::string& to) override {
    if (!::MoveFileExW(Wide(from).c_str(), Wide(to).c_str(),
                       MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)) {
      return IoError("rename", from + " to", ::GetLastError());
    }
    return Status::Ok();
  }

  // MOVEFILE_WRITE_THROUGH already makes renames durable; NTFS has no
  // directory fsync.
  Status SyncDir(const std::string&) override { return Status::Ok(); }

  Status Remove(const std::string& path) override {
    if (!::DeleteFileW(Wide(path).c_str())) {
      const DWORD err = ::GetLastError();
      if (err != ERROR_FILE_NOT_FOUND && err != ERROR_PATH_NOT_FOUND) {
        return IoError("remove", path, err);
      }
    }
    return Status::Ok();
  }

  Status CreateDirectories(const std::string& path) override {
    for (size_t pos = 0; pos <= path.size(); ++pos) {
      if (pos != path.size() && path[pos] != '/' && path[pos] != '\\') continue;
      const std::string prefix = path.substr(0, pos);
      if (prefix.empty() || prefix.back() == ':') continue;  // "C:"
      if (!::CreateDirectoryW(Wide(prefix).c_str(), nullptr) &&
          ::GetLastError() != ERROR_ALREADY_EXISTS) {
        return IoError("create directory", prefix, ::GetLastError());
      }
    }
    return Status::Ok();
  }

  Result<std::vector<DirEntry>> List(const std::string& dir) override {
    WIN32_FIND_DATAW data;
    HANDLE h = ::FindFirstFileW(Wide(dir + "\\*").c_str(), &data);
    if (h == INVALID_HANDLE_VALUE) return IoError("list", dir, ::GetLastError());
    std::vector<DirEntry> entries;
    do {
      const std::string name = Narrow(data.cFileName);
      if (name == "." || name == "..") continue;
      entries.push_back({name, (data.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) != 0});
    } while (::FindNextFileW(h, &data));
    ::FindClose(h);
    return entries;
  }

  Result<std::uint64_t> FileSize(const std::string& path) override {
    WIN32_FILE_ATTRIBUTE_DATA data;
    if (!::GetFileAttributesExW(Wide(path).c_str(), GetFileExInfoStandard, &data)) {
      return IoError("stat", path, ::GetLastError());
    }
    return (static_cast<std::uint64_t>(data.nFileSizeHigh) << 32) | data.nFileSizeLow;
  }

  Result<std::uint64_t> FreeSpace(const std::string& path) override {
    ULARGE_INTEGER available;
    if (!::GetDiskFreeSpaceExW(Wide(path).c_str(), &available, nullptr, nullptr)) {
      return IoError("free space of", path, ::GetLastError());
    }
    return static_cast<std::uint64_t>(available.QuadPart);
  }

  bool Exists(const std::string& path) override {
    return ::GetFileAttributesW(Wide(path).c_str()) != INVALID_FILE_ATTRIBUTES;
  }
};

}  // namespace

FileSystem& RealFileSystem() {
  static WindowsFileSystem fs;
  return fs;
}

}  // namespace hdc::platform
