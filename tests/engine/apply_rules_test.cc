// The five apply rules (docs/contract.md, Rule 1 to Rule 5), one at a time, and the Ack invariant.
#include <gtest/gtest.h>

#include "test_util.hpp"

namespace weft {
namespace {

using testing::actor;
using testing::make_op;
using testing::memory_log;

size_t outcomes(const Ack& a) { return a.applied.size() + a.duplicates.size() + a.rejected.size(); }

TEST(ApplyRules, Rule1StaleEpochRejectsTheWholeBatchAndDisclosesNothing) {
  auto log = memory_log(1);
  ASSERT_TRUE(log->set_epoch(4).is_ok());
  Batch b;
  b.epoch = 3;
  b.ops = {make_op(actor(2), 1, 1, "x")};
  auto ack = log->apply(b);
  ASSERT_TRUE(ack.is_ok());
  EXPECT_EQ(ack->status, Code::kStaleEpoch);
  EXPECT_EQ(outcomes(*ack), 0u);
  EXPECT_EQ(ack->cursor, 0u);
  EXPECT_EQ(log->cursor(), 0u);
  // A forged epoch above the current one is refused as well.
  b.epoch = 5;
  EXPECT_EQ(log->apply(b)->status, Code::kPermissionDenied);
  b.epoch = 4;
  EXPECT_EQ(log->apply(b)->applied.size(), 1u);
}

TEST(ApplyRules, EpochCannotGoDown) {
  auto log = memory_log(1);
  ASSERT_TRUE(log->set_epoch(2).is_ok());
  EXPECT_EQ(log->set_epoch(1).code(), Code::kInvalidArgument);
  EXPECT_TRUE(log->set_epoch(2).is_ok());
  EXPECT_EQ(log->epoch(), 2u);
}

TEST(ApplyRules, Rule2DuplicateAndConflict) {
  auto log = memory_log(1);
  Batch b;
  b.ops = {make_op(actor(2), 1, 1, "x")};
  ASSERT_EQ(log->apply(b)->applied.size(), 1u);
  auto dup = log->apply(b);
  ASSERT_EQ(dup->duplicates.size(), 1u);
  EXPECT_EQ(dup->cursor, 1u);
  Batch other;
  other.ops = {make_op(actor(2), 1, 1, "y")};
  auto conflict = log->apply(other);
  ASSERT_EQ(conflict->rejected.size(), 1u);
  EXPECT_EQ(conflict->rejected[0].code, Code::kConflict);
  EXPECT_EQ(log->get({actor(2), 1})->op.payload, testing::bytes("x"));
}

TEST(ApplyRules, Rule3CursorMismatchAppliesNothingButDuplicatesStayDuplicates) {
  auto log = memory_log(1);
  Batch first;
  first.ops = {make_op(actor(2), 1, 1, "a")};
  ASSERT_EQ(log->apply(first)->applied.size(), 1u);
  Batch b;
  b.expected_cursor = 0;  // stale: the cursor is 1
  b.ops = {make_op(actor(2), 1, 1, "a"), make_op(actor(2), 2, 2, "b"),
           make_op(actor(2), 1, 1, "other")};
  auto ack = log->apply(b);
  ASSERT_TRUE(ack.is_ok());
  EXPECT_EQ(ack->duplicates.size(), 1u);
  EXPECT_EQ(testing::count(ack->rejected, Code::kCursorMismatch), 1u);
  EXPECT_EQ(testing::count(ack->rejected, Code::kConflict), 1u);
  EXPECT_EQ(ack->cursor, 1u);
  EXPECT_EQ(log->cursor(), 1u);
  b.expected_cursor = 1;
  b.ops.pop_back();
  auto ok = log->apply(b);
  EXPECT_EQ(ok->applied.size(), 1u);
  EXPECT_EQ(ok->cursor, 2u);
}

TEST(ApplyRules, Rule4MissingDependencyAndGapsCascade) {
  auto log = memory_log(1);
  Batch b;
  b.ops = {make_op(actor(2), 2, 2, "gap"),                       // counter gap
           make_op(actor(3), 1, 3, "dep", {{actor(2), 2}}),        // depends on rejected op
           make_op(actor(4), 1, 1, "fine"),
           make_op(actor(5), 1, 6, "absent", {{actor(9), 5}})};  // dependency nowhere
  auto ack = log->apply(b);
  ASSERT_TRUE(ack.is_ok());
  EXPECT_EQ(testing::count(ack->rejected, Code::kMissingDependency), 3u);
  ASSERT_EQ(ack->applied.size(), 1u);
  EXPECT_EQ(ack->applied[0], (OpId{actor(4), 1}));
  EXPECT_EQ(outcomes(*ack), b.ops.size());
}

TEST(ApplyRules, LamportMismatchIsMalformed) {
  auto log = memory_log(1);
  Batch b;
  b.ops = {make_op(actor(2), 1, 1, "a"), make_op(actor(2), 2, 5, "b"),
           make_op(actor(3), 1, 1, "c", {{actor(2), 1}})};
  auto ack = log->apply(b);
  ASSERT_EQ(ack->rejected.size(), 2u);
  EXPECT_EQ(ack->rejected[0].code, Code::kMalformed);
  EXPECT_EQ(ack->rejected[1].code, Code::kMalformed);
  EXPECT_EQ(ack->applied.size(), 1u);
}

TEST(ApplyRules, NonCanonicalDependenciesAreMalformed) {
  auto log = memory_log(1);
  Batch b;
  b.ops = {make_op(actor(2), 1, 1, "a"), make_op(actor(3), 1, 2, "b", {{actor(2), 1}, {actor(2), 1}})};
  auto ack = log->apply(b);
  ASSERT_EQ(ack->rejected.size(), 1u);
  EXPECT_EQ(ack->rejected[0].code, Code::kMalformed);
}

TEST(ApplyRules, Rule5AppliedAdvancesCursorByOneEach) {
  auto log = memory_log(1);
  Batch b;
  for (uint64_t i = 1; i <= 10; ++i) b.ops.push_back(make_op(actor(2), i, i, "p"));
  auto ack = log->apply(b);
  EXPECT_EQ(ack->applied.size(), 10u);
  EXPECT_EQ(ack->cursor, 10u);
  auto read = log->read(1, 100);
  ASSERT_EQ(read->size(), 10u);
  for (uint64_t i = 0; i < 10; ++i) EXPECT_EQ((*read)[i].cursor, i + 1);
}

TEST(ApplyRules, OversizeBatchOrPayloadIsRefusedBeforeAnyApply) {
  LogOptions o;
  o.limits.max_ops = 3;
  o.limits.max_payload_bytes = 4;
  auto log = Log::open_memory(o).value();
  Batch big;
  for (uint64_t i = 1; i <= 4; ++i) big.ops.push_back(make_op(actor(2), i, i, "p"));
  EXPECT_EQ(log->apply(big).code(), Code::kMalformed);
  Batch fat;
  fat.ops = {make_op(actor(2), 1, 1, "ok"), make_op(actor(2), 2, 2, "too long")};
  auto r = log->apply(fat);
  ASSERT_EQ(r.code(), Code::kMalformed);
  EXPECT_NE(r.error().message.find("payload"), std::string::npos);
  EXPECT_EQ(log->cursor(), 0u);
}

}  // namespace
}  // namespace weft
