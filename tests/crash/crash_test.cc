// Crash and storage-fault suites (docs/scenarios.md D, E, H): a child process
// appends and reports each ack over a pipe; the parent kills it, at random
// moments and at every fault point, and checks after reopen that every
// acknowledged op is present, no batch is partial, verify passes and
// PRAGMA integrity_check is ok. In-process: an I/O error at the k-th write
// for every k (S39), disk full (S38), a failed fsync (S40).
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <thread>

#include "test_util.hpp"
#include "weft/faults.hpp"
#include "weft/sqlite_store.hpp"

namespace weft {
namespace {

constexpr int kBatch = 10;

uint64_t env_or(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  return v ? std::strtoull(v, nullptr, 10) : fallback;
}

std::string child_path() {
  const char* p = std::getenv("WEFT_CRASH_CHILD");
  return p ? p : "";
}

ActorId writer(uint8_t n) {
  ActorId a;
  a.bytes.fill(n);
  return a;
}

// A running child with its stdout as a pipe.
struct Child {
  pid_t pid = -1;
  FILE* out = nullptr;

  static Child start(const std::vector<std::string>& args, const std::string& faults = "") {
    int fds[2];
    EXPECT_EQ(::pipe(fds), 0);
    Child c;
    c.pid = ::fork();
    if (c.pid == 0) {
      ::dup2(fds[1], 1);
      ::close(fds[0]);
      ::close(fds[1]);
      if (faults.empty()) {
        ::unsetenv("WEFT_FAULTS");
      } else {
        ::setenv("WEFT_FAULTS", faults.c_str(), 1);
      }
      std::vector<char*> argv;
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(fds[1]);
    c.out = ::fdopen(fds[0], "r");
    return c;
  }
  // Reads one "ACK n" line; false at end of stream.
  bool next_ack(uint64_t& counter) {
    char line[64];
    if (!std::fgets(line, sizeof line, out)) return false;
    unsigned long long n = 0;
    if (std::sscanf(line, "ACK %llu", &n) != 1) return false;
    counter = n;
    return true;
  }
  // Waits for exit; the raw wait status.
  int wait() {
    int status = 0;
    ::waitpid(pid, &status, 0);
    std::fclose(out);
    return status;
  }
};

class CrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("weft-crash-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "log.db").string();
    faults::clear();
  }
  void TearDown() override {
    faults::clear();
    std::filesystem::remove_all(dir_);
  }

  std::vector<std::string> child_args(uint8_t actor, int batches, bool full = false) {
    std::vector<std::string> a{child_path(), path_, std::to_string(actor), std::to_string(kBatch),
                               std::to_string(batches)};
    if (full) a.push_back("full");
    return a;
  }

  std::string integrity() {
    sqlite3* db = nullptr;
    sqlite3_open(path_.c_str(), &db);
    sqlite3_stmt* s = nullptr;
    std::string out = "no answer";
    if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, nullptr) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW) {
      out = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    }
    sqlite3_finalize(s);
    sqlite3_close(db);
    return out;
  }

  // After a crash: acknowledged ops present, whole batches only, log sound.
  void check_recovered(uint8_t actor, uint64_t acked, const std::string& context) {
    auto log = open_sqlite_log(path_);
    ASSERT_TRUE(log.is_ok()) << context << ": " << log.error().to_string();
    const uint64_t have = log.value()->version_vector().get(writer(actor));
    EXPECT_GE(have, acked) << context << ": an acknowledged op was lost";
    EXPECT_EQ(have % kBatch, 0u) << context << ": a partial batch survived";
    auto v = log.value()->verify();
    EXPECT_TRUE(v.is_ok()) << context << ": " << v.error().to_string();
    EXPECT_EQ(integrity(), "ok") << context;
  }

  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(CrashTest, KilledAtRandomMomentsLosesNoAcknowledgedOp) {
  ASSERT_FALSE(child_path().empty()) << "WEFT_CRASH_CHILD is not set";
  const uint64_t kills = env_or("WEFT_CRASH_KILLS", 50);
  std::mt19937_64 rng(env_or("WEFT_CRASH_SEED", 20261121));
  uint64_t acked = 0;
  for (uint64_t k = 0; k < kills; ++k) {
    Child c = Child::start(child_args(1, 1'000'000));
    // Let it acknowledge a few batches, then kill it after a random pause.
    const uint64_t wait_acks = rng() % 8;
    uint64_t n = 0;
    for (uint64_t i = 0; i < wait_acks && c.next_ack(n); ++i) acked = std::max(acked, n);
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 3000));
    ::kill(c.pid, SIGKILL);
    while (c.next_ack(n)) acked = std::max(acked, n);  // acks already in the pipe
    c.wait();
    check_recovered(1, acked, "kill " + std::to_string(k));
    if (HasFailure()) return;
  }
  EXPECT_GT(acked, 0u);
}

TEST_F(CrashTest, KilledAtEveryFaultPointRecovers) {
  if (!faults::fault_injection_enabled()) {
    GTEST_SKIP() << "needs -Dfault_injection=true (scripts/test runs it in build/faults)";
  }
  ASSERT_FALSE(child_path().empty()) << "WEFT_CRASH_CHILD is not set";
  uint64_t acked = 0;
  int crashes = 0;
  for (const char* point :
       {"store.begin", "store.write", "store.commit", "store.after_commit", "vfs.write",
        "vfs.sync"}) {
    for (int nth : {1, 2, 3, 5, 8, 13, 21, 34}) {
      const std::string spec = std::string(point) + ":" + std::to_string(nth) + ":crash";
      Child c = Child::start(child_args(1, 12, /*full=*/true), spec);
      uint64_t n = 0;
      while (c.next_ack(n)) acked = std::max(acked, n);
      const int status = c.wait();
      if (WIFSIGNALED(status)) {
        EXPECT_EQ(WTERMSIG(status), SIGKILL) << spec;
        ++crashes;
      } else {
        EXPECT_EQ(WEXITSTATUS(status), 0) << spec;  // the point was never reached that often
      }
      check_recovered(1, acked, spec);
      if (HasFailure()) return;
    }
  }
  EXPECT_GE(crashes, 30) << "too few fault points were reached to mean anything";
}

// S39: fail the k-th I/O write for every k until the operation completes.
TEST_F(CrashTest, IoErrorAtEveryWriteIsCleanAndTheRetrySucceeds) {
  if (!faults::fault_injection_enabled()) {
    GTEST_SKIP() << "needs -Dfault_injection=true (scripts/test runs it in build/faults)";
  }
  SqliteOptions full;
  full.synchronous_full = true;
  LogOptions lo;
  lo.actor = writer(2);
  lo.auto_seal_ops = 0;
  { testing::append_n(*open_sqlite_log(path_, full, lo).value(), 3); }
  int failures = 0;
  for (int k = 1; k < 200; ++k) {
    for (bool forever : {false, true}) {
      auto log = open_sqlite_log(path_, full, lo).value();
      const uint64_t before = log->cursor();
      const Hash digest = log->digest().value();
      ASSERT_TRUE(faults::set("vfs.write:" + std::to_string(k) + (forever ? "+" : "")).is_ok());
      std::vector<AppendRequest> reqs(kBatch);
      auto r = log->append_many(reqs);
      faults::clear();
      if (r) {
        if (!forever) {
          EXPECT_GT(failures, 0);
          return;  // k is past the last write of the operation
        }
        continue;
      }
      ++failures;
      EXPECT_TRUE(r.code() == Code::kIoError || r.code() == Code::kCorrupt) << r.error().to_string();
      log.reset();
      auto again = open_sqlite_log(path_, full, lo);
      ASSERT_TRUE(again.is_ok()) << "k=" << k << ": " << again.error().to_string();
      EXPECT_EQ(again.value()->cursor(), before) << "k=" << k << ": partial state after error";
      EXPECT_EQ(again.value()->digest().value(), digest) << "k=" << k;
      EXPECT_EQ(integrity(), "ok") << "k=" << k;
      auto retry = again.value()->append_many(reqs);
      ASSERT_TRUE(retry.is_ok()) << "k=" << k << ": " << retry.error().to_string();
      if (HasFailure()) return;
    }
  }
  FAIL() << "the operation never completed without hitting the fault";
}

// S38: disk full is a clean error, nothing partial, and the retry succeeds.
TEST_F(CrashTest, DiskFullIsCleanAndRecoverable) {
  if (!faults::fault_injection_enabled()) {
    GTEST_SKIP() << "needs -Dfault_injection=true (scripts/test runs it in build/faults)";
  }
  LogOptions lo;
  lo.actor = writer(3);
  auto log = open_sqlite_log(path_, {}, lo).value();
  testing::append_n(*log, 5);
  ASSERT_TRUE(faults::set("vfs.full:1+").is_ok());
  std::vector<AppendRequest> reqs(200);
  std::vector<uint8_t> big(4096, 7);
  for (auto& r : reqs) r.payload = big;  // enough to need new pages
  auto r = log->append_many(reqs);
  faults::clear();
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.code(), Code::kResourceExhausted) << r.error().to_string();
  log.reset();
  auto again = open_sqlite_log(path_, {}, lo).value();
  EXPECT_EQ(again->cursor(), 5u);
  EXPECT_EQ(integrity(), "ok");
  EXPECT_TRUE(again->append_many(reqs).is_ok());
  EXPECT_EQ(again->cursor(), 205u);
}

// S40: a failed fsync poisons the connection; reopen and re-verify.
TEST_F(CrashTest, FailedSyncPoisonsTheConnection) {
  if (!faults::fault_injection_enabled()) {
    GTEST_SKIP() << "needs -Dfault_injection=true (scripts/test runs it in build/faults)";
  }
  SqliteOptions full;
  full.synchronous_full = true;
  LogOptions lo;
  lo.actor = writer(4);
  auto log = open_sqlite_log(path_, full, lo).value();
  testing::append_n(*log, 2);
  ASSERT_TRUE(faults::set("vfs.sync:1").is_ok());
  auto r = log->append(AppendRequest{});
  faults::clear();
  ASSERT_EQ(r.code(), Code::kIoError) << (r ? "OK" : r.error().to_string());
  auto after = log->append(AppendRequest{});
  ASSERT_EQ(after.code(), Code::kIoError);
  EXPECT_NE(after.error().message.find("reopen"), std::string::npos);
  log.reset();
  auto again = open_sqlite_log(path_, full, lo).value();
  EXPECT_TRUE(again->verify().is_ok());
  EXPECT_EQ(integrity(), "ok");
  EXPECT_TRUE(again->append(AppendRequest{}).is_ok());
}

// S59-S61: two processes appending to one file; every op present once.
TEST_F(CrashTest, TwoProcessesAppendingToOneFile) {
  ASSERT_FALSE(child_path().empty()) << "WEFT_CRASH_CHILD is not set";
  Child a = Child::start(child_args(5, 40));
  Child b = Child::start(child_args(6, 40));
  Child c = Child::start(child_args(5, 40));  // the same writer in a second process
  uint64_t n = 0;
  while (a.next_ack(n)) {}
  while (b.next_ack(n)) {}
  while (c.next_ack(n)) {}
  EXPECT_EQ(a.wait(), 0);
  EXPECT_EQ(b.wait(), 0);
  EXPECT_EQ(c.wait(), 0);
  auto log = open_sqlite_log(path_).value();
  EXPECT_EQ(log->version_vector().get(writer(5)), 80u * kBatch);
  EXPECT_EQ(log->version_vector().get(writer(6)), 40u * kBatch);
  EXPECT_EQ(log->cursor(), 120u * kBatch);
  EXPECT_TRUE(log->verify().is_ok());
  EXPECT_EQ(integrity(), "ok");
}

}  // namespace
}  // namespace weft
