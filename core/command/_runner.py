"""Driving one child from spawn to outcome: buffers, deadlines, timeouts, dry runs.

The pieces the :class:`~corral.core.Command` methods share: start a child for a spec,
pump its buffers and wait for it within the deadlines, kill it when ``set_timeout``
expires, and fake all of it under :func:`~corral.core.dry_run`.
"""

from __future__ import annotations

import os
import time
from typing import NoReturn

from corral.core._errors import CommandError, ErrorCode
from corral.core.command._child import Child
from corral.core.command._dryrun import DryRun, fake_outcome
from corral.core.command._format import command_string, error_command
from corral.core.command._io import Pump
from corral.core.command._launch import SpawnFailure, launch
from corral.core.command._resolve import resolve
from corral.core.command._result import Outcome, synthetic_status
from corral.core.command._spec import Spec

__all__ = ["TIMEOUT_GRACE", "drive", "fake", "outcome_of", "start"]

TIMEOUT_GRACE = 1.0
"""Seconds between SIGTERM and SIGKILL when a set_timeout expires."""


def start(spec: Spec) -> Child:
    """Spawn the child of the binary resolved for this start and set up its buffer pump.

    The resolution made for the spawn monitor is taken (and used up), so the child
    executes exactly the path the monitor judged; without one the binary is resolved now.

    Raises:
        SpawnFailure: When no child could run.
        CommandError: When a wrapper is missing or a passed fd is not open.
    """
    resolution, spec.resolution = spec.resolution, None
    if resolution is None:
        resolution = resolve(spec.argv[0])
    if resolution.real is None:
        raise SpawnFailure(127, str(resolution.missing))
    child = launch(spec, resolution.real)
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
            child's process group if it was the set_timeout).
    """
    deadline = _earliest(child.deadline, limit)
    finished = child.pump.run(deadline) if child.pump is not None else True
    if not finished or not child.wait_exit(deadline):
        _expired(child, spec, limit)
    child.reap()


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
