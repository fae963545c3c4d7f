// Shared by the C ABI's translation units (internal; not installed).
#pragma once

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
#include "weft/weft.h"

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

// The sizes of the versioned input structs in weft 0.1: fixed forever.
// Callers built against 0.1 pass exactly these; later releases only append
// fields, so struct_size tells which fields a caller knows.
inline constexpr uint32_t kLogOptionsSize01 = 80;
inline constexpr uint32_t kAppendRequestSize01 = 56;
inline constexpr uint32_t kOpFieldsSize01 = 80;
inline constexpr uint32_t kKvStoreSize01 = 96;
static_assert(sizeof(weft_log_options) >= kLogOptionsSize01);
static_assert(sizeof(weft_append_request) >= kAppendRequestSize01);
static_assert(sizeof(weft_op_fields) >= kOpFieldsSize01);
static_assert(sizeof(weft_kv_store) >= kKvStoreSize01);

// Copies a caller's versioned struct over `out` (which holds the defaults).
// A struct_size from the 0.1 size up to this library's is accepted, fields
// past it keep their defaults. A larger one comes from a newer weft whose
// fields this library cannot honour, and is refused rather than half-obeyed.
// Returns nullptr, or what is wrong.
template <typename T>
const char* adopt(const T& in, uint32_t size_01, T& out) {
  if (in.struct_size < size_01) return "struct_size is smaller than any weft release's: call the _init function";
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
int32_t init_struct(T* out, size_t size, uint32_t size_01, T defaults) {
  return guard([&]() -> int32_t {
    if (out == nullptr) return invalid("NULL struct");
    if (size < size_01 || size > sizeof(T)) {
      return invalid("struct_size is below the 0.1 layout or above this library's (built "
                     "against a newer weft)");
    }
    defaults.struct_size = static_cast<uint32_t>(size);
    std::memcpy(static_cast<void*>(out), &defaults, size);
    return WEFT_OK;
  });
}

// The defaults of each versioned struct, at this library's size.
weft_log_options log_options_defaults();
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
