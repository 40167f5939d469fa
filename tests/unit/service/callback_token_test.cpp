#include "service/callback_token.h"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

#include "support/file_mode.h"
#include "support/skip.h"
#include "support/temp_dir.h"

namespace hdc::service {
namespace {

using testing::TempDir;

bool IsLowerHex32(const std::string& s) {
  if (s.size() != 32) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST_CASE("callback token: created once, mode 0600, 32 lowercase hex characters") {
  TempDir dir;
  const util::Result<std::string> token = LoadOrCreateCallbackToken(dir.path());
  INFO(token.status().message());
  REQUIRE(token.ok());
  CHECK(IsLowerHex32(*token));
  const std::string path = dir / "callback-token";
  CHECK_POSIX_MODE(path, 0600);
  CHECK(ReadAll(path) == *token + "\n");
  // Nothing but the token file is left behind.
  int files = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    ++files;
  }
  CHECK(files == 1);
}

TEST_CASE("callback token: reused on the next start, different in another state directory") {
  TempDir dir;
  TempDir other;
  const util::Result<std::string> first = LoadOrCreateCallbackToken(dir.path());
  const util::Result<std::string> second = LoadOrCreateCallbackToken(dir.path());
  const util::Result<std::string> elsewhere = LoadOrCreateCallbackToken(other.path());
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  REQUIRE(elsewhere.ok());
  CHECK(*first == *second);
  CHECK(*first != *elsewhere);
  // A token written by hand without a newline is accepted too.
  dir.Write("callback-token", "0123456789abcdef0123456789abcdef");
  const util::Result<std::string> manual = LoadOrCreateCallbackToken(dir.path());
  REQUIRE(manual.ok());
  CHECK(*manual == "0123456789abcdef0123456789abcdef");
}

TEST_CASE("callback token: a malformed file is a config error naming the file") {
  const char* const bad[] = {
      "",
      "\n",
      "0123456789ABCDEF0123456789ABCDEF\n",   // upper case
      "0123456789abcdef0123456789abcde\n",    // 31 characters
      "0123456789abcdef0123456789abcdef0\n",  // 33 characters
      "0123456789abcdef0123456789abcdef \n",  // a trailing blank
      "0123456789abcdef0123456789abcdef\n\n",
      "0123456789abcdeg0123456789abcdef\n",  // not hex
  };
  for (const char* text : bad) {
    INFO("content: '", text, "'");
    TempDir dir;
    const std::string path = dir.Write("callback-token", text);
    std::filesystem::permissions(
        path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    const util::Result<std::string> token = LoadOrCreateCallbackToken(dir.path());
    REQUIRE_FALSE(token.ok());
    CHECK(token.status().kind() == util::ErrorKind::kConfig);
    CHECK(token.status().message().find(path) != std::string::npos);
    CHECK(token.status().message().find('\n') == std::string::npos);
    CHECK(ReadAll(path) == text);  // never overwritten
  }
}

TEST_CASE("callback token: a file other users can read is tightened to 0600") {
  HDC_SKIP_ON_WINDOWS("POSIX mode bits; on Windows access comes from the ACL of the state folder");
  TempDir dir;
  const std::string path = dir.Write("callback-token", "0123456789abcdef0123456789abcdef\n");
  std::filesystem::permissions(path, static_cast<std::filesystem::perms>(0644));
  const util::Result<std::string> token = LoadOrCreateCallbackToken(dir.path());
  REQUIRE(token.ok());
  CHECK_POSIX_MODE(path, 0600);
}

TEST_CASE("callback token: concurrent first starts agree on one token") {
  for (int round = 0; round < 20; ++round) {
    TempDir dir;
    constexpr int kThreads = 4;
    std::vector<util::Result<std::string>> results(kThreads, util::InternalError("not run"));
    {
      std::vector<std::jthread> threads;
      for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] { results[t] = LoadOrCreateCallbackToken(dir.path()); });
      }
    }
    std::set<std::string> tokens;
    for (const auto& r : results) {
      INFO(r.status().message());
      REQUIRE(r.ok());
      tokens.insert(*r);
    }
    CHECK(tokens.size() == 1);
    CHECK(ReadAll(dir / "callback-token") == *tokens.begin() + "\n");
  }
}

TEST_CASE("callback token: a missing state directory is an error naming the path") {
  TempDir dir;
  const util::Result<std::string> token = LoadOrCreateCallbackToken(dir / "missing");
  REQUIRE_FALSE(token.ok());
  CHECK(token.status().message().find(dir / "missing") != std::string::npos);
}

TEST_CASE("callback token: TokenEquals compares whole strings") {
  CHECK(TokenEquals("", ""));
  CHECK(TokenEquals("abc", "abc"));
  CHECK_FALSE(TokenEquals("abc", "abd"));
  CHECK_FALSE(TokenEquals("abc", "ab"));
  CHECK_FALSE(TokenEquals("ab", "abc"));
  CHECK_FALSE(TokenEquals("abc", ""));
  CHECK_FALSE(TokenEquals("", "abc"));
  CHECK_FALSE(TokenEquals(std::string_view("ab\0", 3), "ab"));
  CHECK_FALSE(TokenEquals("ab", std::string_view("ab\0", 3)));
}

}  // namespace
}  // namespace hdc::service
