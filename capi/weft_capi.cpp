// The C ABI (include/weft/weft.h), strictly on top of the C++ API. Every
// entry point runs inside guard(): no exception crosses the boundary, the
// thread's last error is set, and outputs are zeroed on failure.
#include "weft/weft.h"

#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "weft/codec.hpp"
#include "weft/log.hpp"
#include "weft/sqlite_store.hpp"
#include "capi/capi_internal.hpp"

namespace weft::capi {
namespace {

struct LastError {
  weft_error view{};
  std::string message;
};

LastError& last_error() {
  thread_local LastError e;
  return e;
}

}  // namespace

CallbackError& callback_error() {
  thread_local CallbackError e;
  return e;
}

void set_error(int32_t code, std::string message) {
  LastError& e = last_error();
  // One line, whoever wrote it (weft, or a callback through weft_error_set).
  e.message = make_error(Code::kOk, std::move(message)).message;
  e.view.code = code;
  e.view.message = e.message.c_str();
  e.view.message_len = e.message.size();
}

weft_log_options log_options_defaults() {
  weft_log_options o;
  std::memset(&o, 0, sizeof o);
  const weft::Limits l;
  o.struct_size = sizeof(weft_log_options);
  o.auto_seal_ops = UINT64_MAX;
  o.max_ops = l.max_ops;
  o.max_payload_bytes = l.max_payload_bytes;
  o.max_deps_per_op = l.max_deps_per_op;
  o.max_actors = l.max_actors;
  o.max_message_bytes = l.max_message_bytes;
  return o;
}

weft_sqlite_options sqlite_options_defaults() {
  weft_sqlite_options o;
  std::memset(&o, 0, sizeof o);
  o.struct_size = sizeof(weft_sqlite_options);
  o.busy_timeout_ms = 5000;
  o.create = 1;
  return o;
}

weft_append_request append_request_defaults() {
  weft_append_request r;
  std::memset(&r, 0, sizeof r);
  r.struct_size = sizeof(weft_append_request);
  return r;
}

weft_op_fields op_fields_defaults() {
  weft_op_fields f;
  std::memset(&f, 0, sizeof f);
  f.struct_size = sizeof(weft_op_fields);
  return f;
}

}  // namespace weft::capi

namespace {

using weft::Code;
using weft::Error;
namespace capi = weft::capi;

static_assert(sizeof(weft_actor) == weft::kActorIdSize);
static_assert(sizeof(weft_hash) == weft::kHashSize);
static_assert(static_cast<int>(WEFT_INTERNAL) == static_cast<int>(Code::kInternal));
static_assert(weft::kCodeCount == 20);

using capi::alive;
using capi::bytes_ok;
using capi::from_hash;
using capi::give;
using capi::span_of;
using capi::fail;
using capi::guard;
using capi::invalid;
using capi::release;
using capi::set_error;
using namespace capi;  // the handle tags

weft::ActorId to_actor(const weft_actor& a) {
  weft::ActorId out;
  std::memcpy(out.bytes.data(), a.bytes, 16);
  return out;
}
weft_actor from_actor(const weft::ActorId& a) {
  weft_actor out;
  std::memcpy(out.bytes, a.bytes.data(), 16);
  return out;
}
weft::OpId to_id(const weft_op_id& id) { return weft::OpId{to_actor(id.actor), id.counter}; }
weft_op_id from_id(const weft::OpId& id) { return weft_op_id{from_actor(id.actor), id.counter}; }
weft::Hash to_hash(const weft_hash& h) {
  weft::Hash out;
  std::memcpy(out.data(), h.bytes, 32);
  return out;
}
weft_seal from_seal(const weft::SealRecord& r) {
  return weft_seal{from_actor(r.actor), r.index, r.first, r.last, from_hash(r.prev_digest),
                   from_hash(r.digest)};
}

// An op with its ids converted once, so views can point into it.
struct OwnedOp {
  weft::Op op;
  std::vector<weft_op_id> deps;
  weft::Hash hash{};
  uint64_t cursor = 0;

  OwnedOp() = default;
  OwnedOp(weft::Op o, const weft::Hash& h, uint64_t c) : op(std::move(o)), hash(h), cursor(c) {
    deps.reserve(op.deps.size());
    for (const auto& d : op.deps) deps.push_back(from_id(d));
  }
  void view(weft_op_view* out) const {
    std::memset(out, 0, sizeof *out);
    out->id = from_id(op.id);
    out->lamport = op.lamport;
    out->cursor = cursor;
    out->timestamp_ms = op.timestamp_ms;
    out->kind = op.kind;
    out->deps = deps.empty() ? nullptr : deps.data();
    out->deps_len = deps.size();
    out->payload = op.payload.empty() ? nullptr : op.payload.data();
    out->payload_len = op.payload.size();
    out->hash = from_hash(hash);
  }
};

std::vector<OwnedOp> own_all(std::vector<weft::Op> ops) {
  std::vector<OwnedOp> out;
  out.reserve(ops.size());
  for (auto& op : ops) {
    weft::Hash h = weft::op_hash(op);
    out.emplace_back(std::move(op), h, 0);
  }
  return out;
}

weft::Limits limits_of(const weft_log_options& o) {
  weft::Limits l;
  l.max_ops = o.max_ops;
  l.max_payload_bytes = o.max_payload_bytes;
  l.max_deps_per_op = o.max_deps_per_op;
  l.max_actors = o.max_actors;
  l.max_message_bytes = static_cast<size_t>(o.max_message_bytes);
  return l;
}

}  // namespace

struct weft_iter {
  uint32_t tag = kIterTag;
  std::shared_ptr<weft::Log> log;  // keeps the log alive
  uint64_t next;
  uint64_t left;
  std::vector<weft::StoredOp> page;
  size_t at = 0;
  OwnedOp current;
};

struct weft_ack {
  uint32_t tag = kAckTag;
  weft::Ack ack;
};

struct weft_op {
  uint32_t tag = kOpTag;
  OwnedOp op;
};

struct weft_bufs {
  uint32_t tag = kBufsTag;
  std::vector<std::vector<uint8_t>> items;
};

struct weft_batch_builder {
  uint32_t tag = kBuilderTag;
  weft::Batch batch;
};

struct weft_batch {
  uint32_t tag = kBatchTag;
  weft::Batch header;  // ops moved out into `ops`
  std::vector<OwnedOp> ops;
};

struct weft_chunk {
  uint32_t tag = kChunkTag;
  weft::SealRecord seal;
  std::vector<OwnedOp> ops;
};

namespace {

// Opens a log with `opts` (NULL: defaults) over the store `open` makes.
template <typename Open>
int32_t open_log(weft_log** out, const weft_log_options* opts, Open&& open) {
  if (out == nullptr) return invalid("out is NULL");
  *out = nullptr;
  weft_log_options o = capi::log_options_defaults();
  if (opts != nullptr) {
    if (const char* why = capi::adopt(*opts, capi::kLogOptionsMinSize, o)) {
      return invalid((std::string("weft_log_options: ") + why).c_str());
    }
  }
  if (o.max_ops == 0 || o.max_actors == 0 || o.max_message_bytes < 64) {
    return invalid("weft_log_options: max_ops and max_actors must be at least 1, "
                   "max_message_bytes at least 64");
  }
  weft::LogOptions lo;
  if (o.has_actor) lo.actor = to_actor(o.actor);
  lo.limits = limits_of(o);
  if (o.auto_seal_ops != UINT64_MAX) lo.auto_seal_ops = o.auto_seal_ops;
  weft::Result<std::unique_ptr<weft::Log>> log = open(o, std::move(lo));
  if (!log) return fail(log.error());
  auto* h = new weft_log;
  h->log = std::shared_ptr<weft::Log>(std::move(log.value()));
  *out = h;
  return WEFT_OK;
}

// Copies ids into a caller array, two-call style.
int32_t give_ids(const std::vector<weft::OpId>& ids, weft_op_id* out, size_t capacity,
                 size_t* len) {
  if (len == nullptr) return invalid("len is NULL");
  if (out == nullptr && capacity > 0) return invalid("out is NULL with capacity > 0");
  *len = ids.size();
  for (size_t i = 0; i < ids.size() && i < capacity; ++i) out[i] = from_id(ids[i]);
  return WEFT_OK;
}

weft::Result<weft::AppendRequest> to_request(const weft_append_request& given) {
  weft_append_request r = capi::append_request_defaults();
  if (const char* why = capi::adopt(given, capi::kAppendRequestMinSize, r)) {
    return weft::make_error(Code::kInvalidArgument, std::string("weft_append_request: ") + why);
  }
  if (!bytes_ok(r.payload, r.payload_len)) {
    return weft::make_error(Code::kInvalidArgument, "payload is NULL with a nonzero length");
  }
  if (r.has_deps && !bytes_ok(r.deps, r.deps_len)) {
    return weft::make_error(Code::kInvalidArgument, "deps is NULL with a nonzero length");
  }
  weft::AppendRequest a;
  a.payload = span_of(r.payload, r.payload_len);
  a.kind = r.kind;
  if (r.has_timestamp) a.timestamp_ms = r.timestamp_ms;
  if (r.has_deps) {
    std::vector<weft::OpId> d;
    for (size_t i = 0; i < r.deps_len; ++i) d.push_back(to_id(r.deps[i]));
    a.deps = std::move(d);
  }
  return a;
}

}  // namespace

extern "C" {

uint32_t weft_version_number(void) { return WEFT_VERSION_NUMBER; }

#define WEFT_STRINGIFY2(x) #x
#define WEFT_STRINGIFY(x) WEFT_STRINGIFY2(x)

const char* weft_version_string(void) {
  return WEFT_STRINGIFY(WEFT_VERSION_MAJOR) "." WEFT_STRINGIFY(WEFT_VERSION_MINOR) "." WEFT_STRINGIFY(
      WEFT_VERSION_PATCH);
}

const char* weft_status_name(int32_t status) {
  if (status < 0) return "UNKNOWN";
  return weft::code_name(static_cast<Code>(status)).data();
}

int32_t weft_status_retryable(int32_t status) {
  return status >= 0 && weft::code_retryable(static_cast<Code>(status)) ? 1 : 0;
}

int32_t weft_error_set(int32_t code, const char* message) {
  try {
    capi::CallbackError& e = capi::callback_error();
    e.code = code;
    e.message = weft::make_error(Code::kOk, message ? message : "").message;
    e.set = true;
  } catch (...) {
    // Out of memory: the callback's code still comes back, with weft's
    // generic message.
  }
  return code;
}

const weft_error* weft_last_error(void) {
  auto& e = weft::capi::last_error();
  if (e.view.message == nullptr) {
    e.view.message = e.message.c_str();
    e.view.message_len = e.message.size();
  }
  return &e.view;
}

void weft_buf_free(weft_buf* buf) {
  if (buf == nullptr) return;
  std::free(buf->data);
  buf->data = nullptr;
  buf->len = 0;
}

size_t weft_bufs_count(const weft_bufs* bufs) {
  return alive(bufs, kBufsTag) ? bufs->items.size() : 0;
}

int32_t weft_bufs_at(const uint8_t** data, size_t* len, const weft_bufs* bufs, size_t index) {
  return guard([&]() -> int32_t {
    if (data) *data = nullptr;
    if (len) *len = 0;
    if (!alive(bufs, kBufsTag) || data == nullptr || len == nullptr) return invalid("NULL argument");
    if (index >= bufs->items.size()) return invalid("index out of range");
    *data = bufs->items[index].empty() ? nullptr : bufs->items[index].data();
    *len = bufs->items[index].size();
    return WEFT_OK;
  });
}

void weft_bufs_free(weft_bufs* bufs) { release(bufs, kBufsTag); }

int32_t weft_log_options_init(weft_log_options* opts, size_t struct_size) {
  return capi::init_struct(opts, struct_size, capi::kLogOptionsMinSize,
                           capi::log_options_defaults());
}

int32_t weft_sqlite_options_init(weft_sqlite_options* opts, size_t struct_size) {
  return capi::init_struct(opts, struct_size, capi::kSqliteOptionsMinSize,
                           capi::sqlite_options_defaults());
}

int32_t weft_log_open_memory(weft_log** out, const weft_log_options* opts) {
  return guard([&]() -> int32_t {
    return open_log(out, opts, [](const weft_log_options&, weft::LogOptions lo) {
      return weft::Log::open_memory(std::move(lo));
    });
  });
}

int32_t weft_log_open_sqlite(weft_log** out, const char* path, const weft_log_options* opts,
                             const weft_sqlite_options* sqlite) {
  return guard([&]() -> int32_t {
    if (out) *out = nullptr;
    if (path == nullptr) return invalid("path is NULL");
    weft_sqlite_options so = capi::sqlite_options_defaults();
    if (sqlite != nullptr) {
      if (const char* why = capi::adopt(*sqlite, capi::kSqliteOptionsMinSize, so)) {
        return invalid((std::string("weft_sqlite_options: ") + why).c_str());
      }
    }
    weft::SqliteOptions o;
    o.synchronous_full = so.synchronous_full != 0;
    o.busy_timeout_ms = so.busy_timeout_ms;
    o.create = so.create != 0;
    o.special_names = so.special_names != 0;
    if (so.log_name != nullptr) o.log_name = so.log_name;
    return open_log(out, opts, [path, &o](const weft_log_options&, weft::LogOptions lo) {
      return weft::open_sqlite_log(path, o, std::move(lo));
    });
  });
}

int32_t weft_log_open_kv(weft_log** out, const weft_kv_store* store, void* db,
                         const weft_log_options* opts) {
  return guard([&]() -> int32_t {
    if (out) *out = nullptr;
    return open_log(out, opts,
                    [store, db](const weft_log_options&,
                                weft::LogOptions lo) -> weft::Result<std::unique_ptr<weft::Log>> {
                      auto s = weft::capi::open_kv_store(store, db);
                      WEFT_TRY(s);
                      return weft::Log::open(std::move(s.value()), std::move(lo));
                    });
  });
}

void weft_log_free(weft_log* log) { release(log, kLogTag); }

int32_t weft_log_actor(weft_actor* out, const weft_log* log) {
  return guard([&]() -> int32_t {
    if (out) std::memset(out, 0, sizeof *out);
    if (!alive(log, kLogTag) || out == nullptr) return invalid("NULL argument");
    *out = from_actor(log->log->actor());
    return WEFT_OK;
  });
}

int32_t weft_log_cursor(uint64_t* out, const weft_log* log) {
  return guard([&]() -> int32_t {
    if (out) *out = 0;
    if (!alive(log, kLogTag) || out == nullptr) return invalid("NULL argument");
    *out = log->log->cursor();
    return WEFT_OK;
  });
}

int32_t weft_log_epoch(uint32_t* out, const weft_log* log) {
  return guard([&]() -> int32_t {
    if (out) *out = 0;
    if (!alive(log, kLogTag) || out == nullptr) return invalid("NULL argument");
    *out = log->log->epoch();
    return WEFT_OK;
  });
}

int32_t weft_log_set_epoch(weft_log* log, uint32_t epoch) {
  return guard([&]() -> int32_t {
    if (!alive(log, kLogTag)) return invalid("log is NULL");
    weft::Status s = log->log->set_epoch(epoch);
    return s ? WEFT_OK : fail(s.error());
  });
}

int32_t weft_log_append(weft_op_id* out, weft_log* log, const uint8_t* payload,
                        size_t payload_len, uint32_t kind) {
  return guard([&]() -> int32_t {
    if (out) std::memset(out, 0, sizeof *out);
    if (!alive(log, kLogTag)) return invalid("log is NULL");
    if (!bytes_ok(payload, payload_len)) return invalid("payload is NULL with a nonzero length");
    weft::AppendRequest r;
    r.payload = span_of(payload, payload_len);
    r.kind = kind;
    auto id = log->log->append(r);
    if (!id) return fail(id.error());
    if (out) *out = from_id(id.value());
    return WEFT_OK;
  });
}

int32_t weft_append_request_init(weft_append_request* req, size_t struct_size) {
  return capi::init_struct(req, struct_size, capi::kAppendRequestMinSize,
                           capi::append_request_defaults());
}

int32_t weft_log_append_many(weft_op_id* out, weft_log* log, const weft_append_request* reqs,
                             size_t count) {
  return guard([&]() -> int32_t {
    if (out) std::memset(out, 0, sizeof(weft_op_id) * count);
    if (!alive(log, kLogTag)) return invalid("log is NULL");
    if (reqs == nullptr && count > 0) return invalid("reqs is NULL with count > 0");
    std::vector<weft::AppendRequest> rs;
    rs.reserve(count);
    for (size_t i = 0; i < count; ++i) {
      auto r = to_request(reqs[i]);
      if (!r) return fail(r.error());
      rs.push_back(r.value());
    }
    auto ids = log->log->append_many(rs);
    if (!ids) return fail(ids.error());
    if (out) {
      for (size_t i = 0; i < ids.value().size(); ++i) out[i] = from_id(ids.value()[i]);
    }
    return WEFT_OK;
  });
}

int32_t weft_log_apply(weft_ack** out, weft_log* log, const uint8_t* batch, size_t batch_len) {
  return guard([&]() -> int32_t {
    if (out) *out = nullptr;
    if (!alive(log, kLogTag) || out == nullptr) return invalid("NULL argument");
    if (!bytes_ok(batch, batch_len)) return invalid("batch is NULL with a nonzero length");
    // The log's own limits, enforced before anything is allocated.
    auto decoded = weft::decode_batch(span_of(batch, batch_len), log->log->limits());
    if (!decoded) return fail(decoded.error());
    auto ack = log->log->apply(decoded.value());
    if (!ack) return fail(ack.error());
    auto* h = new weft_ack;
    h->ack = std::move(ack.value());
    *out = h;
    return WEFT_OK;
  });
}

int32_t weft_ack_get_info(weft_ack_info* out, const weft_ack* ack) {
  return guard([&]() -> int32_t {
    if (out) std::memset(out, 0, sizeof *out);
    if (!alive(ack, kAckTag) || out == nullptr) return invalid("NULL argument");
    const weft::Ack& a = ack->ack;
    out->batch_id = a.batch_id;
    out->seq = a.seq;
    out->status = static_cast<int32_t>(a.status);
    out->cursor = a.cursor;
    return WEFT_OK;
  });
}

size_t weft_ack_applied_count(const weft_ack* ack) {
  return alive(ack, kAckTag) ? ack->ack.applied.size() : 0;
}

int32_t weft_ack_applied_at(weft_op_id* out, const weft_ack* ack, size_t index) {
  return guard([&]() -> int32_t {
    if (out) std::memset(out, 0, sizeof *out);
    if (!alive(ack, kAckTag) || out == nullptr) return invalid("NULL argument");
    if (index >= ack->ack.applied.size()) return invalid("index out of range");
    *out = from_id(ack->ack.applied[index]);
    return WEFT_OK;
  });
}

size_t weft_ack_duplicate_count(const weft_ack* ack) {
  return alive(ack, kAckTag) ? ack->ack.duplicates.size() : 0;
}

int32_t weft_ack_duplicate_at(weft_op_id* out, const weft_ack* ack, size_t index) {
  return guard([&]() -> int32_t {
    if (out) std::memset(out, 0, sizeof *out);
    if (!alive(ack, kAckTag) || out == nullptr) return invalid("NULL argument");
    if (index >= ack->ack.duplicates.size()) return invalid("index out of range");
    *out = from_id(ack->ack.duplicates[index]);
    return WEFT_OK;
  });
}

size_t weft_ack_rejected_count(const weft_ack* ack) {
  return alive(ack, kAckTag) ? ack->ack.rejected.size() : 0;
}

int32_t weft_ack_rejected_at(weft_op_id* out, int32_t* code, const weft_ack* ack, size_t index) {
  return guard([&]() -> int32_t {
    if (out) std::memset(out, 0, sizeof *out);
    if (code) *code = 0;
    if (!alive(ack, kAckTag) || out == nullptr || code == nullptr) return invalid("NULL argument");
    if (index >= ack->ack.rejected.size()) return invalid("index out of range");
    *out = from_id(ack->ack.rejected[index].id);
    *code = static_cast<int32_t>(ack->ack.rejected[index].code);
    return WEFT_OK;
  });
}

int32_t weft_ack_encode(weft_buf* out, const weft_ack* ack) {
  return guard([&]() -> int32_t {
    if (out) *out = weft_buf{nullptr, 0};
    if (!alive(ack, kAckTag) || out == nullptr) return invalid("NULL argument");
    give(weft::encode_ack(ack->ack), out);
    return WEFT_OK;
  });
}

int32_t weft_ack_decode(weft_ack** out, const uint8_t* bytes, size_t len) {
  return guard([&]() -> int32_t {
    if (out) *out = nullptr;
    if (out == nullptr || !bytes_ok(bytes, len)) return invalid("NULL argument");
    auto a = weft::decode_ack(span_of(bytes, len));
    if (!a) return fail(a.error());
    auto* h = new weft_ack;
    h->ack = std::move(a.value());
    *out = h;
    return WEFT_OK;
  });
}

void weft_ack_free(weft_ack* ack) { release(ack, kAckTag); }

int32_t weft_log_read(weft_iter** out, const weft_log* log, uint64_t from_cursor, uint64_t max) {
  return guard([&]() -> int32_t {
    if (out) *out = nullptr;
    if (!alive(log, kLogTag) || out == nullptr) return invalid("NULL argument");
    auto* it = new weft_iter;
    it->log = log->log;
    it->next = from_cursor == 0 ? 1 : from_cursor;
    it->left = max;
    *out = it;
    return WEFT_OK;
  });
}

int32_t weft_iter_next(weft_op_view* view, uint32_t* has_op, weft_iter* iter) {
  return guard([&]() -> int32_t {
    if (view) std::memset(view, 0, sizeof *view);
    if (has_op) *has_op = 0;
    if (!alive(iter, kIterTag) || view == nullptr || has_op == nullptr) {
      return invalid("NULL argument");
    }
    if (iter->at == iter->page.size()) {
      if (iter->left == 0) return WEFT_OK;
      constexpr uint64_t kPage = 1024;
      auto page = iter->log->read(iter->next, std::min(kPage, iter->left));
      if (!page) return fail(page.error());
      iter->page = std::move(page.value());
      iter->at = 0;
      if (iter->page.empty()) return WEFT_OK;
      iter->next += iter->page.size();
      iter->left -= iter->page.size();
    }
    weft::StoredOp& s = iter->page[iter->at++];
    iter->current = OwnedOp(std::move(s.op), s.hash, s.cursor);
    iter->current.view(view);
    *has_op = 1;
    return WEFT_OK;
  });
}

void weft_iter_free(weft_iter* iter) { release(iter, kIterTag); }

int32_t weft_log_get(weft_op** out, const weft_log* log, const weft_op_id* id) {
  return guard([&]() -> int32_t {
    if (out) *out = nullptr;
    if (!alive(log, kLogTag) || id == nullptr || out == nullptr) return invalid("NULL argument");
    auto s = log->log->get(to_id(*id));
    if (!s) return fail(s.error());
    auto* h = new weft_op;
    h->op = OwnedOp(std::move(s.value().op), s.value().hash, s.value().cursor);
    *out = h;
    return WEFT_OK;
  });
}

int32_t weft_op_get_view(weft_op_view* out, const weft_op* op) {
  return guard([&]() -> int32_t {
    if (out) std::memset(out, 0, sizeof *out);
    if (!alive(op, kOpTag) || out == nullptr) return invalid("NULL argument");
    op->op.view(out);
    return WEFT_OK;
  });
}

void weft_op_free(weft_op* op) { release(op, kOpTag); }

int32_t weft_log_heads(weft_op_id* out, size_t capacity, size_t* len, const weft_log* log) {
  return guard([&]() -> int32_t {
    if (len) *len = 0;
    if (!alive(log, kLogTag)) return invalid("log is NULL");
    return give_ids(log->log->heads(), out, capacity, len);
  });
}

int32_t weft_log_canonical_order(weft_op_id* out, size_t capacity, size_t* len,
                                 const weft_log* log) {
  return guard([&]() -> int32_t {
    if (len) *len = 0;
    if (!alive(log, kLogTag)) return invalid("log is NULL");
    auto order = log->log->canonical_order();
    if (!order) return fail(order.error());
    return give_ids(order.value(), out, capacity, len);
  });
}

int32_t weft_log_version_vector(weft_buf* out, const weft_log* log) {
  return guard([&]() -> int32_t {
    if (out) *out = weft_buf{nullptr, 0};
    if (!alive(log, kLogTag) || out == nullptr) return invalid("NULL argument");
    give(weft::encode_version_vector(log->log->version_vector()), out);
    return WEFT_OK;
  });
}

int32_t weft_log_diff(weft_bufs** out, const weft_log* log, const uint8_t* vv, size_t vv_len,
                      uint32_t max_ops_per_batch, uint32_t epoch) {
  return guard([&]() -> int32_t {
    if (out) *out = nullptr;
    if (!alive(log, kLogTag) || out == nullptr || !bytes_ok(vv, vv_len)) {
      return invalid("NULL argument");
    }
    weft::VersionVector peer;
    if (vv_len > 0) {
      auto d = weft::decode_version_vector(span_of(vv, vv_len));
      if (!d) return fail(d.error());
      peer = std::move(d.value());
    }
    weft::DiffOptions o;
    if (max_ops_per_batch > 0) o.max_ops_per_batch = max_ops_per_batch;
    auto batches = log->log->diff(peer, o);
    if (!batches) return fail(batches.error());
    auto* h = new weft_bufs;
    for (auto& b : batches.value()) {
      b.epoch = epoch;
      h->items.push_back(weft::encode_batch(b));
    }
    *out = h;
    return WEFT_OK;
  });
}

int32_t weft_log_merge(uint64_t* applied, weft_log* log, const weft_log* other) {
  return guard([&]() -> int32_t {
    if (applied) *applied = 0;
    if (!alive(log, kLogTag) || !alive(other, kLogTag)) return invalid("NULL argument");
    auto stats = log->log->merge_from(*other->log);
    if (!stats) return fail(stats.error());
    if (applied) *applied = stats.value().applied;
    return WEFT_OK;
  });
}

int32_t weft_log_digest(weft_hash* out, const weft_log* log) {
  return guard([&]() -> int32_t {
    if (out) std::memset(out, 0, sizeof *out);
    if (!alive(log, kLogTag) || out == nullptr) return invalid("NULL argument");
    auto d = log->log->digest();
    if (!d) return fail(d.error());
    *out = from_hash(d.value());
    return WEFT_OK;
  });
}

int32_t weft_log_seal(weft_seal* out, weft_log* log, const weft_actor* actor, uint64_t last,
                      const weft_hash* expected_digest) {
  return guard([&]() -> int32_t {
    if (out) std::memset(out, 0, sizeof *out);
    if (!alive(log, kLogTag) || actor == nullptr) return invalid("NULL argument");
    std::optional<weft::Hash> expected;
    if (expected_digest) expected = to_hash(*expected_digest);
    auto r = log->log->seal(to_actor(*actor), last, expected);
    if (!r) return fail(r.error());
    if (out) *out = from_seal(r.value());
    return WEFT_OK;
  });
}

int32_t weft_log_chunk_get(weft_buf* out, const weft_log* log, const weft_actor* actor,
                           uint64_t index) {
  return guard([&]() -> int32_t {
    if (out) *out = weft_buf{nullptr, 0};
    if (!alive(log, kLogTag) || actor == nullptr || out == nullptr) return invalid("NULL argument");
    auto c = log->log->get_chunk(to_actor(*actor), index);
    if (!c) return fail(c.error());
    give(c.value().bytes, out);
    return WEFT_OK;
  });
}

int32_t weft_log_chunk_put(weft_seal* out, weft_log* log, const uint8_t* bytes, size_t len,
                           const weft_hash* expected_digest) {
  return guard([&]() -> int32_t {
    if (out) std::memset(out, 0, sizeof *out);
    if (!alive(log, kLogTag) || !bytes_ok(bytes, len)) return invalid("NULL argument");
    std::optional<weft::Hash> expected;
    if (expected_digest) expected = to_hash(*expected_digest);
    auto r = log->log->put_chunk(span_of(bytes, len), expected);
    if (!r) return fail(r.error());
    if (out) *out = from_seal(r.value());
    return WEFT_OK;
  });
}

int32_t weft_chunk_verify(weft_seal* out, const uint8_t* bytes, size_t len,
                          const weft_seal* expected) {
  return guard([&]() -> int32_t {
    if (out) std::memset(out, 0, sizeof *out);
    if (!bytes_ok(bytes, len)) return invalid("bytes is NULL with a nonzero length");
    auto c = weft::decode_chunk(span_of(bytes, len));
    if (!c) return fail(c.error());
    weft_seal got = from_seal(weft::seal_record(c.value(), span_of(bytes, len)));
    if (expected != nullptr && std::memcmp(&got, expected, sizeof got) != 0) {
      set_error(WEFT_CHECKSUM_MISMATCH,
                "chunk " + c.value().actor.hex() + "/" + std::to_string(c.value().index) +
                    ": bytes do not match the expected seal record");
      return WEFT_CHECKSUM_MISMATCH;
    }
    if (out) *out = got;
    return WEFT_OK;
  });
}

int32_t weft_log_verify(uint64_t* ops, uint64_t* chunks, const weft_log* log) {
  return guard([&]() -> int32_t {
    if (ops) *ops = 0;
    if (chunks) *chunks = 0;
    if (!alive(log, kLogTag)) return invalid("log is NULL");
    auto r = log->log->verify();
    if (!r) return fail(r.error());
    if (ops) *ops = r.value().ops;
    if (chunks) *chunks = r.value().chunks;
    return WEFT_OK;
  });
}

int32_t weft_op_fields_init(weft_op_fields* fields, size_t struct_size) {
  return capi::init_struct(fields, struct_size, capi::kOpFieldsMinSize, capi::op_fields_defaults());
}

int32_t weft_batch_builder_new(weft_batch_builder** out) {
  return guard([&]() -> int32_t {
    if (out == nullptr) return invalid("out is NULL");
    *out = new weft_batch_builder;
    return WEFT_OK;
  });
}

int32_t weft_batch_builder_set_header(weft_batch_builder* builder, uint64_t batch_id, uint64_t seq,
                                      uint32_t has_expected_cursor, uint64_t expected_cursor,
                                      uint32_t epoch) {
  return guard([&]() -> int32_t {
    if (!alive(builder, kBuilderTag)) return invalid("builder is NULL");
    weft::Batch& b = builder->batch;
    b.batch_id = batch_id;
    b.seq = seq;
    b.expected_cursor = has_expected_cursor ? std::optional<uint64_t>(expected_cursor) : std::nullopt;
    b.epoch = epoch;
    return WEFT_OK;
  });
}

int32_t weft_batch_builder_add_op(weft_batch_builder* builder, const weft_op_fields* given) {
  return guard([&]() -> int32_t {
    if (!alive(builder, kBuilderTag) || given == nullptr) return invalid("NULL argument");
    weft_op_fields fields = capi::op_fields_defaults();
    if (const char* why = capi::adopt(*given, capi::kOpFieldsMinSize, fields)) {
      return invalid((std::string("weft_op_fields: ") + why).c_str());
    }
    const weft_op_fields* f = &fields;
    if (!bytes_ok(f->deps, f->deps_len) || !bytes_ok(f->payload, f->payload_len)) {
      return invalid("deps or payload is NULL with a nonzero length");
    }
    weft::Op op;
    op.id = to_id(f->id);
    op.lamport = f->lamport;
    op.kind = f->kind;
    op.timestamp_ms = f->timestamp_ms;
    for (size_t i = 0; i < f->deps_len; ++i) op.deps.push_back(to_id(f->deps[i]));
    auto p = span_of(f->payload, f->payload_len);
    op.payload.assign(p.begin(), p.end());
    builder->batch.ops.push_back(std::move(op));
    return WEFT_OK;
  });
}

int32_t weft_batch_builder_finish(weft_buf* out, const weft_batch_builder* builder) {
  return guard([&]() -> int32_t {
    if (out) *out = weft_buf{nullptr, 0};
    if (!alive(builder, kBuilderTag) || out == nullptr) return invalid("NULL argument");
    give(weft::encode_batch(builder->batch), out);
    return WEFT_OK;
  });
}

void weft_batch_builder_free(weft_batch_builder* builder) { release(builder, kBuilderTag); }

int32_t weft_batch_decode(weft_batch** out, const uint8_t* bytes, size_t len) {
  return guard([&]() -> int32_t {
    if (out) *out = nullptr;
    if (out == nullptr || !bytes_ok(bytes, len)) return invalid("NULL argument");
    auto b = weft::decode_batch(span_of(bytes, len));
    if (!b) return fail(b.error());
    auto* h = new weft_batch;
    h->ops = own_all(std::move(b.value().ops));
    h->header = std::move(b.value());
    h->header.ops.clear();
    *out = h;
    return WEFT_OK;
  });
}

int32_t weft_batch_get_info(weft_batch_info* out, const weft_batch* batch) {
  return guard([&]() -> int32_t {
    if (out) std::memset(out, 0, sizeof *out);
    if (!alive(batch, kBatchTag) || out == nullptr) return invalid("NULL argument");
    const weft::Batch& b = batch->header;
    out->batch_id = b.batch_id;
    out->seq = b.seq;
    out->has_expected_cursor = b.expected_cursor.has_value() ? 1 : 0;
    out->expected_cursor = b.expected_cursor.value_or(0);
    out->epoch = b.epoch;
    return WEFT_OK;
  });
}

size_t weft_batch_op_count(const weft_batch* batch) {
  return alive(batch, kBatchTag) ? batch->ops.size() : 0;
}

int32_t weft_batch_op_at(weft_op_view* out, const weft_batch* batch, size_t index) {
  return guard([&]() -> int32_t {
    if (out) std::memset(out, 0, sizeof *out);
    if (!alive(batch, kBatchTag) || out == nullptr) return invalid("NULL argument");
    if (index >= batch->ops.size()) return invalid("index out of range");
    batch->ops[index].view(out);
    return WEFT_OK;
  });
}

void weft_batch_free(weft_batch* batch) { release(batch, kBatchTag); }

int32_t weft_chunk_decode(weft_chunk** out, const uint8_t* bytes, size_t len) {
  return guard([&]() -> int32_t {
    if (out) *out = nullptr;
    if (out == nullptr || !bytes_ok(bytes, len)) return invalid("NULL argument");
    auto c = weft::decode_chunk(span_of(bytes, len));
    if (!c) return fail(c.error());
    auto* h = new weft_chunk;
    h->seal = weft::seal_record(c.value(), span_of(bytes, len));
    h->ops = own_all(std::move(c.value().ops));
    *out = h;
    return WEFT_OK;
  });
}

int32_t weft_chunk_get_seal(weft_seal* out, const weft_chunk* chunk) {
  return guard([&]() -> int32_t {
    if (out) std::memset(out, 0, sizeof *out);
    if (!alive(chunk, kChunkTag) || out == nullptr) return invalid("NULL argument");
    *out = from_seal(chunk->seal);
    return WEFT_OK;
  });
}

size_t weft_chunk_op_count(const weft_chunk* chunk) {
  return alive(chunk, kChunkTag) ? chunk->ops.size() : 0;
}

int32_t weft_chunk_op_at(weft_op_view* out, const weft_chunk* chunk, size_t index) {
  return guard([&]() -> int32_t {
    if (out) std::memset(out, 0, sizeof *out);
    if (!alive(chunk, kChunkTag) || out == nullptr) return invalid("NULL argument");
    if (index >= chunk->ops.size()) return invalid("index out of range");
    chunk->ops[index].view(out);
    return WEFT_OK;
  });
}

void weft_chunk_free(weft_chunk* chunk) { release(chunk, kChunkTag); }

}  // extern "C"
