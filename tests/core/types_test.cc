#include <gtest/gtest.h>

#include <set>

#include <algorithm>

#include "test_util.hpp"

namespace weft {
namespace {

using testing::actor;
using testing::make_op;

TEST(ActorId, HexRoundTripAndErrors) {
  ActorId a = actor(3);
  auto back = ActorId::from_hex(a.hex());
  ASSERT_TRUE(back.is_ok());
  EXPECT_EQ(back.value(), a);
  EXPECT_EQ(ActorId::from_hex("abc").code(), Code::kInvalidArgument);
  EXPECT_EQ(ActorId::from_hex(std::string(32, 'g')).code(), Code::kInvalidArgument);
  EXPECT_NE(ActorId::random(), ActorId::random());
}

// Actor ids order as their bytes do (the wire format and every sorted list
// rely on it); the comparison reads them as two words.
// Ids a hostile peer chose to share their first 12 bytes still spread over
// a hash table's buckets: the hash reads all 16 bytes, under a key.
TEST(ActorId, HashUsesEveryByte) {
  std::set<size_t> seen;
  for (uint32_t i = 0; i < 4096; ++i) {
    ActorId a;
    a.bytes.fill(0x5a);
    a.bytes[12] = static_cast<uint8_t>(i >> 24);
    a.bytes[13] = static_cast<uint8_t>(i >> 16);
    a.bytes[14] = static_cast<uint8_t>(i >> 8);
    a.bytes[15] = static_cast<uint8_t>(i);
    seen.insert(ActorIdHash{}(a));
  }
  EXPECT_EQ(seen.size(), 4096u);
  ActorId z;
  EXPECT_EQ(ActorIdHash{}(z), ActorIdHash{}(z));
}

TEST(ActorId, OrdersAsItsBytes) {
  std::vector<ActorId> ids;
  for (int i = 0; i < 64; ++i) ids.push_back(ActorId::random());
  // Ids that differ in one byte only, in each position, high bit and low.
  for (size_t at = 0; at < kActorIdSize; ++at) {
    for (uint8_t v : {uint8_t{0x00}, uint8_t{0x01}, uint8_t{0x7f}, uint8_t{0x80}, uint8_t{0xff}}) {
      ActorId a = actor(0x42);
      a.bytes[at] = v;
      ids.push_back(a);
    }
  }
  ids.push_back(ids.front());  // and one equal pair
  for (const ActorId& a : ids) {
    for (const ActorId& b : ids) {
      const bool less = std::lexicographical_compare(a.bytes.begin(), a.bytes.end(),
                                                     b.bytes.begin(), b.bytes.end());
      ASSERT_EQ(a < b, less) << a.hex() << " < " << b.hex();
      ASSERT_EQ(a == b, a.bytes == b.bytes) << a.hex() << " == " << b.hex();
      ASSERT_EQ(a > b, !less && a.bytes != b.bytes) << a.hex() << " > " << b.hex();
    }
  }
}

TEST(NormalizeDeps, KeepsHighestPerForeignActorSorted) {
  OpId self{actor(5), 3};
  auto d = normalize_deps(self, {{actor(9), 2}, {actor(1), 4}, {actor(9), 7}, {actor(5), 1},
                                 {actor(1), 4}});
  ASSERT_TRUE(d.is_ok());
  std::vector<OpId> want{{actor(1), 4}, {actor(9), 7}};
  EXPECT_EQ(d.value(), want);
  EXPECT_TRUE(deps_canonical(self, d.value()));
}

TEST(NormalizeDeps, RefusesSelfDependencyCyclesAndZeroCounters) {
  OpId self{actor(5), 3};
  EXPECT_EQ(normalize_deps(self, {{actor(5), 3}}).code(), Code::kMalformed);
  EXPECT_EQ(normalize_deps(self, {{actor(5), 9}}).code(), Code::kMalformed);
  EXPECT_EQ(normalize_deps(self, {{actor(2), 0}}).code(), Code::kMalformed);
}

TEST(DepsCanonical, DetectsEveryNonCanonicalForm) {
  OpId self{actor(5), 3};
  std::vector<OpId> unsorted{{actor(9), 1}, {actor(1), 1}};
  std::vector<OpId> twice{{actor(1), 1}, {actor(1), 2}};
  std::vector<OpId> own{{actor(5), 1}};
  std::vector<OpId> zero{{actor(1), 0}};
  EXPECT_FALSE(deps_canonical(self, unsorted));
  EXPECT_FALSE(deps_canonical(self, twice));
  EXPECT_FALSE(deps_canonical(self, own));
  EXPECT_FALSE(deps_canonical(self, zero));
  EXPECT_TRUE(deps_canonical(self, {}));
}

TEST(OpHash, DeterministicAndCoversEveryContentField) {
  Op base = make_op(actor(1), 2, 5, "hello", {{actor(2), 4}}, 7, 123);
  const Hash h = op_hash(base);
  EXPECT_EQ(op_hash(base), h);
  auto differs = [&](auto mutate) {
    Op o = base;
    mutate(o);
    return op_hash(o) != h;
  };
  EXPECT_TRUE(differs([](Op& o) { o.id.actor = actor(3); }));
  EXPECT_TRUE(differs([](Op& o) { o.id.counter = 3; }));
  EXPECT_TRUE(differs([](Op& o) { o.lamport = 6; }));
  EXPECT_TRUE(differs([](Op& o) { o.kind = 8; }));
  EXPECT_TRUE(differs([](Op& o) { o.timestamp_ms = 124; }));
  EXPECT_TRUE(differs([](Op& o) { o.payload.push_back('!'); }));
  EXPECT_TRUE(differs([](Op& o) { o.deps[0].counter = 3; }));
  EXPECT_TRUE(differs([](Op& o) { o.deps.clear(); }));
  // Payload and dependency boundaries cannot be shifted into each other.
  Op a = make_op(actor(1), 1, 1, "ab");
  Op b = make_op(actor(1), 1, 1, "a");
  EXPECT_NE(op_hash(a), op_hash(b));
}

TEST(VersionVector, SetAdvanceAndContains) {
  VersionVector vv;
  EXPECT_EQ(vv.get(actor(1)), 0u);
  vv.set(actor(2), 5);
  vv.set(actor(1), 3);
  vv.advance(actor(1), 2);
  vv.advance(actor(3), 4);
  EXPECT_EQ(vv.get(actor(1)), 3u);
  EXPECT_EQ(vv.total(), 12u);
  ASSERT_EQ(vv.size(), 3u);
  EXPECT_LT(vv.entries()[0].first, vv.entries()[1].first);
  EXPECT_TRUE(vv.contains({actor(2), 5}));
  EXPECT_FALSE(vv.contains({actor(2), 6}));
  EXPECT_FALSE(vv.contains({actor(2), 0}));
  vv.set(actor(2), 0);
  EXPECT_EQ(vv.size(), 2u);
}

}  // namespace
}  // namespace weft
