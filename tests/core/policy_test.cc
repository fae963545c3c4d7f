#include <gtest/gtest.h>

#include "weft/policy.hpp"

namespace weft {
namespace {

TEST(RetryPolicy, DelaysGrowExponentiallyWithinJitterAndCap) {
  RetryPolicy p{.base_ms = 100, .max_ms = 10'000, .max_attempts = 0, .seed = 7};
  EXPECT_EQ(p.delay_ms(0), 0u);
  uint64_t nominal = 100;
  for (uint32_t n = 1; n <= 20; ++n) {
    uint64_t d = p.delay_ms(n);
    uint64_t cap = std::min<uint64_t>(nominal, 10'000);
    EXPECT_GE(d, cap / 2) << n;
    EXPECT_LE(d, cap) << n;
    nominal = std::min<uint64_t>(nominal * 2, 1'000'000);
  }
  EXPECT_LE(p.delay_ms(1000), 10'000u);  // no overflow at huge attempt numbers
  EXPECT_GE(p.delay_ms(1000), 5'000u);
}

TEST(RetryPolicy, JitterIsDeterministicPerSeedAndSpreadsAcrossSeeds) {
  RetryPolicy a{.base_ms = 1000, .max_ms = 60'000, .max_attempts = 0, .seed = 1};
  RetryPolicy a2 = a;
  RetryPolicy b = a;
  b.seed = 2;
  int differ = 0;
  for (uint32_t n = 1; n < 30; ++n) {
    EXPECT_EQ(a.delay_ms(n), a2.delay_ms(n));
    differ += a.delay_ms(n) != b.delay_ms(n);
  }
  EXPECT_GT(differ, 20);
}

TEST(RetryPolicy, OnlyRetryableCodesAndBelowMaxAttempts) {
  RetryPolicy p{.base_ms = 10, .max_ms = 100, .max_attempts = 3, .seed = 0};
  EXPECT_TRUE(p.should_retry(Code::kBusy, 1));
  EXPECT_TRUE(p.should_retry(Code::kIoError, 2));
  EXPECT_FALSE(p.should_retry(Code::kBusy, 3));
  EXPECT_FALSE(p.should_retry(Code::kConflict, 1));
  EXPECT_FALSE(p.should_retry(Code::kStaleEpoch, 1));
  RetryPolicy forever = p;
  forever.max_attempts = 0;
  EXPECT_TRUE(forever.should_retry(Code::kTimeout, 1'000'000));
}

TEST(RetryPolicy, NextDueSaturates) {
  RetryPolicy p{.base_ms = 100, .max_ms = 100, .max_attempts = 0, .seed = 3};
  EXPECT_EQ(p.next_due_ms(UINT64_MAX - 1, 1), UINT64_MAX);
  uint64_t due = p.next_due_ms(5'000, 1);
  EXPECT_GE(due, 5'050u);
  EXPECT_LE(due, 5'100u);
}

TEST(JobState, DiagramTransitionsOnly) {
  using S = JobState;
  const S all[] = {S::kQueued, S::kRunning, S::kSucceeded, S::kFailed, S::kCancelled};
  auto allowed = [](S f, S t) {
    if (f == S::kQueued) return t == S::kRunning || t == S::kCancelled;
    if (f == S::kRunning) return t == S::kSucceeded || t == S::kFailed || t == S::kCancelled;
    return f == t;  // terminal: absorbing, idempotent
  };
  for (S f : all) {
    for (S t : all) {
      Status s = job_transition(f, t);
      EXPECT_EQ(s.is_ok(), allowed(f, t)) << job_state_name(f) << "->" << job_state_name(t);
      if (!s.is_ok()) {
        EXPECT_EQ(s.code(), Code::kInvalidArgument);
        EXPECT_NE(s.error().message.find(std::string(job_state_name(f))), std::string::npos);
      }
    }
  }
  EXPECT_TRUE(job_state_terminal(S::kCancelled));
  EXPECT_FALSE(job_state_terminal(S::kRunning));
}

}  // namespace
}  // namespace weft
