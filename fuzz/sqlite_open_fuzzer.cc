// libFuzzer target: a SQLite log file made of arbitrary bytes (docs/fuzzing.md).
// Opening it, reading it back, verifying it and appending to it may fail
// with a clear error, but must never crash, and a log that opens and
// verifies must stay consistent after an append.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "fuzz_support.hpp"
#include "weft/sqlite_store.hpp"

namespace {

// On a memory file system where there is one: the same SQLite and weft code
// runs, but a checkpoint's fsync costs nothing, and an fsync to disk per
// input was most of the target's time.
std::string scratch_path() {
  static const std::string p = std::string(::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp") +
                               "/weft-fuzz-sqlite-" + std::to_string(::getpid()) + ".db";
  return p;
}

void remove_files(const std::string& p) {
  std::remove(p.c_str());
  std::remove((p + "-wal").c_str());
  std::remove((p + "-shm").c_str());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = scratch_path();
  remove_files(path);
  if (FILE* f = std::fopen(path.c_str(), "wb")) {
    if (size > 0) std::fwrite(data, 1, size, f);
    std::fclose(f);
  }
  weft::SqliteOptions so;
  so.create = false;
  so.busy_timeout_ms = 0;
  weft::LogOptions lo;
  lo.auto_seal_ops = 0;
  auto log = weft::open_sqlite_log(path, so, lo);
  if (!log) {
    WEFT_FUZZ_CHECK(!log.error().message.empty());
    WEFT_FUZZ_CHECK(log.code() != weft::Code::kOk && log.code() != weft::Code::kInternal);
  } else {
    auto ops = log.value()->read(1, 256);
    auto verified = log.value()->verify();
    (void)log.value()->digest();
    if (ops && verified) {
      const uint64_t before = log.value()->cursor();
      weft::AppendRequest r;
      auto id = log.value()->append(r);
      if (id) {
        WEFT_FUZZ_CHECK(log.value()->cursor() == before + 1);
        WEFT_FUZZ_CHECK_OK(log.value()->get(id.value()));
      }
    }
  }
  log = weft::make_error(weft::Code::kInternal, "closed");
  remove_files(path);
  return 0;
}
