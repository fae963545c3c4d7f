#include "weft/codec.hpp"

#include <algorithm>
#include <cstring>
#include <map>
#include <string>

#include <boost/container/small_vector.hpp>

#include "format/rle.hpp"
#include "weft_generated.h"

namespace weft {
namespace {

namespace fb = flatbuffers;

// Scratch lists that hold a typical message's worth inline: encoding or
// decoding a small batch then allocates only its result.
template <typename T, size_t N>
using Small = boost::container::small_vector<T, N>;

// ---------------------------------------------------------------- encoding

// Actor table in order of first appearance. Messages name a handful of
// actors, found by a scan; past kScan of them a map takes over.
class ActorTable {
 public:
  uint32_t index(const ActorId& a) {
    if (last_ < actors_.size() && actors_[last_] == a) return last_;
    if (actors_.size() <= kScan) {
      const auto it = std::find(actors_.begin(), actors_.end(), a);
      last_ = static_cast<uint32_t>(it - actors_.begin());
      if (it == actors_.end()) add(a);
      return last_;
    }
    auto [it, inserted] = map_.try_emplace(a, static_cast<uint32_t>(actors_.size()));
    if (inserted) actors_.push_back(a);
    last_ = it->second;
    return last_;
  }
  fb::Offset<fb::Vector<const wire::ActorBytes*>> build(fb::FlatBufferBuilder& fbb) const {
    if (actors_.empty()) return 0;
    Small<wire::ActorBytes, kScan> v(actors_.size());
    for (size_t i = 0; i < actors_.size(); ++i) {
      std::memcpy(v[i].mutable_b()->Data(), actors_[i].bytes.data(), kActorIdSize);
    }
    return fbb.CreateVectorOfStructs(v.data(), v.size());
  }

 private:
  static constexpr size_t kScan = 16;

  void add(const ActorId& a) {
    actors_.push_back(a);
    if (actors_.size() > kScan) {  // the scan ends here: index every actor
      for (uint32_t i = 0; i < actors_.size(); ++i) map_.emplace(actors_[i], i);
    }
  }

  Small<ActorId, kScan> actors_;
  std::map<ActorId, uint32_t> map_;
  uint32_t last_ = UINT32_MAX;
};

class RunColumn {
 public:
  void push(int64_t v) {
    if (v != 0) nonzero_ = true;
    if (count_ > 0 && value_ == v) {
      ++count_;
      return;
    }
    flush();
    value_ = v;
    count_ = 1;
  }
  // An all-zero column is omitted (decoders read "absent" as zeros).
  fb::Offset<fb::Vector<uint8_t>> build(fb::FlatBufferBuilder& fbb) {
    flush();
    return nonzero_ ? fbb.CreateVector(bytes_.data(), bytes_.size()) : 0;
  }

 private:
  void flush() {
    if (count_ == 0) return;
    rle::put_run(bytes_, value_, count_);
    count_ = 0;
  }
  Small<uint8_t, 64> bytes_;  // most columns fit in a few dozen bytes
  int64_t value_ = 0;
  uint64_t count_ = 0;
  bool nonzero_ = false;
};

class IdRuns {
 public:
  void push(uint32_t actor, uint64_t counter) {
    if (!runs_.empty()) {
      auto& r = runs_.back();
      if (r.actor() == actor && r.first() + r.count() == counter && r.count() < UINT32_MAX) {
        r.mutate_count(r.count() + 1);
        return;
      }
    }
    runs_.emplace_back(counter, actor, 1);
  }
  fb::Offset<fb::Vector<const wire::CounterRun*>> build(fb::FlatBufferBuilder& fbb) const {
    return runs_.empty() ? 0 : fbb.CreateVectorOfStructs(runs_.data(), runs_.size());
  }

 private:
  Small<wire::CounterRun, 8> runs_;
};

fb::Offset<wire::OpColumns> build_columns(fb::FlatBufferBuilder& fbb, std::span<const Op> ops) {
  ActorTable actors;
  IdRuns runs;
  RunColumn lamport, timestamp, kind, payload_size, dep_count;
  Small<uint32_t, 32> dep_actor;
  Small<uint64_t, 32> dep_counter;
  uint64_t prev_lamport = 0, prev_ts = 0;
  size_t payload_total = 0;
  for (const Op& op : ops) {
    runs.push(actors.index(op.id.actor), op.id.counter);
    lamport.push(static_cast<int64_t>(op.lamport - prev_lamport));
    timestamp.push(static_cast<int64_t>(static_cast<uint64_t>(op.timestamp_ms) - prev_ts));
    prev_lamport = op.lamport;
    prev_ts = static_cast<uint64_t>(op.timestamp_ms);
    kind.push(op.kind);
    payload_size.push(static_cast<int64_t>(op.payload.size()));
    payload_total += op.payload.size();
    dep_count.push(static_cast<int64_t>(op.deps.size()));
    for (const OpId& d : op.deps) {
      dep_actor.push_back(actors.index(d.actor));
      dep_counter.push_back(d.counter);
    }
  }
  // Children are built before the table that refers to them, in a fixed order.
  fb::Offset<fb::Vector<uint8_t>> payloads = 0;
  if (payload_total > 0) {
    uint8_t* dst = nullptr;
    payloads = fbb.CreateUninitializedVector(payload_total, 1, &dst);
    for (const Op& op : ops) {
      if (op.payload.empty()) continue;
      std::memcpy(dst, op.payload.data(), op.payload.size());
      dst += op.payload.size();
    }
  }
  auto dep_counter_v = dep_counter.empty() ? 0 : fbb.CreateVector(dep_counter.data(), dep_counter.size());
  auto dep_actor_v = dep_actor.empty() ? 0 : fbb.CreateVector(dep_actor.data(), dep_actor.size());
  auto dep_count_v = dep_count.build(fbb);
  auto payload_size_v = payload_size.build(fbb);
  auto kind_v = kind.build(fbb);
  auto timestamp_v = timestamp.build(fbb);
  auto lamport_v = lamport.build(fbb);
  auto runs_v = runs.build(fbb);
  auto actors_v = actors.build(fbb);
  return wire::CreateOpColumns(fbb, actors_v, runs_v, lamport_v, timestamp_v, kind_v,
                               payload_size_v, dep_count_v, dep_actor_v, dep_counter_v, payloads);
}

size_t size_hint(std::span<const Op> ops) {
  size_t n = 256;
  for (const Op& op : ops) n += op.payload.size() + op.deps.size() * 12;
  return n;
}

// Completes the message in `fbb`; its bytes are then fbb's buffer.
void finish_in(fb::FlatBufferBuilder& fbb, wire::Body type, fb::Offset<void> body) {
  auto msg = wire::CreateMessage(fbb, kFormatVersion, type, body);
  fbb.Finish(msg, wire::MessageIdentifier());
}

Bytes finish(fb::FlatBufferBuilder& fbb, wire::Body type, fb::Offset<void> body) {
  finish_in(fbb, type, body);
  return Bytes(fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize());
}

// ---------------------------------------------------------------- decoding

Error malformed(const std::string& what) { return make_error(Code::kMalformed, what); }

// A field's name for error messages ("batch.ops" + ".lamport_delta"), put
// together only when an error is reported: a valid message decodes without
// building a single string.
struct Field {
  std::string_view base;
  std::string_view leaf = {};

  std::string str() const {
    std::string s(base);
    s += leaf;
    return s;
  }
  std::string at(size_t i) const { return str() + "[" + std::to_string(i) + "]"; }
};

// The verifier checks a vector's length field to 4 bytes only; vectors of
// 8-byte elements must be checked here or a hostile buffer misaligns them.
template <typename V>
Status check_aligned(const V* v, const Field& name) {
  if (v != nullptr && reinterpret_cast<uintptr_t>(v->Data()) % 8 != 0) {
    return malformed(name.str() + ": vector is not 8-byte aligned");
  }
  return Status::ok();
}

// Decodes from an 8-byte aligned copy when the caller's bytes are not
// aligned (a slice of a larger buffer, say): FlatBuffers reads scalars in place.
template <typename F>
auto with_aligned(std::span<const uint8_t> bytes, F&& decode) {
  // An empty span has nothing to copy (and memcpy to a null pointer is UB).
  if (bytes.empty() || reinterpret_cast<uintptr_t>(bytes.data()) % 8 == 0) return decode(bytes);
  std::vector<uint64_t> copy((bytes.size() + 7) / 8);
  std::memcpy(copy.data(), bytes.data(), bytes.size());
  return decode(std::span(reinterpret_cast<const uint8_t*>(copy.data()), bytes.size()));
}

// Size, identifier, structure and version: what every message must pass.
Result<const wire::Message*> verify_message(std::span<const uint8_t> bytes, const Limits& limits,
                                            const char* name) {
  if (bytes.size() > limits.max_message_bytes) {
    return malformed(std::string(name) + ": message is " + std::to_string(bytes.size()) +
                     " bytes, over the limit of " + std::to_string(limits.max_message_bytes));
  }
  if (bytes.size() < 8 || !fb::BufferHasIdentifier(bytes.data(), wire::MessageIdentifier())) {
    return malformed(std::string(name) + ": file identifier is not WEFT");
  }
  // Our messages hold at most three nested tables; the limits keep a hostile
  // buffer from making the verifier walk far.
  fb::Verifier verifier(bytes.data(), bytes.size(), /*max_depth=*/8, /*max_tables=*/16);
  if (!wire::VerifyMessageBuffer(verifier)) {
    return malformed(std::string(name) + ": flatbuffers verification failed");
  }
  const wire::Message* msg = wire::GetMessage(bytes.data());
  if (msg->format_version() == 0) return malformed(std::string(name) + ": format_version missing");
  if (msg->format_version() > kFormatVersion) {
    return make_error(Code::kUnsupportedVersion,
                      std::string(name) + ": format_version " +
                          std::to_string(msg->format_version()) + ", this build reads up to " +
                          std::to_string(kFormatVersion));
  }
  return msg;
}

Result<const wire::Message*> open_message(std::span<const uint8_t> bytes, const Limits& limits,
                                          wire::Body expected) {
  const char* name = wire::EnumNameBody(expected);
  auto msg = verify_message(bytes, limits, name);
  WEFT_TRY(msg);
  if (msg.value()->body_type() != expected || msg.value()->body() == nullptr) {
    const auto type = msg.value()->body_type();
    const char* got = type <= wire::Body::MAX ? wire::EnumNameBody(type) : "unknown";
    return malformed(std::string("message: body is ") + (*got ? got : "NONE") + ", expected " +
                     name);
  }
  return msg;
}

// Reads a run-length column of n values; absent means all zeros.
class RunReader {
 public:
  // Parses the column: counts >= 1 summing to exactly n, every value within
  // [lo, hi]. Must succeed before next() or total() is called.
  Status open(const fb::Vector<uint8_t>* v, uint64_t n, int64_t lo, int64_t hi,
              const Field& name) {
    if (v == nullptr) return Status::ok();
    WEFT_TRY(rle::parse_into(std::span(v->data(), v->size()), name.base, name.leaf,
                             static_cast<size_t>(n), runs_));
    uint64_t sum = 0;
    for (size_t i = 0; i < runs_.size(); ++i) {
      const rle::Run& r = runs_[i];
      if (r.value < lo || r.value > hi) {
        return malformed(name.at(i) + ": value " + std::to_string(r.value) + " out of range");
      }
      if (r.count > n - sum) {
        return malformed(name.str() + ": runs cover more than " + std::to_string(n) + " values");
      }
      sum += r.count;
    }
    if (sum != n) {
      return malformed(name.str() + ": runs cover " + std::to_string(sum) + " values, expected " +
                       std::to_string(n));
    }
    return Status::ok();
  }
  // Sum of value*count, for columns opened with a range of [0, 2^32).
  uint64_t total() const {
    uint64_t t = 0;
    for (const rle::Run& r : runs_) t += static_cast<uint64_t>(r.value) * r.count;
    return t;
  }
  int64_t next() {
    if (runs_.empty()) return 0;
    int64_t v = runs_[run_].value;
    if (++used_ == runs_[run_].count) {
      ++run_;
      used_ = 0;
    }
    return v;
  }

 private:
  Small<rle::Run, 8> runs_;
  size_t run_ = 0;
  uint64_t used_ = 0;
};

// An actor table lists each actor once (the encoder never repeats one).
// Checks that work by table index, like the in-message lamport check, rely
// on it: a repeated actor would hide one op from another.
Status check_unique_actors(const fb::Vector<const wire::ActorBytes*>* actors,
                           const Field& where) {
  if (actors == nullptr || actors->size() < 2) return Status::ok();
  Small<std::pair<std::array<uint8_t, kActorIdSize>, uint32_t>, 16> sorted(actors->size());
  for (uint32_t i = 0; i < actors->size(); ++i) {
    std::memcpy(sorted[i].first.data(), actors->Get(i)->b()->Data(), kActorIdSize);
    sorted[i].second = i;
  }
  std::sort(sorted.begin(), sorted.end());
  for (size_t i = 1; i < sorted.size(); ++i) {
    if (sorted[i].first == sorted[i - 1].first) {
      return malformed(where.at(sorted[i].second) + ": repeats actors[" +
                       std::to_string(sorted[i - 1].second) + "]");
    }
  }
  return Status::ok();
}

ActorId actor_at(const fb::Vector<const wire::ActorBytes*>* actors, uint32_t i) {
  ActorId a;
  std::memcpy(a.bytes.data(), actors->Get(i)->b()->Data(), kActorIdSize);
  return a;
}

// Where each (actor, counter) sits in a batch, for in-batch lamport checks.
// Runs normally cover disjoint counters and the lookup is a search over
// runs. A batch that repeats an id has overlapping runs; then every op gets
// its own entry and a repeated id keeps the occurrence with the highest
// lamport, so a dependency is checked against all of its occurrences and
// the verdict does not depend on which copy a search happens to meet.
class RunIndex {
 public:
  struct Run {
    uint32_t actor;
    uint64_t first;
    uint64_t count;
    size_t start;  // op index of the run's first op
  };

  void reserve(size_t runs) { runs_.reserve(runs); }
  void add(const Run& r) { runs_.push_back(r); }

  // Call once the ops are decoded: `author[i]` is op i's actor index.
  void build(std::span<const Op> ops, std::span<const uint32_t> author) {
    std::sort(runs_.begin(), runs_.end(), [](const Run& x, const Run& y) {
      return x.actor != y.actor ? x.actor < y.actor : x.first < y.first;
    });
    overlapping_ = false;
    for (size_t i = 1; i < runs_.size() && !overlapping_; ++i) {
      const Run& p = runs_[i - 1];
      overlapping_ = p.actor == runs_[i].actor && runs_[i].first - p.first < p.count;
    }
    if (!overlapping_) return;
    ids_.resize(ops.size());
    for (size_t i = 0; i < ops.size(); ++i) ids_[i] = {author[i], ops[i].id.counter, i};
    std::sort(ids_.begin(), ids_.end(), [&](const IdAt& x, const IdAt& y) {
      if (x.actor != y.actor) return x.actor < y.actor;
      if (x.counter != y.counter) return x.counter < y.counter;
      return ops[x.op].lamport > ops[y.op].lamport;  // highest lamport first
    });
    ids_.erase(std::unique(ids_.begin(), ids_.end(),
                           [](const IdAt& x, const IdAt& y) {
                             return x.actor == y.actor && x.counter == y.counter;
                           }),
               ids_.end());
  }

  // True when some id occurs twice: no shortcut may assume one occurrence.
  bool overlapping() const { return overlapping_; }

  // The op index of (actor, counter) in the batch (its highest-lamport
  // occurrence if repeated), or SIZE_MAX.
  size_t find(uint32_t actor, uint64_t counter) const {
    if (overlapping_) {
      auto it = std::lower_bound(ids_.begin(), ids_.end(), std::pair{actor, counter},
                                 [](const IdAt& e, const std::pair<uint32_t, uint64_t>& k) {
                                   return e.actor != k.first ? e.actor < k.first
                                                             : e.counter < k.second;
                                 });
      if (it == ids_.end() || it->actor != actor || it->counter != counter) return SIZE_MAX;
      return it->op;
    }
    auto it = std::upper_bound(runs_.begin(), runs_.end(), std::pair{actor, counter},
                               [](const std::pair<uint32_t, uint64_t>& k, const Run& e) {
                                 return k.first != e.actor ? k.first < e.actor
                                                           : k.second < e.first;
                               });
    if (it == runs_.begin()) return SIZE_MAX;
    --it;
    if (it->actor != actor || counter - it->first >= it->count) return SIZE_MAX;
    return it->start + (counter - it->first);
  }

 private:
  struct IdAt {
    uint32_t actor;
    uint64_t counter;
    size_t op;
  };
  Small<Run, 8> runs_;
  std::vector<IdAt> ids_;
  bool overlapping_ = false;
};

Status decode_columns(const wire::OpColumns* c, const Limits& limits, std::string_view where,
                      std::vector<Op>& out) {
  out.clear();
  if (c == nullptr) return Status::ok();
  const auto* actors = c->actors();
  const uint32_t na = actors ? actors->size() : 0;
  if (na > limits.max_actors) {
    return malformed(std::string(where) + ".actors: " + std::to_string(na) +
                     " actors, over the limit of " +
                     std::to_string(limits.max_actors));
  }
  WEFT_TRY(check_aligned(c->runs(), Field{where, ".runs"}));
  WEFT_TRY(check_aligned(c->dep_counter(), Field{where, ".dep_counter"}));
  WEFT_TRY(check_unique_actors(actors, Field{where, ".actors"}));
  // Counter runs decide the op count; check them before anything is sized by it.
  uint64_t n = 0;
  RunIndex index;
  if (const auto* runs = c->runs()) {
    index.reserve(runs->size());
    const Field field{where, ".runs"};
    for (uint32_t i = 0; i < runs->size(); ++i) {
      const wire::CounterRun* r = runs->Get(i);
      if (r->actor() >= na) return malformed(field.at(i) + ".actor: index out of range");
      if (r->count() == 0) return malformed(field.at(i) + ".count: 0");
      if (r->first() == 0) return malformed(field.at(i) + ".first: counters start at 1");
      if (r->first() - 1 > UINT64_MAX - r->count()) {
        return malformed(field.at(i) + ": counter overflow");
      }
      n += r->count();
      if (n > limits.max_ops) {
        return malformed(field.str() + ": more than " + std::to_string(limits.max_ops) + " ops");
      }
      index.add({r->actor(), r->first(), r->count(), static_cast<size_t>(n - r->count())});
    }
  }
  RunReader lamport, timestamp, kind, payload_size, dep_count;
  WEFT_TRY(lamport.open(c->lamport_delta(), n, INT64_MIN, INT64_MAX,
                        Field{where, ".lamport_delta"}));
  WEFT_TRY(timestamp.open(c->timestamp_delta(), n, INT64_MIN, INT64_MAX,
                          Field{where, ".timestamp_delta"}));
  WEFT_TRY(kind.open(c->kind(), n, 0, UINT32_MAX, Field{where, ".kind"}));
  WEFT_TRY(payload_size.open(c->payload_size(), n, 0, limits.max_payload_bytes,
                             Field{where, ".payload_size"}));
  WEFT_TRY(dep_count.open(c->dep_count(), n, 0, limits.max_deps_per_op,
                          Field{where, ".dep_count"}));
  const uint64_t payload_total = payload_size.total();
  const uint64_t payload_have = c->payloads() ? c->payloads()->size() : 0;
  if (payload_total != payload_have) {
    return malformed(std::string(where) + ".payloads: " + std::to_string(payload_have) +
                     " bytes, payload_size says " + std::to_string(payload_total));
  }
  const uint64_t deps_total = dep_count.total();
  const uint64_t dep_actor_n = c->dep_actor() ? c->dep_actor()->size() : 0;
  const uint64_t dep_counter_n = c->dep_counter() ? c->dep_counter()->size() : 0;
  if (deps_total != dep_actor_n || deps_total != dep_counter_n) {
    return malformed(std::string(where) + ".dep_actor/dep_counter: lengths " +
                     std::to_string(dep_actor_n) +
                     "/" + std::to_string(dep_counter_n) + ", dep_count says " +
                     std::to_string(deps_total));
  }

  out.resize(n);
  Small<uint32_t, 64> author(n);
  const uint8_t* payload = c->payloads() ? c->payloads()->data() : nullptr;
  uint64_t prev_lamport = 0, prev_ts = 0;
  size_t dep_pos = 0;
  size_t i = 0;
  if (const auto* runs = c->runs()) {
    for (const wire::CounterRun* r : *runs) {
      const ActorId actor = actor_at(actors, r->actor());
      for (uint32_t k = 0; k < r->count(); ++k, ++i) {
        Op& op = out[i];
        author[i] = r->actor();
        op.id = OpId{actor, r->first() + k};
        op.lamport = prev_lamport + static_cast<uint64_t>(lamport.next());
        prev_lamport = op.lamport;
        prev_ts += static_cast<uint64_t>(timestamp.next());
        op.timestamp_ms = static_cast<int64_t>(prev_ts);
        op.kind = static_cast<uint32_t>(kind.next());
        const auto size = static_cast<size_t>(payload_size.next());
        op.payload.assign(payload, payload + size);
        payload += size;
        const auto nd = static_cast<size_t>(dep_count.next());
        op.deps.resize(nd);
        for (size_t d = 0; d < nd; ++d, ++dep_pos) {
          uint32_t ai = c->dep_actor()->Get(static_cast<uint32_t>(dep_pos));
          if (ai >= na) {
            return malformed(Field{where, ".dep_actor"}.at(dep_pos) + ": index out of range");
          }
          op.deps[d] = OpId{actor_at(actors, ai), c->dep_counter()->Get(static_cast<uint32_t>(dep_pos))};
        }
        if (op.lamport == 0) return malformed(Field{where}.at(i) + ".lamport: 0");
        if (!deps_canonical(op.id, op.deps)) {
          return malformed(Field{where}.at(i) + ".deps: not canonical (one entry " +
                           "per foreign actor, sorted, counters >= 1, never the op's own actor)");
        }
      }
    }
  }

  // Lamport consistency within the batch: every dependency (explicit, or the
  // implicit previous counter) found in the batch has a lower lamport. This
  // also refuses dependency cycles up front.
  index.build(out, std::span<const uint32_t>(author.data(), author.size()));
  auto check_dep = [&](size_t op_i, uint32_t actor, uint64_t counter) -> Status {
    size_t j = index.find(actor, counter);
    if (j != SIZE_MAX && out[j].lamport >= out[op_i].lamport) {
      return malformed(Field{where}.at(op_i) + ".lamport: " +
                       std::to_string(out[op_i].lamport) + " is not above dependency " +
                       out[j].id.to_string() + " at " + std::to_string(out[j].lamport));
    }
    return Status::ok();
  };
  dep_pos = 0;
  for (size_t k = 0; k < n; ++k) {
    const Op& op = out[k];
    // The common case, the previous op of the same run, needs no lookup.
    bool prev_adjacent =
        !index.overlapping() && k > 0 && author[k - 1] == author[k] && out[k - 1].id.counter + 1 == op.id.counter &&
        out[k - 1].lamport < op.lamport;
    if (op.id.counter > 1 && !prev_adjacent) WEFT_TRY(check_dep(k, author[k], op.id.counter - 1));
    for (const OpId& d : op.deps) {
      WEFT_TRY(check_dep(k, c->dep_actor()->Get(static_cast<uint32_t>(dep_pos++)), d.counter));
    }
  }
  return Status::ok();
}

Status decode_id_runs(const fb::Vector<const wire::CounterRun*>* runs,
                      const fb::Vector<const wire::ActorBytes*>* actors, const Limits& limits,
                      std::string_view where, uint64_t& budget, std::vector<OpId>& out) {
  if (runs == nullptr) return Status::ok();
  const Field field{where};
  WEFT_TRY(check_aligned(runs, field));
  const uint32_t na = actors ? actors->size() : 0;
  for (uint32_t i = 0; i < runs->size(); ++i) {
    const wire::CounterRun* r = runs->Get(i);
    if (r->actor() >= na) return malformed(field.at(i) + ".actor: index out of range");
    if (r->count() == 0) return malformed(field.at(i) + ".count: 0");
    if (r->first() == 0) return malformed(field.at(i) + ".first: counters start at 1");
    if (r->first() - 1 > UINT64_MAX - r->count()) {
      return malformed(field.at(i) + ": counter overflow");
    }
    if (r->count() > budget) {
      return malformed(field.str() + ": more than " + std::to_string(limits.max_ops) + " ids");
    }
    budget -= r->count();
    ActorId a = actor_at(actors, r->actor());
    for (uint64_t k = 0; k < r->count(); ++k) out.push_back(OpId{a, r->first() + k});
  }
  return Status::ok();
}

// A version vector as sorted ClockEntry structs (absent when empty).
fb::Offset<fb::Vector<const wire::ClockEntry*>> build_clock(fb::FlatBufferBuilder& fbb,
                                                             const VersionVector& vv) {
  if (vv.size() == 0) return 0;
  Small<wire::ClockEntry, 16> entries(vv.size());
  for (size_t i = 0; i < vv.size(); ++i) {
    std::memcpy(entries[i].mutable_actor().mutable_b()->Data(), vv.entries()[i].first.bytes.data(),
                kActorIdSize);
    entries[i].mutate_counter(vv.entries()[i].second);
  }
  return fbb.CreateVectorOfStructs(entries.data(), entries.size());
}

Status decode_clock(const fb::Vector<const wire::ClockEntry*>* entries, const Limits& limits,
                    std::string_view where, VersionVector& vv) {
  if (entries == nullptr) return Status::ok();
  const Field field{where};
  WEFT_TRY(check_aligned(entries, field));
  // No actor limit here: a version vector names every writer its log holds,
  // and whatever a log accepts it must be able to sync. Its cost is bounded
  // by the message (24 bytes an entry, verified against max_message_bytes).
  (void)limits;
  ActorId prev;
  vv.reserve(entries->size());
  for (uint32_t i = 0; i < entries->size(); ++i) {
    const wire::ClockEntry* e = entries->Get(i);
    ActorId a;
    std::memcpy(a.bytes.data(), e->actor().b()->Data(), kActorIdSize);
    if (e->counter() == 0) return malformed(field.at(i) + ".counter: 0");
    if (i > 0 && !(prev < a)) return malformed(field.at(i) + ".actor: not sorted or repeated");
    vv.append_sorted(a, e->counter());  // sorted: checked above
    prev = a;
  }
  return Status::ok();
}

}  // namespace

// ---------------------------------------------------------------- public

Bytes encode_batch(const Batch& batch) {
  fb::FlatBufferBuilder fbb(size_hint(batch.ops));
  auto cols = build_columns(fbb, batch.ops);
  auto body = wire::CreateBatch(fbb, batch.batch_id, batch.seq, batch.expected_cursor.has_value(),
                                batch.expected_cursor.value_or(0), batch.epoch, cols);
  return finish(fbb, wire::Body::Batch, body.Union());
}

Result<Batch> decode_batch(std::span<const uint8_t> input, const Limits& limits) {
  return with_aligned(input, [&](std::span<const uint8_t> bytes) -> Result<Batch> {
    auto msg = open_message(bytes, limits, wire::Body::Batch);
    WEFT_TRY(msg);
    const wire::Batch* b = msg.value()->body_as_Batch();
    Batch out;
    out.batch_id = b->batch_id();
    out.seq = b->seq();
    if (b->has_expected_cursor()) {
      out.expected_cursor = b->expected_cursor();
    } else if (b->expected_cursor() != 0) {
      return malformed("batch.expected_cursor: set while has_expected_cursor is false");
    }
    out.epoch = b->epoch();
    WEFT_TRY(decode_columns(b->ops(), limits, "batch.ops", out.ops));
    return out;
  });
}

Bytes encode_ack(const Ack& ack) {
  fb::FlatBufferBuilder fbb(256);
  ActorTable actors;
  IdRuns applied, duplicates, rejected;
  RunColumn codes;
  for (const OpId& id : ack.applied) applied.push(actors.index(id.actor), id.counter);
  for (const OpId& id : ack.duplicates) duplicates.push(actors.index(id.actor), id.counter);
  for (const Rejection& r : ack.rejected) {
    rejected.push(actors.index(r.id.actor), r.id.counter);
    codes.push(static_cast<int64_t>(r.code));
  }
  auto codes_v = codes.build(fbb);
  auto rejected_v = rejected.build(fbb);
  auto duplicates_v = duplicates.build(fbb);
  auto applied_v = applied.build(fbb);
  auto actors_v = actors.build(fbb);
  auto body = wire::CreateAck(fbb, ack.batch_id, ack.seq, static_cast<uint32_t>(ack.status),
                              ack.cursor, actors_v, applied_v, duplicates_v, rejected_v, codes_v);
  return finish(fbb, wire::Body::Ack, body.Union());
}

Result<Ack> decode_ack(std::span<const uint8_t> input, const Limits& limits) {
  return with_aligned(input, [&](std::span<const uint8_t> bytes) -> Result<Ack> {
    auto msg = open_message(bytes, limits, wire::Body::Ack);
    WEFT_TRY(msg);
    const wire::Ack* a = msg.value()->body_as_Ack();
    if (a->actors() && a->actors()->size() > limits.max_actors) {
      return malformed("ack.actors: over the limit of " + std::to_string(limits.max_actors));
    }
    WEFT_TRY(check_unique_actors(a->actors(), Field{"ack.actors"}));
    if (a->status() >= kCodeCount) {
      return malformed("ack.status: unknown code " + std::to_string(a->status()));
    }
    Ack out;
    out.batch_id = a->batch_id();
    out.seq = a->seq();
    out.status = static_cast<Code>(a->status());
    out.cursor = a->cursor();
    uint64_t budget = limits.max_ops;
    WEFT_TRY(decode_id_runs(a->applied(), a->actors(), limits, "ack.applied", budget, out.applied));
    WEFT_TRY(decode_id_runs(a->duplicates(), a->actors(), limits, "ack.duplicates", budget,
                            out.duplicates));
    std::vector<OpId> rejected;
    WEFT_TRY(decode_id_runs(a->rejected(), a->actors(), limits, "ack.rejected", budget, rejected));
    RunReader codes;
    WEFT_TRY(codes.open(a->rejected_code(), rejected.size(), 1, kCodeCount - 1,
                        Field{"ack.rejected_code"}));
    if (!rejected.empty() && a->rejected_code() == nullptr) {
      return malformed("ack.rejected_code: missing for " + std::to_string(rejected.size()) +
                       " rejected ops");
    }
    out.rejected.reserve(rejected.size());
    for (const OpId& id : rejected) out.rejected.push_back({id, static_cast<Code>(codes.next())});
    if (out.status != Code::kOk &&
        (!out.applied.empty() || !out.duplicates.empty() || !out.rejected.empty())) {
      return malformed("ack: a batch-level " + std::string(code_name(out.status)) +
                       " ack carries per-op outcomes");
    }
    return out;
  });
}

namespace {

// Encodes `chunk` into `fbb` (which then holds the message's bytes).
Status build_chunk(fb::FlatBufferBuilder& fbb, const Chunk& chunk) {
  if (chunk.ops.empty()) return make_error(Code::kInvalidArgument, "chunk: no ops");
  for (size_t i = 0; i < chunk.ops.size(); ++i) {
    const OpId& id = chunk.ops[i].id;
    if (id.actor != chunk.actor || id.counter != chunk.ops.front().id.counter + i ||
        id.counter == 0) {
      return make_error(Code::kInvalidArgument,
                        "chunk: op " + id.to_string() + " breaks the contiguous run of actor " +
                            chunk.actor.hex());
    }
  }
  auto cols = build_columns(fbb, chunk.ops);
  wire::Digest prev;
  std::memcpy(prev.mutable_b()->Data(), chunk.prev_digest.data(), kHashSize);
  auto body = wire::CreateChunk(fbb, chunk.index, &prev, cols);
  finish_in(fbb, wire::Body::Chunk, body.Union());
  return Status::ok();
}

}  // namespace

Result<Bytes> encode_chunk(const Chunk& chunk) {
  fb::FlatBufferBuilder fbb(size_hint(chunk.ops));
  WEFT_TRY(build_chunk(fbb, chunk));
  return Bytes(fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize());
}

Result<Chunk> decode_chunk(std::span<const uint8_t> input, const Limits& limits) {
  return with_aligned(input, [&](std::span<const uint8_t> bytes) -> Result<Chunk> {
    auto msg = open_message(bytes, limits, wire::Body::Chunk);
    WEFT_TRY(msg);
    const wire::Chunk* c = msg.value()->body_as_Chunk();
    Chunk out;
    out.index = c->index();
    if (c->prev_digest() == nullptr) return malformed("chunk.prev_digest: missing");
    std::memcpy(out.prev_digest.data(), c->prev_digest()->b()->Data(), kHashSize);
    if (c->ops() != nullptr) WEFT_TRY(check_aligned(c->ops()->runs(), Field{"chunk.ops.runs"}));
    if (c->ops() == nullptr || c->ops()->runs() == nullptr || c->ops()->runs()->size() != 1 ||
        c->ops()->runs()->Get(0)->actor() != 0) {
      return malformed("chunk.ops.runs: a chunk is exactly one run of actor 0");
    }
    WEFT_TRY(decode_columns(c->ops(), limits, "chunk.ops", out.ops));
    out.actor = out.ops.front().id.actor;
    // Chunks have one byte form: encoding the content must give the bytes back.
    fb::FlatBufferBuilder again(size_hint(out.ops));
    if (!build_chunk(again, out) || again.GetSize() != bytes.size() ||
        !std::equal(bytes.begin(), bytes.end(), again.GetBufferPointer())) {
      return malformed("chunk: bytes are not the canonical encoding of their content");
    }
    return out;
  });
}

Bytes encode_version_vector(const VersionVector& vv) {
  fb::FlatBufferBuilder fbb(64 + vv.size() * 24);
  auto body = wire::CreateVersionVector(fbb, build_clock(fbb, vv));
  return finish(fbb, wire::Body::VersionVector, body.Union());
}

Result<VersionVector> decode_version_vector(std::span<const uint8_t> input, const Limits& limits) {
  return with_aligned(input, [&](std::span<const uint8_t> bytes) -> Result<VersionVector> {
    auto msg = open_message(bytes, limits, wire::Body::VersionVector);
    WEFT_TRY(msg);
    VersionVector vv;
    WEFT_TRY(decode_clock(msg.value()->body_as_VersionVector()->entries(), limits,
                          "version_vector.entries", vv));
    return vv;
  });
}

Result<MessageKind> message_kind(std::span<const uint8_t> input, const Limits& limits) {
  return with_aligned(input, [&](std::span<const uint8_t> bytes) -> Result<MessageKind> {
    auto msg = verify_message(bytes, limits, "message");
    WEFT_TRY(msg);
    const auto type = msg.value()->body_type();
    if (type == wire::Body::NONE || msg.value()->body() == nullptr) {
      return malformed("message: no body");
    }
    if (type > wire::Body::MAX) {
      return malformed("message: body " + std::to_string(static_cast<unsigned>(type)) +
                       " is unknown to this build");
    }
    return static_cast<MessageKind>(type);
  });
}

Bytes encode_hello(const Hello& hello) {
  fb::FlatBufferBuilder fbb(128 + hello.log_id.size() + hello.token.size() +
                            hello.version_vector.size() * 24);
  auto clock = build_clock(fbb, hello.version_vector);
  auto token = hello.token.empty() ? 0 : fbb.CreateVector(hello.token);
  auto log_id = hello.log_id.empty() ? 0 : fbb.CreateString(hello.log_id);
  auto body = wire::CreateHello(fbb, log_id, token, clock, hello.cursor, hello.epoch, hello.flags);
  return finish(fbb, wire::Body::Hello, body.Union());
}

Result<Hello> decode_hello(std::span<const uint8_t> input, const Limits& limits) {
  return with_aligned(input, [&](std::span<const uint8_t> bytes) -> Result<Hello> {
    auto msg = open_message(bytes, limits, wire::Body::Hello);
    WEFT_TRY(msg);
    const wire::Hello* h = msg.value()->body_as_Hello();
    Hello out;
    if (h->log_id() != nullptr) {
      if (h->log_id()->size() > kMaxLogIdBytes) {
        return malformed("hello.log_id: " + std::to_string(h->log_id()->size()) +
                         " bytes, over the limit of " + std::to_string(kMaxLogIdBytes));
      }
      out.log_id = h->log_id()->str();
    }
    if (h->token() != nullptr) {
      if (h->token()->size() > kMaxTokenBytes) {
        return malformed("hello.token: " + std::to_string(h->token()->size()) +
                         " bytes, over the limit of " + std::to_string(kMaxTokenBytes));
      }
      out.token.assign(h->token()->begin(), h->token()->end());
    }
    WEFT_TRY(decode_clock(h->version_vector(), limits, "hello.version_vector", out.version_vector));
    out.cursor = h->cursor();
    out.epoch = h->epoch();
    if ((h->flags() & ~(kHelloPush | kHelloAccept)) != 0) {
      return malformed("hello.flags: unknown bits " + std::to_string(h->flags()));
    }
    out.flags = h->flags();
    return out;
  });
}

Bytes encode_chunks(const ChunksMessage& chunks) {
  size_t total = 0;
  Small<uint32_t, 16> sizes;
  sizes.reserve(chunks.chunks.size());
  for (const Bytes& c : chunks.chunks) {
    total += c.size();
    sizes.push_back(static_cast<uint32_t>(c.size()));
  }
  fb::FlatBufferBuilder fbb(128 + total + sizes.size() * 4);
  uint8_t* dst = nullptr;
  auto blob = fbb.CreateUninitializedVector(total, &dst);
  for (const Bytes& c : chunks.chunks) {
    if (!c.empty()) std::memcpy(dst, c.data(), c.size());
    dst += c.size();
  }
  auto sizes_v = fbb.CreateVector(sizes.data(), sizes.size());
  auto body = wire::CreateChunks(fbb, chunks.batch_id, chunks.seq, sizes_v, blob);
  return finish(fbb, wire::Body::Chunks, body.Union());
}

Result<ChunksMessage> decode_chunks(std::span<const uint8_t> input, const Limits& limits) {
  return with_aligned(input, [&](std::span<const uint8_t> bytes) -> Result<ChunksMessage> {
    auto msg = open_message(bytes, limits, wire::Body::Chunks);
    WEFT_TRY(msg);
    const wire::Chunks* c = msg.value()->body_as_Chunks();
    ChunksMessage out;
    out.batch_id = c->batch_id();
    out.seq = c->seq();
    const auto* sizes = c->chunk_sizes();
    const auto* blob = c->chunk_bytes();
    const size_t n = sizes ? sizes->size() : 0;
    const size_t have = blob ? blob->size() : 0;
    if (n == 0) return malformed("chunks.chunk_sizes: no chunks");
    if (n > limits.max_ops) {
      return malformed("chunks.chunk_sizes: " + std::to_string(n) + " chunks, over the limit of " +
                       std::to_string(limits.max_ops));
    }
    uint64_t sum = 0;
    for (uint32_t i = 0; i < n; ++i) {
      if (sizes->Get(i) < 8) {
        return malformed("chunks.chunk_sizes[" + std::to_string(i) + "]: " +
                         std::to_string(sizes->Get(i)) + " bytes cannot hold a chunk");
      }
      sum += sizes->Get(i);
    }
    if (sum != have) {
      return malformed("chunks.chunk_bytes: " + std::to_string(have) + " bytes, the sizes add to " +
                       std::to_string(sum));
    }
    out.chunks.reserve(n);
    size_t at = 0;
    for (uint32_t i = 0; i < n; ++i) {
      out.chunks.emplace_back(blob->data() + at, blob->data() + at + sizes->Get(i));
      at += sizes->Get(i);
    }
    return out;
  });
}

Bytes encode_error(const Error& error) {
  fb::FlatBufferBuilder fbb(128 + std::min(error.message.size(), kMaxErrorMessageBytes));
  auto text = fbb.CreateString(error.message.data(),
                               std::min(error.message.size(), kMaxErrorMessageBytes));
  auto body = wire::CreateError(fbb, static_cast<uint32_t>(error.code), text);
  return finish(fbb, wire::Body::Error, body.Union());
}

Result<ErrorMessage> decode_error(std::span<const uint8_t> input, const Limits& limits) {
  return with_aligned(input, [&](std::span<const uint8_t> bytes) -> Result<ErrorMessage> {
    auto msg = open_message(bytes, limits, wire::Body::Error);
    WEFT_TRY(msg);
    const wire::Error* e = msg.value()->body_as_Error();
    if (e->code() == 0 || e->code() >= kCodeCount) {
      return malformed("error.code: " + std::to_string(e->code()) + " is not an error code");
    }
    ErrorMessage out{{static_cast<Code>(e->code()), {}}};
    if (e->message() != nullptr) {
      if (e->message()->size() > kMaxErrorMessageBytes) {
        return malformed("error.message: over the limit of " +
                         std::to_string(kMaxErrorMessageBytes) + " bytes");
      }
      out.error.message = e->message()->str();
    }
    return out;
  });
}

SealRecord seal_record(const Chunk& chunk, std::span<const uint8_t> bytes) {
  return SealRecord{chunk.actor, chunk.index, chunk.first(), chunk.last(), chunk.prev_digest,
                    blake2b_256(bytes)};
}

}  // namespace weft
