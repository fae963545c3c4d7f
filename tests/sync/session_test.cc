// Sync sessions: replica to replica, client to host, and the dedupe,
// ordering and epoch scenarios of docs/scenarios.md (A, B, C) at the session level.
#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "sync_util.hpp"
#include "weft/sqlite_store.hpp"

namespace weft {
namespace {

using namespace weft::testing;

Hash digest(Log& l) {
  auto d = l.digest();
  EXPECT_TRUE(d.is_ok());
  return d.value();
}

std::unique_ptr<Session> connect(Log& log, SessionOptions o = {}) {
  auto s = Session::connect(log, std::move(o));
  EXPECT_TRUE(s.is_ok()) << s.error().to_string();
  return std::move(s.value());
}

std::unique_ptr<Session> accept(Log& log, SessionOptions o = {}) {
  auto s = Session::accept(log, std::move(o));
  EXPECT_TRUE(s.is_ok()) << s.error().to_string();
  return std::move(s.value());
}

TEST(Session, ReplicasExchangeBothWaysInOneSession) {
  auto a = memory_log(1);
  auto b = memory_log(2);
  append_n(*a, 50, "a");
  append_n(*b, 30, "b");
  SessionOptions small;
  small.max_batch_ops = 7;  // several batches, a full window
  small.window = 3;
  small.peer = "b";
  auto sa = connect(*a, small);
  auto sb = accept(*b, small);
  pump(*sa, *sb);
  ASSERT_TRUE(sa->done()) << sa->error().to_string();
  ASSERT_TRUE(sb->done()) << sb->error().to_string();
  EXPECT_EQ(a->cursor(), 80u);
  EXPECT_EQ(b->cursor(), 80u);
  EXPECT_EQ(digest(*a), digest(*b));
  EXPECT_EQ(a->canonical_order().value(), b->canonical_order().value());
  EXPECT_EQ(sa->stats().ops_sent, 50u);
  EXPECT_EQ(sb->stats().ops_sent, 30u);
  EXPECT_EQ(sa->stats().peer_applied, 50u);
  EXPECT_EQ(sa->stats().batches_sent, 8u);  // ceil(50 / 7)
  // The acked cursor is durable: everything a held at the handshake is at b.
  EXPECT_EQ(a->peer("b").value().acked_cursor, 50u);
  EXPECT_EQ(sa->acked_cursor(), 50u);

  // A second session finds nothing to send, and says so in one round trip.
  auto sa2 = connect(*a, small);
  auto sb2 = accept(*b, small);
  EXPECT_EQ(pump(*sa2, *sb2), 2u);  // two Hellos
  EXPECT_TRUE(sa2->done());
  EXPECT_TRUE(sb2->done());
  EXPECT_EQ(sa2->stats().batches_sent, 0u);
  // b's ops came from b: the scan skips them and the cursor moves past them.
  EXPECT_EQ(a->peer("b").value().acked_cursor, 80u);
}

// Whatever a log accepts it can sync: a version vector names every writer,
// so a log of more writers than a batch may name (65,536 by default) still
// syncs end to end, both ways, with a peer that holds part of it.
TEST(Session, TwoHundredThousandWritersSyncEndToEnd) {
  auto a = memory_log(1);
  auto b = memory_log(2);
  constexpr uint32_t kWriters = 200'000;
  for (uint32_t first = 0; first < kWriters; first += 10'000) {
    Batch batch;
    for (uint32_t k = first; k < first + 10'000; ++k) {
      batch.ops.push_back(make_op(nth_writer(0x77, k), 1, 1, ""));
    }
    ASSERT_EQ(a->apply(batch)->applied.size(), 10'000u);
    if (first % 20'000 == 0) {
      ASSERT_EQ(b->apply(batch)->applied.size(), 10'000u);
    }
  }
  // b's first op follows its 100,000 heads through 97 join ops.
  append_n(*b, 3, "b");
  const uint64_t b_ops = b->held(b->actor());
  EXPECT_EQ(b_ops, 3u + 97u);
  sync_logs(*a, *b);
  EXPECT_EQ(a->cursor(), kWriters + b_ops);
  EXPECT_EQ(b->cursor(), kWriters + b_ops);
  EXPECT_EQ(a->version_vector().size(), kWriters + 1);
  EXPECT_EQ(digest(*a), digest(*b));
}

TEST(Session, OneWayWhenTheResponderDoesNotAccept) {
  auto a = memory_log(1);
  auto b = memory_log(2);
  append_n(*a, 5, "a");
  append_n(*b, 4, "b");
  SessionOptions ro;
  ro.accept = false;
  auto sa = connect(*a);
  auto sb = accept(*b, ro);
  pump(*sa, *sb);
  ASSERT_TRUE(sa->done()) << sa->error().to_string();
  ASSERT_TRUE(sb->done());
  EXPECT_EQ(a->cursor(), 9u);  // a pulled b's ops
  EXPECT_EQ(b->cursor(), 4u);  // b took nothing
  EXPECT_EQ(sa->stats().batches_sent, 0u);
}

TEST(Session, FarBehindPeerReceivesSealedChunksVerified) {
  LogOptions o;
  o.actor = actor(1);
  o.auto_seal_ops = 10;
  auto a = Log::open_memory(o).value();
  append_n(*a, 35, "a");  // chunks of 10, 10, 10 and a tail of 5
  auto b = memory_log(2);
  auto sa = connect(*a);
  auto sb = accept(*b);
  pump(*sa, *sb);
  ASSERT_TRUE(sa->done()) << sa->error().to_string();
  ASSERT_TRUE(sb->done()) << sb->error().to_string();
  EXPECT_EQ(sa->stats().chunks_sent, 1u);  // one Chunks message with three chunks
  EXPECT_EQ(sa->stats().batches_sent, 1u);
  EXPECT_EQ(digest(*a), digest(*b));
  auto seals = b->seals(actor(1));
  ASSERT_TRUE(seals.is_ok());
  EXPECT_EQ(seals->size(), 3u);
  EXPECT_EQ(seals.value(), a->seals(actor(1)).value());
  auto v = b->verify();
  ASSERT_TRUE(v.is_ok()) << v.error().to_string();
  EXPECT_EQ(v->chunks, 3u);
}

TEST(Session, S01LostAckIsResentIdenticallyAndAnsweredAsDuplicates) {
  auto a = memory_log(1);
  auto b = memory_log(2);
  append_n(*a, 10, "a");
  SessionOptions o;
  o.peer = "b";
  auto sa = connect(*a, o);
  auto sb = accept(*b);
  Bytes first_batch, resent;
  bool dropped = false;
  pump(*sa, *sb, [&](Way w, const Bytes& m) {
    if (w == Way::kForward && is_kind(m, MessageKind::kBatch)) {
      (first_batch.empty() ? first_batch : resent) = m;
    }
    if (w == Way::kBack && is_kind(m, MessageKind::kAck) && !dropped) return dropped = true;
    return false;
  });
  EXPECT_EQ(b->cursor(), 10u);  // applied; only the answer was lost
  EXPECT_FALSE(sa->done());
  const Hash before = digest(*b);
  ASSERT_TRUE(sa->tick(0).is_ok());  // arms the timer
  ASSERT_TRUE(sa->tick(1'000'000).is_ok());  // overdue: resend
  pump(*sa, *sb, [&](Way w, const Bytes& m) {
    if (w == Way::kForward && is_kind(m, MessageKind::kBatch)) resent = m;
    return false;
  });
  ASSERT_TRUE(sa->done()) << sa->error().to_string();
  EXPECT_EQ(resent, first_batch);  // byte-identical
  EXPECT_EQ(sa->stats().resends, 1u);
  EXPECT_EQ(sa->stats().peer_duplicates, 10u);
  EXPECT_EQ(sb->stats().duplicates, 10u);
  EXPECT_EQ(b->cursor(), 10u);
  EXPECT_EQ(digest(*b), before);
  EXPECT_EQ(a->peer("b")->acked_cursor, 10u);
  EXPECT_EQ(a->peer("b")->attempts, 0u);  // progress clears the attempts
}

TEST(Session, S02OldBatchRetriedAfterLaterOnesIsDuplicates) {
  auto a = memory_log(1);
  auto b = memory_log(2);
  append_n(*a, 12, "a");
  SessionOptions o;
  o.peer = "b";
  o.max_batch_ops = 2;  // six batches, all in flight at once
  o.window = 6;
  auto sa = connect(*a, o);
  auto sb = accept(*b);
  int acks = 0;
  pump(*sa, *sb, [&](Way w, const Bytes& m) {
    return w == Way::kBack && is_kind(m, MessageKind::kAck) && ++acks == 1;  // b1's ack
  });
  EXPECT_EQ(b->cursor(), 12u);
  EXPECT_EQ(sa->acked_cursor(), 0u);  // b2..b6 acked, but b1 is not: no gap
  EXPECT_EQ(a->peer("b")->acked_cursor, 0u);
  ASSERT_TRUE(sa->tick(0).is_ok());
  ASSERT_TRUE(sa->tick(1'000'000).is_ok());
  pump(*sa, *sb);
  ASSERT_TRUE(sa->done()) << sa->error().to_string();
  EXPECT_EQ(sa->stats().resends, 1u);  // only b1
  EXPECT_EQ(sb->stats().duplicates, 2u);
  EXPECT_EQ(a->peer("b")->acked_cursor, 12u);
  EXPECT_EQ(b->cursor(), 12u);
}

TEST(Session, S03RetryAfterBothSidesRestartIsDuplicates) {
  auto root_a = make_memory_store();
  auto root_b = make_memory_store();
  LogOptions oa;
  oa.actor = actor(1);
  Bytes batch;
  {
    auto a = Log::open(memory_store_share(*root_a).value(), oa).value();
    auto b = Log::open(memory_store_share(*root_b).value()).value();
    append_n(*a, 8, "a");
    SessionOptions o;
    o.peer = "b";
    auto sa = connect(*a, o);
    auto sb = accept(*b);
    pump(*sa, *sb, [&](Way w, const Bytes& m) {
      if (is_kind(m, MessageKind::kBatch)) batch = m;
      return w == Way::kBack && is_kind(m, MessageKind::kAck);  // every ack lost
    });
    EXPECT_EQ(b->cursor(), 8u);
  }  // both sides go away
  auto a = Log::open(memory_store_share(*root_a).value(), oa).value();
  auto b = Log::open(memory_store_share(*root_b).value()).value();
  EXPECT_EQ(a->peer("b")->acked_cursor, 0u);  // the ack never arrived
  // The very bytes, much later: duplicates, never applied again.
  auto again = b->apply(decode_batch(batch).value());
  ASSERT_TRUE(again.is_ok());
  EXPECT_EQ(again->duplicates.size(), 8u);
  EXPECT_TRUE(again->applied.empty());
  // A new session learns from b's Hello that b holds everything.
  SessionOptions o;
  o.peer = "b";
  auto sa = connect(*a, o);
  auto sb = accept(*b);
  pump(*sa, *sb);
  ASSERT_TRUE(sa->done());
  EXPECT_EQ(sa->stats().batches_sent, 0u);
  EXPECT_EQ(a->peer("b")->acked_cursor, 8u);
  EXPECT_EQ(b->cursor(), 8u);
}

TEST(Session, S08OpsMintedBeforeACrashAreSentWithTheirIds) {
  auto root = make_memory_store();
  LogOptions oa;
  oa.actor = actor(1);
  std::vector<OpId> minted;
  {
    auto a = Log::open(memory_store_share(*root).value(), oa).value();
    minted = append_n(*a, 6, "a");
  }  // crash before the first send
  auto a = Log::open(memory_store_share(*root).value(), oa).value();
  auto b = memory_log(2);
  SessionOptions o;
  o.peer = "b";
  auto sa = connect(*a, o);
  auto sb = accept(*b);
  pump(*sa, *sb);
  ASSERT_TRUE(sa->done());
  EXPECT_EQ(a->cursor(), 6u);  // no new ids minted
  for (const OpId& id : minted) EXPECT_TRUE(b->get(id).is_ok()) << id.to_string();
  EXPECT_EQ(b->cursor(), 6u);
}

TEST(Session, S09StaleAndReplayedAcksMoveNothing) {
  auto a = memory_log(1);
  auto b = memory_log(2);
  append_n(*a, 6, "a");
  SessionOptions o;
  o.peer = "b";
  o.max_batch_ops = 3;
  auto sa = connect(*a, o);
  auto sb = accept(*b);
  std::vector<Bytes> acks;
  pump(*sa, *sb, [&](Way w, const Bytes& m) {
    if (w == Way::kBack && is_kind(m, MessageKind::kAck)) acks.push_back(m);
    return false;
  });
  ASSERT_TRUE(sa->done());
  ASSERT_EQ(acks.size(), 2u);
  EXPECT_EQ(sa->acked_cursor(), 6u);
  // Replays of old acks, and an ack for a batch never sent.
  for (const Bytes& m : acks) EXPECT_TRUE(sa->receive(m).is_ok());
  Ack forged;
  forged.batch_id = 99;
  forged.seq = 100;
  forged.applied = {OpId{actor(1), 1}};
  EXPECT_TRUE(sa->receive(encode_ack(forged)).is_ok());
  EXPECT_EQ(sa->stats().stale_acks, 3u);
  EXPECT_EQ(sa->acked_cursor(), 6u);
  // The durable cursor never moves back either.
  auto stored = a->record_peer("b", PeerState{2, 0, 0});
  ASSERT_TRUE(stored.is_ok());
  EXPECT_EQ(stored->acked_cursor, 6u);
  EXPECT_EQ(a->peer("b")->acked_cursor, 6u);
  EXPECT_EQ(a->record_peer("b", PeerState{7, 0, 0}).code(), Code::kInvalidArgument);
  EXPECT_EQ(a->peer("").code(), Code::kInvalidArgument);
}

TEST(Session, S11ReorderedBatchesApplyInSendOrder) {
  auto a = memory_log(1);
  auto b = memory_log(2);
  auto ids = append_n(*a, 4, "a");
  SessionOptions o;
  o.max_batch_ops = 2;
  auto sa = connect(*a, o);
  auto sb = accept(*b);
  // Hellos, then hold b1 back and deliver b2 first.
  ASSERT_TRUE(sb->receive(*sa->next_message()).is_ok());
  ASSERT_TRUE(sa->receive(*sb->next_message()).is_ok());
  Bytes b1 = *sa->next_message();
  Bytes b2 = *sa->next_message();
  ASSERT_TRUE(sb->receive(b2).is_ok());
  EXPECT_EQ(b->cursor(), 0u);  // refused: its dependency is not there
  ASSERT_TRUE(sa->receive(*sb->next_message()).is_ok());  // ack: rejected for order
  EXPECT_FALSE(sa->next_message().has_value());  // b2 waits for b1's ack
  ASSERT_TRUE(sb->receive(b1).is_ok());
  ASSERT_TRUE(sa->receive(*sb->next_message()).is_ok());
  pump(*sa, *sb);  // b2 again
  ASSERT_TRUE(sa->done()) << sa->error().to_string();
  auto read = b->read(1, 10).value();
  ASSERT_EQ(read.size(), 4u);
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(read[i].op.id, ids[i]);
}

TEST(Session, S17AnOpOverTheReceiversLimitsEndsTheSessionAppliedNothing) {
  auto a = memory_log(1);
  append_n(*a, 3, "payload-too-big-for-b");
  LogOptions ob;
  ob.actor = actor(2);
  ob.limits.max_payload_bytes = 4;
  auto b = Log::open_memory(ob).value();
  auto sa = connect(*a);
  auto sb = accept(*b);
  pump(*sa, *sb);
  EXPECT_EQ(sb->state(), SessionState::kFailed);
  EXPECT_EQ(sb->error().code, Code::kMalformed);
  EXPECT_EQ(sa->state(), SessionState::kFailed);  // told by an Error message
  EXPECT_EQ(sa->error().code, Code::kMalformed);
  EXPECT_NE(sa->error().message.find("peer: "), std::string::npos);
  EXPECT_EQ(b->cursor(), 0u);
}

TEST(Session, GarbageAndMisplacedMessagesFailCleanly) {
  auto a = memory_log(1);
  auto sa = connect(*a);
  (void)sa->next_message();
  EXPECT_EQ(sa->receive(bytes("not a weft message")).code(), Code::kMalformed);
  EXPECT_EQ(sa->state(), SessionState::kFailed);
  auto err = sa->next_message();
  ASSERT_TRUE(err.has_value());
  auto e = decode_error(*err);
  ASSERT_TRUE(e.is_ok());
  EXPECT_EQ(e->error.code, Code::kMalformed);
  EXPECT_FALSE(sa->next_message().has_value());

  auto b = memory_log(2);
  auto sb = accept(*b);
  EXPECT_EQ(sb->receive(encode_version_vector(VersionVector{})).code(), Code::kMalformed);
  EXPECT_EQ(b->cursor(), 0u);
}

TEST(Session, TimesOutAfterTheRetryBudget) {
  auto a = memory_log(1);
  SessionOptions o;
  o.peer = "server";
  o.retry = RetryPolicy{.base_ms = 10, .max_ms = 100, .max_attempts = 3, .seed = 1};
  o.wall_clock_ms = [] { return uint64_t{5'000}; };
  auto sa = connect(*a, o);
  int hellos = 0;
  for (uint64_t t = 0; t < 10'000 && sa->state() != SessionState::kFailed; t += 5) {
    ASSERT_TRUE(sa->tick(t).is_ok() || sa->state() == SessionState::kFailed);
    while (sa->next_message()) ++hellos;  // into the void
  }
  EXPECT_EQ(sa->error().code, Code::kTimeout);
  EXPECT_EQ(hellos, 3 + 1);  // the first, two retries, then the Error message
  auto p = a->peer("server").value();
  EXPECT_EQ(p.attempts, 3u);
  EXPECT_GT(p.next_attempt_ms, 5'000u);
}

TEST(Session, S63RetryWaitIsRebasedOnClockJumps) {
  RetryPolicy policy{.base_ms = 1000, .max_ms = 60'000, .max_attempts = 0, .seed = 7};
  const uint64_t due = 10'000'000;
  PeerState p{0, 3, due};
  const uint64_t cap = policy.delay_ms(3);
  EXPECT_EQ(retry_wait_ms(p, due - 500, policy), std::min<uint64_t>(500, cap));
  // The clock jumped back an hour: wait no longer than the policy's delay.
  EXPECT_EQ(retry_wait_ms(p, due - 3'600'000, policy), cap);
  // Forward a day: due now, once.
  EXPECT_EQ(retry_wait_ms(p, due + 86'400'000, policy), 0u);
  EXPECT_EQ(retry_wait_ms(PeerState{}, 0, policy), 0u);
}

TEST(Session, S07SameBatchOnTwoConnectionsAppliesOnce) {
  auto dir = std::filesystem::temp_directory_path() / ("weft-s07-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "server.db").string();
  auto a = memory_log(1);
  append_n(*a, 200, "a");
  Batch all = all_ops(*a);
  std::vector<Ack> acks(2);
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i) {
    threads.emplace_back([&, i] {
      auto server = open_sqlite_log(path);
      ASSERT_TRUE(server.is_ok()) << server.error().to_string();
      auto ack = server.value()->apply(all);
      ASSERT_TRUE(ack.is_ok()) << ack.error().to_string();
      acks[i] = ack.value();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(acks[0].applied.size() + acks[1].applied.size(), 200u);
  EXPECT_EQ(acks[0].duplicates.size() + acks[1].duplicates.size(), 200u);
  auto server = open_sqlite_log(path).value();
  EXPECT_EQ(server->cursor(), 200u);
  EXPECT_EQ(digest(*server), digest(*a));
  std::filesystem::remove_all(dir);
}

TEST(Session, APeerThatLostWhatItAckedGetsItAgain) {
  auto a = memory_log(1);
  append_n(*a, 10, "a");
  SessionOptions o;
  o.peer = "b";
  {
    auto b = memory_log(2);
    sync_logs(*a, *b, o);
  }
  EXPECT_EQ(a->peer("b")->acked_cursor, 10u);
  // "b" comes back empty (a memory host restarted, a backup restored): its
  // Hello decides, not the acked cursor, which never moves back.
  auto b = memory_log(2);
  auto sa = connect(*a, o);
  auto sb = accept(*b);
  pump(*sa, *sb);
  ASSERT_TRUE(sa->done()) << sa->error().to_string();
  ASSERT_TRUE(sb->done());
  EXPECT_EQ(b->cursor(), 10u);
  EXPECT_EQ(a->peer("b")->acked_cursor, 10u);
}

TEST(Session, AnOrderRefusalWithNothingEarlierOutstandingEndsTheSession) {
  auto a = memory_log(1);
  append_n(*a, 6, "a");
  auto b = memory_log(2);
  auto sa = connect(*a);
  auto sb = accept(*b);
  ASSERT_TRUE(sb->receive(*sa->next_message()).is_ok());
  // b's Hello, edited to claim a's first three ops: a skips them, and b
  // refuses op 4 for its missing dependency, however often it is resent.
  Hello lie = decode_hello(*sb->next_message()).value();
  lie.version_vector.set(actor(1), 3);
  ASSERT_TRUE(sa->receive(encode_hello(lie)).is_ok());
  size_t moved = pump(*sa, *sb);
  EXPECT_LT(moved, 10u);  // no resend loop
  EXPECT_EQ(sa->state(), SessionState::kFailed);
  EXPECT_EQ(sa->error().code, Code::kMissingDependency);
  EXPECT_TRUE(sa->error().retryable());
  EXPECT_EQ(sa->stats().resends, 1u);
  EXPECT_EQ(b->cursor(), 0u);
}

TEST(Session, AnAckNamingOtherOpsIsStale) {
  auto a = memory_log(1);
  auto b = memory_log(2);
  append_n(*a, 3, "a");
  auto sa = connect(*a);
  auto sb = accept(*b);
  ASSERT_TRUE(sb->receive(*sa->next_message()).is_ok());
  ASSERT_TRUE(sa->receive(*sb->next_message()).is_ok());
  Batch sent = decode_batch(*sa->next_message()).value();
  Ack wrong;  // right batch, right count, other ids
  wrong.batch_id = sent.batch_id;
  wrong.seq = sent.seq;
  wrong.applied = {OpId{actor(9), 1}, OpId{actor(9), 2}, OpId{actor(9), 3}};
  ASSERT_TRUE(sa->receive(encode_ack(wrong)).is_ok());
  EXPECT_EQ(sa->stats().stale_acks, 1u);
  EXPECT_EQ(sa->stats().ops_acked, 0u);
  EXPECT_FALSE(sa->done());
}

TEST(Session, RetriesOfAnEarlierSessionDoNotEatTheNextOnesBudget) {
  auto a = memory_log(1);
  append_n(*a, 2, "a");
  SessionOptions o;
  o.peer = "b";
  o.retry = RetryPolicy{.base_ms = 10, .max_ms = 10, .max_attempts = 2, .seed = 3};
  {
    auto lonely = connect(*a, o);  // nobody answers
    for (uint64_t t = 0; t < 1000 && lonely->state() != SessionState::kFailed; t += 5) {
      (void)lonely->tick(t);
      while (lonely->next_message()) {
      }
    }
    ASSERT_EQ(lonely->error().code, Code::kTimeout);
  }
  EXPECT_GE(a->peer("b")->attempts, 2u);  // spaces out the next sessions...
  auto b = memory_log(2);
  auto sa = connect(*a, o);
  auto sb = accept(*b);
  bool lost = false;
  pump(*sa, *sb, [&](Way w, const Bytes& m) {
    return w == Way::kBack && is_kind(m, MessageKind::kAck) && !lost && (lost = true);
  });
  ASSERT_TRUE(sa->tick(1000).is_ok());
  ASSERT_TRUE(sa->tick(2000).is_ok());  // ...but this one still gets its resend
  pump(*sa, *sb);
  ASSERT_TRUE(sa->done()) << sa->error().to_string();
  EXPECT_EQ(sa->stats().resends, 1u);
  EXPECT_EQ(a->peer("b")->attempts, 0u);
}

}  // namespace
}  // namespace weft
