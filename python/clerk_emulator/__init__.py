"""Clerk's invitation endpoints, emulated locally: start the `clerk-emulator` binary this
package installs, and drive it through its admin API.

    from clerk_emulator import Emulator
    with Emulator.start(seed="seed.yaml") as emu:
        print(emu.base_url, emu.secret_key)   # point Clerk's SDK at these
        emu.fault(status=503, method="POST", path="/invitations")

Pure glue over the binary's HTTP API: the standard library only.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import urllib.error
import urllib.request
from typing import Any, Optional, Sequence

__all__ = ["Emulator", "binary"]

DEFAULT_KEY = "sk_test_emulator"


def binary() -> str:
    """The path of the `clerk-emulator` binary installed with this package."""
    scripts = sysconfig.get_path("scripts")
    name = "clerk-emulator.exe" if sys.platform == "win32" else "clerk-emulator"
    beside = os.path.join(scripts, name) if scripts else ""
    if beside and os.path.exists(beside):
        return beside
    found = shutil.which("clerk-emulator")
    if found:
        return found
    raise FileNotFoundError("clerk-emulator is not installed: pip install clerk-emulator")


class Emulator:
    """A running emulator: its base URL (`.../v1`), the key it accepts, and its admin calls."""

    def __init__(self, process: subprocess.Popen, base_url: str, secret_key: str,
                 admin_token: Optional[str], seed: Optional[str]):
        self.process = process
        self.base_url = base_url
        self.secret_key = secret_key
        self._admin = base_url[: -len("/v1")] + "/__emulator"
        self._token = admin_token
        self._seed = seed

    @classmethod
    def start(cls, seed: Optional[str] = None, args: Sequence[str] = (),
              secret_key: str = DEFAULT_KEY, admin_token: Optional[str] = None) -> "Emulator":
        """Starts the binary on a free port of 127.0.0.1, with a seed file if given."""
        argv = [binary(), "--port", "0", *args]
        if seed:
            argv += ["--seed", seed]
        env = dict(os.environ, CLERK_SECRET_KEY=secret_key)
        if admin_token:
            env["CLERK_EMULATOR_ADMIN_TOKEN"] = admin_token
        process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   env=env, text=True)
        line = process.stdout.readline() if process.stdout else ""
        if not line.startswith("clerk-emulator listening on "):
            process.kill()
            err = process.stderr.read() if process.stderr else ""
            raise RuntimeError(f"clerk-emulator did not start: {line}{err}".strip())
        seed_text = open(seed, encoding="utf-8").read() if seed else None
        return cls(process, line.split()[-1], secret_key, admin_token, seed_text)

    def stop(self) -> None:
        """Stops the emulator (SIGTERM, then a kill after 5 s)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> "Emulator":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def admin(self, method: str, path: str, body: Any = None,
              content_type: str = "application/json") -> Any:
        """Calls the admin API (`/__emulator/PATH`); returns the decoded JSON answer."""
        data = None
        if body is not None:
            data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        req = urllib.request.Request(f"{self._admin}/{path}", data=data, method=method)
        # Admin writes must say JSON (or YAML for a seed): a web page cannot send that.
        req.add_header("Content-Type", content_type)
        if self._token:
            req.add_header("Authorization", f"Bearer {self._token}")
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            detail = e.read().decode(errors="replace")
            raise RuntimeError(f"{method} /__emulator/{path}: {e.code} {detail}") from None

    def reset(self) -> None:
        """An empty state again, then the seed the emulator started with."""
        self.admin("POST", "reset")
        if self._seed:
            self.seed(self._seed)

    def seed(self, document: Any) -> None:
        """Adds a seed document: YAML text, or a dict."""
        if isinstance(document, str):
            self.admin("POST", "seed", document, content_type="application/yaml")
        else:
            self.admin("POST", "seed", document)

    def state(self) -> dict:
        return self.admin("GET", "state")

    def fault(self, **fault: Any) -> None:
        """Queues a fault: `kind` (status, respond, drop_before, drop_after, truncate, stall,
        delay), `status`, `times`, `method`, `path`, `headers`, `body`, `delay_ms`."""
        self.admin("POST", "faults", fault)

    def clear_faults(self) -> None:
        self.admin("DELETE", "faults")

    def advance_clock(self, ms: int) -> dict:
        return self.admin("POST", "clock", {"advance_ms": ms})

    def accept(self, invitation_id: str) -> str:
        """The invitee signs up; returns the new user's id."""
        return self.admin("POST", f"invitations/{invitation_id}/accept")["user_id"]

    def accept_organization_invitation(self, invitation_id: str) -> str:
        return self.admin("POST", f"organization_invitations/{invitation_id}/accept")["user_id"]

    def requests(self) -> list:
        return self.admin("GET", "requests")["requests"]

    def deliveries(self) -> list:
        return self.admin("GET", "webhooks/deliveries")["deliveries"]
