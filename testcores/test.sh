#!/usr/bin/env bash
# The test command of jmdb:   bash testcores/test.sh [cargo test args...]
#
# 1. installs what is missing (gdb; the Rust toolchain must already be there),
# 2. makes the test cores (testcores/generate: cached, so fast after the
#    first run),
# 3. runs the whole suite: cargo test --release (--no-fail-fast: every test
#    binary runs, so one failure does not hide the others). Its exit status
#    is ours.
set -euo pipefail
cd "$(dirname "$0")/.."

# gdb makes gcore cores and is the oracle for native stacks; readelf (binutils)
# is the oracle for program headers.
need=()
command -v gdb >/dev/null || need+=(gdb)
command -v readelf >/dev/null || need+=(binutils)
command -v npm >/dev/null || need+=(npm)
if [ ${#need[@]} -gt 0 ]; then
  echo "test.sh: installing ${need[*]}"
  apt-get update && apt-get install -y "${need[@]}"
fi
if ! command -v cargo >/dev/null; then
  echo "test.sh: cargo not found: install the Rust toolchain (https://rustup.rs)" >&2
  exit 1
fi

bash testcores/generate
exec cargo test --release --no-fail-fast "$@"
