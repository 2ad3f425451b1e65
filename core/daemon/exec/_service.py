"""ExecService: the guest-exec family of commands, served on the daemon's event loop.

qemu-ga's guest-exec (buffered capture, the five capture-output modes, input-data) plus
the seed's pipe handles (guest-pipe-open, handle-stdin/-stdout/-stderr, streamed with
guest-file-read/-write/-close) and corral's cwd, timeout and guest-exec-terminate.
Children are spawned by the engine (``Command.run_async``: no shell, no fork of the
daemon), watched with a pidfd each on the running loop (no SIGCHLD handler, no thread per
child) and reaped the moment they exit, so none is ever left a zombie. Records outlive
the child: readable again and again until ``retention_seconds`` after its end, at most
``max_records`` of them. See docs/exec.md.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import os
import signal
from collections.abc import Callable
from typing import Any

from corral.core._errors import CorralError
from corral.core._operation import operation
from corral.core.command import PIPE, Command
from corral.core.daemon.exec._capture import CaptureOutput, Streams, streams
from corral.core.daemon.exec._errors import (
    busy,
    invalid_arg,
    invalid_operation,
    no_such_pid,
)
from corral.core.daemon.exec._pipes import Pipe, PipeTable, decode_b64
from corral.core.daemon.exec._record import ExecRecord
from corral.core.daemon.exec._settings import ExecSettings
from corral.core.daemon.exec._streams import Capture, Feeder

__all__ = ["EVENT", "ExecService"]

EVENT = "GUEST_EXEC_EXITED"

Emit = Callable[[str, dict[str, Any]], None]

_log = logging.getLogger("corral.daemon.exec")


class ExecService:
    """The guest-exec command provider of corrald.

    Args:
        settings: The limits.
        emit: Sends a QMP event to every client: ``emit("GUEST_EXEC_EXITED", data)``.
    """

    def __init__(self, settings: ExecSettings, emit: Emit) -> None:
        self._settings = settings
        self._emit = emit
        self._loop: asyncio.AbstractEventLoop | None = None
        self._records: dict[int, ExecRecord] = {}
        # Finished records in the order they finished: the oldest is dropped first and
        # the first to expire (they all keep the same retention).
        self._finished: collections.OrderedDict[int, ExecRecord] = collections.OrderedDict()
        self._sweeper: asyncio.TimerHandle | None = None
        self._pipes = PipeTable(settings.max_pipes)
        self._closed = False

    @property
    def busy(self) -> bool:
        """True while a child runs (or its output drains) or a pipe handle is open.

        corrald's ``--timeout`` does not count such a daemon idle: exiting would kill the
        child, and a client may come back for a pipe's data.
        """
        return len(self._pipes) > 0 or any(not record.finished
                                           for record in self._records.values())

    async def start(self) -> None:
        """Attach to the running event loop (the daemon's)."""
        self._loop = asyncio.get_running_loop()

    async def close(self) -> None:
        """Terminate what still runs (SIGTERM, a grace, SIGKILL), reap it, close every handle."""
        self._closed = True
        if self._loop is None:
            self._pipes.close_all()
            return
        running = [record for record in self._records.values() if not record.finished]
        for record in running:
            self._terminate(record)
        if running:
            await asyncio.wait([record.done for record in running],
                               timeout=self._settings.terminate_grace
                               + self._settings.output_grace + 1.0)
        for record in self._records.values():
            if not record.reaped:  # ignored even SIGKILL's wait (a D-state child): reap here
                record.command.abort()
            record.release(self._loop)
            for name in list(record.timers):
                record.cancel(name)
        self._records.clear()
        self._finished.clear()
        if self._sweeper is not None:
            self._sweeper.cancel()
        self._pipes.close_all()

    # --- commands -----------------------------------------------------------------

    @operation
    async def guest_exec(
        self,
        path: str,
        arg: list[str] | None = None,
        env: list[str] | None = None,
        input_data: str | None = None,
        capture_output: CaptureOutput | None = None,
        handle_stdin: int | None = None,
        handle_stdout: int | None = None,
        handle_stderr: int | None = None,
        cwd: str | None = None,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        """Start a program and return its pid; guest-exec-status reports how it ended.

        Args:
            path: The program: an absolute path, or a name looked up on the daemon's PATH.
            arg: Its arguments (argv[1:]); no shell ever sees them.
            env: ``NAME=value`` items: the child's whole environment (default: the
                engine's common set, LC_ALL=C, PATH, HOME, ...).
            input_data: Base64 bytes fed to its stdin, which then closes.
            capture_output: A bool (true: ``separated``) or ``none``, ``stdout``,
                ``stderr``, ``separated``, ``merged``.
            handle_stdin: A guest-pipe-open ``w`` handle to be its stdin.
            handle_stdout: A guest-pipe-open ``r`` handle to be its stdout.
            handle_stderr: A guest-pipe-open ``r`` handle to be its stderr.
            cwd: Its working directory.
            timeout: Seconds after which it (its process group) is terminated.

        Returns:
            ``{"pid": N}``.
        """
        loop = self._running_loop()
        capture = streams(capture_output)
        data = None if input_data is None else decode_b64(input_data, "input-data")
        if timeout is not None and not timeout > 0:
            raise invalid_arg("The argument 'timeout' must be a positive number of seconds.",
                              "timeout")
        attached = self._check_handles(capture, data is not None, handle_stdin,
                                       handle_stdout, handle_stderr)
        self._make_room()
        command = _command(path, arg, env, cwd)
        stdin_fds = self._connect(command, capture, data, attached)
        try:
            pid = command.run_async()
        except BaseException:
            if stdin_fds is not None:
                os.close(stdin_fds[1])
            raise
        finally:
            if stdin_fds is not None:
                os.close(stdin_fds[0])  # the child's end: only the child holds it now
        record = self._track(loop, pid, command, capture, data, stdin_fds, attached)
        if timeout is not None:
            record.timers["timeout"] = loop.call_later(timeout, self._timed_out, record)
        return {"pid": pid}

    @operation(read_only=True)
    async def guest_exec_status(self, pid: int) -> dict[str, Any]:
        """Return qemu-ga's GuestExecStatus of an exec, as often as asked until it expires.

        Args:
            pid: What guest-exec returned.

        Returns:
            ``{exited, exitcode?, signal?, out-data?, err-data?, out-truncated?,
            err-truncated?}`` (output is present once exited, when non-empty).
        """
        self._sweep()
        return self._record(pid).status()

    @operation
    async def guest_exec_terminate(self, pid: int) -> dict[str, Any]:
        """Stop a running exec: SIGTERM to its process group, SIGKILL after a grace.

        Args:
            pid: What guest-exec returned.

        Returns:
            ``{}`` once the signal is sent (its status reports the end).
        """
        record = self._record(pid)
        if record.reaped:
            raise invalid_operation(f"The exec with pid {pid} has exited already.", pid=pid)
        self._terminate(record)
        return {}

    @operation
    async def guest_pipe_open(self, mode: str) -> int:
        """Open a pipe for an exec's stdin (mode ``w``) or stdout/stderr (mode ``r``).

        Args:
            mode: ``r``: the client reads what the child writes; ``w``: the client
                writes what the child reads.

        Returns:
            The handle (counting from 1000), for guest-exec's handle-* arguments and
            guest-file-read/-write/-close.
        """
        self._running_loop()
        return self._pipes.open(mode)

    @operation
    async def guest_file_read(self, handle: int, count: int | None = None) -> dict[str, Any]:
        """Read what a pipe holds now, without waiting (qemu-ga's guest-file-read).

        Args:
            handle: An ``r`` pipe handle.
            count: Bytes at most (default 4096, at most 48 MiB).

        Returns:
            ``{count, buf-b64, eof}``: eof once every writer closed the pipe and all
            was read.
        """
        return self._pipes.read(handle, count)

    @operation
    async def guest_file_write(self, handle: int, buf_b64: str,
                               count: int | None = None) -> dict[str, Any]:
        """Write into a pipe as much as it takes now, without waiting.

        Args:
            handle: A ``w`` pipe handle.
            buf_b64: The bytes, base64.
            count: How many of the decoded bytes to write (default all).

        Returns:
            ``{count, eof}``: count written (fewer than given when the pipe is full;
            write the rest later).
        """
        return self._pipes.write(handle, buf_b64, count)

    @operation
    async def guest_file_close(self, handle: int) -> dict[str, Any]:
        """Close a pipe handle: a child reading it sees EOF, one writing it gets EPIPE.

        Args:
            handle: A pipe handle.

        Returns:
            ``{}``.
        """
        self._pipes.close(handle)
        return {}

    # --- starting -----------------------------------------------------------------

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        if self._closed:
            raise invalid_operation("The exec service is shut down.")
        if self._loop is None:
            raise invalid_operation("The exec service is not started.")
        return self._loop

    def _check_handles(self, capture: Streams, feeds: bool, stdin: int | None,
                       stdout: int | None, stderr: int | None) -> dict[str, Pipe]:
        """Return the pipes to attach by stream, refusing a stream given two sources."""
        clashes = {"stdin": feeds, "stdout": capture.stdout,
                   "stderr": capture.stderr or capture.merged}
        what = {"stdin": "input-data", "stdout": "capture-output",
                "stderr": "capture-output"}
        attached: dict[str, Pipe] = {}
        for stream, handle in (("stdin", stdin), ("stdout", stdout), ("stderr", stderr)):
            if handle is None:
                continue
            if clashes[stream]:
                raise invalid_arg(f"The arguments 'handle-{stream}' and '{what[stream]}' both "
                                  f"give the child's {stream}; use one of them.",
                                  f"handle-{stream}")
            attached[stream] = self._pipes.for_child(handle, stream,
                                                     "w" if stream == "stdin" else "r")
        return attached

    def _make_room(self) -> None:
        """Refuse an exec over the limits (a full table of finished records is no refusal)."""
        self._sweep()
        running = len(self._records) - len(self._finished)
        limits = self._settings
        if running >= limits.max_running:
            raise busy(f"{running} execs are running (exec_max_running is "
                       f"{limits.max_running}); wait for one to end.", limit=limits.max_running)
        if len(self._records) >= limits.max_records and not self._finished:
            raise busy(f"All {len(self._records)} exec records belong to running children "
                       "(exec_max_records); wait for one to end.", limit=limits.max_records)

    def _connect(self, command: Command, capture: Streams, data: bytes | None,
                 attached: dict[str, Pipe]) -> tuple[int, int] | None:
        """Connect the child's stdio; return the (child, our) ends of an input pipe."""
        stdin_fds = None
        if data is not None:
            read_end, write_end = os.pipe2(os.O_CLOEXEC)
            os.set_blocking(write_end, False)
            stdin_fds = (read_end, write_end)
            command.set_input_fd(read_end)
        elif "stdin" in attached:
            command.set_input_fd(_child_fd(attached["stdin"]))
        if capture.stdout:
            command.set_output_fd(PIPE)
        elif "stdout" in attached:
            command.set_output_fd(_child_fd(attached["stdout"]))
        if capture.merged:
            command.set_error_fd(PIPE, merge=True)
        elif capture.stderr:
            command.set_error_fd(PIPE)
        elif "stderr" in attached:
            command.set_error_fd(_child_fd(attached["stderr"]))
        return stdin_fds

    def _track(self, loop: asyncio.AbstractEventLoop, pid: int, command: Command,
               capture: Streams, data: bytes | None, stdin_fds: tuple[int, int] | None,
               attached: dict[str, Pipe]) -> ExecRecord:
        """Watch the started child: its pidfd, its pipes, its record."""
        if pid in self._records:  # the kernel reused a retained record's pid: the old one goes
            self._drop(pid)
        if len(self._records) >= self._settings.max_records:
            self._drop(next(iter(self._finished)))  # the oldest finished (_make_room checked)
        record = ExecRecord(loop, pid, command)
        self._records[pid] = record
        for pipe in attached.values():  # stdout and stderr may share one pipe
            if pipe.child_fd is not None:
                os.close(pipe.child_fd)  # only the child holds it now: EOF comes with it
                pipe.child_fd, pipe.pid = None, pid
        limit = self._settings.capture_max_bytes
        if command.output_fd is not None and capture.stdout:
            record.out = Capture(loop, command.output_fd, limit, lambda: self._drained(record))
        if capture.stderr and command.error_fd is not None:
            record.err = Capture(loop, command.error_fd, limit, lambda: self._drained(record))
        if stdin_fds is not None and data is not None:
            record.feeder = Feeder(loop, stdin_fds[1], data)
        # An unreaped child (even a zombie) keeps its pid, so the pidfd names this child.
        record.pidfd = os.pidfd_open(pid)
        loop.add_reader(record.pidfd, self._exited, record)
        return record

    # --- ending -------------------------------------------------------------------

    def _exited(self, record: ExecRecord) -> None:
        """The pidfd is readable: the child exited. Reap it now."""
        loop = self._started_loop()
        if record.pidfd is not None:
            loop.remove_reader(record.pidfd)
            os.close(record.pidfd)
            record.pidfd = None
        try:
            record.collect()
        except CorralError as error:  # its status was lost to another waiter
            _log.error("guest-exec pid %d: %s", record.pid, error)
            record.reaped = True
        record.cancel("timeout")
        if record.feeder is not None:
            record.feeder.close()  # nobody is left to read it (a grandchild may; too bad)
        if record.draining:
            record.timers["output"] = loop.call_later(
                self._settings.output_grace, self._give_up_output, record)
        else:
            self._finish(record)

    def _drained(self, record: ExecRecord) -> None:
        if record.reaped and not record.draining and not record.finished:
            self._finish(record)

    def _give_up_output(self, record: ExecRecord) -> None:
        """The child is gone but something still holds its pipes: end without their EOF."""
        record.timers.pop("output", None)
        for capture in record.captures:
            capture.close()
        if not record.finished:
            self._finish(record)

    def _finish(self, record: ExecRecord) -> None:
        loop = self._started_loop()
        record.cancel("output")
        record.finished = True
        record.ended = loop.time()
        if self._records.get(record.pid) is record:
            self._finished[record.pid] = record
        record.done.set_result(None)
        if self._sweeper is None:
            self._schedule_sweep()
        try:
            self._emit(EVENT, record.event())
        except Exception:  # noqa: BLE001 - a failing event sink must not lose the record
            _log.exception("Cannot send %s for pid %d", EVENT, record.pid)

    def _terminate(self, record: ExecRecord) -> None:
        """SIGTERM to the group now, SIGKILL to it after the grace (as the engine's abort)."""
        if record.reaped or record.terminating:
            return
        record.terminating = True
        record.signal_group(signal.SIGTERM)
        loop = self._started_loop()
        record.timers["kill"] = loop.call_later(self._settings.terminate_grace,
                                                self._kill, record)

    def _kill(self, record: ExecRecord) -> None:
        record.timers.pop("kill", None)
        current = self._records.get(record.pid)
        if record.reaped and current is not None and current is not record:
            return  # the group's pid now belongs to a newer exec: leave it alone
        record.signal_group(signal.SIGKILL)

    def _timed_out(self, record: ExecRecord) -> None:
        record.timers.pop("timeout", None)
        _log.info("guest-exec pid %d timed out; terminating it", record.pid)
        self._terminate(record)

    def _started_loop(self) -> asyncio.AbstractEventLoop:
        assert self._loop is not None  # only called for records, which need a started service
        return self._loop

    # --- records ------------------------------------------------------------------

    def _record(self, pid: int) -> ExecRecord:
        record = self._records.get(pid)
        if record is None:
            raise no_such_pid(pid)
        return record

    def _drop(self, pid: int) -> None:
        record = self._records.pop(pid)
        self._finished.pop(pid, None)
        if self._loop is not None:
            record.release(self._loop)

    def _sweep(self) -> None:
        """Forget the finished records whose retention ended."""
        if self._loop is None:
            return
        horizon = self._loop.time() - self._settings.retention_seconds
        while self._finished:
            pid, record = next(iter(self._finished.items()))
            if record.ended > horizon:
                break
            self._drop(pid)

    def _schedule_sweep(self) -> None:
        self._sweeper = None
        if self._finished and self._loop is not None and not self._closed:
            first = next(iter(self._finished.values()))
            when = first.ended + self._settings.retention_seconds
            self._sweeper = self._loop.call_at(when, self._swept)

    def _swept(self) -> None:
        self._sweep()
        self._schedule_sweep()


def _command(path: str, arg: list[str] | None, env: list[str] | None,
             cwd: str | None) -> Command:
    """Build the engine command: argv as given, the environment, the working directory."""
    command = Command(path, *(arg or ())).set_raw_status()  # a signal is a status here
    if env is None:
        command.add_env_pass_common()
    else:
        # qemu-ga's env replaces the environment. An empty list still means "explicit":
        # passing a name that is never set switches the engine to an empty environment.
        command.add_env_pass("")
        for index, item in enumerate(env):
            name, equals, value = item.partition("=") if isinstance(item, str) else ("", "", "")
            if not equals:
                # The item is never quoted: a misformatted one may still hold a secret.
                raise invalid_arg(f"The env item {index} is not of the form NAME=value.",
                                  "env", index=index)
            # Every value is treated as a secret: masked in to_string, records, errors.
            command.add_env_secret(name, value)
    if cwd is not None:
        command.set_working_directory(cwd)
    return command


def _child_fd(pipe: Pipe) -> int:
    assert pipe.child_fd is not None  # checked by PipeTable.for_child
    return pipe.child_fd

