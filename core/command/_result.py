"""What a finished command reports, and libvirt's rules for when that is an error.

A non-zero exit raises with ``check=True`` (virCommandRun with a NULL status); death by
a signal raises unless the caller asked for the raw status. Messages keep libvirt's form:
``Child process (<command>) unexpected exit status N: <stderr tail>``.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable

from corral.core._errors import CommandError, ErrorCode
from corral.core.command._spec import Spec

__all__ = [
    "CommandResult",
    "Outcome",
    "check_outcome",
    "describe_status",
    "make_result",
    "synthetic_status",
]

STDERR_TAIL = 2000


@dataclasses.dataclass(frozen=True, slots=True)
class CommandResult:
    """The outcome of one run.

    Attributes:
        status: The exit code, or None when a signal ended the child.
        signal: The number of the signal that ended the child, or None.
        raw_status: The wait status (``os.waitpid``'s), for WIFEXITED and friends.
        stdout: Captured stdout (str, or bytes with ``binary=True``); None if not captured.
        stderr: Captured stderr, likewise; None if not captured (or merged into stdout).
        pid: The child's pid (the intermediate's for a daemon); None if none started.
        duration: Seconds from the spawn to the reaping.
    """

    status: int | None
    signal: int | None
    raw_status: int | None
    stdout: str | bytes | None
    stderr: str | bytes | None
    pid: int | None
    duration: float


@dataclasses.dataclass
class Outcome:
    """The raw facts of a run before they become a result or an error."""

    raw_status: int
    stdout: bytes | None = None
    stderr: bytes | None = None
    pid: int | None = None
    duration: float = 0.0
    failure: str | None = None  # why no child ran (spawn failure), in words
    report: str | None = None  # why corral's exec helper exited before exec, in words


def synthetic_status(code: int) -> int:
    """Return the wait status of a child that exited with ``code``."""
    return (code & 0xFF) << 8


def decode(data: bytes | None, binary: bool) -> str | bytes | None:
    """Return captured ``data`` as the caller asked for it (str: UTF-8, surrogateescape)."""
    if data is None or binary:
        return data
    return data.decode("utf-8", "surrogateescape")


def make_result(spec: Spec, outcome: Outcome) -> CommandResult:
    """Build the caller's result: decode what was captured ("" when nothing came)."""
    raw = outcome.raw_status
    signalled = os.WIFSIGNALED(raw)
    out = (outcome.stdout or b"") if spec.output_buffer else None
    err = (outcome.stderr or b"") if spec.error_buffer else None
    return CommandResult(
        status=None if signalled else os.waitstatus_to_exitcode(raw),
        signal=os.WTERMSIG(raw) if signalled else None,
        raw_status=raw,
        stdout=decode(out, spec.output_binary),
        stderr=decode(err, spec.error_binary),
        pid=outcome.pid,
        duration=outcome.duration,
    )


def describe_status(raw_status: int) -> str:
    """Return libvirt's words for a wait status: ``exit status 3`` or ``fatal signal 9``."""
    if os.WIFSIGNALED(raw_status):
        return f"fatal signal {os.WTERMSIG(raw_status)}"
    return f"exit status {os.waitstatus_to_exitcode(raw_status)}"


def _tail(stderr: str | bytes | None) -> str | None:
    if not stderr:
        return None
    text = stderr if isinstance(stderr, str) else stderr.decode("utf-8", "replace")
    return text[-STDERR_TAIL:].strip() or None


def check_outcome(
    result: CommandResult,
    outcome: Outcome,
    command: Callable[[], str],
    argv: Callable[[], list[str]],
    *,
    check: bool,
    raw: bool,
) -> None:
    """Raise the error libvirt would report for ``result``, if any.

    Args:
        result: The result built from ``outcome``.
        outcome: The raw facts (a spawn failure carries its own message).
        command: Gives the command's ``to_string()`` for the message (only on failure).
        argv: Gives the argument vector for the error's detail (only on failure).
        check: Whether a non-zero exit is an error.
        raw: Whether the caller asked for the raw status (signal deaths are then results).

    Raises:
        CommandError: For a failed spawn, a non-zero exit or a death by signal.
    """
    signalled = result.signal is not None
    if signalled and raw:
        return
    if not signalled and (result.status == 0 or not check):
        return
    # The helper's own reason beats the child's stderr: it is why nothing was executed.
    tail = outcome.report or _tail(result.stderr)
    if outcome.failure is not None:
        message, code = outcome.failure, ErrorCode.SYSTEM_ERROR
    else:
        message = f"Child process ({command()}) unexpected {describe_status(outcome.raw_status)}"
        message += f": {tail}" if tail else ""  # libvirt's exact form, no full stop
        # The exec helper reports only when it stopped before exec: no program ran, as
        # for a failed spawn (libvirt reports those with virReportSystemError).
        code = ErrorCode.INTERNAL_ERROR if outcome.report is None else ErrorCode.SYSTEM_ERROR
    raise CommandError(
        message,
        code=code,
        argv=argv(),
        status=result.status,
        signal=result.signal,
        stderr=_tail(result.stderr),
    )
