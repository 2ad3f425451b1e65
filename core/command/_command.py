"""The Command object: builders (mixins), running, waiting, aborting, handshaking.

A port of libvirt's virCommand. Building never raises (deferred errors); ``run``,
``run_async`` and ``to_string`` raise the first mistake. The object is reusable: each
run starts a fresh child and keeps the configuration (the input buffer included).

The path of one run: this class claims the command and asks the spawn monitor
(:mod:`._observe`), :mod:`._runner` starts and drives the :class:`._child.Child`, and
:mod:`._result` turns its outcome into a result or an error.
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from types import TracebackType
from typing import IO, Self

from corral.core._errors import CommandError, ErrorCode
from corral.core.command import _runner
from corral.core.command._aio import finish_in_thread
from corral.core.command._args import ArgsMixin, coerce
from corral.core.command._attrs import AttrsMixin
from corral.core.command._child import Child, StatusLost
from corral.core.command._dryrun import current_dry_run
from corral.core.command._env import EnvMixin
from corral.core.command._format import arg_log, command_string, error_command, write_text
from corral.core.command._launch import SpawnFailure
from corral.core.command._observe import Watch, monitored
from corral.core.command._result import (
    CommandResult,
    Outcome,
    check_outcome,
    make_result,
    synthetic_status,
)
from corral.core.command._rules import check_runnable
from corral.core.command._spec import PIPE, Spec
from corral.core.command._stdio import StdioMixin

__all__ = ["Command"]


class Command(ArgsMixin, EnvMixin, AttrsMixin, StdioMixin):
    """A command to run: ``Command("dnsmasq", "--strict-order").add_env_pass_common().run()``.

    Args:
        binary: The program: an absolute path, a path with a slash, or a bare name looked
            up on this process's PATH when the command runs.
        *args: Its first arguments (same rules as :meth:`add_arg`).
    """

    def __init__(self, binary: str | bytes | os.PathLike[str], *args: object) -> None:
        self._spec = Spec(argv=[])
        # The run state: the child of the current run (or a dry run's faked outcome), the
        # monitor watching an async child, the caller's pipe ends, and the start claim.
        self._child: Child | None = None
        self._faked: Outcome | None = None
        self._watch: Watch | None = None
        self._output_fd: int | None = None
        self._error_fd: int | None = None
        self._starting = False  # a run()/run_async() is between its checks and its end
        self._start_lock = threading.Lock()
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
        return f"<Command {self._quoted()}>"

    @property
    def argv(self) -> list[str]:
        """The argument vector as text, binary first, as given (secret arguments read ``***``)."""
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

    def _quoted(self) -> str:
        return error_command(self._spec)

    def to_string(self, linebreaks: bool = False) -> str:
        """Return the command quoted for a POSIX shell: ``A=B C='D  E' true F 'G  H'``.

        Pasted into ``sh`` it runs the same argv with the same environment, except that
        secrets (``add_arg_secret``, ``add_env_secret``) read ``'***'``.

        Args:
            linebreaks: One environment entry and one option group per line, lines
                ending in `` \\`` (libvirt's layout).

        Raises:
            CommandError: The first mistake made while building.
        """
        self._raise_if_invalid()
        return command_string(self._spec.display_env, self._spec.display_argv, linebreaks)

    def write_arg_log(self, file: int | IO[str] | IO[bytes]) -> None:
        """Write ``NAME=value ... binary args`` unquoted plus a newline to ``file``.

        Secrets read ``***``. Nothing is written for a command with a building mistake (libvirt).

        Args:
            file: A descriptor number or an open file object.
        """
        if self._spec.error is None:
            write_text(file, arg_log(self._spec.display_env, self._spec.display_argv))

    # --- running --------------------------------------------------------------------

    def run(self, check: bool = True) -> CommandResult:
        """Run the command to completion, moving the buffers; return its result.

        Args:
            check: Raise for a non-zero exit status (a failed spawn raises too).

        Raises:
            CommandError: A building mistake, a failed spawn or exit (with check), death
                by a signal (unless set_raw_status), a timeout, a refusing monitor.
        """
        with self._claimed(blocking=True):
            outcome = self._spawn("run", self._run_child)
        return self._conclude(outcome, check)

    def _run_child(self) -> Outcome:
        try:
            child = self._start(abortable=False)
        except SpawnFailure as exc:
            # As if a child had exited with libvirt's status for the failure.
            return Outcome(synthetic_status(exc.exit_status), failure=str(exc))
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
        return self._begin(blocking=False)

    def _begin(self, blocking: bool) -> int:
        with self._claimed(blocking=blocking):
            self._faked = None
            outcome = self._spawn("async", self._start_child)
        if self._child is None:
            self._faked = outcome  # a dry run: wait() returns what the callback faked
            return 0
        return self._child.pid

    def _start_child(self) -> Outcome:
        try:
            child = self._start(abortable=True)
        except SpawnFailure as exc:
            # run_async has no status to report a failed spawn with.
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
        child.refuse_handshake()
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
            child.terminate(_runner.ABORT_GRACE)
        with contextlib.suppress(Exception):
            self._release(child)

    async def run_async_io(self, check: bool = True) -> CommandResult:
        """asyncio: run like :meth:`run` without blocking the event loop.

        The child starts at once; a worker thread (``asyncio.to_thread``) moves the
        buffers and reaps it. Cancelling the awaiting task sends the child (its whole
        process group, as :meth:`abort` does) SIGTERM, then SIGKILL after a short grace,
        before the cancellation propagates.

        Args:
            check: Raise for a non-zero exit status.

        Raises:
            CommandError: As for :meth:`run`.
        """
        pid = self._begin(blocking=True)
        finish = functools.partial(self.wait, None, check)
        if not pid:
            return finish()  # a dry run: nothing to wait for
        child = self._child
        signal_group = child.send if child is not None and child.group else None
        return await finish_in_thread(pid, finish, _runner.ABORT_GRACE, signal_group)

    # --- handshake (the child side is the exec helper's --handshake READY GO) --------

    def handshake_wait(self) -> None:
        """Block until the child (started with require_handshake) is ready to exec.

        Under a dry run it returns at once: no child was started to hold back.

        Raises:
            CommandError: No handshake is pending, or the child died before it.
        """
        if self._faked is None and not self._pending("handshake_wait()", "ready").handshake_wait():
            raise CommandError(
                f"The child of ({self._quoted()}) exited before the handshake.",
                code=ErrorCode.OPERATION_FAILED,
                argv=self.argv,
            )

    def handshake_notify(self) -> None:
        """Let the waiting child exec (at once under a dry run).

        Raises:
            CommandError: No handshake is pending, or the child is gone.
        """
        if self._faked is not None:
            return
        try:
            self._pending("handshake_notify()", "go").handshake_notify()
        except OSError as exc:
            raise CommandError(
                f"Cannot notify the child of ({self._quoted()}): {exc.strerror}.",
                code=ErrorCode.OPERATION_FAILED,
                argv=self.argv,
            ) from exc

    def _pending(self, what: str, end: str) -> Child:
        child = self._running(what)
        if end not in child.owned:
            raise CommandError(
                f"{what} found no handshake pending for ({self._quoted()}).",
                code=ErrorCode.OPERATION_INVALID,
                argv=self.argv,
            )
        return child

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

    # --- the steps the public methods share ---------------------------------------

    @contextlib.contextmanager
    def _claimed(self, blocking: bool) -> Iterator[None]:
        """Check the command may start now and hold it against a second, concurrent start."""
        with self._start_lock:  # the check and the claim as one step (two threads, one run)
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
            self._starting = True
        try:
            yield
        finally:
            self._starting = False

    def _running(self, what: str) -> Child:
        if self._child is None:
            raise CommandError(
                f"{what} needs a child started by run_async(), and none is running.",
                code=ErrorCode.OPERATION_INVALID,
                argv=self.argv,
            )
        return self._child

    def _spawn(self, mode: str, real: Callable[[], Outcome]) -> Outcome:
        """Run ``real`` (or the dry run's fake) under the context's spawn monitor."""
        dry = current_dry_run()
        spawn = real if dry is None else functools.partial(_runner.fake, self._spec, dry)
        outcome, watch = monitored(self._spec, mode, dry is not None, spawn)
        if mode == "async":
            self._watch = watch
        return outcome

    def _start(self, abortable: bool) -> Child:
        """Spawn the child and hand the ``PIPE`` read ends over to the caller."""
        try:
            child = _runner.start(self._spec, abortable)
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
            with contextlib.suppress(StatusLost):  # gone already: nothing left to kill
                child.terminate(_runner.ABORT_GRACE)
        child.close_fds()
        self._child = None
        watch, self._watch = self._watch, None
        if watch is not None and child.lost:
            watch.failed(_runner.lost_status(child, self._spec))
        elif watch is not None:
            watch.reaped(_runner.outcome_of(child))

    def _report_reaped(self, outcome: Outcome) -> None:
        watch, self._watch = self._watch, None
        if watch is not None:
            watch.reaped(outcome)

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
