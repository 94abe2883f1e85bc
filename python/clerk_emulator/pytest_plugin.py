"""The pytest fixture: `clerk_emulator`, a running emulator with an empty (or seeded) state
for each test. Registered through the `pytest11` entry point, so installing the package is
enough.

    def test_invite(clerk_emulator):
        client = Clerk(bearer_auth=clerk_emulator.secret_key, server_url=clerk_emulator.base_url)
        ...

Options (pytest.ini or the command line): `clerk_emulator_seed` (a seed file), and
`clerk_emulator_args` (more arguments for the binary, such as `--no-rate-limits`).
"""

from __future__ import annotations

import os
import shlex

import pytest

from . import Emulator


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("clerk_emulator_seed", "seed file the emulator starts with", default="")
    parser.addini("clerk_emulator_args", "more arguments for clerk-emulator", default="")


@pytest.fixture(scope="session")
def clerk_emulator_session(pytestconfig: pytest.Config):
    """One emulator for the whole session, stopped at its end."""
    seed = pytestconfig.getini("clerk_emulator_seed") or None
    if seed and not os.path.isabs(seed):
        # Relative to the ini file's folder, wherever pytest runs from.
        seed = str(pytestconfig.rootpath / seed)
    args = shlex.split(pytestconfig.getini("clerk_emulator_args") or "")
    emulator = Emulator.start(seed=seed, args=args)
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
def clerk_emulator(clerk_emulator_session: Emulator) -> Emulator:
    """The session's emulator, reset (and seeded again) before the test."""
    clerk_emulator_session.reset()
    clerk_emulator_session.clear_faults()
    return clerk_emulator_session
