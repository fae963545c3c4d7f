#include "weft/policy.hpp"

#include <string>

namespace weft {
namespace {

uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

uint64_t RetryPolicy::delay_ms(uint32_t attempt) const {
  if (attempt == 0) return 0;
  uint64_t cap = max_ms == 0 ? base_ms : max_ms;
  uint64_t d = base_ms;
  for (uint32_t i = 1; i < attempt && d < cap; ++i) d = d > cap / 2 ? cap : d * 2;
  if (d > cap) d = cap;
  uint64_t half = d / 2;
  uint64_t span = d - half + 1;
  return half + splitmix64(seed ^ (uint64_t{attempt} * 0x2545f4914f6cdd1dULL)) % span;
}

bool RetryPolicy::should_retry(Code code, uint32_t attempt) const {
  if (!code_retryable(code)) return false;
  return max_attempts == 0 || attempt < max_attempts;
}

uint64_t RetryPolicy::next_due_ms(uint64_t now_monotonic_ms, uint32_t attempt) const {
  uint64_t d = delay_ms(attempt);
  return now_monotonic_ms > UINT64_MAX - d ? UINT64_MAX : now_monotonic_ms + d;
}

std::string_view job_state_name(JobState s) {
  switch (s) {
    case JobState::kQueued: return "queued";
    case JobState::kRunning: return "running";
    case JobState::kSucceeded: return "succeeded";
    case JobState::kFailed: return "failed";
    case JobState::kCancelled: return "cancelled";
  }
  return "unknown";
}

bool job_state_terminal(JobState s) {
  return s == JobState::kSucceeded || s == JobState::kFailed || s == JobState::kCancelled;
}

Status job_transition(JobState from, JobState to) {
  bool ok = false;
  if (job_state_terminal(from)) {
    ok = from == to;
  } else if (from == JobState::kQueued) {
    ok = to == JobState::kRunning || to == JobState::kCancelled;
  } else if (from == JobState::kRunning) {
    ok = job_state_terminal(to);
  }
  if (ok) return Status::ok();
  return make_error(Code::kInvalidArgument, "job: cannot move from " +
                                                std::string(job_state_name(from)) + " to " +
                                                std::string(job_state_name(to)));
}

}  // namespace weft
