// Shared by the C ABI's translation units (internal; not installed).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <span>
#include <string>
#include <vector>

#include "weft/log.hpp"
#include "weft/status.hpp"
#include "weft/store.hpp"
#include "weft/sys/weft_sys.h"

namespace weft::capi {

// Handle types carry a tag: a handle of the wrong type, or one already
// freed (best effort), answers INVALID_ARGUMENT instead of misbehaving.
enum Tag : uint32_t {
  kLogTag = 0x574c4f47,          // WLOG
  kIterTag = 0x57495452,         // WITR
  kAckTag = 0x5741434b,          // WACK
  kOpTag = 0x574f5020,           // WOP
  kBufsTag = 0x57425553,         // WBUS
  kBuilderTag = 0x57424c44,      // WBLD
  kBatchTag = 0x57424154,        // WBAT
  kChunkTag = 0x5743484b,        // WCHK
  kConformanceTag = 0x57434e46,  // WCNF
  kSessionTag = 0x57534553,      // WSES
  kHostTag = 0x57485354,         // WHST
};

// A message a callback left with weft_error_set, for the code it returns.
struct CallbackError {
  bool set = false;
  int32_t code = 0;
  std::string message;
};
CallbackError& callback_error();  // the calling thread's

// Sets the calling thread's last error.
void set_error(int32_t code, std::string message);

inline int32_t fail(const Error& err) {
  set_error(static_cast<int32_t>(err.code), err.message);
  return static_cast<int32_t>(err.code);
}

inline int32_t invalid(const char* what) {
  set_error(WEFT_INVALID_ARGUMENT, what);
  return WEFT_INVALID_ARGUMENT;
}

// Runs `body` (which returns a status) with the error reset first and every
// exception mapped: bad_alloc to RESOURCE_EXHAUSTED, anything else to INTERNAL.
template <typename F>
int32_t guard(F&& body) noexcept {
  try {
    set_error(WEFT_OK, "");
    callback_error().set = false;
    return body();
  } catch (const std::bad_alloc&) {
    set_error(WEFT_RESOURCE_EXHAUSTED, "out of memory");
    return WEFT_RESOURCE_EXHAUSTED;
  } catch (const std::exception& e) {
    set_error(WEFT_INTERNAL, std::string("internal error: ") + e.what());
    return WEFT_INTERNAL;
  } catch (...) {
    set_error(WEFT_INTERNAL, "internal error");
    return WEFT_INTERNAL;
  }
}

template <typename T>
bool alive(const T* h, uint32_t tag) {
  return h != nullptr && h->tag == tag;
}

// Frees a handle after voiding its tag, so a second free is detected
// (best effort: only while the memory has not been reused).
template <typename T>
void release(T* h, uint32_t tag) {
  if (!alive(h, tag)) return;
  h->tag = 0;
  delete h;
}

// The smallest struct_size each versioned input struct accepts: the end of
// the last field of the release that introduced the struct, written as
// offsetof + sizeof so it is right on every platform. Pinned forever: a
// later release appends fields and leaves these alone, so a caller built
// against an older header (a smaller struct_size) keeps working.
#define WEFT_END_OF(type, field) (offsetof(type, field) + sizeof(((type*)nullptr)->field))
inline constexpr size_t kLogOptionsMinSize = WEFT_END_OF(weft_log_options, max_message_bytes);  // 0.3
inline constexpr size_t kSqliteOptionsMinSize = WEFT_END_OF(weft_sqlite_options, log_name);     // 0.3
inline constexpr size_t kAppendRequestMinSize = WEFT_END_OF(weft_append_request, deps_len);     // 0.3
inline constexpr size_t kOpFieldsMinSize = WEFT_END_OF(weft_op_fields, payload_len);            // 0.3
inline constexpr size_t kKvStoreMinSize = WEFT_END_OF(weft_kv_store, scan);                     // 0.3
inline constexpr size_t kSessionOptionsMinSize = WEFT_END_OF(weft_session_options, retry_seed); // 0.3
#undef WEFT_END_OF

// Copies a caller's versioned struct over `out` (which holds the defaults).
// A struct_size from the 0.1 size up to this library's is accepted, fields
// past it keep their defaults. A larger one comes from a newer weft whose
// fields this library cannot honour, and is refused rather than half-obeyed.
// Returns nullptr, or what is wrong.
template <typename T>
const char* adopt(const T& in, size_t min_size, T& out) {
  if (in.struct_size < min_size) return "struct_size is smaller than any weft release's: call the _init function";
  if (in.struct_size > sizeof(T)) {
    return "struct_size is larger than this library knows: built against a newer weft";
  }
  std::memcpy(static_cast<void*>(&out), &in, in.struct_size);
  out.struct_size = static_cast<uint32_t>(sizeof(T));
  return nullptr;
}

// Writes the first `size` bytes of `defaults` into the caller's struct
// (never more: an older caller's struct is smaller) and sets struct_size.
template <typename T>
int32_t init_struct(T* out, size_t size, size_t min_size, T defaults) {
  return guard([&]() -> int32_t {
    if (out == nullptr) return invalid("NULL struct");
    if (size < min_size || size > sizeof(T)) {
      return invalid("struct_size is below the struct's first layout or above this library's "
                     "(built against a newer weft)");
    }
    defaults.struct_size = static_cast<uint32_t>(size);
    std::memcpy(static_cast<void*>(out), &defaults, size);
    return WEFT_OK;
  });
}

// The defaults of each versioned struct, at this library's size.
weft_log_options log_options_defaults();
weft_sqlite_options sqlite_options_defaults();
weft_append_request append_request_defaults();
weft_op_fields op_fields_defaults();
weft_kv_store kv_store_defaults();

inline bool bytes_ok(const void* p, size_t len) { return p != nullptr || len == 0; }

inline std::span<const uint8_t> span_of(const uint8_t* p, size_t len) {
  return len == 0 ? std::span<const uint8_t>() : std::span<const uint8_t>(p, len);
}

// Copies `bytes` into a caller-owned weft_buf.
inline void give(const std::vector<uint8_t>& bytes, weft_buf* out) {
  out->data = nullptr;
  out->len = 0;
  if (bytes.empty()) return;
  auto* p = static_cast<uint8_t*>(std::malloc(bytes.size()));
  if (p == nullptr) throw std::bad_alloc();
  std::memcpy(p, bytes.data(), bytes.size());
  out->data = p;
  out->len = bytes.size();
}

inline weft_hash from_hash(const weft::Hash& h) {
  weft_hash out;
  std::memcpy(out.bytes, h.data(), 32);
  return out;
}

// A LogStore over a C key-value adapter's database `db` (one connection).
Result<std::unique_ptr<LogStore>> open_kv_store(const weft_kv_store* table, void* db);

}  // namespace weft::capi

// Shared by every translation unit that takes a log.
struct weft_log {
  uint32_t tag = weft::capi::kLogTag;
  std::shared_ptr<weft::Log> log;
};
