#include <gtest/gtest.h>

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
