#include "download/row_ingest.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstdio>
#include <cstring>
#include <deque>
#include <memory>
#include <unordered_map>

#include "download/report_parser.h"
#include "util/strings.h"
#include "util/time_format.h"

namespace hdc::download {
namespace {

constexpr size_t kReadBlock = 1 << 20;
constexpr std::int64_t kIngestCacheKiB = 32 * 1024;

// "yyyy-MM-ddTHH:mm:ssZ" without a heap allocation (the hot path formats two
// per row).
class IsoText {
 public:
  explicit IsoText(util::TimePoint t) {
    const auto day = std::chrono::floor<std::chrono::days>(t);
    const std::chrono::year_month_day ymd(day);
    const int year = static_cast<int>(ymd.year());
    if (year < 0 || year > 9999) {
      const std::string s = util::FormatTimestamp(t);
      size_ = std::min(s.size(), sizeof text_);
      std::memcpy(text_, s.data(), size_);
      return;
    }
    const auto secs = std::chrono::floor<std::chrono::seconds>(t - day).count();
    Put(0, year, 4);
    text_[4] = '-';
    Put(5, static_cast<int>(static_cast<unsigned>(ymd.month())), 2);
    text_[7] = '-';
    Put(8, static_cast<int>(static_cast<unsigned>(ymd.day())), 2);
    text_[10] = 'T';
    Put(11, static_cast<int>(secs / 3600), 2);
    text_[13] = ':';
    Put(14, static_cast<int>(secs / 60 % 60), 2);
    text_[16] = ':';
    Put(17, static_cast<int>(secs % 60), 2);
    text_[19] = 'Z';
    size_ = 20;
  }
  std::string_view view() const { return {text_, size_}; }

 private:
  void Put(size_t at, int value, int digits) {
    for (int i = digits - 1; i >= 0; --i) {
      text_[at + i] = static_cast<char>('0' + value % 10);
      value /= 10;
    }
  }
  char text_[32];
  size_t size_ = 0;
};

// Length of the valid UTF-8 sequence at s[0] (lead byte >= 0x80), or 0.
size_t Utf8SequenceLength(const unsigned char* s, size_t n) {
  const unsigned char c = s[0];
  size_t len;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (c >= 0xC2 && c <= 0xDF)
    len = 2;
  else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0) lo = 0xA0;  // no overlongs
    if (c == 0xED) hi = 0x9F;  // no surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (n < len || s[1] < lo || s[1] > hi) return 0;
  for (size_t i = 2; i < len; ++i) {
    if (s[i] < 0x80 || s[i] > 0xBF) return 0;
  }
  return len;
}

// Appends s as a JSON string. Invalid UTF-8 becomes U+FFFD, so the row is
// always valid JSON.
void AppendJsonString(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  const auto* u = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t run = 0;  // start of bytes not yet copied
  for (size_t i = 0; i < n;) {
    const unsigned char c = u[i];
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      const size_t len = Utf8SequenceLength(u + i, n - i);
      if (len > 0) {
        i += len;
        continue;
      }
    }
    out.append(s.data() + run, i - run);
    switch (c) {
      case '"':
        out.append("\\\"");
        break;
      case '\\':
        out.append("\\\\");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\r':
        out.append("\\r");
        break;
      case '\t':
        out.append("\\t");
        break;
      case '\b':
        out.append("\\b");
        break;
      case '\f':
        out.append("\\f");
        break;
      default:
        if (c >= 0x80) {
          out.append("\\ufffd");
        } else {
          const char esc[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
          out.append(esc, sizeof esc);
        }
    }
    run = ++i;
  }
  out.append(s.data() + run, n - run);
  out.push_back('"');
}

std::optional<util::TimePoint> ParseTime(std::optional<std::string_view> text) {
  if (!text) return std::nullopt;
  auto t = util::ParseTimestamp(*text);
  if (!t.ok()) return std::nullopt;
  return *t;
}

std::optional<std::int64_t> ParseCount(std::optional<std::string_view> text) {
  if (!text) return std::nullopt;
  std::int64_t v = 0;
  const char* end = text->data() + text->size();
  auto [ptr, ec] = std::from_chars(text->data(), end, v);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return v;
}

// The distinct cabs of one report, merged over the rows that reference them.
// Compact because a report may hold a million rows: ids live in one arena,
// ApplicationId and CabType values are interned, times are integers, and an
// open-addressing table finds a cab by id (about 100 bytes per cab).
class CabCollector {
 public:
  static constexpr std::int64_t kNone = INT64_MIN;
  struct Cab {
    size_t id_offset;
    std::uint32_t id_size;
    std::int32_t application = -1;  // interned; -1: none
    std::int32_t type = -1;
    std::int64_t expires = kNone;  // ms since the epoch
    std::int64_t collected = kNone;
    std::int64_t clock = 0;
    bool wanted = false;  // referenced by a row that was kept
  };

  // The cab with this id; *fresh tells whether it was just added.
  Cab& Get(std::string_view id, bool* fresh) {
    if ((cabs_.size() + 1) * 2 > slots_.size()) Grow();
    const size_t mask = slots_.size() - 1;
    for (size_t i = std::hash<std::string_view>{}(id)&mask;; i = (i + 1) & mask) {
      if (slots_[i] == 0) {
        cabs_.push_back(Cab{arena_.size(), static_cast<std::uint32_t>(id.size())});
        arena_.append(id);
        slots_[i] = static_cast<std::uint32_t>(cabs_.size());
        *fresh = true;
        return cabs_.back();
      }
      Cab& cab = cabs_[slots_[i] - 1];
      if (Id(cab) == id) {
        *fresh = false;
        return cab;
      }
    }
  }
  std::string_view Id(const Cab& cab) const { return {arena_.data() + cab.id_offset, cab.id_size}; }

  std::int32_t Intern(std::string_view value) {
    auto it = string_index_.find(value);
    if (it != string_index_.end()) return it->second;
    strings_.emplace_back(value);
    string_index_.emplace(strings_.back(), static_cast<std::int32_t>(strings_.size() - 1));
    return static_cast<std::int32_t>(strings_.size() - 1);
  }
  std::optional<std::string_view> Interned(std::int32_t index) const {
    if (index < 0) return std::nullopt;
    return std::string_view(strings_[static_cast<size_t>(index)]);
  }

  bool empty() const { return cabs_.empty(); }
  // By id, so the inserts walk the cabs primary key in order.
  std::vector<const Cab*> Sorted() const {
    std::vector<const Cab*> out;
    out.reserve(cabs_.size());
    for (const Cab& cab : cabs_) out.push_back(&cab);
    std::sort(out.begin(), out.end(),
              [this](const Cab* a, const Cab* b) { return Id(*a) < Id(*b); });
    return out;
  }

 private:
  void Grow() {
    std::vector<std::uint32_t> slots(std::max<size_t>(64, slots_.size() * 2), 0);
    const size_t mask = slots.size() - 1;
    for (size_t c = 0; c < cabs_.size(); ++c) {
      size_t i = std::hash<std::string_view>{}(Id(cabs_[c])) & mask;
      while (slots[i] != 0) i = (i + 1) & mask;
      slots[i] = static_cast<std::uint32_t>(c + 1);
    }
    slots_.swap(slots);
  }

  std::string arena_;
  std::vector<Cab> cabs_;
  std::vector<std::uint32_t> slots_;  // 0: empty, else index into cabs_ + 1
  std::deque<std::string> strings_;   // deque: the index keeps views into it
  std::unordered_map<std::string_view, std::int32_t> string_index_;
};

std::int64_t Millis(util::TimePoint t) { return t.time_since_epoch().count(); }
util::TimePoint FromMillis(std::int64_t ms) { return util::TimePoint(util::Duration(ms)); }

// Column positions in this report's header (-1: absent).
struct Columns {
  int failure_hash, failure_name, driver_name, driver_version, cab_id_hash, event_count,
      failure_time, device_id, hardware_id, cab_collection, cab_expiration, cab_type,
      application_id, os_version, market, model;
};

class Ingest {
 public:
  Ingest(db::Database& db, const IngestTarget& target)
      : db_(db), target_(target), downloaded_text_(target.downloaded_at) {}

  util::Status Prepare();
  util::Status OnHeader(const ReportHeader& header);
  util::Status OnRow(const ReportRow& row);
  util::Status RecordCabs();
  util::Status FinishExecution();
  const IngestSummary& summary() const { return summary_; }

 private:
  void NoteCab(const ReportRow& row, std::string_view cab, util::TimePoint clock, bool kept);
  std::optional<std::string> CabSkipReason(const CabCollector::Cab& cab) const;

  db::Database& db_;
  const IngestTarget& target_;
  const IsoText downloaded_text_;
  std::optional<db::Statement> insert_failure_;
  Columns col_{};
  std::vector<std::string> json_keys_;  // '{"Name":' then ',"Name":' ...
  std::string json_;                    // reused for every row
  CabCollector cabs_;
  IngestSummary summary_;
  // The earliest retention clock of any row, kept or not: the report file
  // holds them all, so its own clock starts there.
  util::TimePoint earliest_clock_ = util::TimePoint::max();
};

util::Status Ingest::Prepare() {
  HDC_ASSIGN_OR_RETURN(
      auto exists,
      db_.Prepare("SELECT 1 FROM executions WHERE report_id = ?1 AND report_datetime = ?2"));
  exists.Bind(1, target_.report_id).Bind(2, target_.report_datetime);
  HDC_ASSIGN_OR_RETURN(auto found, exists.Step());
  if (!found) return util::InternalError("no such execution in the state database");

  HDC_ASSIGN_OR_RETURN(
      auto remove,
      db_.Prepare("DELETE FROM failures WHERE report_id = ?1 AND report_datetime = ?2"));
  HDC_RETURN_IF_ERROR(
      remove.Bind(1, target_.report_id).Bind(2, target_.report_datetime).Run().status());

  HDC_ASSIGN_OR_RETURN(
      auto insert,
      db_.Prepare(
          "INSERT INTO failures (report_id, report_datetime, job_name, failure_hash, failure_name,"
          " driver_name, driver_version, cab_id_hash, event_count, failure_time, device_id,"
          " hardware_id, row, clock_start, os_version, market, model)"
          " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)"));
  insert_failure_.emplace(std::move(insert));
  return util::Status::Ok();
}

util::Status Ingest::OnHeader(const ReportHeader& h) {
  const int event_count = h.ColumnIndex("EventCount");
  col_ = Columns{h.ColumnIndex("FailureHash"),
                 h.ColumnIndex("FailureName"),
                 h.ColumnIndex("DriverName"),
                 h.ColumnIndex("DriverVersion"),
                 h.ColumnIndex("CabIdHash"),
                 event_count >= 0 ? event_count : h.ColumnIndex("SUM(EventCount)"),
                 h.ColumnIndex("FailureDateTime"),
                 h.ColumnIndex("DeviceId"),
                 h.ColumnIndex("HardwareId"),
                 h.ColumnIndex("CabCollectionTime"),
                 h.ColumnIndex("CabExpirationTime"),
                 h.ColumnIndex("CabType"),
                 h.ColumnIndex("ApplicationId"),
                 h.ColumnIndex("OSVersion"),
                 h.ColumnIndex("Market"),
                 h.ColumnIndex("Model")};
  json_keys_.clear();
  for (size_t i = 0; i < h.size(); ++i) {
    std::string key(i == 0 ? "{" : ",");
    AppendJsonString(key, h.name(i));
    key.push_back(':');
    json_keys_.push_back(std::move(key));
  }
  return util::Status::Ok();
}

util::Status Ingest::OnRow(const ReportRow& row) {
  const std::optional<util::TimePoint> failed_at = ParseTime(row.Get(col_.failure_time));
  util::TimePoint clock = target_.downloaded_at;
  if (target_.retention_clock_earliest) {
    if (failed_at && *failed_at < clock) clock = *failed_at;
    const auto collected = ParseTime(row.Get(col_.cab_collection));
    if (collected && *collected < clock) clock = *collected;
  }
  if (clock < earliest_clock_) earliest_clock_ = clock;
  const bool kept = !target_.retention_cutoff || clock >= *target_.retention_cutoff;
  const std::optional<std::string_view> cab = row.Get(col_.cab_id_hash);
  if (target_.cabs_enabled && cab) NoteCab(row, *cab, clock, kept);
  if (!kept) {
    ++summary_.rows_skipped_retention;
    return util::Status::Ok();
  }

  json_.clear();
  for (size_t i = 0; i < row.size(); ++i) {
    json_.append(json_keys_[i]);
    if (row.IsNull(i))
      json_.append("null");
    else
      AppendJsonString(json_, row.value(i));
  }
  json_.append(row.size() == 0 ? "{}" : "}");

  const IsoText clock_text = clock == target_.downloaded_at ? downloaded_text_ : IsoText(clock);
  std::optional<IsoText> failed_text;
  if (failed_at) failed_text.emplace(*failed_at);

  db::Statement& s = *insert_failure_;
  s.Reset();
  s.Bind(1, target_.report_id).Bind(2, target_.report_datetime).Bind(3, target_.job_name);
  s.Bind(4, row.Get(col_.failure_hash)).Bind(5, row.Get(col_.failure_name));
  s.Bind(6, row.Get(col_.driver_name)).Bind(7, row.Get(col_.driver_version));
  s.Bind(8, cab).Bind(9, ParseCount(row.Get(col_.event_count)));
  if (failed_text)
    s.Bind(10, failed_text->view());
  else
    s.BindNull(10);
  s.Bind(11, row.Get(col_.device_id)).Bind(12, row.Get(col_.hardware_id));
  s.Bind(13, std::string_view(json_)).Bind(14, clock_text.view());
  s.Bind(15, row.Get(col_.os_version)).Bind(16, row.Get(col_.market));
  s.Bind(17, row.Get(col_.model));
  HDC_RETURN_IF_ERROR(s.Run().status());
  ++summary_.rows;
  return util::Status::Ok();
}

void Ingest::NoteCab(const ReportRow& row, std::string_view id, util::TimePoint clock, bool kept) {
  bool fresh = false;
  CabCollector::Cab& cab = cabs_.Get(id, &fresh);
  if (fresh || Millis(clock) < cab.clock) cab.clock = Millis(clock);
  cab.wanted = cab.wanted || kept;
  if (cab.application < 0 && target_.view_is_ihv) {
    if (auto v = row.Get(col_.application_id)) cab.application = cabs_.Intern(*v);
  }
  if (cab.type < 0) {
    if (auto v = row.Get(col_.cab_type)) cab.type = cabs_.Intern(*v);
  }
  if (cab.expires == CabCollector::kNone) {
    if (auto t = ParseTime(row.Get(col_.cab_expiration))) cab.expires = Millis(*t);
  }
  if (cab.collected == CabCollector::kNone) {
    if (auto t = ParseTime(row.Get(col_.cab_collection))) cab.collected = Millis(*t);
  }
}

std::optional<std::string> Ingest::CabSkipReason(const CabCollector::Cab& cab) const {
  if (!target_.cab_types.empty()) {
    const std::optional<std::string_view> type = cabs_.Interned(cab.type);
    bool listed = false;
    for (const std::string& wanted : target_.cab_types) {
      listed = listed || (type && util::EqualsIgnoreCase(wanted, *type));
    }
    if (!listed) {
      return "cab type " + std::string(type ? *type : "(none)") + " not in cab_types";
    }
  }
  if (!cab.wanted) return std::string("retention window ended before download");
  return std::nullopt;
}

util::Status Ingest::RecordCabs() {
  if (cabs_.empty()) return util::Status::Ok();
  HDC_ASSIGN_OR_RETURN(
      auto insert,
      db_.Prepare("INSERT INTO cabs (cab_id_hash, job_name, application_id, cab_type, expires_at,"
                  " collected_at, state, last_error, first_seen, clock_start)"
                  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
                  " ON CONFLICT (cab_id_hash) DO NOTHING"));
  for (const CabCollector::Cab* cab : cabs_.Sorted()) {
    const std::optional<std::string> skip = CabSkipReason(*cab);
    db::Statement& s = insert;
    s.Reset();
    s.Bind(1, cabs_.Id(*cab)).Bind(2, target_.job_name);
    s.Bind(3, cabs_.Interned(cab->application)).Bind(4, cabs_.Interned(cab->type));
    if (cab->expires != CabCollector::kNone)
      s.Bind(5, IsoText(FromMillis(cab->expires)).view());
    else
      s.BindNull(5);
    if (cab->collected != CabCollector::kNone) {
      s.Bind(6, IsoText(FromMillis(cab->collected)).view());
    } else {
      s.BindNull(6);
    }
    s.Bind(7, skip ? "skipped" : "pending").Bind(8, skip);
    s.Bind(9, downloaded_text_.view()).Bind(10, IsoText(FromMillis(cab->clock)).view());
    HDC_ASSIGN_OR_RETURN(auto changed, s.Run());
    if (changed > 0) ++(skip ? summary_.cabs_skipped : summary_.cabs_new);
  }
  return util::Status::Ok();
}

util::Status Ingest::FinishExecution() {
  HDC_ASSIGN_OR_RETURN(
      auto update,
      db_.Prepare(
          "UPDATE executions SET row_count = ?1, state = 'ingested',"
          " clock_start = CASE WHEN ?4 IS NOT NULL AND (clock_start IS NULL OR ?4 < clock_start)"
          " THEN ?4 ELSE clock_start END"
          " WHERE report_id = ?2 AND report_datetime = ?3"));
  update.Bind(1, summary_.rows).Bind(2, target_.report_id).Bind(3, target_.report_datetime);
  if (earliest_clock_ != util::TimePoint::max()) {
    update.Bind(4, IsoText(earliest_clock_).view());
  } else {
    update.BindNull(4);
  }
  HDC_RETURN_IF_ERROR(update.Run().status());
  return util::Status::Ok();
}

// Raises the connection's page cache for the ingest and restores it after:
// a large report's indexes (cab_id_hash, clock_start) take random inserts,
// and SQLite's 2 MiB default makes each of them re-read pages from the WAL.
class CacheBudget {
 public:
  explicit CacheBudget(db::Database& db) : db_(db) {
    auto current = db_.Prepare("PRAGMA cache_size");
    if (!current.ok()) return;
    auto row = current->Step();
    if (!row.ok() || !*row) return;
    old_ = current->ColumnInt(0);
    // Negative values are KiB, positive ones pages (4 KiB here).
    const std::int64_t old_kib = *old_ < 0 ? -*old_ : *old_ * 4;
    if (old_kib >= kIngestCacheKiB ||
        !db_.Exec("PRAGMA cache_size = -" + std::to_string(kIngestCacheKiB)).ok()) {
      old_.reset();
    }
  }
  ~CacheBudget() {
    if (old_) (void)db_.Exec("PRAGMA cache_size = " + std::to_string(*old_));
  }
  CacheBudget(const CacheBudget&) = delete;
  CacheBudget& operator=(const CacheBudget&) = delete;

 private:
  db::Database& db_;
  std::optional<std::int64_t> old_;  // set when changed
};

util::Result<IngestSummary> Run(db::Database& db, const IngestTarget& target,
                                const ByteReader& read) {
  const CacheBudget cache(db);
  HDC_ASSIGN_OR_RETURN(auto tx, db.BeginWrite());
  Ingest ingest(db, target);
  HDC_RETURN_IF_ERROR(ingest.Prepare());
  ReportParser parser([&ingest](const ReportRow& row) { return ingest.OnRow(row); },
                      [&ingest](const ReportHeader& h) { return ingest.OnHeader(h); });
  std::unique_ptr<char[]> block(new char[kReadBlock]);
  while (true) {
    HDC_ASSIGN_OR_RETURN(auto got, read(block.get(), kReadBlock));
    if (got == 0) break;
    HDC_RETURN_IF_ERROR(parser.Feed(std::string_view(block.get(), got)));
  }
  HDC_RETURN_IF_ERROR(parser.Finish());
  HDC_RETURN_IF_ERROR(ingest.RecordCabs());
  HDC_RETURN_IF_ERROR(ingest.FinishExecution());
  HDC_RETURN_IF_ERROR(tx.Commit());
  return ingest.summary();
}

}  // namespace

util::Result<IngestSummary> IngestReport(db::Database& db, const IngestTarget& target,
                                         const ByteReader& read) {
  auto result = Run(db, target, read);
  if (!result.ok()) {
    return result.status().WithContext("report " + target.report_id + " at " +
                                       target.report_datetime + ": ");
  }
  return result;
}

util::Result<IngestSummary> IngestReportFile(db::Database& db, platform::FileSystem& fs,
                                             const IngestTarget& target, const std::string& path) {
  HDC_ASSIGN_OR_RETURN(auto file, fs.OpenForRead(path));
  return IngestReportFile(db, target, *file);
}

util::Result<IngestSummary> IngestReportFile(db::Database& db, const IngestTarget& target,
                                             platform::ReadableFile& file) {
  return IngestReport(db, target, [&](char* buffer, size_t capacity) -> util::Result<size_t> {
    return file.Read(buffer, capacity);
  });
}

util::Result<IngestSummary> IngestReportText(db::Database& db, const IngestTarget& target,
                                             std::string_view text) {
  return IngestReport(db, target, [&](char* buffer, size_t capacity) -> util::Result<size_t> {
    const size_t n = std::min(capacity, text.size());
    std::memcpy(buffer, text.data(), n);
    text.remove_prefix(n);
    return n;
  });
}

}  // namespace hdc::download
