#include "store/atomic_writer.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "store/layout.h"
#include "store/verify.h"
#include "support/fault_fs.h"
#include "support/power_cut_fs.h"
#include "support/skip.h"
#include "support/temp_dir.h"

namespace hdc::store {
namespace {

using testing::FaultFs;
using util::ErrorKind;
using util::Status;

constexpr std::string_view kFox = "The quick brown fox jumps over the lazy dog";
constexpr std::string_view kFoxSha256 =
    "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592";
constexpr std::string_view kFoxMd5 = "nhB9nTcrtoJr2B01QqQZ1g==";

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Regular files below dir, recursively (none when dir is missing).
std::vector<std::string> FilesUnder(const std::string& dir) {
  std::vector<std::string> files;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file()) files.push_back(it->path().generic_string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// A store on a real scratch directory behind a FaultFs.
struct Store {
  Store() : layout(dir.path()), fs(platform::RealFileSystem()) {
    fs.SetRealSync(false);  // the crash model is FaultFs's, not the disk's
    REQUIRE(layout.EnsureDirectories(fs).ok());
  }
  std::unique_ptr<AtomicWriter> Writer(const std::string& cab, bool resume = false) {
    auto w = AtomicWriter::Create(fs, *layout.TempPath("cab", cab), *layout.CabPath(cab), resume);
    REQUIRE(w.ok());
    return std::move(*w);
  }
  std::vector<std::string> Tmp() const { return FilesUnder(layout.tmp_dir()); }
  std::vector<std::string> Finals() const {
    std::vector<std::string> all = FilesUnder(layout.cabs_dir());
    for (const std::string& f : FilesUnder(layout.reports_dir())) all.push_back(f);
    return all;
  }

  testing::TempDir dir;
  StoreLayout layout;
  FaultFs fs;
};

// Position of the first trace line starting with `prefix`, or -1.
long Step(const std::vector<std::string>& trace, const std::string& prefix) {
  for (std::size_t i = 0; i < trace.size(); ++i) {
    if (trace[i].starts_with(prefix)) return static_cast<long>(i);
  }
  return -1;
}

TEST_CASE("a committed file has its final name, its bytes and the known SHA-256 and MD5") {
  Store s;
  auto w = s.Writer("AB12");
  REQUIRE(w->Append(kFox.substr(0, 10)).ok());
  REQUIRE(w->Append("").ok());
  REQUIRE(w->Append(kFox.substr(10)).ok());
  CHECK(w->size() == kFox.size());
  CHECK(w->first_bytes() == "The quic");
  CHECK(s.Tmp() == std::vector<std::string>{w->temp_path()});
  CHECK(s.Finals().empty());  // nothing under a final name before Commit

  const auto done = w->Commit(kFox.size(), std::string(kFoxMd5));
  REQUIRE(done.ok());
  CHECK(done->path == *s.layout.CabPath("AB12"));
  CHECK(done->size == kFox.size());
  CHECK(done->sha256_hex == kFoxSha256);
  CHECK(done->md5_base64 == kFoxMd5);
  CHECK(Slurp(done->path) == kFox);
  CHECK(s.Tmp().empty());
  CHECK(*Sha256OfFile(s.fs, done->path) == kFoxSha256);
}

TEST_CASE("commit syncs the file before closing and renaming, then syncs every new directory") {
  Store s;
  const std::uint64_t setup_syncdirs = s.fs.calls(FaultFs::Op::kSyncDir);  // EnsureDirectories
  auto w = AtomicWriter::Create(s.fs, *s.layout.TempPath("report", "r1"),
                                *s.layout.ReportPath("job", "r1", {}, "csv"), false);
  REQUIRE(w.ok());
  REQUIRE((*w)->Append(kFox).ok());
  REQUIRE((*w)->Commit(std::nullopt, std::nullopt).ok());
  const auto trace = s.fs.trace();
  const std::string tmp = s.layout.tmp_dir();
  const std::string reports = s.layout.reports_dir();
  const long sync = Step(trace, "sync " + tmp);
  const long close = Step(trace, "close " + tmp);
  const long rename = Step(trace, "rename " + tmp);
  CHECK(sync >= 0);
  CHECK(sync < close);
  CHECK(close < rename);
  CHECK(rename < Step(trace, "syncdir " + reports + "/job/r1"));
  CHECK(rename < Step(trace, "syncdir " + reports + "/job"));
  CHECK(rename < Step(trace, "syncdir " + reports));
  CHECK(s.fs.calls(FaultFs::Op::kSync) == 1);
  CHECK(s.fs.calls(FaultFs::Op::kSyncDir) - setup_syncdirs == 3);
}

TEST_CASE("a failed folder fsync of a batch is returned and later folders are not synced") {
  Store s;
  const std::uint64_t before = s.fs.calls(FaultFs::Op::kSyncDir);
  s.fs.FailAt(FaultFs::Op::kSyncDir, 1);
  const Status synced = SyncDirectories(s.fs, {s.layout.cabs_dir(), s.layout.tmp_dir()});
  CHECK(synced.kind() == ErrorKind::kTemporary);
  CHECK(s.fs.calls(FaultFs::Op::kSyncDir) == before + 1);
}

TEST_CASE("a million bytes in small pieces hash to the published test vector") {
  Store s;
  auto w = s.Writer("AAAA");
  const std::string chunk(1000, 'a');
  for (int i = 0; i < 1000; ++i) REQUIRE(w->Append(chunk).ok());
  const auto done = w->Commit(std::nullopt, std::nullopt);
  REQUIRE(done.ok());
  CHECK(done->size == 1000000);
  CHECK(done->sha256_hex == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  CHECK(done->md5_base64 == "dwfWrk4CfHDuoqk1wilvIQ==");
  CHECK(*Sha256OfFile(s.fs, done->path) == done->sha256_hex);
}

TEST_CASE("an empty file commits with the hashes of no bytes") {
  Store s;
  auto w = s.Writer("EMPTY");
  CHECK(w->first_bytes().empty());
  const auto done = w->Commit(0, std::string("1B2M2Y8AsgTpgAmY7PhCfg=="));
  REQUIRE(done.ok());
  CHECK(done->sha256_hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(Slurp(done->path).empty());
}

TEST_CASE("a writer destroyed without commit leaves a partial that a resumed writer completes") {
  Store s;
  const std::string data(200000, 'q');
  std::string temp;
  {
    auto w = s.Writer("RES1");
    REQUIRE(w->Append(std::string_view(data).substr(0, 70001)).ok());
    temp = w->temp_path();
  }
  CHECK(s.Tmp() == std::vector<std::string>{temp});
  CHECK(std::filesystem::file_size(temp) == 70001);
  CHECK(s.Finals().empty());

  auto resumed = s.Writer("RES1", /*resume=*/true);
  CHECK(resumed->size() == 70001);
  CHECK(resumed->first_bytes() == "qqqqqqqq");
  REQUIRE(resumed->Append(std::string_view(data).substr(70001)).ok());
  const auto done = resumed->Commit(data.size(), std::nullopt);
  REQUIRE(done.ok());

  auto one_shot = s.Writer("ONE1");
  REQUIRE(one_shot->Append(data).ok());
  const auto reference = one_shot->Commit(data.size(), std::nullopt);
  REQUIRE(reference.ok());
  CHECK(done->sha256_hex == reference->sha256_hex);
  CHECK(done->md5_base64 == reference->md5_base64);
  CHECK(Slurp(done->path) == data);
}

TEST_CASE(
    "resume without a partial starts at byte zero and without resume a partial is discarded") {
  Store s;
  CHECK(s.Writer("NEW1", /*resume=*/true)->size() == 0);
  { REQUIRE(s.Writer("OLD1")->Append("stale bytes").ok()); }
  auto w = s.Writer("OLD1", /*resume=*/false);
  CHECK(w->size() == 0);
  REQUIRE(w->Append(kFox).ok());
  CHECK(w->Commit(std::nullopt, std::string(kFoxMd5)).ok());
}

TEST_CASE("truncate restarts the file and its hashes from byte zero") {
  Store s;
  { REQUIRE(s.Writer("TRUN")->Append("PK old partial bytes").ok()); }
  auto w = s.Writer("TRUN", /*resume=*/true);
  CHECK(w->size() == 20);
  REQUIRE(w->Truncate().ok());
  CHECK(w->size() == 0);
  CHECK(w->first_bytes().empty());
  REQUIRE(w->Append(kFox).ok());
  const auto done = w->Commit(kFox.size(), std::string(kFoxMd5));
  REQUIRE(done.ok());
  CHECK(done->sha256_hex == kFoxSha256);
  CHECK(Slurp(done->path) == kFox);
}

TEST_CASE("a length mismatch is bad data and leaves neither temp nor final file") {
  Store s;
  auto w = s.Writer("LEN1");
  REQUIRE(w->Append(kFox).ok());
  const auto done = w->Commit(44, std::nullopt);
  REQUIRE_FALSE(done.ok());
  CHECK(done.status().kind() == ErrorKind::kBadData);
  CHECK(done.status().message().find("length mismatch: got 43, expected 44") != std::string::npos);
  CHECK(s.Tmp().empty());
  CHECK(s.Finals().empty());
  // The writer is spent.
  CHECK(w->Append("x").kind() == ErrorKind::kBadData);
  CHECK(w->Commit(std::nullopt, std::nullopt).status().kind() == ErrorKind::kBadData);
  CHECK(s.Tmp().empty());
}

TEST_CASE("a Content-MD5 mismatch is bad data and leaves neither temp nor final file") {
  Store s;
  auto w = s.Writer("MD51");
  REQUIRE(w->Append(kFox).ok());
  const auto done = w->Commit(kFox.size(), std::string("1B2M2Y8AsgTpgAmY7PhCfg=="));
  REQUIRE_FALSE(done.ok());
  CHECK(done.status().kind() == ErrorKind::kBadData);
  CHECK(done.status().message().find("Content-MD5 mismatch") != std::string::npos);
  CHECK(s.Tmp().empty());
  CHECK(s.Finals().empty());
}

TEST_CASE("MD5 switched off is not computed, and its check is skipped rather than failed") {
  Store s;
  auto w = s.Writer("AAAA");
  w->SetMd5Wanted(false);
  REQUIRE(w->Append(kFox).ok());
  const auto done = w->Commit(kFox.size(), std::string("AAAAAAAAAAAAAAAAAAAAAA=="));
  REQUIRE(done.ok());
  CHECK(done->md5_base64.empty());
  CHECK(done->sha256_hex == kFoxSha256);
}

TEST_CASE("MD5 switched off and on again after a truncate is checked again") {
  Store s;
  auto w = s.Writer("AAAA");
  w->SetMd5Wanted(false);
  REQUIRE(w->Append("stale bytes").ok());
  w->SetMd5Wanted(true);
  REQUIRE(w->Truncate().ok());
  REQUIRE(w->Append(kFox).ok());
  const auto done = w->Commit(std::nullopt, std::string(kFoxMd5));
  REQUIRE(done.ok());
  CHECK(done->md5_base64 == kFoxMd5);
}

TEST_CASE("a Content-MD5 without padding or with spaces around it still matches") {
  Store s;
  auto w = s.Writer("MD52");
  REQUIRE(w->Append(kFox).ok());
  CHECK(w->Commit(std::nullopt, std::string(" nhB9nTcrtoJr2B01QqQZ1g ")).ok());
}

struct Injection {
  const char* name;
  std::function<void(FaultFs&)> arm;
  const char* message;  // expected start of the error message
};

TEST_CASE("every injected failure leaves no temp file and no final file and never retries fsync") {
  const std::vector<Injection> injections = {
      {"disk full on the 3rd write", [](FaultFs& fs) { fs.FailAppendAt(3); }, "write "},
      {"disk full from the 2nd write on", [](FaultFs& fs) { fs.FailAppendAt(2, true); }, "write "},
      {"fsync error", [](FaultFs& fs) { fs.FailSync(); }, "fdatasync "},
      {"close error", [](FaultFs& fs) { fs.FailClose(); }, "close "},
      {"mkdir error", [](FaultFs& fs) { fs.FailAt(FaultFs::Op::kCreateDirectories, 1, true); },
       "create directory "},
      {"rename error", [](FaultFs& fs) { fs.FailRename(); }, "rename "},
      {"final directory fsync error", [](FaultFs& fs) { fs.FailSyncDir(); }, "fsync directory "},
      {"new directory's parent fsync error",
       [](FaultFs& fs) { fs.FailAt(FaultFs::Op::kSyncDir, 2); }, "fsync directory "},
  };
  for (const Injection& injection : injections) {
    CAPTURE(injection.name);
    Store s;
    auto w = s.Writer("FAIL");
    injection.arm(s.fs);
    Status status;
    for (int i = 0; i < 5 && status.ok(); ++i) status = w->Append(kFox);
    if (status.ok()) status = w->Commit(5 * kFox.size(), std::nullopt).status();
    REQUIRE_FALSE(status.ok());
    CHECK(status.kind() == ErrorKind::kTemporary);
    CHECK(status.message().starts_with(injection.message));
    CHECK(status.message().find(s.layout.root()) != std::string::npos);  // names the path
    CHECK(s.Tmp().empty());
    CHECK(s.Finals().empty());
    CHECK(s.fs.calls(FaultFs::Op::kSync) <= 1);
    // Spent: no second attempt at the same bytes.
    CHECK(w->Commit(std::nullopt, std::nullopt).status().message() == status.message());
    CHECK(s.Finals().empty());
    if (std::string_view(injection.message) == "fdatasync ") {
      CHECK(s.fs.calls(FaultFs::Op::kRename) == 0);
    }
  }
}

TEST_CASE("a failed open is returned by Create") {
  Store s;
  s.fs.FailAt(FaultFs::Op::kOpenForWrite, 1);
  const auto w =
      AtomicWriter::Create(s.fs, *s.layout.TempPath("cab", "X1"), *s.layout.CabPath("X1"), false);
  REQUIRE_FALSE(w.ok());
  CHECK(w.status().kind() == ErrorKind::kTemporary);
}

TEST_CASE("abort removes the temp file and a second abort does nothing") {
  Store s;
  auto w = s.Writer("ABRT");
  REQUIRE(w->Append("MSCF....").ok());
  CHECK(w->first_bytes() == "MSCF....");
  CHECK(w->Abort().ok());
  CHECK(s.Tmp().empty());
  CHECK(w->Abort().ok());
  CHECK(w->Append("x").kind() == ErrorKind::kInternal);
  CHECK(s.Finals().empty());
}

TEST_CASE("abort after commit keeps the committed file") {
  Store s;
  auto w = s.Writer("KEEP");
  REQUIRE(w->Append(kFox).ok());
  const auto done = w->Commit(std::nullopt, std::nullopt);
  REQUIRE(done.ok());
  CHECK(w->Abort().ok());
  CHECK(Slurp(done->path) == kFox);
}

TEST_CASE("a symbolic link in place of the temp file is refused, never followed, never removed") {
  HDC_SKIP_ON_WINDOWS(HDC_NO_SYMLINKS_ON_WINDOWS);
  Store s;
  const std::string victim = s.dir.Write("victim.txt", "precious");
  const std::string temp = *s.layout.TempPath("cab", "LINK");
  std::filesystem::create_symlink(victim, temp);
  auto confined = platform::OpenConfinedFileSystem(s.dir.path());
  REQUIRE(confined.ok());
  for (bool resume : {false, true}) {
    CAPTURE(resume);
    auto w = AtomicWriter::Create(**confined, temp, *s.layout.CabPath("LINK"), resume);
    REQUIRE_FALSE(w.ok());
    CHECK(w.status().kind() == util::ErrorKind::kConfig);
    CHECK(w.status().message() == platform::LinkRefusedMessage(temp));
    // The unconfined file system refuses it too (O_NOFOLLOW), as an I/O error.
    auto plain = AtomicWriter::Create(s.fs, temp, *s.layout.CabPath("LINK"), resume);
    REQUIRE_FALSE(plain.ok());
    CHECK(Slurp(victim) == "precious");
    CHECK(std::filesystem::is_symlink(temp));
  }
}

// leveldb's fault_injection_test in small: publish some files, leave others
// half written, fail some commits, cut the power, and require that every file
// under a final name is complete and matches what Commit reported.
TEST_CASE("after a power cut every file under a final name is complete with its committed hash") {
  for (std::uint32_t seed = 1; seed <= 10; ++seed) {
    CAPTURE(seed);
    Store s;
    std::mt19937 rng(seed);
    std::map<std::string, Committed> committed;
    std::vector<std::unique_ptr<AtomicWriter>> open;  // never committed
    for (int i = 0; i < 12; ++i) {
      const std::string id = "C" + std::to_string(seed) + "x" + std::to_string(i);
      auto w = s.Writer(id);
      const std::string data(1 + rng() % 5000, static_cast<char>('a' + i));
      const unsigned outcome = rng() % 4;
      REQUIRE(w->Append(std::string_view(data).substr(0, data.size() / 2)).ok());
      if (outcome == 0) {
        open.push_back(std::move(w));  // still downloading at the cut
        continue;
      }
      REQUIRE(w->Append(std::string_view(data).substr(data.size() / 2)).ok());
      if (outcome == 1) {
        s.fs.FailAt(FaultFs::Op::kSyncDir, 1);  // a commit that fails late
        CHECK_FALSE(w->Commit(data.size(), std::nullopt).ok());
        s.fs.HealAll();
        continue;
      }
      auto done = w->Commit(data.size(), std::nullopt);
      REQUIRE(done.ok());
      committed[done->path] = *done;
    }
    open.clear();  // the process dies: files close, nothing more is written
    REQUIRE(s.fs.DropUnsynced(s.layout.root()).ok());

    const std::vector<std::string> finals = s.Finals();
    CHECK(finals.size() == committed.size());  // committed files survive
    for (const std::string& path : finals) {
      CAPTURE(path);
      REQUIRE(committed.count(path) == 1);
      CHECK(std::filesystem::file_size(path) == committed[path].size);
      CHECK(*Sha256OfFile(s.fs, path) == committed[path].sha256_hex);
    }
  }
}

// Sealed files of ids, each holding `data` + its id, for one Publish.
std::vector<Sealed> SealAll(Store& s, const std::vector<std::string>& ids, std::string_view data) {
  std::vector<Sealed> batch;
  for (const std::string& id : ids) {
    auto w = s.Writer(id);
    const std::string body = std::string(data) + id;
    REQUIRE(w->Append(body).ok());
    auto sealed = w->Seal(body.size(), std::nullopt);
    REQUIRE(sealed.ok());
    batch.push_back(std::move(*sealed));
  }
  return batch;
}

TEST_CASE("a batch is published with one file-system sync, then renamed, each folder synced once") {
  Store s;
  const std::uint64_t syncdirs = s.fs.calls(FaultFs::Op::kSyncDir);
  auto published = Publish(s.fs, SealAll(s, {"AB12", "AB34", "CD56"}, kFox));
  REQUIRE(published.ok());
  REQUIRE(published->size() == 3);
  CHECK(s.fs.calls(FaultFs::Op::kSyncFileSystem) == 1);
  CHECK(s.fs.calls(FaultFs::Op::kSync) == 0);
  // The two new shards and, for each, the cabs folder: three folders, once each.
  CHECK(s.fs.calls(FaultFs::Op::kSyncDir) == syncdirs + 3);
  const std::vector<std::string> trace = s.fs.trace();
  CHECK(Step(trace, "syncfs ") >= 0);
  CHECK(Step(trace, "syncfs ") < Step(trace, "rename "));
  CHECK(s.Tmp().empty());
  for (const Committed& c : *published) {
    CAPTURE(c.path);
    CHECK(Slurp(c.path).size() == c.size);
  }
  // Control: the names are durable, so a power cut keeps all three whole.
  REQUIRE(s.fs.DropUnsynced(s.layout.root()).ok());
  CHECK(s.Finals().size() == 3);
  for (const Committed& c : *published) CHECK(*Sha256OfFile(s.fs, c.path) == c.sha256_hex);
}

TEST_CASE("a single sealed file is published with its own fsync, not a file-system sync") {
  Store s;
  auto published = Publish(s.fs, SealAll(s, {"AB12"}, kFox));
  REQUIRE(published.ok());
  CHECK(s.fs.calls(FaultFs::Op::kSync) == 1);
  CHECK(s.fs.calls(FaultFs::Op::kSyncFileSystem) == 0);
}

TEST_CASE("a file synced on its own is not synced again by its batch's publish") {
  Store s;
  std::vector<Sealed> batch = SealAll(s, {"AB12", "AB34", "CD56"}, kFox);
  REQUIRE(SyncSealed(s.fs, batch[0]).ok());
  CHECK(s.fs.calls(FaultFs::Op::kSync) == 1);
  REQUIRE(Publish(s.fs, std::move(batch)).ok());
  CHECK(s.fs.calls(FaultFs::Op::kSync) == 1);  // the other two: one file-system sync
  CHECK(s.fs.calls(FaultFs::Op::kSyncFileSystem) == 1);

  // With one unsynced file left, that one gets its own fsync.
  std::vector<Sealed> two = SealAll(s, {"EF12", "EF34"}, kFox);
  REQUIRE(SyncSealed(s.fs, two[1]).ok());
  REQUIRE(Publish(s.fs, std::move(two)).ok());
  CHECK(s.fs.calls(FaultFs::Op::kSync) == 3);
  CHECK(s.fs.calls(FaultFs::Op::kSyncFileSystem) == 1);
  REQUIRE(s.fs.DropUnsynced(s.layout.root()).ok());
  CHECK(s.Finals().size() == 5);
}

TEST_CASE("a failed fsync of a file synced on its own removes it and is not retried") {
  Store s;
  std::vector<Sealed> batch = SealAll(s, {"AB12"}, kFox);
  s.fs.FailSync();
  const Status synced = SyncSealed(s.fs, batch[0]);
  CHECK(synced.kind() == ErrorKind::kTemporary);
  CHECK(synced.message().starts_with("fdatasync "));
  CHECK(s.Tmp().empty());
  CHECK(s.fs.calls(FaultFs::Op::kSync) == 1);
}

TEST_CASE("a failure anywhere in a batch publish leaves none of the batch, temp or final") {
  const std::vector<Injection> injections = {
      {"file-system sync error", [](FaultFs& fs) { fs.FailAt(FaultFs::Op::kSyncFileSystem, 1); },
       "syncfs "},
      {"close error on the 2nd file", [](FaultFs& fs) { fs.FailAt(FaultFs::Op::kClose, 2); },
       "close "},
      {"mkdir error for the 2nd shard",
       [](FaultFs& fs) { fs.FailAt(FaultFs::Op::kCreateDirectories, 2); }, "create directory "},
      {"rename error on the 3rd file", [](FaultFs& fs) { fs.FailAt(FaultFs::Op::kRename, 3); },
       "rename "},
      {"folder fsync error", [](FaultFs& fs) { fs.FailAt(FaultFs::Op::kSyncDir, 2); },
       "fsync directory "},
  };
  for (const Injection& injection : injections) {
    CAPTURE(injection.name);
    Store s;
    std::vector<Sealed> batch = SealAll(s, {"AB12", "AB34", "CD56"}, kFox);
    injection.arm(s.fs);
    auto published = Publish(s.fs, std::move(batch));
    REQUIRE_FALSE(published.ok());
    CHECK(published.status().kind() == ErrorKind::kTemporary);
    CHECK(published.status().message().starts_with(injection.message));
    CHECK(s.Tmp().empty());
    CHECK(s.Finals().empty());
    CHECK(s.fs.calls(FaultFs::Op::kSyncFileSystem) == 1);  // never retried
  }
}

TEST_CASE("a power cut at any call of a batch publish leaves each final name whole or absent") {
  const std::vector<std::string> ids = {"AB12", "AB34", "CD56", "EF78"};
  const std::string body(3000, 'x');
  bool partly = false;  // some cut left a batch half published
  for (std::uint64_t n = 1;; ++n) {
    CAPTURE(n);
    testing::TempDir dir;
    const std::string root = dir / "state";
    std::filesystem::create_directories(root);
    const StoreLayout layout(root);
    REQUIRE(layout.EnsureDirectories(platform::RealFileSystem()).ok());
    testing::PowerCutFileSystem fs(platform::RealFileSystem(), root);
    std::vector<Sealed> batch;
    for (const std::string& id : ids) {
      auto w = AtomicWriter::Create(fs, *layout.TempPath("cab", id), *layout.CabPath(id), false);
      REQUIRE(w.ok());
      REQUIRE((*w)->Append(body + id).ok());
      auto sealed = (*w)->Seal(body.size() + id.size(), std::nullopt);
      REQUIRE(sealed.ok());
      batch.push_back(std::move(*sealed));
    }
    const std::string image = dir / "image";
    fs.CutAfter(fs.calls() + n, image);
    const bool published = Publish(fs, std::move(batch)).ok();
    if (!fs.cut()) {
      REQUIRE(published);  // every call of the publish had its cut: done
      REQUIRE(fs.WriteImage(image).ok());
      CHECK(FilesUnder(image + "/store/cabs").size() == ids.size());
      CHECK(partly);
      break;
    }
    REQUIRE(fs.cut_status().ok());
    const std::vector<std::string> finals = FilesUnder(image + "/store/cabs");
    partly = partly || (!finals.empty() && finals.size() < ids.size());
    for (const std::string& path : finals) {
      CAPTURE(path);
      const std::string id = std::filesystem::path(path).stem().string();
      CHECK(Slurp(path) == body + id);
    }
  }
}

}  // namespace
}  // namespace hdc::store
