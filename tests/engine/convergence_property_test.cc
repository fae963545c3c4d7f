// Property: random causal DAGs from 3 to 5 actors, delivered to three
// replicas in random orders and batches, with duplicates, reordering and
// wire round trips, end with equal digests, canonical orders and version
// vectors. WEFT_PROPERTY_SEEDS sets the number of seeds (default 1000);
// WEFT_PROPERTY_FIRST_SEED reproduces a failure from its seed.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <random>

#include "test_util.hpp"

namespace weft {
namespace {

uint64_t env_or(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  return v ? std::strtoull(v, nullptr, 10) : fallback;
}

struct World {
  std::vector<std::unique_ptr<Log>> writers;
  std::vector<Op> ops;  // every op, in a topological order
};

World make_dag(std::mt19937_64& rng) {
  World w;
  const int actors = 3 + static_cast<int>(rng() % 3);
  for (int i = 0; i < actors; ++i) w.writers.push_back(testing::memory_log(static_cast<uint8_t>(i + 1)));
  const int steps = 10 + static_cast<int>(rng() % 40);
  for (int s = 0; s < steps; ++s) {
    Log& writer = *w.writers[rng() % actors];
    if (rng() % 3 == 0) {
      Log& source = *w.writers[rng() % actors];
      if (&source != &writer) {
        EXPECT_TRUE(writer.merge_from(source).is_ok());
      }
    }
    std::string payload(rng() % 24, static_cast<char>('a' + rng() % 26));
    AppendRequest r;
    r.payload = std::span(reinterpret_cast<const uint8_t*>(payload.data()), payload.size());
    r.kind = static_cast<uint32_t>(rng() % 4);
    r.timestamp_ms = static_cast<int64_t>(rng() % 100000);
    EXPECT_TRUE(writer.append(r).is_ok());
  }
  auto oracle = testing::memory_log(200);
  for (auto& wr : w.writers) EXPECT_TRUE(oracle->merge_from(*wr).is_ok());
  w.ops = testing::all_ops(*oracle).ops;
  return w;
}

// Delivers every op to `replica` in random batches until nothing is missing.
void deliver(std::mt19937_64& rng, const std::vector<Op>& ops, Log& replica, uint64_t seed) {
  for (int round = 0; round < 200; ++round) {
    VersionVector have = replica.version_vector();
    std::vector<Op> pending;
    for (const Op& op : ops) {
      if (!have.contains(op.id) || rng() % 8 == 0) pending.push_back(op);  // some duplicates
    }
    if (std::none_of(pending.begin(), pending.end(), [&](const Op& op) { return !have.contains(op.id); })) {
      return;
    }
    std::shuffle(pending.begin(), pending.end(), rng);
    size_t at = 0;
    while (at < pending.size()) {
      size_t n = 1 + rng() % 8;
      Batch b;
      for (size_t k = 0; k < n && at < pending.size(); ++k) b.ops.push_back(pending[at++]);
      if (rng() % 4 == 0) b.ops.push_back(b.ops[rng() % b.ops.size()]);  // in-batch duplicate
      if (rng() % 2 == 0) {
        auto decoded = decode_batch(encode_batch(b));
        if (!decoded.is_ok()) {
          // Random order may put a dependency after its dependent: the decoder
          // refuses such a batch as a whole, which is fine; deliver it raw.
          ASSERT_EQ(decoded.code(), Code::kMalformed) << "seed " << seed;
        } else {
          b = std::move(decoded.value());
        }
      }
      const uint64_t before = replica.cursor();
      auto ack = replica.apply(b);
      ASSERT_TRUE(ack.is_ok()) << "seed " << seed << ": " << ack.error().to_string();
      ASSERT_EQ(ack->applied.size() + ack->duplicates.size() + ack->rejected.size(), b.ops.size())
          << "seed " << seed;
      ASSERT_EQ(ack->cursor, before + ack->applied.size()) << "seed " << seed;
      for (const auto& r : ack->rejected) {
        // Honest ops are only ever early, never wrong.
        ASSERT_EQ(r.code, Code::kMissingDependency) << "seed " << seed << " " << r.id.to_string();
      }
    }
  }
  FAIL() << "seed " << seed << ": delivery did not converge in 200 rounds";
}

TEST(ConvergenceProperty, RandomDagsRandomDeliveryConverge) {
  const uint64_t seeds = env_or("WEFT_PROPERTY_SEEDS", 1000);
  const uint64_t first = env_or("WEFT_PROPERTY_FIRST_SEED", 1);
  for (uint64_t seed = first; seed < first + seeds; ++seed) {
    std::mt19937_64 rng(seed);
    World w = make_dag(rng);
    auto oracle = testing::memory_log(201);
    ASSERT_EQ(oracle->apply(Batch{0, 0, {}, 0, w.ops})->applied.size(), w.ops.size());
    const Hash digest = oracle->digest().value();
    const auto order = oracle->canonical_order().value();
    for (int r = 0; r < 3; ++r) {
      auto replica = testing::memory_log(static_cast<uint8_t>(100 + r));
      deliver(rng, w.ops, *replica, seed);
      if (::testing::Test::HasFatalFailure()) return;
      ASSERT_EQ(replica->digest().value(), digest) << "seed " << seed << " replica " << r;
      ASSERT_EQ(replica->canonical_order().value(), order) << "seed " << seed;
      ASSERT_EQ(replica->version_vector(), oracle->version_vector()) << "seed " << seed;
      ASSERT_EQ(replica->cursor(), w.ops.size()) << "seed " << seed;
      ASSERT_TRUE(replica->verify().is_ok()) << "seed " << seed;
    }
    // Merge between writers is commutative: everyone ends equal to the oracle.
    for (auto& x : w.writers) {
      for (auto& y : w.writers) ASSERT_TRUE(x->merge_from(*y).is_ok());
    }
    for (auto& x : w.writers) {
      for (auto& y : w.writers) ASSERT_TRUE(x->merge_from(*y).is_ok());
      ASSERT_EQ(x->digest().value(), digest) << "seed " << seed;
    }
  }
}

}  // namespace
}  // namespace weft
