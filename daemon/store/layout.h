// Store layout: the only place that turns IDs into store paths.
//
//   <state_dir>/store/reports/<job>/<reportId>/<yyyymmddThhmmssZ>.<ext>
//   <state_dir>/store/cabs/<first two chars, lower-cased>/<CabIdHash>.cab
//   <state_dir>/store/tmp/<kind>-<key>.part
//
// Every component that comes from the server or the configuration is checked
// by IsPlainToken before it is used; a violation is a kBadData error
// "refusing <what> '<id>': not a plain token" (the id escaped and cut to 40
// characters), so a hostile ID such as "../../etc/passwd" never becomes a
// path. The file name a path ends in is checked as a plain token too (an id
// of 128 characters plus ".cab" is not one), so every component of every
// path a StoreLayout returns is a plain token: it lies under root(), and
// Absolute() takes back whatever Relative() gives. Temp names
// can be parsed back (ParseTempName) for start-up recovery.
//
// Paths use '/' on every platform. Immutable after construction; safe to
// share between threads.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "platform/filesystem.h"
#include "util/clock.h"
#include "util/result.h"

namespace hdc::store {

// 1-128 characters of [A-Za-z0-9._-], not starting with '.', not ending with
// '.' (Windows drops trailing dots), without "..", and not a Windows device
// name (CON, NUL, COM1, ... before the first '.', any case).
bool IsPlainToken(std::string_view id);

// OK, or kBadData "refusing <what> '<id>': not a plain token".
util::Status CheckPlainToken(std::string_view what, std::string_view id);

// The parts of a temp file name "<kind>-<key>.part".
struct TempName {
  std::string kind;
  std::string key;
};

// Inverse of StoreLayout::TempPath on a bare file name; nullopt for anything
// TempPath could not have produced.
std::optional<TempName> ParseTempName(std::string_view file_name);

class StoreLayout {
 public:
  explicit StoreLayout(std::string state_dir);

  // <state_dir>/store
  const std::string& root() const { return root_; }
  std::string reports_dir() const { return root_ + "/reports"; }
  std::string cabs_dir() const { return root_ + "/cabs"; }
  std::string tmp_dir() const { return root_ + "/tmp"; }

  // store/reports/<job>/<reportId>/<yyyymmddThhmmssZ>.<ext>
  util::Result<std::string> ReportPath(std::string_view job, std::string_view report_id,
                                       util::TimePoint report_datetime, std::string_view ext) const;
  // store/cabs/<first two chars lower-cased>/<CabIdHash>.cab; the hash needs
  // at least two characters.
  util::Result<std::string> CabPath(std::string_view cab_id_hash) const;
  // store/tmp/<kind>-<key>.part. The kind is 1-16 characters of [a-z0-9]
  // ("cab", "report"), so the first '-' separates it from the key.
  util::Result<std::string> TempPath(std::string_view kind, std::string_view key) const;

  // The path relative to root() ("cabs/ab/AB12.cab"), as the database keeps
  // it; kInternal for a path not built by this layout.
  util::Result<std::string> Relative(std::string_view path) const;
  // The way back from a database row: root() + "/" + relative, each component
  // checked as a plain token (kBadData otherwise).
  util::Result<std::string> Absolute(std::string_view relative) const;

  // Creates reports/, cabs/ and tmp/ (mode 0750 where new), then fsyncs the
  // state directory and store/, so that their names survive a power cut.
  util::Status EnsureDirectories(platform::FileSystem& fs) const;

 private:
  std::string root_;
};

}  // namespace hdc::store
