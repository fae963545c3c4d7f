// weft: the data model (docs/contract.md, "Data model"). Plain values, no I/O.
#pragma once

#include <array>
#include <bit>
#include <compare>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "weft/status.hpp"

namespace weft {

inline constexpr size_t kActorIdSize = 16;
inline constexpr size_t kHashSize = 32;

using Hash = std::array<uint8_t, kHashSize>;

// One writer: a device, a process, an ingest source.
struct ActorId {
  static_assert(kActorIdSize == 16, "compared as two 8-byte words");
  std::array<uint8_t, kActorIdSize> bytes{};

  // Byte order, compared as two 8-byte words: actor ids are compared on
  // every lookup, and a byte-array compare is a call to memcmp.
  friend bool operator==(const ActorId& a, const ActorId& b) {
    return a.word(0) == b.word(0) && a.word(1) == b.word(1);
  }
  friend std::strong_ordering operator<=>(const ActorId& a, const ActorId& b) {
    const uint64_t a0 = a.big_endian_word(0), b0 = b.big_endian_word(0);
    if (a0 != b0) return a0 <=> b0;
    return a.big_endian_word(1) <=> b.big_endian_word(1);
  }

  std::string hex() const;
  static Result<ActorId> from_hex(std::string_view hex);
  // 16 bytes from the operating system's CSPRNG.
  static ActorId random();

 private:
  uint64_t word(size_t i) const {
    uint64_t w;
    std::memcpy(&w, bytes.data() + 8 * i, sizeof w);
    return w;
  }
  // Bytes 8i..8i+7 as a big-endian number: these compare as the bytes do.
  uint64_t big_endian_word(size_t i) const {
    const uint64_t w = word(i);
    if constexpr (std::endian::native == std::endian::little) return __builtin_bswap64(w);
    return w;
  }
};

// Hashes all 16 bytes of an actor id with SipHash-2-4 under a key drawn
// once per process, for hash tables keyed by actor: a peer chooses the
// actor ids it sends, and must not be able to make them collide (ids that
// share a prefix once put every actor of a memory log in one bucket).
struct ActorIdHash {
  size_t operator()(const ActorId& a) const noexcept;
};

// (actor, counter): counters start at 1 and are contiguous per actor.
struct OpId {
  ActorId actor;
  uint64_t counter = 0;

  auto operator<=>(const OpId&) const = default;
  bool operator==(const OpId&) const = default;

  // "00ff..:42"
  std::string to_string() const;
};

// The kind of a join op: no payload, minted by an append whose writer has
// seen more concurrent heads than one op may depend on (Limits::
// max_deps_per_op). Each join depends on a slice of the heads, and the
// writer's next op depends on the join implicitly (its own previous
// counter), so the appended op still happens after everything its writer
// had seen (docs/contract.md, "Appends"). Applications cannot append it.
inline constexpr uint32_t kJoinKind = 0xFFFFFFFFu;

// An operation. `deps` holds the explicit causal predecessors in canonical
// form (see normalize_deps): at most one per foreign actor, sorted by actor.
// The implicit predecessor (actor, counter - 1) is never listed.
struct Op {
  OpId id;
  std::vector<OpId> deps;
  uint64_t lamport = 0;
  uint32_t kind = 0;
  int64_t timestamp_ms = 0;
  std::vector<uint8_t> payload;

  bool operator==(const Op&) const = default;
};

// Canonical form of a dependency list for an op by `self`: keeps the highest
// counter per foreign actor (lower ones are implied by contiguity), drops
// same-actor entries below `self_counter`, sorts by actor. Returns MALFORMED
// if an entry names `self`'s own actor at `self_counter` or above (a
// self-dependency or a cycle) or has counter 0.
Result<std::vector<OpId>> normalize_deps(const OpId& self, std::vector<OpId> deps);

// True when `deps` is already in canonical form for `self`.
bool deps_canonical(const OpId& self, std::span<const OpId> deps);

// BLAKE2b-256 over the op's canonical content (docs/format.md, "Op hash").
// Transport fields (batch, seq, epoch) are not part of it.
Hash op_hash(const Op& op);

// One outcome per rejected op.
struct Rejection {
  OpId id;
  Code code = Code::kInternal;

  bool operator==(const Rejection&) const = default;
};

// A unit of transmission. Ops are applied in this order.
struct Batch {
  uint64_t batch_id = 0;
  uint64_t seq = 0;
  std::optional<uint64_t> expected_cursor;
  uint32_t epoch = 0;
  std::vector<Op> ops;

  bool operator==(const Batch&) const = default;
};

// What an apply committed. applied + duplicates + rejected = batch size,
// except when `status` is STALE_EPOCH: then every list is empty (no per-op
// status is disclosed).
struct Ack {
  uint64_t batch_id = 0;
  uint64_t seq = 0;
  Code status = Code::kOk;
  uint64_t cursor = 0;
  std::vector<OpId> applied;
  std::vector<OpId> duplicates;
  std::vector<Rejection> rejected;

  bool operator==(const Ack&) const = default;
};

// Highest counter seen per actor; an actor absent from the vector is at 0.
class VersionVector {
 public:
  uint64_t get(const ActorId& actor) const;
  void set(const ActorId& actor, uint64_t counter);
  // Raises the entry to `counter` if it is lower.
  void advance(const ActorId& actor, uint64_t counter);
  // Adds an entry after every present one: O(1), for building a vector
  // from actors already in order (set() keeps order at O(actors) a call).
  // An actor out of order falls back to set().
  void append_sorted(const ActorId& actor, uint64_t counter);
  // Room for `actors` entries, so filling the vector allocates once.
  void reserve(size_t actors) { entries_.reserve(actors); }
  bool contains(const OpId& id) const { return id.counter >= 1 && id.counter <= get(id.actor); }

  // Sorted by actor, zero entries omitted.
  const std::vector<std::pair<ActorId, uint64_t>>& entries() const { return entries_; }

  // Calls f(actor, counter, other's counter or 0) for each entry of this
  // vector, in one merge pass over both: O(this + other), where a get() per
  // entry would search `other` each time.
  template <typename F>
  void each_against(const VersionVector& other, F&& f) const {
    auto it = other.entries_.begin();
    for (const auto& [actor, counter] : entries_) {
      while (it != other.entries_.end() && it->first < actor) ++it;
      f(actor, counter, it != other.entries_.end() && it->first == actor ? it->second : 0);
    }
  }
  size_t size() const { return entries_.size(); }
  uint64_t total() const;  // sum of entries: the number of ops covered

  bool operator==(const VersionVector&) const = default;

 private:
  std::vector<std::pair<ActorId, uint64_t>> entries_;
};

// The record of a sealed chunk: travels with the ops.
struct SealRecord {
  ActorId actor;
  uint64_t index = 0;  // 0-based chunk number of this actor
  uint64_t first = 0;  // counter range [first, last]
  uint64_t last = 0;
  Hash prev_digest{};  // digest of chunk index-1, zeros for index 0
  Hash digest{};       // BLAKE2b-256 of the chunk's encoded bytes

  bool operator==(const SealRecord&) const = default;
};

// A chunk's logical content: one actor's contiguous ops.
struct Chunk {
  ActorId actor;
  uint64_t index = 0;
  Hash prev_digest{};
  std::vector<Op> ops;  // counters first..last, in order

  uint64_t first() const { return ops.empty() ? 0 : ops.front().id.counter; }
  uint64_t last() const { return ops.empty() ? 0 : ops.back().id.counter; }
  bool operator==(const Chunk&) const = default;
};

// Lower-case hex of any bytes.
std::string to_hex(std::span<const uint8_t> bytes);

// BLAKE2b-256 of bytes (libsodium).
Hash blake2b_256(std::span<const uint8_t> bytes);

}  // namespace weft
