// The `weft` command's transports (tools/weft_wire.hpp).
#include "weft_wire.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>

extern char** environ;

namespace weft::cli {

namespace {

volatile std::sig_atomic_t g_stop_signal = 0;

extern "C" void on_stop_signal(int sig) { g_stop_signal = sig; }

constexpr size_t kOutLowWater = 64 * 1024;

Error sys_error(Code code, const std::string& what, int err) {
  return make_error(code, what + ": " + std::strerror(err));
}

int set_nonblocking(int fd) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0 && !(flags & O_NONBLOCK)) (void)::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  return flags;
}

}  // namespace

uint64_t monotonic_ms() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000 + static_cast<uint64_t>(ts.tv_nsec) / 1000000;
}

void install_stop_handlers(bool ignore_sigpipe) {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: poll() and sleeps return EINTR
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  if (!ignore_sigpipe) return;
  struct sigaction ign {};
  ign.sa_handler = SIG_IGN;
  sigemptyset(&ign.sa_mask);
  ::sigaction(SIGPIPE, &ign, nullptr);
}

int stop_signal() { return g_stop_signal; }

// ----------------------------------------------------------------- Channel

Channel::Channel(Kind kind, int in_fd, int out_fd, Role role, std::unique_ptr<Session> session)
    : kind_(kind), in_fd_(in_fd), out_fd_(out_fd), role_(role), session_(std::move(session)) {
  saved_in_flags_ = set_nonblocking(in_fd_);
  if (out_fd_ != in_fd_) saved_out_flags_ = set_nonblocking(out_fd_);
}

Channel::~Channel() {
  if (kind_ == Kind::kStdio) {
    // Leave the shared file descriptions as we found them.
    if (saved_in_flags_ >= 0) (void)::fcntl(in_fd_, F_SETFL, saved_in_flags_);
    if (saved_out_flags_ >= 0) (void)::fcntl(out_fd_, F_SETFL, saved_out_flags_);
    return;
  }
  if (in_fd_ >= 0) ::close(in_fd_);
  if (out_fd_ >= 0 && out_fd_ != in_fd_ && !write_closed_) ::close(out_fd_);
}

void Channel::fail_transport(Error e) {
  if (!transport_error_) transport_error_ = std::move(e);
}

void Channel::abort(Error why) {
  if (phase_ == Phase::kFinished) return;
  abort_error_ = std::move(why);
  finish();
}

void Channel::close_write() {
  if (write_closed_) return;
  write_closed_ = true;
  out_.clear();
  out_off_ = 0;
  switch (kind_) {
    case Kind::kPipes: ::close(out_fd_); out_fd_ = -1; break;
    case Kind::kSocket: (void)::shutdown(out_fd_, SHUT_WR); break;
    case Kind::kStdio: break;
  }
}

void Channel::finish() {
  close_write();
  phase_ = Phase::kFinished;
}

void Channel::pull_messages() {
  // Messages are taken only as the stream drains: the session counts a
  // message as sent when it hands it over, and its retry timer must not
  // run while the message waits in our buffer.
  while (!write_closed_ && !transport_error_ && out_.size() - out_off_ < kOutLowWater) {
    auto m = session_->next_message();
    if (!m) break;
    if (m->size() > kMaxFrameBytes) {
      fail_transport(make_error(Code::kResourceExhausted,
                                "a message of " + std::to_string(m->size()) +
                                    " bytes is over the 256 MiB frame limit"));
      break;
    }
    const auto n = static_cast<uint32_t>(m->size());
    const uint8_t len[4] = {static_cast<uint8_t>(n), static_cast<uint8_t>(n >> 8),
                            static_cast<uint8_t>(n >> 16), static_cast<uint8_t>(n >> 24)};
    out_.insert(out_.end(), len, len + 4);
    out_.insert(out_.end(), m->begin(), m->end());
  }
}

void Channel::prepare(uint64_t now_ms) {
  if (last_input_ms_ == 0) last_input_ms_ = now_ms;
  if (last_prepare_ms_ != 0 && !moved_) quiet_clock_ms_ += now_ms - last_prepare_ms_;
  last_prepare_ms_ = now_ms;
  moved_ = false;
  if (phase_ == Phase::kRunning) {
    (void)session_->tick(quiet_clock_ms_);  // a failure shows in the session's state
    // Also after the session is done: a client that never closes its side
    // must not hold a connection forever (result() still reports done).
    if (idle_timeout_ms_ != 0 && now_ms - last_input_ms_ >= idle_timeout_ms_) {
      fail_transport(make_error(Code::kTimeout, "no message from the peer for " +
                                                    std::to_string(idle_timeout_ms_ / 1000) + " s"));
    }
    pull_messages();
    const bool failed = session_->state() == SessionState::kFailed || transport_error_;
    const bool closing = failed || in_eof_ || (role_ == Role::kInitiator && session_->done());
    if (closing) {
      phase_ = Phase::kFlushing;
      deadline_ms_ = now_ms + kLingerMs;
    }
  }
  if (phase_ == Phase::kFlushing) {
    pull_messages();  // what is still queued, such as the Error for the peer
    if (write_closed_ || out_off_ == out_.size()) {
      close_write();
      phase_ = Phase::kDraining;
      deadline_ms_ = now_ms + kLingerMs;
    } else if (now_ms >= deadline_ms_) {
      timed_out_ = true;
      finish();
    }
  }
  if (phase_ == Phase::kDraining) {
    if (in_eof_) {
      finish();
    } else if (now_ms >= deadline_ms_) {
      timed_out_ = !session_->done();
      finish();
    }
  }
}

void Channel::add_pollfds(std::vector<pollfd>& fds) {
  poll_index_ = fds.size();
  poll_entries_ = 0;
  if (phase_ == Phase::kFinished) return;
  const bool want_read = !in_eof_;
  const bool want_write = !write_closed_ && out_off_ < out_.size();
  // An entry waiting for nothing gets fd -1: poll() reports POLLHUP even
  // for no events, and a closed pipe would spin the loop.
  if (in_fd_ == out_fd_) {
    const short ev = static_cast<short>((want_read ? POLLIN : 0) | (want_write ? POLLOUT : 0));
    fds.push_back(pollfd{ev != 0 ? in_fd_ : -1, ev, 0});
    poll_entries_ = 1;
    return;
  }
  fds.push_back(pollfd{want_read ? in_fd_ : -1, static_cast<short>(want_read ? POLLIN : 0), 0});
  fds.push_back(pollfd{want_write ? out_fd_ : -1, static_cast<short>(want_write ? POLLOUT : 0), 0});
  poll_entries_ = 2;
}

void Channel::handle(const std::vector<pollfd>& fds, uint64_t now_ms) {
  if (poll_entries_ == 0) return;
  const pollfd* mine = &fds[poll_index_];
  auto any = [](short re, short bits) { return (re & bits) != 0; };
  const short out_re = poll_entries_ == 1 ? mine[0].revents : mine[1].revents;
  if (any(out_re, POLLOUT | POLLERR | (poll_entries_ == 2 ? POLLHUP : 0))) on_writable();
  if (any(mine[0].revents, POLLIN | POLLHUP | POLLERR)) {
    last_input_ms_ = now_ms;
    on_readable();
  }
}

void Channel::on_writable() {
  while (!write_closed_ && out_off_ < out_.size()) {
    const size_t want = out_.size() - out_off_;
    const ssize_t n = kind_ == Kind::kSocket
                          ? ::send(out_fd_, out_.data() + out_off_, want, MSG_NOSIGNAL)
                          : ::write(out_fd_, out_.data() + out_off_, want);
    if (n > 0) {
      out_off_ += static_cast<size_t>(n);
      moved_ = true;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    // The peer is gone: what is left can never be delivered.
    const int err = n < 0 ? errno : EPIPE;
    if (!session_->done()) fail_transport(sys_error(Code::kIoError, "writing to the peer", err));
    close_write();
    return;
  }
  if (out_off_ == out_.size()) {
    out_.clear();
    out_off_ = 0;
  }
}

void Channel::on_readable() {
  uint8_t buf[64 * 1024];
  // Bounded per call, so one busy peer cannot starve the others.
  for (int rounds = 0; rounds < 64 && !in_eof_; ++rounds) {
    const ssize_t n = ::read(in_fd_, buf, sizeof buf);
    if (n > 0) {
      moved_ = true;
      in_.insert(in_.end(), buf, buf + n);
      parse_frames();
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n < 0 && errno != ECONNRESET) {
      fail_transport(sys_error(Code::kIoError, "reading from the peer", errno));
    }
    in_eof_ = true;
  }
}

void Channel::parse_frames() {
  while (!transport_error_ && in_.size() - in_off_ >= 4) {
    const uint8_t* p = in_.data() + in_off_;
    const uint64_t len = uint64_t{p[0]} | uint64_t{p[1]} << 8 | uint64_t{p[2]} << 16 |
                         uint64_t{p[3]} << 24;
    if (len > kMaxFrameBytes) {
      fail_transport(make_error(Code::kMalformed,
                                "the peer sent a frame of " + std::to_string(len) +
                                    " bytes; frames are limited to 256 MiB"));
      in_eof_ = true;  // nothing after a bad frame can be trusted
      break;
    }
    if (in_.size() - in_off_ < 4 + len) break;
    (void)session_->receive(std::span<const uint8_t>(p + 4, static_cast<size_t>(len)));
    in_off_ += 4 + static_cast<size_t>(len);
  }
  if (in_off_ > 0) {
    in_.erase(in_.begin(), in_.begin() + static_cast<std::ptrdiff_t>(in_off_));
    in_off_ = 0;
  }
}

Status Channel::result() const {
  if (session_->done()) return Status::ok();
  if (session_->state() == SessionState::kFailed) return session_->error();
  if (transport_error_) return *transport_error_;
  if (abort_error_) return *abort_error_;
  if (timed_out_) return make_error(Code::kTimeout, "the peer stopped answering");
  if (in_eof_) {
    return make_error(Code::kIoError, "the peer closed the connection before the sync completed");
  }
  return make_error(Code::kCancelled, "the session ended before it completed");
}

Status run_channel(Channel& channel, const std::function<void(Session&)>& on_step) {
  std::vector<pollfd> fds;
  while (true) {
    channel.prepare(monotonic_ms());
    if (on_step) on_step(channel.session());
    if (channel.finished()) break;
    if (const int sig = stop_signal()) {
      channel.abort(make_error(Code::kCancelled, std::string("interrupted by ") +
                                                     (sig == SIGINT ? "SIGINT" : "SIGTERM")));
      break;
    }
    fds.clear();
    channel.add_pollfds(fds);
    const int rc = ::poll(fds.data(), fds.size(), 100);
    if (rc < 0 && errno != EINTR) {
      const int err = errno;
      channel.abort(sys_error(Code::kInternal, "poll", err));
      break;
    }
    if (rc > 0) channel.handle(fds, monotonic_ms());
  }
  return channel.result();
}

// ----------------------------------------------------------------- endpoints

std::optional<HostPort> split_host_port(std::string_view text) {
  HostPort out;
  std::string_view rest;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    out.host = std::string(text.substr(1, close - 1));
    rest = text.substr(close + 1);
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    out.host = std::string(text.substr(0, colon));
    rest = text.substr(colon);
  }
  if (rest.size() < 2 || rest.front() != ':') return std::nullopt;
  out.port = std::string(rest.substr(1));
  if (out.host.empty() || out.port.size() > 5 ||
      !std::all_of(out.port.begin(), out.port.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
      std::stoul(out.port) > 65535) {
    return std::nullopt;
  }
  return out;
}

namespace {

struct AddrInfo {
  addrinfo* list = nullptr;
  ~AddrInfo() {
    if (list) ::freeaddrinfo(list);
  }
};

Result<int> resolve_error(const HostPort& where, int rc) {
  return make_error(Code::kNotFound, "cannot resolve " + where.host + ":" + where.port + ": " +
                                         ::gai_strerror(rc));
}

std::string format_addr(const sockaddr* sa) {
  char host[INET6_ADDRSTRLEN] = "?";
  uint16_t port = 0;
  if (sa->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    ::inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
    port = ntohs(in->sin_port);
    return std::string(host) + ":" + std::to_string(port);
  }
  if (sa->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    ::inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
    port = ntohs(in6->sin6_port);
    return "[" + std::string(host) + "]:" + std::to_string(port);
  }
  return "?";
}

bool is_loopback(const sockaddr* sa) {
  if (sa->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
  }
  if (sa->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
  }
  return false;
}

}  // namespace

Result<int> tcp_connect(const HostPort& where) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  AddrInfo ai;
  if (int rc = ::getaddrinfo(where.host.c_str(), where.port.c_str(), &hints, &ai.list); rc != 0) {
    return resolve_error(where, rc);
  }
  int last_err = ECONNREFUSED;
  for (addrinfo* a = ai.list; a != nullptr; a = a->ai_next) {
    const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      last_err = errno;
      continue;
    }
    int rc;
    do {
      rc = ::connect(fd, a->ai_addr, a->ai_addrlen);
    } while (rc != 0 && errno == EINTR);
    if (rc == 0) return fd;
    last_err = errno;
    ::close(fd);
  }
  return sys_error(Code::kIoError, "connect to " + where.host + ":" + where.port, last_err);
}

Result<int> tcp_listen(const HostPort& where, std::string& bound) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  AddrInfo ai;
  if (int rc = ::getaddrinfo(where.host.c_str(), where.port.c_str(), &hints, &ai.list); rc != 0) {
    return resolve_error(where, rc);
  }
  for (addrinfo* a = ai.list; a != nullptr; a = a->ai_next) {
    if (!is_loopback(a->ai_addr)) {
      return make_error(Code::kInvalidArgument,
                        "--listen: " + where.host +
                            " is not a loopback address; weft serve speaks plain TCP, so it "
                            "listens on loopback only (use ssh to reach it from elsewhere)");
    }
  }
  int last_err = EADDRNOTAVAIL;
  for (addrinfo* a = ai.list; a != nullptr; a = a->ai_next) {
    const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      last_err = errno;
      continue;
    }
    const int one = 1;
    (void)::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, a->ai_addr, a->ai_addrlen) == 0 && ::listen(fd, 16) == 0) {
      sockaddr_storage ss{};
      socklen_t len = sizeof ss;
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
      bound = format_addr(reinterpret_cast<sockaddr*>(&ss));
      set_nonblocking(fd);
      return fd;
    }
    last_err = errno;
    ::close(fd);
  }
  return sys_error(Code::kIoError, "listen on " + where.host + ":" + where.port, last_err);
}

std::string peer_name_of(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return "?";
  return format_addr(reinterpret_cast<sockaddr*>(&ss));
}

Result<Child> spawn_child(const std::vector<std::string>& argv) {
  if (argv.empty()) return make_error(Code::kInvalidArgument, "no command to run");
  int in_pipe[2], out_pipe[2];  // in: our writes -> its stdin; out: its stdout -> our reads
  if (::pipe2(in_pipe, O_CLOEXEC) != 0) return sys_error(Code::kIoError, "pipe", errno);
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) {
    const int err = errno;
    ::close(in_pipe[0]);
    ::close(in_pipe[1]);
    return sys_error(Code::kIoError, "pipe", err);
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_pipe[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGTERM);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, args[0], &actions, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(in_pipe[0]);
  ::close(out_pipe[1]);
  if (rc != 0) {
    ::close(in_pipe[1]);
    ::close(out_pipe[0]);
    return sys_error(Code::kIoError, "cannot run '" + argv[0] + "'", rc);
  }
  return Child{pid, in_pipe[1], out_pipe[0]};
}

int wait_child(pid_t pid, uint64_t timeout_ms) {
  const uint64_t deadline = monotonic_ms() + timeout_ms;
  int status = 0;
  while (true) {
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return status;
    if (r < 0 && errno != EINTR) return -1;
    if (monotonic_ms() >= deadline) break;
    ::poll(nullptr, 0, 20);
  }
  ::kill(pid, SIGTERM);
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

// ----------------------------------------------------------------- progress

Progress::Progress() : enabled_(::isatty(2) == 1), start_ms_(monotonic_ms()) {}

void Progress::update(uint64_t done, uint64_t total, std::string_view label) {
  if (!enabled_) return;
  const uint64_t now = monotonic_ms();
  if (now - start_ms_ < 500 || now - last_ms_ < 100) return;
  last_ms_ = now;
  constexpr int kWidth = 30;
  const uint64_t shown = std::min(done, total);
  const int filled = total == 0 ? kWidth : static_cast<int>(shown * kWidth / total);
  const unsigned pct = total == 0 ? 100u : static_cast<unsigned>(shown * 100 / total);
  std::string bar(static_cast<size_t>(filled), '#');
  bar.append(static_cast<size_t>(kWidth - filled), '.');
  std::fprintf(stderr, "\r[%s] %3u%% %llu/%llu ops %.*s\x1b[K", bar.c_str(), pct,
               static_cast<unsigned long long>(shown), static_cast<unsigned long long>(total),
               static_cast<int>(label.size()), label.data());
  std::fflush(stderr);
  drawn_ = true;
}

void Progress::finish() {
  if (!drawn_) return;
  std::fprintf(stderr, "\r\x1b[K");
  std::fflush(stderr);
  drawn_ = false;
}

}  // namespace weft::cli
