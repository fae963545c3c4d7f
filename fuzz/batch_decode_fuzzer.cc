// libFuzzer target: decode_batch on arbitrary bytes, then what the decoder
// promises about what it accepts (docs/fuzzing.md).
#include <cstddef>
#include <cstdint>
#include <span>

#include "fuzz_support.hpp"
#include "weft/codec.hpp"
#include "weft/log.hpp"

namespace {

using weft::fuzz::check_decode_error;

// One logical batch has one byte form: its encoding decodes back to it, and
// encoding that again yields the same bytes.
void check_round_trip(const weft::Batch& batch) {
  const weft::Bytes once = weft::encode_batch(batch);
  auto again = weft::decode_batch(once);
  WEFT_FUZZ_CHECK_OK(again);
  WEFT_FUZZ_CHECK(again.value() == batch);
  WEFT_FUZZ_CHECK(weft::encode_batch(again.value()) == once);
}

// What passed the decoder is still hostile content; apply must account for
// every op or refuse the batch whole, and leave a log that verifies.
void check_apply(const weft::Batch& batch) {
  weft::LogOptions options;
  options.actor = weft::ActorId{};
  // Narrower than the decoder's tight limits, so apply's own whole-batch
  // refusals are reached too.
  options.limits.max_ops = 32;
  options.limits.max_payload_bytes = 32;
  options.limits.max_deps_per_op = 2;
  auto opened = weft::Log::open_memory(options);
  WEFT_FUZZ_CHECK_OK(opened);
  weft::Log& log = *opened.value();
  auto ack = log.apply(batch);
  if (!ack) {
    WEFT_FUZZ_CHECK(ack.error().code == weft::Code::kMalformed);
    WEFT_FUZZ_CHECK(log.cursor() == 0);
    return;
  }
  const weft::Ack& a = ack.value();
  WEFT_FUZZ_CHECK(a.batch_id == batch.batch_id && a.seq == batch.seq);
  if (batch.epoch != log.epoch()) {
    WEFT_FUZZ_CHECK(a.status == weft::Code::kPermissionDenied);
    WEFT_FUZZ_CHECK(a.applied.empty() && a.duplicates.empty() && a.rejected.empty());
    WEFT_FUZZ_CHECK(log.cursor() == 0);
    return;
  }
  WEFT_FUZZ_CHECK(a.status == weft::Code::kOk);
  WEFT_FUZZ_CHECK(a.applied.size() + a.duplicates.size() + a.rejected.size() == batch.ops.size());
  WEFT_FUZZ_CHECK(a.cursor == a.applied.size() && log.cursor() == a.cursor);
  WEFT_FUZZ_CHECK(log.version_vector().total() == log.cursor());
  if (batch.expected_cursor && *batch.expected_cursor != 0) WEFT_FUZZ_CHECK(a.applied.empty());
  for (const weft::Rejection& r : a.rejected) {
    WEFT_FUZZ_CHECK(r.code == weft::Code::kMalformed || r.code == weft::Code::kConflict ||
                    r.code == weft::Code::kMissingDependency ||
                    r.code == weft::Code::kCursorMismatch);
  }
  WEFT_FUZZ_CHECK_OK(log.verify());
  WEFT_FUZZ_CHECK_OK(log.digest());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> input(data, size);

  auto full = weft::decode_batch(input);
  weft::fuzz::check_misaligned(input, full,
                               [](std::span<const uint8_t> b) { return weft::decode_batch(b); });
  if (full) {
    check_round_trip(full.value());
  } else {
    check_decode_error(full.error());
  }

  // Only a narrower limit may refuse more; what it accepts is the same batch.
  auto tight = weft::decode_batch(input, weft::fuzz::tight_limits());
  if (tight) {
    WEFT_FUZZ_CHECK(full && full.value() == tight.value());
    check_apply(tight.value());
  } else {
    check_decode_error(tight.error());
  }
  return 0;
}
