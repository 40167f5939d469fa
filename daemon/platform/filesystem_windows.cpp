// Windows implementation of the FileSystem seam (Win32 API, UTF-8 paths
// converted to UTF-16; long paths through the \\?\ prefix; reparse points,
// Windows' symbolic links and junctions, refused rather than followed).
#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <windows.h>
// After windows.h, which it needs.
#include <string>

#include <sddl.h>

#include "platform/confined_path.h"
#include "platform/filesystem.h"

namespace hdc::platform {
namespace {

using util::Result;
using util::Status;

std::wstring Wide(const std::string& utf8) {
  if (utf8.empty()) return std::wstring();
  const int n =
      ::MultiByteToWideChar(CP_UTF8, 0, utf8.data(), static_cast<int>(utf8.size()), nullptr, 0);
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

// The UTF-16 path for a Win32 call. Past about 240 characters the Win32 path
// parser gives up (MAX_PATH), so a long path is made absolute and given the
// \\?\ prefix, which turns that parser off (and with it '/' as a separator,
// hence GetFullPathNameW, which also turns '/' into '\\').
std::wstring PathW(const std::string& utf8) {
  std::wstring wide = Wide(utf8);
  constexpr std::size_t kShortEnough = 240;
  if (wide.size() < kShortEnough || wide.rfind(L"\\\\?\\", 0) == 0) return wide;
  const DWORD n = ::GetFullPathNameW(wide.c_str(), 0, nullptr, nullptr);
  if (n == 0) return wide;
  std::wstring full(n, L'\0');
  const DWORD written = ::GetFullPathNameW(wide.c_str(), n, full.data(), nullptr);
  if (written == 0 || written >= n) return wide;
  full.resize(written);
  if (full.rfind(L"\\\\", 0) == 0) return L"\\\\?\\UNC\\" + full.substr(2);  // \\server\share
  return L"\\\\?\\" + full;
}

// True when `path` exists and is a reparse point (a symbolic link, a
// junction, a mount point): never followed into, never written through.
bool IsReparsePoint(const std::wstring& path) {
  const DWORD attributes = ::GetFileAttributesW(path.c_str());
  return attributes != INVALID_FILE_ATTRIBUTES && (attributes & FILE_ATTRIBUTE_REPARSE_POINT) != 0;
}

Status IoError(std::string_view op, const std::string& path, DWORD err) {
  char buf[256] = {0};
  ::FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, nullptr, err, 0, buf,
                   sizeof buf, nullptr);
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
    // CloseHandle(INVALID_HANDLE_VALUE) succeeds: it is the process itself.
    if (h_ == INVALID_HANDLE_VALUE) return IoError("close", path_, ERROR_INVALID_HANDLE);
    HANDLE h = h_;
    h_ = INVALID_HANDLE_VALUE;
    if (!::CloseHandle(h)) return IoError("close", path_, ::GetLastError());
    return Status::Ok();
  }

 private:
  HANDLE h_;
  std::string path_;
};

class WindowsReadableFile final : public ReadableFile {
 public:
  WindowsReadableFile(HANDLE h, std::string path) : h_(h), path_(std::move(path)) {}
  ~WindowsReadableFile() override { ::CloseHandle(h_); }
  WindowsReadableFile(const WindowsReadableFile&) = delete;
  WindowsReadableFile& operator=(const WindowsReadableFile&) = delete;

  Result<std::size_t> Read(char* buffer, std::size_t capacity) override {
    DWORD n = 0;
    const DWORD chunk = static_cast<DWORD>(std::min<std::size_t>(capacity, 1u << 30));
    if (!::ReadFile(h_, buffer, chunk, &n, nullptr)) {
      return IoError("read", path_, ::GetLastError());
    }
    return static_cast<std::size_t>(n);
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
    const std::wstring wide = PathW(path);
    if (IsReparsePoint(wide)) {
      return util::TemporaryError("open " + path +
                                  ": refusing to write through a symbolic link or junction");
    }
    // Appending (a log file) shares writing too: another handle may already
    // append to the same file, as on POSIX.
    const DWORD share =
        FILE_SHARE_READ | FILE_SHARE_DELETE | (append ? FILE_SHARE_WRITE : DWORD{0});
    HANDLE h = ::CreateFileW(wide.c_str(), append ? FILE_APPEND_DATA : GENERIC_WRITE, share,
                             nullptr, append ? OPEN_ALWAYS : CREATE_ALWAYS,
                             FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT, nullptr);
    if (h == INVALID_HANDLE_VALUE) return IoError("open", path, ::GetLastError());
    return std::unique_ptr<WritableFile>(new WindowsWritableFile(h, path));
  }

  Result<std::unique_ptr<ReadableFile>> OpenForRead(const std::string& path) override {
    const DWORD attributes = ::GetFileAttributesW(PathW(path).c_str());
    if (attributes != INVALID_FILE_ATTRIBUTES && (attributes & FILE_ATTRIBUTE_DIRECTORY) != 0) {
      return IoError("read", path, ERROR_DIRECTORY);
    }
    HANDLE h = ::CreateFileW(PathW(path).c_str(), GENERIC_READ,
                             FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                             OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr);
    if (h == INVALID_HANDLE_VALUE) return IoError("open", path, ::GetLastError());
    return std::unique_ptr<ReadableFile>(new WindowsReadableFile(h, path));
  }

  Result<std::string> ReadFile(const std::string& path) override {
    auto file = OpenForRead(path);
    if (!file.ok()) return file.status();
    std::string out;
    char buf[65536];
    while (true) {
      auto n = (*file)->Read(buf, sizeof buf);
      if (!n.ok()) return n.status();
      if (*n == 0) return out;
      out.append(buf, *n);
    }
  }

  Status Rename(const std::string& from, const std::string& to) override {
    if (!::MoveFileExW(PathW(from).c_str(), PathW(to).c_str(),
                       MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)) {
      return IoError("rename", from + " to " + to, ::GetLastError());
    }
    return Status::Ok();
  }

  // MOVEFILE_WRITE_THROUGH already makes renames durable and NTFS has no
  // directory fsync; what is left is to report a folder that is not there.
  Status SyncDir(const std::string& dir) override {
    const DWORD attributes = ::GetFileAttributesW(PathW(dir).c_str());
    if (attributes == INVALID_FILE_ATTRIBUTES) {
      return IoError("open directory", dir, ::GetLastError());
    }
    if ((attributes & FILE_ATTRIBUTE_DIRECTORY) == 0) {
      return IoError("open directory", dir, ERROR_DIRECTORY);
    }
    return Status::Ok();
  }

  Status Remove(const std::string& path) override {
    if (!::DeleteFileW(PathW(path).c_str())) {
      const DWORD err = ::GetLastError();
      if (err != ERROR_FILE_NOT_FOUND && err != ERROR_PATH_NOT_FOUND) {
        return IoError("remove", path, err);
      }
    }
    return Status::Ok();
  }

  // New folders get the Windows counterpart of mode 0750 as a protected ACL
  // that files and subfolders inherit: full control for SYSTEM, the
  // Administrators and the folder's owner (the service account that made
  // it), nobody else.
  Status CreateDirectories(const std::string& path) override {
    constexpr const wchar_t* kOwnerAndAdminsOnly =
        L"D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FA;;;OW)";
    PSECURITY_DESCRIPTOR descriptor = nullptr;
    if (!::ConvertStringSecurityDescriptorToSecurityDescriptorW(
            kOwnerAndAdminsOnly, SDDL_REVISION_1, &descriptor, nullptr)) {
      return IoError("create directory", path, ::GetLastError());
    }
    SECURITY_ATTRIBUTES attributes{sizeof(SECURITY_ATTRIBUTES), descriptor, FALSE};
    Status status = Status::Ok();
    for (size_t pos = 0; pos <= path.size() && status.ok(); ++pos) {
      if (pos != path.size() && path[pos] != '/' && path[pos] != '\\') continue;
      const std::string prefix = path.substr(0, pos);
      if (prefix.empty() || prefix.back() == ':') continue;  // "C:"
      const std::wstring wide = PathW(prefix);
      if (!::CreateDirectoryW(wide.c_str(), &attributes)) {
        const DWORD err = ::GetLastError();
        const DWORD existing = ::GetFileAttributesW(wide.c_str());
        if (err != ERROR_ALREADY_EXISTS) {
          status = IoError("create directory", prefix, err);
        } else if (existing == INVALID_FILE_ATTRIBUTES) {
          status = IoError("create directory", prefix, ERROR_PATH_NOT_FOUND);
        } else if ((existing & FILE_ATTRIBUTE_DIRECTORY) == 0 && pos == path.size()) {
          status = IoError("create directory", prefix, ERROR_DIRECTORY);  // a file is in the way
        }  // a file above: the next component fails, as mkdir's ENOTDIR does
      }
    }
    ::LocalFree(descriptor);
    return status;
  }

  Result<std::vector<DirEntry>> List(const std::string& dir) override {
    WIN32_FIND_DATAW data;
    HANDLE h = ::FindFirstFileW(PathW(dir + "\\*").c_str(), &data);
    if (h == INVALID_HANDLE_VALUE) return IoError("list", dir, ::GetLastError());
    std::vector<DirEntry> entries;
    do {
      const std::string name = Narrow(data.cFileName);
      if (name == "." || name == "..") continue;
      const bool reparse = (data.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) != 0;
      entries.push_back(
          {name, !reparse && (data.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) != 0, reparse});
    } while (::FindNextFileW(h, &data));
    ::FindClose(h);
    return entries;
  }

  Result<std::uint64_t> FileSize(const std::string& path) override {
    WIN32_FILE_ATTRIBUTE_DATA data;
    if (!::GetFileAttributesExW(PathW(path).c_str(), GetFileExInfoStandard, &data)) {
      return IoError("stat", path, ::GetLastError());
    }
    return (static_cast<std::uint64_t>(data.nFileSizeHigh) << 32) | data.nFileSizeLow;
  }

  Result<std::uint64_t> FreeSpace(const std::string& path) override {
    ULARGE_INTEGER available;
    if (!::GetDiskFreeSpaceExW(PathW(path).c_str(), &available, nullptr, nullptr)) {
      return IoError("free space of", path, ::GetLastError());
    }
    return static_cast<std::uint64_t>(available.QuadPart);
  }

  bool Exists(const std::string& path) override {
    return ::GetFileAttributesW(PathW(path).c_str()) != INVALID_FILE_ATTRIBUTES;
  }
};

// Confined to the state directory (OpenConfinedFileSystem in filesystem.h):
// before each call, every component of the path below the root that exists
// is checked for the reparse attribute (a symbolic link, a junction, a
// mount point), then the call runs as WindowsFileSystem's, whose writes
// open with FILE_FLAG_OPEN_REPARSE_POINT. Win32 has no openat, so a link
// made between the check and the call is the window left; making one needs
// write access to the state directory, which only the service account has.
class ConfinedWindowsFileSystem final : public FileSystem {
 public:
  explicit ConfinedWindowsFileSystem(std::string root) : root_(std::move(root)) {}

  Result<std::unique_ptr<WritableFile>> OpenForWrite(const std::string& path,
                                                     bool append) override {
    HDC_RETURN_IF_ERROR(RefuseLinks(path, kLeaf));
    return files_.OpenForWrite(path, append);
  }
  Result<std::unique_ptr<ReadableFile>> OpenForRead(const std::string& path) override {
    HDC_RETURN_IF_ERROR(RefuseLinks(path, kLeaf));
    return files_.OpenForRead(path);
  }
  Result<std::string> ReadFile(const std::string& path) override {
    HDC_RETURN_IF_ERROR(RefuseLinks(path, kLeaf));
    return files_.ReadFile(path);
  }
  Status Rename(const std::string& from, const std::string& to) override {
    HDC_RETURN_IF_ERROR(RefuseLinks(from, kLeaf));
    HDC_RETURN_IF_ERROR(RefuseLinks(to, kLeaf));
    return files_.Rename(from, to);
  }
  Status SyncDir(const std::string& dir) override {
    HDC_RETURN_IF_ERROR(RefuseLinks(dir));
    return files_.SyncDir(dir);
  }
  Status Remove(const std::string& path) override {
    HDC_RETURN_IF_ERROR(RefuseLinks(path, kLeaf));
    return files_.Remove(path);
  }
  Status CreateDirectories(const std::string& path) override {
    HDC_RETURN_IF_ERROR(RefuseLinks(path));
    return files_.CreateDirectories(path);
  }
  Result<std::vector<DirEntry>> List(const std::string& dir) override {
    HDC_RETURN_IF_ERROR(RefuseLinks(dir));
    return files_.List(dir);
  }
  Result<std::uint64_t> FileSize(const std::string& path) override {
    HDC_RETURN_IF_ERROR(RefuseLinks(path, kLeaf));
    return files_.FileSize(path);
  }
  Result<std::uint64_t> FreeSpace(const std::string& path) override {
    HDC_RETURN_IF_ERROR(RefuseLinks(path));
    // GetDiskFreeSpaceExW wants a folder: for a file, ask about its folder.
    const DWORD attributes = ::GetFileAttributesW(PathW(path).c_str());
    if (attributes != INVALID_FILE_ATTRIBUTES && (attributes & FILE_ATTRIBUTE_DIRECTORY) == 0) {
      auto names = confined::NamesBelow(root_, path);
      if (names.ok() && !names->empty()) {
        return files_.FreeSpace(confined::Join(root_, *names, names->size() - 1));
      }
    }
    return files_.FreeSpace(path);
  }
  bool Exists(const std::string& path) override {
    return RefuseLinks(path).ok() && files_.Exists(path);
  }

 private:
  // kLeaf: the call works on a file, so `path` may not be the root itself.
  static constexpr bool kLeaf = true;

  // A kConfig error naming the first reparse point among the components of
  // `path` below the root; a kInternal one for a path outside it (or the
  // root itself, for a call on a file), as on Linux.
  Status RefuseLinks(const std::string& path, bool leaf = false) {
    auto names = confined::NamesBelow(root_, path);
    if (!names.ok()) return names.status();
    if (leaf && names->empty()) {
      return util::InternalError(path + ": is the state directory itself");
    }
    for (std::size_t i = 1; i <= names->size(); ++i) {
      const std::string here = confined::Join(root_, *names, i);
      if (IsReparsePoint(PathW(here))) return util::ConfigError(LinkRefusedMessage(here));
    }
    return Status::Ok();
  }

  WindowsFileSystem files_;
  std::string root_;
};

}  // namespace

FileSystem& RealFileSystem() {
  static WindowsFileSystem fs;
  return fs;
}

Result<std::unique_ptr<FileSystem>> OpenConfinedFileSystem(const std::string& root) {
  const std::string trimmed = confined::TrimRoot(root);
  const DWORD attributes = ::GetFileAttributesW(PathW(trimmed).c_str());
  if (attributes == INVALID_FILE_ATTRIBUTES) {
    return IoError("open directory", trimmed, ::GetLastError());
  }
  if ((attributes & FILE_ATTRIBUTE_DIRECTORY) == 0) {
    return IoError("open directory", trimmed, ERROR_DIRECTORY);
  }
  return std::unique_ptr<FileSystem>(new ConfinedWindowsFileSystem(trimmed));
}

}  // namespace hdc::platform
