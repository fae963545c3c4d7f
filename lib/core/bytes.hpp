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
  void u32(uint32_t v) { le(v, 4); }
  void u64(uint64_t v) { le(v, 8); }
  size_t size() const { return pos_; }

 private:
  void le(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out_[pos_ + i] = static_cast<uint8_t>(v >> (8 * i));
    pos_ += n;
  }

  std::span<uint8_t> out_;
  size_t pos_ = 0;
};

}  // namespace weft
