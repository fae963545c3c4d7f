// weft: a LogStore over an ordered key-value store with transactions.
//
// The narrowest shape a storage adapter can take, and the one the C ABI
// offers to other languages: get, put and ordered scan of byte keys, inside
// write transactions that commit atomically. The key layout is in
// docs/store-interface.md ("Key-value adapters").
//
// Thread-safety: one thread at a time per connection.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "weft/status.hpp"
#include "weft/store.hpp"

namespace weft {

// One connection to an ordered key-value database. Reads see committed
// data and, inside a transaction, that transaction's own writes.
class KvConnection {
 public:
  virtual ~KvConnection() = default;
  virtual Status begin() = 0;     // a write transaction (waits for, or fails BUSY on, another)
  virtual Status commit() = 0;
  virtual Status rollback() = 0;
  virtual Status put(std::span<const uint8_t> key, std::span<const uint8_t> value) = 0;
  virtual Result<std::optional<std::vector<uint8_t>>> get(std::span<const uint8_t> key) = 0;
  // Calls `row` for keys in [from, to) in ascending byte order, at most
  // `limit` of them; a row callback returning false stops the scan.
  virtual Status scan(std::span<const uint8_t> from, std::span<const uint8_t> to, size_t limit,
                      const std::function<bool(std::span<const uint8_t> key,
                                               std::span<const uint8_t> value)>& row) = 0;
};

std::unique_ptr<LogStore> make_kv_log_store(std::unique_ptr<KvConnection> connection);

// Flips one bit of sealed chunk (actor, index) as stored, through the
// connection: what disk corruption would do (for the conformance kit).
Status kv_corrupt_chunk(KvConnection& connection, const ActorId& actor, uint64_t index);

}  // namespace weft
