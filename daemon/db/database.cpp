#include "db/database.h"

#include <filesystem>
#include <string_view>

#include <sqlite3.h>

#include "db/migrations.h"

namespace hdc::db {
namespace {

sqlite3* H(void* handle) { return static_cast<sqlite3*>(handle); }
sqlite3_stmt* S(void* stmt) { return static_cast<sqlite3_stmt*>(stmt); }

util::ErrorKind KindOf(int code) {
  switch (code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PROTOCOL:
    case SQLITE_NOMEM:
      return util::ErrorKind::kTemporary;
    default:
      return util::ErrorKind::kInternal;
  }
}

}  // namespace

// ---- Statement ------------------------------------------------------------

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_), stmt_(other.stmt_), keep_(other.keep_), bind_error_(other.bind_error_) {
  other.stmt_ = nullptr;
}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    Release();
    db_ = other.db_;
    stmt_ = other.stmt_;
    keep_ = other.keep_;
    bind_error_ = other.bind_error_;
    other.stmt_ = nullptr;
  }
  return *this;
}

Statement::~Statement() { Release(); }

void Statement::Release() {
  if (stmt_ == nullptr) return;
  if (keep_) {
    db_->Keep(stmt_);
  } else {
    sqlite3_finalize(S(stmt_));
  }
  stmt_ = nullptr;
}

Statement& Statement::Bind(int index, std::int64_t value) {
  if (int rc = sqlite3_bind_int64(S(stmt_), index, value); rc != SQLITE_OK) bind_error_ = rc;
  return *this;
}

Statement& Statement::Bind(int index, double value) {
  if (int rc = sqlite3_bind_double(S(stmt_), index, value); rc != SQLITE_OK) bind_error_ = rc;
  return *this;
}

Statement& Statement::Bind(int index, std::string_view text) {
  if (int rc = sqlite3_bind_text64(S(stmt_), index, text.data(), text.size(), SQLITE_TRANSIENT,
                                   SQLITE_UTF8);
      rc != SQLITE_OK) {
    bind_error_ = rc;
  }
  return *this;
}

Statement& Statement::BindNull(int index) {
  if (int rc = sqlite3_bind_null(S(stmt_), index); rc != SQLITE_OK) bind_error_ = rc;
  return *this;
}

util::Status Statement::BindStatus() const {
  if (bind_error_ == SQLITE_OK) return util::Status::Ok();
  return util::Status::Error(util::ErrorKind::kInternal,
                             db_->path() + ": cannot bind a parameter: " +
                                 sqlite3_errstr(bind_error_) + " in " + sqlite3_sql(S(stmt_)));
}

util::Result<bool> Statement::Step() {
  HDC_RETURN_IF_ERROR(BindStatus());
  const int rc = sqlite3_step(S(stmt_));
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return db_->LastError(std::string("running ") + sqlite3_sql(S(stmt_)));
}

util::Result<int> Statement::Run() {
  while (true) {
    auto row = Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
  }
  return db_->Changes();
}

void Statement::Reset() {
  sqlite3_reset(S(stmt_));
  sqlite3_clear_bindings(S(stmt_));
  bind_error_ = SQLITE_OK;
}

std::int64_t Statement::ColumnInt(int column) const {
  return sqlite3_column_int64(S(stmt_), column);
}

double Statement::ColumnDouble(int column) const { return sqlite3_column_double(S(stmt_), column); }

std::string Statement::ColumnText(int column) const {
  const auto* text = sqlite3_column_text(S(stmt_), column);
  if (text == nullptr) return std::string();
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<size_t>(sqlite3_column_bytes(S(stmt_), column)));
}

bool Statement::ColumnIsNull(int column) const {
  return sqlite3_column_type(S(stmt_), column) == SQLITE_NULL;
}

std::optional<std::string> Statement::ColumnOptionalText(int column) const {
  if (ColumnIsNull(column)) return std::nullopt;
  return ColumnText(column);
}

std::optional<std::int64_t> Statement::ColumnOptionalInt(int column) const {
  if (ColumnIsNull(column)) return std::nullopt;
  return ColumnInt(column);
}

// ---- WriteTransaction ------------------------------------------------------

WriteTransaction::WriteTransaction(WriteTransaction&& other) noexcept : db_(other.db_) {
  other.db_ = nullptr;
}

WriteTransaction::~WriteTransaction() {
  if (db_ != nullptr && !sqlite3_get_autocommit(H(db_->handle_))) {
    sqlite3_exec(H(db_->handle_), "ROLLBACK", nullptr, nullptr, nullptr);
  }
}

util::Status WriteTransaction::Commit() {
  if (db_ == nullptr) return util::InternalError("commit of a finished transaction");
  util::Status status = db_->Exec("COMMIT");
  if (status.ok()) db_ = nullptr;  // on failure the destructor rolls back what is left
  return status;
}

// ---- Database --------------------------------------------------------------

util::Result<std::unique_ptr<Database>> Database::Open(const DatabaseOptions& options) {
  sqlite3* handle = nullptr;
  const int mode =
      options.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  const int rc = sqlite3_open_v2(options.path.c_str(), &handle,
                                 mode | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = handle ? sqlite3_errmsg(handle) : sqlite3_errstr(rc);
    sqlite3_close(handle);
    return util::Status::Error(KindOf(rc), options.path + ": cannot open: " + message);
  }
  std::unique_ptr<Database> db(new Database(handle, options.path));
  if (options.read_only) {
    sqlite3_extended_result_codes(H(db->handle_), 1);
    sqlite3_busy_timeout(H(db->handle_), static_cast<int>(options.busy_timeout.count()));
    HDC_RETURN_IF_ERROR(db->Exec("PRAGMA query_only=ON"));
    HDC_RETURN_IF_ERROR(db->Exec("PRAGMA trusted_schema=OFF"));
    HDC_RETURN_IF_ERROR(db->CheckReadOnlySchema());
    return db;
  }
  // Personal data lives here: owner only. SQLite gives the -wal and -shm
  // files the main file's permissions.
  std::error_code ec;
  std::filesystem::permissions(
      options.path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
      std::filesystem::perm_options::replace, ec);
  HDC_RETURN_IF_ERROR(db->Configure(options.busy_timeout));
  HDC_RETURN_IF_ERROR(db->Migrate());
  return db;
}

Database::~Database() {
  for (auto& [sql, stmt] : kept_) sqlite3_finalize(S(stmt));
  sqlite3_close_v2(H(handle_));
}

void Database::Keep(void* stmt) {
  // Reset returns the last step's error again; the statement is reusable
  // either way.
  sqlite3_reset(S(stmt));
  sqlite3_clear_bindings(S(stmt));
  if (kept_.size() >= kMaxKeptStatements) {
    sqlite3_finalize(S(stmt));
    return;
  }
  kept_.emplace(sqlite3_sql(S(stmt)), stmt);
}

util::Status Database::Configure(std::chrono::milliseconds busy_timeout) {
  sqlite3_extended_result_codes(H(handle_), 1);
  sqlite3_busy_timeout(H(handle_), static_cast<int>(busy_timeout.count()));
  // Every pragma set explicitly: builds differ in their defaults.
  HDC_RETURN_IF_ERROR(Exec("PRAGMA journal_mode=WAL"));
  HDC_RETURN_IF_ERROR(Exec("PRAGMA synchronous=FULL"));
  HDC_RETURN_IF_ERROR(Exec("PRAGMA foreign_keys=ON"));
  HDC_RETURN_IF_ERROR(Exec("PRAGMA secure_delete=ON"));
  HDC_RETURN_IF_ERROR(Exec("PRAGMA trusted_schema=OFF"));
  if (path_ == ":memory:") return util::Status::Ok();  // no journal to check
  // WAL must really be on: journal_mode silently stays "delete" on some
  // file systems.
  auto mode = Prepare("PRAGMA journal_mode");
  if (!mode.ok()) return mode.status();
  auto row = mode->Step();
  if (!row.ok()) return row.status();
  if (!*row || mode->ColumnText(0) != "wal") {
    return util::TemporaryError(path_ + ": cannot enable WAL journaling (journal_mode is '" +
                                mode->ColumnText(0) + "')");
  }
  return util::Status::Ok();
}

util::Status Database::CheckReadOnlySchema() {
  auto version = Prepare("PRAGMA user_version");
  if (!version.ok()) return version.status();
  auto row = version->Step();
  if (!row.ok()) return row.status();
  schema_version_ = static_cast<int>(version->ColumnInt(0));
  const int latest = LatestSchemaVersion();
  if (schema_version_ == latest) return util::Status::Ok();
  return util::Status::Error(
      schema_version_ > latest ? util::ErrorKind::kConfig : util::ErrorKind::kTemporary,
      path_ + ": schema version " + std::to_string(schema_version_) + ", this build reads " +
          std::to_string(latest) + " (read-only: not migrated)");
}

util::Result<std::int64_t> Database::DataVersion() {
  auto version = Prepare("PRAGMA data_version");
  if (!version.ok()) return version.status();
  auto row = version->Step();
  if (!row.ok()) return row.status();
  if (!*row) return util::Status::Error(util::ErrorKind::kInternal, path_ + ": no data_version");
  return version->ColumnInt(0);
}

util::Status Database::Migrate() {
  auto version = Prepare("PRAGMA user_version");
  if (!version.ok()) return version.status();
  auto row = version->Step();
  if (!row.ok()) return row.status();
  schema_version_ = static_cast<int>(version->ColumnInt(0));
  // Done with it: a statement left mid-way would make DROP (a migration's
  // DROP INDEX, DROP TABLE) fail with "database table is locked".
  version->Reset();
  const int latest = LatestSchemaVersion();
  if (schema_version_ > latest) {
    return util::Status::Error(util::ErrorKind::kConfig,
                               path_ + ": schema version " + std::to_string(schema_version_) +
                                   " is newer than this hdc-reportd understands (" +
                                   std::to_string(latest) +
                                   "); run the newer hdc-reportd or restore a backup");
  }
  for (const Migration& m : EmbeddedMigrations()) {
    if (m.version <= schema_version_) continue;
    auto tx = BeginWrite();
    if (!tx.ok()) return tx.status();
    util::Status applied = Exec(m.sql);
    if (!applied.ok()) {
      return util::Status::Error(applied.kind(), "migration " + std::to_string(m.version) + "_" +
                                                     std::string(m.name) + ": " +
                                                     applied.message());
    }
    HDC_RETURN_IF_ERROR(Exec("PRAGMA user_version=" + std::to_string(m.version)));
    HDC_RETURN_IF_ERROR(tx->Commit());
    schema_version_ = m.version;
  }
  return util::Status::Ok();
}

util::Status Database::Exec(std::string_view sql) {
  const std::string text(sql);
  char* error = nullptr;
  const int rc = sqlite3_exec(H(handle_), text.c_str(), nullptr, nullptr, &error);
  if (rc == SQLITE_OK) return util::Status::Ok();
  std::string message = error ? error : sqlite3_errstr(rc);
  sqlite3_free(error);
  std::string statement = text.substr(0, text.find_first_of("\n;"));
  return util::Status::Error(KindOf(rc), path_ + ": " + message + " (in " + statement + ")");
}

util::Result<Statement> Database::Prepare(std::string_view sql) {
  if (const auto kept = kept_.find(sql); kept != kept_.end()) {
    void* stmt = kept->second;
    kept_.erase(kept);
    return Statement(this, stmt, /*keep=*/true);
  }
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(H(handle_), sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) return LastError("preparing " + std::string(sql));
  // Kept only when SQLite holds the same text it will be looked up by (text
  // after the first statement, such as a trailing newline, would differ).
  const bool keep = stmt != nullptr && std::string_view(sqlite3_sql(stmt)) == sql;
  return Statement(this, stmt, keep);
}

util::Result<WriteTransaction> Database::BeginWrite() {
  HDC_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
  return WriteTransaction(this);
}

std::int64_t Database::LastInsertRowId() const { return sqlite3_last_insert_rowid(H(handle_)); }

int Database::Changes() const { return sqlite3_changes(H(handle_)); }

util::Status Database::CheckpointTruncate() {
  int log = 0, checkpointed = 0;
  const int rc = sqlite3_wal_checkpoint_v2(H(handle_), nullptr, SQLITE_CHECKPOINT_TRUNCATE, &log,
                                           &checkpointed);
  if (rc != SQLITE_OK) return LastError("checkpointing the WAL");
  return util::Status::Ok();
}

void Database::ReleaseMemory() { (void)sqlite3_db_release_memory(H(handle_)); }

std::int64_t Database::CacheBytes() const {
  int current = 0, highwater = 0;
  (void)sqlite3_db_status(H(handle_), SQLITE_DBSTATUS_CACHE_USED, &current, &highwater, 0);
  return current;
}

util::Status Database::LastError(std::string_view while_doing) const {
  const int code = sqlite3_extended_errcode(H(handle_));
  return util::Status::Error(KindOf(code), path_ + ": " + sqlite3_errmsg(H(handle_)) + " (while " +
                                               std::string(while_doing) + ")");
}

util::Result<std::int64_t> QueryInt(Database& db, std::string_view sql) {
  auto stmt = db.Prepare(sql);
  if (!stmt.ok()) return stmt.status();
  auto row = stmt->Step();
  if (!row.ok()) return row.status();
  if (!*row) {
    return util::Status::Error(util::ErrorKind::kInternal,
                               db.path() + ": no row (while running " + std::string(sql) + ")");
  }
  return stmt->ColumnInt(0);
}

int LatestSchemaVersion() {
  auto migrations = EmbeddedMigrations();
  return migrations.empty() ? 0 : migrations.back().version;
}

}  // namespace hdc::db
