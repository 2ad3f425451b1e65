"""The Command object: builders (mixins), running, waiting, aborting, handshaking.

A port of libvirt's virCommand. Building never raises (deferred errors); ``run``,
``run_async`` and ``to_string`` raise the first mistake. The object is reusable: each
run starts a fresh child and keeps the configuration (the input buffer included).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import IO, Self

from corral.core._errors import CommandError, ErrorCode
from corral.core.command import _runner
from corral.core.command._args import ArgsMixin, coerce
from corral.core.command._attrs import AttrsMixin
from corral.core.command._child import Child
from corral.core.command._dryrun import current_dry_run
from corral.core.command._env import EnvMixin
from corral.core.command._format import arg_log, command_string, write_text
from corral.core.command._launch import SpawnFailure
from corral.core.command._monitor import SpawnMonitor, SpawnRecord
from corral.core.command._observe import fill_record, monitored
from corral.core.command._result import (
    CommandResult,
    Outcome,
    check_outcome,
    decode,
    synthetic_status,
)
from corral.core.command._rules import check_runnable
from corral.core.command._spec import PIPE, Spec
from corral.core.command._stdio import StdioMixin

__all__ = ["Command"]

_Spawner = Callable[[], Outcome]

ABORT_GRACE = 0.1
"""Seconds abort() gives a child between SIGTERM and SIGKILL."""


class Command(ArgsMixin, EnvMixin, AttrsMixin, StdioMixin):
    """A command to run: ``Command("dnsmasq", "--strict-order").add_env_pass_common().run()``.

    Args:
        binary: The program: an absolute path, a path with a slash, or a bare name looked
            up on this process's PATH when the command runs.
        *args: Its first arguments (same rules as :meth:`add_arg`).
    """

    def __init__(self, binary: str | bytes | os.PathLike[str], *args: object) -> None:
        self._spec = Spec(argv=[])
        self._child: Child | None = None
        self._faked: Outcome | None = None
        self._record: SpawnRecord | None = None
        self._monitor: SpawnMonitor | None = None
        self._output_fd: int | None = None
        self._error_fd: int | None = None
        value, problem = coerce(binary, "argument 0")
        if value is None:
            self._fail(str(problem))
        else:
            self._spec.argv.append(value)
        self.add_arg_list(*args)

    @classmethod
    def from_argv(cls, argv: Sequence[str | bytes | os.PathLike[str]]) -> Command:
        """Build a command from a whole argument vector, ``argv[0]`` being the binary.

        Args:
            argv: A non-empty sequence; anything else is a deferred error.
        """
        items = [] if isinstance(argv, str | bytes) else list(argv)
        if not items:
            command = cls("")
            command._fail(f"from_argv() needs a non-empty sequence, not {argv!r}")
            return command
        return cls(items[0], *items[1:])

    def __repr__(self) -> str:
        return f"<Command {command_string(self._spec.env, self._spec.display_argv, False)}>"

    @property
    def argv(self) -> list[str]:
        """The argument vector as text, binary first, as given."""
        return self._spec.display_argv

    @property
    def pid(self) -> int | None:
        """The pid of the child started by :meth:`run_async` while it is not reaped."""
        return None if self._child is None else self._child.pid

    @property
    def output_fd(self) -> int | None:
        """The parent's read end of the ``PIPE`` given to set_output_fd (the caller owns it)."""
        return self._output_fd

    @property
    def error_fd(self) -> int | None:
        """The parent's read end of stderr's ``PIPE`` (``output_fd`` when merged)."""
        if self._spec.error_to_output and self._spec.error_fd == PIPE:
            return self._output_fd
        return self._error_fd

    # --- logging ------------------------------------------------------------------

    def to_string(self, linebreaks: bool = False) -> str:
        """Return the command quoted for a POSIX shell: ``A=B C='D  E' true F 'G  H'``.

        Args:
            linebreaks: One environment entry and one option group per line, lines
                ending in `` \\`` (libvirt's layout).

        Raises:
            CommandError: The first mistake made while building.
        """
        self.raise_if_invalid()
        return command_string(self._spec.env, self._spec.display_argv, linebreaks)

    def write_arg_log(self, file: int | IO[str] | IO[bytes]) -> None:
        """Write ``NAME=value ... binary args`` unquoted plus a newline to ``file``.

        Nothing is written for a command with a building mistake (libvirt).

        Args:
            file: A descriptor number or an open file object.
        """
        if self._spec.error is None:
            write_text(file, arg_log(self._spec.env, self._spec.display_argv))

    # --- running --------------------------------------------------------------------

    def run(self, check: bool = True) -> CommandResult:
        """Run the command to completion, moving the buffers; return its result.

        Args:
            check: Raise for a non-zero exit status (a failed spawn raises too).

        Raises:
            CommandError: A building mistake, a failed spawn or exit (with check), death
                by a signal (unless set_raw_status), a timeout, a refusing monitor.
        """
        self._prepare(blocking=True)
        outcome = self._spawn("run", self._run_child)
        return self._conclude(outcome, check)

    def _run_child(self) -> Outcome:
        child = self._start()
        try:
            _runner.drive(child, self._spec)
            return _runner.outcome_of(child)
        finally:
            self._release(child)

    def run_async(self) -> int:
        """Start the command and return its pid (0 under a dry run); reap it with wait().

        Raises:
            CommandError: A building mistake, a failed spawn, a refusing monitor.
        """
        self._prepare(blocking=False)
        self._faked = None
        outcome = self._spawn("async", self._start_child)
        if self._child is None:
            self._faked = outcome
            return 0
        return self._child.pid

    def _start_child(self) -> Outcome:
        try:
            child = self._start()
        except SpawnFailure as exc:
            raise CommandError(
                str(exc), code=ErrorCode.SYSTEM_ERROR, argv=self.argv, status=exc.exit_status
            ) from exc
        return Outcome(raw_status=0, pid=child.pid)  # the status comes at wait()

    def wait(self, timeout: float | None = None, check: bool = True) -> CommandResult:
        """Finish the I/O of a run_async child, reap it and return its result.

        Args:
            timeout: Seconds to wait at most; on expiry CommandError OPERATION_TIMEOUT is
                raised and the child keeps running (wait again, or abort).
            check: Raise for a non-zero exit status.

        Raises:
            CommandError: No child is running, a timeout, or as for :meth:`run`.
        """
        if self._faked is not None:
            outcome, self._faked = self._faked, None
            self._report_reaped(outcome)
            return self._conclude(outcome, check)
        child = self._running("wait()")
        for name in ("ready", "go"):  # a pending handshake is refused: the child exits 125
            with contextlib.suppress(KeyError, OSError):
                os.close(child.owned.pop(name))
        limit = None if timeout is None else time.monotonic() + timeout
        try:
            _runner.drive(child, self._spec, limit)
        except CommandError:
            if child.reaped:
                self._release(child)
            raise
        outcome = _runner.outcome_of(child)
        self._release(child)
        return self._conclude(outcome, check)

    def abort(self) -> None:
        """Kill and reap a run_async child: SIGTERM, a short grace, SIGKILL. Never raises."""
        child = self._child
        if child is None:
            if self._faked is not None:
                self._faked = None
                with contextlib.suppress(Exception):
                    self._report_reaped(Outcome(raw_status=0))
            return
        with contextlib.suppress(Exception):
            child.terminate(ABORT_GRACE)
        with contextlib.suppress(Exception):
            self._release(child)

    # --- handshake ------------------------------------------------------------------

    def handshake_wait(self) -> None:
        """Block until the child (started with require_handshake) is ready to exec.

        Raises:
            CommandError: No handshake is pending, or the child died before it.
        """
        fd = self._running("handshake_wait()").owned.pop("ready", None)
        if fd is None:
            raise CommandError("No handshake is pending.", code=ErrorCode.OPERATION_INVALID)
        try:
            answer = os.read(fd, 1)
        finally:
            os.close(fd)
        if answer != b"1":
            raise CommandError(
                f"The child of ({self.to_string()}) exited before the handshake.",
                code=ErrorCode.OPERATION_FAILED,
                argv=self.argv,
            )

    def handshake_notify(self) -> None:
        """Let the waiting child exec.

        Raises:
            CommandError: No handshake is pending, or the child is gone.
        """
        fd = self._running("handshake_notify()").owned.pop("go", None)
        if fd is None:
            raise CommandError("No handshake is pending.", code=ErrorCode.OPERATION_INVALID)
        try:
            os.write(fd, b"1")
        except OSError as exc:
            raise CommandError(
                f"Cannot notify the child of ({self.to_string()}): {exc.strerror}.",
                code=ErrorCode.OPERATION_FAILED,
                argv=self.argv,
            ) from exc
        finally:
            os.close(fd)

    # --- lifetime -------------------------------------------------------------------

    def close(self) -> None:
        """Abort a running child and close every descriptor the command still owns."""
        self.abort()
        self._close_parent_fds()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    # --- internals --------------------------------------------------------------------

    def _prepare(self, blocking: bool) -> None:
        self.raise_if_invalid()
        if self._child is not None:
            raise CommandError(
                f"The command ({self.to_string()}) is already running (pid "
                f"{self._child.pid}); wait() or abort() it first.",
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

    def _spawn(self, mode: str, real: _Spawner) -> Outcome:
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
        return box[0]

    def _or_failure(self, mode: str, real: _Spawner) -> Outcome:
        if mode == "async":
            return real()
        try:
            return real()
        except SpawnFailure as exc:
            return Outcome(synthetic_status(exc.exit_status), failure=str(exc))

    def _report_reaped(self, outcome: Outcome) -> None:
        record, monitor, self._record, self._monitor = self._record, self._monitor, None, None
        if record is not None and monitor is not None:
            if not record.dry_run:
                fill_record(record, outcome)
            monitor.reaped(record)

    def _start(self) -> Child:
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
        raw = outcome.raw_status
        signalled = os.WIFSIGNALED(raw)
        out = (outcome.stdout or b"") if spec.output_buffer else None
        err = (outcome.stderr or b"") if spec.error_buffer else None
        result = CommandResult(
            status=None if signalled else os.waitstatus_to_exitcode(raw),
            signal=os.WTERMSIG(raw) if signalled else None,
            raw_status=raw,
            stdout=decode(out, spec.output_binary),
            stderr=decode(err, spec.error_binary),
            pid=outcome.pid,
            duration=outcome.duration,
        )
        command = command_string(spec.env, spec.display_argv, False)
        check_outcome(result, outcome, command, self.argv, check=check, raw=spec.raw_status)
        return result
