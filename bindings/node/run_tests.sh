#!/usr/bin/env bash
# Builds the Node addon against a built libweft and runs its tests, the
# example and the symbol check. The last line of output is always
# "N passed, N failed" (node's test cases plus one per extra check); the
# exit status is non-zero if anything failed.
#
# Environment (scripts/test sets all three):
#   WEFT_BUILD_DIR     directory holding libweft.so (default: build/bind-node,
#                      built here first if needed)
#   WEFT_INCLUDE_DIR   directory holding weft/weft.h (default: include/)
#   WEFT_VECTORS_DIR   the golden vectors (default: tests/vectors/)
#   WEFT_NODE_BUILD_DIR  where the addon is built (default: build/node-addon)
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok: $1"; }
fail() { failed=$((failed + 1)); echo "FAILED: $1"; }
finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit $?
}

abs() { (cd "$1" 2>/dev/null && pwd); }

include_dir=$(abs "${WEFT_INCLUDE_DIR:-$root/include}") || { fail "WEFT_INCLUDE_DIR not found"; finish; }
vectors_dir=$(abs "${WEFT_VECTORS_DIR:-$root/tests/vectors}") || { fail "WEFT_VECTORS_DIR not found"; finish; }

if [ -n "${WEFT_BUILD_DIR:-}" ]; then
  lib_dir=$(abs "$WEFT_BUILD_DIR") || { fail "WEFT_BUILD_DIR $WEFT_BUILD_DIR not found"; finish; }
else
  lib_dir="$root/build/bind-node"
  echo "== building libweft into $lib_dir"
  if [ ! -f "$lib_dir/build.ninja" ]; then
    meson setup "$lib_dir" "$root" -Dtests=disabled -Dbench=disabled -Dtools=disabled >/dev/null || { fail "configure libweft"; finish; }
  fi
  ninja -C "$lib_dir" >/dev/null || { fail "build libweft"; finish; }
fi
[ -e "$lib_dir/libweft.so" ] || { fail "no libweft.so in $lib_dir"; finish; }

command -v node >/dev/null || { fail "node is not installed"; finish; }
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 18 ] || { fail "node $node_major is too old (18 or later)"; finish; }

# The addon, warning-free (-Werror), linked against lib_dir with an rpath.
# Configured afresh every time (one C file, a few seconds): meson.build
# probes the shape of weft.h, and Meson's check cache does not notice a
# header that changed under the same path.
build_dir="${WEFT_NODE_BUILD_DIR:-$root/build/node-addon}"
echo "== building the addon in $build_dir"
rm -rf "$build_dir"
mkdir -p "$(dirname "$build_dir")"
if meson setup "$build_dir" "$here" -Dweft_include_dir="$include_dir" -Dweft_lib_dir="$lib_dir" \
  -Dwerror=true >"$build_dir.setup.log" 2>&1 && ninja -C "$build_dir"; then
  pass "addon builds with -Wall -Wextra -Werror"
else
  tail -30 "$build_dir.setup.log"
  rm -f "$build_dir.setup.log"
  fail "addon build"
  finish
fi
rm -f "$build_dir.setup.log"
addon="$build_dir/weft.node"

# The module exports only Node's entry points, and needs libweft.so.
exported=$(nm -D --defined-only "$addon" | awk '{print $3}' | sort | tr '\n' ' ')
if [ "$exported" = "napi_register_module_v1 node_api_module_get_api_version_v1 " ] &&
  readelf -d "$addon" | grep -q 'NEEDED.*libweft\.so'; then
  pass "weft.node exports only the N-API entry points and links libweft.so"
else
  fail "weft.node symbols: exported [$exported]"
fi

export WEFT_NODE_ADDON="$addon" WEFT_VECTORS_DIR="$vectors_dir" WEFT_INCLUDE_DIR="$include_dir"
cd "$here" || { fail "cd $here"; finish; }

echo "== node --test"
report=$(mktemp)
trap 'rm -f "$report"' EXIT
timeout 600 node --expose-gc --test --test-reporter=tap --test-timeout=120000 \
  test/*.test.js test/*.test.mjs >"$report" 2>&1
status=$?
cat "$report"
node_pass=$(grep -E '^# pass [0-9]+$' "$report" | tail -1 | awk '{print $3}')
node_fail=$(grep -E '^# fail [0-9]+$' "$report" | tail -1 | awk '{print $3}')
node_cancelled=$(grep -E '^# cancelled [0-9]+$' "$report" | tail -1 | awk '{print $3}')
if [ -z "$node_pass" ] || [ -z "$node_fail" ]; then
  fail "node --test ended without a summary (exit $status)"
else
  passed=$((passed + node_pass))
  failed=$((failed + node_fail + ${node_cancelled:-0}))
  if [ "$status" -ne 0 ] && [ "$node_fail" -eq 0 ] && [ "${node_cancelled:-0}" -eq 0 ]; then
    fail "node --test exited with $status"
  fi
fi

echo "== examples/sync.mjs"
if out=$(timeout 60 node examples/sync.mjs 2>&1) && grep -q '^digests equal' <<<"$out"; then
  echo "$out"
  pass "examples/sync.mjs converges"
else
  echo "$out"
  fail "examples/sync.mjs"
fi

finish
