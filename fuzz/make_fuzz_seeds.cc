// Writes the seed corpora of the fuzz targets: OUT_DIR/<target>/seed-*,
// plus OUT_DIR/<target>/vector-* copied from the golden vectors when
// VECTORS_DIR is given. Output is deterministic; run it only to change the
// seeds, then commit what it wrote (docs/fuzzing.md).
//
//   weft_make_fuzz_seeds OUT_DIR [VECTORS_DIR]
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "weft/codec.hpp"
#include "weft/log.hpp"
#include "weft_generated.h"

namespace {

namespace fs = std::filesystem;
namespace fb = flatbuffers;

int written = 0;

// The seeds come from the library itself; any failure here is a bug to stop on.
template <typename T>
T must(weft::Result<T> r) {
  if (!r) {
    std::fprintf(stderr, "%s\n", r.error().to_string().c_str());
    std::abort();
  }
  return std::move(r).value();
}

void write(const fs::path& dir, const std::string& name, const std::vector<uint8_t>& bytes) {
  fs::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
  ++written;
}

weft::ActorId actor(uint8_t n) {
  weft::ActorId a;
  for (size_t i = 0; i < a.bytes.size(); ++i) a.bytes[i] = static_cast<uint8_t>(n * 31 + i);
  return a;
}

std::unique_ptr<weft::Log> log_of(uint8_t n) {
  weft::LogOptions o;
  o.actor = actor(n);
  return must(weft::Log::open_memory(o));
}

void append(weft::Log& log, const std::string& payload, uint32_t kind, int64_t ts) {
  weft::AppendRequest r;
  r.payload = std::span(reinterpret_cast<const uint8_t*>(payload.data()), payload.size());
  r.kind = kind;
  r.timestamp_ms = ts;
  must(log.append(r));
}

// Three writers with merges between them, so ops carry foreign dependencies.
struct History {
  std::unique_ptr<weft::Log> a = log_of(1), b = log_of(2), c = log_of(3);

  History() {
    for (int i = 0; i < 6; ++i) append(*a, "a" + std::to_string(i), 1, 1'700'000'000'000 + i);
    must(b->merge_from(*a));
    for (int i = 0; i < 4; ++i) append(*b, std::string(static_cast<size_t>(i) * 7, 'b'), 2, -5 + i);
    must(c->merge_from(*b));
    append(*c, "{\"role\":\"tool\"}", 3, 42);
    must(a->merge_from(*c));
    append(*a, "", 0, 0);
    must(b->merge_from(*a));
  }
};

weft::Batch all_of(weft::Log& log) {
  weft::Batch batch;
  for (auto& s : must(log.read(1, SIZE_MAX))) batch.ops.push_back(std::move(s.op));
  return batch;
}

void batch_seeds(const fs::path& dir) {
  History h;
  weft::Batch everything = all_of(*h.b);
  write(dir, "seed-history", weft::encode_batch(everything));

  weft::Batch transport = everything;
  transport.batch_id = 99;
  transport.seq = 12;
  transport.expected_cursor = 3;
  transport.epoch = 4;
  write(dir, "seed-transport-fields", weft::encode_batch(transport));

  const auto diff = must(h.c->diff(weft::VersionVector{}, weft::DiffOptions{3, 1u << 20}));
  for (size_t i = 0; i < diff.size() && i < 3; ++i) {
    write(dir, "seed-diff-" + std::to_string(i), weft::encode_batch(diff[i]));
  }

  // A retry with an in-batch duplicate and a conflicting copy.
  weft::Batch dup;
  dup.ops = {everything.ops[0], everything.ops[1], everything.ops[1], everything.ops[2]};
  dup.ops[3].payload.push_back('!');
  dup.ops.push_back(dup.ops[3]);
  write(dir, "seed-duplicates", weft::encode_batch(dup));

  // Long runs and one big payload: the run-length paths with counts > 1.
  auto solo = log_of(4);
  for (int i = 0; i < 300; ++i) append(*solo, "x", 5, 1000);
  append(*solo, std::string(2000, 'y'), 6, -1);
  write(dir, "seed-long-runs", weft::encode_batch(all_of(*solo)));

  // Within the decoder's tight limits but over the narrower limits of the
  // log that batch_decode applies to, so apply's own refusals are reached.
  auto small = log_of(5);
  for (int i = 0; i < 40; ++i) append(*small, "s", 0, 0);
  write(dir, "seed-over-log-ops", weft::encode_batch(all_of(*small)));
  auto wide = log_of(6);
  append(*wide, std::string(48, 'w'), 0, 0);
  write(dir, "seed-over-log-payload", weft::encode_batch(all_of(*wide)));
  for (uint8_t k : {7, 8, 9}) {
    auto dep = log_of(k);
    append(*dep, "d", 0, 0);
    must(wide->merge_from(*dep));
  }
  append(*wide, "three deps", 0, 0);
  weft::Batch deps = all_of(*wide);
  deps.ops.erase(deps.ops.begin(), deps.ops.end() - 1);
  write(dir, "seed-over-log-deps", weft::encode_batch(deps));

  // Not the encoder's output, so round trips start from other byte forms.
  fb::FlatBufferBuilder fbb;
  auto body = weft::wire::CreateBatch(fbb, 1, 1, false, 0, 0, weft::wire::CreateOpColumns(fbb));
  fbb.Finish(weft::wire::CreateMessage(fbb, 2, weft::wire::Body::Batch, body.Union()),
             weft::wire::MessageIdentifier());
  write(dir, "seed-version-2", {fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize()});
}

void ack_seeds(const fs::path& dir) {
  History h;
  // A real ack with every outcome: applied, duplicates and rejections.
  auto replica = log_of(9);
  weft::Batch everything = all_of(*h.b);
  weft::Batch first = everything;
  first.ops.resize(everything.ops.size() / 2);
  must(replica->apply(first));
  weft::Batch mixed = everything;
  std::swap(mixed.ops.front(), mixed.ops.back());
  mixed.ops[1].payload.push_back('?');
  mixed.batch_id = 5;
  mixed.seq = 2;
  write(dir, "seed-apply-outcomes", weft::encode_ack(must(replica->apply(mixed))));

  weft::Ack every_code;
  every_code.cursor = 1u << 30;
  for (uint32_t c = 1; c < weft::kCodeCount; ++c) {
    const weft::OpId id{actor(static_cast<uint8_t>(c % 3)), c};
    every_code.rejected.push_back({id, weft::Code(c)});
  }
  for (uint64_t k = 1; k <= 40; ++k) every_code.applied.push_back({actor(7), k});
  write(dir, "seed-every-code", weft::encode_ack(every_code));

  weft::Ack denied;
  denied.batch_id = 3;
  denied.status = weft::Code::kPermissionDenied;
  write(dir, "seed-denied", weft::encode_ack(denied));

  // The encoder writes what it is given; the decoder refuses these two.
  weft::Ack disclosing = denied;
  disclosing.applied.push_back({actor(1), 1});
  write(dir, "seed-denied-with-outcomes", weft::encode_ack(disclosing));
  weft::Ack uncoded;
  uncoded.rejected.push_back({{actor(2), 4}, weft::Code::kOk});  // an all-zero column is omitted
  write(dir, "seed-rejected-without-codes", weft::encode_ack(uncoded));
}

void chunk_seeds(const fs::path& dir) {
  History h;
  // Chunks 0 and 1 of a writer with foreign dependencies, and a chunk with
  // none, which a fresh log accepts.
  auto seal_bytes = [](weft::Log& log, const weft::ActorId& who, uint64_t last) {
    const auto rec = must(log.seal(who, last));
    return must(log.get_chunk(who, rec.index)).bytes;
  };
  write(dir, "seed-chunk-0", seal_bytes(*h.a, actor(1), 3));
  write(dir, "seed-chunk-1-deps", seal_bytes(*h.a, actor(1), 7));
  write(dir, "seed-chunk-foreign", seal_bytes(*h.b, actor(3), 1));

  auto solo = log_of(4);
  for (int i = 0; i < 200; ++i) append(*solo, std::string(static_cast<size_t>(i % 5), 'z'), 7, i);
  write(dir, "seed-chunk-long", seal_bytes(*solo, actor(4), 200));
}

// The merge target reads its input as a stream of choices: any bytes will
// do, and a few lengths make the generator take short and long paths.
void merge_seeds(const fs::path& dir) {
  uint64_t state = 0x9e3779b97f4a7c15u;
  auto next = [&] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return static_cast<uint8_t>(state);
  };
  for (size_t len : {8, 32, 96, 256, 512, 1024}) {
    std::vector<uint8_t> bytes(len);
    for (uint8_t& b : bytes) b = next();
    write(dir, "seed-random-" + std::to_string(len), bytes);
  }
  write(dir, "seed-zeros", std::vector<uint8_t>(64, 0));
  write(dir, "seed-ones", std::vector<uint8_t>(256, 0xff));
}

void copy_vectors(const fs::path& vectors, const fs::path& out) {
  for (const auto& entry : fs::directory_iterator(vectors)) {
    const fs::path& p = entry.path();
    if (p.extension() != ".bin") continue;
    const std::string name = p.stem().string();
    std::ifstream in(p, std::ios::binary);
    const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                     std::istreambuf_iterator<char>());
    // Every decoder gets every vector: the wrong body type is a path too.
    for (const char* target : {"batch_decode", "ack_decode", "chunk_decode"}) {
      write(out / target, "vector-" + name, bytes);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: %s OUT_DIR [VECTORS_DIR]\n", argv[0]);
    return 2;
  }
  const fs::path out(argv[1]);
  batch_seeds(out / "batch_decode");
  ack_seeds(out / "ack_decode");
  chunk_seeds(out / "chunk_decode");
  merge_seeds(out / "merge");
  if (argc == 3) copy_vectors(argv[2], out);
  std::printf("%d seeds written under %s\n", written, out.c_str());
  return 0;
}
