// The state database: one SQLite file behind a small RAII layer.
//
// Open() sets every pragma explicitly (Debian's SQLite defaults differ from
// Windows builds): WAL, synchronous=FULL, foreign_keys, busy_timeout and
// secure_delete, then applies the embedded migrations (db/NNN_name.sql) in
// order inside one transaction each, tracking the version in user_version;
// a database newer than this build is refused with a clear message.
//
// Writes go through WriteTransaction (BEGIN IMMEDIATE), which rolls back
// unless Commit() succeeded. A failed COMMIT leaves the outcome unknown
// (SQLite may have written it), so callers re-read state before deciding.
// Not thread-safe: one Database per thread (SQLite serialises writers).
// Prepared statements are kept per connection: Prepare of a text prepared
// before takes the kept statement (reset, bindings cleared) instead of
// compiling the text again, and a Statement that ends goes back to be kept,
// up to kMaxKeptStatements in all (the daemon uses a few dozen fixed texts;
// beyond the bound a statement is finalised as before).
// Errors are kTemporary for I/O, full disk and lock contention, kInternal
// for misuse, and always name the database file.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "util/result.h"

namespace hdc::db {

class Database;

// A prepared statement. Bind indexes are 1-based, column indexes 0-based.
class Statement {
 public:
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  ~Statement();

  Statement& Bind(int index, std::int64_t value);
  Statement& Bind(int index, int value) { return Bind(index, static_cast<std::int64_t>(value)); }
  Statement& Bind(int index, double value);
  Statement& Bind(int index, std::string_view text);
  Statement& Bind(int index, const char* text) { return Bind(index, std::string_view(text)); }
  Statement& Bind(int index, const std::string& text) {
    return Bind(index, std::string_view(text));
  }
  Statement& BindNull(int index);
  template <typename T>
  Statement& Bind(int index, const std::optional<T>& value) {
    return value ? Bind(index, *value) : BindNull(index);
  }

  // Advances: true when a row is available, false when done.
  util::Result<bool> Step();
  // Steps to the end; returns the number of rows changed.
  util::Result<int> Run();
  // Ready to run again with new bindings.
  void Reset();

  std::int64_t ColumnInt(int column) const;
  double ColumnDouble(int column) const;
  std::string ColumnText(int column) const;
  bool ColumnIsNull(int column) const;
  std::optional<std::string> ColumnOptionalText(int column) const;
  std::optional<std::int64_t> ColumnOptionalInt(int column) const;

 private:
  friend class Database;
  Statement(Database* db, void* stmt, bool keep) : db_(db), stmt_(stmt), keep_(keep) {}
  util::Status BindStatus() const;
  void Release();
  Database* db_;
  void* stmt_;  // sqlite3_stmt
  bool keep_;   // goes back to db_'s kept statements when it ends
  int bind_error_ = 0;
};

class WriteTransaction {
 public:
  WriteTransaction(WriteTransaction&& other) noexcept;
  WriteTransaction& operator=(WriteTransaction&&) = delete;
  ~WriteTransaction();  // rolls back unless committed
  util::Status Commit();

 private:
  friend class Database;
  explicit WriteTransaction(Database* db) : db_(db) {}
  Database* db_;
};

struct DatabaseOptions {
  std::string path;  // "<state_dir>/state.db"
  std::chrono::milliseconds busy_timeout{5000};
  // Opens an existing database for reading only (SQLITE_OPEN_READONLY and
  // PRAGMA query_only): nothing is created, migrated or chmod-ed, and a
  // schema other than this build's latest is refused (kTemporary when
  // older: the writer has not migrated it yet).
  bool read_only = false;
};

class Database {
 public:
  // Opens (creating if needed, mode 0600) and migrates; see read_only.
  static util::Result<std::unique_ptr<Database>> Open(const DatabaseOptions& options);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  util::Status Exec(std::string_view sql);
  util::Result<Statement> Prepare(std::string_view sql);
  // BEGIN IMMEDIATE: takes the write lock now, so a busy database fails here
  // and not halfway through.
  util::Result<WriteTransaction> BeginWrite();

  // PRAGMA data_version: changes whenever another connection commits, so a
  // reader can tell whether what it computed before is still current.
  util::Result<std::int64_t> DataVersion();

  std::int64_t LastInsertRowId() const;
  int Changes() const;
  int SchemaVersion() const { return schema_version_; }
  // Statements kept for reuse right now (see above).
  std::size_t KeptStatements() const { return kept_.size(); }
  const std::string& path() const { return path_; }

  // PRAGMA wal_checkpoint(TRUNCATE): moves the WAL into the main file and
  // empties it (used after deleting personal data).
  util::Status CheckpointTruncate();

  // Frees the page cache's unused pages (sqlite3_db_release_memory): what a
  // finished step read is in the file, and need not stay in this process.
  void ReleaseMemory();
  // Bytes the page cache holds now (SQLITE_DBSTATUS_CACHE_USED).
  std::int64_t CacheBytes() const;

  // The error of the last failed call as a Status naming the file.
  util::Status LastError(std::string_view while_doing) const;

 private:
  friend class Statement;
  friend class WriteTransaction;
  Database(void* handle, std::string path) : handle_(handle), path_(std::move(path)) {}
  util::Status Configure(std::chrono::milliseconds busy_timeout);
  util::Status Migrate();
  util::Status CheckReadOnlySchema();

  // A Statement that ends hands its sqlite3_stmt back here.
  void Keep(void* stmt);

  void* handle_;  // sqlite3
  std::string path_;
  int schema_version_ = 0;
  // Reset statements ready for reuse, by SQL text (several for one text
  // when several were in use at once).
  std::multimap<std::string, void*, std::less<>> kept_;
};

// Steps `stmt` to its end, calling on_row(stmt) for each row. on_row returns
// void, or a util::Status whose first error ends the loop and is returned;
// so does a failed step.
template <typename OnRow>
util::Status ForEachRow(Statement& stmt, OnRow&& on_row) {
  while (true) {
    auto row = stmt.Step();
    if (!row.ok()) return row.status();
    if (!*row) return util::Status::Ok();
    if constexpr (std::is_void_v<std::invoke_result_t<OnRow&, Statement&>>) {
      on_row(stmt);
    } else {
      HDC_RETURN_IF_ERROR(on_row(stmt));
    }
  }
}

// Runs a query of one integer, such as "SELECT count(*) FROM failures", and
// returns the first column of its first row (NULL reads as 0). Errors are
// those of Prepare and Step; a query without a row is a kInternal error
// naming the file and the statement.
util::Result<std::int64_t> QueryInt(Database& db, std::string_view sql);

// How many reset statements one connection keeps for reuse.
inline constexpr std::size_t kMaxKeptStatements = 128;

// The migrations embedded in this build: highest version.
int LatestSchemaVersion();

}  // namespace hdc::db
