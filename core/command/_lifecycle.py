"""The running state of a Command and the steps its public methods share.

Start a child (handing ``PIPE`` ends to the caller, closing ``close_parent`` fds),
release it (kill if needed, close what the engine owns, report to the monitor), run a
spawn under the monitor and the dry run, and turn an outcome into a result or an error.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator

from corral.core._errors import CommandError, ErrorCode
from corral.core.command import _runner
from corral.core.command._child import Child
from corral.core.command._dryrun import current_dry_run
from corral.core.command._format import error_command
from corral.core.command._launch import SpawnFailure
from corral.core.command._monitor import SpawnMonitor, SpawnRecord
from corral.core.command._observe import fill_record, monitored
from corral.core.command._result import (
    CommandResult,
    Outcome,
    check_outcome,
    make_result,
    synthetic_status,
)
from corral.core.command._rules import check_runnable
from corral.core.command._spec import PIPE, Builder, Spec

__all__ = ["ABORT_GRACE", "Lifecycle"]

ABORT_GRACE = 0.1
"""Seconds abort() gives a child between SIGTERM and SIGKILL."""

Spawner = Callable[[], Outcome]


class Lifecycle(Builder):
    """The child a command runs, its caller pipe ends and its monitor record."""

    def _init_lifecycle(self, spec: Spec) -> None:
        self._spec = spec
        self._child: Child | None = None
        self._faked: Outcome | None = None
        self._record: SpawnRecord | None = None
        self._monitor: SpawnMonitor | None = None
        self._output_fd: int | None = None
        self._error_fd: int | None = None
        self._starting = False  # a run()/run_async() is between its checks and its end
        self._start_lock = threading.Lock()

    @property
    def argv(self) -> list[str]:
        """The argument vector as text, binary first, as given (secret arguments read ``***``)."""
        return self._spec.display_argv

    def _quoted(self) -> str:
        return error_command(self._spec)

    @contextlib.contextmanager
    def _claimed(self, blocking: bool) -> Iterator[None]:
        """Check the command may start now and hold it against a second, concurrent start."""
        with self._start_lock:  # the check and the claim as one step (two threads, one run)
            self._prepare(blocking)
            self._starting = True
        try:
            yield
        finally:
            self._starting = False

    def _prepare(self, blocking: bool) -> None:
        self._raise_if_invalid()
        if self._child is not None or self._starting:
            pid = "" if self._child is None else f" (pid {self._child.pid})"
            raise CommandError(
                f"The command ({self._quoted()}) is already running{pid}; "
                "wait() or abort() it first.",
                code=ErrorCode.OPERATION_INVALID,
                argv=self.argv,
            )
        check_runnable(self._spec, blocking)

    def _running(self, what: str) -> Child:
        if self._child is None:
            raise CommandError(
                f"{what} needs a child started by run_async(), and none is running.",
                code=ErrorCode.OPERATION_INVALID,
                argv=self.argv,
            )
        return self._child

    def _spawn(self, mode: str, real: Spawner) -> Outcome:
        """Run ``real`` (or the dry run's fake) under the context's spawn monitor."""
        dry = current_dry_run()
        box: list[Outcome] = []

        def spawn(record: SpawnRecord | None) -> None:
            box.append(_runner.fake(self._spec, dry) if dry else self._or_failure(mode, real))
            if record is None:
                return
            if mode == "async" and not dry:
                record.pid = box[0].pid  # the rest is known once wait() or abort() reaps
            else:
                fill_record(record, box[0])

        record, monitor = monitored(self._spec, mode, dry is not None, spawn)
        if mode == "async":
            self._record, self._monitor = record, monitor
        if not box:
            raise CommandError(
                f"The spawn monitor {monitor!r} returned from observe() without spawning.",
                code=ErrorCode.INTERNAL_ERROR,
                argv=self.argv,
            )
        return box[0]

    def _or_failure(self, mode: str, real: Spawner) -> Outcome:
        if mode == "async":
            return real()  # run_async has no status to report a failed spawn with
        try:
            return real()
        except SpawnFailure as exc:
            # As if a child had exited with libvirt's status for the failure.
            return Outcome(synthetic_status(exc.exit_status), failure=str(exc))

    def _report_reaped(self, outcome: Outcome) -> None:
        record, monitor, self._record, self._monitor = self._record, self._monitor, None, None
        if record is not None and monitor is not None:
            if not record.dry_run:
                fill_record(record, outcome)
            monitor.reaped(record)

    def _start(self) -> Child:
        """Spawn the child and hand the ``PIPE`` read ends over to the caller."""
        try:
            child = _runner.start(self._spec)
        finally:
            self._close_parent_fds()
        self._child = child
        spec = self._spec
        if spec.output_fd == PIPE:
            self._output_fd = child.owned.pop("stdout")
        if spec.error_fd == PIPE and not spec.error_to_output:
            self._error_fd = child.owned.pop("stderr")
        if spec.nonblocking:
            for fd in (self._output_fd, self._error_fd):
                if fd is not None:
                    os.set_blocking(fd, False)
        return child

    def _release(self, child: Child) -> None:
        """Forget a child: kill it if it still runs, close its fds, report the reaping."""
        if not child.reaped:
            child.terminate(ABORT_GRACE)
        child.close_fds()
        self._child = None
        if self._monitor is not None:
            self._report_reaped(_runner.outcome_of(child))
        self._record = None

    def _close_parent_fds(self) -> None:
        for fd, close_parent in list(self._spec.pass_fds.items()):
            if close_parent:
                with contextlib.suppress(OSError):
                    os.close(fd)
                del self._spec.pass_fds[fd]

    def _conclude(self, outcome: Outcome, check: bool) -> CommandResult:
        spec = self._spec
        result = make_result(spec, outcome)
        check_outcome(
            result, outcome, self._quoted, lambda: self.argv, check=check, raw=spec.raw_status
        )
        return result
