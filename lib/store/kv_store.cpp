// LogStore over an ordered key-value store (include/weft/kv_store.hpp).
//
// Keys (integers big-endian, so byte order is numeric order):
//   "g"                        generation: commits so far (u64)
//   "h"                        header: cursor u64, epoch u32, has_local u8, local actor[16]
//   "a" actor[16]              ActorState
//   "o" cursor u64             op: actor, counter, lamport, kind, ts, deps, payload, hash
//   "i" actor[16] counter u64  cursor u64 (the id index)
//   "c" actor[16] index u64    chunk: first, last, prev digest, digest, bytes
//   "p" peer name              PeerState: acked cursor u64, attempts u32, next attempt u64
#include "weft/kv_store.hpp"

#include <cstring>

namespace weft {
namespace {

using Bytes = std::vector<uint8_t>;

class Out {
 public:
  Out& u8(uint8_t v) {
    b_.push_back(v);
    return *this;
  }
  Out& be64(uint64_t v) {
    for (int i = 7; i >= 0; --i) b_.push_back(static_cast<uint8_t>(v >> (8 * i)));
    return *this;
  }
  Out& le64(uint64_t v) {
    for (int i = 0; i < 8; ++i) b_.push_back(static_cast<uint8_t>(v >> (8 * i)));
    return *this;
  }
  Out& le32(uint32_t v) {
    for (int i = 0; i < 4; ++i) b_.push_back(static_cast<uint8_t>(v >> (8 * i)));
    return *this;
  }
  Out& raw(std::span<const uint8_t> s) {
    b_.insert(b_.end(), s.begin(), s.end());
    return *this;
  }
  Bytes take() { return std::move(b_); }
  const Bytes& bytes() const { return b_; }

 private:
  Bytes b_;
};

// Reads what Out wrote; any overrun marks the reader bad instead of reading.
class In {
 public:
  explicit In(std::span<const uint8_t> s) : s_(s) {}
  bool ok() const { return ok_ && at_ == s_.size(); }
  uint8_t u8() { return need(1) ? s_[at_++] : 0; }
  uint64_t le64() {
    if (!need(8)) return 0;
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= uint64_t{s_[at_ + i]} << (8 * i);
    at_ += 8;
    return v;
  }
  uint64_t be64() {
    if (!need(8)) return 0;
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | s_[at_ + i];
    at_ += 8;
    return v;
  }
  uint32_t le32() {
    if (!need(4)) return 0;
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= uint32_t{s_[at_ + i]} << (8 * i);
    at_ += 4;
    return v;
  }
  template <size_t N>
  void fixed(std::array<uint8_t, N>& out) {
    if (!need(N)) return;
    std::memcpy(out.data(), s_.data() + at_, N);
    at_ += N;
  }
  std::span<const uint8_t> take(uint64_t n) {
    if (!need(n)) return {};
    auto r = s_.subspan(at_, n);
    at_ += n;
    return r;
  }

 private:
  bool need(uint64_t n) {
    if (!ok_ || n > s_.size() - at_) ok_ = false;
    return ok_;
  }
  std::span<const uint8_t> s_;
  size_t at_ = 0;
  bool ok_ = true;
};

Bytes key(char tag) { return Bytes{static_cast<uint8_t>(tag)}; }
Bytes peer_key(std::string_view peer) {
  Bytes k(1 + peer.size());
  k[0] = 'p';
  if (!peer.empty()) std::memcpy(k.data() + 1, peer.data(), peer.size());
  return k;
}
Bytes key(char tag, const ActorId& a) { return Out().u8(tag).raw(a.bytes).take(); }
Bytes key(char tag, uint64_t n) { return Out().u8(tag).be64(n).take(); }
Bytes key(char tag, const ActorId& a, uint64_t n) {
  return Out().u8(tag).raw(a.bytes).be64(n).take();
}

Bytes encode_actor(const ActorState& a) {
  return Out()
      .raw(a.actor.bytes)
      .le64(a.max_counter)
      .le64(a.last_lamport)
      .le64(a.covered)
      .le64(a.sealed_chunks)
      .le64(a.sealed_upto)
      .raw(a.last_chunk_digest)
      .le64(a.chain_upto)
      .raw(a.chain)
      .take();
}

bool decode_actor(std::span<const uint8_t> v, ActorState& a) {
  In in(v);
  in.fixed(a.actor.bytes);
  a.max_counter = in.le64();
  a.last_lamport = in.le64();
  a.covered = in.le64();
  a.sealed_chunks = in.le64();
  a.sealed_upto = in.le64();
  in.fixed(a.last_chunk_digest);
  a.chain_upto = in.le64();
  in.fixed(a.chain);
  return in.ok();
}

Bytes encode_op(const Op& op, const Hash& hash) {
  Out o;
  o.raw(op.id.actor.bytes).le64(op.id.counter).le64(op.lamport).le32(op.kind);
  o.le64(static_cast<uint64_t>(op.timestamp_ms)).le32(static_cast<uint32_t>(op.deps.size()));
  for (const OpId& d : op.deps) o.raw(d.actor.bytes).le64(d.counter);
  o.le64(op.payload.size()).raw(op.payload).raw(hash);
  return o.take();
}

bool decode_op(std::span<const uint8_t> v, uint64_t cursor, StoredOp& s) {
  In in(v);
  in.fixed(s.op.id.actor.bytes);
  s.op.id.counter = in.le64();
  s.op.lamport = in.le64();
  s.op.kind = in.le32();
  s.op.timestamp_ms = static_cast<int64_t>(in.le64());
  const uint32_t nd = in.le32();
  if (nd > v.size() / 24) return false;
  s.op.deps.resize(nd);
  for (OpId& d : s.op.deps) {
    in.fixed(d.actor.bytes);
    d.counter = in.le64();
  }
  auto payload = in.take(in.le64());
  s.op.payload.assign(payload.begin(), payload.end());
  in.fixed(s.hash);
  s.cursor = cursor;
  return in.ok();
}

Error damaged(const std::string& what) {
  return make_error(Code::kCorrupt, "kv store: " + what + " is damaged");
}

class KvTxn;

class KvLogStore final : public LogStore {
 public:
  explicit KvLogStore(std::unique_ptr<KvConnection> c) : c_(std::move(c)) {}

  Result<LogHeader> load() override {
    LogHeader h;
    auto raw = c_->get(key('h'));
    WEFT_TRY(raw);
    if (raw.value()) {
      In in(*raw.value());
      h.cursor = in.le64();
      h.epoch = in.le32();
      const bool has_local = in.u8() != 0;
      ActorId a;
      in.fixed(a.bytes);
      if (!in.ok()) return damaged("header");
      if (has_local) h.local_actor = a;
    }
    Status s = c_->scan(key('a'), key('b'), SIZE_MAX, [&](auto, std::span<const uint8_t> v) {
      ActorState a;
      if (!decode_actor(v, a)) return false;
      h.actors.push_back(a);
      return true;
    });
    WEFT_TRY(s);
    auto g = generation();
    WEFT_TRY(g);
    seen_ = g.value();
    return h;
  }

  Result<std::optional<OpMeta>> op_meta(const OpId& id) override {
    auto op = get_op(id);
    WEFT_TRY(op);
    if (!op.value()) return std::optional<OpMeta>();
    return std::optional<OpMeta>(OpMeta{op.value()->hash, op.value()->op.lamport, op.value()->cursor});
  }

  Result<std::optional<StoredOp>> get_op(const OpId& id) override {
    auto c = c_->get(key('i', id.actor, id.counter));
    WEFT_TRY(c);
    if (!c.value()) return std::optional<StoredOp>();
    In in(*c.value());
    const uint64_t cursor = in.le64();
    if (!in.ok()) return damaged("id index of " + id.to_string());
    std::vector<StoredOp> one;
    WEFT_TRY(read_range(cursor, 1, one));
    if (one.size() != 1 || one[0].op.id != id) return damaged("op " + id.to_string());
    return std::optional<StoredOp>(std::move(one[0]));
  }

  Status read_range(uint64_t from, size_t max, std::vector<StoredOp>& out) override {
    if (from == 0) from = 1;
    bool bad = false;
    Status s = c_->scan(key('o', from), key('p'), max,
                        [&](std::span<const uint8_t> k, std::span<const uint8_t> v) {
                          if (k.size() != 9) return !(bad = true);
                          In kin(k.subspan(1));
                          StoredOp op;
                          if (!decode_op(v, kin.be64(), op)) return !(bad = true);
                          out.push_back(std::move(op));
                          return true;
                        });
    WEFT_TRY(s);
    if (bad) return damaged("an op row");
    return Status::ok();
  }

  Status read_actor(const ActorId& actor, uint64_t first, size_t max,
                    std::vector<StoredOp>& out) override {
    std::vector<uint64_t> cursors;
    Status s = c_->scan(key('i', actor, first), key('i', actor, UINT64_MAX), max,
                        [&](auto, std::span<const uint8_t> v) {
                          In in(v);
                          cursors.push_back(in.le64());
                          return true;
                        });
    WEFT_TRY(s);
    for (uint64_t c : cursors) WEFT_TRY(read_range(c, 1, out));
    return Status::ok();
  }

  Result<std::optional<StoredChunk>> get_chunk(const ActorId& actor, uint64_t index) override {
    auto raw = c_->get(key('c', actor, index));
    WEFT_TRY(raw);
    if (!raw.value()) return std::optional<StoredChunk>();
    In in(*raw.value());
    StoredChunk c;
    c.seal.actor = actor;
    c.seal.index = index;
    c.seal.first = in.le64();
    c.seal.last = in.le64();
    in.fixed(c.seal.prev_digest);
    in.fixed(c.seal.digest);
    auto bytes = in.take(in.le64());
    c.bytes.assign(bytes.begin(), bytes.end());
    if (!in.ok()) return damaged("chunk record");
    return std::optional<StoredChunk>(std::move(c));
  }

  Result<std::optional<PeerState>> get_peer(std::string_view peer) override {
    auto raw = c_->get(peer_key(peer));
    WEFT_TRY(raw);
    if (!raw.value()) return std::optional<PeerState>();
    In in(*raw.value());
    PeerState p;
    p.acked_cursor = in.le64();
    p.attempts = in.le32();
    p.next_attempt_ms = in.le64();
    if (!in.ok()) return damaged("peer record");
    return std::optional<PeerState>(p);
  }

  Result<std::unique_ptr<StoreTxn>> begin_write() override;

  KvConnection& connection() { return *c_; }

 private:
  friend class KvTxn;

  Result<uint64_t> generation() {
    auto g = c_->get(key('g'));
    WEFT_TRY(g);
    if (!g.value()) return uint64_t{0};
    In in(*g.value());
    uint64_t v = in.le64();
    if (!in.ok()) return damaged("generation");
    return v;
  }

  std::unique_ptr<KvConnection> c_;
  uint64_t seen_ = 0;
};

class KvTxn final : public StoreTxn {
 public:
  explicit KvTxn(KvLogStore& s) : s_(s) {}
  ~KvTxn() override {
    if (open_) (void)s_.c_->rollback();
  }

  Result<std::optional<LogHeader>> refresh() override {
    auto g = s_.generation();
    WEFT_TRY(g);
    if (g.value() == s_.seen_) return std::optional<LogHeader>();
    auto h = s_.load();
    WEFT_TRY(h);
    return std::optional<LogHeader>(std::move(h.value()));
  }
  Status put_op(const Op& op, const Hash& hash, uint64_t cursor) override {
    WEFT_TRY(s_.c_->put(key('o', cursor), encode_op(op, hash)));
    return s_.c_->put(key('i', op.id.actor, op.id.counter), Out().le64(cursor).take());
  }
  Status put_actor(const ActorState& a) override {
    return s_.c_->put(key('a', a.actor), encode_actor(a));
  }
  Status put_header(uint64_t cursor, uint32_t epoch) override {
    header_cursor_ = cursor;
    header_epoch_ = epoch;
    header_dirty_ = true;
    return Status::ok();
  }
  Status put_local_actor(const ActorId& actor) override {
    local_ = actor;
    header_dirty_ = true;
    return Status::ok();
  }
  Status put_chunk(const SealRecord& r, std::span<const uint8_t> bytes) override {
    return s_.c_->put(key('c', r.actor, r.index),
                      Out().le64(r.first).le64(r.last).raw(r.prev_digest).raw(r.digest)
                          .le64(bytes.size()).raw(bytes).take());
  }
  Status put_peer(std::string_view peer, const PeerState& p) override {
    return s_.c_->put(peer_key(peer),
                      Out().le64(p.acked_cursor).le32(p.attempts).le64(p.next_attempt_ms).take());
  }
  Status commit() override {
    if (header_dirty_) {
      // Header fields written separately must not erase each other.
      auto h = s_.c_->get(key('h'));
      WEFT_TRY(h);
      uint64_t cursor = 0;
      uint32_t epoch = 0;
      std::optional<ActorId> local;
      if (h.value()) {
        In in(*h.value());
        cursor = in.le64();
        epoch = in.le32();
        const bool has = in.u8() != 0;
        ActorId a;
        in.fixed(a.bytes);
        if (!in.ok()) return damaged("header");
        if (has) local = a;
      }
      if (header_cursor_) cursor = *header_cursor_;
      if (header_epoch_) epoch = *header_epoch_;
      if (local_) local = local_;
      Out o;
      o.le64(cursor).le32(epoch).u8(local ? 1 : 0).raw(local ? local->bytes : ActorId{}.bytes);
      WEFT_TRY(s_.c_->put(key('h'), o.bytes()));
    }
    auto g = s_.generation();
    WEFT_TRY(g);
    WEFT_TRY(s_.c_->put(key('g'), Out().le64(g.value() + 1).take()));
    WEFT_TRY(s_.c_->commit());
    open_ = false;
    s_.seen_ = g.value() + 1;
    return Status::ok();
  }

 private:
  KvLogStore& s_;
  bool open_ = true;
  bool header_dirty_ = false;
  std::optional<uint64_t> header_cursor_;
  std::optional<uint32_t> header_epoch_;
  std::optional<ActorId> local_;
};

Result<std::unique_ptr<StoreTxn>> KvLogStore::begin_write() {
  WEFT_TRY(c_->begin());
  return std::unique_ptr<StoreTxn>(new KvTxn(*this));
}

}  // namespace

std::unique_ptr<LogStore> make_kv_log_store(std::unique_ptr<KvConnection> connection) {
  return std::make_unique<KvLogStore>(std::move(connection));
}

Status kv_corrupt_chunk(KvConnection& c, const ActorId& actor, uint64_t index) {
  WEFT_TRY(c.begin());
  auto raw = c.get(key('c', actor, index));
  if (!raw || !raw.value() || raw.value()->size() < 100) {
    (void)c.rollback();
    return raw ? Status(make_error(Code::kNotFound, "no such chunk")) : raw.status();
  }
  Bytes v = std::move(*raw.value());
  v[v.size() - 20] ^= 0x10;  // inside the chunk bytes, past the seal record
  Status s = c.put(key('c', actor, index), v);
  if (s) s = c.commit();
  if (!s) (void)c.rollback();
  return s;
}

}  // namespace weft
