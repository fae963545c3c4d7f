// weft: the SQLite store, the embedded default (docs/storage.md).
//
// One database file holds any number of named logs. WAL journal,
// synchronous=NORMAL by default (FULL as an option), busy_timeout,
// foreign_keys=ON, BEGIN IMMEDIATE for every write transaction. Opening is
// O(actors); ops are read by range, never loaded whole.
//
// Thread-safety: one thread at a time per store (the Log serialises it).
// Several stores, in one process or many, may open the same file.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "weft/log.hpp"
#include "weft/store.hpp"

namespace weft {

inline constexpr uint32_t kSqliteSchemaVersion = 1;

struct SqliteOptions {
  // The log within the file; created on first open.
  std::string log_name = "main";
  // synchronous=FULL: an OK survives power loss, not only a process crash.
  bool synchronous_full = false;
  // How long a writer waits for another writer's lock before BUSY.
  uint32_t busy_timeout_ms = 5000;
  // Create the file (and the log) if missing; otherwise NOT_FOUND. Without
  // create, opening never writes: no schema, no migration, no log, no
  // journal switch (an empty file is NOT_FOUND and stays empty).
  bool create = true;
  // Let `path` be one of SQLite's special names (":memory:", a "file:"
  // URI). Off, they are INVALID_ARGUMENT, as an empty path always is.
  bool special_names = false;
};

// Opens (creating if allowed) the database at `path` and the log within it.
// Errors: INVALID_ARGUMENT (an empty path, a special name not asked for),
// NOT_FOUND (no such file or log, or an empty file, and create is false), CORRUPT (not
// a database, or a damaged one), INVALID_ARGUMENT (a database of another
// application), UNSUPPORTED_VERSION (a newer weft schema, naming both
// versions), IO_ERROR, BUSY.
Result<std::unique_ptr<LogStore>> open_sqlite_store(const std::string& path,
                                                    const SqliteOptions& options = {});

// The value of an integer pragma on `store`'s connection (synchronous,
// busy_timeout, foreign_keys, page_count, ...), for diagnostics.
// INVALID_ARGUMENT if `store` is not a SQLite store or `name` is not a
// plain pragma name.
Result<int64_t> sqlite_store_pragma(LogStore& store, std::string_view name);

// open_sqlite_store + Log::open.
Result<std::unique_ptr<Log>> open_sqlite_log(const std::string& path,
                                             const SqliteOptions& sqlite = {},
                                             LogOptions options = {});

}  // namespace weft
