#!/usr/bin/env bash
# clerk-rs 0.4.2 as a peer row of the per-call figures (BENCHMARKS.md): allocations and bytes
# per call, then instructions per call on the calling thread by callgrind (the difference
# between 2,500 and 500 calls, divided by 2,000), for list and create, through clerk-rs and
# through plain reqwest 0.12 (the HTTP client clerk-rs uses). Needs valgrind for the second
# table. Usage: bash benches/peer-clerk-rs/run.sh
set -euo pipefail
cd "$(dirname "$0")"
cargo build --release -q
bin=target/release/peer-clerk-rs
"$bin"
command -v valgrind >/dev/null || { echo "valgrind is not installed: no instruction counts"; exit 0; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
count() { # via call n -> instructions of the main thread
  PEER_VIA=$1 PEER_CALL=$2 PEER_CALLS=$3 valgrind --tool=callgrind --separate-threads=yes \
    --callgrind-out-file="$work/cg.%p" "$bin" >/dev/null 2>&1
  grep -m1 '^summary:\|^totals:' "$(ls "$work"/cg.*-01 | head -n 1)" | awk '{print $2}'
  rm -f "$work"/cg.*
}
echo
echo "| call | client | instructions per call |"
echo "|---|---|---|"
for call in list create; do
  for via in clerk-rs plain; do
    small=$(count $via $call 500)
    big=$(count $via $call 2500)
    echo "| $call | $via | $(( (big - small) / 2000 )) |"
  done
done
