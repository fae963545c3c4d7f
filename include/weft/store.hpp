// weft: the storage adapter interface (docs/store-interface.md).
//
// The engine talks to storage only through LogStore: small per-log records
// (header, one record per actor), ops by id and by cursor range, immutable
// sealed chunks, and write transactions that commit atomically. Adapters:
// memory (here), SQLite and PostgreSQL (later), or one written in another
// language through the C ABI.
//
// Thread-safety: one thread at a time. The engine serialises all calls.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "weft/status.hpp"
#include "weft/types.hpp"

namespace weft {

// Per-actor state, persisted as one small record.
struct ActorState {
  ActorId actor;
  uint64_t max_counter = 0;    // ops 1..max_counter are present
  uint64_t last_lamport = 0;   // lamport of (actor, max_counter)
  uint64_t covered = 0;        // highest counter another actor's op depends on
  uint64_t sealed_chunks = 0;  // chunks 0..sealed_chunks-1 are sealed
  uint64_t sealed_upto = 0;    // last counter inside a sealed chunk
  Hash last_chunk_digest{};    // digest of chunk sealed_chunks-1 (zeros if none)
  uint64_t chain_upto = 0;     // `chain` covers counters 1..chain_upto
  Hash chain{};                // running hash over op hashes (docs/format.md)

  bool operator==(const ActorState&) const = default;
};

struct LogHeader {
  uint64_t cursor = 0;  // number of ops applied; the last op's cursor
  uint32_t epoch = 0;   // capability epoch (only moves up)
  std::optional<ActorId> local_actor;  // the writer id this replica appends as
  std::vector<ActorState> actors;
};

struct StoredOp {
  Op op;
  Hash hash{};
  uint64_t cursor = 0;  // position in this replica's apply order, from 1
};

struct OpMeta {
  Hash hash{};
  uint64_t lamport = 0;
  uint64_t cursor = 0;
};

// An op's identity, lamport, hash and cursor: what the digest and the
// canonical order read, without the op's payload and dependencies.
struct OpKey {
  OpId id;
  uint64_t lamport = 0;
  Hash hash{};
  uint64_t cursor = 0;

  bool operator==(const OpKey&) const = default;
};

// What a log remembers about one sync peer: the outbox's durable state
// (docs/sync.md). Peers are named by the application.
struct PeerState {
  uint64_t acked_cursor = 0;     // every op at a local cursor <= this is at the peer
  uint32_t attempts = 0;         // failed attempts since the last progress
  uint64_t next_attempt_ms = 0;  // wall clock (ms since 1970) of the next attempt; 0: now

  bool operator==(const PeerState&) const = default;
};

inline constexpr size_t kMaxPeerNameBytes = 256;

struct StoredChunk {
  SealRecord seal;
  std::vector<uint8_t> bytes;
};

// The writer fence: a record kept beside a store, outside its data, of the
// highest counter the store's local writer has minted (docs/storage.md,
// "Copies and restores"). A copied or restored store holds less of its
// writer than the fence beside it says, or has no fence beside it; either
// way minting under that writer again would reuse ids its peers hold.
struct WriterFence {
  ActorId actor;
  uint64_t counter = 0;
};

// One write transaction. Destroying it without commit() rolls it back.
// Writes are not visible through LogStore reads until commit() succeeds.
class StoreTxn {
 public:
  virtual ~StoreTxn() = default;

  // If another writer committed since this store last loaded, the current
  // header (read inside this transaction); otherwise nullopt.
  virtual Result<std::optional<LogHeader>> refresh() = 0;

  // `op` is read before commit() returns and must stay valid until then.
  virtual Status put_op(const Op& op, const Hash& hash, uint64_t cursor) = 0;
  virtual Status put_actor(const ActorState& state) = 0;
  virtual Status put_header(uint64_t cursor, uint32_t epoch) = 0;
  virtual Status put_local_actor(const ActorId& actor) = 0;
  // Sealed chunks are immutable: the engine never rewrites (actor, index).
  // A chunk may be put before or after its ops in the same transaction
  // (a chunk from a peer comes first, so its ops can be stored sealed).
  virtual Status put_chunk(const SealRecord& seal, std::span<const uint8_t> bytes) = 0;
  virtual Status put_peer(std::string_view peer, const PeerState& state) = 0;
  // Records the writer fence before commit (the default keeps none). A
  // rollback puts the previous record back; a crash before commit leaves
  // the fence ahead of the store, which reads as a copy: safe.
  virtual Status put_fence(const WriterFence& fence) {
    (void)fence;
    return Status::ok();
  }

  // All writes become durable and visible together, or none does.
  virtual Status commit() = 0;
};

class LogStore {
 public:
  virtual ~LogStore() = default;

  // The header and every actor record: O(actors), never O(ops).
  virtual Result<LogHeader> load() = 0;

  virtual Result<std::optional<OpMeta>> op_meta(const OpId& id) = 0;
  virtual Result<std::optional<StoredOp>> get_op(const OpId& id) = 0;
  // Appends to `out` the ops with cursor in [from, from + max), in cursor order.
  virtual Status read_range(uint64_t from, size_t max, std::vector<StoredOp>& out) = 0;
  // Appends to `out` the ops of `actor` with counters [first, first + max), in order.
  virtual Status read_actor(const ActorId& actor, uint64_t first, size_t max,
                            std::vector<StoredOp>& out) = 0;
  virtual Result<std::optional<StoredChunk>> get_chunk(const ActorId& actor, uint64_t index) = 0;

  // read_range and read_actor as keys: the same ops in the same order,
  // without payloads and dependencies. The defaults read whole ops (and so
  // check them as read_range does); an adapter that can answer from its
  // index alone may override them.
  virtual Status read_range_keys(uint64_t from, size_t max, std::vector<OpKey>& out) {
    std::vector<StoredOp> ops;
    WEFT_TRY(read_range(from, max, ops));
    for (const StoredOp& s : ops) out.push_back({s.op.id, s.op.lamport, s.hash, s.cursor});
    return Status::ok();
  }
  virtual Status read_actor_keys(const ActorId& actor, uint64_t first, size_t max,
                                 std::vector<OpKey>& out) {
    std::vector<StoredOp> ops;
    WEFT_TRY(read_actor(actor, first, max, ops));
    for (const StoredOp& s : ops) out.push_back({s.op.id, s.op.lamport, s.hash, s.cursor});
    return Status::ok();
  }

  // Whether the store keeps a writer fence (SQLite files do: a copy of the
  // file can be taken without weft knowing). If not, read_fence is nullopt
  // and only sync finds a copied writer.
  virtual bool keeps_fence() const { return false; }
  virtual Result<std::optional<WriterFence>> read_fence() {
    return std::optional<WriterFence>();
  }

  // The store's own structural check, run by Log::verify before it walks
  // the ops (SQLite: PRAGMA integrity_check). CORRUPT naming what is wrong.
  virtual Status check_integrity() { return Status::ok(); }

  // Whether another connection may have committed since this store last
  // loaded or wrote, found without taking a write lock. True when unsure.
  virtual Result<bool> changed_since_load() { return true; }

  // nullopt if nothing was ever stored for `peer`.
  virtual Result<std::optional<PeerState>> get_peer(std::string_view peer) = 0;

  virtual Result<std::unique_ptr<StoreTxn>> begin_write() = 0;
  // A transaction whose commit also survives power loss, whatever the
  // store's usual durability (SQLite: synchronous=FULL for this commit).
  // Used where an acknowledgement promises that much: an epoch bump.
  virtual Result<std::unique_ptr<StoreTxn>> begin_synced_write() { return begin_write(); }

  // How many of its own ops a writer should gather before sealing a chunk
  // automatically; 0 means never (the memory store keeps chunks beside the
  // ops, so sealing would only cost memory there).
  virtual uint64_t preferred_seal_ops() const { return 0; }
};

// An in-memory store: fast, exact, gone with the process.
std::unique_ptr<LogStore> make_memory_store();

// Another handle to the memory store behind `store`, as a second connection
// to one database file would be: each handle sees the other's commits at its
// next transaction. INVALID_ARGUMENT if `store` is not a memory store.
// Unlike SQLite connections, the handles of one memory store share its data
// without locks: use them from one thread at a time, all together.
Result<std::unique_ptr<LogStore>> memory_store_share(LogStore& store);

// A new memory store holding a copy of everything `store` has committed
// (ops, chunks, header, peers): a fork, independent of `store` from then on.
// Tests and simulations use it to start many runs from one prepared state
// without rebuilding it. O(ops + payload bytes). INVALID_ARGUMENT if
// `store` is not a memory store. Same threading as the store it copies.
Result<std::unique_ptr<LogStore>> memory_store_copy(LogStore& store);

// Test hook for the memory store: flips bits of a stored chunk's bytes in
// place (what disk corruption would do). NOT_FOUND if no such chunk,
// INVALID_ARGUMENT if `store` is not a memory store or `offset` is past the end.
Status memory_store_corrupt_chunk(LogStore& store, const ActorId& actor, uint64_t index,
                                  size_t offset, uint8_t xor_mask);

}  // namespace weft
