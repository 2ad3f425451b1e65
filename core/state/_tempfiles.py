"""Temporary files beside a target: recognisable names, and a sweep for those of dead writers.

A writer killed with SIGKILL cannot remove its temporary file, and a crashed daemon that
rewrote a large status file every few seconds would otherwise fill its disk. So each
temporary file is named ``.<target name>.<random>.corral-tmp`` and its writer holds an
``flock`` on it from before its first byte until the file is renamed or removed. The kernel
drops that lock when the writer dies, however it dies: a temporary file that is unlocked
*and* not empty has no live writer, and the next writer of the same target removes it.

An empty one is left alone: it may belong to a live writer between creating the file and
locking it (that window is why "unlocked" alone is not proof). It holds no data.

The lock is ``flock``, not an fcntl record lock: an flock belongs to the open file, so it
conflicts with a sweeping thread of the writer's own process too, and closing the
sweeper's descriptor cannot release the writer's lock (closing any descriptor drops *all*
of a process's fcntl locks on a file).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
import tempfile
from pathlib import Path

__all__ = ["SUFFIX", "create", "discard", "sweep"]

SUFFIX = ".corral-tmp"


def create(target: Path) -> tuple[int, str]:
    """Create and lock an empty temporary file next to ``target`` (same filesystem).

    Returns:
        The close-on-exec descriptor, open for reading and writing, and the file's path.

    Raises:
        OSError: When the file cannot be created or locked (nothing is left behind).
    """
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=SUFFIX, dir=target.parent)
    try:
        # Before the first byte is written: a sweeper never removes an unlocked empty file.
        fcntl.flock(fd, fcntl.LOCK_EX)
    except OSError:
        discard(fd, name)
        raise
    return fd, name


def discard(fd: int, name: str) -> None:
    """Close ``fd`` and remove ``name``; a failure must not hide the caller's error."""
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(name)


def sweep(target: Path) -> None:
    """Remove the temporary files of ``target`` whose writers are gone.

    Never raises: a sweep that cannot look (or loses a race) leaves the file for the next.
    """
    prefix = f".{target.name}."
    try:
        with os.scandir(target.parent) as entries:
            names = [e.path for e in entries if e.name.startswith(prefix)
                     and e.name.endswith(SUFFIX)]
    except OSError:
        return
    for path in names:
        with contextlib.suppress(OSError):
            _remove_if_abandoned(path)


def _remove_if_abandoned(path: str) -> None:
    # O_NOFOLLOW | O_NONBLOCK: a link or a FIFO planted under such a name is not ours.
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode) or status.st_size == 0:
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return  # a live writer holds it
        # The writer may have renamed it away after we opened it; only the name we locked
        # is removed.
        if os.path.samestat(os.lstat(path), status):
            os.unlink(path)
    finally:
        os.close(fd)
