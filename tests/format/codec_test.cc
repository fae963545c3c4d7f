#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <random>

#include "test_util.hpp"
#include "format/rle.hpp"
#include "weft_generated.h"

namespace weft {
namespace {

using testing::actor;
using testing::make_op;

Batch sample_batch() {
  Batch b;
  b.batch_id = 0x1122334455667788ULL;
  b.seq = 42;
  b.expected_cursor = 17;
  b.epoch = 3;
  b.ops.push_back(make_op(actor(1), 1, 1, "first", {}, 1, 1'700'000'000'000));
  b.ops.push_back(make_op(actor(1), 2, 2, "second", {}, 1, 1'700'000'000'005));
  b.ops.push_back(make_op(actor(2), 1, 3, "", {{actor(1), 2}}, 2, -5));
  b.ops.push_back(make_op(actor(1), 3, 4, std::string(300, 'x'), {{actor(2), 1}}, 0, 0));
  return b;
}

TEST(Codec, BatchRoundTripIsExactAndDeterministic) {
  Batch b = sample_batch();
  Bytes e1 = encode_batch(b);
  Bytes e2 = encode_batch(b);
  EXPECT_EQ(e1, e2);
  auto d = decode_batch(e1);
  ASSERT_TRUE(d.is_ok()) << d.error().to_string();
  EXPECT_EQ(d.value(), b);
  EXPECT_EQ(encode_batch(d.value()), e1);
}

TEST(Codec, EmptyBatchAndNoExpectedCursor) {
  Batch b;
  b.batch_id = 9;
  auto d = decode_batch(encode_batch(b));
  ASSERT_TRUE(d.is_ok());
  EXPECT_EQ(d.value(), b);
  EXPECT_FALSE(d.value().expected_cursor.has_value());
}

TEST(Codec, AckRoundTrip) {
  Ack a;
  a.batch_id = 5;
  a.seq = 6;
  a.cursor = 99;
  a.applied = {{actor(1), 1}, {actor(1), 2}, {actor(1), 3}, {actor(2), 7}};
  a.duplicates = {{actor(2), 1}};
  a.rejected = {{{actor(3), 4}, Code::kConflict}, {{actor(3), 5}, Code::kMissingDependency}};
  auto d = decode_ack(encode_ack(a));
  ASSERT_TRUE(d.is_ok()) << d.error().to_string();
  EXPECT_EQ(d.value(), a);

  Ack stale;
  stale.status = Code::kStaleEpoch;
  auto s = decode_ack(encode_ack(stale));
  ASSERT_TRUE(s.is_ok());
  EXPECT_EQ(s.value(), stale);
}

TEST(Codec, AckRefusesPerOpOutcomesOnBatchLevelStatus) {
  Ack a;
  a.status = Code::kStaleEpoch;
  a.applied = {{actor(1), 1}};
  auto d = decode_ack(encode_ack(a));
  EXPECT_EQ(d.code(), Code::kMalformed);
}

// An ack's few run-length bytes may name many ids; all of its lists together
// stay within max_ops, at the default limit as at a small one.
TEST(Codec, AckIdsAreBoundedByMaxOpsAcrossItsLists) {
  Ack a;
  const uint64_t limit = Limits{}.max_ops;
  for (uint64_t c = 1; c <= limit; ++c) a.applied.push_back({actor(1), c});
  auto at_limit = decode_ack(encode_ack(a));
  ASSERT_TRUE(at_limit.is_ok()) << at_limit.error().to_string();
  EXPECT_EQ(at_limit->applied.size(), limit);

  a.duplicates = {{actor(2), 1}};
  auto over = decode_ack(encode_ack(a));
  ASSERT_EQ(over.code(), Code::kMalformed);
  EXPECT_NE(over.error().message.find("ack.duplicates: more than 1048576 ids"), std::string::npos)
      << over.error().message;

  Ack small;
  small.applied = {{actor(1), 1}, {actor(1), 2}};
  small.rejected = {{{actor(3), 4}, Code::kConflict}};
  Limits two;
  two.max_ops = 2;
  auto refused = decode_ack(encode_ack(small), two);
  ASSERT_EQ(refused.code(), Code::kMalformed);
  EXPECT_NE(refused.error().message.find("ack.rejected: more than 2 ids"), std::string::npos)
      << refused.error().message;
}

TEST(Codec, ChunkRoundTripAndSealRecord) {
  Chunk c{actor(4), 2, {}, {}};
  c.prev_digest[0] = 0xab;
  c.ops.push_back(make_op(actor(4), 10, 10, "a"));
  c.ops.push_back(make_op(actor(4), 11, 12, "b", {{actor(7), 3}}));
  auto e = encode_chunk(c);
  ASSERT_TRUE(e.is_ok());
  auto d = decode_chunk(e.value());
  ASSERT_TRUE(d.is_ok()) << d.error().to_string();
  EXPECT_EQ(d.value(), c);
  SealRecord r = seal_record(c, e.value());
  EXPECT_EQ(r.first, 10u);
  EXPECT_EQ(r.last, 11u);
  EXPECT_EQ(r.index, 2u);
  EXPECT_EQ(r.digest, blake2b_256(e.value()));
}

TEST(Codec, EncodeChunkRefusesNonContiguousOrMixedActors) {
  Chunk gap{actor(4), 0, {}, {make_op(actor(4), 1, 1, "a"), make_op(actor(4), 3, 3, "c")}};
  EXPECT_EQ(encode_chunk(gap).code(), Code::kInvalidArgument);
  Chunk mixed{actor(4), 0, {}, {make_op(actor(4), 1, 1, "a"), make_op(actor(5), 2, 2, "c")}};
  EXPECT_EQ(encode_chunk(mixed).code(), Code::kInvalidArgument);
  Chunk empty{actor(4), 0, {}, {}};
  EXPECT_EQ(encode_chunk(empty).code(), Code::kInvalidArgument);
}

TEST(Codec, WrongBodyTypeIsMalformedNamingBoth) {
  auto d = decode_chunk(encode_batch(sample_batch()));
  ASSERT_EQ(d.code(), Code::kMalformed);
  EXPECT_NE(d.error().message.find("expected Chunk"), std::string::npos);
  EXPECT_EQ(decode_ack(encode_batch(sample_batch())).code(), Code::kMalformed);
}

TEST(Codec, WrongIdentifierAndShortInput) {
  Bytes e = encode_batch(sample_batch());
  e[4] = 'X';
  auto d = decode_batch(e);
  ASSERT_EQ(d.code(), Code::kMalformed);
  EXPECT_NE(d.error().message.find("identifier"), std::string::npos);
  EXPECT_EQ(decode_batch({}).code(), Code::kMalformed);
}

TEST(Codec, EveryTruncationIsRefusedOrLosesOnlyPadding) {
  const Batch b = sample_batch();
  Bytes e = encode_batch(b);
  size_t refused = 0;
  for (size_t n = 0; n < e.size(); ++n) {
    auto d = decode_batch(std::span(e.data(), n));
    // Cutting trailing alignment padding leaves the same message; anything
    // else must be refused, never decoded into different content.
    if (d.is_ok()) {
      EXPECT_EQ(d.value(), b) << n;
    } else {
      ++refused;
    }
  }
  EXPECT_GE(refused, e.size() - 8);
}

TEST(Codec, RandomByteFlipsNeverCrashAndAnswerTypedErrors) {
  Bytes e = encode_batch(sample_batch());
  std::mt19937 rng(1234);
  for (int trial = 0; trial < 20000; ++trial) {
    Bytes m = e;
    int flips = 1 + trial % 4;
    for (int f = 0; f < flips; ++f) m[rng() % m.size()] ^= static_cast<uint8_t>(1 + rng() % 255);
    auto d = decode_batch(m);
    if (!d.is_ok()) {
      EXPECT_TRUE(d.code() == Code::kMalformed || d.code() == Code::kUnsupportedVersion)
          << d.error().to_string();
      EXPECT_FALSE(d.error().message.empty());
    }
  }
}

// Hand-built messages exercising the semantic checks.
namespace fb = flatbuffers;

struct Crafted {
  std::vector<wire::CounterRun> runs{wire::CounterRun(1, 0, 2)};
  std::vector<rle::Run> lamport{{1, 2}};
  std::vector<rle::Run> payload_size{{1, 2}};
  std::vector<rle::Run> dep_count;
  std::vector<uint32_t> dep_actor;
  std::vector<uint64_t> dep_counter;
  std::string payloads = "ab";
  int actors = 1;
  bool repeat_actor = false;  // the last actor table entry repeats the first
  uint32_t version = kFormatVersion;

  Bytes build() const {
    fb::FlatBufferBuilder fbb;
    std::vector<wire::ActorBytes> acts(actors);
    for (int i = 0; i < actors; ++i) {
      ActorId a = actor(static_cast<uint8_t>(repeat_actor && i == actors - 1 ? 1 : i + 1));
      std::memcpy(acts[i].mutable_b()->Data(), a.bytes.data(), 16);
    }
    auto pl = fbb.CreateVector(reinterpret_cast<const uint8_t*>(payloads.data()), payloads.size());
    auto dc = dep_counter.empty() ? 0 : fbb.CreateVector(dep_counter);
    auto da = dep_actor.empty() ? 0 : fbb.CreateVector(dep_actor);
    auto dn = dep_count.empty() ? 0 : fbb.CreateVector(rle::encode(dep_count));
    auto ps = fbb.CreateVector(rle::encode(payload_size));
    auto lp = fbb.CreateVector(rle::encode(lamport));
    auto rs = fbb.CreateVectorOfStructs(runs);
    auto ac = fbb.CreateVectorOfStructs(acts);
    auto cols = wire::CreateOpColumns(fbb, ac, rs, lp, 0, 0, ps, dn, da, dc, pl);
    auto body = wire::CreateBatch(fbb, 1, 1, false, 0, 0, cols);
    fbb.Finish(wire::CreateMessage(fbb, version, wire::Body::Batch, body.Union()),
               wire::MessageIdentifier());
    return Bytes(fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize());
  }
};

void expect_malformed(const Crafted& c, std::string_view field, const Limits& limits = {}) {
  auto d = decode_batch(c.build(), limits);
  ASSERT_EQ(d.code(), Code::kMalformed) << field;
  EXPECT_NE(d.error().message.find(field), std::string::npos) << d.error().message;
}

TEST(CodecSemantics, CraftedBaselineDecodes) {
  auto d = decode_batch(Crafted{}.build());
  ASSERT_TRUE(d.is_ok()) << d.error().to_string();
  ASSERT_EQ(d.value().ops.size(), 2u);
  EXPECT_EQ(d.value().ops[1].lamport, 2u);
  EXPECT_EQ(d.value().ops[1].payload, testing::bytes("b"));
}

TEST(CodecSemantics, NewerFormatVersionIsUnsupported) {
  Crafted c;
  c.version = kFormatVersion + 1;
  auto d = decode_batch(c.build());
  ASSERT_EQ(d.code(), Code::kUnsupportedVersion);
  EXPECT_NE(d.error().message.find("format_version 2"), std::string::npos);
  c.version = 0;
  EXPECT_EQ(decode_batch(c.build()).code(), Code::kMalformed);
}

TEST(CodecSemantics, EachFieldCheckNamesTheField) {
  { Crafted c; c.runs = {wire::CounterRun(0, 0, 2)}; expect_malformed(c, "runs[0].first"); }
  { Crafted c; c.runs = {wire::CounterRun(1, 5, 2)}; expect_malformed(c, "runs[0].actor"); }
  { Crafted c; c.runs = {wire::CounterRun(1, 0, 0)}; expect_malformed(c, "runs[0].count"); }
  { Crafted c; c.runs = {wire::CounterRun(UINT64_MAX, 0, 2)}; expect_malformed(c, "overflow"); }
  { Crafted c; c.lamport = {rle::Run{1, 3}}; expect_malformed(c, "lamport_delta"); }
  { Crafted c; c.lamport = {rle::Run{1, 0}, rle::Run{1, 2}}; expect_malformed(c, "run count 0"); }
  { Crafted c; c.lamport = {rle::Run{0, 2}}; expect_malformed(c, ".lamport: 0"); }
  { Crafted c; c.lamport = {rle::Run{2, 1}, rle::Run{-1, 1}}; expect_malformed(c, "lamport"); }
  { Crafted c; c.payload_size = {rle::Run{-1, 2}}; expect_malformed(c, "payload_size"); }
  { Crafted c; c.payloads = "abc"; expect_malformed(c, "payloads"); }
  { Crafted c; c.dep_count = {rle::Run{1, 2}}; expect_malformed(c, "dep_actor/dep_counter"); }
  {
    // An op depending on its own actor is not canonical.
    Crafted c;
    c.dep_count = {rle::Run{0, 1}, rle::Run{1, 1}};
    c.dep_actor = {0};
    c.dep_counter = {1};
    expect_malformed(c, "deps");
  }
  {
    Crafted c;
    c.actors = 2;
    c.dep_count = {rle::Run{0, 1}, rle::Run{1, 1}};
    c.dep_actor = {7};
    c.dep_counter = {1};
    expect_malformed(c, "dep_actor[0]");
  }
}

TEST(CodecSemantics, DependencyCycleInsideABatchIsRefusedUpFront) {
  // (a1,1) depends on (a2,1) and (a2,1) on (a1,1): no lamport assignment works.
  Crafted c;
  c.actors = 2;
  c.runs = {wire::CounterRun(1, 0, 1), wire::CounterRun(1, 1, 1)};
  c.lamport = {rle::Run{2, 1}, rle::Run{1, 1}};  // 2, 3
  c.dep_count = {rle::Run{1, 2}};
  c.dep_actor = {1, 0};
  c.dep_counter = {1, 1};
  expect_malformed(c, "is not above dependency");
}

TEST(CodecSemantics, LimitsAreEnforcedBeforeAllocation) {
  Limits small;
  small.max_ops = 1;
  expect_malformed(Crafted{}, "more than 1 ops", small);
  Limits tiny_payload;
  tiny_payload.max_payload_bytes = 0;
  expect_malformed(Crafted{}, "payload_size", tiny_payload);
  Limits tiny_message;
  tiny_message.max_message_bytes = 16;
  expect_malformed(Crafted{}, "over the limit", tiny_message);
  Limits one_actor;
  one_actor.max_actors = 0;
  expect_malformed(Crafted{}, "actors", one_actor);
}

TEST(Codec, SingleActorBatchesCostAFractionOfAByteOverPayload) {
  Batch b;
  std::mt19937 rng(9);
  for (uint64_t i = 1; i <= 4096; ++i) {
    Op op = make_op(actor(1), i, i, "", {}, 0, 1'700'000'000'000);
    op.payload.resize(64);
    for (auto& x : op.payload) x = static_cast<uint8_t>(rng());
    b.ops.push_back(std::move(op));
  }
  double per_op = static_cast<double>(encode_batch(b).size()) / b.ops.size();
  EXPECT_LT(per_op, 64.1);
  EXPECT_GE(per_op, 64.0);
}

}  // namespace
}  // namespace weft

namespace weft {
namespace {

TEST(RunLength, RoundTripsExtremesAndRefusesBadVarints) {
  std::vector<rle::Run> runs{{0, 1}, {-1, 2}, {INT64_MIN, 3}, {INT64_MAX, UINT64_MAX}, {64, 300}};
  auto parsed = rle::parse(rle::encode(runs), "col");
  ASSERT_TRUE(parsed.is_ok());
  ASSERT_EQ(parsed->size(), runs.size());
  for (size_t i = 0; i < runs.size(); ++i) {
    EXPECT_EQ((*parsed)[i].value, runs[i].value);
    EXPECT_EQ((*parsed)[i].count, runs[i].count);
  }
  std::vector<uint8_t> truncated{0x80};
  EXPECT_EQ(rle::parse(truncated, "col").code(), Code::kMalformed);
  std::vector<uint8_t> too_long(11, 0xff);
  too_long.push_back(0);
  EXPECT_EQ(rle::parse(too_long, "col").code(), Code::kMalformed);
  std::vector<uint8_t> value_only{0x02};
  auto r = rle::parse(value_only, "col");
  ASSERT_EQ(r.code(), Code::kMalformed);
  EXPECT_NE(r.error().message.find("col"), std::string::npos);
}

}  // namespace
}  // namespace weft

namespace weft {
namespace {

TEST(Codec, DecodesFromAnUnalignedSlice) {
  Bytes e = encode_batch(sample_batch());
  std::vector<uint8_t> shifted(e.size() + 3);
  std::memcpy(shifted.data() + 3, e.data(), e.size());
  auto d = decode_batch(std::span(shifted.data() + 3, e.size()));
  ASSERT_TRUE(d.is_ok()) << d.error().to_string();
  EXPECT_EQ(d.value(), sample_batch());
}

}  // namespace
}  // namespace weft

namespace weft {
namespace {

// Found by the batch_decode fuzzer: a table listing one actor twice hid a
// dependency from the in-message lamport check, so the decoder accepted a
// batch whose canonical re-encoding it refused.
TEST(CodecSemantics, RepeatedActorInTheTableIsMalformed) {
  Crafted c;
  c.actors = 2;
  c.repeat_actor = true;
  c.runs = {wire::CounterRun(1, 0, 1), wire::CounterRun(2, 1, 1)};
  c.lamport = {rle::Run{2, 1}, rle::Run{-1, 1}};  // 2, then 1: an inversion
  c.payload_size = {rle::Run{1, 2}};
  expect_malformed(c, "repeats actors[0]");
}

// Found by the fuzzers: an empty input at an unaligned address was copied
// with memcpy to a null pointer.
TEST(Codec, EmptyUnalignedInputIsMalformedWithoutUndefinedBehaviour) {
  uint8_t buf[16] = {};
  std::span<const uint8_t> empty(buf + 3, 0);
  EXPECT_EQ(decode_batch(empty).code(), Code::kMalformed);
  EXPECT_EQ(decode_ack(empty).code(), Code::kMalformed);
  EXPECT_EQ(decode_chunk(empty).code(), Code::kMalformed);
  EXPECT_EQ(decode_version_vector(empty).code(), Code::kMalformed);
}

// Found by the chunk_decode fuzzer: decode_chunk read ops.runs[0] before it
// checked that the runs vector was 8-byte aligned.
TEST(Codec, MisalignedChunkRunsAreMalformed) {
  const std::string path = std::string(WEFT_VECTORS_DIR) + "/../../fuzz/corpus/chunk_decode/regress-misaligned-runs";
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in.good()) << path;
  Bytes b((std::istreambuf_iterator<char>(in)), {});
  auto d = decode_chunk(b);
  ASSERT_EQ(d.code(), Code::kMalformed);
  EXPECT_NE(d.error().message.find("aligned"), std::string::npos) << d.error().message;
}

// A repeated id must not hide the in-batch lamport check: the verdict on
// B1 (lamport 3, depending on A3 at lamport 3) is the same whichever op
// of A repeats.
TEST(CodecSemantics, RepeatedIdDoesNotHideTheLamportCheck) {
  const ActorId a = actor(1), b = actor(2);
  for (uint64_t repeated : {1u, 2u, 3u}) {
    Batch batch;
    batch.ops = {make_op(a, 1, 1, "1"), make_op(a, 2, 2, "2"), make_op(a, 3, 3, "3"),
                 make_op(a, repeated, repeated, "r"), make_op(b, 1, 3, "b", {OpId{a, 3}})};
    auto d = decode_batch(encode_batch(batch));
    ASSERT_EQ(d.code(), Code::kMalformed) << "A" << repeated << " repeated";
    EXPECT_NE(d.error().message.find("is not above dependency"), std::string::npos)
        << d.error().message;
  }
  // The same batch with B1 at lamport 4 is canonical: repeats alone are not.
  Batch ok;
  ok.ops = {make_op(a, 1, 1, "1"), make_op(a, 2, 2, "2"), make_op(a, 3, 3, "3"),
            make_op(a, 2, 2, "2"), make_op(b, 1, 4, "b", {OpId{a, 3}})};
  auto d = decode_batch(encode_batch(ok));
  ASSERT_TRUE(d.is_ok()) << d.error().to_string();
  EXPECT_EQ(d->ops.size(), 5u);
}

// A repeat with a higher lamport than the op that depends on it is refused,
// whichever copy comes first.
TEST(CodecSemantics, RepeatedIdIsCheckedAgainstEveryOccurrence) {
  const ActorId a = actor(1);
  Batch batch;
  batch.ops = {make_op(a, 1, 1, "1"), make_op(a, 2, 2, "2"), make_op(a, 1, 5, "x")};
  EXPECT_EQ(decode_batch(encode_batch(batch)).code(), Code::kMalformed);
}

}  // namespace
}  // namespace weft
