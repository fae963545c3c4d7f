// The process the crash suite kills. Appends batches of `batch` ops to the
// log at `path` (one transaction each) and, after each commit, reports the
// writer's highest acknowledged counter on stdout: "ACK <counter>".
//
//   weft_crash_child PATH ACTOR_BYTE BATCH BATCHES [full]
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "weft/sqlite_store.hpp"

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: %s PATH ACTOR_BYTE BATCH BATCHES [full]\n", argv[0]);
    return 2;
  }
  weft::SqliteOptions so;
  so.synchronous_full = argc > 5 && std::string(argv[5]) == "full";
  so.busy_timeout_ms = 10000;
  weft::LogOptions lo;
  weft::ActorId a;
  a.bytes.fill(static_cast<uint8_t>(std::atoi(argv[2])));
  lo.actor = a;
  lo.auto_seal_ops = 64;  // seal often, so kills land inside seals too
  auto log = weft::open_sqlite_log(argv[1], so, lo);
  if (!log) {
    std::fprintf(stderr, "open: %s\n", log.error().to_string().c_str());
    return 1;
  }
  const int batch = std::atoi(argv[3]);
  const int batches = std::atoi(argv[4]);
  std::vector<uint8_t> payload(64, 0xab);
  std::vector<weft::AppendRequest> reqs(batch);
  for (auto& r : reqs) r.payload = payload;
  for (int b = 0; b < batches; ++b) {
    auto ids = log.value()->append_many(reqs);
    if (!ids) {
      if (ids.code() == weft::Code::kBusy) continue;  // retried as a new batch
      std::fprintf(stderr, "append: %s\n", ids.error().to_string().c_str());
      return 1;
    }
    std::printf("ACK %llu\n", static_cast<unsigned long long>(ids.value().back().counter));
    std::fflush(stdout);
  }
  return 0;
}
