"""A started child: waiting (on a pidfd, with deadlines), killing with escalation, reaping.

The engine reaps its children itself with ``waitpid`` so it keeps the raw wait status,
and tells the ``Popen`` object afterwards (so Popen never warns about a child it thinks
still runs). Waiting with a timeout polls a pidfd instead of sleeping. The parent's side
of the handshake works on the child's pipes too: read its ready byte, then let it exec.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from corral.core.command._io import Pump

__all__ = ["Child", "StatusLost"]


class StatusLost(Exception):
    """``waitpid`` found no such child: someone else reaped it and its status is gone.

    That happens when SIGCHLD is set to SIG_IGN (the kernel reaps at once) or another
    thread calls ``waitpid(-1)``. Nothing is left to know, so it is never a status.
    """


class Child:
    """One spawned process and the descriptors the engine kept for it.

    Attributes:
        popen: CPython's handle (used for spawning only; reaping is ours).
        pid: The child's pid.
        group: True when the child leads its own process group (signals go to the group).
        started: ``time.monotonic()`` at spawn.
        deadline: When a set_timeout expires, or None.
        raw_status: The wait status once reaped.
        owned: Pipe ends the engine created and keeps (closed by :meth:`close_fds`).
        pump: The buffer I/O state, when run() moves buffers for this child.
        report: Why corral's exec helper failed (read once the child is reaped), or None.
        lost: True once waitpid said ECHILD: reaped elsewhere, its status unknown.
    """

    def __init__(self, popen: subprocess.Popen[bytes], group: bool, started: float) -> None:
        self.popen = popen
        self.pid = popen.pid
        self.group = group
        self.started = started
        self.deadline: float | None = None
        self.raw_status: int | None = None
        self.ended: float | None = None
        self.owned: dict[str, int] = {}
        self.pump: Pump | None = None
        self.report: str | None = None
        self.lost = False
        self._pidfd: int | None = None

    @property
    def reaped(self) -> bool:
        """True once the child is gone: its status collected, or lost to another waiter."""
        return self.raw_status is not None or self.lost

    @property
    def duration(self) -> float:
        """Seconds from spawn to reaping (or to now, while it runs)."""
        return (self.ended or time.monotonic()) - self.started

    def _collected(self, raw_status: int) -> int:
        self.raw_status = raw_status
        self.ended = time.monotonic()
        self.popen.returncode = os.waitstatus_to_exitcode(raw_status)
        self._close_pidfd()
        self._read_report()
        return raw_status

    def _lose(self) -> StatusLost:
        self.lost = True
        self.ended = time.monotonic()
        # Only so Popen does not warn about (or later poll) a child it thinks still runs;
        # CPython records 0 in this case too, and the engine never reads it.
        self.popen.returncode = 0
        self._close_pidfd()
        self._read_report()
        return StatusLost(self.pid)

    def _read_report(self) -> None:
        # Every writer is gone now (the helper exited, its daemon exec'd or died, and the
        # pipe is close-on-exec), so one non-blocking read gets the whole sentence or EOF.
        fd = self.owned.pop("report", None)
        if fd is None:
            return
        try:
            os.set_blocking(fd, False)
            data = os.read(fd, 4096)
        except OSError:
            data = b""
        finally:
            os.close(fd)
        self.report = data.decode("utf-8", "replace").strip() or None

    def reap(self) -> int:
        """Wait for the child to exit and return its wait status.

        Raises:
            StatusLost: Someone else reaped it (now or before).
        """
        while self.raw_status is None:
            self._wait(0)
        return self.raw_status

    def try_reap(self) -> bool:
        """Reap the child if it has exited; return True once it is reaped.

        Raises:
            StatusLost: Someone else reaped it (now or before).
        """
        if self.raw_status is None:
            self._wait(os.WNOHANG)
        return self.raw_status is not None

    def _wait(self, options: int) -> None:
        if self.lost:
            raise StatusLost(self.pid)
        try:
            pid, raw_status = os.waitpid(self.pid, options)
        except ChildProcessError:
            raise self._lose() from None
        except InterruptedError:
            return  # EINTR (PEP 475 retries it already): the caller asks again
        if pid == self.pid:
            self._collected(raw_status)

    def wait_exit(self, deadline: float | None) -> bool:
        """Block until the child exits or ``deadline`` passes; True if it exited (unreaped)."""
        if deadline is None:
            self.reap()
            return True
        if self.try_reap():
            return True
        pidfd = self._open_pidfd()
        if pidfd is None:
            return self._sleep_until_exit(deadline)
        poller = select.poll()
        poller.register(pidfd, select.POLLIN)
        remaining = deadline - time.monotonic()
        return bool(poller.poll(max(0.0, remaining) * 1000)) or self.try_reap()

    def _sleep_until_exit(self, deadline: float) -> bool:
        # Only without pidfd support (Linux < 5.3): a short sleep loop.
        while not self.try_reap():
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.005)
        return True

    def _open_pidfd(self) -> int | None:
        if self._pidfd is None:
            with contextlib.suppress(OSError, AttributeError):
                self._pidfd = os.pidfd_open(self.pid)
        return self._pidfd

    def _close_pidfd(self) -> None:
        if self._pidfd is not None:
            os.close(self._pidfd)
            self._pidfd = None

    def send(self, number: int) -> None:
        """Send signal ``number`` to the child (its whole group if it leads one)."""
        if self.lost or (self.raw_status is not None and not self.group):
            return  # reaped: the pid may belong to someone else now
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if self.group:
                os.killpg(self.pid, number)
            else:
                os.kill(self.pid, number)

    def terminate(self, grace: float) -> int:
        """SIGTERM, up to ``grace`` seconds for it to exit, SIGKILL; reap; return the status.

        For a group leader the SIGKILL goes to the group even when the leader obeyed the
        SIGTERM, so no grandchild that ignores SIGTERM survives.

        Raises:
            StatusLost: Someone else reaped it (nothing is signalled then).
        """
        if self.raw_status is not None:
            return self.raw_status  # reaped before: its pid (and group) may be reused
        if self.lost:
            raise StatusLost(self.pid)
        if not self.try_reap():
            self.send(signal.SIGTERM)
            self.wait_exit(time.monotonic() + grace)
        self.send(signal.SIGKILL)
        return self.reap()

    def handshake_wait(self) -> bool:
        """Read the child's ready byte (the ``ready`` pipe); True if it is ready to exec."""
        fd = self.owned.pop("ready")
        try:
            return os.read(fd, 1) == b"1"
        finally:
            os.close(fd)

    def handshake_notify(self) -> None:
        """Let the child exec (write on the ``go`` pipe).

        Raises:
            OSError: The child is gone.
        """
        fd = self.owned.pop("go")
        try:
            os.write(fd, b"1")
        finally:
            os.close(fd)

    def refuse_handshake(self) -> None:
        """Close unread handshake pipes: the waiting child then exits 125 without exec."""
        for name in ("ready", "go"):
            fd = self.owned.pop(name, None)
            if fd is not None:
                os.close(fd)

    def close_fds(self) -> None:
        """Close every pipe end the engine kept for this child."""
        if self.pump is not None:
            self.pump.close()
        for fd in self.owned.values():
            with contextlib.suppress(OSError):
                os.close(fd)
        self.owned.clear()
        self._close_pidfd()
