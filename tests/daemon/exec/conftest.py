"""Drive an ExecService inside a fresh asyncio loop, with real children."""

from __future__ import annotations

import asyncio
import base64
import os
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from corral.core.daemon.exec import ExecService, ExecSettings

Events = list[tuple[str, dict[str, Any]]]
Test = Callable[[ExecService, Events], Awaitable[Any]]


def serve(test: Test, **settings: Any) -> Any:
    """Run ``test(service, events)`` on a started service, closing it afterwards."""

    async def main() -> Any:
        events: Events = []
        service = ExecService(ExecSettings(**settings), lambda name, data: events.append(
            (name, data)))
        await service.start()
        try:
            return await test(service, events)
        finally:
            await service.close()

    return asyncio.run(main())


async def finished(service: ExecService, pid: int, within: float = 20.0) -> dict[str, Any]:
    """Poll guest-exec-status until ``exited``; return the status."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        status = await service.guest_exec_status(pid=pid)
        if status["exited"]:
            return status
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"pid {pid} did not exit within {within} s: {status}")
        await asyncio.sleep(0.005)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    return base64.b64decode(text)


def children_of(pid: int) -> list[tuple[int, str]]:
    """(pid, state) of every process whose parent is ``pid`` (zombies included)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append((int(entry), fields[0]))
    return found


def state_of(pid: int) -> str | None:
    """The process state letter of ``pid`` (``Z`` for a zombie), or None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return None


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


class Kit:
    """The helpers, as one fixture (conftest modules are not importable by tests)."""

    serve = staticmethod(serve)
    finished = staticmethod(finished)
    b64 = staticmethod(b64)
    unb64 = staticmethod(unb64)
    children_of = staticmethod(children_of)
    open_fds = staticmethod(open_fds)
    state_of = staticmethod(state_of)


@pytest.fixture
def kit() -> Kit:
    return Kit()
