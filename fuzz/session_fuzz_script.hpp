// The input format of the `session` fuzz target, shared with
// make_fuzz_seeds.cc so scripted seeds stay in step with the target.
//
// An input is kSetupBytes of setup (zero-padded when shorter), then steps.
// Every choice reads 0 past the end of its part, and 0 is always the plain
// thing: an all-zero setup is an initiator and a responder over memory logs
// with default options, and the zero step settles (pumps both ways).
#pragma once

#include <cstddef>
#include <cstdint>

namespace weft::fuzz::session_script {

// Setup: which responder, the clock, then each side's options.
inline constexpr size_t kConfig = 0;      // bit 0: the responder is a Host session;
                                          // bit 1: the host revokes once before issuing tokens;
                                          // bits 2-3: the monotonic clock's origin
inline constexpr size_t kSideOptions = 1;  // side 0's options, then side 1's
inline constexpr size_t kOptionBytes = 8;
inline constexpr size_t kSetupBytes = kSideOptions + 2 * kOptionBytes;

// Within a side's options.
inline constexpr size_t kFlags = 0;  // bit 0: no push, bit 1: no accept, bit 2: no chunks,
                                     // bit 3: no peer name, bit 4: tight limits
inline constexpr size_t kLogId = 6;  // the initiator's log id (see LogIdChoice)
inline constexpr size_t kToken = 7;  // the initiator's token (see TokenChoice)

enum LogIdChoice : uint8_t { kHostLogId, kNoLogId, kOtherLogId, kAbsentLogId, kLogIdCount };
enum TokenChoice : uint8_t {
  kAppendToken,
  kReadToken,
  kAdminToken,
  kNoToken,
  kStaleToken,  // issued before the revoke (valid when the host did not revoke)
  kGarbageToken,
  kFlippedToken,  // the append token with one bit changed
  kTokenCount
};

// A step byte: bit 0 is the side it acts on (0 initiator, 1 responder),
// the rest the step, modulo kStepCount.
enum Step : uint8_t {
  kSettle,   // pump both ways until quiet (bounded)
  kPump,     // one next_message() of the side, queued for the other side
  kDeliver,  // a queued message to the side: as is, kept for later, or damaged
  kDrop,     // the oldest message queued for the side is lost
  kTick,     // the clock moves on, then tick() on the side
  kRaw,      // bytes of the input, 2-byte length (below 1024) first
  kHello,    // messages the encoders build from input-chosen fields
  kBatch,
  kChunks,
  kAck,
  kError,
  kRestart,  // both sessions end and new ones start over the same logs
  kStepCount
};

inline constexpr uint8_t step(Step s, int side) {
  return static_cast<uint8_t>((static_cast<unsigned>(s) << 1) | (side & 1));
}

}  // namespace weft::fuzz::session_script
