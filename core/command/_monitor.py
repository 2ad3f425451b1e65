"""The seam through which plugins watch and steer every spawn.

The engine knows nothing of pluggy: before and around each spawn it asks
:func:`current_spawn_monitor`, the one place that says who watches. Two kinds of
monitor exist. A *process-wide* one (:func:`monitor_all_spawns`) sees every spawn of
every thread, executor worker and asyncio task while it is installed: corrald's Host
installs its plugins this way, because a policy that a worker thread can escape is no
policy. A *context* one (:func:`monitor_spawns`) sees the spawns of one thread or task
(a ContextVar), for tests and tools. A context can add a monitor but never remove a
process-wide one; a monitor named by both is asked once. With neither, commands run
unobserved.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
from collections.abc import Callable, Iterator, Sequence
from typing import Protocol, TypeVar

from corral.core.command._process_wide import ProcessWide

__all__ = [
    "SpawnMonitor",
    "SpawnRecord",
    "current_spawn_monitor",
    "monitor_all_spawns",
    "monitor_spawns",
]


@dataclasses.dataclass
class SpawnRecord:
    """What a monitor sees of one spawn; never the environment's values.

    Attributes:
        argv: The full argument vector, binary first as given, as it will be executed
            (before any corral exec wrapper such as ``prlimit``/``setpriv``); an
            argument added with ``add_arg_secret`` reads ``***``.
        env_names: Sorted names of the child's environment, or None when it
            inherits the parent's environment unchanged.
        cwd: The child's working directory, or None for the parent's.
        mode: ``"run"`` (synchronous), ``"async"`` (run_async) or ``"daemon"``.
        binary: The file the child executes: ``argv[0]`` found on the parent's PATH
            (absolute entries only) or made absolute, with every symlink resolved. This,
            not ``argv[0]``, is what to judge: it is exactly the path handed to exec.
            None when nothing was found (the spawn then fails with status 127).
        found: The same path before symlinks were resolved (normalised), for rules
            written against a link such as ``/bin/rm``; None when nothing was found.
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
    binary: str | None = None
    found: str | None = None
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

# The process-wide monitors in installation order, one entry per active
# monitor_all_spawns block.
_process_wide: ProcessWide[SpawnMonitor] = ProcessWide()


class _Together:
    """Several monitors asked as one: every check (the first refusal wins), nested observes.

    The first monitor is the outermost: a process-wide one judges before, and its
    observe wraps, a context's own.
    """

    def __init__(self, monitors: Sequence[SpawnMonitor]) -> None:
        self.monitors = tuple(monitors)

    def __repr__(self) -> str:
        return f"<spawn monitors {', '.join(map(repr, self.monitors))}>"

    def check(self, record: SpawnRecord) -> str | None:
        for monitor in self.monitors:
            reason = monitor.check(record)
            if reason is not None:
                return reason
        return None

    def observe(self, record: SpawnRecord, spawn: Callable[[], T]) -> T:
        def nested(index: int) -> T:
            if index == len(self.monitors):
                return spawn()
            return self.monitors[index].observe(record, lambda: nested(index + 1))

        return nested(0)

    def reaped(self, record: SpawnRecord) -> None:
        for monitor in self.monitors:
            monitor.reaped(record)


def current_spawn_monitor() -> SpawnMonitor | None:
    """Return who watches a spawn made here and now, or None when nobody does.

    That is every process-wide monitor, then this context's, each asked once.
    """
    local = _current.get()
    installed = _process_wide.entries
    if not installed:
        return local  # the common case: one ContextVar lookup
    monitors: list[SpawnMonitor] = []
    for _, monitor in installed:
        if not any(monitor is seen for seen in monitors):
            monitors.append(monitor)
    if local is not None and not any(local is seen for seen in monitors):
        monitors.append(local)
    return monitors[0] if len(monitors) == 1 else _Together(monitors)


@contextlib.contextmanager
def monitor_spawns(monitor: SpawnMonitor | None) -> Iterator[SpawnMonitor | None]:
    """Install ``monitor`` for every spawn made in this context until the block ends.

    The context is the thread or asyncio task (threads started inside do not inherit
    it; use :func:`monitor_all_spawns` for that). ``None`` removes an outer context
    monitor, never a process-wide one.
    """
    token = _current.set(monitor)
    try:
        yield monitor
    finally:
        _current.reset(token)


@contextlib.contextmanager
def monitor_all_spawns(monitor: SpawnMonitor) -> Iterator[SpawnMonitor]:
    """Install ``monitor`` for every spawn of this process until the block ends.

    Every thread, ``ThreadPoolExecutor`` worker, ``run_in_executor`` call and asyncio
    task is watched, whenever it started. Blocks may nest and overlap (from several
    threads, leaving in any order); a monitor installed twice is still asked once per
    spawn, as is one a context also names with :func:`monitor_spawns`.
    """
    with _process_wide.installed(monitor):
        yield monitor
