"""QEMU's own QMP client library drives corrald: connect, negotiate, execute, events."""

from __future__ import annotations

import asyncio

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
