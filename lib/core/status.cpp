#include "weft/status.hpp"

#include <array>

namespace weft {
namespace {

struct CodeInfo {
  std::string_view name;
  bool retryable;
};

constexpr std::array<CodeInfo, kCodeCount> kCodes = {{
    {"OK", false},
    {"INVALID_ARGUMENT", false},
    {"MALFORMED", false},
    {"UNSUPPORTED_VERSION", false},
    {"CHECKSUM_MISMATCH", false},
    {"IMMUTABLE_VIOLATION", false},
    {"NOT_CONTIGUOUS", false},
    {"MISSING_DEPENDENCY", true},
    {"CONFLICT", false},
    {"CURSOR_MISMATCH", false},
    {"STALE_EPOCH", false},
    {"PERMISSION_DENIED", false},
    {"NOT_FOUND", false},
    {"CANCELLED", false},
    {"TIMEOUT", true},
    {"BUSY", true},
    {"IO_ERROR", true},
    {"CORRUPT", false},
    {"RESOURCE_EXHAUSTED", true},
    {"INTERNAL", false},
}};

}  // namespace

std::string_view code_name(Code code) {
  auto i = static_cast<uint32_t>(code);
  return i < kCodes.size() ? kCodes[i].name : std::string_view("UNKNOWN");
}

bool code_retryable(Code code) {
  auto i = static_cast<uint32_t>(code);
  return i < kCodes.size() && kCodes[i].retryable;
}

std::string Error::to_string() const {
  std::string s(code_name(code));
  if (!message.empty()) {
    s += ": ";
    s += message;
  }
  return s;
}

Error make_error(Code code, std::string message) {
  // A message is one line: text from elsewhere (SQLite's integrity report,
  // a peer's Error message) may hold line breaks or other control bytes.
  for (size_t i = 0; i < message.size(); ++i) {
    const auto c = static_cast<unsigned char>(message[i]);
    if (c == '\r' || c == '\n') {
      size_t j = i;
      while (j < message.size() && (message[j] == '\r' || message[j] == '\n')) ++j;
      message.replace(i, j - i, "; ");
      ++i;
    } else if (c < 0x20 || c == 0x7f) {
      message[i] = ' ';
    }
  }
  return Error{code, std::move(message)};
}

}  // namespace weft
