// `weft` subcommands that run sync sessions: sync (two files, one
// process), serve (a Host over stdio or loopback TCP) and connect
// (docs/weft-command.md).
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "weft/session.hpp"
#include "weft_cli.hpp"
#include "weft_commands.hpp"
#include "weft_wire.hpp"

namespace weft::cli {

namespace {

constexpr const char* kSyncHelp = R"(usage: weft sync A.db B.db [--json]

Syncs two log files both ways in one process: a session initiated on A
(its outbox peer named by B's absolute path) and one accepted on B (named
by A's), their messages passed in memory until both are done. Prints what
went each way; draws a progress bar on stderr when stderr is a terminal
and the sync takes a while.

  --json   print one JSON object: per file the ops sent, ops applied,
           duplicates, rejected, messages, bytes, cursor and digest, and
           "converged"
)";

constexpr const char* kServeHelp = R"(usage: weft serve --log DB [--id LOG_ID] [--key FILE] [--listen ADDR:PORT]

Hosts one log for `weft connect`. Clients must present a token from
`weft token issue` for LOG_ID: a read token lets them pull, append or
admin also lets them push. Any other log id is refused.

Without --listen, serves one session over standard input and output (so
`ssh HOST weft serve --log x.db` works) and exits when the client closes
its side: 0 if the session completed, 3 if not.

With --listen, accepts TCP connections on a loopback address (plain TCP:
use ssh to reach it from elsewhere), one session per connection, until
SIGINT or SIGTERM (exit 0). Port 0 picks a free port. It prints
  weft serve: listening on ADDR:PORT
on stderr once it accepts connections.

Logs go to stderr only; the key and tokens are never logged.

  --log DB        the log file (must exist: see weft init)
  --id LOG_ID     the id clients ask for (default: DB's file name without
                  its extension)
  --key FILE      the host master key (default: DB.key)
  --listen ADDR:PORT  e.g. 127.0.0.1:7411, [::1]:7411, localhost:0
)";

constexpr const char* kConnectHelp = R"(usage: weft connect DB (--token HEX | --token-file FILE) --id LOG_ID
                    (--tcp HOST:PORT | -- CMD [ARGS...]) [--peer NAME] [--json]

Syncs the local log DB with a `weft serve` both ways (as far as the token
allows): over TCP, or over the standard input and output of CMD, e.g.
  weft connect local.db --token T --id x -- ssh host weft serve --log x.db
Exits 0 when the session completed, 3 if it failed or the server refused
(the error names the code, e.g. STALE_EPOCH for a revoked token).

  --token HEX        the token from `weft token issue` (note: visible to
                     other local users in the process list)
  --token-file FILE  read the hex token from FILE ("-": standard input)
  --id LOG_ID        the log id on the server, the one the token was issued
                     for (required: a token cannot be read without the
                     server's key)
  --tcp HOST:PORT    connect over TCP
  --peer NAME        the name the local log keeps this server's outbox state
                     under (default: "connect:" and the endpoint)
  --json             print one JSON object with the session's figures
)";

bool wants_help(const Args& a, const char* help) {
  if (!a.flag("help")) return false;
  std::fputs(help, stdout);
  return true;
}

// A peer name within kMaxPeerNameBytes: `name` itself, or a digest of it.
std::string peer_name(const std::string& name) {
  if (!name.empty() && name.size() <= kMaxPeerNameBytes) return name;
  const Hash h = blake2b_256(std::span(reinterpret_cast<const uint8_t*>(name.data()), name.size()));
  return "b2:" + to_hex(h);
}

SessionOptions stream_options() {
  SessionOptions o;
  o.retry = kStreamRetry;
  return o;
}

std::string absolute_path(const std::string& path) {
  std::error_code ec;
  auto p = std::filesystem::canonical(path, ec);
  return ec ? path : p.string();
}

std::string direction_json(const std::string& path, const SessionStats& mine, Log& log,
                           const std::string& digest) {
  return JsonObject()
      .str("path", path)
      .num("ops_sent", mine.ops_sent)
      .num("messages_sent", mine.messages_sent)
      .num("bytes_sent", mine.bytes_sent)
      .num("applied", mine.applied)
      .num("duplicates", mine.duplicates)
      .num("rejected", mine.rejected)
      .num("cursor", log.cursor())
      .num("ops", log.version_vector().total())
      .str("digest", digest)
      .done();
}

std::string summary_line(const SessionStats& s) {
  return std::to_string(s.ops_sent) + " ops sent, peer applied " + std::to_string(s.peer_applied) +
         " (" + std::to_string(s.peer_duplicates) + " duplicates, " +
         std::to_string(s.peer_rejected) + " rejected); " + std::to_string(s.applied) +
         " ops received and applied (" + std::to_string(s.duplicates) + " duplicates, " +
         std::to_string(s.rejected) + " rejected); " + std::to_string(s.messages_sent) +
         " messages, " + std::to_string(s.bytes_sent) + " bytes sent, " +
         std::to_string(s.messages_received) + " messages, " + std::to_string(s.bytes_received) +
         " bytes received";
}

}  // namespace

// ----------------------------------------------------------------- sync

int cmd_sync(Argv argv) {
  auto a = parse_args("sync", argv, {.flags = {"json"}, .valued = {}});
  if (!a) return kExitUsage;
  if (wants_help(*a, kSyncHelp)) return kExitOk;
  if (a->positional.size() != 2 || !a->rest.empty()) {
    return usage_error("sync", "expected two log files, A.db B.db");
  }
  const std::string& pa = a->positional[0];
  const std::string& pb = a->positional[1];
  auto la = open_existing_log(pa);
  if (!la) return report(la.error());
  auto lb = open_existing_log(pb);
  if (!lb) return report(lb.error());
  const std::string abs_a = absolute_path(pa), abs_b = absolute_path(pb);
  if (abs_a == abs_b) return usage_error("sync", "A and B are the same file");

  SessionOptions oa;
  oa.peer = peer_name(abs_b);
  auto sa = Session::connect(*la.value(), oa);
  if (!sa) return report(sa.error());
  SessionOptions ob;
  ob.peer = peer_name(abs_a);
  auto sb = Session::accept(*lb.value(), ob);
  if (!sb) return report(sb.error());
  Session& A = *sa.value();
  Session& B = *sb.value();

  install_stop_handlers();
  Progress progress;
  auto show = [&] {
    progress.update(A.stats().ops_acked + B.stats().ops_acked,
                    A.stats().ops_to_send + B.stats().ops_to_send, "syncing");
  };
  while (true) {
    bool moved = false;
    while (auto m = A.next_message()) {
      moved = true;
      (void)B.receive(*m);  // a failure shows in B's state
      show();
    }
    while (auto m = B.next_message()) {
      moved = true;
      (void)A.receive(*m);
      show();
    }
    if (!moved) break;
    if (stop_signal()) {
      progress.finish();
      return report(make_error(Code::kCancelled, "sync: interrupted"), kExitSession);
    }
  }
  progress.finish();
  if (A.state() == SessionState::kFailed) return report(A.error(), kExitSession);
  if (B.state() == SessionState::kFailed) return report(B.error(), kExitSession);
  if (!A.done() || !B.done()) {
    return report(make_error(Code::kInternal, "sync: the sessions stopped before completing (" +
                                                  std::string(session_state_name(A.state())) + ", " +
                                                  std::string(session_state_name(B.state())) + ")"),
                  kExitSession);
  }
  auto da = la.value()->digest();
  if (!da) return report(da.error());
  auto db = lb.value()->digest();
  if (!db) return report(db.error());
  const bool converged = da.value() == db.value();
  const SessionStats& xa = A.stats();
  const SessionStats& xb = B.stats();
  if (a->flag("json")) {
    print_line(JsonObject()
                   .raw("a", direction_json(pa, xa, *la.value(), to_hex(da.value())))
                   .raw("b", direction_json(pb, xb, *lb.value(), to_hex(db.value())))
                   .boolean("converged", converged)
                   .done());
  } else {
    auto dir = [](const std::string& from, const std::string& to, const SessionStats& s,
                  const SessionStats& r) {
      std::printf("%s -> %s: %llu ops sent, %llu applied, %llu duplicates, %llu rejected\n",
                  from.c_str(), to.c_str(), static_cast<unsigned long long>(s.ops_sent),
                  static_cast<unsigned long long>(r.applied),
                  static_cast<unsigned long long>(r.duplicates),
                  static_cast<unsigned long long>(r.rejected));
    };
    dir(pa, pb, xa, xb);
    dir(pb, pa, xb, xa);
    std::printf("%llu messages, %llu bytes (%s sent %llu, %s sent %llu)\n",
                static_cast<unsigned long long>(xa.messages_sent + xb.messages_sent),
                static_cast<unsigned long long>(xa.bytes_sent + xb.bytes_sent), pa.c_str(),
                static_cast<unsigned long long>(xa.bytes_sent), pb.c_str(),
                static_cast<unsigned long long>(xb.bytes_sent));
    if (converged) {
      std::printf("converged: %llu ops each, digest %s\n",
                  static_cast<unsigned long long>(la.value()->version_vector().total()),
                  to_hex(da.value()).c_str());
    }
  }
  if (!converged) {
    // Both sessions completed, so each holds every op the other could send:
    // what still differs are ops both hold under the same ids with other
    // content, minted by a copy or a restore before it was found out.
    auto wa = la.value()->writer_summaries();
    if (!wa) return report(wa.error());
    auto wb = lb.value()->writer_summaries();
    if (!wb) return report(wb.error());
    const auto diff = first_difference(wa.value(), wb.value());
    const std::string who = diff ? "writer " + diff->actor.hex() : "no single writer";
    return report(make_error(Code::kConflict,
                             "sync: the logs hold different ops of " + who +
                                 " under the same ids (a copy or a restore of a replica minted "
                                 "under it before it was found out)"),
                  kExitSession);
  }
  return kExitOk;
}

// ----------------------------------------------------------------- serve

namespace {

// A client that has not completed a handshake, or has stopped sending,
// for this long is dropped.
constexpr uint64_t kServeIdleMs = 120'000;
constexpr size_t kMaxConnections = 64;

void log_session(const std::string& who, const Status& result, const SessionStats& s) {
  if (result) {
    std::fprintf(stderr,
                 "weft serve: %s: done: received %llu ops (applied %llu, %llu duplicates), "
                 "sent %llu ops (%llu applied by the client)\n",
                 who.c_str(), static_cast<unsigned long long>(s.applied + s.duplicates + s.rejected),
                 static_cast<unsigned long long>(s.applied),
                 static_cast<unsigned long long>(s.duplicates),
                 static_cast<unsigned long long>(s.ops_sent),
                 static_cast<unsigned long long>(s.peer_applied));
  } else {
    std::fprintf(stderr, "weft serve: %s: failed: %s: %s\n", who.c_str(),
                 std::string(code_name(result.code())).c_str(), result.error().message.c_str());
  }
}

// What every session of `weft serve` is accepted by. Each session gets its
// own Host (and so its own Log, opened when the client's Hello arrives):
// a Host keeps the epoch it read when it opened the log, and a token
// revoked since, by `weft token revoke` in another process, must not be
// admitted. Writes are safe either way (the epoch is checked inside each
// apply transaction); this keeps revoked tokens from pulling too.
struct HostFactory {
  Secret key;
  std::string id, db;

  ~HostFactory() { wipe(key); }
  std::unique_ptr<Host> make() const {
    return std::make_unique<Host>(key, single_log_opener(id, db));
  }
};

int serve_stdio(const HostFactory& hosts) {
  auto host = hosts.make();
  auto s = host->accept(stream_options());
  if (!s) return report(s.error());
  Channel ch(Channel::Kind::kStdio, 0, 1, Channel::Role::kResponder, std::move(s.value()));
  ch.set_idle_timeout(kServeIdleMs);
  const Status r = run_channel(ch);
  log_session("stdio", r, ch.session().stats());
  return r ? kExitOk : kExitSession;
}

int serve_tcp(const HostFactory& hosts, const HostPort& where) {
  std::string bound;
  auto listener = tcp_listen(where, bound);
  if (!listener) {
    return report(listener.error(),
                  listener.code() == Code::kInvalidArgument ? kExitUsage : kExitFailed);
  }
  std::fprintf(stderr, "weft serve: listening on %s (log '%s')\n", bound.c_str(), hosts.id.c_str());
  std::fflush(stderr);
  struct Conn {
    std::string who;
    std::unique_ptr<Host> host;  // outlives the channel's session
    std::unique_ptr<Channel> channel;
  };
  std::vector<Conn> conns;
  uint64_t accepted = 0;
  std::vector<pollfd> fds;
  while (!stop_signal()) {
    const uint64_t now = monotonic_ms();
    for (auto it = conns.begin(); it != conns.end();) {
      it->channel->prepare(now);
      if (it->channel->finished()) {
        log_session(it->who, it->channel->result(), it->channel->session().stats());
        it = conns.erase(it);
      } else {
        ++it;
      }
    }
    fds.clear();
    fds.push_back(pollfd{listener.value(), POLLIN, 0});
    for (Conn& c : conns) c.channel->add_pollfds(fds);
    const int rc = ::poll(fds.data(), fds.size(), 100);
    if (rc < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(listener.value());
      return report(make_error(Code::kInternal, std::string("poll: ") + std::strerror(err)));
    }
    const uint64_t after = monotonic_ms();
    for (Conn& c : conns) c.channel->handle(fds, after);
    if (fds[0].revents & POLLIN) {
      while (true) {
        const int fd = ::accept4(listener.value(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) break;
        const std::string who = "connection " + std::to_string(++accepted) + " from " + peer_name_of(fd);
        if (conns.size() >= kMaxConnections) {
          std::fprintf(stderr, "weft serve: %s: refused: %zu connections already open\n",
                       who.c_str(), conns.size());
          ::close(fd);
          continue;
        }
        auto host = hosts.make();
        auto s = host->accept(stream_options());
        if (!s) {
          std::fprintf(stderr, "weft serve: %s: %s\n", who.c_str(), s.error().to_string().c_str());
          ::close(fd);
          continue;
        }
        auto ch = std::make_unique<Channel>(Channel::Kind::kSocket, fd, fd,
                                            Channel::Role::kResponder, std::move(s.value()));
        ch->set_idle_timeout(kServeIdleMs);
        conns.push_back(Conn{who, std::move(host), std::move(ch)});
      }
    }
  }
  std::fprintf(stderr, "weft serve: stopping (%s)%s\n", stop_signal() == SIGINT ? "SIGINT" : "SIGTERM",
               conns.empty() ? "" : ", dropping unfinished sessions");
  for (Conn& c : conns) {
    c.channel->abort(make_error(Code::kCancelled, "the server is stopping"));
    log_session(c.who, c.channel->result(), c.channel->session().stats());
  }
  conns.clear();
  ::close(listener.value());
  return kExitOk;
}

}  // namespace

int cmd_serve(Argv argv) {
  auto a = parse_args("serve", argv, {.flags = {}, .valued = {"log", "id", "key", "listen"}});
  if (!a) return kExitUsage;
  if (wants_help(*a, kServeHelp)) return kExitOk;
  if (!a->positional.empty() || !a->rest.empty()) {
    return usage_error("serve", "unexpected argument '" +
                                    (a->positional.empty() ? a->rest.front() : a->positional.front()) +
                                    "' (the log is given with --log DB)");
  }
  const auto db = a->value("log");
  if (!db) return usage_error("serve", "missing --log DB");
  const std::string id = a->value("id").value_or(default_log_id(*db));
  if (!check_log_id("serve", id)) return kExitUsage;
  std::optional<HostPort> where;
  if (auto l = a->value("listen")) {
    where = split_host_port(*l);
    if (!where) return usage_error("serve", "--listen: expected ADDR:PORT, got '" + *l + "'");
  }
  if (auto log = open_existing_log(*db); !log) return report(log.error());
  auto key = read_key_file(a->value("key").value_or(default_key_path(*db)));
  if (!key) return report(key.error());
  const HostFactory hosts{key.value(), id, *db};
  wipe(key.value());
  install_stop_handlers();
  return where ? serve_tcp(hosts, *where) : serve_stdio(hosts);
}

// ----------------------------------------------------------------- connect

int cmd_connect(Argv argv) {
  auto a = parse_args("connect", argv,
                      {.flags = {"json"}, .valued = {"token", "token-file", "id", "tcp", "peer"}});
  if (!a) return kExitUsage;
  if (wants_help(*a, kConnectHelp)) return kExitOk;
  if (a->positional.size() != 1) {
    return usage_error("connect", a->positional.empty() ? "missing the DB argument"
                                                        : "unexpected argument '" + a->positional[1] + "'");
  }
  const std::string db = a->positional.front();
  const auto tcp = a->value("tcp");
  if (tcp.has_value() == a->saw_double_dash) {
    return usage_error("connect", "give exactly one of --tcp HOST:PORT or -- CMD [ARGS...]");
  }
  if (a->saw_double_dash && a->rest.empty()) return usage_error("connect", "no command after '--'");
  std::optional<HostPort> where;
  if (tcp) {
    where = split_host_port(*tcp);
    if (!where) return usage_error("connect", "--tcp: expected HOST:PORT, got '" + *tcp + "'");
  }
  const auto id = a->value("id");
  if (!id) {
    return usage_error("connect",
                       "missing --id LOG_ID (the log id the token was issued for)");
  }
  if (!check_log_id("connect", *id)) return kExitUsage;
  std::string token_hex;
  if (a->value("token").has_value() == a->value("token-file").has_value()) {
    return usage_error("connect", "give exactly one of --token HEX or --token-file FILE");
  }
  if (auto t = a->value("token")) {
    token_hex = *t;
  } else {
    const std::string path = *a->value("token-file");
    std::FILE* f = path == "-" ? stdin : std::fopen(path.c_str(), "rb");
    if (!f) {
      return report(make_error(errno == ENOENT ? Code::kNotFound : Code::kIoError,
                               "token file " + path + ": " + std::strerror(errno)));
    }
    char buf[2 * kMaxTokenBytes + 64];
    const size_t n = std::fread(buf, 1, sizeof buf, f);
    if (f != stdin) std::fclose(f);
    token_hex.assign(buf, n);
    while (!token_hex.empty() && std::isspace(static_cast<unsigned char>(token_hex.back()))) {
      token_hex.pop_back();
    }
  }
  auto token = from_hex(token_hex);
  if (!token || token->empty() || token->size() > kMaxTokenBytes) {
    return usage_error("connect", "the token is not hex from `weft token issue`");
  }
  const std::string endpoint = [&] {
    if (tcp) return *tcp;
    std::string cmd;
    for (const auto& w : a->rest) cmd += (cmd.empty() ? "" : " ") + w;
    return cmd;
  }();

  auto log = open_existing_log(db);
  if (!log) return report(log.error());
  SessionOptions options = stream_options();
  options.peer = a->value("peer").value_or(peer_name("connect:" + endpoint));
  if (options.peer.size() > kMaxPeerNameBytes) {
    return usage_error("connect", "--peer: at most " + std::to_string(kMaxPeerNameBytes) + " bytes");
  }
  options.log_id = *id;
  options.token = std::move(token.value());
  auto session = Session::connect(*log.value(), std::move(options));
  if (!session) return report(session.error());

  install_stop_handlers();
  std::unique_ptr<Channel> channel;
  pid_t child_pid = -1;
  if (where) {
    auto fd = tcp_connect(*where);
    if (!fd) return report(fd.error(), kExitSession);
    channel = std::make_unique<Channel>(Channel::Kind::kSocket, fd.value(), fd.value(),
                                        Channel::Role::kInitiator, std::move(session.value()));
  } else {
    auto child = spawn_child(a->rest);
    if (!child) return report(child.error(), kExitSession);
    child_pid = child->pid;
    channel = std::make_unique<Channel>(Channel::Kind::kPipes, child->from_child, child->to_child,
                                        Channel::Role::kInitiator, std::move(session.value()));
  }
  Progress progress;
  const Status result = run_channel(*channel, [&](Session& s) {
    progress.update(s.stats().ops_acked, s.stats().ops_to_send, "pushing");
  });
  progress.finish();
  const SessionStats stats = channel->session().stats();
  const auto& hello = channel->session().peer_hello();
  const bool push_accepted = hello.has_value() && (hello->flags & kHelloAccept) != 0;
  channel.reset();  // closes our pipe ends: a child still writing gets EPIPE
  int child_status = 0;
  if (child_pid > 0) child_status = wait_child(child_pid, kLingerMs);
  const bool child_failed = child_pid > 0 && !(WIFEXITED(child_status) && WEXITSTATUS(child_status) == 0);

  if (!result) {
    if (a->flag("json")) {
      print_line(JsonObject()
                     .boolean("ok", false)
                     .str("code", code_name(result.code()))
                     .str("message", result.error().message)
                     .done());
    }
    const int rc = report(result.error(), kExitSession);
    if (child_failed && WIFEXITED(child_status)) {
      std::fprintf(stderr, "weft: '%s' exited with status %d\n", a->rest.front().c_str(),
                   WEXITSTATUS(child_status));
    }
    return rc;
  }
  if (child_failed) {
    std::fprintf(stderr, "weft: warning: '%s' did not exit cleanly (wait status %d)\n",
                 a->rest.front().c_str(), child_status);
  }
  if (a->flag("json")) {
    print_line(JsonObject()
                   .boolean("ok", true)
                   .str("endpoint", endpoint)
                   .str("log_id", *id)
                   .boolean("push_accepted", push_accepted)
                   .num("ops_sent", stats.ops_sent)
                   .num("peer_applied", stats.peer_applied)
                   .num("peer_duplicates", stats.peer_duplicates)
                   .num("peer_rejected", stats.peer_rejected)
                   .num("applied", stats.applied)
                   .num("duplicates", stats.duplicates)
                   .num("rejected", stats.rejected)
                   .num("messages_sent", stats.messages_sent)
                   .num("bytes_sent", stats.bytes_sent)
                   .num("messages_received", stats.messages_received)
                   .num("bytes_received", stats.bytes_received)
                   .num("cursor", log.value()->cursor())
                   .done());
  } else {
    std::printf("%s\n", summary_line(stats).c_str());
    if (!push_accepted) {
      std::printf("the server does not accept our ops under this token (read scope): pull only\n");
    }
  }
  return kExitOk;
}

}  // namespace weft::cli
