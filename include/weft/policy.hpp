// weft: pure policies shared by the engine, sync and modules: retry with
// backoff, and the job state machine. No clocks are read here; callers pass
// time in, so every decision is deterministic and testable.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "weft/status.hpp"

namespace weft {

// Exponential backoff with deterministic jitter.
//
// The un-jittered delay of attempt n (n >= 1) is base_ms * 2^(n-1), capped at
// max_ms. The jittered delay lies in [delay/2, delay], chosen by a hash of
// (seed, n): the same seed always yields the same schedule, and different
// seeds (one per peer) spread retries apart.
struct RetryPolicy {
  uint64_t base_ms = 100;
  uint64_t max_ms = 60'000;
  // Attempts after which a retryable failure is given up; 0 = never give up.
  uint32_t max_attempts = 0;
  uint64_t seed = 0;

  // Delay before attempt `attempt` (the first retry is attempt 1).
  uint64_t delay_ms(uint32_t attempt) const;

  // Whether a failure with `code` on attempt `attempt` should be retried:
  // only retryable codes (code_retryable), and only below max_attempts.
  bool should_retry(Code code, uint32_t attempt) const;

  // Monotonic due time of the next attempt: now_ms + delay_ms(attempt).
  // Saturates instead of overflowing.
  uint64_t next_due_ms(uint64_t now_monotonic_ms, uint32_t attempt) const;
};

// queued -> running -> succeeded | failed | cancelled; queued -> cancelled.
enum class JobState : uint32_t {
  kQueued = 0,
  kRunning = 1,
  kSucceeded = 2,
  kFailed = 3,
  kCancelled = 4,
};

std::string_view job_state_name(JobState s);
bool job_state_terminal(JobState s);

// Checks a transition. Terminal states are absorbing: moving a terminal job
// to the state it is already in is an idempotent success (a retried cancel),
// any other move out of it is refused with INVALID_ARGUMENT naming both
// states, and so is every transition not in the diagram above.
Status job_transition(JobState from, JobState to);

}  // namespace weft
