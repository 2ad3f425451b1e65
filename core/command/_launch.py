"""Starting a child: make the pipes, build the exec chain, call Popen.

Only native ``Popen`` options are used (close_fds, pass_fds, cwd, umask, process_group,
env), so CPython keeps its vfork path; ``preexec_fn`` appears only for a caller's
pre-exec hook. A binary that cannot be found or executed, a bad working directory or a
failing hook is not raised here: it becomes a :class:`SpawnFailure` with libvirt's exit
status (127 not found, 126 not executable, 125 failed before exec).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import subprocess
import time
from collections.abc import Callable

from corral.core._errors import CommandError, ErrorCode
from corral.core.command._child import Child
from corral.core.command._spec import PIPE, Spec, display
from corral.core.command._wrappers import helper_prefix, needs_helper, wrapper_prefix

__all__ = ["SpawnFailure", "launch"]

PIPE_SIZE = 1024 * 1024


class SpawnFailure(CommandError):
    """No child could run; carries libvirt's exit status for it and the reason in words.

    The engine turns it into a result (``check=False``) or a plain CommandError.
    """

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message, code=ErrorCode.SYSTEM_ERROR, status=status)
        self.exit_status = status


def _check_passed_fds(spec: Spec) -> None:
    for fd in spec.pass_fds:
        try:
            fcntl.fcntl(fd, fcntl.F_GETFD)
        except OSError as exc:
            raise CommandError(
                f"File descriptor {fd} given to pass_fd() is not open in this process.",
                code=ErrorCode.INVALID_ARG,
                argv=spec.display_argv,
            ) from exc


class _Pipes:
    """The pipes of one spawn: child ends closed after Popen, parent ends handed out."""

    def __init__(self) -> None:
        self.child_ends: list[int] = []
        self.parent_ends: dict[str, int] = {}

    def make(self, name: str, child_reads: bool, big: bool = False) -> int:
        read_end, write_end = os.pipe2(os.O_CLOEXEC)
        if big:
            with contextlib.suppress(OSError):  # best effort: 64 KiB works, only slower
                fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, PIPE_SIZE)
        child, parent = (read_end, write_end) if child_reads else (write_end, read_end)
        self.child_ends.append(child)
        self.parent_ends[name] = parent
        return child

    def close_child_ends(self) -> None:
        for fd in self.child_ends:
            os.close(fd)
        self.child_ends.clear()

    def close_all(self) -> None:
        self.close_child_ends()
        for fd in self.parent_ends.values():
            os.close(fd)
        self.parent_ends.clear()


def _stdio(spec: Spec, pipes: _Pipes) -> tuple[int, int, int]:
    if spec.input_data is not None:
        stdin = pipes.make("stdin", child_reads=True)
    else:
        stdin = subprocess.DEVNULL if spec.input_fd is None else spec.input_fd
    if spec.output_buffer or spec.output_fd == PIPE:
        stdout = pipes.make("stdout", child_reads=False, big=spec.output_buffer)
    else:
        stdout = subprocess.DEVNULL if spec.output_fd is None else spec.output_fd
    if spec.error_to_output:
        stderr = subprocess.STDOUT
    elif spec.error_buffer or spec.error_fd == PIPE:
        stderr = pipes.make("stderr", child_reads=False, big=spec.error_buffer)
    else:
        stderr = subprocess.DEVNULL if spec.error_fd is None else spec.error_fd
    return stdin, stdout, stderr


Chain = tuple[str | bytes, list[str | bytes], tuple[int, ...]]


def _exec_chain(spec: Spec, binary: str | bytes, pipes: _Pipes) -> Chain:
    """Return (program, argv, extra fds to pass): wrappers and helper before the argv."""
    wrappers: list[str | bytes] = [*wrapper_prefix(spec)]
    argv: list[str | bytes] = [*spec.argv]
    if wrappers:
        argv = [*wrappers, binary, *argv[1:]]
        binary = wrappers[0]
    if not needs_helper(spec):
        return binary, argv, ()
    handshake: tuple[int, int] | None = None
    if spec.handshake:
        handshake = (pipes.make("ready", child_reads=False), pipes.make("go", child_reads=True))
    report = pipes.make("report", child_reads=False)  # why the helper failed, if it does
    helper = helper_prefix(spec, handshake, report)
    return helper[0], [*helper, binary, *argv], (*(handshake or ()), report)


def _hook_caller(hook: Callable[[], object]) -> Callable[[], None]:
    def call() -> None:
        if hook() is False:
            raise CommandError("The pre-exec hook returned False.")

    return call


def _translate(exc: Exception, spec: Spec, program: str | bytes) -> SpawnFailure:
    if isinstance(exc, subprocess.SubprocessError):
        return SpawnFailure(125, "The pre-exec hook stopped the child before exec")
    if not isinstance(exc, OSError):
        return SpawnFailure(125, f"Cannot start the child: {exc}")
    reason = exc.strerror or str(exc)
    if spec.cwd is not None and exc.filename == spec.cwd and exc.filename != program:
        where = display(spec.cwd)
        return SpawnFailure(125, f"Cannot change to working directory {where}: {reason}")
    status = 127 if exc.errno == errno.ENOENT else 126
    return SpawnFailure(status, f"Cannot execute binary {display(program)}: {reason}")


def launch(spec: Spec, binary: str | bytes, group: bool) -> Child:
    """Start the child of ``spec`` with ``binary`` (already resolved) and return it.

    With ``group`` the child leads a new process group (signals then go to the group).

    Raises:
        SpawnFailure: When no child could run (the pipes are closed again).
        CommandError: When a wrapper is missing or a passed fd is not open.
    """
    _check_passed_fds(spec)
    pipes = _Pipes()
    try:
        stdin, stdout, stderr = _stdio(spec, pipes)
        program, argv, extra_fds = _exec_chain(spec, binary, pipes)
        started = time.monotonic()
        popen = subprocess.Popen(
            argv, executable=program, stdin=stdin, stdout=stdout, stderr=stderr,
            close_fds=True, pass_fds=(*spec.pass_fds, *extra_fds),
            cwd=None if spec.daemonize else spec.cwd, env=spec.env, umask=spec.umask,
            process_group=0 if group else None,
            preexec_fn=_hook_caller(spec.hook) if spec.hook else None,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError, ValueError) as exc:
        pipes.close_all()
        raise _translate(exc, spec, binary) from exc
    except BaseException:
        pipes.close_all()
        raise
    pipes.close_child_ends()
    child = Child(popen, group, started)
    child.owned.update(pipes.parent_ends)
    return child
