// weft: canonical error codes, Error values and Result<T>.
//
// Expected failures are values. Exceptions are reserved for bugs and
// out-of-memory, and never cross the C ABI.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace weft {

// Stable numeric values: the C ABI publishes them. Append only, never renumber.
enum class Code : uint32_t {
  kOk = 0,
  kInvalidArgument = 1,
  kMalformed = 2,
  kUnsupportedVersion = 3,
  kChecksumMismatch = 4,
  kImmutableViolation = 5,
  kNotContiguous = 6,
  kMissingDependency = 7,
  kConflict = 8,
  kCursorMismatch = 9,
  kStaleEpoch = 10,
  kPermissionDenied = 11,
  kNotFound = 12,
  kCancelled = 13,
  kTimeout = 14,
  kBusy = 15,
  kIoError = 16,
  kCorrupt = 17,
  kResourceExhausted = 18,
  kInternal = 19,
};

inline constexpr uint32_t kCodeCount = 20;

// "OK", "MALFORMED", ... ; "UNKNOWN" for a value outside the table.
std::string_view code_name(Code code);

// True when the same request may succeed later without being changed
// (BUSY, TIMEOUT, IO_ERROR, RESOURCE_EXHAUSTED, MISSING_DEPENDENCY).
bool code_retryable(Code code);

// A failure: a canonical code and a message naming what was wrong.
struct Error {
  Code code = Code::kInternal;
  std::string message;

  bool retryable() const { return code_retryable(code); }
  // "MALFORMED: batch.ops[3].deps: ..."
  std::string to_string() const;
};

// Status: success or an Error.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT: implicit by design

  static Status ok() { return Status(); }

  bool is_ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  Code code() const { return ok_ ? Code::kOk : error_.code; }
  const Error& error() const { return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

// Result<T>: a value or an Error (a small std::expected).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT
  Result(Status status) : v_(status.error()) {}  // NOLINT: only from a failed Status

  bool is_ok() const { return v_.index() == 0; }
  explicit operator bool() const { return is_ok(); }
  Code code() const { return is_ok() ? Code::kOk : std::get<1>(v_).code; }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  // By value, so `for (auto& x : f().value())` does not dangle.
  T value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const { return std::get<1>(v_); }
  Status status() const { return is_ok() ? Status() : Status(error()); }

 private:
  std::variant<T, Error> v_;
};

// Builds an Error from a code and message pieces.
Error make_error(Code code, std::string message);

}  // namespace weft

// Propagates a failed Status or Result from the enclosing function.
#define WEFT_TRY(expr)                                         \
  do {                                                         \
    auto&& weft_try_value_ = (expr);                           \
    if (!weft_try_value_.is_ok()) return weft_try_value_.error(); \
  } while (0)
