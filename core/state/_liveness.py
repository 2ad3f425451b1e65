"""Tell whether the pid in a pid file is still the process that wrote it.

A pid outlives its process: after a crash and enough spawns the number names someone
else. libvirt's virPidFileReadPathIfAlive guards against that by checking that the pid
is alive *and* that ``/proc/PID/exe`` is the expected binary; this is the same check,
plus two libvirt leaves out: a zombie (dead, not yet reaped) counts as dead, and so does
a file that holds no pid at all (garbage, ``0``, a negative number, or one beyond any pid
Linux can hand out, such as ``4294967296``): no process can be running under it.
"""

from __future__ import annotations

import errno
import os

from corral.core._errors import CorralError, ErrorCode
from corral.core.state._fail import system_error
from corral.core.state._pidfile import StrPath, read_pidfile

__all__ = ["read_pidfile_if_alive"]

# What the kernel appends to /proc/PID/exe once the binary was deleted or replaced
# (an upgrade while the daemon runs).
_DELETED = " (deleted)"


def read_pidfile_if_alive(path: StrPath, binary: StrPath | None = None) -> int | None:
    """Return the pid in ``path`` if that process is alive and runs ``binary``.

    Args:
        path: The pid file.
        binary: The executable the process must run; ``/proc/PID/exe`` must be that
            file, or (after an upgrade deleted it) carry its resolved path. None skips
            the check.

    Returns:
        The pid, or None when the file is missing or holds no valid pid, the process is
        gone (or a zombie), or it runs another binary (the pid was reused).

    Raises:
        CorralError: ``SYSTEM_ERROR`` when the file or ``/proc/PID/exe`` cannot be read
            for want of permission, or the pid file is a symbolic link.
    """
    try:
        pid = read_pidfile(path)
    except CorralError as exc:
        if exc.code == ErrorCode.PARSE_FAILED or exc.detail.get("errno") == errno.ENOENT:
            return None
        raise
    if not _alive(pid):
        return None
    if binary is not None and not _runs(pid, binary):
        return None
    return pid


def _alive(pid: int) -> bool:
    """Whether ``pid`` exists and has not exited (a zombie has)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, it just is not ours to signal
    try:
        with open(f"/proc/{pid}/stat", "rb") as stream:
            stat = stream.read()
    except FileNotFoundError:
        return False  # it exited between the two checks
    except OSError:
        return True  # no usable /proc: the signal probe is all we have
    # The state letter follows the ')' closing the command name (which may hold ')').
    state = stat[stat.rfind(b")") + 2 : stat.rfind(b")") + 3]
    return state not in (b"Z", b"X")


def _runs(pid: int, binary: StrPath) -> bool:
    """Whether process ``pid`` executes ``binary`` (same inode, or same resolved path)."""
    exe = f"/proc/{pid}/exe"
    try:
        link = os.readlink(exe)
        if _same_file(exe, binary):
            return True
    except FileNotFoundError:
        return False  # the process exited meanwhile
    except OSError as exc:
        raise system_error(f"check which binary process {pid} runs through", exe, exc) from exc
    # Not the same inode: the binary may have been replaced by an upgrade after the
    # process started, in which case the kernel's link names the old path + " (deleted)".
    return os.path.realpath(link.removesuffix(_DELETED)) == os.path.realpath(binary)


def _same_file(exe: str, binary: StrPath) -> bool:
    try:
        return os.path.samestat(os.stat(exe), os.stat(binary))
    except FileNotFoundError:
        return False  # the binary is gone (deleted); the caller compares names
