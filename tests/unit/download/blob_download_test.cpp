#include "download/blob_download.h"

#include <deque>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

#include <doctest/doctest.h>

#include "download/download_sink.h"
#include "platform/filesystem.h"
#include "support/temp_dir.h"
#include "util/strings.h"

namespace hdc::download {
namespace {

using testing::TempDir;

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string HeaderOf(const http::Request& r, std::string_view name) {
  for (const auto& h : r.headers) {
    if (util::EqualsIgnoreCase(h.name, name)) return h.value;
  }
  return "";
}

// A blob host of one blob that honours Range and If-Range the way Azure
// does; each request may be given a misbehaviour first.
class FakeBlobHost final : public http::HttpClient {
 public:
  enum class Twist { kNone, kCutHalfway, kWrongRangeStart, kStatus403, kStatus416, kStatus500 };
  FakeBlobHost(std::string body, std::string etag)
      : body_(std::move(body)), etag_(std::move(etag)) {}

  void Then(Twist t) { twists_.push_back(t); }
  void Replace(std::string body, std::string etag) {
    body_ = std::move(body);
    etag_ = std::move(etag);
  }
  std::vector<http::Request> requests;

  util::Result<http::Response> Send(const http::Request& request, util::ByteSink& sink) override {
    requests.push_back(request);
    Twist twist = Twist::kNone;
    if (!twists_.empty()) {
      twist = twists_.front();
      twists_.pop_front();
    }
    http::Response r;
    auto plain = [&](int status) -> util::Result<http::Response> {
      r.status = status;
      HDC_RETURN_IF_ERROR(sink.StartResponse(status, r.headers));
      HDC_RETURN_IF_ERROR(sink.Append("<Error/>"));
      return r;
    };
    if (twist == Twist::kStatus403) return plain(403);
    if (twist == Twist::kStatus416) return plain(416);
    if (twist == Twist::kStatus500) return plain(500);
    std::uint64_t from = 0;
    const std::string range = HeaderOf(request, "Range");
    const std::string if_range = HeaderOf(request, "If-Range");
    if (!range.empty() && (if_range.empty() || if_range == etag_)) {
      from = std::stoull(range.substr(6));  // "bytes=N-"
      if (from >= body_.size()) return plain(416);
    }
    if (twist == Twist::kWrongRangeStart && from > 0) from -= 1;
    r.status = (!range.empty() && (if_range.empty() || if_range == etag_)) ? 206 : 200;
    if (!range.empty() && r.status == 200) from = 0;
    if (!etag_.empty()) r.headers.push_back({"ETag", etag_});
    if (r.status == 206) {
      r.headers.push_back({"Content-Range", "bytes " + std::to_string(from) + "-" +
                                                std::to_string(body_.size() - 1) + "/" +
                                                std::to_string(body_.size())});
    }
    r.headers.push_back({"Content-Length", std::to_string(body_.size() - from)});
    HDC_RETURN_IF_ERROR(sink.StartResponse(r.status, r.headers));
    std::string_view rest = std::string_view(body_).substr(from);
    if (twist == Twist::kCutHalfway) {
      HDC_RETURN_IF_ERROR(sink.Append(rest.substr(0, rest.size() / 2)));
      return util::TemporaryError("GET blob: truncated");
    }
    HDC_RETURN_IF_ERROR(sink.Append(rest));
    return r;
  }

 private:
  std::string body_, etag_;
  std::deque<Twist> twists_;
};

struct Fixture {
  TempDir dir;
  util::ManualClock clock{util::TimePoint{std::chrono::hours(500000)}};
  util::Random random{7};
  std::stop_source stop;
  std::vector<std::string> etags_recorded;
  std::string temp = dir / "tmp/cab-x.part";
  std::string final_path = dir / "cabs/x.cab";

  Fixture() { std::filesystem::create_directories(dir / "tmp"); }

  std::unique_ptr<store::AtomicWriter> Writer(bool resume) {
    auto w = store::AtomicWriter::Create(platform::RealFileSystem(), temp, final_path, resume);
    REQUIRE(w.ok());
    return std::move(w).value();
  }
  BlobRequest Request(std::string etag = "") {
    BlobRequest r;
    r.link = "http://127.0.0.2/cabs/x?sig=SECRET";
    r.etag = std::move(etag);
    r.on_etag = [this](const std::string& e) {
      etags_recorded.push_back(e);
      return util::Status::Ok();
    };
    return r;
  }
  util::Result<store::Committed> Run(FakeBlobHost& host, BlobRequest request, bool resume) {
    auto writer = Writer(resume);
    http::RetryPolicy retry;
    retry.max_attempts = 1;  // the twists test DownloadBlob's own loop
    const BlobTransport transport{platform::RealFileSystem(), dir.path(), host, clock, random,
                                  stop.get_token(),           nullptr,    retry};
    return DownloadBlob(transport, std::move(request), *writer);
  }
};

std::string Blob(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7) % 26);
  return "MSCF" + s;
}

TEST_CASE("blob download: the ETag is recorded before the body, the file committed whole") {
  Fixture f;
  FakeBlobHost host(Blob(1000), "\"0x8D1\"");
  auto done = f.Run(host, f.Request(), false);
  REQUIRE_MESSAGE(done.ok(), done.status().ToString());
  CHECK(Slurp(f.final_path) == Blob(1000));
  CHECK(f.etags_recorded == std::vector<std::string>{"\"0x8D1\""});
  CHECK(HeaderOf(host.requests[0], "Range").empty());
  CHECK(HeaderOf(host.requests[0], "Authorization").empty());
}

TEST_CASE("blob download: a body cut short is resumed with Range and If-Range") {
  Fixture f;
  FakeBlobHost host(Blob(1000), "\"0x8D1\"");
  host.Then(FakeBlobHost::Twist::kCutHalfway);
  auto done = f.Run(host, f.Request(), false);
  REQUIRE_MESSAGE(done.ok(), done.status().ToString());
  CHECK(Slurp(f.final_path) == Blob(1000));
  REQUIRE(host.requests.size() == 2);
  CHECK(HeaderOf(host.requests[1], "Range") == "bytes=502-");
  CHECK(HeaderOf(host.requests[1], "If-Range") == "\"0x8D1\"");
  CHECK_FALSE(std::filesystem::exists(f.temp));
}

TEST_CASE("blob download: a partial left by an earlier run is resumed, not fetched again") {
  Fixture f;
  const std::string blob = Blob(1000);
  {
    auto w = f.Writer(false);
    REQUIRE(w->Append(std::string_view(blob).substr(0, 600)).ok());
  }  // destroyed without Commit: a resumable partial
  FakeBlobHost host(blob, "\"0x8D1\"");
  auto done = f.Run(host, f.Request("\"0x8D1\""), true);
  REQUIRE_MESSAGE(done.ok(), done.status().ToString());
  CHECK(Slurp(f.final_path) == blob);
  CHECK(done->size == blob.size());
  REQUIRE(host.requests.size() == 1);
  CHECK(HeaderOf(host.requests[0], "Range") == "bytes=600-");
}

TEST_CASE("blob download: a blob that changed since the partial is fetched whole again") {
  Fixture f;
  {
    auto w = f.Writer(false);
    REQUIRE(w->Append(Blob(1000).substr(0, 600)).ok());
  }
  FakeBlobHost host(Blob(700), "\"0x8D2\"");  // If-Range fails: 200 with the new blob
  auto done = f.Run(host, f.Request("\"0x8D1\""), true);
  REQUIRE_MESSAGE(done.ok(), done.status().ToString());
  CHECK(Slurp(f.final_path) == Blob(700));
  CHECK(f.etags_recorded == std::vector<std::string>{"\"0x8D2\""});
}

TEST_CASE("blob download: a partial without a validator is dropped, never resumed blindly") {
  Fixture f;
  {
    auto w = f.Writer(false);
    REQUIRE(w->Append("garbage that is not the blob").ok());
  }
  FakeBlobHost host(Blob(1000), "");
  auto done = f.Run(host, f.Request(""), true);
  REQUIRE_MESSAGE(done.ok(), done.status().ToString());
  CHECK(Slurp(f.final_path) == Blob(1000));
  CHECK(HeaderOf(host.requests[0], "Range").empty());
}

TEST_CASE("blob download: a weak or malformed ETag is no validator: a cut body starts again") {
  // Neither is recorded, and the second request asks for the whole blob
  // with neither Range nor If-Range (the malformed one is never sent back).
  for (const std::string etag : {"W/\"weak\"", "\"v1\"\x01X-Evil: 1"}) {
    CAPTURE(etag);
    Fixture f;
    FakeBlobHost host(Blob(1000), etag);
    host.Then(FakeBlobHost::Twist::kCutHalfway);
    auto done = f.Run(host, f.Request(), false);
    REQUIRE_MESSAGE(done.ok(), done.status().ToString());
    CHECK(Slurp(f.final_path) == Blob(1000));
    CHECK(f.etags_recorded.empty());
    REQUIRE(host.requests.size() == 2);
    CHECK(HeaderOf(host.requests[1], "Range").empty());
    CHECK(HeaderOf(host.requests[1], "If-Range").empty());
  }
}

TEST_CASE("blob download: a resume validator is a strong quoted entity-tag of printable bytes") {
  CHECK(ResumeValidator("\"0x8D1\"") == "\"0x8D1\"");
  CHECK(ResumeValidator("\"\"") == "\"\"");
  CHECK(ResumeValidator("\"caf\xc3\xa9\"") == "\"caf\xc3\xa9\"");  // obs-text is allowed
  CHECK(ResumeValidator("W/\"weak\"").empty());
  CHECK(ResumeValidator("0x8D1").empty());
  CHECK(ResumeValidator("\"").empty());
  CHECK(ResumeValidator("\"a b\"").empty());
  CHECK(ResumeValidator("\"a\"b\"").empty());
  CHECK(ResumeValidator("\"a\tb\"").empty());
  CHECK(ResumeValidator("\"a\x7f\"").empty());
  CHECK(ResumeValidator("\"" + std::string(254, 'a') + "\"").size() == 256);
  CHECK(ResumeValidator("\"" + std::string(255, 'a') + "\"").empty());
}

TEST_CASE("blob download: small blobs do not record their ETag, large ones do") {
  Fixture f;
  FakeBlobHost host(Blob(1000), "\"e\"");
  BlobRequest request = f.Request();
  SUBCASE("small") {
    request.min_record_bytes = 2000;
    REQUIRE(f.Run(host, request, false).ok());
    CHECK(f.etags_recorded.empty());
  }
  SUBCASE("large") {
    request.min_record_bytes = 1004;
    REQUIRE(f.Run(host, request, false).ok());
    CHECK(f.etags_recorded.size() == 1);
  }
}

TEST_CASE("blob download: a body cut short again and again gives up, bounded") {
  Fixture f;
  FakeBlobHost host(Blob(1000), "\"e\"");
  for (int i = 0; i < 20; ++i) host.Then(FakeBlobHost::Twist::kCutHalfway);
  auto done = f.Run(host, f.Request(), false);
  CHECK_FALSE(done.ok());
  CHECK(host.requests.size() == 6);  // the first request and max_resumes = 5 more
  CHECK_FALSE(std::filesystem::exists(f.final_path));
}

TEST_CASE("blob download: a 206 that does not continue the partial, or a 416, starts again") {
  Fixture f;
  FakeBlobHost host(Blob(1000), "\"e\"");
  host.Then(FakeBlobHost::Twist::kCutHalfway);
  SUBCASE("wrong start") { host.Then(FakeBlobHost::Twist::kWrongRangeStart); }
  SUBCASE("416") { host.Then(FakeBlobHost::Twist::kStatus416); }
  auto done = f.Run(host, f.Request(), false);
  REQUIRE_MESSAGE(done.ok(), done.status().ToString());
  CHECK(Slurp(f.final_path) == Blob(1000));
  REQUIRE(host.requests.size() == 3);
  CHECK(HeaderOf(host.requests[2], "Range").empty());
}

TEST_CASE("blob download: an expired link (403) is replaced by a fresh one and resumed") {
  Fixture f;
  FakeBlobHost host(Blob(1000), "\"e\"");
  host.Then(FakeBlobHost::Twist::kCutHalfway);
  host.Then(FakeBlobHost::Twist::kStatus403);
  BlobRequest request = f.Request();
  int refreshed = 0;
  request.fresh_link = [&]() -> util::Result<std::string> {
    ++refreshed;
    return std::string("http://127.0.0.2/cabs/x?sig=NEW");
  };
  auto done = f.Run(host, request, false);
  REQUIRE_MESSAGE(done.ok(), done.status().ToString());
  CHECK(refreshed == 1);
  CHECK(Slurp(f.final_path) == Blob(1000));
  CHECK(host.requests.back().url.find("sig=NEW") != std::string::npos);
  CHECK(HeaderOf(host.requests.back(), "Range") == "bytes=502-");
}

TEST_CASE("blob download: errors name host and path, never the SAS query") {
  Fixture f;
  FakeBlobHost host(Blob(10), "\"e\"");
  host.Then(FakeBlobHost::Twist::kStatus500);
  auto done = f.Run(host, f.Request(), false);
  REQUIRE_FALSE(done.ok());
  CHECK(done.status().message().find("HTTP 500") != std::string::npos);
  CHECK(done.status().http_status() == 500);
  CHECK_FALSE(done.status().IsLocalStorage());  // the service's trouble, not the store's
  CHECK(done.status().message().find("SECRET") == std::string::npos);
  CHECK_FALSE(std::filesystem::exists(f.final_path));
}

TEST_CASE("blob download: a rejected signature removes the temp file and stores nothing") {
  Fixture f;
  FakeBlobHost host("<html>not a cab</html>", "\"e\"");
  BlobRequest request = f.Request();
  request.check_head = [](std::string_view head) {
    return head.substr(0, 4) == "MSCF" ? util::Status::Ok() : util::BadDataError("no MSCF");
  };
  auto done = f.Run(host, request, false);
  REQUIRE_FALSE(done.ok());
  CHECK(done.status().kind() == util::ErrorKind::kBadData);
  CHECK_FALSE(std::filesystem::exists(f.temp));
  CHECK_FALSE(std::filesystem::exists(f.final_path));
}

}  // namespace
}  // namespace hdc::download
