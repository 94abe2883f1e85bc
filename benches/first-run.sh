#!/usr/bin/env bash
# Time from a clean target to the first line of the README's main command (the quickstart on
# the built-in emulator), as a new user pays it. Dependencies are fetched first and not timed.
# Usage: bash benches/first-run.sh   (a temporary target directory; leaves the tree as it was)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=benches/lib.sh
. benches/lib.sh
target=$(mktemp -d)
trap 'rm -rf "$target"' EXIT
cargo fetch -q
t0=$(now)
first=$(env -u CLERK_SECRET_KEY CARGO_TARGET_DIR="$target" cargo run -p quickstart 2>"$target/build.log" | head -n 1)
t1=$(now)
echo "clean target to the quickstart's first line: $(secs "$t0" "$t1") s, $(grep -c '^ *Compiling ' "$target/build.log" || true) crates compiled"
echo "first line: $first"
