#!/usr/bin/env python3
"""Tests an application against the clerk-emulator binary from Python, with the standard
library only: start the emulator with a seed file, invite through Clerk's own routes, accept as
the invitee would through the admin API, and check what the service then shows. The emulator
also posts Clerk's signed webhook events to the application's own endpoint (`--webhook`), which
verifies them as it would Clerk's.

Run: python3 examples/emulator/test_emulator.py path/to/clerk-emulator
(the binary: `cargo build --features emulator --bin clerk-emulator`, then target/debug/clerk-emulator,
or `cargo install clerk-invitations --features emulator`, then `clerk-emulator`).
"""
import base64
import hashlib
import hmac
import http.server
import json
import os
import subprocess
import sys
import threading
import time
import unittest
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
KEY = "sk_test_python_example"
WEBHOOK_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def verify(headers, body):
    """Standard Webhooks verification, as an application would do it: HMAC-SHA256 of
    `id.timestamp.body` under the base64 secret, any of the `v1,` signatures, five minutes."""
    msg_id, stamp = headers["svix-id"], headers["svix-timestamp"]
    if abs(time.time() - int(stamp)) > 300:
        return False
    key = base64.b64decode(WEBHOOK_SECRET[len("whsec_"):])
    signed = hmac.new(key, f"{msg_id}.{stamp}.".encode() + body, hashlib.sha256).digest()
    expected = base64.b64encode(signed).decode()
    given = [s.split(",", 1)[1] for s in headers["svix-signature"].split() if s.startswith("v1,")]
    return any(hmac.compare_digest(expected, g) for g in given)


class Receiver(http.server.BaseHTTPRequestHandler):
    """The application's webhook endpoint: keeps each verified event."""
    events = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if not verify(self.headers, body):
            self.send_response(401)
        else:
            Receiver.events.append(json.loads(body))
            self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


class EmulatorTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        binary = sys.argv[1] if len(sys.argv) > 1 else "clerk-emulator"
        env = dict(os.environ, CLERK_SECRET_KEY=KEY)
        cls.receiver = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
        threading.Thread(target=cls.receiver.serve_forever, daemon=True).start()
        hook = "http://127.0.0.1:%d/webhooks/clerk" % cls.receiver.server_address[1]
        cls.proc = subprocess.Popen(
            [binary, "--seed", os.path.join(HERE, "seed.yaml"), "--no-rate-limits",
             "--webhook", hook, "--webhook-secret", WEBHOOK_SECRET],
            stdout=subprocess.PIPE,
            env=env,
            text=True,
        )
        first = cls.proc.stdout.readline().strip()  # "clerk-emulator listening on http://…/v1"
        cls.api = first.rsplit(" ", 1)[-1]
        cls.admin = cls.api[: -len("/v1")] + "/__emulator"

    @classmethod
    def tearDownClass(cls):
        cls.proc.terminate()
        cls.proc.wait(timeout=10)
        cls.receiver.shutdown()

    def call(self, method, url, body=None, key=KEY):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(url, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        if key:
            req.add_header("Authorization", "Bearer " + key)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    def test_invite_accept_and_check(self):
        # The seed holds an organization with a pending invitation.
        status, page = self.call("GET", self.api + "/organizations/org_acme/invitations?status=pending")
        self.assertEqual(status, 200)
        self.assertEqual([i["email_address"] for i in page["data"]], ["new.hire@example.test"])

        # Invite through Clerk's own route.
        status, inv = self.call(
            "POST",
            self.api + "/organizations/org_acme/invitations",
            {"email_address": "python@example.test", "role": "org:member", "inviter_user_id": "user_admin"},
        )
        self.assertEqual(status, 200, inv)
        self.assertEqual(inv["status"], "pending")

        # The invitee accepts (admin API: no key needed).
        status, accepted = self.call(
            "POST", self.admin + "/organization_invitations/" + inv["id"] + "/accept", key=None
        )
        self.assertEqual(status, 200, accepted)

        # The service now shows it accepted, and the invitee as a member: a second invitation
        # is refused as Clerk refuses it.
        status, page = self.call("GET", self.api + "/organizations/org_acme/invitations?status=accepted")
        self.assertEqual([i["id"] for i in page["data"]], [inv["id"]])
        status, err = self.call(
            "POST",
            self.api + "/organizations/org_acme/invitations",
            {"email_address": "python@example.test", "role": "org:member"},
        )
        self.assertEqual(status, 400)
        self.assertEqual(err["errors"][0]["code"], "already_a_member_in_organization")

    def test_application_invitations_and_the_clock(self):
        status, inv = self.call("POST", self.api + "/invitations", {"email_address": "clock@example.test"})
        self.assertEqual(status, 200, inv)
        # 31 days later the invitation has expired.
        status, _ = self.call("POST", self.admin + "/clock", {"advance_ms": 31 * 86400000}, key=None)
        self.assertEqual(status, 200)
        status, page = self.call("GET", self.api + "/invitations?status=expired&paginated=true")
        self.assertIn(inv["id"], [i["id"] for i in page["data"]])
        self.call("POST", self.admin + "/clock", {"offset_ms": 0}, key=None)
        # A wrong key is refused with Clerk's error.
        status, err = self.call("GET", self.api + "/invitations", key="sk_test_wrong")
        self.assertEqual(status, 401)
        self.assertEqual(err["errors"][0]["code"], "clerk_key_invalid")

    def test_webhooks_reach_the_application_signed_and_in_order(self):
        status, inv = self.call(
            "POST",
            self.api + "/organizations/org_acme/invitations",
            {"email_address": "hooked@example.test", "role": "org:member"},
        )
        self.assertEqual(status, 200, inv)
        self.call("POST", self.admin + "/organization_invitations/" + inv["id"] + "/accept", key=None)
        mine = []
        for _ in range(500):
            mine = [e for e in Receiver.events if e["data"]["id"] == inv["id"]]
            if len(mine) == 2:
                break
            time.sleep(0.01)
        self.assertEqual([e["type"] for e in mine],
                         ["organizationInvitation.created", "organizationInvitation.accepted"])
        self.assertEqual(mine[1]["data"]["status"], "accepted")
        self.assertTrue(mine[1]["data"]["user_id"].startswith("user_"))
        status, log = self.call("GET", self.admin + "/webhooks/deliveries", key=None)
        self.assertTrue(all(d["delivered"] for d in log["deliveries"]))


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]], verbosity=2)
