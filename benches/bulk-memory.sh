#!/usr/bin/env bash
# Peak memory of `clerk-invitations invite --csv` as the file grows: 10,000 and 100,000 rows,
# every address new, against a standalone emulator without rate limits (the tool's own
# scheduling is given a clock a million times faster, so nothing waits). Prints the peak
# resident set size of the tool for each file, and the time it took.
# Usage: bash benches/bulk-memory.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q --release --features cli --bin clerk-invitations --bin clerk-emulator
python3 - <<'PY'
import os, re, shutil, subprocess, tempfile, time
work = tempfile.mkdtemp()
emu = subprocess.Popen(["target/release/clerk-emulator", "--no-rate-limits"],
                       stdout=subprocess.PIPE, text=True)
url = None
for line in emu.stdout:
    m = re.search(r"listening on (\S+)", line)
    if m:
        url = m.group(1)
        break
env = dict(os.environ, CLERK_SECRET_KEY="sk_test_emulator", CLERK_API_URL=url)
print("| CSV rows | peak RSS of the tool | time | invited |")
print("|---|---|---|---|")
start = 0
try:
    for rows in (10_000, 100_000):
        path = os.path.join(work, f"{rows}.csv")
        with open(path, "w") as f:
            f.write("email\n")
            for i in range(start, start + rows):
                f.write(f"person{i:07}@memory.test\n")
        start += rows
        t0 = time.time()
        p = subprocess.Popen(["target/release/clerk-invitations", "--json", "invite",
                              "--time-scale", "1000000", "--csv", path],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        out = p.stdout.read().decode()
        _, status, usage = os.wait4(p.pid, 0)
        elapsed = time.time() - t0
        summary = out.strip().splitlines()[-1]
        invited = re.search(r'"invited":(\d+)', summary).group(1)
        print(f"| {rows} | {usage.ru_maxrss / 1024:.1f} MiB | {elapsed:.1f} s | {invited} |")
finally:
    emu.terminate()
    shutil.rmtree(work)
PY
