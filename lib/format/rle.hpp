// Run-length columns: (value, count) pairs, the value zigzag-LEB128 and the
// count LEB128 (>= 1). Internal to the format layer; tests use it to craft
// hostile messages.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "weft/status.hpp"

namespace weft::rle {

struct Run {
  int64_t value;
  uint64_t count;
};

// `Out` is any byte container with push_back (a std::vector, or the
// encoder's small inline buffers).
template <typename Out>
void put_varint(Out& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<uint8_t>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<uint8_t>(v));
}

template <typename Out>
void put_run(Out& out, int64_t value, uint64_t count) {
  const auto u = static_cast<uint64_t>(value);
  put_varint(out, (u << 1) ^ (value < 0 ? UINT64_MAX : 0));
  put_varint(out, count);
}

inline std::vector<uint8_t> encode(std::span<const Run> runs) {
  std::vector<uint8_t> out;
  for (const Run& r : runs) put_run(out, r.value, r.count);
  return out;
}

// Parses a whole column into `runs` (any container of Run with reserve and
// push_back, emptied first). A truncated or over-long varint, or a zero
// count, is MALFORMED naming the column (`name` followed by `leaf`, joined
// only for the message) and the byte offset. `expected_runs` bounds what is
// reserved up front (a column of n values has at most n runs), so hostile
// bytes cannot make it reserve more than a valid column could use.
template <typename Out>
Status parse_into(std::span<const uint8_t> bytes, std::string_view name, std::string_view leaf,
                  size_t expected_runs, Out& runs) {
  auto error = [&](const char* what, size_t at) {
    std::string message(name);
    message += leaf;
    return make_error(Code::kMalformed, message + what + std::to_string(at));
  };
  runs.clear();
  // A run takes at least two bytes.
  runs.reserve(std::min(bytes.size() / 2, expected_runs));
  size_t at = 0;
  auto varint = [&](uint64_t& v) -> bool {
    v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (at >= bytes.size()) return false;
      uint8_t b = bytes[at++];
      if (shift == 63 && b > 1) return false;  // past 64 bits
      v |= uint64_t{b & 0x7fu} << shift;
      if ((b & 0x80) == 0) return true;
    }
    return false;
  };
  while (at < bytes.size()) {
    const size_t start = at;
    uint64_t zz = 0, count = 0;
    if (!varint(zz) || !varint(count)) return error(": bad varint at byte ", start);
    if (count == 0) return error(": run count 0 at byte ", start);
    runs.push_back({static_cast<int64_t>((zz >> 1) ^ (0 - (zz & 1))), count});
  }
  return Status::ok();
}

inline Result<std::vector<Run>> parse(std::span<const uint8_t> bytes, std::string_view name,
                                      std::string_view leaf = {},
                                      size_t expected_runs = 1024) {
  std::vector<Run> runs;
  WEFT_TRY(parse_into(bytes, name, leaf, expected_runs, runs));
  return runs;
}

}  // namespace weft::rle
