"""Pid files that are held locked for as long as their process lives (libvirt's virPidFile*).

A pid file alone cannot tell a live owner from a stale file whose pid was reused. A
*locked* one can: the kernel drops the lock when the owner dies, however it dies. So
:func:`acquire_pidfile` keeps a write lock on byte 0 for the owner's life and
:func:`pidfile_is_locked` asks the kernel who holds it.

Two things differ from libvirt's virPidFileAcquirePath, which opens the path, locks it,
truncates it and writes the pid:

* a reader never sees the file empty. libvirt's readers take no lock (they cannot: the
  holder keeps the write lock for its whole life), so nothing makes them wait for the
  write that follows the truncate. Here the file is written, and locked, *before* it gets
  its name: a fresh temporary file beside it is hard-linked to the path, or, when a stale
  file is there, renamed over it once its lock is ours. The content at the path never
  changes; only which file the name points to does, atomically;
* a symbolic link planted at the path is refused (``O_NOFOLLOW``), never written through,
  and no open here blocks on a FIFO.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

from corral.core._errors import ErrorCode
from corral.core.state import _lockfile, _tempfiles
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

# The largest pid Linux can hand out: PID_MAX_LIMIT, the ceiling of kernel.pid_max on a
# 64-bit kernel (far below pid_t's 2**31 - 1). The live pid_max is no bound: a process
# started before it was lowered keeps its larger pid.
_PID_LIMIT = 1 << 22

# Every open of a pid file: never through a link at the path, never stuck on a FIFO.
_SAFE_OPEN = os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC

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
    """Create ``path`` holding ``pid``, locked, and return the locking descriptor.

    The lock lives as long as the descriptor (close it with :func:`release_pidfile`) and
    dies with the process. The descriptor is close-on-exec. A reader sees no file, the
    stale file that was there, or the whole new pid: never an empty file.

    Args:
        path: The pid file; its directory must exist (and be writable: the file is
            prepared beside it).
        pid: The pid to record; this process's by default.

    Returns:
        The descriptor that holds the lock.

    Raises:
        CorralError: ``RESOURCE_BUSY`` naming the holder when another process (or this
            one, through another descriptor) holds the lock; ``SYSTEM_ERROR`` when the
            file cannot be created, locked or written, or ``path`` is a symbolic link.
    """
    pid = os.getpid() if pid is None else pid
    target = Path(path)
    with _lockfile.book_lock:
        _refuse_if_held_here(path)
        _tempfiles.sweep(target)
        fd, staged = _stage(target, pid)
        try:
            _install(path, staged)
            # It is the pid file now, not a temporary one: drop the sweeper's lock.
            fcntl.flock(fd, fcntl.LOCK_UN)
        except BaseException:
            _tempfiles.discard(fd, staged)
            raise
        _lockfile.remember(fd)
    return fd


def _stage(target: Path, pid: int) -> tuple[int, str]:
    """Prepare the whole pid file, already locked, under a temporary name beside it."""
    try:
        fd, staged = _tempfiles.create(target)
    except OSError as exc:
        raise system_error("create the pid file", target, exc) from exc
    try:
        os.fchmod(fd, 0o644)
        _lockfile.lock(fd)
        os.pwrite(fd, f"{pid}\n".encode(), 0)
    except OSError as exc:
        _tempfiles.discard(fd, staged)
        raise system_error("write the pid file", target, exc) from exc
    return fd, staged


def _install(path: StrPath, staged: str) -> None:
    """Give the staged file the name ``path``, unless a live process holds that name."""
    while True:
        try:
            os.link(staged, path)  # never replaces (nor follows) what is at path
        except FileExistsError:
            if _replace_stale(path, staged):
                return
            continue  # the file at path changed under us: look again
        except OSError as exc:
            raise system_error("create the pid file", path, exc) from exc
        with contextlib.suppress(OSError):
            os.unlink(staged)  # path names the file now
        return


def _replace_stale(path: StrPath, staged: str) -> bool:
    """Rename ``staged`` over the file at ``path`` once its lock is ours (it is stale).

    Returns:
        False when the file at ``path`` went away or was replaced meanwhile.
    """
    old = _open_existing(path, os.O_RDWR)
    if old is None:
        return False
    try:
        if _lockfile.try_lock(old):
            if not _still_linked(path, old):
                return False
            # Holding the old file's lock, no other acquirer can be renaming too.
            os.rename(staged, path)
            return True
        holder = _lockfile.lock_holder(old)
    except OSError as exc:
        raise system_error("lock the pid file", path, exc) from exc
    finally:
        os.close(old)
    if holder is not None:
        raise busy_error(path, holder)
    return False  # the holder let go between our two calls


def _open_existing(path: StrPath, flags: int) -> int | None:
    """Open the file at ``path`` itself (never through a link); None when there is none."""
    try:
        return os.open(path, flags | _SAFE_OPEN)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise system_error("open the pid file", path, exc) from exc


def _held_here(path: StrPath) -> bool:
    """Whether this process holds the file at ``path`` locked (per the record)."""
    # Our own POSIX lock would not conflict, and opening the file again would risk
    # releasing it: answer from the record instead.
    try:
        status = os.lstat(path)
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise system_error("examine the pid file", path, exc) from exc
    return _lockfile.held_fd(status) is not None


def _refuse_if_held_here(path: StrPath) -> None:
    if _held_here(path):
        raise busy_error(path, os.getpid())


def _still_linked(path: StrPath, fd: int) -> bool:
    """Whether ``path`` still names the file open on ``fd`` (a racer may have deleted it)."""
    try:
        return os.path.samestat(os.lstat(path), os.fstat(fd))
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
            is ``errno.ENOENT`` when it does not exist) or is a symbolic link;
            ``PARSE_FAILED`` when it does not hold a decimal pid from 1 to
            4194304 (the largest pid Linux hands out).
    """
    with _lockfile.book_lock:
        raw = _read_head(path)
    text = raw.decode("ascii", errors="replace").strip()
    # Bounded here: 4294967296 would overflow pid_t (and os.kill) further on.
    if not text.isdigit() or not 0 < int(text) <= _PID_LIMIT:
        raise state_error(
            f"Pid file '{os.fspath(path)}' does not hold a pid: {text[:20]!r}.",
            ErrorCode.PARSE_FAILED,
            path=os.fspath(path),
        )
    return int(text)


def _read_head(path: StrPath) -> bytes:
    try:
        fd = _lockfile.held_fd(os.lstat(path))
        if fd is not None:
            return os.pread(fd, _MAX_PIDFILE_BYTES, 0)
        fd = os.open(path, os.O_RDONLY | _SAFE_OPEN)
        try:
            return os.pread(fd, _MAX_PIDFILE_BYTES, 0)
        finally:
            os.close(fd)
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
        CorralError: ``SYSTEM_ERROR`` when the file exists but cannot be queried, or is
            a symbolic link.
    """
    with _lockfile.book_lock:
        if _held_here(path):
            return os.getpid()
        fd = _open_existing(path, os.O_RDONLY)
        if fd is None:
            return None
        try:
            return _lockfile.lock_holder(fd)
        except OSError as exc:
            raise system_error("query the lock of", path, exc) from exc
        finally:
            os.close(fd)

