// Helpers shared by the fuzz targets. A broken invariant must end the
// process: libFuzzer keeps the input only when the target crashes, and the
// corpus replay test fails only on a non-zero exit.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <vector>

#include "weft/codec.hpp"
#include "weft/status.hpp"
#include "weft_generated.h"

#define WEFT_FUZZ_CHECK(cond)                                              \
  do {                                                                     \
    if (!(cond)) ::weft::fuzz::fail(#cond, __FILE__, __LINE__, nullptr);   \
  } while (0)

// Same, with the library's error message for context.
#define WEFT_FUZZ_CHECK_OK(result)                                                     \
  do {                                                                                 \
    const auto& weft_fuzz_r_ = (result);                                               \
    if (!weft_fuzz_r_.is_ok()) {                                                       \
      ::weft::fuzz::fail(#result " is ok", __FILE__, __LINE__,                         \
                         weft_fuzz_r_.error().to_string().c_str());                    \
    }                                                                                  \
  } while (0)

namespace weft::fuzz {

[[noreturn]] inline void fail(const char* what, const char* file, int line, const char* detail) {
  std::fprintf(stderr, "%s:%d: fuzz invariant broken: %s%s%s\n", file, line, what,
               detail ? ": " : "", detail ? detail : "");
  std::abort();
}

// Decoders promise exactly these two codes, always with a message.
inline void check_decode_error(const Error& e) {
  WEFT_FUZZ_CHECK(e.code == Code::kMalformed || e.code == Code::kUnsupportedVersion);
  WEFT_FUZZ_CHECK(!e.message.empty());
}

// Tight limits reach the limit checks with inputs of a few hundred bytes
// (libFuzzer's inputs stay under 4096 bytes unless told otherwise).
inline Limits tight_limits() {
  Limits l;
  l.max_message_bytes = 2048;
  l.max_ops = 64;
  l.max_payload_bytes = 64;
  l.max_deps_per_op = 4;
  l.max_actors = 8;
  return l;
}

// A copy of `bytes` starting one byte past an 8-byte boundary, so decoders
// take their aligning path (libFuzzer's and the replay's buffers are aligned).
class Misaligned {
 public:
  explicit Misaligned(std::span<const uint8_t> bytes) : store_(bytes.size() / 8 + 2) {
    auto* base = reinterpret_cast<uint8_t*>(store_.data()) + 1;
    if (!bytes.empty()) std::memcpy(base, bytes.data(), bytes.size());
    view_ = std::span<const uint8_t>(base, bytes.size());
  }
  std::span<const uint8_t> bytes() const { return view_; }

 private:
  std::vector<uint64_t> store_;
  std::span<const uint8_t> view_;
};

// Two decodes of the same bytes must agree exactly, value or error.
template <typename T>
bool same_outcome(const Result<T>& a, const Result<T>& b) {
  if (a.is_ok() != b.is_ok()) return false;
  if (a.is_ok()) return a.value() == b.value();
  return a.error().code == b.error().code && a.error().message == b.error().message;
}

// The same bytes at an unaligned address go through the decoders' copying
// path, which must not change the outcome.
template <typename T, typename Decode>
void check_misaligned(std::span<const uint8_t> input, const Result<T>& aligned, Decode decode) {
  const Misaligned shifted(input);
  WEFT_FUZZ_CHECK(same_outcome(aligned, decode(shifted.bytes())));
}

}  // namespace weft::fuzz
