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
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

t0=$(now)
cargo build -p clerk-invitations --lib -v 2>"$target/clean.log"
t1=$(now)
crates=$(grep -c '^ *Compiling ' "$target/clean.log" || true)
echo "clean build (lib, default features, dev profile): $(secs "$t0" "$t1") s, $crates crates compiled"
bs=$(grep -E 'Running .*build-script-build' "$target/clean.log" | grep -c clerk-invitations || true)

touch src/lib.rs
t0=$(now)
cargo build -p clerk-invitations --lib -v 2>"$target/touch-src.log"
t1=$(now)
if grep -E 'Running .*clerk-invitations-[0-9a-f]+/build-script-build' "$target/touch-src.log" >/dev/null; then
  reran=yes
else
  reran=no
fi
echo "rebuild after touching src/lib.rs: $(secs "$t0" "$t1") s, build.rs ran again: $reran"

touch openapi/clerk-bapi-invitations.yaml
t0=$(now)
cargo build -p clerk-invitations --lib -v 2>"$target/touch-yaml.log"
t1=$(now)
if grep -E 'Running .*clerk-invitations-[0-9a-f]+/build-script-build' "$target/touch-yaml.log" >/dev/null; then
  reran=yes
else
  reran=no
fi
echo "rebuild after touching the vendored YAML: $(secs "$t0" "$t1") s, build.rs ran again: $reran"
echo "build script runs during the clean build: $bs"
