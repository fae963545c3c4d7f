#!/usr/bin/env bash
# Runs the Swift binding's tests against a built libweft: `swift test`
# (XCTest) and the weft-sync-example program. Its last line of output is
# "N passed, N failed" (each XCTest case counts one, the example one);
# it exits non-zero if anything failed.
#
#   WEFT_BUILD_DIR    the directory holding libweft.so
#                     (default: build/bind-swift, configured and built here)
#   WEFT_INCLUDE_DIR  the directory holding weft/weft.h and
#                     weft/sys/weft_sys.h (default: include)
#   WEFT_VECTORS_DIR  the golden vectors (default: tests/vectors)
#
# SwiftPM builds into build/swift (never inside bindings/swift).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

finish() {  # finish PASSED FAILED: the closing line and the exit status
  echo "$1 passed, $2 failed"
  [ "$2" -eq 0 ]
  exit
}

if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
  export PATH="/opt/swift/usr/bin:$PATH"
fi
if ! command -v swift >/dev/null 2>&1; then
  echo "swift: not found (put the toolchain's usr/bin on PATH)" >&2
  finish 0 1
fi

include_dir=${WEFT_INCLUDE_DIR:-$root/include}
export WEFT_VECTORS_DIR=${WEFT_VECTORS_DIR:-$root/tests/vectors}
if [ -n "${WEFT_BUILD_DIR:-}" ]; then
  lib_dir=$WEFT_BUILD_DIR
else
  lib_dir=$root/build/bind-swift
  if ! command -v meson >/dev/null 2>&1 || ! command -v ninja >/dev/null 2>&1; then
    bash "$root/scripts/setup" >&2 || finish 0 1
  fi
  if [ ! -f "$lib_dir/build.ninja" ]; then
    (cd "$root" && meson setup "$lib_dir" -Dtests=disabled -Dbench=disabled -Dtools=disabled) >&2 || finish 0 1
  fi
  ninja -C "$lib_dir" >&2 || finish 0 1
fi
for f in "$lib_dir/libweft.so" "$include_dir/weft/weft.h" "$include_dir/weft/sys/weft_sys.h"; do
  [ -e "$f" ] || { echo "missing $f" >&2; finish 0 1; }
done
lib_dir=$(cd "$lib_dir" && pwd)
include_dir=$(cd "$include_dir" && pwd)

scratch=$root/build/swift
mkdir -p "$scratch/pkgconfig"
# Package.swift names pkg-config's "weft" as a hint; this file answers it
# with the directories above (SwiftPM warns when no weft.pc is found).
cat >"$scratch/pkgconfig/weft.pc" <<EOF
Name: weft
Description: weft C ABI, as run_tests.sh points SwiftPM at it
Version: 0
Cflags: -I$include_dir
Libs: -L$lib_dir -lweft
EOF
export PKG_CONFIG_PATH="$scratch/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"

swift_flags=(--package-path "$here" --scratch-path "$scratch"
  -Xcc "-I$include_dir" -Xlinker "-L$lib_dir" -Xlinker -rpath -Xlinker "$lib_dir")

echo "== swift build (libweft in $lib_dir)" >&2
if ! swift build --build-tests "${swift_flags[@]}" >&2; then
  echo "== swift build FAILED" >&2
  finish 0 1
fi

echo "== swift test"
test_log=$scratch/test-output.log
swift test --skip-build --disable-swift-testing "${swift_flags[@]}" 2>&1 | tee "$test_log"
test_status=${PIPESTATUS[0]}
passed=$(grep -cE "^Test Case '.*' passed" "$test_log")
failed=$(grep -cE "^Test Case '.*' failed" "$test_log")
# A crash ends the run without a verdict for the case that crashed.
if [ "$test_status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
if [ "$passed" -eq 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi

echo "== weft-sync-example"
example_log=$scratch/example-output.log
swift run --skip-build "${swift_flags[@]}" weft-sync-example 2>&1 | tee "$example_log"
if [ "${PIPESTATUS[0]}" -eq 0 ] && grep -q "^converged: " "$example_log"; then
  passed=$((passed + 1))
else
  failed=$((failed + 1))
fi

finish "$passed" "$failed"
