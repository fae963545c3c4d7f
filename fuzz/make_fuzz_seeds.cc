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
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "session_fuzz_script.hpp"
#include "weft/codec.hpp"
#include "weft/log.hpp"
#include "weft/session.hpp"
#include "weft/token.hpp"
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

// ------------------------------------------------------------ sync

weft::Bytes finished(fb::FlatBufferBuilder& fbb, weft::wire::Body type, fb::Offset<void> body,
                     uint32_t version = weft::kFormatVersion) {
  fbb.Finish(weft::wire::CreateMessage(fbb, version, type, body), weft::wire::MessageIdentifier());
  return {fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize()};
}

// What sessions said to each other: the first message of each kind per
// sender, named "<sender>-<kind>".
using Conversation = std::map<std::string, weft::Bytes>;

const char* kind_name(weft::MessageKind k) {
  switch (k) {
    case weft::MessageKind::kHello: return "hello";
    case weft::MessageKind::kBatch: return "batch";
    case weft::MessageKind::kChunks: return "chunks";
    case weft::MessageKind::kAck: return "ack";
    case weft::MessageKind::kError: return "error";
    default: return "other";
  }
}

// Moves messages both ways until neither session has anything to send.
void pump(weft::Session& a, weft::Session& b, const std::string& a_name,
          const std::string& b_name, Conversation& out) {
  bool any = true;
  while (any) {
    any = false;
    for (int way = 0; way < 2; ++way) {
      weft::Session& from = way == 0 ? a : b;
      weft::Session& to = way == 0 ? b : a;
      while (auto m = from.next_message()) {
        any = true;
        out.emplace((way == 0 ? a_name : b_name) + "-" + kind_name(must(weft::message_kind(*m))),
                    *m);
        (void)to.receive(*m);
      }
    }
  }
}

weft::SessionOptions session_options() {
  weft::SessionOptions o;
  o.max_batch_ops = 4;  // several batches, so acks of batches and of chunks both occur
  o.wall_clock_ms = [] { return uint64_t{1'700'000'000'000}; };
  return o;
}

// A real session between two logs: Hellos, Batches, a Chunks message and
// their Acks; then a host refusing a read-only client's push: an Error.
Conversation conversation() {
  Conversation out;
  History h;
  must(h.b->seal(actor(1), 4));  // a peer holding nothing of actor 1 is sent a chunk
  auto other = log_of(4);
  append(*other, "other", 4, 4);
  auto initiator = must(weft::Session::connect(*h.b, session_options()));
  auto responder = must(weft::Session::accept(*other, session_options()));
  pump(*initiator, *responder, "initiator", "responder", out);

  weft::Secret master{};
  weft::Host host(master, [](std::string_view) -> weft::Result<std::unique_ptr<weft::Log>> {
    return log_of(5);
  });
  weft::SessionOptions client = session_options();
  client.log_id = "log";
  client.token = must(host.issue("log", weft::Scope::kRead));
  auto pusher = must(weft::Session::connect(*h.c, client));
  auto served = must(host.accept());
  weft::Batch batch = all_of(*h.c);
  // The host grants read only, so the client does not push; a batch sent
  // anyway is refused with an Error.
  pump(*pusher, *served, "client", "host", out);
  (void)served->receive(weft::encode_batch(batch));
  while (auto m = served->next_message()) {
    out.emplace(std::string("host-") + kind_name(must(weft::message_kind(*m))), *m);
  }
  return out;
}

void sync_decode_seeds(const fs::path& dir, const Conversation& talk) {
  for (const auto& [name, bytes] : talk) write(dir, "seed-real-" + name, bytes);
  History h;
  write(dir, "seed-version-vector", weft::encode_version_vector(h.b->version_vector()));
  write(dir, "seed-version-vector-empty", weft::encode_version_vector({}));
  weft::Secret secret{};
  write(dir, "seed-token", weft::issue_token(secret, "log", 3, weft::Scope::kAppend));

  weft::Hello full;
  full.log_id = "a log";
  full.token = weft::issue_token(secret, "a log", 0, weft::Scope::kAdmin);
  full.version_vector = h.b->version_vector();
  full.cursor = 12;
  full.epoch = 7;
  write(dir, "seed-hello-full", weft::encode_hello(full));
  weft::Hello empty;
  empty.flags = 0;
  write(dir, "seed-hello-empty", weft::encode_hello(empty));

  weft::ChunksMessage chunks;
  chunks.batch_id = 1;
  chunks.seq = 2;
  chunks.chunks = {weft::Bytes(8, 1), weft::Bytes(9, 2), weft::Bytes(40, 3)};
  write(dir, "seed-chunks-framing", weft::encode_chunks(chunks));
  write(dir, "seed-error", weft::encode_error({weft::Code::kStaleEpoch, "token: revoked"}));
  write(dir, "seed-error-long",
        weft::encode_error({weft::Code::kInternal, std::string(weft::kMaxErrorMessageBytes, 'x')}));

  // The encoders write what they are given; the decoders refuse these.
  weft::Hello flags = full;
  flags.flags = 4;
  write(dir, "seed-hello-unknown-flag", weft::encode_hello(flags));
  weft::Hello long_id;
  long_id.log_id.assign(weft::kMaxLogIdBytes + 1, 'i');
  write(dir, "seed-hello-long-log-id", weft::encode_hello(long_id));
  write(dir, "seed-chunks-none", weft::encode_chunks({}));
  weft::ChunksMessage small = chunks;
  small.chunks[1].resize(7);
  write(dir, "seed-chunks-too-small", weft::encode_chunks(small));
  write(dir, "seed-error-ok", weft::encode_error({weft::Code::kOk, "fine"}));
  write(dir, "seed-error-unknown-code", weft::encode_error({weft::Code(weft::kCodeCount), "?"}));

  // Not the encoders' output, so round trips start from other byte forms.
  {
    fb::FlatBufferBuilder fbb;
    auto body = weft::wire::CreateError(fbb, static_cast<uint32_t>(weft::Code::kTimeout));
    write(dir, "seed-error-no-message", finished(fbb, weft::wire::Body::Error, body.Union()));
  }
  {
    fb::FlatBufferBuilder fbb;
    fbb.ForceDefaults(true);
    auto log_id = fbb.CreateString("");
    auto token = fbb.CreateVector(std::vector<uint8_t>{});
    auto body = weft::wire::CreateHello(fbb, log_id, token, 0, 0, 0, 3);
    write(dir, "seed-hello-defaults-written", finished(fbb, weft::wire::Body::Hello, body.Union()));
  }
  {
    fb::FlatBufferBuilder fbb;
    std::vector<weft::wire::ClockEntry> entries(2);
    entries[0].mutable_actor().mutable_b()->Mutate(0, 9);
    entries[0].mutate_counter(1);
    entries[1].mutate_counter(5);  // actor 0 after actor 9: not sorted
    auto body = weft::wire::CreateVersionVector(fbb, fbb.CreateVectorOfStructs(entries));
    write(dir, "seed-version-vector-unsorted",
          finished(fbb, weft::wire::Body::VersionVector, body.Union()));
  }
  {
    fb::FlatBufferBuilder fbb;
    auto body = weft::wire::CreateHello(fbb);
    write(dir, "seed-hello-version-2", finished(fbb, weft::wire::Body::Hello, body.Union(), 2));
  }
  // One byte over the bounds the encoders cut or the sessions check.
  {
    fb::FlatBufferBuilder fbb;
    auto token = fbb.CreateVector(std::vector<uint8_t>(weft::kMaxTokenBytes + 1, 't'));
    auto body = weft::wire::CreateHello(fbb, 0, token);
    write(dir, "seed-hello-long-token", finished(fbb, weft::wire::Body::Hello, body.Union()));
  }
  {
    fb::FlatBufferBuilder fbb;
    auto text = fbb.CreateString(std::string(weft::kMaxErrorMessageBytes + 1, 'm'));
    auto body = weft::wire::CreateError(fbb, 1, text);
    write(dir, "seed-error-long-message", finished(fbb, weft::wire::Body::Error, body.Union()));
  }
  {
    fb::FlatBufferBuilder fbb;  // a body kind this build does not know
    auto body = weft::wire::CreateError(fbb, 1);
    const auto unknown =
        static_cast<weft::wire::Body>(static_cast<uint8_t>(weft::wire::Body::MAX) + 1);
    write(dir, "seed-unknown-body", finished(fbb, unknown, body.Union()));
  }
}

// The session target reads choices (fuzz/session_fuzz_script.hpp).
void session_seeds(const fs::path& dir, const Conversation& talk) {
  namespace s = weft::fuzz::session_script;
  using Script = std::vector<uint8_t>;
  auto setup = [](uint8_t config = 0) {
    Script out(s::kSetupBytes, 0);
    out[s::kConfig] = config;
    return out;
  };
  auto side = [](Script& sc, int who, size_t field, uint8_t value) {
    sc[s::kSideOptions + static_cast<size_t>(who) * s::kOptionBytes + field] = value;
  };
  auto steps = [](Script sc, std::initializer_list<uint8_t> more) {
    sc.insert(sc.end(), more);
    return sc;
  };
  const uint8_t settle = s::step(s::kSettle, 0);

  write(dir, "seed-settle", steps(setup(), {settle}));
  Script small = setup();
  for (int who = 0; who < 2; ++who) {
    side(small, who, 1, 6);  // window 2
    side(small, who, 2, 1);  // 2 ops per batch
  }
  write(dir, "seed-small-batches", steps(small, {settle}));

  for (auto [name, token] : {std::pair{"append", s::kAppendToken}, {"read", s::kReadToken},
                             {"admin", s::kAdminToken}, {"none", s::kNoToken},
                             {"garbage", s::kGarbageToken}, {"flipped", s::kFlippedToken}}) {
    Script sc = setup(1);
    side(sc, 0, s::kToken, token);
    write(dir, std::string("seed-host-") + name, steps(sc, {settle}));
  }
  Script stale = setup(3);  // the host revoked: the old token is stale
  side(stale, 0, s::kToken, s::kStaleToken);
  write(dir, "seed-host-stale", steps(stale, {settle}));
  Script absent = setup(1);
  side(absent, 0, s::kLogId, s::kAbsentLogId);
  write(dir, "seed-host-absent-log", steps(absent, {settle}));
  Script other = setup(1);
  side(other, 0, s::kLogId, s::kOtherLogId);
  write(dir, "seed-host-other-log", steps(other, {settle}));

  // Messages lost, late, twice and damaged; the clock moves; a restart.
  const uint8_t p0 = s::step(s::kPump, 0), p1 = s::step(s::kPump, 1);
  const uint8_t d0 = s::step(s::kDeliver, 0), d1 = s::step(s::kDeliver, 1);
  const uint8_t t0 = s::step(s::kTick, 0), t1 = s::step(s::kTick, 1);
  write(dir, "seed-lossy",
        steps(small, {p0, d1, 0, 0, p1, p1, p1, d0, 0, 5, d0, 0, 0, s::step(s::kDrop, 0), p0,
                      p0, d1, 0, 6, 3, 7, t0, 3, t0, 3, t1, 2, p0, p0, d1, 1, 0, settle}));
  write(dir, "seed-restart",
        steps(small, {p0, d1, 0, 0, p1, d0, 0, 0, p1, p0, s::step(s::kRestart, 0), settle, t0, 3,
                      settle}));
  Script once = setup();
  side(once, 0, 5, 4);  // one attempt
  write(dir, "seed-timeout", steps(once, {t0, 2, t0, 2, t0, 2}));

  // Each real message, as raw bytes to the side it was meant for, and each
  // built message to each side.
  for (const auto& [name, bytes] : talk) {
    if (bytes.size() >= 1024) continue;
    const int to = name.rfind("initiator-", 0) == 0 || name.rfind("client-", 0) == 0 ? 1 : 0;
    Script sc = setup();
    side(sc, 0, s::kLogId, s::kNoLogId);  // whichever log the Hello names
    sc = steps(sc, {s::step(s::kRaw, to), static_cast<uint8_t>(bytes.size()),
                    static_cast<uint8_t>(bytes.size() >> 8)});
    sc.insert(sc.end(), bytes.begin(), bytes.end());
    sc.push_back(settle);
    write(dir, "seed-raw-" + name, sc);
  }
  const std::pair<const char*, s::Step> built[] = {{"hello", s::kHello},
                                                   {"batch", s::kBatch},
                                                   {"chunks", s::kChunks},
                                                   {"ack", s::kAck},
                                                   {"error", s::kError}};
  for (const auto& [name, st] : built) {
    for (int who = 0; who < 2; ++who) {
      write(dir, std::string("seed-built-") + name + "-" + std::to_string(who),
            steps(small, {p0, d1, 0, 0, p1, d0, 0, 0, p0, s::step(st, who), 1, 2, 3, 1, 0, 2, 1,
                          0, 1, settle}));
    }
  }
  merge_seeds(dir);  // random choices too
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
    for (const char* target : {"batch_decode", "ack_decode", "chunk_decode", "sync_decode"}) {
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
  const Conversation talk = conversation();
  sync_decode_seeds(out / "sync_decode", talk);
  session_seeds(out / "session", talk);
  if (argc == 3) copy_vectors(argv[2], out);
  std::printf("%d seeds written under %s\n", written, out.c_str());
  return 0;
}
