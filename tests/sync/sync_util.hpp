// Helpers for sync tests: moving messages between two sessions in-process.
#pragma once

#include <functional>

#include "test_util.hpp"
#include "weft/session.hpp"

namespace weft::testing {

// Which way a message travels: from the first session given to pump() to
// the second, or back.
enum class Way { kForward, kBack };

// Return true to drop the message (it is never delivered).
using Filter = std::function<bool(Way, const Bytes&)>;

// Moves messages both ways until neither side has anything to send.
// Returns the number of messages delivered. Errors of receive() are left in
// the sessions' state (tests assert on it).
inline size_t pump(Session& a, Session& b, const Filter& drop = nullptr, size_t limit = 1000000) {
  size_t moved = 0;
  bool any = true;
  while (any && moved < limit) {
    any = false;
    for (Way w : {Way::kForward, Way::kBack}) {
      Session& from = w == Way::kForward ? a : b;
      Session& to = w == Way::kForward ? b : a;
      while (auto m = from.next_message()) {
        any = true;
        if (drop && drop(w, *m)) continue;
        (void)to.receive(*m);
        ++moved;
      }
    }
  }
  return moved;
}

inline bool is_kind(const Bytes& m, MessageKind k) {
  auto got = message_kind(m);
  return got && got.value() == k;
}

// Syncs two logs both ways with one session each; asserts both end done.
inline void sync_logs(Log& a, Log& b, SessionOptions oa = {}, SessionOptions ob = {}) {
  auto sa = Session::connect(a, std::move(oa));
  ASSERT_TRUE(sa.is_ok()) << sa.error().to_string();
  auto sb = Session::accept(b, std::move(ob));
  ASSERT_TRUE(sb.is_ok()) << sb.error().to_string();
  pump(*sa.value(), *sb.value());
  ASSERT_TRUE(sa.value()->done()) << session_state_name(sa.value()->state()) << " "
                                  << sa.value()->error().to_string();
  ASSERT_TRUE(sb.value()->done()) << session_state_name(sb.value()->state()) << " "
                                  << sb.value()->error().to_string();
}

}  // namespace weft::testing
