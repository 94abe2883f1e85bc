#!/usr/bin/env bash
# Measures the build cost of clerk-invitations (default features) and prints the figures:
#   1. a clean build of the crate and its dependencies (dev profile), with the number of crates;
#   2. a rebuild after touching src/lib.rs, checking that build.rs does not run again;
#   3. a rebuild after touching the vendored YAML, where build.rs must run again.
# Usage: bash benches/build-cost.sh   (uses its own target dir; leaves the tree as it was)
set -euo pipefail
cd "$(dirname "$0")/.."
target=$(mktemp -d)
trap 'rm -rf "$target"' EXIT
export CARGO_TARGET_DIR="$target"
cargo fetch -q
# shellcheck source=benches/lib.sh
. benches/lib.sh

t0=$(now)
cargo build -p clerk-invitations --lib -v 2>"$target/clean.log"
t1=$(now)
crates=$(grep -c '^ *Compiling ' "$target/clean.log" || true)
echo "clean build (lib, default features, dev profile): $(secs "$t0" "$t1") s, $crates crates compiled"
bs=$(grep -E 'Running .*build-script-build' "$target/clean.log" | grep -c clerk-invitations || true)

rebuild_after src/lib.rs src/lib.rs "$target/touch-src.log" -p clerk-invitations --lib
rebuild_after openapi/clerk-bapi-invitations.yaml "the vendored YAML" "$target/touch-yaml.log" -p clerk-invitations --lib
echo "build script runs during the clean build: $bs"
