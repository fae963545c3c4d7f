// libFuzzer target: sync sessions driven by the input (docs/fuzzing.md).
// Two sessions talk: an initiator (Session::connect over a memory log) and a
// responder (Session::accept over another memory log, or a weft::Host's
// session that admits by token). The input decides, step by step, what each
// side sends, which messages arrive, late, twice, damaged or never, which
// messages are injected instead (raw bytes, or Hello, Batch, Chunks, Ack and
// Error messages the encoders build from input-chosen fields), when the
// clock ticks, and when both sessions restart over the same logs. The input
// format is in session_fuzz_script.hpp.
//
// Whatever arrives, each session keeps its promises: an error from receive()
// or tick() leaves it failed with that error; it only moves forward through
// its states; once failed it yields at most the messages it had queued (an
// Error for the peer among them, with its own code) and then nothing,
// forever; what it sends decodes; it sends data only to a peer that applies
// it, stamped with the epoch the peer asked for; a read-only session never
// changes its log; the acked cursor never decreases, never passes the log's
// cursor and is durable; a TIMEOUT comes only after a retry delay has passed.
// Every log keeps cursor == version vector total; one, picked by the input,
// verifies at the end.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"
#include "session_fuzz_script.hpp"
#include "weft/codec.hpp"
#include "weft/log.hpp"
#include "weft/session.hpp"
#include "weft/store.hpp"
#include "weft/token.hpp"

namespace {

namespace script = weft::fuzz::session_script;

using weft::Bytes;
using weft::Code;
using weft::Log;
using weft::MessageKind;
using weft::Session;
using weft::SessionState;
using weft::Status;

constexpr size_t kMaxSteps = 160;
constexpr size_t kMaxQueue = 16;       // messages in flight to one side
constexpr size_t kMaxSettle = 256;     // messages moved by one settle step
constexpr size_t kKeptSent = 8;        // data messages remembered per side, for acks
constexpr int kMaxRestarts = 3;
constexpr std::string_view kHostLog = "fuzz-log";
constexpr std::string_view kOtherLog = "other-log";   // another log of the host, empty
constexpr std::string_view kAbsentLog = "absent";     // a log the host's opener cannot find
constexpr uint64_t kWallStart = 1'700'000'000'000;

// Reads choices off the input; past its end every choice is 0.
class Input {
 public:
  explicit Input(std::span<const uint8_t> bytes) : bytes_(bytes) {}

  bool empty() const { return at_ >= bytes_.size(); }
  uint8_t byte() { return at_ < bytes_.size() ? bytes_[at_++] : 0; }
  bool flag() { return (byte() & 1) != 0; }
  // Uniform enough in [0, n) for n >= 1.
  uint32_t below(uint64_t n) {
    if (n <= 1) return 0;
    uint32_t v = byte();
    if (n > 256) v |= uint32_t{byte()} << 8;
    return static_cast<uint32_t>(v % n);
  }
  Bytes bytes(size_t n) {
    Bytes out(n);
    for (uint8_t& b : out) b = byte();
    return out;
  }

 private:
  std::span<const uint8_t> bytes_;
  size_t at_ = 0;
};

template <typename T>
T must(weft::Result<T> r) {
  WEFT_FUZZ_CHECK_OK(r);
  return std::move(r).value();
}

// ------------------------------------------------------------ the world

constexpr uint8_t kActorA = 0x0a, kActorB = 0x0b, kActorC = 0x0c, kActorD = 0x0d,
                  kActorHost = 0x0e;

weft::ActorId actor(uint8_t n) {
  weft::ActorId a;
  a.bytes.fill(n);
  return a;
}

std::unique_ptr<Log> open_log(uint8_t who) {
  weft::LogOptions o;
  o.actor = actor(who);  // a random actor would make runs irreproducible
  return must(Log::open_memory(o));
}

void append(Log& log, uint8_t tag, int64_t ts) {
  const uint8_t payload[] = {tag, static_cast<uint8_t>(ts)};
  weft::AppendRequest r;
  r.payload = std::span<const uint8_t>(payload, static_cast<size_t>(tag % 3));
  r.kind = tag % 2;
  r.timestamp_ms = ts;  // never the wall clock: runs must replay
  must(log.append(r));
}

// A: a1 a2, then C's c1..c3 (merged), a3 (depends on c3), a4; A's chunk a1..a2
// and C's chunk c1..c2 are sealed, so a peer holding nothing of A or C is
// sent chunks.
std::unique_ptr<Log> log_a() {
  auto c = open_log(kActorC);
  for (int i = 1; i <= 3; ++i) append(*c, static_cast<uint8_t>(0xc0 + i), i);
  auto a = open_log(kActorA);
  append(*a, 0xa1, 10);
  append(*a, 0xa2, 11);
  must(a->merge_from(*c));
  append(*a, 0xa3, 12);
  must(a->seal(actor(kActorA), 2));
  must(a->seal(actor(kActorC), 2));
  append(*a, 0xa4, 13);
  return a;
}

// B (and the host's log): b1..b3, B's chunk b1..b2 sealed.
std::unique_ptr<Log> log_b() {
  auto b = open_log(kActorB);
  for (int i = 1; i <= 3; ++i) append(*b, static_cast<uint8_t>(0xb0 + i), 20 + i);
  must(b->seal(actor(kActorB), 2));
  return b;
}

// Each input starts from copies of logs built once (memory_store_copy): a
// copy is the same log, and building A and B through appends, a merge and
// seals was an eighth of an input's time.
std::unique_ptr<Log> fork(Log& prepared, uint8_t who) {
  weft::LogOptions o;
  o.actor = actor(who);
  return must(Log::open(must(weft::memory_store_copy(prepared.store_for_testing())), o));
}

std::unique_ptr<Log> fresh_a() {
  static const std::unique_ptr<Log> prepared = log_a();
  return fork(*prepared, kActorA);
}

std::unique_ptr<Log> fresh_b() {
  static const std::unique_ptr<Log> prepared = log_b();
  return fork(*prepared, kActorB);
}

// Every op and sealed chunk of the world: A's, B's, C's, and D's, whose ops
// depend on a4 and b3 (so no log at the start can take them yet).
struct Pool {
  std::vector<weft::Op> ops;  // in dependency order
  std::vector<Bytes> chunks;
  weft::VersionVector all;
};

const Pool& pool() {
  static const Pool p = [] {
    Pool out;
    auto d = open_log(kActorD);
    auto a = log_a();
    auto b = log_b();
    must(d->merge_from(*a));
    must(d->merge_from(*b));
    append(*d, 0xd1, 30);
    append(*d, 0xd2, 31);
    for (auto& s : must(d->read(1, SIZE_MAX))) out.ops.push_back(std::move(s.op));
    const std::pair<uint8_t, uint64_t> seals[] = {
        {kActorA, 2}, {kActorA, 4}, {kActorC, 2}, {kActorC, 3}, {kActorB, 2}, {kActorD, 2}};
    for (const auto& [who, last] : seals) {
      const auto rec = must(d->seal(actor(who), last));
      out.chunks.push_back(must(d->get_chunk(actor(who), rec.index)).bytes);
    }
    out.all = d->version_vector();
    return out;
  }();
  return p;
}

// ------------------------------------------------------------ sides

enum Role { kInitiator = 0, kResponder = 1 };

struct Side {
  weft::SessionOptions options;
  std::unique_ptr<Session> session;
  Log* log = nullptr;  // known at the start, or (a host's) once admitted
  bool host = false;
  bool read_only = false;
  std::optional<uint64_t> frozen_cursor;  // a read-only session's log cursor
  uint64_t min_delay_ms = 0;              // the shortest retry delay of its policy

  // What the target knows about the session, to compare with what it says.
  SessionState state = SessionState::kHandshake;
  std::optional<weft::Hello> hello;
  uint64_t received = 0;
  uint64_t acked = 0;
  size_t queued_bound = 0;  // control messages (Hello, Ack, Error) it may hold
  bool failed = false;
  weft::Error error;
  bool silent = false;      // failed, and next_message() answered nothing
  int errors_sent = 0;
  std::optional<uint64_t> first_tick;

  std::deque<Bytes> inbox;     // messages on their way to this side
  std::deque<Bytes> sent_data;  // its last Batch and Chunks messages
};

struct Tokens {
  Bytes read, append, admin;
};

struct World {
  uint64_t now = 0;  // the monotonic clock
  uint64_t wall = kWallStart;
  std::unique_ptr<Log> a, b;
  std::vector<Log*> host_logs;  // owned by the host
  std::unique_ptr<weft::Host> host;
  // Genuine tokens per log id (for "absent", issued by another host with the
  // same master key, whose opener had that log), and a read token from
  // before the revoke, if the host revoked.
  std::map<std::string, Tokens, std::less<>> tokens;
  Bytes stale_token;
  Side sides[2];
  int restarts = 0;

  const Tokens& tokens_for(std::string_view log_id) const {
    auto it = tokens.find(log_id);
    return it != tokens.end() ? it->second : tokens.find(kHostLog)->second;
  }
  // Read tokens are the only bytes the host admits with read scope.
  bool is_read_token(const Bytes& t) const {
    return std::any_of(tokens.begin(), tokens.end(),
                       [&](const auto& e) { return e.second.read == t; });
  }
};

weft::Secret master_key() {
  weft::Secret master{};
  for (size_t i = 0; i < master.size(); ++i) master[i] = static_cast<uint8_t>(0x5a ^ i);
  return master;
}

// The genuine tokens, the same for every input (a token is a function of
// the key, the log id, its epoch and the scope), so they are issued once:
// for the host's log at epoch 0 and, after a revoke, at epoch 1; for its
// other log; and for "absent", by a host whose opener has that log.
struct TokenSet {
  Tokens host[2];
  Tokens other, absent;
};

const TokenSet& token_set() {
  static const TokenSet set = [] {
    auto all = [](weft::Host& h, std::string_view id) {
      return Tokens{must(h.issue(id, weft::Scope::kRead)), must(h.issue(id, weft::Scope::kAppend)),
                    must(h.issue(id, weft::Scope::kAdmin))};
    };
    weft::Host issuer(master_key(), [](std::string_view) { return Log::open_memory(); });
    TokenSet out;
    out.host[0] = all(issuer, kHostLog);
    out.other = all(issuer, kOtherLog);
    out.absent = all(issuer, kAbsentLog);
    must(issuer.revoke(kHostLog));
    out.host[1] = all(issuer, kHostLog);
    return out;
  }();
  return set;
}

int rank(SessionState s) { return static_cast<int>(s); }

uint64_t saturating_add(uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }

void check_log(Log& log) {
  WEFT_FUZZ_CHECK(log.cursor() == log.version_vector().total());
}

// What every call must leave true; `status` is the call's answer, if any.
void observe(World& w, Side& s, const Status* status) {
  Session& x = *s.session;
  const SessionState now = x.state();
  WEFT_FUZZ_CHECK(rank(now) >= rank(s.state));
  if (status != nullptr) {
    if (status->is_ok()) {
      WEFT_FUZZ_CHECK(now != SessionState::kFailed);
    } else {
      WEFT_FUZZ_CHECK(now == SessionState::kFailed);
      WEFT_FUZZ_CHECK(status->code() == x.error().code);
    }
  }
  if (now == SessionState::kFailed) {
    WEFT_FUZZ_CHECK(x.error().code != Code::kOk && !x.error().message.empty());
    if (!s.failed) {
      s.failed = true;
      s.error = x.error();
      ++s.queued_bound;  // the Error for the peer
    }
    WEFT_FUZZ_CHECK(x.error().code == s.error.code && x.error().message == s.error.message);
  }
  s.state = now;

  // The peer's Hello is set once, when the handshake completes.
  if (s.hello) {
    WEFT_FUZZ_CHECK(x.peer_hello() && *x.peer_hello() == *s.hello);
  } else if (x.peer_hello()) {
    s.hello = *x.peer_hello();
    if (s.host) {
      // Admitted: the host has opened the log the Hello names, and a read
      // token (the only bytes that verify for read scope) makes it read-only.
      s.log = must(w.host->log(s.hello->log_id));
      s.read_only = w.is_read_token(s.hello->token);
    }
  }
  if (s.hello == std::nullopt) WEFT_FUZZ_CHECK(now == SessionState::kHandshake || s.failed);

  if (s.log != nullptr) {
    check_log(*s.log);
    if (s.read_only) {
      if (!s.frozen_cursor) s.frozen_cursor = s.log->cursor();
      WEFT_FUZZ_CHECK(s.log->cursor() == *s.frozen_cursor);
      WEFT_FUZZ_CHECK(x.stats().applied == 0);
    }
  }
  WEFT_FUZZ_CHECK(x.acked_cursor() >= s.acked);
  s.acked = x.acked_cursor();
  if (s.log == nullptr) {
    WEFT_FUZZ_CHECK(s.acked == 0);
  } else {
    WEFT_FUZZ_CHECK(s.acked <= s.log->cursor());
    if (!s.options.peer.empty()) {
      WEFT_FUZZ_CHECK(must(s.log->peer(s.options.peer)).acked_cursor >= s.acked);
    }
  }
  WEFT_FUZZ_CHECK(x.stats().messages_received == s.received);
}

// Every message a session yields is one it can stand behind.
void check_sent(const Side& s, const Bytes& m) {
  const MessageKind kind = must(weft::message_kind(m));
  switch (kind) {
    case MessageKind::kHello: WEFT_FUZZ_CHECK_OK(weft::decode_hello(m)); break;
    case MessageKind::kAck: WEFT_FUZZ_CHECK_OK(weft::decode_ack(m)); break;
    case MessageKind::kError: {
      const auto e = must(weft::decode_error(m));
      WEFT_FUZZ_CHECK(s.failed && e.error.code == s.error.code);
      break;
    }
    case MessageKind::kBatch:
    case MessageKind::kChunks: {
      // Data goes only to a peer that said it applies, from a session that
      // may push, and never after a failure.
      WEFT_FUZZ_CHECK(!s.failed && s.hello && (s.hello->flags & weft::kHelloAccept) != 0);
      WEFT_FUZZ_CHECK(s.host || s.options.push);
      if (kind == MessageKind::kBatch) {
        const auto batch = must(weft::decode_batch(m));
        WEFT_FUZZ_CHECK(!batch.ops.empty() && batch.epoch == s.hello->epoch);
      } else {
        WEFT_FUZZ_CHECK_OK(weft::decode_chunks(m));
      }
      break;
    }
    default:
      weft::fuzz::fail("a session sends only Hello, Batch, Chunks, Ack and Error", __FILE__,
                       __LINE__, nullptr);
  }
}

// One next_message() of the side, checked.
std::optional<Bytes> pull(World& w, Side& s) {
  std::optional<Bytes> m = s.session->next_message();
  observe(w, s, nullptr);
  if (!m) {
    s.queued_bound = 0;  // nothing queued is ever held back
    if (s.failed) s.silent = true;
    return m;
  }
  WEFT_FUZZ_CHECK(!s.silent);
  check_sent(s, *m);
  const MessageKind kind = must(weft::message_kind(*m));
  if (kind == MessageKind::kBatch || kind == MessageKind::kChunks) {
    s.sent_data.push_back(*m);
    if (s.sent_data.size() > kKeptSent) s.sent_data.pop_front();
  } else {
    WEFT_FUZZ_CHECK(s.queued_bound > 0);
    --s.queued_bound;
    if (kind == MessageKind::kError) WEFT_FUZZ_CHECK(++s.errors_sent == 1);
  }
  return m;
}

void deliver(World& w, Side& s, std::span<const uint8_t> m) {
  const bool was_failed = s.failed;
  ++s.received;
  ++s.queued_bound;  // an Ack or a Hello
  const Status st = s.session->receive(m);
  observe(w, s, &st);
  if (was_failed) WEFT_FUZZ_CHECK(!st && st.code() == s.error.code);
}

void tick(World& w, Side& s) {
  const bool was_failed = s.failed;
  if (!s.first_tick) s.first_tick = w.now;
  ++s.queued_bound;  // our Hello again
  const Status st = s.session->tick(w.now);
  observe(w, s, &st);
  if (was_failed) WEFT_FUZZ_CHECK(!st && st.code() == s.error.code);
  // A deadline is set by a tick and passed by a later one, at least the
  // policy's shortest delay after the first (unless the clock stopped at its
  // end, where every deadline has passed). regress-tick-deadline-wraps
  // checks that deadlines near the clock's end saturate instead of wrapping.
  if (!was_failed && st.code() == Code::kTimeout && w.now != UINT64_MAX) {
    WEFT_FUZZ_CHECK(w.now - *s.first_tick >= s.min_delay_ms);
  }
}

void enqueue(Side& to, Bytes m) {
  to.inbox.push_back(std::move(m));
  if (to.inbox.size() > kMaxQueue) to.inbox.pop_front();
}

// ------------------------------------------------------------ setup

weft::SessionOptions options_of(Input& in, World& w, Role role) {
  weft::SessionOptions o;
  const uint8_t flags = in.byte();
  o.push = (flags & 1) == 0;
  o.accept = (flags & 2) == 0;
  o.ship_chunks = (flags & 4) == 0;
  o.peer = (flags & 8) == 0 ? (role == kInitiator ? "to-responder" : "to-initiator") : "";
  if (flags & 16) o.limits = weft::fuzz::tight_limits();
  const uint8_t window = in.byte();
  o.window = 8 - window % 8;
  const uint8_t ops = in.byte();
  if (ops != 0) o.max_batch_ops = 1 + ops % 8;
  const uint8_t bytes = in.byte();
  if (bytes != 0) o.max_batch_bytes = 1 + bytes % 64;
  const uint8_t chunks = in.byte();
  if (chunks != 0) o.max_chunks_bytes = 8 + (chunks % 64) * 8;
  const uint8_t retry = in.byte();
  const uint64_t bases[] = {1000, 2, 100, 1};
  const uint32_t attempts[] = {8, 1, 2, 0};
  o.retry.base_ms = bases[retry & 3];
  o.retry.max_attempts = attempts[(retry >> 2) & 3];
  o.retry.seed = retry >> 4;
  o.wall_clock_ms = [&w] { return w.wall; };
  switch (in.byte() % script::kLogIdCount) {
    case script::kHostLogId: o.log_id = kHostLog; break;
    case script::kNoLogId: break;
    case script::kOtherLogId: o.log_id = kOtherLog; break;
    default: o.log_id = kAbsentLog; break;
  }
  const Bytes garbage = {'W', 'E', 'F', 'T', 0, 1, 2, 3};
  const Tokens& t = w.tokens_for(o.log_id);
  switch (in.byte() % script::kTokenCount) {
    case script::kAppendToken: o.token = t.append; break;
    case script::kReadToken: o.token = t.read; break;
    case script::kAdminToken: o.token = t.admin; break;
    case script::kNoToken: break;
    case script::kStaleToken: o.token = w.stale_token; break;
    case script::kGarbageToken: o.token = garbage; break;
    default:
      o.token = t.append;
      o.token[o.token.size() / 2] ^= 0x10;
      break;
  }
  return o;
}

void start(World& w) {
  Side& i = w.sides[kInitiator];
  Side& r = w.sides[kResponder];
  for (Side* s : {&i, &r}) {
    s->session.reset();
    s->state = SessionState::kHandshake;
    s->hello.reset();
    s->received = 0;
    s->acked = 0;
    s->queued_bound = 0;
    s->failed = false;
    s->silent = false;
    s->errors_sent = 0;
    s->first_tick.reset();
    s->sent_data.clear();
    s->frozen_cursor.reset();
    s->min_delay_ms = std::min(s->options.retry.base_ms, s->options.retry.max_ms) / 2;
  }
  i.log = w.a.get();
  i.read_only = !i.options.accept;
  i.session = must(Session::connect(*w.a, i.options));
  i.queued_bound = 1;  // its Hello
  if (r.host) {
    r.log = nullptr;
    r.read_only = false;
    r.session = must(w.host->accept(r.options));
  } else {
    r.log = w.b.get();
    r.read_only = !r.options.accept;
    r.session = must(Session::accept(*w.b, r.options));
  }
  observe(w, i, nullptr);
  observe(w, r, nullptr);
}

// ------------------------------------------------------------ injected messages

// The epoch the side's log asks for, which a batch to it should carry.
uint32_t epoch_of(const Side& s) { return s.log != nullptr ? s.log->epoch() : 0; }

Bytes make_hello(Input& in, World& w, const Side& to) {
  weft::Hello h;
  switch (in.below(6)) {
    case 0: h.log_id = to.host ? std::string(kHostLog) : to.options.log_id; break;
    case 1: break;
    case 2: h.log_id = kOtherLog; break;
    case 3: h.log_id = kAbsentLog; break;
    case 4: {
      const Bytes id = in.bytes(in.below(12));
      h.log_id.assign(id.begin(), id.end());
      break;
    }
    default: h.log_id.assign(weft::kMaxLogIdBytes + 1, 'l'); break;  // refused by the decoder
  }
  const Tokens& t = w.tokens_for(h.log_id);
  switch (in.below(6)) {
    case 0: h.token = t.append; break;
    case 1: h.token = t.read; break;
    case 2: h.token = t.admin; break;
    case 3: break;
    case 4: h.token = w.stale_token; break;
    default: h.token = in.bytes(in.below(48)); break;
  }
  switch (in.below(5)) {
    case 0: break;
    case 1: h.version_vector = w.a->version_vector(); break;
    case 2: h.version_vector = w.b->version_vector(); break;
    case 3: h.version_vector = pool().all; break;
    default: {
      const uint8_t who[] = {kActorA, kActorB, kActorC, kActorD, kActorHost};
      for (uint32_t n = 1 + in.below(3); n > 0; --n) {
        const uint64_t counter = in.flag() ? UINT64_MAX - in.below(2) : 1 + in.below(6);
        h.version_vector.set(actor(who[in.below(5)]), counter);
      }
      break;
    }
  }
  h.cursor = in.flag() ? UINT64_MAX : in.below(16);
  h.epoch = in.below(3);
  h.flags = (weft::kHelloPush | weft::kHelloAccept) ^ in.below(4);
  if (in.below(8) == 7) h.flags |= 4;  // an unknown bit: refused by the decoder
  return weft::encode_hello(h);
}

Bytes make_batch(Input& in, const Side& to) {
  const auto& ops = pool().ops;
  weft::Batch b;
  b.batch_id = in.below(8);
  b.seq = in.below(8);
  if (in.flag()) b.expected_cursor = in.below(16);
  switch (in.below(4)) {
    case 0: b.epoch = epoch_of(to); break;
    case 1: b.epoch = epoch_of(to) + 1; break;
    case 2: b.epoch = epoch_of(to) - 1; break;
    default: b.epoch = in.byte(); break;
  }
  const uint32_t n = in.below(7);
  const bool run = in.flag();  // consecutive ops (in dependency order) or any
  uint32_t at = in.below(ops.size());
  for (uint32_t k = 0; k < n; ++k) {
    weft::Op op = ops[run ? (at + k) % ops.size() : in.below(ops.size())];
    switch (in.below(8)) {
      case 5: op.payload.push_back(in.byte()); break;  // a conflicting copy
      case 6: op.lamport += 1; break;
      case 7: op.deps.clear(); break;
      default: break;
    }
    b.ops.push_back(std::move(op));
  }
  return weft::encode_batch(b);
}

Bytes make_chunks(Input& in) {
  const auto& chunks = pool().chunks;
  weft::ChunksMessage m;
  m.batch_id = in.below(4);
  m.seq = in.below(8);
  for (uint32_t n = 1 + in.below(3); n > 0; --n) {
    const uint32_t pick = in.below(chunks.size() + 2);
    if (pick < chunks.size()) {
      m.chunks.push_back(chunks[pick]);
    } else if (pick == chunks.size()) {
      Bytes c = chunks[in.below(chunks.size())];
      c[in.below(c.size())] ^= static_cast<uint8_t>(1 + in.byte() % 255);
      m.chunks.push_back(std::move(c));
    } else {
      m.chunks.push_back(in.bytes(8 + in.below(24)));
    }
  }
  return weft::encode_chunks(m);
}

// The ids in a data message the side sent (a Batch or a Chunks message).
std::vector<weft::OpId> ids_in(const Bytes& m, uint64_t& batch_id, uint64_t& seq) {
  std::vector<weft::OpId> ids;
  if (auto b = weft::decode_batch(m)) {
    batch_id = b->batch_id;
    seq = b->seq;
    for (const weft::Op& op : b->ops) ids.push_back(op.id);
  } else if (auto c = weft::decode_chunks(m)) {
    batch_id = c->batch_id;
    seq = c->seq;
    for (const Bytes& bytes : c->chunks) {
      for (const weft::Op& op : must(weft::decode_chunk(bytes)).ops) ids.push_back(op.id);
    }
  }
  return ids;
}

// An ack for one of the side's data messages (or for none), with
// input-chosen outcomes.
Bytes make_ack(Input& in, const Side& to) {
  weft::Ack a;
  std::vector<weft::OpId> ids;
  if (!to.sent_data.empty() && in.below(4) != 3) {
    ids = ids_in(to.sent_data[in.below(to.sent_data.size())], a.batch_id, a.seq);
    if (!ids.empty() && in.below(8) == 7) ids.pop_back();  // an outcome short
  } else {
    a.batch_id = in.below(8);
    a.seq = in.below(8);
    const auto& ops = pool().ops;
    for (uint32_t n = in.below(4); n > 0; --n) ids.push_back(ops[in.below(ops.size())].id);
  }
  switch (in.below(8)) {
    case 6: a.status = in.flag() ? Code::kStaleEpoch : Code::kPermissionDenied; break;
    case 7: a.status = static_cast<Code>(in.below(weft::kCodeCount)); break;
    default: break;
  }
  if (a.status == Code::kOk) {
    for (const weft::OpId& id : ids) {
      switch (in.below(8)) {
        case 4: a.duplicates.push_back(id); break;
        case 5: a.rejected.push_back({id, Code::kMissingDependency}); break;
        case 6: a.rejected.push_back({id, Code::kNotContiguous}); break;
        case 7:
          a.rejected.push_back({id, static_cast<Code>(1 + in.below(weft::kCodeCount - 1))});
          break;
        default: a.applied.push_back(id); break;
      }
    }
  }
  a.cursor = in.below(32);
  return weft::encode_ack(a);
}

Bytes make_error(Input& in) {
  weft::Error e;
  e.code = static_cast<Code>(in.below(weft::kCodeCount));  // OK is refused by the decoder
  if (in.below(4) == 3) {
    e.message.assign(weft::kMaxErrorMessageBytes + 10, 'e');  // cut by the encoder
  } else {
    const Bytes text = in.bytes(in.below(16));
    e.message.assign(text.begin(), text.end());
  }
  return weft::encode_error(e);
}

// ------------------------------------------------------------ steps

void settle(World& w) {
  size_t moved = 0;
  bool any = true;
  while (any && moved < kMaxSettle) {
    any = false;
    for (Role from : {kInitiator, kResponder}) {
      Side& s = w.sides[from];
      Side& to = w.sides[1 - from];
      while (moved < kMaxSettle) {
        auto m = pull(w, s);
        if (!m) break;
        any = true;
        ++moved;
        deliver(w, to, *m);
      }
    }
  }
}

void deliver_queued(Input& in, World& w, Side& s) {
  if (s.inbox.empty()) return;
  const size_t at = in.below(std::min<size_t>(s.inbox.size(), 4));
  Bytes m = s.inbox[at];
  switch (in.below(8)) {
    case 5: break;  // delivered, and again later
    case 6:
      m[in.below(m.size())] ^= static_cast<uint8_t>(1 + in.byte() % 255);
      s.inbox.erase(s.inbox.begin() + static_cast<std::ptrdiff_t>(at));
      break;
    case 7:
      m.resize(in.below(m.size()));
      s.inbox.erase(s.inbox.begin() + static_cast<std::ptrdiff_t>(at));
      break;
    default: s.inbox.erase(s.inbox.begin() + static_cast<std::ptrdiff_t>(at)); break;
  }
  deliver(w, s, m);
}

void advance_clock(Input& in, World& w) {
  uint64_t delta = 0;
  switch (in.below(6)) {
    case 0: delta = 0; break;
    case 1: delta = 1 + in.byte(); break;
    case 2: delta = 1000; break;
    case 3: delta = 60'000; break;
    case 4: delta = uint64_t{in.byte()} * 4096; break;
    default: delta = uint64_t{1} << 36; break;
  }
  w.now = saturating_add(w.now, delta);
  w.wall = saturating_add(w.wall, delta);
}

void step(Input& in, World& w) {
  const uint8_t b = in.byte();
  Side& s = w.sides[b & 1];
  Side& other = w.sides[1 - (b & 1)];
  switch ((b >> 1) % script::kStepCount) {
    case script::kSettle: settle(w); break;
    case script::kPump:
      if (auto m = pull(w, s)) enqueue(other, std::move(*m));
      break;
    case script::kDeliver: deliver_queued(in, w, s); break;
    case script::kDrop:
      if (!s.inbox.empty()) s.inbox.pop_front();
      break;
    case script::kTick:
      advance_clock(in, w);
      tick(w, s);
      break;
    case script::kRaw: {
      const Bytes m = in.bytes(in.below(1024));
      deliver(w, s, m);
      break;
    }
    case script::kHello: deliver(w, s, make_hello(in, w, s)); break;
    case script::kBatch: deliver(w, s, make_batch(in, s)); break;
    case script::kChunks: deliver(w, s, make_chunks(in)); break;
    case script::kAck: deliver(w, s, make_ack(in, s)); break;
    case script::kError: deliver(w, s, make_error(in)); break;
    case script::kRestart:
      // The sessions end mid-way; new ones resume from what the logs kept.
      // Messages still on their way arrive at the new sessions.
      if (w.restarts++ < kMaxRestarts) start(w);
      break;
    default: break;
  }
}

// A session that failed says what it had queued and then nothing, forever.
void finish(World& w, Side& s) {
  size_t n = 0;
  while (pull(w, s)) WEFT_FUZZ_CHECK(++n <= kMaxSettle);
  if (s.failed) {
    WEFT_FUZZ_CHECK(s.silent);
    const uint8_t junk[] = {0};
    deliver(w, s, junk);
    tick(w, s);
    WEFT_FUZZ_CHECK(!pull(w, s));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> input(data, size);
  const size_t setup_size = std::min(size, script::kSetupBytes);
  Input setup(input.first(setup_size));
  Input in(input.subspan(setup_size));

  World w;
  const uint8_t config = setup.byte();
  w.sides[kResponder].host = (config & 1) != 0;
  const uint64_t origins[] = {0, uint64_t{1} << 40, UINT64_MAX - (uint64_t{1} << 24), 5};
  w.now = origins[(config >> 2) & 3];
  w.a = fresh_a();
  w.b = fresh_b();
  w.host = std::make_unique<weft::Host>(
      master_key(), [&w](std::string_view id) -> weft::Result<std::unique_ptr<Log>> {
        if (id == kAbsentLog) return weft::make_error(Code::kNotFound, "fuzz: no such log");
        std::unique_ptr<Log> l = id == kHostLog ? fresh_b() : open_log(kActorHost);
        w.host_logs.push_back(l.get());
        return l;
      });
  const bool revoked = (config & 2) != 0;
  if (revoked) must(w.host->revoke(kHostLog));
  const TokenSet& t = token_set();
  w.stale_token = t.host[0].read;
  w.tokens[std::string(kHostLog)] = t.host[revoked ? 1 : 0];
  w.tokens[std::string(kOtherLog)] = t.other;
  w.tokens[std::string(kAbsentLog)] = t.absent;
  w.sides[kInitiator].options = options_of(setup, w, kInitiator);
  w.sides[kResponder].options = options_of(setup, w, kResponder);
  start(w);

  for (size_t n = 0; n < kMaxSteps && !in.empty(); ++n) step(in, w);

  finish(w, w.sides[kInitiator]);
  finish(w, w.sides[kResponder]);
  std::vector<Log*> logs = {w.a.get(), w.b.get()};
  logs.insert(logs.end(), w.host_logs.begin(), w.host_logs.end());
  for (Log* log : logs) check_log(*log);
  // verify() re-reads every op and chunk of a log; one log per input, picked
  // by its last byte (the steps have used up the rest), keeps the target
  // fast, and the campaign still verifies every role's log.
  Log& verified = *logs[(size > 0 ? data[size - 1] : 0) % logs.size()];
  const auto report = must(verified.verify());
  WEFT_FUZZ_CHECK(report.ops == verified.cursor());
  // Sessions go before the logs and the host they use.
  w.sides[kInitiator].session.reset();
  w.sides[kResponder].session.reset();
  return 0;
}
