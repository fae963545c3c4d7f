// weft: sync sessions and the host of many logs (docs/sync.md).
//
// A Session is a state machine over byte messages: the application moves
// them over any transport (a socket, HTTP, a pipe, another language's event
// loop). It owns no threads and no sockets and reads no clock: time comes in
// through tick(). The local log is the outbox: per named peer the store keeps
// the acked cursor and the retry state, so a session after a crash resumes
// from what the peer confirmed, and a lost response is answered by resending
// the same bytes, which the peer reports as duplicates.
//
// Thread-safety: a Session is used from one thread at a time (it is not
// synchronized). Many sessions may share one Log or one Host: both are
// internally synchronized.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "weft/codec.hpp"
#include "weft/log.hpp"
#include "weft/policy.hpp"
#include "weft/status.hpp"
#include "weft/token.hpp"

namespace weft {

struct SessionOptions {
  // The name the local log keeps this peer's outbox state under (acked
  // cursor, retry state). Empty: nothing is persisted, and the outbox scan
  // starts at cursor 1 (the peer's version vector still skips what it holds).
  std::string peer;
  // Sent in the initiator's Hello: the log a host should use, and the
  // capability token (a Token message) that grants access to it.
  std::string log_id;
  Bytes token;
  bool push = true;    // send the peer the ops it lacks
  bool accept = true;  // apply the ops the peer sends
  // Batches are bounded by ops and by payload bytes (one bigger op still
  // travels, alone); Chunks messages by bytes (one bigger chunk travels alone).
  uint32_t max_batch_ops = 4096;
  size_t max_batch_bytes = 1u << 20;
  size_t max_chunks_bytes = 8u << 20;
  // Data messages (Batch, Chunks) sent and not yet acknowledged, at most.
  uint32_t window = 8;
  // Ship sealed chunks of actors the peer holds nothing of.
  bool ship_chunks = true;
  // When to resend unanswered messages (tick), and when to give up (TIMEOUT).
  RetryPolicy retry{.base_ms = 1000, .max_ms = 60'000, .max_attempts = 8, .seed = 0};
  // Decoding limits for received messages.
  Limits limits;
  // Wall-clock milliseconds since 1970, only to record the next attempt's
  // time in the peer's durable state. Unset: the system clock.
  std::function<uint64_t()> wall_clock_ms;
};

enum class SessionState : uint32_t {
  kHandshake = 0,  // waiting for the peer's Hello
  kSyncing = 1,    // exchanging ops
  kDone = 2,       // both directions complete (the session still answers batches)
  kFailed = 3,     // ended by an error; see Session::error()
};

std::string_view session_state_name(SessionState s);

struct SessionStats {
  uint64_t messages_sent = 0, bytes_sent = 0;
  uint64_t messages_received = 0, bytes_received = 0;
  uint64_t batches_sent = 0, chunks_sent = 0, ops_sent = 0;  // ops in batches and chunks
  uint64_t resends = 0;       // data messages sent again (same bytes)
  uint64_t stale_acks = 0;    // acks that matched nothing in flight: ignored
  uint64_t ignored = 0;       // messages out of place (before the handshake, say)
  // From the acks the peer sent for our messages.
  uint64_t peer_applied = 0, peer_duplicates = 0, peer_rejected = 0;
  // What we applied from the peer's messages.
  uint64_t applied = 0, duplicates = 0, rejected = 0;
  // Progress of the outbound stream: ops to send as counted at the handshake,
  // and ops the peer has acknowledged.
  uint64_t ops_to_send = 0, ops_acked = 0;
};

// What a host grants a Hello: the log, the directions and the epoch.
struct Admission {
  Log* log = nullptr;
  bool push = true;    // the responder sends the initiator what it lacks
  bool accept = true;  // the responder applies what the initiator sends
  uint32_t epoch = 0;  // the epoch the initiator must stamp on its batches
  std::string peer;    // outbox name on the responder's side (may be empty)
};

class Session {
 public:
  // The initiating side over `log`: its Hello is the first message.
  // INVALID_ARGUMENT for a peer name over kMaxPeerNameBytes, a log id over
  // kMaxLogIdBytes, a token over kMaxTokenBytes or zero-sized bounds.
  static Result<std::unique_ptr<Session>> connect(Log& log, SessionOptions options);

  // The responding side: waits for a Hello and asks `admit` for the log and
  // the rights it grants (a host checks the token there). An error from
  // `admit` is sent to the peer as an Error message and fails the session.
  using Admit = std::function<Result<Admission>(const Hello&)>;
  static Result<std::unique_ptr<Session>> accept(Admit admit, SessionOptions options = {});
  // A responder over one log, granting what `options.push`/`accept` say.
  static Result<std::unique_ptr<Session>> accept(Log& log, SessionOptions options = {});

  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // The next message to send, or nullopt when there is nothing to send now
  // (the window is full, or everything is sent and awaits answers).
  std::optional<Bytes> next_message();

  // Handles one message from the peer. An error means the session failed
  // (a malformed message, a refused capability, a store failure, an Error
  // from the peer): error() says why, and next_message() yields an Error
  // message for the peer unless the peer sent one. Receiving after the
  // session is done still answers batches (a peer whose ack was lost).
  Status receive(std::span<const uint8_t> message);

  // The caller's monotonic clock (any origin, never wall time). When an
  // answer is overdue per the retry policy, queues the unanswered messages
  // again (byte-identical), counts the attempt and records it durably for
  // the peer; past retry.max_attempts the session fails with TIMEOUT.
  Status tick(uint64_t now_ms);

  SessionState state() const { return state_; }
  bool done() const { return state_ == SessionState::kDone; }
  const Error& error() const { return error_; }
  const SessionStats& stats() const { return stats_; }
  // The peer's Hello, once received.
  const std::optional<Hello>& peer_hello() const { return peer_hello_; }
  // The durable acked cursor for the peer (as this session last knew it).
  uint64_t acked_cursor() const { return acked_cursor_; }

 private:
  struct Outgoing;
  struct ChunkPlan;

  explicit Session(SessionOptions options);

  Status fail(Error e, bool tell_peer = true);
  Status on_hello(const Hello& h);
  Status load_peer();
  Status start_outbound();
  Status plan_chunks();
  // Queues more data messages while the window allows.
  Status fill_window();
  Result<bool> build_chunks_message();
  Result<bool> build_batch();
  // Whether a data message may be applied now: false to ignore it (before
  // the handshake); an error (and the session failed) if it may never be.
  Result<bool> may_apply();
  // Answers a data message refused as a whole (an epoch it may not write at).
  void refuse_whole(uint64_t batch_id, uint64_t seq, Code code);
  Status on_batch(std::span<const uint8_t> bytes);
  Status on_chunks(std::span<const uint8_t> bytes);
  Status on_ack(std::span<const uint8_t> bytes);
  Status advance_acked();
  Status persist(uint64_t next_attempt_ms);
  void check_done();
  uint64_t wall_now() const;

  SessionOptions options_;
  Admit admit_;
  Log* log_ = nullptr;
  bool initiator_ = false;
  SessionState state_ = SessionState::kHandshake;
  Error error_;
  SessionStats stats_;

  Bytes hello_bytes_;          // ours, kept to resend until the peer's arrives
  bool hello_queued_ = false;  // ours waits in control_
  std::optional<Hello> peer_hello_;
  // The peer's Hello entries this log does not hold yet (see check_done).
  std::optional<std::vector<std::pair<ActorId, uint64_t>>> awaiting_;
  bool push_ = false;          // we stream to the peer
  bool expect_inbound_ = false;
  uint32_t peer_epoch_ = 0;

  std::deque<Bytes> control_;  // Hello, Ack and Error messages, sent first
  std::vector<std::unique_ptr<Outgoing>> flight_;  // data messages, oldest first
  size_t next_send_ = 0;                           // first in flight_ not sent yet

  // The outbound stream.
  VersionVector covered_;  // what the peer holds or will hold from chunks sent
  std::vector<ChunkPlan> chunk_plan_;
  size_t next_chunk_ = 0;
  uint64_t scan_from_ = 0;  // next local cursor to consider for a batch
  uint64_t skipped_to_ = 0;  // cursors below scan_from_ carried by chunks, if any
  uint64_t end_cursor_ = 0;  // the local cursor at the handshake: the stream's end
  uint64_t acked_cursor_ = 0;
  uint32_t attempts_ = 0;          // durable: failures since the last progress
  uint32_t session_attempts_ = 0;  // resends in this session since the last answer
  uint64_t read_page_ = 64;        // ops read ahead per store read, by bytes seen
  uint32_t my_epoch_ = 0;          // the epoch our Hello named: what the peer must write at
  std::optional<uint64_t> due_ms_;
  std::vector<StoredOp> pending_ops_;  // read ahead, not yet batched
};

// A host of many logs: applies what clients send under their capability,
// serves what they lack, issues, redeems and revokes tokens. Each hosted
// log's 32-byte secret is derived from the host's master key and the log's
// id (keyed BLAKE2b), so the host keeps one secret; a log's epoch lives in
// its store and a revoke is durable (synced) before it returns.
//
// Thread-safety: internally synchronized.
class Host {
 public:
  // Opens the log named `log_id`, creating it if needed. Called once per id
  // for the host's lifetime. An error is passed on to whoever asked.
  using Opener = std::function<Result<std::unique_ptr<Log>>(std::string_view log_id)>;

  Host(const Secret& master_key, Opener opener);
  ~Host();

  // The hosted log, opened through the opener the first time, and brought
  // up to date with other connections' commits (a revoke) every time.
  // INVALID_ARGUMENT for an empty id or one over kMaxLogIdBytes.
  Result<Log*> log(std::string_view log_id);

  // A token for `log_id` at its current epoch.
  Result<Bytes> issue(std::string_view log_id, Scope scope);

  struct Redeemed {
    Grant grant;          // log id, epoch, scope
    uint64_t cursor = 0;  // the log's cursor now
    uint64_t ops = 0;     // ops held (the version vector's total)
    uint64_t actors = 0;  // writers known
    Hash digest{};        // the log's digest now
  };
  // Verifies `token` (any scope) and describes the log it opens.
  // MALFORMED, PERMISSION_DENIED or STALE_EPOCH as verify_token says.
  Result<Redeemed> redeem(std::string_view log_id, std::span<const uint8_t> token);

  // Bumps the log's epoch: every token issued before fails with
  // STALE_EPOCH, and batches in flight under the old epoch are refused
  // inside their apply transaction. Returns the new epoch once durable.
  Result<uint32_t> revoke(std::string_view log_id);

  // A responder session: its Hello names the log and carries a token; read
  // scope lets the client pull, append or admin also lets it push.
  Result<std::unique_ptr<Session>> accept(SessionOptions options = {});

 private:
  Secret secret_for(std::string_view log_id) const;
  Result<Admission> admit(const Hello& hello);

  Secret master_;
  Opener opener_;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<Log>, std::less<>> logs_;
};

// How long to wait before the next attempt for a peer whose durable state is
// `state`, re-based on the wall clock now (S63): never more than the retry
// policy's delay for the attempts made (a clock moved back does not starve
// the peer), never less than zero (a clock moved forward fires once, now).
uint64_t retry_wait_ms(const PeerState& state, uint64_t now_wall_ms, const RetryPolicy& policy);

}  // namespace weft
