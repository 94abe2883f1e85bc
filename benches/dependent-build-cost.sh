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

# ---------------------------------------------------------------------------------------------
# Peers: the same one-call program on clerk-rs 0.4.2, and on plain reqwest (the features the
# crate uses by default), each built from clean in turn with the crate's, ROUNDS times
# (default 1), and the crates the crate's program compiles beyond the plain one's.
# ---------------------------------------------------------------------------------------------
if [ "${PEERS:-1}" = "0" ]; then exit 0; fi
mkdir -p "$work/peer/src" "$work/plain/src"
cat >"$work/peer/Cargo.toml" <<'TOML'
[package]
name = "peer-app"
version = "0.1.0"
edition = "2021"

[dependencies]
clerk-rs = "=0.4.2"
tokio = { version = "1", features = ["macros", "rt-multi-thread"] }

[workspace]
TOML
cat >"$work/peer/src/main.rs" <<'RS'
use clerk_rs::{apis::invitations_api::Invitation, clerk::Clerk, ClerkConfiguration};

#[tokio::main]
async fn main() {
    let key = std::env::var("CLERK_SECRET_KEY").ok();
    let clerk = Clerk::new(ClerkConfiguration::new(None, None, key, None));
    match Invitation::list_invitations(&clerk, None).await {
        Ok(list) => println!("{} invitations", list.len()),
        Err(e) => eprintln!("{e:?}"),
    }
}
RS
cat >"$work/plain/Cargo.toml" <<'TOML'
[package]
name = "plain-app"
version = "0.1.0"
edition = "2021"

[dependencies]
reqwest = { version = "0.13", default-features = false, features = ["json", "query", "stream", "rustls-no-provider"] }
rustls = { version = "0.23", default-features = false, features = ["ring", "std", "tls12"] }
serde = { version = "1", features = ["derive"] }
serde_json = "1"
tokio = { version = "1", features = ["macros", "rt-multi-thread"] }

[workspace]
TOML
cat >"$work/plain/src/main.rs" <<'RS'
#[derive(serde::Deserialize)]
struct Page {
    data: Vec<serde_json::Value>,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let key = std::env::var("CLERK_SECRET_KEY")?;
    let page: Page = reqwest::Client::new()
        .get("https://api.clerk.com/v1/invitations")
        .query(&[("paginated", "true"), ("limit", "10")])
        .bearer_auth(key)
        .send()
        .await?
        .json()
        .await?;
    println!("{} invitations", page.data.len());
    Ok(())
}
RS
(cd "$work/peer" && cargo generate-lockfile -q && cargo fetch -q)
(cd "$work/plain" && cargo generate-lockfile -q && cargo fetch -q)

clean_build() { # dir -> seconds
  local dir=$1 t0 t1
  rm -rf "$dir/target"
  t0=$(now)
  (cd "$dir" && CARGO_TARGET_DIR="$dir/target" cargo build -q 2>/dev/null)
  t1=$(now)
  secs "$t0" "$t1"
}
ours=(); peer=(); plain=()
for _ in $(seq 1 "${ROUNDS:-1}"); do
  ours+=("$(clean_build "$work/app")")
  peer+=("$(clean_build "$work/peer")")
  plain+=("$(clean_build "$work/plain")")
done
python3 - "${ours[*]}" "${peer[*]}" "${plain[*]}" <<'PY'
import statistics, sys
o, c, p = (list(map(float, a.split())) for a in sys.argv[1:4])
mo, mc, mp = (statistics.median(x) for x in (o, c, p))
print(f"clean builds, dev profile, median of {len(o)}: clerk-invitations {mo:.1f} s, clerk-rs 0.4.2 {mc:.1f} s, plain reqwest {mp:.1f} s")
print(f"ratios: clerk-invitations / clerk-rs {mo / mc:.2f}, clerk-invitations / plain {mo / mp:.2f}, clerk-rs / plain {mc / mp:.2f}")
PY

# The crates the crate's program compiles beyond the plain program's, each attributed.
tree() { (cd "$1" && cargo tree -e normal,build --prefix none --format '{p}' 2>/dev/null | awk '{print $1}' | sort -u); }
tree "$work/app" >"$work/ours-all.txt"
tree "$work/plain" >"$work/plain-all.txt"
awk '{print $1}' "$work/build-only.txt" | sort -u >"$work/generator.txt"
echo "crates beyond the plain reqwest program's tree:"
comm -23 "$work/ours-all.txt" "$work/plain-all.txt" | grep -v -x -e invite-app -e clerk-invitations | while read -r c; do
  if grep -qx "$c" "$work/generator.txt"; then
    echo "  $c: the generator (build.rs only)"
  else
    case "$c" in
      progenitor-client) why="the generated client's runtime (request hooks, errors)" ;;
      secrecy) why="the secret key, never in Debug or Display" ;;
      fastrand) why="retry jitter" ;;
      httpdate) why="Retry-After and the service's Date" ;;
      fnv) why="the journal's key fingerprint" ;;
      bytes|http|url|futures-core|futures-util|tracing|tracing-core) why="shared with reqwest's tree; used directly" ;;
      libc) why="the journal's lock (flock)" ;;
      *) why="UNJUSTIFIED: say why in BENCHMARKS.md, or remove it" ;;
    esac
    echo "  $c: $why"
  fi
done
