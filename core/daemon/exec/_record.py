"""One guest-exec child from spawn to expiry: its pidfd, its streams, its status.

The child is watched through a pidfd on the event loop (readable once it exits, zombie
or not, so the pid cannot be reused under us); the service then reaps it with the
engine's ``wait()``, which returns at once. ``exited`` turns true, as in qemu-ga, once the
child is reaped **and** its captured pipes reached EOF, but here an exited child's pipes
get :attr:`~ExecSettings.output_grace` seconds at most: a grandchild that inherited
stdout (a daemon the command started) cannot keep the record "running" for ever.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
from typing import Any

from corral.core.command import Command
from corral.core.daemon.exec._streams import Capture, Feeder

__all__ = ["ExecRecord"]


class ExecRecord:
    """The state of one exec.

    Attributes:
        pid: The child's pid (and its process group: the engine makes a run_async child
            a group leader).
        command: The engine's command that started it.
        out: The capture of stdout (merged: stdout and stderr), or None.
        err: The capture of stderr, or None.
        feeder: The input-data feed, or None.
        reaped: True once the child's status is collected.
        exitcode: Its exit code, when it exited.
        signal: The signal that killed it, when one did.
        finished: True once ``exited`` is true (reaped, pipes at EOF or given up on).
        ended: ``loop.time()`` when it finished (retention counts from here).
        timers: Pending loop callbacks (timeout, SIGKILL after a grace, output grace).
        done: Resolved when it finishes.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, pid: int, command: Command) -> None:
        self.pid = pid
        self.command = command
        self.out: Capture | None = None
        self.err: Capture | None = None
        self.feeder: Feeder | None = None
        self.pidfd: int | None = None
        self.reaped = False
        self.terminating = False
        self.exitcode: int | None = None
        self.signal: int | None = None
        self.finished = False
        self.ended = 0.0
        self.timers: dict[str, asyncio.Handle] = {}
        self.done: asyncio.Future[None] = loop.create_future()

    @property
    def captures(self) -> tuple[Capture, ...]:
        """The capture streams it has."""
        return tuple(capture for capture in (self.out, self.err) if capture is not None)

    @property
    def draining(self) -> bool:
        """True while a captured pipe is still open."""
        return any(capture.open for capture in self.captures)

    def signal_group(self, number: int) -> None:
        """Send ``number`` to the child's process group (grandchildren included)."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, number)

    def collect(self) -> None:
        """Reap the exited child through the engine and keep its exit code or signal."""
        result = self.command.wait(check=False)  # it has exited: this does not block
        self.exitcode, self.signal = result.status, result.signal
        self.reaped = True

    def status(self) -> dict[str, Any]:
        """Return qemu-ga's GuestExecStatus for this exec.

        Output is present only once exited and only when non-empty, each with its
        truncation flag (qemu-ga's rule); the flag is true when bytes were dropped.
        """
        if not self.finished:
            return {"exited": False}
        status: dict[str, Any] = {"exited": True}
        if self.exitcode is not None:
            status["exitcode"] = self.exitcode
        if self.signal is not None:
            status["signal"] = self.signal
        for name, capture in (("out", self.out), ("err", self.err)):
            if capture is not None and (capture.data or capture.truncated):
                status[f"{name}-data"] = base64.b64encode(capture.data).decode("ascii")
                status[f"{name}-truncated"] = capture.truncated
        return status

    def event(self) -> dict[str, Any]:
        """The data of its GUEST_EXEC_EXITED event: ``{pid, exitcode}`` or ``{pid, signal}``."""
        data: dict[str, Any] = {"pid": self.pid}
        if self.exitcode is not None:
            data["exitcode"] = self.exitcode
        if self.signal is not None:
            data["signal"] = self.signal
        return data

    def cancel(self, name: str) -> None:
        """Cancel the pending timer ``name``, if any."""
        handle = self.timers.pop(name, None)
        if handle is not None:
            handle.cancel()

    def release(self, loop: asyncio.AbstractEventLoop) -> None:
        """Close every descriptor and timer it still holds (idempotent)."""
        if self.pidfd is not None:
            loop.remove_reader(self.pidfd)
            os.close(self.pidfd)
            self.pidfd = None
        for capture in self.captures:
            capture.close()
        if self.feeder is not None:
            self.feeder.close()
        for name in list(self.timers):
            if name != "kill":  # the SIGKILL after a terminate still reaches the group
                self.cancel(name)

