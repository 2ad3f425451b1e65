"""QEMU's own QMP client library drives corrald: connect, negotiate, execute, events."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest
from qemu.qmp import ExecuteError, QMPClient

from .conftest import StartCorrald


async def session(path: str) -> None:
    qmp = QMPClient("corral-test")
    await qmp.connect(path)  # waits for the greeting and negotiates
    try:
        assert qmp.greeting is not None
        assert "corral" in qmp.greeting.QMP.version
        version = await qmp.execute("query-version")
        assert isinstance(version, dict) and "corral" in version
        names = {c["name"] for c in await qmp.execute("query-commands")}  # type: ignore[union-attr]
        assert "echo-set" in names
        assert await qmp.execute("echo-set", {"key": "q", "value": 4}) == {}
        assert await qmp.execute("echo-get", {"key": "q"}) == 4
        with pytest.raises(ExecuteError) as caught:
            await qmp.execute("echo-get", {"key": "missing"})
        assert caught.value.error_class == "GenericError"
        with qmp.listener() as listener:
            await qmp.execute("echo-emit", {"name": "default", "event": "stopped"})
            event = await asyncio.wait_for(listener.get(), 10)
        assert event["event"] == "NETWORK_LIFECYCLE"
        assert event["data"]["event"] == "stopped"
    finally:
        await qmp.disconnect()


def test_qemu_qmp_drives_corrald(corrald: StartCorrald) -> None:
    daemon = corrald()
    asyncio.run(session(str(daemon.socket_path())))


def test_qemu_qmp_shell_drives_corrald(corrald: StartCorrald) -> None:
    """QEMU's qmp-shell (shipped with qemu.qmp) connects, shows its banner and runs commands."""
    shell = Path(sys.executable).with_name("qmp-shell")
    assert shell.exists(), "qemu.qmp installs qmp-shell next to the interpreter"
    daemon = corrald()
    for kind in ("rw", "ro"):
        done = subprocess.run([str(shell), str(daemon.socket_path(kind))],
                              input="query-version\necho-get key=nothing\n", text=True,
                              capture_output=True, timeout=60, check=False)
        assert "Traceback" not in done.stdout + done.stderr, done.stdout + done.stderr
        assert "Connected to QEMU 0." in done.stdout
        assert '"corral"' in done.stdout or "'corral'" in done.stdout  # query-version's return
        assert "GenericError" in done.stdout  # echo-get of a missing key: an error, shown
