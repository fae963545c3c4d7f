// libFuzzer target: decode_ack on arbitrary bytes, then what the decoder
// promises about what it accepts (docs/fuzzing.md).
#include <cstddef>
#include <cstdint>
#include <span>

#include "fuzz_support.hpp"
#include "weft/codec.hpp"

namespace {

using weft::fuzz::check_decode_error;

// The decoder's semantic promises, restated on its output.
void check_shape(const weft::Ack& ack) {
  WEFT_FUZZ_CHECK(static_cast<uint32_t>(ack.status) < weft::kCodeCount);
  if (ack.status != weft::Code::kOk) {
    WEFT_FUZZ_CHECK(ack.applied.empty() && ack.duplicates.empty() && ack.rejected.empty());
  }
  for (const weft::Rejection& r : ack.rejected) {
    WEFT_FUZZ_CHECK(r.code != weft::Code::kOk);
    WEFT_FUZZ_CHECK(static_cast<uint32_t>(r.code) < weft::kCodeCount);
  }
  for (const weft::OpId& id : ack.applied) WEFT_FUZZ_CHECK(id.counter >= 1);
  for (const weft::OpId& id : ack.duplicates) WEFT_FUZZ_CHECK(id.counter >= 1);
  for (const weft::Rejection& r : ack.rejected) WEFT_FUZZ_CHECK(r.id.counter >= 1);
}

// One logical ack has one byte form: its encoding decodes back to it, and
// encoding that again yields the same bytes.
void check_round_trip(const weft::Ack& ack) {
  const weft::Bytes once = weft::encode_ack(ack);
  auto again = weft::decode_ack(once);
  WEFT_FUZZ_CHECK_OK(again);
  WEFT_FUZZ_CHECK(again.value() == ack);
  WEFT_FUZZ_CHECK(weft::encode_ack(again.value()) == once);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> input(data, size);

  // A few run-length bytes can name the default limit's million ids, 24 MB
  // of OpIds built for one input: the target spent most of its time there
  // (~800 runs/s). The limit check is the same code at any limit, so the
  // target decodes under a limit of 65,536 ids (tight_limits() below and
  // the unit tests reach the refusal); past it an ack is refused MALFORMED
  // like any other.
  weft::Limits fuzz_limits;
  fuzz_limits.max_ops = 1u << 16;
  auto full = weft::decode_ack(input, fuzz_limits);
  // Acks of up to 4,096 ids get every check (unaligned, re-encoded); bigger
  // ones the shape check, which walks them all.
  const size_t ids = full ? full->applied.size() + full->duplicates.size() + full->rejected.size()
                          : 0;
  if (ids <= 4096) {
    weft::fuzz::check_misaligned(input, full, [&](std::span<const uint8_t> b) {
      return weft::decode_ack(b, fuzz_limits);
    });
  }
  if (full) {
    check_shape(full.value());
    if (ids <= 4096) check_round_trip(full.value());
  } else {
    check_decode_error(full.error());
  }

  // Only a narrower limit may refuse more; what it accepts is the same ack.
  auto tight = weft::decode_ack(input, weft::fuzz::tight_limits());
  if (tight) {
    WEFT_FUZZ_CHECK(full && full.value() == tight.value());
  } else {
    check_decode_error(tight.error());
  }
  return 0;
}
