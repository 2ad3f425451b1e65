"""Fixtures for the state tests: real child processes that hold or probe locks.

POSIX locks belong to a process, so every conflict is tested against another process.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

# A child that takes the pid-file lock (or a driver lock), says so, and holds it until its
# stdin closes.
_HOLD = """
import sys
from corral.core.state import DriverLock, acquire_pidfile
if sys.argv[1] == "driver":
    DriverLock(sys.argv[2]).acquire()
else:
    acquire_pidfile(sys.argv[2])
print("ready", flush=True)
sys.stdin.read()
"""

# A child that runs one probe and reports the outcome (or the CorralError) as JSON.
_PROBE = """
import json, sys
from corral.core import CorralError
from corral.core import state
kind, path = sys.argv[1], sys.argv[2]
try:
    if kind == "driver":
        state.DriverLock(path).acquire()
        result = {"ok": True}
    elif kind == "acquire":
        result = {"ok": True, "fd": state.acquire_pidfile(path)}
    else:
        result = {"ok": True, "locked_by": state.pidfile_is_locked(path)}
except CorralError as exc:
    result = {"ok": False, "code": exc.code.name, "message": str(exc), "detail": exc.detail}
print(json.dumps(result))
"""


class Holder:
    """A child process holding a lock until :meth:`stop`."""

    def __init__(self, kind: str, path: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", _HOLD, kind, str(path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert line == "ready\n", f"the lock holder failed to start: {line!r}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        """Let the child exit normally (which drops its lock) and reap it."""
        assert self.process.stdin is not None
        self.process.stdin.close()
        assert self.process.wait(timeout=10) == 0
        assert self.process.stdout is not None
        self.process.stdout.close()

    def kill(self) -> None:
        """Kill the child with SIGKILL, as a crash would, and reap it."""
        self.process.kill()
        self.process.wait(timeout=10)
        for stream in (self.process.stdin, self.process.stdout):
            assert stream is not None
            stream.close()


@pytest.fixture
def hold() -> Iterator[Callable[[str, Path], Holder]]:
    """Start lock-holding children; any still running at the end are killed."""
    started: list[Holder] = []

    def start(kind: str, path: Path) -> Holder:
        holder = Holder(kind, path)
        started.append(holder)
        return holder

    yield start
    for holder in started:
        if holder.process.returncode is None:
            holder.kill()


@pytest.fixture
def probe() -> Callable[[str, Path], dict[str, Any]]:
    """Run one lock probe (``driver``, ``acquire`` or ``locked``) in a fresh process."""

    def run(kind: str, path: Path) -> dict[str, Any]:
        done = subprocess.run(
            [sys.executable, "-c", _PROBE, kind, str(path)],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        result: dict[str, Any] = json.loads(done.stdout)
        return result

    return run
