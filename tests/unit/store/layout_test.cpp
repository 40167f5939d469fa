#include "store/layout.h"

#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#ifndef _WIN32
#include <sys/stat.h>
#endif

#include "support/file_mode.h"
#include "support/power_cut_fs.h"
#include "support/skip.h"
#include "support/temp_dir.h"
#include "util/time_format.h"

namespace hdc::store {
namespace {

using util::ErrorKind;

util::TimePoint May1() { return *util::ParseTimestamp("2024-05-01T12:34:56Z"); }

TEST_CASE("plain tokens are short runs of letters, digits, dot, dash and underscore") {
  struct Row {
    std::string id;
    bool plain;
  };
  const std::vector<Row> rows = {
      {"a", true},
      {"1234567890", true},
      {"3fa85f64-5717-4562-b3fc-2c963f66afa6", true},
      {"Ab_c-d.e", true},
      {"report.v2", true},
      {std::string(128, 'x'), true},
      {"", false},
      {std::string(129, 'x'), false},
      {".", false},
      {"..", false},
      {".hidden", false},
      {"trailing.", false},
      {"a..b", false},
      {"../../etc/passwd", false},
      {"a/b", false},
      {"a\\b", false},
      {"C:evil", false},
      {"sp ace", false},
      {std::string("nul\0byte", 8), false},
      {"caf\xc3\xa9", false},
      {"CON", false},
      {"nul.cab", false},
      {"Com1", false},
      {"lpt9.txt", false},
      {"console", true},
      {"com10", true},
  };
  for (const Row& row : rows) {
    CAPTURE(row.id);
    CHECK(IsPlainToken(row.id) == row.plain);
  }
}

TEST_CASE("a refusal names what was refused and shows the id escaped and cut to 40 characters") {
  const util::Status s = CheckPlainToken("cab id", "../../etc/passwd");
  CHECK(s.kind() == ErrorKind::kBadData);
  CHECK(s.message() == "refusing cab id '../../etc/passwd': not a plain token");

  const util::Status control = CheckPlainToken("cab id", std::string("a\nb\x01'\\", 6));
  CHECK(control.message() == "refusing cab id 'a\\x0ab\\x01\\x27\\x5c': not a plain token");

  const util::Status long_id = CheckPlainToken("report id", std::string(50, '/'));
  CHECK(long_id.message() ==
        "refusing report id '" + std::string(40, '/') + "...': not a plain token");
  CHECK(CheckPlainToken("cab id", "abc").ok());
}

TEST_CASE("the layout builds report, cab and temp paths under the store") {
  const StoreLayout layout("/var/lib/hdc-reportd/");
  CHECK(layout.root() == "/var/lib/hdc-reportd/store");
  CHECK(layout.tmp_dir() == "/var/lib/hdc-reportd/store/tmp");
  CHECK(*layout.ReportPath("ihv-kernel", "12345", May1(), "tsv") ==
        "/var/lib/hdc-reportd/store/reports/ihv-kernel/12345/20240501T123456Z.tsv");
  CHECK(*layout.CabPath("AB12cd") == "/var/lib/hdc-reportd/store/cabs/ab/AB12cd.cab");
  CHECK(*layout.CabPath("a.b") == "/var/lib/hdc-reportd/store/cabs/a_/a.b.cab");
  CHECK(*layout.TempPath("cab", "AB12cd") == "/var/lib/hdc-reportd/store/tmp/cab-AB12cd.part");
}

TEST_CASE("the layout refuses ids that are not plain tokens with a bad-data error") {
  const StoreLayout layout("/state");
  const auto report = layout.ReportPath("job", "../../etc/passwd", May1(), "csv");
  REQUIRE_FALSE(report.ok());
  CHECK(report.status().kind() == ErrorKind::kBadData);
  CHECK(report.status().message() == "refusing report id '../../etc/passwd': not a plain token");
  CHECK(layout.ReportPath("a/b", "1", May1(), "csv").status().kind() == ErrorKind::kBadData);
  CHECK(layout.ReportPath("job", "1", May1(), "csv/..").status().kind() == ErrorKind::kBadData);
  CHECK(layout.CabPath("..").status().kind() == ErrorKind::kBadData);
  CHECK(layout.CabPath("x").status().kind() == ErrorKind::kBadData);
  CHECK(layout.TempPath("cab", "../x").status().kind() == ErrorKind::kBadData);
  // The kind is ours, not the server's: a bad one is a bug.
  CHECK(layout.TempPath("Cab", "x").status().kind() == ErrorKind::kInternal);
  CHECK(layout.TempPath("a-b", "x").status().kind() == ErrorKind::kInternal);
}

TEST_CASE("temp names parse back into kind and key") {
  const StoreLayout layout("/s");
  const std::string path = *layout.TempPath("report", "job-123-20240501T000000Z");
  const auto name = ParseTempName(path.substr(path.rfind('/') + 1));
  REQUIRE(name.has_value());
  CHECK(name->kind == "report");
  CHECK(name->key == "job-123-20240501T000000Z");
  CHECK_FALSE(ParseTempName("cab-x.tmp").has_value());
  CHECK_FALSE(ParseTempName("cabx.part").has_value());
  CHECK_FALSE(ParseTempName("-x.part").has_value());
  CHECK_FALSE(ParseTempName("cab-.part").has_value());
  CHECK_FALSE(ParseTempName("CAB-x.part").has_value());
  CHECK_FALSE(ParseTempName("cab-..part").has_value());
}

TEST_CASE("relative paths go to the database and come back checked") {
  const StoreLayout layout("/s");
  const std::string cab = *layout.CabPath("AB12");
  CHECK(*layout.Relative(cab) == "cabs/ab/AB12.cab");
  CHECK(*layout.Absolute("cabs/ab/AB12.cab") == cab);
  CHECK(layout.Relative("/elsewhere/x").status().kind() == ErrorKind::kInternal);
  CHECK(layout.Relative("/s/store/").status().kind() == ErrorKind::kInternal);
  CHECK(layout.Relative("/s/storex/a").status().kind() == ErrorKind::kInternal);
  CHECK(layout.Absolute("cabs/../../etc/passwd").status().kind() == ErrorKind::kBadData);
  CHECK(layout.Absolute("/etc/passwd").status().kind() == ErrorKind::kBadData);
  CHECK(layout.Absolute("cabs//x").status().kind() == ErrorKind::kBadData);
  CHECK(layout.Absolute("").status().kind() == ErrorKind::kBadData);
}

TEST_CASE("every path the layout builds comes back through Absolute, long ids included") {
  const StoreLayout layout("/s");
  // 125-128 characters are a plain token, but not with ".cab" or "-" and
  // ".part" around them: such paths would be stored and never found again.
  for (size_t size : {120u, 123u, 124u, 125u, 128u}) {
    CAPTURE(size);
    const std::string id(size, 'a');
    for (const auto& path : {layout.CabPath(id), layout.TempPath("cab", id)}) {
      if (path.ok()) {
        CHECK(layout.Absolute(*layout.Relative(*path)).ok());
      } else {
        CHECK(path.status().kind() == ErrorKind::kBadData);
      }
    }
  }
  CHECK(layout.CabPath(std::string(124, 'a')).ok());
  CHECK_FALSE(layout.CabPath(std::string(125, 'a')).ok());
  CHECK_FALSE(ParseTempName("cab-" + std::string(124, 'a') + ".part"));
}

// The property: whatever the ids, a path either lies under the store root
// (and stays there after lexical normalisation) or is refused.
bool LiesUnder(const std::string& path, const std::string& root) {
  if (!path.starts_with(root + "/")) return false;
  if (path.find("//") != std::string::npos || path.find('\\') != std::string::npos) return false;
  if (path.find('\0') != std::string::npos) return false;
  const std::string normal = std::filesystem::path(path).lexically_normal().generic_string();
  return normal == path;
}

TEST_CASE("every path built from random ids lies under the store or is refused") {
  const StoreLayout layout("/state");
  const std::string root = layout.root();
  std::mt19937 rng(20240501);
  // Mostly token characters, so that many ids pass, salted with separators,
  // Windows specials, NUL and non-ASCII bytes.
  const std::string plain = "aZ09._-";
  const std::string hostile = std::string("/\\:. *?\"<>|%~$\xff\xc3") + std::string(1, '\0');
  std::uniform_int_distribution<std::size_t> length(0, 12);
  auto random_id = [&] {
    std::string id(length(rng), ' ');
    for (char& c : id) {
      const std::string& from = rng() % 8 == 0 ? hostile : plain;
      c = from[rng() % from.size()];
    }
    return id;
  };
  int accepted = 0;
  std::string violation;
  for (int i = 0; i < 5000 && violation.empty(); ++i) {
    const std::string a = random_id();
    const std::string b = random_id();
    const std::string c = random_id();
    for (const util::Result<std::string>& r :
         {layout.ReportPath(a, b, May1(), c), layout.CabPath(a), layout.TempPath("cab", a),
          layout.Absolute(a + "/" + b)}) {
      if (!r.ok()) {
        if (r.status().kind() != ErrorKind::kBadData) violation = r.status().message();
        continue;
      }
      ++accepted;
      const auto back = layout.Relative(*r);
      if (!LiesUnder(*r, root) || !back.ok() || !layout.Absolute(*back).ok() ||
          *layout.Absolute(*back) != *r) {
        violation = *r;
      }
    }
  }
  CHECK(violation == "");
  CHECK(accepted > 2000);  // the generator does reach the accepting side
}

TEST_CASE("EnsureDirectories creates reports, cabs and tmp with mode 0750") {
  testing::TempDir dir;
#ifndef _WIN32
  const mode_t saved = ::umask(022);
#endif
  const StoreLayout layout(dir.path());
  REQUIRE(layout.EnsureDirectories(platform::RealFileSystem()).ok());
#ifndef _WIN32
  ::umask(saved);
#endif
  for (const std::string& d : {layout.reports_dir(), layout.cabs_dir(), layout.tmp_dir()}) {
    CHECK(std::filesystem::is_directory(d));
    CHECK_POSIX_MODE(d, 0750u);
  }
  CHECK(layout.EnsureDirectories(platform::RealFileSystem()).ok());  // idempotent
}

// Regression: the folders were created but their names never synced, so a
// power cut could take store/reports (and every report published under it
// with its row committed) back; integration/power_cut_test.cpp found it.
TEST_CASE("EnsureDirectories makes the store folders durable: they survive a power cut") {
  testing::TempDir dir;
  const std::string state_dir = dir / "state";
  std::filesystem::create_directories(state_dir);
  testing::PowerCutFileSystem fs(platform::RealFileSystem(), state_dir);
  const StoreLayout layout(state_dir);
  REQUIRE(layout.EnsureDirectories(fs).ok());
  // Control: a folder created without the parent's sync is gone after a cut.
  REQUIRE(fs.CreateDirectories(state_dir + "/other").ok());
  const std::string image = dir / "image";
  REQUIRE(fs.WriteImage(image).ok());
  CHECK_FALSE(std::filesystem::exists(image + "/other"));
  for (const char* d : {"store/reports", "store/cabs", "store/tmp"}) {
    CAPTURE(d);
    CHECK(std::filesystem::is_directory(image + "/" + d));
  }
}

}  // namespace
}  // namespace hdc::store
