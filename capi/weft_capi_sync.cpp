// The C ABI of the sync layer: outbox state, tokens, sessions and hosts
// (include/weft/weft.h). Same rules as capi/weft_capi.cpp: one guard per
// entry point, outputs zeroed on failure, tagged handles.
#include <sodium.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "capi_internal.hpp"
#include "weft/session.hpp"
#include "weft/sqlite_store.hpp"
#include "weft/token.hpp"

using weft::capi::alive;
using weft::capi::bytes_ok;
using weft::capi::fail;
using weft::capi::from_hash;
using weft::capi::give;
using weft::capi::guard;
using weft::capi::invalid;
using weft::capi::release;
using weft::capi::span_of;

struct weft_host {
  uint32_t tag = weft::capi::kHostTag;
  std::shared_ptr<weft::Host> host;
};

struct weft_session {
  uint32_t tag = weft::capi::kSessionTag;
  // What the session points into, kept alive until it is gone (declared
  // first, so destroyed last).
  std::shared_ptr<weft::Log> log;
  std::shared_ptr<weft::Host> host;
  std::unique_ptr<weft::Session> session;
  std::string error_text;  // the failure's message, NUL-terminated for the caller
};

namespace {

using weft::capi::kHostTag;
using weft::capi::kLogTag;
using weft::capi::kSessionTag;


weft_session_options session_defaults() {
  weft_session_options o;
  std::memset(&o, 0, sizeof o);
  o.struct_size = sizeof o;
  o.push = 1;
  o.accept = 1;
  o.max_batch_ops = 4096;
  o.max_batch_bytes = 1u << 20;
  o.max_chunks_bytes = 8u << 20;
  o.window = 8;
  o.ship_chunks = 1;
  o.retry_base_ms = 1000;
  o.retry_max_ms = 60'000;
  o.retry_max_attempts = 8;
  return o;
}

// The C options as C++ ones, or what is wrong with them.
const char* to_options(const weft_session_options* given, weft::SessionOptions& out) {
  weft_session_options o = session_defaults();
  if (given != nullptr) {
    if (const char* bad = weft::capi::adopt(*given, weft::capi::kSessionOptionsMinSize, o)) return bad;
  }
  if (!bytes_ok(o.token, o.token_len)) return "token is NULL with a nonzero length";
  out.push = o.push != 0;
  out.accept = o.accept != 0;
  out.max_batch_ops = o.max_batch_ops;
  out.max_batch_bytes = static_cast<size_t>(o.max_batch_bytes);
  out.max_chunks_bytes = static_cast<size_t>(o.max_chunks_bytes);
  out.window = o.window;
  out.ship_chunks = o.ship_chunks != 0;
  if (o.peer != nullptr) out.peer = o.peer;
  if (o.log_id != nullptr) out.log_id = o.log_id;
  auto t = span_of(o.token, o.token_len);
  out.token.assign(t.begin(), t.end());
  out.retry = weft::RetryPolicy{o.retry_base_ms, o.retry_max_ms, o.retry_max_attempts, o.retry_seed};
  return nullptr;
}

int32_t make_session(weft::Result<std::unique_ptr<weft::Session>> s, std::shared_ptr<weft::Log> log,
                     std::shared_ptr<weft::Host> host, weft_session** out) {
  if (!s) return fail(s.error());
  auto* h = new weft_session;
  h->log = std::move(log);
  h->host = std::move(host);
  h->session = std::move(s.value());
  *out = h;
  return WEFT_OK;
}

bool scope_ok(uint32_t scope) {
  return scope >= WEFT_SCOPE_READ && scope <= WEFT_SCOPE_ADMIN;
}

// A copy of a caller's 32-byte secret, wiped when it goes out of scope.
struct SecretCopy {
  weft::Secret s;
  explicit SecretCopy(const uint8_t* p) { std::memcpy(s.data(), p, s.size()); }
  ~SecretCopy() { sodium_memzero(s.data(), s.size()); }
  SecretCopy(const SecretCopy&) = delete;
  SecretCopy& operator=(const SecretCopy&) = delete;
};

// Log ids a directory host accepts as file names.
bool file_safe(std::string_view id) {
  if (id.empty() || id.size() > 128 || id.front() == '.') return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '_' || c == '-';
  });
}

}  // namespace

extern "C" {

int32_t weft_log_peer(weft_peer_state* out, const weft_log* log, const char* peer) {
  return guard([&]() -> int32_t {
    if (out) std::memset(out, 0, sizeof *out);
    if (!alive(log, kLogTag) || peer == nullptr || out == nullptr) return invalid("NULL argument");
    auto p = log->log->peer(peer);
    if (!p) return fail(p.error());
    out->acked_cursor = p->acked_cursor;
    out->attempts = p->attempts;
    out->next_attempt_ms = p->next_attempt_ms;
    return WEFT_OK;
  });
}

int32_t weft_log_record_peer(weft_peer_state* stored, weft_log* log, const char* peer,
                             const weft_peer_state* state) {
  return guard([&]() -> int32_t {
    if (stored) std::memset(stored, 0, sizeof *stored);
    if (!alive(log, kLogTag) || peer == nullptr || state == nullptr) {
      return invalid("NULL argument");
    }
    auto p = log->log->record_peer(
        peer, weft::PeerState{state->acked_cursor, state->attempts, state->next_attempt_ms});
    if (!p) return fail(p.error());
    if (stored) {
      stored->acked_cursor = p->acked_cursor;
      stored->attempts = p->attempts;
      stored->next_attempt_ms = p->next_attempt_ms;
    }
    return WEFT_OK;
  });
}

uint64_t weft_retry_wait_ms(const weft_peer_state* state, uint64_t now_wall_ms, uint64_t base_ms,
                            uint64_t max_ms, uint64_t seed) {
  if (state == nullptr) return 0;
  weft::RetryPolicy policy{base_ms, max_ms, 0, seed};
  return weft::retry_wait_ms(
      weft::PeerState{state->acked_cursor, state->attempts, state->next_attempt_ms}, now_wall_ms,
      policy);
}

int32_t weft_secret_new(uint8_t secret[32]) {
  return guard([&]() -> int32_t {
    if (secret == nullptr) return invalid("secret is NULL");
    weft::Secret s = weft::new_secret();
    std::memcpy(secret, s.data(), s.size());
    return WEFT_OK;
  });
}

int32_t weft_token_issue(weft_buf* out, const uint8_t secret[32], const char* log_id,
                         uint32_t epoch, uint32_t scope) {
  return guard([&]() -> int32_t {
    if (out) *out = weft_buf{nullptr, 0};
    if (secret == nullptr || log_id == nullptr || out == nullptr) return invalid("NULL argument");
    const size_t n = std::strlen(log_id);
    if (n == 0 || n > weft::kMaxLogIdBytes) return invalid("log id must be 1 to 256 bytes");
    if (!scope_ok(scope)) return invalid("scope must be WEFT_SCOPE_READ, _APPEND or _ADMIN");
    SecretCopy key(secret);
    give(weft::issue_token(key.s, log_id, epoch, static_cast<weft::Scope>(scope)), out);
    return WEFT_OK;
  });
}

int32_t weft_token_verify(weft_grant* out, const uint8_t secret[32], const char* log_id,
                          uint32_t current_epoch, const uint8_t* token, size_t token_len,
                          uint32_t required) {
  return guard([&]() -> int32_t {
    if (out) std::memset(out, 0, sizeof *out);
    if (secret == nullptr || log_id == nullptr || out == nullptr || !bytes_ok(token, token_len)) {
      return invalid("NULL argument");
    }
    if (!scope_ok(required)) return invalid("required must be a weft_scope");
    SecretCopy key(secret);
    auto g = weft::verify_token(key.s, log_id, current_epoch, span_of(token, token_len),
                                static_cast<weft::Scope>(required));
    if (!g) return fail(g.error());
    out->epoch = g->epoch;
    out->scope = static_cast<uint32_t>(g->scope);
    return WEFT_OK;
  });
}

int32_t weft_session_options_init(weft_session_options* opts, size_t struct_size) {
  return weft::capi::init_struct(opts, struct_size, weft::capi::kSessionOptionsMinSize,
                                 session_defaults());
}

int32_t weft_session_connect(weft_session** out, weft_log* log, const weft_session_options* opts) {
  return guard([&]() -> int32_t {
    if (out) *out = nullptr;
    if (!alive(log, kLogTag) || out == nullptr) return invalid("NULL argument");
    weft::SessionOptions o;
    if (const char* bad = to_options(opts, o)) return invalid(bad);
    return make_session(weft::Session::connect(*log->log, std::move(o)), log->log, nullptr, out);
  });
}

int32_t weft_session_accept(weft_session** out, weft_log* log, const weft_session_options* opts) {
  return guard([&]() -> int32_t {
    if (out) *out = nullptr;
    if (!alive(log, kLogTag) || out == nullptr) return invalid("NULL argument");
    weft::SessionOptions o;
    if (const char* bad = to_options(opts, o)) return invalid(bad);
    return make_session(weft::Session::accept(*log->log, std::move(o)), log->log, nullptr, out);
  });
}

int32_t weft_session_next_message(weft_buf* out, uint32_t* has_message, weft_session* session) {
  return guard([&]() -> int32_t {
    if (out) *out = weft_buf{nullptr, 0};
    if (has_message) *has_message = 0;
    if (!alive(session, kSessionTag) || out == nullptr || has_message == nullptr) {
      return invalid("NULL argument");
    }
    auto m = session->session->next_message();
    if (!m) return WEFT_OK;
    give(*m, out);
    *has_message = 1;
    return WEFT_OK;
  });
}

int32_t weft_session_receive(weft_session* session, const uint8_t* message, size_t len) {
  return guard([&]() -> int32_t {
    if (!alive(session, kSessionTag) || !bytes_ok(message, len)) return invalid("NULL argument");
    weft::Status s = session->session->receive(span_of(message, len));
    return s ? WEFT_OK : fail(s.error());
  });
}

int32_t weft_session_tick(weft_session* session, uint64_t now_ms) {
  return guard([&]() -> int32_t {
    if (!alive(session, kSessionTag)) return invalid("session is NULL");
    weft::Status s = session->session->tick(now_ms);
    return s ? WEFT_OK : fail(s.error());
  });
}

int32_t weft_session_get_info(weft_session_info* out, const char** error_message,
                              const weft_session* session) {
  return guard([&]() -> int32_t {
    if (out) std::memset(out, 0, sizeof *out);
    if (error_message) *error_message = nullptr;
    if (!alive(session, kSessionTag) || out == nullptr) return invalid("NULL argument");
    const weft::Session& s = *session->session;
    const weft::SessionStats& st = s.stats();
    out->state = static_cast<uint32_t>(s.state());
    out->error_code =
        s.state() == weft::SessionState::kFailed ? static_cast<int32_t>(s.error().code) : WEFT_OK;
    out->messages_sent = st.messages_sent;
    out->bytes_sent = st.bytes_sent;
    out->messages_received = st.messages_received;
    out->bytes_received = st.bytes_received;
    out->batches_sent = st.batches_sent;
    out->chunks_sent = st.chunks_sent;
    out->ops_sent = st.ops_sent;
    out->resends = st.resends;
    out->stale_acks = st.stale_acks;
    out->applied = st.applied;
    out->duplicates = st.duplicates;
    out->rejected = st.rejected;
    out->peer_applied = st.peer_applied;
    out->peer_duplicates = st.peer_duplicates;
    out->peer_rejected = st.peer_rejected;
    out->ops_to_send = st.ops_to_send;
    out->ops_acked = st.ops_acked;
    out->acked_cursor = s.acked_cursor();
    if (error_message) {
      auto* mutable_session = const_cast<weft_session*>(session);
      mutable_session->error_text =
          s.state() == weft::SessionState::kFailed ? s.error().message : std::string();
      *error_message = mutable_session->error_text.c_str();
    }
    return WEFT_OK;
  });
}

void weft_session_free(weft_session* session) { release(session, kSessionTag); }

int32_t weft_host_new(weft_host** out, const uint8_t master_key[32], const char* directory) {
  return guard([&]() -> int32_t {
    if (out) *out = nullptr;
    if (master_key == nullptr || out == nullptr) return invalid("NULL argument");
    weft::Host::Opener opener;
    if (directory == nullptr) {
      opener = [](std::string_view) { return weft::Log::open_memory(); };
    } else {
      struct stat st;
      if (::stat(directory, &st) != 0 || !S_ISDIR(st.st_mode)) {
        return invalid("directory does not exist");
      }
      std::string dir = directory;
      opener = [dir](std::string_view id) -> weft::Result<std::unique_ptr<weft::Log>> {
        if (!file_safe(id)) {
          return weft::make_error(weft::Code::kInvalidArgument,
                                  "host: log id '" + std::string(id) +
                                      "' is not a file name (letters, digits, . _ -)");
        }
        return weft::open_sqlite_log(dir + "/" + std::string(id) + ".db");
      };
    }
    auto* h = new weft_host;
    SecretCopy key(master_key);
    h->host = std::make_shared<weft::Host>(key.s, std::move(opener));
    *out = h;
    return WEFT_OK;
  });
}

void weft_host_free(weft_host* host) { release(host, kHostTag); }

int32_t weft_host_issue(weft_buf* out, weft_host* host, const char* log_id, uint32_t scope) {
  return guard([&]() -> int32_t {
    if (out) *out = weft_buf{nullptr, 0};
    if (!alive(host, kHostTag) || log_id == nullptr || out == nullptr) {
      return invalid("NULL argument");
    }
    if (!scope_ok(scope)) return invalid("scope must be WEFT_SCOPE_READ, _APPEND or _ADMIN");
    auto t = host->host->issue(log_id, static_cast<weft::Scope>(scope));
    if (!t) return fail(t.error());
    give(t.value(), out);
    return WEFT_OK;
  });
}

int32_t weft_host_redeem(weft_redeem_info* out, weft_host* host, const char* log_id,
                         const uint8_t* token, size_t token_len) {
  return guard([&]() -> int32_t {
    if (out) std::memset(out, 0, sizeof *out);
    if (!alive(host, kHostTag) || log_id == nullptr || out == nullptr ||
        !bytes_ok(token, token_len)) {
      return invalid("NULL argument");
    }
    auto r = host->host->redeem(log_id, span_of(token, token_len));
    if (!r) return fail(r.error());
    out->epoch = r->grant.epoch;
    out->scope = static_cast<uint32_t>(r->grant.scope);
    out->cursor = r->cursor;
    out->ops = r->ops;
    out->actors = r->actors;
    out->digest = from_hash(r->digest);
    return WEFT_OK;
  });
}

int32_t weft_host_revoke(uint32_t* new_epoch, weft_host* host, const char* log_id) {
  return guard([&]() -> int32_t {
    if (new_epoch) *new_epoch = 0;
    if (!alive(host, kHostTag) || log_id == nullptr) return invalid("NULL argument");
    auto e = host->host->revoke(log_id);
    if (!e) return fail(e.error());
    if (new_epoch) *new_epoch = e.value();
    return WEFT_OK;
  });
}

int32_t weft_host_accept(weft_session** out, weft_host* host, const weft_session_options* opts) {
  return guard([&]() -> int32_t {
    if (out) *out = nullptr;
    if (!alive(host, kHostTag) || out == nullptr) return invalid("NULL argument");
    weft::SessionOptions o;
    if (const char* bad = to_options(opts, o)) return invalid(bad);
    o.peer.clear();
    o.log_id.clear();
    o.token.clear();
    return make_session(host->host->accept(std::move(o)), nullptr, host->host, out);
  });
}

}  // extern "C"
