// The SQLite LogStore. Schema and durability contract: docs/storage.md.
#include "weft/sqlite_store.hpp"

#include <sqlite3.h>

#include <cctype>
#include <chrono>
#include <thread>
#include <cstring>
#include <map>
#include <optional>
#include <sys/stat.h>

#include "weft/codec.hpp"
#include "weft/faults.hpp"
#include "store/writer_fence.hpp"
#ifdef WEFT_FAULT_INJECTION
#include "store/fault_vfs.hpp"
#endif

namespace weft {
namespace {

// PRAGMA application_id: 'WEFT'. Tells a weft database from any other.
constexpr int32_t kApplicationId = 0x57454654;

// Forward migrations: kMigrations[v] takes a database from version v to v+1.
constexpr const char* kMigrations[] = {
    // 0 -> 1: the first schema.
    R"sql(
CREATE TABLE logs(
  log_id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  cursor INTEGER NOT NULL DEFAULT 0,
  epoch INTEGER NOT NULL DEFAULT 0,
  local_actor BLOB CHECK (local_actor IS NULL OR length(local_actor) = 16)
);
CREATE TABLE actors(
  log_id INTEGER NOT NULL REFERENCES logs(log_id),
  actor_no INTEGER NOT NULL,
  actor BLOB NOT NULL CHECK (length(actor) = 16),
  max_counter INTEGER NOT NULL DEFAULT 0,
  last_lamport INTEGER NOT NULL DEFAULT 0,
  covered INTEGER NOT NULL DEFAULT 0,
  sealed_chunks INTEGER NOT NULL DEFAULT 0,
  sealed_upto INTEGER NOT NULL DEFAULT 0,
  last_chunk_digest BLOB,
  chain_upto INTEGER NOT NULL DEFAULT 0,
  chain BLOB,
  PRIMARY KEY (log_id, actor_no),
  UNIQUE (log_id, actor)
) WITHOUT ROWID;
CREATE TABLE ops(
  log_id INTEGER NOT NULL,
  cursor INTEGER NOT NULL,
  actor_no INTEGER NOT NULL,
  counter INTEGER NOT NULL,
  lamport INTEGER NOT NULL,
  kind INTEGER NOT NULL,
  timestamp_ms INTEGER NOT NULL,
  deps BLOB,
  payload BLOB,
  chunk INTEGER,
  hash BLOB NOT NULL CHECK (length(hash) = 32),
  PRIMARY KEY (log_id, cursor)
) WITHOUT ROWID;
CREATE UNIQUE INDEX ops_by_id ON ops(log_id, actor_no, counter);
CREATE TABLE chunks(
  log_id INTEGER NOT NULL REFERENCES logs(log_id),
  actor_no INTEGER NOT NULL,
  idx INTEGER NOT NULL,
  first INTEGER NOT NULL,
  last INTEGER NOT NULL,
  prev_digest BLOB NOT NULL,
  digest BLOB NOT NULL,
  bytes BLOB NOT NULL,
  PRIMARY KEY (log_id, actor_no, idx)
) WITHOUT ROWID;
CREATE TABLE peers(
  log_id INTEGER NOT NULL REFERENCES logs(log_id),
  peer TEXT NOT NULL,
  acked_cursor INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_ms INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (log_id, peer)
) WITHOUT ROWID;
)sql",
};
static_assert(std::size(kMigrations) == kSqliteSchemaVersion);

Code code_of(int rc) {
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Code::kBusy;
    case SQLITE_FULL:
    case SQLITE_NOMEM:
    case SQLITE_TOOBIG:
      return Code::kResourceExhausted;
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_PROTOCOL:
      return Code::kIoError;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Code::kCorrupt;
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return Code::kPermissionDenied;
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    // weft's SQL is fixed: a statement that fails to prepare or run means
    // the file's schema is not the one weft wrote.
    case SQLITE_ERROR:
    case SQLITE_SCHEMA:
    // A row weft wrote is missing (DONE where a ROW was due), or the other
    // way round: the file's tables disagree with each other.
    case SQLITE_ROW:
    case SQLITE_DONE:
      return Code::kCorrupt;
    default:
      return Code::kInternal;
  }
}

int64_t s64(uint64_t v) { return static_cast<int64_t>(v); }
uint64_t u64(int64_t v) { return static_cast<uint64_t>(v); }

// A prepared statement, reset and cleared after every use.
class Stmt {
 public:
  Stmt() = default;
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt() { sqlite3_finalize(s_); }

  int prepare(sqlite3* db, const char* sql) {
    return sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s_, nullptr);
  }
  sqlite3_stmt* get() { return s_; }

  void bind(int i, int64_t v) { sqlite3_bind_int64(s_, i, v); }
  // Blobs over SQLite's int sizes fail at step() with TOOBIG (bound as an
  // over-long zeroblob), never by truncating the length.
  void bind(int i, std::span<const uint8_t> b) {
    if (b.empty()) {
      sqlite3_bind_zeroblob(s_, i, 0);
    } else if (b.size() > static_cast<size_t>(INT32_MAX)) {
      sqlite3_bind_zeroblob64(s_, i, b.size());
    } else {
      sqlite3_bind_blob(s_, i, b.data(), static_cast<int>(b.size()), SQLITE_STATIC);
    }
  }
  void bind_null(int i) { sqlite3_bind_null(s_, i); }
  void bind_text(int i, const std::string& t) {
    sqlite3_bind_text(s_, i, t.data(), static_cast<int>(t.size()), SQLITE_STATIC);
  }
  int step() { return sqlite3_step(s_); }
  void done() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }

  int64_t i64(int c) { return sqlite3_column_int64(s_, c); }
  bool null(int c) { return sqlite3_column_type(s_, c) == SQLITE_NULL; }
  std::span<const uint8_t> blob(int c) {
    const void* p = sqlite3_column_blob(s_, c);
    int n = sqlite3_column_bytes(s_, c);
    return {static_cast<const uint8_t*>(p), static_cast<size_t>(p ? n : 0)};
  }

 private:
  sqlite3_stmt* s_ = nullptr;
};

// Resets a statement however the scope is left.
struct Using {
  explicit Using(Stmt& s) : s(s) {}
  ~Using() { s.done(); }
  Stmt& s;
};

template <size_t N>
bool read_fixed(std::span<const uint8_t> b, std::array<uint8_t, N>& out) {
  if (b.size() != N) return false;
  std::memcpy(out.data(), b.data(), N);
  return true;
}

class SqliteStore;

class SqliteTxn final : public StoreTxn {
 public:
  explicit SqliteTxn(SqliteStore& s) : s_(s) {}
  ~SqliteTxn() override;

  Result<std::optional<LogHeader>> refresh() override;
  Status put_op(const Op& op, const Hash& hash, uint64_t cursor) override;
  Status put_actor(const ActorState& state) override;
  Status put_header(uint64_t cursor, uint32_t epoch) override;
  Status put_local_actor(const ActorId& actor) override;
  Status put_chunk(const SealRecord& seal, std::span<const uint8_t> bytes) override;
  Status put_peer(std::string_view peer, const PeerState& state) override;
  Status put_fence(const WriterFence& fence) override;
  Status commit() override;

 private:
  // The actor's number in this log, numbering it if it is new.
  Result<int64_t> number(const ActorId& actor);

  SqliteStore& s_;
  bool open_ = true;
  // Chunks put in this transaction: their ops, put later, are stored sealed.
  struct Sealing {
    int64_t actor_no;
    uint64_t index, first, last;
  };
  std::vector<Sealing> sealing_;
  // The fence record before this transaction's first put_fence, put back
  // if it rolls back.
  std::optional<FenceFile::Record> fence_before_;
};

class SqliteStore final : public LogStore {
 public:
  ~SqliteStore() override {
    // Statements first: sqlite3_close refuses a connection with live ones.
    stmts_.reset();
    sqlite3_close(db_);
  }

  static Result<std::unique_ptr<LogStore>> open(const std::string& path, const SqliteOptions& o);

  Result<LogHeader> load() override;
  Result<std::optional<OpMeta>> op_meta(const OpId& id) override;
  Result<std::optional<StoredOp>> get_op(const OpId& id) override;
  Status read_range(uint64_t from, size_t max, std::vector<StoredOp>& out) override;
  Status read_actor(const ActorId& actor, uint64_t first, size_t max,
                    std::vector<StoredOp>& out) override;
  Result<std::optional<StoredChunk>> get_chunk(const ActorId& actor, uint64_t index) override;
  Result<std::optional<PeerState>> get_peer(std::string_view peer) override;
  Status check_integrity() override {
    WEFT_TRY(check_usable());
    Stmt s;
    int rc = s.prepare(db_, "PRAGMA integrity_check(1)");
    if (rc != SQLITE_OK) return error(rc, "integrity check");
    rc = s.step();
    if (rc != SQLITE_ROW) return error(rc, "integrity check");
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(s.get(), 0));
    const std::string result = text ? text : "";
    if (result != "ok") {
      return make_error(Code::kCorrupt, "sqlite: integrity check: " + result + " [" + path_ + "]");
    }
    return Status::ok();
  }
  Result<bool> changed_since_load() override {
    WEFT_TRY(check_usable());
    if (in_txn_) return true;
    auto v = data_version();
    WEFT_TRY(v);
    return v.value() != seen_version_;
  }
  Result<std::unique_ptr<StoreTxn>> begin_write() override;
  Result<std::unique_ptr<StoreTxn>> begin_synced_write() override;
  uint64_t preferred_seal_ops() const override { return kDefaultChunkOps; }

  Result<int64_t> pragma(std::string_view name) {
    for (char c : name) {
      if (!(std::islower(static_cast<unsigned char>(c)) || c == '_')) {
        return make_error(Code::kInvalidArgument, "sqlite: not a pragma name");
      }
    }
    Stmt s;
    int rc = s.prepare(db_, ("PRAGMA " + std::string(name)).c_str());
    if (rc != SQLITE_OK) return error(rc, "pragma");
    rc = s.step();
    if (rc != SQLITE_ROW) return error(rc, "pragma");
    return s.i64(0);
  }

 private:
  friend class SqliteTxn;

  struct Statements {
    Stmt begin, commit, rollback, data_version;
    Stmt load_log, load_actors, new_actors, insert_actor_no, put_actor, put_header, put_local_actor;
    Stmt insert_op, op_meta, get_op, read_range, read_actor;
    Stmt insert_chunk, seal_rows, get_chunk;
    Stmt get_peer, put_peer;
  };

  SqliteStore(sqlite3* db, std::string path, bool special)
      : db_(db), path_(std::move(path)), special_(special), fence_(path_ + "-weft") {}

 public:
  bool keeps_fence() const override { return !special_; }
  Result<std::optional<WriterFence>> read_fence() override {
    if (special_) return std::optional<WriterFence>();
    return fence_.read(log_id_);
  }

 private:

  Error error(int rc, const std::string& what) {
    std::string msg = "sqlite: " + what + ": " + sqlite3_errstr(rc);
    if (db_ && sqlite3_errcode(db_) == rc) msg += " (" + std::string(sqlite3_errmsg(db_)) + ")";
    msg += " [" + path_ + "]";
    return make_error(code_of(rc), std::move(msg));
  }
  Status exec(const char* sql, const std::string& what) {
    int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
    return rc == SQLITE_OK ? Status::ok() : Status(error(rc, what));
  }
  Status check_usable() {
    if (poisoned_) {
      return make_error(Code::kIoError, "sqlite: an earlier I/O error left this connection "
                                        "in an unknown state; reopen the log [" + path_ + "]");
    }
    return Status::ok();
  }
  // An I/O failure during a write poisons the connection: never assume a
  // failed fsync or write can simply be retried (S40).
  Error write_error(int rc, const std::string& what) {
    if ((rc & 0xff) == SQLITE_IOERR) poisoned_ = true;
    return error(rc, what);
  }

  Status setup(const SqliteOptions& o);
  Result<LogHeader> load_in_snapshot();
  Status migrate();
  Status prepare_all();
  Result<int64_t> data_version();
  // The actor's number in this log. On a miss the actor table is re-read:
  // another connection may have numbered the actor since we last looked.
  Result<std::optional<int64_t>> actor_no(const ActorId& a) {
    auto it = actor_nos_.find(a);
    if (it == actor_nos_.end()) {
      WEFT_TRY(sync_actors());
      it = actor_nos_.find(a);
      if (it == actor_nos_.end()) return std::optional<int64_t>();
    }
    return std::optional<int64_t>(it->second);
  }
  // Reads actor numbers this connection has not seen yet.
  Status sync_actors();
  Result<StoredOp> row_to_op(Stmt& s);
  // Binds (log, actor number, counter) to a by-id statement and steps it:
  // true with a row ready, false if the actor or the op is not here.
  Result<bool> find_row(Stmt& s, const OpId& id);
  Result<const Chunk*> chunk_for(int64_t actor_no, uint64_t index);

  sqlite3* db_;
  std::string path_;
  bool special_ = false;  // ":memory:" or a URI: no file beside it for a fence
  FenceFile fence_;
  int64_t log_id_ = 0;
  std::unique_ptr<Statements> stmts_;
  std::vector<ActorId> actors_;  // actor_no -> id, committed
  std::map<ActorId, int64_t> actor_nos_;
  std::vector<ActorId> pending_actors_;  // actor numbers taken by the open transaction
  int64_t seen_version_ = -1;
  bool poisoned_ = false;
  bool in_txn_ = false;
  bool synchronous_full_ = false;  // the connection's setting outside synced writes
  bool synced_txn_ = false;        // the open transaction runs at synchronous=FULL
  // Puts synchronous back to the connection's setting after a synced write.
  void end_synced() {
    if (!synced_txn_) return;
    synced_txn_ = false;
    if (!synchronous_full_) (void)exec("PRAGMA synchronous=NORMAL", "restore synchronous");
  }
  // The last sealed chunk read, decoded and verified: range reads of sealed
  // ops touch the same chunk many times in a row.
  struct CachedChunk {
    int64_t actor_no;
    uint64_t index;
    Chunk chunk;
  };
  std::optional<CachedChunk> cache_;
};

// SQLite gives some names a meaning of their own: "" is a private temporary
// database, ":memory:" one in memory, and "file:" starts a URI. Taken by
// mistake, each answers OK and keeps nothing.
bool special_name(const std::string& path) {
  return path == ":memory:" || path.rfind("file:", 0) == 0;
}

Result<std::unique_ptr<LogStore>> SqliteStore::open(const std::string& path,
                                                     const SqliteOptions& o) {
  if (path.empty()) {
    return make_error(Code::kInvalidArgument,
                      "sqlite: the path is empty (SQLite would open a temporary database)");
  }
  if (path.find('\0') != std::string::npos) {
    return make_error(Code::kInvalidArgument, "sqlite: the path contains a NUL byte");
  }
  const bool special = special_name(path);
  if (special && !o.special_names) {
    return make_error(Code::kInvalidArgument,
                      "sqlite: '" + path + "' is a special name to SQLite (a memory database or "
                      "a URI); set special_names to mean it");
  }
  struct stat st;
  const bool exists = special || ::stat(path.c_str(), &st) == 0;
  if (!exists && !o.create) {
    return make_error(Code::kNotFound, "sqlite: no database at " + path);
  }
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (o.create ? SQLITE_OPEN_CREATE : 0) |
              (special ? SQLITE_OPEN_URI : 0);
  const char* vfs = nullptr;
#ifdef WEFT_FAULT_INJECTION
  vfs = fault_vfs_name();
#endif
  // Several processes opening a new file at once race to create it and to
  // switch it to WAL, and SQLite answers some of those steps BUSY without
  // calling the busy handler: the whole open is retried within busy_timeout.
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(o.busy_timeout_ms);
  for (int attempt = 0;; ++attempt) {
    sqlite3* db = nullptr;
    int rc = sqlite3_open_v2(path.c_str(), &db, flags, vfs);
    std::unique_ptr<SqliteStore> store(new SqliteStore(db, path, special));
    if (rc != SQLITE_OK) return store->error(rc, "open");
    sqlite3_extended_result_codes(db, 1);
    Status s = store->setup(o);
    if (s) s = store->sync_actors();
    if (s) return std::unique_ptr<LogStore>(std::move(store));
    if (s.code() != Code::kBusy || std::chrono::steady_clock::now() >= deadline) return s.error();
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(1 << std::min(attempt, 5), 20)));
  }
}

Status SqliteStore::setup(const SqliteOptions& o) {
  sqlite3_busy_timeout(db_, static_cast<int>(o.busy_timeout_ms));
  // Reading the schema is the first access to the file: a file that is not
  // a database fails here with NOTADB, reported as CORRUPT.
  WEFT_TRY(exec("PRAGMA foreign_keys=ON", "enable foreign keys"));
  {
    Stmt s;
    int rc = s.prepare(db_, "PRAGMA application_id");
    if (rc != SQLITE_OK) return error(rc, "read application_id");
    rc = s.step();
    if (rc != SQLITE_ROW) return error(rc, "read application_id");
    const int64_t app = s.i64(0);
    Stmt t;
    rc = t.prepare(db_, "SELECT count(*) FROM sqlite_schema");
    if (rc != SQLITE_OK || t.step() != SQLITE_ROW) return error(rc, "read schema");
    const int64_t tables = t.i64(0);
    if (app != kApplicationId && (tables > 0 || app != 0)) {
      return make_error(Code::kInvalidArgument,
                        "sqlite: " + path_ + " is not a weft database (application_id " +
                            std::to_string(app) + ")");
    }
    // Opening without create never writes: an empty file stays empty, and a
    // file that would need a migration is left as it is.
    if (!o.create && tables == 0) {
      return make_error(Code::kNotFound, "sqlite: " + path_ + " is empty, not yet a weft database");
    }
  }
  if (!o.create) {
    Stmt v;
    int rc = v.prepare(db_, "PRAGMA user_version");
    if (rc != SQLITE_OK || v.step() != SQLITE_ROW) return error(rc, "read user_version");
    const int64_t version = v.i64(0);
    if (version >= 0 && version < kSqliteSchemaVersion) {
      return make_error(Code::kUnsupportedVersion,
                        "sqlite: " + path_ + " has schema version " + std::to_string(version) +
                            ", older than this build's " + std::to_string(kSqliteSchemaVersion) +
                            ": open it with create to migrate it");
    }
  } else {
    WEFT_TRY(exec("PRAGMA journal_mode=WAL", "set WAL journal"));
  }
  WEFT_TRY(exec(o.synchronous_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL",
                "set synchronous"));
  synchronous_full_ = o.synchronous_full;
  WEFT_TRY(migrate());
  WEFT_TRY(prepare_all());
  // Find or create the log.
  {
    Stmt find;
    int rc = find.prepare(db_, "SELECT log_id FROM logs WHERE name = ?");
    if (rc != SQLITE_OK) return error(rc, "find log");
    find.bind_text(1, o.log_name);
    rc = find.step();
    if (rc == SQLITE_ROW) {
      log_id_ = find.i64(0);
    } else if (rc != SQLITE_DONE) {
      return error(rc, "find log");
    } else if (!o.create) {
      return make_error(Code::kNotFound, "sqlite: no log named '" + o.log_name + "' in " + path_);
    } else {
      Stmt ins;
      rc = ins.prepare(db_, "INSERT INTO logs(name) VALUES(?) ON CONFLICT(name) DO NOTHING");
      if (rc != SQLITE_OK) return error(rc, "create log");
      ins.bind_text(1, o.log_name);
      rc = ins.step();
      if (rc != SQLITE_DONE) return error(rc, "create log");
      find.done();
      find.bind_text(1, o.log_name);
      if ((rc = find.step()) != SQLITE_ROW) return error(rc, "find log");
      log_id_ = find.i64(0);
    }
  }
  return Status::ok();
}

Status SqliteStore::migrate() {
  WEFT_TRY(exec("BEGIN IMMEDIATE", "begin migration"));
  auto fail = [&](Error e) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    return Status(std::move(e));
  };
  Stmt s;
  int rc = s.prepare(db_, "PRAGMA user_version");
  if (rc != SQLITE_OK || s.step() != SQLITE_ROW) return fail(error(rc, "read user_version"));
  const int64_t version = s.i64(0);
  s.done();
  if (version < 0) {
    return fail(make_error(Code::kCorrupt, "sqlite: " + path_ + " has schema version " +
                                               std::to_string(version) + ", which no weft wrote"));
  }
  if (version > kSqliteSchemaVersion) {
    return fail(make_error(Code::kUnsupportedVersion,
                           "sqlite: " + path_ + " has schema version " + std::to_string(version) +
                               "; this build reads up to " +
                               std::to_string(kSqliteSchemaVersion)));
  }
  for (int64_t v = version; v < kSqliteSchemaVersion; ++v) {
    rc = sqlite3_exec(db_, kMigrations[v], nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return fail(error(rc, "migrate to schema " + std::to_string(v + 1)));
  }
  if (version < kSqliteSchemaVersion) {
    std::string set = "PRAGMA application_id=" + std::to_string(kApplicationId) +
                      "; PRAGMA user_version=" + std::to_string(kSqliteSchemaVersion);
    rc = sqlite3_exec(db_, set.c_str(), nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return fail(error(rc, "set schema version"));
  }
  rc = sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return fail(error(rc, "commit migration"));
  return Status::ok();
}

Status SqliteStore::prepare_all() {
  stmts_ = std::make_unique<Statements>();
  Statements& s = *stmts_;
  const std::pair<Stmt*, const char*> all[] = {
      {&s.begin, "BEGIN IMMEDIATE"},
      {&s.commit, "COMMIT"},
      {&s.rollback, "ROLLBACK"},
      {&s.data_version, "PRAGMA data_version"},
      {&s.load_log, "SELECT cursor, epoch, local_actor FROM logs WHERE log_id = ?1"},
      {&s.load_actors,
       "SELECT actor_no, actor, max_counter, last_lamport, covered, sealed_chunks, sealed_upto,"
       " last_chunk_digest, chain_upto, chain FROM actors WHERE log_id = ?1 ORDER BY actor_no"},
      {&s.new_actors,
       "SELECT actor_no, actor FROM actors WHERE log_id = ?1 AND actor_no >= ?2 ORDER BY actor_no"},
      {&s.insert_actor_no, "INSERT INTO actors(log_id, actor_no, actor) VALUES(?1, ?2, ?3)"},
      {&s.put_actor,
       "UPDATE actors SET max_counter = ?3, last_lamport = ?4, covered = ?5,"
       " sealed_chunks = ?6, sealed_upto = ?7, last_chunk_digest = ?8, chain_upto = ?9,"
       " chain = ?10 WHERE log_id = ?1 AND actor_no = ?2"},
      {&s.put_header, "UPDATE logs SET cursor = ?2, epoch = ?3 WHERE log_id = ?1"},
      {&s.put_local_actor, "UPDATE logs SET local_actor = ?2 WHERE log_id = ?1"},
      {&s.insert_op,
       "INSERT INTO ops(log_id, cursor, actor_no, counter, lamport, kind, timestamp_ms, deps,"
       " payload, hash, chunk) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"},
      {&s.op_meta,
       "SELECT hash, lamport, cursor FROM ops WHERE log_id = ?1 AND actor_no = ?2 AND counter = ?3"},
      {&s.get_op,
       "SELECT cursor, actor_no, counter, lamport, kind, timestamp_ms, deps, payload, chunk, hash"
       " FROM ops WHERE log_id = ?1 AND actor_no = ?2 AND counter = ?3"},
      {&s.read_range,
       "SELECT cursor, actor_no, counter, lamport, kind, timestamp_ms, deps, payload, chunk, hash"
       " FROM ops WHERE log_id = ?1 AND cursor >= ?2 ORDER BY cursor LIMIT ?3"},
      {&s.read_actor,
       "SELECT cursor, actor_no, counter, lamport, kind, timestamp_ms, deps, payload, chunk, hash"
       " FROM ops WHERE log_id = ?1 AND actor_no = ?2 AND counter >= ?3 ORDER BY counter LIMIT ?4"},
      {&s.insert_chunk,
       "INSERT INTO chunks(log_id, actor_no, idx, first, last, prev_digest, digest, bytes)"
       " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"},
      // Sealing replaces the rows' payloads by the chunk, in the same transaction.
      {&s.seal_rows,
       "UPDATE ops SET payload = NULL, deps = NULL, chunk = ?3"
       " WHERE log_id = ?1 AND actor_no = ?2 AND counter BETWEEN ?4 AND ?5"},
      {&s.get_chunk,
       "SELECT first, last, prev_digest, digest, bytes FROM chunks"
       " WHERE log_id = ?1 AND actor_no = ?2 AND idx = ?3"},
      {&s.get_peer,
       "SELECT acked_cursor, attempts, next_attempt_ms FROM peers WHERE log_id = ?1 AND peer = ?2"},
      {&s.put_peer,
       "INSERT INTO peers(log_id, peer, acked_cursor, attempts, next_attempt_ms)"
       " VALUES(?1, ?2, ?3, ?4, ?5) ON CONFLICT(log_id, peer) DO UPDATE SET"
       " acked_cursor = excluded.acked_cursor, attempts = excluded.attempts,"
       " next_attempt_ms = excluded.next_attempt_ms"},
  };
  for (auto [stmt, sql] : all) {
    int rc = stmt->prepare(db_, sql);
    if (rc != SQLITE_OK) return error(rc, std::string("prepare ") + sql);
  }
  return Status::ok();
}

Status SqliteStore::sync_actors() {
  Stmt& s = stmts_->new_actors;
  Using u(s);
  s.bind(1, log_id_);
  s.bind(2, static_cast<int64_t>(actors_.size()));
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    ActorId a;
    if (s.i64(0) != static_cast<int64_t>(actors_.size()) || !read_fixed(s.blob(1), a.bytes)) {
      return make_error(Code::kCorrupt, "sqlite: actors row " + std::to_string(s.i64(0)) +
                                            " is damaged [" + path_ + "]");
    }
    actor_nos_.emplace(a, static_cast<int64_t>(actors_.size()));
    actors_.push_back(a);
  }
  return rc == SQLITE_DONE ? Status::ok() : Status(error(rc, "read actors"));
}

Result<int64_t> SqliteStore::data_version() {
  Stmt& s = stmts_->data_version;
  Using u(s);
  int rc = s.step();
  if (rc != SQLITE_ROW) return error(rc, "read data_version");
  return s.i64(0);
}

Result<LogHeader> SqliteStore::load() {
  WEFT_TRY(check_usable());
  // One snapshot for the header and the actors, and data_version read
  // before them: a commit by another connection after that read is seen by
  // the next refresh(), never taken as already loaded.
  const bool own_txn = sqlite3_get_autocommit(db_) != 0;
  if (own_txn) WEFT_TRY(exec("BEGIN", "begin read"));
  auto result = load_in_snapshot();
  if (own_txn) sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr);
  return result;
}

Result<LogHeader> SqliteStore::load_in_snapshot() {
  auto version = data_version();
  WEFT_TRY(version);
  LogHeader h;
  {
    Stmt& s = stmts_->load_log;
    Using u(s);
    s.bind(1, log_id_);
    int rc = s.step();
    if (rc != SQLITE_ROW) return error(rc, "load log");
    h.cursor = u64(s.i64(0));
    h.epoch = static_cast<uint32_t>(s.i64(1));
    if (!s.null(2)) {
      ActorId a;
      if (!read_fixed(s.blob(2), a.bytes)) return make_error(Code::kCorrupt, "sqlite: logs.local_actor is not 16 bytes [" + path_ + "]");
      h.local_actor = a;
    }
  }
  actors_.clear();
  actor_nos_.clear();
  {
    Stmt& s = stmts_->load_actors;
    Using u(s);
    s.bind(1, log_id_);
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) {
      ActorState a;
      const int64_t no = s.i64(0);
      bool ok = read_fixed(s.blob(1), a.actor.bytes) && no == static_cast<int64_t>(actors_.size());
      a.max_counter = u64(s.i64(2));
      a.last_lamport = u64(s.i64(3));
      a.covered = u64(s.i64(4));
      a.sealed_chunks = u64(s.i64(5));
      a.sealed_upto = u64(s.i64(6));
      if (!s.null(7)) ok = ok && read_fixed(s.blob(7), a.last_chunk_digest);
      a.chain_upto = u64(s.i64(8));
      if (!s.null(9)) ok = ok && read_fixed(s.blob(9), a.chain);
      if (!ok) {
        return make_error(Code::kCorrupt, "sqlite: actors row " + std::to_string(no) +
                                              " is damaged [" + path_ + "]");
      }
      actors_.push_back(a.actor);
      actor_nos_.emplace(a.actor, no);
      h.actors.push_back(a);
    }
    if (rc != SQLITE_DONE) return error(rc, "load actors");
  }
  cache_.reset();
  seen_version_ = version.value();
  return h;
}

Result<const Chunk*> SqliteStore::chunk_for(int64_t no, uint64_t index) {
  if (cache_ && cache_->actor_no == no && cache_->index == index) return &cache_->chunk;
  const ActorId& actor = actors_[no];
  auto c = get_chunk(actor, index);
  WEFT_TRY(c);
  const std::string name = "chunk " + actor.hex() + "/" + std::to_string(index);
  if (!c.value()) return make_error(Code::kCorrupt, "sqlite: " + name + " is missing [" + path_ + "]");
  // Our own checksum: SQLite does not checksum pages, so a flipped byte
  // would otherwise be read back as data (S43).
  if (blake2b_256(c.value()->bytes) != c.value()->seal.digest) {
    return make_error(Code::kCorrupt, "sqlite: " + name + ": bytes do not match the sealed digest [" + path_ + "]");
  }
  // The bytes match their seal's digest: they were judged when sealed or
  // received, so no wire limit applies to reading them back.
  Limits stored;
  stored.max_message_bytes = SIZE_MAX;
  stored.max_ops = UINT32_MAX;
  stored.max_payload_bytes = UINT32_MAX;
  stored.max_deps_per_op = UINT32_MAX;
  stored.max_actors = UINT32_MAX;
  auto chunk = decode_chunk(c.value()->bytes, stored);
  if (!chunk) return make_error(Code::kCorrupt, "sqlite: " + name + ": " + chunk.error().message);
  if (chunk.value().actor != actor || chunk.value().first() != c.value()->seal.first) {
    return make_error(Code::kCorrupt, "sqlite: " + name + ": content differs from its seal");
  }
  cache_ = CachedChunk{no, index, std::move(chunk.value())};
  return &cache_->chunk;
}

// Columns: cursor, actor_no, counter, lamport, kind, timestamp_ms, deps, payload, chunk, hash.
Result<StoredOp> SqliteStore::row_to_op(Stmt& s) {
  StoredOp out;
  out.cursor = u64(s.i64(0));
  const int64_t no = s.i64(1);
  if (no >= static_cast<int64_t>(actors_.size())) WEFT_TRY(sync_actors());
  if (no < 0 || no >= static_cast<int64_t>(actors_.size())) {
    return make_error(Code::kCorrupt, "sqlite: op at cursor " + std::to_string(out.cursor) +
                                          " names unknown actor " + std::to_string(no));
  }
  Op& op = out.op;
  op.id = OpId{actors_[no], u64(s.i64(2))};
  if (!read_fixed(s.blob(9), out.hash)) {
    return make_error(Code::kCorrupt, "sqlite: op " + op.id.to_string() + ": hash is damaged");
  }
  if (!s.null(8)) {
    auto chunk = chunk_for(no, u64(s.i64(8)));
    WEFT_TRY(chunk);
    const Chunk& c = *chunk.value();
    if (op.id.counter < c.first() || op.id.counter > c.last()) {
      return make_error(Code::kCorrupt, "sqlite: op " + op.id.to_string() +
                                            " is not inside its chunk");
    }
    op = c.ops[op.id.counter - c.first()];
  } else {
    op.lamport = u64(s.i64(3));
    op.kind = static_cast<uint32_t>(s.i64(4));
    op.timestamp_ms = s.i64(5);
    auto deps = s.blob(6);
    if (deps.size() % 24 != 0) {
      return make_error(Code::kCorrupt, "sqlite: op " + op.id.to_string() + ": deps damaged");
    }
    op.deps.resize(deps.size() / 24);
    for (size_t i = 0; i < op.deps.size(); ++i) {
      std::memcpy(op.deps[i].actor.bytes.data(), deps.data() + 24 * i, 16);
      uint64_t c = 0;
      for (int k = 0; k < 8; ++k) c |= uint64_t{deps[24 * i + 16 + k]} << (8 * k);
      op.deps[i].counter = c;
    }
    auto payload = s.blob(7);
    op.payload.assign(payload.begin(), payload.end());
  }
  // Every row read is checked against its hash: a flipped byte in a payload
  // is CORRUPT, never data.
  if (op_hash(op) != out.hash) {
    return make_error(Code::kCorrupt, "sqlite: op " + op.id.to_string() + " at cursor " +
                                          std::to_string(out.cursor) +
                                          ": content does not match its hash [" + path_ + "]");
  }
  return out;
}

Result<bool> SqliteStore::find_row(Stmt& s, const OpId& id) {
  WEFT_TRY(check_usable());
  auto no = actor_no(id.actor);
  WEFT_TRY(no);
  if (!no.value()) return false;
  s.bind(1, log_id_);
  s.bind(2, *no.value());
  s.bind(3, s64(id.counter));
  const int rc = s.step();
  if (rc == SQLITE_DONE) return false;
  if (rc != SQLITE_ROW) return error(rc, "read op " + id.to_string());
  return true;
}

Result<std::optional<OpMeta>> SqliteStore::op_meta(const OpId& id) {
  Stmt& s = stmts_->op_meta;
  Using u(s);
  auto found = find_row(s, id);
  WEFT_TRY(found);
  if (!found.value()) return std::optional<OpMeta>();
  OpMeta m;
  if (!read_fixed(s.blob(0), m.hash)) {
    return make_error(Code::kCorrupt, "sqlite: op " + id.to_string() + ": hash is damaged");
  }
  m.lamport = u64(s.i64(1));
  m.cursor = u64(s.i64(2));
  return std::optional<OpMeta>(m);
}

Result<std::optional<StoredOp>> SqliteStore::get_op(const OpId& id) {
  Stmt& s = stmts_->get_op;
  Using u(s);
  auto found = find_row(s, id);
  WEFT_TRY(found);
  if (!found.value()) return std::optional<StoredOp>();
  auto op = row_to_op(s);
  WEFT_TRY(op);
  return std::optional<StoredOp>(std::move(op.value()));
}

Status SqliteStore::read_range(uint64_t from, size_t max, std::vector<StoredOp>& out) {
  WEFT_TRY(check_usable());
  Stmt& s = stmts_->read_range;
  Using u(s);
  s.bind(1, log_id_);
  s.bind(2, s64(from == 0 ? 1 : from));
  s.bind(3, s64(std::min<uint64_t>(max, INT64_MAX)));
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    auto op = row_to_op(s);
    WEFT_TRY(op);
    out.push_back(std::move(op.value()));
  }
  return rc == SQLITE_DONE ? Status::ok() : Status(error(rc, "read range"));
}

Status SqliteStore::read_actor(const ActorId& actor, uint64_t first, size_t max,
                               std::vector<StoredOp>& out) {
  WEFT_TRY(check_usable());
  auto found = actor_no(actor);
  WEFT_TRY(found);
  auto no = found.value();
  if (!no) return Status::ok();
  Stmt& s = stmts_->read_actor;
  Using u(s);
  s.bind(1, log_id_);
  s.bind(2, *no);
  s.bind(3, s64(first));
  s.bind(4, s64(std::min<uint64_t>(max, INT64_MAX)));
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    auto op = row_to_op(s);
    WEFT_TRY(op);
    out.push_back(std::move(op.value()));
  }
  return rc == SQLITE_DONE ? Status::ok() : Status(error(rc, "read actor " + actor.hex()));
}

Result<std::optional<StoredChunk>> SqliteStore::get_chunk(const ActorId& actor, uint64_t index) {
  WEFT_TRY(check_usable());
  auto found = actor_no(actor);
  WEFT_TRY(found);
  auto no = found.value();
  if (!no) return std::optional<StoredChunk>();
  Stmt& s = stmts_->get_chunk;
  Using u(s);
  s.bind(1, log_id_);
  s.bind(2, *no);
  s.bind(3, s64(index));
  int rc = s.step();
  if (rc == SQLITE_DONE) return std::optional<StoredChunk>();
  if (rc != SQLITE_ROW) return error(rc, "read chunk");
  StoredChunk c;
  c.seal.actor = actor;
  c.seal.index = index;
  c.seal.first = u64(s.i64(0));
  c.seal.last = u64(s.i64(1));
  if (!read_fixed(s.blob(2), c.seal.prev_digest) || !read_fixed(s.blob(3), c.seal.digest)) {
    return make_error(Code::kCorrupt, "sqlite: chunk " + actor.hex() + "/" +
                                          std::to_string(index) + ": seal record is damaged");
  }
  auto b = s.blob(4);
  c.bytes.assign(b.begin(), b.end());
  return std::optional<StoredChunk>(std::move(c));
}

Result<std::unique_ptr<StoreTxn>> SqliteStore::begin_write() {
  WEFT_TRY(check_usable());
  if (in_txn_) return make_error(Code::kInternal, "sqlite: a write transaction is already open");
  if (WEFT_FAULT("store.begin")) return make_error(Code::kIoError, "fault injected: store.begin");
  Stmt& s = stmts_->begin;
  Using u(s);
  int rc = s.step();
  if (rc != SQLITE_DONE) return error(rc, "begin write transaction");
  in_txn_ = true;
  pending_actors_.clear();
  return std::unique_ptr<StoreTxn>(new SqliteTxn(*this));
}

Result<std::unique_ptr<StoreTxn>> SqliteStore::begin_synced_write() {
  WEFT_TRY(check_usable());
  if (in_txn_) return make_error(Code::kInternal, "sqlite: a write transaction is already open");
  if (!synchronous_full_) WEFT_TRY(exec("PRAGMA synchronous=FULL", "set synchronous for a synced write"));
  synced_txn_ = true;
  auto txn = begin_write();
  if (!txn) end_synced();
  return txn;
}

Result<std::optional<PeerState>> SqliteStore::get_peer(std::string_view peer) {
  WEFT_TRY(check_usable());
  Stmt& s = stmts_->get_peer;
  Using u(s);
  s.bind(1, log_id_);
  sqlite3_bind_text(s.get(), 2, peer.data(), static_cast<int>(peer.size()), SQLITE_STATIC);
  int rc = s.step();
  if (rc == SQLITE_DONE) return std::optional<PeerState>();
  if (rc != SQLITE_ROW) return error(rc, "read peer");
  PeerState p;
  p.acked_cursor = u64(s.i64(0));
  p.attempts = static_cast<uint32_t>(s.i64(1));
  p.next_attempt_ms = u64(s.i64(2));
  return std::optional<PeerState>(p);
}

SqliteTxn::~SqliteTxn() {
  if (!open_) return;
  // The fence goes back before the write lock is released: no other
  // connection can have minted meanwhile. Should this fail, the fence stays
  // ahead of the store, which the next open reads as a copy: safe.
  if (fence_before_) (void)s_.fence_.write_raw(s_.log_id_, *fence_before_);
  Stmt& s = s_.stmts_->rollback;
  s.step();
  s.done();
  s_.end_synced();
  // Actor numbers handed out inside the rolled-back transaction are void.
  for (const ActorId& a : s_.pending_actors_) s_.actor_nos_.erase(a);
  s_.actors_.resize(s_.actors_.size() - s_.pending_actors_.size());
  s_.pending_actors_.clear();
  s_.cache_.reset();
  s_.in_txn_ = false;
}

Result<std::optional<LogHeader>> SqliteTxn::refresh() {
  auto v = s_.data_version();
  WEFT_TRY(v);
  if (v.value() == s_.seen_version_) return std::optional<LogHeader>();
  // Another connection committed: reload inside this transaction, which now
  // holds the write lock, so what we read is what we will write over.
  auto h = s_.load();
  WEFT_TRY(h);
  return std::optional<LogHeader>(std::move(h.value()));
}

Result<int64_t> SqliteTxn::number(const ActorId& actor) {
  auto found = s_.actor_no(actor);
  WEFT_TRY(found);
  if (found.value()) return *found.value();
  // A new actor gets the next number, inside this transaction (a rollback
  // forgets it again).
  Stmt& a = s_.stmts_->insert_actor_no;
  Using ua(a);
  const auto n = static_cast<int64_t>(s_.actors_.size());
  a.bind(1, s_.log_id_);
  a.bind(2, n);
  a.bind(3, actor.bytes);
  int rc = a.step();
  if (rc != SQLITE_DONE) return s_.write_error(rc, "insert actor " + actor.hex());
  s_.actors_.push_back(actor);
  s_.actor_nos_.emplace(actor, n);
  s_.pending_actors_.push_back(actor);
  return n;
}

Status SqliteTxn::put_op(const Op& op, const Hash& hash, uint64_t cursor) {
  if (WEFT_FAULT("store.write")) return make_error(Code::kIoError, "fault injected: store.write");
  auto no = number(op.id.actor);
  WEFT_TRY(no);
  uint8_t deps_buf[24 * 8];
  std::vector<uint8_t> deps_big;
  std::span<uint8_t> deps;
  if (op.deps.size() <= 8) {
    deps = std::span(deps_buf, 24 * op.deps.size());
  } else {
    deps_big.resize(24 * op.deps.size());
    deps = deps_big;
  }
  for (size_t i = 0; i < op.deps.size(); ++i) {
    std::memcpy(deps.data() + 24 * i, op.deps[i].actor.bytes.data(), 16);
    for (int k = 0; k < 8; ++k) deps[24 * i + 16 + k] = static_cast<uint8_t>(op.deps[i].counter >> (8 * k));
  }
  Stmt& s = s_.stmts_->insert_op;
  Using u(s);
  s.bind(1, s_.log_id_);
  s.bind(2, s64(cursor));
  s.bind(3, no.value());
  s.bind(4, s64(op.id.counter));
  s.bind(5, s64(op.lamport));
  s.bind(6, static_cast<int64_t>(op.kind));
  s.bind(7, op.timestamp_ms);
  const Sealing* sealed = nullptr;
  for (const Sealing& c : sealing_) {
    if (c.actor_no == no.value() && op.id.counter >= c.first && op.id.counter <= c.last) {
      sealed = &c;
    }
  }
  if (sealed != nullptr) {  // the chunk holds its deps and payload
    s.bind_null(8);
    s.bind_null(9);
    s.bind(11, s64(sealed->index));
  } else {
    if (deps.empty()) {
      s.bind_null(8);
    } else {
      s.bind(8, deps);
    }
    s.bind(9, op.payload);
    s.bind_null(11);
  }
  s.bind(10, hash);
  int rc = s.step();
  if (rc != SQLITE_DONE) return s_.write_error(rc, "insert op " + op.id.to_string());
  return Status::ok();
}

Status SqliteTxn::put_actor(const ActorState& a) {
  if (WEFT_FAULT("store.write")) return make_error(Code::kIoError, "fault injected: store.write");
  auto no = number(a.actor);
  WEFT_TRY(no);
  Stmt& s = s_.stmts_->put_actor;
  Using u(s);
  s.bind(1, s_.log_id_);
  s.bind(2, no.value());
  s.bind(3, s64(a.max_counter));
  s.bind(4, s64(a.last_lamport));
  s.bind(5, s64(a.covered));
  s.bind(6, s64(a.sealed_chunks));
  s.bind(7, s64(a.sealed_upto));
  s.bind(8, a.last_chunk_digest);
  s.bind(9, s64(a.chain_upto));
  s.bind(10, a.chain);
  int rc = s.step();
  if (rc != SQLITE_DONE) return s_.write_error(rc, "update actor " + a.actor.hex());
  return Status::ok();
}

Status SqliteTxn::put_header(uint64_t cursor, uint32_t epoch) {
  if (WEFT_FAULT("store.write")) return make_error(Code::kIoError, "fault injected: store.write");
  Stmt& s = s_.stmts_->put_header;
  Using u(s);
  s.bind(1, s_.log_id_);
  s.bind(2, s64(cursor));
  s.bind(3, static_cast<int64_t>(epoch));
  int rc = s.step();
  if (rc != SQLITE_DONE) return s_.write_error(rc, "update log header");
  return Status::ok();
}

Status SqliteTxn::put_local_actor(const ActorId& actor) {
  Stmt& s = s_.stmts_->put_local_actor;
  Using u(s);
  s.bind(1, s_.log_id_);
  s.bind(2, actor.bytes);
  int rc = s.step();
  if (rc != SQLITE_DONE) return s_.write_error(rc, "set local actor");
  return Status::ok();
}

Status SqliteTxn::put_chunk(const SealRecord& seal, std::span<const uint8_t> bytes) {
  if (WEFT_FAULT("store.write")) return make_error(Code::kIoError, "fault injected: store.write");
  auto numbered = number(seal.actor);  // a chunk may come before its ops
  WEFT_TRY(numbered);
  const std::optional<int64_t> no = numbered.value();
  sealing_.push_back(Sealing{*no, seal.index, seal.first, seal.last});
  {
    Stmt& s = s_.stmts_->insert_chunk;
    Using u(s);
    s.bind(1, s_.log_id_);
    s.bind(2, *no);
    s.bind(3, s64(seal.index));
    s.bind(4, s64(seal.first));
    s.bind(5, s64(seal.last));
    s.bind(6, seal.prev_digest);
    s.bind(7, seal.digest);
    s.bind(8, bytes);
    int rc = s.step();
    if (rc != SQLITE_DONE) return s_.write_error(rc, "insert chunk");
  }
  Stmt& s = s_.stmts_->seal_rows;
  Using u(s);
  s.bind(1, s_.log_id_);
  s.bind(2, *no);
  s.bind(3, s64(seal.index));
  s.bind(4, s64(seal.first));
  s.bind(5, s64(seal.last));
  int rc = s.step();
  if (rc != SQLITE_DONE) return s_.write_error(rc, "seal rows");
  return Status::ok();
}

Status SqliteTxn::put_peer(std::string_view peer, const PeerState& p) {
  if (WEFT_FAULT("store.write")) return make_error(Code::kIoError, "fault injected: store.write");
  Stmt& s = s_.stmts_->put_peer;
  Using u(s);
  s.bind(1, s_.log_id_);
  sqlite3_bind_text(s.get(), 2, peer.data(), static_cast<int>(peer.size()), SQLITE_STATIC);
  s.bind(3, s64(p.acked_cursor));
  s.bind(4, static_cast<int64_t>(p.attempts));
  s.bind(5, s64(p.next_attempt_ms));
  int rc = s.step();
  if (rc != SQLITE_DONE) return s_.write_error(rc, "write peer state");
  return Status::ok();
}

Status SqliteTxn::put_fence(const WriterFence& fence) {
  if (s_.special_) return Status::ok();
  if (!fence_before_) {
    auto before = s_.fence_.read_raw(s_.log_id_);
    WEFT_TRY(before);
    fence_before_ = before.value();
  }
  return s_.fence_.write(s_.log_id_, fence);
}

Status SqliteTxn::commit() {
  if (!open_) return make_error(Code::kInternal, "sqlite: transaction already finished");
  if (WEFT_FAULT("store.commit")) {
    return make_error(Code::kIoError, "fault injected: store.commit");  // destructor rolls back
  }
  Stmt& s = s_.stmts_->commit;
  int rc = s.step();
  s.done();
  if (rc != SQLITE_DONE) return s_.write_error(rc, "commit");
  open_ = false;
  s_.in_txn_ = false;
  s_.end_synced();
  s_.pending_actors_.clear();
  // seen_version_ needs no update: refresh() set it inside this
  // transaction, no other connection can commit while we hold the write
  // lock, and our own commit does not change data_version. Reading it again
  // here would be wrong: another process may commit right after our COMMIT,
  // and its change would be taken as already seen.
  if (WEFT_FAULT("store.after_commit")) {
    return make_error(Code::kIoError, "fault injected: store.after_commit");
  }
  return Status::ok();
}

}  // namespace

Result<std::unique_ptr<LogStore>> open_sqlite_store(const std::string& path,
                                                    const SqliteOptions& options) {
  return SqliteStore::open(path, options);
}

Result<int64_t> sqlite_store_pragma(LogStore& store, std::string_view name) {
  auto* s = dynamic_cast<SqliteStore*>(&store);
  if (s == nullptr) return make_error(Code::kInvalidArgument, "not a SQLite store");
  return s->pragma(name);
}

Result<std::unique_ptr<Log>> open_sqlite_log(const std::string& path, const SqliteOptions& sqlite,
                                             LogOptions options) {
  auto store = open_sqlite_store(path, sqlite);
  WEFT_TRY(store);
  auto log = Log::open(std::move(store.value()), std::move(options));
  WEFT_TRY(log);
  // With create the open may write: the writer is recorded now, so a
  // reopen keeps it. Without create it waits for the first append.
  if (sqlite.create) WEFT_TRY(log.value()->record_writer());
  return log;
}

}  // namespace weft
