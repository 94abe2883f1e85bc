#!/usr/bin/env python3
"""Counts the public types of the crate whose own documentation has no example, from the
rendered docs (`cargo doc`): the stand-in for rustdoc's `missing_doc_code_examples`, which needs
a nightly toolchain. Every struct and enum page outside `raw` is checked; the builders, handles
and models must all have one (exit 1 otherwise)."""
import pathlib, re, sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "target/doc/clerk_invitations")
# `types/error/` holds the generator's conversion error, which no facade call returns.
pages = sorted(p for p in root.rglob("*.html")
               if re.match(r"(struct|enum)\.", p.name) and "/raw/" not in str(p)
               and "/types/error/" not in str(p))
missing, total = [], 0
for p in pages:
    html = p.read_text(errors="replace")
    if 'http-equiv="refresh"' in html:
        continue  # a redirect to where the type is documented
    # A re-export's page lives where the type is reachable; count each name once.
    m = re.search(r'<details class="toggle top-doc"[^>]*>(.*?)</details>', html, re.S)
    top = m.group(1) if m else ""
    total += 1
    if "example-wrap" not in top:
        missing.append(str(p.relative_to(root)))
print(f"{total - len(missing)} of {total} public types have an example in their own documentation")
for m in missing:
    print(f"  no example: {m}")
sys.exit(1 if missing else 0)
