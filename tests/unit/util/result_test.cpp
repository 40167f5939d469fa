#include "util/result.h"

#include <memory>
#include <string>
#include <utility>

#include <doctest/doctest.h>

namespace hdc::util {
namespace {

TEST_CASE("every error kind maps to its sysexits code") {
  CHECK(ExitCodeFor(ErrorKind::kUsage) == 64);
  CHECK(ExitCodeFor(ErrorKind::kBadData) == 65);
  CHECK(ExitCodeFor(ErrorKind::kUnavailable) == 69);
  CHECK(ExitCodeFor(ErrorKind::kInternal) == 70);
  CHECK(ExitCodeFor(ErrorKind::kTemporary) == 75);
  CHECK(ExitCodeFor(ErrorKind::kAuth) == 77);
  CHECK(ExitCodeFor(ErrorKind::kConfig) == 78);
}

TEST_CASE("every error kind has a short name for logs") {
  CHECK(KindName(ErrorKind::kUsage) == "usage");
  CHECK(KindName(ErrorKind::kBadData) == "bad-data");
  CHECK(KindName(ErrorKind::kUnavailable) == "unavailable");
  CHECK(KindName(ErrorKind::kInternal) == "internal");
  CHECK(KindName(ErrorKind::kTemporary) == "temporary");
  CHECK(KindName(ErrorKind::kAuth) == "auth");
  CHECK(KindName(ErrorKind::kConfig) == "config");
}

TEST_CASE("a status carries its kind's exit code and OK carries zero") {
  CHECK(Status().ok());
  CHECK(Status::Ok().ok());
  CHECK(Status::Ok().exit_code() == 0);
  CHECK(Status::Ok().ToString() == "ok");

  CHECK(UsageError("u").exit_code() == 64);
  CHECK(BadDataError("b").exit_code() == 65);
  CHECK(Status::Error(ErrorKind::kUnavailable, "x").exit_code() == 69);
  CHECK(InternalError("i").exit_code() == 70);
  CHECK(TemporaryError("t").exit_code() == 75);
  CHECK(Status::Error(ErrorKind::kAuth, "a").exit_code() == 77);
  CHECK(ConfigError("c").exit_code() == 78);

  const Status s = ConfigError("jobs.d/a.ini: [job] name: missing");
  CHECK_FALSE(s.ok());
  CHECK(s.kind() == ErrorKind::kConfig);
  CHECK(s.message() == "jobs.d/a.ini: [job] name: missing");
}

TEST_CASE("ToString gives one line with line breaks replaced by spaces") {
  const Status s = BadDataError("first line\nsecond line\r\nthird");
  const std::string line = s.ToString();
  CHECK(line == "first line second line  third");
  CHECK(line.find('\n') == std::string::npos);
  CHECK(line.find('\r') == std::string::npos);
  // The message itself is kept as it was.
  CHECK(s.message() == "first line\nsecond line\r\nthird");
}

TEST_CASE("MessageWithoutContext is the message before the last context was added") {
  const Status plain = TemporaryError("connection reset");
  CHECK(plain.MessageWithoutContext() == "connection reset");

  const Status named = plain.WithContext("GET host/x: ");
  CHECK(named.message() == "GET host/x: connection reset");
  CHECK(named.MessageWithoutContext() == "connection reset");

  // Only the last context: the inner one is part of what the caller names.
  const Status twice = TemporaryError("reset").WithContext("reading body: ").WithContext("GET h: ");
  CHECK(twice.MessageWithoutContext() == "reading body: reset");
  // Typed details keep it.
  CHECK(named.WithHttpStatus(503).MessageWithoutContext() == "connection reset");
}

TEST_CASE("WithContext prefixes the message and keeps the kind") {
  const Status s = ConfigError("missing key").WithContext("jobs.d/a.ini: ");
  CHECK(s.kind() == ErrorKind::kConfig);
  CHECK(s.message() == "jobs.d/a.ini: missing key");
  CHECK(s.exit_code() == 78);

  const Status twice = s.WithContext("reload: ");
  CHECK(twice.message() == "reload: jobs.d/a.ini: missing key");

  // Context on OK stays OK with no message.
  const Status ok = Status::Ok().WithContext("ignored: ");
  CHECK(ok.ok());
  CHECK(ok.message().empty());
}

TEST_CASE("an error has no typed details unless one is set") {
  const Status plain = Status::Error(ErrorKind::kUnavailable, "GET host/x: HTTP 404");
  CHECK(plain.http_status() == 0);  // the text alone sets nothing
  CHECK(plain.detail() == ErrorDetail::kNone);
  CHECK_FALSE(plain.IsLocalStorage());
  CHECK(Status::Ok().http_status() == 0);
  CHECK_FALSE(Status::Ok().IsLocalStorage());
}

TEST_CASE("typed details are set beside kind and message, which stay as they were") {
  const Status http =
      Status::Error(ErrorKind::kBadData, "GET host/x: HTTP 404").WithHttpStatus(404);
  CHECK(http.http_status() == 404);
  CHECK(http.kind() == ErrorKind::kBadData);
  CHECK(http.message() == "GET host/x: HTTP 404");
  CHECK_FALSE(http.IsLocalStorage());

  const Status disk = TemporaryError("store: disk full").WithDetail(ErrorDetail::kLocalStorage);
  CHECK(disk.IsLocalStorage());
  CHECK(disk.detail() == ErrorDetail::kLocalStorage);
  CHECK(disk.http_status() == 0);
  CHECK(disk.kind() == ErrorKind::kTemporary);
  CHECK(disk.message() == "store: disk full");

  // A detail on OK leaves it OK and without details.
  const Status ok = Status::Ok().WithHttpStatus(500).WithDetail(ErrorDetail::kLocalStorage);
  CHECK(ok.ok());
  CHECK(ok.http_status() == 0);
  CHECK_FALSE(ok.IsLocalStorage());
}

TEST_CASE("WithContext keeps the typed details: callers check them whatever the message says") {
  const Status both = Status::Error(ErrorKind::kUnavailable, "HTTP 503")
                          .WithHttpStatus(503)
                          .WithDetail(ErrorDetail::kLocalStorage);
  const Status named = both.WithContext("cab c1: ").WithContext("run: ");
  CHECK(named.message() == "run: cab c1: HTTP 503");
  CHECK(named.http_status() == 503);
  CHECK(named.IsLocalStorage());
  CHECK(named.kind() == ErrorKind::kUnavailable);
  // The copy is its own: the original is unchanged.
  CHECK(both.message() == "HTTP 503");
}

TEST_CASE("a result holds either a value or an error status") {
  Result<int> good = 42;
  REQUIRE(good.ok());
  CHECK(static_cast<bool>(good));
  CHECK(good.value() == 42);
  CHECK(*good == 42);
  CHECK(good.status().ok());
  *good = 7;
  CHECK(good.value() == 7);

  Result<int> bad = TemporaryError("disk full");
  CHECK_FALSE(bad.ok());
  CHECK_FALSE(static_cast<bool>(bad));
  CHECK(bad.status().kind() == ErrorKind::kTemporary);
  CHECK(bad.status().message() == "disk full");
  CHECK(bad.status().exit_code() == 75);
}

TEST_CASE("a result gives access to its value's members and can move it out") {
  Result<std::string> r = std::string("hello");
  CHECK(r->size() == 5);
  r->append("!");
  CHECK(*r == "hello!");
  const Result<std::string>& cr = r;
  CHECK(cr->size() == 6);
  CHECK(*cr == "hello!");

  Result<std::unique_ptr<int>> owned = std::make_unique<int>(3);
  std::unique_ptr<int> taken = std::move(owned).value();
  REQUIRE(taken != nullptr);
  CHECK(*taken == 3);
}

// Helpers for HDC_RETURN_IF_ERROR.
Status Step(bool fail, int* calls) {
  ++*calls;
  return fail ? BadDataError("step failed") : Status::Ok();
}

Status TwoSteps(bool fail_first, bool fail_second, int* calls, bool* reached_end) {
  HDC_RETURN_IF_ERROR(Step(fail_first, calls));
  HDC_RETURN_IF_ERROR(Step(fail_second, calls));
  *reached_end = true;
  return Status::Ok();
}

Result<int> ValueAfterStep(bool fail) {
  int calls = 0;
  HDC_RETURN_IF_ERROR(Step(fail, &calls));
  return 5;
}

TEST_CASE("HDC_RETURN_IF_ERROR returns the first error and continues on OK") {
  int calls = 0;
  bool reached_end = false;
  CHECK(TwoSteps(false, false, &calls, &reached_end).ok());
  CHECK(calls == 2);
  CHECK(reached_end);

  calls = 0;
  reached_end = false;
  const Status first = TwoSteps(true, false, &calls, &reached_end);
  CHECK(first.kind() == ErrorKind::kBadData);
  CHECK(first.message() == "step failed");
  CHECK(calls == 1);  // the second step never ran
  CHECK_FALSE(reached_end);

  calls = 0;
  reached_end = false;
  CHECK_FALSE(TwoSteps(false, true, &calls, &reached_end).ok());
  CHECK(calls == 2);
  CHECK_FALSE(reached_end);
}

TEST_CASE("HDC_RETURN_IF_ERROR works in a function returning a result") {
  const Result<int> ok = ValueAfterStep(false);
  REQUIRE(ok.ok());
  CHECK(*ok == 5);

  const Result<int> failed = ValueAfterStep(true);
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.status().kind() == ErrorKind::kBadData);
  CHECK(failed.status().message() == "step failed");
}

TEST_CASE("HDC_RETURN_IF_ERROR is one statement usable in an unbraced if") {
  auto f = [](bool cond, bool fail) -> Status {
    int calls = 0;
    if (cond)
      HDC_RETURN_IF_ERROR(Step(fail, &calls));
    else
      return InternalError("else branch");
    return Status::Ok();
  };
  CHECK(f(true, false).ok());
  CHECK(f(true, true).kind() == ErrorKind::kBadData);
  CHECK(f(false, false).kind() == ErrorKind::kInternal);
}

// Helpers for HDC_ASSIGN_OR_RETURN.
Result<int> Number(bool fail, int* calls) {
  ++*calls;
  if (fail) return TemporaryError("no number");
  return 21;
}

Result<int> Doubled(bool fail, int* calls, bool* reached_end) {
  HDC_ASSIGN_OR_RETURN(auto n, Number(fail, calls));
  *reached_end = true;
  return n * 2;
}

Status IntoExisting(bool fail, int* out) {
  int calls = 0;
  *out = -1;
  HDC_ASSIGN_OR_RETURN(*out, Number(fail, &calls));
  return Status::Ok();
}

Result<std::unique_ptr<int>> Owned(bool fail) {
  if (fail) return BadDataError("nothing owned");
  return std::make_unique<int>(9);
}

Result<int> TwoOwnedInOneScope(bool fail_second) {
  HDC_ASSIGN_OR_RETURN(auto first, Owned(false));
  HDC_ASSIGN_OR_RETURN(std::unique_ptr<int> second, Owned(fail_second));
  return *first + *second;
}

TEST_CASE("HDC_ASSIGN_OR_RETURN declares the value and goes on when there is one") {
  int calls = 0;
  bool reached_end = false;
  const Result<int> r = Doubled(false, &calls, &reached_end);
  REQUIRE(r.ok());
  CHECK(*r == 42);
  CHECK(calls == 1);  // the expression is evaluated once
  CHECK(reached_end);
}

TEST_CASE("HDC_ASSIGN_OR_RETURN returns the error unchanged and skips the rest") {
  int calls = 0;
  bool reached_end = false;
  const Result<int> r = Doubled(true, &calls, &reached_end);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().kind() == ErrorKind::kTemporary);
  CHECK(r.status().message() == "no number");
  CHECK(calls == 1);
  CHECK_FALSE(reached_end);
}

TEST_CASE("HDC_ASSIGN_OR_RETURN assigns to an existing lvalue, from a Status function") {
  int out = 0;
  CHECK(IntoExisting(false, &out).ok());
  CHECK(out == 21);
  const Status failed = IntoExisting(true, &out);
  CHECK(failed.kind() == ErrorKind::kTemporary);
  CHECK(out == -1);  // untouched on error
}

TEST_CASE("HDC_ASSIGN_OR_RETURN moves move-only values, twice in one scope") {
  const Result<int> both = TwoOwnedInOneScope(false);
  REQUIRE(both.ok());
  CHECK(*both == 18);
  const Result<int> second_failed = TwoOwnedInOneScope(true);
  REQUIRE_FALSE(second_failed.ok());
  CHECK(second_failed.status().message() == "nothing owned");
}

TEST_CASE("HDC_ASSIGN_OR_RETURN keeps the typed details of the error") {
  auto f = []() -> Status {
    auto failing = []() -> Result<std::string> {
      return Status::Error(ErrorKind::kUnavailable, "GET h/p: HTTP 503").WithHttpStatus(503);
    };
    HDC_ASSIGN_OR_RETURN(auto body, failing());
    return body.empty() ? InternalError("empty") : Status::Ok();
  };
  const Status s = f();
  CHECK(s.http_status() == 503);
  CHECK(s.message() == "GET h/p: HTTP 503");
}

}  // namespace
}  // namespace hdc::util
