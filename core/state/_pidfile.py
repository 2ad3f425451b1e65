"""Pid files that are held locked for as long as their process lives (libvirt's virPidFile*).

A pid file alone cannot tell a live owner from a stale file whose pid was reused. A
*locked* one can: the kernel drops the lock when the owner dies, however it dies. So
:func:`acquire_pidfile` creates the file, takes a write lock on byte 0, then writes the
pid, and keeps the descriptor open; :func:`pidfile_is_locked` asks the kernel who holds it.
"""

from __future__ import annotations

import os
from pathlib import Path

from corral.core._errors import ErrorCode
from corral.core.state import _lockfile
from corral.core.state._fail import busy_error, state_error, system_error

__all__ = [
    "acquire_pidfile",
    "delete_pidfile",
    "pidfile_is_locked",
    "pidfile_path",
    "read_pidfile",
    "release_pidfile",
]

# A pid is at most 7 digits on Linux (pid_max <= 4194304); leave room for junk to reject.
_MAX_PIDFILE_BYTES = 64

StrPath = str | os.PathLike[str]


def pidfile_path(directory: StrPath, name: str) -> Path:
    """Return ``directory/name.pid`` (libvirt's virPidFileBuildPath).

    Args:
        directory: Where the pid file lives.
        name: The owner's short name, e.g. ``"dnsmasq-default"``.

    Raises:
        CorralError: ``INVALID_ARG`` when ``name`` is empty or contains a ``/``
            (it would escape ``directory``).
    """
    if not name or "/" in name or name in (".", ".."):
        raise state_error(
            f"Pid file name {name!r} is not a plain file name.", ErrorCode.INVALID_ARG, name=name
        )
    return Path(directory) / f"{name}.pid"


def acquire_pidfile(path: StrPath, pid: int | None = None) -> int:
    """Create ``path``, lock it, write ``pid`` into it and return the locked descriptor.

    The lock lives as long as the descriptor (close it with :func:`release_pidfile`) and
    dies with the process. The descriptor is close-on-exec.

    Args:
        path: The pid file; its directory must exist.
        pid: The pid to record; this process's by default.

    Returns:
        The descriptor that holds the lock.

    Raises:
        CorralError: ``RESOURCE_BUSY`` naming the holder when another process (or this
            one, through another descriptor) holds the lock; ``SYSTEM_ERROR`` when the
            file cannot be created, locked or written.
    """
    pid = os.getpid() if pid is None else pid
    with _lockfile.book_lock:
        fd = _open_and_lock(path)
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{pid}\n".encode(), 0)
        except OSError as exc:
            os.close(fd)
            raise system_error("write the pid file", path, exc) from exc
        _lockfile.remember(fd)
    return fd


def _open_and_lock(path: StrPath) -> int:
    """Open and lock the file that is at ``path`` *now* (it may be replaced meanwhile)."""
    while True:
        _refuse_if_held_here(path)
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise system_error("open the pid file", path, exc) from exc
        try:
            if _lockfile.try_lock(fd) and _still_linked(path, fd):
                return fd
            holder = _lockfile.lock_holder(fd)
        except OSError as exc:
            os.close(fd)
            raise system_error("lock the pid file", path, exc) from exc
        os.close(fd)
        if holder is not None:
            raise busy_error(path, holder)
        # The holder let go between our two calls, or someone replaced the file after
        # we opened it: try again on whatever is there now.


def _refuse_if_held_here(path: StrPath) -> None:
    # Our own POSIX lock would not conflict, and opening the file again would risk
    # releasing it: answer from the record instead.
    try:
        status = os.stat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise system_error("examine the pid file", path, exc) from exc
    if _lockfile.held_fd(status) is not None:
        raise busy_error(path, os.getpid())


def _still_linked(path: StrPath, fd: int) -> bool:
    """Whether ``path`` still names the file open on ``fd`` (a racer may have deleted it)."""
    try:
        return os.path.samestat(os.stat(path), os.fstat(fd))
    except FileNotFoundError:
        return False


def release_pidfile(path: StrPath, fd: int) -> None:
    """Delete the pid file and close its locking descriptor (libvirt's virPidFileRelease).

    The file is unlinked before the descriptor closes so no other process can lock the
    old inode in between; a file someone else has put at ``path`` meanwhile is left alone.

    Args:
        path: The pid file passed to :func:`acquire_pidfile`.
        fd: The descriptor it returned.

    Raises:
        CorralError: ``SYSTEM_ERROR`` when the file cannot be removed (the descriptor is
            closed all the same).
    """
    with _lockfile.book_lock:
        _lockfile.forget(fd)
        try:
            if _still_linked(path, fd):
                os.unlink(path)
        except OSError as exc:
            raise system_error("remove the pid file", path, exc) from exc
        finally:
            os.close(fd)


def read_pidfile(path: StrPath) -> int:
    """Return the pid recorded in ``path`` (libvirt's virPidFileReadPath).

    Raises:
        CorralError: ``SYSTEM_ERROR`` when the file cannot be read (``detail["errno"]``
            is ``errno.ENOENT`` when it does not exist); ``PARSE_FAILED`` when it does not
            hold a positive decimal pid.
    """
    with _lockfile.book_lock:
        raw = _read_head(path)
    text = raw.decode("ascii", errors="replace").strip()
    if not text.isdigit() or int(text) <= 0:
        raise state_error(
            f"Pid file '{os.fspath(path)}' does not hold a pid: {text[:20]!r}.",
            ErrorCode.PARSE_FAILED,
            path=os.fspath(path),
        )
    return int(text)


def _read_head(path: StrPath) -> bytes:
    try:
        fd = _lockfile.held_fd(os.stat(path))
        if fd is not None:
            return os.pread(fd, _MAX_PIDFILE_BYTES, 0)
        with open(path, "rb") as stream:
            return stream.read(_MAX_PIDFILE_BYTES)
    except OSError as exc:
        raise system_error("read the pid file", path, exc) from exc


def delete_pidfile(path: StrPath) -> None:
    """Remove ``path``; a file that is already gone is not an error.

    Raises:
        CorralError: ``SYSTEM_ERROR`` when the file exists but cannot be removed.
    """
    try:
        os.unlink(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise system_error("remove the pid file", path, exc) from exc


def pidfile_is_locked(path: StrPath) -> int | None:
    """Return the pid of the process holding ``path`` locked, or None.

    This process counts: a file it holds through :func:`acquire_pidfile` reports its
    own pid. A missing file is not locked.

    Raises:
        CorralError: ``SYSTEM_ERROR`` when the file exists but cannot be queried.
    """
    with _lockfile.book_lock:
        try:
            if _lockfile.held_fd(os.stat(path)) is not None:
                return os.getpid()
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise system_error("open the pid file", path, exc) from exc
        try:
            return _lockfile.lock_holder(fd)
        except OSError as exc:
            raise system_error("query the lock of", path, exc) from exc
        finally:
            os.close(fd)

