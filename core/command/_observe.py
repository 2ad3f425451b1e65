"""The engine's side of the spawn-monitor seam: build the record, ask, observe, report.

The binary is resolved here, once per start, for the record and for the exec alike
(see ``_resolve``). With no monitor installed, a spawn costs one ContextVar lookup here
and no record is built.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable

from corral.core._errors import CommandError, ErrorCode
from corral.core.command._monitor import SpawnMonitor, SpawnRecord, current_spawn_monitor
from corral.core.command._resolve import resolve
from corral.core.command._result import Outcome, describe_status
from corral.core.command._spec import Spec, display

__all__ = ["Watch", "fill_record", "monitored"]


def _new_record(spec: Spec, mode: str, dry: bool) -> SpawnRecord:
    cwd = "/" if spec.daemonize else (None if spec.cwd is None else display(spec.cwd))
    found = None if spec.resolution is None else spec.resolution.found
    real = None if spec.resolution is None else spec.resolution.real
    return SpawnRecord(
        argv=tuple(spec.display_argv),
        binary=None if real is None else display(real),
        found=None if found is None else display(found),
        env_names=None if spec.env is None else tuple(sorted(spec.env)),
        cwd=cwd,
        mode="daemon" if spec.daemonize else mode,
        dry_run=dry,
    )


def fill_record(record: SpawnRecord, outcome: Outcome) -> None:
    """Copy what is known of a finished (or failed) spawn into ``record``."""
    raw = outcome.raw_status
    record.pid = outcome.pid
    record.duration = outcome.duration
    if os.WIFSIGNALED(raw):
        record.status, record.signal = None, os.WTERMSIG(raw)
    else:
        record.status, record.signal = os.waitstatus_to_exitcode(raw), None
    if outcome.failure is not None:
        record.error = outcome.failure
    elif record.status != 0:
        record.error = describe_status(raw)
        if outcome.report is not None:
            record.error += f": {outcome.report}"


def _record_failure(record: SpawnRecord, exc: Exception) -> None:
    """Fill ``record`` from a failed spawn without the error's text.

    The text of a CommandError quotes the command line with its environment values,
    which a record must never carry: keep the facts (code, pid, status, signal) only.
    """
    if not isinstance(exc, CommandError):
        record.error = record.error or f"{type(exc).__name__} raised while spawning"
        return
    pid = exc.detail.get("pid")
    record.pid = record.pid if pid is None else int(pid)
    record.status = record.status if exc.status is None else exc.status
    record.signal = record.signal if exc.signal is None else exc.signal
    summary = exc.code.name.lower().replace("_", " ")
    if exc.detail.get("errno") == errno.ECHILD:
        summary = "exit status lost to another waiter"
    if exc.signal is not None:
        summary += f", killed by signal {exc.signal}"
    record.error = record.error or summary


class Watch:
    """The monitor watching an asynchronous child, and its record, until it is reaped."""

    def __init__(self, monitor: SpawnMonitor, record: SpawnRecord) -> None:
        self.monitor = monitor
        self.record = record

    def reaped(self, outcome: Outcome) -> None:
        """Complete the record from ``outcome`` (a dry run's is already) and report it."""
        if not self.record.dry_run:
            fill_record(self.record, outcome)
        self.monitor.reaped(self.record)

    def failed(self, exc: Exception) -> None:
        """Report a reaping that failed (the status was lost), with the error's facts."""
        _record_failure(self.record, exc)
        self.monitor.reaped(self.record)


def monitored(
    spec: Spec, mode: str, dry: bool, spawn: Callable[[], Outcome]
) -> tuple[Outcome, Watch | None]:
    """Run ``spawn`` under the context's monitor (check first, then observe).

    Args:
        spec: The command about to spawn.
        mode: ``"run"`` or ``"async"`` (``"daemon"`` is derived from the spec).
        dry: Whether a dry run fakes the spawn.
        spawn: Does the spawn and returns its outcome (for ``"async"``: the start's).

    Returns:
        What ``spawn`` returned, and for ``"async"`` under a monitor the watch that
        reports :meth:`SpawnMonitor.reaped` later (None otherwise).

    Raises:
        CommandError: OPERATION_DENIED when the monitor refuses, INTERNAL_ERROR when its
            observe() does not return what spawn() returned; whatever ``spawn`` raises
            otherwise (also recorded in ``record.error``).
    """
    # The child executes exactly this (``_runner.start`` takes it): what the monitor judges.
    spec.resolution = resolve(spec.argv[0])
    monitor = current_spawn_monitor()
    if monitor is None:
        return spawn(), None
    record = _new_record(spec, mode, dry)
    reason = monitor.check(record)
    if reason is not None:
        raise CommandError(
            f"Spawning {record.argv[0]} was refused: {reason}",
            code=ErrorCode.OPERATION_DENIED,
            argv=list(record.argv),
            reason=reason,
        )
    spawned = False

    def observed() -> Outcome:
        nonlocal spawned
        spawned = True
        try:
            outcome = spawn()
        except Exception as exc:
            _record_failure(record, exc)
            raise
        if mode == "async" and not dry:
            record.pid = outcome.pid  # the rest is known once wait() or abort() reaps
        else:
            fill_record(record, outcome)
        return outcome

    outcome: object = monitor.observe(record, observed)
    if not isinstance(outcome, Outcome):
        broken = "without returning what spawn() returned" if spawned else "without spawning"
        raise CommandError(
            f"The spawn monitor {monitor!r} returned from observe() {broken}.",
            code=ErrorCode.INTERNAL_ERROR,
            argv=list(record.argv),
        )
    return outcome, Watch(monitor, record) if mode == "async" else None
