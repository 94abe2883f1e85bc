#!/usr/bin/env bash
# The promise to contributors, checked: each of eight YAML-only edits (a new optional query
# parameter, request-body property, response property, status value, template_slug value, a
# new operation with its facade mapping, a new property of the webhook events' invitation and
# a new webhook event) reaches the public API with no Rust edit.
#
# Copies the crate (tracked files, as they are in the work tree) to a scratch folder, appends
# the actions of overlay-additions.yaml and webhooks-additions.yaml to its overlays, adds probe.rs (a user's program that
# calls each edit through the facade) as a test, and runs the README's test command there.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

(cd "$root" && git ls-files -z | xargs -0 tar -cf - 2>/dev/null) | tar -xf - -C "$work"
cat "$here/overlay-additions.yaml" >> "$work/openapi/corrections.overlay.yaml"
cat "$here/webhooks-additions.yaml" >> "$work/openapi/webhooks.overlay.yaml"
cp "$here/probe.rs" "$work/tests/yaml_edits_probe.rs"
# The copy shares the crate's target folder so that the dependencies already built are reused;
# its own build replaces the crate's artifacts there, so the next build of the real crate
# recompiles the crate itself (CI runs this last).
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
cd "$work"
echo "== the edits (YAML only):"
git -C "$root" diff --no-index --stat -- "$root/openapi" "$work/openapi" || true
echo "== the public surface, refreshed as a contributor does: the edits show as a diff"
UPDATE_PUBLIC_API=1 cargo test --lib public_api -q >/dev/null
if git -C "$root" diff --no-index --exit-code -- "$root/openapi/public-api.txt" "$work/openapi/public-api.txt"; then
  echo "the edits did not change openapi/public-api.txt"; exit 1
fi
echo "== the README's test command, on the edited copy"
cargo test --workspace --features emulator,cli
echo "every YAML-only edit reached the facade"
