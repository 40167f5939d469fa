// verify: the store against the database, exactly.
//
// Every row that says its file is stored (an execution fetched or ingested,
// a cab fetched) is checked: the recorded path is the one the store layout
// gives that row, it is a regular file (not a symbolic link), and its size
// and SHA-256 equal the recorded ones. Every file or link under
// store/reports and store/cabs that no row (other than a purged one) names
// is an orphan. store/tmp holds partials and is not looked at.
//
// The store is listed before the database is read, so a download that
// completes meanwhile is not taken for an orphan; still, the answer is only
// exact while hdc-reportd is not running a cycle. Paths are printed
// relative to the store, never absolute.
#include <algorithm>
#include <filesystem>
#include <ostream>
#include <system_error>

#include "ctl/commands.h"
#include "ctl/options.h"
#include "ctl/output.h"
#include "db/listings.h"
#include "platform/filesystem.h"
#include "store/layout.h"
#include "store/link_guard.h"
#include "store/verify.h"
#include "util/strings.h"
#include "util/time_format.h"

namespace hdc::ctl {
namespace {

namespace fs = std::filesystem;

struct Problem {
  const db::StoredFile* row;
  std::string reason;
  bool missing = false;  // else mismatched
  std::optional<std::int64_t> actual_size;
  std::optional<std::string> actual_sha256;
};

std::string Utf8(const fs::path& p) {
  const std::u8string s = p.u8string();
  return std::string(s.begin(), s.end());
}

// The text with every mention of the store's absolute root removed.
std::string WithoutRoot(std::string text, const std::string& root) {
  const std::string prefix = root + "/";
  for (std::size_t at = text.find(prefix); at != std::string::npos; at = text.find(prefix, at)) {
    text.erase(at, prefix.size());
  }
  return text;
}

// Every non-directory entry under <root>/<top>, as "<top>/a/b"; symbolic
// links are neither followed nor listed (FindLinksUnder lists them).
util::Status ListFiles(const std::string& root, const std::string& top,
                       std::vector<std::string>& out) {
  std::error_code ec;
  const fs::file_status status = fs::symlink_status(NativePath(root + "/" + top), ec);
  if (status.type() == fs::file_type::not_found) return util::Status::Ok();
  if (ec) return util::TemporaryError("stat " + top + ": " + ec.message());
  if (status.type() == fs::file_type::symlink) return util::Status::Ok();
  if (status.type() != fs::file_type::directory) {
    out.push_back(top);
    return util::Status::Ok();
  }
  fs::directory_iterator it(NativePath(root + "/" + top), ec);
  if (ec) return util::TemporaryError("list " + top + ": " + ec.message());
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    const std::string name = top + "/" + Utf8(it->path().filename());
    HDC_RETURN_IF_ERROR(ListFiles(root, name, out));
  }
  if (ec) return util::TemporaryError("list " + top + ": " + ec.message());
  return util::Status::Ok();
}

// Where the layout puts this row's file: the exact path of a cab; for a
// report the path up to its extension ("reports/<job>/<id>/<stamp>.").
util::Result<std::string> ExpectedPath(const store::StoreLayout& layout,
                                       const db::StoredFile& row) {
  if (row.kind == "cab") {
    HDC_ASSIGN_OR_RETURN(auto path, layout.CabPath(row.id));
    return layout.Relative(path);
  }
  HDC_ASSIGN_OR_RETURN(auto when, util::ParseTimestamp(row.run));
  HDC_ASSIGN_OR_RETURN(auto path, layout.ReportPath(row.job, row.id, when, "x"));
  HDC_ASSIGN_OR_RETURN(auto relative, layout.Relative(path));
  return relative.substr(0, relative.size() - 1);
}

// nullopt when the file matches its row; a problem otherwise; an error
// when the file could not be read (nothing can be said about it then).
util::Result<std::optional<Problem>> Check(const store::StoreLayout& layout,
                                           const db::StoredFile& row) {
  using Found = std::optional<Problem>;
  auto problem = [&](std::string reason, bool missing = false) {
    return Found(Problem{&row, std::move(reason), missing, {}, {}});
  };
  if (!row.path) return problem("no file recorded", true);
  auto absolute = layout.Absolute(*row.path);
  if (!absolute.ok()) return problem(absolute.status().message());
  auto expected = ExpectedPath(layout, row);
  if (!expected.ok()) return problem(expected.status().message());
  const bool in_place = row.kind == "cab"
                            ? *row.path == *expected
                            : row.path->starts_with(*expected) &&
                                  row.path->find('/', expected->size()) == std::string::npos;
  if (!in_place) {
    return problem("not where the store layout puts it (" + *expected +
                   (row.kind == "cab" ? ")" : "<ext>)"));
  }
  std::error_code ec;
  const fs::file_status status = fs::symlink_status(NativePath(*absolute), ec);
  if (status.type() == fs::file_type::not_found) return problem("no such file", true);
  if (ec) return util::TemporaryError("stat " + *row.path + ": " + ec.message());
  if (status.type() != fs::file_type::regular) return problem("not a regular file");
  platform::FileSystem& files = platform::RealFileSystem();
  HDC_ASSIGN_OR_RETURN(auto size, files.FileSize(*absolute));
  const auto actual_size = static_cast<std::int64_t>(size);
  if (!row.size || *row.size != actual_size) {
    Found p = problem("size " + std::to_string(actual_size) + ", recorded " + OrDash(row.size));
    p->actual_size = actual_size;
    return p;
  }
  HDC_ASSIGN_OR_RETURN(auto sha, store::Sha256OfFile(files, *absolute));
  if (!row.sha256 || *row.sha256 != sha) {
    Found p = problem("SHA-256 differs from the recorded one");
    p->actual_size = actual_size;
    p->actual_sha256 = sha;
    return p;
  }
  return Found();
}

std::string Describe(const db::StoredFile& row) {
  std::string out = row.kind + " " + row.id;
  if (!row.run.empty()) out += " run " + row.run;
  return out;
}

Json ProblemJson(const Problem& p, bool with_hashes) {
  const db::StoredFile& r = *p.row;
  Json out{
      {"kind", r.kind},    {"id", r.id},       {"run", r.run.empty() ? Json(nullptr) : Json(r.run)},
      {"job", r.job},      {"state", r.state}, {"path", OrNull(r.path)},
      {"reason", p.reason}};
  if (with_hashes) {
    out["recorded_size"] = OrNull(r.size);
    out["actual_size"] = OrNull(p.actual_size);
    out["recorded_sha256"] = OrNull(r.sha256);
    out["actual_sha256"] = OrNull(p.actual_sha256);
  }
  return out;
}

// What verify found. The problems point into claims.files.
struct Findings {
  db::StoreClaims claims;
  std::vector<std::string> links;
  std::size_t ok = 0;
  std::vector<Problem> mismatched, missing;
  std::vector<std::string> orphans;

  std::size_t Problems() const {
    return mismatched.size() + missing.size() + orphans.size() + links.size();
  }
};

// Checks every claimed file and names every listed file no row claims.
util::Status Classify(const store::StoreLayout& layout, const std::vector<std::string>& listed,
                      Findings& found) {
  for (const db::StoredFile& row : found.claims.files) {
    HDC_ASSIGN_OR_RETURN(auto problem, Check(layout, row));
    if (!problem) {
      ++found.ok;
    } else {
      (problem->missing ? found.missing : found.mismatched).push_back(std::move(*problem));
    }
  }
  for (const std::string& path : listed) {
    if (!found.claims.named_paths.contains(path)) found.orphans.push_back(path);
  }
  std::sort(found.orphans.begin(), found.orphans.end());
  return util::Status::Ok();
}

// The store is listed before the database is read (see the top of this file).
util::Status Examine(const State& state, const store::StoreLayout& layout, Findings& found) {
  std::vector<std::string> listed;
  for (const char* top : {"reports", "cabs"}) {
    HDC_RETURN_IF_ERROR(ListFiles(layout.root(), top, listed));
  }
  HDC_ASSIGN_OR_RETURN(found.links, store::FindLinksUnder(platform::RealFileSystem(),
                                                          state.config.service.state_dir));
  HDC_ASSIGN_OR_RETURN(found.claims, db::ReadStoreClaims(*state.db));
  return Classify(layout, listed, found);
}

// "1 mismatched, 0 missing, 2 orphans", and the links when there are any.
std::string ProblemCounts(const Findings& found) {
  return std::to_string(found.mismatched.size()) + " mismatched, " +
         std::to_string(found.missing.size()) + " missing, " +
         std::to_string(found.orphans.size()) + " orphans" +
         (found.links.empty() ? "" : ", " + std::to_string(found.links.size()) + " links");
}

void PrintFindingsJson(std::ostream& out, const Findings& found) {
  Json doc{{"files", found.claims.files.size()}, {"ok", found.ok},
           {"mismatched", Json::array()},        {"missing", Json::array()},
           {"orphans", Json::array()},           {"links", Json::array()}};
  for (const Problem& p : found.mismatched) doc["mismatched"].push_back(ProblemJson(p, true));
  for (const Problem& p : found.missing) doc["missing"].push_back(ProblemJson(p, false));
  for (const std::string& path : found.orphans) doc["orphans"].push_back(Json{{"path", path}});
  for (const std::string& path : found.links) doc["links"].push_back(Json{{"path", path}});
  PrintJson(out, doc);
}

void PrintProblem(std::ostream& out, std::string_view label, const Problem& p) {
  out << util::OneLine(std::string(label) + ": " + Describe(*p.row) + ": " + OrDash(p.row->path) +
                       ": " + p.reason)
      << "\n";
}

void PrintFindings(std::ostream& out, const Findings& found) {
  for (const Problem& p : found.mismatched) PrintProblem(out, "mismatched", p);
  for (const Problem& p : found.missing) PrintProblem(out, "missing", p);
  for (const std::string& path : found.orphans) out << util::OneLine("orphan: " + path) << "\n";
  for (const std::string& path : found.links) {
    out << util::OneLine("link: " + path + " (a symbolic link under the state directory)") << "\n";
  }
  out << "verify: " << found.claims.files.size() << " files, " << found.ok << " ok, "
      << ProblemCounts(found) << "\n";
}

}  // namespace

int CmdVerify(const CommonOptions& common, const std::vector<std::string>& args, std::ostream& out,
              std::ostream& err) {
  CommonOptions options = common;
  auto parsed = ParseCommandOptions("verify", args, {}, options);
  if (!parsed.ok()) return Fail(err, parsed.status());
  auto state = OpenState(options);
  if (!state.ok()) return Fail(err, state.status());
  const store::StoreLayout layout(state->config.service.state_dir);
  Findings found;
  if (util::Status examined = Examine(*state, layout, found); !examined.ok()) {
    return Fail(err,
                util::Status::Error(examined.kind(),
                                    "verify: " + WithoutRoot(examined.message(), layout.root())));
  }

  if (options.json) {
    PrintFindingsJson(out, found);
  } else {
    PrintFindings(out, found);
  }
  if (found.Problems() == 0) return 0;
  err << "hdc-reportctl: verify: the store does not match the database: " << ProblemCounts(found)
      << "\n";
  return 65;
}

}  // namespace hdc::ctl
