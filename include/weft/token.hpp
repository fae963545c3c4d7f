// weft: capability tokens (docs/capabilities.md, docs/contract.md "Capabilities").
//
// A hosted log has a 32-byte secret and an epoch. A token names the log,
// an epoch and a scope, and carries a MAC: keyed BLAKE2b-256 under the
// secret. Revoking bumps the log's epoch; every older token then fails with
// STALE_EPOCH. MACs are compared in constant time; secrets never appear in
// tokens, messages or error text. Pure functions: thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "weft/status.hpp"
#include "weft/types.hpp"

namespace weft {

// Wider scopes include narrower ones: admin > append > read.
enum class Scope : uint32_t { kRead = 1, kAppend = 2, kAdmin = 3 };

std::string_view scope_name(Scope s);

using Secret = std::array<uint8_t, 32>;

// 32 bytes from the operating system's CSPRNG.
Secret new_secret();

// The encoded token (a weft message) for `log_id` at `epoch` with `scope`.
std::vector<uint8_t> issue_token(const Secret& secret, std::string_view log_id, uint32_t epoch,
                                 Scope scope);

// What a verified token grants.
struct Grant {
  std::string log_id;
  uint32_t epoch = 0;
  Scope scope = Scope::kRead;
};

// Checks `token` against the log's secret, name and current epoch, and
// that its scope covers `required`. In this order, so a forged token learns
// nothing about the log's epoch:
//   MALFORMED          not a token, or not in canonical form (unknown fields)
//   PERMISSION_DENIED  another log, a MAC that does not verify, an epoch
//                      above the current one (never issued), or a scope
//                      narrower than `required`
//   STALE_EPOCH        issued before the current epoch (revoked)
Result<Grant> verify_token(const Secret& secret, std::string_view log_id, uint32_t current_epoch,
                           std::span<const uint8_t> token, Scope required);

}  // namespace weft
