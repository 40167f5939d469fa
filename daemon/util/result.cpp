#include "util/result.h"

#include "util/strings.h"

namespace hdc::util {

int ExitCodeFor(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kUsage:
      return 64;
    case ErrorKind::kBadData:
      return 65;
    case ErrorKind::kUnavailable:
      return 69;
    case ErrorKind::kInternal:
      return 70;
    case ErrorKind::kTemporary:
      return 75;
    case ErrorKind::kAuth:
      return 77;
    case ErrorKind::kConfig:
      return 78;
  }
  return 70;
}

std::string_view KindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kUsage:
      return "usage";
    case ErrorKind::kBadData:
      return "bad-data";
    case ErrorKind::kUnavailable:
      return "unavailable";
    case ErrorKind::kInternal:
      return "internal";
    case ErrorKind::kTemporary:
      return "temporary";
    case ErrorKind::kAuth:
      return "auth";
    case ErrorKind::kConfig:
      return "config";
  }
  return "internal";
}

Status Status::WithHttpStatus(int http_status) const {
  Status copy = *this;
  if (!ok()) copy.http_status_ = http_status;
  return copy;
}

Status Status::WithDetail(ErrorDetail detail) const {
  Status copy = *this;
  if (!ok()) copy.detail_ = detail;
  return copy;
}

Status Status::WithContext(std::string_view context) const {
  if (ok()) return *this;
  Status copy = *this;
  copy.message_ = std::string(context) + message_;
  copy.context_size_ = context.size();
  return copy;
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  return Printable(message_, kLineChars);
}

}  // namespace hdc::util
