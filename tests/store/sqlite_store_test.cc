// The SQLite store: schema, pragmas, refusal of foreign or newer files,
// durability across reopen, sealing, corruption detection, two writers.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "test_util.hpp"
#include "weft/faults.hpp"
#include "weft/sqlite_store.hpp"

namespace weft {
namespace {

using testing::actor;

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("weft-sqlite-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "log.db").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<Log> open(uint8_t who, SqliteOptions so = {}, LogOptions lo = {}) {
    if (who) lo.actor = actor(who);
    auto log = open_sqlite_log(path_, so, lo);
    EXPECT_TRUE(log.is_ok()) << log.error().to_string();
    return log ? std::move(log.value()) : nullptr;
  }

  // Runs SQL on a separate raw connection; returns the first column of the first row.
  std::string sql(const std::string& q) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 2000);
    sqlite3_stmt* s = nullptr;
    std::string out;
    EXPECT_EQ(sqlite3_prepare_v2(db, q.c_str(), -1, &s, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL) {
      out = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    }
    sqlite3_finalize(s);
    sqlite3_close(db);
    return out;
  }

  // Flips one bit of a stored chunk's bytes, as disk corruption would.
  void flip_chunk_byte(int index, int offset) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    sqlite3_stmt* s = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT bytes FROM chunks WHERE idx = ?", -1, &s, nullptr),
              SQLITE_OK);
    sqlite3_bind_int(s, 1, index);
    ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);
    auto* p = static_cast<const uint8_t*>(sqlite3_column_blob(s, 0));
    std::vector<uint8_t> bytes(p, p + sqlite3_column_bytes(s, 0));
    sqlite3_finalize(s);
    bytes.at(offset) ^= 1;
    ASSERT_EQ(sqlite3_prepare_v2(db, "UPDATE chunks SET bytes = ? WHERE idx = ?", -1, &s, nullptr),
              SQLITE_OK);
    sqlite3_bind_blob(s, 1, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
    sqlite3_bind_int(s, 2, index);
    ASSERT_EQ(sqlite3_step(s), SQLITE_DONE);
    sqlite3_finalize(s);
    sqlite3_close(db);
  }

  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(SqliteStoreTest, SchemaAndPragmasArePersonReadable) {
  auto log = open(1);
  testing::append_n(*log, 3);
  EXPECT_EQ(sql("PRAGMA user_version"), std::to_string(kSqliteSchemaVersion));
  EXPECT_EQ(sql("PRAGMA application_id"), std::to_string(0x57454654));
  EXPECT_EQ(sql("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(sql("SELECT count(*) FROM ops"), "3");
  EXPECT_EQ(sql("SELECT name FROM logs"), "main");
  EXPECT_EQ(sql("SELECT max_counter FROM actors"), "3");
  EXPECT_EQ(sql("SELECT count(*) FROM sqlite_schema WHERE name IN "
                "('logs','actors','ops','chunks','peers')"),
            "5");
}

TEST_F(SqliteStoreTest, ReopenKeepsEverythingAndTheWriterId) {
  Hash digest;
  {
    auto log = open(0);  // no actor given: a random one, stored with the log
    testing::append_n(*log, 10);
    digest = log->digest().value();
  }
  auto log = open(0);
  EXPECT_EQ(log->cursor(), 10u);
  EXPECT_EQ(log->digest().value(), digest);
  auto id = log->append(AppendRequest{});
  ASSERT_TRUE(id.is_ok());
  EXPECT_EQ(id->counter, 11u);  // same writer, counters continue
  EXPECT_TRUE(log->verify().is_ok());
}

TEST_F(SqliteStoreTest, PragmasFollowTheOptions) {
  SqliteOptions full;
  full.synchronous_full = true;
  full.busy_timeout_ms = 1234;
  auto store = open_sqlite_store(path_, full);
  ASSERT_TRUE(store.is_ok());
  EXPECT_EQ(sqlite_store_pragma(*store.value(), "synchronous").value(), 2);  // FULL
  EXPECT_EQ(sqlite_store_pragma(*store.value(), "busy_timeout").value(), 1234);
  EXPECT_EQ(sqlite_store_pragma(*store.value(), "foreign_keys").value(), 1);
  auto normal = open_sqlite_store(path_);
  ASSERT_TRUE(normal.is_ok());
  EXPECT_EQ(sqlite_store_pragma(*normal.value(), "synchronous").value(), 1);  // NORMAL
  EXPECT_EQ(sqlite_store_pragma(*normal.value(), "no_such; DROP TABLE ops").code(),
            Code::kInvalidArgument);
  auto memory = make_memory_store();
  EXPECT_EQ(sqlite_store_pragma(*memory, "synchronous").code(), Code::kInvalidArgument);
}

TEST_F(SqliteStoreTest, NewerSchemaIsUnsupportedNamingBothVersions) {
  { auto log = open(1); }
  sql("PRAGMA user_version = 7");
  auto r = open_sqlite_store(path_);
  ASSERT_EQ(r.code(), Code::kUnsupportedVersion);
  EXPECT_NE(r.error().message.find("7"), std::string::npos);
  EXPECT_NE(r.error().message.find(std::to_string(kSqliteSchemaVersion)), std::string::npos);
}

// Found by the sqlite_open fuzzer: a negative user_version indexed the
// migration table out of bounds.
TEST_F(SqliteStoreTest, NegativeSchemaVersionIsCorrupt) {
  { auto log = open(1); }
  sql("PRAGMA user_version = -33554431");
  auto r = open_sqlite_store(path_);
  ASSERT_EQ(r.code(), Code::kCorrupt);
  EXPECT_NE(r.error().message.find("-33554431"), std::string::npos);
}

TEST_F(SqliteStoreTest, ForeignDatabaseIsRefused) {
  sql("CREATE TABLE notes(x)");
  auto r = open_sqlite_store(path_);
  ASSERT_EQ(r.code(), Code::kInvalidArgument);
  EXPECT_NE(r.error().message.find("not a weft database"), std::string::npos);
  EXPECT_EQ(sql("SELECT count(*) FROM sqlite_schema"), "1");  // untouched
}

TEST_F(SqliteStoreTest, GarbageFileIsCorruptNotACrash) {
  std::ofstream(path_, std::ios::binary) << std::string(8192, '\x5a');
  auto r = open_sqlite_store(path_);
  ASSERT_EQ(r.code(), Code::kCorrupt);
  EXPECT_NE(r.error().message.find(path_), std::string::npos);
}

TEST_F(SqliteStoreTest, MissingFileWithoutCreateIsNotFound) {
  SqliteOptions o;
  o.create = false;
  EXPECT_EQ(open_sqlite_store(path_, o).code(), Code::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(path_));
}

// Opening without create never writes: an empty file stays empty (and can
// still be made a log), a missing log leaves the file as it was.
TEST_F(SqliteStoreTest, OpeningWithoutCreateNeverWrites) {
  { std::ofstream f(path_); }
  SqliteOptions no_create;
  no_create.create = false;
  auto r = open_sqlite_log(path_, no_create);
  ASSERT_EQ(r.code(), Code::kNotFound);
  EXPECT_NE(r.error().message.find("empty"), std::string::npos) << r.error().message;
  EXPECT_EQ(std::filesystem::file_size(path_), 0u);
  EXPECT_FALSE(std::filesystem::exists(path_ + "-wal"));
  {
    auto log = open(1);
    testing::append_n(*log, 2);
  }
  const auto bytes = [&] {
    std::ifstream f(path_, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
  };
  sql("PRAGMA wal_checkpoint(TRUNCATE)");
  const std::string before = bytes();
  no_create.log_name = "other";
  EXPECT_EQ(open_sqlite_log(path_, no_create).code(), Code::kNotFound);
  no_create.log_name = "main";
  {
    auto log = open_sqlite_log(path_, no_create);
    ASSERT_TRUE(log.is_ok()) << log.error().to_string();
    EXPECT_TRUE(log.value()->verify().is_ok());
    EXPECT_TRUE(log.value()->digest().is_ok());
  }
  sql("PRAGMA wal_checkpoint(TRUNCATE)");
  EXPECT_EQ(bytes(), before);
}

// An empty path is SQLite's private temporary database, ":memory:" and
// "file:" URIs are special too: refused unless asked for.
TEST_F(SqliteStoreTest, EmptyAndSpecialPathsAreRefusedUnlessAskedFor) {
  for (const std::string p : {"", ":memory:", "file:x.db?mode=memory"}) {
    auto r = open_sqlite_log(p);
    ASSERT_EQ(r.code(), Code::kInvalidArgument) << p;
    EXPECT_NE(r.error().message.find("sqlite: "), std::string::npos) << r.error().message;
  }
  SqliteOptions special;
  special.special_names = true;
  auto mem = open_sqlite_log(":memory:", special);
  ASSERT_TRUE(mem.is_ok()) << mem.error().to_string();
  EXPECT_TRUE(mem.value()->append(AppendRequest{}).is_ok());
  special.special_names = false;
  EXPECT_EQ(open_sqlite_log("", special).code(), Code::kInvalidArgument);
}

TEST_F(SqliteStoreTest, SeveralLogsInOneFileAreIndependent) {
  SqliteOptions a, b;
  a.log_name = "a";
  b.log_name = "b";
  auto la = open(1, a);
  auto lb = open(2, b);
  testing::append_n(*la, 4);
  testing::append_n(*lb, 2);
  EXPECT_EQ(la->cursor(), 4u);
  EXPECT_EQ(lb->cursor(), 2u);
  EXPECT_EQ(sql("SELECT count(*) FROM logs"), "2");
  EXPECT_EQ(la->get({actor(2), 1}).code(), Code::kNotFound);
}

TEST_F(SqliteStoreTest, AutoSealReplacesRowsByAChunkAtomically) {
  LogOptions lo;
  lo.auto_seal_ops = 100;
  auto log = open(1, {}, lo);
  testing::append_n(*log, 250);
  EXPECT_EQ(sql("SELECT count(*) FROM chunks"), "2");
  EXPECT_EQ(sql("SELECT count(*) FROM ops WHERE payload IS NULL"), "200");
  EXPECT_EQ(sql("SELECT count(*) FROM ops WHERE chunk IS NULL"), "50");
  // Sealed ops read back from their chunk, unchanged.
  auto op = log->get({actor(1), 42});
  ASSERT_TRUE(op.is_ok()) << op.error().to_string();
  EXPECT_EQ(op->op.payload, testing::bytes("op41"));
  auto all = log->read(1, 1000);
  ASSERT_TRUE(all.is_ok());
  EXPECT_EQ(all->size(), 250u);
  auto v = log->verify();
  ASSERT_TRUE(v.is_ok()) << v.error().to_string();
  EXPECT_EQ(v->chunks, 2u);
  // A replica built from the same ops seals the same bytes.
  auto replica = testing::memory_log(2);
  ASSERT_TRUE(replica->merge_from(*log).is_ok());
  auto seals = log->seals(actor(1)).value();
  EXPECT_EQ(replica->seal(actor(1), 100, seals[0].digest).code(), Code::kOk);
}

TEST_F(SqliteStoreTest, FlippedByteInStoredChunkIsCorruptNamingIt) {
  LogOptions lo;
  lo.auto_seal_ops = 50;
  {
    auto log = open(1, {}, lo);
    testing::append_n(*log, 60);
  }
  // Flip one payload byte inside the stored chunk (S43).
  flip_chunk_byte(0, 100);
  auto log = open(1, {}, lo);
  const std::string name = actor(1).hex() + "/0";
  auto op = log->get({actor(1), 3});
  ASSERT_EQ(op.code(), Code::kCorrupt);
  EXPECT_NE(op.error().message.find(name), std::string::npos) << op.error().message;
  auto v = log->verify();
  ASSERT_EQ(v.code(), Code::kCorrupt);
  EXPECT_NE(v.error().message.find(name), std::string::npos);
  // The unsealed tail is still readable.
  EXPECT_TRUE(log->get({actor(1), 55}).is_ok());
}

TEST_F(SqliteStoreTest, FlippedPayloadInTailRowIsCorruptNamingTheOp) {
  {
    auto log = open(1);
    testing::append_n(*log, 5);
  }
  sql("UPDATE ops SET payload = X'00' WHERE counter = 2");
  auto log = open(1);
  auto op = log->get({actor(1), 2});
  ASSERT_EQ(op.code(), Code::kCorrupt);
  EXPECT_NE(op.error().message.find(OpId{actor(1), 2}.to_string()), std::string::npos);
  EXPECT_EQ(log->verify().code(), Code::kCorrupt);
}

TEST_F(SqliteStoreTest, TwoHandlesOnOneFileSeeEachOthersWrites) {
  auto a = open(1);
  auto b = open(2);
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(a->append(AppendRequest{}).is_ok());
    ASSERT_TRUE(b->append(AppendRequest{}).is_ok());
  }
  EXPECT_EQ(a->cursor(), 39u);  // a's view as of its last write
  auto c = open(3);
  EXPECT_EQ(c->cursor(), 40u);
  EXPECT_EQ(c->version_vector().get(actor(1)), 20u);
  EXPECT_EQ(c->version_vector().get(actor(2)), 20u);
  EXPECT_TRUE(c->verify().is_ok());
  // b's ops depend on a's: the handles saw each other inside their transactions.
  EXPECT_EQ(c->get({actor(2), 20})->op.deps.size(), 1u);
}

TEST_F(SqliteStoreTest, SameWriterInTwoHandlesNeverMintsAnIdTwice) {
  auto a = open(1);
  auto b = open(1);
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(a->append(AppendRequest{}).is_ok());
    ASSERT_TRUE(b->append(AppendRequest{}).is_ok());
  }
  auto c = open(1);
  EXPECT_EQ(c->cursor(), 20u);
  EXPECT_EQ(c->version_vector().get(actor(1)), 20u);
}

TEST_F(SqliteStoreTest, BusyTimeoutExhaustedIsRetryableAndLeavesNothingPartial) {
  SqliteOptions quick;
  quick.busy_timeout_ms = 50;
  auto log = open(1, quick);
  testing::append_n(*log, 2);
  sqlite3* holder = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &holder), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(holder, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  auto r = log->append(AppendRequest{});
  ASSERT_EQ(r.code(), Code::kBusy);
  EXPECT_TRUE(code_retryable(r.code()));
  ASSERT_EQ(sqlite3_exec(holder, "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(holder);
  auto again = log->append(AppendRequest{});
  ASSERT_TRUE(again.is_ok());
  EXPECT_EQ(again->counter, 3u);
  EXPECT_EQ(sql("SELECT count(*) FROM ops"), "3");
}

TEST_F(SqliteStoreTest, ApplyAndChunksRoundTripThroughSqlite) {
  auto src = testing::memory_log(5);
  testing::append_n(*src, 30);
  ASSERT_TRUE(src->seal(actor(5), 20).is_ok());
  auto log = open(1);
  auto chunk = src->get_chunk(actor(5), 0).value();
  ASSERT_TRUE(log->put_chunk(chunk.bytes, chunk.seal.digest).is_ok());
  ASSERT_TRUE(log->merge_from(*src).is_ok());
  EXPECT_EQ(log->digest().value(), src->digest().value());
  EXPECT_EQ(log->put_chunk(chunk.bytes).code(), Code::kOk);
  auto forged = decode_chunk(chunk.bytes).value();
  forged.ops[0].kind = 9;
  EXPECT_EQ(log->put_chunk(encode_chunk(forged).value()).code(), Code::kImmutableViolation);
  EXPECT_EQ(sql("PRAGMA integrity_check"), "ok");
}

TEST_F(SqliteStoreTest, PeerStateIsDurableAndNeverMovesBack) {
  {
    auto log = open(1);
    testing::append_n(*log, 5);
    ASSERT_TRUE(log->record_peer("server", PeerState{4, 2, 12345}).is_ok());
    ASSERT_TRUE(log->record_peer("server", PeerState{3, 0, 0}).is_ok());  // a stale ack
  }
  auto log = open(1);
  auto p = log->peer("server");
  ASSERT_TRUE(p.is_ok()) << p.error().to_string();
  EXPECT_EQ(p.value(), (PeerState{4, 0, 0}));
  EXPECT_EQ(log->peer("nobody").value(), PeerState{});
  EXPECT_EQ(sql("SELECT acked_cursor FROM peers WHERE peer = 'server'"), "4");
}

TEST_F(SqliteStoreTest, S22EpochBumpIsSyncedBeforeItIsAcknowledged) {
  if (!faults::fault_injection_enabled()) {
    GTEST_SKIP() << "counts fsyncs through the fault VFS: needs -Dfault_injection=true "
                    "(scripts/test runs it in build/faults)";
  }
  auto log = open(1);
  testing::append_n(*log, 1);
  faults::clear();
  testing::append_n(*log, 3);
  // WAL at synchronous=NORMAL: an ordinary commit does not fsync.
  EXPECT_EQ(faults::count("vfs.sync"), 0u);
  ASSERT_TRUE(log->set_epoch(1).is_ok());
  // The bump runs at synchronous=FULL: the WAL is synced before it returns.
  EXPECT_GE(faults::count("vfs.sync"), 1u);
  EXPECT_EQ(sqlite_store_pragma(log->store_for_testing(), "synchronous").value(), 1);  // NORMAL again
  faults::clear();
  testing::append_n(*log, 1);
  EXPECT_EQ(faults::count("vfs.sync"), 0u);
  // And a failed sync of the bump is an error, never an acknowledgement.
  ASSERT_TRUE(faults::set("vfs.sync:1").is_ok());
  EXPECT_FALSE(log->set_epoch(2).is_ok());
  faults::clear();
  auto reopened = open(1);
  EXPECT_LE(reopened->epoch(), 2u);
  EXPECT_GE(reopened->epoch(), 1u);
}

TEST_F(SqliteStoreTest, ChunkFromAPeerStoresItsOpsSealedAndReadable) {
  LogOptions lo;
  lo.actor = actor(7);
  lo.auto_seal_ops = 10;
  auto source = Log::open_memory(lo).value();
  testing::append_n(*source, 25);
  auto log = open(1);
  for (uint64_t i = 0; i < 2; ++i) {
    auto chunk = source->get_chunk(actor(7), i).value();
    ASSERT_TRUE(log->put_chunk(chunk.bytes).is_ok());
  }
  // The rows of received chunks never held their payloads: the chunk does.
  EXPECT_EQ(sql("SELECT count(*) FROM ops WHERE payload IS NOT NULL OR chunk IS NULL"), "0");
  EXPECT_EQ(sql("SELECT count(*) FROM ops"), "20");
  auto ops = log->read(1, 100).value();
  auto want = source->read(1, 20).value();
  ASSERT_EQ(ops.size(), 20u);
  for (size_t i = 0; i < ops.size(); ++i) EXPECT_EQ(ops[i].op, want[i].op);
  auto v = log->verify();
  ASSERT_TRUE(v.is_ok()) << v.error().to_string();
  EXPECT_EQ(v->chunks, 2u);
}

TEST_F(SqliteStoreTest, ACursorPastTheStoredOpsIsCorruptNotAnEndlessScan) {
  {
    auto log = open(1);
    testing::append_n(*log, 3);
  }
  // A damaged header claims a thousand billion ops (the sqlite_open fuzzer
  // found a file like this: verify paged through the empty range for
  // minutes, one read transaction per 4,096 cursors).
  sql("UPDATE logs SET cursor = 1000000000000000");
  auto log = open(1);
  auto v = log->verify();
  ASSERT_EQ(v.code(), Code::kCorrupt);
  EXPECT_NE(v.error().message.find("no op is stored at cursor 4"), std::string::npos)
      << v.error().message;
  EXPECT_EQ(log->canonical_order().code(), Code::kCorrupt);
  EXPECT_EQ(log->diff(VersionVector{}).code(), Code::kCorrupt);
}

TEST_F(SqliteStoreTest, VerifyRunsSqlitesIntegrityCheckOnTheIdIndex) {
  {
    auto log = open(1);
    testing::append_n(*log, 200);
  }
  // Damage a page of the id index only: every row still reads by cursor and
  // hashes right, so walking the ops alone would call this file sound (the
  // sqlite_open fuzzer found such a file, and an append then failed).
  const int root = std::stoi(sql("SELECT rootpage FROM sqlite_master WHERE name = 'ops_by_id'"));
  const int page = std::stoi(sql("PRAGMA page_size"));
  {
    std::fstream f(path_, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(page) * (root - 1) + 8);
    const char junk[32] = {'\x7f', '\x01', '\x7f', '\x01'};
    f.write(junk, sizeof junk);
  }
  auto log = open(1);
  auto v = log->verify();
  ASSERT_EQ(v.code(), Code::kCorrupt);
  EXPECT_NE(v.error().message.find("integrity check"), std::string::npos) << v.error().message;
  EXPECT_EQ(v.error().message.find('\n'), std::string::npos) << v.error().message;
}

// verify checks what the engine relies on, not only hashes: each edit below
// leaves every op hashing right, and each once made the next append fail,
// the digest change, or `cat` list an op before its dependency.
TEST_F(SqliteStoreTest, VerifyFindsStateThatDisagreesWithTheOps) {
  struct Case {
    const char* what;
    std::vector<std::string> edits;
    const char* expect;
  };
  // Cursors 1-3: (1,1..3); 4-9: (2,1..6); 10-12: (1,4..6), (1,4) depending on (2,6).
  const std::string actor2 = "(SELECT actor_no FROM actors WHERE max_counter = 6 AND "
                             "actor_no NOT IN (SELECT actor_no FROM ops WHERE cursor = 1))";
  const std::vector<Case> cases = {
      {"cursor lowered", {"UPDATE logs SET cursor = cursor - 5"}, "past the log's cursor 7"},
      {"max_counter lowered", {"UPDATE actors SET max_counter = 5 WHERE actor_no = " + actor2},
       "max_counter is 5, its ops say 6"},
      {"last_lamport changed",
       {"UPDATE actors SET last_lamport = last_lamport + 1 WHERE actor_no = " + actor2},
       "last_lamport"},
      {"an actor's ops swapped",
       {"UPDATE ops SET cursor = -1 WHERE cursor = 1", "UPDATE ops SET cursor = 1 WHERE cursor = 2",
        "UPDATE ops SET cursor = 2 WHERE cursor = -1"},
       "follows counter 0 of its actor"},
      {"a dependency after its dependent",
       {"UPDATE ops SET cursor = -1 WHERE cursor = 9", "UPDATE ops SET cursor = 9 WHERE cursor = 10",
        "UPDATE ops SET cursor = 10 WHERE cursor = -1"},
       "is not at an earlier cursor"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    std::filesystem::remove(path_);
    std::filesystem::remove(path_ + "-wal");
    std::filesystem::remove(path_ + "-shm");
    std::filesystem::remove(path_ + "-weft");
    {
      auto other = testing::memory_log(2);
      testing::append_n(*other, 6);
      auto log = open(1);
      testing::append_n(*log, 3);
      ASSERT_TRUE(log->merge_from(*other).is_ok());
      testing::append_n(*log, 3);
      auto v = log->verify();
      ASSERT_TRUE(v.is_ok()) << v.error().to_string();
      EXPECT_EQ(v->ops, 12u);
    }
    for (const std::string& e : c.edits) sql(e);
    auto log = open(1);
    auto v = log->verify();
    ASSERT_EQ(v.code(), Code::kCorrupt);
    EXPECT_NE(v.error().message.find(c.expect), std::string::npos) << v.error().message;
  }
}

// Ops stored past the header's cursor (a torn or edited header) are found,
// not skipped as if they did not exist.
TEST_F(SqliteStoreTest, VerifyFindsOpsPastTheCursor) {
  {
    auto log = open(1);
    testing::append_n(*log, 4);
  }
  sql("UPDATE logs SET cursor = 3");
  auto log = open(1);
  auto v = log->verify();
  ASSERT_EQ(v.code(), Code::kCorrupt);
  EXPECT_NE(v.error().message.find("stored at cursor 4, past the log's cursor 3"),
            std::string::npos)
      << v.error().message;
}

// Copies and restores (docs/storage.md, "Copies and restores"). Files are
// copied whole, closed, as a person or a backup tool would copy them.
class SqliteCopyTest : public SqliteStoreTest {
 protected:
  std::string at(const std::string& name) { return (dir_ / name).string(); }
  std::unique_ptr<Log> open_at(const std::string& path) {
    auto log = open_sqlite_log(path);
    EXPECT_TRUE(log.is_ok()) << log.error().to_string();
    return log ? std::move(log.value()) : nullptr;
  }
  static void copy_file(const std::string& from, const std::string& to) {
    std::filesystem::copy_file(from, to, std::filesystem::copy_options::overwrite_existing);
  }
  static void append(Log& log, int n, const std::string& tag) {
    for (int i = 0; i < n; ++i) {
      const std::string text = tag + std::to_string(i);
      AppendRequest r;
      r.payload = std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size());
      ASSERT_TRUE(log.append(r).is_ok());
    }
  }
  // Every payload of `log`, as a set: what "no op lost" is checked against.
  static std::set<std::string> payloads(Log& log) {
    std::set<std::string> out;
    for (const StoredOp& s : log.read(1, SIZE_MAX).value()) {
      out.insert(std::string(s.op.payload.begin(), s.op.payload.end()));
    }
    return out;
  }
  // a.db writes 5 ops and syncs with b.db; a backup of a.db is taken (with
  // its fence if `with_fence`); a.db writes 5 more and syncs; the backup is
  // put back as a.db. Returns a.db's writer before the restore.
  ActorId restore_after_a_second_round(bool with_fence) {
    const std::string a = at("a.db"), b = at("b.db"), backup = at("backup.db");
    ActorId original;
    for (const char* round : {"first", "second"}) {
      auto la = open_at(a);
      auto lb = open_at(b);
      original = la->actor();
      append(*la, 5, round);
      sync(*la, *lb);
      if (round == std::string("first")) {
        la.reset();
        copy_file(a, backup);
        if (with_fence) copy_file(a + "-weft", backup + "-weft");
      }
    }
    copy_file(backup, a);
    if (with_fence) copy_file(backup + "-weft", a + "-weft");
    return original;
  }
  // Both ways, as a sync does; every apply must be clean.
  static void sync(Log& x, Log& y) {
    for (auto [to, from] : {std::pair{&x, &y}, std::pair{&y, &x}}) {
      auto m = to->merge_from(*from);
      ASSERT_TRUE(m.is_ok()) << m.error().to_string();
      EXPECT_EQ(m->rejected, 0u);
    }
  }
};

TEST_F(SqliteCopyTest, ACopiedFileMintsUnderAFreshWriter) {
  const std::string a = at("a.db"), c = at("c.db"), b = at("b.db");
  ActorId original;
  {
    auto la = open_at(a);
    original = la->actor();
    append(*la, 5, "a");
  }
  copy_file(a, c);
  auto la = open_at(a);
  auto lc = open_at(c);
  auto lb = open_at(b);
  EXPECT_EQ(la->actor(), original);
  EXPECT_NE(lc->actor(), original);
  ASSERT_TRUE(lc->writer().retired.has_value());
  EXPECT_EQ(*lc->writer().retired, original);
  append(*la, 3, "a-after");
  append(*lc, 3, "c-after");
  append(*lb, 2, "b");
  sync(*la, *lc);
  sync(*lc, *lb);
  sync(*la, *lb);
  const Hash d = la->digest().value();
  EXPECT_EQ(lb->digest().value(), d);
  EXPECT_EQ(lc->digest().value(), d);
  const auto all = payloads(*la);
  EXPECT_EQ(all.size(), 13u);
  EXPECT_EQ(payloads(*lb), all);
  EXPECT_EQ(payloads(*lc), all);
  for (Log* l : {la.get(), lb.get(), lc.get()}) EXPECT_TRUE(l->verify().is_ok());
}

TEST_F(SqliteCopyTest, ARestoredFileMintsUnderAFreshWriter) {
  // The restore: the fence beside a.db says 10, the file 5.
  const ActorId original = restore_after_a_second_round(/*with_fence=*/false);
  auto la = open_at(at("a.db"));
  EXPECT_NE(la->actor(), original);
  append(*la, 3, "restored");
  auto lb = open_at(at("b.db"));
  sync(*la, *lb);
  EXPECT_EQ(la->digest().value(), lb->digest().value());
  EXPECT_EQ(payloads(*la).size(), 13u);
  EXPECT_EQ(payloads(*la), payloads(*lb));
  EXPECT_EQ(la->held(original), 10u);
  EXPECT_TRUE(la->verify().is_ok());
}

// A restore whose fence came back with it is not caught at open; the first
// peer that holds more of the writer stops it from minting again under it.
TEST_F(SqliteCopyTest, APeerHoldingMoreOfTheWriterRetiresIt) {
  const ActorId original = restore_after_a_second_round(/*with_fence=*/true);
  auto la = open_at(at("a.db"));
  EXPECT_EQ(la->actor(), original);  // nothing beside the file tells it apart
  auto lb = open_at(at("b.db"));
  sync(*la, *lb);
  EXPECT_NE(la->actor(), original);
  EXPECT_EQ(*la->writer().retired, original);
  append(*la, 3, "restored");
  sync(*la, *lb);
  EXPECT_EQ(la->digest().value(), lb->digest().value());
  EXPECT_EQ(payloads(*la).size(), 13u);
  // The retirement is durable: a reopen does not mint under the old writer.
  const ActorId fresh = la->actor();
  la.reset();
  EXPECT_EQ(open_at(at("a.db"))->actor(), fresh);
}

// An explicit writer id is the caller's: it is never replaced, but minting
// under it from a copy answers CONFLICT instead of equivocating.
TEST_F(SqliteCopyTest, AnExplicitWriterOnARestoredFileRefusesToMint) {
  const std::string a = at("a.db"), backup = at("backup.db");
  LogOptions mine;
  mine.actor = actor(7);
  {
    auto la = open_sqlite_log(a, {}, mine).value();
    append(*la, 2, "x");
  }
  copy_file(a, backup);
  {
    auto la = open_sqlite_log(a, {}, mine).value();
    append(*la, 2, "y");
  }
  copy_file(backup, a);
  auto la = open_sqlite_log(a, {}, mine);
  ASSERT_EQ(la.code(), Code::kConflict);
  EXPECT_NE(la.error().message.find("copied or restored"), std::string::npos)
      << la.error().message;
  SqliteOptions no_create;
  no_create.create = false;
  auto reader = open_sqlite_log(a, no_create, mine);
  ASSERT_TRUE(reader.is_ok()) << reader.error().to_string();
  EXPECT_EQ(reader.value()->append(AppendRequest{}).code(), Code::kConflict);
  EXPECT_EQ(reader.value()->cursor(), 2u);
}

}  // namespace
}  // namespace weft
