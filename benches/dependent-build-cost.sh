#!/usr/bin/env bash
# Build cost as a user pays it: a small program that depends on clerk-invitations (default
# features), built from clean in the dev profile with `cargo build --timings`. Prints:
#   - wall time and the number of crates compiled;
#   - the time (per unit, summed) in: crates only the build script needs (the generator:
#     progenitor, typify, openapiv3, serde_yaml, syn, ...), compiling build.rs, running it,
#     and compiling the crate with its generated code; and the rest;
#   - rebuilds of the program after touching the crate's src/ and after touching the YAML.
# Usage: bash benches/dependent-build-cost.sh   (temporary directories; leaves the tree as it was)
set -euo pipefail
cd "$(dirname "$0")/.."
crate_dir=$(pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/app/src"
cat >"$work/app/Cargo.toml" <<EOF
[package]
name = "invite-app"
version = "0.1.0"
edition = "2024"

[dependencies]
clerk-invitations = { path = "$crate_dir" }
tokio = { version = "1", features = ["macros", "rt-multi-thread"] }

[workspace]
EOF
cat >"$work/app/src/main.rs" <<'EOF'
#[tokio::main]
async fn main() -> clerk_invitations::Result<()> {
    let clerk = clerk_invitations::Clerk::from_env()?;
    let page = clerk.invitations().list().limit(10).await?;
    println!("{} invitations", page.data.len());
    Ok(())
}
EOF
cd "$work/app"
export CARGO_TARGET_DIR="$work/target"
cargo generate-lockfile -q
cargo fetch -q
# shellcheck source=benches/lib.sh
. "$crate_dir/benches/lib.sh"

t0=$(now)
cargo build --timings 2>"$work/clean.log"
t1=$(now)
crates=$(grep -c '^ *Compiling ' "$work/clean.log" || true)
echo "clean build of a program using the crate (default features, dev profile): $(secs "$t0" "$t1") s wall, $crates crates compiled"

# Crates that only the build script needs: in the normal+build tree, not in the normal one.
cargo tree -p clerk-invitations -e normal --prefix none --format '{p}' | awk '{print $1" "$2}' | sort -u >"$work/normal.txt"
cargo tree -p clerk-invitations -e normal,build --prefix none --format '{p}' | awk '{print $1" "$2}' | sort -u >"$work/all.txt"
comm -13 "$work/normal.txt" "$work/all.txt" >"$work/build-only.txt"
timing=$(ls "$CARGO_TARGET_DIR"/cargo-timings/cargo-timing-*.html 2>/dev/null | head -n 1 || ls cargo-timings/cargo-timing-*.html | head -n 1)
python3 - "$timing" "$work/build-only.txt" <<'EOF'
import json, re, sys
html = open(sys.argv[1]).read()
units = json.loads(re.search(r"const UNIT_DATA = (\[.*?\]);", html, re.S).group(1))
build_only = {tuple(l.split()) for l in open(sys.argv[2]) if l.strip()}
buckets = {"generator crates (build-dependencies only)": 0.0,
           "clerk-invitations: compile build.rs": 0.0,
           "clerk-invitations: run build.rs (generate the client)": 0.0,
           "clerk-invitations: compile the crate (facade + generated code)": 0.0,
           "everything else (reqwest, hyper, rustls, serde, tokio, ...)": 0.0}
for u in units:
    name, version, d = u["name"], "v" + u["version"], u["duration"]
    if name == "clerk-invitations":
        if u["mode"] == "run-custom-build":
            buckets["clerk-invitations: run build.rs (generate the client)"] += d
        elif "build-script" in u["target"]:
            buckets["clerk-invitations: compile build.rs"] += d
        else:
            buckets["clerk-invitations: compile the crate (facade + generated code)"] += d
    elif (name, version) in build_only:
        buckets["generator crates (build-dependencies only)"] += d
    else:
        buckets["everything else (reqwest, hyper, rustls, serde, tokio, ...)"] += d
total = sum(buckets.values())
print(f"unit time summed over both cores: {total:.1f} s")
for k, v in buckets.items():
    print(f"  {k}: {v:.1f} s ({100 * v / total:.0f}%)")
print(f"  build-only crates: {len(build_only)}")
EOF

rebuild_after "$crate_dir/src/lib.rs" "the crate's src/lib.rs" "$work/touch-src.log"
rebuild_after "$crate_dir/openapi/clerk-bapi-invitations.yaml" "the vendored YAML" "$work/touch-yaml.log"
