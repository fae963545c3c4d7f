// Fixed-width little-endian writing into a caller's buffer (internal).
#pragma once

#include <cstdint>
#include <cstring>
#include <span>

namespace weft {

class ByteWriter {
 public:
  explicit ByteWriter(std::span<uint8_t> out) : out_(out) {}

  void bytes(std::span<const uint8_t> b) {
    std::memcpy(out_.data() + pos_, b.data(), b.size());
    pos_ += b.size();
  }
  void u32(uint32_t v) { le<4>(v); }
  void u64(uint64_t v) { le<8>(v); }
  size_t size() const { return pos_; }

 private:
  // A fixed count, so the loop unrolls into stores (op_hash runs it per op).
  template <size_t N>
  void le(uint64_t v) {
    uint8_t b[N];
    for (size_t i = 0; i < N; ++i) b[i] = static_cast<uint8_t>(v >> (8 * i));
    std::memcpy(out_.data() + pos_, b, N);
    pos_ += N;
  }

  std::span<uint8_t> out_;
  size_t pos_ = 0;
};

}  // namespace weft
