// The in-memory LogStore. Ops live in compact fixed-size records in cursor
// order; payloads and dependencies in append-only arenas of stable blocks, so
// memory per op is the payload plus a fixed ~100 bytes.
#include <algorithm>
#include <bit>
#include <cstring>
#include <map>
#include <unordered_map>

#include "weft/store.hpp"

namespace weft {
namespace {

// Append-only storage in blocks that never move. Block b holds
// kFirst << b elements, so a log of a few ops allocates a few hundred bytes
// and a big one still allocates O(log n) times; blocks are default-
// initialised, not zeroed, so untouched pages cost no memory.
template <typename T, size_t kFirst>
class BlockVector {
  static_assert(std::has_single_bit(kFirst));

 public:
  size_t size() const { return size_; }
  T& operator[](size_t i) { return at(i); }
  const T& operator[](size_t i) const { return at(i); }
  void push_back(const T& v) {
    const size_t b = block_of(size_);
    if (b == blocks_.size()) blocks_.push_back(std::unique_ptr<T[]>(new T[kFirst << b]));
    at(size_++) = v;
  }
  void truncate(size_t n) { size_ = std::min(size_, n); }

 private:
  // Block b starts at element kFirst * (2^b - 1).
  static size_t block_of(size_t i) { return std::bit_width(i / kFirst + 1) - 1; }
  // Blocks own their elements; a const vector lends them out as const.
  T& at(size_t i) const {
    const size_t b = block_of(i);
    return blocks_[b][i - kFirst * ((size_t{1} << b) - 1)];
  }

  std::vector<std::unique_ptr<T[]>> blocks_;
  size_t size_ = 0;
};

class ByteArena {
 public:
  // Stable pointer to a copy of `b`.
  const uint8_t* add(std::span<const uint8_t> b) {
    if (b.empty()) return nullptr;
    if (b.size() > kMaxBlock / 4) {
      big_.push_back(std::unique_ptr<uint8_t[]>(new uint8_t[b.size()]));
      std::memcpy(big_.back().get(), b.data(), b.size());
      return big_.back().get();
    }
    if (blocks_.empty() || used_ + b.size() > block_size_) {
      // Blocks grow from 4 KiB to 1 MiB, so a small log stays small; they
      // are not zeroed, so only written pages become resident.
      if (!blocks_.empty()) block_size_ = std::min(block_size_ * 2, kMaxBlock);
      while (block_size_ < b.size()) block_size_ *= 2;
      blocks_.push_back(std::unique_ptr<uint8_t[]>(new uint8_t[block_size_]));
      used_ = 0;
    }
    uint8_t* p = blocks_.back().get() + used_;
    std::memcpy(p, b.data(), b.size());
    used_ += b.size();
    return p;
  }

 private:
  static constexpr size_t kMaxBlock = 1 << 20;
  size_t block_size_ = 4096;
  std::vector<std::unique_ptr<uint8_t[]>> blocks_;
  std::vector<std::unique_ptr<uint8_t[]>> big_;
  size_t used_ = 0;
};

struct DepRef {
  uint32_t actor;
  uint64_t counter;
};

#pragma pack(push, 4)
struct Record {
  const uint8_t* payload;
  uint64_t counter;
  uint64_t lamport;
  int64_t timestamp_ms;
  uint64_t deps_at;  // index into deps_
  uint32_t actor;
  uint32_t kind;
  uint32_t payload_len;
  uint32_t ndeps;
  Hash hash;
};
#pragma pack(pop)

class MemoryStore;

struct PendingOp {
  const Op* op;
  Hash hash;
  uint64_t cursor;
};

// A transaction's buffered writes. The store owns one and lends it to each
// transaction (there is one at a time), so writes allocate nothing once warm.
struct Pending {
  std::vector<PendingOp> ops;
  std::vector<ActorState> actors;
  std::optional<std::pair<uint64_t, uint32_t>> header;
  std::optional<ActorId> local_actor;
  std::vector<StoredChunk> chunks;
  std::vector<std::pair<std::string, PeerState>> peers;

  void clear() {
    peers.clear();
    ops.clear();
    actors.clear();
    header.reset();
    local_actor.reset();
    chunks.clear();
  }
};

class MemoryHandle;

class MemoryTxn final : public StoreTxn {
 public:
  MemoryTxn(MemoryHandle& handle, MemoryStore& store, Pending& pending)
      : handle_(handle), store_(store), p_(pending) {
    p_.clear();
  }
  ~MemoryTxn() override;

  Result<std::optional<LogHeader>> refresh() override;
  Status put_op(const Op& op, const Hash& hash, uint64_t cursor) override {
    p_.ops.push_back({&op, hash, cursor});
    return Status::ok();
  }
  Status put_actor(const ActorState& s) override {
    p_.actors.push_back(s);
    return Status::ok();
  }
  Status put_header(uint64_t cursor, uint32_t epoch) override {
    p_.header = {cursor, epoch};
    return Status::ok();
  }
  Status put_local_actor(const ActorId& actor) override {
    p_.local_actor = actor;
    return Status::ok();
  }
  Status put_chunk(const SealRecord& seal, std::span<const uint8_t> bytes) override {
    p_.chunks.push_back({seal, std::vector<uint8_t>(bytes.begin(), bytes.end())});
    return Status::ok();
  }
  Status put_peer(std::string_view peer, const PeerState& state) override {
    p_.peers.emplace_back(std::string(peer), state);
    return Status::ok();
  }
  Status commit() override;

 private:
  MemoryHandle& handle_;
  MemoryStore& store_;
  Pending& p_;
  bool done_ = false;
};

// The data of one in-memory log, shared by every handle to it.
class MemoryStore {
 public:
  Result<LogHeader> load() {
    LogHeader h{cursor_, epoch_, local_actor_, {}};
    h.actors.reserve(actors_.size());
    for (const Actor& a : actors_) h.actors.push_back(a.state);
    return h;
  }

  Result<std::optional<OpMeta>> op_meta(const OpId& id) {
    const Record* r = find(id);
    if (r == nullptr) return std::optional<OpMeta>();
    return std::optional<OpMeta>(OpMeta{r->hash, r->lamport, cursor_of(id)});
  }

  Result<std::optional<StoredOp>> get_op(const OpId& id) {
    const Record* r = find(id);
    if (r == nullptr) return std::optional<StoredOp>();
    return std::optional<StoredOp>(to_stored(*r, cursor_of(id)));
  }

  Status read_range(uint64_t from, size_t max, std::vector<StoredOp>& out) {
    if (from == 0) from = 1;
    for (uint64_t c = from; c <= records_.size() && max > 0; ++c, --max) {
      out.push_back(to_stored(records_[c - 1], c));
    }
    return Status::ok();
  }

  Status read_actor(const ActorId& actor, uint64_t first, size_t max,
                    std::vector<StoredOp>& out) {
    return each_of_actor(actor, first, max,
                         [&](uint64_t cur) { out.push_back(to_stored(records_[cur - 1], cur)); });
  }

  // The keys come straight from the records: nothing is copied but them.
  Status read_range_keys(uint64_t from, size_t max, std::vector<OpKey>& out) {
    if (from == 0) from = 1;
    for (uint64_t c = from; c <= records_.size() && max > 0; ++c, --max) {
      out.push_back(to_key(records_[c - 1], c));
    }
    return Status::ok();
  }

  Status read_actor_keys(const ActorId& actor, uint64_t first, size_t max,
                         std::vector<OpKey>& out) {
    return each_of_actor(actor, first, max,
                         [&](uint64_t cur) { out.push_back(to_key(records_[cur - 1], cur)); });
  }

  Result<std::optional<StoredChunk>> get_chunk(const ActorId& actor, uint64_t index) {
    auto it = chunks_.find({actor, index});
    if (it == chunks_.end()) return std::optional<StoredChunk>();
    return std::optional<StoredChunk>(it->second);
  }

  Result<std::optional<PeerState>> get_peer(std::string_view peer) {
    auto it = peers_.find(std::string(peer));
    if (it == peers_.end()) return std::optional<PeerState>();
    return std::optional<PeerState>(it->second);
  }

  uint64_t generation() const { return generation_; }

  // An independent store holding what this one has committed. Payloads are
  // copied into the new store's arena (records point into their own).
  std::shared_ptr<MemoryStore> copy() const {
    auto c = std::make_shared<MemoryStore>();
    c->actors_ = actors_;
    c->actor_index_ = actor_index_;
    for (size_t i = 0; i < records_.size(); ++i) {
      Record r = records_[i];
      r.payload = c->payloads_.add(std::span(r.payload, r.payload_len));
      c->records_.push_back(r);
    }
    for (size_t i = 0; i < deps_.size(); ++i) c->deps_.push_back(deps_[i]);
    c->chunks_ = chunks_;
    c->cursor_ = cursor_;
    c->epoch_ = epoch_;
    c->local_actor_ = local_actor_;
    c->peers_ = peers_;
    return c;
  }

  Status corrupt_chunk(const ActorId& actor, uint64_t index, size_t offset, uint8_t mask) {
    auto it = chunks_.find({actor, index});
    if (it == chunks_.end()) return make_error(Code::kNotFound, "no such chunk");
    if (offset >= it->second.bytes.size()) {
      return make_error(Code::kInvalidArgument, "offset past the end of the chunk");
    }
    it->second.bytes[offset] ^= mask;
    return Status::ok();
  }

 private:
  friend class MemoryTxn;
  friend class MemoryHandle;

  struct Actor {
    ActorState state;
    std::vector<uint32_t> cursors;  // counter-1 -> cursor-1
  };

  uint32_t intern(const ActorId& a) {
    auto [it, inserted] = actor_index_.try_emplace(a, static_cast<uint32_t>(actors_.size()));
    if (inserted) actors_.push_back(Actor{ActorState{a}, {}});
    return it->second;
  }

  const Record* find(const OpId& id) const {
    auto it = actor_index_.find(id.actor);
    if (it == actor_index_.end() || id.counter == 0) return nullptr;
    const auto& cursors = actors_[it->second].cursors;
    if (id.counter > cursors.size()) return nullptr;
    return &records_[cursors[id.counter - 1]];
  }

  uint64_t cursor_of(const OpId& id) const {
    return uint64_t{actors_[actor_index_.at(id.actor)].cursors[id.counter - 1]} + 1;
  }

  // Calls each(cursor) for the ops of `actor` from counter `first`, at most `max`.
  template <typename F>
  Status each_of_actor(const ActorId& actor, uint64_t first, size_t max, F&& each) const {
    auto it = actor_index_.find(actor);
    if (it == actor_index_.end() || first == 0) return Status::ok();
    const auto& cursors = actors_[it->second].cursors;
    for (uint64_t c = first; c <= cursors.size() && max > 0; ++c, --max) {
      each(uint64_t{cursors[c - 1]} + 1);
    }
    return Status::ok();
  }

  OpKey to_key(const Record& r, uint64_t cursor) const {
    return OpKey{OpId{actors_[r.actor].state.actor, r.counter}, r.lamport, r.hash, cursor};
  }

  StoredOp to_stored(const Record& r, uint64_t cursor) const {
    StoredOp s;
    s.op.id = OpId{actors_[r.actor].state.actor, r.counter};
    s.op.lamport = r.lamport;
    s.op.kind = r.kind;
    s.op.timestamp_ms = r.timestamp_ms;
    s.op.payload.assign(r.payload, r.payload + r.payload_len);
    s.op.deps.reserve(r.ndeps);
    for (uint32_t i = 0; i < r.ndeps; ++i) {
      const DepRef& d = deps_[r.deps_at + i];
      s.op.deps.push_back(OpId{actors_[d.actor].state.actor, d.counter});
    }
    s.hash = r.hash;
    s.cursor = cursor;
    return s;
  }

  std::vector<Actor> actors_;
  std::unordered_map<ActorId, uint32_t, ActorIdHash> actor_index_;
  // First blocks of 16, doubling: a one-op log stays small even when the
  // allocator fills memory (MALLOC_PERTURB_); the last block of a big log
  // may be up to half unused (untouched pages cost nothing, unless the
  // allocator fills them).
  BlockVector<Record, 16> records_;  // index cursor-1
  BlockVector<DepRef, 16> deps_;
  ByteArena payloads_;
  std::map<std::pair<ActorId, uint64_t>, StoredChunk> chunks_;
  uint64_t cursor_ = 0;
  uint32_t epoch_ = 0;
  std::optional<ActorId> local_actor_;
  std::map<std::string, PeerState> peers_;
  uint64_t generation_ = 0;  // commits so far
  Pending pending_;
};

// One connection to a MemoryStore.
class MemoryHandle final : public LogStore {
 public:
  explicit MemoryHandle(std::shared_ptr<MemoryStore> store)
      : store_(std::move(store)), seen_(store_->generation()) {}

  Result<LogHeader> load() override {
    seen_ = store_->generation();
    return store_->load();
  }
  Result<std::optional<OpMeta>> op_meta(const OpId& id) override { return store_->op_meta(id); }
  Result<std::optional<StoredOp>> get_op(const OpId& id) override { return store_->get_op(id); }
  Status read_range(uint64_t from, size_t max, std::vector<StoredOp>& out) override {
    return store_->read_range(from, max, out);
  }
  Status read_actor(const ActorId& actor, uint64_t first, size_t max,
                    std::vector<StoredOp>& out) override {
    return store_->read_actor(actor, first, max, out);
  }
  Status read_range_keys(uint64_t from, size_t max, std::vector<OpKey>& out) override {
    return store_->read_range_keys(from, max, out);
  }
  Status read_actor_keys(const ActorId& actor, uint64_t first, size_t max,
                         std::vector<OpKey>& out) override {
    return store_->read_actor_keys(actor, first, max, out);
  }
  Result<std::optional<StoredChunk>> get_chunk(const ActorId& actor, uint64_t index) override {
    return store_->get_chunk(actor, index);
  }
  Result<std::optional<PeerState>> get_peer(std::string_view peer) override {
    return store_->get_peer(peer);
  }
  Result<bool> changed_since_load() override { return seen_ != store_->generation(); }
  Result<std::unique_ptr<StoreTxn>> begin_write() override {
    return std::unique_ptr<StoreTxn>(new MemoryTxn(*this, *store_, store_->pending_));
  }

  const std::shared_ptr<MemoryStore>& shared() const { return store_; }

 private:
  friend class MemoryTxn;
  std::shared_ptr<MemoryStore> store_;
  uint64_t seen_;  // the store's generation this handle last loaded or wrote
};

MemoryTxn::~MemoryTxn() = default;

Result<std::optional<LogHeader>> MemoryTxn::refresh() {
  if (handle_.seen_ == store_.generation()) return std::optional<LogHeader>();
  auto h = handle_.load();
  WEFT_TRY(h);
  return std::optional<LogHeader>(std::move(h.value()));
}

Status MemoryTxn::commit() {
  if (done_) return make_error(Code::kInvalidArgument, "transaction already committed");
  done_ = true;
  MemoryStore& s = store_;
  for (size_t i = 0; i < p_.ops.size(); ++i) {
    if (p_.ops[i].cursor != s.records_.size() + 1 + i) {
      return make_error(Code::kInternal, "memory store: cursor " +
                                             std::to_string(p_.ops[i].cursor) + " out of order");
    }
  }
  for (const PendingOp& p : p_.ops) {
    const Op& op = *p.op;
    uint32_t ai = s.intern(op.id.actor);
    Record r{};
    r.payload = s.payloads_.add(op.payload);
    r.counter = op.id.counter;
    r.lamport = op.lamport;
    r.timestamp_ms = op.timestamp_ms;
    r.deps_at = s.deps_.size();
    r.actor = ai;
    r.kind = op.kind;
    r.payload_len = static_cast<uint32_t>(op.payload.size());
    r.ndeps = static_cast<uint32_t>(op.deps.size());
    r.hash = p.hash;
    for (const OpId& d : op.deps) s.deps_.push_back(DepRef{s.intern(d.actor), d.counter});
    s.actors_[ai].cursors.push_back(static_cast<uint32_t>(s.records_.size()));
    s.records_.push_back(r);
  }
  for (const ActorState& a : p_.actors) s.actors_[s.intern(a.actor)].state = a;
  for (StoredChunk& c : p_.chunks) {
    s.chunks_.emplace(std::pair{c.seal.actor, c.seal.index}, std::move(c));
  }
  if (p_.header) {
    s.cursor_ = p_.header->first;
    s.epoch_ = p_.header->second;
  }
  if (p_.local_actor) s.local_actor_ = p_.local_actor;
  for (auto& [peer, state] : p_.peers) s.peers_[peer] = state;
  handle_.seen_ = ++s.generation_;
  return Status::ok();
}

}  // namespace

std::unique_ptr<LogStore> make_memory_store() {
  return std::make_unique<MemoryHandle>(std::make_shared<MemoryStore>());
}

Result<std::unique_ptr<LogStore>> memory_store_share(LogStore& store) {
  auto* m = dynamic_cast<MemoryHandle*>(&store);
  if (m == nullptr) return make_error(Code::kInvalidArgument, "not a memory store");
  return std::unique_ptr<LogStore>(std::make_unique<MemoryHandle>(m->shared()));
}

Result<std::unique_ptr<LogStore>> memory_store_copy(LogStore& store) {
  auto* m = dynamic_cast<MemoryHandle*>(&store);
  if (m == nullptr) return make_error(Code::kInvalidArgument, "not a memory store");
  return std::unique_ptr<LogStore>(std::make_unique<MemoryHandle>(m->shared()->copy()));
}

Status memory_store_corrupt_chunk(LogStore& store, const ActorId& actor, uint64_t index,
                                  size_t offset, uint8_t xor_mask) {
  auto* m = dynamic_cast<MemoryHandle*>(&store);
  if (m == nullptr) return make_error(Code::kInvalidArgument, "not a memory store");
  return m->shared()->corrupt_chunk(actor, index, offset, xor_mask);
}

}  // namespace weft
