// weft: the storage conformance kit. One set of scenarios, run against any
// LogStore adapter, each answering pass, fail or skip with a diagnostic.
// The C ABI exposes the same kit for adapters written in other languages.
//
// Thread-safety: run() may be called from any thread; it uses the backend
// from that thread only, unless the backend says its handles are safe to
// use from two threads at once.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "weft/store.hpp"

namespace weft::conformance {

// One empty store under test, and the ways to reach it.
class Backend {
 public:
  virtual ~Backend() = default;
  // A new handle to this backend's store: closing every handle and opening
  // another is a reopen, and must find everything committed.
  virtual Result<std::unique_ptr<LogStore>> open() = 0;
  // Alters the stored bytes of sealed chunk (actor, index), as disk
  // corruption would. Backends that cannot return NOT_FOUND or leave it
  // unimplemented: the corruption scenario is then skipped, saying why.
  virtual Status corrupt_chunk(const ActorId& actor, uint64_t index) {
    (void)actor;
    (void)index;
    return make_error(Code::kNotFound, "this backend cannot corrupt stored bytes");
  }
  // True when two handles may be used from two threads at once.
  virtual bool concurrent_handles() const { return false; }
};

// Makes a fresh, empty backend; called once per scenario.
using BackendFactory = std::function<Result<std::unique_ptr<Backend>>()>;

enum class Outcome { kPass, kFail, kSkip };

struct ScenarioResult {
  std::string scenario;
  Outcome outcome = Outcome::kFail;
  std::string diagnostic;  // what failed and where; why skipped; empty on pass
};

// The scenario names, in the order run() runs them.
std::vector<std::string> scenarios();

// Runs every scenario (or only `only`, if not empty) against fresh backends.
std::vector<ScenarioResult> run(const BackendFactory& factory, const std::string& only = "");

// Backends for weft's own adapters.
Result<std::unique_ptr<Backend>> memory_backend();
// A fresh database file under `dir` (which must exist).
Result<std::unique_ptr<Backend>> sqlite_backend(const std::string& dir);

}  // namespace weft::conformance
