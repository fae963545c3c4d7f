// libFuzzer target: the sync layer's decoders on arbitrary bytes
// (message_kind, decode_hello, decode_chunks, decode_error,
// decode_version_vector), then what each promises about what it accepts,
// and that message_kind names exactly the decoder that can accept the bytes
// (docs/fuzzing.md).
#include <cstddef>
#include <cstdint>
#include <span>

#include "fuzz_support.hpp"
#include "weft/codec.hpp"

namespace {

using weft::Code;
using weft::Limits;
using weft::MessageKind;
using weft::fuzz::check_decode_error;

// The decoders' semantic promises, restated on their output.
void check_shape(const weft::Hello& h) {
  WEFT_FUZZ_CHECK(h.log_id.size() <= weft::kMaxLogIdBytes);
  WEFT_FUZZ_CHECK(h.token.size() <= weft::kMaxTokenBytes);
  WEFT_FUZZ_CHECK((h.flags & ~(weft::kHelloPush | weft::kHelloAccept)) == 0);
}

void check_shape(const weft::VersionVector& vv) {
  const auto& e = vv.entries();
  for (size_t i = 0; i < e.size(); ++i) {
    WEFT_FUZZ_CHECK(e[i].second >= 1);
    if (i > 0) WEFT_FUZZ_CHECK(e[i - 1].first < e[i].first);
  }
}

void check_shape(const weft::ChunksMessage& m, const Limits& limits) {
  WEFT_FUZZ_CHECK(!m.chunks.empty() && m.chunks.size() <= limits.max_ops);
  for (const weft::Bytes& c : m.chunks) WEFT_FUZZ_CHECK(c.size() >= 8);
}

void check_shape(const weft::ErrorMessage& m) {
  WEFT_FUZZ_CHECK(m.error.code != Code::kOk);
  WEFT_FUZZ_CHECK(static_cast<uint32_t>(m.error.code) < weft::kCodeCount);
  WEFT_FUZZ_CHECK(m.error.message.size() <= weft::kMaxErrorMessageBytes);
}

// A decoded value's encoding decodes back to it, and encoding that again
// yields the same bytes: the encoder's output is a fixed point. The input
// itself need not be that form: FlatBuffers lays one value out in many ways
// (field order, padding, shared or unused bytes) and these decoders, unlike
// decode_chunk, do not insist on the canonical one, so encode(decode(b)) == b
// holds only for bytes the encoder wrote.
template <typename T, typename Encode, typename Decode>
void check_round_trip(const T& value, Encode encode, Decode decode) {
  const weft::Bytes once = encode(value);
  auto again = decode(std::span<const uint8_t>(once));
  WEFT_FUZZ_CHECK_OK(again);
  WEFT_FUZZ_CHECK(again.value() == value);
  WEFT_FUZZ_CHECK(encode(again.value()) == once);
}

// message_kind and a decoder of kind `mine` agree: when message_kind refuses
// the bytes every decoder refuses them with the same code; bytes of another
// kind are MALFORMED; bytes of this kind fail, if at all, only on their
// content (MALFORMED), never on the framing.
template <typename T>
void check_agrees(const weft::Result<MessageKind>& kind, MessageKind mine,
                  const weft::Result<T>& decoded) {
  if (!kind) {
    WEFT_FUZZ_CHECK(!decoded && decoded.code() == kind.code());
  } else if (kind.value() != mine) {
    WEFT_FUZZ_CHECK(!decoded && decoded.code() == Code::kMalformed);
  } else if (!decoded) {
    WEFT_FUZZ_CHECK(decoded.code() == Code::kMalformed);
  }
}

// One decoder under the default and the tight limits: errors, alignment,
// round trip, agreement with message_kind, and only a narrower limit
// refusing more.
template <typename T, typename Decode, typename Check>
void check_decoder(std::span<const uint8_t> input, MessageKind mine,
                   const weft::Result<MessageKind>& kind_full,
                   const weft::Result<MessageKind>& kind_tight, Decode decode, Check check) {
  const Limits tight_limits = weft::fuzz::tight_limits();
  auto full = decode(input, Limits{});
  weft::fuzz::check_misaligned(input, full,
                               [&](std::span<const uint8_t> b) { return decode(b, Limits{}); });
  check_agrees(kind_full, mine, full);
  if (full) {
    check(full.value(), Limits{});
  } else {
    check_decode_error(full.error());
  }
  auto tight = decode(input, tight_limits);
  weft::fuzz::check_misaligned(input, tight,
                               [&](std::span<const uint8_t> b) { return decode(b, tight_limits); });
  check_agrees(kind_tight, mine, tight);
  if (tight) {
    WEFT_FUZZ_CHECK(full && full.value() == tight.value());
    check(tight.value(), tight_limits);
  } else {
    check_decode_error(tight.error());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> input(data, size);
  const Limits tight_limits = weft::fuzz::tight_limits();

  auto kind_full = weft::message_kind(input);
  weft::fuzz::check_misaligned(input, kind_full,
                               [](std::span<const uint8_t> b) { return weft::message_kind(b); });
  auto kind_tight = weft::message_kind(input, tight_limits);
  weft::fuzz::check_misaligned(input, kind_tight, [&](std::span<const uint8_t> b) {
    return weft::message_kind(b, tight_limits);
  });
  if (!kind_full) check_decode_error(kind_full.error());
  if (!kind_tight) check_decode_error(kind_tight.error());
  // The tight limits differ from the default ones in size only, for framing.
  if (kind_tight) WEFT_FUZZ_CHECK(kind_full && kind_full.value() == kind_tight.value());
  if (kind_full && size <= tight_limits.max_message_bytes) WEFT_FUZZ_CHECK(kind_tight.is_ok());
  if (kind_full) {
    const auto k = static_cast<uint32_t>(kind_full.value());
    WEFT_FUZZ_CHECK(k >= static_cast<uint32_t>(MessageKind::kBatch) &&
                    k <= static_cast<uint32_t>(MessageKind::kError));
  }

  check_decoder<weft::Hello>(
      input, MessageKind::kHello, kind_full, kind_tight,
      [](std::span<const uint8_t> b, const Limits& l) { return weft::decode_hello(b, l); },
      [](const weft::Hello& h, const Limits&) {
        check_shape(h);
        check_shape(h.version_vector);
        check_round_trip(h, weft::encode_hello,
                         [](std::span<const uint8_t> b) { return weft::decode_hello(b); });
      });
  check_decoder<weft::ChunksMessage>(
      input, MessageKind::kChunks, kind_full, kind_tight,
      [](std::span<const uint8_t> b, const Limits& l) { return weft::decode_chunks(b, l); },
      [](const weft::ChunksMessage& m, const Limits& l) {
        check_shape(m, l);
        check_round_trip(m, weft::encode_chunks,
                         [](std::span<const uint8_t> b) { return weft::decode_chunks(b); });
      });
  check_decoder<weft::ErrorMessage>(
      input, MessageKind::kError, kind_full, kind_tight,
      [](std::span<const uint8_t> b, const Limits& l) { return weft::decode_error(b, l); },
      [](const weft::ErrorMessage& m, const Limits&) {
        check_shape(m);
        check_round_trip(
            m, [](const weft::ErrorMessage& e) { return weft::encode_error(e.error); },
            [](std::span<const uint8_t> b) { return weft::decode_error(b); });
      });
  check_decoder<weft::VersionVector>(
      input, MessageKind::kVersionVector, kind_full, kind_tight,
      [](std::span<const uint8_t> b, const Limits& l) { return weft::decode_version_vector(b, l); },
      [](const weft::VersionVector& vv, const Limits& l) {
        check_shape(vv);
        WEFT_FUZZ_CHECK(vv.size() * 24 <= l.max_message_bytes);
        check_round_trip(vv, weft::encode_version_vector, [](std::span<const uint8_t> b) {
          return weft::decode_version_vector(b);
        });
      });

  // The other decoders agree with message_kind too. Their own targets check
  // them in depth; here only under the tight limits, which keep a hostile
  // op or id count from costing megabytes per input.
  check_agrees(kind_tight, MessageKind::kBatch, weft::decode_batch(input, tight_limits));
  check_agrees(kind_tight, MessageKind::kAck, weft::decode_ack(input, tight_limits));
  check_agrees(kind_tight, MessageKind::kChunk, weft::decode_chunk(input, tight_limits));
  return 0;
}
