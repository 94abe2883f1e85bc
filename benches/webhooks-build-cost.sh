#!/usr/bin/env bash
# What the `webhooks` feature (on by default) costs a user's build: the one-call program of
# dependent-build-cost.sh, built from clean in the dev profile with the default features and
# with `default-features = false, features = ["rustls"]`, in turn, PAIRS times (default 3).
# Prints each build's wall time and crate count, the crate's own units (running build.rs,
# compiling the library) from `cargo build --timings`, and the medians.
# Usage: bash benches/webhooks-build-cost.sh [PAIRS]   (temporary directories)
set -euo pipefail
cd "$(dirname "$0")/.."
crate_dir=$(pwd)
pairs=${1:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# shellcheck source=benches/lib.sh
. "$crate_dir/benches/lib.sh"

make_app() { # name, dependency line
    mkdir -p "$work/$1/src"
    cat >"$work/$1/Cargo.toml" <<TOML
[package]
name = "invite-app"
version = "0.1.0"
edition = "2024"

[dependencies]
$2
tokio = { version = "1", features = ["macros", "rt-multi-thread"] }

[workspace]
TOML
    cat >"$work/$1/src/main.rs" <<'RS'
#[tokio::main]
async fn main() -> clerk_invitations::Result<()> {
    let clerk = clerk_invitations::Clerk::from_env()?;
    let page = clerk.invitations().list().limit(10).await?;
    println!("{} invitations", page.data.len());
    Ok(())
}
RS
    (cd "$work/$1" && cargo generate-lockfile -q && cargo fetch -q)
}
make_app with "clerk-invitations = { path = \"$crate_dir\" }"
make_app without "clerk-invitations = { path = \"$crate_dir\", default-features = false, features = [\"rustls\"] }"

build() { # name -> prints "wall crates build_script_run lib_compile"
    local dir="$work/$1" target="$work/target-$1"
    rm -rf "$target"
    local t0 t1
    t0=$(now)
    (cd "$dir" && CARGO_TARGET_DIR="$target" cargo build --timings 2>"$work/$1.log")
    t1=$(now)
    local crates
    crates=$(grep -c '^ *Compiling ' "$work/$1.log" || true)
    python3 - "$(ls "$dir"/target/cargo-timings/cargo-timing-*.html "$target"/cargo-timings/cargo-timing-*.html 2>/dev/null | head -n 1)" "$(secs "$t0" "$t1")" "$crates" <<'PY'
import json, re, sys
html = open(sys.argv[1]).read()
units = json.loads(re.search(r"const UNIT_DATA = (\[.*?\]);", html, re.S).group(1))
run = sum(u["duration"] for u in units if u["name"] == "clerk-invitations" and u.get("mode") == "run-custom-build")
lib = sum(u["duration"] for u in units if u["name"] == "clerk-invitations" and u.get("mode") != "run-custom-build" and "build" not in u.get("target", ""))
print(f"{sys.argv[2]} {sys.argv[3]} {run:.2f} {lib:.2f}")
PY
    rm -rf "$dir/target/cargo-timings" 2>/dev/null || true
}

declare -a with_w without_w
for i in $(seq "$pairs"); do
    read -r w c r l < <(build with)
    echo "with webhooks (default):  $w s wall, $c crates, build.rs run $r s, crate compile $l s"
    with_w+=("$w")
    read -r w c r l < <(build without)
    echo "without webhooks:         $w s wall, $c crates, build.rs run $r s, crate compile $l s"
    without_w+=("$w")
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
mw=$(median "${with_w[@]}")
mo=$(median "${without_w[@]}")
echo "median wall: with $mw s, without $mo s, ratio $(python3 -c "print(f'{$mw/$mo:.3f}')")"
