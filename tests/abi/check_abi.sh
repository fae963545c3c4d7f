#!/usr/bin/env bash
# Compares the built libweft with the committed ABI baseline. Any change
# abidiff reports fails (its exit status is a bitmask: 4 = change,
# 8 = incompatible change). A deliberate ABI change regenerates the
# baseline with scripts/abi-baseline (docs/c-api.md, "Versioning").
#
#   check_abi.sh BASELINE LIBRARY HEADERS_DIR
set -u
baseline=$1 library=$2 headers=$3
if ! command -v abidiff >/dev/null; then
  echo "abidiff not found: scripts/setup installs abigail-tools"
  exit 1
fi
abidiff --headers-dir1 "$headers" --headers-dir2 "$headers" "$baseline" "$library"
status=$?
if [ "$status" -ne 0 ]; then
  echo "abidiff exit status $status: the ABI differs from $baseline"
  exit 1
fi
echo "ABI matches $baseline"
