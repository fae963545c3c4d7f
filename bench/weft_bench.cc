// weft's benchmark: one JSON object of figures, each beside a reference
// measured in the same run (memcpy, BLAKE2b) so figures from a shared,
// drifting machine can still be compared. Workload: 64-byte random payloads.
//
//   weft_bench [--json] [--ops N]
#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "weft/codec.hpp"
#include "weft/log.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using weft::AppendRequest;
using weft::Batch;
using weft::Log;

constexpr size_t kPayload = 64;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// Best of `reps` runs of `f`, in seconds.
double best_of(int reps, const std::function<double()>& f) {
  double best = 1e300;
  for (int i = 0; i < reps; ++i) best = std::min(best, f());
  return best;
}

size_t rss_bytes() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtoull(line.c_str() + 6, nullptr, 10) * 1024;
  }
  return 0;
}

void die(const weft::Error& e, const char* what) {
  std::fprintf(stderr, "weft_bench: %s: %s\n", what, e.to_string().c_str());
  std::exit(1);
}

template <typename T>
T must(weft::Result<T> r, const char* what) {
  if (!r) die(r.error(), what);
  return std::move(r).value();
}

std::unique_ptr<Log> fresh_log(uint8_t who) {
  weft::LogOptions o;
  weft::ActorId a;
  a.bytes.fill(who);
  o.actor = a;
  return must(Log::open_memory(o), "open");
}

struct Payloads {
  std::vector<uint8_t> bytes;
  explicit Payloads(size_t n) : bytes(n * kPayload) {
    std::mt19937_64 rng(42);
    for (auto& b : bytes) b = static_cast<uint8_t>(rng());
  }
  std::span<const uint8_t> at(size_t i) const { return {bytes.data() + (i % (bytes.size() / kPayload)) * kPayload, kPayload}; }
};

void append_all(Log& log, const Payloads& p, size_t n, size_t per_call, int64_t ts0) {
  std::vector<AppendRequest> reqs(per_call);
  for (size_t i = 0; i < n; i += per_call) {
    size_t k = std::min(per_call, n - i);
    for (size_t j = 0; j < k; ++j) {
      reqs[j].payload = p.at(i + j);
      reqs[j].timestamp_ms = ts0 + static_cast<int64_t>((i + j) / 1000);  // ~1000 ops per ms
    }
    must(log.append_many(std::span(reqs.data(), k)), "append");
  }
}

}  // namespace

int main(int argc, char** argv) {
  size_t n = 200'000;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--ops") == 0 && i + 1 < argc) n = std::strtoull(argv[++i], nullptr, 10);
  }
  if (sodium_init() < 0) return 1;
  std::map<std::string, double> out;
  const Payloads payloads(1 << 16);
  const int64_t ts0 = 1'767'225'600'000;

  // Memory per op first, while the heap is small: 1M ops in a memory log.
  {
    const size_t m = 1'000'000;
    size_t before = rss_bytes();
    auto log = fresh_log(9);
    append_all(*log, payloads, m, 1000, ts0);
    out["rss_bytes_per_op"] = static_cast<double>(rss_bytes() - before) / m;
  }

  // References.
  {
    std::vector<uint8_t> src(64 << 20, 1), dst(64 << 20);
    double s = best_of(5, [&] {
      auto t = Clock::now();
      std::memcpy(dst.data(), src.data(), src.size());
      return seconds_since(t);
    });
    out["ref_memcpy_mb_per_s"] = src.size() / 1e6 / s;
    uint8_t h[32];
    double s2 = best_of(3, [&] {
      auto t = Clock::now();
      crypto_generichash_blake2b(h, 32, src.data(), src.size(), nullptr, 0);
      return seconds_since(t);
    });
    out["ref_blake2b_mb_per_s"] = src.size() / 1e6 / s2;
    const int k = 1'000'000;
    double s3 = best_of(3, [&] {
      auto t = Clock::now();
      for (int i = 0; i < k; ++i) {
        src[0] = static_cast<uint8_t>(i);
        crypto_generichash_blake2b(h, 32, src.data(), 120, nullptr, 0);
      }
      return seconds_since(t);
    });
    // One op's hash is one BLAKE2b call on ~120 bytes: the floor of append and apply.
    out["ref_blake2b_120b_per_s"] = k / s3;
  }

  // Append: one op per call, and batched 1000 per call. Each op depends on
  // the writer's previous op (one dependency, implicit in the format).
  out["append_ops_per_s"] = n / best_of(3, [&] {
    auto log = fresh_log(1);
    auto t = Clock::now();
    append_all(*log, payloads, n, 1, ts0);
    return seconds_since(t);
  });
  out["append_batched_ops_per_s"] = n / best_of(3, [&] {
    auto log = fresh_log(1);
    auto t = Clock::now();
    append_all(*log, payloads, n, 1000, ts0);
    return seconds_since(t);
  });

  // A source log and its diff as wire batches.
  auto source = fresh_log(1);
  append_all(*source, payloads, n, 1000, ts0);
  std::vector<Batch> batches = must(source->diff(weft::VersionVector{}), "diff");
  std::vector<weft::Bytes> wire;
  size_t wire_bytes = 0;
  for (const Batch& b : batches) {
    wire.push_back(weft::encode_batch(b));
    wire_bytes += wire.back().size();
  }
  out["wire_bytes_per_op"] = static_cast<double>(wire_bytes) / n;

  out["encode_mb_per_s"] = wire_bytes / 1e6 / best_of(3, [&] {
    auto t = Clock::now();
    size_t sink = 0;
    for (const Batch& b : batches) sink += weft::encode_batch(b).size();
    if (sink != wire_bytes) std::abort();
    return seconds_since(t);
  });
  out["decode_verify_mb_per_s"] = wire_bytes / 1e6 / best_of(3, [&] {
    auto t = Clock::now();
    size_t ops = 0;
    for (const auto& w : wire) ops += must(weft::decode_batch(w), "decode").ops.size();
    if (ops != n) std::abort();
    return seconds_since(t);
  });

  out["apply_ops_per_s"] = n / best_of(3, [&] {
    auto log = fresh_log(2);
    auto t = Clock::now();
    for (const Batch& b : batches) {
      if (must(log->apply(b), "apply").applied.size() != b.ops.size()) std::abort();
    }
    return seconds_since(t);
  });

  // Chunks: seal the source into chunks of the default size.
  {
    size_t chunk_bytes = 0;
    const uint64_t per_chunk = weft::kDefaultChunkOps;
    uint64_t sealed = 0;
    for (uint64_t last = per_chunk; last <= n; last += per_chunk) {
      auto rec = must(source->seal(source->actor(), last), "seal");
      chunk_bytes += must(source->get_chunk(source->actor(), rec.index), "chunk").bytes.size();
      sealed = last;
    }
    out["chunk_bytes_per_op"] = sealed ? static_cast<double>(chunk_bytes) / sealed : 0;
    out["chunk_ops"] = static_cast<double>(per_chunk);
  }

  // Merge: two replicas forked from a 10k-op common base, 100k new ops each;
  // merge one into the other (diff + apply, in process).
  {
    const size_t base = 10'000, fork = 100'000;
    out["merge_2x100k_ms"] = 1e3 * best_of(3, [&] {
      auto a = fresh_log(3);
      auto b = fresh_log(4);
      append_all(*a, payloads, base, 1000, ts0);
      must(b->merge_from(*a), "merge base");
      append_all(*a, payloads, fork, 1000, ts0 + 1000);
      append_all(*b, payloads, fork, 1000, ts0 + 2000);
      auto t = Clock::now();
      auto stats = must(a->merge_from(*b), "merge");
      double s = seconds_since(t);
      if (stats.applied != fork) std::abort();
      return s;
    });
  }

  // Ratios to the same run's references.
  out["append_vs_blake2b_120b"] = out["append_ops_per_s"] / out["ref_blake2b_120b_per_s"];
  out["apply_vs_blake2b_120b"] = out["apply_ops_per_s"] / out["ref_blake2b_120b_per_s"];
  out["decode_verify_vs_memcpy"] = out["decode_verify_mb_per_s"] / out["ref_memcpy_mb_per_s"];
  out["encode_vs_memcpy"] = out["encode_mb_per_s"] / out["ref_memcpy_mb_per_s"];
  out["merge_2x100k_vs_blake2b_100k_ms"] =
      out["merge_2x100k_ms"] / (1e3 * 100'000 / out["ref_blake2b_120b_per_s"]);
  out["ops"] = static_cast<double>(n);
  out["payload_bytes"] = kPayload;

  std::printf("{");
  bool first = true;
  for (const auto& [k, v] : out) {
    std::printf("%s\n  \"%s\": %.4f", first ? "" : ",", k.c_str(), v);
    first = false;
  }
  std::printf("\n}\n");
  return 0;
}
