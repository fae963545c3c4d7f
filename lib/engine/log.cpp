#include "weft/log.hpp"

#include <sodium.h>

#include <algorithm>
#include <chrono>

#include "core/batch_actors.hpp"

namespace weft {
namespace {

constexpr unsigned char kChainPersonal[crypto_generichash_blake2b_PERSONALBYTES] = {
    'w', 'e', 'f', 't', '/', 'c', 'h', 'a', 'i', 'n', '/', 'v', '1', 0, 0, 0};
constexpr unsigned char kDigestPersonal[crypto_generichash_blake2b_PERSONALBYTES] = {
    'w', 'e', 'f', 't', '/', 'd', 'i', 'g', 'e', 's', 't', '/', 'v', '1', 0, 0};
constexpr size_t kPage = 4096;

// chain' = BLAKE2b-256(chain || op_hash), personalised: one compression.
Hash chain_step(const Hash& chain, const Hash& op) {
  uint8_t in[2 * kHashSize];
  std::copy(chain.begin(), chain.end(), in);
  std::copy(op.begin(), op.end(), in + kHashSize);
  crypto_generichash_blake2b_state st;
  crypto_generichash_blake2b_init_salt_personal(&st, nullptr, 0, kHashSize, nullptr,
                                                kChainPersonal);
  crypto_generichash_blake2b_update(&st, in, sizeof in);
  Hash out;
  crypto_generichash_blake2b_final(&st, out.data(), out.size());
  return out;
}

void put_u64(std::vector<uint8_t>& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

std::string chunk_name(const ActorId& actor, uint64_t index) {
  return "chunk " + actor.hex() + "/" + std::to_string(index);
}

int64_t wall_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

// What one apply, append, or chunk put has changed in memory so far, so it
// can be written in one transaction or undone exactly.
struct Log::Staging {
  struct Touched {
    uint32_t actor;
    ActorState saved;
    std::vector<uint32_t> staged;  // indices into `order`, counters saved.max_counter+1...
  };
  struct Entry {
    const Op* op;
    Hash hash;
  };
  std::vector<int32_t> slot;  // actor index -> index into touched, or -1
  std::vector<Entry> order;   // applied ops in apply order
  std::vector<Hash> hashes;   // an apply's op hashes, by batch position
  std::vector<Code> outcomes; // an apply's decisions, by batch position (kOk: applied or held)
  std::vector<bool> applied;  // by batch position, for kOk outcomes
  size_t actors_before = 0;
  uint64_t cursor_before = 0;

  // Empties every list but keeps its capacity, and the touched entries'
  // own lists: one Staging serves every call without allocating.
  void reset(size_t actors, uint64_t cursor) {
    for (const Touched& t : touched()) slot[t.actor] = -1;
    used_ = 0;
    order.clear();
    actors_before = actors;
    cursor_before = cursor;
  }

  std::span<const Touched> touched() const { return std::span(touched_).first(used_); }

  Touched& touch(uint32_t actor, const std::vector<ActorState>& actors) {
    if (slot.size() <= actor) slot.resize(actor + 1, -1);
    if (slot[actor] < 0) {
      slot[actor] = static_cast<int32_t>(used_);
      if (used_ == touched_.size()) touched_.emplace_back();
      Touched& t = touched_[used_++];
      t.actor = actor;
      t.saved = actors[actor];
      t.staged.clear();
    }
    return touched_[slot[actor]];
  }
  // The staged op (actor, counter), or nullptr if it was committed before.
  const Entry* staged(uint32_t actor, uint64_t counter) const {
    if (actor >= slot.size() || slot[actor] < 0) return nullptr;
    const Touched& t = touched_[slot[actor]];
    if (counter <= t.saved.max_counter) return nullptr;
    return &order[t.staged[counter - t.saved.max_counter - 1]];
  }

 private:
  std::vector<Touched> touched_;  // the first used_ are this call's
  size_t used_ = 0;
};

Log::Log(std::unique_ptr<LogStore> store, LogOptions options, ActorId actor)
    : store_(std::move(store)),
      options_(std::move(options)),
      actor_(actor),
      staging_(std::make_unique<Staging>()) {}

Log::Staging& Log::fresh_staging() {
  staging_->reset(actors_.size(), cursor_);
  return *staging_;
}

Log::~Log() = default;

Result<std::unique_ptr<Log>> Log::open(std::unique_ptr<LogStore> store, LogOptions options) {
  if (!store) return make_error(Code::kInvalidArgument, "log: no store");
  auto header = store->load();
  WEFT_TRY(header);
  const uint64_t seal_ops = options.auto_seal_ops.value_or(store->preferred_seal_ops());
  std::unique_ptr<Log> log(new Log(std::move(store), std::move(options), ActorId::random()));
  log->auto_seal_ops_ = seal_ops;
  log->load_header(header.value());
  WEFT_TRY(log->choose_writer_locked());
  return log;
}

Result<std::unique_ptr<Log>> Log::open_memory(LogOptions options) {
  auto log = open(make_memory_store(), std::move(options));
  WEFT_TRY(log);
  WEFT_TRY(log.value()->record_writer());
  return log;
}

// Which writer to mint as (docs/storage.md, "Copies and restores"). The
// stored writer is kept only if the fence beside the store agrees that the
// store holds everything it minted; otherwise the store is a copy or a
// restore, its writer is retired, and a fresh one is recorded by the next
// mint. An explicit actor is the caller's to keep: if its fence says it
// minted past what the store holds, minting under it answers CONFLICT.
Status Log::choose_writer_locked() {
  std::optional<WriterFence> fence;
  if (store_->keeps_fence()) {
    auto f = store_->read_fence();
    WEFT_TRY(f);
    fence = f.value();
  }
  auto held = [&](const ActorId& a) -> uint64_t {
    auto i = find_actor(a);
    return i ? actors_[*i].max_counter : 0;
  };
  auto fenced = [&](const ActorId& a) {
    return !store_->keeps_fence() || (fence && fence->actor == a && fence->counter <= held(a));
  };
  if (options_.actor) {
    actor_ = *options_.actor;
    if (fence && fence->actor == actor_ && fence->counter > held(actor_)) {
      forked_ = "writer " + actor_.hex() + " minted up to counter " +
                std::to_string(fence->counter) + " but this store holds " +
                std::to_string(held(actor_)) + " of it (a copied or restored file)";
    }
    actor_recorded_ = stored_actor_ == actor_ && fenced(actor_);
    return Status::ok();
  }
  if (stored_actor_ && *stored_actor_ != retired_ && fenced(*stored_actor_)) {
    actor_ = *stored_actor_;
    actor_recorded_ = true;
    return Status::ok();
  }
  if (stored_actor_ && *stored_actor_ != retired_) {
    retired_ = *stored_actor_;
    retired_why_ = fence && fence->actor == *stored_actor_
                       ? "it minted up to counter " + std::to_string(fence->counter) +
                             " but this store holds " + std::to_string(held(*stored_actor_)) +
                             " (a restored file)"
                       : "no writer fence vouches for it (a copied file, or one from before "
                         "fences)";
  }
  if (actor_recorded_ || (stored_actor_ && actor_ == *stored_actor_)) actor_ = ActorId::random();
  actor_recorded_ = false;
  return Status::ok();
}

// Inside a minting transaction: records the writer if it is not yet.
Status Log::prepare_writer_locked(StoreTxn& txn) {
  if (forked_) return make_error(Code::kConflict, "append: " + *forked_);
  if (!actor_recorded_ && stored_actor_ != actor_) WEFT_TRY(txn.put_local_actor(actor_));
  return Status::ok();
}

Status Log::record_writer() {
  std::lock_guard lock(mu_);
  return record_writer_locked();
}

Status Log::record_writer_locked() {
  if (actor_recorded_) return Status::ok();
  auto txn = begin();
  WEFT_TRY(txn);
  if (actor_recorded_) return Status::ok();  // another handle recorded it meanwhile
  WEFT_TRY(prepare_writer_locked(*txn.value()));
  auto self = find_actor(actor_);
  WEFT_TRY(txn.value()->put_fence({actor_, self ? actors_[*self].max_counter : 0}));
  Status s = txn.value()->commit();
  if (!s) {
    reload_ = true;
    return s;
  }
  stored_actor_ = actor_;
  actor_recorded_ = true;
  return Status::ok();
}

Status Log::retire_writer(const std::string& why) {
  std::lock_guard lock(mu_);
  if (options_.actor) {
    forked_ = "writer " + actor_.hex() + ": " + why;
    return Status::ok();
  }
  retired_ = actor_;
  retired_why_ = why;
  actor_ = ActorId::random();
  actor_recorded_ = false;
  tail_.clear();
  return record_writer_locked();  // durable now: a restart must not mint under the old one
}

uint64_t Log::held(const ActorId& actor) const {
  std::lock_guard lock(mu_);
  auto i = find_actor(actor);
  return i ? actors_[*i].max_counter : 0;
}

ActorId Log::actor() const {
  std::lock_guard lock(mu_);
  return actor_;
}

Log::Writer Log::writer() const {
  std::lock_guard lock(mu_);
  return Writer{actor_, actor_recorded_, retired_, retired_why_};
}

void Log::load_header(const LogHeader& header) {
  tail_.clear();
  stored_actor_ = header.local_actor;
  cursor_ = header.cursor;
  epoch_ = header.epoch;
  actors_ = header.actors;
  actor_lookup_.clear();
  actor_order_.clear();
  actor_lookup_.reserve(actors_.size());
  for (uint32_t i = 0; i < actors_.size(); ++i) {
    actor_lookup_.emplace(actors_[i].actor, i);
    actor_order_.emplace_hint(actor_order_.end(), actors_[i].actor, i);
  }
}

Result<std::unique_ptr<StoreTxn>> Log::begin(bool synced) {
  auto txn = synced ? store_->begin_synced_write() : store_->begin_write();
  WEFT_TRY(txn);
  if (reload_) {
    // A write failed: whether or not it reached the store, what the store
    // holds is the truth (a commit may succeed and its answer be lost).
    auto header = store_->load();
    WEFT_TRY(header);
    load_header(header.value());
    WEFT_TRY(choose_writer_locked());
    reload_ = false;
    return std::move(txn.value());
  }
  auto fresh = txn.value()->refresh();
  WEFT_TRY(fresh);
  if (fresh.value()) {
    load_header(*fresh.value());
    WEFT_TRY(choose_writer_locked());
  }
  return std::move(txn.value());
}

std::optional<uint32_t> Log::find_actor(const ActorId& actor) const {
  auto it = actor_lookup_.find(actor);
  if (it == actor_lookup_.end()) return std::nullopt;
  return it->second;
}

uint32_t Log::intern(const ActorId& actor) {
  auto i = static_cast<uint32_t>(actors_.size());
  auto [it, added] = actor_lookup_.emplace(actor, i);
  if (!added) return it->second;
  actors_.push_back(ActorState{actor});
  actor_order_.emplace(actor, i);
  return i;
}

Status Log::check_limits(const Op& op, const char* where) const {
  if (op.payload.size() > options_.limits.max_payload_bytes) {
    return make_error(Code::kMalformed, std::string(where) + " " + op.id.to_string() +
                                            ": payload of " + std::to_string(op.payload.size()) +
                                            " bytes, over the limit of " +
                                            std::to_string(options_.limits.max_payload_bytes));
  }
  if (op.deps.size() > options_.limits.max_deps_per_op) {
    return make_error(Code::kMalformed, std::string(where) + " " + op.id.to_string() + ": " +
                                            std::to_string(op.deps.size()) +
                                            " dependencies, over the limit of " +
                                            std::to_string(options_.limits.max_deps_per_op));
  }
  return Status::ok();
}

Result<uint64_t> Log::lamport_of(Staging& st, uint32_t actor, uint64_t counter) {
  const ActorState& a = actors_[actor];
  if (counter == a.max_counter) return a.last_lamport;
  if (const auto* e = st.staged(actor, counter)) return e->op->lamport;
  auto meta = store_->op_meta(OpId{a.actor, counter});
  WEFT_TRY(meta);
  if (!meta.value()) {
    return make_error(Code::kCorrupt, "store: op " + OpId{a.actor, counter}.to_string() +
                                          " is below the actor's counter but missing");
  }
  return meta.value()->lamport;
}

Result<Hash> Log::stored_hash(Staging& st, uint32_t actor, uint64_t counter) {
  if (const auto* e = st.staged(actor, counter)) return e->hash;
  const ActorId& id = actors_[actor].actor;
  auto meta = store_->op_meta(OpId{id, counter});
  WEFT_TRY(meta);
  if (!meta.value()) {
    return make_error(Code::kCorrupt, "store: op " + OpId{id, counter}.to_string() +
                                          " is below the actor's counter but missing");
  }
  return meta.value()->hash;
}

Result<Code> Log::stage(Staging& st, const Op& op, const Hash& hash) {
  if (op.id.counter == 0 || !deps_canonical(op.id, op.deps)) return Code::kMalformed;
  // An unknown actor is interned only once its op is applied: refused ops
  // must leave no trace, or a peer could grow this state without bound.
  const std::optional<uint32_t> known = find_actor(op.id.actor);
  const uint64_t max = known ? actors_[*known].max_counter : 0;
  // Rule 2: present with the same hash is a duplicate, with another CONFLICT.
  if (op.id.counter <= max) {
    auto h = stored_hash(st, *known, op.id.counter);
    WEFT_TRY(h);
    return h.value() == hash ? Code::kOk : Code::kConflict;
  }
  // Rule 4: a counter gap or an absent dependency is a missing dependency.
  if (op.id.counter != max + 1) return Code::kMissingDependency;
  uint64_t expected = op.id.counter > 1 ? actors_[*known].last_lamport + 1 : 1;
  for (const OpId& d : op.deps) {
    auto di = find_actor(d.actor);
    if (!di || d.counter > actors_[*di].max_counter) return Code::kMissingDependency;
    auto l = lamport_of(st, *di, d.counter);
    WEFT_TRY(l);
    expected = std::max(expected, l.value() + 1);
  }
  if (op.lamport != expected) return Code::kMalformed;
  // Rule 5: applied.
  const uint32_t ai = known ? *known : intern(op.id.actor);
  Staging::Touched& t = st.touch(ai, actors_);
  t.staged.push_back(static_cast<uint32_t>(st.order.size()));
  st.order.push_back({&op, hash});
  actors_[ai].max_counter = op.id.counter;
  actors_[ai].last_lamport = op.lamport;
  for (const OpId& d : op.deps) {
    uint32_t di = *find_actor(d.actor);
    st.touch(di, actors_);
    actors_[di].covered = std::max(actors_[di].covered, d.counter);
  }
  ++cursor_;
  return Code::kOk;
}

Status Log::write_staged(Staging& st, StoreTxn& txn) {
  for (size_t i = 0; i < st.order.size(); ++i) {
    WEFT_TRY(txn.put_op(*st.order[i].op, st.order[i].hash, st.cursor_before + i + 1));
  }
  for (const Staging::Touched& t : st.touched()) {
    if (!(actors_[t.actor] == t.saved)) WEFT_TRY(txn.put_actor(actors_[t.actor]));
  }
  return txn.put_header(cursor_, epoch_);
}

void Log::rollback(Staging& st) {
  reload_ = true;
  for (const Staging::Touched& t : st.touched()) {
    if (t.actor < st.actors_before) actors_[t.actor] = t.saved;
  }
  if (actors_.size() > st.actors_before) {
    for (size_t i = st.actors_before; i < actors_.size(); ++i) {
      actor_lookup_.erase(actors_[i].actor);
      actor_order_.erase(actors_[i].actor);
    }
    actors_.resize(st.actors_before);
  }
  cursor_ = st.cursor_before;
}

Result<Ack> Log::apply(const Batch& batch) {
  std::lock_guard lock(mu_);
  return apply_locked(batch);
}

Result<Ack> Log::apply_locked(const Batch& batch) {
  // Oversize input is refused before anything is decided.
  if (batch.ops.size() > options_.limits.max_ops) {
    return make_error(Code::kMalformed, "batch: " + std::to_string(batch.ops.size()) +
                                            " ops, over the limit of " +
                                            std::to_string(options_.limits.max_ops));
  }
  for (const Op& op : batch.ops) WEFT_TRY(check_limits(op, "batch op"));

  auto txn = begin();  // the epoch is checked after this, inside the transaction
  WEFT_TRY(txn);
  Ack ack;
  ack.batch_id = batch.batch_id;
  ack.seq = batch.seq;
  // Rule 1: the whole batch, nothing disclosed.
  if (batch.epoch != epoch_) {
    ack.status = batch.epoch < epoch_ ? Code::kStaleEpoch : Code::kPermissionDenied;
    return ack;
  }
  Staging& st = fresh_staging();
  std::vector<Hash>& hashes = st.hashes;
  hashes.resize(batch.ops.size());
  for (size_t i = 0; i < batch.ops.size(); ++i) hashes[i] = op_hash(batch.ops[i]);

  // Rule 3: a failed compare-and-append applies nothing; duplicates and
  // conflicts are still reported as such.
  if (batch.expected_cursor && *batch.expected_cursor != cursor_) {
    for (size_t i = 0; i < batch.ops.size(); ++i) {
      const OpId& id = batch.ops[i].id;
      auto ai = find_actor(id.actor);
      if (ai && id.counter >= 1 && id.counter <= actors_[*ai].max_counter) {
        auto h = stored_hash(st, *ai, id.counter);
        WEFT_TRY(h);
        if (h.value() == hashes[i]) {
          ack.duplicates.push_back(id);
        } else {
          ack.rejected.push_back({id, Code::kConflict});
        }
      } else {
        ack.rejected.push_back({id, Code::kCursorMismatch});
      }
    }
    ack.cursor = cursor_;
    return ack;
  }

  // Every op is decided first, so the ack's lists are allocated once, at
  // their sizes.
  st.outcomes.resize(batch.ops.size());
  st.applied.assign(batch.ops.size(), false);
  size_t applied = 0, rejected = 0;
  for (size_t i = 0; i < batch.ops.size(); ++i) {
    const size_t before = st.order.size();
    auto code = stage(st, batch.ops[i], hashes[i]);
    if (!code) {
      rollback(st);
      return code.error();
    }
    st.outcomes[i] = code.value();
    st.applied[i] = st.order.size() > before;
    applied += st.applied[i];
    rejected += code.value() != Code::kOk;
  }
  ack.applied.reserve(applied);
  ack.duplicates.reserve(batch.ops.size() - applied - rejected);
  ack.rejected.reserve(rejected);
  for (size_t i = 0; i < batch.ops.size(); ++i) {
    const OpId& id = batch.ops[i].id;
    if (st.outcomes[i] != Code::kOk) {
      ack.rejected.push_back({id, st.outcomes[i]});
    } else if (st.applied[i]) {
      ack.applied.push_back(id);
    } else {
      ack.duplicates.push_back(id);
    }
  }
  if (!st.order.empty()) {
    Status s = write_staged(st, *txn.value());
    if (s) s = txn.value()->commit();
    if (!s) {
      rollback(st);
      return s.error();
    }
  }
  ack.cursor = cursor_;
  return ack;
}

void Log::heads_into(std::vector<OpId>& out, uint32_t skip) const {
  for (const auto& [id, i] : actor_order_) {
    const ActorState& a = actors_[i];
    if (i != skip && a.max_counter > 0 && a.covered < a.max_counter) {
      out.push_back(OpId{id, a.max_counter});
    }
  }
}

Result<OpId> Log::append(const AppendRequest& request) {
  auto ids = append_many(std::span(&request, 1));
  WEFT_TRY(ids);
  return ids.value().front();
}

Result<std::vector<OpId>> Log::append_many(std::span<const AppendRequest> requests) {
  std::lock_guard lock(mu_);
  if (requests.empty()) return std::vector<OpId>();  // nothing to mint, nothing to write
  if (requests.size() > options_.limits.max_ops) {
    return make_error(Code::kInvalidArgument, "append: " + std::to_string(requests.size()) +
                                                  " ops, over the limit of " +
                                                  std::to_string(options_.limits.max_ops));
  }
  auto txn = begin();
  WEFT_TRY(txn);
  Staging& st = fresh_staging();
  const uint32_t self = intern(actor_);
  // Only the first op can depend on more heads than one op may: every later
  // one follows its predecessor, which covered them. Those heads go to join
  // ops minted first, a slice each (kJoinKind).
  std::vector<OpId> heads;
  if (!requests.front().deps) heads_into(heads, self);
  const size_t per_op = std::max<size_t>(1, options_.limits.max_deps_per_op);
  const size_t joins = heads.size() > per_op ? (heads.size() - 1) / per_op : 0;
  std::vector<Op> minted;  // reserved: addresses stay stable until commit
  minted.reserve(requests.size() + joins);
  std::vector<OpId> ids;
  ids.reserve(requests.size());
  auto fail = [&](Error e) -> Result<std::vector<OpId>> {
    rollback(st);
    return e;
  };
  if (Status w = prepare_writer_locked(*txn.value()); !w) return fail(w.error());
  // Mints `op` (id, deps and content set; lamport computed here).
  auto mint = [&](Op op) -> Status {
    op.lamport = op.id.counter > 1 ? actors_[self].last_lamport + 1 : 1;
    for (const OpId& d : op.deps) {
      auto di = find_actor(d.actor);
      if (!di || d.counter > actors_[*di].max_counter) {
        return make_error(Code::kMissingDependency,
                          "append: dependency " + d.to_string() + " is not in the log");
      }
      auto l = lamport_of(st, *di, d.counter);
      WEFT_TRY(l);
      op.lamport = std::max(op.lamport, l.value() + 1);
    }
    if (Status s = check_limits(op, "append"); !s) {
      return make_error(Code::kInvalidArgument, s.error().message);
    }
    Hash h = op_hash(op);
    minted.push_back(std::move(op));
    auto code = stage(st, minted.back(), h);
    WEFT_TRY(code);
    if (code.value() != Code::kOk) {
      return make_error(Code::kInternal,
                        "append: minted op refused with " + std::string(code_name(code.value())));
    }
    return Status::ok();
  };
  size_t taken = 0;
  for (size_t j = 0; j < joins; ++j, taken += per_op) {
    Op join;
    join.id = OpId{actor_, actors_[self].max_counter + 1};
    join.deps.assign(heads.begin() + static_cast<ptrdiff_t>(taken),
                     heads.begin() + static_cast<ptrdiff_t>(taken + per_op));
    join.kind = kJoinKind;
    join.timestamp_ms = requests.front().timestamp_ms.value_or(wall_clock_ms());
    if (Status s = mint(std::move(join)); !s) return fail(s.error());
  }
  for (const AppendRequest& req : requests) {
    if (req.kind == kJoinKind) {
      return fail(make_error(Code::kInvalidArgument,
                             "append: kind 0xFFFFFFFF is reserved for join ops"));
    }
    Op op;
    op.id = OpId{actor_, actors_[self].max_counter + 1};
    if (req.deps) {
      auto deps = normalize_deps(op.id, *req.deps);
      if (!deps) return fail(make_error(Code::kInvalidArgument, deps.error().message));
      op.deps = std::move(deps.value());
    } else if (&req == &requests.front()) {
      op.deps.assign(heads.begin() + static_cast<ptrdiff_t>(taken), heads.end());
    } else {
      heads_into(op.deps, self);  // already canonical: sorted, one per foreign actor
    }
    op.kind = req.kind;
    op.timestamp_ms = req.timestamp_ms ? *req.timestamp_ms : wall_clock_ms();
    op.payload.assign(req.payload.begin(), req.payload.end());
    if (Status s = mint(std::move(op)); !s) return fail(s.error());
    ids.push_back(minted.back().id);
  }
  Status s = write_staged(st, *txn.value());
  if (s) s = txn.value()->put_fence({actor_, actors_[self].max_counter});
  if (s) s = txn.value()->commit();
  if (!s) return fail(s.error());
  stored_actor_ = actor_;
  actor_recorded_ = true;
  if (auto_seal_ops_ > 0) {
    const ActorState& a = actors_[self];
    // Keep the tail only while it is exactly the unsealed range.
    if (tail_.empty() ? minted.front().id.counter == a.sealed_upto + 1
                      : tail_.back().id.counter + 1 == minted.front().id.counter) {
      for (Op& op : minted) tail_.push_back(std::move(op));
    } else {
      tail_.clear();
    }
  }
  auto_seal_locked();
  return ids;
}

void Log::auto_seal_locked() {
  if (auto_seal_ops_ == 0) return;
  auto self = find_actor(actor_);
  // A seal that fails (BUSY, say) leaves the rows as they are; the next
  // append tries again. The append itself has committed either way.
  while (self) {
    const ActorState& a = actors_[*self];
    uint64_t n = 0;
    if (!tail_.empty() && tail_.front().id.counter == a.sealed_upto + 1) {
      // A chunk is full at auto_seal_ops_ ops, or when the next op would
      // take its payloads past the budget.
      uint64_t bytes = 0;
      while (n < tail_.size() && n < auto_seal_ops_ &&
             (n == 0 || bytes + tail_[n].payload.size() <= kChunkPayloadBudget)) {
        bytes += tail_[n++].payload.size();
      }
      if (n == tail_.size() && n < auto_seal_ops_) return;  // not full yet
    } else if (a.max_counter - a.sealed_upto >= auto_seal_ops_) {
      n = auto_seal_ops_;  // after a reload: by count (seal refuses an oversize chunk)
    } else {
      return;
    }
    if (!seal_locked(actor_, a.sealed_upto + n, std::nullopt)) return;
  }
}

Result<std::vector<StoredOp>> Log::read(uint64_t from_cursor, size_t max) {
  std::lock_guard lock(mu_);
  std::vector<StoredOp> out;
  WEFT_TRY(store_->read_range(from_cursor, max, out));
  return out;
}

Result<StoredOp> Log::get(const OpId& id) {
  std::lock_guard lock(mu_);
  auto op = store_->get_op(id);
  WEFT_TRY(op);
  if (!op.value()) return make_error(Code::kNotFound, "op " + id.to_string() + " is not here");
  return std::move(*op.value());
}

uint64_t Log::cursor() const {
  std::lock_guard lock(mu_);
  return cursor_;
}

size_t Log::actor_count() const {
  std::lock_guard lock(mu_);
  return actors_.size();
}

uint32_t Log::epoch() const {
  std::lock_guard lock(mu_);
  return epoch_;
}

Status Log::refresh() {
  std::lock_guard lock(mu_);
  auto moved = store_->changed_since_load();
  WEFT_TRY(moved);
  if (!moved.value() && !reload_) return Status::ok();
  auto txn = begin();  // reloads if the store moved; dropped: rolled back
  return txn ? Status::ok() : txn.status();
}

Result<uint32_t> Log::bump_epoch() {
  std::lock_guard lock(mu_);
  auto txn = begin(/*synced=*/true);  // reads the epoch inside the transaction
  WEFT_TRY(txn);
  if (epoch_ == UINT32_MAX) {
    return make_error(Code::kResourceExhausted, "log: every epoch is used");
  }
  Status s = txn.value()->put_header(cursor_, epoch_ + 1);
  if (s) s = txn.value()->commit();
  if (!s) {
    reload_ = true;
    return s.error();
  }
  return ++epoch_;
}

Status Log::set_epoch(uint32_t epoch) {
  std::lock_guard lock(mu_);
  // Durable before it is acknowledged, even across power loss (S22).
  auto txn = begin(/*synced=*/true);
  WEFT_TRY(txn);
  if (epoch < epoch_) {
    return make_error(Code::kInvalidArgument, "epoch " + std::to_string(epoch) +
                                                  " is below the current " +
                                                  std::to_string(epoch_));
  }
  if (epoch == epoch_) return Status::ok();
  Status s = txn.value()->put_header(cursor_, epoch);
  if (s) s = txn.value()->commit();
  if (!s) {
    reload_ = true;
    return s;
  }
  epoch_ = epoch;
  return Status::ok();
}

namespace {
Status check_peer_name(std::string_view peer) {
  if (peer.empty() || peer.size() > kMaxPeerNameBytes) {
    return make_error(Code::kInvalidArgument,
                      "peer name must be 1 to " + std::to_string(kMaxPeerNameBytes) +
                          " bytes, got " + std::to_string(peer.size()));
  }
  return Status::ok();
}
}  // namespace

Result<PeerState> Log::peer(std::string_view name) {
  WEFT_TRY(check_peer_name(name));
  std::lock_guard lock(mu_);
  auto p = store_->get_peer(name);
  WEFT_TRY(p);
  return p.value().value_or(PeerState{});
}

Result<PeerState> Log::record_peer(std::string_view name, const PeerState& state) {
  WEFT_TRY(check_peer_name(name));
  std::lock_guard lock(mu_);
  auto txn = begin();
  WEFT_TRY(txn);
  if (state.acked_cursor > cursor_) {
    return make_error(Code::kInvalidArgument,
                      "peer " + std::string(name) + ": acked cursor " +
                          std::to_string(state.acked_cursor) + " is past the log's cursor " +
                          std::to_string(cursor_));
  }
  auto old = store_->get_peer(name);
  WEFT_TRY(old);
  PeerState next = state;
  // A stale or replayed ack never moves the acked cursor backward (S09).
  if (old.value()) next.acked_cursor = std::max(next.acked_cursor, old.value()->acked_cursor);
  Status s = txn.value()->put_peer(name, next);
  if (s) s = txn.value()->commit();
  if (!s) {
    reload_ = true;
    return s.error();
  }
  return next;
}

VersionVector Log::version_vector() const {
  std::lock_guard lock(mu_);
  VersionVector vv;
  vv.reserve(actors_.size());
  for (const auto& [id, i] : actor_order_) vv.append_sorted(id, actors_[i].max_counter);
  return vv;
}

std::vector<OpId> Log::heads() const {
  std::lock_guard lock(mu_);
  std::vector<OpId> out;
  heads_into(out, UINT32_MAX);
  return out;
}

Status Log::extend_chains_locked() {
  std::vector<OpKey> page;
  for (ActorState& a : actors_) {
    // The chain is extended lazily: appends and applies never pay for it.
    while (a.chain_upto < a.max_counter) {
      page.clear();
      WEFT_TRY(store_->read_actor_keys(a.actor, a.chain_upto + 1,
                                       std::min<uint64_t>(kPage, a.max_counter - a.chain_upto),
                                       page));
      if (page.empty()) {
        return make_error(Code::kCorrupt, "store: actor " + a.actor.hex() + " has no op " +
                                              std::to_string(a.chain_upto + 1));
      }
      for (const OpKey& k : page) a.chain = chain_step(a.chain, k.hash);
      a.chain_upto += page.size();
    }
  }
  return Status::ok();
}

Result<Hash> Log::digest() {
  std::lock_guard lock(mu_);
  WEFT_TRY(extend_chains_locked());
  crypto_generichash_blake2b_state st;
  crypto_generichash_blake2b_init_salt_personal(&st, nullptr, 0, kHashSize, nullptr,
                                                kDigestPersonal);
  std::vector<uint8_t> entry;
  for (const auto& [id, i] : actor_order_) {
    const ActorState& a = actors_[i];
    if (a.max_counter == 0) continue;
    entry.assign(a.actor.bytes.begin(), a.actor.bytes.end());
    put_u64(entry, a.max_counter);
    entry.insert(entry.end(), a.chain.begin(), a.chain.end());
    crypto_generichash_blake2b_update(&st, entry.data(), entry.size());
  }
  Hash out;
  crypto_generichash_blake2b_final(&st, out.data(), out.size());
  return out;
}

Result<std::vector<WriterSummary>> Log::writer_summaries() {
  std::lock_guard lock(mu_);
  WEFT_TRY(extend_chains_locked());
  std::vector<WriterSummary> out;
  out.reserve(actor_order_.size());
  for (const auto& [id, i] : actor_order_) {
    if (actors_[i].max_counter > 0) out.push_back({id, actors_[i].max_counter, actors_[i].chain});
  }
  return out;
}

std::optional<WriterSummary> first_difference(std::span<const WriterSummary> a,
                                              std::span<const WriterSummary> b) {
  size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    if (j == b.size() || (i < a.size() && a[i].actor < b[j].actor)) return a[i];
    if (i == a.size() || b[j].actor < a[i].actor) return b[j];
    if (a[i].counter != b[j].counter || a[i].chain != b[j].chain) return a[i];
    ++i;
    ++j;
  }
  return std::nullopt;
}

template <typename T, typename F>
Status Log::scan_locked(uint64_t from,
                        Status (LogStore::*read)(uint64_t, size_t, std::vector<T>&), F&& each) {
  std::vector<T> page;
  if (from <= cursor_) page.reserve(std::min<uint64_t>(kPage, cursor_ - from + 1));
  while (from <= cursor_) {
    page.clear();
    WEFT_TRY(((*store_).*read)(from, static_cast<size_t>(std::min<uint64_t>(kPage, cursor_ - from + 1)),
                               page));
    // A damaged file may claim more ops than it holds: stop at the first
    // one missing instead of paging on through an empty range.
    if (page.empty() || page.front().cursor != from) {
      return make_error(Code::kCorrupt, "log: cursor is " + std::to_string(cursor_) +
                                            " but no op is stored at cursor " +
                                            std::to_string(from));
    }
    for (size_t i = 0; i < page.size(); ++i) {
      if (page[i].cursor != from + i) {
        return make_error(Code::kCorrupt, "log: no op is stored at cursor " +
                                              std::to_string(from + i));
      }
      each(page[i]);
    }
    from += page.size();
  }
  return Status::ok();
}

Result<std::vector<OpId>> Log::canonical_order() {
  std::lock_guard lock(mu_);
  struct Key {
    uint64_t lamport;
    OpId id;
    bool operator<(const Key& o) const {
      return lamport != o.lamport ? lamport < o.lamport : id < o.id;
    }
  };
  std::vector<Key> keys;
  WEFT_TRY(scan_locked(1, &LogStore::read_range_keys,
                       [&](OpKey& k) { keys.push_back({k.lamport, k.id}); }));
  std::sort(keys.begin(), keys.end());
  std::vector<OpId> out;
  out.reserve(keys.size());
  for (const Key& k : keys) out.push_back(k.id);
  return out;
}

void Log::each_held_against_locked(
    const VersionVector& peer,
    const std::function<void(const ActorId&, const ActorState&, uint64_t)>& f) const {
  auto theirs = peer.entries().begin();  // merged with actor_order_: both sorted
  for (const auto& [id, i] : actor_order_) {
    while (theirs != peer.entries().end() && theirs->first < id) ++theirs;
    f(id, actors_[i], theirs != peer.entries().end() && theirs->first == id ? theirs->second : 0);
  }
}

Result<uint64_t> Log::first_missing_locked(const VersionVector& peer) {
  uint64_t first = cursor_ + 1;
  Status status = Status::ok();
  each_held_against_locked(peer, [&](const ActorId& id, const ActorState& a, uint64_t have) {
    if (!status || a.max_counter <= have) return;
    auto meta = store_->op_meta(OpId{id, have + 1});
    if (!meta) {
      status = meta.error();
    } else if (!meta.value()) {
      status = make_error(Code::kCorrupt, "store: op " + OpId{id, have + 1}.to_string() +
                                              " is below the actor's counter but missing");
    } else {
      first = std::min(first, meta.value()->cursor);
    }
  });
  WEFT_TRY(status);
  return first;
}

Result<uint64_t> Log::first_missing(const VersionVector& peer) {
  std::lock_guard lock(mu_);
  return first_missing_locked(peer);
}

Result<std::vector<Batch>> Log::diff(const VersionVector& peer, const DiffOptions& options) {
  std::lock_guard lock(mu_);
  // Cursor order is a topological order, so the missing ops taken in it
  // satisfy their dependencies. Start at the earliest missing op.
  auto start = first_missing_locked(peer);
  WEFT_TRY(start);
  std::vector<Batch> out;
  if (start.value() > cursor_) return out;
  const uint32_t max_ops = std::max<uint32_t>(1, options.max_ops_per_batch);
  size_t bytes = 0;
  BatchActors actors(options_.limits.max_actors);  // what a batch may name, ours as the receiver's
  auto take = [&](StoredOp& s) {
    if (out.empty() || out.back().ops.size() >= max_ops ||
        (!out.back().ops.empty() && (bytes + s.op.payload.size() > options.max_bytes_per_batch ||
                                     !actors.fits(s.op, out.back().ops)))) {
      out.emplace_back();
      bytes = 0;
      actors.clear();
    }
    bytes += s.op.payload.size();
    actors.add(s.op);
    out.back().ops.push_back(std::move(s.op));
  };
  // What the peer lacks, writer by writer. A few ops spread over a long log
  // are read by writer and put in cursor order, so the cost follows them,
  // not the span a scan from the first of them would walk.
  struct Range {
    ActorId actor;
    uint64_t first, count;
  };
  std::vector<Range> ranges;
  uint64_t missing = 0, held_total = 0;
  each_held_against_locked(peer, [&](const ActorId& id, const ActorState& a, uint64_t have) {
    held_total += a.max_counter;
    if (a.max_counter > have) {
      ranges.push_back({id, have + 1, a.max_counter - have});
      missing += a.max_counter - have;
    }
  });
  if (held_total != cursor_) {
    return make_error(Code::kCorrupt, "log: cursor is " + std::to_string(cursor_) +
                                          " but its writers hold " + std::to_string(held_total) +
                                          " ops");
  }
  if (missing * 8 < cursor_ - start.value() + 1) {
    std::vector<StoredOp> ops;
    ops.reserve(missing);
    for (const Range& r : ranges) {
      const size_t before = ops.size();
      WEFT_TRY(store_->read_actor(r.actor, r.first, r.count, ops));
      if (ops.size() - before != r.count) {
        return make_error(Code::kCorrupt, "store: actor " + r.actor.hex() + " holds " +
                                              std::to_string(ops.size() - before) + " of its ops " +
                                              std::to_string(r.first) + " to " +
                                              std::to_string(r.first + r.count - 1));
      }
    }
    std::sort(ops.begin(), ops.end(),
              [](const StoredOp& a, const StoredOp& b) { return a.cursor < b.cursor; });
    for (StoredOp& s : ops) take(s);
    return out;
  }
  ActorId last_actor;
  uint64_t last_have = 0;
  bool have_last = false;
  WEFT_TRY(scan_locked(start.value(), &LogStore::read_range, [&](StoredOp& s) {
    if (!have_last || s.op.id.actor != last_actor) {
      last_actor = s.op.id.actor;
      last_have = peer.get(last_actor);
      have_last = true;
    }
    if (s.op.id.counter > last_have) take(s);
  }));
  return out;
}

Result<MergeStats> Log::merge_from(Log& other, const DiffOptions& options) {
  // As a session does at the peer's Hello: `other` holding more of our
  // writer than we do means this replica is a copy or a restore.
  if (const ActorId me = actor(); other.held(me) > held(me)) {
    WEFT_TRY(retire_writer("the log merged from holds counter " + std::to_string(other.held(me)) +
                           " of it, this replica " + std::to_string(held(me))));
  }
  auto batches = other.diff(version_vector(), options);
  WEFT_TRY(batches);
  MergeStats stats;
  const uint32_t e = epoch();
  for (Batch& b : batches.value()) {
    b.epoch = e;
    auto ack = apply(b);
    WEFT_TRY(ack);
    if (ack.value().status != Code::kOk) {
      return make_error(ack.value().status, "merge: batch refused as a whole");
    }
    ++stats.batches;
    stats.applied += ack.value().applied.size();
    stats.duplicates += ack.value().duplicates.size();
    stats.rejected += ack.value().rejected.size();
  }
  return stats;
}

Result<SealRecord> Log::seal(const ActorId& actor, uint64_t last,
                             const std::optional<Hash>& expected_digest) {
  std::lock_guard lock(mu_);
  return seal_locked(actor, last, expected_digest);
}

Result<SealRecord> Log::seal_locked(const ActorId& actor, uint64_t last,
                                    const std::optional<Hash>& expected_digest) {
  auto txn = begin();
  WEFT_TRY(txn);
  auto ai = find_actor(actor);
  if (!ai || actors_[*ai].max_counter == 0) {
    return make_error(Code::kNotFound, "seal: actor " + actor.hex() + " has no ops here");
  }
  const ActorState a = actors_[*ai];
  if (last <= a.sealed_upto) {
    // A retried seal of an existing chunk answers that chunk's record.
    for (uint64_t k = a.sealed_chunks; k-- > 0;) {
      auto c = store_->get_chunk(actor, k);
      WEFT_TRY(c);
      if (!c.value()) return make_error(Code::kCorrupt, chunk_name(actor, k) + " is missing");
      if (c.value()->seal.last == last) {
        if (expected_digest && *expected_digest != c.value()->seal.digest) {
          return make_error(Code::kChecksumMismatch,
                            "seal: " + chunk_name(actor, k) + " digest differs from expected");
        }
        return c.value()->seal;
      }
      if (c.value()->seal.last < last) break;
    }
    return make_error(Code::kInvalidArgument, "seal: counter " + std::to_string(last) +
                                                  " is inside a sealed chunk of " + actor.hex());
  }
  if (last > a.max_counter) {
    return make_error(Code::kNotFound, "seal: op " + OpId{actor, last}.to_string() +
                                           " is not here");
  }
  const uint64_t first = a.sealed_upto + 1;
  if (last - first + 1 > options_.limits.max_ops) {
    return make_error(Code::kInvalidArgument, "seal: " + std::to_string(last - first + 1) +
                                                  " ops, over the chunk limit of " +
                                                  std::to_string(options_.limits.max_ops));
  }
  Chunk chunk{actor, a.sealed_chunks, a.last_chunk_digest, {}};
  const uint64_t count = last - first + 1;
  const bool from_tail = actor == actor_ && !tail_.empty() &&
                         tail_.front().id.counter == first && tail_.size() >= count;
  if (from_tail) {
    // Minted here and committed: no need to read them back.
    chunk.ops.assign(tail_.begin(), tail_.begin() + static_cast<ptrdiff_t>(count));
  } else {
    std::vector<StoredOp> stored;
    WEFT_TRY(store_->read_actor(actor, first, count, stored));
    if (stored.size() != count) {
      return make_error(Code::kCorrupt, "seal: store is missing ops of " + actor.hex());
    }
    chunk.ops.reserve(stored.size());
    for (StoredOp& s : stored) {
      if (op_hash(s.op) != s.hash) {
        return make_error(Code::kCorrupt, "seal: op " + s.op.id.to_string() +
                                              " does not match its stored hash");
      }
      chunk.ops.push_back(std::move(s.op));
    }
  }
  auto bytes = encode_chunk(chunk);
  WEFT_TRY(bytes);
  if (bytes.value().size() > options_.limits.max_message_bytes) {
    // No peer (and no reader with these limits) could take it.
    return make_error(Code::kInvalidArgument,
                      "seal: " + chunk_name(actor, chunk.index) + " would be " +
                          std::to_string(bytes.value().size()) +
                          " bytes, over the message limit; seal a shorter range");
  }
  SealRecord rec = seal_record(chunk, bytes.value());
  if (expected_digest && *expected_digest != rec.digest) {
    return make_error(Code::kChecksumMismatch, "seal: " + chunk_name(actor, chunk.index) +
                                                   " digest " + to_hex(rec.digest) +
                                                   " differs from expected " +
                                                   to_hex(*expected_digest));
  }
  ActorState next = a;
  next.sealed_chunks += 1;
  next.sealed_upto = last;
  next.last_chunk_digest = rec.digest;
  Status s = txn.value()->put_chunk(rec, bytes.value());
  if (s) s = txn.value()->put_actor(next);
  if (s) s = txn.value()->commit();
  if (!s) {
    reload_ = true;
    return s.error();
  }
  actors_[*ai] = next;
  if (from_tail) tail_.erase(tail_.begin(), tail_.begin() + static_cast<ptrdiff_t>(count));
  return rec;
}

Result<SealRecord> Log::put_chunk(std::span<const uint8_t> bytes,
                                  const std::optional<Hash>& expected_digest,
                                  std::optional<uint32_t> epoch) {
  auto chunk = decode_chunk(bytes, options_.limits);
  WEFT_TRY(chunk);
  const Chunk& c = chunk.value();
  const SealRecord rec = seal_record(c, bytes);
  // Named only when something is wrong: put_chunk is on the sync path.
  const auto name = [&] { return chunk_name(c.actor, c.index); };
  if (expected_digest && *expected_digest != rec.digest) {
    return make_error(Code::kChecksumMismatch, "put_chunk: " + name() + " digest " +
                                                   to_hex(rec.digest) + " differs from expected");
  }
  std::lock_guard lock(mu_);
  auto txn = begin();  // the epoch is checked after this, inside the transaction
  WEFT_TRY(txn);
  if (epoch && *epoch != epoch_) {
    return make_error(*epoch < epoch_ ? Code::kStaleEpoch : Code::kPermissionDenied,
                      "put_chunk: " + name() + " sent under epoch " + std::to_string(*epoch) +
                          ", the log is at " + std::to_string(epoch_));
  }
  auto known = find_actor(c.actor);
  const ActorState a = known ? actors_[*known] : ActorState{c.actor};
  if (c.index < a.sealed_chunks) {
    auto existing = store_->get_chunk(c.actor, c.index);
    WEFT_TRY(existing);
    if (!existing.value()) return make_error(Code::kCorrupt, name() + " is missing from the store");
    const auto& have = existing.value()->bytes;
    if (have.size() == bytes.size() && std::equal(have.begin(), have.end(), bytes.begin())) {
      return existing.value()->seal;
    }
    return make_error(Code::kImmutableViolation, "put_chunk: " + name() +
                                                     " is sealed here with other bytes");
  }
  if (c.index > a.sealed_chunks) {
    return make_error(Code::kNotContiguous, "put_chunk: " + name() + " arrives before " +
                                                chunk_name(c.actor, a.sealed_chunks));
  }
  if (c.first() != a.sealed_upto + 1) {
    return make_error(Code::kNotContiguous, "put_chunk: " + name() + " starts at counter " +
                                                std::to_string(c.first()) + ", expected " +
                                                std::to_string(a.sealed_upto + 1));
  }
  if (c.prev_digest != a.last_chunk_digest) {
    return make_error(Code::kChecksumMismatch,
                      "put_chunk: " + name() + " does not chain to the previous chunk's digest");
  }
  for (const Op& op : c.ops) WEFT_TRY(check_limits(op, "put_chunk op"));

  Staging& st = fresh_staging();
  for (const Op& op : c.ops) {
    auto code = stage(st, op, op_hash(op));
    if (code && code.value() != Code::kOk) {
      code = make_error(code.value(), "put_chunk: " + name() + " op " + op.id.to_string() +
                                          " refused");
    }
    if (!code) {
      rollback(st);
      return code.error();
    }
  }
  const uint32_t ai = intern(c.actor);
  st.touch(ai, actors_);
  actors_[ai].sealed_chunks += 1;
  actors_[ai].sealed_upto = c.last();
  actors_[ai].last_chunk_digest = rec.digest;
  // The chunk first: a store can then write its ops as sealed at once.
  Status s = txn.value()->put_chunk(rec, bytes);
  if (s) s = write_staged(st, *txn.value());
  if (s) s = txn.value()->commit();
  if (!s) {
    rollback(st);
    return s.error();
  }
  return rec;
}

Result<StoredChunk> Log::get_chunk(const ActorId& actor, uint64_t index) {
  std::lock_guard lock(mu_);
  auto c = store_->get_chunk(actor, index);
  WEFT_TRY(c);
  if (!c.value()) return make_error(Code::kNotFound, chunk_name(actor, index) + " is not sealed here");
  return std::move(*c.value());
}

Result<std::vector<SealRecord>> Log::seals(const ActorId& actor) {
  std::lock_guard lock(mu_);
  std::vector<SealRecord> out;
  auto ai = find_actor(actor);
  if (!ai) return out;
  for (uint64_t k = 0; k < actors_[*ai].sealed_chunks; ++k) {
    auto c = store_->get_chunk(actor, k);
    WEFT_TRY(c);
    if (!c.value()) return make_error(Code::kCorrupt, chunk_name(actor, k) + " is missing");
    out.push_back(c.value()->seal);
  }
  return out;
}

namespace {

// What verify learns of one actor while it walks the ops in cursor order.
struct Walked {
  uint64_t count = 0;    // ops seen, which must be counters 1..count
  uint64_t lamport = 0;  // lamport of (actor, count)
  uint64_t covered = 0;  // highest counter another actor's op depends on
  Hash chain{};          // chain over counters 1..count
};

// Checks the ops in cursor order against the stored header: every cursor
// from 1 to the header's holds one op and none lies past it; each op's
// content matches its hash; each actor's counters come in order, so cursor
// order keeps the implicit dependency; every explicit dependency sits at an
// earlier cursor; lamports follow their dependencies; and each actor's
// stored row (count, last lamport, coverage, chain) matches its ops.
Status walk_ops(LogStore& store, const LogHeader& header, uint64_t& ops_seen) {
  std::vector<std::pair<ActorId, uint32_t>> index;
  index.reserve(header.actors.size());
  for (uint32_t i = 0; i < header.actors.size(); ++i) index.push_back({header.actors[i].actor, i});
  std::sort(index.begin(), index.end());
  auto find = [&](const ActorId& a) -> std::optional<uint32_t> {
    auto it = std::lower_bound(index.begin(), index.end(), a,
                               [](const auto& e, const ActorId& k) { return e.first < k; });
    if (it == index.end() || it->first != a) return std::nullopt;
    return it->second;
  };
  std::vector<Walked> walked(header.actors.size());
  std::vector<StoredOp> page;
  uint64_t from = 1;
  while (from <= header.cursor) {
    page.clear();
    WEFT_TRY(store.read_range(from, static_cast<size_t>(std::min<uint64_t>(kPage, header.cursor - from + 1)),
                              page));
    if (page.empty()) {
      return make_error(Code::kCorrupt, "log: cursor is " + std::to_string(header.cursor) +
                                            " but no op is stored at cursor " + std::to_string(from));
    }
    for (const StoredOp& s : page) {
      const Op& op = s.op;
      const auto where = [&] { return "op " + op.id.to_string() + " at cursor " + std::to_string(s.cursor); };
      if (s.cursor != from) {
        return make_error(Code::kCorrupt, "log: no op is stored at cursor " + std::to_string(from));
      }
      if (op_hash(op) != s.hash) {
        return make_error(Code::kCorrupt, where() + ": content does not match its hash");
      }
      const auto ai = find(op.id.actor);
      if (!ai) return make_error(Code::kCorrupt, where() + ": its actor has no row in the log");
      Walked& w = walked[*ai];
      if (op.id.counter != w.count + 1) {
        return make_error(Code::kCorrupt, where() + ": follows counter " + std::to_string(w.count) +
                                              " of its actor in cursor order");
      }
      uint64_t lamport = op.id.counter > 1 ? w.lamport : 0;
      for (const OpId& d : op.deps) {
        const auto di = find(d.actor);
        if (!di || walked[*di].count < d.counter) {
          return make_error(Code::kCorrupt, where() + ": its dependency " + d.to_string() +
                                                " is not at an earlier cursor");
        }
        uint64_t dep_lamport = walked[*di].lamport;
        if (d.counter != walked[*di].count) {
          auto meta = store.op_meta(d);
          WEFT_TRY(meta);
          if (!meta.value() || meta.value()->cursor >= s.cursor) {
            return make_error(Code::kCorrupt, where() + ": its dependency " + d.to_string() +
                                                  " is not at an earlier cursor");
          }
          dep_lamport = meta.value()->lamport;
        }
        lamport = std::max(lamport, dep_lamport);
        walked[*di].covered = std::max(walked[*di].covered, d.counter);
      }
      if (op.lamport != lamport + 1) {
        return make_error(Code::kCorrupt, where() + ": lamport " + std::to_string(op.lamport) +
                                              ", its dependencies make it " + std::to_string(lamport + 1));
      }
      w.count = op.id.counter;
      w.lamport = op.lamport;
      if (w.count <= header.actors[*ai].chain_upto) w.chain = chain_step(w.chain, s.hash);
      ++ops_seen;
      ++from;
    }
  }
  page.clear();
  WEFT_TRY(store.read_range(header.cursor + 1, 1, page));
  if (!page.empty()) {
    return make_error(Code::kCorrupt, "log: op " + page.front().op.id.to_string() +
                                          " is stored at cursor " + std::to_string(page.front().cursor) +
                                          ", past the log's cursor " + std::to_string(header.cursor));
  }
  for (size_t i = 0; i < header.actors.size(); ++i) {
    const ActorState& a = header.actors[i];
    const Walked& w = walked[i];
    const auto differs = [&](const char* field, uint64_t stored, uint64_t found) {
      return make_error(Code::kCorrupt, "actor " + a.actor.hex() + ": " + field + " is " +
                                            std::to_string(stored) + ", its ops say " +
                                            std::to_string(found));
    };
    if (a.max_counter != w.count) return differs("max_counter", a.max_counter, w.count);
    if (a.last_lamport != w.lamport) return differs("last_lamport", a.last_lamport, w.lamport);
    if (a.covered != w.covered) return differs("covered", a.covered, w.covered);
    if (a.chain_upto > w.count) return differs("chain_upto", a.chain_upto, w.count);
    if (a.chain != w.chain) {
      return make_error(Code::kCorrupt, "actor " + a.actor.hex() +
                                            ": the stored chain does not match its ops");
    }
  }
  return Status::ok();
}

}  // namespace

Result<VerifyReport> Log::verify() {
  std::lock_guard lock(mu_);
  VerifyReport report;
  // The store's structure first (a damaged SQLite page or index), then
  // every op against what the store says of the log, then every chunk.
  WEFT_TRY(store_->check_integrity());
  auto header = store_->load();
  WEFT_TRY(header);
  WEFT_TRY(walk_ops(*store_, header.value(), report.ops));
  for (const ActorState& a : header.value().actors) {
    Hash prev{};
    uint64_t next_first = 1;
    for (uint64_t k = 0; k < a.sealed_chunks; ++k) {
      const auto name = [&] { return chunk_name(a.actor, k); };
      auto stored = store_->get_chunk(a.actor, k);
      WEFT_TRY(stored);
      if (!stored.value()) return make_error(Code::kCorrupt, name() + " is missing");
      const StoredChunk& sc = *stored.value();
      if (blake2b_256(sc.bytes) != sc.seal.digest) {
        return make_error(Code::kCorrupt, name() + ": bytes do not match the sealed digest");
      }
      auto chunk = decode_chunk(sc.bytes, options_.limits);
      if (!chunk) return make_error(Code::kCorrupt, name() + ": " + chunk.error().message);
      const Chunk& c = chunk.value();
      if (c.actor != a.actor || c.index != k || c.first() != next_first ||
          c.first() != sc.seal.first || c.last() != sc.seal.last) {
        return make_error(Code::kCorrupt, name() + ": range or identity differs from its seal");
      }
      if (c.prev_digest != prev || sc.seal.prev_digest != prev) {
        return make_error(Code::kCorrupt, name() + ": does not chain to the previous chunk");
      }
      for (const Op& op : c.ops) {
        auto meta = store_->op_meta(op.id);
        WEFT_TRY(meta);
        if (!meta.value() || meta.value()->hash != op_hash(op)) {
          return make_error(Code::kCorrupt,
                            name() + ": op " + op.id.to_string() + " differs from the log");
        }
      }
      prev = sc.seal.digest;
      next_first = c.last() + 1;
      ++report.chunks;
    }
    if (prev != a.last_chunk_digest || next_first != a.sealed_upto + 1) {
      return make_error(Code::kCorrupt, "actor " + a.actor.hex() +
                                            ": sealed state differs from its chunks");
    }
  }
  return report;
}

}  // namespace weft
