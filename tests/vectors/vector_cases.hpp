// The golden vectors: logical content, shared by the generator and the test.
// Every integer stays below 2^53 so JSON readers in any language read it exactly.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "weft/codec.hpp"
#include "weft/types.hpp"

namespace weft::vectors {

inline ActorId vec_actor(uint8_t n) {
  ActorId a;
  for (size_t i = 0; i < a.bytes.size(); ++i) a.bytes[i] = static_cast<uint8_t>(n * 16 + i);
  return a;
}

inline Op vec_op(uint8_t a, uint64_t counter, uint64_t lamport, std::string payload,
                 std::vector<OpId> deps = {}, uint32_t kind = 1, int64_t ts = 1'767'225'600'000) {
  return Op{OpId{vec_actor(a), counter}, std::move(deps), lamport, kind, ts,
            std::vector<uint8_t>(payload.begin(), payload.end())};
}

using Content = std::variant<Batch, Ack, Chunk>;

struct Case {
  std::string name;
  Content content;
};

inline Chunk chunk0() {
  return Chunk{vec_actor(1), 0, {}, {vec_op(1, 1, 1, "a"), vec_op(1, 2, 2, "bb"),
                                     vec_op(1, 3, 3, "ccc")}};
}

inline std::vector<Case> cases() {
  std::vector<Case> out;
  {
    Batch b;
    b.batch_id = 1;
    b.seq = 1;
    for (uint64_t i = 1; i <= 5; ++i) {
      b.ops.push_back(vec_op(1, i, i, "hello " + std::to_string(i), {}, 1,
                             1'767'225'600'000 + static_cast<int64_t>(i) * 10));
    }
    out.push_back({"batch_single_actor", b});
  }
  {
    Batch b;
    b.batch_id = 7;
    b.seq = 3;
    b.expected_cursor = 2;
    b.epoch = 2;
    b.ops.push_back(vec_op(2, 1, 1, "{\"role\":\"user\"}", {}, 10));
    b.ops.push_back(vec_op(3, 1, 2, "tool_call", {{vec_actor(2), 1}}, 11));
    b.ops.push_back(vec_op(2, 2, 3, "", {{vec_actor(3), 1}}, 12, -1));
    b.ops.push_back(vec_op(4, 1, 4, std::string(70, 'z'), {{vec_actor(2), 2}, {vec_actor(3), 1}},
                           4294967295u, 0));
    out.push_back({"batch_multi_actor_deps", b});
  }
  out.push_back({"batch_empty", Batch{}});
  {
    Ack a;
    a.batch_id = 7;
    a.seq = 3;
    a.cursor = 12;
    a.applied = {{vec_actor(2), 1}, {vec_actor(2), 2}, {vec_actor(3), 1}};
    a.duplicates = {{vec_actor(4), 1}};
    a.rejected = {{{vec_actor(5), 2}, Code::kMissingDependency},
                  {{vec_actor(5), 3}, Code::kMissingDependency},
                  {{vec_actor(6), 1}, Code::kConflict}};
    out.push_back({"ack_mixed", a});
  }
  {
    Ack a;
    a.batch_id = 8;
    a.seq = 4;
    a.status = Code::kStaleEpoch;
    out.push_back({"ack_stale_epoch", a});
  }
  Chunk c0 = chunk0();
  out.push_back({"chunk_first", c0});
  {
    Chunk c1{vec_actor(1), 1, blake2b_256(encode_chunk(c0).value()),
             {vec_op(1, 4, 5, "dddd", {{vec_actor(2), 1}}), vec_op(1, 5, 6, "eeeee")}};
    out.push_back({"chunk_second", c1});
  }
  return out;
}

inline Bytes encode(const Content& c) {
  if (auto* b = std::get_if<Batch>(&c)) return encode_batch(*b);
  if (auto* a = std::get_if<Ack>(&c)) return encode_ack(*a);
  return encode_chunk(std::get<Chunk>(c)).value();
}

inline std::string json_ids(const std::vector<OpId>& ids) {
  std::string s = "[";
  for (size_t i = 0; i < ids.size(); ++i) {
    s += (i ? "," : "") + std::string("{\"actor\":\"") + ids[i].actor.hex() +
         "\",\"counter\":" + std::to_string(ids[i].counter) + "}";
  }
  return s + "]";
}

inline std::string json_ops(const std::vector<Op>& ops) {
  std::string s = "[";
  for (size_t i = 0; i < ops.size(); ++i) {
    const Op& o = ops[i];
    s += std::string(i ? ",\n    " : "\n    ") + "{\"actor\":\"" + o.id.actor.hex() +
         "\",\"counter\":" + std::to_string(o.id.counter) +
         ",\"lamport\":" + std::to_string(o.lamport) + ",\"kind\":" + std::to_string(o.kind) +
         ",\"timestamp_ms\":" + std::to_string(o.timestamp_ms) + ",\"deps\":" + json_ids(o.deps) +
         ",\"payload_hex\":\"" + to_hex(o.payload) + "\"}";
  }
  return s + (ops.empty() ? "]" : "\n  ]");
}

// The expected decoded content, as the JSON checked in beside the bytes.
inline std::string to_json(const Content& c, const Bytes& encoded) {
  std::string s = "{\n";
  if (auto* b = std::get_if<Batch>(&c)) {
    s += "  \"type\": \"batch\",\n  \"batch_id\": " + std::to_string(b->batch_id) +
         ",\n  \"seq\": " + std::to_string(b->seq) + ",\n  \"expected_cursor\": " +
         (b->expected_cursor ? std::to_string(*b->expected_cursor) : "null") +
         ",\n  \"epoch\": " + std::to_string(b->epoch) + ",\n  \"ops\": " + json_ops(b->ops);
  } else if (auto* a = std::get_if<Ack>(&c)) {
    s += "  \"type\": \"ack\",\n  \"batch_id\": " + std::to_string(a->batch_id) +
         ",\n  \"seq\": " + std::to_string(a->seq) + ",\n  \"status\": \"" +
         std::string(code_name(a->status)) + "\",\n  \"cursor\": " + std::to_string(a->cursor) +
         ",\n  \"applied\": " + json_ids(a->applied) + ",\n  \"duplicates\": " +
         json_ids(a->duplicates) + ",\n  \"rejected\": [";
    for (size_t i = 0; i < a->rejected.size(); ++i) {
      s += (i ? "," : "") + std::string("{\"actor\":\"") + a->rejected[i].id.actor.hex() +
           "\",\"counter\":" + std::to_string(a->rejected[i].id.counter) + ",\"code\":\"" +
           std::string(code_name(a->rejected[i].code)) + "\"}";
    }
    s += "]";
  } else {
    const Chunk& k = std::get<Chunk>(c);
    s += "  \"type\": \"chunk\",\n  \"actor\": \"" + k.actor.hex() +
         "\",\n  \"index\": " + std::to_string(k.index) + ",\n  \"first\": " +
         std::to_string(k.first()) + ",\n  \"last\": " + std::to_string(k.last()) +
         ",\n  \"prev_digest\": \"" + to_hex(k.prev_digest) + "\",\n  \"digest\": \"" +
         to_hex(blake2b_256(encoded)) + "\",\n  \"ops\": " + json_ops(k.ops);
  }
  return s + "\n}\n";
}

}  // namespace weft::vectors
