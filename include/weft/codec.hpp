// weft: the wire and chunk format (docs/format.md). Encoding is
// deterministic; decoding verifies structure with explicit limits, then
// semantics, and answers MALFORMED or UNSUPPORTED_VERSION naming the field.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "weft/status.hpp"
#include "weft/types.hpp"

namespace weft {

inline constexpr uint32_t kFormatVersion = 1;

// Limits enforced by decoders before any allocation sized by the input.
struct Limits {
  size_t max_message_bytes = 256u << 20;
  uint32_t max_ops = 1u << 20;           // per batch or chunk
  uint32_t max_payload_bytes = 16u << 20;  // per op
  uint32_t max_deps_per_op = 1024;
  uint32_t max_actors = 1u << 16;         // per message
};

using Bytes = std::vector<uint8_t>;

Bytes encode_batch(const Batch& batch);
Result<Batch> decode_batch(std::span<const uint8_t> bytes, const Limits& limits = {});

Bytes encode_ack(const Ack& ack);
Result<Ack> decode_ack(std::span<const uint8_t> bytes, const Limits& limits = {});

// A chunk's ops must be one actor's contiguous counters (checked: INVALID_ARGUMENT).
Result<Bytes> encode_chunk(const Chunk& chunk);
// Also refuses bytes that are not the canonical encoding of what they decode
// to, so a chunk has exactly one byte form and one digest.
Result<Chunk> decode_chunk(std::span<const uint8_t> bytes, const Limits& limits = {});

Bytes encode_version_vector(const VersionVector& vv);
// Entries must be sorted by actor with counters >= 1 (MALFORMED otherwise).
Result<VersionVector> decode_version_vector(std::span<const uint8_t> bytes,
                                            const Limits& limits = {});

// The seal record of encoded chunk bytes (digest = BLAKE2b-256 of `bytes`).
SealRecord seal_record(const Chunk& chunk, std::span<const uint8_t> bytes);

}  // namespace weft
