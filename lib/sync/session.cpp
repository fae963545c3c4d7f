// Sync sessions and the host (include/weft/session.hpp, docs/sync.md).
#include "weft/session.hpp"

#include <sodium.h>

#include <algorithm>
#include <chrono>

#include "core/batch_actors.hpp"

namespace weft {

namespace {

Error protocol(Code code, std::string what) { return make_error(code, "session: " + std::move(what)); }

uint64_t wall_clock_now() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

// The codes a receiver gives an op or a chunk that arrived before what it
// needs: resending after the earlier messages are acknowledged fixes them.
bool order_code(Code c) { return c == Code::kMissingDependency || c == Code::kNotContiguous; }

// An order-independent fingerprint of a set of op ids: a message's ids when
// sent, checked against the ids its ack names, so an ack binds to content.
uint64_t id_mix(const OpId& id) {
  uint64_t h = id.counter * 0x9e3779b97f4a7c15ull;
  for (uint8_t b : id.actor.bytes) h = (h ^ b) * 0x100000001b3ull;
  h ^= h >> 31;
  return h * 0xbf58476d1ce4e5b9ull;
}

// Store and internal failures stay local: the peer learns the code only.
bool local_failure(Code c) {
  return c == Code::kIoError || c == Code::kBusy || c == Code::kCorrupt ||
         c == Code::kResourceExhausted || c == Code::kInternal || c == Code::kNotFound;
}

// Appends `first..last` of `actor` to `out`.
void push_range(std::vector<OpId>& out, const ActorId& actor, uint64_t first, uint64_t last) {
  for (uint64_t c = first; c <= last && c != 0; ++c) out.push_back(OpId{actor, c});
}

}  // namespace

std::string_view session_state_name(SessionState s) {
  switch (s) {
    case SessionState::kHandshake: return "handshake";
    case SessionState::kSyncing: return "syncing";
    case SessionState::kDone: return "done";
    case SessionState::kFailed: return "failed";
  }
  return "unknown";
}

// A data message of the outbound stream.
struct Session::Outgoing {
  enum class State { kQueued, kSent, kAcked };
  bool chunks = false;
  uint64_t batch_id = 0, seq = 0;
  uint64_t to = 0;   // batches: the last local cursor this batch covers
  uint64_t ops = 0;  // ops inside
  Bytes bytes;
  State state = State::kQueued;
  bool sent_before = false;
  uint64_t fingerprint = 0;    // sum of id_mix over its op ids
  uint32_t order_refusals = 0;  // refused for order while first in line
  // Refused for order (a dependency not there yet): send again only once
  // every earlier message is acknowledged.
  bool wait_head = false;
};

// A sealed chunk the peer will receive whole.
struct Session::ChunkPlan {
  ActorId actor;
  uint64_t index = 0;
  uint64_t first = 0, last = 0;
};

Session::Session(SessionOptions options) : options_(std::move(options)) {}
Session::~Session() = default;

namespace {
Status check_options(const SessionOptions& o) {
  if (o.peer.size() > kMaxPeerNameBytes) {
    return make_error(Code::kInvalidArgument, "session: peer name over " +
                                                  std::to_string(kMaxPeerNameBytes) + " bytes");
  }
  if (o.log_id.size() > kMaxLogIdBytes) {
    return make_error(Code::kInvalidArgument,
                      "session: log id over " + std::to_string(kMaxLogIdBytes) + " bytes");
  }
  if (o.token.size() > kMaxTokenBytes) {
    return make_error(Code::kInvalidArgument,
                      "session: token over " + std::to_string(kMaxTokenBytes) + " bytes");
  }
  if (o.max_batch_ops == 0 || o.max_batch_bytes == 0 || o.max_chunks_bytes == 0 || o.window == 0) {
    return make_error(Code::kInvalidArgument,
                      "session: max_batch_ops, max_batch_bytes, max_chunks_bytes and window "
                      "must be above 0");
  }
  return Status::ok();
}
}  // namespace

Result<std::unique_ptr<Session>> Session::connect(Log& log, SessionOptions options) {
  WEFT_TRY(check_options(options));
  std::unique_ptr<Session> s(new Session(std::move(options)));
  s->log_ = &log;
  s->initiator_ = true;
  Hello h;
  h.log_id = s->options_.log_id;
  h.token = s->options_.token;
  h.version_vector = log.version_vector();
  h.cursor = log.cursor();
  h.epoch = log.epoch();
  h.flags = (s->options_.push ? kHelloPush : 0) | (s->options_.accept ? kHelloAccept : 0);
  s->hello_bytes_ = encode_hello(h);
  s->control_.push_back(s->hello_bytes_);
  s->hello_queued_ = true;
  s->my_epoch_ = h.epoch;
  WEFT_TRY(s->load_peer());  // the retry state counts from the first Hello on
  return s;
}

Result<std::unique_ptr<Session>> Session::accept(Admit admit, SessionOptions options) {
  WEFT_TRY(check_options(options));
  if (!admit) return make_error(Code::kInvalidArgument, "session: no admission function");
  std::unique_ptr<Session> s(new Session(std::move(options)));
  s->admit_ = std::move(admit);
  return s;
}

Result<std::unique_ptr<Session>> Session::accept(Log& log, SessionOptions options) {
  Admission a;
  a.log = &log;
  a.push = options.push;
  a.accept = options.accept;
  a.peer = options.peer;
  Log* l = &log;
  return accept(
      [a, l](const Hello&) -> Result<Admission> {
        Admission out = a;
        out.epoch = l->epoch();
        return out;
      },
      std::move(options));
}

uint64_t Session::wall_now() const {
  return options_.wall_clock_ms ? options_.wall_clock_ms() : wall_clock_now();
}

Status Session::fail(Error e, bool tell_peer) {
  if (state_ == SessionState::kFailed) return error_;
  state_ = SessionState::kFailed;
  error_ = e;
  flight_.clear();
  if (tell_peer) {
    control_.push_back(encode_error(
        local_failure(e.code) ? Error{e.code, "session ended by a local failure on the peer"}
                              : e));
  }
  // A retryable failure counts as an attempt: the next session waits longer.
  if (e.retryable() && log_ != nullptr && !options_.peer.empty()) {
    ++attempts_;
    (void)persist(wall_now() + options_.retry.delay_ms(attempts_));  // before retry #attempts
  }
  return e;
}

Status Session::persist(uint64_t next_attempt_ms) {
  if (options_.peer.empty() || log_ == nullptr) return Status::ok();
  auto stored = log_->record_peer(options_.peer, PeerState{acked_cursor_, attempts_, next_attempt_ms});
  WEFT_TRY(stored);
  acked_cursor_ = stored->acked_cursor;
  return Status::ok();
}

std::optional<Bytes> Session::next_message() {
  auto sent = [&](Bytes b) {
    ++stats_.messages_sent;
    stats_.bytes_sent += b.size();
    return std::optional<Bytes>(std::move(b));
  };
  if (!control_.empty()) {
    Bytes b = std::move(control_.front());
    control_.pop_front();
    if (hello_queued_ && b == hello_bytes_) hello_queued_ = false;
    check_done();
    return sent(std::move(b));
  }
  if (state_ != SessionState::kSyncing && state_ != SessionState::kDone) return std::nullopt;
  if (Status s = fill_window(); !s) {
    (void)fail(s.error());
    return next_message();
  }
  bool earlier_unacked = false;
  for (auto& m : flight_) {
    if (m->state == Outgoing::State::kQueued && (!m->wait_head || !earlier_unacked)) {
      m->state = Outgoing::State::kSent;
      m->wait_head = false;
      if (m->sent_before) {
        ++stats_.resends;
      } else {
        m->sent_before = true;
        if (m->chunks) {
          ++stats_.chunks_sent;
        } else {
          ++stats_.batches_sent;
        }
        stats_.ops_sent += m->ops;
      }
      return sent(m->bytes);
    }
    if (m->state != Outgoing::State::kAcked) earlier_unacked = true;
  }
  return std::nullopt;
}

Status Session::receive(std::span<const uint8_t> message) {
  ++stats_.messages_received;
  stats_.bytes_received += message.size();
  if (state_ == SessionState::kFailed) return error_;
  auto kind = message_kind(message, options_.limits);
  if (!kind) return fail(kind.error());
  switch (kind.value()) {
    case MessageKind::kHello: {
      auto h = decode_hello(message, options_.limits);
      if (!h) return fail(h.error());
      return on_hello(h.value());
    }
    case MessageKind::kBatch: return on_batch(message);
    case MessageKind::kChunks: return on_chunks(message);
    case MessageKind::kAck: return on_ack(message);
    case MessageKind::kError: {
      auto e = decode_error(message, options_.limits);
      if (!e) return fail(e.error());
      Error err = e->error;
      err.message = "peer: " + err.message;
      return fail(std::move(err), /*tell_peer=*/false);
    }
    default:
      return fail(protocol(Code::kMalformed, "a " + std::to_string(static_cast<int>(kind.value())) +
                                                 " message has no place in a session"));
  }
}

Status Session::on_hello(const Hello& h) {
  if (peer_hello_) {
    // The peer did not get our Hello and sent its own again.
    if (!initiator_ && !hello_queued_) {
      control_.push_back(hello_bytes_);
      hello_queued_ = true;
    } else {
      ++stats_.ignored;
    }
    return Status::ok();
  }
  if (initiator_) {
    if (!options_.log_id.empty() && h.log_id != options_.log_id) {
      return fail(protocol(Code::kMalformed, "the peer answered for log '" + h.log_id +
                                                 "', not '" + options_.log_id + "'"));
    }
    push_ = options_.push && (h.flags & kHelloAccept);
    expect_inbound_ = options_.accept && (h.flags & kHelloPush);
  } else {
    auto adm = admit_(h);
    if (!adm) return fail(adm.error());
    if (adm->log == nullptr) return fail(protocol(Code::kInternal, "admission without a log"));
    log_ = adm->log;
    if (options_.peer.empty()) options_.peer = adm->peer;
    options_.push = adm->push;
    options_.accept = adm->accept;
    push_ = adm->push && (h.flags & kHelloAccept);
    expect_inbound_ = adm->accept && (h.flags & kHelloPush);
    Hello mine;
    mine.log_id = h.log_id;
    mine.version_vector = log_->version_vector();
    mine.cursor = log_->cursor();
    mine.epoch = adm->epoch;
    my_epoch_ = adm->epoch;
    mine.flags = (adm->push ? kHelloPush : 0) | (adm->accept ? kHelloAccept : 0);
    hello_bytes_ = encode_hello(mine);
    control_.push_back(hello_bytes_);
    hello_queued_ = true;
  }
  peer_hello_ = h;
  peer_epoch_ = h.epoch;
  // A peer holding more of our writer than we do has met another replica
  // minting under it: this one is a copy or a restore. Stop minting under
  // that writer before anything else (docs/storage.md, "Copies and restores").
  if (const ActorId me = log_->actor(); h.version_vector.get(me) > log_->held(me)) {
    Status s = log_->retire_writer("a peer holds counter " +
                                   std::to_string(h.version_vector.get(me)) +
                                   " of it, this replica " + std::to_string(log_->held(me)));
    if (!s) return fail(s.error());
  }
  state_ = SessionState::kSyncing;
  due_ms_.reset();
  session_attempts_ = 0;  // the peer answered
  if (Status s = start_outbound(); !s) return fail(s.error());
  check_done();
  return Status::ok();
}

Status Session::load_peer() {
  if (options_.peer.empty() || log_ == nullptr) return Status::ok();
  auto p = log_->peer(options_.peer);
  WEFT_TRY(p);
  acked_cursor_ = std::min(p->acked_cursor, log_->cursor());
  attempts_ = p->attempts;
  return Status::ok();
}

Status Session::start_outbound() {
  if (!initiator_) WEFT_TRY(load_peer());  // the initiator loaded it at connect
  if (!push_) return Status::ok();
  covered_ = peer_hello_->version_vector;
  end_cursor_ = log_->cursor();
  log_->version_vector().each_against(covered_, [&](const ActorId&, uint64_t max, uint64_t have) {
    if (max > have) stats_.ops_to_send += max - have;
  });
  // The first op neither the peer holds nor the chunk plan carries: the
  // scan starts there, never at the start of a long shared history.
  auto first_uncovered = [&]() -> Result<uint64_t> {
    auto first = log_->first_missing(covered_);
    WEFT_TRY(first);
    return std::min(first.value(), end_cursor_ + 1);
  };
  auto first_missing = first_uncovered();
  WEFT_TRY(first_missing);
  // The peer's Hello decides what is sent, never the acked cursor: a peer
  // may have lost what it acknowledged (restored from a backup, a memory
  // host restarted, the last commits of a power cut at synchronous=NORMAL),
  // and then those ops are sent again. The acked cursor is a high-water
  // mark and never moves back (S09); everything before the first op the
  // peer lacks is acknowledged.
  scan_from_ = first_missing.value();
  if (scan_from_ - 1 > acked_cursor_) {
    acked_cursor_ = scan_from_ - 1;
    WEFT_TRY(persist(0));
  }
  if (options_.ship_chunks) WEFT_TRY(plan_chunks());
  if (!chunk_plan_.empty()) {
    // Ops inside the chunks need not be read to be skipped: batches start
    // at the first op neither the peer holds nor a chunk carries.
    auto start = first_uncovered();
    WEFT_TRY(start);
    if (start.value() > scan_from_) {
      skipped_to_ = start.value() - 1;  // acked once the chunks are
      scan_from_ = start.value();
    }
  }
  return Status::ok();
}

Status Session::plan_chunks() {
  // Actors the peer holds nothing of get their sealed chunks whole, in an
  // order where every dependency of a chunk's ops is already held by the
  // peer or in an earlier chunk; chunks that cannot be ordered so travel as
  // batches with the rest.
  struct Candidate {
    std::vector<SealRecord> seals;
    std::vector<std::vector<OpId>> deps;  // per seal: foreign dependencies (max per actor)
    size_t next = 0;
  };
  std::vector<Candidate> cands;
  const VersionVector local = log_->version_vector();
  std::vector<ActorId> unheld;  // writers the peer holds nothing of
  local.each_against(covered_, [&](const ActorId& actor, uint64_t, uint64_t have) {
    if (have == 0) unheld.push_back(actor);
  });
  for (const ActorId& actor : unheld) {
    auto seals = log_->seals(actor);
    WEFT_TRY(seals);
    if (seals->empty()) continue;
    cands.push_back(Candidate{std::move(seals.value()), {}, 0});
  }
  if (cands.empty()) return Status::ok();
  auto deps_of = [&](const SealRecord& r) -> Result<std::vector<OpId>> {
    // A log of one writer has no foreign dependencies: nothing to decode.
    if (local.size() == 1) return std::vector<OpId>();
    auto stored = log_->get_chunk(r.actor, r.index);
    WEFT_TRY(stored);
    auto chunk = decode_chunk(stored->bytes, log_->limits());
    WEFT_TRY(chunk);
    VersionVector need;
    for (const Op& op : chunk->ops) {
      for (const OpId& d : op.deps) {
        if (d.actor != r.actor) need.advance(d.actor, d.counter);
      }
    }
    std::vector<OpId> out;
    for (const auto& [a, c] : need.entries()) out.push_back(OpId{a, c});
    return out;
  };
  bool progress = true;
  while (progress) {
    progress = false;
    for (Candidate& c : cands) {
      while (c.next < c.seals.size()) {
        const SealRecord& r = c.seals[c.next];
        if (c.deps.size() <= c.next) {
          auto d = deps_of(r);
          WEFT_TRY(d);
          c.deps.push_back(std::move(d.value()));
        }
        const auto& need = c.deps[c.next];
        const bool ready = std::all_of(need.begin(), need.end(),
                                       [&](const OpId& d) { return d.counter <= covered_.get(d.actor); });
        if (!ready) break;
        chunk_plan_.push_back(ChunkPlan{r.actor, r.index, r.first, r.last});
        covered_.advance(r.actor, r.last);
        ++c.next;
        progress = true;
      }
    }
  }
  return Status::ok();
}

Status Session::fill_window() {
  if (!push_ || log_ == nullptr) return Status::ok();
  auto unacked = [&] {
    return static_cast<uint32_t>(std::count_if(flight_.begin(), flight_.end(), [](const auto& m) {
      return m->state != Outgoing::State::kAcked;
    }));
  };
  while (unacked() < options_.window) {
    Result<bool> more = false;
    if (next_chunk_ < chunk_plan_.size()) {
      more = build_chunks_message();
    } else if (skipped_to_ != 0) {
      // The range the chunks cover: acknowledged with them (the prefix rule).
      auto skip = std::make_unique<Outgoing>();
      skip->to = skipped_to_;
      skip->state = Outgoing::State::kAcked;
      flight_.push_back(std::move(skip));
      skipped_to_ = 0;
    } else if (scan_from_ <= end_cursor_) {
      more = build_batch();
    }
    WEFT_TRY(more);
    if (!more.value()) break;
  }
  WEFT_TRY(advance_acked());  // ranges the peer already held are acked at once
  return Status::ok();
}

Result<bool> Session::build_chunks_message() {
  ChunksMessage m;
  m.batch_id = 0;
  uint64_t ops = 0;
  uint64_t fingerprint = 0;
  size_t bytes = 0;
  while (next_chunk_ < chunk_plan_.size()) {
    const ChunkPlan& p = chunk_plan_[next_chunk_];
    auto c = log_->get_chunk(p.actor, p.index);
    WEFT_TRY(c);
    if (!m.chunks.empty() && bytes + c->bytes.size() > options_.max_chunks_bytes) break;
    bytes += c->bytes.size();
    ops += p.last - p.first + 1;
    for (uint64_t k = p.first; k <= p.last; ++k) fingerprint += id_mix(OpId{p.actor, k});
    m.chunks.push_back(std::move(c->bytes));
    ++next_chunk_;
  }
  m.seq = next_chunk_;  // chunks messages: batch_id 0, seq = chunks planned so far
  auto out = std::make_unique<Outgoing>();
  out->chunks = true;
  out->batch_id = m.batch_id;
  out->seq = m.seq;
  out->ops = ops;
  out->fingerprint = fingerprint;
  out->bytes = encode_chunks(m);
  flight_.push_back(std::move(out));
  return true;
}

Result<bool> Session::build_batch() {
  // The batch covers local cursors [from, to]: every op there the peer does
  // not hold (nor gets in a chunk), in cursor order, which satisfies every
  // dependency. Its identity is (batch_id = from, seq = to): the same
  // pending ops from the same acked cursor give the same batch.
  Batch b;
  b.epoch = peer_epoch_;
  const uint64_t from = scan_from_;
  size_t bytes = 0;
  BatchActors actors(log_->limits().max_actors);
  while (scan_from_ <= end_cursor_) {
    if (pending_ops_.empty()) {
      // Read ahead about one batch's bytes, not a batch's count of ops of
      // any size: the page follows the payload sizes seen.
      const uint64_t want =
          std::min<uint64_t>({read_page_, options_.max_batch_ops, end_cursor_ - scan_from_ + 1});
      auto ops = log_->read(scan_from_, static_cast<size_t>(want));
      WEFT_TRY(ops);
      if (ops->empty()) {
        return protocol(Code::kCorrupt, "the log has no op at cursor " + std::to_string(scan_from_));
      }
      size_t page_bytes = 0;
      for (const StoredOp& s : ops.value()) page_bytes += s.op.payload.size();
      const uint64_t avg = std::max<uint64_t>(1, page_bytes / ops->size());
      read_page_ = std::clamp<uint64_t>(options_.max_batch_bytes / avg, 1, options_.max_batch_ops);
      pending_ops_ = std::move(ops.value());
      std::reverse(pending_ops_.begin(), pending_ops_.end());  // consumed from the back
    }
    StoredOp& next = pending_ops_.back();
    if (next.cursor != scan_from_) {
      return protocol(Code::kCorrupt, "the log has no op at cursor " + std::to_string(scan_from_));
    }
    if (next.op.id.counter <= covered_.get(next.op.id.actor)) {
      pending_ops_.pop_back();
      ++scan_from_;
      continue;
    }
    if (!b.ops.empty() && (b.ops.size() >= options_.max_batch_ops ||
                           bytes + next.op.payload.size() > options_.max_batch_bytes ||
                           !actors.fits(next.op, b.ops))) {
      break;
    }
    bytes += next.op.payload.size();
    actors.add(next.op);
    b.ops.push_back(std::move(next.op));
    pending_ops_.pop_back();
    ++scan_from_;
  }
  auto out = std::make_unique<Outgoing>();
  out->to = scan_from_ - 1;
  out->batch_id = from;
  out->seq = out->to;
  out->ops = b.ops.size();
  for (const Op& op : b.ops) out->fingerprint += id_mix(op.id);
  if (b.ops.empty()) {
    out->state = Outgoing::State::kAcked;  // the peer holds all of it
  } else {
    b.batch_id = out->batch_id;
    b.seq = out->seq;
    out->bytes = encode_batch(b);
  }
  flight_.push_back(std::move(out));
  return true;
}

void Session::refuse_whole(uint64_t batch_id, uint64_t seq, Code code) {
  Ack refused;  // a batch-level status discloses no per-op outcome
  refused.batch_id = batch_id;
  refused.seq = seq;
  refused.status = code;
  refused.cursor = log_->cursor();
  control_.push_back(encode_ack(refused));
}

Result<bool> Session::may_apply() {
  if (!peer_hello_ || log_ == nullptr) {
    ++stats_.ignored;  // from an earlier session, before this one's handshake
    return false;
  }
  if (!options_.accept) {
    return fail(protocol(Code::kPermissionDenied,
                         "this session does not apply the peer's ops (its capability is read-only)"))
        .error();
  }
  return true;
}

Status Session::on_batch(std::span<const uint8_t> bytes) {
  auto may = may_apply();
  if (!may || !may.value()) return may.status();
  auto batch = decode_batch(bytes, options_.limits);
  if (!batch) return fail(batch.error());
  if (batch->epoch != my_epoch_) {
    // Only the epoch this session was admitted at (the one our Hello named)
    // may write here; the log re-checks its own epoch inside the apply.
    refuse_whole(batch->batch_id, batch->seq,
                 batch->epoch < my_epoch_ ? Code::kStaleEpoch : Code::kPermissionDenied);
    return Status::ok();
  }
  auto ack = log_->apply(batch.value());
  if (!ack) return fail(ack.error());
  stats_.applied += ack->applied.size();
  stats_.duplicates += ack->duplicates.size();
  stats_.rejected += ack->rejected.size();
  control_.push_back(encode_ack(ack.value()));
  check_done();
  return Status::ok();
}

Status Session::on_chunks(std::span<const uint8_t> bytes) {
  auto may = may_apply();
  if (!may || !may.value()) return may.status();
  auto m = decode_chunks(bytes, options_.limits);
  if (!m) return fail(m.error());
  Ack ack;
  ack.batch_id = m->batch_id;
  ack.seq = m->seq;
  VersionVector held = log_->version_vector();
  for (const Bytes& c : m->chunks) {
    // Under the epoch this session was admitted at, checked inside the
    // chunk's transaction: a revoke refuses the rest of the message whole.
    auto rec = log_->put_chunk(c, std::nullopt, my_epoch_);
    if (rec.code() == Code::kStaleEpoch || rec.code() == Code::kPermissionDenied) {
      refuse_whole(m->batch_id, m->seq, rec.code());
      return Status::ok();
    }
    if (rec) {
      const uint64_t before = held.get(rec->actor);
      push_range(ack.duplicates, rec->actor, rec->first, std::min(rec->last, before));
      push_range(ack.applied, rec->actor, std::max(rec->first, before + 1), rec->last);
      held.advance(rec->actor, rec->last);
      continue;
    }
    const Code code = rec.code();
    if (code_retryable(code) && !order_code(code)) return fail(rec.error());  // the store
    auto decoded = decode_chunk(c, options_.limits);
    if (!decoded || decoded->ops.empty()) return fail(rec.error());  // cannot name its ops
    for (const Op& op : decoded->ops) ack.rejected.push_back(Rejection{op.id, code});
  }
  ack.cursor = log_->cursor();
  stats_.applied += ack.applied.size();
  stats_.duplicates += ack.duplicates.size();
  stats_.rejected += ack.rejected.size();
  control_.push_back(encode_ack(ack));
  check_done();
  return Status::ok();
}

Status Session::on_ack(std::span<const uint8_t> bytes) {
  auto ack = decode_ack(bytes, options_.limits);
  if (!ack) return fail(ack.error());
  Outgoing* m = nullptr;
  for (auto& f : flight_) {
    if (f->batch_id == ack->batch_id && f->seq == ack->seq && f->sent_before &&
        f->state != Outgoing::State::kAcked) {
      m = f.get();
      break;
    }
  }
  const uint64_t outcomes = ack->applied.size() + ack->duplicates.size() + ack->rejected.size();
  uint64_t fingerprint = 0;
  for (const OpId& id : ack->applied) fingerprint += id_mix(id);
  for (const OpId& id : ack->duplicates) fingerprint += id_mix(id);
  for (const Rejection& r : ack->rejected) fingerprint += id_mix(r.id);
  if (m == nullptr ||
      (ack->status == Code::kOk && (outcomes != m->ops || fingerprint != m->fingerprint))) {
    // A stale or replayed ack, or one for another batch: nothing moves (S09).
    ++stats_.stale_acks;
    return Status::ok();
  }
  if (ack->status != Code::kOk) {
    return fail(protocol(ack->status, "the peer refused batch " + std::to_string(m->batch_id) +
                                          ":" + std::to_string(m->seq) + " as a whole: " +
                                          std::string(code_name(ack->status))),
                /*tell_peer=*/false);
  }
  stats_.peer_applied += ack->applied.size();
  stats_.peer_duplicates += ack->duplicates.size();
  stats_.peer_rejected += ack->rejected.size();
  bool reorder = false;
  for (const Rejection& r : ack->rejected) {
    if (order_code(r.code)) {
      reorder = true;
      continue;
    }
    return fail(protocol(r.code, "the peer rejected op " + r.id.to_string() + ": " +
                                     std::string(code_name(r.code))));
  }
  due_ms_.reset();
  if (reorder) {
    // Arrived before what it depends on (S11): again once every earlier
    // message is in. Refused again when nothing earlier is outstanding, its
    // dependencies are not at the peer at all: end the session (retryable;
    // the next handshake plans anew) instead of resending forever.
    bool first_in_line = true;
    for (const auto& f : flight_) {
      if (f.get() == m) break;
      if (f->state != Outgoing::State::kAcked) {
        first_in_line = false;
        break;
      }
    }
    if (first_in_line && ++m->order_refusals > 1) {
      return fail(protocol(Code::kMissingDependency,
                           "the peer refused batch " + std::to_string(m->batch_id) + ":" +
                               std::to_string(m->seq) +
                               " twice for missing dependencies with nothing earlier outstanding"));
    }
    m->state = Outgoing::State::kQueued;
    m->wait_head = !first_in_line;
    return Status::ok();
  }
  m->state = Outgoing::State::kAcked;
  stats_.ops_acked += m->ops;
  attempts_ = 0;
  session_attempts_ = 0;
  return advance_acked();
}

Status Session::advance_acked() {
  uint64_t acked = acked_cursor_;
  size_t done = 0;
  while (done < flight_.size() && flight_[done]->state == Outgoing::State::kAcked) {
    if (!flight_[done]->chunks) acked = std::max(acked, flight_[done]->to);
    ++done;
  }
  flight_.erase(flight_.begin(), flight_.begin() + static_cast<std::ptrdiff_t>(done));
  if (acked != acked_cursor_) {
    acked_cursor_ = acked;
    if (Status s = persist(0); !s) return fail(s.error());
  }
  check_done();
  return Status::ok();
}

void Session::check_done() {
  if (state_ != SessionState::kSyncing || !control_.empty()) return;
  const bool outbound = !push_ || (next_chunk_ >= chunk_plan_.size() &&
                                   scan_from_ > end_cursor_ && flight_.empty());
  if (!outbound) return;
  if (expect_inbound_) {
    // What the peer's Hello promised and the log does not hold yet, found
    // once and then only shrunk: checking the whole vector after every
    // message would cost O(actors) a message.
    if (!awaiting_) {
      awaiting_.emplace();
      peer_hello_->version_vector.each_against(
          log_->version_vector(), [&](const ActorId& actor, uint64_t max, uint64_t have) {
            if (have < max) awaiting_->push_back({actor, max});
          });
    }
    while (!awaiting_->empty() && log_->held(awaiting_->back().first) >= awaiting_->back().second) {
      awaiting_->pop_back();
    }
    if (!awaiting_->empty()) return;
  }
  state_ = SessionState::kDone;
}

Status Session::tick(uint64_t now_ms) {
  if (state_ == SessionState::kFailed) return error_;
  if (state_ == SessionState::kDone) return Status::ok();
  const bool hello_unanswered = initiator_ && !peer_hello_;
  const bool waiting = hello_unanswered ||
                       std::any_of(flight_.begin(), flight_.end(), [](const auto& m) {
                         return m->state == Outgoing::State::kSent;
                       });
  if (!waiting) {
    due_ms_.reset();
    return Status::ok();
  }
  if (!due_ms_) {
    due_ms_ = options_.retry.next_due_ms(now_ms, session_attempts_ + 1);  // saturates
    return Status::ok();
  }
  if (now_ms < *due_ms_) return Status::ok();
  // Resends within this session are bounded by max_attempts; the durable
  // count (attempts_) spaces out the next sessions.
  ++session_attempts_;
  if (!options_.retry.should_retry(Code::kTimeout, session_attempts_)) {
    return fail(protocol(Code::kTimeout, "no answer from the peer after " +
                                             std::to_string(session_attempts_) + " attempts"));
  }
  ++attempts_;
  if (hello_unanswered && !hello_queued_) {
    control_.push_back(hello_bytes_);
    hello_queued_ = true;
  }
  for (auto& m : flight_) {
    if (m->state == Outgoing::State::kSent) m->state = Outgoing::State::kQueued;
  }
  due_ms_ = options_.retry.next_due_ms(now_ms, session_attempts_ + 1);
  if (log_ != nullptr) {
    if (Status s = persist(wall_now() + options_.retry.delay_ms(attempts_)); !s) {
      return fail(s.error());
    }
  }
  return Status::ok();
}

uint64_t retry_wait_ms(const PeerState& state, uint64_t now_wall_ms, const RetryPolicy& policy) {
  if (state.attempts == 0 || state.next_attempt_ms <= now_wall_ms) return 0;
  // Recorded as wall + delay(attempts) (before retry number `attempts`).
  return std::min(state.next_attempt_ms - now_wall_ms, policy.delay_ms(state.attempts));
}

// ---------------------------------------------------------------- host

namespace {
constexpr unsigned char kHostPersonal[crypto_generichash_blake2b_PERSONALBYTES] = {
    'w', 'e', 'f', 't', '/', 'h', 'o', 's', 't', '/', 'v', '1', 0, 0, 0, 0};

Status check_log_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxLogIdBytes) {
    return make_error(Code::kInvalidArgument, "host: a log id is 1 to " +
                                                  std::to_string(kMaxLogIdBytes) + " bytes, got " +
                                                  std::to_string(id.size()));
  }
  return Status::ok();
}
}  // namespace

Host::Host(const Secret& master_key, Opener opener) : master_(master_key), opener_(std::move(opener)) {}

Host::~Host() { sodium_memzero(master_.data(), master_.size()); }

Secret Host::secret_for(std::string_view log_id) const {
  crypto_generichash_blake2b_state st;
  crypto_generichash_blake2b_init_salt_personal(&st, master_.data(), master_.size(), 32, nullptr,
                                                kHostPersonal);
  crypto_generichash_blake2b_update(&st, reinterpret_cast<const uint8_t*>(log_id.data()),
                                    log_id.size());
  Secret s;
  crypto_generichash_blake2b_final(&st, s.data(), s.size());
  return s;
}

Result<Log*> Host::log(std::string_view log_id) {
  WEFT_TRY(check_log_id(log_id));
  std::lock_guard lock(mu_);
  auto it = logs_.find(log_id);
  if (it != logs_.end()) {
    // The epoch as stored now: another process may have revoked since this
    // host last wrote to the log.
    WEFT_TRY(it->second->refresh());
    return it->second.get();
  }
  auto opened = opener_(log_id);
  WEFT_TRY(opened);
  if (!opened.value()) return make_error(Code::kInternal, "host: the opener returned no log");
  Log* l = opened.value().get();
  logs_.emplace(std::string(log_id), std::move(opened.value()));
  return l;
}

Result<Bytes> Host::issue(std::string_view log_id, Scope scope) {
  auto l = log(log_id);
  WEFT_TRY(l);
  Secret s = secret_for(log_id);
  Bytes t = issue_token(s, log_id, l.value()->epoch(), scope);
  sodium_memzero(s.data(), s.size());
  return t;
}

Result<Host::Redeemed> Host::redeem(std::string_view log_id, std::span<const uint8_t> token) {
  auto l = log(log_id);
  WEFT_TRY(l);
  Log& log = *l.value();
  Secret s = secret_for(log_id);
  auto g = verify_token(s, log_id, log.epoch(), token, Scope::kRead);
  sodium_memzero(s.data(), s.size());
  WEFT_TRY(g);
  Redeemed r;
  r.grant = std::move(g.value());
  r.cursor = log.cursor();
  r.ops = log.version_vector().total();
  r.actors = log.actor_count();
  auto d = log.digest();
  WEFT_TRY(d);
  r.digest = d.value();
  return r;
}

Result<uint32_t> Host::revoke(std::string_view log_id) {
  auto l = log(log_id);
  WEFT_TRY(l);
  return l.value()->bump_epoch();
}

Result<Admission> Host::admit(const Hello& hello) {
  if (hello.log_id.empty()) return make_error(Code::kInvalidArgument, "hello: no log id");
  if (hello.token.empty()) {
    return make_error(Code::kPermissionDenied, "hello: a capability token is required");
  }
  Secret s = secret_for(hello.log_id);
  // The MAC first, before the log is opened (and perhaps created): at an
  // epoch above any, a genuine token is only "stale", a forged one refused.
  auto genuine = verify_token(s, hello.log_id, UINT32_MAX, hello.token, Scope::kRead);
  if (!genuine && genuine.code() != Code::kStaleEpoch) {
    sodium_memzero(s.data(), s.size());
    return genuine.error();
  }
  auto l = log(hello.log_id);
  if (!l) {
    sodium_memzero(s.data(), s.size());
    // Whether a log exists is not disclosed to someone without a token for it.
    if (l.code() == Code::kNotFound) {
      return make_error(Code::kPermissionDenied, "token: not valid on this host");
    }
    return l.error();
  }
  auto g = verify_token(s, hello.log_id, l.value()->epoch(), hello.token, Scope::kRead);
  sodium_memzero(s.data(), s.size());
  WEFT_TRY(g);
  Admission a;
  a.log = l.value();
  a.push = true;
  a.accept = g->scope != Scope::kRead;
  a.epoch = g->epoch;
  return a;
}

Result<std::unique_ptr<Session>> Host::accept(SessionOptions options) {
  return Session::accept([this](const Hello& h) { return admit(h); }, std::move(options));
}

}  // namespace weft
