"""The ``sshd`` fixture: a real sshd on loopback (``sshd.py``) for one test.

Real corrald processes (the ``corrald`` fixture of ``tests/daemon/conftest.py``) stand in
for the remote hosts, reached over ssh through this sshd.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.daemon.remote.sshd import SSHD, Sshd, start_sshd, stop_sshd


@pytest.fixture
def sshd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sshd]:
    """An sshd for this test; ``$CORRAL_SSH`` points ssh at the test's own config."""
    if not SSHD.exists():
        pytest.skip("no /usr/sbin/sshd (make system-deps installs openssh-server)")
    if os.geteuid() != 0:
        pytest.skip("sshd on loopback is started as root here (it needs /run/sshd)")
    server = start_sshd(tmp_path / "ssh")
    monkeypatch.setenv("CORRAL_SSH", f"ssh -F {server.ssh_config}")
    try:
        yield server
    finally:
        stop_sshd(server)
