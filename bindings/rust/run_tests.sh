#!/usr/bin/env bash
# Runs the Rust binding's tests against a built libweft: `cargo test`
# (weft-sys layout and weft API tests, golden vectors, doctests), the
# handle and store adapter tests again under valgrind, the `sync` example,
# and a check that the build printed no compiler warning. Its last line of
# output is "N passed, N failed" (each Rust test counts one, each other
# check one); it exits non-zero if anything failed.
#
#   WEFT_BUILD_DIR    the directory holding libweft.so
#                     (default: build/bind-rust, configured and built here)
#   WEFT_INCLUDE_DIR  the directory holding weft/weft.h and weft/sys/weft_sys.h
#                     (default: include)
#   WEFT_VECTORS_DIR  the golden vectors (default: tests/vectors)
#
# Cargo builds into bindings/rust/target (git-ignored), offline: the crates
# depend on nothing but std. Without valgrind the leak checks are skipped,
# not counted.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

finish() {  # finish PASSED FAILED: the closing line and the exit status
  echo "$1 passed, $2 failed"
  [ "$2" -eq 0 ]
  exit
}

if ! command -v cargo >/dev/null 2>&1 && [ -x "${HOME:-/root}/.cargo/bin/cargo" ]; then
  export PATH="${HOME:-/root}/.cargo/bin:$PATH"
fi
if ! command -v cargo >/dev/null 2>&1; then
  echo "cargo: not found (install Rust, or put ~/.cargo/bin on PATH)" >&2
  finish 0 1
fi

include_dir=${WEFT_INCLUDE_DIR:-$root/include}
vectors_dir=${WEFT_VECTORS_DIR:-$root/tests/vectors}
if [ -n "${WEFT_BUILD_DIR:-}" ]; then
  lib_dir=$WEFT_BUILD_DIR
else
  lib_dir=$root/build/bind-rust
  if ! command -v meson >/dev/null 2>&1 || ! command -v ninja >/dev/null 2>&1; then
    bash "$root/scripts/setup" >&2 || finish 0 1
  fi
  if [ ! -f "$lib_dir/build.ninja" ]; then
    (cd "$root" && meson setup "$lib_dir" -Dtests=disabled -Dbench=disabled -Dtools=disabled) >&2 || finish 0 1
  fi
  ninja -C "$lib_dir" >&2 || finish 0 1
fi
for f in "$lib_dir/libweft.so" "$include_dir/weft/weft.h" "$include_dir/weft/sys/weft_sys.h" \
  "$vectors_dir"; do
  [ -e "$f" ] || { echo "missing $f" >&2; finish 0 1; }
done
export WEFT_LIB_DIR WEFT_INCLUDE_DIR WEFT_VECTORS_DIR
WEFT_LIB_DIR=$(cd "$lib_dir" && pwd)
WEFT_INCLUDE_DIR=$(cd "$include_dir" && pwd)
WEFT_VECTORS_DIR=$(cd "$vectors_dir" && pwd)
export CARGO_TARGET_DIR=$here/target
logs=$CARGO_TARGET_DIR/run_tests
mkdir -p "$logs"
cd "$here" || finish 0 1

passed=0
failed=0
count() {  # count OK NAME: one extra check
  if [ "$1" = ok ]; then
    passed=$((passed + 1))
    echo "== $2: ok"
  else
    failed=$((failed + 1))
    echo "== $2: FAILED"
  fi
}

echo "== cargo test (libweft in $WEFT_LIB_DIR)"
test_log=$logs/cargo-test.log
cargo test --offline --workspace --no-fail-fast 2>&1 | tee "$test_log"
test_status=${PIPESTATUS[0]}
# "test result: ok. 12 passed; 0 failed; ..." once per test binary.
read -r p f < <(sed -nE 's/^test result: [A-Za-z]+\. ([0-9]+) passed; ([0-9]+) failed.*/\1 \2/p' "$test_log" |
  awk '{p += $1; f += $2} END {print p + 0, f + 0}')
passed=$((passed + p))
failed=$((failed + f))
# A build failure or a crash ends a run without a verdict for what it skipped.
if [ "$test_status" -ne 0 ] && [ "$f" -eq 0 ]; then
  failed=$((failed + 1))
fi

if grep -qE '^warning' "$test_log"; then
  grep -E '^warning' "$test_log" | sort | uniq -c >&2
  count fail "no compiler warnings"
else
  count ok "no compiler warnings"
fi

# The test binary of `cargo test -p weft --test NAME`.
test_binary() {
  cargo test --offline -p weft --test "$1" --no-run --message-format=json 2>/dev/null |
    grep "\"name\":\"$1\"" | grep -o '"executable":"[^"]*"' | tail -1 | cut -d'"' -f4
}

# valgrind_check LABEL NAME ARGS...: test binary NAME under valgrind.
valgrind_check() {
  local label=$1 name=$2 bin
  shift 2
  bin=$(test_binary "$name")
  if [ -z "$bin" ] || [ ! -x "$bin" ]; then
    echo "the $name test binary was not found" >&2
    count fail "$label"
  elif RUST_BACKTRACE=0 valgrind --error-exitcode=1 --leak-check=full \
    --errors-for-leak-kinds=definite,indirect "$bin" --test-threads=1 "$@" \
    >"$logs/valgrind-$name.log" 2>&1; then
    grep -E 'definitely lost|indirectly lost|ERROR SUMMARY' "$logs/valgrind-$name.log"
    count ok "$label"
  else
    tail -40 "$logs/valgrind-$name.log" >&2
    count fail "$label"
  fi
}

echo "== valgrind: the handle test, the store adapter test"
if ! command -v valgrind >/dev/null 2>&1; then
  echo "== valgrind: not installed, leak checks skipped"
else
  valgrind_check "valgrind leak check" handles --exact a_hundred_thousand_handles_in_mixed_order
  # Rust callbacks under C: every connection and database freed once, no
  # invalid access, panics included.
  valgrind_check "valgrind leak check (store adapter)" store_adapter
fi

echo "== example: sync"
example_log=$logs/example-sync.log
cargo run --offline --quiet -p weft --example sync 2>&1 | tee "$example_log"
if [ "${PIPESTATUS[0]}" -eq 0 ] && grep -q "^digests are equal" "$example_log"; then
  count ok "example sync"
else
  count fail "example sync"
fi

finish "$passed" "$failed"
