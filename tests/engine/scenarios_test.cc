// docs/scenarios.md at the engine level: S01, S04, S05, S06, S10, S13, S14, S15, S16.
#include <gtest/gtest.h>

#include "test_util.hpp"

namespace weft {
namespace {

using testing::actor;
using testing::make_op;
using testing::memory_log;

// A writer's pending ops, delivered as batches.
Batch ops_of(Log& writer, uint64_t from, size_t n) {
  Batch b;
  for (auto& s : writer.read(from, n).value()) b.ops.push_back(std::move(s.op));
  return b;
}

TEST(Scenarios, S01LostAckRetryAnswersDuplicatesAndChangesNothing) {
  auto client = memory_log(1);
  auto server = memory_log(2);
  testing::append_n(*client, 5);
  Batch b = ops_of(*client, 1, 5);
  auto first = server->apply(b);  // its ack is "lost"
  ASSERT_EQ(first->applied.size(), 5u);
  auto digest = server->digest().value();
  auto retry = server->apply(b);
  ASSERT_TRUE(retry.is_ok());
  EXPECT_EQ(retry->applied.size(), 0u);
  EXPECT_EQ(retry->duplicates.size(), 5u);
  EXPECT_EQ(retry->rejected.size(), 0u);
  EXPECT_EQ(retry->cursor, first->cursor);
  EXPECT_EQ(server->digest().value(), digest);
}

TEST(Scenarios, S04SameIdDifferentPayloadIsConflictAndLedgerUnchanged) {
  auto server = memory_log(2);
  Batch b;
  b.ops = {make_op(actor(1), 1, 1, "original")};
  ASSERT_EQ(server->apply(b)->applied.size(), 1u);
  auto before = server->get({actor(1), 1}).value();
  b.ops[0].payload = testing::bytes("forged");
  auto ack = server->apply(b);
  ASSERT_EQ(ack->rejected.size(), 1u);
  EXPECT_EQ(ack->rejected[0].code, Code::kConflict);
  EXPECT_EQ(ack->applied.size(), 0u);
  auto after = server->get({actor(1), 1}).value();
  EXPECT_EQ(after.op, before.op);
  EXPECT_EQ(after.hash, before.hash);
}

TEST(Scenarios, S05SameIdTwiceInOneBatchFirstAppliedSecondDuplicate) {
  auto server = memory_log(2);
  Batch b;
  b.ops = {make_op(actor(1), 1, 1, "x"), make_op(actor(1), 1, 1, "x"),
           make_op(actor(1), 1, 1, "y")};
  auto ack = server->apply(b);
  ASSERT_TRUE(ack.is_ok());
  EXPECT_EQ(ack->applied.size(), 1u);
  EXPECT_EQ(ack->duplicates.size(), 1u);
  ASSERT_EQ(ack->rejected.size(), 1u);
  EXPECT_EQ(ack->rejected[0].code, Code::kConflict);
  EXPECT_EQ(ack->applied.size() + ack->duplicates.size() + ack->rejected.size(), b.ops.size());
  EXPECT_EQ(server->cursor(), 1u);
}

TEST(Scenarios, S06MixedBatchAppliesOnlyTheNewHalf) {
  auto client = memory_log(1);
  auto server = memory_log(2);
  testing::append_n(*client, 8);
  ASSERT_EQ(server->apply(ops_of(*client, 1, 4))->applied.size(), 4u);
  auto ack = server->apply(ops_of(*client, 1, 8));
  EXPECT_EQ(ack->duplicates.size(), 4u);
  EXPECT_EQ(ack->applied.size(), 4u);
  EXPECT_EQ(ack->cursor, 8u);
  EXPECT_EQ(server->read(8, 1)->front().op.id, (OpId{actor(1), 8}));
}

TEST(Scenarios, S10GapStopsEverythingPastItRetryableAndCursorUnchanged) {
  // At the engine level a sender's sequence is its actor counter: a batch
  // that skips counter k+1 applies nothing past the gap.
  auto client = memory_log(1);
  auto server = memory_log(2);
  testing::append_n(*client, 6);
  ASSERT_EQ(server->apply(ops_of(*client, 1, 2))->applied.size(), 2u);
  auto ack = server->apply(ops_of(*client, 4, 3));  // counters 4..6, 3 missing
  ASSERT_EQ(ack->rejected.size(), 3u);
  for (const auto& r : ack->rejected) {
    EXPECT_EQ(r.code, Code::kMissingDependency);
    EXPECT_TRUE(code_retryable(r.code));
  }
  EXPECT_EQ(ack->cursor, 2u);
  EXPECT_EQ(server->apply(ops_of(*client, 3, 4))->applied.size(), 4u);
}

TEST(Scenarios, S13DependencyNotYetAppliedThenAppliesAfterIt) {
  auto a = memory_log(1);
  auto b = memory_log(2);
  auto server = memory_log(3);
  testing::append_n(*a, 1);
  ASSERT_TRUE(b->merge_from(*a).is_ok());
  testing::append_n(*b, 1);  // depends on a's op
  Batch from_b;
  from_b.ops = {b->get({actor(2), 1})->op};
  ASSERT_EQ(from_b.ops[0].deps.size(), 1u);
  auto early = server->apply(from_b);
  ASSERT_EQ(early->rejected.size(), 1u);
  EXPECT_EQ(early->rejected[0].code, Code::kMissingDependency);
  EXPECT_EQ(server->cursor(), 0u);
  ASSERT_TRUE(server->merge_from(*a).is_ok());
  EXPECT_EQ(server->apply(from_b)->applied.size(), 1u);
}

TEST(Scenarios, S14DependentOfPermanentlyRejectedOpIsRejectedAndQueueNotBlocked) {
  auto server = memory_log(3);
  Batch b;
  b.ops = {make_op(actor(1), 1, 9, "bad lamport"),          // MALFORMED, permanent
           make_op(actor(2), 1, 10, "child", {{actor(1), 1}}),  // cascades
           make_op(actor(4), 1, 1, "independent")};
  auto ack = server->apply(b);
  ASSERT_EQ(ack->rejected.size(), 2u);
  EXPECT_EQ(ack->rejected[0].code, Code::kMalformed);
  EXPECT_EQ(ack->rejected[1].code, Code::kMissingDependency);
  EXPECT_EQ(ack->applied.size(), 1u);
}

TEST(Scenarios, S15CycleOrSelfDependencyRejectedUpFront) {
  // Self-dependency cannot even be appended or encoded canonically.
  auto log = memory_log(1);
  testing::append_n(*log, 1);
  AppendRequest r;
  r.deps = std::vector<OpId>{{actor(1), 2}};
  EXPECT_EQ(log->append(r).code(), Code::kInvalidArgument);
  // A cycle across two actors in one batch fails decoding as a whole.
  Batch cyc;
  cyc.ops = {make_op(actor(5), 1, 2, "a", {{actor(6), 1}}), make_op(actor(6), 1, 3, "b", {{actor(5), 1}})};
  auto d = decode_batch(encode_batch(cyc));
  ASSERT_EQ(d.code(), Code::kMalformed);
  // Applied in-process regardless, nothing of it lands.
  auto server = memory_log(3);
  auto ack = server->apply(cyc);
  EXPECT_EQ(ack->applied.size(), 0u);
  EXPECT_EQ(server->cursor(), 0u);
}

TEST(Scenarios, S16ExpectedCursorBehindAfterAnotherWriter) {
  auto server = memory_log(9);
  auto w1 = memory_log(1);
  auto w2 = memory_log(2);
  testing::append_n(*w1, 2);
  testing::append_n(*w2, 2);
  Batch b1 = ops_of(*w1, 1, 2);
  b1.expected_cursor = 0;
  ASSERT_EQ(server->apply(b1)->applied.size(), 2u);
  Batch b2 = ops_of(*w2, 1, 2);
  b2.expected_cursor = 0;  // w2 did not see w1's ops
  auto ack = server->apply(b2);
  EXPECT_EQ(testing::count(ack->rejected, Code::kCursorMismatch), 2u);
  EXPECT_EQ(ack->cursor, 2u);
  EXPECT_EQ(server->cursor(), 2u);
  // w1's lost-ack retry with its old expected cursor: all duplicates.
  auto retry = server->apply(b1);
  EXPECT_EQ(retry->duplicates.size(), 2u);
  EXPECT_EQ(retry->rejected.size(), 0u);
}

}  // namespace
}  // namespace weft
