// weft: the wire and chunk format (docs/format.md). Encoding is
// deterministic; decoding verifies structure with explicit limits, then
// semantics, and answers MALFORMED or UNSUPPORTED_VERSION naming the field.
#pragma once

#include <cstdint>
#include <span>
#include <string>
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
  uint32_t max_actors = 1u << 16;         // per batch, chunk or ack (version vectors: unbounded)
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

// ---------------------------------------------------------------- sync messages

// The body of a weft message (the Body union's member numbers).
enum class MessageKind : uint8_t {
  kBatch = 1,
  kAck = 2,
  kChunk = 3,
  kVersionVector = 4,
  kToken = 5,
  kHello = 6,
  kChunks = 7,
  kError = 8,
};

// The kind of a verified weft message. MALFORMED if the bytes are not one,
// UNSUPPORTED_VERSION if a newer format wrote them; a body this build does
// not know is MALFORMED naming its number.
Result<MessageKind> message_kind(std::span<const uint8_t> bytes, const Limits& limits = {});

inline constexpr uint32_t kHelloPush = 1;    // the sender will send what the peer lacks
inline constexpr uint32_t kHelloAccept = 2;  // the sender will apply what the peer sends
inline constexpr size_t kMaxLogIdBytes = 256;
inline constexpr size_t kMaxTokenBytes = 4096;
inline constexpr size_t kMaxErrorMessageBytes = 4096;

struct Hello {
  std::string log_id;
  Bytes token;  // empty: none
  VersionVector version_vector;
  uint64_t cursor = 0;
  uint32_t epoch = 0;
  uint32_t flags = kHelloPush | kHelloAccept;

  bool operator==(const Hello&) const = default;
};

// Sealed chunks in one message, each as its encoded chunk bytes.
struct ChunksMessage {
  uint64_t batch_id = 0;
  uint64_t seq = 0;
  std::vector<Bytes> chunks;

  bool operator==(const ChunksMessage&) const = default;
};

Bytes encode_hello(const Hello& hello);
// MALFORMED for a log id over kMaxLogIdBytes, a token over kMaxTokenBytes,
// an unsorted version vector or unknown flag bits.
Result<Hello> decode_hello(std::span<const uint8_t> bytes, const Limits& limits = {});

Bytes encode_chunks(const ChunksMessage& chunks);
// Checks the framing only (sizes add up, each chunk within the limits);
// each chunk is decoded and verified when it is stored.
Result<ChunksMessage> decode_chunks(std::span<const uint8_t> bytes, const Limits& limits = {});

// The body of an Error message: why a peer ended a session.
struct ErrorMessage {
  Error error;

  bool operator==(const ErrorMessage& o) const {
    return error.code == o.error.code && error.message == o.error.message;
  }
};

// `error.code` must not be OK; the message is cut to kMaxErrorMessageBytes.
Bytes encode_error(const Error& error);
// MALFORMED for OK or an unknown code, or a message over the bound.
Result<ErrorMessage> decode_error(std::span<const uint8_t> bytes, const Limits& limits = {});

// The seal record of encoded chunk bytes (digest = BLAKE2b-256 of `bytes`).
SealRecord seal_record(const Chunk& chunk, std::span<const uint8_t> bytes);

}  // namespace weft
