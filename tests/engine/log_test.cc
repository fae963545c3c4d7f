// The Log API: append, heads, reads, digest, diff, merge, canonical order.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <thread>

#include "test_util.hpp"
#include "weft/sqlite_store.hpp"

namespace weft {
namespace {

using testing::actor;
using testing::memory_log;

TEST(Log, AppendMintsContiguousIdsWithLamportsAndHeads) {
  auto log = memory_log(1);
  auto ids = testing::append_n(*log, 3);
  EXPECT_EQ(ids[0], (OpId{actor(1), 1}));
  EXPECT_EQ(ids[2], (OpId{actor(1), 3}));
  EXPECT_EQ(log->cursor(), 3u);
  EXPECT_EQ(log->heads(), std::vector<OpId>{ids[2]});
  auto op = log->get(ids[2]);
  ASSERT_TRUE(op.is_ok());
  EXPECT_EQ(op->op.lamport, 3u);
  EXPECT_TRUE(op->op.deps.empty());  // the previous own op is implicit
  EXPECT_EQ(op->hash, op_hash(op->op));
  EXPECT_EQ(log->get({actor(1), 4}).code(), Code::kNotFound);
}

TEST(Log, AppendDependsOnForeignHeadsAndRaisesLamport) {
  auto a = memory_log(1);
  auto b = memory_log(2);
  testing::append_n(*a, 5);
  ASSERT_TRUE(b->merge_from(*a).is_ok());
  auto id = b->append(AppendRequest{});
  ASSERT_TRUE(id.is_ok());
  auto op = b->get(id.value())->op;
  ASSERT_EQ(op.deps.size(), 1u);
  EXPECT_EQ(op.deps[0], (OpId{actor(1), 5}));
  EXPECT_EQ(op.lamport, 6u);
  EXPECT_EQ(b->heads(), std::vector<OpId>{id.value()});
}

TEST(Log, AppendWithMissingExplicitDependencyChangesNothing) {
  auto log = memory_log(1);
  AppendRequest r;
  r.deps = std::vector<OpId>{{actor(9), 1}};
  EXPECT_EQ(log->append(r).code(), Code::kMissingDependency);
  EXPECT_EQ(log->cursor(), 0u);
  EXPECT_EQ(log->version_vector().size(), 0u);
  auto ok = log->append(AppendRequest{});
  EXPECT_EQ(ok->counter, 1u);
}

TEST(Log, AppendManyIsOneAtomicUnit) {
  auto log = memory_log(1);
  std::vector<AppendRequest> reqs(3);
  auto ids = log->append_many(reqs);
  ASSERT_TRUE(ids.is_ok());
  EXPECT_EQ(ids->size(), 3u);
  LogOptions o;
  o.actor = actor(2);
  o.limits.max_payload_bytes = 1;
  auto small = Log::open_memory(o).value();
  std::vector<uint8_t> two{1, 2};
  std::vector<AppendRequest> mixed(2);
  mixed[1].payload = two;
  EXPECT_EQ(small->append_many(mixed).code(), Code::kInvalidArgument);
  EXPECT_EQ(small->cursor(), 0u);
}

TEST(Log, ReadPagesInCursorOrder) {
  auto log = memory_log(1);
  testing::append_n(*log, 10);
  auto page = log->read(4, 3);
  ASSERT_EQ(page->size(), 3u);
  EXPECT_EQ((*page)[0].cursor, 4u);
  EXPECT_EQ((*page)[2].op.id.counter, 6u);
  EXPECT_TRUE(log->read(11, 5)->empty());
}

TEST(Log, MergeBothWaysConvergesDigestsAndCanonicalOrder) {
  auto a = memory_log(1);
  auto b = memory_log(2);
  testing::append_n(*a, 20, "a");
  testing::append_n(*b, 30, "b");
  EXPECT_NE(a->digest().value(), b->digest().value());
  auto s1 = a->merge_from(*b);
  ASSERT_TRUE(s1.is_ok());
  EXPECT_EQ(s1->applied, 30u);
  ASSERT_TRUE(b->merge_from(*a).is_ok());
  EXPECT_EQ(a->digest().value(), b->digest().value());
  EXPECT_EQ(a->canonical_order().value(), b->canonical_order().value());
  EXPECT_EQ(a->version_vector(), b->version_vector());
  // Idempotent: merging again changes nothing.
  auto again = a->merge_from(*b);
  EXPECT_EQ(again->applied, 0u);
  EXPECT_EQ(again->batches, 0u);
  EXPECT_EQ(a->heads(), b->heads());
}

TEST(Log, DigestDiffersForDifferentContentWithSameIds) {
  auto a = memory_log(1);
  auto b = memory_log(2);
  Batch x, y;
  x.ops = {testing::make_op(actor(5), 1, 1, "x")};
  y.ops = {testing::make_op(actor(5), 1, 1, "y")};
  ASSERT_EQ(a->apply(x)->applied.size(), 1u);
  ASSERT_EQ(b->apply(y)->applied.size(), 1u);
  EXPECT_EQ(a->version_vector(), b->version_vector());
  EXPECT_NE(a->digest().value(), b->digest().value());
  auto empty1 = memory_log(3), empty2 = memory_log(4);
  EXPECT_EQ(empty1->digest().value(), empty2->digest().value());
}

TEST(Log, DiffSplitsIntoBoundedBatchesInDependencyOrder) {
  auto a = memory_log(1);
  testing::append_n(*a, 100);
  VersionVector peer;
  peer.set(actor(1), 40);
  DiffOptions o;
  o.max_ops_per_batch = 25;
  auto batches = a->diff(peer, o);
  ASSERT_TRUE(batches.is_ok());
  ASSERT_EQ(batches->size(), 3u);
  EXPECT_EQ((*batches)[0].ops.front().id.counter, 41u);
  EXPECT_EQ((*batches)[2].ops.back().id.counter, 100u);
  DiffOptions bytes;
  bytes.max_bytes_per_batch = 4;  // every op ("opNN", 4 bytes) gets its own batch
  EXPECT_EQ(a->diff(peer, bytes)->size(), 60u);
  peer.set(actor(1), 100);
  EXPECT_TRUE(a->diff(peer)->empty());
}

TEST(Log, ConcurrentAppendsFromThreadsAreSerialised) {
  auto log = memory_log(1);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) ASSERT_TRUE(log->append(AppendRequest{}).is_ok());
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(log->cursor(), 2000u);
  EXPECT_EQ(log->version_vector().get(actor(1)), 2000u);
  EXPECT_TRUE(log->verify().is_ok());
}

}  // namespace
}  // namespace weft

namespace weft {
namespace {

size_t resident_bytes() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtoull(line.c_str() + 6, nullptr, 10) * 1024;
  }
  return 0;
}

// Each memory log used to zero a 1 MiB arena block for its first op: 2,000
// small logs took over 2 GiB. Blocks now start small and are not zeroed.
TEST(Log, ManySmallMemoryLogsStaySmall) {
  const size_t before = resident_bytes();
  std::vector<std::unique_ptr<Log>> logs;
  for (uint8_t i = 0; i < 200; ++i) {
    for (int k = 0; k < 10; ++k) {
      logs.push_back(testing::memory_log(i));
      testing::append_n(*logs.back(), 1);
    }
  }
  const size_t grown = resident_bytes() - before;
  EXPECT_LT(grown, 256u << 20) << "2,000 one-op memory logs grew the process by " << grown;
}

}  // namespace
}  // namespace weft

namespace weft {
namespace {

TEST(Log, AppendManyOfNothingWritesNothing) {
  LogOptions o;
  o.actor = testing::actor(1);
  o.auto_seal_ops = 4;  // the auto-seal path read the first minted op
  auto log = Log::open_memory(o).value();
  auto ids = log->append_many({});
  ASSERT_TRUE(ids.is_ok());
  EXPECT_TRUE(ids->empty());
  EXPECT_EQ(log->cursor(), 0u);
}

// A copy of a memory store is a fork: it starts with everything the
// original committed and the two move on independently.
TEST(Log, MemoryStoreCopyForksEverythingCommitted) {
  auto a = memory_log(1);
  auto b = memory_log(2);
  testing::append_n(*a, 3, "a");
  testing::append_n(*b, 2, "b");
  ASSERT_TRUE(a->merge_from(*b).is_ok());
  testing::append_n(*a, 2, "a-after-b");
  ASSERT_TRUE(a->seal(actor(1), 3).is_ok());
  ASSERT_TRUE(a->bump_epoch().is_ok());
  ASSERT_TRUE(a->record_peer("p", PeerState{4, 1, 99}).is_ok());

  auto copied = memory_store_copy(a->store_for_testing());
  ASSERT_TRUE(copied.is_ok());
  auto fork = Log::open(std::move(copied.value()));
  ASSERT_TRUE(fork.is_ok());
  Log& f = *fork.value();
  EXPECT_EQ(f.actor(), a->actor());  // the stored writer id came along
  EXPECT_EQ(f.cursor(), a->cursor());
  EXPECT_EQ(f.epoch(), a->epoch());
  EXPECT_EQ(f.version_vector(), a->version_vector());
  EXPECT_EQ(f.heads(), a->heads());
  EXPECT_EQ(f.digest().value(), a->digest().value());
  EXPECT_EQ(f.canonical_order().value(), a->canonical_order().value());
  EXPECT_EQ(f.read(1, 100).value().size(), 7u);
  EXPECT_EQ(f.get_chunk(actor(1), 0).value().bytes, a->get_chunk(actor(1), 0).value().bytes);
  EXPECT_EQ(f.peer("p").value(), (PeerState{4, 1, 99}));
  auto report = f.verify();
  ASSERT_TRUE(report.is_ok()) << report.error().to_string();
  EXPECT_EQ(report->ops, 7u);
  EXPECT_EQ(report->chunks, 1u);

  // Independent from here on: each append is seen by its own log only.
  const Hash before = a->digest().value();
  testing::append_n(f, 1, "fork");
  EXPECT_EQ(a->cursor(), 7u);
  EXPECT_EQ(a->digest().value(), before);
  testing::append_n(*a, 2, "original");
  EXPECT_EQ(f.cursor(), 8u);
  EXPECT_EQ(a->cursor(), 9u);
  EXPECT_TRUE(f.verify().is_ok());
  EXPECT_TRUE(a->verify().is_ok());
}

TEST(Log, MemoryStoreCopyRefusesOtherStores) {
  SqliteOptions in_memory;
  in_memory.special_names = true;
  auto sqlite = open_sqlite_store(":memory:", in_memory);
  ASSERT_TRUE(sqlite.is_ok());
  EXPECT_EQ(memory_store_copy(*sqlite.value()).code(), Code::kInvalidArgument);
}

// Refused ops from unknown actors used to be interned anyway: a peer could
// grow a log's memory without bound with batches that apply nothing.
TEST(Log, RefusedOpsFromUnknownActorsLeaveNoTrace) {
  auto log = testing::memory_log(1);
  for (int b = 0; b < 20; ++b) {
    Batch batch;
    for (int i = 0; i < 1000; ++i) {
      ActorId a;
      a.bytes.fill(0x5a);
      std::memcpy(a.bytes.data(), &b, sizeof b);
      std::memcpy(a.bytes.data() + 8, &i, sizeof i);
      batch.ops.push_back(testing::make_op(a, 5, 5, ""));  // a counter gap
    }
    auto ack = log->apply(batch);
    ASSERT_EQ(ack->rejected.size(), 1000u);
  }
  EXPECT_EQ(log->cursor(), 0u);
  EXPECT_EQ(log->actor_count(), 0u) << "refused actors were kept";
  // An applied op from a new actor is kept, with the actor it depends on.
  auto other = testing::memory_log(2);
  testing::append_n(*other, 1);
  ASSERT_TRUE(log->merge_from(*other).is_ok());
  EXPECT_EQ(log->actor_count(), 1u);
}

TEST(Log, AutoSealEndsChunksAtThePayloadBudget) {
  LogOptions o;
  o.actor = testing::actor(1);
  o.auto_seal_ops = 1000;
  auto log = Log::open_memory(o).value();
  std::vector<uint8_t> mib(1u << 20, 7);
  AppendRequest r;
  r.payload = mib;
  for (int i = 0; i < 9; ++i) ASSERT_TRUE(log->append(r).is_ok());
  auto seals = log->seals(testing::actor(1)).value();
  ASSERT_EQ(seals.size(), 2u);  // 4 MiB of payload each; the 9th op waits
  EXPECT_EQ(seals[0].last - seals[0].first + 1, 4u);
  EXPECT_EQ(seals[1].first, 5u);
  EXPECT_TRUE(log->verify().is_ok());
}

TEST(Log, SealRefusesAChunkOverTheMessageLimit) {
  LogOptions o;
  o.actor = testing::actor(1);
  o.limits.max_message_bytes = 4096;
  auto log = Log::open_memory(o).value();
  testing::append_n(*log, 100, std::string(100, 'p'));
  auto r = log->seal(testing::actor(1), 100);
  ASSERT_EQ(r.code(), Code::kInvalidArgument);
  EXPECT_NE(r.error().message.find("message limit"), std::string::npos);
  EXPECT_TRUE(log->seal(testing::actor(1), 10).is_ok());
}

// A writer that has seen more concurrent heads than one op may depend on
// still appends, and its op still happens after all of them: join ops
// (kJoinKind) carry the heads a slice each, and the op follows the last.
TEST(Log, AppendAfterTenThousandConcurrentWritersCoversThemAll) {
  auto log = testing::memory_log(1);
  Batch others;
  for (uint32_t k = 0; k < 10'000; ++k) {
    others.ops.push_back(testing::make_op(testing::nth_writer(0x33, k), 1, 1, "x"));
  }
  ASSERT_EQ(log->apply(others)->applied.size(), 10'000u);
  ASSERT_EQ(log->heads().size(), 10'000u);
  AppendRequest r;
  const std::string text = "after everyone";
  r.payload = std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size());
  auto id = log->append(r);
  ASSERT_TRUE(id.is_ok()) << id.error().to_string();
  // Nine joins of 1,024 heads, then the op with the other 784.
  EXPECT_EQ(id->counter, 10u);
  size_t covered = 0;
  for (uint64_t c = 1; c <= 10; ++c) {
    auto op = log->get(OpId{log->actor(), c}).value().op;
    EXPECT_LE(op.deps.size(), log->limits().max_deps_per_op);
    EXPECT_EQ(op.kind == kJoinKind, c < 10) << c;
    EXPECT_GE(op.lamport, 2u);
    covered += op.deps.size();
  }
  EXPECT_EQ(covered, 10'000u);
  EXPECT_EQ(log->heads(), std::vector<OpId>{*id});  // everything is in its past
  // A replica converges, and cannot take the op before what it follows.
  auto replica = testing::memory_log(2);
  Batch mine;
  for (uint64_t c = 1; c <= 10; ++c) mine.ops.push_back(log->get(OpId{log->actor(), c}).value().op);
  auto early = replica->apply(mine);
  ASSERT_TRUE(early.is_ok());
  EXPECT_EQ(early->applied.size(), 0u);
  EXPECT_EQ(testing::count(early->rejected, Code::kMissingDependency), 10u);
  ASSERT_TRUE(replica->merge_from(*log).is_ok());
  EXPECT_EQ(replica->digest().value(), log->digest().value());
  // The next append depends on nothing new: no joins.
  auto next = log->append(r);
  ASSERT_TRUE(next.is_ok());
  EXPECT_EQ(next->counter, 11u);
  AppendRequest join_kind;
  join_kind.kind = kJoinKind;
  EXPECT_EQ(log->append(join_kind).code(), Code::kInvalidArgument);
}

// Whatever a log holds it can send: diff cuts batches so none names more
// writers than the limit (here 2,048), even when single ops name 1,025.
TEST(Log, DiffCutsBatchesAtTheActorLimit) {
  LogOptions small;
  small.actor = testing::actor(1);
  small.limits.max_actors = 2048;
  auto log = Log::open_memory(small).value();
  Batch others;
  for (uint32_t k = 0; k < 10'000; ++k) {
    others.ops.push_back(testing::make_op(testing::nth_writer(0x44, k), 1, 1, ""));
  }
  ASSERT_EQ(log->apply(others)->applied.size(), 10'000u);
  ASSERT_TRUE(log->append(AppendRequest{}).is_ok());  // 9 joins of 1,024 + the op
  auto batches = log->diff(VersionVector{});
  ASSERT_TRUE(batches.is_ok());
  EXPECT_GT(batches->size(), 1u);
  auto receiver = Log::open_memory(small).value();
  for (const Batch& b : batches.value()) {
    auto decoded = decode_batch(encode_batch(b), small.limits);
    ASSERT_TRUE(decoded.is_ok()) << decoded.error().to_string();
    ASSERT_TRUE(receiver->apply(decoded.value())->rejected.empty());
  }
  EXPECT_EQ(receiver->digest().value(), log->digest().value());
}

// A peer missing a few ops spread over a long log gets exactly those, in
// cursor order (a dependency order), whether diff reads them by writer (a
// few against the span) or scans (many).
TEST(Log, DiffOfOpsSpreadOverTheLogIsInCursorOrder) {
  auto log = testing::memory_log(1);
  std::vector<std::unique_ptr<Log>> writers;
  for (uint8_t w = 2; w < 12; ++w) writers.push_back(testing::memory_log(w));
  // Writer k stops after round 5k, so the writers' last ops sit all over
  // the log's cursors.
  for (int round = 0; round < 50; ++round) {
    for (size_t k = 0; k < writers.size(); ++k) {
      if (round > 5 * static_cast<int>(k)) continue;
      testing::append_n(*writers[k], 1, "r");
      ASSERT_TRUE(log->merge_from(*writers[k]).is_ok());
    }
    testing::append_n(*log, 1, "own");  // depends on the writers' ops
  }
  ASSERT_EQ(log->cursor(), 285u);  // 235 of the writers, 50 own
  for (size_t lacking : {1u, 40u}) {  // 11 ops over 285 cursors (by writer); 50 (a scan)
    VersionVector peer = log->version_vector();
    std::vector<OpId> expected;
    for (const StoredOp& s : log->read(1, SIZE_MAX).value()) {
      const bool own = s.op.id.actor == log->actor();
      const uint64_t max = log->held(s.op.id.actor);
      if (s.op.id.counter + (own ? lacking : 1) > max) expected.push_back(s.op.id);
    }
    for (auto& w : writers) peer.set(w->actor(), log->held(w->actor()) - 1);
    peer.set(log->actor(), log->held(log->actor()) - lacking);
    auto batches = log->diff(peer);
    ASSERT_TRUE(batches.is_ok());
    std::vector<OpId> got;
    for (const Batch& b : batches.value()) {
      for (const Op& op : b.ops) got.push_back(op.id);
    }
    EXPECT_EQ(got, expected) << lacking;
  }
}

}  // namespace
}  // namespace weft
