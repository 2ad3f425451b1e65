"""The seam through which plugins watch and steer every spawn.

The engine knows nothing of pluggy: it asks the *spawn monitor* installed for the
current context (thread / asyncio task) before and around each spawn. The registry
installs a monitor that forwards to the plugin manager's hookspecs; tests may install
their own. With no monitor installed, commands run unobserved.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
from collections.abc import Callable, Iterator
from typing import Protocol, TypeVar

__all__ = ["SpawnMonitor", "SpawnRecord", "current_spawn_monitor", "monitor_spawns"]


@dataclasses.dataclass
class SpawnRecord:
    """What a monitor sees of one spawn; never the environment's values.

    Attributes:
        argv: The full argument vector, binary first, as it will be executed
            (before any corral exec wrapper such as ``prlimit``/``setpriv``).
        env_names: Sorted names of the child's environment, or None when it
            inherits the parent's environment unchanged.
        cwd: The child's working directory, or None for the parent's.
        mode: ``"run"`` (synchronous), ``"async"`` (run_async) or ``"daemon"``.
        dry_run: True when a :func:`corral.core.dry_run` context fakes the spawn.
        pid: The child's pid once started (the intermediate's for a daemon).
        status: The exit status once known.
        signal: The number of the signal that killed it, once known.
        duration: Seconds from spawn to reaping, once reaped.
        error: Why the spawn or the command failed, in words, when it did.
    """

    argv: tuple[str, ...]
    env_names: tuple[str, ...] | None
    cwd: str | None
    mode: str
    dry_run: bool = False
    pid: int | None = None
    status: int | None = None
    signal: int | None = None
    duration: float | None = None
    error: str | None = None


T = TypeVar("T")


class SpawnMonitor(Protocol):
    """What the engine calls around a spawn."""

    def check(self, record: SpawnRecord) -> str | None:
        """Return a reason to refuse this spawn, or None to allow it."""

    def observe(self, record: SpawnRecord, spawn: Callable[[], T]) -> T:
        """Call ``spawn()`` exactly once and return what it returns; let its exception propagate.

        For ``run()`` the call covers start to reaping (the record is complete when
        ``spawn`` returns); for ``run_async()`` it covers the start only and
        :meth:`reaped` follows later. The value is the engine's own: pass it on untouched.
        """

    def reaped(self, record: SpawnRecord) -> None:
        """Report that an asynchronously started child was reaped (wait or abort)."""


_current: contextvars.ContextVar[SpawnMonitor | None] = contextvars.ContextVar(
    "corral_spawn_monitor", default=None
)


def current_spawn_monitor() -> SpawnMonitor | None:
    """Return the monitor installed for the current context, if any."""
    return _current.get()


@contextlib.contextmanager
def monitor_spawns(monitor: SpawnMonitor | None) -> Iterator[SpawnMonitor | None]:
    """Install ``monitor`` for every spawn made in this context until the block ends."""
    token = _current.set(monitor)
    try:
        yield monitor
    finally:
        _current.reset(token)
