"""Driving one child from spawn to outcome: buffers, deadlines, timeouts, dry runs.

The pieces the :class:`~corral.core.Command` methods share: start a child for a spec,
pump its buffers and wait for it within the deadlines, kill it when ``set_timeout``
expires, and fake all of it under :func:`~corral.core.dry_run`.
"""

from __future__ import annotations

import errno
import os
import time
from typing import NoReturn

from corral.core._errors import CommandError, ErrorCode
from corral.core.command._child import Child, StatusLost
from corral.core.command._dryrun import DryRun, fake_outcome
from corral.core.command._format import command_string, error_command
from corral.core.command._io import Pump
from corral.core.command._launch import SpawnFailure, launch
from corral.core.command._resolve import resolve
from corral.core.command._result import Outcome, synthetic_status
from corral.core.command._spec import Spec

__all__ = ["ABORT_GRACE", "TIMEOUT_GRACE", "drive", "fake", "lost_status", "outcome_of", "start"]

TIMEOUT_GRACE = 1.0
"""Seconds between SIGTERM and SIGKILL when a set_timeout expires."""

ABORT_GRACE = 0.1
"""Seconds abort() (and a cancelled run_async_io) gives a child between SIGTERM and SIGKILL."""


def leads_group(spec: Spec, abortable: bool) -> bool:
    """Whether the child gets a process group of its own, so stopping it stops its group.

    Yes when the engine may have to stop it: on a set_timeout, and after run_async()
    (abort(), leaving a ``with`` block). Not for a daemon (the exec helper gives it a
    session of its own), nor for an untimed run_async() with a pre-exec hook (the hook
    may make its own session, which setsid() refuses to a group leader); such a child
    stays in the caller's group and only its pid is signalled. run() children stay in
    the caller's group too, so terminal job control reaches them as before.
    """
    if spec.daemonize:
        return False
    return spec.timeout is not None or (abortable and spec.hook is None)


def start(spec: Spec, abortable: bool) -> Child:
    """Spawn the child of the binary resolved for this start and set up its buffer pump.

    The resolution made for the spawn monitor is taken (and used up), so the child
    executes exactly the path the monitor judged; without one the binary is resolved now.

    Args:
        spec: The command.
        abortable: True for run_async() (the caller may abort it), False for run().

    Raises:
        SpawnFailure: When no child could run.
        CommandError: When a wrapper is missing or a passed fd is not open.
    """
    resolution, spec.resolution = spec.resolution, None
    if resolution is None:
        resolution = resolve(spec.argv[0])
    if resolution.real is None:
        raise SpawnFailure(127, str(resolution.missing))
    child = launch(spec, resolution.real, leads_group(spec, abortable))
    if spec.timeout is not None:
        child.deadline = child.started + spec.timeout
    if spec.captures:
        stdin_fd = child.owned.pop("stdin", None)
        child.pump = Pump(
            None if stdin_fd is None else (stdin_fd, spec.input_data or b""),
            child.owned.get("stdout") if spec.output_buffer else None,
            child.owned.get("stderr") if spec.error_buffer else None,
        )
    return child


def _earliest(first: float | None, second: float | None) -> float | None:
    if first is None or second is None:
        return first if second is None else second
    return min(first, second)


def drive(child: Child, spec: Spec, limit: float | None = None) -> None:
    """Pump the buffers and reap the child, within its set_timeout and ``limit``.

    Args:
        child: The running child.
        spec: Its command.
        limit: A ``time.monotonic()`` deadline of the caller's own (``wait(timeout)``);
            passing it raises without killing the child.

    Raises:
        CommandError: OPERATION_TIMEOUT when a deadline passed (after killing the
            child's process group if it was the set_timeout); SYSTEM_ERROR when the
            child's status was lost (:func:`lost_status`).
    """
    deadline = _earliest(child.deadline, limit)
    try:
        finished = child.pump.run(deadline) if child.pump is not None else True
        if not finished or not child.wait_exit(deadline):
            _expired(child, spec, limit)
        child.reap()
    except StatusLost:
        raise lost_status(child, spec) from None


def lost_status(child: Child, spec: Spec) -> CommandError:
    """Return the error for a child someone else reaped (SIGCHLD ignored, a foreign waitpid).

    libvirt's virProcessWait reports a failing ``waitpid`` as a system error with its
    errno; a lost status is never turned into one, whatever ``check`` says.
    """
    command = error_command(spec)
    return CommandError(
        f"Cannot wait for child process ({command}) {child.pid}: its exit status was lost "
        "to another waiter (SIGCHLD set to SIG_IGN, or a waitpid() elsewhere): "
        f"{os.strerror(errno.ECHILD)}",
        code=ErrorCode.SYSTEM_ERROR,
        argv=spec.display_argv,
        status=None,
        signal=None,
        pid=child.pid,
        errno=errno.ECHILD,
    )


def _expired(child: Child, spec: Spec, limit: float | None) -> NoReturn:
    command = error_command(spec)
    signal = None
    if child.deadline is not None and (limit is None or child.deadline <= limit):
        raw_status = child.terminate(TIMEOUT_GRACE)
        child.close_fds()
        signal = os.WTERMSIG(raw_status) if os.WIFSIGNALED(raw_status) else None
        message = f"timed out after {spec.timeout:g} seconds and was killed"
    else:
        message = "is still running after the wait timed out"  # the caller's own limit
    raise CommandError(
        f"Child process ({command}) {message}.",
        code=ErrorCode.OPERATION_TIMEOUT,
        argv=spec.display_argv,
        status=None,
        signal=signal,
        pid=child.pid,
    )


def outcome_of(child: Child) -> Outcome:
    """Return the facts of a reaped child."""
    pump = child.pump
    return Outcome(
        raw_status=child.reap(),
        stdout=None if pump is None else pump.stdout,
        stderr=None if pump is None else pump.stderr,
        pid=child.pid,
        duration=child.duration,
        report=child.report,
    )


def fake(spec: Spec, record: DryRun) -> Outcome:
    """Record the command in ``record`` and return the callback's faked outcome.

    The record masks secrets like ``to_string``; the callback fakes the tool, so it gets
    what the tool would: the real argv and environment.
    """
    started = time.monotonic()
    record.commands.append(command_string(spec.display_env, spec.display_argv, False))
    env = os.environ.copy() if spec.env is None else spec.env
    status, out, err = fake_outcome(record, spec.text_argv, env, spec.input_data)
    if spec.error_to_output and spec.output_buffer:
        out, err = (out or b"") + (err or b""), None
    return Outcome(synthetic_status(status), out, err, None, time.monotonic() - started)
