#!/usr/bin/env bash
# Instructions per call, counted by valgrind's callgrind on the calling thread only (the
# in-process server runs on a thread of its own, counted separately and left out): for list and
# create, through the facade, the raw client and plain reqwest. Each figure is the difference
# between a run of 2500 calls and one of 500, divided by 2000, so start-up cost cancels out.
# Repeatable: callgrind counts instructions, not time.
# Usage: bash benches/instructions.sh   (needs valgrind)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "valgrind is not installed"; exit 1; }
cargo bench --bench overhead --features emulator --no-run 2>/dev/null
bin=$(ls -t target/release/deps/overhead-* | grep -v '\.d$' | head -n 1)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
count() { # via call n -> instructions of the main thread
  OVERHEAD_PROFILE=$1 OVERHEAD_CALL=$2 OVERHEAD_CALLS=$3 valgrind --tool=callgrind \
    --separate-threads=yes --callgrind-out-file="$work/cg.%p" "$bin" >/dev/null 2>&1
  # The thread that ran main is thread 1.
  local f
  f=$(ls "$work"/cg.*-01 | head -n 1)
  grep -m1 '^summary:\|^totals:' "$f" | awk '{print $2}'
  rm -f "$work"/cg.*
}
echo "| call | client | instructions per call |"
echo "|---|---|---|"
for call in list create; do
  for via in facade raw plain; do
    small=$(count $via $call 500)
    big=$(count $via $call 2500)
    echo "| $call | $via | $(( (big - small) / 2000 )) |"
  done
done
