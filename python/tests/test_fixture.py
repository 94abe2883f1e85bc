"""The `clerk_emulator` fixture, as a Python team uses it: Clerk's own Python SDK when it is
installed, else the standard library, against the emulator the package installs."""

import json
import urllib.error
import urllib.request

import pytest


def call(emu, method, path, body=None):
    """A Clerk Backend API call with the standard library; returns (status, JSON)."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(emu.base_url + path, data=data, method=method)
    req.add_header("Authorization", f"Bearer {emu.secret_key}")
    req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def test_each_test_starts_from_the_seed(clerk_emulator):
    status, page = call(clerk_emulator, "GET", "/invitations?paginated=true")
    assert status == 200
    assert [i["email_address"] for i in page["data"]] == ["seeded@fixture.test"]
    status, inv = call(clerk_emulator, "POST", "/invitations", {"email_address": "ada@fixture.test"})
    assert status == 200 and inv["status"] == "pending"


def test_the_previous_tests_invitation_is_gone(clerk_emulator):
    status, page = call(clerk_emulator, "GET", "/invitations?paginated=true")
    assert [i["email_address"] for i in page["data"]] == ["seeded@fixture.test"]


def test_admin_calls_faults_clock_and_accept(clerk_emulator):
    status, inv = call(clerk_emulator, "POST", "/invitations", {"email_address": "grace@fixture.test"})
    assert status == 200
    user = clerk_emulator.accept(inv["id"])
    assert user.startswith("user_")
    clerk_emulator.fault(status=503, method="GET", path="/invitations", times=1)
    assert call(clerk_emulator, "GET", "/invitations")[0] == 503
    assert call(clerk_emulator, "GET", "/invitations")[0] == 200
    before = clerk_emulator.admin("GET", "clock")["now_ms"]
    after = clerk_emulator.advance_clock(31 * 24 * 3600 * 1000)["now_ms"]
    assert after - before >= 31 * 24 * 3600 * 1000
    assert any(r["path"].endswith("/invitations") for r in clerk_emulator.requests())


def test_clerks_python_sdk_against_the_fixture(clerk_emulator):
    sdk = pytest.importorskip("clerk_backend_api")
    with sdk.Clerk(bearer_auth=clerk_emulator.secret_key, server_url=clerk_emulator.base_url) as clerk:
        created = clerk.invitations.create(request={"email_address": "sdk@fixture.test"})
        assert created.email_address == "sdk@fixture.test"
        revoked = clerk.invitations.revoke(invitation_id=created.id)
        assert getattr(revoked.status, "value", revoked.status) == "revoked"
    assert [i["status"] for i in clerk_emulator.state()["invitations"] if i["email_address"] == "sdk@fixture.test"] == ["revoked"]
