// Tests of tests/support/power_cut_fs: the model must drop what a power cut
// would drop, or the power-cut tests of the store prove nothing
// (integration/power_cut_test.cpp).
#include "support/power_cut_fs.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <doctest/doctest.h>

#include "support/temp_dir.h"

namespace hdc::testing {
namespace {

std::optional<std::string> Slurp(const std::string& path) {
  if (!std::filesystem::is_regular_file(path)) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// A folder "live" watched by the model, and a place for its images.
struct Fixture {
  Fixture() {
    std::filesystem::create_directories(live());
    dir.Write("live/old", "old data");
  }
  std::string live() const { return dir / "live"; }
  std::string at(const std::string& name) const { return live() + "/" + name; }
  // The image a power cut now would leave; each call a new folder.
  std::string Image(PowerCutFileSystem& fs) {
    const std::string image = dir / ("image" + std::to_string(++images));
    REQUIRE(fs.WriteImage(image).ok());
    return image;
  }
  TempDir dir;
  int images = 0;
};

void Write(PowerCutFileSystem& fs, const std::string& path, std::string_view data, bool sync,
           bool append = false) {
  auto file = fs.OpenForWrite(path, append);
  REQUIRE(file.ok());
  REQUIRE((*file)->Append(data).ok());
  if (sync) REQUIRE((*file)->Sync().ok());
  REQUIRE((*file)->Close().ok());
}

TEST_CASE("power cut model: data survive only up to the last sync") {
  Fixture f;
  PowerCutFileSystem fs(platform::RealFileSystem(), f.live());
  auto file = fs.OpenForWrite(f.at("a"), false);
  REQUIRE(file.ok());
  REQUIRE((*file)->Append("synced").ok());
  REQUIRE((*file)->Sync().ok());
  REQUIRE((*file)->Append(" unsynced").ok());
  REQUIRE((*file)->Close().ok());
  Write(fs, f.at("never"), "never synced", false);
  REQUIRE(fs.SyncDir(f.live()).ok());  // both names are durable
  // The live folder holds everything...
  CHECK(Slurp(f.at("a")) == "synced unsynced");
  CHECK(Slurp(f.at("never")) == "never synced");
  // ... the image only what was synced (the control: the model does drop data).
  const std::string image = f.Image(fs);
  CHECK(Slurp(image + "/a") == "synced");
  CHECK(Slurp(image + "/never") == "");
  CHECK(Slurp(image + "/old") == "old data");  // there before the model: durable
  Write(fs, f.at("never"), "now synced", true);
  CHECK(Slurp(f.Image(fs) + "/never") == "now synced");
}

TEST_CASE("power cut model: a file-system sync makes every file's data durable, not names") {
  Fixture f;
  PowerCutFileSystem fs(platform::RealFileSystem(), f.live());
  auto a = fs.OpenForWrite(f.at("a"), false);
  auto b = fs.OpenForWrite(f.at("b"), false);
  REQUIRE((a.ok() && b.ok()));
  REQUIRE((*a)->Append("data of a").ok());
  REQUIRE((*b)->Append("data of b").ok());
  REQUIRE(fs.SyncDir(f.live()).ok());
  // Control: the names alone keep empty files.
  std::string image = f.Image(fs);
  CHECK(Slurp(image + "/a") == "");
  CHECK(Slurp(image + "/b") == "");
  const std::uint64_t calls = fs.calls();
  const std::optional<util::Status> synced = (*a)->SyncFileSystem();
  if (!synced) {
    CHECK(fs.calls() == calls);  // not a call where the platform has none
    return;
  }
  REQUIRE(synced->ok());
  CHECK(fs.calls() == calls + 1);
  image = f.Image(fs);
  CHECK(Slurp(image + "/a") == "data of a");
  CHECK(Slurp(image + "/b") == "data of b");  // through the other file's call
  Write(fs, f.at("c"), "unnamed", false);
  REQUIRE((*b)->SyncFileSystem()->ok());
  CHECK_FALSE(Slurp(f.Image(fs) + "/c"));  // its folder was not synced after it
  REQUIRE((*a)->Close().ok());
  REQUIRE((*b)->Close().ok());
}

TEST_CASE("power cut model: a new name survives only after its folder is synced") {
  Fixture f;
  PowerCutFileSystem fs(platform::RealFileSystem(), f.live());
  Write(fs, f.at("new"), "data", true);
  CHECK_FALSE(Slurp(f.Image(fs) + "/new"));
  REQUIRE(fs.SyncDir(f.live()).ok());
  CHECK(Slurp(f.Image(fs) + "/new") == "data");

  // A new folder needs its parent synced as well.
  REQUIRE(fs.CreateDirectories(f.at("d1/d2")).ok());
  Write(fs, f.at("d1/d2/x"), "x", true);
  REQUIRE(fs.SyncDir(f.at("d1/d2")).ok());
  CHECK_FALSE(Slurp(f.Image(fs) + "/d1/d2/x"));
  REQUIRE(fs.SyncDir(f.at("d1")).ok());
  CHECK_FALSE(Slurp(f.Image(fs) + "/d1/d2/x"));
  REQUIRE(fs.SyncDir(f.live()).ok());
  CHECK(Slurp(f.Image(fs) + "/d1/d2/x") == "x");
}

TEST_CASE("power cut model: a rename not made durable leaves the old name") {
  Fixture f;
  PowerCutFileSystem fs(platform::RealFileSystem(), f.live());
  REQUIRE(fs.CreateDirectories(f.at("tmp")).ok());
  REQUIRE(fs.SyncDir(f.live()).ok());
  Write(fs, f.at("tmp/a.part"), "payload", true);
  REQUIRE(fs.SyncDir(f.at("tmp")).ok());
  REQUIRE(fs.Rename(f.at("tmp/a.part"), f.at("a")).ok());
  std::string image = f.Image(fs);
  CHECK(Slurp(image + "/tmp/a.part") == "payload");
  CHECK_FALSE(Slurp(image + "/a"));

  // The new folder synced: the name is there, with the inode's synced data.
  REQUIRE(fs.SyncDir(f.live()).ok());
  image = f.Image(fs);
  CHECK(Slurp(image + "/a") == "payload");
  CHECK(Slurp(image + "/tmp/a.part") == "payload");  // the old folder not synced yet
  REQUIRE(fs.SyncDir(f.at("tmp")).ok());
  image = f.Image(fs);
  CHECK(Slurp(image + "/a") == "payload");
  CHECK_FALSE(Slurp(image + "/tmp/a.part"));
}

TEST_CASE("power cut model: a rename over a file keeps the old file until the folder is synced") {
  Fixture f;
  PowerCutFileSystem fs(platform::RealFileSystem(), f.live());
  Write(fs, f.at("new"), "new data", true);
  REQUIRE(fs.SyncDir(f.live()).ok());
  REQUIRE(fs.Rename(f.at("new"), f.at("old")).ok());
  std::string image = f.Image(fs);
  CHECK(Slurp(image + "/old") == "old data");
  CHECK(Slurp(image + "/new") == "new data");
  REQUIRE(fs.SyncDir(f.live()).ok());
  image = f.Image(fs);
  CHECK(Slurp(image + "/old") == "new data");
  CHECK_FALSE(Slurp(image + "/new"));
}

TEST_CASE("power cut model: a removal not made durable brings the file back") {
  Fixture f;
  PowerCutFileSystem fs(platform::RealFileSystem(), f.live());
  REQUIRE(fs.Remove(f.at("old")).ok());
  CHECK_FALSE(std::filesystem::exists(f.at("old")));
  CHECK(Slurp(f.Image(fs) + "/old") == "old data");
  REQUIRE(fs.SyncDir(f.live()).ok());
  CHECK_FALSE(Slurp(f.Image(fs) + "/old"));
}

TEST_CASE("power cut model: truncating and appending opens keep the synced data until a sync") {
  Fixture f;
  PowerCutFileSystem fs(platform::RealFileSystem(), f.live());
  Write(fs, f.at("old"), "rewritten", false);
  CHECK(Slurp(f.at("old")) == "rewritten");
  CHECK(Slurp(f.Image(fs) + "/old") == "old data");
  Write(fs, f.at("old"), "rewritten", true);
  CHECK(Slurp(f.Image(fs) + "/old") == "rewritten");
  Write(fs, f.at("old"), " and more", false, /*append=*/true);
  CHECK(Slurp(f.at("old")) == "rewritten and more");
  CHECK(Slurp(f.Image(fs) + "/old") == "rewritten");
  Write(fs, f.at("old"), "!", true, /*append=*/true);
  CHECK(Slurp(f.Image(fs) + "/old") == "rewritten and more!");
}

TEST_CASE("power cut model: calls are counted, the cut writes the image and then all fails") {
  Fixture f;
  f.dir.Write("live/state.db", "database");
  PowerCutFileSystem fs(platform::RealFileSystem(), f.live(), {"state.db"});
  const std::string cut_dir = f.dir / "cut";
  std::string hooked;
  fs.SetOnCut([&](const std::string& dir) {
    hooked = dir;
    CHECK(std::filesystem::exists(dir + "/old"));  // the image is there first
  });
  fs.CutAfter(5, cut_dir);
  auto file = fs.OpenForWrite(f.at("a"), false);  // 1
  REQUIRE(file.ok());
  REQUIRE((*file)->Append("abc").ok());  // 2
  REQUIRE((*file)->Sync().ok());         // 3
  REQUIRE((*file)->Append("def").ok());  // 4
  CHECK(fs.calls() == 4);
  CHECK_FALSE(fs.cut());
  CHECK((*file)->Close().ok());  // 5: took effect, then the power went off
  CHECK(fs.cut());
  CHECK(hooked == cut_dir);
  CHECK(fs.cut_status().ok());

  const util::Status off = fs.SyncDir(f.live());
  CHECK(off.kind() == util::ErrorKind::kTemporary);
  CHECK(off.message().find("power is off") != std::string::npos);
  CHECK_FALSE(fs.Rename(f.at("a"), f.at("b")).ok());
  CHECK_FALSE(fs.Remove(f.at("old")).ok());
  CHECK_FALSE(fs.CreateDirectories(f.at("x")).ok());
  CHECK_FALSE(fs.OpenForWrite(f.at("c"), false).ok());
  CHECK_FALSE(fs.ReadFile(f.at("old")).ok());
  CHECK_FALSE(fs.List(f.live()).ok());
  CHECK_FALSE(fs.Exists(f.at("old")));
  CHECK(fs.calls() == 5);  // nothing counted once the power is off
  CHECK(std::filesystem::exists(f.at("old")));

  // The image: "a" never made it into its folder; the unmodelled file is left out.
  CHECK(Slurp(cut_dir + "/old") == "old data");
  CHECK_FALSE(Slurp(cut_dir + "/a"));
  CHECK_FALSE(Slurp(cut_dir + "/state.db"));
}

}  // namespace
}  // namespace hdc::testing
