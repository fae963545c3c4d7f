// weft: deterministic fault injection for the crash and I/O-error suites.
//
// Compiled in only with `meson -Dfault_injection=true` (WEFT_FAULT_INJECTION
// defined); otherwise every function here is a no-op and `fault_injection_enabled`
// is false, so a release build carries none of it.
//
// Points are named ("store.commit", "store.write", "vfs.sync", ...; see
// docs/storage.md). A spec lists comma-separated rules:
//
//   point:N         fail the N-th occurrence of point (counting from 1), once
//   point:N+        fail the N-th occurrence and every later one
//   point:N:crash   kill the process (SIGKILL) at the N-th occurrence
//
// The environment variable WEFT_FAULTS is read once, at the first check.
// Thread-safety: internally synchronized.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "weft/status.hpp"

namespace weft::faults {

bool fault_injection_enabled();

// Replaces every rule and resets every counter. INVALID_ARGUMENT names a bad rule.
Status set(std::string_view spec);
void clear();

// Counts one occurrence of `point`; true when that occurrence must fail.
// Crash rules never return.
bool hit(std::string_view point);

// Occurrences of `point` counted since the last set() or clear().
uint64_t count(std::string_view point);

}  // namespace weft::faults

#ifdef WEFT_FAULT_INJECTION
#define WEFT_FAULT(point) (::weft::faults::hit(point))
#else
#define WEFT_FAULT(point) false
#endif
