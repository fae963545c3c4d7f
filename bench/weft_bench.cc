// weft's benchmark: one JSON object of figures, each beside a reference
// measured in the same run (memcpy, BLAKE2b) so figures from a shared,
// drifting machine can still be compared. Workload: 64-byte random payloads.
//
//   weft_bench [--ops N] [--sqlite-ops-rss N]
//   weft_bench --scale-only [--scale-writers N]   (only how costs grow with writers)
//   weft_bench --rss-child PATH N     (internal: the peak-RSS run)
#include <sodium.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "weft/codec.hpp"
#include "weft/log.hpp"
#include "weft/session.hpp"
#include "weft/sqlite_store.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using weft::AppendRequest;
using weft::Batch;
using weft::Log;

constexpr size_t kPayload = 64;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// Best of `reps` runs of `f`, in seconds.
double best_of(int reps, const std::function<double()>& f) {
  double best = 1e300;
  for (int i = 0; i < reps; ++i) best = std::min(best, f());
  return best;
}

// A field of /proc/self/status in bytes: "VmRSS:" now, "VmHWM:" the peak.
size_t status_bytes(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const size_t n = std::strlen(field);
  while (std::getline(in, line)) {
    if (line.compare(0, n, field) == 0) return std::strtoull(line.c_str() + n, nullptr, 10) * 1024;
  }
  return 0;
}
size_t rss_bytes() { return status_bytes("VmRSS:"); }

void die(const weft::Error& e, const char* what) {
  std::fprintf(stderr, "weft_bench: %s: %s\n", what, e.to_string().c_str());
  std::exit(1);
}

template <typename T>
T must(weft::Result<T> r, const char* what) {
  if (!r) die(r.error(), what);
  return std::move(r).value();
}

std::unique_ptr<Log> fresh_log(uint8_t who) {
  weft::LogOptions o;
  weft::ActorId a;
  a.bytes.fill(who);
  o.actor = a;
  return must(Log::open_memory(o), "open");
}

struct Payloads {
  std::vector<uint8_t> bytes;
  explicit Payloads(size_t n) : bytes(n * kPayload) {
    std::mt19937_64 rng(42);
    for (auto& b : bytes) b = static_cast<uint8_t>(rng());
  }
  std::span<const uint8_t> at(size_t i) const { return {bytes.data() + (i % (bytes.size() / kPayload)) * kPayload, kPayload}; }
};

void append_all(Log& log, const Payloads& p, size_t n, size_t per_call, int64_t ts0) {
  std::vector<AppendRequest> reqs(per_call);
  for (size_t i = 0; i < n; i += per_call) {
    size_t k = std::min(per_call, n - i);
    for (size_t j = 0; j < k; ++j) {
      reqs[j].payload = p.at(i + j);
      reqs[j].timestamp_ms = ts0 + static_cast<int64_t>((i + j) / 1000);  // ~1000 ops per ms
    }
    must(log.append_many(std::span(reqs.data(), k)), "append");
  }
}

// Raw SQLite with weft's pragmas, inserting rows of an op row's size (a
// 64-byte payload, a 32-byte hash, five integers) with one prepared
// statement, `batch` rows per transaction: the reference for SQLite appends.
double raw_sqlite_rows_per_s(const std::string& path, size_t n, size_t batch, bool full,
                             const Payloads& p) {
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000",
               nullptr, nullptr, nullptr);
  sqlite3_exec(db, full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL", nullptr,
               nullptr, nullptr);
  sqlite3_exec(db,
               "CREATE TABLE rows(k INTEGER PRIMARY KEY, a INTEGER, b INTEGER, c INTEGER,"
               " d INTEGER, payload BLOB, hash BLOB)",
               nullptr, nullptr, nullptr);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO rows VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)", -1, &st, nullptr);
  uint8_t hash[32] = {1};
  auto t = Clock::now();
  for (size_t i = 0; i < n; i += batch) {
    sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
    for (size_t j = i; j < std::min(n, i + batch); ++j) {
      auto pl = p.at(j);
      sqlite3_bind_int64(st, 1, static_cast<int64_t>(j + 1));
      sqlite3_bind_int64(st, 2, 1);
      sqlite3_bind_int64(st, 3, static_cast<int64_t>(j + 1));
      sqlite3_bind_int64(st, 4, static_cast<int64_t>(j + 1));
      sqlite3_bind_int64(st, 5, 1'767'225'600'000);
      sqlite3_bind_blob(st, 6, pl.data(), static_cast<int>(pl.size()), SQLITE_STATIC);
      hash[0] = static_cast<uint8_t>(j);
      sqlite3_bind_blob(st, 7, hash, 32, SQLITE_STATIC);
      sqlite3_step(st);
      sqlite3_reset(st);
    }
    sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  }
  double secs = seconds_since(t);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return n / secs;
}

double sqlite_append_ops_per_s(const std::string& path, size_t n, bool full, const Payloads& p,
                               int64_t ts0) {
  weft::SqliteOptions so;
  so.synchronous_full = full;
  auto log = must(weft::open_sqlite_log(path, so), "open sqlite");
  auto t = Clock::now();
  append_all(*log, p, n, 1000, ts0);
  return n / seconds_since(t);
}

// One session between two logs in this process, both directions: the
// initiator on `from`, the responder on `to`. Returns the bytes moved both
// ways; dies unless both sides end done.
struct SyncRun {
  uint64_t bytes = 0;
  uint64_t messages = 0;
  uint64_t ops_sent = 0;
};

SyncRun sync_once(Log& from, Log& to, weft::SessionOptions options = {}) {
  auto a = must(weft::Session::connect(from, options), "session connect");
  auto b = must(weft::Session::accept(to), "session accept");
  SyncRun run;
  bool any = true;
  while (any) {
    any = false;
    while (auto m = a->next_message()) {
      any = true;
      run.bytes += m->size();
      ++run.messages;
      if (!b->receive(*m)) die(b->error(), "sync receive");
    }
    while (auto m = b->next_message()) {
      any = true;
      run.bytes += m->size();
      ++run.messages;
      if (!a->receive(*m)) die(a->error(), "sync receive");
    }
  }
  if (!a->done() || !b->done()) {
    std::fprintf(stderr, "weft_bench: sync ended %s/%s\n",
                 std::string(weft::session_state_name(a->state())).c_str(),
                 std::string(weft::session_state_name(b->state())).c_str());
    std::exit(1);
  }
  run.ops_sent = a->stats().ops_sent + b->stats().ops_sent;
  return run;
}

// The child of the peak-RSS figure: append n ops, read them all back, print
// the peak resident set in bytes.
int rss_child(const std::string& path, size_t n) {
  const Payloads p(1 << 16);
  {
    auto log = must(weft::open_sqlite_log(path), "open sqlite");
    append_all(*log, p, n, 1000, 1'767'225'600'000);
    uint64_t read = 0;
    for (uint64_t from = 1; from <= n; from += 4096) {
      read += must(log->read(from, 4096), "read back").size();
    }
    if (read != n) std::abort();
  }
  std::printf("%zu\n", status_bytes("VmHWM:"));
  return 0;
}

double peak_rss_mb_of_child(const std::string& path, size_t n) {
  int fds[2];
  if (::pipe(fds) != 0) return -1;
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], 1);
    std::string count = std::to_string(n);
    ::execl("/proc/self/exe", "weft_bench", "--rss-child", path.c_str(), count.c_str(), nullptr);
    ::_exit(127);
  }
  ::close(fds[1]);
  char buf[64] = {};
  ssize_t got = ::read(fds[0], buf, sizeof buf - 1);
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (got <= 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return -1;
  return std::strtod(buf, nullptr) / (1024.0 * 1024.0);
}

}  // namespace

void print_json(const std::map<std::string, double>& out) {
  std::printf("{");
  bool first = true;
  for (const auto& [k, v] : out) {
    std::printf("%s\n  \"%s\": %.4f", first ? "" : ",", k.c_str(), v);
    first = false;
  }
  std::printf("\n}\n");
}

// ------------------------------------------------------------------ scale

// Writer `k`'s id: random-looking, or (adversarial) sharing its first 12
// bytes with every other writer, as a hostile peer may choose.
weft::ActorId writer_id(uint32_t k, bool adversarial) {
  weft::ActorId a;
  if (adversarial) {
    a.bytes.fill(0xab);
  } else {
    uint64_t x = 0x9e3779b97f4a7c15ull * (k + 1);
    for (int i = 0; i < 8; ++i) a.bytes[i] = static_cast<uint8_t>((x ^ (x >> 29)) >> (8 * i));
    x = x * 0xbf58476d1ce4e5b9ull + 7;
    for (int i = 0; i < 4; ++i) a.bytes[8 + i] = static_cast<uint8_t>(x >> (8 * i));
  }
  for (int i = 0; i < 4; ++i) a.bytes[12 + i] = static_cast<uint8_t>(k >> (8 * (3 - i)));
  return a;
}

// Applies `writers` independent writers x `per` ops each into `log`, in
// batches of about 10,000 ops (each bringing new writers); seconds taken.
double apply_writers(Log& log, const Payloads& p, uint32_t writers, uint64_t per, bool adversarial,
                     uint32_t first = 0) {
  const uint32_t per_batch = static_cast<uint32_t>(std::max<uint64_t>(1, 10'000 / per));
  double secs = 0;
  for (uint32_t w = 0; w < writers; w += per_batch) {
    Batch b;
    for (uint32_t k = w; k < std::min(writers, w + per_batch); ++k) {
      const weft::ActorId a = writer_id(first + k, adversarial);
      for (uint64_t c = 1; c <= per; ++c) {
        weft::Op op;
        op.id = weft::OpId{a, c};
        op.lamport = c;
        auto bytes = p.at(k * per + c);
        op.payload.assign(bytes.begin(), bytes.end());
        b.ops.push_back(std::move(op));
      }
    }
    auto t = Clock::now();
    auto ack = must(log.apply(b), "apply writers");
    secs += seconds_since(t);
    if (!ack.rejected.empty()) std::abort();
  }
  return secs;
}

// Figures of docs/performance.md, "How costs grow": each at a scale and at
// a small reference measured the same way in the same run.
// `writers` (default 100,000) x 10 ops; the figures keep their 100k names.
void measure_scale(std::map<std::string, double>& out, const Payloads& p, uint32_t writers) {
  const uint64_t ops = uint64_t{writers} * 10;
  {
    auto few = fresh_log(20);
    out["apply_10_actors_us_per_op"] = 1e6 * apply_writers(*few, p, 10, ops / 10, false) / ops;
  }
  auto big = fresh_log(21);
  out["apply_100k_actors_us_per_op"] = 1e6 * apply_writers(*big, p, writers, 10, false) / ops;
  out["apply_100k_vs_10_actors"] =
      out["apply_100k_actors_us_per_op"] / out["apply_10_actors_us_per_op"];
  {
    auto hostile = fresh_log(22);
    const double secs = apply_writers(*hostile, p, writers, 10, true);
    out["adversarial_actors_apply_ratio"] = (1e6 * secs / ops) / out["apply_100k_actors_us_per_op"];
  }
  // Catch-up: a peer holding the same 100,000 writers x 10 ops, missing 10
  // ops of 10 of them; one session, both directions, in memory.
  {
    auto peer = must(Log::open(must(weft::memory_store_copy(big->store_for_testing()), "copy"),
                               weft::LogOptions{}),
                     "open copy");
    Batch more;
    for (uint32_t k = 0; k < 10; ++k) {
      weft::Op op;
      op.id = weft::OpId{writer_id(k * (writers / 10), false), 11};
      op.lamport = 11;
      auto bytes = p.at(k);
      op.payload.assign(bytes.begin(), bytes.end());
      more.ops.push_back(std::move(op));
    }
    if (!must(big->apply(more), "apply more").rejected.empty()) std::abort();
    auto t = Clock::now();
    SyncRun run = sync_once(*big, *peer);
    out["catchup_100k_actors_ms"] = 1e3 * seconds_since(t);
    out["catchup_100k_actors_bytes"] = static_cast<double>(run.bytes);
    if (run.ops_sent != 10 || peer->cursor() != big->cursor()) std::abort();
  }
  // The same catch-up between logs of 10 writers (1M ops): the reference.
  {
    auto a = fresh_log(23), b = fresh_log(24);
    apply_writers(*a, p, 10, ops / 10, false);
    apply_writers(*b, p, 10, ops / 10, false);
    Batch more;
    for (uint32_t k = 0; k < 10; ++k) {
      weft::Op op;
      op.id = weft::OpId{writer_id(k, false), ops / 10 + 1};
      op.lamport = ops / 10 + 1;
      more.ops.push_back(std::move(op));
    }
    must(a->apply(more), "apply more");
    auto t = Clock::now();
    SyncRun run = sync_once(*a, *b);
    out["catchup_10_actors_ms"] = 1e3 * seconds_since(t);
    out["catchup_10_actors_bytes"] = static_cast<double>(run.bytes);
    out["catchup_100k_vs_10_actors"] = out["catchup_100k_actors_ms"] / out["catchup_10_actors_ms"];
  }
  // An append after 10,000 concurrent writers: it depends on every head,
  // and the default limit is 1,024 dependencies per op.
  {
    auto log = fresh_log(25);
    apply_writers(*log, p, 10'000, 1, false);
    AppendRequest r;
    r.payload = p.at(0);
    auto t = Clock::now();
    auto id = log->append(r);
    const double us = 1e6 * seconds_since(t);
    if (id) {
      out["append_10k_heads_us"] = us;
    } else {
      out["append_10k_heads_refused"] = 1;  // INVALID_ARGUMENT: over the dependency limit
    }
  }
}

int main(int argc, char** argv) {
  size_t n = 200'000;
  size_t rss_ops = 10'000'000;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--ops") == 0 && i + 1 < argc) n = std::strtoull(argv[++i], nullptr, 10);
    if (std::strcmp(argv[i], "--sqlite-ops-rss") == 0 && i + 1 < argc) {
      rss_ops = std::strtoull(argv[++i], nullptr, 10);
    }
    if (std::strcmp(argv[i], "--rss-child") == 0 && i + 2 < argc) {
      return rss_child(argv[i + 1], std::strtoull(argv[i + 2], nullptr, 10));
    }
  }
  if (sodium_init() < 0) return 1;
  std::map<std::string, double> out;
  const Payloads payloads(1 << 16);
  uint32_t scale_writers = 100'000;
  bool scale_only = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--scale-only") == 0) scale_only = true;
    if (std::strcmp(argv[i], "--scale-writers") == 0 && i + 1 < argc) {
      scale_writers = static_cast<uint32_t>(std::strtoul(argv[++i], nullptr, 10));
    }
  }
  if (scale_only) {
    measure_scale(out, payloads, scale_writers);
    out["scale_writers"] = scale_writers;
    print_json(out);
    return 0;
  }
  const int64_t ts0 = 1'767'225'600'000;

  // Memory per op first, while the heap is small: 1M ops in a memory log.
  {
    const size_t m = 1'000'000;
    size_t before = rss_bytes();
    auto log = fresh_log(9);
    append_all(*log, payloads, m, 1000, ts0);
    out["rss_bytes_per_op"] = static_cast<double>(rss_bytes() - before) / m;
  }

  // References.
  {
    std::vector<uint8_t> src(64 << 20, 1), dst(64 << 20);
    double s = best_of(5, [&] {
      auto t = Clock::now();
      std::memcpy(dst.data(), src.data(), src.size());
      return seconds_since(t);
    });
    out["ref_memcpy_mb_per_s"] = src.size() / 1e6 / s;
    uint8_t h[32];
    double s2 = best_of(3, [&] {
      auto t = Clock::now();
      crypto_generichash_blake2b(h, 32, src.data(), src.size(), nullptr, 0);
      return seconds_since(t);
    });
    out["ref_blake2b_mb_per_s"] = src.size() / 1e6 / s2;
    const int k = 1'000'000;
    double s3 = best_of(3, [&] {
      auto t = Clock::now();
      for (int i = 0; i < k; ++i) {
        src[0] = static_cast<uint8_t>(i);
        crypto_generichash_blake2b(h, 32, src.data(), 120, nullptr, 0);
      }
      return seconds_since(t);
    });
    // One op's hash is one BLAKE2b call on ~120 bytes: the floor of append and apply.
    out["ref_blake2b_120b_per_s"] = k / s3;
  }

  // Append: one op per call, and batched 1000 per call. Each op depends on
  // the writer's previous op (one dependency, implicit in the format).
  out["append_ops_per_s"] = n / best_of(3, [&] {
    auto log = fresh_log(1);
    auto t = Clock::now();
    append_all(*log, payloads, n, 1, ts0);
    return seconds_since(t);
  });
  out["append_batched_ops_per_s"] = n / best_of(3, [&] {
    auto log = fresh_log(1);
    auto t = Clock::now();
    append_all(*log, payloads, n, 1000, ts0);
    return seconds_since(t);
  });

  // A source log and its diff as wire batches.
  auto source = fresh_log(1);
  append_all(*source, payloads, n, 1000, ts0);
  std::vector<Batch> batches = must(source->diff(weft::VersionVector{}), "diff");
  std::vector<weft::Bytes> wire;
  size_t wire_bytes = 0;
  for (const Batch& b : batches) {
    wire.push_back(weft::encode_batch(b));
    wire_bytes += wire.back().size();
  }
  out["wire_bytes_per_op"] = static_cast<double>(wire_bytes) / n;

  out["encode_mb_per_s"] = wire_bytes / 1e6 / best_of(3, [&] {
    auto t = Clock::now();
    size_t sink = 0;
    for (const Batch& b : batches) sink += weft::encode_batch(b).size();
    if (sink != wire_bytes) std::abort();
    return seconds_since(t);
  });
  out["decode_verify_mb_per_s"] = wire_bytes / 1e6 / best_of(3, [&] {
    auto t = Clock::now();
    size_t ops = 0;
    for (const auto& w : wire) ops += must(weft::decode_batch(w), "decode").ops.size();
    if (ops != n) std::abort();
    return seconds_since(t);
  });

  out["apply_ops_per_s"] = n / best_of(3, [&] {
    auto log = fresh_log(2);
    auto t = Clock::now();
    for (const Batch& b : batches) {
      if (must(log->apply(b), "apply").applied.size() != b.ops.size()) std::abort();
    }
    return seconds_since(t);
  });

  // Chunks: seal the source into chunks of the default size.
  {
    size_t chunk_bytes = 0;
    const uint64_t per_chunk = weft::kDefaultChunkOps;
    uint64_t sealed = 0;
    for (uint64_t last = per_chunk; last <= n; last += per_chunk) {
      auto rec = must(source->seal(source->actor(), last), "seal");
      chunk_bytes += must(source->get_chunk(source->actor(), rec.index), "chunk").bytes.size();
      sealed = last;
    }
    out["chunk_bytes_per_op"] = sealed ? static_cast<double>(chunk_bytes) / sealed : 0;
    out["chunk_ops"] = static_cast<double>(per_chunk);
  }

  // Merge: two replicas forked from a 10k-op common base, 100k new ops each;
  // merge one into the other (diff + apply, in process).
  {
    const size_t base = 10'000, fork = 100'000;
    out["merge_2x100k_ms"] = 1e3 * best_of(3, [&] {
      auto a = fresh_log(3);
      auto b = fresh_log(4);
      append_all(*a, payloads, base, 1000, ts0);
      must(b->merge_from(*a), "merge base");
      append_all(*a, payloads, fork, 1000, ts0 + 1000);
      append_all(*b, payloads, fork, 1000, ts0 + 2000);
      auto t = Clock::now();
      auto stats = must(a->merge_from(*b), "merge");
      double s = seconds_since(t);
      if (stats.applied != fork) std::abort();
      return s;
    });
  }

  // Catch-up: in-memory replicas of 200k ops, one behind by 1% (2,000 ops);
  // one session, both directions counted. The reference applies the same
  // 2,000 ops as one pre-encoded batch to a replica in the same state.
  {
    const size_t total = 200'000, behind = 2'000;
    double best_ms = 1e18, best_ref_ms = 1e18;
    uint64_t bytes = 0, messages = 0;
    for (int rep = 0; rep < 5; ++rep) {
      auto a = fresh_log(5);
      auto b = fresh_log(6);
      auto c = fresh_log(7);
      append_all(*a, payloads, total - behind, 1000, ts0);
      must(b->merge_from(*a), "merge");
      must(c->merge_from(*a), "merge");
      append_all(*a, payloads, behind, 1000, ts0 + 200);
      auto t = Clock::now();
      SyncRun run = sync_once(*b, *a);  // the one behind starts the session
      const double ms = 1e3 * seconds_since(t);
      if (b->cursor() != total || run.ops_sent != behind) std::abort();
      best_ms = std::min(best_ms, ms);
      bytes = run.bytes;
      messages = run.messages;
      auto tail = must(a->read(total - behind + 1, behind), "read");
      Batch batch;
      for (auto& s : tail) batch.ops.push_back(std::move(s.op));
      auto encoded = weft::encode_batch(batch);
      auto t2 = Clock::now();
      auto decoded = must(weft::decode_batch(encoded), "decode");
      auto ack = must(c->apply(decoded), "apply");
      best_ref_ms = std::min(best_ref_ms, 1e3 * seconds_since(t2));
      if (ack.applied.size() != behind) std::abort();
    }
    out["catchup_1pct_ms"] = best_ms;
    out["catchup_1pct_bytes_per_op"] = static_cast<double>(bytes) / behind;
    out["catchup_1pct_messages"] = static_cast<double>(messages);
    out["ref_apply_2k_ms"] = best_ref_ms;
    out["catchup_1pct_vs_apply"] = best_ms / best_ref_ms;
  }

  // SQLite: appends in batches of 1,000 against raw SQLite rows of the same
  // size; open time of a 1M-op log; peak RSS over 10M ops in a child.
  {
    char tmpl[] = "/tmp/weft-bench-XXXXXX";
    const std::string dir = ::mkdtemp(tmpl);
    out["ref_sqlite_rows_per_s"] = raw_sqlite_rows_per_s(dir + "/raw.db", n, 1000, false, payloads);
    out["ref_sqlite_full_rows_per_s"] =
        raw_sqlite_rows_per_s(dir + "/raw-full.db", n, 1000, true, payloads);
    out["sqlite_append_ops_per_s"] = sqlite_append_ops_per_s(dir + "/a.db", n, false, payloads, ts0);
    out["sqlite_append_full_ops_per_s"] =
        sqlite_append_ops_per_s(dir + "/a-full.db", n, true, payloads, ts0);
    out["sqlite_append_vs_raw"] = out["sqlite_append_ops_per_s"] / out["ref_sqlite_rows_per_s"];
    out["sqlite_append_full_vs_raw"] =
        out["sqlite_append_full_ops_per_s"] / out["ref_sqlite_full_rows_per_s"];

    const std::string big = dir + "/1m.db";
    {
      auto log = must(weft::open_sqlite_log(big), "open sqlite");
      append_all(*log, payloads, 1'000'000, 1000, ts0);
    }
    const std::string small = dir + "/small.db";
    {
      auto log = must(weft::open_sqlite_log(small), "open sqlite");
      append_all(*log, payloads, 1000, 1000, ts0);
    }
    auto open_ms = [&](const std::string& path) {
      return 1e3 * best_of(5, [&] {
        auto t = Clock::now();
        auto log = must(weft::open_sqlite_log(path), "open sqlite");
        double s = seconds_since(t);
        if (log->cursor() == 0) std::abort();
        return s;
      });
    };
    // A peer missing 10 ops spread over a 1M-op SQLite log (one op of each
    // of 10 writers, every 100,000 ops): diff costs what is missing, not
    // the span from the first missing op. Reference: the same over 10,000.
    for (const uint64_t total : {uint64_t{10'000}, uint64_t{1'000'000}}) {
      const std::string path = dir + "/spread-" + std::to_string(total) + ".db";
      auto log = must(weft::open_sqlite_log(path), "open sqlite");
      weft::VersionVector peer;
      for (uint32_t k = 0; k < 10; ++k) {
        append_all(*log, payloads, total / 10, 1000, ts0);
        Batch one;
        weft::Op op;
        op.id = weft::OpId{writer_id(k, false), 1};
        op.lamport = 1;
        one.ops.push_back(op);
        must(log->apply(one), "apply spread");
      }
      peer = log->version_vector();
      for (uint32_t k = 0; k < 10; ++k) peer.set(writer_id(k, false), 0);
      const double ms = 1e3 * best_of(3, [&] {
        auto t = Clock::now();
        auto batches = must(log->diff(peer), "diff spread");
        const double secs = seconds_since(t);
        if (batches.size() != 1 || batches[0].ops.size() != 10) std::abort();
        return secs;
      });
      out[total == 10'000 ? "diff_spread_10k_ms" : "diff_spread_1m_ms"] = ms;
    }
    out["diff_spread_1m_vs_10k"] = out["diff_spread_1m_ms"] / out["diff_spread_10k_ms"];
    out["sqlite_open_ms_1m"] = open_ms(big);
    out["sqlite_open_ms_1k"] = open_ms(small);
    if (rss_ops > 0) {
      out["sqlite_rss_mb_10m"] = peak_rss_mb_of_child(dir + "/rss.db", rss_ops);
      out["sqlite_rss_ops"] = static_cast<double>(rss_ops);
    }
    // Sync: 1M ops from one SQLite replica (auto-sealed, so mostly sealed
    // chunks) to an empty one, in one process; then the same with chunks
    // off (every op in batches). Against raw SQLite rows of the same size.
    {
      const size_t m = 1'000'000;
      const std::string src = dir + "/sync-src.db";
      {
        auto log = must(weft::open_sqlite_log(src), "open sqlite");
        append_all(*log, payloads, m, 1000, ts0);
      }
      for (bool chunks : {true, false}) {
        const std::string dst = dir + (chunks ? "/sync-dst.db" : "/sync-dst-batches.db");
        auto from = must(weft::open_sqlite_log(src), "open sqlite");
        auto to = must(weft::open_sqlite_log(dst), "open sqlite");
        weft::SessionOptions o;
        o.ship_chunks = chunks;
        auto t = Clock::now();
        SyncRun run = sync_once(*from, *to, o);
        const double secs = seconds_since(t);
        if (to->cursor() != m || run.ops_sent != m) std::abort();
        if (chunks) {
          out["sync_ops_per_s"] = m / secs;
          out["sync_wire_bytes_per_op"] = static_cast<double>(run.bytes) / m;
          out["sync_messages"] = static_cast<double>(run.messages);
        } else {
          out["sync_batches_ops_per_s"] = m / secs;
          out["sync_batches_wire_bytes_per_op"] = static_cast<double>(run.bytes) / m;
        }
      }
      out["sync_vs_raw_sqlite"] = out["sync_ops_per_s"] / out["ref_sqlite_rows_per_s"];
      out["sync_batches_vs_raw_sqlite"] =
          out["sync_batches_ops_per_s"] / out["ref_sqlite_rows_per_s"];
    }
    std::filesystem::remove_all(dir);
  }

  measure_scale(out, payloads, scale_writers);

  // Ratios to the same run's references.
  out["append_vs_blake2b_120b"] = out["append_ops_per_s"] / out["ref_blake2b_120b_per_s"];
  out["apply_vs_blake2b_120b"] = out["apply_ops_per_s"] / out["ref_blake2b_120b_per_s"];
  out["decode_verify_vs_memcpy"] = out["decode_verify_mb_per_s"] / out["ref_memcpy_mb_per_s"];
  out["encode_vs_memcpy"] = out["encode_mb_per_s"] / out["ref_memcpy_mb_per_s"];
  out["merge_2x100k_vs_blake2b_100k_ms"] =
      out["merge_2x100k_ms"] / (1e3 * 100'000 / out["ref_blake2b_120b_per_s"]);
  out["ops"] = static_cast<double>(n);
  out["payload_bytes"] = kPayload;

  print_json(out);
  return 0;
}
