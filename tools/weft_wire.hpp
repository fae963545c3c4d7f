// The `weft` command's transports: a Session over a framed byte stream
// (pipes, a child process, TCP), signals, and the progress bar
// (docs/weft-command.md, "Framing").
#pragma once

#include <poll.h>
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "weft/policy.hpp"
#include "weft/session.hpp"
#include "weft/status.hpp"

namespace weft::cli {

// Frames are a 4-byte little-endian length, then the message; a frame
// announcing more than this is refused (MALFORMED) before any allocation.
inline constexpr size_t kMaxFrameBytes = 256u << 20;

// How long a closing channel waits for its output to drain and for the
// peer to close its side.
inline constexpr uint64_t kLingerMs = 5000;

// The retry policy of sessions over a stream: the stream loses nothing, so
// a resend only helps against a peer that stopped; the policy mostly
// bounds how long a silent peer is waited for (TIMEOUT after ~2-3 min).
inline constexpr RetryPolicy kStreamRetry{.base_ms = 5000, .max_ms = 60'000, .max_attempts = 6,
                                          .seed = 0};

// The monotonic clock.
uint64_t monotonic_ms();

// SIGINT and SIGTERM set a flag (and interrupt poll). With
// `ignore_sigpipe`, a peer that goes away is a write error, not a dead
// process.
void install_stop_handlers(bool ignore_sigpipe = true);
// The signal that asked us to stop, or 0.
int stop_signal();

// A Session over one byte stream, driven by poll(): non-blocking reads and
// writes, so two peers sending large messages at once never deadlock.
// Session::tick gets a clock that stands still while bytes flow.
//
// The initiator closes its write side once its session is done and every
// message is written, then waits for the peer to close (the responder
// closes when it sees that end of input). Either side closes after its
// session fails, once the Error message for the peer is written.
class Channel {
 public:
  enum class Role { kInitiator, kResponder };
  enum class Kind {
    kPipes,   // two pipe ends, owned: closing the write end is the half-close
    kSocket,  // one socket, owned: shutdown(SHUT_WR) is the half-close
    kStdio,   // our stdin and stdout, not owned: the process exit closes them
  };

  Channel(Kind kind, int in_fd, int out_fd, Role role, std::unique_ptr<Session> session);
  ~Channel();
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  // Moves the session's messages into the output buffer, ticks it and
  // decides whether to close. Call before each poll().
  void prepare(uint64_t now_ms);
  // Appends the descriptors to wait on; handle() takes the same entries.
  void add_pollfds(std::vector<pollfd>& fds);
  void handle(const std::vector<pollfd>& fds, uint64_t now_ms);

  // A responder gives up (TIMEOUT) on a peer silent for this long; 0: never.
  void set_idle_timeout(uint64_t ms) { idle_timeout_ms_ = ms; }

  // Ends the channel now (an interrupt): result() reports `why` unless the
  // session is already done.
  void abort(Error why);

  bool finished() const { return phase_ == Phase::kFinished; }
  // OK when the session completed; otherwise why it did not.
  Status result() const;
  Session& session() { return *session_; }

 private:
  enum class Phase { kRunning, kFlushing, kDraining, kFinished };

  void pull_messages();
  void on_readable();
  void on_writable();
  void parse_frames();
  void close_write();
  void finish();
  void fail_transport(Error e);

  Kind kind_;
  int in_fd_, out_fd_;
  int saved_in_flags_ = -1, saved_out_flags_ = -1;
  Role role_;
  std::unique_ptr<Session> session_;
  Phase phase_ = Phase::kRunning;
  uint64_t deadline_ms_ = 0;
  bool in_eof_ = false;
  bool write_closed_ = false;
  std::optional<Error> transport_error_;
  std::optional<Error> abort_error_;
  bool timed_out_ = false;
  std::vector<uint8_t> in_;
  size_t in_off_ = 0;
  std::vector<uint8_t> out_;
  size_t out_off_ = 0;
  size_t poll_index_ = 0, poll_entries_ = 0;
  uint64_t idle_timeout_ms_ = 0;
  uint64_t last_input_ms_ = 0;
  // The clock Session::tick sees runs only while no byte moves either way:
  // a peer busy sending us a large message, or reading ours, is alive, and
  // its answer is not overdue.
  uint64_t quiet_clock_ms_ = 0;
  uint64_t last_prepare_ms_ = 0;
  bool moved_ = false;
};

// Runs one channel until it finishes or a stop signal arrives, calling
// `on_step` (if any) once per loop, e.g. to draw progress.
Status run_channel(Channel& channel, const std::function<void(Session&)>& on_step = {});

// ----------------------------------------------------------------- endpoints

struct HostPort {
  std::string host, port;
};
// "host:port" or "[v6]:port"; nullopt if malformed.
std::optional<HostPort> split_host_port(std::string_view text);

// A connected TCP socket (non-blocking after the connect).
Result<int> tcp_connect(const HostPort& where);
// A listening socket on a loopback address (INVALID_ARGUMENT otherwise);
// `bound` receives the actual "address:port" (port 0 picks a free one).
Result<int> tcp_listen(const HostPort& where, std::string& bound);
// "address:port" of a socket's peer.
std::string peer_name_of(int fd);

// A child process whose stdin and stdout are pipes to us.
struct Child {
  pid_t pid = -1;
  int to_child = -1;    // its stdin
  int from_child = -1;  // its stdout
};
// Spawns `argv` (searched in PATH) with default signal dispositions.
Result<Child> spawn_child(const std::vector<std::string>& argv);
// Waits up to `timeout_ms` for the child, then SIGTERMs it and waits; its
// wait status.
int wait_child(pid_t pid, uint64_t timeout_ms);

// ----------------------------------------------------------------- progress

// A one-line progress bar on stderr, drawn only when stderr is a terminal
// and the operation has run for over half a second.
class Progress {
 public:
  Progress();
  void update(uint64_t done, uint64_t total, std::string_view label);
  // Clears the line if anything was drawn.
  void finish();

 private:
  bool enabled_;
  bool drawn_ = false;
  uint64_t start_ms_;
  uint64_t last_ms_ = 0;
};

}  // namespace weft::cli
