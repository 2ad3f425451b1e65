"""POSIX record locks on pid files, and the book of the ones this process holds.

A pid file is locked the way libvirt's ``virFileLock(fd, false, 0, 1)`` does it: a write
lock on byte 0, so corral, libvirt and dnsmasq-style daemons agree on who holds it, and
``F_GETLK`` reports the holder's pid.

POSIX locks have two traps this module exists to defuse:

* they belong to the *process*, so a second ``F_SETLK`` from the same process succeeds
  silently instead of reporting the conflict;
* closing *any* descriptor of the file releases *all* of the process's locks on it, so
  merely reading a pid file we hold would drop our lock.

So every lock this process takes is recorded here by inode, and the pid file functions
consult the record before they open a file (and never open one they hold).
"""

from __future__ import annotations

import errno
import fcntl
import os
import struct
import threading

__all__ = ["held_fd", "lock", "lock_holder", "remember", "forget", "book_lock", "try_lock"]

# struct flock on 64-bit Linux: l_type, l_whence, l_start, l_len, l_pid, tail padding.
_FLOCK = struct.Struct("hhqqi4x")

# Serialises every pid-file operation of this process: a thread must not open (and so,
# on close, unlock) a file another thread is locking at the same moment.
book_lock = threading.RLock()

# (st_dev, st_ino) -> the descriptor that holds the lock in this process.
_held: dict[tuple[int, int], int] = {}


def _forget_all_after_fork() -> None:
    # A forked child does not inherit POSIX locks, only the descriptors.
    _held.clear()


os.register_at_fork(after_in_child=_forget_all_after_fork)


def _key(status: os.stat_result) -> tuple[int, int]:
    return (status.st_dev, status.st_ino)


def lock(fd: int) -> None:
    """Take the write lock on byte 0 of ``fd``, waiting for it (for a file only we know).

    Raises:
        OSError: When the kernel refuses the lock.
    """
    fcntl.lockf(fd, fcntl.LOCK_EX, 1, 0, os.SEEK_SET)


def try_lock(fd: int) -> bool:
    """Take the write lock on byte 0 of ``fd`` without waiting.

    Args:
        fd: A descriptor open for writing.

    Returns:
        True when the lock is ours, False when another process holds it.

    Raises:
        OSError: For any failure other than a conflicting lock.
    """
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, 0, os.SEEK_SET)
    except OSError as exc:
        if exc.errno in (errno.EAGAIN, errno.EACCES):
            return False
        raise
    return True


def lock_holder(fd: int) -> int | None:
    """Ask the kernel which other process holds a lock over byte 0 of ``fd``.

    Args:
        fd: Any descriptor of the file (read-only is enough for ``F_GETLK``).

    Returns:
        The holder's pid, or None when no other process holds a lock there.

    Raises:
        OSError: When the kernel refuses the query.
    """
    query = _FLOCK.pack(fcntl.F_WRLCK, os.SEEK_SET, 0, 1, 0)
    answer = fcntl.fcntl(fd, fcntl.F_GETLK, query)
    lock_type, _whence, _start, _length, pid = _FLOCK.unpack(answer)
    return None if lock_type == fcntl.F_UNLCK else int(pid)


def held_fd(status: os.stat_result) -> int | None:
    """Return this process's locking descriptor for the file ``status`` describes."""
    return _held.get(_key(status))


def remember(fd: int) -> None:
    """Record that ``fd`` holds this process's lock on its file."""
    _held[_key(os.fstat(fd))] = fd


def forget(fd: int) -> None:
    """Drop ``fd`` from the record (before it is closed)."""
    for key, value in list(_held.items()):
        if value == fd:
            del _held[key]
