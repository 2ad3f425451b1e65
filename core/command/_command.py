"""The Command object: builders (mixins), running, waiting, aborting, handshaking.

A port of libvirt's virCommand. Building never raises (deferred errors); ``run``,
``run_async`` and ``to_string`` raise the first mistake. The object is reusable: each
run starts a fresh child and keeps the configuration (the input buffer included).
"""

from __future__ import annotations

import contextlib
import functools
import os
import time
from collections.abc import Sequence
from types import TracebackType
from typing import IO, Self

from corral.core._errors import CommandError, ErrorCode
from corral.core.command import _runner
from corral.core.command._aio import finish_in_thread
from corral.core.command._args import ArgsMixin, coerce
from corral.core.command._attrs import AttrsMixin
from corral.core.command._env import EnvMixin
from corral.core.command._format import arg_log, command_string, write_text
from corral.core.command._handshake import HandshakeMixin
from corral.core.command._launch import SpawnFailure
from corral.core.command._lifecycle import ABORT_GRACE
from corral.core.command._result import CommandResult, Outcome
from corral.core.command._spec import PIPE, Spec
from corral.core.command._stdio import StdioMixin

__all__ = ["Command"]


class Command(ArgsMixin, EnvMixin, AttrsMixin, StdioMixin, HandshakeMixin):
    """A command to run: ``Command("dnsmasq", "--strict-order").add_env_pass_common().run()``.

    Args:
        binary: The program: an absolute path, a path with a slash, or a bare name looked
            up on this process's PATH when the command runs.
        *args: Its first arguments (same rules as :meth:`add_arg`).
    """

    def __init__(self, binary: str | bytes | os.PathLike[str], *args: object) -> None:
        self._init_lifecycle(Spec(argv=[]))
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
        self._refuse_pending_handshake(child.owned)
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

    async def run_async_io(self, check: bool = True) -> CommandResult:
        """asyncio: run like :meth:`run` without blocking the event loop.

        The child starts at once; a worker thread (``asyncio.to_thread``) moves the
        buffers and reaps it. Cancelling the awaiting task sends the child SIGTERM, then
        SIGKILL after a short grace, before the cancellation propagates.

        Args:
            check: Raise for a non-zero exit status.

        Raises:
            CommandError: As for :meth:`run`.
        """
        pid = self._begin(blocking=True)
        finish = functools.partial(self.wait, None, check)
        if not pid:
            return finish()  # a dry run: nothing to wait for
        return await finish_in_thread(pid, finish, ABORT_GRACE)

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
