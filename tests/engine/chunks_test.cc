// Chunk rules: seal, immutability, contiguity, checksums, hash chain, verify.
#include <gtest/gtest.h>

#include "test_util.hpp"

namespace weft {
namespace {

using testing::actor;
using testing::memory_log;

TEST(Chunks, SealBuildsAChainOfDigests) {
  auto log = memory_log(1);
  testing::append_n(*log, 10);
  auto c0 = log->seal(actor(1), 4);
  ASSERT_TRUE(c0.is_ok()) << c0.error().to_string();
  EXPECT_EQ(c0->index, 0u);
  EXPECT_EQ(c0->first, 1u);
  EXPECT_EQ(c0->last, 4u);
  EXPECT_EQ(c0->prev_digest, Hash{});
  auto c1 = log->seal(actor(1), 10);
  ASSERT_TRUE(c1.is_ok());
  EXPECT_EQ(c1->index, 1u);
  EXPECT_EQ(c1->first, 5u);
  EXPECT_EQ(c1->prev_digest, c0->digest);
  auto stored = log->get_chunk(actor(1), 1);
  ASSERT_TRUE(stored.is_ok());
  EXPECT_EQ(blake2b_256(stored->bytes), c1->digest);
  auto v = log->verify();
  ASSERT_TRUE(v.is_ok()) << v.error().to_string();
  EXPECT_EQ(v->chunks, 2u);
  EXPECT_EQ(v->ops, 10u);
  EXPECT_EQ(log->seals(actor(1))->size(), 2u);
}

TEST(Chunks, SealPreconditions) {
  auto log = memory_log(1);
  testing::append_n(*log, 5);
  EXPECT_EQ(log->seal(actor(7), 1).code(), Code::kNotFound);  // unknown actor
  EXPECT_EQ(log->seal(actor(1), 6).code(), Code::kNotFound);  // counter not present
  Hash wrong{};
  wrong[0] = 1;
  EXPECT_EQ(log->seal(actor(1), 3, wrong).code(), Code::kChecksumMismatch);
  auto rec = log->seal(actor(1), 3);
  ASSERT_TRUE(rec.is_ok());
  // Retried seal of the same range answers the same record; inside it is refused.
  auto again = log->seal(actor(1), 3, rec->digest);
  ASSERT_TRUE(again.is_ok());
  EXPECT_EQ(again.value(), rec.value());
  EXPECT_EQ(log->seal(actor(1), 2).code(), Code::kInvalidArgument);
  EXPECT_EQ(log->get_chunk(actor(1), 5).code(), Code::kNotFound);
}

TEST(Chunks, ExpectedChecksumMatchesWhenGiven) {
  auto a = memory_log(1);
  auto b = memory_log(2);
  testing::append_n(*a, 4);
  ASSERT_TRUE(b->merge_from(*a).is_ok());
  auto ra = a->seal(actor(1), 4);
  ASSERT_TRUE(ra.is_ok());
  // Same ops, same bytes, same digest on every replica.
  auto rb = b->seal(actor(1), 4, ra->digest);
  ASSERT_TRUE(rb.is_ok()) << rb.error().to_string();
  EXPECT_EQ(rb.value(), ra.value());
}

TEST(Chunks, PutChunkShipsOpsAndIsIdempotentAndImmutable) {
  auto a = memory_log(1);
  auto b = memory_log(2);
  testing::append_n(*a, 6);
  auto r0 = a->seal(actor(1), 3);
  auto r1 = a->seal(actor(1), 6);
  ASSERT_TRUE(r0.is_ok() && r1.is_ok());
  auto bytes0 = a->get_chunk(actor(1), 0)->bytes;
  auto bytes1 = a->get_chunk(actor(1), 1)->bytes;

  // Chunk 1 before chunk 0: not contiguous, nothing changes.
  EXPECT_EQ(b->put_chunk(bytes1).code(), Code::kNotContiguous);
  EXPECT_EQ(b->cursor(), 0u);
  Hash wrong{};
  EXPECT_EQ(b->put_chunk(bytes0, wrong).code(), Code::kChecksumMismatch);
  auto p0 = b->put_chunk(bytes0, r0->digest);
  ASSERT_TRUE(p0.is_ok()) << p0.error().to_string();
  EXPECT_EQ(p0.value(), r0.value());
  EXPECT_EQ(b->cursor(), 3u);
  // Same bytes again: idempotent success.
  EXPECT_TRUE(b->put_chunk(bytes0).is_ok());
  EXPECT_EQ(b->cursor(), 3u);
  ASSERT_TRUE(b->put_chunk(bytes1).is_ok());
  EXPECT_EQ(b->digest().value(), a->digest().value());
  EXPECT_TRUE(b->verify().is_ok());

  // Other bytes for a sealed (actor, index): IMMUTABLE_VIOLATION.
  auto c = decode_chunk(bytes0).value();
  c.ops[0].payload = testing::bytes("forged");
  auto forged = encode_chunk(c).value();
  auto r = b->put_chunk(forged);
  EXPECT_EQ(r.code(), Code::kImmutableViolation);
  EXPECT_NE(r.error().message.find(actor(1).hex() + "/0"), std::string::npos);
}

TEST(Chunks, PutChunkConflictingWithLogIsRefusedAtomically) {
  auto a = memory_log(1);
  auto b = memory_log(2);
  testing::append_n(*a, 3);
  ASSERT_TRUE(b->merge_from(*a).is_ok());
  ASSERT_TRUE(a->seal(actor(1), 3).is_ok());
  auto c = decode_chunk(a->get_chunk(actor(1), 0)->bytes).value();
  c.ops[2].payload = testing::bytes("equivocation");
  auto r = b->put_chunk(encode_chunk(c).value());
  EXPECT_EQ(r.code(), Code::kConflict);
  EXPECT_TRUE(b->seals(actor(1))->empty());
}

TEST(Chunks, PutChunkBrokenChainIsChecksumMismatch) {
  auto a = memory_log(1);
  auto b = memory_log(2);
  testing::append_n(*a, 4);
  ASSERT_TRUE(a->seal(actor(1), 2).is_ok());
  ASSERT_TRUE(a->seal(actor(1), 4).is_ok());
  ASSERT_TRUE(b->put_chunk(a->get_chunk(actor(1), 0)->bytes).is_ok());
  auto c1 = decode_chunk(a->get_chunk(actor(1), 1)->bytes).value();
  c1.prev_digest[5] ^= 1;
  EXPECT_EQ(b->put_chunk(encode_chunk(c1).value()).code(), Code::kChecksumMismatch);
}

TEST(Chunks, NonCanonicalChunkBytesAreMalformed) {
  auto a = memory_log(1);
  testing::append_n(*a, 2);
  ASSERT_TRUE(a->seal(actor(1), 2).is_ok());
  auto bytes = a->get_chunk(actor(1), 0)->bytes;
  bytes.push_back(0);  // trailing garbage: verifies, but is not canonical
  EXPECT_EQ(decode_chunk(bytes).code(), Code::kMalformed);
}

TEST(Chunks, FlippingAnyByteOfASealedChunkIsReportedNamingTheChunk) {
  auto log = memory_log(1);
  testing::append_n(*log, 8);
  ASSERT_TRUE(log->seal(actor(1), 4).is_ok());
  ASSERT_TRUE(log->seal(actor(1), 8).is_ok());
  const size_t size = log->get_chunk(actor(1), 1)->bytes.size();
  const std::string name = actor(1).hex() + "/1";
  for (size_t i = 0; i < size; ++i) {
    ASSERT_TRUE(memory_store_corrupt_chunk(log->store_for_testing(), actor(1), 1, i, 0x01).is_ok());
    auto v = log->verify();
    ASSERT_EQ(v.code(), Code::kCorrupt) << "byte " << i;
    EXPECT_NE(v.error().message.find(name), std::string::npos) << v.error().message;
    ASSERT_TRUE(memory_store_corrupt_chunk(log->store_for_testing(), actor(1), 1, i, 0x01).is_ok());
  }
  EXPECT_TRUE(log->verify().is_ok());
}

}  // namespace
}  // namespace weft
