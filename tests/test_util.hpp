// Shared helpers for weft's C++ tests.
#pragma once

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "weft/codec.hpp"
#include "weft/log.hpp"
#include "weft/types.hpp"

namespace weft::testing {

// A deterministic actor id: byte 0 = n, the rest a fixed pattern.
inline ActorId actor(uint8_t n) {
  ActorId a;
  for (size_t i = 0; i < a.bytes.size(); ++i) a.bytes[i] = static_cast<uint8_t>(n + 17 * i);
  a.bytes[0] = n;
  return a;
}

// Writer `k` of many whose ids share their first 12 bytes (`fill`), as a
// peer choosing its ids may make them.
inline ActorId nth_writer(uint8_t fill, uint32_t k) {
  ActorId w;
  w.bytes.fill(fill);
  for (int i = 0; i < 4; ++i) w.bytes[12 + i] = static_cast<uint8_t>(k >> (8 * (3 - i)));
  return w;
}

inline std::vector<uint8_t> bytes(std::string_view s) { return {s.begin(), s.end()}; }

// Builds a well-formed op; lamport must be supplied by the caller.
inline Op make_op(const ActorId& a, uint64_t counter, uint64_t lamport, std::string_view payload,
                  std::vector<OpId> deps = {}, uint32_t kind = 0, int64_t ts = 0) {
  Op op;
  op.id = OpId{a, counter};
  op.deps = std::move(deps);
  op.lamport = lamport;
  op.kind = kind;
  op.timestamp_ms = ts;
  op.payload = bytes(payload);
  return op;
}

inline std::unique_ptr<Log> memory_log(uint8_t who) {
  LogOptions o;
  o.actor = actor(who);
  auto log = Log::open_memory(o);
  EXPECT_TRUE(log.is_ok());
  return std::move(log.value());
}

// Appends `n` ops with payload "<prefix><i>" and a fixed timestamp.
inline std::vector<OpId> append_n(Log& log, int n, const std::string& prefix = "op") {
  std::vector<OpId> ids;
  for (int i = 0; i < n; ++i) {
    std::string p = prefix + std::to_string(i);
    AppendRequest r;
    r.payload = std::span(reinterpret_cast<const uint8_t*>(p.data()), p.size());
    r.timestamp_ms = 1000 + i;
    auto id = log.append(r);
    EXPECT_TRUE(id.is_ok()) << id.error().to_string();
    ids.push_back(id.value());
  }
  return ids;
}

// Every op of `log` in cursor order, as one batch.
inline Batch all_ops(Log& log) {
  Batch b;
  auto ops = log.read(1, SIZE_MAX);
  EXPECT_TRUE(ops.is_ok());
  for (auto& s : ops.value()) b.ops.push_back(std::move(s.op));
  return b;
}

inline size_t count(const std::vector<Rejection>& r, Code c) {
  size_t n = 0;
  for (const auto& x : r) n += x.code == c;
  return n;
}

}  // namespace weft::testing
