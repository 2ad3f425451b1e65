"""Dry runs: record what would run and fake the outcome, spawning nothing (virCommandSetDryRun).

``dry_run()`` is active for the current context only (a ContextVar: per thread and per
asyncio task), so parallel tests do not see each other's fakes. ``dry_run(all_threads=True)``
fakes the spawns of every thread of the process instead (a thread or executor worker the
code under test starts would otherwise run the real tool), kept like ``monitor_all_spawns``
keeps its monitors. A context's own dry run comes first; among process-wide ones the latest
block wins. Drivers are tested this way where the real tool cannot run.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
from collections.abc import Callable, Iterator, Mapping, Sequence

from corral.core._errors import CommandError, ErrorCode
from corral.core.command._process_wide import ProcessWide

__all__ = ["DryRun", "DryRunCallback", "current_dry_run", "dry_run", "fake_outcome"]

Output = str | bytes | None
DryRunCallback = Callable[
    [list[str], dict[str, str], bytes | None], tuple[int, Output, Output] | None
]


@dataclasses.dataclass
class DryRun:
    """The record of one dry-run block.

    Attributes:
        callback: Called as ``callback(argv, env, input)`` for each run; returns
            ``(status, stdout, stderr)`` or None (status 0, no output).
        commands: ``to_string()`` of every command run in the block, in order.
    """

    callback: DryRunCallback | None = None
    commands: list[str] = dataclasses.field(default_factory=list)


_current: contextvars.ContextVar[DryRun | None] = contextvars.ContextVar(
    "corral_dry_run", default=None
)


# The dry runs of every active dry_run(all_threads=True) block, oldest first.
_process_wide: ProcessWide[DryRun] = ProcessWide()


def current_dry_run() -> DryRun | None:
    """Return the dry run faking a spawn made here and now, if any.

    This context's own, else the latest process-wide one.
    """
    local = _current.get()
    if local is not None:
        return local
    installed = _process_wide.entries
    return installed[-1][1] if installed else None


@contextlib.contextmanager
def dry_run(callback: DryRunCallback | None = None, *,
            all_threads: bool = False) -> Iterator[DryRun]:
    """Fake every run in this context (or, with ``all_threads``, the process) until the end.

    Args:
        callback: ``callback(argv, env, input) -> (status, stdout, stderr) | None``:
            ``argv`` is the list of arguments (binary as given), ``env`` the dict the
            child would get, ``input`` the stdin bytes or None. With ``all_threads`` it
            may be called from several threads at once.
        all_threads: Fake the runs of every thread, executor worker and asyncio task of
            the process, not only this context's (then tests running in parallel threads
            of one process see each other's fakes).

    Yields:
        The :class:`DryRun` whose ``commands`` collects each command's ``to_string()``.
    """
    record = DryRun(callback)
    if all_threads:
        with _process_wide.installed(record):
            yield record
        return
    token = _current.set(record)
    try:
        yield record
    finally:
        _current.reset(token)


def _as_bytes(value: object, what: str) -> bytes | None:
    if value is None or isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8", "surrogateescape")
    raise CommandError(
        f"The dry-run callback returned {what} of type {type(value).__name__}; "
        "expected str, bytes or None.",
        code=ErrorCode.INVALID_ARG,
    )


def fake_outcome(
    record: DryRun, argv: Sequence[str], env: Mapping[str, str], data: bytes | None
) -> tuple[int, bytes | None, bytes | None]:
    """Ask the callback for ``(status, stdout, stderr)``; default ``(0, None, None)``.

    Raises:
        CommandError: When the callback returns something else than documented.
    """
    if record.callback is None:
        return 0, None, None
    answer = record.callback(list(argv), dict(env), data)
    if answer is None:
        return 0, None, None
    try:
        status, out, err = answer
    except (TypeError, ValueError) as exc:
        raise CommandError(
            f"The dry-run callback returned {answer!r}; expected (status, stdout, stderr) or None.",
            code=ErrorCode.INVALID_ARG,
        ) from exc
    if not isinstance(status, int) or isinstance(status, bool) or not 0 <= status <= 255:
        raise CommandError(
            f"The dry-run callback returned the status {status!r}; expected an int 0-255.",
            code=ErrorCode.INVALID_ARG,
        )
    return status, _as_bytes(out, "stdout"), _as_bytes(err, "stderr")
