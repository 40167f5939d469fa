// Status and Result<T>: the project's one error type.
//
// An error has a kind and a one-line message that names what went wrong and
// where (file, section and key; URL path without query; store path). Kinds map
// one-to-one onto the exit codes (docs/architecture.md §Exit codes), so a
// composition root turns any failure into the right exit status without
// inspecting messages.
//
// Beside the kind, an error may carry typed details for callers that must
// tell one failure from another: the HTTP status of the response it reports,
// and an ErrorDetail sub-code. Code branches on these, never on the message
// text, which is for people (and stays free to change).
//
// Value types, cheap to copy when OK; not thread-safe to mutate concurrently.
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace hdc::util {

enum class ErrorKind {
  kUsage,        // 64: wrong command line
  kBadData,      // 65: the server sent something we cannot accept
  kUnavailable,  // 69: the service stayed unavailable after retries
  kInternal,     // 70: a bug; should never be seen
  kTemporary,    // 75: try again later; some work is left for the next run
  kAuth,         // 77: authentication or permission refused
  kConfig,       // 78: configuration error
};

// A sub-code finer than the kind, for the few failures a caller treats apart.
enum class ErrorDetail {
  kNone,
  kLocalStorage,  // the local store failed (disk full, an I/O error, below min_free_space)
};

// The sysexits(3) value for a kind.
int ExitCodeFor(ErrorKind kind);
// "usage", "bad-data", ... for logs and JSON.
std::string_view KindName(ErrorKind kind);

class Status {
 public:
  Status() = default;  // OK
  static Status Ok() { return Status(); }
  static Status Error(ErrorKind kind, std::string message) {
    return Status(kind, std::move(message));
  }

  bool ok() const { return !error_; }
  ErrorKind kind() const { return kind_; }
  const std::string& message() const { return message_; }
  int exit_code() const { return ok() ? 0 : ExitCodeFor(kind_); }

  // The status code of the HTTP response whose status made this error (a
  // 404; a 503 that outlasted the retries); 0 when none. The message then
  // says "HTTP <code>" too.
  int http_status() const { return http_status_; }
  ErrorDetail detail() const { return detail_; }
  bool IsLocalStorage() const { return detail_ == ErrorDetail::kLocalStorage; }

  // The same error with a typed detail set; OK stays OK.
  Status WithHttpStatus(int http_status) const;
  Status WithDetail(ErrorDetail detail) const;

  // Prefixes the message with context: "jobs.d/a.ini: " + message. Kind and
  // typed details are kept.
  Status WithContext(std::string_view context) const;
  // The message as it was before the last WithContext(): for a caller that
  // names the operation itself ("GET host/path: " + this), so the name is
  // not said twice. The whole message when no context was added.
  std::string_view MessageWithoutContext() const {
    return std::string_view(message_).substr(context_size_);
  }
  // One line, safe for a terminal: the message through util::Printable
  // (line breaks as spaces, controls escaped), cut after 2,000 characters.
  std::string ToString() const;

 private:
  Status(ErrorKind kind, std::string message)
      : error_(true), kind_(kind), message_(std::move(message)) {}
  bool error_ = false;
  ErrorKind kind_ = ErrorKind::kInternal;
  std::string message_;
  std::size_t context_size_ = 0;  // the length of the last context added
  int http_status_ = 0;
  ErrorDetail detail_ = ErrorDetail::kNone;
};

// Shorthands for the common kinds.
inline Status ConfigError(std::string m) { return Status::Error(ErrorKind::kConfig, std::move(m)); }
inline Status UsageError(std::string m) { return Status::Error(ErrorKind::kUsage, std::move(m)); }
inline Status BadDataError(std::string m) {
  return Status::Error(ErrorKind::kBadData, std::move(m));
}
inline Status TemporaryError(std::string m) {
  return Status::Error(ErrorKind::kTemporary, std::move(m));
}
inline Status InternalError(std::string m) {
  return Status::Error(ErrorKind::kInternal, std::move(m));
}

// Either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT: implicit by design
    assert(!std::get<Status>(v_).ok() && "Result from an OK Status has no value");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }

  const T& value() const& { return std::get<T>(v_); }
  T& value() & { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

  // The error; OK when there is a value. The reference lives as long as the
  // Result (or forever, for the OK status).
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }

 private:
  std::variant<T, Status> v_;
};

}  // namespace hdc::util

// Returns early with the error of a Status-returning expression.
#define HDC_RETURN_IF_ERROR(expr)              \
  do {                                         \
    ::hdc::util::Status hdc_status_ = (expr);  \
    if (!hdc_status_.ok()) return hdc_status_; \
  } while (0)

// Evaluates `expr`, a Result<T>; on error returns its status from the
// enclosing function (which returns Status or any Result<U>); on success
// moves the value into `lhs`, which may be a declaration ("auto x",
// "std::unique_ptr<Y> y") or an existing variable. Expands to several
// statements: not for the body of an unbraced if or loop, and at most once
// per line (the temporary is named after the line). A type in `lhs` must
// not contain a top-level comma; declare the variable first or use auto.
#define HDC_ASSIGN_OR_RETURN(lhs, expr) \
  HDC_ASSIGN_OR_RETURN_IMPL_(HDC_RESULT_CONCAT_(hdc_result_, __LINE__), lhs, expr)

#define HDC_RESULT_CONCAT_INNER_(a, b) a##b
#define HDC_RESULT_CONCAT_(a, b) HDC_RESULT_CONCAT_INNER_(a, b)
#define HDC_ASSIGN_OR_RETURN_IMPL_(result, lhs, expr) \
  auto result = (expr);                               \
  if (!result.ok()) return result.status();           \
  lhs = std::move(result).value()
