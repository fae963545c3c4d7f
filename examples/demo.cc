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
#include "weft/session.hpp"
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

bool is(const weft::Bytes& m, weft::MessageKind k) {
  auto kind = weft::message_kind(m);
  return kind && kind.value() == k;
}

// Carries messages between two sessions, as a network would, until both
// are quiet. `lose` may drop a message (it never arrives).
template <typename Lose>
void carry(weft::Session& laptop, weft::Session& server, Lose lose) {
  bool any = true;
  while (any) {
    any = false;
    while (auto m = laptop.next_message()) {
      any = true;
      if (!lose(false, *m)) (void)server.receive(*m);
    }
    while (auto m = server.next_message()) {
      any = true;
      if (!lose(true, *m)) (void)laptop.receive(*m);
    }
  }
}

void carry(weft::Session& laptop, weft::Session& server) {
  carry(laptop, server, [](bool, const weft::Bytes&) { return false; });
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
  // The server hosts the log "trip-session" and checks capabilities.
  weft::Host host(weft::new_secret(), [&](std::string_view id)
                                          -> weft::Result<std::unique_ptr<Log>> {
    if (id != "trip-session") return weft::make_error(weft::Code::kNotFound, "no such log");
    return weft::open_sqlite_log(server_path);
  });
  Log& server = *must(host.log("trip-session"), "host");
  const weft::Bytes token = must(host.issue("trip-session", weft::Scope::kAppend), "issue");
  weft::SessionOptions options;
  options.peer = "server";  // the laptop's outbox remembers what the server confirmed
  options.log_id = "trip-session";
  options.token = token;

  say("2. Both append at the same time, offline from each other.");
  append(*laptop, R"({"role":"user","text":"Plan a train trip to Lyon"})");
  append(*laptop, R"({"tool":"search_trains","args":{"to":"Lyon"}})");
  append(*laptop, R"({"usage":{"input_tokens":812,"output_tokens":64}})");
  append(server, R"({"workflow":"trip-planner","step":"started"})");
  append(server, R"({"role":"assistant","text":"Looking at trains now"})");
  std::printf("   laptop holds %llu ops, server holds %llu\n",
              static_cast<unsigned long long>(laptop->cursor()),
              static_cast<unsigned long long>(server.cursor()));

  say("3. They sync; the server applies the laptop's batch, but its ack is lost.");
  {
    auto s_laptop = must(weft::Session::connect(*laptop, options), "connect");
    auto s_server = must(host.accept(), "accept");
    bool lost = false;
    carry(*s_laptop, *s_server, [&](bool to_laptop, const weft::Bytes& m) {
      if (to_laptop && !lost && is(m, weft::MessageKind::kAck)) return lost = true;
      return false;
    });
    std::printf("   server applied %llu ops; the laptop heard nothing back\n",
                static_cast<unsigned long long>(s_server->stats().applied));
    say("   The laptop's retry timer fires and it resends the very same bytes:");
    (void)s_laptop->tick(0);
    must(s_laptop->tick(60'000), "retry");
    carry(*s_laptop, *s_server);
    const auto& st = s_laptop->stats();
    std::printf("   resent %llu batch; the server answers %llu applied, %llu duplicates:\n"
                "   nothing applied twice, and the session is %s\n",
                static_cast<unsigned long long>(st.resends),
                static_cast<unsigned long long>(st.peer_applied),
                static_cast<unsigned long long>(st.peer_duplicates),
                std::string(weft::session_state_name(s_laptop->state())).c_str());
    if (st.resends != 1 || st.peer_applied != 0 || st.peer_duplicates != 3 || !s_laptop->done() ||
        server.cursor() != 5) {
      return 1;
    }
  }

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

  say("5. They sync again, both ways, in one session.");
  {
    auto s_laptop = must(weft::Session::connect(*laptop, options), "connect");
    auto s_server = must(host.accept(), "accept");
    carry(*s_laptop, *s_server);
    if (!s_laptop->done()) die("sync", s_laptop->error());
    std::printf("   the laptop sent %llu ops it had not sent before (its outbox resumed\n"
                "   from the last cursor the server confirmed)\n",
                static_cast<unsigned long long>(s_laptop->stats().ops_sent));
  }
  const weft::Hash a = must(laptop->digest(), "digest"), b = must(server.digest(), "digest");
  std::printf("   laptop digest %s, %llu ops\n   server digest %s, %llu ops\n", short_hex(a).c_str(),
              static_cast<unsigned long long>(laptop->cursor()), short_hex(b).c_str(),
              static_cast<unsigned long long>(server.cursor()));
  if (a != b) {
    say("   The digests differ: the replicas did NOT converge.");
    return 1;
  }
  say("   The digests are equal: both replicas hold exactly the same ops.");

  say("6. The server revokes the laptop's token while a write is on its way.");
  append(*laptop, R"({"role":"user","text":"Book the 9:04"})");
  auto s_laptop = must(weft::Session::connect(*laptop, options), "connect");
  auto s_server = must(host.accept(), "accept");
  must(s_server->receive(*s_laptop->next_message()), "hello");
  must(s_laptop->receive(*s_server->next_message()), "hello");
  auto in_flight = s_laptop->next_message();  // the batch, sent under the old epoch
  const uint64_t held = server.cursor();
  const uint32_t epoch = must(host.revoke("trip-session"), "revoke");
  std::printf("   revoked: the log's epoch is now %u (written durably before this line)\n", epoch);
  must(s_server->receive(*in_flight), "deliver");
  (void)s_laptop->receive(*s_server->next_message());
  std::printf("   the write sent under the old token: %s; the server still holds %llu ops\n",
              s_laptop->error().to_string().c_str(),
              static_cast<unsigned long long>(server.cursor()));
  if (s_laptop->error().code != weft::Code::kStaleEpoch || server.cursor() != held) {
    return 1;
  }
  auto again = must(weft::Session::connect(*laptop, options), "connect");
  auto answer = must(host.accept(), "accept");
  carry(*again, *answer);
  std::printf("   a new session with the old token: %s\n", again->error().to_string().c_str());
  if (again->error().code != weft::Code::kStaleEpoch) return 1;

  say("Done: nothing lost, nothing applied twice, and a revoked writer is refused.");
  return 0;
}
