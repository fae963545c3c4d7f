// The distinct writers a batch names (each op's writer and dependencies),
// so a sender cuts batches before a receiver's Limits::max_actors: whatever
// a log holds, it can send. Internal to the engine and sync layers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <unordered_set>

#include "weft/types.hpp"

namespace weft {

class BatchActors {
 public:
  explicit BatchActors(uint32_t limit) : limit_(limit) {}

  // Whether `op` can join a batch that holds `batch` (the ops add() has
  // counted) and name no more than the limit. O(1) while the names of the
  // batch sum to less than the limit; exact (a hash set) beyond.
  bool fits(const Op& op, std::span<const Op> batch) {
    const size_t names = 1 + op.deps.size();
    if (!exact_ && upper_ + names <= limit_) return true;
    if (!exact_) {
      exact_ = true;
      for (const Op& o : batch) count(o);
    }
    size_t fresh = seen_.count(op.id.actor) ? 0 : 1;
    for (const OpId& d : op.deps) fresh += seen_.count(d.actor) ? 0 : 1;
    return seen_.size() + fresh <= limit_;
  }
  void add(const Op& op) {
    upper_ += 1 + op.deps.size();
    if (exact_) count(op);
  }
  void clear() {
    upper_ = 0;
    exact_ = false;
    seen_.clear();
  }

 private:
  void count(const Op& op) {
    seen_.insert(op.id.actor);
    for (const OpId& d : op.deps) seen_.insert(d.actor);
  }

  uint32_t limit_;
  size_t upper_ = 0;  // sum of names: an upper bound of the distinct ones
  bool exact_ = false;
  std::unordered_set<ActorId, ActorIdHash> seen_;
};

}  // namespace weft
