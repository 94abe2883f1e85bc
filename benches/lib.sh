# Helpers shared by the build-cost scripts (sourced, not run).

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# rebuild_after FILE LABEL LOG CARGO_ARGS...: touches FILE, rebuilds with `cargo build -v
# CARGO_ARGS...` (log in LOG), and prints the time and whether the crate's build.rs ran again.
rebuild_after() {
  local file=$1 label=$2 log=$3
  shift 3
  touch "$file"
  local t0 t1 reran=no
  t0=$(now)
  cargo build -v "$@" 2>"$log"
  t1=$(now)
  if grep -E 'Running .*clerk-invitations-[0-9a-f]+/build-script-build' "$log" >/dev/null; then
    reran=yes
  fi
  echo "rebuild after touching $label: $(secs "$t0" "$t1") s, build.rs ran again: $reran"
}
