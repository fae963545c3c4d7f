// libFuzzer target: decode_chunk on arbitrary bytes, then the chunk through
// a fresh log's put_chunk and verify (docs/fuzzing.md).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "fuzz_support.hpp"
#include "weft/codec.hpp"
#include "weft/log.hpp"
#include "weft/store.hpp"

namespace {

using weft::fuzz::check_decode_error;

std::unique_ptr<weft::Log> fresh_log() {
  weft::LogOptions options;
  options.actor = weft::ActorId{};
  auto log = weft::Log::open_memory(options);
  WEFT_FUZZ_CHECK_OK(log);
  return std::move(log.value());
}

// A fresh log holds no chunk and no op, so only these refusals are possible:
// index or first counter past the start, a non-zero previous digest, a
// foreign dependency, or a lamport that the apply rules recompute otherwise.
bool fresh_log_may_refuse(weft::Code code) {
  return code == weft::Code::kNotContiguous || code == weft::Code::kChecksumMismatch ||
         code == weft::Code::kMissingDependency || code == weft::Code::kMalformed;
}

void check_put(const weft::Chunk& chunk, std::span<const uint8_t> bytes,
               const weft::SealRecord& record) {
  auto log = fresh_log();
  auto put = log->put_chunk(bytes);
  if (!put) {
    WEFT_FUZZ_CHECK(fresh_log_may_refuse(put.error().code));
    WEFT_FUZZ_CHECK(!put.error().message.empty());
    WEFT_FUZZ_CHECK(log->cursor() == 0);
    WEFT_FUZZ_CHECK_OK(log->verify());
    return;
  }
  WEFT_FUZZ_CHECK(put.value() == record);
  WEFT_FUZZ_CHECK(log->cursor() == chunk.ops.size());
  auto report = log->verify();
  WEFT_FUZZ_CHECK_OK(report);
  WEFT_FUZZ_CHECK(report.value().ops == chunk.ops.size() && report.value().chunks == 1);

  // Same bytes again are an idempotent success.
  auto again = log->put_chunk(bytes, record.digest);
  WEFT_FUZZ_CHECK_OK(again);
  WEFT_FUZZ_CHECK(again.value() == record && log->cursor() == chunk.ops.size());
  weft::Hash wrong = record.digest;
  wrong[0] ^= 1;
  WEFT_FUZZ_CHECK(log->put_chunk(bytes, wrong).code() == weft::Code::kChecksumMismatch);
  auto stored = log->get_chunk(chunk.actor, chunk.index);
  WEFT_FUZZ_CHECK_OK(stored);
  WEFT_FUZZ_CHECK(stored.value().seal == record);
  WEFT_FUZZ_CHECK(std::equal(bytes.begin(), bytes.end(), stored.value().bytes.begin(),
                             stored.value().bytes.end()));
  auto seals = log->seals(chunk.actor);
  WEFT_FUZZ_CHECK_OK(seals);
  WEFT_FUZZ_CHECK(seals.value() == std::vector<weft::SealRecord>{record});

  // Other content for a sealed index is refused, and changes nothing.
  weft::Chunk forged = chunk;
  forged.ops.back().kind ^= 1;
  auto forged_bytes = weft::encode_chunk(forged);
  WEFT_FUZZ_CHECK_OK(forged_bytes);
  WEFT_FUZZ_CHECK(log->put_chunk(forged_bytes.value()).code() ==
                  weft::Code::kImmutableViolation);
  WEFT_FUZZ_CHECK(log->cursor() == chunk.ops.size());

  // A replica that receives the same ops as a batch seals the same bytes.
  auto other = fresh_log();
  weft::Batch batch;
  batch.ops = chunk.ops;
  auto ack = other->apply(batch);
  WEFT_FUZZ_CHECK_OK(ack);
  WEFT_FUZZ_CHECK(ack.value().applied.size() == chunk.ops.size());
  weft::ActorId stranger = chunk.actor;
  stranger.bytes[0] ^= 1;
  WEFT_FUZZ_CHECK(other->seal(stranger, 1).code() == weft::Code::kNotFound);
  WEFT_FUZZ_CHECK(other->seal(chunk.actor, chunk.last(), wrong).code() ==
                  weft::Code::kChecksumMismatch);
  auto sealed = other->seal(chunk.actor, chunk.last(), record.digest);
  WEFT_FUZZ_CHECK_OK(sealed);
  WEFT_FUZZ_CHECK(sealed.value() == record);
  // A retried seal (its response lost) answers the same record.
  auto retried = other->seal(chunk.actor, chunk.last(), record.digest);
  WEFT_FUZZ_CHECK_OK(retried);
  WEFT_FUZZ_CHECK(retried.value() == record);
  WEFT_FUZZ_CHECK(other->seal(chunk.actor, chunk.last(), wrong).code() ==
                  weft::Code::kChecksumMismatch);
  if (chunk.ops.size() > 1) {
    WEFT_FUZZ_CHECK(other->seal(chunk.actor, chunk.first()).code() ==
                    weft::Code::kInvalidArgument);
  }
  if (chunk.last() < UINT64_MAX) {
    WEFT_FUZZ_CHECK(other->seal(chunk.actor, chunk.last() + 1).code() == weft::Code::kNotFound);
  }
  auto d1 = log->digest();
  auto d2 = other->digest();
  WEFT_FUZZ_CHECK_OK(d1);
  WEFT_FUZZ_CHECK_OK(d2);
  WEFT_FUZZ_CHECK(d1.value() == d2.value());

  // Any flipped stored byte is found by verify. The input picks which.
  const size_t offset = (bytes.size() * 7 + bytes[bytes.size() / 2]) % bytes.size();
  const auto mask = static_cast<uint8_t>(bytes.back() | 1);
  WEFT_FUZZ_CHECK_OK(weft::memory_store_corrupt_chunk(log->store_for_testing(), chunk.actor,
                                                      chunk.index, offset, mask));
  WEFT_FUZZ_CHECK(log->verify().code() == weft::Code::kCorrupt);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> input(data, size);

  auto decoded = weft::decode_chunk(input);
  weft::fuzz::check_misaligned(input, decoded,
                               [](std::span<const uint8_t> b) { return weft::decode_chunk(b); });
  auto tight = weft::decode_chunk(input, weft::fuzz::tight_limits());
  if (tight) {
    WEFT_FUZZ_CHECK(decoded && decoded.value() == tight.value());
  } else {
    check_decode_error(tight.error());
  }
  if (!decoded) {
    check_decode_error(decoded.error());
    return 0;
  }
  const weft::Chunk& chunk = decoded.value();

  // A chunk is one actor's contiguous run, in its single canonical encoding.
  WEFT_FUZZ_CHECK(!chunk.ops.empty());
  for (size_t i = 0; i < chunk.ops.size(); ++i) {
    WEFT_FUZZ_CHECK(chunk.ops[i].id.actor == chunk.actor);
    WEFT_FUZZ_CHECK(chunk.ops[i].id.counter == chunk.first() + i);
  }
  auto encoded = weft::encode_chunk(chunk);
  WEFT_FUZZ_CHECK_OK(encoded);
  WEFT_FUZZ_CHECK(std::equal(input.begin(), input.end(), encoded.value().begin(),
                             encoded.value().end()));

  const weft::SealRecord record = weft::seal_record(chunk, input);
  WEFT_FUZZ_CHECK(record.digest == weft::blake2b_256(input));
  WEFT_FUZZ_CHECK(record.actor == chunk.actor && record.index == chunk.index);
  WEFT_FUZZ_CHECK(record.first == chunk.first() && record.last == chunk.last());
  WEFT_FUZZ_CHECK(record.prev_digest == chunk.prev_digest);

  check_put(chunk, input, record);
  return 0;
}
