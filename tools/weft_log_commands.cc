// `weft` subcommands over one local log file: init, append, cat, tail,
// verify, digest, stats, token (docs/weft-command.md).
#include <poll.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "weft/session.hpp"
#include "weft/sqlite_store.hpp"
#include "weft_cli.hpp"
#include "weft_commands.hpp"
#include "weft_wire.hpp"

namespace weft::cli {

namespace {

constexpr const char* kInitHelp = R"(usage: weft init DB [--actor HEX] [--json]

Creates the SQLite log file DB (an existing DB is refused; an empty file
is made a log) and, unless it already exists, the host key file DB.key:
32 random bytes, mode 0600, the master key `weft serve` and `weft token`
derive token secrets from.

  --actor HEX   the local writer id, 32 hex digits (default: random)
  --json        print one JSON object: path, actor, key, key_created
)";

constexpr const char* kAppendHelp = R"(usage: weft append DB [--kind N] [--json] [--] [PAYLOAD...]

Appends one op per PAYLOAD argument, all in one transaction. Without a
PAYLOAD, appends one op per line of standard input (the newline removed;
a last line without one counts too), committed in transactions of up to
1000 lines. Prints each new op's id, "ACTORHEX:COUNTER", one per line.
Use "--" before payloads that start with "-".

  --kind N   the ops' kind, 0 to 4294967295 (default 0)
  --json     print {"id":...,"cursor":...} per op
)";

constexpr const char* kCatHelp = R"(usage: weft cat DB [--from CURSOR] [--limit N] [--json]

Prints the log's ops in cursor order, one JSON object per line:
  {"cursor":1,"id":"ACTORHEX:1","lamport":1,"kind":0,"timestamp_ms":...,
   "deps":["ACTORHEX:COUNTER",...],"payload":"..."}
A payload that is valid UTF-8 is printed as the string "payload"; any other
payload as "payload_hex" (lower-case hex) instead. Exactly one of the two
keys is present.

  --from CURSOR  the first cursor to print (default 1)
  --limit N      print at most N ops (default: all)
  --json         accepted for symmetry: the output is always JSON lines
)";

constexpr const char* kTailHelp = R"(usage: weft tail DB [--from CURSOR] [--interval-ms N] [--json]

Prints ops like `weft cat`, then keeps polling the file for ops committed
by other processes and prints them as they arrive. SIGINT or SIGTERM
stops it (exit 0).

  --from CURSOR     the first cursor to print (default 1)
  --interval-ms N   how often to poll, 10 to 3600000 (default 500)
  --json            accepted for symmetry: the output is always JSON lines
)";

constexpr const char* kVerifyHelp = R"(usage: weft verify DB [--json]

Re-hashes every op and chunk and walks each writer's chain. Exit 0 if the
log is sound, 4 if it is corrupt (the error names the first bad op or
chunk), 1 if it could not be checked.

  --json   print {"ok":...,"ops":...,"chunks":...} (or "code"/"message")
)";

constexpr const char* kDigestHelp = R"(usage: weft digest DB [--json]

Prints the log's digest (64 hex digits): equal exactly when two replicas
hold the same ops.

  --json   print {"digest":...,"cursor":...,"ops":...}
)";

constexpr const char* kStatsHelp = R"(usage: weft stats DB [--json]

Prints the log's cursor, op count, writer count, capability epoch, local
writer, file sizes, and per writer its op count and sealed chunks.

  --json   print one JSON object
)";

constexpr const char* kTokenHelp = R"(usage: weft token issue DB --scope read|append|admin [--id LOG_ID] [--key FILE] [--json]
       weft token revoke DB [--id LOG_ID] [--key FILE] [--json]

issue   prints a capability token (hex) for the log at its current epoch:
        read lets a client pull; append and admin also let it push.
revoke  bumps the log's epoch (durably) and prints the new one: every token
        issued before it then fails with STALE_EPOCH.

  --id LOG_ID  the log id the token names (default: DB's file name without
               its extension, as `weft serve` uses)
  --key FILE   the host master key (default: DB.key); revoke does not need
               it and only reads it if present
  --json       print one JSON object
)";

bool wants_help(const Args& a, const char* help) {
  if (!a.flag("help")) return false;
  std::fputs(help, stdout);
  return true;
}

// The DB argument: exactly one positional word (more are a usage error
// unless `extra_ok`).
std::optional<std::string> db_arg(std::string_view command, const Args& a, bool extra_ok = false) {
  if (a.positional.empty()) {
    usage_error(command, "missing the DB argument");
    return std::nullopt;
  }
  if (!extra_ok && (a.positional.size() > 1 || !a.rest.empty())) {
    usage_error(command, "unexpected argument '" +
                             (a.positional.size() > 1 ? a.positional[1] : a.rest.front()) + "'");
    return std::nullopt;
  }
  return a.positional.front();
}

// Prints ops from `from` until the log's end or `limit` ops; the next cursor.
Result<uint64_t> print_ops(Log& log, uint64_t from, uint64_t limit) {
  constexpr size_t kPage = 1000;
  uint64_t printed = 0;
  while (printed < limit) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(kPage, limit - printed));
    auto ops = log.read(from, want);
    WEFT_TRY(ops);
    for (const StoredOp& op : ops.value()) {
      if (!print_line(op_json(op))) {
        return make_error(Code::kIoError, "standard output: write failed");
      }
    }
    printed += ops->size();
    if (!ops->empty()) from = ops->back().cursor + 1;
    if (ops->size() < want) break;
  }
  if (std::fflush(stdout) != 0) return make_error(Code::kIoError, "standard output: write failed");
  return from;
}

}  // namespace

int cmd_init(Argv argv) {
  auto a = parse_args("init", argv, {.flags = {"json"}, .valued = {"actor"}});
  if (!a) return kExitUsage;
  if (wants_help(*a, kInitHelp)) return kExitOk;
  auto db = db_arg("init", *a);
  if (!db) return kExitUsage;
  LogOptions options;
  if (auto hex = a->value("actor")) {
    auto actor = ActorId::from_hex(*hex);
    if (!actor) return usage_error("init", "--actor: expected 32 hex digits");
    options.actor = actor.value();
  }
  if (file_size(*db).value_or(0) > 0) {  // an empty file (`: > DB`) is no log yet
    return report(make_error(Code::kInvalidArgument, *db + ": already exists (init creates a log)"));
  }
  auto log = open_sqlite_log(*db, SqliteOptions{}, options);
  if (!log) return report(log.error());
  const std::string key_path = default_key_path(*db);
  auto created = ensure_key_file(key_path);
  if (!created) return report(created.error());
  if (a->flag("json")) {
    print_line(JsonObject()
                   .str("path", *db)
                   .str("actor", log.value()->actor().hex())
                   .str("key", key_path)
                   .boolean("key_created", created.value())
                   .done());
  } else {
    std::printf("created %s (actor %s)\n%s %s\n", db->c_str(), log.value()->actor().hex().c_str(),
                created.value() ? "created key" : "kept existing key", key_path.c_str());
  }
  return kExitOk;
}

int cmd_append(Argv argv) {
  auto a = parse_args("append", argv, {.flags = {"json"}, .valued = {"kind"}});
  if (!a) return kExitUsage;
  if (wants_help(*a, kAppendHelp)) return kExitOk;
  auto db = db_arg("append", *a, /*extra_ok=*/true);
  if (!db) return kExitUsage;
  uint32_t kind = 0;
  if (auto k = a->value("kind")) {
    auto n = parse_number("append", "kind", *k, 0, UINT32_MAX);
    if (!n) return kExitUsage;
    kind = static_cast<uint32_t>(*n);
  }
  std::vector<std::string> payloads(a->positional.begin() + 1, a->positional.end());
  payloads.insert(payloads.end(), a->rest.begin(), a->rest.end());
  const bool from_stdin = payloads.empty();
  const bool json = a->flag("json");

  auto log = open_existing_log(*db);
  if (!log) return report(log.error());

  auto commit = [&](const std::vector<std::string>& group) -> Status {
    std::vector<AppendRequest> reqs(group.size());
    for (size_t i = 0; i < group.size(); ++i) {
      reqs[i].payload = std::span(reinterpret_cast<const uint8_t*>(group[i].data()), group[i].size());
      reqs[i].kind = kind;
    }
    auto ids = log.value()->append_many(reqs);
    WEFT_TRY(ids);
    // One transaction: the new ops hold the last cursors.
    const uint64_t first = log.value()->cursor() - ids->size() + 1;
    for (size_t i = 0; i < ids->size(); ++i) {
      const std::string id = (*ids)[i].to_string();
      print_line(json ? JsonObject().str("id", id).num("cursor", first + i).done() : id);
    }
    std::fflush(stdout);
    return Status::ok();
  };

  if (!from_stdin) {
    if (Status s = commit(payloads); !s) return report(s.error());
    return kExitOk;
  }
  constexpr size_t kGroupLines = 1000;
  constexpr size_t kGroupBytes = 4u << 20;
  std::vector<std::string> group;
  size_t group_bytes = 0;
  std::string line;
  char buf[64 * 1024];
  bool pending = false;  // `line` holds an unterminated last line
  while (true) {
    const size_t n = std::fread(buf, 1, sizeof buf, stdin);
    for (size_t i = 0; i < n; ++i) {
      if (buf[i] != '\n') {
        line.push_back(buf[i]);
        pending = true;
        continue;
      }
      group_bytes += line.size();
      group.push_back(std::move(line));
      line.clear();
      pending = false;
      if (group.size() >= kGroupLines || group_bytes >= kGroupBytes) {
        if (Status s = commit(group); !s) return report(s.error());
        group.clear();
        group_bytes = 0;
      }
    }
    if (n < sizeof buf) break;
  }
  if (std::ferror(stdin)) return report(make_error(Code::kIoError, "standard input: read failed"));
  if (pending) group.push_back(std::move(line));
  if (!group.empty()) {
    if (Status s = commit(group); !s) return report(s.error());
  }
  return kExitOk;
}

int cmd_cat(Argv argv) {
  auto a = parse_args("cat", argv, {.flags = {"json"}, .valued = {"from", "limit"}});
  if (!a) return kExitUsage;
  if (wants_help(*a, kCatHelp)) return kExitOk;
  auto db = db_arg("cat", *a);
  if (!db) return kExitUsage;
  uint64_t from = 1, limit = UINT64_MAX;
  if (auto f = a->value("from")) {
    auto n = parse_number("cat", "from", *f, 1, UINT64_MAX);
    if (!n) return kExitUsage;
    from = *n;
  }
  if (auto l = a->value("limit")) {
    auto n = parse_number("cat", "limit", *l, 0, UINT64_MAX);
    if (!n) return kExitUsage;
    limit = *n;
  }
  auto log = open_existing_log(*db);
  if (!log) return report(log.error());
  auto next = print_ops(*log.value(), from, limit);
  if (!next) return report(next.error());
  return kExitOk;
}

int cmd_tail(Argv argv) {
  auto a = parse_args("tail", argv, {.flags = {"json"}, .valued = {"from", "interval-ms"}});
  if (!a) return kExitUsage;
  if (wants_help(*a, kTailHelp)) return kExitOk;
  auto db = db_arg("tail", *a);
  if (!db) return kExitUsage;
  uint64_t from = 1, interval = 500;
  if (auto f = a->value("from")) {
    auto n = parse_number("tail", "from", *f, 1, UINT64_MAX);
    if (!n) return kExitUsage;
    from = *n;
  }
  if (auto i = a->value("interval-ms")) {
    auto n = parse_number("tail", "interval-ms", *i, 10, 3'600'000);
    if (!n) return kExitUsage;
    interval = *n;
  }
  install_stop_handlers(/*ignore_sigpipe=*/false);  // `weft tail | head` ends like cat would
  while (true) {
    // A fresh open sees what other processes committed since the last poll.
    auto log = open_existing_log(*db);
    if (!log) return report(log.error());
    auto next = print_ops(*log.value(), from, UINT64_MAX);
    if (!next) return report(next.error());
    from = next.value();
    log.value().reset();
    const uint64_t until = monotonic_ms() + interval;
    while (!stop_signal() && monotonic_ms() < until) {
      ::poll(nullptr, 0, static_cast<int>(std::min<uint64_t>(until - monotonic_ms(), 100)));
    }
    if (stop_signal()) return kExitOk;
  }
}

int cmd_verify(Argv argv) {
  auto a = parse_args("verify", argv, {.flags = {"json"}, .valued = {}});
  if (!a) return kExitUsage;
  if (wants_help(*a, kVerifyHelp)) return kExitOk;
  auto db = db_arg("verify", *a);
  if (!db) return kExitUsage;
  const bool json = a->flag("json");
  auto failed = [&](const Error& e) {
    const bool corrupt = e.code == Code::kCorrupt || e.code == Code::kChecksumMismatch;
    if (json) {
      print_line(JsonObject()
                     .boolean("ok", false)
                     .str("code", code_name(e.code))
                     .str("message", e.message)
                     .done());
    }
    return report(e, corrupt ? kExitCorrupt : kExitFailed);
  };
  auto log = open_existing_log(*db);
  if (!log) return failed(log.error());
  auto r = log.value()->verify();
  if (!r) return failed(r.error());
  if (json) {
    print_line(JsonObject().boolean("ok", true).num("ops", r->ops).num("chunks", r->chunks).done());
  } else {
    std::printf("ok: %llu ops, %llu chunks verified\n", static_cast<unsigned long long>(r->ops),
                static_cast<unsigned long long>(r->chunks));
  }
  return kExitOk;
}

int cmd_digest(Argv argv) {
  auto a = parse_args("digest", argv, {.flags = {"json"}, .valued = {}});
  if (!a) return kExitUsage;
  if (wants_help(*a, kDigestHelp)) return kExitOk;
  auto db = db_arg("digest", *a);
  if (!db) return kExitUsage;
  auto log = open_existing_log(*db);
  if (!log) return report(log.error());
  auto d = log.value()->digest();
  if (!d) return report(d.error());
  if (a->flag("json")) {
    print_line(JsonObject()
                   .str("digest", to_hex(d.value()))
                   .num("cursor", log.value()->cursor())
                   .num("ops", log.value()->version_vector().total())
                   .done());
  } else {
    print_line(to_hex(d.value()));
  }
  return kExitOk;
}

int cmd_stats(Argv argv) {
  auto a = parse_args("stats", argv, {.flags = {"json"}, .valued = {}});
  if (!a) return kExitUsage;
  if (wants_help(*a, kStatsHelp)) return kExitOk;
  auto db = db_arg("stats", *a);
  if (!db) return kExitUsage;
  auto opened = open_existing_log(*db);
  if (!opened) return report(opened.error());
  Log& log = *opened.value();
  const VersionVector vv = log.version_vector();
  struct Writer {
    std::string actor;
    uint64_t ops = 0, chunks = 0;
  };
  std::vector<Writer> writers;
  uint64_t chunks = 0;
  for (const auto& [actor, max] : vv.entries()) {
    auto seals = log.seals(actor);
    if (!seals) return report(seals.error());
    writers.push_back(Writer{actor.hex(), max, seals->size()});
    chunks += seals->size();
  }
  const uint64_t file_bytes = file_size(*db).value_or(0);
  const uint64_t wal_bytes = file_size(*db + "-wal").value_or(0);
  if (a->flag("json")) {
    std::string list = "[";
    for (size_t i = 0; i < writers.size(); ++i) {
      if (i) list.push_back(',');
      list += JsonObject()
                  .str("actor", writers[i].actor)
                  .num("ops", writers[i].ops)
                  .num("chunks", writers[i].chunks)
                  .done();
    }
    list.push_back(']');
    print_line(JsonObject()
                   .str("path", *db)
                   .num("cursor", log.cursor())
                   .num("ops", vv.total())
                   .num("actors", static_cast<uint64_t>(log.actor_count()))
                   .num("epoch", static_cast<uint64_t>(log.epoch()))
                   .str("local_actor", log.actor().hex())
                   .num("heads", static_cast<uint64_t>(log.heads().size()))
                   .num("chunks", chunks)
                   .num("file_bytes", file_bytes)
                   .num("wal_bytes", wal_bytes)
                   .raw("writers", list)
                   .done());
    return kExitOk;
  }
  std::printf("path         %s\n", db->c_str());
  std::printf("cursor       %llu\n", static_cast<unsigned long long>(log.cursor()));
  std::printf("ops          %llu\n", static_cast<unsigned long long>(vv.total()));
  std::printf("actors       %zu\n", log.actor_count());
  std::printf("epoch        %u\n", log.epoch());
  std::printf("local actor  %s\n", log.actor().hex().c_str());
  std::printf("heads        %zu\n", log.heads().size());
  std::printf("chunks       %llu sealed\n", static_cast<unsigned long long>(chunks));
  std::printf("file         %llu bytes (+ %llu in the WAL)\n",
              static_cast<unsigned long long>(file_bytes), static_cast<unsigned long long>(wal_bytes));
  for (const Writer& w : writers) {
    std::printf("writer %s  %llu ops, %llu chunks\n", w.actor.c_str(),
                static_cast<unsigned long long>(w.ops), static_cast<unsigned long long>(w.chunks));
  }
  return kExitOk;
}

int cmd_token(Argv argv) {
  if (argv.empty()) return usage_error("token", "expected 'issue' or 'revoke'");
  const std::string_view verb = argv[0];
  if (verb == "--help" || verb == "-h" || verb == "help") {
    std::fputs(kTokenHelp, stdout);
    return kExitOk;
  }
  if (verb != "issue" && verb != "revoke") {
    return usage_error("token", "expected 'issue' or 'revoke', got '" + std::string(verb) + "'");
  }
  const bool issue = verb == "issue";
  auto a = parse_args("token", argv.subspan(1),
                      {.flags = {"json"}, .valued = issue ? std::vector<std::string_view>{"scope", "id", "key"}
                                                          : std::vector<std::string_view>{"id", "key"}});
  if (!a) return kExitUsage;
  if (wants_help(*a, kTokenHelp)) return kExitOk;
  auto db = db_arg("token", *a);
  if (!db) return kExitUsage;
  Scope scope = Scope::kRead;
  if (issue) {
    const auto s = a->value("scope");
    if (!s) return usage_error("token", "issue needs --scope read|append|admin");
    if (*s == "read") {
      scope = Scope::kRead;
    } else if (*s == "append") {
      scope = Scope::kAppend;
    } else if (*s == "admin") {
      scope = Scope::kAdmin;
    } else {
      return usage_error("token", "--scope: expected read, append or admin, got '" + *s + "'");
    }
  }
  const std::string id = a->value("id").value_or(default_log_id(*db));
  if (!check_log_id("token", id)) return kExitUsage;
  const std::string key_path = a->value("key").value_or(default_key_path(*db));

  if (auto log = open_existing_log(*db); !log) return report(log.error());
  Secret key{};
  if (issue || file_size(key_path)) {
    auto k = read_key_file(key_path);
    if (!k) return report(k.error());
    key = k.value();
  } else {
    key = new_secret();  // revoke derives no secret: any key will do
  }
  Host host(key, single_log_opener(id, *db));
  wipe(key);
  const bool json = a->flag("json");
  if (issue) {
    auto token = host.issue(id, scope);
    if (!token) return report(token.error());
    const uint32_t epoch = host.log(id).value()->epoch();
    if (json) {
      print_line(JsonObject()
                     .str("token", to_hex(token.value()))
                     .str("log_id", id)
                     .num("epoch", static_cast<uint64_t>(epoch))
                     .str("scope", scope_name(scope))
                     .done());
    } else {
      print_line(to_hex(token.value()));
    }
    return kExitOk;
  }
  auto epoch = host.revoke(id);
  if (!epoch) return report(epoch.error());
  if (json) {
    print_line(JsonObject().str("log_id", id).num("epoch", static_cast<uint64_t>(epoch.value())).done());
  } else {
    print_line(std::to_string(epoch.value()));
  }
  return kExitOk;
}

}  // namespace weft::cli
