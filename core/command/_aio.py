"""asyncio integration: finish a started child in a worker thread, kill it on cancellation.

``Command.run_async_io()`` spawns at once (spawning is quick) and hands the blocking
part -- moving the buffers, waiting, reaping -- to ``asyncio.to_thread`` (which carries
the context, so dry runs and spawn monitors still apply). A pidfd taken while the child
is certainly unreaped lets a cancellation signal it without any pid-reuse race; the
worker thread still does the reaping and closes the pipes, so no descriptor is closed
under its feet.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Callable
from typing import TypeVar

__all__ = ["finish_in_thread"]

T = TypeVar("T")

AFTER_KILL = 1.0
"""Seconds a cancellation waits for the worker after SIGKILL before leaving it behind."""


def _pidfd(pid: int) -> int | None:
    with contextlib.suppress(OSError, AttributeError):
        return os.pidfd_open(pid)
    return None


async def finish_in_thread(
    pid: int, finish: Callable[[], T], grace: float,
    signal_group: Callable[[int], None] | None = None,
) -> T:
    """Await ``finish()`` run in a worker thread; on cancellation stop child ``pid``.

    Args:
        pid: The started child, not yet reaped.
        finish: The blocking rest of the run (it reaps the child).
        grace: Seconds between SIGTERM and SIGKILL on cancellation.
        signal_group: For a child that leads its own process group, what signals the
            whole group, so a cancellation stops its grandchildren too (as ``abort()``
            and the timeout do).

    Returns:
        What ``finish()`` returns; its exceptions propagate.
    """
    pidfd = _pidfd(pid)
    task = asyncio.ensure_future(asyncio.to_thread(finish))
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        await _stop(task, pidfd, grace, signal_group)
        raise
    finally:
        if pidfd is not None:
            os.close(pidfd)


async def _stop(task: asyncio.Future[T], pidfd: int | None, grace: float,
                signal_group: Callable[[int], None] | None) -> None:
    """SIGTERM, ``grace``, SIGKILL; wait for the worker (bounded) and drop its result."""
    for number, patience in ((signal.SIGTERM, grace), (signal.SIGKILL, AFTER_KILL)):
        if pidfd is not None:
            with contextlib.suppress(OSError):
                signal.pidfd_send_signal(pidfd, number)
        if signal_group is not None:
            signal_group(number)
        done, _ = await asyncio.wait({task}, timeout=patience)
        if done:
            with contextlib.suppress(BaseException):
                task.result()  # retrieved, so asyncio does not log it as lost
            return
    # A grandchild still holds a pipe: the worker finishes once it lets go.
    task.add_done_callback(lambda done: done.cancelled() or done.exception())
