#include "util/result.h"

#include "util/strings.h"

namespace hdc::util {

int ExitCodeFor(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kUsage: return 64;
    case ErrorKind::kBadData: return 65;
    case ErrorKind::kUnavailable: return 69;
    case ErrorKind::kInternal: return 70;
    case ErrorKind::kTemporary: return 75;
    case ErrorKind::kAuth: return 77;
    case ErrorKind::kConfig: return 78;
  }
  return 70;
}

std::string_view KindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kUsage: return "usage";
    case ErrorKind::kBadData: return "bad-data";
    case ErrorKind::kUnavailable: return "unavailable";
    case ErrorKind::kInternal: return "internal";
    case ErrorKind::kTemporary: return "temporary";
    case ErrorKind::kAuth: return "auth";
    case ErrorKind::kConfig: return "config";
  }
  return "internal";
}

Status Status::WithContext(std::string_view context) const {
  if (ok()) return *this;
  return Status(kind_, std::string(context) + message_);
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  return Printable(message_, kLineChars);
}

}  // namespace hdc::util
