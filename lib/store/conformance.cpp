// The storage conformance kit (include/weft/conformance.hpp).
#include "weft/conformance.hpp"

#include <sqlite3.h>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <set>
#include <thread>

#include "weft/log.hpp"
#include "weft/policy.hpp"
#include "weft/sqlite_store.hpp"

namespace weft::conformance {
namespace {

// Thrown inside a scenario to stop it with a diagnostic; caught by run().
struct Failed {
  std::string why;
};

void expect(bool ok, const std::string& why) {
  if (!ok) throw Failed{why};
}

template <typename T>
T must(Result<T> r, const std::string& what) {
  if (!r) throw Failed{what + ": " + r.error().to_string()};
  return std::move(r).value();
}

void must(Status s, const std::string& what) {
  if (!s) throw Failed{what + ": " + s.error().to_string()};
}

ActorId actor_n(uint8_t n) {
  ActorId a;
  a.bytes.fill(static_cast<uint8_t>(0xc0 + n));
  a.bytes[15] = n;
  return a;
}

std::unique_ptr<Log> open_log(Backend& b, uint8_t who, uint64_t seal = 0) {
  LogOptions o;
  o.actor = actor_n(who);
  o.auto_seal_ops = seal;
  return must(Log::open(must(b.open(), "open store"), o), "open log");
}

void append(Log& log, int n, const std::string& tag) {
  for (int i = 0; i < n; ++i) {
    std::string p = tag + std::to_string(i);
    AppendRequest r;
    r.payload = std::span(reinterpret_cast<const uint8_t*>(p.data()), p.size());
    r.timestamp_ms = i;
    must(log.append(r), "append " + p);
  }
}

// Fails the k-th write call (put_*, commit) of every transaction it begins,
// counting across transactions, with IO_ERROR.
class FailingStore final : public LogStore {
 public:
  FailingStore(std::unique_ptr<LogStore> inner, int fail_at)
      : inner_(std::move(inner)), fail_at_(fail_at) {}

  Result<LogHeader> load() override { return inner_->load(); }
  Result<std::optional<OpMeta>> op_meta(const OpId& id) override { return inner_->op_meta(id); }
  Result<std::optional<StoredOp>> get_op(const OpId& id) override { return inner_->get_op(id); }
  Status read_range(uint64_t from, size_t max, std::vector<StoredOp>& out) override {
    return inner_->read_range(from, max, out);
  }
  Status read_actor(const ActorId& a, uint64_t first, size_t max,
                    std::vector<StoredOp>& out) override {
    return inner_->read_actor(a, first, max, out);
  }
  Result<std::optional<StoredChunk>> get_chunk(const ActorId& a, uint64_t i) override {
    return inner_->get_chunk(a, i);
  }
  Result<std::optional<PeerState>> get_peer(std::string_view peer) override {
    return inner_->get_peer(peer);
  }
  Result<std::unique_ptr<StoreTxn>> begin_write() override {
    auto t = inner_->begin_write();
    WEFT_TRY(t);
    return std::unique_ptr<StoreTxn>(new Txn(*this, std::move(t.value())));
  }
  int calls() const { return calls_; }
  std::string failed_at() const { return failed_at_; }

 private:
  class Txn final : public StoreTxn {
   public:
    Txn(FailingStore& s, std::unique_ptr<StoreTxn> inner) : s_(s), inner_(std::move(inner)) {}
    Result<std::optional<LogHeader>> refresh() override { return inner_->refresh(); }
    Status put_op(const Op& op, const Hash& h, uint64_t c) override {
      WEFT_TRY(s_.tick("put_op"));
      return inner_->put_op(op, h, c);
    }
    Status put_actor(const ActorState& a) override {
      WEFT_TRY(s_.tick("put_actor"));
      return inner_->put_actor(a);
    }
    Status put_header(uint64_t c, uint32_t e) override {
      WEFT_TRY(s_.tick("put_header"));
      return inner_->put_header(c, e);
    }
    Status put_local_actor(const ActorId& a) override {
      WEFT_TRY(s_.tick("put_local_actor"));
      return inner_->put_local_actor(a);
    }
    Status put_chunk(const SealRecord& r, std::span<const uint8_t> b) override {
      WEFT_TRY(s_.tick("put_chunk"));
      return inner_->put_chunk(r, b);
    }
    Status put_peer(std::string_view p, const PeerState& st) override {
      WEFT_TRY(s_.tick("put_peer"));
      return inner_->put_peer(p, st);
    }
    Status commit() override {
      WEFT_TRY(s_.tick("commit"));
      return inner_->commit();
    }

   private:
    FailingStore& s_;
    std::unique_ptr<StoreTxn> inner_;
  };

  Status tick(const char* what) {
    if (++calls_ == fail_at_) {
      failed_at_ = what;
      return make_error(Code::kIoError, std::string("injected failure at ") + what);
    }
    return Status::ok();
  }

  std::unique_ptr<LogStore> inner_;
  int fail_at_;
  int calls_ = 0;
  std::string failed_at_;
};

struct Snapshot {
  uint64_t cursor;
  Hash digest;
  VersionVector vv;
  bool operator==(const Snapshot&) const = default;
};

Snapshot snapshot(Log& log) {
  return {log.cursor(), must(log.digest(), "digest"), log.version_vector()};
}

// A batch of `n` new ops by `writer`, as a peer would send them.
Batch fresh_batch(Log& writer, int n, const std::string& tag) {
  const uint64_t from = writer.cursor() + 1;
  append(writer, n, tag);
  Batch b;
  for (auto& s : must(writer.read(from, n), "read writer")) b.ops.push_back(std::move(s.op));
  return b;
}

void atomicity(const BackendFactory& factory) {
  auto backend = must(factory(), "create backend");
  auto writer = must(Log::open_memory(), "open writer");
  { open_log(*backend, 1); }  // create the log and its header
  // Every write call of one apply, failed in turn: nothing of the batch may
  // stick, and the same batch must apply afterwards.
  for (int k = 1; k < 64; ++k) {
    Batch batch = fresh_batch(*writer, 5, "k" + std::to_string(k) + "-");
    Snapshot before;
    {
      auto log = open_log(*backend, 1);
      before = snapshot(*log);
    }
    LogOptions o;
    o.actor = actor_n(1);
    o.auto_seal_ops = 0;
    auto failing = std::make_unique<FailingStore>(must(backend->open(), "open store"), k);
    FailingStore* probe = failing.get();
    auto log = must(Log::open(std::move(failing), o), "open log");
    auto ack = log->apply(batch);
    if (ack) {
      expect(probe->calls() < k, "apply succeeded although write call " + std::to_string(k) +
                                     " failed");
      expect(ack->applied.size() == batch.ops.size(), "apply without failure applied " +
                                                          std::to_string(ack->applied.size()));
      return;  // k is past the last write call: every call has been failed once
    }
    const std::string where = probe->failed_at();
    expect(ack.code() == Code::kIoError,
           "failure at " + where + " answered " + ack.error().to_string());
    log.reset();  // frees the FailingStore `probe` points into
    auto reopened = open_log(*backend, 1);
    expect(snapshot(*reopened) == before,
           "state changed after a failure injected at " + where + " (write call " +
               std::to_string(k) + ")");
    auto retry = must(reopened->apply(batch), "retry after failure");
    expect(retry.applied.size() == batch.ops.size(),
           "retry after failure at " + where + " applied " +
               std::to_string(retry.applied.size()) + " of " + std::to_string(batch.ops.size()));
  }
  throw Failed{"apply issued more than 63 write calls for a 5-op batch"};
}

void chunk_immutability(const BackendFactory& factory) {
  auto backend = must(factory(), "create backend");
  SealRecord seal;
  std::vector<uint8_t> bytes;
  {
    auto log = open_log(*backend, 1);
    append(*log, 10, "c");
    seal = must(log->seal(actor_n(1), 6), "seal");
    bytes = must(log->get_chunk(actor_n(1), 0), "get chunk").bytes;
    expect(blake2b_256(bytes) == seal.digest, "stored chunk bytes do not match their digest");
    expect(must(log->put_chunk(bytes), "put same bytes") == seal, "same bytes answered another seal");
    auto forged = must(decode_chunk(bytes), "decode chunk");
    forged.ops[0].timestamp_ms += 1;
    auto r = log->put_chunk(must(encode_chunk(forged), "encode"));
    expect(r.code() == Code::kImmutableViolation,
           "other bytes for a sealed chunk answered " +
               (r ? std::string("OK") : r.error().to_string()));
  }
  auto log = open_log(*backend, 1);
  expect(must(log->get_chunk(actor_n(1), 0), "get chunk after reopen").bytes == bytes,
         "sealed chunk bytes changed");
  must(log->verify(), "verify");
}

void range_read_ordering(const BackendFactory& factory) {
  auto backend = must(factory(), "create backend");
  auto log = open_log(*backend, 1);
  std::vector<std::unique_ptr<Log>> peers;
  for (uint8_t p = 2; p <= 4; ++p) peers.push_back(must(Log::open_memory({actor_n(p), {}, 0}), "peer"));
  for (int round = 0; round < 12; ++round) {
    Log& peer = *peers[round % peers.size()];
    must(peer.merge_from(*log), "peer catches up");
    append(peer, 7, "r");
    must(log->merge_from(peer), "merge peer");
    append(*log, 3, "l");
  }
  const uint64_t n = log->cursor();
  auto store = must(backend->open(), "open store");
  std::vector<StoredOp> all;
  for (uint64_t from = 1; from <= n; from += 7) {
    const size_t before = all.size();
    must(store->read_range(from, 7, all), "read range");
    expect(all.size() - before == std::min<uint64_t>(7, n - from + 1), "short page at " + std::to_string(from));
  }
  std::map<OpId, uint64_t> cursor_of;
  for (size_t i = 0; i < all.size(); ++i) {
    expect(all[i].cursor == i + 1, "cursor " + std::to_string(all[i].cursor) + " at position " +
                                       std::to_string(i + 1));
    cursor_of[all[i].op.id] = all[i].cursor;
  }
  for (const StoredOp& s : all) {
    for (const OpId& d : s.op.deps) {
      expect(cursor_of.count(d) && cursor_of[d] < s.cursor,
             "op " + s.op.id.to_string() + " precedes its dependency " + d.to_string());
    }
  }
  // Keys are the same ops, in the same order, paged the same way.
  auto key_of = [](const StoredOp& s) { return OpKey{s.op.id, s.op.lamport, s.hash, s.cursor}; };
  std::vector<OpKey> keys;
  for (uint64_t from = 1; from <= n; from += 7) must(store->read_range_keys(from, 7, keys), "read range keys");
  expect(keys.size() == all.size(), "read_range_keys found " + std::to_string(keys.size()) +
                                        " ops, read_range " + std::to_string(all.size()));
  for (size_t i = 0; i < keys.size() && i < all.size(); ++i) {
    expect(keys[i] == key_of(all[i]), "read_range_keys differs from read_range at cursor " +
                                          std::to_string(i + 1));
  }
  for (uint8_t p = 1; p <= 4; ++p) {
    std::vector<StoredOp> mine;
    must(store->read_actor(actor_n(p), 1, SIZE_MAX, mine), "read actor");
    for (size_t i = 0; i < mine.size(); ++i) {
      expect(mine[i].op.id.counter == i + 1, "read_actor out of order for actor " + std::to_string(p));
    }
    std::vector<OpKey> mine_keys;
    must(store->read_actor_keys(actor_n(p), 2, SIZE_MAX, mine_keys), "read actor keys");
    expect(mine_keys.size() + 1 == mine.size(), "read_actor_keys from counter 2 found " +
                                                    std::to_string(mine_keys.size()) + " ops");
    for (size_t i = 0; i < mine_keys.size() && i + 1 < mine.size(); ++i) {
      expect(mine_keys[i] == key_of(mine[i + 1]), "read_actor_keys differs from read_actor for actor " +
                                                      std::to_string(p));
    }
  }
  std::vector<StoredOp> past;
  must(store->read_range(n + 1, 10, past), "read past the end");
  expect(past.empty(), "read past the end returned ops");
  must(store->read_range_keys(n + 1, 10, keys), "read keys past the end");
  expect(keys.size() == all.size(), "read keys past the end returned ops");
}

void durability(const BackendFactory& factory) {
  auto backend = must(factory(), "create backend");
  Snapshot before;
  std::vector<OpId> heads;
  {
    auto log = open_log(*backend, 1, 40);
    append(*log, 100, "d");
    auto peer = must(Log::open_memory({actor_n(2), {}, 0}), "peer");
    append(*peer, 20, "p");
    must(log->merge_from(*peer), "merge");
    before = snapshot(*log);
    heads = log->heads();
  }
  LogOptions o;  // no actor given: the stored one must come back
  auto log = must(Log::open(must(backend->open(), "reopen"), o), "reopen log");
  expect(log->actor() == actor_n(1), "the writer id was not kept across reopen");
  expect(snapshot(*log) == before, "cursor, digest or version vector changed across reopen");
  expect(log->heads() == heads, "heads changed across reopen");
  expect(must(log->seals(actor_n(1)), "seals").size() == 2, "sealed chunks lost across reopen");
  must(log->verify(), "verify after reopen");
  expect(must(log->append(AppendRequest{}), "append after reopen").counter == 101,
         "counters did not continue after reopen");
}

void two_writers(const BackendFactory& factory) {
  auto backend = must(factory(), "create backend");
  auto a = open_log(*backend, 1);
  auto b = open_log(*backend, 2);
  auto a2 = open_log(*backend, 1);  // the same writer through a second handle
  const int per = 40;
  std::atomic<int> busy{0};
  auto writer = [&](Log& log, const char* tag) {
    RetryPolicy retry{1, 20, 200, 7};
    for (int i = 0; i < per; ++i) {
      for (uint32_t attempt = 1;; ++attempt) {
        std::string p = tag + std::to_string(i);
        AppendRequest r;
        r.payload = std::span(reinterpret_cast<const uint8_t*>(p.data()), p.size());
        auto id = log.append(r);
        if (id) break;
        if (!retry.should_retry(id.code(), attempt)) throw Failed{"append: " + id.error().to_string()};
        ++busy;
        std::this_thread::sleep_for(std::chrono::milliseconds(retry.delay_ms(attempt)));
      }
    }
  };
  if (backend->concurrent_handles()) {
    std::string error;
    auto guarded = [&](Log& log, const char* tag) {
      try {
        writer(log, tag);
      } catch (const Failed& f) {
        error = f.why;
      }
    };
    std::thread t1(guarded, std::ref(*a), "a");
    std::thread t2(guarded, std::ref(*b), "b");
    std::thread t3(guarded, std::ref(*a2), "a2-");
    t1.join();
    t2.join();
    t3.join();
    expect(error.empty(), error);
  } else {
    for (int i = 0; i < per; ++i) {
      Log* order[] = {a.get(), b.get(), a2.get()};
      for (Log* l : order) {
        std::string p = "x" + std::to_string(i);
        AppendRequest r;
        r.payload = std::span(reinterpret_cast<const uint8_t*>(p.data()), p.size());
        must(l->append(r), "interleaved append");
      }
    }
  }
  a.reset();
  b.reset();
  a2.reset();
  auto log = open_log(*backend, 3);
  expect(log->cursor() == 3 * per, "cursor " + std::to_string(log->cursor()) + " after " +
                                       std::to_string(3 * per) + " appends");
  auto all = must(log->read(1, SIZE_MAX), "read all");
  std::set<OpId> ids;
  for (const StoredOp& s : all) ids.insert(s.op.id);
  expect(ids.size() == all.size() && all.size() == 3 * per, "an op is missing or stored twice");
  expect(log->version_vector().get(actor_n(1)) == 2 * per, "writer 1 lost or doubled ops");
  must(log->verify(), "verify");
}

void corruption(const BackendFactory& factory) {
  auto backend = must(factory(), "create backend");
  {
    auto log = open_log(*backend, 1);
    append(*log, 12, "z");
    must(log->seal(actor_n(1), 12), "seal");
  }
  Status s = backend->corrupt_chunk(actor_n(1), 0);
  if (!s) throw s.error();  // NOT_FOUND: skipped by run()
  auto log = open_log(*backend, 1);
  auto v = log->verify();
  const std::string name = actor_n(1).hex() + "/0";
  expect(v.code() == Code::kCorrupt,
         "verify after corruption answered " + (v ? std::string("OK") : v.error().to_string()));
  expect(v.error().message.find(name) != std::string::npos,
         "CORRUPT does not name the chunk: " + v.error().message);
  auto op = log->get(OpId{actor_n(1), 5});
  expect(!op || op->op.payload == std::vector<uint8_t>{'z', '4'},
         "a corrupt chunk was trusted: get returned altered content");
}

struct Scenario {
  const char* name;
  void (*run)(const BackendFactory&);
};

constexpr Scenario kScenarios[] = {
    {"atomicity_under_injected_failure", atomicity},
    {"chunk_immutability", chunk_immutability},
    {"range_read_ordering", range_read_ordering},
    {"durability_across_reopen", durability},
    {"two_writers", two_writers},
    {"corruption_detected", corruption},
};

class MemoryBackend final : public Backend {
 public:
  MemoryBackend() : root_(make_memory_store()) {}
  Result<std::unique_ptr<LogStore>> open() override { return memory_store_share(*root_); }
  Status corrupt_chunk(const ActorId& actor, uint64_t index) override {
    return memory_store_corrupt_chunk(*root_, actor, index, 40, 0x10);
  }

 private:
  std::unique_ptr<LogStore> root_;
};

class SqliteBackend final : public Backend {
 public:
  explicit SqliteBackend(std::string path) : path_(std::move(path)) {}
  Result<std::unique_ptr<LogStore>> open() override { return open_sqlite_store(path_); }
  bool concurrent_handles() const override { return true; }
  Status corrupt_chunk(const ActorId& actor, uint64_t index) override {
    (void)actor;  // one actor per scenario log: idx identifies the chunk
    sqlite3* db = nullptr;
    Status result = make_error(Code::kIoError, "cannot alter chunk bytes in " + path_);
    if (sqlite3_open(path_.c_str(), &db) == SQLITE_OK) {
      sqlite3_stmt* s = nullptr;
      std::vector<uint8_t> bytes;
      if (sqlite3_prepare_v2(db, "SELECT bytes FROM chunks WHERE idx = ?", -1, &s, nullptr) ==
              SQLITE_OK &&
          sqlite3_bind_int64(s, 1, static_cast<int64_t>(index)) == SQLITE_OK &&
          sqlite3_step(s) == SQLITE_ROW) {
        auto* p = static_cast<const uint8_t*>(sqlite3_column_blob(s, 0));
        bytes.assign(p, p + sqlite3_column_bytes(s, 0));
      }
      sqlite3_finalize(s);
      if (bytes.size() > 40) {
        bytes[40] ^= 0x10;  // one bit, in the middle of the chunk
        if (sqlite3_prepare_v2(db, "UPDATE chunks SET bytes = ? WHERE idx = ?", -1, &s,
                               nullptr) == SQLITE_OK) {
          sqlite3_bind_blob(s, 1, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
          sqlite3_bind_int64(s, 2, static_cast<int64_t>(index));
          if (sqlite3_step(s) == SQLITE_DONE) result = Status::ok();
        }
        sqlite3_finalize(s);
      }
    }
    sqlite3_close(db);
    return result;
  }

 private:
  std::string path_;
};

}  // namespace

std::vector<std::string> scenarios() {
  std::vector<std::string> out;
  for (const Scenario& s : kScenarios) out.emplace_back(s.name);
  return out;
}

std::vector<ScenarioResult> run(const BackendFactory& factory, const std::string& only) {
  std::vector<ScenarioResult> results;
  for (const Scenario& s : kScenarios) {
    if (!only.empty() && only != s.name) continue;
    ScenarioResult r{s.name, Outcome::kPass, ""};
    try {
      s.run(factory);
    } catch (const Failed& f) {
      r.outcome = Outcome::kFail;
      r.diagnostic = f.why;
    } catch (const Error& e) {
      r.outcome = e.code == Code::kNotFound ? Outcome::kSkip : Outcome::kFail;
      r.diagnostic = e.to_string();
    } catch (const std::exception& e) {
      r.outcome = Outcome::kFail;
      r.diagnostic = std::string("exception: ") + e.what();
    }
    results.push_back(std::move(r));
  }
  return results;
}

Result<std::unique_ptr<Backend>> memory_backend() {
  return std::unique_ptr<Backend>(std::make_unique<MemoryBackend>());
}

Result<std::unique_ptr<Backend>> sqlite_backend(const std::string& dir) {
  static std::atomic<uint64_t> serial{0};
  std::string path = dir + "/conformance-" + std::to_string(::getpid()) + "-" +
                     std::to_string(serial++) + ".db";
  std::remove(path.c_str());
  return std::unique_ptr<Backend>(std::make_unique<SqliteBackend>(std::move(path)));
}

}  // namespace weft::conformance
