// libFuzzer target: the input drives 2 to 4 writers that build an honest op
// history through Log::append and merge_from, then three replicas that receive
// it in input-chosen orders and batch splits, with duplicates, transport
// probes and hostile variants of known ops mixed in. Every ack must add up,
// and the replicas must converge (docs/fuzzing.md).
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <type_traits>
#include <vector>

#include "fuzz_support.hpp"
#include "weft/codec.hpp"
#include "weft/log.hpp"

namespace {

using weft::Ack;
using weft::Batch;
using weft::Code;
using weft::Log;
using weft::Op;
using weft::OpId;
using weft::VersionVector;

constexpr uint32_t kMaxWriters = 4;
constexpr uint32_t kMaxSteps = 64;
constexpr size_t kMaxOps = 16;
constexpr size_t kReplicas = 3;
constexpr uint32_t kMaxBatch = 8;
constexpr int kMaxSideEvents = 32;

// Reads choices off the input; past its end every choice is 0, which the
// generator treats as "the plain thing", so every loop still terminates.
class Input {
 public:
  Input(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  uint8_t byte() { return at_ < size_ ? data_[at_++] : 0; }
  bool flag() { return (byte() & 1) != 0; }
  // Uniform enough in [0, n) for n >= 1.
  uint32_t below(uint64_t n) {
    if (n <= 1) return 0;
    uint32_t v = byte();
    if (n > 256) v |= uint32_t{byte()} << 8;
    return static_cast<uint32_t>(v % n);
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t at_ = 0;
};

std::unique_ptr<Log> open_log(const weft::ActorId& actor, uint64_t auto_seal_ops = 0) {
  weft::LogOptions options;
  options.actor = actor;  // a random actor would make runs irreproducible
  options.auto_seal_ops = auto_seal_ops;
  auto log = Log::open_memory(options);
  WEFT_FUZZ_CHECK_OK(log);
  return std::move(log.value());
}

// ------------------------------------------------------------ honest history

void append(Input& in, Log& writer, std::optional<std::vector<OpId>> deps) {
  std::vector<uint8_t> payload(in.below(9));
  for (uint8_t& b : payload) b = in.byte();
  weft::AppendRequest req;
  req.payload = payload;
  req.kind = in.below(3);
  req.timestamp_ms = int64_t{in.byte()} - 128;  // never the wall clock: runs must replay
  req.deps = std::move(deps);
  WEFT_FUZZ_CHECK_OK(writer.append(req));
}

// A merge between honest logs takes ops in dependency order: nothing may be
// rejected, and the cursor advances by exactly what was applied.
void merge(Log& into, Log& from) {
  const uint64_t before = into.cursor();
  auto stats = into.merge_from(from);
  WEFT_FUZZ_CHECK_OK(stats);
  WEFT_FUZZ_CHECK(stats.value().rejected == 0);
  WEFT_FUZZ_CHECK(into.cursor() == before + stats.value().applied);
  WEFT_FUZZ_CHECK(into.version_vector().total() == into.cursor());
}

// An append whose explicit dependency is not in the log fails as a whole:
// MISSING_DEPENDENCY, or INVALID_ARGUMENT when that is the op being minted.
void append_missing(Input& in, Log& writer, const OpId& absent) {
  const uint64_t cursor = writer.cursor();
  weft::AppendRequest req;
  req.timestamp_ms = in.byte();
  req.deps = std::vector<OpId>{absent};
  const Code code = writer.append(req).code();
  WEFT_FUZZ_CHECK(code == (absent.actor == writer.actor() ? Code::kInvalidArgument
                                                          : Code::kMissingDependency));
  WEFT_FUZZ_CHECK(writer.cursor() == cursor);
}

struct SealedChunk {
  weft::SealRecord seal;
  std::vector<uint8_t> bytes;
};

struct History {
  std::vector<Op> ops;  // a topological order
  std::vector<SealedChunk> chunks;  // each writer's own, sealed as it appended
  bool verify_replica = false;  // verify the replica given every chunk, not a writer
};

// Builds the history on writer logs and gathers it into `everything`.
History build_history(Input& in, Log& everything) {
  std::vector<std::unique_ptr<Log>> writers;
  const uint32_t n = 2 + in.below(kMaxWriters - 1);
  const uint8_t salt = in.byte();
  for (uint32_t i = 0; i < n; ++i) {
    weft::ActorId a;
    a.bytes[0] = static_cast<uint8_t>(salt * (i + 1));  // input-chosen actor order
    a.bytes[1] = static_cast<uint8_t>(i);
    writers.push_back(open_log(a, in.below(5)));
  }
  const uint32_t steps = 1 + in.below(kMaxSteps);
  size_t ops = 0;
  for (uint32_t s = 0; s < steps && ops < kMaxOps; ++s) {
    Log& w = *writers[in.below(n)];
    switch (in.below(5)) {
      case 4: {
        weft::ActorId stranger;
        stranger.bytes.fill(0xab);
        const VersionVector vv = w.version_vector();
        const auto& have = vv.entries();
        if (have.empty() || in.flag()) {
          append_missing(in, w, OpId{stranger, 1});
        } else {
          const auto& [actor, max] = have[in.below(have.size())];
          append_missing(in, w, OpId{actor, max + 1});
        }
        break;
      }
      case 2: {
        Log& from = *writers[in.below(n)];
        if (&from != &w) merge(w, from);
        break;
      }
      case 3: {
        // Explicit dependencies on ops this writer holds, possibly old ones
        // and possibly its own: append must normalise them.
        const VersionVector vv = w.version_vector();
        const auto& have = vv.entries();
        std::vector<OpId> deps;
        for (uint32_t k = 1 + in.below(2); k > 0 && !have.empty(); --k) {
          const auto& [actor, max] = have[in.below(have.size())];
          deps.push_back(OpId{actor, 1 + in.below(max)});
        }
        append(in, w, std::move(deps));
        ++ops;
        break;
      }
      default:
        append(in, w, std::nullopt);
        ++ops;
    }
  }
  History out;
  // verify() re-reads every op and chunk of a log; one log per input, chosen
  // by it (a writer, or at the end the replica given every chunk), keeps
  // the target fast (docs/fuzzing.md).
  const uint32_t verified = in.below(n + 1);
  if (verified < n) {
    WEFT_FUZZ_CHECK_OK(writers[verified]->verify());
  } else {
    out.verify_replica = true;
  }
  for (auto& w : writers) {
    merge(everything, *w);
    auto seals = w->seals(w->actor());
    WEFT_FUZZ_CHECK_OK(seals);
    for (const weft::SealRecord& rec : seals.value()) {
      auto chunk = w->get_chunk(rec.actor, rec.index);
      WEFT_FUZZ_CHECK_OK(chunk);
      WEFT_FUZZ_CHECK(chunk.value().seal == rec);
      out.chunks.push_back({rec, std::move(chunk.value().bytes)});
    }
  }
  auto all = everything.read(1, SIZE_MAX);
  WEFT_FUZZ_CHECK_OK(all);
  for (auto& s : all.value()) out.ops.push_back(std::move(s.op));
  WEFT_FUZZ_CHECK(out.ops.size() == ops);
  return out;
}

// ------------------------------------------------------------ delivery

// Where each id stands in a sequence of distinct ops or ids.
class Positions {
 public:
  template <typename T>
  explicit Positions(const std::vector<T>& seq) {
    at_.reserve(seq.size());
    for (size_t i = 0; i < seq.size(); ++i) {
      if constexpr (std::is_same_v<T, Op>) {
        at_.emplace_back(seq[i].id, i);
      } else {
        at_.emplace_back(seq[i], i);
      }
    }
    std::sort(at_.begin(), at_.end());
  }
  size_t operator()(const OpId& id) const {
    auto it = std::lower_bound(at_.begin(), at_.end(), std::pair(id, size_t{0}));
    WEFT_FUZZ_CHECK(it != at_.end() && it->first == id);
    return it->second;
  }

 private:
  std::vector<std::pair<OpId, size_t>> at_;
};

struct Replica {
  std::unique_ptr<Log> log;
  uint32_t epoch = 0;
  std::vector<Batch> queue;  // honest batches not yet delivered, in order
  size_t next = 0;
  // Honest ops last refused MISSING_DEPENDENCY, by their place in the order
  // (flags, not copies: an input delivers hundreds of ops).
  std::vector<bool> pending;
  size_t pending_count = 0;

  void set_pending(size_t i, bool on) {
    if (pending[i] == on) return;
    pending[i] = on;
    if (on) {
      ++pending_count;
    } else {
      --pending_count;
    }
  }
  // Clears what `held` (the log's version vector) covers.
  void settle(const VersionVector& held, const std::vector<Op>& honest) {
    for (size_t i = 0; i < pending.size() && pending_count > 0; ++i) {
      if (pending[i] && held.contains(honest[i].id)) set_pending(i, false);
    }
  }
};

// Applies `batch` and checks the ack against the log before and after it;
// `held`, if given, receives the log's version vector after it.
Ack deliver(Log& log, const Batch& batch, VersionVector* held = nullptr) {
  const VersionVector before = log.version_vector();
  const uint64_t cursor_before = log.cursor();
  auto result = log.apply(batch);
  WEFT_FUZZ_CHECK_OK(result);
  const Ack& ack = result.value();
  WEFT_FUZZ_CHECK(ack.status == Code::kOk);
  WEFT_FUZZ_CHECK(ack.batch_id == batch.batch_id && ack.seq == batch.seq);
  WEFT_FUZZ_CHECK(ack.applied.size() + ack.duplicates.size() + ack.rejected.size() ==
                  batch.ops.size());
  WEFT_FUZZ_CHECK(ack.cursor == cursor_before + ack.applied.size());
  WEFT_FUZZ_CHECK(log.cursor() == ack.cursor);
  VersionVector after = log.version_vector();
  WEFT_FUZZ_CHECK(after.total() == log.cursor());

  // The ack names exactly the batch's ids, each once per copy sent. (Lists
  // reused from call to call: an input delivers dozens of batches.)
  static std::vector<OpId> sent, answered;
  sent.clear();
  answered.clear();
  for (const Op& op : batch.ops) sent.push_back(op.id);
  for (const weft::Rejection& r : ack.rejected) answered.push_back(r.id);
  answered.insert(answered.end(), ack.duplicates.begin(), ack.duplicates.end());
  // Nothing is applied twice, and a duplicate is something already held.
  const size_t applied_at = answered.size();
  answered.insert(answered.end(), ack.applied.begin(), ack.applied.end());
  const auto applied = std::span(answered).subspan(applied_at);
  std::sort(applied.begin(), applied.end());
  WEFT_FUZZ_CHECK(std::adjacent_find(applied.begin(), applied.end()) == applied.end());
  for (const OpId& id : applied) WEFT_FUZZ_CHECK(!before.contains(id) && after.contains(id));
  for (const OpId& id : ack.duplicates) {
    WEFT_FUZZ_CHECK(before.contains(id) || std::binary_search(applied.begin(), applied.end(), id));
  }
  std::sort(sent.begin(), sent.end());
  std::sort(answered.begin(), answered.end());
  WEFT_FUZZ_CHECK(sent == answered);
  for (const weft::Rejection& r : ack.rejected) WEFT_FUZZ_CHECK(r.code != Code::kOk);
  if (held != nullptr) *held = std::move(after);
  return std::move(result).value();
}

void deliver_honest(Input& in, Replica& r, Batch batch, const std::vector<Op>& honest,
                    const Positions& index) {
  batch.epoch = r.epoch;
  if (in.flag()) batch.expected_cursor = r.log->cursor();  // a correct one changes nothing
  VersionVector held;
  const Ack ack = deliver(*r.log, batch, &held);
  for (const weft::Rejection& rej : ack.rejected) {
    WEFT_FUZZ_CHECK(rej.code == Code::kMissingDependency);
    r.set_pending(index(rej.id), true);
  }
  // What was applied or held is no longer pending (a later copy in the same
  // batch may have been applied after an earlier copy was refused).
  r.settle(held, honest);
}

// Splits `ops` into batches of 1..kMaxBatch ops.
std::vector<Batch> split(Input& in, std::vector<Op> ops, uint64_t& batch_id) {
  std::vector<Batch> out;
  out.reserve(ops.size());  // at most one batch per op
  for (size_t i = 0; i < ops.size();) {
    Batch b;
    b.batch_id = ++batch_id;
    b.seq = batch_id;
    const size_t size = std::min<size_t>(1 + in.below(kMaxBatch), ops.size() - i);
    b.ops.assign(std::make_move_iterator(ops.begin() + static_cast<ptrdiff_t>(i)),
                 std::make_move_iterator(ops.begin() + static_cast<ptrdiff_t>(i + size)));
    i += size;
    out.push_back(std::move(b));
  }
  return out;
}

void shuffle(Input& in, std::vector<Op>& ops) {
  for (size_t i = ops.size(); i > 1; --i) std::swap(ops[i - 1], ops[in.below(i)]);
}

// The honest ops in an input-chosen order, with extra copies.
std::vector<Op> delivery_order(Input& in, const std::vector<Op>& honest) {
  std::vector<Op> ops = honest;
  switch (in.below(3)) {
    case 1:
      std::reverse(ops.begin(), ops.end());
      break;
    case 2:
      shuffle(in, ops);
      break;
    default:
      break;  // cursor order: every op arrives after its dependencies
  }
  for (uint32_t extra = in.below(5); extra > 0; --extra) {
    const Op copy = honest[in.below(honest.size())];
    ops.insert(ops.begin() + in.below(ops.size() + 1), copy);
  }
  return ops;
}

// Mutates a known op. Only a changed lamport is certain to be refused by a
// replica that does not hold the op yet: any other change with a consistent
// lamport is indistinguishable from an honest op and would be applied.
void mutate(Input& in, Op& op, bool held, const std::vector<Op>& honest) {
  switch (held ? in.below(8) : in.below(2)) {
    case 0:
      op.lamport += 1 + in.below(4);
      break;
    case 1:
      op.lamport -= 1 + in.below(op.lamport);  // down to 0, itself malformed
      break;
    case 2:
      if (op.payload.empty()) {
        op.payload.push_back(in.byte());
      } else {
        op.payload[in.below(op.payload.size())] ^= static_cast<uint8_t>(1 + in.below(255));
      }
      break;
    case 3:
      op.kind ^= 1 + in.below(255);
      break;
    case 4:
      op.timestamp_ms += 1 + in.below(1000);
      break;
    case 5:
      if (!op.deps.empty()) {
        op.deps.pop_back();
      } else {
        const Op& other = honest[in.below(honest.size())];
        if (other.id.actor != op.id.actor) op.deps.push_back(other.id);
      }
      break;
    case 6:
      op.deps.push_back(op.id);  // a self-dependency
      break;
    default:
      op.id.counter = 0;
  }
}

// Hostile variants of known ops, in a batch of their own: every one is
// refused, and the replica's state does not move.
void deliver_hostile(Input& in, Replica& r, const std::vector<Op>& honest) {
  Log& log = *r.log;
  const VersionVector before = log.version_vector();
  auto digest_before = log.digest();
  WEFT_FUZZ_CHECK_OK(digest_before);
  Batch batch;
  batch.epoch = r.epoch;
  std::vector<bool> held;
  for (uint32_t k = 1 + in.below(3); k > 0; --k) {
    const Op& original = honest[in.below(honest.size())];
    Op bad = original;
    const bool was_held = before.contains(original.id);
    mutate(in, bad, was_held, honest);
    if (bad == original) continue;
    batch.ops.push_back(std::move(bad));
    held.push_back(was_held);
  }
  if (batch.ops.empty()) return;
  const Ack ack = deliver(log, batch);
  WEFT_FUZZ_CHECK(ack.applied.empty() && ack.duplicates.empty());
  WEFT_FUZZ_CHECK(ack.rejected.size() == batch.ops.size());
  for (size_t i = 0; i < batch.ops.size(); ++i) {
    const Op& op = batch.ops[i];
    const Code code = ack.rejected[i].code;
    WEFT_FUZZ_CHECK(ack.rejected[i].id == op.id);
    WEFT_FUZZ_CHECK(code == Code::kConflict || code == Code::kMalformed ||
                    code == Code::kMissingDependency);
    const bool well_formed = op.id.counter != 0 && weft::deps_canonical(op.id, op.deps);
    if (held[i] && well_formed) WEFT_FUZZ_CHECK(code == Code::kConflict);
    if (!well_formed) WEFT_FUZZ_CHECK(code == Code::kMalformed);
  }
  auto digest_after = log.digest();
  WEFT_FUZZ_CHECK_OK(digest_after);
  WEFT_FUZZ_CHECK(digest_after.value() == digest_before.value());
  WEFT_FUZZ_CHECK(log.version_vector() == before);
}

// Whole-batch refusals: a wrong epoch discloses nothing, and a wrong
// expected cursor applies nothing but still tells duplicates apart.
void probe(Input& in, Replica& r, const std::vector<Op>& honest, uint64_t& batch_id) {
  Log& log = *r.log;
  const VersionVector before = log.version_vector();
  const uint64_t cursor = log.cursor();
  Batch batch;
  batch.batch_id = ++batch_id;
  for (uint32_t k = 1 + in.below(4); k > 0; --k) {
    batch.ops.push_back(honest[in.below(honest.size())]);
  }
  batch.epoch = r.epoch;
  const uint32_t kind = in.below(3);
  if (kind == 0 || (kind == 1 && r.epoch == 0)) {
    batch.epoch = r.epoch + 1 + in.below(3);
  } else if (kind == 1) {
    batch.epoch = in.below(r.epoch);
  } else {
    batch.expected_cursor = in.flag() && cursor > 0 ? in.below(cursor) : cursor + 1 + in.below(3);
    // Even then, a held id with other content is reported as a conflict.
    const Op& original = batch.ops.front();
    if (before.contains(original.id) && in.flag()) {
      Op forged = original;
      forged.payload.push_back(in.byte());
      batch.ops.push_back(std::move(forged));
    }
  }
  auto result = log.apply(batch);
  WEFT_FUZZ_CHECK_OK(result);
  const Ack& ack = result.value();
  WEFT_FUZZ_CHECK(log.cursor() == cursor && log.version_vector() == before);
  if (batch.epoch != r.epoch) {
    WEFT_FUZZ_CHECK(ack.status ==
                    (batch.epoch < r.epoch ? Code::kStaleEpoch : Code::kPermissionDenied));
    WEFT_FUZZ_CHECK(ack.applied.empty() && ack.duplicates.empty() && ack.rejected.empty());
    return;
  }
  WEFT_FUZZ_CHECK(ack.status == Code::kOk && ack.cursor == cursor && ack.applied.empty());
  size_t held = 0, forged = 0;
  for (const Op& op : batch.ops) {
    const bool is_honest = std::find(honest.begin(), honest.end(), op) != honest.end();
    held += is_honest && before.contains(op.id);
    forged += !is_honest;
  }
  WEFT_FUZZ_CHECK(ack.duplicates.size() == held);
  WEFT_FUZZ_CHECK(ack.rejected.size() == batch.ops.size() - held);
  size_t conflicts = 0;
  for (const weft::Rejection& rej : ack.rejected) {
    if (rej.code == Code::kConflict) {
      ++conflicts;
      WEFT_FUZZ_CHECK(before.contains(rej.id));
    } else {
      WEFT_FUZZ_CHECK(rej.code == Code::kCursorMismatch && !before.contains(rej.id));
    }
  }
  WEFT_FUZZ_CHECK(conflicts == forged);
}

// A writer's sealed chunk, delivered to a replica: it applies the chunk's
// new ops, or refuses the whole chunk if it comes before its predecessor or
// before one of its ops' dependencies.
void deliver_chunk(Replica& r, const SealedChunk& chunk, bool must_succeed,
                   const std::vector<Op>& honest) {
  Log& log = *r.log;
  const VersionVector before = log.version_vector();
  const uint64_t cursor = log.cursor();
  auto put = log.put_chunk(chunk.bytes, chunk.seal.digest);
  const VersionVector after = log.version_vector();
  WEFT_FUZZ_CHECK(after.total() == log.cursor());
  if (put) {
    WEFT_FUZZ_CHECK(put.value() == chunk.seal);
    WEFT_FUZZ_CHECK(after.contains(OpId{chunk.seal.actor, chunk.seal.last}));
    r.settle(after, honest);
    return;
  }
  WEFT_FUZZ_CHECK(!must_succeed);
  WEFT_FUZZ_CHECK(put.code() == Code::kNotContiguous || put.code() == Code::kMissingDependency);
  WEFT_FUZZ_CHECK(log.cursor() == cursor && after == before);
}

// Redelivers what was refused as early until every op is present. Each round
// applies at least the earliest missing op, whose dependencies are all here.
void redeliver(Input& in, Replica& r, const std::vector<Op>& honest, const Positions& index,
               uint64_t& batch_id) {
  for (size_t round = 0; r.pending_count > 0; ++round) {
    WEFT_FUZZ_CHECK(round <= honest.size());
    std::vector<Op> ops;
    ops.reserve(r.pending_count);
    for (size_t i = 0; i < honest.size(); ++i) {
      if (r.pending[i]) ops.push_back(honest[i]);
    }
    shuffle(in, ops);
    for (Batch& b : split(in, std::move(ops), batch_id)) {
      deliver_honest(in, r, std::move(b), honest, index);
    }
  }
}

// Lamports increase along every dependency, so the canonical order is a
// topological order.
void check_topological(const std::vector<OpId>& order, const std::vector<Op>& honest) {
  const Positions position(order);
  for (const Op& op : honest) {
    const size_t at = position(op.id);
    if (op.id.counter > 1) WEFT_FUZZ_CHECK(position(OpId{op.id.actor, op.id.counter - 1}) < at);
    for (const OpId& d : op.deps) WEFT_FUZZ_CHECK(position(d) < at);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in(data, size);
  weft::ActorId observer;
  observer.bytes.fill(0xee);
  auto everything = open_log(observer);
  const History history = build_history(in, *everything);
  const std::vector<Op>& honest = history.ops;
  if (honest.empty()) return 0;
  const Positions index(honest);

  uint64_t batch_id = 0;
  std::vector<Replica> replicas(kReplicas);
  for (size_t i = 0; i < kReplicas; ++i) {
    weft::ActorId id;
    id.bytes.fill(static_cast<uint8_t>(0xf0 + i));
    Replica& r = replicas[i];
    r.log = open_log(id);
    r.epoch = in.below(3);
    r.pending.assign(honest.size(), false);
    WEFT_FUZZ_CHECK_OK(r.log->set_epoch(r.epoch));
    if (r.epoch > 0) {
      WEFT_FUZZ_CHECK(r.log->set_epoch(r.epoch - 1).code() == Code::kInvalidArgument);
    }
    r.queue = split(in, delivery_order(in, honest), batch_id);
  }

  // Interleave the replicas' deliveries with side events until every queue
  // is drained; past the input's end only deliveries remain.
  int side_events = 0;
  for (;;) {
    std::array<Replica*, kReplicas> busy;
    size_t n_busy = 0;
    for (Replica& r : replicas) {
      if (r.next < r.queue.size()) busy[n_busy++] = &r;
    }
    if (n_busy == 0) break;
    Replica& r = *busy[in.below(n_busy)];
    const uint32_t event = side_events < kMaxSideEvents ? in.below(9) : 0;
    if (event >= 5) ++side_events;
    switch (event) {
      case 5:
        deliver_hostile(in, r, honest);
        break;
      case 6:
        probe(in, r, honest, batch_id);
        break;
      case 7: {
        Replica& from = replicas[in.below(kReplicas)];
        if (&from != &r) {
          merge(*r.log, *from.log);
          if (r.pending_count > 0) r.settle(r.log->version_vector(), honest);
        }
        break;
      }
      case 8:
        if (!history.chunks.empty()) {
          deliver_chunk(r, history.chunks[in.below(history.chunks.size())], false, honest);
        }
        break;
      default:
        // Delivered once: the queue gives its batch up.
        deliver_honest(in, r, std::move(r.queue[r.next++]), honest, index);
    }
  }
  for (Replica& r : replicas) redeliver(in, r, honest, index, batch_id);
  for (Replica& r : replicas) {
    for (uint32_t k = in.below(4); k > 0; --k) deliver_hostile(in, r, honest);
  }
  // Holding every op, a replica takes every chunk in order; ones it already
  // has are idempotent successes. One replica per input, chosen by it, does
  // this (and is the log verified, if the input chose a replica): the
  // others converge without it.
  Replica& sealed = replicas[in.below(kReplicas)];
  for (const SealedChunk& chunk : history.chunks) deliver_chunk(sealed, chunk, true, honest);

  auto digest = everything->digest();
  auto order = everything->canonical_order();
  WEFT_FUZZ_CHECK_OK(digest);
  WEFT_FUZZ_CHECK_OK(order);
  check_topological(order.value(), honest);
  const VersionVector vv = everything->version_vector();
  const std::vector<OpId> heads = everything->heads();
  for (Replica& r : replicas) {
    Log& log = *r.log;
    WEFT_FUZZ_CHECK(log.cursor() == honest.size());
    WEFT_FUZZ_CHECK(log.version_vector() == vv);
    WEFT_FUZZ_CHECK(log.heads() == heads);
    auto d = log.digest();
    WEFT_FUZZ_CHECK_OK(d);
    WEFT_FUZZ_CHECK(d.value() == digest.value());
    auto o = log.canonical_order();
    WEFT_FUZZ_CHECK_OK(o);
    WEFT_FUZZ_CHECK(o.value() == order.value());
    const Op& sample = honest[in.below(honest.size())];
    auto got = log.get(sample.id);
    WEFT_FUZZ_CHECK_OK(got);
    WEFT_FUZZ_CHECK(got.value().op == sample);
  }
  if (history.verify_replica) {
    auto report = sealed.log->verify();
    WEFT_FUZZ_CHECK_OK(report);
    WEFT_FUZZ_CHECK(report.value().ops == honest.size());
    WEFT_FUZZ_CHECK(report.value().chunks == history.chunks.size());
  }
  return 0;
}
