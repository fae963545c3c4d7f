// The weft demo (scripts/demo): one agent session on two replicas, each a
// SQLite file, through the failures weft exists for.
//
//   weft_demo DIR
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "weft/codec.hpp"
#include "weft/sqlite_store.hpp"
#include "weft/token.hpp"

namespace {

using weft::AppendRequest;
using weft::Log;

[[noreturn]] void die(const std::string& what, const weft::Error& e) {
  std::fprintf(stderr, "demo: %s: %s\n", what.c_str(), e.to_string().c_str());
  std::exit(1);
}

template <typename T>
T must(weft::Result<T> r, const std::string& what) {
  if (!r) die(what, r.error());
  return std::move(r).value();
}

void must(weft::Status s, const std::string& what) {
  if (!s) die(what, s.error());
}

std::unique_ptr<Log> open(const std::string& path) {
  return must(weft::open_sqlite_log(path), "open " + path);
}

void say(const char* text) { std::printf("%s\n", text); }

weft::OpId append(Log& log, const std::string& text) {
  AppendRequest r;
  r.payload = std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size());
  r.kind = 1;
  return must(log.append(r), "append");
}

// What the receiver lacks, as the wire would carry it: encoded batches.
std::vector<weft::Bytes> wire_diff(Log& from, Log& to) {
  std::vector<weft::Bytes> out;
  for (weft::Batch& b : must(from.diff(to.version_vector()), "diff")) {
    b.epoch = to.epoch();
    out.push_back(weft::encode_batch(b));
  }
  return out;
}

weft::Ack deliver(Log& to, const weft::Bytes& bytes) {
  return must(to.apply(must(weft::decode_batch(bytes), "decode")), "apply");
}

std::string short_hex(const weft::Hash& h) { return weft::to_hex(h).substr(0, 16); }

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  const std::string laptop_path = dir + "/laptop.db", server_path = dir + "/server.db";
  std::setvbuf(stdout, nullptr, _IOLBF, 0);

  say("1. Two replicas of one agent session, each a SQLite file:");
  std::printf("   %s\n   %s\n", laptop_path.c_str(), server_path.c_str());
  auto laptop = open(laptop_path);
  auto server = open(server_path);

  say("2. Both append at the same time, offline from each other.");
  append(*laptop, R"({"role":"user","text":"Plan a train trip to Lyon"})");
  append(*laptop, R"({"tool":"search_trains","args":{"to":"Lyon"}})");
  append(*laptop, R"({"usage":{"input_tokens":812,"output_tokens":64}})");
  append(*server, R"({"workflow":"trip-planner","step":"started"})");
  append(*server, R"({"role":"assistant","text":"Looking at trains now"})");
  std::printf("   laptop holds %llu ops, server holds %llu\n",
              static_cast<unsigned long long>(laptop->cursor()),
              static_cast<unsigned long long>(server->cursor()));

  say("3. The laptop sends its ops; the server applies them, but its ack is lost.");
  auto batches = wire_diff(*laptop, *server);
  auto first = deliver(*server, batches.at(0));
  std::printf("   server applied %zu ops (the laptop never hears it)\n", first.applied.size());
  say("   The laptop retries the very same bytes:");
  auto retry = deliver(*server, batches.at(0));
  std::printf("   ack: %zu applied, %zu duplicates, %zu rejected: nothing applied twice\n",
              retry.applied.size(), retry.duplicates.size(), retry.rejected.size());
  if (retry.applied.size() != 0 || retry.duplicates.size() != first.applied.size()) return 1;

  say("4. A writer is killed (SIGKILL) in the middle of appending batches.");
  int fds[2];
  if (::pipe(fds) != 0) return 1;
  pid_t child = ::fork();
  if (child == 0) {
    ::close(fds[0]);
    auto writer = open(laptop_path);
    std::vector<AppendRequest> batch(100);
    std::string step = R"({"workflow":"trip-planner","step":"compare fares"})";
    for (auto& r : batch) r.payload = std::span(reinterpret_cast<const uint8_t*>(step.data()), step.size());
    for (;;) {
      auto ids = writer->append_many(batch);
      if (!ids) ::_exit(1);
      uint64_t acked = ids.value().back().counter;
      if (::write(fds[1], &acked, sizeof acked) != sizeof acked) ::_exit(1);
    }
  }
  ::close(fds[1]);
  uint64_t acked = 0, n = 0;
  for (int i = 0; i < 5 && ::read(fds[0], &n, sizeof n) == sizeof n; ++i) acked = n;
  ::kill(child, SIGKILL);
  while (::read(fds[0], &n, sizeof n) == sizeof n) acked = n;  // acks already sent
  ::close(fds[0]);
  ::waitpid(child, nullptr, 0);
  laptop = open(laptop_path);  // recovery is just opening the file again
  const uint64_t have = laptop->version_vector().get(laptop->actor());
  const auto report = must(laptop->verify(), "verify");
  std::printf("   the writer had %llu ops acknowledged; after reopening, %llu are there,\n"
              "   whole batches only (%s), and verify checked %llu ops: %s\n",
              static_cast<unsigned long long>(acked), static_cast<unsigned long long>(have),
              (have - 3) % 100 == 0 ? "no partial batch" : "PARTIAL BATCH",
              static_cast<unsigned long long>(report.ops), have >= acked ? "nothing lost" : "LOST");
  if (have < acked || (have - 3) % 100 != 0) return 1;

  say("5. The replicas sync both ways.");
  for (const auto& b : wire_diff(*laptop, *server)) deliver(*server, b);
  for (const auto& b : wire_diff(*server, *laptop)) deliver(*laptop, b);
  const weft::Hash a = must(laptop->digest(), "digest"), b = must(server->digest(), "digest");
  std::printf("   laptop digest %s, %llu ops\n   server digest %s, %llu ops\n", short_hex(a).c_str(),
              static_cast<unsigned long long>(laptop->cursor()), short_hex(b).c_str(),
              static_cast<unsigned long long>(server->cursor()));
  if (a != b) {
    say("   The digests differ: the replicas did NOT converge.");
    return 1;
  }
  say("   The digests are equal: both replicas hold exactly the same ops.");

  say("6. The server grants the laptop an append token, then revokes it.");
  const weft::Secret secret = weft::new_secret();
  const auto token = weft::issue_token(secret, "trip-session", server->epoch(), weft::Scope::kAppend);
  auto grant = weft::verify_token(secret, "trip-session", server->epoch(), token, weft::Scope::kAppend);
  std::printf("   token checked: %s\n", grant ? "append allowed" : grant.error().to_string().c_str());
  if (!grant) return 1;
  const uint32_t old_epoch = server->epoch();
  must(server->set_epoch(old_epoch + 1), "revoke");
  std::printf("   revoked: the log's epoch is now %u\n", server->epoch());
  auto stale = weft::verify_token(secret, "trip-session", server->epoch(), token, weft::Scope::kAppend);
  std::printf("   the old token now answers: %s\n",
              stale ? "OK (WRONG)" : stale.error().to_string().c_str());
  append(*laptop, R"({"role":"user","text":"Book the 9:04"})");
  weft::Batch late = must(laptop->diff(server->version_vector()), "diff").at(0);
  late.epoch = old_epoch;  // sent under the revoked capability
  auto refused = must(server->apply(late), "apply");
  std::printf("   a write sent under the old epoch: %s, %zu ops applied\n",
              std::string(weft::code_name(refused.status)).c_str(), refused.applied.size());
  if (stale || refused.status != weft::Code::kStaleEpoch || !refused.applied.empty()) return 1;

  say("Done: nothing lost, nothing applied twice, and a revoked writer is refused.");
  return 0;
}
