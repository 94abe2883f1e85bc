#!/usr/bin/env bash
# Breaking changes are declared, never accidental: compares openapi/public-api.txt with its
# version at the commit where Cargo.toml's version last changed. A removed or changed line
# (breaking for users) fails unless the version was bumped since and CHANGELOG.md's
# Unreleased section says what broke ("Changed" or "Removed"). Added lines never fail.
# Usage: bash .ci/surface-semver.sh [BASE_COMMIT]
set -euo pipefail
cd "$(dirname "$0")/.."
surface=openapi/public-api.txt
base=${1:-$(git log -n 1 --format=%H -G '^version = ' -- Cargo.toml)}
if [ -z "$base" ] || ! git cat-file -e "$base:$surface" 2>/dev/null; then
  echo "no $surface at the last version change (${base:-none}): nothing to compare"
  exit 0
fi
items() { grep -v '^#' | grep -v '^$' | LC_ALL=C sort -u; }
removed=$(LC_ALL=C comm -23 <(git show "$base:$surface" | items) <(items < "$surface"))
if [ -z "$removed" ]; then
  echo "the public surface only grew since $base: no breaking change"
  exit 0
fi
version_then=$(git show "$base:Cargo.toml" | grep -m1 '^version = ')
version_now=$(grep -m1 '^version = ' Cargo.toml)
echo "removed or changed since $base (breaking for users):"
echo "$removed" | sed 's/^/  - /'
if [ "$version_then" = "$version_now" ]; then
  echo "error: the version is still ${version_now#version = }: bump it (for 0.x, the minor) and say what broke in CHANGELOG.md"
  exit 1
fi
if ! awk '/^## Unreleased/{u=1;next} /^## /{u=0} u' CHANGELOG.md | grep -qE '^### (Changed|Removed)'; then
  echo "error: the version was bumped, but CHANGELOG.md's Unreleased section has no Changed or Removed part saying what broke"
  exit 1
fi
echo "declared: the version was bumped and CHANGELOG.md says what broke"
