// weft: the engine. A Log is the core's rules over a LogStore, every change
// under one store transaction (docs/architecture.md, docs/contract.md "Applying a batch").
//
// Thread-safety: internally synchronized. Every method may be called from
// any thread; calls are serialised by the Log.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "weft/codec.hpp"
#include "weft/status.hpp"
#include "weft/store.hpp"
#include "weft/types.hpp"

namespace weft {

// The chunk size an owner seals by default: 16,384 ops (1 MiB of 64-byte
// payloads), so chunk overhead is a few hundredths of a byte per op.
inline constexpr uint64_t kDefaultChunkOps = 16384;
// An automatic seal also ends a chunk before its payloads pass 4 MiB, so a
// chunk stays far below any message limit whatever the payload sizes.
inline constexpr uint64_t kChunkPayloadBudget = 4u << 20;

struct LogOptions {
  // The local writer's id. Unset: the one stored with the log, or a fresh
  // random actor (then stored with the log).
  std::optional<ActorId> actor;
  Limits limits;
  // Seal the local actor's ops into a chunk each time this many are unsealed,
  // right after the append that reaches the count (0: never). Unset: the
  // store's preference (SQLite: kDefaultChunkOps; memory: never).
  std::optional<uint64_t> auto_seal_ops;
};

struct AppendRequest {
  std::span<const uint8_t> payload;
  uint32_t kind = 0;
  // Unset: the wall clock (informational only, never used for ordering).
  std::optional<int64_t> timestamp_ms;
  // Unset: the log's current heads. Set: these explicit dependencies, which
  // must be present (MISSING_DEPENDENCY otherwise).
  std::optional<std::vector<OpId>> deps;
};

struct DiffOptions {
  uint32_t max_ops_per_batch = 4096;
  size_t max_bytes_per_batch = 1u << 20;  // payload bytes; a bigger op gets its own batch
};

struct VerifyReport {
  uint64_t ops = 0;
  uint64_t chunks = 0;
};

struct MergeStats {
  uint64_t batches = 0;
  uint64_t applied = 0;
  uint64_t duplicates = 0;
  uint64_t rejected = 0;
};

// One writer's part of the digest: how many of its ops a log holds and the
// chain over their hashes (docs/format.md).
struct WriterSummary {
  ActorId actor;
  uint64_t counter = 0;
  Hash chain{};
};

// The first writer (by actor id) whose ops two summaries disagree on, if
// any: what differs between two logs whose digests differ.
std::optional<WriterSummary> first_difference(std::span<const WriterSummary> a,
                                              std::span<const WriterSummary> b);

class Log {
 public:
  // Opens a log over `store`, loading O(actors) state.
  static Result<std::unique_ptr<Log>> open(std::unique_ptr<LogStore> store,
                                           LogOptions options = {});
  static Result<std::unique_ptr<Log>> open_memory(LogOptions options = {});

  ~Log();
  Log(const Log&) = delete;
  Log& operator=(const Log&) = delete;

  // The writer this log mints as (docs/storage.md, "Copies and restores").
  ActorId actor() const;
  struct Writer {
    ActorId actor;
    bool recorded = false;           // the store holds it as its writer, fenced
    std::optional<ActorId> retired;  // a writer this log stopped minting under
    std::string why;                 // why it was retired
  };
  Writer writer() const;
  // Records the writer in the store now (and its fence) instead of at the
  // first append, so a reopen keeps it. open_memory and a SQLite open with
  // create do this; opening without create never writes.
  Status record_writer();
  // Stops minting under the current writer because a peer holds more of it
  // than this log does (this store is a copy or a restore): records a
  // fresh writer now. With an explicit LogOptions::actor, appends answer
  // CONFLICT instead (the caller chose that id).
  Status retire_writer(const std::string& why);
  const Limits& limits() const { return options_.limits; }

  // Mints the local actor's next op(s) and commits them in one transaction.
  Result<OpId> append(const AppendRequest& request);
  Result<std::vector<OpId>> append_many(std::span<const AppendRequest> requests);

  // The five apply rules of docs/contract.md, atomically. An Error (never an Ack)
  // means nothing committed: a store failure, or a batch over the limits.
  Result<Ack> apply(const Batch& batch);

  // Reads up to `max` ops from `from_cursor` (1-based) in cursor order.
  Result<std::vector<StoredOp>> read(uint64_t from_cursor, size_t max);
  // NOT_FOUND if the op is not here.
  Result<StoredOp> get(const OpId& id);

  uint64_t cursor() const;
  // Actors this log keeps state for: writers of applied ops and actors
  // they depend on (memory is O(this), never O(ops)).
  size_t actor_count() const;
  uint32_t epoch() const;
  // Catches up with commits other connections made to the store (another
  // process's revoke, say): the in-memory state is otherwise refreshed at
  // this log's next write.
  Status refresh();
  // Raises the epoch by one inside one synced transaction (so two revokes
  // never collapse into one) and returns the new epoch.
  // RESOURCE_EXHAUSTED at UINT32_MAX.
  Result<uint32_t> bump_epoch();
  // Raises the capability epoch, durably even across power loss (the
  // store's synced write) before it returns; lowering it is INVALID_ARGUMENT.
  Status set_epoch(uint32_t epoch);

  // The outbox's durable state for a sync peer named by the application
  // (1 to kMaxPeerNameBytes bytes): zeros for a peer never recorded.
  Result<PeerState> peer(std::string_view name);
  // Stores `state` for `name` in one transaction and returns what was
  // stored: the acked cursor never moves backward (a lower one keeps the
  // stored value, S09); one past the log's cursor is INVALID_ARGUMENT.
  Result<PeerState> record_peer(std::string_view name, const PeerState& state);

  VersionVector version_vector() const;
  // The highest counter of `actor` held here (0 if none): O(log actors).
  uint64_t held(const ActorId& actor) const;
  // Ops nothing else here depends on, sorted.
  std::vector<OpId> heads() const;
  // 32 bytes, equal exactly when two replicas hold the same ops.
  Result<Hash> digest();
  // The digest's inputs, one per writer with ops here, sorted by actor.
  Result<std::vector<WriterSummary>> writer_summaries();
  // Every op id in canonical order: (lamport, actor, counter).
  Result<std::vector<OpId>> canonical_order();

  // The cursor of the first op here that `peer` lacks (cursor() + 1 if it
  // lacks none): in cursor order, nothing before it is missing at the peer.
  Result<uint64_t> first_missing(const VersionVector& peer);
  // The ops this log has past `peer`, in dependency order, as batches.
  Result<std::vector<Batch>> diff(const VersionVector& peer, const DiffOptions& options = {});
  // this.apply(other.diff(this.version_vector())).
  Result<MergeStats> merge_from(Log& other, const DiffOptions& options = {});

  // Seals the next chunk of `actor`, ending at counter `last`. If
  // `expected_digest` is given it must match (CHECKSUM_MISMATCH).
  Result<SealRecord> seal(const ActorId& actor, uint64_t last,
                          const std::optional<Hash>& expected_digest = std::nullopt);
  // Stores a sealed chunk received from a peer, and applies its ops that are
  // not here yet, in one transaction. Same bytes again: OK. Other bytes for a
  // sealed (actor, index): IMMUTABLE_VIOLATION. With `epoch`, the chunk is
  // sent under that capability epoch, checked inside the transaction like a
  // batch's: STALE_EPOCH below the log's, PERMISSION_DENIED above.
  Result<SealRecord> put_chunk(std::span<const uint8_t> bytes,
                               const std::optional<Hash>& expected_digest = std::nullopt,
                               std::optional<uint32_t> epoch = std::nullopt);
  // NOT_FOUND if (actor, index) is not sealed here.
  Result<StoredChunk> get_chunk(const ActorId& actor, uint64_t index);
  // Seal records of `actor`'s sealed chunks, in order.
  Result<std::vector<SealRecord>> seals(const ActorId& actor);

  // Walks every op and chunk: recomputes op hashes, chunk digests and the
  // chain of each actor. CORRUPT names the first op or chunk that is wrong.
  Result<VerifyReport> verify();

  LogStore& store_for_testing() { return *store_; }

 private:
  struct Staging;

  Log(std::unique_ptr<LogStore> store, LogOptions options, ActorId actor);
  void load_header(const LogHeader& header);
  Status choose_writer_locked();
  Status extend_chains_locked();
  Status prepare_writer_locked(StoreTxn& txn);
  Status record_writer_locked();
  // A write transaction, reloading state first if another writer moved
  // the store; `synced`: one that survives power loss (an epoch bump).
  Result<std::unique_ptr<StoreTxn>> begin(bool synced = false);
  uint32_t intern(const ActorId& actor);
  std::optional<uint32_t> find_actor(const ActorId& actor) const;
  // Appends the heads, sorted, leaving out actor index `skip`.
  void heads_into(std::vector<OpId>& out, uint32_t skip) const;
  Result<uint64_t> lamport_of(Staging& st, uint32_t actor, uint64_t counter);
  Result<Hash> stored_hash(Staging& st, uint32_t actor, uint64_t counter);
  // Decides one op under rules 2, 4 and 5 (rule 3 is handled by the caller).
  Result<Code> stage(Staging& st, const Op& op, const Hash& hash);
  Status write_staged(Staging& st, StoreTxn& txn);
  void rollback(Staging& st);
  Result<Ack> apply_locked(const Batch& batch);
  Result<uint64_t> first_missing_locked(const VersionVector& peer);
  // Calls f(actor, its state, the peer's counter or 0) for every writer
  // here, in actor order: one merge pass over both.
  void each_held_against_locked(
      const VersionVector& peer,
      const std::function<void(const ActorId&, const ActorState&, uint64_t)>& f) const;
  // Calls `each(T&)` for every op from cursor `from` to the end, in cursor
  // order, reading pages with `read` (LogStore::read_range for whole ops,
  // read_range_keys for keys); CORRUPT at the first cursor the store does
  // not hold.
  template <typename T, typename F>
  Status scan_locked(uint64_t from, Status (LogStore::*read)(uint64_t, size_t, std::vector<T>&),
                     F&& each);
  Status check_limits(const Op& op, const char* where) const;
  Staging& fresh_staging();
  Result<SealRecord> seal_locked(const ActorId& actor, uint64_t last,
                                 const std::optional<Hash>& expected_digest);
  // Seals full chunks of the local actor's unsealed ops, if auto-sealing.
  void auto_seal_locked();

  mutable std::mutex mu_;
  std::unique_ptr<LogStore> store_;
  LogOptions options_;
  ActorId actor_;
  std::optional<ActorId> stored_actor_;  // the store's writer, as last loaded
  bool actor_recorded_ = false;          // the store holds actor_ as its writer, fenced
  std::optional<ActorId> retired_;
  std::string retired_why_;
  std::optional<std::string> forked_;  // set: minting under the explicit actor is CONFLICT
  uint64_t auto_seal_ops_ = 0;
  bool reload_ = false;  // a write failed: reload state from the store first
  // The local actor's unsealed ops, kept while auto-sealing so a seal need
  // not read them back (at most auto_seal_ops_ + one append's worth).
  // Empty after a reload: sealing then reads the store.
  std::vector<Op> tail_;
  uint64_t cursor_ = 0;
  uint32_t epoch_ = 0;
  std::vector<ActorState> actors_;
  // Actor id -> index into actors_: hashed for lookups (every op of an
  // apply), ordered for what must come out sorted (digest, heads, version
  // vector). Both O(1) or O(log actors) to grow.
  std::unordered_map<ActorId, uint32_t, ActorIdHash> actor_lookup_;
  std::map<ActorId, uint32_t> actor_order_;
  std::unique_ptr<Staging> staging_;  // reused by every write, under mu_
};

}  // namespace weft
