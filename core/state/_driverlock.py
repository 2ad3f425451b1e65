"""The per-root driver lock: one daemon manages one root, never two.

libvirt's network driver holds ``/run/libvirt/network/driver.pid`` locked while it runs;
corral does the same with ``ROOT/run/corral/driver.pid``. The lock is a pid-file lock, so
it dies with the daemon however the daemon dies, and a refused second daemon learns the
pid of the first.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import TracebackType

from corral.core._errors import CorralError, ErrorCode
from corral.core.state._fail import state_error, system_error
from corral.core.state._pidfile import StrPath, acquire_pidfile, release_pidfile

__all__ = ["DRIVER_LOCK_PATH", "DriverLock"]

# Relative to the root: the runtime directory, like libvirt's /run/libvirt/network.
DRIVER_LOCK_PATH = Path("run/corral/driver.pid")


class DriverLock:
    """Hold ``ROOT/run/corral/driver.pid`` locked for as long as this object says so.

    Use it as a context manager around the daemon's life::

        with DriverLock(root):
            serve()

    Args:
        root: The root the daemon manages (``/`` in system mode).
    """

    def __init__(self, root: StrPath) -> None:
        self.root = Path(root)
        self.path = self.root / DRIVER_LOCK_PATH
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        """Whether this object currently holds the lock."""
        return self._fd is not None

    def acquire(self) -> None:
        """Create the runtime directory if needed and take the lock.

        Raises:
            CorralError: ``RESOURCE_BUSY`` naming the other daemon's pid when the root is
                already managed; ``OPERATION_INVALID`` when this object holds it already;
                ``SYSTEM_ERROR`` when the directory or file cannot be created.
        """
        if self._fd is not None:
            raise state_error(
                f"The driver lock '{self.path}' is already held by this object.",
                ErrorCode.OPERATION_INVALID,
                path=str(self.path),
            )
        try:
            self.path.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
        except OSError as exc:
            raise system_error("create the runtime directory", self.path.parent, exc) from exc
        try:
            self._fd = acquire_pidfile(self.path)
        except CorralError as exc:
            if exc.code != ErrorCode.RESOURCE_BUSY:
                raise
            raise self._busy(exc.detail["pid"]) from exc

    def _busy(self, holder: int) -> CorralError:
        return state_error(
            f"Root '{self.root}' is already managed by another corral daemon (pid {holder}): "
            f"it holds the driver lock '{self.path}'.",
            ErrorCode.RESOURCE_BUSY,
            root=str(self.root),
            path=str(self.path),
            pid=holder,
        )

    def release(self) -> None:
        """Remove the lock file and let go of the lock; a no-op when not held.

        Raises:
            CorralError: ``SYSTEM_ERROR`` when the file cannot be removed (the lock is
                released all the same).
        """
        fd, self._fd = self._fd, None
        if fd is not None:
            release_pidfile(self.path, fd)

    def __enter__(self) -> DriverLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()

    def __repr__(self) -> str:
        state = "held" if self.held else "free"
        return f"DriverLock({os.fspath(self.root)!r}, {state})"
